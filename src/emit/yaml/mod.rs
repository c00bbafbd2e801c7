//! The YAML deploy manifest (spec §6): what `POST /v1/modules/scaicore/cores` accepts.
//! Key order and shape as documented; the text is serde-saphyr's, which quotes every
//! string a YAML 1.1 parser would read as something else (`yes`, `0.2`, `~`, ...), so the
//! manifest loads to the same data in YAML 1.1 and 1.2 parsers. See `docs/yaml-manifest.md`.
//! [`writer`] writes that text itself, byte for byte, about three times faster; where it
//! declines (a key over 1024 characters), serde-saphyr writes the whole document.

mod view;
pub mod writer;

use serde_json::Value;

use crate::analyze::AnalyzedFlow;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};
use view::{Obj, V};

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

impl<'a> Ctx<'a> {
    fn new(flow: &'a AnalyzedFlow) -> Self {
        let mut out_edges = vec![Vec::new(); flow.flow.nodes.len()];
        for (i, e) in flow.flow.edges.iter().enumerate() {
            if let Some(&n) = flow.nodes_by_id.get(&e.source.node) {
                out_edges[n].push(i);
            }
        }
        Ctx { a: flow, out_edges }
    }
}

/// Renders the manifest text.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> Result<String, String> {
    let mut bytes = Vec::new();
    emit_into(a, core, &mut bytes)?;
    // Both writers write `str`s only.
    String::from_utf8(bytes).map_err(|e| format!("YAML serialization failed: {e}"))
}

/// About 900 bytes of YAML per node: a buffer for the whole text big enough to skip most
/// regrowth.
fn capacity(a: &AnalyzedFlow) -> usize {
    a.flow.nodes.len().saturating_mul(1024)
}

/// [`emit`]'s text handed to `sink` as it is written (see [`crate::emit::Sink`]); the
/// number of bytes.
pub fn emit_into(
    a: &AnalyzedFlow,
    core: &Core,
    sink: &mut dyn crate::emit::Sink,
) -> Result<u64, String> {
    let ctx = Ctx::new(a);
    let view = manifest_view(&ctx, core);
    match writer::write_into(&view, sink, capacity(a)) {
        Ok(written) => Ok(written),
        Err(_) => {
            sink.restart();
            let text = saphyr_text(&view)?;
            let written = text.len() as u64;
            sink.take(text.into_bytes());
            Ok(written)
        }
    }
}

/// The manifest text as serde-saphyr writes it: [`emit`]'s fallback, and its oracle in
/// tests.
#[doc(hidden)]
pub fn emit_with_saphyr(a: &AnalyzedFlow, core: &Core) -> Result<String, String> {
    let ctx = Ctx::new(a);
    saphyr_text(&manifest_view(&ctx, core))
}

/// Whether [`writer`] writes this manifest itself (false: [`emit`] falls back to
/// serde-saphyr).
#[doc(hidden)]
pub fn writer_covers(a: &AnalyzedFlow, core: &Core) -> bool {
    let ctx = Ctx::new(a);
    writer::to_string(&manifest_view(&ctx, core)).is_ok()
}

fn saphyr_text(view: &V<'_>) -> Result<String, String> {
    serde_saphyr::to_string(view).map_err(|e| format!("YAML serialization failed: {e}"))
}

/// The manifest as data, in the documented key order (what its YAML loads back to).
pub fn manifest(flow: &AnalyzedFlow, core: &Core) -> Value {
    let ctx = Ctx::new(flow);
    // Serialising the view into a `Value` cannot fail: every key is a string.
    serde_json::to_value(manifest_view(&ctx, core)).unwrap_or_default()
}

fn manifest_view<'a>(a: &'a Ctx<'a>, core: &'a Core) -> V<'a> {
    let mut c = Obj::new();
    c.insert("name", (&core.name).into());
    c.insert("mode", core.mode.into());
    c.insert("runtime_version", (&core.runtime_version).into());
    let mut identity = Obj::new();
    identity.insert("provider", "scaikey".into());
    identity.insert("persona", (&core.persona).into());
    c.insert("identity", identity.into());
    if let Some(m) = &core.model {
        c.insert("model", m.into());
    }
    if !core.plugins.is_empty() {
        let plugins: Vec<Value> = core.plugins.iter().map(|p| p.to_value()).collect();
        c.insert("plugins", V::Owned(plugins.into()));
    }
    if !core.capabilities.is_empty() {
        c.insert(
            "capabilities",
            V::Seq(core.capabilities.iter().map(V::Json).collect()),
        );
    }
    if let Some(q) = &core.scaiqueue {
        c.insert("scaiqueue", V::Json(q));
    }
    let flows = core
        .flows
        .iter()
        .map(|f| {
            let mut m = Obj::new();
            m.insert("name", (&f.name).into());
            if let Some(t) = f.triggers.first() {
                m.insert("trigger", trigger(t));
            }
            if f.triggers.len() > 1 {
                m.insert(
                    "additional_triggers",
                    V::Seq(f.triggers[1..].iter().map(trigger).collect()),
                );
            }
            m.insert("steps", steps(a, &f.steps));
            m.into()
        })
        .collect();
    c.insert("flows", V::Seq(flows));
    c.insert("scaiflow_meta", scaiflow_meta(a, core));
    let mut root = Obj::new();
    root.insert("core", c.into());
    root.into()
}

