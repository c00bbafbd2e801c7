//! `scaiflow import` (spec §9): a YAML deploy manifest back to flow JSON.
//!
//! A step with a valid `meta` record is a node; the flow is rebuilt from the documented
//! keys (step `meta`, `scaiflow_meta`'s source linkage, deploy intents and registry, the
//! triggers, `core`'s plugins, capabilities and queues) and the step structure (edges),
//! refined by scaiflow's own keys where the manifest has them (exact edges, declaration
//! order, key order, positions). A hand-written manifest — no `meta` anywhere, no
//! `scaiflow_meta` — is not mapped heuristically: its steps land verbatim in
//! `metadata.unknown_steps`. Either way the flow is validated before anything is written,
//! and every diagnostic points into the YAML. See `docs/import.md`.
//!
//! - `yaml`: reading the manifest, locating values in its text;
//! - `documented`: the rebuild from the documented keys (nodes, triggers, config);
//! - `meta`: scaiflow's own refinements (entry and detached records, `node_edges`, orders);
//! - `structure`: edges from the step structure;
//! - `layout`: node positions;
//! - `hand_written`: manifests without `meta`;
//! - `check`: validation of the result, steps edited after compilation.

mod check;
mod documented;
mod faithful;
mod hand_written;
mod layout;
mod meta;
mod structure;
mod yaml;

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::diagnostics::{Code, Diagnostic, PathSeg, Severity};
use crate::load::SourceFile;

pub use yaml::{MAX_MANIFEST_BYTES, YamlIndex};

/// Vertical distance between auto-laid-out nodes, in canvas pixels.
pub const LAYOUT_STEP: u64 = 120;

/// The version a hand-written manifest's flow gets (manifests carry none).
pub const HANDWRITTEN_VERSION: &str = "1.0.0";

/// The result of an import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The flow JSON text (pretty, ending in a newline) when there is no error.
    pub flow: Option<String>,
    /// Errors and warnings, located in the manifest.
    pub diagnostics: Vec<Diagnostic>,
}

/// Imports a manifest. The work runs on a large stack: YAML and JSON nest as deep as the
/// flows they describe.
pub fn import_manifest(source: &SourceFile) -> ImportOutcome {
    import_manifest_with(
        source,
        crate::limits::Limits::default(),
        crate::Reclaim::Free,
    )
}

/// [`import_manifest`] under other limits (`--max-input-size`: the YAML loading budget
/// grows with it, as the manifests `compile` may write do), freeing its big intermediate
/// trees (the manifest, the flow's document and analysis, the recompiled steps) or leaving
/// them to the process's exit.
pub fn import_manifest_with(
    source: &SourceFile,
    limits: crate::limits::Limits,
    reclaim: crate::Reclaim,
) -> ImportOutcome {
    crate::verify::on_large_stack(|| import_here(source, limits, reclaim))
}

fn import_here(
    source: &SourceFile,
    limits: crate::limits::Limits,
    reclaim: crate::Reclaim,
) -> ImportOutcome {
    let text = &source.text;
    // A manifest as `compile` writes it: the fast reader's value is rebuilt into a flow
    // while a second thread checks that value (the writer writes it back as the text);
    // both only read it. Anything else, or a value the check refuses, is read by
    // serde-saphyr and rebuilt.
    let fast = yaml::parse_fast(text, limits).and_then(|doc| {
        let ((imp, flow), checked) = crate::verify::beside(
            || yaml::written_back(&doc, text),
            || {
                let mut imp = Importer { diags: Vec::new() };
                let flow = imp.flow(&doc);
                (imp, flow)
            },
        );
        checked.then_some((doc, imp, flow))
    });
    let (doc, mut imp, flow) = match fast {
        Some(read) => read,
        None => match yaml::load(text, limits) {
            Ok(doc) => {
                let mut imp = Importer { diags: Vec::new() };
                let flow = imp.flow(&doc);
                (doc, imp, flow)
            }
            Err(d) => {
                return ImportOutcome {
                    flow: None,
                    diagnostics: vec![d],
                };
            }
        },
    };
    let want_edits = flow.as_ref().is_some_and(|f| f.check_edits);
    // What the edit check needs of the manifest is moved out of it, and the rest of the
    // manifest freed (docs/limits.md), before the flow is validated: validation reuses
    // that memory. (On this thread: freeing the manifest from a second thread while this
    // one validates contends for this thread's heap, glibc's arena, and slowed both by a
    // third; validating on the second thread instead cannot reuse the freed memory and
    // raised the peak by half.)
    // (Without the check the whole manifest is freed here: the closure holds it.)
    let candidates = want_edits.then(|| check::candidates(doc));
    // (The text is what is validated and written: no tree of the flow is built.)
    let checked = flow.map(|mut flow| {
        let text = std::mem::take(&mut flow.text);
        (imp.validate(text, &flow, reclaim), flow)
    });
    let text_out = checked.map(|((text_out, checked), flow)| {
        match (checked, candidates) {
            (Some(checked), Some(c)) => imp.edits(c, checked, text, reclaim),
            rest => reclaim.release(rest),
        }
        reclaim.release(flow);
        text_out
    });
    // Locate the diagnostics in the YAML: one pass over the parser's events, following
    // only the paths asked for.
    let wanted: Vec<Vec<PathSeg>> = imp.diags.iter().filter_map(|(_, p)| p.clone()).collect();
    let index = YamlIndex::locate(text, &wanted);
    let diagnostics: Vec<Diagnostic> = imp
        .diags
        .into_iter()
        .map(|(d, path)| match path.and_then(|p| index.span(&p)) {
            Some(span) => d.byte_span(span),
            None => d,
        })
        .collect();
    let ok = diagnostics.iter().all(|d| !d.is_error());
    ImportOutcome {
        flow: text_out.filter(|_| ok),
        diagnostics,
    }
}

