//! The only module that sees the WIT bindings: it converts between the contract's types and the
//! SDK's plain Rust types, and wraps an author's [`crate::Exporter`] as the component's exports.
//!
//! Authors never use this module directly; [`crate::exporter!`] expands to calls into it.

use crate::Exporter;
use crate::context::Context;
use crate::document::{Document, DocumentKind};
use crate::error::{Error, ErrorKind};
use crate::table::{Column, ColumnData, Dictionary, Table, Tables};
use propcast_manifest::{Manifest, ParamType};

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "exporter",
        pub_export_macro: true,
        default_bindings_module: "::propcast_sdk::__private::bindings",
        runtime_path: "::propcast_sdk::__private::wit_bindgen::rt",
    });
}

pub use bindings::exports::propcast::exporter::plugin::Guest;
use bindings::propcast::exporter::types as wit;
pub use wit_bindgen;

/// An exporter's manifest as `propcast_sdk_macros::manifest!` reads it at build time: checked,
/// with every string in the component's data, ready for `describe` without a parser.
pub struct StaticManifest {
    /// As in [`Manifest`]'s `name`.
    pub name: &'static str,
    /// As in [`Manifest`]'s `version`.
    pub version: &'static str,
    /// As in [`Manifest`]'s `description`.
    pub description: &'static str,
    /// As in [`Manifest`]'s `queries`.
    pub queries: &'static [StaticQuery],
    /// As in [`Manifest`]'s `params`.
    pub params: &'static [StaticParam],
    /// As in [`Manifest`]'s `outputs`.
    pub outputs: &'static [StaticOutput],
}

/// A query of a [`StaticManifest`].
pub struct StaticQuery {
    /// As in [`Manifest`]'s `name`.
    pub name: &'static str,
    /// As in [`Manifest`]'s `sql`.
    pub sql: &'static str,
    /// As in [`Manifest`]'s `season_to_date`.
    pub season_to_date: Option<&'static str>,
}

/// An option of a [`StaticManifest`].
pub struct StaticParam {
    /// As in [`Manifest`]'s `name`.
    pub name: &'static str,
    /// As in [`Manifest`]'s `ty`.
    pub ty: ParamType,
    /// As in [`Manifest`]'s `default`.
    pub default: &'static str,
    /// As in [`Manifest`]'s `description`.
    pub description: &'static str,
}

/// An output of a [`StaticManifest`].
pub struct StaticOutput {
    /// As in [`Manifest`]'s `path`.
    pub path: &'static str,
    /// As in [`Manifest`]'s `replace_set`.
    pub replace_set: bool,
}

/// The manifest in the contract's form.
pub fn describe(m: &StaticManifest) -> wit::Manifest {
    wit::Manifest {
        name: m.name.into(),
        version: m.version.into(),
        description: m.description.into(),
        queries: m
            .queries
            .iter()
            .map(|q| wit::Query {
                name: q.name.into(),
                sql: q.sql.into(),
                season_to_date: q.season_to_date.map(String::from),
            })
            .collect(),
        params: m
            .params
            .iter()
            .map(|p| wit::Param {
                name: p.name.into(),
                type_: match p.ty {
                    ParamType::Text => wit::ParamType::Text,
                    ParamType::Int64 => wit::ParamType::Int64,
                    ParamType::Float64 => wit::ParamType::Float64,
                    ParamType::Date => wit::ParamType::Date,
                },
                default: p.default.into(),
                description: p.description.into(),
            })
            .collect(),
        outputs: m
            .outputs
            .iter()
            .map(|o| wit::Output {
                path: o.path.into(),
                replace_set: o.replace_set,
            })
            .collect(),
    }
}

/// Runs exporter `E` on the contract's inputs.
pub fn run<E: Exporter>(
    ctx: wit::Context,
    tables: Vec<wit::Table>,
) -> Result<Vec<wit::Document>, wit::ExportError> {
    install_panic_hook();
    let output = convert_inputs(ctx, tables).and_then(|(ctx, tables)| E::run(&ctx, &tables));
    match output {
        Ok(documents) => Ok(documents.into_iter().map(document_to_wit).collect()),
        Err(e) => Err(error_to_wit(e)),
    }
}

fn convert_inputs(ctx: wit::Context, tables: Vec<wit::Table>) -> crate::Result<(Context, Tables)> {
    let ctx = Context::new(&ctx.date, ctx.run_id, ctx.generated_at, ctx.params)?;
    let tables = tables
        .into_iter()
        .map(table_from_wit)
        .collect::<crate::Result<Vec<_>>>()?;
    Ok((ctx, Tables::new(tables)))
}

fn table_from_wit(table: wit::Table) -> crate::Result<Table> {
    let columns = table
        .columns
        .into_iter()
        .map(|c| {
            let data = match c.data {
                wit::ColumnData::Int64(v) => ColumnData::Int64(v),
                wit::ColumnData::Float64(v) => ColumnData::Float64(v),
                wit::ColumnData::Boolean(v) => ColumnData::Boolean(v),
                wit::ColumnData::Text(d) => ColumnData::Text(Dictionary {
                    values: d.values,
                    codes: d.codes,
                }),
                wit::ColumnData::Date(d) => ColumnData::Date(Dictionary {
                    values: d.values,
                    codes: d.codes,
                }),
            };
            Column::new(c.name, data, &c.nulls)
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Table::new(table.name, table.row_count as usize, columns)
}

fn document_to_wit(d: Document) -> wit::Document {
    wit::Document {
        path: d.path,
        body: d.body,
        kind: match d.kind {
            DocumentKind::Dated => wit::DocumentKind::Dated,
            DocumentKind::Current => wit::DocumentKind::Current,
            DocumentKind::Alias => wit::DocumentKind::Alias,
        },
    }
}

fn error_to_wit(e: Error) -> wit::ExportError {
    let info = wit::ErrorInfo {
        message: e.message().to_string(),
        hint: e.hint().map(str::to_string),
    };
    match e.kind() {
        ErrorKind::BadInput => wit::ExportError::BadInput(info),
        ErrorKind::Failed => wit::ExportError::Failed(info),
    }
}

/// Sends a panic's message to the host's log before the component traps, so the user sees
/// "panicked at src/lib.rs:12: index out of bounds" instead of a bare "unreachable".
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            crate::log::log(crate::log::Level::Error, &format!("panic: {info}"));
            default_hook(info);
        }));
    });
}

/// The manifest of an exporter, implemented by [`crate::exporter!`].
pub trait ExporterManifest {
    /// The manifest as read at build time, for `describe`.
    const STATIC: StaticManifest;
    /// The text of `exporter.toml`, for native tests.
    const TOML: &'static str;
    /// The exporter crate's version, used when the manifest gives none.
    const CRATE_VERSION: &'static str;

    /// The parsed manifest. Panics with the parse error, which names the problem.
    fn manifest() -> Manifest {
        Manifest::parse(Self::TOML, Self::CRATE_VERSION).unwrap_or_else(|e| panic!("{e}"))
    }
}
