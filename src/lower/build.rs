//! Structuring one flow (`docs/lowering.md`): the nodes its entry reaches, split into
//! regions (the top level, each loop body), each node's run condition, and the nested
//! blocks that run each node exactly under that condition, in an order that keeps every
//! edge.

use super::cube::{Cube, disjunction};
use super::facts::Facts;
use super::order::{Elem, series_parallel};
use super::{Arm, Block, MAX_NESTING};
use crate::diagnostics::{Code, Diagnostic};
use crate::hash::{HashMap, HashMapExt};
use crate::model::NodeKind;

const NONE: usize = usize::MAX;

/// Scratch arrays indexed by node, reused from flow to flow (reset through the members).
pub struct Scratch {
    owner: Vec<usize>,
    cond: Vec<Option<Cube>>,
    mark: Vec<u32>,
    item_of: Vec<usize>,
    stamp: u32,
}

impl Scratch {
    /// A new mark value: no node carries it yet.
    fn fresh_stamp(&mut self) -> u32 {
        self.stamp += 1;
        self.stamp
    }

    pub fn new(n: usize) -> Self {
        Scratch {
            owner: vec![NONE; n],
            cond: vec![None; n],
            mark: vec![0; n],
            item_of: vec![NONE; n],
            stamp: 0,
        }
    }
}

/// What one level item stands for.
enum ItemKind {
    /// A node placed at this level (with, for a decision, the nodes under its arms).
    Node(usize),
    /// The decision among the remaining arms of a decision whose else arm this level is.
    Rest(usize),
}

struct Item {
    kind: ItemKind,
    /// Nodes placed inside the item (under a decision's arms), in topological order.
    children: Vec<usize>,
}

/// Structures the flow of `root` (an entry). `Err` when it cannot be structured faithfully.
pub fn flow(f: &Facts, root: usize, s: &mut Scratch) -> Result<Vec<Block>, Vec<Diagnostic>> {
    let mut b = Builder {
        f,
        root,
        s,
        members: Vec::new(),
        regions: HashMap::new(),
        diags: Vec::new(),
        depth: 0,
        too_deep: false,
    };
    let out = b.run();
    // Reset the scratch arrays for the next flow.
    for &v in b.members.iter().chain(std::iter::once(&root)) {
        b.s.owner[v] = NONE;
        b.s.cond[v] = None;
        b.s.item_of[v] = NONE;
    }
    out
}

struct Builder<'f, 'a, 's> {
    f: &'f Facts<'a>,
    root: usize,
    s: &'s mut Scratch,
    /// The nodes of the flow other than its entry, in topological order.
    members: Vec<usize>,
    /// Each loop's body nodes, in topological order.
    regions: HashMap<usize, Vec<usize>>,
    diags: Vec<Diagnostic>,
    depth: usize,
    too_deep: bool,
}

