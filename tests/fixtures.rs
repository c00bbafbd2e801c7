//! Golden fixtures: one small invalid flow per diagnostic code (`fixtures/<code>-<slug>.json`).
//!
//! Each fixture is a realistic flow that is valid except for the one problem it
//! demonstrates. The table below lists every diagnostic each fixture must yield, in the
//! order `render::prepare` sorts them, with the exact message, the JSON path as displayed
//! and the 1-based line and column of the underlined token. The positions were worked out
//! from the fixture text, not copied from the tool's output.
//!
//! The human rendering of every fixture is also pinned as an insta snapshot
//! (`tests/snapshots/<fixture stem>.snap`).
//!
//! Regenerate snapshots with `INSTA_UPDATE=always cargo test --test fixtures` and review
//! every changed `.snap` file before committing it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use scaiflow::diagnostics::{Diagnostic, codes, render};
use scaiflow::load::{self, LoadFailure, SourceFile};

/// One expected diagnostic.
struct Expected {
    file: &'static str,
    code: &'static str,
    severity: &'static str,
    message: &'static str,
    /// The JSON path as displayed (`edges[0].source.port`, `$` for the root), or "" when
    /// the diagnostic has no path (load and syntax errors).
    path: &'static str,
    line: usize,
    column: usize,
}

const fn row(
    file: &'static str,
    code: &'static str,
    severity: &'static str,
    message: &'static str,
    path: &'static str,
    line: usize,
    column: usize,
) -> Expected {
    Expected {
        file,
        code,
        severity,
        message,
        path,
        line,
        column,
    }
}

