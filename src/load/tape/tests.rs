//! The tape against the strict `Value` parse. The contract (module documentation of
//! `tape.rs`): a text the tape reads, the strict parse accepts (1) and builds the same value
//! from (2); a type deserializes from the tape as from that value (4); the two `JsonView`s
//! agree (5); the tape declines only for a reason of [`decline_reason`] (3); and nothing
//! panics or hangs (6).
//!
//! Submodules: `repository` (every JSON file of the repository, a 10,000-node flow),
//! `hostile` (hand-picked inputs, each with its exact outcome), `deserialize` (types
//! through both deserializers), `mutated` (seeded mutations) and `generated` (random
//! documents written two ways). The large sweeps are `#[ignore]`d; run them with
//! `cargo test --release --lib load::tape -- --include-ignored`.

use std::any::type_name;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Deserialize;
use serde_json::{Number, Value};

use super::*;
use crate::load::parse_json;
use crate::load::view::{JsonView, Shape};

mod deserialize;
mod generated;
mod hostile;
mod mutated;
mod repository;

#[test]
fn a_small_document_reads_as_the_strict_parse_does() {
    let text = r#"{"a": [1, -2, 3.5, "x\u00e9\n", true, null, {}], "b": {"c": []}}"#;
    let tape = Tape::parse(text).expect("read");
    assert_eq!(
        tape.root().to_value(),
        crate::load::parse_json(text).unwrap()
    );
}

/// What the tape did with a text, the strict parse judging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Read, as the strict parse reads it.
    Read,
    /// Declined a text the strict parse accepts, for this reason of [`decline_reason`].
    Declined(&'static str),
    /// Declined a text the strict parse refuses.
    Refused,
}

const DEEP: &str = "nesting over MAX_DEPTH";
const MINUS_ZERO: &str = "integer literal -0";
const PAST_64_BITS: &str = "integer literal past 64 bits";

/// Why the tape may decline `text`, a text the strict parse accepts. The declines by design:
/// nesting over [`MAX_DEPTH`] (the strict parse allows 127 levels), the integer literal
/// `-0` and integer literals past 64 bits that a float holds exactly (serde_json reads
/// both as floats). (Texts over 4 GiB are the fourth; no test builds one.)
fn decline_reason(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    let (mut depth, mut deepest, mut number) = (0usize, 0usize, None);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                i += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let literal = &text[start..i];
                if !literal.contains(['.', 'e', 'E']) {
                    if literal == "-0" {
                        number = number.or(Some(MINUS_ZERO));
                    } else if literal.parse::<u64>().is_err() && literal.parse::<i64>().is_err() {
                        number = number.or(Some(PAST_64_BITS));
                    }
                }
            }
            _ => i += 1,
        }
    }
    if deepest > MAX_DEPTH {
        Some(DEEP)
    } else {
        number
    }
}

/// A text for a message: quoted, and cut when long.
fn shown(text: &str) -> String {
    if text.len() <= 400 {
        return format!("{text:?}");
    }
    let mut cut = 400;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{:?}… ({} bytes)", &text[..cut], text.len())
}

/// Checks every contract on `text` and says what the tape did; panics, naming the input, on
/// a broken contract, on a decline without a reason and on a panic of the tape.
fn check(text: &str) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| check_unguarded(text))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            panic!("{message}\n  on input {}", shown(text))
        }
    }
}

fn check_unguarded(text: &str) -> Outcome {
    let strict = parse_json(text);
    let Some(tape) = Tape::parse(text) else {
        return match strict {
            Ok(_) => Outcome::Declined(
                decline_reason(text).expect("the tape declined a valid text for no reason"),
            ),
            Err(_) => Outcome::Refused,
        };
    };
    let value = match strict {
        Ok(v) => v,
        Err(d) => panic!(
            "contract 1: the tape read a text the strict parse refuses ({})",
            d.message
        ),
    };
    same_value(tape.root(), &value);
    if value.get("nodes").is_some() {
        same_de::<crate::model::Flow>(tape.root(), &value);
    }
    Outcome::Read
}

