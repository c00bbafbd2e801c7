//! Raw bytes as a flow file → `scaiflow compile` in every format (`yaml`, `ir` with the
//! verifier, `scai`).
//!
//! Invariants: no panic; the three formats agree on whether the flow compiles (they share
//! validation and lowering), except that `ir` may additionally be refused by the IR
//! verifier; a refusal carries at least one error diagnostic; a compiled `yaml` / `scai`
//! artifact is UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::{OutputFormat, compile_flow, load};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = load::decode("fuzz.flow.json", data.to_vec()) else {
        return;
    };
    let yaml = compile_flow(&source, OutputFormat::Yaml);
    let ir = compile_flow(&source, OutputFormat::Ir);
    let scai = compile_flow(&source, OutputFormat::Scai);
    assert_eq!(yaml.is_ok(), scai.is_ok(), "yaml and scai disagree");
    if yaml.is_err() {
        assert!(ir.is_err(), "ir compiles a flow yaml refuses");
    }
    for r in [&yaml, &ir, &scai] {
        if let Err(e) = r {
            assert!(
                e.errors.iter().any(|d| d.is_error()),
                "a failed compile without an error diagnostic: {}",
                e.message
            );
        }
    }
    for a in [&yaml, &scai].into_iter().flatten() {
        assert!(
            std::str::from_utf8(&a.bytes).is_ok(),
            "text artifact is not UTF-8"
        );
    }
});
