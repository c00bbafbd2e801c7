//! The verifier's walk: the IR schema, then the rules E400–E422 over every flow's blocks,
//! each problem reported at the IR path of its block (and its `node_id`, where the block
//! carries one).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    BLOCK_KINDS, BUILTIN_PLUGINS, MAX_DIAGNOSTICS, STATEMENT_KINDS, TRIGGER_KINDS, fast_ir,
    validator,
};
use crate::diagnostics::{Code, Diagnostic, JsonPath, PathSeg, Place};
use crate::hash::{HashMap, HashMapExt};
use crate::schema::fast::Verdict;
use crate::scir;
use places::BlockPlaces;

mod places;

/// Calls that make a rigid statement non-deterministic (E400).
const NON_DETERMINISTIC: [&str; 10] = [
    "now", "utcnow", "today", "time", "random", "randint", "uniform", "uuid", "uuid1", "uuid4",
];

/// Modules whose every function is non-deterministic (E400).
const NON_DETERMINISTIC_MODULES: [&str; 3] = ["random", "uuid", "secrets"];

/// The IR's values (keys included) from which the schema check runs on a second thread:
/// about a millisecond of checking, many times a thread's start.
const PARALLEL_VERIFY_MIN: usize = 50_000;

/// Whether the schema check of `ir` runs on a second thread.
fn checks_side_by_side(ir: &Value) -> bool {
    scir::value_count_upto(ir, PARALLEL_VERIFY_MIN) >= PARALLEL_VERIFY_MIN
}

/// Whether the fast check finds `ir` valid (else the schema's problems are looked for).
fn fast_valid(ir: &Value) -> bool {
    fast_ir().is_some_and(|f| f.verdict(ir) == Verdict::Valid)
}

pub(super) fn verify_here<'a>(ir: &'a Value) -> Vec<Diagnostic> {
    let v = Verifier::new(ir);
    let Some(top) = ir.as_object() else {
        return vec![
            Diagnostic::new(
                Code::IrShape,
                format!("the IR is {}, not a dict", crate::schema::json_type(ir)),
            )
            .at(JsonPath::root()),
        ];
    };
    match top.get("schema_version") {
        Some(x) if x.as_u64() == Some(crate::emit::ir::SCHEMA_VERSION) => {}
        other => {
            let found = other.map_or_else(|| "none".to_string(), |x| shorten(&x.to_string()));
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
    // The schema's problems come first, then the rules'. The fast check's verdict is
    // worked out beside the rules' walk when the IR is big enough to pay for a thread
    // (both only read it); a valid verdict adds nothing, so the walk's outcome is the
    // whole one. Any other verdict reports in order: the schema, then the rules again.
    let walk = |mut v: Verifier<'a>| {
        v.rules();
        v
    };
    let checked = if checks_side_by_side(ir) {
        let (walked, valid) = super::beside(|| fast_valid(ir), || walk(v));
        valid.then_some(walked)
    } else {
        fast_valid(ir).then(|| walk(v))
    };
    let mut v = checked.unwrap_or_else(|| {
        let mut v = Verifier::new(ir);
        v.schema();
        walk(v)
    });
    if v.diags.len() > MAX_DIAGNOSTICS {
        v.diags.truncate(MAX_DIAGNOSTICS);
        v.diags.push(
            Diagnostic::new(
                Code::IrShape,
                format!("stopping after {MAX_DIAGNOSTICS} problems; fix these and verify again"),
            )
            .at(JsonPath::root()),
        );
    }
    v.diags
}

struct Verifier<'a> {
    ir: &'a Value,
    diags: Vec<Diagnostic>,
    /// Did-you-mean answers already worked out, per (candidate set, word).
    hints: HashMap<(&'static str, String), String>,
    /// Suggestions left to work out (`docs/limits.md`): with the cache and the stop at
    /// [`MAX_DIAGNOSTICS`], N bad names among N candidates stay linear.
    suggestions: crate::diagnostics::SuggestBudget,
    /// Where the IR's blocks are, once a name is found bound twice.
    places: Option<BlockPlaces>,
}

/// The names a walk over the blocks of one flow checks references against.
struct Names<'a> {
    roles: BTreeSet<&'a str>,
    plugins: BTreeSet<&'a str>,
    /// Whether `models` is a list at all (when it is not, E413 has said so).
    roles_known: bool,
}

