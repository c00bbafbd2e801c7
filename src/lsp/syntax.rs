//! A JSON syntax tree with byte spans, for the editor features: what is under the cursor,
//! where a node or edge is. The checks themselves run on the library's own parse; this
//! tree only has to find things, so it is forgiving: text being typed (a missing comma, a
//! key without its value yet, an unclosed string or bracket) still gives a tree of what
//! is there.

use std::borrow::Cow;
use std::ops::Range;

/// Nesting deeper than this is not descended into (the library refuses such a flow anyway,
/// SF102); the parser is recursive and must not overflow the stack.
const MAX_DEPTH: usize = 256;

pub type Id = usize;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Object(Vec<Member>),
    Array(Vec<Id>),
    String,
    /// A number, `true`, `false`, `null`, or a stray word.
    Scalar,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key with its quotes.
    pub key_span: Range<usize>,
    /// `None` while the value is not written yet.
    pub value: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub span: Range<usize>,
    pub kind: Kind,
}

/// The tree of one text; the root is value 0 when the text has one.
#[derive(Debug, Default)]
pub struct Tree {
    pub values: Vec<Value>,
}

/// One step from a container to what is under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// What the cursor is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spot {
    /// A value, reached by `path` from the root.
    Value { path: Vec<Step>, id: Id },
    /// The key of an object member; `path` ends with that key.
    Key {
        path: Vec<Step>,
        object: Id,
        span: Range<usize>,
    },
}

impl Tree {
    pub fn parse(text: &str) -> Tree {
        let mut p = Parser {
            b: text.as_bytes(),
            pos: 0,
            tree: Tree::default(),
        };
        if text.starts_with('\u{feff}') {
            p.pos = 3;
        }
        p.ws();
        if p.pos < p.b.len() {
            p.value(0);
        }
        p.tree
    }

    pub fn root(&self) -> Option<Id> {
        (!self.values.is_empty()).then_some(0)
    }

    pub fn get(&self, id: Id) -> &Value {
        &self.values[id]
    }

    /// The value of `key` in the object `id`.
    pub fn member(&self, text: &str, id: Id, key: &str) -> Option<Id> {
        match &self.values[id].kind {
            Kind::Object(members) => members
                .iter()
                .find(|m| string_text(text, &m.key_span) == key)
                .and_then(|m| m.value),
            _ => None,
        }
    }

    /// The elements of the array `id` (none for anything else).
    pub fn elements(&self, id: Id) -> &[Id] {
        match &self.values[id].kind {
            Kind::Array(items) => items,
            _ => &[],
        }
    }

    pub fn members(&self, id: Id) -> &[Member] {
        match &self.values[id].kind {
            Kind::Object(m) => m,
            _ => &[],
        }
    }

    /// The decoded text of a string value (`None` for other values).
    pub fn string<'t>(&self, text: &'t str, id: Id) -> Option<Cow<'t, str>> {
        let v = &self.values[id];
        (v.kind == Kind::String).then(|| string_text(text, &v.span))
    }

    /// Follows `path` from the root.
    pub fn at_path(&self, text: &str, path: &[Step]) -> Option<Id> {
        let mut id = self.root()?;
        for step in path {
            id = match step {
                Step::Key(k) => self.member(text, id, k)?,
                Step::Index(i) => *self.elements(id).get(*i)?,
            };
        }
        Some(id)
    }

    /// The innermost key or value whose span holds `offset` (its end included, so a cursor
    /// just after a word still finds it).
    pub fn spot(&self, text: &str, offset: usize) -> Option<Spot> {
        let mut id = self.root()?;
        if !contains(&self.values[id].span, offset) {
            return None;
        }
        let mut path = Vec::new();
        'down: loop {
            match &self.values[id].kind {
                Kind::Object(members) => {
                    for m in members {
                        let key = string_text(text, &m.key_span).into_owned();
                        if contains(&m.key_span, offset) {
                            path.push(Step::Key(key));
                            return Some(Spot::Key {
                                path,
                                object: id,
                                span: m.key_span.clone(),
                            });
                        }
                        if let Some(v) = m.value
                            && contains(&self.values[v].span, offset)
                        {
                            path.push(Step::Key(key));
                            id = v;
                            continue 'down;
                        }
                    }
                }
                Kind::Array(items) => {
                    for (i, &v) in items.iter().enumerate() {
                        if contains(&self.values[v].span, offset) {
                            path.push(Step::Index(i));
                            id = v;
                            continue 'down;
                        }
                    }
                }
                Kind::String | Kind::Scalar => {}
            }
            return Some(Spot::Value { path, id });
        }
    }
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset <= span.end
}

/// The inside of a quoted span (without its quotes; an unclosed string runs to its end).
pub fn inner(text: &str, span: &Range<usize>) -> Range<usize> {
    let b = &text.as_bytes()[span.clone()];
    if b.first() != Some(&b'"') {
        return span.clone();
    }
    let mut j = 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return span.start + 1..span.start + j,
            _ => j += 1,
        }
    }
    span.start + 1..span.end
}

