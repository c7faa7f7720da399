//! Turns a `.wasm` file into a ready [`Exporter`]: compile it, check it is a component built for
//! a contract version this host accepts, pre-instantiate it, and read and check its manifest.
//!
//! Every failure is a [`LoadError`] naming the file, so one bad plugin never stops the others.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use propcast_manifest::bounds;
use wasmtime::component::{Component, types::ComponentItem};

use super::Runtime;
use super::bindings::{self, ExporterPre, wit};
use super::cache::{CacheOutcome, Described};
use super::invoke::RunError;
use super::limits::{Limits, bytes as size_text};
use super::state::HostState;
use crate::data::{self, Manifest, Param, ParamType, Query};

/// The contract versions this host accepts: `0.3.x`.
const ACCEPTED_MAJOR_MINOR: (u64, u64) = (0, 3);
/// The version this host was built with.
const HOST_VERSION: &str = "0.3.0";
/// Parameters the host binds for every query; exporters may not declare options with these names.
pub(crate) const BUILTIN_PARAMS: [&str; 3] = ["date", "season", "season-start"];

/// A loaded plugin, ready to run.
pub(crate) struct Exporter {
    pub(crate) file: PathBuf,
    pub(crate) manifest: Manifest,
    /// The contract version it was built for, e.g. `0.3.0`.
    pub(crate) contract_version: String,
    /// How long compiling (or loading from the cache) and describing it took.
    pub(crate) load_time: Duration,
    /// Whether it came from the compile cache.
    pub(crate) cache: CacheOutcome,
    /// SHA-256 of the file, in hex: which build ran, for the run manifest.
    pub(crate) sha256: String,
    pub(crate) pre: ExporterPre<HostState>,
}

/// A plugin file as `propcast describe` shows it, whether or not it loads.
pub(crate) struct Surface {
    pub(crate) size: u64,
    /// SHA-256 of the file, in hex.
    pub(crate) sha256: String,
    /// What it imports and exports, as `name (kind)`.
    pub(crate) imports: Vec<String>,
    pub(crate) exports: Vec<String>,
    /// The contract versions this host accepts, e.g. `propcast:exporter@0.3.x`.
    pub(crate) accepted: String,
    pub(crate) contract: Contract,
}

/// Whether a plugin file was built for a contract this host accepts.
pub(crate) enum Contract {
    /// It was, for this version; the exporter loaded from it, or why it does not load.
    Accepted {
        version: String,
        exporter: Box<anyhow::Result<Exporter>>,
    },
    /// It was not: why, with what to do.
    Refused(anyhow::Error),
}

/// A plugin file compiled.
struct Compiled {
    size: u64,
    sha256: String,
    component: Component,
    cache: CacheOutcome,
}

/// The contract versions this host accepts, e.g. `propcast:exporter@0.3.x`.
fn accepted_contracts() -> String {
    let (major, minor) = ACCEPTED_MAJOR_MINOR;
    format!("{}@{major}.{minor}.x", bindings::PACKAGE)
}

/// What kind of item an import or export is.
fn kind(item: &ComponentItem) -> &'static str {
    match item {
        ComponentItem::ComponentFunc(_) => "function",
        ComponentItem::CoreFunc(_) => "core function",
        ComponentItem::Module(_) => "module",
        ComponentItem::Component(_) => "component",
        ComponentItem::ComponentInstance(_) => "instance",
        ComponentItem::Type(_) => "type",
        ComponentItem::Resource(_) => "resource",
    }
}

/// A plugin file that could not be loaded.
#[derive(Debug)]
pub(crate) struct LoadError {
    pub(crate) file: PathBuf,
    pub(crate) error: anyhow::Error,
}

impl Runtime {
    /// Loads every `*.wasm` file in `dir`, in name order. Plugins that clash (one exporter
    /// name, or overlapping outputs) are all refused with a [`Clash`].
    pub(crate) fn load_dir(&self, dir: &Path) -> anyhow::Result<(Vec<Exporter>, Vec<LoadError>)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("failed to read the plugin folder `{}`", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wasm") && path.is_file())
            .collect();
        files.sort();
        Ok(self.load_files(files))
    }

