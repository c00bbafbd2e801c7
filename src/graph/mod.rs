//! `scaiflow graph`: a flow as a diagram — Mermaid (renders inline on GitHub), Graphviz DOT,
//! or a self-contained SVG laid out here (docs/graph.md).
//!
//! A broken flow is drawn too: a cycle, an unreachable node or a bad condition is exactly
//! what a reviewer wants to see. The drawing is read leniently from the JSON document
//! itself (not from the typed model, which a schema error would refuse), so it only needs
//! the flow's shape: a JSON object whose `nodes` and `edges`, where present, are arrays.
//! The diagnostics of `scaiflow validate` are returned beside the drawing.
//!
//! Everything is drawn in declaration order and every pass is linear or `n log n`, so the
//! same input gives the same bytes and a 10,000-node flow draws in well under a second.

mod diagram;
mod dot;
mod layout;
mod mermaid;
mod svg;
mod text;

use crate::diagnostics::{Code, Diagnostic};
use crate::load::SourceFile;

pub use diagram::MAX_CLUSTER_DEPTH;

/// The formats of `scaiflow graph`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders inline in GitHub Markdown: fence it as ```mermaid).
    #[default]
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`, `dot -Tpng`).
    Dot,
    /// A self-contained SVG image, laid out by scaiflow (no external tool).
    Svg,
}

impl GraphFormat {
    /// The conventional file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            GraphFormat::Mermaid => "mmd",
            GraphFormat::Dot => "dot",
            GraphFormat::Svg => "svg",
        }
    }
}

/// The drawing (when the document has a flow's shape) and every diagnostic of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphOutcome {
    /// The diagram text, ending with a newline; `None` only when the nodes and edges cannot
    /// be read (not JSON, not an object, `nodes` or `edges` not an array).
    pub text: Option<String>,
    /// What `scaiflow validate` reports for the same input (errors do not stop the drawing).
    pub diagnostics: Vec<Diagnostic>,
}

/// Draws a flow source in `format`.
pub fn graph(source: &SourceFile, format: GraphFormat) -> GraphOutcome {
    let mut diagnostics = crate::validate_source(source).diagnostics;
    let diagram = crate::load::parse_json(&source.text)
        .ok()
        .and_then(|doc| diagram::Diagram::from_document(&doc));
    let text = diagram.map(|d| match format {
        GraphFormat::Mermaid => mermaid::render(&d),
        GraphFormat::Dot => dot::render(&d),
        GraphFormat::Svg => svg::render(&d),
    });
    if text.is_none() && !diagnostics.iter().any(Diagnostic::is_error) {
        // Not expected (the schema rejects every such document), but never fail silently.
        diagnostics.push(Diagnostic::new(
            Code::SchemaViolation,
            "the flow's nodes and edges cannot be read, so there is nothing to draw",
        ));
    }
    GraphOutcome { text, diagnostics }
}
