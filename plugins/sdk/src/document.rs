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
    /// `value` serialized as compact JSON.
    pub fn json(
        path: impl Into<String>,
        kind: DocumentKind,
        value: &impl Serialize,
    ) -> Result<Document> {
        Ok(Document {
            path: path.into(),
            body: serde_json::to_vec(value)?,
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
