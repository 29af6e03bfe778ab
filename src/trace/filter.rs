//! Filters over the store: a SQL `WHERE` over metadata (polars-sql), facet selections, full-text
//! search over input and output, each producing a row mask; composed into the view's row list.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::store::{ROW_COLUMN, TraceStore};

/// Errors of the filter layer.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// The SQL did not parse or names a missing column.
    #[error("{message}")]
    Sql {
        /// polars-sql's message.
        message: String,
        /// 1-based character position, when the parser gave one.
        position: Option<usize>,
    },
    /// The regex does not compile.
    #[error("not a valid regular expression: {0}")]
    Regex(String),
}

/// Where full-text search looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Input and output.
    #[default]
    Both,
    /// Input only.
    Input,
    /// Output only.
    Output,
}

/// A full-text search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Search {
    /// The text (or pattern).
    pub text: String,
    /// Treat `text` as a regular expression.
    pub regex: bool,
    /// Match case exactly (default: case-insensitive).
    pub case_sensitive: bool,
    /// Where to look.
    pub scope: Scope,
}

impl Search {
    /// Whether there is anything to search for.
    pub fn is_active(&self) -> bool {
        !self.text.is_empty()
    }

    /// The compiled matcher (literal text is escaped).
    pub fn matcher(&self) -> Result<regex::bytes::Regex, FilterError> {
        let pattern = if self.regex {
            self.text.clone()
        } else {
            regex::escape(&self.text)
        };
        regex::bytes::RegexBuilder::new(&pattern)
            .case_insensitive(!self.case_sensitive)
            .unicode(true)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| FilterError::Regex(e.to_string()))
    }
}

