//! The outline: nodes grouped by kind, then edges.

use lsp_types::{DocumentSymbol, SymbolKind};

use super::Document;
use super::index::{FlowIndex, Str};

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be set; `tags` replaces it.
fn symbol(
    doc: &Document,
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: std::ops::Range<usize>,
    selection: std::ops::Range<usize>,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: doc.range(&range),
        selection_range: doc.range(&selection),
        children: (!children.is_empty()).then_some(children),
    }
}

pub fn outline(doc: &Document) -> Option<Vec<DocumentSymbol>> {
    let idx = doc.index();
    let mut out = Vec::new();
    let span = |id: usize| idx.tree.get(id).span.clone();
    let path = |k: &str| {
        idx.tree
            .at_path(&doc.text, &[super::syntax::Step::Key(k.to_string())])
    };
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
                        symbol(
                            doc,
                            name_of(&n.id, n.index, "node"),
                            n.label.clone(),
                            SymbolKind::OBJECT,
                            obj.clone(),
                            n.id.as_ref().map_or(obj, |s| s.span.clone()),
                            Vec::new(),
                        )
                    })
                    .collect();
                let count = members.len();
                symbol(
                    doc,
                    kind,
                    Some(format!("{count} node{}", if count == 1 { "" } else { "s" })),
                    SymbolKind::CLASS,
                    first.start..last.end,
                    first.clone(),
                    children,
                )
            })
            .collect();
        out.push(container(doc, idx, "nodes", nodes, idx.nodes.len(), groups));
    }
    if let Some(edges) = path("edges") {
        let children = idx
            .edges
            .iter()
            .map(|e| {
                let obj = span(e.object);
                let end = |s: &Option<Str>| s.as_ref().map_or("?", |x| x.text.as_str()).to_string();
                let kind = e.kind.as_ref().map_or("?", |k| k.text.as_str());
                symbol(
                    doc,
                    name_of(&e.id, e.index, "edge"),
                    Some(format!(
                        "{} → {} ({kind})",
                        end(&e.source.node),
                        end(&e.target.node)
                    )),
                    SymbolKind::EVENT,
                    obj.clone(),
                    e.id.as_ref().map_or(obj, |s| s.span.clone()),
                    Vec::new(),
                )
            })
            .collect();
        out.push(container(
            doc,
            idx,
            "edges",
            edges,
            idx.edges.len(),
            children,
        ));
    }
    Some(out)
}

fn container(
    doc: &Document,
    idx: &FlowIndex,
    name: &str,
    id: usize,
    count: usize,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let span = idx.tree.get(id).span.clone();
    let open = span.start..span.start + 1;
    symbol(
        doc,
        name.to_string(),
        Some(count.to_string()),
        SymbolKind::ARRAY,
        span,
        open,
        children,
    )
}

/// An id, or `nodes[3]` for one without.
fn name_of(id: &Option<Str>, index: usize, what: &str) -> String {
    match id {
        Some(s) if !s.text.is_empty() => s.text.clone(),
        _ => format!("{what}s[{index}]"),
    }
}
