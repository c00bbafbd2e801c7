//! Every JSON file of the repository, and a generated flow of 10,000 nodes.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::deserialize::battery;
use super::*;
use crate::model::{Flow, Node};

/// Every `.json` file under the crate's directory (without `target` and hidden
/// directories), as the load stage decodes it (a file that is not UTF-8 as its lossy text).
pub(super) fn repository_files() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".json") {
                let bytes = std::fs::read(&path).unwrap();
                let text = match crate::load::decode("f", bytes) {
                    Ok(source) => source.text,
                    Err(failure) => failure.source.text,
                };
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(env!("CARGO_MANIFEST_DIR")), &mut out);
    out
}

/// Contract 4 on the first `limit` values of a document, in document order, for every
/// type of the battery.
pub(super) fn battery_on_values(tape: TapeRef<'_>, value: &Value, limit: usize) -> usize {
    let mut stack = vec![(tape, value)];
    let mut done = 0;
    while let Some((t, v)) = stack.pop() {
        if done == limit {
            break;
        }
        battery(t, v);
        done += 1;
        match (t.shape(), v) {
            (Shape::Array(_, items), Value::Array(vs)) => {
                let at = stack.len();
                stack.extend(items.zip(vs));
                stack[at..].reverse();
            }
            (Shape::Object(_, members), Value::Object(vs)) => {
                let at = stack.len();
                stack.extend(members.map(|(_, t)| t).zip(vs.values()));
                stack[at..].reverse();
            }
            _ => {}
        }
    }
    done
}

#[test]
fn every_json_file_of_the_repository_is_read_as_the_strict_parse_reads_it() {
    let files = repository_files();
    assert!(files.len() >= 100, "found {} files", files.len());
    let (mut read, mut refused, mut flows) = (0, 0, 0);
    let mut declined = Vec::new();
    for (path, text) in &files {
        let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        match check(text) {
            Outcome::Read => read += 1,
            Outcome::Declined(why) => declined.push(format!("{} ({why})", name.display())),
            Outcome::Refused => {
                refused += 1;
                continue;
            }
        }
        let tape = Tape::parse(text).unwrap();
        let value = parse_json(text).unwrap();
        battery_on_values(tape.root(), &value, 3000);
        if let Some(nodes) = value.get("nodes") {
            let flow_read = same_de::<Flow>(tape.root(), &value);
            same_de::<Vec<Node>>(tape.root().member("nodes").unwrap(), nodes);
            if name.starts_with("examples") {
                assert!(flow_read, "{} is a flow", name.display());
            }
            flows += usize::from(flow_read);
        }
    }
    eprintln!(
        "{} files: {read} read ({flows} as flows), {refused} refused by the strict parse too, \
         declined {declined:?}",
        files.len()
    );
    assert!(declined.is_empty(), "valid files declined: {declined:?}");
    assert!(flows >= 50, "{flows} files read as flows");
    assert!(
        refused >= 3,
        "the fixtures of SF100, SF101, SF102 are invalid"
    );
}

/// A flow of `n` nodes shaped as `gen_flow.py` (the benchmark's generator) writes them:
/// segments of classify, search, decision, two arms, merge and checkpoint.
pub(super) fn generated_flow(n: usize) -> Value {
    let port = |p: &str| json!([{"id": p, "label": p, "type": "object"}]);
    let mut nodes = vec![json!({
        "id": "n0", "type": "entry_api", "label": "API", "position": {"x": 0, "y": 0},
        "config": {"method": "POST", "path": "/"}, "inputs": [], "outputs": port("out_request")
    })];
    let mut edges: Vec<Value> = Vec::new();
    let add = |nodes: &mut Vec<Value>, kind: &str, label: String, config: Value| {
        let i = nodes.len();
        let id = format!("n{i}");
        nodes.push(json!({
            "id": id, "type": kind, "label": label,
            "position": {"x": 0.5 * i as f64, "y": 120 * i}, "config": config,
            "inputs": port("in"), "outputs": port("out")
        }));
        id
    };
    let link = |edges: &mut Vec<Value>, a: &str, ap: &str, b: &str, cond: Option<String>| {
        let mut e = json!({
            "id": format!("e{}", edges.len()),
            "type": if cond.is_some() { "conditional" } else { "sequential" },
            "source": {"node": a, "port": ap}, "target": {"node": b, "port": "in"}
        });
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
            format!("Classify {seg} \u{e9}\u{1F600} \"q\""),
            json!({"goal": format!("Classify item {seg} by intent\nand urgency."),
                "llm_role": "fast",
                "output_schema": {"intent": "enum[question, complaint, request]", "confidence": "float"},
                "input_bindings": {"text": "{{request.text}}"}, "guidance": "Answer in JSON \\ / \t."}),
        );
        link(&mut edges, &prev, prev_port, &a, None);
        let b = add(
            &mut nodes,
            "tool_plugin",
            format!("Search {seg}"),
            json!({"plugin": "scaidrive", "method": "search",
                "args": {"path": format!("/kb/{seg}/"), "query": "{{request.text}}", "limit": seg,
                    "threshold": -0.25, "boost": 1e-7}}),
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
            json!({"goal": "Answer from the knowledge base.", "llm_role": "primary",
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
        link(&mut edges, &d, "out", &r, Some("true".to_string()));
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
            json!({"type": "approval", "prompt": format!("Approve answer {seg}?"),
                "options": ["approve", "reject"], "timeout": "1h"}),
        );
        link(&mut edges, &m, "out", &c, None);
        (prev, prev_port) = (c, "out");
    }
    json!({"id": format!("flow_bench_{n}"), "name": format!("Bench {n}"), "version": "1.0.0",
        "scaicore_target": "0.2", "metadata": {"description": "benchmark flow"},
        "nodes": nodes, "edges": edges, "variables": [],
        "config": {"core_identity": {"name": "Bench", "models": [
            {"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o",
                "modalities": ["text", "structured_output"], "temperature": 0.2, "x-extra": [1, -1]},
            {"role": "fast", "ref": "scaigrid", "model": "openai/gpt-4o-mini", "modalities": ["text"]}],
            "unknown": {"kept": true}},
            "plugins": [], "capabilities": [], "publish_as_model": false,
            "model_visibility_group_ids": []},
        "tests": []})
}

#[test]
fn a_generated_flow_of_2000_nodes_deserializes_from_the_tape_as_from_the_value() {
    let text = serde_json::to_string_pretty(&generated_flow(2_000)).unwrap();
    assert!(text.len() > 800_000, "{} bytes", text.len());
    let (tape, value) = read(&text);
    let from_tape = Flow::deserialize(tape.root()).expect("a flow");
    let from_value = Flow::deserialize(&value).expect("a flow");
    assert!(from_tape.nodes.len() >= 2_000);
    assert!(from_tape.edges.len() > 2_000);
    assert_eq!(from_tape, from_value);
    let models = from_tape.models();
    assert_eq!(models[0].extra.get("x-extra"), Some(&json!([1, -1])));
    assert_eq!(
        models[0]
            .temperature
            .as_ref()
            .map(|t| t.to_string())
            .as_deref(),
        Some("0.2")
    );
    let nodes = tape.root().member("nodes").unwrap();
    let from_tape = Vec::<Node>::deserialize(nodes).unwrap();
    assert_eq!(
        from_tape,
        Vec::<Node>::deserialize(&value["nodes"]).unwrap()
    );
    // Minified, the same flow.
    let text = serde_json::to_string(&value).unwrap();
    let tape = Tape::parse(&text).expect("read");
    assert_eq!(Flow::deserialize(tape.root()).unwrap(), from_value);
}
