//! The graph interpreter: what a flow does when it runs (docs/semantics.md §2–3, §6),
//! written from the semantics page alone.
//!
//! Within a region (an entry's top level, or one iteration of a loop body) nodes are
//! processed in topological order: a node runs iff at least one incoming control edge is
//! live (a synchronising merge with dead-path elimination; edges from nodes that did not run
//! in this region are dead). A loop runs its body region `n` times (the oracle), each
//! iteration fresh, then its `done` edges are live.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::Value;

use crate::oracle::{IterPath, Oracle, show_path};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Sequential,
    Conditional,
    Data,
}

/// Which port of a `logic_loop` an edge leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopRole {
    Body,
    Done,
    Other,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub id: String,
    pub kind: EdgeKind,
    pub src: usize,
    pub dst: usize,
    pub cond: Option<String>,
    /// For edges out of a `logic_loop`: which port.
    pub role: Option<LoopRole>,
}

impl Edge {
    pub fn is_control(&self) -> bool {
        self.kind != EdgeKind::Data
    }
    /// A conditional edge whose condition is not `"true"`.
    pub fn is_guarded(&self) -> bool {
        self.kind == EdgeKind::Conditional
            && self.cond.as_deref().map(str::trim).unwrap_or("") != "true"
    }
    pub fn is_fallthrough(&self) -> bool {
        self.is_control() && !self.is_guarded()
    }
}

pub struct Graph {
    pub ids: Vec<String>,
    pub kinds: Vec<String>,
    pub index: HashMap<String, usize>,
    pub edges: Vec<Edge>,
    /// Control out-edges per node, in declaration order.
    pub out_ctrl: Vec<Vec<usize>>,
    /// Control in-edges per node.
    pub in_ctrl: Vec<Vec<usize>>,
    /// A topological order of the control graph (when acyclic).
    pub topo: Vec<usize>,
    /// Why the graph has no meaning (docs/semantics.md §4), when it has none.
    pub problem: Option<String>,
}

pub fn is_entry_kind(kind: &str) -> bool {
    matches!(kind, "entry_api" | "entry_webhook" | "entry_schedule")
}

