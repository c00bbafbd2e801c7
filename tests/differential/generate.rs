//! Flow generators: structured (from a witness program), mutated, and random DAGs.
//!
//! A structured flow is generated as a *witness*: a program in the manifest's vocabulary
//! (sequences, decisions, parallels, loops), from which the flow graph is derived. The
//! generator keeps the witness faithful to its graph by tracking, for every sequence, what
//! must hold at its end:
//!
//! - `Must`: the sequence's exits lead to the next step, and every run of it reaches them
//!   (only steps that always complete: a decision with a fallthrough whose arms all
//!   complete, a parallel with at least one completing branch, a loop, a plain step);
//! - `Maybe`: the exits lead to a join that another branch of the same parallel always
//!   reaches, so the sequence may stop early, but only at its last element;
//! - `Tail`: nothing follows (the end of an entry's flow, of a loop body, of an arm that ends
//!   the flow); the last element may stop.
//!
//! A decision that ends the flow on some arms and continues on others is written as the
//! manifest does: the stopping arms first, then a `"true"` arm holding a `decision_rest` on
//! the same node and the continuation.

use std::collections::HashMap;

use serde_json::{Value, json};

pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as usize % n.max(1)
    }
    /// `true` with probability `pct`%.
    pub fn pct(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Must,
    Maybe,
    Tail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// A `logic_decision` / `logic_parallel` node: its step is the node's event.
    Logic(usize),
    /// An `llm_rigid` node with several out-edges: its own step, then a synthetic fork.
    Fork(usize),
    /// The entry itself forks: only a synthetic fork step.
    Entry(usize),
}

