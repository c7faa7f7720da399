//! `propcast new NAME`: a new exporter crate on `propcast-sdk` that builds, passes its own
//! tests and runs in the unchanged host as it is — a manifest with one query and one option, a
//! working `run`, a native test, and a fixture case with its expected documents — added to the
//! Cargo workspace the folder is in. The files are written beside the destination and renamed
//! into place, so a failed scaffold leaves nothing half written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

/// What `propcast new` is asked for.
#[derive(Clone, Debug)]
pub(crate) struct NewRequest {
    /// The exporter's name, kebab-case.
    pub(crate) name: String,
    /// The folder the crate goes into, as `<dir>/<name>`.
    pub(crate) dir: PathBuf,
}

/// The files of a new exporter: path in the crate, template.
const TEMPLATES: [(&str, &str); 8] = [
    (
        "Cargo.toml",
        include_str!("../../templates/new-exporter/Cargo.toml.tmpl"),
    ),
    (
        "exporter.toml",
        include_str!("../../templates/new-exporter/exporter.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/new-exporter/lib.rs.tmpl"),
    ),
    (
        "tests/{{crate}}.rs",
        include_str!("../../templates/new-exporter/test.rs.tmpl"),
    ),
    (
        "fixtures/example/case.json",
        include_str!("../../templates/new-exporter/case.json.tmpl"),
    ),
    (
        "fixtures/example/tables/games.json",
        include_str!("../../templates/new-exporter/games.json.tmpl"),
    ),
    (
        "fixtures/example/expected/v1/{{name}}/2024-01-10.json",
        include_str!("../../templates/new-exporter/expected.json.tmpl"),
    ),
    // The alias has the dated document's body.
    (
        "fixtures/example/expected/v1/{{name}}/today.json",
        include_str!("../../templates/new-exporter/expected.json.tmpl"),
    ),
];

/// Rust's keywords, which a crate's library name (the exporter's name with `_`) cannot be.
const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Names a new exporter may not take besides keywords: crates its package name would clash
/// with.
const TAKEN: [&str; 4] = ["serde", "serde-json", "xtask", "host"];

/// `propcast new`: writes the crate and adds it to the workspace.
pub(crate) fn new_exporter(request: &NewRequest) -> anyhow::Result<ExitCode> {
    let name = &request.name;
    check_name(name)?;
    let dir = resolved(&request.dir)
        .with_context(|| format!("failed to read `{}`", request.dir.display()))?;
    let destination = dir.join(name);
    if destination.exists() {
        bail!(
            "`{}` already exists; nothing was written",
            destination.display()
        );
    }
    let workspace = Workspace::above(&dir)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let member = destination
        .strip_prefix(&workspace.root)
        .expect("the crate is under the workspace's folder")
        .to_string_lossy()
        .replace('\\', "/");

    // Hidden, so a crash's leftover is no exporter to `cargo xtask plugins` or the tests.
    let staging = dir.join(format!(".{name}.new-{}", std::process::id()));
    let written = write_crate(&staging, name).and_then(|()| {
        std::fs::rename(&staging, &destination)
            .with_context(|| format!("failed to move the crate to `{}`", destination.display()))
    });
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    let workspace_manifest = workspace.manifest.clone();
    if let Err(error) = workspace.add_member(&member) {
        let _ = std::fs::remove_dir_all(&destination);
        return Err(error.context("nothing was created"));
    }
    let crate_name = name.replace('-', "_");
    println!(
        "created exporter `{name}` in `{}` and added `{member}` to the workspace's members \
         (`{}`):",
        destination.display(),
        workspace_manifest.display()
    );
    println!("  exporter.toml          its manifest: outputs, one option, one query");
    println!("  src/lib.rs             its run");
    println!("  tests/{crate_name}.rs  a native test: cargo test -p {name}");
    println!("  fixtures/example/      a fixture case with the documents it must produce");
    println!("next:");
    println!("  cargo test -p {name}");
    println!(
        "  cargo build --target wasm32-wasip2 --release -p {name}   (here: cargo xtask plugins)"
    );
    println!("  propcast test target/wasm32-wasip2/release/{crate_name}.wasm");
    println!("  propcast run --date 2024-01-10 --only {name} --min-points 30 --plugins DIR");
    Ok(ExitCode::SUCCESS)
}

/// `path` absolute, with links and `..` resolved as far as it exists (its last folders may not
/// exist yet).
fn resolved(path: &Path) -> anyhow::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    while !existing.exists() {
        let (Some(part), Some(parent)) = (existing.file_name(), existing.parent()) else {
            bail!("`{}` has a `..` past what exists", path.display());
        };
        missing.push(part);
        existing = parent;
    }
    let mut resolved = existing.canonicalize()?;
    resolved.extend(missing.iter().rev());
    Ok(resolved)
}

/// An exporter's name: kebab-case from a letter, not one of the workspace's own crates.
fn check_name(name: &str) -> anyhow::Result<()> {
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    if !propcast_manifest::is_kebab(name) || !starts_with_letter || name.contains("--") {
        bail!(
            "`{name}` is not an exporter name: use lowercase letters, digits and single dashes, \
             from a letter, e.g. `top-scorers`"
        );
    }
    if KEYWORDS.contains(&name.replace('-', "_").as_str())
        || TAKEN.contains(&name)
        || name.starts_with("propcast")
    {
        bail!(
            "`{name}` is a Rust keyword or the name of a crate the exporter's would clash \
             with; choose another name"
        );
    }
    Ok(())
}

