//! The manifest's YAML text, written directly: byte for byte what `serde_saphyr::to_string`
//! (serde-saphyr 2.1.1, default `SerializerOptions`) writes for the same data, without its
//! general machinery (flow style, anchors, tags, comments, options, `fmt::Write`).
//!
//! The writer is a `serde::Serializer` for exactly the calls `serde_json::Value` makes:
//! `serialize_map(Some(len))` with string keys, `serialize_seq`, `serialize_str`,
//! `serialize_bool`, `serialize_u64` / `serialize_i64` / `serialize_f64` and
//! `serialize_unit`. Anything else — and the one layout it does not reproduce, a key whose
//! written form is longer than 1024 characters (serde-saphyr writes it as an explicit
//! `? key`) — makes it decline ([`Declined`]); the caller then serialises the whole document
//! with serde-saphyr instead.
//!
//! The layout state machine and the scalar decisions are ported from serde-saphyr 2.1.1
//! (<https://crates.io/crates/serde-saphyr>, MIT OR Apache-2.0; files under `src/ser/`),
//! restricted to its default options: `indent_step` 2, `compact_list_indent`,
//! `empty_as_braces`, `prefer_block_scalars`, no `quote_all`, YAML 1.1 quoting
//! (`yaml_12` off), `folded_wrap_chars` 80. Each ported item names its source. The
//! differential test below holds the two byte-identical over random documents.

use std::fmt;

use serde::ser::{self, Impossible, Serialize, Serializer};

mod compound;
mod scalar;
#[cfg(test)]
pub(crate) mod tests;

use compound::{Map, Seq};
use scalar::*;

/// `SerializerOptions::indent_step` (default).
const INDENT_STEP: usize = 2;
/// `SerializerOptions::folded_wrap_chars` (default, `FOLDED_WRAP_CHARS`).
const FOLDED_WRAP_COL: usize = 80;
/// `serializer/compound.rs`: `SIMPLE_KEY_MAX_LEN`.
const SIMPLE_KEY_MAX_LEN: usize = 1024;
/// serde-saphyr's `state.depth`: it only changes for complex (non-scalar) keys and for an
/// `indent_step` below 2, neither of which occurs here.
const DEPTH: usize = 0;

/// The writer would not reproduce serde-saphyr's text for this document.
#[derive(Debug)]
pub struct Declined(String);

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "YAML writer declined: {}", self.0)
    }
}

impl std::error::Error for Declined {}

impl ser::Error for Declined {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Declined(msg.to_string())
    }
}

fn decline<T>(what: &str) -> Result<T, Declined> {
    Err(Declined(what.to_string()))
}

/// `value` as serde-saphyr 2.1.1's `to_string` writes it with default options, or
/// [`Declined`] when the writer does not cover something in it.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Declined> {
    to_string_with_capacity(value, 0)
}

