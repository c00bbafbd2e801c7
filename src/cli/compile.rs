//! `scaiflow compile`: flows to artifacts; `--check` / `--diff` compare with the artifacts
//! on disk (docs/ci.md, "`compile --check`").

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::report::{Emitter, FileReport, exit_code_of};
use super::{CompileArgs, Ctx, inputs, shown};
use crate::OutputFormat;
use crate::diagnostics::{Code, Diagnostic};
use crate::files::{StreamedFile, default_output, file_key, name_key, read_at_most, write_atomic};
use crate::load::{self, SourceFile};

pub(super) fn run(args: &CompileArgs, ctx: &Ctx) -> u8 {
    let mut flows = match inputs::expand(&args.flows, ctx.quiet) {
        Ok(f) => f,
        Err(msg) => return super::fail(&msg),
    };
    if args.from_artifacts {
        if args.out.is_some() {
            return super::fail(
                "--from-artifacts finds each flow's own artifact; it cannot be used with --out",
            );
        }
        flows = inputs::flows_of_artifacts(flows, args.format.extension());
    }
    let check = args.check || args.diff;
    if args.out.is_some() && flows.len() > 1 {
        return super::fail(&format!(
            "--out takes a single FLOW ({} given)",
            flows.len()
        ));
    }
    let stdout_target = args.out.as_deref().is_some_and(inputs::is_stdin)
        || (args.out.is_none() && flows.iter().any(|f| inputs::is_stdin(f)));
    if check && stdout_target {
        return super::fail(
            "--check compares with an output file; it cannot check standard output",
        );
    }
    if args.format == OutputFormat::Ir && stdout_target && std::io::stdout().is_terminal() {
        return super::fail(
            "refusing to write a binary SCIR bundle to a terminal; use --out FILE, or pipe it (e.g. into `scaiflow inspect -`)",
        );
    }
    let flows = match plan_targets(args, flows, ctx) {
        Ok(f) => f,
        Err(msg) => return super::fail(&msg),
    };
    // An artifact (or, with --diff, a diff) on stdout: diagnostics never go there.
    let mut emitter = Emitter::new(ctx, (stdout_target && !check) || args.diff);
    let mut exit = 0;
    // Compiling runs on every core; writing, checking and reporting follow in order. A
    // single flow's big manifest streams into its output's temporary file meanwhile (with
    // many flows, a batch of finished temporary files waiting for their turn would hold
    // that much more disk space and as many descriptors; they are written in turn).
    let reclaim = inputs::reclaim_for(flows.len());
    let stream = flows.len() == 1;
    inputs::in_order(
        &flows,
        |path| build(args, path, ctx.limits, reclaim, stream),
        |(path, built)| exit = exit.max(deliver(args, &path, built, &mut emitter, ctx)),
    );
    exit.max(emitter.finish("compile", false))
}

/// What compiling one flow gave: its artifact, or the report that stops it.
enum Built {
    Artifact(SourceFile, crate::Artifact),
    /// Handed to its output file as it was produced (a single flow's plain write to a
    /// file: a big artifact is in the file's temporary file, a small one in memory), to be
    /// committed: the warnings, and the file.
    Written(SourceFile, Vec<Diagnostic>, StreamedFile),
    Failed(FileReport, u8),
}

/// Where a flow's artifact goes: its output file, or `None` for standard output.
fn target_of(args: &CompileArgs, flow: &Path) -> Option<PathBuf> {
    match &args.out {
        Some(o) if inputs::is_stdin(o) => None,
        Some(o) => Some(o.clone()),
        None if inputs::is_stdin(flow) => None,
        None => Some(default_output(flow, args.format.extension())),
    }
}

/// Reads and compiles one flow (this runs in parallel): no output yet, except that with
/// `stream`, a plain write to a file streams the artifact into the file's temporary file,
/// which `deliver` commits.
fn build(
    args: &CompileArgs,
    path: &Path,
    limits: crate::limits::Limits,
    reclaim: crate::Reclaim,
    stream: bool,
) -> (PathBuf, Built) {
    let source = match load::read_source_with(path, limits) {
        Ok(source) => source,
        Err(f) => {
            let report = FileReport::new(f.source, vec![f.diagnostic]);
            let exit = report.exit_code();
            return (path.to_path_buf(), Built::Failed(report, exit));
        }
    };
    let options = crate::CompileOptions {
        verify: !args.no_verify,
        limits,
        reclaim,
    };
    let streamed = match target_of(args, path) {
        Some(t) if stream && !(args.check || args.diff || args.fail_on_change) => Some(t),
        _ => None,
    };
    let failed = |source, e: crate::CompileError| {
        // A failed compile is at least 1, even without a diagnostic.
        let exit = exit_code_of(&e.errors).max(1);
        let mut errors = e.errors;
        if errors.is_empty() {
            errors.push(Diagnostic::new(Code::SchemaViolation, e.message));
        }
        if args.summarize_invalid && exit == 1 {
            errors = vec![summarized(path, &errors)];
        }
        Built::Failed(FileReport::new(source, errors), exit)
    };
    let built = match streamed {
        Some(target) => {
            // Past it the artifact is refused (SF004): the file stops being written.
            let limit = crate::max_artifact_bytes(args.format, limits);
            let mut file = StreamedFile::new(&target, limit);
            match crate::compile_flow_into(&source, args.format, options, &mut file) {
                Ok(warnings) => {
                    file.finish();
                    Built::Written(source, warnings, file)
                }
                Err(e) => failed(source, e),
            }
        }
        None => match crate::compile_flow_with(&source, args.format, options) {
            Ok(a) => Built::Artifact(source, a),
            Err(e) => failed(source, e),
        },
    };
    (path.to_path_buf(), built)
}

