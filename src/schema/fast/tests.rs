//! The fast check against `jsonschema`: on every flow the repository holds, and on
//! thousands of seeded mutations of them. A `Valid` or `Invalid` that `jsonschema` does not
//! share would be a wrong answer (`Unsure` is always allowed, and counted).

use super::super::{fast_schema, flow_schema, validator};
use super::*;
use crate::testing::Rng;
use serde_json::json;

/// A schema as both validators have it.
struct Pair {
    fast: &'static FastSchema,
    jsonschema: &'static jsonschema::Validator,
}

fn flow_pair() -> Pair {
    Pair {
        fast: fast_schema().expect("the flow schema compiles to the fast check"),
        jsonschema: validator(),
    }
}

fn ir_pair() -> Pair {
    Pair {
        fast: crate::verify::fast_ir().expect("the IR schema compiles to the fast check"),
        jsonschema: crate::verify::validator(),
    }
}

/// Every JSON document under the given folders that parses.
fn documents(dirs: &[&str]) -> Vec<(String, Value)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("flow folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                out.push((f.display().to_string(), v));
            }
        }
    }
    out
}

/// The repository's flows.
pub(crate) fn corpus() -> Vec<(String, Value)> {
    let out = documents(&["fixtures", "examples", "tests/docs_examples"]);
    assert!(out.len() > 60, "the corpus is the repository's flows");
    out
}

/// The IR fixtures, and the IR of every flow in [`corpus`] that compiles.
fn ir_corpus() -> Vec<(String, Value)> {
    let mut out = documents(&["fixtures/ir"]);
    for (name, flow) in corpus() {
        let text = serde_json::to_string(&flow).expect("serialises");
        let source = crate::load::SourceFile::new(name.as_str(), text);
        if let Ok(a) = crate::compile_flow(&source, crate::OutputFormat::Ir) {
            let ir = crate::scir::decode(&a.bytes).expect("our own bundle decodes");
            out.push((format!("{name} as IR"), ir));
        }
    }
    assert!(out.len() > 40, "{} IR documents", out.len());
    out
}

/// Fails if the fast check contradicts `jsonschema` on `doc`; returns the fast verdict.
fn agree(pair: &Pair, doc: &Value, what: &str) -> Verdict {
    let truth = pair.jsonschema.is_valid(doc);
    let v = pair.fast.verdict(doc);
    // The same document read through a tape (the load stage's fast path) gets the same
    // verdict.
    let text = serde_json::to_string(doc).unwrap();
    let tape = crate::load::tape::Tape::parse(&text).expect("the tape reads serde_json's text");
    assert_eq!(
        pair.fast.verdict(tape.root()),
        v,
        "tape and Value disagree: {what}\n{doc:#}"
    );
    match v {
        Valid => assert!(
            truth,
            "fast says valid, jsonschema invalid: {what}\n{doc:#}"
        ),
        Invalid => assert!(
            !truth,
            "fast says invalid, jsonschema valid: {what}\n{doc:#}"
        ),
        Unsure => {}
    }
    v
}

#[test]
fn every_flow_in_the_repository_gets_jsonschemas_answer() {
    every_document_gets_jsonschemas_answer(&flow_pair(), corpus());
}

#[test]
fn every_ir_bundle_gets_jsonschemas_answer() {
    every_document_gets_jsonschemas_answer(&ir_pair(), ir_corpus());
}

fn every_document_gets_jsonschemas_answer(pair: &Pair, corpus: Vec<(String, Value)>) {
    let mut valid = 0;
    for (name, doc) in corpus {
        let v = agree(pair, &doc, &name);
        // Every valid flow takes the fast path, unless a float stands where the schema asks
        // for an integer (sf104); every invalid one is recognised as such.
        let expected = if !pair.jsonschema.is_valid(&doc) {
            Invalid
        } else if has_float(&doc) {
            v
        } else {
            valid += 1;
            Valid
        };
        assert_eq!(v, expected, "{name}");
    }
    assert!(valid > 30, "{valid} valid flows");
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                prefix.push(Step::Key(k.clone()));
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |cur, s| match s {
        Step::Key(k) => &mut cur[k.as_str()],
        Step::Index(i) => &mut cur[*i],
    })
}

