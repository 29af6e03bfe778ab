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
    let idx = col.arg_sort(SortOptions {
        descending: sort.descending,
        nulls_last: true,
        multithreaded: true,
        maintain_order: true,
        limit: None,
    });
    Ok(idx.into_iter().flatten().collect())
}
