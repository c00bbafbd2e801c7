//! Helpers shared by the fuzz targets in `fuzz_targets/` (see `docs/fuzzing.md`).
//!
//! - [`render_every_format`]: what the CLI does with a file's diagnostics, in every
//!   `--message-format` (`human`, `short`, `json`, `github`, `sarif`), with the one-line
//!   promise of the line formats checked;
//! - [`flow`]: the structure-aware flow generator of the `flow_structured` target.

pub mod flow;

use scaiflow::diagnostics::Diagnostic;
use scaiflow::diagnostics::render;
use scaiflow::load::SourceFile;

/// Resolves and sorts `diags` against `source` (`render::prepare`, as every CLI command
/// does), then renders them in every message format. With `both_colours` the human format
/// is rendered with and without colour (the render target); the pipeline targets render it
/// once, to keep executions fast.
///
/// Invariants (`docs/diagnostics.md`, "Output formats"): no renderer panics; `short` and
/// `github` give exactly one line per diagnostic (control characters are escaped); the
/// SARIF log and the JSON records serialise.
pub fn render_every_format(source: &SourceFile, diags: &mut [Diagnostic], both_colours: bool) {
    render::prepare(source, diags);
    let _ = render::human(source, diags, false);
    if both_colours {
        let _ = render::human(source, diags, true);
    }
    for d in diags.iter() {
        let short = render::short_line(source, d);
        assert!(
            !short.contains(['\n', '\r']),
            "short format: a diagnostic spans several lines: {short:?}"
        );
        let github = render::github_line(source, d);
        assert!(
            !github.contains(['\n', '\r']),
            "github format: a diagnostic spans several lines: {github:?}"
        );
        let record = render::record(source, d).to_string();
        assert!(
            !record.contains('\n'),
            "json format: a record spans several lines"
        );
    }
    let sarif = render::sarif(&[(source, &*diags)]);
    let _ = serde_json::to_string_pretty(&sarif);
}

/// Truncates `s` to at most `max` bytes, at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
