//! Maps a [`JsonPath`] back to a byte range of the source text.
//!
//! `serde_json` keeps no value positions, so this scanner walks the (already parsed, hence
//! well-formed) text along the path only when a diagnostic is rendered. It is iterative, so
//! nesting depth cannot overflow the stack, and it tolerates malformed text by returning
//! `None` instead of panicking.

use std::ops::Range;

use crate::diagnostics::{Focus, JsonPath, PathSeg, floor_char_boundary};

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `i` is at an opening quote; returns the index just past the closing quote.
fn scan_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// `i` is at the first byte of a value; returns the index just past it.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => scan_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = scan_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

fn decode_key(src: &str, quoted: Range<usize>) -> Option<std::borrow::Cow<'_, str>> {
    let raw = src.get(quoted.start + 1..quoted.end - 1)?;
    if raw.contains('\\') {
        serde_json::from_str::<String>(src.get(quoted)?)
            .ok()
            .map(Into::into)
    } else {
        Some(raw.into())
    }
}

/// The span of the value at `path` (and of its key, when it sits in an object).
pub struct Located {
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Finds the key and value spans of the value at `path`.
pub fn find(src: &str, path: &JsonPath) -> Option<Located> {
    let b = src.as_bytes();
    let mut pos = skip_ws(b, 0);
    // A UTF-8 byte order mark is not JSON whitespace but some editors write it.
    if src.starts_with('\u{feff}') {
        pos = skip_ws(b, 3);
    }
    let mut key = None;
    for seg in &path.0 {
        match seg {
            PathSeg::Key(want) => {
                if b.get(pos) != Some(&b'{') {
                    return None;
                }
                pos = skip_ws(b, pos + 1);
                loop {
                    if b.get(pos) != Some(&b'"') {
                        return None;
                    }
                    let kend = scan_string(b, pos)?;
                    let kspan = pos..kend;
                    let colon = skip_ws(b, kend);
                    if b.get(colon) != Some(&b':') {
                        return None;
                    }
                    let vstart = skip_ws(b, colon + 1);
                    if decode_key(src, kspan.clone())?.as_ref() == want {
                        key = Some(kspan);
                        pos = vstart;
                        break;
                    }
                    pos = skip_ws(b, skip_value(b, vstart)?);
                    if b.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                }
            }
            PathSeg::Index(want) => {
                if b.get(pos) != Some(&b'[') {
                    return None;
                }
                pos = skip_ws(b, pos + 1);
                for _ in 0..*want {
                    pos = skip_ws(b, skip_value(b, pos)?);
                    if b.get(pos) != Some(&b',') {
                        return None;
                    }
                    pos = skip_ws(b, pos + 1);
                }
                key = None;
            }
        }
    }
    let end = skip_value(b, pos)?;
    Some(Located {
        key,
        value: pos..end,
    })
}

/// The byte range a diagnostic at `path` underlines.
pub fn locate(src: &str, path: &JsonPath, focus: Focus) -> Option<Range<usize>> {
    find(src, path).map(|found| found.focus(src, focus))
}

impl Located {
    /// The part to underline: the value for scalars; for containers their key (or opening
    /// bracket), so a multi-line object is not underlined whole.
    pub fn focus(&self, src: &str, focus: Focus) -> Range<usize> {
        let container = matches!(src.as_bytes().get(self.value.start), Some(b'{' | b'['));
        match (focus, &self.key) {
            (Focus::Key, Some(k)) => k.clone(),
            (Focus::Auto, Some(k)) if container => k.clone(),
            (_, None) if container => self.value.start..self.value.start + 1,
            _ => self.value.clone(),
        }
    }
}

/// Locates many paths in one pass over the text (linear in its size), for rendering many
/// diagnostics of one file. Paths not present in the text are absent from the result.
pub fn find_all(
    src: &str,
    wanted: &std::collections::HashSet<Vec<PathSeg>>,
) -> std::collections::HashMap<Vec<PathSeg>, Located> {
    let mut out = std::collections::HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    struct Frame {
        object: bool,
        start: usize,
        key: Option<Range<usize>>,
        index: usize,
    }
    let b = src.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut path = WantedPath::new(wanted);
    let mut key: Option<Range<usize>> = None;
    let mut pos = skip_ws(b, 0);
    // Reads `"key": ` at pos; pushes the key on the path; returns the value's start.
    let read_key = |pos: usize, path: &mut WantedPath| -> Option<(usize, Range<usize>)> {
        let kend = scan_string(b, pos)?;
        let colon = skip_ws(b, kend);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        path.push(PathSeg::Key(decode_key(src, pos..kend)?.into_owned()));
        Some((skip_ws(b, colon + 1), pos..kend))
    };
    // Pops the innermost container, which ends just before `end`, recording it if wanted.
    let close = |stack: &mut Vec<Frame>,
                 path: &WantedPath,
                 end: usize,
                 out: &mut std::collections::HashMap<Vec<PathSeg>, Located>| {
        if let Some(f) = stack.pop()
            && path.is_wanted()
        {
            out.insert(
                path.segments.clone(),
                Located {
                    key: f.key,
                    value: f.start..end,
                },
            );
        }
    };
    'value: loop {
        let c = *match b.get(pos) {
            Some(c) => c,
            None => return out,
        };
        if c == b'{' || c == b'[' {
            let object = c == b'{';
            stack.push(Frame {
                object,
                start: pos,
                key: key.take(),
                index: 0,
            });
            pos = skip_ws(b, pos + 1);
            let closing = if object { b'}' } else { b']' };
            if b.get(pos) != Some(&closing) {
                if object {
                    let Some((vstart, kspan)) = read_key(pos, &mut path) else {
                        return out;
                    };
                    key = Some(kspan);
                    pos = vstart;
                } else {
                    path.push(PathSeg::Index(0));
                }
                continue 'value;
            }
            // Empty container: closed at once, handled below like any finished value.
            pos += 1;
            close(&mut stack, &path, pos, &mut out);
        } else {
            let Some(end) = skip_value(b, pos) else {
                return out;
            };
            if path.is_wanted() {
                out.insert(
                    path.segments.clone(),
                    Located {
                        key: key.take(),
                        value: pos..end,
                    },
                );
            }
            key = None;
            pos = end;
        }
        // A value just finished: continue with its container.
        loop {
            pos = skip_ws(b, pos);
            let Some(top) = stack.last_mut() else {
                return out;
            };
            path.pop();
            match b.get(pos) {
                Some(b',') => {
                    pos = skip_ws(b, pos + 1);
                    if top.object {
                        let Some((vstart, kspan)) = read_key(pos, &mut path) else {
                            return out;
                        };
                        key = Some(kspan);
                        pos = vstart;
                    } else {
                        top.index += 1;
                        path.push(PathSeg::Index(top.index));
                    }
                    continue 'value;
                }
                Some(b'}' | b']') => {
                    pos += 1;
                    close(&mut stack, &path, pos, &mut out);
                }
                _ => return out,
            }
        }
    }
}

