//! The `scaiflow` command line: a thin shell over the library.
//!
//! Exit codes: 0 success; 1 the tool ran and found problems; 2 the tool could not run.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::analyze::Outcome;
use crate::diagnostics::render::{self, MessageFormat};
use crate::diagnostics::{Code, Diagnostic, Severity, codes};
use crate::load::{self, SourceFile};

#[derive(Debug, Parser)]
#[command(
    name = "scaiflow",
    version,
    about = "Compiler toolchain for ScaiFlow agent flows",
    long_about = "Validates ScaiFlow v2 flow JSON and compiles it for the ScaiCore runtime.\n\nExit status: 0 success, 1 problems found, 2 could not run."
)]
pub struct Cli {
    /// How diagnostics are printed [default: human on a terminal, short (one line per
    /// diagnostic, as upstream) otherwise, github when GITHUB_ACTIONS=true]
    #[arg(long, value_enum, global = true)]
    pub message_format: Option<MessageFormat>,

    /// When to colour human diagnostics (auto honours NO_COLOR and only colours terminals)
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flows against the v2 schema and run the analyze stage (no output is written)
    Validate(ValidateArgs),
    /// Compile flows to a ScaiCore artifact (the YAML deploy manifest; the SCIR bundle with
    /// --format ir; ScaiCore source text with --format scai)
    Compile(CompileArgs),
    /// Import a YAML deploy manifest back into flow JSON
    Import(ImportArgs),
    /// Run the IR verifier on SCIR bundles or JSON dumps of the IR dict
    Verify(VerifyArgs),
    /// Decode a SCIR bundle and print the IR dict as pretty JSON
    Inspect(InspectArgs),
    /// Explain a diagnostic code in detail, with an example and the fix
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Flow JSON files; `-` reads standard input
    #[arg(required = true, value_name = "FLOW")]
    pub flows: Vec<std::path::PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = crate::OutputFormat::Yaml)]
    pub format: crate::OutputFormat,

    /// Output file (`-` for stdout); only with a single FLOW [default: FLOW with its
    /// `.flow.json` / `.json` suffix replaced by the format's extension; stdout for `-`]
    #[arg(long, value_name = "PATH")]
    pub out: Option<std::path::PathBuf>,

    /// Build in memory and compare with the existing output file: exit 1 if it is stale
    /// or missing; never write
    #[arg(long)]
    pub check: bool,

    /// Skip the IR verifier (`--format ir` runs it by default; YAML is never verified)
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The YAML manifest; `-` reads standard input
    #[arg(value_name = "MANIFEST")]
    pub manifest: std::path::PathBuf,

    /// Write the flow JSON here (atomically) instead of to standard output
    #[arg(long, value_name = "PATH")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// `.scir` bundles or JSON dumps of the IR dict; `-` reads standard input
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<std::path::PathBuf>,

    /// Print nothing for valid bundles
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A `.scir` bundle (or a JSON dump of the IR dict); `-` reads standard input
    #[arg(value_name = "BUNDLE")]
    pub bundle: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Flow JSON files; `-` reads standard input
    #[arg(required = true, value_name = "FLOW")]
    pub flows: Vec<std::path::PathBuf>,

    /// Print one `{"ok": bool, "errors": [...], "diagnostics": [...]}` object per file on stdout
    #[arg(long)]
    pub json: bool,

    /// Print nothing for valid files
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as SF204 (omit to list all codes)
    pub code: Option<String>,
}

/// Parses arguments and runs; the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(cli))
}

fn message_format(cli: &Cli) -> MessageFormat {
    cli.message_format.unwrap_or_else(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            MessageFormat::Github
        } else if std::io::stderr().is_terminal() {
            MessageFormat::Human
        } else {
            MessageFormat::Short
        }
    })
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let format = message_format(&cli);
    let color = use_color(cli.color);
    match &cli.command {
        Command::Validate(args) => validate(args, format, color),
        Command::Compile(args) => compile(args, format, color),
        Command::Import(args) => import(args, format, color),
        Command::Verify(args) => verify(args, format, color),
        Command::Inspect(args) => inspect(args, format, color),
        Command::Explain(args) => explain(args),
    }
}

