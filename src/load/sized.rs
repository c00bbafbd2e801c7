//! `serde_json::Value`s deserialized with their arrays and maps allocated at their final
//! size. serde_json's own `Value` visitor starts every array and map empty and grows it
//! item by item (it cannot trust a size hint from an arbitrary deserializer); the tape and
//! `&Value` give exact ones, and a flow's node configs are a few hundred thousand small
//! maps, where the regrowth was about 5 % of a 10,000-node `validate`.
//!
//! The values are exactly serde_json's (the same visitor calls make the same `Value`s; the
//! tests compare the two on every flow in the repository); hints are capped, so a
//! deserializer that overstates one costs at most [`MAX_HINT`] slots.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The largest size hint taken at its word.
const MAX_HINT: usize = 4096;

fn capacity(hint: Option<usize>) -> usize {
    hint.unwrap_or(0).min(MAX_HINT)
}

/// For `#[serde(deserialize_with)]` on an `Option<Map<String, Value>>` field: what
/// `Option::<Map<String, Value>>::deserialize` gives, sized.
pub fn optional_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Map<String, Value>>, D::Error> {
    struct OptionVisitor;
    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Map<String, Value>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("option")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(MapVisitor).map(Some)
        }
    }
    d.deserialize_option(OptionVisitor)
}

/// serde_json's `Map` visitor (`map.rs`), sized.
struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Map::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::with_capacity(capacity(map.size_hint()));
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(SizedValue)?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// A `Value`, as serde_json's `Value` visitor builds it (`value/de.rs`), sized.
#[derive(Clone, Copy)]
pub struct SizedValue;

