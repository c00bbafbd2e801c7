//! Edges from the step structure, for manifests without scaiflow's `node_edges`
//! (`docs/import.md`, "Edges from the structure").
//!
//! Each step is read with the **exits** that lead into it — (node, port, condition) — and
//! gives the exits that lead on:
//!
//! - a node's own step: an edge from every exit into it (a conditional edge for an exit
//!   with a condition, else sequential); its exit is its default out port;
//! - a sequence: the exits of its last step (an empty sequence passes its exits through);
//! - `decision`: each branch starts from the decision's node with the branch's `when`
//!   (`"true"`: the fallthrough, a sequential edge); its exits are its branches' exits —
//!   an empty branch exits from the node itself with the branch's condition; without a
//!   `"true"` branch the exits are not total (when no branch holds none is live), and
//!   the node's fallthrough is kept as an **escape**, connected only where the exits
//!   before a step are not total (see [`Exits`]);
//! - `parallel`: each branch starts from the exits before it (a `logic_parallel`: from
//!   its node); its exits are its branches' exits (an empty branch, or a parallel without
//!   branches, passes them through); they are total when one branch's are, and then
//!   the exits of a branch that is not total only order the next step: such an edge is
//!   dropped where its source runs in another flow that does not give it;
//! - `foreach` / `while`: the body starts from the loop's `body` port and leads nowhere
//!   (it is closed; a first step of the loop's own node is its fork); the loop exits from
//!   its `done` port;
//! - synthetic steps (`meta.synthetic`) are not nodes: a `fork` or `decision_rest`
//!   `decision` branches from its node (the node the step belongs to), a `fork` `parallel`
//!   from the exits before it, a `debug_breakpoint` passes its exits through;
//! - a step that is not a node (no `meta`, or a `meta` without `node_id` / `node_kind`)
//!   passes its exits through.
//!
//! The exits of a flow's last step lead nowhere. Edges come in the order they are found
//! (a decision's edges in branch order), duplicates (a node two flows run) once; their
//! ids are `edge_1`, `edge_2`, … in that order. Data edges follow, from `data_from`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{join, key};
use crate::diagnostics::PathSeg;
use crate::model::NodeKind;

/// What leads out of a step: an edge from `node`'s `port`, conditional when `when` is set.
#[derive(Clone)]
struct Exit {
    node: String,
    port: String,
    when: Option<String>,
    /// An edge already placed (in branch order) whose target is not known yet.
    slot: Option<usize>,
    /// A decision's arm: it leads to one step only (the first it meets; a decision
    /// has one edge per arm).
    once: bool,
    /// A decision's fallthrough when none of its branches holds: needed only where the
    /// exits beside it are not total (see [`Exits`]).
    escape: bool,
    /// Only orders the step after it: a branch of a parallel beside a branch that always
    /// leads on (the step runs anyway).
    order_only: bool,
    /// The groups of alternatives it belongs to: the exits of the branches of a parallel
    /// that each always lead on (any one of them runs the step after it).
    alts: Vec<usize>,
}

/// The exits of a step or sequence. `total`: whenever the step runs, at least one of
/// them is live. A decision without a `when: "true"` branch is not total — when no
/// branch holds nothing in it runs, yet the next step still runs (`docs/semantics.md`
/// §5) — so its exits also hold its **escapes**: its node's fallthrough, used only when
/// the step after it would otherwise not run (the exits are not total).
#[derive(Clone)]
struct Exits {
    list: Vec<Exit>,
    total: bool,
}

impl Exits {
    fn total(list: Vec<Exit>) -> Exits {
        Exits { list, total: true }
    }
}

struct Draft {
    kind: &'static str,
    source: String,
    port: String,
    target: Option<String>,
    when: Option<String>,
    origin: Vec<PathSeg>,
    /// A decision arm's edge placed before its target is known: every step the arm
    /// meets (a parallel after it meets several), and whether an edge found earlier —
    /// the same arm to the same step in another flow — already serves it.
    candidates: Vec<String>,
    served: bool,
    /// Every flow whose structure gives this edge, and whether each of them gives it only
    /// to order a step that runs anyway.
    flows: Vec<usize>,
    order_only: bool,
    /// (group, target) of the alternatives it is one of.
    alts: Vec<(usize, String)>,
}

