//! The view: filters, search and sort recomputed (off the UI thread for large dumps), selection moves, remembered filters.

use super::*;

impl ErrataApp {
    /// Recomputes the view from the filters, searches and sort: at once for small dumps and in
    /// the browser, on a background thread natively for large ones (a newer query supersedes).
    pub fn refresh_view(&mut self, ctx: &egui::Context) {
        let Some(d) = &mut self.ws.data else { return };
        let mut label_mask: Option<Vec<bool>> = match &self.ws.project {
            Some(p) if d.label_filter.is_active() => Some(
                (0..d.store.len())
                    .map(|r| d.label_filter.matches(p.state(d.store.id(r)), &p.codebook))
                    .collect(),
            ),
            _ => None,
        };
        // a review batch restricts the view to its traces
        if let (Some(name), Some(p)) = (&d.filters.batch, &self.ws.project) {
            let ids: std::collections::HashSet<&str> = p
                .file
                .batches
                .iter()
                .filter(|b| &b.name == name)
                .flat_map(|b| b.trace_ids.iter().map(String::as_str))
                .collect();
            let m: Vec<bool> = (0..d.store.len())
                .map(|r| ids.contains(d.store.id(r)))
                .collect();
            label_mask = Some(match label_mask {
                Some(mut l) => {
                    crate::trace::filter::and_into(&mut l, &m);
                    l
                }
                None => m,
            });
        }
        d.search_re = if d.filters.search.is_active() {
            d.filters.search.matcher().ok()
        } else {
            None
        };
        // the label state as columns, when the WHERE names one (`verdict = 'fail'`)
        let label_columns = match &self.ws.project {
            Some(p) if crate::trace::filter::mentions_labels(&d.filters.sql) => {
                Some(p.label_columns(&d.store))
            }
            _ => None,
        };
        let note_hits: Option<Vec<bool>> = match (&self.ws.project, &d.search_re) {
            (Some(p), Some(re)) if d.filters.search_notes => {
                let mut hits = vec![false; d.store.len()];
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
        let generation = d.generation;
        let store = d.store.clone();
        let filters = d.filters.clone();
        let sort = d.sort.clone();
        let run = move || {
            // (the first call decides the facet columns: off the UI thread for large dumps)
            let facet_columns = store.facet_columns().to_vec();
            view::compute(
                &store,
                &filters,
                sort.as_ref(),
                label_mask.as_deref(),
                note_hits.as_deref(),
                &facet_columns,
                label_columns.as_ref(),
            )
            .map_err(|e| e.to_string())
        };
        let background = cfg!(not(target_arch = "wasm32")) && d.store.len() >= 50_000;
        if background {
            let (tx, rx) = mpsc::channel();
            let repaint = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name("errata-query".to_owned())
                .spawn(move || {
                    let _ = tx.send((generation, run()));
                    repaint.request_repaint();
                });
            match spawned {
                Ok(_) => {
                    d.query_rx = Some(rx);
                    d.querying = true;
                }
                Err(e) => d.query_error = Some(format!("could not start the query thread: {e}")),
            }
        } else {
            let result = run();
            self.take_view(generation, result);
        }
    }

    pub(super) fn take_view(
        &mut self,
        generation: u64,
        result: Result<crate::trace::view::ViewResult, String>,
    ) {
        let Some(d) = &mut self.ws.data else { return };
        if generation != d.generation {
            return; // superseded by a newer query
        }
        d.querying = false;
        d.query_rx = None;
        match result {
            Ok(v) => {
                d.query_error = None;
                d.view = v.rows;
                d.search_matches = v.search_matches;
                d.facets = v.facets;
                let row = d.selected.map(|(_, r)| r);
                d.selected = row
                    .and_then(|row| d.view.iter().position(|&r| r == row).map(|p| (p, row)))
                    .or_else(|| d.view.first().map(|&r| (0, r)));
                self.scroll_to_selected = true;
                // remembered only once they ran: a filter that fails is never saved, so it
                // cannot stop the dump from opening next time
                self.save_filters();
            }
            Err(e) => d.query_error = Some(e),
        }
    }

    /// Remembers the view's filters in the project file (when they changed).
    pub(super) fn save_filters(&mut self) {
        let (Some(d), Some(p)) = (&self.ws.data, &mut self.ws.project) else {
            return;
        };
        if p.file.filters == d.filters && p.file.label_filter == d.label_filter {
            return;
        }
        p.file.filters = d.filters.clone();
        p.file.label_filter = d.label_filter.clone();
        let r = p.store.save_project(&p.file);
        self.report(r);
    }

    pub(super) fn move_by(&mut self, delta: i64) {
        self.commit_note();
        let Some(d) = &self.ws.data else { return };
        let pos = d.selected.map_or(0, |(p, _)| p as i64);
        let target = (pos + delta).clamp(0, d.view.len().saturating_sub(1) as i64);
        self.move_to(target as usize);
    }

    pub(super) fn move_to(&mut self, pos: usize) {
        self.commit_note();
        let Some(d) = &mut self.ws.data else { return };
        if d.view.is_empty() {
            return;
        }
        d.select_pos(pos.min(d.view.len() - 1));
        self.scroll_to_selected = true;
    }

    pub(super) fn sort_by(&mut self, ctx: &egui::Context, column: SortColumn) {
        let Some(d) = &mut self.ws.data else { return };
        let sort = match &d.sort {
            Some(s) if s.column == column && !s.descending => Some(Sort {
                column,
                descending: true,
            }),
            Some(s) if s.column == column => None,
            _ => Some(Sort {
                column,
                descending: false,
            }),
        };
        d.sort = sort;
        self.refresh_view(ctx);
    }

    pub(super) fn remap(&mut self, ctx: &egui::Context, mapping: FieldMapping) {
        let Some(d) = self.ws.data.take() else { return };
        let key = d.key.clone();
        if mapping == d.store.detected {
            self.settings.mappings.remove(&key);
        } else {
            self.settings.mappings.insert(key.clone(), mapping);
        }
        let sources = match Arc::try_unwrap(d.store) {
            Ok(store) => store.into_sources(),
            Err(shared) => shared.sources(),
        };
        self.start_sources(ctx, sources, key);
    }
}
