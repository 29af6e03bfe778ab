//! Adding fresh traces to an open dump: records already present (by the dump's identity rule)
//! are skipped, the rest join as a new source named after their batch.

use std::collections::HashSet;

use super::load::{self, LoadError, Loaded, Progress, Source};
use super::store::{Identity, TraceStore, fnv1a64};

/// What an append did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Appended {
    /// Ids of the traces added.
    pub added: Vec<String>,
    /// Records skipped because the dump already had their id (or the new file repeated it).
    pub duplicates: usize,
    /// Records of the new files that could not be read.
    pub skipped_lines: usize,
}

/// Loads `new` with the open dump's mapping, keeps the records whose identity (by the dump's
/// rule) is new, and reloads the dump with them as a source named `batch`.
pub fn append(
    store: &TraceStore,
    new: Vec<Source>,
    batch: &str,
    progress: &Progress,
    threads: usize,
) -> Result<(Loaded, Appended), LoadError> {
    let fresh = load::load(new, Some(store.mapping.clone()), progress, threads)?;
    let existing: HashSet<&str> = (0..store.len()).map(|r| store.id(r)).collect();
    let id_column = store
        .identity
        .field()
        .and_then(|f| fresh.store.column_index(f));
    let mut seen: HashSet<String> = HashSet::new();
    let mut text = String::new();
    let mut out = Appended {
        skipped_lines: fresh.skipped_count,
        ..Default::default()
    };
    for r in 0..fresh.store.len() {
        let record = fresh.store.raw_record(r);
        let id = match (&store.identity, id_column) {
            (Identity::ContentHash { .. }, _) | (_, None) => {
                format!("h{:016x}", fnv1a64(record.as_bytes()))
            }
            (_, Some(c)) => fresh.store.cell(r, c).unwrap_or_default(),
        };
        if existing.contains(id.as_str()) || !seen.insert(id.clone()) {
            out.duplicates += 1;
            continue;
        }
        text.push_str(record);
        text.push('\n');
        out.added.push(id);
    }
    let mut sources = store.sources();
    if !text.is_empty() {
        sources.push(Source {
            name: batch.to_owned(),
            bytes: text.into_bytes(),
        });
    }
    let loaded = load::load(sources, Some(store.mapping.clone()), progress, threads)?;
    Ok((loaded, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_dumps_add_only_new_ids() {
        let old = load::load_bytes(
            "week1.jsonl",
            b"{\"id\":\"a\",\"input\":\"1\"}\n{\"id\":\"b\",\"input\":\"2\"}\n".to_vec(),
        )
        .unwrap();
        let new = Source {
            name: "week2.jsonl".into(),
            bytes: b"{\"id\":\"b\",\"input\":\"2 again\"}\n{\"id\":\"c\",\"input\":\"3\"}\n{\"id\":\"c\",\"input\":\"3 dup\"}\nnot json\n".to_vec(),
        };
        let (loaded, stats) =
            append(&old.store, vec![new], "2026-W48", &Progress::default(), 1).unwrap();
        assert_eq!(stats.added, ["c"]);
        assert_eq!(stats.duplicates, 2);
        assert_eq!(stats.skipped_lines, 1);
        let s = &loaded.store;
        assert_eq!(s.len(), 3);
        assert_eq!(s.id(2), "c");
        assert_eq!(s.identity, Identity::Field("id".into()));
        let file = s.column_index(load::FILE_COLUMN).unwrap();
        assert_eq!(s.cell(2, file).as_deref(), Some("2026-W48"));
        assert_eq!(s.cell(0, file).as_deref(), Some("week1.jsonl"));
    }

    #[test]
    fn content_hash_identity_dedups_identical_records() {
        let old = load::load_bytes("a.jsonl", b"{\"input\":\"x\"}\n".to_vec()).unwrap();
        let new = Source {
            name: "b.jsonl".into(),
            bytes: b"{\"input\":\"x\"}\n{\"input\":\"y\"}\n".to_vec(),
        };
        let (loaded, stats) = append(&old.store, vec![new], "b", &Progress::default(), 1).unwrap();
        assert_eq!((stats.added.len(), stats.duplicates), (1, 1));
        assert_eq!(loaded.store.len(), 2);
        assert_eq!(loaded.store.id(1), stats.added[0]);
    }
}
