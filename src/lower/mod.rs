//! The lowering stage, part 1: structured lowering (spec §5, `docs/lowering.md`). The
//! analyzed graph becomes, per flow, an ordered list of nested [`Block`]s that runs exactly
//! the graph's executions (`docs/semantics.md`): every node gets a *run condition* — which
//! arms of which decisions lead to it — and is placed once, under exactly those arms, in a
//! series–parallel order that keeps every edge. A graph no such program expresses gets a
//! diagnostic that says why. The result is checked by an independent verifier
//! ([`verify`]) before any emitter sees it.

mod build;
pub mod core;
pub mod cube;
mod facts;
mod fields;
mod order;
pub mod verify;

use crate::analyze::AnalyzedFlow;
use crate::diagnostics::{Code, Diagnostic, JsonPath};
use crate::model::Name;
use facts::is_guarded;

/// One element of a structured body. Indices refer to `flow.nodes` / `flow.edges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A node lowered by its kind.
    Step { node: usize },
    /// A choice among arms: the first arm whose condition holds runs. `node` is a
    /// `logic_decision` (this block is its place), or a node of another kind with
    /// conditional out-edges (its own `Step` comes right before), or an entry.
    Decision {
        node: usize,
        arms: Vec<Arm>,
        /// The choice among the arms left, inside the else arm of a decision of the same
        /// node whose first arms lead elsewhere (see [`Arm::edge`]).
        rest: bool,
    },
    /// Branches that all run; the next block waits for all of them.
    Parallel {
        node: usize,
        branches: Vec<Arm>,
        /// The block of a `logic_parallel` node (its place); otherwise a parallel the
        /// structure needs after `node` (a fork of the graph's order).
        own: bool,
    },
    /// A `logic_loop` and its body.
    Loop { node: usize, body: Vec<Block> },
}

/// One arm of a decision or branch of a parallel block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    /// The edge the arm is taken for. `None` for a parallel branch, and for the synthetic
    /// else arm of a decision split after its first arms: it runs when none of the arms
    /// before it (in this block and the enclosing ones of the same node) is taken, and
    /// holds the choice among the rest (`rest: true`) and what follows where they meet.
    pub edge: Option<usize>,
    /// A guarded edge's condition, verbatim (`None` for the fallthrough and the else arm).
    pub condition: Option<String>,
    /// The fallthrough / else arm: the sequential or `"true"` edge, or the synthetic else.
    pub fallthrough: bool,
    pub blocks: Vec<Block>,
}

/// The structured body of one flow: the entries that trigger it and its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBody {
    /// Entry nodes, in declaration order; entries whose out-edges are the same (same
    /// targets, same conditions, same order) run the same body and share one flow.
    pub entries: Vec<usize>,
    pub blocks: Vec<Block>,
}

/// The output a `logic_loop` runs its body from ([`crate::model::loop_body_port`]).
pub fn loop_body(a: &AnalyzedFlow, node: usize) -> Name {
    let outs = a.flow.nodes[node].outputs();
    Name::from(crate::model::loop_body_port(
        outs.iter().map(|p| (p.id.as_str(), p.label.as_deref())),
    ))
}

/// How deeply blocks may nest (forks and loops inside each other). Canvas flows stay far
/// below it; the bound keeps every recursive stage (structuring, the emitters) within the
/// stack on hostile input.
pub const MAX_NESTING: usize = 200;

/// Structures every flow of an analyzed flow, and verifies the result.
pub fn structure(a: &AnalyzedFlow) -> Result<Vec<FlowBody>, Vec<Diagnostic>> {
    let f = facts::Facts::new(a);
    if !f.diags.is_empty() {
        // Conditions that cannot be honoured, or an ambiguous fallthrough: the run
        // conditions are not defined, so the flows are not structured (no cascades).
        return Err(f.diags);
    }
    // Entries whose out-edges are the same run the same body: one flow.
    // (signature: target and guard of each out-edge, entries)
    type Signature<'s> = Vec<(usize, Option<&'s str>)>;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: crate::hash::HashMap<Signature, usize> = Default::default();
    for &e in &a.entries {
        let sig: Signature = f.outs[e]
            .iter()
            .map(|&x| {
                let cond = a.flow.edges[x].condition.as_deref();
                (f.target(x), cond.filter(|_| is_guarded(a, x)))
            })
            .collect();
        match group_of.get(&sig) {
            Some(&g) => groups[g].push(e),
            None => {
                group_of.insert(sig, groups.len());
                groups.push(vec![e]);
            }
        }
    }
    let mut scratch = build::Scratch::new(a.flow.nodes.len());
    // (Made at the first check, after the first flow is built: made before, it was held
    // beside the building too, and raised the structure step's peak by its size.)
    let mut places = None;
    let mut flows = Vec::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut reported = crate::hash::HashSet::default();
    for entries in groups {
        match build::flow(&f, entries[0], &mut scratch) {
            Ok(blocks) => {
                let problems = verify::check(
                    &f,
                    entries[0],
                    &blocks,
                    places.get_or_insert_with(|| verify::Places::new(a.flow.nodes.len())),
                );
                if !problems.is_empty() {
                    diags.push(
                        Diagnostic::new(
                            Code::LoweringMismatch,
                            format!(
                                "internal error: the structured flow of entry '{}' does not match the graph: {}",
                                f.id(entries[0]),
                                problems.join("; ")
                            ),
                        )
                        .at(JsonPath::root().key("nodes").index(entries[0]).key("id"))
                        .node(f.id(entries[0])),
                    );
                }
                flows.push(FlowBody { entries, blocks });
            }
            Err(d) => {
                // A node or edge shared by several flows is reported once per problem kind
                // (the first flow's wording), not once per flow.
                for x in d {
                    // (Every lowering diagnostic is located.)
                    if reported.insert((x.code, x.path.clone())) {
                        diags.push(x);
                    }
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(flows)
    } else {
        Err(diags)
    }
}
