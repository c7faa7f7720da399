//! How much a manifest may declare. The host refuses more when it loads a component, and the
//! SDK when the exporter is built, so a manifest of 200,000 outputs or a megabyte description
//! cannot make every run's output check, listing or error message large.

/// The most outputs (folders and files) an exporter may declare.
pub const MAX_OUTPUTS: usize = 64;
/// The most queries.
pub const MAX_QUERIES: usize = 64;
/// The most options.
pub const MAX_OPTIONS: usize = 64;
/// The longest name, version, description or default value.
pub const MAX_TEXT_BYTES: usize = 4096;
/// The longest query.
pub const MAX_SQL_BYTES: usize = 64 << 10;

/// What a manifest declares, as far as its bounds are concerned.
pub struct Declared<'a> {
    pub outputs: usize,
    pub queries: usize,
    pub options: usize,
    /// `(what, text)`, e.g. `("description", …)`, `("option `x` description", …)`.
    pub texts: Vec<(String, &'a str)>,
    /// Each query's `(name, sql)`.
    pub sql: Vec<(&'a str, &'a str)>,
}

/// Checks `declared` against the bounds; the error says which one it passes.
pub fn check(declared: &Declared<'_>) -> Result<(), String> {
    for (what, count, max) in [
        ("outputs", declared.outputs, MAX_OUTPUTS),
        ("queries", declared.queries, MAX_QUERIES),
        ("options", declared.options, MAX_OPTIONS),
    ] {
        if count > max {
            return Err(format!("it declares {count} {what}, more than {max}"));
        }
    }
    if let Some((what, text)) = declared
        .texts
        .iter()
        .find(|(_, t)| t.len() > MAX_TEXT_BYTES)
    {
        return Err(format!(
            "its {what} is {} bytes long, more than {MAX_TEXT_BYTES}",
            text.len()
        ));
    }
    if let Some((name, sql)) = declared
        .sql
        .iter()
        .find(|(_, sql)| sql.len() > MAX_SQL_BYTES)
    {
        return Err(format!(
            "query `{name}` is {} bytes long, more than {MAX_SQL_BYTES}",
            sql.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_is_named() {
        let long = "x".repeat(MAX_TEXT_BYTES + 1);
        let mut declared = Declared {
            outputs: 1,
            queries: 1,
            options: 0,
            texts: vec![("description".into(), "fine")],
            sql: vec![("games", "SELECT 1")],
        };
        assert_eq!(check(&declared), Ok(()));
        declared.outputs = 200_000;
        assert_eq!(
            check(&declared).unwrap_err(),
            "it declares 200000 outputs, more than 64"
        );
        declared.outputs = 1;
        declared.texts.push(("description".into(), &long));
        assert_eq!(
            check(&declared).unwrap_err(),
            "its description is 4097 bytes long, more than 4096"
        );
    }
}
