//! Diagnostics as data: a stable code, a severity, the exact message, the JSON path of the
//! offending value, the node / edge it concerns and a byte span into the source text.
//!
//! Stages produce [`Diagnostic`]s with a [`JsonPath`]; spans are resolved from the path only
//! when a diagnostic is rendered ([`crate::span::locate`]), so the happy path never pays for
//! them.

pub mod codes;
mod place;
pub mod render;

pub use place::Place;

use std::fmt;
use std::ops::Range;

pub use codes::Code;

/// How bad a diagnostic is. Errors block compilation; warnings never fail a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A path into the JSON document, displayed as `nodes[3].config.temperature`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(pub Vec<PathSeg>);

impl JsonPath {
    pub fn root() -> Self {
        JsonPath(Vec::new())
    }

    /// This path extended by an object key.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Key(k.to_string()));
        p
    }

    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(PathSeg::Index(i));
        p
    }

    /// Builds a path from segments such as `["nodes", 3, "config"]`.
    pub fn from_segments<I: IntoIterator<Item = PathSeg>>(segs: I) -> Self {
        JsonPath(segs.into_iter().collect())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as an RFC 6901 JSON pointer (`/nodes/3/config`).
    pub fn to_pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.0 {
            s.push('/');
            match seg {
                PathSeg::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
                PathSeg::Index(i) => s.push_str(&i.to_string()),
            }
        }
        s
    }
}

fn is_plain_key(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("$");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                PathSeg::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_str()))?,
                PathSeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Which part of a located value a diagnostic underlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The value itself for scalars; for objects and arrays, their key (or opening bracket),
    /// so that a multi-line container is not underlined whole.
    #[default]
    Auto,
    /// The key under which the value sits (falls back to the value).
    Key,
}

/// Where in the source a diagnostic points, once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Byte range into the source text.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 1-based line and column just past the span's end.
    pub end_line: usize,
    pub end_column: usize,
}

/// A secondary location, e.g. "first defined here".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: JsonPath,
    pub message: String,
    /// Resolved byte span, filled in with the diagnostic's location.
    pub span: Option<Range<usize>>,
}

