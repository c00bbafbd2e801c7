//! Seeded mutations of the repository's JSON files and of hostile snippets: bytes and
//! tokens deleted, inserted, duplicated and swapped, hostile tokens spliced in, strings
//! re-escaped, numbers rewritten, documents re-indented and minified. Every result is
//! checked against the strict parse ([`check`]).

use super::generated::{Tally, number_literal};
use super::repository::repository_files;
use super::*;
use crate::testing::Rng;

/// Tokens spliced into documents.
const HOSTILE: &[&str] = &[
    r#""\ud800""#,
    r#""\udc00""#,
    r#""\ud83d\ude00""#,
    r#""\u0000""#,
    r#""\x""#,
    "\"\u{1}\"",
    "\"\u{7f}\"",
    "\"\u{e9}\u{1F600}\"",
    "\u{feff}",
    "\u{a0}",
    "\u{b}",
    "\u{c}",
    "\u{7f}",
    "\u{0}",
    "\\",
    "\\u",
    "\"",
    ",",
    ":",
    ",]",
    ",}",
    "[1,]",
    r#"{"a":1,}"#,
    r#"{"a" 1}"#,
    r#"{"a":1,"a":2}"#,
    r#"{"a":1,"\u0061":2}"#,
    "01",
    "-",
    "1.",
    ".5",
    "1e",
    "+1",
    "NaN",
    "Infinity",
    "tru",
    "nulll",
    "-0",
    "-0.0",
    "1e2",
    "1E+2",
    "0.1e-7",
    "999999999999999999",
    "1234567890123456789",
    "12345678901234567890",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "18446744073709551617",
    "1e400",
    "[[[[[[[[",
    "]]]]",
    "}}}",
    r#"{"a":"#,
    r#""a":1"#,
    "\"\\ud83d",
    "\\ude00\"",
];

/// Small documents to mutate alongside the repository's files.
const SNIPPETS: &[&str] = &[
    "{}",
    "[]",
    "0",
    r#""s""#,
    r#"{"a": [1, -2, 3.5, "x\u00e9\n", true, null, {}], "b": {"c": []}}"#,
    r#"{"\ud83d\ude00": "\/\b\f\n\r\t\"\\", "k": [-0.0, 1E+2, 0.1e-7]}"#,
    r#"[18446744073709551615, -9223372036854775808, 1234567890123456789, 999999999999999999]"#,
    r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17}"#,
    r#"{"a":{"a":{"a":{"a":[[[[{"b":"\u0062"}]]]]}}}}"#,
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{\"\u{7f}\":\"\u{e9}\u{2028}\",\"\u{0061}\":null}",
    r#"{"id":"f","name":"n","version":"1.0.0","nodes":[{"id":"n","type":"entry_api","label":"l","position":{"x":0,"y":-0.5}}],"edges":[]}"#,
];

/// A lexer that never fails: a string (to its closing quote or the end), a run of literal
/// characters, a run of whitespace, or any other single character.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'-' | b'+' | b'.'))
                {
                    i += 1;
                }
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
                    i += 1;
                }
            }
            _ => {
                i += 1;
                while !text.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
        // (A backslash before the end can step past it, or into a character.)
        while i < b.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        out.push(&text[start..i.min(b.len())]);
    }
    out
}

/// A string token with some of its characters escaped anew (`\uXXXX`, surrogate pairs,
/// `\/`); escapes already there are kept.
fn re_escape(rng: &mut Rng, token: &str) -> String {
    let mut out = String::new();
    let mut chars = token.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(c);
            if let Some(e) = chars.next() {
                out.push(e);
                if e == 'u' {
                    out.extend(chars.by_ref().take(4));
                }
            }
        } else if c == '"' && (first || chars.peek().is_none()) {
            out.push(c);
        } else if c == '/' && rng.below(2) == 0 {
            out.push_str("\\/");
        } else if rng.below(3) == 0 {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
        first = false;
    }
    out
}

