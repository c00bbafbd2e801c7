//! `scaiflow import` by the documented keys alone (spec §9, `docs/import.md`): a manifest
//! with nothing but what the upstream docs define — step `meta {node_id, node_kind,
//! node_label, node_config}`, `scaiflow_meta {source_id, source_version, scaicore_target,
//! publish_as_model, model_visibility_group_ids, models}`, the core keys and the step
//! structure — imports to a flow that validates and compiles back to the same steps.

mod common;
#[allow(dead_code)]
#[path = "differential/compare.rs"]
mod compare;
#[allow(dead_code)]
#[path = "differential/generate.rs"]
mod generate;
#[allow(dead_code)]
#[path = "differential/graph.rs"]
mod graph;
#[allow(dead_code)]
#[path = "differential/manifest.rs"]
mod manifest;
#[allow(dead_code)]
#[path = "differential/oracle.rs"]
mod oracle;

use std::path::Path;

use common::examples;
use scaiflow::import::{LAYOUT_STEP, import_manifest};
use scaiflow::load::SourceFile;
use scaiflow::{OutputFormat, compile_flow};
use serde_json::{Map, Value};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The manifest of a flow, as data; `None` when the flow does not compile.
fn manifest_of(doc: &Value) -> Option<Value> {
    let src = SourceFile::new("f.flow.json", serde_json::to_string_pretty(doc).unwrap());
    let art = compile_flow(&src, OutputFormat::Yaml).ok()?;
    Some(serde_saphyr::from_str(&String::from_utf8(art.bytes).unwrap()).unwrap())
}

fn keep(m: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    m.iter()
        .filter(|(k, _)| keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A step with only the documented `meta` keys (and `synthetic` when `synthetic`), its
/// nested steps likewise.
fn strip_step(step: &Value, synthetic: bool) -> Value {
    let mut m = step.as_object().unwrap().clone();
    if let Some(Value::Object(meta)) = m.get("meta") {
        let mut keys = vec!["node_id", "node_kind", "node_label", "node_config"];
        if synthetic {
            keys.push("synthetic");
        }
        let meta = keep(meta, &keys);
        m.insert("meta".into(), Value::Object(meta));
    }
    for kw in ["decision", "parallel"] {
        if let Some(Value::Array(bs)) = m.get_mut(kw).and_then(|d| d.get_mut("branches")) {
            for b in bs {
                if let Some(Value::Array(steps)) = b.get_mut("steps") {
                    *steps = steps.iter().map(|s| strip_step(s, synthetic)).collect();
                }
            }
        }
    }
    for kw in ["foreach", "while"] {
        if let Some(Value::Array(steps)) = m.get_mut(kw).and_then(|l| l.get_mut("steps")) {
            *steps = steps.iter().map(|s| strip_step(s, synthetic)).collect();
        }
    }
    Value::Object(m)
}

/// The manifest with every key the upstream docs do not define removed.
fn documented_only(manifest: &Value, synthetic: bool) -> Value {
    let core = manifest["core"].as_object().unwrap();
    let mut c = keep(
        core,
        &[
            "name",
            "mode",
            "runtime_version",
            "identity",
            "model",
            "plugins",
            "capabilities",
            "scaiqueue",
            "flows",
        ],
    );
    let flows: Vec<Value> = core["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = keep(
                f.as_object().unwrap(),
                &["name", "trigger", "additional_triggers", "steps"],
            );
            let steps: Vec<Value> = f["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| strip_step(s, synthetic))
                .collect();
            f.insert("steps".into(), steps.into());
            Value::Object(f)
        })
        .collect();
    c.insert("flows".into(), flows.into());
    let sm = keep(
        core["scaiflow_meta"].as_object().unwrap(),
        &[
            "source_id",
            "source_version",
            "scaicore_target",
            "publish_as_model",
            "model_visibility_group_ids",
            "models",
        ],
    );
    c.insert("scaiflow_meta".into(), Value::Object(sm));
    serde_json::json!({ "core": c })
}

/// Imports manifest data (written as YAML); the flow and the diagnostics.
fn import(manifest: &Value) -> (Option<Value>, Vec<String>) {
    let yaml = serde_saphyr::to_string(manifest).unwrap();
    import_yaml(&yaml)
}

fn import_yaml(yaml: &str) -> (Option<Value>, Vec<String>) {
    let out = import_manifest(&SourceFile::new("m.yaml", yaml.to_string()));
    let diags = out
        .diagnostics
        .iter()
        .map(|d| format!("{} {}: {}", d.code, d.severity.as_str(), d.message))
        .collect();
    (out.flow.map(|t| serde_json::from_str(&t).unwrap()), diags)
}

/// The flows' triggers and steps, documented keys only.
fn steps_of(manifest: &Value) -> Value {
    documented_only(manifest, true)["core"]["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!({"trigger": f["trigger"], "additional_triggers": f["additional_triggers"],
                "steps": f["steps"]})
        })
        .collect()
}

