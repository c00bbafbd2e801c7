//! `--format scai` (spec §8): ScaiCore source text, for people to read. Upstream calls the
//! target deprecated, but what it writes must still be valid ScaiCore: every name derived
//! from user text is sanitised into an identifier (never a keyword, never starting with a
//! digit, unique where it names something), every string is escaped, `:` appears only in
//! type positions and `=` for every value. Indentation is four spaces; the text is
//! deterministic. `docs/scai.md` describes the mapping.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::analyze::AnalyzedFlow;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};
use crate::model::RESERVED_WORDS;

/// The `@`-keywords of ScaiCore; a name is never one of them.
pub const AT_KEYWORDS: &[&str] = &[
    "core",
    "flow",
    "rigid",
    "guarded",
    "flexible",
    "parallel",
    "foreach",
    "match",
    "while",
    "checkpoint",
    "core_call",
    "await_responses",
    "try",
    "budget",
    "debug",
    "model_call",
    "plugins",
    "models",
    "llm",
    "memory",
    "config",
    "constraints",
    "reference",
    "triggers",
    "webhook",
    "schedule",
    "api",
    "on",
    "internal",
    "transformer",
    "evaluator",
    "pipeline",
    "test",
    "instance",
    "adaptive",
    "recipe",
    "stream",
    "cache",
    "version",
];

const INDENT: &str = "    ";

/// Renders the `.scai` text of a lowered flow.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> String {
    let mut w = Writer {
        out: String::new(),
        a,
    };
    w.core(core);
    w.out
}

/// An identifier from user text: `[a-z_][a-zA-Z0-9_]*`, not a reserved word. ASCII
/// letters and digits stay, an upper-case first letter is lowered, other characters
/// become `_` (runs collapse), a leading digit gets a `_` prefix, a reserved word a `_`
/// suffix; an empty result is `_`.
pub fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if let Some(first) = out.chars().next()
        && first.is_ascii_uppercase()
    {
        out.replace_range(..1, &first.to_ascii_lowercase().to_string());
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.is_empty() {
        out.push('_');
    }
    if RESERVED_WORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A type name from user text: `[A-Z][a-zA-Z0-9_]*` in PascalCase (`customer support` →
/// `CustomerSupport`); `Core` when nothing is left.
pub fn type_name(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_uppercase()) {
        out.insert_str(0, "Core");
    }
    out
}

/// Unique identifiers within one namespace: a second `x` becomes `x_2`.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn take(&mut self, text: &str) -> String {
        let base = identifier(text);
        let mut name = base.clone();
        let mut n = 2;
        while !self.0.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }
}

/// A string literal: `"…"` with `\"`, `\\`, `\n`, `\r`, `\t` and `\u{…}` escapes, or a
/// `"""…"""` block for multi-line text that needs no escape at all.
pub fn string(s: &str) -> String {
    let plain_block = s.contains('\n')
        && !s.contains("\"\"\"")
        && !s.contains('\\')
        && !s.ends_with('"')
        && !s.chars().any(|c| c.is_control() && c != '\n');
    if plain_block {
        return format!("\"\"\"{s}\"\"\"");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `text` can stand in the source as an expression: only identifiers, numbers,
/// `'…'`/`"…"` strings (no escapes), operators, dots, commas and balanced brackets — no
/// braces, comments, `:` or `@`. Anything else is written as a string literal.
pub fn is_plain_expression(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.contains("//") || t.contains("/*") {
        return false;
    }
    let mut depth: Vec<char> = Vec::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => loop {
                match chars.next() {
                    Some(q) if q == c => break,
                    Some('\\' | '\n') | None => return false,
                    Some(_) => {}
                }
            },
            '(' | '[' => depth.push(c),
            ')' => {
                if depth.pop() != Some('(') {
                    return false;
                }
            }
            ']' => {
                if depth.pop() != Some('[') {
                    return false;
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == ' ' => {}
            '.' | ',' | '=' | '!' | '<' | '>' | '&' | '|' | '+' | '-' | '*' | '/' | '%' => {}
            _ => return false,
        }
    }
    // A reserved word used as a name would not lex as an identifier (`true`, `false` and
    // `null` are literals).
    depth.is_empty() && !reserved_outside_strings(t) && numbers_lex(t)
}

/// Whether every word of `t` outside its quoted strings that starts with a digit is a
/// number (`12`, `1e3`) or a duration (`30s`); `1st` or `1_000` would not lex.
fn numbers_lex(t: &str) -> bool {
    code_words(t).all(|w| {
        if !w.starts_with(|c: char| c.is_ascii_digit()) {
            return true;
        }
        let digits = w.trim_start_matches(|c: char| c.is_ascii_digit());
        match digits {
            "" | "s" | "m" | "h" | "d" | "w" => true,
            e => e
                .strip_prefix(['e', 'E'])
                .is_some_and(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())),
        }
    })
}

/// The words (identifier characters) of `t` outside its quoted strings.
fn code_words(t: &str) -> impl Iterator<Item = String> {
    let mut code = String::with_capacity(t.len());
    let mut quote: Option<char> = None;
    for c in t.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                code.push(' ');
            }
            None => code.push(c),
        }
    }
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Whether a reserved word (other than `true`, `false`, `null`) appears in `t` outside
/// its quoted strings.
fn reserved_outside_strings(t: &str) -> bool {
    code_words(t).any(|w| {
        !matches!(w.as_str(), "true" | "false" | "null") && RESERVED_WORDS.contains(&w.as_str())
    })
}

