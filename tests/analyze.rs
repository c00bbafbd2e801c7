//! Library-level tests of the analyze stage on the bundled examples and on mutated flows.

mod common;

use std::path::Path;

use common::{Rng, examples};

use scaiflow::analyze::{analyze_source, analyze_value};
use scaiflow::diagnostics::{codes, render};
use scaiflow::load::{SourceFile, read_source};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn examples_have_no_diagnostics_at_all() {
    for path in examples() {
        let source = read_source(path.to_str().unwrap()).unwrap();
        let outcome = analyze_source(&source);
        assert!(
            outcome.diagnostics.is_empty(),
            "{}: {:#?}",
            path.display(),
            outcome.diagnostics
        );
        let a = outcome.analyzed.expect("analyzed flow");
        assert_eq!(a.order.len(), a.flow.nodes.len(), "every node is ordered");
        assert!(a.reachable.iter().all(|&r| r), "every node is reachable");
        assert!(!a.entries.is_empty());
    }
}

#[test]
fn examples_cover_every_node_kind() {
    let mut seen = std::collections::BTreeSet::new();
    for path in examples() {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for n in v["nodes"].as_array().unwrap() {
            seen.insert(n["type"].as_str().unwrap().to_string());
        }
    }
    let all: std::collections::BTreeSet<String> = scaiflow::model::NodeKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    let missing: Vec<_> = all.difference(&seen).collect();
    assert!(missing.is_empty(), "kinds without an example: {missing:?}");
}

#[test]
fn docs_list_every_code() {
    let doc = std::fs::read_to_string(root().join("docs/diagnostics.md")).unwrap();
    for info in codes::ALL {
        let row = format!(
            "| `{}` | {} | {} |",
            info.code,
            info.severity.as_str(),
            info.title
        );
        assert!(
            doc.contains(&row),
            "docs/diagnostics.md lacks the row: {row}"
        );
    }
}

#[test]
fn embedded_schema_is_the_shipped_file() {
    let shipped = std::fs::read_to_string(root().join("schemas/flow.v2.schema.json")).unwrap();
    assert_eq!(shipped, scaiflow::schema::FLOW_SCHEMA_JSON);
    let v: Value = serde_json::from_str(&shipped).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["$id"], "https://scailabs.com/schemas/scaiflow/v2.json");
    // The closed kind list in the schema is the model's.
    let kinds: Vec<&str> = v["$defs"]["node_kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let model: Vec<&str> = scaiflow::model::NodeKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(kinds, model);
}

#[test]
fn diagnostics_are_deterministic() {
    let text = std::fs::read_to_string(root().join("examples/customer-support.flow.json")).unwrap();
    let broken = text
        .replace("\"llm_role\": \"fast\"", "\"llm_role\": \"fastt\"")
        .replace("\"port\": \"in\"", "\"port\": \"inn\"");
    let render_once = || {
        let source = SourceFile::new("x.json", broken.clone());
        let mut d = analyze_source(&source).diagnostics;
        render::prepare(&source, &mut d);
        assert!(d.len() > 3);
        render::human(&source, &d, false)
    };
    let first = render_once();
    for _ in 0..5 {
        assert_eq!(render_once(), first);
    }
}

