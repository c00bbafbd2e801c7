//! Rendering is safe for every span and every text, in every message format:
//!
//! - positions: a diagnostic span at *every* byte offset of files full of multi-byte
//!   characters, CRLF, tabs, a BOM and lines longer than the excerpt window (offsets inside
//!   characters and at EOF included) renders without a panic in every format; the JSON and
//!   SARIF outputs parse; every reported position lies on a char boundary and its line and
//!   column (in characters, the documented unit) agree with the span in every format;
//! - terminal safety: user text (messages, labels, help, related messages, file names, source
//!   lines) never reaches the output with a raw control character (ESC, CSI, CR, LF, …) or a
//!   bidirectional control, and never starts a line of its own.
//!
//! The exhaustive loops are deterministic (no property-testing dependency): every offset, and
//! every span of up to `MAX_SPAN` bytes, of every text.

use std::path::Path;
use std::process::{Output, Stdio};

mod common;

use scaiflow::diagnostics::render;
use scaiflow::diagnostics::{Code, Diagnostic, JsonPath, Location, Related};
use scaiflow::load::SourceFile;
use serde_json::Value;

/// At every start offset, spans of 0 to 4 bytes and of this many are tried (with the
/// spans to EOF, from the start of the file and reversed ones): every offset is a start and
/// an end, inside characters of up to 4 bytes at both ends.
const MAX_SPAN: usize = 9;

/// Text that must never reach an output raw, put into every piece of user text.
const HOSTILE: &str = "\u{1b}[2J\u{1b}[31mPWNED\u{202e}evil\u{2066}x\u{2069}\u{200f}\u{61c}\n::error::fake\r\u{9b}31m\u{85}\u{7f}\u{7}%0A\t";

/// Characters an output must not carry raw: C0 (but the layout line feed, checked
/// separately), DEL, C1, the bidirectional controls and the line / paragraph separators.
/// Written out independently of the renderer's own list.
fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(
            c,
            '\u{202a}'
                ..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{61c}'
                    | '\u{2028}'
                    | '\u{2029}'
        )
}

/// `text` without the SGR colour sequences (`ESC [ … m`) a coloured report is made of.
fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let params = after.strip_prefix('[').map(|p| {
            p.len()
                - p.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';')
                    .len()
        });
        match params {
            Some(n) if after[1 + n..].starts_with('m') => rest = &after[n + 2..],
            _ => {
                // Not a colour sequence: keep the ESC so the check below sees it.
                out.push('\u{1b}');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks an output that goes to a terminal or a log: no forbidden character raw except
/// the line feeds of its own layout (and, when coloured, SGR sequences); no line that user
/// text started (`::` would be a GitHub workflow command).
fn assert_terminal_safe(out: &str, colored: bool, what: &str) {
    let plain = if colored {
        strip_sgr(out)
    } else {
        out.to_string()
    };
    for c in plain.chars() {
        assert!(
            c == '\n' || !forbidden(c),
            "{what}: raw {c:?} in output:\n{out}"
        );
    }
    assert!(!out.contains("\u{1b}[2J"), "{what}: {out}");
    assert!(!out.contains("\u{1b}[31mPWNED"), "{what}: {out}");
    for line in plain.lines() {
        assert!(
            !line.starts_with("::")
                || line.starts_with("::error file=")
                || line.starts_with("::warning file="),
            "{what}: injected line {line:?}"
        );
    }
}

/// 1-based line and column in characters of a char-boundary offset, computed naively.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        text[line_start..offset].chars().count() + 1,
    )
}

/// Files the renderers must cope with.
fn texts() -> Vec<(&'static str, String)> {
    let long_mixed: String = "é日本🦀e\u{301}\t".repeat(30); // ~330 bytes
    let long_ascii_tail = format!("{}é", "x".repeat(310));
    vec![
        ("empty", String::new()),
        ("one char", "é".into()),
        (
            "mixed",
            format!(
                "\u{feff}{{\"k\": \"é\",\r\n\t\"日本\": \"🦀👩\u{200d}👩\u{200d}👧\",\r\n  \"c\": \"e\u{301}a\u{308}\"\n{long_mixed}\r\nend é\t日\r\n"
            ),
        ),
        (
            "long line then short",
            format!("{long_ascii_tail}\n\"é\"\r\n{long_mixed}"),
        ),
        (
            "minified, no newline",
            format!("{}{}", "{\"é\":\"日本\",".repeat(24), "\"🦀\":1}"),
        ),
        (
            "control characters in the source",
            format!(
                "a\u{1b}[2Jb\u{202e}c\rd\u{9b}e\u{85}f\t\n{}\u{1b}[31m\u{2066}é\u{7f}\n",
                "é".repeat(160)
            ),
        ),
    ]
}

