//! Structured lowering (spec §5): graphs become nested blocks; unstructurable graphs get a
//! diagnostic naming the edge.

mod common;

use common::examples;

use scaiflow::analyze::{AnalyzedFlow, analyze_value};
use scaiflow::lower::{Arm, Block, structure};
use serde_json::{Value, json};

/// Nodes `(id, kind)` and edges `(id, type, source, source port, target, condition)`.
fn flow(nodes: &[(&str, &str)], edges: &[(&str, &str, &str, &str, &str, &str)]) -> Value {
    let nodes: Vec<Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, (id, kind))| {
            let config = match *kind {
                "llm_rigid" => json!({"template": "t"}),
                "logic_loop" => json!({"style": "foreach", "items": "{{input.xs}}", "item": "x"}),
                _ => json!({}),
            };
            json!({"id": id, "type": kind, "label": id, "position": {"x": 0, "y": i * 120}, "config": config})
        })
        .collect();
    let edges: Vec<Value> = edges
        .iter()
        .map(|(id, ty, s, sp, t, cond)| {
            let mut e = json!({"id": id, "type": ty, "source": {"node": s, "port": sp},
                "target": {"node": t, "port": "in"}});
            if !cond.is_empty() {
                e["condition"] = json!(cond);
            }
            e
        })
        .collect();
    json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges})
}

fn analyzed(doc: &Value) -> AnalyzedFlow {
    let out = analyze_value(doc);
    out.analyzed
        .unwrap_or_else(|| panic!("analysis failed: {:?}", out.diagnostics))
}

/// `a; b; decision(d)[x == 1: c | else: ]; e` — node ids without `node_`.
fn show(a: &AnalyzedFlow, blocks: &[Block]) -> String {
    let id = |n: usize| a.flow.nodes[n].id.trim_start_matches("node_").to_string();
    let arms = |arms: &[Arm]| {
        arms.iter()
            .map(|arm| {
                let head = if arm.fallthrough {
                    "else".to_string()
                } else {
                    arm.condition.clone().unwrap_or_else(|| "-".into())
                };
                format!("{head}: {}", show(a, &arm.blocks))
            })
            .collect::<Vec<_>>()
            .join(" | ")
    };
    blocks
        .iter()
        .map(|b| match b {
            Block::Step { node } => id(*node),
            Block::Decision {
                node,
                arms: xs,
                rest,
            } => {
                let tag = if *rest { "rest of " } else { "" };
                format!("decision({tag}{})[{}]", id(*node), arms(xs))
            }
            Block::Parallel {
                node,
                branches,
                own,
            } => {
                let bs: Vec<String> = branches.iter().map(|b| show(a, &b.blocks)).collect();
                let tag = if *own { "" } else { "fork of " };
                format!("parallel({tag}{})[{}]", id(*node), bs.join(" | "))
            }
            Block::Loop { node, body } => format!("loop({})[{}]", id(*node), show(a, body)),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn structured(doc: &Value) -> Vec<String> {
    let a = analyzed(doc);
    structure(&a)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .iter()
        .map(|f| show(&a, &f.blocks))
        .collect()
}

fn errors(doc: &Value) -> Vec<String> {
    let a = analyzed(doc);
    structure(&a)
        .expect_err("should not structure")
        .into_iter()
        .map(|d| format!("{}: {} @ {}", d.code, d.message, d.path.unwrap()))
        .collect()
}

const IN: (&str, &str) = ("node_in", "entry_api");

#[test]
fn a_chain_is_a_list() {
    let doc = flow(
        &[IN, ("node_a", "llm_rigid"), ("node_b", "llm_rigid")],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_a", ""),
            ("e2", "sequential", "node_a", "out", "node_b", ""),
        ],
    );
    assert_eq!(structured(&doc), ["a; b"]);
}

#[test]
fn a_decision_has_arms_up_to_the_join_with_else_last() {
    let doc = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_z", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            ("e2", "conditional", "node_d", "out", "node_z", "true"),
            (
                "e3",
                "conditional",
                "node_d",
                "out",
                "node_x",
                "intent == 'refund'",
            ),
            (
                "e4",
                "conditional",
                "node_d",
                "out",
                "node_y",
                "intent == 'complaint'",
            ),
            ("e5", "sequential", "node_x", "out", "node_z", ""),
            ("e6", "sequential", "node_y", "out", "node_z", ""),
        ],
    );
    assert_eq!(
        structured(&doc),
        ["decision(d)[intent == 'refund': x | intent == 'complaint': y | else: ]; z"]
    );
}

#[test]
fn arms_that_never_meet_end_the_flow() {
    let doc = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            ("e2", "conditional", "node_d", "out", "node_x", "ok"),
            ("e3", "sequential", "node_d", "out", "node_y", ""),
        ],
    );
    assert_eq!(structured(&doc), ["decision(d)[ok: x | else: y]"]);
}

