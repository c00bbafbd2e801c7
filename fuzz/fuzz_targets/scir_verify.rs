//! Raw bytes as a SCIR bundle (`SCIR` + MessagePack) → decode, then the IR verifier, as
//! `scaiflow verify BUNDLE` does.
//!
//! Invariants (docs/scir.md): no panic, whatever the bytes; a decoded dict re-encodes
//! (canonically) to bytes that decode to the same dict, and encoding is idempotent
//! (encode ∘ decode ∘ encode = encode); "whatever `inspect` prints, `verify` reads back"
//! (docs/scir.md §6): a decoded dict, as `inspect`'s pretty JSON, loads through
//! `verify::load_ir` into the same dict. Only for dicts: `decode` also returns a top level
//! that is not a map (the verifier then says `E413` "the IR is an integer, not a dict"),
//! and `load_ir` refuses a JSON dump that does not start with `{` (`E410`) — both refuse
//! it, with different codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::load::SourceFile;
use scaiflow::{scir, verify};
use scaiflow_fuzz::render_every_format;

fuzz_target!(|data: &[u8]| {
    // A bundle as it is (the seeds), else the magic is given for free: the bad-magic path is
    // a few lines (and `json_ir_verify` reaches it through `load_ir`).
    let bytes: Vec<u8> = if data.starts_with(scir::MAGIC) {
        data.to_vec()
    } else {
        [scir::MAGIC.as_slice(), data].concat()
    };
    let source = SourceFile::new("fuzz.scir", "");
    let mut diags = match scir::decode(&bytes) {
        Ok(ir) => {
            let canonical = scir::encode(&ir);
            let again = scir::decode(&canonical).expect("a re-encoded bundle decodes");
            assert_eq!(again, ir, "decode(encode(ir)) != ir");
            assert_eq!(scir::encode(&again), canonical, "encoding is not canonical");
            if ir.is_object() {
                let dump = serde_json::to_string_pretty(&ir).expect("an IR dict serialises");
                match verify::load_ir("fuzz.ir.json", dump.into_bytes()) {
                    Ok(loaded) => {
                        assert_eq!(loaded.ir, ir, "inspect output reads back differently")
                    }
                    Err((_, d)) => panic!(
                        "inspect output does not read back: {}: {}",
                        d.code, d.message
                    ),
                }
            }
            verify::verify(&ir)
        }
        Err(e) => vec![scaiflow::diagnostics::Diagnostic::new(
            scaiflow::diagnostics::Code::MalformedBundle,
            e.to_string(),
        )],
    };
    // `verify::load_ir` is the CLI's reader; it must agree with `decode` on bundles.
    if bytes.starts_with(scir::MAGIC) {
        let loaded = verify::load_ir("fuzz.scir", bytes.clone());
        assert_eq!(loaded.is_ok(), scir::decode(&bytes).is_ok());
    }
    render_every_format(&source, &mut diags, false);
});
