//! The load stage: read an input (file or stdin) with a size limit, decode UTF-8, and parse
//! JSON strictly (duplicate keys rejected, nesting bounded) into a `serde_json::Value`.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::diagnostics::{Code, Diagnostic};
use crate::span::offset_of_line_col;

pub mod sized;
pub mod tape;
pub mod view;

/// Inputs larger than this are refused before they are read whole (documented in
/// `docs/diagnostics.md`, SF002).
pub const MAX_INPUT_BYTES: u64 = crate::limits::DEFAULT_MAX_INPUT;

/// Name under which standard input appears in diagnostics.
pub const STDIN_NAME: &str = "<stdin>";

/// A named source text, the unit every diagnostic refers to.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given on the command line, or `<stdin>`.
    pub name: String,
    /// The text (without a UTF-8 byte order mark). For input that is not valid UTF-8 this
    /// is a lossy decoding, kept only so the diagnostic can show the surrounding text.
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// Why an input could not be loaded: the diagnostic, and the source text when there is one
/// to point into.
#[derive(Debug)]
pub struct LoadFailure {
    pub diagnostic: Diagnostic,
    pub source: SourceFile,
}

fn io_message(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file".to_string(),
        PermissionDenied => "permission denied".to_string(),
        IsADirectory => "it is a directory".to_string(),
        InvalidData => "the data is not valid".to_string(),
        _ => err.to_string(),
    }
}

/// Reads at most `limit` + 1 bytes from a reader.
fn read_limited(
    name: &str,
    reader: impl Read,
    limit: u64,
    size_hint: u64,
) -> Result<Vec<u8>, LoadFailure> {
    // A file's size, when known, is allocated at once (an 8 MB flow otherwise grows its
    // buffer a dozen times); the limit bounds the hint as it bounds the read.
    let mut buf = Vec::with_capacity(size_hint.min(limit) as usize);
    let fail = |d: Diagnostic| LoadFailure {
        diagnostic: d,
        source: SourceFile::new(name, ""),
    };
    reader.take(limit + 1).read_to_end(&mut buf).map_err(|e| {
        fail(Diagnostic::new(
            Code::Io,
            format!("cannot read '{name}': {}", io_message(&e)),
        ))
    })?;
    if buf.len() as u64 > limit {
        return Err(fail(too_large(format!(
            "'{name}' is larger than the {} input limit",
            crate::limits::shown(limit)
        ))));
    }
    Ok(buf)
}

/// SF002, with the way out.
fn too_large(message: String) -> Diagnostic {
    Diagnostic::new(Code::TooLarge, message)
        .help("the command line's --max-input-size raises the limit (docs/limits.md)")
}

/// Reads raw bytes from a path, or from stdin when the path is `-`.
pub fn read_bytes(path: impl AsRef<Path>) -> Result<(String, Vec<u8>), LoadFailure> {
    read_bytes_limited(path, MAX_INPUT_BYTES)
}

/// [`read_bytes`] with another size limit (YAML manifests are larger than their flows).
pub fn read_bytes_limited(
    path: impl AsRef<Path>,
    limit: u64,
) -> Result<(String, Vec<u8>), LoadFailure> {
    let path_ref = path.as_ref();
    if path_ref.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return read_limited(STDIN_NAME, stdin.lock(), limit, 0)
            .map(|b| (STDIN_NAME.to_string(), b));
    }
    // Names that are not UTF-8 are shown lossily; the file is still read by its real name.
    let display = path_ref.to_string_lossy();
    let path: &str = &display;
    let fail = |msg: String| LoadFailure {
        diagnostic: Diagnostic::new(Code::Io, format!("cannot read '{path}': {msg}")),
        source: SourceFile::new(path, ""),
    };
    let meta = std::fs::metadata(path_ref).map_err(|e| fail(io_message(&e)))?;
    if meta.is_dir() {
        return Err(fail("it is a directory".to_string()));
    }
    if meta.len() > limit {
        return Err(larger_than(path, meta.len(), limit));
    }
    let file = std::fs::File::open(path_ref).map_err(|e| fail(io_message(&e)))?;
    read_limited(path, file, limit, meta.len()).map(|b| (path.to_string(), b))
}

