//! What a published path may look like: a document's, and an output an exporter declares. One
//! rule for the SDK (at build time), the host (at load and for every document) and the stores:
//! conservative enough that every file system, bucket, URL and terminal shows it as written.
//!
//! A path is relative, of `/`-separated segments; a segment is ASCII letters, digits, `-`, `_`
//! and `.`, not empty, `.` or `..`, at most [`MAX_SEGMENT_BYTES`] long; at most [`MAX_DEPTH`]
//! segments and [`MAX_PATH_BYTES`] in all. That leaves out look-alike letters, bidirectional
//! controls, spaces, `%` and `?` by construction.

/// The longest segment (file or folder name), as most file systems allow.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// The most segments in a path.
pub const MAX_DEPTH: usize = 16;

/// The longest path.
pub const MAX_PATH_BYTES: usize = 1024;

/// Checks `path` (a file path, or a folder path ending in `/`) against the rule above; the
/// error names the path (escaped) and what is wrong.
pub fn check(path: &str) -> Result<(), String> {
    let shown = path.escape_debug();
    if path.is_empty() {
        return Err("a path is empty".into());
    }
    if path.starts_with('/') {
        return Err(format!("`{shown}` is an absolute path"));
    }
    if let Some(c) = path.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "`{shown}` contains `{}`; a path may hold only ASCII letters, digits, `-`, `_`, `.` \
             and `/`",
            c.escape_debug()
        ));
    }
    let segments: Vec<&str> = path.strip_suffix('/').unwrap_or(path).split('/').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(format!("`{shown}` has an empty, `.` or `..` segment"));
    }
    if let Some(long) = segments.iter().find(|s| s.len() > MAX_SEGMENT_BYTES) {
        return Err(format!(
            "`{shown}` has a name of {} bytes, more than {MAX_SEGMENT_BYTES}",
            long.len()
        ));
    }
    if segments.len() > MAX_DEPTH {
        return Err(format!(
            "`{shown}` is {} folders deep, more than {MAX_DEPTH}",
            segments.len()
        ));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "`{shown}` is {} bytes long, more than {MAX_PATH_BYTES}",
            path.len()
        ));
    }
    Ok(())
}

/// The folder that holds the host's own records (run manifests), beside the documents.
pub const RUNS_FOLDER: &str = "runs/";

/// Checks a declared output: a path by [`check`], a folder ending in `/` or a `.json` file,
/// and none of the host's: no name starting with `.`, not under [`RUNS_FOLDER`] in any case
/// (a store may not tell `Runs/` from `runs/`).
pub fn check_output(output: &str) -> Result<(), String> {
    check(output).map_err(|problem| format!("output {problem}"))?;
    if !(output.ends_with('/') || output.ends_with(".json")) {
        return Err(format!(
            "output `{output}` must be a folder ending in `/` or a `.json` file path"
        ));
    }
    let runs = RUNS_FOLDER.trim_end_matches('/');
    let reserved_folder = output
        .split('/')
        .next()
        .is_some_and(|first| first.eq_ignore_ascii_case(runs));
    if reserved_folder || output.split('/').any(|s| s.starts_with('.')) {
        return Err(format!(
            "output `{output}` is reserved: names starting with `.` and the folder \
             `{RUNS_FOLDER}` hold the host's own records"
        ));
    }
    Ok(())
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_pass() {
        for path in [
            "v1/streaks/2024-01-10.json",
            "v1/tonight/player/",
            "v1/players/LeBron_James.v2.json",
        ] {
            assert_eq!(check(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn outputs_are_folders_or_json_files_and_not_the_host_s() {
        assert_eq!(check_output("v1/streaks/"), Ok(()));
        assert_eq!(check_output("v1/tonight/all-players.json"), Ok(()));
        assert_eq!(check_output("runsheet/"), Ok(()));
        for output in ["runs/", "Runs/2024-01-10/", "v1/.hidden/"] {
            assert!(
                check_output(output).unwrap_err().contains("is reserved"),
                "{output}"
            );
        }
        assert_eq!(
            check_output("v1/x.txt").unwrap_err(),
            "output `v1/x.txt` must be a folder ending in `/` or a `.json` file path"
        );
        assert!(
            check_output("/v1/")
                .unwrap_err()
                .starts_with("output `/v1/` is an absolute")
        );
    }

    #[test]
    fn everything_else_is_named() {
        let long = "a".repeat(256);
        let deep = "a/".repeat(17);
        let cases = [
            ("", "a path is empty".to_string()),
            ("/etc/x.json", "`/etc/x.json` is an absolute path".into()),
            ("v1/../x.json", "`v1/../x.json` has an empty, `.` or `..` segment".into()),
            ("v1//x.json", "`v1//x.json` has an empty, `.` or `..` segment".into()),
            (
                "v1\\x.json",
                "`v1\\\\x.json` contains `\\\\`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`".into(),
            ),
            ("v1/a\n.json", "`v1/a\\n.json` contains `\\n`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`".into()),
            // A Cyrillic `а` that looks like a Latin one, and a right-to-left override.
            ("v1/\u{430}.json", "`v1/\u{430}.json` contains `\u{430}`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`".into()),
            ("v1/\u{202e}nosj.exe", "`v1/\\u{202e}nosj.exe` contains `\\u{202e}`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`".into()),
            ("v1/a b.json", "`v1/a b.json` contains ` `; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`".into()),
            (&long, format!("`{long}` has a name of 256 bytes, more than 255")),
            (&deep, format!("`{deep}` is 17 folders deep, more than 16")),
        ];
        for (path, expected) in cases {
            assert_eq!(check(path).unwrap_err(), expected, "{path:?}");
        }
        let long_path = format!(
            "{}x.json",
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk/".repeat(16)
        );
        assert!(check(&long_path).is_err());
    }
}
