//! Raw bytes as a JSON dump of an IR dict (what `scaiflow inspect` prints) → the CLI's
//! reader (`verify::load_ir`: UTF-8, strict JSON up to 1024 levels) → the IR verifier →
//! the diagnostics rendered against the dump, as `scaiflow verify DUMP.json` does.
//!
//! Invariants: no panic; what loads also encodes as a bundle that decodes to the same dict
//! (docs/scir.md: "whatever `inspect` prints, `verify` reads back", and the other way round).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::{scir, verify};
use scaiflow_fuzz::render_every_format;

fuzz_target!(|data: &[u8]| {
    match verify::load_ir("fuzz.ir.json", data.to_vec()) {
        Ok(loaded) => {
            let mut diags = verify::verify(&loaded.ir);
            let bundle = scir::encode(&loaded.ir);
            match scir::decode(&bundle) {
                Ok(back) => {
                    assert_eq!(back, loaded.ir, "bundle of a JSON dump decodes differently")
                }
                Err(e) => panic!("the bundle of a loaded JSON dump does not decode: {e}"),
            }
            render_every_format(&loaded.source, &mut diags, false);
        }
        Err((source, d)) => {
            render_every_format(&source, &mut [d], false);
        }
    }
});
