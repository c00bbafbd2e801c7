//! The CI and hook paths (docs/ci.md): streams, `--output-file`, `compile --check` /
//! `--diff` diagnostics, directories, artifacts standing for flows, `-q`, colour,
//! completions and man pages, and the pre-commit hook definitions.

mod common;

use common::{bin, output_with_stdin};

use std::path::Path;
use std::process::Output;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A valid flow with one warning (SF210: `node_x` is unreachable).
const WARNS: &str = r#"{"id": "f", "name": "F", "version": "1.0.0",
 "nodes": [{"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
           {"id": "node_t", "type": "llm_rigid", "label": "T", "position": {"x": 0, "y": 120},
            "config": {"template": "Hello {{input.name}}"}},
           {"id": "node_x", "type": "llm_rigid", "label": "X", "position": {"x": 0, "y": 240},
            "config": {"template": "Never"}}],
 "edges": [{"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_request"},
            "target": {"node": "node_t", "port": "in"}}]}"#;

/// A flow with two errors.
const BROKEN: &str = r#"{"id": "f", "name": "F", "version": "1.0.0",
 "nodes": [{"id": "node_in", "type": "entry_api", "label": "In", "position": {"x": 0, "y": 0}},
           {"id": "node_t", "type": "llm_rigid", "label": "T", "position": {"x": 0, "y": 120},
            "config": {"template": "Hello {{input.name}}"}}],
 "edges": [{"id": "e1", "type": "sequential", "source": {"node": "node_in", "port": "out_typo"},
            "target": {"node": "node_t", "port": "in"}},
           {"id": "e2", "type": "sequential", "source": {"node": "node_in", "port": "out_request"},
            "target": {"node": "node_nope", "port": "in"}}]}"#;

/// The JSON record of the one diagnostic with `code` on stdout.
fn record(out: &Output, code: &str) -> serde_json::Value {
    let found: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["code"] == code)
        .collect();
    assert_eq!(found.len(), 1, "one {code}: {}", text(&out.stdout));
    found.into_iter().next().unwrap()
}

/// What `--diff` writes after a name (docs/ci.md): a tab and a fixed timestamp, the epoch
/// for an absent file.
const EXISTS: &str = "\t2000-01-01 00:00:00.000000000 +0000";
const ABSENT: &str = "\t1970-01-01 00:00:00.000000000 +0000";

const FORMATS: [&str; 5] = ["human", "short", "json", "github", "sarif"];

fn run_in(dir: &Path, args: &[&str], envs: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut c = bin();
    c.current_dir(dir).args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    output_with_stdin(c, stdin)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args, &[], b"")
}

/// Asserts that `out` is diagnostics in `format`, each carrying one of `codes`, and nothing
/// else (a summary line for human).
fn assert_diagnostics(format: &str, out: &str, codes: &[&str]) {
    assert!(!out.is_empty(), "{format}: no diagnostics");
    match format {
        "json" => {
            for line in out.lines() {
                let v: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("json: {e}: {line}"));
                assert!(codes.contains(&v["code"].as_str().unwrap()), "{line}");
            }
        }
        "sarif" => {
            let v: serde_json::Value = serde_json::from_str(out).expect("one SARIF document");
            let results = v["runs"][0]["results"].as_array().unwrap();
            assert!(!results.is_empty());
            for r in results {
                assert!(codes.contains(&r["ruleId"].as_str().unwrap()), "{r}");
            }
        }
        "github" => {
            for line in out.lines() {
                assert!(
                    line.starts_with("::warning ") || line.starts_with("::error "),
                    "{line}"
                );
                assert!(
                    codes.iter().any(|c| line.contains(&format!("title={c}"))),
                    "{line}"
                );
            }
        }
        "short" => {
            for line in out.lines() {
                assert!(
                    codes.iter().any(|c| line.contains(&format!("[{c}]"))),
                    "{line}"
                );
            }
        }
        _ => {
            assert!(
                codes.iter().any(|c| out.contains(&format!("[{c}]"))),
                "{out}"
            );
        }
    }
}