/// Values that sit at the edges of the schema's keywords: types, integer-valued floats,
/// huge numbers, strings that patterns and `minLength` treat differently.
pub(crate) fn palette() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.0),
        json!(0.5),
        json!(-0.0),
        json!(2.0e10),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(9_007_199_254_740_993u64),
        json!(""),
        json!("x"),
        json!("node_a"),
        json!("a\n"),
        json!("node_a\r"),
        json!("Ab"),
        json!("ab-c"),
        json!("é"),
        json!("١٢"),
        json!("30s"),
        json!("1.0.0"),
        json!("0.2"),
        json!("/path"),
        json!("true"),
        json!([]),
        json!(["a", "a"]),
        json!([1, 1.0]),
        json!({}),
        json!({"x": 0, "y": 0}),
        json!({"name": "n", "type": "string"}),
    ]
}

/// The flow schema's node kinds.
pub(crate) fn kinds() -> Vec<String> {
    flow_schema()["$defs"]["node_kind"]["enum"]
        .as_array()
        .expect("node kinds")
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect()
}

/// The IR's block, statement and trigger kinds.
fn ir_kinds() -> Vec<String> {
    use crate::verify::{BLOCK_KINDS, STATEMENT_KINDS, TRIGGER_KINDS};
    BLOCK_KINDS
        .iter()
        .chain(&STATEMENT_KINDS)
        .chain(&TRIGGER_KINDS)
        .map(|k| k.to_string())
        .collect()
}

pub(crate) fn mutate(doc: &mut Value, rng: &mut Rng, palette: &[Value], kinds: &[String]) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    match rng.below(7) {
        // Delete the value.
        0 => {
            if let Some((last, parent)) = path.split_last() {
                match (at(doc, parent), last) {
                    (Value::Object(m), Step::Key(k)) => {
                        m.shift_remove(k);
                    }
                    (Value::Array(a), Step::Index(i)) => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        // Replace it with an edge value.
        1 => *at(doc, &path) = rng.pick(palette).clone(),
        // Add a key, known somewhere in the schema or not.
        2 => {
            let key = *rng.pick(&["x", "id", "type", "config", "label", "condition", "timeout"]);
            let value = rng.pick(palette).clone();
            if let Value::Object(m) = at(doc, &path) {
                m.insert(key.to_string(), value);
            }
        }
        // Bend a string or a number.
        3 => {
            let v = at(doc, &path);
            let new = match &*v {
                Value::String(s) => match rng.below(5) {
                    0 => json!(format!("{s}\n")),
                    1 => json!(s.to_uppercase()),
                    2 => json!(format!("é{s}")),
                    3 => json!(format!("1{s}")),
                    _ => json!(s.chars().skip(1).collect::<String>()),
                },
                Value::Number(n) => match rng.below(4) {
                    0 => json!(n.as_f64().unwrap_or(0.0)),
                    1 => json!(n.as_i64().map_or(-1, |i| i.saturating_neg())),
                    2 => json!(n.as_f64().unwrap_or(0.0) + 0.5),
                    _ => json!(n.as_i64().map_or(0, |i| i.saturating_add(1))),
                },
                other => other.clone(),
            };
            *v = new;
        }
        // Copy another value here.
        4 => {
            let other = rng.pick(&all).clone();
            let value = at(doc, &other).clone();
            *at(doc, &path) = value;
        }
        // Duplicate an array element.
        5 => {
            if let Value::Array(a) = at(doc, &path)
                && !a.is_empty()
            {
                let i = rng.below(a.len());
                let x = a[i].clone();
                a.push(x);
            }
        }
        // Give an object another kind (`type` of a node, `kind` of a block): it now
        // meets another kind's rules.
        _ => {
            let kind = rng.pick(kinds).clone();
            let kinded: Vec<_> = all
                .iter()
                .filter(|p| matches!(p.last(), Some(Step::Key(k)) if k == "type" || k == "kind"))
                .collect();
            if !kinded.is_empty() {
                let path = (*rng.pick(&kinded)).clone();
                *at(doc, &path) = json!(kind);
            }
        }
    }
}

#[test]
fn mutated_flows_get_jsonschemas_answer() {
    let (valid, invalid, unsure) = mutants(&flow_pair(), &corpus(), &kinds(), 120);
    // The check is useful only if it decides most documents; both answers must occur.
    assert!(
        valid > 500 && invalid > 2000,
        "{valid} valid, {invalid} invalid"
    );
    assert!(unsure * 10 < valid + invalid, "{unsure} unsure");
}

#[test]
fn mutated_ir_bundles_get_jsonschemas_answer() {
    let (valid, invalid, unsure) = mutants(&ir_pair(), &ir_corpus(), &ir_kinds(), 60);
    assert!(
        valid > 300 && invalid > 1000,
        "{valid} valid, {invalid} invalid"
    );
    assert!(unsure * 10 < valid + invalid, "{unsure} unsure");
}

/// Checks `rounds` seeded mutants of each document; counts the verdicts.
fn mutants(
    pair: &Pair,
    corpus: &[(String, Value)],
    kinds: &[String],
    rounds: usize,
) -> (usize, usize, usize) {
    let palette = palette();
    let mut rng = Rng(0x5CA1_F10E_D00D_F00D);
    let (mut valid, mut invalid, mut unsure) = (0, 0, 0);
    for (name, doc) in corpus {
        for round in 0..rounds {
            let mut m = doc.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut m, &mut rng, &palette, kinds);
            }
            match agree(pair, &m, &format!("{name}, mutant {round}")) {
                Valid => valid += 1,
                Invalid => invalid += 1,
                Unsure => unsure += 1,
            }
        }
    }
    eprintln!("fast check on mutants: {valid} valid, {invalid} invalid, {unsure} unsure");
    (valid, invalid, unsure)
}

