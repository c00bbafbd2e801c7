//! `scaiflow graph`: a flow as a diagram (docs/graph.md).

use super::report::{Emitter, FileReport};
use super::{Ctx, GraphArgs, shown};
use crate::load;

pub(super) fn run(args: &GraphArgs, ctx: &Ctx) -> u8 {
    let target = match super::single_output(ctx, &args.flow, args.out.as_ref(), "flow") {
        Ok(t) => t,
        Err(msg) => return super::fail(&msg),
    };
    // Without --out the picture goes to stdout: diagnostics never do.
    let mut emitter = Emitter::new(ctx, target.is_none());
    let source = match load::read_source_with(&args.flow, ctx.limits) {
        Ok(source) => source,
        Err(f) => {
            let report = FileReport::new(f.source, vec![f.diagnostic]);
            let exit = report.exit_code();
            emitter.emit(report);
            return exit.max(emitter.finish("graph", false));
        }
    };
    let outcome = crate::graph::graph(&source, args.format);
    let report = FileReport::new(source, outcome.diagnostics);
    // A broken flow is still drawn (that is when a picture helps most); the exit code
    // still says it is broken.
    let mut exit = report.exit_code();
    match &outcome.text {
        Some(text) => {
            let written = match target {
                Some(t) => crate::files::write_atomic(t, text.as_bytes())
                    .map_err(|e| format!("cannot write '{}': {e}", shown(t))),
                None => super::to_stdout(text.as_bytes()),
            };
            if let Err(msg) = written {
                exit = exit.max(super::fail(&msg));
            }
        }
        None => exit = exit.max(1),
    }
    emitter.emit(report);
    exit.max(emitter.finish("graph", false))
}
