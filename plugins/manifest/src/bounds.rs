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

/// What a manifest declares, gathered the same way by the SDK (from `exporter.toml`) and the
/// host (from the component's `describe`), for the rules both apply ([`crate::rules`]).
pub struct Declared<'a> {
    pub(crate) name: &'a str,
    /// Each output's path and whether it is a replaced set.
    pub(crate) outputs: Vec<(&'a str, bool)>,
    pub(crate) options: Vec<&'a str>,
    /// Each query's name, SQL and `season-to-date` column.
    pub(crate) queries: Vec<(&'a str, &'a str, Option<&'a str>)>,
    /// `(what, text)`, e.g. `("description", …)`.
    texts: Vec<(&'static str, &'a str)>,
}

impl<'a> Declared<'a> {
    /// A manifest's own texts.
    pub fn new(name: &'a str, version: &'a str, description: &'a str) -> Self {
        Declared {
            name,
            outputs: Vec::new(),
            options: Vec::new(),
            queries: Vec::new(),
            texts: vec![
                ("name", name),
                ("version", version),
                ("description", description),
            ],
        }
    }

    /// One output: a folder ending in `/` or a file, and whether it is a replaced set.
    pub fn output(&mut self, path: &'a str, replace_set: bool) {
        self.outputs.push((path, replace_set));
    }

    /// One option.
    pub fn option(&mut self, name: &'a str, description: &'a str, default: &'a str) {
        self.options.push(name);
        self.texts.extend([
            ("option name", name),
            ("option description", description),
            ("option default", default),
        ]);
    }

    /// One query.
    pub fn query(&mut self, name: &'a str, sql: &'a str, season_to_date: Option<&'a str>) {
        self.texts.push(("query name", name));
        self.queries.push((name, sql, season_to_date));
    }
}

/// Checks `declared` against the bounds; the error says which one it passes.
pub fn check(declared: &Declared<'_>) -> Result<(), String> {
    for (what, count, max) in [
        ("outputs", declared.outputs.len(), MAX_OUTPUTS),
        ("queries", declared.queries.len(), MAX_QUERIES),
        ("options", declared.options.len(), MAX_OPTIONS),
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
    if let Some((name, sql, _)) = declared
        .queries
        .iter()
        .find(|(_, sql, _)| sql.len() > MAX_SQL_BYTES)
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
        let mut declared = Declared::new("x", "0.1.0", "fine");
        declared.output("v1/x/", false);
        declared.query("games", "SELECT 1", None);
        assert_eq!(check(&declared), Ok(()));
        let mut many = Declared::new("x", "0.1.0", "fine");
        for _ in 0..200_000 {
            many.output("v1/x/", false);
        }
        assert_eq!(
            check(&many).unwrap_err(),
            "it declares 200000 outputs, more than 64"
        );
        declared.option("min-games", &long, "5");
        assert_eq!(
            check(&declared).unwrap_err(),
            "its option description is 4097 bytes long, more than 4096"
        );
    }
}
