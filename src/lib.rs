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