/// Strip → import → validate → compile: the same steps (keywords, node ids, structure,
/// bindings, `data_from`) and triggers. Returns the number of checks made.
fn assert_documented_round_trip(doc: &Value, what: &str) -> usize {
    let Some(manifest) = manifest_of(doc) else {
        return 0;
    };
    let mut n = 0;
    for synthetic in [true, false] {
        let stripped = documented_only(&manifest, synthetic);
        let (flow, diags) = import(&stripped);
        let flow = flow.unwrap_or_else(|| panic!("{what} (synthetic {synthetic}): {diags:?}"));
        let errors: Vec<&String> = diags.iter().filter(|d| d.contains(" error:")).collect();
        assert!(errors.is_empty(), "{what}: {errors:?}");
        let edited: Vec<&String> = diags.iter().filter(|d| d.starts_with("SF503")).collect();
        assert!(
            edited.is_empty(),
            "{what} (synthetic {synthetic}): {edited:?}"
        );
        // Without `node_position`: auto-layout, one column 120 px apart in step order.
        for (i, n) in flow["nodes"].as_array().unwrap().iter().enumerate() {
            assert_eq!(n["position"]["x"], 0, "{what}");
            assert_eq!(
                n["position"]["y"].as_u64().unwrap() % LAYOUT_STEP,
                0,
                "{what}: {i}"
            );
        }
        let again = manifest_of(&flow).unwrap_or_else(|| panic!("{what}: does not compile again"));
        assert_eq!(
            steps_of(&again),
            steps_of(&manifest),
            "{what} (synthetic {synthetic})\nimported: {}",
            serde_json::to_string_pretty(&flow).unwrap()
        );
        // Same registry, plugins, capabilities, queues and deploy intents.
        for k in ["model", "plugins", "capabilities", "scaiqueue"] {
            assert_eq!(again["core"][k], manifest["core"][k], "{what}: core.{k}");
        }
        for k in [
            "source_id",
            "source_version",
            "scaicore_target",
            "publish_as_model",
            "model_visibility_group_ids",
            "models",
        ] {
            assert_eq!(
                again["core"]["scaiflow_meta"][k], manifest["core"]["scaiflow_meta"][k],
                "{what}: scaiflow_meta.{k}"
            );
        }
        n += 1;
    }
    n
}

#[test]
fn every_example_imports_from_its_documented_keys() {
    let mut checked = 0;
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        checked += assert_documented_round_trip(&doc, &p.display().to_string());
    }
    assert!(checked >= 2 * examples().len(), "{checked}");
}

#[test]
fn every_documented_flow_example_imports_from_its_documented_keys() {
    let dir = root().join("tests/docs_examples");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().ends_with(".flow.json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        checked += assert_documented_round_trip(&doc, &p.display().to_string());
    }
    assert!(checked > 20, "{checked}");
}

