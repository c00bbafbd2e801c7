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

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, Serializer};

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
    let mut w = Writer::new(capacity);
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// Layout state: serde-saphyr 2.1.1 `serializer.rs` `SerializerState` / `PendingLayout`,
/// the fields its block (non-flow) paths use.
struct Writer {
    out: String,
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

impl Writer {
    fn new(capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
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

impl<'a> Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Impossible<(), Declined>;
    type SerializeTupleStruct = Impossible<(), Declined>;
    type SerializeTupleVariant = Impossible<(), Declined>;
    type SerializeMap = Map<'a>;
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
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Declined> {
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
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a>, Declined> {
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

/// A block sequence: serializer/compound.rs `SeqSer` (block paths).
pub struct Seq<'a> {
    w: &'a mut Writer,
    depth: usize,
    first: bool,
}

impl SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Declined;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Declined> {
        let w = &mut *self.w;
        if self.first && w.pending_space_after_colon {
            w.pending_space_after_colon = false;
            if !w.at_line_start {
                w.newline();
            }
            w.pending_inline_map = false;
        }
        if !self.first && w.inline_map_after_dash {
            w.inline_map_after_dash = false;
        }
        if !(self.first && (!w.at_line_start || w.pending_inline_map)) {
            w.write_indent(self.depth);
        }
        w.out.push_str("- ");
        w.at_line_start = false;
        if self.first && w.inline_map_after_dash {
            w.inline_map_after_dash = false;
        }
        w.after_dash_depth = Some(self.depth);
        w.pending_inline_map = true;
        w.last_value_was_block = false;
        v.serialize(&mut *w)?;
        self.first = false;
        Ok(())
    }

    fn end(self) -> Result<(), Declined> {
        let w = self.w;
        if self.first {
            if w.pending_space_after_colon {
                w.out.push(' ');
                w.pending_space_after_colon = false;
            } else if w.at_line_start {
                w.write_indent(self.depth);
            }
            w.out.push_str("[]");
            w.newline();
        } else {
            w.last_value_was_block = true;
            w.pending_inline_map = false;
            w.after_dash_depth = None;
            w.inline_map_after_dash = false;
        }
        Ok(())
    }
}

/// A block mapping: serializer/compound.rs `MapSer` (block paths, scalar string keys).
pub struct Map<'a> {
    w: &'a mut Writer,
    depth: usize,
    align_after_dash: bool,
    entries_written: usize,
}

impl Map<'_> {
    // compound.rs `MapSer::serialize_key` + `write_simple_key` for a string key
    fn write_key(&mut self, key: &str) -> Result<(), Declined> {
        let w = &mut *self.w;
        if !w.at_line_start {
            w.write_space_if_pending();
        }
        w.after_dash_depth = None;
        w.pending_inline_map = false;
        w.last_value_was_block = false;
        if self.align_after_dash && w.at_line_start {
            w.spaces(INDENT_STEP * self.depth.saturating_sub(1));
            w.out.push_str("  ");
            w.at_line_start = false;
        } else {
            w.write_indent(self.depth);
        }
        // helpers.rs `KeyScalarSink::serialize_str`
        let start = w.out.len();
        let plain = match fast_plain(key) {
            Some(plain) => plain.key,
            None => is_plain_safe(key) && is_plain_value_safe(key, false, true),
        };
        if plain {
            w.out.push_str(key);
        } else {
            w.write_quoted(key);
        }
        // compound.rs `is_simple_key_text`
        let text = &w.out[start..];
        if text.len() > SIMPLE_KEY_MAX_LEN && text.chars().count() > SIMPLE_KEY_MAX_LEN {
            return decline("a key over 1024 characters (written as an explicit `? key`)");
        }
        w.out.push(':');
        w.pending_space_after_colon = true;
        w.at_line_start = false;
        Ok(())
    }
}

impl SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Declined;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Declined> {
        key.serialize(KeySer { map: self })
    }