/// One mutation of `text`; `donor` is another document to take a piece of.
fn mutate_once(rng: &mut Rng, text: &str, donor: &str) -> String {
    let len = text.len();
    let at = |rng: &mut Rng| rng.below(len + 1);
    let bytes = |b: Vec<u8>| match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let toks = tokens(text);
    let n = toks.len().max(1);
    let join = |toks: &[&str]| toks.concat();
    match rng.below(16) {
        // Bytes: delete, insert, duplicate, swap, truncate.
        0 => {
            let i = at(rng);
            let j = (i + 1 + rng.below(4)).min(len);
            let mut b = text.as_bytes().to_vec();
            b.drain(i.min(j)..j);
            bytes(b)
        }
        1 => {
            let i = at(rng);
            let mut b = text.as_bytes().to_vec();
            let insert = *rng.pick::<&[u8]>(&[
                &b"{"[..],
                b"}",
                b"[",
                b"]",
                b"\"",
                b":",
                b",",
                b"\\",
                b"-",
                b"0",
                b"9",
                b".",
                b"e",
                b"E",
                b"+",
                b" ",
                b"\n",
                b"\t",
                b"\r",
                b"\x00",
                b"\x1f",
                b"\x7f",
                b"\x0b",
                b"\xc3\xa9",
                b"\xc3",
                b"\xff",
                b"\xef\xbb\xbf",
                b"\xf0\x9f\x98\x80",
                b"t",
                b"u",
            ]);
            b.splice(i..i, insert.iter().copied());
            bytes(b)
        }
        2 => {
            let i = at(rng);
            let j = (i + rng.below(64)).min(len);
            let mut b = text.as_bytes().to_vec();
            let piece = b[i..j].to_vec();
            b.splice(j..j, piece);
            bytes(b)
        }
        3 => {
            let mut b = text.as_bytes().to_vec();
            if !b.is_empty() {
                let (i, j) = (rng.below(b.len()), rng.below(b.len()));
                b.swap(i, j);
            }
            bytes(b)
        }
        4 => bytes(text.as_bytes()[..at(rng)].to_vec()),
        // Tokens: delete, duplicate, swap.
        5 => {
            let mut t = toks.clone();
            if !t.is_empty() {
                t.remove(rng.below(t.len()));
            }
            join(&t)
        }
        6 => {
            let mut t = toks.clone();
            if !t.is_empty() {
                let i = rng.below(t.len());
                t.insert(i, t[i]);
            }
            join(&t)
        }
        7 => {
            let mut t = toks.clone();
            if !t.is_empty() {
                let (i, j) = (rng.below(t.len()), rng.below(t.len()));
                t.swap(i, j);
            }
            join(&t)
        }
        // Hostile tokens, in place of a token or between two.
        8 | 9 => {
            let mut t = toks.clone();
            let i = rng.below(n);
            let hostile = *rng.pick(HOSTILE);
            if rng.below(2) == 0 && i < t.len() {
                t[i] = hostile;
            } else {
                t.insert(i.min(t.len()), hostile);
            }
            join(&t)
        }
        // A string in place of another (keys collide), or a string escaped anew.
        10 | 11 => {
            let strings: Vec<usize> = (0..toks.len())
                .filter(|&i| toks[i].starts_with('"'))
                .collect();
            if strings.is_empty() {
                return text.to_string();
            }
            let i = *rng.pick(&strings);
            let mut t: Vec<String> = toks.iter().map(|s| s.to_string()).collect();
            t[i] = if rng.below(2) == 0 {
                toks[*rng.pick(&strings)].to_string()
            } else {
                re_escape(rng, toks[i])
            };
            t.concat()
        }
        // A number literal of another shape.
        12 => {
            let numbers: Vec<usize> = (0..toks.len())
                .filter(|&i| toks[i].starts_with(|c: char| c == '-' || c.is_ascii_digit()))
                .collect();
            if numbers.is_empty() {
                return text.to_string();
            }
            let i = *rng.pick(&numbers);
            let mut t: Vec<String> = toks.iter().map(|s| s.to_string()).collect();
            t[i] = number_literal(rng).0;
            t.concat()
        }
        // Minified, or re-indented (with odd whitespace now and then).
        13 => toks
            .iter()
            .filter(|t| !t.starts_with([' ', '\n', '\r', '\t']))
            .copied()
            .collect(),
        14 => {
            let mut out = String::new();
            for t in &toks {
                if t.starts_with([' ', '\n', '\r', '\t']) {
                    out.push_str(rng.pick::<&str>(&[
                        "", " ", "\n", "\r\n", "\t", "\n    ", "\n\t\t", "\u{a0}", "\u{b}",
                        "\u{c}", "\u{2028}",
                    ]));
                } else {
                    out.push_str(t);
                }
            }
            out
        }
        // A piece of another document.
        _ => {
            let d = tokens(donor);
            if d.is_empty() {
                return text.to_string();
            }
            let i = rng.below(d.len());
            let j = (i + 1 + rng.below(40)).min(d.len());
            let mut t = toks.clone();
            let k = rng.below(t.len() + 1);
            t.splice(k..k, d[i..j].iter().copied());
            join(&t)
        }
    }
}

