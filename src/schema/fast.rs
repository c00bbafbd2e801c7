//! A validity check for the embedded flow schema that needs no `jsonschema` validator.
//!
//! Building the `jsonschema` validator costs about 2.5 ms per process (it compiles and runs
//! the 2020-12 meta-schema over our schema, then compiles our schema), half of a 50-node
//! `validate`. Nearly every flow a pre-commit hook or an editor sees is valid, and a valid
//! flow needs no diagnostics, only the answer. This module compiles the schema's document
//! into a small tree once (about 0.1 ms) and evaluates a flow against it.
//!
//! It is conservative by construction: every keyword answers [`Verdict::Valid`] or
//! [`Verdict::Invalid`] only where its answer is exactly `jsonschema`'s, and
//! [`Verdict::Unsure`] where the two could differ (a float where an integer is asked, a
//! non-ASCII string under a `pattern`, a number too large to compare exactly). Only `Valid`
//! skips `jsonschema`; everything else goes to it, which produces the diagnostics as before.
//! A schema that uses a keyword this module does not know compiles to nothing, and every
//! flow then goes to `jsonschema`. The differential tests below compare the two on every
//! fixture and on thousands of mutations of them.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use serde_json::{Number, Value};

use crate::load::view::{JsonView, Shape};

/// What the fast check concluded about a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `jsonschema` would report no error.
    Valid,
    /// `jsonschema` would report at least one error.
    Invalid,
    /// This module cannot tell exactly; ask `jsonschema`.
    Unsure,
}

use Verdict::{Invalid, Unsure, Valid};

impl Verdict {
    /// Both must hold (`allOf`, sibling keywords): the first `Invalid` decides.
    fn and(self, next: impl FnOnce() -> Verdict) -> Verdict {
        match self {
            Invalid => Invalid,
            Valid => next(),
            Unsure => match next() {
                Invalid => Invalid,
                _ => Unsure,
            },
        }
    }
}

/// Beyond this depth of evaluation (subschemas entered, through instance nesting and through
/// `$ref`, `allOf`, `anyOf` and `if`) the check gives up (`Unsure`). A flow takes about 40;
/// the bound keeps the stack small and ends a `$ref` cycle.
const MAX_DEPTH: usize = 512;

/// The longest array whose `uniqueItems` is checked here, pair by pair (496 comparisons).
const UNIQUE_PAIRWISE: usize = 32;

/// JSON types as a bit set, `integer` apart from `number` as the schema language has them.
#[derive(Debug, Clone, Copy, Default)]
struct Types(u8);

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const INTEGER: u8 = 4;
    const NUMBER: u8 = 8;
    const STRING: u8 = 16;
    const ARRAY: u8 = 32;
    const OBJECT: u8 = 64;

    fn bit(name: &str) -> Option<u8> {
        Some(match name {
            "null" => Self::NULL,
            "boolean" => Self::BOOLEAN,
            "integer" => Self::INTEGER,
            "number" => Self::NUMBER,
            "string" => Self::STRING,
            "array" => Self::ARRAY,
            "object" => Self::OBJECT,
            _ => return None,
        })
    }

    fn check<'a, V: JsonView<'a>>(self, v: &Shape<'a, V>) -> Verdict {
        let has = |b: u8| self.0 & b != 0;
        let ok = match v {
            Shape::Null => has(Self::NULL),
            Shape::Bool(_) => has(Self::BOOLEAN),
            Shape::String(_) => has(Self::STRING),
            Shape::Array(..) => has(Self::ARRAY),
            Shape::Object(..) => has(Self::OBJECT),
            Shape::Number(n) => {
                if has(Self::NUMBER) || (has(Self::INTEGER) && !n.is_f64()) {
                    true
                } else if has(Self::INTEGER) {
                    // `jsonschema` counts 1.0 as an integer; not worth mirroring.
                    return Unsure;
                } else {
                    false
                }
            }
        };
        if ok { Valid } else { Invalid }
    }
}