    // compound.rs `MapSer::serialize_value` (simple key)
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Declined> {
        let w = &mut *self.w;
        let saved_pending_inline_map = w.pending_inline_map;
        let prev_map_depth = w.current_map_depth.replace(self.depth);
        let key_column = self
            .align_after_dash
            .then(|| INDENT_STEP * self.depth.saturating_sub(1) + 2);
        let prev_key_column = std::mem::replace(&mut w.current_map_key_column, key_column);
        let result = value.serialize(&mut *w);
        w.current_map_depth = prev_map_depth;
        w.current_map_key_column = prev_key_column;
        w.pending_inline_map = saved_pending_inline_map;
        result?;
        self.entries_written += 1;
        Ok(())
    }

    fn end(self) -> Result<(), Declined> {
        let w = self.w;
        if self.entries_written == 0 {
            if w.pending_space_after_colon {
                w.out.push(' ');
                w.pending_space_after_colon = false;
            }
            if w.at_line_start {
                if self.align_after_dash {
                    w.spaces(INDENT_STEP * self.depth.saturating_sub(1));
                    w.out.push_str("  ");
                    w.at_line_start = false;
                } else {
                    w.write_indent(self.depth);
                }
            }
            w.out.push_str("{}");
            w.newline();
        } else {
            w.last_value_was_block = true;
        }
        Ok(())
    }
}

/// A mapping key: only a string is accepted.
struct KeySer<'m, 'a> {
    map: &'m mut Map<'a>,
}

impl Serializer for KeySer<'_, '_> {
    type Ok = ();
    type Error = Declined;
    type SerializeSeq = Impossible<(), Declined>;
    type SerializeTuple = Impossible<(), Declined>;
    type SerializeTupleStruct = Impossible<(), Declined>;
    type SerializeTupleVariant = Impossible<(), Declined>;
    type SerializeMap = Impossible<(), Declined>;
    type SerializeStruct = Impossible<(), Declined>;
    type SerializeStructVariant = Impossible<(), Declined>;

    fn serialize_str(self, v: &str) -> Result<(), Declined> {
        self.map.write_key(v)
    }

    fn serialize_bool(self, _: bool) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_i8(self, _: i8) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_i16(self, _: i16) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_i32(self, _: i32) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_i64(self, _: i64) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_u8(self, _: u8) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_u16(self, _: u16) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_u32(self, _: u32) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_u64(self, _: u64) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_f32(self, _: f32) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_f64(self, _: f64) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_char(self, _: char) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_none(self) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_unit(self) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Declined> {
        decline("a non-string key")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_tuple(self, _: usize) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Declined>, Declined> {
        decline("a non-string key")
    }
}

fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

// ser/zmij_format.rs `write_float_string` (f64)
fn push_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f.is_sign_positive() {
            ".inf"
        } else {
            "-.inf"
        });
    } else {
        let mut buf = zmij::Buffer::new();
        let s = buf.format_finite(f);
        if let Some(exp_pos) = s.find('e').or_else(|| s.find('E')) {
            out.push_str(&s[..exp_pos]);
            if !s[..exp_pos].contains('.') {
                out.push_str(".0");
            }
            out.push_str(&s[exp_pos..=exp_pos]);
            if !matches!(s.as_bytes().get(exp_pos + 1), Some(b'+' | b'-')) {
                out.push('+');
            }
            out.push_str(&s[exp_pos + 1..]);
        } else {
            out.push_str(s);
            if !s.contains('.') {
                out.push_str(".0");
            }
        }
    }
}

/// The plain-or-quoted decisions for a string, as [`fast_plain`] makes them.
#[derive(Debug, PartialEq, Eq)]
struct Plain {
    /// `is_plain_value_safe(s, false, false)`: plain as a block value.
    value: bool,
    /// `is_plain_safe(s) && is_plain_value_safe(s, false, true)`: plain as a key.
    key: bool,
}

