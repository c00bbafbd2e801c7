//! The rebuilt graph against the manifest it came from (`docs/import.md`, "When one
//! canvas cannot draw the manifest").
//!
//! A canvas has one set of edges for every flow, so flows that share nodes share their
//! edges. Where the manifest's flows run shared nodes differently, the edges rebuilt from
//! one flow also act in the other: a step runs there where the manifest does not run it,
//! or two steps the manifest runs side by side are ordered. Each such edge is reported
//! (a warning: the canvas is the nearest one can draw, to be reviewed before it is
//! compiled and deployed).
//!
//! The check is static and follows the step tree: in a flow, step `a` runs before step `b`
//! when `a`'s step holds `b`'s (a decision, parallel or loop before its branches) or both
//! lie in one sequence with `a` first (what holds them may differ below that). Steps in
//! different branches of one decision or parallel are not ordered. A flow's trigger
//! entries run before all of its steps.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::structure::{kind_of, step_meta, when_of};
use crate::diagnostics::PathSeg;
use crate::model::NodeKind;

/// Where a node runs in one flow: its entry, or the path of its (first) step.
enum At<'p> {
    Entry,
    Step(&'p [PathSeg]),
}

/// Whether the manifest runs `a` before `b` in a flow (`docs/import.md`).
fn before(a: &At, b: &At) -> bool {
    match (a, b) {
        (At::Entry, _) => true,
        (At::Step(_), At::Entry) => false,
        (At::Step(a), At::Step(b)) => {
            let common = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
            if common == a.len() {
                // `a`'s step holds `b`'s (or is it: a node is not before itself).
                return common < b.len();
            }
            if common == b.len() {
                return false;
            }
            // First difference: two indexes in one list — a sequence of steps orders
            // them, a list of branches does not.
            match (&a[common], &b[common], common.checked_sub(1).map(|i| &a[i])) {
                (PathSeg::Index(x), PathSeg::Index(y), Some(PathSeg::Key(list))) => {
                    list == "steps" && x < y
                }
                _ => false,
            }
        }
    }
}

/// Whether `b` (at `path`) lies in a decision's branch that an edge from `a` (at `a_at`,
/// with condition `when`) does not enter: a branch of a decision `a` lies outside of and
/// that is not `a`'s own, or, of `a`'s own, a branch the edge's condition does not take
/// (see [`enters`]).
/// There the manifest runs `b` on a condition the edge does not carry. `step_at` gives
/// the step at a path, `has_step` whether a node has a step of its own (entries do not).
fn guarded_beyond<'p>(
    a: &str,
    a_at: &At,
    when: Option<&str>,
    path: &'p [PathSeg],
    step_at: &dyn Fn(&'p [PathSeg]) -> Option<&'p Value>,
    has_step: &dyn Fn(&str) -> bool,
) -> bool {
    let common = match a_at {
        At::Entry => 0,
        At::Step(p) => p
            .iter()
            .zip(path.iter())
            .take_while(|(x, y)| x == y)
            .count(),
    };
    for i in common.max(1)..path.len() {
        if !matches!(&path[i], PathSeg::Key(k) if k == "decision") {
            continue;
        }
        let Some(step) = step_at(&path[..i]) else {
            continue;
        };
        let Some((n, _)) = step_meta(step) else {
            continue;
        };
        let foreign = match a_at {
            // A fork of the flow's entries (its node an entry, which has no step: a
            // documented manifest does not name its entries) is every entry's.
            At::Entry => n != a && has_step(n),
            At::Step(_) => n != a,
        };
        if foreign {
            return true;
        }
        if let (Some(PathSeg::Index(j)), Some(branches)) =
            (path.get(i + 2), step["decision"]["branches"].as_array())
            && !enters(branches, n, *j, when)
        {
            return true;
        }
    }
    false
}

/// The conditions of a decision's arms: its branches' and, in an else branch that starts
/// with a `decision_rest`, that one's.
fn arm_whens(branches: &[Value], node: &str, out: &mut Vec<String>) {
    for b in branches {
        match when_of(b) {
            Some(w) => out.push(w),
            None => {
                let first = b["steps"].get(0);
                // (Marked, or recognised by its place: the decision's own node again.)
                let rest = first.is_some_and(|s| {
                    s["meta"]["synthetic"] == "decision_rest"
                        || (s["meta"]["node_id"] == node && s["decision"].is_object())
                });
                if let Some(list) = first
                    .filter(|_| rest)
                    .and_then(|s| s["decision"]["branches"].as_array())
                {
                    arm_whens(list, node, out);
                }
            }
        }
    }
}

