//! Background work: loads, appends, fetches and browser file reads, run as jobs and polled each frame.

use super::*;

impl ErrataApp {
    pub(super) fn finish_load(&mut self, loaded: Loaded, key: String, load_ms: f64) {
        for w in &loaded.warnings {
            self.notices.push(Notice {
                text: w.clone(),
                error: false,
            });
        }
        if loaded.skipped_count > 0 {
            self.notices.push(Notice {
                text: format!(
                    "{} lines skipped (first: {}); View > Skipped lines lists them",
                    loaded.skipped_count,
                    loaded
                        .skipped
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
                error: false,
            });
        }
        self.commit_note();
        // folds and "show all" belong to the dump that was open
        self.detail_ui.unfolded_roles.clear();
        self.detail_ui.expanded.clear();
        self.detail_ui.spans.clear();
        let columns = self.settings.columns.get(&key).cloned();
        let mut data = Dataset::new(loaded, key, load_ms, columns);
        self.remote = None;
        self.open_project(&data);
        self.restore_added = true;
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
        self.draft = CodingDraft {
            structured: self.draft.structured,
            ..Default::default()
        };
        self.undo = None;
        self.ws.forget_chart();
        self.codebook_ui = Default::default();
        self.scroll_to_selected = true;
        self.pending.push(Action::Refresh);
    }

    /// Runs `work` as the current job: on a named thread natively, at once in the browser; its
    /// result arrives through a channel and a repaint.
    pub(super) fn run_job(
        &mut self,
        ctx: &egui::Context,
        label: String,
        key: String,
        progress: Arc<Progress>,
        work: impl FnOnce(&Progress) -> Result<Finished, load::LoadError> + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel();
        let p = progress.clone();
        let repaint = ctx.clone();
        let run = move || {
            let _ = tx.send(work(&p));
            repaint.request_repaint();
        };
        #[cfg(not(target_arch = "wasm32"))]
        if let Err(e) = std::thread::Builder::new()
            .name("errata-load".to_owned())
            .spawn(run)
        {
            self.error(format!("could not start the loader thread: {e}"));
            return;
        }
        #[cfg(target_arch = "wasm32")]
        run();
        self.job = Some(LoadJob {
            label,
            progress,
            key,
            started_secs: ctx.input(|i| i.time),
            kind: JobKind::Thread(rx),
            other_run: std::mem::take(&mut self.loading_other_run),
        });
    }

    /// [`ErrataApp::start_sources`] named by its files.
    pub(super) fn start_files(&mut self, ctx: &egui::Context, sources: Vec<Source>) {
        let label = sources
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
            .join(", ");
        self.start_sources(ctx, sources, label);
    }

    pub(super) fn start_sources(
        &mut self,
        ctx: &egui::Context,
        sources: Vec<Source>,
        label: String,
    ) {
        if !self.loading_other_run
            && let Some(batch) = self.adding_batch.take()
            && self.ws.data.is_some()
        {
            self.start_append(ctx, sources, batch, None);
            return;
        }
        let key = sources
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ");
        let mapping = self.settings.mappings.get(&key).cloned();
        let progress = Arc::new(Progress::default());
        let total: u64 = sources.iter().map(|s| s.bytes.len() as u64).sum();
        progress
            .bytes_total
            .store(total, std::sync::atomic::Ordering::Relaxed);
        progress
            .bytes_done
            .store(total, std::sync::atomic::Ordering::Relaxed);
        #[cfg(not(target_arch = "wasm32"))]
        self.run_job(ctx, label, key, progress, move |p| {
            let t = std::time::Instant::now();
            load::load(sources, mapping, p, worker_threads())
                .map(|l| Finished::Load(l, t.elapsed().as_secs_f64() * 1e3))
        });
        #[cfg(target_arch = "wasm32")]
        {
            let started_secs = ctx.input(|i| i.time);
            match Prepared::new(sources, mapping) {
                Ok(prepared) => {
                    progress.records_total.store(
                        prepared.total() as u64,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    self.job = Some(LoadJob {
                        label,
                        progress,
                        key,
                        started_secs,
                        kind: JobKind::Incremental {
                            prepared: Box::new(prepared),
                            next: 0,
                            chunks: Vec::new(),
                        },
                        other_run: std::mem::take(&mut self.loading_other_run),
                    });
                    ctx.request_repaint();
                }
                Err(e) => self.error(e.to_string()),
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn start_paths(&mut self, ctx: &egui::Context, paths: Vec<std::path::PathBuf>) {
        if self.adding_batch.is_some() && self.ws.data.is_some() && !self.loading_other_run {
            let progress = Progress::default();
            match paths
                .iter()
                .map(|p| load::read_file(p, &progress))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(sources) => {
                    self.start_files(ctx, sources);
                }
                Err(e) => {
                    self.adding_batch = None;
                    self.error(e.to_string());
                }
            }
            return;
        }
        let key = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        let label = key.clone();
        // a mapping chosen for this dump: from the settings, else from its project folder
        let (kept_mapping, added) = if self.loading_other_run {
            (None, Vec::new())
        } else {
            self.project_before_load(&key)
        };
        let mapping = self.settings.mappings.get(&key).cloned().or(kept_mapping);
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            let t = std::time::Instant::now();
            paths
                .iter()
                .map(|path| load::read_file(path, p))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|sources| super::batches::load_with_added(sources, added, mapping, p, t))
        });
    }

    /// Fetches the labels files given at start (`&labels=`) and imports each as it arrives.
    pub(super) fn fetch_labels(&mut self, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        for url in std::mem::take(&mut self.label_urls) {
            let tx = tx.clone();
            let repaint = ctx.clone();
            let limit = usize::try_from(crate::trace::load::max_bytes()).unwrap_or(usize::MAX);
            crate::net::fetch(ehttp::Request::get(&url), limit, move |result| {
                let r = match result {
                    Ok(resp) if resp.ok => Ok((
                        url.clone(),
                        String::from_utf8_lossy(&resp.bytes).into_owned(),
                    )),
                    Ok(resp) => Err(format!(
                        "the labels could not be fetched: HTTP {} {}: {url}",
                        resp.status, resp.status_text
                    )),
                    Err(e) => Err(format!("the labels could not be fetched: {e}")),
                };
                let _ = tx.send(r);
                repaint.request_repaint();
            });
        }
        self.label_rx = Some(rx);
    }

    pub(super) fn start_url(&mut self, ctx: &egui::Context, url: String) {
        let (tx, rx) = mpsc::channel();
        let repaint = ctx.clone();
        let name = url.clone();
        let limit = usize::try_from(crate::trace::load::max_bytes()).unwrap_or(usize::MAX);
        crate::net::fetch(ehttp::Request::get(&url), limit, move |result| {
            let r = match result {
                Ok(resp) if resp.ok => Ok(vec![Source::new(name.clone(), resp.bytes)]),
                Ok(resp) => Err(format!(
                    "HTTP {} {} ({}): {name}",
                    resp.status,
                    resp.status_text,
                    content::one_line(resp.text().unwrap_or(""), 200)
                )),
                Err(e) => Err(format!("could not fetch: {e}")),
            };
            let _ = tx.send(r);
            repaint.request_repaint();
        });
        self.job = Some(LoadJob {
            label: url.clone(),
            progress: Arc::new(Progress::default()),
            key: url,
            started_secs: ctx.input(|i| i.time),
            kind: JobKind::Fetch(rx),
            other_run: std::mem::take(&mut self.loading_other_run),
        });
    }

    /// Advances background work: finished loads, fetches, browser chunks, dropped files.
    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        self.poll_remote(ctx);
        if let Some(pos) = self.pending_remote
            && self.remote.as_mut().is_some_and(|r| r.row(pos).is_some())
        {
            self.select_remote(pos);
        }
        self.poll_llm(ctx);
        self.poll_inputs(ctx);
        self.poll_job(ctx);
    }