/// How a generated flow fares: `None` when it does not compile (random DAGs may be
/// refused), else whether the documented round trip holds, and its number of flows.
fn try_round_trip(doc: &Value) -> Option<(bool, usize)> {
    let flows = manifest_of(doc)?["core"]["flows"].as_array().unwrap().len();
    let doc = doc.clone();
    let ok =
        std::panic::catch_unwind(move || assert_documented_round_trip(&doc, "generated")).is_ok();
    Some((ok, flows))
}

#[test]
fn generated_flows_import_from_their_documented_keys() {
    // (The panics of failing round trips are caught; keep their messages quiet.)
    std::panic::set_hook(Box::new(|_| {}));
    let mut single = (0, 0);
    let mut shared = (0, 0);
    let mut failed = Vec::new();
    for seed in 0..200u64 {
        for (family, doc) in [
            ("structured", generate::structured(seed).flow),
            ("random DAG", generate::random_dag(seed)),
        ] {
            let Some((ok, flows)) = try_round_trip(&doc) else {
                continue;
            };
            let tally = if flows == 1 { &mut single } else { &mut shared };
            tally.0 += 1;
            if ok {
                tally.1 += 1;
            } else {
                failed.push(format!("{family} seed {seed} ({flows} flows)"));
            }
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "one flow: {}/{} round-trip; several flows: {}/{}",
        single.1, single.0, shared.1, shared.0
    );
    // Known limits (docs/import.md, "What the structure cannot give back"): a parallel
    // that starts after several exits, where the lowering added order (an "N"), and
    // flows that share nodes. The counts are a floor: a regression lowers them.
    println!("not rebuilt exactly: {failed:?}");
    assert!(single.0 >= 130 && single.1 >= 129, "{single:?}");
    assert!(shared.0 >= 130 && shared.1 >= 108, "{shared:?}");
}

/// Our own manifest keeps the canvas layout: positions ride in `meta.node_position`.
#[test]
fn our_own_manifest_keeps_positions() {
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let manifest = manifest_of(&doc).unwrap();
        let (flow, diags) = import(&manifest);
        let flow = flow.unwrap_or_else(|| panic!("{}: {diags:?}", p.display()));
        assert_eq!(flow, doc, "{}", p.display());
    }
}

#[test]
fn the_documented_compilation_targets_manifest_imports_and_validates() {
    let text = std::fs::read_to_string(
        root().join("tests/docs_examples/31-manifest-compilation-targets.yaml"),
    )
    .unwrap();
    let (flow, diags) = import_yaml(&text);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
    assert!(diags.iter().all(|d| !d.contains(" error:")), "{diags:?}");
    assert_eq!(flow["id"], "flow_abc123");
    assert_eq!(flow["name"], "Customer Support Agent");
    assert_eq!(flow["version"], "1.0.0");
    assert_eq!(flow["config"]["publish_as_model"], true);
    assert_eq!(
        flow["config"]["core_identity"]["models"][0]["ref"],
        "scaigrid"
    );
    assert_eq!(flow["config"]["plugins"][0]["alias"], "scaidrive");
    assert_eq!(flow["config"]["bunker"]["lifecycle"], "ephemeral");
    // The entry from the trigger; every step's `meta` lacks `node_label` / `node_config`
    // (and most a `node_kind`), so none is a node record: the steps are kept.
    let ids: Vec<&str> = flow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["node_trigger_1"], "{diags:?}");
    assert_eq!(flow["edges"], serde_json::json!([]));
    assert_eq!(
        flow["metadata"]["unknown_steps"].as_array().unwrap().len(),
        4
    );
    // `queues: [...]` is not a queue list the schema accepts: kept, not mapped.
    assert!(flow["metadata"]["unknown_core"]["scaiqueue"].is_object());
    let validated = scaiflow::validate_source(&SourceFile::new("f", flow.to_string()));
    assert!(
        validated.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        validated.diagnostics
    );
}

