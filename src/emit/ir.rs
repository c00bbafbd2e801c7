//! The IR (spec §7): the lowered core model as an `IRModule` dict, and its SCIR bundle.
//! Keys are inserted in the documented order (`docs/scir.md`, `schemas/ir.schema.json`),
//! and the dict keeps that order (`serde_json` with `preserve_order`), so the bytes are
//! deterministic.

use serde_json::{Map, Value};

use crate::analyze::AnalyzedFlow;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};

/// The IR schema version this compiler writes and the verifier accepts.
pub const SCHEMA_VERSION: u64 = 1;

/// The SCIR bundle of a lowered flow.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> Vec<u8> {
    crate::scir::encode(&module(a, core))
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Copies the keys of `from` that are set, in the order of `keys`, renaming as given.
fn copy(to: &mut Map<String, Value>, from: &Map<String, Value>, keys: &[(&str, &str)]) {
    for (src, dst) in keys {
        if let Some(v) = from.get(*src) {
            to.insert((*dst).to_string(), v.clone());
        }
    }
}

/// The `IRModule` dict.
pub fn module(a: &AnalyzedFlow, core: &Core) -> Value {
    let flow = &a.flow;
    let mut m = Map::new();
    m.insert("schema_version".into(), SCHEMA_VERSION.into());
    m.insert("name".into(), core.name.clone().into());
    m.insert("version".into(), flow.version.clone().into());
    if let Some(d) = flow
        .metadata
        .as_ref()
        .and_then(|md| md.get("description"))
        .and_then(Value::as_str)
    {
        m.insert("description".into(), d.into());
    }
    m.insert("instance".into(), obj(vec![("mode", core.mode.into())]));
    let identity_name = flow
        .config
        .as_ref()
        .and_then(|c| c.core_identity.as_ref())
        .and_then(|ci| ci.name.clone())
        .unwrap_or_else(|| core.name.clone());
    m.insert(
        "identity".into(),
        obj(vec![
            ("name", identity_name.into()),
            ("persona", core.persona.clone().into()),
        ]),
    );
    m.insert("models".into(), crate::lower::core::registry(flow).into());
    let plugins: Vec<Value> = core.plugins.iter().map(|p| p.to_value()).collect();
    m.insert("plugins".into(), plugins.into());
    m.insert("capabilities".into(), core.capabilities.clone().into());
    if let Some(q) = &core.scaiqueue {
        m.insert("scaiqueue".into(), q.clone());
    }
    if let Some(v) = &flow.variables {
        m.insert(
            "variables".into(),
            serde_json::to_value(v).unwrap_or_default(),
        );
    }
    let triggers: Vec<Value> = core
        .flows
        .iter()
        .flat_map(|f| f.triggers.iter().map(move |t| trigger(a, t, &f.name)))
        .collect();
    m.insert("triggers".into(), triggers.into());
    let flows: Vec<Value> = core
        .flows
        .iter()
        .map(|f| {
            let params = f
                .triggers
                .first()
                .map(|t| input_param(a, t.node))
                .into_iter()
                .collect::<Vec<_>>();
            obj(vec![
                ("name", f.name.clone().into()),
                ("params", params.into()),
                ("body", blocks(a, &f.steps).into()),
            ])
        })
        .collect();
    m.insert("flows".into(), flows.into());
    m.insert(
        "source".into(),
        obj(vec![
            ("flow_id", flow.id.clone().into()),
            ("flow_version", flow.version.clone().into()),
            ("scaicore_target", flow.scaicore_target().into()),
        ]),
    );
    Value::Object(m)
}

/// `IRTrigger {kind, name, target_flow}`, then the entry's settings (method/path,
/// cron/timezone, ...) and where it comes from.
fn trigger(a: &AnalyzedFlow, t: &Trigger, flow: &str) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), t.kind.into());
    m.insert("name".into(), a.flow.nodes[t.node].id.clone().into());
    m.insert("target_flow".into(), flow.into());
    // The entry kind's documented defaults, then its config (which overrides them).
    let defaults: &[(&str, &str)] = match t.kind {
        "schedule" => &[("cron", "0 * * * *"), ("timezone", "UTC")],
        _ => &[("method", "POST"), ("path", "/")],
    };
    for (k, v) in defaults {
        m.insert((*k).to_string(), (*v).into());
    }
    let reserved = ["kind", "name", "target_flow", "source_location"];
    m.extend(
        t.config
            .iter()
            .filter(|(k, _)| !reserved.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    m.insert("source_location".into(), location(a, t.node, None));
    Value::Object(m)
}

/// A flow's one parameter: the trigger payload, `input`, typed by the entry's output port.
fn input_param(a: &AnalyzedFlow, entry: usize) -> Value {
    let ty = a.flow.nodes[entry]
        .outputs()
        .first()
        .and_then(|p| p.ty.clone())
        .unwrap_or_else(|| "object".to_string());
    obj(vec![
        ("name", crate::analyze::INPUT_BINDING.into()),
        ("type", ty.into()),
    ])
}

fn location(a: &AnalyzedFlow, node: usize, synthetic: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("node_id".into(), a.flow.nodes[node].id.clone().into());
    if let Some(s) = synthetic {
        m.insert("synthetic".into(), s.into());
    }
    Value::Object(m)
}

fn blocks(a: &AnalyzedFlow, steps: &[Step]) -> Vec<Value> {
    steps.iter().map(|s| block(a, s)).collect()
}

fn rigid(statement: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), "rigid".into());
    m.insert("statements".into(), vec![statement].into());
    m
}

