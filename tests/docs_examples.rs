//! Every example the public ScaiFlow / ScaiCore / ScaiQueue docs print, with its documented
//! outcome (`tests/docs_examples/index.json` names each one's source page; the folder's
//! README says how they were gathered and where the docs contradict themselves).
//!
//! - A flow the docs present as working input validates with no error and compiles in all
//!   three formats (the IR passes the verifier).
//! - A documented error case fails validation, and when the docs print the message, one
//!   diagnostic says exactly that.
//! - A documented warning case validates and prints the documented warning.
//! - A documented manifest imports without error.

use std::path::{Path, PathBuf};

use scaiflow::load::SourceFile;
use scaiflow::{OutputFormat, compile_flow, validate_source};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docs_examples")
}

fn index() -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("index.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn field<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key].as_str().unwrap_or_default()
}

#[test]
fn every_file_is_indexed_with_its_source() {
    let listed: Vec<String> = index()
        .iter()
        .map(|e| field(e, "file").to_string())
        .collect();
    for e in index() {
        assert!(!field(&e, "source").is_empty(), "{e}: no source page");
        assert!(dir().join(field(&e, "file")).is_file(), "{e}: no such file");
    }
    for f in std::fs::read_dir(dir()).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".flow.json") || name.ends_with(".yaml") {
            assert!(listed.contains(&name), "{name} is not in index.json");
        }
    }
}

/// The indexed examples whose file name ends with `ending`: entry and source text.
fn examples(ending: &str) -> Vec<(Value, SourceFile)> {
    index()
        .into_iter()
        .filter(|e| field(e, "file").ends_with(ending))
        .map(|e| {
            let file = field(&e, "file").to_string();
            let text = std::fs::read_to_string(dir().join(&file)).unwrap();
            (e, SourceFile::new(file, text))
        })
        .collect()
}

/// `CODE: message` of each error.
fn errors(diagnostics: &[scaiflow::diagnostics::Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

#[test]
fn documented_flows_have_their_documented_outcome() {
    let mut problems = Vec::new();
    let flows = examples(".flow.json");
    for (e, source) in &flows {
        let file = field(e, "file");
        let out = validate_source(source);
        let errors = errors(&out.diagnostics);
        let documented = field(e, "documented_message");
        let says_it = out.diagnostics.iter().any(|d| d.message == documented);
        match field(e, "expect") {
            "valid" => {
                if !errors.is_empty() {
                    problems.push(format!("{file}: documented as valid, refused: {errors:?}"));
                    continue;
                }
                if !documented.is_empty() && !says_it {
                    problems.push(format!("{file}: does not print {documented:?}"));
                }
                for format in [OutputFormat::Yaml, OutputFormat::Ir, OutputFormat::Scai] {
                    if let Err(err) = compile_flow(source, format) {
                        let errs: Vec<String> =
                            err.errors.iter().map(|d| d.message.clone()).collect();
                        problems.push(format!("{file}: does not compile to {format:?}: {errs:?}"));
                    }
                }
            }
            "error" => {
                if errors.is_empty() {
                    problems.push(format!("{file}: documented as an error, accepted"));
                } else if !documented.is_empty() && !says_it {
                    problems.push(format!(
                        "{file}: the documented message {documented:?} is not among {errors:?}"
                    ));
                }
            }
            other => problems.push(format!("{file}: unknown expectation {other:?}")),
        }
    }
    assert!(flows.len() >= 30, "only {} documented flows", flows.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn documented_manifests_import() {
    let mut problems = Vec::new();
    let manifests = examples(".yaml");
    for (e, source) in &manifests {
        let file = field(e, "file");
        let out = scaiflow::import::import_manifest(source);
        let errors = errors(&out.diagnostics);
        if out.flow.is_none() || !errors.is_empty() {
            problems.push(format!("{file}: does not import: {errors:?}"));
        }
    }
    assert!(
        manifests.len() >= 4,
        "only {} documented manifests",
        manifests.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
