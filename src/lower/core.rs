//! The lowering stage, part 2: the format-neutral core model every emitter shares. Each
//! node becomes the ScaiCore construct its kind maps to (spec §3), inside the structure
//! from part 1; the documented compiler defaults are applied here, once, for all formats:
//! plugins used by `tool_plugin` nodes are added to the core's plugin list; compute nodes
//! without `config.bunker` get the default bunker capability; queue and `hitl_review`
//! nodes inherit `config.scaiqueue.scope`; `breakpoint: true` prepends a synthetic
//! `debug_breakpoint` checkpoint. See `docs/yaml-manifest.md` for the mapping.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

pub use super::fields::Fields;
use super::{Arm, Block, FlowBody};
use crate::analyze::AnalyzedFlow;
use crate::model::{Flow, ModelEntry, NodeConfig, NodeKind};

/// The default bunker capability when compute nodes exist and `config.bunker` is unset.
pub fn default_bunker() -> Value {
    json!({"lifecycle": "ephemeral", "image": "python-3.12"})
}

/// A lowered core.
#[derive(Debug, Clone, PartialEq)]
pub struct Core<'a> {
    /// Slug of the flow's name.
    pub name: String,
    /// Instance mode; flows have no mode setting, so always `stateless`.
    pub mode: &'static str,
    pub runtime_version: String,
    /// The flow's display name.
    pub persona: String,
    /// `<ref>/<model>` of the first registry entry (the implicit primary).
    pub model: Option<String>,
    pub plugins: Vec<Plugin>,
    pub capabilities: Vec<Value>,
    pub scaiqueue: Option<Value>,
    pub flows: Vec<CoreFlow<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plugin {
    pub alias: String,
    pub endpoint: String,
    pub package: Option<String>,
    pub config: Option<Map<String, Value>>,
}

impl Plugin {
    /// `{alias, endpoint, package?, config?}`, as the manifest and the IR list it.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("alias".into(), self.alias.clone().into());
        m.insert("endpoint".into(), self.endpoint.clone().into());
        if let Some(pkg) = &self.package {
            m.insert("package".into(), pkg.clone().into());
        }
        if let Some(cfg) = &self.config {
            m.insert("config".into(), Value::Object(cfg.clone()));
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoreFlow<'a> {
    pub name: String,
    /// The first entry is the flow's canonical trigger.
    pub triggers: Vec<Trigger>,
    pub steps: Vec<Step<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub node: usize,
    /// `api`, `webhook` or `schedule`.
    pub kind: &'static str,
    /// The entry's config, verbatim (method/path, cron/timezone, ...).
    pub config: Map<String, Value>,
}

/// One step of a flow body.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    /// The node it comes from (for a step the compiler added, the node it was added for).
    pub node: usize,
    pub op: Op<'a>,
    /// The result binding of value-producing steps.
    pub binding: Option<String>,
    /// Bindings this step reads through incoming `data` edges, in edge order (an entry
    /// source is the trigger payload, `input`).
    pub data_from: Vec<String>,
    /// `None` for the node's own step; otherwise what the compiler added it for.
    pub synthetic: Option<Synthetic>,
}

/// Steps the compiler adds for a node, beside (or instead of) the node's own step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synthetic {
    /// The `debug_breakpoint` checkpoint of `breakpoint: true`, before the node's step.
    DebugBreakpoint,
    /// The decision or parallel block of a node of another kind with several out-edges
    /// (or a conditional one), after the node's own step.
    Fork,
    /// The decision among the arms that continue, inside the else arm of a decision whose
    /// first arms end the flow.
    DecisionRest,
}

