//! `compile --format yaml`: the manifest of every example (insta), the documented compiler
//! defaults, YAML 1.1/1.2 agreement, determinism.

mod common;

use common::{Rng, TRICKY, examples, scramble};

use scaiflow::load::{SourceFile, read_source};
use scaiflow::{OutputFormat, compile_flow};

fn yaml_of(source: &SourceFile) -> String {
    let art = compile_flow(source, OutputFormat::Yaml)
        .unwrap_or_else(|e| panic!("{}: {:?}", e, e.errors));
    String::from_utf8(art.bytes).unwrap()
}

#[test]
fn example_manifests() {
    for p in examples() {
        let source = read_source(&p).unwrap();
        let name = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".flow.json", "");
        insta::assert_snapshot!(format!("manifest-{name}"), yaml_of(&source));
    }
}

use scaiflow::analyze::analyze_value;
use scaiflow::emit::yaml::manifest;
use scaiflow::lower::{core::lower, structure};
use serde_json::{Value, json};

/// The manifest as data (what the YAML text must load back to).
fn manifest_of(doc: &Value) -> Value {
    let a = analyze_value(doc).analyzed.expect("valid flow");
    let bodies = structure(&a).unwrap();
    manifest(&a, &lower(&a, &bodies))
}

fn compile_value(doc: &Value) -> String {
    let src = SourceFile::new("t.flow.json", serde_json::to_string_pretty(doc).unwrap());
    yaml_of(&src)
}

/// Loads YAML with PyYAML's `safe_load` (YAML 1.1, what ScaiCore uses) into JSON.
fn pyyaml(text: &str) -> Value {
    pyyaml_all(&[text.to_string()]).remove(0)
}

/// Loads several YAML texts with PyYAML (one Python process for all of them).
fn pyyaml_all(texts: &[String]) -> Vec<Value> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml; json.dump([yaml.safe_load(t) for t in json.load(sys.stdin)], sys.stdout)",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed for the YAML 1.1 check");
    let input = serde_json::to_vec(texts).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "PyYAML failed (install it: pip install pyyaml): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Loads YAML as YAML 1.2 (serde-saphyr's parser).
fn yaml12(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).expect("YAML 1.2 parse")
}

/// A flow whose labels, templates and configs are all YAML-ambiguous strings.
fn tricky_flow() -> Value {
    let mut nodes = vec![json!({"id": "node_in", "type": "entry_api", "label": "yes",
        "position": {"x": 0, "y": 0}, "config": {"path": "/on", "method": "POST"}})];
    let mut edges = Vec::new();
    let mut prev = ("node_in".to_string(), "out_request".to_string());
    for (i, s) in TRICKY.iter().enumerate() {
        let id = format!("node_t{i}");
        nodes.push(
            json!({"id": id, "type": "llm_rigid", "label": s, "position": {"x": 0, "y": i},
            "config": {"template": s, "extra": {"key": s, "list": [s, s]}}}),
        );
        edges.push(json!({"id": format!("e{i}"), "type": "sequential",
            "source": {"node": prev.0, "port": prev.1}, "target": {"node": id, "port": "in"}}));
        prev = (id, "out".to_string());
    }
    // Numbers must keep their type: an integer stays an integer, a float a float.
    let numbers = json!([
        3,
        3.0,
        -7,
        0.1,
        1e20,
        -2.5e-8,
        18446744073709551615u64,
        -9223372036854775808i64,
        0,
        -0.0,
        1.7976931348623157e308
    ]);
    json!({"id": "no", "name": "0.2", "version": "1.0.0", "scaicore_target": "0.2",
        "metadata": {"description": "null", "tags": TRICKY, "numbers": numbers},
        "nodes": nodes, "edges": edges})
}

#[test]
fn manifests_load_the_same_in_yaml_1_1_and_1_2() {
    let mut docs: Vec<Value> = examples()
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    docs.push(tricky_flow());
    for doc in docs {
        let want = manifest_of(&doc);
        let text = compile_value(&doc);
        assert_eq!(pyyaml(&text), want, "YAML 1.1 (PyYAML) disagrees:\n{text}");
        assert_eq!(yaml12(&text), want, "YAML 1.2 disagrees:\n{text}");
    }
}

