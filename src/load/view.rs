//! A read-only view of a parsed JSON value, so that a reader of documents (the fast schema
//! check) works the same on a `serde_json::Value` tree and on a [`Tape`](super::tape::Tape).

use serde_json::{Number, Value};

/// A JSON value read through a view: a `&serde_json::Value`, or a node of a tape.
pub trait JsonView<'a>: Copy + 'a {
    /// The items of an array, in order.
    type Items: Iterator<Item = Self> + Clone;
    /// The members of an object, in the document's order.
    type Members: Iterator<Item = (&'a str, Self)>;

    /// What the value is.
    fn shape(self) -> Shape<'a, Self>;

    /// The member `key` of an object (`None` for a missing key or a value that is not an
    /// object).
    fn member(self, key: &str) -> Option<Self>;
}

/// A value's kind and contents, as a [`JsonView`] shows it.
pub enum Shape<'a, V: JsonView<'a>> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    /// An array: its length and items.
    Array(usize, V::Items),
    /// An object: its number of members and the members.
    Object(usize, V::Members),
}

type ValueMembers<'a> =
    std::iter::Map<serde_json::map::Iter<'a>, fn((&'a String, &'a Value)) -> (&'a str, &'a Value)>;

fn member_str<'a>((k, v): (&'a String, &'a Value)) -> (&'a str, &'a Value) {
    (k.as_str(), v)
}

impl<'a> JsonView<'a> for &'a Value {
    type Items = std::slice::Iter<'a, Value>;
    type Members = ValueMembers<'a>;

    fn shape(self) -> Shape<'a, Self> {
        match self {
            Value::Null => Shape::Null,
            Value::Bool(b) => Shape::Bool(*b),
            Value::Number(n) => Shape::Number(n.clone()),
            Value::String(s) => Shape::String(s),
            Value::Array(a) => Shape::Array(a.len(), a.iter()),
            Value::Object(m) => Shape::Object(m.len(), m.iter().map(member_str as fn(_) -> _)),
        }
    }

    fn member(self, key: &str) -> Option<Self> {
        let m = self.as_object()?;
        // A scan of a small map is cheaper than hashing the key.
        if m.len() <= 8 {
            m.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
        } else {
            m.get(key)
        }
    }
}
