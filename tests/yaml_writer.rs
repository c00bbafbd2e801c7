//! The manifest text of the YAML writer (`emit::yaml::writer`) against serde-saphyr's
//! (its oracle, and `emit`'s fallback): byte-identical for every flow under `examples/` and
//! `fixtures/` that compiles, and for scrambled variants of the examples (hostile strings in
//! labels, templates, goals, metadata).

mod common;

use common::Chunks;

use std::path::{Path, PathBuf};

use scaiflow::analyze::analyze_value;
use scaiflow::emit::yaml::{emit, emit_into, emit_with_saphyr, writer_covers};
use scaiflow::lower::{core::lower, structure};
use serde_json::{Value, json};

/// Both texts of a flow that compiles (None when it does not), and whether the writer
/// wrote it itself. The writer's text is also written in chunks (`emit_into`), which must
/// give the same text.
fn both(doc: &Value) -> Option<(String, String, bool)> {
    let a = analyze_value(doc).analyzed?;
    let bodies = structure(&a).ok()?;
    let core = lower(&a, &bodies);
    let ours = emit(&a, &core).expect("emit");
    let saphyr = emit_with_saphyr(&a, &core).expect("serde-saphyr");
    let covered = writer_covers(&a, &core);
    for size in [1, 64, 4096] {
        let mut chunks = Chunks::new(size);
        let written = emit_into(&a, &core, &mut chunks).expect("emit_into");
        assert_eq!(chunks.text(), ours, "in chunks of {size}");
        assert_eq!(written, ours.len() as u64);
        // Declining restarts once and writes serde-saphyr's text whole; in chunks of one
        // byte, after the writer had handed over part of its own.
        assert_eq!(chunks.restarts, usize::from(!covered));
        if covered {
            assert_eq!(chunks.forgotten, 0);
        } else if size == 1 {
            assert!(chunks.forgotten > 0, "declined before writing anything");
        }
        if covered {
            // Cut where a sequence element starts: after a line, an indentation, a dash or
            // a key's colon.
            chunks.assert_cut_at(size, |c| {
                c.ends_with(b"\n") || c.ends_with(b" ") || c.ends_with(b":")
            });
        }
    }
    Some((ours, saphyr, covered))
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn examples_and_fixtures_are_byte_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    json_files(&root.join("examples"), &mut files);
    json_files(&root.join("fixtures"), &mut files);
    files.sort();
    let mut compiled = 0;
    for p in &files {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some((ours, saphyr, covered)) = both(&doc) else {
            continue;
        };
        assert!(covered, "{}: the writer declined", p.display());
        assert_eq!(ours, saphyr, "{}", p.display());
        compiled += 1;
    }
    assert!(compiled >= 10, "only {compiled} flows compiled");
}

#[test]
fn scrambled_examples_are_byte_identical() {
    let mut compiled = 0;
    for doc in common::variants(0x59A1_0001, 40) {
        if let Some((ours, saphyr, covered)) = both(&doc) {
            assert!(covered, "the writer declined");
            assert_eq!(ours, saphyr);
            compiled += 1;
        }
    }
    assert!(compiled >= 100, "only {compiled} variants compiled");
}

#[test]
fn falls_back_to_serde_saphyr_where_it_declines() {
    // A node config key of 1100 characters: serde-saphyr writes it as an explicit `? key`,
    // which the writer leaves to it.
    let examples = common::examples();
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&examples[0]).unwrap()).unwrap();
    let node = doc["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|n| n["config"].is_object())
        .expect("a node with a config");
    node["config"]
        .as_object_mut()
        .unwrap()
        .insert("k".repeat(1100), json!("long key"));
    let (ours, saphyr, covered) = both(&doc).expect("still compiles");
    assert!(!covered, "the writer should decline a 1100-character key");
    assert_eq!(ours, saphyr);
    assert!(ours.contains(&format!("? {}\n", "k".repeat(1100))));
}
