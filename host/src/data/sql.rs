//! What the host needs to know about a query's text before running it: the `@named` parameters
//! it uses. Quoted strings, quoted identifiers and comments are skipped, so `'@home'` is text,
//! not a parameter.

/// The distinct `@name` parameters in `sql`, in order of first use, without the `@`.
pub(crate) fn named_params(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'@' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                if end > start {
                    let name = &sql[start..end];
                    if !names.iter().any(|n| n == name) {
                        names.push(name.to_string());
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    names
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
    fn kebab_names_become_underscored() {
        assert_eq!(param_sql_name("min-games"), "min_games");
    }
}
