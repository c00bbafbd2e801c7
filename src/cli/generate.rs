//! `scaiflow completions` and `scaiflow man`: generated from the clap model, so they never
//! drift from the real arguments (typst-cli's approach), and only on request: the normal
//! build does not run them.

use std::path::Path;

use clap::CommandFactory;

use super::{Cli, CompletionsArgs, ManArgs, shown};

pub(super) fn completions(args: &CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "scaiflow", &mut out);
    match super::to_stdout(&out) {
        Ok(()) => 0,
        Err(msg) => super::fail(&msg),
    }
}

/// Every page: `scaiflow.1`, then `scaiflow-COMMAND.1` per command, as (file name, roff).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command();
    // Global options and the version reach the subcommands only once the model is built.
    cmd.build();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    pages.push(("scaiflow.1".to_string(), page));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("scaiflow-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(name.replace("-", " "));
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

pub(super) fn man(args: &ManArgs) -> u8 {
    let pages = match man_pages() {
        Ok(p) => p,
        Err(e) => return super::fail(&format!("cannot render the man pages: {e}")),
    };
    match &args.dir {
        None => match super::to_stdout(&pages[0].1) {
            Ok(()) => 0,
            Err(msg) => super::fail(&msg),
        },
        Some(dir) => write_pages(dir, &pages),
    }
}

fn write_pages(dir: &Path, pages: &[(String, Vec<u8>)]) -> u8 {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return super::fail(&format!("cannot create '{}': {e}", shown(dir)));
    }
    for (name, page) in pages {
        let path = dir.join(name);
        if let Err(e) = crate::files::write_atomic(&path, page) {
            return super::fail(&format!("cannot write '{}': {e}", shown(&path)));
        }
    }
    0
}
