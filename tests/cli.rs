//! End-to-end tests of the `scaiflow` binary: exit codes, output streams and formats, and
//! hostile inputs (each must give one clear diagnostic, never a panic or a hang).

mod common;

use common::{bin, run_stdin};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run scaiflow")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_no_panic(out: &Output) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "panic: {err}");
}

/// The examples as paths relative to the crate root (how a user names them).
fn examples() -> Vec<String> {
    common::examples()
        .iter()
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect()
}

const VALID: &str = r#"{"id": "f", "name": "F", "version": "1.0.0",
 "nodes": [{"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
           {"id": "node_t", "type": "llm_rigid", "label": "T", "position": {"x": 0, "y": 120},
            "config": {"template": "Hello {{input.name}}"}}],
 "edges": [{"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"},
            "target": {"node": "node_t", "port": "in"}}]}"#;

/// A flow with two errors: a port typo and an undeclared variable.
const TWO_ERRORS: &str = r#"{"id": "f", "name": "F", "version": "1.0.0",
 "nodes": [{"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
           {"id": "node_set", "type": "data_variable_set", "label": "Set", "position": {"x": 0, "y": 120},
            "config": {"variable": "totl", "value": "1"}}],
 "variables": [{"name": "total", "type": "int"}],
 "edges": [{"id": "edge_xyz", "type": "sequential", "source": {"node": "node_in", "port": "out_typo"},
            "target": {"node": "node_set", "port": "in"}}]}"#;

fn temp_file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn examples_validate_clean() {
    let ex = examples();
    assert!(ex.len() >= 5, "at least five examples: {ex:?}");
    let mut args = vec!["validate"];
    args.extend(ex.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "one line per diagnostic, none when clean"
    );
    assert!(out.stdout.is_empty());
    let mut args = vec!["validate", "--message-format", "human"];
    args.extend(ex.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr).trim(),
        format!("validate: {} files ok", ex.len())
    );
}

#[test]
fn json_output_has_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let good = temp_file(&dir, "good.flow.json", VALID.as_bytes());
    let bad = temp_file(&dir, "bad.flow.json", TWO_ERRORS.as_bytes());
    let out = run(&[
        "validate",
        "--json",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["errors"], serde_json::json!([]));
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(
        lines[1]["errors"],
        serde_json::json!([
            "node 'node_set': variable 'totl' is not declared",
            "edge 'edge_xyz': source node 'node_in' has no output port 'out_typo'",
        ])
    );
    let d = &lines[1]["diagnostics"][1];
    assert_eq!(d["code"], "SF204");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "edges[0].source.port");
    assert_eq!(d["edge_id"], "edge_xyz");
    assert_eq!(d["node_id"], "node_in");
    assert_eq!(d["line"], 6);
    let start = d["span"]["start"].as_u64().unwrap() as usize;
    let end = d["span"]["end"].as_u64().unwrap() as usize;
    assert_eq!(&TWO_ERRORS[start..end], "\"out_typo\"");
    assert_eq!(d["help"], "output ports: out_request");
    // --json replaces the human report: nothing on stderr.
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn stdin_is_read_with_dash() {
    let out = run_stdin(&["validate", "-"], VALID.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let out = run_stdin(
        &["validate", "--message-format", "short", "-"],
        TWO_ERRORS.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>:6:91: error[SF204]: edge 'edge_xyz': source node 'node_in' has no output port 'out_typo'"),
        "{err}"
    );
}

/// Upstream prints one diagnostic per line; so do we whenever stderr is not a terminal
/// (CI logs, pre-commit, pipes), unless asked for another format.
#[test]
fn default_format_off_a_terminal_is_one_line_per_diagnostic() {
    let out = run_stdin(&["validate", "-"], TWO_ERRORS.as_bytes());
    let err = text(&out.stderr);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "<stdin>:4:36: error[SF311]: node 'node_set': variable 'totl' is not declared",
            "<stdin>:6:91: error[SF204]: edge 'edge_xyz': source node 'node_in' has no output port 'out_typo'",
        ]
    );
}