/// One problem found in one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where in the document the problem is; `None` for whole-file problems.
    pub path: Option<JsonPath>,
    pub focus: Focus,
    pub node_id: Option<String>,
    pub edge_id: Option<String>,
    /// A hint on how to fix it ("did you mean ...").
    pub help: Option<String>,
    /// Short text under the underlined span.
    pub label: Option<String>,
    pub related: Vec<Related>,
    /// A position known without a path (syntax errors), as a byte offset.
    pub offset: Option<usize>,
    /// A byte range known without a path (e.g. a duplicated key); wins over `offset`.
    pub byte_span: Option<Range<usize>>,
    /// Resolved location, filled in by [`Diagnostic::resolve`].
    pub location: Option<Location>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            path: None,
            focus: Focus::Auto,
            node_id: None,
            edge_id: None,
            help: None,
            label: None,
            related: Vec::new(),
            offset: None,
            byte_span: None,
            location: None,
        }
    }

    pub fn at(mut self, path: JsonPath) -> Self {
        self.path = Some(path);
        self
    }

    pub fn focus(mut self, focus: Focus) -> Self {
        self.focus = focus;
        self
    }

    pub fn node(mut self, id: impl AsRef<str>) -> Self {
        self.node_id = Some(id.as_ref().to_owned());
        self
    }

    pub fn edge(mut self, id: impl AsRef<str>) -> Self {
        self.edge_id = Some(id.as_ref().to_owned());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn related(mut self, path: JsonPath, message: impl Into<String>) -> Self {
        self.related.push(Related {
            path,
            message: message.into(),
            span: None,
        });
        self
    }

    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    pub fn byte_span(mut self, span: Range<usize>) -> Self {
        self.byte_span = Some(span);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Fills in `location` (and related spans) from the path or offset. For many
    /// diagnostics of one file use [`resolve_all`], which reads the text once.
    pub fn resolve(&mut self, source: &str) {
        resolve_all(source, std::slice::from_mut(self));
    }

    /// The span this diagnostic underlines (resolving related spans on the way).
    /// Every span is snapped to char boundaries ([`snap`]): a parser may report a byte
    /// inside a character, and renderers slice the text.
    fn span_with(&mut self, source: &str, index: &SpanIndex) -> Option<Range<usize>> {
        for rel in &mut self.related {
            if rel.span.is_none() {
                rel.span = index.locate(source, &rel.path, Focus::Auto);
            }
            rel.span = rel.span.as_ref().map(|s| snap(source, s));
        }
        let span = if let Some(l) = &self.location {
            Some(l.span.clone())
        } else {
            match (&self.path, &self.byte_span) {
                (Some(path), _) => index.locate(source, path, self.focus),
                (None, Some(span)) if span.end <= source.len() => Some(span.clone()),
                _ => self.offset.map(|o| crate::span::char_span_at(source, o)),
            }
        };
        span.map(|s| snap(source, &s))
    }
}

/// Spans of the paths some diagnostics need, found in one pass over the text.
struct SpanIndex(std::collections::HashMap<Vec<PathSeg>, crate::span::Located>);

impl SpanIndex {
    /// A path to an absent member (e.g. `nodes` when the flow has none) points at the
    /// nearest ancestor that exists.
    fn locate(&self, source: &str, path: &JsonPath, focus: Focus) -> Option<Range<usize>> {
        (0..=path.0.len()).rev().find_map(|n| {
            let f = if n == path.0.len() { focus } else { Focus::Key };
            self.0.get(&path.0[..n]).map(|l| l.focus(source, f))
        })
    }
}

/// Resolves the locations of many diagnostics of one source, reading the text once.
pub fn resolve_all(source: &str, diags: &mut [Diagnostic]) {
    let mut wanted = std::collections::HashSet::new();
    for d in diags.iter() {
        if d.location.is_none()
            && let Some(p) = &d.path
        {
            for n in 0..=p.0.len() {
                wanted.insert(p.0[..n].to_vec());
            }
        }
        for r in &d.related {
            wanted.insert(r.path.0.clone());
        }
    }
    let index = SpanIndex(crate::span::find_all(source, &wanted));
    let spans: Vec<Option<Range<usize>>> = diags
        .iter_mut()
        .map(|d| d.span_with(source, &index))
        .collect();
    for (d, loc) in diags.iter_mut().zip(locations(source, spans)) {
        d.location = loc;
    }
}

/// Locations of many spans of one text, with one sweep over it.
fn locations(source: &str, spans: Vec<Option<Range<usize>>>) -> Vec<Option<Location>> {
    let mut offsets: Vec<usize> = spans
        .iter()
        .flatten()
        .flat_map(|s| [s.start, s.end])
        .collect();
    let positions = line_cols(source, &mut offsets);
    let at = |o: usize| positions[offsets.binary_search(&o).unwrap_or(0)];
    spans
        .into_iter()
        .map(|span| {
            span.map(|span| {
                let ((line, column), (end_line, end_column)) = (at(span.start), at(span.end));
                Location {
                    span,
                    line,
                    column,
                    end_line,
                    end_column,
                }
            })
        })
        .collect()
}

/// 1-based (line, column in characters) of each offset, in one forward sweep over the text
/// (linear even for a minified flow on one huge line). Sorts and dedups `offsets`; the
/// result is aligned with them.
fn line_cols(text: &str, offsets: &mut Vec<usize>) -> Vec<(usize, usize)> {
    offsets.sort_unstable();
    offsets.dedup();
    let mut out = Vec::with_capacity(offsets.len());
    let (mut line, mut col, mut pos) = (1, 1, 0);
    let mut chars = text.char_indices().peekable();
    for &target in offsets.iter() {
        while pos < target {
            match chars.next() {
                Some((_, c)) => {
                    pos += c.len_utf8();
                    if c == '\n' {
                        line += 1;
                        col = 1;
                    } else {
                        col += 1;
                    }
                }
                None => break,
            }
        }
        out.push((line, col));
    }
    out
}

pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The first char boundary at or after `i` (the end of `s` past it).
pub(crate) fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// `span` moved onto char boundaries of `text`: the start down and the end up (a span that
/// starts or ends inside a character covers all of it), within the text, never reversed
/// (a reversed or empty span becomes empty at its start).
pub(crate) fn snap(text: &str, span: &Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start);
    let end = if span.end > span.start {
        ceil_char_boundary(text, span.end)
    } else {
        start
    };
    start..end
}

/// Words longer than this get no suggestion (edit distance is quadratic in length).
const MAX_SUGGEST_LEN: usize = 64;

/// At most this many candidates are compared per suggestion (the first ones, in the
/// order given: deterministic), so one suggestion costs O(1) (`docs/limits.md`).
pub const MAX_SUGGEST_CANDIDATES: usize = 1_000;

/// At most this many suggestions are worked out per run (per analysed flow or verified
/// IR): the rest of the diagnostics get none, so N problems among N candidates stay
/// linear (`docs/limits.md`).
pub const MAX_SUGGESTIONS: usize = 64;

/// At most this many names are listed in one help text ("ports: a, b, … and 12 more").
pub const MAX_LISTED: usize = 10;

