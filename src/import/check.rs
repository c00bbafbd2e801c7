//! After the rebuild: the flow is validated (diagnostics pointed back into the YAML), and
//! steps edited after compilation are warned about.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{BRANCHING, Imported, Importer, LOOPING, join, key};
use crate::diagnostics::{Code, Diagnostic, PathSeg, Severity};
use crate::load::SourceFile;

impl Importer {
    /// Validates the imported flow (schema, analyze, structure); its diagnostics point at
    /// the YAML the offending part came from.
    /// Returns the analyzed flow when it has no error.
    pub(super) fn validate(
        &mut self,
        text: &str,
        flow: &Imported,
    ) -> Option<crate::analyze::AnalyzedFlow> {
        let source = SourceFile::new("imported.flow.json", text.to_string());
        let outcome = crate::validate_source(&source);
        for d in outcome.diagnostics {
            // A hand-written manifest without triggers has no entry: warned about above.
            if !flow.emitted && d.code == Code::NoEntry {
                continue;
            }
            let origin = d
                .node_id
                .as_ref()
                .and_then(|id| flow.node_origin.get(id))
                .or_else(|| d.edge_id.as_ref().and_then(|id| flow.edge_origin.get(id)))
                .unwrap_or(&flow.flow_origin);
            let at = d.path.as_ref().map(ToString::to_string);
            let mut out = Diagnostic::new(
                d.code,
                match at {
                    Some(p) if p != "$" => format!("imported flow, {p}: {}", d.message),
                    _ => format!("imported flow: {}", d.message),
                },
            );
            // A hand-written manifest gives a skeleton to finish on the canvas: what the
            // analyze stage finds in it is a warning; only the schema's findings stop it.
            let schema_code = d.code.as_str().starts_with("SF1");
            out.severity = if !flow.emitted && !schema_code {
                Severity::Warning
            } else {
                d.severity
            };
            out.node_id = d.node_id.clone();
            out.edge_id = d.edge_id.clone();
            out.help = d.help.clone();
            self.diags.push((out, Some(origin.clone())));
        }
        outcome.analyzed
    }

    /// The manifest's steps as `edits` compares them (stripped, per node), taken before
    /// the manifest is dropped: import does not hold the whole manifest while it
    /// recompiles the flow (docs/limits.md, "Memory").
    pub(super) fn candidates(&mut self, manifest: &Value) -> Candidates {
        let mut steps: Vec<(Vec<PathSeg>, &Value)> = Vec::new();
        let flows_path = vec![key("core"), key("flows")];
        for (i, f) in manifest["core"]["flows"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let sp = join(&join(&flows_path, PathSeg::Index(i)), key("steps"));
            if let Some(list) = f.get("steps").and_then(Value::as_array) {
                self.walk(list, &sp, &mut steps);
            }
        }
        // Each node's candidate steps (without the `synthetic` marker a step the compiler
        // added for the node is among them), in first-seen order.
        let mut out = Candidates::default();
        for (path, step) in steps {
            let Some(id) = own_node(step) else { continue };
            let list = out.by_node.entry(id.to_string()).or_insert_with(|| {
                out.order.push(id.to_string());
                Vec::new()
            });
            list.push((path, strip(step)));
        }
        out
    }

    /// Warns about steps edited after compilation: each step of the manifest is compared
    /// with the step its `meta` compiles to; where none of a node's steps is, the first is
    /// warned about, and the edit is not imported.
    pub(super) fn edits(&mut self, candidates: &Candidates, a: &crate::analyze::AnalyzedFlow) {
        // The manifest the flow compiles to, as data (what its YAML loads back to).
        let Ok(bodies) = crate::lower::structure(a) else {
            return;
        };
        let again = crate::emit::yaml::manifest(a, &crate::lower::core::lower(a, &bodies));
        let compiled = steps_by_node(&again);
        drop(again);
        for id in &candidates.order {
            let Some(want) = compiled.get(id) else {
                continue;
            };
            let list = &candidates.by_node[id];
            if list.iter().any(|(_, step)| step == want) {
                continue;
            }
            let (path, step) = &list[0];
            // (Its keyword: the first key; stripping took `meta` out.)
            let keyword = step
                .as_object()
                .and_then(|m| m.keys().next())
                .map_or("", String::as_str);
            self.warn(
                Code::ManifestEdited,
                path,
                format!(
                    "the `{keyword}` step of node '{id}' differs from what its `meta` compiles to (edited after compilation?); import rebuilds the node from `meta`, so the edit is not imported"
                ),
            );
        }
    }
}

/// A manifest's steps by node, stripped ([`strip`]), with their paths.
#[derive(Default)]
pub(super) struct Candidates {
    order: Vec<String>,
    by_node: HashMap<String, Vec<(Vec<PathSeg>, Value)>>,
}

/// The node a step is the node's own step of (not a synthetic one).
pub(super) fn own_node(step: &Value) -> Option<&str> {
    let meta = step.get("meta")?;
    if meta.get("synthetic").is_some() {
        return None;
    }
    meta.get("node_id")?.as_str()
}

/// A step without its `meta`, and without nested steps (each of those is compared on its
/// own). Copies only the step's own level: nested steps are never cloned, so the work is
/// linear in the manifest however deep it nests (`docs/limits.md`).
fn strip(step: &Value) -> Value {
    let Some(m) = step.as_object() else {
        return step.clone();
    };
    let without = |o: &Map<String, Value>| -> Map<String, Value> {
        o.iter()
            .filter(|(k, _)| *k != "steps")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let mut out = Map::new();
    for (k, v) in m {
        if k == "meta" {
            continue;
        }
        let v = match v.as_object() {
            Some(o) if BRANCHING.contains(&k.as_str()) || LOOPING.contains(&k.as_str()) => {
                let mut inner = Map::new();
                for (ik, iv) in o {
                    if ik == "steps" {
                        continue;
                    }
                    let iv = match iv {
                        Value::Array(bs) if ik == "branches" => Value::Array(
                            bs.iter()
                                .map(|b| {
                                    b.as_object()
                                        .map_or_else(|| b.clone(), |b| Value::Object(without(b)))
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    inner.insert(ik.clone(), iv);
                }
                Value::Object(inner)
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// Each node's own step in a manifest, stripped ([`strip`]), by node id (the first, when
/// several flows run it).
fn steps_by_node(manifest: &Value) -> HashMap<String, Value> {
    fn walk(list: &[Value], out: &mut HashMap<String, Value>) {
        for step in list {
            if let Some(id) = own_node(step) {
                out.entry(id.to_string()).or_insert_with(|| strip(step));
            }
            for kw in BRANCHING {
                for b in step[kw]["branches"].as_array().into_iter().flatten() {
                    walk(b["steps"].as_array().map_or(&[], Vec::as_slice), out);
                }
            }
            for kw in LOOPING {
                walk(step[kw]["steps"].as_array().map_or(&[], Vec::as_slice), out);
            }
        }
    }
    let mut out = HashMap::new();
    for f in manifest["core"]["flows"].as_array().into_iter().flatten() {
        walk(f["steps"].as_array().map_or(&[], Vec::as_slice), &mut out);
    }
    out
}
