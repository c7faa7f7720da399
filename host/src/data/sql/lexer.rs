//! How SQLite and BigQuery split a query's text into code, strings, quoted identifiers and
//! comments. The checks in [`super`] look at the code only, so `'@home'` is text, not a
//! parameter, and `'DELETE'` is not a write; each engine has its own rules for where a string
//! or comment ends, and a query must read the same under both.
//!
//! - SQLite: `'text'` with `''` for a quote; identifiers in `"…"` and `` `…` `` (the quote
//!   doubled inside) or `[…]`; no backslash escapes; `--` and `/* */` comments (an unclosed
//!   block comment runs to the end).
//! - BigQuery (GoogleSQL): strings in `'…'` or `"…"` on one line and `'''…'''` or `"""…"""`
//!   over several, any of them prefixed `r`, `b` or both, a backslash always taking the next
//!   character with it (in raw strings too, as far as where the string ends); identifiers in
//!   `` `…` `` with the same escapes; `#`, `--` and `/* */` comments.

use std::fmt;

/// The SQL dialect a query is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    BigQuery,
}

impl Dialect {
    /// Both dialects: an exporter's query runs on either warehouse.
    pub(crate) const ALL: [Dialect; 2] = [Dialect::Sqlite, Dialect::BigQuery];
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "SQLite",
            Dialect::BigQuery => "BigQuery",
        })
    }
}

/// A string, quoted identifier or comment that the text ends inside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unclosed {
    pub(crate) dialect: Dialect,
    /// What is left open: "string", "quoted identifier" or "comment".
    pub(crate) what: &'static str,
    /// Where it starts: a character offset from 1, as editors count.
    pub(crate) at: usize,
}

impl fmt::Display for Unclosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "has a {} at character {} that never ends, as {} reads it",
            self.what, self.at, self.dialect
        )
    }
}

/// A query's text as one dialect reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lexed {
    /// The code: each comment replaced by a space, each string or quoted identifier by `''`
    /// (it stays a value). Text inside something never closed is left out.
    pub(crate) code: String,
    /// The string, identifier or comment the text ends inside, if any.
    pub(crate) unclosed: Option<Unclosed>,
}

/// Reads `sql` in `dialect`.
pub(crate) fn lex(sql: &str, dialect: Dialect) -> Lexed {
    let bytes = sql.as_bytes();
    let mut code = String::with_capacity(sql.len());
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some(part) = skipped_part(bytes, i, dialect) else {
            i += 1;
            continue;
        };
        code.push_str(&sql[plain_from..i]);
        match part.end {
            Some(end) => {
                code.push_str(part.stand_in);
                i = end;
                plain_from = end;
            }
            None if part.what == "comment" && dialect == Dialect::Sqlite => {
                // SQLite ends an unclosed block comment with the text.
                return Lexed {
                    code,
                    unclosed: None,
                };
            }
            None => {
                return Lexed {
                    code,
                    unclosed: Some(Unclosed {
                        dialect,
                        what: part.what,
                        at: sql[..i].chars().count() + 1,
                    }),
                };
            }
        }
    }
    code.push_str(&sql[plain_from..]);
    Lexed {
        code,
        unclosed: None,
    }
}

/// A string, quoted identifier or comment starting at a byte of the text.
struct Part {
    what: &'static str,
    /// The byte after it; `None` when the text ends first.
    end: Option<usize>,
    /// What stands for it in the code.
    stand_in: &'static str,
}