fn loop_roles(node: &Value) -> (Option<String>, Option<String>) {
    // docs/lowering.md: `body` / `done` matched by id, by `out_`-prefixed id or by label;
    // only when neither is found, the first and second declared output.
    let Some(outs) = node.get("outputs").and_then(Value::as_array) else {
        return (Some("body".into()), Some("done".into()));
    };
    let find = |name: &str| {
        outs.iter().find_map(|p| {
            let id = p.get("id")?.as_str()?;
            let label = p.get("label").and_then(Value::as_str);
            (id == name || id == format!("out_{name}") || label == Some(name))
                .then(|| id.to_string())
        })
    };
    let (b, d) = (find("body"), find("done"));
    if b.is_none() && d.is_none() {
        let nth = |i: usize| {
            outs.get(i)
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        return (nth(0), nth(1));
    }
    (b, d)
}

impl Graph {
    pub fn parse(flow: &Value) -> Result<Graph, String> {
        let mut g = Graph {
            ids: vec![],
            kinds: vec![],
            index: HashMap::new(),
            edges: vec![],
            out_ctrl: vec![],
            in_ctrl: vec![],
            topo: vec![],
            problem: None,
        };
        let empty = vec![];
        let nodes = flow["nodes"].as_array().unwrap_or(&empty);
        let mut roles = vec![];
        for n in nodes {
            let id = n["id"].as_str().ok_or("node without id")?.to_string();
            let kind = n["type"].as_str().ok_or("node without type")?.to_string();
            roles.push(if kind == "logic_loop" {
                loop_roles(n)
            } else {
                (None, None)
            });
            if g.index.insert(id.clone(), g.ids.len()).is_some() {
                return Err(format!("duplicate node {id}"));
            }
            g.ids.push(id);
            g.kinds.push(kind);
        }
        let n = g.ids.len();
        g.out_ctrl = vec![vec![]; n];
        g.in_ctrl = vec![vec![]; n];
        for e in flow["edges"].as_array().unwrap_or(&empty) {
            let kind = match e["type"].as_str() {
                Some("sequential") => EdgeKind::Sequential,
                Some("conditional") => EdgeKind::Conditional,
                Some("data") => EdgeKind::Data,
                other => return Err(format!("edge type {other:?}")),
            };
            let node = |side: &str| -> Result<usize, String> {
                let id = e[side]["node"].as_str().unwrap_or("");
                g.index
                    .get(id)
                    .copied()
                    .ok_or_else(|| format!("edge to unknown node {id:?}"))
            };
            let (src, dst) = (node("source")?, node("target")?);
            let port = e["source"]["port"].as_str().unwrap_or("");
            let role = (g.kinds[src] == "logic_loop").then(|| {
                let (b, d) = &roles[src];
                if b.as_deref() == Some(port) {
                    LoopRole::Body
                } else if d.as_deref() == Some(port) {
                    LoopRole::Done
                } else {
                    LoopRole::Other
                }
            });
            let idx = g.edges.len();
            g.edges.push(Edge {
                id: e["id"].as_str().unwrap_or("").to_string(),
                kind,
                src,
                dst,
                cond: e["condition"].as_str().map(str::to_string),
                role,
            });
            if kind != EdgeKind::Data {
                g.out_ctrl[src].push(idx);
                g.in_ctrl[dst].push(idx);
            }
        }
        g.problem = g.check();
        Ok(g)
    }

    /// A decision node (§1): a `logic_decision`, or any node other than a parallel and a
    /// loop with a conditional out-edge.
    pub fn is_decision(&self, n: usize) -> bool {
        let k = self.kinds[n].as_str();
        k == "logic_decision"
            || (k != "logic_parallel"
                && k != "logic_loop"
                && self.out_ctrl[n]
                    .iter()
                    .any(|&e| self.edges[e].kind == EdgeKind::Conditional))
    }

    fn reach(&self, starts: &[usize], skip_body: bool) -> BTreeSet<usize> {
        let mut seen: BTreeSet<usize> = starts.iter().copied().collect();
        let mut todo: Vec<usize> = starts.to_vec();
        while let Some(n) = todo.pop() {
            for &e in &self.out_ctrl[n] {
                let e = &self.edges[e];
                if skip_body && e.role == Some(LoopRole::Body) {
                    continue;
                }
                if seen.insert(e.dst) {
                    todo.push(e.dst);
                }
            }
        }
        seen
    }

    fn body_targets(&self, l: usize) -> Vec<usize> {
        self.out_ctrl[l]
            .iter()
            .map(|&e| &self.edges[e])
            .filter(|e| e.role == Some(LoopRole::Body))
            .map(|e| e.dst)
            .collect()
    }

    /// The §4 checks: graphs without a meaning. Only the part of the graph some entry
    /// reaches is checked: nodes no entry reaches never run (and compile to no step).
    fn check(&mut self) -> Option<String> {
        let n = self.ids.len();
        let live = self.reach(&self.entries(), false);
        // SF207: a control cycle.
        let mut indeg: Vec<usize> = (0..n).map(|v| self.in_ctrl[v].len()).collect();
        let mut queue: VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
        while let Some(v) = queue.pop_front() {
            self.topo.push(v);
            for &e in &self.out_ctrl[v] {
                let d = self.edges[e].dst;
                indeg[d] -= 1;
                if indeg[d] == 0 {
                    queue.push_back(d);
                }
            }
        }
        if self.topo.len() != n {
            if (0..n).any(|v| indeg[v] > 0 && live.contains(&v)) {
                return Some("SF207 control cycle".into());
            }
            // A cycle no entry reaches: order the rest, the cycle never runs.
            let sorted: BTreeSet<usize> = self.topo.iter().copied().collect();
            self.topo.extend((0..n).filter(|v| !sorted.contains(v)));
        }
        for v in live.iter().copied() {
            let outs: Vec<&Edge> = self.out_ctrl[v].iter().map(|&e| &self.edges[e]).collect();
            match self.kinds[v].as_str() {
                "logic_loop" => {
                    if let Some(e) = outs.iter().find(|e| e.is_guarded()) {
                        return Some(format!("SF217 condition on loop port ({})", e.id));
                    }
                    if let Some(e) = outs.iter().find(|e| e.role == Some(LoopRole::Other)) {
                        return Some(format!("loop edge {} from neither body nor done", e.id));
                    }
                    // A body must be closed within each execution (§3): among the nodes
                    // the entry that runs the loop reaches, no edge enters the body other
                    // than the loop's body edges.
                    let body = self.reach(&self.body_targets(v), false);
                    for entry in self.entries() {
                        let run = self.reach(&[entry], false);
                        if !run.contains(&v) {
                            continue;
                        }
                        for e in &self.edges {
                            if e.is_control()
                                && run.contains(&e.src)
                                && body.contains(&e.dst)
                                && !body.contains(&e.src)
                                && !(e.src == v && e.role == Some(LoopRole::Body))
                            {
                                return Some(format!(
                                    "SF214 edge {} enters the body of loop {}",
                                    e.id, self.ids[v]
                                ));
                            }
                        }
                    }
                }
                "logic_parallel" => {
                    if let Some(e) = outs.iter().find(|e| e.is_guarded()) {
                        return Some(format!("SF217 condition on parallel edge ({})", e.id));
                    }
                }
                _ => {
                    if self.is_decision(v) && outs.iter().filter(|e| e.is_fallthrough()).count() > 1
                    {
                        return Some(format!(
                            "SF215 decision {} has several fallthroughs",
                            self.ids[v]
                        ));
                    }
                }
            }
        }
        None
    }

    pub fn entries(&self) -> Vec<usize> {
        (0..self.ids.len())
            .filter(|&v| is_entry_kind(&self.kinds[v]))
            .collect()
    }
}

pub type RunKey = (String, IterPath);

pub fn show_run(r: &RunKey) -> String {
    format!("{}{}", r.0, show_path(&r.1))
}

/// One execution of the graph under one oracle.
pub struct Execution {
    /// Every run except the entry's own.
    pub runs: Vec<RunKey>,
    /// `a` must finish before `b` starts, and why.
    pub constraints: Vec<(RunKey, RunKey, String)>,
    /// A data edge the execution breaks (§6): the graph should have been refused (SF212).
    pub invalid: Option<String>,
}

struct Interp<'a> {
    g: &'a Graph,
    oracle: &'a Oracle,
    entry: usize,
    /// Happens-before DAG over run vertices (and loop start / barrier vertices).
    succ: Vec<Vec<usize>>,
    run_vertex: HashMap<(usize, IterPath), usize>,
    /// The vertex at which each node's status (ran and finished, or will not run) is known,
    /// per iteration: its done vertex when it ran; otherwise a vertex after the statuses of
    /// all its incoming edges' sources (dead-path elimination takes that long).
    status_vertex: HashMap<(usize, IterPath), usize>,
    runs: Vec<RunKey>,
    constraints: Vec<(RunKey, RunKey, String)>,
}