/// The texts to mutate: the repository's JSON files (those up to `max_len` bytes) and the
/// snippets.
fn bases(max_len: usize) -> Vec<String> {
    let mut out: Vec<String> = repository_files()
        .into_iter()
        .map(|(_, text)| text)
        .filter(|t| t.len() <= max_len)
        .collect();
    out.extend(SNIPPETS.iter().map(|s| s.to_string()));
    out
}

/// `cases` mutants of `bases` from `seed`, each with one to three mutations.
fn sweep(bases: &[String], seed: u64, cases: usize) -> Tally {
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    for _ in 0..cases {
        let base = rng.pick(bases);
        let donor = rng.pick(bases);
        let mut text = base.clone();
        for _ in 0..1 + rng.below(3) {
            text = mutate_once(&mut rng, &text, donor);
        }
        tally.add(check(&text));
    }
    tally
}

#[test]
fn mutants_of_the_repository_files_and_of_hostile_snippets() {
    let bases = bases(8 * 1024);
    assert!(bases.len() > 100);
    let tally = sweep(&bases, 0x00C0_FFEE, 20_000);
    eprintln!("mutants: {tally:?}");
    assert!(tally.read > 2000 && tally.refused > 5000, "{tally:?}");
}

#[test]
fn arbitrary_bytes() {
    let mut rng = Rng(0xB17E5);
    let alphabet =
        b"{}[]\":,\\ -+.eE0123456789tfnrulsa\x00\x1f\x7f\xc3\xa9\xff\xf0\x9f\x98\x80\n\t";
    let mut tally = Tally::default();
    for _ in 0..20_000 {
        let n = rng.below(24);
        let bytes: Vec<u8> = (0..n).map(|_| *rng.pick(alphabet)).collect();
        tally.add(check(&String::from_utf8_lossy(&bytes)));
    }
    eprintln!("arbitrary bytes: {tally:?}");
    assert!(tally.read > 100, "{tally:?}");
}

#[test]
#[ignore = "a long sweep: cargo test --release --lib load::tape -- --include-ignored"]
fn mutants_long() {
    let bases = bases(usize::MAX);
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let bases = &bases;
                s.spawn(move || sweep(bases, 0xA11CE + t as u64, 1_000_000 / threads))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!("mutants: {tallies:?}");
}

#[test]
fn the_lexer_and_the_mutations_keep_text_whole() {
    let text = r#"{"a\"b": [1.5e3, -2], "c": "\u00e9"}"#;
    let toks = tokens(text);
    assert_eq!(toks.concat(), text);
    assert_eq!(
        toks,
        [
            "{",
            "\"a\\\"b\"",
            ":",
            " ",
            "[",
            "1.5e3",
            ",",
            " ",
            "-2",
            "]",
            ",",
            " ",
            "\"c\"",
            ":",
            " ",
            "\"\\u00e9\"",
            "}"
        ]
    );
    assert_eq!(tokens("\"\\").concat(), "\"\\");
    assert_eq!(tokens("\"\\\u{e9}").concat(), "\"\\\u{e9}");
    let mut rng = Rng(1);
    for _ in 0..200 {
        let escaped = re_escape(&mut rng, "\"a/\u{1F600}\\n\"");
        assert_eq!(
            parse_json(&escaped).unwrap(),
            Value::String("a/\u{1F600}\n".into())
        );
    }
}
