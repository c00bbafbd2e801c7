//! The lowering verifier (translation validation, in the spirit of Cranelift's verifier):
//! after structuring, re-derive from the blocks alone when and in which order each node
//! runs, and compare with the graph (`docs/semantics.md`). It shares nothing with the
//! structuring code but the node facts and the condition algebra, and it always runs: a
//! mismatch is an internal error (exit 2, nothing written), never a wrong artifact.
//!
//! The checks, per flow:
//! 1. every node the entry reaches is placed exactly once, and nothing else is;
//! 2. each decision block's arms follow first-match order: an arm for guarded edge `g`
//!    is tried after exactly the guards declared before `g` (in this block or in the
//!    enclosing blocks whose else arm holds it), so the arm runs exactly when the graph
//!    takes `g`; an else arm runs for the values left;
//! 3. each node's condition in the program (the arms above it) equals the disjunction,
//!    over its incoming control edges, of the source's condition and the edge being live —
//!    by induction over the topological order, the node then runs exactly when the graph
//!    runs it;
//! 4. every control edge runs its source before its target (when both run), and every
//!    data edge's source has run, before the target, whenever the target runs.

use super::cube::{Cube, disjunction};
use super::facts::Facts;
use super::{Arm, Block};
use crate::hash::{HashMap, HashMapExt};
use crate::model::NodeKind;

/// Where a node is placed: its condition relative to its region, the region (the flow's
/// entry, or the loop whose body holds it), and its path in the block tree.
pub(super) struct Place {
    cube: Cube,
    region: usize,
    /// Per nesting level: the block's index in its list, and the arm or branch below it
    /// (0 for the block itself), and whether that block is a parallel.
    path: Vec<(u32, u32, bool)>,
}

/// The places of a flow's nodes, by node index: made once for all of a flow's entry
/// groups, and cleared of the nodes one check placed before the next. (A map grown by
/// insertion was 1 MB at 10,000 nodes, and half as much again while it rehashed, at the
/// structure step's peak; docs/performance.md, "Fields at their size, and the allocator's
/// threshold".)
pub(super) struct Places {
    at: Vec<Option<Place>>,
    /// The nodes placed since the last clearing, in the order they were placed.
    placed: Vec<usize>,
}

impl Places {
    /// Room for the places of a flow of `nodes` nodes.
    pub(super) fn new(nodes: usize) -> Self {
        Places {
            at: std::iter::repeat_with(|| None).take(nodes).collect(),
            placed: Vec::new(),
        }
    }

    /// Forgets every place (in the time of the nodes placed, not of the flow's nodes).
    fn clear(&mut self) {
        for v in self.placed.drain(..) {
            self.at[v] = None;
        }
    }

    /// Places `node`; whether it was placed already (the new place then replaces it).
    fn insert(&mut self, node: usize, place: Place) -> bool {
        let before = self.at[node].replace(place).is_some();
        if !before {
            self.placed.push(node);
        }
        before
    }

    fn get(&self, node: usize) -> Option<&Place> {
        self.at.get(node).and_then(Option::as_ref)
    }

    fn contains(&self, node: usize) -> bool {
        self.get(node).is_some()
    }

    /// The placed nodes, in the order they were placed.
    fn nodes(&self) -> &[usize] {
        &self.placed
    }
}

impl std::ops::Index<usize> for Places {
    type Output = Place;

    /// The place of a node the walk placed (a node placed by the structure is placed
    /// before it is asked for).
    fn index(&self, node: usize) -> &Place {
        match self.get(node) {
            Some(p) => p,
            // ok: asked only for a node's region chain, whose nodes are all placed (a loop
            // places itself before its body), as the map's `[]` was.
            None => panic!("node {node} is not placed"),
        }
    }
}

struct Walk<'f, 'a, 'p> {
    f: &'f Facts<'a>,
    placed: &'p mut Places,
    problems: Vec<String>,
}