/// Every command that writes an artifact to stdout, in every message format (and with
/// `GITHUB_ACTIONS=true` choosing `github`): stdout is exactly the artifact, which parses;
/// the diagnostics are all on stderr, and parse in their format.
#[test]
fn an_artifact_on_stdout_is_never_mixed_with_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.flow.json"), WARNS).unwrap();
    let manifest = {
        let out = run(dir.path(), &["compile", "w.flow.json", "--out", "-", "-q"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        out.stdout
    };
    std::fs::write(dir.path().join("w.yaml"), &manifest).unwrap();
    // A stale artifact for --diff.
    std::fs::write(dir.path().join("s.flow.json"), WARNS).unwrap();
    std::fs::write(dir.path().join("s.yaml"), b"old: 1\n").unwrap();

    type Check = fn(&[u8]);
    let yaml: Check = |b| {
        let _: serde_json::Value =
            serde_saphyr::from_slice(b).expect("stdout is one YAML manifest");
    };
    let json: Check = |b| {
        let _: serde_json::Value = serde_json::from_slice(b).expect("stdout is one JSON document");
    };
    let graph: Check = |b| assert!(text(b).starts_with("flowchart"), "{}", text(b));
    let diff: Check = |b| {
        assert!(
            text(b).starts_with(&format!("--- s.yaml{EXISTS}\n+++ s.yaml{EXISTS}\n@@")),
            "{}",
            text(b)
        )
    };
    // (arguments, stdin, the artifact's check, the codes on stderr, the exit code)
    type Case<'a> = (Vec<&'a str>, &'a [u8], Check, &'a [&'a str], i32);
    let cases: Vec<Case> = vec![
        (
            vec!["compile", "w.flow.json", "--out", "-"],
            b"",
            yaml,
            &["SF210"],
            0,
        ),
        (vec!["compile", "-"], WARNS.as_bytes(), yaml, &["SF210"], 0),
        (
            vec!["compile", "--format", "scai", "-"],
            WARNS.as_bytes(),
            |b| assert!(!b.is_empty()),
            &["SF210"],
            0,
        ),
        (
            vec!["compile", "--format", "ir", "-"],
            WARNS.as_bytes(),
            |b| {
                let ir = scaiflow::scir::decode(b).expect("stdout is one SCIR bundle");
                assert!(ir.is_object());
            },
            &["SF210"],
            0,
        ),
        (vec!["import", "w.yaml"], b"", json, &["SF210"], 0),
        (vec!["import", "-"], &manifest, json, &["SF210"], 0),
        (vec!["graph", "w.flow.json"], b"", graph, &["SF210"], 0),
        (
            vec!["compile", "--diff", "s.flow.json"],
            b"",
            diff,
            &["SF210", "SF601"],
            1,
        ),
    ];
    for (args, stdin, check, codes, exit) in &cases {
        for format in FORMATS {
            for github_env in [false, true] {
                let mut args = args.clone();
                if !github_env {
                    args.extend(["--message-format", format]);
                } else if format != "github" {
                    continue;
                }
                let envs: &[(&str, &str)] = if github_env {
                    &[("GITHUB_ACTIONS", "true")]
                } else {
                    &[]
                };
                let out = run_in(dir.path(), &args, envs, stdin);
                assert_eq!(
                    out.status.code(),
                    Some(*exit),
                    "{args:?}: {}",
                    text(&out.stderr)
                );
                check(&out.stdout);
                let stdout = text(&out.stdout);
                for c in *codes {
                    assert!(!stdout.contains(c), "{args:?}: a diagnostic on stdout");
                }
                assert_diagnostics(format, &text(&out.stderr), codes);
            }
        }
    }
}

/// Commands without an artifact on stdout keep the documented streams: machine formats on
/// stdout, human and short on stderr; `--output-file` takes every format, and then
/// neither stream has a diagnostic.
#[test]
fn diagnostics_go_to_stdout_stderr_or_the_output_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.flow.json"), WARNS).unwrap();
    for format in FORMATS {
        let out = run(
            dir.path(),
            &["validate", "w.flow.json", "--message-format", format],
        );
        assert_eq!(out.status.code(), Some(0));
        let (diags, other) = match format {
            "human" | "short" => (&out.stderr, &out.stdout),
            _ => (&out.stdout, &out.stderr),
        };
        assert_diagnostics(format, &text(diags), &["SF210"]);
        assert!(text(other).is_empty(), "{format}: {}", text(other));

        let file = dir.path().join(format!("diags.{format}"));
        let out = run(
            dir.path(),
            &[
                "validate",
                "w.flow.json",
                "--message-format",
                format,
                "--output-file",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{format}: {}",
            text(&out.stderr)
        );
        let written = std::fs::read_to_string(&file).unwrap();
        assert_diagnostics(format, &written, &["SF210"]);
        assert!(!written.contains('\u{1b}'), "no colour in a file");
    }
    // With an artifact on stdout, --output-file still gets the diagnostics.
    let file = dir.path().join("c.json");
    let out = run(
        dir.path(),
        &[
            "compile",
            "w.flow.json",
            "--out",
            "-",
            "--message-format",
            "json",
            "--output-file",
            "c.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    let _: serde_json::Value = serde_saphyr::from_slice(&out.stdout).expect("the manifest");
    assert_diagnostics("json", &std::fs::read_to_string(file).unwrap(), &["SF210"]);
    // An unwritable --output-file is exit 2 ("could not run"), whatever was found.
    let out = run(
        dir.path(),
        &["validate", "w.flow.json", "--output-file", "no/such/dir/x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write the diagnostics"));
}

#[test]
fn validate_json_goes_where_machine_diagnostics_go() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.flow.json"), BROKEN).unwrap();
    let out = run(dir.path(), &["validate", "--json", "b.flow.json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(out.stderr.is_empty());
    let out = run(
        dir.path(),
        &[
            "validate",
            "--json",
            "b.flow.json",
            "--output-file",
            "r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
}

/// `--check` reports a missing or stale artifact as a diagnostic with a code, the flow as
/// its file and the exact command to fix it, in every format.
#[test]
fn check_reports_missing_and_stale_artifacts_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("my flow.flow.json"),
        WARNS.replace("node_x", "node_y"),
    )
    .unwrap();
    let flow = "my flow.flow.json";
    for format in FORMATS {
        let out = run(
            dir.path(),
            &["compile", "--check", flow, "--message-format", format],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains("SF602"), "{format}: {all}");
        assert!(
            !dir.path().join("my flow.yaml").exists(),
            "--check never writes"
        );
        match format {
            "json" => {
                let rec = record(&out, "SF602");
                assert_eq!(rec["file"], flow);
                assert_eq!(rec["severity"], "error");
                assert_eq!(
                    rec["help"],
                    "to create it, run: scaiflow compile 'my flow.flow.json'"
                );
            }
            "github" => assert!(text(&out.stdout).contains("::error file=my flow.flow.json")),
            "short" => assert!(
                text(&out.stderr)
                    .contains("my flow.flow.json: error[SF602]: 'my flow.yaml' is missing"),
                "{}",
                text(&out.stderr)
            ),
            _ => {}
        }
    }
    assert_eq!(
        run(dir.path(), &["compile", flow, "-q"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(dir.path(), &["compile", "--check", flow]).status.code(),
        Some(0)
    );
    let yaml = dir.path().join("my flow.yaml");
    let good = std::fs::read_to_string(&yaml).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines[3] = "# edited by hand";
    let stale = lines.join("\n") + "\n";
    std::fs::write(&yaml, &stale).unwrap();
    let out = run(
        dir.path(),
        &["compile", "--check", flow, "--message-format", "short"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "my flow.flow.json: error[SF601]: 'my flow.yaml' is stale: it differs from what 'my flow.flow.json' compiles to, from line 4"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&yaml).unwrap(),
        stale,
        "--check never writes"
    );
    // The help's command is the fix.
    let out = run(
        dir.path(),
        &["compile", "--check", flow, "--message-format", "json"],
    );
    let rec = record(&out, "SF601");
    assert_eq!(
        rec["help"],
        "to update it, run: scaiflow compile 'my flow.flow.json'"
    );
    assert_eq!(run(dir.path(), &["compile", flow]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&yaml).unwrap(), good);
}

#[test]
fn check_names_the_format_and_output_in_its_fix_and_a_byte_for_bundles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.flow.json"), WARNS).unwrap();
    let args = [
        "compile",
        "--format",
        "ir",
        "--out",
        "out/a b.scir",
        "a.flow.json",
        "--check",
        "--message-format",
        "json",
    ];
    let out = run(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let rec = record(&out, "SF602");
    assert_eq!(
        rec["help"],
        "to create it, run: scaiflow compile --format ir --out 'out/a b.scir' a.flow.json"
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    assert_eq!(
        run(
            dir.path(),
            &[
                "compile",
                "--format",
                "ir",
                "--out",
                "out/a b.scir",
                "a.flow.json"
            ]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(run(dir.path(), &args).status.code(), Some(0));
    let path = dir.path().join("out/a b.scir");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(dir.path(), &args);
    let rec = record(&out, "SF601");
    assert!(
        rec["message"].as_str().unwrap().ends_with("from byte 10"),
        "{rec}"
    );
    // --diff of a binary bundle says so, as diff does.
    let mut diff_args = args.to_vec();
    diff_args[6] = "--diff";
    let out = run(dir.path(), &diff_args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "Binary file out/a b.scir differs\n");
}

/// `--diff` prints a unified diff that `patch` applies to give exactly the compiled
/// artifact, and never writes; a missing artifact diffs from /dev/null.
#[test]
fn diff_prints_a_patch_that_brings_the_artifact_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.flow.json"), WARNS).unwrap();
    let out = run(dir.path(), &["compile", "--diff", "a.flow.json", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let created = text(&out.stdout);
    assert!(
        created.starts_with(&format!(
            "--- /dev/null{ABSENT}\n+++ a.yaml{EXISTS}\n@@ -0,0 +1,"
        )),
        "{created}"
    );
    assert!(!dir.path().join("a.yaml").exists());

    assert_eq!(
        run(dir.path(), &["compile", "a.flow.json", "-q"])
            .status
            .code(),
        Some(0)
    );
    let good = std::fs::read_to_string(dir.path().join("a.yaml")).unwrap();
    let out = run(dir.path(), &["compile", "--diff", "a.flow.json"]);
    assert_eq!(out.status.code(), Some(0), "up to date");
    assert!(out.stdout.is_empty());
    let stale = good.replacen("llm_rigid", "llm_stale", 1) + "extra: line\n";
    std::fs::write(dir.path().join("a.yaml"), &stale).unwrap();
    let out = run(dir.path(), &["compile", "--diff", "a.flow.json"]);
    assert_eq!(out.status.code(), Some(1));
    let patch = text(&out.stdout);
    assert!(
        patch.starts_with(&format!("--- a.yaml{EXISTS}\n+++ a.yaml{EXISTS}\n@@")),
        "{patch}"
    );
    assert!(patch.contains("\n-extra: line\n"), "{patch}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
        stale
    );
    if std::process::Command::new("patch")
        .arg("--version")
        .output()
        .is_ok()
    {
        let mut c = std::process::Command::new("patch");
        c.current_dir(dir.path()).args(["-p0", "--quiet"]);
        let applied = output_with_stdin(c, patch.as_bytes());
        assert!(applied.status.success(), "{}", text(&applied.stderr));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
            good
        );
    } else {
        eprintln!("note: `patch` is not installed; the diff was not applied");
    }
}

#[test]
fn summarize_invalid_reports_a_broken_flow_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.flow.json"), BROKEN).unwrap();
    let full = run(
        dir.path(),
        &[
            "compile",
            "--check",
            "b.flow.json",
            "--message-format",
            "short",
        ],
    );
    assert_eq!(full.status.code(), Some(1));
    assert_eq!(
        text(&full.stderr).lines().count(),
        2,
        "{}",
        text(&full.stderr)
    );
    for extra in [&["--check"][..], &[]] {
        let mut args = vec![
            "compile",
            "--summarize-invalid",
            "b.flow.json",
            "--message-format",
            "json",
        ];
        args.extend(extra);
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1));
        let lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["code"], "SF603");
        let msg = lines[0]["message"].as_str().unwrap();
        assert!(
            msg.starts_with("'b.flow.json' does not compile (2 errors) (first: SF204:"),
            "{msg}"
        );
        assert_eq!(
            lines[0]["help"],
            "to see every error, run: scaiflow validate b.flow.json"
        );
    }
    // Unreadable input is still "could not run", never summarized away.
    let out = run(
        dir.path(),
        &[
            "compile",
            "--summarize-invalid",
            "--check",
            "nope.flow.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn directories_recurse_to_flow_files_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for d in ["flows/b", "flows/a", "flows/.hidden", "other"] {
        std::fs::create_dir_all(p.join(d)).unwrap();
    }
    for f in [
        "flows/b/z.flow.json",
        "flows/a/y.flow.json",
        "flows/x.flow.json",
        "flows/.hidden/h.flow.json",
        "flows/not-a-flow.json",
    ] {
        std::fs::write(p.join(f), BROKEN).unwrap();
    }
    let out = run(p, &["validate", "flows", "--message-format", "short"]);
    assert_eq!(out.status.code(), Some(1));
    let files: Vec<String> = text(&out.stderr)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect::<Vec<_>>();
    let mut order = files.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            "flows/a/y.flow.json",
            "flows/b/z.flow.json",
            "flows/x.flow.json"
        ]
    );
    // An empty directory: a warning, nothing checked, exit 0 (as ruff).
    let out = run(p, &["validate", "other"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning: no `*.flow.json` files under 'other'"));
    // compile writes beside each flow; --out takes one flow after expansion.
    std::fs::write(p.join("other/ok.flow.json"), WARNS).unwrap();
    assert_eq!(run(p, &["compile", "other", "-q"]).status.code(), Some(0));
    assert!(p.join("other/ok.yaml").exists());
    assert_eq!(
        run(p, &["compile", "--check", "other"]).status.code(),
        Some(0)
    );
    let out = run(p, &["compile", "flows", "--out", "x.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--out takes a single FLOW (3 given)"));
}

/// What the hooks pass: every changed file. An artifact stands for its flow, other files
/// are skipped, and a flow named twice is checked once.
#[test]
fn from_artifacts_maps_artifacts_to_their_flows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.flow.json"), WARNS).unwrap();
    std::fs::write(p.join("b.flow.json"), WARNS).unwrap();
    assert_eq!(
        run(p, &["compile", "a.flow.json", "b.flow.json", "-q"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(p.join(".pre-commit-config.yaml"), "repos: []\n").unwrap();
    std::fs::write(p.join("config.yaml"), "x: 1\n").unwrap();
    std::fs::write(p.join("config.json"), "{}").unwrap();
    // A hand edit of b's manifest is caught through the manifest alone.
    std::fs::write(p.join("b.yaml"), "edited: true\n").unwrap();
    let args = [
        "compile",
        "--check",
        "--from-artifacts",
        "--message-format",
        "short",
        ".pre-commit-config.yaml",
        "config.yaml",
        "a.flow.json",
        "a.yaml",
        "b.yaml",
    ];
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("a.flow.json:"))
            .count(),
        1,
        "a once: {err}"
    );
    assert!(
        err.contains("b.flow.json: error[SF601]: 'b.yaml' is stale"),
        "{err}"
    );
    assert!(!err.contains("config"), "{err}");
    // The fixer rewrites the stale manifest.
    let mut fix = args.to_vec();
    fix.remove(1);
    assert_eq!(run(p, &fix).status.code(), Some(0));
    assert_eq!(run(p, &args).status.code(), Some(0));
    let out = run(
        p,
        &[
            "compile",
            "--from-artifacts",
            "--out",
            "x.yaml",
            "a.flow.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn quiet_prints_diagnostics_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.flow.json"), WARNS).unwrap();
    std::fs::write(dir.path().join("ok.flow.json"), WARNS.replace(",\n           {\"id\": \"node_x\", \"type\": \"llm_rigid\", \"label\": \"X\", \"position\": {\"x\": 0, \"y\": 240},\n            \"config\": {\"template\": \"Never\"}}", "")).unwrap();
    let loud = run(
        dir.path(),
        &["validate", "ok.flow.json", "--message-format", "human"],
    );
    assert!(
        text(&loud.stderr).contains("validate: 1 file ok"),
        "{}",
        text(&loud.stderr)
    );
    for cmd in [
        &["validate", "ok.flow.json"][..],
        &["compile", "ok.flow.json"],
        &["compile", "--check", "ok.flow.json"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["-q", "--message-format", "human"]);
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty() && out.stdout.is_empty(),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = run(
        dir.path(),
        &["-q", "validate", "w.flow.json", "--message-format", "human"],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("SF210") && !err.contains("validate: 1 file"),
        "{err}"
    );
    let out = run(dir.path(), &["validate", "empty-dir-does-not-exist", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing file is still reported"
    );
}

#[test]
fn colour_follows_force_color_clicolor_force_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.flow.json"), BROKEN).unwrap();
    let args = ["validate", "b.flow.json", "--message-format", "human"];
    let coloured = |envs: &[(&str, &str)], extra: &[&str]| {
        let mut a = args.to_vec();
        a.extend(extra);
        text(&run_in(dir.path(), &a, envs, b"").stderr).contains('\u{1b}')
    };
    assert!(!coloured(&[], &[]), "a pipe is not coloured");
    assert!(coloured(&[("FORCE_COLOR", "1")], &[]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "0")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "1")], &["--color", "never"]));
    assert!(coloured(&[("NO_COLOR", "1")], &["--color", "always"]));
    // A file named by --output-file is not coloured, even with FORCE_COLOR…
    let out = run_in(
        dir.path(),
        &[&args[..], &["--output-file", "o.txt"]].concat(),
        &[("FORCE_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !std::fs::read_to_string(dir.path().join("o.txt"))
            .unwrap()
            .contains('\u{1b}')
    );
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run(dir.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        for word in [
            "scaiflow",
            "compile",
            "validate",
            "message-format",
            "from-artifacts",
        ] {
            assert!(script.contains(word), "{shell}: {word}");
        }
    }
    // bash parses the bash script.
    let out = run(dir.path(), &["completions", "bash"]);
    let file = dir.path().join("c.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert_eq!(
        run(dir.path(), &["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[test]
fn man_pages_for_the_tool_and_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(page.contains(".TH scaiflow 1"));
    assert!(page.contains("Exit status"));
    let out = run(dir.path(), &["man", "--dir", "man1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "scaiflow-compile.1",
            "scaiflow-completions.1",
            "scaiflow-explain.1",
            "scaiflow-graph.1",
            "scaiflow-import.1",
            "scaiflow-inspect.1",
            "scaiflow-lsp.1",
            "scaiflow-man.1",
            "scaiflow-validate.1",
            "scaiflow-verify.1",
            "scaiflow.1",
        ]
    );
    let compile = std::fs::read_to_string(dir.path().join("man1/scaiflow-compile.1")).unwrap();
    assert!(
        compile.contains(".TH scaiflow\\-compile 1") || compile.contains(".TH scaiflow-compile 1"),
        "{compile}"
    );
    for flag in [
        "check",
        "diff",
        "from\\-artifacts",
        "message\\-format",
        "output\\-file",
    ] {
        assert!(compile.contains(flag), "scaiflow-compile.1 lacks {flag}");
    }
    // `man` renders the page without warnings, when it is installed.
    if let Ok(o) = std::process::Command::new("man").arg("--version").output()
        && o.status.success()
    {
        let shown = std::process::Command::new("man")
            .env("MANWIDTH", "80")
            .env("MAN_KEEP_FORMATTING", "0")
            .args(["-l", "--warnings"])
            .arg(dir.path().join("man1/scaiflow-compile.1"))
            .output()
            .unwrap();
        assert!(shown.status.success(), "{}", text(&shown.stderr));
        // Without the terminal's overstrike (bold is `X\bX`).
        let mut page = String::new();
        for c in text(&shown.stdout).chars() {
            if c == '\u{8}' {
                page.pop();
            } else {
                page.push(c);
            }
        }
        assert!(
            page.contains("--diff") && page.contains("--check"),
            "{page}"
        );
        assert!(text(&shown.stderr).is_empty(), "{}", text(&shown.stderr));
    } else {
        eprintln!("note: `man` is not installed; the pages were not rendered");
    }
}

/// The hooks' entries run the commands they claim, with flags that exist (every hook entry
/// is run the way pre-commit runs it: the entry, then the changed files).
#[test]
fn pre_commit_hooks_run_what_they_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "scaiflow-validate",
            "scaiflow-compile-check",
            "scaiflow-compile",
            "scaiflow-validate-system",
            "scaiflow-compile-check-system",
            "scaiflow-compile-system",
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("ok.flow.json"), WARNS).unwrap();
    std::fs::write(p.join("b.flow.json"), BROKEN).unwrap();
    for hook in hooks {
        let entry = hook["entry"].as_str().unwrap();
        let words: Vec<&str> = entry.split_whitespace().collect();
        let system = hook["language"] == "system";
        if system {
            assert_eq!(words[0], "scaiflow");
        } else {
            assert_eq!(hook["language"], "script");
            assert_eq!(words[0], "scripts/pre-commit-hook");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(root.join(words[0]))
                    .unwrap()
                    .permissions()
                    .mode();
                assert!(
                    mode & 0o111 != 0,
                    "pre-commit runs the script itself: it is executable"
                );
            }
        }
        assert_eq!(
            hook["require_serial"], true,
            "one process sees every file (dedup)"
        );
        let files = regex_lite(hook["files"].as_str().unwrap());
        assert!(files("flows/x.flow.json"));
        assert!(!files("flows/x.json.bak"));
        // Run the entry with the real binary, as pre-commit would, on a broken flow.
        let out = run(p, &[&words[1..], &["b.flow.json", "ok.flow.json"]].concat());
        assert_eq!(out.status.code(), Some(1), "{entry}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        if words.contains(&"compile") {
            assert!(
                err.contains("[SF603]") && !err.contains("[SF204]"),
                "{entry}: not twice: {err}"
            );
            assert!(files("flows/x.yaml"), "{entry} runs on manifests");
        } else {
            assert!(err.contains("SF204"), "{entry}: {err}");
        }
    }
}

/// The hook regexes are `\.flow\.json$` or `(\.flow\.json|\.yaml)$`; a tiny matcher for
/// exactly those (the test fails on any other, so a new pattern gets a real check).
fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
    let suffixes: Vec<&'static str> = match pattern {
        r"\.flow\.json$" => vec![".flow.json"],
        r"(\.flow\.json|\.yaml)$" => vec![".flow.json", ".yaml"],
        other => panic!("a new hook pattern: {other}"),
    };
    move |path: &str| suffixes.iter().any(|s| path.ends_with(s))
}

/// The README's pre-commit snippet names this repository and the tag of this version.
#[test]
fn the_readme_hook_snippet_is_copy_pasteable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let repo = cargo
        .lines()
        .find_map(|l| l.strip_prefix("repository = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("Cargo.toml has a repository");
    assert!(
        readme.contains(&format!("- repo: {repo}\n")),
        "README names {repo}"
    );
    assert!(
        readme.contains(&format!("  rev: v{}\n", env!("CARGO_PKG_VERSION"))),
        "README's rev is this version's tag"
    );
}

/// The composite action's own shell steps, run as the runner would (the `cargo install`
/// step and `actions/cache` need GitHub; docs/ci.md): the key step writes a key that
/// changes with the sources, and the run step splits `args` on spaces.
#[test]
fn the_github_action_steps_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root.join("action.yml")).unwrap()).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}"))
    };
    let install = step("Build scaiflow (cargo install --locked)")["run"]
        .as_str()
        .unwrap();
    assert!(install.contains("cargo install --locked"), "{install}");
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("github_output");
    let key_script = step("Key the build by its sources")["run"]
        .as_str()
        .unwrap();
    let key = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", key_script])
        .env("GITHUB_ACTION_PATH", root)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .output()
        .unwrap();
    assert!(key.status.success(), "{}", text(&key.stderr));
    let written = std::fs::read_to_string(&output).unwrap();
    assert!(written.starts_with("key=scaiflow-Linux-X64-"), "{written}");
    assert_eq!(written.trim().len(), "key=scaiflow-Linux-X64-".len() + 16);

    let run_step = step("Run scaiflow");
    assert_eq!(run_step["env"]["SCAIFLOW_ARGS"], "${{ inputs.args }}");
    assert_eq!(action["inputs"]["args"]["default"], "validate .");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_scaiflow")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &str| {
        std::process::Command::new("bash")
            .args(["-e", "-c", run_step["run"].as_str().unwrap()])
            .current_dir(root)
            .env("PATH", &path)
            .env("SCAIFLOW_ARGS", args)
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap()
    };
    let ok = run("validate examples -q");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let bad = run("validate fixtures/sf204-missing-output-port.json");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stdout).starts_with("::error file=fixtures/"),
        "{}",
        text(&bad.stdout)
    );
}

