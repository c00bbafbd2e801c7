//! `--message-format sarif` as GitHub code scanning and the SARIF multitool want it: every
//! rule has `help` (text and Markdown, the `scaiflow explain` text), the tool has an
//! `informationUri` and a `semanticVersion`, every `uri` is a valid percent-encoded
//! reference (odd file names, standard input), every result has a region (binary bundles
//! too). The last test runs the official validator when `SCAIFLOW_SARIF_MULTITOOL` names it
//! (docs/ci.md).

mod common;

use std::path::Path;
use std::process::Output;

use common::{bin, run_stdin};
use serde_json::Value;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(manifest_dir().join(rel)).unwrap()
}

/// Runs `scaiflow args` in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn log_of(out: &Output) -> Value {
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the SARIF log parses")
}

/// `%XX` decoded (the bytes must be UTF-8).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Whether `s` is an RFC 3986 URI-reference: ASCII, only unreserved, reserved and `%XX`
/// characters, a scheme (if any) well formed, and no colon in the first segment of a
/// relative reference (it would read as a scheme).
fn uri_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("empty (GitHub requires a uri)".into());
    }
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let ok = c.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)
            || (c == b'%'
                && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if !ok {
            return Some(format!("byte {c:#04x} at {i} must be percent-encoded"));
        }
    }
    let first = s.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((scheme, _)) = first.split_once(':') {
        let mut chars = scheme.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid {
            return Some(format!("'{scheme}:' is neither a scheme nor a path"));
        }
    }
    None
}

