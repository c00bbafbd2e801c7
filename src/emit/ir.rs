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

/// An object of `N` pairs, its map allocated for exactly `N`.
fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The `IRModule` dict (of a copy of `core`: [`into_module`] takes it).
pub fn module(a: &AnalyzedFlow, core: &Core) -> Value {
    into_module(a, core.clone())
}

/// The `IRModule` dict, moving the lowered core's strings and maps into it rather than
/// copying them (a compile has no use for the core after).
pub fn into_module(a: &AnalyzedFlow, core: Core) -> Value {
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
    m.insert("instance".into(), obj([("mode", core.mode.into())]));
    let identity_name = flow
        .config
        .as_ref()
        .and_then(|c| c.core_identity.as_ref())
        .and_then(|ci| ci.name.clone())
        .unwrap_or_else(|| core.name.clone());
    m.insert(
        "identity".into(),
        obj([
            ("name", identity_name.into()),
            ("persona", core.persona.clone().into()),
        ]),
    );
    m.insert("models".into(), crate::lower::core::registry(flow).into());
    let plugins: Vec<Value> = core.plugins.iter().map(|p| p.to_value()).collect();
    m.insert("plugins".into(), plugins.into());
    m.insert("capabilities".into(), core.capabilities.into());
    if let Some(q) = core.scaiqueue {
        m.insert("scaiqueue".into(), q);
    }
    if let Some(v) = &flow.variables {
        m.insert(
            "variables".into(),
            serde_json::to_value(v).unwrap_or_default(),
        );
    }
    // The triggers of every flow first, then the flows.
    let mut triggers = Vec::new();
    let mut flows = Vec::with_capacity(core.flows.len());
    for f in core.flows {
        let params = f
            .triggers
            .first()
            .map(|t| input_param(a, t.node))
            .into_iter()
            .collect::<Vec<_>>();
        triggers.extend(f.triggers.into_iter().map(|t| trigger(a, t, &f.name)));
        flows.push(obj([
            ("name", f.name.into()),
            ("params", params.into()),
            ("body", blocks(a, f.steps).into()),
        ]));
    }
    m.insert("triggers".into(), triggers.into());
    let flows: Vec<Value> = flows;
    m.insert("flows".into(), flows.into());
    m.insert(
        "source".into(),
        obj([
            ("flow_id", flow.id.clone().into()),
            ("flow_version", flow.version.clone().into()),
            ("scaicore_target", flow.scaicore_target().into()),
        ]),
    );
    Value::Object(m)
}

/// `IRTrigger {kind, name, target_flow}`, then the entry's settings (method/path,
/// cron/timezone, ...) and where it comes from.
fn trigger(a: &AnalyzedFlow, t: Trigger, flow: &str) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), t.kind.into());
    m.insert("name".into(), a.flow.nodes[t.node].id.as_str().into());
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
            .into_iter()
            .filter(|(k, _)| !reserved.contains(&k.as_str())),
    );
    m.insert("source_location".into(), location(a, t.node, None));
    Value::Object(m)
}

/// A flow's one parameter: the trigger payload, `input`, typed by the entry's output port.
fn input_param(a: &AnalyzedFlow, entry: usize) -> Value {
    let ty = a.flow.nodes[entry]
        .outputs()
        .first()
        .and_then(|p| p.ty.as_deref())
        .unwrap_or(crate::model::DEFAULT_PORT_TYPE)
        .to_owned();
    obj([
        ("name", crate::analyze::INPUT_BINDING.into()),
        ("type", ty.into()),
    ])
}

fn location(a: &AnalyzedFlow, node: usize, synthetic: Option<&str>) -> Value {
    let mut m = map_for(1 + usize::from(synthetic.is_some()));
    m.insert("node_id".into(), a.flow.nodes[node].id.as_str().into());
    if let Some(s) = synthetic {
        m.insert("synthetic".into(), s.into());
    }
    Value::Object(m)
}

fn blocks(a: &AnalyzedFlow, steps: Vec<Step>) -> Vec<Value> {
    steps.into_iter().map(|s| block(a, s)).collect()
}

/// A map with room for `n` entries: the IR's maps are built at their final size, rather
/// than grown (and left with unused room) one insertion at a time.
fn map_for(n: usize) -> Map<String, Value> {
    Map::with_capacity(n)
}

/// A `rigid` block of one statement, with room for `tail` more entries.
fn rigid(statement: Value, tail: usize) -> Map<String, Value> {
    let mut m = map_for(2 + tail);
    m.insert("kind".into(), "rigid".into());
    m.insert("statements".into(), Value::Array(vec![statement]));
    m
}