/// Writes the crate's files into `dir`.
fn write_crate(dir: &Path, name: &str) -> anyhow::Result<()> {
    let crate_name = name.replace('-', "_");
    // `TopScorersExporter`: suffixed so no name can clash with the SDK's or the template's types.
    let type_name: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .chain(["Exporter".to_string()])
        .collect();
    let fill = |text: &str| {
        text.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{Type}}", &type_name)
    };
    for (path, template) in TEMPLATES {
        let (path, text) = (fill(path), fill(template));
        let path = dir.join(path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("failed to create `{}`", folder.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    Ok(())
}

/// The Cargo workspace a new crate joins.
struct Workspace {
    root: PathBuf,
    manifest: PathBuf,
    document: toml_edit::DocumentMut,
}

impl Workspace {
    /// The nearest workspace at or above `dir` whose `[workspace.dependencies]` has what the
    /// new crate inherits (`propcast-sdk`, `serde`, `serde_json`).
    fn above(dir: &Path) -> anyhow::Result<Workspace> {
        for folder in dir.ancestors() {
            let manifest = folder.join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            let document: toml_edit::DocumentMut = text
                .parse()
                .with_context(|| format!("`{}` is not valid TOML", manifest.display()))?;
            let Some(workspace) = document.get("workspace") else {
                continue;
            };
            let inherited = workspace.get("dependencies");
            let missing: Vec<&str> = ["propcast-sdk", "serde", "serde_json"]
                .into_iter()
                .filter(|dep| inherited.and_then(|d| d.get(dep)).is_none())
                .collect();
            if !missing.is_empty() {
                bail!(
                    "the workspace `{}` does not list {} under [workspace.dependencies], which \
                     the new crate inherits; add them (propcast-sdk by path or git) and run \
                     `propcast new` again",
                    manifest.display(),
                    missing.join(", ")
                );
            }
            return Ok(Workspace {
                root: folder.to_path_buf(),
                manifest,
                document,
            });
        }
        bail!(
            "`{}` is not in a Cargo workspace; `propcast new` adds the exporter to one (like \
             this repository's), whose [workspace.dependencies] give it propcast-sdk",
            dir.display()
        )
    }

    /// Adds `member` to `[workspace] members` (unless a glob there covers it) and saves.
    fn add_member(mut self, member: &str) -> anyhow::Result<()> {
        let members = self.document["workspace"]
            .get_mut("members")
            .and_then(|m| m.as_array_mut());
        let Some(members) = members else {
            bail!(
                "`{}` has no `members` list under [workspace]; add `{member}` to it",
                self.manifest.display()
            );
        };
        let covered = members.iter().filter_map(|m| m.as_str()).any(|existing| {
            existing == member
                || existing
                    .strip_suffix("/*")
                    .is_some_and(|parent| member.rsplit_once('/').map(|(p, _)| p) == Some(parent))
        });
        if !covered {
            members.push(member);
            if let Some(last) = members.iter_mut().last() {
                last.decor_mut().set_prefix("\n    ");
            }
            members.set_trailing(",\n");
            members.set_trailing_comma(false);
        }
        crate::files::replace_file(&self.manifest, self.document.to_string().as_bytes())
            .with_context(|| format!("failed to write `{}`", self.manifest.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_kebab_case_from_a_letter_and_free() {
        assert!(check_name("top-scorers").is_ok());
        for bad in ["Top", "1st", "a--b", "-a", "a_b", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for taken in ["type", "propcast-sdk", "serde"] {
            assert!(
                check_name(taken)
                    .unwrap_err()
                    .to_string()
                    .contains("keyword"),
                "{taken}"
            );
        }
        assert!(
            check_name("exporter").is_ok(),
            "its type is `ExporterExporter`"
        );
    }

    #[test]
    fn a_member_is_added_once_and_a_glob_covers_it() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let text = "[workspace]\nmembers = [\n    \"host\",\n]\n\n[workspace.dependencies]\n\
                    propcast-sdk = { path = \"sdk\" }\nserde = \"1\"\nserde_json = \"1\"\n";
        std::fs::write(&manifest, text).unwrap();
        Workspace::above(dir.path())
            .unwrap()
            .add_member("plugins/top")
            .unwrap();
        let written = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            written
                .starts_with("[workspace]\nmembers = [\n    \"host\",\n    \"plugins/top\",\n]\n"),
            "{written}"
        );
        Workspace::above(dir.path())
            .unwrap()
            .add_member("plugins/top")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), written);

        std::fs::write(&manifest, text.replace("\"host\"", "\"plugins/*\"")).unwrap();
        Workspace::above(dir.path())
            .unwrap()
            .add_member("plugins/top")
            .unwrap();
        assert!(
            !std::fs::read_to_string(&manifest)
                .unwrap()
                .contains("plugins/top")
        );
    }

    #[test]
    fn a_folder_is_resolved_as_far_as_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("a")).unwrap();
        assert_eq!(
            resolved(&real.join("a/../b/c")).unwrap(),
            real.join("b/c"),
            "`..` through an existing folder"
        );
        assert!(resolved(&real.join("x/..")).is_err());
    }

    #[test]
    fn a_workspace_without_the_sdk_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        let err = Workspace::above(dir.path()).err().unwrap().to_string();
        assert!(
            err.contains(
                "does not list propcast-sdk, serde, serde_json under [workspace.dependencies]"
            ),
            "{err}"
        );
    }
}
