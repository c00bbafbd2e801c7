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
pub mod graph;
pub mod import;
pub mod limits;
pub mod load;
pub mod lower;
pub mod model;
pub mod plugins;
pub mod schema;
pub mod scir;
pub mod span;
pub mod verify;

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
    /// The SCIR MessagePack IR bundle (`.scir`), checked by the IR verifier.
    Ir,
    /// ScaiCore source text (`.scai`), for reading (upstream marks it deprecated).
    Scai,
}

impl OutputFormat {
    /// The file extension of the artifact, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Yaml => "yaml",
            OutputFormat::Ir => "scir",
            OutputFormat::Scai => "scai",
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

/// How to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// Run the IR verifier on `ir` output (the default; YAML is never verified).
    pub verify: bool,
    /// What the artifact's readers read: the output is refused (SF004) beyond it.
    pub limits: limits::Limits,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            verify: true,
            limits: limits::Limits::default(),
        }
    }
}

/// Compiles a flow source: validate (schema, analyze, structure), lower, emit (and, for
/// `ir`, verify).
pub fn compile_flow(
    source: &load::SourceFile,
    format: OutputFormat,
) -> Result<Artifact, CompileError> {
    compile_flow_with(source, format, CompileOptions::default())
}

/// [`compile_flow`] with options.
pub fn compile_flow_with(
    source: &load::SourceFile,
    format: OutputFormat,
    options: CompileOptions,
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
    let bytes = match format {
        OutputFormat::Yaml => emit::yaml::emit(&a, &core)
            .map_err(|message| CompileError {
                message,
                errors: Vec::new(),
            })?
            .into_bytes(),
        OutputFormat::Ir => {
            let ir = emit::ir::module(&a, &core);
            if options.verify {
                let errors = verify::verify(&ir);
                if !errors.is_empty() {
                    // Point each problem at the canvas node it comes from.
                    diags.extend(errors.into_iter().map(|mut d| {
                        if let Some(i) = d.node_id.as_ref().and_then(|id| a.nodes_by_id.get(id)) {
                            d.path = Some(
                                diagnostics::JsonPath::root()
                                    .key("nodes")
                                    .index(*i)
                                    .key("id"),
                            );
                        }
                        d
                    }));
                    return Err(compile_error(diags));
                }
            }
            let max_values = options.limits.max_ir_values();
            if scir::value_count_upto(&ir, max_values) > max_values {
                return Err(too_large(
                    diags,
                    format!(
                        "the IR bundle would hold more than {max_values} values (keys included), more than `scaiflow verify` reads; nothing is written"
                    ),
                ));
            }
            let bytes = scir::encode(&ir);
            if bytes.len() as u64 > options.limits.max_input() {
                return Err(too_large(
                    diags,
                    format!(
                        "the IR bundle would be {} bytes, more than the {} `scaiflow verify` reads; nothing is written",
                        bytes.len(),
                        options.limits.max_input()
                    ),
                ));
            }
            bytes
        }
        OutputFormat::Scai => emit::scai::emit(&a, &core).into_bytes(),
    };
    let max_manifest = options.limits.max_manifest();
    if format == OutputFormat::Yaml && bytes.len() as u64 > max_manifest {
        return Err(too_large(
            diags,
            format!(
                "the manifest would be {} bytes, more than the {max_manifest} `scaiflow import` reads; nothing is written",
                bytes.len(),
            ),
        ));
    }
    Ok(Artifact {
        format,
        bytes,
        warnings: diags,
    })
}

/// SF004: the artifact would be more than its own readers read (docs/limits.md).
fn too_large(mut diags: Vec<diagnostics::Diagnostic>, message: String) -> CompileError {
    diags.push(diagnostics::Diagnostic::new(
        diagnostics::Code::OutputTooLarge,
        message,
    ));
    compile_error(diags)
}

fn compile_error(diags: Vec<diagnostics::Diagnostic>) -> CompileError {
    let n = diags.iter().filter(|d| d.is_error()).count();
    CompileError {
        message: format!("flow has {n} error{}", if n == 1 { "" } else { "s" }),
        errors: diags,
    }
}
