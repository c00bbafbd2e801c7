//! Contract 4: a type deserializes from the tape exactly as from the strict parse's `Value`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde_json::Map;

use super::*;
use crate::model;

#[derive(Debug, PartialEq, Deserialize)]
enum Enum {
    Unit,
    Newtype(i64),
    Tuple(u8, String),
    Struct { a: Option<bool>, b: Vec<u32> },
    Empty(),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    Items(Vec<Untagged>),
    Members(BTreeMap<String, Untagged>),
    Null(()),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Shapes {
    Point { x: f32, y: f32 },
    Pair(u8, u8),
    Name(char),
    Wrapped(Box<Shapes>, Option<u8>),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type")]
enum Internal {
    A { n: i8 },
    B(BTreeMap<String, Value>),
    C,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    A(u8),
    B { s: String },
    C,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Small {
    a: u8,
    b: i8,
    c: f32,
    #[serde(default)]
    d: Option<char>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Closed {
    a: u8,
    #[serde(default, rename = "b-b")]
    b: Option<Vec<()>>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Flat {
    a: Option<Value>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Skipping {
    #[serde(default)]
    a: Option<i64>,
    #[serde(skip)]
    skipped: Vec<u8>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Borrowing<'a> {
    #[serde(borrow)]
    a: &'a str,
    #[serde(borrow)]
    b: Cow<'a, str>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct UnitStruct;

#[derive(Debug, PartialEq, Deserialize)]
struct Newtype(u8);

#[derive(Debug, PartialEq, Deserialize)]
struct TupleStruct(u8, String);

/// Contract 4 for every type of the list, on one value.
pub(super) fn battery(tape: TapeRef<'_>, value: &Value) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {
            $(same_de::<$t>(tape, value);)*
        };
    }
    each!(
        Value,
        Option<Value>,
        Vec<Value>,
        Map<String, Value>,
        BTreeMap<String, Value>,
        HashMap<String, u32>,
        Number,
        String,
        &str,
        Cow<str>,
        Box<str>,
        char,
        bool,
        (),
        UnitStruct,
        Newtype,
        TupleStruct,
        u8,
        i8,
        u16,
        i32,
        u64,
        i64,
        u128,
        i128,
        f32,
        f64,
        IgnoredAny,
        Option<Option<bool>>,
        Vec<Option<u8>>,
        (Value,),
        (u8, String, bool),
        [i64; 2],
        Vec<String>,
        Vec<u8>,
        Enum,
        Vec<Enum>,
        BTreeMap<String, Enum>,
        Untagged,
        Shapes,
        Internal,
        Adjacent,
        Small,
        Closed,
        Flat,
        Skipping,
        Borrowing,
        model::Flow,
        Vec<model::Node>,
        model::Node,
        model::Edge,
        model::EdgeKind,
        model::NodeKind,
        model::Position,
        model::Port,
        model::ModelEntry,
        model::CoreIdentity,
        model::FlowConfig,
        model::Variable,
        model::Duration,
        model::LogicLoopConfig,
        model::ToolPluginConfig,
        model::CheckpointConfig,
        model::ComputeExecConfig,
    );
}

/// Contract 4 for `T` on `text`, with the expected success.
fn agrees<T>(text: &str, ok: bool)
where
    T: for<'a> Deserialize<'a> + PartialEq + Debug,
{
    let (tape, value) = read(text);
    assert_eq!(
        same_de::<T>(tape.root(), &value),
        ok,
        "{} from {text}",
        type_name::<T>()
    );
    battery(tape.root(), &value);
}

#[test]
fn enums_deserialize_in_every_form() {
    for (text, ok) in [
        (r#""Unit""#, true),
        (r#"{"Unit": null}"#, true),
        (r#"{"Unit": 1}"#, false),
        (r#"{"Unit": []}"#, false),
        (r#""Newtype""#, false),
        (r#"{"Newtype": -5}"#, true),
        (r#"{"Newtype": 5.5}"#, false),
        (r#"{"Tuple": [1, "x"]}"#, true),
        (r#"{"Tuple": [1]}"#, false),
        (r#"{"Tuple": [1, "x", 2]}"#, false),
        (r#"{"Tuple": []}"#, false),
        (r#"{"Tuple": {"0": 1}}"#, false),
        (r#""Tuple""#, false),
        (r#"{"Struct": {"b": [1, 2]}}"#, true),
        (r#"{"Struct": {"a": true, "b": []}}"#, true),
        (r#"{"Struct": [null, [3]]}"#, false),
        (r#"{"Struct": {"a": true}}"#, false),
        (r#""Struct""#, false),
        (r#"{"Empty": []}"#, false),
        (r#"{"Empty": [1]}"#, false),
        (r#"{"Unknown": null}"#, false),
        (r#""Unknown""#, false),
        (r#"{}"#, false),
        (r#"{"Unit": null, "Newtype": 1}"#, false),
        (r#"5"#, false),
        (r#"null"#, false),
        (r#"["Unit"]"#, false),
        (r#"{"\u0055nit": null}"#, true),
    ] {
        agrees::<Enum>(text, ok);
    }
    agrees::<Vec<Enum>>(r#"["Unit", {"Newtype": 1}, {"Tuple": [2, "y"]}]"#, true);
}

#[test]
fn untagged_and_tagged_enums_buffer_the_same_content() {
    for (text, ok) in [
        ("true", true),
        ("18446744073709551615", true),
        ("-9223372036854775808", true),
        ("1.5e300", true),
        ("-0.0", true),
        (r#""text \u00e9""#, true),
        (r#"[1, [2, {"a": null}]]"#, true),
        (r#"{"b": 1, "a": {"c": "d"}}"#, true),
        ("null", true),
    ] {
        agrees::<Untagged>(text, ok);
    }
    for (text, ok) in [
        (r#"{"x": 1, "y": 2.5}"#, true),
        (r#"{"y": 1, "x": 1e39}"#, true),
        ("[1, 2]", true),
        ("[1, 256]", false),
        (r#""c""#, true),
        (r#""cc""#, false),
        (r#"[[1, 2], null]"#, true),
        (r#"[{"x": 1, "y": 1}, 7]"#, true),
        (r#"{"x": "1", "y": 2}"#, false),
    ] {
        agrees::<Shapes>(text, ok);
    }
    for (text, ok) in [
        (r#"{"type": "A", "n": -128}"#, true),
        (r#"{"n": 127, "type": "A"}"#, true),
        (r#"{"type": "A", "n": 128}"#, false),
        (r#"{"type": "B", "x": [1], "y": {"z": null}}"#, true),
        (r#"{"type": "C"}"#, true),
        (r#"{"type": "D"}"#, false),
        (r#"{"n": 1}"#, false),
        (r#"["A", 1]"#, true),
    ] {
        agrees::<Internal>(text, ok);
    }
    for (text, ok) in [
        (r#"{"t": "A", "c": 255}"#, true),
        (r#"{"c": 0, "t": "A"}"#, true),
        (r#"{"t": "A", "c": -1}"#, false),
        (r#"{"t": "B", "c": {"s": "\ud83d\ude00"}}"#, true),
        (r#"{"t": "C"}"#, true),
        (r#"{"t": "C", "c": null}"#, true),
        (r#"["A", 1]"#, true),
    ] {
        agrees::<Adjacent>(text, ok);
    }
}

#[test]
fn structs_read_from_objects_and_arrays_with_range_checks() {
    for (text, ok) in [
        (r#"{"a": 255, "b": -128, "c": 1.5}"#, true),
        (r#"{"a": 256, "b": 0, "c": 0}"#, false),
        (r#"{"a": -1, "b": 0, "c": 0}"#, false),
        (r#"{"a": 1.0, "b": 0, "c": 0}"#, false),
        (r#"{"a": 0, "b": -129, "c": 0}"#, false),
        (r#"{"a": 0, "b": 127, "c": 1e300}"#, true),
        (r#"{"a": 0, "b": 0, "c": -3.4028235e38, "d": "x"}"#, true),
        (r#"{"a": 0, "b": 0, "c": 0, "d": "xy"}"#, false),
        (r#"{"a": 0, "b": 0, "c": 0, "d": "\ud83d\ude00"}"#, true),
        (r#"{"a": 0, "b": 0, "c": 0, "d": null}"#, true),
        (r#"{"a": 0, "b": 0, "c": 0, "e": [1]}"#, true),
        (r#"{"a": 0, "b": 0}"#, false),
        ("[1, 2, 3]", true),
        (r#"[1, 2, 3, "z"]"#, true),
        (r#"[1, 2, 3, "z", 5]"#, false),
        ("[1, 2]", false),
        ("[]", false),
        ("1", false),
    ] {
        agrees::<Small>(text, ok);
    }
    for (text, ok) in [
        (r#"{"a": 1}"#, true),
        (r#"{"a": 1, "b-b": [null, null]}"#, true),
        (r#"{"a": 1, "b-b": [0]}"#, false),
        (r#"{"a": 1, "c": 0}"#, false),
        (r#"{"a": 1, "b\u002db": []}"#, true),
    ] {
        agrees::<Closed>(text, ok);
    }
    agrees::<Flat>(r#"{"z": 1, "a": [2], "b": {"c": -0.0}}"#, true);
    agrees::<Skipping>(r#"{"skipped": [1], "a": -1, "x": "y"}"#, true);
    agrees::<Skipping>(r#"{"a": "1"}"#, false);
    agrees::<UnitStruct>("null", true);
    agrees::<UnitStruct>("[]", false);
    agrees::<()>("null", true);
    agrees::<()>("0", false);
    agrees::<Newtype>("7", true);
    agrees::<Newtype>("[7]", false);
    agrees::<TupleStruct>(r#"[7, "x"]"#, true);
    agrees::<TupleStruct>(r#"{"0": 7, "1": "x"}"#, false);
    agrees::<(u8, String, bool)>(r#"[1, "\n", false]"#, true);
    agrees::<(u8, String, bool)>(r#"[1, "\n"]"#, false);
    agrees::<[i64; 2]>("[-1, 9223372036854775807]", true);
    agrees::<[i64; 2]>("[-1, 9223372036854775808]", false);
    agrees::<char>(r#""\u00e9""#, true);
    agrees::<char>(r#""""#, false);
    agrees::<char>("1", false);
    agrees::<f32>("1e39", true);
    agrees::<f32>("16777217", true);
    agrees::<u128>("18446744073709551615", true);
    agrees::<i128>("-9223372036854775808", true);
    agrees::<Option<Vec<u8>>>("null", true);
    agrees::<Option<Vec<u8>>>("[0, 255]", true);
    agrees::<Vec<u8>>(r#""bytes""#, false);
    agrees::<IgnoredAny>(r#"{"a": [1, {"b": null}]}"#, true);
    agrees::<BTreeMap<String, Value>>(r#"{"b": 1, "a": 2, "\u0000": 3}"#, true);
    agrees::<BTreeMap<String, Value>>("[1]", false);
}

#[test]
fn borrowed_strings_borrow_from_the_tape_even_when_escaped() {
    let text = r#"{"a": "plain", "b": "esc\"aped"}"#;
    let (tape, value) = read(text);
    assert!(same_de::<Borrowing>(tape.root(), &value));
    let b = Borrowing::deserialize(tape.root()).unwrap();
    assert_eq!((b.a, &*b.b), ("plain", "esc\"aped"));
    let escaped = r#"{"a": "\u0041", "b": "x"}"#;
    let (tape, value) = read(escaped);
    assert_eq!(
        Borrowing::deserialize(tape.root()).unwrap().a,
        Borrowing::deserialize(&value).unwrap().a
    );
}

#[test]
fn flows_and_nodes_deserialize_from_the_tape_as_from_the_value() {
    let flow = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/customer-support.flow.json"
    ))
    .unwrap();
    let (tape, value) = read(&flow);
    assert!(same_de::<model::Flow>(tape.root(), &value));
    let from_tape = model::Flow::deserialize(tape.root()).unwrap();
    assert!(!from_tape.nodes.is_empty());
    assert!(from_tape.source_keys.is_empty(), "#[serde(skip)]");
    assert!(same_de::<Vec<model::Node>>(
        tape.root().member("nodes").unwrap(),
        &value["nodes"]
    ));
    // A flow with a wrong member type fails on both sides.
    let broken = flow.replacen("\"version\": \"", "\"version\": 1, \"v\": \"", 1);
    let (tape, value) = read(&broken);
    assert!(!same_de::<model::Flow>(tape.root(), &value));
    // Flattened extras keep their values and order.
    let (tape, value) =
        read(r#"{"role": "r", "ref": "p", "model": "m", "z": 1, "temperature": 0.5, "a": [true]}"#);
    assert!(same_de::<model::ModelEntry>(tape.root(), &value));
    let entry = model::ModelEntry::deserialize(tape.root()).unwrap();
    assert_eq!(entry.extra.keys().collect::<Vec<_>>(), ["z", "a"]);
}

/// Map keys go through serde_json's `MapKeyDeserializer` on the `Value` side, which also
/// reads a key as a number, a bool, an `Option` or a newtype; the tape gives a plain
/// borrowed string (its module documentation names integer keys, "which no flow type
/// has"). The keys that agree, and the known divergences, pinned: when the tape learns a
/// kind of key, this test fails and the case moves to the agreeing list.
#[test]
fn map_keys_agree_for_string_like_and_parsed_keys() {
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
    enum Key {
        A,
        #[serde(rename = "1")]
        One,
    }
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
    struct Wrapped(String);

    let (tape, value) = read(r#"{"A": 1, "1": 2}"#);
    assert!(same_de::<BTreeMap<Key, u8>>(tape.root(), &value));
    assert!(same_de::<BTreeMap<Cow<str>, u8>>(tape.root(), &value));
    assert!(same_de::<BTreeMap<Box<str>, u8>>(tape.root(), &value));
    let (tape, value) = read(r#"{"a": 1, "\u00e9": 2}"#);
    assert!(same_de::<BTreeMap<char, u8>>(tape.root(), &value));

    // Keys parsed as numbers, bools, options and newtypes (serde_json's key deserializer),
    // each read on both sides: `true` where both succeed, `false` where both fail.
    fn agree<T: for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(text: &str) -> bool {
        let (tape, value) = read(text);
        let (t, v) = (T::deserialize(tape.root()), T::deserialize(&value));
        assert_eq!(t.is_ok(), v.is_ok(), "{text}: {t:?} / {v:?}");
        if let (Ok(t), Ok(v)) = (&t, &v) {
            assert_eq!(t, v, "{text}");
        }
        t.is_ok()
    }
    assert!(agree::<BTreeMap<i32, u8>>(r#"{"1": 0, "-2": 0}"#));
    assert!(agree::<BTreeMap<u64, u8>>(r#"{"18446744073709551615": 0}"#));
    assert!(agree::<BTreeMap<i128, u8>>(
        r#"{"-170141183460469231731687303715884105728": 0}"#
    ));
    assert!(agree::<BTreeMap<u128, u8>>(
        r#"{"340282366920938463463374607431768211455": 0}"#
    ));
    assert!(agree::<Vec<(f64, u8)>>(r#"[[1.5, 0]]"#));
    assert!(agree::<std::collections::HashMap<String, u8>>(
        r#"{"1.5": 0}"#
    ));
    assert!(agree::<BTreeMap<bool, u8>>(r#"{"true": 0, "false": 1}"#));
    assert!(agree::<BTreeMap<Option<String>, u8>>(r#"{"k": 0}"#));
    assert!(agree::<BTreeMap<Wrapped, u8>>(r#"{"k": 0}"#));
    for bad in [
        r#"{"1 ": 0}"#,
        r#"{" 1": 0}"#,
        r#"{"01": 0}"#,
        r#"{"-": 0}"#,
        r#"{"1e2": 0}"#,
        r#"{"+1": 0}"#,
        r#"{"1x": 0}"#,
        r#"{"": 0}"#,
    ] {
        assert!(!agree::<BTreeMap<i32, u8>>(bad), "{bad}");
    }
    assert!(!agree::<BTreeMap<u8, u8>>(r#"{"256": 0}"#));
    assert!(!agree::<BTreeMap<bool, u8>>(r#"{"True": 0}"#));
    // Float keys, compared bit for bit.
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Bits(u64);
    impl<'de> Deserialize<'de> for Bits {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            f64::deserialize(d).map(|x| Bits(x.to_bits()))
        }
    }
    for key in [
        "1.5",
        "1e2",
        "-0",
        "-0.0",
        "0.1",
        "123456789.123456789e-300",
    ] {
        assert!(
            agree::<BTreeMap<Bits, u8>>(&format!(r#"{{"{key}": 0}}"#)),
            "{key}"
        );
    }
    assert!(!agree::<BTreeMap<Bits, u8>>(r#"{"1e999": 0}"#));
}

/// `deserialize_bytes` (and `byte_buf`) hand a string or an array to the visitor, as
/// `&Value`'s deserializer does; anything else is an error on both.
#[test]
fn bytes_come_from_strings_and_arrays_on_both() {
    #[derive(Debug, PartialEq)]
    struct Bytes(Vec<u8>);
    impl<'de> Deserialize<'de> for Bytes {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_str<E>(self, s: &str) -> Result<Bytes, E> {
                    Ok(Bytes(s.as_bytes().to_vec()))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<Bytes, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element()? {
                        out.push(b);
                    }
                    Ok(Bytes(out))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }
    for (text, expected) in [
        ("[1, 2, 3]", Some(vec![1, 2, 3])),
        (r#""ab""#, Some(b"ab".to_vec())),
        ("[]", Some(vec![])),
        ("1", None),
        ("null", None),
        ("{}", None),
    ] {
        let (tape, value) = read(text);
        let t = Bytes::deserialize(tape.root()).ok().map(|b| b.0);
        let v = Bytes::deserialize(&value).ok().map(|b| b.0);
        assert_eq!(t, expected, "{text}");
        assert_eq!(v, expected, "{text}");
    }
}

/// A number is held in its node from 0 to `u32::MAX` and in the side table past either
/// end; both read back as the strict parse reads them, into every type of the battery.
#[test]
fn numbers_read_the_same_on_both_sides_of_the_inline_range() {
    for (text, inline) in [
        ("0", true),
        ("7", true),
        ("4294967295", true),
        ("4294967296", false),
        ("18446744073709551615", false),
        ("-1", false),
        ("-4294967296", false),
        ("-9223372036854775808", false),
        ("0.5", false),
        ("-0.0", false),
        ("1e3", false),
        ("1.0", false),
        ("12345678901234567890", false),
    ] {
        let (tape, value) = read(text);
        let node = tape.root().node();
        assert_eq!(matches!(node, Node::Small(_)), inline, "{text}: {node:?}");
        assert!(
            inline || matches!(node, Node::Number(_)),
            "{text}: {node:?}"
        );
        battery(tape.root(), &value);
        let list = format!("[{text}, {text}]");
        let (tape, value) = read(&list);
        battery(tape.root(), &value);
    }
}
