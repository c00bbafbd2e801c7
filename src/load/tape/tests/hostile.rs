//! Hand-picked inputs, each with its exact outcome. Inputs the strict parse accepts but the
//! tape declines, by design (see [`decline_reason`]): nesting deeper than [`MAX_DEPTH`]
//! (101 to 127 levels), the integer literal `-0`, and integer literals past 64 bits that a
//! float holds exactly (`18446744073709551616`, `100000000000000000000`). Everything else
//! valid is read.

use std::sync::mpsc;
use std::time::Duration;

use super::*;

/// What a hand-picked input must give.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Read, as this (`serde_json::to_string` of the value).
    Reads(&'static str),
    /// Declined for this reason; the strict parse accepts it.
    Declines(&'static str),
    /// Declined; the strict parse refuses it too.
    Refused,
}
use Expect::*;

/// Checks `text` against `expect`, on another thread, failing rather than hanging after 20
/// seconds.
fn expect(text: String, expect: Expect) {
    let (send, receive) = mpsc::channel();
    let shown_text = shown(&text);
    std::thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let outcome = check(&text);
            let written = Tape::parse(&text)
                .map(|tape| serde_json::to_string(&tape.root().to_value()).unwrap());
            (outcome, written)
        }));
        // (A panic is reported by its own message.)
        let _ = send.send(outcome.ok());
    });
    let (outcome, written) = match receive.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(done)) => done,
        Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("panic on {shown_text}")
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hang on {shown_text}"),
    };
    match expect {
        Reads(value) => {
            assert_eq!(outcome, Outcome::Read, "{shown_text}");
            assert_eq!(written.as_deref(), Some(value), "{shown_text}");
        }
        Declines(why) => assert_eq!(outcome, Outcome::Declined(why), "{shown_text}"),
        Refused => assert_eq!(outcome, Outcome::Refused, "{shown_text}"),
    }
}

fn cases(list: &[(&str, Expect)]) {
    for (text, e) in list {
        expect(text.to_string(), *e);
    }
}

#[test]
fn scalars_at_the_top_level_and_whitespace() {
    cases(&[
        ("1", Reads("1")),
        (" \t\n\r1 \t\n\r", Reads("1")),
        ("\"x\"", Reads("\"x\"")),
        ("true", Reads("true")),
        ("false", Reads("false")),
        ("null", Reads("null")),
        ("[]", Reads("[]")),
        ("{}", Reads("{}")),
        (" [ ] ", Reads("[]")),
        ("{ }", Reads("{}")),
        ("", Refused),
        (" ", Refused),
        ("\n\t\r ", Refused),
        ("\u{a0}1", Refused),
        ("\u{b}1", Refused),
        ("\u{c}1", Refused),
        ("1\u{a0}", Refused),
        ("[1,\u{b}2]", Refused),
        ("[1\u{c}]", Refused),
        ("\u{2028}1", Refused),
        ("\u{85}1", Refused),
        ("\u{feff}1", Refused),
        ("1\u{feff}", Refused),
        ("[1,\u{feff}2]", Refused),
        ("{\"a\"\u{feff}:1}", Refused),
        ("1 2", Refused),
        ("{} {}", Refused),
        ("[1]]", Refused),
        ("{}}", Refused),
        ("\u{0}", Refused),
        ("1\u{0}", Refused),
    ]);
}