const NAME: &str = "dir/\u{1b}[31mflow\u{202e}:1,%.yaml";

fn diagnostic(span: std::ops::Range<usize>, related: Option<std::ops::Range<usize>>) -> Diagnostic {
    let mut d = Diagnostic::new(Code::YamlSyntax, format!("bad {HOSTILE} here"))
        .label(format!("label {HOSTILE}"))
        .help(format!("help {HOSTILE}"))
        .node(format!("node {HOSTILE}"))
        .edge(format!("edge {HOSTILE}"))
        .byte_span(span);
    // Related spans are resolved from paths; set one directly (possibly inside a character).
    d.related.push(Related {
        path: JsonPath::root().key("r"),
        message: format!("related {HOSTILE}"),
        span: related,
    });
    d
}

/// Renders `d` in every format (human also coloured when `with_color`) and checks every
/// output; `sound`: `d` was resolved by `render::prepare`, so its location is checked too.
fn check_every_format(
    source: &SourceFile,
    d: &Diagnostic,
    sound: bool,
    with_color: bool,
    what: &str,
) {
    let text = &source.text;
    let loc = d.location.as_ref();
    if sound && let Some(l) = loc {
        assert!(
            l.span.start <= l.span.end && l.span.end <= text.len(),
            "{what}: {l:?}"
        );
        assert!(
            text.is_char_boundary(l.span.start) && text.is_char_boundary(l.span.end),
            "{what}: span inside a character: {l:?}"
        );
        assert_eq!(line_col(text, l.span.start), (l.line, l.column), "{what}");
        assert_eq!(
            line_col(text, l.span.end),
            (l.end_line, l.end_column),
            "{what}"
        );
    }

    // short
    let short = render::short_line(source, d);
    assert_terminal_safe(&short, false, what);
    assert!(!short.contains('\n'), "{what}: {short}");
    if sound && let Some(l) = loc {
        let name = render::printable(&source.name);
        let prefix = format!("{name}:{}:{}: error[{}]: ", l.line, l.column, d.code);
        assert!(short.starts_with(&prefix), "{what}: {short}");
    }

    // github
    let gh = render::github_line(source, d);
    assert_terminal_safe(&gh, false, what);
    assert!(
        !gh.contains('\n') && gh.starts_with("::error file="),
        "{what}: {gh}"
    );
    if sound && let Some(l) = loc {
        let props = format!(
            ",line={},col={},endLine={},endColumn={},title={}::",
            l.line, l.column, l.end_line, l.end_column, d.code
        );
        assert!(gh.contains(&props), "{what}: {gh}");
    }

    // json
    let rec = render::record(source, d).to_string();
    assert_terminal_safe(&rec, false, what);
    let rec: Value = serde_json::from_str(&rec).expect("the JSON record parses");
    if let Some(l) = loc.filter(|_| sound) {
        let (s, e) = (
            rec["span"]["start"].as_u64().unwrap() as usize,
            rec["span"]["end"].as_u64().unwrap() as usize,
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "{what}"
        );
        assert_eq!((s, e), (l.span.start, l.span.end), "{what}");
        assert_eq!(
            (rec["line"].as_u64(), rec["column"].as_u64()),
            (Some(l.line as u64), Some(l.column as u64)),
            "{what}"
        );
    }
    if loc.is_some() {
        // Whatever the location says, the reported span is on char boundaries.
        let s = rec["span"]["start"].as_u64().unwrap() as usize;
        let e = rec["span"]["end"].as_u64().unwrap() as usize;
        assert!(s <= e && e <= text.len(), "{what}: {rec}");
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "{what}: {rec}"
        );
    }

    let diags = std::slice::from_ref(d);

    // human, with and without colour
    for color in [false, true] {
        if color && !with_color {
            continue;
        }
        let human = render::human(source, diags, color);
        assert_terminal_safe(&human, color, what);
        if sound && let Some(l) = loc {
            let plain = if color {
                strip_sgr(&human)
            } else {
                human.clone()
            };
            // A header `╭─[name:line:col]` (one per excerpt; a related label far away has
            // its own) agrees with the other formats.
            let header = format!(":{}:{}]", l.line, l.column);
            assert!(
                plain
                    .lines()
                    .any(|x| x.contains("╭─[") && x.ends_with(&header)),
                "{what}: no excerpt headed {header}:\n{plain}"
            );
        }
    }
}

