//! Code actions: the diagnostics' "did you mean" suggestions as quick fixes, the two ways
//! out of a conditional edge without a condition, and "compile to YAML" as a command.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Command, MessageType,
    TextEdit, Uri, WorkspaceEdit,
};

use super::{COMPILE_COMMAND, Document};
use crate::diagnostics::Code;

pub fn code_actions(doc: &Document, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let wanted = |kind: &CodeActionKind| {
        params.context.only.as_ref().is_none_or(|only| {
            only.iter().any(|o| {
                kind.as_str() == o.as_str()
                    || kind.as_str().starts_with(&format!("{}.", o.as_str()))
            })
        })
    };
    let mut out = Vec::new();
    if wanted(&CodeActionKind::QUICKFIX) {
        for d in &params.context.diagnostics {
            if d.source.as_deref() == Some("scaiflow") {
                out.extend(
                    fixes(doc, d)
                        .into_iter()
                        .map(CodeActionOrCommand::CodeAction),
                );
            }
        }
    }
    if wanted(&CodeActionKind::SOURCE) {
        let title = "Compile to YAML (scaiflow compile)".to_string();
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::SOURCE),
            command: Some(Command::new(
                title,
                COMPILE_COMMAND.to_string(),
                Some(vec![serde_json::json!(doc.uri.as_str())]),
            )),
            ..Default::default()
        }));
    }
    out
}

/// The quick fixes of one published diagnostic, when the text it was about is still there.
fn fixes(doc: &Document, d: &lsp_types::Diagnostic) -> Vec<CodeAction> {
    let data = d.data.as_ref();
    let was = data.and_then(|x| x.get("text")).and_then(|t| t.as_str());
    let start = doc.offset(d.range.start);
    let end = doc.offset(d.range.end);
    let Some(now) = doc.text.get(start..end) else {
        return Vec::new();
    };
    if was != Some(now) {
        return Vec::new();
    }
    let code = match &d.code {
        Some(lsp_types::NumberOrString::String(c)) => Code::parse(c),
        _ => None,
    };
    let action = |title: String, edit: TextEdit, preferred: bool| CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(edit_of(&doc.uri, edit)),
        is_preferred: Some(preferred),
        ..Default::default()
    };
    let mut out = Vec::new();
    let help = data.and_then(|x| x.get("help")).and_then(|h| h.as_str());
    if let Some(word) = help.and_then(crate::diagnostics::suggested)
        && now.starts_with('"')
    {
        let new_text = serde_json::to_string(word).unwrap_or_default();
        out.push(action(
            format!("Replace {now} with {new_text}"),
            TextEdit::new(d.range, new_text),
            true,
        ));
    }
    let port = matches!(code, Some(Code::MissingOutputPort | Code::MissingInputPort));
    if port && out.is_empty() && now.starts_with('"') {
        // No close name: each port the node has (a handful at most) is a way out.
        out.extend(port_choices(doc, start).into_iter().map(|p| {
            let new_text = serde_json::to_string(&p).unwrap_or_default();
            action(
                format!("Use port {new_text}"),
                TextEdit::new(d.range, new_text),
                false,
            )
        }));
    }
    if code == Some(Code::ConditionMissing) && now == "\"conditional\"" {
        // After `"type": "conditional"`, on a line of its own indented like `"type"`.
        let line_start = doc.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = doc.text[line_start..start]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let at = lsp_types::Range::new(d.range.end, d.range.end);
        // The line ending of the line it is on (a CRLF file stays CRLF).
        let eol = doc.text[start..].find('\n').map(|i| start + i);
        let crlf = eol.is_some_and(|i| doc.text[..i].ends_with('\r'));
        let newline = if crlf { "\r\n" } else { "\n" };
        out.push(action(
            "Add \"condition\": \"true\" (a fallthrough arm; write the branch's expression)"
                .to_string(),
            TextEdit::new(at, format!(",{newline}{indent}\"condition\": \"true\"")),
            false,
        ));
        out.push(action(
            "Make the edge \"sequential\"".to_string(),
            TextEdit::new(d.range, "\"sequential\"".to_string()),
            false,
        ));
    }
    out
}

/// The ports the node of the edge end at `offset` has on that side, when they are few
/// enough to offer each ([`crate::diagnostics::MAX_LISTED`]).
fn port_choices(doc: &Document, offset: usize) -> Vec<String> {
    let idx = doc.index();
    let Some(at) = super::place::place_at(idx, &doc.text, offset + 1) else {
        return Vec::new();
    };
    let super::place::Place::EdgePort { edge, end } = at.place else {
        return Vec::new();
    };
    match idx.endpoint_node(edge, end) {
        Some((node, output)) => {
            let ports = node.port_ids(output);
            if ports.len() <= crate::diagnostics::MAX_LISTED {
                ports
            } else {
                Vec::new()
            }
        }
        None => Vec::new(),
    }
}

fn edit_of(uri: &Uri, edit: TextEdit) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
        ..Default::default()
    }
}

/// `scaiflow compile` of the document's text to the YAML manifest beside its file (the
/// CLI's default output path), written atomically. The message says what happened.
pub fn compile(doc: &Document, options: super::Options) -> (MessageType, String) {
    let Some(path) = super::uri_to_path(&doc.uri) else {
        return (
            MessageType::ERROR,
            format!(
                "scaiflow: only a file can be compiled, not {}",
                doc.uri.as_str()
            ),
        );
    };
    if doc.kind != super::DocKind::Flow {
        return (
            MessageType::ERROR,
            format!("scaiflow: {} is not a flow", path.display()),
        );
    }
    let name = path.display().to_string();
    let source = match crate::load::source_from_text(&name, &doc.text, options.limits.max_input()) {
        Ok(s) => s,
        Err(f) => {
            return (
                MessageType::ERROR,
                format!("scaiflow: {}", f.diagnostic.message),
            );
        }
    };
    let compile_options = crate::CompileOptions {
        limits: options.limits,
        ..Default::default()
    };
    match crate::compile_flow_with(&source, crate::OutputFormat::Yaml, compile_options) {
        Ok(artifact) => {
            let out = crate::files::default_output(&path, "yaml");
            match crate::files::write_atomic(&out, &artifact.bytes) {
                Ok(()) => (
                    MessageType::INFO,
                    format!("scaiflow: wrote {}", out.display()),
                ),
                Err(e) => (
                    MessageType::ERROR,
                    format!("scaiflow: cannot write {}: {e}", out.display()),
                ),
            }
        }
        Err(e) => {
            // The compile error's summary ("flow has 2 errors", or why the artifact was
            // refused), then the first error.
            let first = e
                .errors
                .iter()
                .find(|d| d.is_error())
                .map_or(String::new(), |d| format!(": [{}] {}", d.code, d.message));
            (
                MessageType::ERROR,
                format!("scaiflow: {name} was not compiled, {}{first}", e.message),
            )
        }
    }
}
