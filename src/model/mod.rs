//! The typed v2 flow model (spec §2–§3).
//!
//! The model keeps what round-trips need: a node's `config` is kept verbatim as a JSON map
//! (`meta.node_config` must reproduce it exactly) and typed per kind on demand with
//! [`Node::typed_config`]. Optional top-level members stay `Option` so that "absent" and
//! "present but empty" remain distinguishable.

use std::borrow::Cow;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

mod config;

/// The flow's ScaiCore target when `scaicore_target` is absent.
pub const DEFAULT_SCAICORE_TARGET: &str = "0.2";

/// The short strings a flow has by the thousand: node, edge and port ids, labels, port
/// types. Up to 24 bytes are held inline (`n1234`, `in`, `object`, `Classify 12`), so
/// they cost no allocation of their own: at 10,000 nodes, 137,000 fewer blocks in
/// the model (docs/performance.md, "Names inline, the graph in rows").
pub type Name = CompactString;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub id: String,
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaicore_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Variable>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<FlowConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<Vec<Value>>,
    /// The source document's top-level keys, in their order (for lossless round-trips).
    #[serde(skip)]
    pub source_keys: Vec<String>,
    /// The source's `config`, verbatim: key order and presence as written (the typed
    /// `config` normalises both).
    #[serde(skip)]
    pub source_config: Option<Value>,
    /// The source's `variables`, verbatim.
    #[serde(skip)]
    pub source_variables: Option<Value>,
}

impl Flow {
    pub fn scaicore_target(&self) -> &str {
        self.scaicore_target
            .as_deref()
            .unwrap_or(DEFAULT_SCAICORE_TARGET)
    }

    pub fn variables(&self) -> &[Variable] {
        self.variables.as_deref().unwrap_or_default()
    }

    pub fn config(&self) -> Cow<'_, FlowConfig> {
        match &self.config {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(FlowConfig::default()),
        }
    }

    /// The declared model registry (empty when none is declared).
    pub fn models(&self) -> &[ModelEntry] {
        self.config
            .as_ref()
            .and_then(|c| c.core_identity.as_ref())
            .map_or(&[], |ci| &ci.models)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_identity: Option<CoreIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins: Option<Vec<PluginDecl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bunker: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaiqueue: Option<ScaiQueue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_as_model: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_visibility_group_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoreIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub models: Vec<ModelEntry>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of the model registry; unknown upstream fields are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub role: String,
    #[serde(rename = "ref")]
    pub provider: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Vec<FallbackModel>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackModel {
    #[serde(rename = "ref")]
    pub provider: String,
    pub model: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginDecl {
    pub alias: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Map<String, Value>>,
}

impl PluginDecl {
    /// The package name without vendor and version (`scailabs/scaidrive@1.0` → `scaidrive`).
    pub fn package_name(&self) -> Option<&str> {
        let pkg = self.package.as_deref()?;
        let name = pkg.rsplit('/').next()?;
        Some(name.split('@').next().unwrap_or(name))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaiQueue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queues: Option<Vec<Map<String, Value>>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub x: Number,
    pub y: Number,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    pub id: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Name>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<Name>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: Name,
    #[serde(rename = "type")]
    pub kind: NodeKind,
    pub label: Name,
    pub position: Position,
    // (Sized maps: serde_json's own visitor grows every map entry by entry.)
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::load::sized::optional_map"
    )]
    pub config: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Port>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Port>>,
}

/// A default port of a kind: `(id, label)`, type `object`.
pub type DefaultPort = (&'static str, &'static str);

/// The type of every default port.
pub const DEFAULT_PORT_TYPE: &str = "object";

fn default_ports(ports: &[DefaultPort]) -> Vec<Port> {
    ports
        .iter()
        .map(|(id, label)| Port {
            id: Name::const_new(id),
            label: Some(Name::const_new(label)),
            ty: Some(Name::const_new(DEFAULT_PORT_TYPE)),
        })
        .collect()
}

impl Node {
    /// The node's config (`{}` when absent).
    pub fn config(&self) -> Cow<'_, Map<String, Value>> {
        match &self.config {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(Map::new()),
        }
    }

    /// Input ports: the declared ones, or the kind's defaults.
    pub fn inputs(&self) -> Cow<'_, [Port]> {
        match &self.inputs {
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(default_ports(self.kind.default_inputs())),
        }
    }

    /// Output ports: the declared ones, or the kind's defaults.
    pub fn outputs(&self) -> Cow<'_, [Port]> {
        match &self.outputs {
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(default_ports(self.kind.default_outputs())),
        }
    }

    /// The config parsed into the kind's typed shape. Fails only when the config does not
    /// match the schema (which the analyze stage has already checked).
    pub fn typed_config(&self) -> Result<NodeConfig, serde_json::Error> {
        NodeConfig::parse(self.kind, &self.config())
    }

    /// The identifier the node's result is bound under (see `docs/flow-format.md`).
    pub fn binding(&self) -> Option<String> {
        self.kind.produces_value().then(|| binding_name(&self.id))
    }
}

