//! `meta` records, and the refinements scaiflow adds beside the documented keys: the
//! records of entries and detached nodes, each node's `node_edges`, `node_position`,
//! `node_inputs` / `node_outputs`, `node_config_absent`, and in `scaiflow_meta` the
//! declaration orders and the flow's own `config`. None of them is required
//! (`docs/import.md`).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Importer, Out, join, key, show};
use crate::diagnostics::{Code, PathSeg};

/// A node rebuilt from a `meta` record (or a trigger), with where it came from. Its parts
/// borrow the manifest's values: they are written out, not copied (`super::Out`).
pub(super) struct NodeRec<'v> {
    pub id: String,
    pub kind: Cow<'v, Value>,
    pub label: Cow<'v, Value>,
    pub config: Option<Cow<'v, Value>>,
    pub inputs: Option<&'v Value>,
    pub outputs: Option<&'v Value>,
    /// `node_position`, when the record has one.
    pub position: Option<&'v Value>,
    /// `node_edges` with their YAML paths, when the record has them.
    pub edges: Vec<(&'v Value, Vec<PathSeg>)>,
    pub origin: Vec<PathSeg>,
}

impl<'v> NodeRec<'v> {
    /// The node as the flow spells it; `position` from the record or auto-layout.
    pub fn to_out<'a>(&'a self, position: &'a Value) -> Out<'a> {
        let val = |v: &'a Value| Out::Val(v);
        let mut node: Vec<(Cow<'a, str>, Out<'a>)> = Vec::with_capacity(7);
        node.extend([
            ("id".into(), Out::Str(&self.id)),
            ("type".into(), val(&self.kind)),
            ("label".into(), val(&self.label)),
            ("position".into(), val(position)),
        ]);
        if let Some(c) = &self.config {
            node.push(("config".into(), val(c)));
        }
        if let Some(p) = self.inputs {
            node.push(("inputs".into(), val(p)));
        }
        if let Some(p) = self.outputs {
            node.push(("outputs".into(), val(p)));
        }
        Out::Map(node)
    }
}

/// The id of a step's `meta` record, when it has the four documented keys that make it a
/// node record: `node_id` and `node_kind` strings, a `node_label` string and a
/// `node_config` mapping.
pub(super) fn record_id(meta: &Map<String, Value>) -> Option<&str> {
    meta.get("node_kind").and_then(Value::as_str)?;
    meta.get("node_label").and_then(Value::as_str)?;
    meta.get("node_config").filter(|c| c.is_object())?;
    meta.get("node_id").and_then(Value::as_str)
}

