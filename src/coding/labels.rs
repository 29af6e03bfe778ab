//! Annotations as an append-only event log: one JSON object a line; the latest event per trace
//! is its state. Replay tolerates (and reports) a torn last line and hand-edited junk.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// A human verdict on a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The trace is fine.
    Pass,
    /// Something went wrong; the Pareto counts these.
    Fail,
}

/// One annotation event (schema in DESIGN.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelEvent {
    /// The trace's identity.
    pub trace_id: String,
    /// Pass, fail, or `None` (unreviewed).
    pub verdict: Option<Verdict>,
    /// The expert's open-coding note.
    #[serde(default)]
    pub note: String,
    /// Categories (tags) given to the trace.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Who wrote it.
    #[serde(default)]
    pub author: String,
    /// When, RFC 3339 UTC.
    #[serde(default)]
    pub at: String,
    /// The codebook version it was made under.
    #[serde(default)]
    pub codebook_version: u32,
    /// The review batch, if any.
    #[serde(default)]
    pub batch: Option<String>,
    /// Categories suggested by an accepted axial-coding proposal, not yet confirmed by the
    /// expert (never counted until confirmed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggested: Vec<String>,
    /// Where the trace first went wrong: the id of the span the expert marked (agent traces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// That span's name, as it was when marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_name: Option<String>,
}

impl LabelEvent {
    /// Whether the trace carries at least one category.
    pub fn is_coded(&self) -> bool {
        !self.categories.is_empty()
    }

    /// Whether the trace has a verdict.
    pub fn is_reviewed(&self) -> bool {
        self.verdict.is_some()
    }

    /// Whether the event says nothing (no verdict, note or category).
    pub fn is_blank(&self) -> bool {
        self.verdict.is_none() && self.note.trim().is_empty() && self.categories.is_empty()
    }

    /// Same annotation content (ignores author, time and version).
    pub fn same_content(&self, other: &LabelEvent) -> bool {
        self.verdict == other.verdict
            && self.note == other.note
            && self.categories == other.categories
            && self.batch == other.batch
            && self.suggested == other.suggested
            && self.span_id == other.span_id
            && self.span_name == other.span_name
    }
}

/// A line of a label log that could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct LogProblem {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
    /// Whether it was the last line with no newline (a write cut short by a crash).
    pub torn: bool,
}

/// All label events and the latest state per trace, with counts kept up to date on every push
/// (so that statistics and the Pareto cost O(distinct label combinations), not O(traces)).
#[derive(Clone, Debug, Default)]
pub struct Labels {
    events: Vec<LabelEvent>,
    latest: HashMap<String, usize>,
    /// (verdict, sorted categories, has a note) → traces in that state.
    combos: HashMap<Combo, usize>,
    /// Trace ids in the order they were first coded (for saturation).
    coded_order: Vec<String>,
    coded_seen: std::collections::HashSet<String>,
    /// Labelled ids that are not in the dump: kept and exported, never counted.
    unknown: std::collections::HashSet<String>,
    /// Derived from the latest states on demand; reset by every push.
    saturation: std::sync::OnceLock<Saturation>,
}

/// A label state as far as counts are concerned.
pub type Combo = (Option<Verdict>, Vec<String>);

/// The combination a label state counts under: its verdict and its sorted, deduplicated
/// categories (the one rule for every count).
pub fn combo_of(ev: &LabelEvent) -> Combo {
    let mut cats = ev.categories.clone();
    cats.sort();
    cats.dedup();
    (ev.verdict, cats)
}