#[test]
fn floats_and_non_ascii_text_are_left_to_jsonschema() {
    let t = Types(Types::INTEGER);
    assert_eq!(t.check(&(&json!(1.0)).shape()), Unsure);
    assert_eq!(t.check(&(&json!(1)).shape()), Valid);
    assert_eq!(t.check(&(&json!(u64::MAX)).shape()), Valid);
    assert_eq!(t.check(&(&json!("1")).shape()), Invalid);
    assert_eq!(Types(Types::NUMBER).check(&(&json!(1.5)).shape()), Valid);
    assert_eq!(
        Types(Types::STRING | Types::NULL).check(&(&json!(null)).shape()),
        Valid
    );
    assert_eq!(
        Types(Types::STRING).check(&(&json!(false)).shape()),
        Invalid
    );

    assert_eq!(equal(&json!(null), &json!(null)), Valid);
    assert_eq!(equal(&json!(true), &json!(true)), Valid);
    assert_eq!(equal(&json!(false), &json!(true)), Invalid);
    assert_eq!(equal(&json!(null), &json!(false)), Invalid);
    assert_eq!(equal(&json!(1), &json!(1.0)), Unsure);
    assert_eq!(equal(&json!(1), &json!(1)), Valid);
    assert_eq!(equal(&json!(-1), &json!(u64::MAX)), Invalid);
    assert_eq!(
        equal(&json!({"a": [1, "x"]}), &json!({"a": [1, "x"]})),
        Valid
    );
    assert_eq!(equal(&json!({"a": 1}), &json!({"b": 1})), Invalid);
    assert_eq!(equal(&json!([1, 2]), &json!([1, 2.0])), Unsure);
    assert_eq!(equal(&json!([1, 2]), &json!([1])), Invalid);
    assert_eq!(equal(&json!("1"), &json!(1)), Invalid);

    let p = Pattern {
        source: r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$".into(),
        regex: OnceLock::new(),
    };
    assert_eq!(p.check("1.20"), Valid);
    assert_eq!(p.check("1.2\n"), Invalid);
    assert_eq!(p.check("01.2"), Invalid);
    // Arabic-Indic digits: `\d` is Unicode to `regex`, ASCII to ECMA-262.
    assert_eq!(p.check("١.٢"), Unsure);
    let dot = Pattern {
        source: "^a.b$".into(),
        regex: OnceLock::new(),
    };
    assert_eq!(dot.check("axb"), Valid);
    assert_eq!(dot.check("a\nb"), Invalid);
    // ECMA-262's `.` does not match a carriage return, `regex`'s does.
    assert_eq!(dot.check("a\rb"), Unsure);
    let look = Pattern {
        source: "^(?=a)".into(),
        regex: OnceLock::new(),
    };
    assert_eq!(look.check("a"), Unsure, "look-around is not `regex` syntax");
}