#[test]
fn loops_parallels_and_nesting() {
    let doc = flow(
        &[
            IN,
            ("node_loop", "logic_loop"),
            ("node_b1", "llm_rigid"),
            ("node_b2", "llm_rigid"),
            ("node_par", "logic_parallel"),
            ("node_p1", "llm_rigid"),
            ("node_d", "logic_decision"),
            ("node_q1", "llm_rigid"),
            ("node_q2", "llm_rigid"),
            ("node_join", "llm_rigid"),
        ],
        &[
            (
                "e1",
                "sequential",
                "node_in",
                "out_request",
                "node_loop",
                "",
            ),
            ("e2", "sequential", "node_loop", "body", "node_b1", ""),
            ("e3", "sequential", "node_b1", "out", "node_b2", ""),
            ("e4", "sequential", "node_loop", "done", "node_par", ""),
            ("e5", "sequential", "node_par", "out", "node_p1", ""),
            ("e6", "sequential", "node_par", "out", "node_d", ""),
            ("e7", "conditional", "node_d", "out", "node_q1", "x > 1"),
            ("e8", "sequential", "node_d", "out", "node_q2", ""),
            ("e9", "sequential", "node_p1", "out", "node_join", ""),
            ("e10", "sequential", "node_q1", "out", "node_join", ""),
            ("e11", "sequential", "node_q2", "out", "node_join", ""),
        ],
    );
    assert_eq!(
        structured(&doc),
        ["loop(loop)[b1; b2]; parallel(par)[p1 | decision(d)[x > 1: q1 | else: q2]]; join"]
    );
}

#[test]
fn a_decision_inside_a_loop_body_rejoins_inside_the_body() {
    let doc = flow(
        &[
            IN,
            ("node_loop", "logic_loop"),
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_after", "llm_rigid"),
        ],
        &[
            (
                "e1",
                "sequential",
                "node_in",
                "out_request",
                "node_loop",
                "",
            ),
            ("e2", "sequential", "node_loop", "body", "node_d", ""),
            ("e3", "conditional", "node_d", "out", "node_x", "a"),
            ("e4", "sequential", "node_d", "out", "node_y", ""),
            ("e5", "sequential", "node_loop", "done", "node_after", ""),
        ],
    );
    assert_eq!(
        structured(&doc),
        ["loop(loop)[decision(d)[a: x | else: y]]; after"]
    );
}

#[test]
fn a_node_with_conditional_edges_is_a_step_then_a_decision() {
    let doc = flow(
        &[
            IN,
            ("node_a", "llm_rigid"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_a", ""),
            ("e2", "conditional", "node_a", "out", "node_x", "a.ok"),
            ("e3", "sequential", "node_a", "out", "node_y", ""),
        ],
    );
    assert_eq!(structured(&doc), ["a; decision(a)[a.ok: x | else: y]"]);
}

#[test]
fn entries_with_the_same_targets_share_a_flow() {
    let doc = flow(
        &[
            IN,
            ("node_hook", "entry_webhook"),
            ("node_cron", "entry_schedule"),
            ("node_a", "llm_rigid"),
            ("node_b", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_a", ""),
            ("e2", "sequential", "node_hook", "out_event", "node_a", ""),
            ("e3", "sequential", "node_cron", "out_tick", "node_b", ""),
            ("e4", "sequential", "node_a", "out", "node_b", ""),
        ],
    );
    let a = analyzed(&doc);
    let flows = structure(&a).unwrap();
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0].entries, [0, 1]);
    assert_eq!(flows[1].entries, [2]);
    assert_eq!(show(&a, &flows[0].blocks), "a; b");
    assert_eq!(show(&a, &flows[1].blocks), "b");
}

#[test]
fn an_arm_reaching_the_join_through_another_arm_is_not_a_jump() {
    let doc = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_z", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            ("e2", "conditional", "node_d", "out", "node_x", "a"),
            ("e3", "sequential", "node_d", "out", "node_y", ""),
            ("e4", "sequential", "node_x", "out", "node_y", ""),
            ("e5", "sequential", "node_y", "out", "node_z", ""),
            ("e6", "sequential", "node_x", "out", "node_z", ""),
        ],
    );
    // `y` runs after the decision whichever arm is taken (arm `a` reaches it through `x`),
    // so it follows the whole decision: nothing jumps.
    assert_eq!(structured(&doc), ["decision(d)[a: x | else: ]; y; z"]);
}

#[test]
fn a_body_leaving_its_loop_is_named() {
    let doc = flow(
        &[
            IN,
            ("node_loop", "logic_loop"),
            ("node_b", "llm_rigid"),
            ("node_after", "llm_rigid"),
        ],
        &[
            (
                "e1",
                "sequential",
                "node_in",
                "out_request",
                "node_loop",
                "",
            ),
            ("e2", "sequential", "node_loop", "body", "node_b", ""),
            ("e3", "sequential", "node_b", "out", "node_after", ""),
            ("e4", "sequential", "node_loop", "done", "node_after", ""),
        ],
    );
    assert_eq!(
        errors(&doc),
        [
            "SF214: edge 'e3': leaves the body of loop 'node_loop' (a body ends inside the loop; continue from the loop's done port) @ edges[2].id"
        ]
    );
}

