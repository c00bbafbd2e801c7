//! User text in diagrams: made visible first ([`display`]), then escaped for each format.
//!
//! Labels, ids and conditions are arbitrary user text. [`display`] turns a string into lines
//! of printable text: every control character (C0, DEL, C1 — ANSI escapes included), every
//! bidirectional-override or invisible formatting character and every XML noncharacter is
//! shown as Rust's `\u{..}` notation (the notation diagnostics use), so a reviewer sees it
//! and no renderer acts on it; line breaks (`\n`, `\r\n`, `\r`, U+0085, U+2028, U+2029)
//! split lines; a tab is a space. The escapers below then only see printable characters.

/// Whether `c` is shown as `\u{..}` instead of itself.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // bidirectional controls (Trojan Source)
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // invisible: zero width space, word joiner, invisible operators, BOM
        | '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        // noncharacters (XML 1.0 forbids U+FFFE and U+FFFF)
        | '\u{fdd0}'..='\u{fdef}' | '\u{fffe}' | '\u{ffff}')
}

/// `s` as lines of printable text (at least one line).
pub fn display(s: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(String::new());
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => lines.push(String::new()),
            '\t' => push(&mut lines, " "),
            c if is_hidden(c) => push(&mut lines, &format!("\\u{{{:x}}}", c as u32)),
            c => {
                if let Some(l) = lines.last_mut() {
                    l.push(c);
                }
            }
        }
    }
    lines
}

fn push(lines: &mut [String], s: &str) {
    if let Some(l) = lines.last_mut() {
        l.push_str(s);
    }
}

/// [`display`] on one line: line breaks become spaces (for titles and tooltips).
pub fn one_line(s: &str) -> String {
    display(s).join(" ")
}

/// Mermaid text inside a double-quoted label: ASCII letters, digits, space, non-ASCII
/// characters and the punctuation in `.,:/()'?!+=*-_@^~[]$\` are written as they are; every
/// other ASCII character is one of Mermaid's entity codes (`#quot;` for `"`, `#35;` for `#`,
/// `#60;` for `<`...): nothing can end the string, start a directive (`%%{`), an entity, a
/// comment or HTML markup. Lines are joined with `<br>`.
pub fn mermaid(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for c in line.chars() {
            if c.is_ascii_alphanumeric() || !c.is_ascii() || " .,:/()'?!+=*-_@^~[]$\\".contains(c) {
                out.push(c);
            } else if c == '"' {
                out.push_str("#quot;");
            } else {
                out.push_str(&format!("#{};", c as u32));
            }
        }
    }
    out
}

/// XML character data and attribute values (SVG text, Graphviz HTML-like labels).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A Graphviz double-quoted string: `\` and `"` escaped (so no `\N`-style substitution and
/// no end of string); [`display`] already removed line breaks and controls.
pub fn dot_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in one_line(s).chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `line` cut to at most `max` characters, with `…` when cut.
pub fn truncate(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// At most `max_lines` lines of at most `max_chars` characters each (a cut is marked `…`).
pub fn clip(lines: &[String], max_lines: usize, max_chars: usize) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .take(max_lines)
        .map(|l| truncate(l, max_chars))
        .collect();
    if lines.len() > max_lines
        && let Some(last) = out.last_mut()
        && !last.ends_with('…')
    {
        *last = truncate(&format!("{last}…"), max_chars);
        if !last.ends_with('…') {
            last.push('…');
        }
    }
    out
}

/// An estimate of a line's width in pixels at `size` px in a sans-serif font: East Asian
/// wide characters and emoji count one em, others about 0.6 em.
pub fn width(line: &str, size: f64) -> f64 {
    line.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
        .sum::<f64>()
        * size
}

fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115f}' | '\u{2e80}'..='\u{a4cf}' | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}' | '\u{fe30}'..='\u{fe4f}' | '\u{ff00}'..='\u{ff60}'
        | '\u{ffe0}'..='\u{ffe6}' | '\u{1f300}'..='\u{1faff}' | '\u{20000}'..='\u{3fffd}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_controls_and_splits_lines() {
        assert_eq!(display("a\r\nb\rc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(display("\u{1b}[31mred"), ["\\u{1b}[31mred"]);
        assert_eq!(display("x\u{202e}y\u{0}"), ["x\\u{202e}y\\u{0}"]);
        assert_eq!(display("t\tb"), ["t b"]);
        assert_eq!(display(""), [""]);
    }

    #[test]
    fn mermaid_escapes_everything_structural() {
        let s = mermaid(&display("a\"b#c;d<e>f&g`h%i{j}k|l\nm"));
        assert_eq!(
            s,
            "a#quot;b#35;c#59;d#60;e#62;f#38;g#96;h#37;i#123;j#125;k#124;l<br>m"
        );
        assert_eq!(mermaid(&display("x == 'y' 分类")), "x == 'y' 分类");
    }

    #[test]
    fn dot_quoted_escapes() {
        assert_eq!(dot_quoted(r#"a"b\N"#), r#""a\"b\\N""#);
        assert_eq!(dot_quoted("a\nb"), "\"a b\"");
    }

    #[test]
    fn clip_marks_cuts() {
        let l = vec!["abcdef".to_string(), "g".into(), "h".into()];
        assert_eq!(clip(&l, 2, 4), ["abc…", "g…"]);
        assert_eq!(clip(&l, 3, 10), ["abcdef", "g", "h"]);
    }
}
