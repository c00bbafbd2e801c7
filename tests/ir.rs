//! `--format ir`: the IR dict, SCIR bundles, the IR verifier, `verify` and `inspect`.
//!
//! The bad-IR fixtures (`fixtures/ir/`) and their expectation rows below are written by
//! `scripts/ir-fixtures.py`, which works the positions out with its own JSON scanner and
//! packs the binary ones with Python's `msgpack` — independently of scaiflow.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{examples, variants};
use scaiflow::diagnostics::{Diagnostic, codes, render};
use scaiflow::files::StreamedFile;
use scaiflow::limits::Limits;
use scaiflow::load::SourceFile;
use scaiflow::verify::{BLOCK_KINDS, load_ir, verify};
use scaiflow::{CompileOptions, OutputFormat, compile_flow, compile_flow_into, scir};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (file, code, message, path as displayed, line, column); line 0 when there is no location.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    usize,
);

const fn row(
    file: &'static str,
    code: &'static str,
    message: &'static str,
    path: &'static str,
    line: usize,
    column: usize,
) -> Row {
    (file, code, message, path, line, column)
}

#[rustfmt::skip]
const EXPECTED: &[Row] = &[
    row("e400-now-in-rigid.json", "E400", "flows[0].body[2].otherwise[0].statements[0].expression (node 'node_reply'): now() inside a rigid block: rigid must replay identically on resume", "flows[0].body[2].otherwise[0].statements[0].expression", 106, 33),
    row("e402-entity-key-unused.json", "E402", "instance.entity_key: entity-mode core: entity key 'customer_id' appears in no flow's input", "instance.entity_key", 7, 19),
    row("e405-model-call-in-rigid.json", "E405", "flows[0].body[1].statements[1] (node 'node_kb'): model_call inside a rigid block: an LLM call cannot be replayed on resume", "flows[0].body[1].statements[1]", 74, 13),
    row("e411-schema-version-2.json", "E411", "unsupported schema_version 2; this verifier knows schema_version 1", "schema_version", 2, 21),
    row("e412-unknown-block-kind.json", "E412", "flows[0].body[0].kind (node 'node_classify'): unknown block kind \"flexibel\"; did you mean `flexible`?", "flows[0].body[0].kind", 54, 19),
    row("e413-flexible-without-goal.json", "E413", "flows[0].body[0] (node 'node_classify'): \"goal\" is a required property", "flows[0].body[0]", 53, 9),
    row("e414-unknown-target-flow.json", "E414", "triggers[0].target_flow (node 'node_entry'): trigger targets flow 'mian', which does not exist; did you mean `main`?", "triggers[0].target_flow", 35, 22),
    row("e415-undeclared-role.json", "E415", "flows[0].body[0].llm_role (node 'node_classify'): llm_role 'fats' is not a declared model role; did you mean `fast`?", "flows[0].body[0].llm_role", 56, 23),
    row("e416-undeclared-plugin.json", "E416", "flows[0].body[1].statements[0].alias (node 'node_kb'): plugin 'scaidrvie' is not declared in plugins; did you mean `scaidrive`?", "flows[0].body[1].statements[0].alias", 67, 24),
    row("e417-while-without-max-iterations.json", "E417", "flows[0].body[3] (node 'node_more'): while loop missing max_iterations", "flows[0].body[3]", 119, 9),
    row("e418-hitl-target-null-scope.json", "E418", "flows[0].body[2].arms[0].body[0].hitl_target (node 'node_review'): hitl_target has no scope (a null scope or queue breaks routing)", "flows[0].body[2].arms[0].body[0].hitl_target", 89, 19),
    row("e419-core-call-target.json", "E419", "flows[0].body[3].target (node 'node_escalate'): core_call target 'acme/escalations' is not a core://{tenant_slug}/{slug} URI", "flows[0].body[3].target", 121, 21),
    row("e420-binding-starts-with-digit.json", "E420", "flows[0].body[2].otherwise[0].result_binding (node 'node_reply'): result_binding '1st_reply' is not a valid identifier ([a-z_][A-Za-z0-9_]*, not a reserved word)", "flows[0].body[2].otherwise[0].result_binding", 109, 33),
    row("e421-duplicate-binding.json", "E421", "flows[0].body[2].otherwise[0].result_binding (node 'node_reply'): result_binding 'classify' is already bound at flows[0].body[0].result_binding", "flows[0].body[2].otherwise[0].result_binding", 109, 33),
    row("e422-duplicate-flow-name.json", "E422", "flows[1].name: flow name 'main' is also declared at flows[0]", "flows[1].name", 122, 15),
    row("e410-bad-magic.scir", "E410", "not a SCIR bundle: expected the magic bytes 53 43 49 52 (\"SCIR\"), found 53 43 49 58 (SCIX); nor is it a JSON dump of an IR dict, which starts with '{'", "", 0, 0),
    row("e410-truncated.scir", "E410", "at byte 504: truncated: a string needs 20 bytes, 5 remain", "", 0, 0),
    row("e410-huge-array.scir", "E410", "at byte 4: truncated: an array declares 4294967295 elements, but only 0 bytes remain", "", 0, 0),
];

