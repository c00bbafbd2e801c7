//! Renderers for diagnostics: `human` (miette), `short`, `json` (one object per line),
//! `github` (workflow commands) and `sarif` (2.1.0, in `sarif.rs`: rule help, URIs, regions).
//! See `docs/diagnostics.md`.
//!
//! Two rules hold for every format, whatever the input:
//!
//! - **Positions are sound.** Spans are moved onto char boundaries before anything is sliced
//!   or reported ([`snap`], [`sound`]): a byte offset inside a multi-byte character (a YAML
//!   parser reports one-byte spans) never reaches a slice, a column or a JSON `span`.
//! - **User text never reaches the output raw.** Messages, labels, help, file names, JSON
//!   paths, ids and the source lines of excerpts all pass through [`escape_into`], the one
//!   place that decides which characters are unsafe ([`is_unsafe`]) and how they are written
//!   (`\n`, `\u{1b}`, `\u{202e}`); see "Terminal safety" in `docs/diagnostics.md`.

use super::{floor_char_boundary, snap};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::Range;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde_json::{Value, json};

use super::{Diagnostic, Location, Severity};
use crate::load::SourceFile;

mod sarif;
pub(crate) use sarif::escape_prose as escape_markdown;
pub use sarif::sarif;

/// `docs/codes.md`: every code with its severity, title and the explanation `scaiflow
/// explain CODE` prints, one section per code (`#sf204`: the page the editor links each
/// diagnostic to). A test keeps the committed page equal to this.
pub fn codes_page() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every code scaiflow reports, with the text `scaiflow explain CODE` prints. Generated \
         from the registry (`src/diagnostics/codes.rs`); `UPDATE_DOCS=1 cargo test --test \
         codes_page` rewrites it. docs/diagnostics.md says when each stage reports.\n",
    );
    for info in super::codes::ALL {
        out.push_str(&format!(
            "\n## {}\n\n**{}**: {}\n\n{}\n",
            info.code,
            info.severity.as_str(),
            info.title,
            sarif::help_markdown(info.explanation).trim_end()
        ));
    }
    out
}

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

// ---------------------------------------------------------------------------------------
// Escaping: the one place that decides what user text may not carry raw.
// ---------------------------------------------------------------------------------------

/// Whether a character of user text must not reach the output raw:
///
/// - C0 and C1 control characters and DEL (`char::is_control`): ESC and CSI (U+009B) start
///   terminal escape sequences, CR and LF (and NEL, U+0085) start or overwrite lines;
/// - the Unicode bidirectional controls, which reorder how the rest of a line is displayed
///   ("Trojan Source"): embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, and
///   the marks U+200E, U+200F and U+061C;
/// - the line and paragraph separators U+2028 and U+2029, which some viewers break lines at.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Which unsafe characters an output keeps raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// None: text on one line of a terminal or of a line-based format.
    Nothing,
    /// The tab and the line breaks (`\n`, and the `\r` of `\r\n`) of source lines, which the
    /// excerpt lays out itself (a lone `\r` would overwrite the line: it is escaped).
    Layout,
    /// C0 controls, which JSON escapes itself (`\u001b`), so the exact text survives.
    JsonEscaped,
}

impl Keep {
    fn keeps(self, c: char, next: Option<char>) -> bool {
        match self {
            Keep::Nothing => false,
            Keep::Layout => c == '\t' || c == '\n' || (c == '\r' && next == Some('\n')),
            Keep::JsonEscaped => c < ' ',
        }
    }
}

/// An escaped character: where it is in the input and in the output, and how long.
#[derive(Debug, Clone, Copy)]
struct Escape {
    orig: usize,
    orig_len: usize,
    shown: usize,
    shown_len: usize,
}

/// Appends `s` to `out` with the unsafe characters `keep` does not keep escaped: `\t`, `\n`
/// and `\r` for those three, `\u{hex}` (lower-case hex, Rust's notation) for the others.
/// Reports each escape (`orig` relative to `s`, `shown` relative to `out`).
fn escape_into(out: &mut String, s: &str, keep: Keep, mut escaped: impl FnMut(Escape)) {
    let mut chars = s.char_indices().peekable();
    let mut copied = 0;
    while let Some((i, c)) = chars.next() {
        if !is_unsafe(c) || keep.keeps(c, chars.peek().map(|&(_, n)| n)) {
            continue;
        }
        out.push_str(&s[copied..i]);
        let shown = out.len();
        // (`\t`, `\n`, `\r`, else `\u{hex}`: every unsafe character is one Rust escapes so.)
        let _ = write!(out, "{}", c.escape_default());
        escaped(Escape {
            orig: i,
            orig_len: c.len_utf8(),
            shown,
            shown_len: out.len() - shown,
        });
        copied = i + c.len_utf8();
    }
    out.push_str(&s[copied..]);
}

