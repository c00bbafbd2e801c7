//! An output file written while its artifact is produced: the chunks the emitter hands over
//! ([`crate::emit::Sink`]) go to a thread that writes them into the temporary file and
//! starts their writeback, so that copying the text into the page cache and most of the
//! disk write overlap the rest of the emission instead of following it. The file is then
//! made the target exactly as [`super::write_atomic`] does (flushed, renamed over the
//! target, the rename flushed); until [`StreamedFile::commit`] succeeds nothing is visible
//! at the target, and a dropped or failed file leaves no temporary file behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::{Destination, Replacement, write_atomic};
use crate::emit::Sink;

/// The chunk size asked of the emitter. Big enough that a chunk's write and writeback
/// request cost little beside it, small enough that the buffers in flight (at most
/// [`IN_FLIGHT`] queued, one being written, one being filled, [`IN_FLIGHT`] handed back:
/// six, each reserving 512 KiB and filled to about 256 KiB) touch about 1.5 MiB where the
/// whole manifest would hold all of it (9.5 MB at 10,000 nodes).
pub(crate) const CHUNK: usize = 256 * 1024;

/// Chunks queued for the writing thread before the emitter waits for it.
const IN_FLIGHT: usize = 2;

/// An output file that takes its artifact in chunks.
///
/// An artifact smaller than one chunk, a special file (FIFO, device), or a target whose
/// temporary file cannot be made is kept in memory and written by [`write_atomic`] at
/// [`commit`](StreamedFile::commit), which then reports any error exactly as a whole
/// write would.
///
/// [`finish`](StreamedFile::finish) waits for the writing thread, so that a compiled file
/// can wait for its commit holding an open file but no thread. (The CLI streams only a
/// single flow's output: a batch of finished temporary files waiting for their turn would
/// hold that much more disk space and as many descriptors as the old targets beside them.)
pub struct StreamedFile {
    target: PathBuf,
    /// Past this many bytes the artifact is refused by its compile (SF004): nothing more is
    /// written, and a commit fails.
    limit: u64,
    taken: u64,
    state: State,
}

enum State {
    /// Nothing taken yet.
    Empty,
    /// Taken in memory; written whole at commit.
    Memory(Vec<u8>),
    /// Chunks go to the writing thread.
    Writing(Writing),
    /// Every chunk written (or the thread's error); the file not yet made the target.
    Written(Written),
    /// Commit fails with this: the writing thread is gone (it panicked), or the artifact
    /// grew past the limit. What is taken is dropped.
    Failed(std::io::Error),
}

/// A temporary file being written by a thread.
struct Writing {
    replacement: Replacement,
    tmp: PathBuf,
    chunks: Sender<Vec<u8>>,
    /// Written chunks' buffers, emptied, for the emitter to fill again.
    empties: Receiver<Vec<u8>>,
    thread: JoinHandle<(std::fs::File, std::io::Result<()>)>,
}

/// A temporary file whose writing is over.
struct Written {
    replacement: Replacement,
    tmp: PathBuf,
    /// The file, or why writing it failed.
    file: std::io::Result<std::fs::File>,
}

impl StreamedFile {
    /// A file to write at `target`, of at most `limit` bytes; nothing is created before
    /// the first chunk.
    pub fn new(target: &Path, limit: u64) -> StreamedFile {
        StreamedFile {
            target: target.to_path_buf(),
            limit,
            taken: 0,
            state: State::Empty,
        }
    }

    /// Where the file goes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Waits until everything taken is written into the temporary file (not yet visible
    /// at the target).
    pub fn finish(&mut self) {
        self.state = match std::mem::replace(&mut self.state, State::Empty) {
            State::Writing(w) => State::Written(w.finish()),
            other => other,
        };
    }

