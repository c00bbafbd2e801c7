//! `--format scai` (spec §8): ScaiCore source text, for people to read. Upstream calls the
//! target deprecated, but what it writes must still be valid ScaiCore: every name derived
//! from user text is sanitised into an identifier (never a keyword, never starting with a
//! digit, unique where it names something), every string is escaped, `:` appears only in
//! type positions and `=` for every value. Indentation is four spaces; the text is
//! deterministic. `docs/scai.md` describes the mapping.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::analyze::AnalyzedFlow;
use crate::lower::core::{Core, CoreArm, Op, Step, Trigger};
use crate::model::RESERVED_WORDS;

const INDENT: &str = "    ";

/// Renders the `.scai` text of a lowered flow.
pub fn emit(a: &AnalyzedFlow, core: &Core) -> String {
    let mut w = Writer {
        out: String::new(),
        a,
        roles: Names::default(),
        plugins: Names::default(),
    };
    w.core(core);
    w.out
}

/// An identifier from user text: `[a-z_][a-zA-Z0-9_]*`, not a reserved word. A text that
/// is one is kept; otherwise ASCII letters and digits stay, an upper-case first letter is
/// lowered, other characters become `_` (runs collapse), a leading digit gets a `_`
/// prefix, a reserved word a `_` suffix; an empty result is `_`.
pub fn identifier(text: &str) -> String {
    // A name that already is one stays as it is: expressions and templates refer to it.
    if crate::model::is_identifier(text) {
        return text.to_string();
    }
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

/// A string literal: `"…"` with `\"`, `\\`, `\n`, `\r`, `\t` and `\u{…}` escapes, or a
/// `"""…"""` block for multi-line text that needs no escape at all.
pub fn string(s: &str) -> String {
    let plain_block = s.contains('\n')
        && !s.contains("\"\"\"")
        && !s.contains('\\')
        && !s.ends_with('"')
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}'));
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
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `text` can stand in the source as an expression: identifiers (not reserved
/// words), numbers, durations, `'…'`/`"…"` strings without escapes, comparison, logic and
/// arithmetic operators, member access (`a.b`), calls and indexing with balanced `( )` and
/// `[ ]`, commas inside them — with an operator between any two operands, and no `=` of
/// its own (`==`, `!=`, `<=`, `>=` only). Anything else is written as a string literal.
pub fn is_plain_expression(text: &str) -> bool {
    #[derive(PartialEq, Clone, Copy)]
    enum T {
        Operand,
        Op,
        Open,
        Close,
        Comma,
        Dot,
    }
    let b: Vec<char> = text.trim().chars().collect();
    if b.is_empty() {
        return false;
    }
    let mut toks: Vec<T> = Vec::new();
    let mut depth: Vec<char> = Vec::new();
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < b.len() {
        let c = b[i];
        let t = match c {
            ' ' | '\t' => {
                i += 1;
                continue;
            }
            '\'' | '"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == '\\' || b[i].is_control() {
                        return false;
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return false;
                }
                i += 1;
                T::Operand
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                let mut w: String = b[start..i].iter().collect();
                // A fraction, and an exponent with a sign.
                if i + 1 < b.len() && b[i] == '.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    let f = i;
                    while i < b.len() && word(b[i]) {
                        i += 1;
                    }
                    w.push('.');
                    w.extend(&b[f..i]);
                }
                if (w.ends_with('e') || w.ends_with('E'))
                    && i + 1 < b.len()
                    && matches!(b[i], '+' | '-')
                    && b[i + 1].is_ascii_digit()
                {
                    w.push(b[i]);
                    i += 1;
                    let f = i;
                    while i < b.len() && word(b[i]) {
                        i += 1;
                    }
                    w.extend(&b[f..i]);
                }
                if !number_lexes(&w) {
                    return false;
                }
                T::Operand
            }
            c if word(c) => {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                let w: String = b[start..i].iter().collect();
                if RESERVED_WORDS.contains(&w.as_str())
                    && !matches!(w.as_str(), "true" | "false" | "null")
                {
                    return false;
                }
                // A member name after `.` completes the operand before it.
                if toks.last() == Some(&T::Dot) {
                    toks.pop();
                    continue;
                }
                T::Operand
            }
            '.' => {
                i += 1;
                if !matches!(toks.last(), Some(T::Operand | T::Close))
                    || !b
                        .get(i)
                        .is_some_and(|&n| n.is_ascii_alphabetic() || n == '_')
                {
                    return false;
                }
                T::Dot
            }
            '(' | '[' => {
                i += 1;
                depth.push(c);
                T::Open
            }
            ')' | ']' => {
                i += 1;
                let open = if c == ')' { '(' } else { '[' };
                if depth.pop() != Some(open) || toks.last() == Some(&T::Comma) {
                    return false;
                }
                T::Close
            }
            ',' => {
                i += 1;
                if depth.is_empty() {
                    return false;
                }
                T::Comma
            }
            _ => {
                // Operators: two-character ones first; a lone `=` is not one, and `//`
                // or `/*` would open a comment.
                let two: String = b[i..(i + 2).min(b.len())].iter().collect();
                if matches!(two.as_str(), "//" | "/*" | "*/") {
                    return false;
                }
                if matches!(two.as_str(), "==" | "!=" | "<=" | ">=" | "&&" | "||") {
                    i += 2;
                } else if matches!(c, '<' | '>' | '+' | '-' | '*' | '/' | '%' | '!') {
                    i += 1;
                } else {
                    return false;
                }
                if b.get(i) == Some(&'=') {
                    return false;
                }
                // Only `!` and `-` may stand where an operand is expected (unary).
                let unary = matches!(c, '!' | '-') && two != "!=";
                if !unary && !matches!(toks.last(), Some(T::Operand | T::Close)) {
                    return false;
                }
                T::Op
            }
        };
        // Two operands in a row (`a b`, `'x''y'`) need an operator between them; a call
        // or an index follows an operand directly.
        if t == T::Operand && matches!(toks.last(), Some(T::Operand | T::Close)) {
            return false;
        }
        toks.push(t);
    }
    depth.is_empty() && !matches!(toks.last(), Some(T::Op | T::Comma | T::Open))
}

