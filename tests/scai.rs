//! `--format scai`: ScaiCore source text. A lexer-level checker written here from the
//! language's lexical rules (spec §8) — not from the emitter — tokenises every output and
//! fails on any invalid token, unbalanced bracket or keyword misuse.

mod common;

use common::{examples, variants};
use scaiflow::load::SourceFile;
use scaiflow::{OutputFormat, compile_flow};
use serde_json::{Value, json};

const RESERVED: &[&str] = &[
    "if", "else", "match", "return", "yield", "break", "continue", "emit", "true", "false", "null",
    "import", "from", "as", "pub", "type", "enum", "async", "instance", "goto",
];

const AT_KEYWORDS: &[&str] = &[
    "core",
    "flow",
    "rigid",
    "guarded",
    "flexible",
    "parallel",
    "foreach",
    "match",
    "while",
    "checkpoint",
    "core_call",
    "await_responses",
    "try",
    "budget",
    "debug",
    "model_call",
    "plugins",
    "models",
    "llm",
    "memory",
    "config",
    "constraints",
    "reference",
    "triggers",
    "webhook",
    "schedule",
    "api",
    "on",
    "internal",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    TypeName(String),
    At(String),
    Str,
    Num,
    Sym(char),
    /// `:name`, a symbol value.
    Symbol,
}

/// Tokenises ScaiCore source; an error names the line.
fn lex(src: &str) -> Result<Vec<(Tok, usize)>, String> {
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut line = 1;
    let mut out = Vec::new();
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
        } else if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                // Some readers end a line at these too: a comment must not hold one.
                if matches!(b[i], '\u{2028}' | '\u{2029}' | '\r') {
                    return Err(format!("line {line}: a line separator inside a // comment"));
                }
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            let start = line;
            i += 2;
            loop {
                if i + 1 >= b.len() {
                    return Err(format!("line {start}: unterminated /* comment"));
                }
                if b[i] == '*' && b[i + 1] == '/' {
                    i += 2;
                    break;
                }
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
        } else if c == '"' && b.get(i + 1) == Some(&'"') && b.get(i + 2) == Some(&'"') {
            let start = line;
            i += 3;
            loop {
                if i >= b.len() {
                    return Err(format!("line {start}: unterminated \"\"\" string"));
                }
                if b[i] == '"' && b.get(i + 1) == Some(&'"') && b.get(i + 2) == Some(&'"') {
                    i += 3;
                    break;
                }
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            out.push((Tok::Str, start));
        } else if c == '"' {
            i += 1;
            loop {
                match b.get(i) {
                    None | Some('\n') => return Err(format!("line {line}: unterminated string")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match b.get(i + 1) {
                        Some('"' | '\\' | 'n' | 'r' | 't') => i += 2,
                        Some('u') if b.get(i + 2) == Some(&'{') => {
                            let mut j = i + 3;
                            while b.get(j).is_some_and(|c| c.is_ascii_hexdigit()) {
                                j += 1;
                            }
                            if b.get(j) != Some(&'}') || j == i + 3 {
                                return Err(format!("line {line}: bad \\u escape"));
                            }
                            i = j + 1;
                        }
                        other => return Err(format!("line {line}: bad escape \\{other:?}")),
                    },
                    Some(c) if c.is_control() => {
                        return Err(format!("line {line}: raw control character in a string"));
                    }
                    Some(_) => i += 1,
                }
            }
            out.push((Tok::Str, line));
        } else if c == '@' {
            let start = i + 1;
            i += 1;
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            if !AT_KEYWORDS.contains(&word.as_str()) {
                return Err(format!("line {line}: unknown @-keyword @{word}"));
            }
            out.push((Tok::At(word), line));
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                i += 1;
            }
            if i < b.len() && (b[i] == 'e' || b[i] == 'E') {
                i += 1;
                if i < b.len() && (b[i] == '+' || b[i] == '-') {
                    i += 1;
                }
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            } else if i < b.len() && matches!(b[i], 's' | 'm' | 'h' | 'd' | 'w') {
                i += 1; // a duration
            }
            if i < b.len() && ident_char(b[i]) {
                return Err(format!("line {line}: a name cannot start with a digit"));
            }
            out.push((Tok::Num, line));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                out.push((Tok::TypeName(word), line));
            } else {
                out.push((Tok::Ident(word), line));
            }
        } else if c == ':'
            && b.get(i + 1)
                .is_some_and(|c| c.is_ascii_lowercase() || *c == '_')
        {
            i += 1;
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            out.push((Tok::Symbol, line));
        } else if "{}()[]=:,.+-*/%<>!&|?".contains(c) {
            out.push((Tok::Sym(c), line));
            i += 1;
        } else {
            return Err(format!("line {line}: character {c:?} is not ScaiCore"));
        }
    }
    Ok(out)
}