fn escaped(s: &str, keep: Keep) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 16);
    escape_into(&mut out, s, keep, |_| {});
    out.into()
}

/// Text for a terminal or a line-based format (`human`, `short`, `github`): every unsafe
/// character ([`is_unsafe`]) is escaped, so one message stays on one line and nothing
/// drives the terminal or reorders the line.
pub fn printable(s: &str) -> Cow<'_, str> {
    escaped(s, Keep::Nothing)
}

/// Text for a JSON string (`json`, `sarif`): C0 controls stay, JSON escapes them itself
/// (`\u001b`); the unsafe characters JSON leaves raw (DEL, C1, bidi controls, U+2028 and
/// U+2029) are escaped as in [`printable`].
pub fn json_text(s: &str) -> Cow<'_, str> {
    escaped(s, Keep::JsonEscaped)
}

// ---------------------------------------------------------------------------------------
// Positions: spans on char boundaries, lines and columns that agree with them.
// ---------------------------------------------------------------------------------------

/// 1-based (line, column in characters) of each offset, in one sweep over the text.
/// `offsets` are sorted and on char boundaries.
fn positions(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let (mut line, mut col, mut pos) = (1, 1, 0);
    offsets
        .iter()
        .map(|&o| {
            for c in text[pos..o].chars() {
                if c == '\n' {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
            }
            pos = o;
            (line, col)
        })
        .collect()
}

/// `loc` with its span on char boundaries of `text`, and lines and columns recomputed when
/// the span had to move (columns count characters: the documented unit).
fn sound<'l>(text: &str, loc: &'l Location) -> Cow<'l, Location> {
    let span = snap(text, &loc.span);
    if span == loc.span {
        return Cow::Borrowed(loc);
    }
    let p = positions(text, &[span.start, span.end]);
    Cow::Owned(Location {
        span,
        line: p[0].0,
        column: p[0].1,
        end_line: p[1].0,
        end_column: p[1].1,
    })
}

/// Resolves every diagnostic's location against its source (on char boundaries) and sorts
/// them by position.
pub fn prepare(source: &SourceFile, diags: &mut [Diagnostic]) {
    // (Resolving snaps every span to char boundaries, in its one sweep over the text.)
    super::resolve_all(&source.text, diags);
    super::sort(diags);
}

// ---------------------------------------------------------------------------------------
// `human`: miette over an escaped excerpt of the file.
// ---------------------------------------------------------------------------------------

/// Lines longer than this (minified flows) are shown as a window around the span.
const LONG_LINE: usize = 300;
/// Characters of context on each side of the span in a window.
const WINDOW_CONTEXT: usize = 60;
/// The longest underline drawn in a window.
const WINDOW_MAX_SPAN: usize = 120;

/// Where the lines of the file start, indexed once per [`human`] call.
struct Lines<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    fn last(&self) -> usize {
        self.starts.len() - 1
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

    /// The lines a label on `span` is shown with: its own and one of context on each side
    /// (miette's default context).
    fn context(&self, span: &Range<usize>) -> (usize, usize) {
        let l0 = self.line_of(span.start);
        let l1 = self.line_of(span.end.saturating_sub(1).max(span.start));
        (l0.saturating_sub(1), (l1 + 1).min(self.last()))
    }

    /// The window onto long line `l` around `span`: its byte range and the 0-based column
    /// of its first character, given the 1-based `column` of the span's start. `span` is on
    /// char boundaries (a [`sound`] location), so every cut here is too: the window's ends
    /// are counted in whole characters. No line of unbounded width is ever printed.
    fn window(&self, l: usize, span: &Range<usize>, column: usize) -> (Range<usize>, usize) {
        let text = self.text;
        let line_end = self.end_of(l);
        let start = span.start.clamp(self.starts[l], line_end);
        let (before, back) = text[self.starts[l]..start]
            .chars()
            .rev()
            .take(WINDOW_CONTEXT)
            .fold((0, 0), |(n, b), c| (n + 1, b + c.len_utf8()));
        let span_end = span.end.clamp(start, line_end);
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
        (
            start - back..start + shown + fwd,
            column.saturating_sub(1 + before),
        )
    }
}

