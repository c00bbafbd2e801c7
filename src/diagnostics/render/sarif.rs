//! The `sarif` format: one SARIF 2.1.0 log for a whole run, made to pass the SARIF
//! multitool's validator with its GitHub rules and to upload to GitHub code scanning (see
//! "SARIF" in `docs/diagnostics.md` and `docs/ci.md`):
//!
//! - every rule carries its code's explanation as `help`, as text and as Markdown
//!   ([`help_markdown`]), the same text `scaiflow explain CODE` prints;
//! - every `uri` is a valid RFC 3986 reference ([`artifact`]): a relative path is a
//!   percent-encoded relative reference against `%SRCROOT%` (the working directory), an
//!   absolute path a `file:` URI, standard input the reference `%3Cstdin%3E` (`<stdin>`, the
//!   name every other format shows) with a description;
//! - every result has a region ([`region`]): the diagnostic's line and column range; the
//!   whole text for a diagnostic of a text source without a position; and for a source that
//!   was not read as text (a binary SCIR bundle, an input that could not be read) the
//!   insertion point at byte 0, the only region SARIF allows that does not need the bytes.
//!
//! The log depends on the diagnostics alone (no clock, no working directory, no
//! environment): the same run gives the same bytes.

use serde_json::{Value, json};

use super::{json_text, positions, sound};
use crate::diagnostics::{Diagnostic, codes};
use crate::load::{STDIN_NAME, SourceFile};

/// The URI base id of relative paths: the directory scaiflow ran in (the repository root in
/// CI), against which relative paths on the command line are resolved.
const SRCROOT: &str = "%SRCROOT%";

/// GitHub code scanning's limit on `fullDescription.text`, in characters.
const FULL_DESCRIPTION_MAX: usize = 1024;

/// The tool's home page: `homepage` (else `repository`) of Cargo.toml; none when neither is
/// set.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

/// A SARIF 2.1.0 log of all diagnostics of a run.
pub fn sarif(reports: &[(&SourceFile, &[Diagnostic])]) -> Value {
    let mut used: Vec<codes::Code> = reports
        .iter()
        .flat_map(|(_, ds)| ds.iter().map(|d| d.code))
        .collect();
    used.sort();
    used.dedup();
    let rules: Vec<Value> = used.iter().map(|&c| rule(c)).collect();
    let mut results = Vec::new();
    let mut relative = false;
    for (source, diags) in reports {
        let artifact = artifact(&source.name, cfg!(windows));
        relative |= artifact.base.is_some();
        let mut artifact_location = json!({"uri": artifact.uri});
        if let Some(base) = artifact.base {
            artifact_location["uriBaseId"] = json!(base);
        }
        if let Some(text) = artifact.description {
            artifact_location["description"] = json!({"text": text});
        }
        // The region of a whole text, computed once per source and only when needed.
        let mut whole = None;
        for d in diags.iter() {
            let physical = json!({
                "artifactLocation": artifact_location,
                "region": region(source, d, &mut whole),
            });
            let mut location = json!({"physicalLocation": physical});
            if let Some(p) = &d.path {
                location["logicalLocations"] =
                    json!([{"fullyQualifiedName": json_text(&p.to_string())}]);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "level": d.severity.as_str(),
                "message": {"text": json_text(&d.message)},
                "locations": [location],
            });
            if let Some(id) = &d.node_id {
                result["properties"] = json!({"node_id": json_text(id)});
            }
            if let Some(id) = &d.edge_id {
                result["properties"]["edge_id"] = json!(json_text(id));
            }
            results.push(result);
        }
    }
    let mut driver = json!({
        "name": "scaiflow",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
    });
    if let Some(uri) = information_uri() {
        driver["informationUri"] = json!(uri);
    }
    driver["rules"] = json!(rules);
    let mut run = json!({"tool": {"driver": driver}});
    if relative {
        // No `uri`: the absolute directory would differ from machine to machine (SARIF
        // §3.14.14 allows leaving it out, "to produce deterministic output").
        run["originalUriBaseIds"] = json!({SRCROOT: {"description": {
            "text": "The working directory of the run; relative paths on the command line \
                     are relative to it (the repository root in CI)."
        }}});
    }
    run["columnKind"] = json!("unicodeCodePoints");
    run["results"] = json!(results);
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