/// The imported flow and where its parts came from.
struct Imported {
    /// The flow JSON text (pretty, ending in a newline).
    text: String,
    /// Whether the manifest has `scaiflow_meta` (a compiler's output): the analyze
    /// stage's errors stop the import. Without it the flow is a draft to finish on the
    /// canvas, and those findings are warnings.
    emitted: bool,
    /// Whether steps carry `meta` (compare them with what their `meta` compiles to).
    check_edits: bool,
    /// Node id → the YAML path of the record it was rebuilt from.
    node_origin: HashMap<String, Vec<PathSeg>>,
    /// Edge id → the YAML path of the edge.
    edge_origin: HashMap<String, Vec<PathSeg>>,
    /// Where flow-level problems point (`scaiflow_meta`, or `core`).
    flow_origin: Vec<PathSeg>,
}

/// A JSON value written from borrowed parts: serialised exactly as the `Value` it stands
/// for (same map and sequence calls, same lengths), so the flow's text is written without
/// first copying the manifest's values into a tree of its own.
enum Out<'v> {
    /// A value of the manifest's.
    Val(&'v Value),
    /// A value the import made.
    Own(Box<Value>),
    Str(&'v str),
    Map(Vec<(Cow<'v, str>, Out<'v>)>),
    List(Vec<Out<'v>>),
    /// The nodes, each written as its [`meta::NodeRec::to_out`] when its turn comes: one
    /// node's parts at a time, not every node's at once beside the manifest and the text.
    Nodes(&'v [(meta::NodeRec<'v>, Cow<'v, Value>)]),
}

impl<'v> Out<'v> {
    /// A value that is the manifest's or the import's own.
    fn of(v: Cow<'v, Value>) -> Self {
        match v {
            Cow::Borrowed(v) => Out::Val(v),
            Cow::Owned(v) => Out::Own(Box::new(v)),
        }
    }
}

impl serde::Serialize for Out<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Out::Val(v) => v.serialize(s),
            Out::Own(v) => v.serialize(s),
            Out::Str(v) => v.serialize(s),
            Out::Map(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k.as_ref(), v)?;
                }
                m.end()
            }
            Out::List(items) => {
                let mut l = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    l.serialize_element(v)?;
                }
                l.end()
            }
            Out::Nodes(nodes) => {
                let mut l = s.serialize_seq(Some(nodes.len()))?;
                for (n, position) in nodes.iter() {
                    l.serialize_element(&n.to_out(position))?;
                }
                l.end()
            }
        }
    }
}

/// The flow's text, as `scaiflow import` writes it: pretty JSON ending in a newline.
pub(super) fn flow_text(doc: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_default() + "\n"
}

struct Importer {
    /// Each diagnostic with the YAML path it points at (located at the end).
    diags: Vec<(Diagnostic, Option<Vec<PathSeg>>)>,
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

/// A manifest flow's triggers, with their paths: `trigger`, then `additional_triggers`.
fn triggers_of<'v>(flow: &'v Map<String, Value>, fp: &[PathSeg]) -> Vec<(Vec<PathSeg>, &'v Value)> {
    let mut triggers: Vec<(Vec<PathSeg>, &Value)> = Vec::new();
    if let Some(t) = flow.get("trigger") {
        triggers.push((join(fp, key("trigger")), t));
    }
    let ap = join(fp, key("additional_triggers"));
    for (j, t) in flow
        .get("additional_triggers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        triggers.push((join(&ap, PathSeg::Index(j)), t));
    }
    triggers
}

/// `path` and one more step, in a list of exactly that length (a copy then a push would
/// double it: the records keep one path per node and edge).
fn join(path: &[PathSeg], seg: PathSeg) -> Vec<PathSeg> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.extend_from_slice(path);
    p.push(seg);
    p
}

