//! `docs/codes.md` is the registry's text: the page each editor diagnostic links to
//! (`codeDescription`), so it must list every code with its current explanation.

use std::path::Path;

#[test]
fn docs_codes_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/codes.md");
    let want = scaiflow::diagnostics::render::codes_page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/codes.md is stale: run `UPDATE_DOCS=1 cargo test --test codes_page`"
    );
    for info in scaiflow::diagnostics::codes::ALL {
        assert!(
            have.contains(&format!("\n## {}\n", info.code)),
            "{}",
            info.code
        );
    }
}
