//! The end of a load: chunks' columns merged, span records folded into traces and each trace's
//! metadata row found.

use std::collections::HashMap;

use polars::prelude::*;

use super::super::cats;
use super::super::columns::{Kind, dtype_of, kind_of_series, unify};
use super::super::spans;
use super::super::split::RecordSpan;
use super::super::store::RecordRef;
use super::super::store::TraceStore;
use super::{ChunkOut, LoadError, Loaded, MAX_SKIPPED_KEPT, Prepared, Progress, plural};

impl Prepared {
    /// Merges parsed chunks (in record order) into the trace store.
    pub fn finish(mut self, mut chunks: Vec<ChunkOut>) -> Result<Loaded, LoadError> {
        let mut skipped = std::mem::take(&mut self.skipped);
        let mut skipped_count = self.skipped_count;
        // the records the split found, filled in by the parse; those that did not parse go
        let mut records = std::mem::take(&mut self.records);
        records.retain(|r| !r.is_skipped());
        let grouping = self.grouping.is_some();
        // the first chunk's span facts grow in place (a large block is remapped, not copied): a
        // new vector for all of them would copy them all and hold them twice
        let mut facts = chunks
            .first_mut()
            .map(|c| std::mem::take(&mut c.facts))
            .unwrap_or_default();
        facts.reserve_exact(chunks.iter().map(|c| c.facts.len()).sum());
        let mut meta_of: Vec<u32> = Vec::with_capacity(if grouping { records.len() } else { 0 });
        let mut heights: Vec<usize> = Vec::with_capacity(chunks.len() + 1);
        let mut parts: Vec<Vec<(String, Series)>> = Vec::with_capacity(chunks.len() + 1);
        for mut c in chunks {
            skipped_count += c.skipped_count;
            for s in c.skipped.drain(..) {
                if skipped.len() < MAX_SKIPPED_KEPT {
                    skipped.push(s);
                }
            }
            let base = heights.iter().sum::<usize>() as u32;
            meta_of.extend(
                c.meta_of
                    .iter()
                    .map(|&m| if m == u32::MAX { m } else { m + base }),
            );
            heights.push(c.meta_rows);
            facts.append(&mut c.facts);
            parts.push(c.series);
        }
        skipped.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        if records.is_empty() {
            let first = skipped
                .first()
                .map_or_else(|| "no records found".to_owned(), ToString::to_string);
            return Err(LoadError::NoTraces {
                skipped: skipped_count,
                first,
            });
        }
        // spans into traces first: a trace whose row span is not a root (its root is missing
        // from the file) has its metadata read now
        let grouped = match self.grouping.take() {
            Some(g) => {
                let fields = std::mem::take(&mut self.span_fields);
                let grouped = spans::group(&facts, records, &mut self.text, g, fields);
                drop(facts);
                records = Vec::new();
                Some(self.rows_of_traces(grouped, &meta_of, &mut heights, &mut parts)?)
            }
            None => None,
        };
        let columns = self.merge_columns(parts, &heights)?;
        let (records, columns, groups) = match grouped {
            Some((grouped, rows)) => grouped_columns(grouped, &rows, columns)?,
            None => (records, columns, None),
        };
        let mut store = TraceStore::new(
            self.text,
            self.files,
            self.batches,
            self.ranges,
            records,
            columns,
            self.mapping,
            self.detected,
            self.paths,
            groups,
        )?;
        store.format = self.format;
        Ok(Loaded {
            store,
            skipped,
            skipped_count,
            warnings: self.warnings,
        })
    }

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
            .map(|(t, _)| (t, grouped.index.spans[grouped.roots[t] as usize]))
            .collect();
        if !late.is_empty() {
            let mut spans: Vec<RecordSpan> = late.iter().map(|(_, s)| *s).collect();
            let extra = self.parse_spans(&mut spans, &Progress::default(), true)?;
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
            let present: Vec<&Series> = parts.iter().filter_map(|p| p.get(name)).collect();
            let kind = present
                .iter()
                .fold(Kind::Null, |k, s| unify(k, kind_of_series(s)));
            // categories stay categories when every chunk made them; mixed, all become text
            let dtype = match present.first() {
                Some(first)
                    if cats::is_cat(first.dtype())
                        && present.iter().all(|s| s.dtype() == first.dtype()) =>
                {
                    first.dtype().clone()
                }
                _ => dtype_of(kind),
            };
            drop(present);
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
            Default::default(),
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
