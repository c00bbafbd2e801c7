//! What structuring refuses, worded for the canvas: a loop body left from outside (SF214),
//! run conditions no nesting expresses (SF211), nesting past the bound (SF216), and how
//! a condition reads in those messages.

use super::super::MAX_NESTING;
use super::super::cube::Cube;
use super::Builder;
use crate::diagnostics::{Code, Diagnostic};

impl Builder<'_, '_, '_> {
    /// SF214 for a body node `v` that edge `e` reaches from outside loop `l`'s body.
    pub(super) fn body_leak(&mut self, l: usize, v: usize, e: usize, body: &[usize]) -> Diagnostic {
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

    /// How a cube reads in a message: `'d' takes 'e1' or 'e2', and 'k' takes ...`.
    pub(super) fn describe(&self, c: &Cube) -> String {
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

    pub(super) fn value_name(&self, node: usize, val: u32) -> String {
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
    pub(super) fn unexpressible(
        &self,
        v: usize,
        parts: &[(usize, Cube)],
        c1: &Cube,
        c2: &Cube,
    ) -> Diagnostic {
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

    pub(super) fn nesting_too_deep(&mut self, node: usize) {
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
}
