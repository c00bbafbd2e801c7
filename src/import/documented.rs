//! The rebuild from the documented keys (spec §6, §9): every step with a valid `meta` is a
//! node, the triggers are the entry nodes, the flow's config comes from `core` and
//! `scaiflow_meta`, the edges from the step structure. scaiflow's own keys refine it where
//! present (`meta.rs`). See `docs/import.md`.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::hand_written::package_ok;
use super::meta::{NodeRec, record_id, recorded_edges, registry, sort_by_order};
use super::structure::Structure;
use super::{HANDWRITTEN_VERSION, Imported, Importer, Out, faithful, join, key, layout};
use crate::diagnostics::{Code, Diagnostic, PathSeg};

/// The trigger types that are entry nodes, and their kinds.
fn entry_kind(trigger_type: &str) -> Option<&'static str> {
    match trigger_type {
        "api" => Some("entry_api"),
        "webhook" => Some("entry_webhook"),
        "schedule" => Some("entry_schedule"),
        _ => None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Importer {
    /// Rebuilds a manifest with `meta` on its steps or a `scaiflow_meta`.
    pub(super) fn rebuild(
        &mut self,
        core: &Map<String, Value>,
        core_path: &[PathSeg],
        sm: Option<&Map<String, Value>>,
        sm_path: &[PathSeg],
        steps: &[(Vec<PathSeg>, &Value)],
    ) -> Option<Imported> {
        let flows_path = join(core_path, key("flows"));
        let flows: Vec<(Vec<PathSeg>, &Map<String, Value>)> = core
            .get("flows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, f)| Some((join(&flows_path, PathSeg::Index(i)), f.as_object()?)))
            .collect();
        let core_name = core
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty());
        let mut nodes: Vec<NodeRec> = Vec::new();
        let mut unknown: Vec<Value> = Vec::new();
        let mut unknown_triggers: Vec<Value> = Vec::new();
        // Entry nodes, per flow.
        let mut flow_entries: Vec<Vec<String>> = vec![Vec::new(); flows.len()];
        if let Some(sm) = sm.filter(|s| s.contains_key("entries")) {
            for (rec, flow) in self.records(sm, sm_path, "entries", "an entry record") {
                if let Some(i) = flows.iter().position(|(_, f)| {
                    flow.is_some() && f.get("name").and_then(Value::as_str) == flow.as_deref()
                }) {
                    flow_entries[i].push(rec.id.clone());
                }
                nodes.push(rec);
            }
        } else {
            let used: std::collections::HashSet<String> = steps
                .iter()
                .filter_map(|(_, s)| s.get("meta")?.get("node_id")?.as_str().map(String::from))
                .collect();
            let mut generated = 0usize;
            for (i, (fp, f)) in flows.iter().enumerate() {
                let triggers = super::triggers_of(f, fp);
                // A fork right after the trigger names the first entry node in its `meta`.
                let fork = f
                    .get("steps")
                    .and_then(|s| s.get(0))
                    .and_then(|s| s.get("meta"))
                    .and_then(Value::as_object);
                for (n, (tp, t)) in triggers.into_iter().enumerate() {
                    let ty = t.get("type").and_then(Value::as_str).unwrap_or_default();
                    let Some(kind) = entry_kind(ty) else {
                        unknown_triggers.push(t.clone());
                        continue;
                    };
                    let from_fork = fork.filter(|m| {
                        n == 0 && m.get("node_kind").and_then(Value::as_str) == Some(kind)
                    });
                    let rec = match from_fork {
                        Some(m) => self.node_record(
                            m,
                            &join(&join(fp, key("steps")), PathSeg::Index(0)),
                            false,
                        ),
                        None => None,
                    };
                    let rec = rec.unwrap_or_else(|| {
                        let id = loop {
                            generated += 1;
                            let id = format!("node_trigger_{generated}");
                            if !used.contains(&id) {
                                break id;
                            }
                        };
                        // The entry's config is written beside `type`, verbatim.
                        let config: Map<String, Value> = t
                            .as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(k, _)| *k != "type")
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        // A further flow is named `<core>-<slug of its first entry's label>`.
                        let label = f
                            .get("name")
                            .and_then(Value::as_str)
                            .zip(core_name)
                            .filter(|_| i > 0 && n == 0)
                            .and_then(|(name, core)| name.strip_prefix(core)?.strip_prefix('-'))
                            .filter(|l| !l.is_empty())
                            .map_or_else(|| format!("{ty} trigger"), String::from);
                        NodeRec {
                            id,
                            kind: Cow::Owned(kind.into()),
                            label: Cow::Owned(label.into()),
                            config: Some(Cow::Owned(Value::Object(config))),
                            inputs: None,
                            outputs: None,
                            position: None,
                            edges: Vec::new(),
                            origin: tp.clone(),
                        }
                    });
                    flow_entries[i].push(rec.id.clone());
                    nodes.push(rec);
                }
            }
        }
        // Every step with a valid `meta` is a node (the first record of each id: a node
        // two flows run has two steps); synthetic steps are not nodes.
        let mut invalid = 0usize;
        let mut invalid_at: Option<Vec<PathSeg>> = None;
        for (p, step) in steps {
            let Some(m) = step.as_object() else {
                unknown.push((*step).clone());
                continue;
            };
            let Some(meta) = m.get("meta") else {
                unknown.push((*step).clone());
                continue;
            };
            let mp = join(p, key("meta"));
            let Some(meta) = self.mapping(Some(meta), &mp, "a step's `meta`") else {
                continue;
            };
            if meta.contains_key("synthetic") {
                continue;
            }
            if record_id(meta).is_none() {
                invalid += 1;
                invalid_at.get_or_insert(mp);
                unknown.push((*step).clone());
                continue;
            }
            if let Some(rec) = self.node_record(meta, &mp, false) {
                nodes.push(rec);
            }
        }
        if let Some(sm) = sm {
            for (rec, _) in self.records(sm, sm_path, "detached", "a detached record") {
                nodes.push(rec);
            }
        }
        // First record of each id.
        let mut seen = std::collections::HashSet::new();
        nodes.retain(|n| seen.insert(n.id.clone()));
        let kinds: HashMap<String, Value> = nodes
            .iter()
            .map(|n| (n.id.clone(), n.kind.clone().into_owned()))
            .collect();
        // Edges: scaiflow's records when the manifest has them, else the structure.
        let edges: Vec<(String, Cow<Value>, Vec<PathSeg>)> =
            if sm.is_some_and(|s| s.contains_key("edge_order")) {
                recorded_edges(&mut nodes)
            } else {
                let mut st = Structure::new(&kinds);
                let mut per_flow = Vec::new();
                for (i, (fp, f)) in flows.iter().enumerate() {
                    let sp = join(fp, key("steps"));
                    let list = f
                        .get("steps")
                        .and_then(Value::as_array)
                        .map_or(&[][..], Vec::as_slice);
                    st.flow(list, &sp, &flow_entries[i]);
                    per_flow.push((sp, list, flow_entries[i].clone()));
                }
                st.data(&per_flow);
                st.finish()
                    .into_iter()
                    .map(|(id, e, p)| (id, Cow::Owned(e), p))
                    .collect()
            };
        // Where one canvas cannot draw what the flows run (they share their edges): found
        // on a second thread while the rest of the flow is rebuilt and written (it only
        // reports; its diagnostics take their place in order).
        let diffs_at = self.diags.len();
        let (mut imported, diffs) = crate::verify::beside(
            || faithful::differences(&kinds, steps, &flow_entries, &edges),
            || {
                // Positions by step order, then declaration order.
                let placed: Vec<Cow<Value>> = nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| layout::position(n, i))
                    .collect();
                let mut nodes: Vec<(NodeRec, Cow<Value>)> = nodes.into_iter().zip(placed).collect();
                sort_by_order(sm, "node_order", &mut nodes, |(n, _)| n.id.as_str());
                // (References sorted: the edges stay as they are for the other thread.)
                let mut edges: Vec<&(String, Cow<Value>, Vec<PathSeg>)> = edges.iter().collect();
                sort_by_order(sm, "edge_order", &mut edges, |(id, _, _)| id.as_str());

                // The flow's top level.
                let get = |k: &str| sm.and_then(|s| s.get(k)).map(Cow::Borrowed);
                let mut unknown_core = Map::new();
                // scaiflow's own copy of the flow's config (`flow_keys` says whether it had one).
                let mut config =
                    match sm.filter(|s| s.contains_key("config") || s.contains_key("flow_keys")) {
                        Some(sm) => self.refined_config(sm, sm_path),
                        None => self.documented_config(core, core_path, sm, &mut unknown_core),
                    };
                let mut metadata = get("metadata");
                let unknown_count = unknown.len() - invalid;
                if unknown_count > 0 {
                    self.warn(
                    Code::UnknownSteps,
                    if sm.is_some() { sm_path } else { core_path },
                    format!(
                        "{unknown_count} step{} without `meta` (written by hand) kept verbatim in metadata.unknown_steps, not mapped to nodes",
                        plural(unknown_count)
                    ),
                );
                }
                if let Some(at) = invalid_at {
                    self.warn(
                    Code::UnknownSteps,
                    &at,
                    format!(
                        "{invalid} step{} whose `meta` is not a node record (it needs `node_id`, `node_kind` and `node_label` strings and a `node_config` mapping) kept verbatim in metadata.unknown_steps, not mapped to nodes",
                        plural(invalid)
                    ),
                );
                }
                let mut extra = Map::new();
                if !unknown.is_empty() {
                    extra.insert("unknown_steps".into(), Value::Array(unknown));
                }
                if !unknown_triggers.is_empty() {
                    extra.insert("unknown_triggers".into(), Value::Array(unknown_triggers));
                }
                if !unknown_core.is_empty() {
                    extra.insert("unknown_core".into(), Value::Object(unknown_core));
                }
                if !extra.is_empty() {
                    let md = metadata.get_or_insert_with(|| Cow::Owned(json!({})));
                    if let Some(md) = md.to_mut().as_object_mut() {
                        for (k, v) in extra {
                            // What an earlier import kept comes first.
                            match (md.get_mut(&k), v) {
                                (Some(Value::Array(old)), Value::Array(new)) => old.extend(new),
                                (_, v) => {
                                    md.insert(k, v);
                                }
                            }
                        }
                    }
                }
                if flow_entries.iter().all(Vec::is_empty) && sm.is_none() {
                    self.warn(
                    Code::UnknownSteps,
                    core_path,
                    "the imported flow has no entry node (the manifest has no api, webhook or schedule trigger); add one on the canvas".into(),
                );
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
                    .and_then(|s| s.get("flow_keys"))
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
                let persona = core
                    .get("identity")
                    .and_then(|i| i.get("persona"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty());
                // The flow's keys in order (a key named twice keeps its first place and takes its
                // last value, as a map's insert does).
                let mut doc: Vec<(Cow<str>, Out)> = Vec::new();
                let mut placed_at: HashMap<String, usize> = HashMap::new();
                let owned = |v: Value| Some(Out::Own(Box::new(v)));
                for k in keys {
                    let v = match k.as_str() {
                        "$schema" => get("schema").map(Out::of),
                        "id" => get("source_id")
                            .map(Out::of)
                            .or_else(|| owned(core_name.unwrap_or("imported-flow").into())),
                        "name" => get("flow_name").map(Out::of).or_else(|| {
                            owned(persona.or(core_name).unwrap_or("imported-flow").into())
                        }),
                        "version" => get("source_version")
                            .map(Out::of)
                            .or_else(|| owned(HANDWRITTEN_VERSION.into())),
                        "scaicore_target" => get("scaicore_target").map(Out::of).or_else(|| {
                            core.get("runtime_version")
                                .and_then(Value::as_str)
                                .filter(|v| is_major_minor(v))
                                .and_then(|v| owned(v.into()))
                        }),
                        "metadata" => metadata.take().map(Out::of),
                        "nodes" => Some(Out::Nodes(&nodes)),
                        "edges" => Some(Out::List(
                            edges.iter().map(|(_, e, _)| Out::Val(e)).collect(),
                        )),
                        "variables" => get("variables")
                            .map(Out::of)
                            .or_else(|| assigned_variables(&nodes).and_then(owned)),
                        "config" => config.take().and_then(owned),
                        "tests" => get("tests").map(Out::of),
                        _ => None,
                    };
                    if let Some(v) = v {
                        match placed_at.get(&k) {
                            Some(&i) => doc[i].1 = v,
                            None => {
                                placed_at.insert(k.clone(), doc.len());
                                doc.push((Cow::Owned(k), v));
                            }
                        }
                    }
                }
                let text = super::flow_text(&Out::Map(doc));
                // (The records' paths are moved, not copied, once the text is written.)
                let node_origin = nodes.into_iter().map(|(n, _)| (n.id, n.origin)).collect();
                Imported {
                    text,
                    emitted: sm.is_some(),
                    // Steps are compared with what their `meta` compiles to only in manifests scaiflow
                    // wrote (its own keys are there): another compiler renders the same node its own
                    // way, which is no edit.
                    check_edits: sm.is_some_and(|s| {
                        s.contains_key("flow_keys") || s.contains_key("node_order")
                    }),
                    node_origin,
                    // (Below, once the other thread is done with the edges.)
                    edge_origin: HashMap::new(),
                    flow_origin: if sm.is_some() {
                        sm_path.to_vec()
                    } else {
                        core_path.to_vec()
                    },
                }
            },
        );
        let mut found = Vec::new();
        for d in diffs {
            let mut diag = Diagnostic::new(Code::ImportDiffers, d.message);
            let mut origin = d.step.unwrap_or_else(|| flows_path.clone());
            let mut what = "the edges into this step";
            if let Some((id, _, o)) = d.edge.and_then(|i| edges.get(i)) {
                diag = diag.edge(id.clone());
                origin = o.clone();
                what = "this edge";
            }
            let diag = diag.help(format!(
                "review {what} on the canvas before compiling the imported flow; where the flows must differ, give them their own nodes instead of sharing one"
            ));
            found.push((diag, Some(origin)));
        }
        self.diags.splice(diffs_at..diffs_at, found);
        for (id, _, p) in edges {
            imported.edge_origin.entry(id).or_insert(p);
        }
        Some(imported)
    }

    /// The flow's `config` from the documented keys: the registry from
    /// `scaiflow_meta.models`, else `core.model`; `core.plugins`; `core.capabilities`
    /// (a `{bunker: …}` entry is `config.bunker`); `core.scaiqueue`; the deploy intents.
    /// A part the v2 schema refuses is not mapped: it is kept in `unknown_core`.
    fn documented_config(
        &mut self,
        core: &Map<String, Value>,
        core_path: &[PathSeg],
        sm: Option<&Map<String, Value>>,
        unknown_core: &mut Map<String, Value>,
    ) -> Option<Value> {
        let mut config = Map::new();
        let models = sm.and_then(registry).or_else(|| {
            let model = core.get("model")?.as_str()?;
            match model.split_once('/') {
                Some((provider, rest)) if !provider.is_empty() && !rest.is_empty() => {
                    Some(vec![json!({"role": "primary", "ref": provider, "model": rest})])
                }
                _ => {
                    self.warn(
                        Code::UnknownSteps,
                        &join(core_path, key("model")),
                        format!("`core.model` '{model}' is not `<provider>/<model>`; no model registry is imported"),
                    );
                    None
                }
            }
        });
        if let Some(ms) = models {
            config.insert("core_identity".into(), json!({ "models": ms }));
        }
        if let Some(Value::Array(ps)) = core.get("plugins") {
            // The manifest spells out `endpoint: plugin://<alias>`; keep what it says.
            let plugins: Vec<Value> = ps
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    if let Some(m) = p.as_object_mut()
                        && let Some(pkg) = m.get("package").and_then(Value::as_str)
                        && !package_ok(pkg)
                    {
                        m.remove("package");
                    }
                    p
                })
                .collect();
            config.insert("plugins".into(), plugins.into());
        }
        let mut capabilities = Vec::new();
        for c in core
            .get("capabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match c
                .as_object()
                .filter(|m| m.len() == 1)
                .and_then(|m| m.get("bunker"))
            {
                Some(b) if !config.contains_key("bunker") => {
                    config.insert("bunker".into(), b.clone());
                }
                _ => capabilities.push(c.clone()),
            }
        }
        if !capabilities.is_empty() {
            config.insert("capabilities".into(), capabilities.into());
        }
        if let Some(q) = core.get("scaiqueue") {
            config.insert("scaiqueue".into(), q.clone());
        }
        for intent in ["publish_as_model", "model_visibility_group_ids"] {
            if let Some(v) = sm.and_then(|s| s.get(intent)) {
                config.insert(intent.into(), v.clone());
            }
        }
        // Each part on its own through the schema; what it refuses stays in the metadata.
        let parts: Vec<String> = config.keys().cloned().collect();
        for k in parts {
            let probe = json!({"id": "x", "name": "x", "version": "1.0.0",
                "config": {k.clone(): config[&k].clone()}});
            if crate::schema::validate(&probe).is_empty() {
                continue;
            }
            config.remove(&k);
            let (source, at) = match k.as_str() {
                "core_identity" => ("model", join(core_path, key("model"))),
                "bunker" => ("capabilities", join(core_path, key("capabilities"))),
                "publish_as_model" | "model_visibility_group_ids" => {
                    (k.as_str(), join(core_path, key("scaiflow_meta")))
                }
                other => (other, join(core_path, key(other))),
            };
            let value = match k.as_str() {
                "core_identity" if sm.is_some_and(|s| s.contains_key("models")) => {
                    sm.and_then(|s| s.get("models")).cloned()
                }
                "publish_as_model" | "model_visibility_group_ids" => {
                    sm.and_then(|s| s.get(&k)).cloned()
                }
                _ => core.get(source).cloned(),
            };
            if let Some(v) = value {
                unknown_core.insert(source.to_string(), v);
            }
            self.warn(
                Code::UnknownSteps,
                &at,
                format!("`{source}` has a value the v2 flow schema does not accept as `config.{k}`; kept verbatim in metadata.unknown_core, not mapped"),
            );
        }
        (!config.is_empty()).then_some(Value::Object(config))
    }
}

/// `"<major>.<minor>"`, as `scaicore_target` wants it.
fn is_major_minor(v: &str) -> bool {
    v.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    })
}

/// The variables a manifest without scaiflow's `variables` must declare: those its
/// `data_variable_set` nodes set, in node order, of type `any` (the manifest does not say
/// their type).
fn assigned_variables(nodes: &[(NodeRec, Cow<Value>)]) -> Option<Value> {
    let mut names: Vec<&str> = Vec::new();
    for (n, _) in nodes {
        if n.kind.as_str() == Some("data_variable_set")
            && let Some(v) = n
                .config
                .as_ref()
                .and_then(|c| c.get("variable"))
                .and_then(Value::as_str)
            && crate::model::is_identifier(v)
            && !names.contains(&v)
        {
            names.push(v);
        }
    }
    (!names.is_empty()).then(|| {
        names
            .into_iter()
            .map(|v| json!({"name": v, "type": VARIABLE_TYPE}))
            .collect()
    })
}

/// The type of a variable the import declares (`assigned_variables`).
pub const VARIABLE_TYPE: &str = "any";
