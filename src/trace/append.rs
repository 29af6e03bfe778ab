//! Adding fresh traces to an open dump: records already present (by the dump's identity rule)
//! are skipped, the rest join as sources tagged with their batch (the `batch` column).
//!
//! The dump's field mapping is reused. When the new file is shaped differently (its records lack
//! the dump's id, input or output fields) the append stops with [`AppendError::ShapeDiffers`], so
//! that the user can say which of the new file's fields are the id, input and output; the records
//! are then rewritten to the dump's field names, and one mapping reads them all.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::load::{self, LoadError, Loaded, Progress, Source};
use super::schema::{FieldMapping, FieldPath};
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
    /// The records added, as JSON lines, per batch (in the order the batches first appear): what
    /// the project keeps so that reopening the dump brings them back.
    pub kept: Vec<(String, String)>,
}

/// How a new file differs from the dump, with what is needed to ask the user.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapeDiff {
    /// One sentence per difference, e.g. "`trace_id` (the dump's id) is missing in 3 of 3 new records".
    pub reasons: Vec<String>,
    /// The mapping detected on the new file alone (a starting point for the user).
    pub detected: FieldMapping,
    /// Every field path seen in the new file.
    pub paths: Vec<FieldPath>,
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Reading the new files failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The new file's fields differ from the dump's; the user maps them.
    #[error("the added file's fields differ from the dump's: {}", .0.reasons.join("; "))]
    ShapeDiffers(Box<ShapeDiff>),
}

/// Loads `new`, keeps the records whose identity (by the dump's rule) is new, and reloads the
/// dump with them as one source per batch (each source's `batch`, else `batch`).
///
/// `new_mapping` says which of the new files' fields are the id, input and output. `None` reuses
/// the dump's mapping and first checks that the new records have its fields.
pub fn append(
    store: &TraceStore,
    new: Vec<Source>,
    batch: &str,
    new_mapping: Option<&FieldMapping>,
    progress: &Progress,
    threads: usize,
) -> Result<(Loaded, Appended), AppendError> {
    let batches: Vec<String> = new
        .iter()
        .map(|s| s.batch.clone().unwrap_or_else(|| batch.to_owned()))
        .collect();
    let read_with = new_mapping.unwrap_or(&store.mapping);
    let fresh = load::load(new, Some(read_with.clone()), progress, threads)?;
    let dump_id = store.identity.field().map(path_of_column);
    if new_mapping.is_none()
        && let Some(diff) = shape_diff(store, dump_id.as_ref(), &fresh)
    {
        return Err(AppendError::ShapeDiffers(Box::new(diff)));
    }
    // rewrite records into the dump's shape when the user mapped other fields
    let rewrite = new_mapping.filter(|m| {
        m.id != dump_id || m.input != store.mapping.input || m.output != store.mapping.output
    });
    let existing: HashSet<&str> = (0..store.len()).map(|r| store.id(r)).collect();
    let id_column = store
        .identity
        .field()
        .and_then(|f| fresh.store.column_index(f));
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Appended {
        skipped_lines: fresh.skipped_count,
        ..Default::default()
    };
    for r in 0..fresh.store.len() {
        let original = fresh.store.raw_record(r);
        let reshaped = |original: &str| match rewrite {
            Some(m) => reshape(original, m, &store.mapping, dump_id.as_ref())
                .unwrap_or_else(|| original.to_owned()),
            None => original.to_owned(),
        };
        let record = reshaped(original);
        let id = match (&store.identity, id_column, &dump_id) {
            // spans grouped into traces: the trace key is the id
            _ if fresh.store.span_index().is_some() => fresh.store.id(r).to_owned(),
            (Identity::ContentHash { .. }, _, _) | (_, None, None) => {
                format!("h{:016x}", fnv1a64(record.as_bytes()))
            }
            (_, _, Some(path)) if rewrite.is_some() => value_at(&record, path),
            (_, Some(c), _) => fresh.store.cell(r, c).unwrap_or_default(),
            (_, None, Some(path)) => value_at(&record, path),
        };
        if existing.contains(id.as_str()) || !seen.insert(id.clone()) {
            out.duplicates += 1;
            continue;
        }
        let name = batches
            .get(fresh.store.file_of(r))
            .map_or(batch, String::as_str);
        let text = match out.kept.iter_mut().find(|(b, _)| b == name) {
            Some((_, text)) => text,
            None => {
                out.kept.push((name.to_owned(), String::new()));
                &mut out.kept.last_mut().expect("just pushed").1
            }
        };
        if fresh.store.span_index().is_some() {
            // every span of the new trace
            for span in fresh.store.records_of(r) {
                text.push_str(&reshaped(span));
                text.push('\n');
            }
        } else {
            text.push_str(&record);
            text.push('\n');
        }
        out.added.push(id);
    }
    let mut sources = store.sources();
    for (name, text) in &out.kept {
        sources.push(Source {
            name: name.clone(),
            bytes: text.clone().into_bytes(),
            batch: Some(name.clone()),
        });
    }
    let loaded = load::load(sources, Some(store.mapping.clone()), progress, threads)?;
    Ok((loaded, out))
}

