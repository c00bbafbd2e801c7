//! `scaiflow graph`: every example in the three formats (Mermaid snapshots of two), byte-for-
//! byte determinism, declaration order, hostile user text in every place it can appear
//! (checked by a strict reading of each output and, where installed, by the real parsers),
//! broken flows still drawn, documents that cannot be drawn, and linear output size on a
//! 5,000-node chain.
//!
//! Real parsers run when present and print a skip note otherwise: Graphviz when `dot -V`
//! works; Mermaid when `SCAIFLOW_MERMAID_CHECK` names a command that takes a `.mmd` file and
//! exits 0 when it renders (`scripts/check-graph.sh --mermaid`, which runs mermaid-cli). With
//! `SCAIFLOW_GRAPH_OUT=DIR`, `write_outputs` writes every drawing into DIR for a look
//! (`scripts/check-graph.sh` renders them to PNG).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::examples;
use scaiflow::graph::{GraphFormat, graph};
use scaiflow::load::{SourceFile, read_source};
use serde_json::{Value, json};

const FORMATS: [GraphFormat; 3] = [GraphFormat::Mermaid, GraphFormat::Dot, GraphFormat::Svg];

/// Text that tries to break out of every kind of label: quotes, markup, entities, Mermaid
/// directives, comments and arrows, DOT escapes, CDATA, controls (ANSI, NUL, CR), bidi
/// overrides, XML noncharacters, and wide characters.
const HOSTILE: &str = "\"'<script>alert(1)</script>&amp;&lt;`#quot;#35;;}{]|--> n0 %%{init: {'securityLevel':'loose'}}%%\u{1b}[31mPWNED\u{0}\u{7}\r\n<img src=x onerror=alert(2)>\u{202e}evil\u{2066}\u{feff}\u{fffe} \\N \\\" ]]> <![CDATA[x]]> <!-- c --> end subgraph 分类 😀\t";

fn draw(source: &SourceFile, format: GraphFormat) -> String {
    let out = graph(source, format);
    let text = out
        .text
        .unwrap_or_else(|| panic!("{}: not drawn: {:?}", source.name, out.diagnostics));
    assert!(text.ends_with('\n'), "{}: no final newline", source.name);
    text
}

fn source_of(name: &str, doc: &Value) -> SourceFile {
    SourceFile::new(name, serde_json::to_string_pretty(doc).unwrap())
}

fn example_name(p: &Path) -> String {
    p.file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".flow.json", "")
}

/// Characters no output may carry raw: C0 but line feed, DEL, C1, bidi controls, line and
/// paragraph separators, BOM, noncharacters (written independently of `src/graph/text.rs`).
fn assert_no_raw_controls(text: &str, what: &str) {
    for (i, c) in text.char_indices() {
        let bad = matches!(c, '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
            || matches!(
                c,
                '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{61c}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{feff}'
                    | '\u{fffe}'
                    | '\u{ffff}'
            );
        assert!(!bad, "{what}: raw U+{:04X} at byte {i}", c as u32);
    }
}

// ---------------------------------------------------------------------------------------
// Strict readers of the three outputs.

/// Splits a Mermaid line into its structure (quoted strings replaced by `""`, digit runs by
/// `0`) and the quoted strings; checks every quoted string is inert.
fn mermaid_line(line: &str) -> (String, Vec<String>) {
    let mut structure = String::new();
    let mut strings = Vec::new();
    let mut parts = line.split('"');
    structure.push_str(parts.next().unwrap_or(""));
    let rest: Vec<&str> = parts.collect();
    assert!(rest.len().is_multiple_of(2), "unbalanced quotes: {line}");
    for pair in rest.chunks(2) {
        structure.push_str("\"\"");
        structure.push_str(pair[1]);
        strings.push(pair[0].to_string());
    }
    for s in &strings {
        let plain = s.replace("<br>", "");
        for bad in ['<', '>', '%', ';', '`', '{', '}', '|', '&'] {
            // `;` may only end an entity code.
            if bad == ';' {
                continue;
            }
            assert!(!plain.contains(bad), "raw {bad:?} in Mermaid string {s:?}");
        }
        // Every `#` starts an entity code (`#quot;` or `#<digits>;`), every `;` ends one.
        let mut rest = plain.as_str();
        while let Some(i) = rest.find(['#', ';']) {
            assert!(rest[i..].starts_with('#'), "stray ';' in {s:?}");
            let after = &rest[i + 1..];
            let end = after
                .find(';')
                .unwrap_or_else(|| panic!("open entity in {s:?}"));
            let name = &after[..end];
            assert!(
                name == "quot" || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())),
                "bad entity #{name}; in {s:?}"
            );
            rest = &after[end + 1..];
        }
    }
    let mut norm = String::new();
    let mut last_digit = false;
    for c in structure.chars() {
        if c.is_ascii_digit() {
            if !last_digit {
                norm.push('0');
            }
            last_digit = true;
        } else {
            norm.push(c);
            last_digit = false;
        }
    }
    (norm.trim().to_string(), strings)
}