/// The bindings of the flow being walked: name → where it is first bound.
type Bindings<'a> = HashMap<&'a str, First<'a>>;

/// Where a name is first bound in the flow being walked.
#[derive(Debug, Clone, Copy)]
enum First<'a> {
    /// A parameter of flow `.0`.
    Param(usize),
    /// The `result_binding` of this block: its path is worked out only for a duplicate
    /// (formatting one per binding was a fifth of the verifier's time).
    Block(&'a Value),
}

impl<'a> Verifier<'a> {
    fn new(ir: &'a Value) -> Self {
        Verifier {
            ir,
            diags: Vec::new(),
            hints: HashMap::new(),
            suggestions: crate::diagnostics::SuggestBudget::default(),
            places: None,
        }
    }

    fn full(&self) -> bool {
        self.diags.len() > MAX_DIAGNOSTICS
    }

    fn at(&mut self, code: Code, path: &JsonPath, message: String) {
        if self.full() {
            return;
        }
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

    /// [`Self::at`] for a walk's place (its path is built only here).
    fn at_place(&mut self, code: Code, place: &Place<'_>, message: String) {
        if self.full() {
            return;
        }
        self.at(code, &place.to_path(), message);
    }

    /// `; did you mean `x`?` for `word` among `candidates`, worked out once per word.
    fn hint<'c>(
        &mut self,
        set: &'static str,
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> String {
        if self.full() {
            return String::new();
        }
        let key = (set, word.to_string());
        if let Some(h) = self.hints.get(&key) {
            return h.clone();
        }
        let h = self
            .suggestions
            .suggest(word, candidates)
            .map(|s| format!("; {s}"))
            .unwrap_or_default();
        self.hints.insert(key, h.clone());
        h
    }

    /// The `source_location.node_id` of the innermost block or trigger around `path`: only
    /// values that sit where blocks and triggers sit count, so a `source_location` inside
    /// user data (plugin arguments, ...) is never mistaken for one.
    fn node_of(&self, path: &JsonPath) -> Option<String> {
        let node_id = |v: &'a Value| {
            v.get("source_location")
                .and_then(|s| s.get("node_id"))
                .and_then(Value::as_str)
        };
        let mut cur = self.ir;
        let mut found = None;
        let mut prev: Option<&PathSeg> = None;
        for seg in &path.0 {
            cur = match seg {
                PathSeg::Key(k) => cur.get(k.as_str())?,
                PathSeg::Index(i) => cur.get(*i)?,
            };
            let is_block_or_trigger = matches!(
                (prev, seg),
                (Some(PathSeg::Key(k)), PathSeg::Index(_))
                    if matches!(k.as_str(), "body" | "otherwise" | "catch" | "triggers")
            );
            if is_block_or_trigger && let Some(id) = node_id(cur) {
                found = Some(id);
            }
            prev = Some(seg);
        }
        found.map(str::to_string)
    }