/// One input's source text and diagnostics.
struct FileReport {
    source: SourceFile,
    diagnostics: Vec<Diagnostic>,
}

/// The exit code for one input's diagnostics: 2 when the tool could not do its job (the
/// input could not be read, or an internal error), 1 for any other error, 0 otherwise.
fn exit_code_of(diagnostics: &[Diagnostic]) -> u8 {
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

impl FileReport {
    fn exit_code(&self) -> u8 {
        exit_code_of(&self.diagnostics)
    }
}

fn check_file(path: &std::path::Path) -> FileReport {
    let (source, mut diagnostics) = match load::read_source(path) {
        Ok(source) => {
            let Outcome { diagnostics, .. } = crate::validate_source(&source);
            (source, diagnostics)
        }
        Err(f) => (f.source, vec![f.diagnostic]),
    };
    render::prepare(&source, &mut diagnostics);
    FileReport {
        source,
        diagnostics,
    }
}

/// Streams diagnostics of one file in a line-oriented format; collects SARIF.
struct Emitter {
    format: MessageFormat,
    color: bool,
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
fn keep_error(slot: &mut Option<std::io::Error>, r: std::io::Result<()>) {
    if let Err(e) = r
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && slot.is_none()
    {
        *slot = Some(e);
    }
}

impl Emitter {
    fn new(format: MessageFormat, color: bool) -> Self {
        Emitter {
            format,
            color,
            sarif: Vec::new(),
            errors: 0,
            warnings: 0,
            failed_files: 0,
            files: 0,
            write_error: None,
        }
    }

    fn emit(&mut self, report: FileReport) {
        self.files += 1;
        let errs = report.diagnostics.iter().filter(|d| d.is_error()).count();
        self.errors += errs;
        self.warnings += report.diagnostics.len() - errs;
        if errs > 0 {
            self.failed_files += 1;
        }
        let mut stderr = std::io::stderr().lock();
        let mut stdout = std::io::stdout().lock();
        let src = &report.source;
        let written = match self.format {
            MessageFormat::Human => write!(
                stderr,
                "{}",
                render::human(src, &report.diagnostics, self.color)
            ),
            MessageFormat::Short => report
                .diagnostics
                .iter()
                .try_for_each(|d| writeln!(stderr, "{}", render::short_line(src, d))),
            MessageFormat::Github => report
                .diagnostics
                .iter()
                .try_for_each(|d| writeln!(stdout, "{}", render::github_line(src, d))),
            MessageFormat::Json => report
                .diagnostics
                .iter()
                .try_for_each(|d| writeln!(stdout, "{}", render::record(src, d))),
            MessageFormat::Sarif => {
                self.sarif.push(report);
                Ok(())
            }
        };
        keep_error(&mut self.write_error, written);
    }

    /// Writes what is left (SARIF, the summary) and flushes; the exit code the writes
    /// call for: 2 when a diagnostic could not be written, else 0.
    fn finish(mut self, what: &str, quiet: bool) -> u8 {
        let written = match self.format {
            MessageFormat::Sarif => {
                let reports: Vec<(&SourceFile, &[Diagnostic])> = self
                    .sarif
                    .iter()
                    .map(|r| (&r.source, r.diagnostics.as_slice()))
                    .collect();
                let doc = render::sarif(&reports);
                let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
                writeln!(std::io::stdout().lock(), "{text}")
            }
            MessageFormat::Human if !(quiet && self.errors == 0 && self.warnings == 0) => {
                writeln!(std::io::stderr().lock(), "{}", summary(what, &self))
            }
            _ => Ok(()),
        };
        keep_error(&mut self.write_error, written);
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

/// A path as shown in the CLI's own messages: control and bidirectional characters
/// escaped (docs/diagnostics.md, "Terminal safety").
fn shown(p: &std::path::Path) -> String {
    render::printable(&p.display().to_string()).into_owned()
}

/// `-` names standard input, which can be read only once.
fn stdin_once(paths: &[std::path::PathBuf]) -> bool {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: `-` (standard input) can be given only once"
        );
        return false;
    }
    true
}

fn validate(args: &ValidateArgs, format: MessageFormat, color: bool) -> u8 {
    if !stdin_once(&args.flows) {
        return 2;
    }
    let mut exit = 0;
    let mut emitter = Emitter::new(format, color);
    for path in &args.flows {
        let report = check_file(path);
        exit = exit.max(report.exit_code());
        if args.json {
            // (Escaped as the records are: docs/diagnostics.md, "Terminal safety".)
            let errors: Vec<std::borrow::Cow<'_, str>> = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| render::json_text(&d.message))
                .collect();
            let diagnostics: Vec<_> = report
                .diagnostics
                .iter()
                .map(|d| render::record(&report.source, d))
                .collect();
            let obj = json!({
                "ok": errors.is_empty(),
                "file": render::json_text(&report.source.name),
                "errors": errors,
                "diagnostics": diagnostics,
            });
            let written = writeln!(std::io::stdout().lock(), "{obj}");
            keep_error(&mut emitter.write_error, written);
        } else {
            emitter.emit(report);
        }
    }
    // (With --json, finish writes nothing more and reports a failed write.)
    exit.max(emitter.finish("validate", args.quiet || args.json))
}

fn explain(args: &ExplainArgs) -> u8 {
    let mut out = std::io::stdout().lock();
    let Some(code) = &args.code else {
        for info in codes::ALL {
            let _ = writeln!(
                out,
                "{}  {:<7}  {}",
                info.code,
                info.severity.as_str(),
                info.title
            );
        }
        return 0;
    };
    match Code::parse(code) {
        Some(c) => {
            let info = c.info();
            let _ = writeln!(
                out,
                "{} ({}): {}\n\n{}",
                c,
                info.severity.as_str(),
                info.title,
                info.explanation
            );
            0
        }
        None => {
            let all: Vec<&str> = codes::ALL.iter().map(|i| i.code.as_str()).collect();
            let upper = code.to_ascii_uppercase();
            let hint = crate::diagnostics::suggestion(&upper, all.iter().copied())
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: unknown diagnostic code '{code}'{hint}; `scaiflow explain` lists them all"
            );
            2
        }
    }
}

/// The same file, as far as can be told before writing: canonical when it exists,
/// absolute otherwise.
fn file_key(p: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// Refuses output paths that would destroy data: an output that is one of the inputs, or
/// two inputs writing the same output.
fn check_targets(args: &CompileArgs) -> Result<(), String> {
    let inputs: Vec<std::path::PathBuf> = args
        .flows
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .map(|f| file_key(f))
        .collect();
    let mut seen: Vec<(std::path::PathBuf, &std::path::Path)> = Vec::new();
    for flow in &args.flows {
        let target = match &args.out {
            Some(o) if o.as_os_str() == "-" => continue,
            Some(o) => o.clone(),
            None if flow.as_os_str() == "-" => continue,
            None => default_output(flow, args.format.extension()),
        };
        let key = file_key(&target);
        if inputs.contains(&key) {
            return Err(format!(
                "the output '{}' is an input flow; refusing to overwrite it",
                shown(&target)
            ));
        }
        if let Some((_, other)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(format!(
                "'{}' and '{}' would both write '{}'",
                shown(other),
                shown(flow),
                shown(&target)
            ));
        }
        seen.push((key, flow));
    }
    Ok(())
}

/// The default output path: the input with its whole `.flow.json` (or `.json`) suffix
/// replaced by the format's extension (`my-flow.flow.json` → `my-flow.yaml`).
pub fn default_output(input: &std::path::Path, ext: &str) -> std::path::PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".flow.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    input.with_file_name(format!("{stem}.{ext}"))
}

/// The first `limit` bytes of a file: enough to compare it with an artifact (a longer file
/// differs anyway), and never unbounded — the output path may be a device or a huge file.
fn read_at_most(path: &std::path::Path, limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a new temporary file in the same directory (created
/// exclusively, under an unpredictable name), flushed to disk, then renamed over the target,
/// so on any error the previous file is untouched and no partial file appears. When `path`
/// is a symlink, the file it points to is replaced and the link kept; an existing file's
/// permissions are kept. A special file (FIFO, device) is written into instead.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    // A FIFO, a terminal or a device (`/dev/stdout`, `/dev/null`) is written into, as `cp`
    // would: renaming a file over it would replace the special file itself.
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
        && !m.is_dir()
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes).and_then(|()| f.flush());
    }
    let path = resolve_links(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let keep = match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        Ok(m) => Some(m.permissions()),
        Err(_) => None,
    };
    let (tmp, mut f) = create_temp(&dir, &name)?;
    let result = (|| {
        f.write_all(bytes)?;
        if let Some(p) = keep {
            f.set_permissions(p)?;
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        // Make the rename itself durable (directories cannot be opened for sync everywhere).
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else {
        remove_stale_temps(&dir, &name);
    }
    result
}

/// A temporary file older than this is left over from a run that was killed while writing
/// (a live write holds its file for seconds at most).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes the temporary files of `name` that killed runs left in `dir`: regular files
/// named `.<name>.<16 hex digits>.tmp` (what [`create_temp`] makes) older than
/// [`STALE_TEMP_AGE`]. Links and anything else are never touched. Each directory is listed
/// once per run (a run writing N outputs into one directory does not list it N times).
fn remove_stale_temps(dir: &std::path::Path, name: &str) {
    use std::sync::Mutex;
    type Dirs = std::collections::HashMap<std::path::PathBuf, StaleTemps>;
    static LISTED: Mutex<Option<Dirs>> = Mutex::new(None);
    let Ok(mut listed) = LISTED.lock() else {
        return;
    };
    let stale = listed
        .get_or_insert_with(Dirs::new)
        .entry(dir.to_path_buf())
        .or_insert_with(|| stale_temps(dir));
    for path in stale.remove(name).unwrap_or_default() {
        let _ = std::fs::remove_file(path);
    }
}

/// Stale temporary files, by the name of the output they were for.
type StaleTemps = std::collections::HashMap<String, Vec<std::path::PathBuf>>;

/// The stale temporary files of `dir`.
fn stale_temps(dir: &std::path::Path) -> StaleTemps {
    let mut out = StaleTemps::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        // `.<name>.<16 hex>.tmp`
        let Some((name, hex)) = file
            .to_str()
            .and_then(|f| f.strip_prefix('.'))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|f| f.rsplit_once('.'))
        else {
            continue;
        };
        if name.is_empty() || hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let old = std::fs::symlink_metadata(entry.path()).is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP_AGE)
        });
        if old {
            out.entry(name.to_string()).or_default().push(entry.path());
        }
    }
    out
}

