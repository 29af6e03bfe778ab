//! A ClickHouse source in the window: the table reads the server's view in pages; the traces
//! the reader opens, and every labelled one, are fetched whole into a small local store, so that
//! the detail, coding, Pareto, exports and judge work on them as for a file. The project lives
//! in errata's data folder under the source's URL (without a password).

use super::*;
use crate::workspace::remote::{self, Event, Purpose, Remote};

/// Whether `url` names a ClickHouse source.
pub fn is_clickhouse(url: &str) -> bool {
    url.starts_with("clickhouse://") || url.starts_with("clickhouses://")
}

impl ErrataApp {
    /// Opens a ClickHouse source: its schema is asked for; the table, project and local store
    /// follow when it answers. `password`: typed in the form, else (natively)
    /// `ERRATA_CLICKHOUSE_PASSWORD`.
    pub(super) fn open_clickhouse(
        &mut self,
        ctx: &egui::Context,
        url: &str,
        password: Option<String>,
    ) {
        #[cfg(not(target_arch = "wasm32"))]
        let password = password.or_else(|| std::env::var("ERRATA_CLICKHOUSE_PASSWORD").ok());
        let repaint = ctx.clone();
        match Remote::open(url, password, Arc::new(move || repaint.request_repaint())) {
            Ok(r) => {
                self.commit_note();
                self.remote = Some(r);
                self.ws.data = None;
                self.ws.project = None;
                self.ws.forget_chart();
                self.job = None;
            }
            Err(e) => self.error(e),
        }
    }

    /// Takes what the source answered.
    pub(super) fn poll_remote(&mut self, ctx: &egui::Context) {
        let Some(r) = &mut self.remote else { return };
        let events = r.poll();
        if let Some(d) = &mut self.ws.data {
            d.facets.clone_from(&r.facets);
            d.querying = r.in_flight > 0;
            d.remote = Some((r.matched, r.total));
        }
        // the first row is opened once the view has it
        if r.selected.is_none()
            && r.matched.is_some_and(|n| n > 0)
            && r.row(0).is_some()
            && self.ws.data.is_some()
        {
            self.select_remote(0);
        }
        for e in events {
            match e {
                Event::Ready => self.remote_ready(ctx),
                Event::Records { purpose, jsonl, .. } => self.remote_records(&purpose, &jsonl),
                Event::Sampled(req, ids, pool) => self.remote_sampled(ctx, &req, ids, pool),
                Event::Failed(e) => self.error(e),
            }
        }
    }

    /// The schema arrived: the project opens, the saved view is asked for, and the labelled
    /// traces are fetched whole.
    fn remote_ready(&mut self, ctx: &egui::Context) {
        let Some(r) = &self.remote else { return };
        let key = r.key();
        let loaded = match load::Loaded::empty(&key) {
            Ok(l) => l,
            Err(e) => return self.error(e.to_string()),
        };
        let mut data = Dataset::new(loaded, key, 0.0, None);
        self.open_project(&data);
        if let Some(p) = &self.ws.project {
            data.filters = p.file.filters.clone();
            data.label_filter = p.file.label_filter.clone();
        }
        self.filter_bar = ui::filter::FilterBar {
            sql: data.filters.sql.clone(),
            search: data.filters.search.text.clone(),
            ..Default::default()
        };
        self.ws.data = Some(data);
        // a mapping chosen before (kept in the project) reads the table's columns too
        let mapping = self
            .ws
            .project
            .as_ref()
            .and_then(|p| p.file.mapping.clone());
        if let (Some(m), Some(r)) = (&mapping, &mut self.remote) {
            r.use_mapping(m);
            self.settings.mappings.insert(r.key(), m.clone());
        }
        self.refresh_view(ctx);
        let labelled: Vec<String> = self.ws.project.as_ref().map_or_else(Vec::new, |p| {
            p.labels
                .latest()
                .into_iter()
                .map(|e| e.trace_id.clone())
                .collect()
        });
        if let Some(r) = &mut self.remote {
            r.fetch_traces(Purpose::Labelled, labelled);
        }
    }

    /// The view changed (filters, search, facets, label filter, batch): sent to the server.
    pub(super) fn remote_requery(&mut self) {
        let (Some(r), Some(d)) = (&mut self.remote, &mut self.ws.data) else {
            return;
        };
        let ids = self
            .ws
            .project
            .as_ref()
            .and_then(|p| remote::id_set(p, &d.filters, &d.label_filter));
        r.requery(&d.filters, ids.as_ref());
        d.query_error = None;
        self.scroll_to_selected = true;
        self.save_filters();
    }

    /// Whole traces arrived: the local store is rebuilt from every fetched record, and the
    /// opened trace is selected in it.
    fn remote_records(&mut self, purpose: &Purpose, jsonl: &[u8]) {
        if jsonl.is_empty()
            && let Purpose::Open(id) = purpose
        {
            self.error(format!("trace {id} is no longer in the source"));
            return;
        }
        let select = match purpose {
            Purpose::Open(id) => Some(id.clone()),
            Purpose::Labelled => self.selected_trace().map(|(_, id)| id),
        };
        self.rebuild_local(select.as_deref());
        if *purpose == Purpose::Labelled
            && let (Some(p), Some(d)) = (&mut self.ws.project, &self.ws.data)
        {
            p.recount_unknown(&d.store);
            self.ws.forget_chart();
        }
    }

