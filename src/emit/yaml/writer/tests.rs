//! The writer against serde-saphyr itself (the oracle): byte-identical output, or a
//! decline, over hand-picked and random `serde_json::Value` documents.

use super::scalar::*;
use super::*;
use crate::testing::Rng;
use serde_json::{Map as JsonMap, Number, Value, json};

/// Strings a YAML emitter can get wrong: YAML 1.1 / 1.2 specials, indicators, escapes,
/// block-scalar and folding edge cases.
pub(crate) const POOL: &[&str] = &[
    "",
    " ",
    "  ",
    "a",
    "abc",
    "node_1",
    "Hello world",
    " lead",
    "trail ",
    " both ",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "Yes",
    "NO",
    "On",
    "OFF",
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "NULL",
    "~",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "+inf",
    ".inf",
    "-.inf",
    "+.INF",
    ".nan",
    "-.nan",
    ".NaN",
    "0",
    "-0",
    "+1",
    "007",
    "0.2",
    ".5",
    "5.",
    "1.2.3",
    "1e3",
    "1E+3",
    "1e",
    "e3",
    "0x1F",
    "0X1f",
    "0xG",
    "0o7",
    "0o8",
    "0b101",
    "0b",
    "0b+1",
    "-0b1",
    "1_000",
    "_1",
    "1_",
    "1__0",
    "0x_1",
    "+_",
    "12:30",
    "12:30:45",
    "1:2:3.5",
    "0:30",
    "190:20:30",
    "12:60",
    "2024-01-01",
    "2024-1-1",
    "2024-01-01T10:00:00Z",
    "2024-01-01 10:00:00",
    "2024-01-01t1:2:3.5 +01:00",
    "2024-01-01T10:00:00.123-05",
    "2024-01-01x",
    "20240101",
    "<<",
    "=",
    "==",
    "---",
    "...",
    "--- x",
    "...x",
    "---x",
    "-",
    "--",
    "-a",
    "- a",
    "-\ta",
    "?",
    "?a",
    "? a",
    ":",
    ":a",
    "a:",
    "a: b",
    "a:b",
    "a :",
    "a:\u{2003}",
    "http://example.com/x?y=1#frag",
    "#",
    "#c",
    "a#b",
    "a #b",
    "a\u{3000}#b",
    "&x",
    "*x",
    "!x",
    "|",
    "|-",
    ">",
    "'",
    "'q'",
    "\"",
    "\"q\"",
    "%x",
    "@x",
    "`x",
    "{",
    "{a}",
    "[",
    "[a]",
    "]",
    "}",
    ",",
    "a,b",
    "a[b]",
    "a{b}",
    ".",
    "..",
    "a\tb",
    "\tx",
    "x\t",
    "a\rb",
    "\r",
    "a\r\nb",
    "\0",
    "\u{7}",
    "\u{1b}[0m",
    "\u{7f}",
    "\u{80}",
    "\u{9f}",
    "\u{a0}",
    "x\u{a0}",
    "\u{85}",
    "a\u{85}b",
    "\u{2028}",
    "a\u{2029}b",
    "\u{FEFF}",
    "\u{FEFF}bom",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{E000}",
    "é",
    "naïve café",
    "日本語",
    "\u{1F600}",
    "emoji \u{1F600} here",
    "back\\slash",
    "quote\"d",
    "it's",
    "{{request.text}}",
    "{{ a }}",
    "${VAR}",
    "/kb/1/",
    "enum[question, complaint, request]",
    "Answer in JSON.",
    "\n",
    "\n\n",
    "\n\n\n",
    "a\n",
    "a\n\n",
    "a\n\n\n",
    "a\nb",
    "a\nb\n",
    "\na",
    "\n\na\n",
    " a\nb",
    "  a\n  b\n",
    "\n  a",
    "a\n  b",
    "   \n  ",
    "a\n   \nb",
    "a\n\tb",
    "\ta\nb",
    "a \nb ",
    "line1\n\nline3",
    "a\nb\r",
    "a\n\u{85}",
    "a\n\u{FEFF}",
    "a\n\u{7}",
    "- a\n- b",
    "key: value\nother: x",
    "# comment\ntext",
    "|\n>",
    "---\n...",
    "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing",
    "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing   ",
    "a very long line of text that goes on and on well past the folding width of eighty: characters, with a colon",
    "a very long line of text that goes on and on well past the folding width of eighty characters #hash-ok",
    "a very long line of text that goes on and on well past the folding width of eighty characters # comment",
    "  a very long line of text that starts with spaces and goes on well past the folding width of 80",
    "word  word  word  word  word  word  word  word  word  word  word  word  word  word  word  word",
    "word\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword",
    "tabs before the wrap point: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \tbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbb",
    "ééééééééééééééééééééééééééééééééééééééééééééééééé ééééééééééééééééééééééééééééééé ééééé",
    "日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語",
    "- a very long line of text that goes on and on well past the folding width of eighty characters",
    "yes a very long line of text that goes on and on well past the folding width of eighty characters",
    "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789",
    "a long line with a \u{2028} separator that goes on and on well past the folding width of eighty characters",
    "a long line with a \"quote\" and a \\ backslash that goes on and on past the folding width of eighty chars",
    "first line of a long multi-line text that goes on and on well past the folding width of eighty characters\nsecond line",
];