/// A metadata column's name as a field path (`metadata.user` → `metadata`, `user`).
fn path_of_column(name: &str) -> FieldPath {
    FieldPath(name.split('.').map(str::to_owned).collect())
}

/// How the new records (read with the dump's mapping) fall short of the dump's fields: a
/// missing id anywhere, or an input or output missing in more than half of them.
fn shape_diff(
    store: &TraceStore,
    dump_id: Option<&FieldPath>,
    fresh: &Loaded,
) -> Option<ShapeDiff> {
    let n = fresh.store.len();
    if n == 0 {
        return None;
    }
    let mut reasons = Vec::new();
    if let Some(id) = dump_id {
        let name = id.to_string();
        let missing = match fresh.store.df().column(&name) {
            Ok(c) => c.null_count(),
            Err(_) => n,
        };
        if missing > 0 {
            reasons.push(format!(
                "`{name}` (the dump's id) is missing in {missing} of {n} new records"
            ));
        }
    }
    for (what, path, present) in [
        (
            "input",
            &store.mapping.input,
            (0..n)
                .filter(|&r| fresh.store.raw_input(r).is_some())
                .count(),
        ),
        (
            "output",
            &store.mapping.output,
            (0..n)
                .filter(|&r| fresh.store.raw_output(r).is_some())
                .count(),
        ),
    ] {
        if let Some(path) = path
            && present * 2 < n
        {
            reasons.push(format!(
                "`{path}` (the dump's {what}) is missing in {} of {n} new records",
                n - present
            ));
        }
    }
    (!reasons.is_empty()).then(|| ShapeDiff {
        reasons,
        detected: fresh.store.detected.clone(),
        paths: fresh.store.paths.clone(),
    })
}

fn get<'a>(obj: &'a Map<String, Value>, path: &FieldPath) -> Option<&'a Value> {
    let (first, rest) = path.0.split_first()?;
    let mut v = obj.get(first)?;
    for key in rest {
        v = v.as_object()?.get(key)?;
    }
    Some(v)
}

fn set(obj: &mut Map<String, Value>, path: &FieldPath, value: Value) {
    let Some((last, parents)) = path.0.split_last() else {
        return;
    };
    let mut at = obj;
    for key in parents {
        let slot = at
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        at = next;
    }
    at.insert(last.clone(), value);
}

