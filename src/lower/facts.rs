//! What lowering needs to know about each node, once for all flows: its control edges in
//! declaration order, whether it is a decision and which value each out-edge stands for,
//! and a loop's body port. Node-level problems (`SF215`, `SF217`) are found here, once.

use super::loop_body;
use crate::analyze::AnalyzedFlow;
use crate::diagnostics::{Code, Diagnostic, JsonPath};
use crate::model::{EdgeKind, NodeKind};

/// The out-edges of a decision node: its guarded edges in declaration order (values
/// `0..k`) and its fallthrough (value `k`, which also stands for "no edge is live" when
/// there is no fallthrough).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub guards: Vec<usize>,
    pub fallthrough: Option<usize>,
}

impl Choice {
    /// How many values the decision takes.
    pub fn domain(&self) -> u32 {
        u32::try_from(self.guards.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The value an out-edge stands for.
    pub fn value(&self, edge: usize) -> Option<u32> {
        if self.fallthrough == Some(edge) {
            return Some(self.domain() - 1);
        }
        self.guards
            .iter()
            .position(|&g| g == edge)
            .and_then(|i| u32::try_from(i).ok())
    }
}

pub struct Facts<'a> {
    pub a: &'a AnalyzedFlow,
    /// Control out-edges of each node, in declaration order.
    pub outs: Vec<Vec<usize>>,
    /// Control in-edges of each node, in declaration order.
    pub ins: Vec<Vec<usize>>,
    /// `data` out-edges of each node, in declaration order.
    pub data_outs: Vec<Vec<usize>>,
    /// `data` in-edges of each node, in declaration order.
    pub data_ins: Vec<Vec<usize>>,
    /// Source and target node of each edge (`usize::MAX` for a dangling end, which the
    /// analyze stage has already refused).
    pub ends: Vec<(usize, usize)>,
    /// The decision nodes.
    pub choice: Vec<Option<Choice>>,
    /// Whether each edge is a `logic_loop`'s body edge.
    pub body_edge: Vec<bool>,
    /// Each node's position in the topological order.
    pub pos: Vec<usize>,
    pub diags: Vec<Diagnostic>,
}

/// A conditional edge whose condition is not the fallthrough `true`.
pub fn is_guarded(a: &AnalyzedFlow, edge: usize) -> bool {
    let e = &a.flow.edges[edge];
    e.kind == EdgeKind::Conditional && e.condition.as_deref().is_none_or(|c| c.trim() != "true")
}

impl<'a> Facts<'a> {
    pub fn new(a: &'a AnalyzedFlow) -> Self {
        let n = a.flow.nodes.len();
        let node_of = |id: &str| a.nodes_by_id.get(id).copied().unwrap_or(usize::MAX);
        let ends: Vec<(usize, usize)> = a
            .flow
            .edges
            .iter()
            .map(|e| (node_of(&e.source.node), node_of(&e.target.node)))
            .collect();
        let mut outs = vec![Vec::new(); n];
        let mut ins = vec![Vec::new(); n];
        let mut data_outs = vec![Vec::new(); n];
        let mut data_ins = vec![Vec::new(); n];
        for (i, e) in a.flow.edges.iter().enumerate() {
            let (s, t) = ends[i];
            if s >= n || t >= n {
                continue;
            }
            if e.kind == EdgeKind::Data {
                data_outs[s].push(i);
                data_ins[t].push(i);
            } else {
                outs[s].push(i);
                ins[t].push(i);
            }
        }
        let mut pos = vec![usize::MAX; n];
        for (i, &v) in a.order.iter().enumerate() {
            pos[v] = i;
        }
        let mut f = Facts {
            a,
            outs,
            ins,
            data_outs,
            data_ins,
            ends,
            choice: vec![None; n],
            body_edge: vec![false; a.flow.edges.len()],
            pos,
            diags: Vec::new(),
        };
        for v in 0..n {
            f.classify(v);
        }
        f
    }

    pub fn source(&self, edge: usize) -> usize {
        self.ends[edge].0
    }

    pub fn target(&self, edge: usize) -> usize {
        self.ends[edge].1
    }

    /// How many values `node`'s decision takes (1 for a node that is not a decision).
    pub fn domain(&self, node: usize) -> u32 {
        self.choice
            .get(node)
            .and_then(Option::as_ref)
            .map_or(1, Choice::domain)
    }

    pub fn id(&self, node: usize) -> &str {
        &self.a.flow.nodes[node].id
    }

    pub fn edge_id(&self, edge: usize) -> &str {
        &self.a.flow.edges[edge].id
    }

    pub fn kind(&self, node: usize) -> NodeKind {
        self.a.flow.nodes[node].kind
    }

    /// A diagnostic located at an edge's id.
    pub fn edge_diag(&self, code: Code, edge: usize, message: String) -> Diagnostic {
        let e = &self.a.flow.edges[edge];
        Diagnostic::new(code, message)
            .at(JsonPath::root().key("edges").index(edge).key("id"))
            .edge(&e.id)
            .node(&e.target.node)
    }

    /// A diagnostic located at a node's id.
    pub fn node_diag(&self, code: Code, node: usize, message: String) -> Diagnostic {
        let id = self.id(node).to_string();
        Diagnostic::new(code, message)
            .at(JsonPath::root().key("nodes").index(node).key("id"))
            .node(id)
    }

    /// Decides what kind of fork `v` is, and reports conditions that cannot be honoured.
    fn classify(&mut self, v: usize) {
        let kind = self.kind(v);
        let a = self.a;
        let conditional = |e: &usize| a.flow.edges[*e].kind == EdgeKind::Conditional;
        match kind {
            NodeKind::LogicLoop => {
                let body = loop_body(a, v);
                for &e in &self.outs[v].clone() {
                    self.body_edge[e] = a.flow.edges[e].source.port == body;
                    if is_guarded(a, e) {
                        let msg = format!(
                            "edge '{}': a condition on a logic_loop port is not supported (loop '{}'); put a logic_decision at the start of the body or after the loop",
                            self.edge_id(e),
                            self.id(v)
                        );
                        self.diags
                            .push(self.edge_diag(Code::UnstructuredCondition, e, msg));
                    }
                }
            }
            NodeKind::LogicParallel => {
                for &e in &self.outs[v].clone() {
                    if is_guarded(a, e) {
                        let msg = format!(
                            "edge '{}': a parallel branch always runs, so its condition cannot hold (from '{}'); put a logic_decision at the start of the branch",
                            self.edge_id(e),
                            self.id(v)
                        );
                        self.diags
                            .push(self.edge_diag(Code::UnstructuredCondition, e, msg));
                    }
                }
            }
            _ if kind == NodeKind::LogicDecision || self.outs[v].iter().any(conditional) => {
                let (guards, falls): (Vec<usize>, Vec<usize>) =
                    self.outs[v].iter().partition(|&&e| is_guarded(a, e));
                if falls.len() > 1 {
                    let ids: Vec<String> = falls
                        .iter()
                        .map(|&e| format!("'{}'", self.edge_id(e)))
                        .collect();
                    let msg = format!(
                        "node '{}' has {} fallthrough arms ({}); at most one sequential or \"true\" edge may leave a decision",
                        self.id(v),
                        falls.len(),
                        crate::diagnostics::listed(ids.iter().map(String::as_str))
                    );
                    let d = self
                        .edge_diag(Code::AmbiguousFallthrough, falls[1], msg)
                        .node(self.id(v));
                    self.diags.push(d);
                }
                self.choice[v] = Some(Choice {
                    guards,
                    fallthrough: falls.first().copied(),
                });
            }
            _ => {}
        }
    }
}