    /// LLM answers: the connection test and the proposal batches.
    fn poll_llm(&mut self, ctx: &egui::Context) {
        if let Some(rx) = &self.embed_rx
            && let Ok(result) = rx.try_recv()
        {
            self.embed_rx = None;
            self.axial.waiting = false;
            match result {
                Ok((proposal, warning)) => {
                    self.axial.status = warning;
                    self.axial.proposal = Some((proposal, self.axial.embeddings.label()));
                }
                Err(e) => {
                    self.axial.status = None;
                    self.axial.error = Some(e);
                }
            }
        }
        if let Some(rx) = &self.test_rx
            && let Ok(result) = rx.try_recv()
        {
            self.test_rx = None;
            match result {
                Ok(answer) => {
                    self.axial.status = Some(format!(
                        "connected: the model answered \"{}\"",
                        content::one_line(&answer, 60)
                    ));
                }
                Err(e) => {
                    self.axial.status = None;
                    self.axial.error = Some(e);
                }
            }
        }
        if let Some(rx) = &self.propose_rx
            && let Ok(result) = rx.try_recv()
        {
            self.propose_rx = None;
            match result {
                Ok(part) => {
                    let next = self.propose_job.as_mut().and_then(|job| {
                        crate::llm::proposal::reconcile(&mut job.acc, part, &job.all_notes);
                        job.remaining.pop_front()
                    });
                    match next {
                        Some(batch) => self.send_batch(ctx, batch),
                        None => {
                            self.axial.waiting = false;
                            if let Some(job) = self.propose_job.take() {
                                self.axial.proposal = Some((job.acc, self.axial.provider.label()));
                            }
                        }
                    }
                }
                Err(e) => {
                    self.axial.waiting = false;
                    self.propose_job = None;
                    self.axial.error = Some(e);
                }
            }
        }
    }