/// ScaiCore's reserved words; never usable as identifiers.
pub const RESERVED_WORDS: &[&str] = &[
    "if", "else", "match", "return", "yield", "break", "continue", "emit", "true", "false", "null",
    "import", "from", "as", "pub", "type", "enum", "async", "instance", "goto",
];

/// Whether `s` is a ScaiCore identifier (`[a-z_][a-zA-Z0-9_]*`, not reserved).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED_WORDS.contains(&s)
}

/// The output a `logic_loop` runs its body from (docs/lowering.md, "Loop ports"): the one
/// called `body` (by id, by `out_`-prefixed id or by label); else the first output other
/// than the one called `done` (found the same way); else `body`. Every other output leaves
/// the loop. `outputs` are `(id, label)`, in declared order. Lowering and `scaiflow graph`
/// both ask here.
pub fn loop_body_port<'a, I>(outputs: I) -> &'a str
where
    I: Iterator<Item = (&'a str, Option<&'a str>)> + Clone,
{
    let named = |name: &str| {
        outputs
            .clone()
            .find(|&(id, label)| {
                id == name || id.strip_prefix("out_") == Some(name) || label == Some(name)
            })
            .map(|(id, _)| id)
    };
    named("body")
        .or_else(|| {
            let done = named("done");
            outputs
                .clone()
                .map(|(id, _)| id)
                .find(|&id| Some(id) != done)
        })
        .unwrap_or("body")
}

/// Derives a result binding from a node id: the id without a leading `node_`, sanitised into
/// a ScaiCore identifier (ASCII punctuation becomes `_`; a non-ASCII character becomes
/// `u<hex code point>`, so distinct non-ASCII ids never collide; a leading character that
/// cannot start an identifier gets a `_` prefix; a reserved word gets a `_` suffix).
pub fn binding_name(id: &str) -> String {
    let stem = id
        .strip_prefix("node_")
        .filter(|s| !s.is_empty())
        .unwrap_or(id);
    let mut out = String::with_capacity(stem.len());
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if c.is_ascii() {
            out.push('_');
        } else {
            out.push_str(&format!("u{:x}", c as u32));
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        out.insert(0, '_');
    }
    if RESERVED_WORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

macro_rules! node_kinds {
    ($( $variant:ident = $name:literal, $cat:ident; )*) => {
        /// The 24 node kinds (closed list).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum NodeKind { $( #[serde(rename = $name)] $variant, )* }

        impl NodeKind {
            pub const ALL: &'static [NodeKind] = &[ $( NodeKind::$variant, )* ];

            /// The kind as written in flow JSON.
            pub fn as_str(self) -> &'static str {
                match self { $( NodeKind::$variant => $name, )* }
            }

            pub fn category(self) -> Category {
                match self { $( NodeKind::$variant => Category::$cat, )* }
            }

            pub fn parse(s: &str) -> Option<NodeKind> {
                match s { $( $name => Some(NodeKind::$variant), )* _ => None }
            }
        }
    };
}