#[test]
fn limits_compare_exactly_or_not_at_all() {
    let n = |v: Value| v.as_number().expect("number").clone();
    let ge = |o: std::cmp::Ordering| o.is_ge();
    assert_eq!(compare(&n(json!(0)), &n(json!(0)), ge), Valid);
    assert_eq!(compare(&n(json!(-1)), &n(json!(0)), ge), Invalid);
    assert_eq!(compare(&n(json!(u64::MAX)), &n(json!(0)), ge), Valid);
    assert_eq!(compare(&n(json!(-0.5)), &n(json!(0)), ge), Invalid);
    assert_eq!(compare(&n(json!(0.0)), &n(json!(0)), ge), Valid);
    assert_eq!(compare(&n(json!(0.5)), &n(json!(1)), |o| o.is_le()), Valid);
    // 2^53 + 1 has no exact f64: a float limit cannot be compared with it here.
    assert_eq!(
        compare(&n(json!(9_007_199_254_740_993u64)), &n(json!(0.5)), ge),
        Unsure
    );
}

#[test]
fn a_schema_with_an_unknown_keyword_turns_the_fast_check_off() {
    let base = |extra: Value| {
        let mut s =
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"});
        s.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        s
    };
    assert!(FastSchema::compile(&base(json!({}))).is_some());
    for extra in [
        json!({"format": "email"}),
        json!({"oneOf": [true]}),
        json!({"properties": {"a": {"$ref": "other.json"}}}),
        json!({"properties": {"a": {"$ref": "#/$defs/missing"}}}),
        json!({"properties": {"a": {"$id": "x"}}}),
        json!({"properties": {"a": {"maxLength": 3}}}),
        json!({"items": [true]}),
    ] {
        assert!(
            FastSchema::compile(&base(extra.clone())).is_none(),
            "{extra}"
        );
    }
    // Another draft: its keywords could mean other things.
    assert!(
        FastSchema::compile(&json!({"$schema": "http://json-schema.org/draft-07/schema#"}))
            .is_none()
    );
}

#[test]
fn recursive_references_and_deep_documents_end() {
    let s = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"tree": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}, "required": ["name"]}},
        "$ref": "#/$defs/tree"
    });
    let f = FastSchema::compile(&s).expect("compiles");
    assert_eq!(f.verdict(&json!({"name": 1, "kids": [{"name": 2}]})), Valid);
    assert_eq!(
        f.verdict(&json!({"name": 1, "kids": [{"kids": []}]})),
        Invalid
    );
    // Each level is three subschemas deep (the tree, its `kids`, their `items`), behind
    // the root's `$ref`: `k` levels end with the innermost `kids` at depth 2 + 3k.
    let nested = |k: usize| {
        (0..k).fold(json!({"name": 0, "kids": []}), |inner, _| {
            obj(vec![
                ("name", json!(0)),
                ("kids", Value::Array(vec![inner])),
            ])
        })
    };
    assert_eq!(2 + 3 * 170, MAX_DEPTH);
    assert_eq!(
        f.verdict(&nested(170)),
        Valid,
        "depth {MAX_DEPTH} is still evaluated"
    );
    assert_eq!(f.verdict(&nested(171)), Unsure);
    assert_eq!(f.verdict(&nested(400)), Unsure);
}

