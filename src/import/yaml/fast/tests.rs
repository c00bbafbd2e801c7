//! The fast reader against serde-saphyr (the oracle, with import's own options): on every
//! manifest the repository's flows compile to, every YAML file it holds, random documents
//! through the writer, and seeded mutations of all of them. Declining is always allowed
//! (and counted); a value serde-saphyr does not read, or reads differently, is a failure.

use super::*;
use crate::emit::yaml::writer::tests::{has_long_key, random_string, random_value};
use crate::testing::Rng;
use serde_json::json;

/// Import's loading budget (the default limits).
fn budget() -> &'static serde_saphyr::Budget {
    static BUDGET: std::sync::OnceLock<serde_saphyr::Budget> = std::sync::OnceLock::new();
    BUDGET.get_or_init(|| {
        super::super::yaml_options(crate::limits::Limits::default())
            .budget
            .expect("import sets a budget")
    })
}

/// What serde-saphyr reads, with the options import loads with.
fn oracle(text: &str) -> Option<Value> {
    serde_saphyr::from_str_with_options(
        text,
        super::super::yaml_options(crate::limits::Limits::default()),
    )
    .ok()
}

/// What serde-saphyr reads under another budget.
fn oracle_within(text: &str, budget: &serde_saphyr::Budget) -> Option<Value> {
    let mut options = super::super::yaml_options(crate::limits::Limits::default());
    options.budget = Some(budget.clone());
    serde_saphyr::from_str_with_options(text, options).ok()
}

/// Fails if the fast reader contradicts serde-saphyr on `text`; whether it read it.
fn agree(text: &str, what: &str) -> bool {
    let Some(fast) = read(text, budget()) else {
        return false;
    };
    match oracle(text) {
        Some(truth) => assert!(
            same(&fast, &truth),
            "{what}: the fast reader read {fast:?}, serde-saphyr {truth:?}\n{text}"
        ),
        None => panic!("{what}: the fast reader read a text serde-saphyr refuses:\n{text}"),
    }
    true
}

/// Equal, with maps compared in order (`Value`'s `==` ignores key order) and numbers by
/// representation (an integer is not a float).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Number(x), Value::Number(y)) => {
            x.is_f64() == y.is_f64() && x.is_u64() == y.is_u64() && x == y
        }
        _ => a == b,
    }
}

fn write(v: &Value) -> String {
    crate::emit::yaml::writer::to_string(v).expect("the writer covers it")
}

/// The manifests of every flow in the repository that compiles, and every YAML file.
fn manifests() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "fixtures",
        "examples",
        "tests/docs_examples",
        "fixtures/import",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let name = f.display().to_string();
            match f.extension().and_then(|e| e.to_str()) {
                Some("json") => {
                    let source = crate::load::SourceFile::new(name.as_str(), text);
                    if let Ok(a) = crate::compile_flow(&source, crate::OutputFormat::Yaml) {
                        let yaml = String::from_utf8(a.bytes).expect("UTF-8");
                        out.push((format!("{name} compiled"), yaml));
                    }
                }
                Some("yaml") => out.push((name, text)),
                _ => {}
            }
        }
    }
    assert!(out.len() > 50, "{} manifests", out.len());
    out
}

#[test]
fn every_compiled_manifest_is_read_as_serde_saphyr_reads_it() {
    let mut read_fast = 0;
    let mut compiled = 0;
    for (name, text) in manifests() {
        let ok = agree(&text, &name);
        if name.ends_with(" compiled") {
            compiled += 1;
            // What compile writes is what the fast reader is for.
            assert!(ok, "{name}: declined a manifest compile wrote\n{text}");
        }
        read_fast += usize::from(ok);
    }
    assert!(compiled > 30, "{compiled} compiled manifests");
    assert!(read_fast >= compiled);
}

#[test]
fn random_documents_are_read_back_exactly() {
    let mut rng = Rng(0xFA57_0001);
    let mut read_fast = 0;
    let total = 3_000;
    for i in 0..total {
        let v = random_value(&mut rng, 0, i % 3 == 0);
        if has_long_key(&v) {
            continue;
        }
        let text = write(&v);
        if agree(&text, &format!("random document {i}")) {
            read_fast += 1;
            assert!(same(&read(&text, budget()).unwrap(), &v), "document {i}");
        }
    }
    // Number-like strings (`0x1F`, `.inf`) and top-level scalars are declined; most
    // documents have one somewhere, the rest are read.
    assert!(read_fast > total / 10, "{read_fast} of {total} read");
}

