//! Block sequences and mappings: serde-saphyr 2.1.1 `serializer/compound.rs` (`SeqSer`,
//! `MapSer`, its key sink), the block paths.

use serde::ser::{Impossible, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::scalar::*;
use super::{Declined, INDENT_STEP, SIMPLE_KEY_MAX_LEN, Writer, decline};

/// A block sequence: serializer/compound.rs `SeqSer` (block paths).
pub(super) struct Seq<'a, 's> {
    pub(super) w: &'a mut Writer<'s>,
    pub(super) depth: usize,
    pub(super) first: bool,
}

impl SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Declined;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Declined> {
        let w = &mut *self.w;
        w.spill_if_full();
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
pub(super) struct Map<'a, 's> {
    pub(super) w: &'a mut Writer<'s>,
    pub(super) depth: usize,
    pub(super) align_after_dash: bool,
    /// The announced length: the layout of an empty map differs, so a map that writes
    /// another number of entries than it announced is declined (serde-saphyr then writes
    /// it, as it would have).
    pub(super) len: usize,
    pub(super) entries_written: usize,
}

impl Map<'_, '_> {
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

impl SerializeMap for Map<'_, '_> {
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
        if self.entries_written != self.len {
            return decline("a map of another length than it announced");
        }
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
struct KeySer<'m, 'a, 's> {
    map: &'m mut Map<'a, 's>,
}

impl Serializer for KeySer<'_, '_, '_> {
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
