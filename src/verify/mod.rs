//! The IR verifier (spec §7.4): checks an IR dict — freshly built by `compile --format ir`,
//! or decoded from a bundle or a JSON dump by `verify` — against `schemas/ir.schema.json`
//! and the rules E400–E422, and reports every problem it finds, each with the IR path of
//! the offending block and, where the block carries one, its originating `node_id`.

use std::sync::OnceLock;

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic};
use crate::load::SourceFile;
use crate::schema::fast::FastSchema;

mod rules;

pub use rules::non_deterministic_call;
use rules::verify_here;

/// The IR schema, embedded at build time.
pub const IR_SCHEMA_JSON: &str = include_str!("../../schemas/ir.schema.json");

/// The block kinds of ScaiCore's IR.
pub const BLOCK_KINDS: [&str; 14] = [
    "rigid",
    "flexible",
    "guarded",
    "parallel",
    "foreach",
    "match",
    "while",
    "checkpoint",
    "core_call",
    "await_responses",
    "try",
    "budget",
    "debug",
    "model_call",
];

/// The statement kinds of a rigid block (`model_call` only to be refused there, E405).
pub const STATEMENT_KINDS: [&str; 4] = ["expression", "plugin_call", "assign", "model_call"];

/// Plugins the runtime provides without a declaration.
pub const BUILTIN_PLUGINS: [&str; 3] = ["http", "scaiqueue", "scaibunker"];

/// The trigger kinds.
pub const TRIGGER_KINDS: [&str; 3] = ["api", "webhook", "schedule"];

/// The embedded IR schema document.
fn ir_schema() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    // Part of the binary; the test suite compiles it (`ir_schema_compiles`).
    DOC.get_or_init(|| {
        serde_json::from_str(IR_SCHEMA_JSON).expect("embedded IR schema is valid JSON") // ok: build-time constant
    })
}

/// The `jsonschema` validator of the IR schema, built only for a bundle the fast check
/// ([`crate::schema::fast`]) does not find valid.
pub(crate) fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        jsonschema::draft202012::new(ir_schema()).expect("embedded IR schema compiles") // ok: build-time constant
    })
}

/// The fast validity check of the IR schema; `None` if it uses a keyword the check does
/// not implement.
pub(crate) fn fast_ir() -> Option<&'static FastSchema> {
    static FAST: OnceLock<Option<FastSchema>> = OnceLock::new();
    // (From a tape of the text: the `Value` tree is built only for `jsonschema`.)
    FAST.get_or_init(|| FastSchema::compile(crate::load::tape::Tape::parse(IR_SCHEMA_JSON)?.root()))
        .as_ref()
}

/// Verifies an IR dict; returns every problem (empty: the dict is valid).
///
/// Schema validation recurses once per nesting level, and a bundle may nest up to
/// [`crate::scir::MAX_DEPTH`] levels: a deep one is verified on a thread with a large
/// stack. One as shallow as a compiled flow's usually is (at most [`INLINE_DEPTH`]) is
/// verified here, which saves starting a thread (a tenth of a small compile).
pub fn verify(ir: &Value) -> Vec<Diagnostic> {
    if nests_deeper_than(ir, INLINE_DEPTH) {
        on_large_stack(|| verify_here(ir))
    } else {
        verify_here(ir)
    }
}

/// The deepest nesting verified on the caller's stack: any thread's stack (2 MiB for
/// `std`'s and rayon's) takes this many levels of the validators' recursion.
const INLINE_DEPTH: usize = 32;

/// Whether `v` nests more than `limit` arrays and objects deep (looking no deeper).
fn nests_deeper_than(v: &Value, limit: usize) -> bool {
    match v {
        Value::Array(a) => limit == 0 || a.iter().any(|c| nests_deeper_than(c, limit - 1)),
        Value::Object(m) => limit == 0 || m.values().any(|c| nests_deeper_than(c, limit - 1)),
        _ => false,
    }
}

/// The stack of the threads that recurse as deep as their input nests: 256 MiB of address
/// space, committed only as used.
pub const LARGE_STACK: usize = 256 << 20;

/// Runs `f` on a scoped thread with a [`LARGE_STACK`], or here when no thread can be
/// started.
pub fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut f = Some(f);
    let result = std::thread::scope(|s| {
        let job = &mut f;
        std::thread::Builder::new()
            .stack_size(LARGE_STACK)
            .spawn_scoped(s, move || job.take().map(|g| g()))
            .ok()
            .and_then(|h| h.join().ok())
            .flatten()
    });
    match (result, f) {
        (Some(r), _) => r,
        (None, Some(g)) => g(),
        // The thread took the job and panicked: re-raise here, as a plain call would.
        (None, None) => panic!("the verifier thread panicked"), // ok: only re-raises an existing panic
    }
}