/// Every structural rule the log must satisfy; the problems found, by JSON path.
fn problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            p.push(what);
        }
    };
    check(doc["version"] == "2.1.0", "version".into());
    check(doc["$schema"].is_string(), "$schema".into());
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    check(driver["name"] == "scaiflow", "driver.name".into());
    let info = driver["informationUri"].as_str().unwrap_or("");
    check(
        info.starts_with("https://") && uri_problem(info).is_none(),
        format!("driver.informationUri {info:?}"),
    );
    let semver = driver["semanticVersion"].as_str().unwrap_or("");
    check(
        semver.split('.').count() == 3
            && semver
                .split('.')
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())),
        format!("driver.semanticVersion {semver:?}"),
    );
    let rules = driver["rules"].as_array().cloned().unwrap_or_default();
    for (i, r) in rules.iter().enumerate() {
        let text = |k: &str| r[k]["text"].as_str().unwrap_or("").to_string();
        check(
            !text("shortDescription").is_empty(),
            format!("rules[{i}].shortDescription"),
        );
        let full = text("fullDescription");
        check(
            !full.is_empty() && full.chars().count() <= 1024,
            format!("rules[{i}].fullDescription: empty or over GitHub's 1024 characters"),
        );
        check(!text("help").is_empty(), format!("rules[{i}].help.text"));
        check(
            r["help"]["markdown"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            format!("rules[{i}].help.markdown"),
        );
    }
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let bases = &run["originalUriBaseIds"];
    for (i, r) in run["results"].as_array().into_iter().flatten().enumerate() {
        let at = format!("results[{i}]");
        check(
            r["ruleId"].as_str().is_some_and(|id| ids.contains(&id)),
            format!("{at}.ruleId"),
        );
        check(r["message"]["text"].is_string(), format!("{at}.message"));
        let physical = &r["locations"][0]["physicalLocation"];
        let loc = &physical["artifactLocation"];
        let uri = loc["uri"].as_str().unwrap_or("");
        if let Some(why) = uri_problem(uri) {
            check(false, format!("{at} uri {uri:?}: {why}"));
        }
        // An absolute URI of another scheme than the checkout's (`file`) makes GitHub
        // reject the upload.
        check(
            !uri.contains(':') || uri.starts_with("file://"),
            format!("{at} uri {uri:?}: not a file URI"),
        );
        if !uri.starts_with("file:") {
            // A relative reference names its base (defined in the run), or says what it is.
            let based = loc["uriBaseId"]
                .as_str()
                .is_some_and(|b| bases[b].is_object());
            check(
                based || loc["description"]["text"].is_string(),
                format!("{at} relative uri {uri:?} without a defined uriBaseId"),
            );
        }
        let region = &physical["region"];
        let text_keys = ["startLine", "startColumn", "endLine", "endColumn"];
        let binary_keys = ["byteOffset", "byteLength"];
        let has = |k: &&str| region[*k].is_u64();
        let textual = text_keys.iter().all(has);
        let binary = binary_keys.iter().all(has);
        // Exactly one kind: a binary artifact may not have a text region, and a text
        // region that is also binary must agree with it (not checked here: not emitted).
        let only_text = textual && !binary_keys.iter().any(has);
        let only_binary = binary && !text_keys.iter().any(has);
        check(
            only_text || only_binary,
            format!("{at} region {region}: neither a full text region nor a binary one"),
        );
        if textual {
            let n = |k: &str| region[k].as_u64().unwrap();
            check(
                n("startLine") >= 1
                    && n("startColumn") >= 1
                    && (n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")),
                format!("{at} region {region}"),
            );
        }
    }
    p
}

fn assert_sound(doc: &Value, what: &str) {
    let p = problems(doc);
    assert!(p.is_empty(), "{what}:\n{}", p.join("\n"));
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

fn artifact(r: &Value) -> &Value {
    &r["locations"][0]["physicalLocation"]["artifactLocation"]
}

fn region(r: &Value) -> &Value {
    &r["locations"][0]["physicalLocation"]["region"]
}

/// The checker itself: each kind of problem it exists for is caught.
#[test]
fn the_checker_catches_what_the_validator_reported() {
    assert_eq!(uri_problem("fixtures/a.json"), None);
    assert_eq!(uri_problem("file:///tmp/a%20b.json"), None);
    assert_eq!(uri_problem("%3Cstdin%3E"), None);
    for bad in [
        "<stdin>",
        "a b.json",
        "flöw.json",
        "50%.json",
        "1:b.json",
        "",
        "x\\y",
    ] {
        assert!(uri_problem(bad).is_some(), "{bad:?}");
    }
    let out = run_in(
        manifest_dir(),
        &[
            "validate",
            "--message-format",
            "sarif",
            "fixtures/sf204-missing-output-port.json",
        ],
    );
    let good = log_of(&out);
    assert_sound(&good, "a fixture");
    let spoil = |f: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        f(&mut doc);
        assert!(!problems(&doc).is_empty(), "not caught: {doc}");
    };
    spoil(&|d| {
        d["runs"][0]["tool"]["driver"]["rules"][0]
            .as_object_mut()
            .unwrap()
            .remove("help");
    });
    spoil(&|d| d["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"] = Value::Null);
    spoil(&|d| {
        d["runs"][0]["tool"]["driver"]
            .as_object_mut()
            .unwrap()
            .remove("informationUri");
    });
    spoil(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "<stdin>".into()
    });
    spoil(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "a:b.json".into()
    });
    spoil(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
            .as_object_mut()
            .unwrap()
            .remove("region");
    });
    spoil(&|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["byteOffset"] =
            0.into()
    });
    spoil(&|d| {
        d["runs"][0]
            .as_object_mut()
            .unwrap()
            .remove("originalUriBaseIds");
    });
}

