//! After the rebuild: the flow is validated (diagnostics pointed back into the YAML), and
//! steps edited after compilation are warned about.

use std::collections::HashMap;

use serde_json::Value;

use super::{BRANCHING, Imported, Importer, LOOPING, join, key};
use crate::diagnostics::{Code, Diagnostic, PathSeg, Severity};
use crate::load::SourceFile;

/// What the edit check needs of a valid flow: the analyzed flow and its structure, and the
/// flow's parsed document if one was built (freed, or left to the exit, once the check
/// knows whether it needs the memory; a flow read through a tape has none).
pub(super) type Checked = (
    crate::analyze::AnalyzedFlow,
    Vec<crate::lower::FlowBody>,
    Option<Value>,
);

impl Importer {
    /// Validates the imported flow (schema, analyze, structure: what
    /// [`crate::validate_source`] runs); its diagnostics point at the YAML the offending
    /// part came from. Takes the flow's text and gives it back, with the analyzed flow and
    /// its structure when it has no error (the edit check lowers them, no second
    /// structuring).
    pub(super) fn validate(
        &mut self,
        text: String,
        flow: &Imported,
        reclaim: crate::Reclaim,
    ) -> (String, Option<Checked>) {
        let source = SourceFile::new("imported.flow.json", text);
        // (What `analyze_source` runs, keeping the document.)
        let (mut outcome, doc) = crate::analyze::analyze_text(&source.text);
        let mut bodies = None;
        if let Some(a) = &outcome.analyzed {
            match crate::lower::structure(a) {
                Ok(b) => bodies = Some(b),
                Err(diags) => {
                    outcome.diagnostics.extend(diags);
                    outcome.analyzed = None;
                }
            }
        }
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
        let checked = match (outcome.analyzed, bodies, doc) {
            (Some(a), Some(b), doc) => Some((a, b, doc)),
            rest => {
                reclaim.release(rest);
                None
            }
        };
        (source.text, checked)
    }

    /// Warns about steps edited after compilation: each step of the manifest is compared
    /// with the step its `meta` compiles to; where none of a node's steps is, the first is
    /// warned about, and the edit is not imported. (`manifest` is the imported text.)
    pub(super) fn edits(
        &mut self,
        candidates: Candidates,
        (a, bodies, doc): Checked,
        manifest: &str,
        reclaim: crate::Reclaim,
    ) {
        let core = crate::lower::core::lower(&a, &bodies);
        // A round trip: the flow compiles to the imported text itself, so every step is
        // what its `meta` compiles to (equal texts load to equal data). Writing the text
        // costs a fifth of building and comparing the data below; it is compared as it is
        // written, never held whole.
        let mut same = crate::emit::SameAs::new(manifest);
        if crate::emit::yaml::emit_into(&a, &core, &mut same).is_ok() && same.whole() {
            reclaim.release(core);
            reclaim.release((candidates, doc, a, bodies));
            return;
        }
        // (The flow's document is freed first: the data below reuses its memory.)
        drop(doc);
        // The manifest the flow compiles to, as data (what its YAML loads back to).
        let again = crate::emit::yaml::manifest(&a, &core);
        reclaim.release(core);
        let compiled = steps_by_node(again, reclaim);
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
        reclaim.release((compiled, candidates, a, bodies));
    }
}