/// Problems found in the structured flow of `root`; empty when it is faithful. `places`
/// has room for the flow's nodes ([`Places::new`]); it is cleared first.
pub(super) fn check(f: &Facts, root: usize, blocks: &[Block], places: &mut Places) -> Vec<String> {
    places.clear();
    let mut w = Walk {
        f,
        placed: places,
        problems: Vec::new(),
    };
    w.placed.insert(
        root,
        Place {
            cube: Cube::top(),
            region: root,
            path: Vec::new(),
        },
    );
    let mut path = Vec::new();
    let mut excluded = HashMap::new();
    w.list(blocks, &Cube::top(), root, &mut path, &mut excluded);
    if w.problems.is_empty() {
        w.against_graph(root);
    }
    w.problems.truncate(20);
    w.problems
}

impl Walk<'_, '_, '_> {
    fn place(&mut self, node: usize, cube: &Cube, region: usize, path: &[(u32, u32, bool)]) {
        let p = Place {
            cube: cube.clone(),
            region,
            path: path.to_vec(),
        };
        if self.placed.insert(node, p) {
            self.problems
                .push(format!("node '{}' is placed twice", self.f.id(node)));
        }
    }

    fn list(
        &mut self,
        blocks: &[Block],
        cube: &Cube,
        region: usize,
        path: &mut Vec<(u32, u32, bool)>,
        excluded: &mut HashMap<usize, Vec<u32>>,
    ) {
        let f = self.f;
        for (i, b) in blocks.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            path.push((i, 0, false));
            match b {
                Block::Step { node } => {
                    if matches!(
                        f.kind(*node),
                        NodeKind::LogicDecision | NodeKind::LogicParallel | NodeKind::LogicLoop
                    ) || f.kind(*node).is_entry()
                    {
                        self.problems
                            .push(format!("node '{}' is placed as a step", f.id(*node)));
                    }
                    self.place(*node, cube, region, path);
                }
                Block::Loop { node, body } => {
                    if f.kind(*node) != NodeKind::LogicLoop {
                        self.problems
                            .push(format!("node '{}' is placed as a loop", f.id(*node)));
                    }
                    self.place(*node, cube, region, path);
                    if let Some(p) = path.last_mut() {
                        p.1 = 1;
                    }
                    let mut inner = HashMap::new();
                    self.list(body, &Cube::top(), *node, path, &mut inner);
                }
                Block::Parallel {
                    node,
                    branches,
                    own,
                } => {
                    if *own {
                        if f.kind(*node) != NodeKind::LogicParallel {
                            self.problems.push(format!(
                                "node '{}' is placed as a logic_parallel",
                                f.id(*node)
                            ));
                        }
                        self.place(*node, cube, region, path);
                    }
                    for (k, br) in branches.iter().enumerate() {
                        let k = u32::try_from(k + 1).unwrap_or(u32::MAX);
                        if let Some(p) = path.last_mut() {
                            *p = (i, k, true);
                        }
                        self.list(&br.blocks, cube, region, path, excluded);
                    }
                }
                Block::Decision { node, arms, rest } => {
                    let previous_step = i > 0
                        && matches!(blocks[i as usize - 1], Block::Step { node: s } if s == *node);
                    let own = f.kind(*node) == NodeKind::LogicDecision;
                    if !rest && own {
                        self.place(*node, cube, region, path);
                    } else if !rest && *node != region && !previous_step {
                        self.problems.push(format!(
                            "the decision of node '{}' does not follow its step",
                            f.id(*node)
                        ));
                    }
                    self.decision(*node, arms, *rest, cube, region, i, path, excluded);
                }
            }
            path.pop();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn decision(
        &mut self,
        d: usize,
        arms: &[Arm],
        rest: bool,
        cube: &Cube,
        region: usize,
        i: u32,
        path: &mut Vec<(u32, u32, bool)>,
        excluded: &mut HashMap<usize, Vec<u32>>,
    ) {
        let f = self.f;
        let Some(choice) = f.choice[d].clone() else {
            self.problems
                .push(format!("node '{}' is not a decision", f.id(d)));
            return;
        };
        let domain = choice.domain();
        let mut tried: Vec<u32> = match (rest, excluded.get(&d)) {
            (true, Some(x)) => x.clone(),
            (false, None) => Vec::new(),
            _ => {
                self.problems.push(format!(
                    "the decision of node '{}' is nested in its own else arm, or a rest of it is not",
                    f.id(d)
                ));
                return;
            }
        };
        let mut seen_else = false;
        let mut prefix = {
            let mut sorted = tried.clone();
            sorted.sort_unstable();
            sorted.iter().enumerate().all(|(i, &v)| v as usize == i)
        };
        for (k, arm) in arms.iter().enumerate() {
            if seen_else {
                self.problems.push(format!(
                    "decision of node '{}': an arm follows its else arm",
                    f.id(d)
                ));
            }
            let guard = arm
                .edge
                .and_then(|e| choice.value(e))
                .filter(|&v| (v as usize) < choice.guards.len());
            let vals: Vec<u32> = match (arm.edge, guard) {
                (Some(e), None) if choice.value(e).is_none() => {
                    self.problems.push(format!(
                        "decision of node '{}': arm edge '{}' does not leave it",
                        f.id(d),
                        f.edge_id(e)
                    ));
                    continue;
                }
                (Some(e), Some(g)) => {
                    // `tried` is exactly the guards 0..len while every arm came in order.
                    if !(prefix && g as usize == tried.len()) {
                        prefix = false;
                        self.problems.push(format!(
                            "decision of node '{}': the arm of edge '{}' is not tried right after the guards declared before it",
                            f.id(d),
                            f.edge_id(choice.guards[g as usize])
                        ));
                    }
                    // What the emitters read: the arm's `when` is its edge's condition.
                    if arm.fallthrough || arm.condition != f.a.flow.edges[e].condition {
                        self.problems.push(format!(
                            "decision of node '{}': the arm of edge '{}' does not carry that edge's condition",
                            f.id(d),
                            f.edge_id(e)
                        ));
                    }
                    tried.push(g);
                    vec![g]
                }
                _ => {
                    seen_else = true;
                    if !arm.fallthrough {
                        self.problems.push(format!(
                            "decision of node '{}': its else arm is not marked as the fallthrough",
                            f.id(d)
                        ));
                    }
                    let mut left: Vec<u32> = (0..domain).collect();
                    if prefix {
                        left.drain(..tried.len().min(left.len()));
                    } else {
                        left.retain(|v| !tried.contains(v));
                    }
                    left
                }
            };
            let Some(arm_cube) = cube.and(d, &vals, domain) else {
                self.problems.push(format!(
                    "decision of node '{}': an arm that can never run",
                    f.id(d)
                ));
                continue;
            };
            let k = u32::try_from(k + 1).unwrap_or(u32::MAX);
            if let Some(p) = path.last_mut() {
                *p = (i, k, false);
            }
            let synthetic_else = arm.edge.is_none();
            let saved = excluded.get(&d).cloned();
            if synthetic_else {
                excluded.insert(d, tried.clone());
            } else {
                excluded.remove(&d);
            }
            self.list(&arm.blocks, &arm_cube, region, path, excluded);
            match saved {
                Some(x) => excluded.insert(d, x),
                None => excluded.remove(&d),
            };
        }
    }

    /// Checks 1, 3 and 4 against the graph.
    fn against_graph(&mut self, root: usize) {
        let f = self.f;
        // 1. Placement: exactly the nodes the entry reaches.
        let reached = f.a.control.reachable_from(&[root]);
        for (v, &r) in reached.iter().enumerate() {
            if r != self.placed.contains(v) {
                let what = if r {
                    "is not placed"
                } else {
                    "is placed but never runs"
                };
                self.problems.push(format!("node '{}' {what}", f.id(v)));
            }
        }
        if !self.problems.is_empty() {
            return;
        }
        // 3. Conditions, and 4. order.
        let mut nodes: Vec<usize> = self.placed.nodes().to_vec();
        nodes.sort_unstable_by_key(|&v| f.pos[v]);
        for &v in &nodes {
            if v == root {
                continue;
            }
            let pv = &self.placed[v];
            let mut parts = Vec::new();
            for &e in &f.ins[v] {
                let u = f.source(e);
                let Some(pu) = self.placed.get(u) else {
                    continue; // never runs in this flow
                };
                if f.body_edge[e] {
                    if pv.region != u {
                        self.problems.push(format!(
                            "edge '{}': a body edge of loop '{}' leads outside its body",
                            f.edge_id(e),
                            f.id(u)
                        ));
                    }
                    parts.push(Cube::top());
                    continue;
                }
                if pu.region != pv.region {
                    self.problems.push(format!(
                        "edge '{}' crosses a loop body's boundary",
                        f.edge_id(e)
                    ));
                    continue;
                }
                if !precedes(&pu.path, &pv.path) {
                    self.problems.push(format!(
                        "edge '{}': '{}' may run after '{}'",
                        f.edge_id(e),
                        f.id(u),
                        f.id(v)
                    ));
                }
                let part = match &f.choice[u] {
                    Some(c) => c
                        .value(e)
                        .and_then(|val| pu.cube.and(u, &[val], c.domain())),
                    None => Some(pu.cube.clone()),
                };
                parts.extend(part);
            }
            let expected = if parts.is_empty() {
                None
            } else {
                disjunction(parts, |d| f.domain(d)).ok()
            };
            if expected.as_ref() != Some(&pv.cube) {
                self.problems.push(format!(
                    "node '{}' does not run exactly when the graph runs it",
                    f.id(v)
                ));
            }
            for &e in &f.data_ins[v] {
                let u = f.source(e);
                if f.kind(u).is_entry() {
                    continue;
                }
                let Some(pu) = self.placed.get(u) else {
                    self.problems.push(format!(
                        "data edge '{}': its source never runs in this flow",
                        f.edge_id(e)
                    ));
                    continue;
                };
                // The node of u's region that holds v: v, or a loop around it.
                let mut z = v;
                while self.placed[z].region != pu.region && z != root {
                    z = self.placed[z].region;
                }
                let pz = &self.placed[z];
                if pz.region != pu.region
                    || !pz.cube.implies(&pu.cube)
                    || !precedes(&pu.path, &pz.path)
                {
                    self.problems.push(format!(
                        "data edge '{}': '{}' has not always run before '{}'",
                        f.edge_id(e),
                        f.id(u),
                        f.id(v)
                    ));
                }
            }
        }
    }
}