impl Labels {
    /// Replays a log's text. Unreadable lines are skipped and reported.
    pub fn replay(text: &str) -> (Labels, Vec<LogProblem>) {
        let mut labels = Labels::default();
        let mut problems = Vec::new();
        let ends_with_newline = text.ends_with('\n');
        let lines: Vec<&str> = text.split('\n').collect();
        let last = lines.len().saturating_sub(1);
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            match serde_json::from_str::<LabelEvent>(t) {
                Ok(ev) if !ev.trace_id.is_empty() => labels.push(ev),
                Ok(_) => problems.push(LogProblem {
                    line: i + 1,
                    reason: "no trace_id".to_owned(),
                    torn: false,
                }),
                Err(e) => problems.push(LogProblem {
                    line: i + 1,
                    reason: e.to_string(),
                    torn: i == last && !ends_with_newline,
                }),
            }
        }
        (labels, problems)
    }

    /// Adds an event (it becomes the trace's state). Events for ids marked unknown (not in
    /// the dump) are kept but not counted.
    pub fn push(&mut self, ev: LabelEvent) {
        let counted = !self.unknown.contains(&ev.trace_id);
        if counted {
            if let Some(&old) = self.latest.get(&ev.trace_id)
                && let Some(prev) = self.events.get(old)
            {
                let key = combo_of(prev);
                if let Some(n) = self.combos.get_mut(&key) {
                    *n -= 1;
                    if *n == 0 {
                        self.combos.remove(&key);
                    }
                }
            }
            *self.combos.entry(combo_of(&ev)).or_insert(0) += 1;
            if ev.is_coded() && self.coded_seen.insert(ev.trace_id.clone()) {
                self.coded_order.push(ev.trace_id.clone());
            }
        }
        self.saturation = std::sync::OnceLock::new();
        self.latest.insert(ev.trace_id.clone(), self.events.len());
        self.events.push(ev);
    }

    /// Marks the labelled ids for which `in_dump` is false as not in this dump: their labels
    /// are kept (and exported) but count in no figure. Returns them, sorted.
    pub fn exclude_unknown(&mut self, in_dump: impl Fn(&str) -> bool) -> Vec<String> {
        let mut unknown: Vec<String> = self
            .latest
            .keys()
            .filter(|id| !in_dump(id))
            .cloned()
            .collect();
        unknown.sort();
        let events = std::mem::take(&mut self.events);
        *self = Labels {
            unknown: unknown.iter().cloned().collect(),
            ..Labels::default()
        };
        for ev in events {
            self.push(ev);
        }
        unknown
    }

    /// Labelled ids that are not in the dump (see [`Labels::exclude_unknown`]).
    pub fn unknown_count(&self) -> usize {
        self.unknown.len()
    }

    /// Traces per label state (verdict, sorted categories).
    pub fn combos(&self) -> &HashMap<Combo, usize> {
        &self.combos
    }

    /// The saturation counter and discovery curve, over the traces' current categories in the
    /// order the traces were first coded: a renamed, merged or deleted category changes it as
    /// if it had always been so (deleting a category undoes the reset it caused).
    pub fn saturation(&self) -> &Saturation {
        self.saturation.get_or_init(|| {
            Saturation::over(
                self.coded_order
                    .iter()
                    .filter_map(|id| self.get(id))
                    .filter(|e| e.is_coded()),
            )
        })
    }

    /// Number of traces with a label.
    pub fn len(&self) -> usize {
        self.latest.len()
    }

    /// Whether no trace has a label.
    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// The current state of a trace.
    pub fn get(&self, trace_id: &str) -> Option<&LabelEvent> {
        self.latest.get(trace_id).and_then(|&i| self.events.get(i))
    }

    /// Every event in log order.
    pub fn events(&self) -> &[LabelEvent] {
        &self.events
    }

    /// The latest state of every trace in log order (when each was last changed): no sort, no
    /// allocation, for the per-frame paths.
    pub fn latest_in_log_order(&self) -> impl Iterator<Item = &LabelEvent> {
        self.events
            .iter()
            .enumerate()
            .filter(|(i, e)| self.latest.get(&e.trace_id) == Some(i))
            .map(|(_, e)| e)
    }

    /// The latest state of every trace, sorted by trace id (deterministic exports).
    pub fn latest(&self) -> Vec<&LabelEvent> {
        let mut v: Vec<&LabelEvent> = self
            .latest
            .values()
            .filter_map(|&i| self.events.get(i))
            .collect();
        v.sort_by(|a, b| a.trace_id.cmp(&b.trace_id));
        v
    }

    /// The log compacted to the latest state per trace, as JSONL text.
    pub fn compacted_jsonl(&self) -> String {
        let mut out = String::new();
        for ev in self.latest() {
            if let Ok(line) = serde_json::to_string(ev) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Counts of the latest states (from the kept combination counts).
    pub fn stats(&self) -> LabelStats {
        let mut s = LabelStats::default();
        for ((verdict, cats), &n) in &self.combos {
            match verdict {
                Some(Verdict::Pass) => s.passed += n,
                Some(Verdict::Fail) => s.failed += n,
                None => {}
            }
            if verdict.is_some() {
                s.reviewed += n;
            }
            if !cats.is_empty() {
                s.coded += n;
            }
            for c in cats {
                *s.categories.entry(c.clone()).or_insert(0) += n;
            }
        }
        s
    }

    /// Events that rewrite every trace's categories through `map` (rename, merge, delete),
    /// for the traces whose categories change.
    pub fn relabel(
        &self,
        map: impl Fn(&str) -> Option<String>,
        author: &str,
        at: &str,
        version: u32,
    ) -> Vec<LabelEvent> {
        let mut out = Vec::new();
        for ev in self.latest() {
            let mut cats: Vec<String> = Vec::new();
            for c in &ev.categories {
                if let Some(n) = map(c)
                    && !cats.contains(&n)
                {
                    cats.push(n);
                }
            }
            if cats != ev.categories {
                out.push(LabelEvent {
                    categories: cats,
                    author: author.to_owned(),
                    at: at.to_owned(),
                    codebook_version: version,
                    ..ev.clone()
                });
            }
        }
        out
    }
}

/// Counts over the latest label states.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LabelStats {
    /// Traces with a verdict.
    pub reviewed: usize,
    /// Traces that pass.
    pub passed: usize,
    /// Traces that fail.
    pub failed: usize,
    /// Traces with at least one category.
    pub coded: usize,
    /// Category → traces carrying it (sorted by name).
    pub categories: BTreeMap<String, usize>,
}