/// The value at `path` of a JSON record, as text (strings unquoted); empty when absent.
fn value_at(record: &str, path: &FieldPath) -> String {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(record) else {
        return String::new();
    };
    match get(&obj, path) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Rewrites a record read with `from` so that the dump's mapping `to` (and its id field) reads
/// it: the id, input and output move to the dump's field names; every other top-level field of
/// the record stays as it is.
pub fn reshape(
    record: &str,
    from: &FieldMapping,
    to: &FieldMapping,
    to_id: Option<&FieldPath>,
) -> Option<String> {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(record) else {
        return None;
    };
    let mut out = Map::new();
    let moves = [
        (from.id.as_ref(), to_id),
        (from.input.as_ref(), to.input.as_ref()),
        (from.output.as_ref(), to.output.as_ref()),
    ];
    for (source, target) in moves {
        if let (Some(source), Some(target)) = (source, target)
            && let Some(v) = get(&obj, source)
        {
            set(&mut out, target, v.clone());
        }
    }
    let moved = |key: &str| {
        moves
            .iter()
            .any(|(s, t)| t.is_some() && s.is_some_and(|s| s.0.first().is_some_and(|k| k == key)))
    };
    for (key, v) in &obj {
        if !moved(key) && !out.contains_key(key) {
            out.insert(key.clone(), v.clone());
        }
    }
    serde_json::to_string(&Value::Object(out)).ok()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn source(name: &str, text: &str) -> Source {
        Source::new(name, text.as_bytes().to_vec())
    }

    #[test]
    fn overlapping_dumps_add_only_new_ids() {
        let old = load::load_bytes(
            "week1.jsonl",
            b"{\"id\":\"a\",\"input\":\"1\"}\n{\"id\":\"b\",\"input\":\"2\"}\n".to_vec(),
        )
        .unwrap();
        let new = source(
            "week2.jsonl",
            "{\"id\":\"b\",\"input\":\"2 again\"}\n{\"id\":\"c\",\"input\":\"3\"}\n{\"id\":\"c\",\"input\":\"3 dup\"}\nnot json\n",
        );
        let (loaded, stats) = append(
            &old.store,
            vec![new],
            "2026-W48",
            None,
            &Progress::default(),
            1,
        )
        .unwrap();
        assert_eq!(stats.added, ["c"]);
        assert_eq!(stats.duplicates, 2);
        assert_eq!(stats.skipped_lines, 1);
        assert_eq!(stats.kept.len(), 1);
        assert_eq!(stats.kept[0].0, "2026-W48");
        assert_eq!(stats.kept[0].1, "{\"id\":\"c\",\"input\":\"3\"}\n");
        let s = &loaded.store;
        assert_eq!(s.len(), 3);
        assert_eq!(s.id(2), "c");
        assert_eq!(s.identity, Identity::Field("id".into()));
        let file = s.column_index(load::FILE_COLUMN).unwrap();
        assert_eq!(s.cell(2, file).as_deref(), Some("2026-W48"));
        assert_eq!(s.cell(0, file).as_deref(), Some("week1.jsonl"));
        // the batch is a column like any metadata: null for the dump's own traces
        let batch = s.column_index(load::BATCH_COLUMN).unwrap();
        assert_eq!(s.cell(2, batch).as_deref(), Some("2026-W48"));
        assert_eq!(s.cell(0, batch), None);
        // and it survives a second append (the store gives its sources back with their batch)
        let (again, _) = append(
            s,
            vec![source("w49.jsonl", "{\"id\":\"d\",\"input\":\"4\"}\n")],
            "2026-W49",
            None,
            &Progress::default(),
            1,
        )
        .unwrap();
        let batch = again.store.column_index(load::BATCH_COLUMN).unwrap();
        let cells: Vec<_> = (0..4).map(|r| again.store.cell(r, batch)).collect();
        assert_eq!(
            cells,
            [
                None,
                None,
                Some("2026-W48".to_owned()),
                Some("2026-W49".to_owned())
            ]
        );
    }

    #[test]
    fn content_hash_identity_dedups_identical_records() {
        let old = load::load_bytes("a.jsonl", b"{\"input\":\"x\"}\n".to_vec()).unwrap();
        let new = source("b.jsonl", "{\"input\":\"x\"}\n{\"input\":\"y\"}\n");
        let (loaded, stats) =
            append(&old.store, vec![new], "b", None, &Progress::default(), 1).unwrap();
        assert_eq!((stats.added.len(), stats.duplicates), (1, 1));
        assert_eq!(loaded.store.len(), 2);
        assert_eq!(loaded.store.id(1), stats.added[0]);
    }

    #[test]
    fn kept_batches_restore_with_their_names() {
        let old =
            load::load_bytes("a.jsonl", b"{\"id\":\"a\",\"input\":\"1\"}\n".to_vec()).unwrap();
        let mut w48 = source("kept/2026-W48.jsonl", "{\"id\":\"b\",\"input\":\"2\"}\n");
        w48.batch = Some("2026-W48".into());
        let mut w49 = source("kept/2026-W49.jsonl", "{\"id\":\"c\",\"input\":\"3\"}\n");
        w49.batch = Some("2026-W49".into());
        let (loaded, stats) = append(
            &old.store,
            vec![w48, w49],
            "unused",
            Some(&old.store.mapping),
            &Progress::default(),
            1,
        )
        .unwrap();
        assert_eq!(stats.added, ["b", "c"]);
        let names: Vec<&str> = stats.kept.iter().map(|(b, _)| b.as_str()).collect();
        assert_eq!(names, ["2026-W48", "2026-W49"]);
        let batch = loaded.store.column_index(load::BATCH_COLUMN).unwrap();
        assert_eq!(loaded.store.cell(2, batch).as_deref(), Some("2026-W49"));
    }

    #[test]
    fn a_differently_shaped_file_is_refused_then_mapped() {
        let old = load::load_bytes(
            "old.jsonl",
            b"{\"id\":\"a\",\"question\":\"q1\",\"answer\":\"a1\",\"model\":\"m\"}\n{\"id\":\"b\",\"question\":\"q2\",\"answer\":\"a2\",\"model\":\"m\"}\n".to_vec(),
        )
        .unwrap();
        assert_eq!(old.store.mapping.input, Some(FieldPath::top("question")));
        let new = source(
            "new.jsonl",
            "{\"trace_id\":\"c\",\"prompt\":\"q3\",\"completion\":\"a3\",\"model\":\"n\"}\n{\"trace_id\":\"a\",\"prompt\":\"q1\",\"completion\":\"a1\",\"model\":\"n\"}\n",
        );
        let result = append(
            &old.store,
            vec![new.clone()],
            "w",
            None,
            &Progress::default(),
            1,
        );
        let Err(AppendError::ShapeDiffers(diff)) = result else {
            panic!("expected a shape difference");
        };
        assert_eq!(
            diff.reasons,
            [
                "`id` (the dump's id) is missing in 2 of 2 new records",
                "`question` (the dump's input) is missing in 2 of 2 new records",
                "`answer` (the dump's output) is missing in 2 of 2 new records",
            ]
        );
        assert!(diff.paths.contains(&FieldPath::top("prompt")));
        // the user maps the new file's fields: records are rewritten to the dump's names
        let mapping = FieldMapping {
            id: Some(FieldPath::top("trace_id")),
            input: Some(FieldPath::top("prompt")),
            output: Some(FieldPath::top("completion")),
            split_conversation: false,
            group_by: None,
            grouping_chosen: false,
        };
        let (loaded, stats) = append(
            &old.store,
            vec![new],
            "w",
            Some(&mapping),
            &Progress::default(),
            1,
        )
        .unwrap();
        assert_eq!(stats.added, ["c"]);
        assert_eq!(stats.duplicates, 1);
        let s = &loaded.store;
        assert_eq!(s.identity, Identity::Field("id".into()));
        assert_eq!(s.id(2), "c");
        assert_eq!(s.raw_input(2), Some("\"q3\""));
        assert_eq!(s.raw_output(2), Some("\"a3\""));
        assert_eq!(
            s.raw_record(2),
            r#"{"id":"c","question":"q3","answer":"a3","model":"n"}"#
        );
    }

    #[test]
    fn reshape_builds_nested_targets() {
        let from = FieldMapping {
            id: Some(FieldPath::top("span")),
            input: Some(FieldPath::of(&["in", "text"])),
            output: Some(FieldPath::top("out")),
            split_conversation: false,
            group_by: None,
            grouping_chosen: false,
        };
        let to = FieldMapping {
            id: None,
            input: Some(FieldPath::of(&["attributes", "input.value"])),
            output: Some(FieldPath::of(&["attributes", "output.value"])),
            split_conversation: false,
            group_by: None,
            grouping_chosen: false,
        };
        let r = reshape(
            r#"{"span":"s9","in":{"text":"hi"},"out":"yo","extra":1}"#,
            &from,
            &to,
            Some(&FieldPath::top("span_id")),
        )
        .unwrap();
        assert_eq!(
            r,
            r#"{"span_id":"s9","attributes":{"input.value":"hi","output.value":"yo"},"extra":1}"#
        );
        assert_eq!(reshape("not json", &from, &to, None), None);
    }
}
