//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The bundled example flows (`examples/*.flow.json`), sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".flow.json"))
            .collect();
    v.sort();
    v
}

/// Strings a YAML 1.1 or 1.2 parser, or a naive emitter, could get wrong.
#[allow(dead_code)]
pub const TRICKY: &[&str] = &[
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "NO",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    " ",
    "0.2",
    "1e3",
    "0o17",
    "0x1F",
    "2026-01-15",
    "2026-01-15T10:00:00Z",
    "1_000",
    "12:30:00",
    ".inf",
    "-.inf",
    ".nan",
    "+1",
    "007",
    "*ref",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "a: b",
    "a #b",
    "#c",
    "- dash",
    "? q",
    "[x]",
    "{y}",
    "trail ",
    " lead",
    "multi\nline",
    "ends\n",
    "tab\there",
    "quote\"d",
    "back\\slash",
    "'single'",
    "é ✓ 日本",
    "\u{1F600}",
    "=",
    "<<",
    "|",
    ">",
    "line1\n\nline3",
    "  indented\nsecond",
    "a very long line of text that goes on and on well past the folding width of eighty characters, with trailing",
];

/// A tiny deterministic PRNG (xorshift64*).
#[allow(dead_code)]
pub struct Rng(pub u64);
impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// Replaces string values that do not carry structure (labels, templates, goals, prompts,
/// metadata) with hostile strings.
#[allow(dead_code)]
pub fn scramble(v: &mut Value, rng: &mut Rng, key: &str) {
    const STRUCTURAL: &[&str] = &[
        "id",
        "type",
        "node",
        "port",
        "llm_role",
        "model",
        "role",
        "plugin",
        "method",
        "variable",
        "style",
        "queue",
        "scope",
        "target",
        "cron",
        "path",
        "version",
        "scaicore_target",
        "ref",
        "lifecycle",
        "item",
        "image",
        "name",
        "timeout",
        "alias",
        "package",
        "$schema",
        "slug",
        "purpose",
        "consumer_mode",
        "modalities",
        "on_timeout",
        "timezone",
        "url",
        "max_iterations",
    ];
    match v {
        Value::String(s) if !STRUCTURAL.contains(&key) && rng.below(3) == 0 => {
            *s = TRICKY[rng.below(TRICKY.len())].to_string();
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scramble(x, rng, key)),
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                scramble(x, rng, k);
            }
        }
        _ => {}
    }
}

/// `per_example` variants of every example, strings scrambled with [`scramble`] from a
/// PRNG seeded with `seed` (the same variants on every run).
#[allow(dead_code)]
pub fn variants(seed: u64, per_example: usize) -> Vec<Value> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for p in examples() {
        let original: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        for _ in 0..per_example {
            let mut doc = original.clone();
            scramble(&mut doc, &mut rng, "");
            out.push(doc);
        }
    }
    out
}

/// The `scaiflow` binary, run from the crate root, with no CI or colour setting inherited
/// from the environment.
#[allow(dead_code)]
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_scaiflow"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("GITHUB_ACTIONS").env_remove("NO_COLOR");
    c
}

/// Runs `cmd`, feeding `stdin` from a thread (the tool may stop reading early; a broken
/// pipe is expected then).
#[allow(dead_code)]
pub fn output_with_stdin(mut cmd: std::process::Command, stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scaiflow");
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("scaiflow runs");
    let _ = writer.join();
    out
}

/// [`bin`] with `args`, `stdin` fed to it.
#[allow(dead_code)]
pub fn run_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut c = bin();
    c.args(args);
    output_with_stdin(c, stdin)
}

/// Runs the `scaiflow` binary with `args` and `--message-format=short`, feeding `stdin`.
#[allow(dead_code)]
pub fn scaiflow_short(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_scaiflow"));
    c.args(args).arg("--message-format=short");
    output_with_stdin(c, stdin)
}

/// The diagnostic records `scaiflow validate --message-format json FILE` prints.
#[allow(dead_code)]
pub fn validate_records(path: &Path) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaiflow"))
        .args(["validate", "--message-format", "json"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r.get("code").is_some())
        .collect()
}

/// A sink that keeps the chunks it is handed (`scaiflow::emit::Sink`).
#[allow(dead_code)]
pub struct Chunks {
    pub size: usize,
    pub taken: Vec<Vec<u8>>,
    pub restarts: usize,
    /// Chunks taken before a restart.
    pub forgotten: usize,
}