/// [`to_string`] into a buffer of `capacity` bytes to start with.
pub fn to_string_with_capacity<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> Result<String, Declined> {
    // A sink that takes everything at the end is never handed anything before.
    let mut never = Vec::new();
    let mut w = Writer::new(capacity, &mut never, usize::MAX);
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// [`to_string`]'s text handed to `sink` as it is written: a chunk whenever the writer
/// holds `sink.chunk_size()` bytes or more at the start of a sequence element (the text
/// before that point is final: the writer only appends, and looks back only within one
/// key), the rest at the end. `capacity` is the size of the first buffer when the sink
/// takes everything at the end. The number of bytes written, or [`Declined`] (what the
/// sink has taken by then is incomplete).
pub fn write_into<T: Serialize + ?Sized>(
    value: &T,
    sink: &mut dyn crate::emit::Sink,
    capacity: usize,
) -> Result<u64, Declined> {
    let chunk = sink.chunk_size();
    let capacity = crate::emit::first_capacity(chunk, capacity);
    let mut w = Writer::new(capacity, sink, chunk);
    value.serialize(&mut w)?;
    let tail = std::mem::take(&mut w.out).into_bytes();
    Ok(crate::emit::finish(tail, w.sink, w.spilled))
}

/// Layout state: serde-saphyr 2.1.1 `serializer.rs` `SerializerState` / `PendingLayout`,
/// the fields its block (non-flow) paths use; and where the text goes.
struct Writer<'s> {
    out: String,
    /// Takes `out` when it holds `chunk` bytes or more at the start of a sequence element.
    sink: &'s mut dyn crate::emit::Sink,
    chunk: usize,
    /// Bytes handed to `sink` so far.
    spilled: u64,
    at_line_start: bool,
    /// Emit the first key of the next mapping inline (after `- `).
    pending_inline_map: bool,
    /// A mapping key's `:` is written; the value decides what follows it.
    pending_space_after_colon: bool,
    /// The current sequence element is a mapping opened inline after its dash.
    inline_map_after_dash: bool,
    /// The last value written was a non-empty block collection.
    last_value_was_block: bool,
    /// Depth of the dash the next node follows.
    after_dash_depth: Option<usize>,
    /// Depth of the block map whose value is being written.
    current_map_depth: Option<usize>,
    /// Column of that map's keys when it was opened after `- `.
    current_map_key_column: Option<usize>,
}

#[derive(Clone, Copy)]
enum BlockStyle {
    Literal,
    Folded,
}