/// The `allOf` of `if`/`then` per kind, folded into one lookup, means what the members
/// mean: on objects with the property, without it, with a non-string value, and on values
/// that are not objects (where every `if` holds). A member of another shape stays a member.
#[test]
fn kind_cases_fold_into_one_lookup_with_the_same_meaning() {
    let case = |kind: &str, then: Value| json!({"if": {"properties": {"type": {"const": kind}}, "required": ["type"]}, "then": then});
    let s = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [
            case("a", json!({"required": ["a"]})),
            case("b", json!({"required": ["b"]})),
            case("b", json!({"properties": {"b": {"type": "integer"}}})),
            case("s", json!({"type": "string"})),
            {"if": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]}, "then": {"required": ["k"]}},
            {"required": ["type"]}
        ]
    });
    let f = FastSchema::compile(&s).expect("compiles");
    let sw = f.nodes[f.root].switch.as_ref().expect("folded");
    assert_eq!(sw.property, "type");
    assert_eq!(sw.cases.len(), 3);
    assert_eq!(
        f.nodes[f.root].all_of.len(),
        2,
        "the other shapes stay members"
    );
    let js = jsonschema::draft202012::new(&s).expect("compiles");
    for (doc, expected) in [
        (json!({"type": "a", "a": 1}), Valid),
        (json!({"type": "a"}), Invalid),
        (json!({"type": "b", "b": 1}), Valid),
        (json!({"type": "b", "b": "x"}), Invalid),
        (json!({"type": "b"}), Invalid),
        (json!({"type": "c"}), Valid),
        (json!({"type": 1}), Valid),
        (json!({"type": "c", "kind": "a"}), Invalid),
        (json!({"type": "c", "kind": "a", "k": 0}), Valid),
        (json!({}), Invalid),
        // Not an object: `required` and `properties` hold, so every `then` applies, and
        // the string case's `type` fails.
        (json!(5), Invalid),
    ] {
        assert_eq!(f.verdict(&doc), expected, "{doc}");
        assert_eq!(js.is_valid(&doc), expected == Valid, "jsonschema on {doc}");
    }
    // Without the string case, a non-object passes every `then`.
    let mut t = s.clone();
    t["allOf"].as_array_mut().expect("array").remove(3);
    let f = FastSchema::compile(&t).expect("compiles");
    let js = jsonschema::draft202012::new(&t).expect("compiles");
    for doc in [json!(5), json!("x"), json!([1])] {
        assert_eq!(f.verdict(&doc) == Valid, js.is_valid(&doc), "{doc}");
    }
    // With `"type": "object"` in each `if` (the IR schema's form), a non-object meets no
    // `if`: the string case's `then` no longer applies to 5.
    let mut u = s.clone();
    for member in u["allOf"].as_array_mut().expect("array").iter_mut().take(4) {
        member["if"]["type"] = json!("object");
    }
    let f = FastSchema::compile(&u).expect("compiles");
    let sw = f.nodes[f.root].switch.as_ref().expect("folded");
    assert!(sw.objects_only);
    assert_eq!(sw.cases.len(), 3);
    let js = jsonschema::draft202012::new(&u).expect("compiles");
    for doc in [
        json!(5),
        json!("x"),
        json!({"type": "a"}),
        json!({"type": "s"}),
        json!({"type": "b", "b": 1}),
    ] {
        let v = f.verdict(&doc);
        assert_ne!(v, Unsure, "{doc}");
        assert_eq!(v == Valid, js.is_valid(&doc), "{doc}");
    }
    // Another type in the `if` is not a case: the member stays a member.
    let mut x = s.clone();
    x["allOf"][0]["if"]["type"] = json!("array");
    let f = FastSchema::compile(&x).expect("compiles");
    assert_eq!(f.nodes[f.root].all_of.len(), 3);
    let js = jsonschema::draft202012::new(&x).expect("compiles");
    for doc in [
        json!({"type": "a"}),
        json!([1]),
        json!({"type": "a", "a": 1}),
    ] {
        assert_eq!(f.verdict(&doc) == Valid, js.is_valid(&doc), "{doc}");
    }
    // An `if` that requires another property, or none, is not a case either.
    for required in [json!(["kind"]), json!([]), json!(["type", "kind"])] {
        let mut y = s.clone();
        y["allOf"][0]["if"]["required"] = required.clone();
        let f = FastSchema::compile(&y).expect("compiles");
        assert_eq!(f.nodes[f.root].all_of.len(), 3, "{required}");
        let js = jsonschema::draft202012::new(&y).expect("compiles");
        for doc in [
            json!({"type": "a"}),
            json!({"type": "a", "kind": 1}),
            json!({}),
        ] {
            assert_eq!(
                f.verdict(&doc) == Valid,
                js.is_valid(&doc),
                "{required} {doc}"
            );
        }
    }
    // Cases of both forms do not share one switch: the second form stays a member.
    let mut w = s.clone();
    w["allOf"][1]["if"]["type"] = json!("object");
    let f = FastSchema::compile(&w).expect("compiles");
    assert_eq!(f.nodes[f.root].all_of.len(), 3);
    let js = jsonschema::draft202012::new(&w).expect("compiles");
    for doc in [json!(5), json!({"type": "b"}), json!({"type": "b", "b": 2})] {
        assert_eq!(f.verdict(&doc) == Valid, js.is_valid(&doc), "{doc}");
    }
}