fn collect_paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Value::String(k.clone()));
                collect_paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Value::from(i));
                collect_paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |cur, seg| match seg {
        Value::String(k) => cur.get_mut(k.as_str()),
        Value::Number(i) => cur.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

/// Random structural mutations of every example: no panic, and every diagnostic resolves
/// to a location inside the text (or none) and renders in every format.
#[test]
fn mutated_flows_never_panic() {
    let replacements = [
        Value::Null,
        Value::Bool(true),
        Value::from(-1),
        Value::from(1e300),
        Value::from(""),
        Value::from("node_respond"),
        Value::from("out"),
        Value::from("conditional"),
        Value::from("logic_loop"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!({"node": "node_classify", "port": "out"}),
    ];
    let mut rng = Rng(0x5ca1_f10e);
    for path in examples() {
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut paths = Vec::new();
        collect_paths(&original, &mut Vec::new(), &mut paths);
        for _ in 0..120 {
            let mut doc = original.clone();
            for _ in 0..1 + rng.below(3) {
                let p = &paths[rng.below(paths.len())];
                if p.is_empty() {
                    continue;
                }
                let (last, parent) = p.split_last().unwrap();
                if rng.below(3) == 0 {
                    // Delete the member.
                    if let Some(par) = at_mut(&mut doc, parent) {
                        match (par, last) {
                            (Value::Object(m), Value::String(k)) => {
                                m.shift_remove(k);
                            }
                            (Value::Array(a), Value::Number(i)) => {
                                let i = i.as_u64().unwrap() as usize;
                                if i < a.len() {
                                    a.remove(i);
                                }
                            }
                            _ => {}
                        }
                    }
                } else if let Some(slot) = at_mut(&mut doc, p) {
                    *slot = replacements[rng.below(replacements.len())].clone();
                }
            }
            let text = serde_json::to_string_pretty(&doc).unwrap();
            let source = SourceFile::new("m.json", text.clone());
            let outcome = analyze_value(&doc);
            if let Some(a) = &outcome.analyzed {
                let _ = scaiflow::lower::structure(a);
            }
            let mut diags = outcome.diagnostics;
            render::prepare(&source, &mut diags);
            for d in &diags {
                if let Some(l) = &d.location {
                    assert!(l.span.end <= text.len(), "span out of range: {d:?}");
                }
                let _ = render::short_line(&source, d);
                let _ = render::github_line(&source, d);
                let _ = render::record(&source, d);
            }
            let _ = render::human(&source, &diags, false);
        }
    }
}

/// Builds a flow from `(id, kind)` nodes and `(id, type, source, target)` edges, all on the
/// default ports.
fn flow_of(nodes: &[(&str, &str)], edges: &[(&str, &str, &str, &str)]) -> Value {
    let nodes: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, (id, kind))| {
            let config = match *kind {
                "llm_rigid" => serde_json::json!({"template": "t"}),
                _ => serde_json::json!({}),
            };
            serde_json::json!({"id": id, "type": kind, "label": id,
                "position": {"x": 0, "y": i * 120}, "config": config})
        })
        .collect();
    let out_port = |id: &str| {
        if id == "node_in" {
            "out_request"
        } else {
            "out"
        }
    };
    let edges: Vec<Value> = edges
        .iter()
        .map(|(id, ty, s, t)| {
            let mut e = serde_json::json!({"id": id, "type": ty,
                "source": {"node": s, "port": out_port(s)}, "target": {"node": t, "port": "in"}});
            if *ty == "conditional" {
                e["condition"] = "x == 1".into();
            }
            e
        })
        .collect();
    serde_json::json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges})
}

