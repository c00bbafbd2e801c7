//! `scaiflow verify` and `scaiflow inspect`: SCIR bundles and JSON dumps of the IR dict.

use super::report::{Emitter, FileReport};
use super::{Ctx, InspectArgs, VerifyArgs};
use crate::load;

/// Reads a bundle (or JSON dump) and decodes it; on failure, the report to show.
fn read_ir(path: &std::path::Path, ctx: &Ctx) -> Result<crate::verify::LoadedIr, FileReport> {
    let (name, bytes) = load::read_bytes_limited(path, ctx.limits.max_input())
        .map_err(|f| FileReport::new(f.source, vec![f.diagnostic]))?;
    crate::verify::load_ir_with(&name, bytes, ctx.limits)
        .map_err(|(source, d)| FileReport::new(source, vec![d]))
}

pub(super) fn verify(args: &VerifyArgs, ctx: &Ctx) -> u8 {
    if args
        .bundles
        .iter()
        .filter(|p| super::inputs::is_stdin(p))
        .count()
        > 1
    {
        return super::fail("`-` (standard input) can be given only once");
    }
    if let Err(msg) = super::guard_output_file(ctx, args.bundles.iter().map(|b| b.as_path())) {
        return super::fail(&msg);
    }
    let mut exit = 0;
    let mut emitter = Emitter::new(ctx, false);
    for path in &args.bundles {
        let report = match read_ir(path, ctx) {
            Ok(loaded) => {
                let diagnostics = crate::verify::verify(&loaded.ir);
                FileReport::new(loaded.source, diagnostics)
            }
            Err(report) => report,
        };
        exit = exit.max(report.exit_code());
        emitter.emit(report);
    }
    exit.max(emitter.finish("verify", true))
}

pub(super) fn inspect(args: &InspectArgs, ctx: &Ctx) -> u8 {
    if let Err(msg) = super::guard_output_file(ctx, [args.bundle.as_path()]) {
        return super::fail(&msg);
    }
    // The dict goes to stdout: diagnostics never do.
    let mut emitter = Emitter::new(ctx, true);
    let exit = match read_ir(&args.bundle, ctx) {
        Ok(loaded) => {
            let text = serde_json::to_string_pretty(&loaded.ir).unwrap_or_default() + "\n";
            match super::to_stdout(text.as_bytes()) {
                Ok(()) => 0,
                Err(msg) => super::fail(&msg),
            }
        }
        Err(report) => {
            let exit = report.exit_code();
            emitter.emit(report);
            exit
        }
    };
    exit.max(emitter.finish("inspect", false))
}
