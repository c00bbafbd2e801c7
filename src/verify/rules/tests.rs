//! The verifier walk's own tests (the table of every code is in `tests/ir.rs`).

use super::*;

/// Each problem the verifier finds in `ir`: its code and its path.
fn codes_and_paths(ir: &Value) -> Vec<(String, String)> {
    crate::verify::verify(ir)
        .into_iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.path.map(|p| p.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

/// The triage fixture, padded with `n` valid rigid blocks.
fn padded(n: usize) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/ir/valid-ticket-triage.json"
    ))
    .unwrap();
    let mut ir: Value = serde_json::from_str(&text).unwrap();
    let body = ir["flows"][0]["body"].as_array_mut().unwrap();
    for i in 0..n {
        body.push(serde_json::json!({"kind": "rigid", "statements": [
            {"kind": "assign", "variable": format!("v{i}"), "value": "1"},
        ]}));
    }
    ir
}

/// A big IR with a schema problem and a rule problem reports them as a small one does:
/// the schema's first, then the rules', each once. (Big enough, the schema check runs
/// beside the rules' walk, whose outcome is then dropped and walked again in order.)
#[test]
fn a_big_invalid_ir_reports_the_schema_then_the_rules() {
    for pad in [0, 10_000] {
        let mut ir = padded(pad);
        assert_eq!(checks_side_by_side(&ir), pad > 0);
        let padding: Vec<_> = crate::verify::verify(&ir)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert!(padding.is_empty(), "{padding:?}");
        let body = ir["flows"][0]["body"].as_array_mut().unwrap();
        let n = body.len();
        body.push(serde_json::json!({"kind": "while", "body": []}));
        body.push(serde_json::json!({"kind": "rigid", "statements": []}));
        assert_eq!(
            codes_and_paths(&ir),
            [
                ("E413".to_string(), format!("flows[0].body[{n}]")),
                (
                    "E413".to_string(),
                    format!("flows[0].body[{}].statements", n + 1)
                ),
                ("E417".to_string(), format!("flows[0].body[{n}]")),
            ],
            "padded with {pad}"
        );
    }
}

/// No bundled example's IR is checked on two threads: a thread costs more than the
/// check of an IR that small.
#[test]
fn only_big_irs_are_checked_on_two_threads() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".flow.json") {
            continue;
        }
        let source = crate::load::SourceFile::new("f", std::fs::read_to_string(&path).unwrap());
        let Some(a) = crate::validate_source(&source).analyzed else {
            continue;
        };
        let bodies = crate::lower::structure(&a).unwrap();
        let ir = crate::emit::ir::module(&a, &crate::lower::core::lower(&a, &bodies));
        assert!(!checks_side_by_side(&ir), "{}", path.display());
        // (The fast check covers what the compiler writes: `jsonschema` is left for
        // bundles with problems.)
        assert!(fast_valid(&ir), "{}", path.display());
    }
    assert!(checks_side_by_side(&padded(PARALLEL_VERIFY_MIN / 4)));
}

/// E421 names where a name was first bound: a flow parameter, or the first block that
/// bound it, however deep, for every later binding (and only for names bound twice).
#[test]
fn duplicate_bindings_name_the_first_place() {
    let mut ir = padded(0);
    let rigid = |name: &str| serde_json::json!({"kind": "rigid", "statements": [{"kind": "expression", "expression": "1"}], "result_binding": name});
    let body = ir["flows"][0]["body"].as_array_mut().unwrap();
    let n = body.len();
    body.push(serde_json::json!({"kind": "parallel", "branches": [
        {"body": [rigid("fresh")]},
        {"body": [rigid("input"), rigid("deep")]},
    ]}));
    body.push(rigid("deep"));
    body.push(rigid("deep"));
    body.push(rigid("classify"));
    let found: Vec<String> = crate::verify::verify(&ir)
        .into_iter()
        .map(|d| {
            assert_eq!(d.code, Code::DuplicateBinding, "{}", d.message);
            d.message
        })
        .collect();
    let first_deep = format!("flows[0].body[{n}].branches[1].body[1].result_binding");
    assert_eq!(
        found,
        [
            format!(
                "flows[0].body[{n}].branches[1].body[0].result_binding: result_binding 'input' is already bound at flows[0].params (a flow parameter)"
            ),
            format!(
                "flows[0].body[{}].result_binding: result_binding 'deep' is already bound at {first_deep}",
                n + 1
            ),
            format!(
                "flows[0].body[{}].result_binding: result_binding 'deep' is already bound at {first_deep}",
                n + 2
            ),
            format!(
                "flows[0].body[{}].result_binding: result_binding 'classify' is already bound at flows[0].body[0].result_binding",
                n + 3
            ),
        ]
    );
}

/// E420 for a loop's `item` and a try's `error_binding` that are no identifiers, at
/// their own paths, and none for good ones.
#[test]
fn loop_items_and_error_bindings_are_identifiers() {
    let mut ir = padded(0);
    let body = ir["flows"][0]["body"].as_array_mut().unwrap();
    let n = body.len();
    body.push(
        serde_json::json!({"kind": "foreach", "items": "{{ xs }}", "item": "1st", "body": []}),
    );
    body.push(serde_json::json!({"kind": "try", "body": [], "error_binding": "no good"}));
    body.push(serde_json::json!({"kind": "foreach", "items": "{{ xs }}", "item": "x", "body": []}));
    body.push(serde_json::json!({"kind": "try", "body": [], "error_binding": "err"}));
    assert_eq!(
        codes_and_paths(&ir),
        [
            ("E420".to_string(), format!("flows[0].body[{n}].item")),
            (
                "E420".to_string(),
                format!("flows[0].body[{}].error_binding", n + 1)
            ),
        ]
    );
}

#[test]
fn non_deterministic_calls_are_found_in_code_only() {
    for (text, whole, f) in [
        ("{{ now() }}", false, Some("now")),
        ("at {{datetime.now ()}}", false, Some("now")),
        ("{{uuid4()}}", false, Some("uuid4")),
        ("{{ random.choice(xs) }}", false, Some("random.choice")),
        ("{{ datetime.utcnow() }}", false, Some("utcnow")),
        ("{{ time.time() }}", false, Some("time")),
        ("random(1)", true, Some("random")),
        ("known() snow(1) nowhere random_seed today", true, None),
        (
            "Please reply now (within 24 hours) to {{input.name}}.",
            false,
            None,
        ),
        ("Order today (limited offer)", false, None),
        ("now", true, None),
        ("{{ unclosed now()", false, Some("now")),
    ] {
        assert_eq!(non_deterministic_call(text, whole).as_deref(), f, "{text}");
    }
}
