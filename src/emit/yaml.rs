//! The YAML deploy manifest (spec §6): what `POST /v1/modules/scaicore/cores` accepts.
//! Key order and shape as documented; the text comes from serde-saphyr, which quotes every
//! string a YAML 1.1 parser would read as something else (`yes`, `0.2`, `~`, ...), so the
//! manifest loads to the same data in YAML 1.1 and 1.2 parsers. See `docs/yaml-manifest.md`.

use serde_json::{Map, Value};

use crate::analyze::AnalyzedFlow;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};

/// The analyzed flow plus each node's outgoing edges, indexed once (meta records list
/// them for every step).
struct Ctx<'a> {
    a: &'a AnalyzedFlow,
    out_edges: Vec<Vec<usize>>,
}

impl std::ops::Deref for Ctx<'_> {
    type Target = AnalyzedFlow;
    fn deref(&self) -> &AnalyzedFlow {
        self.a
    }
}

/// Renders the manifest text.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> Result<String, String> {
    let doc = manifest(a, core);
    serde_saphyr::to_string(&doc).map_err(|e| format!("YAML serialization failed: {e}"))
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The manifest as data, in the documented key order.
pub fn manifest(flow: &AnalyzedFlow, core: &Core) -> Value {
    let mut out_edges = vec![Vec::new(); flow.flow.nodes.len()];
    for (i, e) in flow.flow.edges.iter().enumerate() {
        if let Some(&n) = flow.nodes_by_id.get(&e.source.node) {
            out_edges[n].push(i);
        }
    }
    let ctx = Ctx { a: flow, out_edges };
    let a = &ctx;
    let mut c = Map::new();
    c.insert("name".into(), core.name.clone().into());
    c.insert("mode".into(), core.mode.into());
    c.insert(
        "runtime_version".into(),
        core.runtime_version.clone().into(),
    );
    c.insert(
        "identity".into(),
        obj(vec![
            ("provider", "scaikey".into()),
            ("persona", core.persona.clone().into()),
        ]),
    );
    if let Some(m) = &core.model {
        c.insert("model".into(), m.clone().into());
    }
    if !core.plugins.is_empty() {
        let plugins: Vec<Value> = core.plugins.iter().map(|p| p.to_value()).collect();
        c.insert("plugins".into(), plugins.into());
    }
    if !core.capabilities.is_empty() {
        c.insert("capabilities".into(), core.capabilities.clone().into());
    }
    if let Some(q) = &core.scaiqueue {
        c.insert("scaiqueue".into(), q.clone());
    }
    let flows: Vec<Value> = core
        .flows
        .iter()
        .map(|f| {
            let mut m = Map::new();
            m.insert("name".into(), f.name.clone().into());
            if let Some(t) = f.triggers.first() {
                m.insert("trigger".into(), trigger(t));
            }
            if f.triggers.len() > 1 {
                let rest: Vec<Value> = f.triggers[1..].iter().map(trigger).collect();
                m.insert("additional_triggers".into(), rest.into());
            }
            m.insert("steps".into(), steps(a, &f.steps).into());
            Value::Object(m)
        })
        .collect();
    c.insert("flows".into(), flows.into());
    c.insert("scaiflow_meta".into(), scaiflow_meta(a, core));
    obj(vec![("core", Value::Object(c))])
}

fn trigger(t: &Trigger) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), t.kind.into());
    // The trigger kind wins over an (allowed, undocumented) config key named `type`; the
    // config stays verbatim in the entry's meta record.
    m.extend(
        t.config
            .iter()
            .filter(|(k, _)| *k != "type")
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    Value::Object(m)
}

/// The node record every step carries: what makes import lossless.
fn node_meta(a: &Ctx, node: usize) -> Map<String, Value> {
    let n = &a.flow.nodes[node];
    let mut m = Map::new();
    m.insert("node_id".into(), n.id.clone().into());
    m.insert("node_kind".into(), n.kind.as_str().into());
    m.insert("node_label".into(), n.label.clone().into());
    m.insert("node_config".into(), Value::Object(n.config().into_owned()));
    if n.config.is_none() {
        m.insert("node_config_absent".into(), true.into());
    }
    // The canvas layout, so a round trip keeps it (import lays out nodes without it).
    m.insert(
        "node_position".into(),
        serde_json::to_value(&n.position).unwrap_or_default(),
    );
    if let Some(p) = &n.inputs {
        m.insert(
            "node_inputs".into(),
            serde_json::to_value(p).unwrap_or_default(),
        );
    }
    if let Some(p) = &n.outputs {
        m.insert(
            "node_outputs".into(),
            serde_json::to_value(p).unwrap_or_default(),
        );
    }
    let edges: Vec<Value> = a.out_edges[node]
        .iter()
        .map(|&e| serde_json::to_value(&a.flow.edges[e]).unwrap_or_default())
        .collect();
    if !edges.is_empty() {
        m.insert("node_edges".into(), edges.into());
    }
    m
}

fn steps(a: &Ctx, steps: &[Step]) -> Vec<Value> {
    steps.iter().map(|s| step(a, s)).collect()
}

fn arms(a: &Ctx, arms: &[CoreArm], with_when: bool) -> Vec<Value> {
    arms.iter()
        .map(|arm| {
            let mut m = Map::new();
            if with_when {
                m.insert("when".into(), arm.when.clone().into());
            }
            m.insert("steps".into(), steps(a, &arm.steps).into());
            Value::Object(m)
        })
        .collect()
}

