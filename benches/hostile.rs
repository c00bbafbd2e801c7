//! `cargo bench --bench hostile`: doubling ladders over every diagnostic-producing path a
//! hostile input can scale (docs/limits.md). Each row doubles the input; the `x` columns are
//! the growth of time and of diagnostic text over the previous row. A linear path grows
//! about 2x per row (noise on a shared machine allows ~3x); the old quadratic paths grew
//! 4x and more. Rows over 3.5x are marked `SUPERLINEAR?`: rerun, then look.

use std::hint::black_box;
use std::time::{Duration, Instant};

use scaiflow::load::SourceFile;
use serde_json::{Value, json};

fn node(id: &str, kind: &str, config: Value) -> Value {
    json!({"id": id, "type": kind, "label": id, "position": {"x": 0, "y": 0}, "config": config})
}

fn edge(id: String, kind: &str, s: &str, sp: &str, t: &str) -> Value {
    json!({"id": id, "type": kind, "source": {"node": s, "port": sp}, "target": {"node": t, "port": "in"}})
}

fn flow(nodes: Vec<Value>, edges: Vec<Value>, extra: Value) -> String {
    let mut f =
        json!({"id": "h", "name": "Hostile", "version": "1.0.0", "nodes": nodes, "edges": edges});
    if let (Value::Object(f), Value::Object(x)) = (&mut f, extra) {
        f.extend(x);
    }
    f.to_string()
}

/// N edges, each from a port the node does not have, to a node with N declared ports
/// (SF204; its help once listed every port: N² text).
fn bad_ports(n: usize) -> String {
    let outs: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("port_{i}"), "type": "object"}))
        .collect();
    let mut a = node("a", "llm_rigid", json!({"template": "x"}));
    a["outputs"] = json!(outs);
    let mut nodes = vec![node("in", "entry_api", json!({})), a];
    let mut edges = vec![edge("e_in".into(), "sequential", "in", "out_request", "a")];
    for i in 0..n {
        let t = format!("t{i}");
        nodes.push(node(&t, "llm_rigid", json!({"template": "x"})));
        edges.push(edge(
            format!("e{i}"),
            "sequential",
            "a",
            &format!("nope_{i}"),
            &t,
        ));
    }
    flow(nodes, edges, json!({}))
}

/// N `data_variable_set` nodes setting undeclared variables among N declared ones (SF311
/// with "did you mean").
fn undeclared_variables(n: usize) -> String {
    let vars: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("variable_{i}"), "type": "int"}))
        .collect();
    let mut nodes = vec![node("in", "entry_api", json!({}))];
    let mut edges = Vec::new();
    let mut prev = ("in".to_string(), "out_request");
    for i in 0..n {
        let id = format!("s{i}");
        nodes.push(node(
            &id,
            "data_variable_set",
            json!({"variable": format!("variabel_{i}"), "value": "1"}),
        ));
        edges.push(edge(format!("e{i}"), "sequential", &prev.0, prev.1, &id));
        prev = (id, "out");
    }
    flow(nodes, edges, json!({"variables": vars}))
}

/// N LLM nodes naming undeclared roles among N declared ones (SF300).
fn undeclared_roles(n: usize) -> String {
    let models: Vec<Value> = (0..n)
        .map(|i| json!({"role": format!("role_{i}"), "ref": "scaigrid", "model": "openai/gpt-4o"}))
        .collect();
    let mut nodes = vec![node("in", "entry_api", json!({}))];
    let mut edges = Vec::new();
    let mut prev = ("in".to_string(), "out_request");
    for i in 0..n {
        let id = format!("s{i}");
        nodes.push(node(
            &id,
            "llm_guarded",
            json!({"goal": "g", "llm_role": format!("rloe_{i}")}),
        ));
        edges.push(edge(format!("e{i}"), "sequential", &prev.0, prev.1, &id));
        prev = (id, "out");
    }
    flow(
        nodes,
        edges,
        json!({"config": {"core_identity": {"name": "H", "models": models}}}),
    )
}

/// A chain whose every node has a data edge to the last one (the data-order check).
fn data_to_last(n: usize) -> String {
    let mut nodes = vec![node("in", "entry_api", json!({}))];
    let mut edges = Vec::new();
    let mut prev = ("in".to_string(), "out_request");
    for i in 0..n {
        let id = format!("s{i}");
        nodes.push(node(&id, "llm_rigid", json!({"template": "x"})));
        edges.push(edge(format!("e{i}"), "sequential", &prev.0, prev.1, &id));
        prev = (id, "out");
    }
    for i in 0..n - 1 {
        edges.push(edge(
            format!("d{i}"),
            "data",
            &format!("s{i}"),
            "out",
            &format!("s{}", n - 1),
        ));
    }
    flow(nodes, edges, json!({}))
}

