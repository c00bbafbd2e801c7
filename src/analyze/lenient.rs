//! The lenient model: when the schema rejects a flow, the nodes and edges that are
//! well-formed are still analyzed, so one run reports every problem.

use super::*;

/// A node with a string id and a known kind, with a blank label / origin position where
/// those are missing or malformed; `None` when the node cannot be repaired that way.
fn repair_node(v: &Value) -> Option<Value> {
    use serde::Deserialize;
    let o = v.as_object()?;
    let id = o.get("id")?.as_str()?;
    let kind = o.get("type")?.as_str()?;
    NodeKind::parse(kind)?;
    let mut n = serde_json::Map::new();
    n.insert("id".into(), id.into());
    n.insert("type".into(), kind.into());
    let label = o.get("label").filter(|l| l.is_string()).cloned();
    n.insert("label".into(), label.unwrap_or_else(|| "".into()));
    let position = o
        .get("position")
        .filter(|p| crate::model::Position::deserialize(*p).is_ok())
        .cloned();
    n.insert(
        "position".into(),
        position.unwrap_or_else(|| serde_json::json!({"x": 0, "y": 0})),
    );
    for key in ["config", "inputs", "outputs"] {
        if let Some(x) = o.get(key) {
            n.insert(key.into(), x.clone());
        }
    }
    let n = Value::Object(n);
    Node::deserialize(&n).is_ok().then_some(n)
}

/// A flow model built from a document the schema rejected: the nodes and edges that are
/// well-formed, with the original index of each (so paths point into the real document),
/// and the ids of the nodes that had to be left out.
pub(super) struct Lenient {
    flow: Flow,
    node_index: Vec<usize>,
    edge_index: Vec<usize>,
    dropped_ids: crate::hash::HashSet<String>,
    dropped_any: bool,
    /// `config` / `variables` were malformed and left out.
    dropped_config: bool,
    dropped_variables: bool,
}

impl Lenient {
    pub(super) fn build(doc: &Value) -> Option<Lenient> {
        use serde::Deserialize;
        let mut obj = doc.as_object()?.clone();
        let mut dropped_ids = crate::hash::HashSet::default();
        let mut dropped_any = false;
        let mut keep =
            |key: &str, ok: &dyn Fn(&Value) -> bool, obj: &mut serde_json::Map<String, Value>| {
                let mut index = Vec::new();
                if let Some(Value::Array(items)) = obj.get_mut(key) {
                    let all = std::mem::take(items);
                    for (i, v) in all.into_iter().enumerate() {
                        if ok(&v) {
                            index.push(i);
                            items.push(v);
                        } else {
                            dropped_any = true;
                            if key == "nodes"
                                && let Some(id) = v.get("id").and_then(Value::as_str)
                            {
                                dropped_ids.insert(id.to_string());
                            }
                        }
                    }
                } else {
                    obj.remove(key);
                }
                index
            };
        // A node with a sound id and kind is repaired (blank label, origin position) so its
        // config and edges are still checked; anything else is left out.
        if let Some(Value::Array(nodes)) = obj.get_mut("nodes") {
            for v in nodes.iter_mut() {
                if Node::deserialize(&*v).is_err()
                    && let Some(fixed) = repair_node(v)
                {
                    *v = fixed;
                }
            }
        }
        let node_index = keep("nodes", &|v| Node::deserialize(v).is_ok(), &mut obj);
        let edge_index = keep("edges", &|v| Edge::deserialize(v).is_ok(), &mut obj);
        for key in ["id", "name", "version"] {
            if !obj.get(key).is_some_and(Value::is_string) {
                obj.insert(key.to_string(), Value::String(String::new()));
            }
        }
        let fits = |key: &str, v: &Value| match key {
            "config" => crate::model::FlowConfig::deserialize(v).is_ok(),
            "variables" => Vec::<crate::model::Variable>::deserialize(v).is_ok(),
            "metadata" => v.is_object(),
            "tests" => v.is_array(),
            _ => v.is_string(),
        };
        let mut dropped_config = false;
        let mut dropped_variables = false;
        for key in [
            "config",
            "variables",
            "metadata",
            "tests",
            "scaicore_target",
            "$schema",
        ] {
            if obj.get(key).is_some_and(|v| !fits(key, v)) {
                obj.remove(key);
                dropped_config |= key == "config";
                dropped_variables |= key == "variables";
            }
        }
        // Unknown top-level keys were reported by the schema; the model ignores them.
        let flow = Flow::deserialize_from(&Value::Object(obj)).ok()?;
        Some(Lenient {
            flow,
            node_index,
            edge_index,
            dropped_ids,
            dropped_any,
            dropped_config,
            dropped_variables,
        })
    }

    /// Runs the later steps; paths are mapped back to the document's indices.
    pub(super) fn analyze(self) -> Vec<Diagnostic> {
        let Lenient {
            flow,
            node_index,
            edge_index,
            dropped_ids,
            dropped_any,
            dropped_config,
            dropped_variables,
        } = self;
        let refs_dropped = |d: &Diagnostic| {
            let id = d.path.as_ref().and_then(|p| {
                let [PathSeg::Key(e), PathSeg::Index(j), PathSeg::Key(end), ..] = p.0.as_slice()
                else {
                    return None;
                };
                let edge = flow.edges.get(*j).filter(|_| e == "edges")?;
                Some(if end == "source" {
                    &edge.source.node
                } else {
                    &edge.target.node
                })
            });
            id.is_some_and(|id| dropped_ids.contains(id.as_str()))
        };
        let remap = |p: &mut JsonPath| {
            if let [PathSeg::Key(list), PathSeg::Index(i), ..] = p.0.as_mut_slice() {
                let map = match list.as_str() {
                    "nodes" => &node_index,
                    "edges" => &edge_index,
                    _ => return,
                };
                if let Some(&orig) = map.get(*i) {
                    *i = orig;
                }
            }
        };
        let mut out: Vec<Diagnostic> = analyze_flow(flow.clone())
            .diagnostics
            .into_iter()
            .filter(|d| match d.code {
                // An edge to a node the schema rejected is not dangling.
                Code::DanglingEdge => !refs_dropped(d),
                // A rejected node may be the entry, the link or the port user.
                Code::NoEntry | Code::Unreachable | Code::UnusedOutputPort => !dropped_any,
                // Checks against the flow config (models, plugins, queue scope).
                Code::NoModels
                | Code::UndeclaredRole
                | Code::MissingScope
                | Code::MissingPluginArg
                | Code::UnknownPluginMethod => !dropped_config,
                // Checks against the flow variables.
                Code::UndeclaredVariable | Code::BindingCollision => !dropped_variables,
                _ => true,
            })
            .collect();
        for d in &mut out {
            if let Some(p) = &mut d.path {
                remap(p);
            }
            for r in &mut d.related {
                remap(&mut r.path);
            }
        }
        out
    }
}