#[test]
fn the_one_step_documented_meta_example_imports() {
    let text = std::fs::read_to_string(
        root().join("tests/docs_examples/32-manifest-import-meta-step.yaml"),
    )
    .unwrap();
    let (flow, diags) = import_yaml(&text);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
    let node = &flow["nodes"][1];
    assert_eq!(node["id"], "node_classify");
    assert_eq!(node["type"], "llm_flexible");
    assert_eq!(node["label"], "Classify Intent");
    assert_eq!(node["config"]["model"], "fast");
    assert_eq!(flow["nodes"][0]["type"], "entry_api");
    assert_eq!(flow["edges"].as_array().unwrap().len(), 1);
    assert!(flow["metadata"].get("unknown_steps").is_none());
    // No `scaiflow_meta`: a draft. The undeclared role `fast` (the registry from
    // `core.model` has only `primary`) is a warning, not an error.
    assert!(
        diags.iter().any(|d| d.starts_with("SF300 warning")),
        "{diags:?}"
    );
    assert!(diags.iter().all(|d| !d.contains(" error:")), "{diags:?}");
}

#[test]
fn a_hand_written_manifest_without_meta_still_lands_in_unknown_steps() {
    let text =
        std::fs::read_to_string(root().join("tests/docs_examples/33-manifest-hand-written.yaml"))
            .unwrap();
    let (flow, diags) = import_yaml(&text);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(
        flow["metadata"]["unknown_steps"],
        serde_json::json!([{"llm_turn": "..."}])
    );
    assert_eq!(
        flow["config"]["core_identity"]["models"],
        serde_json::json!([{"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o"}])
    );
    assert_eq!(flow["edges"], serde_json::json!([]));
    // A step without meta beside steps with meta: only it is unknown.
    let mixed = text.replace(
        "        - llm_turn: \"...\"",
        "        - llm_turn: \"...\"\n        - rigid: \"t\"\n          meta: {node_id: node_t, node_kind: llm_rigid, node_label: T, node_config: {template: \"t\"}}",
    );
    let (flow, diags) = import_yaml(&mixed);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(
        flow["metadata"]["unknown_steps"],
        serde_json::json!([{"llm_turn": "..."}])
    );
    assert_eq!(flow["nodes"][1]["id"], "node_t");
    // The unknown step is passed over: the trigger leads to the node.
    assert_eq!(flow["edges"][0]["target"]["node"], "node_t");
}