impl Head {
    fn node(self) -> usize {
        match self {
            Head::Logic(n) | Head::Fork(n) | Head::Entry(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Arm {
    pub mode: Mode,
    pub steps: Vec<W>,
}

#[derive(Debug, Clone)]
pub struct Dec {
    pub head: Head,
    /// Guarded arms, in declaration order: (condition, arm).
    pub arms: Vec<(String, Arm)>,
    pub ft: Option<Arm>,
    /// The fallthrough is a conditional `"true"` edge (else `sequential`).
    pub ft_true: bool,
    /// The fallthrough edge is declared before the guarded ones.
    pub ft_first: bool,
    /// The first `early` arms end the flow; the others are a `decision_rest` followed by
    /// `cont` (only when `early > 0`).
    pub early: usize,
    pub cont: Vec<W>,
}

#[derive(Debug, Clone)]
pub enum W {
    Step(usize),
    Dec(Box<Dec>),
    Par(Head, Vec<Arm>),
    Loop(usize, Vec<W>),
}

impl W {
    fn head(&self) -> usize {
        match self {
            W::Step(n) | W::Loop(n, _) => *n,
            W::Dec(d) => d.head.node(),
            W::Par(h, _) => h.node(),
        }
    }
}

struct Exit {
    src: usize,
    cond: Option<String>,
    port: &'static str,
    order: u64,
}

/// A flow under construction.
pub struct Builder {
    pub rng: Rng,
    ids: Vec<String>,
    kinds: Vec<&'static str>,
    edges: Vec<(u64, Value)>,
    order: u64,
    conds: usize,
    edge_ids: usize,
}

impl Builder {
    pub fn new(seed: u64) -> Builder {
        Builder {
            rng: Rng::new(seed),
            ids: vec![],
            kinds: vec![],
            edges: vec![],
            order: 1000,
            conds: 0,
            edge_ids: 0,
        }
    }

    pub fn node(&mut self, kind: &'static str) -> usize {
        let i = self.ids.len();
        self.ids.push(match kind {
            "entry_api" => format!("e{i}"),
            "logic_decision" => format!("d{i}"),
            "logic_parallel" => format!("p{i}"),
            "logic_loop" => format!("l{i}"),
            _ => format!("n{i}"),
        });
        self.kinds.push(kind);
        i
    }

    fn cond(&mut self) -> String {
        self.conds += 1;
        format!("c{}", self.conds)
    }

    fn next_order(&mut self) -> u64 {
        self.order += 2;
        self.order
    }

    fn port(&self, n: usize) -> &'static str {
        match self.kinds[n] {
            "entry_api" => "out_request",
            "logic_loop" => "body",
            _ => "out",
        }
    }

    fn exit(&mut self, src: usize, cond: Option<String>) -> Exit {
        let order = self.next_order();
        Exit {
            src,
            port: self.port(src),
            cond,
            order,
        }
    }

    pub fn edge(
        &mut self,
        order: u64,
        ty: &str,
        src: usize,
        port: &str,
        dst: usize,
        cond: Option<&str>,
    ) {
        self.edge_ids += 1;
        let mut e = json!({"id": format!("x{}", self.edge_ids), "type": ty,
            "source": {"node": self.ids[src], "port": port},
            "target": {"node": self.ids[dst], "port": "in"}});
        if let Some(c) = cond {
            e["condition"] = json!(c);
        }
        self.edges.push((order, e));
    }

    fn connect(&mut self, exits: Vec<Exit>, to: usize) {
        for x in exits {
            let ty = if x.cond.is_some() {
                "conditional"
            } else {
                "sequential"
            };
            self.edge(x.order, ty, x.src, x.port, to, x.cond.as_deref());
        }
    }

    /// The flow document.
    pub fn flow(&self) -> Value {
        let nodes: Vec<Value> = (0..self.ids.len())
            .map(|i| {
                let id = &self.ids[i];
                let config = match self.kinds[i] {
                    "llm_rigid" => json!({"template": format!("step {id}")}),
                    "logic_loop" if i % 3 == 0 => {
                        json!({"style": "while", "condition": "input.k > 0", "max_iterations": 3})
                    }
                    "logic_loop" => {
                        json!({"style": "foreach", "items": "{{input.xs}}", "item": format!("x_{id}")})
                    }
                    _ => json!({}),
                };
                json!({"id": id, "type": self.kinds[i], "label": id,
                    "position": {"x": 0, "y": i * 100}, "config": config})
            })
            .collect();
        let mut edges = self.edges.clone();
        edges.sort_by_key(|(o, _)| *o);
        let edges: Vec<Value> = edges.into_iter().map(|(_, e)| e).collect();
        json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges})
    }

    // ---- generation -------------------------------------------------------------------

    /// A sequence of mode `mode`. `has_next`: its exits lead somewhere (else an empty
    /// sequence could not be drawn: an arm needs an edge to a node). `allow_empty`: it may
    /// be empty (only when `has_next`).
    fn gen_seq(&mut self, mode: Mode, depth: usize, has_next: bool, allow_empty: bool) -> Vec<W> {
        let len = match mode {
            _ if allow_empty && has_next && mode != Mode::Tail && self.rng.pct(25) => 0,
            Mode::Tail if depth <= 1 => self.rng.range(1, 3),
            _ => self.rng.range(1, 2),
        };
        let mut out = vec![];
        for i in 0..len {
            let last = i + 1 == len;
            out.push(self.gen_elem(mode, depth, last, has_next, None));
        }
        out
    }

    /// One element of a sequence of mode `mode` (whose exits lead somewhere when
    /// `seq_has_next`). `entry`: the element may fork at the entry.
    fn gen_elem(
        &mut self,
        mode: Mode,
        depth: usize,
        last: bool,
        seq_has_next: bool,
        entry: Option<usize>,
    ) -> W {
        let may_stop = last && mode != Mode::Must;
        // Whether the exits of this element's arms lead somewhere.
        let next = !last || seq_has_next;
        let compound = if depth >= 4 || self.ids.len() > 45 {
            0
        } else {
            [70, 45, 30, 15][depth]
        };
        if !self.rng.pct(compound) {
            return W::Step(self.node("llm_rigid"));
        }
        let pick = self.rng.below(100);
        let head = |b: &mut Builder, logic: &'static str| match entry {
            Some(e) if b.rng.pct(40) => Head::Entry(e),
            _ if b.rng.pct(25) => Head::Fork(b.node("llm_rigid")),
            _ => Head::Logic(b.node(logic)),
        };
        if pick < 40 {
            // A decision.
            let h = head(self, "logic_decision");
            if may_stop && self.rng.pct(35) {
                return self.gen_early(h, mode, depth, seq_has_next);
            }
            let stopping = may_stop && self.rng.pct(40);
            let arm_mode = if stopping { mode } else { Mode::Must };
            let n = if self.rng.pct(70) {
                self.rng.range(1, 2)
            } else {
                self.rng.range(3, 4)
            };
            let mut empty_left = next && arm_mode != Mode::Tail && !matches!(h, Head::Entry(_));
            let mut arm = |b: &mut Builder| {
                let steps = b.gen_seq(
                    arm_mode,
                    depth + 1,
                    next && arm_mode != Mode::Tail,
                    empty_left,
                );
                empty_left &= !steps.is_empty();
                Arm {
                    mode: arm_mode,
                    steps,
                }
            };
            let arms: Vec<(String, Arm)> = (0..n).map(|_| (self.cond(), arm(self))).collect();
            let ft = (!stopping || self.rng.pct(50)).then(|| arm(self));
            W::Dec(Box::new(Dec {
                head: h,
                arms,
                ft,
                ft_true: self.rng.pct(40),
                ft_first: self.rng.pct(20),
                early: 0,
                cont: vec![],
            }))
        } else if pick < 70 {
            // A parallel.
            let h = head(self, "logic_parallel");
            let n = self.rng.range(2, 3);
            let stopping = may_stop && self.rng.pct(40);
            let must = self.rng.below(n);
            let mut empty_left = next && !matches!(h, Head::Entry(_));
            let branches = (0..n)
                .map(|i| {
                    let m = if stopping {
                        mode
                    } else if i == must {
                        Mode::Must
                    } else if self.rng.pct(50) {
                        Mode::Maybe
                    } else {
                        Mode::Tail
                    };
                    let has_next = next && m != Mode::Tail;
                    let steps = self.gen_seq(m, depth + 1, has_next, empty_left);
                    empty_left &= !steps.is_empty();
                    Arm { mode: m, steps }
                })
                .collect();
            W::Par(h, branches)
        } else {
            let l = self.node("logic_loop");
            let body = self.gen_seq(Mode::Tail, depth + 1, false, false);
            W::Loop(l, body)
        }
    }

