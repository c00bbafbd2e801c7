//! Hover: a node kind's documentation and ports; a referenced node's label, kind and
//! config; a config key's documentation; the explanation of the diagnostics under the
//! cursor.

use std::fmt::Write;
use std::ops::Range;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

use super::Document;
use super::index::{FlowIndex, NodeInfo, template_ref_at};
use super::place::{At, Place, place_at};
use crate::diagnostics::render::escape_markdown;
use crate::model::NodeKind;

/// Config values longer than this are cut in a node's summary.
const VALUE_WIDTH: usize = 60;

/// At most this many config keys are listed in a node's summary.
const SUMMARY_KEYS: usize = 8;

pub fn hover(doc: &Document, pos: Position) -> Option<Hover> {
    let offset = doc.offset(pos);
    let text = doc.text.as_str();
    let idx = doc.index();
    let mut sections = Vec::new();
    let mut range: Option<Range<usize>> = None;
    if let Some((md, span)) = about(idx, text, offset) {
        sections.push(md);
        range = Some(span);
    }
    for (code, span) in diagnostics_at(doc, offset) {
        let info = code.info();
        sections.push(format!(
            "**{code}** ({}): {}\n\n{}",
            info.severity.as_str(),
            info.title,
            info.explanation
        ));
        range.get_or_insert(span);
    }
    if sections.is_empty() {
        return None;
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: range.map(|r| doc.range(&r)),
    })
}

/// The codes of the diagnostics last published for this very text whose range holds
/// `offset`, once each.
fn diagnostics_at(doc: &Document, offset: usize) -> Vec<(crate::diagnostics::Code, Range<usize>)> {
    let mut out: Vec<(crate::diagnostics::Code, Range<usize>)> = Vec::new();
    let Some((version, diags)) = &doc.published else {
        return out;
    };
    if *version != doc.version {
        return out;
    }
    for d in diags {
        if let Some(l) = &d.location
            && l.span.start <= offset
            && offset <= l.span.end
            && !out.iter().any(|(c, _)| *c == d.code)
        {
            out.push((d.code, l.span.clone()));
        }
    }
    out
}

/// What the flow says about the key or value at `offset`, in Markdown.
fn about(idx: &FlowIndex, text: &str, offset: usize) -> Option<(String, Range<usize>)> {
    let At { place, span, value } = place_at(idx, text, offset)?;
    let md = match place {
        Place::ConfigKey { node, key, .. } => {
            let kind = idx.nodes.get(node)?.kind()?;
            let what = crate::schema::config_key_description(kind, &key)?;
            format!("`{key}` ({kind} config)\n\n{what}")
        }
        Place::NodeKind { .. } => kind_doc(NodeKind::parse(&value)?),
        Place::NodeId { node } => {
            let node = idx.nodes.get(node)?;
            let uses = idx.uses_of(&value).len();
            format!("{}\n\nUsed by {uses} edge ends.", node_doc(node, text, idx))
        }
        Place::EdgeNode { edge, end } => node_doc(idx.endpoint_node(edge, end)?.0, text, idx),
        Place::EdgePort { edge, end } => {
            let (node, output) = idx.endpoint_node(edge, end)?;
            port_doc(node, output, &value)?
        }
        Place::Role { .. } => {
            if idx.roles.iter().any(|x| x.text == value) {
                format!("model role `{value}` (config.core_identity.models)")
            } else {
                let roles: Vec<String> = idx.roles.iter().map(|r| r.text.clone()).collect();
                format!(
                    "`{value}` is not a role of config.core_identity.models; roles: {}",
                    code_list(&roles)
                )
            }
        }
        Place::Text => {
            let r = template_ref_at(text, &span, offset)?;
            let md = match idx.node_of_binding(&r.name) {
                Some(node) => format!(
                    "`{}`: the result of\n\n{}",
                    r.name,
                    node_doc(node, text, idx)
                ),
                None if idx.variables.iter().any(|v| v.text == r.name) => {
                    format!("`{}`: a flow variable", r.name)
                }
                None => return None,
            };
            return Some((md, r.span));
        }
        Place::EdgeKind | Place::ConfigBody { .. } => return None,
    };
    Some((md, span))
}

/// A port named by an edge end: whether the node has it, and the ports it has.
fn port_doc(node: &NodeInfo, output: bool, port: &str) -> Option<String> {
    let ports = node.port_ids(output);
    let side = if output { "output" } else { "input" };
    let id = &node.id.as_ref()?.text;
    let known = if ports.iter().any(|p| p == port) {
        format!("`{port}`: an {side} port of `{id}`")
    } else {
        format!("`{id}` has no {side} port `{port}`")
    };
    Some(format!("{known}\n\n{side} ports: {}", code_list(&ports)))
}

/// `a`, `b` — or "none".
fn code_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    crate::diagnostics::listed(quoted.iter().map(String::as_str))
}

/// A node kind's documentation: what it is, its default ports, its config keys.
pub fn kind_doc(kind: NodeKind) -> String {
    let mut md = format!("**{kind}**");
    if let Some(what) = crate::schema::kind_description(kind) {
        let _ = write!(md, "\n\n{what}");
    }
    let ports =
        |p: &[(&str, &str)]| code_list(&p.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>());
    let _ = write!(
        md,
        "\n\nInputs: {} · Outputs: {}",
        ports(kind.default_inputs()),
        ports(kind.default_outputs())
    );
    let keys = crate::schema::config_keys(kind);
    if !keys.is_empty() {
        md.push_str("\n\nConfig:");
        for &key in keys {
            let _ = write!(md, "\n- `{key}`");
            if let Some(d) = crate::schema::config_key_description(kind, key) {
                let _ = write!(md, ": {d}");
            }
        }
    }
    md
}

