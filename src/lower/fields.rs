//! [`Fields`]: a lowered step's fields, borrowed from the node's config.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// A step's fields or a call's arguments, in order: a map whose keys and values borrow from
/// the node's config where they are its own (a value the compiler makes, like a
/// checkpoint's default `type`, is owned). The emitters write it as the map it stands
/// for; the IR, which owns its values, takes it as one ([`Fields::into_map`]). Borrowing
/// instead of copying every picked value out of the config halved the lowered core of a
/// 10,000-node flow (docs/performance.md, "What emission does not read"); an entry of four
/// words instead of twelve, and a list at its size, took 1.9 MB more off it ("Fields at
/// their size, and the allocator's threshold").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields<'a> {
    entries: Vec<(&'a str, Slot<'a>)>,
}

/// A field's value: 16 bytes, where a `Cow<Value>` is 80 (the owned ones, few, are boxed).
#[derive(Debug, Clone)]
enum Slot<'a> {
    Borrowed(&'a Value),
    Owned(Box<Value>),
}

impl<'a> Slot<'a> {
    fn of(value: Cow<'a, Value>) -> Self {
        match value {
            Cow::Borrowed(v) => Slot::Borrowed(v),
            Cow::Owned(v) => Slot::Owned(Box::new(v)),
        }
    }

    fn as_value(&self) -> &Value {
        match self {
            Slot::Borrowed(v) => v,
            Slot::Owned(v) => v,
        }
    }

    fn into_owned(self) -> Value {
        match self {
            Slot::Borrowed(v) => v.clone(),
            Slot::Owned(v) => *v,
        }
    }
}

/// Equal when the values are, borrowed or owned (as `Cow`'s equality).
impl PartialEq for Slot<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_value() == other.as_value()
    }
}

impl<'a> Fields<'a> {
    /// No fields.
    pub fn new() -> Self {
        Fields {
            entries: Vec::new(),
        }
    }

    /// No fields yet, with room for `n` (fields are built at their size, not grown to it:
    /// a grown list starts with room for four).
    pub fn with_capacity(n: usize) -> Self {
        Fields {
            entries: Vec::with_capacity(n),
        }
    }

    /// Every entry of `map`, borrowed.
    pub fn of(map: &'a Map<String, Value>) -> Self {
        // (Sized first: `collect` would leave room for at least four.)
        let mut entries = Vec::with_capacity(map.len());
        entries.extend(map.iter().map(|(k, v)| (k.as_str(), Slot::Borrowed(v))));
        Fields { entries }
    }

    /// Inserts or replaces `key` with `serde_json::Map`'s semantics: a replaced key keeps
    /// its first position.
    pub fn insert(&mut self, key: &'a str, value: Cow<'a, Value>) {
        self.put(key, Slot::of(value));
    }

    fn put(&mut self, key: &'a str, value: Slot<'a>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The field `head` first, when there is one, then every entry of `rest` ([`Fields::extend`]:
    /// a key of `rest` that is `head`'s replaces its value in its place); built at its size.
    pub fn after(head: Option<(&'a str, Cow<'a, Value>)>, rest: Fields<'a>) -> Self {
        let mut fields = Fields::with_capacity(usize::from(head.is_some()) + rest.len());
        if let Some((k, v)) = head {
            fields.insert(k, v);
        }
        fields.extend(rest);
        fields
    }

    /// Inserts every entry of `other`, in order ([`Fields::insert`] each).
    pub fn extend(&mut self, other: Fields<'a>) {
        self.entries.reserve_exact(other.entries.len());
        for (k, v) in other.entries {
            self.put(k, v);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_value())
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
        self.entries.iter().map(|(k, v)| (*k, v.as_value()))
    }

    /// The entries, owning their keys and values, in order.
    pub fn into_entries(self) -> impl ExactSizeIterator<Item = (String, Value)> {
        self.entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_owned()))
    }

    /// The room the list has (to test that fields are built at their size).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.entries.capacity()
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
            map.serialize_entry(k, v.as_value())?;
        }
        map.end()
    }
}

impl<'a> FromIterator<(&'a str, Cow<'a, Value>)> for Fields<'a> {
    /// [`Fields::insert`] of each entry, in order.
    fn from_iter<I: IntoIterator<Item = (&'a str, Cow<'a, Value>)>>(entries: I) -> Self {
        let entries = entries.into_iter();
        let mut fields = Fields::with_capacity(entries.size_hint().0);
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

    /// An entry is four words: the key, and a value borrowed or boxed.
    #[test]
    fn an_entry_is_four_words() {
        assert_eq!(std::mem::size_of::<(&str, Slot)>(), 32);
    }

    /// Fields made from a map or a list, or extended by other fields, have no spare room.
    #[test]
    fn fields_are_built_at_their_size() {
        let config = map(json!({"b": 1, "a": 2, "c": 3}));
        let of = Fields::of(&config);
        assert_eq!(of.capacity(), 3);
        let listed = Fields::from_iter([("x", Cow::Owned(json!(1)))]);
        assert_eq!(listed.capacity(), 1);
        let both = Fields::after(Some(("x", Cow::Owned(json!(0)))), of);
        assert_eq!((both.len(), both.capacity()), (4, 4));
    }

    /// `after`: the head first, then the rest in order; a key of the rest that is the
    /// head's takes the head's place; no head, the rest alone.
    #[test]
    fn after_puts_the_head_first() {
        let rest = map(json!({"b": 1, "t": 2, "c": 3}));
        let keys = |f: &Fields| f.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        let headed = Fields::after(Some(("a", Cow::Owned(json!(0)))), Fields::of(&rest));
        assert_eq!(keys(&headed), ["a", "b", "t", "c"]);
        let replaced = Fields::after(Some(("t", Cow::Owned(json!(0)))), Fields::of(&rest));
        assert_eq!(keys(&replaced), ["t", "b", "c"]);
        assert_eq!(replaced.get("t"), Some(&json!(2)));
        let alone = Fields::after(None, Fields::of(&rest));
        assert_eq!(keys(&alone), ["b", "t", "c"]);
        assert_eq!(alone.capacity(), 3);
    }

    /// Borrowed and owned values are equal when the values are.
    #[test]
    fn a_borrowed_value_equals_the_same_value_owned() {
        let v = json!({"k": [1]});
        let borrowed = Fields::from_iter([("a", Cow::Borrowed(&v))]);
        let owned = Fields::from_iter([("a", Cow::Owned(v.clone()))]);
        assert_eq!(borrowed, owned);
        let other = Fields::from_iter([("a", Cow::Owned(json!({"k": [2]})))]);
        assert_ne!(borrowed, other);
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
