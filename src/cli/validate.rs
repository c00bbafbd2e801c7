//! `scaiflow validate`: schema, analyze stage and the structural check of lowering.

use serde_json::json;

use super::report::{Emitter, FileReport};
use super::{Ctx, ValidateArgs, inputs};
use crate::analyze::Outcome;
use crate::diagnostics::Severity;
use crate::diagnostics::render::{self, MessageFormat};
use crate::load;

pub(super) fn run(args: &ValidateArgs, ctx: &Ctx) -> u8 {
    let flows = match inputs::expand(&args.flows, ctx.quiet) {
        Ok(f) => f,
        Err(msg) => return super::fail(&msg),
    };
    if let Err(msg) = super::guard_output_file(ctx, flows.iter().map(|f| f.as_path())) {
        return super::fail(&msg);
    }
    // `--json` is a message format of its own (upstream's): one object per file, where
    // machine-readable diagnostics go.
    let json_ctx;
    let ctx = if args.json {
        json_ctx = Ctx {
            format: MessageFormat::Json,
            color: false,
            quiet: true,
            output_file: ctx.output_file.clone(),
            limits: ctx.limits,
        };
        &json_ctx
    } else {
        ctx
    };
    let mut exit = 0;
    let mut emitter = Emitter::new(ctx, false);
    let limits = ctx.limits;
    let reclaim = inputs::reclaim_for(flows.len());
    inputs::in_order(
        &flows,
        |path| check_file(path, limits, reclaim),
        |report| {
            exit = exit.max(report.exit_code());
            if args.json {
                emitter.clean_file();
                emitter.write_raw(&(json_report(&report) + "\n"));
            } else {
                emitter.emit(report);
            }
        },
    );
    exit.max(emitter.finish("validate", true))
}

fn check_file(
    path: &std::path::Path,
    limits: crate::limits::Limits,
    reclaim: crate::Reclaim,
) -> FileReport {
    match load::read_source_with(path, limits) {
        Ok(source) => {
            let Outcome { diagnostics, .. } = crate::validate_source_with(&source, reclaim);
            FileReport::new(source, diagnostics)
        }
        Err(f) => FileReport::new(f.source, vec![f.diagnostic]),
    }
}

/// `{"ok": bool, "file": …, "errors": [message…], "diagnostics": [record…]}` (spec §1;
/// escaped as the records are: docs/diagnostics.md, "Terminal safety").
fn json_report(report: &FileReport) -> String {
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
    json!({
        "ok": errors.is_empty(),
        "file": render::json_text(&report.source.name),
        "errors": errors,
        "diagnostics": diagnostics,
    })
    .to_string()
}
