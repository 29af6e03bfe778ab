//! The open dump as the window shows it: the trace store, the view (filters, sort, selection)
//! and the caches of what is drawn (row previews, the selected trace's parsed content). No egui.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;

use crate::trace::TraceStore;
use crate::trace::content::{self, Content, Side};
use crate::trace::load::{Loaded, Skipped};
use crate::trace::view::{self, Sort};

/// Characters of input and output shown in a table cell.
pub const PREVIEW_CHARS: usize = 160;

/// The loaded traces and everything derived from them for display.
pub struct Dataset {
    /// The traces (shared with background queries).
    pub store: Arc<TraceStore>,
    /// The view's filters.
    pub filters: crate::trace::view::Filters,
    /// Filters on the labels.
    pub label_filter: crate::project::LabelFilter,
    /// The last filter error (the previous view is kept).
    pub query_error: Option<String>,
    /// Traces the search matched.
    pub search_matches: Option<usize>,
    /// Facet value counts, per facet column.
    pub facets: Vec<(String, Vec<(String, usize)>)>,
    /// A background query is running.
    pub querying: bool,
    /// The compiled search, for highlighting.
    pub search_re: Option<regex::bytes::Regex>,
    /// Bumped by every query; an older query's result is dropped.
    pub(crate) generation: u64,
    /// The background query in flight.
    pub(crate) query_rx:
        Option<mpsc::Receiver<(u64, Result<crate::trace::view::ViewResult, String>)>>,
    /// Row indices in display order.
    pub view: Vec<u32>,
    /// The current sort.
    pub sort: Option<Sort>,
    /// Selected `(position in view, row)`.
    pub selected: Option<(usize, u32)>,
    /// Skipped records (first few).
    pub skipped: Vec<Skipped>,
    /// Skipped records in all.
    pub skipped_count: usize,
    /// How long the load took.
    pub load_ms: f64,
    /// Key of this dump in the app's settings.
    pub key: String,
    /// Visible metadata columns, in order.
    pub visible_columns: Vec<String>,
    /// Another run of these traces, opened to compare outputs with.
    pub other: Option<super::other_run::OtherRun>,
    /// A ClickHouse source's counts `(matching, all)`, shown instead of the local store's
    /// (which holds only the traces fetched whole).
    pub remote: Option<(Option<u64>, Option<u64>)>,
    previews: HashMap<u32, (String, String)>,
    detail: Option<(u32, Arc<(Content, Content)>)>,
}

impl Dataset {
    /// The dataset of a finished load; `columns`: the visible metadata columns the user chose
    /// for this dump before, if any.
    pub fn new(loaded: Loaded, key: String, load_ms: f64, columns: Option<Vec<String>>) -> Dataset {
        let store = Arc::new(loaded.store);
        let visible_columns = columns.unwrap_or_else(|| default_columns(&store));
        let view = view::sorted_rows(&store, None).unwrap_or_default();
        let selected = view.first().map(|&r| (0, r));
        Dataset {
            store,
            filters: Default::default(),
            label_filter: Default::default(),
            query_error: None,
            search_matches: None,
            facets: Vec::new(),
            querying: false,
            search_re: None,
            generation: 0,
            query_rx: None,
            view,
            sort: None,
            selected,
            skipped: loaded.skipped,
            skipped_count: loaded.skipped_count,
            load_ms,
            key,
            visible_columns,
            other: None,
            remote: None,
            previews: HashMap::new(),
            detail: None,
        }
    }

    /// The selected row, if any.
    pub fn selected_row(&self) -> Option<u32> {
        self.selected.map(|(_, r)| r)
    }

    /// Input and output of a row as displayable content.
    pub fn contents(&self, row: u32) -> (Content, Content) {
        super::other_run::row_contents(&self.store, row)
    }

    /// One-line previews of a row's input and output (cached; only visible rows ask).
    pub fn preview(&mut self, row: u32) -> &(String, String) {
        if self.previews.len() > 20_000 {
            self.previews.clear();
        }
        if !self.previews.contains_key(&row) {
            let (i, o) = self.contents(row);
            let p = (
                content::preview(&i, Side::Input, PREVIEW_CHARS),
                content::preview(&o, Side::Output, PREVIEW_CHARS),
            );
            self.previews.insert(row, p);
        }
        &self.previews[&row]
    }

    /// Parsed input and output of the selected trace (cached while it stays selected).
    pub fn detail(&mut self) -> Option<(u32, Arc<(Content, Content)>)> {
        let row = self.selected_row()?;
        match &self.detail {
            Some((r, c)) if *r == row => Some((row, c.clone())),
            _ => {
                let c = Arc::new(self.contents(row));
                self.detail = Some((row, c.clone()));
                Some((row, c))
            }
        }
    }

    /// Selects the row at `pos` in the view.
    pub(crate) fn select_pos(&mut self, pos: usize) {
        if let Some(&row) = self.view.get(pos) {
            self.selected = Some((pos, row));
        }
    }
}

/// Metadata columns shown by default: short scalar columns, at most eight.
fn default_columns(store: &TraceStore) -> Vec<String> {
    let sample = store.len().min(50);
    store
        .columns()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let total: usize = (0..sample)
                .map(|r| store.cell(r, *i).map_or(0, |s| s.len()))
                .sum();
            total <= 40 * sample.max(1)
        })
        .filter(|(_, c)| Some(c.name.as_str()) != store.identity.field())
        .map(|(_, c)| c.name.clone())
        .take(8)
        .collect()
}
