//! Where diagnostics go: one sink per run, chosen once (docs/ci.md, "Streams").
//!
//! - `--output-file PATH`: every diagnostic, in the chosen format, goes to that file (written
//!   atomically when the run ends, like the artifacts);
//! - otherwise `human` and `short` go to stderr, and the machine formats (`json`, `github`,
//!   `sarif`) go to stdout — unless the command writes an artifact to stdout, in which case
//!   they go to stderr too: an artifact on stdout is never mixed with diagnostics.

use std::io::Write;
use std::path::PathBuf;

use crate::diagnostics::render::{self, MessageFormat};
use crate::diagnostics::{Code, Diagnostic};
use crate::load::SourceFile;

/// One input's source text and diagnostics.
pub(super) struct FileReport {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// A report whose diagnostics are located in `source` (spans resolved).
    pub fn new(source: SourceFile, mut diagnostics: Vec<Diagnostic>) -> Self {
        render::prepare(&source, &mut diagnostics);
        FileReport {
            source,
            diagnostics,
        }
    }

    pub fn exit_code(&self) -> u8 {
        exit_code_of(&self.diagnostics)
    }
}

/// The exit code for one input's diagnostics: 2 when the tool could not do its job (the
/// input could not be read, or an internal error), 1 for any other error, 0 otherwise.
pub(super) fn exit_code_of(diagnostics: &[Diagnostic]) -> u8 {
    if diagnostics
        .iter()
        .any(|d| matches!(d.code, Code::Io | Code::LoweringMismatch))
    {
        2
    } else if diagnostics.iter().any(Diagnostic::is_error) {
        1
    } else {
        0
    }
}

/// Where the diagnostics of a run are written.
enum Sink {
    Stdout,
    Stderr,
    /// `--output-file`: collected, then written atomically by [`Emitter::finish`].
    File(PathBuf, Vec<u8>),
}

/// Streams the diagnostics of each file in a line-oriented format; collects SARIF.
pub(super) struct Emitter {
    format: MessageFormat,
    color: bool,
    sink: Sink,
    /// `-q`: diagnostics only, no summary line.
    quiet: bool,
    sarif: Vec<FileReport>,
    errors: usize,
    warnings: usize,
    failed_files: usize,
    files: usize,
    /// The first failed write of a diagnostic (a closed pipe is not one): the run then
    /// exits 2, as when an artifact cannot be written.
    write_error: Option<std::io::Error>,
}

/// Keeps the first write error that is not a closed pipe.
pub(super) fn keep_error(slot: &mut Option<std::io::Error>, r: std::io::Result<()>) {
    if let Err(e) = r
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && slot.is_none()
    {
        *slot = Some(e);
    }
}

impl Emitter {
    /// `artifact_on_stdout`: the command writes its artifact (a manifest, flow JSON, a
    /// diff, a picture…) to stdout in this run, so no diagnostic may go there.
    pub fn new(ctx: &super::Ctx, artifact_on_stdout: bool) -> Self {
        let sink = match &ctx.output_file {
            Some(path) => Sink::File(path.clone(), Vec::new()),
            None => match ctx.format {
                MessageFormat::Human | MessageFormat::Short => Sink::Stderr,
                _ if artifact_on_stdout => Sink::Stderr,
                _ => Sink::Stdout,
            },
        };
        Emitter {
            format: ctx.format,
            color: ctx.color,
            sink,
            quiet: ctx.quiet,
            sarif: Vec::new(),
            errors: 0,
            warnings: 0,
            failed_files: 0,
            files: 0,
            write_error: None,
        }
    }

    fn write_text(&mut self, text: &str) {
        let written = match &mut self.sink {
            Sink::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
            Sink::File(_, buf) => {
                buf.extend_from_slice(text.as_bytes());
                Ok(())
            }
        };
        keep_error(&mut self.write_error, written);
    }

    /// Writes a command's own machine-readable report (`validate --json`) where the
    /// diagnostics go.
    pub fn write_raw(&mut self, text: &str) {
        self.write_text(text);
    }