/// A `pattern`, compiled on first use (most flows exercise only a few of them).
struct Pattern {
    source: String,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn check(&self, s: &str) -> Verdict {
        // The schema's patterns are ECMA-262 regular expressions; `jsonschema` rewrites
        // them for its engine, this module runs them on `regex` with its ASCII classes
        // (`\d` is [0-9] as in ECMA-262; they also compile four times faster than Unicode
        // ones). For the syntax [`plain_syntax`] admits, on ASCII text without a carriage
        // return (ECMA-262's `.` does not match one, `regex`'s does), both read a pattern
        // the same way; anything else is left to `jsonschema`. (The byte-level `Regex`:
        // with ASCII classes, `.` could match a byte of a UTF-8 sequence, which the `str`
        // one refuses to compile; the text here is ASCII.)
        if !s.is_ascii() || s.contains('\r') {
            return Unsure;
        }
        let compile = || {
            plain_syntax(&self.source)
                .then(|| RegexBuilder::new(&self.source).unicode(false).build().ok())
                .flatten()
        };
        match self.regex.get_or_init(compile) {
            Some(re) if re.is_match(s.as_bytes()) => Valid,
            Some(_) => Invalid,
            None => Unsure,
        }
    }
}

/// Whether a pattern uses only syntax that ECMA-262 and `regex` (ASCII classes) read the
/// same way: ASCII literals, `.`, `^`, `$`, `|`, groups `(…)` and `(?:…)`, the quantifiers
/// `*`, `+`, `?` and `{n}`, `{n,}`, `{n,m}`, the escapes `\d \D \w \W \s \S` and escaped
/// punctuation, and classes of literals, ranges and those escapes. Not: nested or POSIX
/// classes, `&&`, `--` or `~~` in a class (set operations to `regex`, literals to
/// ECMA-262), a class starting with `]`, flag groups (`(?i)`), look-around, named groups,
/// back-references, `\b`, `\p`, `\x`, `\u`, control characters, a stray `]`, `{` or `}`.
fn plain_syntax(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_graphic() || c == b' ') {
            return false;
        }
        match c {
            b'\\' => {
                let escaped = b.get(i + 1).copied().unwrap_or(b'a');
                if !(b"dDwWsS".contains(&escaped) || escaped.is_ascii_punctuation()) {
                    return false;
                }
                i += 2;
                continue;
            }
            b'[' if in_class => return false,
            b']' if in_class => in_class = false,
            b'&' | b'-' | b'~' if in_class && b.get(i + 1) == Some(&c) => return false,
            _ if in_class => {}
            b'[' => {
                in_class = true;
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if matches!(b.get(i + 1), Some(b']' | b':')) {
                    return false;
                }
            }
            b'(' if b.get(i + 1) == Some(&b'?') => {
                if b.get(i + 2) != Some(&b':') {
                    return false;
                }
                i += 3;
                continue;
            }
            b'{' => {
                let Some(len) = p[i + 1..].find('}') else {
                    return false;
                };
                let inner = &p[i + 1..i + 1 + len];
                let (low, high) = inner.split_once(',').unwrap_or((inner, ""));
                let digits = |t: &str| t.bytes().all(|d| d.is_ascii_digit());
                if low.is_empty() || !digits(low) || !digits(high) {
                    return false;
                }
                i += len + 2;
                continue;
            }
            b']' | b'}' => return false,
            _ => {}
        }
        i += 1;
    }
    !in_class
}

/// One compiled subschema: its keywords, every one optional.
#[derive(Default)]
struct Node {
    /// `false` as a schema: nothing is valid.
    never: bool,
    types: Option<Types>,
    properties: Vec<(String, usize)>,
    additional: Option<usize>,
    required: Vec<String>,
    any_of: Vec<usize>,
    all_of: Vec<usize>,
    condition: Option<(usize, Option<usize>, Option<usize>)>,
    constant: Option<Value>,
    one_of_values: Option<Vec<Value>>,
    items: Option<usize>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    min_length: Option<u64>,
    min_items: Option<u64>,
    pattern: Option<Pattern>,
    unique_items: bool,
    reference: Option<usize>,
    /// `allOf` members of the form `{"if": {"properties": {P: {"const": "s"}},
    /// "required": [P]}, "then": T}`, `"type": "object"` allowed in the `if` (one per node
    /// kind in the flow schema, per block kind in the IR schema), by `s`.
    switch: Option<Switch>,
}