    /// Makes what was taken the target's content (see [`write_atomic`]).
    pub fn commit(mut self) -> std::io::Result<()> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Empty => write_atomic(&self.target, &[]),
            State::Memory(bytes) => write_atomic(&self.target, &bytes),
            State::Writing(w) => w.finish().commit(),
            State::Written(w) => w.commit(),
            State::Failed(e) => Err(e),
        }
    }

    /// Starts writing at `target` with `first` as the first chunk, or gives `first` back
    /// when the target is special or its temporary file cannot be made.
    fn start(&self, first: Vec<u8>) -> Result<Writing, Vec<u8>> {
        let replacement = match Destination::of(&self.target) {
            Ok(Destination::Replace(r)) => r,
            _ => return Err(first),
        };
        let Ok((tmp, file)) = replacement.create_temp() else {
            return Err(first);
        };
        let (chunks, queued) = crossbeam_channel::bounded::<Vec<u8>>(IN_FLIGHT);
        let (emptied, empties) = crossbeam_channel::bounded::<Vec<u8>>(IN_FLIGHT);
        let spawned = std::thread::Builder::new()
            .name("scaiflow-write".into())
            .spawn(move || write_chunks(file, &queued, &emptied));
        let thread = match spawned {
            Ok(t) => t,
            Err(_) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(first);
            }
        };
        let writing = Writing {
            replacement,
            tmp,
            chunks,
            empties,
            thread,
        };
        match writing.chunks.send(first) {
            Ok(()) => Ok(writing),
            Err(e) => {
                writing.finish().abandon();
                Err(e.0)
            }
        }
    }
}

impl Sink for StreamedFile {
    fn chunk_size(&self) -> usize {
        CHUNK
    }

    fn take(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.taken = self.taken.saturating_add(bytes.len() as u64);
        if self.taken > self.limit && !matches!(self.state, State::Failed(_)) {
            // Refused once complete: stop writing it (a hostile flow's manifest can be
            // hundreds of megabytes).
            self.abandon();
            self.state = State::Failed(std::io::Error::other(format!(
                "the artifact is more than {} bytes",
                self.limit
            )));
        }
        let (state, back) = match std::mem::replace(&mut self.state, State::Empty) {
            State::Empty if bytes.len() < CHUNK => (State::Memory(bytes), Vec::new()),
            State::Empty => match self.start(bytes) {
                Ok(w) => (State::Writing(w), Vec::new()),
                Err(bytes) => (State::Memory(bytes), Vec::new()),
            },
            State::Memory(mut kept) => {
                let back = kept.take(bytes);
                (State::Memory(kept), back)
            }
            State::Writing(w) => match w.chunks.send(bytes) {
                Ok(()) => {
                    let back = w.empties.try_recv().unwrap_or_default();
                    (State::Writing(w), back)
                }
                Err(e) => {
                    w.finish().abandon();
                    (State::Failed(thread_stopped()), emptied(e.0))
                }
            },
            // `finish` is called once all is taken: more is a caller's error, refused
            // rather than committed as a truncated file.
            State::Written(w) => {
                w.abandon();
                (
                    State::Failed(std::io::Error::other("bytes taken after finish")),
                    emptied(bytes),
                )
            }
            State::Failed(e) => (State::Failed(e), emptied(bytes)),
        };
        self.state = state;
        back
    }

    fn restart(&mut self) {
        self.taken = 0;
        self.abandon();
    }
}

impl StreamedFile {
    /// Stops writing and removes the temporary file, if any.
    fn abandon(&mut self) {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Writing(w) => w.finish().abandon(),
            State::Written(w) => w.abandon(),
            _ => {}
        }
    }
}

impl Drop for StreamedFile {
    fn drop(&mut self) {
        self.abandon();
    }
}

impl Writing {
    /// Waits for the thread to write every chunk.
    fn finish(self) -> Written {
        let Writing {
            replacement,
            tmp,
            chunks,
            empties,
            thread,
        } = self;
        drop(chunks);
        drop(empties);
        let file = match thread.join() {
            Ok((file, Ok(()))) => Ok(file),
            Ok((_, Err(e))) => Err(e),
            Err(_) => Err(thread_stopped()),
        };
        Written {
            replacement,
            tmp,
            file,
        }
    }
}

impl Written {
    /// Makes the file the target, or removes it and reports why it could not be written.
    fn commit(self) -> std::io::Result<()> {
        match self.file {
            Ok(file) => self.replacement.finish(&self.tmp, file),
            Err(e) => {
                let _ = std::fs::remove_file(&self.tmp);
                Err(e)
            }
        }
    }

