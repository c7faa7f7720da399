//! The rules every manifest follows, written once: the SDK applies them when the exporter is
//! built (to `exporter.toml`) and the host when it loads the component (to what `describe`
//! returns), so a rule cannot differ between the two. The host adds what only it can check (the
//! SQL against the warehouse's dialect, option defaults as typed values, built-in names).

use crate::bounds::{self, Declared};
use crate::{is_column_name, is_kebab, paths};

/// Checks `declared`: its bounds, then its name, outputs, options and queries. The error says
/// what is wrong, in the author's terms.
pub fn check(declared: &Declared<'_>) -> Result<(), String> {
    bounds::check(declared)?;
    if !is_kebab(declared.name) {
        return Err(format!(
            "exporter name `{}` must be lowercase letters, digits and dashes",
            declared.name
        ));
    }
    if declared.outputs.is_empty() {
        return Err(format!(
            "exporter `{}` declares no outputs; list at least one path prefix under `outputs`",
            declared.name
        ));
    }
    for (output, replace_set) in &declared.outputs {
        if *replace_set && !output.ends_with('/') {
            return Err(format!(
                "output `{output}` is a file; only a folder ending in `/` can be a replaced set"
            ));
        }
        paths::check_output(output)?;
    }
    for option in &declared.options {
        if !is_kebab(option) {
            return Err(format!(
                "option name `{option}` must be lowercase letters, digits and dashes"
            ));
        }
    }
    for (name, sql, season_to_date) in &declared.queries {
        if sql.trim().is_empty() {
            return Err(format!("query `{name}` has no SQL"));
        }
        if let Some(column) = season_to_date
            && !is_column_name(column)
        {
            return Err(format!(
                "query `{name}` declares `season-to-date = \"{column}\"`, which is not a column \
                 name (letters, digits and `_`)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared<'a>(name: &'a str, output: &'a str, option: &'a str) -> Declared<'a> {
        let mut declared = Declared::new(name, "0.1.0", "d");
        declared.output(output, output.ends_with('/'));
        declared.option(option, "d", "1");
        declared.query("games", "SELECT 1", Some("game_date"));
        declared
    }

    #[test]
    fn each_rule_names_what_breaks_it() {
        assert_eq!(check(&declared("x", "v1/x/", "min-games")), Ok(()));
        assert_eq!(
            check(&declared("X", "v1/x/", "min-games")).unwrap_err(),
            "exporter name `X` must be lowercase letters, digits and dashes"
        );
        assert_eq!(
            check(&declared("x", "v1/x/", "minGames")).unwrap_err(),
            "option name `minGames` must be lowercase letters, digits and dashes"
        );
        assert_eq!(
            check(&Declared::new("x", "0.1.0", "d")).unwrap_err(),
            "exporter `x` declares no outputs; list at least one path prefix under `outputs`"
        );
        let mut file_set = Declared::new("x", "0.1.0", "d");
        file_set.output("v1/x/all.json", true);
        assert_eq!(
            check(&file_set).unwrap_err(),
            "output `v1/x/all.json` is a file; only a folder ending in `/` can be a replaced set"
        );
    }
}