#[test]
fn short_format_one_line_per_diagnostic() {
    let out = run_stdin(
        &["validate", "--message-format", "short", "-"],
        TWO_ERRORS.as_bytes(),
    );
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("<stdin>:4:36:") && lines[0].contains("error[SF311]"),
        "{err}"
    );
}

#[test]
fn human_format_underlines_and_summarises() {
    let out = run_stdin(
        &[
            "validate",
            "--message-format",
            "human",
            "--color",
            "never",
            "-",
        ],
        TWO_ERRORS.as_bytes(),
    );
    let err = text(&out.stderr);
    assert!(err.contains("× error[SF204]: edge 'edge_xyz'"), "{err}");
    assert!(err.contains("╭─[<stdin>:6:91]"), "{err}");
    assert!(err.contains("help: output ports: out_request"), "{err}");
    assert!(err.contains("help: did you mean `total`?"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("validate: 2 errors in 1 of 1 file"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "no colour when told never");
    let out = run_stdin(
        &[
            "validate",
            "--message-format",
            "human",
            "--color",
            "always",
            "-",
        ],
        TWO_ERRORS.as_bytes(),
    );
    assert!(
        text(&out.stderr).contains('\u{1b}'),
        "colour when told always"
    );
}

#[test]
fn github_format_by_default_on_actions() {
    let out = bin()
        .args(["validate", "-"])
        .env("GITHUB_ACTIONS", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(TWO_ERRORS.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("::error file=<stdin>,line=6,col=91,endLine=6,endColumn=101,title=SF204::edge 'edge_xyz': source node 'node_in' has no output port 'out_typo'%0Ahelp: output ports: out_request"),
        "{stdout}"
    );
}

#[test]
fn sarif_is_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let bad = temp_file(&dir, "bad.flow.json", TWO_ERRORS.as_bytes());
    let good = temp_file(&dir, "good.flow.json", VALID.as_bytes());
    let out = run(&[
        "validate",
        "--message-format",
        "sarif",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "scaiflow");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["SF204", "SF311"]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["ruleId"], "SF204");
    assert_eq!(results[1]["level"], "error");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
}

#[test]
fn json_message_format_streams_records() {
    let out = run_stdin(
        &["validate", "--message-format", "json", "-"],
        TWO_ERRORS.as_bytes(),
    );
    let recs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["code"], "SF311");
    assert_eq!(recs[0]["file"], "<stdin>");
}

/// Each hostile input: exit code, the single expected code.
#[test]
fn hostile_inputs_get_one_clear_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{{\"id\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("not-json.json", b"this is not json".to_vec(), 1, "SF100"),
        ("empty.json", Vec::new(), 1, "SF100"),
        ("array.json", b"[1, 2, 3]".to_vec(), 1, "SF103"),
        ("string.json", b"\"flow\"".to_vec(), 1, "SF103"),
        (
            "dup.json",
            br#"{"id": "a", "id": "b"}"#.to_vec(),
            1,
            "SF101",
        ),
        ("utf8.json", b"{\"id\": \"\xff\xfe\"}".to_vec(), 1, "SF003"),
        ("deep.json", deep.into_bytes(), 1, "SF102"),
        (
            "trailing.json",
            format!("{VALID} {{}}").into_bytes(),
            1,
            "SF100",
        ),
    ];
    for (name, content, code, diag) in cases {
        let p = temp_file(&dir, name, &content);
        let out = run(&["validate", "--message-format", "short", p.to_str().unwrap()]);
        assert_no_panic(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert_eq!(
            err.lines().count(),
            1,
            "{name}: exactly one diagnostic: {err}"
        );
        assert!(err.contains(&format!("error[{diag}]")), "{name}: {err}");
    }
}

#[test]
fn oversized_input_is_refused_without_reading_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.flow.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    let out = run(&["validate", "--message-format", "short", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[SF002]: '")
            && err.contains("is 52428800 bytes, larger than the 16 MiB input limit"),
        "{err}"
    );
    // Through stdin the size is unknown up front; the read stops at the limit.
    let big = vec![b' '; 17 * 1024 * 1024];
    let out = run_stdin(&["validate", "--message-format", "short", "-"], &big);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[SF002]: '<stdin>' is larger than the 16 MiB input limit")
    );
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // (`validate` and `compile` read a directory as its `*.flow.json` files, tests/ci.rs;
    // the one-file commands cannot read it.)
    let out = run(&[
        "import",
        "--message-format",
        "short",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("error[SF001]: cannot read '")
            && text(&out.stderr).contains("': it is a directory")
    );
    let out = run(&[
        "validate",
        "--message-format",
        "short",
        "no/such/file.flow.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "no/such/file.flow.json: error[SF001]: cannot read 'no/such/file.flow.json': no such file"
    );
}

#[test]
fn exit_code_is_the_worst_of_all_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = temp_file(&dir, "good.json", VALID.as_bytes());
    let bad = temp_file(&dir, "bad.json", TWO_ERRORS.as_bytes());
    let g = good.to_str().unwrap();
    let b = bad.to_str().unwrap();
    assert_eq!(run(&["validate", g, g]).status.code(), Some(0));
    assert_eq!(run(&["validate", g, b, g]).status.code(), Some(1));
    assert_eq!(
        run(&["validate", b, "missing.json", g]).status.code(),
        Some(2)
    );
    // Every file is reported, not just the first bad one.
    let out = run(&["validate", "--message-format", "short", b, b]);
    assert_eq!(text(&out.stderr).lines().count(), 4);
}

#[test]
fn warnings_do_not_fail() {
    // An unreachable node is a warning.
    let flow = r#"{"id": "f", "name": "F", "version": "1.0.0",
     "nodes": [{"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
               {"id": "node_lost", "type": "llm_rigid", "label": "Lost", "position": {"x": 0, "y": 120},
                "config": {"template": "x"}}],
     "edges": []}"#;
    let out = run_stdin(
        &["validate", "--message-format", "short", "-"],
        flow.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr)
            .contains("warning[SF210]: node 'node_lost' is unreachable from every entry point")
    );
    let out = run_stdin(&["validate", "--json", "-"], flow.as_bytes());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
}

#[test]
fn explain_codes() {
    let out = run(&["explain", "SF204"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.starts_with("SF204 (error): the source node has no such output port"),
        "{s}"
    );
    assert!(s.contains("edge 'edge_xyz': source node 'node_abc' has no output port 'out_typo'"));
    let out = run(&["explain", "sf207"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["explain", "SF999"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["explain"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).lines().count() >= 40);
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(run(&["validate"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["validate", "--message-format", "xml", "x"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["--version"]).status.code(), Some(0));
}

/// A minified flow (one line of ~75 KB) with errors far to the right: the human renderer
/// shows a window of the line with the real line:column, never the whole line (and never
/// panics on columns past 65,535).
#[test]
fn human_format_on_minified_flows() {
    let mut flow: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/customer-support.flow.json"),
        )
        .unwrap(),
    )
    .unwrap();
    flow["metadata"]["description"] = "x".repeat(70_000).into();
    let last = flow["edges"].as_array().unwrap().len() - 1;
    flow["edges"][last]["target"]["port"] = "inn".into();
    let minified = serde_json::to_string(&flow).unwrap();
    let at = minified.find("\"inn\"").unwrap();
    let out = run_stdin(
        &[
            "validate",
            "--message-format",
            "human",
            "--color",
            "never",
            "-",
        ],
        minified.as_bytes(),
    );
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("╭─[<stdin>:1:{}]", at + 1)), "{err}");
    assert!(err.contains(r#""port":"inn"}"#), "{err}");
    assert!(
        err.len() < 2_000,
        "the excerpt is a window, not the line: {} bytes",
        err.len()
    );
}

/// Thousands of diagnostics in one file stay fast (no per-diagnostic rescans): this is a
/// correctness check of the output size, the timing lives in the benchmark.
#[test]
fn many_diagnostics_are_all_reported() {
    let mut nodes = vec![
        serde_json::json!({"id": "node_in", "type": "entry_api", "label": "In",
        "position": {"x": 0, "y": 0}}),
    ];
    for i in 0..2000 {
        nodes.push(
            serde_json::json!({"id": format!("node_s{i}"), "type": "llm_rigid",
            "label": "S", "position": {"x": 0, "y": i}, "config": {"template": "t"}}),
        );
    }
    let flow = serde_json::json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": []});
    let out = run_stdin(
        &["validate", "--message-format", "short", "-"],
        flow.to_string().as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "warnings only");
    assert_eq!(
        text(&out.stderr)
            .lines()
            .filter(|l| l.contains("warning[SF210]"))
            .count(),
        2000
    );
}

/// Control characters in user ids are escaped: one diagnostic stays one line, and nothing
/// reaches the terminal raw.
#[test]
fn control_characters_are_escaped() {
    let flow = VALID.replace(
        r#""target": {"node": "node_t""#,
        r#""target": {"node": "node_x\nf.json:1:1: error[SF999]: injected\u001b[2J""#,
    );
    for format in ["short", "human", "github"] {
        let out = run_stdin(
            &[
                "validate",
                "--color",
                "never",
                "--message-format",
                format,
                "-",
            ],
            flow.as_bytes(),
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains('\u{1b}'), "{format}: {all}");
        assert!(!all.contains("\nf.json:1:1"), "{format}: {all}");
        assert!(
            all.contains(r"node_x\nf.json:1:1: error[SF999]: injected\u{1b}[2J"),
            "{format}: {all}"
        );
    }
}

#[test]
fn stdin_can_be_named_once() {
    let out = run_stdin(&["validate", "-", "-"], VALID.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`-` (standard input) can be given only once"));
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_checked_too() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let good = temp_file(&dir, "good.json", VALID.as_bytes());
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"n\xffame.flow.json"));
    std::fs::write(&odd, TWO_ERRORS).unwrap();
    let out = bin()
        .args(["validate", "--message-format", "short"])
        .arg(&good)
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("n\u{fffd}ame.flow.json:6:91: error[SF204]"),
        "{err}"
    );
}

/// Thousands of nested decisions: a diagnostic, not a stack overflow.
#[test]
fn deeply_nested_blocks_are_bounded() {
    let mut nodes = vec![
        serde_json::json!({"id": "node_in", "type": "entry_api", "label": "In",
        "position": {"x": 0, "y": 0}}),
    ];
    let mut edges = Vec::new();
    let mut prev = ("node_in".to_string(), "out_request");
    for i in 0..6000 {
        let d = format!("node_d{i}");
        let leaf = format!("node_l{i}");
        nodes.push(serde_json::json!({"id": d, "type": "logic_decision", "label": "D", "position": {"x": 0, "y": i}}));
        nodes.push(serde_json::json!({"id": leaf, "type": "llm_rigid", "label": "L", "position": {"x": 0, "y": i},
            "config": {"template": "t"}}));
        let mut e = serde_json::json!({"id": format!("a{i}"), "type": "sequential",
            "source": {"node": prev.0, "port": prev.1}, "target": {"node": d, "port": "in"}});
        if i > 0 {
            e["type"] = "conditional".into();
            e["condition"] = "x".into();
        }
        edges.push(e);
        edges.push(
            serde_json::json!({"id": format!("b{i}"), "type": "sequential",
            "source": {"node": d, "port": "out"}, "target": {"node": leaf, "port": "in"}}),
        );
        prev = (d, "out");
    }
    let flow = serde_json::json!({"id": "f", "name": "F", "version": "1.0.0", "nodes": nodes, "edges": edges});
    let out = run_stdin(
        &["validate", "--message-format", "short", "-"],
        flow.to_string().as_bytes(),
    );
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "error[SF216]: node 'node_l200': blocks are nested more than 200 levels deep"
        )
    );
}

