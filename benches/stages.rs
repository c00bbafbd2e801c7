//! `cargo bench --bench stages [-- SIZES]`: the time of every stage of every job on
//! generated flows of 1,000, 10,000 and 100,000 nodes (or the sizes given), and each job's
//! end-to-end wall time and peak memory as a `scaiflow` process.
//!
//! The flows have the shape of `../shared/bench/gen_flow.py` (the generator the Python peer
//! comparison uses, `scripts/bench-vs-python.py`): segments of a flexible LLM step, a plugin
//! search, a decision diamond with a guarded and a rigid arm, a merge and a checkpoint.
//! Stage times are the best of a few runs in this process (one run at 100,000 nodes);
//! the process rows are one run of the release binary under GNU time (`/usr/bin/time`,
//! "n/a" without it). Last, the pre-commit case: one 50-node flow per process, the median
//! and best wall time of 200 spawns of each command, with `/bin/true` as the machine's
//! floor. Targets are in docs/performance.md; none is asserted here.

use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scaiflow::load::SourceFile;
mod common;

use common::flow;

fn best<T>(runs: u32, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = black_box(f());
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// One run of the release binary under GNU time: (wall seconds, peak MiB).
fn process(args: &[&str]) -> Option<(f64, f64)> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", env!("CARGO_BIN_EXE_scaiflow")])
        .args(args)
        .output()
        .ok()?;
    let last = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .to_string();
    let mut it = last.split_whitespace();
    let wall: f64 = it.next()?.parse().ok()?;
    let kib: f64 = it.next()?.parse().ok()?;
    Some((wall, kib / 1024.0))
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        sizes
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    println!("in-process stages, ms (best of 5; of 1 at 100,000 nodes and more):");
    println!(
        "{:>8} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}",
        "nodes",
        "MB",
        "parse",
        "schema",
        "model",
        "struct",
        "lower",
        "yaml",
        "ir",
        "scai",
        "import",
        "imp.MB"
    );
    let mut processes = Vec::new();
    for &n in &sizes {
        let text = flow(n);
        let runs = if n >= 100_000 { 1 } else { 5 };
        let limits = scaiflow::limits::Limits::with_max_input((text.len() as u64).max(16 << 20));
        // The path the CLI takes for a valid flow: the tape, the fast schema check on it,
        // the model from it and the analysis (`analyze_text`).
        let (parse, tape) = best(runs, || {
            scaiflow::load::tape::Tape::parse(&text).expect("the tape reads the flow")
        });
        let (schema, verdict) = best(runs, || scaiflow::schema::fast_verdict(tape.root()));
        assert_eq!(verdict, scaiflow::schema::Verdict::Valid);
        let (deser, _) = best(runs, || {
            <scaiflow::model::Flow as serde::Deserialize>::deserialize(tape.root()).expect("a flow")
        });
        eprintln!(
            "  (of the model column: deserializing from the tape {})",
            ms(deser)
        );
        drop(tape);
        // The model and its analysis: everything `analyze_text` does after the schema.
        let (checked, (outcome, doc)) = best(runs, || scaiflow::analyze::analyze_text(&text));
        assert!(doc.is_none(), "the fast path is taken");
        let model = checked.saturating_sub(parse + schema);
        let a = outcome.analyzed.expect("the flow analyzes");
        let (structure, bodies) =
            best(runs, || scaiflow::lower::structure(&a).expect("structured"));
        let (lower, core) = best(runs, || scaiflow::lower::core::lower(&a, &bodies));
        let (yaml, manifest) = best(runs, || {
            scaiflow::emit::yaml::emit(&a, &core).expect("YAML")
        });
        let (ir, _) = best(runs, || {
            let module = scaiflow::emit::ir::module(&a, &core);
            assert!(scaiflow::verify::verify(&module).is_empty());
            scaiflow::scir::encode(&module).len()
        });
        let (scai, _) = best(runs, || scaiflow::emit::scai::emit(&a, &core).len());
        let yaml_source = SourceFile::new("m.yaml", manifest.clone());
        let (import, imported) = best(runs.min(3), || {
            scaiflow::import::import_manifest_with(&yaml_source, limits, scaiflow::Reclaim::Free)
        });
        assert!(
            imported.flow.is_some(),
            "{:?}",
            imported.diagnostics.first()
        );
        println!(
            "{n:>8} {:>9.2} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8.2}",
            text.len() as f64 / 1e6,
            ms(parse),
            ms(schema),
            ms(model),
            ms(structure),
            ms(lower),
            ms(yaml),
            ms(ir),
            ms(scai),
            ms(import),
            manifest.len() as f64 / 1e6,
        );
        let flow_path = dir.path().join(format!("f{n}.flow.json"));
        let manifest_path = dir.path().join(format!("f{n}.yaml"));
        std::fs::write(&flow_path, &text).expect("write the flow");
        std::fs::write(&manifest_path, &manifest).expect("write the manifest");
        processes.push((n, text.len(), flow_path, manifest_path));
    }
    println!("\nscaiflow processes: wall s / peak MiB (one run each; x: peak / input size):");
    println!(
        "{:>8} {:>18} {:>18} {:>18} {:>18} {:>18}",
        "nodes", "validate", "compile yaml", "compile ir", "compile scai", "import"
    );
    for (n, bytes, flow_path, manifest_path) in processes {
        let size = bytes.max(16 << 20).to_string();
        let out = |name: &str| dir.path().join(name).display().to_string();
        let f = flow_path.to_str().expect("UTF-8 temp path");
        let m = manifest_path.to_str().expect("UTF-8 temp path");
        let manifest_bytes = std::fs::metadata(&manifest_path).map_or(1, |m| m.len());
        let jobs: [(Vec<String>, u64); 5] = [
            (vec!["validate".into(), f.into()], bytes as u64),
            (
                vec!["compile".into(), f.into(), "--out".into(), out("o.yaml")],
                bytes as u64,
            ),
            (
                vec![
                    "compile".into(),
                    "--format".into(),
                    "ir".into(),
                    f.into(),
                    "--out".into(),
                    out("o.scir"),
                ],
                bytes as u64,
            ),
            (
                vec![
                    "compile".into(),
                    "--format".into(),
                    "scai".into(),
                    f.into(),
                    "--out".into(),
                    out("o.scai"),
                ],
                bytes as u64,
            ),
            (
                vec![
                    "import".into(),
                    m.into(),
                    "--out".into(),
                    out("back.flow.json"),
                ],
                manifest_bytes,
            ),
        ];
        let cells: Vec<String> = jobs
            .iter()
            .map(|(args, input)| {
                let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
                args.extend(["--max-input-size", &size]);
                match process(&args) {
                    Some((wall, mib)) => format!(
                        "{wall:.2} / {mib:.0} ({:.0}x)",
                        mib * 1024.0 * 1024.0 / *input as f64
                    ),
                    None => "n/a".into(),
                }
            })
            .collect();
        println!(
            "{n:>8} {:>18} {:>18} {:>18} {:>18} {:>18}",
            cells[0], cells[1], cells[2], cells[3], cells[4]
        );
    }
    small_flow(dir.path());
}

