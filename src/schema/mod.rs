//! Schema validation against the embedded v2 flow schema (`schemas/flow.v2.schema.json`).
//!
//! The schema is compiled once per process. Each `jsonschema` error becomes a diagnostic
//! with its own code, a message that names the JSON path, and the path itself so the
//! renderer underlines the offending value (not the document root).

use std::sync::OnceLock;

use crate::load::tape::{Tape, TapeRef};
use crate::load::view::JsonView;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, Focus, JsonPath, PathSeg, suggestion};
use crate::model::NodeKind;

/// The v2 flow schema, embedded at build time.
pub const FLOW_SCHEMA_JSON: &str = include_str!("../../schemas/flow.v2.schema.json");

pub(crate) mod fast;

pub use fast::Verdict;

/// The embedded schema document.
pub fn flow_schema() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    // The schema is part of the binary; a failure here is a build defect, caught by the
    // test suite (`schema_compiles`), never by user input.
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(FLOW_SCHEMA_JSON).expect("embedded flow schema is valid JSON") // ok: build-time constant
    })
}

/// The embedded schema read through a tape: what a valid flow needs of the schema (the
/// fast check, the top-level keys) without the `Value` tree, which only `jsonschema` and
/// the language server's descriptions need (parsing it is 0.4 ms of a 50-node run).
fn flow_schema_tape() -> &'static Tape<'static> {
    static TAPE: OnceLock<Tape<'static>> = OnceLock::new();
    TAPE.get_or_init(|| {
        Tape::parse(FLOW_SCHEMA_JSON).expect("embedded flow schema is plain JSON") // ok: build-time constant
    })
}

/// Whether the schema declares `key` at the top level of a flow.
pub fn is_flow_key(key: &str) -> bool {
    flow_schema_tape()
        .root()
        .member("properties")
        .is_some_and(|p| p.member(key).is_some())
}

/// The `jsonschema` validator, built on first use: only a document the fast check does not
/// find valid needs it (its construction is most of a small flow's validation).
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(flow_schema()).expect("embedded flow schema compiles") // ok: build-time constant
    })
}

/// The fast validity check of the embedded schema ([`fast`]); `None` if the schema uses a
/// keyword it does not implement.
fn fast_schema() -> Option<&'static fast::FastSchema> {
    static FAST: OnceLock<Option<fast::FastSchema>> = OnceLock::new();
    FAST.get_or_init(|| fast::FastSchema::compile(flow_schema_tape().root()))
        .as_ref()
}

/// What the fast check says of a document, without `jsonschema` (`Unsure` when it is off).
pub fn fast_verdict<'a>(doc: impl JsonView<'a>) -> Verdict {
    fast_schema().map_or(Verdict::Unsure, |f| f.verdict(doc))
}

/// The schema of a node kind's config (`$defs/config_<kind>`).
fn config_schema(kind: NodeKind) -> Option<TapeRef<'static>> {
    flow_schema_tape()
        .root()
        .member("$defs")?
        .member(&format!("config_{}", kind.as_str()))
}

/// The config keys the schema documents for a node kind (`$defs/config_<kind>`).
/// Read from the schema once per kind and process: the analysis asks for every node.
pub fn config_keys(kind: NodeKind) -> &'static [&'static str] {
    static KEYS: [OnceLock<Vec<&'static str>>; NodeKind::ALL.len()] =
        [const { OnceLock::new() }; NodeKind::ALL.len()];
    KEYS[kind as usize].get_or_init(|| {
        config_schema(kind)
            .and_then(|c| c.member("properties"))
            .map(|p| p.members().map(|(k, _)| k).collect())
            .unwrap_or_default()
    })
}

/// What the schema says a node kind is (its config's description).
pub fn kind_description(kind: NodeKind) -> Option<&'static str> {
    config_schema(kind)?.member("description")?.as_str()
}

/// What the schema says a config key of a node kind is.
pub fn config_key_description(kind: NodeKind, key: &str) -> Option<&'static str> {
    config_schema(kind)?
        .member("properties")?
        .member(key)?
        .member("description")?
        .as_str()
}