/// A contiguous piece of the file as miette sees it (whole lines, or a window onto one long
/// line), its unsafe characters escaped. miette's spans are in the excerpt's coordinates:
/// the blocks' texts laid end to end, a byte apart.
struct Block {
    /// Offset of `text` in the excerpt's coordinates.
    at: usize,
    /// Byte range of the block in the file.
    orig: Range<usize>,
    /// 0-based line and column (in characters of the file) of the first character.
    line: usize,
    column: usize,
    text: String,
    /// Where each line of `text` starts.
    starts: Vec<usize>,
    escapes: Vec<Escape>,
}

impl Block {
    fn new(file: &str, orig: Range<usize>, line: usize, column: usize, at: usize) -> Block {
        let mut text = String::with_capacity(orig.len());
        let mut escapes = Vec::new();
        escape_into(&mut text, &file[orig.clone()], Keep::Layout, |e| {
            escapes.push(e)
        });
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Block {
            at,
            orig,
            line,
            column,
            text,
            starts,
            escapes,
        }
    }

    fn end(&self) -> usize {
        self.at + self.text.len()
    }

    /// How much longer the text is than the file up to the end of `e`.
    fn growth(e: &Escape) -> usize {
        (e.shown + e.shown_len) - (e.orig + e.orig_len)
    }

    /// The excerpt offset of a file offset of the block (a char boundary).
    fn shown(&self, offset: usize) -> usize {
        let rel = offset.clamp(self.orig.start, self.orig.end) - self.orig.start;
        let k = self.escapes.partition_point(|e| e.orig < rel);
        self.at
            + rel
            + k.checked_sub(1)
                .map_or(0, |k| Block::growth(&self.escapes[k]))
    }

    /// The file offset of an excerpt offset of the block (an offset inside an escape maps to
    /// the escaped character).
    fn file_offset(&self, shown: usize) -> usize {
        let rel = shown.saturating_sub(self.at).min(self.text.len());
        let k = self
            .escapes
            .partition_point(|e| e.shown + e.shown_len <= rel);
        if let Some(e) = self.escapes.get(k)
            && e.shown <= rel
        {
            return self.orig.start + e.orig;
        }
        self.orig.start + rel
            - k.checked_sub(1)
                .map_or(0, |k| Block::growth(&self.escapes[k]))
    }

    /// The 0-based line of `text` holding `rel`.
    fn line_in(&self, rel: usize) -> usize {
        self.starts.partition_point(|&s| s <= rel).saturating_sub(1)
    }
}

/// The source a diagnostic's report reads from: the blocks its labels need.
struct Excerpt<'a> {
    /// The file name, printable.
    name: String,
    lines: &'a Lines<'a>,
    blocks: Vec<Block>,
}

impl<'a> Excerpt<'a> {
    /// The excerpt for a diagnostic at `loc` (sound) and its labels, in excerpt coordinates.
    fn new(
        name: &str,
        lines: &'a Lines<'a>,
        d: &Diagnostic,
        loc: &Location,
    ) -> (Excerpt<'a>, Vec<LabeledSpan>) {
        let text = lines.text;
        let mut excerpt = Excerpt {
            name: printable(name).into_owned(),
            lines,
            blocks: Vec::new(),
        };
        let label = d.label.as_deref().map(|l| printable(l).into_owned());
        let l = lines.line_of(loc.span.start);
        if lines.is_long(l) {
            // One long line: a window around the primary span, which is the only label.
            let (range, column) = lines.window(l, &loc.span, loc.column);
            let block = Block::new(text, range.clone(), l, column, 0);
            let s = loc.span.start.clamp(range.start, range.end);
            let e = loc.span.end.clamp(s, range.end);
            let span = block.shown(s)..block.shown(e);
            excerpt.blocks.push(block);
            return (
                excerpt,
                vec![LabeledSpan::new_primary_with_span(label, span)],
            );
        }
        let mut spans = vec![(loc.span.clone(), label, true)];
        for rel in &d.related {
            // Related spans on a long line are left out: they would widen the excerpt.
            if let Some(span) = &rel.span {
                let span = snap(text, span);
                if !lines.is_long(lines.line_of(span.start)) {
                    spans.push((span, Some(printable(&rel.message).into_owned()), false));
                }
            }
        }
        // The lines miette reads: each label's context, merged when miette merges them (the
        // next context starts by `first + line_count`, where `line_count` is what
        // `read_span` reports: the number of the last line read, plus one, as before this
        // excerpt existed, so reports keep their shape). A read across two blocks fails, and
        // miette then draws two excerpts instead of one.
        let mut ranges: Vec<(usize, usize)> =
            spans.iter().map(|(s, ..)| lines.context(s)).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(m) if m.0 + m.1 + 1 >= a => m.1 = m.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut at = 0;
        for (a, b) in merged {
            let block = Block::new(text, lines.starts[a]..lines.end_of(b), a, 0, at);
            at = block.end() + 1;
            excerpt.blocks.push(block);
        }
        let labels = spans
            .into_iter()
            .filter_map(|(span, label, primary)| {
                let block = excerpt
                    .blocks
                    .iter()
                    .find(|b| b.orig.start <= span.start && span.end <= b.orig.end)?;
                let shown = block.shown(span.start)..block.shown(span.end);
                Some(if primary {
                    LabeledSpan::new_primary_with_span(label, shown)
                } else {
                    LabeledSpan::new_with_span(label, shown)
                })
            })
            .collect();
        (excerpt, labels)
    }
}

