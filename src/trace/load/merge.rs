//! The end of a load: chunks' columns merged, span records folded into traces and each trace's
//! metadata row found.

use std::collections::HashMap;

use polars::prelude::*;

use super::super::columns::{Kind, dtype_of, kind_of_series, unify};
use super::super::spans;
use super::super::split::RecordSpan;
use super::super::store::RecordRef;
use super::{LoadError, Prepared, Progress, plural};

impl Prepared {
    /// Each grouped trace's metadata row; says what was grouped in the format line.
    pub(super) fn rows_of_traces(
        &mut self,
        grouped: spans::Grouped,
        meta_of: &[u32],
        heights: &mut Vec<usize>,
        parts: &mut Vec<Vec<(String, Series)>>,
    ) -> Result<(spans::Grouped, Vec<u32>), LoadError> {
        let said = format!(
            "{} grouped into {} by `{}`",
            plural(grouped.index.spans.len(), "span"),
            plural(grouped.traces.len(), "trace"),
            grouped.index.grouping.trace
        );
        let what = &grouped.index.grouping.what;
        self.format = Some(match self.format.take() {
            Some(f) => format!("{f}; {said}"),
            None => format!("{what}: {said}"),
        });
        let mut rows: Vec<u32> = grouped
            .roots
            .iter()
            .map(|&r| meta_of.get(r as usize).copied().unwrap_or(u32::MAX))
            .collect();
        let late: Vec<(usize, RecordSpan)> = rows
            .iter()
            .enumerate()
            .filter(|(_, m)| **m == u32::MAX)
            .map(|(t, _)| {
                let r = grouped.index.spans[grouped.roots[t] as usize];
                let span = RecordSpan {
                    start: r.record.start,
                    len: r.record.len,
                    line: r.line,
                    file: r.file,
                };
                (t, span)
            })
            .collect();
        if !late.is_empty() {
            let spans: Vec<RecordSpan> = late.iter().map(|(_, s)| *s).collect();
            let extra = self.parse_spans(&spans, &Progress::default(), true)?;
            let base = heights.iter().sum::<usize>() as u32;
            for (k, (t, _)) in late.iter().enumerate() {
                rows[*t] = base + k as u32;
            }
            heights.push(extra.meta_rows);
            parts.push(extra.series);
        }
        Ok((grouped, rows))
    }

    /// Merges the chunks' columns (in chunk order; a column a chunk lacks is null there).
    pub(super) fn merge_columns(
        &mut self,
        parts: Vec<Vec<(String, Series)>>,
        heights: &[usize],
    ) -> Result<Vec<Column>, LoadError> {
        let mut order: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for p in &parts {
            for (name, _) in p {
                if seen.insert(name.as_str()) {
                    order.push(name.clone());
                }
            }
        }
        drop(seen);
        let mut parts: Vec<HashMap<String, Series>> =
            parts.into_iter().map(|p| p.into_iter().collect()).collect();
        let mut columns: Vec<Column> = Vec::with_capacity(order.len());
        for name in &order {
            let kind = parts
                .iter()
                .filter_map(|p| p.get(name))
                .fold(Kind::Null, |k, s| unify(k, kind_of_series(s)));
            let dtype = dtype_of(kind);
            let mut merged: Option<Series> = None;
            for (p, &h) in parts.iter_mut().zip(heights) {
                let piece = match p.remove(name) {
                    Some(s) if s.dtype() == &dtype => s,
                    Some(s) => s.cast(&dtype)?,
                    None => Series::full_null(name.as_str().into(), h, &dtype),
                };
                match &mut merged {
                    Some(m) => {
                        m.append(&piece)?;
                    }
                    None => merged = Some(piece),
                }
            }
            if let Some(m) = merged {
                columns.push(m.into());
            }
        }
        // errata's own hidden columns keep their names: a field of the same name is renamed,
        // not silently replaced
        for col in &mut columns {
            let name = col.name().to_string();
            if super::super::store::is_reserved(&name) {
                let mut new = format!("{name}_");
                while order.contains(&new) {
                    new.push('_');
                }
                self.warnings.push(format!(
                    "the field `{name}` is named like a column errata keeps for itself: it is shown as `{new}`"
                ));
                col.rename(new.as_str().into());
            }
        }
        Ok(columns)
    }
}

/// The trace frame of grouped spans: each trace's root span row, after the derived columns.
#[allow(clippy::type_complexity)] // the parts TraceStore::new takes
pub(super) fn grouped_columns(
    grouped: spans::Grouped,
    rows: &[u32],
    columns: Vec<Column>,
) -> Result<
    (
        Vec<RecordRef>,
        Vec<Column>,
        Option<(spans::SpanIndex, Vec<String>)>,
    ),
    LoadError,
> {
    let idx = IdxCa::from_vec("roots".into(), rows.iter().map(|&r| r as IdxSize).collect());
    let mut out: Vec<Column> = grouped
        .columns
        .iter()
        .filter(|d| !columns.iter().any(|c| c.name() == d.name()))
        .cloned()
        .collect();
    for c in columns {
        out.push(c.take(&idx)?);
    }
    Ok((grouped.traces, out, Some((grouped.index, grouped.ids))))
}

impl super::Loaded {
    /// No traces yet: a remote source before any of its traces was fetched whole.
    pub fn empty(name: &str) -> Result<super::Loaded, super::LoadError> {
        let store = crate::trace::TraceStore::new(
            String::new(),
            vec![name.to_owned()],
            vec![None],
            std::iter::once(0..0).collect(),
            Vec::new(),
            Vec::new(),
            crate::trace::FieldMapping::default(),
            crate::trace::FieldMapping::default(),
            Vec::new(),
            None,
        )?;
        Ok(super::Loaded {
            store,
            skipped: Vec::new(),
            skipped_count: 0,
            warnings: Vec::new(),
        })
    }
}
