//! The view: filters, search and sort recomputed (off the UI thread for large dumps), selection moves, remembered filters.

use super::*;

impl ErrataApp {
    /// Recomputes the view from the filters, searches and sort: at once for small dumps and in
    /// the browser, on a background thread natively for large ones (a newer query supersedes).
    pub fn refresh_view(&mut self, ctx: &egui::Context) {
        if self.remote.is_some() {
            return self.remote_requery();
        }
        let Some(query) = self.ws.query() else { return };
        let generation = query.generation;
        if query.is_large() {
            let (tx, rx) = mpsc::channel();
            let repaint = ctx.clone();
            let spawned = std::thread::Builder::new()
                .name("errata-query".to_owned())
                .spawn(move || {
                    let _ = tx.send((generation, query.run()));
                    repaint.request_repaint();
                });
            let Some(d) = &mut self.ws.data else { return };
            match spawned {
                Ok(_) => {
                    d.query_rx = Some(rx);
                    d.querying = true;
                }
                Err(e) => d.query_error = Some(format!("could not start the query thread: {e}")),
            }
        } else {
            self.take_view(generation, query.run());
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
        if let Some(r) = &self.remote {
            let pos = r.selected.map_or(0, |p| p as i64);
            return self.move_remote(pos + delta);
        }
        let Some(d) = &self.ws.data else { return };
        let pos = d.selected.map_or(0, |(p, _)| p as i64);
        let target = (pos + delta).clamp(0, d.view.len().saturating_sub(1) as i64);
        self.move_to(target as usize);
    }

    pub(super) fn move_to(&mut self, pos: usize) {
        self.commit_note();
        if self.remote.is_some() {
            return self.move_remote(i64::try_from(pos).unwrap_or(i64::MAX));
        }
        let Some(d) = &mut self.ws.data else { return };
        if d.view.is_empty() {
            return;
        }
        d.select_pos(pos.min(d.view.len() - 1));
        self.scroll_to_selected = true;
    }

    pub(super) fn sort_by(&mut self, ctx: &egui::Context, column: SortColumn) {
        if self.remote.is_some() {
            return self.sort_remote(&column);
        }
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

    pub(super) fn remap(&mut self, ctx: &egui::Context, mut mapping: FieldMapping) {
        if let Some(r) = &self.remote {
            // the fetched traces are read again with it; the table's columns stay the server's
            let key = r.key();
            mapping.grouping_chosen = true;
            if let Some(r) = &mut self.remote {
                r.use_mapping(&mapping);
            }
            self.settings.mappings.insert(key, mapping.clone());
            if let Some(p) = &mut self.ws.project {
                p.file.mapping = Some(mapping);
                let saved = p.store.save_project(&p.file);
                self.report(saved);
            }
            let id = self.selected_trace().map(|(_, id)| id);
            self.rebuild_local(id.as_deref());
            return self.remote_requery();
        }
        let Some(d) = self.ws.data.take() else { return };
        let key = d.key.clone();
        // a grouping other than the one in use was chosen (including none)
        if mapping.group_by != d.store.mapping.group_by {
            mapping.grouping_chosen = mapping.group_by != d.store.detected.group_by;
        }
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
