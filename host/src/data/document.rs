//! A document an exporter produced, checked and ready to publish.

/// How a document is cached and in which order it is published; see `wit/exporter.wit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum DocumentKind {
    Dated,
    Current,
    Alias,
}

/// A JSON document at a relative path such as `v1/streaks/2024-01-10.json`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Document {
    pub(crate) path: String,
    pub(crate) body: Vec<u8>,
    pub(crate) kind: DocumentKind,
}