/// Every string of the writer's pool and of the random generator, as a value and as a key,
/// in a mapping and in a sequence: read exactly, or declined.
#[test]
fn strings_are_read_back_exactly_or_declined() {
    let mut rng = Rng(0xFA57_0002);
    let mut strings: Vec<String> = crate::emit::yaml::writer::tests::POOL
        .iter()
        .map(|s| s.to_string())
        .collect();
    strings.extend((0..2_000).map(|_| random_string(&mut rng)));
    let mut read_fast = 0;
    for s in &strings {
        for doc in [
            json!({ "k": s }),
            json!({ s.clone(): 1 }),
            json!({ "k": [s, { "a": s }] }),
            json!([[s], { "k": { "j": s } }]),
        ] {
            if has_long_key(&doc) {
                continue;
            }
            let text = write(&doc);
            if agree(&text, &format!("{s:?}")) {
                read_fast += 1;
                assert!(same(&read(&text, budget()).unwrap(), &doc), "{s:?}");
            }
        }
    }
    assert!(read_fast > strings.len(), "{read_fast} read");
}

/// Edits a text the way hands and tools do: characters YAML gives meaning to, inserted,
/// replaced or deleted; lines deleted, duplicated or re-indented.
fn mutate(text: &str, rng: &mut Rng) -> String {
    const CHARS: &[&str] = &[
        " ", "  ", ":", ": ", "-", "- ", "#", " #", "\n", "\"", "'", "|", ">", "|-", ">+", "&a",
        "*a", "!", "!!str ", "{", "}", "[", "]", ",", "?", "~", "\t", "\r", "\\", "\\n", "0", "1",
        ".", "e", "x", "y", "null", "true", "<<", "%", "@", "`", "\u{85}", "\u{2028}", "\u{feff}",
        "é", "…", "---", "...",
    ];
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    for _ in 0..1 + rng.below(3) {
        if lines.is_empty() {
            break;
        }
        let l = rng.below(lines.len());
        match rng.below(7) {
            0 => {
                lines.remove(l);
            }
            1 => {
                let copy = lines[l].clone();
                lines.insert(l, copy);
            }
            2 => lines[l] = format!("{}{}", " ".repeat(1 + rng.below(3)), lines[l]),
            3 => {
                let line = &lines[l];
                let cut = line.len() - line.trim_start_matches(' ').len();
                lines[l] = line[cut.min(1 + rng.below(3))..].to_string();
            }
            _ => {
                let line = &mut lines[l];
                let bounds: Vec<usize> = (0..=line.len())
                    .filter(|&i| line.is_char_boundary(i))
                    .collect();
                let at = *rng.pick(&bounds);
                let piece = *rng.pick(CHARS);
                match rng.below(3) {
                    0 => line.insert_str(at, piece),
                    1 => {
                        let end = bounds.iter().copied().find(|&b| b > at).unwrap_or(at);
                        line.replace_range(at..end, piece);
                    }
                    _ => {
                        let end = bounds.iter().copied().find(|&b| b > at).unwrap_or(at);
                        line.replace_range(at..end, "");
                    }
                }
            }
        }
    }
    lines.concat()
}

#[test]
fn mutated_manifests_are_read_as_serde_saphyr_reads_them_or_declined() {
    let mut rng = Rng(0xFA57_0003);
    let mut bases: Vec<String> = manifests().into_iter().map(|(_, t)| t).collect();
    for i in 0..300 {
        let v = random_value(&mut rng, 0, i % 2 == 0);
        if !has_long_key(&v) {
            bases.push(write(&v));
        }
    }
    let (mut read_fast, mut declined) = (0, 0);
    for (n, base) in bases.iter().enumerate() {
        for k in 0..40 {
            let text = mutate(base, &mut rng);
            if agree(&text, &format!("mutation {k} of base {n}")) {
                read_fast += 1;
            } else {
                declined += 1;
            }
        }
    }
    eprintln!("mutations: {read_fast} read, {declined} declined");
    // A mutation the writer would not write is declined; one that keeps the text canonical
    // (a line duplicated inside a block scalar, a character swapped inside a string) is read.
    assert!(
        read_fast > 100 && declined > 1_000,
        "{read_fast} / {declined}"
    );
}