/// Pieces random strings are made of.
const PIECES: &[&str] = &[
    "a",
    "b",
    "word",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\r",
    ":",
    ": ",
    "#",
    " #",
    "-",
    "- ",
    "?",
    ",",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "\\",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    "0",
    "1",
    "9",
    ".",
    "_",
    "e",
    "x",
    "o",
    "+",
    "~",
    "é",
    "日",
    "\u{1F600}",
    "\u{85}",
    "\u{2028}",
    "\u{FEFF}",
    "\u{7}",
    "\u{a0}",
    "\u{3000}",
    "yes",
    "null",
    "true",
    "1.5",
    "12:30",
    "2024-01-01",
    "---",
    "...",
    "<<",
    "=",
];

pub(crate) fn random_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=3 => rng.pick(POOL).to_string(),
        4..=5 => (0..1 + rng.below(6)).map(|_| *rng.pick(PIECES)).collect(),
        6 => {
            // A long single line: words, runs of spaces, now and then a tab or a long word.
            let mut s = String::new();
            if rng.below(4) == 0 {
                s.push_str(&" ".repeat(1 + rng.below(3)));
            }
            let target = 60 + rng.below(140);
            while s.chars().count() < target {
                match rng.below(12) {
                    0 => s.push_str(&"x".repeat(20 + rng.below(100))),
                    1 => s.push('\t'),
                    2 => s.push_str("  "),
                    3 => s.push_str(rng.pick::<&str>(PIECES)),
                    4 => s.push_str("ééé"),
                    _ => s.push_str("word"),
                }
                s.push(' ');
            }
            for _ in 0..rng.below(3) {
                s.pop();
            }
            if rng.below(4) == 0 {
                s.push_str(&" ".repeat(1 + rng.below(3)));
            }
            s
        }
        7..=8 => {
            // Several lines: empty, space-only, indented, long; trailing newlines.
            let mut s = String::new();
            for i in 0..1 + rng.below(5) {
                if i > 0 {
                    s.push('\n');
                }
                match rng.below(8) {
                    0 => {}
                    1 => s.push_str(&" ".repeat(1 + rng.below(4))),
                    2 => {
                        s.push_str(&" ".repeat(1 + rng.below(4)));
                        s.push_str("indented");
                    }
                    3 => s.push_str(rng.pick::<&str>(POOL)),
                    4 => s.push_str(
                        "a long line inside a multi-line text, which is not folded but kept as it is written",
                    ),
                    5 => s.push_str(rng.pick::<&str>(PIECES)),
                    _ => s.push_str("text line"),
                }
            }
            s.push_str(&"\n".repeat(rng.below(4)));
            s
        }
        _ => {
            let mut s = rng.pick(POOL).to_string();
            s.push_str(rng.pick::<&str>(PIECES));
            s.push_str(rng.pick::<&str>(POOL));
            s
        }
    }
}