#[test]
fn two_fallthrough_arms_are_ambiguous() {
    let doc = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            ("e2", "sequential", "node_d", "out", "node_x", ""),
            ("e3", "conditional", "node_d", "out", "node_y", "true"),
        ],
    );
    assert_eq!(
        errors(&doc),
        [
            "SF215: node 'node_d' has 2 fallthrough arms ('e2', 'e3'); at most one sequential or \"true\" edge may leave a decision @ edges[2].id"
        ]
    );
}

#[test]
fn every_example_structures_and_places_every_node_exactly_once() {
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let a = analyzed(&doc);
        let flows = structure(&a).unwrap_or_else(|d| panic!("{}: {d:?}", p.display()));
        let mut placed = vec![0usize; a.flow.nodes.len()];
        fn walk(blocks: &[Block], placed: &mut [usize]) {
            for b in blocks {
                match b {
                    Block::Step { node } => placed[*node] += 1,
                    Block::Decision { node, arms, .. }
                    | Block::Parallel {
                        node,
                        branches: arms,
                        ..
                    } => {
                        if placed[*node] == 0 {
                            placed[*node] += 1;
                        }
                        for arm in arms {
                            walk(&arm.blocks, placed);
                        }
                    }
                    Block::Loop { node, body } => {
                        placed[*node] += 1;
                        walk(body, placed);
                    }
                }
            }
        }
        for f in &flows {
            walk(&f.blocks, &mut placed);
            for &e in &f.entries {
                placed[e] += 1;
            }
        }
        // No example shares a node between flows: every node appears exactly once.
        for (i, n) in a.flow.nodes.iter().enumerate() {
            assert_eq!(
                placed[i],
                1,
                "{}: {} placed {} times",
                p.display(),
                n.id,
                placed[i]
            );
        }
        // Deterministic: structuring twice gives the same blocks.
        assert_eq!(structure(&a).unwrap(), flows);
    }
}

/// The structure of every example, pinned (reviewed by hand against the example graphs).
#[test]
fn example_structures() {
    let mut out = String::new();
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let a = analyzed(&doc);
        out.push_str(&format!("{}\n", p.file_name().unwrap().to_string_lossy()));
        for f in structure(&a).unwrap() {
            let entries: Vec<&str> = f
                .entries
                .iter()
                .map(|&e| a.flow.nodes[e].id.as_str())
                .collect();
            out.push_str(&format!(
                "  [{}] {}\n",
                entries.join(", "),
                show(&a, &f.blocks)
            ));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_single_conditional_edge_guards_the_rest_of_the_sequence() {
    let doc = flow(
        &[
            IN,
            ("node_a", "llm_rigid"),
            ("node_b", "llm_rigid"),
            ("node_c", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_a", ""),
            ("e2", "conditional", "node_a", "out", "node_b", "a.ok"),
            ("e3", "sequential", "node_b", "out", "node_c", ""),
        ],
    );
    assert_eq!(structured(&doc), ["a; decision(a)[a.ok: b; c]"]);
}

#[test]
fn a_one_arm_decision_keeps_its_continuation_inside_the_arm() {
    let doc = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            (
                "e2",
                "conditional",
                "node_d",
                "out",
                "node_x",
                "intent == 'refund'",
            ),
            ("e3", "sequential", "node_x", "out", "node_y", ""),
        ],
    );
    assert_eq!(structured(&doc), ["decision(d)[intent == 'refund': x; y]"]);
}

#[test]
fn conditions_that_cannot_be_honoured_are_refused() {
    // Two conditional arms meeting again, no fallthrough.
    let no_else = flow(
        &[
            IN,
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_k", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_d", ""),
            ("e2", "conditional", "node_d", "out", "node_x", "a"),
            ("e3", "conditional", "node_d", "out", "node_y", "b"),
            ("e4", "sequential", "node_x", "out", "node_k", ""),
            ("e5", "sequential", "node_y", "out", "node_k", ""),
        ],
    );
    let errs = errors(&no_else);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(
            "SF217: node 'node_d' has no fallthrough arm, but its arms meet again at 'node_k'"
        ),
        "{errs:?}"
    );
    // A condition on a parallel branch.
    let par = flow(
        &[
            IN,
            ("node_p", "logic_parallel"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_p", ""),
            ("e2", "conditional", "node_p", "out", "node_x", "a"),
            ("e3", "sequential", "node_p", "out", "node_y", ""),
        ],
    );
    assert_eq!(
        errors(&par),
        [
            "SF217: edge 'e2': a parallel branch always runs, so its condition cannot hold (from 'node_p'); put a logic_decision at the start of the branch @ edges[1].id"
        ]
    );
}

