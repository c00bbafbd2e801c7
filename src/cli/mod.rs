//! The `scaiflow` command line: a thin shell over the library.
//!
//! Exit codes: 0 success; 1 the tool ran and found problems; 2 the tool could not run.
//!
//! - `mod.rs`: the clap model (every command's arguments), the global options, dispatch;
//! - `report`: where diagnostics go (one sink per run), summaries, exit codes;
//! - `inputs`: directories, `-`, artifacts standing for flows;
//! - `files`: atomic writes, output paths;
//! - one file per command family: `validate`, `compile`, `import`, `ir` (verify, inspect),
//!   `graph`, `generate` (completions, man pages), `explain`.

mod compile;
mod explain;
mod generate;
mod graph;
mod import;
mod inputs;
mod ir;
mod report;
mod validate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::render::{self, MessageFormat};

use crate::files;
pub use crate::files::{default_output, write_atomic};

#[derive(Debug, Parser)]
#[command(
    name = "scaiflow",
    version,
    about = "Compiler toolchain for ScaiFlow agent flows",
    long_about = "Validates ScaiFlow v2 flow JSON and compiles it for the ScaiCore runtime.\n\nExit status: 0 success, 1 problems found, 2 could not run.",
    after_help = "Exit status: 0 success, 1 problems found, 2 could not run."
)]
pub struct Cli {
    /// How diagnostics are printed [default: human on a terminal, short (one line per
    /// diagnostic, as upstream) otherwise, github when GITHUB_ACTIONS=true]
    #[arg(long, value_enum, global = true)]
    pub message_format: Option<MessageFormat>,

    /// Write the diagnostics to this file (atomically) instead of stdout / stderr
    #[arg(long, global = true, value_name = "PATH")]
    pub output_file: Option<PathBuf>,

    /// When to colour human diagnostics (auto: a terminal, unless NO_COLOR is set; FORCE_COLOR
    /// or CLICOLOR_FORCE colour any output)
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print diagnostics only: no summary line, no notes
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The largest input read, e.g. 100MiB [default: 16MiB]; the manifest, bundle and YAML
    /// limits grow with it (docs/limits.md)
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::limits::parse_size)]
    pub max_input_size: Option<u64>,

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
    /// Draw a flow as a diagram (Mermaid, Graphviz DOT or SVG)
    Graph(GraphArgs),
    /// Explain a diagnostic code in detail, with an example and the fix
    Explain(ExplainArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per command into a directory
    Man(ManArgs),
    /// Run the language server for editors (LSP over standard input and output):
    /// validate's diagnostics as you type, hover, go to definition, completion, quick fixes
    Lsp(LspArgs),
}

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the only transport; accepted because editor
    /// clients pass it)
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Flow JSON files, or directories (every `*.flow.json` under them); `-` reads
    /// standard input
    #[arg(required = true, value_name = "FLOW")]
    pub flows: Vec<PathBuf>,

    /// Print one `{"ok": bool, "errors": [...], "diagnostics": [...]}` object per file
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Flow JSON files, or directories (every `*.flow.json` under them); `-` reads
    /// standard input
    #[arg(required = true, value_name = "FLOW")]
    pub flows: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = crate::OutputFormat::Yaml)]
    pub format: crate::OutputFormat,

    /// Output file (`-` for stdout); only with a single FLOW [default: FLOW with its
    /// `.flow.json` / `.json` suffix replaced by the format's extension; stdout for `-`]
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Build in memory and compare with the existing output file: report a stale or
    /// missing artifact (SF601, SF602) and exit 1; never write
    #[arg(long)]
    pub check: bool,

    /// Like --check, and print a unified diff of what compiling would change on stdout
    #[arg(long)]
    pub diff: bool,

    /// Skip the IR verifier (`--format ir` runs it by default; YAML is never verified)
    #[arg(long)]
    pub no_verify: bool,

    /// Accept artifact paths too (`x.yaml` stands for the `x.flow.json` beside it; an
    /// artifact with no flow beside it is skipped): for hooks, which pass every changed file
    #[arg(long)]
    pub from_artifacts: bool,

    /// Report a flow that does not compile with one SF603 (its error count and first error)
    /// instead of every error: for hooks running next to `scaiflow validate`, which reports them
    #[arg(long)]
    pub summarize_invalid: bool,

    /// Write only artifacts that are missing or differ, name each on stderr, and exit 1
    /// when any was written (for a fixer hook: the commit stops so the file can be added)
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub fail_on_change: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The YAML manifest; `-` reads standard input
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,

    /// Write the flow JSON here (atomically) instead of to standard output
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// `.scir` bundles or JSON dumps of the IR dict; `-` reads standard input
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A `.scir` bundle (or a JSON dump of the IR dict); `-` reads standard input
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A flow JSON file; `-` reads standard input
    #[arg(value_name = "FLOW")]
    pub flow: PathBuf,

    /// Diagram format
    #[arg(long, value_enum, default_value_t = crate::graph::GraphFormat::Mermaid)]
    pub format: crate::graph::GraphFormat,

    /// Write the diagram here (atomically) instead of to standard output
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code such as SF204 (omit to list all codes)
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `scaiflow.1` and one `scaiflow-COMMAND.1` per command into this directory
    /// instead of printing `scaiflow.1`
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Parses arguments and runs; the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help, --version: the text is the output; a failed write is exit 2.
            let text = e.render();
            let text = if std::io::stdout().is_terminal() {
                text.ansi().to_string()
            } else {
                text.to_string()
            };
            return ExitCode::from(match to_stdout(text.as_bytes()) {
                Ok(()) => 0,
                Err(msg) => fail(&msg),
            });
        }
    };
    if cli.output_file.as_deref().is_some_and(inputs::is_stdin) {
        return ExitCode::from(fail(
            "--output-file names a file; without it, diagnostics go to stdout or stderr (docs/ci.md, \"Streams\")",
        ));
    }
    ExitCode::from(run(cli))
}

