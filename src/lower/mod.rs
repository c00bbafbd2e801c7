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

/// One element of a structured body. Indices refer to `flow.nodes` / `flow.edges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A node lowered by its kind.
    Step { node: usize },
    /// A choice among arms. `node` is a `logic_decision`, or a node of another kind with
    /// conditional out-edges (then its own `Step` precedes this block).
    Decision { node: usize, arms: Vec<Arm> },
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
    pub edge: usize,
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

struct Structurer<'a> {
    a: &'a AnalyzedFlow,
    /// Control edges leaving each node, in declaration order.
    outs: Vec<Vec<usize>>,
    /// Immediate post-dominator of each node (`None`: the virtual exit).
    ipdom: Vec<Option<usize>>,
    /// Nodes already placed in the flow being structured.
    placed: Vec<bool>,
    /// For each loop being structured: (loop node, nodes reachable from its `done` edge).
    exits: Vec<(usize, Vec<bool>)>,
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
            exits: Vec::new(),
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
            if let Some(e) = via
                && let Some((lp, _)) = self.exits.iter().find(|(_, reach)| reach[cur])
            {
                let lp = self.a.flow.nodes[*lp].id.clone();
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
                    out.push(self.fork(cur, &[], None, stop));
                    return;
                }
                [] => return,
                [e] if !is_fork_kind && !self.is_guarded(*e) => {
                    via = Some(*e);
                    cur = self.target(*e);
                }
                [e] if !is_fork_kind => {
                    // One conditional edge: the rest of the sequence runs only when it holds.
                    let block = self.fork(cur, &[*e], stop, stop);
                    out.push(block);
                    return;
                }
                _ => {
                    let join = self.ipdom[cur];
                    let block = self.fork(cur, &edges, join, stop);
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
        self.exits.push((node, reach));
        let mut body = Vec::new();
        let entered = self.enter(node);
        match body_edges.as_slice() {
            _ if !entered => {}
            [] => {}
            [e] => self.seq(self.target(*e), Some(*e), None, &mut body),
            many => {
                let join = self.ipdom_of_edges(many);
                body.push(self.fork(node, many, join, None));
                if let Some(j) = join {
                    self.seq(j, None, None, &mut body);
                }
            }
        }
        if entered {
            self.depth -= 1;
        }
        self.exits.pop();
        out.push(Block::Loop { node, body });
        match done_edges.as_slice() {
            [] => None,
            [e] => Some((self.target(*e), Some(*e))),
            many => {
                let join = self.ipdom[node];
                out.push(self.fork(node, many, join, None));
                join.map(|j| (j, None))
            }
        }
    }

    /// The common post-dominator of several edges' targets (for a loop body that forks
    /// right at the loop).
    fn ipdom_of_edges(&self, edges: &[usize]) -> Option<usize> {
        let mut chains = edges.iter().map(|&e| {
            let mut chain = vec![self.target(e)];
            while let Some(p) = self.ipdom[*chain.last().unwrap_or(&0)] {
                chain.push(p);
            }
            chain
        });
        let first = chains.next()?;
        let rest: Vec<Vec<usize>> = chains.collect();
        first
            .into_iter()
            .find(|v| rest.iter().all(|c| c.contains(v)))
    }

    /// A fork's block. Its arms run to `join` (the re-convergence point); `stop` is where
    /// the enclosing sequence ends, which a one-arm decision's arm runs to instead.
    fn fork(
        &mut self,
        node: usize,
        edges: &[usize],
        mut join: Option<usize>,
        stop: Option<usize>,
    ) -> Block {
        let kind = self.a.flow.nodes[node].kind;
        let conditional = edges
            .iter()
            .any(|&e| self.a.flow.edges[e].kind == EdgeKind::Conditional);
        let parallel =
            kind == NodeKind::LogicParallel || (kind != NodeKind::LogicDecision && !conditional);
        let mut arms: Vec<Arm> = edges
            .iter()
            .map(|&e| {
                let edge = &self.a.flow.edges[e];
                let fallthrough = edge.kind != EdgeKind::Conditional
                    || edge
                        .condition
                        .as_deref()
                        .is_some_and(|c| c.trim() == "true");
                Arm {
                    edge: e,
                    condition: edge.condition.clone(),
                    fallthrough,
                    blocks: Vec::new(),
                }
            })
            .collect();
        if parallel {
            for arm in &arms {
                if self.is_guarded(arm.edge) {
                    let id = self.a.flow.edges[arm.edge].id.clone();
                    let p = self.a.flow.nodes[node].id.clone();
                    self.edge_error(
                        Code::UnstructuredCondition,
                        arm.edge,
                        format!(
                            "edge '{id}': a parallel branch always runs, so its condition cannot hold (from '{p}'); put a logic_decision at the start of the branch"
                        ),
                    );
                }
            }
        } else if !arms.iter().any(|a| a.fallthrough) {
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
        if !parallel {
            let falls: Vec<&Arm> = arms.iter().filter(|a| a.fallthrough).collect();
            if falls.len() > 1 {
                let ids: Vec<String> = falls
                    .iter()
                    .map(|a| format!("'{}'", self.a.flow.edges[a.edge].id))
                    .collect();
                let id = &self.a.flow.nodes[node].id;
                let d = self.edge_diag(
                    Code::AmbiguousFallthrough,
                    falls[1].edge,
                    format!(
                        "node '{id}' has {} fallthrough arms ({}); at most one sequential or \"true\" edge may leave a decision",
                        falls.len(),
                        ids.join(", ")
                    ),
                );
                self.diags.push(d.node(id.clone()));
            }
            // The fallthrough arm is the else: it goes last.
            arms.sort_by_key(|a| a.fallthrough);
        }
        if self.enter(node) {
            for arm in &mut arms {
                let t = self.target(arm.edge);
                if Some(t) != join {
                    self.seq(t, Some(arm.edge), join, &mut arm.blocks);
                }
            }
            self.depth -= 1;
        }
        if parallel {
            Block::Parallel {
                node,
                branches: arms,
            }
        } else {
            Block::Decision { node, arms }
        }
    }
}