#[test]
fn numbers_of_every_shape() {
    cases(&[
        ("0", Reads("0")),
        ("-1", Reads("-1")),
        ("-1.5e3", Reads("-1500.0")),
        ("1.0", Reads("1.0")),
        ("-0.0", Reads("-0.0")),
        ("-0e0", Reads("-0.0")),
        ("[-0.0, 0.0]", Reads("[-0.0,0.0]")),
        ("1e2", Reads("100.0")),
        ("1E+2", Reads("100.0")),
        ("1e-2", Reads("0.01")),
        ("0.1e-7", Reads("1e-8")),
        ("5e-324", Reads("5e-324")),
        ("1e-400", Reads("0.0")),
        ("-1e-400", Reads("-0.0")),
        ("0e999999", Reads("0.0")),
        ("1.7976931348623157e308", Reads("1.7976931348623157e+308")),
        (
            "123456789012345678901234567890.5",
            Reads("1.2345678901234568e+29"),
        ),
        ("1e20", Reads("1e+20")),
        ("999999999999999999", Reads("999999999999999999")),
        ("1000000000000000000", Reads("1000000000000000000")),
        ("9223372036854775807", Reads("9223372036854775807")),
        ("9223372036854775808", Reads("9223372036854775808")),
        ("12345678901234567890", Reads("12345678901234567890")),
        ("18446744073709551615", Reads("18446744073709551615")),
        ("-999999999999999999", Reads("-999999999999999999")),
        ("-1000000000000000000", Reads("-1000000000000000000")),
        ("-9223372036854775808", Reads("-9223372036854775808")),
        (
            "[0, -0.0, 1, -1, 1.5, 18446744073709551615, -9223372036854775808]",
            Reads("[0,-0.0,1,-1,1.5,18446744073709551615,-9223372036854775808]"),
        ),
        // Declined by design: serde_json reads these integer literals as floats.
        ("-0", Declines(MINUS_ZERO)),
        (" -0 ", Declines(MINUS_ZERO)),
        ("[-0]", Declines(MINUS_ZERO)),
        ("{\"a\": -0}", Declines(MINUS_ZERO)),
        ("18446744073709551616", Declines(PAST_64_BITS)),
        ("100000000000000000000", Declines(PAST_64_BITS)),
        ("-100000000000000000000", Declines(PAST_64_BITS)),
        ("[1e2, 18446744073709551616]", Declines(PAST_64_BITS)),
        // Past 64 bits and inexact: the strict parse refuses them.
        ("-9223372036854775809", Refused),
        ("18446744073709551617", Refused),
        ("-123456789012345678901", Refused),
        ("1e400", Refused),
        ("-1e400", Refused),
        ("01", Refused),
        ("-01", Refused),
        ("00", Refused),
        ("-00", Refused),
        ("-", Refused),
        ("[-]", Refused),
        ("1.", Refused),
        (".5", Refused),
        ("1e", Refused),
        ("1e+", Refused),
        ("1.e5", Refused),
        ("+1", Refused),
        ("NaN", Refused),
        ("Infinity", Refused),
        ("-Infinity", Refused),
        ("0x10", Refused),
        ("1_000", Refused),
        ("--1", Refused),
        ("1-2", Refused),
        ("1e5e5", Refused),
        ("1.5.5", Refused),
        ("[1.]", Refused),
        ("[01]", Refused),
    ]);
}

#[test]
fn words() {
    cases(&[
        ("tru", Refused),
        ("nulll", Refused),
        ("True", Refused),
        ("NULL", Refused),
        ("nul", Refused),
        ("fals", Refused),
        ("falsey", Refused),
        ("truefalse", Refused),
        ("[true false]", Refused),
        ("[true,false,null]", Reads("[true,false,null]")),
        ("undefined", Refused),
    ]);
}