/// Validates a parsed flow document against the v2 schema; returns every violation.
pub fn validate(doc: &Value) -> Vec<Diagnostic> {
    if !doc.is_object() {
        return vec![
            Diagnostic::new(
                Code::NotAnObject,
                format!("a flow must be a JSON object, found {}", json_type(doc)),
            )
            .at(JsonPath::root()),
        ];
    }
    if fast_verdict(doc) == Verdict::Valid {
        return Vec::new();
    }
    let mut out = Vec::new();
    for err in validator().iter_errors(doc) {
        let path = to_path(doc, err.instance_path().iter());
        let schema_path: Vec<String> = err.schema_path().iter().map(|s| seg_str(&s)).collect();
        out.extend(convert(
            doc,
            flow_schema(),
            path,
            &schema_path,
            err.kind(),
            err.instance(),
            &err,
        ));
    }
    out
}

fn seg_str(s: &LocationSegment<'_>) -> String {
    match s {
        LocationSegment::Property(p) => p.to_string(),
        LocationSegment::Index(i) => i.to_string(),
    }
}

/// Converts a JSON pointer's segments into a [`JsonPath`], walking the document so that
/// numeric object keys stay keys.
fn to_path<'a>(doc: &Value, segs: impl Iterator<Item = LocationSegment<'a>>) -> JsonPath {
    let mut cur = Some(doc);
    let mut out = Vec::new();
    for seg in segs {
        let s = seg_str(&seg);
        let step = match cur {
            Some(Value::Array(a)) => match s.parse::<usize>() {
                Ok(i) => {
                    cur = a.get(i);
                    PathSeg::Index(i)
                }
                Err(_) => {
                    cur = None;
                    PathSeg::Key(s)
                }
            },
            Some(Value::Object(m)) => {
                cur = m.get(&s);
                PathSeg::Key(s)
            }
            _ => {
                cur = None;
                PathSeg::Key(s)
            }
        };
        out.push(step);
    }
    JsonPath(out)
}