/// An IR whose N triggers target N flows that do not exist, among N that do (E414).
fn ir_unknown_targets(n: usize) -> Value {
    let flows: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("flow_{i}"), "params": [], "body": []}))
        .collect();
    let triggers: Vec<Value> = (0..n)
        .map(|i| {
            json!({"kind": "api", "name": format!("t{i}"), "target_flow": format!("folw_{i}"),
            "method": "POST", "path": "/x"})
        })
        .collect();
    json!({"schema_version": 1, "name": "h", "version": "1.0.0", "instance": {"mode": "stateless"},
        "identity": {"name": "h", "persona": "H"}, "models": [], "plugins": [], "capabilities": [],
        "triggers": triggers, "flows": flows})
}

/// An IR whose N flexible blocks name undeclared roles among N declared ones (E415).
fn ir_undeclared_roles(n: usize) -> Value {
    let mut ir = ir_unknown_targets(0);
    ir["models"] = (0..n)
        .map(|i| json!({"role": format!("role_{i}"), "provider": "scaigrid", "model": "m"}))
        .collect();
    let body: Vec<Value> = (0..n)
        .map(|i| {
            json!({"kind": "flexible", "goal": "g", "llm_role": format!("rloe_{i}"),
            "result_binding": format!("b{i}")})
        })
        .collect();
    ir["flows"] = json!([{"name": "main", "params": [], "body": body}]);
    ir
}

fn time<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = black_box(f());
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("three runs"))
}

fn text_of(d: &[scaiflow::diagnostics::Diagnostic]) -> usize {
    d.iter()
        .map(|d| d.message.len() + d.help.as_ref().map_or(0, String::len))
        .sum()
}

fn ladder(name: &str, sizes: &[usize], mut run: impl FnMut(usize) -> (Duration, usize, usize)) {
    println!("\n{name}");
    println!(
        "{:>8} {:>10} {:>8} {:>6} {:>12} {:>6}",
        "n", "input", "ms", "x", "diag bytes", "x"
    );
    let mut last: Option<(Duration, usize)> = None;
    for &n in sizes {
        let (t, input, text) = run(n);
        let (tx, bx) = match last {
            Some((lt, lb)) => (
                t.as_secs_f64() / lt.as_secs_f64().max(1e-9),
                text as f64 / (lb.max(1)) as f64,
            ),
            None => (0.0, 0.0),
        };
        let flag = if last.is_some() && (tx > 3.5 || bx > 3.5) {
            "  SUPERLINEAR?"
        } else {
            ""
        };
        println!(
            "{n:>8} {input:>10} {:>8.1} {tx:>6.2} {text:>12} {bx:>6.2}{flag}",
            t.as_secs_f64() * 1e3
        );
        last = Some((t, text));
    }
}

fn validate_ladder(name: &str, make: fn(usize) -> String) {
    ladder(name, &[1000, 2000, 4000, 8000, 16000], |n| {
        let text = make(n);
        let src = SourceFile::new("h.flow.json", text.clone());
        let (t, out) = time(|| scaiflow::validate_source(&src));
        (t, text.len(), text_of(&out.diagnostics))
    });
}

fn main() {
    validate_ladder("SF204: N bad ports on a node with N ports", bad_ports);
    validate_ladder(
        "SF311: N undeclared among N declared variables",
        undeclared_variables,
    );
    validate_ladder(
        "SF300: N undeclared among N declared roles",
        undeclared_roles,
    );
    validate_ladder(
        "data order: N data edges into the last of a chain",
        data_to_last,
    );
    ladder(
        "compile: N data edges into the last of a chain",
        &[1000, 2000, 4000, 8000],
        |n| {
            let text = data_to_last(n);
            let src = SourceFile::new("h.flow.json", text.clone());
            let (t, out) = time(|| scaiflow::compile_flow(&src, scaiflow::OutputFormat::Yaml));
            (t, text.len(), out.map_or(0, |a| a.bytes.len()))
        },
    );
    ladder(
        "E415: N undeclared roles among N models",
        &[1000, 2000, 4000, 8000, 16000],
        |n| {
            let ir = ir_undeclared_roles(n);
            let (t, out) = time(|| scaiflow::verify::verify(&ir));
            (t, ir.to_string().len(), text_of(&out))
        },
    );
    ladder(
        "import: the manifest of an N-node chain with data edges",
        &[1000, 2000, 4000, 8000],
        |n| {
            let flow = SourceFile::new("h.flow.json", data_to_last(n));
            let yaml = scaiflow::compile_flow(&flow, scaiflow::OutputFormat::Yaml)
                .map(|a| String::from_utf8(a.bytes).unwrap_or_default())
                .unwrap_or_default();
            let src = SourceFile::new("h.yaml", yaml.clone());
            let (t, out) = time(|| scaiflow::import::import_manifest(&src));
            (t, yaml.len(), text_of(&out.diagnostics))
        },
    );
    ladder(
        "E414: N triggers to missing flows among N flows",
        &[1000, 2000, 4000, 8000, 16000],
        |n| {
            let ir = ir_unknown_targets(n);
            let (t, out) = time(|| scaiflow::verify::verify(&ir));
            (t, ir.to_string().len(), text_of(&out))
        },
    );
}