/// The file a chain of symlinks ends at (the path itself when it is not a link, or does not
/// exist yet). Gives up after 40 links, like the kernel.
fn resolve_links(path: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// A new file `.<name>.<random>.tmp` in `dir`, created exclusively (never an existing file
/// or a link someone planted).
fn create_temp(
    dir: &std::path::Path,
    name: &str,
) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::hash::{BuildHasher, Hasher};
    let mut last = None;
    for attempt in 0u32..16 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u32(attempt);
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", h.finish()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("cannot create a temporary file")))
}

/// Reads a bundle (or JSON dump) and decodes it; on failure, the report to show.
fn read_ir(path: &std::path::Path) -> Result<crate::verify::LoadedIr, FileReport> {
    let failed = |source: SourceFile, d: Diagnostic| {
        let mut diagnostics = vec![d];
        render::prepare(&source, &mut diagnostics);
        FileReport {
            source,
            diagnostics,
        }
    };
    let (name, bytes) = load::read_bytes(path).map_err(|f| failed(f.source, f.diagnostic))?;
    crate::verify::load_ir(&name, bytes).map_err(|(source, d)| failed(source, d))
}

fn import(args: &ImportArgs, format: MessageFormat, color: bool) -> u8 {
    let target = args.out.as_ref().filter(|o| o.as_os_str() != "-");
    if let Some(t) = target
        && args.manifest.as_os_str() != "-"
        && file_key(t) == file_key(&args.manifest)
    {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: the output '{}' is the manifest; refusing to overwrite it",
            shown(t)
        );
        return 2;
    }
    let mut emitter = Emitter::new(format, color);
    let read = load::read_bytes_limited(&args.manifest, crate::import::MAX_MANIFEST_BYTES)
        .and_then(|(name, bytes)| load::decode(&name, bytes))
        .map_err(|mut f| {
            f.diagnostic.message = f
                .diagnostic
                .message
                .replace("JSON text must be UTF-8", "a manifest must be UTF-8");
            f
        });
    let (source, outcome) = match read {
        Ok(source) => {
            let outcome = crate::import::import_manifest(&source);
            (source, outcome)
        }
        Err(f) => {
            let code = if f.diagnostic.code == Code::Io { 2 } else { 1 };
            let mut d = vec![f.diagnostic];
            render::prepare(&f.source, &mut d);
            emitter.emit(FileReport {
                source: f.source,
                diagnostics: d,
            });
            return code.max(emitter.finish("import", true));
        }
    };
    let mut diagnostics = outcome.diagnostics;
    render::prepare(&source, &mut diagnostics);
    let mut exit = 0;
    if let Some(flow) = &outcome.flow {
        let written = match target {
            Some(t) => write_atomic(t, flow.as_bytes())
                .map_err(|e| format!("cannot write '{}': {e}", shown(t))),
            None => match std::io::stdout().lock().write_all(flow.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write to stdout: {e}"))
                }
                _ => Ok(()),
            },
        };
        if let Err(msg) = written {
            let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
            exit = 2;
        }
    } else {
        exit = 1;
    }
    emitter.emit(FileReport {
        source,
        diagnostics,
    });
    exit.max(emitter.finish("import", true))
}

