//! The manifests scaiflow writes, read back without the general YAML parser.
//!
//! `compile` writes a manifest with [`crate::emit::yaml::writer`], byte for byte what
//! serde-saphyr's serializer writes for the same data. Loading it back with serde-saphyr
//! costs about 35 ns a byte (a third of a 10,000-node import; docs/performance.md), most
//! of it the general parser's token and event machinery. [`read`] reads the block layout
//! that writer produces — block mappings and sequences (compact `- key:` and `- - x`
//! forms, sequences at their key's column), `{}` and `[]`, single-line plain and quoted
//! scalars, literal and folded block scalars — and declines everything else: comments,
//! anchors, aliases, tags, directives, flow collections, other indentation, multi-line
//! flow scalars, explicit keys and indentation indicators, tabs or control characters
//! outside block scalars, and any plain scalar whose type it does not settle itself
//! (only `null`, `true`, `false`, canonical decimal integers and floats with a `.`, and
//! strings that cannot be read as anything else).
//!
//! The check that makes it safe: the value read is written again with the writer, and it
//! is used only if that gives back the input byte for byte. The text is then exactly what
//! `compile` writes for that value, and serde-saphyr reads the writer's texts back as the
//! values written (the differential tests in `tests.rs` hold the two readers equal on
//! every manifest in the repository, on random documents and on mutations of both).
//! A decline costs the time spent so far; the caller then loads with serde-saphyr, whose
//! budgets and diagnostics stay the only ones.

use serde_json::{Map, Number, Value};

/// Deeper documents are left to serde-saphyr (its own depth budget is 2,048).
const MAX_DEPTH: usize = 256;

/// The value of a manifest text `compile` could have written, or `None` (decline).
/// `budget` is serde-saphyr's loading budget: a document that could exceed its nodes,
/// events, scalar bytes or depth is declined, so the budget's error comes from
/// serde-saphyr as before. ([`parse`], then [`written_back`].)
#[cfg(test)]
pub(crate) fn read(text: &str, budget: &serde_saphyr::Budget) -> Option<Value> {
    parse(text, budget).filter(|v| written_back(v, text))
}

/// The value the block subset reads in `text`, not yet checked: it may be used only if
/// [`written_back`] holds (import runs the two side by side).
pub(crate) fn parse(text: &str, budget: &serde_saphyr::Budget) -> Option<Value> {
    if !screened(text.as_bytes()) {
        return None;
    }
    let mut r = Reader::new(text, budget);
    let value = r.document()?;
    (r.pos == text.len()).then_some(value)
}

/// Whether the writer writes `value` as `text`, byte for byte: the check that makes
/// [`parse`]'s value the one serde-saphyr reads. The writer hands its text over in chunks
/// that are compared as they come, so the text is never written out whole beside the
/// manifest and its value (9.5 MB at 10,000 nodes; docs/performance.md).
pub(crate) fn written_back(value: &Value, text: &str) -> bool {
    let mut same = crate::emit::SameAs::new(text);
    crate::emit::yaml::writer::write_into(value, &mut same, 0).is_ok() && same.whole()
}

/// A text the reader may try: it ends in a line break, and holds no byte YAML reads as
/// a line break or forbids (controls other than line feed and tab, DEL, C1 controls,
/// U+2028, U+2029, a byte-order mark, U+FFFE, U+FFFF).
fn screened(b: &[u8]) -> bool {
    if b.last() != Some(&b'\n') {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if (0x20..0x7F).contains(&c) || c == b'\n' || c == b'\t' {
            i += 1;
            continue;
        }
        let next = |k: usize| b.get(i + k).copied().unwrap_or(0);
        let refused = match c {
            0xC2 => (0x80..=0x9F).contains(&next(1)),
            0xE2 => next(1) == 0x80 && matches!(next(2), 0xA8 | 0xA9),
            0xEF => matches!(
                (next(1), next(2)),
                (0xBB, 0xBF) | (0xBF, 0xBE) | (0xBF, 0xBF)
            ),
            c => c < 0x80,
        };
        if refused {
            return false;
        }
        i += 1;
    }
    true
}

