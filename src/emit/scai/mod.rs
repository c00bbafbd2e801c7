//! `--format scai` (spec §8): ScaiCore source text, for people to read. Upstream calls the
//! target deprecated, but what it writes must still be valid ScaiCore: every name derived
//! from user text is sanitised into an identifier (never a keyword, never starting with a
//! digit, unique where it names something), every string is escaped, `:` appears only in
//! type positions and `=` for every value. Indentation is four spaces; the text is
//! deterministic. `docs/scai.md` describes the mapping.
//!
//! - `lexical`: identifiers, string literals and expressions, as ScaiCore's lexer reads them;
//! - `writer`: the text of a lowered core, declaration by declaration.

mod lexical;
mod writer;

use crate::analyze::AnalyzedFlow;
use crate::lower::core::Core;

pub use lexical::{identifier, is_plain_expression, string, type_name};

/// One level of indentation.
const INDENT: &str = "    ";

/// Renders the `.scai` text of a lowered flow.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> String {
    let mut bytes = Vec::new();
    emit_into(a, core, &mut bytes);
    // The writer writes `str`s only, and hands them over whole.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`emit`]'s text handed to `sink` as it is written (a chunk at a time after a step, see
/// [`crate::emit::Sink`]); the number of bytes.
pub fn emit_into(a: &AnalyzedFlow, core: &Core, sink: &mut dyn crate::emit::Sink) -> u64 {
    writer::write_into(a, core, sink)
}