/// What every command needs of the global options.
pub(crate) struct Ctx {
    format: MessageFormat,
    color: bool,
    quiet: bool,
    output_file: Option<PathBuf>,
    limits: crate::limits::Limits,
}

fn message_format(cli: &Cli) -> MessageFormat {
    cli.message_format.unwrap_or_else(|| {
        if cli.output_file.is_some() {
            // A file is not a terminal, nor an Actions log.
            MessageFormat::Short
        } else if env_is("GITHUB_ACTIONS", "true") {
            MessageFormat::Github
        } else if std::io::stderr().is_terminal() {
            MessageFormat::Human
        } else {
            MessageFormat::Short
        }
    })
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == value)
}

/// Set and not empty.
fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Whether human diagnostics are coloured (docs/ci.md, "Colour"): `--color always|never`
/// decides; otherwise NO_COLOR turns colour off, FORCE_COLOR or CLICOLOR_FORCE (set, not
/// empty, not `0`) turns it on, and else a terminal is coloured. A file named by
/// `--output-file` is coloured only with `--color always`.
fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let forced = |n| env_set(n) && !env_is(n, "0") && !env_is(n, "false");
            if to_file || env_set("NO_COLOR") {
                false
            } else if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") {
                true
            } else {
                std::io::stderr().is_terminal()
            }
        }
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    let ctx = Ctx {
        format: message_format(&cli),
        color: use_color(cli.color, cli.output_file.is_some()),
        quiet: cli.quiet,
        output_file: cli.output_file.clone(),
        limits: cli
            .max_input_size
            .map(crate::limits::Limits::with_max_input)
            .unwrap_or_default(),
    };
    match &cli.command {
        Command::Validate(args) => validate::run(args, &ctx),
        Command::Compile(args) => compile::run(args, &ctx),
        Command::Import(args) => import::run(args, &ctx),
        Command::Verify(args) => ir::verify(args, &ctx),
        Command::Inspect(args) => ir::inspect(args, &ctx),
        Command::Graph(args) => graph::run(args, &ctx),
        Command::Explain(args) => explain::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
        Command::Lsp(_) => lsp(&ctx),
    }
}

/// `scaiflow lsp`: serves until the client says `exit`: 0 after `shutdown`, 1 without
/// (as the protocol asks); 2 when the connection fails.
fn lsp(ctx: &Ctx) -> u8 {
    let options = crate::lsp::Options { limits: ctx.limits };
    match crate::lsp::run_stdio(options) {
        Ok(crate::lsp::Ended::Clean) => 0,
        Ok(crate::lsp::Ended::ExitWithoutShutdown) => 1,
        Err(msg) => fail(&msg),
    }
}

/// A path as shown in the CLI's own messages: control and bidirectional characters
/// escaped (docs/diagnostics.md, "Terminal safety").
fn shown(p: &std::path::Path) -> String {
    render::printable(&p.display().to_string()).into_owned()
}

/// Refuses an `--output-file` that is one of the run's inputs or of the files it writes:
/// the diagnostics would replace them.
fn guard_output_file<'a>(
    ctx: &Ctx,
    files: impl IntoIterator<Item = &'a std::path::Path>,
) -> Result<(), String> {
    let Some(out) = &ctx.output_file else {
        return Ok(());
    };
    let key = files::file_key(out);
    for f in files {
        if !inputs::is_stdin(f) && files::file_key(f) == key {
            return Err(format!(
                "--output-file '{}' is a file this run reads or writes; refusing to overwrite it",
                shown(out)
            ));
        }
    }
    Ok(())
}

/// The `--out` file of a one-input command (`None`: stdout), refused when it is the input
/// (`what` names it) or when `--output-file` is one of the two.
fn single_output<'a>(
    ctx: &Ctx,
    input: &std::path::Path,
    out: Option<&'a PathBuf>,
    what: &str,
) -> Result<Option<&'a PathBuf>, String> {
    let target = out.filter(|o| !inputs::is_stdin(o));
    if let Some(t) = target
        && !inputs::is_stdin(input)
        && files::file_key(t) == files::file_key(input)
    {
        return Err(format!(
            "the output '{}' is the {what}; refusing to overwrite it",
            shown(t)
        ));
    }
    guard_output_file(ctx, [input].into_iter().chain(target.map(|t| t.as_path())))?;
    Ok(target)
}

/// Prints an error of the command line itself (not a diagnostic of an input).
fn fail(msg: &str) -> u8 {
    note(&format!("error: {msg}"));
    2
}

/// A line on stderr (a failed write of it has nowhere to be reported).
fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Writes an artifact to stdout. A reader that went away (`… | head`) is not an error.
fn to_stdout(bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}