    fn abandon(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn thread_stopped() -> std::io::Error {
    std::io::Error::other("the thread writing the output stopped")
}

fn emptied(mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    buffer
}

/// The writing thread: writes each chunk at the end of `file`, asks the kernel to start
/// writing it to disk, and hands the emptied buffer back. After an error it only drains
/// the queue; the error is reported at commit.
fn write_chunks(
    mut file: std::fs::File,
    queued: &Receiver<Vec<u8>>,
    emptied: &Sender<Vec<u8>>,
) -> (std::fs::File, std::io::Result<()>) {
    let mut result = Ok(());
    let mut offset = 0u64;
    for mut chunk in queued {
        if result.is_ok() {
            result = file.write_all(&chunk);
            start_writeback(&file, offset, chunk.len());
            offset += chunk.len() as u64;
        }
        chunk.clear();
        // The emitter takes a buffer back when one is there; a full queue drops it.
        let _ = emptied.try_send(chunk);
    }
    (file, result)
}

/// Starts writing `len` bytes at `offset` of `file` to disk without waiting
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`): the `fsync` at commit then waits for less.
/// Only a hint: `fsync` reports any error.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn start_writeback(file: &std::fs::File, offset: u64, len: usize) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: `sync_file_range` only reads its integer arguments; the descriptor is open
    // for the duration of the call (borrowed from `file`).
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Elsewhere the `fsync` at commit writes everything.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` bytes of a repeating pattern that starts at `seed`.
    fn bytes(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| seed.wrapping_add(i as u8)).collect()
    }

