//! The generated flows the benches measure on.

use serde_json::{Value, json};

/// A flow of about `n` nodes, shaped as `gen_flow.py` shapes them.
pub fn flow(n: usize) -> String {
    let port = |p: &str| json!([{"id": p, "label": p, "type": "object"}]);
    let mut nodes = vec![json!({"id": "n0", "type": "entry_api", "label": "API",
        "position": {"x": 0, "y": 0}, "config": {"method": "POST", "path": "/"},
        "inputs": [], "outputs": port("out_request")})];
    let mut edges: Vec<Value> = Vec::new();
    let add = |nodes: &mut Vec<Value>, kind: &str, label: String, config: Value| {
        let id = format!("n{}", nodes.len());
        let y = 120 * (nodes.len() + 1);
        nodes.push(
            json!({"id": id, "type": kind, "label": label, "position": {"x": 0, "y": y},
            "config": config, "inputs": port("in"), "outputs": port("out")}),
        );
        id
    };
    let link = |edges: &mut Vec<Value>, a: &str, ap: &str, b: &str, cond: Option<String>| {
        let mut e = json!({"id": format!("e{}", edges.len()),
            "type": if cond.is_some() { "conditional" } else { "sequential" },
            "source": {"node": a, "port": ap}, "target": {"node": b, "port": "in"}});
        if let Some(c) = cond {
            e["condition"] = json!(c);
        }
        edges.push(e);
    };
    let (mut prev, mut prev_port) = ("n0".to_string(), "out_request");
    let mut seg = 0;
    while nodes.len() < n {
        seg += 1;
        let a = add(
            &mut nodes,
            "llm_flexible",
            format!("Classify {seg}"),
            json!({
            "goal": format!("Classify item {seg} by intent and urgency."), "llm_role": "fast",
            "output_schema": {"intent": "enum[question, complaint, request]", "confidence": "float"},
            "input_bindings": {"text": "{{request.text}}"}, "guidance": "Answer in JSON."}),
        );
        link(&mut edges, &prev, prev_port, &a, None);
        let b = add(
            &mut nodes,
            "tool_plugin",
            format!("Search {seg}"),
            json!({
            "plugin": "scaidrive", "method": "search",
            "args": {"path": format!("/kb/{seg}/"), "query": "{{request.text}}"}}),
        );
        link(&mut edges, &a, "out", &b, None);
        let d = add(
            &mut nodes,
            "logic_decision",
            format!("Confident {seg}?"),
            json!({"style": "if"}),
        );
        link(&mut edges, &b, "out", &d, None);
        let g = add(
            &mut nodes,
            "llm_guarded",
            format!("Answer {seg}"),
            json!({
            "goal": "Answer from the knowledge base.", "llm_role": "primary",
            "guard": "results.length > 0", "validate": "result.citations.length > 0",
            "output_schema": {"response": "string", "citations": "array"}}),
        );
        let r = add(
            &mut nodes,
            "llm_rigid",
            format!("Fallback {seg}"),
            json!({"template": "Sorry, nothing found for {{request.text}}."}),
        );
        link(
            &mut edges,
            &d,
            "out",
            &g,
            Some(format!("confidence > 0.{}", seg % 9 + 1)),
        );
        link(&mut edges, &d, "out", &r, Some("true".into()));
        let m = add(
            &mut nodes,
            "llm_rigid",
            format!("Merge {seg}"),
            json!({"template": "done {{request.id}}"}),
        );
        link(&mut edges, &g, "out", &m, None);
        link(&mut edges, &r, "out", &m, None);
        let c = add(
            &mut nodes,
            "checkpoint",
            format!("Approve {seg}"),
            json!({"type": "approval",
            "prompt": format!("Approve answer {seg}?"), "options": ["approve", "reject"], "timeout": "1h"}),
        );
        link(&mut edges, &m, "out", &c, None);
        (prev, prev_port) = (c, "out");
    }
    serde_json::to_string_pretty(&json!({"id": format!("flow_bench_{n}"), "name": format!("Bench {n}"),
        "version": "1.0.0", "scaicore_target": "0.2", "metadata": {"description": "benchmark flow"},
        "nodes": nodes, "edges": edges, "variables": [],
        "config": {"core_identity": {"name": "Bench", "models": [
            {"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o", "modalities": ["text", "structured_output"]},
            {"role": "fast", "ref": "scaigrid", "model": "openai/gpt-4o-mini", "modalities": ["text"]}]},
            "plugins": [], "capabilities": [], "publish_as_model": false, "model_visibility_group_ids": []},
        "tests": []}))
    .expect("a JSON value serialises")
}