fn trigger(t: &Trigger) -> V<'_> {
    let mut m = Obj::new();
    m.insert("type", t.kind.into());
    // The trigger kind wins over an (allowed, undocumented) config key named `type`; the
    // config stays verbatim in the entry's meta record.
    m.extend_json_filtered(&t.config, |k| k != "type");
    m.into()
}

/// The node record every step carries: what makes import lossless.
fn node_meta<'a>(a: &'a Ctx<'a>, node: usize) -> Obj<'a> {
    let n = &a.flow.nodes[node];
    // (At most the nine keys below.)
    let mut m = Obj::with_capacity(9);
    m.insert("node_id", (&n.id).into());
    m.insert("node_kind", n.kind.as_str().into());
    m.insert("node_label", (&n.label).into());
    m.insert(
        "node_config",
        match &n.config {
            Some(c) => V::JsonMap(c),
            None => V::Owned(Value::Object(serde_json::Map::new())),
        },
    );
    if n.config.is_none() {
        m.insert("node_config_absent", V::Bool(true));
    }
    // The canvas layout, so a round trip keeps it (import lays out nodes without it).
    m.insert("node_position", V::Position(&n.position));
    if let Some(p) = &n.inputs {
        m.insert("node_inputs", V::Ports(p));
    }
    if let Some(p) = &n.outputs {
        m.insert("node_outputs", V::Ports(p));
    }
    let edges = &a.out_edges[node];
    if !edges.is_empty() {
        m.insert("node_edges", V::Edges(edges, &a.flow.edges));
    }
    m
}

/// Steps are built one at a time, as the writer reaches them.
fn steps<'a>(a: &'a Ctx<'a>, steps: &'a [Step]) -> V<'a> {
    V::Seq(
        steps
            .iter()
            .map(|s| V::Lazy(Box::new(move || step(a, s))))
            .collect(),
    )
}

fn arms<'a>(a: &'a Ctx<'a>, arms: &'a [CoreArm], with_when: bool) -> V<'a> {
    V::Seq(
        arms.iter()
            .map(|arm| {
                let mut m = Obj::new();
                if with_when {
                    m.insert("when", (&arm.when).into());
                }
                m.insert("steps", steps(a, &arm.steps));
                m.into()
            })
            .collect(),
    )
}

