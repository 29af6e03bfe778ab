//! The workspace: the open dataset and its project, and every operation on them that is not
//! drawing — coding, codebook changes, the Pareto for a scope or period, sampling, judge pairs,
//! exports. No egui: the window and the headless commands call the same functions, so they
//! always agree.

pub mod dataset;
pub mod exports;
pub mod judge;
pub mod notes;
pub mod other_run;
pub mod pareto;
pub mod query;
pub mod remote;
pub mod sampling;

pub use dataset::{Dataset, PREVIEW_CHARS};

use crate::project::Project;
use crate::trace::FieldMapping;
use crate::trace::load::Source;

impl Workspace {
    /// A workspace over a loaded dump and what its project storage held (the headless
    /// commands; the window opens the same pieces as they arrive). Labels of traces the dump
    /// lacks are kept and counted nowhere.
    pub fn open(
        loaded: crate::trace::Loaded,
        key: String,
        store: crate::persist::ProjectStore,
        opened: crate::persist::Opened,
    ) -> Workspace {
        let ids: std::collections::HashSet<&str> = (0..loaded.store.len())
            .map(|r| loaded.store.id(r))
            .collect();
        let project = Project::new(store, opened, &ids);
        Workspace {
            data: Some(Dataset::new(loaded, key, 0.0, None)),
            project: Some(project),
            chart_cache: None,
        }
    }
}

/// A workspace over JSON Lines text with a project in memory (unit tests of the operations).
#[cfg(test)]
pub(crate) fn test_workspace(jsonl: &str) -> Workspace {
    #[allow(clippy::unwrap_used)] // a test helper's own fixture
    let loaded = crate::trace::load::load_bytes("t.jsonl", jsonl.as_bytes().to_vec()).unwrap();
    Workspace::open(
        loaded,
        "t".into(),
        crate::persist::ProjectStore::memory(),
        Default::default(),
    )
}

/// The open dataset and its project.
#[derive(Default)]
pub struct Workspace {
    /// The open dump, as the window shows it.
    pub data: Option<Dataset>,
    /// Its labels, codebook and project file.
    pub project: Option<Project>,
    /// The chart as last computed, and what from.
    chart_cache: Option<(pareto::ChartKey, pareto::ChartData)>,
}

/// A one-line message shown in the status bar until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Whether it is an error (else a warning).
    pub error: bool,
}

/// An append waiting for the user to map the new file's fields.
pub struct PendingAppend {
    /// The files to add.
    pub sources: Vec<Source>,
    /// Their batch.
    pub batch: String,
    /// How they differ from the dump, and what detection found in them.
    pub diff: crate::trace::append::ShapeDiff,
    /// The mapping being edited (starts as detected on the new files).
    pub draft: FieldMapping,
}

/// "1 trace", "2 traces", "12,345 traces": a count with its noun, singular or plural.
pub fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", fmt_count(n), if n == 1 { one } else { many })
}

/// `1234567` → `1,234,567`.
pub fn fmt_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
