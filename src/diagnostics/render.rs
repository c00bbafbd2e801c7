//! Renderers for diagnostics: `human` (miette), `short`, `json` (one object per line),
//! `github` (workflow commands) and `sarif` (2.1.0). See `docs/diagnostics.md`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde_json::{Value, json};

use super::{Diagnostic, Location, Severity, codes, location_of};
use crate::load::SourceFile;

/// The output formats of `--message-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Annotated source excerpts (colour on a terminal, honours NO_COLOR).
    Human,
    /// One line per diagnostic: `file:line:col: error[CODE]: message`.
    Short,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
    /// A SARIF 2.1.0 log (one document for the whole run).
    Sarif,
}

/// Resolves every diagnostic's location against its source and sorts them by position.
pub fn prepare(source: &SourceFile, diags: &mut [Diagnostic]) {
    for d in diags.iter_mut() {
        d.resolve(&source.text);
    }
    super::sort(diags);
}

struct MietteView<'a> {
    d: &'a Diagnostic,
    source: &'a NamedSource<String>,
    text: &'a str,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {}",
            self.d.severity.as_str(),
            self.d.code,
            self.d.message
        )
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let mut parts = Vec::new();
        if let Some(h) = &self.d.help {
            parts.push(h.clone());
        }
        if let Some(p) = &self.d.path
            && !p.is_root()
            && !self.d.message.contains(&p.to_string())
        {
            parts.push(format!("at {p}"));
        }
        (!parts.is_empty()).then(|| Box::new(parts.join("\n")) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.d
            .location
            .as_ref()
            .map(|_| self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.d.location.as_ref()?;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.d.label.clone(),
            loc.span.start..loc.span.end.max(loc.span.start),
        )];
        for rel in &self.d.related {
            if let Some(span) = crate::span::locate(self.text, &rel.path, super::Focus::Auto) {
                labels.push(LabeledSpan::new_with_span(Some(rel.message.clone()), span));
            }
        }
        Some(Box::new(labels.into_iter()))
    }
}

/// Renders diagnostics of one source the human way.
pub fn human(source: &SourceFile, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_links(false);
    let named = NamedSource::new(&source.name, source.text.clone());
    let mut out = String::new();
    for d in diags {
        let view = MietteView {
            d,
            source: &named,
            text: &source.text,
        };
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&short_line(source, d));
            out.push('\n');
        }
        // Diagnostics without a source excerpt still name their file.
        if d.location.is_none() {
            out.push_str(&format!("  ╰─ in {}\n", source.name));
        }
        out.push('\n');
    }
    out
}

/// `file:line:col: severity[CODE]: message`.
pub fn short_line(source: &SourceFile, d: &Diagnostic) -> String {
    let sev = d.severity.as_str();
    match &d.location {
        Some(Location { line, column, .. }) => format!(
            "{}:{line}:{column}: {sev}[{}]: {}",
            source.name, d.code, d.message
        ),
        None => format!("{}: {sev}[{}]: {}", source.name, d.code, d.message),
    }
}

/// The rich JSON record of a diagnostic (stable fields, see `docs/diagnostics.md`).
pub fn record(source: &SourceFile, d: &Diagnostic) -> Value {
    let (line, column, span) = match &d.location {
        Some(l) => (
            json!(l.line),
            json!(l.column),
            json!({"start": l.span.start, "end": l.span.end}),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    };
    json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "path": d.path.as_ref().map(ToString::to_string),
        "node_id": d.node_id,
        "edge_id": d.edge_id,
        "file": source.name,
        "line": line,
        "column": column,
        "span": span,
        "help": d.help,
    })
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions workflow command.
pub fn github_line(source: &SourceFile, d: &Diagnostic) -> String {
    let cmd = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = vec![format!("file={}", gh_escape_prop(&source.name))];
    if let Some(l) = &d.location {
        let end = location_of(&source.text, l.span.end..l.span.end);
        props.push(format!("line={}", l.line));
        props.push(format!("col={}", l.column));
        props.push(format!("endLine={}", end.line));
        props.push(format!("endColumn={}", end.column));
    }
    props.push(format!("title={}", gh_escape_prop(d.code.as_str())));
    let mut msg = d.message.clone();
    if let Some(h) = &d.help {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    format!("::{cmd} {}::{}", props.join(","), gh_escape_data(&msg))
}

/// A SARIF 2.1.0 log of all diagnostics of a run.
pub fn sarif(reports: &[(&SourceFile, &[Diagnostic])]) -> Value {
    let mut used: Vec<codes::Code> = reports
        .iter()
        .flat_map(|(_, ds)| ds.iter().map(|d| d.code))
        .collect();
    used.sort();
    used.dedup();
    let rules: Vec<Value> = used
        .iter()
        .map(|c| {
            let info = c.info();
            json!({
                "id": c.as_str(),
                "shortDescription": {"text": info.title},
                "fullDescription": {"text": info.explanation},
                "defaultConfiguration": {"level": info.severity.as_str()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for (source, diags) in reports {
        for d in diags.iter() {
            let mut physical = json!({"artifactLocation": {"uri": source.name}});
            if let Some(l) = &d.location {
                let end = location_of(&source.text, l.span.end..l.span.end);
                physical["region"] = json!({
                    "startLine": l.line,
                    "startColumn": l.column,
                    "endLine": end.line,
                    "endColumn": end.column,
                    "charOffset": l.span.start,
                    "charLength": l.span.end - l.span.start,
                });
            }
            let mut location = json!({"physicalLocation": physical});
            if let Some(p) = &d.path {
                location["logicalLocations"] = json!([{"fullyQualifiedName": p.to_string()}]);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "level": d.severity.as_str(),
                "message": {"text": d.message},
                "locations": [location],
            });
            if let Some(id) = &d.node_id {
                result["properties"] = json!({"node_id": id});
            }
            if let Some(id) = &d.edge_id {
                result["properties"]["edge_id"] = json!(id);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scaiflow",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
