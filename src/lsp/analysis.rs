//! The checks of a document, as `scaiflow validate` (flows) and `scaiflow import`
//! (manifests) run them, turned into LSP diagnostics.

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Uri,
};
use serde_json::json;

use super::text::LineIndex;
use crate::diagnostics::{Diagnostic, Severity, render};

/// What a document is to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A flow: checked as `scaiflow validate` checks it, with the editor features.
    Flow,
    /// A YAML deploy manifest: checked as `scaiflow import` reads it.
    Manifest,
    /// Anything else the client sends (another JSON or YAML file): left alone.
    Other,
}

/// The URI `$schema` of a v2 flow.
pub const FLOW_SCHEMA_URI: &str = "https://scailabs.com/schemas/scaiflow/v2.json";

/// How far into a document its `$schema` (or a manifest's `core:`) is looked for.
const SNIFF: usize = 4096;

impl DocKind {
    /// `*.flow.json`, or JSON that names the v2 schema near its start, is a flow; YAML with
    /// a top-level `core:` is a manifest.
    pub fn of(uri: &str, language_id: &str, text: &str) -> DocKind {
        let path = uri.split(['?', '#']).next().unwrap_or(uri);
        let head = &text[..crate::diagnostics::floor_char_boundary(text, SNIFF)];
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml") || language_id == "yaml";
        if path.ends_with(".flow.json") {
            DocKind::Flow
        } else if yaml {
            let manifest = head.starts_with("core:") || head.contains("\ncore:");
            if manifest {
                DocKind::Manifest
            } else {
                DocKind::Other
            }
        } else if head.contains(FLOW_SCHEMA_URI) {
            DocKind::Flow
        } else {
            DocKind::Other
        }
    }
}

/// The diagnostics of a document, located and sorted exactly as the CLI prints them.
pub fn check(
    kind: DocKind,
    name: &str,
    text: &str,
    limits: crate::limits::Limits,
) -> Vec<Diagnostic> {
    let limit = match kind {
        DocKind::Flow => limits.max_input(),
        DocKind::Manifest => limits.max_manifest(),
        DocKind::Other => return Vec::new(),
    };
    let source = match crate::load::source_from_bytes(name, text.as_bytes(), limit) {
        Ok(s) => s,
        Err(f) => return vec![f.diagnostic],
    };
    let mut diags = match kind {
        DocKind::Flow => crate::validate_source(&source).diagnostics,
        _ => crate::import::import_manifest_with(&source, limits).diagnostics,
    };
    render::prepare(&source, &mut diags);
    diags
}

/// Where `scaiflow explain CODE`'s text is published: one section per code.
pub fn explain_url(code: &str) -> Option<Uri> {
    let repo = env!("CARGO_PKG_REPOSITORY");
    format!(
        "{repo}/blob/main/docs/codes.md#{}",
        code.to_ascii_lowercase()
    )
    .parse()
    .ok()
}

/// The LSP form of one document's diagnostics.
///
/// The message is the CLI's, unchanged; the help (a "did you mean" hint, the fixing
/// command) and related places ("first defined here") become related information, and
/// `data` carries what the quick fixes need: the help, and the text the range held.
pub fn to_lsp(
    uri: &Uri,
    text: &str,
    index: &LineIndex,
    diags: &[Diagnostic],
) -> Vec<lsp_types::Diagnostic> {
    let span = |d: &Diagnostic| d.location.as_ref().map_or(0..0, |l| l.span.clone());
    let mut spans: Vec<std::ops::Range<usize>> = diags.iter().map(span).collect();
    for d in diags {
        spans.extend(d.related.iter().filter_map(|r| r.span.clone()));
    }
    let ranges = index.ranges(text, &spans);
    let mut related_ranges = ranges[diags.len()..].iter();
    diags
        .iter()
        .zip(&ranges)
        .map(|(d, &range)| {
            let mut related: Vec<DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter(|r| r.span.is_some())
                .map(|r| DiagnosticRelatedInformation {
                    location: Location::new(
                        uri.clone(),
                        *related_ranges.next().expect("one range per related span"),
                    ),
                    message: r.message.clone(),
                })
                .collect();
            if let Some(help) = &d.help {
                related.push(DiagnosticRelatedInformation {
                    location: Location::new(uri.clone(), range),
                    message: format!("help: {help}"),
                });
            }
            let s = span(d);
            lsp_types::Diagnostic {
                range,
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_string())),
                code_description: explain_url(d.code.as_str()).map(|href| CodeDescription { href }),
                source: Some("scaiflow".to_string()),
                message: d.message.clone(),
                related_information: (!related.is_empty()).then_some(related),
                tags: None,
                data: Some(json!({
                    "help": d.help,
                    "text": text.get(s).unwrap_or(""),
                })),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_documents() {
        assert_eq!(
            DocKind::of("file:///a/x.flow.json", "json", "{}"),
            DocKind::Flow
        );
        let v2 = format!("{{\"$schema\": \"{FLOW_SCHEMA_URI}\"}}");
        assert_eq!(DocKind::of("file:///a/x.json", "json", &v2), DocKind::Flow);
        assert_eq!(
            DocKind::of("file:///a/package.json", "json", "{}"),
            DocKind::Other
        );
        assert_eq!(
            DocKind::of("file:///m.yaml", "yaml", "core:\n  name: x\n"),
            DocKind::Manifest
        );
        assert_eq!(
            DocKind::of("file:///m.yml", "yaml", "# c\ncore:\n"),
            DocKind::Manifest
        );
        assert_eq!(
            DocKind::of("file:///ci.yml", "yaml", "jobs:\n  core: 1\n"),
            DocKind::Other
        );
        assert!(check(DocKind::Other, "x", "{", crate::limits::Limits::default()).is_empty());
    }

    #[test]
    fn explain_urls_name_the_code() {
        let url = explain_url("SF204").unwrap();
        assert!(
            url.as_str().ends_with("/docs/codes.md#sf204"),
            "{}",
            url.as_str()
        );
    }
}