/// The part starting at `bytes[i]`, if one does.
fn skipped_part(bytes: &[u8], i: usize, dialect: Dialect) -> Option<Part> {
    let next = bytes.get(i + 1).copied();
    let comment = |end| Part {
        what: "comment",
        end,
        stand_in: " ",
    };
    let value = |what, end| Part {
        what,
        end,
        stand_in: " '' ",
    };
    let line_end = |from: usize| {
        Some(
            bytes[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| from + n),
        )
    };
    match (bytes[i], dialect) {
        (b'-', _) if next == Some(b'-') => Some(comment(line_end(i))),
        (b'#', Dialect::BigQuery) => Some(comment(line_end(i))),
        (b'/', _) if next == Some(b'*') => {
            Some(comment(find(&bytes[i + 2..], b"*/").map(|n| i + 2 + n + 2)))
        }
        (b'\'', Dialect::Sqlite) => Some(value("string", doubled_quote_end(bytes, i, b'\''))),
        (quote @ (b'"' | b'`'), Dialect::Sqlite) => Some(value(
            "quoted identifier",
            doubled_quote_end(bytes, i, quote),
        )),
        (b'[', Dialect::Sqlite) => Some(value(
            "quoted identifier",
            bytes[i + 1..]
                .iter()
                .position(|&b| b == b']')
                .map(|n| i + 1 + n + 1),
        )),
        (quote @ (b'\'' | b'"'), Dialect::BigQuery) => {
            let triple = [quote; 3];
            if bytes[i..].starts_with(&triple) {
                Some(value("string", escaped_end(bytes, i + 3, &triple, true)))
            } else {
                Some(value("string", escaped_end(bytes, i + 1, &[quote], false)))
            }
        }
        (b'`', Dialect::BigQuery) => Some(value(
            "quoted identifier",
            escaped_end(bytes, i + 1, b"`", false),
        )),
        _ => None,
    }
}

/// The end of a part quoted with `quote` from `bytes[start]`, where a doubled quote stands for
/// one (SQLite).
fn doubled_quote_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut j = start + 1;
    while j < bytes.len() {
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

/// The end of a part whose text starts at `bytes[from]` and which `close` ends, where a
/// backslash takes the next character with it (BigQuery). Unless `multiline`, a line break
/// leaves it unclosed.
fn escaped_end(bytes: &[u8], from: usize, close: &[u8], multiline: bool) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\n' | b'\r' if !multiline => return None,
            _ if bytes[j..].starts_with(close) => return Some(j + close.len()),
            _ => j += 1,
        }
    }
    None
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(sql: &str, dialect: Dialect) -> String {
        let lexed = lex(sql, dialect);
        assert_eq!(lexed.unclosed, None, "{sql:?} in {dialect}");
        lexed.code.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn sqlite_doubles_quotes_and_has_brackets() {
        let sql = "SELECT 'it''s @x', \"a\"\"b\", `c``d`, [e f] FROM t -- @c\n/* @d";
        assert_eq!(
            code(sql, Dialect::Sqlite),
            "SELECT '' , '' , '' , '' FROM t"
        );
        assert_eq!(
            code("SELECT 'a\\' FROM t", Dialect::Sqlite),
            "SELECT '' FROM t"
        );
    }

    #[test]
    fn bigquery_escapes_triples_and_hashes() {
        let sql = "SELECT 'it\\'s @x', \"q\\\"@y\", r'\\'@z', '''a\n'b'@w''', \
                   \"\"\"x\"\"y\"\"\", `c\\`@v` FROM t # @c\n-- @d\n/* @e */";
        assert_eq!(
            code(sql, Dialect::BigQuery),
            "SELECT '' , '' , r '' , '' , '' , '' FROM t"
        );
        assert_eq!(
            code("SELECT '', '''' ''' x", Dialect::BigQuery),
            "SELECT '' , '' x"
        );
    }

    #[test]
    fn what_is_left_open_is_named_where_it_starts() {
        let open = |sql, dialect| lex(sql, dialect).unclosed.map(|u| u.to_string());
        assert_eq!(
            open("SELECT 'a\\'' FROM t", Dialect::BigQuery),
            None,
            "a backslash escapes the quote"
        );
        assert_eq!(
            open("SELECT 'a\\' FROM t", Dialect::BigQuery).unwrap(),
            "has a string at character 8 that never ends, as BigQuery reads it"
        );
        assert_eq!(
            open("SELECT 'one\ntwo' FROM t", Dialect::BigQuery).unwrap(),
            "has a string at character 8 that never ends, as BigQuery reads it"
        );
        assert_eq!(open("SELECT 'one\ntwo' FROM t", Dialect::Sqlite), None);
        assert_eq!(
            open("SELECT 1 /* to the end", Dialect::BigQuery).unwrap(),
            "has a comment at character 10 that never ends, as BigQuery reads it"
        );
        assert_eq!(open("SELECT 1 /* to the end", Dialect::Sqlite), None);
        assert_eq!(
            open("SELECT \"é", Dialect::Sqlite).unwrap(),
            "has a quoted identifier at character 8 that never ends, as SQLite reads it"
        );
    }
}