    /// A finished view query, the search debounce, imports, fetched labels, the note debounce, files picked in the browser.
    fn poll_inputs(&mut self, ctx: &egui::Context) {
        let arrived = self
            .ws
            .data
            .as_ref()
            .and_then(|d| d.query_rx.as_ref())
            .and_then(|rx| rx.try_recv().ok());
        if let Some((generation, result)) = arrived {
            self.take_view(generation, result);
        }
        if let Some(t) = self.filter_bar.search_changed {
            let now = ctx.input(|i| i.time);
            if now - t >= ui::filter::SEARCH_DEBOUNCE_SECS {
                self.filter_bar.search_changed = None;
                let text = self.filter_bar.search.clone();
                self.apply(ctx, Action::SetSearchText(text));
            } else {
                ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                    ui::filter::SEARCH_DEBOUNCE_SECS,
                ));
            }
        }
        if let Some(rx) = &self.import_rx
            && let Ok((kind, name, text)) = rx.try_recv()
        {
            self.import_rx = None;
            self.import_text(kind, &name, &text);
        }
        if self.restore_added && self.job.is_none() {
            self.restore_added(ctx);
        }
        if !self.label_urls.is_empty() && self.ws.project.is_some() && self.job.is_none() {
            self.fetch_labels(ctx);
        }
        let arrived: Vec<_> = self
            .label_rx
            .as_ref()
            .map(|rx| rx.try_iter().collect())
            .unwrap_or_default();
        for r in arrived {
            match r {
                Ok((name, text)) => self.merge_labels_text(&name, &text),
                Err(e) => self.error(e),
            }
        }
        if let Some(t) = self.draft.dirty_since {
            let now = ctx.input(|i| i.time);
            if now - t >= NOTE_DEBOUNCE_SECS {
                self.commit_note();
            } else {
                ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                    NOTE_DEBOUNCE_SECS - (now - t) + 0.01,
                ));
            }
        }
        if let Some(rx) = &self.file_rx {
            match rx.try_recv() {
                Ok(Ok(sources)) => {
                    self.file_rx = None;
                    self.start_files(ctx, sources);
                }
                Ok(Err(e)) => {
                    self.file_rx = None;
                    self.adding_batch = None;
                    self.loading_other_run = false;
                    self.error(e);
                }
                Err(mpsc::TryRecvError::Empty) => {}
                // the picker was cancelled: a later open is an open, not an append
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.file_rx = None;
                    self.adding_batch = None;
                    self.loading_other_run = false;
                }
            }
        }
    }

    /// The running load or append: finished, failed, cancelled, or a slice of browser parsing.
    fn poll_job(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.job else {
            return;
        };
        let now = ctx.input(|i| i.time);
        match &mut job.kind {
            JobKind::Thread(rx) => match rx.try_recv() {
                Ok(result) => {
                    let Some(job) = self.job.take() else { return };
                    match result {
                        Ok(Finished::Load(loaded, _)) if job.other_run => {
                            self.finish_other_run(loaded, job.key);
                        }
                        Ok(Finished::Load(loaded, ms)) => self.finish_load(loaded, job.key, ms),
                        Ok(Finished::Reopened {
                            loaded,
                            ms,
                            batches,
                            added,
                        }) => {
                            self.finish_load(loaded, job.key, ms);
                            self.restored(added, &batches);
                        }
                        Ok(Finished::Append {
                            loaded,
                            stats,
                            batch,
                            restored,
                        }) => {
                            self.finish_append(loaded, stats, job.key, &batch, restored);
                        }
                        Ok(Finished::AppendNeedsMapping(diff, sources, batch)) => {
                            self.adding_open = false;
                            self.pending_append = Some(PendingAppend {
                                draft: diff.detected.clone(),
                                sources,
                                batch,
                                diff: *diff,
                            });
                        }
                        Err(load::LoadError::Cancelled) => {}
                        Err(e) => self.error(e.to_string()),
                    }
                }
                Err(mpsc::TryRecvError::Empty) => {
                    ctx.request_repaint_after(std::time::Duration::from_millis(100));
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.job = None;
                    self.error("the loader stopped unexpectedly".to_owned());
                }
            },
            JobKind::Fetch(rx) => match rx.try_recv() {
                Ok(Ok(sources)) => {
                    let Some(job) = self.job.take() else { return };
                    self.loading_other_run = job.other_run;
                    self.start_sources(ctx, sources, job.label);
                }
                Ok(Err(e)) => {
                    self.job = None;
                    self.error(e);
                }
                Err(mpsc::TryRecvError::Empty) => {
                    ctx.request_repaint_after(std::time::Duration::from_millis(100));
                }
                Err(mpsc::TryRecvError::Disconnected) => self.job = None,
            },
            JobKind::Incremental {
                prepared,
                next,
                chunks,
            } => {
                if job.progress.is_cancelled() {
                    self.job = None;
                    return;
                }
                let end = (*next + RECORDS_PER_FRAME).min(prepared.total());
                match prepared.parse_range(*next..end, &job.progress) {
                    Ok(chunk) => chunks.push(chunk),
                    Err(e) => {
                        self.job = None;
                        self.error(e.to_string());
                        return;
                    }
                }
                *next = end;
                if end >= prepared.total() {
                    let Some(job) = self.job.take() else { return };
                    if let JobKind::Incremental {
                        prepared, chunks, ..
                    } = job.kind
                    {
                        match prepared.finish(chunks) {
                            Ok(loaded) if job.other_run => self.finish_other_run(loaded, job.key),
                            Ok(loaded) => {
                                self.finish_load(loaded, job.key, (now - job.started_secs) * 1e3);
                            }
                            Err(e) => self.error(e.to_string()),
                        }
                    }
                } else {
                    ctx.request_repaint();
                }
            }
        }
    }

    pub(super) fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        if dropped.is_empty() {
            return;
        }
        // a drop adds its files while the "Add traces" window is open, else opens them
        self.adding_batch = self.adding_open.then(|| self.weekly.name.trim().to_owned());
        #[cfg(not(target_arch = "wasm32"))]
        {
            let paths = dropped.iter().map(|f| f.path().to_path_buf()).collect();
            self.pending.push(Action::OpenPaths(paths));
        }
        #[cfg(target_arch = "wasm32")]
        {
            let (tx, rx) = mpsc::channel();
            self.file_rx = Some(rx);
            let repaint = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut sources = Vec::new();
                for f in &dropped {
                    let name = f.path().display().to_string();
                    match f.bytes_async().await {
                        Ok(bytes) => sources.push(Source::new(name, bytes)),
                        Err(e) => {
                            let _ = tx.send(Err(format!(
                                "could not read the dropped file ({e}): {name}"
                            )));
                            repaint.request_repaint();
                            return;
                        }
                    }
                }
                let _ = tx.send(Ok(sources));
                repaint.request_repaint();
            });
        }
    }

    pub(super) fn open_dialog(&mut self, ctx: &egui::Context) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ctx;
            if !self.file_dialogs {
                self.adding_batch = None;
                self.error(NO_PICKER.to_owned());
                return;
            }
            match rfd::FileDialog::new()
                .add_filter("Traces", &["jsonl", "ndjson", "json", "gz"])
                .add_filter("All files", &["*"])
                .pick_files()
            {
                Some(paths) => self.pending.push(Action::OpenPaths(paths)),
                // cancelled: a later open is an open, not an append or another run
                None => {
                    self.adding_batch = None;
                    self.loading_other_run = false;
                }
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let (tx, rx) = mpsc::channel();
            self.file_rx = Some(rx);
            let repaint = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let files = rfd::AsyncFileDialog::new()
                    .add_filter("Traces", &["jsonl", "ndjson", "json", "gz"])
                    .pick_files()
                    .await;
                let Some(files) = files else { return };
                let mut sources = Vec::new();
                for f in files {
                    sources.push(Source::new(f.file_name(), f.read().await));
                }
                let _ = tx.send(Ok(sources));
                repaint.request_repaint();
            });
        }
    }

    /// A finished load of another run: kept beside the open dump to compare outputs with.
    pub(super) fn finish_other_run(&mut self, loaded: Loaded, key: String) {
        let Some(d) = &mut self.ws.data else {
            self.error(format!(
                "open a dump before another run to compare it with: {key}"
            ));
            return;
        };
        for w in &loaded.warnings {
            self.notices.push(Notice {
                text: format!("{key}: {w}"),
                error: false,
            });
        }
        let other = crate::workspace::other_run::OtherRun::new(loaded, key);
        let found = (0..d.store.len())
            .filter(|&r| other.has_id(d.store.id(r)))
            .count();
        let text = format!(
            "comparing outputs with {} ({} of {} share an id with this dump; others are matched by input)",
            other.name,
            crate::workspace::fmt_count(found),
            crate::workspace::count_of(d.store.len(), "trace", "traces"),
        );
        d.other = Some(other);
        self.detail_ui.compare_with = None;
        self.notices.push(Notice { text, error: false });
    }

    pub(super) fn open_demo(&mut self) {
        let name = crate::demo::DEMO_NAME.to_owned();
        match load::load_bytes(&name, crate::demo::DEMO_JSONL.to_vec()) {
            Ok(loaded) => self.finish_load(loaded, name, 0.0),
            Err(e) => self.error(e.to_string()),
        }
    }
}
