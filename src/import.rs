//! `scaiflow import` (spec §9): a YAML deploy manifest back to flow JSON.
//!
//! A manifest scaiflow emitted (`scaiflow_meta`, and `meta` on every step) is rebuilt
//! losslessly from the `meta` records: nodes, labels, configs, ports and edges, the model
//! registry, source linkage, deploy intents, plugins, variables — everything but node
//! positions, which come from auto-layout. A hand-written manifest is not mapped
//! heuristically: its steps land verbatim in `metadata.unknown_steps`. Either way the flow
//! is validated before anything is written, and every diagnostic points into the YAML.
//! See `docs/import.md`.

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{Map, Value, json};

use crate::diagnostics::{Code, Diagnostic, PathSeg, Severity};
use crate::load::SourceFile;

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
    crate::verify::on_large_stack(|| import_here(source))
}

/// How deep a manifest may nest (a flow nests at most `lower::MAX_NESTING` blocks, up to
/// seven YAML levels each, and 127 levels of config).
const MAX_YAML_DEPTH: usize = 2048;

/// How large a manifest may be: a flow at the 16 MiB input limit, nested deeply, compiles
/// to a manifest several times its size (indentation, `meta` records).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    budget.max_nodes = 4_000_000;
    budget.max_events = 8_000_000;
    // Emitted manifests have no anchors; hand-written ones need few. An alias bomb needs
    // many, or many replayed events.
    budget.max_anchors = 1_000;
    budget.max_aliases = 10_000;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_recorded_anchor_bytes = 4 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

fn error_at(code: Code, message: String, span: Option<Range<usize>>) -> Diagnostic {
    let d = Diagnostic::new(code, message);
    match span {
        Some(s) => d.byte_span(s),
        None => d,
    }
}

