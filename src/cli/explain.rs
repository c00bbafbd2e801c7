//! `scaiflow explain`: the long explanation of a diagnostic code.

use std::fmt::Write;

use super::ExplainArgs;
use crate::diagnostics::{Code, codes};

pub(super) fn run(args: &ExplainArgs) -> u8 {
    let mut out = String::new();
    match &args.code {
        None => {
            for info in codes::ALL {
                let _ = writeln!(
                    out,
                    "{}  {:<7}  {}",
                    info.code,
                    info.severity.as_str(),
                    info.title
                );
            }
        }
        Some(code) => match Code::parse(code) {
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
            }
            None => {
                let all: Vec<&str> = codes::ALL.iter().map(|i| i.code.as_str()).collect();
                let upper = code.to_ascii_uppercase();
                let hint = crate::diagnostics::suggestion(&upper, all.iter().copied())
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                return super::fail(&format!(
                    "unknown diagnostic code '{}'{hint}; `scaiflow explain` lists them all",
                    crate::diagnostics::render::printable(code)
                ));
            }
        },
    }
    match super::to_stdout(out.as_bytes()) {
        Ok(()) => 0,
        Err(msg) => super::fail(&msg),
    }
}
