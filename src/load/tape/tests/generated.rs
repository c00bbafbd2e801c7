//! Random documents (values of every kind, numbers of every shape, keys that collide once
//! unescaped, nesting up to and past [`MAX_DEPTH`]), written by `serde_json` and by a
//! writer of escapes and odd whitespace. The outcome of each is known from the document:
//! the strict parse and the tape are both checked against it.

use serde_json::Map;

use super::repository::battery_on_values;
use super::*;
use crate::testing::Rng;

/// What the strict parse makes of a generated literal or document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Read exactly.
    Exact,
    /// Accepted, and declined by the tape for this reason.
    Declined(&'static str),
    /// Refused.
    Refused,
}

/// A number literal of a random shape, and what the strict parse makes of it.
pub(super) fn number_literal(rng: &mut Rng) -> (String, Class) {
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|i| {
                let d = rng.below(10) as u8;
                char::from(b'0' + if i == 0 && d == 0 { 1 } else { d })
            })
            .collect()
    };
    let sign = if rng.below(3) == 0 { "-" } else { "" };
    let literal = match rng.below(9) {
        0 => format!("{sign}{}", rng.below(1000)),
        1 => {
            let n = 1 + rng.below(24);
            format!("{sign}{}", digits(rng, n))
        }
        2 => rng
            .pick(&[
                "0",
                "-0",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "18446744073709551615",
                "18446744073709551616",
                "18446744073709551617",
                "36893488147419103232",
                "-36893488147419103232",
                "100000000000000000000",
                "-10000000000000000000000",
                "100000000000000000000000",
                "999999999999999999",
                "1000000000000000000",
                "-999999999999999999",
                "-1000000000000000000",
            ])
            .to_string(),
        3 => rng
            .pick(&[
                "-0.0",
                "0.0",
                "-0e0",
                "0e5",
                "0E-0",
                "0e999999",
                "1e2",
                "1E+2",
                "1e-2",
                "0.1e-7",
                "1.0",
                "5e-324",
                "1e-400",
                "-1e-400",
                "1e400",
                "-1e400",
                "1.7976931348623157e308",
                "2.2250738585072014e-308",
                "123456789012345678901234567890.5",
                "0.30000000000000004",
            ])
            .to_string(),
        _ => {
            let int = if rng.below(3) == 0 {
                "0".to_string()
            } else {
                let n = 1 + rng.below(20);
                digits(rng, n)
            };
            let frac = if rng.below(3) > 0 {
                let n = 1 + rng.below(20);
                format!(
                    ".{}",
                    (0..n)
                        .map(|_| char::from(b'0' + rng.below(10) as u8))
                        .collect::<String>()
                )
            } else {
                String::new()
            };
            let exp = if rng.below(2) == 0 || frac.is_empty() {
                let e = match rng.below(4) {
                    0 => 300 + rng.below(100) as i32,
                    1 => 400 + rng.below(10) as i32,
                    _ => rng.below(30) as i32,
                };
                let e = if rng.below(2) == 0 { -e } else { e };
                let mark = *rng.pick(&["e", "E"]);
                let plus = if e >= 0 { *rng.pick(&["", "+"]) } else { "" };
                format!("{mark}{plus}{e}")
            } else {
                String::new()
            };
            format!("{sign}{int}{frac}{exp}")
        }
    };
    let class = classify(&literal);
    (literal, class)
}

/// What the strict parse makes of a valid number literal (near the largest float, where
/// serde_json's rounding and Rust's may differ, no literal is generated).
fn classify(literal: &str) -> Class {
    if literal.contains(['.', 'e', 'E']) {
        return if literal.parse::<f64>().unwrap().is_finite() {
            Class::Exact
        } else {
            Class::Refused
        };
    }
    if literal == "-0" {
        return Class::Declined(MINUS_ZERO);
    }
    if literal.parse::<u64>().is_ok() || literal.parse::<i64>().is_ok() {
        return Class::Exact;
    }
    let digits = literal.trim_start_matches('-');
    let float = literal.parse::<f64>().unwrap();
    if float.is_finite() && format!("{:.0}", float.abs()) == digits {
        Class::Declined(PAST_64_BITS)
    } else {
        Class::Refused
    }
}

/// A generated value; keys as decoded (they may repeat).
#[derive(Debug, Clone)]
enum Gen {
    Null,
    Bool(bool),
    Number(String, Class),
    String(String),
    Array(Vec<Gen>),
    Object(Vec<(String, Gen)>),
}

const CHARS: &[char] = &[
    'a',
    'b',
    'k',
    'Z',
    '0',
    ' ',
    '"',
    '\\',
    '/',
    '\u{0}',
    '\u{8}',
    '\u{c}',
    '\n',
    '\r',
    '\t',
    '\u{1f}',
    '\u{7f}',
    '\u{e9}',
    '\u{ff}',
    '\u{2028}',
    '\u{feff}',
    '\u{4e2d}',
    '\u{1F600}',
    '\u{10FFFF}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{fffd}',
];

