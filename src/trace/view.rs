//! Views over the store: which rows are shown, in what order, as a `Vec<u32>` of row indices.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::store::{ID_COLUMN, TraceStore};

/// What the table is sorted by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    /// File order.
    Row,
    /// The trace identity.
    Id,
    /// A metadata column.
    Meta(String),
}

/// A sort: column and direction. Sorts are stable; nulls go last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    /// The column.
    pub column: SortColumn,
    /// Largest first.
    pub descending: bool,
}

/// Errors of the view layer.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The column does not exist.
    #[error("no such column: {0}")]
    NoColumn(String),
    /// polars refused.
    #[error("{0}")]
    Polars(#[from] PolarsError),
}

/// Row indices of the whole store in the order of `sort` (file order when `None`).
pub fn sorted_rows(store: &TraceStore, sort: Option<&Sort>) -> Result<Vec<u32>, ViewError> {
    let n = u32::try_from(store.len()).unwrap_or(u32::MAX);
    let Some(sort) = sort else {
        return Ok((0..n).collect());
    };
    let name = match &sort.column {
        SortColumn::Row => {
            let mut rows: Vec<u32> = (0..n).collect();
            if sort.descending {
                rows.reverse();
            }
            return Ok(rows);
        }
        SortColumn::Id => ID_COLUMN,
        SortColumn::Meta(name) => name.as_str(),
    };
    let col = store
        .df()
        .column(name)
        .map_err(|_| ViewError::NoColumn(name.to_owned()))?;
    // text points into the dump's text (views): compacted first, the sort's comparisons read
    // a few megabytes in order instead of jumping about a gigabyte (893 ms -> 240 ms at 1 M)
    let compact;
    let col = match col.str() {
        Ok(ca) => {
            compact = StringChunked::from_chunk_iter(
                ca.name().clone(),
                ca.downcast_iter().map(|arr| arr.clone().gc()),
            )
            .into_column();
            &compact
        }
        Err(_) => col,
    };
    let idx = col.arg_sort(SortOptions {
        descending: sort.descending,
        nulls_last: true,
        multithreaded: true,
        maintain_order: true,
        limit: None,
    });
    Ok(idx.into_iter().flatten().collect())
}

/// Every filter of the view, remembered per project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// SQL `WHERE` clause over metadata (empty: none).
    pub sql: String,
    /// Full-text search.
    pub search: super::filter::Search,
    /// Also search the expert's notes.
    pub search_notes: bool,
    /// Facet selections by column.
    pub facets: std::collections::BTreeMap<String, super::filter::Facet>,
    /// Only the traces of this review batch (its queue).
    pub batch: Option<String>,
}

impl Filters {
    /// Whether any of these filters restricts the view.
    pub fn is_active(&self) -> bool {
        !self.sql.trim().is_empty()
            || self.batch.is_some()
            || self.search.is_active()
            || self
                .facets
                .values()
                .any(|f| !f.include.is_empty() || !f.exclude.is_empty())
    }
}

/// A computed view and what it cost.
#[derive(Clone, Debug, Default)]
pub struct ViewResult {
    /// Rows in display order.
    pub rows: Vec<u32>,
    /// Rows the search matched (before the other filters), when searching.
    pub search_matches: Option<usize>,
    /// Time spent in the SQL filter.
    pub filter_ms: f64,
    /// Time spent searching.
    pub search_ms: f64,
    /// Time spent sorting.
    pub sort_ms: f64,
    /// Value counts per facet column, over the rows passing every other filter.
    pub facets: Vec<(String, Vec<(String, usize)>)>,
    /// Time spent counting facets.
    pub facet_ms: f64,
}

/// Why a view could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A filter is invalid.
    #[error(transparent)]
    Filter(#[from] super::filter::FilterError),
    /// The sort failed.
    #[error(transparent)]
    View(#[from] ViewError),
}

/// Filters, searches and sorts the store. `label_mask` (from the labels, computed by the caller)
/// restricts further; `note_hits` adds rows whose note matches the search.
pub fn compute(
    store: &TraceStore,
    filters: &Filters,
    sort: Option<&Sort>,
    label_mask: Option<&[bool]>,
    note_hits: Option<&[bool]>,
    facet_columns: &[String],
    labels: Option<&super::filter::LabelColumns>,
) -> Result<ViewResult, QueryError> {
    use super::filter::{and_into, facet_counts, facet_mask, search_mask, sql_mask_with};
    use crate::coding::time::monotonic_ms;
    let mut result = ViewResult::default();
    // everything but the facets
    let mut base: Option<Vec<bool>> = None;
    let and = |acc: &mut Option<Vec<bool>>, m: &[bool]| match acc {
        Some(a) => and_into(a, m),
        None => *acc = Some(m.to_vec()),
    };
    if !filters.sql.trim().is_empty() {
        let t = monotonic_ms();
        let m = sql_mask_with(store, &filters.sql, labels)?;
        and(&mut base, &m);
        result.filter_ms = monotonic_ms() - t;
    }
    if filters.search.is_active() {
        let t = monotonic_ms();
        let mut hits = search_mask(store, &filters.search)?;
        if let Some(notes) = note_hits {
            for (h, n) in hits.iter_mut().zip(notes) {
                *h |= *n;
            }
        }
        result.search_matches = Some(hits.iter().filter(|h| **h).count());
        and(&mut base, &hits);
        result.search_ms = monotonic_ms() - t;
    }
    if let Some(m) = label_mask {
        and(&mut base, m);
    }
    let t = monotonic_ms();
    let facet_masks: Vec<(&String, Vec<bool>)> = filters
        .facets
        .iter()
        .filter(|(_, f)| !f.include.is_empty() || !f.exclude.is_empty())
        .map(|(c, f)| (c, facet_mask(store, c, f)))
        .collect();
    for column in facet_columns {
        let mut m = base.clone();
        for (c, fm) in &facet_masks {
            if *c != column {
                and(&mut m, fm);
            }
        }
        result
            .facets
            .push((column.clone(), facet_counts(store, column, m.as_deref())));
    }
    let mut mask = base;
    for (_, fm) in &facet_masks {
        and(&mut mask, fm);
    }
    result.facet_ms = monotonic_ms() - t;
    let t = monotonic_ms();
    let sorted = sorted_rows(store, sort)?;
    result.rows = match mask {
        Some(m) => sorted
            .into_iter()
            .filter(|&r| m.get(r as usize).copied().unwrap_or(false))
            .collect(),
        None => sorted,
    };
    result.sort_ms = monotonic_ms() - t;
    Ok(result)
}
