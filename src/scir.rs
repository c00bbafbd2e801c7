//! The SCIR bundle (`.scir`): the 4 bytes `SCIR`, then one MessagePack value, the IR dict.
//! `docs/scir.md` is the byte-level specification; this module is its implementation.
//!
//! The codec is written for exactly the values an IR dict holds (nil, booleans, integers,
//! float64, UTF-8 strings, arrays, maps with string keys), so that encoding is canonical
//! (one byte sequence per dict) and decoding untrusted bytes is safe: every length is
//! checked against the bytes that remain before anything is allocated, nesting is bounded,
//! and each problem is an error at a byte offset — never a panic.

use serde_json::{Map, Number, Value};

use crate::emit::Sink;

/// The magic bytes every bundle starts with.
pub const MAGIC: &[u8; 4] = b"SCIR";

/// How deeply arrays and maps may nest in a bundle: above anything the compiler emits
/// (blocks nest at most `lower::MAX_NESTING` levels, four IR levels each, and node configs
/// at most 127). The decoder itself is iterative; the bound protects what walks the result.
pub const MAX_DEPTH: usize = 1024;

/// How many values (map keys included) a bundle may hold. Each costs a few dozen bytes
/// decoded; the bound keeps a 16 MiB file of one-byte values from taking gigabytes. The
/// largest flow the compiler accepts (16 MiB of JSON) yields far fewer.
pub const MAX_VALUES: usize = 2_000_000;

/// The values [`decode`] counts against its limit for this dict: every value, and every
/// map key. Stops counting past `max + 1`.
pub fn value_count_upto(v: &Value, max: usize) -> usize {
    let mut count = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        if count > max {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => {
                count += m.len();
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    count
}

/// A bundle that cannot be decoded: what is wrong, at which byte of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

/// The bundle of an IR dict: `SCIR` and its MessagePack encoding.
pub fn encode(ir: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_into(ir, &mut bytes);
    bytes
}

/// [`encode`] into `sink`, handed over [`Sink::chunk_size`] bytes or more at a time (after
/// an array's element or a map's entry, so a long string stays in one chunk): the bundle's
/// size in bytes.
pub fn encode_into(ir: &Value, sink: &mut dyn Sink) -> u64 {
    let chunk = sink.chunk_size();
    let mut out = Out {
        buf: Vec::with_capacity(crate::emit::first_capacity(chunk, 4096)),
        sink,
        chunk,
        handed: 0,
    };
    out.buf.extend_from_slice(MAGIC);
    write_value(&mut out, ir);
    crate::emit::finish(out.buf, out.sink, out.handed)
}

/// Decodes a bundle back into the IR dict (at most [`MAX_VALUES`] values).
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    decode_upto(bytes, MAX_VALUES)
}

/// [`decode`] with another value limit (`--max-input-size` raises it: docs/limits.md).
pub fn decode_upto(bytes: &[u8], max_values: usize) -> Result<Value, DecodeError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        let shown: String = bytes
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        let found = if bytes.is_empty() {
            "an empty file".to_string()
        } else {
            format!("{shown} ({})", printable(&bytes[..bytes.len().min(4)]))
        };
        return Err(DecodeError {
            offset: 0,
            message: format!(
                "not a SCIR bundle: expected the magic bytes 53 43 49 52 (\"SCIR\"), found {found}"
            ),
        });
    }
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
        max_values,
    };
    if r.pos == bytes.len() {
        return Err(r.error("the bundle ends after the magic bytes; the IR dict is missing"));
    }
    let v = r.value()?;
    if r.pos != bytes.len() {
        return Err(r.error(&format!(
            "{} trailing byte{} after the IR dict",
            bytes.len() - r.pos,
            if bytes.len() - r.pos == 1 { "" } else { "s" }
        )));
    }
    Ok(v)
}

fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&c| if c.is_ascii_graphic() { c as char } else { '.' })
        .collect()
}

// ----- encoding -------------------------------------------------------------------------

/// Where the encoder writes: a buffer, handed to the sink once it holds a chunk.
struct Out<'s> {
    buf: Vec<u8>,
    sink: &'s mut dyn Sink,
    chunk: usize,
    /// The bytes handed to the sink so far.
    handed: u64,
}

impl Out<'_> {
    /// Hands the buffer to the sink if it holds a chunk.
    fn spill_if_full(&mut self) {
        crate::emit::spill_if_full(&mut self.buf, self.sink, self.chunk, &mut self.handed);
    }
}