/// Codes that cannot be produced from a fixture file; they are tested elsewhere.
/// SF290 is an internal error (the lowering verifier disagreeing with the structuring):
/// no valid input produces it; `src/lower/verify.rs` tests it on hand-made wrong blocks.
// (SF004 needs an output of tens of megabytes: tests/cli.rs, compile_never_writes_what_its_readers_refuse.)
// SF601–SF603 compare a flow with its artifact on disk (`compile --check`), or summarize a
// flow's errors: tests/ci.rs, check_reports_missing_and_stale_artifacts_in_every_format and
// summarize_invalid_reports_a_broken_flow_once.
const NOT_FROM_A_FIXTURE: &[&str] = &[
    "SF001", "SF002", "SF004", "SF290", "SF601", "SF602", "SF603",
];

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    row("sf003-invalid-utf8.json", "SF003", "error", "invalid UTF-8 at byte 418: JSON text must be UTF-8", "", 22, 26),
    row("sf100-missing-comma.json", "SF100", "error", "invalid JSON: expected `,` or `}`", "", 23, 7),
    row("sf100-trailing-comma.json", "SF100", "error", "invalid JSON: trailing comma", "", 70, 6),
    row("sf101-duplicate-key.json", "SF101", "error", "duplicate key \"label\"", "", 35, 7),
    // The limit is 127 levels: the 128th opening bracket (column 140) is refused.
    row("sf102-nesting-too-deep.json", "SF102", "error", "JSON nesting is deeper than 127 levels", "", 42, 140),
    row("sf103-not-an-object.json", "SF103", "error", "a flow must be a JSON object, found an array", "$", 1, 1),
    // 100000000000000000000 on the line before is beyond 64 bits too, but a float holds it exactly.
    row("sf104-inexact-integer.json", "SF104", "error", "integer 123456789012345678901234567890 does not fit in 64 bits and a float cannot hold it exactly; write it as a string", "", 43, 20),
    row("sf110-flow-missing-version.json", "SF110", "error", "flow: missing required property 'version'", "$", 1, 1),
    row("sf110-node-missing-position.json", "SF110", "error", "nodes[1]: missing required property 'position'", "nodes[1]", 19, 5),
    row("sf111-temperature-is-a-string.json", "SF111", "error", "config.core_identity.models[0].temperature: expected number, found a string \"0.2\"", "config.core_identity.models[0].temperature", 81, 26),
    row("sf112-unknown-edge-type.json", "SF112", "error", "edges[1].type: \"sequencial\" is not one of: sequential, conditional, data", "edges[1].type", 61, 15),
    row("sf112-unknown-lifecycle.json", "SF112", "error", "nodes[1].config.lifecycle: \"temporary\" is not one of: ephemeral, session, persistent, appliance", "nodes[1].config.lifecycle", 29, 22),
    row("sf113-unknown-node-kind.json", "SF113", "error", "unknown node kind 'llm_flexibel'", "nodes[1].type", 21, 15),
    row("sf114-empty-command.json", "SF114", "error", "nodes[2].config.command: needs at least 1 item", "nodes[2].config.command", 41, 9),
    row("sf114-temperature-too-high.json", "SF114", "error", "config.core_identity.models[0].temperature: 3.0 is greater than the maximum of 2.0", "config.core_identity.models[0].temperature", 81, 26),
    row("sf115-entry-path-without-slash.json", "SF115", "error", "nodes[0].config.path \"tickets\" must start with `/`", "nodes[0].config.path", 16, 17),
    row("sf115-version-not-semver.json", "SF115", "error", "version \"1.0\" must be a semantic version such as \"1.0.0\"", "version", 4, 14),
    row("sf116-misspelt-condition.json", "SF117", "error", "edge 'edge_3': conditional edge has no condition", "edges[2].type", 89, 15),
    row("sf116-misspelt-condition.json", "SF116", "warning", "edges[2]: unknown property 'conditon'", "edges[2].conditon", 98, 7),
    row("sf116-unknown-top-level-key.json", "SF116", "warning", "flow: unknown property 'metdata'", "metdata", 5, 3),
    row("sf117-conditional-without-condition.json", "SF117", "error", "edge 'edge_3': conditional edge has no condition", "edges[2].type", 89, 15),
    row("sf118-misspelt-config-key.json", "SF118", "warning", "node 'node_xyz': unknown config key 'gaurd' for llm_guarded", "nodes[1].config.gaurd", 30, 9),
    row("sf119-duplicate-modalities.json", "SF119", "error", "config.core_identity.models[0].modalities: [\"text\",\"structured_output\",\"text\"] has non-unique elements", "config.core_identity.models[0].modalities", 81, 11),
    row("sf200-duplicate-node-id.json", "SF200", "error", "duplicate node id 'node_start' (also nodes[0])", "nodes[1].id", 20, 13),
    // The duplicate is one problem: no SF210 / SF308 echo for the shadowed node.
    row("sf200-duplicate-step-id.json", "SF200", "error", "duplicate node id 'node_summarise' (also nodes[1])", "nodes[3].id", 46, 13),
    row("sf201-duplicate-edge-id.json", "SF201", "error", "duplicate edge id 'edge_2' (also edges[1])", "edges[2].id", 86, 13),
    row("sf202-duplicate-port-id.json", "SF202", "error", "node 'node_review': duplicate output port id 'out_approved'", "nodes[1].outputs[1].id", 39, 17),
    row("sf203-dangling-source.json", "SF203", "error", "edge 'edge_2': source node 'node_sumarise' does not exist", "edges[1].source.node", 63, 17),
    row("sf203-dangling-target.json", "SF203", "error", "edge 'edge_2': target node 'node_reveiw' does not exist", "edges[1].target.node", 67, 17),
    row("sf204-missing-output-port.json", "SF204", "error", "edge 'edge_xyz': source node 'node_abc' has no output port 'out_typo'", "edges[1].source.port", 64, 17),
    row("sf205-missing-input-port.json", "SF205", "error", "edge 'edge_xyz': target node 'node_abc' has no input port 'in_typo'", "edges[0].target.port", 56, 17),
    // `nodes` is present (and empty), so the diagnostic belongs on it, as in sf206-no-entry.
    row("sf206-empty-flow.json", "SF206", "error", "flow has no entry-point node", "nodes", 5, 3),
    row("sf206-no-entry.json", "SF206", "error", "flow has no entry-point node", "nodes", 5, 3),
    row("sf207-cycle.json", "SF207", "error", "cycle detected: node_a -> node_b -> node_a", "edges[2].id", 72, 13),
    row("sf207-two-cycles.json", "SF207", "error", "cycle detected: node_a -> node_b -> node_a", "edges[2].id", 99, 13),
    row("sf207-two-cycles.json", "SF207", "error", "cycle detected: node_c -> node_d -> node_c", "edges[5].id", 135, 13),
    row("sf208-self-loop.json", "SF208", "error", "edge 'edge_3': connects node 'node_notify' to itself", "edges[2]", 71, 5),
    row("sf209-edge-into-entry.json", "SF209", "error", "edge 'edge_3': target node 'node_start' is an entry node (entry_api); entries have no inputs", "edges[2].target.node", 79, 17),
    row("sf210-unreachable-node.json", "SF210", "warning", "node 'node_archive' is unreachable from every entry point", "nodes[3].id", 46, 13),
    row("sf211-unused-output-port.json", "SF211", "warning", "node 'node_review' has an unused output port 'out_aux'", "nodes[1].outputs[1].id", 39, 17),
    row("sf212-data-edge-from-branch.json", "SF212", "error", "edge 'edge_6': data source 'node_discount' does not run before its target 'node_quote' on every path", "edges[5].id", 135, 13),
    row("sf213-step-after-two-side-by-side-decisions.json", "SF213", "error", "edge 'edge_5': node 'node_escalate' is reached over edge 'edge_5' (when 'node_spam' takes edge 'edge_5') and over edge 'edge_4' (when 'node_vip' takes edge 'edge_4'); no single place in the flow runs it exactly then (each node is placed once) — decide it in one logic_decision whose condition combines both, let these paths meet at one decision's join before 'node_escalate', or give each path its own node", "edges[4].id", 121, 13),
    row("sf214-loop-body-leaves-loop.json", "SF214", "error", "edge 'edge_3': leaves the body of loop 'node_each' (a body ends inside the loop; continue from the loop's done port)", "edges[2].id", 86, 13),
    row("sf215-two-fallthrough-arms.json", "SF215", "error", "node 'node_route' has 2 fallthrough arms ('edge_2', 'edge_3'); at most one sequential or \"true\" edge may leave a decision", "edges[2].id", 84, 13),
    row("sf216-nesting-too-deep.json", "SF216", "error", "node 'node_check_200': blocks are nested more than 200 levels deep", "nodes[401].id", 4217, 13),
    row("sf217-parallel-branch-condition.json", "SF217", "error", "edge 'edge_3': a parallel branch always runs, so its condition cannot hold (from 'node_fanout'); put a logic_decision at the start of the branch", "edges[2].id", 83, 13),
    row("sf300-undeclared-legacy-model.json", "SF300", "error", "llm_role validation failed: node 'node_answer': llm_role='cheap' is not declared", "nodes[1].config.model", 29, 18),
    row("sf300-undeclared-role.json", "SF300", "error", "llm_role validation failed: node 'node_xyz': llm_role='fastt' is not declared", "nodes[1].config.llm_role", 29, 21),
    row("sf301-while-without-max-iterations.json", "SF301", "error", "while loop missing max_iterations", "nodes[1].config.style", 28, 18),
    row("sf302-compute-exec-without-command.json", "SF302", "error", "plugin call 'scaibunker.exec': missing required arg 'command'", "nodes[2].config", 40, 7),
    row("sf302-scaidrive-search-missing-path.json", "SF302", "error", "plugin call 'scaidrive.search': missing required arg 'path'", "nodes[1].config.args", 30, 9),
    row("sf303-unknown-bunker-method.json", "SF303", "error", "plugin call 'scaibunker.run': 'scaibunker' has no method 'run'", "nodes[2].config.method", 42, 19),
    row("sf304-hitl-review-without-queue.json", "SF304", "error", "node 'node_review': hitl_review requires a queue (config.queue)", "nodes[1].config", 27, 7),
    row("sf305-duplicate-model-role.json", "SF305", "error", "duplicate model role 'primary' (models[0] and models[2])", "config.core_identity.models[2].role", 88, 19),
    row("sf306-subflow-target-not-core-uri.json", "SF306", "error", "node 'node_parse': subflow target 'https://grid.example/acme/parser' is not a core:// URI (expected core://{tenant_slug}/{slug})", "nodes[1].config.target", 28, 19),
    row("sf307-cron-hour-out-of-range.json", "SF307", "error", "node 'node_nightly': invalid cron expression '0 25 * * *': hour field: 25 is out of range 0-23", "nodes[0].config.cron", 15, 17),
    row("sf307-cron-wrong-field-count.json", "SF307", "error", "node 'node_nightly': invalid cron expression '0 2 * *': expected 5 fields (minute hour day-of-month month day-of-week), found 4", "nodes[0].config.cron", 15, 17),
    row("sf308-binding-collision.json", "SF308", "error", "node 'classify' binds its result as 'classify', which is already taken by node 'node_classify'", "nodes[2].id", 32, 13),
    row("sf308-binding-shadows-input.json", "SF308", "error", "node 'node_input' binds its result as 'input', which is already taken by the trigger payload `input`", "nodes[2].id", 32, 13),
    row("sf308-binding-shadows-variable.json", "SF308", "error", "node 'node_priority' binds its result as 'priority', which is already taken by flow variable 'priority'", "nodes[2].id", 32, 13),
    row("sf309-foreach-without-items.json", "SF309", "error", "node 'node_poll': logic_loop requires config.items (the expression of the collection to iterate)", "nodes[1].config", 27, 7),
    // With no config the diagnostic falls back to the node's `type`; like SF310 and SF314 it
    // should underline the kind ("llm_rigid", column 15).
    row("sf309-llm-rigid-without-config.json", "SF309", "error", "node 'node_summarise': llm_rigid requires config.template (the expression template the step evaluates)", "nodes[1].type", 21, 15),
    row("sf309-tool-http-without-url.json", "SF309", "error", "node 'node_notify': tool_http requires config.url (the URL to request)", "nodes[2].config", 39, 7),
    row("sf310-no-models.json", "SF310", "error", "node 'node_answer' (llm_guarded) needs a model, but config.core_identity.models declares none", "nodes[1].type", 21, 15),
    row("sf311-undeclared-variable.json", "SF311", "error", "node 'node_count': variable 'totl' is not declared", "nodes[1].config.variable", 28, 21),
    row("sf312-duplicate-variable.json", "SF312", "error", "duplicate variable 'total' (variables[0] and variables[1])", "variables[1].name", 80, 15),
    row("sf313-role-alias-conflict.json", "SF313", "warning", "node 'node_answer': llm_role='fast' and legacy model='primary' disagree; llm_role wins", "nodes[1].config.model", 30, 18),
    row("sf314-queue-without-scope.json", "SF314", "warning", "node 'node_publish': no queue scope, so it is compiled with scope: null (set config.scaiqueue.scope on the flow or config.scope on the node)", "nodes[1].type", 21, 15),
    row("sf315-while-without-condition.json", "SF315", "warning", "node 'node_retry': logic_loop has no config.condition; it runs until max_iterations (compiled with the condition \"true\")", "nodes[1].config", 29, 7),
];