fn step<'a>(a: &'a Ctx<'a>, s: &'a Step) -> V<'a> {
    // (Its operation's keys and a few of the step's own: a config's fields reserve more.)
    let mut m = Obj::with_capacity(8);
    match &s.op {
        Op::Template { template } => {
            m.insert("rigid", template.into());
        }
        Op::LlmTurn {
            goal,
            guarded,
            role,
            guard,
            fields,
        } => {
            m.insert("llm_turn", goal.into());
            if *guarded {
                m.insert("guarded", V::Bool(true));
            }
            if let Some(g) = guard {
                m.insert("guard", g.into());
            }
            if let Some(r) = role {
                m.insert("llm_role", r.into());
            }
            m.extend_fields(fields);
        }
        Op::PluginCall {
            alias,
            method,
            args,
        } => {
            let mut call = Obj::new();
            call.insert("alias", alias.into());
            call.insert("method", method.into());
            call.insert("args", V::Fields(args));
            m.insert("plugin_call", call.into());
        }
        Op::Assign { variable, value } => {
            let mut assign = Obj::new();
            assign.insert("variable", variable.into());
            assign.insert("value", V::Json(value));
            m.insert("assign", assign.into());
        }
        Op::Checkpoint {
            fields,
            hitl_target,
        } => {
            let mut c = Obj::new();
            c.extend_fields(fields);
            if let Some(h) = hitl_target {
                // `HitlTarget::to_map`'s entries, borrowed.
                let or_null =
                    |x: &'a Option<String>| x.as_ref().map_or(V::Owned(Value::Null), V::from);
                c.insert("scope", or_null(&h.scope));
                c.insert("queue", or_null(&h.queue));
                if !h.hitl_spec.is_empty() {
                    c.insert("hitl_spec", V::JsonMap(&h.hitl_spec));
                }
            }
            m.insert("checkpoint", c.into());
        }
        Op::CoreCall { fields } => {
            m.insert("core_call", V::Fields(fields));
        }
        Op::Decision { fields, arms: xs } => {
            let mut d = Obj::new();
            d.extend_fields(fields);
            d.insert("branches", arms(a, xs, true));
            m.insert("decision", d.into());
        }
        Op::Parallel { fields, branches } => {
            let mut p = Obj::new();
            p.extend_fields(fields);
            p.insert("branches", arms(a, branches, false));
            m.insert("parallel", p.into());
        }
        Op::Loop {
            style,
            fields,
            body,
        } => {
            let mut l = Obj::new();
            l.extend_fields(fields);
            l.insert("steps", steps(a, body));
            m.insert(style, l.into());
        }
    }
    if let Some(b) = &s.binding {
        m.insert("bind", b.into());
    }
    if !s.data_from.is_empty() {
        m.insert(
            "data_from",
            V::Strs(s.data_from.iter().map(String::as_str).collect()),
        );
    }
    let meta = match s.synthetic {
        None => node_meta(a, s.node),
        Some(what) => {
            // The four documented keys, and what the compiler added the step for; import
            // skips such steps (the node has its own).
            let mut m = node_meta(a, s.node);
            m.retain(|k| matches!(k, "node_id" | "node_kind" | "node_label" | "node_config"));
            m.insert("synthetic", what.as_str().into());
            m
        }
    };
    m.insert("meta", meta.into());
    m.into()
}

fn scaiflow_meta<'a>(a: &'a Ctx<'a>, core: &'a Core) -> V<'a> {
    let f = &a.flow;
    let cfg = f.config();
    let mut m = Obj::new();
    m.insert("source_id", (&f.id).into());
    m.insert("source_version", (&f.version).into());
    m.insert("scaicore_target", f.scaicore_target().into());
    if let Some(p) = cfg.publish_as_model {
        m.insert("publish_as_model", V::Bool(p));
    }
    if let Some(g) = &cfg.model_visibility_group_ids {
        m.insert("model_visibility_group_ids", V::Owned(g.clone().into()));
    }
    let models = crate::lower::core::registry(f);
    if !models.is_empty() {
        m.insert("models", V::Owned(models.into()));
    }
    // Everything else import needs to rebuild the flow exactly.
    m.insert("flow_name", (&f.name).into());
    if let Some(s) = &f.schema {
        m.insert("schema", s.into());
    }
    if let Some(x) = &f.metadata {
        m.insert("metadata", V::JsonMap(x));
    }
    // The flow's own values, verbatim (key order and presence as written).
    if let Some(v) = &f.source_variables {
        m.insert("variables", V::Json(v));
    }
    if let Some(c) = &f.source_config {
        m.insert("config", V::Json(c));
    }
    if let Some(t) = &f.tests {
        m.insert("tests", V::Seq(t.iter().map(V::Json).collect()));
    }
    m.insert(
        "flow_keys",
        V::Strs(f.source_keys.iter().map(String::as_str).collect()),
    );
    m.insert(
        "node_order",
        V::Strs(f.nodes.iter().map(|n| n.id.as_str()).collect()),
    );
    m.insert(
        "edge_order",
        V::Strs(f.edges.iter().map(|e| e.id.as_str()).collect()),
    );
    let entries = core
        .flows
        .iter()
        .flat_map(|fl| fl.triggers.iter().map(move |t| (fl, t)))
        .map(|(fl, t)| {
            V::Lazy(Box::new(move || {
                let mut e = node_meta(a, t.node);
                e.insert("flow", (&fl.name).into());
                e.into()
            }))
        })
        .collect();
    m.insert("entries", V::Seq(entries));
    // Nodes no entry reaches compile to nothing; they ride along for round-trips.
    let detached: Vec<V> = (0..f.nodes.len())
        .filter(|&i| !a.reachable[i] && !f.nodes[i].kind.is_entry())
        .map(|i| V::Lazy(Box::new(move || node_meta(a, i).into())))
        .collect();
    if !detached.is_empty() {
        m.insert("detached", V::Seq(detached));
    }
    m.into()
}
