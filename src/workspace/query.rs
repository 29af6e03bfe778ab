//! A view query as the workspace prepares it: the dump's filters and sort, plus what only the
//! project knows — which rows the label filters and the review batch keep, which notes match the
//! search, the label state as WHERE columns — packed into a query that runs anywhere (on a
//! background thread for a large dump).

use std::collections::HashSet;
use std::sync::Arc;

use super::Workspace;
use crate::trace::TraceStore;
use crate::trace::filter::{LabelColumns, and_into, mentions_labels};
use crate::trace::view::{self, Filters, Sort, ViewResult};

/// Everything a view query needs, owned (it may run on another thread).
pub struct Query {
    /// Its generation: a result for an older one is dropped.
    pub generation: u64,
    store: Arc<TraceStore>,
    filters: Filters,
    sort: Option<Sort>,
    label_mask: Option<Vec<bool>>,
    note_hits: Option<Vec<bool>>,
    label_columns: Option<LabelColumns>,
}

impl Query {
    /// Whether it is worth a thread (natively, on a large dump).
    pub fn is_large(&self) -> bool {
        cfg!(not(target_arch = "wasm32")) && self.store.len() >= 50_000
    }

    /// Runs it: the rows, counts and facets of the view, or the error to show.
    pub fn run(self) -> Result<ViewResult, String> {
        // (the first call decides the facet columns: off the UI thread for large dumps)
        let facet_columns = self.store.facet_columns().to_vec();
        view::compute(
            &self.store,
            &self.filters,
            self.sort.as_ref(),
            self.label_mask.as_deref(),
            self.note_hits.as_deref(),
            &facet_columns,
            self.label_columns.as_ref(),
        )
        .map_err(|e| e.to_string())
    }
}

impl Workspace {
    /// Prepares the view's query (a new generation) from the filters, the labels and the
    /// batch; `None` with no dump open.
    pub fn query(&mut self) -> Option<Query> {
        let d = self.data.as_mut()?;
        let p = self.project.as_ref();
        let n = d.store.len();
        let mut label_mask: Option<Vec<bool>> = p.filter(|_| d.label_filter.is_active()).map(|p| {
            (0..n)
                .map(|r| d.label_filter.matches(p.state(d.store.id(r)), &p.codebook))
                .collect()
        });
        // a review batch restricts the view to its traces
        if let (Some(name), Some(p)) = (&d.filters.batch, p) {
            let ids: HashSet<&str> = p
                .file
                .batches
                .iter()
                .filter(|b| &b.name == name)
                .flat_map(|b| b.trace_ids.iter().map(String::as_str))
                .collect();
            let m: Vec<bool> = (0..n).map(|r| ids.contains(d.store.id(r))).collect();
            match &mut label_mask {
                Some(l) => and_into(l, &m),
                None => label_mask = Some(m),
            }
        }
        d.search_re = if d.filters.search.is_active() {
            d.filters.search.matcher().ok()
        } else {
            None
        };
        // the label state as columns, when the WHERE names one (`verdict = 'fail'`)
        let label_columns = p
            .filter(|_| mentions_labels(&d.filters.sql))
            .map(|p| p.label_columns(&d.store));
        let note_hits = match (p, &d.search_re) {
            (Some(p), Some(re)) if d.filters.search_notes => {
                let mut hits = vec![false; n];
                for ev in p.labels.latest() {
                    if re.is_match(ev.note.as_bytes())
                        && let Some(r) = d.store.row_of_id(&ev.trace_id)
                    {
                        hits[r] = true;
                    }
                }
                Some(hits)
            }
            _ => None,
        };
        d.generation += 1;
        Some(Query {
            generation: d.generation,
            store: d.store.clone(),
            filters: d.filters.clone(),
            sort: d.sort.clone(),
            label_mask,
            note_hits,
            label_columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::{LabelEvent, Verdict};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn label_filters_batches_notes_and_label_columns_reach_the_view() {
        let text = (0..6)
            .map(|i| format!(r#"{{"id":"t{i}","input":"q{i}","output":"a"}}"#))
            .collect::<Vec<_>>()
            .join("\n");
        let mut ws = super::super::test_workspace(&text);
        let p = ws.project.as_mut().unwrap();
        for (id, v, note) in [
            ("t1", Verdict::Fail, "late refund"),
            ("t2", Verdict::Pass, ""),
            ("t4", Verdict::Fail, ""),
        ] {
            p.record(LabelEvent {
                trace_id: id.into(),
                verdict: Some(v),
                note: note.into(),
                ..Default::default()
            })
            .unwrap();
        }
        p.file.batches.push(crate::coding::sampling::Batch {
            name: "w".into(),
            trace_ids: vec!["t1".into(), "t2".into(), "t3".into()],
            ..Default::default()
        });
        let rows = |ws: &mut Workspace| ws.query().unwrap().run().unwrap().rows;
        let d = ws.data.as_mut().unwrap();
        d.filters.sql = "verdict = 'fail'".into();
        assert_eq!(rows(&mut ws), [1, 4]);
        ws.data.as_mut().unwrap().filters.batch = Some("w".into());
        assert_eq!(rows(&mut ws), [1]);
        let d = ws.data.as_mut().unwrap();
        d.filters = Filters::default();
        d.filters.search.text = "refund".into();
        d.filters.search_notes = true;
        assert_eq!(rows(&mut ws), [1], "found in the note, not the trace");
        let g = ws.data.as_ref().unwrap().generation;
        let q = ws.query().unwrap();
        assert_eq!(q.generation, g + 1);
        assert!(!q.is_large());
    }
}
