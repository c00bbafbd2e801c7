//! The IR verifier (spec §7.4): checks an IR dict — freshly built by `compile --format ir`,
//! or decoded from a bundle or a JSON dump by `verify` — against `schemas/ir.schema.json`
//! and the rules E400–E422, and reports every problem it finds, each with the IR path of
//! the offending block and, where the block carries one, its originating `node_id`.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, JsonPath, PathSeg};
use crate::load::SourceFile;

/// The IR schema, embedded at build time.
pub const IR_SCHEMA_JSON: &str = include_str!("../schemas/ir.schema.json");

/// The block kinds of ScaiCore's IR.
pub const BLOCK_KINDS: [&str; 14] = [
    "rigid",
    "flexible",
    "guarded",
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
];

/// The statement kinds of a rigid block (`model_call` only to be refused there, E405).
pub const STATEMENT_KINDS: [&str; 4] = ["expression", "plugin_call", "assign", "model_call"];

/// Plugins the runtime provides without a declaration.
pub const BUILTIN_PLUGINS: [&str; 3] = ["http", "scaiqueue", "scaibunker"];

/// Calls that make a rigid statement non-deterministic (E400).
const NON_DETERMINISTIC: [&str; 6] = ["now", "today", "random", "randint", "uuid", "uuid4"];

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        // Part of the binary; the test suite compiles it (`ir_schema_compiles`).
        let doc: Value =
            serde_json::from_str(IR_SCHEMA_JSON).expect("embedded IR schema is valid JSON"); // ok: build-time constant
        jsonschema::draft202012::new(&doc).expect("embedded IR schema compiles") // ok: build-time constant
    })
}

/// Verifies an IR dict; returns every problem (empty: the dict is valid).
///
/// The work runs on a thread with a large stack: schema validation recurses once per
/// nesting level, and a bundle may nest up to [`crate::scir::MAX_DEPTH`] levels.
pub fn verify(ir: &Value) -> Vec<Diagnostic> {
    on_large_stack(|| verify_here(ir))
}

/// Runs `f` on a scoped thread with a 256 MiB stack (address space, committed only as
/// used), or here when no thread can be started.
pub fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut f = Some(f);
    let result = std::thread::scope(|s| {
        let job = &mut f;
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn_scoped(s, move || job.take().map(|g| g()))
            .ok()
            .and_then(|h| h.join().ok())
            .flatten()
    });
    match (result, f) {
        (Some(r), _) => r,
        (None, Some(g)) => g(),
        // The thread took the job and panicked: re-raise here, as a plain call would.
        (None, None) => panic!("the verifier thread panicked"), // ok: only re-raises an existing panic
    }
}

fn verify_here(ir: &Value) -> Vec<Diagnostic> {
    let mut v = Verifier {
        ir,
        diags: Vec::new(),
    };
    let Some(top) = ir.as_object() else {
        return vec![
            Diagnostic::new(
                Code::IrShape,
                format!("the IR is {}, not a dict", kind_of(ir)),
            )
            .at(JsonPath::root()),
        ];
    };
    match top.get("schema_version") {
        Some(x) if x.as_u64() == Some(crate::emit::ir::SCHEMA_VERSION) => {}
        other => {
            let found = other.map_or_else(|| "none".to_string(), |x| x.to_string());
            let d = Diagnostic::new(
                Code::UnsupportedSchemaVersion,
                format!(
                    "unsupported schema_version {found}; this verifier knows schema_version {}",
                    crate::emit::ir::SCHEMA_VERSION
                ),
            );
            let d = if other.is_some() {
                d.at(JsonPath::root().key("schema_version"))
            } else {
                d.at(JsonPath::root())
            };
            return vec![d];
        }
    }
    v.schema();
    v.rules();
    v.diags
}

struct Verifier<'a> {
    ir: &'a Value,
    diags: Vec<Diagnostic>,
}

/// What a walk over the blocks of one flow needs to know of the module.
struct Scope<'a> {
    roles: BTreeSet<&'a str>,
    plugins: BTreeSet<&'a str>,
    bindings: HashMap<&'a str, JsonPath>,
}

impl<'a> Verifier<'a> {
    fn at(&mut self, code: Code, path: &JsonPath, message: String) {
        let node = self.node_of(path);
        let place = match &node {
            Some(id) => format!("{path} (node '{id}')"),
            None => path.to_string(),
        };
        let mut d = Diagnostic::new(code, format!("{place}: {message}")).at(path.clone());
        if let Some(id) = node {
            d = d.node(id);
        }
        self.diags.push(d);
    }