/// The pre-commit case: one small flow per process, start-up included. The wall time of
/// each spawn of the release binary, the spawn itself included (as `hyperfine -N`
/// measures it); median and best of [`RUNS`].
fn small_flow(dir: &Path) {
    const NODES: usize = 50;
    const RUNS: usize = 200;
    let exe = env!("CARGO_BIN_EXE_scaiflow");
    let path = dir.join("small.flow.json");
    std::fs::write(&path, flow(NODES)).expect("write the flow");
    let f = path.to_str().expect("UTF-8 temp path");
    // `compile --check` compares with the manifest beside the flow: write it first.
    let written = Command::new(exe).args(["compile", f, "-q"]).status();
    assert!(
        written.is_ok_and(|s| s.success()),
        "the small flow compiles"
    );
    println!(
        "
one {NODES}-node flow per process, ms (median / best of {RUNS}; the spawn included):"
    );
    let cases: [(&str, &str, Vec<&str>); 6] = [
        ("a bare process (/bin/true)", "/bin/true", vec![]),
        ("scaiflow --version", exe, vec!["--version"]),
        ("validate -q", exe, vec!["validate", "-q", f]),
        ("compile --check", exe, vec!["compile", "--check", f]),
        ("compile --out -", exe, vec!["compile", f, "--out", "-"]),
        (
            "compile --format ir --out -",
            exe,
            vec!["compile", "--format", "ir", f, "--out", "-"],
        ),
    ];
    'case: for (name, program, args) in cases {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            let status = Command::new(program)
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            times.push(t.elapsed());
            if !status.is_ok_and(|s| s.success()) {
                println!("{name:>30}  n/a");
                continue 'case;
            }
        }
        times.sort();
        let ms2 = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
        println!(
            "{name:>30} {:>6} / {:>6}",
            ms2(times[RUNS / 2]),
            ms2(times[0])
        );
    }
}