    /// The schema's problems, from `jsonschema` (for an IR the fast check does not find
    /// valid).
    fn schema(&mut self) {
        let errors: Vec<(JsonPath, String, bool)> = validator()
            .iter_errors(self.ir)
            .take(MAX_DIAGNOSTICS + 1)
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
                let message = match e.kind() {
                    jsonschema::error::ValidationErrorKind::Type { kind } => {
                        let want = match kind {
                            jsonschema::error::TypeKind::Single(t) => t.to_string(),
                            jsonschema::error::TypeKind::Multiple(ts) => ts
                                .iter()
                                .map(|t| t.to_string())
                                .collect::<Vec<_>>()
                                .join(" or "),
                        };
                        format!(
                            "expected {want}, found {}",
                            crate::schema::json_type(e.instance())
                        )
                    }
                    _ => shorten(&e.to_string()),
                };
                (path, message, unknown_kind)
            })
            .collect();
        for (path, msg, unknown_kind) in errors {
            if !unknown_kind {
                self.at(Code::IrShape, &path, msg);
                continue;
            }
            let found = self.get(&path);
            let kind = found.map_or_else(String::new, |k| shorten(&k.to_string()));
            let word = found.and_then(Value::as_str).unwrap_or_default();
            if matches!(path.0.first(), Some(PathSeg::Key(k)) if k == "triggers") {
                let hint = self.hint("triggers", word, TRIGGER_KINDS);
                self.at(
                    Code::IrShape,
                    &path,
                    format!("unknown trigger kind {kind} (api, webhook or schedule){hint}"),
                );
                continue;
            }
            let statement = path
                .0
                .iter()
                .any(|s| matches!(s, PathSeg::Key(k) if k == "statements"));
            let (what, hint) = if statement {
                ("statement", self.hint("statements", word, STATEMENT_KINDS))
            } else {
                ("block", self.hint("blocks", word, BLOCK_KINDS))
            };
            self.at(
                Code::UnknownBlockKind,
                &path,
                format!("unknown {what} kind {kind}{hint}"),
            );
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

    /// E422 for a name declared twice in the list `key` (by its field `field`).
    fn unique(&mut self, key: &str, field: &str, what: &str) {
        let Some(list) = self.ir.get(key).and_then(Value::as_array) else {
            return;
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, x) in list.iter().enumerate() {
            if let Some(name) = x.get(field).and_then(Value::as_str)
                && let Some(first) = seen.insert(name, i)
            {
                self.at(
                    Code::DuplicateFlow,
                    &JsonPath::root().key(key).index(i).key(field),
                    format!("{what} '{name}' is also declared at {key}[{first}]"),
                );
            }
        }
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
        self.unique("flows", "name", "flow name");
        self.unique("models", "role", "model role");
        self.unique("plugins", "alias", "plugin alias");
        self.unique("triggers", "name", "trigger name");
        let flows = ir.get("flows").and_then(Value::as_array);
        // Triggers target existing flows (when there is a list of flows to look in).
        let flow_names = names("flows", "name");
        for (i, t) in items(ir, "triggers").enumerate() {
            if let (Some(target), Some(_)) = (t.get("target_flow").and_then(Value::as_str), flows)
                && !flow_names.contains(target)
            {
                let hint = self.hint("flows", target, flow_names.iter().copied());
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
            let used = flows
                .into_iter()
                .flatten()
                .any(|f| params(f).any(|p| p == key));
            if !used {
                self.at(
                    Code::EntityKeyUnused,
                    &root.key("instance").key("entity_key"),
                    format!("entity-mode core: entity key '{key}' appears in no flow's input"),
                );
            }
        }
        let mut plugins = names("plugins", "alias");
        plugins.extend(BUILTIN_PLUGINS);
        let names = Names {
            roles: names("models", "role"),
            plugins,
            roles_known: ir.get("models").is_none_or(Value::is_array),
        };
        let all_flows = Place::Root;
        let all_flows = all_flows.key("flows");
        for (i, f) in flows.into_iter().flatten().enumerate() {
            let path = all_flows.index(i);
            let mut bindings: Bindings<'a> = params(f).map(|p| (p, First::Param(i))).collect();
            if let Some(body) = f.get("body").and_then(Value::as_array) {
                self.blocks(body, &path.key("body"), &names, &mut bindings);
            }
            if self.full() {
                return;
            }
        }
    }

    fn blocks(
        &mut self,
        body: &'a [Value],
        path: &Place<'_>,
        names: &Names<'a>,
        bindings: &mut Bindings<'a>,
    ) {
        for (i, b) in body.iter().enumerate() {
            if self.full() {
                return;
            }
            self.block(b, &path.index(i), names, bindings);
        }
    }

    fn block(
        &mut self,
        b: &'a Value,
        path: &Place<'_>,
        names: &Names<'a>,
        bindings: &mut Bindings<'a>,
    ) {
        let Some(kind) = b.get("kind").and_then(Value::as_str) else {
            return;
        };
        if let Some(name) = b.get("result_binding").and_then(Value::as_str) {
            self.binding(name, b, &path.key("result_binding"), bindings);
        }
        if matches!(kind, "flexible" | "guarded" | "model_call") {
            self.role(b, path, names);
        }
        match kind {
            "rigid" => {
                for (j, s) in items(b, "statements").enumerate() {
                    self.statement(s, &path.key("statements").index(j), names);
                }
            }
            "while" if b.get("max_iterations").is_none() => {
                self.at_place(
                    Code::IrWhileWithoutBound,
                    path,
                    "while loop missing max_iterations".into(),
                );
            }
            "foreach" | "try" => {
                let key = if kind == "foreach" {
                    "item"
                } else {
                    "error_binding"
                };
                if let Some(name) = b.get(key).and_then(Value::as_str)
                    && !crate::model::is_identifier(name)
                {
                    self.at_place(
                        Code::BadBinding,
                        &path.key(key),
                        format!("{key} '{}' is not a valid identifier ([a-z_][A-Za-z0-9_]*, not a reserved word)", shorten(name)),
                    );
                }
            }
            "checkpoint" => self.hitl_target(b, path),
            "core_call" => {
                if let Some(t) = b.get("target").and_then(Value::as_str)
                    && !crate::analyze::is_core_uri(t)
                {
                    self.at_place(
                        Code::CoreCallTarget,
                        &path.key("target"),
                        format!(
                            "core_call target '{}' is not a core://{{tenant_slug}}/{{slug}} URI",
                            shorten(t)
                        ),
                    );
                }
            }
            _ => {}
        }
        // Nested bodies.
        for key in places::BODIES {
            if let Some(body) = b.get(key).and_then(Value::as_array) {
                self.blocks(body, &path.key(key), names, bindings);
            }
        }
        for key in places::ARMS {
            for (j, arm) in items(b, key).enumerate() {
                if let Some(body) = arm.get("body").and_then(Value::as_array) {
                    self.blocks(body, &path.key(key).index(j).key("body"), names, bindings);
                }
            }
        }
    }

    /// E418: a hitl_review checkpoint routes through a queue in a scope.
    fn hitl_target(&mut self, b: &'a Value, path: &Place<'_>) {
        match b.get("hitl_target").and_then(Value::as_object) {
            Some(t) => {
                let missing: Vec<&str> = ["scope", "queue"]
                    .into_iter()
                    .filter(|k| t.get(*k).and_then(Value::as_str).is_none_or(str::is_empty))
                    .collect();
                if !missing.is_empty() {
                    self.at_place(
                        Code::HitlTargetIncomplete,
                        &path.key("hitl_target"),
                        format!(
                            "hitl_target has no {} (a null scope or queue breaks routing)",
                            missing.join(" and no ")
                        ),
                    );
                }
            }
            None if b.get("type").and_then(Value::as_str) == Some("hitl_review") => {
                self.at_place(
                    Code::HitlTargetIncomplete,
                    path,
                    "a hitl_review checkpoint has no hitl_target: it cannot be routed to a queue (use a hitl_review node, which has a queue)".into(),
                );
            }
            None => {}
        }
    }

    fn statement(&mut self, s: &'a Value, path: &Place<'_>, names: &Names<'a>) {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "model_call" | "flexible" | "guarded" => {
                self.at_place(
                    Code::LlmInRigid,
                    path,
                    format!(
                        "{kind} inside a rigid block: an LLM call cannot be replayed on resume"
                    ),
                );
                self.role(s, path, names);
            }
            "plugin_call" => {
                if let Some(alias) = s.get("alias").and_then(Value::as_str)
                    && !names.plugins.contains(alias)
                {
                    let hint = self.hint("plugins", alias, names.plugins.iter().copied());
                    self.at_place(
                        Code::UndeclaredPlugin,
                        &path.key("alias"),
                        format!(
                            "plugin '{}' is not declared in plugins{hint}",
                            shorten(alias)
                        ),
                    );
                }
            }
            _ => {}
        }
        // Templates and plugin arguments are text with expressions inside `{{ }}`; an
        // assigned value is an expression itself.
        for (key, v) in s.as_object().into_iter().flatten() {
            if key != "kind" {
                let whole = kind == "assign" && key == "value";
                self.deterministic(v, &path.key(key), whole);
            }
        }
    }

    /// E400 for every string under `v` that calls a non-deterministic function.
    fn deterministic(&mut self, v: &'a Value, path: &Place<'_>, whole: bool) {
        if self.full() {
            return;
        }
        match v {
            Value::String(s) => {
                if let Some(f) = non_deterministic_call(s, whole) {
                    self.at_place(
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
                    self.deterministic(x, &path.index(i), whole);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.deterministic(x, &path.key(k), whole);
                }
            }
            _ => {}
        }
    }

    /// E415 when the `llm_role` of `v` is not a declared model role.
    fn role(&mut self, v: &'a Value, path: &Place<'_>, names: &Names<'a>) {
        let Some(role) = v.get("llm_role").and_then(Value::as_str) else {
            return;
        };
        if names.roles_known && !names.roles.contains(role) {
            let hint = self.hint("roles", role, names.roles.iter().copied());
            self.at_place(
                Code::IrUndeclaredRole,
                &path.key("llm_role"),
                format!(
                    "llm_role '{}' is not a declared model role{hint}",
                    shorten(role)
                ),
            );
        }
    }

    /// E420 and E421 for the `result_binding` `name` of `block`, at `path`.
    fn binding(
        &mut self,
        name: &'a str,
        block: &'a Value,
        path: &Place<'_>,
        bindings: &mut Bindings<'a>,
    ) {
        if !crate::model::is_identifier(name) {
            self.at_place(
                Code::BadBinding,
                path,
                format!(
                    "result_binding '{}' is not a valid identifier ([a-z_][A-Za-z0-9_]*, not a reserved word)",
                    shorten(name)
                ),
            );
        }
        if let Some(&first) = bindings.get(name) {
            let first = self.first_place(first);
            self.at_place(
                Code::DuplicateBinding,
                path,
                format!(
                    "result_binding '{}' is already bound at {first}",
                    shorten(name)
                ),
            );
        } else {
            bindings.insert(name, First::Block(block));
        }
    }

    /// Where a name was first bound, as the duplicate's message says it.
    fn first_place(&mut self, first: First<'a>) -> String {
        match first {
            First::Param(i) => format!(
                "{}.params (a flow parameter)",
                JsonPath::root().key("flows").index(i)
            ),
            First::Block(block) => {
                let ir = self.ir;
                let places = self.places.get_or_insert_with(|| BlockPlaces::new(ir));
                match places.path(block) {
                    Some(path) => path.key("result_binding").to_string(),
                    // (Every block walked is in the IR.)
                    None => "an earlier block".to_string(),
                }
            }
        }
    }
}