#[allow(dead_code)]
impl Chunks {
    pub fn new(size: usize) -> Self {
        Chunks {
            size,
            taken: Vec::new(),
            restarts: 0,
            forgotten: 0,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.taken.concat()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.bytes()).unwrap()
    }

    /// Every chunk but the last holds at least `size` bytes and ends where `cut_here` says
    /// a chunk may end.
    pub fn assert_cut_at(&self, size: usize, cut_here: impl Fn(&[u8]) -> bool) {
        let Some((_, full)) = self.taken.split_last() else {
            panic!("nothing taken");
        };
        for chunk in full {
            assert!(chunk.len() >= size, "a chunk of {} < {size}", chunk.len());
            assert!(
                cut_here(chunk),
                "cut in the wrong place: {:?}",
                String::from_utf8_lossy(&chunk[chunk.len().saturating_sub(40)..])
            );
        }
    }
}

impl scaiflow::emit::Sink for Chunks {
    fn chunk_size(&self) -> usize {
        self.size
    }

    fn take(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.taken.push(bytes);
        Vec::new()
    }

    fn restart(&mut self) {
        self.forgotten += self.taken.len();
        self.taken.clear();
        self.restarts += 1;
    }
}

/// Every example and generated variants (from `seed`) that compile to `format`, compiled
/// into a [`Chunks`] sink in chunks of 1, 64 and 4,096 bytes: the chunks are the artifact
/// `compile_flow` gives, with the same warnings; every chunk but the last holds a chunk's
/// size and ends where `cut_here` allows; a big artifact comes in more than one chunk. The
/// emitter called directly (`scir::encode_into`, `emit::scai::emit_into`) says how many
/// bytes it handed over.
#[allow(dead_code)]
pub fn compiles_in_chunks(
    format: scaiflow::OutputFormat,
    seed: u64,
    cut_here: impl Fn(&[u8]) -> bool,
) {
    use scaiflow::load::SourceFile;
    let mut docs: Vec<Value> = examples()
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    docs.extend(variants(seed, 4));
    let mut compiled = 0;
    for doc in docs {
        let src = SourceFile::new("c.flow.json", doc.to_string());
        let Ok(whole) = scaiflow::compile_flow(&src, format) else {
            continue;
        };
        for size in [1, 64, 4096] {
            let mut chunks = Chunks::new(size);
            let options = scaiflow::CompileOptions::default();
            let warnings = scaiflow::compile_flow_into(&src, format, options, &mut chunks).unwrap();
            assert_eq!(warnings, whole.warnings);
            assert_eq!(chunks.bytes(), whole.bytes, "in chunks of {size}");
            chunks.assert_cut_at(size, &cut_here);
            assert_eq!(chunks.restarts, 0);
            if whole.bytes.len() > 2 * size.max(64) {
                assert!(
                    chunks.taken.len() > 1,
                    "{} bytes in one chunk",
                    whole.bytes.len()
                );
            }
        }
        let a = scaiflow::analyze::analyze_value(&doc).analyzed.unwrap();
        let bodies = scaiflow::lower::structure(&a).unwrap();
        let core = scaiflow::lower::core::lower(&a, &bodies);
        for size in [64, usize::MAX] {
            let mut chunks = Chunks::new(size);
            let written = match format {
                scaiflow::OutputFormat::Ir => {
                    let ir = scaiflow::emit::ir::module(&a, &core);
                    scaiflow::scir::encode_into(&ir, &mut chunks)
                }
                scaiflow::OutputFormat::Scai => {
                    scaiflow::emit::scai::emit_into(&a, &core, &mut chunks)
                }
                scaiflow::OutputFormat::Yaml => {
                    scaiflow::emit::yaml::emit_into(&a, &core, &mut chunks).unwrap()
                }
            };
            assert_eq!(
                chunks.bytes(),
                whole.bytes,
                "emitted directly, in chunks of {size}"
            );
            assert_eq!(
                written,
                whole.bytes.len() as u64,
                "the count of bytes handed over"
            );
        }
        if format == scaiflow::OutputFormat::Scai {
            assert_eq!(
                scaiflow::emit::scai::emit(&a, &core).as_bytes(),
                whole.bytes
            );
        }
        compiled += 1;
    }
    assert!(compiled >= 20, "only {compiled} flows compiled");
}