/// Decodes UTF-8 (dropping a leading byte order mark).
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<SourceFile, LoadFailure> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(SourceFile::new(name, text))
        }
        Err(e) => {
            // Offsets are into the text after a byte order mark, as for valid input.
            let bom = if e.as_bytes().starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                0
            };
            let at = e.utf8_error().valid_up_to() - bom;
            let text = String::from_utf8_lossy(&e.as_bytes()[bom..]).into_owned();
            // In the lossy text, the bad byte became U+FFFD at the same offset.
            Err(LoadFailure {
                diagnostic: Diagnostic::new(
                    Code::InvalidUtf8,
                    format!("invalid UTF-8 at byte {at}: JSON text must be UTF-8"),
                )
                .offset(at)
                .label("not UTF-8"),
                source: SourceFile::new(name, text),
            })
        }
    }
}

/// SF002 for an input whose size is known.
fn larger_than(name: &str, size: u64, limit: u64) -> LoadFailure {
    LoadFailure {
        diagnostic: too_large(format!(
            "'{name}' is {size} bytes, larger than the {} input limit",
            crate::limits::shown(limit)
        )),
        source: SourceFile::new(name, ""),
    }
}

/// A source from text already in memory (an editor's buffer), under the same size limit,
/// with the same message, and without its byte order mark, as a file.
pub fn source_from_text(name: &str, text: &str, limit: u64) -> Result<SourceFile, LoadFailure> {
    if text.len() as u64 > limit {
        return Err(larger_than(name, text.len() as u64, limit));
    }
    Ok(SourceFile::new(
        name,
        text.strip_prefix('\u{feff}').unwrap_or(text),
    ))
}

/// Reads and decodes an input path (`-` for stdin).
pub fn read_source(path: impl AsRef<Path>) -> Result<SourceFile, LoadFailure> {
    read_source_with(path, crate::limits::Limits::default())
}

/// [`read_source`] under other limits (`--max-input-size`).
pub fn read_source_with(
    path: impl AsRef<Path>,
    limits: crate::limits::Limits,
) -> Result<SourceFile, LoadFailure> {
    let (name, bytes) = read_bytes_limited(path, limits.max_input())?;
    decode(&name, bytes)
}

const DUPLICATE_MARK: &str = "\u{0}duplicate key ";

const TOO_DEEP_MARK: &str = "\u{0}too deep ";

/// A `Value` deserializer that rejects duplicate object keys and, when `max` is set,
/// nesting deeper than `max` (serde_json's own limit is then off).
#[derive(Clone, Copy)]
struct Strict<'a> {
    depth: usize,
    max: Option<usize>,
    /// Set when a float of integer magnitude past `i64::MAX` was read: only then can an
    /// integer literal have been too big for 64 bits (serde_json reads those as floats),
    /// so only then is the text scanned for one ([`inexact_integer`]).
    huge_float: &'a std::cell::Cell<bool>,
}

/// Floats at least this large may be integer literals past 64 bits (2⁶³ ≈ 9.22e18, with a
/// margin below it).
const HUGE_FLOAT: f64 = 9.0e18;

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor(self))
    }
}

impl Strict<'_> {
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        match self.max {
            Some(max) if self.depth >= max => Err(E::custom(format!("{TOO_DEEP_MARK}{max}"))),
            _ => Ok(Strict {
                depth: self.depth + 1,
                ..self
            }),
        }
    }
}

struct StrictVisitor<'a>(Strict<'a>);