fn string(rng: &mut Rng) -> String {
    let n = rng.below(10);
    (0..n).map(|_| *rng.pick(CHARS)).collect()
}

/// Keys that collide often (and more so once the writer has escaped them differently).
fn key(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => string(rng),
        1 => format!("k{}", rng.below(40)),
        _ => (*rng.pick(&[
            "a",
            "b",
            "\u{e9}",
            "\u{1F600}",
            "/",
            "\"",
            "\\",
            "\u{0}",
            "",
            "A",
            "a ",
        ]))
        .to_string(),
    }
}

fn value(rng: &mut Rng, depth: usize, budget: &mut usize) -> Gen {
    let container = depth < 8 && *budget > 0 && rng.below(3) == 0;
    if !container {
        return match rng.below(6) {
            0 => Gen::Null,
            1 => Gen::Bool(rng.below(2) == 0),
            2 | 3 => {
                let (literal, class) = number_literal(rng);
                Gen::Number(literal, class)
            }
            _ => Gen::String(string(rng)),
        };
    }
    let n = match rng.below(10) {
        0 => 17 + rng.below(24),
        _ => rng.below(6),
    };
    *budget = budget.saturating_sub(n + 1);
    if rng.below(2) == 0 {
        Gen::Array((0..n).map(|_| value(rng, depth + 1, budget)).collect())
    } else {
        let unique = rng.below(3) == 0;
        Gen::Object(
            (0..n)
                .map(|i| {
                    let k = if unique {
                        format!("{}{i}", key(rng))
                    } else {
                        key(rng)
                    };
                    (k, value(rng, depth + 1, budget))
                })
                .collect(),
        )
    }
}

/// A random document: mostly shallow, sometimes a chain of containers around the limits.
fn document(rng: &mut Rng) -> Gen {
    let mut budget = 60;
    let mut doc = value(rng, 0, &mut budget);
    if rng.below(12) == 0 {
        let chain = *rng.pick(&[50, 98, 99, 100, 101, 102, 126, 127, 128, 129, 300]);
        for _ in 0..chain - depth(&doc).min(chain) {
            doc = if rng.below(2) == 0 {
                Gen::Array(vec![doc])
            } else {
                Gen::Object(vec![(key(rng), doc)])
            };
        }
    }
    doc
}

fn depth(g: &Gen) -> usize {
    match g {
        Gen::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Gen::Object(members) => 1 + members.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
        _ => 0,
    }
}

/// The outcome a document must have: refused for a duplicate key, a refused literal or
/// nesting over 127 levels; otherwise declined for nesting over [`MAX_DEPTH`] or the first
/// declined literal; otherwise read.
fn expected(g: &Gen) -> Outcome {
    fn walk(g: &Gen, refused: &mut bool, declined: &mut Option<&'static str>) {
        match g {
            Gen::Number(_, Class::Refused) => *refused = true,
            Gen::Number(_, Class::Declined(why)) => *declined = declined.or(Some(why)),
            Gen::Array(items) => items.iter().for_each(|v| walk(v, refused, declined)),
            Gen::Object(members) => {
                for (i, (k, v)) in members.iter().enumerate() {
                    *refused |= members[..i].iter().any(|(l, _)| l == k);
                    walk(v, refused, declined);
                }
            }
            _ => {}
        }
    }
    let (mut refused, mut declined) = (false, None);
    walk(g, &mut refused, &mut declined);
    let depth = depth(g);
    if refused || depth > 127 {
        Outcome::Refused
    } else if depth > MAX_DEPTH {
        Outcome::Declined(DEEP)
    } else {
        declined.map_or(Outcome::Read, Outcome::Declined)
    }
}

/// The `Value` of a document without a refused part.
fn to_value(g: &Gen) -> Value {
    match g {
        Gen::Null => Value::Null,
        Gen::Bool(b) => Value::Bool(*b),
        Gen::Number(literal, _) => serde_json::from_str(literal).unwrap(),
        Gen::String(s) => Value::String(s.clone()),
        Gen::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Gen::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// Writes a document with random escapes and whitespace (JSON's four characters only).
fn write(rng: &mut Rng, g: &Gen, out: &mut String) {
    fn space(rng: &mut Rng, out: &mut String) {
        if rng.below(3) == 0 {
            out.push_str(rng.pick::<&str>(&[" ", "\n", "\t", "\r", "\r\n  ", "\n\t\t", "  \n \t"]));
        }
    }
    fn text(rng: &mut Rng, s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                _ => None,
            };
            let must = c < ' ' || c == '"' || c == '\\';
            match rng.below(4) {
                0 | 1 if !must => out.push(c),
                2 if short.is_some() => out.push_str(short.unwrap()),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        if rng.below(2) == 0 {
                            out.push_str(&format!("\\u{unit:04x}"));
                        } else {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                }
            }
        }
        out.push('"');
    }
    space(rng, out);
    match g {
        Gen::Null => out.push_str("null"),
        Gen::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Gen::Number(literal, _) => out.push_str(literal),
        Gen::String(s) => text(rng, s, out),
        Gen::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(rng, v, out);
            }
            space(rng, out);
            out.push(']');
        }
        Gen::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(rng, out);
                text(rng, k, out);
                space(rng, out);
                out.push(':');
                write(rng, v, out);
            }
            space(rng, out);
            out.push('}');
        }
    }
    space(rng, out);
}

