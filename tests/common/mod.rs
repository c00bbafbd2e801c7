//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

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