#[test]
fn compile_writes_the_documented_default_name() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nightly-report.flow.json"),
    )
    .unwrap();
    let input = temp_file(&dir, "my-flow.flow.json", &src);
    let out = run(&["compile", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = std::fs::read_to_string(dir.path().join("my-flow.yaml")).unwrap();
    assert!(
        yaml.starts_with("core:\n  name: nightly-metrics-report\n"),
        "{yaml}"
    );
    // `.json` alone is replaced too; stdin goes to stdout.
    let plain = temp_file(&dir, "other.json", &src);
    assert_eq!(
        run(&["compile", plain.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert!(dir.path().join("other.yaml").exists());
    let piped = run_stdin(&["compile", "-"], &src);
    assert_eq!(text(&piped.stdout), yaml);
    let to_stdout = run(&["compile", "--out", "-", input.to_str().unwrap()]);
    assert_eq!(text(&to_stdout.stdout), yaml);
}

#[test]
fn compile_errors_write_nothing_and_keep_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = temp_file(&dir, "bad.flow.json", TWO_ERRORS.as_bytes());
    let old = temp_file(&dir, "bad.yaml", b"previous contents\n");
    let out = run(&[
        "compile",
        "--message-format",
        "short",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).lines().count(),
        2,
        "all errors: {}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "previous contents\n"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary or partial files: {names:?}");
    // An unwritable destination: exit 2, nothing left behind.
    let good = temp_file(&dir, "good.flow.json", VALID.as_bytes());
    let out = run(&[
        "compile",
        "--out",
        "/nonexistent-dir/x.yaml",
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write '/nonexistent-dir/x.yaml'"));
}

#[test]
fn compile_check_reports_stale_and_missing_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let flow = temp_file(&dir, "f.flow.json", VALID.as_bytes());
    let f = flow.to_str().unwrap();
    let out = run(&["compile", "--check", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("f.yaml' is missing"));
    assert!(!dir.path().join("f.yaml").exists(), "--check never writes");
    assert_eq!(run(&["compile", f]).status.code(), Some(0));
    assert_eq!(run(&["compile", "--check", f]).status.code(), Some(0));
    let yaml = dir.path().join("f.yaml");
    let mut stale = std::fs::read_to_string(&yaml).unwrap();
    stale.push_str("# edited\n");
    std::fs::write(&yaml, &stale).unwrap();
    let out = run(&["compile", "--check", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("f.yaml' is stale"));
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        stale,
        "--check never writes"
    );
}

#[test]
fn compile_check_needs_a_file() {
    let out = run_stdin(&["compile", "--check", "-"], VALID.as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is written to stdout");
    assert!(text(&out.stderr).contains("--check compares with an output file"));
    let out = run(&[
        "compile",
        "--check",
        "--out",
        "-",
        "examples/nightly-report.flow.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn compile_out_takes_one_flow() {
    let out = run(&["compile", "--out", "x.yaml", "a.flow.json", "b.flow.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--out takes a single FLOW (2 given)"));
}

/// `compile` fails exactly where `validate` does, and then writes nothing.
#[test]
fn every_fixture_compiles_iff_it_validates() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // Flow fixtures only (fixtures/ir/ holds IR ones).
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let input = dir.path().join(&name);
        std::fs::copy(fixtures.join(&name), &input).unwrap();
        let v = run(&["validate", input.to_str().unwrap()]).status.code();
        let c = run(&["compile", input.to_str().unwrap()]).status.code();
        assert_eq!(c, v, "{name:?}");
        let yaml = input.with_extension("").with_extension("yaml");
        assert_eq!(yaml.exists(), c == Some(0), "{name:?}: output iff success");
    }
}

#[test]
fn compile_refuses_outputs_that_would_destroy_data() {
    let dir = tempfile::tempdir().unwrap();
    let a = temp_file(&dir, "a.flow.json", VALID.as_bytes());
    let b = temp_file(&dir, "a.json", VALID.as_bytes());
    let out = run(&["compile", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("would both write"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("a.yaml").exists());
    // The same output named through another directory.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let around = dir.path().join("sub/../a.json");
    let out = run(&["compile", a.to_str().unwrap(), around.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("would both write"));
    assert!(!dir.path().join("a.yaml").exists());
    // The same flow named through another directory is compiled once.
    let same = dir.path().join("sub/../a.flow.json");
    let out = run(&["compile", a.to_str().unwrap(), same.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.path().join("a.yaml").exists());
    std::fs::remove_file(dir.path().join("a.yaml")).unwrap();
    let out = run(&["compile", "--out", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is an input flow"));
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        VALID,
        "the flow is untouched"
    );
}

#[cfg(unix)]
#[test]
fn compile_writes_through_symlinks_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let flow = temp_file(&dir, "f.flow.json", VALID.as_bytes());
    let real_dir = dir.path().join("artifacts");
    std::fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("real.yaml");
    std::fs::write(&real, "old\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("f.yaml");
    std::os::unix::fs::symlink("artifacts/real.yaml", &link).unwrap();
    let out = run(&["compile", flow.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    let written = std::fs::read_to_string(&real).unwrap();
    assert!(written.starts_with("core:"), "{written}");
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions are kept");
    // No temporary file is left behind anywhere.
    assert_no_temp_files(dir.path());
    assert_no_temp_files(&real_dir);
}

#[test]
fn compile_refuses_a_directory_as_output_and_check_cannot_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let flow = temp_file(&dir, "f.flow.json", VALID.as_bytes());
    std::fs::create_dir(dir.path().join("f.yaml")).unwrap();
    let f = flow.to_str().unwrap();
    let out = run(&["compile", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot write"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        dir.path().join("f.yaml").is_dir(),
        "the directory is untouched"
    );
    // --check could not run: that is exit 2, not "stale" (1).
    let out = run(&["compile", "--check", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let out = run(&[
        "compile",
        "examples/nightly-report.flow.json",
        "--out",
        "/dev/null",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = std::fs::metadata("/dev/null").unwrap().file_type();
    assert!(t.is_char_device(), "/dev/null is still a device");
}

/// An unknown flow key is a warning (upstream loads unknown keys): the flow compiles, the
/// key is named on stderr and appears in no output (docs/flow-format.md, "Top level").
#[test]
fn an_unknown_flow_key_warns_and_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let input = dir.path().join("k.flow.json");
    std::fs::copy(fixtures.join("sf116-unknown-top-level-key.json"), &input).unwrap();
    let out = run(&["compile", input.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning[SF116]: flow: unknown property 'metdata'"));
    assert!(!text(&out.stdout).contains("metdata"));
    assert!(text(&out.stdout).starts_with("core:"));
}

/// A flow whose one node carries a `constraints` array of `n` zeros (passed through
/// verbatim to every output).
fn flow_with_constraints(n: usize) -> String {
    let zeros = vec!["0"; n].join(",");
    format!(
        r#"{{"id":"f","name":"F","version":"1.0.0","config":{{"core_identity":{{"name":"F","models":[{{"role":"primary","ref":"scaigrid","model":"openai/gpt-4o"}}]}}}},
"nodes":[{{"id":"in","type":"entry_api","label":"In","position":{{"x":0,"y":0}}}},
{{"id":"g","type":"llm_guarded","label":"G","position":{{"x":0,"y":0}},"config":{{"goal":"g","constraints":[{zeros}]}}}}],
"edges":[{{"id":"e1","type":"sequential","source":{{"node":"in","port":"out_request"}},"target":{{"node":"g","port":"in"}}}}]}}"#
    )
}

/// Whatever compile writes, its own readers read (docs/limits.md): an IR bundle past the
/// decoder's value limit and a manifest past import's size limit are refused at compile
/// time (SF004), and an existing output stays untouched.
#[test]
fn compile_never_writes_what_its_readers_refuse() {
    let dir = tempfile::tempdir().unwrap();
    // 2,100,000 values in one array: over scir::MAX_VALUES.
    let ir_flow = temp_file(
        &dir,
        "ir.flow.json",
        flow_with_constraints(2_100_000).as_bytes(),
    );
    let out_path = dir.path().join("ir.scir");
    std::fs::write(&out_path, b"keep").unwrap();
    let out = run(&[
        "compile",
        ir_flow.to_str().unwrap(),
        "--format",
        "ir",
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("error[SF004]: the IR bundle would hold more than 2000000 values")
    );
    assert_eq!(std::fs::read(&out_path).unwrap(), b"keep");
    // Just under it, the bundle is written and verifies.
    let ok_flow = temp_file(
        &dir,
        "ok.flow.json",
        flow_with_constraints(1_000_000).as_bytes(),
    );
    let ok_out = dir.path().join("ok.scir");
    let out = run(&[
        "compile",
        ok_flow.to_str().unwrap(),
        "--format",
        "ir",
        "--out",
        ok_out.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(&["verify", ok_out.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 3,000,000 zeros: a 6 MB flow whose manifest (written twice, indented) passes 64 MiB.
    let yaml_flow = temp_file(
        &dir,
        "y.flow.json",
        flow_with_constraints(3_000_000).as_bytes(),
    );
    let out = run(&["compile", yaml_flow.to_str().unwrap(), "--out", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("error[SF004]: the manifest would be"));
    // Into a file, the manifest is written as it is produced (into a temporary file) and
    // refused once its size is known: the file is untouched and nothing is left behind.
    let yaml_out = dir.path().join("y.yaml");
    std::fs::write(&yaml_out, b"keep").unwrap();
    let out = run(&["compile", yaml_flow.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("error[SF004]: the manifest would be"));
    assert_eq!(std::fs::read(&yaml_out).unwrap(), b"keep");
    assert_no_temp_files(dir.path());
}

fn assert_no_temp_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
    }
}

/// A manifest of many chunks is written into its file as it is produced: the same bytes
/// as on standard output, through a link, with the file's permissions kept.
#[cfg(unix)]
#[test]
fn a_big_manifest_is_streamed_into_its_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // About 20 bytes of YAML a constraint: some 400 KB, more than one 256 KiB chunk.
    let flow = temp_file(
        &dir,
        "big.flow.json",
        flow_with_constraints(20_000).as_bytes(),
    );
    let whole = run(&["compile", flow.to_str().unwrap(), "--out", "-"]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    assert!(whole.stdout.len() > 300_000, "{}", whole.stdout.len());
    let real = dir.path().join("real.yaml");
    std::fs::write(&real, b"old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.yaml", dir.path().join("big.yaml")).unwrap();
    let out = run(&["compile", flow.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&real).unwrap(), whole.stdout);
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "permissions are kept");
    assert!(
        std::fs::symlink_metadata(dir.path().join("big.yaml"))
            .unwrap()
            .is_symlink()
    );
    assert_no_temp_files(dir.path());
}

/// Diagnostics that cannot be written are a failure to run (exit 2, said on stderr), in
/// every machine format and command, as an artifact that cannot be written is.
#[test]
fn unwritable_diagnostics_exit_2() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flow = root.join("fixtures/sf210-unreachable-node.json");
    let flow = flow.to_str().unwrap();
    let bundle = root.join("fixtures/ir/e414-unknown-target-flow.json");
    let bundle = bundle.to_str().unwrap();
    let into_full = |args: &[&str]| {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = bin().args(args).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("error: cannot write the diagnostics"),
            "{args:?}"
        );
    };
    for format in ["json", "github", "sarif"] {
        into_full(&["validate", flow, "--message-format", format]);
        into_full(&["verify", bundle, "--message-format", format]);
    }
    into_full(&["validate", "--json", flow]);
}

/// A temporary file a killed run left beside its output is removed by the next write of
/// that output once it is old (10 minutes); a fresh one (a write under way) and files of
/// other names are kept.
#[test]
fn stale_temp_files_of_killed_runs_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let flow = temp_file(&dir, "a.flow.json", VALID.as_bytes());
    let out = dir.path().join("a.yaml");
    let old = |name: &str| {
        let p = dir.path().join(name);
        let f = std::fs::File::create(&p).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
        p
    };
    let stale = old(".a.yaml.0123456789abcdef.tmp");
    let other = old(".b.yaml.0123456789abcdef.tmp");
    let odd = old(".a.yaml.not-hex-at-all!.tmp");
    let fresh = dir.path().join(".a.yaml.fedcba9876543210.tmp");
    std::fs::write(&fresh, b"").unwrap();
    let r = run(&[
        "compile",
        flow.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(out.exists());
    assert!(!stale.exists(), "the stale temp file is removed");
    assert!(other.exists() && odd.exists() && fresh.exists());
}