/// A node's id, kind, label, config (the first keys, values cut short) and ports.
fn node_doc(node: &NodeInfo, text: &str, idx: &FlowIndex) -> String {
    let id = node.id.as_ref().map_or("?", |s| s.text.as_str());
    let kind = node.kind.as_ref().map_or("?", |s| s.text.as_str());
    let mut md = format!("**{id}** · `{kind}`");
    if let Some(label) = &node.label {
        let _ = write!(md, "\n\n{}", escape_markdown(label));
    }
    if let Some(cfg) = node.config {
        let members = idx.tree.members(cfg);
        if !members.is_empty() {
            md.push_str("\n\n```json");
            for m in members.iter().take(SUMMARY_KEYS) {
                let key = &text[m.key_span.clone()];
                let value = m.value.map_or(String::new(), |v| {
                    compact(&text[idx.tree.get(v).span.clone()])
                });
                let _ = write!(md, "\n{key}: {value}");
            }
            if members.len() > SUMMARY_KEYS {
                let _ = write!(md, "\n… and {} more", members.len() - SUMMARY_KEYS);
            }
            md.push_str("\n```");
        }
    }
    let _ = write!(
        md,
        "\n\nInputs: {} · Outputs: {}",
        code_list(&node.port_ids(false)),
        code_list(&node.port_ids(true))
    );
    if let Some(b) = node.binding() {
        let _ = write!(md, " · result `{{{{{b}}}}}`");
    }
    md
}

/// A value's source text on one line, cut at [`VALUE_WIDTH`] characters.
fn compact(raw: &str) -> String {
    let one_line: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= VALUE_WIDTH {
        return one_line;
    }
    let cut: String = one_line.chars().take(VALUE_WIDTH).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Code, Diagnostic, Location};

    #[test]
    fn diagnostics_under_the_cursor_once_per_code() {
        let uri = "file:///x.flow.json".parse().unwrap();
        let text = "{\"a\": [1, 2, 3]}".to_string();
        let mut doc = Document::new(
            uri,
            3,
            "json".into(),
            text,
            super::super::text::Encoding::Utf16,
        );
        let at = |code, span: Range<usize>| {
            let mut d = Diagnostic::new(code, "m");
            d.location = Some(Location {
                span,
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            });
            d
        };
        let diags = vec![
            at(Code::UnknownConfigKey, 1..4),
            at(Code::UnknownConfigKey, 1..6),
            at(Code::ConditionMissing, 2..5),
            at(Code::Io, 6..8),
        ];
        doc.published = Some((3, diags.clone()));
        assert_eq!(
            diagnostics_at(&doc, 3),
            vec![
                (Code::UnknownConfigKey, 1..4),
                (Code::ConditionMissing, 2..5)
            ]
        );
        assert_eq!(
            diagnostics_at(&doc, 8),
            vec![(Code::Io, 6..8)],
            "the end is in"
        );
        assert_eq!(diagnostics_at(&doc, 0), vec![]);
        doc.published = Some((2, diags));
        assert_eq!(
            diagnostics_at(&doc, 3),
            vec![],
            "published for another version"
        );
    }

    #[test]
    fn kind_docs_list_ports_and_keys() {
        let md = kind_doc(NodeKind::LogicLoop);
        assert!(
            md.starts_with("**logic_loop**\n\nConfig of a logic_loop node"),
            "{md}"
        );
        assert!(md.contains("Outputs: `body`, `done`"), "{md}");
        assert!(md.contains("\n- `max_iterations`"), "{md}");
        assert!(kind_doc(NodeKind::EntryApi).contains("Inputs: none · Outputs: `out_request`"));
    }

    #[test]
    fn node_summaries_list_the_first_keys() {
        let flow = |keys: usize| {
            let config: Vec<String> = (0..keys).map(|k| format!("\"k{k}\": {k}")).collect();
            format!(
                "{{\"nodes\": [{{\"id\": \"n\", \"type\": \"tool_http\", \"config\": {{{}}}}}]}}",
                config.join(", ")
            )
        };
        for (keys, more) in [
            (SUMMARY_KEYS, None),
            (SUMMARY_KEYS + 1, Some(1)),
            (SUMMARY_KEYS + 3, Some(3)),
        ] {
            let text = flow(keys);
            let idx = FlowIndex::build(&text);
            let md = node_doc(&idx.nodes[0], &text, &idx);
            let shown = (0..keys)
                .filter(|k| md.contains(&format!("\"k{k}\": {k}\n")))
                .count();
            assert_eq!(shown, keys.min(SUMMARY_KEYS), "{md}");
            match more {
                Some(n) => assert!(md.contains(&format!("\n… and {n} more\n")), "{md}"),
                None => assert!(!md.contains("more"), "{md}"),
            }
        }
    }

    #[test]
    fn summaries_are_short_and_escaped() {
        assert_eq!(compact("{\n  \"a\":   1\n}"), "{ \"a\": 1 }");
        let long = compact(&"x".repeat(100));
        assert_eq!(long.chars().count(), VALUE_WIDTH + 1);
        let text = r##"{"nodes": [{"id": "n", "type": "tool_http", "label": "# *x* a_b"}]}"##;
        let idx = FlowIndex::build(text);
        let md = node_doc(&idx.nodes[0], text, &idx);
        assert!(md.contains("\n\n\\# \\*x\\* a_b"), "{md}");
        let many: Vec<String> = (0..crate::diagnostics::MAX_LISTED + 2)
            .map(|i| format!("p{i}"))
            .collect();
        assert!(
            code_list(&many).ends_with("`p9`, … and 2 more"),
            "{}",
            code_list(&many)
        );
        assert_eq!(code_list(&[]), "none");
    }
}
