//! Files scaiflow writes (the CLI, and the language server's compile command): atomic
//! replacement, written whole or as the artifact is produced, leftovers of killed runs,
//! output paths.

mod streamed;

pub use streamed::StreamedFile;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The same file, as far as can be told before writing: canonical when it exists, else
/// [`name_key`].
pub(crate) fn file_key(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| name_key(p))
}

/// The same name: the path's last component in its directory's canonical path (so
/// `sub/../x.yaml` is `x.yaml`, and a link is itself, not what it points to), else the
/// path made absolute.
pub(crate) fn name_key(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(abs),
        _ => abs,
    }
}

/// The default output path: the input with its whole `.flow.json` (or `.json`) suffix
/// replaced by the format's extension (`my-flow.flow.json` → `my-flow.yaml`).
pub fn default_output(input: &Path, ext: &str) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".flow.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    input.with_file_name(format!("{stem}.{ext}"))
}

/// The first `limit` bytes of a file: enough to compare it with an artifact (a longer file
/// differs anyway), and never unbounded — the output path may be a device or a huge file.
pub(crate) fn read_at_most(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a new temporary file in the same directory (created
/// exclusively, under an unpredictable name), flushed to disk, then renamed over the target,
/// so on any error the previous file is untouched and no partial file appears. When `path`
/// is a symlink, the file it points to is replaced and the link kept; an existing file's
/// permissions are kept. A special file (FIFO, device) is written into instead.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let replacement = match Destination::of(path)? {
        Destination::Special => {
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            return f.write_all(bytes).and_then(|()| f.flush());
        }
        Destination::Replace(r) => r,
    };
    let (tmp, mut f) = replacement.create_temp()?;
    match f.write_all(bytes) {
        Ok(()) => replacement.finish(&tmp, f),
        Err(e) => {
            drop(f);
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// How an output path is written.
enum Destination {
    /// A FIFO, a terminal or a device (`/dev/stdout`, `/dev/null`): written into, as `cp`
    /// would; renaming a file over it would replace the special file itself.
    Special,
    /// A regular file, or none yet: replaced through a temporary file.
    Replace(Replacement),
}

impl Destination {
    fn of(path: &Path) -> std::io::Result<Destination> {
        if let Ok(m) = std::fs::metadata(path)
            && !m.is_file()
            && !m.is_dir()
        {
            return Ok(Destination::Special);
        }
        Replacement::of(path).map(Destination::Replace)
    }
}

/// A file to replace: the file the path's links end at, its directory, and the permissions
/// to keep.
struct Replacement {
    path: PathBuf,
    dir: PathBuf,
    name: String,
    keep: Option<std::fs::Permissions>,
}

impl Replacement {
    fn of(path: &Path) -> std::io::Result<Replacement> {
        let path = resolve_links(path)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let keep = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "it is a directory",
                ));
            }
            Ok(m) => Some(m.permissions()),
            Err(_) => None,
        };
        Ok(Replacement {
            path,
            dir,
            name,
            keep,
        })
    }

    fn create_temp(&self) -> std::io::Result<(PathBuf, std::fs::File)> {
        create_temp(&self.dir, &self.name)
    }

    /// Makes the written temporary file `tmp` the target: its permissions, flushed to disk,
    /// renamed over the target, the rename flushed. On an error the temporary file is
    /// removed and the target untouched.
    fn finish(&self, tmp: &Path, f: std::fs::File) -> std::io::Result<()> {
        let result = (|| {
            if let Some(p) = &self.keep {
                f.set_permissions(p.clone())?;
            }
            f.sync_all()?;
            drop(f);
            std::fs::rename(tmp, &self.path)?;
            // Make the rename itself durable (directories cannot be opened for sync
            // everywhere).
            if let Ok(d) = std::fs::File::open(&self.dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(tmp);
        } else {
            remove_stale_temps(&self.dir, &self.name);
        }
        result
    }
}

/// A temporary file older than this is left over from a run that was killed while writing
/// (a live write holds its file for seconds at most).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Removes the temporary files of `name` that killed runs left in `dir`: regular files
/// named `.<name>.<16 hex digits>.tmp` (what [`create_temp`] makes) older than
/// [`STALE_TEMP_AGE`]. Links and anything else are never touched. Each directory is listed
/// once per run (a run writing N outputs into one directory does not list it N times).
fn remove_stale_temps(dir: &Path, name: &str) {
    use std::sync::Mutex;
    type Dirs = std::collections::HashMap<PathBuf, StaleTemps>;
    static LISTED: Mutex<Option<Dirs>> = Mutex::new(None);
    let Ok(mut listed) = LISTED.lock() else {
        return;
    };
    let stale = listed
        .get_or_insert_with(Dirs::new)
        .entry(dir.to_path_buf())
        .or_insert_with(|| stale_temps(dir));
    for path in stale.remove(name).unwrap_or_default() {
        let _ = std::fs::remove_file(path);
    }
}

/// Stale temporary files, by the name of the output they were for.
type StaleTemps = std::collections::HashMap<String, Vec<PathBuf>>;

/// The stale temporary files of `dir`.
fn stale_temps(dir: &Path) -> StaleTemps {
    let mut out = StaleTemps::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        // `.<name>.<16 hex>.tmp`
        let Some((name, hex)) = file
            .to_str()
            .and_then(|f| f.strip_prefix('.'))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|f| f.rsplit_once('.'))
        else {
            continue;
        };
        if name.is_empty() || hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let old = std::fs::symlink_metadata(entry.path()).is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP_AGE)
        });
        if old {
            out.entry(name.to_string()).or_default().push(entry.path());
        }
    }
    out
}

/// The file a chain of symlinks ends at (the path itself when it is not a link, or does not
/// exist yet). Gives up after 40 links, like the kernel.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// A new file `.<name>.<random>.tmp` in `dir`, created exclusively (never an existing file
/// or a link someone planted).
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::hash::{BuildHasher, Hasher};
    let mut last = None;
    for attempt in 0u32..16 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u32(attempt);
        let tmp = dir.join(format!(".{name}.{:016x}.tmp", h.finish()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("cannot create a temporary file")))
}