/// `node_in` → `node_loop`, whose port named by `body` leads to `node_b` and whose port
/// `out_done` leads to `node_after`; the loop declares `outputs`.
fn loop_with_outputs(body: &str, outputs: Value) -> Value {
    let mut doc = flow(
        &[
            IN,
            ("node_loop", "logic_loop"),
            ("node_b", "llm_rigid"),
            ("node_after", "llm_rigid"),
        ],
        &[
            (
                "e1",
                "sequential",
                "node_in",
                "out_request",
                "node_loop",
                "",
            ),
            ("e2", "sequential", "node_loop", body, "node_b", ""),
            (
                "e3",
                "sequential",
                "node_loop",
                "out_done",
                "node_after",
                "",
            ),
        ],
    );
    doc["nodes"][1]["outputs"] = outputs;
    doc
}

#[test]
fn declared_loop_ports_are_matched_by_name() {
    // Declared in the "wrong" order: names win over positions.
    let doc = loop_with_outputs(
        "out_body",
        json!([{"id": "out_done", "label": "done"}, {"id": "out_body", "label": "body"}]),
    );
    assert_eq!(structured(&doc), ["loop(loop)[b]; after"]);
}

/// A loop with a `done` port and no `body` port: its body is its first other output,
/// wherever the two are declared.
#[test]
fn the_body_is_the_output_that_is_not_done() {
    for outputs in [
        json!([{"id": "out_done", "label": "done"}, {"id": "repeat"}]),
        json!([{"id": "repeat"}, {"id": "out_done", "label": "done"}]),
    ] {
        let doc = loop_with_outputs("repeat", outputs.clone());
        assert_eq!(structured(&doc), ["loop(loop)[b]; after"], "{outputs}");
    }
}

/// `node_d` forks into `arms` (edge id, type, condition, target); `node_x` and `node_y`
/// continue at `node_j`, which continues at `node_k`; `node_err` ends the flow.
fn early_exit(
    arms: &[(&str, &str, &str, &str)],
    extra: &[(&str, &str, &str, &str, &str, &str)],
) -> Value {
    let mut edges = vec![
        ("e1", "sequential", "node_in", "out_request", "node_d", ""),
        ("ex", "sequential", "node_x", "out", "node_j", ""),
        ("ey", "sequential", "node_y", "out", "node_j", ""),
        ("ej", "sequential", "node_j", "out", "node_k", ""),
    ];
    for &(id, ty, cond, target) in arms {
        edges.push((id, ty, "node_d", "out", target, cond));
    }
    edges.extend_from_slice(extra);
    let mut nodes = vec![
        IN,
        ("node_d", "logic_decision"),
        ("node_x", "llm_rigid"),
        ("node_y", "llm_rigid"),
        ("node_err", "llm_rigid"),
        ("node_j", "llm_rigid"),
        ("node_k", "llm_rigid"),
    ];
    if extra.iter().any(|e| e.2 == "node_retry") {
        nodes.push(("node_retry", "logic_decision"));
    }
    flow(&nodes, &edges)
}

#[test]
fn arms_that_end_the_flow_first_are_peeled_off_the_decision() {
    let doc = early_exit(
        &[
            ("e2", "conditional", "bad", "node_err"),
            ("e3", "conditional", "x", "node_x"),
            ("e4", "sequential", "", "node_y"),
        ],
        &[],
    );
    // When `bad` holds, only `err` runs; otherwise the decision among the other arms, and
    // then what follows where they meet.
    assert_eq!(
        structured(&doc),
        ["decision(d)[bad: err | else: decision(rest of d)[x: x | else: y]; j; k]"]
    );
}

#[test]
fn an_arm_that_ends_the_flow_after_one_that_continues_is_refused() {
    let late = early_exit(
        &[
            ("e2", "conditional", "x", "node_x"),
            ("e3", "conditional", "bad", "node_err"),
            ("e4", "sequential", "", "node_y"),
        ],
        &[],
    );
    assert_eq!(
        errors(&late),
        [
            "SF213: edge 'e3': node 'node_j' runs after the arms of 'node_d' for edge 'e2' and its fallthrough 'e4' but not after this arm, which is tried between them: arms are tried in declaration order (the fallthrough last), so an arm that does not lead to 'node_j' must be declared before every arm that does @ edges[5].id"
        ]
    );
    // The fallthrough arm is always tried last, so it cannot be the one that ends the flow.
    let else_exits = early_exit(
        &[
            ("e2", "sequential", "", "node_err"),
            ("e3", "conditional", "x", "node_x"),
            ("e4", "conditional", "y", "node_y"),
        ],
        &[],
    );
    let errs = errors(&else_exits);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(
            "SF213: edge 'e2': node 'node_j' runs after the arms of 'node_d' for edge 'e3' and edge 'e4' but not after its fallthrough 'e2', which is always tried last"
        ),
        "{errs:?}"
    );
}