    /// The `source_location.node_id` of the innermost block (or trigger) around `path`.
    fn node_of(&self, path: &JsonPath) -> Option<String> {
        let mut cur = self.ir;
        let mut found = None;
        for seg in &path.0 {
            if let Some(id) = cur
                .get("source_location")
                .and_then(|s| s.get("node_id"))
                .and_then(Value::as_str)
            {
                found = Some(id);
            }
            cur = match seg {
                PathSeg::Key(k) => cur.get(k.as_str())?,
                PathSeg::Index(i) => cur.get(*i)?,
            };
        }
        if let Some(id) = cur
            .get("source_location")
            .and_then(|s| s.get("node_id"))
            .and_then(Value::as_str)
        {
            found = Some(id);
        }
        found.map(str::to_string)
    }

    fn schema(&mut self) {
        let errors: Vec<(JsonPath, String, bool)> = validator()
            .iter_errors(self.ir)
            .map(|e| {
                let path = to_path(e.instance_path().iter().map(|s| match s {
                    jsonschema::paths::LocationSegment::Property(p) => PathSeg::Key(p.to_string()),
                    jsonschema::paths::LocationSegment::Index(i) => PathSeg::Index(i),
                }));
                let unknown_kind = matches!(path.0.last(), Some(PathSeg::Key(k)) if k == "kind")
                    && matches!(
                        e.kind(),
                        jsonschema::error::ValidationErrorKind::Enum { .. }
                    );
                (path, e.to_string(), unknown_kind)
            })
            .collect();
        for (path, msg, unknown_kind) in errors {
            if unknown_kind {
                let what = if path
                    .0
                    .iter()
                    .any(|s| matches!(s, PathSeg::Key(k) if k == "statements"))
                {
                    "statement"
                } else {
                    "block"
                };
                let found = self.get(&path);
                let kind = found.map_or_else(String::new, ToString::to_string);
                let known: &[&str] = if what == "block" {
                    &BLOCK_KINDS
                } else {
                    &STATEMENT_KINDS
                };
                let hint = found
                    .and_then(Value::as_str)
                    .and_then(|k| crate::diagnostics::suggestion(k, known.iter().copied()))
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default();
                self.at(
                    Code::UnknownBlockKind,
                    &path,
                    format!("unknown {what} kind {kind}{hint}"),
                );
            } else {
                self.at(Code::IrShape, &path, msg);
            }
        }
    }