/// The documented compilation-targets manifest completed with documented keys only
/// (`docs_examples/34`): it imports without a single diagnostic, the flow validates, and it
/// compiles back to the same four steps (keywords and node ids, in order) and trigger.
#[test]
fn the_completed_compilation_targets_manifest_round_trips() {
    let text = std::fs::read_to_string(
        root().join("tests/docs_examples/34-manifest-compilation-targets-completed.yaml"),
    )
    .unwrap();
    let (flow, diags) = import_yaml(&text);
    assert_eq!(diags, Vec::<String>::new());
    let flow = flow.unwrap();
    let again = manifest_of(&flow).expect("the imported flow compiles");
    let shape = |m: &Value| -> Vec<(String, String)> {
        m["core"]["flows"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let keyword = s
                    .as_object()
                    .unwrap()
                    .keys()
                    .find(|k| {
                        !["meta", "bind", "guarded", "guard", "role", "data_from"]
                            .contains(&k.as_str())
                    })
                    .unwrap()
                    .clone();
                (keyword, s["meta"]["node_id"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let original: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(shape(&again), shape(&original));
    assert_eq!(shape(&original).len(), 4);
    assert_eq!(again["core"]["flows"][0]["trigger"]["type"], "api");
    assert_eq!(
        again["core"]["flows"][0]["steps"][3]["checkpoint"]["scope"], "support",
        "the scope is back-filled from core.scaiqueue"
    );
}

/// A generated flow's manifest stripped to the documented keys (with and without
/// `meta.synthetic`) should import without an error into a flow that compiles again.
/// All 160 do (with and without the markers). The counts are a floor and the failing
/// seeds are printed (`SHOW_IMPORT_FAILURES=1` prints each one's errors).
#[test]
fn every_generated_manifest_imports_and_compiles_again_from_its_documented_keys() {
    let mut tally = [(0, 0); 2]; // (checked, ok) with and without `meta.synthetic`
    let mut failed: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    for seed in 0..120u64 {
        for doc in [generate::structured(seed).flow, generate::random_dag(seed)] {
            let Some(manifest) = manifest_of(&doc) else {
                continue;
            };
            for (k, synthetic) in [true, false].into_iter().enumerate() {
                let stripped = documented_only(&manifest, synthetic);
                let (flow, diags) = import(&stripped);
                let errors = diags.iter().any(|d| d.contains(" error:"));
                let ok = !errors && flow.as_ref().and_then(manifest_of).is_some();
                if !ok && std::env::var_os("SHOW_IMPORT_FAILURES").is_some() {
                    eprintln!(
                        "seed {seed} synthetic {synthetic}: {:?}",
                        diags
                            .iter()
                            .filter(|d| d.contains(" error:"))
                            .collect::<Vec<_>>()
                    );
                }
                tally[k].0 += 1;
                if ok {
                    tally[k].1 += 1;
                } else {
                    failed[k].push(seed);
                }
            }
        }
    }
    println!(
        "with meta.synthetic: {:?}, failing seeds {:?}",
        tally[0], failed[0]
    );
    println!("without: {:?}, failing seeds {:?}", tally[1], failed[1]);
    assert!(tally[0].0 >= 150, "{tally:?}");
    assert!(
        tally[0].1 >= 160 && tally[1].1 >= 160,
        "{tally:?} {failed:?}"
    );
}

// ---- Edges from the structure: regression tests (issue 11) ----

/// A rigid step of node `id` (ids must not be YAML booleans such as `y` or `n`).
fn node_step(id: &str) -> String {
    format!(
        "{{rigid: \"step {id}\", meta: {{node_id: {id}, node_kind: llm_rigid, node_label: {id}, node_config: {{template: \"step {id}\"}}}}}}"
    )
}

fn logic_meta(id: &str, kind: &str, config: &str) -> String {
    format!("meta: {{node_id: {id}, node_kind: {kind}, node_label: {id}, node_config: {config}}}")
}

/// Imports a one-flow manifest with the documented keys only; the rebuilt control and
/// data edges as `source.port -condition-> target` (`->` when sequential, `~>` data), and
/// whether the flow compiles again.
fn rebuilt_edges(steps: &str) -> (Vec<String>, bool) {
    rebuilt_edges_of_flows(&[steps])
}

/// [`rebuilt_edges`] of a manifest with one flow per element of `flows` (its steps), each
/// with its own api trigger.
fn rebuilt_edges_of_flows(flows: &[&str]) -> (Vec<String>, bool) {
    let mut yaml = "core:\n  name: t\n  mode: stateless\n  runtime_version: \"0.2\"\n  model: scaigrid/m\n  scaiflow_meta: {source_id: t}\n  flows:\n".to_string();
    for (i, steps) in flows.iter().enumerate() {
        let name = if i == 0 {
            "t".to_string()
        } else {
            format!("t-{i}")
        };
        yaml +=
            &format!("    - name: {name}\n      trigger: {{type: api}}\n      steps: {steps}\n");
    }
    let (flow, diags) = import_yaml(&yaml);
    let flow = flow.unwrap_or_else(|| panic!("{diags:?}\n{yaml}"));
    let edges = flow["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let arrow = match (e["type"].as_str().unwrap(), e["condition"].as_str()) {
                ("data", _) => "~>".to_string(),
                (_, Some(c)) => format!("-{c}->"),
                _ => "->".to_string(),
            };
            format!(
                "{}.{} {arrow} {}",
                e["source"]["node"].as_str().unwrap(),
                e["source"]["port"].as_str().unwrap(),
                e["target"]["node"].as_str().unwrap()
            )
        })
        .collect();
    (edges, manifest_of(&flow).is_some())
}

/// Seeds 16 and 35: a decision without a `when: "true"` branch, followed by a step. When
/// no branch holds the next step still runs (docs/semantics.md §5): the decision's
/// fallthrough leads to it — and an arm that stops inside (a nested decision without
/// fallthrough) likewise.
#[test]
fn a_decision_without_true_branch_lets_the_next_step_run() {
    let steps = format!(
        "[{{decision: {{branches: [{{when: a, steps: [{x}, {{decision: {{branches: [{{when: b, steps: [{z}]}}]}}, {d2}}}]}}]}}, {d}}}, {v}]",
        x = node_step("x"),
        z = node_step("z"),
        v = node_step("v"),
        d = logic_meta("d", "logic_decision", "{}"),
        d2 = logic_meta("d2", "logic_decision", "{}"),
    );
    let (edges, compiles) = rebuilt_edges(&steps);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> d",
            "d.out -a-> x",
            "x.out -> d2",
            "d2.out -b-> z",
            "z.out -> v",
            "d2.out -> v",
            "d.out -> v",
        ]
    );
    assert!(compiles);
}