fn show(path: &[PathSeg]) -> String {
    crate::diagnostics::JsonPath(path.to_vec()).to_string()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The step keywords whose values hold nested steps: `decision` / `parallel` in
/// `branches[].steps`, the loops in `steps`.
const BRANCHING: [&str; 2] = ["decision", "parallel"];
const LOOPING: [&str; 2] = ["foreach", "while"];

impl Importer {
    fn error(&mut self, code: Code, path: &[PathSeg], message: String) {
        self.diags
            .push((Diagnostic::new(code, message), Some(path.to_vec())));
    }

    fn warn(&mut self, code: Code, path: &[PathSeg], message: String) {
        let mut d = Diagnostic::new(code, message);
        d.severity = Severity::Warning;
        self.diags.push((d, Some(path.to_vec())));
    }

    /// A value that must be a mapping (or absent when `optional`).
    fn mapping<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &[PathSeg],
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                self.error(
                    Code::ManifestShape,
                    path,
                    format!("{what} must be a mapping, found {}", kind_of(other)),
                );
                None
            }
            None => None,
        }
    }

    fn list<'v>(&mut self, v: Option<&'v Value>, path: &[PathSeg], what: &str) -> &'v [Value] {
        match v {
            Some(Value::Array(a)) => a,
            Some(other) => {
                self.error(
                    Code::ManifestShape,
                    path,
                    format!("{what} must be a list, found {}", kind_of(other)),
                );
                &[]
            }
            None => &[],
        }
    }

    fn flow(&mut self, doc: &Value) -> Option<Imported> {
        let root: Vec<PathSeg> = Vec::new();
        let Value::Object(top) = doc else {
            self.error(
                Code::ManifestShape,
                &root,
                format!(
                    "a manifest is a mapping with a `core` mapping; found {}",
                    kind_of(doc)
                ),
            );
            return None;
        };
        let core_path = vec![key("core")];
        let Some(core) = top.get("core") else {
            self.error(
                Code::ManifestShape,
                &root,
                "a manifest is a mapping with a `core` mapping; `core` is missing".into(),
            );
            return None;
        };
        let core = self.mapping(Some(core), &core_path, "`core`")?;
        let errors_before = self.diags.len();
        let flows_path = join(&core_path, key("flows"));
        let flows = self.list(core.get("flows"), &flows_path, "`core.flows`");
        // Every step, with its path; steps without `meta` are unknown.
        let mut steps: Vec<(Vec<PathSeg>, &Value)> = Vec::new();
        for (i, f) in flows.iter().enumerate() {
            let fp = join(&flows_path, PathSeg::Index(i));
            let Some(f) = self.mapping(Some(f), &fp, "a flow") else {
                continue;
            };
            let sp = join(&fp, key("steps"));
            let list = self.list(f.get("steps"), &sp, "a flow's `steps`");
            self.walk(list, &sp, &mut steps);
        }
        let meta_path = join(&core_path, key("scaiflow_meta"));
        let sm = self.mapping(core.get("scaiflow_meta"), &meta_path, "`scaiflow_meta`");
        if self.diags.len() > errors_before {
            return None;
        }
        // The line between known and unknown is drawn per step: any `meta` (or
        // `scaiflow_meta`) means the documented rebuild, where steps without `meta` are
        // the unknown ones.
        let any_meta = steps
            .iter()
            .any(|(_, s)| s.as_object().is_some_and(|m| m.contains_key("meta")));
        if sm.is_none() && !any_meta {
            return Some(self.handwritten(core, &core_path, &steps));
        }
        self.rebuild(core, &core_path, sm, &meta_path, &steps)
    }

    /// Collects the steps of a list, depth-first, in order.
    fn walk<'v>(
        &mut self,
        list: &'v [Value],
        path: &[PathSeg],
        out: &mut Vec<(Vec<PathSeg>, &'v Value)>,
    ) {
        for (i, step) in list.iter().enumerate() {
            let p = join(path, PathSeg::Index(i));
            out.push((p.clone(), step));
            let Some(m) = step.as_object() else {
                continue;
            };
            // Nested steps only inside steps scaiflow wrote (hand-written ones stay whole).
            if !m.contains_key("meta") {
                continue;
            }
            for kw in BRANCHING {
                if let Some(Value::Object(b)) = m.get(kw) {
                    let bp = join(&join(&p, key(kw)), key("branches"));
                    let branches = self.list(b.get("branches"), &bp, "`branches`");
                    for (j, br) in branches.iter().enumerate() {
                        let sp = join(&join(&bp, PathSeg::Index(j)), key("steps"));
                        let inner = self.list(br.get("steps"), &sp, "a branch's `steps`");
                        self.walk(inner, &sp, out);
                    }
                }
            }
            for kw in LOOPING {
                if let Some(Value::Object(l)) = m.get(kw) {
                    let sp = join(&join(&p, key(kw)), key("steps"));
                    let inner = self.list(l.get("steps"), &sp, "a loop's `steps`");
                    self.walk(inner, &sp, out);
                }
            }
        }
    }
}
