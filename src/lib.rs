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
pub mod files;
pub mod graph;
pub mod hash;
pub mod import;
pub mod limits;
pub mod load;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod plugins;
pub mod schema;
pub mod scir;
pub mod span;
pub mod verify;

#[cfg(test)]
mod testing;

/// Everything `scaiflow validate` checks: schema, the analyze stage, and that the graph can
/// be structured (the first part of lowering). `analyzed` is set when there is no error.
pub fn validate_source(source: &load::SourceFile) -> analyze::Outcome {
    validate_source_with(source, Reclaim::Free)
}

/// [`validate_source`]; with [`Reclaim::LeaveToExit`] the document tree and the analyzed
/// flow are not freed (the outcome then never holds the analyzed flow).
pub fn validate_source_with(source: &load::SourceFile, reclaim: Reclaim) -> analyze::Outcome {
    let mut out = analyze::analyze_source_with(source, reclaim);
    let structured = out.analyzed.as_ref().map(lower::structure);
    match structured {
        Some(Ok(bodies)) => reclaim.release(bodies),
        Some(Err(diags)) => {
            out.diagnostics.extend(diags);
            reclaim.release(out.analyzed.take());
        }
        None => {}
    }
    if reclaim == Reclaim::LeaveToExit {
        reclaim.release(out.analyzed.take());
    }
    out
}

/// What to do with a run's big intermediate trees (the parsed document, the analyzed flow,
/// the lowered core) once they are no longer needed.
///
/// Freeing them is millions of small `free` calls: about a fifth of a 10,000-node compile
/// (docs/performance.md). A process that exits right after the call can leave them to the
/// operating system, which takes the whole address space back at once; the CLI does so
/// when it has a single input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reclaim {
    /// Free as usual (the default, and the only choice for a long-lived process).
    #[default]
    Free,
    /// Do not free: the process exits after this call.
    LeaveToExit,
}

impl Reclaim {
    /// Drops `value`, or leaves it to the process's exit.
    pub fn release<T>(self, value: T) {
        match self {
            Reclaim::Free => drop(value),
            Reclaim::LeaveToExit => std::mem::forget(value),
        }
    }
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
    /// Free the analyzed flow, the lowered core and the IR module at the end, or leave them
    /// to the process's exit.
    pub reclaim: Reclaim,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            verify: true,
            limits: limits::Limits::default(),
            reclaim: Reclaim::Free,
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
    let mut bytes = Vec::new();
    let warnings = compile_flow_into(source, format, options, &mut bytes)?;
    Ok(Artifact {
        format,
        bytes,
        warnings,
    })
}

/// [`compile_flow_with`], the artifact's bytes handed to `sink` in chunks as they are
/// written ([`emit::Sink`]): the warnings found on the way.
///
/// On `Err`, what `sink` has taken is not an artifact (an output that is too large is
/// refused once produced, [`max_artifact_bytes`]), so a sink that writes a file must only
/// make it visible once this returns `Ok` (`files::StreamedFile` writes a temporary file).
pub fn compile_flow_into(
    source: &load::SourceFile,
    format: OutputFormat,
    options: CompileOptions,
    sink: &mut dyn emit::Sink,
) -> Result<Vec<diagnostics::Diagnostic>, CompileError> {
    // The document tree is freed even when the rest is left to the exit: lowering and
    // emission reuse its memory (leaving it costs a fifth more peak memory for a tenth
    // of the time, docs/performance.md).
    let outcome = analyze::analyze_source_with(source, Reclaim::Free);
    let mut diags = outcome.diagnostics;
    let structured = outcome
        .analyzed
        .map(|a| lower::structure(&a).map(|bodies| (a, bodies)));
    let (mut a, bodies) = match structured {
        Some(Ok(x)) => x,
        Some(Err(errs)) => {
            diags.extend(errs);
            return Err(compile_error(diags));
        }
        None => return Err(compile_error(diags)),
    };
    // What only structuring reads (the control graph and the order) is freed before
    // lowering, and the loop bodies before emission, whatever `reclaim` says: the next
    // stages reuse their memory (docs/performance.md, "What emission does not read").
    a.shed_structure_state();
    let core = lower::core::lower(&a, &bodies);
    drop(bodies);
    let written = emit_artifact(&a, core, format, options, &mut diags, sink);
    options.reclaim.release(a);
    written?;
    Ok(diags)
}

/// The most bytes a compile hands its sink before the artifact is refused (SF004) once
/// complete: for a manifest, what `scaiflow import` reads; for an IR bundle, what
/// `scaiflow verify` reads (a `.scai` text is never refused). A sink writing a file can
/// stop there.
pub fn max_artifact_bytes(format: OutputFormat, limits: limits::Limits) -> u64 {
    match format {
        OutputFormat::Yaml => limits.max_manifest(),
        OutputFormat::Ir => limits.max_input(),
        OutputFormat::Scai => u64::MAX,
    }
}

