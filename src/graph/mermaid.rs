//! Mermaid flowchart output (renders inline on GitHub inside a ```mermaid fence).
//!
//! Node ids are generated (`n0`, `n1`... in declaration order; loop boxes `loop0`...), so
//! no user text is ever an identifier; labels are double-quoted strings escaped by
//! [`text::mermaid`](super::text::mermaid).

use std::fmt::Write;

use super::diagram::{Diagram, ERROR_COLOR, EdgeStyle, Item, Shape};
use super::text;

/// The opening and closing brackets of a shape.
fn brackets(shape: Shape) -> (&'static str, &'static str) {
    match shape {
        Shape::Entry => ("([", "])"),
        Shape::Llm => ("[", "]"),
        Shape::Decision => ("{", "}"),
        Shape::Loop => ("{{", "}}"),
        Shape::Parallel => ("[/", "/]"),
        Shape::Tool => ("(", ")"),
        Shape::Data => (">", "]"),
        Shape::Hitl => ("[/", "\\]"),
        Shape::Queue => ("[(", ")]"),
        Shape::Compute => ("[\\", "/]"),
        Shape::Subflow => ("[[", "]]"),
        Shape::Unknown | Shape::Missing => ("[", "]"),
    }
}

pub fn render(d: &Diagram) -> String {
    let mut out = String::from("flowchart TD\n");
    container(d, 0, 1, &mut out);
    let mut cycle_links = Vec::new();
    for (k, e) in d.edges.iter().enumerate() {
        let arrow = match e.style {
            EdgeStyle::Data => "-.->",
            _ => "-->",
        };
        let _ = write!(out, "    n{} {arrow}", e.from);
        if let Some(label) = &e.label {
            let _ = write!(out, "|\"{}\"|", text::mermaid(&text::display(label)));
        }
        let _ = writeln!(out, " n{}", e.to);
        if e.cycle {
            cycle_links.push(k.to_string());
        }
    }
    // Only the classes in use, in a fixed order.
    for shape in Shape::ALL {
        if !d.nodes.iter().any(|n| n.shape == shape) {
            continue;
        }
        let (fill, stroke) = shape.colors();
        let extra = if shape == Shape::Missing {
            ",stroke-dasharray:4 3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    classDef {} fill:{fill},stroke:{stroke},color:#1a1a1a{extra}",
            shape.class()
        );
    }
    let unreachable: Vec<String> = (0..d.nodes.len())
        .filter(|&i| d.nodes[i].unreachable)
        .map(|i| format!("n{i}"))
        .collect();
    if !unreachable.is_empty() {
        let _ = writeln!(
            out,
            "    classDef unreachable stroke-dasharray:5 4,opacity:0.6"
        );
        let _ = writeln!(out, "    class {} unreachable", unreachable.join(","));
    }
    let (_, loop_stroke) = Shape::Loop.colors();
    for k in 0..d.clusters.len() {
        let _ = writeln!(
            out,
            "    style loop{k} fill:#fffaf3,stroke:{loop_stroke},stroke-dasharray:6 3"
        );
    }
    if !cycle_links.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:{ERROR_COLOR},stroke-width:2px",
            cycle_links.join(",")
        );
    }
    out
}

fn container(d: &Diagram, c: usize, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent);
    for item in &d.containers[c] {
        match *item {
            Item::Node(i) => {
                let n = &d.nodes[i];
                let (open, close) = brackets(n.shape);
                let mut lines = text::display(&n.label);
                lines.extend(text::display(&n.kind));
                let _ = writeln!(
                    out,
                    "{pad}n{i}{open}\"{}\"{close}:::{}",
                    text::mermaid(&lines),
                    n.shape.class()
                );
            }
            Item::Cluster(k) => {
                let title = text::mermaid(&text::display(&d.clusters[k].title));
                let _ = writeln!(out, "{pad}subgraph loop{k} [\"{title}\"]");
                let _ = writeln!(out, "{pad}    direction TB");
                container(d, k + 1, indent + 1, out);
                let _ = writeln!(out, "{pad}end");
            }
        }
    }
}
