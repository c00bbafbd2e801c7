//! Reading the manifest (`fast` for the texts `compile` writes, else serde-saphyr with
//! loading budgets) and locating values in its text for diagnostics.

mod fast;

use std::collections::HashMap;
use std::ops::Range;

use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, PathSeg};

/// How deep a manifest may nest (a flow nests at most `lower::MAX_NESTING` blocks, up to
/// seven YAML levels each, and 127 levels of config).
pub const MAX_YAML_DEPTH: usize = 2048;

/// How large a manifest may be: a flow at the 16 MiB input limit, nested deeply, compiles
/// to a manifest several times its size (indentation, `meta` records).
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

fn yaml_options(limits: crate::limits::Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_YAML_DEPTH;
    // (4,000,000 nodes and twice as many events per 16 MiB of input limit.)
    budget.max_nodes = limits.max_yaml_nodes();
    budget.max_events = limits.max_yaml_nodes().saturating_mul(2);
    // Emitted manifests have no anchors; hand-written ones need few. An alias bomb needs
    // many, or many replayed events.
    budget.max_anchors = 1_000;
    budget.max_aliases = 10_000;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_recorded_anchor_bytes = 4 * 1024 * 1024;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

fn error_at(code: Code, message: String, span: Option<Range<usize>>) -> Diagnostic {
    let d = Diagnostic::new(code, message);
    match span {
        Some(s) => d.byte_span(s),
        None => d,
    }
}

/// The manifest's value as the fast reader reads it, before its check ([`written_back`]):
/// `None` when it declines ([`load`] then reads the text).
pub(super) fn parse_fast(text: &str, limits: crate::limits::Limits) -> Option<Value> {
    fast::parse(text, yaml_options(limits).budget.as_ref()?)
}

/// Whether the value [`parse_fast`] read is the manifest's: the writer writes it back as
/// the text, byte for byte.
pub(super) use fast::written_back;

/// Parses the manifest text with serde-saphyr; a syntax or budget problem is one located
/// error.
pub(super) fn load(text: &str, limits: crate::limits::Limits) -> Result<Value, Diagnostic> {
    match serde_saphyr::from_str_with_options(text, yaml_options(limits)) {
        Ok(v) => Ok(v),
        Err(e) => {
            let span = e.location().and_then(|l| {
                let s = l.span();
                match s.byte_offset() {
                    Some(o) => Some(o as usize..(o + s.byte_len().unwrap_or(1).max(1)) as usize),
                    None => {
                        offset_of(text, l.line() as usize, l.column() as usize).map(|o| o..o + 1)
                    }
                }
            });
            let raw = e.to_string();
            let mut first = raw.lines().next().unwrap_or("").trim().to_string();
            // The location is the diagnostic's own; drop the parser's copy of it.
            if let Some(i) = first.rfind(" at line ") {
                first.truncate(i);
            }
            let (code, message) = if let Some(what) = first.strip_prefix("budget breached: ") {
                (
                    Code::YamlBudget,
                    format!(
                        "the manifest is too costly to load: {}",
                        budget_reason(what)
                    ),
                )
            } else if first.contains("from_str_multiple") {
                (
                    Code::YamlSyntax,
                    "invalid YAML: the manifest holds several documents (`---`); it must be exactly one".into(),
                )
            } else if first.contains("Option<") {
                (
                    Code::YamlSyntax,
                    "invalid YAML: a mapping key is null (`~` or empty); keys are strings".into(),
                )
            } else if first.contains("recursion limit exceeded") {
                // (Before the alias-budget branch: its message also says "limit".)
                (
                    Code::YamlBudget,
                    "the manifest is too costly to load: it nests too deeply (`[ ]` / `{ }` collections nest at most 255 levels)".into(),
                )
            } else if first.contains("budget")
                || first.contains("replay")
                || first.contains("limit")
            {
                (
                    Code::YamlBudget,
                    "the manifest is too costly to load: its aliases expand beyond the loading budget (an alias bomb)".into(),
                )
            } else if let Some(k) = first.strip_prefix("duplicate mapping key: ") {
                let k = k.split(", set DuplicateKeyPolicy").next().unwrap_or(k);
                (
                    Code::YamlSyntax,
                    format!("invalid YAML: duplicate key `{k}`"),
                )
            } else {
                (Code::YamlSyntax, format!("invalid YAML: {first}"))
            };
            Err(error_at(code, message, span))
        }
    }
}

/// Which loading budget a manifest exceeded, in words.
fn budget_reason(what: &str) -> String {
    let name = what.split([' ', '{', '(']).next().unwrap_or(what);
    match name {
        "RecordedAnchorEvents" | "RecordedAnchorBytes" => {
            "its aliases would replay more than 100,000 events (an alias bomb)".into()
        }
        "Aliases" => "it uses more than 10,000 aliases".into(),
        "Anchors" => "it defines more than 1,000 anchors".into(),
        "Depth" => format!("it nests deeper than {MAX_YAML_DEPTH} levels"),
        "Nodes" | "Events" => "it holds more than 4,000,000 values".into(),
        "AliasAnchorRatio" => "it uses far more aliases than anchors (an alias bomb)".into(),
        other => format!("the {other} limit was reached"),
    }
}

/// The byte offset of a 1-based line and column (in characters), if the text has it.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    Some((start + col).min(text.len().saturating_sub(1)))
}

