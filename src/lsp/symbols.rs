//! The outline: nodes grouped by kind, then edges.

use std::ops::Range;

use lsp_types::{DocumentSymbol, SymbolKind};

use super::Document;
use super::index::{FlowIndex, Str};
use super::syntax::Step;

/// A symbol with byte spans; all spans are converted at once at the end (one sweep per
/// line: a minified flow is one long line).
struct Sym {
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range<usize>,
    selection: Range<usize>,
    children: Vec<Sym>,
}

pub fn outline(doc: &Document) -> Option<Vec<DocumentSymbol>> {
    let idx = doc.index();
    let mut out = Vec::new();
    let span = |id: usize| idx.tree.get(id).span.clone();
    let path = |k: &str| idx.tree.at_path(&doc.text, &[Step::Key(k.to_string())]);
    if let Some(nodes) = path("nodes") {
        // Kinds in the order they first appear; a kind's range spans its first to last node.
        let mut kinds: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, n) in idx.nodes.iter().enumerate() {
            let kind = n.kind.as_ref().map_or("(no type)", |k| k.text.as_str());
            match kinds.iter_mut().find(|(k, _)| k == kind) {
                Some((_, members)) => members.push(i),
                None => kinds.push((kind.to_string(), vec![i])),
            }
        }
        let groups = kinds
            .into_iter()
            .map(|(kind, members)| {
                let first = span(idx.nodes[members[0]].object);
                let last = span(idx.nodes[*members.last().unwrap_or(&members[0])].object);
                let children = members
                    .iter()
                    .map(|&i| {
                        let n = &idx.nodes[i];
                        let obj = span(n.object);
                        Sym {
                            name: name_of(&n.id, n.index, "node"),
                            detail: n.label.clone(),
                            kind: SymbolKind::OBJECT,
                            selection: n.id.as_ref().map_or(obj.clone(), |s| s.span.clone()),
                            range: obj,
                            children: Vec::new(),
                        }
                    })
                    .collect();
                let count = members.len();
                Sym {
                    name: kind,
                    detail: Some(format!("{count} node{}", if count == 1 { "" } else { "s" })),
                    kind: SymbolKind::CLASS,
                    range: first.start..last.end,
                    selection: first,
                    children,
                }
            })
            .collect();
        out.push(container(idx, "nodes", nodes, idx.nodes.len(), groups));
    }
    if let Some(edges) = path("edges") {
        let children = idx
            .edges
            .iter()
            .map(|e| {
                let obj = span(e.object);
                let end = |s: &Option<Str>| s.as_ref().map_or("?", |x| x.text.as_str()).to_string();
                let kind = e.kind.as_ref().map_or("?", |k| k.text.as_str());
                Sym {
                    name: name_of(&e.id, e.index, "edge"),
                    detail: Some(format!(
                        "{} → {} ({kind})",
                        end(&e.source.node),
                        end(&e.target.node)
                    )),
                    kind: SymbolKind::EVENT,
                    selection: e.id.as_ref().map_or(obj.clone(), |s| s.span.clone()),
                    range: obj,
                    children: Vec::new(),
                }
            })
            .collect();
        out.push(container(idx, "edges", edges, idx.edges.len(), children));
    }
    let mut spans = Vec::new();
    collect_spans(&out, &mut spans);
    let ranges = doc.lines().ranges(&doc.text, &spans);
    let mut ranges = ranges.into_iter();
    Some(convert(out, &mut ranges))
}

fn container(idx: &FlowIndex, name: &str, id: usize, count: usize, children: Vec<Sym>) -> Sym {
    let span = idx.tree.get(id).span.clone();
    Sym {
        name: name.to_string(),
        detail: Some(count.to_string()),
        kind: SymbolKind::ARRAY,
        selection: span.start..span.start + 1,
        range: span,
        children,
    }
}

fn collect_spans(syms: &[Sym], out: &mut Vec<Range<usize>>) {
    for s in syms {
        out.push(s.range.clone());
        out.push(s.selection.clone());
        collect_spans(&s.children, out);
    }
}

/// The symbols, taking their ranges from `ranges` in the order [`collect_spans`] gave.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be set; `tags` replaces it.
fn convert(
    syms: Vec<Sym>,
    ranges: &mut impl Iterator<Item = lsp_types::Range>,
) -> Vec<DocumentSymbol> {
    syms.into_iter()
        .map(|s| {
            let range = ranges.next().unwrap_or_default();
            let selection_range = ranges.next().unwrap_or_default();
            let children = convert(s.children, ranges);
            DocumentSymbol {
                name: s.name,
                detail: s.detail,
                kind: s.kind,
                tags: None,
                deprecated: None,
                range,
                selection_range,
                children: (!children.is_empty()).then_some(children),
            }
        })
        .collect()
}

/// An id, or `nodes[3]` for one without.
fn name_of(id: &Option<Str>, index: usize, what: &str) -> String {
    match id {
        Some(s) if !s.text.is_empty() => s.text.clone(),
        _ => format!("{what}s[{index}]"),
    }
}