/// Bytes [`fast_plain`] looks at, as bit flags: controls, `:`, `#`, flow indicators,
/// non-ASCII.
const CONTROL: u8 = 1;
const COLON: u8 = 2;
const HASH: u8 = 4;
const FLOW: u8 = 8;
const NON_ASCII: u8 = 16;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i as u8 {
            0..=0x1F | 0x7F => CONTROL,
            b':' => COLON,
            b'#' => HASH,
            b',' | b'[' | b']' | b'{' | b'}' => FLOW,
            0x80..=0xFF => NON_ASCII,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// serde-saphyr's plain-or-quoted decisions (value and key) in one pass, for the strings
/// most of a manifest is made of: ASCII, starting with a letter, no control character.
/// None for any other string (the verbatim ports below decide those).
///
/// Why this agrees with them: a first letter rules out every indicator, document marker,
/// `~`, `<<`, `=`, and every numeric, sexagesimal and timestamp form (those start with a
/// digit, sign, `.` or `_`), leaving the ambiguous words (`null`, `yes`, `n`, ...; the
/// YAML 1.1 bool check trims only ASCII white space, and trailing white space is refused
/// anyway). Without control characters or non-ASCII, the only white space is ` `, so
/// `trim()`, `char::is_whitespace` and `is_ascii_whitespace` all mean ` `. The test
/// `fast_plain_agrees_with_the_ports` checks this on every test string.
#[inline]
fn fast_plain(s: &str) -> Option<Plain> {
    let b = s.as_bytes();
    let (&first, &last) = (b.first()?, b.last()?);
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let flags = b.iter().fold(0u8, |acc, &c| acc | CLASS[c as usize]);
    if flags & (CONTROL | NON_ASCII) != 0 {
        return None;
    }
    let colon = flags & COLON != 0;
    let colon_space = colon && s.contains(": ");
    let space_hash = flags & HASH != 0 && s.contains(" #");
    let flow = flags & FLOW != 0;
    let word = b.len() <= 5
        && [
            "null", "true", "false", "nan", "inf", "yes", "no", "y", "n", "on", "off",
        ]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w));
    let value = !word && last != b' ' && last != b':' && !colon_space && !space_hash;
    Some(Plain {
        value,
        key: value && !colon && !flow,
    })
}

// ---------------------------------------------------------------------------------------
// Scalar decisions: ser/quoting.rs, parse_scalars.rs and ser/wrapping.rs of serde-saphyr
// 2.1.1, verbatim but for the output type.
// ---------------------------------------------------------------------------------------

// parse_scalars.rs `yaml_trim`
fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

// parse_scalars.rs `parse_yaml11_bool` (whether it parses)
fn is_yaml11_bool(s: &str) -> bool {
    let t = yaml_trim(s);
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|b| t.eq_ignore_ascii_case(b))
}

// quoting.rs `is_numeric`
fn is_numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(
        s.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')
    ) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if !yaml_12 {
        if is_yaml11_sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned)
            && is_digit_run(digits, radix, false)
        {
            return true;
        }
    }
    let normalized;
    let s = if !yaml_12 && s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if !is_digit_run(exponent, 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

// quoting.rs `radix_digits`
fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

// quoting.rs `is_digit_run`
fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0
                            && is_digit(bytes[i - 1])
                            && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

// quoting.rs `is_yaml11_sexagesimal`
fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

// quoting.rs `is_yaml11_timestamp`
fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        if let Some(rest) = s.strip_prefix(ch) {
            *s = rest;
            true
        } else {
            false
        }
    }
    if !digits(&mut s, 4, 4)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

// quoting.rs `is_ambiguous`
fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
    s.is_empty()
        || s == "~"
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("true")
        || s.eq_ignore_ascii_case("false")
        || is_numeric(s, yaml_12)
        || s.eq_ignore_ascii_case("nan")
        || s.eq_ignore_ascii_case("inf")
        || s.eq_ignore_ascii_case("+inf")
        || s.eq_ignore_ascii_case("-inf")
        || (!yaml_12 && (is_yaml11_bool(s) || is_yaml11_timestamp(s) || matches!(s, "<<" | "=")))
}

// quoting.rs `starts_with_document_marker`
fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

// quoting.rs `is_plain_safe` (keys)
fn is_plain_safe(s: &str) -> bool {
    if is_ambiguous(s, true) {
        return false;
    }
    if s == "<<" {
        return false;
    }
    if starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    match bytes[0] {
        b'-' | b'?' => {
            if bytes.len() == 1 {
                return false;
            }
            if bytes[1].is_ascii_whitespace() {
                return false;
            }
        }
        b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
        | b'\'' | b'"' | b'%' | b'@' | b'`' => return false,
        _ => {}
    }
    !contains_any_or_is_control(s, &[':']) && !has_comment_start(s)
}

