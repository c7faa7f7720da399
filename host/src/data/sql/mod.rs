//! What the host needs to know about a query's text before running it: that it is one
//! read-only `SELECT`/`WITH` statement, and the `@named` parameters it uses, the same whether
//! SQLite or BigQuery reads it. Strings, quoted identifiers and comments are skipped as each
//! dialect delimits them ([`lexer`]), so `'@home'` is text, not a parameter, and `'DELETE'` is
//! not a write.

mod lexer;

use lexer::Dialect;
use lexer::lex;

/// Checks `sql` as an exporter may declare it: in both dialects, it is one read-only query
/// that writes parameters as `@name`, with nothing left unclosed, and both find the same
/// parameters, which it returns.
pub(crate) fn check_query(sql: &str) -> Result<Vec<String>, String> {
    let mut found: Vec<(Dialect, Vec<String>)> = Vec::new();
    for dialect in Dialect::ALL {
        let lexed = lex(sql, dialect);
        if let Some(unclosed) = lexed.unclosed {
            return Err(unclosed.to_string());
        }
        check_read_only(&lexed.code)?;
        check_placeholders(&lexed.code)?;
        found.push((dialect, params_in_code(&lexed.code)));
    }
    let (first, first_params) = &found[0];
    if let Some((other, other_params)) = found.iter().find(|(_, p)| p != first_params) {
        return Err(format!(
            "reads differently in {first} (parameters {}) and {other} (parameters {}); \
             write it so both read the same strings and comments",
            listed(first_params),
            listed(other_params)
        ));
    }
    Ok(found.swap_remove(0).1)
}

/// The distinct `@name` parameters of a query [`check_query`] accepted, in order of first use,
/// without the `@` (both dialects find the same; this reads it as BigQuery does).
pub(crate) fn named_params(sql: &str) -> Vec<String> {
    params_in_code(&lex(sql, Dialect::BigQuery).code)
}

