//! Go to definition and find references: edge ends, ports, template references and model
//! roles lead to what they name; a node leads to every edge end and template that uses it.

use std::ops::Range;

use lsp_types::{Location, Position};

use super::Document;
use super::index::{FlowIndex, NodeInfo, template_ref_at, template_refs};
use super::place::{At, Place, place_at};
use super::syntax::Kind;

/// What the cursor names.
enum Target<'i> {
    Node(&'i NodeInfo),
    /// A port of a node: output ports for an edge's source, input ports for its target.
    Port(&'i NodeInfo, bool, String),
    Variable(Range<usize>),
    Role(Range<usize>),
}

fn target<'i>(idx: &'i FlowIndex, text: &str, offset: usize) -> Option<Target<'i>> {
    let At { place, span, value } = place_at(idx, text, offset)?;
    match place {
        Place::EdgeNode { edge, end } => Some(Target::Node(idx.endpoint_node(edge, end)?.0)),
        Place::EdgePort { edge, end } => {
            let (node, output) = idx.endpoint_node(edge, end)?;
            Some(Target::Port(node, output, value))
        }
        Place::NodeId { node } => Some(Target::Node(idx.nodes.get(node)?)),
        Place::Role { .. } => {
            let role = idx.roles.iter().find(|x| x.text == value)?;
            Some(Target::Role(role.span.clone()))
        }
        Place::Text => {
            let r = template_ref_at(text, &span, offset)?;
            if let Some(node) = idx.node_of_binding(&r.name) {
                return Some(Target::Node(node));
            }
            let var = idx.variables.iter().find(|v| v.text == r.name)?;
            Some(Target::Variable(var.span.clone()))
        }
        Place::NodeKind { .. }
        | Place::EdgeKind
        | Place::ConfigKey { .. }
        | Place::ConfigBody { .. } => None,
    }
}

/// Where a node is declared: its id (the node object when it has none).
fn node_span(idx: &FlowIndex, node: &NodeInfo) -> Range<usize> {
    node.id.as_ref().map_or_else(
        || idx.tree.get(node.object).span.clone(),
        |s| s.span.clone(),
    )
}

pub fn definition(doc: &Document, pos: Position) -> Option<Location> {
    let idx = doc.index();
    let span = match target(idx, &doc.text, doc.offset(pos))? {
        Target::Node(node) => node_span(idx, node),
        Target::Port(node, output, port) => {
            let declared = if output { &node.outputs } else { &node.inputs };
            declared
                .as_ref()
                .and_then(|ports| ports.iter().find(|p| p.text == port))
                .map_or_else(|| node_span(idx, node), |p| p.span.clone())
        }
        Target::Variable(span) | Target::Role(span) => span,
    };
    Some(Location::new(doc.uri.clone(), doc.range(&span)))
}

pub fn references(
    doc: &Document,
    pos: Position,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let idx = doc.index();
    let text = doc.text.as_str();
    let Target::Node(node) = target(idx, text, doc.offset(pos))? else {
        return None;
    };
    let id = node.id.as_ref()?;
    let mut spans: Vec<Range<usize>> = Vec::new();
    if include_declaration {
        spans.push(id.span.clone());
    }
    spans.extend(
        idx.uses_of(&id.text)
            .into_iter()
            .map(|(_, _, s)| s.span.clone()),
    );
    if let Some(binding) = node.binding() {
        spans.extend(template_uses(idx, text, &binding));
    }
    if node.kind().is_some_and(crate::model::NodeKind::is_entry)
        && idx
            .node_of_binding(crate::analyze::INPUT_BINDING)
            .is_some_and(|entry| entry.index == node.index)
    {
        spans.extend(template_uses(idx, text, crate::analyze::INPUT_BINDING));
    }
    spans.sort_by_key(|s| s.start);
    spans.dedup();
    let ranges = doc.lines().ranges(text, &spans);
    Some(
        ranges
            .into_iter()
            .map(|r| Location::new(doc.uri.clone(), r))
            .collect(),
    )
}

/// The spans of every `{{name…}}` in the node configs' strings.
fn template_uses(idx: &FlowIndex, text: &str, name: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for node in &idx.nodes {
        let Some(cfg) = node.config else { continue };
        let mut stack = vec![cfg];
        while let Some(v) = stack.pop() {
            let value = idx.tree.get(v);
            match &value.kind {
                Kind::Object(members) => stack.extend(members.iter().filter_map(|m| m.value)),
                Kind::Array(items) => stack.extend(items.iter().copied()),
                Kind::String => out.extend(
                    template_refs(text, &value.span)
                        .into_iter()
                        .filter(|r| r.name == name)
                        .map(|r| r.span),
                ),
                Kind::Scalar => {}
            }
        }
    }
    out
}