    fn temps(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn chunks_are_written_by_a_thread_and_appear_only_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        std::fs::write(&target, b"old").unwrap();
        let mut file = StreamedFile::new(&target, u64::MAX);
        let parts = [bytes(CHUNK, 1), bytes(CHUNK + 7, 2), bytes(100, 3)];
        for part in &parts {
            let back = file.take(part.clone());
            assert!(back.is_empty(), "a buffer comes back empty");
        }
        assert!(matches!(file.state, State::Writing(_)));
        assert_eq!(
            temps(dir.path()).len(),
            1,
            "written into one temporary file"
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"old", "not visible yet");
        // Finished: the thread is gone, the file written but still not visible.
        file.finish();
        assert!(matches!(file.state, State::Written(_)));
        assert_eq!(temps(dir.path()).len(), 1);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), parts.concat());
        assert!(temps(dir.path()).is_empty());
        // More after `finish` is refused, not committed as a truncated file.
        let mut late = StreamedFile::new(&target, u64::MAX);
        late.take(bytes(CHUNK, 7));
        late.finish();
        late.take(bytes(10, 8));
        assert!(temps(dir.path()).is_empty());
        assert!(late.commit().is_err());
        assert_eq!(std::fs::read(&target).unwrap(), parts.concat());
    }

    #[test]
    fn past_its_limit_nothing_more_is_written_and_the_commit_fails() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        std::fs::write(&target, b"keep").unwrap();
        let mut file = StreamedFile::new(&target, 2 * CHUNK as u64);
        file.take(bytes(CHUNK, 1));
        file.take(bytes(CHUNK, 2));
        assert!(matches!(file.state, State::Writing(_)), "at the limit");
        assert_eq!(temps(dir.path()).len(), 1);
        file.take(bytes(1, 3));
        assert!(matches!(file.state, State::Failed(_)), "past it");
        assert!(temps(dir.path()).is_empty(), "its file is removed at once");
        let back = file.take(bytes(CHUNK, 4));
        assert!(back.is_empty(), "a buffer comes back empty");
        assert!(temps(dir.path()).is_empty(), "and nothing more is written");
        let e = file.commit().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("the artifact is more than {} bytes", 2 * CHUNK)
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn a_dropped_file_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        std::fs::write(&target, b"keep").unwrap();
        let mut file = StreamedFile::new(&target, u64::MAX);
        file.take(bytes(CHUNK * 3, 9));
        assert_eq!(temps(dir.path()).len(), 1);
        drop(file);
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(temps(dir.path()).is_empty());
        // Finished writing, but never committed.
        let mut file = StreamedFile::new(&target, u64::MAX);
        file.take(bytes(CHUNK, 9));
        file.finish();
        assert_eq!(temps(dir.path()).len(), 1);
        drop(file);
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(temps(dir.path()).is_empty());
    }

    #[test]
    fn a_restart_forgets_what_was_taken() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        let mut file = StreamedFile::new(&target, u64::MAX);
        file.take(bytes(CHUNK, 1));
        file.take(bytes(CHUNK, 2));
        file.restart();
        assert!(
            temps(dir.path()).is_empty(),
            "the first attempt's file is gone"
        );
        let again = [bytes(CHUNK + 1, 5), bytes(10, 6)];
        for part in &again {
            file.take(part.clone());
        }
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), again.concat());
        // In memory too.
        let mut small = StreamedFile::new(&target, u64::MAX);
        small.take(b"first".to_vec());
        small.restart();
        small.take(b"second".to_vec());
        small.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");
    }

    #[test]
    fn a_small_artifact_is_written_whole_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        let mut file = StreamedFile::new(&target, u64::MAX);
        file.take(b"core:\n".to_vec());
        assert!(matches!(file.state, State::Memory(_)));
        assert!(temps(dir.path()).is_empty(), "no file before commit");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"core:\n");
        // Nothing taken: an empty file.
        StreamedFile::new(&target, u64::MAX).commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"");
    }

    #[cfg(unix)]
    #[test]
    fn a_special_file_is_written_into_and_links_and_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let mut null = StreamedFile::new(Path::new("/dev/null"), u64::MAX);
        null.take(bytes(CHUNK * 2, 1));
        assert!(matches!(null.state, State::Memory(_)), "never renamed over");
        null.commit().unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());

        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink("real.yaml", &link).unwrap();
        let mut file = StreamedFile::new(&link, u64::MAX);
        let parts = [bytes(CHUNK, 4), bytes(5, 5)];
        for part in &parts {
            file.take(part.clone());
        }
        assert!(matches!(file.state, State::Writing(_)));
        file.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), parts.concat());
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn a_target_that_cannot_be_written_fails_at_commit_as_a_whole_write_does() {
        let dir = tempfile::tempdir().unwrap();
        for target in [
            dir.path().join("missing/out.yaml"),
            dir.path().to_path_buf(),
        ] {
            let whole = write_atomic(&target, b"x").unwrap_err();
            let mut file = StreamedFile::new(&target, u64::MAX);
            file.take(bytes(CHUNK * 2, 1));
            assert!(matches!(file.state, State::Memory(_)));
            let streamed = file.commit().unwrap_err();
            assert_eq!(streamed.kind(), whole.kind(), "{}", target.display());
            assert_eq!(streamed.to_string(), whole.to_string());
        }
        assert!(temps(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_write_is_reported_at_commit_and_its_file_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.yaml");
        std::fs::write(&target, b"keep").unwrap();
        let replacement = Replacement::of(&target).unwrap();
        let (tmp, _) = replacement.create_temp().unwrap();
        // A descriptor open for reading only: every write fails.
        let read_only = std::fs::File::open(&tmp).unwrap();
        let (chunks, queued) = crossbeam_channel::bounded::<Vec<u8>>(IN_FLIGHT);
        let (emptied, empties) = crossbeam_channel::bounded::<Vec<u8>>(IN_FLIGHT);
        let thread = std::thread::spawn(move || write_chunks(read_only, &queued, &emptied));
        let mut file = StreamedFile::new(&target, u64::MAX);
        file.state = State::Writing(Writing {
            replacement,
            tmp: tmp.clone(),
            chunks,
            empties,
            thread,
        });
        // The queue keeps draining after the error: none of these blocks.
        for i in 0..(IN_FLIGHT * 4) {
            file.take(bytes(CHUNK, i as u8));
        }
        let e = file.commit().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(9), "EBADF: {e}");
        assert!(!tmp.exists(), "the temporary file is removed");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    /// A compile whose manifest is more than a chunk writes its file while the manifest is
    /// being produced (not all at commit), and the file is the in-memory compile's bytes.
    #[test]
    fn a_big_compile_streams() {
        let zeros = vec!["0"; 30_000].join(",");
        let text = format!(
            r#"{{"id":"f","name":"F","version":"1.0.0","config":{{"core_identity":{{"name":"F","models":[{{"role":"primary","ref":"scaigrid","model":"openai/gpt-4o"}}]}}}},
"nodes":[{{"id":"in","type":"entry_api","label":"In","position":{{"x":0,"y":0}}}},
{{"id":"g","type":"llm_guarded","label":"G","position":{{"x":0,"y":0}},"config":{{"goal":"g","constraints":[{zeros}]}}}}],
"edges":[{{"id":"e1","type":"sequential","source":{{"node":"in","port":"out_request"}},"target":{{"node":"g","port":"in"}}}}]}}"#
        );
        let source = crate::load::SourceFile::new("big.flow.json", text);
        let format = crate::OutputFormat::Yaml;
        let whole = crate::compile_flow(&source, format).unwrap();
        assert!(whole.bytes.len() > 2 * CHUNK);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.yaml");
        let mut file = StreamedFile::new(&target, u64::MAX);
        crate::compile_flow_into(&source, format, Default::default(), &mut file).unwrap();
        assert!(matches!(file.state, State::Writing(_)), "streamed");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), whole.bytes);
    }
}
