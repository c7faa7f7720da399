//! `manifest!("exporter.toml")`: reads and checks an exporter's manifest when the exporter is
//! compiled, and expands to a `propcast_sdk::__private::StaticManifest` holding it.
//!
//! Why at build time: parsing TOML in the guest put a TOML parser in every component (31% of
//! its code, compiled by every host that loads it) to run once per load. Now a bad manifest is
//! a compile error naming the problem, and `describe` only copies strings. The path is relative
//! to the exporter crate's folder (`CARGO_MANIFEST_DIR`); the version defaults to the crate's.
//! The expansion also `include_bytes!`es the file, so editing it rebuilds the exporter.
//!
//! The expansion is written as text and parsed, so this crate needs no `syn` or `quote`: every
//! string goes through `{:?}`, which writes a valid, escaped Rust string literal.

use proc_macro::TokenStream;

use propcast_manifest::{Manifest, ParamType};

/// See the crate docs.
#[proc_macro]
pub fn manifest(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(code) => code.parse().expect("the expansion is valid Rust"),
        Err(message) => format!("::core::compile_error!({message:?})")
            .parse()
            .expect("a compile_error! call is valid Rust"),
    }
}

fn expand(input: TokenStream) -> Result<String, String> {
    let literal = input.to_string();
    let relative = literal
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|path| !path.contains(['\\', '"']))
        .ok_or_else(|| {
            format!(
                "manifest! takes the manifest's path as a plain string literal, not `{literal}`"
            )
        })?;
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| "manifest! needs CARGO_MANIFEST_DIR (build with cargo)".to_string())?;
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let path = std::path::Path::new(&dir).join(relative);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let manifest =
        Manifest::parse(&text, &version).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(code(&manifest, &path.display().to_string()))
}

/// The `StaticManifest` expression for `m`, read from `file`.
fn code(m: &Manifest, file: &str) -> String {
    let queries: String = m
        .queries
        .iter()
        .map(|q| {
            format!(
                "::propcast_sdk::__private::StaticQuery {{ name: {:?}, sql: {:?}, season_to_date: {:?} }},",
                q.name, q.sql, q.season_to_date
            )
        })
        .collect();
    let params: String = m
        .params
        .iter()
        .map(|p| {
            let ty = match p.ty {
                ParamType::Text => "Text",
                ParamType::Int64 => "Int64",
                ParamType::Float64 => "Float64",
                ParamType::Date => "Date",
            };
            format!(
                "::propcast_sdk::__private::StaticParam {{ name: {:?}, ty: ::propcast_sdk::ParamType::{ty}, default: {:?}, description: {:?} }},",
                p.name, p.default, p.description
            )
        })
        .collect();
    let outputs: String = m
        .outputs
        .iter()
        .map(|o| {
            format!(
                "::propcast_sdk::__private::StaticOutput {{ path: {:?}, replace_set: {} }},",
                o.path, o.replace_set
            )
        })
        .collect();
    format!(
        "{{ const _: &[u8] = ::core::include_bytes!({file:?}); \
         ::propcast_sdk::__private::StaticManifest {{ name: {:?}, version: {:?}, description: {:?}, \
         queries: &[{queries}], params: &[{params}], outputs: &[{outputs}] }} }}",
        m.name, m.version, m.description
    )
}
