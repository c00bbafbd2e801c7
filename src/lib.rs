//! scaiflow: a compiler toolchain for ScaiFlow agent flows.
//!
//! Data flows one way: source → [`load`] → [`schema`] + [`analyze`] → (lower → emit).
//! Every stage reports problems as [`diagnostics::Diagnostic`]s.

// Diagnostics are this crate's product, not an exceptional path: functions return them by
// value in `Err`, and their size is irrelevant next to the I/O and rendering around them.
#![allow(clippy::result_large_err)]

pub mod analyze;
pub mod cli;
pub mod diagnostics;
pub mod emit;
pub mod load;
pub mod lower;
pub mod model;
pub mod plugins;
pub mod schema;
pub mod span;

/// Everything `scaiflow validate` checks: schema, the analyze stage, and that the graph can
/// be structured (the first part of lowering). `analyzed` is set when there is no error.
pub fn validate_source(source: &load::SourceFile) -> analyze::Outcome {
    let mut out = analyze::analyze_source(source);
    if let Some(a) = &out.analyzed
        && let Err(diags) = lower::structure(a)
    {
        out.diagnostics.extend(diags);
        out.analyzed = None;
    }
    out
}

/// Output formats of `compile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The YAML deploy manifest (`.yaml`).
    Yaml,
}

impl OutputFormat {
    /// The file extension of the artifact, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Yaml => "yaml",
        }
    }
}

/// A compiled artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
    /// Warnings found on the way (errors make compilation fail instead).
    pub warnings: Vec<diagnostics::Diagnostic>,
}

/// Compilation failed: a summary and *all* diagnostics (upstream's
/// `CompileError(message, errors=[...])`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub errors: Vec<diagnostics::Diagnostic>,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles a flow source: validate (schema, analyze, structure), lower, emit.
pub fn compile_flow(
    source: &load::SourceFile,
    format: OutputFormat,
) -> Result<Artifact, CompileError> {
    let outcome = analyze::analyze_source(source);
    let mut diags = outcome.diagnostics;
    let structured = outcome
        .analyzed
        .map(|a| lower::structure(&a).map(|bodies| (a, bodies)));
    let (a, bodies) = match structured {
        Some(Ok(x)) => x,
        Some(Err(errs)) => {
            diags.extend(errs);
            return Err(compile_error(diags));
        }
        None => return Err(compile_error(diags)),
    };
    let core = lower::core::lower(&a, &bodies);
    let text = match format {
        OutputFormat::Yaml => emit::yaml::emit(&a, &core),
    }
    .map_err(|message| CompileError {
        message,
        errors: Vec::new(),
    })?;
    Ok(Artifact {
        format,
        bytes: text.into_bytes(),
        warnings: diags,
    })
}

fn compile_error(diags: Vec<diagnostics::Diagnostic>) -> CompileError {
    let n = diags.iter().filter(|d| d.is_error()).count();
    CompileError {
        message: format!("flow has {n} error{}", if n == 1 { "" } else { "s" }),
        errors: diags,
    }
}