/// The fixer hook's mode: write what is missing or stale, say so, exit 1 then; leave an
/// up-to-date artifact alone (its modification time too).
#[test]
fn fail_on_change_writes_only_what_changed_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.flow.json"), WARNS).unwrap();
    let args = [
        "compile",
        "--fail-on-change",
        "a.flow.json",
        "--message-format",
        "short",
    ];
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("compile: wrote 'a.yaml' (it was missing)"));
    let yaml = p.join("a.yaml");
    let good = std::fs::read(&yaml).unwrap();
    let stamp = std::fs::metadata(&yaml).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("wrote"));
    assert_eq!(
        std::fs::metadata(&yaml).unwrap().modified().unwrap(),
        stamp,
        "not rewritten"
    );
    std::fs::write(&yaml, b"stale: true\n").unwrap();
    let out = run(p, &[&args[..], &["-q"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !text(&out.stderr).contains("wrote"),
        "-q: {}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&yaml).unwrap(), good);
    // Stale by what follows the compiled bytes: the whole file is compared.
    let mut longer = good.clone();
    longer.extend_from_slice(b"# appended by hand\n");
    std::fs::write(&yaml, &longer).unwrap();
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&yaml).unwrap(), good);
    let out = run(
        p,
        &["compile", "--fail-on-change", "--check", "a.flow.json"],
    );
    assert_eq!(out.status.code(), Some(2), "a fixer does not check");
    // An artifact path that cannot be read is not "missing": nothing is written over it.
    std::fs::remove_file(&yaml).unwrap();
    std::fs::create_dir(&yaml).unwrap();
    let out = run(p, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("error: cannot read 'a.yaml'"),
        "{}",
        text(&out.stderr)
    );
}

