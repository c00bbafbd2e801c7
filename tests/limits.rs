//! One test per limit of docs/limits.md that no other test pins (the table there names the
//! test of every limit). Each input goes just past the limit and checks the documented
//! diagnostic; where cheap, the input just under it passes.

use scaiflow::diagnostics::{MAX_LISTED, MAX_SUGGESTIONS};
use scaiflow::import::import_manifest;
use scaiflow::load::SourceFile;
use serde_json::json;

fn import_messages(yaml: String) -> Vec<String> {
    let out = import_manifest(&SourceFile::new("m.yaml", yaml));
    out.diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

const LOADED: &str = "the manifest is too costly to load";

#[test]
fn yaml_anchors_are_bounded_at_1000() {
    let doc = |n: usize| {
        let mut s = String::from("x:\n");
        for i in 0..n {
            s.push_str(&format!("  a{i}: &a{i} {i}\n"));
        }
        s.push_str("core: {flows: []}\n");
        s
    };
    let past = import_messages(doc(1001));
    assert!(
        past.iter()
            .any(|m| m == &format!("SF501 {LOADED}: it defines more than 1,000 anchors")),
        "{past:?}"
    );
    let under = import_messages(doc(1000));
    assert!(under.iter().all(|m| !m.starts_with("SF501")), "{under:?}");
}

#[test]
fn yaml_aliases_are_bounded() {
    // One anchor, 10,001 aliases: past both the alias count and the alias/anchor ratio.
    let mut s = String::from("x: &a 1\nl: [");
    s.push_str(&vec!["*a"; 10_001].join(", "));
    s.push_str("]\ncore: {flows: []}\n");
    let past = import_messages(s);
    assert!(
        past.iter()
            .any(|m| m.starts_with(&format!("SF501 {LOADED}: it uses"))),
        "{past:?}"
    );
}

#[test]
fn yaml_block_nesting_is_bounded_at_2048() {
    let doc = |n: usize| {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&" ".repeat(i));
            s.push_str("k:\n");
        }
        s
    };
    let past = import_messages(doc(2049));
    assert!(
        past.iter()
            .any(|m| m == &format!("SF501 {LOADED}: it nests deeper than 2048 levels")),
        "{past:?}"
    );
    let under = import_messages(doc(2040));
    assert!(under.iter().all(|m| !m.starts_with("SF501")), "{under:?}");
}

fn node(id: &str, kind: &str) -> serde_json::Value {
    json!({"id": id, "type": kind, "label": id, "position": {"x": 0, "y": 0},
        "config": {"template": "x"}})
}

/// Past MAX_SUGGESTIONS problems, the rest get no "did you mean" (the work stays linear).
#[test]
fn suggestions_per_run_are_bounded() {
    let n = MAX_SUGGESTIONS + 20;
    let mut nodes = vec![node("in", "entry_api")];
    let mut edges = Vec::new();
    for i in 0..n {
        let id = format!("target_{i}");
        nodes.push(node(&id, "llm_rigid"));
        // A dangling source one letter off an existing node: a likely typo.
        edges.push(json!({"id": format!("e{i}"), "type": "sequential",
            "source": {"node": format!("targte_{i}"), "port": "out"},
            "target": {"node": id, "port": "in"}}));
    }
    let flow = json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges});
    let out = scaiflow::validate_source(&SourceFile::new("f.json", flow.to_string()));
    let dangling: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "SF203")
        .collect();
    assert_eq!(dangling.len(), n);
    let helped = dangling
        .iter()
        .filter(|d| {
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean"))
        })
        .count();
    assert_eq!(helped, MAX_SUGGESTIONS);
}

/// A help that lists names shows MAX_LISTED of them and counts the rest.
#[test]
fn listed_names_are_bounded() {
    let ports: Vec<_> = (0..MAX_LISTED + 5)
        .map(|i| json!({"id": format!("port_{i}"), "type": "object"}))
        .collect();
    let mut a = node("a", "llm_rigid");
    a["outputs"] = json!(ports);
    let flow = json!({"id": "f", "name": "F", "version": "1.0.0",
        "nodes": [node("in", "entry_api"), a, node("b", "llm_rigid")],
        "edges": [
            {"id": "e0", "type": "sequential", "source": {"node": "in", "port": "out_request"},
             "target": {"node": "a", "port": "in"}},
            {"id": "e1", "type": "sequential", "source": {"node": "a", "port": "completely_else"},
             "target": {"node": "b", "port": "in"}}]});
    let out = scaiflow::validate_source(&SourceFile::new("f.json", flow.to_string()));
    let help = out
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "SF204")
        .and_then(|d| d.help.clone())
        .expect("an SF204 with help");
    assert_eq!(
        help,
        "output ports: port_0, port_1, port_2, port_3, port_4, port_5, port_6, port_7, port_8, port_9, … and 5 more"
    );
}

