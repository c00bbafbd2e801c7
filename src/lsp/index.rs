//! What the editor features need to know of a flow document: its nodes and edges with
//! where they are, built from the forgiving [`Tree`] so that it works while the flow is
//! being typed (and when it does not validate).

use std::collections::HashMap;
use std::ops::Range;

use super::syntax::{Id, Step, Tree, inner};
use crate::model::{NodeKind, binding_name};

/// A string value and where it is (with its quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Its index in `nodes`.
    pub index: usize,
    /// The node's object.
    pub object: Id,
    pub id: Option<Str>,
    pub kind: Option<Str>,
    pub label: Option<String>,
    pub config: Option<Id>,
    /// Declared ports (`None`: the kind's defaults apply).
    pub inputs: Option<Vec<Str>>,
    pub outputs: Option<Vec<Str>>,
}

impl NodeInfo {
    pub fn kind(&self) -> Option<NodeKind> {
        self.kind.as_ref().and_then(|k| NodeKind::parse(&k.text))
    }

    /// The ids of its input (or output) ports: the declared ones, else its kind's.
    pub fn port_ids(&self, output: bool) -> Vec<String> {
        let declared = if output { &self.outputs } else { &self.inputs };
        match (declared, self.kind()) {
            (Some(ports), _) => ports.iter().map(|p| p.text.clone()).collect(),
            (None, Some(kind)) => {
                let defaults = if output {
                    kind.default_outputs()
                } else {
                    kind.default_inputs()
                };
                defaults.iter().map(|(id, _)| (*id).to_string()).collect()
            }
            (None, None) => Vec::new(),
        }
    }

    /// The name a node's result is referenced by in templates.
    pub fn binding(&self) -> Option<String> {
        let id = self.id.as_ref()?;
        self.kind()
            .is_none_or(NodeKind::produces_value)
            .then(|| binding_name(&id.text))
    }
}

/// Which end of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Source,
    Target,
}

#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub node: Option<Str>,
    pub port: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct EdgeInfo {
    pub index: usize,
    pub object: Id,
    pub id: Option<Str>,
    pub kind: Option<Str>,
    pub source: Endpoint,
    pub target: Endpoint,
}

impl EdgeInfo {
    pub fn end(&self, end: End) -> &Endpoint {
        match end {
            End::Source => &self.source,
            End::Target => &self.target,
        }
    }
}

/// The index of one flow document.
#[derive(Debug, Default)]
pub struct FlowIndex {
    pub tree: Tree,
    pub nodes: Vec<NodeInfo>,
    pub edges: Vec<EdgeInfo>,
    /// Model roles of `config.core_identity.models`, in order.
    pub roles: Vec<Str>,
    /// Flow variables (`variables[].name`).
    pub variables: Vec<Str>,
    by_id: HashMap<String, usize>,
}

impl FlowIndex {
    pub fn build(text: &str) -> FlowIndex {
        let tree = Tree::parse(text);
        let mut index = FlowIndex::default();
        let s = |id: Option<Id>| -> Option<Str> {
            let id = id?;
            Some(Str {
                text: tree.string(text, id)?.into_owned(),
                span: tree.get(id).span.clone(),
            })
        };
        let key = |k: &str| Step::Key(k.to_string());
        if let Some(nodes) = tree.at_path(text, &[key("nodes")]) {
            for (i, &obj) in tree.elements(nodes).iter().enumerate() {
                let ports = |name: &str| {
                    tree.member(text, obj, name).map(|arr| {
                        tree.elements(arr)
                            .iter()
                            .filter_map(|&p| s(tree.member(text, p, "id")))
                            .collect()
                    })
                };
                let node = NodeInfo {
                    index: i,
                    object: obj,
                    id: s(tree.member(text, obj, "id")),
                    kind: s(tree.member(text, obj, "type")),
                    label: s(tree.member(text, obj, "label")).map(|l| l.text),
                    config: tree.member(text, obj, "config"),
                    inputs: ports("inputs"),
                    outputs: ports("outputs"),
                };
                index.nodes.push(node);
            }
        }
        if let Some(edges) = tree.at_path(text, &[key("edges")]) {
            for (i, &obj) in tree.elements(edges).iter().enumerate() {
                let end = |name: &str| {
                    tree.member(text, obj, name)
                        .map(|e| Endpoint {
                            node: s(tree.member(text, e, "node")),
                            port: s(tree.member(text, e, "port")),
                        })
                        .unwrap_or_default()
                };
                index.edges.push(EdgeInfo {
                    index: i,
                    object: obj,
                    id: s(tree.member(text, obj, "id")),
                    kind: s(tree.member(text, obj, "type")),
                    source: end("source"),
                    target: end("target"),
                });
            }
        }
        let models = [key("config"), key("core_identity"), key("models")];
        if let Some(models) = tree.at_path(text, &models) {
            index.roles = tree
                .elements(models)
                .iter()
                .filter_map(|&m| s(tree.member(text, m, "role")))
                .collect();
        }
        if let Some(vars) = tree.at_path(text, &[key("variables")]) {
            index.variables = tree
                .elements(vars)
                .iter()
                .filter_map(|&v| s(tree.member(text, v, "name")))
                .collect();
        }
        // The first node of an id wins, as it does in the analyze stage's messages.
        for (i, n) in index.nodes.iter().enumerate() {
            if let Some(id) = &n.id {
                index.by_id.entry(id.text.clone()).or_insert(i);
            }
        }
        index.tree = tree;
        index
    }

