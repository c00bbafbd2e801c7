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
    /// `*.flow.json`, or JSON whose `$schema` is the v2 flow schema (near its start), is a
    /// flow. YAML with a top-level `core:` key, or beside the `.flow.json` it was
    /// compiled from (`x.yaml` next to `x.flow.json`, the CLI's default output), is a
    /// manifest.
    pub fn of(uri: &Uri, language_id: &str, text: &str) -> DocKind {
        DocKind::classify(uri, language_id, text, || beside_a_flow(uri))
    }

    /// [`DocKind::of`], asking `beside` (a look at the file system, which an open
    /// document's server does once, not at every keystroke) only when it matters.
    pub(super) fn classify(
        uri: &Uri,
        language_id: &str,
        text: &str,
        beside: impl FnOnce() -> bool,
    ) -> DocKind {
        let path = uri.path().as_str();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let head = &text[..crate::diagnostics::floor_char_boundary(text, SNIFF)];
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml") || language_id == "yaml";
        if path.ends_with(".flow.json") || (!yaml && names_flow_schema(head)) {
            DocKind::Flow
        } else if yaml && (has_core_key(head) || beside()) {
            DocKind::Manifest
        } else {
            DocKind::Other
        }
    }
}

/// Whether the text has `"$schema": "<the v2 URI>"`.
fn names_flow_schema(head: &str) -> bool {
    head.match_indices("\"$schema\"").any(|(at, key)| {
        let rest = head[at + key.len()..].trim_start();
        rest.strip_prefix(':')
            .map(str::trim_start)
            .and_then(|v| v.strip_prefix('"'))
            .is_some_and(|v| {
                v.starts_with(FLOW_SCHEMA_URI) && v[FLOW_SCHEMA_URI.len()..].starts_with('"')
            })
    })
}

/// Whether a line starts with the key `core` (plain or quoted) and a colon.
fn has_core_key(head: &str) -> bool {
    head.lines().any(|line| {
        ["core", "\"core\"", "'core'"].iter().any(|k| {
            line.strip_prefix(k)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
    })
}

/// Whether a `file:` manifest has the flow it was compiled from beside it.
pub(super) fn beside_a_flow(uri: &Uri) -> bool {
    let Some(path) = super::uri_to_path(uri) else {
        return false;
    };
    let Some(stem) = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".yaml").or_else(|| n.strip_suffix(".yml")))
    else {
        return false;
    };
    path.with_file_name(format!("{stem}.flow.json")).is_file()
}

/// The diagnostics of a document, located and sorted exactly as the CLI prints them, with
/// spans into the document's text as the editor has it.
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
    let source = match crate::load::source_from_text(name, text, limit) {
        Ok(s) => s,
        Err(f) => return vec![f.diagnostic],
    };
    let mut diags = match kind {
        DocKind::Flow => crate::validate_source(&source).diagnostics,
        _ => crate::import::import_manifest_with(&source, limits, crate::Reclaim::Free).diagnostics,
    };
    render::prepare(&source, &mut diags);
    // The library reads the text without its byte order mark; the editor's has it.
    if text.starts_with('\u{feff}') {
        let bom = '\u{feff}'.len_utf8();
        let shift = |s: &mut std::ops::Range<usize>| *s = s.start + bom..s.end + bom;
        for d in &mut diags {
            if let Some(l) = &mut d.location {
                shift(&mut l.span);
            }
            for r in &mut d.related {
                if let Some(s) = &mut r.span {
                    shift(s);
                }
            }
        }
    }
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
    // Each diagnostic's span, then its related spans: converted in one sweep, and taken
    // back in the same order.
    let mut spans: Vec<std::ops::Range<usize>> = Vec::with_capacity(diags.len());
    for d in diags {
        spans.push(span(d));
        spans.extend(d.related.iter().filter_map(|r| r.span.clone()));
    }
    let mut ranges = index.ranges(text, &spans).into_iter();
    diags
        .iter()
        .map(|d| {
            let range = ranges.next().unwrap_or_default();
            let mut related: Vec<DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter(|r| r.span.is_some())
                .zip(ranges.by_ref())
                .map(|(r, at)| DiagnosticRelatedInformation {
                    location: Location::new(uri.clone(), at),
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

    fn kind(uri: &str, language_id: &str, text: &str) -> DocKind {
        DocKind::of(&uri.parse().expect("a test URI"), language_id, text)
    }

    #[test]
    fn kinds_of_documents() {
        assert_eq!(kind("file:///a/x.flow.json", "json", "{}"), DocKind::Flow);
        let v2 = format!("{{\"$schema\": \"{FLOW_SCHEMA_URI}\"}}");
        assert_eq!(kind("file:///a/x.json", "json", &v2), DocKind::Flow);
        assert_eq!(kind("file:///a/package.json", "json", "{}"), DocKind::Other);
        assert_eq!(
            kind("file:///m.yaml", "yaml", "core:\n  name: x\n"),
            DocKind::Manifest
        );
        assert_eq!(
            kind("file:///m.yml", "yaml", "# c\ncore:\n"),
            DocKind::Manifest
        );
        // The extension alone makes YAML (a client may send no language id).
        for uri in ["file:///m.yaml", "file:///m.yml"] {
            assert_eq!(kind(uri, "", "core:\n"), DocKind::Manifest, "{uri}");
        }
        assert_eq!(kind("untitled:1", "yaml", "core:\n"), DocKind::Manifest);
        assert_eq!(kind("untitled:1", "", "core:\n"), DocKind::Other);
        assert_eq!(
            kind("file:///ci.yml", "yaml", "jobs:\n  core: 1\n"),
            DocKind::Other
        );
        assert!(check(DocKind::Other, "x", "{", crate::limits::Limits::default()).is_empty());
        // The URI named anywhere else is not a flow's `$schema` (the schema's own `$id`).
        let id = format!("{{\"$id\": \"{FLOW_SCHEMA_URI}\"}}");
        assert_eq!(kind("file:///s.json", "json", &id), DocKind::Other);
        let other = format!("{{\"$schema\": \"{FLOW_SCHEMA_URI}x\"}}");
        assert_eq!(kind("file:///s.json", "json", &other), DocKind::Other);
        let bom = format!("\u{feff}{{\n  \"$schema\" :\"{FLOW_SCHEMA_URI}\"}}");
        assert_eq!(kind("file:///s.json", "json", &bom), DocKind::Flow);
        for m in ["\u{feff}core:\n", "\"core\": {}\n", "'core' : x"] {
            assert_eq!(
                kind("file:///m.yaml", "yaml", m),
                DocKind::Manifest,
                "{m:?}"
            );
        }
        // A manifest beside its flow, whatever it holds.
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let dir = tmp.path();
        std::fs::write(dir.join("x.flow.json"), "{}").unwrap();
        let beside = format!("file://{}/x.yaml", dir.display());
        let alone = format!("file://{}/y.yaml", dir.display());
        assert_eq!(kind(&beside, "yaml", "- a\n"), DocKind::Manifest);
        assert_eq!(kind(&alone, "yaml", "- a\n"), DocKind::Other);
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