#[test]
fn an_arm_that_continues_only_sometimes_is_refused() {
    let doc = early_exit(
        &[
            ("e2", "conditional", "bad", "node_retry"),
            ("e3", "conditional", "x", "node_x"),
            ("e4", "sequential", "", "node_y"),
        ],
        &[
            ("r1", "conditional", "node_retry", "out", "node_j", "retry"),
            ("r2", "sequential", "node_retry", "out", "node_err", ""),
        ],
    );
    assert_eq!(
        errors(&doc),
        [
            "SF213: edge 'r1': node 'node_j' is reached over edge 'r1' (when 'node_d' takes edge 'e2' and 'node_retry' takes edge 'r1') and over edge 'ex' (when 'node_d' takes edge 'e3' or its fallthrough 'e4'); no single place in the flow runs it exactly then (each node is placed once) — decide it in one logic_decision whose condition combines both, let these paths meet at one decision's join before 'node_j', or give each path its own node @ edges[7].id"
        ]
    );
}

#[test]
fn a_parallel_branch_that_ends_the_flow_just_completes() {
    let doc = flow(
        &[
            IN,
            ("node_p", "logic_parallel"),
            ("node_log", "llm_rigid"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_j", "llm_rigid"),
        ],
        &[
            ("e1", "sequential", "node_in", "out_request", "node_p", ""),
            ("e2", "sequential", "node_p", "out", "node_log", ""),
            ("e3", "sequential", "node_p", "out", "node_x", ""),
            ("e4", "sequential", "node_p", "out", "node_y", ""),
            ("e5", "sequential", "node_x", "out", "node_j", ""),
            ("e6", "sequential", "node_y", "out", "node_j", ""),
        ],
    );
    assert_eq!(
        structured(&doc),
        ["parallel(p)[log | parallel(fork of p)[x | y]; j]"]
    );
}

#[test]
fn a_body_leaving_its_loop_through_a_fork_is_named() {
    let doc = flow(
        &[
            IN,
            ("node_loop", "logic_loop"),
            ("node_d", "logic_decision"),
            ("node_x", "llm_rigid"),
            ("node_y", "llm_rigid"),
            ("node_after", "llm_rigid"),
        ],
        &[
            (
                "e1",
                "sequential",
                "node_in",
                "out_request",
                "node_loop",
                "",
            ),
            ("e2", "sequential", "node_loop", "done", "node_after", ""),
            ("e3", "sequential", "node_loop", "body", "node_d", ""),
            ("e4", "conditional", "node_d", "out", "node_x", "a"),
            ("e5", "sequential", "node_d", "out", "node_y", ""),
            ("e6", "sequential", "node_x", "out", "node_after", ""),
            ("e7", "sequential", "node_y", "out", "node_after", ""),
        ],
    );
    // The arms re-converge at `after`, which follows the loop: the first body edge into it
    // is named (not the loop's own `done` edge, declared before it).
    assert_eq!(
        errors(&doc),
        [
            "SF214: edge 'e6': leaves the body of loop 'node_loop' (a body ends inside the loop; continue from the loop's done port) @ edges[5].id"
        ]
    );
}

#[test]
fn analyze_and_lowering_agree_on_which_forks_run_in_parallel() {
    // `a` has two sequential out-edges: both branches run, so `x` has finished when `j`
    // (where they meet) starts, and the data edge is fine.
    let edges = |second: (&'static str, &'static str)| {
        vec![
            ("e1", "sequential", "node_in", "out_request", "node_a", ""),
            ("e2", "sequential", "node_a", "out", "node_x", ""),
            ("e3", second.0, "node_a", "out", "node_y", second.1),
            ("e4", "sequential", "node_x", "out", "node_j", ""),
            ("e5", "sequential", "node_y", "out", "node_j", ""),
            ("d1", "data", "node_x", "out", "node_j", ""),
        ]
    };
    let nodes = [
        IN,
        ("node_a", "llm_rigid"),
        ("node_x", "llm_rigid"),
        ("node_y", "llm_rigid"),
        ("node_j", "llm_rigid"),
    ];
    let par = flow(&nodes, &edges(("sequential", "")));
    assert!(analyze_value(&par).diagnostics.is_empty());
    assert_eq!(structured(&par), ["a; parallel(fork of a)[x | y]; j"]);
    // With a conditional edge the out-edges are a decision's arms (the sequential one is
    // the else): only one runs, so `x` may not have run.
    let dec = flow(&nodes, &edges(("conditional", "a.ok")));
    let codes: Vec<String> = analyze_value(&dec)
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    assert_eq!(codes, ["SF212"]);
}

// ---------------------------------------------------------------------------------------
// Regression tests for the classes of the sound-lowering review (docs/semantics.md): each
// case was once compiled wrongly (a miscompile) or refused although a faithful structure
// exists. Graphs are written compactly:
//   nodes: `name:kind` (kinds: entry, decision, parallel, loop; anything else is a step)
//   edges: `a>b` sequential, `a-cond>b` conditional with condition `cond`, `a~>b` data,
//          `l/body>x` and `l/done>y` for a loop's ports. Edge ids are e1, e2, ... in order.

fn dsl(nodes: &str, edges: &str) -> Value {
    let kinds: std::collections::HashMap<&str, &str> = nodes
        .split_whitespace()
        .map(|n| match n.split_once(':') {
            Some((id, k)) => (id, k),
            None => (n, "step"),
        })
        .collect();
    let kind_of = |id: &str| match kinds.get(id).copied().unwrap_or("step") {
        "entry" => "entry_api",
        "decision" => "logic_decision",
        "parallel" => "logic_parallel",
        "loop" => "logic_loop",
        _ => "llm_rigid",
    };
    let order: Vec<&str> = nodes
        .split_whitespace()
        .map(|n| n.split(':').next().unwrap())
        .collect();
    let ns: Vec<(String, &str)> = order
        .iter()
        .map(|id| (format!("node_{id}"), kind_of(id)))
        .collect();
    let mut es = Vec::new();
    for (i, tok) in edges
        .split([',', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .enumerate()
    {
        let (lhs, target) = tok.rsplit_once('>').unwrap();
        let (ty, lhs, cond) = if let Some(s) = lhs.strip_suffix('~') {
            ("data", s, "")
        } else if let Some((s, c)) = lhs.split_once('-') {
            ("conditional", s, c)
        } else {
            ("sequential", lhs, "")
        };
        let (src, port) = match lhs.split_once('/') {
            Some((s, p)) => (s, p.to_string()),
            None if kind_of(lhs) == "entry_api" => (lhs, "out_request".to_string()),
            None if kind_of(lhs) == "logic_loop" => (lhs, "done".to_string()),
            None => (lhs, "out".to_string()),
        };
        es.push((
            format!("e{}", i + 1),
            ty,
            format!("node_{src}"),
            port,
            format!("node_{target}"),
            cond.to_string(),
        ));
    }
    let nrefs: Vec<(&str, &str)> = ns.iter().map(|(i, k)| (i.as_str(), *k)).collect();
    let erefs: Vec<(&str, &str, &str, &str, &str, &str)> = es
        .iter()
        .map(|(i, t, s, p, d, c)| {
            (
                i.as_str(),
                *t,
                s.as_str(),
                p.as_str(),
                d.as_str(),
                c.as_str(),
            )
        })
        .collect();
    flow(&nrefs, &erefs)
}

#[test]
fn regression_a_join_placed_by_an_earlier_arm_is_not_skipped() {
    // d: cached → reply; else → prep → {log, check: broken → fix → reply, else → reply}.
    // `reply` runs after the decision whichever way it goes; it was lost when not cached.
    let doc = dsl(
        "in:entry d:decision reply prep log check fix",
        "in>d, d-cached>reply, d>prep, prep>log, prep>check, check-broken>fix, check>reply, fix>reply",
    );
    assert_eq!(
        structured(&doc),
        [
            "decision(d)[cached:  | else: prep; parallel(fork of prep)[log | check; decision(check)[broken: fix | else: ]]]; reply"
        ]
    );
}

#[test]
fn regression_an_edge_into_a_loop_body_from_outside_is_refused() {
    let doc = dsl(
        "in:entry p:parallel l:loop a b x k",
        "in>p, p>l, p>x, l/body>a, a>b, x>b, l/done>k",
    );
    assert_eq!(
        errors(&doc),
        [
            "SF214: edge 'e6': enters the body of loop 'node_l' from outside it at 'node_b' (only the loop's body port leads into its body) @ edges[5].id"
        ]
    );
}

#[test]
fn regression_entries_with_the_same_targets_but_other_conditions_get_their_own_flows() {
    let doc = dsl("in1:entry in2:entry a", "in1-first>a, in2-second>a");
    assert_eq!(
        structured(&doc),
        ["decision(in1)[first: a]", "decision(in2)[second: a]"]
    );
    // The second entry's own checks run too.
    let doc = dsl("in1:entry in2:entry a b", "in1>a, in1>b, in2>a, in2-true>b");
    assert_eq!(
        errors(&doc).iter().map(|e| &e[..6]).collect::<Vec<_>>(),
        ["SF215:"]
    );
}

#[test]
fn regression_a_one_arm_decision_inside_an_arm_does_not_let_the_continuation_through() {
    // d: x → g -ok→ h → j; else → y → j. When `g`'s guard fails, the path stops: `j` must
    // not run then, yet it runs after `y`. No single place expresses that.
    let doc = dsl(
        "in:entry d:decision g h y j",
        "in>d, d-x>g, g-ok>h, h>j, d>y, y>j",
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("SF213: edge 'e6': node 'node_j' is reached over edge 'e6' (when 'node_d' takes its fallthrough 'e5') and over edge 'e4' (when 'node_d' takes edge 'e2' and 'node_g' takes edge 'e3')"),
        "{errs:?}"
    );
    // Without the shared join, the guard holds the rest of its arm.
    let doc = dsl(
        "in:entry d:decision g h m y",
        "in>d, d-x>g, g-ok>h, h>m, d>y",
    );
    assert_eq!(
        structured(&doc),
        ["decision(d)[x: g; decision(g)[ok: h; m] | else: y]"]
    );
}

#[test]
fn regression_a_stopping_arm_after_continuing_arms_is_refused_with_four_arms() {
    let doc = dsl(
        "in:entry d:decision x err y z j",
        "in>d, d-a1>x, d-s1>err, d-a2>y, d>z, x>j, y>j, z>j",
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("SF213: edge 'e3': node 'node_j' runs after the arms of 'node_d' for edge 'e2' and edge 'e4' and its fallthrough 'e5' but not after this arm"),
        "{errs:?}"
    );
    // Stopping arms declared first are peeled off, however many.
    let doc = dsl(
        "in:entry d:decision err err2 x y j",
        "in>d, d-s1>err, d-s2>err2, d-a1>x, d>y, x>j, y>j",
    );
    assert_eq!(
        structured(&doc),
        ["decision(d)[s1: err | s2: err2 | else: decision(rest of d)[a1: x | else: y]; j]"]
    );
}

#[test]
fn regression_data_from_a_node_that_never_runs_is_refused() {
    let doc = dsl("in:entry a lost", "in>a, lost~>a");
    assert_eq!(
        errors(&doc),
        [
            "SF212: edge 'e2': data source 'node_lost' is not reached from any entry, so 'node_a' would read a result that is never produced @ edges[1].id"
        ]
    );
    // A source only another entry reaches never runs in that entry's flow (the analyze
    // stage already refuses this one: `b` does not run before `a` when `in1` fires).
    let doc = dsl("in1:entry in2:entry a b", "in1>a, in2>b, b>a, b~>a");
    let out = analyze_value(&doc);
    assert!(out.analyzed.is_none(), "refused by the analyze stage");
    let msgs: Vec<String> = out.diagnostics.into_iter().map(|d| d.message).collect();
    assert_eq!(
        msgs,
        ["edge 'e4': data source 'node_b' does not run before its target 'node_a' on every path"]
    );
}

#[test]
fn parallels_are_structured_by_their_real_joins() {
    // A fire-and-forget side branch inside an arm.
    let doc = dsl(
        "in:entry d:decision a notify j",
        "in>d, d-vip>a, a>notify, a>j, d>j",
    );
    assert_eq!(
        structured(&doc),
        ["decision(d)[vip: a; notify | else: ]; j"]
    );
    // A branch of a parallel that is a decision whose else arm stops.
    let doc = dsl(
        "in:entry p:parallel d:decision x y b j",
        "in>p, p>d, p>b, d-ok>x, x>j, d>y, b>j",
    );
    assert_eq!(
        structured(&doc),
        ["parallel(p)[decision(d)[ok: x | else: y] | b]; j"]
    );
    // entry → {a, b}; b → {a, x}: `a` waits for `b`.
    let doc = dsl("in:entry a b x", "in>a, in>b, b>a, b>x");
    assert_eq!(structured(&doc), ["b; parallel(fork of b)[a | x]"]);
    // Two of three branches meeting first.
    let doc = dsl(
        "in:entry p:parallel a b c j1 j2",
        "in>p, p>a, p>b, p>c, a>j1, b>j1, j1>j2, c>j2",
    );
    assert_eq!(
        structured(&doc),
        ["parallel(p)[parallel(fork of p)[a | b]; j1 | c]; j2"]
    );
    // A guard-only decision in a branch whose join a sibling reaches anyway.
    let doc = dsl(
        "in:entry p:parallel g x b j",
        "in>p, p>g, p>b, g-ok>x, x>j, b>j",
    );
    assert_eq!(
        structured(&doc),
        ["parallel(p)[g; decision(g)[ok: x] | b]; j"]
    );
    // A decision whose arms partly re-join before all of them meet.
    let doc = dsl(
        "in:entry d:decision z x y j m",
        "in>d, d-s>z, d-a>x, d>y, x>j, y>j, j>m, z>m",
    );
    assert_eq!(
        structured(&doc),
        ["decision(d)[s: z | else: decision(rest of d)[a: x | else: y]; j]; m"]
    );
}

#[test]
fn every_edge_into_a_loop_body_is_named_once() {
    // The entry itself leads into the body.
    let doc = dsl("in:entry l:loop a k", "in>l, l/body>a, in>a, l>k");
    assert_eq!(
        errors(&doc),
        [
            "SF214: edge 'e3': enters the body of loop 'node_l' from outside it at 'node_a' (only the loop's body port leads into its body) @ edges[2].id"
        ]
    );
    // A node both the body port and the done port lead to: the body edge leaves the body.
    let doc = dsl("in:entry l:loop x", "in>l, l/body>x, l>x");
    assert_eq!(
        errors(&doc),
        [
            "SF214: edge 'e2': leaves the body of loop 'node_l' (a body ends inside the loop; continue from the loop's done port) @ edges[1].id"
        ]
    );
    // Two body nodes entered from outside: both named; what follows them inside the body is
    // not (it is reached from the body).
    let doc = dsl(
        "in:entry p:parallel l:loop a b c x",
        "in>p, p>l, p>x, l/body>a, a>b, b>c, x>a, x>b",
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with(
            "SF214: edge 'e7': enters the body of loop 'node_l' from outside it at 'node_a'"
        ),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with(
            "SF214: edge 'e8': enters the body of loop 'node_l' from outside it at 'node_b'"
        ),
        "{errs:?}"
    );
}

#[test]
fn a_problem_shared_by_two_flows_is_reported_once_and_distinct_ones_each() {
    // Both entries reach the same unstructurable join (through different edges, so they get
    // flows of their own).
    let shared = "in1>p, in2-go>p, p>d1, p>d2, d1-a>j, d2-b>j";
    let doc = dsl(
        "in1:entry in2:entry p:parallel d1:decision d2:decision j",
        shared,
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("SF213: edge 'e6': node 'node_j'"),
        "{errs:?}"
    );
    // Each entry reaches a problem of its own: both are reported.
    let doc = dsl(
        "in1:entry in2:entry p:parallel d1:decision d2:decision j q:parallel d3:decision d4:decision k",
        "in1>p, p>d1, p>d2, d1-a>j, d2-b>j, in2>q, q>d3, q>d4, d3-c>k, d4-d>k",
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].contains("node 'node_j'") && errs[1].contains("node 'node_k'"),
        "{errs:?}"
    );
}

#[test]
fn nesting_is_bounded_where_it_passes_the_limit() {
    // d0 → d1 → ... each one arm deeper; leaf l_i runs under i + 1 arms, so l200 is the
    // first node past the 200 levels (l199 is exactly at the limit).
    let n = 230;
    let mut nodes = String::from("in:entry");
    let mut edges = String::from("in>d0");
    for i in 0..n {
        nodes.push_str(&format!(" d{i}:decision l{i}"));
        edges.push_str(&format!(", d{i}>l{i}"));
        if i + 1 < n {
            edges.push_str(&format!(", d{i}-x>d{}", i + 1));
        }
    }
    let errs = errors(&dsl(&nodes, &edges));
    assert_eq!(
        errs,
        ["SF216: node 'node_l200': blocks are nested more than 200 levels deep @ nodes[402].id"]
    );
}

#[test]
fn a_node_after_an_unstructurable_one_is_not_reported_again() {
    // `j1` has no structured place; `v` follows it and two more side-by-side decisions.
    // Only `j1` is reported: `v`'s condition depends on it and is not guessed at.
    let doc = dsl(
        "in:entry p:parallel d1:decision d2:decision d3:decision d4:decision j1 v",
        "in>p, p>d1, p>d2, p>d3, p>d4, d1-a>j1, d2-b>j1, j1>v, d3-c>v, d4-d>v",
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("node 'node_j1'"), "{errs:?}");
}

#[test]
fn a_logic_parallel_with_one_branch_holds_it() {
    let doc = dsl("in:entry p:parallel a b", "in>p, p>a, a>b");
    assert_eq!(structured(&doc), ["parallel(p)[a]; b"]);
}

#[test]
fn many_blocks_in_sequence_are_not_nested() {
    // 210 fork/join diamonds, 210 loops and 210 decision diamonds one after the other:
    // each block's nesting ends where it ends, so the 200-level bound is never reached.
    let mut nodes = String::from("in:entry");
    let mut edges = String::from("in>s0");
    nodes.push_str(" s0");
    for i in 0..210 {
        let n = i + 1;
        nodes.push_str(&format!(
            " a{i} b{i} l{i}:loop x{i} d{i}:decision y{i} z{i} s{n}"
        ));
        edges.push_str(&format!(
            ", s{i}>a{i}, s{i}>b{i}, a{i}>l{i}, b{i}>l{i}, l{i}/body>x{i}, l{i}>d{i}, d{i}-c>y{i}, d{i}>z{i}, y{i}>s{n}, z{i}>s{n}"
        ));
    }
    let got = structured(&dsl(&nodes, &edges));
    assert!(
        got[0].starts_with(
            "s0; parallel(fork of s0)[a0 | b0]; loop(l0)[x0]; decision(d0)[c: y0 | else: z0]; s1;"
        ),
        "{got:?}"
    );
    assert!(got[0].ends_with("loop(l209)[x209]; decision(d209)[c: y209 | else: z209]; s210"));
}