impl<'de> DeserializeSeed<'de> for SizedValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SizedValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        serde::Deserialize::deserialize(serde::de::value::I128Deserializer::<E>::new(v))
            .map(Value::Number)
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        serde::Deserialize::deserialize(serde::de::value::U128Deserializer::<E>::new(v))
            .map(Value::Number)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(capacity(seq.size_hint()));
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        MapVisitor.visit_map(map).map(Value::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tape::Tape;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct WithSizedMap {
        #[serde(default, deserialize_with = "optional_map")]
        config: Option<Map<String, Value>>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Plain {
        #[serde(default)]
        config: Option<Map<String, Value>>,
    }

    /// Both deserializers, every JSON file of the repository's flows: the same config
    /// maps (key order included) as serde_json's own visitor, and the same verdicts on
    /// configs of every other type.
    #[test]
    fn sized_values_are_serde_jsons_values() {
        let mut texts: Vec<String> = vec![
            r#"{"config": null}"#.into(),
            r#"{}"#.into(),
            r#"{"config": {}}"#.into(),
            r#"{"config": {"a": [1, -2, 3.5, 1e300, "x", null, true, [], {}], "b": {"c": {"d": []}}}}"#.into(),
            r#"{"config": []}"#.into(),
            r#"{"config": "x"}"#.into(),
            r#"{"config": 1}"#.into(),
            r#"{"config": [["a", 1]]}"#.into(),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["examples", "fixtures", "tests/docs_examples"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "json") {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue; // (a fixture of invalid UTF-8)
                    };
                    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    for node in doc["nodes"].as_array().into_iter().flatten() {
                        texts.push(serde_json::json!({"config": node["config"]}).to_string());
                    }
                }
            }
        }
        assert!(texts.len() > 300, "{} configs", texts.len());
        for text in &texts {
            let value: Value = serde_json::from_str(text).unwrap();
            let plain = Plain::deserialize(&value);
            let sized = WithSizedMap::deserialize(&value);
            assert_eq!(sized.is_ok(), plain.is_ok(), "{text}");
            if let (Ok(p), Ok(s)) = (&plain, &sized) {
                assert_eq!(p.config, s.config, "{text}");
                // (Maps compare without order: compare the texts too.)
                assert_eq!(
                    serde_json::to_string(&p.config).unwrap(),
                    serde_json::to_string(&s.config).unwrap()
                );
            }
            if let Some(tape) = Tape::parse(text) {
                let from_tape = WithSizedMap::deserialize(tape.root());
                assert_eq!(from_tape.is_ok(), plain.is_ok(), "{text}");
                if let (Ok(p), Ok(t)) = (&plain, &from_tape) {
                    assert_eq!(
                        serde_json::to_string(&p.config).unwrap(),
                        serde_json::to_string(&t.config).unwrap()
                    );
                }
            }
        }
    }

    /// What a deserializer that is neither JSON nor the tape hands over is refused with
    /// serde's own words for an option and a map.
    #[test]
    fn foreign_input_is_refused_as_serdes_option_and_map_refuse_it() {
        use serde::de::value::{Error, StrDeserializer, UnitDeserializer};
        let ours = optional_map(StrDeserializer::<Error>::new("x")).unwrap_err();
        let theirs = Option::<Map<String, Value>>::deserialize(StrDeserializer::<Error>::new("x"))
            .unwrap_err();
        assert_eq!(ours.to_string(), theirs.to_string());
        assert!(ours.to_string().contains("expected option"), "{ours}");
        let map = MapVisitor.visit_str::<Error>("x").unwrap_err();
        assert!(map.to_string().contains("expected a map"), "{map}");
        assert_eq!(
            optional_map(UnitDeserializer::<Error>::new()).unwrap(),
            None
        );
    }

    /// Each visitor method makes serde_json's value, including those the tape and `&Value`
    /// never call (owned strings, `Some`, `None`, unit).
    #[test]
    fn every_visit_makes_serde_jsons_value() {
        use serde::de::value::{Error, StrDeserializer, StringDeserializer, UnitDeserializer};
        let s = || StringDeserializer::<Error>::new("x".to_string());
        assert_eq!(
            SizedValue.deserialize(s()).unwrap(),
            Value::deserialize(s()).unwrap()
        );
        assert_eq!(SizedValue.visit_string::<Error>("y".into()).unwrap(), "y");
        assert_eq!(
            SizedValue
                .visit_some(StrDeserializer::<Error>::new("z"))
                .unwrap(),
            "z"
        );
        assert_eq!(SizedValue.visit_none::<Error>().unwrap(), Value::Null);
        assert_eq!(SizedValue.visit_unit::<Error>().unwrap(), Value::Null);
        let unit = UnitDeserializer::<Error>::new();
        assert_eq!(SizedValue.deserialize(unit).unwrap(), Value::Null);
        assert_eq!(SizedValue.visit_bool::<Error>(true).unwrap(), true);
        assert_eq!(SizedValue.visit_f64::<Error>(0.5).unwrap(), 0.5);
        assert_eq!(
            SizedValue.visit_f64::<Error>(f64::NAN).unwrap(),
            Value::Null
        );
        assert_eq!(SizedValue.visit_str::<Error>("w").unwrap(), "w");
        // Bytes are no JSON value: refused in serde_json's words.
        let bytes = || serde::de::value::BytesDeserializer::<Error>::new(b"x");
        let ours = SizedValue.deserialize(bytes()).unwrap_err().to_string();
        assert_eq!(ours, Value::deserialize(bytes()).unwrap_err().to_string());
        assert!(ours.contains("expected any valid JSON value"), "{ours}");
    }

    /// The seed on its own: every kind of value, and sizes from the hint.
    #[test]
    fn a_sized_value_has_its_final_capacity() {
        // (Five items: grown one by one, a `Vec` would hold 8.)
        let text = r#"[1, 2, 3, {"a": 1, "b": 2}, []]"#;
        let tape = Tape::parse(text).unwrap();
        let v = SizedValue.deserialize(tape.root()).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
        let Value::Array(items) = &v else { panic!() };
        assert_eq!(items.capacity(), 5);
        assert_eq!(capacity(Some(10_000_000)), MAX_HINT);
        assert_eq!(capacity(None), 0);
        assert_eq!(capacity(Some(3)), 3);
        let big = Value::from(u64::MAX);
        assert_eq!(SizedValue.deserialize(&big).unwrap(), big);
        let neg = Value::from(-5);
        assert_eq!(SizedValue.deserialize(&neg).unwrap(), neg);
        let i = serde::de::value::I128Deserializer::<serde_json::Error>::new(-7);
        assert_eq!(SizedValue.deserialize(i).unwrap(), Value::from(-7));
        let u = serde::de::value::U128Deserializer::<serde_json::Error>::new(7);
        assert_eq!(SizedValue.deserialize(u).unwrap(), Value::from(7u64));
        let huge = serde::de::value::U128Deserializer::<serde_json::Error>::new(u128::MAX);
        assert!(SizedValue.deserialize(huge).is_err());
    }
}