fn write_value(out: &mut Out<'_>, v: &Value) {
    match v {
        Value::Null => out.buf.push(0xc0),
        Value::Bool(false) => out.buf.push(0xc2),
        Value::Bool(true) => out.buf.push(0xc3),
        Value::Number(n) => write_number(&mut out.buf, n),
        Value::String(s) => write_str(&mut out.buf, s),
        Value::Array(a) => {
            write_len(&mut out.buf, a.len(), 0x90, 0xdc, 0xdd);
            for x in a {
                write_value(out, x);
                out.spill_if_full();
            }
        }
        Value::Object(m) => {
            write_len(&mut out.buf, m.len(), 0x80, 0xde, 0xdf);
            for (k, x) in m {
                write_str(&mut out.buf, k);
                write_value(out, x);
                out.spill_if_full();
            }
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        match u {
            0..=0x7f => out.push(u as u8),
            0x80..=0xff => out.extend_from_slice(&[0xcc, u as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(u as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(u as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            }
        }
    } else if let Some(i) = n.as_i64() {
        // Negative (non-negative integers are u64 above).
        match i {
            -32..=-1 => out.push(i as i8 as u8),
            -128..=-33 => out.extend_from_slice(&[0xd0, i as i8 as u8]),
            -32768..=-129 => {
                out.push(0xd1);
                out.extend_from_slice(&(i as i16).to_be_bytes());
            }
            -2_147_483_648..=-32769 => {
                out.push(0xd2);
                out.extend_from_slice(&(i as i32).to_be_bytes());
            }
            _ => {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

/// The header of an array or map of `n` elements: fix form below 16, then 16- and 32-bit.
fn write_len(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n < 16 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

// ----- decoding -------------------------------------------------------------------------

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    max_values: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes, or a "truncated" error naming what was being read.
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], DecodeError> {
        if self.remaining() < n {
            return Err(self.error(&format!(
                "truncated: {what} needs {n} byte{}, {} remain",
                if n == 1 { "" } else { "s" },
                self.remaining()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize, what: &str) -> Result<u64, DecodeError> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Decodes one value. Iterative: containers being filled are kept on an explicit
    /// stack, so hostile nesting costs heap (bounded by [`MAX_DEPTH`]), never call stack.
    fn value(&mut self) -> Result<Value, DecodeError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut count = 0usize;
        loop {
            // Where the next value goes: a map in want of a key reads a key first.
            let want_key = matches!(stack.last(), Some(Frame::Map { key: None, .. }));
            let at = self.pos;
            count += 1;
            if count > self.max_values {
                return Err(self.error(&format!(
                    "more than {} values (keys included); no IR dict is that large",
                    self.max_values
                )));
            }
            let mut v = match self.scalar_or_open()? {
                Item::Value(v) => v,
                Item::Open(frame) => {
                    if want_key {
                        self.pos = at;
                        return Err(
                            self.error(&format!("map keys are strings; found {}", frame.kind()))
                        );
                    }
                    if stack.len() + 1 > MAX_DEPTH {
                        self.pos = at;
                        return Err(self.error(&format!(
                            "arrays and maps nest more than {MAX_DEPTH} levels deep"
                        )));
                    }
                    if frame.left() > 0 {
                        stack.push(frame);
                        continue;
                    }
                    frame.finish()
                }
            };
            // Store the finished value; close every container it completes.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(v);
                };
                match top {
                    Frame::Map { key: None, .. } => {
                        let Value::String(k) = v else {
                            self.pos = at;
                            return Err(
                                self.error(&format!("map keys are strings; found {}", kind_of(&v)))
                            );
                        };
                        if let Frame::Map { map, .. } = &stack[stack.len() - 1]
                            && map.contains_key(&k)
                        {
                            self.pos = at;
                            return Err(
                                self.error(&format!("duplicate map key {}", Value::String(k)))
                            );
                        }
                        if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                            *key = Some(k);
                        }
                        break;
                    }
                    Frame::Map { map, key, left } => {
                        if let Some(k) = key.take() {
                            map.insert(k, v);
                        }
                        *left -= 1;
                    }
                    Frame::Array { items, left } => {
                        items.push(v);
                        *left -= 1;
                    }
                }
                if stack.last().is_some_and(|f| f.left() == 0) {
                    v = stack.pop().map(Frame::finish).unwrap_or(Value::Null);
                } else {
                    break;
                }
            }
        }
    }

    /// Reads a scalar, or the header of an array or map (checked against the bytes left:
    /// every element takes at least one byte, a map entry two).
    fn scalar_or_open(&mut self) -> Result<Item, DecodeError> {
        let at = self.pos;
        let tag = self.take(1, "a value")?[0];
        let (n, map) = match tag {
            0x80..=0x8f => (usize::from(tag & 0x0f), true),
            0x90..=0x9f => (usize::from(tag & 0x0f), false),
            0xdc => (self.be(2, "an array16 length")? as usize, false),
            0xdd => (self.be(4, "an array32 length")? as usize, false),
            0xde => (self.be(2, "a map16 length")? as usize, true),
            0xdf => (self.be(4, "a map32 length")? as usize, true),
            _ => return self.scalar(tag, at).map(Item::Value),
        };
        let per = if map { 2 } else { 1 };
        if n.saturating_mul(per) > self.remaining() {
            let left = self.remaining();
            self.pos = at;
            return Err(self.error(&format!(
                "truncated: {} declares {n} element{}, but only {left} byte{} remain",
                if map { "a map" } else { "an array" },
                if n == 1 { "" } else { "s" },
                if left == 1 { "" } else { "s" }
            )));
        }
        Ok(Item::Open(if map {
            Frame::Map {
                map: Map::new(),
                key: None,
                left: n,
            }
        } else {
            // Grown as elements arrive: a count is a claim, not a promise.
            Frame::Array {
                items: Vec::with_capacity(n.min(1024)),
                left: n,
            }
        }))
    }

    fn scalar(&mut self, tag: u8, at: usize) -> Result<Value, DecodeError> {
        let v = match tag {
            0x00..=0x7f => Value::from(tag),
            0xa0..=0xbf => self.str(usize::from(tag & 0x1f))?,
            0xc0 => Value::Null,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xca => {
                let f = f32::from_bits(self.be(4, "a float32")? as u32);
                self.float(f64::from(f), at)?
            }
            0xcb => {
                let f = f64::from_bits(self.be(8, "a float64")?);
                self.float(f, at)?
            }
            0xcc => Value::from(self.be(1, "a uint8")?),
            0xcd => Value::from(self.be(2, "a uint16")?),
            0xce => Value::from(self.be(4, "a uint32")?),
            0xcf => Value::from(self.be(8, "a uint64")?),
            0xd0 => Value::from(self.be(1, "an int8")? as u8 as i8),
            0xd1 => Value::from(self.be(2, "an int16")? as u16 as i16),
            0xd2 => Value::from(self.be(4, "an int32")? as u32 as i32),
            0xd3 => Value::from(self.be(8, "an int64")? as i64),
            0xd9 => {
                let n = self.be(1, "a str8 length")?;
                self.str(n as usize)?
            }
            0xda => {
                let n = self.be(2, "a str16 length")?;
                self.str(n as usize)?
            }
            0xdb => {
                let n = self.be(4, "a str32 length")?;
                self.str(n as usize)?
            }
            0xe0..=0xff => Value::from(tag as i8),
            0xc4..=0xc6 => {
                self.pos = at;
                return Err(self.error(&format!(
                    "MessagePack binary data (type byte 0x{tag:02x}) has no place in an IR dict"
                )));
            }
            0xc7..=0xc9 | 0xd4..=0xd8 => {
                self.pos = at;
                return Err(self.error(&format!(
                    "MessagePack extension types (type byte 0x{tag:02x}) have no place in an IR dict"
                )));
            }
            _ => {
                self.pos = at;
                return Err(self.error(&format!("0x{tag:02x} is not a MessagePack type byte")));
            }
        };
        Ok(v)
    }

    fn float(&mut self, f: f64, at: usize) -> Result<Value, DecodeError> {
        Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            self.pos = at;
            self.error(&format!(
                "the float {f} is not finite; IR numbers are finite"
            ))
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, DecodeError> {
        let start = self.pos;
        let raw = self.take(n, "a string")?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(Value::String(s.to_string())),
            Err(e) => Err(DecodeError {
                offset: start + e.valid_up_to(),
                message: "a string is not valid UTF-8".into(),
            }),
        }
    }
}

enum Item {
    Value(Value),
    Open(Frame),
}

/// A container being filled.
enum Frame {
    Array {
        items: Vec<Value>,
        left: usize,
    },
    Map {
        map: Map<String, Value>,
        /// The key read for the next entry, if any.
        key: Option<String>,
        left: usize,
    },
}

impl Frame {
    fn left(&self) -> usize {
        match self {
            Frame::Array { left, .. } | Frame::Map { left, .. } => *left,
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            Frame::Array { .. } => "an array",
            Frame::Map { .. } => "a map",
        }
    }
    fn finish(self) -> Value {
        match self {
            Frame::Array { items, .. } => Value::Array(items),
            Frame::Map { map, .. } => Value::Object(map),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round(v: Value) {
        let b = encode(&v);
        assert_eq!(decode(&b).unwrap(), v, "{v}");
    }

    #[test]
    fn values_round_trip_with_their_types() {
        round(
            json!({"schema_version": 1, "a": [null, true, false, 0, 127, 128, 255, 256,
            65535, 65536, 4294967295u64, 4294967296u64, u64::MAX, -1, -32, -33, -128, -129,
            -32768, -32769, -2147483648i64, -2147483649i64, i64::MIN, 0.5, -0.0, 1e300, 3.0,
            "", "x".repeat(31), "y".repeat(32), "z".repeat(256), "w".repeat(65536), "é✓"]}),
        );
        let big: Map<String, Value> = (0..70000).map(|i| (format!("k{i}"), json!(i))).collect();
        // (70,000 keys and values, well under MAX_VALUES.)
        round(Value::Object(big));
        round(json!((0..70000).collect::<Vec<_>>()));
    }

    #[test]
    fn integers_use_the_smallest_encoding_and_floats_float64() {
        let cases: &[(Value, &[u8])] = &[
            (json!(5), &[0x05]),
            (json!(200), &[0xcc, 200]),
            (json!(-5), &[0xfb]),
            (json!(-100), &[0xd0, 0x9c]),
            (json!(1000), &[0xcd, 0x03, 0xe8]),
            (json!(3.0), &[0xcb, 0x40, 0x08, 0, 0, 0, 0, 0, 0]),
            (json!("ab"), &[0xa2, b'a', b'b']),
            (json!(null), &[0xc0]),
        ];
        for (v, bytes) in cases {
            assert_eq!(&encode(v)[4..], *bytes, "{v}");
        }
        assert_eq!(encode(&json!({"k": [1]})), b"SCIR\x81\xa1k\x91\x01");
    }

    #[test]
    fn hostile_bytes_are_errors_with_offsets() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"", 0, "not a SCIR bundle"),
            (b"SCIX\x80", 0, "found 53 43 49 58 (SCIX)"),
            (b"SCIR", 4, "the IR dict is missing"),
            (b"SCIR\x80\x00", 5, "1 trailing byte"),
            // A 4-byte header that claims 4 billion elements.
            (
                b"SCIR\xdd\xff\xff\xff\xff",
                4,
                "declares 4294967295 elements, but only 0 bytes remain",
            ),
            (
                b"SCIR\xdf\xff\xff\xff\xff\x00",
                4,
                "a map declares 4294967295 elements",
            ),
            (
                b"SCIR\xdb\xff\xff\xff\xffab",
                9,
                "truncated: a string needs 4294967295 bytes, 2 remain",
            ),
            (b"SCIR\xcb\x00", 5, "a float64 needs 8 bytes"),
            (
                b"SCIR\x81\x01\x02",
                5,
                "map keys are strings; found a number",
            ),
            (b"SCIR\x82\xa1k\x01\xa1k\x02", 8, "duplicate map key \"k\""),
            (b"SCIR\xc4\x01\x00", 4, "binary data"),
            (b"SCIR\xd4\x01\x00", 4, "extension types"),
            (b"SCIR\xc1", 4, "not a MessagePack type byte"),
            (b"SCIR\xa2\xff\xfe", 5, "not valid UTF-8"),
            (b"SCIR\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 4, "not finite"),
        ];
        for (bytes, offset, msg) in cases {
            let e = decode(bytes).unwrap_err();
            assert_eq!(e.offset, *offset, "{bytes:?}: {e}");
            assert!(e.message.contains(msg), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn the_number_of_values_is_bounded() {
        let mut b = b"SCIR\xdd".to_vec();
        let n = MAX_VALUES as u32;
        b.extend_from_slice(&n.to_be_bytes());
        b.extend(std::iter::repeat_n(0xc0u8, MAX_VALUES));
        let e = decode(&b).unwrap_err();
        assert!(e.message.contains("more than 2000000 values"), "{e}");
        b.truncate(b.len() - 1);
        b[5..9].copy_from_slice(&(n - 1).to_be_bytes());
        assert!(decode(&b).is_ok(), "one array and MAX_VALUES - 1 nils fit");
    }

    #[test]
    fn nesting_is_bounded_without_recursion_trouble() {
        let mut deep = b"SCIR".to_vec();
        deep.extend(std::iter::repeat_n(0x91u8, 100_000));
        deep.push(0xc0);
        let e = decode(&deep).unwrap_err();
        assert!(
            e.message.contains(&format!("nest more than {MAX_DEPTH}")),
            "{e}"
        );
        let mut ok = b"SCIR".to_vec();
        ok.extend(std::iter::repeat_n(0x91u8, MAX_DEPTH));
        ok.push(0xc0);
        assert!(decode(&ok).is_ok());
    }

    #[test]
    fn every_truncation_of_a_bundle_is_an_error_never_a_panic() {
        let b = encode(
            &json!({"schema_version": 1, "flows": [{"name": "f", "body": [
            {"kind": "rigid", "x": 1.5, "s": "y".repeat(300)}]}], "n": -70000}),
        );
        for cut in 0..b.len() {
            assert!(decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        // Every single-byte corruption decodes or fails cleanly.
        for i in 4..b.len() {
            for x in [0x00, 0x7f, 0xc1, 0xdd, 0xff] {
                let mut c = b.clone();
                c[i] = x;
                let _ = decode(&c);
            }
        }
    }
}