    /// Loads `files` in order. Plugins that clash (one exporter name, or overlapping outputs)
    /// are all refused with a [`Clash`]: which of them is the real one cannot be told, so none
    /// wins by sorting first.
    pub(crate) fn load_files(&self, files: Vec<PathBuf>) -> (Vec<Exporter>, Vec<LoadError>) {
        let mut loaded: Vec<Exporter> = Vec::new();
        let mut failed = Vec::new();
        for file in files {
            match self.load_file(&file) {
                Ok(exporter) => loaded.push(exporter),
                Err(error) => failed.push(LoadError { file, error }),
            }
        }
        let mut clashes: Vec<Option<String>> = vec![None; loaded.len()];
        for (i, a) in loaded.iter().enumerate() {
            for (j, b) in loaded.iter().enumerate().skip(i + 1) {
                if let Some(reason) = clash(a, b) {
                    clashes[i].get_or_insert_with(|| reason.clone());
                    clashes[j].get_or_insert(reason);
                }
            }
        }
        let mut kept = Vec::with_capacity(loaded.len());
        for (exporter, clash) in loaded.into_iter().zip(clashes) {
            match clash {
                Some(reason) => failed.push(LoadError {
                    file: exporter.file,
                    error: Clash { reason }.into(),
                }),
                None => kept.push(exporter),
            }
        }
        failed.sort_by(|a, b| a.file.cmp(&b.file));
        (kept, failed)
    }

    /// Loads one plugin file.
    pub(crate) fn load_file(&self, file: &Path) -> anyhow::Result<Exporter> {
        let started = Instant::now();
        let compiled = self.compile_file(file)?;
        let contract_version = self.check_contract(&compiled.component)?;
        self.load_compiled(file, compiled, contract_version, started)
    }

