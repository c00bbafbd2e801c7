//! The files a command line names: `-`, directories, and (for hooks) artifacts standing for
//! their flows. See docs/ci.md, "Which files a command reads".

use std::path::{Path, PathBuf};

/// The suffix a directory argument looks for.
pub(super) const FLOW_SUFFIX: &str = ".flow.json";

/// The arguments with every directory replaced by the `*.flow.json` files under it
/// (recursively, in sorted order; hidden entries — names starting with `.` — and links to
/// directories are skipped). Files and `-` are kept as given, in order. Warns on stderr for a
/// directory without flows (unless `quiet`). Errors: `-` twice, an unreadable directory.
pub(super) fn expand(args: &[PathBuf], quiet: bool) -> Result<Vec<PathBuf>, String> {
    if args.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err("`-` (standard input) can be given only once".to_string());
    }
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        if !is_stdin(arg) && std::fs::metadata(arg).is_ok_and(|m| m.is_dir()) {
            let mut found = Vec::new();
            walk(arg, &mut found)?;
            if found.is_empty() && !quiet {
                super::note(&format!(
                    "warning: no `*{FLOW_SUFFIX}` files under '{}'",
                    super::shown(arg)
                ));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

/// `-` names standard input.
pub(super) fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the directory '{}': {e}", super::shown(dir)))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("cannot read the directory '{}': {e}", super::shown(dir)))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `file_type` does not follow links: a link to a directory is not walked (no loops),
        // a link to a file is read like the file.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, found)?;
        } else if name.ends_with(FLOW_SUFFIX) && !std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
        {
            found.push(path);
        }
    }
    Ok(())
}

/// `compile --from-artifacts`: each argument naming an artifact of `ext` (`x.yaml`) stands
/// for the flow beside it that compiles to it (`x.flow.json`); an artifact with no flow
/// beside it is not one of ours (`.pre-commit-config.yaml`, or beside a plain `x.json`,
/// which may be anything) and is dropped.
/// Every other argument is kept. (A flow named twice, itself and through its artifact, is
/// compiled once: `compile` keeps one flow per output.)
pub(super) fn flows_of_artifacts(args: Vec<PathBuf>, ext: &str) -> Vec<PathBuf> {
    let suffix = format!(".{ext}");
    let mut out: Vec<PathBuf> = Vec::with_capacity(args.len());
    for arg in args {
        let name = arg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let flow = match name.strip_suffix(&suffix) {
            // (`-` has no such suffix; a file named `.yaml` is what `.flow.json` compiles to.)
            Some(stem) => {
                let flow = arg.with_file_name(format!("{stem}{FLOW_SUFFIX}"));
                if !flow.is_file() {
                    continue;
                }
                flow
            }
            _ => arg,
        };
        out.push(flow);
    }
    out
}

/// How a run of `n` inputs treats each input's intermediate trees: a single input is the
/// last thing the process does, so its trees are left to the exit (docs/performance.md);
/// with more, each file's memory is freed for the next.
pub(super) fn reclaim_for(n: usize) -> crate::Reclaim {
    if n == 1 {
        crate::Reclaim::LeaveToExit
    } else {
        crate::Reclaim::Free
    }
}

/// Runs `work` on every item, on every core (rayon; `RAYON_NUM_THREADS` caps it), and hands
/// the results to `each` in the items' order, so output and exit codes do not depend on
/// scheduling. Items go in batches of a few per core: at most a batch of results (source
/// texts, reports) is held at once. One item runs on this thread.
pub(super) fn in_order<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut each: impl FnMut(R),
) {
    use rayon::prelude::*;
    if items.len() <= 1 {
        items.iter().map(&work).for_each(each);
        return;
    }
    let batch = rayon::current_num_threads().max(1) * 4;
    for chunk in items.chunks(batch) {
        let results: Vec<R> = chunk.par_iter().map(&work).collect();
        results.into_iter().for_each(&mut each);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_input_is_left_to_the_exit() {
        assert_eq!(reclaim_for(1), crate::Reclaim::LeaveToExit);
        assert_eq!(reclaim_for(0), crate::Reclaim::Free);
        assert_eq!(reclaim_for(2), crate::Reclaim::Free);
    }
}
