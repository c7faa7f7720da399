//! `propcast describe`: what a plugin file is, whether or not this host can run it — its
//! manifest (queries with their SQL, options, outputs), the contract version it was built for,
//! its size, and what it imports and exports. A component built for another contract version is
//! described as far as it can be, with both versions and what to do.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::request::LoadRequest;
use super::settings::Settings;
use super::{option_named_like_a_flag, report, resolve_plugins_dir, runtime_for};
use crate::runtime::{Contract, Exporter, Runtime};

/// `propcast describe`: each of `plugins` (a `.wasm` file's path, or an exporter's name in the
/// plugin folder) described in turn; exit code 1 when one does not load.
pub(crate) fn describe(plugins: &[String], request: &LoadRequest) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(request.config.as_deref(), &request.limits)?;
    let runtime = runtime_for(&settings, &request.cache)?;
    let mut every_one_loads = true;
    for (index, plugin) in plugins.iter().enumerate() {
        let file = plugin_file(plugin, request.plugins.as_deref())?;
        let mut out = String::new();
        if index > 0 {
            out.push('\n');
        }
        every_one_loads &= describe_file(&runtime, &file, &request.host_flags, &mut out);
        print!("{}", crate::logging::printable(&out));
    }
    Ok(if every_one_loads {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The file `plugin` names: itself when it is a file, else `<name>.wasm` in the plugin folder.
fn plugin_file(plugin: &str, plugins_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let as_file = Path::new(plugin);
    if as_file.is_file() {
        return Ok(as_file.to_path_buf());
    }
    if plugin.ends_with(".wasm") || plugin.contains(std::path::MAIN_SEPARATOR) {
        anyhow::bail!("there is no file `{plugin}`");
    }
    let in_folder = resolve_plugins_dir(plugins_dir)?.join(format!("{plugin}.wasm"));
    if !in_folder.is_file() {
        anyhow::bail!(
            "`{plugin}` is neither a file nor a plugin in the plugin folder (no `{}`)",
            in_folder.display()
        );
    }
    Ok(in_folder)
}

/// Writes what `file` is into `out`; whether it loads.
fn describe_file(runtime: &Runtime, file: &Path, host_flags: &[String], out: &mut String) -> bool {
    let w = "writing to a String";
    writeln!(out, "{}", file.display()).expect(w);
    let surface = match runtime.surface(file) {
        Ok(surface) => surface,
        Err(error) => {
            writeln!(out, "  cannot be read: {error:#}").expect(w);
            return false;
        }
    };
    writeln!(
        out,
        "  size:      {} ({} bytes), sha256 {}",
        crate::runtime::format_bytes_binary(surface.size),
        surface.size,
        surface.sha256
    )
    .expect(w);
    let loads = match surface.contract {
        Contract::Accepted { version, exporter } => {
            writeln!(
                out,
                "  contract:  {}@{version} (this host accepts {})",
                crate::runtime::CONTRACT_PACKAGE,
                surface.accepted
            )
            .expect(w);
            describe_exporter(*exporter, host_flags, out)
        }
        Contract::Refused(error) => {
            writeln!(out, "  contract:  {}", indented(&error)).expect(w);
            false
        }
    };
    write_list(out, "imports", &surface.imports);
    write_list(out, "exports", &surface.exports);
    loads
}

/// The manifest of `loaded` (an exporter, or why it does not load), with each query's SQL;
/// whether it loads.
fn describe_exporter(
    loaded: anyhow::Result<Exporter>,
    host_flags: &[String],
    out: &mut String,
) -> bool {
    let w = "writing to a String";
    let checked = loaded.and_then(|e| option_named_like_a_flag(e, host_flags).map_err(|r| r.error));
    let exporter = match checked {
        Ok(exporter) => exporter,
        Err(error) => {
            writeln!(out, "  exporter:  does not load: {}", indented(&error)).expect(w);
            return false;
        }
    };
    let m = &exporter.manifest;
    writeln!(out, "  exporter:  {} {}", m.name, m.version).expect(w);
    report::write_manifest(out, m);
    for query in &m.queries {
        let promise = query
            .season_to_date
            .as_ref()
            .map(|column| format!(" (season to date by `{column}`)"))
            .unwrap_or_default();
        writeln!(out, "  query `{}`{promise}:", query.name).expect(w);
        for line in query.sql.trim().lines() {
            writeln!(out, "      {line}").expect(w);
        }
    }
    true
}

/// `error` with its lines after the first indented under the label's column.
fn indented(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => line.to_string(),
            _ if line.is_empty() => String::new(),
            _ => format!("             {line}"),
        })
        .collect();
    lines.join("\n")
}

fn write_list(out: &mut String, label: &str, items: &[String]) {
    let w = "writing to a String";
    if items.is_empty() {
        writeln!(out, "  {label}:   none").expect(w);
        return;
    }
    writeln!(out, "  {label}:").expect(w);
    for item in items {
        writeln!(out, "    {item}").expect(w);
    }
}
