//! Renderers for diagnostics: `human` (miette), `short`, `json` (one object per line),
//! `github` (workflow commands) and `sarif` (2.1.0). See `docs/diagnostics.md`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde_json::{Value, json};

use super::{Diagnostic, Location, Severity, codes};
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

/// Text for a terminal or a line-based format: control characters (which user-supplied
/// ids may contain) are escaped, so they cannot break lines or drive the terminal.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Resolves every diagnostic's location against its source and sorts them by position.
pub fn prepare(source: &SourceFile, diags: &mut [Diagnostic]) {
    super::resolve_all(&source.text, diags);
    super::sort(diags);
}

/// Lines longer than this (minified flows) are shown as a window around the span.
const LONG_LINE: usize = 300;
/// Characters of context on each side of the span in a window.
const WINDOW_CONTEXT: usize = 60;
/// The longest underline drawn in a window.
const WINDOW_MAX_SPAN: usize = 120;

/// A window onto one long line: the only part of the source miette sees, with the real
/// line and column numbers, so no line of unbounded width is ever printed.
struct Window<'a> {
    name: &'a str,
    data: &'a str,
    /// Byte offset of `data` in the file.
    offset: usize,
    /// 0-based line and column (in characters) of `data`'s first character.
    line: usize,
    column: usize,
}

impl Window<'_> {
    /// The window for a location whose line is long, or `None` when the line is short.
    fn around<'a>(lines: &Lines<'a>, loc: &Location) -> Option<Window<'a>> {
        let text = lines.text;
        let l = loc.line - 1;
        let line_start = lines.starts[l];
        let line_end = lines.end_of(l);
        if !lines.is_long(l) {
            return None;
        }
        let start = super::floor_char_boundary(text, loc.span.start);
        let before: Vec<usize> = text[line_start..start]
            .chars()
            .rev()
            .take(WINDOW_CONTEXT)
            .map(char::len_utf8)
            .collect();
        let ws = start - before.iter().sum::<usize>();
        let span_end = loc.span.end.clamp(start, line_end);
        let shown: usize = text[start..span_end]
            .chars()
            .take(WINDOW_MAX_SPAN)
            .map(char::len_utf8)
            .sum();
        let fwd: usize = text[start + shown..line_end]
            .chars()
            .take_while(|&c| c != '\n' && c != '\r')
            .take(WINDOW_CONTEXT)
            .map(char::len_utf8)
            .sum();
        let we = start + shown + fwd;
        Some(Window {
            name: lines.name,
            data: &text[ws..we],
            offset: ws,
            line: l,
            column: loc.column - 1 - before.len(),
        })
    }

    /// The part of `span` that lies inside the window.
    fn clip(&self, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
        let end = self.offset + self.data.len();
        let s = span.start.clamp(self.offset, end);
        s..span.end.clamp(s, end)
    }
}

impl miette::SourceCode for Window<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        _after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        // Without context miette wants the text from the span on, with the span's own
        // column (it heads the report); with context, the whole window.
        let skip = if before == 0 {
            let at = span
                .offset()
                .clamp(self.offset, self.offset + self.data.len());
            super::floor_char_boundary(self.data, at - self.offset)
        } else {
            0
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.to_string(),
            &self.data.as_bytes()[skip..],
            (self.offset + skip, self.data.len() - skip).into(),
            self.line,
            self.column + self.data[..skip].chars().count(),
            self.line + 1,
        )))
    }
}

/// The file as miette sees it: line starts indexed once, so each excerpt costs
/// O(log lines + excerpt) instead of a scan from the top of the file (miette's default).
struct Lines<'a> {
    name: &'a str,
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(name: &'a str, text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { name, text, starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// End of line `l`, including its line break.
    fn end_of(&self, l: usize) -> usize {
        self.starts.get(l + 1).copied().unwrap_or(self.text.len())
    }

    /// Whether line `l` is too long to print whole (measured in bytes: cheap, and a line of
    /// `LONG_LINE` multi-byte characters is long anyway).
    fn is_long(&self, l: usize) -> bool {
        self.end_of(l) - self.starts[l] > LONG_LINE
    }
}

impl miette::SourceCode for Lines<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let l0 = self.line_of(start);
        let l1 = self.line_of(end.saturating_sub(1).max(start));
        let first = l0.saturating_sub(before);
        let last = (l1 + after).min(self.starts.len() - 1);
        let (from, column) = if before == 0 {
            let from = super::floor_char_boundary(self.text, start);
            (from, self.text[self.starts[l0]..from].chars().count())
        } else {
            (self.starts[first], 0)
        };
        let to = self.end_of(last);
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.to_string(),
            &self.text.as_bytes()[from..to],
            (from, to - from).into(),
            if before == 0 { l0 } else { first },
            column,
            last + 1,
        )))
    }
}

struct MietteView<'a> {
    d: &'a Diagnostic,
    source: &'a Lines<'a>,
    window: Option<Window<'a>>,
}

impl MietteView<'_> {
    fn label(&self) -> Option<String> {
        self.d.label.as_deref().map(|l| printable(l).into_owned())
    }
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
            printable(&self.d.message)
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
            parts.push(printable(h).into_owned());
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
        self.d.location.as_ref()?;
        Some(match &self.window {
            Some(w) => w as &dyn miette::SourceCode,
            None => self.source as &dyn miette::SourceCode,
        })
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.d.location.as_ref()?;
        if let Some(w) = &self.window {
            // One long line: only the primary label, clipped to the window.
            let label = LabeledSpan::new_primary_with_span(self.label(), w.clip(&loc.span));
            return Some(Box::new(std::iter::once(label)));
        }
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            self.label(),
            loc.span.start..loc.span.end.max(loc.span.start),
        )];
        for rel in &self.d.related {
            // Related spans on a long line are left out: they would widen the excerpt.
            if let Some(span) = &rel.span
                && !self.source.is_long(self.source.line_of(span.start))
            {
                labels.push(LabeledSpan::new_with_span(
                    Some(rel.message.clone()),
                    span.clone(),
                ));
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
    let lines = Lines::new(&source.name, &source.text);
    let mut out = String::new();
    for d in diags {
        let window = d.location.as_ref().and_then(|l| Window::around(&lines, l));
        let view = MietteView {
            d,
            source: &lines,
            window,
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
            printable(&source.name),
            d.code,
            printable(&d.message)
        ),
        None => format!(
            "{}: {sev}[{}]: {}",
            printable(&source.name),
            d.code,
            printable(&d.message)
        ),
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
        props.push(format!("line={}", l.line));
        props.push(format!("col={}", l.column));
        props.push(format!("endLine={}", l.end_line));
        props.push(format!("endColumn={}", l.end_column));
    }
    props.push(format!("title={}", gh_escape_prop(d.code.as_str())));
    let mut msg = printable(&d.message).into_owned();
    if let Some(h) = &d.help {
        msg.push_str(&format!("\nhelp: {}", printable(h)));
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
                physical["region"] = json!({
                    "startLine": l.line,
                    "startColumn": l.column,
                    "endLine": l.end_line,
                    "endColumn": l.end_column,
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
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