/// Whether an edge from a decision with condition `when` (`None`: its fallthrough) runs
/// the steps of branch `j`, in first-match order: the branch with that `when`, or a
/// `"true"` branch (an else) when no branch before it has that `when` — which is how a
/// suffix of the arms shares one else branch (`docs/lowering.md`).
fn enters(branches: &[Value], node: &str, j: usize, when: Option<&str>) -> bool {
    let Some(branch) = branches.get(j) else {
        return false;
    };
    // A decision that repeats a condition (in its branches, or in the `decision_rest`
    // of its else) is not judged: which of its arms an edge takes is not first-match
    // then, each is its own edge.
    let mut whens = Vec::new();
    arm_whens(branches, node, &mut whens);
    whens.sort_unstable();
    if whens.windows(2).any(|w| w[0] == w[1]) {
        return true;
    }
    match when_of(branch) {
        Some(w) => Some(w.as_str()) == when,
        None => !branches[..j]
            .iter()
            .any(|b| when.is_some() && when_of(b).as_deref() == when),
    }
}

/// The node a step may be the step of: a node the import rebuilt, not an entry (a step
/// of an entry's is its fork), and not marked synthetic. (A node's first step in a flow
/// is its own: the compiler's other steps of a node come after or inside it.)
fn own_node<'v>(kinds: &HashMap<String, Value>, step: &'v Value) -> Option<&'v str> {
    let id = super::check::own_node(step)?;
    kinds.contains_key(id).then_some(())?;
    (!kind_of(kinds, id).is_some_and(NodeKind::is_entry)).then_some(id)
}

/// When an edge acts, relative to its target's place: the decisions and conditions (in
/// nesting order) the manifest runs its source under that its target is outside of, and
/// the edge's own condition when its source is a decision the target is not inside
/// (`None`: the branch without a condition, or the fallthrough). Empty: whenever the
/// target runs. (An entry's edges act whenever the flow runs: its conditions are checked
/// by [`guarded_beyond`].)
type Guard<'p> = Vec<Cond<'p>>;

/// Guards that share all but their last condition, and that condition's decision.
type Group<'g, 'p> = (&'g [Cond<'p>], &'p [PathSeg]);

/// A decision (its step's path) and a condition of it.
type Cond<'p> = (&'p [PathSeg], Option<String>);

fn guard<'p>(
    at: &At<'p>,
    when: Option<&str>,
    target: &[PathSeg],
    step_at: &dyn Fn(&'p [PathSeg]) -> Option<&'p Value>,
) -> Guard<'p> {
    let At::Step(path) = at else {
        return Vec::new();
    };
    let common = path
        .iter()
        .zip(target.iter())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = Vec::new();
    for i in common..path.len() {
        if !matches!(&path[i], PathSeg::Key(k) if k == "decision") {
            continue;
        }
        let (Some(d), Some(PathSeg::Index(j))) = (step_at(&path[..i]), path.get(i + 2)) else {
            continue;
        };
        if let Some(b) = d["decision"]["branches"].get(j) {
            out.push((&path[..i], when_of(b)));
        }
    }
    // The source is a decision whose step the target is after.
    // (Its condition as the branch it takes: a condition of the `decision_rest` in the
    // else branch takes the else.)
    let own = step_at(path).and_then(|s| s["decision"]["branches"].as_array());
    if let (Some(branches), true) = (own, common < path.len()) {
        let node = step_at(path).and_then(step_meta).map_or("", |m| m.0);
        let taken = (0..branches.len())
            .find(|&j| enters(branches, node, j, when))
            .map_or_else(|| when.map(String::from), |j| when_of(&branches[j]));
        out.push((*path, taken));
    }
    out
}