/// Verifies a file the way `scaiflow verify` does, through the library.
fn diagnose(path: &Path) -> Vec<Diagnostic> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    let (source, mut diags) = match load_ir(&name, bytes) {
        Ok(loaded) => {
            let d = verify(&loaded.ir);
            (loaded.source, d)
        }
        Err((source, d)) => (source, vec![d]),
    };
    render::prepare(&source, &mut diags);
    diags
}

fn ir_fixtures() -> BTreeSet<String> {
    std::fs::read_dir(root().join("fixtures/ir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn every_bad_ir_fixture_yields_exactly_its_diagnostic() {
    let mut failures = Vec::new();
    for file in ir_fixtures() {
        let got: Vec<(String, String, String, usize, usize)> =
            diagnose(&root().join("fixtures/ir").join(&file))
                .iter()
                .map(|d| {
                    let (l, c) = d.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
                    (
                        d.code.to_string(),
                        d.message.clone(),
                        d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                        l,
                        c,
                    )
                })
                .collect();
        let want: Vec<(String, String, String, usize, usize)> = EXPECTED
            .iter()
            .filter(|r| r.0 == file)
            .map(|r| (r.1.into(), r.2.into(), r.3.into(), r.4, r.5))
            .collect();
        if file.starts_with("valid-") {
            assert!(want.is_empty());
        } else {
            assert!(!want.is_empty(), "{file} has no table row");
        }
        if got != want {
            failures.push(format!("{file}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_verifier_code_has_a_bad_ir_fixture() {
    let covered: BTreeSet<&str> = EXPECTED.iter().map(|r| r.1).collect();
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|i| i.code.as_str())
        .filter(|c| c.starts_with('E') && !covered.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "verifier codes without a fixture: {missing:?}"
    );
    for file in ir_fixtures() {
        let code = file.split('-').next().unwrap().to_ascii_uppercase();
        assert!(
            file.starts_with("valid-") || EXPECTED.iter().any(|r| r.0 == file && r.1 == code),
            "{file}: name it <code>-<slug> after a code it yields"
        );
    }
}

/// Python's msgpack packed `valid-ticket-triage.scir`; it decodes to the same dict as the
/// JSON dump beside it, and re-encoding gives the same bytes (one canonical encoding).
#[test]
fn a_bundle_packed_by_python_decodes_and_reencodes_identically() {
    let dir = root().join("fixtures/ir");
    let bytes = std::fs::read(dir.join("valid-ticket-triage.scir")).unwrap();
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("valid-ticket-triage.json")).unwrap(),
    )
    .unwrap();
    let decoded = scir::decode(&bytes).unwrap();
    assert_eq!(decoded, json);
    assert_eq!(scir::encode(&decoded), bytes);
}

fn example_bundle(p: &Path) -> Vec<u8> {
    let src = scaiflow::load::read_source(p).unwrap();
    compile_flow(&src, OutputFormat::Ir)
        .unwrap_or_else(|e| panic!("{}: {:?}", p.display(), e.errors))
        .bytes
}

fn stem(p: &Path) -> String {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".flow.json")
        .to_string()
}

/// Every example compiles to a bundle that starts with `SCIR`, decodes to the IR dict the
/// compiler built, passes the verifier and the IR schema, and compiles the same every time.
#[test]
fn examples_compile_to_verified_bundles() {
    for p in examples() {
        let bytes = example_bundle(&p);
        assert_eq!(&bytes[..4], b"SCIR", "{}", p.display());
        assert_eq!(example_bundle(&p), bytes, "deterministic: {}", p.display());
        let ir = scir::decode(&bytes).unwrap();
        let src = scaiflow::load::read_source(&p).unwrap();
        let a = scaiflow::analyze::analyze_source(&src).analyzed.unwrap();
        let bodies = scaiflow::lower::structure(&a).unwrap();
        let core = scaiflow::lower::core::lower(&a, &bodies);
        assert_eq!(ir, scaiflow::emit::ir::module(&a, &core));
        assert_eq!(
            scir::encode(&ir),
            bytes,
            "serialize ∘ deserialize = identity"
        );
        assert!(verify(&ir).is_empty(), "{}: {:?}", p.display(), verify(&ir));
        assert_eq!(ir["schema_version"], 1);
    }
}

/// Golden bytes: `tests/golden/<example>.scir`. `UPDATE_GOLDEN=1 cargo test --test ir`
/// rewrites them; review the change with `scaiflow inspect` (the JSON is also pinned by
/// the insta snapshots of `example_ir_dicts`).
#[test]
fn example_bundles_match_their_golden_bytes() {
    let dir = root().join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for p in examples() {
        let bytes = example_bundle(&p);
        let golden = dir.join(format!("{}.scir", stem(&p)));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&golden, &bytes).unwrap();
        } else if std::fs::read(&golden).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(golden.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "bundles differ from their golden bytes: {stale:?}"
    );
}

#[test]
fn example_ir_dicts() {
    for p in examples() {
        let ir = scir::decode(&example_bundle(&p)).unwrap();
        insta::assert_snapshot!(
            format!("ir-{}", stem(&p)),
            serde_json::to_string_pretty(&ir).unwrap()
        );
    }
}

#[test]
fn the_schema_knows_the_fourteen_block_kinds() {
    let schema: Value = serde_json::from_str(scaiflow::verify::IR_SCHEMA_JSON).unwrap();
    let kinds: Vec<&str> = schema["$defs"]["block"]["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(kinds, BLOCK_KINDS);
    let on_disk = std::fs::read_to_string(root().join("schemas/ir.schema.json")).unwrap();
    assert_eq!(on_disk, scaiflow::verify::IR_SCHEMA_JSON);
}

/// Loads the dict with Python's msgpack (an independent reader) and compares it with
/// `inspect`'s JSON, types included; and packs that JSON with Python's msgpack, which must
/// give the bundle's exact bytes.
#[test]
fn python_msgpack_reads_and_writes_the_same_bundles() {
    let script = r#"
import sys, json, msgpack
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b
for path, dump in zip(sys.argv[1::2], sys.argv[2::2]):
    data = open(path, 'rb').read()
    assert data[:4] == b'SCIR', path
    decoded = msgpack.unpackb(data[4:], raw=False, strict_map_key=True)
    inspected = json.load(open(dump))
    assert same(decoded, inspected), path
    assert b'SCIR' + msgpack.packb(inspected) == data, path + ': python packs other bytes'
print('ok')
"#;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["-c".to_string(), script.to_string()];
    for p in examples() {
        let bundle = dir.path().join(format!("{}.scir", stem(&p)));
        std::fs::write(&bundle, example_bundle(&p)).unwrap();
        let out = scaiflow(&["inspect", bundle.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0));
        let dump = dir.path().join(format!("{}.json", stem(&p)));
        std::fs::write(&dump, &out.stdout).unwrap();
        args.push(bundle.display().to_string());
        args.push(dump.display().to_string());
    }
    let out = Command::new("python3")
        .args(&args)
        .output()
        .expect("python3 is needed for the cross-language check");
    assert!(
        out.status.success() && out.stdout.starts_with(b"ok"),
        "python msgpack disagrees (install it: pip install msgpack): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scaiflow(args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    common::scaiflow_short(args, stdin.unwrap_or_default())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn compile_ir_writes_the_bundle_and_inspect_output_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("support.flow.json");
    std::fs::copy(root().join("examples/customer-support.flow.json"), &flow).unwrap();
    let out = scaiflow(&["compile", "--format", "ir", flow.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bundle = dir.path().join("support.scir");
    let bytes = std::fs::read(&bundle).unwrap();
    assert!(bytes.starts_with(b"SCIR"));
    let out = scaiflow(&["verify", bundle.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dump = scaiflow(&["inspect", bundle.to_str().unwrap()], None);
    assert_eq!(dump.status.code(), Some(0));
    let out = scaiflow(&["verify", "-"], Some(&dump.stdout));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // And the bundle through stdin.
    let out = scaiflow(&["inspect", "-"], Some(&bytes));
    assert_eq!(out.stdout, dump.stdout);
}

#[test]
fn the_verifier_runs_on_compile_and_points_at_the_canvas_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/nightly-report.flow.json")).unwrap(),
    )
    .unwrap();
    let nodes = doc["nodes"].as_array_mut().unwrap();
    let i = nodes.iter().position(|n| n["type"] == "llm_rigid").unwrap();
    let id = nodes[i]["id"].as_str().unwrap().to_string();
    nodes[i]["config"]["template"] = "Report of {{ now() }}".into();
    let text_doc = serde_json::to_string_pretty(&doc).unwrap();
    let flow = dir.path().join("n.flow.json");
    std::fs::write(&flow, &text_doc).unwrap();
    let out = scaiflow(&["compile", "--format", "ir", flow.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[E400]"), "{err}");
    assert!(err.contains(&format!("(node '{id}')")), "{err}");
    // Located at the node's id in the flow file.
    let line = text_doc
        .lines()
        .position(|l| l.contains(&format!("\"id\": \"{id}\"")))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("n.flow.json:{line}:")), "{err}");
    assert!(!dir.path().join("n.scir").exists(), "nothing is written");
    // --no-verify writes it anyway; verify then finds the problem.
    let out = scaiflow(
        &[
            "compile",
            "--format",
            "ir",
            "--no-verify",
            flow.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = scaiflow(
        &["verify", dir.path().join("n.scir").to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E400]"));
}

#[test]
fn hostile_inputs_to_verify_and_inspect_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], i32, &str)] = &[
        ("empty.scir", b"", 1, "E410"),
        ("magic-only.scir", b"SCIR", 1, "the IR dict is missing"),
        ("trailing.scir", b"SCIR\x80\x00\x00", 1, "2 trailing bytes"),
        (
            "nested-truncated.scir",
            &[b'S', b'C', b'I', b'R', 0x91, 0x91, 0x91],
            1,
            "truncated",
        ),
        ("text.txt", b"hello", 1, "not a SCIR bundle"),
        // JSON that is not a dict: refused as a bundle holding it is (docs/scir.md §3).
        ("list.json", b"[1, 2]", 1, "E413"),
        ("bad.json", b"{\"schema_version\": 1,", 1, "SF100"),
        ("unterminated.json", b"{\"a\": 1", 1, "SF100"),
        ("incomplete-ir.json", b"{\"schema_version\": 1}", 1, "E413"),
    ];
    for (name, bytes, code, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        for cmd in ["verify", "inspect"] {
            let out = scaiflow(&[cmd, p.to_str().unwrap()], None);
            let err = text(&out.stderr);
            if cmd == "inspect" && *needle == "E413" {
                // inspect only decodes: a well-formed dict prints, valid or not.
                assert_eq!(out.status.code(), Some(0), "{name}: {err}");
                continue;
            }
            assert_eq!(out.status.code(), Some(*code), "{cmd} {name}: {err}");
            assert!(err.contains(needle), "{cmd} {name}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    // A directory and a missing file could not be read: exit 2.
    let out = scaiflow(&["verify", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let out = scaiflow(&["inspect", "/nonexistent.scir"], None);
    assert_eq!(out.status.code(), Some(2));
}

/// Property: generated variants of every example (hostile strings in labels, templates,
/// goals and configs) compile to IR that the verifier accepts and that survives encode →
/// decode unchanged.
#[test]
fn generated_variants_compile_to_ir_that_round_trips() {
    let mut compiled = 0;
    for doc in variants(0x1e_5c12, 20) {
        let src = SourceFile::new("v.flow.json", serde_json::to_string(&doc).unwrap());
        let Ok(art) = compile_flow(&src, OutputFormat::Ir) else {
            continue;
        };
        let ir = scir::decode(&art.bytes).unwrap();
        assert_eq!(scir::encode(&ir), art.bytes);
        assert!(verify(&ir).is_empty());
        compiled += 1;
    }
    assert!(compiled >= 80, "only {compiled} variants compiled");
}

#[test]
fn the_default_output_name_is_scir() {
    assert_eq!(
        scaiflow::cli::default_output(&PathBuf::from("a/my-flow.flow.json"), "scir"),
        PathBuf::from("a/my-flow.scir")
    );
    assert_eq!(OutputFormat::Ir.extension(), "scir");
}

/// The valid fixture dict, to break in tests.
fn base_ir() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/ir/valid-ticket-triage.json")).unwrap(),
    )
    .unwrap()
}

fn codes_of(ir: &Value) -> Vec<String> {
    verify(ir).iter().map(|d| d.code.to_string()).collect()
}

#[test]
fn the_verifier_stops_after_two_hundred_problems() {
    let mut ir = base_ir();
    ir["capabilities"] = Value::Array(vec![Value::Null; 100_000]);
    let diags = verify(&ir);
    assert_eq!(diags.len(), scaiflow::verify::MAX_DIAGNOSTICS + 1);
    assert!(
        diags
            .last()
            .unwrap()
            .message
            .contains("stopping after 200 problems")
    );
    // Thousands of unknown roles among thousands of models: bounded too.
    let mut ir = base_ir();
    ir["models"] = (0..5000)
        .map(|i| serde_json::json!({"role": format!("role{i}"), "provider": "p", "model": "m"}))
        .collect();
    ir["flows"][0]["body"] = (0..5000)
        .map(|i| {
            serde_json::json!({"kind": "flexible", "goal": "g", "llm_role": format!("x{i}"),
                "result_binding": format!("b{i}")})
        })
        .collect();
    assert_eq!(verify(&ir).len(), scaiflow::verify::MAX_DIAGNOSTICS + 1);
}

#[test]
fn a_malformed_block_is_one_problem_and_long_values_are_cut() {
    let mut ir = base_ir();
    ir["flows"][0]["body"][0] = Value::String("x".repeat(1_000_000));
    let diags = verify(&ir);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code.as_str(), "E413");
    assert_eq!(
        diags[0].message,
        "flows[0].body[0]: expected object, found a string"
    );
    let mut ir = base_ir();
    ir["flows"][0]["body"][1]["statements"][0] = Value::from(7);
    assert_eq!(codes_of(&ir), ["E413"]);
    let mut ir = base_ir();
    ir["flows"][0]["body"][0]["kind"] = Value::String("y".repeat(10_000));
    let msg = verify(&ir)[0].message.clone();
    assert!(msg.len() < 400, "{msg}");
}

#[test]
fn review_findings_stay_fixed() {
    // An unknown trigger kind is named as one, with trigger kinds as suggestions.
    let mut ir = base_ir();
    ir["triggers"][0]["kind"] = "webhok".into();
    let d = verify(&ir);
    assert_eq!(d.len(), 1);
    assert!(
        d[0].message.contains("unknown trigger kind \"webhok\"")
            && d[0].message.contains("`webhook`"),
        "{}",
        d[0].message
    );
    // A source_location inside user data is not taken for the block's.
    let mut ir = base_ir();
    ir["flows"][0]["body"][1]["statements"][0]["args"]["meta"] =
        serde_json::json!({"source_location": {"node_id": "node_entry"}, "at": "{{ now() }}"});
    let d = verify(&ir);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].node_id.as_deref(), Some("node_kb"), "{}", d[0].message);
    // model_call statements have their role checked; the input parameter is bound.
    let mut ir = base_ir();
    ir["flows"][0]["body"][1]["statements"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"kind": "model_call", "prompt": "p", "llm_role": "nope"}));
    ir["flows"][0]["body"][0]["result_binding"] = "input".into();
    assert_eq!(codes_of(&ir), ["E421", "E405", "E415"]);
    // A hitl_review checkpoint needs a target; duplicate roles and aliases are caught.
    let mut ir = base_ir();
    ir["flows"][0]["body"][2]["arms"][0]["body"][0]
        .as_object_mut()
        .unwrap()
        .remove("hitl_target");
    ir["models"][1]["role"] = "primary".into();
    ir["plugins"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"alias": "scaidrive", "endpoint": "plugin://x"}));
    // (`fast` is no longer a role: body[0]'s E415 comes before body[2]'s E418.)
    assert_eq!(codes_of(&ir), ["E422", "E422", "E415", "E418"]);
    // Wrongly typed lists are one E413 each, not a cascade of unknown references.
    let mut ir = base_ir();
    ir["models"] = "primary".into();
    ir["flows"] = Value::Null;
    assert_eq!(codes_of(&ir), ["E413", "E413"]);
}

