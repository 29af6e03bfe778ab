//! The actions: plain data, the only way a panel (or a key binding, or a test) asks for a
//! change. Panels return them; the app applies them after drawing (STYLE.md: egui's `Command`,
//! csvlens's `Control`).

use crate::coding::{Category, Verdict};
use crate::trace::FieldMapping;
use crate::trace::load::Source;
use crate::trace::view::SortColumn;

/// Something the user asked for; panels return these and the app applies them after drawing.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open a window (or bring it up).
    Show(Window),
    /// Open the bundled demo traces.
    OpenDemo,
    /// Move the input's turn in view by this many messages (`[` and `]`).
    Turn(i64),
    /// Mark the selected trace to compare others' outputs with (again: stop comparing).
    MarkCompare,
    /// Select a span of the trace's span tree (`None`: the whole trace).
    SelectSpan(Option<usize>),
    /// Move the span selection by this many shown spans (Shift+J / Shift+K).
    MoveSpan(i64),
    /// Unfold (`true`) or fold the selected span (→ / ←).
    FoldSpan(bool),
    /// Fold or unfold this span.
    ToggleSpanFold(usize),
    /// Mark the selected span as where the trace first went wrong (again: unmark).
    MarkFirstFailure,
    /// Turn a column of the dump into open-coding notes.
    ImportNotes(crate::workspace::notes::NotesImport),
    /// Save the export waiting in the "Save to" window at this path.
    SaveToPath(String),
    /// Take the project's lock from the instance holding it and reopen the project.
    TakeOver,
    /// Select a trace by row.
    Select(u32),
    /// Move the selection by this many rows in the current view.
    Move(i64),
    /// Move by this many pages.
    Page(i64),
    /// First row of the view.
    First,
    /// Last row of the view.
    Last,
    /// Sort by a column (again: flip the direction; a third time: file order).
    SortBy(SortColumn),
    /// Copy the selected trace's original record.
    CopyRecord,
    /// Show the open-file dialog.
    OpenDialog,
    /// Load files from disk (native).
    OpenPaths(Vec<std::path::PathBuf>),
    /// Load in-memory files (drops, the web picker, fetched URLs).
    OpenSources(Vec<SourceBytes>),
    /// Fetch a dump over HTTP.
    OpenUrl(String),
    /// Open a ClickHouse source (`clickhouse://…`; the password typed in the form, or from
    /// `ERRATA_CLICKHOUSE_PASSWORD` natively, stays in memory).
    OpenClickHouse(String),
    /// Open row N of a ClickHouse source's view (its whole trace is fetched).
    SelectRemote(u64),
    /// Stop the requests to the ClickHouse source that are on their way.
    StopRemote,
    /// Pick another run of these traces (the run after a fix) to compare outputs with.
    CompareWithRun,
    /// Load files from disk as another run to compare outputs with (native).
    CompareWithRunPaths(Vec<std::path::PathBuf>),
    /// Close the other run: outputs are no longer compared.
    StopComparingRuns,
    /// Cancel the running load.
    CancelLoad,
    /// Re-read the open dump with another field mapping (remembered for that dump).
    SetMapping(FieldMapping),
    /// Add the waiting files (shaped unlike the dump) with this mapping of their fields.
    AppendMapped(FieldMapping),
    /// Drop the waiting append.
    CancelAppend,
    /// Show or hide a metadata column.
    ToggleColumn(String),
    /// Dismiss a notice.
    DismissNotice(usize),
    /// Set the selected trace's verdict.
    SetVerdict(Option<Verdict>),
    /// Save the note draft of the trace it was typed for.
    CommitNote,
    /// Toggle a category on the selected trace.
    ToggleCategory(String),
    /// Toggle the n-th codebook category (number keys, 0-based).
    ToggleCategoryAt(usize),
    /// Add a category to the codebook and to the selected trace.
    CoinTag(String),
    /// Next trace with no verdict.
    NextUnreviewed,
    /// Next trace that needs coding under the current codebook version.
    NextUncoded,
    /// Select the trace with this id.
    JumpTo(String),
    /// Switch between open and structured coding.
    ToggleStructured,
    /// Structured coding: confirm the chips and move on.
    ConfirmStructured,
    /// Rename a category (relabels every trace).
    RenameCategory {
        /// Old name.
        old: String,
        /// New name.
        new: String,
    },
    /// Merge a category into another (relabels every trace).
    MergeCategory {
        /// Removed category.
        from: String,
        /// Kept category.
        into: String,
    },
    /// Split a category: the listed traces move to a new one.
    SplitCategory {
        /// The category split.
        from: String,
        /// The new category.
        new: String,
        /// Trace ids that move.
        traces: Vec<String>,
    },
    /// Delete a category (undoable).
    DeleteCategory(String),
    /// Undo the last delete.
    UndoDelete,
    /// Move a category up or down.
    MoveCategory(String, i32),
    /// Replace a category's description, severity and reporting label.
    EditCategory(String, Category),
    /// Name the codebook's owner.
    SetOwner(String),
    /// The owner signs off the current version.
    SignOff,
    /// Accept a new category candidate into the codebook proper.
    AcceptCandidate(String),
    /// Export the latest labels as JSONL.
    ExportLabels,
    /// Merge a labels JSONL file into the project.
    ImportLabels,
    /// Set the SQL `WHERE` filter.
    SetSql(String),
    /// Set the search text.
    SetSearchText(String),
    /// Set the search options (regex, case, scope) and whether notes are searched.
    SetSearchOptions(crate::trace::filter::Search, bool),
    /// Set the label filters.
    SetLabelFilter(crate::project::LabelFilter),
    /// Include (or with `exclude`, exclude) a facet value; again to undo.
    ToggleFacet {
        /// The column.
        column: String,
        /// The value.
        value: String,
        /// Exclude instead of include.
        exclude: bool,
    },
    /// Clear every filter.
    ClearFilters,
    /// Recompute the view (after a load).
    Refresh,
    /// Propose categories from the notes with the offline clusterer.
    ProposeOffline,
    /// Propose categories from the notes with the configured LLM.
    ProposeLlm,
    /// Propose categories by the embeddings endpoint's vectors of the notes and tags.
    ProposeEmbeddings,
    /// Cancel the LLM request.
    CancelPropose,
    /// Send a tiny request to the configured LLM and show whether it answered.
    TestConnection,
    /// Accept the reviewed proposal into the codebook (one new version) and suggest its
    /// categories on the traces whose notes it claims.
    AcceptProposal,
    /// Throw the proposal away.
    DiscardProposal,
    /// Confirm the selected trace's suggested categories.
    ConfirmSuggestions,
    /// Reject the selected trace's suggested categories.
    RejectSuggestions,
    /// Export the failing traces of the current view as regression cases (appending to an
    /// existing file adds only new ids).
    ExportRegression,
    /// The browser: pick an existing regression set, add the view's new failing cases to it,
    /// and download it.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    AddToRegressionFile,
    /// Open the window that adds traces to the open dump as a batch.
    AddTraces,
    /// Add traces from files the user picks.
    AddTracesFromFiles,
    /// Add traces fetched from a URL.
    AddTracesFromUrl(String),
    /// Draw a review batch.
    DrawSample(crate::coding::sampling::SampleRequest),
    /// Show one batch as the review queue (`None`: all traces).
    SetBatch(Option<String>),
    /// Filter the table to one category (from a Pareto bar; again to clear).
    FilterCategory(String),
    /// Export the Pareto's data as CSV.
    ExportParetoCsv,
    /// Export the Markdown report.
    ExportReport,
    /// Export the chart as PNG (takes a screenshot, then crops it).
    ExportParetoPng,
    /// Set the saturation threshold.
    SetThreshold(usize),
    /// Replace the codebook with one from a JSON file.
    ImportCodebook,
    /// Move an unreadable project document aside (`.bad`) so it can be written again.
    DiscardUnreadable(String),
    /// Export the codebook.
    ExportCodebook {
        /// Markdown instead of JSON.
        markdown: bool,
    },
}

/// File content for [`Action::OpenSources`] (a `Source` that compares by name and size).
#[derive(Clone)]
pub struct SourceBytes(pub Source);

impl std::fmt::Debug for SourceBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.0.name, self.0.bytes.len())
    }
}

impl PartialEq for SourceBytes {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name && self.0.bytes.len() == other.0.bytes.len()
    }
}

/// The windows a menu item or a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Open URL.
    OpenUrl,
    /// Open a ClickHouse source.
    OpenClickHouse,
    /// The codebook.
    Codebook,
    /// The field mapping editor.
    FieldMapping,
    /// The skipped lines.
    SkippedLines,
    /// Axial coding.
    AxialCoding,
    /// Sampling a review batch.
    Sample,
    /// Judge agreement.
    Judge,
    /// Keyboard shortcuts.
    Shortcuts,
    /// Import notes from a column.
    NotesImport,
}