/// The parameters in `code`; `@@name` is a system variable, not a parameter.
fn params_in_code(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut names: Vec<String> = Vec::new();
    for (at, _) in code.match_indices('@') {
        if at > 0 && bytes[at - 1] == b'@' {
            continue;
        }
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

/// `[@a, @b]`, or `none`.
fn listed(params: &[String]) -> String {
    if params.is_empty() {
        return "none".to_string();
    }
    let at: Vec<String> = params.iter().map(|p| format!("@{p}")).collect();
    at.join(", ")
}

/// Words that only appear in statements that write or change the database.
/// (`REPLACE` is left out: it is also a string function; `REPLACE INTO` is caught by its start.)
const WRITING_WORDS: [&str; 13] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH", "PRAGMA",
    "VACUUM", "REINDEX", "TRUNCATE",
];

/// Checks that `code` is a single read-only `SELECT` or `WITH … SELECT` statement, in the terms
/// of the text alone (a source may check again when it prepares it).
fn check_read_only(code: &str) -> Result<(), String> {
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

/// Checks that `code` writes parameters only as `@name`: `?`, `:name` and `$name` work on one
/// engine but not the other, and the host binds only `@name`.
fn check_placeholders(code: &str) -> Result<(), String> {
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
        // BigQuery reads `#` as a comment, so it is only left in SQLite's code, which takes
        // it for a variable or refuses it.
        if b == b'#' {
            return Err(
                "uses `#`, a comment only in BigQuery (a variable or an error in SQLite); write comments as \
                 `--` or `/* */`"
                    .to_string(),
            );
        }
    }
    Ok(())
}

/// The SQL spelling of an option or built-in parameter name: `min-games` is `@min_games`.
pub(crate) fn param_sql_name(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_parameters_once_in_order() {
        let sql =
            "SELECT * FROM t WHERE d < @date AND s = @season AND d >= @season_start AND d <> @date";
        assert_eq!(named_params(sql), ["date", "season", "season_start"]);
        assert_eq!(
            check_query(sql).unwrap(),
            ["date", "season", "season_start"]
        );
        assert_eq!(
            named_params("SELECT @@dataset_id, @x"),
            ["x"],
            "@@ is a system variable"
        );
    }

    #[test]
    fn skips_strings_identifiers_and_comments() {
        let sql = "SELECT '@not', \"@col\", `@x` -- @comment\n FROM t /* @block */ WHERE a = @real";
        assert_eq!(check_query(sql).unwrap(), ["real"]);
    }

    #[test]
    fn accepts_one_read_only_query() {
        for sql in [
            "SELECT 1",
            "  with x AS (SELECT 'DELETE;' AS w) SELECT * FROM x; ",
            "SELECT update_time, \"insert\" FROM t -- DROP it\n",
            "SELECT REPLACE(player_name, '.', '') FROM players",
        ] {
            assert_eq!(check_query(sql), Ok(Vec::new()), "{sql}");
        }
    }

    #[test]
    fn refuses_writes_and_several_statements() {
        let refused = |sql| check_query(sql).unwrap_err();
        assert_eq!(
            refused("DELETE FROM schedule"),
            "starts with `DELETE`; only SELECT and WITH queries are allowed"
        );
        assert_eq!(
            refused("SELECT 1; SELECT 2"),
            "holds 2 statements; a query must be exactly one"
        );
        assert_eq!(
            refused("WITH x AS (SELECT 1) DELETE FROM schedule"),
            "uses `DELETE`, which writes; only read-only SELECT and WITH queries are allowed"
        );
        assert_eq!(refused("  -- nothing\n"), "is empty");
    }

    #[test]
    fn only_at_parameters_are_allowed() {
        assert_eq!(
            check_query("SELECT * FROM t WHERE d < @date AND x = '?:a$b'"),
            Ok(vec!["date".to_string()])
        );
        for (sql, placeholder) in [
            ("SELECT * FROM t WHERE p = ?", "?"),
            ("SELECT * FROM t WHERE p = :who", ":who"),
            ("SELECT * FROM t WHERE p = $1", "$1"),
        ] {
            assert_eq!(
                check_query(sql).unwrap_err(),
                format!("uses the parameter `{placeholder}`; write parameters as `@name`")
            );
        }
    }

    #[test]
    fn each_dialect_reads_by_its_own_rules() {
        // SQLite reads on past a `#`, which BigQuery takes for a comment.
        assert_eq!(
            check_query("SELECT 1 # DROP TABLE t").unwrap_err(),
            "uses `DROP`, which writes; only read-only SELECT and WITH queries are allowed"
        );
        assert_eq!(
            check_query("SELECT a FROM t # note\nWHERE d = @date").unwrap_err(),
            "uses `#`, a comment only in BigQuery (a variable or an error in SQLite); write comments as `--` \
             or `/* */`"
        );
        // BigQuery's backslash escapes a quote that ends SQLite's string.
        assert_eq!(
            check_query("SELECT 'it\\'s', @date AS d").unwrap_err(),
            "has a string at character 14 that never ends, as SQLite reads it"
        );
        assert_eq!(
            check_query("SELECT 'it\\'s' AS s, @date AS d -- '").unwrap_err(),
            "reads differently in SQLite (parameters none) and BigQuery (parameters @date); \
             write it so both read the same strings and comments"
        );
        assert_eq!(
            check_query("SELECT '''a'b''' AS s, @date AS d FROM t").unwrap_err(),
            "has a string at character 14 that never ends, as SQLite reads it"
        );
        assert_eq!(
            check_query("SELECT '''a''' AS s, @date AS d FROM t"),
            Ok(vec!["date".to_string()]),
            "a string both read as one, `'a'` in SQLite and `a` in BigQuery"
        );
    }

    #[test]
    fn kebab_names_become_underscored() {
        assert_eq!(param_sql_name("min-games"), "min_games");
    }

    /// `content` as a string literal of `dialect`.
    fn literal(content: &str, dialect: Dialect) -> String {
        match dialect {
            Dialect::Sqlite => format!("'{}'", content.replace('\'', "''")),
            Dialect::BigQuery => {
                let mut quoted = String::from("'");
                for c in content.chars() {
                    match c {
                        '\\' | '\'' => quoted.extend(['\\', c]),
                        '\n' => quoted.push_str("\\n"),
                        '\r' => quoted.push_str("\\r"),
                        c => quoted.push(c),
                    }
                }
                quoted.push('\'');
                quoted
            }
        }
    }

    fn dialect() -> impl Strategy<Value = Dialect> {
        prop_oneof![Just(Dialect::Sqlite), Just(Dialect::BigQuery)]
    }

    /// What the text says in `dialect`: its parameters, or why it is not one read-only query.
    fn reading(sql: &str, dialect: Dialect) -> Result<Vec<String>, String> {
        let lexed = lex(sql, dialect);
        if let Some(unclosed) = lexed.unclosed {
            return Err(unclosed.to_string());
        }
        check_read_only(&lexed.code)?;
        check_placeholders(&lexed.code)?;
        Ok(params_in_code(&lexed.code))
    }

    /// Text made of what SQL lexers care about.
    const TRICKY: &str = "(?s)[a-zA-Z0-9 @?:$;'\"`#/*\\[\\]\\\\\n\r-]{0,40}";

    proptest! {
        #[test]
        fn any_text_reads_without_panicking(sql in any::<String>(), dialect in dialect()) {
            let lexed = lex(&sql, dialect);
            prop_assert!(lexed.code.len() <= sql.len() * 4 + 4);
            let _ = check_query(&sql);
        }

        #[test]
        fn tricky_text_reads_without_panicking(sql in TRICKY, dialect in dialect()) {
            let _ = reading(&sql, dialect);
            let _ = check_query(&sql);
        }

        #[test]
        fn a_literal_hides_anything(content in TRICKY, dialect in dialect()) {
            let sql = format!(
                "SELECT {} AS c FROM t WHERE d = @date", literal(&content, dialect)
            );
            prop_assert_eq!(reading(&sql, dialect), Ok(vec!["date".to_string()]));
        }

        #[test]
        fn a_portable_literal_reads_the_same_in_both(content in "[a-zA-Z0-9 @?:$;\"`#/*-]{0,40}") {
            let sql = format!("SELECT 'x', '{content}' AS c FROM t WHERE d = @date");
            prop_assert_eq!(check_query(&sql), Ok(vec!["date".to_string()]));
        }

        #[test]
        fn comments_hide_anything(
            line in "[^\n]{0,40}",
            block in "[a-zA-Z0-9 @?:$;'\"`#/\n-]{0,40}",
            dialect in dialect(),
        ) {
            let sql = format!("SELECT 1 -- {line}\nFROM t /* {block} */ WHERE d = @date");
            prop_assert_eq!(reading(&sql, dialect), Ok(vec!["date".to_string()]));
            let hashed = format!("SELECT 1 # {line}\nFROM t WHERE d = @date");
            prop_assert_eq!(reading(&hashed, Dialect::BigQuery), Ok(vec!["date".to_string()]));
        }

        #[test]
        fn parameters_are_found_in_order_of_first_use(
            names in proptest::collection::vec("[a-z][a-z0-9_]{0,8}", 1..6),
            dialect in dialect(),
        ) {
            let uses: Vec<String> = names.iter().map(|n| format!("x = @{n}")).collect();
            let sql = format!("SELECT * FROM t WHERE {}", uses.join(" AND "));
            let mut expected: Vec<String> = Vec::new();
            for name in &names {
                if !expected.contains(name) {
                    expected.push(name.clone());
                }
            }
            prop_assert_eq!(reading(&sql, dialect), Ok(expected));
        }

        #[test]
        fn a_writing_word_in_code_is_refused(
            word in proptest::sample::select(WRITING_WORDS.to_vec()),
            lower in any::<bool>(),
            dialect in dialect(),
        ) {
            let word = if lower { word.to_ascii_lowercase() } else { word.to_string() };
            let sql = format!("WITH x AS (SELECT 1) {word} FROM x");
            prop_assert!(reading(&sql, dialect).unwrap_err().contains("which writes"));
        }

        #[test]
        fn statements_are_counted(count in 2..6usize, dialect in dialect()) {
            let sql = vec!["SELECT ';' AS s"; count].join("; ");
            prop_assert_eq!(
                reading(&sql, dialect).unwrap_err(),
                format!("holds {count} statements; a query must be exactly one")
            );
        }
    }
}