impl miette::SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        let start = span.offset();
        let end = start + span.len();
        let b = self
            .blocks
            .iter()
            .find(|b| b.at <= start && end <= b.end())
            .ok_or(miette::MietteError::OutOfBounds)?;
        let (s, e) = (floor_char_boundary(&b.text, start - b.at), end - b.at);
        let l0 = b.line_in(s);
        let l1 = b.line_in(e.saturating_sub(1).max(s));
        // Without context miette wants the text from the span on, with the span's own line
        // and column in the file (they head the report); with context, whole lines.
        let (from, first, column) = if before == 0 {
            let offset = b.file_offset(b.at + s);
            let line = self.lines.line_of(offset);
            let column = if line == b.line {
                b.column + self.lines.text[b.orig.start..offset].chars().count()
            } else {
                self.lines.text[self.lines.starts[line]..offset]
                    .chars()
                    .count()
            };
            (s, l0, column)
        } else {
            let first = l0.saturating_sub(before);
            (
                b.starts[first],
                first,
                if first == 0 { b.column } else { 0 },
            )
        };
        let last = (l1 + after).min(b.starts.len() - 1);
        let to = b.starts.get(last + 1).copied().unwrap_or(b.text.len());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            &b.text.as_bytes()[from..to],
            (b.at + from, to - from).into(),
            b.line + first,
            column,
            b.line + last + 1,
        )))
    }
}

struct MietteView<'a> {
    d: &'a Diagnostic,
    excerpt: Option<Excerpt<'a>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.d.message))
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
        {
            let p = p.to_string();
            if !self.d.message.contains(&p) {
                parts.push(format!("at {}", printable(&p)));
            }
        }
        (!parts.is_empty()).then(|| Box::new(parts.join("\n")) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.excerpt.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
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
    let lines = Lines::new(&source.text);
    let mut out = String::new();
    for d in diags {
        let (excerpt, labels) = match &d.location {
            Some(loc) => {
                let loc = sound(&source.text, loc);
                let (e, l) = Excerpt::new(&source.name, &lines, d, &loc);
                (Some(e), l)
            }
            None => (None, Vec::new()),
        };
        let view = MietteView { d, excerpt, labels };
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&short_line(source, d));
            out.push('\n');
        }
        // Diagnostics without a source excerpt still name their file.
        if d.location.is_none() {
            out.push_str(&format!("  ╰─ in {}\n", printable(&source.name)));
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------
// The line and machine formats.
// ---------------------------------------------------------------------------------------

/// `file:line:col: severity[CODE]: message`.
pub fn short_line(source: &SourceFile, d: &Diagnostic) -> String {
    let sev = d.severity.as_str();
    let name = printable(&source.name);
    let message = printable(&d.message);
    match &d.location {
        Some(loc) => {
            let l = sound(&source.text, loc);
            format!(
                "{name}:{}:{}: {sev}[{}]: {message}",
                l.line, l.column, d.code
            )
        }
        None => format!("{name}: {sev}[{}]: {message}", d.code),
    }
}

/// The rich JSON record of a diagnostic (stable fields, see `docs/diagnostics.md`).
pub fn record(source: &SourceFile, d: &Diagnostic) -> Value {
    let (line, column, span) = match &d.location {
        Some(loc) => {
            let l = sound(&source.text, loc);
            (
                json!(l.line),
                json!(l.column),
                json!({"start": l.span.start, "end": l.span.end}),
            )
        }
        None => (Value::Null, Value::Null, Value::Null),
    };
    json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": json_text(&d.message),
        "path": d.path.as_ref().map(|p| json_text(&p.to_string()).into_owned()),
        "node_id": d.node_id.as_deref().map(json_text),
        "edge_id": d.edge_id.as_deref().map(json_text),
        "file": json_text(&source.name),
        "line": line,
        "column": column,
        "span": span,
        "help": d.help.as_deref().map(json_text),
    })
}