/// Lexes and checks brackets, keyword use, `:` and symbol positions.
fn check(src: &str) -> Result<(), String> {
    let toks = lex(src)?;
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (k, (t, line)) in toks.iter().enumerate() {
        let prev = k.checked_sub(1).map(|p| &toks[p].0);
        let next = toks.get(k + 1).map(|n| &n.0);
        match t {
            Tok::Sym(c @ ('{' | '(' | '[')) => stack.push((*c, *line)),
            Tok::Sym(c @ ('}' | ')' | ']')) => {
                let open = match c {
                    '}' => '{',
                    ')' => '(',
                    _ => '[',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    other => return Err(format!("line {line}: {c} does not close {other:?}")),
                }
            }
            Tok::Ident(w) if RESERVED.contains(&w.as_str()) => {
                // `instance = :mode` is a field of `@core` itself (spec §8 shapes).
                let ok = matches!(w.as_str(), "true" | "false" | "null")
                    || (w == "else" && next == Some(&Tok::Sym('{')))
                    || (w == "instance" && next == Some(&Tok::Sym('=')) && stack.len() == 1);
                if !ok {
                    return Err(format!("line {line}: reserved word `{w}` used as a name"));
                }
            }
            // `:` only in type positions: after a name (field, parameter) or `)` (return
            // type), before a type.
            Tok::Sym(':') => {
                let after_name = matches!(
                    prev,
                    Some(Tok::Ident(_) | Tok::Str | Tok::TypeName(_) | Tok::Sym(')'))
                );
                let before_type = matches!(
                    next,
                    Some(Tok::Ident(_) | Tok::TypeName(_) | Tok::Sym('{') | Tok::Sym('['))
                );
                if !(after_name && before_type) {
                    return Err(format!("line {line}: `:` outside a type position"));
                }
            }
            Tok::Symbol if !matches!(prev, Some(Tok::Sym('=' | '[' | ','))) => {
                return Err(format!("line {line}: a :symbol where no value goes"));
            }
            _ => {}
        }
    }
    if let Some((c, line)) = stack.pop() {
        return Err(format!("line {line}: {c} is never closed"));
    }
    Ok(())
}

fn scai(doc: &Value) -> Option<String> {
    let src = SourceFile::new("f.flow.json", doc.to_string());
    compile_flow(&src, OutputFormat::Scai)
        .ok()
        .map(|a| String::from_utf8(a.bytes).unwrap())
}

