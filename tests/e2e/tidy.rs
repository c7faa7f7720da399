//! House rules that are cheap to check: every Rust file opens with a `//!` paragraph saying what
//! it owns, and the host never depends on a plugin crate.

use std::path::{Path, PathBuf};

use propcast_e2e::root;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            rust_files(&path, found);
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    for dir in ["host", "plugins", "tests", "xtask"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 30, "found only {} files", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` module doc: {missing:#?}"
    );
}

#[test]
fn the_host_depends_on_no_plugin_crate() {
    // The host shares only the WIT with exporters, and the rules both follow
    // (`propcast-manifest`, `propcast-rules`) with the SDK; never an exporter, the SDK or its
    // macros.
    let manifest = std::fs::read_to_string(root().join("host/Cargo.toml")).unwrap();
    let mut forbidden = vec![
        "propcast-sdk".to_string(),
        "propcast-sdk-macros".to_string(),
    ];
    for plugin in std::fs::read_dir(root().join("plugins")).unwrap() {
        let path = plugin.unwrap().path();
        if path.join("exporter.toml").is_file() {
            forbidden.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(forbidden.len() > 7, "{forbidden:?}");
    for crate_name in forbidden {
        assert!(
            !manifest
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{crate_name} "))
                    || l.trim_start().starts_with(&format!("{crate_name}="))),
            "host/Cargo.toml depends on `{crate_name}`"
        );
    }
}
