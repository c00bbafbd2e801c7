//! `scaiflow import`: a YAML deploy manifest back to flow JSON.

use super::report::{Emitter, FileReport};
use super::{Ctx, ImportArgs, shown};
use crate::diagnostics::Code;
use crate::files::write_atomic;
use crate::load;

pub(super) fn run(args: &ImportArgs, ctx: &Ctx) -> u8 {
    let target = match super::single_output(ctx, &args.manifest, args.out.as_ref(), "manifest") {
        Ok(t) => t,
        Err(msg) => return super::fail(&msg),
    };
    // Without --out (or with `--out -`) the flow goes to stdout: diagnostics never do.
    let mut emitter = Emitter::new(ctx, target.is_none());
    let read = load::read_bytes_limited(&args.manifest, ctx.limits.max_manifest())
        .and_then(|(name, bytes)| load::decode(&name, bytes))
        .map_err(|mut f| {
            f.diagnostic.message = f
                .diagnostic
                .message
                .replace("JSON text must be UTF-8", "a manifest must be UTF-8");
            f
        });
    let source = match read {
        Ok(source) => source,
        Err(f) => {
            let code = if f.diagnostic.code == Code::Io { 2 } else { 1 };
            emitter.emit(FileReport::new(f.source, vec![f.diagnostic]));
            return code.max(emitter.finish("import", false));
        }
    };
    let outcome =
        crate::import::import_manifest_with(&source, ctx.limits, crate::Reclaim::LeaveToExit);
    let report = FileReport::new(source, outcome.diagnostics);
    let exit = match &outcome.flow {
        Some(flow) => {
            let written = match target {
                Some(t) => write_atomic(t, flow.as_bytes())
                    .map_err(|e| format!("cannot write '{}': {e}", shown(t))),
                None => super::to_stdout(flow.as_bytes()),
            };
            match written {
                Ok(()) => 0,
                Err(msg) => super::fail(&msg),
            }
        }
        None => 1,
    };
    emitter.emit(report);
    exit.max(emitter.finish("import", false))
}
