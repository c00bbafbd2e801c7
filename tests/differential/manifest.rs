//! The manifest interpreter (docs/semantics.md §5), written from the semantics page alone.
//!
//! Runs the flow an entry triggers under an oracle and returns its node events, each with
//! a position in the series–parallel structure: a path of (container instance, kind,
//! index) elements. At the first element where two positions differ, a sequence or a
//! loop's iterations order by index, parallel branches do not order, the event of a
//! decision or parallel step (its head) comes before everything inside it, and the event
//! of a loop step (its end) after everything inside it.

use serde_json::Value;

use crate::graph::RunKey;
use crate::oracle::{IterPath, Oracle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Seq,
    Iter,
    Par,
    Branch,
    Head,
    Tail,
}

pub type Pos = Vec<(u32, Kind, u32)>;

/// Whether the event at `a` is guaranteed to finish before the event at `b` starts.
pub fn before(a: &Pos, b: &Pos) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x == y {
            continue;
        }
        if x.0 != y.0 {
            return false; // cannot happen for positions of one run
        }
        return match (x.1, y.1) {
            (Kind::Head, _) => true,
            (_, Kind::Head) => false,
            (Kind::Tail, _) => false,
            (_, Kind::Tail) => true,
            (Kind::Seq, Kind::Seq) | (Kind::Iter, Kind::Iter) => x.2 < y.2,
            _ => false,
        };
    }
    false
}

pub struct Events {
    pub events: Vec<(RunKey, Pos)>,
    /// Shape problems met on the way (a step without meta.node_id, ...).
    pub errors: Vec<String>,
}

struct Runner<'a> {
    oracle: &'a Oracle,
    /// The entry whose trigger fired: the conditions of an entry's decision (an entry with
    /// a conditional out-edge) are evaluated on its own payload, so a flow that several
    /// entries with the same edges share asks the oracle as the entry that fired.
    entry: &'a str,
    next: u32,
    out: Events,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Runner<'_> {
    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn seq(&mut self, steps: &Value, pos: &Pos, iter: &IterPath) {
        let Some(steps) = steps.as_array() else {
            if !steps.is_null() {
                self.out
                    .errors
                    .push(format!("steps is not a list: {steps}"));
            }
            return;
        };
        let c = self.fresh();
        for (i, s) in steps.iter().enumerate() {
            let mut p = pos.clone();
            p.push((c, Kind::Seq, i as u32));
            self.step(s, &p, iter);
        }
    }

    fn step(&mut self, step: &Value, pos: &Pos, iter: &IterPath) {
        let meta = &step["meta"];
        let node = meta["node_id"].as_str().unwrap_or("").to_string();
        if node.is_empty() {
            self.out
                .errors
                .push(format!("step without meta.node_id: {step}"));
        }
        let event = meta.get("synthetic").is_none_or(Value::is_null);
        let c = self.fresh();
        let at = |k: Kind, i: usize| {
            let mut p = pos.clone();
            p.push((c, k, i as u32));
            p
        };
        if let Some(d) = step.get("decision") {
            if event {
                self.out
                    .events
                    .push(((node.clone(), iter.clone()), at(Kind::Head, 0)));
            }
            let empty = vec![];
            let branches = d["branches"].as_array().unwrap_or(&empty);
            for (i, b) in branches.iter().enumerate() {
                let Some(when) = text(&b["when"]) else {
                    self.out.errors.push(format!("branch without when: {b}"));
                    continue;
                };
                let entry_kind = meta["node_kind"]
                    .as_str()
                    .is_some_and(crate::graph::is_entry_kind);
                let asked = if entry_kind {
                    self.entry
                } else {
                    node.as_str()
                };
                if self.oracle.cond(asked, &when, iter) {
                    self.seq(&b["steps"], &at(Kind::Branch, i), iter);
                    break;
                }
            }
        } else if let Some(p) = step.get("parallel") {
            if event {
                self.out
                    .events
                    .push(((node.clone(), iter.clone()), at(Kind::Head, 0)));
            }
            let empty = vec![];
            for (i, b) in p["branches"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .enumerate()
            {
                self.seq(&b["steps"], &at(Kind::Par, i), iter);
            }
        } else if let Some(l) = step.get("foreach").or_else(|| step.get("while")) {
            let n = self.oracle.count(&node, iter);
            for i in 0..n {
                let mut inner = iter.clone();
                inner.push((node.clone(), i));
                self.seq(&l["steps"], &at(Kind::Iter, i), &inner);
            }
            if event {
                self.out
                    .events
                    .push(((node.clone(), iter.clone()), at(Kind::Tail, 0)));
            }
        } else if event {
            self.out.events.push(((node, iter.clone()), pos.clone()));
        }
    }
}

/// The manifest's flows: `core.flows` (or `flows`) and `scaiflow_meta.entries`.
pub fn flow_of_entry<'a>(manifest: &'a Value, entry: &str) -> Result<&'a Value, String> {
    let core = manifest.get("core").unwrap_or(manifest);
    let entries = core["scaiflow_meta"]["entries"]
        .as_array()
        .ok_or("no scaiflow_meta.entries")?;
    let rec = entries
        .iter()
        .find(|e| e["node_id"].as_str() == Some(entry))
        .ok_or_else(|| format!("entry {entry} is not in scaiflow_meta.entries"))?;
    let name = rec["flow"]
        .as_str()
        .ok_or_else(|| format!("entry {entry} names no flow"))?;
    core["flows"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["name"].as_str() == Some(name)))
        .ok_or_else(|| format!("entry {entry} triggers flow {name:?}, which does not exist"))
}

/// Runs the flow entry `entry` triggers.
pub fn execute(manifest: &Value, entry: &str, oracle: &Oracle) -> Events {
    let mut r = Runner {
        oracle,
        entry,
        next: 0,
        out: Events {
            events: vec![],
            errors: vec![],
        },
    };
    match flow_of_entry(manifest, entry) {
        Ok(flow) => r.seq(&flow["steps"], &vec![], &vec![]),
        Err(e) => r.out.errors.push(e),
    }
    r.out
}