    /// A decision whose first arms end the flow, the rest continue into `cont`.
    fn gen_early(&mut self, head: Head, mode: Mode, depth: usize, seq_has_next: bool) -> W {
        let early = self.rng.range(1, 2);
        let mut arms: Vec<(String, Arm)> = (0..early)
            .map(|_| {
                let c = self.cond();
                let steps = self.gen_seq(Mode::Tail, depth + 1, false, false);
                (
                    c,
                    Arm {
                        mode: Mode::Tail,
                        steps,
                    },
                )
            })
            .collect();
        let cont = if self.rng.pct(70) {
            self.gen_seq(mode, depth + 1, seq_has_next, false)
        } else {
            vec![]
        };
        // With a continuation, the rest must always reach it; without, it ends like `mode`.
        let rest_mode = if cont.is_empty() { mode } else { Mode::Must };
        let n = self.rng.range(if cont.is_empty() { 1 } else { 0 }, 3);
        let next = (!cont.is_empty() || seq_has_next) && rest_mode != Mode::Tail;
        let mut empty_left = next && !matches!(head, Head::Entry(_));
        let mut arm = |b: &mut Builder| {
            let steps = b.gen_seq(rest_mode, depth + 1, next, empty_left);
            empty_left &= !steps.is_empty();
            Arm {
                mode: rest_mode,
                steps,
            }
        };
        for _ in 0..n {
            let c = self.cond();
            let a = arm(self);
            arms.push((c, a));
        }
        let ft = (!cont.is_empty() || self.rng.pct(50)).then(|| arm(self));
        W::Dec(Box::new(Dec {
            head,
            arms,
            ft,
            ft_true: self.rng.pct(40),
            ft_first: self.rng.pct(20),
            early,
            cont,
        }))
    }

    // ---- graph derivation ---------------------------------------------------------------

    fn build_seq(&mut self, seq: &[W], mut exits: Vec<Exit>) -> Vec<Exit> {
        for w in seq {
            let h = w.head();
            self.connect(exits, h);
            exits = self.build_elem(w);
        }
        exits
    }

    fn build_arm(&mut self, arm: &Arm, seed: Exit) -> Vec<Exit> {
        let exits = self.build_seq(&arm.steps, vec![seed]);
        if arm.mode == Mode::Tail {
            vec![]
        } else {
            exits
        }
    }