/// `graph` draws a broken flow and still exits 1; `--out` writes the picture and keeps
/// machine diagnostics on stdout; it never overwrites the flow.
#[test]
fn graph_draws_broken_flows_and_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("b.flow.json"), BROKEN).unwrap();
    let out = run(p, &["graph", "b.flow.json", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("flowchart"),
        "{}",
        text(&out.stdout)
    );
    assert_diagnostics("json", &text(&out.stderr), &["SF204", "SF203"]);
    for (format, head) in [("dot", "digraph"), ("svg", "<svg")] {
        let file = format!("b.{format}");
        let out = run(
            p,
            &[
                "graph",
                "b.flow.json",
                "--format",
                format,
                "--out",
                &file,
                "--message-format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert_diagnostics("json", &text(&out.stdout), &["SF204", "SF203"]);
        let drawn = std::fs::read_to_string(p.join(&file)).unwrap();
        assert!(drawn.contains(head), "{format}: {drawn}");
    }
    let out = run(p, &["graph", "b.flow.json", "--out", "b.flow.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(p.join("b.flow.json")).unwrap(),
        BROKEN
    );
    let out = run(p, &["graph", "missing.flow.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// A binary bundle is never written to a terminal (a pseudo-terminal from `script`, when
/// util-linux has it); a pipe gets it.
#[test]
fn a_bundle_is_not_written_to_a_terminal() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("note: `script` (util-linux) is not installed; the terminal was not tried");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.flow.json"), WARNS).unwrap();
    let exe = env!("CARGO_BIN_EXE_scaiflow");
    let on_tty = |args: &str| {
        std::process::Command::new("script")
            .current_dir(dir.path())
            .args(["-qec", &format!("'{exe}' {args}"), "/dev/null"])
            .output()
            .unwrap()
    };
    let out = on_tty("compile --format ir w.flow.json --out - --message-format short");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("refusing to write a binary SCIR bundle to a terminal"));
    // YAML is text: a terminal gets it.
    let out = on_tty("compile w.flow.json --out - --message-format short");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("flows:"),
        "{}",
        text(&out.stdout)
    );
    // --check never writes, so a terminal is no reason to refuse it.
    let out = on_tty("compile --format ir --check w.flow.json --message-format short");
    assert_eq!(
        out.status.code(),
        Some(1),
        "missing, not refused: {}",
        text(&out.stdout)
    );
}

/// Many files run on every core, and the output and exit code are those of one core:
/// the same bytes in the same order, whatever the scheduling.
#[test]
fn many_files_give_the_same_output_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let mut names = Vec::new();
    for i in 0..40 {
        let name = format!("f{i:02}.flow.json");
        let text = match i % 3 {
            0 => BROKEN.to_string(),
            1 => WARNS.to_string(),
            _ => WARNS.replace("\"F\"", &format!("\"Flow {i}\"")),
        };
        std::fs::write(p.join(&name), text).unwrap();
        names.push(name);
    }
    names.push("missing.flow.json".to_string());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let run_with = |threads: &str, args: &[&str]| {
        let mut c = bin();
        c.current_dir(p)
            .args(args)
            .args(&names)
            .env("RAYON_NUM_THREADS", threads);
        let out = c.output().unwrap();
        (out.status.code(), out.stdout, out.stderr)
    };
    for args in [
        &["validate", "--message-format", "json"][..],
        &["validate", "--json"],
        &["compile", "--check", "--message-format", "short"],
        &["compile", "--diff", "--message-format", "short"],
        &["compile", "--message-format", "sarif", "--format", "scai"],
    ] {
        let one = run_with("1", args);
        assert_eq!(one.0, Some(2), "{args:?}: the missing file decides");
        for threads in ["2", "4", "8"] {
            assert_eq!(
                run_with(threads, args),
                one,
                "{args:?} on {threads} threads"
            );
        }
    }
    // What compile wrote is the same too.
    let yaml = std::fs::read(p.join("f01.scai")).unwrap();
    assert!(!yaml.is_empty());
}

/// `--diff` reads an artifact up to the largest manifest import reads (64 MiB by default):
/// one of exactly that size is diffed, one byte more is said to be too large.
#[test]
fn diff_reads_artifacts_up_to_the_manifest_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("a.flow.json"), WARNS).unwrap();
    let limit = scaiflow::limits::Limits::default().max_manifest();
    for (size, too_large) in [(limit, false), (limit + 1, true)] {
        // A sparse file: no 64 MiB written to the disk.
        let f = std::fs::File::create(p.join("a.yaml")).unwrap();
        f.set_len(size).unwrap();
        drop(f);
        let out = run(p, &["compile", "--diff", "a.flow.json", "-q"]);
        assert_eq!(out.status.code(), Some(1));
        let head = String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(200)]).into_owned();
        if too_large {
            assert_eq!(head, "File a.yaml is too large to diff\n");
        } else {
            assert!(
                head.starts_with(&format!("--- a.yaml{EXISTS}\n+++ a.yaml{EXISTS}\n@@")),
                "{size}: {head:?}"
            );
        }
    }
}

