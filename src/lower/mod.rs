//! The lowering stage, part 1: structured lowering (spec §5). The analyzed graph becomes,
//! per flow, an ordered list of nested [`Block`]s: a linear chain is a list of steps; a
//! fork (a `logic_decision`, a `logic_parallel`, or any node with several outgoing control
//! edges) holds one arm per outgoing edge, each running up to the fork's immediate
//! post-dominator, where the arms re-converge and the list continues; a `logic_loop` holds
//! the region hanging from its `body` port and continues from `done`. Graphs that cannot be
//! structured this way get a diagnostic naming the offending edge. See `docs/lowering.md`.

pub mod core;

use crate::analyze::AnalyzedFlow;
use crate::analyze::graph::{Dominators, Graph};
use crate::diagnostics::{Code, Diagnostic, JsonPath};
use crate::model::{EdgeKind, NodeKind};
use std::collections::{HashMap, HashSet};

/// One element of a structured body. Indices refer to `flow.nodes` / `flow.edges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A node lowered by its kind.
    Step { node: usize },
    /// A choice among arms. `node` is a `logic_decision`, or a node of another kind with
    /// conditional out-edges (then its own `Step` precedes this block).
    Decision {
        node: usize,
        arms: Vec<Arm>,
        /// The decision among the arms that continue, inside the synthetic else arm of a
        /// decision with early exits (see [`Arm::edge`]).
        rest: bool,
    },
    /// Branches that all run. `node` is a `logic_parallel`, or a node of another kind with
    /// several unconditional out-edges (then its own `Step` precedes this block).
    Parallel { node: usize, branches: Vec<Arm> },
    /// A `logic_loop` and its body.
    Loop { node: usize, body: Vec<Block> },
}

/// One arm of a decision or branch of a parallel block: the edge that starts it and the
/// blocks up to the re-convergence point (empty when the edge goes straight there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    /// `None` for the synthetic else arm of a decision whose first arms end the flow
    /// (early exits): it holds the decision among the other arms (`rest: true`) and what
    /// follows where they re-converge.
    pub edge: Option<usize>,
    /// The edge's condition, verbatim (`None` for a sequential edge).
    pub condition: Option<String>,
    /// The fallthrough / else arm: a sequential edge, or the condition `true`.
    pub fallthrough: bool,
    pub blocks: Vec<Block>,
}

/// The structured body of one flow: the entries that trigger it and its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBody {
    /// Entry nodes, in declaration order; entries whose out-edges lead to the same nodes
    /// share one flow.
    pub entries: Vec<usize>,
    pub blocks: Vec<Block>,
}

/// The ports of a `logic_loop`: the output named `body` and the one named `done` — by id,
/// by `out_`-prefixed id, or by label — and otherwise the first and second declared output.
pub fn loop_ports(a: &AnalyzedFlow, node: usize) -> (String, String) {
    let outs = a.flow.nodes[node].outputs();
    let named = |name: &str| {
        outs.iter()
            .find(|p| {
                p.id == name || p.id == format!("out_{name}") || p.label.as_deref() == Some(name)
            })
            .map(|p| p.id.clone())
    };
    match (named("body"), named("done")) {
        (Some(b), Some(d)) => (b, d),
        (Some(b), None) => {
            let d = outs
                .iter()
                .find(|p| p.id != b)
                .map_or_else(|| "done".to_string(), |p| p.id.clone());
            (b, d)
        }
        (None, Some(d)) => {
            let b = outs
                .iter()
                .find(|p| p.id != d)
                .map_or_else(|| "body".to_string(), |p| p.id.clone());
            (b, d)
        }
        (None, None) => (
            outs.first()
                .map_or_else(|| "body".to_string(), |p| p.id.clone()),
            outs.get(1)
                .map_or_else(|| "done".to_string(), |p| p.id.clone()),
        ),
    }
}

/// How deeply blocks may nest (forks and loops inside each other). Canvas flows stay far
/// below it; the bound keeps every recursive stage (structuring, the emitters) within the
/// stack on hostile input.
pub const MAX_NESTING: usize = 200;