#[test]
fn prose_in_templates_is_not_code() {
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/nightly-report.flow.json")).unwrap(),
    )
    .unwrap();
    for n in doc["nodes"].as_array_mut().unwrap() {
        if n["type"] == "llm_rigid" {
            n["config"]["template"] =
                "Please reply now (within 24 hours), today (at the latest) to {{input.name}}."
                    .into();
        }
    }
    let src = SourceFile::new("p.flow.json", doc.to_string());
    let art = compile_flow(&src, OutputFormat::Ir);
    assert!(art.is_ok(), "{:?}", art.err().map(|e| e.errors));
}

#[test]
fn deep_ir_survives_inspect_and_verify() {
    // 150 nested foreach loops: valid, and deeper than the 127 levels of flow JSON.
    let mut block = serde_json::json!({"kind": "rigid", "statements": [{"kind": "expression", "expression": "x"}]});
    for _ in 0..150 {
        block = serde_json::json!({"kind": "foreach", "items": "{{input.xs}}", "body": [block]});
    }
    let mut ir = base_ir();
    ir["flows"][0]["body"] = Value::Array(vec![block]);
    assert!(verify(&ir).is_empty());
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("deep.scir");
    std::fs::write(&bundle, scir::encode(&ir)).unwrap();
    let dump = scaiflow(&["inspect", bundle.to_str().unwrap()], None);
    assert_eq!(dump.status.code(), Some(0));
    let out = scaiflow(&["verify", "-"], Some(&dump.stdout));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Past the bound, a JSON dump is refused like a bundle, without exhausting the stack.
    let hostile = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = scaiflow(
        &["verify", "-"],
        Some(format!("{{\"a\": {hostile}}}").as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("deeper than 1024 levels"));
}

#[cfg(unix)]
#[test]
fn check_reads_no_more_of_the_old_output_than_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("n.flow.json");
    std::fs::copy(root().join("examples/nightly-report.flow.json"), &flow).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("n.scir")).unwrap();
    let out = scaiflow(
        &[
            "compile",
            "--format",
            "ir",
            "--check",
            flow.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is stale"));
}

#[test]
fn entries_with_one_label_get_distinct_flow_names() {
    let mut doc: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/nightly-report.flow.json")).unwrap(),
    )
    .unwrap();
    let entry = doc["nodes"][0].clone();
    let nodes = doc["nodes"].as_array_mut().unwrap();
    let mut edges = Vec::new();
    for i in 0..300 {
        let mut e = entry.clone();
        e["id"] = format!("node_extra_{i}").into();
        nodes.push(e);
        // Each extra entry leads to a node of its own, so each gets a flow of its own.
        edges.push(
            serde_json::json!({"id": format!("edge_extra_{i}"), "type": "sequential",
            "source": {"node": format!("node_extra_{i}"), "port": "out_tick"},
            "target": {"node": format!("node_x{i}"), "port": "in"}}),
        );
        nodes.push(
            serde_json::json!({"id": format!("node_x{i}"), "type": "llm_rigid",
            "label": "x", "position": {"x": 0, "y": 0}, "config": {"template": "t"}}),
        );
    }
    doc["edges"].as_array_mut().unwrap().extend(edges);
    let src = SourceFile::new("e.flow.json", doc.to_string());
    let ir = scir::decode(&compile_flow(&src, OutputFormat::Ir).unwrap().bytes).unwrap();
    let names: BTreeSet<&str> = ir["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 301, "every flow has its own name");
    let label = scaiflow::lower::core::slug(entry["label"].as_str().unwrap());
    assert!(names.contains(format!("nightly-metrics-report-{label}-300").as_str()));
}

/// A bundle that holds something other than a dict is refused by the verifier (E413), and
/// so is the JSON `inspect` prints for it: whatever `inspect` prints, `verify` reads back
/// and judges alike (docs/scir.md §3).
#[test]
fn a_bundle_of_a_non_dict_and_its_dump_get_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("int.scir");
    std::fs::write(&bundle, scir::encode(&serde_json::json!(42))).unwrap();
    let out = scaiflow(&["verify", bundle.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E413"), "{}", text(&out.stderr));
    let dump = scaiflow(&["inspect", bundle.to_str().unwrap()], None);
    assert_eq!(dump.status.code(), Some(0));
    assert_eq!(text(&dump.stdout).trim(), "42");
    let again = scaiflow(&["verify", "-"], Some(&dump.stdout));
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("error[E413]: the IR is an integer, not a dict"),
        "{}",
        text(&again.stderr)
    );
    // Text that is neither a bundle nor JSON still says both.
    let neither = scaiflow(&["verify", "-"], Some(b"[1,"));
    assert!(text(&neither.stderr).contains("nor is it a JSON dump"));
}

/// A compile hands the bundle over in chunks (once a chunk is full, after an array's element
/// or a map's entry), and the chunks are the bundle.
#[test]
fn bundles_are_handed_over_in_chunks_that_are_the_bundle() {
    common::compiles_in_chunks(OutputFormat::Ir, 0x5c1c_0004, |_| true);
}

/// A bundle of more bytes than `scaiflow verify` reads, streamed into its file, is refused
/// (SF004) once encoded and leaves nothing behind; one of exactly that many is written.
/// (`tests/limits.rs` checks the same bound in memory.)
#[test]
fn a_bundle_past_the_input_limit_leaves_no_file() {
    let path = root().join("examples/customer-support.flow.json");
    let text = std::fs::read_to_string(path).unwrap();
    // The example, and the example with a template of 600,000 bytes: a bundle past one
    // chunk, which goes to the file's thread while it is encoded.
    let mut big: Value = serde_json::from_str(&text).unwrap();
    let nodes = big["nodes"].as_array_mut().unwrap();
    let rigid = nodes.iter_mut().find(|n| n["type"] == "llm_rigid").unwrap();
    rigid["config"]["template"] = Value::from("x".repeat(600_000));
    for text in [text, big.to_string()] {
        refused_past_the_limit(&SourceFile::new("c.flow.json", text));
    }
}

fn refused_past_the_limit(src: &SourceFile) {
    let whole = compile_flow(src, OutputFormat::Ir).unwrap().bytes;
    let size = whole.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("c.scir");
    for (max, refused) in [(size - 1, true), (size, false)] {
        let options = CompileOptions {
            limits: Limits::with_max_input(max),
            ..CompileOptions::default()
        };
        assert_eq!(
            scaiflow::max_artifact_bytes(OutputFormat::Ir, options.limits),
            max
        );
        let mut file = StreamedFile::new(&target, max);
        let streamed = compile_flow_into(src, OutputFormat::Ir, options, &mut file);
        if refused {
            let e = streamed.unwrap_err();
            let last = e.errors.last().unwrap();
            assert_eq!(last.code.as_str(), "SF004");
            assert_eq!(
                last.message,
                format!(
                    "the IR bundle would be {size} bytes, more than the {max} `scaiflow verify` reads; nothing is written"
                )
            );
            drop(file);
            assert_eq!(
                std::fs::read_dir(dir.path()).unwrap().count(),
                0,
                "a file was left"
            );
        } else {
            streamed.unwrap();
            file.finish();
            file.commit().unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), whole);
        }
    }
}