/// Workflow-command data: `%`, CR and LF percent-encoded (GitHub's rules).
fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow-command property: as data, and `:` and `,` too.
fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions workflow command.
pub fn github_line(source: &SourceFile, d: &Diagnostic) -> String {
    let cmd = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = vec![format!("file={}", gh_escape_prop(&printable(&source.name)))];
    if let Some(loc) = &d.location {
        let l = sound(&source.text, loc);
        props.push(format!("line={}", l.line));
        props.push(format!("col={}", l.column));
        props.push(format!("endLine={}", l.end_line));
        props.push(format!("endColumn={}", l.end_column));
    }
    props.push(format!("title={}", gh_escape_prop(d.code.as_str())));
    // User text is printable (one line, no raw control or bidi character); the line break
    // before the help is the command's own, percent-encoded.
    let mut msg = printable(&d.message).into_owned();
    if let Some(h) = &d.help {
        msg.push_str(&format!("\nhelp: {}", printable(h)));
    }
    format!("::{cmd} {}::{}", props.join(","), gh_escape_data(&msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters() {
        for c in [
            '\u{1b}', '\u{9b}', '\u{7f}', '\u{85}', '\n', '\r', '\t', '\0',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
            '\u{2028}', '\u{2029}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in ['a', 'é', '日', '\u{301}', '🦀', '\u{feff}', '\u{200b}', ' '] {
            assert!(!is_unsafe(c), "{c:?}");
        }
    }

    #[test]
    fn escape_notation() {
        let s = "a\u{1b}[2J\tb\nc\r\u{202e}d\u{9b}é";
        assert_eq!(printable(s), r"a\u{1b}[2J\tb\nc\r\u{202e}d\u{9b}é");
        assert_eq!(json_text(s), "a\u{1b}[2J\tb\nc\r\\u{202e}d\\u{9b}é");
        assert!(matches!(printable("plain é 日本"), Cow::Borrowed(_)));
        let mut out = String::new();
        escape_into(&mut out, "a\tb\r\nc\rd\n", Keep::Layout, |_| {});
        assert_eq!(out, "a\tb\r\nc\\rd\n");
    }

    #[test]
    fn spans_snap_to_char_boundaries() {
        let t = "aé日";
        assert_eq!(snap(t, &(2..2)), 1..1);
        assert_eq!(snap(t, &(2..3)), 1..3);
        assert_eq!(snap(t, &(1..4)), 1..6);
        let reversed = std::ops::Range { start: 4, end: 2 };
        assert_eq!(snap(t, &reversed), 3..3);
        assert_eq!(snap(t, &(9..12)), 6..6);
        let loc = Location {
            span: 2..4,
            line: 1,
            column: 9,
            end_line: 1,
            end_column: 9,
        };
        let l = sound(t, &loc);
        assert_eq!((l.span.clone(), l.column, l.end_column), (1..6, 2, 4));
    }

    #[test]
    fn block_maps_offsets_both_ways() {
        let file = "ab\u{1b}cd\u{202e}e\n";
        let b = Block::new(file, 0..file.len(), 0, 0, 10);
        assert_eq!(b.text, "ab\\u{1b}cd\\u{202e}e\n");
        for (o, c) in file.char_indices() {
            let s = b.shown(o);
            assert_eq!(b.file_offset(s), o, "{c:?}");
        }
        assert_eq!(b.shown(2), 12);
        assert_eq!(b.shown(3), 10 + 8);
        assert_eq!(b.file_offset(14), 2, "inside an escape");
        assert_eq!(b.shown(file.len()), b.end());
    }
}