impl Importer {
    /// A node from a `meta` record: `node_id` and `node_kind` are required; a missing
    /// `node_label` is the id, a missing `node_config` is `{}`. `None` (and an error when
    /// `required`, for scaiflow's own records) when the record has no id or kind.
    pub(super) fn node_record<'v>(
        &mut self,
        meta: &'v Map<String, Value>,
        path: &[PathSeg],
        required: bool,
    ) -> Option<NodeRec<'v>> {
        let id = if required {
            // scaiflow's own records: the id and kind are required, the rest defaults.
            meta.get("node_kind")
                .and_then(Value::as_str)
                .and(meta.get("node_id").and_then(Value::as_str))
        } else {
            record_id(meta)
        };
        let Some(id) = id else {
            if required {
                self.error(
                    Code::ManifestShape,
                    path,
                    format!(
                        "{}: a meta record needs `node_id` and `node_kind` strings",
                        show(path)
                    ),
                );
            }
            return None;
        };
        let config = if meta.get("node_config_absent") == Some(&Value::Bool(true)) {
            None
        } else {
            Some(
                meta.get("node_config")
                    .map_or_else(|| Cow::Owned(json!({})), Cow::Borrowed),
            )
        };
        let ep = join(path, key("node_edges"));
        let edges = self
            .list(meta.get("node_edges"), &ep, "`node_edges`")
            .iter()
            .enumerate()
            .map(|(j, e)| (e, join(&ep, PathSeg::Index(j))))
            .collect();
        Some(NodeRec {
            id: id.to_string(),
            kind: Cow::Borrowed(&meta["node_kind"]),
            label: meta
                .get("node_label")
                .map_or_else(|| Cow::Owned(id.into()), Cow::Borrowed),
            config,
            inputs: meta.get("node_inputs"),
            outputs: meta.get("node_outputs"),
            position: meta.get("node_position"),
            edges,
            origin: path.to_vec(),
        })
    }

    /// The records of a list in `scaiflow_meta` (`entries`, `detached`).
    pub(super) fn records<'v>(
        &mut self,
        sm: &'v Map<String, Value>,
        sm_path: &[PathSeg],
        name: &str,
        what: &str,
    ) -> Vec<(NodeRec<'v>, Option<String>)> {
        let lp = join(sm_path, key(name));
        let mut out = Vec::new();
        for (i, e) in self.list(sm.get(name), &lp, name).iter().enumerate() {
            let p = join(&lp, PathSeg::Index(i));
            if let Some(m) = self.mapping(Some(e), &p, what)
                && let Some(rec) = self.node_record(m, &p, true)
            {
                let flow = m.get("flow").and_then(Value::as_str).map(String::from);
                out.push((rec, flow));
            }
        }
        out
    }

    /// The flow's `config` as scaiflow wrote it (`scaiflow_meta.config`), with the
    /// documented registry and deploy intents winning over the copy inside it.
    pub(super) fn refined_config(
        &mut self,
        sm: &Map<String, Value>,
        sm_path: &[PathSeg],
    ) -> Option<Value> {
        let mut config = sm.get("config").cloned();
        let models = registry(sm);
        if models.is_some() || sm.contains_key("publish_as_model") {
            let cfg = config.get_or_insert_with(|| json!({}));
            if let Some(cfg) = cfg.as_object_mut() {
                if let Some(ms) = models {
                    let ci = cfg.entry("core_identity").or_insert_with(|| json!({}));
                    if let Some(ci) = ci.as_object_mut() {
                        if ci.get("models") != Some(&Value::Array(ms.clone()))
                            && ci.contains_key("models")
                        {
                            self.warn(
                                Code::ManifestEdited,
                                &join(sm_path, key("models")),
                                "`scaiflow_meta.models` differs from the registry in `scaiflow_meta.config`; the documented registry (`models`) wins".into(),
                            );
                        }
                        ci.insert("models".into(), Value::Array(ms));
                    }
                }
                for intent in ["publish_as_model", "model_visibility_group_ids"] {
                    if let Some(v) = sm.get(intent) {
                        if cfg.get(intent).is_some_and(|old| old != v) {
                            self.warn(
                                Code::ManifestEdited,
                                &join(sm_path, key(intent)),
                                format!("`scaiflow_meta.{intent}` differs from the copy in `scaiflow_meta.config`; the documented deploy intent wins"),
                            );
                        }
                        cfg.insert(intent.into(), v.clone());
                    }
                }
            }
        }
        config
    }
}

/// `scaiflow_meta.models`, each entry's `provider` spelt `ref` again.
pub(super) fn registry(sm: &Map<String, Value>) -> Option<Vec<Value>> {
    sm.get("models").and_then(Value::as_array).map(|ms| {
        ms.iter()
            .map(|m| match m {
                // (An entry that kept `ref` had a `provider` key of its own.)
                Value::Object(o) if !o.contains_key("ref") => Value::Object(
                    o.iter()
                        .map(|(k, x)| {
                            let k = if k == "provider" { "ref" } else { k.as_str() };
                            (k.to_string(), x.clone())
                        })
                        .collect(),
                ),
                other => other.clone(),
            })
            .collect()
    })
}

/// Sorts items by the id order a `scaiflow_meta` list gives (`node_order`, `edge_order`);
/// ids it does not name go last, in their order.
pub(super) fn sort_by_order<T>(
    sm: Option<&Map<String, Value>>,
    name: &str,
    items: &mut [T],
    id: impl Fn(&T) -> &str,
) {
    let Some(ids) = sm.and_then(|s| s.get(name)).and_then(Value::as_array) else {
        return;
    };
    let rank: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (s, i)))
        .collect();
    items.sort_by_key(|x| rank.get(id(x)).copied().unwrap_or(usize::MAX));
}

/// Edges from the records' `node_edges`, first of each id, in record order (their paths
/// moved out of the records).
pub(super) fn recorded_edges<'v>(
    nodes: &mut [NodeRec<'v>],
) -> Vec<(String, Cow<'v, Value>, Vec<PathSeg>)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for n in nodes {
        for (e, p) in &mut n.edges {
            let id = e
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if seen.insert(id.clone()) {
                out.push((id, Cow::Borrowed(*e), std::mem::take(p)));
            }
        }
    }
    out
}