    fn build_elem(&mut self, w: &W) -> Vec<Exit> {
        match w {
            W::Step(n) => vec![self.exit(*n, None)],
            W::Loop(l, body) => {
                let seed = self.exit(*l, None);
                self.build_seq(body, vec![seed]);
                let mut done = self.exit(*l, None);
                done.port = "done";
                vec![done]
            }
            W::Par(h, branches) => {
                let mut out = vec![];
                for b in branches {
                    let seed = self.exit(h.node(), None);
                    out.extend(self.build_arm(b, seed));
                }
                out
            }
            W::Dec(d) => {
                let h = d.head.node();
                let ft_order = d.ft_first.then(|| self.next_order());
                let mut out = vec![];
                let mut rest = vec![];
                for (i, (c, arm)) in d.arms.iter().enumerate() {
                    let seed = self.exit(h, Some(c.clone()));
                    let ex = self.build_arm(arm, seed);
                    if i >= d.early && d.early > 0 {
                        rest.extend(ex);
                    } else {
                        out.extend(ex);
                    }
                }
                if let Some(ft) = &d.ft {
                    let mut seed = self.exit(h, d.ft_true.then(|| "true".to_string()));
                    if let Some(o) = ft_order {
                        seed.order = o;
                    }
                    let ex = self.build_arm(ft, seed);
                    if d.early > 0 {
                        rest.extend(ex);
                    } else {
                        out.extend(ex);
                    }
                }
                if d.early > 0 {
                    out.extend(self.build_seq(&d.cont, rest));
                }
                out
            }
        }
    }

    // ---- the witness as a manifest --------------------------------------------------------

    fn meta(&self, n: usize, synthetic: Option<&str>) -> Value {
        let mut m = json!({"node_id": self.ids[n]});
        if let Some(s) = synthetic {
            m["synthetic"] = json!(s);
        }
        m
    }

    fn wit_seq(&self, seq: &[W]) -> Vec<Value> {
        seq.iter().flat_map(|w| self.wit_elem(w)).collect()
    }

    /// The steps of a head, and the meta of its decision / parallel step.
    fn wit_head(&self, h: Head) -> (Vec<Value>, Value) {
        match h {
            Head::Logic(n) => (vec![], self.meta(n, None)),
            Head::Fork(n) => (
                vec![json!({"rigid": "t", "meta": self.meta(n, None)})],
                self.meta(n, Some("fork")),
            ),
            Head::Entry(n) => (vec![], self.meta(n, Some("fork"))),
        }
    }

    fn wit_elem(&self, w: &W) -> Vec<Value> {
        match w {
            W::Step(n) => vec![json!({"rigid": "t", "meta": self.meta(*n, None)})],
            W::Loop(l, body) => {
                vec![json!({"foreach": {"steps": self.wit_seq(body)}, "meta": self.meta(*l, None)})]
            }
            W::Par(h, branches) => {
                let (mut steps, meta) = self.wit_head(*h);
                let bs: Vec<Value> = branches
                    .iter()
                    .map(|b| json!({"steps": self.wit_seq(&b.steps)}))
                    .collect();
                steps.push(json!({"parallel": {"branches": bs}, "meta": meta}));
                steps
            }
            W::Dec(d) => {
                let (mut steps, meta) = self.wit_head(d.head);
                let arm =
                    |(c, a): &(String, Arm)| json!({"when": c, "steps": self.wit_seq(&a.steps)});
                let ft =
                    d.ft.as_ref()
                        .map(|a| json!({"when": "true", "steps": self.wit_seq(&a.steps)}));
                let branches: Vec<Value> = if d.early == 0 {
                    d.arms.iter().map(arm).chain(ft).collect()
                } else {
                    let rest: Vec<Value> = d.arms[d.early..].iter().map(arm).chain(ft).collect();
                    let rest_step = json!({"decision": {"branches": rest},
                        "meta": self.meta(d.head.node(), Some("decision_rest"))});
                    let mut tail = vec![rest_step];
                    tail.extend(self.wit_seq(&d.cont));
                    d.arms[..d.early]
                        .iter()
                        .map(arm)
                        .chain([json!({"when": "true", "steps": tail})])
                        .collect()
                };
                steps.push(json!({"decision": {"branches": branches}, "meta": meta}));
                steps
            }
        }
    }