impl Draft {
    /// A draft from `source`'s `port`, with the defaults of what later flows refine.
    fn new(
        kind: &'static str,
        source: String,
        port: String,
        target: Option<String>,
        when: Option<String>,
        origin: Vec<PathSeg>,
    ) -> Draft {
        Draft {
            kind,
            source,
            port,
            target,
            when,
            origin,
            candidates: Vec::new(),
            served: false,
            flows: Vec::new(),
            order_only: false,
            alts: Vec::new(),
        }
    }
}

/// An edge with condition `when` is conditional, else sequential (a fallthrough).
fn control_kind(when: &Option<String>) -> &'static str {
    if when.is_some() {
        "conditional"
    } else {
        "sequential"
    }
}

pub(super) struct Structure<'a> {
    /// Node id → node kind (parsed once), of every node the import rebuilt.
    kinds: HashMap<&'a str, Option<NodeKind>>,
    drafts: Vec<Draft>,
    /// Each edge found (source, port, target, condition, kind) → its draft.
    seen: HashMap<(String, String, String, Option<String>, &'static str), usize>,
    /// The flow being read, and the flows in which each node has its step.
    flow_ix: usize,
    node_flows: HashMap<String, HashSet<usize>>,
    groups: usize,
}

pub(super) fn kind_of(kinds: &HashMap<String, Value>, id: &str) -> Option<NodeKind> {
    kinds
        .get(id)
        .and_then(|k| serde_json::from_value::<NodeKind>(k.clone()).ok())
}

/// The port a node of kind `kind` leaves by in control flow (a loop's `done`).
fn out_port(kind: Option<NodeKind>) -> String {
    match kind {
        Some(NodeKind::LogicLoop) => "done".into(),
        Some(k) => k
            .default_outputs()
            .first()
            .map_or("out", |p| p.0)
            .to_string(),
        None => "out".into(),
    }
}

/// A step's node id and its `synthetic` marker, when it has a `meta` with a node id.
pub(super) fn step_meta(step: &Value) -> Option<(&str, Option<&str>)> {
    let meta = step.get("meta")?.as_object()?;
    let id = meta.get("node_id")?.as_str()?;
    Some((id, meta.get("synthetic").and_then(Value::as_str)))
}

pub(super) fn when_of(branch: &Value) -> Option<String> {
    match branch.get("when") {
        Some(Value::String(s)) if s.trim() == "true" => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Bool(true)) | None | Some(Value::Null) => None,
        Some(other) => Some(other.to_string()),
    }
}

