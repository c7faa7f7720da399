//! What the host needs to know about a query's text before running it: that it is one
//! read-only `SELECT`/`WITH` statement, and the `@named` parameters it uses. Quoted strings,
//! quoted identifiers and comments are skipped, so `'@home'` is text, not a parameter, and
//! `'DELETE'` is not a write.

/// The distinct `@name` parameters in `sql`, in order of first use, without the `@`.
pub(crate) fn named_params(sql: &str) -> Vec<String> {
    let code = code_only(sql);
    let mut names: Vec<String> = Vec::new();
    for (at, _) in code.match_indices('@') {
        let rest = &code[at + 1..];
        let name = &rest[..rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len())];
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Words that only appear in statements that write or change the database.
/// (`REPLACE` is left out: it is also a string function; `REPLACE INTO` is caught by its start.)
const WRITING_WORDS: [&str; 13] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH", "PRAGMA",
    "VACUUM", "REINDEX", "TRUNCATE",
];

/// Checks that `sql` is a single read-only `SELECT` or `WITH … SELECT` statement, in the terms
/// of the text alone (a source may check again when it prepares it).
pub(crate) fn check_read_only(sql: &str) -> Result<(), String> {
    let code = code_only(sql);
    let statements: Vec<&str> = code
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let first_word = |s: &str| {
        s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_ascii_uppercase()
    };
    match statements.as_slice() {
        [] => return Err("is empty".into()),
        [_] => {}
        [_, ..] => {
            return Err(format!(
                "holds {} statements; a query must be exactly one",
                statements.len()
            ));
        }
    }
    let first = first_word(statements[0]);
    if first != "SELECT" && first != "WITH" {
        return Err(format!(
            "starts with `{first}`; only SELECT and WITH queries are allowed"
        ));
    }
    let words = statements[0].split(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    if let Some(word) = words
        .map(str::to_ascii_uppercase)
        .find(|w| WRITING_WORDS.contains(&w.as_str()))
    {
        return Err(format!(
            "uses `{word}`, which writes; only read-only SELECT and WITH queries are allowed"
        ));
    }
    Ok(())
}

/// Checks that `sql` writes parameters only as `@name`: `?`, `:name` and `$name` work on one
/// engine but not the other, and the host binds only `@name`.
pub(crate) fn check_placeholders(sql: &str) -> Result<(), String> {
    let code = code_only(sql);
    let bytes = code.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next_is_name = bytes
            .get(i + 1)
            .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_');
        let placeholder = match b {
            b'?' => Some("?".to_string()),
            b':' | b'$' if next_is_name => {
                let end = code[i + 1..]
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .map_or(code.len(), |n| i + 1 + n);
                Some(code[i..end].to_string())
            }
            _ => None,
        };
        if let Some(placeholder) = placeholder {
            return Err(format!(
                "uses the parameter `{placeholder}`; write parameters as `@name`"
            ));
        }
    }
    Ok(())
}

/// `sql` with comments removed and every quoted string or identifier replaced by `''`.
fn code_only(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut code = String::with_capacity(sql.len());
    let mut i = 0;
    let mut plain_from = 0;
    while i < bytes.len() {
        // Where the skipped part ends, and what stands for it: a string or quoted identifier
        // stays a value (`''`), a comment becomes a space.
        let skip_to = match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != quote {
                    j += 1;
                }
                Some(((j + 1).min(bytes.len()), " '' "))
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                Some((sql[i..].find('\n').map_or(bytes.len(), |n| i + n), " "))
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => Some((
                sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2),
                " ",
            )),
            _ => None,
        };
        match skip_to {
            Some((end, stand_in)) => {
                code.push_str(&sql[plain_from..i]);
                code.push_str(stand_in);
                i = end;
                plain_from = end;
            }
            None => i += 1,
        }
    }
    code.push_str(&sql[plain_from..]);
    code
}

/// The SQL spelling of an option or built-in parameter name: `min-games` is `@min_games`.
pub(crate) fn param_sql_name(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_parameters_once_in_order() {
        let sql =
            "SELECT * FROM t WHERE d < @date AND s = @season AND d >= @season_start AND d <> @date";
        assert_eq!(named_params(sql), ["date", "season", "season_start"]);
    }

    #[test]
    fn skips_strings_identifiers_and_comments() {
        let sql = "SELECT '@not', \"@col\", `@x` -- @comment\n FROM t /* @block */ WHERE a = @real";
        assert_eq!(named_params(sql), ["real"]);
    }

    #[test]
    fn accepts_one_read_only_query() {
        assert_eq!(check_read_only("SELECT 1"), Ok(()));
        assert_eq!(
            check_read_only("  with x AS (SELECT 'DELETE;' AS w) SELECT * FROM x; "),
            Ok(())
        );
        assert_eq!(
            check_read_only("SELECT update_time, \"insert\" FROM t -- DROP it\n"),
            Ok(())
        );
        assert_eq!(
            check_read_only("SELECT REPLACE(player_name, '.', '') FROM players"),
            Ok(())
        );
    }

    #[test]
    fn refuses_writes_and_several_statements() {
        assert_eq!(
            check_read_only("DELETE FROM schedule").unwrap_err(),
            "starts with `DELETE`; only SELECT and WITH queries are allowed"
        );
        assert_eq!(
            check_read_only("SELECT 1; SELECT 2").unwrap_err(),
            "holds 2 statements; a query must be exactly one"
        );
        assert_eq!(
            check_read_only("WITH x AS (SELECT 1) DELETE FROM schedule").unwrap_err(),
            "uses `DELETE`, which writes; only read-only SELECT and WITH queries are allowed"
        );
        assert_eq!(check_read_only("  -- nothing\n").unwrap_err(), "is empty");
    }

    #[test]
    fn only_at_parameters_are_allowed() {
        assert_eq!(
            check_placeholders("SELECT * FROM t WHERE d < @date AND x = '?:a$b'"),
            Ok(())
        );
        assert_eq!(
            check_placeholders("SELECT * FROM t WHERE p = ?").unwrap_err(),
            "uses the parameter `?`; write parameters as `@name`"
        );
        assert_eq!(
            check_placeholders("SELECT * FROM t WHERE p = :who").unwrap_err(),
            "uses the parameter `:who`; write parameters as `@name`"
        );
        assert_eq!(
            check_placeholders("SELECT * FROM t WHERE p = $1").unwrap_err(),
            "uses the parameter `$1`; write parameters as `@name`"
        );
    }

    #[test]
    fn kebab_names_become_underscored() {
        assert_eq!(param_sql_name("min-games"), "min_games");
    }
}
