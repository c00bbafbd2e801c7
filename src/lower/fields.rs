//! [`Fields`]: a lowered step's fields, borrowed from the node's config.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// A step's fields or a call's arguments, in order: a map whose keys and values borrow from
/// the node's config where they are its own (a value the compiler makes, like a
/// checkpoint's default `type`, is owned). The emitters write it as the map it stands
/// for; the IR, which owns its values, takes it as one ([`Fields::into_map`]). Borrowing
/// instead of copying every picked value out of the config halved the lowered core of a
/// 10,000-node flow (docs/performance.md, "What emission does not read").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields<'a> {
    entries: Vec<(&'a str, Cow<'a, Value>)>,
}

impl<'a> Fields<'a> {
    /// No fields.
    pub fn new() -> Self {
        Fields {
            entries: Vec::new(),
        }
    }

    /// Every entry of `map`, borrowed.
    pub fn of(map: &'a Map<String, Value>) -> Self {
        Fields {
            entries: map
                .iter()
                .map(|(k, v)| (k.as_str(), Cow::Borrowed(v)))
                .collect(),
        }
    }

    /// Inserts or replaces `key` with `serde_json::Map`'s semantics: a replaced key keeps
    /// its first position.
    pub fn insert(&mut self, key: &'a str, value: Cow<'a, Value>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Inserts every entry of `other`, in order ([`Fields::insert`] each).
    pub fn extend(&mut self, other: Fields<'a>) {
        for (k, v) in other.entries {
            self.insert(k, v);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Takes `key` out, owning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.entries.iter().position(|(k, _)| *k == key)?;
        Some(self.entries.remove(at).1.into_owned())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (*k, v.as_ref()))
    }

    /// The entries, owning their keys and values, in order.
    pub fn into_entries(self) -> impl ExactSizeIterator<Item = (String, Value)> {
        self.entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_owned()))
    }

    /// The map these fields stand for, owning its keys and values.
    pub fn into_map(self) -> Map<String, Value> {
        let mut m = Map::with_capacity(self.entries.len());
        m.extend(self.into_entries());
        m
    }
}

/// Written as the map it stands for.
impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v.as_ref())?;
        }
        map.end()
    }
}

impl<'a> FromIterator<(&'a str, Cow<'a, Value>)> for Fields<'a> {
    /// [`Fields::insert`] of each entry, in order.
    fn from_iter<I: IntoIterator<Item = (&'a str, Cow<'a, Value>)>>(entries: I) -> Self {
        let mut fields = Fields::new();
        for (k, v) in entries {
            fields.insert(k, v);
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("an object"),
        }
    }

    /// Inserting, extending and removing do to the fields what they do to the map the
    /// fields stand for; the fields write and convert to that map.
    #[test]
    fn fields_behave_as_the_map_they_stand_for() {
        let config = map(json!({"b": 1, "a": {"x": [1, 2]}, "c": null}));
        let mut fields = Fields::of(&config);
        let mut want = config.clone();
        assert_eq!(fields.len(), 3);
        assert!(!fields.is_empty());

        fields.insert("z", Cow::Owned(json!("zz")));
        want.insert("z".into(), json!("zz"));
        // A replaced key keeps its place.
        fields.insert("b", Cow::Owned(json!(true)));
        want.insert("b".into(), json!(true));
        fields.extend(Fields::from_iter([
            ("a", Cow::Owned(json!(7))),
            ("y", Cow::Owned(json!([]))),
        ]));
        want.insert("a".into(), json!(7));
        want.insert("y".into(), json!([]));

        assert_eq!(fields.get("b"), Some(&json!(true)));
        assert_eq!(fields.get("c"), Some(&Value::Null));
        assert!(fields.contains_key("c"));
        assert_eq!(fields.get("nope"), None);
        assert!(!fields.contains_key("nope"));
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "a", "c", "z", "y"]);
        assert_eq!(fields.iter().len(), 5);
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        assert_eq!(fields.clone().into_map(), want);
        assert_eq!(
            fields.clone().into_entries().collect::<Vec<_>>(),
            want.clone().into_iter().collect::<Vec<_>>()
        );

        assert_eq!(fields.remove("a"), Some(json!(7)));
        assert_eq!(fields.remove("a"), None);
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["b", "c", "z", "y"]);
    }

    #[test]
    fn no_fields() {
        let none = Fields::new();
        assert!(none.is_empty());
        assert_eq!(none.len(), 0);
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
        assert_eq!(none.into_map(), Map::new());
    }
}