/// One SARIF log of many diagnostics (as a run writes it): it parses, has no raw unsafe
/// character, and each result's region agrees with its diagnostic's location.
fn check_sarif(source: &SourceFile, diags: &[Diagnostic], sound: bool, what: &str) {
    let doc = serde_json::to_string_pretty(&render::sarif(&[(source, diags)])).unwrap();
    assert_terminal_safe(&doc, false, what);
    let doc: Value = serde_json::from_str(&doc).expect("the SARIF log parses");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), diags.len(), "{what}");
    for (r, d) in results.iter().zip(diags) {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        match d.location.as_ref().filter(|_| sound) {
            Some(l) => {
                let got: Vec<u64> = ["startLine", "startColumn", "endLine", "endColumn"]
                    .iter()
                    .map(|k| region[k].as_u64().unwrap())
                    .collect();
                let want = [l.line, l.column, l.end_line, l.end_column].map(|n| n as u64);
                assert_eq!(got, want, "{what}: {d:?}");
            }
            // No position: the whole text, or byte 0 of a source without text (every result
            // has a region, as GitHub code scanning and the SARIF validator want).
            None => match &d.location {
                None if source.text.is_empty() => assert_eq!(
                    *region,
                    serde_json::json!({"byteOffset": 0, "byteLength": 0}),
                    "{what}"
                ),
                None => {
                    assert_eq!(region["startLine"], 1, "{what}");
                    assert_eq!(region["startColumn"], 1, "{what}");
                    assert!(region["endLine"].as_u64() >= Some(1), "{what}");
                    assert!(region["endColumn"].as_u64() >= Some(1), "{what}");
                }
                Some(_) => assert!(region["startLine"].is_u64(), "{what}"),
            },
        }
    }
}

/// Every span (start and end at every byte offset, inside characters and at EOF, reversed,
/// empty) of every text, resolved as `scaiflow` does, in every message format.
#[test]
fn every_span_in_every_format() {
    let mut checked = 0usize;
    for (label, text) in texts() {
        let source = SourceFile::new(NAME, text.clone());
        let n = text.len();
        let mut diags = Vec::new();
        for s in 0..=n + 1 {
            let mut ends: Vec<usize> = (s..=s + 4).collect();
            ends.extend([s + MAX_SPAN, n, s.saturating_sub(3)]);
            for e in ends {
                let e = e.min(n + 1);
                // A related label elsewhere, possibly inside a character too.
                let r = n.saturating_sub(s);
                let d = diagnostic(s..e, Some(r..r + e.abs_diff(s)));
                diags.push((format!("{label}: span {s}..{e}"), e <= n, d));
            }
            // A bare offset (a syntax error without a span), and a span from the start.
            let d = Diagnostic::new(Code::JsonSyntax, HOSTILE).offset(s);
            diags.push((format!("{label}: offset {s}"), true, d));
            diags.push((
                format!("{label}: span 0..{s}"),
                s <= n,
                diagnostic(0..s, None),
            ));
        }
        let mut prepared = Vec::new();
        for (i, (what, located, d)) in diags.into_iter().enumerate() {
            let mut one = [d];
            render::prepare(&source, &mut one);
            let [mut d] = one;
            assert_eq!(d.location.is_some(), located, "{what}");
            // A path places a diagnostic (it wins over the byte span): set it once placed.
            d.path = Some(JsonPath::root().key(HOSTILE).index(1));
            check_every_format(&source, &d, true, i.is_multiple_of(3), &what);
            prepared.push(d);
            checked += 1;
        }
        check_sarif(&source, &prepared, true, label);
    }
    eprintln!("{checked} diagnostics checked in every format");
    assert!(checked > 10_000);
}