impl Builder<'_, '_, '_> {
    fn run(&mut self) -> Result<Vec<Block>, Vec<Diagnostic>> {
        self.members = self.reach(&[self.root], None);
        self.members.retain(|&v| v != self.root);
        if !self.assign_regions() {
            return Err(std::mem::take(&mut self.diags));
        }
        self.conditions();
        self.check_data();
        if !self.diags.is_empty() {
            return Err(std::mem::take(&mut self.diags));
        }
        let mut top: Vec<usize> = vec![self.root];
        top.extend(
            self.members
                .iter()
                .copied()
                .filter(|&v| self.s.owner[v] == self.root),
        );
        let blocks = self.build(&top, &Cube::top(), None, self.root);
        if self.diags.is_empty() {
            Ok(blocks)
        } else {
            Err(std::mem::take(&mut self.diags))
        }
    }

    /// Nodes reachable from `from` over control edges, `from` included, in topological
    /// order. With `body_of`, the walk starts at that loop's body edges instead.
    fn reach(&mut self, from: &[usize], body_of: Option<usize>) -> Vec<usize> {
        let stamp = self.s.fresh_stamp();
        let mut stack: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        match body_of {
            Some(l) => {
                for &e in &self.f.outs[l] {
                    if self.f.body_edge[e] {
                        stack.push(self.f.target(e));
                    }
                }
            }
            None => stack.extend_from_slice(from),
        }
        while let Some(v) = stack.pop() {
            if self.s.mark[v] == stamp {
                continue;
            }
            self.s.mark[v] = stamp;
            out.push(v);
            for &e in &self.f.outs[v] {
                let t = self.f.target(e);
                if self.s.mark[t] != stamp {
                    stack.push(t);
                }
            }
        }
        out.sort_unstable_by_key(|&v| self.f.pos[v]);
        out
    }

    /// Splits the flow into the top level and loop bodies, and checks that every body is
    /// closed: entered only through its loop's body edges, never reached from outside.
    fn assign_regions(&mut self) -> bool {
        self.s.owner[self.root] = NONE;
        for &v in &self.members {
            self.s.owner[v] = self.root;
        }
        let loops: Vec<usize> = self
            .members
            .iter()
            .copied()
            .filter(|&v| self.f.kind(v) == NodeKind::LogicLoop)
            .collect();
        let mut ok = true;
        for l in loops {
            let body = self.reach(&[], Some(l));
            let stamp = self.s.stamp; // the walk above marked the body
            // Each body node reached from outside the body is reported once, at its first
            // such edge (what follows it inside the body is reached from the body).
            let leaks: Vec<(usize, usize)> = body
                .iter()
                .filter_map(|&v| {
                    self.f.ins[v]
                        .iter()
                        .copied()
                        .find(|&e| {
                            let u = self.f.source(e);
                            let inside = self.s.mark[u] == stamp || (u == l && self.f.body_edge[e]);
                            let in_flow = u == self.root || self.s.owner[u] != NONE;
                            !inside && in_flow
                        })
                        .map(|e| (v, e))
                })
                .collect();
            for (v, e) in leaks {
                ok = false;
                let d = self.body_leak(l, v, e, &body);
                self.diags.push(d);
            }
            // Loops are visited outermost first, so the innermost loop wins.
            for &v in &body {
                self.s.owner[v] = l;
            }
            self.regions.insert(l, body);
        }
        // A region holds its own nodes only: those of nested bodies belong to theirs.
        for (l, nodes) in self.regions.iter_mut() {
            nodes.retain(|&v| self.s.owner[v] == *l);
        }
        ok
    }

    /// SF214 for a body node `v` that edge `e` reaches from outside loop `l`'s body.
    fn body_leak(&mut self, l: usize, v: usize, e: usize, body: &[usize]) -> Diagnostic {
        let f = self.f;
        let lp = f.id(l).to_string();
        let after: Vec<usize> = f.outs[l]
            .iter()
            .filter(|&&d| !f.body_edge[d])
            .map(|&d| f.target(d))
            .collect();
        let reached_after = self.reach(&after, None).contains(&v);
        if reached_after {
            // The body runs on into what follows the loop: name the edge from the body.
            let stamp = self.s.fresh_stamp();
            for &x in body {
                self.s.mark[x] = stamp;
            }
            let from_body = f.ins[v]
                .iter()
                .copied()
                .find(|&i| {
                    let u = f.source(i);
                    self.s.mark[u] == stamp && u != v || (u == l && f.body_edge[i])
                })
                .unwrap_or(e);
            f.edge_diag(
                Code::LoopBodyEscapes,
                from_body,
                format!(
                    "edge '{}': leaves the body of loop '{lp}' (a body ends inside the loop; continue from the loop's done port)",
                    f.edge_id(from_body)
                ),
            )
        } else {
            f.edge_diag(
                Code::LoopBodyEscapes,
                e,
                format!(
                    "edge '{}': enters the body of loop '{lp}' from outside it at '{}' (only the loop's body port leads into its body)",
                    f.edge_id(e),
                    f.id(v)
                ),
            )
        }
    }

    /// The run condition of every member, relative to its region (a loop body's nodes run
    /// under conditions of one iteration).
    fn conditions(&mut self) {
        let f = self.f;
        self.s.cond[self.root] = Some(Cube::top());
        let members = std::mem::take(&mut self.members);
        for &v in &members {
            let mut parts: Vec<(usize, Cube)> = Vec::new();
            let mut poisoned = false;
            for &e in &f.ins[v] {
                let u = f.source(e);
                if u != self.root && self.s.owner[u] == NONE {
                    continue; // never runs in this flow: a dead edge
                }
                let base = if f.body_edge[e] {
                    Some(Cube::top())
                } else {
                    self.s.cond[u].clone()
                };
                let Some(base) = base else {
                    poisoned = true;
                    continue;
                };
                let part = match (&f.choice[u], f.body_edge[e]) {
                    (Some(c), false) => c.value(e).and_then(|val| base.and(u, &[val], c.domain())),
                    _ => Some(base),
                };
                if let Some(p) = part {
                    parts.push((e, p));
                }
            }
            if poisoned || parts.is_empty() {
                continue;
            }
            match disjunction(parts.iter().map(|(_, c)| c.clone()), |d| f.domain(d)) {
                Ok(c) if c.len() > MAX_NESTING => self.nesting_too_deep(v),
                Ok(c) => self.s.cond[v] = Some(c),
                Err((c1, c2)) => {
                    let d = self.unexpressible(v, &parts, &c1, &c2);
                    self.diags.push(d);
                }
            }
        }
        self.members = members;
    }

    /// How a cube reads in a message: `'d' takes 'e1' or 'e2', and 'k' takes ...`.
    fn describe(&self, c: &Cube) -> String {
        let f = self.f;
        if c.is_empty() {
            return "always".into();
        }
        let parts: Vec<String> = c
            .lits()
            .iter()
            .map(|l| {
                let vals: Vec<String> =
                    l.vals.iter().map(|&v| self.value_name(l.node, v)).collect();
                format!("'{}' takes {}", f.id(l.node), vals.join(" or "))
            })
            .collect();
        parts.join(" and ")
    }

    fn value_name(&self, node: usize, val: u32) -> String {
        let f = self.f;
        let Some(c) = &f.choice[node] else {
            return "its edge".into();
        };
        match c.guards.get(val as usize) {
            Some(&e) => format!("edge '{}'", f.edge_id(e)),
            None => match c.fallthrough {
                Some(e) => format!("its fallthrough '{}'", f.edge_id(e)),
                None => "no edge (no condition holds)".into(),
            },
        }
    }

    /// SF213 for a node reached under conditions no single place expresses.
    fn unexpressible(&self, v: usize, parts: &[(usize, Cube)], c1: &Cube, c2: &Cube) -> Diagnostic {
        let f = self.f;
        let edge_for = |c: &Cube| parts.iter().find(|(_, p)| p.implies(c)).map(|&(e, _)| e);
        let e2 = edge_for(c2).unwrap_or(parts[parts.len() - 1].0);
        let e1 = edge_for(c1).unwrap_or(parts[0].0);
        f.edge_diag(
            Code::Unstructured,
            e2,
            format!(
                "edge '{}': node '{}' is reached over edge '{}' (when {}) and over edge '{}' (when {}); no single place in the flow runs it exactly then (each node is placed once) — decide it in one logic_decision whose condition combines both, let these paths meet at one decision's join before '{}', or give each path its own node",
                f.edge_id(e2),
                f.id(v),
                f.edge_id(e2),
                self.describe(c2),
                f.edge_id(e1),
                self.describe(c1),
                f.id(v)
            ),
        )
    }

    fn nesting_too_deep(&mut self, node: usize) {
        if !self.too_deep {
            self.too_deep = true;
            let msg = format!(
                "node '{}': blocks are nested more than {MAX_NESTING} levels deep",
                self.f.id(node)
            );
            self.diags
                .push(self.f.node_diag(Code::NestingTooDeep, node, msg));
        }
    }

    /// SF212: a data edge's source must have run and finished before its target runs, in
    /// every execution of the flow (`docs/semantics.md` §6). The order itself is kept by
    /// structuring; here the source must run whenever the target does.
    fn check_data(&mut self) {
        let f = self.f;
        for &v in &self.members {
            if self.s.cond[v].is_none() {
                continue;
            }
            for &e in &f.data_ins[v] {
                let u = f.source(e);
                if f.kind(u).is_entry() {
                    continue; // the trigger's payload, there in every flow
                }
                let problem = if u != self.root && self.s.owner[u] == NONE {
                    Some(if f.a.reachable[u] {
                        format!(
                            "edge '{}': data source '{}' never runs in the flow started by '{}', so '{}' would read a result that was never produced",
                            f.edge_id(e),
                            f.id(u),
                            f.id(self.root),
                            f.id(v)
                        )
                    } else {
                        format!(
                            "edge '{}': data source '{}' is not reached from any entry, so '{}' would read a result that is never produced",
                            f.edge_id(e),
                            f.id(u),
                            f.id(v)
                        )
                    })
                } else {
                    // Climb from `v` to the node of `u`'s region that holds it.
                    let mut z = v;
                    while self.s.owner[z] != self.s.owner[u] && self.s.owner[z] != NONE {
                        z = self.s.owner[z];
                    }
                    if self.s.owner[z] != self.s.owner[u] {
                        let lp = self.s.owner[u];
                        Some(format!(
                            "edge '{}': data source '{}' runs inside the body of loop '{}', which does not hold '{}'; the body may run zero times or many, so there is no one result to read (bind the result in the body instead)",
                            f.edge_id(e),
                            f.id(u),
                            f.id(lp),
                            f.id(v)
                        ))
                    } else {
                        match (&self.s.cond[z], &self.s.cond[u]) {
                            (Some(cz), Some(cu)) if !cz.implies(cu) => Some(format!(
                                "edge '{}': data source '{}' does not run before its target '{}' on every path",
                                f.edge_id(e),
                                f.id(u),
                                f.id(v)
                            )),
                            _ => None,
                        }
                    }
                };
                if let Some(msg) = problem {
                    self.diags.push(f.edge_diag(Code::DataOrder, e, msg));
                }
            }
        }
    }

    /// Enters one nesting level below `node`; false (and SF216, once) past the bound.
    fn enter(&mut self, node: usize) -> bool {
        if self.depth >= MAX_NESTING {
            self.nesting_too_deep(node);
            return false;
        }
        self.depth += 1;
        true
    }

    /// The blocks that place `nodes` (a region's nodes, or those under one arm, in
    /// topological order), all of which run only when `ctx` holds. `rest`: this level is
    /// the else arm of a decision split after its first arms, with the values left.
    fn build(
        &mut self,
        nodes: &[usize],
        ctx: &Cube,
        rest: Option<(usize, &[u32])>,
        ctx_node: usize,
    ) -> Vec<Block> {
        let f = self.f;
        let stamp = self.s.fresh_stamp();
        let mut items: Vec<Item> = Vec::new();
        for &x in nodes {
            self.s.mark[x] = stamp;
            if self.s.cond[x].as_ref() == Some(ctx) {
                self.s.item_of[x] = items.len();
                items.push(Item {
                    kind: ItemKind::Node(x),
                    children: Vec::new(),
                });
            }
        }
        let mut rest_children = Vec::new();
        for &x in nodes {
            // The decisions whose arms `x` is under, among those decided at this level (a
            // level item of its own, or the decision this level is the else arm of). Read in
            // place: cubes are as long as the nesting, and this runs at every level.
            let owners: Vec<usize> = {
                let Some(cx) = self.s.cond[x].as_ref() else {
                    continue;
                };
                if cx == ctx {
                    continue;
                }
                let level_decision = |d: usize| {
                    self.s.mark[d] == stamp
                        && f.choice[d].is_some()
                        && items
                            .get(self.s.item_of[d])
                            .is_some_and(|it| matches!(it.kind, ItemKind::Node(n) if n == d))
                };
                cx.lits()
                    .iter()
                    .filter(|l| ctx.get(l.node) != Some(*l))
                    .map(|l| l.node)
                    .filter(|&d| rest.is_some_and(|(r, _)| r == d) || level_decision(d))
                    .collect()
            };
            match owners.as_slice() {
                [d] if rest.is_some_and(|(r, _)| r == *d) => rest_children.push(x),
                [d] => {
                    let i = self.s.item_of[*d];
                    self.s.item_of[x] = i;
                    items[i].children.push(x);
                }
                _ => {
                    // Several owners cannot arise from the merge rule (a node under a
                    // decision's arm only ever depends on decisions nested in that arm), and
                    // none only from a condition no place expresses; refuse either way.
                    let cx = self.s.cond[x].clone().unwrap_or_default();
                    let msg = format!(
                        "node '{}' runs only when {}, which no single place in the flow expresses (each node is placed once)",
                        f.id(x),
                        self.describe(&cx)
                    );
                    self.diags.push(f.node_diag(Code::Unstructured, x, msg));
                    return Vec::new();
                }
            }
        }
        if let Some((d, _)) = rest {
            let i = items.len();
            for &x in &rest_children {
                self.s.item_of[x] = i;
            }
            items.push(Item {
                kind: ItemKind::Rest(d),
                children: rest_children,
            });
        }
        // The order between items, from every edge between their nodes.
        let mut edges: Vec<(usize, usize)> = Vec::new();
        for &x in nodes {
            let ix = self.s.item_of[x];
            if ix == NONE {
                continue;
            }
            for &e in f.outs[x].iter().chain(&f.data_outs[x]) {
                if let Some(z) = self.representative(f.target(e), stamp) {
                    let iz = self.s.item_of[z];
                    if iz != NONE && iz != ix {
                        edges.push((ix, iz));
                    }
                }
            }
        }
        let order = match series_parallel(items.len(), &edges) {
            Ok(o) => o,
            Err((a, _)) => {
                let node = match items[a].kind {
                    ItemKind::Node(v) | ItemKind::Rest(v) => v,
                };
                let msg = format!(
                    "node '{}': the edges around it ask for an order no structured flow has (a step would have to run both before and after another)",
                    f.id(node)
                );
                self.diags.push(f.node_diag(Code::Unstructured, node, msg));
                return Vec::new();
            }
        };
        let rest_domain: Vec<u32> = rest.map(|(_, dv)| dv.to_vec()).unwrap_or_default();
        self.emit(order, &mut items, ctx, &rest_domain, ctx_node)
    }

    /// The node of the current level that stands for `y`: `y` itself, or the loop of the
    /// level whose body holds it. `None` when `y` is not at or under this level.
    fn representative(&self, y: usize, stamp: u32) -> Option<usize> {
        let mut z = y;
        for _ in 0..=MAX_NESTING + 1 {
            if self.s.mark[z] == stamp {
                return Some(z);
            }
            let o = self.s.owner[z];
            if o == NONE || o == self.root {
                return None;
            }
            z = o;
        }
        None
    }

    /// Blocks from an ordered level.
    fn emit(
        &mut self,
        order: Vec<Elem>,
        items: &mut [Item],
        ctx: &Cube,
        rest_domain: &[u32],
        ctx_node: usize,
    ) -> Vec<Block> {
        let f = self.f;
        let mut out = Vec::new();
        let mut prev = ctx_node;
        let mut elems = order.into_iter().peekable();
        while let Some(elem) = elems.next() {
            match elem {
                Elem::Item(i) => {
                    let node = match items[i].kind {
                        ItemKind::Node(v) | ItemKind::Rest(v) => v,
                    };
                    if matches!(items[i].kind, ItemKind::Node(_))
                        && f.kind(node) == NodeKind::LogicParallel
                    {
                        // A logic_parallel's own block holds what runs after it: the
                        // parallel that follows, or the one step its edge leads to.
                        let branches = match elems.peek() {
                            Some(Elem::Par(_)) => match elems.next() {
                                Some(Elem::Par(bs)) => bs,
                                _ => Vec::new(),
                            },
                            Some(Elem::Item(j)) if matches!(items[*j].kind, ItemKind::Node(w) if f.outs[node].iter().any(|&e| f.target(e) == w)) => {
                                match elems.next() {
                                    Some(e) => vec![vec![e]],
                                    None => Vec::new(),
                                }
                            }
                            _ => Vec::new(),
                        };
                        let branches = self.branches(branches, items, ctx, rest_domain, node);
                        out.push(Block::Parallel {
                            node,
                            branches,
                            own: true,
                        });
                    } else {
                        let blocks = self.item_blocks(i, items, ctx, rest_domain);
                        out.extend(blocks);
                    }
                    prev = node;
                }
                Elem::Par(bs) => {
                    let branches = self.branches(bs, items, ctx, rest_domain, prev);
                    out.push(Block::Parallel {
                        node: prev,
                        branches,
                        own: false,
                    });
                }
            }
        }
        out
    }

    fn branches(
        &mut self,
        bs: Vec<Vec<Elem>>,
        items: &mut [Item],
        ctx: &Cube,
        rest_domain: &[u32],
        node: usize,
    ) -> Vec<Arm> {
        if !self.enter(node) {
            return Vec::new();
        }
        let arms = bs
            .into_iter()
            .map(|b| Arm {
                edge: None,
                condition: None,
                fallthrough: false,
                blocks: self.emit(b, items, ctx, rest_domain, node),
            })
            .collect();
        self.depth -= 1;
        arms
    }

    /// The blocks of one item.
    fn item_blocks(
        &mut self,
        i: usize,
        items: &mut [Item],
        ctx: &Cube,
        rest_domain: &[u32],
    ) -> Vec<Block> {
        let f = self.f;
        let children = std::mem::take(&mut items[i].children);
        match items[i].kind {
            ItemKind::Rest(d) => vec![self.decision(d, rest_domain, &children, ctx, true)],
            ItemKind::Node(x) => {
                let kind = f.kind(x);
                if kind == NodeKind::LogicLoop {
                    let body_nodes = self.regions.get(&x).cloned().unwrap_or_default();
                    let mut body = Vec::new();
                    if self.enter(x) {
                        body = self.build(&body_nodes, &Cube::top(), None, x);
                        self.depth -= 1;
                    }
                    return vec![Block::Loop { node: x, body }];
                }
                let mut out = Vec::new();
                if x != self.root && !kind.is_entry() && kind != NodeKind::LogicDecision {
                    out.push(Block::Step { node: x });
                }
                if f.choice[x].is_some() {
                    let all: Vec<u32> = (0..f.domain(x)).collect();
                    out.push(self.decision(x, &all, &children, ctx, false));
                }
                out
            }
        }
    }

    /// The decision block of `d` over its values `dom` (all of them, or the ones left in
    /// an else arm), placing `children` (nodes under its arms).
    fn decision(
        &mut self,
        d: usize,
        dom: &[u32],
        children: &[usize],
        ctx: &Cube,
        rest: bool,
    ) -> Block {
        let f = self.f;
        let Some(choice) = f.choice[d].clone() else {
            return Block::Decision {
                node: d,
                arms: Vec::new(),
                rest,
            };
        };
        let domain = choice.domain();
        if !self.enter(d) {
            return Block::Decision {
                node: d,
                arms: Vec::new(),
                rest,
            };
        }
        // `dom` is the values from some point on: `lo..hi`. Each child runs under one value
        // (an arm), or under the values from some point on (what follows where those arms
        // meet, in an else arm). Read from the child's literal in place: a decision with
        // thousands of arms costs linear time per level.
        let (lo, hi) = (
            dom.first().copied().unwrap_or(0),
            dom.first().copied().unwrap_or(0) + dom.len() as u32,
        );
        let mut split = hi;
        let mut single: HashMap<u32, Vec<usize>> = HashMap::new();
        let mut from: Vec<usize> = Vec::new(); // children whose values are a suffix
        for &x in children {
            let t: &[u32] = self.s.cond[x]
                .as_ref()
                .and_then(|c| c.get(d))
                .map_or(&[][..], |l| l.vals.as_slice());
            match t {
                [v] if (lo..hi).contains(v) => single.entry(*v).or_default().push(x),
                [first, .., last]
                    if *first > lo && *last + 1 == hi && t.len() as u32 == hi - *first =>
                {
                    split = split.min(*first);
                    from.push(x);
                }
                _ => {
                    let t = t.to_vec();
                    let diag = self.arm_order(d, &choice, dom, x, &t);
                    self.diags.push(diag);
                    self.depth -= 1;
                    return Block::Decision {
                        node: d,
                        arms: Vec::new(),
                        rest,
                    };
                }
            }
        }
        let mut arms = Vec::new();
        for val in lo..split {
            let members = single.remove(&val).unwrap_or_default();
            let Some(arm_ctx) = ctx.and(d, &[val], domain) else {
                continue;
            };
            let (edge, condition, fallthrough) = match choice.guards.get(val as usize) {
                Some(&e) => (Some(e), f.a.flow.edges[e].condition.clone(), false),
                None => match choice.fallthrough {
                    Some(e) => (Some(e), None, true),
                    None => continue, // "no edge is live": nothing runs there
                },
            };
            let blocks = self.build(&members, &arm_ctx, None, d);
            arms.push(Arm {
                edge,
                condition,
                fallthrough,
                blocks,
            });
        }
        if split < hi {
            let left: Vec<u32> = (split..hi).collect();
            // In the children's order: the ones of a value past the split, and the suffixes.
            let mut members: Vec<usize> = single.into_values().flatten().collect();
            members.extend(&from);
            members.sort_unstable_by_key(|&x| self.f.pos[x]);
            if let Some(else_ctx) = ctx.and(d, &left, domain) {
                let blocks = self.build(&members, &else_ctx, Some((d, &left)), d);
                arms.push(Arm {
                    edge: None,
                    condition: None,
                    fallthrough: true,
                    blocks,
                });
            }
        }
        self.depth -= 1;
        Block::Decision {
            node: d,
            arms,
            rest,
        }
    }

    /// The diagnostic for a node that runs after some arms of `d` but not others, in an
    /// order first-match cannot express.
    fn arm_order(
        &self,
        d: usize,
        choice: &super::facts::Choice,
        dom: &[u32],
        x: usize,
        t: &[u32],
    ) -> Diagnostic {
        let f = self.f;
        let none = choice.domain() - 1;
        let names = |vals: &[u32]| -> String {
            vals.iter()
                .map(|&v| self.value_name(d, v))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        if choice.fallthrough.is_none() && !t.contains(&none) {
            let mut with_none = t.to_vec();
            with_none.push(none);
            if dom
                .iter()
                .position(|&v| v == with_none[0])
                .is_some_and(|s| dom[s..] == with_none[..])
            {
                return f.node_diag(
                    Code::UnstructuredCondition,
                    d,
                    format!(
                        "node '{}' has no fallthrough arm, but its arms meet again at '{}' (after {}): when no condition holds the flow would stop here, yet '{}' runs after those arms; add a fallthrough edge (condition \"true\")",
                        f.id(d),
                        f.id(x),
                        names(t),
                        f.id(x)
                    ),
                );
            }
        }
        // The first value not leading to `x` that is tried after one that does.
        let first_in = dom.iter().position(|v| t.contains(v)).unwrap_or(0);
        let culprit = dom[first_in..]
            .iter()
            .find(|v| !t.contains(v))
            .copied()
            .unwrap_or(dom[0]);
        let edge = choice
            .guards
            .get(culprit as usize)
            .copied()
            .or(choice.fallthrough);
        let msg = if edge.is_some() && edge == choice.fallthrough {
            format!(
                "edge '{}': node '{}' runs after the arms of '{}' for {} but not after its fallthrough '{}', which is always tried last: no order of the arms runs '{}' exactly then; give this edge a condition and declare it first, or make an arm that leads to '{}' the fallthrough",
                edge.map_or("-", |e| f.edge_id(e)),
                f.id(x),
                f.id(d),
                names(t),
                edge.map_or("-", |e| f.edge_id(e)),
                f.id(x),
                f.id(x)
            )
        } else {
            format!(
                "edge '{}': node '{}' runs after the arms of '{}' for {} but not after this arm, which is tried between them: arms are tried in declaration order (the fallthrough last), so an arm that does not lead to '{}' must be declared before every arm that does",
                edge.map_or("-", |e| f.edge_id(e)),
                f.id(x),
                f.id(d),
                names(t),
                f.id(x)
            )
        };
        match edge {
            Some(e) => f.edge_diag(Code::Unstructured, e, msg),
            None => f.node_diag(Code::Unstructured, d, msg),
        }
    }
}