    fn get(&self, path: &JsonPath) -> Option<&'a Value> {
        let mut cur = self.ir;
        for seg in &path.0 {
            cur = match seg {
                PathSeg::Key(k) => cur.get(k.as_str())?,
                PathSeg::Index(i) => cur.get(*i)?,
            };
        }
        Some(cur)
    }

    fn rules(&mut self) {
        let ir = self.ir;
        let root = JsonPath::root();
        // Ordered sets: did-you-mean picks among them deterministically.
        let names = |key: &str, field: &str| -> BTreeSet<&'a str> {
            ir.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get(field).and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default()
        };
        let flows = ir.get("flows").and_then(Value::as_array);
        // Flow names are unique; triggers target existing flows.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, f) in flows.into_iter().flatten().enumerate() {
            if let Some(name) = f.get("name").and_then(Value::as_str)
                && let Some(first) = seen.insert(name, i)
            {
                self.at(
                    Code::DuplicateFlow,
                    &root.key("flows").index(i).key("name"),
                    format!("flow name '{name}' is also the name of flows[{first}]"),
                );
            }
        }
        let flow_names = names("flows", "name");
        for (i, t) in ir
            .get("triggers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(target) = t.get("target_flow").and_then(Value::as_str)
                && !flow_names.contains(target)
            {
                let hint = crate::diagnostics::suggestion(target, flow_names.iter().copied())
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default();
                self.at(
                    Code::UnknownTargetFlow,
                    &root.key("triggers").index(i).key("target_flow"),
                    format!("trigger targets flow '{target}', which does not exist{hint}"),
                );
            }
        }
        // Entity mode: the key must be some flow's input.
        let instance = ir.get("instance");
        if instance.and_then(|x| x.get("mode")).and_then(Value::as_str) == Some("entity")
            && let Some(key) = instance
                .and_then(|x| x.get("entity_key"))
                .and_then(Value::as_str)
        {
            let used = flows.into_iter().flatten().any(|f| {
                f.get("params")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|p| p.get("name").and_then(Value::as_str) == Some(key))
            });
            if !used {
                self.at(
                    Code::EntityKeyUnused,
                    &root.key("instance").key("entity_key"),
                    format!("entity-mode core: entity key '{key}' appears in no flow's input"),
                );
            }
        }
        let roles = names("models", "role");
        let mut plugins = names("plugins", "alias");
        plugins.extend(BUILTIN_PLUGINS);
        for (i, f) in flows.into_iter().flatten().enumerate() {
            let mut scope = Scope {
                roles: roles.clone(),
                plugins: plugins.clone(),
                bindings: HashMap::new(),
            };
            if let Some(body) = f.get("body").and_then(Value::as_array) {
                self.blocks(body, &root.key("flows").index(i).key("body"), &mut scope);
            }
        }
    }

    fn blocks(&mut self, body: &'a [Value], path: &JsonPath, scope: &mut Scope<'a>) {
        for (i, b) in body.iter().enumerate() {
            self.block(b, &path.index(i), scope);
        }
    }

    fn block(&mut self, b: &'a Value, path: &JsonPath, scope: &mut Scope<'a>) {
        let Some(kind) = b.get("kind").and_then(Value::as_str) else {
            return;
        };
        if let Some(name) = b.get("result_binding").and_then(Value::as_str) {
            self.binding(name, &path.key("result_binding"), scope);
        }
        if let Some(role) = b.get("llm_role").and_then(Value::as_str)
            && matches!(kind, "flexible" | "guarded" | "model_call")
        {
            self.role(role, &path.key("llm_role"), scope);
        }
        match kind {
            "rigid" => {
                for (j, s) in b
                    .get("statements")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    self.statement(s, &path.key("statements").index(j), scope);
                }
            }
            "while" if b.get("max_iterations").is_none() => {
                self.at(
                    Code::IrWhileWithoutBound,
                    path,
                    "while loop missing max_iterations".into(),
                );
            }
            "checkpoint" => {
                if let Some(t) = b.get("hitl_target").and_then(Value::as_object) {
                    let missing: Vec<&str> = ["scope", "queue"]
                        .into_iter()
                        .filter(|k| t.get(*k).and_then(Value::as_str).is_none_or(str::is_empty))
                        .collect();
                    if !missing.is_empty() {
                        self.at(
                            Code::HitlTargetIncomplete,
                            &path.key("hitl_target"),
                            format!(
                                "hitl_target has no {} (a null scope or queue breaks routing)",
                                missing.join(" and no ")
                            ),
                        );
                    }
                }
            }
            "core_call" => {
                if let Some(t) = b.get("target").and_then(Value::as_str)
                    && !crate::analyze::is_core_uri(t)
                {
                    self.at(
                        Code::CoreCallTarget,
                        &path.key("target"),
                        format!(
                            "core_call target '{t}' is not a core://{{tenant_slug}}/{{slug}} URI"
                        ),
                    );
                }
            }
            _ => {}
        }
        // Nested bodies.
        for key in ["body", "otherwise", "catch"] {
            if let Some(body) = b.get(key).and_then(Value::as_array) {
                self.blocks(body, &path.key(key), scope);
            }
        }
        for key in ["arms", "branches"] {
            for (j, arm) in b
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(body) = arm.get("body").and_then(Value::as_array) {
                    self.blocks(body, &path.key(key).index(j).key("body"), scope);
                }
            }
        }
    }

    fn statement(&mut self, s: &'a Value, path: &JsonPath, scope: &mut Scope<'a>) {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "model_call" | "flexible" | "guarded" => {
                self.at(
                    Code::LlmInRigid,
                    path,
                    format!(
                        "{kind} inside a rigid block: an LLM call cannot be replayed on resume"
                    ),
                );
            }
            "plugin_call" => {
                if let Some(alias) = s.get("alias").and_then(Value::as_str)
                    && !scope.plugins.contains(alias)
                {
                    let hint = crate::diagnostics::suggestion(alias, scope.plugins.iter().copied())
                        .map(|s| format!("; {s}"))
                        .unwrap_or_default();
                    self.at(
                        Code::UndeclaredPlugin,
                        &path.key("alias"),
                        format!("plugin '{alias}' is not declared in plugins{hint}"),
                    );
                }
            }
            _ => {}
        }
        for (key, v) in s.as_object().into_iter().flatten() {
            if key == "kind" {
                continue;
            }
            self.deterministic(v, &path.key(key));
        }
    }

    /// E400 for every string under `v` that calls a non-deterministic function.
    fn deterministic(&mut self, v: &'a Value, path: &JsonPath) {
        match v {
            Value::String(s) => {
                if let Some(f) = non_deterministic_call(s) {
                    self.at(
                        Code::NonDeterministicRigid,
                        path,
                        format!(
                            "{f}() inside a rigid block: rigid must replay identically on resume"
                        ),
                    );
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.deterministic(x, &path.index(i));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.deterministic(x, &path.key(k));
                }
            }
            _ => {}
        }
    }

    fn role(&mut self, role: &str, path: &JsonPath, scope: &Scope<'a>) {
        if !scope.roles.contains(role) {
            let hint = crate::diagnostics::suggestion(role, scope.roles.iter().copied())
                .map(|s| format!("; {s}"))
                .unwrap_or_default();
            self.at(
                Code::IrUndeclaredRole,
                path,
                format!("llm_role '{role}' is not a declared model role{hint}"),
            );
        }
    }

    fn binding(&mut self, name: &'a str, path: &JsonPath, scope: &mut Scope<'a>) {
        if !crate::model::is_identifier(name) {
            self.at(
                Code::BadBinding,
                path,
                format!("result_binding '{name}' is not a valid identifier ([a-z_][A-Za-z0-9_]*, not a reserved word)"),
            );
        }
        if let Some(first) = scope.bindings.get(name) {
            let first = first.clone();
            self.at(
                Code::DuplicateBinding,
                path,
                format!("result_binding '{name}' is already bound at {first}"),
            );
        } else {
            scope.bindings.insert(name, path.clone());
        }
    }
}

