//! Raw bytes as a flow file → `scaiflow validate` (load, schema, analyze, structure), then
//! the diagnostics rendered in every message format, as the CLI does.
//!
//! Invariants: no panic; `analyzed` is set exactly when there is no error diagnostic
//! (`scaiflow::validate_source`'s contract); the line formats stay one line per diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::load;
use scaiflow_fuzz::render_every_format;

fuzz_target!(|data: &[u8]| {
    let (source, mut diags) = match load::decode("fuzz.flow.json", data.to_vec()) {
        Ok(source) => {
            let out = scaiflow::validate_source(&source);
            assert_eq!(
                out.analyzed.is_some(),
                !out.diagnostics.iter().any(|d| d.is_error()),
                "`analyzed` must be set exactly when there is no error: {:?}",
                out.diagnostics
            );
            (source, out.diagnostics)
        }
        Err(f) => (f.source, vec![f.diagnostic]),
    };
    render_every_format(&source, &mut diags, false);
});