fn cannot_write(target: &Path, e: &std::io::Error) -> String {
    format!("cannot write '{}': {e}", shown(target))
}

/// Writes, checks or diffs one compiled artifact and reports; the exit code.
fn deliver(args: &CompileArgs, path: &Path, built: Built, emitter: &mut Emitter, ctx: &Ctx) -> u8 {
    let (source, artifact) = match built {
        Built::Artifact(source, artifact) => (source, artifact),
        Built::Written(source, warnings, file) => {
            let target = file.target().to_path_buf();
            let exit = file
                .commit()
                .map(|()| 0)
                .unwrap_or_else(|e| super::fail(&cannot_write(&target, &e)));
            report(emitter, source, warnings);
            return exit;
        }
        Built::Failed(report, exit) => {
            emitter.emit(report);
            return exit;
        }
    };
    let mut diagnostics = artifact.warnings;
    let outcome = match target_of(args, path) {
        None => super::to_stdout(&artifact.bytes).map(|()| 0),
        Some(t) if args.check || args.diff => {
            match compare(args, path, &t, &artifact.bytes, ctx.limits) {
                Ok(None) => Ok(0),
                Ok(Some(d)) => {
                    diagnostics.push(d);
                    Ok(1)
                }
                Err(msg) => Err(msg),
            }
        }
        Some(t) if args.fail_on_change => write_changed(&t, &artifact.bytes, ctx.quiet),
        Some(t) => write_atomic(&t, &artifact.bytes)
            .map(|()| 0)
            .map_err(|e| cannot_write(&t, &e)),
    };
    let exit = outcome.unwrap_or_else(|msg| super::fail(&msg));
    report(emitter, source, diagnostics);
    exit
}

/// Reports a compiled flow's warnings (or that it is clean).
fn report(emitter: &mut Emitter, source: SourceFile, diagnostics: Vec<Diagnostic>) {
    if diagnostics.is_empty() {
        emitter.clean_file();
    } else {
        emitter.emit(FileReport::new(source, diagnostics));
    }
}

/// `--fail-on-change`: writes the artifact only when it is missing or differs, says so on
/// stderr (unless `quiet`), and asks for exit 1 then.
fn write_changed(target: &Path, new: &[u8], quiet: bool) -> Result<u8, String> {
    let was = match read_at_most(target, new.len() + 1) {
        Ok(old) if old == new => return Ok(0),
        Ok(_) => "it was stale",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "it was missing",
        Err(e) => return Err(format!("cannot read '{}': {e}", shown(target))),
    };
    write_atomic(target, new).map_err(|e| cannot_write(target, &e))?;
    if !quiet {
        super::note(&format!("compile: wrote '{}' ({was})", shown(target)));
    }
    Ok(1)
}