impl Synthetic {
    pub fn as_str(self) -> &'static str {
        match self {
            Synthetic::DebugBreakpoint => "debug_breakpoint",
            Synthetic::Fork => "fork",
            Synthetic::DecisionRest => "decision_rest",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op<'a> {
    /// `llm_rigid`: a rigid block evaluating one expression template.
    Template { template: String },
    /// `llm_flexible` / `llm_guarded`.
    LlmTurn {
        goal: String,
        guarded: bool,
        role: Option<String>,
        guard: Option<String>,
        /// The other documented keys that are set, verbatim, in documented order.
        fields: Fields<'a>,
    },
    /// `tool_plugin`, `tool_http`, `queue_*`, `compute_*`.
    PluginCall {
        alias: String,
        method: String,
        args: Fields<'a>,
    },
    /// `data_variable_set`.
    Assign { variable: String, value: Value },
    /// `checkpoint`, `hitl_decision`, `hitl_review`, and the synthetic breakpoint.
    Checkpoint {
        fields: Fields<'a>,
        /// Boxed: the other checkpoints have none, and inline it made every step
        /// 32 bytes bigger.
        hitl_target: Option<Box<HitlTarget>>,
    },
    /// `subflow_call`: a core_call block.
    CoreCall { fields: Fields<'a> },
    Decision {
        fields: Fields<'a>,
        arms: Vec<CoreArm<'a>>,
    },
    Parallel {
        fields: Fields<'a>,
        branches: Vec<CoreArm<'a>>,
    },
    Loop {
        /// `foreach` or `while`.
        style: &'static str,
        fields: Fields<'a>,
        body: Vec<Step<'a>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct HitlTarget {
    pub scope: Option<String>,
    pub queue: Option<String>,
    pub hitl_spec: Map<String, Value>,
}

impl HitlTarget {
    /// `{scope, queue, hitl_spec?}` (a missing scope or queue is null, as documented).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut t = Map::new();
        t.insert(
            "scope".into(),
            self.scope.clone().map_or(Value::Null, Value::from),
        );
        t.insert(
            "queue".into(),
            self.queue.clone().map_or(Value::Null, Value::from),
        );
        if !self.hitl_spec.is_empty() {
            t.insert("hitl_spec".into(), Value::Object(self.hitl_spec.clone()));
        }
        t
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoreArm<'a> {
    /// The edge that starts the arm (`None`: the synthetic else arm of early exits).
    pub edge: Option<usize>,
    /// The condition (`"true"` for a sequential fallthrough edge).
    pub when: String,
    pub fallthrough: bool,
    pub steps: Vec<Step<'a>>,
}

/// Slug of a name: lower-case ASCII letters and digits, other runs become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "flow".into() } else { out }
}

/// The optional fields of a flexible turn after its goal, output type and role, in the
/// documented order (the IR and the `.scai` text list them so).
pub const FLEXIBLE_FIELDS: &[&str] = &[
    "input_bindings",
    "context_bindings",
    "guidance",
    "identity_ref",
    "constraints",
    "examples",
    "on_failure",
    "budget",
];

/// The optional fields of a guarded turn after its goal, output type, role and guard.
pub const GUARDED_FIELDS: &[&str] = &[
    "validate",
    "input_bindings",
    "context_bindings",
    "guidance",
    "constraints",
    "on_validation_failure",
];

/// The keys of `cfg` among `keys` that are set, in `keys` order; `null` means "not set"
/// (`docs/flow-format.md`) and is left out.
fn pick<'a>(cfg: Option<&'a Map<String, Value>>, keys: &[&'a str]) -> Fields<'a> {
    let Some(cfg) = cfg else {
        return Fields::new();
    };
    // (Counted first, over the config's few entries rather than by a second lookup of
    // every key: the fields are built at their size.)
    let n = cfg
        .iter()
        .filter(|(k, v)| !v.is_null() && keys.contains(&k.as_str()))
        .count();
    let mut fields = Fields::with_capacity(n);
    for k in keys {
        if let Some(v) = cfg.get(*k).filter(|v| !v.is_null()) {
            fields.insert(k, Cow::Borrowed(v));
        }
    }
    fields
}

/// `hitl_target.hitl_spec` of a `hitl_review`: ScaiQueue's `{sections: [{type, ...}],
/// assignee}`. A `sections` list is carried verbatim. An object keyed by section type
/// becomes that list, in key order: each item of a list value is one section `{type: <key>,
/// ...its fields}`; an object value is one section; any other value is kept as
/// `{type: <key>, value: <it>}`.
fn hitl_spec(cfg: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut spec = pick(cfg, &["sections", "assignee"]).into_map();
    if let Some(Value::Object(by_type)) = spec.get("sections") {
        let section = |ty: &str, v: &Value| {
            let mut entry = Map::new();
            entry.insert("type".into(), Value::String(ty.to_string()));
            match v {
                Value::Object(fields) => {
                    for (k, x) in fields {
                        if k != "type" {
                            entry.insert(k.clone(), x.clone());
                        }
                    }
                }
                other => {
                    entry.insert("value".into(), other.clone());
                }
            }
            Value::Object(entry)
        };
        let mut list = Vec::new();
        for (ty, v) in by_type {
            match v {
                Value::Array(items) => list.extend(items.iter().map(|x| section(ty, x))),
                Value::Null => {}
                other => list.push(section(ty, other)),
            }
        }
        spec.insert("sections".into(), Value::Array(list));
    }
    spec
}

/// A checkpoint's `type`: the config's, verbatim (even `null`), else `approval`.
fn checkpoint_type(cfg: Option<&Map<String, Value>>) -> Cow<'_, Value> {
    cfg.and_then(|c| c.get("type"))
        .map_or_else(|| Cow::Owned("approval".into()), Cow::Borrowed)
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// Lowers an analyzed, structured flow.
pub fn lower<'a>(a: &'a AnalyzedFlow, bodies: &[FlowBody]) -> Core<'a> {
    let flow = &a.flow;
    let cfg = flow.config();
    let name = slug(&flow.name);
    let scope = cfg.scaiqueue.as_ref().and_then(|q| q.scope.clone());
    let mut data_in = vec![Vec::new(); flow.nodes.len()];
    for (i, e) in flow.edges.iter().enumerate() {
        if e.kind == crate::model::EdgeKind::Data
            && let Some(&t) = a.nodes_by_id.get(&e.target.node)
        {
            data_in[t].push(i);
        }
    }
    let l = Lowerer { a, scope, data_in };
    let mut flows: Vec<CoreFlow> = Vec::new();
    // Names taken, and per base name the next suffix to try (linear in the flows, however
    // many entries share a label).
    let mut taken: crate::hash::HashSet<String> = crate::hash::HashSet::default();
    let mut next: crate::hash::HashMap<String, usize> = crate::hash::HashMap::default();
    for (i, body) in bodies.iter().enumerate() {
        let base = if i == 0 {
            name.clone()
        } else {
            format!("{name}-{}", slug(&flow.nodes[body.entries[0]].label))
        };
        let mut fname = base.clone();
        if taken.contains(&fname) {
            let n = next.entry(base.clone()).or_insert(2);
            loop {
                fname = format!("{base}-{n}");
                *n += 1;
                if !taken.contains(&fname) {
                    break;
                }
            }
        }
        taken.insert(fname.clone());
        flows.push(CoreFlow {
            name: fname,
            triggers: body.entries.iter().map(|&e| trigger(flow, e)).collect(),
            steps: l.steps(&body.blocks),
        });
    }
    Core {
        name,
        mode: "stateless",
        runtime_version: flow.scaicore_target().to_string(),
        persona: flow.name.clone(),
        model: flow.models().first().map(primary_model),
        plugins: plugins(a),
        capabilities: capabilities(a),
        scaiqueue: flow
            .source_config
            .as_ref()
            .and_then(|c| c.get("scaiqueue"))
            .cloned(),
        flows,
    }
}

/// The model registry verbatim (every field, in the flow's key order), each entry with its
/// own provider key spelt `provider` (the flow spells it `ref`; nested `fallback` entries
/// keep `ref`), as the manifest and the IR carry it.
pub fn registry(flow: &Flow) -> Vec<Value> {
    let raw = flow
        .source_config
        .as_ref()
        .and_then(|c| c.get("core_identity"))
        .and_then(|ci| ci.get("models"))
        .and_then(Value::as_array);
    let typed = || {
        flow.models()
            .iter()
            .filter_map(|m| serde_json::to_value(m).ok())
            .collect::<Vec<_>>()
    };
    let entries = raw.cloned().unwrap_or_else(typed);
    entries
        .into_iter()
        .map(|entry| match entry {
            // An entry that also has a key of its own named `provider` keeps `ref`.
            Value::Object(o) if !o.contains_key("provider") => Value::Object(
                o.into_iter()
                    .map(|(k, x)| (if k == "ref" { "provider".into() } else { k }, x))
                    .collect(),
            ),
            other => other,
        })
        .collect()
}

fn primary_model(m: &ModelEntry) -> String {
    format!("{}/{}", m.provider, m.model)
}

fn trigger(flow: &Flow, node: usize) -> Trigger {
    let n = &flow.nodes[node];
    let kind = match n.kind {
        NodeKind::EntryWebhook => "webhook",
        NodeKind::EntrySchedule => "schedule",
        _ => "api",
    };
    Trigger {
        node,
        kind,
        config: n.config().into_owned(),
    }
}

/// Declared plugins, then the aliases reachable `tool_plugin` nodes use that are not
/// declared.
fn plugins(a: &AnalyzedFlow) -> Vec<Plugin> {
    let flow = &a.flow;
    let mut out: Vec<Plugin> = flow
        .config
        .as_ref()
        .and_then(|c| c.plugins.as_ref())
        .map(|ps| {
            ps.iter()
                .map(|p| Plugin {
                    alias: p.alias.clone(),
                    endpoint: p
                        .endpoint
                        .clone()
                        .unwrap_or_else(|| format!("plugin://{}", p.alias)),
                    package: p.package.clone(),
                    config: p.config.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    for (i, n) in flow.nodes.iter().enumerate() {
        if n.kind != NodeKind::ToolPlugin || !a.reachable[i] {
            continue;
        }
        if let Some(alias) = n.config().get("plugin").and_then(Value::as_str)
            && !out.iter().any(|p| p.alias == alias)
        {
            out.push(Plugin {
                alias: alias.to_string(),
                endpoint: format!("plugin://{alias}"),
                package: None,
                config: None,
            });
        }
    }
    out
}

/// Declared capabilities, then the bunker (declared, or the default when reachable compute
/// nodes exist and no declared capability is a bunker already).
fn capabilities(a: &AnalyzedFlow) -> Vec<Value> {
    let flow = &a.flow;
    let cfg = flow.config();
    let mut out = cfg.capabilities.clone().unwrap_or_default();
    let declared_bunker = out.iter().any(|c| c.get("bunker").is_some());
    let compute = !declared_bunker
        && flow.nodes.iter().enumerate().any(|(i, n)| {
            a.reachable[i] && matches!(n.kind.category(), crate::model::Category::Compute)
        });
    // A bunker declared among the capabilities wins; else `config.bunker`; else the default
    // when reachable compute nodes need one.
    let bunker = match &cfg.bunker {
        _ if declared_bunker => None,
        Some(b) => Some(Value::Object(b.clone())),
        None if compute => Some(default_bunker()),
        None => None,
    };
    if let Some(b) = bunker {
        out.push(json!({"bunker": b}));
    }
    out
}

struct Lowerer<'a> {
    a: &'a AnalyzedFlow,
    scope: Option<String>,
    /// Incoming `data` edges of each node, in edge order.
    data_in: Vec<Vec<usize>>,
}

impl<'a> Lowerer<'a> {
    /// The node's typed config, parsed again here: analysis does not keep them (one at a
    /// time, they never add up to the peak, docs/performance.md).
    fn config(&self, node: usize) -> NodeConfig {
        match self.a.flow.nodes[node].typed_config() {
            Ok(c) => c,
            // ok: an analyzed flow exists only when every node's config parsed, and the
            // same map parses the same way again.
            Err(e) => unreachable!("node {node}'s config parsed in analysis, not now: {e}"),
        }
    }

    fn steps(&self, blocks: &[Block]) -> Vec<Step<'a>> {
        // One step per block, but for a breakpoint's or a fork's extra step: sized once
        // instead of doubling from empty (the doubling was 4.8 MB of a 10,000-node flow).
        let mut out = Vec::with_capacity(blocks.len());
        for b in blocks {
            match b {
                Block::Step { node } => self.node_steps(*node, &mut out),
                Block::Decision { node, arms, rest } => {
                    let own = self.a.flow.nodes[*node].kind == NodeKind::LogicDecision;
                    out.push(self.fork(*node, arms, false, own, *rest));
                }
                Block::Parallel {
                    node,
                    branches,
                    own,
                } => {
                    out.push(self.fork(*node, branches, true, *own, false));
                }
                Block::Loop { node, body } => {
                    let cfg = self.a.flow.nodes[*node].config.as_ref();
                    let style = match self.config(*node) {
                        NodeConfig::LogicLoop(c)
                            if c.style == Some(crate::model::LoopStyle::While) =>
                        {
                            "while"
                        }
                        _ => "foreach",
                    };
                    let keys: &[&str] = if style == "while" {
                        &["condition", "max_iterations"]
                    } else {
                        &["items", "item"]
                    };
                    let mut fields = pick(cfg, keys);
                    if style == "while" && !fields.contains_key("condition") {
                        // The documented fix for a while loop is `max_iterations`; without a
                        // condition the loop runs until that bound (SF315 says so).
                        fields = Fields::after(
                            Some((
                                "condition",
                                Cow::Owned(crate::model::WHILE_DEFAULT_CONDITION.into()),
                            )),
                            fields,
                        );
                    }
                    out.push(Step {
                        node: *node,
                        op: Op::Loop {
                            style,
                            fields,
                            body: self.steps(body),
                        },
                        binding: None,
                        data_from: Vec::new(),
                        synthetic: None,
                    });
                }
            }
        }
        out
    }

    /// The bindings `node` reads through incoming `data` edges.
    fn data_from(&self, node: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &i in &self.data_in[node] {
            let e = &self.a.flow.edges[i];
            let Some(&src) = self.a.nodes_by_id.get(&e.source.node) else {
                continue;
            };
            let name = if self.a.flow.nodes[src].kind.is_entry() {
                Some(crate::analyze::INPUT_BINDING.to_string())
            } else {
                self.a.bindings[src].clone()
            };
            if let Some(n) = name
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
        out
    }

    /// A decision or parallel step; `own`: the block of the `logic_decision` /
    /// `logic_parallel` node itself (otherwise a fork the structure adds after `node`).
    fn fork(&self, node: usize, arms: &[Arm], parallel: bool, own: bool, rest: bool) -> Step<'a> {
        let n = &self.a.flow.nodes[node];
        let implicit = !own;
        let synthetic = if rest {
            Some(Synthetic::DecisionRest)
        } else if implicit {
            Some(Synthetic::Fork)
        } else {
            None
        };
        let cfg = n.config.as_ref();
        let arms: Vec<CoreArm> = arms
            .iter()
            .map(|arm| CoreArm {
                edge: arm.edge,
                // A fallthrough is tried last and always taken: `true`, whatever note a
                // sequential edge carries.
                when: if arm.fallthrough {
                    "true".into()
                } else {
                    arm.condition.clone().unwrap_or_else(|| "true".into())
                },
                fallthrough: arm.fallthrough,
                steps: self.steps(&arm.blocks),
            })
            .collect();
        let op = if parallel {
            let fields = if implicit {
                Fields::new()
            } else {
                pick(cfg, &["max_concurrent", "fail_fast"])
            };
            Op::Parallel {
                fields,
                branches: arms,
            }
        } else {
            let fields = if implicit {
                Fields::new()
            } else {
                pick(cfg, &["style", "subject"])
            };
            Op::Decision { fields, arms }
        };
        Step {
            node,
            op,
            binding: None,
            data_from: Vec::new(),
            synthetic,
        }
    }

    fn node_steps(&self, node: usize, out: &mut Vec<Step<'a>>) {
        let n = &self.a.flow.nodes[node];
        let cfg = n.config.as_ref();
        let scope_of = |own: Option<&Value>| str_of(own).or_else(|| self.scope.clone());
        let op = match &self.config(node) {
            NodeConfig::LlmRigid(c) => Op::Template {
                template: c.template.clone().unwrap_or_default(),
            },
            NodeConfig::LlmGuarded(c) => Op::LlmTurn {
                goal: c.goal.clone().unwrap_or_default(),
                guarded: true,
                role: c.llm_role.clone().or_else(|| c.model.clone()),
                guard: c.guard.clone(),
                fields: pick(
                    cfg,
                    &[
                        "validate",
                        "on_validation_failure",
                        "output_schema",
                        "input_bindings",
                        "context_bindings",
                        "guidance",
                        "constraints",
                    ],
                ),
            },
            NodeConfig::LlmFlexible(c) => Op::LlmTurn {
                goal: c.goal.clone().unwrap_or_default(),
                guarded: false,
                role: c.llm_role.clone().or_else(|| c.model.clone()),
                guard: None,
                fields: pick(cfg, &[&["output_schema"], FLEXIBLE_FIELDS].concat()),
            },
            NodeConfig::ToolPlugin(c) => Op::PluginCall {
                alias: c.plugin.clone().unwrap_or_default(),
                method: c.method.clone().unwrap_or_default(),
                // (The typed `args` is this map, read; `null` or absent is none.)
                args: match cfg.and_then(|m| m.get("args")) {
                    Some(Value::Object(args)) => Fields::of(args),
                    _ => Fields::new(),
                },
            },
            NodeConfig::ToolHttp(_) => Op::PluginCall {
                alias: "http".into(),
                method: "request".into(),
                args: pick(cfg, &["method", "url", "headers", "body", "timeout"]),
            },
            NodeConfig::DataVariableSet(c) => Op::Assign {
                variable: c.variable.clone().unwrap_or_default(),
                value: c.value.clone().unwrap_or(Value::Null),
            },
            NodeConfig::QueuePublish(_)
            | NodeConfig::QueueConsume(_)
            | NodeConfig::QueueEscalation(_) => {
                let (method, keys): (&str, &[&str]) = match n.kind {
                    NodeKind::QueuePublish => ("publish", &["queue", "message_type", "payload"]),
                    NodeKind::QueueConsume => ("consume", &["queue", "timeout"]),
                    _ => ("escalate", &["queue", "reason", "priority"]),
                };
                let scope = scope_of(cfg.and_then(|c| c.get("scope")));
                let args = Fields::after(
                    scope.map(|s| ("scope", Cow::Owned(s.into()))),
                    pick(cfg, keys),
                );
                Op::PluginCall {
                    alias: "scaiqueue".into(),
                    method: method.into(),
                    args,
                }
            }
            NodeConfig::ComputeProvision(_)
            | NodeConfig::ComputeExec(_)
            | NodeConfig::ComputeFileUpload(_)
            | NodeConfig::ComputeFileDownload(_)
            | NodeConfig::ComputeDestroy(_) => {
                let m = crate::plugins::compute_method(n.kind);
                let (name, keys): (&str, Vec<&str>) = m.map_or(("destroy", Vec::new()), |m| {
                    (
                        m.name,
                        m.required.iter().chain(m.optional).copied().collect(),
                    )
                });
                Op::PluginCall {
                    alias: crate::plugins::SCAIBUNKER.name.into(),
                    method: name.into(),
                    args: pick(cfg, &keys),
                }
            }
            NodeConfig::Checkpoint(c) => {
                if c.breakpoint == Some(true) {
                    out.push(Step {
                        node,
                        op: Op::Checkpoint {
                            fields: Fields::from_iter([(
                                "type",
                                Cow::Owned("debug_breakpoint".into()),
                            )]),
                            hitl_target: None,
                        },
                        binding: None,
                        data_from: Vec::new(),
                        synthetic: Some(Synthetic::DebugBreakpoint),
                    });
                }
                let fields = Fields::after(
                    Some(("type", checkpoint_type(cfg))),
                    pick(
                        cfg,
                        &[
                            "prompt",
                            "options",
                            "timeout",
                            "on_timeout",
                            "assignee",
                            "priority",
                        ],
                    ),
                );
                Op::Checkpoint {
                    fields,
                    hitl_target: None,
                }
            }
            NodeConfig::HitlDecision(_) => {
                let fields = Fields::after(
                    Some(("type", checkpoint_type(cfg))),
                    pick(cfg, &["prompt", "options", "timeout", "on_timeout"]),
                );
                Op::Checkpoint {
                    fields,
                    hitl_target: None,
                }
            }
            NodeConfig::HitlReview(c) => Op::Checkpoint {
                fields: Fields::from_iter([("type", Cow::Owned("hitl_review".into()))]),
                hitl_target: Some(Box::new(HitlTarget {
                    scope: c.scope.clone().or_else(|| self.scope.clone()),
                    queue: c.queue.clone(),
                    hitl_spec: hitl_spec(cfg),
                })),
            },
            NodeConfig::SubflowCall(_) => Op::CoreCall {
                fields: pick(
                    cfg,
                    &[
                        "target",
                        "flow_name",
                        "input_bindings",
                        "instance_key",
                        "version",
                        "timeout",
                        "is_async",
                    ],
                ),
            },
            // Entries and logic nodes never reach a Step block.
            NodeConfig::EntryApi(_)
            | NodeConfig::EntryWebhook(_)
            | NodeConfig::EntrySchedule(_)
            | NodeConfig::LogicDecision(_)
            | NodeConfig::LogicLoop(_)
            | NodeConfig::LogicParallel(_) => return,
        };
        out.push(Step {
            node,
            op,
            binding: self.a.bindings[node].clone(),
            data_from: self.data_from(node),
            synthetic: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The set keys, in the keys' order, `null` and the keys not asked for left out; built
    /// at their size.
    #[test]
    fn pick_takes_the_set_keys_in_order() {
        let Value::Object(cfg) = json!({"c": 3, "z": 1, "a": null, "b": 2}) else {
            unreachable!("an object")
        };
        let picked = pick(Some(&cfg), &["b", "a", "c", "d"]);
        let keys: Vec<&str> = picked.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "c"]);
        assert_eq!(picked.get("c"), Some(&json!(3)));
        assert_eq!(picked.capacity(), 2);
        assert!(pick(None, &["b"]).is_empty());
    }
}
