//! Raw bytes as a YAML manifest → `scaiflow import`.
//!
//! Invariants: no panic; a flow is returned exactly when there is no error diagnostic;
//! the returned flow text validates (`scaiflow validate`) without panic and without a
//! syntax or schema error (`SF0xx` / `SF1xx`): docs/import.md, "Hand-written manifests":
//! "The result passes the v2 schema". Analyze and structure errors are *not* checked: a
//! manifest without `scaiflow_meta` (hand-written, or steps with `meta` only) imports as a
//! draft "to finish on the canvas" whose analyze findings are warnings — e.g. a manifest
//! without triggers gives a flow without an entry (`SF206` when validated), as documented.
//! The diagnostics render in every format against the manifest text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::import::import_manifest;
use scaiflow::load::{self, SourceFile};
use scaiflow_fuzz::render_every_format;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = load::decode("fuzz.yaml", data.to_vec()) else {
        return;
    };
    let out = import_manifest(&source);
    let has_error = out.diagnostics.iter().any(|d| d.is_error());
    assert_eq!(
        out.flow.is_some(),
        !has_error,
        "a flow must be returned exactly when there is no error: {:?}",
        out.diagnostics
    );
    if let Some(flow) = &out.flow {
        let flow_source = SourceFile::new("imported.flow.json", flow.clone());
        let v = scaiflow::validate_source(&flow_source);
        let errors: Vec<String> = v
            .diagnostics
            .iter()
            .filter(|d| {
                d.is_error()
                    && ["SF0", "SF1"]
                        .iter()
                        .any(|p| d.code.as_str().starts_with(p))
            })
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(
            errors.is_empty(),
            "import returned a flow the schema refuses: {errors:?}\n{flow}"
        );
    }
    let mut diags = out.diagnostics;
    render_every_format(&source, &mut diags, false);
});