fn verify(args: &VerifyArgs, format: MessageFormat, color: bool) -> u8 {
    if !stdin_once(&args.bundles) {
        return 2;
    }
    let mut exit = 0;
    let mut emitter = Emitter::new(format, color);
    for path in &args.bundles {
        let report = match read_ir(path) {
            Ok(loaded) => {
                let mut diagnostics = crate::verify::verify(&loaded.ir);
                render::prepare(&loaded.source, &mut diagnostics);
                FileReport {
                    source: loaded.source,
                    diagnostics,
                }
            }
            Err(report) => report,
        };
        exit = exit.max(report.exit_code());
        emitter.emit(report);
    }
    exit.max(emitter.finish("verify", args.quiet))
}

fn inspect(args: &InspectArgs, format: MessageFormat, color: bool) -> u8 {
    match read_ir(&args.bundle) {
        Ok(loaded) => {
            let text = serde_json::to_string_pretty(&loaded.ir).unwrap_or_default();
            match writeln!(std::io::stdout().lock(), "{text}") {
                Ok(()) => 0,
                // The reader went away (`inspect x.scir | head`): not an error of ours.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "error: cannot write to stdout: {e}"
                    );
                    2
                }
            }
        }
        Err(report) => {
            let exit = report.exit_code();
            let mut emitter = Emitter::new(format, color);
            emitter.emit(report);
            exit.max(emitter.finish("inspect", true))
        }
    }
}