/// Where values of a YAML document are: for a mapping entry its key, for a list item the
/// item itself. Built from the parser's events in one pass that follows only the paths
/// asked for (and their ancestors), skipping every other subtree in constant time per
/// event, so locating a few diagnostics costs one linear scan however deep the document.
pub struct YamlIndex(HashMap<Vec<PathSeg>, Range<usize>>);

enum Frame {
    Map { key: Option<(String, Range<usize>)> },
    Seq { index: usize },
}

impl YamlIndex {
    /// Locates `wanted` paths (and their ancestors, for the nearest-ancestor fallback).
    pub fn locate(text: &str, wanted: &[Vec<PathSeg>]) -> YamlIndex {
        use serde_saphyr::granit_parser::{Event, Parser};
        let mut prefixes: std::collections::HashSet<&[PathSeg]> = std::collections::HashSet::new();
        for w in wanted {
            for n in 0..=w.len() {
                prefixes.insert(&w[..n]);
            }
        }
        let mut out = HashMap::new();
        if prefixes.is_empty() {
            return YamlIndex(out);
        }
        let mut parser = Parser::new_from_str(text);
        // Containers being followed; `skip` counts the depth inside a subtree no wanted
        // path enters.
        let mut stack: Vec<Frame> = Vec::new();
        let mut path: Vec<PathSeg> = Vec::new();
        let mut skip = 0usize;
        let targets: std::collections::HashSet<&[PathSeg]> =
            wanted.iter().map(Vec::as_slice).collect();
        let mut found = 0usize;
        let byte = |m: &serde_saphyr::granit_parser::Marker| m.byte_offset().unwrap_or(0);
        while let Some(Ok((event, span))) = parser.next_event() {
            // Every wanted path located (ancestors come first): the rest is not needed.
            if found == targets.len() {
                break;
            }
            let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
            let closes = matches!(event, Event::MappingEnd | Event::SequenceEnd);
            if skip > 0 {
                if opens {
                    skip += 1;
                } else if closes {
                    skip -= 1;
                    if skip == 0 {
                        advance(&mut stack);
                    }
                }
                continue;
            }
            if closes {
                if stack.pop().is_some() && !stack.is_empty() {
                    path.pop();
                }
                advance(&mut stack);
                continue;
            }
            let value = opens || matches!(event, Event::Scalar(..) | Event::Alias(_));
            if !value {
                continue;
            }
            let here = byte(&span.start)..byte(&span.end).max(byte(&span.start) + 1);
            // A scalar where a mapping wants a key is that key.
            if let (Some(Frame::Map { key: key @ None }), Event::Scalar(s, ..)) =
                (stack.last_mut(), &event)
            {
                *key = Some((s.to_string(), here));
                continue;
            }
            let (seg, at) = match stack.last() {
                Some(Frame::Map {
                    key: Some((k, span)),
                }) => (Some(PathSeg::Key(k.clone())), span.clone()),
                Some(Frame::Seq { index }) => (Some(PathSeg::Index(*index)), here.clone()),
                // A complex key, or the document root.
                Some(Frame::Map { key: None }) | None => (None, here.clone()),
            };
            if let Some(s) = &seg {
                path.push(s.clone());
            }
            let known = prefixes.contains(path.as_slice());
            if known && !out.contains_key(&path) {
                if targets.contains(path.as_slice()) {
                    found += 1;
                }
                out.insert(path.clone(), at);
            }
            if opens && known && (seg.is_some() || stack.is_empty()) {
                stack.push(if matches!(event, Event::MappingStart(..)) {
                    Frame::Map { key: None }
                } else {
                    Frame::Seq { index: 0 }
                });
                continue;
            }
            if seg.is_some() {
                path.pop();
            }
            if opens {
                skip = 1;
            } else {
                advance(&mut stack);
            }
        }
        YamlIndex(out)
    }

    /// The span of `path`, or of its nearest ancestor the index knows.
    pub fn span(&self, path: &[PathSeg]) -> Option<Range<usize>> {
        (0..=path.len())
            .rev()
            .find_map(|n| self.0.get(&path[..n]).cloned())
    }
}

/// After a value: the next list index, or a mapping's next key.
fn advance(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Seq { index }) => *index += 1,
        Some(Frame::Map { key }) => *key = None,
        None => {}
    }
}