#[test]
fn the_checker_catches_what_it_must() {
    assert!(check("@core A { x = \"ok\" }").is_ok());
    for bad in [
        "@core A { x = \"open }",
        "@core A { x = 1 ",
        "@core A { match = 1 }",
        "@core A { x = @bogus }",
        "@core A { x: = 1 }",
        "@core A { x = 1st }",
        "@core A { x = 'single' }",
        "@core A { x = \"\"\"never closed }",
        "@core A { x = y } }",
        "@core A { x = a:b }",
    ] {
        assert!(check(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn every_example_renders_valid_scaicore() {
    for p in examples() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let text = scai(&doc).unwrap();
        check(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.display()));
        assert_eq!(scai(&doc).unwrap(), text, "deterministic");
        assert!(
            text.lines().all(|l| !l.starts_with('\t')),
            "spaces, not tabs"
        );
        let stem = p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".flow.json")
            .to_string();
        insta::assert_snapshot!(format!("scai-{stem}"), text);
    }
}

/// Labels, ids, conditions, templates and config values that try to break out of the
/// syntax: quotes, braces, comments, triple quotes, keywords, emoji.
const HOSTILE: &[&str] = &[
    "\"",
    "}",
    "} }",
    "// comment",
    "/* open",
    "\"\"\"",
    "a\"\"\"b\nline",
    "match",
    "@core",
    "type",
    "1st",
    "😀 ünïcode",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "{{ x }} }",
    "a: b",
    ":sym",
    "'",
    " ",
    "x == ''''",
    "'it''s' == x",
    "x = 1",
    "a = = b",
    "x === y",
    "n > 1.",
    ".5 < n",
    "a // b",
    "a + * b",
    "{{ '}' }}",
    "{{ '\"\"\"' }}",
    "{{ status == 'ok' }}",
    "lbl\u{2028}} @core x /* y",
    "1_000",
    "0x1F",
];

fn hostile_flow(s: &str, i: usize) -> Value {
    let id = |n: &str| format!("node_{n}{i}");
    json!({"id": "f", "name": s, "version": "1.0.0",
    "metadata": {"description": s},
    "config": {"core_identity": {"name": s, "models": [
        {"role": "primary", "ref": "scaigrid", "model": s, "modalities": ["text"]}]}},
    "nodes": [
        {"id": id("in"), "type": "entry_api", "label": s, "position": {"x": 0, "y": 0},
         "config": {"path": "/x", "method": "POST"}},
        {"id": id("d"), "type": "logic_decision", "label": s, "position": {"x": 0, "y": 1},
         "config": {"subject": s}},
        {"id": id("a"), "type": "llm_rigid", "label": s, "position": {"x": 0, "y": 2},
         "config": {"template": s}},
        {"id": id("b"), "type": "llm_flexible", "label": s, "position": {"x": 0, "y": 3},
         "config": {"goal": s, "guidance": s, "output_schema": {"type": "object",
            "properties": {s: {"type": "string"}, "type": {"type": "array", "items": {"type": "integer"}}}}}},
        {"id": id("l"), "type": "logic_loop", "label": s, "position": {"x": 0, "y": 4},
         "config": {"style": "foreach", "items": s, "item": "it"}},
        {"id": id("v"), "type": "data_variable_set", "label": s, "position": {"x": 0, "y": 5},
         "config": {"variable": "note", "value": s}},
        {"id": id("v2"), "type": "data_variable_set", "label": s, "position": {"x": 0, "y": 5},
         "config": {"variable": "note", "value": format!("{{{{ {s} }}}}")}},
        {"id": id("g"), "type": "llm_guarded", "label": s, "position": {"x": 0, "y": 6},
         "config": {"goal": s, "guard": s, "validate": {s: s}}},
        {"id": id("c"), "type": "checkpoint", "label": s, "position": {"x": 0, "y": 7},
         "config": {"type": "approval", "prompt": s, "options": [s, "ok"], "breakpoint": true}},
        {"id": id("h"), "type": "tool_http", "label": s, "position": {"x": 0, "y": 8},
         "config": {"method": "POST", "url": "https://x.example", "headers": {s: s}, "body": s}},
    ],
    "variables": [{"name": "note", "type": "string"}],
    "edges": [
        {"id": "e1", "type": "sequential", "source": {"node": id("in"), "port": "out_request"},
         "target": {"node": id("d"), "port": "in"}},
        {"id": "e2", "type": "conditional", "source": {"node": id("d"), "port": "out"},
         "target": {"node": id("a"), "port": "in"}, "condition": if s.trim().is_empty() { "x" } else { s }},
        {"id": "e3", "type": "sequential", "source": {"node": id("d"), "port": "out"},
         "target": {"node": id("b"), "port": "in"}},
        {"id": "e4", "type": "sequential", "source": {"node": id("a"), "port": "out"},
         "target": {"node": id("l"), "port": "in"}},
        {"id": "e5", "type": "sequential", "source": {"node": id("b"), "port": "out"},
         "target": {"node": id("l"), "port": "in"}},
        {"id": "e6", "type": "sequential", "source": {"node": id("l"), "port": "body"},
         "target": {"node": id("v"), "port": "in"}},
        {"id": "e6b", "type": "sequential", "source": {"node": id("v"), "port": "out"},
         "target": {"node": id("v2"), "port": "in"}},
        {"id": "e7", "type": "sequential", "source": {"node": id("l"), "port": "done"},
         "target": {"node": id("g"), "port": "in"}},
        {"id": "e8", "type": "sequential", "source": {"node": id("g"), "port": "out"},
         "target": {"node": id("c"), "port": "in"}},
        {"id": "e9", "type": "sequential", "source": {"node": id("c"), "port": "out"},
         "target": {"node": id("h"), "port": "in"}},
    ]})
}

#[test]
fn hostile_text_never_breaks_the_syntax() {
    let mut rendered = 0;
    for (i, s) in HOSTILE.iter().enumerate() {
        let doc = hostile_flow(s, i);
        let Some(text) = scai(&doc) else {
            let src = SourceFile::new("f.flow.json", doc.to_string());
            let errs = compile_flow(&src, OutputFormat::Scai).unwrap_err().errors;
            panic!("{s:?} does not compile: {errs:?}");
        };
        check(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
        rendered += 1;
    }
    assert_eq!(rendered, HOSTILE.len());
    // Keywords and digits as node ids: bindings, trigger names and fields stay names.
    let mut renamed = hostile_flow("x", 0).to_string();
    for (from, to) in [
        ("node_a0", "node_match"),
        ("node_b0", "node_1st"),
        ("node_in0", "node_type"),
    ] {
        renamed = renamed.replace(from, to);
    }
    let doc: Value = serde_json::from_str(&renamed).unwrap();
    let text = scai(&doc).unwrap();
    check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(text.contains("match_ = "), "{text}");
    assert!(text.contains("_1st = "), "{text}");
}

#[test]
fn generated_variants_render_valid_scaicore() {
    let mut checked = 0;
    for doc in variants(0x5ca1_0001, 20) {
        if let Some(text) = scai(&doc) {
            check(&text).unwrap_or_else(|e| {
                let line: usize = e
                    .trim_start_matches("line ")
                    .split(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap_or(1);
                panic!("{e}: {:?}", text.lines().nth(line - 1))
            });
            checked += 1;
        }
    }
    assert!(checked >= 80, "only {checked} variants compiled");
}

#[test]
fn compile_writes_the_scai_file_beside_the_flow() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("support.flow.json");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/customer-support.flow.json"),
        &flow,
    )
    .unwrap();
    let out = common::scaiflow_short(
        &["compile", "--format", "scai", flow.to_str().unwrap()],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("support.scai")).unwrap();
    assert!(text.contains("@core CustomerSupportAgent {"));
    check(&text).unwrap();
    // --check agrees with what was written.
    let out = common::scaiflow_short(
        &[
            "compile",
            "--format",
            "scai",
            "--check",
            flow.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn references_use_the_names_declarations_got() {
    let doc = json!({"id": "f", "name": "Refs", "version": "1.0.0",
    "config": {"core_identity": {"models": [
        {"role": "match", "ref": "p", "model": "m"},
        {"role": "a__b", "ref": "p", "model": "m"}]},
        "plugins": [{"alias": "match", "endpoint": "plugin://match"}]},
    "nodes": [
        {"id": "node_in", "type": "entry_api", "label": "in", "position": {"x": 0, "y": 0}},
        {"id": "node_a__b", "type": "llm_flexible", "label": "ab", "position": {"x": 0, "y": 1},
         "config": {"goal": "g", "llm_role": "match"}},
        {"id": "node_d", "type": "logic_decision", "label": "d", "position": {"x": 0, "y": 2}},
        {"id": "node_p", "type": "tool_plugin", "label": "p", "position": {"x": 0, "y": 3},
         "config": {"plugin": "match", "method": "go", "args": {"memory": 1, "type": 2}}},
        {"id": "node_q", "type": "llm_flexible", "label": "q", "position": {"x": 0, "y": 4},
         "config": {"goal": "g", "llm_role": "a__b"}},
    ],
    "edges": [
        {"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"},
         "target": {"node": "node_a__b", "port": "in"}},
        {"id": "e2", "type": "sequential", "source": {"node": "node_a__b", "port": "out"},
         "target": {"node": "node_d", "port": "in"}},
        {"id": "e3", "type": "conditional", "source": {"node": "node_d", "port": "out"},
         "target": {"node": "node_p", "port": "in"}, "condition": "a__b.ok"},
        {"id": "e4", "type": "sequential", "source": {"node": "node_d", "port": "out"},
         "target": {"node": "node_q", "port": "in"}},
    ]});
    let text = scai(&doc).expect("compiles");
    check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // The binding keeps its name, so the condition still reads it.
    assert!(text.contains("a__b = @flexible"), "{text}");
    assert!(text.contains("a__b.ok {"), "{text}");
    // A reserved role and alias are renamed once, and referred to by that name.
    assert!(text.contains("match_ = {"), "{text}");
    assert!(text.contains("llm = match_"), "{text}");
    assert!(text.contains("llm = a__b"), "{text}");
    assert!(
        text.contains("p = match_.go(memory = 1, \"type\" = 2)"),
        "{text}"
    );
}

/// A compile hands the `.scai` text over in chunks (once a chunk is full, after a step: at
/// the end of a line), and the chunks are the text.
#[test]
fn the_text_is_handed_over_in_chunks_that_are_the_text() {
    common::compiles_in_chunks(OutputFormat::Scai, 0x5ca1_0004, |c| c.ends_with(b"\n"));
}
