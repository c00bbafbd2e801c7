//! Manifests without `meta` on any step and without `scaiflow_meta`: nothing is guessed;
//! steps land verbatim in `metadata.unknown_steps`, triggers become entry nodes.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{HANDWRITTEN_VERSION, Imported, Importer, LAYOUT_STEP, join, key};
use crate::diagnostics::{Code, PathSeg};

impl Importer {
    /// A hand-written manifest: its triggers become entry nodes, its steps are kept
    /// verbatim in `metadata.unknown_steps`, `core.model` becomes a one-entry registry.
    pub(super) fn handwritten(
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
            let no_keys = Map::new();
            let triggers = super::triggers_of(f.as_object().unwrap_or(&no_keys), &fp);
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
            text: super::flow_text(&doc),
            emitted: false,
            check_edits: false,
            node_origin,
            edge_origin: HashMap::new(),
            flow_origin: core_path.to_vec(),
        }
    }
}

/// Whether a trigger setting has a value the entry's schema accepts.
pub(super) fn entry_setting_ok(key: &str, v: &Value) -> bool {
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
pub(super) fn package_ok(p: &str) -> bool {
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