/// The manifest's steps as `edits` compares them (stripped, per node), moved out of the
/// manifest (nothing is copied) before the rest of it is dropped: import does not hold
/// the whole manifest while it recompiles the flow (docs/limits.md, "Memory"). The steps
/// are those [`Importer::walk`] collects, in its order; it found no problem in them
/// (else there is no flow to check).
pub(super) fn candidates(mut manifest: Value) -> Candidates {
    /// Each step of a list, then (when scaiflow wrote it: it has `meta`) its nested
    /// steps, depth-first, as `walk` visits them.
    fn take(list: Vec<Value>, path: &[PathSeg], out: &mut Candidates) {
        for (i, mut step) in list.into_iter().enumerate() {
            let p = join(path, PathSeg::Index(i));
            let mut nested: Vec<(Vec<PathSeg>, Vec<Value>)> = Vec::new();
            if let Some(m) = step.as_object_mut()
                && m.contains_key("meta")
            {
                for kw in BRANCHING {
                    if let Some(Value::Object(b)) = m.get_mut(kw)
                        && let Some(Value::Array(branches)) = b.get_mut("branches")
                    {
                        let bp = join(&join(&p, key(kw)), key("branches"));
                        for (j, br) in branches.iter_mut().enumerate() {
                            if let Some(Value::Array(inner)) = br.get_mut("steps") {
                                let sp = join(&join(&bp, PathSeg::Index(j)), key("steps"));
                                nested.push((sp, std::mem::take(inner)));
                            }
                        }
                    }
                }
                for kw in LOOPING {
                    if let Some(Value::Object(l)) = m.get_mut(kw)
                        && let Some(Value::Array(inner)) = l.get_mut("steps")
                    {
                        let sp = join(&join(&p, key(kw)), key("steps"));
                        nested.push((sp, std::mem::take(inner)));
                    }
                }
            }
            // (The nested lists taken out are among what stripping removes.)
            if let Some(id) = own_node(&step).map(str::to_string) {
                let list = out.by_node.entry(id.clone()).or_insert_with(|| {
                    out.order.push(id);
                    Vec::new()
                });
                list.push((p, strip(step)));
            }
            for (sp, inner) in nested {
                take(inner, &sp, out);
            }
        }
    }
    let mut out = Candidates::default();
    let flows_path = vec![key("core"), key("flows")];
    if let Some(Value::Array(flows)) = manifest.get_mut("core").and_then(|c| c.get_mut("flows")) {
        for (i, f) in flows.iter_mut().enumerate() {
            let sp = join(&join(&flows_path, PathSeg::Index(i)), key("steps"));
            if let Some(Value::Array(list)) = f.get_mut("steps") {
                take(std::mem::take(list), &sp, &mut out);
            }
        }
    }
    out
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
/// own). Takes the step: nothing is copied, the work is the step's own level, linear in
/// the manifest however deep it nests (`docs/limits.md`). (Keys are removed in place,
/// keeping the others' order: the first key names the step in a warning.)
fn strip(mut step: Value) -> Value {
    let Some(m) = step.as_object_mut() else {
        return step;
    };
    m.shift_remove("meta");
    for (k, v) in m.iter_mut() {
        let Some(o) = v.as_object_mut() else { continue };
        if !(BRANCHING.contains(&k.as_str()) || LOOPING.contains(&k.as_str())) {
            continue;
        }
        o.shift_remove("steps");
        if let Some(Value::Array(bs)) = o.get_mut("branches") {
            for b in bs.iter_mut().filter_map(Value::as_object_mut) {
                b.shift_remove("steps");
            }
        }
    }
    step
}

/// Each node's own step in a manifest, stripped ([`strip`]), by node id (the first, when
/// several flows run it). Takes the manifest: its steps are moved, not copied.
fn steps_by_node(mut manifest: Value, reclaim: crate::Reclaim) -> HashMap<String, Value> {
    fn walk(list: Vec<Value>, out: &mut HashMap<String, Value>) {
        for mut step in list {
            // The nested lists first (all of them are among what stripping removes).
            let mut nested: Vec<Vec<Value>> = Vec::new();
            for kw in BRANCHING {
                if let Some(Value::Array(bs)) = step.get_mut(kw).and_then(|d| d.get_mut("branches"))
                {
                    for b in bs.iter_mut() {
                        if let Some(Value::Array(inner)) = b.get_mut("steps") {
                            nested.push(std::mem::take(inner));
                        }
                    }
                }
            }
            for kw in LOOPING {
                if let Some(Value::Array(inner)) = step.get_mut(kw).and_then(|l| l.get_mut("steps"))
                {
                    nested.push(std::mem::take(inner));
                }
            }
            if let Some(id) = own_node(&step).map(str::to_string) {
                out.entry(id).or_insert_with(|| strip(step));
            }
            for inner in nested {
                walk(inner, out);
            }
        }
    }
    let mut out = HashMap::new();
    if let Some(Value::Array(flows)) = manifest.get_mut("core").and_then(|c| c.get_mut("flows")) {
        for f in flows.iter_mut() {
            if let Some(Value::Array(list)) = f.get_mut("steps") {
                walk(std::mem::take(list), &mut out);
            }
        }
    }
    reclaim.release(manifest);
    out
}
