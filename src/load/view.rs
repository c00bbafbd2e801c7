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

    /// The string, if the value is one.
    fn as_str(self) -> Option<&'a str> {
        match self.shape() {
            Shape::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if the value is one.
    fn as_number(self) -> Option<Number> {
        match self.shape() {
            Shape::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The boolean, if the value is one.
    fn as_bool(self) -> Option<bool> {
        match self.shape() {
            Shape::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An object's number of members and its members.
    fn as_object(self) -> Option<(usize, Self::Members)> {
        match self.shape() {
            Shape::Object(len, members) => Some((len, members)),
            _ => None,
        }
    }

    /// An array's length and items.
    fn as_array(self) -> Option<(usize, Self::Items)> {
        match self.shape() {
            Shape::Array(len, items) => Some((len, items)),
            _ => None,
        }
    }

    /// The value at a JSON pointer (RFC 6901), as `serde_json::Value::pointer` finds it.
    fn pointer(self, pointer: &str) -> Option<Self> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut at = self;
        for token in rest.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            at = match at.shape() {
                Shape::Object(..) => at.member(&token)?,
                Shape::Array(_, mut items) => {
                    // serde_json's index rule: no sign, no leading zero.
                    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
                        return None;
                    }
                    items.nth(token.parse().ok()?)?
                }
                _ => return None,
            };
        }
        Some(at)
    }

    /// The value as a `serde_json::Value`.
    fn to_value(self) -> Value {
        match self.shape() {
            Shape::Null => Value::Null,
            Shape::Bool(b) => Value::Bool(b),
            Shape::Number(n) => Value::Number(n),
            Shape::String(s) => Value::String(s.to_string()),
            Shape::Array(len, items) => {
                let mut out = Vec::with_capacity(len);
                out.extend(items.map(Self::to_value));
                Value::Array(out)
            }
            Shape::Object(len, members) => {
                let mut out = serde_json::Map::with_capacity(len);
                for (k, v) in members {
                    out.insert(k.to_string(), v.to_value());
                }
                Value::Object(out)
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tape::Tape;

    /// Both views find what `Value::pointer` finds, and read the same scalars.
    #[test]
    fn both_views_resolve_pointers_as_serde_json_does() {
        let text = r#"{"a": [10, {"b~c/d": true}], "": {"": 1.5}, "e": "x", "n": null,
            "m~1": 2, "0": {"00": -3}}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let tape = Tape::parse(text).unwrap();
        let pointers = [
            "",
            "/a",
            "/a/0",
            "/a/1",
            "/a/1/b~0c~1d",
            "/a/01",
            "/a/+1",
            "/a/2",
            "/a/-1",
            "/",
            "//",
            "/e",
            "/e/0",
            "/n",
            "/m~01",
            "/m~1",
            "/0/00",
            "/0/0",
            "a",
            "/a/1/b~c/d",
            "/~2",
        ];
        for p in pointers {
            let want = value.pointer(p);
            assert_eq!(
                JsonView::pointer(&value, p)
                    .map(JsonView::to_value)
                    .as_ref(),
                want,
                "{p}"
            );
            assert_eq!(
                tape.root().pointer(p).map(JsonView::to_value).as_ref(),
                want,
                "{p}"
            );
        }
        let root = tape.root();
        assert_eq!(root.member("e").and_then(JsonView::as_str), Some("x"));
        assert_eq!(
            root.pointer("/a/1/b~0c~1d").and_then(JsonView::as_bool),
            Some(true)
        );
        assert_eq!(
            root.pointer("/a/0").and_then(JsonView::as_number),
            Some(10.into())
        );
        assert_eq!(root.member("e").and_then(JsonView::as_number), None);
        assert_eq!(root.member("e").and_then(JsonView::as_bool), None);
        assert_eq!(root.member("n").and_then(JsonView::as_str), None);
        assert_eq!(
            root.member("a").and_then(JsonView::as_object).map(|o| o.0),
            None
        );
        assert_eq!(
            root.member("a").and_then(JsonView::as_array).map(|a| a.0),
            Some(2)
        );
        assert_eq!(root.as_object().map(|o| o.0), Some(6));
        assert_eq!(root.as_array().map(|a| a.0), None);
        assert_eq!(root.to_value(), value);
        assert_eq!((&value).to_value(), value);
    }
}