/// Whether the guards of the edges into a step cover every run of it: one is empty, or
/// merging those that differ only in their last decision, over all of its conditions
/// (its branches' and the fallthrough), gives an empty one. A decision that repeats a
/// condition counts as covered (it is not judged, see [`enters`]).
fn covered<'p>(guards: &[Guard<'p>], step_at: &dyn Fn(&'p [PathSeg]) -> Option<&'p Value>) -> bool {
    const MAX_GUARDS: usize = 4096;
    if guards.len() > MAX_GUARDS {
        return true;
    }
    let mut set: HashSet<Guard<'p>> = guards.iter().cloned().collect();
    loop {
        if set.contains(&Vec::new()) {
            return true;
        }
        // (prefix, decision) → the conditions seen.
        let mut groups: HashMap<Group<'_, 'p>, HashSet<&Option<String>>> = HashMap::new();
        for g in &set {
            if let Some(((d, w), prefix)) = g.split_last() {
                groups.entry((prefix, *d)).or_default().insert(w);
            }
        }
        let mut merged = Vec::new();
        for ((prefix, d), seen) in groups {
            let Some(branches) = step_at(d).and_then(|s| s["decision"]["branches"].as_array())
            else {
                continue;
            };
            let mut all: Vec<Option<String>> = branches.iter().map(when_of).collect();
            all.push(None);
            let mut named: Vec<&String> = all.iter().flatten().collect();
            named.sort_unstable();
            let repeats = named.windows(2).any(|w| w[0] == w[1]);
            if repeats || all.iter().all(|w| seen.contains(w)) {
                merged.push(prefix.to_vec());
            }
        }
        let before = set.len();
        set.extend(merged);
        if set.len() == before {
            return false;
        }
    }
}

/// One edge the manifest's flows do not all agree with.
pub(super) struct Difference {
    /// The edge's index in the edges given, or the step of a node no edge runs.
    pub edge: Option<usize>,
    pub step: Option<Vec<PathSeg>>,
    pub message: String,
}