impl<'de> Visitor<'de> for StrictVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        if v.abs() >= HUGE_FLOAT {
            self.0.huge_float.set(true);
        }
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.0.nested()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.0.nested()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // (One hash lookup per key: the vacant entry takes the value.)
            match out.entry(key) {
                serde_json::map::Entry::Occupied(o) => {
                    return Err(de::Error::custom(format!(
                        "{DUPLICATE_MARK}{}",
                        Value::String(o.key().clone())
                    )));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(map.next_value_seed(inner)?);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Strips serde_json's " at line L column C" suffix.
fn bare_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// Parses JSON text strictly: one diagnostic for the first syntax error, duplicate key or
/// excessive nesting (serde_json refuses nesting beyond 127 levels, so no stack overflow).
pub fn parse_json(text: &str) -> Result<Value, Diagnostic> {
    parse_json_limited(text, None)
}

/// [`parse_json`] with nesting allowed up to `max` levels instead of serde_json's 127 (for
/// IR dumps, which nest deeper than flows). Recursion grows with the depth: call it on a
/// stack that can take `max` levels (see `verify::on_large_stack`).
pub fn parse_json_deep(text: &str, max: usize) -> Result<Value, Diagnostic> {
    parse_json_limited(text, Some(max))
}

fn parse_json_limited(text: &str, max: Option<usize>) -> Result<Value, Diagnostic> {
    let mut de = serde_json::Deserializer::from_str(text);
    if max.is_some() {
        de.disable_recursion_limit();
    }
    let huge_float = std::cell::Cell::new(false);
    let result = Strict {
        depth: 0,
        max,
        huge_float: &huge_float,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    if result.is_ok()
        && huge_float.get()
        && let Some((start, end)) = inexact_integer(text)
    {
        return Err(Diagnostic::new(
            Code::InexactInteger,
            format!(
                "integer {} does not fit in 64 bits and a float cannot hold it exactly; write it as a string",
                shorten(&text[start..end])
            ),
        )
        .byte_span(start..end)
        .label("this integer"));
    }
    result.map_err(|err| {
        let offset = offset_of_line_col(text, err.line(), err.column());
        let msg = bare_message(&err);
        if let Some(key) = msg.strip_prefix(DUPLICATE_MARK) {
            // serde_json cannot position errors raised while building a map; find the key.
            let d = Diagnostic::new(Code::DuplicateKey, format!("duplicate key {key}"))
                .label("second occurrence");
            match crate::span::find_duplicate_key(text) {
                Some(span) => d.byte_span(span),
                None => d.offset(0),
            }
        } else if msg.contains("recursion limit exceeded") {
            Diagnostic::new(
                Code::TooDeep,
                "JSON nesting is deeper than 127 levels".to_string(),
            )
            .offset(offset)
        } else if let Some(max) = msg.strip_prefix(TOO_DEEP_MARK) {
            Diagnostic::new(
                Code::TooDeep,
                format!("JSON nesting is deeper than {max} levels"),
            )
            .offset(offset)
        } else {
            let label = if err.is_eof() {
                "input ends here"
            } else {
                "here"
            };
            // serde_json positions at the offending byte; a trailing comma is the comma before.
            let at = if msg == "trailing comma" {
                text[..offset.min(text.len())].rfind(',').unwrap_or(offset)
            } else {
                offset
            };
            Diagnostic::new(Code::JsonSyntax, format!("invalid JSON: {msg}"))
                .offset(at)
                .label(label)
        }
    })
}

/// A long literal, cut for a message.
fn shorten(tok: &str) -> String {
    if tok.len() <= 40 {
        tok.to_string()
    } else {
        format!(
            "{}… ({} digits)",
            &tok[..24],
            tok.trim_start_matches('-').len()
        )
    }
}

/// The first integer literal of `text` (a JSON document that parsed) that fits neither
/// 64-bit integer type and that a 64-bit float cannot hold exactly: serde_json would read
/// it as a float and silently change its digits. Returns its byte range.
fn inexact_integer(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let tok = &text[start..i];
                let digits = tok.trim_start_matches('-');
                if tok.len() > 19
                    && digits.bytes().all(|c| c.is_ascii_digit())
                    && tok.parse::<i64>().is_err()
                    && tok.parse::<u64>().is_err()
                {
                    let exact = tok
                        .parse::<f64>()
                        .is_ok_and(|f| format!("{:.0}", f.abs()) == digits);
                    if !exact {
                        return Some((start, i));
                    }
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// A parse of the value as a `Deserialize` type from an already-parsed `Value`, without
/// consuming it.
pub fn from_value<'a, T: Deserialize<'a>>(v: &'a Value) -> Result<T, serde_json::Error> {
    T::deserialize(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_memory_is_limited_as_a_file_is() {
        let s = source_from_text("b.flow.json", "\u{feff}{}", 5).unwrap();
        assert_eq!(s.text, "{}", "without its byte order mark");
        assert!(
            source_from_text("b.flow.json", "{ }", 3).is_ok(),
            "the limit itself is in"
        );
        let f = source_from_text("b.flow.json", "{  }", 3).unwrap_err();
        assert_eq!(f.diagnostic.code, Code::TooLarge);
        assert_eq!(
            f.diagnostic.message,
            "'b.flow.json' is 4 bytes, larger than the 3-byte input limit"
        );
    }

    #[test]
    fn duplicate_keys_are_rejected_with_position() {
        let src = "{\n  \"a\": 1,\n  \"a\": 2\n}";
        let d = parse_json(src).unwrap_err();
        assert_eq!(d.code, Code::DuplicateKey);
        assert_eq!(d.message, "duplicate key \"a\"");
        let at = src.rfind("\"a\"").unwrap();
        assert_eq!(d.byte_span, Some(at..at + 3));
    }

    #[test]
    fn nested_duplicates_and_order_preserved() {
        assert!(parse_json(r#"{"x": [{"k": 1, "k": 1}]}"#).is_err());
        let v = parse_json(r#"{"b": 1, "a": 2}"#).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["b", "a"]);
    }

    #[test]
    fn inexact_integers_are_refused_exact_ones_kept() {
        for ok in [
            r#"{"a": 18446744073709551615, "b": -9223372036854775808}"#,
            r#"{"a": 100000000000000000000, "b": -100000000000000000000, "c": 1.5e300}"#,
            r#"{"s": "123456789012345678901234567890", "t": "\"123456789012345678901234567890"}"#,
            r#"{"f": 123456789012345678901234567890.5}"#,
        ] {
            assert!(parse_json(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            parse_json(r#"{"a": 100000000000000000000}"#).unwrap()["a"].as_f64(),
            Some(1e20)
        );
        for (bad, lit) in [
            (r#"{"a": 18446744073709551617}"#, "18446744073709551617"),
            (
                r#"{"a": [1, -123456789012345678901]}"#,
                "-123456789012345678901",
            ),
        ] {
            let d = parse_json(bad).unwrap_err();
            assert_eq!(d.code, Code::InexactInteger);
            let start = bad.find(lit).unwrap();
            assert_eq!(d.byte_span, Some(start..start + lit.len()), "{bad}");
        }
        // Just past the 64-bit types: the float gate must let the scan see them.
        assert!(-(i64::MIN as f64) >= HUGE_FLOAT && (u64::MAX as f64) >= HUGE_FLOAT);
        assert_eq!(
            parse_json(r#"[-9223372036854775809]"#).unwrap_err().code,
            Code::InexactInteger
        );
        assert!(
            parse_json(r#"[18446744073709551616]"#).is_ok(),
            "2^64 is exact"
        );
        let long = format!("{{\"a\": {}}}", "7".repeat(60));
        let d = parse_json(&long).unwrap_err();
        assert!(d.message.contains("77777… (60 digits)"), "{}", d.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "[".repeat(10_000) + &"]".repeat(10_000);
        let d = parse_json(&src).unwrap_err();
        assert_eq!(d.code, Code::TooDeep);
    }

    #[test]
    fn nesting_limit_is_127_levels() {
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse_json(&nest(127)).is_ok());
        let d = parse_json(&nest(128)).unwrap_err();
        assert_eq!(d.code, Code::TooDeep);
        assert_eq!(d.offset, Some(127), "points at the 128th bracket");
    }

    #[test]
    fn deep_parsing_stops_at_its_own_limit() {
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(
            parse_json_deep(&nest(300), 300).is_ok(),
            "past serde_json's 127"
        );
        let d = parse_json_deep(&nest(301), 300).unwrap_err();
        assert_eq!(d.code, Code::TooDeep);
        assert_eq!(d.message, "JSON nesting is deeper than 300 levels");
    }

    #[test]
    fn syntax_errors_have_offsets() {
        let d = parse_json("{\"a\": 1,}").unwrap_err();
        assert_eq!(d.code, Code::JsonSyntax);
        assert_eq!(d.offset, Some(7), "points at the trailing comma");
        let d = parse_json("{\"a\" 1}").unwrap_err();
        assert_eq!(d.offset, Some(5), "points at the unexpected value");
        let d = parse_json("{\"a\": 1} x").unwrap_err();
        assert_eq!(d.code, Code::JsonSyntax);
        assert!(parse_json("").is_err());
    }

    #[test]
    fn bom_is_dropped_and_bad_utf8_located() {
        let s = decode("f", b"\xef\xbb\xbf{}".to_vec()).unwrap();
        assert_eq!(s.text, "{}");
        let e = decode("f", b"{\"a\": \"\xff\"}".to_vec()).unwrap_err();
        assert_eq!(e.diagnostic.code, Code::InvalidUtf8);
        assert_eq!(e.diagnostic.offset, Some(7));
        let e = decode("f", b"\xef\xbb\xbf{\"a\": \"\xff\"}".to_vec()).unwrap_err();
        assert_eq!(
            e.diagnostic.offset,
            Some(7),
            "counted after the byte order mark"
        );
        assert_eq!(
            e.diagnostic.message,
            "invalid UTF-8 at byte 7: JSON text must be UTF-8"
        );
    }
}