/// One property's string value selecting `then` schemas (see [`Node::switch`]).
struct Switch {
    property: String,
    /// The `if`s also ask for an object.
    objects_only: bool,
    cases: HashMap<String, Vec<usize>>,
}

/// The compiled schema: an arena of nodes, `$ref`s resolved to indices.
pub struct FastSchema {
    nodes: Vec<Node>,
    root: usize,
}

/// Keywords that only annotate and never change validity.
const ANNOTATIONS: &[&str] = &[
    "description",
    "default",
    "title",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

struct Compiler<V> {
    root: V,
    nodes: Vec<Node>,
    /// `$ref` targets already compiled (or being compiled), by their pointer.
    refs: HashMap<String, usize>,
}

impl FastSchema {
    /// Compiles a 2020-12 schema document (a `&Value` or a tape's root); `None` if it uses
    /// anything this module does not implement exactly (then every document goes to
    /// `jsonschema`).
    pub fn compile<'a>(root: impl JsonView<'a>) -> Option<FastSchema> {
        let mut c = Compiler {
            root,
            nodes: Vec::new(),
            refs: HashMap::new(),
        };
        if root.member("$schema").and_then(JsonView::as_str)
            != Some("https://json-schema.org/draft/2020-12/schema")
        {
            return None;
        }
        let root_index = c.compile(root, true)?;
        Some(FastSchema {
            nodes: c.nodes,
            root: root_index,
        })
    }

    /// Evaluates a document: a `&serde_json::Value` or a [`TapeRef`](crate::load::tape::TapeRef).
    pub fn verdict<'a>(&self, doc: impl JsonView<'a>) -> Verdict {
        self.eval(self.root, doc, 0)
    }

    fn eval<'a, V: JsonView<'a>>(&self, at: usize, v: V, depth: usize) -> Verdict {
        if depth > MAX_DEPTH {
            return Unsure;
        }
        let n = &self.nodes[at];
        if n.never {
            return Invalid;
        }
        let mut out = Valid;
        let shape = v.shape();
        if let Some(t) = n.types {
            out = out.and(|| t.check(&shape));
        }
        if let Some(c) = &n.constant {
            out = out.and(|| equal(v, c));
        }
        if let Some(vals) = &n.one_of_values {
            out = out.and(|| any(vals.iter().map(|c| equal(v, c))));
        }
        if let Some(r) = n.reference {
            out = out.and(|| self.eval(r, v, depth + 1));
        }
        if out == Invalid {
            return Invalid;
        }
        match shape {
            Shape::Object(_, members) => out = out.and(|| self.object::<V>(n, members, depth)),
            Shape::Array(len, items) => out = out.and(|| self.array::<V>(n, len, items, depth)),
            Shape::String(s) => out = out.and(|| string(n, s)),
            Shape::Number(x) => {
                if let Some(min) = &n.minimum {
                    out = out.and(|| compare(&x, min, |o| o.is_ge()));
                }
                if let Some(max) = &n.maximum {
                    out = out.and(|| compare(&x, max, |o| o.is_le()));
                }
            }
            Shape::Null | Shape::Bool(_) => {}
        }
        for &s in &n.all_of {
            out = out.and(|| self.eval(s, v, depth + 1));
        }
        if let Some(sw) = &n.switch {
            out = out.and(|| self.switch(sw, v, depth));
        }
        if !n.any_of.is_empty() {
            out = out.and(|| any(n.any_of.iter().map(|&s| self.eval(s, v, depth + 1))));
        }
        if let Some((cond, then, otherwise)) = n.condition {
            out = out.and(|| match self.eval(cond, v, depth + 1) {
                Valid => then.map_or(Valid, |t| self.eval(t, v, depth + 1)),
                Invalid => otherwise.map_or(Valid, |e| self.eval(e, v, depth + 1)),
                Unsure => Unsure,
            });
        }
        out
    }

    fn object<'a, V: JsonView<'a>>(&self, n: &Node, members: V::Members, depth: usize) -> Verdict {
        // One pass over the members, each key's text read once: matched against the
        // schema's few required and named keys (looking each of those up in the object
        // scanned it once per key on a tape). A member no property names is checked
        // against `additionalProperties`, if any. The required keys are all there when as
        // many members as there are required keys are required ones: both are distinct
        // (the compiler keeps `required` distinct; an object never repeats a key).
        let mut out = Valid;
        let mut required = 0usize;
        for (key, value) in members {
            if n.required.iter().any(|r| r == key) {
                required += 1;
            }
            let Some(sub) = n
                .properties
                .iter()
                .find(|(k, _)| k == key)
                .map(|&(_, s)| s)
                .or(n.additional)
            else {
                continue;
            };
            out = out.and(|| self.eval(sub, value, depth + 1));
            if out == Invalid {
                return Invalid;
            }
        }
        if required != n.required.len() {
            return Invalid;
        }
        out
    }

    /// The `allOf` members folded into a [`Switch`]: the `then` of each member whose `if`
    /// holds, which is exactly what evaluating each member would do.
    fn switch<'a, V: JsonView<'a>>(&self, sw: &Switch, v: V, depth: usize) -> Verdict {
        let Shape::Object(..) = v.shape() else {
            if sw.objects_only {
                return Valid;
            }
            // `properties` and `required` hold for anything but an object: every `if` holds.
            let mut out = Valid;
            for then in sw.cases.values().flatten() {
                out = out.and(|| self.eval(*then, v, depth + 1));
            }
            return out;
        };
        // The property missing, `required` fails; not a string, no `const` holds.
        let Some(Shape::String(key)) = v.member(&sw.property).map(JsonView::shape) else {
            return Valid;
        };
        let mut out = Valid;
        for then in sw.cases.get(key).into_iter().flatten() {
            out = out.and(|| self.eval(*then, v, depth + 1));
        }
        out
    }

    fn array<'a, V: JsonView<'a>>(
        &self,
        n: &Node,
        len: usize,
        a: V::Items,
        depth: usize,
    ) -> Verdict {
        let mut out = Valid;
        if let Some(min) = n.min_items
            && (len as u64) < min
        {
            return Invalid;
        }
        if let Some(items) = n.items {
            for x in a.clone() {
                out = out.and(|| self.eval(items, x, depth + 1));
                if out == Invalid {
                    return Invalid;
                }
            }
        }
        if n.unique_items {
            // Pairwise comparison is quadratic: a longer array (a hostile flow's
            // `modalities`) is left to `jsonschema`, which hashes.
            if len > UNIQUE_PAIRWISE {
                return out.and(|| Unsure);
            }
            let mut rest = a;
            while let Some(x) = rest.next() {
                for y in rest.clone() {
                    match equal(x, y) {
                        Valid => return Invalid,
                        Unsure => out = Unsure,
                        Invalid => {}
                    }
                }
            }
        }
        out
    }
}