/// The combinators' truth tables: `Invalid` decides a conjunction, `Valid` a disjunction,
/// and `Unsure` stays only where nothing decides.
#[test]
fn verdicts_combine_as_three_valued_logic() {
    let all = [Valid, Invalid, Unsure];
    for a in all {
        for b in all {
            let both = a.and(|| b);
            let expected = match (a, b) {
                (Invalid, _) | (_, Invalid) => Invalid,
                (Valid, Valid) => Valid,
                _ => Unsure,
            };
            assert_eq!(both, expected, "{a:?} and {b:?}");
            let either = any([a, b].into_iter());
            let expected = match (a, b) {
                (Valid, _) | (_, Valid) => Valid,
                (Invalid, Invalid) => Invalid,
                _ => Unsure,
            };
            assert_eq!(either, expected, "{a:?} or {b:?}");
        }
    }
    assert_eq!(
        any(std::iter::empty()),
        Invalid,
        "anyOf of nothing holds for nothing"
    );
    // `Invalid` decides without evaluating the rest.
    assert_eq!(Invalid.and(|| unreachable!()), Invalid);
}

/// Both embedded schemas' per-kind `allOf`s are folded (the node kinds, the block kinds).
#[test]
fn the_embedded_schemas_kind_cases_are_folded() {
    for (pair, property, kinds) in [(flow_pair(), "type", 24), (ir_pair(), "kind", 14)] {
        let switches: Vec<&Switch> = pair
            .fast
            .nodes
            .iter()
            .filter_map(|n| n.switch.as_ref())
            .collect();
        assert!(
            switches
                .iter()
                .any(|s| s.property == property && s.cases.len() >= kinds),
            "{property}: {:?}",
            switches
                .iter()
                .map(|s| (&s.property, s.cases.len()))
                .collect::<Vec<_>>()
        );
    }
}

/// A schema whose `$ref`s loop back through any construct, without the instance getting
/// smaller, ends `Unsure` at the depth bound (every construct entered counts towards it).
#[test]
fn reference_cycles_through_every_construct_end() {
    let t = json!({"$ref": "#/$defs/t"});
    let kind_a = json!({"properties": {"type": {"const": "a"}}, "required": ["type"]});
    for (name, def, doc) in [
        ("$ref", t.clone(), json!(1)),
        ("allOf", json!({"allOf": [t.clone()]}), json!(1)),
        ("anyOf", json!({"anyOf": [t.clone()]}), json!(1)),
        ("if", json!({"if": t.clone(), "then": true}), json!(1)),
        ("then", json!({"if": true, "then": t.clone()}), json!(1)),
        ("else", json!({"if": false, "else": t.clone()}), json!(1)),
        (
            "a kind case",
            json!({"allOf": [{"if": kind_a.clone(), "then": t.clone()}]}),
            json!({"type": "a"}),
        ),
        (
            "a kind case on a value that is not an object",
            json!({"allOf": [{"if": kind_a.clone(), "then": t.clone()}]}),
            json!(1),
        ),
    ] {
        let s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"t": def},
            "$ref": "#/$defs/t"
        });
        let f = FastSchema::compile(&s).expect("compiles");
        assert_eq!(f.verdict(&doc), Unsure, "{name}");
    }
}