#[test]
fn plain_scalars_are_typed_as_serde_saphyr_types_them() {
    let typed = [
        ("null", Some(Value::Null)),
        ("true", Some(json!(true))),
        ("false", Some(json!(false))),
        ("0", Some(json!(0))),
        ("42", Some(json!(42))),
        ("-7", Some(json!(-7))),
        ("18446744073709551615", Some(json!(u64::MAX))),
        ("-9223372036854775808", Some(json!(i64::MIN))),
        ("0.5", Some(json!(0.5))),
        ("-0.0", Some(json!(-0.0))),
        ("1.0e+20", Some(json!(1e20))),
        ("1.5e-7", Some(json!(1.5e-7))),
        ("abc", Some(json!("abc"))),
        ("1h", Some(json!("1h"))),
        ("2d", Some(json!("2d"))),
        ("7e", None),
        ("0b1", None),
        ("0o7", None),
        ("12:30", Some(json!("12:30"))),
        ("1.0.0", Some(json!("1.0.0"))),
        ("+inf", Some(json!("+inf"))),
        ("inf", Some(json!("inf"))),
        ("nan", Some(json!("nan"))),
        ("enum[a, b]", Some(json!("enum[a, b]"))),
        // Declined: not settled here.
        ("18446744073709551616", None),
        ("-9223372036854775809", None),
        ("-0", None),
        ("007", None),
        ("1.", None),
        (".5", None),
        ("1e5", None),
        ("1.0e5", None),
        ("1.0E+5", Some(json!(1e5))),
        ("1.0e+", None),
        ("1.0e+5x", Some(json!("1.0e+5x"))),
        ("0x1F", None),
        ("1_000", None),
        ("2024-01-01", None),
        (".inf", None),
        ("-.INF", None),
        (".NaN", None),
        ("1.0e+999", None),
        ("~", None),
        ("Null", None),
        ("NULL", None),
        ("True", None),
        ("yes", None),
        ("No", None),
        ("Y", None),
        ("n", None),
        ("on", None),
        ("OFF", None),
    ];
    for (s, want) in typed {
        let got = plain_value(s);
        assert_eq!(got.is_some(), want.is_some(), "{s}: {got:?}");
        if let (Some(g), Some(w)) = (&got, &want) {
            assert!(same(g, w), "{s}: {g:?} against {w:?}");
            // serde-saphyr agrees, as a value under a key.
            let truth = oracle(&format!("k: {s}\n")).expect("loads");
            assert!(
                same(&truth["k"], w),
                "{s}: serde-saphyr reads {:?}",
                truth["k"]
            );
        }
    }
}

#[test]
fn keys_that_could_be_read_as_another_type_or_a_merge_are_declined() {
    for k in [
        "<<", "null", "~", "true", "yes", "N", "42", "0.5", "0x1F", ".inf",
    ] {
        assert_eq!(read(&format!("{k}: 1\n"), budget()), None, "{k}");
    }
    for k in ["a", "node_1", "1h", "2d", "a b"] {
        let text = format!("{k}: 1\n");
        assert_eq!(read(&text, budget()), Some(json!({ k: 1 })), "{k}");
    }
}

