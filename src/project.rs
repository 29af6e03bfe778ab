//! An open project: the labels, codebook and project file of one dump, with their storage and
//! the statistics derived from them. The app's coding actions go through here; no egui.

use std::collections::HashSet;

use crate::coding::labels::{LabelStats, LogProblem};
use crate::coding::{Codebook, LabelEvent, Labels, Saturation, Verdict};
use crate::persist::{Opened, PersistError, ProjectFile, ProjectStore};

/// Default saturation threshold: 20 coded traces in a row with no new category.
pub const DEFAULT_SATURATION: usize = 20;

/// Labels, codebook and project file of one dump.
pub struct Project {
    /// Where they are kept.
    pub store: ProjectStore,
    /// Every label event.
    pub labels: Labels,
    /// The codebook.
    pub codebook: Codebook,
    /// `project.json`.
    pub file: ProjectFile,
    /// Unreadable label-log lines found on open.
    pub problems: Vec<LogProblem>,
    /// Counts of the latest states.
    pub stats: LabelStats,
    /// Labelled trace ids that are not in the dump (kept, counted).
    pub unknown_ids: usize,
    file_saved: bool,
}

/// Whether a trace still needs coding against `codebook`: unlabelled, uncoded, or coded before
/// a change that asks its categories to be coded again (a split or a new description of one of
/// them, an imported codebook; see [`Codebook::recode_version`]).
pub fn needs_coding(state: Option<&LabelEvent>, codebook: &Codebook) -> bool {
    state.is_none_or(|e| !e.is_coded() || needs_recoding(e, codebook))
}

/// Whether a coded trace was coded before a change that touches one of its categories.
pub fn needs_recoding(e: &LabelEvent, codebook: &Codebook) -> bool {
    e.codebook_version < codebook.recode_version(&e.categories)
}

/// Whether a trace belongs in structured coding: it failed or was coded.
pub fn in_structured_scope(state: Option<&LabelEvent>) -> bool {
    state.is_some_and(|e| e.verdict == Some(Verdict::Fail) || e.is_coded())
}

impl Project {
    /// Builds a project from what its storage held; `ids` are the dump's trace ids.
    pub fn new(store: ProjectStore, opened: Opened, ids: &HashSet<&str>) -> Project {
        let mut file = opened.project;
        if file.saturation_threshold == 0 {
            file.saturation_threshold = DEFAULT_SATURATION;
        }
        let mut p = Project {
            store,
            labels: opened.labels,
            codebook: opened.codebook,
            file,
            problems: opened.problems,
            stats: LabelStats::default(),
            unknown_ids: 0,
            file_saved: false,
        };
        p.unknown_ids = p.labels.exclude_unknown(|id| ids.contains(id)).len();
        p.refresh();
        p
    }

    /// Recounts the labelled traces that are not in `store` (after an import or an append).
    pub fn recount_unknown(&mut self, store: &crate::trace::TraceStore) {
        self.unknown_ids = self
            .labels
            .exclude_unknown(|id| store.row_of_id(id).is_some())
            .len();
        self.refresh();
    }

    /// Recomputes the derived statistics.
    pub fn refresh(&mut self) {
        self.stats = self.labels.stats();
    }

    /// Saturation counter and discovery curve (kept by the labels as events arrive).
    pub fn saturation(&self) -> &Saturation {
        self.labels.saturation()
    }

    /// The current state of a trace.
    pub fn state(&self, trace_id: &str) -> Option<&LabelEvent> {
        self.labels.get(trace_id)
    }

    /// Records an event: in memory at once, and on disk (an error keeps it pending in memory).
    pub fn record(&mut self, ev: LabelEvent) -> Result<(), PersistError> {
        self.save_file_once();
        let result = self.store.append(&ev);
        self.labels.push(ev);
        self.refresh();
        result
    }

    /// Records several events (a relabel after a codebook change).
    pub fn record_all(&mut self, events: Vec<LabelEvent>) -> Result<(), PersistError> {
        if !events.is_empty() {
            self.save_file_once();
        }
        let mut result = Ok(());
        for ev in events {
            if let Err(e) = self.store.append(&ev) {
                result = Err(e);
            }
            self.labels.push(ev);
        }
        self.refresh();
        result
    }