    /// The exporter `compiled` (from `file`, whose loading began at `started`), built for
    /// `contract_version` as checked: pre-instantiated and its manifest read.
    fn load_compiled(
        &self,
        file: &Path,
        compiled: Compiled,
        contract_version: String,
        started: Instant,
    ) -> anyhow::Result<Exporter> {
        let Compiled {
            sha256,
            component,
            cache,
            ..
        } = compiled;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            anyhow!(
                "the component needs imports this host does not provide: {:#}",
                anyhow::Error::from(e)
            )
        })?;
        let pre = ExporterPre::new(instance_pre)
            .map_err(anyhow::Error::from)
            .context("the component's `plugin` export does not match the contract")?;
        let manifest = self
            .manifest_of(&pre, &sha256)
            .context("failed to read the exporter's manifest")?;
        Ok(Exporter {
            file: file.to_path_buf(),
            manifest,
            contract_version,
            load_time: started.elapsed(),
            cache,
            sha256,
            pre,
        })
    }

    /// What `file` is, short of running it: its size, digest, imports, exports and whether it
    /// was built for a contract this host accepts, and the exporter loaded from the same
    /// compilation when it was (for `propcast describe`).
    pub(crate) fn surface(&self, file: &Path) -> anyhow::Result<Surface> {
        let started = Instant::now();
        let compiled = self.compile_file(file)?;
        let ty = compiled.component.component_type();
        let checked = self.check_contract(&compiled.component);
        Ok(Surface {
            size: compiled.size,
            sha256: compiled.sha256.clone(),
            imports: ty
                .imports(&self.engine)
                .map(|(name, item)| format!("{name} ({})", kind(&item.ty)))
                .collect(),
            exports: ty
                .exports(&self.engine)
                .map(|(name, item)| format!("{name} ({})", kind(&item.ty)))
                .collect(),
            accepted: accepted_contracts(),
            contract: match checked {
                Ok(version) => Contract::Accepted {
                    exporter: Box::new(self.load_compiled(
                        file,
                        compiled,
                        version.clone(),
                        started,
                    )),
                    version,
                },
                Err(error) => Contract::Refused(error),
            },
        })
    }

    /// Reads, checks and compiles `file` (through the compile cache, when there is one).
    fn compile_file(&self, file: &Path) -> anyhow::Result<Compiled> {
        let size = std::fs::metadata(file)
            .context("failed to read the file")?
            .len();
        let limit = self.settings.max_component_bytes;
        if size > limit as u64 {
            bail!(
                "the file is {}, more than the component size limit of {}, so it was not \
                 compiled\n\nConsider raising it with `--limit component-size=<value>`, or \
                 `component-size = …` under [limits] in propcast.toml",
                size_text(size),
                size_text(limit as u64)
            );
        }
        let bytes = std::fs::read(file).context("failed to read the file")?;
        if !bytes.starts_with(b"\0asm") {
            bail!("not a WebAssembly file");
        }
        // Byte 6 is the layer: 0 for a core module, 1 for a component.
        if bytes.get(6) == Some(&0) {
            bail!(
                "this is a core WebAssembly module, not a component\n\nConsider building it with \
                 `cargo build --target wasm32-wasip2`, which produces a component"
            );
        }
        let sha256 = crate::files::sha256_hex(&bytes);
        let (component, cache) = match &self.cache {
            Some(cache) => cache.load(&self.engine, &bytes, &sha256)?,
            None => (
                super::cache::compile(&self.engine, &bytes)?,
                CacheOutcome::Uncached("no cache folder (set `--cache-dir`)".into()),
            ),
        };
        tracing::debug!(file = %file.display(), cache = cache.describe(), "component loaded");
        Ok(Compiled {
            size,
            sha256,
            component,
            cache,
        })
    }

    /// Finds the contract interface among the component's exports and checks its version.
    fn check_contract(&self, component: &Component) -> anyhow::Result<String> {
        let ty = component.component_type();
        let exports: Vec<String> = ty
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let prefix = format!("{}/{}@", bindings::PACKAGE, bindings::PLUGIN_INTERFACE);
        let found = ty.exports(&self.engine).find(|(name, item)| {
            name.starts_with(&prefix) && matches!(item.ty, ComponentItem::ComponentInstance(_))
        });
        let Some((name, _)) = found else {
            let listed = if exports.is_empty() {
                "nothing".to_string()
            } else {
                exports.join(", ")
            };
            bail!(
                "not a propcast exporter: it exports {listed}, not `{}/{}`\n\nConsider building it \
                 against wit/exporter.wit with propcast-sdk",
                bindings::PACKAGE,
                bindings::PLUGIN_INTERFACE
            );
        };
        let version = &name[prefix.len()..];
        let mut parts = version.split(['.', '-', '+']).map(|p| p.parse::<u64>());
        let (major, minor) = match (parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor))) => (major, minor),
            _ => bail!("its contract version `{version}` is not a semver version"),
        };
        if (major, minor) != ACCEPTED_MAJOR_MINOR {
            bail!(
                "it was built for contract {}@{version}, but this host accepts {} (it has {HOST_VERSION})\n\n\
                 Consider rebuilding it against this host's wit/exporter.wit: `cargo xtask plugins`",
                bindings::PACKAGE,
                accepted_contracts(),
            );
        }
        Ok(version.to_string())
    }

    /// The checked manifest of the component `pre` (whose file's SHA-256 is `sha256`): from the
    /// compile cache when this file was described before within today's limits, else described.
    fn manifest_of(&self, pre: &ExporterPre<HostState>, sha256: &str) -> anyhow::Result<Manifest> {
        let limits = self.describe_budget.apply(&self.describe_limits);
        // Without fuel metering what a describe used is unknown, so nothing is kept.
        let cache = self.cache.as_ref().filter(|_| self.settings.fuel);
        if let Some(described) = cache.and_then(|c| c.described(&self.engine, sha256)) {
            // One that used more than these limits allow is described again, to fail as it
            // should.
            if described.fuel <= limits.fuel && described.memory <= limits.memory {
                return Ok(described.manifest);
            }
        }
        let described = self.describe(pre, &limits)?;
        if let Some(cache) = cache
            && let Err(error) = cache.store_described(&self.engine, sha256, &described)
        {
            tracing::debug!("the manifest was not cached: {error:#}");
        }
        Ok(described.manifest)
    }

    /// Calls `describe` in a throwaway store under `limits` and checks the manifest.
    fn describe(&self, pre: &ExporterPre<HostState>, limits: &Limits) -> anyhow::Result<Described> {
        let started = std::time::Instant::now();
        let mut store = self.store(limits, 0, 0);
        let described = pre.instantiate(&mut store).and_then(|instance| {
            instance
                .propcast_exporter_plugin()
                .call_describe(&mut store)
        });
        let manifest = match described {
            Ok(manifest) => manifest,
            Err(error) => {
                let failure = match super::invoke::classify(
                    error,
                    store.data(),
                    limits,
                    started.elapsed(),
                    self.settings.stack,
                ) {
                    RunError::Limit(breach) => {
                        RunError::Limit(self.describe_budget.own(&self.describe_limits, breach))
                    }
                    failure => failure,
                };
                return Err(anyhow::Error::msg(failure.with_hint()));
            }
        };
        Ok(Described {
            manifest: check_manifest(manifest)?,
            fuel: limits.fuel - store.get_fuel().unwrap_or(0),
            memory: store.data().limiter.peak_memory,
        })
    }
}

