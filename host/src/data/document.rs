//! A document an exporter produced, checked and ready to publish.

/// The folder, under a destination's root, where the host writes its run manifests; no
/// exporter may write there.
pub(crate) const RUNS_FOLDER: &str = propcast_manifest::paths::RUNS_FOLDER;

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

impl DocumentKind {
    /// The kind's name in the contract: `dated`, `current` or `alias`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            DocumentKind::Dated => "dated",
            DocumentKind::Current => "current",
            DocumentKind::Alias => "alias",
        }
    }

    /// The kind named `name`, as [`DocumentKind::name`] writes it.
    pub(crate) fn from_name(name: &str) -> Option<DocumentKind> {
        [
            DocumentKind::Dated,
            DocumentKind::Current,
            DocumentKind::Alias,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}
