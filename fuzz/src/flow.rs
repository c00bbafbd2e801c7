//! A structure-aware description of a flow, derived with `arbitrary`, and its flow JSON.
//!
//! The description always yields a document of the right *shape* (the v2 schema's keys,
//! default ports, edges between existing nodes, `conditional` edges with a condition), so the
//! fuzzer spends its time in the analyze stage, structuring, lowering and the emitters rather
//! than in the JSON parser. It can still describe flows the analyze stage refuses (a
//! conditional edge out of a parallel, a loop body that leaves its loop, two fallthrough arms,
//! a data edge out of a branch, binding collisions, ...), which exercises those checks too.
//!
//! - nodes: 1–3 entries (`entry_api`, `entry_webhook`, `entry_schedule`), then up to
//!   [`MAX_NODES`] of `llm_rigid`, `llm_flexible`, `logic_decision`, `logic_parallel`,
//!   `logic_loop` (`foreach` / `while`), `data_variable_set`, `tool_http`, `checkpoint`;
//! - edges: up to [`MAX_EDGES`] `sequential` (optionally with a documentation condition),
//!   `conditional` and `data` edges. Endpoints are indices into a small id space (reduced
//!   modulo the node count) and always point "forwards" (from an earlier node to a later
//!   one), so the graph is acyclic and never enters an entry;
//! - strings (labels, templates, conditions, ids' suffixes, metadata) come from a pool of
//!   YAML-ambiguous and hostile strings (`yes`, `007`, `a: b`, `multi\nline`, control
//!   characters, ...) or are arbitrary text cut at [`MAX_TEXT`] bytes.
//!
//! [`GeneratedFlow`]'s `Debug` prints the flow JSON itself, so `cargo fuzz fmt
//! flow_structured ARTIFACT` shows the flow a crash came from (docs/fuzzing.md).

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};

/// Non-entry nodes at most.
pub const MAX_NODES: usize = 16;
/// Edges at most.
pub const MAX_EDGES: usize = 40;
/// Arbitrary strings are cut at this many bytes.
pub const MAX_TEXT: usize = 48;

/// Strings that are ambiguous in YAML, hostile to line-based output, or template-like.
pub const TEXT_POOL: &[&str] = &[
    "step",
    "{{input.x}}",
    "{{input.message}}",
    "{{n0}}",
    "{{n1.out}}",
    "{{acc}}",
    "Hello {{input.name}}, reply now (today)",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "N",
    "True",
    "null",
    "~",
    "",
    " ",
    "0.2",
    "1e3",
    "0o17",
    "0x1F",
    "007",
    "+1",
    "1_000",
    ".inf",
    "-.inf",
    ".nan",
    "2026-01-15",
    "2026-01-15T10:00:00Z",
    "12:30:00",
    "*ref",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "a: b",
    "a #b",
    "#c",
    "- dash",
    "? q",
    "[x]",
    "{y}",
    "<<",
    "|",
    ">",
    "=",
    "trail ",
    " lead",
    "multi\nline",
    "ends\n",
    "line1\n\nline3",
    "  indented\nsecond",
    "tab\there",
    "crlf\r\nline",
    "quote\"d",
    "back\\slash",
    "'single'",
    "é ✓ 日本",
    "\u{1F600}",
    "nul\u{0}byte",
    "\u{1b}[31mred",
    "\u{feff}bom",
    "\u{2028}sep",
    "{{",
    "}}",
    "{{ now() }}",
    "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing",
];

/// Conditions of conditional edges (and documentation conditions of sequential ones).
pub const COND_POOL: &[&str] = &[
    "c1",
    "c2",
    "c3",
    "true",
    "false",
    "input.x > 0",
    "input.kind == 'a'",
    "input.kind == \"b\"",
    "n0.ok",
    "yes",
];

const CRONS: &[&str] = &[
    "0 2 * * *",
    "*/5 * * * *",
    "0 0 1 JAN *",
    "30 8 * * MON-FRI",
];
const METHODS: &[&str] = &["POST", "GET", "PUT", "PATCH", "DELETE"];