#[test]
fn compiling_is_deterministic() {
    for p in examples() {
        let source = read_source(&p).unwrap();
        let first = yaml_of(&source);
        for _ in 0..3 {
            assert_eq!(yaml_of(&source), first);
        }
    }
    let doc = tricky_flow();
    assert_eq!(compile_value(&doc), compile_value(&doc));
}

type Seen = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// Collects (node kind → step keywords) from a manifest's steps, recursively.
fn keywords(steps: &Value, out: &mut Seen) {
    for s in steps.as_array().unwrap() {
        let o = s.as_object().unwrap();
        let kw = o.keys().next().unwrap().clone();
        if let Some(kind) = s["meta"]["node_kind"].as_str() {
            out.entry(kind.to_string()).or_default().insert(kw);
        }
        for key in ["decision", "parallel"] {
            if let Some(b) = s[key]["branches"].as_array() {
                for arm in b {
                    keywords(&arm["steps"], out);
                }
            }
        }
        for key in ["foreach", "while"] {
            if s.get(key).is_some() {
                keywords(&s[key]["steps"], out);
            }
        }
    }
}

/// Every one of the 24 kinds lowers to its documented construct (docs/yaml-manifest.md).
#[test]
fn every_node_kind_lowers_to_its_construct() {
    let mut got = Seen::new();
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let m = manifest_of(&doc);
        for f in m["core"]["flows"].as_array().unwrap() {
            keywords(&f["steps"], &mut got);
        }
        for e in m["core"]["scaiflow_meta"]["entries"].as_array().unwrap() {
            got.entry(e["node_kind"].as_str().unwrap().to_string())
                .or_default()
                .insert("trigger".into());
        }
    }
    let want: Seen = [
        ("entry_api", "trigger"),
        ("entry_webhook", "trigger"),
        ("entry_schedule", "trigger"),
        ("llm_rigid", "rigid"),
        ("llm_guarded", "llm_turn"),
        ("llm_flexible", "llm_turn"),
        ("logic_decision", "decision"),
        ("logic_loop", "foreach/while"),
        ("logic_parallel", "parallel"),
        ("tool_plugin", "plugin_call"),
        ("tool_http", "plugin_call"),
        ("data_variable_set", "assign"),
        ("checkpoint", "checkpoint"),
        ("hitl_decision", "checkpoint"),
        ("hitl_review", "checkpoint"),
        ("queue_publish", "plugin_call"),
        ("queue_consume", "plugin_call"),
        ("queue_escalation", "plugin_call"),
        ("compute_provision", "plugin_call"),
        ("compute_exec", "plugin_call"),
        ("compute_file_upload", "plugin_call"),
        ("compute_file_download", "plugin_call"),
        ("compute_destroy", "plugin_call"),
        ("subflow_call", "core_call"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.split('/').map(str::to_string).collect()))
    .collect();
    assert_eq!(got, want);
}

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "type": kind, "label": id, "position": {"x": 0, "y": 0}, "config": config})
}

fn chain(nodes: Vec<Value>, extra: Value) -> Value {
    let ids: Vec<String> = nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    let mut edges = Vec::new();
    for w in ids.windows(2) {
        let port = if w[0] == "node_in" {
            "out_request"
        } else {
            "out"
        };
        edges.push(json!({"id": format!("e_{}", w[1]), "type": "sequential",
            "source": {"node": w[0], "port": port}, "target": {"node": w[1], "port": "in"}}));
    }
    let mut doc = json!({"id": "f", "name": "Defaults Test", "version": "1.0.0", "nodes": nodes, "edges": edges});
    if let Value::Object(x) = extra {
        for (k, v) in x {
            doc[k] = v;
        }
    }
    doc
}

fn entry() -> Value {
    node("node_in", "entry_api", json!({}))
}