fn import_here(source: &SourceFile) -> ImportOutcome {
    let text = &source.text;
    let doc: Value = match serde_saphyr::from_str_with_options(text, yaml_options()) {
        Ok(v) => v,
        Err(e) => {
            let span = e.location().and_then(|l| {
                let s = l.span();
                match s.byte_offset() {
                    Some(o) => Some(o as usize..(o + s.byte_len().unwrap_or(1).max(1)) as usize),
                    None => {
                        offset_of(text, l.line() as usize, l.column() as usize).map(|o| o..o + 1)
                    }
                }
            });
            let raw = e.to_string();
            let mut first = raw.lines().next().unwrap_or("").trim().to_string();
            // The location is the diagnostic's own; drop the parser's copy of it.
            if let Some(i) = first.rfind(" at line ") {
                first.truncate(i);
            }
            let (code, message) = if let Some(what) = first.strip_prefix("budget breached: ") {
                (
                    Code::YamlBudget,
                    format!(
                        "the manifest is too costly to load: {}",
                        budget_reason(what)
                    ),
                )
            } else if first.contains("from_str_multiple") {
                (
                    Code::YamlSyntax,
                    "invalid YAML: the manifest holds several documents (`---`); it must be exactly one".into(),
                )
            } else if first.contains("Option<") {
                (
                    Code::YamlSyntax,
                    "invalid YAML: a mapping key is null (`~` or empty); keys are strings".into(),
                )
            } else if first.contains("budget")
                || first.contains("replay")
                || first.contains("limit")
            {
                (
                    Code::YamlBudget,
                    "the manifest is too costly to load: its aliases expand beyond the loading budget (an alias bomb)".into(),
                )
            } else if first.contains("recursion limit exceeded") {
                (
                    Code::YamlBudget,
                    "the manifest is too costly to load: it nests too deeply (`[ ]` / `{ }` collections nest at most 255 levels)".into(),
                )
            } else if let Some(k) = first.strip_prefix("duplicate mapping key: ") {
                let k = k.split(", set DuplicateKeyPolicy").next().unwrap_or(k);
                (
                    Code::YamlSyntax,
                    format!("invalid YAML: duplicate key `{k}`"),
                )
            } else {
                (Code::YamlSyntax, format!("invalid YAML: {first}"))
            };
            return ImportOutcome {
                flow: None,
                diagnostics: vec![error_at(code, message, span)],
            };
        }
    };
    let mut imp = Importer { diags: Vec::new() };
    let flow = imp.flow(&doc);
    let text_out = flow.as_ref().map(|flow| {
        let text_out = serde_json::to_string_pretty(&flow.doc).unwrap_or_default() + "\n";
        let analyzed = imp.validate(&text_out, flow);
        if let Some(a) = analyzed.filter(|_| flow.emitted) {
            imp.edits(&doc, &a);
        }
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

/// Which loading budget a manifest exceeded, in words.
fn budget_reason(what: &str) -> String {
    let name = what.split([' ', '{', '(']).next().unwrap_or(what);
    match name {
        "RecordedAnchorEvents" | "RecordedAnchorBytes" => {
            "its aliases would replay more than 100,000 events (an alias bomb)".into()
        }
        "Aliases" => "it uses more than 10,000 aliases".into(),
        "Anchors" => "it defines more than 1,000 anchors".into(),
        "Depth" => format!("it nests deeper than {MAX_YAML_DEPTH} levels"),
        "Nodes" | "Events" => "it holds more than 4,000,000 values".into(),
        "AliasAnchorRatio" => "it uses far more aliases than anchors (an alias bomb)".into(),
        other => format!("the {other} limit was reached"),
    }
}

/// The byte offset of a 1-based line and column (in characters), if the text has it.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some((start + col).min(text.len().saturating_sub(1)))
}

/// The imported flow and where its parts came from.
struct Imported {
    doc: Value,
    /// Whether the manifest was emitted by scaiflow (has `scaiflow_meta`).
    emitted: bool,
    /// Node id → the YAML path of the record it was rebuilt from.
    node_origin: HashMap<String, Vec<PathSeg>>,
    /// Edge id → the YAML path of the edge.
    edge_origin: HashMap<String, Vec<PathSeg>>,
    /// Where flow-level problems point (`scaiflow_meta`, or `core`).
    flow_origin: Vec<PathSeg>,
}

struct Importer {
    /// Each diagnostic with the YAML path it points at (located at the end).
    diags: Vec<(Diagnostic, Option<Vec<PathSeg>>)>,
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

fn join(path: &[PathSeg], seg: PathSeg) -> Vec<PathSeg> {
    let mut p = path.to_vec();
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
        match sm {
            Some(sm) => self.emitted(sm, &meta_path, &steps),
            None => Some(self.handwritten(core, &core_path, &steps)),
        }
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

    /// Rebuilds a manifest scaiflow emitted.
    fn emitted(
        &mut self,
        sm: &Map<String, Value>,
        sm_path: &[PathSeg],
        steps: &[(Vec<PathSeg>, &Value)],
    ) -> Option<Imported> {
        let mut records: Vec<(Vec<PathSeg>, &Map<String, Value>)> = Vec::new();
        let mut unknown: Vec<Value> = Vec::new();
        let entries_path = join(sm_path, key("entries"));
        for (i, e) in self
            .list(sm.get("entries"), &entries_path, "`entries`")
            .iter()
            .enumerate()
        {
            let p = join(&entries_path, PathSeg::Index(i));
            if let Some(m) = self.mapping(Some(e), &p, "an entry record") {
                records.push((p, m));
            }
        }
        for (p, step) in steps {
            let Some(m) = step.as_object() else {
                unknown.push((*step).clone());
                continue;
            };
            match m.get("meta") {
                None => unknown.push((*step).clone()),
                Some(meta) => {
                    let mp = join(p, key("meta"));
                    if let Some(meta) = self.mapping(Some(meta), &mp, "a step's `meta`")
                        && !meta.contains_key("synthetic")
                    {
                        records.push((mp, meta));
                    }
                }
            }
        }
        let detached_path = join(sm_path, key("detached"));
        for (i, d) in self
            .list(sm.get("detached"), &detached_path, "`detached`")
            .iter()
            .enumerate()
        {
            let p = join(&detached_path, PathSeg::Index(i));
            if let Some(m) = self.mapping(Some(d), &p, "a detached record") {
                records.push((p, m));
            }
        }
        // Nodes, first record of each id (a node reached from two flows has two steps).
        let mut nodes: Vec<(String, Value)> = Vec::new();
        let mut edges: Vec<(String, Value)> = Vec::new();
        let mut node_origin = HashMap::new();
        let mut edge_origin = HashMap::new();
        for (path, meta) in records {
            let str_of = |k: &str| meta.get(k).and_then(Value::as_str);
            let (Some(id), Some(kind)) = (str_of("node_id"), str_of("node_kind")) else {
                self.error(
                    Code::ManifestShape,
                    &path,
                    format!(
                        "{}: a meta record needs `node_id` and `node_kind` strings",
                        show(&path)
                    ),
                );
                continue;
            };
            if node_origin.contains_key(id) {
                continue;
            }
            let mut node = Map::new();
            node.insert("id".into(), id.into());
            node.insert("type".into(), kind.into());
            node.insert(
                "label".into(),
                meta.get("node_label").cloned().unwrap_or(Value::Null),
            );
            let y = LAYOUT_STEP * nodes.len() as u64;
            node.insert("position".into(), json!({"x": 0, "y": y}));
            if meta.get("node_config_absent") != Some(&Value::Bool(true)) {
                node.insert(
                    "config".into(),
                    meta.get("node_config")
                        .cloned()
                        .unwrap_or_else(|| json!({})),
                );
            }
            if let Some(p) = meta.get("node_inputs") {
                node.insert("inputs".into(), p.clone());
            }
            if let Some(p) = meta.get("node_outputs") {
                node.insert("outputs".into(), p.clone());
            }
            let ep = join(&path, key("node_edges"));
            for (j, e) in self
                .list(meta.get("node_edges"), &ep, "`node_edges`")
                .iter()
                .enumerate()
            {
                let eid = e
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if !edge_origin.contains_key(&eid) {
                    edge_origin.insert(eid.clone(), join(&ep, PathSeg::Index(j)));
                    edges.push((eid, e.clone()));
                }
            }
            node_origin.insert(id.to_string(), path);
            nodes.push((id.to_string(), Value::Object(node)));
        }
        // Declaration order, when the manifest says it.
        let order = |key: &str, items: &mut Vec<(String, Value)>| {
            let Some(ids) = sm.get(key).and_then(Value::as_array) else {
                return;
            };
            let rank: HashMap<&str, usize> = ids
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (s, i)))
                .collect();
            items.sort_by_key(|(id, _)| rank.get(id.as_str()).copied().unwrap_or(usize::MAX));
        };
        order("node_order", &mut nodes);
        order("edge_order", &mut edges);

        // The top level, in the flow's own key order.
        let get = |k: &str| sm.get(k).cloned();
        let mut config = get("config");
        let models: Option<Vec<Value>> = sm.get("models").and_then(Value::as_array).map(|ms| {
            ms.iter()
                .map(|m| match m {
                    // (An entry that kept `ref` had a `provider` key of its own.)
                    Value::Object(o) if !o.contains_key("ref") => Value::Object(
                        o.iter()
                            .map(|(k, x)| {
                                (
                                    if k == "provider" {
                                        "ref".into()
                                    } else {
                                        k.clone()
                                    },
                                    x.clone(),
                                )
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                })
                .collect()
        });
        // The documented registry and deploy intents win over the copy in `config`.
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
        let mut metadata = get("metadata");
        if !unknown.is_empty() {
            self.warn(
                Code::UnknownSteps,
                sm_path,
                format!(
                    "{} step{} without `meta` (written by hand) kept verbatim in metadata.unknown_steps, not mapped to nodes",
                    unknown.len(),
                    if unknown.len() == 1 { "" } else { "s" }
                ),
            );
            let md = metadata.get_or_insert_with(|| json!({}));
            if let Some(md) = md.as_object_mut() {
                // Steps kept by an earlier import come first.
                match md.get_mut("unknown_steps") {
                    Some(Value::Array(old)) => old.extend(unknown),
                    _ => {
                        md.insert("unknown_steps".into(), Value::Array(unknown));
                    }
                }
            }
        }
        let default_keys = [
            "$schema",
            "id",
            "name",
            "version",
            "scaicore_target",
            "metadata",
            "nodes",
            "edges",
            "variables",
            "config",
            "tests",
        ];
        let mut keys: Vec<String> = sm
            .get("flow_keys")
            .and_then(Value::as_array)
            .map(|ks| {
                ks.iter()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_else(|| default_keys.iter().map(|k| k.to_string()).collect());
        // Parts the import adds (unknown steps, a registry) need their key.
        for (k, present) in [
            ("metadata", metadata.is_some()),
            ("config", config.is_some()),
        ] {
            if present && !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
        let mut doc = Map::new();
        for k in keys {
            let v = match k.as_str() {
                "$schema" => get("schema"),
                "id" => get("source_id"),
                "name" => get("flow_name"),
                "version" => get("source_version"),
                "scaicore_target" => get("scaicore_target"),
                "metadata" => metadata.take(),
                "nodes" => Some(Value::Array(nodes.iter().map(|(_, n)| n.clone()).collect())),
                "edges" => Some(Value::Array(edges.iter().map(|(_, e)| e.clone()).collect())),
                "variables" => get("variables"),
                "config" => config.take(),
                "tests" => get("tests"),
                _ => None,
            };
            if let Some(v) = v {
                doc.insert(k, v);
            }
        }
        Some(Imported {
            doc: Value::Object(doc),
            emitted: true,
            node_origin,
            edge_origin,
            flow_origin: sm_path.to_vec(),
        })
    }

    /// A hand-written manifest: its triggers become entry nodes, its steps are kept
    /// verbatim in `metadata.unknown_steps`, `core.model` becomes a one-entry registry.
    fn handwritten(
        &mut self,
        core: &Map<String, Value>,
        core_path: &[PathSeg],
        steps: &[(Vec<PathSeg>, &Value)],
    ) -> Imported {
        // Only values the v2 schema accepts are mapped; the manifest's `core` (without its
        // steps) rides along verbatim in `metadata.unknown_core`, so nothing is lost.
        let str_of = |k: &str| {
            core.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
        };
        let name = str_of("name").unwrap_or_else(|| "imported-flow".into());
        let persona = core
            .get("identity")
            .and_then(|i| i.get("persona"))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string);
        let mut doc = Map::new();
        doc.insert("id".into(), name.clone().into());
        doc.insert(
            "name".into(),
            persona.clone().unwrap_or(name.clone()).into(),
        );
        doc.insert("version".into(), HANDWRITTEN_VERSION.into());
        if let Some(rv) = str_of("runtime_version").filter(|v| {
            v.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
            })
        }) {
            doc.insert("scaicore_target".into(), rv.into());
        }
        let mut metadata = Map::new();
        let unknown: Vec<Value> = steps.iter().map(|(_, s)| (*s).clone()).collect();
        let rest: Map<String, Value> = core
            .iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                if k == "flows"
                    && let Some(fs) = v.as_array_mut()
                {
                    for f in fs.iter_mut().filter_map(Value::as_object_mut) {
                        f.remove("steps");
                    }
                }
                (k.clone(), v)
            })
            .collect();
        let mut nodes = Vec::new();
        let mut node_origin = HashMap::new();
        let mut unknown_triggers = Vec::new();
        let flows_path = join(core_path, key("flows"));
        for (i, f) in core
            .get("flows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let fp = join(&flows_path, PathSeg::Index(i));
            let mut triggers: Vec<(Vec<PathSeg>, &Value)> = Vec::new();
            if let Some(t) = f.get("trigger") {
                triggers.push((join(&fp, key("trigger")), t));
            }
            let ap = join(&fp, key("additional_triggers"));
            for (j, t) in f
                .get("additional_triggers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                triggers.push((join(&ap, PathSeg::Index(j)), t));
            }
            for (tp, t) in triggers {
                let ty = t.get("type").and_then(Value::as_str).unwrap_or_default();
                let (kind, allowed): (&str, &[&str]) = match ty {
                    "api" => ("entry_api", &["method", "path"]),
                    "webhook" => ("entry_webhook", &["method", "path"]),
                    "schedule" => ("entry_schedule", &["cron", "timezone"]),
                    _ => {
                        unknown_triggers.push(t.clone());
                        continue;
                    }
                };
                // Settings the entry kind accepts, with values its schema accepts.
                let config: Map<String, Value> = t
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| allowed.contains(&k.as_str()) && entry_setting_ok(k, v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let id = format!("node_trigger_{}", nodes.len() + 1);
                let y = LAYOUT_STEP * nodes.len() as u64;
                nodes.push(
                    json!({"id": id, "type": kind, "label": format!("{ty} trigger"),
                    "position": {"x": 0, "y": y}, "config": config}),
                );
                node_origin.insert(id, tp);
            }
        }
        if !unknown.is_empty() {
            self.warn(
                Code::UnknownSteps,
                core_path,
                format!(
                    "hand-written manifest: {} step{} kept verbatim in metadata.unknown_steps, not mapped to nodes",
                    unknown.len(),
                    if unknown.len() == 1 { "" } else { "s" }
                ),
            );
            metadata.insert("unknown_steps".into(), Value::Array(unknown));
        }
        if !unknown_triggers.is_empty() {
            metadata.insert("unknown_triggers".into(), Value::Array(unknown_triggers));
        }
        if !rest.is_empty() {
            metadata.insert("unknown_core".into(), Value::Object(rest));
        }
        if nodes.is_empty() {
            self.warn(
                Code::UnknownSteps,
                core_path,
                "the imported flow has no entry node (the manifest has no api, webhook or schedule trigger); add one on the canvas".into(),
            );
        }
        if !metadata.is_empty() {
            doc.insert("metadata".into(), Value::Object(metadata));
        }
        doc.insert("nodes".into(), Value::Array(nodes));
        doc.insert("edges".into(), json!([]));
        let mut config = Map::new();
        if let Some(model) = str_of("model") {
            match model.split_once('/') {
                Some((provider, rest)) if !provider.is_empty() && !rest.is_empty() => {
                    let mut ci = Map::new();
                    if let Some(p) = &persona {
                        ci.insert("name".into(), p.clone().into());
                    }
                    ci.insert(
                        "models".into(),
                        json!([{"role": "primary", "ref": provider, "model": rest}]),
                    );
                    config.insert("core_identity".into(), Value::Object(ci));
                }
                _ => self.warn(
                    Code::UnknownSteps,
                    &join(core_path, key("model")),
                    format!("`core.model` '{model}' is not `<provider>/<model>`; no model registry is imported"),
                ),
            }
        }
        let plugins: Vec<Value> = core
            .get("plugins")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let alias = p.get("alias")?.as_str()?;
                if !crate::model::is_identifier(alias) {
                    return None;
                }
                let mut m = Map::new();
                m.insert("alias".into(), alias.into());
                if let Some(e) = p
                    .get("endpoint")
                    .and_then(Value::as_str)
                    .filter(|e| !e.trim().is_empty())
                {
                    m.insert("endpoint".into(), e.into());
                }
                if let Some(pkg) = p
                    .get("package")
                    .and_then(Value::as_str)
                    .filter(|p| package_ok(p))
                {
                    m.insert("package".into(), pkg.into());
                }
                Some(Value::Object(m))
            })
            .collect();
        if !plugins.is_empty() {
            config.insert("plugins".into(), plugins.into());
        }
        if !config.is_empty() {
            doc.insert("config".into(), Value::Object(config));
        }
        Imported {
            doc: Value::Object(doc),
            emitted: false,
            node_origin,
            edge_origin: HashMap::new(),
            flow_origin: core_path.to_vec(),
        }
    }

    /// Validates the imported flow (schema, analyze, structure); its diagnostics point at
    /// the YAML the offending part came from.
    /// Returns the analyzed flow when it has no error.
    fn validate(&mut self, text: &str, flow: &Imported) -> Option<crate::analyze::AnalyzedFlow> {
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

    /// Warns about steps edited after compilation: each step of the manifest is compared
    /// with the step its `meta` compiles to; where they differ, the edit is not imported.
    fn edits(&mut self, manifest: &Value, a: &crate::analyze::AnalyzedFlow) {
        // The manifest the flow compiles to, as data (what its YAML loads back to).
        let Ok(bodies) = crate::lower::structure(a) else {
            return;
        };
        let again = crate::emit::yaml::manifest(a, &crate::lower::core::lower(a, &bodies));
        let compiled = steps_by_node(&again);
        let mut seen = std::collections::HashSet::new();
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
        for (path, step) in steps {
            let Some(id) = own_node(step) else { continue };
            if !seen.insert(id.to_string()) {
                continue;
            }
            let Some(want) = compiled.get(id) else {
                continue;
            };
            if strip(step) != strip(want) {
                let keyword = step
                    .as_object()
                    .and_then(|m| m.keys().find(|k| *k != "meta"))
                    .cloned()
                    .unwrap_or_default();
                self.warn(
                    Code::ManifestEdited,
                    &path,
                    format!(
                        "the `{keyword}` step of node '{id}' differs from what its `meta` compiles to (edited after compilation?); import rebuilds the node from `meta`, so the edit is not imported"
                    ),
                );
            }
        }
    }
}

/// Whether a trigger setting has a value the entry's schema accepts.
fn entry_setting_ok(key: &str, v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    match key {
        "method" => matches!(s, "GET" | "POST" | "PUT" | "PATCH" | "DELETE"),
        "path" => s.starts_with('/'),
        "cron" => crate::analyze::cron::validate(s).is_ok(),
        "timezone" => !s.trim().is_empty(),
        _ => false,
    }
}

/// `vendor/name[@version]`, as the v2 schema wants a package reference.
fn package_ok(p: &str) -> bool {
    let (name, version) = match p.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (p, None),
    };
    let part = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
            })
    };
    name.split_once('/')
        .is_some_and(|(a, b)| part(a) && part(b))
        && version.is_none_or(|v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        })
}

