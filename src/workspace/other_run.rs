//! Another run of the same traces (the run after a fix, another model), opened beside the dump
//! to compare outputs: each trace is matched to the other run's trace with the same id, else to
//! the one with the same input. No egui.

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};

use crate::trace::TraceStore;
use crate::trace::content::{self, Content};
use crate::trace::load::Loaded;

/// Runs larger than this are matched by id only (matching by input reads every trace's input).
pub const INPUT_MATCH_MAX_TRACES: usize = 200_000;

/// How a trace found its counterpart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    /// The same trace id.
    Id,
    /// The same input text.
    Input,
}

/// The other run, indexed by trace id and (built on first need) by input.
pub struct OtherRun {
    /// Its name (file names or URL).
    pub name: String,
    /// Its traces.
    pub store: TraceStore,
    by_id: HashMap<String, u32>,
    by_input: Option<HashMap<u64, u32>>,
}

/// Both sides of row `row` of `store`, as displayable content.
pub fn row_contents(store: &TraceStore, row: u32) -> (Content, Content) {
    let row = row as usize;
    if store.mapping.split_conversation {
        content::split_conversation(store.raw_input(row))
    } else {
        (
            content::from_raw(store.raw_input(row)),
            content::from_raw(store.raw_output(row)),
        )
    }
}

/// The key a trace's input is matched by: its text, whitespace-trimmed, hashed.
fn input_key(input: &Content) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content::plain_text(input).trim().hash(&mut h);
    h.finish()
}

impl OtherRun {
    /// The other run of a finished load.
    pub fn new(loaded: Loaded, name: String) -> OtherRun {
        let store = loaded.store;
        let mut by_id = HashMap::with_capacity(store.len());
        for r in 0..store.len() {
            // the first trace with an id wins, as in the dump
            by_id
                .entry(store.id(r).to_owned())
                .or_insert(u32::try_from(r).unwrap_or(u32::MAX));
        }
        OtherRun {
            name,
            store,
            by_id,
            by_input: None,
        }
    }

    /// The other run's trace for a trace with `id` and `input`: the same id, else the same
    /// input (for runs up to [`INPUT_MATCH_MAX_TRACES`]).
    pub fn counterpart(&mut self, id: &str, input: &Content) -> Option<(u32, Matched)> {
        if let Some(&r) = self.by_id.get(id) {
            return Some((r, Matched::Id));
        }
        if self.store.len() > INPUT_MATCH_MAX_TRACES {
            return None;
        }
        let store = &self.store;
        let by_input = self.by_input.get_or_insert_with(|| {
            let mut m = HashMap::with_capacity(store.len());
            for r in 0..store.len() {
                let r = u32::try_from(r).unwrap_or(u32::MAX);
                m.entry(input_key(&row_contents(store, r).0)).or_insert(r);
            }
            m
        });
        by_input
            .get(&input_key(input))
            .map(|&r| (r, Matched::Input))
    }

    /// Whether the other run has a trace with `id`.
    pub fn has_id(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The output of the other run's trace `row`.
    pub fn output(&self, row: u32) -> Content {
        row_contents(&self.store, row).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::load::load_bytes;

    #[test]
    fn traces_are_matched_by_id_then_by_input() {
        let before = load_bytes(
            "before.jsonl",
            concat!(
                r#"{"trace_id":"a","input":"When is rent due?","output":"On the 5th."}"#,
                "\n",
                r#"{"trace_id":"old-b","input":"Do you allow cats?","output":"No pets."}"#,
                "\n"
            )
            .as_bytes()
            .to_vec(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut other = OtherRun::new(before, "before.jsonl".into());
        let text = |s: &str| Content::Text(s.to_owned());
        let (row, how) = other
            .counterpart("a", &text("anything"))
            .unwrap_or_else(|| panic!("a by id"));
        assert_eq!((row, how), (0, Matched::Id));
        assert_eq!(
            crate::trace::content::plain_text(&other.output(row)),
            "On the 5th."
        );
        // a new id, the same input (whitespace aside)
        assert_eq!(
            other.counterpart("new-b", &text("  Do you allow cats?\n")),
            Some((1, Matched::Input))
        );
        assert_eq!(other.counterpart("c", &text("Is parking free?")), None);
    }
}
