//! Structuring one flow (`docs/lowering.md`): the nodes its entry reaches, split into
//! regions (the top level, each loop body), each node's run condition, and the nested
//! blocks that run each node exactly under that condition, in an order that keeps every
//! edge.

use super::cube::{Cube, disjunction};
use super::facts::Facts;
use super::{Block, MAX_NESTING};
use crate::diagnostics::{Code, Diagnostic};
use crate::hash::{HashMap, HashMapExt};
use crate::model::NodeKind;

mod blocks;
mod refusals;

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
}