fn random_key(rng: &mut Rng) -> String {
    match rng.below(1000) {
        // About the 1024-character limit of an implicit key: over it, the writer declines.
        0 => "k".repeat(1020 + rng.below(10)),
        1 => "é".repeat(1020 + rng.below(10)),
        2..=499 => rng.pick(POOL).to_string(),
        500..=749 => [
            "id",
            "type",
            "name",
            "steps",
            "x",
            "y",
            "node_config",
            "meta",
        ][rng.below(8)]
        .to_string(),
        _ => random_string(rng),
    }
}

fn random_number(rng: &mut Rng) -> Value {
    const FLOATS: &[f64] = &[
        0.0,
        -0.0,
        0.1,
        1.0,
        -1.0,
        1.5,
        2.5e-10,
        1e300,
        -1e300,
        1e15,
        1e16,
        1e17,
        123456789.125,
        1e-7,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        std::f64::consts::PI,
        100.0,
        0.30000000000000004,
    ];
    match rng.below(8) {
        0 => Value::from(u64::MAX),
        1 => Value::from(i64::MIN),
        2 => Value::from(rng.next() >> rng.below(64)),
        3 => Value::from(-((rng.next() >> (1 + rng.below(63))) as i64)),
        4 => Value::from(rng.below(1000) as u64),
        5 => Value::from(FLOATS[rng.below(FLOATS.len())]),
        6 => Number::from_f64(f64::from_bits(rng.next())).map_or(Value::from(0.5), Value::Number),
        _ => Value::from((rng.below(100_000) as f64) / 8.0 - 1000.0),
    }
}

/// A random tree, nesting at most 6 deep; `bushy` trees branch more.
pub(crate) fn random_value(rng: &mut Rng, depth: usize, bushy: bool) -> Value {
    let leaf = depth >= 6 || rng.below(10) < if bushy { 2 + depth / 2 } else { 4 + depth };
    if leaf {
        return match rng.below(10) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 | 3 => random_number(rng),
            4 if depth < 6 => {
                if rng.below(2) == 0 {
                    json!([])
                } else {
                    json!({})
                }
            }
            _ => Value::String(random_string(rng)),
        };
    }
    if rng.below(2) == 0 {
        Value::Array(
            (0..rng.below(5))
                .map(|_| random_value(rng, depth + 1, bushy))
                .collect(),
        )
    } else {
        let mut m = JsonMap::new();
        for _ in 0..rng.below(5) {
            m.insert(random_key(rng), random_value(rng, depth + 1, bushy));
        }
        Value::Object(m)
    }
}

/// Whether some key's written form is over serde-saphyr's 1024-character limit for an
/// implicit key (the one layout the writer declines).
pub(crate) fn has_long_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.chars().count() > 1000 || has_long_key(v)),
        Value::Array(a) => a.iter().any(has_long_key),
        _ => false,
    }
}

fn check(v: &Value) -> bool {
    let expected = serde_saphyr::to_string(v).expect("serde-saphyr writes every Value");
    match to_string(v) {
        Ok(ours) => {
            assert_eq!(ours, expected, "document: {v:?}");
            true
        }
        Err(e) => {
            assert!(has_long_key(v), "declined ({e}) without a long key: {v:?}");
            false
        }
    }
}