/// Locations made by hand (not by `prepare`), with spans inside characters, reversed or past
/// the end, and lines and columns that say anything: no panic, and what is reported is on
/// char boundaries.
#[test]
fn unsound_locations_do_not_panic() {
    let mut checked = 0usize;
    for (label, text) in texts() {
        let source = SourceFile::new(NAME, text.clone());
        let n = text.len();
        let mut all = Vec::new();
        for s in 0..=n + 2 {
            for e in [s.saturating_sub(1), s + 1, s + 5, n + 3] {
                let mut d = diagnostic(0..0, Some(e..s));
                d.path = Some(JsonPath::root().key(HOSTILE));
                d.location = Some(Location {
                    span: s..e,
                    line: 1 + s % 3,
                    column: s % 7,
                    end_line: 0,
                    end_column: 0,
                });
                let what = format!("{label}: hand-made span {s}..{e}");
                check_every_format(&source, &d, false, checked.is_multiple_of(3), &what);
                all.push(d);
                checked += 1;
            }
        }
        check_sarif(&source, &all, false, label);
    }
    eprintln!("{checked} hand-made locations checked in every format");
    assert!(checked > 2_000);
}

/// Diagnostics without a location, and every kind of user text, in every format.
#[test]
fn hostile_text_without_location() {
    let source = SourceFile::new(format!("{HOSTILE}.json"), format!("{HOSTILE}\n"));
    let mut d = diagnostic(0..0, None);
    d.byte_span = None;
    d.path = Some(JsonPath::root().key(HOSTILE).index(1));
    check_every_format(&source, &d, true, true, "no location");
    check_sarif(&source, std::slice::from_ref(&d), true, "no location");
    let human = render::human(&source, std::slice::from_ref(&d), false);
    assert!(
        human.contains(r"in \u{1b}[2J\u{1b}[31mPWNED\u{202e}evil"),
        "{human}"
    );
}

