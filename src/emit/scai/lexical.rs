//! ScaiCore's lexical rules as the `.scai` text needs them: identifiers sanitised from user
//! text, string literals, expressions kept as code only when they lex as one, types from
//! JSON Schema.

use std::fmt::Write as _;

use serde_json::Value;

use super::INDENT;
use crate::model::RESERVED_WORDS;

/// An identifier from user text: `[a-z_][a-zA-Z0-9_]*`, not a reserved word. A text that
/// is one is kept; otherwise ASCII letters and digits stay, an upper-case first letter is
/// lowered, other characters become `_` (runs collapse), a leading digit gets a `_`
/// prefix, a reserved word a `_` suffix; an empty result is `_`.
pub fn identifier(text: &str) -> String {
    // A name that already is one stays as it is: expressions and templates refer to it.
    if crate::model::is_identifier(text) {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if let Some(first) = out.chars().next()
        && first.is_ascii_uppercase()
    {
        out.replace_range(..1, &first.to_ascii_lowercase().to_string());
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out.is_empty() {
        out.push('_');
    }
    if RESERVED_WORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A type name from user text: `[A-Z][a-zA-Z0-9_]*` in PascalCase (`customer support` →
/// `CustomerSupport`); `Core` when nothing is left.
pub fn type_name(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if !out.starts_with(|c: char| c.is_ascii_uppercase()) {
        out.insert_str(0, "Core");
    }
    out
}

/// A string literal: `"…"` with `\"`, `\\`, `\n`, `\r`, `\t` and `\u{…}` escapes, or a
/// `"""…"""` block for multi-line text that needs no escape at all.
pub fn string(s: &str) -> String {
    let plain_block = s.contains('\n')
        && !s.contains("\"\"\"")
        && !s.contains('\\')
        && !s.ends_with('"')
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}'));
    if plain_block {
        return format!("\"\"\"{s}\"\"\"");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `text` can stand in the source as an expression: identifiers (not reserved
/// words), numbers, durations, `'…'`/`"…"` strings without escapes, comparison, logic and
/// arithmetic operators, member access (`a.b`), calls and indexing with balanced `( )` and
/// `[ ]`, commas inside them — with an operator between any two operands, and no `=` of
/// its own (`==`, `!=`, `<=`, `>=` only). Anything else is written as a string literal.
pub fn is_plain_expression(text: &str) -> bool {
    #[derive(PartialEq, Clone, Copy)]
    enum T {
        Operand,
        Op,
        Open,
        Close,
        Comma,
        Dot,
    }
    let b: Vec<char> = text.trim().chars().collect();
    if b.is_empty() {
        return false;
    }
    let mut toks: Vec<T> = Vec::new();
    let mut depth: Vec<char> = Vec::new();
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < b.len() {
        let c = b[i];
        let t = match c {
            ' ' | '\t' => {
                i += 1;
                continue;
            }
            '\'' | '"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == '\\' || b[i].is_control() {
                        return false;
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return false;
                }
                i += 1;
                T::Operand
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                let mut w: String = b[start..i].iter().collect();
                // A fraction, and an exponent with a sign.
                if i + 1 < b.len() && b[i] == '.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    let f = i;
                    while i < b.len() && word(b[i]) {
                        i += 1;
                    }
                    w.push('.');
                    w.extend(&b[f..i]);
                }
                if (w.ends_with('e') || w.ends_with('E'))
                    && i + 1 < b.len()
                    && matches!(b[i], '+' | '-')
                    && b[i + 1].is_ascii_digit()
                {
                    w.push(b[i]);
                    i += 1;
                    let f = i;
                    while i < b.len() && word(b[i]) {
                        i += 1;
                    }
                    w.extend(&b[f..i]);
                }
                if !number_lexes(&w) {
                    return false;
                }
                T::Operand
            }
            c if word(c) => {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                let w: String = b[start..i].iter().collect();
                if RESERVED_WORDS.contains(&w.as_str())
                    && !matches!(w.as_str(), "true" | "false" | "null")
                {
                    return false;
                }
                // A member name after `.` completes the operand before it.
                if toks.last() == Some(&T::Dot) {
                    toks.pop();
                    continue;
                }
                T::Operand
            }
            '.' => {
                i += 1;
                if !matches!(toks.last(), Some(T::Operand | T::Close))
                    || !b
                        .get(i)
                        .is_some_and(|&n| n.is_ascii_alphabetic() || n == '_')
                {
                    return false;
                }
                T::Dot
            }
            '(' | '[' => {
                i += 1;
                depth.push(c);
                T::Open
            }
            ')' | ']' => {
                i += 1;
                let open = if c == ')' { '(' } else { '[' };
                if depth.pop() != Some(open) || toks.last() == Some(&T::Comma) {
                    return false;
                }
                T::Close
            }
            ',' => {
                i += 1;
                if depth.is_empty() {
                    return false;
                }
                T::Comma
            }
            _ => {
                // Operators: two-character ones first; a lone `=` is not one, and `//`
                // or `/*` would open a comment.
                let two: String = b[i..(i + 2).min(b.len())].iter().collect();
                if matches!(two.as_str(), "//" | "/*" | "*/") {
                    return false;
                }
                if matches!(two.as_str(), "==" | "!=" | "<=" | ">=" | "&&" | "||") {
                    i += 2;
                } else if matches!(c, '<' | '>' | '+' | '-' | '*' | '/' | '%' | '!') {
                    i += 1;
                } else {
                    return false;
                }
                if b.get(i) == Some(&'=') {
                    return false;
                }
                // Only `!` and `-` may stand where an operand is expected (unary).
                let unary = matches!(c, '!' | '-') && two != "!=";
                if !unary && !matches!(toks.last(), Some(T::Operand | T::Close)) {
                    return false;
                }
                T::Op
            }
        };
        // Two operands in a row (`a b`, `'x''y'`) need an operator between them; a call
        // or an index follows an operand directly.
        if t == T::Operand && matches!(toks.last(), Some(T::Operand | T::Close)) {
            return false;
        }
        toks.push(t);
    }
    depth.is_empty() && !matches!(toks.last(), Some(T::Op | T::Comma | T::Open))
}

/// Whether a word starting with a digit lexes as a number (`12`, `1.5`, `1e3`, `1e-3`) or a
/// duration (`30s`); `1st`, `1_000` or `0x1F` do not.
fn number_lexes(w: &str) -> bool {
    let int = w.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = match int.strip_prefix('.') {
        Some(f) => {
            let f2 = f.trim_start_matches(|c: char| c.is_ascii_digit());
            if f2.len() == f.len() {
                return false;
            }
            f2
        }
        None => int,
    };
    match rest {
        "" => true,
        "s" | "m" | "h" | "d" | "w" => int == rest,
        e => e
            .strip_prefix(['e', 'E'])
            .map(|x| x.strip_prefix(['+', '-']).unwrap_or(x))
            .is_some_and(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())),
    }
}

/// The expression inside a template that is exactly one `{{ expr }}`, if it is one.
pub(super) fn sole_template_expression(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && is_plain_expression(inner))
        .then(|| inner.trim())
}

/// A condition or item expression: the expression itself when it lexes as one (a single
/// `{{ expr }}` template unwrapped), else a string literal.
pub(super) fn expression(text: &str) -> String {
    if let Some(e) = sole_template_expression(text) {
        return double_quoted(e);
    }
    if is_plain_expression(text) {
        return double_quoted(text.trim());
    }
    string(text)
}

/// A plain expression with its `'…'` strings written as ScaiCore's `"…"` strings (the
/// lexical rules know no single quotes); the strings' text is unchanged.
pub(super) fn double_quoted(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let inner: String = chars.by_ref().take_while(|&x| x != c).collect();
                out.push_str(&string(&inner));
            }
            c => out.push(c),
        }
    }
    out
}