/// Contracts 2, 4 (for `Value`) and 5 on a read text.
fn same_value(tape: TapeRef<'_>, value: &Value) {
    let read = tape.to_value();
    assert_eq!(&read, value, "contract 2: to_value");
    // (`Map`'s equality ignores order, and `Number`'s takes -0.0 for 0.0.)
    assert_eq!(
        serde_json::to_string(&read).unwrap(),
        serde_json::to_string(value).unwrap(),
        "contract 2: to_value, as text"
    );
    let deserialized = Value::deserialize(tape).expect("contract 4: Value from the tape");
    assert_eq!(
        serde_json::to_string(&deserialized).unwrap(),
        serde_json::to_string(value).unwrap(),
        "contract 4: Value from the tape, as text"
    );
    same_view(tape, value);
}

/// What a view shows of a value without descending: kind, scalar, length and keys (for a
/// message).
fn summary<'a, V: JsonView<'a>>(v: V) -> String {
    match v.shape() {
        Shape::Null => "null".to_string(),
        Shape::Bool(b) => b.to_string(),
        Shape::Number(n) => format!("{} {n}", number_kind(&n)),
        Shape::String(s) => format!("{s:?}"),
        Shape::Array(len, items) => format!("array of {len} (iterates {})", items.count()),
        Shape::Object(len, members) => format!(
            "object of {len}: {:?}",
            members.map(|(k, _)| k).collect::<Vec<_>>()
        ),
    }
}

fn number_kind(n: &Number) -> &'static str {
    if n.is_u64() {
        "u64"
    } else if n.is_i64() {
        "i64"
    } else {
        "f64"
    }
}

/// A value's kind and scalar or length, for a cheap comparison.
#[derive(Debug, PartialEq)]
enum Flat<'a> {
    Null,
    Bool(bool),
    /// Kind, and the float's bits or the integer.
    Number(&'static str, u64),
    String(&'a str),
    Array(usize),
    Object(usize),
}

fn flat<'a, V: JsonView<'a>>(v: V) -> Flat<'a> {
    match v.shape() {
        Shape::Null => Flat::Null,
        Shape::Bool(b) => Flat::Bool(b),
        Shape::Number(n) => Flat::Number(
            number_kind(&n),
            n.as_u64()
                .or(n.as_i64().map(|i| i as u64))
                .or(n.as_f64().map(f64::to_bits))
                .unwrap(),
        ),
        Shape::String(s) => Flat::String(s),
        Shape::Array(len, _) => Flat::Array(len),
        Shape::Object(len, _) => Flat::Object(len),
    }
}

/// Contract 5: `shape` and `member` agree between two views, recursively (number kinds, a
/// float's sign and key order included).
fn same_view<'a, 'b, A: JsonView<'a>, B: JsonView<'b>>(a: A, b: B) {
    if let Err(at) = same_view_at(a, b) {
        panic!("contract 5: the views differ at {at}");
    }
}

/// [`same_view`], with the path of the first difference as the error.
fn same_view_at<'a, 'b, A: JsonView<'a>, B: JsonView<'b>>(a: A, b: B) -> Result<(), String> {
    let differ = || Err(format!(": {} against {}", summary(a), summary(b)));
    if flat(a) != flat(b) || a.member("").is_some() != b.member("").is_some() {
        return differ();
    }
    match (a.shape(), b.shape()) {
        (Shape::Array(len, xs), Shape::Array(_, ys)) => {
            if xs.size_hint() != (len, Some(len)) || xs.clone().count() != len {
                return differ();
            }
            for (i, (x, y)) in xs.zip(ys).enumerate() {
                same_view_at(x, y).map_err(|e| format!("[{i}]{e}"))?;
            }
        }
        (Shape::Object(len, xs), Shape::Object(_, ys)) => {
            let mut count = 0;
            for ((k, x), (l, y)) in xs.zip(ys) {
                count += 1;
                if k != l {
                    return differ();
                }
                // (The tape's `member` scans: looked up at the ends of a large object only.)
                if (count <= 64 || count + 64 > len)
                    && (a.member(k).map(flat), b.member(k).map(flat))
                        != (Some(flat(x)), Some(flat(y)))
                {
                    return differ();
                }
                same_view_at(x, y).map_err(|e| format!(".{k:?}{e}"))?;
            }
            if count != len || a.member("\u{0}absent").is_some() {
                return differ();
            }
        }
        _ => {}
    }
    Ok(())
}