fn block(a: &AnalyzedFlow, s: Step) -> Value {
    let Step {
        node,
        op,
        binding,
        data_from,
        synthetic,
    } = s;
    // What every kind of block ends with: `data_from`, `result_binding`, `source_location`.
    let tail = usize::from(!data_from.is_empty()) + usize::from(binding.is_some()) + 1;
    let mut m = match op {
        Op::Template { template } => rigid(
            obj([
                ("kind", "expression".into()),
                ("expression", template.into()),
            ]),
            tail,
        ),
        Op::PluginCall {
            alias,
            method,
            args,
        } => rigid(
            obj([
                ("kind", "plugin_call".into()),
                ("alias", alias.into()),
                ("method", method.into()),
                ("args", Value::Object(args.into_map())),
            ]),
            tail,
        ),
        Op::Assign { variable, value } => rigid(
            obj([
                ("kind", "assign".into()),
                ("variable", variable.into()),
                ("value", value),
            ]),
            tail,
        ),
        Op::LlmTurn {
            goal,
            guarded,
            role,
            guard,
            mut fields,
        } => {
            // `kind`, `goal`, at most one entry per field, `llm_role`, `guard`.
            let mut m = map_for(2 + fields.len() + 2 + tail);
            m.insert(
                "kind".into(),
                if guarded { "guarded" } else { "flexible" }.into(),
            );
            m.insert("goal".into(), goal.into());
            if let Some(v) = fields.remove("output_schema") {
                m.insert("output_type".into(), v);
            }
            if let Some(r) = role {
                m.insert("llm_role".into(), r.into());
            }
            if guarded && let Some(g) = guard {
                m.insert("guard".into(), g.into());
            }
            let keys = if guarded {
                crate::lower::core::GUARDED_FIELDS
            } else {
                crate::lower::core::FLEXIBLE_FIELDS
            };
            // (The keys are distinct, and `output_schema` is none of them.)
            for k in keys {
                if let Some(v) = fields.remove(k) {
                    m.insert((*k).to_string(), v);
                }
            }
            m
        }
        Op::Checkpoint {
            fields,
            hitl_target,
        } => {
            let mut m = map_for(1 + fields.len() + usize::from(hitl_target.is_some()) + tail);
            m.insert("kind".into(), "checkpoint".into());
            m.extend(fields.into_entries());
            if let Some(h) = hitl_target {
                m.insert("hitl_target".into(), Value::Object(h.to_map()));
            }
            m
        }
        Op::CoreCall { fields } => {
            let mut m = map_for(1 + fields.len() + tail);
            m.insert("kind".into(), "core_call".into());
            m.extend(fields.into_entries());
            m
        }
        Op::Decision { fields, arms } => {
            // `kind`, the fields, `arms`, `otherwise`.
            let mut m = map_for(1 + fields.len() + 2 + tail);
            m.insert("kind".into(), "match".into());
            m.extend(fields.into_entries());
            let (otherwise, guarded): (Vec<CoreArm>, Vec<CoreArm>) =
                arms.into_iter().partition(|arm| arm.fallthrough);
            let list: Vec<Value> = guarded
                .into_iter()
                .map(|arm| {
                    obj([
                        ("when", arm.when.into()),
                        ("body", blocks(a, arm.steps).into()),
                    ])
                })
                .collect();
            m.insert("arms".into(), list.into());
            if let Some(arm) = otherwise.into_iter().next() {
                m.insert("otherwise".into(), blocks(a, arm.steps).into());
            }
            m
        }
        Op::Parallel { fields, branches } => {
            let mut m = map_for(1 + fields.len() + 1 + tail);
            m.insert("kind".into(), "parallel".into());
            m.extend(fields.into_entries());
            let list: Vec<Value> = branches
                .into_iter()
                .map(|b| obj([("body", blocks(a, b.steps).into())]))
                .collect();
            m.insert("branches".into(), list.into());
            m
        }
        Op::Loop {
            style,
            fields,
            body,
        } => {
            let mut m = map_for(1 + fields.len() + 1 + tail);
            m.insert("kind".into(), style.into());
            m.extend(fields.into_entries());
            m.insert("body".into(), blocks(a, body).into());
            m
        }
    };
    if !data_from.is_empty() {
        m.insert("data_from".into(), data_from.into());
    }
    if let Some(b) = binding {
        m.insert("result_binding".into(), b.into());
    }
    m.insert(
        "source_location".into(),
        location(a, node, synthetic.map(|x| x.as_str())),
    );
    Value::Object(m)
}