#[test]
fn plugins_used_by_tool_plugin_nodes_are_added() {
    let doc = chain(
        vec![
            entry(),
            node(
                "node_p",
                "tool_plugin",
                json!({"plugin": "scaimail", "method": "send", "args": {"to": "x"}}),
            ),
        ],
        json!({}),
    );
    let m = manifest_of(&doc);
    assert_eq!(
        m["core"]["plugins"],
        json!([{"alias": "scaimail", "endpoint": "plugin://scaimail"}])
    );
    let step = &m["core"]["flows"][0]["steps"][0];
    assert_eq!(
        step["plugin_call"],
        json!({"alias": "scaimail", "method": "send", "args": {"to": "x"}})
    );
    assert_eq!(step["bind"], "p");
}

#[test]
fn compute_nodes_get_the_default_bunker_and_scaibunker_calls() {
    let doc = chain(
        vec![
            entry(),
            node(
                "node_exec",
                "compute_exec",
                json!({"command": ["ls", "-l"], "timeout_s": 30}),
            ),
            node("node_rm", "compute_destroy", json!({})),
        ],
        json!({}),
    );
    let m = manifest_of(&doc);
    assert_eq!(
        m["core"]["capabilities"],
        json!([{"bunker": {"lifecycle": "ephemeral", "image": "python-3.12"}}])
    );
    let steps = &m["core"]["flows"][0]["steps"];
    assert_eq!(
        steps[0]["plugin_call"],
        json!({"alias": "scaibunker", "method": "exec", "args": {"command": ["ls", "-l"], "timeout_s": 30}})
    );
    assert_eq!(
        steps[1]["plugin_call"],
        json!({"alias": "scaibunker", "method": "destroy", "args": {}})
    );
    // A declared bunker wins; no compute node and no bunker: no capability.
    let declared = chain(
        vec![
            entry(),
            node("node_exec", "compute_exec", json!({"command": ["ls"]})),
        ],
        json!({"config": {"bunker": {"lifecycle": "session", "image": "node-20"}}}),
    );
    assert_eq!(
        manifest_of(&declared)["core"]["capabilities"],
        json!([{"bunker": {"lifecycle": "session", "image": "node-20"}}])
    );
    let none = chain(
        vec![
            entry(),
            node("node_t", "llm_rigid", json!({"template": "x"})),
        ],
        json!({}),
    );
    assert!(manifest_of(&none)["core"].get("capabilities").is_none());
}

#[test]
fn queue_and_review_nodes_inherit_the_flow_scope() {
    let doc = chain(
        vec![
            entry(),
            node(
                "node_pub",
                "queue_publish",
                json!({"queue": "out", "payload": {"a": 1}}),
            ),
            node(
                "node_own",
                "queue_consume",
                json!({"queue": "in", "scope": "other"}),
            ),
            node("node_review", "hitl_review", json!({"queue": "review"})),
        ],
        json!({"config": {"scaiqueue": {"scope": "finance"}}}),
    );
    let steps = manifest_of(&doc)["core"]["flows"][0]["steps"].clone();
    assert_eq!(
        steps[0]["plugin_call"]["args"],
        json!({"scope": "finance", "queue": "out", "payload": {"a": 1}})
    );
    assert_eq!(steps[1]["plugin_call"]["args"]["scope"], "other");
    assert_eq!(
        steps[2]["checkpoint"],
        json!({"type": "hitl_review", "scope": "finance", "queue": "review"})
    );
    // node_config stays verbatim: the back-fill is not written into the node.
    assert_eq!(
        steps[0]["meta"]["node_config"],
        json!({"queue": "out", "payload": {"a": 1}})
    );
}

