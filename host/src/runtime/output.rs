//! The publishing rules every document must pass before anything of a run is published: valid
//! UTF-8 JSON, a clean relative `.json` path under one of the exporter's declared prefixes, and
//! no path written twice. Problems are collected, not stopped at, so the user sees them all.

use std::collections::{HashMap, HashSet};

use super::bindings::wit;
use super::invoke::RunError;
use super::limits::{LimitBreach, LimitKind, Limits, bytes};
use crate::data::{Document, DocumentKind, Manifest};

/// Checks and converts a run's documents, ordered for publishing: dated, then current, then
/// aliases, each group in the order the exporter returned it. The size limits come first: a
/// run past them is a limit breach, not a list of problems.
pub(crate) fn check(
    manifest: &Manifest,
    documents: Vec<wit::Document>,
    limits: &Limits,
) -> Result<Vec<Document>, RunError> {
    check_sizes(&documents, limits).map_err(RunError::Limit)?;
    check_rules(manifest, documents).map_err(|problems| RunError::BadOutput { problems })
}

fn check_sizes(documents: &[wit::Document], limits: &Limits) -> Result<(), LimitBreach> {
    if documents.len() > limits.documents {
        let used = format!("it returned {}", documents.len());
        return Err(LimitBreach::new(
            LimitKind::Documents,
            format!("{} documents", limits.documents),
            used,
        ));
    }
    if let Some(big) = documents
        .iter()
        .find(|d| d.body.len() > limits.document_size)
    {
        let used = format!(
            "`{}` is {}",
            big.path.escape_debug(),
            bytes(big.body.len() as u64)
        );
        return Err(LimitBreach::new(
            LimitKind::DocumentSize,
            bytes(limits.document_size as u64),
            used,
        ));
    }
    let total: usize = documents.iter().map(|d| d.body.len()).sum();
    if total > limits.output {
        let used = format!("its documents add up to {}", bytes(total as u64));
        return Err(LimitBreach::new(
            LimitKind::Output,
            bytes(limits.output as u64),
            used,
        ));
    }
    Ok(())
}