/// An object of `pairs`, moved in (`json!` would copy an interpolated value: deep chains
/// built with it take quadratic time).
fn obj(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Every construct entered counts one level towards [`MAX_DEPTH`]: a chain of exactly
/// `MAX_DEPTH` of them around a leaf is evaluated, one more is left to `jsonschema`.
/// (On a thread with a large stack: compiling a 513-level schema recurses as deep.)
#[test]
fn every_construct_counts_towards_the_depth_bound() {
    std::thread::Builder::new()
        .stack_size(crate::verify::LARGE_STACK)
        .spawn(depth_chains)
        .expect("a thread")
        .join()
        .expect("the chains are checked");
}

fn depth_chains() {
    fn case(s: Value) -> Value {
        let kind_a = json!({"properties": {"type": {"const": "a"}}, "required": ["type"]});
        obj(vec![(
            "allOf",
            Value::Array(vec![obj(vec![("if", kind_a), ("then", s)])]),
        )])
    }
    type Wrap = fn(Value) -> Value;
    let int = || json!({"type": "integer"});
    let cases: [(&str, Wrap, Value, Value); 9] = [
        (
            "allOf",
            |s| obj(vec![("allOf", Value::Array(vec![s]))]),
            int(),
            json!(1),
        ),
        (
            "anyOf",
            |s| obj(vec![("anyOf", Value::Array(vec![s]))]),
            int(),
            json!(1),
        ),
        (
            "if",
            |s| obj(vec![("if", s), ("then", json!(true))]),
            int(),
            json!(1),
        ),
        (
            "then",
            |s| obj(vec![("if", json!(true)), ("then", s)]),
            int(),
            json!(1),
        ),
        (
            "else",
            |s| obj(vec![("if", json!(false)), ("else", s)]),
            int(),
            json!(1),
        ),
        (
            "properties",
            |s| obj(vec![("properties", obj(vec![("a", s)]))]),
            int(),
            json!(null),
        ),
        (
            "additionalProperties",
            |s| obj(vec![("additionalProperties", s)]),
            int(),
            json!(null),
        ),
        (
            "a kind case",
            case,
            json!({"type": "object"}),
            json!({"type": "a"}),
        ),
        (
            "a kind case on a value that is not an object",
            case,
            int(),
            json!(1),
        ),
    ];
    for (name, wrap, leaf, doc) in cases {
        for (levels, expected) in [(MAX_DEPTH, Valid), (MAX_DEPTH + 1, Unsure)] {
            let mut s = leaf.clone();
            for _ in 0..levels {
                s = wrap(s);
            }
            s["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            // `properties` and `additionalProperties` descend into the document as well:
            // nest it as deep.
            let doc = if name.ends_with("roperties") {
                (0..levels).fold(json!(1), |inner, _| obj(vec![("a", inner)]))
            } else {
                doc.clone()
            };
            let f = FastSchema::compile(&s).expect("compiles");
            assert_eq!(f.verdict(&doc), expected, "{name}, {levels} levels");
        }
    }
}

/// Patterns whose syntax ECMA-262 (as `jsonschema` rewrites it) and `regex` read
/// differently are left to `jsonschema` (found by an adversarial review: nested and POSIX
/// classes, class set operators, case folding of non-ASCII literals).
#[test]
fn patterns_outside_the_shared_syntax_are_left_to_jsonschema() {
    for (pattern, text) in [
        ("^[a[b]]$", "b"),
        ("^[a[b]]$", "a]"),
        ("^[[:alpha:]]+$", "abc"),
        ("^[[:^alpha:]]$", "1"),
        ("^[a-z&&[^x]]$", "a"),
        ("^[a-c--b]$", "b"),
        ("^[a-c--b]$", "-"),
        ("^[a~~b]$", "~"),
        ("^[\\w--z]$", "-"),
        ("(?i)^\u{212A}$", "k"),
        ("(?i)^\u{17F}$", "s"),
        ("(?i)^a$", "A"),
        ("^[]a]$", "a"),
        ("^a{,3}$", "aa"),
        ("^a{2$", "a{2"),
        ("^a}$", "a}"),
        ("\\bab", "ab"),
        ("^\\x41$", "A"),
        ("^(?=a)a$", "a"),
        ("^(a)\\1$", "aa"),
    ] {
        let schema =
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": pattern});
        let fast = FastSchema::compile(&schema).expect("compiles");
        assert_eq!(fast.verdict(&json!(text)), Unsure, "{pattern} on {text:?}");
    }
    // What the embedded schemas use is in the shared syntax.
    for pattern in [
        "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?$",
        "^/",
        "^[0-9]+(ms|s|m|h|d|w)$",
        "^[a-z_][a-zA-Z0-9_]*$",
        "^a{2}b{1,}c{0,3}$",
        "^[^\\]\\-]$",
    ] {
        assert!(plain_syntax(pattern), "{pattern}");
        let schema =
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": pattern});
        let fast = FastSchema::compile(&schema).expect("compiles");
        let js = jsonschema::draft202012::new(&schema).expect("compiles");
        for text in [
            "1.2.3",
            "/a",
            "30s",
            "ab_1",
            "aabcc",
            "x",
            "]",
            "-",
            "1.2.3-rc.1+b",
        ] {
            let v = fast.verdict(&json!(text));
            assert_ne!(v, Unsure, "{pattern} on {text:?}");
            assert_eq!(
                v == Valid,
                js.is_valid(&json!(text)),
                "{pattern} on {text:?}"
            );
        }
    }
}

/// `uniqueItems` is compared pair by pair only up to [`UNIQUE_PAIRWISE`] items: a flow
/// with a huge list must not take quadratic time (an adversarial review's 60,000
/// `modalities` took 6.4 s).
#[test]
fn long_unique_lists_are_left_to_jsonschema() {
    let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
        "uniqueItems": true, "items": {"type": "string"}});
    let f = FastSchema::compile(&schema).expect("compiles");
    let list = |n: usize| Value::Array((0..n).map(|i| json!(i.to_string())).collect());
    assert_eq!(f.verdict(&list(UNIQUE_PAIRWISE)), Valid);
    assert_eq!(f.verdict(&list(UNIQUE_PAIRWISE + 1)), Unsure);
    // (A quadratic check of this one would not end within the test's life.)
    assert_eq!(f.verdict(&list(200_000)), Unsure);
    // The items are still checked first: a wrong item decides, however long the list.
    let mut bad = list(1_000);
    bad[999] = json!(1);
    assert_eq!(f.verdict(&bad), Invalid);
    let mut dup = list(UNIQUE_PAIRWISE);
    dup[5] = json!("0");
    assert_eq!(f.verdict(&dup), Invalid);
}