#[test]
fn a_breakpoint_prepends_a_debug_checkpoint() {
    let doc = chain(
        vec![
            entry(),
            node(
                "node_gate",
                "checkpoint",
                json!({"prompt": "Go?", "options": ["go", "stop"], "breakpoint": true}),
            ),
        ],
        json!({}),
    );
    let steps = manifest_of(&doc)["core"]["flows"][0]["steps"].clone();
    assert_eq!(
        steps[0],
        json!({"checkpoint": {"type": "debug_breakpoint"},
        "meta": {"node_id": "node_gate", "node_kind": "checkpoint", "node_label": "node_gate",
            "node_config": {"prompt": "Go?", "options": ["go", "stop"], "breakpoint": true},
            "synthetic": "debug_breakpoint"}})
    );
    assert_eq!(
        steps[1]["checkpoint"],
        json!({"type": "approval", "prompt": "Go?", "options": ["go", "stop"]})
    );
}

#[test]
fn the_first_entry_is_the_canonical_trigger() {
    let doc = json!({"id": "f", "name": "Two Doors", "version": "1.0.0",
        "nodes": [
            node("node_api", "entry_api", json!({"method": "POST", "path": "/x"})),
            node("node_cron", "entry_schedule", json!({"cron": "0 2 * * *", "timezone": "Europe/Amsterdam"})),
            node("node_t", "llm_rigid", json!({"template": "x"}))],
        "edges": [
            {"id": "e1", "type": "sequential", "source": {"node": "node_api", "port": "out_request"}, "target": {"node": "node_t", "port": "in"}},
            {"id": "e2", "type": "sequential", "source": {"node": "node_cron", "port": "out_tick"}, "target": {"node": "node_t", "port": "in"}}]});
    let f = manifest_of(&doc)["core"]["flows"][0].clone();
    assert_eq!(
        f["trigger"],
        json!({"type": "api", "method": "POST", "path": "/x"})
    );
    assert_eq!(
        f["additional_triggers"],
        json!([{"type": "schedule", "cron": "0 2 * * *", "timezone": "Europe/Amsterdam"}])
    );
    assert_eq!(f["name"], "two-doors");
}

/// Property: for generated variants of every example, compiling succeeds, is
/// deterministic, and the YAML loads back to exactly the intended data — numbers keep
/// their type — in a YAML 1.2 parser and in PyYAML (YAML 1.1).
#[test]
fn generated_variants_compile_deterministically_and_round_trip() {
    let mut rng = Rng(0x5eed_cafe);
    let mut variants: Vec<(String, Value)> = Vec::new();
    for p in examples() {
        let original: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        for _ in 0..25 {
            let mut doc = original.clone();
            scramble(&mut doc, &mut rng, "");
            let Some(a) = analyze_value(&doc).analyzed else {
                continue;
            };
            let Ok(bodies) = structure(&a) else {
                continue;
            };
            let want = manifest(&a, &lower(&a, &bodies));
            let text = compile_value(&doc);
            assert_eq!(compile_value(&doc), text);
            assert_eq!(yaml12(&text), want, "YAML 1.2 disagrees:\n{text}");
            variants.push((text, want));
        }
    }
    assert!(
        variants.len() >= 100,
        "only {} variants compiled",
        variants.len()
    );
    let texts: Vec<String> = variants.iter().map(|(t, _)| t.clone()).collect();
    for ((text, want), got) in variants.iter().zip(pyyaml_all(&texts)) {
        assert_eq!(&got, want, "YAML 1.1 (PyYAML) disagrees:\n{text}");
    }
}

#[test]
fn data_edges_become_input_bindings() {
    let mut doc = chain(
        vec![
            entry(),
            node("node_classify", "llm_rigid", json!({"template": "c"})),
            node("node_mid", "llm_rigid", json!({"template": "m"})),
            node("node_answer", "llm_rigid", json!({"template": "a"})),
        ],
        json!({}),
    );
    for (id, src) in [
        ("d1", "node_classify"),
        ("d2", "node_in"),
        ("d3", "node_classify"),
    ] {
        let port = if src == "node_in" {
            "out_request"
        } else {
            "out"
        };
        doc["edges"].as_array_mut().unwrap().push(json!({"id": id, "type": "data",
            "source": {"node": src, "port": port}, "target": {"node": "node_answer", "port": "in"}}));
    }
    let steps = manifest_of(&doc)["core"]["flows"][0]["steps"].clone();
    assert_eq!(steps[2]["data_from"], json!(["classify", "input"]));
    assert!(steps[1].get("data_from").is_none());
}