fn steps_of(v: Option<&Value>) -> &[Value] {
    v.and_then(|s| s.get("steps"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

impl<'a> Structure<'a> {
    pub(super) fn new(kinds: &'a HashMap<String, Value>) -> Structure<'a> {
        Structure {
            kinds: kinds
                .keys()
                .map(|id| (id.as_str(), kind_of(kinds, id)))
                .collect(),
            drafts: Vec::new(),
            seen: HashMap::new(),
            flow_ix: 0,
            node_flows: HashMap::new(),
            groups: 0,
        }
    }

    fn kind(&self, id: &str) -> Option<NodeKind> {
        self.kinds.get(id).copied().flatten()
    }

    /// The control edges of one flow: its steps, entered from its entry nodes.
    pub(super) fn flow(&mut self, steps: &[Value], path: &[PathSeg], entries: &[String]) {
        self.flow_ix += 1;
        for e in entries {
            self.saw(e);
        }
        let preds = entries.iter().map(|e| self.exit(e, None, None)).collect();
        self.seq(steps, path, Exits::total(preds), None);
    }

    fn exit(&self, node: &str, port: Option<&str>, when: Option<String>) -> Exit {
        Exit {
            node: node.to_string(),
            port: port.map_or_else(|| out_port(self.kind(node)), String::from),
            when,
            slot: None,
            once: false,
            escape: false,
            order_only: false,
            alts: Vec::new(),
        }
    }

    fn saw(&mut self, node: &str) {
        self.node_flows
            .entry(node.to_string())
            .or_default()
            .insert(self.flow_ix);
    }

    /// The edge of draft `i` found (again) in the current flow.
    fn found(&mut self, i: usize, order_only: bool, alts: &[(usize, String)]) {
        let d = &mut self.drafts[i];
        if !d.flows.contains(&self.flow_ix) {
            d.flows.push(self.flow_ix);
        }
        d.order_only &= order_only;
        d.alts.extend_from_slice(alts);
    }

    fn push(&mut self, mut d: Draft) -> Option<usize> {
        d.flows = vec![self.flow_ix];
        if let Some(t) = &d.target {
            let k = (
                d.source.clone(),
                d.port.clone(),
                t.clone(),
                d.when.clone(),
                d.kind,
            );
            if let Some(&i) = self.seen.get(&k) {
                self.found(i, d.order_only, &d.alts);
                return None;
            }
            self.seen.insert(k, self.drafts.len());
        }
        self.drafts.push(d);
        Some(self.drafts.len() - 1)
    }

    fn connect(&mut self, from: &Exit, target: &str, origin: &[PathSeg]) {
        let kind = control_kind(&from.when);
        if let Some(i) = from.slot
            && (self.drafts[i].target.is_none() || from.once)
        {
            if from.once {
                self.drafts[i].candidates.push(target.to_string());
            }
            if self.drafts[i].target.is_some() || self.drafts[i].served {
                return;
            }
            let k = (
                from.node.clone(),
                from.port.clone(),
                target.to_string(),
                from.when.clone(),
                kind,
            );
            match self.seen.get(&k) {
                None => {
                    self.seen.insert(k, i);
                    self.drafts[i].target = Some(target.to_string());
                }
                Some(&j) => {
                    self.found(j, false, &[]);
                    if from.once {
                        self.drafts[i].served = true;
                    }
                }
            }
            return;
        }
        self.push(Draft {
            order_only: from.order_only,
            alts: from.alts.iter().map(|g| (*g, target.to_string())).collect(),
            ..Draft::new(
                kind,
                from.node.clone(),
                from.port.clone(),
                Some(target.to_string()),
                from.when.clone(),
                origin.to_vec(),
            )
        });
    }

    /// A sequence; `parent`: the node of the decision or parallel whose branch it is.
    fn seq(
        &mut self,
        steps: &[Value],
        path: &[PathSeg],
        mut preds: Exits,
        parent: Option<&str>,
    ) -> Exits {
        for (i, s) in steps.iter().enumerate() {
            let before = if i == 0 {
                parent
            } else {
                // (A step marked synthetic is no node's step.)
                step_meta(&steps[i - 1])
                    .filter(|m| m.1.is_none())
                    .map(|m| m.0)
            };
            preds = self.step(s, &join(path, PathSeg::Index(i)), preds, before);
        }
        preds
    }

    /// One step; `before`: the node of the step before it (or of the construct whose
    /// branch it starts).
    fn step(
        &mut self,
        step: &Value,
        path: &[PathSeg],
        preds: Exits,
        before: Option<&str>,
    ) -> Exits {
        let Some((id, synthetic)) = step_meta(step) else {
            return preds;
        };
        // Without the (undocumented) `synthetic` marker a step the compiler added is
        // recognised by its place: it repeats the node of the step before it (a fork
        // after the node's step, the step after a breakpoint, a `decision_rest` first in
        // its node's branch), or it belongs to an entry (a fork after the trigger).
        let synthetic = synthetic.or_else(|| {
            (before == Some(id) || self.kind(id).is_some_and(NodeKind::is_entry)).then_some("")
        });
        let id = id.to_string();
        let body = |kw: &str| step.get(kw).filter(|v| v.is_object());
        match synthetic {
            Some(_) => {
                if let Some(d) = body("decision") {
                    // The conditions are the node's: branch from it (from every entry of
                    // the flow when the node is one of them).
                    let mut base: Vec<Exit> = preds
                        .list
                        .iter()
                        .filter(|p| p.when.is_none() && !p.escape)
                        .map(|p| Exit {
                            slot: None,
                            ..p.clone()
                        })
                        .collect();
                    if !base.iter().any(|p| p.node == id) {
                        base = vec![self.exit(&id, None, None)];
                    }
                    let base = Exits::total(base);
                    self.branches(d, &join(path, key("decision")), &base, true, &id)
                } else if let Some(p) = body("parallel") {
                    let base = if preds.list.is_empty() {
                        Exits::total(vec![self.exit(&id, None, None)])
                    } else {
                        preds
                    };
                    self.branches(p, &join(path, key("parallel")), &base, false, &id)
                } else {
                    preds
                }
            }
            None => {
                if !self.kinds.contains_key(id.as_str()) {
                    return preds;
                }
                self.saw(&id);
                for p in &preds.list {
                    self.connect(p, &id, path);
                }
                let own = Exits::total(vec![self.exit(&id, None, None)]);
                if let Some(d) = body("decision") {
                    self.branches(d, &join(path, key("decision")), &own, true, &id)
                } else if let Some(p) = body("parallel") {
                    self.branches(p, &join(path, key("parallel")), &own, false, &id)
                } else if let Some((kw, l)) = ["foreach", "while"]
                    .into_iter()
                    .find_map(|kw| body(kw).map(|l| (kw, l)))
                {
                    let start = Exits::total(vec![self.exit(&id, Some("body"), None)]);
                    let sp = join(&join(path, key(kw)), key("steps"));
                    // (A body's first step may be the loop's fork of its `body` port.)
                    self.seq(steps_of(Some(l)), &sp, start, Some(&id));
                    Exits::total(vec![self.exit(&id, Some("done"), None)])
                } else {
                    own
                }
            }
        }
    }

    /// The branches of a decision or parallel, each entered from `base`.
    fn branches(
        &mut self,
        construct: &Value,
        path: &[PathSeg],
        base: &Exits,
        decision: bool,
        node: &str,
    ) -> Exits {
        let list = construct
            .get("branches")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if !decision && list.is_empty() {
            // A parallel without branches (a `logic_parallel` that leads nowhere in
            // this flow) passes its exits through.
            return base.clone();
        }
        let mut arms: Vec<Exits> = Vec::new();
        let mut fallthrough = false;
        for (j, br) in list.iter().enumerate() {
            let bp = join(&join(path, key("branches")), PathSeg::Index(j));
            let when = if decision { when_of(br) } else { None };
            fallthrough |= decision && when.is_none();
            let start: Vec<Exit> = base
                .list
                .iter()
                .map(|b| Exit {
                    when: if decision {
                        when.clone()
                    } else {
                        b.when.clone()
                    },
                    ..b.clone()
                })
                .collect();
            let steps = steps_of(Some(br));
            if steps.is_empty() {
                // The branch exits from where it starts; its edge keeps its place.
                let mut exits = Vec::new();
                for s in start {
                    if s.slot.is_some() {
                        exits.push(s);
                        continue;
                    }
                    let slot = self.push(Draft::new(
                        control_kind(&s.when),
                        s.node.clone(),
                        s.port.clone(),
                        None,
                        s.when.clone(),
                        bp.clone(),
                    ));
                    exits.push(Exit {
                        slot,
                        once: decision,
                        ..s
                    });
                }
                arms.push(Exits {
                    list: exits,
                    total: decision || base.total,
                });
            } else {
                let start = Exits {
                    list: start,
                    total: decision || base.total,
                };
                arms.push(self.seq(steps, &join(&bp, key("steps")), start, Some(node)));
            }
        }
        let total = if decision {
            fallthrough && arms.iter().all(|a| a.total)
        } else {
            arms.iter().any(|a| a.total)
        };
        let mut exits: Vec<Exit> = Vec::new();
        // Several branches that always lead on: any one of them runs the step after the
        // parallel, each one's edges are one alternative.
        let group = (!decision && arms.iter().filter(|a| a.total).count() > 1).then(|| {
            self.groups += 1;
            self.groups
        });
        for a in arms {
            // A total parallel needs no branch's escapes, and the other exits of a branch
            // that is not total only order the step after it.
            if !decision && total && !a.total {
                exits.extend(a.list.into_iter().filter(|e| !e.escape).map(|e| Exit {
                    order_only: e.slot.is_none(),
                    ..e
                }));
            } else if let Some(g) = group.filter(|_| a.total) {
                exits.extend(a.list.into_iter().map(|mut e| {
                    if e.slot.is_none() {
                        e.order_only = true;
                        e.alts.push(g);
                    }
                    e
                }));
            } else {
                exits.extend(a.list);
            }
        }
        if decision && !fallthrough {
            // When no branch holds, the next step runs after the decision's node.
            for b in &base.list {
                exits.push(Exit {
                    when: None,
                    slot: None,
                    once: true,
                    escape: true,
                    ..b.clone()
                });
            }
        }
        Exits { list: exits, total }
    }

    /// Data edges from `data_from`: each name read is the `bind` of a node's step (or
    /// `input`, the trigger's payload: the flow's first entry).
    pub(super) fn data(&mut self, flows: &[(Vec<PathSeg>, &[Value], Vec<String>)]) {
        let mut binds: HashMap<String, String> = HashMap::new();
        fn walk<'v>(
            steps: &'v [Value],
            path: &[PathSeg],
            out: &mut Vec<(Vec<PathSeg>, &'v Value)>,
        ) {
            for (i, s) in steps.iter().enumerate() {
                let p = join(path, PathSeg::Index(i));
                out.push((p.clone(), s));
                for kw in ["decision", "parallel"] {
                    for (j, b) in s
                        .get(kw)
                        .and_then(|d| d.get("branches"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let bp = join(
                            &join(&join(&p, key(kw)), key("branches")),
                            PathSeg::Index(j),
                        );
                        walk(steps_of(Some(b)), &join(&bp, key("steps")), out);
                    }
                }
                for kw in ["foreach", "while"] {
                    let lp = join(&join(&p, key(kw)), key("steps"));
                    walk(steps_of(s.get(kw)), &lp, out);
                }
            }
        }
        let mut all: Vec<(usize, Vec<PathSeg>, &Value)> = Vec::new();
        for (f, (path, steps, _)) in flows.iter().enumerate() {
            let mut out = Vec::new();
            walk(steps, path, &mut out);
            all.extend(out.into_iter().map(|(p, s)| (f, p, s)));
        }
        for (_, _, s) in &all {
            if let (Some((id, None)), Some(b)) =
                (step_meta(s), s.get("bind").and_then(Value::as_str))
                && self.kinds.contains_key(id)
            {
                binds.entry(b.to_string()).or_insert_with(|| id.to_string());
            }
        }
        for (f, path, s) in &all {
            let Some((id, None)) = step_meta(s) else {
                continue;
            };
            if !self.kinds.contains_key(id) {
                continue;
            }
            for name in s
                .get("data_from")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let source = if name == crate::analyze::INPUT_BINDING {
                    flows[*f].2.first().cloned()
                } else {
                    binds.get(name).cloned()
                };
                let Some(source) = source else { continue };
                let port = out_port(self.kind(&source));
                self.push(Draft::new(
                    "data",
                    source,
                    port,
                    Some(id.to_string()),
                    None,
                    join(path, key("data_from")),
                ));
            }
        }
    }

    /// The edges found, with generated ids `edge_1`, `edge_2`, …, and their origins.
    pub(super) fn finish(mut self) -> Vec<(String, Value, Vec<PathSeg>)> {
        // An edge that only orders a step that runs anyway is dropped where its source
        // also runs in a flow whose structure does not give it: there it would run the
        // step where that flow does not (flows share their nodes' edges).
        // Of each group of alternatives, one edge stays.
        let harmful: Vec<bool> = self
            .drafts
            .iter()
            .map(|d| {
                d.order_only
                    && self
                        .node_flows
                        .get(&d.source)
                        .is_some_and(|fs| fs.iter().any(|f| !d.flows.contains(f)))
            })
            .collect();
        let mut keep: HashSet<usize> = HashSet::new();
        let mut groups: HashMap<&(usize, String), Vec<usize>> = HashMap::new();
        for (i, d) in self.drafts.iter().enumerate() {
            if d.target.is_some() {
                for a in &d.alts {
                    groups.entry(a).or_default().push(i);
                }
            }
        }
        for members in groups.values() {
            if members.iter().all(|&i| harmful[i]) {
                keep.insert(members[0]);
            }
        }
        for (i, d) in self.drafts.iter_mut().enumerate() {
            if harmful[i] && !keep.contains(&i) {
                d.target = None;
            }
        }
        // An arm that met several steps at once (a parallel after it) leads to the first
        // of them — unless another flow leads the same arm to one of them: that edge
        // serves it (a decision has one edge per arm, one fallthrough).
        for i in 0..self.drafts.len() {
            let d = &self.drafts[i];
            if d.candidates.len() < 2 || d.target.is_none() {
                continue;
            }
            let other = d.candidates.iter().any(|c| {
                let k = (
                    d.source.clone(),
                    d.port.clone(),
                    c.clone(),
                    d.when.clone(),
                    d.kind,
                );
                self.seen
                    .get(&k)
                    .is_some_and(|&j| j != i && self.drafts[j].target.is_some())
            });
            if other {
                self.drafts[i].target = None;
            }
        }
        self.drafts
            .into_iter()
            .filter_map(|d| Some((d.target.clone()?, d)))
            .enumerate()
            .map(|(i, (target, d))| {
                let id = format!("edge_{}", i + 1);
                let mut e = Map::new();
                e.insert("id".into(), id.clone().into());
                e.insert("type".into(), d.kind.into());
                e.insert(
                    "source".into(),
                    serde_json::json!({"node": d.source, "port": d.port}),
                );
                e.insert(
                    "target".into(),
                    serde_json::json!({"node": target, "port": "in"}),
                );
                if let Some(c) = d.when {
                    e.insert("condition".into(), c.into());
                }
                (id, Value::Object(e), d.origin)
            })
            .collect()
    }
}