/// An IR read from a file: the dict, and where it came from (the JSON text of a dump, so
/// diagnostics get line and column; empty for a binary bundle).
#[derive(Debug, Clone)]
pub struct LoadedIr {
    pub source: SourceFile,
    pub ir: Value,
}

/// Reads IR from bytes: a SCIR bundle (it starts with `SCIR`), or a JSON dump of the same
/// dict (it starts with `{`). A failure comes with the source to render it against.
pub fn load_ir(name: &str, bytes: Vec<u8>) -> Result<LoadedIr, (SourceFile, Diagnostic)> {
    if bytes.starts_with(crate::scir::MAGIC) {
        return match crate::scir::decode(&bytes) {
            Ok(ir) => Ok(LoadedIr {
                source: SourceFile::new(name, ""),
                ir,
            }),
            Err(e) => Err((
                SourceFile::new(name, ""),
                Diagnostic::new(Code::MalformedBundle, e.to_string()),
            )),
        };
    }
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let e = crate::scir::decode(&bytes)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        return Err((
            SourceFile::new(name, ""),
            Diagnostic::new(
                Code::MalformedBundle,
                format!("{e}; nor is it a JSON dump of an IR dict, which starts with '{{'"),
            ),
        ));
    }
    let source = crate::load::decode(name, bytes).map_err(|f| (f.source, f.diagnostic))?;
    match crate::load::parse_json(&source.text) {
        Ok(ir) => Ok(LoadedIr { source, ir }),
        Err(d) => Err((source, d)),
    }
}

fn to_path(segs: impl Iterator<Item = PathSeg>) -> JsonPath {
    JsonPath(segs.collect())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a dict",
    }
}

/// The first non-deterministic function `text` calls (`now(`, `x.now (`, ...), if any.
pub fn non_deterministic_call(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    for f in NON_DETERMINISTIC {
        let mut from = 0;
        while let Some(i) = text[from..].find(f).map(|i| i + from) {
            from = i + f.len();
            let before_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            let after = text[from..].trim_start();
            if before_ok && after.starts_with('(') {
                return Some(f);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ir_schema_compiles() {
        let _ = validator();
    }

    #[test]
    fn non_deterministic_calls_are_found_as_calls_only() {
        for (text, f) in [
            ("{{ now() }}", Some("now")),
            ("at {{datetime.now ()}}", Some("now")),
            ("{{uuid4()}}", Some("uuid4")),
            ("random(1)", Some("random")),
            ("known() snow(1) nowhere random_seed today", None),
            ("now", None),
        ] {
            assert_eq!(non_deterministic_call(text), f, "{text}");
        }
    }
}