fn string(n: &Node, s: &str) -> Verdict {
    if let Some(min) = n.min_length
        && (s.chars().count() as u64) < min
    {
        return Invalid;
    }
    match &n.pattern {
        Some(p) => p.check(s),
        None => Valid,
    }
}

/// `anyOf` over verdicts: one `Valid` decides; otherwise any `Unsure` leaves it open.
fn any(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut out = Invalid;
    for v in verdicts {
        match v {
            Valid => return Valid,
            Unsure => out = Unsure,
            Invalid => {}
        }
    }
    out
}

/// Exactly representable as an `f64` (|x| ≤ 2^53), so comparisons through `f64` are exact.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// An integer `Number` as `i128`, `None` for a float.
fn int(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Compares `x` with a limit; `Unsure` where an `f64` could round.
fn compare(x: &Number, limit: &Number, ok: impl Fn(std::cmp::Ordering) -> bool) -> Verdict {
    let ord = match (int(x), int(limit)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        (a, b) => {
            let fx = a.map_or(x.as_f64(), |i| {
                (i.unsigned_abs() <= EXACT as u128).then_some(i as f64)
            });
            let fl = b.map_or(limit.as_f64(), |i| {
                (i.unsigned_abs() <= EXACT as u128).then_some(i as f64)
            });
            match (fx, fl) {
                (Some(p), Some(q)) => p.partial_cmp(&q),
                _ => None,
            }
        }
    };
    match ord {
        Some(o) if ok(o) => Valid,
        Some(_) => Invalid,
        None => Unsure,
    }
}

/// JSON Schema equality (`const`, `enum`, `uniqueItems`): `Valid` for equal, `Invalid`
/// for different, `Unsure` where a float is involved (`jsonschema` holds 1 and 1.0 equal).
fn equal<'a, 'b>(a: impl JsonView<'a>, b: impl JsonView<'b>) -> Verdict {
    let same = |x: bool| if x { Valid } else { Invalid };
    match (a.shape(), b.shape()) {
        (Shape::Null, Shape::Null) => Valid,
        (Shape::Bool(x), Shape::Bool(y)) => same(x == y),
        (Shape::String(x), Shape::String(y)) => same(x == y),
        (Shape::Number(x), Shape::Number(y)) => match (int(&x), int(&y)) {
            (Some(p), Some(q)) => same(p == q),
            _ => Unsure,
        },
        (Shape::Array(xl, x), Shape::Array(yl, y)) => {
            if xl != yl {
                return Invalid;
            }
            let mut out = Valid;
            for (p, q) in x.zip(y) {
                match equal(p, q) {
                    Invalid => return Invalid,
                    Unsure => out = Unsure,
                    Valid => {}
                }
            }
            out
        }
        (Shape::Object(xl, x), Shape::Object(yl, _)) => {
            if xl != yl {
                return Invalid;
            }
            let mut out = Valid;
            for (k, p) in x {
                match b.member(k).map(|q| equal(p, q)) {
                    None | Some(Invalid) => return Invalid,
                    Some(Unsure) => out = Unsure,
                    Some(Valid) => {}
                }
            }
            out
        }
        _ => Invalid,
    }
}

/// An `allOf` member `{"if": {"properties": {P: {"const": "s"}}, "required": [P]},
/// "then": T}` (nothing else in it), as `(P, s, T)`.
fn case<'a, V: JsonView<'a>>(member: V) -> Option<Case<'a, V>> {
    if member.as_object()?.0 != 2 {
        return None;
    }
    let cond = member.member("if")?;
    let (cond_len, _) = cond.as_object()?;
    let then = member.member("then")?;
    // `"type": "object"` may sit beside the test (the IR schema's): then a value that is
    // not an object meets no `if`.
    let objects_only = match cond.member("type") {
        None => false,
        Some(t) if t.as_str() == Some("object") => true,
        Some(_) => return None,
    };
    if cond_len != 2 + usize::from(objects_only) {
        return None;
    }
    let (props_len, mut props) = cond.member("properties")?.as_object()?;
    let (required_len, mut required) = cond.member("required")?.as_array()?;
    let (property, test) = props.next().filter(|_| props_len == 1)?;
    if test.as_object()?.0 != 1 {
        return None;
    }
    let constant = test.member("const")?.as_str()?;
    if required_len != 1 || required.next()?.as_str() != Some(property) {
        return None;
    }
    Some(Case {
        property,
        objects_only,
        constant,
        then,
    })
}