// quoting.rs `is_plain_value_safe`
fn is_plain_value_safe(s: &str, yaml_12: bool, in_flow: bool) -> bool {
    if is_ambiguous(s, yaml_12) {
        return false;
    }
    if starts_with_document_marker(s) {
        return false;
    }
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    match bytes {
        [b'-' | b'?', b1, ..] if b1.is_ascii_whitespace() => return false,
        [b'-' | b'?']
        | [
            b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
            | b'\'' | b'"' | b'%' | b'@' | b'`',
            ..,
        ] => return false,
        _ => {}
    }
    if s.contains(": ") || s.trim().ends_with(':') {
        return false;
    }
    if in_flow {
        !contains_any_or_is_control(s, &[',', '[', ']', '{', '}']) && !has_comment_start(s)
    } else {
        !contains_any_or_is_control(s, &[]) && !has_comment_start(s)
    }
}

// quoting.rs `is_block_scalar_content_safe`
fn is_block_scalar_content_safe(s: &str) -> bool {
    s.chars().all(|ch| match ch {
        '\n' | '\t' => true,
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(
            c as u32,
            0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF
        ),
    })
}

// quoting.rs `is_controll_which_needs_escaping`
fn is_controll_which_needs_escaping(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

// quoting.rs `escape_double_quoted`
fn escape_double_quoted(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{FEFF}' => out.push_str("\\uFEFF"),
            '\u{0085}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
                push_hex_escape(out, 'x', c as u32, 2);
            }
            c if (c as u32) <= 0xFFFF && is_controll_which_needs_escaping(c) => {
                push_hex_escape(out, 'u', c as u32, 4);
            }
            c => out.push(c),
        }
    }
}

/// `\x{:02X}` / `\u{:04X}`.
fn push_hex_escape(out: &mut String, kind: char, v: u32, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('\\');
    out.push(kind);
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((v >> (4 * i)) & 0xF) as usize]));
    }
}

// quoting.rs `contains_any_or_is_control`
fn contains_any_or_is_control(string: &str, values: &[char]) -> bool {
    string
        .chars()
        .any(|x| is_controll_which_needs_escaping(x) || values.contains(&x))
}

// quoting.rs `has_comment_start`
fn has_comment_start(string: &str) -> bool {
    string.match_indices('#').any(|(index, _)| {
        string[..index]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
    })
}

// wrapping.rs `first_line_leading_spaces`
fn first_line_leading_spaces(s: &str) -> usize {
    for line in s.split('\n') {
        if !line.is_empty() {
            return line.len() - line.trim_start_matches(' ').len();
        }
    }
    0
}