/// The path [`find_all`] is at, and where it stands in a trie of the wanted paths: one
/// segment's lookup per step, so whether a path is wanted costs the same at any depth
/// (hashing the whole path at every value made a deep document quadratic in practice).
struct WantedPath {
    segments: Vec<PathSeg>,
    /// The trie node after each segment (`None`: no wanted path starts this way).
    states: Vec<Option<usize>>,
    /// Each trie node's children; node 0 is the empty path.
    children: Vec<crate::hash::HashMap<PathSeg, usize>>,
    /// Whether each trie node ends a wanted path.
    ends: Vec<bool>,
}

impl WantedPath {
    fn new(wanted: &std::collections::HashSet<Vec<PathSeg>>) -> Self {
        let mut t = WantedPath {
            segments: Vec::new(),
            states: Vec::new(),
            children: vec![crate::hash::HashMap::default()],
            ends: vec![false],
        };
        for path in wanted {
            let mut node = 0;
            for seg in path {
                node = match t.children[node].get(seg) {
                    Some(&next) => next,
                    None => {
                        let next = t.children.len();
                        t.children.push(crate::hash::HashMap::default());
                        t.ends.push(false);
                        t.children[node].insert(seg.clone(), next);
                        next
                    }
                };
            }
            t.ends[node] = true;
        }
        t
    }

    fn state(&self) -> Option<usize> {
        self.states.last().copied().unwrap_or(Some(0))
    }

    fn push(&mut self, seg: PathSeg) {
        let next = self
            .state()
            .and_then(|n| self.children[n].get(&seg).copied());
        self.states.push(next);
        self.segments.push(seg);
    }

    fn pop(&mut self) {
        self.states.pop();
        self.segments.pop();
    }

    fn is_wanted(&self) -> bool {
        self.state().is_some_and(|n| self.ends[n])
    }
}