/// Every rebuilt edge that acts, in some flow, where the manifest does not: `edges` are
/// the rebuilt edges, `steps` every step with its path (`core.flows[i].steps…`),
/// `entries` the entry nodes of each flow. One report per edge (its first such flow).
pub(super) fn differences(
    kinds: &HashMap<String, Value>,
    steps: &[(Vec<PathSeg>, &Value)],
    entries: &[Vec<String>],
    edges: &[(String, std::borrow::Cow<Value>, Vec<PathSeg>)],
) -> Vec<Difference> {
    // Node → flow → where it runs.
    let mut runs: HashMap<&str, Vec<(usize, At)>> = HashMap::new();
    for (f, list) in entries.iter().enumerate() {
        for e in list {
            runs.entry(e).or_default().push((f, At::Entry));
        }
    }
    for (path, step) in steps {
        let Some(PathSeg::Index(f)) = path.get(2) else {
            continue;
        };
        let Some(id) = own_node(kinds, step) else {
            continue;
        };
        let places = runs.entry(id).or_default();
        if !places.iter().any(|(g, _)| g == f) {
            places.push((*f, At::Step(path)));
        }
    }
    let by_path: HashMap<&[PathSeg], &Value> =
        steps.iter().map(|(p, s)| (p.as_slice(), *s)).collect();
    let step_at = |p: &[PathSeg]| by_path.get(p).copied();
    let has_step = |n: &str| {
        runs.get(n)
            .is_some_and(|places| places.iter().any(|(_, at)| matches!(at, At::Step(_))))
    };
    let find = |id: &str, f: usize| {
        runs.get(id)
            .and_then(|places| places.iter().find(|(g, _)| *g == f))
            .map(|(_, at)| at)
    };
    let mut out = Vec::new();
    // (node, flow): a control edge into the node acts in that flow as the manifest's
    // step does.
    let mut feeds: HashMap<(&str, usize), Vec<Guard>> = HashMap::new();
    for (ix, (_, edge, _)) in edges.iter().enumerate() {
        let node = |end: &str| edge[end]["node"].as_str().unwrap_or_default();
        let (source, target) = (node("source"), node("target"));
        let data = edge["type"] == "data";
        let when = edge["condition"].as_str().filter(|c| c.trim() != "true");
        let Some(places) = runs.get(source) else {
            continue;
        };
        let mut reported = false;
        for (f, at) in places {
            let flow = f + 1;
            let message = match find(target, *f) {
                None if data => continue,
                None => format!(
                    "in flow {flow} (core.flows[{f}]) the manifest does not run `{target}`, but the imported canvas runs it there after `{source}`: flows share their nodes' edges, and this edge comes from another flow"
                ),
                Some(At::Step(t))
                    if !data && guarded_beyond(source, at, when, t, &step_at, &has_step) =>
                {
                    format!(
                        "in flow {flow} (core.flows[{f}]) the manifest runs `{target}` only in a decision's branch this edge from `{source}` does not take, but the imported canvas runs it there after `{source}` on the edge's condition: flows share their nodes' edges, and this edge comes from another flow"
                    )
                }
                Some(t) if before(at, t) => {
                    if let (false, At::Step(t)) = (data, t) {
                        let g = guard(at, when, t, &step_at);
                        feeds.entry((target, *f)).or_default().push(g);
                    }
                    continue;
                }
                Some(_) => format!(
                    "in flow {flow} (core.flows[{f}]) the manifest does not run `{source}` before `{target}`, but the imported canvas orders them there too: flows share their nodes' edges, and this edge comes from another flow"
                ),
            };
            if !reported {
                reported = true;
                out.push(Difference {
                    edge: Some(ix),
                    step: None,
                    message,
                });
            }
        }
    }
    // Every step needs an edge that runs it there (one report per node).
    // (In step order; a node's first step in each flow.)
    let mut starved = Vec::new();
    let mut seen: HashSet<(&str, usize)> = HashSet::new();
    for (path, step) in steps {
        let (Some(PathSeg::Index(f)), Some(n)) = (path.get(2), own_node(kinds, step)) else {
            continue;
        };
        if seen.insert((n, *f)) && !feeds.get(&(n, *f)).is_some_and(|g| covered(g, &step_at)) {
            starved.push((n, *f, path.as_slice()));
        }
    }
    for (n, f, p) in starved {
        out.push(Difference {
            edge: None,
            step: Some(p.to_vec()),
            message: format!(
                "in flow {flow} (core.flows[{f}]) the manifest runs `{n}`, but on the imported canvas no edge that acts in that flow leads to it: flows share their nodes' edges, and one canvas cannot draw both flows",
                flow = f + 1
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(segs: &[&str]) -> Vec<PathSeg> {
        segs.iter()
            .map(|s| match s.parse() {
                Ok(i) => PathSeg::Index(i),
                Err(_) => PathSeg::Key((*s).to_string()),
            })
            .collect()
    }

    #[test]
    fn order_follows_sequences_and_containment_only() {
        let first = p(&["core", "flows", "0", "steps", "0"]);
        let second = p(&["core", "flows", "0", "steps", "1"]);
        let inner = p(&[
            "core", "flows", "0", "steps", "0", "decision", "branches", "1", "steps", "0",
        ]);
        let other_branch = p(&[
            "core", "flows", "0", "steps", "0", "decision", "branches", "0", "steps", "3",
        ]);
        fn s(v: &[PathSeg]) -> At<'_> {
            At::Step(v)
        }
        assert!(before(&s(&first), &s(&second)));
        assert!(!before(&s(&second), &s(&first)));
        assert!(
            before(&s(&first), &s(&inner)),
            "a step before what it holds"
        );
        assert!(!before(&s(&inner), &s(&first)));
        assert!(
            before(&s(&inner), &s(&second)),
            "a branch before the next step"
        );
        assert!(
            !before(&s(&other_branch), &s(&inner)),
            "branches are not ordered"
        );
        assert!(!before(&s(&inner), &s(&other_branch)));
        assert!(!before(&s(&first), &s(&first)), "not before itself");
        assert!(before(&At::Entry, &s(&first)));
        assert!(!before(&s(&first), &At::Entry));
    }

    fn branches(whens: &[&str]) -> Vec<Value> {
        whens
            .iter()
            .map(|w| serde_json::json!({"when": w, "steps": []}))
            .collect()
    }

    #[test]
    fn an_edge_enters_the_branch_first_match_gives_it() {
        let b = branches(&["a", "b", "true"]);
        assert!(enters(&b, "d", 0, Some("a")));
        assert!(!enters(&b, "d", 1, Some("a")));
        assert!(!enters(&b, "d", 2, Some("a")), "an earlier branch takes a");
        assert!(
            enters(&b, "d", 2, Some("c")),
            "the else takes what no branch names"
        );
        assert!(enters(&b, "d", 2, None), "the fallthrough takes the else");
        assert!(!enters(&b, "d", 0, None));
        assert!(!enters(&b, "d", 3, None), "no such branch");
        // Repeated conditions are not judged.
        let twice = branches(&["a", "a"]);
        assert!(enters(&twice, "d", 1, Some("b")));
    }

    #[test]
    fn guards_cover_when_every_condition_of_a_decision_is_seen() {
        let d = p(&["core", "flows", "0", "steps", "0"]);
        let step = serde_json::json!({"decision": {"branches": branches(&["a", "true"])},
            "meta": {"node_id": "d"}});
        let step_at = |q: &[PathSeg]| (q == d.as_slice()).then_some(&step);
        let g = |w: Option<&str>| vec![(d.as_slice(), w.map(String::from))];
        assert!(covered(&[Vec::new()], &step_at), "an edge that always acts");
        assert!(covered(&[g(Some("a")), g(None)], &step_at));
        assert!(
            !covered(&[g(Some("a"))], &step_at),
            "the else is not covered"
        );
        assert!(!covered(&[g(None)], &step_at));
        assert!(!covered(&[], &step_at), "no edge at all");
        // Past 4,096 edges into one step the check stops (a bound on work): covered.
        assert!(!covered(&vec![g(Some("a")); 4096], &step_at));
        assert!(covered(&vec![g(Some("a")); 4097], &step_at));
    }

    /// A condition repeated in the `decision_rest` that opens an else branch (marked, or
    /// known by its place: the decision's own node) makes the decision not judged; a
    /// decision of another node, or a step that is no decision, does not.
    #[test]
    fn repeats_count_in_the_rest_of_an_else_only() {
        let with_first = |first: Value| {
            vec![
                serde_json::json!({"when": "a", "steps": []}),
                serde_json::json!({"when": "true", "steps": [first]}),
            ]
        };
        let rest = |node: &str, synthetic: Option<&str>, decision: bool| {
            let mut s = serde_json::json!({"meta": {"node_id": node}});
            if let Some(m) = synthetic {
                s["meta"]["synthetic"] = m.into();
            }
            if decision {
                s["decision"] = serde_json::json!({"branches": [{"when": "a", "steps": []}]});
            } else {
                s["rigid"] = "x".into();
            }
            s
        };
        // Not judged (a repeat): the edge "a" may enter the else.
        assert!(enters(
            &with_first(rest("z", Some("decision_rest"), true)),
            "d",
            1,
            Some("a")
        ));
        assert!(enters(
            &with_first(rest("d", None, true)),
            "d",
            1,
            Some("a")
        ));
        // No repeat: first match gives "a" to branch 0, not the else.
        assert!(!enters(
            &with_first(rest("x", None, true)),
            "d",
            1,
            Some("a")
        ));
        assert!(!enters(
            &with_first(rest("d", None, false)),
            "d",
            1,
            Some("a")
        ));
        assert!(!enters(
            &with_first(rest("x", Some("fork"), true)),
            "d",
            1,
            Some("a")
        ));
    }

    #[test]
    fn a_guard_holds_the_decisions_the_source_is_under_and_its_own_condition() {
        let d = p(&["core", "flows", "0", "steps", "0"]);
        let inner = p(&[
            "core", "flows", "0", "steps", "0", "decision", "branches", "0", "steps", "0",
        ]);
        let after = p(&["core", "flows", "0", "steps", "1"]);
        let step = serde_json::json!({"decision": {"branches": [{"when": "a", "steps": []}]},
            "meta": {"node_id": "d"}});
        let step_at = |q: &[PathSeg]| (q == d.as_slice()).then_some(&step);
        // From the decision to a step after it: under its condition.
        assert_eq!(
            guard(&At::Step(&d), Some("a"), &after, &step_at),
            vec![(d.as_slice(), Some("a".to_string()))]
        );
        // From the decision into its own branch: always (the branch is the condition).
        assert!(guard(&At::Step(&d), Some("a"), &inner, &step_at).is_empty());
        // From inside the branch to the step after: under the branch.
        assert_eq!(
            guard(&At::Step(&inner), None, &after, &step_at),
            vec![(d.as_slice(), Some("a".to_string()))]
        );
        assert!(guard(&At::Entry, Some("a"), &after, &step_at).is_empty());
        // A decision whose else opens with its own (unmarked) rest that repeats a
        // condition is not judged: the edge's condition is taken as its first branch's.
        let rest = serde_json::json!({"decision": {"branches": [
            {"when": "a", "steps": []},
            {"when": "true", "steps": [{"meta": {"node_id": "d"}, "decision": {"branches": [
                {"when": "b", "steps": []}, {"when": "b", "steps": []}]}}]}]},
            "meta": {"node_id": "d"}});
        let rest_at = |q: &[PathSeg]| (q == d.as_slice()).then_some(&rest);
        assert_eq!(
            guard(&At::Step(&d), Some("b"), &after, &rest_at),
            vec![(d.as_slice(), Some("a".to_string()))]
        );
    }

    #[test]
    fn a_branch_of_a_foreign_decision_is_guarded_beyond() {
        let d = p(&["core", "flows", "0", "steps", "1"]);
        let before = p(&["core", "flows", "0", "steps", "0"]);
        let inner = p(&[
            "core", "flows", "0", "steps", "1", "decision", "branches", "0", "steps", "0",
        ]);
        let step = serde_json::json!({"decision": {"branches": [{"when": "a", "steps": []}]},
            "meta": {"node_id": "d"}});
        let step_at = |q: &[PathSeg]| (q == d.as_slice()).then_some(&step);
        let has_step = |n: &str| n == "d";
        let beyond = |a: &str, at: &At, when: Option<&str>| {
            guarded_beyond(a, at, when, &inner, &step_at, &has_step)
        };
        assert!(beyond("u", &At::Step(&before), None), "u is not under d");
        assert!(
            beyond("u", &At::Step(&before), Some("a")),
            "another node's condition does not take d's branch"
        );
        assert!(
            !beyond("d", &At::Step(&d), Some("a")),
            "d's own branch, its condition"
        );
        assert!(
            beyond("d", &At::Step(&d), None),
            "the fallthrough does not take branch a"
        );
        assert!(beyond("e", &At::Entry, None), "an entry is not d");
        assert!(
            beyond("e", &At::Entry, Some("a")),
            "nor does its condition take d's branch"
        );
    }

    #[test]
    fn an_edge_into_a_step_its_flow_does_not_run_is_reported() {
        let kinds: HashMap<String, Value> = [("a", "llm_rigid"), ("b", "llm_rigid")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        let a = serde_json::json!({"rigid": "x", "meta": {"node_id": "a"}});
        let b = serde_json::json!({"rigid": "y", "meta": {"node_id": "b"}});
        let steps = vec![
            (p(&["core", "flows", "0", "steps", "0"]), &a),
            (p(&["core", "flows", "1", "steps", "0"]), &b),
        ];
        let entries = vec![vec!["e1".to_string()], vec!["e2".to_string()]];
        let edge = |id: &str, kind: &str, s: &str, t: &str| {
            (
                id.to_string(),
                std::borrow::Cow::Owned(
                    serde_json::json!({"id": id, "type": kind, "source": {"node": s, "port": "out"},
                    "target": {"node": t, "port": "in"}}),
                ),
                Vec::new(),
            )
        };
        let edges = vec![
            edge("x1", "sequential", "e1", "a"),
            edge("x2", "sequential", "e2", "b"),
            edge("x3", "sequential", "a", "b"),
            edge("x4", "data", "a", "b"),
        ];
        let got = differences(&kinds, &steps, &entries, &edges);
        let msgs: Vec<(Option<usize>, &str)> =
            got.iter().map(|d| (d.edge, d.message.as_str())).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert_eq!(msgs[0].0, Some(2));
        assert!(
            msgs[0]
                .1
                .starts_with("in flow 1 (core.flows[0]) the manifest does not run `b`"),
            "{msgs:?}"
        );
    }
}
