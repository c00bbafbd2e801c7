//! The `.scai` text of a lowered core: the core's declarations, then each flow's steps.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::INDENT;
use super::lexical::{
    braced, braced_expression, double_quoted, expression, field_key, identifier, is_code, one_line,
    output_type, sole_template_expression, string, type_name,
};
use crate::analyze::AnalyzedFlow;
use crate::emit::Sink;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};
use crate::model::RESERVED_WORDS;

/// The `.scai` text of a lowered flow, handed to `sink` as it is written: a chunk whenever
/// the text holds `sink.chunk_size()` bytes or more after a step (the text before is final:
/// the writer only appends), the rest at the end. The number of bytes written.
pub(super) fn write_into(a: &AnalyzedFlow, core: &Core, sink: &mut dyn Sink) -> u64 {
    let chunk = sink.chunk_size();
    let mut w = Writer {
        out: String::with_capacity(crate::emit::first_capacity(chunk, 0)),
        sink,
        chunk,
        spilled: 0,
        a,
        roles: Names::default(),
        plugins: Names::default(),
    };
    w.core(core);
    let rest = std::mem::take(&mut w.out).into_bytes();
    crate::emit::finish(rest, w.sink, w.spilled)
}

/// Unique identifiers within one namespace (models, plugins, triggers, flows): a second
/// `x` becomes `x_2`. Each name given out is remembered, so references use the very name
/// the declaration got.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
    given: HashMap<String, String>,
}

impl Names {
    /// Declares `text`: a name of its own.
    fn take(&mut self, text: &str) -> String {
        let base = identifier(text);
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.given.entry(text.to_string()).or_insert(name.clone());
        name
    }

    /// The name `text` was declared under (declaring it when it was not).
    fn get(&mut self, text: &str) -> String {
        match self.given.get(text) {
            Some(n) => n.clone(),
            None => self.take(text),
        }
    }
}

struct Writer<'a> {
    out: String,
    /// Takes `out` when it holds `chunk` bytes or more after a step.
    sink: &'a mut dyn Sink,
    chunk: usize,
    /// Bytes handed to `sink` so far.
    spilled: u64,
    a: &'a AnalyzedFlow,
    /// Model roles and plugin aliases: declared in `@models` / `@plugins`, referred to by
    /// `llm = …` and plugin calls under the same names.
    roles: Names,
    plugins: Names,
}