/// Texts serde-saphyr reads (some the writer could write for another value, some it never
/// writes) that the reader must decline.
#[test]
fn what_it_does_not_cover_is_declined() {
    for text in [
        "",
        "a: 1",
        "# c\na: 1\n",
        "a: 1 # c\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a:\n  b: 1\n   c: 2\n",
        "a:\n    b: 1\n",
        "a:\n  - 1\n",
        "a:\n- 1\n - 2\n",
        "a: b\n  c\n",
        "a: \"b\n  c\"\n",
        "a: 'b\n  c'\n",
        "a: |2\n    x\n",
        "a: |\n\n  x\n",
        "a: |\n  x\n   \n",
        "a: >\n  x\n    y\n",
        "a: |\n",
        "a:\n",
        "a: \n",
        "a:  1\n",
        "a: 1 \n",
        "a:\t1\n",
        "a: \"x\ty\"\n",
        "a: \"\\q\"\n",
        "a: \"\\ud800\"\n",
        "a: x\r\n",
        "\u{feff}a: 1\n",
        "a: x\u{85}y\n",
        "a: x\u{2028}y\n",
        "a: 1\na: 2\n",
        // (Duplicates inside a mapping inside another, whose entries are read around it.)
        "x: 0\ny:\n  a: 1\n  b: 2\n  a: 3\nz: 4\n",
        "- a: 1\n  a: 2\n- b: 3\n",
        "? a\n: 1\n",
        "a:\n-\n  b\n",
        "- \n",
        "-\n",
        "x\n",
        "{}\n",
        "[]\n",
    ] {
        assert_eq!(read(text, budget()), None, "{text:?}");
    }
}

#[test]
fn block_scalars_are_read_with_their_chomping() {
    for (text, want) in [
        ("a: |-\n  x\n  y\n", "x\ny"),
        ("a: |\n  x\n\n  y\n", "x\n\ny\n"),
        ("a: |+\n  x\n\n\nb: 1\n", "x\n\n\n"),
        ("a: >-\n  x\n  y\n", "x y"),
        ("a: >\n  x\n\n  y\n", "x\ny\n"),
        ("a: |-\n    x\n", "x"),
        ("a: |-\n  x\n   y\n", "x\n y"),
        ("a: |-\n  x\ty\n", "x\ty"),
    ] {
        let got = oracle(text).expect("loads");
        assert_eq!(got["a"], json!(want), "serde-saphyr: {text:?}");
        match read(text, budget()) {
            // Read only when the writer writes this text for that value.
            Some(v) => assert_eq!(v["a"], json!(want), "{text:?}"),
            None => assert_ne!(write(&got), text, "{text:?} is canonical but declined"),
        }
    }
}

#[test]
fn escapes_are_read_as_yaml_defines_them() {
    let text =
        "a: \"q\\\"b\\\\s\\/\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\N\\_\\L\\P\\x41\\u00e9\\U0001F600\"\n";
    let mut r = Reader {
        pos: 3,
        ..Reader::new(text, budget())
    };
    let Some((Token::Quoted(s), _)) = r.token(false) else {
        panic!("a quoted token");
    };
    assert_eq!(
        s,
        "q\"b\\s/\0\u{7}\u{8}\t\n\u{b}\u{c}\r\u{1b} \u{85}\u{a0}\u{2028}\u{2029}Aé😀"
    );
    assert_eq!(json!(s), oracle(text).expect("loads")["a"]);
    let single = "a: 'it''s'\n";
    assert_eq!(oracle(single).expect("loads")["a"], json!("it's"));
    r = Reader {
        pos: 3,
        ..Reader::new(single, budget())
    };
    assert!(matches!(r.token(false), Some((Token::Quoted(s), false)) if s == "it's"));
}