/// The items of the list at `key` of `v` (none when there is no list there).
fn items<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The parameter names of a flow.
fn params(flow: &Value) -> impl Iterator<Item = &str> {
    items(flow, "params").filter_map(|p| p.get("name").and_then(Value::as_str))
}

/// A value shown in a message, cut when long (a hostile bundle can hold megabyte strings).
fn shorten(s: &str) -> String {
    const MAX: usize = 120;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

fn to_path(segs: impl Iterator<Item = PathSeg>) -> JsonPath {
    JsonPath(segs.collect())
}

/// The first non-deterministic call in `text`: a call of now(), utcnow(), today(),
/// time(), random(), randint(), uniform(), uuid(), uuid1() or uuid4() (also as a method,
/// `datetime.now()`), or of any function of the `random`, `uuid` or `secrets` modules
/// (`random.choice(xs)`). In a template (`whole` false) only the expressions inside
/// `{{ }}` are code; plain text around them ("reply now (today)") is not.
pub fn non_deterministic_call(text: &str, whole: bool) -> Option<String> {
    if whole || !text.contains("{{") {
        return if whole { first_call(text) } else { None };
    }
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let close = inner.find("}}").unwrap_or(inner.len());
        if let Some(f) = first_call(&inner[..close]) {
            return Some(f);
        }
        rest = &inner[close.min(inner.len())..];
    }
    None
}

fn first_call(code: &str) -> Option<String> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphabetic() || b[i] == b'_') || (i > 0 && ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && ident(b[i]) {
            i += 1;
        }
        let name = &code[start..i];
        let after = code[i..].trim_start();
        if after.starts_with('(') && NON_DETERMINISTIC.contains(&name) {
            return Some(name.to_string());
        }
        if NON_DETERMINISTIC_MODULES.contains(&name)
            && let Some(member) = after.strip_prefix('.')
        {
            let member = member.trim_start();
            let len = member.bytes().take_while(|&c| ident(c)).count();
            if len > 0 && member[len..].trim_start().starts_with('(') {
                return Some(format!("{name}.{}", &member[..len]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