impl Interp<'_> {
    fn vertex(&mut self) -> usize {
        self.succ.push(vec![]);
        self.succ.len() - 1
    }

    /// Runs one region: `starts` are the nodes with a live edge from vertex `from`. Returns
    /// the vertices of the runs at this level.
    fn region(&mut self, starts: &[usize], from: usize, iter: &IterPath) -> Vec<usize> {
        let g = self.g;
        let region = g.reach(starts, true);
        let mut live_in: HashMap<usize, Vec<usize>> = HashMap::new();
        for &s in starts {
            live_in.entry(s).or_default().push(from);
        }
        let mut made = vec![];
        for &v in &g.topo {
            if !region.contains(&v) {
                continue;
            }
            // `v` waits for the status of every incoming control edge (§2): an edge's status
            // is known once its source's is — finished if it ran, known not to run
            // otherwise (which itself waits for that source's incoming edges).
            let statuses: Vec<usize> = g.in_ctrl[v]
                .iter()
                .filter_map(|&e| self.status_vertex.get(&(g.edges[e].src, iter.clone())))
                .copied()
                .collect();
            let Some(mut preds) = live_in.remove(&v) else {
                // Every incoming control edge is dead: `v` does not run, and that is known
                // once all their statuses are.
                let dead = self.vertex();
                for x in statuses {
                    self.succ[x].push(dead);
                }
                self.status_vertex.insert((v, iter.clone()), dead);
                continue;
            };
            for x in statuses {
                if !preds.contains(&x) {
                    preds.push(x);
                }
            }
            let key: RunKey = (g.ids[v].clone(), iter.clone());
            // In particular every source that ran in this iteration comes before `v`,
            // whether its edge is live or not.
            for &e in &g.in_ctrl[v] {
                let u = g.edges[e].src;
                if u != self.entry && self.run_vertex.contains_key(&(u, iter.clone())) {
                    self.constraints.push((
                        (g.ids[u].clone(), iter.clone()),
                        key.clone(),
                        format!("edge {} (its status)", g.edges[e].id),
                    ));
                }
            }
            let mut live_out: Vec<usize> = vec![];
            let done_vertex;
            if g.kinds[v] == "logic_loop" {
                let start = self.vertex();
                for p in preds {
                    self.succ[p].push(start);
                }
                made.push(start);
                let n = self.oracle.count(&g.ids[v], iter);
                let body = g.body_targets(v);
                let mut prev = start;
                for i in 0..n {
                    let mut inner = iter.clone();
                    inner.push((g.ids[v].clone(), i));
                    let vs = self.region(&body, prev, &inner);
                    let bar = self.vertex();
                    for x in vs {
                        self.succ[x].push(bar);
                    }
                    self.succ[prev].push(bar);
                    prev = bar;
                }
                let fin = self.vertex();
                self.succ[prev].push(fin);
                made.push(fin);
                done_vertex = fin;
                live_out.extend(
                    g.out_ctrl[v]
                        .iter()
                        .copied()
                        .filter(|&e| g.edges[e].role == Some(LoopRole::Done)),
                );
            } else {
                let x = self.vertex();
                for p in preds {
                    self.succ[p].push(x);
                }
                made.push(x);
                done_vertex = x;
                if g.is_decision(v) {
                    let outs = &g.out_ctrl[v];
                    let chosen = outs
                        .iter()
                        .copied()
                        .filter(|&e| g.edges[e].is_guarded())
                        .find(|&e| {
                            self.oracle.cond(
                                &g.ids[v],
                                g.edges[e].cond.as_deref().unwrap_or(""),
                                iter,
                            )
                        })
                        .or_else(|| outs.iter().copied().find(|&e| g.edges[e].is_fallthrough()));
                    live_out.extend(chosen);
                } else {
                    live_out.extend(g.out_ctrl[v].iter().copied());
                }
            }
            self.run_vertex.insert((v, iter.clone()), done_vertex);
            self.status_vertex.insert((v, iter.clone()), done_vertex);
            if v != self.entry {
                self.runs.push(key.clone());
            }
            for e in live_out {
                let w = g.edges[e].dst;
                if !region.contains(&w) {
                    continue; // only in graphs §4 refuses
                }
                live_in.entry(w).or_default().push(done_vertex);
                if v != self.entry {
                    self.constraints.push((
                        key.clone(),
                        (g.ids[w].clone(), iter.clone()),
                        format!("live edge {}", g.edges[e].id),
                    ));
                }
            }
        }
        made
    }

    fn reaches(&self, a: usize, b: usize) -> bool {
        let mut seen = vec![false; self.succ.len()];
        let mut todo = vec![a];
        while let Some(x) = todo.pop() {
            for &y in &self.succ[x] {
                if y == b {
                    return true;
                }
                if !seen[y] {
                    seen[y] = true;
                    todo.push(y);
                }
            }
        }
        false
    }

    /// §6: every data edge whose target runs has a source that ran and finished before it,
    /// in the same iteration or in an enclosing context.
    fn data_edges(&mut self) -> Option<String> {
        let g = self.g;
        let mut problem = None;
        for e in g.edges.iter().filter(|e| e.kind == EdgeKind::Data) {
            let targets: Vec<(IterPath, usize)> = self
                .run_vertex
                .iter()
                .filter(|((n, _), _)| *n == e.dst)
                .map(|((_, p), &x)| (p.clone(), x))
                .collect();
            for (p, vx) in targets {
                let found = (0..=p.len()).rev().find_map(|k| {
                    self.run_vertex
                        .get(&(e.src, p[..k].to_vec()))
                        .map(|&u| (k, u))
                });
                let v_key = (g.ids[e.dst].clone(), p.clone());
                match found {
                    None => {
                        problem.get_or_insert(format!(
                            "SF212 data edge {}: {} runs but {} has not run",
                            e.id,
                            show_run(&v_key),
                            g.ids[e.src]
                        ));
                    }
                    Some((k, ux)) => {
                        if !self.reaches(ux, vx) {
                            problem.get_or_insert(format!(
                                "SF212 data edge {}: {} is not ordered before {}",
                                e.id,
                                g.ids[e.src],
                                show_run(&v_key)
                            ));
                        } else if e.src != self.entry {
                            self.constraints.push((
                                (g.ids[e.src].clone(), p[..k].to_vec()),
                                v_key,
                                format!("data edge {}", e.id),
                            ));
                        }
                    }
                }
            }
        }
        problem
    }
}

/// The execution of entry `entry` under `oracle`. The graph must be meaningful
/// (`g.problem` is `None`).
pub fn execute(g: &Graph, entry: &str, oracle: &Oracle) -> Execution {
    let e = g.index[entry];
    let mut it = Interp {
        g,
        oracle,
        entry: e,
        succ: vec![],
        run_vertex: HashMap::new(),
        status_vertex: HashMap::new(),
        runs: vec![],
        constraints: vec![],
    };
    let root = it.vertex();
    it.region(&[e], root, &vec![]);
    let invalid = it.data_edges();
    Execution {
        runs: it.runs,
        constraints: it.constraints,
        invalid,
    }
}