/// Suggests the candidate closest to `word`, if one is close enough to be a likely typo.
/// Case is ignored when comparing (`LLM_Flexible` → `llm_flexible`).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let len = word.chars().count();
    if len > MAX_SUGGEST_LEN {
        return None;
    }
    let lower = word.to_lowercase();
    let slack = 2.max(len / 3);
    let mut best: Option<(f64, &'a str)> = None;
    for cand in candidates.into_iter().take(MAX_SUGGEST_CANDIDATES) {
        if cand == word || cand.len().abs_diff(word.len()) > slack * 4 {
            continue;
        }
        let clen = cand.chars().count();
        if clen.abs_diff(len) > slack || clen > MAX_SUGGEST_LEN {
            continue;
        }
        let c = cand.to_lowercase();
        let score = strsim::normalized_damerau_levenshtein(&lower, &c);
        let close = score >= 0.7 || strsim::damerau_levenshtein(&lower, &c) <= 2;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` help text, when there is a close candidate.
pub fn suggestion<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The word a [`suggestion`] help text suggests (`did you mean `x`?` → `x`), for tools
/// that act on it (the language server's quick fixes).
pub fn suggested(help: &str) -> Option<&str> {
    help.strip_prefix("did you mean `")?.strip_suffix("`?")
}

/// The suggestions one run may still work out ([`MAX_SUGGESTIONS`]).
#[derive(Debug, Clone)]
pub struct SuggestBudget(usize);

impl Default for SuggestBudget {
    fn default() -> Self {
        SuggestBudget(MAX_SUGGESTIONS)
    }
}

impl SuggestBudget {
    /// [`suggestion`] while the budget lasts, then `None`.
    pub fn suggest<'a, I>(&mut self, word: &str, candidates: I) -> Option<String>
    where
        I: IntoIterator<Item = &'a str>,
    {
        if self.0 == 0 {
            return None;
        }
        self.0 -= 1;
        suggestion(word, candidates)
    }
}

/// `a, b, c` — or, past [`MAX_LISTED`] names, the first ones and `… and N more`. Reads
/// only the names it shows.
pub fn listed<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let total = names.len();
    let shown: Vec<&str> = names.take(MAX_LISTED).collect();
    if total <= MAX_LISTED {
        return shown.join(", ");
    }
    format!("{}, … and {} more", shown.join(", "), total - MAX_LISTED)
}

/// Sorts diagnostics by position (then code) so output is stable and reads top to bottom.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let pos = |d: &Diagnostic| d.location.as_ref().map_or(0, |l| l.span.start);
        pos(a)
            .cmp(&pos(b))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_display() {
        let p = JsonPath::root()
            .key("nodes")
            .index(3)
            .key("config")
            .key("temperature");
        assert_eq!(p.to_string(), "nodes[3].config.temperature");
        assert_eq!(p.to_pointer(), "/nodes/3/config/temperature");
        let q = JsonPath::root().key("config").key("my key").key("a/b");
        assert_eq!(q.to_string(), "config[\"my key\"][\"a/b\"]");
        assert_eq!(q.to_pointer(), "/config/my key/a~1b");
        assert_eq!(JsonPath::root().to_string(), "$");
    }

    #[test]
    fn suggestion_budget_and_lists_are_bounded() {
        let mut b = SuggestBudget::default();
        for _ in 0..MAX_SUGGESTIONS {
            assert_eq!(
                b.suggest("fastt", ["fast"]).as_deref(),
                Some("did you mean `fast`?")
            );
        }
        assert_eq!(b.suggest("fastt", ["fast"]), None, "the budget is spent");
        let names: Vec<String> = (0..MAX_LISTED + 3).map(|i| format!("p{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let l = |n: &[&str]| listed(n.iter().copied());
        assert_eq!(l(&names[..2]), "p0, p1");
        assert_eq!(
            l(&names[..MAX_LISTED]).matches(", ").count(),
            MAX_LISTED - 1
        );
        assert_eq!(
            l(&names),
            "p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, … and 3 more"
        );
    }

    #[test]
    fn suggestions() {
        let kinds = ["llm_flexible", "llm_guarded", "llm_rigid"];
        assert_eq!(did_you_mean("llm_flexibel", kinds), Some("llm_flexible"));
        assert_eq!(did_you_mean("completely_else", kinds), None);
        assert_eq!(did_you_mean("fastt", ["primary", "fast"]), Some("fast"));
        assert_eq!(did_you_mean("LLM_Flexible", kinds), Some("llm_flexible"));
        let help = suggestion("llm_flexibel", kinds).unwrap();
        assert_eq!(suggested(&help), Some("llm_flexible"), "read back");
        assert_eq!(suggested("output ports: out"), None);
        let long = "x".repeat(100);
        assert_eq!(did_you_mean(&long, [long.as_str(), "xx"]), None);
        // Only the first MAX_SUGGEST_CANDIDATES candidates are compared.
        let many: Vec<String> = (0..MAX_SUGGEST_CANDIDATES)
            .map(|i| format!("zz{i}"))
            .collect();
        let with = |last: &'static str| {
            let mut v: Vec<&str> = many.iter().map(String::as_str).collect();
            v.push(last);
            did_you_mean("fastt", v)
        };
        assert_eq!(with("fast"), None);
        assert_eq!(did_you_mean("fastt", ["fast"]), Some("fast"));
    }

    #[test]
    fn location_counts_chars() {
        let src = "{\n  \"é\": 1,\n  \"x\": 2\n}";
        let off = src.find("\"x\"").unwrap();
        let loc = locations(src, vec![Some(off..off + 3)])[0].clone().unwrap();
        assert_eq!((loc.line, loc.column), (3, 3));
    }
}