/// The escape notation: `\n`, `\r`, `\t`, and `\u{hex}` for the rest, in the line formats;
/// JSON keeps control characters exact (escaped by JSON) and writes the characters it leaves
/// raw in the same notation.
#[test]
fn escape_notation_is_documented() {
    let source = SourceFile::new("f\u{1b}.json", "{}\n");
    let d = Diagnostic::new(Code::JsonSyntax, "a\u{1b}b\nc\u{202e}d\te\u{9b}\r");
    let short = render::short_line(&source, &d);
    assert_eq!(
        short,
        r"f\u{1b}.json: error[SF100]: a\u{1b}b\nc\u{202e}d\te\u{9b}\r"
    );
    let rec = render::record(&source, &d);
    assert_eq!(rec["message"], "a\u{1b}b\nc\\u{202e}d\te\\u{9b}\r");
    assert_eq!(rec["file"], "f\u{1b}.json");
    let line = rec.to_string();
    assert!(
        line.contains(r#""message":"a\u001bb\nc\\u{202e}d\te\\u{9b}\r""#),
        "{line}"
    );
    let gh = render::github_line(&source, &d);
    assert_eq!(
        gh,
        r"::error file=f\u{1b}.json,title=SF100::a\u{1b}b\nc\u{202e}d\te\u{9b}\r"
    );
}

// ---------------------------------------------------------------------------------------
// End to end, through the binary.
// ---------------------------------------------------------------------------------------

use common::bin;

fn run(args: &[&str], file: &Path) -> Output {
    let mut c = bin();
    c.args(args).arg(file);
    // `import` writes the flow to stdout, and then every report format goes to stderr
    // (docs/ci.md, "Streams"); with --out the report formats keep their usual streams.
    if args[0] == "import" {
        c.arg("--out").arg(file.with_extension("imported.json"));
    }
    c.stdin(Stdio::null()).output().expect("run scaiflow")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const FORMATS: [&str; 5] = ["human", "short", "json", "github", "sarif"];

/// Runs `args FILE` in every message format, with colour forced and off; checks the output
/// is safe and parses; returns the outputs by (format, color).
fn run_every_format(args: &[&str], file: &Path) -> Vec<(String, bool, Output)> {
    let mut outs = Vec::new();
    for format in FORMATS {
        for color in ["always", "never"] {
            let mut a = args.to_vec();
            a.extend(["--message-format", format, "--color", color]);
            let out = run(&a, file);
            let what = format!("{args:?} {format} --color {color}");
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            let colored = format == "human" && color == "always";
            assert_terminal_safe(&stderr, colored, &what);
            assert_terminal_safe(&stdout, false, &what);
            match format {
                "json" => {
                    for line in stdout.lines().filter(|l| l.starts_with("{\"code\"")) {
                        serde_json::from_str::<Value>(line).expect("JSON record parses");
                    }
                }
                "sarif" => {
                    serde_json::from_str::<Value>(&stdout).expect("SARIF parses");
                }
                _ => {}
            }
            outs.push((format.to_string(), colored, out));
        }
    }
    outs
}

/// The reported panic: `import` of a ~330-byte YAML whose syntax error is at an `é` on a
/// line over 300 bytes (the long-line window, and the JSON span, ended inside the `é`).
#[test]
fn import_yaml_error_at_multibyte_char_on_long_line() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!("name: demo\ndescription: \"{}\"é\n", "x".repeat(300));
    assert!(yaml.len() > 320 && yaml.len() < 340);
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, &yaml).unwrap();
    let at = yaml.find('é').unwrap();
    for (format, _, out) in run_every_format(&["import"], &path) {
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            text(&out.stderr)
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        match format.as_str() {
            "json" => {
                let rec: Value = serde_json::from_str(stdout.trim()).unwrap();
                assert_eq!(rec["code"], "SF500");
                let (s, e) = (
                    rec["span"]["start"].as_u64().unwrap() as usize,
                    rec["span"]["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(&yaml[s..e], "é", "the span covers the whole character");
                assert_eq!(s, at);
                let col = yaml[..at].rsplit('\n').next().unwrap().chars().count() + 1;
                assert_eq!(
                    (rec["line"].as_u64(), rec["column"].as_u64()),
                    (Some(2), Some(col as u64))
                );
            }
            "human" => {
                let plain = strip_sgr(&stderr);
                assert!(plain.contains("error[SF500]"), "{plain}");
                assert!(plain.contains("bad.yaml:2:316]"), "{plain}");
                assert!(
                    plain.contains("\"é"),
                    "the window shows the character: {plain}"
                );
            }
            "short" => assert!(stderr.contains("bad.yaml:2:316: error[SF500]"), "{stderr}"),
            "github" => assert!(
                stdout.contains("line=2,col=316,endLine=2,endColumn=317,"),
                "{stdout}"
            ),
            _ => {
                let doc: Value = serde_json::from_str(&stdout).unwrap();
                let region =
                    &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
                assert_eq!(region["startColumn"], 316);
                assert_eq!(region["endColumn"], 317);
            }
        }
    }
}

/// A flow whose node id and label carry terminal escapes, a bidi override and an embedded
/// `\n::error::fake` line; the id is in the message (an unreachable node, SF210) and the
/// label on the source line of the excerpt (raw bidi override there: JSON allows it).
fn hostile_flow() -> String {
    let evil = "\u{1b}[2J\u{1b}[31mPWNED\u{202e}evil\n::error::fake";
    let id = serde_json::to_string(&format!("node_x{evil}")).unwrap();
    let label = serde_json::to_string(evil).unwrap();
    assert!(
        label.contains('\u{202e}'),
        "serde_json keeps the bidi override raw"
    );
    format!(
        r#"{{"id": "f", "name": "F", "version": "1.0.0",
 "nodes": [{{"id": "node_in", "type": "entry_api", "label": "In", "position": {{"x": 0, "y": 0}}}},
           {{"id": "node_t", "type": "llm_rigid", "label": "T", "position": {{"x": 0, "y": 120}},
            "config": {{"template": "Hello {{{{input.name}}}}"}}}},
           {{"id": {id}, "type": "llm_rigid", "label": {label}, "position": {{"x": 0, "y": 240}}, "config": {{"template": "x"}}}}],
 "edges": [{{"id": "e1", "type": "sequential", "source": {{"node": "node_in", "port": "out_request"}},
            "target": {{"node": "node_t", "port": "in"}}}}]}}"#
    )
}