impl Writer<'_> {
    /// Hands the text so far to the sink once it holds a chunk; called only where the text
    /// before is final (after a step).
    fn spill_if_full(&mut self) {
        crate::emit::spill_text_if_full(&mut self.out, self.sink, self.chunk, &mut self.spilled);
    }

    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A JSON value as a ScaiCore literal, on one line when it is short and flat.
    fn value(&self, v: &Value, depth: usize) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => string(s),
            Value::Array(a) => {
                let items: Vec<String> = a.iter().map(|x| self.value(x, depth + 1)).collect();
                let one = format!("[{}]", items.join(", "));
                if one.len() <= 80 && !one.contains('\n') {
                    one
                } else {
                    let pad = INDENT.repeat(depth + 1);
                    format!(
                        "[\n{}\n{}]",
                        items
                            .iter()
                            .map(|i| format!("{pad}{i}"))
                            .collect::<Vec<_>>()
                            .join(",\n"),
                        INDENT.repeat(depth)
                    )
                }
            }
            Value::Object(m) => self.object(m, depth),
        }
    }

    /// `{ key = value … }`; keys that are not identifiers are written as strings.
    fn object(&self, m: &Map<String, Value>, depth: usize) -> String {
        if m.is_empty() {
            return "{}".into();
        }
        let fields: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{} = {}", field_key(k), self.value(v, depth + 1)))
            .collect();
        braced(&fields, depth)
    }

    /// `name = value` lines for the keys that `get` finds set (in `keys` order), at
    /// `depth`: a step's fields or a flow's map alike.
    fn fields<'v>(
        &mut self,
        depth: usize,
        get: impl Fn(&str) -> Option<&'v Value>,
        keys: &[(&str, &str)],
    ) {
        for (src, dst) in keys {
            if let Some(v) = get(src) {
                let text = format!("{dst} = {}", self.value(v, depth));
                self.line(depth, &text);
            }
        }
    }

    fn core(&mut self, core: &Core) {
        let flow = &self.a.flow;
        self.line(0, &format!("// {} — compiled by scaiflow from flow {} {}; ScaiCore source for reading (deprecated target).", one_line(&flow.name), one_line(&flow.id), one_line(&flow.version)));
        self.line(0, &format!("@core {} {{", type_name(&flow.name)));
        self.line(1, &format!("version = {}", string(&flow.version)));
        if let Some(d) = flow
            .metadata
            .as_ref()
            .and_then(|m| m.get("description"))
            .and_then(Value::as_str)
        {
            self.line(1, &format!("description = {}", string(d)));
        }
        self.line(1, &format!("instance = :{}", core.mode));
        self.models();
        self.plugins(core);
        let identity = flow
            .config
            .as_ref()
            .and_then(|c| c.core_identity.as_ref())
            .and_then(|ci| ci.name.clone())
            .unwrap_or_else(|| flow.name.clone());
        self.line(1, &format!("identity = {{ name = {} }}", string(&identity)));
        self.memory();
        self.config(core);
        // Flow names first: triggers refer to them.
        let mut flow_names = Names::default();
        let names: Vec<String> = core
            .flows
            .iter()
            .map(|f| flow_names.take(&f.name))
            .collect();
        self.triggers(core, &names);
        for (f, name) in core.flows.iter().zip(&names) {
            self.out.push('\n');
            self.line(1, &format!("@flow {name}(input: Request): Result {{"));
            self.steps(&f.steps, 2);
            self.line(1, "}");
        }
        self.line(0, "}");
    }

    /// The flow's variables: `@memory { name: type = default … }`.
    fn memory(&mut self) {
        let vars = self.a.flow.variables();
        if vars.is_empty() {
            return;
        }
        self.line(1, "@memory {");
        for v in vars {
            // A type that is one name stays; free-form type text becomes `object`.
            let simple = v.ty.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && v.ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !RESERVED_WORDS.contains(&v.ty.as_str());
            let ty = if simple { v.ty.as_str() } else { "object" };
            let mut text = format!("{}: {ty}", identifier(&v.name));
            if let Some(d) = &v.default {
                let _ = write!(text, " = {}", self.value(d, 2));
            }
            self.line(2, &text);
        }
        self.line(1, "}");
    }

    /// Capabilities (the bunker among them) and the ScaiQueue set-up: `@config { … }`.
    fn config(&mut self, core: &Core) {
        let mut m = Map::new();
        if !core.capabilities.is_empty() {
            m.insert("capabilities".into(), core.capabilities.clone().into());
        }
        if let Some(q) = &core.scaiqueue {
            m.insert("scaiqueue".into(), q.clone());
        }
        if m.is_empty() {
            return;
        }
        self.line(1, "@config {");
        for (k, v) in &m {
            let text = format!("{k} = {}", self.value(v, 2));
            self.line(2, &text);
        }
        self.line(1, "}");
    }

    fn models(&mut self) {
        let models = crate::lower::core::registry(&self.a.flow);
        if models.is_empty() {
            return;
        }
        self.line(1, "@models {");
        for m in &models {
            let Some(m) = m.as_object() else { continue };
            let role = m.get("role").and_then(Value::as_str).unwrap_or("model");
            let name = self.roles.take(role);
            self.line(2, &format!("{name} = {{"));
            self.fields(
                3,
                |k| m.get(k),
                &[
                    ("provider", "provider"),
                    ("model", "model"),
                    ("temperature", "temperature"),
                ],
            );
            if let Some(ms) = m.get("modalities").and_then(Value::as_array) {
                let syms: Vec<String> = ms
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!(":{}", identifier(s)))
                    .collect();
                self.line(3, &format!("modalities = [{}]", syms.join(", ")));
            }
            self.line(3, &format!("role = {}", string(role)));
            self.fields(
                3,
                |k| m.get(k),
                &[
                    ("system_context", "system_context"),
                    ("fallback", "fallback"),
                ],
            );
            self.line(2, "}");
        }
        self.line(1, "}");
    }

    fn plugins(&mut self, core: &Core) {
        if core.plugins.is_empty() {
            return;
        }
        self.line(1, "@plugins {");
        for p in &core.plugins {
            let name = self.plugins.take(&p.alias);
            let default_endpoint = p.endpoint == format!("plugin://{}", p.alias);
            // `alias = "package"` as upstream writes it; every other detail in a map.
            let text = match (&p.package, &p.config) {
                (Some(pkg), None) if default_endpoint => string(pkg),
                (None, None) => string(&p.endpoint),
                _ => {
                    let mut m = Map::new();
                    if let Some(pkg) = &p.package {
                        m.insert("package".into(), pkg.clone().into());
                    }
                    m.insert("endpoint".into(), p.endpoint.clone().into());
                    if let Some(c) = &p.config {
                        m.insert("config".into(), Value::Object(c.clone()));
                    }
                    self.object(&m, 2)
                }
            };
            self.line(2, &format!("{name} = {text}"));
        }
        self.line(1, "}");
    }

    fn triggers(&mut self, core: &Core, flow_names: &[String]) {
        let all: Vec<(&Trigger, &str)> = core
            .flows
            .iter()
            .zip(flow_names)
            .flat_map(|(f, n)| f.triggers.iter().map(move |t| (t, n.as_str())))
            .collect();
        if all.is_empty() {
            return;
        }
        self.line(1, "@triggers {");
        let mut names = Names::default();
        for (t, flow) in all {
            let node = &self.a.flow.nodes[t.node];
            let name = names.take(node.id.strip_prefix("node_").unwrap_or(&node.id));
            // The entry kind's documented defaults, overridden by its config.
            let mut m = Map::new();
            let defaults: &[(&str, &str)] = match t.kind {
                "schedule" => &[("cron", "0 * * * *"), ("timezone", "UTC")],
                _ => &[("method", "POST"), ("path", "/")],
            };
            for (k, v) in defaults {
                m.insert((*k).to_string(), (*v).into());
            }
            m.extend(t.config.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut settings = format!("flow = {flow}");
            for (k, v) in &m {
                if k != "flow" {
                    let _ = write!(settings, "  {} = {}", field_key(k), self.value(v, 2));
                }
            }
            self.line(2, &format!("@{} {name} {{ {settings} }}", t.kind));
        }
        self.line(1, "}");
    }

    fn steps(&mut self, steps: &[Step], depth: usize) {
        for s in steps {
            self.step(s, depth);
            self.spill_if_full();
        }
    }

    /// `name = ` for a value-producing step (its binding, sanitised and unique).
    fn capture(&self, s: &Step) -> String {
        // Bindings are identifiers, unique in their flow (the analyze stage sees to it).
        s.binding
            .as_ref()
            .map(|b| format!("{} = ", identifier(b)))
            .unwrap_or_default()
    }

    fn comment(&mut self, s: &Step, depth: usize) {
        let n = &self.a.flow.nodes[s.node];
        let what = match s.synthetic {
            Some(x) => format!(" ({})", x.as_str()),
            None => String::new(),
        };
        let reads = if s.data_from.is_empty() {
            String::new()
        } else {
            format!(" (reads {})", s.data_from.join(", "))
        };
        self.line(
            depth,
            &format!(
                "// {} {}{what}: {}{reads}",
                n.kind.as_str(),
                one_line(&n.id),
                one_line(&n.label)
            ),
        );
    }

    fn step(&mut self, s: &Step, depth: usize) {
        self.comment(s, depth);
        let capture = self.capture(s);
        match &s.op {
            Op::Template { template } => {
                self.line(depth, "@rigid {");
                self.line(depth + 1, &format!("{capture}{}", string(template)));
                self.line(depth, "}");
            }
            Op::PluginCall {
                alias,
                method,
                args,
            } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|(k, v)| format!("{} = {}", field_key(k), self.value(v, depth + 1)))
                    .collect();
                self.line(depth, "@rigid {");
                let plugin = self.plugins.get(alias);
                let call = format!(
                    "{capture}{plugin}.{}({})",
                    identifier(method),
                    args.join(", ")
                );
                self.line(depth + 1, &call);
                self.line(depth, "}");
            }
            Op::Assign { variable, value } => {
                let v = match value {
                    Value::String(t) => sole_template_expression(t)
                        .map(double_quoted)
                        .unwrap_or_else(|| string(t)),
                    other => self.value(other, depth + 1),
                };
                self.line(depth, "@rigid {");
                self.line(depth + 1, &format!("{} = {v}", identifier(variable)));
                self.line(depth, "}");
            }
            Op::LlmTurn {
                goal,
                guarded,
                role,
                guard,
                fields,
            } => {
                let kw = if *guarded { "guarded" } else { "flexible" };
                self.line(depth, &format!("{capture}@{kw} {{"));
                self.line(depth + 1, &format!("goal = {}", string(goal)));
                if let Some(schema) = fields.get("output_schema") {
                    let t = output_type(schema, depth + 1);
                    self.line(depth + 1, &format!("output = {t}"));
                }
                if let Some(r) = role {
                    let role = self.roles.get(r);
                    self.line(depth + 1, &format!("llm = {role}"));
                }
                if let Some(g) = guard {
                    self.line(depth + 1, &format!("guard = {}", braced_expression(g)));
                }
                if let Some(v) = fields.get("validate") {
                    let v = match v {
                        Value::String(t) => braced_expression(t),
                        other => self.value(other, depth + 1),
                    };
                    self.line(depth + 1, &format!("validate = {v}"));
                }
                let keys = if *guarded {
                    crate::lower::core::GUARDED_FIELDS
                } else {
                    crate::lower::core::FLEXIBLE_FIELDS
                };
                let keys: Vec<(&str, &str)> = keys
                    .iter()
                    .filter(|k| **k != "validate")
                    .map(|k| (*k, *k))
                    .collect();
                self.fields(depth + 1, |k| fields.get(k), &keys);
                self.line(depth, "}");
            }
            Op::Checkpoint {
                fields,
                hitl_target,
            } => {
                let ty = fields
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("approval");
                self.line(
                    depth,
                    &format!("{capture}@checkpoint {} {{", identifier(ty)),
                );
                if let Some(p) = fields.get("prompt") {
                    let t = format!("present = {{ prompt = {} }}", self.value(p, depth + 1));
                    self.line(depth + 1, &t);
                }
                self.fields(
                    depth + 1,
                    |k| fields.get(k),
                    &[
                        ("options", "options"),
                        ("timeout", "timeout"),
                        ("on_timeout", "on_timeout"),
                        ("assignee", "assignee"),
                        ("priority", "priority"),
                    ],
                );
                if let Some(h) = hitl_target {
                    let opt = |v: &Option<String>| v.as_deref().map_or("null".into(), string);
                    self.line(depth + 1, &format!("scope = {}", opt(&h.scope)));
                    self.line(depth + 1, &format!("queue = {}", opt(&h.queue)));
                    if !h.hitl_spec.is_empty() {
                        let t = format!("hitl_spec = {}", self.object(&h.hitl_spec, depth + 1));
                        self.line(depth + 1, &t);
                    }
                }
                self.line(depth, "}");
            }
            Op::CoreCall { fields } => {
                self.line(depth, &format!("{capture}@core_call {{"));
                self.fields(
                    depth + 1,
                    |k| fields.get(k),
                    &[
                        ("target", "target"),
                        ("flow_name", "flow"),
                        ("input_bindings", "inputs"),
                        ("instance_key", "instance_key"),
                        ("version", "version"),
                        ("timeout", "timeout"),
                        ("is_async", "is_async"),
                    ],
                );
                self.line(depth, "}");
            }
            Op::Decision { fields, arms } => {
                self.line(depth, "@match {");
                self.fields(depth + 1, |k| fields.get(k), &[("style", "style")]);
                if let Some(Value::String(subject)) = fields.get("subject") {
                    self.line(depth + 1, &format!("subject = {}", expression(subject)));
                }
                for arm in arms {
                    self.arm(arm, depth + 1);
                }
                self.line(depth, "}");
            }
            Op::Parallel { fields, branches } => {
                let opts: Vec<String> = ["max_concurrent", "fail_fast"]
                    .iter()
                    .filter_map(|k| fields.get(k).map(|v| format!("{k} = {}", self.value(v, 0))))
                    .collect();
                let head = if opts.is_empty() {
                    "@parallel {".to_string()
                } else {
                    format!("@parallel({}) {{", opts.join(", "))
                };
                self.line(depth, &head);
                for b in branches {
                    self.line(depth + 1, "branch {");
                    self.steps(&b.steps, depth + 2);
                    self.line(depth + 1, "}");
                }
                self.line(depth, "}");
            }
            Op::Loop {
                style,
                fields,
                body,
            } => {
                if *style == "while" {
                    let cond = fields
                        .get("condition")
                        .and_then(Value::as_str)
                        .map(expression)
                        .unwrap_or_else(|| "false".into());
                    let max = fields
                        .get("max_iterations")
                        .map_or_else(|| "null".to_string(), |v| self.value(v, 0));
                    self.line(depth, &format!("@while({cond}, max_iterations = {max}) {{"));
                } else {
                    let items = fields
                        .get("items")
                        .map(|v| match v {
                            Value::String(t) => expression(t),
                            other => self.value(other, 0),
                        })
                        .unwrap_or_else(|| "[]".into());
                    let item = fields
                        .get("item")
                        .and_then(Value::as_str)
                        .map_or_else(|| "item".to_string(), identifier);
                    self.line(depth, &format!("@foreach({item} = {items}) {{"));
                }
                self.steps(body, depth + 1);
                self.line(depth, "}");
            }
        }
    }

    fn arm(&mut self, arm: &CoreArm, depth: usize) {
        let head = if arm.fallthrough {
            "else {".to_string()
        } else {
            if !is_code(&arm.when) {
                self.line(
                    depth,
                    "// the condition below is the canvas text as a string: it is not ScaiCore syntax",
                );
            }
            format!("{} {{", expression(&arm.when))
        };
        self.line(depth, &head);
        self.steps(&arm.steps, depth + 1);
        self.line(depth, "}");
    }
}