/// Plugins that cannot both be loaded: one exporter name, or outputs that overlap. A
/// configuration error of the plugin folder (exit code 2), not a failure of one exporter.
#[derive(Debug, thiserror::Error)]
#[error("{reason}; neither was loaded")]
pub(crate) struct Clash {
    reason: String,
}

/// Why `a` and `b` cannot both be loaded: the same name, or outputs that overlap.
fn clash(a: &Exporter, b: &Exporter) -> Option<String> {
    let (files, names) = (
        format!("`{}` and `{}`", a.file.display(), b.file.display()),
        (&a.manifest.name, &b.manifest.name),
    );
    if names.0 == names.1 {
        return Some(format!("{files} both declare exporter `{}`", names.0));
    }
    for mine in &a.manifest.outputs {
        if let Some(theirs) = b.manifest.outputs.iter().find(|t| overlaps(mine, t)) {
            return Some(format!(
                "{files} write overlapping paths: `{mine}` of exporter `{}` and `{theirs}` of \
                 exporter `{}`",
                names.0, names.1
            ));
        }
    }
    None
}

/// Whether two declared outputs can name one path: equal, one a folder holding the other, or a
/// file and a folder of one name (`x.json` and `x.json/`), compared without regard to case (a
/// store or a reader may not tell `A.json` from `a.json`).
fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let (bare_a, bare_b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
    bare_a == bare_b
        || (a.ends_with('/') && b.starts_with(&a))
        || (b.ends_with('/') && a.starts_with(&b))
}

/// The manifest as [`propcast_manifest::rules`] checks it.
fn declared(m: &wit::Manifest) -> bounds::Declared<'_> {
    let mut declared = bounds::Declared::new(&m.name, &m.version, &m.description);
    for output in &m.outputs {
        declared.output(&output.path, output.replace_set);
    }
    for p in &m.params {
        declared.option(&p.name, &p.description, &p.default);
    }
    for q in &m.queries {
        declared.query(&q.name, &q.sql, q.season_to_date.as_deref());
    }
    declared
}