    pub fn emit(&mut self, report: FileReport) {
        self.files += 1;
        let errs = report.diagnostics.iter().filter(|d| d.is_error()).count();
        self.errors += errs;
        self.warnings += report.diagnostics.len() - errs;
        if errs > 0 {
            self.failed_files += 1;
        }
        let src = &report.source;
        let text = match self.format {
            MessageFormat::Human => render::human(src, &report.diagnostics, self.color),
            MessageFormat::Short => lines(&report.diagnostics, |d| render::short_line(src, d)),
            MessageFormat::Github => lines(&report.diagnostics, |d| render::github_line(src, d)),
            MessageFormat::Json => {
                lines(&report.diagnostics, |d| render::record(src, d).to_string())
            }
            MessageFormat::Sarif => {
                self.sarif.push(report);
                return;
            }
        };
        self.write_text(&text);
    }

    /// Counts a file that had nothing to report (for the summary line).
    pub fn clean_file(&mut self) {
        self.files += 1;
    }

    /// Writes what is left (SARIF, the summary), flushes, and writes `--output-file`.
    /// `what` names the command in the summary; with `summary_when_clean` false, the
    /// summary line appears only when something was reported. Returns the exit code the
    /// writes call for: 2 when a diagnostic could not be written, else 0.
    pub fn finish(mut self, what: &str, summary_when_clean: bool) -> u8 {
        match self.format {
            MessageFormat::Sarif => {
                let reports: Vec<(&SourceFile, &[Diagnostic])> = self
                    .sarif
                    .iter()
                    .map(|r| (&r.source, r.diagnostics.as_slice()))
                    .collect();
                let doc = render::sarif(&reports);
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
                self.write_text(&text);
            }
            MessageFormat::Human
                if !self.quiet && (summary_when_clean || self.errors > 0 || self.warnings > 0) =>
            {
                let text = summary(what, &self) + "\n";
                self.write_text(&text);
            }
            _ => {}
        }
        let flushed = match &self.sink {
            Sink::Stdout => std::io::stdout().lock().flush(),
            Sink::Stderr => std::io::stderr().lock().flush(),
            Sink::File(path, buf) => crate::files::write_atomic(path, buf).map_err(|e| {
                std::io::Error::new(e.kind(), format!("'{}': {e}", super::shown(path)))
            }),
        };
        keep_error(&mut self.write_error, flushed);
        // What an artifact written to stdout may still hold in its buffer.
        keep_error(&mut self.write_error, std::io::stdout().lock().flush());
        match self.write_error {
            Some(e) => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "error: cannot write the diagnostics: {e}"
                );
                2
            }
            None => 0,
        }
    }
}

/// One line per diagnostic.
fn lines(diagnostics: &[Diagnostic], line: impl Fn(&Diagnostic) -> String) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&line(d));
        out.push('\n');
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary(what: &str, e: &Emitter) -> String {
    let warn = if e.warnings > 0 {
        format!(" ({})", plural(e.warnings, "warning"))
    } else {
        String::new()
    };
    if e.errors == 0 {
        format!("{what}: {} ok{warn}", plural(e.files, "file"))
    } else {
        format!(
            "{what}: {} in {} of {}{}",
            plural(e.errors, "error"),
            e.failed_files,
            plural(e.files, "file"),
            if e.warnings > 0 {
                format!(", {}", plural(e.warnings, "warning"))
            } else {
                String::new()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_worst_diagnostic() {
        let d = |code| Diagnostic::new(code, "m");
        assert_eq!(exit_code_of(&[]), 0);
        assert_eq!(exit_code_of(&[d(Code::Unreachable)]), 0);
        assert_eq!(
            exit_code_of(&[d(Code::Unreachable), d(Code::Unstructured)]),
            1
        );
        // An internal error of the lowering verifier is "could not run", like unreadable
        // input: CI must not take it for a problem in the flow.
        assert_eq!(
            exit_code_of(&[d(Code::Unstructured), d(Code::LoweringMismatch)]),
            2
        );
        assert_eq!(exit_code_of(&[d(Code::Io)]), 2);
    }
}
