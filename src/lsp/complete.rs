//! Completion: node kinds, node ids and their ports inside edges, config keys of the
//! node's kind, model roles in `llm_role`, results and variables inside `{{…}}`.

use std::ops::Range;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Position, TextEdit,
};

use super::Document;
use super::index::FlowIndex;
use super::place::{At, Place, place_at};
use super::syntax::inner;
use crate::model::{EdgeKind, NodeKind};

pub fn complete(doc: &Document, pos: Position) -> Option<Vec<CompletionItem>> {
    let offset = doc.offset(pos);
    let text = doc.text.as_str();
    let idx = doc.index();
    let At { place, span, .. } = place_at(idx, text, offset)?;
    let within = inner(text, &span);
    let range = doc.range(&within);
    let words = |list: Vec<(String, Option<String>)>, kind: CompletionItemKind| {
        list.into_iter()
            .map(|(w, detail)| item(w.clone(), kind, detail, range, w))
            .collect::<Vec<_>>()
    };
    let items = match place {
        // A config key being typed: the keys of the node's kind not written yet.
        Place::ConfigKey { node, object, .. } => {
            let kind = idx.nodes.get(node)?.kind()?;
            config_keys(idx, text, object, kind, Some(&span))
                .map(|key| {
                    let detail = crate::schema::config_key_description(kind, key);
                    let mut it = item(
                        key.to_string(),
                        CompletionItemKind::PROPERTY,
                        detail.map(str::to_string),
                        range,
                        key.to_string(),
                    );
                    it.filter_text = Some(key.to_string());
                    it
                })
                .collect()
        }
        // Between a config's members: whole `"key": ` members.
        Place::ConfigBody { node, object } => {
            let kind = idx.nodes.get(node)?.kind()?;
            let here = doc.range(&(offset..offset));
            config_keys(idx, text, object, kind, None)
                .map(|key| {
                    let detail = crate::schema::config_key_description(kind, key);
                    item(
                        key.to_string(),
                        CompletionItemKind::PROPERTY,
                        detail.map(str::to_string),
                        here,
                        format!("\"{key}\": "),
                    )
                })
                .collect()
        }
        Place::NodeKind { .. } => NodeKind::ALL
            .iter()
            .map(|k| {
                let mut it = item(
                    k.as_str().to_string(),
                    CompletionItemKind::ENUM_MEMBER,
                    crate::schema::kind_description(*k).map(str::to_string),
                    range,
                    k.as_str().to_string(),
                );
                it.documentation = Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: super::hover::kind_doc(*k),
                }));
                it
            })
            .collect(),
        Place::EdgeKind => words(
            [EdgeKind::Sequential, EdgeKind::Conditional, EdgeKind::Data]
                .iter()
                .map(|k| (k.as_str().to_string(), None))
                .collect(),
            CompletionItemKind::ENUM_MEMBER,
        ),
        Place::EdgeNode { .. } => words(
            idx.nodes
                .iter()
                .filter_map(|n| {
                    let id = n.id.as_ref()?.text.clone();
                    let kind = n.kind.as_ref().map_or("?", |k| k.text.as_str());
                    let detail = match &n.label {
                        Some(l) => format!("{l} ({kind})"),
                        None => kind.to_string(),
                    };
                    Some((id, Some(detail)))
                })
                .collect(),
            CompletionItemKind::REFERENCE,
        ),
        Place::EdgePort { edge, end } => {
            let (node, output) = idx.endpoint_node(edge, end)?;
            let side = if output { "output port" } else { "input port" };
            words(
                node.port_ids(output)
                    .into_iter()
                    .map(|p| (p, Some(side.to_string())))
                    .collect(),
                CompletionItemKind::FIELD,
            )
        }
        Place::Role { .. } => words(
            idx.roles
                .iter()
                .enumerate()
                .map(|(k, r)| {
                    let detail = (k == 0).then(|| "the primary model".to_string());
                    (r.text.clone(), detail)
                })
                .collect(),
            CompletionItemKind::VALUE,
        ),
        Place::NodeId { .. } | Place::Text => return in_template(idx, text, &within, offset, doc),
    };
    Some(items)
}

/// A completion that replaces `range` with `new_text`. (Every item of a list replaces the
/// same range, converted once: on a minified flow's one long line each conversion walks
/// the line.)
fn item(
    label: String,
    kind: CompletionItemKind,
    detail: Option<String>,
    range: lsp_types::Range,
    new_text: String,
) -> CompletionItem {
    CompletionItem {
        label,
        kind: Some(kind),
        detail,
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, new_text))),
        ..Default::default()
    }
}

/// The config keys of `kind` not yet in the config object (the key at `current` is the
/// one being typed: it stays offered).
fn config_keys<'a>(
    idx: &'a FlowIndex,
    text: &'a str,
    object: usize,
    kind: NodeKind,
    current: Option<&'a Range<usize>>,
) -> impl Iterator<Item = &'static str> + 'a {
    let written: Vec<String> = idx
        .tree
        .members(object)
        .iter()
        .filter(|m| Some(&m.key_span) != current)
        .map(|m| super::syntax::string_text(text, &m.key_span).into_owned())
        .collect();
    crate::schema::config_keys(kind)
        .iter()
        .copied()
        .filter(move |k| !written.iter().any(|w| w == k))
}

/// Inside an open `{{` before the cursor (in an escape-free string): node results, `input`
/// and the flow's variables, replacing the name typed so far.
fn in_template(
    idx: &FlowIndex,
    text: &str,
    within: &Range<usize>,
    offset: usize,
    doc: &Document,
) -> Option<Vec<CompletionItem>> {
    // The raw text is searched: an escape before the `{{` (a `\n` in a prompt) does not
    // matter, and a name cannot contain one.
    let before = text.get(within.start..offset.min(within.end))?;
    let open = before.rfind("{{")?;
    let typed = &before[open + 2..];
    let lead = typed.len() - typed.trim_start().len();
    let name = &typed[lead..];
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let start = within.start + open + 2 + lead;
    // The whole name is replaced, what follows the cursor too (`{{cla|ssify.intent}}`).
    let after = &text[offset.min(within.end)..within.end];
    let rest = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let range = doc.range(&(start..offset.min(within.end) + rest));
    let variable = |label: String, detail: Option<String>| {
        item(
            label.clone(),
            CompletionItemKind::VARIABLE,
            detail,
            range,
            label,
        )
    };
    let mut items = vec![variable(
        crate::analyze::INPUT_BINDING.to_string(),
        Some("the flow's input".to_string()),
    )];
    for n in &idx.nodes {
        if let Some(b) = n.binding() {
            let detail = n.id.as_ref().map(|id| format!("result of {}", id.text));
            items.push(variable(b, detail));
        }
    }
    for v in &idx.variables {
        items.push(variable(v.text.clone(), Some("flow variable".to_string())));
    }
    Some(items)
}
