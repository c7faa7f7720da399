//! Small file rules more than one stage needs, written once: replacing a file in one step, and
//! naming bytes by their SHA-256.
//!
//! The local publisher replaces documents with [`replace_file`] so a reader of the folder never
//! sees a missing or half-written file; the compile cache writes its entries the same way so a
//! reader never loads half of one.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use sha2::Digest as _;

/// Replaces `path` with `bytes` in one step: the bytes are written beside it under a hidden
/// temporary name (`.<name>.<pid>-<n>.tmp`, unique among the process's threads too), which is
/// then renamed over it. The folder is created
/// when missing; on failure the temporary file is removed and `path` is as it was.
pub(crate) fn replace_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    replace_file_with(path, bytes, |_| Ok(()))
}

/// [`replace_file`], calling `prepare` on the written temporary file before it is renamed into
/// place (to give it extended attributes, which then arrive with the bytes in the same step).
pub(crate) fn replace_file_with(
    path: &Path,
    bytes: &[u8],
    prepare: impl FnOnce(&std::fs::File) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the folder `{}`", dir.display()))?;
    let name = path
        .file_name()
        .expect("a file path has a name")
        .to_string_lossy();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        prepare(&file)
    });
    written
        .with_context(|| format!("failed to write `{}`", temp.display()))
        .and_then(|()| {
            std::fs::rename(&temp, path)
                .with_context(|| format!("failed to move a file into `{}`", path.display()))
        })
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/x.json");
        replace_file(&path, b"[1]").unwrap();
        replace_file(&path, b"[2]").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"[2]");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
        // A folder where the file should be: the rename fails and nothing is left behind.
        std::fs::create_dir(dir.path().join("a/b/y.json")).unwrap();
        assert!(replace_file(&dir.path().join("a/b/y.json"), b"{}").is_err());
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            2
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