/// Structures every flow of an analyzed flow.
pub fn structure(a: &AnalyzedFlow) -> Result<Vec<FlowBody>, Vec<Diagnostic>> {
    let mut s = Structurer::new(a);
    let mut flows: Vec<FlowBody> = Vec::new();
    let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new(); // (targets, entries)
    for &e in &a.entries {
        let targets: Vec<usize> = s.out_edges(e).iter().map(|&x| s.target(x)).collect();
        match groups.iter_mut().find(|(t, _)| *t == targets) {
            Some((_, entries)) => entries.push(e),
            None => groups.push((targets, vec![e])),
        }
    }
    for (_, entries) in groups {
        s.placed = vec![false; a.flow.nodes.len()];
        s.log.clear();
        let mut blocks = Vec::new();
        s.seq(entries[0], None, None, &mut blocks);
        flows.push(FlowBody { entries, blocks });
    }
    if s.diags.is_empty() {
        Ok(flows)
    } else {
        Err(s.diags)
    }
}

/// A loop whose body is being structured.
struct LoopFrame {
    node: usize,
    /// The nodes reachable from its `done` edges: a body must not reach them.
    after: Vec<bool>,
    /// Where its body starts in [`Structurer::log`].
    first: usize,
}

struct Structurer<'a> {
    a: &'a AnalyzedFlow,
    /// Control edges leaving each node, in declaration order.
    outs: Vec<Vec<usize>>,
    /// Immediate post-dominator of each node (`None`: the virtual exit).
    ipdom: Vec<Option<usize>>,
    /// Nodes already placed in the flow being structured.
    placed: Vec<bool>,
    /// The loops being structured, innermost last.
    loops: Vec<LoopFrame>,
    /// The nodes placed in the flow being structured, in order.
    log: Vec<usize>,
    /// Current nesting depth, and whether SF216 was reported.
    depth: usize,
    too_deep: bool,
    diags: Vec<Diagnostic>,
}

impl<'a> Structurer<'a> {
    fn new(a: &'a AnalyzedFlow) -> Self {
        let n = a.flow.nodes.len();
        let mut outs = vec![Vec::new(); n];
        for (v, succ) in a.control.succ.iter().enumerate() {
            let mut es: Vec<usize> = succ.iter().map(|&(_, e)| e).collect();
            es.sort_unstable();
            outs[v] = es;
        }
        let mut s = Structurer {
            a,
            outs,
            ipdom: Vec::new(),
            placed: vec![false; n],
            loops: Vec::new(),
            log: Vec::new(),
            depth: 0,
            too_deep: false,
            diags: Vec::new(),
        };
        s.ipdom = s.post_dominators();
        s
    }

    fn target(&self, edge: usize) -> usize {
        self.a.nodes_by_id[&self.a.flow.edges[edge].target.node]
    }

    fn out_edges(&self, node: usize) -> &[usize] {
        &self.outs[node]
    }

    /// Post-dominators over the control graph without loop-body edges: a loop's body is
    /// nested, so for the structure around it the loop continues from `done` only.
    fn post_dominators(&self) -> Vec<Option<usize>> {
        let n = self.a.flow.nodes.len();
        let mut rev = Graph::new(n);
        for (v, es) in self.outs.iter().enumerate() {
            for &e in es {
                if self.is_body_edge(v, e) {
                    continue;
                }
                rev.add(self.target(e), v, e);
            }
        }
        let sinks: Vec<usize> = (0..n).filter(|&v| rev.pred[v].is_empty()).collect();
        let order: Vec<usize> = self.a.order.iter().rev().copied().collect();
        let all = vec![true; n];
        let doms = Dominators::compute(&rev, &sinks, &order, &all);
        (0..n).map(|v| doms.idom(v)).collect()
    }

    /// A conditional edge whose condition is not the fallthrough `true`.
    fn is_guarded(&self, edge: usize) -> bool {
        let e = &self.a.flow.edges[edge];
        e.kind == EdgeKind::Conditional && e.condition.as_deref().is_none_or(|c| c.trim() != "true")
    }