#[test]
fn hostile_labels_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.flow.json");
    std::fs::write(&path, hostile_flow()).unwrap();
    for command in [&["validate"][..], &["compile", "--check"][..]] {
        let outs = run_every_format(command, &path);
        for (format, _, out) in outs {
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            let what = format!("{command:?} {format}");
            if command[0] == "validate" {
                assert_eq!(out.status.code(), Some(0), "{what}: warnings only: {all}");
            }
            let escaped = if matches!(format.as_str(), "json" | "sarif") {
                r"PWNED\\u{202e}evil\n::error::fake"
            } else {
                r"PWNED\u{202e}evil\n::error::fake"
            };
            assert!(
                all.contains(escaped),
                "{what}: the id is shown escaped: {all}"
            );
            if format == "short" {
                let err = text(&out.stderr);
                assert_eq!(
                    err.lines().filter(|l| l.contains("SF210")).count(),
                    1,
                    "{what}: one diagnostic, one line: {err}"
                );
                assert!(err.contains("warning[SF210]"), "{what}: {err}");
            }
            if format == "human" {
                // The excerpt's source line holds the label, its bidi override escaped.
                assert!(
                    all.contains(r#""label": "\u001b[2J\u001b[31mPWNED\u{202e}evil"#),
                    "{what}: {all}"
                );
            }
        }
    }
}

#[test]
fn hostile_file_name_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x\u{1b}[31m\u{202e}evil,a:b%25.flow.json";
    let path = dir.path().join(name);
    if std::fs::write(&path, hostile_flow()).is_err() {
        return; // a file system that refuses the name
    }
    for (format, _, out) in run_every_format(&["validate"], &path) {
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        match format.as_str() {
            "github" => assert!(
                all.contains(r"x\u{1b}[31m\u{202e}evil%2Ca%3Ab%2525.flow.json,line=5"),
                "{all}"
            ),
            "json" => assert!(all.contains(r"x\u001b[31m\\u{202e}evil,a:b%25"), "{all}"),
            // A URI: percent-encoded, so nothing unsafe is left in it.
            "sarif" => assert!(
                all.contains("x%1B%5B31m%E2%80%AEevil%2Ca%3Ab%2525.flow.json"),
                "{all}"
            ),
            _ => assert!(
                all.contains(r"x\u{1b}[31m\u{202e}evil,a:b%25.flow.json:5:19"),
                "{all}"
            ),
        }
    }
}

/// Raw control characters in the source text (not valid JSON or YAML, so a syntax error
/// points at them): the excerpt shows the source line escaped.
#[test]
fn raw_control_characters_in_source_lines() {
    let dir = tempfile::tempdir().unwrap();
    let json = "{\"id\": \"f\u{1b}[2J\u{202e}x\rY\u{9b}31m\", \"name\": \"\u{1b}]0;title\u{7}\"}\n";
    let path = dir.path().join("raw.flow.json");
    std::fs::write(&path, json).unwrap();
    for (format, colored, out) in run_every_format(&["validate"], &path) {
        assert_eq!(out.status.code(), Some(1), "{format}");
        if format == "human" {
            let plain = if colored {
                strip_sgr(&text(&out.stderr))
            } else {
                text(&out.stderr)
            };
            assert!(plain.contains("error[SF100]"), "{plain}");
            assert!(
                plain.contains(r#"{"id": "f\u{1b}[2J\u{202e}x\rY\u{9b}31m""#),
                "the source line is shown escaped: {plain}"
            );
        }
    }
    // A YAML manifest with a raw ESC: `import` reports it with the line escaped.
    let yaml = "name: demo\ncore: \"\u{1b}[2J\u{202e}\"\n";
    let path = dir.path().join("raw.yaml");
    std::fs::write(&path, yaml).unwrap();
    for (format, colored, out) in run_every_format(&["import"], &path) {
        assert_ne!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            text(&out.stderr)
        );
        if format == "human" && !colored {
            assert!(
                text(&out.stderr).contains(r#"core: "\u{1b}[2J\u{202e}""#),
                "the YAML line is shown escaped: {}",
                text(&out.stderr)
            );
        }
    }
    // And the same through standard input.
    let out = common::run_stdin(
        &[
            "validate",
            "--message-format",
            "human",
            "--color",
            "never",
            "-",
        ],
        json.as_bytes(),
    );
    assert!(
        text(&out.stderr).contains("error[SF100]"),
        "{}",
        text(&out.stderr)
    );
    assert_terminal_safe(&text(&out.stderr), false, "stdin");
}