    /// Saves the codebook.
    pub fn save_codebook(&mut self) -> Result<(), PersistError> {
        self.save_file_once();
        self.store.save_codebook(&self.codebook)
    }

    /// Writes `project.json` with the first change, so that opening a dump leaves no folder.
    fn save_file_once(&mut self) {
        if !self.file_saved {
            self.file_saved = self.store.save_project(&self.file).is_ok();
        }
    }

    /// Merges a labels JSONL (an import, a colleague's file): a trace's incoming state is taken
    /// when it is new here or newer (`at`) than ours; differing states are conflicts. Returns
    /// `(taken, conflicts, unreadable lines)`; the caller recounts traces the dump lacks.
    pub fn merge_labels(&mut self, text: &str) -> (Result<(), PersistError>, usize, usize, usize) {
        let (incoming, problems) = Labels::replay(text);
        let mut taken = Vec::new();
        let mut conflicts = 0;
        for ev in incoming.latest() {
            match self.state(&ev.trace_id) {
                Some(mine) if mine.same_content(ev) => {}
                Some(mine) => {
                    conflicts += 1;
                    if ev.at > mine.at {
                        taken.push(ev.clone());
                    }
                }
                None => taken.push(ev.clone()),
            }
        }
        let n = taken.len();
        (self.record_all(taken), n, conflicts, problems.len())
    }

    /// Accepts a reviewed proposal: its new categories enter the codebook as one version, and
    /// each trace whose note a category claims gets that category as a suggestion (confirmed or
    /// rejected by the expert; never counted until confirmed). Returns `(categories added,
    /// traces with suggestions)`.
    pub fn accept_proposal(
        &mut self,
        proposal: &crate::llm::proposal::Proposal,
        source: &str,
        author: &str,
        at: &str,
    ) -> (Result<(), PersistError>, usize, usize) {
        let accepted: Vec<(String, String)> = proposal
            .categories
            .iter()
            .map(|c| (c.name.clone(), c.description.clone()))
            .collect();
        // each category's absorbed tags (other than itself): the expert's own codes
        let absorbed: Vec<(String, Vec<String>)> = proposal
            .categories
            .iter()
            .map(|c| {
                let name = c.name.trim().to_owned();
                let tags = c
                    .tags
                    .iter()
                    .filter(|t| t.trim() != name)
                    .cloned()
                    .collect();
                (name, tags)
            })
            .collect();
        let added = self
            .codebook
            .accept_proposal(&accepted, &absorbed, source, author, at);
        let version = self.codebook.version;
        let mut events = Vec::new();
        for ev in self.labels.latest() {
            // a trace the expert tagged is confirmed under the category its tag went to
            let mut categories: Vec<String> = Vec::new();
            for c in &ev.categories {
                let to = absorbed
                    .iter()
                    .find(|(_, tags)| tags.contains(c))
                    .map_or(c, |(to, _)| to);
                if !categories.contains(to) {
                    categories.push(to.clone());
                }
            }
            // a note the proposal claimed suggests its category
            let note = ev.note.trim();
            let suggested: Vec<String> = proposal
                .categories
                .iter()
                .filter(|c| !note.is_empty() && c.examples.iter().any(|e| e.trim() == note))
                .map(|c| c.name.trim().to_owned())
                .filter(|c| !categories.contains(c))
                .collect();
            let suggested = if suggested.is_empty() {
                ev.suggested.clone()
            } else {
                suggested
            };
            if categories != ev.categories || suggested != ev.suggested {
                events.push(LabelEvent {
                    codebook_version: if categories == ev.categories {
                        ev.codebook_version
                    } else {
                        version
                    },
                    categories,
                    suggested,
                    author: author.to_owned(),
                    at: at.to_owned(),
                    ..ev.clone()
                });
            }
        }
        // the traces left with suggestions to confirm or reject (a relabel alone is not one)
        let n = events.iter().filter(|e| !e.suggested.is_empty()).count();
        let saved = self.save_codebook();
        let recorded = self.record_all(events);
        (saved.and(recorded), added, n)
    }

