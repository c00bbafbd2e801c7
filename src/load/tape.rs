//! A compact parse of a JSON document: one flat array of 12-byte nodes whose strings point
//! into the source text, instead of a `serde_json::Value` tree (one allocation per string,
//! array and object, about twelve times the text).
//!
//! The tape is the fast path of the load stage: [`Tape::parse`] reads only what
//! [`parse_json`](super::parse_json) would accept and read the same way, and declines
//! (`None`) everything else — any syntax error, a duplicate key, an integer literal past 64
//! bits, a number serde_json rejects, nesting over [`MAX_DEPTH`], a text over 4 GiB. A
//! caller then takes the strict `Value` path, which gives every diagnostic. So the tape
//! never decides an error, and whatever it reads is what the `Value` path would have read:
//! `tape.root().to_value()` equals `parse_json(text)` (the tests check it on every JSON
//! file of the repository and on seeded mutations of them).
//!
//! Numbers are read exactly as serde_json reads them (its own parser runs on every literal
//! that is not a short plain integer), so floats round identically.
//!
//! Layout: a string, number, `true`, `false` or `null` is one node; an array is a node
//! followed by its items; an object is a node followed by each member's key (a string
//! node) and value. An array or object node records the index just past its last
//! descendant, so a reader skips a subtree in one step.

mod de;
#[cfg(test)]
mod tests;

use serde_json::Number;

use super::view::{JsonView, Shape};

/// Deeper nesting is declined (serde_json's own limit is 127; nothing a flow needs comes
/// near either).
pub const MAX_DEPTH: usize = 100;

/// A parsed document (see the module documentation).
pub struct Tape<'s> {
    source: &'s str,
    nodes: Vec<Node>,
    /// The decoded text of strings that hold escapes.
    decoded: String,
    /// The numbers that are not an integer from 0 to `u32::MAX` (those are held in their
    /// node): so a node needs no room for 8 bytes, and is 12 bytes instead of 16.
    numbers: Vec<Number>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    /// An integer from 0 to `u32::MAX` (a flow's positions, counts, sizes).
    Small(u32),
    /// Any other number: its index in `numbers`.
    Number(u32),
    /// A string: `len` bytes at `at` in the source, or in `decoded` when it held escapes.
    Str {
        at: u32,
        len: u32,
        decoded: bool,
    },
    /// An array of `len` items; `end` is the index past its last descendant.
    Array {
        len: u32,
        end: u32,
    },
    /// An object of `len` members (a key node and a value each).
    Object {
        len: u32,
        end: u32,
    },
}

/// An open array or object while parsing.
struct Open {
    /// Its node's index.
    at: usize,
    len: u32,
    object: bool,
    /// Where its keys start in the key stack (objects).
    keys_from: usize,
}

impl<'s> Tape<'s> {
    /// Parses `text`; `None` for anything the strict `Value` parse would refuse or might
    /// read differently (see the module documentation).
    pub fn parse(text: &'s str) -> Option<Tape<'s>> {
        if u32::try_from(text.len()).is_err() {
            return None;
        }
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
            tape: Tape {
                source: text,
                // About one node per 13 bytes of a pretty-printed flow.
                nodes: Vec::with_capacity(text.len() / 12 + 4),
                decoded: String::new(),
                numbers: Vec::new(),
            },
            open: Vec::new(),
            keys: Vec::new(),
        };
        p.document()?;
        Some(p.tape)
    }

    /// The document's root value.
    pub fn root(&self) -> TapeRef<'_> {
        TapeRef { tape: self, at: 0 }
    }

    fn text(&self, node: Node) -> &str {
        match node {
            Node::Str {
                at,
                len,
                decoded: false,
            } => &self.source[at as usize..(at + len) as usize],
            Node::Str { at, len, .. } => &self.decoded[at as usize..(at + len) as usize],
            // ok: only string nodes are asked for their text (values and keys alike).
            _ => unreachable!("text of a string node only"),
        }
    }

    /// The index past the subtree at `at`.
    fn end_of(&self, at: u32) -> u32 {
        match self.nodes[at as usize] {
            Node::Array { end, .. } | Node::Object { end, .. } => end,
            _ => at + 1,
        }
    }
}