node_kinds! {
    EntryApi = "entry_api", Entry;
    EntryWebhook = "entry_webhook", Entry;
    EntrySchedule = "entry_schedule", Entry;
    LlmRigid = "llm_rigid", Llm;
    LlmGuarded = "llm_guarded", Llm;
    LlmFlexible = "llm_flexible", Llm;
    LogicDecision = "logic_decision", Logic;
    LogicLoop = "logic_loop", Logic;
    LogicParallel = "logic_parallel", Logic;
    ToolPlugin = "tool_plugin", Tool;
    ToolHttp = "tool_http", Tool;
    DataVariableSet = "data_variable_set", Data;
    Checkpoint = "checkpoint", Hitl;
    HitlDecision = "hitl_decision", Hitl;
    HitlReview = "hitl_review", Hitl;
    QueuePublish = "queue_publish", Queue;
    QueueConsume = "queue_consume", Queue;
    QueueEscalation = "queue_escalation", Queue;
    ComputeProvision = "compute_provision", Compute;
    ComputeExec = "compute_exec", Compute;
    ComputeFileUpload = "compute_file_upload", Compute;
    ComputeFileDownload = "compute_file_download", Compute;
    ComputeDestroy = "compute_destroy", Compute;
    SubflowCall = "subflow_call", Subflow;
}

/// The 9 categories of node kinds. The kinds' name prefixes give eight of them; the
/// prefix-less `checkpoint` belongs with the human-in-the-loop kinds (it is the block
/// `hitl_decision` and `hitl_review` compile to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Entry,
    Llm,
    Logic,
    Tool,
    Data,
    Hitl,
    Queue,
    Compute,
    Subflow,
}

impl NodeKind {
    pub fn is_entry(self) -> bool {
        self.category() == Category::Entry
    }

    /// LLM nodes that select a model by role (`llm_role` / legacy `model`).
    pub fn uses_llm_role(self) -> bool {
        matches!(self, NodeKind::LlmGuarded | NodeKind::LlmFlexible)
    }

    /// Kinds whose step produces a value that later steps can reference.
    pub fn produces_value(self) -> bool {
        !matches!(
            self.category(),
            Category::Entry | Category::Logic | Category::Data
        ) && self != NodeKind::ComputeDestroy
    }

    pub fn default_inputs(self) -> &'static [DefaultPort] {
        if self.is_entry() {
            &[]
        } else {
            &[("in", "in")]
        }
    }

    pub fn default_outputs(self) -> &'static [DefaultPort] {
        match self {
            NodeKind::EntryApi => &[("out_request", "request")],
            NodeKind::EntryWebhook => &[("out_event", "event")],
            NodeKind::EntrySchedule => &[("out_tick", "tick")],
            NodeKind::LogicLoop => &[("body", "body"), ("done", "done")],
            _ => &[("out", "out")],
        }
    }
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Sequential,
    Conditional,
    Data,
}