    /// The tags the expert coined while open coding: codebook categories with no description yet.
    pub fn tags(&self) -> Vec<String> {
        self.codebook
            .categories
            .iter()
            .filter(|c| c.description.trim().is_empty())
            .map(|c| c.name.clone())
            .collect()
    }

    /// Every open-coding note, once each, in trace-id order (what axial coding clusters).
    pub fn notes(&self) -> Vec<String> {
        self.notes_with_categories()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// Every note once, with the categories of the trace that carries it first.
    pub fn notes_with_categories(&self) -> Vec<(String, Vec<String>)> {
        let mut seen = HashSet::new();
        self.labels
            .latest()
            .into_iter()
            .filter(|e| !e.note.trim().is_empty() && seen.insert(e.note.trim().to_owned()))
            .map(|e| (e.note.trim().to_owned(), e.categories.clone()))
            .collect()
    }

    /// What axial coding groups: free notes, coined tags with their notes, and the codebook's
    /// described categories with the notes coded under them.
    pub fn axial_input(&self) -> crate::coding::cluster::AxialInput {
        crate::coding::cluster::axial_input(&self.notes_with_categories(), &self.codebook)
    }

    /// The offline proposal against the codebook: notes of coded traces keep their category,
    /// the rest are clustered into candidates. `None` when there are no notes.
    pub fn offline_proposal(&self) -> Option<crate::llm::proposal::Proposal> {
        let pairs = self.notes_with_categories();
        let tags = self
            .codebook
            .categories
            .iter()
            .any(|c| c.description.trim().is_empty());
        (!pairs.is_empty() || tags)
            .then(|| crate::coding::cluster::cluster_against(&pairs, &self.codebook))
    }

    /// Every row's label state as columns for a WHERE (`verdict = 'fail'`).
    pub fn label_columns(
        &self,
        store: &crate::trace::TraceStore,
    ) -> crate::trace::filter::LabelColumns {
        let n = store.len();
        let mut cols = crate::trace::filter::LabelColumns {
            verdict: vec![None; n],
            categories: vec![None; n],
            note: vec![None; n],
            author: vec![None; n],
        };
        for ev in self.labels.latest_in_log_order() {
            let Some(r) = store.row_of_id(&ev.trace_id) else {
                continue;
            };
            cols.verdict[r] = ev.verdict.map(|v| match v {
                Verdict::Pass => "pass",
                Verdict::Fail => "fail",
            });
            cols.categories[r] = (!ev.categories.is_empty()).then(|| ev.categories.join(", "));
            cols.note[r] = (!ev.note.is_empty()).then(|| ev.note.clone());
            cols.author[r] = (!ev.author.is_empty()).then(|| ev.author.clone());
        }
        cols
    }

    /// Traces coded under the current version, and traces in structured-coding scope.
    pub fn structured_progress(&self) -> (usize, usize) {
        let (mut done, mut scope) = (0, 0);
        for e in self
            .labels
            .latest_in_log_order()
            .filter(|e| in_structured_scope(Some(e)))
        {
            scope += 1;
            done += usize::from(!needs_coding(Some(e), &self.codebook));
        }
        (done, scope)
    }
}

/// Which verdicts a label filter keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VerdictFilter {
    /// Any.
    #[default]
    Any,
    /// Passing traces.
    Pass,
    /// Failing traces.
    Fail,
    /// Traces with no verdict.
    Unreviewed,
}

/// How a label filter's categories combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CategoryMode {
    /// The trace has at least one of them.
    #[default]
    AnyOf,
    /// The trace has all of them.
    AllOf,
    /// The trace has none of them.
    NoneOf,
}

/// Filters on the expert's labels.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LabelFilter {
    /// Verdict.
    pub verdict: VerdictFilter,
    /// Categories, combined by `mode` (empty: no restriction).
    pub categories: Vec<String>,
    /// How categories combine.
    pub mode: CategoryMode,
    /// Has a note (`Some(true)`), has none (`Some(false)`), or either.
    pub has_note: Option<bool>,
    /// Only traces coded under an older codebook version.
    pub older_version: bool,
    /// Only labels by this author (empty: anyone).
    pub author: String,
    /// Only traces with suggestions to confirm or reject.
    pub has_suggestions: bool,
}