impl<'s> Writer<'s> {
    fn new(capacity: usize, sink: &'s mut dyn crate::emit::Sink, chunk: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            sink,
            chunk,
            spilled: 0,
            at_line_start: true,
            pending_inline_map: false,
            pending_space_after_colon: false,
            inline_map_after_dash: false,
            last_value_was_block: false,
            after_dash_depth: None,
            current_map_depth: None,
            current_map_key_column: None,
        }
    }

    /// Hands the text so far to the sink once it holds a chunk; called only where the text
    /// before is final (the start of a sequence element).
    fn spill_if_full(&mut self) {
        crate::emit::spill_text_if_full(&mut self.out, self.sink, self.chunk, &mut self.spilled);
    }

    fn spaces(&mut self, mut n: usize) {
        const SPACES: &str = "                                                                ";
        while n > SPACES.len() {
            self.out.push_str(SPACES);
            n -= SPACES.len();
        }
        self.out.push_str(&SPACES[..n]);
    }

    // serializer.rs `newline`
    fn newline(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
    }

    // serializer.rs `write_indent` (no YAML 1.2 directive by default)
    fn write_indent(&mut self, depth: usize) {
        if self.at_line_start {
            self.spaces(INDENT_STEP * depth);
            self.at_line_start = false;
        }
    }

    // serializer.rs `write_space_if_pending`
    fn write_space_if_pending(&mut self) {
        if self.pending_space_after_colon {
            self.out.push(' ');
            self.pending_space_after_colon = false;
        }
        self.last_value_was_block = false;
    }

    /// What every scalar emitter of serializer.rs does before its text (no anchor or tag is
    /// ever pending here).
    fn scalar_start(&mut self) {
        self.write_space_if_pending();
        if self.at_line_start {
            self.write_indent(DEPTH);
        }
    }

    // serializer.rs `write_quoted`
    fn write_quoted(&mut self, s: &str) {
        self.out.push('"');
        escape_double_quoted(s, &mut self.out);
        self.out.push('"');
    }

    // serializer.rs `Serializer::serialize_str` (block context, default options)
    fn write_str_value(&mut self, v: &str) {
        // The common case: a short single-line string the one-pass scan decides.
        if v.len() <= FOLDED_WRAP_COL
            && let Some(plain) = fast_plain(v)
        {
            // No control character (so no line break) and not over the fold width: no
            // block scalar; it starts with a letter (so not the `'.'` / `'#'` / `'-'` case).
            self.scalar_start();
            if plain.value {
                self.out.push_str(v);
            } else {
                self.write_quoted(v);
            }
            self.newline();
            return;
        }
        let style = if v.contains('\n') {
            // `is_auto_block_scalar_readable` is `!s.is_empty()`.
            (!v.is_empty() && is_block_scalar_content_safe(v)).then_some(BlockStyle::Literal)
        } else if v.len() > FOLDED_WRAP_COL {
            let probe = v.trim_end_matches(' ');
            (!probe.is_empty()
                && is_plain_value_safe(probe, false, false)
                && v.chars().count() > FOLDED_WRAP_COL)
                .then_some(BlockStyle::Folded)
        } else {
            None
        };
        if let Some(style) = style {
            if !is_block_scalar_content_safe(v) {
                self.scalar_start();
                self.write_quoted(v);
                self.newline();
                return;
            }
            self.write_block_scalar(v, style);
            return;
        }
        self.scalar_start();
        if v.len() == 1 && matches!(v.as_bytes()[0], b'.' | b'#' | b'-') {
            self.out.push('\'');
            self.out.push_str(v);
            self.out.push('\'');
            self.newline();
            return;
        }
        if is_plain_value_safe(v, false, false) {
            self.out.push_str(v);
        } else {
            self.write_quoted(v);
        }
        self.newline();
    }

    // serializer.rs `Serializer::serialize_str`, the automatically selected block scalar
    fn write_block_scalar(&mut self, v: &str, style: BlockStyle) {
        let was_map_value = self.pending_space_after_colon;
        self.write_space_if_pending();
        let base = if was_map_value {
            self.current_map_depth.unwrap_or(DEPTH)
        } else {
            self.after_dash_depth.unwrap_or(DEPTH)
        };
        if self.at_line_start {
            self.write_indent(base);
        }
        let parent_column = match (was_map_value, self.current_map_key_column) {
            (true, Some(col)) => col,
            _ => INDENT_STEP * base,
        };
        let body_column = parent_column + INDENT_STEP;
        let content = v.trim_end_matches('\n');
        let trailing_nl = v.len() - content.len();
        let needs_indicator = first_line_leading_spaces(content) > 0;
        match style {
            BlockStyle::Literal => {
                self.out.push('|');
                if needs_indicator {
                    self.out.push('2');
                }
                match trailing_nl {
                    0 => self.out.push('-'),
                    1 if !content.is_empty() => {}
                    _ => self.out.push('+'),
                }
                self.newline();
                if content.is_empty() {
                    for _ in 0..trailing_nl {
                        self.newline();
                    }
                } else {
                    for line in content.split('\n') {
                        if !line.is_empty() {
                            self.spaces(body_column);
                            self.at_line_start = false;
                            self.out.push_str(line);
                        }
                        self.newline();
                    }
                    if trailing_nl >= 2 {
                        for _ in 0..(trailing_nl - 1) {
                            self.newline();
                        }
                    }
                }
            }
            BlockStyle::Folded => {
                self.out.push('>');
                if needs_indicator {
                    self.out.push('2');
                }
                match trailing_nl {
                    0 => self.out.push('-'),
                    1 => {}
                    _ => self.out.push('+'),
                }
                self.newline();
                write_folded_block(&mut self.out, v, body_column, FOLDED_WRAP_COL);
                self.at_line_start = true;
            }
        }
    }
}

impl<'a, 's> Serializer for &'a mut Writer<'s> {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Seq<'a, 's>;
    type SerializeTuple = Impossible<(), Declined>;
    type SerializeTupleStruct = Impossible<(), Declined>;
    type SerializeTupleVariant = Impossible<(), Declined>;
    type SerializeMap = Map<'a, 's>;
    type SerializeStruct = Impossible<(), Declined>;
    type SerializeStructVariant = Impossible<(), Declined>;