    fn is_body_edge(&self, node: usize, edge: usize) -> bool {
        self.a.flow.nodes[node].kind == NodeKind::LogicLoop
            && self.a.flow.edges[edge].source.port == loop_ports(self.a, node).0
    }

    /// Enters one nesting level below `node`; false (and SF216, once) past the bound.
    fn enter(&mut self, node: usize) -> bool {
        if self.depth >= MAX_NESTING {
            if !self.too_deep {
                self.too_deep = true;
                let id = self.a.flow.nodes[node].id.clone();
                self.diags.push(
                    Diagnostic::new(
                        Code::NestingTooDeep,
                        format!(
                            "node '{id}': blocks are nested more than {MAX_NESTING} levels deep"
                        ),
                    )
                    .at(JsonPath::root().key("nodes").index(node).key("id"))
                    .node(id),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn edge_diag(&self, code: Code, edge: usize, message: String) -> Diagnostic {
        let e = &self.a.flow.edges[edge];
        Diagnostic::new(code, message)
            .at(JsonPath::root().key("edges").index(edge).key("id"))
            .edge(&e.id)
            .node(&e.target.node)
    }

    /// Reports a problem located at an edge's id.
    fn edge_error(&mut self, code: Code, edge: usize, message: String) {
        let d = self.edge_diag(code, edge, message);
        self.diags.push(d);
    }

    /// Appends the blocks from `cur` (reached over `via`) up to `stop` (exclusive).
    fn seq(
        &mut self,
        mut cur: usize,
        mut via: Option<usize>,
        stop: Option<usize>,
        out: &mut Vec<Block>,
    ) {
        loop {
            if Some(cur) == stop {
                return;
            }
            if let Some(frame) = self.loops.iter().find(|f| f.after[cur]) {
                // Reached over an edge, or as the point where a fork in the body
                // re-converges: then name an edge from the body that arrives there.
                let lp = self.a.flow.nodes[frame.node].id.clone();
                let body: HashSet<usize> = self.log[frame.first..].iter().copied().collect();
                let arrival = via.or_else(|| {
                    self.a.control.pred[cur]
                        .iter()
                        .find(|(p, _)| body.contains(p))
                        .map(|&(_, e)| e)
                });
                let Some(e) = arrival else { return };
                self.edge_error(
                    Code::LoopBodyEscapes,
                    e,
                    format!(
                        "edge '{}': leaves the body of loop '{lp}' (a body ends inside the loop; continue from the loop's done port)",
                        self.a.flow.edges[e].id
                    ),
                );
                return;
            }
            if self.placed[cur] {
                if let Some(e) = via {
                    let node = &self.a.flow.nodes[cur].id;
                    self.edge_error(
                        Code::Unstructured,
                        e,
                        format!(
                            "edge '{}': jumps into node '{node}', which another branch already reaches before the branches re-converge",
                            self.a.flow.edges[e].id
                        ),
                    );
                }
                return;
            }
            self.placed[cur] = true;
            self.log.push(cur);
            let kind = self.a.flow.nodes[cur].kind;
            if kind == NodeKind::LogicLoop {
                let Some(next) = self.lower_loop(cur, out) else {
                    return;
                };
                (cur, via) = next;
                continue;
            }
            let is_fork_kind = matches!(kind, NodeKind::LogicDecision | NodeKind::LogicParallel);
            if !kind.is_entry() && !is_fork_kind {
                out.push(Block::Step { node: cur });
            }
            let edges = self.outs[cur].clone();
            match edges.as_slice() {
                [] if is_fork_kind => {
                    // A decision or parallel node that leads nowhere still appears.
                    out.push(self.fork(cur, &[], stop, true).0);
                    return;
                }
                [] => return,
                [e] if !is_fork_kind && !self.is_guarded(*e) => {
                    via = Some(*e);
                    cur = self.target(*e);
                }
                _ => {
                    // A fork; one conditional edge is a one-arm decision that holds the
                    // rest of the sequence.
                    let (block, join) = self.fork(cur, &edges, stop, true);
                    out.push(block);
                    match join {
                        Some(j) if Some(j) != stop => {
                            cur = j;
                            via = None;
                        }
                        _ => return,
                    }
                }
            }
        }
    }

    /// A loop block; returns where the flow continues (the `done` target and edge).
    fn lower_loop(&mut self, node: usize, out: &mut Vec<Block>) -> Option<(usize, Option<usize>)> {
        let (body_port, _) = loop_ports(self.a, node);
        let (body_edges, done_edges): (Vec<usize>, Vec<usize>) = self.outs[node]
            .iter()
            .partition(|&&e| self.a.flow.edges[e].source.port == body_port);
        for &e in body_edges.iter().chain(&done_edges) {
            if self.is_guarded(e) {
                let id = self.a.flow.edges[e].id.clone();
                let lp = self.a.flow.nodes[node].id.clone();
                self.edge_error(
                    Code::UnstructuredCondition,
                    e,
                    format!(
                        "edge '{id}': a condition on a logic_loop port is not supported (loop '{lp}'); put a logic_decision at the start of the body or after the loop"
                    ),
                );
            }
        }
        let done_targets: Vec<usize> = done_edges.iter().map(|&e| self.target(e)).collect();
        let reach = self.a.control.reachable_from(&done_targets);
        self.loops.push(LoopFrame {
            node,
            after: reach,
            first: self.log.len(),
        });
        let mut body = Vec::new();
        let entered = self.enter(node);
        match body_edges.as_slice() {
            _ if !entered => {}
            [] => {}
            [e] => self.seq(self.target(*e), Some(*e), None, &mut body),
            many => {
                // Body edges are not in the post-dominator graph: the join is worked out.
                let (block, join) = self.fork(node, many, None, false);
                body.push(block);
                if let Some(j) = join {
                    self.seq(j, None, None, &mut body);
                }
            }
        }
        if entered {
            self.depth -= 1;
        }
        self.loops.pop();
        out.push(Block::Loop { node, body });
        match done_edges.as_slice() {
            [] => None,
            [e] => Some((self.target(*e), Some(*e))),
            many => {
                let (block, join) = self.fork(node, many, None, true);
                out.push(block);
                join.map(|j| (j, None))
            }
        }
    }

    /// The chain of post-dominators of `node`: the node itself, its immediate
    /// post-dominator, and so on up to the virtual exit.
    fn pdom_chain(&self, node: usize) -> Vec<usize> {
        let mut chain = vec![node];
        while let Some(p) = self.ipdom[chain[chain.len() - 1]] {
            chain.push(p);
        }
        chain
    }

    /// Where the arms starting at `targets` re-converge, and which of them end the flow
    /// without ever getting there (early exits). The join is the common post-dominator of
    /// all targets; failing that, for a decision, the common post-dominator of the longest
    /// run of arms at the end of the arm order (the arms before it exit early, and are
    /// tried first); for a parallel block, the node where the most branches meet.
    fn plan_join(
        &self,
        targets: &[usize],
        parallel: bool,
        known: Option<usize>,
    ) -> (Option<usize>, Vec<bool>) {
        // The common case costs nothing: the fork's own immediate post-dominator, or the
        // one target. Post-dominator chains (linear in the flow's length) are walked only
        // for forks whose arms do not all meet.
        if let Some(j) = known {
            return (Some(j), vec![false; targets.len()]);
        }
        if let [t] = targets {
            return (Some(*t), vec![false]);
        }
        let chains: Vec<Vec<usize>> = targets.iter().map(|&t| self.pdom_chain(t)).collect();
        let sets: Vec<HashSet<usize>> =
            chains.iter().map(|c| c.iter().copied().collect()).collect();
        let common = |from: usize| {
            chains.get(from).and_then(|first| {
                first
                    .iter()
                    .copied()
                    .find(|v| sets[from + 1..].iter().all(|s| s.contains(v)))
            })
        };
        let exits_without = |j: usize| sets.iter().map(|s| !s.contains(&j)).collect();
        if let Some(j) = common(0) {
            return (Some(j), vec![false; targets.len()]);
        }
        if parallel {
            if let Some(j) = self.most_shared(&chains) {
                return (Some(j), exits_without(j));
            }
        } else {
            for k in 1..targets.len().saturating_sub(1) {
                if let Some(j) = common(k) {
                    return (Some(j), exits_without(j));
                }
            }
        }
        (None, vec![false; targets.len()])
    }

    /// The node on the most chains (at least two); ties go to the first met, in chain order.
    fn most_shared(&self, chains: &[Vec<usize>]) -> Option<usize> {
        let mut count: HashMap<usize, usize> = HashMap::new();
        for c in chains {
            for &v in c {
                *count.entry(v).or_insert(0) += 1;
            }
        }
        let mut best: Option<(usize, usize)> = None;
        for &v in chains.iter().flatten() {
            let n = count[&v];
            if n >= 2 && best.is_none_or(|(_, m)| n > m) {
                best = Some((v, n));
            }
        }
        best.map(|(v, _)| v)
    }

    /// A fork's block, and the node where the sequence continues after it (`None`: the
    /// block ends the sequence). `stop` is where the enclosing sequence ends, which a
    /// one-arm decision's arm runs to.
    /// `all_edges`: `edges` are all the node's edges the post-dominators were computed over,
    /// so its immediate post-dominator is where they meet.
    fn fork(
        &mut self,
        node: usize,
        edges: &[usize],
        stop: Option<usize>,
        all_edges: bool,
    ) -> (Block, Option<usize>) {
        let kind = self.a.flow.nodes[node].kind;
        let conditional = edges
            .iter()
            .any(|&e| self.a.flow.edges[e].kind == EdgeKind::Conditional);
        let parallel = crate::analyze::forks_in_parallel(kind, conditional);
        let mut arms: Vec<Arm> = edges
            .iter()
            .map(|&e| {
                let edge = &self.a.flow.edges[e];
                Arm {
                    edge: Some(e),
                    condition: edge.condition.clone(),
                    fallthrough: !self.is_guarded(e),
                    blocks: Vec::new(),
                }
            })
            .collect();
        if parallel {
            for arm in &arms {
                let e = arm.edge.unwrap_or_default();
                if self.is_guarded(e) {
                    let id = self.a.flow.edges[e].id.clone();
                    let p = self.a.flow.nodes[node].id.clone();
                    self.edge_error(
                        Code::UnstructuredCondition,
                        e,
                        format!(
                            "edge '{id}': a parallel branch always runs, so its condition cannot hold (from '{p}'); put a logic_decision at the start of the branch"
                        ),
                    );
                }
            }
        } else {
            self.check_fallthrough(node, &arms);
            // The fallthrough arm is the else: it goes last.
            arms.sort_by_key(|a| a.fallthrough);
        }
        let targets: Vec<usize> = arms
            .iter()
            .map(|a| self.target(a.edge.unwrap_or_default()))
            .collect();
        let known = if all_edges { self.ipdom[node] } else { None };
        let (mut join, mut exits) = self.plan_join(&targets, parallel, known);
        if !parallel && join.is_none() {
            // Reported; the arms then run to where the others meet, so nothing cascades.
            join = self.check_exit_order(node, &arms, &targets);
        }
        if let Some(j) = join {
            for (i, arm) in arms.iter().enumerate() {
                if exits[i] && self.a.control.reachable_from(&[targets[i]])[j] {
                    let e = arm.edge.unwrap_or_default();
                    let (id, d, k) = (
                        self.a.flow.edges[e].id.clone(),
                        self.a.flow.nodes[node].id.clone(),
                        self.a.flow.nodes[j].id.clone(),
                    );
                    self.edge_error(
                        Code::Unstructured,
                        e,
                        format!(
                            "edge '{id}': this branch of '{d}' reaches '{k}' on some paths and ends the flow on others, while the other branches always continue at '{k}'; make every path of the branch continue at '{k}', or none"
                        ),
                    );
                    exits = vec![false; arms.len()];
                    break;
                }
            }
        }
        if !parallel && !arms.iter().any(|a| a.fallthrough) {
            if arms.len() == 1 {
                // Only when the condition holds does anything after the decision run.
                join = stop;
            } else if let Some(j) = join {
                let id = self.a.flow.nodes[node].id.clone();
                let k = self.a.flow.nodes[j].id.clone();
                let d = Diagnostic::new(
                    Code::UnstructuredCondition,
                    format!(
                        "node '{id}' has no fallthrough arm, but its arms meet again at '{k}': when no condition holds the flow would stop here, yet '{k}' runs after every arm; add a fallthrough edge (condition \"true\")"
                    ),
                )
                .at(JsonPath::root().key("nodes").index(node).key("id"))
                .node(id);
                self.diags.push(d);
            }
        }
        if !self.enter(node) {
            return (Self::block(node, parallel, arms), None);
        }
        for (i, arm) in arms.iter_mut().enumerate() {
            let until = if exits[i] { None } else { join };
            if Some(targets[i]) != until {
                self.seq(targets[i], arm.edge, until, &mut arm.blocks);
            }
        }
        let mut next = join;
        if !parallel && exits.contains(&true) {
            // Early exits: the arms that end the flow are tried first; an else arm holds
            // the decision among the arms that continue, and everything after it.
            let k = exits.iter().filter(|&&x| x).count();
            let rest = arms.split_off(k);
            let mut blocks = vec![Block::Decision {
                node,
                arms: rest,
                rest: true,
            }];
            if let Some(j) = join.filter(|&j| Some(j) != stop) {
                self.seq(j, None, stop, &mut blocks);
            }
            arms.push(Arm {
                edge: None,
                condition: None,
                fallthrough: true,
                blocks,
            });
            next = None;
        }
        self.depth -= 1;
        (Self::block(node, parallel, arms), next)
    }

    fn block(node: usize, parallel: bool, arms: Vec<Arm>) -> Block {
        if parallel {
            Block::Parallel {
                node,
                branches: arms,
            }
        } else {
            Block::Decision {
                node,
                arms,
                rest: false,
            }
        }
    }

    /// SF215: a decision with several fallthrough arms.
    fn check_fallthrough(&mut self, node: usize, arms: &[Arm]) {
        let falls: Vec<usize> = arms
            .iter()
            .filter(|a| a.fallthrough)
            .filter_map(|a| a.edge)
            .collect();
        if falls.len() > 1 {
            let ids: Vec<String> = falls
                .iter()
                .map(|&e| format!("'{}'", self.a.flow.edges[e].id))
                .collect();
            let id = &self.a.flow.nodes[node].id;
            let d = self.edge_diag(
                Code::AmbiguousFallthrough,
                falls[1],
                format!(
                    "node '{id}' has {} fallthrough arms ({}); at most one sequential or \"true\" edge may leave a decision",
                    falls.len(),
                    ids.join(", ")
                ),
            );
            self.diags.push(d.node(id.clone()));
        }
    }

    /// SF213 for a decision whose arms partly re-converge, where an arm that ends the flow
    /// is tried after an arm that continues: no nesting expresses that (the arm's end would
    /// fall through to the continuation).
    fn check_exit_order(&mut self, node: usize, arms: &[Arm], targets: &[usize]) -> Option<usize> {
        let chains: Vec<Vec<usize>> = targets.iter().map(|&t| self.pdom_chain(t)).collect();
        let j = self.most_shared(&chains)?;
        let continues: Vec<bool> = chains.iter().map(|c| c.contains(&j)).collect();
        let first = continues.iter().position(|&c| c)?;
        let late = (first..arms.len()).find(|&i| !continues[i])?;
        let (e, g) = (arms[late].edge?, arms[first].edge?);
        let (id, d, k, gid) = (
            self.a.flow.edges[e].id.clone(),
            self.a.flow.nodes[node].id.clone(),
            self.a.flow.nodes[j].id.clone(),
            self.a.flow.edges[g].id.clone(),
        );
        self.edge_error(
            Code::Unstructured,
            e,
            format!(
                "edge '{id}': this arm of '{d}' ends the flow, but it is tried after arm '{gid}', which continues at '{k}'; an arm that ends the flow early must come before every arm that continues (the fallthrough arm is always tried last)"
            ),
        );
        Some(j)
    }
}
