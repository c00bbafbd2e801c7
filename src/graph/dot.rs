//! Graphviz DOT output (`dot -Tsvg` / `dot -Tpng`).
//!
//! Node ids are generated (`n0`, `n1`...; loop boxes `cluster_loop0`...). Labels are
//! HTML-like (`label=<...>`) with XML escaping ([`text::xml`](super::text::xml)), lines
//! joined by `<BR/>`; tooltips (the node id) are double-quoted strings with `\` and `"`
//! escaped ([`text::dot_quoted`](super::text::dot_quoted)).

use std::fmt::Write;

use super::diagram::{Diagram, ERROR_COLOR, EdgeStyle, Item, Shape};
use super::text;

const FONT: &str = "Helvetica,Arial,sans-serif";

/// Slanted shapes grow with their margin: a small one keeps them compact.
const SLANTED: &str = ", margin=\"0.02,0.04\"";

/// `(shape, style, extra attributes)` of a node shape.
fn shape_attrs(shape: Shape) -> (&'static str, &'static str, &'static str) {
    match shape {
        Shape::Entry => ("box", "rounded,filled,bold", ""),
        Shape::Llm => ("box", "filled", ""),
        Shape::Decision => ("diamond", "filled", ""),
        Shape::Loop => ("hexagon", "filled", ""),
        Shape::Parallel => ("parallelogram", "filled", SLANTED),
        Shape::Tool => ("box", "rounded,filled", ""),
        Shape::Data => ("cds", "filled", ""),
        Shape::Hitl => ("trapezium", "filled", SLANTED),
        Shape::Queue => ("cylinder", "filled", ""),
        Shape::Compute => ("invtrapezium", "filled", SLANTED),
        Shape::Subflow => ("box", "filled", ", peripheries=2"),
        Shape::Unknown => ("box", "filled", ""),
        Shape::Missing => ("box", "dashed,filled", ""),
    }
}

/// HTML-like label text: each line escaped, joined by `<BR/>`.
fn html(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| text::xml(l))
        .collect::<Vec<_>>()
        .join("<BR/>")
}

pub fn render(d: &Diagram) -> String {
    let mut out = String::from("digraph flow {\n");
    let _ = writeln!(
        out,
        "    graph [rankdir=TB, fontname=\"{FONT}\", fontsize=14, labelloc=t, label=<<B>{}</B>>, nodesep=0.4, ranksep=0.5];",
        html(&text::display(&d.title))
    );
    let _ = writeln!(
        out,
        "    node [fontname=\"{FONT}\", fontsize=12, margin=\"0.15,0.06\"];"
    );
    let _ = writeln!(
        out,
        "    edge [fontname=\"{FONT}\", fontsize=10, color=\"#444444\"];"
    );
    container(d, 0, 1, &mut out);
    for e in &d.edges {
        let mut attrs: Vec<String> = Vec::new();
        if let Some(label) = &e.label {
            attrs.push(format!("label=<{}>", html(&text::display(label))));
        }
        match e.style {
            EdgeStyle::Data => {
                attrs.push("style=dashed".into());
                attrs.push("color=\"#888888\"".into());
                attrs.push("constraint=false".into());
            }
            EdgeStyle::Unknown => attrs.push("style=dotted".into()),
            _ => {}
        }
        if e.cycle {
            attrs.push(format!("color=\"{ERROR_COLOR}\", penwidth=2"));
        }
        let _ = write!(out, "    n{} -> n{}", e.from, e.to);
        if !attrs.is_empty() {
            let _ = write!(out, " [{}]", attrs.join(", "));
        }
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out
}

fn container(d: &Diagram, c: usize, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent);
    for item in &d.containers[c] {
        match *item {
            Item::Node(i) => {
                let n = &d.nodes[i];
                let (fill, stroke) = n.shape.colors();
                let kind = html(&text::display(&n.kind));
                let (shape, style, extra) = shape_attrs(n.shape);
                let dashed = if n.unreachable && !style.contains("dashed") {
                    "dashed,"
                } else {
                    ""
                };
                let attrs = format!(
                    "label=<{}<BR/><FONT POINT-SIZE=\"9\" COLOR=\"#555555\">{kind}</FONT>>, shape={shape}, style=\"{dashed}{style}\"{extra}, fillcolor=\"{fill}\", color=\"{stroke}\", tooltip={}",
                    html(&text::display(&n.label)),
                    text::dot_quoted(&n.id),
                );
                let _ = writeln!(out, "{pad}n{i} [{attrs}];");
            }
            Item::Cluster(k) => {
                let title = html(&text::display(&d.clusters[k].title));
                let (_, stroke) = Shape::Loop.colors();
                let _ = writeln!(out, "{pad}subgraph cluster_loop{k} {{");
                let _ = writeln!(
                    out,
                    "{pad}    graph [label=<<I>{title}</I>>, style=\"rounded,dashed\", color=\"{stroke}\", bgcolor=\"#fffaf3\", fontsize=11, labeljust=l];"
                );
                container(d, k + 1, indent + 1, out);
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }
}