    pub fn node(&self, id: &str) -> Option<&NodeInfo> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// The node whose result a template names (`{{classify.intent}}` → `node_classify`);
    /// `input` names the flow's entry node.
    pub fn node_of_binding(&self, binding: &str) -> Option<&NodeInfo> {
        if binding == crate::analyze::INPUT_BINDING {
            return self
                .nodes
                .iter()
                .find(|n| n.kind().is_some_and(NodeKind::is_entry));
        }
        self.nodes
            .iter()
            .find(|n| n.binding().as_deref() == Some(binding))
    }

    /// The node an end of edge `edge` names, and whether its ports there are outputs (a
    /// source's are).
    pub fn endpoint_node(&self, edge: usize, end: End) -> Option<(&NodeInfo, bool)> {
        let endpoint = self.edges.get(edge)?.end(end);
        Some((
            self.node(&endpoint.node.as_ref()?.text)?,
            end == End::Source,
        ))
    }

    /// Every edge end that names node `id`.
    pub fn uses_of(&self, id: &str) -> Vec<(&EdgeInfo, End, &Str)> {
        let mut out = Vec::new();
        for e in &self.edges {
            for end in [End::Source, End::Target] {
                if let Some(n) = &e.end(end).node
                    && n.text == id
                {
                    out.push((e, end, n));
                }
            }
        }
        out
    }
}

/// A `{{name.path}}` reference inside a string: the name, and the byte range of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRef {
    pub name: String,
    pub span: Range<usize>,
}

/// Every `{{name…}}` reference of the string at `span`, in order. The raw text is
/// searched: escapes elsewhere in the string (a `\n` in a prompt) do not matter, and a
/// name cannot contain one.
pub fn template_refs(text: &str, span: &Range<usize>) -> Vec<TemplateRef> {
    let inside = inner(text, span);
    let s = &text[inside.clone()];
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = s[from..].find("{{") {
        let body_start = from + open + 2;
        let close = s[body_start..]
            .find("}}")
            .map_or(s.len(), |c| body_start + c);
        let body = &s[body_start..close];
        let name_start = body_start + body.len() - body.trim_start().len();
        let name_len = s[name_start..close]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(close - name_start);
        if name_len > 0 {
            out.push(TemplateRef {
                name: s[name_start..name_start + name_len].to_string(),
                span: inside.start + name_start..inside.start + name_start + name_len,
            });
        }
        from = close;
    }
    out
}

/// The template reference of the string at `span` whose name holds `offset`, if any.
pub fn template_ref_at(text: &str, span: &Range<usize>, offset: usize) -> Option<TemplateRef> {
    template_refs(text, span)
        .into_iter()
        .find(|r| r.span.start <= offset && offset <= r.span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_references() {
        let text = r#""Hi {{ classify.intent }} and {{input.message}}""#;
        let span = 0..text.len();
        let at = |w: &str| text.find(w).unwrap() + 1;
        let r = template_ref_at(text, &span, at("classify")).unwrap();
        assert_eq!(r.name, "classify");
        assert_eq!(&text[r.span.clone()], "classify");
        assert_eq!(
            template_ref_at(text, &span, at("input")).unwrap().name,
            "input"
        );
        assert_eq!(template_ref_at(text, &span, at("Hi")), None);
        assert_eq!(
            template_ref_at(text, &span, at("intent")),
            None,
            "not the field"
        );
        assert_eq!(template_ref_at(r#""{{""#, &(0..4), 3), None);
        let names: Vec<String> = template_refs(text, &span)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["classify", "input"]);
        let unclosed = r#""{{a}} {{b""#;
        let names: Vec<String> = template_refs(unclosed, &(0..unclosed.len()))
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        let escaped = r#""line\n{{classify.intent}}""#;
        let r =
            template_ref_at(escaped, &(0..escaped.len()), escaped.find("class").unwrap()).unwrap();
        assert_eq!(&escaped[r.span], "classify");
    }

    #[test]
    fn nodes_edges_and_bindings() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/customer-support.flow.json"
        ))
        .unwrap();
        let idx = FlowIndex::build(&text);
        assert!(idx.nodes.len() > 5 && idx.edges.len() > 5);
        let classify = idx.node_of_binding("classify").unwrap();
        assert_eq!(classify.id.as_ref().unwrap().text, "node_classify");
        assert_eq!(
            classify.port_ids(true),
            vec!["out_intent"],
            "declared ports"
        );
        // A node without declared ports has its kind's.
        let n = idx.node("node_entry").unwrap();
        assert!(n.outputs.is_none());
        assert_eq!(n.port_ids(true), vec!["out_request"]);
        assert_eq!(n.port_ids(false), Vec::<String>::new());
        assert!(
            idx.node_of_binding("input")
                .unwrap()
                .kind()
                .unwrap()
                .is_entry()
        );
        let uses = idx.uses_of("node_classify");
        assert!(uses.iter().any(|(_, end, _)| *end == End::Target));
        assert!(uses.iter().any(|(_, end, _)| *end == End::Source));
        assert!(idx.roles.iter().any(|r| r.text == "fast"));
    }
}