    /// Rebuilds the local store of fetched traces (with the project's field mapping), keeping
    /// the view's filters, and selects `select`.
    pub(super) fn rebuild_local(&mut self, select: Option<&str>) {
        let Some(r) = &self.remote else { return };
        let key = r.key();
        let mapping = self.settings.mappings.get(&key).cloned();
        let loaded = if r.records.is_empty() {
            load::Loaded::empty(&key)
        } else {
            load::load(
                vec![Source::new(key.clone(), r.records.clone())],
                mapping,
                &Progress::default(),
                1,
            )
        };
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) => return self.error(format!("{key}: {e}")),
        };
        let columns = self.settings.columns.get(&key).cloned();
        let mut data = Dataset::new(loaded, key, 0.0, columns);
        if let Some(old) = self.ws.data.take() {
            data.filters = old.filters;
            data.label_filter = old.label_filter;
            data.facets = old.facets;
            data.remote = old.remote;
        }
        if let Some(row) = select
            .and_then(|id| data.store.row_of_id(id))
            .map(|r| r as u32)
        {
            let pos = data.view.iter().position(|&r| r == row).unwrap_or(0);
            data.selected = Some((pos, row));
        }
        self.ws.data = Some(data);
        self.ws.forget_chart();
    }

    /// Opens row `pos` of the view: selected at once when its trace was fetched, else fetched.
    pub(super) fn select_remote(&mut self, pos: u64) {
        self.commit_note();
        let Some(r) = &mut self.remote else { return };
        let Some(n) = r.matched.filter(|&n| n > 0) else {
            return;
        };
        let pos = pos.min(n - 1);
        r.selected = Some(pos);
        self.scroll_to_selected = true;
        let Some(id) = r.row(pos).and_then(|row| row.first()).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        }) else {
            // its page is on its way: opened when it arrives
            r.want(pos..pos + 1);
            self.pending_remote = Some(pos);
            return;
        };
        self.pending_remote = None;
        if r.fetched.contains(&id) {
            if let Some(d) = &mut self.ws.data
                && let Some(row) = d.store.row_of_id(&id).map(|r| r as u32)
            {
                let p = d.view.iter().position(|&x| x == row).unwrap_or(0);
                d.selected = Some((p, row));
            }
        } else {
            r.fetch_traces(Purpose::Open(id.clone()), vec![id]);
        }
    }

    /// Moves to the next row of the source's view, among the rows fetched so far, whose trace
    /// `pred` accepts (the rest of the table is on the server: a label filter finds it there).
    pub(super) fn next_remote_where(
        &mut self,
        pred: impl Fn(Option<&LabelEvent>, &crate::coding::Codebook) -> bool,
    ) {
        let (Some(r), Some(project)) = (&self.remote, &self.ws.project) else {
            return;
        };
        let after = r.selected.map_or(0, |p| p + 1);
        let positions = r.pages.cached_positions();
        let (later, earlier): (Vec<u64>, Vec<u64>) =
            positions.into_iter().partition(|&p| p >= after);
        let found = later.into_iter().chain(earlier).find(|&pos| {
            let id = r
                .pages
                .peek(pos)
                .and_then(|row| row.first())
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    v => v.to_string(),
                });
            id.is_some_and(|id| pred(project.state(&id), &project.codebook))
        });
        match found {
            Some(pos) => self.select_remote(pos),
            None => self.notices.push(Notice {
                text: "no such trace among the rows fetched so far; a label filter (e.g. verdict: unreviewed) finds them on the server".to_owned(),
                error: false,
            }),
        }
    }

    /// Moves the selection in the source's view by `delta` rows (or to a position).
    pub(super) fn move_remote(&mut self, target: i64) {
        let Some(n) = self.remote.as_ref().and_then(|r| r.matched) else {
            return;
        };
        if n == 0 {
            return;
        }
        self.select_remote(target.clamp(0, n as i64 - 1) as u64);
    }

    /// Sorts the source's view by a column on the server (again: descending; a third time:
    /// the id's order).
    pub(super) fn sort_remote(&mut self, column: &SortColumn) {
        let Some(r) = &mut self.remote else { return };
        let Some(d) = &r.detected else { return };
        let name = match column {
            SortColumn::Id => d.label_id().unwrap_or("id").to_owned(),
            SortColumn::Meta(n) => n.clone(),
            _ => return r.sort(None),
        };
        let order = match &r.order {
            Some((c, false)) if *c == name => Some((name, true)),
            Some((c, true)) if *c == name => None,
            _ => Some((name, false)),
        };
        r.sort(order);
        self.scroll_to_selected = true;
    }

    /// Draws a review batch on the server.
    pub(super) fn sample_remote(&mut self, req: &crate::coding::sampling::SampleRequest) {
        let (Some(r), Some(p)) = (&mut self.remote, &self.ws.project) else {
            return;
        };
        if let Err(e) = r.draw(req.clone(), p) {
            self.error(e);
        }
    }

    fn remote_sampled(
        &mut self,
        ctx: &egui::Context,
        req: &crate::coding::sampling::SampleRequest,
        ids: Vec<String>,
        pool: usize,
    ) {
        let Some(p) = &mut self.ws.project else {
            return;
        };
        let at = crate::coding::time::now_rfc3339();
        match crate::workspace::sampling::record_batch(p, req, ids, pool, &at) {
            Ok(drawn) => {
                self.notices.push(Notice {
                    text: format!(
                        "drew {} unreviewed traces of the view (on the server, from {} in seeded hash order) into batch {} (seed {})",
                        drawn.n, drawn.candidates, drawn.name, req.seed
                    ),
                    error: false,
                });
                self.apply(ctx, Action::SetBatch(Some(drawn.name)));
            }
            Err(e) => self.error(e),
        }
    }
}