impl EdgeKind {
    /// The kind as written in flow JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Sequential => "sequential",
            EdgeKind::Conditional => "conditional",
            EdgeKind::Data => "data",
        }
    }

    /// Sequential and conditional edges transfer control; data edges do not.
    pub fn is_control(self) -> bool {
        self != EdgeKind::Data
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub node: Name,
    pub port: Name,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    pub id: Name,
    #[serde(rename = "type")]
    pub kind: EdgeKind,
    pub source: Endpoint,
    pub target: Endpoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

pub use config::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_kind_names_are_the_serde_names() {
        for k in [EdgeKind::Sequential, EdgeKind::Conditional, EdgeKind::Data] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    /// The body port by its name in each form, else the first output that is not `done`,
    /// else `body`.
    #[test]
    fn the_loop_body_port() {
        let body =
            |outs: &[(&'static str, Option<&'static str>)]| loop_body_port(outs.iter().copied());
        assert_eq!(body(&[("a", None), ("body", None)]), "body");
        assert_eq!(body(&[("a", None), ("out_body", None)]), "out_body");
        assert_eq!(body(&[("a", None), ("b", Some("body")), ("c", None)]), "b");
        assert_eq!(body(&[("out_done", None), ("x", None)]), "x");
        assert_eq!(body(&[("x", None), ("y", Some("done"))]), "x");
        assert_eq!(
            body(&[("d", Some("done")), ("e", Some("done")), ("x", None)]),
            "e"
        );
        assert_eq!(body(&[("first", None), ("second", None)]), "first");
        assert_eq!(body(&[("done", None)]), "body");
        assert_eq!(body(&[]), "body");
        // A name wins over a position, and `body` over `done`.
        assert_eq!(body(&[("done", Some("body")), ("x", None)]), "done");
    }

    #[test]
    fn bindings() {
        assert_eq!(binding_name("node_classify"), "classify");
        assert_eq!(binding_name("classify"), "classify");
        assert_eq!(binding_name("node_1abc"), "_1abc");
        assert_eq!(binding_name("node_match"), "match_");
        assert_eq!(binding_name("node-KB search"), "node_KB_search");
        assert_eq!(binding_name("Classify"), "_Classify");
        assert_eq!(binding_name("分类"), "u5206u7c7b");
        assert_eq!(binding_name("node_路由"), "u8defu7531");
        assert_eq!(binding_name("node_é"), "ue9");
        assert_eq!(binding_name("node_"), "node_");
        assert!(is_identifier("classify") && !is_identifier("match") && !is_identifier("X"));
    }

    /// Every node's typed config is one pointer and a tag, whatever its kind (unboxed,
    /// the largest kind's 560 bytes were every node's, docs/performance.md).
    #[test]
    fn a_typed_config_is_two_words() {
        assert_eq!(
            std::mem::size_of::<NodeConfig>(),
            2 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn kinds_round_trip_names() {
        assert_eq!(NodeKind::ALL.len(), 24);
        for k in NodeKind::ALL {
            assert_eq!(NodeKind::parse(k.as_str()), Some(*k));
            let v = serde_json::to_value(k).unwrap();
            assert_eq!(v, Value::String(k.as_str().into()));
        }
    }

    #[test]
    fn typed_configs_parse() {
        let raw: Map<String, Value> = serde_json::from_str(
            r#"{"style": "while", "condition": "x < 3", "max_iterations": 5, "extra": 1}"#,
        )
        .unwrap();
        let NodeConfig::LogicLoop(c) = NodeConfig::parse(NodeKind::LogicLoop, &raw).unwrap() else {
            panic!("wrong variant")
        };
        assert_eq!(c.style, Some(LoopStyle::While));
        assert_eq!(c.max_iterations, Some(5));
    }

    #[test]
    fn whole_floats_are_integers_like_in_json_schema() {
        let raw: Map<String, Value> =
            serde_json::from_str(r#"{"cpu": 1000.0, "memory": 512}"#).unwrap();
        let NodeConfig::ComputeProvision(c) =
            NodeConfig::parse(NodeKind::ComputeProvision, &raw).unwrap()
        else {
            panic!("wrong variant")
        };
        assert_eq!((c.cpu, c.memory), (Some(1000), Some(512)));
        let bad: Map<String, Value> = serde_json::from_str(r#"{"cpu": 1.5}"#).unwrap();
        assert!(NodeConfig::parse(NodeKind::ComputeProvision, &bad).is_err());
        let t: Map<String, Value> = serde_json::from_str(r#"{"timeout": 30.0}"#).unwrap();
        let NodeConfig::QueueConsume(q) = NodeConfig::parse(NodeKind::QueueConsume, &t).unwrap()
        else {
            panic!("wrong variant")
        };
        assert_eq!(q.timeout, Some(Duration::Seconds(30)));
    }
}