/// Whether a word starting with a digit lexes as a number (`12`, `1.5`, `1e3`, `1e-3`) or a
/// duration (`30s`); `1st`, `1_000` or `0x1F` do not.
fn number_lexes(w: &str) -> bool {
    let int = w.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = match int.strip_prefix('.') {
        Some(f) => {
            let f2 = f.trim_start_matches(|c: char| c.is_ascii_digit());
            if f2.len() == f.len() {
                return false;
            }
            f2
        }
        None => int,
    };
    match rest {
        "" => true,
        "s" | "m" | "h" | "d" | "w" => int == rest,
        e => e
            .strip_prefix(['e', 'E'])
            .map(|x| x.strip_prefix(['+', '-']).unwrap_or(x))
            .is_some_and(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())),
    }
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
    /// Model roles and plugin aliases: declared in `@models` / `@plugins`, referred to by
    /// `llm = …` and plugin calls under the same names.
    roles: Names,
    plugins: Names,
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
                self.fields(depth + 1, fields, &[("style", "style")]);
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

/// Whether `text` is written as code (a plain expression, or one `{{ expr }}`).
fn is_code(text: &str) -> bool {
    sole_template_expression(text).is_some() || is_plain_expression(text)
}

/// `{ expr }` for a guard or a validation rule that is code, else a string literal.
fn braced_expression(text: &str) -> String {
    if is_code(text) {
        format!("{{ {} }}", expression(text))
    } else {
        string(text)
    }
}

/// A map key: the key itself when it is an identifier, else a string.
fn field_key(k: &str) -> String {
    if crate::model::is_identifier(k) {
        k.to_string()
    } else {
        string(k)
    }
}

/// Text for a `//` comment: one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
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