    /// For each plain step, the plain steps that always ran before it (earlier elements of
    /// the enclosing sequences).
    fn befores(&self, seq: &[&W], before: &mut Vec<usize>, out: &mut HashMap<usize, Vec<usize>>) {
        let saved = before.len();
        for w in seq {
            let fork = |h: Head, before: &mut Vec<usize>, out: &mut HashMap<usize, Vec<usize>>| {
                if let Head::Fork(n) = h {
                    out.insert(n, before.clone());
                    before.push(n);
                }
            };
            match w {
                W::Step(n) => {
                    out.insert(*n, before.clone());
                    before.push(*n);
                }
                W::Loop(_, body) => {
                    let b: Vec<&W> = body.iter().collect();
                    self.befores(&b, &mut before.clone(), out);
                }
                W::Par(h, branches) => {
                    fork(*h, before, out);
                    for br in branches {
                        let b: Vec<&W> = br.steps.iter().collect();
                        self.befores(&b, &mut before.clone(), out);
                    }
                }
                W::Dec(d) => {
                    fork(d.head, before, out);
                    for a in d.arms.iter().map(|(_, a)| a).chain(&d.ft) {
                        let b: Vec<&W> = a.steps.iter().collect();
                        self.befores(&b, &mut before.clone(), out);
                    }
                    let b: Vec<&W> = d.cont.iter().collect();
                    self.befores(&b, &mut before.clone(), out);
                }
            }
        }
        before.truncate(saved);
    }
}

/// A structured flow: the flow document and, per entry, the witness manifest.
pub struct Structured {
    pub flow: Value,
    pub witness: Value,
}

pub fn structured(seed: u64) -> Structured {
    let mut b = Builder::new(seed);
    let n_entries = match b.rng.below(10) {
        0..=4 => 1,
        5..=7 => 2,
        _ => 3,
    };
    let e1 = b.node("entry_api");
    // The first entry's program.
    let len = b.rng.range(1, 4);
    let mut main = vec![];
    for i in 0..len {
        let entry = (i == 0).then_some(e1);
        main.push(b.gen_elem(Mode::Tail, 0, i + 1 == len, false, entry));
    }
    // Each entry's witness: a list of elements (owned programs are kept in `extra`).
    let mut entries: Vec<(usize, Vec<W>, usize)> = vec![]; // (entry, prefix, start in main)
    let mut separate: Vec<(usize, Vec<W>)> = vec![];
    entries.push((e1, vec![], 0));
    let entry_forks = matches!(&main[0], W::Dec(d) if matches!(d.head, Head::Entry(_)))
        || matches!(&main[0], W::Par(Head::Entry(_), _));
    for _ in 1..n_entries {
        let e = b.node("entry_api");
        let lo = usize::from(entry_forks);
        match b.rng.below(4) {
            0 | 1 if lo < main.len() => {
                let k = b.rng.range(lo, main.len() - 1);
                entries.push((e, vec![], k));
            }
            2 if lo < main.len() => {
                let k = b.rng.range(lo, main.len() - 1);
                let q = b.gen_seq(Mode::Must, 1, true, false);
                entries.push((e, q, k));
            }
            _ => {
                let len = b.rng.range(1, 3);
                let mut own = vec![];
                for i in 0..len {
                    let entry = (i == 0).then_some(e);
                    own.push(b.gen_elem(Mode::Tail, 0, i + 1 == len, false, entry));
                }
                separate.push((e, own));
            }
        }
    }
    // The graph.
    let first_exits = |b: &mut Builder, e: usize, w: &W| {
        let forks_at_entry = matches!(w, W::Dec(d) if d.head == Head::Entry(e))
            || matches!(w, W::Par(h, _) if *h == Head::Entry(e));
        if forks_at_entry {
            vec![]
        } else {
            vec![b.exit(e, None)]
        }
    };
    let ex = first_exits(&mut b, e1, &main[0]);
    b.build_seq(&main, ex);
    for (e, q, k) in &entries[1..] {
        let mut ex = vec![b.exit(*e, None)];
        if !q.is_empty() {
            ex = b.build_seq(q, ex);
        }
        let h = main[*k].head();
        b.connect(ex, h);
    }
    for (e, own) in &separate {
        let ex = first_exits(&mut b, *e, &own[0]);
        b.build_seq(own, ex);
    }
    // Witness element lists per entry.
    let mut lists: Vec<(usize, Vec<&W>)> = vec![];
    for (e, q, k) in &entries {
        lists.push((*e, q.iter().chain(&main[*k..]).collect()));
    }
    for (e, own) in &separate {
        lists.push((*e, own.iter().collect()));
    }
    // Data edges from a step that always ran before the consumer, in every entry.
    let mut befores: Vec<HashMap<usize, Vec<usize>>> = vec![];
    for (_, l) in &lists {
        let mut out = HashMap::new();
        b.befores(l, &mut vec![], &mut out);
        befores.push(out);
    }
    let mut candidates: Vec<(usize, usize)> = vec![];
    let consumers: std::collections::BTreeSet<usize> =
        befores.iter().flat_map(|m| m.keys().copied()).collect();
    for &v in &consumers {
        let mut common: Option<Vec<usize>> = None;
        for m in &befores {
            if let Some(bs) = m.get(&v) {
                common = Some(match common {
                    None => bs.clone(),
                    Some(c) => c.into_iter().filter(|u| bs.contains(u)).collect(),
                });
            }
        }
        for u in common.unwrap_or_default() {
            candidates.push((u, v));
        }
    }
    let n_data = b.rng.below(4).min(candidates.len());
    for _ in 0..n_data {
        let (u, v) = candidates.swap_remove(b.rng.below(candidates.len()));
        let order = 1000 + b.rng.below(b.order as usize) as u64 * 2 + 1;
        b.edge(order, "data", u, "out", v, None);
    }
    // The witness manifest.
    let mut flows = vec![];
    let mut recs = vec![];
    for (i, (e, l)) in lists.iter().enumerate() {
        let steps: Vec<Value> = l.iter().flat_map(|w| b.wit_elem(w)).collect();
        flows.push(json!({"name": format!("w{i}"), "steps": steps}));
        recs.push(json!({"node_id": b.ids[*e], "flow": format!("w{i}")}));
    }
    Structured {
        flow: b.flow(),
        witness: json!({"core": {"flows": flows, "scaiflow_meta": {"entries": recs}}}),
    }
}