/// A JSON value's type, as messages name it (`an integer`, `an object`, ...).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Shortens a value for a message: strings and numbers as JSON, containers by type.
fn show(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => json_type(v).to_string(),
        other => {
            let s = other.to_string();
            if s.chars().count() > 60 {
                format!("{}…\"", s.chars().take(57).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// Whether a branch of an `anyOf` failed only for not being `null`.
fn only_null_expected(branch: &[jsonschema::ValidationError<'_>]) -> bool {
    matches!(branch, [e] if matches!(e.kind(), ValidationErrorKind::Type { kind: TypeKind::Single(jsonschema::JsonType::Null) }))
}

fn type_name(t: &jsonschema::JsonType) -> String {
    t.to_string()
}

/// What a pattern means, for humans.
fn describe_pattern(pattern: &str) -> Option<&'static str> {
    Some(match pattern {
        "^[a-z_][a-zA-Z0-9_]*$" => {
            "must be a ScaiCore identifier: a lower-case letter or `_`, then letters, digits or `_`"
        }
        "^[a-z][a-z0-9_]*$" => "must start with a lower-case letter and use only a-z, 0-9 and `_`",
        "^[0-9]+(ms|s|m|h|d|w)$" => {
            "must be a duration such as `30s`, `5m`, `1h`, `7d` or `2w` (or whole seconds)"
        }
        "^/" => "must start with `/`",
        "^[0-9]+\\.[0-9]+$" => "must be a ScaiCore language version such as \"0.2\"",
        p if p.starts_with("^(0|[1-9]\\d*)\\.") => "must be a semantic version such as \"1.0.0\"",
        p if p.starts_with("^[a-z0-9][a-z0-9_.-]*/") => {
            "must be a package reference `vendor/name@version`"
        }
        "^[a-z0-9][a-z0-9_-]*$" => "must be a slug: lower-case letters, digits, `-` and `_`",
        _ => return None,
    })
}

/// The object schema an `additionalProperties` error came from, to list the known keys.
fn known_properties<'a>(schema: &'a Value, schema_path: &[String]) -> Vec<&'a str> {
    let mut cur = schema;
    let parent = &schema_path[..schema_path.len().saturating_sub(1)];
    for seg in parent {
        if seg == "$ref" {
            let Some(target) = cur.get("$ref").and_then(Value::as_str) else {
                return Vec::new();
            };
            let Some(def) = target.strip_prefix("#/$defs/") else {
                return Vec::new();
            };
            match schema.get("$defs").and_then(|d| d.get(def)) {
                Some(d) => cur = d,
                None => return Vec::new(),
            }
            continue;
        }
        let next = match cur {
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => cur.get(seg),
        };
        match next {
            Some(n) => cur = n,
            None => return Vec::new(),
        }
    }
    cur.get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Attaches node / edge ids when the path lies inside `nodes[i]` / `edges[j]`.
fn with_owner(mut d: Diagnostic, doc: &Value, path: &JsonPath) -> Diagnostic {
    if let [PathSeg::Key(list), PathSeg::Index(i), ..] = path.0.as_slice() {
        let id = doc
            .get(list)
            .and_then(|l| l.get(*i))
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        match (list.as_str(), id) {
            ("nodes", Some(id)) => d.node_id = Some(id),
            ("edges", Some(id)) => d.edge_id = Some(id),
            _ => {}
        }
    }
    d
}

fn convert(
    doc: &Value,
    schema: &Value,
    path: JsonPath,
    schema_path: &[String],
    kind: &ValidationErrorKind,
    instance: &Value,
    err: &jsonschema::ValidationError<'_>,
) -> Vec<Diagnostic> {
    let at = if path.is_root() {
        "flow".to_string()
    } else {
        path.to_string()
    };
    let is_node_type = matches!(path.0.as_slice(),
        [PathSeg::Key(n), PathSeg::Index(_), PathSeg::Key(t)] if n == "nodes" && t == "type");
    let is_edge = matches!(path.0.as_slice(), [PathSeg::Key(e), PathSeg::Index(_)] if e == "edges");

    // An empty or null condition on a conditional edge is a missing condition.
    if let [PathSeg::Key(e), PathSeg::Index(i), PathSeg::Key(c)] = path.0.as_slice()
        && e == "edges"
        && c == "condition"
        && matches!(
            kind,
            ValidationErrorKind::MinLength { .. } | ValidationErrorKind::Type { .. }
        )
        && let Some(edge) = doc.get("edges").and_then(|l| l.get(*i))
        && edge.get("type").and_then(Value::as_str) == Some("conditional")
    {
        let id = edge.get("id").and_then(Value::as_str).unwrap_or("?");
        let d = Diagnostic::new(
            Code::ConditionMissing,
            format!("edge '{id}': conditional edge has no condition"),
        )
        .at(path.clone())
        .label("empty")
        .help("write the condition (use \"true\" for a fallthrough arm), or make the edge \"sequential\"");
        return vec![with_owner(d, doc, &path)];
    }
    let diags = match kind {
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().unwrap_or_default();
            if is_edge && prop == "condition" {
                let id = instance.get("id").and_then(Value::as_str).unwrap_or("?");
                vec![
                    Diagnostic::new(
                        Code::ConditionMissing,
                        format!("edge '{id}': conditional edge has no condition"),
                    )
                    .at(path.key("type"))
                    .label("conditional")
                    .help("add a \"condition\" (use \"true\" for a fallthrough arm), or make the edge \"sequential\""),
                ]
            } else {
                vec![
                    Diagnostic::new(
                        Code::MissingProperty,
                        format!("{at}: missing required property '{prop}'"),
                    )
                    .at(path.clone())
                    .label(format!("'{prop}' is missing here")),
                ]
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known = known_properties(schema, schema_path);
            unexpected
                .iter()
                .map(|key| {
                    let help = suggestion(key, known.iter().copied()).or_else(|| {
                        (!known.is_empty())
                            .then(|| format!("known properties: {}", known.join(", ")))
                    });
                    Diagnostic::new(
                        Code::UnknownProperty,
                        format!("{at}: unknown property '{key}'"),
                    )
                    .at(path.key(key))
                    .focus(Focus::Key)
                    .label("unknown here: ignored")
                    .maybe_help(help)
                })
                .collect()
        }
        // An optional config key: `null` ("not set"), or the key's own schema. Report what
        // the value breaks of the latter.
        ValidationErrorKind::AnyOf { context }
            if context.len() == 2 && context.iter().any(|b| only_null_expected(b)) =>
        {
            return context
                .iter()
                .filter(|b| !only_null_expected(b))
                .flatten()
                .flat_map(|sub| {
                    let sub_path = to_path(doc, sub.instance_path().iter());
                    let sub_schema: Vec<String> =
                        sub.schema_path().iter().map(|s| seg_str(&s)).collect();
                    convert(
                        doc,
                        schema,
                        sub_path,
                        &sub_schema,
                        sub.kind(),
                        sub.instance(),
                        sub,
                    )
                })
                .collect();
        }
        ValidationErrorKind::Type { kind } => {
            // `null` means "not set" where it is allowed: not worth naming as a type.
            let expected = match kind {
                TypeKind::Single(t) => type_name(t),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .filter(|t| ts.iter().count() == 1 || *t != jsonschema::JsonType::Null)
                    .map(|t| type_name(&t))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let msg = format!("{at}: expected {expected}, found {}", json_type(instance));
            let msg = match instance {
                Value::Array(_) | Value::Object(_) | Value::Null => msg,
                v => format!("{msg} {}", show(v)),
            };
            vec![
                Diagnostic::new(Code::WrongType, msg)
                    .at(path.clone())
                    .label(format!("expected {expected}")),
            ]
        }
        ValidationErrorKind::Enum { options } if is_node_type => {
            let got = instance
                .as_str()
                .map_or_else(|| show(instance), str::to_string);
            let help = instance
                .as_str()
                .and_then(|s| suggestion(s, NodeKind::ALL.iter().map(|k| k.as_str())))
                .unwrap_or_else(|| {
                    "see `scaiflow explain SF113` for the 24 node kinds".to_string()
                });
            let _ = options;
            vec![
                Diagnostic::new(Code::UnknownNodeKind, format!("unknown node kind '{got}'"))
                    .at(path.clone())
                    .label("not a node kind")
                    .help(help),
            ]
        }
        ValidationErrorKind::Enum { options } => {
            let opts: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let help = instance
                .as_str()
                .and_then(|s| suggestion(s, opts.iter().copied()));
            vec![
                Diagnostic::new(
                    Code::NotAllowed,
                    format!(
                        "{at}: {} is not one of: {}",
                        show(instance),
                        opts.join(", ")
                    ),
                )
                .at(path.clone())
                .label("not an allowed value")
                .maybe_help(help),
            ]
        }
        ValidationErrorKind::Constant { expected_value } => vec![
            Diagnostic::new(
                Code::NotAllowed,
                format!(
                    "{at}: expected {}, found {}",
                    expected_value,
                    show(instance)
                ),
            )
            .at(path.clone()),
        ],
        ValidationErrorKind::Pattern { pattern } => {
            let what = describe_pattern(pattern).map_or_else(
                || format!("must match the pattern {pattern}"),
                str::to_string,
            );
            let is_role = matches!(path.0.last(), Some(PathSeg::Key(k)) if k == "role");
            let subject = if is_role {
                "model role".to_string()
            } else {
                at.clone()
            };
            vec![
                Diagnostic::new(
                    Code::PatternMismatch,
                    format!("{subject} {} {what}", show(instance)),
                )
                .at(path.clone())
                .label("does not have the required form"),
            ]
        }
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MaxItems { .. }
        | ValidationErrorKind::MinProperties { .. }
        | ValidationErrorKind::MaxProperties { .. } => {
            let msg = match kind {
                ValidationErrorKind::MinLength { limit: 1 } => format!("{at}: must not be empty"),
                ValidationErrorKind::MinItems { limit } => {
                    format!(
                        "{at}: needs at least {limit} item{}",
                        if *limit == 1 { "" } else { "s" }
                    )
                }
                _ => format!("{at}: {err}"),
            };
            vec![
                Diagnostic::new(Code::OutOfRange, msg)
                    .at(path.clone())
                    .label("out of range"),
            ]
        }
        _ => vec![Diagnostic::new(Code::SchemaViolation, format!("{at}: {err}")).at(path.clone())],
    };
    diags
        .into_iter()
        .map(|d| with_owner(d, doc, &path))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_compiles() {
        assert!(flow_schema().is_object());
        let _ = validator();
        assert!(
            fast_schema().is_some(),
            "the fast check implements every keyword the schema uses"
        );
    }

    fn codes(doc: Value) -> Vec<(Code, String, String)> {
        validate(&doc)
            .into_iter()
            .map(|d| (d.code, d.path.unwrap_or_default().to_string(), d.message))
            .collect()
    }

    fn minimal() -> Value {
        serde_json::json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": [
            {"id": "node_a", "type": "entry_api", "label": "A", "position": {"x": 0, "y": 0}}
        ], "edges": []})
    }

    #[test]
    fn minimal_flow_is_valid() {
        assert!(codes(minimal()).is_empty(), "{:?}", codes(minimal()));
    }

    /// `null` is "not set" for every optional config key; a value of the wrong kind is still
    /// reported as precisely as without the `null` alternative.
    #[test]
    fn optional_config_keys_accept_null_and_keep_precise_errors() {
        let mut doc = minimal();
        doc["nodes"][0]["config"] = serde_json::json!({"method": null, "path": null});
        doc["nodes"].as_array_mut().unwrap().push(serde_json::json!({
            "id": "node_g", "type": "llm_guarded", "label": "G", "position": {"x": 0, "y": 1},
            "config": {"goal": "g", "llm_role": null, "constraints": "...", "on_validation_failure": null,
                       "input_bindings": null, "guard": null}}));
        doc["nodes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
            "id": "node_s", "type": "subflow_call", "label": "S", "position": {"x": 0, "y": 2},
            "config": {"target": "core://acme/x", "instance_key": null, "version": null}}));
        assert_eq!(codes(doc.clone()), Vec::new());
        doc["nodes"][1]["config"]["llm_role"] = "Fast Model".into();
        doc["nodes"][1]["config"]["guard"] = 42.into();
        // An HTTP method the docs do not enumerate is kept (permissive where they are silent).
        doc["nodes"][0]["config"]["method"] = "PROPFIND".into();
        let got = codes(doc);
        let short: Vec<(Code, &str)> = got.iter().map(|(c, p, _)| (*c, p.as_str())).collect();
        assert_eq!(
            short,
            [
                (Code::PatternMismatch, "nodes[1].config.llm_role"),
                (Code::WrongType, "nodes[1].config.guard"),
            ],
            "{got:?}"
        );
        assert_eq!(
            got[1].2,
            "nodes[1].config.guard: expected string, found an integer 42"
        );
    }

    #[test]
    fn errors_point_at_values() {
        let mut doc = minimal();
        doc["nodes"][0]["type"] = "entry_apii".into();
        doc["edgse"] = serde_json::json!([]);
        let got = codes(doc);
        assert!(
            got.contains(&(
                Code::UnknownNodeKind,
                "nodes[0].type".into(),
                "unknown node kind 'entry_apii'".into()
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&(
                Code::UnknownProperty,
                "edgse".into(),
                "flow: unknown property 'edgse'".into()
            )),
            "{got:?}"
        );
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn descriptions_are_the_schema_documents() {
        // (Read through the tape; compared with the `Value` of the same text.)
        for kind in NodeKind::ALL {
            let config = &flow_schema()["$defs"][format!("config_{}", kind.as_str())];
            assert_eq!(
                kind_description(*kind),
                config["description"].as_str(),
                "{kind}"
            );
            assert!(
                kind_description(*kind).is_some_and(|d| d.len() > 10),
                "{kind}"
            );
            for key in config_keys(*kind) {
                assert_eq!(
                    config_key_description(*kind, key),
                    config["properties"][key]["description"].as_str(),
                    "{kind}.{key}"
                );
            }
        }
        assert!(
            config_key_description(NodeKind::LlmGuarded, "guard").is_some_and(|d| d.len() > 10)
        );
        assert_eq!(
            config_key_description(NodeKind::LlmGuarded, "no_such_key"),
            None
        );
    }

    #[test]
    fn every_kind_documents_its_config_keys() {
        for kind in NodeKind::ALL {
            let keys = config_keys(*kind);
            assert!(
                !keys.is_empty() || *kind == NodeKind::ComputeDestroy,
                "{kind} has no documented config keys"
            );
        }
        assert!(config_keys(NodeKind::LlmGuarded).contains(&"guard"));
        assert!(config_keys(NodeKind::ComputeExec).contains(&"timeout_s"));
        // The per-kind cache hands each kind its own keys, as the schema lists them.
        let schema = flow_schema();
        for kind in NodeKind::ALL {
            let listed: Vec<&str> =
                schema["$defs"][format!("config_{}", kind.as_str())]["properties"]
                    .as_object()
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
            assert_eq!(config_keys(*kind), listed.as_slice(), "{kind}");
        }
    }

    #[test]
    fn non_object_top_level() {
        assert_eq!(codes(serde_json::json!([1]))[0].0, Code::NotAnObject);
    }
}