impl LabelFilter {
    /// Whether the filter restricts anything.
    pub fn is_active(&self) -> bool {
        *self != LabelFilter::default()
    }

    /// Whether a trace with this label state passes, against `codebook`.
    pub fn matches(&self, state: Option<&LabelEvent>, codebook: &Codebook) -> bool {
        let verdict = state.and_then(|s| s.verdict);
        let ok_verdict = match self.verdict {
            VerdictFilter::Any => true,
            VerdictFilter::Pass => verdict == Some(Verdict::Pass),
            VerdictFilter::Fail => verdict == Some(Verdict::Fail),
            VerdictFilter::Unreviewed => verdict.is_none(),
        };
        let cats: &[String] = state.map_or(&[], |s| s.categories.as_slice());
        let ok_cats = self.categories.is_empty()
            || match self.mode {
                CategoryMode::AnyOf => self.categories.iter().any(|c| cats.contains(c)),
                CategoryMode::AllOf => self.categories.iter().all(|c| cats.contains(c)),
                CategoryMode::NoneOf => !self.categories.iter().any(|c| cats.contains(c)),
            };
        let has_note = state.is_some_and(|s| !s.note.trim().is_empty());
        let ok_note = self.has_note.is_none_or(|want| want == has_note);
        let ok_older = !self.older_version
            || state.is_some_and(|s| s.is_coded() && needs_recoding(s, codebook));
        let ok_author =
            self.author.trim().is_empty() || state.is_some_and(|s| s.author == self.author.trim());
        let ok_suggested = !self.has_suggestions || state.is_some_and(|s| !s.suggested.is_empty());
        ok_verdict && ok_cats && ok_note && ok_older && ok_author && ok_suggested
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ev(
        verdict: Option<Verdict>,
        cats: &[&str],
        note: &str,
        version: u32,
        author: &str,
    ) -> LabelEvent {
        LabelEvent {
            trace_id: "t".into(),
            verdict,
            note: note.into(),
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            codebook_version: version,
            author: author.into(),
            ..Default::default()
        }
    }

    #[test]
    fn label_filters_compose() {
        let a = ev(Some(Verdict::Fail), &["x", "y"], "bad", 1, "ana");
        let b = ev(Some(Verdict::Pass), &[], "", 2, "bo");
        // v2 split "x": traces carrying it that were coded under v1 need coding again
        let mut cb = Codebook::default();
        cb.add("x", "ana", "t").unwrap();
        cb.split("x", "x2", "ana", "t").unwrap();
        assert_eq!(cb.version, 2);
        let f = |f: LabelFilter| {
            (
                f.matches(Some(&a), &cb),
                f.matches(Some(&b), &cb),
                f.matches(None, &cb),
            )
        };
        assert_eq!(f(LabelFilter::default()), (true, true, true));
        assert_eq!(
            f(LabelFilter {
                verdict: VerdictFilter::Fail,
                ..Default::default()
            }),
            (true, false, false)
        );
        assert_eq!(
            f(LabelFilter {
                verdict: VerdictFilter::Unreviewed,
                ..Default::default()
            }),
            (false, false, true)
        );
        let cats = |mode| LabelFilter {
            categories: vec!["x".into(), "z".into()],
            mode,
            ..Default::default()
        };
        assert_eq!(f(cats(CategoryMode::AnyOf)), (true, false, false));
        assert_eq!(f(cats(CategoryMode::AllOf)), (false, false, false));
        assert_eq!(f(cats(CategoryMode::NoneOf)), (false, true, true));
        assert_eq!(
            f(LabelFilter {
                has_note: Some(true),
                ..Default::default()
            }),
            (true, false, false)
        );
        assert_eq!(
            f(LabelFilter {
                has_note: Some(false),
                ..Default::default()
            }),
            (false, true, true)
        );
        assert_eq!(
            f(LabelFilter {
                older_version: true,
                ..Default::default()
            }),
            (true, false, false)
        );
        assert_eq!(
            f(LabelFilter {
                author: "bo".into(),
                ..Default::default()
            }),
            (false, true, false)
        );
    }

    fn project() -> Project {
        let ids: HashSet<&str> = ["a", "b"].into();
        Project::new(ProjectStore::memory(), Opened::default(), &ids)
    }

    #[test]
    fn merging_labels_takes_new_and_newer_states() {
        let mut p = project();
        let mine = LabelEvent {
            trace_id: "a".into(),
            verdict: Some(Verdict::Pass),
            at: "2026-11-02T00:00:00Z".into(),
            ..Default::default()
        };
        p.record(mine).unwrap();
        let theirs = [
            r#"{"trace_id":"a","verdict":"fail","at":"2026-11-01T00:00:00Z"}"#, // older: kept mine
            r#"{"trace_id":"b","verdict":"fail","at":"2026-11-01T00:00:00Z"}"#,
            "not json",
        ]
        .join("\n");
        let (r, taken, conflicts, unreadable) = p.merge_labels(&theirs);
        r.unwrap();
        assert_eq!((taken, conflicts, unreadable), (1, 1, 1));
        assert_eq!(p.state("a").unwrap().verdict, Some(Verdict::Pass));
        assert_eq!(p.state("b").unwrap().verdict, Some(Verdict::Fail));
    }

    #[test]
    fn accepting_maps_the_absorbed_tags_onto_their_category_in_one_version() {
        use crate::llm::proposal::{Proposal, ProposedCategory};
        let mut p = project();
        for name in ["wrong date", "date off by one", "rude"] {
            p.codebook.add(name, "ana", "t").unwrap();
        }
        let before = p.codebook.version;
        for (id, cats, note) in [
            ("a", vec!["wrong date", "rude"], "tour on the wrong day"),
            ("b", vec!["date off by one"], ""),
        ] {
            p.record(LabelEvent {
                trace_id: id.into(),
                verdict: Some(Verdict::Fail),
                categories: cats.iter().map(|c| (*c).to_owned()).collect(),
                note: note.into(),
                ..Default::default()
            })
            .unwrap();
        }
        let proposal = Proposal {
            categories: vec![
                ProposedCategory {
                    name: "wrong dates".into(),
                    description: "Dates or days wrong.".into(),
                    examples: vec!["tour on the wrong day".into()],
                    tags: vec!["wrong date".into(), "date off by one".into()],
                },
                ProposedCategory {
                    name: "rude".into(),
                    tags: vec!["rude".into()],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let (r, added, suggested) = p.accept_proposal(&proposal, "offline", "ana", "t2");
        r.unwrap();
        assert_eq!(added, 1);
        assert_eq!(
            suggested, 0,
            "relabelled traces are not traces with suggestions"
        );
        assert_eq!(p.codebook.version, before + 1, "one version");
        let names: Vec<&str> = p
            .codebook
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["rude", "wrong dates"]);
        let change = &p.codebook.changelog.last().unwrap().change;
        assert!(
            change.contains("wrong date, date off by one → wrong dates"),
            "{change}"
        );
        // the expert's tags become the category, confirmed; a tag kept by its name stays
        assert_eq!(p.state("a").unwrap().categories, ["wrong dates", "rude"]);
        assert_eq!(p.state("b").unwrap().categories, ["wrong dates"]);
        assert!(p.state("a").unwrap().suggested.is_empty());
        assert_eq!(p.stats.categories.get("wrong dates"), Some(&2));
    }

    #[test]
    fn an_accepted_proposal_is_one_version_with_suggestions() {
        use crate::llm::proposal::{Proposal, ProposedCategory};
        let mut p = project();
        p.record(LabelEvent {
            trace_id: "a".into(),
            verdict: Some(Verdict::Fail),
            note: "wrong date".into(),
            ..Default::default()
        })
        .unwrap();
        let proposal = Proposal {
            categories: vec![ProposedCategory {
                name: "dates".into(),
                description: "dates wrong".into(),
                examples: vec!["wrong date".into()],
                tags: Vec::new(),
            }],
            ..Default::default()
        };
        let (r, added, suggested) = p.accept_proposal(&proposal, "offline", "ana", "t");
        r.unwrap();
        assert_eq!((added, suggested, p.codebook.version), (1, 1, 1));
        assert_eq!(p.state("a").unwrap().suggested, ["dates"]);
        assert_eq!(
            p.stats.categories.get("dates"),
            None,
            "a suggestion is not counted"
        );
    }
}