/// ... but only where the step after it would not run otherwise: beside a parallel branch
/// that always leads on, the decision keeps no fallthrough (exact round trips).
#[test]
fn a_decision_beside_a_branch_that_always_leads_on_gets_no_fallthrough() {
    let steps = format!(
        "[{{parallel: {{branches: [{{steps: [{{decision: {{branches: [{{when: a, steps: [{x}]}}]}}, {d}}}]}}, {{steps: [{w}]}}]}}, {p}}}, {v}]",
        x = node_step("x"),
        w = node_step("w"),
        v = node_step("v"),
        d = logic_meta("d", "logic_decision", "{}"),
        p = logic_meta("p", "logic_parallel", "{}"),
    );
    let (edges, compiles) = rebuilt_edges(&steps);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> p",
            "p.out -> d",
            "d.out -a-> x",
            "p.out -> w",
            "x.out -> v",
            "w.out -> v",
        ]
    );
    assert!(compiles);
}

/// Seed 16: a `logic_parallel` whose `parallel` has no branches still leads to the next
/// step (it was a dead end, so the step after it ran only through other arms).
#[test]
fn a_logic_parallel_without_branches_leads_on() {
    let steps = format!(
        "[{{parallel: {{branches: []}}, {p}}}, {v}]",
        v = node_step("v"),
        p = logic_meta("p", "logic_parallel", "{}"),
    );
    let (edges, compiles) = rebuilt_edges(&steps);
    assert_eq!(edges, ["node_trigger_1.out_request -> p", "p.out -> v"]);
    assert!(compiles);
}

/// Seeds 64 and 106 without `meta.synthetic`: a loop body that starts with the loop's own
/// fork (a `parallel` whose `meta` is the loop's) branches from the `body` port; it is not
/// the loop's step again (which wired the loop to itself, SF208).
#[test]
fn a_loop_body_may_start_with_the_loops_fork() {
    let l = logic_meta(
        "l",
        "logic_loop",
        "{style: while, condition: \"input.k > 0\", max_iterations: 3}",
    );
    let steps = format!(
        "[{{while: {{condition: \"input.k > 0\", max_iterations: 3, steps: [{{parallel: {{branches: [{{steps: [{x}]}}, {{steps: [{z}]}}]}}, {l}}}]}}, {l}}}, {v}]",
        x = node_step("x"),
        z = node_step("z"),
        v = node_step("v"),
    );
    let (edges, compiles) = rebuilt_edges(&steps);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> l",
            "l.body -> x",
            "l.body -> z",
            "l.done -> v",
        ]
    );
    assert!(compiles);
}