#[test]
fn every_pool_string_in_every_position() {
    let mut declined = 0;
    for s in POOL.iter().chain(PIECES) {
        let s = Value::String(s.to_string());
        let docs = [
            s.clone(),
            json!([s]),
            json!([s, s]),
            json!([[s], [[s, 1]]]),
            json!({ "k": s }),
            json!({ "k": [s, { "k": s, "l": [s] }], "m": { "n": s } }),
            json!([{ "k": s, "l": s }, [{ "k": [s] }]]),
            json!({ "k": [[s, [s]], []], "l": {} }),
        ];
        for d in &docs {
            declined += usize::from(!check(d));
        }
        if let Value::String(k) = &s {
            let mut m = JsonMap::new();
            m.insert(k.clone(), s.clone());
            declined += usize::from(!check(&Value::Object(m.clone())));
            declined += usize::from(!check(&json!([m, { "x": [m] }])));
        }
    }
    assert_eq!(declined, 0);
}

#[test]
fn fast_plain_agrees_with_the_ports() {
    let mut rng = Rng(7);
    let mut strings: Vec<String> = POOL.iter().chain(PIECES).map(|s| s.to_string()).collect();
    strings.extend((0..20_000).map(|_| random_string(&mut rng)));
    strings.extend((0..20_000).map(|_| {
        // Letters first, then anything ASCII.
        let mut s = String::from(["a", "N", "y", "Yes", "nu", "o"][rng.below(6)]);
        for _ in 0..rng.below(6) {
            s.push(char::from(32 + rng.below(95) as u8));
        }
        s
    }));
    for w in [
        "null", "true", "false", "nan", "inf", "yes", "no", "y", "n", "on", "off",
    ] {
        strings.push(w.to_uppercase());
        strings.push(format!("{w}x"));
        strings.push(format!("{w} "));
        strings.push(format!("{w}:"));
    }
    let mut decided = 0;
    for s in &strings {
        if let Some(p) = fast_plain(s) {
            decided += 1;
            let expected = Plain {
                value: is_plain_value_safe(s, false, false),
                key: is_plain_safe(s) && is_plain_value_safe(s, false, true),
            };
            assert_eq!(p, expected, "{s:?}");
        }
    }
    assert!(decided > 10_000, "{decided}");
}

#[test]
fn numbers_and_scalars() {
    let docs = [
        json!(null),
        json!(true),
        json!(0),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(-0.0),
        json!(0.1),
        json!(1e300),
        json!(1.0),
        json!(2.5e-10),
        json!({ "a": null, "b": false, "c": 1e21, "d": -1.5e-7, "e": [1, -2, 3.25] }),
        json!([]),
        json!({}),
        json!([[]]),
        json!([{}]),
        json!({ "a": [], "b": {}, "c": [[]], "d": [{}] }),
        json!([[[[1]]], [[{}]], [{ "a": [[1, 2]] }]]),
    ];
    for d in &docs {
        assert!(check(d));
    }
    // serde_json hands zero to `serialize_u64`; other callers may hand it to the i64 path.
    for v in [0i64, -1, 1, i64::MAX] {
        assert_eq!(to_string(&v).unwrap(), serde_saphyr::to_string(&v).unwrap());
    }
}

#[test]
fn random_documents_match_serde_saphyr() {
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let (mut total, mut declined, mut nodes) = (0usize, 0usize, 0usize);
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Object(m) => m.values().map(count).sum(),
            Value::Array(a) => a.iter().map(count).sum(),
            _ => 0,
        }
    }
    for i in 0..20_000 {
        // Mostly maps at the root, as the manifest is.
        let bushy = i % 4 == 0;
        let v = if i % 5 == 0 {
            random_value(&mut rng, 0, bushy)
        } else {
            let mut m = JsonMap::new();
            for _ in 0..1 + rng.below(6) {
                m.insert(random_key(&mut rng), random_value(&mut rng, 1, bushy));
            }
            Value::Object(m)
        };
        nodes += count(&v);
        total += 1;
        declined += usize::from(!check(&v));
    }
    eprintln!("{total} random documents ({nodes} values), {declined} declined");
    assert!(declined * 50 < total, "{declined} of {total} declined");
}

