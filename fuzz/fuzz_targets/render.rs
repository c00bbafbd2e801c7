//! Arbitrary source text, arbitrary diagnostics pointing into it (byte offsets, byte spans,
//! JSON paths, related paths; messages, help, labels, node / edge ids, file names with
//! control characters) → `render::prepare` (resolve + sort, as every CLI command does) →
//! every `--message-format`: `human` (with and without colour), `short`, `json`, `github`
//! and `sarif`.
//!
//! Diagnostics are built with the public builder (`Diagnostic::new(..).at(..).offset(..)
//! .byte_span(..)...`), the way the stages build them, and located by `prepare`; the
//! `location` field is never set by hand.
//!
//! Invariants: no panic; `short` and `github` stay one line per diagnostic; a resolved
//! location lies inside the text with 1-based line and column (and is a forward range
//! unless the diagnostic was given a backwards `byte_span`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use scaiflow::diagnostics::{Diagnostic, Focus, JsonPath, PathSeg, Severity, codes};
use scaiflow::load::SourceFile;
use scaiflow_fuzz::{render_every_format, truncate};

/// Real documents to point into (flows, broken flows, a manifest, an IR dump).
const TEXTS: &[&str] = &[
    include_str!("../../examples/customer-support.flow.json"),
    include_str!("../../examples/research-fanout.flow.json"),
    include_str!("../../fixtures/sf100-missing-comma.json"),
    include_str!("../../fixtures/sf101-duplicate-key.json"),
    include_str!("../../fixtures/sf204-missing-output-port.json"),
    include_str!("../../fixtures/import/sf503-edited-step.yaml"),
    include_str!("../../fixtures/ir/e412-unknown-block-kind.json"),
    "{\"nodes\": [{\"id\": \"é✓日本\", \"label\": \"\\u0000\\n\"}], \"edges\": []}",
    "",
    "\n\n\n",
    "\u{feff}{}",
];

const KEYS: &[&str] = &[
    "nodes",
    "edges",
    "id",
    "type",
    "label",
    "config",
    "position",
    "x",
    "source",
    "target",
    "node",
    "port",
    "condition",
    "variables",
    "name",
    "template",
    "core",
    "flows",
    "steps",
    "meta",
    "node_id",
    "scaiflow_meta",
    "body",
    "kind",
    "arms",
    "metadata",
    "description",
];

#[derive(Arbitrary, Debug)]
enum SourceText {
    Raw(String),
    Embedded(u8),
    /// An embedded text with arbitrary text appended (multi-byte characters at the end).
    EmbeddedWithSuffix(u8, String),
    /// An embedded text on one line (a minified flow: the long-line window).
    Minified(u8),
}

impl SourceText {
    fn get(&self) -> String {
        let pick = |i: &u8| TEXTS[*i as usize % TEXTS.len()];
        match self {
            SourceText::Raw(s) => s.clone(),
            SourceText::Embedded(i) => pick(i).to_string(),
            SourceText::EmbeddedWithSuffix(i, s) => format!("{}{s}", pick(i)),
            SourceText::Minified(i) => pick(i).replace('\n', " "),
        }
    }
}

/// A byte offset: usually inside the text (any byte, not only character boundaries),
/// sometimes anywhere.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Off {
    In(u16),
    End,
    Raw(usize),
}

impl Off {
    fn get(self, len: usize) -> usize {
        match self {
            Off::In(o) => o as usize % (len + 1),
            Off::End => len,
            Off::Raw(o) => o,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Seg {
    Key(u8),
    RawKey(String),
    Index(u8),
}

fn path(segs: &[Seg]) -> JsonPath {
    JsonPath::from_segments(segs.iter().take(8).map(|s| match s {
        Seg::Key(i) => PathSeg::Key(KEYS[*i as usize % KEYS.len()].to_string()),
        Seg::RawKey(k) => PathSeg::Key(truncate(k, 32).to_string()),
        Seg::Index(i) => PathSeg::Index(*i as usize % 8),
    }))
}

#[derive(Arbitrary, Debug)]
enum Where {
    Nowhere,
    Offset(Off),
    /// A forward span (start ≤ end).
    Span(Off, Off),
    /// A span as given, possibly backwards (`5..2`): no stage builds one, but
    /// `Diagnostic::byte_span` is public and the renderers clamp spans.
    AnySpan(Off, Off),
    Path(Vec<Seg>, bool),
    /// A path and a span and an offset: the path wins, then the span.
    Everything(Vec<Seg>, Off, Off, Off),
}

#[derive(Arbitrary, Debug)]
struct DiagDesc {
    code: u16,
    warning: bool,
    message: String,
    place: Where,
    help: Option<String>,
    label: Option<String>,
    node: Option<String>,
    edge: Option<String>,
    related: Vec<(Vec<Seg>, String)>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    text: SourceText,
    diags: Vec<DiagDesc>,
}

fn span(a: Off, b: Off, len: usize) -> std::ops::Range<usize> {
    let (a, b) = (a.get(len), b.get(len));
    a.min(b)..a.max(b)
}

fuzz_target!(|input: Input| {
    let text = input.text.get();
    let len = text.len();
    let source = SourceFile::new(truncate(&input.name, 64), text);
    let mut diags: Vec<Diagnostic> = input
        .diags
        .iter()
        .take(8)
        .map(|dd| {
            let code = codes::ALL[dd.code as usize % codes::ALL.len()].code;
            let mut d = Diagnostic::new(code, dd.message.clone());
            if dd.warning {
                d.severity = Severity::Warning;
            }
            d = match &dd.place {
                Where::Nowhere => d,
                Where::Offset(o) => d.offset(o.get(len)),
                Where::Span(a, b) => d.byte_span(span(*a, *b, len)),
                Where::AnySpan(a, b) => d.byte_span(a.get(len)..b.get(len)),
                Where::Path(p, key) => {
                    d.at(path(p))
                        .focus(if *key { Focus::Key } else { Focus::Auto })
                }
                Where::Everything(p, a, b, o) => d
                    .at(path(p))
                    .byte_span(span(*a, *b, len))
                    .offset(o.get(len)),
            };
            if let Some(h) = &dd.help {
                d = d.help(h.clone());
            }
            if let Some(l) = &dd.label {
                d = d.label(l.clone());
            }
            if let Some(n) = &dd.node {
                d = d.node(n.clone());
            }
            if let Some(e) = &dd.edge {
                d = d.edge(e.clone());
            }
            for (p, m) in dd.related.iter().take(3) {
                d = d.related(path(p), m.clone());
            }
            d
        })
        .collect();
    render_every_format(&source, &mut diags, true);
    for d in &diags {
        if let Some(l) = &d.location {
            let backwards = d.byte_span.as_ref().is_some_and(|s| s.start > s.end);
            assert!(
                l.span.end <= len && (l.span.start <= l.span.end || backwards),
                "location outside the text: {l:?}"
            );
            assert!(
                l.line >= 1 && l.column >= 1,
                "line/column not 1-based: {l:?}"
            );
        }
    }
});