/// An `allOf` member [`case`] recognises.
struct Case<'a, V> {
    property: &'a str,
    objects_only: bool,
    constant: &'a str,
    then: V,
}

impl<'a, V: JsonView<'a>> Compiler<V> {
    /// Compiles one subschema into the arena; `None` for anything not implemented.
    fn compile(&mut self, s: V, is_root: bool) -> Option<usize> {
        let at = self.nodes.len();
        self.nodes.push(Node::default());
        let node = match s.shape() {
            Shape::Bool(true) => Node::default(),
            Shape::Bool(false) => Node {
                never: true,
                ..Node::default()
            },
            Shape::Object(_, members) => self.keywords(s, members, is_root)?,
            _ => return None,
        };
        self.nodes[at] = node;
        Some(at)
    }

    fn keywords(&mut self, m: V, members: V::Members, is_root: bool) -> Option<Node> {
        let mut n = Node::default();
        for (key, value) in members {
            match key {
                k if ANNOTATIONS.contains(&k) => {}
                "$schema" | "$id" | "$defs" if is_root => {}
                "type" => {
                    let mut t = 0;
                    match value.shape() {
                        Shape::String(name) => t |= Types::bit(name)?,
                        Shape::Array(_, names) => {
                            for name in names {
                                t |= Types::bit(name.as_str()?)?;
                            }
                        }
                        _ => return None,
                    }
                    n.types = Some(Types(t));
                }
                "properties" => {
                    for (k, sub) in value.as_object()?.1 {
                        let i = self.compile(sub, false)?;
                        n.properties.push((k.to_string(), i));
                    }
                }
                "additionalProperties" => n.additional = Some(self.compile(value, false)?),
                "required" => {
                    for k in value.as_array()?.1 {
                        // (Distinct: `object` counts the required keys it meets.)
                        let k = k.as_str()?;
                        if !n.required.iter().any(|r| r == k) {
                            n.required.push(k.to_string());
                        }
                    }
                }
                "anyOf" | "allOf" => {
                    let (len, members) = value.as_array()?;
                    if len == 0 {
                        return None;
                    }
                    let mut subs = Vec::new();
                    for sub in members {
                        if key == "allOf"
                            && let Some(c) = case(sub)
                        {
                            let sw = n.switch.get_or_insert_with(|| Switch {
                                property: c.property.to_string(),
                                objects_only: c.objects_only,
                                cases: HashMap::new(),
                            });
                            if sw.property == c.property && sw.objects_only == c.objects_only {
                                let then = self.compile(c.then, false)?;
                                sw.cases
                                    .entry(c.constant.to_string())
                                    .or_default()
                                    .push(then);
                                continue;
                            }
                        }
                        subs.push(self.compile(sub, false)?);
                    }
                    if key == "anyOf" {
                        n.any_of = subs;
                    } else {
                        n.all_of = subs;
                    }
                }
                "if" => {
                    let cond = self.compile(value, false)?;
                    let then = match m.member("then") {
                        Some(t) => Some(self.compile(t, false)?),
                        None => None,
                    };
                    let otherwise = match m.member("else") {
                        Some(e) => Some(self.compile(e, false)?),
                        None => None,
                    };
                    n.condition = Some((cond, then, otherwise));
                }
                // Without `if` they are ignored, as the specification says.
                "then" | "else" => {}
                "const" => n.constant = Some(value.to_value()),
                "enum" => {
                    n.one_of_values = Some(value.as_array()?.1.map(JsonView::to_value).collect())
                }
                "items" => n.items = Some(self.compile(value, false)?),
                "minimum" => n.minimum = Some(value.as_number()?),
                "maximum" => n.maximum = Some(value.as_number()?),
                "minLength" => n.min_length = Some(value.as_number()?.as_u64()?),
                "minItems" => n.min_items = Some(value.as_number()?.as_u64()?),
                "uniqueItems" => n.unique_items = value.as_bool()?,
                "pattern" => {
                    n.pattern = Some(Pattern {
                        source: value.as_str()?.to_string(),
                        regex: OnceLock::new(),
                    })
                }
                "$ref" => n.reference = Some(self.reference(value.as_str()?)?),
                _ => return None,
            }
        }
        Some(n)
    }

    /// Resolves a local `$ref` (`#/...`, a JSON pointer into the root document).
    fn reference(&mut self, target: &str) -> Option<usize> {
        if let Some(&i) = self.refs.get(target) {
            return Some(i);
        }
        // Percent-encoded fragments are not decoded here: refuse them.
        let pointer = target.strip_prefix('#').filter(|p| !p.contains('%'))?;
        let sub = self.root.pointer(pointer)?;
        // Reserve the index before compiling, so a recursive reference finds it.
        let at = self.nodes.len();
        self.refs.insert(target.to_string(), at);
        let compiled = self.compile(sub, false)?;
        debug_assert_eq!(compiled, at);
        Some(at)
    }
}

#[cfg(test)]
pub(crate) mod tests;
