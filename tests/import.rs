//! `scaiflow import`: YAML manifests back to flow JSON.
//!
//! The property at the heart of it (spec §9): for every valid flow F,
//! `import(compile_yaml(F)) == F` as JSON values, node positions included (they ride in
//! `meta.node_position`; auto-layout only fills in for a manifest without them).

mod common;

use std::path::Path;

use common::{examples, variants};
use scaiflow::diagnostics::render;
use scaiflow::import::import_manifest;
use scaiflow::load::SourceFile;
use scaiflow::{OutputFormat, compile_flow};
use serde_json::{Value, json};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_of(doc: &Value) -> String {
    let src = SourceFile::new("f.flow.json", serde_json::to_string_pretty(doc).unwrap());
    let art = compile_flow(&src, OutputFormat::Yaml)
        .unwrap_or_else(|e| panic!("does not compile: {:?}", e.errors));
    String::from_utf8(art.bytes).unwrap()
}

/// The bundled example `nightly-report.flow.json`.
fn nightly_report() -> Value {
    let text = std::fs::read_to_string(root().join("examples/nightly-report.flow.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn import_text(yaml: &str) -> (Option<Value>, Vec<String>) {
    let out = import_manifest(&SourceFile::new("m.yaml", yaml.to_string()));
    let flow = out.flow.map(|t| serde_json::from_str(&t).unwrap());
    let diags = out
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    (flow, diags)
}

fn assert_round_trip(doc: &Value, what: &str) {
    let (flow, diags) = import_text(&yaml_of(doc));
    let flow = flow.unwrap_or_else(|| panic!("{what}: import failed: {diags:?}"));
    // The only diagnostics are the flow's own warnings (an unreachable node, ...).
    let own: Vec<String> = scaiflow::validate_source(&SourceFile::new("f", doc.to_string()))
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    let got: Vec<String> = diags
        .iter()
        .map(|d| d.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(got, own, "{what}: {diags:?}");
    // Positions too: they ride in `meta.node_position`.
    assert_eq!(flow, *doc, "{what}");
}

#[test]
fn every_example_round_trips_and_keeps_its_key_order() {
    for p in examples() {
        let text = std::fs::read_to_string(&p).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_round_trip(&doc, &p.display().to_string());
        let out = import_manifest(&SourceFile::new("m.yaml", yaml_of(&doc)));
        let imported = out.flow.unwrap();
        let back: Value = serde_json::from_str(&imported).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&back), keys(&doc), "{}", p.display());
        insta::assert_snapshot!(
            format!(
                "imported-{}",
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .trim_end_matches(".flow.json")
            ),
            imported
        );
    }
}

fn node(id: &str, kind: &str, config: Option<Value>) -> Value {
    let mut n = json!({"id": id, "type": kind, "label": format!("{id} ✓ \"yes\""),
        "position": {"x": 3, "y": 4}});
    if let Some(c) = config {
        n["config"] = c;
    }
    n
}

fn edge(id: &str, ty: &str, s: (&str, &str), t: &str, cond: Option<&str>) -> Value {
    let mut e = json!({"id": id, "type": ty, "source": {"node": s.0, "port": s.1},
        "target": {"node": t, "port": "in"}});
    if let Some(c) = cond {
        e["condition"] = c.into();
    }
    e
}

fn models() -> Value {
    json!({"core_identity": {"models": [{"role": "primary", "ref": "scaigrid", "model": "m",
        "temperature": 0.5}]}})
}

/// Shapes the examples do not have: early exits, implicit forks, a node reached from two
/// flows, detached nodes, a node without config, declared ports, data edges, no config.
#[test]
fn unusual_shapes_round_trip() {
    let rigid = || Some(json!({"template": "t {{input.x}}"}));
    let early = json!({"id": "f1", "name": "Early", "version": "1.0.0", "config": models(),
    "nodes": [
        node("node_in", "entry_api", Some(json!({"method": "POST", "path": "/a"}))),
        node("node_d", "logic_decision", Some(json!({}))),
        node("node_err", "llm_rigid", rigid()),
        node("node_x", "llm_rigid", rigid()),
        node("node_y", "llm_rigid", rigid()),
        node("node_j", "llm_rigid", rigid()),
        node("node_lonely", "llm_rigid", rigid()),
    ],
    "edges": [
        edge("e1", "sequential", ("node_in", "out_request"), "node_d", None),
        edge("e2", "conditional", ("node_d", "out"), "node_err", Some("input.bad")),
        edge("e3", "conditional", ("node_d", "out"), "node_x", Some("input.x == 'yes'")),
        edge("e4", "sequential", ("node_d", "out"), "node_y", None),
        edge("e5", "sequential", ("node_x", "out"), "node_j", None),
        edge("e6", "sequential", ("node_y", "out"), "node_j", None),
        edge("d1", "data", ("node_x", "out"), "node_lonely", None),
    ]});
    assert_round_trip(&early, "early exits and a detached node");
    let forks = json!({"id": "f2", "name": "Forks", "version": "2.0.0",
    "nodes": [
        node("node_hook", "entry_webhook", None),
        node("node_cron", "entry_schedule", Some(json!({"cron": "0 2 * * *"}))),
        {"id": "node_a", "type": "llm_rigid", "label": "A", "position": {"x": 0, "y": 0},
         "config": {"template": "a"},
         "inputs": [{"id": "in", "type": "object"}],
         "outputs": [{"id": "out", "label": "out", "type": "string"}, {"id": "aux", "type": "object"}]},
        node("node_b", "llm_rigid", rigid()),
        node("node_c", "llm_rigid", rigid()),
        node("node_shared", "llm_rigid", rigid()),
    ],
    "edges": [
        edge("e1", "sequential", ("node_hook", "out_event"), "node_a", None),
        edge("e2", "sequential", ("node_a", "out"), "node_b", None),
        edge("e3", "sequential", ("node_a", "aux"), "node_c", None),
        edge("e4", "sequential", ("node_b", "out"), "node_shared", None),
        edge("e5", "sequential", ("node_c", "out"), "node_shared", None),
        edge("e6", "sequential", ("node_cron", "out_tick"), "node_shared", None),
    ]});
    assert_round_trip(&forks, "implicit fork, two flows sharing a node, no config");
}

/// Property: generated variants of every example (hostile and YAML-ambiguous strings in
/// labels, templates, goals, configs and metadata) come back identical.
#[test]
fn generated_variants_round_trip() {
    let mut checked = 0;
    for doc in variants(0xdec0_de01, 25) {
        let src = SourceFile::new("v.flow.json", doc.to_string());
        if compile_flow(&src, OutputFormat::Yaml).is_err() {
            continue;
        }
        assert_round_trip(&doc, &format!("variant {checked}"));
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} variants compiled");
}

/// (file, code, severity, message, line, column).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    usize,
);