/// The rule of a code: its title, its explanation (as `help` in text and Markdown, and as
/// `fullDescription` within GitHub's limit), its severity.
fn rule(c: codes::Code) -> Value {
    let info = c.info();
    let severity = info.severity.as_str();
    json!({
        "id": c.as_str(),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": full_description(info.explanation)},
        "help": {"text": info.explanation, "markdown": help_markdown(info.explanation)},
        "defaultConfiguration": {"level": severity},
        // GitHub's recommended properties: how to rank the results (a compiler's
        // diagnostics are exact, not heuristics).
        "properties": {"precision": "very-high", "problem.severity": severity},
    })
}

/// The explanation, or as many of its leading paragraphs as fit GitHub's 1024 characters
/// (the whole text is in `help`); a first paragraph alone too long is cut at a space.
fn full_description(explanation: &str) -> String {
    if explanation.chars().count() <= FULL_DESCRIPTION_MAX {
        return explanation.to_string();
    }
    let mut out = String::new();
    for para in explanation.split("\n\n") {
        let sep = if out.is_empty() { 0 } else { 2 };
        if out.chars().count() + sep + para.chars().count() > FULL_DESCRIPTION_MAX {
            break;
        }
        if sep > 0 {
            out.push_str("\n\n");
        }
        out.push_str(para);
    }
    if out.is_empty() {
        // Room for the ellipsis.
        let cut: String = explanation.chars().take(FULL_DESCRIPTION_MAX - 1).collect();
        let end = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
        out = format!("{}…", cut[..end].trim_end());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Regions.
// ---------------------------------------------------------------------------------------

/// The region of a result: the diagnostic's span as lines and columns (characters); the
/// whole text when a text source has no position for it; the insertion point at byte 0 when
/// there is no text (a binary bundle, whose regions SARIF requires to be binary, or an
/// input that could not be read).
fn region(source: &SourceFile, d: &Diagnostic, whole: &mut Option<Value>) -> Value {
    match &d.location {
        Some(loc) => {
            let l = sound(&source.text, loc);
            json!({
                "startLine": l.line,
                "startColumn": l.column,
                "endLine": l.end_line,
                "endColumn": l.end_column,
            })
        }
        None if source.text.is_empty() => json!({"byteOffset": 0, "byteLength": 0}),
        None => whole
            .get_or_insert_with(|| whole_text(&source.text))
            .clone(),
    }
}

/// The region of a whole (non-empty) text: from line 1, column 1 to just past its last
/// character, on its last line (a final line break ends the last line, SARIF §3.30.2).
fn whole_text(text: &str) -> Value {
    let (body, newline) = match text.strip_suffix('\n') {
        Some(body) => (body, 1),
        None => (text, 0),
    };
    let (end_line, end_column) = positions(body, &[body.len()])[0];
    json!({
        "startLine": 1,
        "startColumn": 1,
        "endLine": end_line,
        "endColumn": end_column + newline,
    })
}

// ---------------------------------------------------------------------------------------
// Artifact URIs.
// ---------------------------------------------------------------------------------------

/// Where a source is, as a SARIF `artifactLocation`.
#[derive(Debug, PartialEq, Eq)]
struct Artifact {
    /// An RFC 3986 URI or relative reference, percent-encoded (ASCII only).
    uri: String,
    /// `%SRCROOT%` for a relative reference to a file.
    base: Option<&'static str>,
    description: Option<&'static str>,
}

/// The `artifactLocation` of a source named `name` (a path as given on the command line,
/// or `<stdin>`). `windows`: whether `\` separates path segments and `C:` names a drive.
fn artifact(name: &str, windows: bool) -> Artifact {
    let file = |uri: String| Artifact {
        uri,
        base: None,
        description: None,
    };
    if name == STDIN_NAME {
        // Not a file: a relative reference (an absolute URI of another scheme than the
        // checkout's makes GitHub reject the upload) that decodes to the name the other
        // formats show.
        return Artifact {
            uri: encode_segment(name),
            base: None,
            description: Some("standard input"),
        };
    }
    if windows {
        // `\\?\C:\x` and `\\?\UNC\host\share\x` are `C:\x` and `\\host\share\x`.
        if let Some(rest) = name.strip_prefix(r"\\?\") {
            return match rest.strip_prefix(r"UNC\") {
                Some(unc) => artifact(&format!(r"\\{unc}"), true),
                None => artifact(rest, true),
            };
        }
        if let Some(unc) = name.strip_prefix(r"\\").or_else(|| name.strip_prefix("//")) {
            // `\\host\share\x` → `file://host/share/x`.
            return file(format!("file://{}", encode_path(unc, true)));
        }
        let b = name.as_bytes();
        if b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/')
        {
            // `C:\x` → `file:///C:/x` (the drive's colon stays: it is not a scheme there).
            return file(format!(
                "file:///{}:/{}",
                &name[..1],
                encode_path(&name[3..], true)
            ));
        }
        if name.starts_with(['\\', '/']) {
            // Rooted on the current drive, which is not known here.
            return file(format!("file://{}", encode_path(name, true)));
        }
    } else if name.starts_with('/') {
        return file(format!("file://{}", encode_path(name, false)));
    }
    // Relative: `.` segments add nothing (`./a/./b` is `a/b`); `..` stays (symbolic links).
    let segments: Vec<&str> = split(name, windows).filter(|s| *s != ".").collect();
    let uri = if segments.is_empty() {
        ".".to_string()
    } else {
        segments
            .iter()
            .map(|s| encode_segment(s))
            .collect::<Vec<_>>()
            .join("/")
    };
    Artifact {
        uri,
        base: Some(SRCROOT),
        description: None,
    }
}

/// The segments of a path: split at `/`, and at `\` on Windows.
fn split(path: &str, windows: bool) -> impl Iterator<Item = &str> {
    path.split(move |c| c == '/' || (windows && c == '\\'))
}

/// A path's segments, each percent-encoded, joined by `/` (empty segments kept, so a
/// leading separator stays).
fn encode_path(path: &str, windows: bool) -> String {
    split(path, windows)
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// One path segment, percent-encoded: every byte of its UTF-8 but the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) as `%XX` (upper-case hex). So `/`, `\`, `%`, `#`, `?`,
/// `:` (a scheme in a first segment), spaces, control characters and all non-ASCII text
/// never reach a URI raw.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for &b in segment.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Help as Markdown.
// ---------------------------------------------------------------------------------------

/// An explanation (plain text: paragraphs, `- ` lists, `code` in backticks, examples
/// indented by four spaces) as GitHub-flavoured Markdown that renders as the text reads:
///
/// - an indented example becomes a fenced code block, set off by blank lines (an indented
///   block right under `Example:` would otherwise run into the paragraph);
/// - in prose, characters Markdown would take for markup are backslash-escaped: `\`, `*`,
///   `[`, `]`, `<` (`core://<tenant>` is not an HTML tag), `&`, `|`, `~`, `_` unless inside
///   a word, an unmatched backtick, and at the start of a line `#`, `>`, `+ `, an ordered
///   list number and a line of only `-`, `=`, `*`, `_`;
/// - backtick code spans and `- ` lists are Markdown already and stay as they are.
pub(super) fn help_markdown(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let is_code = |l: &str| l.starts_with("    ") || l.starts_with('\t');
    let mut out = String::new();
    let mut prose: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_code(lines[i]) {
            prose.push(lines[i]);
            i += 1;
            continue;
        }
        flush_prose(&mut out, &mut prose);
        // The block: indented lines, with the blank lines between them.
        let start = i;
        let next_code = |from: usize| {
            lines[from..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| is_code(l))
        };
        while i < lines.len() && (is_code(lines[i]) || (lines[i].trim().is_empty() && next_code(i)))
        {
            i += 1;
        }
        let block: Vec<&str> = lines[start..i]
            .iter()
            .map(|l| {
                l.strip_prefix("    ")
                    .or_else(|| l.strip_prefix('\t'))
                    .unwrap_or(l.trim_start())
            })
            .collect();
        // A fence longer than any run of backticks inside.
        let longest = block
            .iter()
            .flat_map(|l| l.split(|c| c != '`'))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&fence);
        out.push('\n');
        for l in block {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&fence);
        out.push('\n');
        if i < lines.len() && !lines[i].trim().is_empty() {
            out.push('\n');
        }
    }
    flush_prose(&mut out, &mut prose);
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Appends the collected prose lines, escaped, and empties the collection.
fn flush_prose(out: &mut String, prose: &mut Vec<&str>) {
    if prose.is_empty() {
        return;
    }
    // Trailing spaces would be hard line breaks.
    let text = prose
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push_str(&escape_prose(&text));
    out.push('\n');
    prose.clear();
}

/// Prose with the characters Markdown would read as markup escaped (see [`help_markdown`]).
pub(crate) fn escape_prose(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_start = true;
    let mut i = 0;
    while i < chars.len() {
        if line_start {
            line_start = false;
            // Up to three spaces of indentation keep a line's block meaning.
            while i < chars.len() && chars[i] == ' ' {
                out.push(' ');
                i += 1;
            }
            let line: String = chars[i..].iter().take_while(|&&c| c != '\n').collect();
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            let after = line[digits..].chars().nth(1);
            if line.starts_with(['#', '>'])
                || line.starts_with("+ ")
                || line == "+"
                || (!line.is_empty()
                    && line
                        .chars()
                        .all(|c| matches!(c, '-' | '=' | '*' | '_' | ' ')))
            {
                out.push('\\');
            } else if (1..=9).contains(&digits)
                && line[digits..].starts_with(['.', ')'])
                && after.is_none_or(|c| c == ' ' || c == '\t')
            {
                // `2. ` would start an ordered list: escape its `.` or `)`.
                out.push_str(&line[..digits]);
                out.push('\\');
                i += digits;
            }
            continue;
        }
        let c = chars[i];
        match c {
            '\n' => {
                out.push('\n');
                line_start = true;
                i += 1;
            }
            '`' => {
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                match closing_backticks(&chars, i + run, run) {
                    Some(end) => {
                        // A code span: verbatim, up to and including its closing run.
                        out.extend(&chars[i..end + run]);
                        i = end + run;
                    }
                    None => {
                        for _ in 0..run {
                            out.push_str("\\`");
                        }
                        i += run;
                    }
                }
            }
            '\\' | '*' | '[' | ']' | '<' | '&' | '|' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '_' => {
                let inside_word = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !inside_word {
                    out.push('\\');
                }
                out.push('_');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Where the run of exactly `run` backticks closing a code span opened before `from` starts.
fn closing_backticks(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let n = chars[i..].iter().take_while(|&&c| c == '`').count();
            if n == run {
                return Some(i);
            }
            i += n;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(name: &str, windows: bool) -> (String, Option<&'static str>) {
        let a = artifact(name, windows);
        (a.uri, a.base)
    }

    #[test]
    fn relative_paths_are_encoded_references_against_srcroot() {
        let rel = |s: &str| (s.to_string(), Some(SRCROOT));
        assert_eq!(uri("fixtures/a.json", false), rel("fixtures/a.json"));
        assert_eq!(uri("./x/./a b.json", false), rel("x/a%20b.json"));
        assert_eq!(
            uri("dir with space/flöw #1?.json", false),
            rel("dir%20with%20space/fl%C3%B6w%20%231%3F.json")
        );
        assert_eq!(uri("50%.json", false), rel("50%25.json"));
        assert_eq!(uri("a:b.json", false), rel("a%3Ab.json"), "no scheme");
        assert_eq!(uri(r"a\b.json", false), rel("a%5Cb.json"), "a name on Unix");
        assert_eq!(
            uri(r"a\b.json", true),
            rel("a/b.json"),
            "a separator on Windows"
        );
        assert_eq!(uri("../up/x.json", false), rel("../up/x.json"));
        assert_eq!(
            uri("x\u{1b}[31m\u{202e}.json", false),
            rel("x%1B%5B31m%E2%80%AE.json")
        );
    }

    #[test]
    fn absolute_paths_are_file_uris() {
        assert_eq!(
            uri("/tmp/dir with space/ü.json", false),
            (
                "file:///tmp/dir%20with%20space/%C3%BC.json".to_string(),
                None
            )
        );
        let win = |s: &str| uri(s, true).0;
        assert_eq!(
            win(r"C:\Users\me\a b.json"),
            "file:///C:/Users/me/a%20b.json"
        );
        assert_eq!(win("D:/x/y.json"), "file:///D:/x/y.json");
        assert_eq!(win(r"\\host\share\x.json"), "file://host/share/x.json");
        assert_eq!(win(r"\\?\C:\x.json"), "file:///C:/x.json");
        assert_eq!(
            win(r"\\?\UNC\host\share\x.json"),
            "file://host/share/x.json"
        );
    }

    #[test]
    fn stdin_is_a_described_reference() {
        let a = artifact(STDIN_NAME, false);
        assert_eq!(a.uri, "%3Cstdin%3E");
        assert_eq!(a.base, None);
        assert_eq!(a.description, Some("standard input"));
    }

    #[test]
    fn whole_text_regions_end_on_the_last_line() {
        let r = whole_text("ab\ncdé\n");
        assert_eq!(
            (&r["endLine"], &r["endColumn"]),
            (&json!(2), &json!(5)),
            "past the final line break, on line 2"
        );
        let r = whole_text("ab\ncd");
        assert_eq!((&r["endLine"], &r["endColumn"]), (&json!(2), &json!(3)));
    }

    #[test]
    fn full_descriptions_fit_githubs_limit() {
        for info in codes::ALL {
            let d = full_description(info.explanation);
            assert!(d.chars().count() <= FULL_DESCRIPTION_MAX, "{}", info.code);
            assert!(info.explanation.starts_with(d.trim_end_matches('…')));
        }
        let long = "word ".repeat(400);
        let d = full_description(&long);
        assert!(d.ends_with("word…") && d.chars().count() <= FULL_DESCRIPTION_MAX);
        let paras = format!("{}\n\n{}", "a".repeat(600), "b".repeat(600));
        assert_eq!(full_description(&paras), "a".repeat(600));
    }

    #[test]
    fn markdown_fences_examples_and_escapes_markup() {
        let md = help_markdown(
            "Intro `a_b` and *x* [y] <tenant> a_b _c_ & | ~\n\
             # not a heading\n\
             > not a quote\n\
             2. not a list\n\
             ---\n\
             - a list item\n\
             \x20 continued\n\
             Example:\n    { \"a\": 1 }   <- here\n\n    more\nFix: it.",
        );
        assert_eq!(
            md,
            "Intro `a_b` and \\*x\\* \\[y\\] \\<tenant> a_b \\_c\\_ \\& \\| \\~\n\
             \\# not a heading\n\
             \\> not a quote\n\
             2\\. not a list\n\
             \\---\n\
             - a list item\n\
             \x20 continued\n\
             Example:\n\n```\n{ \"a\": 1 }   <- here\n\nmore\n```\n\nFix: it."
        );
        assert_eq!(
            help_markdown("a ``` b\n    x ``` y"),
            "a \\`\\`\\` b\n\n````\nx ``` y\n````"
        );
    }
}