/// Compares the artifact on disk with the compiled bytes: `None` when up to date, else
/// the SF601 / SF602 diagnostic (and, with `--diff`, the diff on stdout). `Err` when the
/// comparison could not be made (a directory, no permission): exit 2, not "stale".
fn compare(
    args: &CompileArgs,
    flow: &Path,
    target: &Path,
    new: &[u8],
    limits: crate::limits::Limits,
) -> Result<Option<Diagnostic>, String> {
    // A longer file differs anyway; the output path may be a device or a huge file.
    // A diff reads what import would (the largest manifest scaiflow writes).
    let limit = if args.diff {
        usize::try_from(limits.max_manifest())
            .unwrap_or(usize::MAX)
            .max(new.len())
            .saturating_add(1)
    } else {
        new.len() + 1
    };
    let old = match read_at_most(target, limit) {
        Ok(old) => Some(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read '{}': {e}", shown(target))),
    };
    if old.as_deref() == Some(new) {
        return Ok(None);
    }
    if args.diff {
        let text = match &old {
            Some(o) if o.len() == limit => {
                format!("File {} is too large to diff\n", target.display())
            }
            _ => diff(target, old.as_deref(), new, args.format),
        };
        super::to_stdout(text.as_bytes())?;
    }
    let fix = fix_command(args, flow, limits);
    let (shown_flow, shown_target) = (flow.display(), target.display());
    let d = match &old {
        None => Diagnostic::new(
            Code::MissingArtifact,
            format!("'{shown_target}' is missing: it is what '{shown_flow}' compiles to"),
        )
        .help(format!("to create it, run: {fix}")),
        Some(old) => {
            let at = match args.format {
                OutputFormat::Ir => format!("from byte {}", first_difference(old, new)),
                _ => format!("from line {}", first_different_line(old, new)),
            };
            Diagnostic::new(
                Code::StaleArtifact,
                format!("'{shown_target}' is stale: it differs from what '{shown_flow}' compiles to, {at}"),
            )
            .help(format!("to update it, run: {fix}"))
        }
    };
    Ok(Some(d))
}

/// SF603: the flow's errors, counted, instead of repeated (`--summarize-invalid`).
fn summarized(flow: &Path, errors: &[Diagnostic]) -> Diagnostic {
    let n = errors.iter().filter(|d| d.is_error()).count().max(1);
    let first = errors
        .iter()
        .find(|d| d.is_error())
        .map(|d| format!(" (first: {}: {})", d.code, d.message))
        .unwrap_or_default();
    Diagnostic::new(
        Code::FlowErrorsSummarized,
        format!(
            "'{}' does not compile ({} error{}){first}",
            flow.display(),
            n,
            if n == 1 { "" } else { "s" }
        ),
    )
    .help(format!(
        "to see every error, run: scaiflow validate {}",
        shell_quote(flow)
    ))
}

/// The byte offset of the first difference (the shorter length when one is a prefix).
fn first_difference(old: &[u8], new: &[u8]) -> usize {
    old.iter()
        .zip(new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()))
}

/// The 1-based line of the first difference.
fn first_different_line(old: &[u8], new: &[u8]) -> usize {
    let at = first_difference(old, new);
    1 + old[..at].iter().filter(|&&b| b == b'\n').count()
}

/// A unified diff from the file on disk to the compiled artifact, with paths `patch -p0`
/// and `git apply` accept; a missing file diffs from `/dev/null`. A bundle is binary:
/// one line says it differs, as `diff` does.
fn diff(target: &Path, old: Option<&[u8]>, new: &[u8], format: OutputFormat) -> String {
    let name = target.display().to_string();
    // A file that is not text (a bundle, or an artifact that is not UTF-8) gets no hunks
    // that could not apply: one line, as `diff` prints.
    let (Ok(old_text), Ok(new_text)) = (
        std::str::from_utf8(old.unwrap_or_default()),
        std::str::from_utf8(new),
    ) else {
        return format!("Binary file {name} differs\n");
    };
    if format == OutputFormat::Ir {
        return format!("Binary file {name} differs\n");
    }
    // A tab and a timestamp end each name, as GNU diff writes them: `patch` and
    // `git apply` then read names with spaces whole. The timestamps are fixed (the output
    // is the same on every run): the epoch marks an absent file, as in GNU diff (git reads
    // it so too), and a file that exists gets 2000-01-01.
    const EXISTS: &str = "\t2000-01-01 00:00:00.000000000 +0000";
    const ABSENT: &str = "\t1970-01-01 00:00:00.000000000 +0000";
    let from = match old {
        Some(_) => format!("{name}{EXISTS}"),
        None => format!("/dev/null{ABSENT}"),
    };
    let to = format!("{name}{EXISTS}");
    let text_diff = similar::TextDiff::from_lines(old_text, new_text);
    let mut unified = text_diff.unified_diff();
    unified.context_radius(3).header(&from, &to);
    // (Every line similar writes ends in a newline; a last line without one is followed
    // by the `\ No newline at end of file` marker, as in `diff`.)
    unified.to_string()
}

/// The command that brings the artifact up to date, as one would type it.
fn fix_command(args: &CompileArgs, flow: &Path, limits: crate::limits::Limits) -> String {
    let mut cmd = String::from("scaiflow compile");
    if limits != crate::limits::Limits::default() {
        cmd.push_str(&format!(" --max-input-size {}", limits.max_input()));
    }
    match args.format {
        OutputFormat::Yaml => {}
        OutputFormat::Ir => cmd.push_str(" --format ir"),
        OutputFormat::Scai => cmd.push_str(" --format scai"),
    }
    if args.no_verify {
        cmd.push_str(" --no-verify");
    }
    if let Some(out) = &args.out {
        cmd.push_str(" --out ");
        cmd.push_str(&shell_quote(out));
    }
    cmd.push(' ');
    cmd.push_str(&shell_quote(flow));
    cmd
}