#[rustfmt::skip]
const EXPECTED: &[Row] = &[
    ("sf113-edited-node-kind.yaml", "SF113", "error", "imported flow, nodes[3].type: unknown node kind 'llm_rigd'", 84, 7),
    ("sf500-duplicate-key.yaml", "SF500", "error", "invalid YAML: duplicate key `name`", 4, 3),
    ("sf500-unclosed-bracket.yaml", "SF500", "error", "invalid YAML: unclosed bracket '{'", 4, 5),
    ("sf501-alias-bomb.yaml", "SF501", "error", "the manifest is too costly to load: its aliases would replay more than 100,000 events (an alias bomb)", 7, 14),
    ("sf501-nested-too-deep.yaml", "SF501", "error", "the manifest is too costly to load: it nests too deeply (`[ ]` / `{ }` collections nest at most 255 levels)", 1, 259),
    ("sf502-core-is-a-string.yaml", "SF502", "error", "`core` must be a mapping, found a string", 1, 1),
    ("sf502-steps-not-a-list.yaml", "SF502", "error", "a flow's `steps` must be a list, found a string", 7, 5),
    ("sf502-top-level-list.yaml", "SF502", "error", "a manifest is a mapping with a `core` mapping; found a list", 1, 1),
    ("sf503-edited-step.yaml", "SF503", "warning", "the `rigid` step of node 'node_summarise' differs from what its `meta` compiles to (edited after compilation?); import rebuilds the node from `meta`, so the edit is not imported", 76, 7),
    ("sf503-edited-step-in-branch.yaml", "SF503", "warning", "the `plugin_call` step of node 'node_escalate' differs from what its `meta` compiles to (edited after compilation?); import rebuilds the node from `meta`, so the edit is not imported", 403, 13),
    ("sf505-flows-order-shared-steps-differently.yaml", "SF505", "warning", "in flow 2 (core.flows[1]) the manifest does not run `fetch` before `notify`, but the imported canvas orders them there too: flows share their nodes' edges, and this edge comes from another flow", 25, 7),
    ("sf504-hand-written.yaml", "SF504", "warning", "hand-written manifest: 2 steps kept verbatim in metadata.unknown_steps, not mapped to nodes", 2, 1),
];