/// The suggestion budget bounds help text, never the diagnostics: a config key close to a
/// documented one (SF118, reported only with its suggestion) is reported on every node,
/// however many there are (the documented keys are a fixed list, outside the budget).
#[test]
fn config_key_typos_are_all_reported_past_the_suggestion_budget() {
    let n = MAX_SUGGESTIONS + 6;
    let mut nodes = vec![node("in", "entry_api")];
    let mut edges = Vec::new();
    let mut prev = ("in".to_string(), "out_request");
    for i in 0..n {
        let id = format!("s{i}");
        let mut s = node(&id, "llm_rigid");
        s["config"]["templat"] = json!("x");
        nodes.push(s);
        edges.push(json!({"id": format!("e{i}"), "type": "sequential",
            "source": {"node": prev.0, "port": prev.1}, "target": {"node": id, "port": "in"}}));
        prev = (id, "out");
    }
    let flow = json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges});
    let out = scaiflow::validate_source(&SourceFile::new("f.json", flow.to_string()));
    let typos = out
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "SF118")
        .count();
    assert_eq!(typos, n, "{:?}", out.diagnostics.first());
}

/// A flow of `mib` MiB: the example with one long template.
fn big_flow(mib: usize) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/customer-support.flow.json")).unwrap();
    let mut flow: serde_json::Value = serde_json::from_str(&text).unwrap();
    let node = flow["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["type"] == "llm_rigid")
        .expect("a rigid node");
    node["config"]["template"] = json!("x".repeat(mib << 20));
    flow.to_string()
}

/// `--max-input-size` raises the input limit and, with it, what the readers of compile's
/// artifacts read: a flow past 16 MiB is refused by default (with the way out in its help),
/// compiles with the flag, and its bundle and manifest read back with the same flag.
#[test]
fn max_input_size_raises_every_reader_together() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("big.flow.json"), big_flow(17)).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scaiflow"))
            .current_dir(p)
            .args(args)
            .args(["--message-format", "json"])
            .output()
            .unwrap()
    };
    let code = |o: &std::process::Output| {
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        s.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["code"].as_str().unwrap().to_string(), v["help"].clone()))
            .collect::<Vec<_>>()
    };
    let out = run(&["validate", "big.flow.json"]);
    assert_eq!(out.status.code(), Some(1));
    let found = code(&out);
    assert_eq!(found[0].0, "SF002");
    assert!(found[0].1.as_str().unwrap().contains("--max-input-size"));
    let out = run(&["validate", "big.flow.json", "--max-input-size", "32MiB"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for (format, file) in [("ir", "big.scir"), ("yaml", "big.yaml")] {
        let out = run(&[
            "compile",
            "--format",
            format,
            "big.flow.json",
            "--out",
            file,
            "--max-input-size",
            "32MiB",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // The bundle (over 16 MiB) is read back only under the same limit.
    assert_eq!(code(&run(&["verify", "big.scir"]))[0].0, "SF002");
    assert_eq!(
        run(&["verify", "big.scir", "--max-input-size", "32MiB"])
            .status
            .code(),
        Some(0)
    );
    // The manifest (34 MiB: the template is written twice) is under import's 64 MiB.
    let out = run(&[
        "import",
        "big.yaml",
        "--out",
        "back.flow.json",
        "--max-input-size",
        "32MiB",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        run(&["validate", "--max-input-size", "nope", "big.flow.json"])
            .status
            .code(),
        Some(2)
    );
}

/// `compile` refuses a bundle its reader would refuse: more bytes than the input limit.
#[test]
fn compile_refuses_a_bundle_larger_than_what_verify_reads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/customer-support.flow.json")).unwrap();
    let src = SourceFile::new("f.flow.json", text);
    let tight = scaiflow::CompileOptions {
        verify: true,
        limits: scaiflow::limits::Limits::with_max_input(1000),
        ..Default::default()
    };
    let err = scaiflow::compile_flow_with(&src, scaiflow::OutputFormat::Ir, tight).unwrap_err();
    let last = err.errors.last().unwrap();
    assert_eq!(last.code.as_str(), "SF004");
    assert!(
        last.message
            .contains("more than the 1000 `scaiflow verify` reads"),
        "{}",
        last.message
    );
    let ok =
        scaiflow::compile_flow_with(&src, scaiflow::OutputFormat::Ir, Default::default()).unwrap();
    let exact = scaiflow::CompileOptions {
        verify: true,
        limits: scaiflow::limits::Limits::with_max_input(ok.bytes.len() as u64),
        ..Default::default()
    };
    assert!(
        scaiflow::compile_flow_with(&src, scaiflow::OutputFormat::Ir, exact).is_ok(),
        "the bound is inclusive"
    );
}