/// `{ a  b }` on one line when short, else one entry per line, indented under `depth`.
pub(super) fn braced(entries: &[String], depth: usize) -> String {
    let one = format!("{{ {} }}", entries.join("  "));
    if one.len() <= 80 && !one.contains('\n') {
        return one;
    }
    let pad = INDENT.repeat(depth + 1);
    let body: Vec<String> = entries.iter().map(|f| format!("{pad}{f}")).collect();
    format!("{{\n{}\n{}}}", body.join("\n"), INDENT.repeat(depth))
}

/// Whether `text` is written as code (a plain expression, or one `{{ expr }}`).
pub(super) fn is_code(text: &str) -> bool {
    sole_template_expression(text).is_some() || is_plain_expression(text)
}

/// `{ expr }` for a guard or a validation rule that is code, else a string literal.
pub(super) fn braced_expression(text: &str) -> String {
    if is_code(text) {
        format!("{{ {} }}", expression(text))
    } else {
        string(text)
    }
}

/// A map key: the key itself when it is an identifier, else a string.
pub(super) fn field_key(k: &str) -> String {
    if crate::model::is_identifier(k) {
        k.to_string()
    } else {
        string(k)
    }
}

/// Text for a `//` comment: one line.
pub(super) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A node's `output_schema` (JSON Schema) as a ScaiCore type: objects become
/// `{ field: type … }`, arrays `[type]`, `string`/`integer`/`number`/`boolean` become
/// `string`/`int`/`float`/`bool`; anything else `object`.
pub(super) fn output_type(schema: &Value, depth: usize) -> String {
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("string") => "string".into(),
        Some("integer") => "int".into(),
        Some("number") => "float".into(),
        Some("boolean") => "bool".into(),
        Some("array") => format!(
            "[{}]",
            schema
                .get("items")
                .map_or_else(|| "object".to_string(), |i| output_type(i, depth))
        ),
        Some("object") | None => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return "object".into();
            };
            if props.is_empty() {
                return "object".into();
            }
            let fields: Vec<String> = props
                .iter()
                .map(|(k, v)| format!("{}: {}", field_key(k), output_type(v, depth + 1)))
                .collect();
            braced(&fields, depth)
        }
        Some(_) => "object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_sanitised() {
        for (text, want) in [
            ("classify", "classify"),
            ("Classify Intent", "classify_Intent"),
            ("1st", "_1st"),
            ("match", "match_"),
            ("", "_"),
            ("héllo wörld", "h_llo_w_rld"),
            ("a--b", "a_b"),
        ] {
            assert_eq!(identifier(text), want, "{text}");
            assert!(crate::model::is_identifier(&identifier(text)), "{text}");
        }
        assert_eq!(type_name("customer support agent"), "CustomerSupportAgent");
        assert_eq!(type_name("3 d"), "Core3D");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(string("two\nlines"), "\"\"\"two\nlines\"\"\"");
        assert_eq!(
            string("has \"\"\"\nquotes"),
            "\"has \\\"\\\"\\\"\\nquotes\""
        );
        assert_eq!(string("bell\u{7}"), "\"bell\\u{7}\"");
    }

    #[test]
    fn only_plain_expressions_stay_expressions() {
        for ok in [
            "intent == 'refund'",
            "a.b > 0.7 && !c",
            "f(x, [1, 2])",
            "n < 1e3",
            "t > 30s",
        ] {
            assert!(is_plain_expression(ok), "{ok}");
        }
        for bad in [
            "a } b",
            "x // y",
            "'unterminated",
            "a: b",
            "@core",
            "(a",
            "{{x}}",
            "a\\'b",
            "input.type == 'x'",
            "match > 1",
            "1_000",
            "count > 1st",
        ] {
            assert!(!is_plain_expression(bad), "{bad}");
        }
    }
}