fn compile(args: &CompileArgs, format: MessageFormat, color: bool) -> u8 {
    if !stdin_once(&args.flows) {
        return 2;
    }
    if args.out.is_some() && args.flows.len() > 1 {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: --out takes a single FLOW ({} given)",
            args.flows.len()
        );
        return 2;
    }
    let to_stdout = |p: &std::path::Path| p.as_os_str() == "-";
    if args.check
        && (args.out.as_deref().is_some_and(to_stdout)
            || (args.out.is_none() && args.flows.iter().any(|f| to_stdout(f))))
    {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: --check compares with an output file; it cannot check standard output"
        );
        return 2;
    }
    let binary_to_stdout = args.format == crate::OutputFormat::Ir
        && !args.check
        && (args.out.as_deref().is_some_and(to_stdout)
            || (args.out.is_none() && args.flows.iter().any(|f| to_stdout(f))));
    if binary_to_stdout && std::io::stdout().is_terminal() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: refusing to write a binary SCIR bundle to a terminal; use --out FILE, or pipe it (e.g. into `scaiflow inspect -`)"
        );
        return 2;
    }
    if let Err(msg) = check_targets(args) {
        let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
        return 2;
    }
    let mut exit = 0;
    let mut emitter = Emitter::new(format, color);
    for path in &args.flows {
        let (source, result) = match load::read_source(path) {
            Ok(source) => {
                let options = crate::CompileOptions {
                    verify: !args.no_verify,
                };
                let r = crate::compile_flow_with(&source, args.format, options);
                (source, r)
            }
            Err(f) => {
                let code = if f.diagnostic.code == Code::Io { 2 } else { 1 };
                exit = exit.max(code);
                let mut d = vec![f.diagnostic];
                render::prepare(&f.source, &mut d);
                emitter.emit(FileReport {
                    source: f.source,
                    diagnostics: d,
                });
                continue;
            }
        };
        let artifact = match result {
            Ok(a) => a,
            Err(e) => {
                // A failed compile is at least 1, even without a diagnostic.
                exit = exit.max(exit_code_of(&e.errors).max(1));
                let mut d = e.errors;
                if d.is_empty() {
                    d.push(Diagnostic::new(Code::SchemaViolation, e.message));
                }
                render::prepare(&source, &mut d);
                emitter.emit(FileReport {
                    source,
                    diagnostics: d,
                });
                continue;
            }
        };
        let mut warnings = artifact.warnings.clone();
        render::prepare(&source, &mut warnings);
        let target = match &args.out {
            Some(o) => Some(o.clone()),
            None if path.as_os_str() == "-" => None,
            None => Some(default_output(path, args.format.extension())),
        };
        let target = target.filter(|t| t.as_os_str() != "-");
        let outcome = match (&target, args.check) {
            (None, _) => match std::io::stdout().lock().write_all(&artifact.bytes) {
                Ok(()) => Ok(0),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
                Err(e) => Err(format!("cannot write to stdout: {e}")),
            },
            (Some(t), true) => {
                let stale = |what: &str, verb: &str| {
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "check: {} is {what}: {verb} {}",
                        shown(t),
                        render::printable(&source.name)
                    );
                    Ok(1)
                };
                match read_at_most(t, artifact.bytes.len() + 1) {
                    Ok(old) if old == artifact.bytes => Ok(0),
                    Ok(_) => stale("stale", "recompile"),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        stale("missing", "compile")
                    }
                    // A directory, a permission problem...: the check could not run.
                    Err(e) => Err(format!("cannot read '{}': {e}", shown(t))),
                }
            }
            (Some(t), false) => write_atomic(t, &artifact.bytes)
                .map(|()| 0)
                .map_err(|e| format!("cannot write '{}': {e}", shown(t))),
        };
        match outcome {
            Ok(code) => exit = exit.max(code),
            Err(msg) => {
                let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
                exit = exit.max(2);
            }
        }
        if !warnings.is_empty() {
            emitter.emit(FileReport {
                source,
                diagnostics: warnings,
            });
        }
    }
    exit.max(emitter.finish("compile", true))
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