/// The span of the first object key that repeats an earlier key of the same object.
/// Used to locate duplicate-key errors, which serde_json cannot position.
pub fn find_duplicate_key(src: &str) -> Option<Range<usize>> {
    use std::collections::HashSet;
    enum Frame {
        Object {
            keys: HashSet<String>,
            want_key: bool,
        },
        Array,
    }
    let b = src.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push(Frame::Object {
                keys: HashSet::new(),
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = true;
                }
            }
            b'"' => {
                let end = scan_string(b, i)?;
                if let Some(Frame::Object { keys, want_key }) = stack.last_mut()
                    && *want_key
                {
                    *want_key = false;
                    let key = decode_key(src, i..end)?.into_owned();
                    if !keys.insert(key) {
                        return Some(i..end);
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A one-character span at byte `offset` (clamped to the text and to char boundaries).
pub fn char_span_at(src: &str, offset: usize) -> Range<usize> {
    let start = floor_char_boundary(src, offset);
    let len = src[start..].chars().next().map_or(0, char::len_utf8);
    start..start + len
}

/// Byte offset of a 1-based line and column (columns as counted by serde_json: bytes).
pub fn offset_of_line_col(src: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, l) in src.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return (offset + column.saturating_sub(1)).min(offset + l.len());
        }
        offset += l.len();
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "nodes": [
    {"id": "a", "config": {"temperature": 3.0}},
    {"id": "b\"q", "tags": [1, [2, {"x": "}"}], 3]}
  ],
  "we\u0069rd": "w"
}"#;

    fn text(path: JsonPath, focus: Focus) -> &'static str {
        let r = locate(DOC, &path, focus).expect("found");
        &DOC[r]
    }

    #[test]
    fn finds_scalars_keys_and_containers() {
        let n = JsonPath::root().key("nodes");
        assert_eq!(
            text(n.index(0).key("config").key("temperature"), Focus::Auto),
            "3.0"
        );
        assert_eq!(text(n.index(1).key("id"), Focus::Auto), r#""b\"q""#);
        assert_eq!(text(n.index(1).key("id"), Focus::Key), r#""id""#);
        assert_eq!(text(n.index(1).key("tags").index(2), Focus::Auto), "3");
        assert_eq!(text(n.index(0).key("config"), Focus::Auto), r#""config""#);
        assert_eq!(text(n.index(1), Focus::Auto), "{");
        assert_eq!(text(JsonPath::root().key("weird"), Focus::Auto), r#""w""#);
        assert!(locate(DOC, &n.index(7), Focus::Auto).is_none());
        assert!(locate(DOC, &JsonPath::root().key("nope"), Focus::Auto).is_none());
    }

    #[test]
    fn find_all_follows_only_wanted_paths_at_any_depth() {
        // 300 arrays deep, many siblings there, one wanted value at the bottom; a key "0"
        // is not the index 0.
        let deep = format!(
            "{{\"0\": 1, \"d\": {}{}{}}}",
            "[".repeat(300),
            (0..50)
                .map(|i| format!("{{\"v\": {i}}}"))
                .collect::<Vec<_>>()
                .join(","),
            "]".repeat(300)
        );
        let mut at = JsonPath::root().key("d");
        for _ in 0..299 {
            at = at.index(0);
        }
        let leaf = at.index(42).key("v");
        let zero_key = JsonPath::root().key("0");
        let wanted = [
            leaf.0.clone(),
            zero_key.0.clone(),
            JsonPath::root().index(0).0,
        ]
        .into_iter()
        .collect();
        let found = find_all(&deep, &wanted);
        assert_eq!(&deep[found[&leaf.0].value.clone()], "42");
        assert_eq!(&deep[found[&zero_key.0].value.clone()], "1");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn find_all_agrees_with_find() {
        let mut all: Vec<JsonPath> = Vec::new();
        let n = JsonPath::root().key("nodes");
        all.push(JsonPath::root());
        all.push(n.clone());
        all.push(n.index(0).key("config").key("temperature"));
        all.push(n.index(1).key("id"));
        all.push(n.index(1).key("tags").index(1).index(1).key("x"));
        all.push(n.index(1).key("tags").index(2));
        all.push(JsonPath::root().key("weird"));
        all.push(n.index(9));
        let wanted = all.iter().map(|p| p.0.clone()).collect();
        let found = find_all(DOC, &wanted);
        for p in &all {
            let one = find(DOC, p).map(|l| (l.key, l.value));
            let many = found.get(&p.0).map(|l| (l.key.clone(), l.value.clone()));
            assert_eq!(one, many, "{p}");
        }
        assert!(!found.contains_key(&n.index(9).0));
        let empty = "{\"a\": [], \"b\": {}, \"c\": [[], {}]}";
        let p = |j: JsonPath| j.0;
        let w = [
            p(JsonPath::root().key("a")),
            p(JsonPath::root().key("c").index(1)),
            p(JsonPath::root().key("b")),
        ]
        .into_iter()
        .collect();
        let f = find_all(empty, &w);
        assert_eq!(&empty[f[&p(JsonPath::root().key("a"))].value.clone()], "[]");
        assert_eq!(&empty[f[&p(JsonPath::root().key("b"))].value.clone()], "{}");
        assert_eq!(
            &empty[f[&p(JsonPath::root().key("c").index(1))].value.clone()],
            "{}"
        );
    }

    #[test]
    fn malformed_text_gives_none() {
        for bad in ["", "{", "{\"a\"", "[1,", "{\"a\": [1, 2"] {
            let p = JsonPath::root().key("a").index(5);
            assert!(locate(bad, &p, Focus::Auto).is_none());
        }
    }

    #[test]
    fn duplicate_keys_located() {
        let src = r#"{"a": {"k": "x,\"k\"", "j": [{"k": 1}]}, "b": {"k": 1, "k": 2}}"#;
        let r = find_duplicate_key(src).unwrap();
        assert_eq!(&src[r.clone()], "\"k\"");
        assert_eq!(r.start, src.rfind("\"k\"").unwrap());
        assert!(find_duplicate_key(r#"{"a": 1, "b": {"a": 2}}"#).is_none());
    }

    #[test]
    fn line_col_offsets() {
        let src = "ab\ncd\nef";
        assert_eq!(offset_of_line_col(src, 2, 2), 4);
        assert_eq!(offset_of_line_col(src, 9, 1), src.len());
    }
}