fn step(a: &Ctx, s: &Step) -> Value {
    let mut m = Map::new();
    match &s.op {
        Op::Template { template } => {
            m.insert("rigid".into(), template.clone().into());
        }
        Op::LlmTurn {
            goal,
            guarded,
            role,
            guard,
            fields,
        } => {
            m.insert("llm_turn".into(), goal.clone().into());
            if *guarded {
                m.insert("guarded".into(), true.into());
            }
            if let Some(g) = guard {
                m.insert("guard".into(), g.clone().into());
            }
            if let Some(r) = role {
                m.insert("llm_role".into(), r.clone().into());
            }
            m.extend(fields.clone());
        }
        Op::PluginCall {
            alias,
            method,
            args,
        } => {
            m.insert(
                "plugin_call".into(),
                obj(vec![
                    ("alias", alias.clone().into()),
                    ("method", method.clone().into()),
                    ("args", Value::Object(args.clone())),
                ]),
            );
        }
        Op::Assign { variable, value } => {
            m.insert(
                "assign".into(),
                obj(vec![
                    ("variable", variable.clone().into()),
                    ("value", value.clone()),
                ]),
            );
        }
        Op::Checkpoint {
            fields,
            hitl_target,
        } => {
            let mut c = fields.clone();
            if let Some(h) = hitl_target {
                c.extend(h.to_map());
            }
            m.insert("checkpoint".into(), Value::Object(c));
        }
        Op::CoreCall { fields } => {
            m.insert("core_call".into(), Value::Object(fields.clone()));
        }
        Op::Decision { fields, arms: xs } => {
            let mut d = fields.clone();
            d.insert("branches".into(), arms(a, xs, true).into());
            m.insert("decision".into(), Value::Object(d));
        }
        Op::Parallel { fields, branches } => {
            let mut p = fields.clone();
            p.insert("branches".into(), arms(a, branches, false).into());
            m.insert("parallel".into(), Value::Object(p));
        }
        Op::Loop {
            style,
            fields,
            body,
        } => {
            let mut l = fields.clone();
            l.insert("steps".into(), steps(a, body).into());
            m.insert((*style).into(), Value::Object(l));
        }
    }
    if let Some(b) = &s.binding {
        m.insert("bind".into(), b.clone().into());
    }
    if !s.data_from.is_empty() {
        m.insert("data_from".into(), s.data_from.clone().into());
    }
    let meta = match s.synthetic {
        None => node_meta(a, s.node),
        Some(what) => {
            // The four documented keys, and what the compiler added the step for; import
            // skips such steps (the node has its own).
            let mut m = node_meta(a, s.node);
            m.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "node_id" | "node_kind" | "node_label" | "node_config"
                )
            });
            m.insert("synthetic".into(), what.as_str().into());
            m
        }
    };
    m.insert("meta".into(), Value::Object(meta));
    Value::Object(m)
}

fn scaiflow_meta(a: &Ctx, core: &Core) -> Value {
    let f = &a.flow;
    let cfg = f.config();
    let mut m = Map::new();
    m.insert("source_id".into(), f.id.clone().into());
    m.insert("source_version".into(), f.version.clone().into());
    m.insert("scaicore_target".into(), f.scaicore_target().into());
    if let Some(p) = cfg.publish_as_model {
        m.insert("publish_as_model".into(), p.into());
    }
    if let Some(g) = &cfg.model_visibility_group_ids {
        m.insert("model_visibility_group_ids".into(), g.clone().into());
    }
    let models = crate::lower::core::registry(f);
    if !models.is_empty() {
        m.insert("models".into(), models.into());
    }
    // Everything else import needs to rebuild the flow exactly.
    m.insert("flow_name".into(), f.name.clone().into());
    if let Some(s) = &f.schema {
        m.insert("schema".into(), s.clone().into());
    }
    if let Some(x) = &f.metadata {
        m.insert("metadata".into(), Value::Object(x.clone()));
    }
    // The flow's own values, verbatim (key order and presence as written).
    if let Some(v) = &f.source_variables {
        m.insert("variables".into(), v.clone());
    }
    if let Some(c) = &f.source_config {
        m.insert("config".into(), c.clone());
    }
    if let Some(t) = &f.tests {
        m.insert("tests".into(), t.clone().into());
    }
    m.insert("flow_keys".into(), f.source_keys.clone().into());
    let ids = |v: Vec<String>| Value::from(v);
    m.insert(
        "node_order".into(),
        ids(f.nodes.iter().map(|n| n.id.clone()).collect()),
    );
    m.insert(
        "edge_order".into(),
        ids(f.edges.iter().map(|e| e.id.clone()).collect()),
    );
    let entries: Vec<Value> = core
        .flows
        .iter()
        .flat_map(|fl| fl.triggers.iter().map(move |t| (fl, t)))
        .map(|(fl, t)| {
            let mut e = node_meta(a, t.node);
            e.insert("flow".into(), fl.name.clone().into());
            Value::Object(e)
        })
        .collect();
    m.insert("entries".into(), entries.into());
    // Nodes no entry reaches compile to nothing; they ride along for round-trips.
    let detached: Vec<Value> = (0..f.nodes.len())
        .filter(|&i| !a.reachable[i] && !f.nodes[i].kind.is_entry())
        .map(|i| Value::Object(node_meta(a, i)))
        .collect();
    if !detached.is_empty() {
        m.insert("detached".into(), detached.into());
    }
    Value::Object(m)
}
