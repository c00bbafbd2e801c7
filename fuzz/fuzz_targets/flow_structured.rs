//! Structure-aware flows (`scaiflow_fuzz::flow`: entries, rigid / flexible LLM nodes,
//! decisions, parallels, foreach / while loops, variable sets, HTTP tools, checkpoints;
//! sequential, conditional and data edges over a small id space, hostile strings) → the
//! whole pipeline: validate, compile to every format, the IR bundle read back and
//! verified, import of the manifest and a second compile.
//!
//! Invariants, for every generated flow:
//! 1. no panic anywhere;
//! 2. `validate_source` sets `analyzed` exactly when there is no error, and a flow
//!    compiles to `yaml` exactly when it validates (compile = validate + lower + emit);
//! 3. a flow that compiles to `yaml` compiles to `scai` and to `ir`: `compile --format ir`
//!    (verifier on) succeeds, or refuses only with `E400` (a non-deterministic call such
//!    as `{{ now() }}` in a rigid template: docs/scir.md §5 documents it as a rule of the
//!    IR verifier alone — the analyze stage does not check it — so a flow may validate and
//!    still be refused by `compile --format ir` for it). The bundle it writes (for an E400
//!    flow: the one written with `--no-verify`) decodes with `scir::decode`, is canonical
//!    (re-encoding gives the same bytes) and passes `verify::verify` again (E400 aside);
//! 4. the manifest imports without error diagnostics, and — docs/import.md, "scaiflow's
//!    refinements (lossless)": `import(compile(F)) == F` as JSON values for every valid
//!    flow F, positions included — the imported flow equals the generated one; so
//!    compiling the imported flow gives byte-identical YAML (compile → import → compile
//!    is stable). The documented losses of docs/import.md ("What cannot be recovered
//!    without scaiflow's keys") concern manifests without `scaiflow_meta`, which
//!    `compile` always writes, so they do not apply here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaiflow::diagnostics::Code;
use scaiflow::import::import_manifest;
use scaiflow::load::SourceFile;
use scaiflow::{CompileOptions, OutputFormat, compile_flow, compile_flow_with, scir, verify};
use scaiflow_fuzz::flow::GeneratedFlow;
use scaiflow_fuzz::render_every_format;
use serde_json::Value;

fn codes(diags: &[scaiflow::diagnostics::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{} {}: {}", d.code, d.severity.as_str(), d.message))
        .collect()
}

/// With `SCAIFLOW_FUZZ_VERBOSE` set, each input prints how far it got (`invalid` with the
/// error codes, or `compiled`): `cargo fuzz run flow_structured corpus/flow_structured --
/// -runs=0` then shows how much of the corpus reaches lowering.
fn verbose() -> bool {
    static V: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *V.get_or_init(|| std::env::var_os("SCAIFLOW_FUZZ_VERBOSE").is_some())
}

fuzz_target!(|g: GeneratedFlow| {
    let source = SourceFile::new("fuzz.flow.json", g.text.clone());

    // 2. validate and compile agree.
    let v = scaiflow::validate_source(&source);
    let valid = !v.has_errors();
    assert_eq!(v.analyzed.is_some(), valid, "`analyzed` vs errors");
    let yaml = compile_flow(&source, OutputFormat::Yaml);
    if verbose() {
        let mut errs: Vec<&str> = v
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect();
        errs.sort();
        errs.dedup();
        let nodes = g.doc["nodes"].as_array().map_or(0, Vec::len);
        let edges = g.doc["edges"].as_array().map_or(0, Vec::len);
        match valid {
            true => eprintln!("flow_structured: compiled ({nodes} nodes, {edges} edges)"),
            false => eprintln!("flow_structured: invalid ({nodes} nodes, {edges} edges) {errs:?}"),
        }
    }
    if !valid {
        assert!(yaml.is_err(), "a flow with validation errors compiles");
        let mut diags = v.diagnostics;
        render_every_format(&source, &mut diags, false);
        return;
    }
    let yaml = match yaml {
        Ok(a) => a,
        Err(e) => panic!(
            "a valid flow does not compile to yaml: {}: {:?}",
            e.message,
            codes(&e.errors)
        ),
    };

    // 3. every format; the IR bundle read back and verified.
    if let Err(e) = compile_flow(&source, OutputFormat::Scai) {
        panic!(
            "a valid flow does not compile to scai: {:?}",
            codes(&e.errors)
        );
    }
    // `compile --format ir` as the CLI runs it (verifier on): it writes a bundle exactly
    // when the verifier finds nothing; the only refusal a valid flow may get is E400.
    let bundle = match compile_flow(&source, OutputFormat::Ir) {
        Ok(a) => Some(a.bytes),
        Err(e) => {
            let unexpected: Vec<String> = codes(&e.errors)
                .into_iter()
                .zip(&e.errors)
                .filter(|(_, d)| d.is_error() && d.code != Code::NonDeterministicRigid)
                .map(|(s, _)| s)
                .collect();
            assert!(
                unexpected.is_empty(),
                "compile --format ir refuses a valid flow: {unexpected:?}"
            );
            None
        }
    };
    // Without the verifier the bundle is written anyway: the E400 cases are read back too.
    let bundle = match bundle {
        Some(b) => b,
        None => {
            match compile_flow_with(&source, OutputFormat::Ir, CompileOptions { verify: false }) {
                Ok(a) => a.bytes,
                Err(e) => panic!(
                    "a valid flow does not compile to ir: {:?}",
                    codes(&e.errors)
                ),
            }
        }
    };
    let ir = match scir::decode(&bundle) {
        Ok(ir) => ir,
        Err(e) => panic!("the bundle `compile --format ir` writes does not decode: {e}"),
    };
    assert_eq!(
        scir::encode(&ir),
        bundle,
        "the emitted bundle is not canonical"
    );
    let unexpected: Vec<String> = codes(&verify::verify(&ir))
        .into_iter()
        .filter(|s| !s.starts_with(Code::NonDeterministicRigid.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "the IR verifier refuses the bundle read back: {unexpected:?}"
    );

    // 4. compile → import → compile.
    let manifest = String::from_utf8(yaml.bytes).expect("the manifest is UTF-8");
    let imported = import_manifest(&SourceFile::new("fuzz.yaml", manifest.clone()));
    let errors: Vec<String> = codes(&imported.diagnostics)
        .into_iter()
        .zip(&imported.diagnostics)
        .filter(|(_, d)| d.is_error())
        .map(|(s, _)| s)
        .collect();
    assert!(
        errors.is_empty(),
        "importing a compiled manifest fails: {errors:?}\n{manifest}"
    );
    let flow_text = imported
        .flow
        .expect("an import without errors returns a flow");
    let back: Value = serde_json::from_str(&flow_text).expect("imported flow is JSON");
    assert_eq!(
        back, g.doc,
        "import(compile(F)) != F\n--- imported:\n{flow_text}\n--- manifest:\n{manifest}"
    );
    let again = match compile_flow(
        &SourceFile::new("imported.flow.json", flow_text.clone()),
        OutputFormat::Yaml,
    ) {
        Ok(a) => a,
        Err(e) => panic!(
            "the imported flow does not compile: {:?}\n{flow_text}",
            codes(&e.errors)
        ),
    };
    assert!(
        again.bytes == manifest.as_bytes(),
        "compile(import(compile(F))) != compile(F)\n--- first:\n{manifest}\n--- second:\n{}",
        String::from_utf8_lossy(&again.bytes)
    );
});
