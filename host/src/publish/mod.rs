//! Where documents go. A [`Publisher`] receives one exporter's checked documents, already in
//! publishing order (dated, current, aliases), and publishes all of them or none.
//!
//! The local default writes to a folder ([`local`]). Cloud Storage, not built yet, is meant to
//! implement the same trait.
//! Publishers know nothing of Wasm or of where the data came from.

pub(crate) mod local;

use crate::data::Document;

/// What a publish wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) documents: usize,
    pub(crate) bytes: usize,
}

/// A destination for documents.
pub(crate) trait Publisher {
    /// Where documents go, for messages: "folder `out`".
    fn describe(&self) -> String;

    /// Publishes `documents` in order. On error, what was published before this call is as it
    /// was and none of `documents` is visible (an alias is never published before its files).
    fn publish(&self, documents: &[Document]) -> anyhow::Result<Published>;
}
