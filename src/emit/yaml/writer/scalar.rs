//! Scalar decisions: `ser/quoting.rs`, `parse_scalars.rs` and `ser/wrapping.rs` of
//! serde-saphyr 2.1.1 (<https://crates.io/crates/serde-saphyr>, MIT OR Apache-2.0),
//! verbatim but for the output type, and numbers as `ser/zmij_format.rs` writes them. Each
//! ported item names its source; `fast_plain` and `push_u64` are scaiflow's own.

// The one-pass check for common strings (scaiflow's own, checked against the ports).

/// The plain-or-quoted decisions for a string, as [`fast_plain`] makes them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plain {
    /// `is_plain_value_safe(s, false, false)`: plain as a block value.
    pub(super) value: bool,
    /// `is_plain_safe(s) && is_plain_value_safe(s, false, true)`: plain as a key.
    pub(super) key: bool,
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
pub(super) fn fast_plain(s: &str) -> Option<Plain> {
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

// parse_scalars.rs `yaml_trim`
pub(super) fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

// parse_scalars.rs `parse_yaml11_bool` (whether it parses)
pub(super) fn is_yaml11_bool(s: &str) -> bool {
    let t = yaml_trim(s);
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|b| t.eq_ignore_ascii_case(b))
}

// quoting.rs `is_numeric`
pub(super) fn is_numeric(s: &str, yaml_12: bool) -> bool {
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
pub(super) fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

// quoting.rs `is_digit_run`
pub(super) fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
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
pub(super) fn is_yaml11_sexagesimal(s: &str) -> bool {
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
pub(super) fn is_yaml11_timestamp(mut s: &str) -> bool {
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
pub(super) fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
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
pub(super) fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

// quoting.rs `is_plain_safe` (keys)
pub(super) fn is_plain_safe(s: &str) -> bool {
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
pub(super) fn is_plain_value_safe(s: &str, yaml_12: bool, in_flow: bool) -> bool {
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
pub(super) fn is_block_scalar_content_safe(s: &str) -> bool {
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
pub(super) fn is_controll_which_needs_escaping(ch: char) -> bool {
    ch.is_control()
        || matches!(
            ch,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

// quoting.rs `escape_double_quoted`
pub(super) fn escape_double_quoted(s: &str, out: &mut String) {
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
pub(super) fn push_hex_escape(out: &mut String, kind: char, v: u32, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('\\');
    out.push(kind);
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((v >> (4 * i)) & 0xF) as usize]));
    }
}

// quoting.rs `contains_any_or_is_control`
pub(super) fn contains_any_or_is_control(string: &str, values: &[char]) -> bool {
    string
        .chars()
        .any(|x| is_controll_which_needs_escaping(x) || values.contains(&x))
}

// quoting.rs `has_comment_start`
pub(super) fn has_comment_start(string: &str) -> bool {
    string.match_indices('#').any(|(index, _)| {
        string[..index]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
    })
}

// wrapping.rs `first_line_leading_spaces`
pub(super) fn first_line_leading_spaces(s: &str) -> usize {
    for line in s.split('\n') {
        if !line.is_empty() {
            return line.len() - line.trim_start_matches(' ').len();
        }
    }
    0
}

// wrapping.rs `write_folded_block` (indent already in spaces: `indent_step` 1)
pub(super) fn write_folded_block(out: &mut String, s: &str, indent: usize, folded_wrap_col: usize) {
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

/// `v` in decimal (scaiflow's own: what `itoa` and `fmt` write, without either).
pub(super) fn push_u64(out: &mut String, mut v: u64) {
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
pub(super) fn push_float(out: &mut String, f: f64) {
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