/// Saturation: how many coded traces in a row added no new category, and the discovery curve.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saturation {
    /// Coded traces since the last new category.
    pub since_last_new: usize,
    /// `(traces coded so far, distinct categories so far)` after each newly coded trace.
    pub curve: Vec<(usize, usize)>,
}

impl Saturation {
    /// Over events in log order (see [`Labels::saturation`]).
    pub fn of(events: &[LabelEvent]) -> Saturation {
        let mut labels = Labels::default();
        for ev in events {
            labels.push(ev.clone());
        }
        labels.saturation().clone()
    }

    /// Over coded states in the order their traces were first coded: a category is new when
    /// no earlier trace carries it; the curve has a point per coded trace.
    fn over<'a>(coded: impl Iterator<Item = &'a LabelEvent>) -> Saturation {
        let mut seen: std::collections::HashSet<&str> = Default::default();
        let mut s = Saturation::default();
        for (i, ev) in coded.enumerate() {
            let mut new_category = false;
            for c in &ev.categories {
                new_category |= seen.insert(c.as_str());
            }
            if new_category {
                s.since_last_new = 0;
            } else {
                s.since_last_new += 1;
            }
            s.curve.push((i + 1, seen.len()));
        }
        s
    }

    /// Whether `threshold` coded traces in a row added nothing new.
    pub fn reached(&self, threshold: usize) -> bool {
        threshold > 0 && self.since_last_new >= threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ev(id: &str, verdict: Option<Verdict>, cats: &[&str]) -> LabelEvent {
        LabelEvent {
            trace_id: id.into(),
            verdict,
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn replay_latest_wins_and_torn_line_is_reported() {
        let text = concat!(
            r#"{"trace_id":"a","verdict":"fail","note":"bad date","categories":["wrong date"],"author":"sam","at":"2026-11-26T10:00:00Z","codebook_version":1,"batch":null}"#,
            "\n",
            r#"{"trace_id":"b","verdict":"pass"}"#,
            "\n",
            r#"{"trace_id":"a","verdict":"fail","note":"bad date again","categories":[]}"#,
            "\n",
            r#"{"trace_id":"c","verd"#
        );
        let (labels, problems) = Labels::replay(text);
        assert_eq!(labels.events().len(), 3);
        assert_eq!(labels.get("a").unwrap().note, "bad date again");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].torn);
        let (_, problems) = Labels::replay("junk\n{\"trace_id\":\"x\"}\n");
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].torn);
    }

    #[test]
    fn compaction_keeps_latest_sorted() {
        let mut l = Labels::default();
        l.push(ev("b", Some(Verdict::Pass), &[]));
        l.push(ev("a", Some(Verdict::Fail), &["x"]));
        l.push(ev("b", Some(Verdict::Fail), &["y"]));
        let text = l.compacted_jsonl();
        let (again, problems) = Labels::replay(&text);
        assert!(problems.is_empty());
        assert_eq!(again.events().len(), 2);
        assert_eq!(again.events()[0].trace_id, "a");
        assert_eq!(again.get("b").unwrap().categories, ["y"]);
        let s = again.stats();
        assert_eq!((s.reviewed, s.passed, s.failed, s.coded), (2, 0, 2, 2));
        // incremental counts equal a recount after replacing states
        assert_eq!(l.stats(), again.stats());
    }

    #[test]
    fn relabel_merges_and_dedups() {
        let mut l = Labels::default();
        l.push(ev("a", Some(Verdict::Fail), &["x", "y"]));
        l.push(ev("b", Some(Verdict::Fail), &["z"]));
        let out = l.relabel(
            |c| {
                Some(if c == "x" {
                    "y".to_owned()
                } else {
                    c.to_owned()
                })
            },
            "sam",
            "t",
            3,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].categories, ["y"]);
        assert_eq!(out[0].codebook_version, 3);
        let out = l.relabel(|c| (c != "z").then(|| c.to_owned()), "sam", "t", 4);
        assert_eq!(out.len(), 1);
        assert!(out[0].categories.is_empty());
    }

    #[test]
    fn saturation_counts_coded_traces_since_the_last_new_category() {
        let events = vec![
            ev("1", Some(Verdict::Fail), &["a"]),
            ev("2", Some(Verdict::Fail), &["a"]),
            ev("3", Some(Verdict::Pass), &[]),
            ev("2", Some(Verdict::Fail), &["a"]), // re-coding a trace does not count again
            ev("4", Some(Verdict::Fail), &["b"]),
            ev("5", Some(Verdict::Fail), &["a", "b"]),
            ev("6", Some(Verdict::Fail), &["b"]),
        ];
        let s = Saturation::of(&events);
        let mut l = Labels::default();
        for e in &events {
            l.push(e.clone());
        }
        assert_eq!(l.saturation(), &s, "incremental = recomputed");
        assert_eq!(s.since_last_new, 2);
        assert_eq!(s.curve, [(1, 1), (2, 1), (3, 2), (4, 2), (5, 2)]);
        assert!(s.reached(2));
        assert!(!s.reached(3));
        assert!(!s.reached(0));
    }

    #[test]
    fn the_curve_counts_categories_added_to_traces_already_coded() {
        let mut l = Labels::default();
        l.push(ev("1", Some(Verdict::Fail), &["a"]));
        l.push(ev("2", Some(Verdict::Fail), &["b"]));
        l.push(ev("3", Some(Verdict::Fail), &["c"]));
        l.push(ev("4", Some(Verdict::Fail), &["a"]));
        // a fourth category on a trace coded before
        l.push(ev("2", Some(Verdict::Fail), &["b", "d"]));
        let s = l.saturation();
        assert_eq!(s.curve.last(), Some(&(4, 4)), "{:?}", s.curve);
    }

    #[test]
    fn deleting_a_category_undoes_the_reset_it_caused() {
        let mut l = Labels::default();
        for i in 0..5 {
            l.push(ev(&i.to_string(), Some(Verdict::Fail), &["a"]));
        }
        l.push(ev("5", Some(Verdict::Fail), &["a", "oops"]));
        l.push(ev("6", Some(Verdict::Fail), &["a"]));
        assert_eq!(l.saturation().since_last_new, 1);
        // "oops" is deleted: the traces are relabelled without it
        for e in l.relabel(|c| (c != "oops").then(|| c.to_owned()), "ana", "t", 2) {
            l.push(e);
        }
        assert_eq!(l.saturation().since_last_new, 6);
    }

    #[test]
    fn labels_of_traces_not_in_the_dump_count_nowhere() {
        let mut l = Labels::default();
        l.push(ev("in", Some(Verdict::Fail), &["a"]));
        l.push(ev("gone", Some(Verdict::Fail), &["a", "b"]));
        let unknown = l.exclude_unknown(|id| id == "in");
        assert_eq!(unknown, ["gone"]);
        let s = l.stats();
        assert_eq!((s.reviewed, s.failed, s.coded), (1, 1, 1));
        assert_eq!(s.categories.get("b"), None);
        assert_eq!(l.saturation().curve, [(1, 1)]);
        // kept: exported and shown as unknown
        assert!(l.get("gone").is_some());
        l.push(ev("gone", Some(Verdict::Pass), &[]));
        assert_eq!(l.stats().reviewed, 1);
        assert_eq!(l.unknown_count(), 1);
    }
}
