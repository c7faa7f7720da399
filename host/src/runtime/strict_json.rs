//! The JSON a document body may be: what every reader of the site can read. Valid JSON is not
//! enough: Python's `json`, `jq` and serde_json refuse nesting thousands deep, turn `1e999` into
//! infinity or refuse it, and choke on a lone surrogate escape (`"\ud800"`). So a body must
//! parse, nest at most [`MAX_DEPTH`] deep, hold only numbers that fit a finite double, and
//! escape only whole Unicode characters.
//!
//! It is checked without building the value: a visitor walks serde_json's parse, which decodes
//! each string (refusing lone surrogates) and each number (refusing out-of-range ones).

use serde::de::{DeserializeSeed as _, Deserializer, MapAccess, SeqAccess, Visitor};

/// The deepest a document may nest arrays and objects.
pub(crate) const MAX_DEPTH: usize = 64;

/// Checks `text` is JSON every reader accepts; the error says what is wrong and where.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    Level(0)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|e| e.to_string())
}

/// One value at a depth.
#[derive(Clone, Copy)]
struct Level(usize);

impl<'de> serde::de::DeserializeSeed<'de> for Level {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Level {
    /// The level below this one, if it is allowed.
    fn deeper<E: serde::de::Error>(self) -> Result<Level, E> {
        if self.0 >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "nests deeper than {MAX_DEPTH} arrays and objects"
            )));
        }
        Ok(Level(self.0 + 1))
    }
}

impl<'de> Visitor<'de> for Level {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<(), E> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(E::custom("holds a number too large for a double"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let below = self.deeper()?;
        while items.next_element_seed(below)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let below = self.deeper()?;
        while entries.next_key_seed(Key)?.is_some() {
            entries.next_value_seed(below)?;
        }
        Ok(())
    }
}

/// An object's key: a string, decoded (so a lone surrogate in it is refused too).
struct Key;

impl<'de> serde::de::DeserializeSeed<'de> for Key {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the check costs next to a plain parse, on real documents (docs/sandbox.md):
    /// `PROPCAST_JSON_BENCH_DIR=out cargo test --release -p propcast strict_json_cost --
    /// --ignored --nocapture` after a backfill into `out`. Prints; asserts nothing of timing.
    #[test]
    #[ignore = "a measurement, run by hand"]
    fn strict_json_cost() {
        let dir = std::env::var("PROPCAST_JSON_BENCH_DIR").expect("PROPCAST_JSON_BENCH_DIR");
        let mut bodies = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    bodies.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let bytes: usize = bodies.iter().map(String::len).sum();
        let time = |check: &dyn Fn(&str) -> bool| {
            let mut best = std::time::Duration::MAX;
            for _ in 0..5 {
                let started = std::time::Instant::now();
                assert!(bodies.iter().all(|b| check(b)));
                best = best.min(started.elapsed());
            }
            best
        };
        let plain = time(&|b| serde_json::from_str::<serde::de::IgnoredAny>(b).is_ok());
        let strict = time(&|b| check(b).is_ok());
        println!(
            "{} documents, {bytes} bytes: plain parse {plain:?}, strict check {strict:?}, \
             ratio {:.2}",
            bodies.len(),
            strict.as_secs_f64() / plain.as_secs_f64()
        );
    }

    #[test]
    fn accepts_what_readers_read() {
        for text in [
            r#"{"a": [1, -2, 3.5, 1e300, true, null, "é\ud83d\ude00"]}"#,
            "[]",
            "0",
            &format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH)),
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn refuses_what_readers_choke_on() {
        let deep = MAX_DEPTH + 1;
        for (text, problem) in [
            (
                format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
                "nests deeper than 64",
            ),
            (
                format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000)),
                "nests deeper than 64",
            ),
            (r#"{"x": 1e999}"#.to_string(), "number out of range"),
            (r#"["\ud800"]"#.to_string(), "unexpected end of hex escape"),
            (r#"{"\udc00": 1}"#.to_string(), "lone leading surrogate"),
            ("{not json".to_string(), "key must be a string"),
            ("[] []".to_string(), "trailing characters"),
        ] {
            let error = check(&text).unwrap_err();
            assert!(error.contains(problem), "{error}, not {problem}");
        }
    }
}