/// The expression inside a template that is exactly one `{{ expr }}`, if it is one.
fn sole_template_expression(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && is_plain_expression(inner))
        .then(|| inner.trim())
}

struct Writer<'a> {
    out: String,
    a: &'a AnalyzedFlow,
}

impl Writer<'_> {
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

    /// `name = value` lines for the set keys of `m` (in order), at `depth`.
    fn fields(&mut self, depth: usize, m: &Map<String, Value>, keys: &[(&str, &str)]) {
        for (src, dst) in keys {
            if let Some(v) = m.get(*src) {
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
            let mut bindings = Names::default();
            bindings.take("input");
            self.steps(&f.steps, 2, &mut bindings);
            self.line(1, "}");
        }
        self.line(0, "}");
    }

    fn models(&mut self) {
        let models = crate::lower::core::registry(&self.a.flow);
        if models.is_empty() {
            return;
        }
        self.line(1, "@models {");
        let mut names = Names::default();
        for m in &models {
            let Some(m) = m.as_object() else { continue };
            let role = m.get("role").and_then(Value::as_str).unwrap_or("model");
            self.line(2, &format!("{} = {{", names.take(role)));
            self.fields(
                3,
                m,
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
                m,
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
        let mut names = Names::default();
        for p in &core.plugins {
            let source = p.package.clone().unwrap_or_else(|| p.endpoint.clone());
            self.line(
                2,
                &format!("{} = {}", names.take(&p.alias), string(&source)),
            );
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
            let mut settings = format!("flow = {flow}");
            for (k, v) in &t.config {
                if k != "flow" {
                    let _ = write!(settings, "  {} = {}", field_key(k), self.value(v, 2));
                }
            }
            self.line(2, &format!("@{} {name} {{ {settings} }}", t.kind));
        }
        self.line(1, "}");
    }

    fn steps(&mut self, steps: &[Step], depth: usize, bindings: &mut Names) {
        for s in steps {
            self.step(s, depth, bindings);
        }
    }

    /// `name = ` for a value-producing step (its binding, sanitised and unique).
    fn capture(&self, s: &Step, bindings: &mut Names) -> String {
        s.binding
            .as_ref()
            .map(|b| format!("{} = ", bindings.take(b)))
            .unwrap_or_default()
    }

    fn comment(&mut self, s: &Step, depth: usize) {
        let n = &self.a.flow.nodes[s.node];
        let what = match s.synthetic {
            Some(x) => format!(" ({})", x.as_str()),
            None => String::new(),
        };
        self.line(
            depth,
            &format!(
                "// {} {}{what}: {}",
                n.kind.as_str(),
                one_line(&n.id),
                one_line(&n.label)
            ),
        );
    }

    fn step(&mut self, s: &Step, depth: usize, bindings: &mut Names) {
        self.comment(s, depth);
        let capture = self.capture(s, bindings);
        match &s.op {
            Op::Template { template } => {
                self.line(depth, "@rigid {");
                let target = if capture.is_empty() {
                    "_ = ".to_string()
                } else {
                    capture
                };
                self.line(depth + 1, &format!("{target}{}", string(template)));
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
                let target = if capture.is_empty() {
                    "_ = ".to_string()
                } else {
                    capture
                };
                self.line(
                    depth + 1,
                    &format!(
                        "{target}{}.{}({})",
                        identifier(alias),
                        identifier(method),
                        args.join(", ")
                    ),
                );
                self.line(depth, "}");
            }
            Op::Assign { variable, value } => {
                let v = match value {
                    Value::String(t) => sole_template_expression(t)
                        .map(str::to_string)
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
                    self.line(depth + 1, &format!("llm = {}", identifier(r)));
                }
                if let Some(g) = guard {
                    let g = if is_plain_expression(g) {
                        format!("{{ {} }}", double_quoted(g.trim()))
                    } else {
                        string(g)
                    };
                    self.line(depth + 1, &format!("guard = {g}"));
                }
                let keys = if *guarded {
                    crate::lower::core::GUARDED_FIELDS
                } else {
                    crate::lower::core::FLEXIBLE_FIELDS
                };
                let keys: Vec<(&str, &str)> = keys.iter().map(|k| (*k, *k)).collect();
                self.fields(depth + 1, fields, &keys);
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
                    fields,
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
                    fields,
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
                self.fields(
                    depth + 1,
                    fields,
                    &[("style", "style"), ("subject", "subject")],
                );
                for arm in arms {
                    self.arm(arm, depth + 1, bindings);
                }
                self.line(depth, "}");
            }
            Op::Parallel { fields, branches } => {
                let opts: Vec<String> = ["max_concurrent", "fail_fast"]
                    .iter()
                    .filter_map(|k| {
                        fields
                            .get(*k)
                            .map(|v| format!("{k} = {}", self.value(v, 0)))
                    })
                    .collect();
                let head = if opts.is_empty() {
                    "@parallel {".to_string()
                } else {
                    format!("@parallel({}) {{", opts.join(", "))
                };
                self.line(depth, &head);
                for b in branches {
                    self.line(depth + 1, "branch {");
                    self.steps(&b.steps, depth + 2, bindings);
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
                self.steps(body, depth + 1, bindings);
                self.line(depth, "}");
            }
        }
    }

    fn arm(&mut self, arm: &CoreArm, depth: usize, bindings: &mut Names) {
        let head = if arm.fallthrough {
            "else {".to_string()
        } else {
            format!("{} {{", expression(&arm.when))
        };
        self.line(depth, &head);
        self.steps(&arm.steps, depth + 1, bindings);
        self.line(depth, "}");
    }
}

/// A condition or item expression: the expression itself when it lexes as one (a single
/// `{{ expr }}` template unwrapped), else a string literal.
fn expression(text: &str) -> String {
    if let Some(e) = sole_template_expression(text) {
        return double_quoted(e);
    }
    if is_plain_expression(text) {
        return double_quoted(text.trim());
    }
    string(text)
}

/// A plain expression with its `'…'` strings written as ScaiCore's `"…"` strings (the
/// lexical rules know no single quotes); the strings' text is unchanged.
fn double_quoted(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let inner: String = chars.by_ref().take_while(|&x| x != c).collect();
                out.push_str(&string(&inner));
            }
            c => out.push(c),
        }
    }
    out
}