#[test]
fn strings_and_escapes() {
    cases(&[
        (r#""\ud83d\ude00""#, Reads("\"\u{1F600}\"")),
        (r#""\uD83D\uDE00""#, Reads("\"\u{1F600}\"")),
        (r#""\uDBFF\uDFFF""#, Reads("\"\u{10FFFF}\"")),
        (r#""\ud800\udc00""#, Reads("\"\u{10000}\"")),
        (r#""\u0000""#, Reads(r#""\u0000""#)),
        (r#""\u001f\u0020""#, Reads(r#""\u001f ""#)),
        (r#""\u00e9\u00E9""#, Reads("\"\u{e9}\u{e9}\"")),
        (r#""\ufeff""#, Reads("\"\u{feff}\"")),
        ("\"\u{feff}\"", Reads("\"\u{feff}\"")),
        (r#""\/""#, Reads(r#""/""#)),
        (r#""\b\f\n\r\t\"\\""#, Reads(r#""\b\f\n\r\t\"\\""#)),
        ("\"a\u{7f}\"", Reads("\"a\u{7f}\"")),
        ("\"\u{e9}\u{1F600}\"", Reads("\"\u{e9}\u{1F600}\"")),
        ("\"\u{e9}\\n\u{1F600}\"", Reads("\"\u{e9}\\n\u{1F600}\"")),
        (
            r#"["\ud83d\ude00", "😀"]"#,
            Reads("[\"\u{1F600}\",\"\u{1F600}\"]"),
        ),
        // Lone and misordered surrogates.
        (r#""\ud800""#, Refused),
        (r#""\udc00""#, Refused),
        (r#""\udfff""#, Refused),
        (r#""\ud83d""#, Refused),
        (r#""\ud800\ud800""#, Refused),
        (r#""\udc00\ud800""#, Refused),
        (r#""\ud800\u0041""#, Refused),
        (r#""\ud800x""#, Refused),
        (r#""\ud800\n""#, Refused),
        (r#""\ud800\"#, Refused),
        (r#""\ud800\u"#, Refused),
        (r#""\ud800\udc0""#, Refused),
        // Invalid escapes.
        (r#""\x""#, Refused),
        (r#""\u12""#, Refused),
        (r#""\u12G4""#, Refused),
        (r#""\U0041""#, Refused),
        (r#""\'""#, Refused),
        (r#""\a""#, Refused),
        (r#""\u""#, Refused),
        (r#""\u+123""#, Refused),
        ("\"\\u00\u{e9}9\"", Refused),
        (r#""\"#, Refused),
        (r#""\""#, Refused),
        ("\"abc", Refused),
        ("\"", Refused),
        // Raw control characters, before and after an escape.
        ("\"\u{0}\"", Refused),
        ("\"\u{1}\"", Refused),
        ("\"\n\"", Refused),
        ("\"\t\"", Refused),
        ("\"\r\"", Refused),
        ("\"\u{1f}\"", Refused),
        ("\"a\\n\u{1}\"", Refused),
        ("\"a\\n\t\"", Refused),
        ("{\"\u{7f}\": \"\u{7f}\"}", Reads("{\"\u{7f}\":\"\u{7f}\"}")),
    ]);
}

#[test]
fn long_strings_of_escapes_are_read() {
    let n = 100_000;
    let text = format!("\"{}\"", "\\n".repeat(n));
    let (tape, _) = read(&text);
    assert_eq!(tape.root().as_str(), Some("\n".repeat(n).as_str()));
    let text = format!(
        "[\"{}\", \"{}x\"]",
        "\\u00e9".repeat(n),
        "\\ud83d\\ude00".repeat(n)
    );
    let (tape, value) = read(&text);
    assert_eq!(value[0].as_str().unwrap().chars().count(), n);
    assert_eq!(tape.root().to_value(), value);
    // A long run of backslashes, one short of closing the string.
    expect(format!("\"{}\\\"", "\\\\".repeat(n)), Refused);
    let text = format!("\"{}\"", "\\\\".repeat(n));
    let (tape, _) = read(&text);
    assert_eq!(tape.root().as_str(), Some("\\".repeat(n).as_str()));
}

#[test]
fn syntax_errors_are_refused() {
    cases(&[
        ("[1,]", Refused),
        ("{\"a\":1,}", Refused),
        ("{\"a\" 1}", Refused),
        ("{\"a\":}", Refused),
        ("{\"a\"}", Refused),
        ("{,}", Refused),
        ("[,]", Refused),
        ("[,1]", Refused),
        ("[1,,2]", Refused),
        ("{\"a\":1 \"b\":2}", Refused),
        ("{\"a\":1,,\"b\":2}", Refused),
        ("[1 2]", Refused),
        ("{1:2}", Refused),
        ("{'a':1}", Refused),
        ("{a:1}", Refused),
        ("{\"a\"::1}", Refused),
        ("{\"a\":1:2}", Refused),
        ("[\"a\":1]", Refused),
        ("[}", Refused),
        ("{]", Refused),
        ("[", Refused),
        ("]", Refused),
        ("{", Refused),
        ("}", Refused),
        ("[\"a\"", Refused),
        ("{\"a\":1", Refused),
        ("{\"a\"", Refused),
        (":", Refused),
        (",", Refused),
        ("1,", Refused),
        ("[1]x", Refused),
    ]);
}

/// An object of `n` members named `k0`, `k1`, …, with member `at` named as written.
fn object_with(n: usize, at: usize, key: &str) -> String {
    let members: Vec<String> = (0..n)
        .map(|i| {
            if i == at {
                format!("{key}: {i}")
            } else {
                format!("\"k{i}\": {i}")
            }
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

#[test]
fn duplicate_keys_are_refused_in_small_and_large_objects() {
    cases(&[
        ("{\"a\":1,\"a\":1}", Refused),
        ("{\"a\":1,\"\\u0061\":2}", Refused),
        ("{\"\\u0061\":1,\"a\":2}", Refused),
        ("{\"\\u0061\":1,\"\\u0061\":2}", Refused),
        ("{\"\u{e9}\":1,\"\\u00e9\":2}", Refused),
        ("{\"\u{1F600}\":1,\"\\ud83d\\ude00\":2}", Refused),
        ("{\"\\/\":1,\"/\":2}", Refused),
        ("{\"\\n\":1,\"\\u000a\":2}", Refused),
        ("{\"\":1,\"\":2}", Refused),
        ("[{\"k\":1,\"k\":2}]", Refused),
        ("{\"x\":{\"k\":1,\"k\":2}}", Refused),
        ("{\"a\":1,\"b\":{},\"a\":2}", Refused),
        (
            "{\"a\":1,\"b\":{\"a\":2}}",
            Reads("{\"a\":1,\"b\":{\"a\":2}}"),
        ),
        (
            "{\"a\":{\"a\":{\"a\":1}}}",
            Reads("{\"a\":{\"a\":{\"a\":1}}}"),
        ),
        ("[{\"a\":1},{\"a\":2}]", Reads("[{\"a\":1},{\"a\":2}]")),
        ("{\"a\":1,\"A\":2}", Reads("{\"a\":1,\"A\":2}")),
        ("{\"b\":1,\"a\":2}", Reads("{\"b\":1,\"a\":2}")),
        ("{\"\\u0061\":1,\"b\":2}", Reads("{\"a\":1,\"b\":2}")),
        ("{\"a\":1,\"a \":2}", Reads("{\"a\":1,\"a \":2}")),
    ]);
    // Around the boundary of the scan (16 keys) and the hash set (17 and more), with the
    // duplicate at either end, written plainly or with escapes.
    for n in [2, 15, 16, 17, 18, 100, 1000] {
        for key in ["\"k0\"", "\"\\u006b0\"", "\"k\\u0030\""] {
            let distinct = object_with(n, n, key);
            let (tape, _) = read(&distinct);
            assert_eq!(tape.root().members().len(), n);
            expect(object_with(n, n - 1, key), Refused);
            let first = object_with(n, 0, &format!("\"k{}\"", n - 1).replace('k', "\\u006b"));
            expect(first, Refused);
        }
        // Distinct keys that a careless comparison would take for equal.
        let text = object_with(n, 0, "\"k0 \"");
        assert_eq!(check(&text), Outcome::Read, "{n}");
    }
}

#[test]
fn nesting_is_read_to_max_depth_and_declined_past_it() {
    let arrays = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let objects = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
    let mixed = |n: usize| "[{\"a\":".repeat(n / 2) + "[]" + &"}]".repeat(n / 2);
    assert_eq!(MAX_DEPTH, 100);
    for nest in [arrays, objects] {
        assert_eq!(check(&nest(MAX_DEPTH)), Outcome::Read);
        assert_eq!(check(&nest(MAX_DEPTH + 1)), Outcome::Declined(DEEP));
        assert_eq!(check(&nest(127)), Outcome::Declined(DEEP));
        assert_eq!(check(&nest(128)), Outcome::Refused);
    }
    assert_eq!(check(&mixed(MAX_DEPTH - 1)), Outcome::Read);
    assert_eq!(check(&mixed(MAX_DEPTH + 1)), Outcome::Declined(DEEP));
    let deepest = arrays(MAX_DEPTH);
    let (tape, _) = read(&deepest);
    assert_eq!(tape.nodes.len(), MAX_DEPTH);
    // Wide after deep: the depth is the open containers', not the containers seen.
    let wide = format!("[{}]", vec![arrays(MAX_DEPTH - 1); 50].join(","));
    assert_eq!(check(&wide), Outcome::Read);
}

#[test]
fn huge_numbers_of_brackets_neither_crash_nor_hang() {
    let n = 100_000;
    for text in [
        "[".repeat(n),
        "[".repeat(n) + &"]".repeat(n),
        "{\"a\":".repeat(n),
        "{\"a\":".repeat(n) + "1" + &"}".repeat(n),
        "[{".repeat(n),
        "]".repeat(n),
        "}".repeat(n),
        format!("[{}]", "[],".repeat(n)),
        format!("[{}1", "1,".repeat(n)),
        "\"".repeat(n),
        "\\".repeat(n),
        "\"\\".repeat(n),
        ",".repeat(n),
        "-".repeat(n),
        "1".repeat(n),
        "1e".to_string() + &"1".repeat(n),
    ] {
        expect(text, Refused);
    }
    // Long literals and wide documents are read.
    expect(
        "0.".to_string() + &"1".repeat(n),
        Reads("0.1111111111111111"),
    );
    let text = format!("[{}]", vec!["[]"; n].join(","));
    let (tape, _) = read(&text);
    assert_eq!(
        tape.root().to_value(),
        Value::Array(vec![Value::Array(vec![]); n])
    );
    let text = format!(
        "{{{}}}",
        (0..n)
            .map(|i| format!("\"{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (tape, _) = read(&text);
    assert_eq!(tape.root().members().len(), n);
}