/// `plain_syntax` on its own: the forms it admits, and each form it refuses.
#[test]
fn plain_syntax_admits_exactly_the_shared_forms() {
    for p in [
        "^a b$",
        "^[(?{}|.*+]$",
        "^[^a-z]$",
        "^(?:ab|c)+?$",
        "^a{2,}$",
        "^\\.\\-\\/$",
        "^[\\d\\s-]$",
        "(?:a|b)c",
    ] {
        assert!(plain_syntax(p), "{p}");
        // And `regex` reads it as `jsonschema` does.
        let schema =
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": p});
        let fast = FastSchema::compile(&schema).expect("compiles");
        let js = jsonschema::draft202012::new(&schema).expect("compiles");
        for text in [
            "a b", "(", "{", "|", "ab", "abab", "aa", ".-/", "1", "-", " ", "x",
        ] {
            let v = fast.verdict(&json!(text));
            assert_ne!(v, Unsure, "{p} on {text:?}");
            assert_eq!(v == Valid, js.is_valid(&json!(text)), "{p} on {text:?}");
        }
    }
    for p in [
        "^a\tb$",
        "^a\u{7f}$",
        "^é$",
        "^[a[]$",
        "^[a[b$",
        "^a]$",
        "^a}$",
        "^[]$",
        "^[^]$",
        "^[:a]$",
        "^[a&&b]$",
        "^[a--b]$",
        "^[a~~b]$",
        "^(?i)a$",
        "^(?=a)",
        "^(?<n>a)$",
        "^a{$",
        "^a{,2}$",
        "^a{x}$",
        "^a{1,x}$",
        "\\b",
        "\\p{L}",
        "\\x41",
        "\\u0041",
        "\\1",
        "a\\",
        "[a",
        "[^:a]",
        "x(?:a)(?=b)",
    ] {
        assert!(!plain_syntax(p), "{p}");
    }
}

/// `required` is checked in the one pass over an object's members: every key present, in
/// any order, among named and additional members. (A repeated required key, which the
/// metaschema refuses, is one key to the fast check.)
#[test]
fn required_keys_are_met_in_one_pass() {
    for additional in [json!({"type": "string"}), json!(true), Value::Null] {
        let schema = |required: Value| {
            let mut s = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": required,
                "properties": {"a": {"type": "integer"}, "z": {"type": "null"}}
            });
            if !additional.is_null() {
                s["additionalProperties"] = additional.clone();
            }
            s
        };
        let distinct = schema(json!(["a", "b"]));
        let pair = Pair {
            fast: Box::leak(Box::new(FastSchema::compile(&distinct).expect("compiles"))),
            jsonschema: Box::leak(Box::new(jsonschema::validator_for(&distinct).unwrap())),
        };
        let repeated = FastSchema::compile(&schema(json!(["a", "b", "a"]))).expect("compiles");
        let docs = [
            json!({}),
            json!({"a": 1}),
            json!({"b": "x"}),
            json!({"a": 1, "b": "x"}),
            json!({"b": "x", "a": 1}),
            json!({"a": 1, "b": 2}),
            json!({"a": "s", "b": "x"}),
            json!({"z": null, "a": 1, "c": "y", "b": "x"}),
            json!({"a": 1, "b": "x", "c": 3}),
            json!({"c": "x", "d": "y"}),
            json!({"a": 1, "z": null}),
        ];
        let mut valid = 0;
        for doc in &docs {
            let v = agree(&pair, doc, &format!("additional {additional}"));
            assert_ne!(v, Unsure, "{doc}");
            assert_eq!(repeated.verdict(doc), v, "{doc}");
            valid += usize::from(v == Valid);
        }
        assert!(valid >= 2 && valid < docs.len(), "{valid}");
    }
}
