//! How a document becomes an object: its bytes (gzip-compressed when asked, reproducibly), its
//! MD5, `Content-Type: application/json` and the `Cache-Control` of its kind.
//!
//! The same document always encodes to the same bytes (gzip with no timestamp and a fixed
//! level), so an unchanged document has the same MD5 as the object already stored and is not
//! uploaded again.

use std::io::Write as _;

use serde::Deserialize;

use super::{Headers, NewObject, Stamp};
use crate::data::{Document, DocumentKind};

/// `Cache-Control` by document kind; `[publish.cache-control]` in `propcast.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CacheControl {
    /// Dated documents never change once published.
    pub(crate) dated: String,
    /// Current documents change with each run.
    pub(crate) current: String,
    /// Aliases move to the newest date.
    pub(crate) alias: String,
}

impl Default for CacheControl {
    fn default() -> CacheControl {
        CacheControl {
            dated: "public, max-age=31536000, immutable".into(),
            current: "public, max-age=300".into(),
            alias: "public, max-age=60".into(),
        }
    }
}

impl CacheControl {
    fn for_kind(&self, kind: DocumentKind) -> &str {
        match kind {
            DocumentKind::Dated => &self.dated,
            DocumentKind::Current => &self.current,
            DocumentKind::Alias => &self.alias,
        }
    }
}

/// How objects are encoded for one store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Encoding {
    pub(crate) cache_control: CacheControl,
    /// Compress bodies and serve them with `Content-Encoding: gzip`.
    pub(crate) gzip: bool,
    /// Whether the store keeps headers; a folder keeps neither headers nor gzip.
    pub(crate) headers: bool,
}

impl Encoding {
    /// The object for `doc`, stamped with `stamp`.
    pub(crate) fn object(&self, doc: &Document, stamp: Stamp) -> NewObject {
        let (bytes, headers) = if self.headers {
            let gzip = self.gzip.then(|| gzip(&doc.body));
            (
                gzip.clone().unwrap_or_else(|| doc.body.clone()),
                Headers {
                    content_type: Some("application/json".into()),
                    cache_control: Some(self.cache_control.for_kind(doc.kind).to_string()),
                    content_encoding: gzip.map(|_| "gzip".to_string()),
                },
            )
        } else {
            (doc.body.clone(), Headers::default())
        };
        NewObject {
            path: doc.path.clone(),
            md5: md5::compute(&bytes).0,
            bytes: bytes.into(),
            headers,
            stamp,
        }
    }
}

/// `body` gzip-compressed with no file name or timestamp, so the result depends on the body only.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn doc(kind: DocumentKind) -> Document {
        Document {
            path: "v1/a/today.json".into(),
            body: br#"{"players":[1,2,3]}"#.to_vec(),
            kind,
        }
    }

    fn stamp() -> Stamp {
        Stamp {
            exporter: "a".into(),
            kind: DocumentKind::Alias,
            date: "2024-01-10".parse().unwrap(),
        }
    }

    #[test]
    fn headers_follow_the_kind_and_gzip_is_reproducible() {
        let encoding = Encoding {
            cache_control: CacheControl::default(),
            gzip: true,
            headers: true,
        };
        let first = encoding.object(&doc(DocumentKind::Alias), stamp());
        let second = encoding.object(&doc(DocumentKind::Alias), stamp());
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.md5, second.md5);
        assert_eq!(
            first.headers,
            Headers {
                content_type: Some("application/json".into()),
                cache_control: Some("public, max-age=60".into()),
                content_encoding: Some("gzip".into()),
            }
        );
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&first.bytes[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, r#"{"players":[1,2,3]}"#);
        let dated = encoding.object(&doc(DocumentKind::Dated), stamp());
        assert_eq!(
            dated.headers.cache_control.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
    }

    #[test]
    fn a_folder_gets_the_plain_body_and_no_headers() {
        let encoding = Encoding {
            cache_control: CacheControl::default(),
            gzip: true,
            headers: false,
        };
        let object = encoding.object(&doc(DocumentKind::Current), stamp());
        assert_eq!(&object.bytes[..], br#"{"players":[1,2,3]}"#);
        assert_eq!(object.headers, Headers::default());
        assert_eq!(object.md5, md5::compute(br#"{"players":[1,2,3]}"#).0);
    }
}