/// Seed 51: an empty arm that meets several steps at once (a parallel after it) leads to
/// one of them only — the one another flow already leads it to, not the first (two
/// fallthroughs, SF215).
#[test]
fn an_empty_arm_before_a_parallel_joins_the_edge_another_flow_has() {
    let d = format!(
        "{{decision: {{branches: [{{when: \"true\", steps: []}}]}}, {}}}",
        logic_meta("d", "logic_decision", "{}")
    );
    let p = logic_meta("p", "logic_parallel", "{}");
    let first = format!(
        "[{{parallel: {{branches: [{{steps: [{d}]}}, {{steps: [{a}]}}]}}, {p}}}, {{parallel: {{branches: [{{steps: [{b}]}}, {{steps: [{w}]}}]}}, {p}}}]",
        a = node_step("a"),
        b = node_step("b"),
        w = node_step("w"),
    );
    let second = format!("[{d}, {w}]", w = node_step("w"));
    let (edges, compiles) = rebuilt_edges_of_flows(&[&first, &second]);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> p",
            "p.out -> d",
            "p.out -> a",
            "a.out -> b",
            "a.out -> w",
            "node_trigger_2.out_request -> d",
            "d.out -> w",
        ]
    );
    assert!(compiles);
}

/// Seeds 2, 9 and 89: an edge one flow's structure gives only to order a step that runs
/// anyway (from a parallel branch beside one that always leads on) is dropped when its
/// source also runs in another flow that does not give it: there it would make the step
/// run (here `w` in the second flow, which does not have it).
#[test]
fn an_edge_for_order_only_does_not_run_a_step_in_another_flow() {
    let d = format!(
        "{{decision: {{branches: [{{when: a, steps: [{x}]}}]}}, {}}}",
        logic_meta("d", "logic_decision", "{}"),
        x = node_step("x"),
    );
    let first = format!(
        "[{{parallel: {{branches: [{{steps: [{d}]}}, {{steps: [{m}]}}]}}, {p}}}, {w}]",
        m = node_step("m"),
        w = node_step("w"),
        p = logic_meta("p", "logic_parallel", "{}"),
    );
    let second = format!("[{d}]");
    let (edges, compiles) = rebuilt_edges_of_flows(&[&first, &second]);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> p",
            "p.out -> d",
            "d.out -a-> x",
            "p.out -> m",
            "m.out -> w",
            "node_trigger_2.out_request -> d",
        ]
    );
    assert!(compiles);
    // In one flow the edge stays: it keeps the manifest's order.
    let (edges, _) = rebuilt_edges_of_flows(&[&first]);
    assert!(edges.contains(&"x.out -> w".to_string()), "{edges:?}");
}

/// The first difference between the executions of an imported flow's graph and those of
/// the manifest it was imported from (docs/semantics.md §2 vs §5), under the differential
/// suite's oracles: the manifest must run exactly the graph's nodes and order at least
/// what the graph orders. `None` when they agree.
fn import_difference(stripped: &Value, flow: &Value, seed: u64) -> Option<String> {
    let g = graph::Graph::parse(flow).ok()?;
    if let Some(p) = &g.problem {
        return Some(format!("the imported graph has no meaning: {p}"));
    }
    // The imported entries come first, one per supported trigger, in manifest order.
    let entry_ids: Vec<String> = g.entries().iter().map(|&e| g.ids[e].clone()).collect();
    let mut records = Vec::new();
    let mut ids = entry_ids.iter();
    for f in stripped["core"]["flows"].as_array().unwrap() {
        let triggers = std::iter::once(&f["trigger"])
            .chain(f["additional_triggers"].as_array().into_iter().flatten());
        for t in triggers {
            if ["api", "webhook", "schedule"].contains(&t["type"].as_str().unwrap_or("")) {
                let id = ids.next()?;
                records.push(serde_json::json!({"node_id": id, "flow": f["name"]}));
            }
        }
    }
    let mut m = stripped.clone();
    m["core"]["scaiflow_meta"]["entries"] = Value::Array(records);
    for entry in &entry_ids {
        for o in oracle::Oracle::family(seed, 24) {
            match compare::check(&g, &m, entry, &o) {
                compare::Verdict::Faithful => {}
                compare::Verdict::Mismatch(d) | compare::Verdict::GraphInvalid(d) => {
                    return Some(format!("entry {entry}: {d}\n{}", o.describe()));
                }
            }
        }
    }
    None
}