/// Runs `side` on a second thread (with [`LARGE_STACK`]) while `here` runs on this one, and
/// returns both results: for work that only reads what the other reads. When no thread
/// can be started, `side` runs here after `here`; a panic on the second thread is
/// re-raised here.
pub fn beside<A, B: Send>(side: impl FnOnce() -> B + Send, here: impl FnOnce() -> A) -> (A, B) {
    let mut job = Some(side);
    let (a, b) = std::thread::scope(|s| {
        let slot = &mut job;
        let handle = std::thread::Builder::new()
            .stack_size(LARGE_STACK)
            .spawn_scoped(s, move || slot.take().map(|g| g()))
            .ok();
        let a = here();
        let b = handle.and_then(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        (a, b)
    });
    match (b, job) {
        (Some(b), _) => (a, b),
        (None, Some(g)) => (a, g()),
        // The thread takes the job and returns its result, or its panic is re-raised above.
        (None, None) => unreachable!("the second thread took the job and returned nothing"), // ok: cannot happen
    }
}

/// How many problems one IR gets reported; past it the verifier stops (a corrupt or
/// hostile bundle could otherwise yield millions).
pub const MAX_DIAGNOSTICS: usize = 200;

/// An IR read from a file: the dict, and where it came from (the JSON text of a dump, so
/// diagnostics get line and column; empty for a binary bundle).
#[derive(Debug, Clone)]
pub struct LoadedIr {
    pub source: SourceFile,
    pub ir: Value,
}

/// Reads IR from bytes: a SCIR bundle (it starts with `SCIR`), or a JSON dump of the same
/// dict (it starts with `{`). A failure comes with the source to render it against.
pub fn load_ir(name: &str, bytes: Vec<u8>) -> Result<LoadedIr, (SourceFile, Diagnostic)> {
    load_ir_with(name, bytes, crate::limits::Limits::default())
}

/// [`load_ir`] under other limits (`--max-input-size`).
pub fn load_ir_with(
    name: &str,
    bytes: Vec<u8>,
    limits: crate::limits::Limits,
) -> Result<LoadedIr, (SourceFile, Diagnostic)> {
    if bytes.starts_with(crate::scir::MAGIC) {
        return match crate::scir::decode_upto(&bytes, limits.max_ir_values()) {
            Ok(ir) => Ok(LoadedIr {
                source: SourceFile::new(name, ""),
                ir,
            }),
            Err(e) => Err((
                SourceFile::new(name, ""),
                Diagnostic::new(Code::MalformedBundle, e.to_string()),
            )),
        };
    }
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let neither = |bytes: &[u8]| {
        let e = crate::scir::decode(bytes)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        Diagnostic::new(
            Code::MalformedBundle,
            format!("{e}; nor is it a JSON dump of an IR dict, which starts with '{{'"),
        )
    };
    // A dump is JSON text; one that is not a dict (what `inspect` prints for a bundle
    // holding another value) loads too, and the verifier says E413, as for the bundle.
    let json_like = matches!(
        first,
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    );
    if !json_like {
        return Err((SourceFile::new(name, ""), neither(&bytes)));
    }
    let dict = first == Some(b'{');
    // (What the bundle error needs: the magic bytes it did not find.)
    let head: Vec<u8> = bytes.iter().take(8).copied().collect();
    let source = crate::load::decode(name, bytes).map_err(|f| (f.source, f.diagnostic))?;
    // As deep as a bundle may nest, so that whatever `inspect` prints verifies back.
    match on_large_stack(|| crate::load::parse_json_deep(&source.text, crate::scir::MAX_DEPTH)) {
        Ok(ir) => Ok(LoadedIr { source, ir }),
        Err(d) if dict => Err((source, d)),
        Err(_) => Err((SourceFile::new(name, ""), neither(&head))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_in_containers() {
        let nested = |levels: usize| {
            (0..levels).fold(serde_json::json!(1), |v, i| {
                if i % 2 == 0 {
                    serde_json::json!([0, v])
                } else {
                    serde_json::json!({"a": 0, "b": v})
                }
            })
        };
        for levels in 0..6 {
            let v = nested(levels);
            for limit in 0..7 {
                assert_eq!(
                    nests_deeper_than(&v, limit),
                    levels > limit,
                    "{levels} > {limit}"
                );
            }
        }
        // A deep bundle is verified as a shallow one is (here on the large stack).
        let deep = nested(INLINE_DEPTH + 1);
        assert!(nests_deeper_than(&deep, INLINE_DEPTH));
        assert_eq!(verify(&deep), verify_here(&deep));
    }

    #[test]
    fn ir_schema_compiles() {
        let _ = validator();
        assert!(
            fast_ir().is_some(),
            "the fast check implements every keyword the IR schema uses"
        );
    }
}
