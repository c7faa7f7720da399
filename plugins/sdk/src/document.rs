//! A JSON document an exporter wants published, and how it is cached.

use serde::Serialize;

use crate::error::Result;

/// How a document is cached and in which order it is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocumentKind {
    /// A file for one date: immutable once published, cached for long.
    Dated,
    /// A file replaced as the data changes (a player's page): cached briefly.
    Current,
    /// `today.json`/`latest.json`: cached briefly, published after everything else.
    Alias,
}

/// Compact JSON whose numbers never read `-0.0`: a sum or average of nothing, or a small
/// negative number rounded, is `0` on the site, never a negative zero some readers show as `-0`.
struct SiteNumbers;

impl serde_json::ser::Formatter for SiteNumbers {
    fn write_f64<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f64,
    ) -> std::io::Result<()> {
        // `-0.0 == 0.0`, so this maps both zeros to the positive one.
        let value = if value == 0.0 { 0.0 } else { value };
        serde_json::ser::CompactFormatter.write_f64(writer, value)
    }

    fn write_f32<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: f32,
    ) -> std::io::Result<()> {
        let value = if value == 0.0 { 0.0 } else { value };
        serde_json::ser::CompactFormatter.write_f32(writer, value)
    }
}

/// A document to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Relative path under one of the manifest's `outputs`, e.g. `v1/streaks/2024-01-10.json`.
    pub path: String,
    /// UTF-8 JSON.
    pub body: Vec<u8>,
    /// How it is cached.
    pub kind: DocumentKind,
}

impl Document {
    /// `value` serialized as compact JSON, with no negative zero (see [`SiteNumbers`]).
    pub fn json(
        path: impl Into<String>,
        kind: DocumentKind,
        value: &impl Serialize,
    ) -> Result<Document> {
        let mut body = Vec::new();
        value.serialize(&mut serde_json::Serializer::with_formatter(
            &mut body,
            SiteNumbers,
        ))?;
        Ok(Document {
            path: path.into(),
            body,
            kind,
        })
    }

    /// A dated document; see [`DocumentKind::Dated`].
    pub fn dated(path: impl Into<String>, value: &impl Serialize) -> Result<Document> {
        Document::json(path, DocumentKind::Dated, value)
    }

    /// A current document; see [`DocumentKind::Current`].
    pub fn current(path: impl Into<String>, value: &impl Serialize) -> Result<Document> {
        Document::json(path, DocumentKind::Current, value)
    }

    /// An alias of another document, with the same body; see [`DocumentKind::Alias`].
    pub fn alias_of(&self, path: impl Into<String>) -> Document {
        Document {
            path: path.into(),
            body: self.body.clone(),
            kind: DocumentKind::Alias,
        }
    }

    /// The body parsed back, for tests.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("documents are built from JSON values")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_number_is_published_as_negative_zero() {
        #[derive(Serialize)]
        struct Page {
            minutes: f64,
            list: Vec<serde_json::Value>,
        }
        let empty: f64 = std::iter::empty::<f64>().sum();
        assert!(empty.is_sign_negative(), "Rust's empty sum is -0.0");
        let value = Page {
            minutes: empty,
            list: vec![(-0.0f32).into(), 1.5.into(), (-2.0).into()],
        };
        let doc = Document::dated("v1/x/2024-01-10.json", &value).unwrap();
        assert_eq!(
            String::from_utf8(doc.body).unwrap(),
            r#"{"minutes":0.0,"list":[0.0,1.5,-2.0]}"#
        );
    }
}