/// The imported graphs run exactly what their manifests run (docs/semantics.md §2 vs §5):
/// for generated flows whose stripped manifests import, the graph's executions under the
/// differential suite's oracles are the manifest's (it may order more than the graph).
#[test]
fn every_imported_graph_runs_what_its_manifest_runs() {
    let mut checked = 0;
    let mut failed = Vec::new();
    let mut warned = Vec::new();
    for seed in (0..200u64).chain([218, 245, 281]) {
        for doc in [generate::structured(seed).flow, generate::random_dag(seed)] {
            let Some(manifest) = manifest_of(&doc) else {
                continue;
            };
            for synthetic in [true, false] {
                let stripped = documented_only(&manifest, synthetic);
                let (Some(flow), diags) = import(&stripped) else {
                    continue;
                };
                checked += 1;
                let sf505 = diags.iter().any(|d| d.starts_with("SF505 warning"));
                if sf505 {
                    warned.push(seed);
                }
                // (The interpreter tells synthetic steps by their marker; the manifest
                // means the same with or without it.)
                let marked = documented_only(&manifest, true);
                let differs = import_difference(&marked, &flow, seed);
                if let Some(d) = &differs {
                    if std::env::var_os("SHOW_IMPORT_FAILURES").is_some() {
                        eprintln!("seed {seed} synthetic {synthetic}: {d}");
                    }
                    failed.push(seed);
                }
                // Import says so exactly when its canvas differs (SF505, docs/import.md).
                assert_eq!(
                    sf505,
                    differs.is_some(),
                    "seed {seed} synthetic {synthetic}: SF505 {sf505}, differs {differs:?}, {diags:?}"
                );
            }
        }
    }
    println!("imported graphs: {checked}, differing from their manifests: {failed:?}");
    // Known limit (docs/import.md): flows that share nodes and run them differently
    // cannot be drawn on one canvas: 6 of the first 200 seeds today, with and without
    // `meta.synthetic`, each warned (over 1,000 seeds: 20 of 2,538 imports, all warned,
    // no false warning). Seed 281: a step no edge fully runs (the starved case).
    assert!(checked >= 500, "{checked}");
    assert!(failed.contains(&281), "{failed:?}");
    assert!(failed.len() <= 18, "{failed:?}");
    assert_eq!(warned, failed);
}

/// Seeds 38 and 103: of the branches of a parallel that each lead on, one edge into the
/// step after it is enough; the others only order it and are dropped where their source
/// runs in another flow that does not give them (`r` leads to `x` only, in the second).
#[test]
fn one_of_several_branches_that_lead_on_is_enough() {
    let p = format!(
        "{{parallel: {{branches: []}}, {}}}",
        logic_meta("p", "logic_parallel", "{}")
    );
    let r = |body: &str| {
        format!(
            "{{parallel: {{branches: [{body}]}}, {}}}",
            logic_meta("r", "logic_parallel", "{}")
        )
    };
    let first = format!(
        "[{{parallel: {{branches: [{{steps: [{p}]}}, {{steps: [{r}]}}]}}, {q}}}, {w}]",
        r = r(""),
        q = logic_meta("q", "logic_parallel", "{}"),
        w = node_step("w"),
    );
    let second = format!("[{}]", r(&format!("{{steps: [{}]}}", node_step("x"))));
    let (edges, compiles) = rebuilt_edges_of_flows(&[&first, &second]);
    assert_eq!(
        edges,
        [
            "node_trigger_1.out_request -> q",
            "q.out -> p",
            "q.out -> r",
            "p.out -> w",
            "node_trigger_2.out_request -> r",
            "r.out -> x",
        ]
    );
    assert!(compiles);
}