/// The node a step is the node's own step of (not a synthetic one).
fn own_node(step: &Value) -> Option<&str> {
    let meta = step.get("meta")?;
    if meta.get("synthetic").is_some() {
        return None;
    }
    meta.get("node_id")?.as_str()
}

/// A step without its `meta`, and without nested steps (each of those is compared on its
/// own).
fn strip(step: &Value) -> Value {
    let Some(m) = step.as_object() else {
        return step.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        if k == "meta" {
            continue;
        }
        let v = if BRANCHING.contains(&k.as_str()) || LOOPING.contains(&k.as_str()) {
            let mut inner = v.clone();
            if let Some(o) = inner.as_object_mut() {
                o.remove("steps");
                if let Some(Value::Array(bs)) = o.get_mut("branches") {
                    for b in bs {
                        if let Some(b) = b.as_object_mut() {
                            b.remove("steps");
                        }
                    }
                }
            }
            inner
        } else {
            v.clone()
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// Each node's own step in a manifest, by node id (the first, when several flows run it).
fn steps_by_node(manifest: &Value) -> HashMap<String, Value> {
    fn walk(list: &[Value], out: &mut HashMap<String, Value>) {
        for step in list {
            if let Some(id) = own_node(step) {
                out.entry(id.to_string()).or_insert_with(|| step.clone());
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

/// Where values of a YAML document are: for a mapping entry its key, for a list item the
/// item itself. Built from the parser's events in one pass that follows only the paths
/// asked for (and their ancestors), skipping every other subtree in constant time per
/// event, so locating a few diagnostics costs one linear scan however deep the document.
pub struct YamlIndex(HashMap<Vec<PathSeg>, Range<usize>>);

enum Frame {
    Map { key: Option<(String, Range<usize>)> },
    Seq { index: usize },
}

impl YamlIndex {
    /// Locates `wanted` paths (and their ancestors, for the nearest-ancestor fallback).
    pub fn locate(text: &str, wanted: &[Vec<PathSeg>]) -> YamlIndex {
        use serde_saphyr::granit_parser::{Event, Parser};
        let mut prefixes: std::collections::HashSet<&[PathSeg]> = std::collections::HashSet::new();
        for w in wanted {
            for n in 0..=w.len() {
                prefixes.insert(&w[..n]);
            }
        }
        let mut out = HashMap::new();
        if prefixes.is_empty() {
            return YamlIndex(out);
        }
        let mut parser = Parser::new_from_str(text);
        // Containers being followed; `skip` counts the depth inside a subtree no wanted
        // path enters.
        let mut stack: Vec<Frame> = Vec::new();
        let mut path: Vec<PathSeg> = Vec::new();
        let mut skip = 0usize;
        let targets: std::collections::HashSet<&[PathSeg]> =
            wanted.iter().map(Vec::as_slice).collect();
        let mut found = 0usize;
        let byte = |m: &serde_saphyr::granit_parser::Marker| m.byte_offset().unwrap_or(0);
        while let Some(Ok((event, span))) = parser.next_event() {
            // Every wanted path located (ancestors come first): the rest is not needed.
            if found == targets.len() {
                break;
            }
            let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
            let closes = matches!(event, Event::MappingEnd | Event::SequenceEnd);
            if skip > 0 {
                if opens {
                    skip += 1;
                } else if closes {
                    skip -= 1;
                    if skip == 0 {
                        advance(&mut stack);
                    }
                }
                continue;
            }
            if closes {
                if stack.pop().is_some() && !stack.is_empty() {
                    path.pop();
                }
                advance(&mut stack);
                continue;
            }
            let value = opens || matches!(event, Event::Scalar(..) | Event::Alias(_));
            if !value {
                continue;
            }
            let here = byte(&span.start)..byte(&span.end).max(byte(&span.start) + 1);
            // A scalar where a mapping wants a key is that key.
            if let (Some(Frame::Map { key: key @ None }), Event::Scalar(s, ..)) =
                (stack.last_mut(), &event)
            {
                *key = Some((s.to_string(), here));
                continue;
            }
            let (seg, at) = match stack.last() {
                Some(Frame::Map {
                    key: Some((k, span)),
                }) => (Some(PathSeg::Key(k.clone())), span.clone()),
                Some(Frame::Seq { index }) => (Some(PathSeg::Index(*index)), here.clone()),
                // A complex key, or the document root.
                Some(Frame::Map { key: None }) | None => (None, here.clone()),
            };
            if let Some(s) = &seg {
                path.push(s.clone());
            }
            let known = prefixes.contains(path.as_slice());
            if known && !out.contains_key(&path) {
                if targets.contains(path.as_slice()) {
                    found += 1;
                }
                out.insert(path.clone(), at);
            }
            if opens && known && (seg.is_some() || stack.is_empty()) {
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Map { key: None }
                } else {
                    Frame::Seq { index: 0 }
                });
                continue;
            }
            if seg.is_some() {
                path.pop();
            }
            if opens {
                skip = 1;
            } else {
                advance(&mut stack);
            }
        }
        YamlIndex(out)
    }

    /// The span of `path`, or of its nearest ancestor the index knows.
    pub fn span(&self, path: &[PathSeg]) -> Option<Range<usize>> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.0.get(&path[..n]).cloned())
    }
}

/// After a value: the next list index, or a mapping's next key.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Seq { index }) => *index += 1,
        Some(Frame::Map { key }) => *key = None,
        None => {}
    }
}