#[test]
fn every_import_fixture_yields_exactly_its_diagnostics() {
    let dir = root().join("fixtures/import");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let source = SourceFile::new(file, text);
        let out = import_manifest(&source);
        let mut diags = out.diagnostics;
        render::prepare(&source, &mut diags);
        let got: Vec<(String, String, String, usize, usize)> = diags
            .iter()
            .map(|d| {
                let (l, c) = d.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
                (
                    d.code.to_string(),
                    d.severity.as_str().to_string(),
                    d.message.clone(),
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
        assert!(!want.is_empty(), "{file} has no table row");
        if got != want {
            failures.push(format!("{file}\n  want {want:?}\n  got  {got:?}"));
        }
        // Errors write nothing; warnings still give a flow.
        let has_error = want.iter().any(|w| w.1 == "error");
        assert_eq!(out.flow.is_none(), has_error, "{file}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every import code has a fixture.
    for info in scaiflow::diagnostics::codes::ALL {
        let c = info.code.as_str();
        if c.starts_with("SF5") {
            assert!(
                EXPECTED.iter().any(|r| r.1 == c),
                "{c} has no import fixture"
            );
        }
    }
}

#[test]
fn a_hand_written_manifest_keeps_its_steps_and_validates() {
    let text =
        std::fs::read_to_string(root().join("fixtures/import/sf504-hand-written.yaml")).unwrap();
    let (flow, _) = import_text(&text);
    let flow = flow.unwrap();
    assert_eq!(
        flow["metadata"]["unknown_steps"],
        json!([{"llm_turn": "Classify the customer intent."},
            {"plugin_call": {"alias": "scaidrive", "method": "search", "args": {"query": "{{input.message}}"}}}])
    );
    assert_eq!(
        flow["config"]["core_identity"]["models"],
        json!([{"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o"}])
    );
    assert_eq!(flow["nodes"][0]["type"], "entry_api");
    assert_eq!(
        flow["nodes"][0]["config"],
        json!({"method": "POST", "path": "/support"})
    );
    assert_eq!(flow["scaicore_target"], "0.2");
    // The manifest's `core`, steps aside, rides along verbatim: nothing is lost.
    let mut core: Value = serde_saphyr::from_str::<Value>(&text).unwrap()["core"].clone();
    core["flows"][0].as_object_mut().unwrap().remove("steps");
    assert_eq!(flow["metadata"]["unknown_core"], core);
    let errors: Vec<String> = scaiflow::validate_source(&SourceFile::new("x", flow.to_string()))
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

fn scaiflow(args: &[&str], stdin: &[u8]) -> std::process::Output {
    common::scaiflow_short(args, stdin)
}

#[test]
fn the_command_line_round_trip_and_safe_writes() {
    let dir = tempfile::tempdir().unwrap();
    let flow = root().join("examples/customer-support.flow.json");
    let yaml = scaiflow(&["compile", flow.to_str().unwrap(), "--out", "-"], b"");
    assert_eq!(yaml.status.code(), Some(0));
    // stdout by default, `-` reads stdin.
    let out = scaiflow(&["import", "-"], &yaml.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back: Value = serde_json::from_slice(&out.stdout).unwrap();
    let original: Value = serde_json::from_str(&std::fs::read_to_string(&flow).unwrap()).unwrap();
    assert_eq!(back, original);
    // --out writes the file; a failing import leaves an existing file untouched.
    let target = dir.path().join("back.flow.json");
    std::fs::write(&target, "keep me").unwrap();
    let out = scaiflow(
        &["import", "-", "--out", target.to_str().unwrap()],
        b"core: [unclosed\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:7: error[SF500]"));
    let out = scaiflow(
        &["import", "-", "--out", target.to_str().unwrap()],
        &yaml.stdout,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("{\n  \"$schema\"")
    );
    // The manifest itself is never the output.
    let m = dir.path().join("m.yaml");
    std::fs::write(&m, &yaml.stdout).unwrap();
    let out = scaiflow(
        &["import", m.to_str().unwrap(), "--out", m.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&m).unwrap(), yaml.stdout);
}

#[test]
fn hostile_manifests_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Over the 64 MiB manifest limit.
    let big = dir.path().join("big.yaml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(scaiflow::import::MAX_MANIFEST_BYTES + 1).unwrap();
    let out = scaiflow(&["import", big.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SF002"));
    for (yaml, code) in [
        ("", "SF502"),
        ("core: ~\n", "SF502"),
        ("core:\n  flows: {}\n", "SF502"),
        (
            "core:\n  flows:\n  - steps:\n    - meta: 3\n  scaiflow_meta: {}\n",
            "SF502",
        ),
        (
            "core:\n  flows: []\n  scaiflow_meta:\n    entries:\n    - node_id: x\n",
            "SF502",
        ),
        ("a: b: c\n", "SF500"),
        ("a: !!binary AAAA\ncore: {flows: []}\n", "SF504"),
    ] {
        let out = scaiflow(&["import", "-"], yaml.as_bytes());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(code), "{yaml:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn hand_written_values_the_schema_refuses_are_not_mapped() {
    let yaml = "core:\n  name: x\n  runtime_version: 1\n  identity: {persona: ''}\n  model: scaigrid/m\n  plugins:\n  - {alias: scai-drive, package: ScaiLabs/Drive}\n  - {alias: drive, package: scailabs/drive@1.0}\n  flows:\n  - name: main\n    trigger: {type: webhook, method: post, path: hooks/x, auth: {type: hmac}}\n    steps: []\n";
    let (flow, diags) = import_text(yaml);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(flow["name"], "x");
    assert!(flow.get("scaicore_target").is_none());
    assert_eq!(
        flow["config"]["plugins"],
        json!([{"alias": "drive", "package": "scailabs/drive@1.0"}])
    );
    assert_eq!(flow["nodes"][0]["config"], json!({}));
    assert_eq!(
        flow["metadata"]["unknown_core"]["flows"][0]["trigger"]["auth"],
        json!({"type": "hmac"})
    );
    let errors = scaiflow::validate_source(&SourceFile::new("x", flow.to_string()))
        .diagnostics
        .into_iter()
        .filter(|d| d.is_error())
        .count();
    assert_eq!(errors, 0);
}

#[test]
fn a_second_import_keeps_the_steps_the_first_kept() {
    let doc = nightly_report();
    let mut with_old = doc.clone();
    with_old["metadata"]["unknown_steps"] = json!([{"rigid": "old hand step"}]);
    let yaml = yaml_of(&with_old).replacen(
        "    steps:\n",
        "    steps:\n    - rigid: new hand step\n",
        1,
    );
    let (flow, _) = import_text(&yaml);
    assert_eq!(
        flow.unwrap()["metadata"]["unknown_steps"],
        json!([{"rigid": "old hand step"}, {"rigid": "new hand step"}])
    );
}

/// Loops nested 150 deep: every stage of import recurses as deep as the manifest nests,
/// including the edit check's extraction on its own thread (which needs a stack as large
/// as the main import thread's).
#[test]
fn deeply_nested_loops_round_trip() {
    const DEPTH: usize = 150;
    let mut nodes = vec![node("node_in", "entry_api", None)];
    let mut edges = Vec::new();
    let mut prev = ("node_in".to_string(), "out_request");
    for i in 0..DEPTH {
        let id = format!("node_loop{i}");
        nodes.push(node(
            &id,
            "logic_loop",
            Some(json!({"style": "foreach", "items": "{{input.xs}}", "item": "x"})),
        ));
        edges.push(edge(
            &format!("e{i}"),
            "sequential",
            (&prev.0, prev.1),
            &id,
            None,
        ));
        prev = (id, "body");
    }
    nodes.push(node("node_x", "llm_rigid", Some(json!({"template": "t"}))));
    edges.push(edge(
        "e_last",
        "sequential",
        (&prev.0, prev.1),
        "node_x",
        None,
    ));
    let doc = json!({"id": "deep", "name": "Deep", "version": "1.0.0", "config": models(),
        "nodes": nodes, "edges": edges});
    assert_round_trip(&doc, "150 nested loops");
}

/// A `node_position` that is not `{x: number, y: number}` is not kept: the node is laid
/// out by its place in step order instead, and the flow validates.
#[test]
fn a_broken_node_position_is_laid_out_again() {
    let doc = nightly_report();
    let yaml = yaml_of(&doc);
    let first = yaml.find("node_position:").unwrap();
    let end = first + yaml[first..].find("\"y\":").unwrap();
    let end = end + yaml[end..].find('\n').unwrap();
    let broken = format!("{}node_position: nowhere{}", &yaml[..first], &yaml[end..]);
    let (flow, diags) = import_text(&broken);
    let flow = flow.unwrap_or_else(|| panic!("import failed: {diags:?}"));
    let moved: Vec<&Value> = flow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(doc["nodes"].as_array().unwrap())
        .filter(|(got, was)| got["position"] != was["position"])
        .map(|(got, _)| &got["position"])
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0]["x"], 0);
    assert!(
        moved[0]["y"]
            .as_u64()
            .unwrap()
            .is_multiple_of(scaiflow::import::LAYOUT_STEP)
    );
}

/// The manifests `compile` writes are read by import's fast reader, anything else by
/// serde-saphyr: both give the same flow and the same diagnostics, and a step edited in a
/// manifest that is still in the writer's layout (read fast, but no longer the text the
/// flow compiles to) is found as when serde-saphyr reads it.
#[test]
fn both_yaml_readers_give_the_same_import_and_find_the_same_edits() {
    let mut edited = 0;
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let yaml = yaml_of(&doc);
        let slow = |y: &str| import_text(&format!("# sent to serde-saphyr by this comment\n{y}"));
        let what = p.display().to_string();
        let fast = import_text(&yaml);
        assert_eq!(fast, slow(&yaml), "{what}");
        // Quoted where the writer writes it plain: the fast reader reads it, its check
        // (writing the value back) refuses it, and serde-saphyr reads it.
        let quoted = yaml.replacen("  mode: stateless\n", "  mode: \"stateless\"\n", 1);
        assert_ne!(quoted, yaml, "{what}");
        assert_eq!(import_text(&quoted), fast, "{what}");
        assert!(!fast.1.iter().any(|d| d.starts_with("SF503")), "{what}");
        // An instruction or a binding edited by hand, the layout kept.
        // (The end of the first such line whose value is plain.)
        let plain = ["llm_turn: ", "\n      bind: "]
            .iter()
            .flat_map(|key| yaml.match_indices(key).map(|(at, k)| at + k.len()))
            .map(|from| from + yaml[from..].find('\n').unwrap())
            .find(|&end| {
                let start = yaml[..end].rfind('\n').map_or(0, |i| i + 1);
                !yaml[start..end].contains(['"', '\'', '|', '>'])
            });
        let Some(end) = plain else {
            continue;
        };
        let changed = format!("{} Edited{}", &yaml[..end], &yaml[end..]);
        let (flow, diags) = import_text(&changed);
        assert!(
            diags.iter().any(|d| d.starts_with("SF503")),
            "{what}: {diags:?}"
        );
        assert_eq!((flow, diags), slow(&changed), "{what}");
        edited += 1;
    }
    assert!(edited >= 3, "{edited} examples with a step to edit");
}

/// Without scaiflow's own `flow_name`, the flow is named by `core.identity.persona`, and
/// by `core.name` when the persona is blank.
#[test]
fn the_flow_is_named_by_the_persona_unless_it_is_blank() {
    // The name `text` imports to, with `line` replaced by `by` (which must be there).
    let name_of = |text: &str, line: &str, by: &str| {
        assert!(text.contains(line), "{text}");
        let edited = text.replacen(line, by, 1);
        let (flow, diags) = import_text(&edited);
        let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
        (flow["name"].clone(), edited)
    };
    let yaml = yaml_of(&nightly_report());
    let (name, unnamed) = name_of(&yaml, "    flow_name: Nightly Metrics Report\n", "");
    assert_eq!(name, "Nightly Metrics Report");
    let persona = "    persona: Nightly Metrics Report\n";
    let (name, _) = name_of(&unnamed, persona, "    persona: '  '\n");
    assert_eq!(name, "nightly-metrics-report");
}
