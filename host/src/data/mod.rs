//! The values that travel between the host's stages: tables from a source to the runtime,
//! manifests from the runtime to the jobs, documents from the runtime to a publisher.
//!
//! They live here, apart from every stage, so that `source`, `runtime` and `publish` never
//! import one another.

mod date;
mod document;
mod manifest;
pub(crate) mod sql;
mod table;

pub(crate) use date::parse_date;
pub(crate) use document::{Document, DocumentKind, RUNS_FOLDER};
pub(crate) use manifest::{Manifest, Param, ParamType, Query};
pub(crate) use table::{Column, ColumnValues, Dictionary, ParamValue, QueryParam, Table};