/// A path as a POSIX shell word: as is when it only has characters the shell leaves
/// alone, else in single quotes (a `'` inside becomes `'\''`).
fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    let plain = !s.is_empty()
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if plain {
        s
    } else {
        // A name starting with `-` gets `./` so it is not read as an option.
        let s = if s.starts_with('-') {
            format!("./{s}")
        } else {
            s
        };
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The flows to compile, one per output: a flow named twice (through a directory and
/// itself, or itself and its artifact) is compiled once, where it first appears. Then
/// refuses outputs that would destroy data: an output that is one of the inputs, two
/// different flows writing the same output (`x.json` and `x.flow.json`), or an
/// `--output-file` that is an input or an output.
fn plan_targets(
    args: &CompileArgs,
    flows: Vec<PathBuf>,
    ctx: &Ctx,
) -> Result<Vec<PathBuf>, String> {
    use std::collections::{HashMap, HashSet};
    let mut kept = Vec::with_capacity(flows.len());
    // Each output's key → the flow that writes it, as given and its name's key: flows are
    // compared by name, not resolved, so a link to a flow elsewhere has its own artifact
    // beside it (and `sub/../x.flow.json` is `x.flow.json`).
    let mut writers: HashMap<PathBuf, (PathBuf, PathBuf)> = HashMap::new();
    let mut targets: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(flows.len());
    for flow in flows {
        let Some(target) = target_of(args, &flow) else {
            kept.push(flow);
            continue;
        };
        let key = file_key(&target);
        let flow_key = name_key(&flow);
        match writers.get(&key) {
            Some((_, same)) if *same == flow_key => continue,
            Some((other, _)) => {
                return Err(format!(
                    "'{}' and '{}' would both write '{}'",
                    shown(other),
                    shown(&flow),
                    shown(&target)
                ));
            }
            None => {}
        }
        writers.insert(key.clone(), (flow.clone(), flow_key));
        targets.push((target, key));
        kept.push(flow);
    }
    let inputs: HashSet<PathBuf> = kept
        .iter()
        .filter(|f| !inputs::is_stdin(f))
        .map(|f| file_key(f))
        .collect();
    if let Some((target, _)) = targets.iter().find(|(_, key)| inputs.contains(key)) {
        return Err(format!(
            "the output '{}' is an input flow; refusing to overwrite it",
            shown(target)
        ));
    }
    let written = targets.iter().map(|(t, _)| t.as_path());
    super::guard_output_file(ctx, kept.iter().map(|p| p.as_path()).chain(written))?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_quote(Path::new("flows/a-b_c.flow.json")),
            "flows/a-b_c.flow.json"
        );
        assert_eq!(shell_quote(Path::new("my flow.json")), "'my flow.json'");
        assert_eq!(shell_quote(Path::new("it's.json")), r"'it'\''s.json'");
        assert_eq!(shell_quote(Path::new("-x.json")), "'./-x.json'");
        assert_eq!(shell_quote(Path::new("$(rm).json")), "'$(rm).json'");
        assert_eq!(shell_quote(Path::new("")), "''");
    }

    #[test]
    fn diffs_end_in_a_newline_and_mark_a_missing_one() {
        let p = Path::new("a.yaml");
        for (old, new) in [
            (&b"a\nb"[..], &b"a\nc\n"[..]),
            (b"a\nb\n", b"a\nc"),
            (b"a", b"b"),
        ] {
            let d = diff(p, Some(old), new, OutputFormat::Yaml);
            assert!(d.ends_with('\n'), "{d:?}");
            assert!(d.contains("\\ No newline at end of file\n"), "{d:?}");
        }
        assert_eq!(diff(p, Some(b"x\n"), b"x\n", OutputFormat::Yaml), "");
        assert_eq!(
            diff(p, Some(b"\xff\n"), b"x\n", OutputFormat::Yaml),
            "Binary file a.yaml differs\n"
        );
    }

    #[test]
    fn first_differences() {
        assert_eq!(first_difference(b"abc", b"abd"), 2);
        assert_eq!(first_difference(b"ab", b"abc"), 2);
        assert_eq!(first_difference(b"abc", b"ab"), 2);
        assert_eq!(first_difference(b"", b"x"), 0);
        assert_eq!(first_different_line(b"a\nb\nc\n", b"a\nb\nd\n"), 3);
        assert_eq!(first_different_line(b"a\n", b"b\n"), 1);
        // A missing last line is on the line after the last newline.
        assert_eq!(first_different_line(b"a\nb\n", b"a\nb\nc\n"), 3);
    }
}
