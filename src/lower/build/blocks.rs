//! The nested blocks of a region: each node placed under exactly its run condition, in an
//! order that keeps every edge (decisions, parallel branches, loop bodies).

use super::super::cube::Cube;
use super::super::order::{Elem, series_parallel};
use super::super::{Arm, Block, MAX_NESTING};
use super::{Builder, NONE};
use crate::diagnostics::{Code, Diagnostic};
use crate::hash::{HashMap, HashMapExt};
use crate::model::NodeKind;

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

impl Builder<'_, '_, '_> {
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
    pub(super) fn build(
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
        choice: &super::super::facts::Choice,
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