/// `{ a  b }` on one line when short, else one entry per line, indented under `depth`.
fn braced(entries: &[String], depth: usize) -> String {
    let one = format!("{{ {} }}", entries.join("  "));
    if one.len() <= 80 && !one.contains('\n') {
        return one;
    }
    let pad = INDENT.repeat(depth + 1);
    let body: Vec<String> = entries.iter().map(|f| format!("{pad}{f}")).collect();
    format!("{{\n{}\n{}}}", body.join("\n"), INDENT.repeat(depth))
}

/// A map key: the key itself when it is an identifier, else a string.
fn field_key(k: &str) -> String {
    if crate::model::is_identifier(k) && !AT_KEYWORDS.contains(&k) {
        k.to_string()
    } else {
        string(k)
    }
}

/// Text for a `//` comment: one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A node's `output_schema` (JSON Schema) as a ScaiCore type: objects become
/// `{ field: type … }`, arrays `[type]`, `string`/`integer`/`number`/`boolean` become
/// `string`/`int`/`float`/`bool`; anything else `object`.
fn output_type(schema: &Value, depth: usize) -> String {
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("string") => "string".into(),
        Some("integer") => "int".into(),
        Some("number") => "float".into(),
        Some("boolean") => "bool".into(),
        Some("array") => format!(
            "[{}]",
            schema
                .get("items")
                .map_or_else(|| "object".to_string(), |i| output_type(i, depth))
        ),
        Some("object") | None => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return "object".into();
            };
            if props.is_empty() {
                return "object".into();
            }
            let fields: Vec<String> = props
                .iter()
                .map(|(k, v)| format!("{}: {}", field_key(k), output_type(v, depth + 1)))
                .collect();
            braced(&fields, depth)
        }
        Some(_) => "object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_sanitised() {
        for (text, want) in [
            ("classify", "classify"),
            ("Classify Intent", "classify_Intent"),
            ("1st", "_1st"),
            ("match", "match_"),
            ("", "_"),
            ("héllo wörld", "h_llo_w_rld"),
            ("a--b", "a_b"),
        ] {
            assert_eq!(identifier(text), want, "{text}");
            assert!(crate::model::is_identifier(&identifier(text)), "{text}");
        }
        assert_eq!(type_name("customer support agent"), "CustomerSupportAgent");
        assert_eq!(type_name("3 d"), "Core3D");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(string("two\nlines"), "\"\"\"two\nlines\"\"\"");
        assert_eq!(
            string("has \"\"\"\nquotes"),
            "\"has \\\"\\\"\\\"\\nquotes\""
        );
        assert_eq!(string("bell\u{7}"), "\"bell\\u{7}\"");
    }

    #[test]
    fn only_plain_expressions_stay_expressions() {
        for ok in [
            "intent == 'refund'",
            "a.b > 0.7 && !c",
            "f(x, [1, 2])",
            "n < 1e3",
            "t > 30s",
        ] {
            assert!(is_plain_expression(ok), "{ok}");
        }
        for bad in [
            "a } b",
            "x // y",
            "'unterminated",
            "a: b",
            "@core",
            "(a",
            "{{x}}",
            "a\\'b",
            "input.type == 'x'",
            "match > 1",
            "1_000",
            "count > 1st",
        ] {
            assert!(!is_plain_expression(bad), "{bad}");
        }
    }
}