/// File names with spaces, non-ASCII letters, `#`, `%`, `?` and a colon: relative paths
/// become percent-encoded references against `%SRCROOT%`, absolute ones `file:` URIs, and
/// both decode back to the path.
#[test]
fn odd_file_names_become_encoded_references() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("dir with space");
    std::fs::create_dir(&sub).unwrap();
    let name = "flöw #1 50%?:x.json";
    let bad = fixture("fixtures/sf204-missing-output-port.json");
    std::fs::write(sub.join(name), &bad).unwrap();
    std::fs::write(dir.path().join("日本.json"), &bad).unwrap();
    let rel = format!("dir with space/{name}");
    let abs = sub.join(name);
    let out = run_in(
        dir.path(),
        &[
            "validate",
            "--message-format",
            "sarif",
            &format!("./{rel}"),
            "日本.json",
            abs.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = log_of(&out);
    assert_sound(&doc, "odd names");
    let uris: Vec<(&str, Option<&str>)> = results(&doc)
        .iter()
        .map(|r| {
            (
                artifact(r)["uri"].as_str().unwrap(),
                artifact(r)["uriBaseId"].as_str(),
            )
        })
        .collect();
    let abs_uri = format!(
        "file://{}",
        abs.to_str()
            .unwrap()
            .split('/')
            .map(|s| {
                s.bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("/")
    );
    assert_eq!(
        uris,
        [
            (
                "dir%20with%20space/fl%C3%B6w%20%231%2050%25%3F%3Ax.json",
                Some("%SRCROOT%")
            ),
            ("%E6%97%A5%E6%9C%AC.json", Some("%SRCROOT%")),
            (abs_uri.as_str(), None),
        ]
    );
    assert_eq!(percent_decode(uris[0].0), rel);
    assert_eq!(
        percent_decode(&abs_uri["file://".len()..]),
        abs.to_str().unwrap()
    );
    // The same diagnostic, at the same place, in each file.
    for r in results(&doc) {
        assert_eq!(r["ruleId"], "SF204");
        assert_eq!(region(r), region(&results(&doc)[0]));
        assert!(region(r)["startLine"].as_u64().unwrap() > 1);
    }
    assert!(doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].is_string());
}

/// Standard input is no file: `%3Cstdin%3E` (the `<stdin>` of the other formats),
/// described, with no base.
#[test]
fn stdin_is_a_valid_reference() {
    let out = run_stdin(
        &["validate", "--message-format", "sarif", "-"],
        &fixture("fixtures/sf204-missing-output-port.json"),
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = log_of(&out);
    assert_sound(&doc, "stdin");
    let a = artifact(&results(&doc)[0]);
    assert_eq!(a["uri"], "%3Cstdin%3E");
    assert_eq!(percent_decode(a["uri"].as_str().unwrap()), "<stdin>");
    assert_eq!(a["description"]["text"], "standard input");
    assert!(a["uriBaseId"].is_null());
    assert!(
        doc["runs"][0]["originalUriBaseIds"].is_null(),
        "no relative file"
    );
}

/// A SCIR bundle is binary: its results get a binary region (SARIF forbids text regions
/// there), and keep the IR path as their logical location. A JSON dump of the same IR is
/// text, with lines and columns.
#[test]
fn bundles_get_binary_regions() {
    let dir = tempfile::tempdir().unwrap();
    let json = fixture("fixtures/ir/e415-undeclared-role.json");
    let ir: Value = serde_json::from_slice(&json).unwrap();
    let bundle = dir.path().join("bündel mit fehler.scir");
    std::fs::write(&bundle, scaiflow::scir::encode(&ir)).unwrap();
    std::fs::write(dir.path().join("dump.json"), &json).unwrap();
    std::fs::write(
        dir.path().join("truncated.scir"),
        fixture("fixtures/ir/e410-truncated.scir"),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "verify",
            "--message-format",
            "sarif",
            "bündel mit fehler.scir",
            "truncated.scir",
            "dump.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc = log_of(&out);
    assert_sound(&doc, "bundles");
    let by_file = |uri: &str| -> Vec<&Value> {
        results(&doc)
            .iter()
            .filter(|r| artifact(r)["uri"] == uri)
            .collect()
    };
    let bundle_results = by_file("b%C3%BCndel%20mit%20fehler.scir");
    assert!(!bundle_results.is_empty());
    for r in &bundle_results {
        assert_eq!(r["ruleId"], "E415");
        assert_eq!(
            *region(r),
            serde_json::json!({"byteOffset": 0, "byteLength": 0})
        );
        assert!(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].is_string());
    }
    let truncated = by_file("truncated.scir");
    assert_eq!(truncated.len(), 1);
    assert_eq!(truncated[0]["ruleId"], "E410");
    assert_eq!(region(truncated[0])["byteLength"], 0);
    let dump = by_file("dump.json");
    assert_eq!(dump.len(), bundle_results.len());
    for r in dump {
        assert_eq!(r["ruleId"], "E415");
        assert!(region(r)["startLine"].as_u64().unwrap() > 1);
    }
    // A bundle on standard input, too.
    let out = run_stdin(
        &["verify", "--message-format", "sarif", "-"],
        &fixture("fixtures/ir/e410-truncated.scir"),
    );
    let doc = log_of(&out);
    assert_sound(&doc, "a bundle on stdin");
    assert_eq!(region(&results(&doc)[0])["byteOffset"], 0);
}

/// An input that cannot be read still gets a location and a region.
#[test]
fn unreadable_inputs_get_a_region() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &["validate", "--message-format", "sarif", "no such file.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = log_of(&out);
    assert_sound(&doc, "missing file");
    let r = &results(&doc)[0];
    assert_eq!(r["ruleId"], "SF001");
    assert_eq!(artifact(r)["uri"], "no%20such%20file.json");
    assert_eq!(region(r)["byteOffset"], 0);
}

/// The log of every fixture, flows and IR: sound, deterministic, and each rule's help is
/// what `scaiflow explain` prints, in Markdown with its examples fenced.
#[test]
fn every_rule_carries_its_explanation_as_help() {
    let mut flows: Vec<String> = std::fs::read_dir(manifest_dir().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| format!("fixtures/{}", p.file_name().unwrap().to_str().unwrap()))
        .collect();
    flows.sort();
    let mut irs: Vec<String> = std::fs::read_dir(manifest_dir().join("fixtures/ir"))
        .unwrap()
        .map(|e| format!("fixtures/ir/{}", e.unwrap().file_name().to_str().unwrap()))
        .collect();
    irs.sort();
    let mut checked = 0;
    for (command, files) in [("validate", &flows), ("verify", &irs)] {
        let mut args = vec![command, "--message-format", "sarif"];
        args.extend(files.iter().map(String::as_str));
        let out = run_in(manifest_dir(), &args);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let again = run_in(manifest_dir(), &args);
        assert_eq!(
            out.stdout, again.stdout,
            "{command}: the log is deterministic"
        );
        let doc = log_of(&out);
        assert_sound(&doc, command);
        assert!(results(&doc).len() >= files.len() - 2, "{command}");
        for r in doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
        {
            let code = r["id"].as_str().unwrap();
            let explain = bin().args(["explain", code]).output().unwrap();
            let explain = String::from_utf8(explain.stdout).unwrap();
            let help = r["help"]["text"].as_str().unwrap();
            let header_end = explain.find("\n\n").unwrap() + 2;
            assert_eq!(explain[header_end..].trim_end(), help, "{code}");
            let md = r["help"]["markdown"].as_str().unwrap();
            if help.contains("\n    ") {
                assert!(
                    md.contains("\n\n```\n"),
                    "{code}: examples are fenced:\n{md}"
                );
            }
            // Outside code blocks and code spans, `<` is escaped: it would start HTML.
            let mut fenced = false;
            for line in md.lines() {
                if line.starts_with("```") {
                    fenced = !fenced;
                    continue;
                }
                let prose: String = line.split('`').step_by(2).collect();
                if !fenced && prose.replace("\\<", "").contains('<') {
                    panic!("{code}: raw < in {line:?}:\n{md}");
                }
            }
            assert!(!fenced, "{code}: unclosed fence");
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked} rules");
}

/// The official validator (SARIF multitool, with its GitHub rules) on the logs of the
/// fixtures, of standard input, of odd names and of bundles: no error, no warning, and only
/// the notes docs/ci.md accepts. Skipped unless `SCAIFLOW_SARIF_MULTITOOL` names the
/// multitool's executable.
#[test]
fn the_sarif_multitool_accepts_the_logs() {
    let Some(tool) = std::env::var_os("SCAIFLOW_SARIF_MULTITOOL") else {
        eprintln!(
            "note: SARIF multitool not run; set SCAIFLOW_SARIF_MULTITOOL to its executable \
             (docs/ci.md)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bad = fixture("fixtures/sf204-missing-output-port.json");
    std::fs::write(dir.path().join("a flöw #1.json"), &bad).unwrap();
    let ir: Value =
        serde_json::from_slice(&fixture("fixtures/ir/e415-undeclared-role.json")).unwrap();
    std::fs::write(dir.path().join("b ü.scir"), scaiflow::scir::encode(&ir)).unwrap();
    let root = manifest_dir().to_str().unwrap().to_string();
    let logs: Vec<(&str, Output)> = vec![
        (
            "fixtures",
            run_in(
                manifest_dir(),
                &[
                    "validate",
                    "--message-format",
                    "sarif",
                    "fixtures/sf204-missing-output-port.json",
                    "fixtures/sf003-invalid-utf8.json",
                    "fixtures/sf211-unused-output-port.json",
                ],
            ),
        ),
        (
            "ir",
            run_in(
                manifest_dir(),
                &[
                    "verify",
                    "--message-format",
                    "sarif",
                    "fixtures/ir/e410-truncated.scir",
                    "fixtures/ir/e415-undeclared-role.json",
                ],
            ),
        ),
        (
            "odd",
            run_in(
                dir.path(),
                &[
                    "validate",
                    "--message-format",
                    "sarif",
                    "a flöw #1.json",
                    &format!("{root}/fixtures/sf207-cycle.json"),
                    "missing file.json",
                ],
            ),
        ),
        (
            "bundle",
            run_in(
                dir.path(),
                &["verify", "--message-format", "sarif", "b ü.scir"],
            ),
        ),
        (
            "clean",
            run_in(
                manifest_dir(),
                &[
                    "validate",
                    "--message-format",
                    "sarif",
                    "examples/customer-support.flow.json",
                ],
            ),
        ),
        (
            "stdin",
            run_stdin(&["validate", "--message-format", "sarif", "-"], &bad),
        ),
    ];
    // Notes that do not apply (docs/ci.md says why): message arguments, version control
    // provenance, the $schema's reachability (network), snippets, context regions, rule
    // names and help URIs, absolute paths given on the command line.
    const ACCEPTED_NOTES: &[&str] = &[
        "SARIF2002",
        "SARIF2003",
        "SARIF2006",
        "SARIF2010",
        "SARIF2011",
        "SARIF2012",
        "SARIF2016",
    ];
    // A control: the same fixture log without `help` on its rule must get GH2012, so the
    // tool runs, reads the logs and applies GitHub's rules.
    let mut control: Value = serde_json::from_slice(&logs[0].1.stdout).unwrap();
    control["runs"][0]["tool"]["driver"]["rules"][0]
        .as_object_mut()
        .unwrap()
        .remove("help");
    let validate = |what: &str, log: &[u8]| -> Vec<(String, String)> {
        let input = dir.path().join(format!("{what}.sarif"));
        std::fs::write(&input, log).unwrap();
        let report = dir.path().join(format!("{what}.report.sarif"));
        let run = std::process::Command::new(&tool)
            .args([
                "validate",
                "--rule-kind",
                "Sarif;Gh",
                "--level",
                "Error;Warning;Note",
            ])
            .args(["--log", "ForceOverwrite", "-o"])
            .arg(&report)
            .arg(&input)
            .output()
            .expect("the multitool runs");
        let report = std::fs::read(&report).unwrap_or_else(|e| {
            panic!(
                "{what}: no report ({e}): {}{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            )
        });
        let report: Value = serde_json::from_slice(&report).unwrap();
        assert_eq!(
            report["runs"][0]["invocations"][0]["executionSuccessful"], true,
            "{what}: {report}"
        );
        report["runs"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap_or("").to_string(),
                    // A result without a level is a warning.
                    r["level"].as_str().unwrap_or("warning").to_string(),
                )
            })
            .collect()
    };
    let found = validate("control", &serde_json::to_vec(&control).unwrap());
    assert!(
        found.contains(&("GH2012".into(), "error".into())),
        "the control log: {found:?}"
    );
    for (what, out) in &logs {
        let found: Vec<(String, String)> = validate(what, &out.stdout)
            .into_iter()
            .filter(|(id, level)| level != "note" || !ACCEPTED_NOTES.contains(&id.as_str()))
            .collect();
        assert!(found.is_empty(), "{what}: the multitool reports {found:?}");
    }
}