fn data_order_errors(doc: &Value) -> Vec<String> {
    analyze_value(doc)
        .diagnostics
        .into_iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

#[test]
fn data_edges_from_parallel_branches_reach_the_join() {
    let doc = flow_of(
        &[
            ("node_in", "entry_api"),
            ("node_par", "logic_parallel"),
            ("node_a", "llm_rigid"),
            ("node_b", "llm_rigid"),
            ("node_merge", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "node_par"),
            ("e2", "sequential", "node_par", "node_a"),
            ("e3", "sequential", "node_par", "node_b"),
            ("e4", "sequential", "node_a", "node_merge"),
            ("e5", "sequential", "node_b", "node_merge"),
            ("e6", "data", "node_a", "node_merge"),
            ("e7", "data", "node_b", "node_merge"),
        ],
    );
    assert_eq!(data_order_errors(&doc), Vec::<String>::new());
}

#[test]
fn data_edges_from_decision_arms_do_not() {
    let doc = flow_of(
        &[
            ("node_in", "entry_api"),
            ("node_dec", "logic_decision"),
            ("node_a", "llm_rigid"),
            ("node_b", "llm_rigid"),
            ("node_merge", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "node_dec"),
            ("e2", "conditional", "node_dec", "node_a"),
            ("e3", "sequential", "node_dec", "node_b"),
            ("e4", "sequential", "node_a", "node_merge"),
            ("e5", "sequential", "node_b", "node_merge"),
            ("e6", "data", "node_a", "node_merge"),
        ],
    );
    assert_eq!(
        data_order_errors(&doc),
        [
            "SF212: edge 'e6': data source 'node_a' does not run before its target 'node_merge' on every path"
        ]
    );
}

#[test]
fn a_decision_inside_a_parallel_branch_still_counts_as_optional() {
    // par -> a -> join; par -> dec -> {x, y} -> join: x runs only on one arm.
    let doc = flow_of(
        &[
            ("node_in", "entry_api"),
            ("node_par", "logic_parallel"),
            ("node_a", "llm_rigid"),
            ("node_dec", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_join", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "node_par"),
            ("e2", "sequential", "node_par", "node_a"),
            ("e3", "sequential", "node_par", "node_dec"),
            ("e4", "conditional", "node_dec", "node_x"),
            ("e5", "sequential", "node_dec", "node_y"),
            ("e6", "sequential", "node_a", "node_join"),
            ("e7", "sequential", "node_x", "node_join"),
            ("e8", "sequential", "node_y", "node_join"),
            ("e9", "data", "node_x", "node_join"),
            ("e10", "data", "node_dec", "node_join"),
        ],
    );
    assert_eq!(
        data_order_errors(&doc),
        [
            "SF212: edge 'e9': data source 'node_x' does not run before its target 'node_join' on every path"
        ]
    );
}

#[test]
fn every_cycle_edge_gets_a_witness() {
    let doc = flow_of(
        &[
            ("node_in", "entry_api"),
            ("node_a", "llm_rigid"),
            ("node_b", "llm_rigid"),
            ("node_c", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "node_a"),
            ("e2", "sequential", "node_a", "node_b"),
            ("e3", "sequential", "node_b", "node_a"),
            ("e4", "sequential", "node_a", "node_c"),
            ("e5", "sequential", "node_c", "node_a"),
        ],
    );
    assert_eq!(
        data_order_errors(&doc),
        [
            "SF207: cycle detected: node_a -> node_b -> node_a",
            "SF207: cycle detected: node_a -> node_c -> node_a",
        ]
    );
}

#[test]
fn a_loop_body_wired_back_to_its_loop_is_explained() {
    let doc: Value = serde_json::json!({"id": "f", "name": "F", "version": "1.0.0",
        "nodes": [
            {"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
            {"id": "node_loop", "type": "logic_loop", "label": "Loop", "position": {"x": 0, "y": 120},
             "config": {"style": "foreach", "items": "{{input.xs}}", "item": "x"}},
            {"id": "node_body", "type": "llm_rigid", "label": "Body", "position": {"x": 0, "y": 240},
             "config": {"template": "{{x}}"}}],
        "edges": [
            {"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"}, "target": {"node": "node_loop", "port": "in"}},
            {"id": "e2", "type": "sequential", "source": {"node": "node_loop", "port": "body"}, "target": {"node": "node_body", "port": "in"}},
            {"id": "e3", "type": "sequential", "source": {"node": "node_body", "port": "out"}, "target": {"node": "node_loop", "port": "in"}}]});
    let diags = analyze_value(&doc).diagnostics;
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0].message,
        "cycle detected: node_loop -> node_body -> node_loop"
    );
    assert!(
        diags[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("a logic_loop repeats its body by itself")
    );
}

/// A schema error that stops the typed model (a misspelt node key, an unknown kind) no
/// longer hides the graph and semantic problems elsewhere in the flow.
#[test]
fn schema_errors_do_not_hide_other_problems() {
    let doc: Value = serde_json::json!({"id": "f", "name": "F", "version": "1.0.0",
        "config": {"core_identity": {"models": [{"role": "fast", "ref": "scaigrid", "model": "m"}]}},
        "nodes": [
            {"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
            {"id": "node_a", "type": "llm_flexible", "lable": "A", "position": {"x": 0, "y": 1},
             "config": {"goal": "g", "llm_role": "fastt"}},
            {"id": "node_b", "type": "llm_flexibel", "label": "B", "position": {"x": 0, "y": 2}},
            {"id": "node_c", "type": "llm_rigid", "label": "C", "position": {"x": 0, "y": 3},
             "config": {"template": "t"}}],
        "edges": [
            {"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"}, "target": {"node": "node_a", "port": "inn"}},
            {"id": "e2", "type": "sequential", "source": {"node": "node_a", "port": "out"}, "target": {"node": "node_b", "port": "in"}},
            {"id": "e3", "type": "sequential", "source": {"node": "node_b", "port": "out"}, "target": {"node": "node_c", "port": "in"}},
            {"id": "e4", "type": "sequential", "source": {"node": "node_c", "port": "out"}, "target": {"node": "node_zz", "port": "in"}}]});
    let got: Vec<(String, String)> = analyze_value(&doc)
        .diagnostics
        .into_iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.path.map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("SF110", "nodes[1]"),
        ("SF116", "nodes[1].lable"),
        ("SF113", "nodes[2].type"),
        ("SF205", "edges[0].target.port"),
        ("SF203", "edges[3].target.node"),
        ("SF300", "nodes[1].config.llm_role"),
    ]
    .iter()
    .map(|(c, p)| (c.to_string(), p.to_string()))
    .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want;
    want_sorted.sort();
    // No SF203 for e2/e3 (their node exists, it was only rejected by the schema), no
    // unreachable warnings for what hangs off the rejected node.
    assert_eq!(got_sorted, want_sorted, "{got:?}");
}