// wrapping.rs `write_folded_block` (indent already in spaces: `indent_step` 1)
fn write_folded_block(out: &mut String, s: &str, indent: usize, folded_wrap_col: usize) {
    let indent_str = " ".repeat(indent);
    let indent_str = indent_str.as_str();
    for line in s.split('\n') {
        if line.is_empty() {
            out.push('\n');
            continue;
        }
        if line.starts_with(' ') {
            out.push_str(indent_str);
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut start = 0usize;
        let mut col = 0usize;
        let mut last_space_run: Option<(usize, usize, usize)> = None;
        let mut in_space_run = false;
        let mut run_start = 0usize;
        let mut run_len = 0usize;
        let mut prev_i = 0usize;
        let mut prev_ch_len = 0usize;
        for (i, ch) in line.char_indices() {
            if in_space_run && ch != ' ' {
                let run_end = prev_i + prev_ch_len;
                if ch != '\t' {
                    last_space_run = Some((run_start, run_end, run_len));
                }
                in_space_run = false;
                run_len = 0;
            }
            if ch == ' ' {
                if in_space_run {
                    run_len += 1;
                } else {
                    in_space_run = true;
                    run_start = i;
                    run_len = 1;
                }
            }
            col += 1;
            if col > folded_wrap_col {
                let Some((ws_start, ws_end, ws_len)) = last_space_run else {
                    break;
                };
                out.push_str(indent_str);
                out.push_str(&line[start..ws_start]);
                for _ in 1..ws_len {
                    out.push(' ');
                }
                out.push('\n');
                start = ws_end;
                col = 0;
                last_space_run = None;
            }
            prev_i = i;
            prev_ch_len = ch.len_utf8();
        }
        out.push_str(indent_str);
        out.push_str(&line[start..]);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    //! The writer against serde-saphyr itself (the oracle): byte-identical output, or a
    //! decline, over hand-picked and random `serde_json::Value` documents.

    use super::*;
    use serde_json::{Map as JsonMap, Number, Value, json};

    /// Strings a YAML emitter can get wrong: YAML 1.1 / 1.2 specials, indicators, escapes,
    /// block-scalar and folding edge cases.
    const POOL: &[&str] = &[
        "",
        " ",
        "  ",
        "a",
        "abc",
        "node_1",
        "Hello world",
        " lead",
        "trail ",
        " both ",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "Yes",
        "NO",
        "On",
        "OFF",
        "true",
        "True",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "~",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "+inf",
        ".inf",
        "-.inf",
        "+.INF",
        ".nan",
        "-.nan",
        ".NaN",
        "0",
        "-0",
        "+1",
        "007",
        "0.2",
        ".5",
        "5.",
        "1.2.3",
        "1e3",
        "1E+3",
        "1e",
        "e3",
        "0x1F",
        "0X1f",
        "0xG",
        "0o7",
        "0o8",
        "0b101",
        "0b",
        "0b+1",
        "-0b1",
        "1_000",
        "_1",
        "1_",
        "1__0",
        "0x_1",
        "+_",
        "12:30",
        "12:30:45",
        "1:2:3.5",
        "0:30",
        "190:20:30",
        "12:60",
        "2024-01-01",
        "2024-1-1",
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00:00",
        "2024-01-01t1:2:3.5 +01:00",
        "2024-01-01T10:00:00.123-05",
        "2024-01-01x",
        "20240101",
        "<<",
        "=",
        "==",
        "---",
        "...",
        "--- x",
        "...x",
        "---x",
        "-",
        "--",
        "-a",
        "- a",
        "-\ta",
        "?",
        "?a",
        "? a",
        ":",
        ":a",
        "a:",
        "a: b",
        "a:b",
        "a :",
        "a:\u{2003}",
        "http://example.com/x?y=1#frag",
        "#",
        "#c",
        "a#b",
        "a #b",
        "a\u{3000}#b",
        "&x",
        "*x",
        "!x",
        "|",
        "|-",
        ">",
        "'",
        "'q'",
        "\"",
        "\"q\"",
        "%x",
        "@x",
        "`x",
        "{",
        "{a}",
        "[",
        "[a]",
        "]",
        "}",
        ",",
        "a,b",
        "a[b]",
        "a{b}",
        ".",
        "..",
        "a\tb",
        "\tx",
        "x\t",
        "a\rb",
        "\r",
        "a\r\nb",
        "\0",
        "\u{7}",
        "\u{1b}[0m",
        "\u{7f}",
        "\u{80}",
        "\u{9f}",
        "\u{a0}",
        "x\u{a0}",
        "\u{85}",
        "a\u{85}b",
        "\u{2028}",
        "a\u{2029}b",
        "\u{FEFF}",
        "\u{FEFF}bom",
        "\u{FFFE}",
        "\u{FFFF}",
        "\u{E000}",
        "é",
        "naïve café",
        "日本語",
        "\u{1F600}",
        "emoji \u{1F600} here",
        "back\\slash",
        "quote\"d",
        "it's",
        "{{request.text}}",
        "{{ a }}",
        "${VAR}",
        "/kb/1/",
        "enum[question, complaint, request]",
        "Answer in JSON.",
        "\n",
        "\n\n",
        "\n\n\n",
        "a\n",
        "a\n\n",
        "a\n\n\n",
        "a\nb",
        "a\nb\n",
        "\na",
        "\n\na\n",
        " a\nb",
        "  a\n  b\n",
        "\n  a",
        "a\n  b",
        "   \n  ",
        "a\n   \nb",
        "a\n\tb",
        "\ta\nb",
        "a \nb ",
        "line1\n\nline3",
        "a\nb\r",
        "a\n\u{85}",
        "a\n\u{FEFF}",
        "a\n\u{7}",
        "- a\n- b",
        "key: value\nother: x",
        "# comment\ntext",
        "|\n>",
        "---\n...",
        "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing",
        "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing   ",
        "a very long line of text that goes on and on well past the folding width of eighty: characters, with a colon",
        "a very long line of text that goes on and on well past the folding width of eighty characters #hash-ok",
        "a very long line of text that goes on and on well past the folding width of eighty characters # comment",
        "  a very long line of text that starts with spaces and goes on well past the folding width of 80",
        "word  word  word  word  word  word  word  word  word  word  word  word  word  word  word  word",
        "word\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword\tword",
        "tabs before the wrap point: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \tbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbb",
        "ééééééééééééééééééééééééééééééééééééééééééééééééé ééééééééééééééééééééééééééééééé ééééé",
        "日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語 日本語",
        "- a very long line of text that goes on and on well past the folding width of eighty characters",
        "yes a very long line of text that goes on and on well past the folding width of eighty characters",
        "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789",
        "a long line with a \u{2028} separator that goes on and on well past the folding width of eighty characters",
        "a long line with a \"quote\" and a \\ backslash that goes on and on past the folding width of eighty chars",
        "first line of a long multi-line text that goes on and on well past the folding width of eighty characters\nsecond line",
    ];

    /// Pieces random strings are made of.
    const PIECES: &[&str] = &[
        "a",
        "b",
        "word",
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        "\r",
        ":",
        ": ",
        "#",
        " #",
        "-",
        "- ",
        "?",
        ",",
        "[",
        "]",
        "{",
        "}",
        "'",
        "\"",
        "\\",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "0",
        "1",
        "9",
        ".",
        "_",
        "e",
        "x",
        "o",
        "+",
        "~",
        "é",
        "日",
        "\u{1F600}",
        "\u{85}",
        "\u{2028}",
        "\u{FEFF}",
        "\u{7}",
        "\u{a0}",
        "\u{3000}",
        "yes",
        "null",
        "true",
        "1.5",
        "12:30",
        "2024-01-01",
        "---",
        "...",
        "<<",
        "=",
    ];

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'p>(&mut self, xs: &[&'p str]) -> &'p str {
            xs[self.below(xs.len())]
        }
    }

    fn random_string(rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=3 => rng.pick(POOL).to_string(),
            4..=5 => (0..1 + rng.below(6)).map(|_| rng.pick(PIECES)).collect(),
            6 => {
                // A long single line: words, runs of spaces, now and then a tab or a long word.
                let mut s = String::new();
                if rng.below(4) == 0 {
                    s.push_str(&" ".repeat(1 + rng.below(3)));
                }
                let target = 60 + rng.below(140);
                while s.chars().count() < target {
                    match rng.below(12) {
                        0 => s.push_str(&"x".repeat(20 + rng.below(100))),
                        1 => s.push('\t'),
                        2 => s.push_str("  "),
                        3 => s.push_str(rng.pick(PIECES)),
                        4 => s.push_str("ééé"),
                        _ => s.push_str("word"),
                    }
                    s.push(' ');
                }
                for _ in 0..rng.below(3) {
                    s.pop();
                }
                if rng.below(4) == 0 {
                    s.push_str(&" ".repeat(1 + rng.below(3)));
                }
                s
            }
            7..=8 => {
                // Several lines: empty, space-only, indented, long; trailing newlines.
                let mut s = String::new();
                for i in 0..1 + rng.below(5) {
                    if i > 0 {
                        s.push('\n');
                    }
                    match rng.below(8) {
                        0 => {}
                        1 => s.push_str(&" ".repeat(1 + rng.below(4))),
                        2 => {
                            s.push_str(&" ".repeat(1 + rng.below(4)));
                            s.push_str("indented");
                        }
                        3 => s.push_str(rng.pick(POOL)),
                        4 => s.push_str(
                            "a long line inside a multi-line text, which is not folded but kept as it is written",
                        ),
                        5 => s.push_str(rng.pick(PIECES)),
                        _ => s.push_str("text line"),
                    }
                }
                s.push_str(&"\n".repeat(rng.below(4)));
                s
            }
            _ => {
                let mut s = rng.pick(POOL).to_string();
                s.push_str(rng.pick(PIECES));
                s.push_str(rng.pick(POOL));
                s
            }
        }
    }

    fn random_key(rng: &mut Rng) -> String {
        match rng.below(1000) {
            // About the 1024-character limit of an implicit key: over it, the writer declines.
            0 => "k".repeat(1020 + rng.below(10)),
            1 => "é".repeat(1020 + rng.below(10)),
            2..=499 => rng.pick(POOL).to_string(),
            500..=749 => [
                "id",
                "type",
                "name",
                "steps",
                "x",
                "y",
                "node_config",
                "meta",
            ][rng.below(8)]
            .to_string(),
            _ => random_string(rng),
        }
    }

    fn random_number(rng: &mut Rng) -> Value {
        const FLOATS: &[f64] = &[
            0.0,
            -0.0,
            0.1,
            1.0,
            -1.0,
            1.5,
            2.5e-10,
            1e300,
            -1e300,
            1e15,
            1e16,
            1e17,
            123456789.125,
            1e-7,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            std::f64::consts::PI,
            100.0,
            0.30000000000000004,
        ];
        match rng.below(8) {
            0 => Value::from(u64::MAX),
            1 => Value::from(i64::MIN),
            2 => Value::from(rng.next() >> rng.below(64)),
            3 => Value::from(-((rng.next() >> (1 + rng.below(63))) as i64)),
            4 => Value::from(rng.below(1000) as u64),
            5 => Value::from(FLOATS[rng.below(FLOATS.len())]),
            6 => {
                Number::from_f64(f64::from_bits(rng.next())).map_or(Value::from(0.5), Value::Number)
            }
            _ => Value::from((rng.below(100_000) as f64) / 8.0 - 1000.0),
        }
    }

    /// A random tree, nesting at most 6 deep; `bushy` trees branch more.
    fn random_value(rng: &mut Rng, depth: usize, bushy: bool) -> Value {
        let leaf = depth >= 6 || rng.below(10) < if bushy { 2 + depth / 2 } else { 4 + depth };
        if leaf {
            return match rng.below(10) {
                0 => Value::Null,
                1 => Value::Bool(rng.below(2) == 0),
                2 | 3 => random_number(rng),
                4 if depth < 6 => {
                    if rng.below(2) == 0 {
                        json!([])
                    } else {
                        json!({})
                    }
                }
                _ => Value::String(random_string(rng)),
            };
        }
        if rng.below(2) == 0 {
            Value::Array(
                (0..rng.below(5))
                    .map(|_| random_value(rng, depth + 1, bushy))
                    .collect(),
            )
        } else {
            let mut m = JsonMap::new();
            for _ in 0..rng.below(5) {
                m.insert(random_key(rng), random_value(rng, depth + 1, bushy));
            }
            Value::Object(m)
        }
    }

    /// Whether some key's written form is over serde-saphyr's 1024-character limit for an
    /// implicit key (the one layout the writer declines).
    fn has_long_key(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, v)| k.chars().count() > 1000 || has_long_key(v)),
            Value::Array(a) => a.iter().any(has_long_key),
            _ => false,
        }
    }

    fn check(v: &Value) -> bool {
        let expected = serde_saphyr::to_string(v).expect("serde-saphyr writes every Value");
        match to_string(v) {
            Ok(ours) => {
                assert_eq!(ours, expected, "document: {v:?}");
                true
            }
            Err(e) => {
                assert!(has_long_key(v), "declined ({e}) without a long key: {v:?}");
                false
            }
        }
    }

    #[test]
    fn every_pool_string_in_every_position() {
        let mut declined = 0;
        for s in POOL.iter().chain(PIECES) {
            let s = Value::String(s.to_string());
            let docs = [
                s.clone(),
                json!([s]),
                json!([s, s]),
                json!([[s], [[s, 1]]]),
                json!({ "k": s }),
                json!({ "k": [s, { "k": s, "l": [s] }], "m": { "n": s } }),
                json!([{ "k": s, "l": s }, [{ "k": [s] }]]),
                json!({ "k": [[s, [s]], []], "l": {} }),
            ];
            for d in &docs {
                declined += usize::from(!check(d));
            }
            if let Value::String(k) = &s {
                let mut m = JsonMap::new();
                m.insert(k.clone(), s.clone());
                declined += usize::from(!check(&Value::Object(m.clone())));
                declined += usize::from(!check(&json!([m, { "x": [m] }])));
            }
        }
        assert_eq!(declined, 0);
    }

    #[test]
    fn fast_plain_agrees_with_the_ports() {
        let mut rng = Rng(7);
        let mut strings: Vec<String> = POOL.iter().chain(PIECES).map(|s| s.to_string()).collect();
        strings.extend((0..20_000).map(|_| random_string(&mut rng)));
        strings.extend((0..20_000).map(|_| {
            // Letters first, then anything ASCII.
            let mut s = String::from(["a", "N", "y", "Yes", "nu", "o"][rng.below(6)]);
            for _ in 0..rng.below(6) {
                s.push(char::from(32 + rng.below(95) as u8));
            }
            s
        }));
        for w in [
            "null", "true", "false", "nan", "inf", "yes", "no", "y", "n", "on", "off",
        ] {
            strings.push(w.to_uppercase());
            strings.push(format!("{w}x"));
            strings.push(format!("{w} "));
            strings.push(format!("{w}:"));
        }
        let mut decided = 0;
        for s in &strings {
            if let Some(p) = fast_plain(s) {
                decided += 1;
                let expected = Plain {
                    value: is_plain_value_safe(s, false, false),
                    key: is_plain_safe(s) && is_plain_value_safe(s, false, true),
                };
                assert_eq!(p, expected, "{s:?}");
            }
        }
        assert!(decided > 10_000, "{decided}");
    }

    #[test]
    fn numbers_and_scalars() {
        let docs = [
            json!(null),
            json!(true),
            json!(0),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(-0.0),
            json!(0.1),
            json!(1e300),
            json!(1.0),
            json!(2.5e-10),
            json!({ "a": null, "b": false, "c": 1e21, "d": -1.5e-7, "e": [1, -2, 3.25] }),
            json!([]),
            json!({}),
            json!([[]]),
            json!([{}]),
            json!({ "a": [], "b": {}, "c": [[]], "d": [{}] }),
            json!([[[[1]]], [[{}]], [{ "a": [[1, 2]] }]]),
        ];
        for d in &docs {
            assert!(check(d));
        }
    }

    #[test]
    fn random_documents_match_serde_saphyr() {
        let mut rng = Rng(0x5EED_CAFE_F00D_0001);
        let (mut total, mut declined, mut nodes) = (0usize, 0usize, 0usize);
        fn count(v: &Value) -> usize {
            1 + match v {
                Value::Object(m) => m.values().map(count).sum(),
                Value::Array(a) => a.iter().map(count).sum(),
                _ => 0,
            }
        }
        for i in 0..20_000 {
            // Mostly maps at the root, as the manifest is.
            let bushy = i % 4 == 0;
            let v = if i % 5 == 0 {
                random_value(&mut rng, 0, bushy)
            } else {
                let mut m = JsonMap::new();
                for _ in 0..1 + rng.below(6) {
                    m.insert(random_key(&mut rng), random_value(&mut rng, 1, bushy));
                }
                Value::Object(m)
            };
            nodes += count(&v);
            total += 1;
            declined += usize::from(!check(&v));
        }
        eprintln!("{total} random documents ({nodes} values), {declined} declined");
        assert!(declined * 50 < total, "{declined} of {total} declined");
    }

    #[test]
    fn declines_what_it_does_not_cover() {
        // A key serde-saphyr writes as an explicit `? key`.
        let mut m = JsonMap::new();
        m.insert("k".repeat(1025), json!(1));
        assert!(to_string(&Value::Object(m)).is_err());
        // 1024 characters is still an implicit key.
        let mut m = JsonMap::new();
        m.insert("é".repeat(1024), json!(1));
        assert!(check(&Value::Object(m)));
        // Outside serde_json's data model.
        assert!(to_string(&'c').is_err());
        assert!(to_string(&Some(1u8)).is_err());
        assert!(to_string(&(1, 2)).is_err());
        let mut keyed = std::collections::BTreeMap::new();
        keyed.insert(1u64, 2u64);
        assert!(to_string(&keyed).is_err());
    }
}
