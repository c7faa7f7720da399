//! In a run of several dates, each exporter's `current` documents and aliases are published once
//! per season of the run, from the newest date that produced them, instead of once per date.
//!
//! A backfill rewrites the same player pages, profiles and `today.json` for every date, and
//! each rewrite but the last is invisible: nobody reads the site between two dates of one run.
//! Those rewrites were ~95% of a backfill's uploads (docs/performance.md). So a date publishes
//! its `dated` documents at once and hands the others to its exporter's [`Deferred`], which
//! keeps the newest version of each path; at a flush date (the run's last, and the last of each
//! season in it, so an interrupted backfill is complete at season boundaries) they are published
//! date by date, oldest first, each with its own date's stamp. The end state is the one a run
//! per date leaves, which the tests check byte for byte:
//! - a path keeps the version of the newest date that produced it;
//! - a replaced set is the set of its newest date whose publishing succeeded, published whole
//!   with that date, which removes the pages earlier runs left (an emptied set included);
//! - a date whose documents failed to publish holds its aliases back (the older ones stay
//!   pending) and leaves its replaced sets to the date before, as a run of that date would
//!   have left no alias and removed nothing.

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::data::{Document, DocumentKind};

/// One exporter's documents waiting for a flush date.
#[derive(Debug, Default)]
pub(super) struct Deferred {
    /// `current` documents (outside replaced sets) and aliases, by path.
    held: BTreeMap<String, (Date, Document)>,
    /// Each replaced set's newest date and pages, by the set's folder.
    sets: BTreeMap<String, (Date, Vec<Document>)>,
}

/// Documents of one date to publish at a flush.
#[derive(Debug, PartialEq)]
pub(super) struct Group {
    pub(super) date: Date,
    pub(super) documents: Vec<Document>,
    /// The replaced sets whose pages are this date's.
    pub(super) replaced_sets: Vec<String>,
}

impl Deferred {
    /// Whether a document waits for a flush: everything but `dated` ones.
    pub(super) fn waits(document: &Document) -> bool {
        document.kind != DocumentKind::Dated
    }

    /// Keeps `documents` (none `dated`) of `date`, replacing older versions. `published` says
    /// whether the date's other documents were published; if not, its aliases and the pages of
    /// its replaced sets are dropped (returned) and its sets left as they were.
    pub(super) fn hold(
        &mut self,
        date: Date,
        documents: Vec<Document>,
        replaced_sets: &[String],
        published: bool,
    ) -> Vec<Document> {
        let mut dropped = Vec::new();
        if published {
            for prefix in replaced_sets {
                self.sets.insert(prefix.clone(), (date, Vec::new()));
            }
        }
        for document in documents {
            let set = replaced_sets.iter().find(|prefix| {
                document.kind == DocumentKind::Current && document.path.starts_with(prefix.as_str())
            });
            match set {
                Some(prefix) if published => {
                    let (_, pages) = self.sets.get_mut(prefix).expect("the set was just started");
                    pages.push(document);
                }
                Some(_) => dropped.push(document),
                None if document.kind == DocumentKind::Alias && !published => {
                    dropped.push(document)
                }
                None => {
                    self.held.insert(document.path.clone(), (date, document));
                }
            }
        }
        dropped
    }

    /// Everything held, by date, oldest first; nothing is held afterwards.
    pub(super) fn take(&mut self) -> Vec<Group> {
        let mut by_date: BTreeMap<Date, Group> = BTreeMap::new();
        for (prefix, (date, pages)) in std::mem::take(&mut self.sets) {
            let entry = entry(&mut by_date, date);
            entry.documents.extend(pages);
            entry.replaced_sets.push(prefix);
        }
        for (_, (date, document)) in std::mem::take(&mut self.held) {
            entry(&mut by_date, date).documents.push(document);
        }
        by_date.into_values().collect()
    }
}

/// The group of `date`, new if there is none yet.
fn entry(groups: &mut BTreeMap<Date, Group>, date: Date) -> &mut Group {
    groups.entry(date).or_insert_with(|| Group {
        date,
        documents: Vec::new(),
        replaced_sets: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str, kind: DocumentKind, body: &str) -> Document {
        Document {
            path: path.into(),
            body: body.as_bytes().to_vec(),
            kind,
        }
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn paths(group: &Group) -> Vec<(&str, &str)> {
        group
            .documents
            .iter()
            .map(|d| (d.path.as_str(), std::str::from_utf8(&d.body).unwrap()))
            .collect()
    }

    #[test]
    fn each_path_keeps_its_newest_version_and_sets_their_newest_whole() {
        let sets = ["v1/p/".to_string()];
        let mut deferred = Deferred::default();
        let day = |d: &str, players: &[&str]| {
            let mut docs = vec![
                doc("v1/x/today.json", DocumentKind::Alias, d),
                doc("v1/x/index.json", DocumentKind::Current, d),
            ];
            for p in players {
                docs.push(doc(&format!("v1/p/{p}.json"), DocumentKind::Current, d));
            }
            docs
        };
        deferred.hold(date("2024-01-08"), day("8", &["a", "b"]), &sets, true);
        deferred.hold(
            date("2024-01-08"),
            vec![doc("v1/old/z.json", DocumentKind::Current, "8")],
            &[],
            true,
        );
        deferred.hold(date("2024-01-09"), day("9", &["b", "c"]), &sets, true);
        // A date whose documents failed to publish: its index waits, its alias and set do not.
        let dropped = deferred.hold(date("2024-01-10"), day("10", &["d"]), &sets, false);
        let dropped: Vec<&str> = dropped.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(dropped, ["v1/x/today.json", "v1/p/d.json"]);
        let groups = deferred.take();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].date, date("2024-01-08"));
        assert_eq!(paths(&groups[0]), [("v1/old/z.json", "8")]);
        assert!(groups[0].replaced_sets.is_empty());
        assert_eq!(groups[1].date, date("2024-01-09"));
        assert_eq!(
            paths(&groups[1]),
            [
                ("v1/p/b.json", "9"),
                ("v1/p/c.json", "9"),
                ("v1/x/today.json", "9")
            ]
        );
        assert_eq!(groups[1].replaced_sets, sets);
        assert_eq!(paths(&groups[2]), [("v1/x/index.json", "10")]);
        assert!(deferred.take().is_empty(), "nothing is held after a flush");
    }

    #[test]
    fn an_emptied_set_is_published_empty_with_its_date() {
        let sets = ["v1/p/".to_string()];
        let mut deferred = Deferred::default();
        deferred.hold(
            date("2024-01-08"),
            vec![doc("v1/p/a.json", DocumentKind::Current, "8")],
            &sets,
            true,
        );
        deferred.hold(date("2024-01-09"), Vec::new(), &sets, true);
        let groups = deferred.take();
        assert_eq!(
            groups,
            [Group {
                date: date("2024-01-09"),
                documents: Vec::new(),
                replaced_sets: sets.to_vec(),
            }]
        );
    }
}