fn block(a: &AnalyzedFlow, s: &Step) -> Value {
    let mut m = match &s.op {
        Op::Template { template } => rigid(obj(vec![
            ("kind", "expression".into()),
            ("expression", template.clone().into()),
        ])),
        Op::PluginCall {
            alias,
            method,
            args,
        } => rigid(obj(vec![
            ("kind", "plugin_call".into()),
            ("alias", alias.clone().into()),
            ("method", method.clone().into()),
            ("args", Value::Object(args.clone())),
        ])),
        Op::Assign { variable, value } => rigid(obj(vec![
            ("kind", "assign".into()),
            ("variable", variable.clone().into()),
            ("value", value.clone()),
        ])),
        Op::LlmTurn {
            goal,
            guarded,
            role,
            guard,
            fields,
        } => {
            let mut m = Map::new();
            m.insert(
                "kind".into(),
                if *guarded { "guarded" } else { "flexible" }.into(),
            );
            m.insert("goal".into(), goal.clone().into());
            copy(&mut m, fields, &[("output_schema", "output_type")]);
            if let Some(r) = role {
                m.insert("llm_role".into(), r.clone().into());
            }
            if *guarded && let Some(g) = guard {
                m.insert("guard".into(), g.clone().into());
            }
            let keys = if *guarded {
                crate::lower::core::GUARDED_FIELDS
            } else {
                crate::lower::core::FLEXIBLE_FIELDS
            };
            for k in keys {
                if let Some(v) = fields.get(*k) {
                    m.insert((*k).to_string(), v.clone());
                }
            }
            m
        }
        Op::Checkpoint {
            fields,
            hitl_target,
        } => {
            let mut m = Map::new();
            m.insert("kind".into(), "checkpoint".into());
            m.extend(fields.clone());
            if let Some(h) = hitl_target {
                m.insert("hitl_target".into(), Value::Object(h.to_map()));
            }
            m
        }
        Op::CoreCall { fields } => {
            let mut m = Map::new();
            m.insert("kind".into(), "core_call".into());
            m.extend(fields.clone());
            m
        }
        Op::Decision { fields, arms } => {
            let mut m = Map::new();
            m.insert("kind".into(), "match".into());
            m.extend(fields.clone());
            let (otherwise, guarded): (Vec<&CoreArm>, Vec<&CoreArm>) =
                arms.iter().partition(|arm| arm.fallthrough);
            let list: Vec<Value> = guarded
                .iter()
                .map(|arm| {
                    obj(vec![
                        ("when", arm.when.clone().into()),
                        ("body", blocks(a, &arm.steps).into()),
                    ])
                })
                .collect();
            m.insert("arms".into(), list.into());
            if let Some(arm) = otherwise.first() {
                m.insert("otherwise".into(), blocks(a, &arm.steps).into());
            }
            m
        }
        Op::Parallel { fields, branches } => {
            let mut m = Map::new();
            m.insert("kind".into(), "parallel".into());
            m.extend(fields.clone());
            let list: Vec<Value> = branches
                .iter()
                .map(|b| obj(vec![("body", blocks(a, &b.steps).into())]))
                .collect();
            m.insert("branches".into(), list.into());
            m
        }
        Op::Loop {
            style,
            fields,
            body,
        } => {
            let mut m = Map::new();
            m.insert("kind".into(), (*style).into());
            m.extend(fields.clone());
            m.insert("body".into(), blocks(a, body).into());
            m
        }
    };
    if !s.data_from.is_empty() {
        m.insert("data_from".into(), s.data_from.clone().into());
    }
    if let Some(b) = &s.binding {
        m.insert("result_binding".into(), b.clone().into());
    }
    m.insert(
        "source_location".into(),
        location(a, s.node, s.synthetic.map(|x| x.as_str())),
    );
    Value::Object(m)
}
