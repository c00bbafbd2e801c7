//! `cargo bench --bench validate`: time of each stage of `scaiflow validate` on generated
//! flows of growing size (a chain with decision diamonds, explicit ports and data edges).
//! Targets (release build, on the 2-core CI machine): a 10,000-node flow validates in under
//! 300 ms, and time grows linearly with the flow (see docs/performance.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn flow(n: usize) -> String {
    let mut nodes = vec![json!({"id": "node_in", "type": "entry_api", "label": "In",
        "position": {"x": 0, "y": 0}})];
    let mut edges: Vec<Value> = Vec::new();
    let mut prev = ("node_in".to_string(), "out_request");
    let mut i = 0;
    let mut e = 0;
    let mut edge =
        |edges: &mut Vec<Value>, kind: &str, s: (&str, &str), t: &str, cond: Option<&str>| {
            e += 1;
            let mut v = json!({"id": format!("edge_{e}"), "type": kind,
            "source": {"node": s.0, "port": s.1}, "target": {"node": t, "port": "in"}});
            if let Some(c) = cond {
                v["condition"] = json!(c);
            }
            edges.push(v);
        };
    while i < n {
        // A decision diamond every 10 nodes, otherwise a chain step.
        if i % 10 == 9 && i + 3 < n {
            let d = format!("node_d{i}");
            let (a, b, j) = (
                format!("node_a{i}"),
                format!("node_b{i}"),
                format!("node_j{i}"),
            );
            nodes.push(json!({"id": d, "type": "logic_decision", "label": "D", "position": {"x": 0, "y": i}}));
            for x in [&a, &b, &j] {
                nodes.push(
                    json!({"id": x, "type": "llm_rigid", "label": "X", "position": {"x": 0, "y": i},
                    "config": {"template": "{{input.x}}"}}),
                );
            }
            edge(&mut edges, "sequential", (&prev.0, prev.1), &d, None);
            edge(&mut edges, "conditional", (&d, "out"), &a, Some("x == 1"));
            edge(&mut edges, "conditional", (&d, "out"), &b, Some("true"));
            edge(&mut edges, "sequential", (&a, "out"), &j, None);
            edge(&mut edges, "sequential", (&b, "out"), &j, None);
            edge(&mut edges, "data", (&d, "out"), &j, None);
            prev = (j, "out");
            i += 4;
        } else {
            let s = format!("node_s{i}");
            nodes.push(json!({"id": s, "type": "llm_rigid", "label": format!("Step {i}"),
                "position": {"x": 0, "y": i}, "config": {"template": "step {{input.x}}"},
                "inputs": [{"id": "in", "type": "object"}], "outputs": [{"id": "out", "type": "object"}]}));
            edge(&mut edges, "sequential", (&prev.0, prev.1), &s, None);
            prev = (s, "out");
            i += 1;
        }
    }
    serde_json::to_string_pretty(&json!({"id": "bench", "name": "Bench", "version": "1.0.0",
        "nodes": nodes, "edges": edges}))
    .unwrap()
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed());
    }
    best
}

fn main() {
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "nodes", "bytes", "parse", "schema", "analyze", "total", "compile"
    );
    for n in [1_000, 10_000, 50_000] {
        let text = flow(n);
        let doc = scaiflow::load::parse_json(&text).expect("valid");
        let parse = time(5, || scaiflow::load::parse_json(&text).is_ok());
        let schema = time(5, || scaiflow::schema::validate(&doc));
        let total = time(5, || {
            scaiflow::analyze::analyze_value(&scaiflow::load::parse_json(&text).unwrap())
        });
        let outcome = scaiflow::analyze::analyze_value(&doc);
        assert!(
            outcome.diagnostics.is_empty(),
            "{:?}",
            &outcome.diagnostics[..1]
        );
        // The analyze stage alone: schema + analysis on the parsed document, minus the
        // schema (best-of-5 times; subtracting from the end-to-end total mixed in the
        // noise of three separate measurements and could read 0).
        let checked = time(5, || scaiflow::analyze::analyze_value(&doc));
        let analyze = checked.saturating_sub(schema);
        // Structure + lower + YAML emission, on top of the analysis.
        let a = outcome.analyzed.expect("analyzed");
        let compile = time(5, || {
            let bodies = scaiflow::lower::structure(&a).expect("structured");
            let core = scaiflow::lower::core::lower(&a, &bodies);
            scaiflow::emit::yaml::emit(&a, &core)
                .map(|y| y.len())
                .unwrap_or(0)
        });
        println!(
            "{n:>8} {:>10} {:>9.1?} {:>9.1?} {:>9.1?} {:>9.1?} {:>9.1?}",
            text.len(),
            parse,
            schema,
            analyze,
            total,
            compile
        );
    }
}