/// `(code, severity, message, path, line, column)`: one diagnostic as compared.
type Actual = (String, String, String, String, usize, usize);

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The fixture files named in the table, in table order, without repetition.
fn table_files() -> Vec<&'static str> {
    let mut files: Vec<&'static str> = Vec::new();
    for e in EXPECTED {
        if !files.contains(&e.file) {
            files.push(e.file);
        }
    }
    files
}

/// Loads and analyzes a fixture the way `scaiflow validate` does, through the library API.
/// The source is named `fixtures/<file>` so renderings do not depend on the checkout path.
fn diagnose(file: &str) -> (SourceFile, Vec<Diagnostic>) {
    let full = fixtures_dir().join(file);
    let full = full.to_str().expect("fixture paths are UTF-8");
    let (mut source, mut diags) = match load::read_source(full) {
        Ok(source) => {
            let diags = scaiflow::validate_source(&source).diagnostics;
            (source, diags)
        }
        Err(LoadFailure { diagnostic, source }) => (source, vec![diagnostic]),
    };
    source.name = format!("fixtures/{file}");
    render::prepare(&source, &mut diags);
    (source, diags)
}

fn actual(d: &Diagnostic) -> Actual {
    let (line, column) = d.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
    (
        d.code.as_str().to_string(),
        d.severity.as_str().to_string(),
        d.message.clone(),
        d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
        line,
        column,
    )
}