/// Whether the block at `a` has finished before the one at `b` starts (or they never both
/// run: different arms of one decision). A block holding the other (a decision over its
/// arms, a loop over its body) comes first.
fn precedes(a: &[(u32, u32, bool)], b: &[(u32, u32, bool)]) -> bool {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    match (a.get(k), b.get(k)) {
        // `a` ended before `b` differs: `a` is the root (a placement path ends with the
        // block's own entry, which differs from anything inside it).
        (None, _) => a.is_empty(),
        (Some(_), None) => false,
        (Some(x), Some(y)) if x.0 != y.0 => x.0 < y.0,
        // Same block, different arms or branches.
        (Some(x), Some(y)) => {
            // The block itself (arm 0) precedes what it holds.
            if x.1 == 0 && y.1 != 0 {
                return true;
            }
            !(x.2 || y.2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{AnalyzedFlow, analyze_value};
    use serde_json::json;

    /// in → d; d -a→ x; d → y (fallthrough); x → j; y → j; p (parallel) after j → {m, n};
    /// data edge x ~> m is not there; `x ~> j` is added by `with_data`.
    fn analyzed(with_data: bool) -> AnalyzedFlow {
        let node = |id: &str, kind: &str| {
            let cfg = if kind == "llm_rigid" {
                json!({"template": "t"})
            } else {
                json!({})
            };
            json!({"id": id, "type": kind, "label": id, "position": {"x": 0, "y": 0}, "config": cfg})
        };
        let edge = |id: &str, ty: &str, s: &str, sp: &str, t: &str, c: Option<&str>| {
            let mut e = json!({"id": id, "type": ty, "source": {"node": s, "port": sp},
                "target": {"node": t, "port": "in"}});
            if let Some(c) = c {
                e["condition"] = json!(c);
            }
            e
        };
        let mut edges = vec![
            edge("e0", "sequential", "in", "out_request", "d", None),
            edge("e1", "conditional", "d", "out", "x", Some("a")),
            edge("e2", "conditional", "d", "out", "z", Some("b")),
            edge("e3", "sequential", "d", "out", "y", None),
            edge("e4", "sequential", "x", "out", "j", None),
            edge("e5", "sequential", "y", "out", "j", None),
            edge("e6", "sequential", "z", "out", "j", None),
            edge("e7", "sequential", "j", "out", "p", None),
            edge("e8", "sequential", "p", "out", "m", None),
            edge("e9", "sequential", "p", "out", "n", None),
        ];
        if with_data {
            edges.push(edge("e10", "data", "j", "out", "m", None));
        }
        let doc = json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": [
            node("in", "entry_api"), node("d", "logic_decision"), node("x", "llm_rigid"),
            node("y", "llm_rigid"), node("z", "llm_rigid"), node("j", "llm_rigid"),
            node("p", "logic_parallel"), node("m", "llm_rigid"), node("n", "llm_rigid")],
            "edges": edges});
        let out = analyze_value(&doc);
        out.analyzed
            .unwrap_or_else(|| panic!("{:?}", out.diagnostics))
    }

    fn arm(edge: Option<usize>, fallthrough: bool, blocks: Vec<Block>) -> Arm {
        Arm {
            edge,
            condition: None,
            fallthrough,
            blocks,
        }
    }

    fn step(node: usize) -> Block {
        Block::Step { node }
    }

    /// The faithful structure; `arms` and `tail` can be replaced to break it.
    fn program(arms: Vec<Arm>, tail: Vec<Block>) -> Vec<Block> {
        let mut blocks = vec![Block::Decision {
            node: 1,
            arms,
            rest: false,
        }];
        blocks.extend(tail);
        blocks
    }

    fn good_arms() -> Vec<Arm> {
        let guarded = |edge, cond: &str, blocks| Arm {
            condition: Some(cond.to_string()),
            ..arm(Some(edge), false, blocks)
        };
        vec![
            guarded(1, "a", vec![step(2)]),
            guarded(2, "b", vec![step(4)]),
            arm(Some(3), true, vec![step(3)]),
        ]
    }

    /// What the emitters read of an arm — its condition and whether it is the fallthrough —
    /// and the kind of node a loop block holds are checked too.
    #[test]
    fn what_the_emitters_read_is_checked() {
        let a = analyzed(false);
        let mut arms = good_arms();
        arms[0].fallthrough = true;
        assert!(
            problems(&a, &program(arms, good_tail())).contains(
                &"decision of node 'd': the arm of edge 'e1' does not carry that edge's condition"
                    .to_string()
            )
        );
        let mut arms = good_arms();
        arms[1].condition = Some("not b".into());
        assert_eq!(
            problems(&a, &program(arms, good_tail())),
            ["decision of node 'd': the arm of edge 'e2' does not carry that edge's condition"]
        );
        let mut arms = good_arms();
        arms[2].fallthrough = false;
        assert_eq!(
            problems(&a, &program(arms, good_tail())),
            ["decision of node 'd': its else arm is not marked as the fallthrough"]
        );
        let mut arms = good_arms();
        arms[0].edge = Some(4); // x → j: not an edge of `d`
        assert!(
            problems(&a, &program(arms, good_tail()))
                .contains(&"decision of node 'd': arm edge 'e4' does not leave it".to_string())
        );
        let mut tail = good_tail();
        tail[0] = Block::Loop {
            node: 5,
            body: Vec::new(),
        };
        assert!(
            problems(&a, &program(good_arms(), tail))
                .contains(&"node 'j' is placed as a loop".to_string())
        );
    }

    fn good_tail() -> Vec<Block> {
        vec![
            step(5),
            Block::Parallel {
                node: 6,
                branches: vec![
                    arm(None, false, vec![step(7)]),
                    arm(None, false, vec![step(8)]),
                ],
                own: true,
            },
        ]
    }

    fn problems(a: &AnalyzedFlow, blocks: &[Block]) -> Vec<String> {
        check(
            &Facts::new(a),
            0,
            blocks,
            &mut Places::new(a.flow.nodes.len()),
        )
    }

    #[test]
    fn the_faithful_structure_passes() {
        let a = analyzed(false);
        assert_eq!(
            problems(&a, &program(good_arms(), good_tail())),
            Vec::<String>::new()
        );
    }

    /// One `Places` serves every check of a flow: each starts from no place (kept, the
    /// second check would find every node placed twice).
    #[test]
    fn each_check_starts_from_no_place() {
        let a = analyzed(false);
        let f = Facts::new(&a);
        let blocks = program(good_arms(), good_tail());
        let mut places = Places::new(a.flow.nodes.len());
        for _ in 0..2 {
            assert_eq!(check(&f, 0, &blocks, &mut places), Vec::<String>::new());
        }
    }

    #[test]
    fn a_missing_or_doubled_node_is_found() {
        let a = analyzed(false);
        let mut tail = good_tail();
        tail.remove(0);
        assert_eq!(
            problems(&a, &program(good_arms(), tail)),
            ["node 'j' is not placed"]
        );
        let mut tail = good_tail();
        tail.push(step(5));
        assert_eq!(
            problems(&a, &program(good_arms(), tail)),
            ["node 'j' is placed twice"]
        );
    }

    #[test]
    fn arms_out_of_first_match_order_are_found() {
        let a = analyzed(false);
        let mut arms = good_arms();
        arms.swap(0, 1);
        let p = problems(&a, &program(arms, good_tail()));
        assert_eq!(
            p[0],
            "decision of node 'd': the arm of edge 'e2' is not tried right after the guards declared before it"
        );
        // An else arm in the middle.
        let mut arms = good_arms();
        arms.swap(1, 2);
        assert!(
            problems(&a, &program(arms, good_tail()))
                .contains(&"decision of node 'd': an arm follows its else arm".to_string())
        );
    }

    #[test]
    fn a_join_inside_an_arm_runs_under_the_wrong_condition() {
        let a = analyzed(false);
        let mut arms = good_arms();
        arms[0].blocks.push(step(5));
        let mut tail = good_tail();
        tail.remove(0);
        assert!(
            problems(&a, &program(arms, tail))
                .contains(&"node 'j' does not run exactly when the graph runs it".to_string())
        );
    }

    #[test]
    fn an_edge_run_backwards_or_side_by_side_is_found() {
        let a = analyzed(false);
        // j before the decision whose arms lead to it.
        let mut blocks = vec![step(5)];
        blocks.extend(program(good_arms(), good_tail()[1..].to_vec()));
        assert!(problems(&a, &blocks).contains(&"edge 'e4': 'x' may run after 'j'".to_string()));
        // A data edge's source placed after its target.
        let a = analyzed(true);
        assert_eq!(
            problems(&a, &program(good_arms(), good_tail())),
            Vec::<String>::new()
        );
        let mut arms = good_arms();
        arms[0].blocks.push(step(7));
        let mut tail = good_tail();
        if let Block::Parallel { branches, .. } = &mut tail[1] {
            branches.remove(0);
        }
        let p = problems(&a, &program(arms, tail));
        assert!(
            p.contains(&"data edge 'e10': 'j' has not always run before 'm'".to_string()),
            "{p:?}"
        );
        // A data edge's source placed under an arm its target does not run under.
        let a = analyzed(true);
        let mut arms = good_arms();
        arms[0].blocks.push(step(5));
        let mut tail = good_tail();
        tail.remove(0);
        let p = problems(&a, &program(arms, tail));
        assert!(
            p.contains(&"data edge 'e10': 'j' has not always run before 'm'".to_string()),
            "{p:?}"
        );
        // Two branches of a parallel are not ordered: `j → p` split across branches.
        let a = analyzed(false);
        let good = good_tail();
        let tail = vec![Block::Parallel {
            node: 5,
            branches: vec![
                arm(None, false, vec![good[0].clone()]),
                arm(None, false, vec![good[1].clone()]),
            ],
            own: false,
        }];
        assert_eq!(
            problems(&a, &program(good_arms(), tail)),
            ["edge 'e7': 'j' may run after 'p'"]
        );
    }

    #[test]
    fn logic_nodes_are_not_steps_and_decisions_follow_their_step() {
        let a = analyzed(false);
        let mut tail = good_tail();
        tail[1] = step(6);
        tail.push(step(7));
        tail.push(step(8));
        assert!(
            problems(&a, &program(good_arms(), tail))
                .contains(&"node 'p' is placed as a step".to_string())
        );
        // A decision block of a step-kind node without the step before it.
        let blocks = vec![Block::Decision {
            node: 5,
            arms: Vec::new(),
            rest: false,
        }];
        let p = problems(&a, &blocks);
        assert!(
            p.contains(&"node 'j' is not a decision".to_string()),
            "{p:?}"
        );
    }
}