/// Converts and checks a manifest: the rules every manifest follows (shared with the SDK), then
/// what only the host checks: built-in and duplicate names, typed defaults, the SQL and the
/// parameters queries use.
fn check_manifest(m: wit::Manifest) -> anyhow::Result<Manifest> {
    propcast_manifest::rules::check(&declared(&m)).map_err(anyhow::Error::msg)?;
    let mut outputs = Vec::with_capacity(m.outputs.len());
    let mut replaced_sets = Vec::new();
    for output in m.outputs {
        if output.replace_set {
            replaced_sets.push(output.path.clone());
        }
        outputs.push(output.path);
    }
    let mut params = Vec::new();
    for p in m.params {
        if BUILTIN_PARAMS.contains(&p.name.as_str()) {
            bail!("option `{}` has the name of a built-in parameter", p.name);
        }
        if params.iter().any(|q: &Param| q.name == p.name) {
            bail!("option `{}` is declared twice", p.name);
        }
        let ty = match p.type_ {
            wit::ParamType::Text => ParamType::Text,
            wit::ParamType::Int64 => ParamType::Int64,
            wit::ParamType::Float64 => ParamType::Float64,
            wit::ParamType::Date => ParamType::Date,
        };
        ty.parse_value(&p.default)
            .with_context(|| format!("the default of option `{}`", p.name))?;
        params.push(Param {
            name: p.name,
            ty,
            default: p.default,
            description: p.description,
        });
    }
    let known: Vec<String> = BUILTIN_PARAMS
        .iter()
        .map(|s| s.to_string())
        .chain(params.iter().map(|p| p.name.clone()))
        .map(|n| data::sql::param_sql_name(&n))
        .collect();
    let mut queries: Vec<Query> = Vec::new();
    for q in m.queries {
        if q.name.is_empty()
            || !q
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            bail!(
                "query name `{}` must be letters, digits, `_` and `-`",
                q.name
            );
        }
        if queries.iter().any(|other| other.name == q.name) {
            bail!("query `{}` is declared twice", q.name);
        }
        let used_params = data::sql::check_query(&q.sql)
            .map_err(|problem| anyhow!("query `{}` {problem}", q.name))?;
        for used in &used_params {
            if !known.contains(used) {
                bail!(
                    "query `{}` uses `@{used}`, which is neither a built-in parameter ({}) nor a declared option",
                    q.name,
                    BUILTIN_PARAMS
                        .map(|p| format!("@{}", data::sql::param_sql_name(p)))
                        .join(", ")
                );
            }
        }
        if let Some(column) = &q.season_to_date
            && !used_params.iter().any(|p| p == "date")
        {
            bail!(
                "query `{}` declares `season-to-date` but does not use `@date`; a query of the \
                 season so far keeps the rows whose `{column}` is before `@date`",
                q.name
            );
        }
        queries.push(Query {
            name: q.name,
            sql: q.sql,
            season_to_date: q.season_to_date,
        });
    }
    Ok(Manifest {
        name: m.name,
        version: m.version,
        description: m.description,
        queries,
        params,
        outputs,
        replaced_sets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_query(sql: &str, season_to_date: Option<&str>) -> anyhow::Result<Manifest> {
        check_manifest(wit::Manifest {
            name: "x".into(),
            version: "0.1.0".into(),
            description: "d".into(),
            queries: vec![wit::Query {
                name: "games".into(),
                sql: sql.into(),
                season_to_date: season_to_date.map(String::from),
            }],
            params: Vec::new(),
            outputs: vec![wit::Output {
                path: "v1/x/".into(),
                replace_set: false,
            }],
        })
    }

    #[test]
    fn a_season_to_date_query_names_a_column_and_uses_the_date() {
        let sql = "SELECT game_date FROM g WHERE game_date < @date ORDER BY game_date";
        let manifest = with_query(sql, Some("game_date")).unwrap();
        assert_eq!(
            manifest.queries[0].season_to_date.as_deref(),
            Some("game_date")
        );
        let err = with_query(sql, Some("g.game_date")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "query `games` declares `season-to-date = \"g.game_date\"`, which is not a column name (letters, digits and `_`)"
        );
        let err = with_query("SELECT game_date FROM g", Some("game_date")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("query `games` declares `season-to-date` but does not use `@date`"),
            "{err}"
        );
    }
}