    fn serialize_bool(self, v: bool) -> Result<(), Declined> {
        self.scalar_start();
        self.out.push_str(if v { "true" } else { "false" });
        self.newline();
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Declined> {
        self.scalar_start();
        if v < 0 {
            self.out.push('-');
        }
        push_u64(&mut self.out, v.unsigned_abs());
        self.newline();
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Declined> {
        self.scalar_start();
        push_u64(&mut self.out, v);
        self.newline();
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Declined> {
        self.scalar_start();
        push_float(&mut self.out, v);
        self.newline();
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Declined> {
        self.write_str_value(v);
        Ok(())
    }

    fn serialize_unit(self) -> Result<(), Declined> {
        self.scalar_start();
        self.out.push_str("null");
        self.newline();
        Ok(())
    }

    // serializer.rs `Serializer::serialize_seq`, block style, indent_step 2, no node
    // properties.
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a, 's>, Declined> {
        let was_inline_value = !self.at_line_start;
        if self.pending_space_after_colon && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            self.last_value_was_block = false;
        }
        // With `indent_step` 2 a sequence right after a dash starts inline (`- - a`).
        let after_dash = !self.at_line_start
            && self.after_dash_depth.is_some()
            && !self.pending_space_after_colon;
        let base = if after_dash {
            self.after_dash_depth.unwrap_or(DEPTH)
        } else if was_inline_value && self.current_map_depth.is_some() {
            self.current_map_depth.unwrap_or(DEPTH)
        } else {
            DEPTH
        };
        let depth = if after_dash {
            base + 1
        } else if was_inline_value {
            // compact_list_indent: the dashes go at the key's own column.
            if self.current_map_depth.is_some() {
                base
            } else {
                base + 1
            }
        } else {
            base
        };
        Ok(Seq {
            w: self,
            depth,
            first: true,
        })
    }

    // serializer.rs `Serializer::serialize_map`, block style, known length
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a, 's>, Declined> {
        let Some(len) = len else {
            return decline("a map of unknown length");
        };
        let inline_first = self.pending_inline_map;
        let was_inline_value = self.pending_space_after_colon;
        if was_inline_value && self.last_value_was_block {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
            self.last_value_was_block = false;
        }
        if inline_first {
            self.pending_inline_map = false;
            self.inline_map_after_dash = true;
        } else if was_inline_value && len > 0 {
            self.pending_space_after_colon = false;
            if !self.at_line_start {
                self.newline();
            }
        }
        let base = if inline_first {
            self.after_dash_depth.unwrap_or(DEPTH)
        } else if was_inline_value && self.current_map_depth.is_some() {
            self.current_map_depth.unwrap_or(DEPTH)
        } else {
            DEPTH
        };
        let depth = if inline_first || was_inline_value {
            base + 1
        } else {
            base
        };
        Ok(Map {
            w: self,
            depth,
            align_after_dash: inline_first,
            len,
            entries_written: 0,
        })
    }

    fn serialize_i8(self, _: i8) -> Result<(), Declined> {
        decline("i8")
    }
    fn serialize_i16(self, _: i16) -> Result<(), Declined> {
        decline("i16")
    }
    fn serialize_i32(self, _: i32) -> Result<(), Declined> {
        decline("i32")
    }
    fn serialize_u8(self, _: u8) -> Result<(), Declined> {
        decline("u8")
    }
    fn serialize_u16(self, _: u16) -> Result<(), Declined> {
        decline("u16")
    }
    fn serialize_u32(self, _: u32) -> Result<(), Declined> {
        decline("u32")
    }
    fn serialize_f32(self, _: f32) -> Result<(), Declined> {
        decline("f32")
    }
    fn serialize_char(self, _: char) -> Result<(), Declined> {
        decline("char")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Declined> {
        decline("bytes")
    }
    fn serialize_none(self) -> Result<(), Declined> {
        decline("none")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Declined> {
        decline("some")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Declined> {
        decline("unit struct")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Declined> {
        decline("unit variant")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        decline("newtype struct")
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        decline("newtype variant")
    }
    fn serialize_tuple(self, _: usize) -> Result<Impossible<(), Declined>, Declined> {
        decline("tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("tuple variant")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("struct variant")
    }
}