/// Emits the artifact of a lowered core into `sink` (for `ir`, verified first; the IR takes
/// the core's strings and maps rather than copying them): its size in bytes, or SF004 when
/// it is more than its readers read ([`max_artifact_bytes`]).
fn emit_artifact(
    a: &analyze::AnalyzedFlow,
    core: lower::core::Core,
    format: OutputFormat,
    options: CompileOptions,
    diags: &mut Vec<diagnostics::Diagnostic>,
    sink: &mut dyn emit::Sink,
) -> Result<u64, CompileError> {
    let written = match format {
        OutputFormat::Yaml => {
            let written = emit::yaml::emit_into(a, &core, sink);
            options.reclaim.release(core);
            written.map_err(|message| CompileError {
                message,
                errors: Vec::new(),
            })?
        }
        OutputFormat::Ir => {
            let ir = emit::ir::into_module(a, core);
            if options.verify {
                let errors = verify::verify(&ir);
                if !errors.is_empty() {
                    // Point each problem at the canvas node it comes from.
                    diags.extend(errors.into_iter().map(|mut d| {
                        if let Some(i) = d
                            .node_id
                            .as_ref()
                            .and_then(|id| a.nodes_by_id.get(id.as_str()))
                        {
                            d.path = Some(
                                diagnostics::JsonPath::root()
                                    .key("nodes")
                                    .index(*i)
                                    .key("id"),
                            );
                        }
                        d
                    }));
                    return Err(compile_error(std::mem::take(diags)));
                }
            }
            let max_values = options.limits.max_ir_values();
            if scir::value_count_upto(&ir, max_values) > max_values {
                return Err(too_large(
                    std::mem::take(diags),
                    format!(
                        "the IR bundle would hold more than {max_values} values (keys included), more than `scaiflow verify` reads; nothing is written"
                    ),
                ));
            }
            let written = scir::encode_into(&ir, sink);
            options.reclaim.release(ir);
            written
        }
        OutputFormat::Scai => {
            let written = emit::scai::emit_into(a, &core, sink);
            options.reclaim.release(core);
            written
        }
    };
    let max = max_artifact_bytes(format, options.limits);
    if written > max {
        // (A `.scai` text is never refused: its bound is `u64::MAX`.)
        let (what, reader) = match format {
            OutputFormat::Yaml => ("manifest", "scaiflow import"),
            OutputFormat::Ir | OutputFormat::Scai => ("IR bundle", "scaiflow verify"),
        };
        return Err(too_large(
            std::mem::take(diags),
            format!(
                "the {what} would be {written} bytes, more than the {max} `{reader}` reads; nothing is written",
            ),
        ));
    }
    Ok(written)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> load::SourceFile {
        load::SourceFile::new("t.flow.json", text)
    }

    #[test]
    fn release_frees_or_leaves() {
        let value = std::rc::Rc::new(());
        Reclaim::Free.release(value.clone());
        assert_eq!(std::rc::Rc::strong_count(&value), 1, "freed");
        Reclaim::LeaveToExit.release(value.clone());
        assert_eq!(std::rc::Rc::strong_count(&value), 2, "left to the exit");
    }

    #[test]
    fn leaving_memory_to_the_exit_changes_no_result() {
        let good = std::fs::read_to_string("examples/customer-support.flow.json").unwrap();
        // One flow that validates, one with a structure error (a cycle), one the schema refuses.
        let cyclic = r#"{"id":"c","name":"C","version":"1.0.0","nodes":[
            {"id":"e","type":"entry_api","label":"E","position":{"x":0,"y":0}},
            {"id":"a","type":"llm_rigid","label":"A","position":{"x":0,"y":1},"config":{"template":"x"}},
            {"id":"b","type":"llm_rigid","label":"B","position":{"x":0,"y":2},"config":{"template":"y"}}],
            "edges":[
            {"id":"1","type":"sequential","source":{"node":"e","port":"out_request"},"target":{"node":"a","port":"in"}},
            {"id":"2","type":"sequential","source":{"node":"a","port":"out"},"target":{"node":"b","port":"in"}},
            {"id":"3","type":"sequential","source":{"node":"b","port":"out"},"target":{"node":"a","port":"in"}}]}"#;
        for text in [good.as_str(), cyclic, r#"{"id": 1}"#] {
            let src = source(text);
            let freed = validate_source_with(&src, Reclaim::Free);
            let left = validate_source_with(&src, Reclaim::LeaveToExit);
            assert_eq!(freed.diagnostics, left.diagnostics);
            assert!(
                left.analyzed.is_none(),
                "nothing is handed back when left to the exit"
            );
            assert_eq!(freed.analyzed.is_some(), !freed.has_errors());
        }
        assert!(!validate_source(&source(&good)).has_errors());
        assert!(validate_source(&source(cyclic)).has_errors());
        for format in [OutputFormat::Yaml, OutputFormat::Ir, OutputFormat::Scai] {
            let options = |reclaim| CompileOptions {
                reclaim,
                ..CompileOptions::default()
            };
            let src = source(&good);
            assert_eq!(
                compile_flow_with(&src, format, options(Reclaim::Free)),
                compile_flow_with(&src, format, options(Reclaim::LeaveToExit))
            );
        }
    }
}