/// Rewrites a WHERE clause so that dotted column names (`metadata.env`) are quoted identifiers,
/// leaving string literals and already-quoted names alone.
pub fn quote_dotted(sql: &str, columns: &[String]) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // copy a quoted run verbatim ('' and "" escape themselves)
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        out.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.contains('.') && columns.contains(&word) {
                out.push('"');
                out.push_str(&word);
                out.push('"');
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn sql_position(message: &str) -> Option<usize> {
    let i = message.find("Column: ")?;
    message[i + 8..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// Rows whose metadata satisfy the SQL `WHERE` clause, as a mask.
pub fn sql_mask(store: &TraceStore, where_clause: &str) -> Result<Vec<bool>, FilterError> {
    let columns: Vec<String> = store.columns().iter().map(|c| c.name.clone()).collect();
    let cond = quote_dotted(where_clause.trim(), &columns);
    let sql_err = |e: PolarsError| {
        let message = e.to_string();
        FilterError::Sql {
            position: sql_position(&message),
            message,
        }
    };
    let mut ctx = polars::sql::SQLContext::new();
    ctx.register("traces", store.df().clone().lazy());
    let out = ctx
        .execute(&format!("SELECT \"{ROW_COLUMN}\" FROM traces WHERE {cond}"))
        .and_then(LazyFrame::collect)
        .map_err(sql_err)?;
    let rows = out
        .column(ROW_COLUMN)
        .and_then(|c| c.u32().cloned())
        .map_err(sql_err)?;
    let mut mask = vec![false; store.len()];
    for r in rows.into_iter().flatten() {
        if let Some(m) = mask.get_mut(r as usize) {
            *m = true;
        }
    }
    Ok(mask)
}

/// Rows whose input/output (per `search.scope`) match, as a mask; `notes_match` adds rows whose
/// label note matches (the caller knows the labels).
pub fn search_mask(store: &TraceStore, search: &Search) -> Result<Vec<bool>, FilterError> {
    let re = search.matcher()?;
    let n = store.len();
    let check = |range: std::ops::Range<usize>| -> Vec<bool> {
        let hit = |s: Option<&str>| s.is_some_and(|t| re.is_match(t.as_bytes()));
        range
            .map(|r| match search.scope {
                Scope::Both => hit(store.raw_input(r)) || hit(store.raw_output(r)),
                Scope::Input => hit(store.raw_input(r)),
                Scope::Output => hit(store.raw_output(r)),
            })
            .collect()
    };
    let threads = parallelism().min(n.div_ceil(10_000)).max(1);
    if threads == 1 {
        return Ok(check(0..n));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let per = n.div_ceil(threads);
        let parts: Vec<Vec<bool>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = (t * per).min(n)..((t + 1) * per).min(n);
                    let check = &check;
                    (
                        range.clone(),
                        std::thread::Builder::new()
                            .name(format!("errata-search-{t}"))
                            .spawn_scoped(scope, move || check(range)),
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|(range, h)| match h {
                    Ok(h) => h.join().unwrap_or_else(|_| check(range)),
                    Err(_) => check(range),
                })
                .collect()
        });
        Ok(parts.concat())
    }
    #[cfg(target_arch = "wasm32")]
    {
        Ok(check(0..n))
    }
}

fn parallelism() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Byte ranges of `text` that match (for highlighting), at most `limit`.
pub fn match_ranges(
    re: &regex::bytes::Regex,
    text: &str,
    limit: usize,
) -> Vec<std::ops::Range<usize>> {
    re.find_iter(text.as_bytes())
        .filter(|m| !m.is_empty())
        .take(limit)
        .map(|m| m.range())
        .filter(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        .collect()
}

/// A facet: one low-cardinality column's selected values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facet {
    /// Values to keep (any of); empty = no restriction.
    pub include: Vec<String>,
    /// Values to drop.
    pub exclude: Vec<String>,
}

/// The display text of each row's value in a column (`None` for null), cheaply.
fn column_texts(store: &TraceStore, column: &str) -> Option<Vec<Option<String>>> {
    let i = store.column_index(column)?;
    Some((0..store.len()).map(|r| store.cell(r, i)).collect())
}

/// Rows passing a facet selection on `column`.
pub fn facet_mask(store: &TraceStore, column: &str, facet: &Facet) -> Vec<bool> {
    let pass = |v: &str| {
        (facet.include.is_empty() || facet.include.iter().any(|i| i == v))
            && !facet.exclude.iter().any(|e| e == v)
    };
    if let Ok(col) = store.df().column(column)
        && let Ok(ca) = col.str()
    {
        return ca.iter().map(|v| pass(v.unwrap_or("null"))).collect();
    }
    let Some(i) = store.column_index(column) else {
        return vec![true; store.len()];
    };
    (0..store.len())
        .map(|r| pass(store.cell(r, i).as_deref().unwrap_or("null")))
        .collect()
}

/// Value counts of `column` over the rows where `mask` is true, most frequent first (ties by value).
pub fn facet_counts(
    store: &TraceStore,
    column: &str,
    mask: Option<&[bool]>,
) -> Vec<(String, usize)> {
    let keep = |r: usize| mask.is_none_or(|m| m.get(r).copied().unwrap_or(false));
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    if let Ok(col) = store.df().column(column)
        && let Ok(ca) = col.str()
    {
        // strings: count borrowed values, allocate once per distinct value
        let mut borrowed: std::collections::HashMap<Option<&str>, usize> =
            std::collections::HashMap::new();
        for (r, v) in ca.iter().enumerate() {
            if keep(r) {
                *borrowed.entry(v).or_insert(0) += 1;
            }
        }
        for (v, n) in borrowed {
            counts.insert(v.unwrap_or("null").to_owned(), n);
        }
    } else if let Some(texts) = column_texts(store, column) {
        for (r, v) in texts.into_iter().enumerate() {
            if keep(r) {
                *counts
                    .entry(v.unwrap_or_else(|| "null".to_owned()))
                    .or_insert(0) += 1;
            }
        }
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Columns worth faceting: at most `max_values` distinct values.
pub fn facet_columns(store: &TraceStore, max_values: usize) -> Vec<String> {
    store
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype.as_str(), "str" | "bool" | "i64"))
        .filter(|c| {
            store
                .df()
                .column(&c.name)
                .ok()
                .and_then(|col| col.n_unique().ok())
                .is_some_and(|n| n <= max_values && n > 1)
        })
        .map(|c| c.name.clone())
        .collect()
}

/// `a &= b`, elementwise.
pub fn and_into(a: &mut [bool], b: &[bool]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x &= *y;
    }
}