// ---- mutations ----------------------------------------------------------------------------

fn out_port(kind: &str, rng: &mut Rng) -> &'static str {
    match kind {
        "entry_api" => "out_request",
        "logic_loop" if rng.pct(50) => "body",
        "logic_loop" => "done",
        _ => "out",
    }
}

/// A structured flow with 1–2 random edits. Returns the flow and a description of the edits.
pub fn mutated(seed: u64) -> (Value, String) {
    let mut flow = structured(seed).flow;
    let mut rng = Rng::new(seed ^ 0x005e_ed0f_1a7e);
    let nodes: Vec<(String, String)> = flow["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let non_entry: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].1 != "entry_api")
        .collect();
    let mut what = vec![];
    let edits = rng.range(1, 2);
    let mut fresh = 0;
    for _ in 0..edits {
        let edges = flow["edges"].as_array_mut().unwrap();
        let ne = edges.len();
        match rng.below(7) {
            0 | 1 => {
                // Add a control edge.
                let s = rng.below(nodes.len());
                let t = non_entry[rng.below(non_entry.len())];
                if s == t {
                    continue;
                }
                let port = out_port(&nodes[s].1, &mut rng);
                let cond = rng.pct(40) && nodes[s].1 != "logic_loop";
                fresh += 1;
                let mut e = json!({"id": format!("m{fresh}"),
                    "type": if cond { "conditional" } else { "sequential" },
                    "source": {"node": nodes[s].0, "port": port},
                    "target": {"node": nodes[t].0, "port": "in"}});
                if cond {
                    e["condition"] = json!(["c1", "c2", "cm", "true"][rng.below(4)]);
                }
                let at = rng.below(ne + 1);
                what.push(format!("add edge {e} at {at}"));
                edges.insert(at, e);
            }
            2 if ne > 0 => {
                let e = edges.remove(rng.below(ne));
                what.push(format!("remove edge {}", e["id"]));
            }
            3 if ne > 0 => {
                let i = rng.below(ne);
                let t = non_entry[rng.below(non_entry.len())];
                edges[i]["target"]["node"] = json!(nodes[t].0);
                what.push(format!("retarget {} to {}", edges[i]["id"], nodes[t].0));
            }
            4 if ne > 0 => {
                let i = rng.below(ne);
                let e = &mut edges[i];
                match e["type"].as_str() {
                    Some("sequential") => {
                        e["type"] = json!("conditional");
                        e["condition"] = json!(["c1", "cm", "true"][rng.below(3)]);
                    }
                    Some("conditional") => {
                        e["type"] = json!("sequential");
                        e.as_object_mut().unwrap().remove("condition");
                    }
                    _ => continue,
                }
                what.push(format!("flip {}", e["id"]));
            }
            5 => {
                let s = rng.below(nodes.len());
                let t = non_entry[rng.below(non_entry.len())];
                if s == t || nodes[s].1.starts_with("logic") || nodes[t].1.starts_with("logic") {
                    continue;
                }
                fresh += 1;
                let e = json!({"id": format!("m{fresh}"), "type": "data",
                    "source": {"node": nodes[s].0, "port": out_port(&nodes[s].1, &mut rng)},
                    "target": {"node": nodes[t].0, "port": "in"}});
                what.push(format!("add data edge {e}"));
                edges.push(e);
            }
            _ if ne > 1 => {
                // Swap two edges' declaration order, preferring edges of one source.
                let i = rng.below(ne);
                let src = edges[i]["source"]["node"].clone();
                let same: Vec<usize> = (0..ne)
                    .filter(|&j| j != i && edges[j]["source"]["node"] == src)
                    .collect();
                let j = if same.is_empty() {
                    (i + 1 + rng.below(ne - 1)) % ne
                } else {
                    same[rng.below(same.len())]
                };
                edges.swap(i, j);
                what.push(format!("swap {} and {}", edges[i]["id"], edges[j]["id"]));
            }
            _ => {}
        }
    }
    (flow, what.join("; "))
}

// ---- random DAGs ----------------------------------------------------------------------------

/// A random DAG of 5–25 nodes: 1–3 entries, plain steps, decisions, parallels and loops,
/// control edges along a random topological order, overlapping conditions, data edges.
pub fn random_dag(seed: u64) -> Value {
    let mut b = Builder::new(seed ^ 0xda6);
    let n = b.rng.range(5, 25);
    let n_entries = b.rng.range(1, 3).min(n - 1);
    let mut order = vec![];
    for _ in 0..n_entries {
        order.push(b.node("entry_api"));
    }
    for _ in n_entries..n {
        let kind = match b.rng.below(100) {
            0..=49 => "llm_rigid",
            50..=69 => "logic_decision",
            70..=84 => "logic_parallel",
            _ => "logic_loop",
        };
        order.push(b.node(kind));
    }
    // `order` is already topological (ids by position).
    let pool = ["a", "b", "c", "a", "true"];
    // Each node either decides (conditional out-edges, at most one fallthrough) or fans out.
    let decides: Vec<bool> = (0..n)
        .map(|s| match b.kinds[s] {
            "logic_decision" => true,
            "llm_rigid" | "entry_api" => b.rng.pct(25),
            _ => false,
        })
        .collect();
    let mut has_ft = vec![false; n];
    let mut add = |b: &mut Builder, s: usize, t: usize| {
        let o = b.next_order();
        match b.kinds[s] {
            "logic_loop" => {
                let port = if b.rng.pct(50) { "body" } else { "done" };
                b.edge(o, "sequential", s, port, t, None);
            }
            _ if decides[s] => {
                let port = b.port(s);
                let c = pool[b.rng.below(pool.len())];
                if (c == "true" || b.rng.pct(15)) && !has_ft[s] {
                    has_ft[s] = true;
                    let seq = c != "true";
                    if seq {
                        b.edge(o, "sequential", s, port, t, None);
                    } else {
                        b.edge(o, "conditional", s, port, t, Some(c));
                    }
                } else {
                    let c = if c == "true" { "b" } else { c };
                    b.edge(o, "conditional", s, port, t, Some(c));
                }
            }
            _ => {
                let port = b.port(s);
                b.edge(o, "sequential", s, port, t, None);
            }
        }
    };
    for t in n_entries..n {
        let preds = if b.rng.pct(70) { 1 } else { 2 };
        for _ in 0..preds {
            let s = b.rng.below(t);
            add(&mut b, s, t);
        }
    }
    let extra = b.rng.below(n / 3 + 1);
    for _ in 0..extra {
        let t = b.rng.range(n_entries, n - 1);
        let s = b.rng.below(t);
        add(&mut b, s, t);
    }
    let data = if b.rng.pct(50) { 0 } else { b.rng.range(1, 2) };
    for _ in 0..data {
        let t = b.rng.range(n_entries, n - 1);
        let s = b.rng.below(t);
        if b.kinds[t] == "llm_rigid" && (b.kinds[s] == "llm_rigid" || b.kinds[s] == "entry_api") {
            let o = b.next_order();
            let port = b.port(s);
            b.edge(o, "data", s, port, t, None);
        }
    }
    b.flow()
}
