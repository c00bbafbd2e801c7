//! Comparing one execution of the graph with one run of the manifest (docs/semantics.md §7).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::graph::{self, Graph, RunKey, show_run};
use crate::manifest::{self, Pos};
use crate::oracle::Oracle;

pub enum Verdict {
    Faithful,
    /// The manifest runs other nodes, or orders less, than the graph (the text says how).
    Mismatch(String),
    /// The graph breaks a rule of §6 under this oracle: it should have been refused.
    GraphInvalid(String),
}

/// Checks `manifest` (a parsed manifest, or a witness in the same shape) against the
/// graph for one entry and one oracle.
pub fn check(g: &Graph, manifest: &Value, entry: &str, oracle: &Oracle) -> Verdict {
    let exec = graph::execute(g, entry, oracle);
    if let Some(why) = exec.invalid {
        return Verdict::GraphInvalid(why);
    }
    let ev = manifest::execute(manifest, entry, oracle);
    let mut diff = ev.errors.clone();
    let mut seen: BTreeMap<&RunKey, Vec<&Pos>> = BTreeMap::new();
    for (k, p) in &ev.events {
        seen.entry(k).or_default().push(p);
    }
    let mut expected: BTreeMap<&RunKey, usize> = BTreeMap::new();
    for r in &exec.runs {
        *expected.entry(r).or_default() += 1;
    }
    for (k, n) in &expected {
        let got = seen.get(k).map_or(0, Vec::len);
        if got == 0 {
            diff.push(format!(
                "missing: {} runs in the graph, not in the manifest",
                show_run(k)
            ));
        } else if got != *n {
            diff.push(format!(
                "{} runs {n}x in the graph, {got}x in the manifest",
                show_run(k)
            ));
        }
    }
    for (k, ps) in &seen {
        if !expected.contains_key(k) {
            diff.push(format!(
                "extra: {} runs {}x in the manifest, not in the graph",
                show_run(k),
                ps.len()
            ));
        }
    }
    for (a, b, why) in &exec.constraints {
        if let (Some([pa]), Some([pb])) = (
            seen.get(a).map(Vec::as_slice),
            seen.get(b).map(Vec::as_slice),
        ) && !manifest::before(pa, pb)
        {
            diff.push(format!(
                "order: {} must finish before {} starts ({why}), the manifest does not guarantee it",
                show_run(a),
                show_run(b)
            ));
        }
    }
    if diff.is_empty() {
        Verdict::Faithful
    } else {
        Verdict::Mismatch(diff.join("\n"))
    }
}