#[test]
fn flows_of_separate_entries_get_distinct_names() {
    let doc = json!({"id": "f", "name": "Hub", "version": "1.0.0",
        "nodes": [
            node("node_a", "entry_api", json!({"path": "/a"})),
            node("node_b", "entry_api", json!({"path": "/b"})),
            node("node_c", "entry_api", json!({"path": "/c"})),
            node("node_x", "llm_rigid", json!({"template": "x"})),
            node("node_y", "llm_rigid", json!({"template": "y"})),
            node("node_z", "llm_rigid", json!({"template": "z"}))],
        "edges": [
            {"id": "e1", "type": "sequential", "source": {"node": "node_a", "port": "out_request"}, "target": {"node": "node_x", "port": "in"}},
            {"id": "e2", "type": "sequential", "source": {"node": "node_b", "port": "out_request"}, "target": {"node": "node_y", "port": "in"}},
            {"id": "e3", "type": "sequential", "source": {"node": "node_c", "port": "out_request"}, "target": {"node": "node_z", "port": "in"}}]});
    // Labels are the node ids here; make two of them slug alike.
    let mut doc = doc;
    doc["nodes"][1]["label"] = "Side Door".into();
    doc["nodes"][2]["label"] = "side door".into();
    let names: Vec<String> = manifest_of(&doc)["core"]["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["hub", "hub-side-door", "hub-side-door-2"]);
}

#[test]
fn a_config_key_named_type_does_not_replace_the_trigger_type() {
    let doc = chain(
        vec![
            node(
                "node_in",
                "entry_webhook",
                json!({"path": "/gh", "type": "github"}),
            ),
            node("node_t", "llm_rigid", json!({"template": "x"})),
        ],
        json!({}),
    );
    let mut doc = doc;
    doc["edges"][0]["source"]["port"] = "out_event".into();
    let m = manifest_of(&doc);
    assert_eq!(
        m["core"]["flows"][0]["trigger"],
        json!({"type": "webhook", "path": "/gh"})
    );
    assert_eq!(
        m["core"]["scaiflow_meta"]["entries"][0]["node_config"],
        json!({"path": "/gh", "type": "github"})
    );
}

#[test]
fn defaults_respect_declared_capabilities_and_reachability() {
    // A declared bunker capability is not duplicated by the default.
    let declared = chain(
        vec![
            entry(),
            node("node_exec", "compute_exec", json!({"command": ["ls"]})),
        ],
        json!({"config": {"capabilities": [{"bunker": {"lifecycle": "persistent", "image": "x"}}]}}),
    );
    assert_eq!(
        manifest_of(&declared)["core"]["capabilities"],
        json!([{"bunker": {"lifecycle": "persistent", "image": "x"}}])
    );
    // Unreachable nodes compile to nothing, so they add no plugin and no bunker.
    let mut detached = chain(
        vec![
            entry(),
            node("node_t", "llm_rigid", json!({"template": "x"})),
        ],
        json!({}),
    );
    detached["nodes"].as_array_mut().unwrap().push(node(
        "node_p",
        "tool_plugin",
        json!({"plugin": "scaimail", "method": "send"}),
    ));
    detached["nodes"].as_array_mut().unwrap().push(node(
        "node_e",
        "compute_exec",
        json!({"command": ["ls"]}),
    ));
    let m = manifest_of(&detached);
    assert!(m["core"].get("plugins").is_none(), "{}", m["core"]);
    assert!(m["core"].get("capabilities").is_none());
    assert_eq!(
        m["core"]["scaiflow_meta"]["detached"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_decision_that_leads_nowhere_still_appears() {
    let doc = chain(
        vec![
            entry(),
            node("node_d", "logic_decision", json!({"style": "if"})),
        ],
        json!({}),
    );
    let steps = manifest_of(&doc)["core"]["flows"][0]["steps"].clone();
    assert_eq!(steps[0]["decision"], json!({"style": "if", "branches": []}));
    assert_eq!(steps[0]["meta"]["node_id"], "node_d");
}

/// A `condition` on a sequential fallthrough edge is documentation: the manifest's else
/// branch is `when: "true"`, never the note (it used to be written as the guard).
#[test]
fn a_note_on_a_sequential_fallthrough_is_not_a_guard() {
    let rigid = json!({"template": "t"});
    let doc = json!({"id": "f", "name": "Notes", "version": "1.0.0", "nodes": [
    entry(), node("node_d", "logic_decision", json!({})),
    node("node_a", "llm_rigid", rigid.clone()), node("node_b", "llm_rigid", rigid)],
    "edges": [
        {"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"}, "target": {"node": "node_d", "port": "in"}},
        {"id": "e2", "type": "conditional", "condition": "input.vip", "source": {"node": "node_d", "port": "out"}, "target": {"node": "node_a", "port": "in"}},
        {"id": "e3", "type": "sequential", "condition": "otherwise: the normal queue", "source": {"node": "node_d", "port": "out"}, "target": {"node": "node_b", "port": "in"}}
    ]});
    let m = manifest_of(&doc);
    let branches = &m["core"]["flows"][0]["steps"][0]["decision"]["branches"];
    let whens: Vec<&str> = branches
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["when"].as_str().unwrap())
        .collect();
    assert_eq!(whens, ["input.vip", "true"]);
    // The note is kept only where the edge is kept verbatim (meta), never as a `when`.
    let text = compile_value(&doc);
    assert!(
        text.contains("otherwise: the normal queue"),
        "kept in meta.node_edges"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains("when:") && l.contains("otherwise")),
        "{text}"
    );
}

/// Fidelity (docs/flow-format.md): the flow bunker's key names reach `scaibunker.create`,
/// `null` config values are "not set", and `hitl_review.sections` becomes ScaiQueue's list.
#[test]
fn documented_shapes_reach_the_outputs() {
    let doc = chain(
        vec![
            entry(),
            node(
                "node_box",
                "compute_provision",
                json!({"image": "python-3.12", "cpu_millicores": 500, "memory_mb": 256,
                       "network_profile": "registry", "lifecycle": null}),
            ),
            node(
                "node_call",
                "subflow_call",
                json!({"target": "core://acme/helper", "instance_key": null, "version": null}),
            ),
            node(
                "node_review",
                "hitl_review",
                json!({"queue": "review", "sections": {
                    "context": [{"title": "A", "content": "x"}, {"title": "B", "content": "y"}],
                    "decision": {"field": "decision", "options": ["ok", "no"]}}}),
            ),
        ],
        json!({}),
    );
    let m = manifest_of(&doc);
    let steps = &m["core"]["flows"][0]["steps"];
    assert_eq!(
        steps[0]["plugin_call"],
        json!({"alias": "scaibunker", "method": "create", "args": {
            "image": "python-3.12", "cpu_millicores": 500, "memory_mb": 256,
            "network_profile": "registry"}})
    );
    assert_eq!(
        steps[1]["core_call"],
        json!({"target": "core://acme/helper"})
    );
    assert_eq!(
        steps[1]["meta"]["node_config"]["instance_key"],
        Value::Null,
        "meta keeps the config verbatim"
    );
    assert_eq!(
        steps[2]["checkpoint"]["hitl_spec"]["sections"],
        json!([
            {"type": "context", "title": "A", "content": "x"},
            {"type": "context", "title": "B", "content": "y"},
            {"type": "decision", "field": "decision", "options": ["ok", "no"]}
        ])
    );
    // The list form is carried verbatim.
    let mut listed = doc.clone();
    let sections = json!([{"type": "decision", "field": "d", "options": ["a"]}, {"type": "input", "field": "n"}]);
    listed["nodes"][3]["config"]["sections"] = sections.clone();
    let m = manifest_of(&listed);
    assert_eq!(
        m["core"]["flows"][0]["steps"][2]["checkpoint"]["hitl_spec"]["sections"],
        sections
    );
}