/// The index of the first byte of `word` (little-endian) that ends a run of plain string
/// text: a quote, a backslash or a control character (below 0x20); `None` if all eight
/// are plain. (The classic zero-byte tests: a borrow only ever flags bytes above the first
/// true hit, so the lowest flag is exact; `first_special_agrees_with_bytes` checks it.)
fn first_special(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let found = (quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (word.wrapping_sub(ONES * 0x20) & !word);
    let found = found & HIGH;
    (found != 0).then(|| found.trailing_zeros() as usize / 8)
}

struct Parser<'s> {
    b: &'s [u8],
    i: usize,
    tape: Tape<'s>,
    open: Vec<Open>,
    /// The key nodes of the open objects, for the duplicate check.
    keys: Vec<u32>,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.b.get(self.i).copied()
    }

    fn push(&mut self, node: Node) -> usize {
        self.tape.nodes.push(node);
        self.tape.nodes.len() - 1
    }

    /// The whole text: one value, then only whitespace.
    fn document(&mut self) -> Option<()> {
        self.value()?;
        loop {
            // After a value: a separator, or the end of the innermost open container.
            let Some(top) = self.open.last() else {
                return (self.peek().is_none()).then_some(());
            };
            let object = top.object;
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    if object {
                        self.key()?;
                    }
                    self.value()?;
                }
                b']' if !object => {
                    self.i += 1;
                    self.close();
                }
                b'}' if object => {
                    self.i += 1;
                    self.close_object()?;
                }
                _ => return None,
            }
        }
    }

    /// One value; an array or object is opened (and closed at once when empty).
    fn value(&mut self) -> Option<()> {
        if let Some(top) = self.open.last_mut() {
            top.len += 1;
        }
        match self.peek()? {
            b'"' => {
                let s = self.string()?;
                self.push(s);
            }
            b'{' => {
                self.i += 1;
                self.opened(true)?;
                if self.peek()? == b'}' {
                    self.i += 1;
                    self.close();
                } else {
                    self.key()?;
                    return self.value();
                }
            }
            b'[' => {
                self.i += 1;
                self.opened(false)?;
                if self.peek()? == b']' {
                    self.i += 1;
                    self.close();
                } else {
                    return self.value();
                }
            }
            b't' => self.literal(b"true", Node::Bool(true))?,
            b'f' => self.literal(b"false", Node::Bool(false))?,
            b'n' => self.literal(b"null", Node::Null)?,
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                let node = match n.as_u64().map(u32::try_from) {
                    Some(Ok(small)) => Node::Small(small),
                    _ => {
                        let at = u32::try_from(self.tape.numbers.len()).ok()?;
                        self.tape.numbers.push(n);
                        Node::Number(at)
                    }
                };
                self.push(node);
            }
            _ => return None,
        }
        Some(())
    }

    fn opened(&mut self, object: bool) -> Option<()> {
        if self.open.len() >= MAX_DEPTH {
            return None;
        }
        let node = if object {
            Node::Object { len: 0, end: 0 }
        } else {
            Node::Array { len: 0, end: 0 }
        };
        let at = self.push(node);
        self.open.push(Open {
            at,
            len: 0,
            object,
            keys_from: self.keys.len(),
        });
        Some(())
    }

    /// A member's key and its colon (the member is counted by its value).
    fn key(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        let s = self.string()?;
        let at = self.push(s);
        self.keys.push(at as u32);
        if self.peek()? != b':' {
            return None;
        }
        self.i += 1;
        Some(())
    }

    /// Closes the innermost container, recording its length and end.
    fn close(&mut self) {
        // ok: called only right after a container was opened or its closer was matched
        // against the innermost open one.
        let open = self.open.pop().expect("an open container");
        let end = self.tape.nodes.len() as u32;
        self.tape.nodes[open.at] = if open.object {
            Node::Object { len: open.len, end }
        } else {
            Node::Array { len: open.len, end }
        };
        if open.object {
            self.keys.truncate(open.keys_from);
        }
    }

    /// Closes an object; `None` if a key repeats (the strict parse refuses it).
    fn close_object(&mut self) -> Option<()> {
        // ok: called only when `}` closed the innermost open object.
        let from = self.open.last().expect("an open object").keys_from;
        let keys = &self.keys[from..];
        let tape = &self.tape;
        let text = |k: &u32| tape.text(tape.nodes[*k as usize]);
        if keys.len() <= 16 {
            // Each key's text looked up once, then compared pairwise.
            let mut texts = [""; 16];
            for (t, k) in texts.iter_mut().zip(keys) {
                *t = text(k);
            }
            let texts = &texts[..keys.len()];
            for (n, t) in texts.iter().enumerate() {
                if texts[n + 1..].contains(t) {
                    return None;
                }
            }
        } else {
            let mut seen = std::collections::HashSet::with_capacity(keys.len());
            if !keys.iter().all(|k| seen.insert(text(k))) {
                return None;
            }
        }
        self.close();
        Some(())
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
        if !self.b[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        self.push(node);
        Some(())
    }

    /// A number literal, read as serde_json reads it.
    fn number(&mut self) -> Option<Number> {
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        let lit = &self.b[start..self.i];
        let (negative, digits) = match lit.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, lit),
        };
        // A plain integer of at most 18 digits, without a leading zero: exact in both types.
        if !digits.is_empty()
            && digits.len() <= 18
            && digits.iter().all(u8::is_ascii_digit)
            && (digits[0] != b'0' || (digits.len() == 1 && !negative))
        {
            let n = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Some(if negative {
                Number::from(-(n as i64))
            } else {
                Number::from(n)
            });
        }
        // Everything else through serde_json's own number parser.
        let n: Number = serde_json::from_str(&self.tape.source[start..self.i]).ok()?;
        // An integer literal serde_json read as a float (`-0`, or past 64 bits, which the
        // strict parse checks for exactness) is left to the strict parse.
        if n.is_f64() && !lit.iter().any(|c| matches!(c, b'.' | b'e' | b'E')) {
            return None;
        }
        Some(n)
    }

    /// A string literal (at its opening quote).
    fn string(&mut self) -> Option<Node> {
        self.i += 1;
        let start = self.i;
        loop {
            // Eight bytes at a time up to the first byte that is not plain string text.
            while let Some(word) = self.b.get(self.i..self.i + 8) {
                let word = u64::from_le_bytes(word.try_into().ok()?);
                match first_special(word) {
                    Some(k) => {
                        self.i += k;
                        break;
                    }
                    None => self.i += 8,
                }
            }
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    let node = Node::Str {
                        at: start as u32,
                        len: (self.i - start) as u32,
                        decoded: false,
                    };
                    self.i += 1;
                    return Some(node);
                }
                b'\\' => return self.escaped_string(start),
                0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
    }

    /// The rest of a string that holds an escape, decoded into the tape's side buffer.
    fn escaped_string(&mut self, start: usize) -> Option<Node> {
        let out = &mut self.tape.decoded;
        let at = out.len();
        // (The source is a `str` and quotes and backslashes are ASCII: every cut is on a
        // character boundary.)
        let src = self.tape.source;
        let mut run = start;
        loop {
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    out.push_str(&src[run..self.i]);
                    self.i += 1;
                    let len = out.len() - at;
                    if u32::try_from(out.len()).is_err() {
                        return None;
                    }
                    return Some(Node::Str {
                        at: at as u32,
                        len: len as u32,
                        decoded: true,
                    });
                }
                b'\\' => {
                    out.push_str(&src[run..self.i]);
                    let e = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = hex4(self.b, self.i)?;
                            self.i += 4;
                            let ch = match hi {
                                0xD800..=0xDBFF => {
                                    // A surrogate pair, or serde_json refuses it.
                                    if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                        return None;
                                    }
                                    let lo = hex4(self.b, self.i + 2)?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return None;
                                    }
                                    self.i += 6;
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => hi,
                            };
                            out.push(char::from_u32(ch)?);
                        }
                        _ => return None,
                    }
                    run = self.i;
                }
                0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
    }
}