/// The decoded text of a quoted span.
pub fn string_text<'t>(text: &'t str, span: &Range<usize>) -> Cow<'t, str> {
    let raw = &text[inner(text, span)];
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    match serde_json::from_str::<String>(&format!("\"{raw}\"")) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(raw),
    }
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    tree: Tree,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn push(&mut self, span: Range<usize>, kind: Kind) -> Id {
        self.tree.values.push(Value { span, kind });
        self.tree.values.len() - 1
    }

    /// A string at `pos` (an opening quote); an unclosed one ends at its line's end.
    fn string_span(&mut self) -> Range<usize> {
        let start = self.pos;
        let mut j = start + 1;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                b'"' => {
                    self.pos = j + 1;
                    return start..j + 1;
                }
                b'\n' => break,
                _ => j += 1,
            }
        }
        self.pos = j.min(self.b.len());
        start..self.pos
    }

    /// Parses the value at `pos`; `None` when there is none (the container ends there).
    fn value(&mut self, depth: usize) -> Option<Id> {
        let start = self.pos;
        match *self.b.get(self.pos)? {
            b'"' => {
                let span = self.string_span();
                Some(self.push(span, Kind::String))
            }
            b'{' | b'[' if depth >= MAX_DEPTH => {
                // Not descended into: skipped whole, as one scalar.
                self.pos = self.b.len();
                Some(self.push(start..self.pos, Kind::Scalar))
            }
            b'{' => Some(self.object(depth)),
            b'[' => Some(self.array(depth)),
            b',' | b':' | b'}' | b']' => None,
            _ => {
                while self.pos < self.b.len()
                    && !matches!(
                        self.b[self.pos],
                        b',' | b':'
                            | b'}'
                            | b']'
                            | b'{'
                            | b'['
                            | b'"'
                            | b' '
                            | b'\t'
                            | b'\n'
                            | b'\r'
                    )
                {
                    self.pos += 1;
                }
                Some(self.push(start..self.pos, Kind::Scalar))
            }
        }
    }

    fn object(&mut self, depth: usize) -> Id {
        let start = self.pos;
        let id = self.push(start..start + 1, Kind::Object(Vec::new()));
        let mut members = Vec::new();
        self.pos += 1;
        loop {
            self.ws();
            match self.b.get(self.pos) {
                None => break,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(b'"') => {
                    let key_span = self.string_span();
                    self.ws();
                    let mut value = None;
                    if self.b.get(self.pos) == Some(&b':') {
                        self.pos += 1;
                        self.ws();
                        value = self.value(depth + 1);
                    }
                    members.push(Member { key_span, value });
                }
                // Anything else (a stray word, a bracket of the wrong kind): the object
                // ends here, and so do the containers around it.
                Some(_) => break,
            }
        }
        self.tree.values[id] = Value {
            span: start..self.pos,
            kind: Kind::Object(members),
        };
        id
    }

    fn array(&mut self, depth: usize) -> Id {
        let start = self.pos;
        let id = self.push(start..start + 1, Kind::Array(Vec::new()));
        let mut items = Vec::new();
        self.pos += 1;
        loop {
            self.ws();
            match self.b.get(self.pos) {
                None => break,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => match self.value(depth + 1) {
                    Some(v) => items.push(v),
                    None => break,
                },
            }
        }
        self.tree.values[id] = Value {
            span: start..self.pos,
            kind: Kind::Array(items),
        };
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spot_path(text: &str, at: &str) -> Option<Spot> {
        let tree = Tree::parse(text);
        tree.spot(text, text.find(at).unwrap() + 1)
    }

    #[test]
    fn finds_values_and_keys_by_path() {
        let text = r#"{"nodes": [{"id": "a", "type": "llm_rigid"}], "edges": []}"#;
        let tree = Tree::parse(text);
        let kind = tree
            .at_path(
                text,
                &[
                    Step::Key("nodes".into()),
                    Step::Index(0),
                    Step::Key("type".into()),
                ],
            )
            .unwrap();
        assert_eq!(tree.string(text, kind).unwrap(), "llm_rigid");
        match spot_path(text, "llm_rigid").unwrap() {
            Spot::Value { path, .. } => assert_eq!(
                path,
                vec![
                    Step::Key("nodes".into()),
                    Step::Index(0),
                    Step::Key("type".into())
                ]
            ),
            s => panic!("{s:?}"),
        }
        assert!(matches!(
            spot_path(text, "\"type\"").unwrap(),
            Spot::Key { path, .. } if path.last() == Some(&Step::Key("type".into()))
        ));
    }

    #[test]
    fn forgives_text_being_typed() {
        // A key without a value, a missing comma, an unclosed string and brackets.
        let text =
            "{\"nodes\": [{\"id\": \"a\" \"config\": {\"go\"}}, {\"id\": \"b\", \"type\": \"llm_";
        let tree = Tree::parse(text);
        let nodes = tree.at_path(text, &[Step::Key("nodes".into())]).unwrap();
        assert_eq!(tree.elements(nodes).len(), 2);
        let cfg = tree
            .at_path(
                text,
                &[
                    Step::Key("nodes".into()),
                    Step::Index(0),
                    Step::Key("config".into()),
                ],
            )
            .unwrap();
        assert_eq!(tree.members(cfg).len(), 1);
        assert_eq!(tree.members(cfg)[0].value, None);
        let ty = tree
            .at_path(
                text,
                &[
                    Step::Key("nodes".into()),
                    Step::Index(1),
                    Step::Key("type".into()),
                ],
            )
            .unwrap();
        assert_eq!(tree.string(text, ty).unwrap(), "llm_");
        assert!(matches!(tree.spot(text, text.len()), Some(Spot::Value { id, .. }) if id == ty));
    }

    #[test]
    fn escapes_are_decoded_and_depth_is_bounded() {
        let text = r#"{"a\"b": "x\u00e9"}"#;
        let tree = Tree::parse(text);
        assert_eq!(
            tree.string(text, tree.member(text, 0, "a\"b").unwrap())
                .unwrap(),
            "xé"
        );
        let deep = "[".repeat(100_000);
        let tree = Tree::parse(&deep);
        assert!(tree.values.len() <= MAX_DEPTH + 1);
        assert!(Tree::parse("").root().is_none());
        assert!(Tree::parse("   ").root().is_none());
    }
}