/// Each budget at its boundary: read where serde-saphyr loads, declined where it stops
/// (the event and scalar-byte cases are the adversarial review's: four million empty
/// lists are within the node budget but not the event budget, and `\L` is two bytes of
/// text and three of value).
#[test]
fn budgets_decline_where_serde_saphyr_stops() {
    let within = |text: &str, edit: &dyn Fn(&mut serde_saphyr::Budget)| {
        let mut b = budget().clone();
        edit(&mut b);
        let fast = read(text, &b);
        let truth = oracle_within(text, &b);
        if fast.is_some() {
            assert_eq!(fast, truth, "{text:?}");
        }
        (fast.is_some(), truth.is_some())
    };
    // a, [ ], 1, 2, 3, b, { }, c, d and the top mapping: ten nodes.
    let text = write(&json!({ "a": [1, 2, 3], "b": { "c": "d" } }));
    let nodes = |n: usize| move |b: &mut serde_saphyr::Budget| b.max_nodes = n;
    assert_eq!(within(&text, &nodes(10)), (true, true));
    assert_eq!(within(&text, &nodes(9)), (false, false));
    // Five empty lists in a list: six nodes, 4 + 2 + 5 × 2 = 16 events.
    let lists = "- []\n".repeat(5);
    let events = |n: usize| move |b: &mut serde_saphyr::Budget| b.max_events = n;
    assert_eq!(within(&lists, &events(16)), (true, true));
    assert_eq!(within(&lists, &events(15)), (false, false));
    // `k` and two `\L` (six bytes of value): seven bytes.
    let escapes = "k: \"\\L\\L\"\n";
    let bytes = |n: usize| move |b: &mut serde_saphyr::Budget| b.max_total_scalar_bytes = n;
    assert_eq!(within(escapes, &bytes(7)), (true, true));
    assert_eq!(within(escapes, &bytes(6)), (false, false));
    // Depth: the reader's own bound, or the budget's when lower.
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH {
        deep = json!({ "k": deep });
    }
    assert!(
        read(&write(&deep), budget()).is_some(),
        "{MAX_DEPTH} levels"
    );
    let deeper = json!({ "k": deep });
    assert!(read(&write(&deeper), budget()).is_none(), "one more");
    let depth = |n: usize| move |b: &mut serde_saphyr::Budget| b.max_depth = n;
    let three = write(&json!({ "a": { "b": { "c": 1 } } }));
    assert!(within(&three, &depth(3)).0);
    assert_eq!(within(&three, &depth(2)), (false, false));
}

#[test]
fn screening_refuses_line_breaks_and_forbidden_characters() {
    assert!(screened(b"a: x\n"));
    assert!(screened("a: \u{a0}é…😀\t\n".as_bytes()));
    for bad in [
        "a: x",
        "a: \r\n",
        "a: \u{0}\n",
        "a: \u{7f}\n",
        "a: \u{80}\n",
        "a: \u{9f}\n",
        "a: \u{85}\n",
        "a: \u{2028}\n",
        "a: \u{2029}\n",
        "\u{feff}a\n",
        "a: \u{fffe}\n",
        "a: \u{ffff}\n",
        "a: \u{1b}\n",
    ] {
        assert!(!screened(bad.as_bytes()), "{bad:?}");
    }
}

mod review;

#[test]
fn the_write_back_check_compares_every_chunk_and_the_length() {
    // A manifest of several of the comparing sink's chunks.
    let steps: Vec<Value> = (0..4_000)
        .map(|i| json!({"id": format!("s{i}"), "type": "llm", "config": {"n": i}}))
        .collect();
    let value = json!({"core": {"flows": [{"name": "f", "steps": steps}]}});
    let text = write(&value);
    assert!(
        text.len() > 3 * crate::emit::SameAs::CHUNK,
        "{} bytes",
        text.len()
    );
    assert!(written_back(&value, &text));
    // A byte changed in the last chunk, the text cut short, the text with more after it.
    let late = text.len() - 10;
    let mut changed = text.clone().into_bytes();
    changed[late] = if changed[late] == b'x' { b'y' } else { b'x' };
    let changed = String::from_utf8(changed).expect("ASCII");
    assert!(!written_back(&value, &changed));
    assert!(!written_back(&value, &text[..text.len() - 1]));
    assert!(!written_back(&value, &format!("{text}x: 1\n")));
    // A value that differs in its first chunk only.
    let mut other = value.clone();
    other["core"]["flows"][0]["name"] = json!("g");
    assert!(!written_back(&other, &text));
}

/// Depth is nesting, not the number of collections: each gives its level back when it
/// ends, so siblings past the bound are read, and sequences nest to the bound as mappings do.
#[test]
fn depth_counts_nesting_not_siblings() {
    let siblings: Map<String, Value> = (0..=MAX_DEPTH)
        .map(|i| (format!("k{i}"), json!([i, {"m": [i]}])))
        .collect();
    let text = write(&Value::Object(siblings));
    let fast = read(&text, budget());
    assert!(fast.is_some(), "{} sibling lists", MAX_DEPTH + 1);
    assert_eq!(fast, oracle(&text));
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH {
        deep = json!([deep]);
    }
    assert!(read(&write(&deep), budget()).is_some(), "{MAX_DEPTH} lists");
    assert!(read(&write(&json!([deep])), budget()).is_none(), "one more");
}