/// Four hex digits at `i`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + (d as char).to_digit(16)?;
    }
    Some(n)
}

/// A value in a [`Tape`].
#[derive(Clone, Copy)]
pub struct TapeRef<'a> {
    tape: &'a Tape<'a>,
    at: u32,
}

impl<'a> TapeRef<'a> {
    fn node(self) -> Node {
        self.tape.nodes[self.at as usize]
    }

    /// The string, if the value is one.
    pub fn as_str(self) -> Option<&'a str> {
        match self.node() {
            n @ Node::Str { .. } => Some(self.tape.text(n)),
            _ => None,
        }
    }

    /// The members of an object (nothing for another value).
    pub fn members(self) -> Members<'a> {
        match self.node() {
            Node::Object { len, .. } => Members {
                tape: self.tape,
                next: self.at + 1,
                left: len,
            },
            _ => Members {
                tape: self.tape,
                next: 0,
                left: 0,
            },
        }
    }
}

/// The items of an array in a [`Tape`].
#[derive(Clone)]
pub struct Items<'a> {
    tape: &'a Tape<'a>,
    next: u32,
    left: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = TapeRef<'a>;
    fn next(&mut self) -> Option<TapeRef<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let at = self.next;
        self.next = self.tape.end_of(at);
        Some(TapeRef {
            tape: self.tape,
            at,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Items<'_> {}

/// The members of an object in a [`Tape`].
#[derive(Clone)]
pub struct Members<'a> {
    tape: &'a Tape<'a>,
    next: u32,
    left: u32,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeRef<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = self.tape.text(self.tape.nodes[self.next as usize]);
        let value = self.next + 1;
        self.next = self.tape.end_of(value);
        Some((
            key,
            TapeRef {
                tape: self.tape,
                at: value,
            },
        ))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Members<'_> {}

impl<'a> JsonView<'a> for TapeRef<'a> {
    type Items = Items<'a>;
    type Members = Members<'a>;

    fn shape(self) -> Shape<'a, Self> {
        match self.node() {
            Node::Null => Shape::Null,
            Node::Bool(b) => Shape::Bool(b),
            Node::Small(n) => Shape::Number(n.into()),
            Node::Number(i) => Shape::Number(self.tape.numbers[i as usize].clone()),
            n @ Node::Str { .. } => Shape::String(self.tape.text(n)),
            Node::Array { len, .. } => Shape::Array(
                len as usize,
                Items {
                    tape: self.tape,
                    next: self.at + 1,
                    left: len,
                },
            ),
            Node::Object { len, .. } => Shape::Object(len as usize, self.members()),
        }
    }

    fn member(self, key: &str) -> Option<Self> {
        self.members().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

impl std::fmt::Debug for TapeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TapeRef({}: {:?})", self.at, self.node())
    }
}