fn check_rules(
    manifest: &Manifest,
    documents: Vec<wit::Document>,
) -> Result<Vec<Document>, Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    // Lowercased, with the path first seen: a store or reader that ignores case would see one.
    let mut folded: HashMap<String, String> = HashMap::new();
    let mut checked = Vec::with_capacity(documents.len());
    for doc in documents {
        if let Err(problem) = check_path(&doc.path, &manifest.outputs) {
            problems.push(problem);
            continue;
        }
        if !seen.insert(doc.path.clone()) {
            problems.push(format!("`{}` is written twice", doc.path));
            continue;
        }
        if let Some(first) = folded.insert(doc.path.to_ascii_lowercase(), doc.path.clone()) {
            problems.push(format!("`{first}` and `{}` differ only in case", doc.path));
            continue;
        }
        if let Err(problem) = check_body(&doc.body) {
            problems.push(format!("`{}` {problem}", doc.path));
            continue;
        }
        checked.push(Document {
            path: doc.path,
            body: doc.body,
            kind: match doc.kind {
                wit::DocumentKind::Dated => DocumentKind::Dated,
                wit::DocumentKind::Current => DocumentKind::Current,
                wit::DocumentKind::Alias => DocumentKind::Alias,
            },
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    checked.sort_by_key(|d| d.kind);
    Ok(checked)
}

/// A path follows the path rule (`propcast_manifest::paths`), ends in `.json`, and lies under a
/// declared output folder or is a declared output file.
fn check_path(path: &str, prefixes: &[String]) -> Result<(), String> {
    if path.is_empty() {
        return Err("a document has an empty path".into());
    }
    propcast_manifest::paths::check(path)?;
    if !path.ends_with(".json") {
        return Err(format!("`{path}` does not end in `.json`"));
    }
    // A folder output covers everything under it; a file output only that file.
    let covers = |output: &String| {
        if output.ends_with('/') {
            path.starts_with(output.as_str())
        } else {
            path == output
        }
    };
    if !prefixes.iter().any(covers) {
        return Err(format!(
            "`{path}` is outside the exporter's declared outputs ({})",
            prefixes.join(", ")
        ));
    }
    Ok(())
}

fn check_body(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("is not UTF-8: {e}"))?;
    super::strict_json::check(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> Vec<String> {
        vec!["v1/streaks/".to_string()]
    }

    #[test]
    fn accepts_a_clean_path_under_a_prefix() {
        assert_eq!(
            check_path("v1/streaks/2024-01-10.json", &prefixes()),
            Ok(())
        );
    }

    #[test]
    fn a_file_output_allows_that_file_only() {
        let outputs = vec!["v1/tonight/all-players.json".to_string()];
        assert_eq!(check_path("v1/tonight/all-players.json", &outputs), Ok(()));
        for path in [
            "v1/tonight/all-players.json.json",
            "v1/tonight/all-players.json/x.json",
            "v1/tonight/x.json",
        ] {
            assert!(check_path(path, &outputs).is_err(), "{path}");
        }
    }

    #[test]
    fn rejects_escapes_and_odd_paths() {
        let cases = [
            ("", "a document has an empty path"),
            (
                "/v1/streaks/a.json",
                "`/v1/streaks/a.json` is an absolute path",
            ),
            (
                "v1/streaks/../../etc/passwd.json",
                "`v1/streaks/../../etc/passwd.json` has an empty, `.` or `..` segment",
            ),
            (
                "v1/streaks//a.json",
                "`v1/streaks//a.json` has an empty, `.` or `..` segment",
            ),
            (
                "v1\\streaks\\a.json",
                "`v1\\\\streaks\\\\a.json` contains `\\\\`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`",
            ),
            (
                "v1/streaks/a\n.json",
                "`v1/streaks/a\\n.json` contains `\\n`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`",
            ),
            (
                "v1/streaks/a.txt",
                "`v1/streaks/a.txt` does not end in `.json`",
            ),
            (
                "v1/players/a.json",
                "`v1/players/a.json` is outside the exporter's declared outputs (v1/streaks/)",
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(
                check_path(path, &prefixes()).unwrap_err(),
                expected,
                "{path:?}"
            );
        }
    }

    #[test]
    fn size_limits_come_before_the_rules() {
        let doc = |path: &str, size: usize| wit::Document {
            path: path.into(),
            body: vec![b' '; size],
            kind: wit::DocumentKind::Dated,
        };
        let limits = Limits {
            documents: 2,
            document_size: 10,
            output: 15,
            ..Limits::default()
        };
        let breach =
            |docs: Vec<wit::Document>| check_sizes(&docs, &limits).unwrap_err().to_string();
        assert_eq!(
            breach(vec![doc("a", 1), doc("b", 1), doc("c", 1)]),
            "it went past its document count limit of 2 documents: it returned 3"
        );
        assert_eq!(
            breach(vec![doc("../a", 11)]),
            "it went past its document size limit of 10 B: `../a` is 11 B"
        );
        assert_eq!(
            breach(vec![doc("a", 8), doc("b", 8)]),
            "it went past its total output limit of 15 B: its documents add up to 16 B"
        );
    }

    #[test]
    fn rejects_invalid_bodies() {
        assert!(check_body(b"{\"a\":1}").is_ok());
        assert!(
            check_body(b"{\"a\":")
                .unwrap_err()
                .starts_with("is not valid JSON")
        );
        assert!(
            check_body(&[0xff, 0xfe])
                .unwrap_err()
                .starts_with("is not UTF-8")
        );
    }

    mod properties {
        //! Property tests of what parses untrusted exporter output: paths and bodies built from
        //! hostile pieces never panic the checks, and whatever passes is confined and valid.
        //! `PROPTEST_CASES=200000 cargo test --release -p propcast properties` runs them longer;
        //! docs/sandbox.md records such a run.

        use proptest::prelude::*;

        use super::*;

        /// Path pieces chosen to probe the rules: traversal, separators, encodings, controls.
        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("v1".to_string()),
                Just("streaks".to_string()),
                Just("today.json".to_string()),
                Just("tonight".to_string()),
                Just("all-players.json".to_string()),
                Just("all-players.json.json".to_string()),
                Just("..".to_string()),
                Just(".".to_string()),
                Just(String::new()),
                Just("\\".to_string()),
                Just("%2e%2e".to_string()),
                Just("a\u{0}b.json".to_string()),
                Just("é.json".to_string()),
                Just("x.JSON".to_string()),
                "[a-z0-9._-]{1,8}",
                any::<String>(),
            ]
        }

        fn path() -> impl Strategy<Value = String> {
            (any::<bool>(), prop::collection::vec(piece(), 0..7)).prop_map(|(absolute, pieces)| {
                let joined = pieces.join("/");
                if absolute {
                    format!("/{joined}")
                } else {
                    joined
                }
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            #[test]
            fn an_accepted_path_is_confined_to_a_declared_output(path in path()) {
                let outputs = vec!["v1/streaks/".to_string(), "v1/tonight/all-players.json".to_string()];
                if check_path(&path, &outputs).is_ok() {
                    prop_assert!(!path.starts_with('/'));
                    prop_assert!(!path.contains('\\'));
                    prop_assert!(!path.chars().any(char::is_control));
                    prop_assert!(path.ends_with(".json"));
                    prop_assert!(path.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
                    prop_assert!(path.starts_with("v1/streaks/") || path == "v1/tonight/all-players.json");
                }
            }

            #[test]
            fn plain_paths_under_a_prefix_are_accepted(segments in prop::collection::vec("[a-z0-9_-]{1,12}", 1..5)) {
                let path = format!("v1/streaks/{}.json", segments.join("/"));
                prop_assert_eq!(check_path(&path, &prefixes()), Ok(()));
            }

            #[test]
            fn an_accepted_body_is_utf8_json(body in prop::collection::vec(any::<u8>(), 0..256)) {
                if check_body(&body).is_ok() {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
                }
            }

            #[test]
            fn any_serialized_value_is_an_accepted_body(text in any::<String>(), n in any::<i64>(), x in -1e12f64..1e12) {
                let body = serde_json::to_vec(&serde_json::json!({"text": text, "n": n, "x": x, "list": [text, n]})).unwrap();
                prop_assert_eq!(check_body(&body), Ok(()));
            }

            #[test]
            fn checking_whole_runs_never_panics(paths in prop::collection::vec(path(), 0..6), bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..32), 6)) {
                let manifest = Manifest {
                    name: "p".into(),
                    version: "0".into(),
                    description: String::new(),
                    queries: Vec::new(),
                    params: Vec::new(),
                    outputs: prefixes(),
                    replaced_sets: Vec::new(),
                };
                let documents: Vec<wit::Document> = paths
                    .iter()
                    .zip(&bodies)
                    .map(|(path, body)| wit::Document { path: path.clone(), body: body.clone(), kind: wit::DocumentKind::Current })
                    .collect();
                if let Ok(checked) = check(&manifest, documents, &Limits::default()) {
                    let mut seen = HashSet::new();
                    for doc in &checked {
                        prop_assert!(check_path(&doc.path, &manifest.outputs).is_ok());
                        prop_assert!(seen.insert(doc.path.clone()), "a path twice");
                    }
                }
            }
        }
    }
}