/// A config the schema accepts but its kind's typed shape does not (a whole number past
/// `u64`) is reported before every later check, and its node gets no semantic checks (the
/// unknown key of `c` is not reported; the same key of `d` is); there is no analyzed flow.
#[test]
fn a_config_that_does_not_fit_is_reported_first_and_not_checked_further() {
    let text = r#"{"id": "f", "name": "F", "version": "1.0.0", "nodes": [
        {"id": "e", "type": "entry_api", "label": "E", "position": {"x": 0, "y": 0}},
        {"id": "r", "type": "llm_rigid", "label": "R", "position": {"x": 0, "y": 1}, "config": {}},
        {"id": "c", "type": "compute_provision", "label": "C", "position": {"x": 0, "y": 2},
         "config": {"cpu": 1e300, "imagee": "x"}},
        {"id": "d", "type": "compute_provision", "label": "D", "position": {"x": 0, "y": 3},
         "config": {"cpu": 2, "imagee": "x"}}],
      "edges": [
        {"id": "x", "type": "sequential", "source": {"node": "e", "port": "out_request"}, "target": {"node": "r", "port": "in"}},
        {"id": "y", "type": "sequential", "source": {"node": "r", "port": "out"}, "target": {"node": "c", "port": "in"}},
        {"id": "z", "type": "sequential", "source": {"node": "c", "port": "out"}, "target": {"node": "d", "port": "in"}}]}"#;
    let outcome = analyze_source(&SourceFile::new("t.json", text));
    let got: Vec<(String, Option<String>)> = outcome
        .diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.node_id.clone().map(|n| n.to_string())))
        .collect();
    let want = [("SF119", "c"), ("SF309", "r"), ("SF118", "d")]
        .map(|(code, node)| (code.to_string(), Some(node.to_string())));
    assert_eq!(got, want);
    assert!(
        outcome.diagnostics[0]
            .message
            .contains("does not fit a compute_provision node")
    );
    assert!(outcome.analyzed.is_none());
}