/// `--diff` names files so that `patch -p0` and `git apply -p0` read names with spaces
/// whole, for a missing and a stale artifact; applying gives exactly the compiled one.
#[test]
fn diff_applies_to_names_with_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("my flow.flow.json"), WARNS).unwrap();
    let flow = "my flow.flow.json";
    let tools: Vec<(&str, Vec<&str>)> = vec![
        ("patch", vec!["-p0", "-s", "-i", "d.diff"]),
        ("git", vec!["apply", "-p0", "d.diff"]),
    ];
    for (tool, tool_args) in &tools {
        if std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("note: `{tool}` is not installed; its case was not tried");
            continue;
        }
        if *tool == "git" {
            let init = std::process::Command::new("git")
                .current_dir(p)
                .args(["init", "-q"])
                .output()
                .unwrap();
            assert!(init.status.success());
        }
        for stale in [false, true] {
            let yaml = p.join("my flow.yaml");
            let _ = std::fs::remove_file(&yaml);
            if stale {
                assert_eq!(run(p, &["compile", flow, "-q"]).status.code(), Some(0));
                let text =
                    std::fs::read_to_string(&yaml)
                        .unwrap()
                        .replacen("llm_rigid", "llm_stale", 1);
                std::fs::write(&yaml, text).unwrap();
            }
            let out = run(p, &["compile", "--diff", flow, "-q"]);
            assert_eq!(out.status.code(), Some(1));
            std::fs::write(p.join("d.diff"), &out.stdout).unwrap();
            let applied = std::process::Command::new(tool)
                .current_dir(p)
                .args(tool_args)
                .output()
                .unwrap();
            assert!(
                applied.status.success(),
                "{tool} (stale: {stale}): {}",
                text(&applied.stderr)
            );
            assert_eq!(
                run(p, &["compile", "--check", flow, "-q"]).status.code(),
                Some(0),
                "{tool} (stale: {stale}) brought it up to date"
            );
        }
    }
}

