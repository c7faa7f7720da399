//! # propcast-sdk: write a propcast exporter
//!
//! An exporter is a WebAssembly component that turns query results into JSON documents for the
//! site. This crate is everything an exporter's author needs: it owns the contract's bindings,
//! gives the inputs as plain Rust types, and runs the exporter natively in tests.
//!
//! An exporter is two files in its own crate (`crate-type = ["cdylib", "rlib"]`):
//!
//! - `exporter.toml`, its manifest: name, the path prefixes it writes, its options, and the
//!   queries it needs, in SQL that runs on both BigQuery and SQLite (see `docs/sql.md`). It is
//!   read and checked when the crate is compiled and embedded in the component, so the `.wasm`
//!   file is the whole plugin.
//! - a type implementing [`Exporter`], registered with [`exporter!`].
//!
//! ```
//! use propcast_sdk::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! /// Counts the games played before the date.
//! pub struct GameCount;
//!
//! #[derive(Deserialize)]
//! struct Game<'a> {
//!     player_lookup: &'a str,
//!     points: i64,
//! }
//!
//! #[derive(Serialize)]
//! struct Summary {
//!     date: Date,
//!     games: usize,
//!     points: i64,
//! }
//!
//! impl Exporter for GameCount {
//!     fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
//!         let games: Vec<Game> = tables.rows("games")?;
//!         propcast_sdk::info!("{} games, first by {:?}", games.len(), games.first().map(|g| g.player_lookup));
//!         let summary = Summary {
//!             date: ctx.date(),
//!             games: games.len(),
//!             points: games.iter().map(|g| g.points).sum(),
//!         };
//!         let dated = Document::dated(format!("v1/game-count/{}.json", ctx.date()), &summary)?;
//!         let today = dated.alias_of("v1/game-count/today.json");
//!         Ok(vec![dated, today])
//!     }
//! }
//!
//! // In a plugin crate `exporter!(GameCount)` reads `exporter.toml` beside `Cargo.toml`; this
//! // example's manifest is `tests/game-count.toml` in this crate.
//! propcast_sdk::exporter!(GameCount, manifest = "tests/game-count.toml");
//!
//! // A native test: no Wasm, no host.
//! let tables = propcast_sdk::testing::tables(serde_json::json!({
//!     "games": {
//!         "columns": {"player_lookup": "text", "points": "int64"},
//!         "rows": [
//!             {"player_lookup": "ann", "points": 20},
//!             {"player_lookup": "bo", "points": 7},
//!         ]
//!     }
//! }));
//! let out = propcast_sdk::testing::Harness::<GameCount>::new("2024-01-10").run(&tables).unwrap();
//! assert_eq!(out.json("v1/game-count/today.json")["points"], 27);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` and drop the `.wasm` file in the
//! host's plugin folder; `cargo xtask plugins` does that for the exporters in this repository.
//!
//! Exporters never read a clock or the environment (the host grants neither): the date and the
//! run's timestamp come in the [`Context`], so the same inputs give byte-identical documents.
#![deny(missing_docs)]

extern crate self as propcast_sdk;

mod context;
mod date;
mod de;
pub mod defense;
mod document;
mod error;
pub mod fatigue;
mod glue;
pub mod log;
pub mod props;
pub mod season;
pub mod stats;
mod table;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use context::Context;
pub use date::{Date, DateError};
pub use document::{Document, DocumentKind};
pub use error::{Error, ErrorKind, Result};
pub use propcast_manifest::{Manifest, ManifestError, Output, Param, ParamType, Query};
pub use table::{Column, ColumnData, Dictionary, Table, Tables, Value};

/// What an exporter implements: its documents from the run's context and tables.
pub trait Exporter {
    /// Builds the documents to publish. Returning an error publishes nothing of this run.
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>>;
}

/// The names an exporter usually needs.
pub mod prelude {
    pub use crate::props::{Grade, Outcome, Recommendation, Side, grade, matchup, outcome};
    pub use crate::stats::{Split, at_least, mean, percent, round};
    pub use crate::{
        Context, Date, Document, DocumentKind, Error, Exporter, Result, Table, Tables,
    };
}

/// Registers `$ty` (an [`Exporter`]) as the component's implementation of the contract.
///
/// `exporter!(MyExporter)` reads `exporter.toml` from the crate's root when the crate is compiled
/// and embeds the checked manifest (no TOML parser ends up in the component; an invalid manifest
/// is a compile error naming the problem, and the host checks its SQL at load);
/// `exporter!(MyExporter, manifest = "manifests/x.toml")` reads another file, relative to the
/// crate's root.
#[macro_export]
macro_rules! exporter {
    ($ty:ty) => {
        $crate::exporter!($ty, manifest = "exporter.toml");
    };
    ($ty:ty, manifest = $manifest:literal) => {
        impl $crate::__private::ExporterManifest for $ty {
            const STATIC: $crate::__private::StaticManifest = $crate::__private::manifest!($manifest);
            const TOML: &'static str = ::core::include_str!(::core::concat!(
                ::core::env!("CARGO_MANIFEST_DIR"),
                "/",
                $manifest
            ));
            const CRATE_VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
        }

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct PropcastComponent;
            impl $crate::__private::Guest for PropcastComponent {
                fn describe() -> $crate::__private::bindings::propcast::exporter::types::Manifest {
                    $crate::__private::describe(&<$ty as $crate::__private::ExporterManifest>::STATIC)
                }
                fn run(
                    ctx: $crate::__private::bindings::propcast::exporter::types::Context,
                    tables: ::std::vec::Vec<$crate::__private::bindings::propcast::exporter::types::Table>,
                ) -> ::core::result::Result<
                    ::std::vec::Vec<$crate::__private::bindings::propcast::exporter::types::Document>,
                    $crate::__private::bindings::propcast::exporter::types::ExportError,
                > {
                    $crate::__private::run::<$ty>(ctx, tables)
                }
            }
            $crate::__private::bindings::export!(PropcastComponent with_types_in $crate::__private::bindings);
        };
    };
}

#[doc(hidden)]
pub mod __private {
    pub use crate::glue::{
        ExporterManifest, Guest, StaticManifest, StaticOutput, StaticParam, StaticQuery, bindings,
        describe, run, wit_bindgen,
    };
    pub use propcast_sdk_macros::manifest;
}