#[test]
fn declines_what_it_does_not_cover() {
    // A key serde-saphyr writes as an explicit `? key`.
    let mut m = JsonMap::new();
    m.insert("k".repeat(1025), json!(1));
    assert!(to_string(&Value::Object(m)).is_err());
    // 1024 characters is still an implicit key.
    let mut m = JsonMap::new();
    m.insert("é".repeat(1024), json!(1));
    assert!(check(&Value::Object(m)));
    // Outside serde_json's data model; the reason is in the error.
    let e = to_string(&'c').unwrap_err().to_string();
    assert!(e.starts_with("YAML writer declined: "), "{e}");
    assert!(e.len() > "YAML writer declined: ".len(), "{e}");
    assert!(to_string(&Some(1u8)).is_err());
    assert!(to_string(&(1, 2)).is_err());
    // Every serializer call serde_json's `Value` never makes declines.
    #[derive(serde::Serialize)]
    struct Unit;
    #[derive(serde::Serialize)]
    struct Newtype(u64);
    #[derive(serde::Serialize)]
    enum Variants {
        Unit,
        Newtype(u64),
    }
    struct Bytes;
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b"x")
        }
    }
    assert!(to_string(&1i8).is_err());
    assert!(to_string(&1i16).is_err());
    assert!(to_string(&1i32).is_err());
    assert!(to_string(&1u8).is_err());
    assert!(to_string(&1u16).is_err());
    assert!(to_string(&1u32).is_err());
    assert!(to_string(&1.5f32).is_err());
    assert!(to_string(&Bytes).is_err());
    assert!(to_string(&None::<u64>).is_err());
    assert!(to_string(&Unit).is_err());
    assert!(to_string(&Newtype(1)).is_err());
    assert!(to_string(&Variants::Unit).is_err());
    assert!(to_string(&Variants::Newtype(1)).is_err());
    let mut keyed = std::collections::BTreeMap::new();
    keyed.insert(1u64, 2u64);
    assert!(to_string(&keyed).is_err());
}

/// Nesting deeper than the writer's 64-space run of indentation (33 levels and more), with
/// block scalars and long folded strings at the bottom.
#[test]
fn deep_nesting_matches_serde_saphyr() {
    let leaf = json!({"text": "line one\n  indented\nlast\n",
        "long": "word ".repeat(30).trim_end(), "plain": "value"});
    for depth in [31, 32, 33, 40, 70] {
        let mut map_chain = leaf.clone();
        let mut seq_chain = leaf.clone();
        let mut mixed = leaf.clone();
        for i in 0..depth {
            map_chain = json!({format!("k{i}"): map_chain});
            seq_chain = json!([seq_chain]);
            mixed = if i % 2 == 0 {
                json!({"m": mixed, "n": i})
            } else {
                json!([i, mixed])
            };
        }
        for v in [map_chain, seq_chain, mixed] {
            assert!(check(&v), "declined at depth {depth}");
        }
    }
}

/// A map that writes another number of entries than it announced is declined (an empty
/// map is laid out differently, so the writer relies on the announced length).
#[test]
fn a_map_of_another_length_than_announced_is_declined() {
    use serde::ser::SerializeMap;
    struct Announcing(usize, usize);
    impl Serialize for Announcing {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(self.0))?;
            for i in 0..self.1 {
                m.serialize_entry(&format!("k{i}"), &i)?;
            }
            m.end()
        }
    }
    for (announced, written) in [(2, 1), (0, 1), (1, 0), (3, 5)] {
        assert!(
            to_string(&Announcing(announced, written)).is_err(),
            "{announced} announced, {written} written"
        );
    }
    for n in [0, 1, 3] {
        assert!(to_string(&Announcing(n, n)).is_ok(), "{n}");
    }
}