/// Every line of a Mermaid output has one of the generated forms; user text appears only
/// in inert quoted strings.
fn check_mermaid(text: &str, what: &str) {
    assert_no_raw_controls(text, what);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart TD"), "{what}");
    let shapes = ["([", "[", "{", "{{", "[/", "(", ">", "[(", "[\\", "[["];
    for line in lines {
        let (s, _) = mermaid_line(line);
        let ok = s == "end"
            || s == "direction TB"
            || s == "subgraph loop0 [\"\"]"
            || s.starts_with("classDef ") && !line.contains('"')
            || s.starts_with("class n0") && s.ends_with(" unreachable")
            || s.starts_with("linkStyle 0") && !line.contains('"')
            || s.starts_with("style loop0 ") && !line.contains('"')
            || ["-->", "-.->"]
                .iter()
                .any(|a| s == format!("n0 {a} n0") || s == format!("n0 {a}|\"\"| n0"))
            || shapes.iter().any(|open| {
                s.strip_prefix("n0")
                    .and_then(|r| r.strip_prefix(open))
                    .is_some_and(|r| r.starts_with("\"\"") && r.contains(":::"))
            });
        assert!(ok, "{what}: unexpected Mermaid line {line:?} ({s:?})");
    }
}

/// Removes `tooltip="..."` (a DOT quoted string) and every `label=<...>` (an HTML-like
/// label, checked: only the generated tags, text escaped) from a DOT line.
fn dot_line(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        let t = rest.find("tooltip=\"");
        let l = rest.find("label=<");
        match (t, l) {
            (Some(t), l) if l.is_none_or(|l| t < l) => {
                out.push_str(&rest[..t]);
                let body = &rest[t + 9..];
                let mut chars = body.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.unwrap_or_else(|| panic!("open tooltip: {line}"));
                out.push_str("tooltip=\"\"");
                rest = &body[end + 1..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                // The label ends at the first '>' that closes no generated tag.
                let body = &rest[l + 7..];
                let mut end = None;
                let mut i = 0;
                while let Some(c) = body[i..].chars().next() {
                    match c {
                        '<' => {
                            let close = body[i..]
                                .find('>')
                                .unwrap_or_else(|| panic!("open tag: {line}"));
                            let tag = &body[i..=i + close];
                            let allowed = ["<BR/>", "<B>", "</B>", "<I>", "</I>", "</FONT>"];
                            assert!(
                                allowed.contains(&tag)
                                    || tag == "<FONT POINT-SIZE=\"9\" COLOR=\"#555555\">",
                                "unexpected tag {tag} in {line}"
                            );
                            i += close + 1;
                            continue;
                        }
                        '>' => {
                            end = Some(i);
                            break;
                        }
                        '&' => {
                            let semi = body[i..]
                                .find(';')
                                .unwrap_or_else(|| panic!("open entity: {line}"));
                            let ent = &body[i + 1..i + semi];
                            assert!(
                                ["amp", "lt", "gt", "quot", "#39"].contains(&ent),
                                "bad entity &{ent}; in {line}"
                            );
                        }
                        _ => {}
                    }
                    i += c.len_utf8();
                }
                let end = end.unwrap_or_else(|| panic!("open HTML label: {line}"));
                out.push_str("label=<>");
                rest = &body[end + 1..];
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

/// User text appears in DOT only inside tooltips and HTML-like labels.
fn check_dot(text: &str, what: &str, markers: &[&str]) {
    assert_no_raw_controls(text, what);
    assert!(
        text.starts_with("digraph flow {\n") && text.ends_with("}\n"),
        "{what}"
    );
    for line in text.lines() {
        let s = dot_line(line);
        for m in markers {
            assert!(!s.contains(m), "{what}: {m:?} outside a label: {line}");
        }
    }
}

/// A strict reading of an SVG: well-formed (every tag closed in order, attributes quoted,
/// entities known), only the generated elements and attributes, no raw controls.
fn check_svg(text: &str, what: &str) -> Vec<String> {
    assert_no_raw_controls(text, what);
    const ELEMENTS: &[&str] = &[
        "svg", "title", "style", "defs", "marker", "path", "rect", "text", "g", "polygon",
    ];
    const ATTRS: &[&str] = &[
        "xmlns",
        "width",
        "height",
        "viewBox",
        "font-family",
        "id",
        "refX",
        "refY",
        "markerWidth",
        "markerHeight",
        "markerUnits",
        "orient",
        "d",
        "fill",
        "class",
        "x",
        "y",
        "rx",
        "points",
        "stroke",
        "marker-end",
    ];
    let body = text
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .unwrap_or_else(|| panic!("{what}: no XML declaration"));
    let check_text = |t: &str| {
        assert!(!t.contains('>'), "{what}: raw '>' in text {t:?}");
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            let semi = rest[i..]
                .find(';')
                .unwrap_or_else(|| panic!("{what}: open entity"));
            let ent = &rest[i + 1..i + semi];
            assert!(
                ["amp", "lt", "gt", "quot", "#39"].contains(&ent),
                "{what}: entity &{ent};"
            );
            rest = &rest[i + semi + 1..];
        }
    };
    let mut stack: Vec<String> = Vec::new();
    let mut texts = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let t = &rest[..lt];
        check_text(t);
        if !t.trim().is_empty() {
            assert!(!stack.is_empty(), "{what}: text outside the root");
            texts.push(t.to_string());
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').unwrap_or_else(|| panic!("{what}: open tag"));
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name),
                "{what}: mismatched </{name}>"
            );
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        assert!(ELEMENTS.contains(&name), "{what}: element <{name}>");
        while !attrs.trim().is_empty() {
            attrs = attrs.trim_start();
            let (key, after) = attrs
                .split_once("=\"")
                .unwrap_or_else(|| panic!("{what}: bad attribute in <{tag}>"));
            assert!(ATTRS.contains(&key), "{what}: attribute {key} on <{name}>");
            let end = after.find('"').unwrap();
            let value = &after[..end];
            assert!(!value.contains('<'), "{what}: '<' in an attribute");
            check_text(value);
            attrs = &after[end + 1..];
        }
        if name == "svg" {
            assert!(stack.is_empty(), "{what}: nested <svg>");
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    assert!(stack.is_empty(), "{what}: unclosed {stack:?}");
    texts
}

fn check(format: GraphFormat, text: &str, what: &str) {
    match format {
        GraphFormat::Mermaid => check_mermaid(text, what),
        GraphFormat::Dot => check_dot(text, what, &[]),
        GraphFormat::Svg => {
            check_svg(text, what);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Flows.

fn node(id: &str, kind: &str, label: &str) -> Value {
    json!({"id": id, "type": kind, "label": label, "position": {"x": 0, "y": 0}})
}

fn edge(id: &str, kind: &str, from: (&str, &str), to: (&str, &str)) -> Value {
    json!({"id": id, "type": kind, "source": {"node": from.0, "port": from.1},
           "target": {"node": to.0, "port": to.1}})
}

fn flow(nodes: Vec<Value>, edges: Vec<Value>) -> Value {
    json!({"id": "flow_t", "name": "Test", "version": "1.0.0", "nodes": nodes, "edges": edges})
}

/// Hostile text as every label, id, condition, port, loop setting, kind and the flow name.
fn hostile_flow() -> Value {
    let h = |tag: &str| format!("{tag}{HOSTILE}");
    let mut decision = node(&h("d"), "logic_decision", &h("label d "));
    decision["outputs"] = json!([{"id": h("port yes "), "label": h("yes")}, {"id": "no"}]);
    let mut lp = node(&h("l"), "logic_loop", &h("label l "));
    lp["config"] = json!({"style": "foreach", "items": h("items "), "item": h("it ")});
    let mut w = node(&h("w"), "logic_loop", &h("label w "));
    w["config"] = json!({"style": "while", "condition": h("cond "), "max_iterations": 3});
    let mut doc = flow(
        vec![
            node(&h("e"), "entry_api", &h("label e ")),
            decision,
            node(&h("a"), "llm_rigid", &h("label a ")),
            lp,
            node(&h("b"), "tool_http", ""),
            w,
            node(&h("c"), &h("kind "), &h("label c ")),
        ],
        vec![
            edge("1", "sequential", (&h("e"), "out_request"), (&h("d"), "in")),
            {
                let mut e = edge(
                    "2",
                    "conditional",
                    (&h("d"), &h("port yes ")),
                    (&h("a"), "in"),
                );
                e["condition"] = json!(h("cond "));
                e
            },
            edge("3", "sequential", (&h("d"), "no"), (&h("l"), &h("in "))),
            edge("4", "sequential", (&h("l"), "body"), (&h("b"), "in")),
            edge("5", "sequential", (&h("l"), "done"), (&h("w"), "in")),
            edge("6", "sequential", (&h("w"), "body"), (&h("c"), "in")),
            edge("7", "data", (&h("a"), "out"), (&h("c"), "in")),
            edge("8", "sequential", (&h("c"), "out"), (&h("missing "), "in")),
            edge("9", &h("type "), (&h("a"), "out"), (&h("d"), "in")),
        ],
    );
    doc["name"] = json!(h("name "));
    doc
}

/// A flow with problems of every kind the picture should show.
fn broken_flow() -> Value {
    let mut cond_missing = edge("e3", "conditional", ("b", "out"), ("c", "in"));
    cond_missing["condition"] = json!("  ");
    let mut bad_pos = node("d", "llm_rigid", "No Position");
    bad_pos.as_object_mut().unwrap().remove("position");
    flow(
        vec![
            node("entry", "entry_api", "Start"),
            node("a", "llm_rigid", "A"),
            node("b", "llm_rigid", "B"),
            node("c", "llm_rigid", "C"),
            bad_pos,
            node("island", "llm_typo", "Island"),
        ],
        vec![
            edge("e1", "sequential", ("entry", "out_request"), ("a", "in")),
            edge("e2", "sequential", ("a", "out"), ("b", "in")),
            cond_missing,
            edge("e4", "sequential", ("c", "out"), ("a", "in")), // cycle a → b → c → a
            edge("e5", "sequential", ("c", "out"), ("ghost", "in")),
            edge("e6", "sequential", ("c", "out_typo"), ("d", "in")),
            edge("e7", "sequential", ("b", "out"), ("d", "in")),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn every_example_in_every_format() {
    for p in examples() {
        let source = read_source(&p).unwrap();
        for format in FORMATS {
            let out = graph(&source, format);
            assert!(
                !out.diagnostics.iter().any(|d| d.is_error()),
                "{}: {:?}",
                p.display(),
                out.diagnostics
            );
            let text = draw(&source, format);
            check(format, &text, &format!("{} {format:?}", p.display()));
            // Every node's label is in the drawing.
            let doc: Value = serde_json::from_str(&source.text).unwrap();
            for n in doc["nodes"].as_array().unwrap() {
                let label = n["label"].as_str().unwrap();
                // (The examples' labels hold no character any format escapes.)
                assert!(
                    text.contains(label),
                    "{}: {format:?} lacks {label}",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn mermaid_snapshots() {
    for name in ["customer-support", "research-fanout"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(format!("{name}.flow.json"));
        let source = read_source(&p).unwrap();
        insta::assert_snapshot!(
            format!("mermaid-{name}"),
            draw(&source, GraphFormat::Mermaid)
        );
    }
}

#[test]
fn structure_is_visible() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/research-fanout.flow.json");
    let source = read_source(&p).unwrap();
    let mmd = draw(&source, GraphFormat::Mermaid);
    // Loops are hexagons in a box titled by their config; ports label the loop's edges;
    // the parallel is a parallelogram; the data edge is dashed.
    assert!(
        mmd.contains("subgraph loop0 [\"foreach topic in #123;#123;input.topics#125;#125;\"]"),
        "{mmd}"
    );
    assert!(
        mmd.contains("n2{{\"For Each Topic<br>logic_loop\"}}:::loop"),
        "{mmd}"
    );
    assert!(mmd.contains("n2 -->|\"body\"| n3"), "{mmd}");
    assert!(mmd.contains("n2 -->|\"done\"| n5"), "{mmd}");
    assert!(
        mmd.contains("n5[/\"Gather Evidence<br>logic_parallel\"/]:::parallel"),
        "{mmd}"
    );
    assert!(mmd.contains("n1 -.-> n9"), "{mmd}");
    let dot = draw(&source, GraphFormat::Dot);
    assert!(dot.contains("subgraph cluster_loop0 {"), "{dot}");
    assert!(dot.contains("n1 -> n9 [style=dashed"), "{dot}");
    assert!(dot.contains("shape=hexagon"), "{dot}");
    let svg = draw(&source, GraphFormat::Svg);
    assert!(svg.contains("<rect class=\"cluster\""), "{svg}");
    assert!(svg.contains("class=\"edge data\""), "{svg}");
    // Conditions label the decision's arms.
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/customer-support.flow.json");
    let mmd = draw(&read_source(&p).unwrap(), GraphFormat::Mermaid);
    assert!(mmd.contains("n4 -->|\"intent == 'refund'\"| n5"), "{mmd}");
    assert!(
        mmd.contains("n4{\"Route by Intent<br>logic_decision\"}:::decision"),
        "{mmd}"
    );
}

#[test]
fn deterministic_and_in_declaration_order() {
    for p in examples() {
        let source = read_source(&p).unwrap();
        for format in FORMATS {
            assert_eq!(
                draw(&source, format),
                draw(&source, format),
                "{}",
                p.display()
            );
        }
    }
    // Nodes are numbered and written in declaration order; edges too.
    let doc = flow(
        vec![
            node("z", "entry_api", "Zed"),
            node("m", "llm_rigid", "Em"),
            node("a", "llm_rigid", "Ay"),
        ],
        vec![
            edge("2", "sequential", ("m", "out"), ("a", "in")),
            edge("1", "sequential", ("z", "out_request"), ("m", "in")),
        ],
    );
    let mmd = draw(&source_of("order", &doc), GraphFormat::Mermaid);
    let body: Vec<&str> = mmd.lines().skip(1).take(5).map(str::trim).collect();
    assert_eq!(
        body,
        [
            "n0([\"Zed<br>entry_api\"]):::entry",
            "n1[\"Em<br>llm_rigid\"]:::llm",
            "n2[\"Ay<br>llm_rigid\"]:::llm",
            "n1 --> n2",
            "n0 --> n1",
        ]
    );
}

#[test]
fn hostile_text_stays_inside_its_labels() {
    let doc = hostile_flow();
    let source = source_of("hostile", &doc);
    let markers = [
        "script", "PWNED", "onerror", "alert", "分类", "CDATA", "init",
    ];
    for format in FORMATS {
        let text = draw(&source, format);
        let what = format!("hostile {format:?}");
        match format {
            GraphFormat::Mermaid => {
                check_mermaid(&text, &what);
                // The structure holds: 8 nodes (one missing), 9 edges, 2 loop boxes.
                assert_eq!(text.matches(":::").count(), 8, "{text}");
                let boxes = text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("subgraph loop"));
                assert_eq!(boxes.count(), 2, "{text}");
                // Controls are shown, not passed through.
                assert!(
                    text.contains("\\u#123;1b#125;[31mPWNED\\u#123;0#125;"),
                    "{text}"
                );
                assert!(text.contains("\\u#123;202e#125;evil"), "{text}");
            }
            GraphFormat::Dot => {
                check_dot(&text, &what, &markers);
                assert!(text.contains("\\u{1b}[31mPWNED\\u{0}\\u{7}"), "{text}");
            }
            GraphFormat::Svg => {
                let texts = check_svg(&text, &what);
                assert!(
                    texts
                        .iter()
                        .any(|t| t.contains("&lt;script&gt;alert(1)&lt;/script&gt;")),
                    "{texts:?}"
                );
                assert!(
                    texts.iter().any(|t| t.contains("\\u{202e}evil")),
                    "{texts:?}"
                );
            }
        }
    }
}

#[test]
fn broken_flow_is_drawn_with_its_diagnostics() {
    let source = source_of("broken", &broken_flow());
    for format in FORMATS {
        let out = graph(&source, format);
        assert!(out.diagnostics.iter().any(|d| d.is_error()), "{format:?}");
        let text = out.text.expect("a broken flow is still drawn");
        check(format, &text, &format!("broken {format:?}"));
    }
    let mmd = draw(&source, GraphFormat::Mermaid);
    // The cycle's closing edge is red, the missing node dashed, the island unreachable,
    // the unknown kind named, the missing condition said, the wrong port shown.
    assert!(mmd.contains("n3 --> n1\n"), "{mmd}");
    assert!(mmd.contains("linkStyle 3 stroke:#c62828"), "{mmd}");
    assert!(
        mmd.contains("n6[\"ghost<br>missing node\"]:::missing"),
        "{mmd}"
    );
    assert!(
        mmd.contains("n5[\"Island<br>unknown kind llm_typo\"]:::unknown"),
        "{mmd}"
    );
    assert!(mmd.contains("class n5 unreachable"), "{mmd}");
    assert!(mmd.contains("n2 -->|\"(no condition)\"| n3"), "{mmd}");
    assert!(mmd.contains("n3 -->|\"out_typo\"| n4"), "{mmd}");
    assert!(mmd.contains("n2 -->|\"else\"| n4"), "{mmd}");
    let svg = draw(&source, GraphFormat::Svg);
    assert!(svg.contains("class=\"edge cycle\""), "{svg}");
}

#[test]
fn unreadable_documents_are_not_drawn() {
    for text in [
        "{not json",
        "[1, 2]",
        r#"{"id": "f", "name": "n", "version": "1.0.0", "nodes": {"a": 1}}"#,
        r#"{"id": "f", "name": "n", "version": "1.0.0", "nodes": [], "edges": 3}"#,
    ] {
        let out = graph(&SourceFile::new("bad", text), GraphFormat::Svg);
        assert_eq!(out.text, None, "{text}");
        assert!(out.diagnostics.iter().any(|d| d.is_error()), "{text}");
    }
    // A flow without nodes is an empty drawing.
    let out = graph(
        &SourceFile::new("empty", r#"{"id": "f", "name": "n", "version": "1.0.0"}"#),
        GraphFormat::Mermaid,
    );
    let text = out.text.unwrap();
    assert!(!text.contains(":::"), "{text}");
    check_mermaid(&text, "empty");
}

fn chain(n: usize) -> Value {
    let mut nodes = vec![node("n_0", "entry_api", "start")];
    let mut edges = Vec::new();
    for i in 1..n {
        nodes.push(node(&format!("n_{i}"), "llm_rigid", &format!("step {i}")));
        let from_port = if i == 1 { "out_request" } else { "out" };
        edges.push(edge(
            &format!("e{i}"),
            "sequential",
            (&format!("n_{}", i - 1), from_port),
            (&format!("n_{i}"), "in"),
        ));
    }
    flow(nodes, edges)
}

#[test]
fn large_chain_output_is_linear() {
    // Output per node stays bounded (no quadratic term): compare 1,000 and 5,000 nodes.
    let small = source_of("chain1k", &chain(1000));
    let large = source_of("chain5k", &chain(5000));
    for (format, per_node) in [
        (GraphFormat::Mermaid, 120),
        (GraphFormat::Dot, 400),
        (GraphFormat::Svg, 1200),
    ] {
        let a = draw(&small, format).len();
        let b = draw(&large, format).len();
        assert!(b < 5000 * per_node, "{format:?}: {b} bytes for 5,000 nodes");
        assert!(
            b < a * 6,
            "{format:?}: {a} bytes for 1,000 nodes, {b} for 5,000"
        );
    }
}

#[test]
fn deep_and_wide_structures_stay_bounded() {
    // 300 loops nested in each other: boxes stop at the documented depth.
    let mut nodes = vec![node("entry", "entry_api", "start")];
    let mut edges = vec![];
    let mut prev = ("entry".to_string(), "out_request");
    for i in 0..300 {
        let mut l = node(&format!("l{i}"), "logic_loop", &format!("loop {i}"));
        l["config"] = json!({"style": "while", "condition": "x", "max_iterations": 2});
        nodes.push(l);
        edges.push(edge(
            &format!("e{i}"),
            "sequential",
            (&prev.0, prev.1),
            (&format!("l{i}"), "in"),
        ));
        prev = (format!("l{i}"), "body");
    }
    let source = source_of("nested", &flow(nodes, edges));
    let mmd = draw(&source, GraphFormat::Mermaid);
    assert_eq!(
        mmd.matches("subgraph ").count(),
        scaiflow::graph::MAX_CLUSTER_DEPTH
    );
    let svg = draw(&source, GraphFormat::Svg);
    check_svg(&svg, "nested");
    // One parallel node fanning out to 3,000 branches.
    let mut nodes = vec![
        node("entry", "entry_api", "start"),
        node("p", "logic_parallel", "fan"),
    ];
    let mut edges = vec![edge(
        "e",
        "sequential",
        ("entry", "out_request"),
        ("p", "in"),
    )];
    for i in 0..3000 {
        nodes.push(node(&format!("b{i}"), "tool_http", &format!("branch {i}")));
        edges.push(edge(
            &format!("e{i}"),
            "sequential",
            ("p", "out"),
            (&format!("b{i}"), "in"),
        ));
    }
    let svg = draw(&source_of("wide", &flow(nodes, edges)), GraphFormat::Svg);
    assert!(svg.len() < 3000 * 1200, "{} bytes", svg.len());
    // A decision with 3,000 labelled arms, and an entry with an edge to every node of a
    // 2,000-node chain (long edges whose lanes would add up to 2,000,000 without the budget).
    let mut nodes = vec![
        node("entry", "entry_api", "start"),
        node("d", "logic_decision", "d"),
    ];
    let mut edges = vec![edge(
        "e",
        "sequential",
        ("entry", "out_request"),
        ("d", "in"),
    )];
    for i in 0..3000 {
        nodes.push(node(&format!("b{i}"), "tool_http", &format!("branch {i}")));
        let mut e = edge(
            &format!("e{i}"),
            "conditional",
            ("d", "out"),
            (&format!("b{i}"), "in"),
        );
        e["condition"] = json!(format!("x == {i}"));
        edges.push(e);
    }
    let svg = draw(&source_of("arms", &flow(nodes, edges)), GraphFormat::Svg);
    assert!(svg.len() < 3000 * 1500, "{} bytes", svg.len());
    let mut doc = chain(2000);
    let edges = doc["edges"].as_array_mut().unwrap();
    for i in 2..2000 {
        edges.push(edge(
            &format!("x{i}"),
            "sequential",
            ("n_0", "out_request"),
            (&format!("n_{i}"), "in"),
        ));
    }
    let svg = draw(&source_of("skips", &doc), GraphFormat::Svg);
    assert!(svg.len() < 4000 * 2000, "{} bytes", svg.len());
}

// ---------------------------------------------------------------------------------------
// Real parsers and renders.

/// Every drawing the tests make, by file name.
fn all_drawings() -> Vec<(String, GraphFormat, String)> {
    let mut sources: Vec<(String, SourceFile)> = examples()
        .iter()
        .map(|p| (example_name(p), read_source(p).unwrap()))
        .collect();
    sources.push(("hostile".into(), source_of("hostile", &hostile_flow())));
    sources.push(("broken".into(), source_of("broken", &broken_flow())));
    let mut out = Vec::new();
    for (name, source) in &sources {
        for format in FORMATS {
            out.push((
                format!("{name}.{}", format.extension()),
                format,
                draw(source, format),
            ));
        }
    }
    out
}

fn temp_files(format: GraphFormat) -> (tempfile::TempDir, Vec<(PathBuf, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let files = all_drawings()
        .into_iter()
        .filter(|(_, f, _)| *f == format)
        .map(|(name, _, text)| {
            let p = dir.path().join(&name);
            std::fs::write(&p, &text).unwrap();
            (p, text)
        })
        .collect();
    (dir, files)
}

#[test]
fn graphviz_reads_every_dot_output() {
    if !Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: Graphviz `dot` is not installed (apt-get install graphviz)");
        return;
    }
    let (_dir, files) = temp_files(GraphFormat::Dot);
    for (p, _) in files {
        let out = Command::new("dot").arg("-Tsvg").arg(&p).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{}: {stderr}",
            p.display()
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        for bad in ["<script", "<img", "<foreignObject"] {
            assert!(!svg.contains(bad), "{}: {bad} in dot's SVG", p.display());
        }
        if p.ends_with("hostile.dot") {
            assert!(
                svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{svg}"
            );
        }
    }
}

#[test]
fn mermaid_renders_every_mermaid_output() {
    let Some(check) = std::env::var_os("SCAIFLOW_MERMAID_CHECK").filter(|v| !v.is_empty()) else {
        eprintln!(
            "skipped: set SCAIFLOW_MERMAID_CHECK=scripts/check-graph.sh (with mermaid-cli installed) to render the Mermaid outputs"
        );
        return;
    };
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join(check);
    let (_dir, files) = temp_files(GraphFormat::Mermaid);
    for (p, _) in files {
        let out = Command::new("bash")
            .arg(&check)
            .arg("--mermaid")
            .arg(&p)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            p.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The check prints the rendered SVG: no injected element survives.
        let svg = String::from_utf8_lossy(&out.stdout);
        for bad in ["<script", "<img"] {
            assert!(
                !svg.contains(bad),
                "{}: {bad} in Mermaid's SVG",
                p.display()
            );
        }
    }
}

/// With `SCAIFLOW_GRAPH_OUT=DIR`, writes every drawing into DIR (for scripts/check-graph.sh).
#[test]
fn write_outputs() {
    let Some(dir) = std::env::var_os("SCAIFLOW_GRAPH_OUT").filter(|v| !v.is_empty()) else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, _, text) in all_drawings() {
        std::fs::write(dir.join(name), text).unwrap();
    }
}