fn expected_for(file: &str) -> Vec<Actual> {
    EXPECTED
        .iter()
        .filter(|e| e.file == file)
        .map(|e| {
            (
                e.code.to_string(),
                e.severity.to_string(),
                e.message.to_string(),
                e.path.to_string(),
                e.line,
                e.column,
            )
        })
        .collect()
}

fn show(rows: &[Actual]) -> String {
    if rows.is_empty() {
        return "      (none)\n".to_string();
    }
    rows.iter()
        .map(|r| format!("      {r:?}\n"))
        .collect::<String>()
}

/// (a) Every fixture yields exactly its table rows, in order. All mismatches are reported
/// together.
#[test]
fn every_fixture_yields_exactly_its_diagnostics() {
    let mut failures = String::new();
    let mut failed = 0;
    let files = table_files();
    for file in &files {
        let (_, diags) = diagnose(file);
        let got: Vec<Actual> = diags.iter().map(actual).collect();
        let want = expected_for(file);
        if got != want {
            failed += 1;
            failures.push_str(&format!(
                "\n  {file}\n    expected:\n{}    actual:\n{}",
                show(&want),
                show(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{failed} of {} fixtures do not yield their expected diagnostics \
         (code, severity, message, path, line, column):\n{failures}",
        files.len()
    );
}

/// (b) Every code of the registry (except those no file can trigger) has a fixture, and
/// the table's severities agree with the registry.
#[test]
fn every_code_has_a_fixture() {
    let covered: BTreeSet<&str> = EXPECTED.iter().map(|e| e.code).collect();
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|info| info.code.as_str())
        // The verifier's E4xx codes have their own fixtures (fixtures/ir/, tests/ir.rs),
        // and so do import's SF5xx (fixtures/import/, tests/import.rs).
        .filter(|c| !c.starts_with('E') && !c.starts_with("SF5"))
        .filter(|c| !NOT_FROM_A_FIXTURE.contains(c) && !covered.contains(c))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");

    for e in EXPECTED {
        let info = codes::ALL
            .iter()
            .find(|i| i.code.as_str() == e.code)
            .unwrap_or_else(|| panic!("{}: unknown code {}", e.file, e.code));
        assert_eq!(
            e.severity,
            info.severity.as_str(),
            "{}: {} is a{} in the registry",
            e.file,
            e.code,
            if info.severity.as_str() == "error" {
                "n error"
            } else {
                " warning"
            },
        );
    }
}

/// (c) Every file in fixtures/ is in the table, every table file exists, and each
/// fixture's name starts with one of the codes it yields.
#[test]
fn no_orphan_fixtures() {
    // Files only: fixtures/ir/ holds the verifier's fixtures (tests/ir.rs).
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ is readable")
        .map(|entry| entry.expect("fixtures/ entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| {
            entry
                .file_name()
                .into_string()
                .expect("fixture names are UTF-8")
        })
        .collect();
    let in_table: BTreeSet<String> = table_files().iter().map(|f| f.to_string()).collect();
    let orphans: Vec<&String> = on_disk.difference(&in_table).collect();
    assert!(orphans.is_empty(), "fixtures not in the table: {orphans:?}");
    let absent: Vec<&String> = in_table.difference(&on_disk).collect();
    assert!(
        absent.is_empty(),
        "table rows for missing fixtures: {absent:?}"
    );

    for file in table_files() {
        let prefix = file
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(
            file.ends_with(".json") && EXPECTED.iter().any(|e| e.file == file && e.code == prefix),
            "{file}: the name must be `<code>-<slug>.json` for a code the fixture yields"
        );
    }
}

/// (d) The human rendering (no colour) of every fixture, pinned as a snapshot named after
/// the fixture. Every fixture is checked; the failures are listed together at the end.
#[test]
fn human_rendering_snapshots() {
    let mut failed = Vec::new();
    for file in table_files() {
        let (source, diags) = diagnose(file);
        let text = render::human(&source, &diags, false);
        let stem = file.strip_suffix(".json").unwrap_or(file);
        let checked = std::panic::catch_unwind(|| {
            insta::with_settings!({
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("scaiflow validate fixtures/{file}"),
            }, {
                insta::assert_snapshot!(stem, text);
            });
        });
        if checked.is_err() {
            failed.push(file);
        }
    }
    assert!(
        failed.is_empty(),
        "human renderings differ from their snapshots (diffs above): {failed:?}"
    );
}