/// Regressions of the adversarial review: a linked flow keeps its own artifact; the same
/// flow named twice compiles once; `--output-file` never replaces an input or an artifact,
/// is not `-`, and defaults to the short format; the fix names `--max-input-size`.
#[test]
fn review_regressions_of_the_ci_paths() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("a/b")).unwrap();
    std::fs::create_dir_all(p.join("z")).unwrap();
    std::fs::write(p.join("a/b/1.flow.json"), WARNS).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../a/b/1.flow.json", p.join("z/link.flow.json")).unwrap();
        assert_eq!(
            run(p, &["compile", "a/b/1.flow.json", "z/link.flow.json", "-q"])
                .status
                .code(),
            Some(0)
        );
        assert!(p.join("z/link.yaml").exists(), "the link's own artifact");
        std::fs::write(p.join("z/link.yaml"), "edited: true\n").unwrap();
        let out = run(
            p,
            &[
                "compile",
                "--check",
                "--from-artifacts",
                "a/b/1.flow.json",
                "z/link.yaml",
                "--message-format",
                "short",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("error[SF601]: 'z/link.yaml' is stale"),
            "{}",
            text(&out.stderr)
        );
        std::fs::remove_file(p.join("z/link.flow.json")).unwrap();
    }
    let out = run(
        p,
        &[
            "compile",
            "a",
            "a/b/1.flow.json",
            "./a/b/1.flow.json",
            "--message-format",
            "short",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).matches("[SF210]").count(),
        1,
        "compiled once: {}",
        text(&out.stderr)
    );
    let flow_before = std::fs::read(p.join("a/b/1.flow.json")).unwrap();
    for (args, file) in [
        (&["validate", "a/b/1.flow.json"][..], "a/b/1.flow.json"),
        (&["compile", "a"], "a/b/1.yaml"),
        (&["graph", "a/b/1.flow.json", "--out", "g.mmd"], "g.mmd"),
    ] {
        let out = run(p, &[args, &["--output-file", file]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("refusing to overwrite it"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(p.join("a/b/1.flow.json")).unwrap(),
        flow_before
    );
    let out = run(p, &["validate", "a", "--output-file", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!p.join("-").exists());
    let out = run(p, &["validate", "a", "--output-file", "d.txt"]);
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(p.join("d.txt")).unwrap();
    assert!(
        written.starts_with("a/b/1.flow.json:"),
        "short by default: {written}"
    );
    std::fs::remove_file(p.join("a/b/1.yaml")).unwrap();
    let out = run(
        p,
        &[
            "compile",
            "--check",
            "a",
            "--max-input-size",
            "64MiB",
            "--message-format",
            "json",
        ],
    );
    let rec = record(&out, "SF602");
    assert_eq!(
        rec["help"],
        "to create it, run: scaiflow compile --max-input-size 67108864 a/b/1.flow.json"
    );
}

/// `--help` and `--version` are output too: a failed write is exit 2.
#[test]
fn help_that_cannot_be_written_is_exit_2() {
    if !Path::new("/dev/full").exists() {
        eprintln!("note: no /dev/full here; not tried");
        return;
    }
    for arg in ["--help", "--version"] {
        let out = bin()
            .arg(arg)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{arg}");
        assert!(text(&out.stderr).contains("cannot write to stdout"));
    }
    let out = bin().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("scaiflow "));
}

/// The human summary line counts files, failed files, errors and warnings.
#[test]
fn the_human_summary_counts_what_was_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("w.flow.json"), WARNS).unwrap();
    std::fs::write(p.join("b.flow.json"), BROKEN).unwrap();
    let last_line = |args: &[&str]| {
        let out = run(
            p,
            &[args, &["--message-format", "human", "--color", "never"]].concat(),
        );
        text(&out.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        last_line(&["validate", "w.flow.json", "w.flow.json"]),
        "validate: 2 files ok (2 warnings)"
    );
    assert_eq!(
        last_line(&["validate", "b.flow.json", "w.flow.json"]),
        "validate: 2 errors in 1 of 2 files, 1 warning"
    );
    // compile counts a flow it compiled without a word too.
    let clean = WARNS.replace(
        ",\n           {\"id\": \"node_x\", \"type\": \"llm_rigid\", \"label\": \"X\", \"position\": {\"x\": 0, \"y\": 240},\n            \"config\": {\"template\": \"Never\"}}",
        "",
    );
    assert_ne!(clean, WARNS);
    std::fs::write(p.join("ok.flow.json"), clean).unwrap();
    assert_eq!(
        last_line(&["compile", "b.flow.json", "ok.flow.json", "ok.flow.json"]),
        "compile: 2 errors in 1 of 2 files"
    );
    // compile says nothing of a clean run, and sums up one with warnings.
    assert_eq!(last_line(&["compile", "ok.flow.json"]), "");
    assert_eq!(
        last_line(&["compile", "w.flow.json"]),
        "compile: 1 file ok (1 warning)"
    );
}