struct Reader<'t> {
    text: &'t str,
    b: &'t [u8],
    /// Where reading is: every node's reader returns at the start of the line after it.
    pos: usize,
    /// What serde-saphyr's budget counts, counted here as it does or higher: nodes
    /// (collections and scalars, keys included), events (a collection's start and end,
    /// a scalar) and the bytes of scalars (the larger of their text and their value:
    /// `\L` is two bytes of text and three of value).
    nodes: usize,
    events: usize,
    scalar_bytes: usize,
    budget: &'t serde_saphyr::Budget,
    max_depth: usize,
    depth: usize,
    /// The items of the sequences being read, innermost last: each sequence is moved into
    /// a list of its exact length when it ends (pushing onto its own list would leave up
    /// to half of it unused, and a manifest is mostly small collections).
    items: Vec<Value>,
    /// The entries of the mappings being read, likewise.
    entries: Vec<(String, Value)>,
}

/// What a scalar token was written as.
enum Token {
    Plain(usize, usize),
    Quoted(String),
}

impl<'t> Reader<'t> {
    fn new(text: &'t str, budget: &'t serde_saphyr::Budget) -> Self {
        Reader {
            text,
            b: text.as_bytes(),
            pos: 0,
            nodes: 0,
            // (The stream's and the document's start and end.)
            events: 4,
            scalar_bytes: 0,
            budget,
            max_depth: MAX_DEPTH.min(budget.max_depth),
            depth: 0,
            items: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn count(&mut self, events: usize, bytes: usize) -> Option<()> {
        self.nodes += 1;
        self.events += events;
        self.scalar_bytes = self.scalar_bytes.saturating_add(bytes);
        let b = self.budget;
        (self.nodes <= b.max_nodes
            && self.events <= b.max_events
            && self.scalar_bytes <= b.max_total_scalar_bytes)
            .then_some(())
    }

    fn count_collection(&mut self) -> Option<()> {
        self.count(2, 0)
    }

    /// The number of spaces at the start of the line at `pos` (`None` at the end).
    fn indent_at(&self, pos: usize) -> Option<usize> {
        if pos >= self.b.len() {
            return None;
        }
        Some(self.b[pos..].iter().take_while(|&&c| c == b' ').count())
    }

    /// Whether a sequence item (`- `) starts at `i`.
    fn item_at(&self, i: usize) -> bool {
        self.at(i) == b'-' && self.at(i + 1) == b' '
    }

    /// The end of the line holding `i` (the index of its `\n`).
    fn line_end(&self, i: usize) -> usize {
        self.b[i..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.b.len(), |k| i + k)
    }

    fn document(&mut self) -> Option<Value> {
        if self.indent_at(0)? != 0 {
            return None;
        }
        if self.item_at(0) {
            self.seq(0)
        } else {
            let key = self.key()?;
            self.map(0, key)
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= self.max_depth).then_some(())
    }

    /// A block sequence whose items' dashes are at column `col`; `pos` is at the first
    /// dash (after its indentation, or inline after an outer dash).
    fn seq(&mut self, col: usize) -> Option<Value> {
        self.enter()?;
        self.count_collection()?;
        let start = self.items.len();
        loop {
            if !self.item_at(self.pos) {
                return None;
            }
            self.pos += 2;
            let item = self.item(col)?;
            self.items.push(item);
            match self.indent_at(self.pos) {
                Some(n) if n == col && self.item_at(self.pos + n) => self.pos += n,
                Some(n) if n > col => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        Some(Value::Array(self.items.drain(start..).collect()))
    }

    /// A sequence item's value; `pos` is after its `- `.
    fn item(&mut self, dash: usize) -> Option<Value> {
        if self.item_at(self.pos) {
            return self.seq(dash + 2);
        }
        match self.at(self.pos) {
            b'{' | b'[' | b'|' | b'>' => self.inline_value(dash),
            _ => match self.token(true)? {
                // `- key: …`: a mapping whose keys are at the column after the dash.
                (t, true) => {
                    let key = self.key_string(t)?;
                    self.map(dash + 2, key)
                }
                (t, false) => self.scalar_line(t),
            },
        }
    }

    /// A block mapping whose keys are at column `col`; its first key is read and `pos` is
    /// after that key's `:`.
    fn map(&mut self, col: usize, first: String) -> Option<Value> {
        self.enter()?;
        self.count_collection()?;
        let start = self.entries.len();
        let mut key = first;
        loop {
            let value = self.map_value(col)?;
            self.entries.push((key, value));
            match self.indent_at(self.pos) {
                Some(n) if n == col => {
                    self.pos += n;
                    key = self.key()?;
                }
                Some(n) if n > col => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        let mut m = Map::with_capacity(self.entries.len() - start);
        for (key, value) in self.entries.drain(start..) {
            if m.insert(key, value).is_some() {
                // A duplicate key: serde-saphyr's error, not ours to decide.
                return None;
            }
        }
        Some(Value::Object(m))
    }

    /// A key at `pos` with its `:`; `pos` ends after the `:`.
    fn key(&mut self) -> Option<String> {
        match self.token(true)? {
            (t, true) => self.key_string(t),
            (_, false) => None,
        }
    }

    fn key_string(&mut self, t: Token) -> Option<String> {
        // (`token` left `pos` at the `:`.)
        self.pos += 1;
        match t {
            Token::Quoted(s) => Some(s),
            Token::Plain(a, z) => {
                let s = &self.text[a..z];
                // A key that could be read as another type, or `<<` (a merge key).
                (plain_string(s) && s != "<<").then(|| s.to_string())
            }
        }
    }

    /// A mapping value; `pos` is after its key's `:`, the key at column `col`.
    fn map_value(&mut self, col: usize) -> Option<Value> {
        match self.at(self.pos) {
            b' ' => {
                self.pos += 1;
                match self.at(self.pos) {
                    b'{' | b'[' | b'|' | b'>' => self.inline_value(col),
                    _ => match self.token(false)? {
                        (t, false) => self.scalar_line(t),
                        (_, true) => None,
                    },
                }
            }
            b'\n' => {
                self.pos += 1;
                // A collection on the lines below: a sequence at the key's column or
                // deeper, a mapping deeper. (Nothing below is a null: declined.)
                let n = self.indent_at(self.pos)?;
                let at = self.pos + n;
                if n >= col && self.item_at(at) {
                    self.pos = at;
                    self.seq(n)
                } else if n > col {
                    self.pos = at;
                    let key = self.key()?;
                    self.map(n, key)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `{}`, `[]` or a block scalar at `pos`, written after a key's `: ` or a dash;
    /// `parent` is the column of that key or dash.
    fn inline_value(&mut self, parent: usize) -> Option<Value> {
        let rest = &self.b[self.pos..];
        if rest.starts_with(b"{}\n") {
            self.pos += 3;
            self.count_collection()?;
            return Some(Value::Object(Map::new()));
        }
        if rest.starts_with(b"[]\n") {
            self.pos += 3;
            self.count_collection()?;
            return Some(Value::Array(Vec::new()));
        }
        match rest.first() {
            Some(b'|' | b'>') => self.block_scalar(parent),
            _ => None,
        }
    }

    /// A scalar token at `pos`, up to the end of its line or (`key_ok`) to the `:` of a
    /// key (`pos` left at that `:` and `true` returned). A plain token may not start with
    /// an indicator, contain ` #` or a tab, or end in a space.
    fn token(&mut self, key_ok: bool) -> Option<(Token, bool)> {
        let start = self.pos;
        let (token, end) = match self.at(start) {
            b'"' => self.double_quoted()?,
            b'\'' => self.single_quoted()?,
            c => {
                let dash_ok = c == b'-' && !matches!(self.at(start + 1), b' ' | b'\n');
                if !dash_ok && is_indicator(c) {
                    return None;
                }
                let line_end = self.line_end(start);
                let line = &self.b[start..line_end];
                let colon = line
                    .windows(2)
                    .position(|w| w[0] == b':' && w[1] == b' ')
                    .or_else(|| (line.last() == Some(&b':')).then(|| line.len() - 1));
                let end = start + colon.unwrap_or(line.len());
                let s = &self.b[start..end];
                if s.is_empty()
                    || s.last() == Some(&b' ')
                    || s.contains(&b'\t')
                    || s.windows(2).any(|w| w == b" #")
                {
                    return None;
                }
                (Token::Plain(start, end), end)
            }
        };
        let value_len = match &token {
            Token::Quoted(s) => s.len(),
            Token::Plain(a, z) => z - a,
        };
        self.count(1, value_len.max(end - start))?;
        self.pos = end;
        match self.at(end) {
            b'\n' => Some((token, false)),
            b':' if key_ok && matches!(self.at(end + 1), b' ' | b'\n') => Some((token, true)),
            _ => None,
        }
    }

    /// A scalar token that is a whole value: its line ends at `pos`.
    fn scalar_line(&mut self, t: Token) -> Option<Value> {
        self.pos += 1;
        match t {
            Token::Quoted(s) => Some(Value::String(s)),
            Token::Plain(a, z) => plain_value(&self.text[a..z]),
        }
    }

    /// `"…"` on one line, with YAML's escapes; returns the string and the index after the
    /// closing quote.
    fn double_quoted(&self) -> Option<(Token, usize)> {
        let mut out = String::new();
        let mut i = self.pos + 1;
        let mut run = i;
        loop {
            match self.at(i) {
                b'"' => break,
                b'\n' | b'\t' | 0 => return None,
                b'\\' => {
                    out.push_str(&self.text[run..i]);
                    let (c, len) = self.escape(i + 1)?;
                    out.push(c);
                    i += 1 + len;
                    run = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&self.text[run..i]);
        Some((Token::Quoted(out), i + 1))
    }

    /// The escape after a backslash at `i - 1`: the character and how many bytes follow
    /// the backslash.
    fn escape(&self, i: usize) -> Option<(char, usize)> {
        let hex = |digits: usize| -> Option<(char, usize)> {
            let s = self.text.get(i + 1..i + 1 + digits)?;
            if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let v = u32::from_str_radix(s, 16).ok()?;
            Some((char::from_u32(v)?, 1 + digits))
        };
        let c = match self.at(i) {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return hex(2),
            b'u' => return hex(4),
            b'U' => return hex(8),
            _ => return None,
        };
        Some((c, 1))
    }

    /// `'…'` on one line (`''` is a quote).
    fn single_quoted(&self) -> Option<(Token, usize)> {
        let mut out = String::new();
        let mut i = self.pos + 1;
        let mut run = i;
        loop {
            match self.at(i) {
                b'\'' if self.at(i + 1) == b'\'' => {
                    out.push_str(&self.text[run..=i]);
                    i += 2;
                    run = i;
                }
                b'\'' => break,
                b'\n' | b'\t' | 0 => return None,
                _ => i += 1,
            }
        }
        out.push_str(&self.text[run..i]);
        Some((Token::Quoted(out), i + 1))
    }

    /// A literal (`|`) or folded (`>`) block scalar, with an optional chomping indicator
    /// and no indentation indicator; `parent` is the column of its key or dash, which its
    /// content must be indented beyond.
    fn block_scalar(&mut self, parent: usize) -> Option<Value> {
        let folded = self.at(self.pos) == b'>';
        let mut i = self.pos + 1;
        let chomp = match self.at(i) {
            c @ (b'-' | b'+') => {
                i += 1;
                c
            }
            _ => 0,
        };
        if self.at(i) != b'\n' {
            return None;
        }
        i += 1;
        let mut out = String::new();
        let mut indent: Option<usize> = None;
        let mut first = true;
        // Empty lines since the last content line.
        let mut empty = 0usize;
        while i < self.b.len() {
            let end = self.line_end(i);
            let line = &self.b[i..end];
            if line.is_empty() {
                empty += 1;
                i = end + 1;
                continue;
            }
            let n = line.iter().take_while(|&&c| c == b' ').count();
            if n == line.len() {
                // A line of spaces only: its meaning depends on rules not read here.
                return None;
            }
            let ci = match indent {
                None if n > parent => *indent.insert(n),
                None => return None,
                Some(ci) if n < ci => break,
                Some(ci) => ci,
            };
            let content = &self.text[i + ci..end];
            if folded && matches!(content.as_bytes()[0], b' ' | b'\t') {
                // A more-indented line of a folded scalar keeps its breaks.
                return None;
            }
            if first {
                if empty > 0 {
                    // Leading empty lines.
                    return None;
                }
                first = false;
            } else if folded && empty == 0 {
                out.push(' ');
            } else {
                let breaks = if folded { empty } else { empty + 1 };
                out.extend(std::iter::repeat_n('\n', breaks));
            }
            out.push_str(content);
            empty = 0;
            i = end + 1;
        }
        // (No content line: declined.)
        indent?;
        match chomp {
            b'-' => {}
            b'+' => out.extend(std::iter::repeat_n('\n', empty + 1)),
            _ => out.push('\n'),
        }
        self.count(1, out.len().max(i - self.pos))?;
        self.pos = i;
        Some(Value::String(out))
    }
}

/// A character a plain scalar may not start with (YAML's indicators, space, tab).
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
            | b'\t'
            | b'\n'
            | 0
    )
}

/// Whether serde-saphyr reads the plain scalar `s` as the string `s`: it is none of YAML
/// 1.1's null and boolean words (in any case), and if it starts like a number (a digit, a
/// sign or a dot) it has no radix prefix and holds a character no decimal integer or
/// float spelling has (`1h`, `2d`, `12:30`, `3 items`), or is digits with two or more dots
/// (`1.0.0`). Other number-like strings (`0x1F`, `1_000`, `1e5`, `2024-01-01`, `.inf`)
/// are not settled here.
fn plain_string(s: &str) -> bool {
    const WORDS: [&str; 10] = [
        "~", "null", "true", "false", "yes", "no", "y", "n", "on", "off",
    ];
    let Some(&first) = s.as_bytes().first() else {
        return false;
    };
    if WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return false;
    }
    if !matches!(first, b'0'..=b'9' | b'+' | b'-' | b'.') {
        return true;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return false;
    }
    // (A radix prefix makes letters digits: `0x1F`, `0o17`, `0b101`.)
    let b = unsigned.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && b"xXoObB".contains(&b[1]) {
        return false;
    }
    let numeral = |c: u8| c.is_ascii_digit() || b"_.eE+-".contains(&c);
    let versionlike = s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && s.bytes().filter(|&c| c == b'.').count() >= 2;
    s.bytes().any(|c| !numeral(c)) || versionlike
}

/// A plain scalar value, as serde-saphyr reads it into a `Value`, or `None` when it is not
/// one of the forms settled here: `null`, `true`, `false`, a canonical decimal integer
/// (`0`, `42`, `-7`), a float with a `.` and digits on both sides (`0.5`, `-1.25e+20`),
/// or a [`plain_string`].
fn plain_value(s: &str) -> Option<Value> {
    match s {
        "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if plain_string(s) {
        return Some(Value::String(s.to_string()));
    }
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let neg = usize::from(b[0] == b'-');
    let int = digits(neg);
    // (0, or no leading zero.)
    if int == 0 || (b[neg] == b'0' && int > 1) {
        return None;
    }
    let mut i = neg + int;
    if i == b.len() {
        if neg == 1 {
            if int == 1 && b[1] == b'0' {
                return None;
            }
            return s.parse::<i64>().ok().map(Value::from);
        }
        return s.parse::<u64>().ok().map(Value::from);
    }
    if b[i] != b'.' {
        return None;
    }
    let frac = digits(i + 1);
    if frac == 0 {
        return None;
    }
    i += 1 + frac;
    if i < b.len() {
        if !matches!(b[i], b'e' | b'E') || !matches!(b.get(i + 1), Some(b'+' | b'-')) {
            return None;
        }
        let exp = digits(i + 2);
        if exp == 0 || i + 2 + exp != b.len() {
            return None;
        }
    }
    let f: f64 = s.parse().ok()?;
    Number::from_f64(f)
        .filter(|_| f.is_finite())
        .map(Value::Number)
}

#[cfg(test)]
mod tests;