/// A string: one of [`TEXT_POOL`] (or of another pool), or — one time in eight — arbitrary
/// text of at most [`MAX_TEXT`] bytes. (A derived enum would pick arbitrary text half of
/// the time, and long strings would eat the bytes that should describe nodes and edges.)
#[derive(Debug, Clone)]
pub enum Text {
    Pool(u8),
    Raw(String),
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let sel = u8::arbitrary(u)?;
        if sel < 224 {
            return Ok(Text::Pool(sel));
        }
        let n = u.int_in_range(0..=MAX_TEXT)?;
        let bytes = u.bytes(n.min(u.len()))?;
        Ok(Text::Raw(String::from_utf8_lossy(bytes).into_owned()))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(2 + MAX_TEXT))
    }
}

impl Text {
    pub fn get(&self) -> String {
        self.from(TEXT_POOL)
    }

    fn from(&self, pool: &[&str]) -> String {
        match self {
            Text::Pool(i) => pool[*i as usize % pool.len()].to_string(),
            Text::Raw(s) => crate::truncate(s, MAX_TEXT).to_string(),
        }
    }

    fn cond(&self) -> String {
        self.from(COND_POOL)
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Position {
    Int(i16, i16),
    /// Non-finite values become 0.5.
    Float(f64, f64),
}

impl Position {
    fn get(&self) -> Value {
        match self {
            Position::Int(x, y) => json!({"x": x, "y": y}),
            Position::Float(x, y) => {
                let f = |v: f64| if v.is_finite() { v } else { 0.5 };
                json!({"x": f(*x), "y": f(*y)})
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum EntryKind {
    Api { method: u8, path: bool },
    Webhook,
    Schedule { cron: u8, timezone: bool },
}

#[derive(Arbitrary, Debug, Clone)]
pub struct EntryDesc {
    pub kind: EntryKind,
    pub label: Text,
    pub position: Position,
}

#[derive(Arbitrary, Debug, Clone)]
pub enum NodeKind {
    Rigid {
        template: Text,
    },
    Flexible {
        goal: Text,
        /// 0: no `llm_role`; 1: `primary`; 2: `fast`.
        role: u8,
    },
    Decision {
        style: Option<Text>,
        subject: Option<Text>,
    },
    Parallel {
        max_concurrent: Option<u8>,
        fail_fast: Option<bool>,
    },
    Foreach {
        items: Text,
        item: bool,
    },
    While {
        condition: Option<Text>,
        max_iterations: u8,
    },
    VariableSet {
        value: Text,
    },
    Http {
        url: Text,
    },
    Checkpoint {
        prompt: Text,
    },
}

impl NodeKind {
    fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Rigid { .. } => "llm_rigid",
            NodeKind::Flexible { .. } => "llm_flexible",
            NodeKind::Decision { .. } => "logic_decision",
            NodeKind::Parallel { .. } => "logic_parallel",
            NodeKind::Foreach { .. } | NodeKind::While { .. } => "logic_loop",
            NodeKind::VariableSet { .. } => "data_variable_set",
            NodeKind::Http { .. } => "tool_http",
            NodeKind::Checkpoint { .. } => "checkpoint",
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct NodeDesc {
    pub kind: NodeKind,
    pub label: Text,
    pub position: Position,
    /// Appended to the id (`node_n3_<suffix>`): hostile ids reach the bindings' sanitiser.
    pub id_suffix: Option<Text>,
    /// Declares `outputs: [out, aux]` (not on loops), so edges may leave by `aux`.
    pub aux_port: bool,
    /// Omits `config` altogether (it defaults to `{}`): on decisions and parallels, and on
    /// other kinds in a `raw` flow.
    pub no_config: bool,
}

#[derive(Debug, Clone)]
pub enum EdgeKind {
    Sequential,
    /// A sequential edge with a `condition` (documentation only, kept verbatim).
    SequentialWithCondition(Text),
    Conditional(Text),
    Data,
}

impl<'a> Arbitrary<'a> for EdgeKind {
    /// Weighted: sequential 47 %, with a condition 8 %, conditional 37 %, data 8 % (data
    /// edges out of a branch are `SF212`; too many keep flows from compiling).
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? % 100 {
            0..47 => EdgeKind::Sequential,
            47..55 => EdgeKind::SequentialWithCondition(Text::arbitrary(u)?),
            55..92 => EdgeKind::Conditional(Text::arbitrary(u)?),
            _ => EdgeKind::Data,
        })
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct EdgeDesc {
    pub from: u8,
    pub to: u8,
    pub kind: EdgeKind,
    /// Leave by the other port: a loop's `done` (else `body`), a node's declared `aux`.
    pub alt_port: bool,
}

#[derive(Debug, Clone)]
pub struct FlowDesc {
    pub name: Text,
    pub with_schema: bool,
    pub with_target: bool,
    pub metadata: Option<Text>,
    pub entries: Vec<EntryDesc>,
    pub nodes: Vec<NodeDesc>,
    pub edges: Vec<EdgeDesc>,
    /// 0: no `config`; 1: a `primary` model; 2: `primary` and `fast`.
    pub models: u8,
    /// Declares the variable `acc` that `data_variable_set` nodes set.
    pub declare_variable: bool,
    /// Most flows are made semantically complete: models declared when an LLM node needs
    /// them, `acc` declared when a node sets it, every `config` present. One in sixteen
    /// keeps the raw choices (`models`, `declare_variable`, `no_config`), so `SF300`,
    /// `SF309`, `SF310`, `SF311` stay reachable without drowning the structural cases.
    pub raw: bool,
}

/// Lists are read as a count byte and that many elements: a derived `Vec` continues after
/// each element with probability 1/2, which gives flows of one or two nodes.
fn list<'a, T: Arbitrary<'a>>(
    u: &mut Unstructured<'a>,
    min: usize,
    max: usize,
) -> arbitrary::Result<Vec<T>> {
    let n = u.int_in_range(min..=max)?;
    (0..n).map(|_| T::arbitrary(u)).collect()
}

impl<'a> Arbitrary<'a> for FlowDesc {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(FlowDesc {
            name: Text::arbitrary(u)?,
            with_schema: bool::arbitrary(u)?,
            with_target: bool::arbitrary(u)?,
            metadata: Option::<Text>::arbitrary(u)?,
            models: u8::arbitrary(u)?,
            declare_variable: bool::arbitrary(u)?,
            raw: u8::arbitrary(u)? >= 240,
            entries: list(u, 1, 3)?,
            nodes: list(u, 0, MAX_NODES)?,
            edges: list(u, 0, MAX_EDGES)?,
        })
    }
}

struct Built {
    id: String,
    kind: &'static str,
    aux: bool,
}

impl FlowDesc {
    /// The flow JSON document.
    pub fn to_flow(&self) -> Value {
        let mut built: Vec<Built> = Vec::new();
        let mut nodes: Vec<Value> = Vec::new();
        let default_entry = [EntryDesc {
            kind: EntryKind::Api {
                method: 0,
                path: true,
            },
            label: Text::Pool(0),
            position: Position::Int(0, 0),
        }];
        let entries: &[EntryDesc] = if self.entries.is_empty() {
            &default_entry
        } else {
            &self.entries[..self.entries.len().min(3)]
        };
        for (i, e) in entries.iter().enumerate() {
            let id = format!("node_e{i}");
            let (kind, config) = match &e.kind {
                EntryKind::Api { method, path } => {
                    let mut c = json!({"method": METHODS[*method as usize % METHODS.len()]});
                    if *path {
                        c["path"] = json!(format!("/in{i}"));
                    }
                    ("entry_api", c)
                }
                EntryKind::Webhook => (
                    "entry_webhook",
                    json!({"method": "POST", "path": format!("/hook{i}")}),
                ),
                EntryKind::Schedule { cron, timezone } => {
                    let mut c = json!({"cron": CRONS[*cron as usize % CRONS.len()]});
                    if *timezone {
                        c["timezone"] = json!("Europe/Amsterdam");
                    }
                    ("entry_schedule", c)
                }
            };
            nodes.push(json!({"id": id, "type": kind, "label": e.label.get(),
                "position": e.position.get(), "config": config}));
            built.push(Built {
                id,
                kind,
                aux: false,
            });
        }
        for (i, n) in self.nodes.iter().take(MAX_NODES).enumerate() {
            let id = match &n.id_suffix {
                Some(s) => format!("node_n{i}_{}", s.get()),
                None => format!("node_n{i}"),
            };
            let kind = n.kind.type_name();
            let config = match &n.kind {
                NodeKind::Rigid { template } => json!({"template": template.get()}),
                NodeKind::Flexible { goal, role } => {
                    let mut c = json!({"goal": goal.get()});
                    match role % 3 {
                        1 => c["llm_role"] = json!("primary"),
                        2 => c["llm_role"] = json!("fast"),
                        _ => {}
                    }
                    c
                }
                NodeKind::Decision { style, subject } => {
                    let mut c = json!({});
                    if let Some(s) = style {
                        c["style"] = json!(s.get());
                    }
                    if let Some(s) = subject {
                        c["subject"] = json!(s.get());
                    }
                    c
                }
                NodeKind::Parallel {
                    max_concurrent,
                    fail_fast,
                } => {
                    let mut c = json!({});
                    if let Some(m) = max_concurrent {
                        c["max_concurrent"] = json!(1 + *m as u64 % 8);
                    }
                    if let Some(f) = fail_fast {
                        c["fail_fast"] = json!(f);
                    }
                    c
                }
                NodeKind::Foreach { items, item } => {
                    let mut c = json!({"style": "foreach", "items": items.get()});
                    if *item {
                        c["item"] = json!(format!("x{i}"));
                    }
                    c
                }
                NodeKind::While {
                    condition,
                    max_iterations,
                } => {
                    let mut c = json!({"style": "while",
                        "max_iterations": 1 + *max_iterations as u64 % 10});
                    if let Some(t) = condition {
                        c["condition"] = json!(t.cond());
                    }
                    c
                }
                NodeKind::VariableSet { value } => json!({"variable": "acc", "value": value.get()}),
                NodeKind::Http { url } => {
                    json!({"method": "GET", "url": format!("https://example.com/{}", url.get())})
                }
                NodeKind::Checkpoint { prompt } => {
                    json!({"type": "approval", "prompt": prompt.get(), "options": ["approve", "reject"]})
                }
            };
            let mut node = json!({"id": id, "type": kind, "label": n.label.get(),
                "position": n.position.get()});
            // Decisions and parallels need no config; other kinds only lose theirs in `raw`.
            let optional = matches!(
                n.kind,
                NodeKind::Decision { .. } | NodeKind::Parallel { .. }
            );
            if !(n.no_config && (self.raw || optional)) {
                node["config"] = config;
            }
            let aux = n.aux_port && kind != "logic_loop";
            if aux {
                node["outputs"] = json!([{"id": "out", "type": "object"},
                    {"id": "aux", "label": "aux", "type": "object"}]);
            }
            nodes.push(node);
            built.push(Built { id, kind, aux });
        }
        let n_entries = entries.len();
        let total = built.len();
        let mut edges: Vec<Value> = Vec::new();
        for e in self.edges.iter().take(MAX_EDGES) {
            let (mut s, mut t) = (e.from as usize % total, e.to as usize % total);
            if s == t {
                continue;
            }
            if s > t {
                std::mem::swap(&mut s, &mut t);
            }
            if t < n_entries {
                continue;
            }
            let src = &built[s];
            let port = match src.kind {
                "entry_api" => "out_request",
                "entry_webhook" => "out_event",
                "entry_schedule" => "out_tick",
                "logic_loop" if e.alt_port => "done",
                "logic_loop" => "body",
                _ if src.aux && e.alt_port => "aux",
                _ => "out",
            };
            let mut edge = json!({"id": format!("edge_{}", edges.len() + 1), "type": "sequential",
                "source": {"node": src.id, "port": port},
                "target": {"node": built[t].id, "port": "in"}});
            match &e.kind {
                EdgeKind::Sequential => {}
                EdgeKind::SequentialWithCondition(c) => edge["condition"] = json!(c.cond()),
                EdgeKind::Conditional(c) => {
                    edge["type"] = json!("conditional");
                    let c = c.cond();
                    // The schema wants a non-empty condition.
                    edge["condition"] = json!(if c.is_empty() { "c1".to_string() } else { c });
                }
                EdgeKind::Data => edge["type"] = json!("data"),
            }
            edges.push(edge);
        }
        if !self.raw {
            tidy_arms(&mut edges, &built);
        }
        let mut flow = serde_json::Map::new();
        if self.with_schema {
            flow.insert(
                "$schema".into(),
                json!("https://scailabs.com/schemas/scaiflow/v2.json"),
            );
        }
        flow.insert("id".into(), json!("flow_fuzz"));
        flow.insert("name".into(), json!(self.name.get()));
        flow.insert("version".into(), json!("1.0.0"));
        if self.with_target {
            flow.insert("scaicore_target".into(), json!("0.2"));
        }
        if let Some(m) = &self.metadata {
            flow.insert("metadata".into(), json!({"description": m.get()}));
        }
        flow.insert("nodes".into(), Value::Array(nodes));
        flow.insert("edges".into(), Value::Array(edges));
        let sets_variable = self
            .nodes
            .iter()
            .take(MAX_NODES)
            .any(|n| matches!(n.kind, NodeKind::VariableSet { .. }));
        if self.declare_variable || (!self.raw && sets_variable) {
            flow.insert(
                "variables".into(),
                json!([{"name": "acc", "type": "array[object]", "default": []}]),
            );
        }
        let uses_models = self
            .nodes
            .iter()
            .take(MAX_NODES)
            .any(|n| matches!(n.kind, NodeKind::Flexible { .. }));
        let models = match self.models % 3 {
            m if self.raw || !uses_models => m,
            _ => 2,
        };
        match models {
            1 => {
                flow.insert(
                    "config".into(),
                    json!({"core_identity": {"models": [
                        {"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o"}]}}),
                );
            }
            2 => {
                flow.insert(
                    "config".into(),
                    json!({"core_identity": {"name": "Fuzz", "models": [
                        {"role": "primary", "ref": "scaigrid", "model": "openai/gpt-4o", "temperature": 0.3},
                        {"role": "fast", "ref": "scaigrid", "model": "openai/gpt-4o-mini"}]}}),
                );
            }
            _ => {}
        }
        Value::Object(flow)
    }
}

/// Outside `raw` flows, avoids two structural errors random edges make most often: the
/// out-edges of a `logic_parallel` or a `logic_loop` become `sequential` (a condition there
/// is `SF217`), and of the fallthrough edges (`sequential`, or condition `"true"`) leaving
/// one port that also has `conditional` edges (a decision) only the first stays one; the
/// others get conditions (two are `SF215`).
fn tidy_arms(edges: &mut [Value], built: &[Built]) {
    let kind_of = |id: &Value| {
        built
            .iter()
            .find(|b| id == b.id.as_str())
            .map_or("", |b| b.kind)
    };
    let mut fallthrough: Vec<(Value, Value)> = Vec::new();
    let decides: Vec<(Value, Value)> = edges
        .iter()
        .filter(|e| e["type"] == "conditional")
        .map(|e| (e["source"]["node"].clone(), e["source"]["port"].clone()))
        .collect();
    for (k, e) in edges.iter_mut().enumerate() {
        if e["type"] == "data" {
            continue;
        }
        if matches!(
            kind_of(&e["source"]["node"]),
            "logic_parallel" | "logic_loop"
        ) {
            e["type"] = json!("sequential");
            if let Some(o) = e.as_object_mut() {
                o.remove("condition");
            }
            continue;
        }
        let key = (e["source"]["node"].clone(), e["source"]["port"].clone());
        let is_fallthrough = e["type"] == "sequential" || e["condition"] == "true";
        if is_fallthrough && decides.contains(&key) {
            if fallthrough.contains(&key) {
                e["type"] = json!("conditional");
                e["condition"] = json!(format!("k{k}"));
            } else {
                fallthrough.push(key);
            }
        }
    }
}

/// The input of the `flow_structured` target: a [`FlowDesc`] and the flow JSON text it
/// gives. `Debug` prints that text, so `cargo fuzz fmt` shows the flow of an artifact.
pub struct GeneratedFlow {
    pub desc: FlowDesc,
    pub doc: Value,
    pub text: String,
}

impl<'a> Arbitrary<'a> for GeneratedFlow {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let desc = FlowDesc::arbitrary(u)?;
        let doc = desc.to_flow();
        let text = serde_json::to_string_pretty(&doc).expect("a Value serialises");
        Ok(GeneratedFlow { desc, doc, text })
    }
}

impl std::fmt::Debug for GeneratedFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.text)
    }
}