/// Contract 4 for one type: `T` from the tape and from the value both fail, or both give
/// the same. Returns whether they succeeded.
fn same_de<'a, T>(tape: TapeRef<'a>, value: &'a Value) -> bool
where
    T: Deserialize<'a> + PartialEq + Debug,
{
    let from_tape = T::deserialize(tape);
    let from_value = T::deserialize(value);
    match (&from_tape, &from_value) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "contract 4: {} from {value}", type_name::<T>()),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "contract 4: {} from {}: tape {from_tape:?}, value {from_value:?}",
            type_name::<T>(),
            shown(&value.to_string())
        ),
    }
    from_value.is_ok()
}

/// The tape of a text that must be read (with the strict parse's value).
fn read(text: &str) -> (Tape<'_>, Value) {
    assert_eq!(check(text), Outcome::Read, "{}", shown(text));
    (Tape::parse(text).unwrap(), parse_json(text).unwrap())
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // A decline is checked against its reason: the reasons themselves.
    assert_eq!(decline_reason("[1, 2.5, \"-0\"]"), None);
    assert_eq!(decline_reason("[-0]"), Some(MINUS_ZERO));
    assert_eq!(decline_reason("[-0.0, 1e400]"), None);
    assert_eq!(
        decline_reason("{\"a\": 18446744073709551616}"),
        Some(PAST_64_BITS)
    );
    assert_eq!(decline_reason("-9223372036854775808"), None);
    let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
    assert_eq!(decline_reason(&nest(MAX_DEPTH)), None);
    assert_eq!(decline_reason(&nest(MAX_DEPTH + 1)), Some(DEEP));
    // The walker sees what equality does not: order, and the kind of a number.
    let ordered = parse_json(r#"{"a": 1, "b": 2}"#).unwrap();
    let reversed = parse_json(r#"{"b": 2, "a": 1}"#).unwrap();
    assert_eq!(ordered, reversed, "Map's equality ignores order");
    let walk = |a: &Value, b: &Value| same_view_at(a, b).is_err();
    assert!(walk(&ordered, &reversed));
    assert!(walk(&serde_json::json!([1]), &serde_json::json!([1.0])));
    assert!(walk(&serde_json::json!(0.0), &serde_json::json!(-0.0)));
    assert!(!walk(&ordered, &ordered));
}

#[test]
fn nodes_are_12_bytes() {
    assert_eq!(std::mem::size_of::<Node>(), 12);
}

/// The eight-byte scan of a string's plain text finds the byte a byte-by-byte scan finds:
/// every byte value at every position among plain bytes, and seeded words mixing plain,
/// special and high (non-ASCII, 0x7F) bytes, so that the borrows of earlier hits can show.
#[test]
fn first_special_agrees_with_bytes() {
    let bytewise = |word: u64| {
        word.to_le_bytes()
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
    };
    for pos in 0..8 {
        for c in 0..=255u8 {
            let mut bytes = [b'a'; 8];
            bytes[pos] = c;
            let word = u64::from_le_bytes(bytes);
            assert_eq!(first_special(word), bytewise(word), "{bytes:?}");
        }
    }
    let palette = [
        b'a', b'Z', b' ', b'"', b'\\', 0, 1, 0x1F, 0x20, 0x21, 0x5B, 0x5D, 0x7F, 0x80, 0xA0, 0xC3,
        0xE2, 0xFF,
    ];
    let mut rng = crate::testing::Rng(0x5CA7);
    for _ in 0..200_000 {
        let bytes: [u8; 8] = std::array::from_fn(|_| match rng.below(3) {
            0 => palette[rng.below(palette.len())],
            _ => rng.below(256) as u8,
        });
        let word = u64::from_le_bytes(bytes);
        assert_eq!(first_special(word), bytewise(word), "{bytes:?}");
    }
}
