//! Emitters: the lowered core model → an artifact. They read the core model (and node
//! metadata by index for `meta` records); they never re-walk the graph.

pub mod ir;
pub mod scai;
pub mod yaml;

/// Where an artifact's bytes go while it is written: in order, a chunk at a time.
///
/// The YAML writer hands over a chunk whenever it holds [`Sink::chunk_size`] bytes or more
/// at the start of a sequence element, so a file can be written (and its writeback started)
/// while the rest of the manifest is still being produced (`files::StreamedFile`); the IR
/// encoder ([`crate::scir::encode_into`]) does so after an array's element or a map's
/// entry, the `.scai` writer after a step. A `Vec<u8>` collects everything in memory,
/// taking the first chunk without a copy.
pub trait Sink {
    /// How many bytes to gather before handing them over (`usize::MAX`: all at the end).
    fn chunk_size(&self) -> usize;
    /// Takes the next bytes of the artifact; gives back a buffer to fill next (empty, its
    /// capacity possibly reused).
    fn take(&mut self, bytes: Vec<u8>) -> Vec<u8>;
    /// Forgets everything taken so far: the artifact is written again from its start
    /// (the YAML writer declined part way, and serde-saphyr writes the whole manifest).
    fn restart(&mut self);
}

/// A buffer for chunks of `chunk` bytes: room for the element that crosses the chunk's
/// size without regrowth (at most 16 MiB reserved ahead, whatever a sink asks for).
pub fn chunk_capacity(chunk: usize) -> usize {
    chunk.saturating_mul(2).min(1 << 24)
}

/// The first buffer of a writer that hands its bytes to a sink taking `chunk` at a time:
/// `whole` bytes when the sink takes everything at the end (the buffer grows from there).
pub fn first_capacity(chunk: usize, whole: usize) -> usize {
    if chunk == usize::MAX {
        whole
    } else {
        chunk_capacity(chunk)
    }
}

/// Hands `buf` to `sink` if it holds `chunk` bytes or more, adding them to `handed`; `buf`
/// is then empty, with room for the next chunk. Writers call it only where the bytes
/// before are final.
pub fn spill_if_full(buf: &mut Vec<u8>, sink: &mut dyn Sink, chunk: usize, handed: &mut u64) {
    if buf.len() >= chunk {
        hand_over(buf, sink, chunk, handed);
    }
}

/// [`spill_if_full`] for a writer of text.
pub fn spill_text_if_full(text: &mut String, sink: &mut dyn Sink, chunk: usize, handed: &mut u64) {
    if text.len() >= chunk {
        let mut bytes = std::mem::take(text).into_bytes();
        hand_over(&mut bytes, sink, chunk, handed);
        // Empty, so valid UTF-8.
        *text = String::from_utf8(bytes).unwrap_or_default();
    }
}

/// Hands a writer's last bytes to `sink`: the artifact's size, with the `handed` before.
pub fn finish(rest: Vec<u8>, sink: &mut dyn Sink, handed: u64) -> u64 {
    let written = handed + rest.len() as u64;
    sink.take(rest);
    written
}

/// Hands `buf` to `sink`, adding its length to `handed`; `buf` is then empty, with room for
/// the next chunk.
fn hand_over(buf: &mut Vec<u8>, sink: &mut dyn Sink, chunk: usize, handed: &mut u64) {
    *handed += buf.len() as u64;
    let mut next = sink.take(std::mem::take(buf));
    next.clear();
    next.reserve(chunk_capacity(chunk));
    *buf = next;
}

impl Sink for Vec<u8> {
    fn chunk_size(&self) -> usize {
        usize::MAX
    }

    fn take(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        if self.is_empty() {
            std::mem::swap(self, &mut bytes);
        } else {
            self.extend_from_slice(&bytes);
        }
        bytes.clear();
        bytes
    }

    fn restart(&mut self) {
        self.clear();
    }
}

/// A [`Sink`] that compares what it is handed with a text, from its start, instead of
/// keeping it: whether a writer writes that text, without the writer's text held whole
/// beside it.
pub struct SameAs<'t> {
    text: &'t [u8],
    /// The text not matched yet.
    rest: &'t [u8],
    /// Whether everything handed so far was the text's next bytes.
    same: bool,
}

impl<'t> SameAs<'t> {
    /// The chunks compared at a time (a writer's buffer is twice this).
    pub const CHUNK: usize = 1 << 16;

    pub fn new(text: &'t str) -> Self {
        SameAs {
            text: text.as_bytes(),
            rest: text.as_bytes(),
            same: true,
        }
    }

    /// Whether everything handed over was the whole text.
    pub fn whole(&self) -> bool {
        self.same && self.rest.is_empty()
    }
}

impl Sink for SameAs<'_> {
    fn chunk_size(&self) -> usize {
        Self::CHUNK
    }

    fn take(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        // (After a mismatch `rest` no longer matters: nothing sets `same` again but a
        // restart.)
        match self.rest.strip_prefix(bytes.as_slice()) {
            Some(rest) => self.rest = rest,
            None => self.same = false,
        }
        bytes.clear();
        bytes
    }

    fn restart(&mut self) {
        self.rest = self.text;
        self.same = true;
    }
}

#[cfg(test)]
mod tests {
    use super::Sink;

    #[test]
    fn a_vec_collects_what_it_takes_and_forgets_it_on_restart() {
        let mut all: Vec<u8> = Vec::new();
        assert_eq!(all.chunk_size(), usize::MAX, "everything at the end");
        let back = all.take(b"abc".to_vec());
        assert!(back.is_empty());
        all.take(b"de".to_vec());
        assert_eq!(all, b"abcde");
        all.restart();
        all.take(b"xy".to_vec());
        assert_eq!(all, b"xy");
    }

    #[test]
    fn a_comparison_holds_for_the_whole_text_only_and_starts_over_on_restart() {
        let mut c = super::SameAs::new("abcdef");
        assert!(c.take(b"abc".to_vec()).is_empty());
        assert!(!c.whole(), "a prefix is not the whole text");
        c.take(b"def".to_vec());
        assert!(c.whole());
        c.take(b"g".to_vec());
        assert!(!c.whole(), "more than the text");
        c.restart();
        c.take(b"abx".to_vec());
        // A mismatch is not undone by bytes that match later.
        c.take(b"cdef".to_vec());
        assert!(!c.whole());
        c.restart();
        c.take(b"abcdef".to_vec());
        assert!(c.whole());
        assert!(!super::SameAs::new("a").whole(), "nothing taken");
        assert!(super::SameAs::new("").whole());
    }
}