/// Counts of what the tape did (declines by reason).
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub read: usize,
    pub declined: std::collections::BTreeMap<&'static str, usize>,
    pub refused: usize,
}

impl Tally {
    pub(super) fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Read => self.read += 1,
            Outcome::Declined(why) => *self.declined.entry(why).or_default() += 1,
            Outcome::Refused => self.refused += 1,
        }
    }

    pub(super) fn declined(&self) -> usize {
        self.declined.values().sum()
    }
}

/// `cases` random documents from `seed`: each written both ways and checked against its
/// known outcome. Returns the tally of the hand-written texts and of serde_json's.
fn sweep(seed: u64, cases: usize) -> (Tally, Tally) {
    let mut rng = Rng(seed);
    let (mut hand, mut serde) = (Tally::default(), Tally::default());
    for case in 0..cases {
        let doc = document(&mut rng);
        let want = expected(&doc);
        let mut text = String::new();
        write(&mut rng, &doc, &mut text);
        let got = check(&text);
        assert_eq!(got, want, "seed {seed} case {case}: {}", shown(&text));
        hand.add(got);
        if want == Outcome::Refused {
            continue;
        }
        let value = to_value(&doc);
        assert_eq!(parse_json(&text).unwrap(), value, "{}", shown(&text));
        if got == Outcome::Read {
            let tape = Tape::parse(&text).unwrap();
            battery_on_values(tape.root(), &value, 40);
        }
        // serde_json writes floats for the declined literals: only the depth is declined.
        let deep = if depth(&doc) > MAX_DEPTH {
            Outcome::Declined(DEEP)
        } else {
            Outcome::Read
        };
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let got = check(&text);
            assert_eq!(got, deep, "seed {seed} case {case}: {}", shown(&text));
            serde.add(got);
        }
    }
    (hand, serde)
}

#[test]
fn random_documents_written_two_ways() {
    let (hand, serde) = sweep(0x5EED_0001, 3000);
    eprintln!("hand-written: {hand:?}; serde_json: {serde:?}");
    // Every kind of outcome is met, and most valid documents are read.
    assert!(
        hand.read > 1000 && hand.declined() > 20 && hand.refused > 300,
        "{hand:?}"
    );
    assert!(
        serde.declined() > 0 && serde.read > 10 * serde.declined(),
        "{serde:?}"
    );
}

#[test]
#[ignore = "a long sweep: cargo test --release --lib load::tape -- --include-ignored"]
fn random_documents_written_two_ways_long() {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let tallies: Vec<(Tally, Tally)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || sweep(0xD0C5_0000 + t as u64, 200_000 / threads)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!("{tallies:?}");
}

#[test]
fn the_generator_meets_every_case() {
    let mut rng = Rng(7);
    let mut classes = Vec::new();
    for _ in 0..2000 {
        let (literal, class) = number_literal(&mut rng);
        assert!(serde_json::from_str::<Value>(&literal).is_ok() || class == Class::Refused);
        classes.push(class);
    }
    for class in [
        Class::Exact,
        Class::Refused,
        Class::Declined(MINUS_ZERO),
        Class::Declined(PAST_64_BITS),
    ] {
        assert!(classes.contains(&class), "{class:?}");
    }
    assert_eq!(
        classify("18446744073709551616"),
        Class::Declined(PAST_64_BITS)
    );
    assert_eq!(classify("18446744073709551617"), Class::Refused);
    assert_eq!(classify("1e400"), Class::Refused);
    assert_eq!(classify("-0.0"), Class::Exact);
    // A duplicate once unescaped is a duplicate.
    let doc = Gen::Object(vec![
        ("a".into(), Gen::Null),
        ("b".into(), Gen::Null),
        ("a".into(), Gen::Null),
    ]);
    assert_eq!(expected(&doc), Outcome::Refused);
    let mut text = String::new();
    write(&mut Rng(3), &doc, &mut text);
    assert_eq!(check(&text), Outcome::Refused);
}
