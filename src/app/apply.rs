//! Applying actions: each group of actions in a function of its own, each arm a call into the
//! workspace or the project plus at most one effect. An action a group does not handle passes
//! on to the next.

use super::*;

impl ErrataApp {
    /// Applies one action (after the frame that produced it).
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
        let mut action = Some(action);
        action = action.and_then(|a| self.apply_remote(ctx, a));
        action = action.and_then(|a| self.apply_open_and_move(ctx, a));
        action = action.and_then(|a| self.apply_coding(ctx, a));
        action = action.and_then(|a| self.apply_codebook(ctx, a));
        action = action.and_then(|a| self.apply_filters(ctx, a));
        action = action.and_then(|a| self.apply_weekly(ctx, a));
        debug_assert!(action.is_none(), "an action no group handles: {action:?}");
    }

    /// Opening a ClickHouse source, rows of its view, stopping its requests.
    fn apply_remote(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::OpenUrl(url) if remote::is_clickhouse(&url) => {
                self.open_clickhouse(ctx, &url, None);
            }
            Action::OpenClickHouse(url) => {
                let password = self
                    .dialogs
                    .clickhouse
                    .take()
                    .map(|f| f.password)
                    .filter(|p| !p.is_empty());
                self.open_clickhouse(ctx, &url, password);
            }
            Action::SelectRemote(pos) => self.select_remote(pos),
            Action::StopRemote => {
                if let Some(r) = &mut self.remote {
                    r.stop();
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Opening dumps, moving through the view, columns and notices.
    fn apply_open_and_move(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::Select(row) => {
                self.commit_note();
                if let Some(d) = &mut self.ws.data
                    && let Some(pos) = d.view.iter().position(|&r| r == row)
                {
                    d.select_pos(pos);
                }
            }
            Action::Move(delta) => self.move_by(delta),
            Action::Page(n) => self.move_by(n * self.rows_per_page.max(1) as i64),
            Action::First => self.move_to(0),
            Action::Last => self.move_to(usize::MAX),
            Action::SortBy(column) => self.sort_by(ctx, column),
            Action::CopyRecord => self.copy_record(ctx),
            Action::OpenDialog => self.open_dialog(ctx),
            #[cfg(not(target_arch = "wasm32"))]
            Action::OpenPaths(paths) => self.start_paths(ctx, paths),
            #[cfg(target_arch = "wasm32")]
            Action::OpenPaths(_) => {}
            Action::OpenSources(sources) => {
                let sources: Vec<Source> = sources.into_iter().map(|s| s.0).collect();
                self.start_files(ctx, sources);
            }
            Action::OpenUrl(url) => self.start_url(ctx, url),
            Action::CompareWithRun => {
                self.loading_other_run = true;
                self.open_dialog(ctx);
            }
            #[cfg(not(target_arch = "wasm32"))]
            Action::CompareWithRunPaths(paths) => {
                self.loading_other_run = true;
                self.start_paths(ctx, paths);
            }
            #[cfg(target_arch = "wasm32")]
            Action::CompareWithRunPaths(_) => {}
            Action::StopComparingRuns => {
                if let Some(d) = &mut self.ws.data {
                    d.other = None;
                }
            }
            Action::CancelLoad => {
                if let Some(job) = &self.job {
                    job.progress.cancel();
                }
                if let Some(job) = &self.job
                    && matches!(job.kind, JobKind::Fetch(_))
                {
                    self.job = None;
                }
            }
            Action::SetMapping(mapping) => self.remap(ctx, mapping),
            Action::AppendMapped(mapping) => {
                if let Some(p) = self.pending_append.take() {
                    self.start_append(ctx, p.sources, p.batch, Some(mapping));
                }
            }
            Action::CancelAppend => self.pending_append = None,
            Action::ToggleColumn(name) => {
                if let Some(d) = &mut self.ws.data {
                    if let Some(i) = d.visible_columns.iter().position(|c| *c == name) {
                        d.visible_columns.remove(i);
                    } else {
                        let order: Vec<&str> =
                            d.store.columns().iter().map(|c| c.name.as_str()).collect();
                        d.visible_columns.push(name);
                        d.visible_columns.sort_by_key(|c| {
                            order.iter().position(|o| o == c).unwrap_or(usize::MAX)
                        });
                    }
                    self.settings
                        .columns
                        .insert(d.key.clone(), d.visible_columns.clone());
                }
            }
            Action::Show(window) => self.show(window),
            Action::OpenDemo => self.open_demo(),
            Action::Turn(delta) => self.detail_ui.move_turn(delta),
            Action::SelectSpan(node) => {
                self.detail_ui.spans.selected = node;
                self.detail_ui.spans.scroll_to = node.is_some();
            }
            Action::MoveSpan(delta) => self.detail_ui.spans.move_by(delta),
            Action::FoldSpan(open) => self.detail_ui.spans.fold(open),
            Action::ToggleSpanFold(node) => {
                let c = &mut self.detail_ui.spans.collapsed;
                if !c.remove(&node) {
                    c.insert(node);
                }
            }
            Action::MarkCompare => {
                if let Some(row) = self.ws.data.as_ref().and_then(|d| d.selected_row()) {
                    self.detail_ui.mark_compare(row);
                }
            }
            Action::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Copies the selected trace as JSON (every span record of an agent trace), or the span
    /// selected in its tree, and says what was copied.
    fn copy_record(&mut self, ctx: &egui::Context) {
        if let Some(d) = &self.ws.data
            && let Some(row) = d.selected_row()
        {
            // with a span selected, that span's record(s); else the whole trace
            let (record, what) = match self.detail_ui.spans.selected_node() {
                Some(node) if self.detail_ui.spans.row == Some(row) => {
                    let records: Vec<&str> = node
                        .spans
                        .iter()
                        .map(|&i| d.store.span_record(i as usize))
                        .collect();
                    let text = match records.as_slice() {
                        [one] => (*one).to_owned(),
                        many => crate::trace::store::json_array(many),
                    };
                    (
                        text,
                        format!("span {} of {}", node.name, d.store.id(row as usize)),
                    )
                }
                _ => (
                    d.store.trace_json(row as usize).into_owned(),
                    d.store.id(row as usize).to_owned(),
                ),
            };
            let bytes = record.len();
            ctx.copy_text(record);
            // what was copied, said at once (older copies' messages give way)
            let text = format!(
                "copied {what} as JSON ({})",
                crate::workspace::count_of(bytes, "byte", "bytes")
            );
            self.notices
                .retain(|n| n.error || !n.text.starts_with("copied "));
            self.notices.push(Notice { text, error: false });
        }
    }

    /// Labelling the selected trace.
    fn apply_coding(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::SetVerdict(v) => {
                self.commit_note();
                self.edit_selected(|e| e.verdict = v);
            }
            Action::CommitNote => self.commit_note(),
            Action::MarkFirstFailure => {
                let Some(node) = self.detail_ui.spans.selected_node() else {
                    self.error(
                        "select a span first (Shift+J / Shift+K, or click one in the span tree)"
                            .to_owned(),
                    );
                    return None;
                };
                let id = if node.id.is_empty() {
                    format!("#{}", node.spans[0])
                } else {
                    node.id.clone()
                };
                let name = node.name.clone();
                self.commit_note();
                self.edit_selected(|e| {
                    if e.span_id.as_deref() == Some(id.as_str()) {
                        e.span_id = None;
                        e.span_name = None;
                    } else {
                        e.span_id = Some(id);
                        e.span_name = Some(name);
                    }
                });
            }
            Action::ToggleCategory(name) => {
                self.commit_note();
                self.edit_selected(|e| {
                    if let Some(i) = e.categories.iter().position(|c| *c == name) {
                        e.categories.remove(i);
                    } else {
                        e.categories.push(name);
                    }
                });
            }
            Action::ToggleCategoryAt(i) => {
                if let Some(name) = self
                    .ws
                    .project
                    .as_ref()
                    .and_then(|p| p.codebook.categories.get(i))
                    .map(|c| c.name.clone())
                {
                    self.apply(ctx, Action::ToggleCategory(name));
                }
            }
            Action::CoinTag(name) => self.coin_tag(ctx, name),
            Action::NextUnreviewed => self.next_where(|s, _| s.is_none_or(|e| !e.is_reviewed())),
            Action::NextUncoded => self.next_where(needs_coding),
            Action::JumpTo(id) => {
                let row = self.ws.data.as_ref().and_then(|d| d.store.row_of_id(&id));
                match row {
                    Some(row) => {
                        self.apply(ctx, Action::Select(row as u32));
                        self.scroll_to_selected = true;
                    }
                    None => self.error(format!("no trace with id \"{id}\" in this view")),
                }
            }
            Action::ToggleStructured => {
                self.commit_note();
                self.draft.structured = !self.draft.structured;
            }
            Action::ConfirmStructured => {
                let version = self.ws.project.as_ref().map_or(0, |p| p.codebook.version);
                self.edit_selected(|e| e.codebook_version = version);
                // same content under an older version still needs a new event
                if let Some((_, id)) = self.selected_trace()
                    && let Some(p) = &mut self.ws.project
                    && let Some(state) = p.state(&id).cloned()
                    && state.codebook_version < version
                {
                    let ev = LabelEvent {
                        codebook_version: version,
                        author: self.settings.author.clone(),
                        at: crate::coding::time::now_rfc3339(),
                        ..state
                    };
                    let r = p.record(ev);
                    self.report(r);
                }
                self.next_where(|s, cb| in_structured_scope(s) && needs_coding(s, cb));
            }
            Action::ConfirmSuggestions => {
                self.edit_selected(|e| {
                    for c in std::mem::take(&mut e.suggested) {
                        if !e.categories.contains(&c) {
                            e.categories.push(c);
                        }
                    }
                });
                self.forget_suggestion_notice();
            }
            Action::RejectSuggestions => {
                self.edit_selected(|e| e.suggested.clear());
                self.forget_suggestion_notice();
            }
            other => return Some(other),
        }
        None
    }

    /// Codebook changes (each a Codebook method, the traces relabelled with it) and its files.
    fn apply_codebook(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::RenameCategory { old, new } => {
                let (o, n) = (old.clone(), new.clone());
                self.change_codebook(
                    |cb, a, t| cb.rename(&old, &new, a, t),
                    Some(&|ev: &LabelEvent| {
                        Some(
                            ev.categories
                                .iter()
                                .map(|c| if *c == o { n.clone() } else { c.clone() })
                                .collect(),
                        )
                    }),
                );
            }
            Action::MergeCategory { from, into } => {
                let (f, i) = (from.clone(), into.clone());
                self.change_codebook(
                    |cb, a, t| cb.merge(&from, &into, a, t),
                    Some(&|ev: &LabelEvent| {
                        let mut out: Vec<String> = Vec::new();
                        for c in &ev.categories {
                            let c = if *c == f { i.clone() } else { c.clone() };
                            if !out.contains(&c) {
                                out.push(c);
                            }
                        }
                        Some(out)
                    }),
                );
            }
            Action::SplitCategory { from, new, traces } => {
                let (f, n) = (from.clone(), new.clone());
                self.change_codebook(
                    |cb, a, t| cb.split(&from, &new, a, t),
                    Some(&|ev: &LabelEvent| {
                        if !traces.contains(&ev.trace_id) {
                            return None;
                        }
                        Some(
                            ev.categories
                                .iter()
                                .map(|c| if *c == f { n.clone() } else { c.clone() })
                                .collect(),
                        )
                    }),
                );
            }
            Action::DeleteCategory(name) => self.delete_category(name),
            Action::UndoDelete => self.undo_delete(),
            Action::MoveCategory(name, delta) => {
                self.change_codebook(|cb, a, t| cb.reorder(&name, delta, a, t), None);
            }
            Action::EditCategory(name, edited) => {
                self.change_codebook(|cb, a, t| cb.edit(&name, &edited, a, t), None);
            }
            Action::SetOwner(owner) => {
                if let Some(p) = &mut self.ws.project {
                    p.codebook.owner = owner;
                    let r = p.save_codebook();
                    self.report(r);
                }
            }
            Action::AcceptCandidate(name) => {
                self.change_codebook(|cb, a, t| cb.accept_candidate(&name, a, t), None);
            }
            Action::SignOff => {
                let who = self.settings.author.clone();
                let at = crate::coding::time::now_rfc3339();
                if let Some(p) = &mut self.ws.project {
                    match p.codebook.sign_off(&who, &at) {
                        Ok(()) => {
                            let r = p.save_codebook();
                            self.report(r);
                        }
                        Err(e) => self.error(e.to_string()),
                    }
                }
            }
            Action::SetThreshold(n) => {
                if let Some(p) = &mut self.ws.project {
                    p.file.saturation_threshold = n.max(1);
                    let r = p.store.save_project(&p.file);
                    self.report(r);
                }
            }
            Action::ImportCodebook => self.import_codebook(ctx),
            Action::DiscardUnreadable(name) => {
                if let Some(p) = &mut self.ws.project {
                    let r = p.store.set_aside(&name).and_then(|()| {
                        if name == crate::persist::CODEBOOK_FILE {
                            p.save_codebook()
                        } else {
                            p.store.save_project(&p.file)
                        }
                    });
                    self.report(r);
                }
            }
            Action::ExportCodebook { markdown } => self.export_codebook(markdown),
            other => return Some(other),
        }
        None
    }

    /// Filters, search, facets and batches: the view is recomputed.
    fn apply_filters(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::SetSql(sql) => {
                if let Some(d) = &mut self.ws.data {
                    d.filters.sql = sql;
                }
                self.refresh_view(ctx);
            }
            Action::SetSearchText(text) => {
                if let Some(d) = &mut self.ws.data {
                    d.filters.search.text = text;
                }
                self.refresh_view(ctx);
            }
            Action::SetSearchOptions(search, notes) => {
                if let Some(d) = &mut self.ws.data {
                    let text = std::mem::take(&mut d.filters.search.text);
                    d.filters.search = crate::trace::filter::Search { text, ..search };
                    d.filters.search_notes = notes;
                }
                self.refresh_view(ctx);
            }
            Action::SetLabelFilter(f) => {
                if let Some(d) = &mut self.ws.data {
                    d.label_filter = f;
                }
                self.refresh_view(ctx);
            }
            Action::ToggleFacet {
                column,
                value,
                exclude,
            } => {
                if let Some(d) = &mut self.ws.data {
                    let facet = d.filters.facets.entry(column.clone()).or_default();
                    let was_in = facet.include.contains(&value) || facet.exclude.contains(&value);
                    facet.include.retain(|v| *v != value);
                    facet.exclude.retain(|v| *v != value);
                    if !was_in {
                        if exclude {
                            facet.exclude.push(value);
                        } else {
                            facet.include.push(value);
                        }
                    }
                    if facet.include.is_empty() && facet.exclude.is_empty() {
                        d.filters.facets.remove(&column);
                    }
                }
                self.refresh_view(ctx);
            }
            Action::Refresh => self.refresh_view(ctx),
            Action::ClearFilters => {
                if let Some(d) = &mut self.ws.data {
                    d.filters = Default::default();
                    d.label_filter = Default::default();
                }
                self.filter_bar.sql.clear();
                self.filter_bar.search.clear();
                self.refresh_view(ctx);
            }
            Action::SetBatch(batch) => {
                if let Some(d) = &mut self.ws.data {
                    d.filters.batch = batch;
                }
                self.refresh_view(ctx);
            }
            Action::FilterCategory(c) => {
                let mut f = self
                    .ws
                    .data
                    .as_ref()
                    .map(|d| d.label_filter.clone())
                    .unwrap_or_default();
                if f.categories == [c.clone()] {
                    f.categories.clear();
                } else {
                    f.categories = vec![c];
                    f.mode = crate::project::CategoryMode::AnyOf;
                }
                self.apply(ctx, Action::SetLabelFilter(f));
            }
            other => return Some(other),
        }
        None
    }

    /// Axial coding, sampling, the weekly batches, exports and the project lock.
    fn apply_weekly(&mut self, ctx: &egui::Context, action: Action) -> Option<Action> {
        match action {
            Action::ProposeOffline => {
                let proposal = self.ws.project.as_ref().and_then(Project::offline_proposal);
                self.axial.error = None;
                match proposal {
                    Some(p) => self.axial.proposal = Some((p, "offline clusterer".to_owned())),
                    None => {
                        self.axial.error =
                            Some("no notes yet: write some while reading traces (e)".to_owned());
                    }
                }
            }
            Action::ProposeLlm => self.propose_llm(ctx),
            Action::TestConnection => {
                let provider = self.axial.provider.clone();
                let mut request = provider.request("Reply with the single word OK.");
                request.timeout = Some(std::time::Duration::from_secs(30));
                let (tx, rx) = mpsc::channel();
                let repaint = ctx.clone();
                crate::net::fetch(request, crate::net::LLM_BODY_LIMIT, move |result| {
                    let r = result
                        .and_then(|resp| crate::llm::client::answer_text(provider.api, &resp));
                    let _ = tx.send(r);
                    repaint.request_repaint();
                });
                self.test_rx = Some(rx);
                self.axial.status = Some("testing…".to_owned());
                self.axial.error = None;
            }
            Action::CancelPropose => {
                self.propose_rx = None;
                self.embed_rx = None;
                self.propose_job = None;
                self.axial.waiting = false;
            }
            Action::DiscardProposal => self.axial.proposal = None,
            Action::AcceptProposal => self.accept_proposal(),
            Action::ProposeEmbeddings => self.propose_embeddings(ctx),
            Action::DrawSample(req) => self.draw_sample(ctx, &req),
            Action::AddTraces => self.adding_open = self.ws.data.is_some(),
            Action::AddTracesFromFiles => {
                if self.ws.data.is_some() {
                    self.adding_batch = Some(self.weekly.name.trim().to_owned());
                    self.open_dialog(ctx);
                }
            }
            Action::AddTracesFromUrl(url) => {
                if self.ws.data.is_some() {
                    self.adding_batch = Some(self.weekly.name.trim().to_owned());
                    self.start_url(ctx, url);
                }
            }
            Action::ExportRegression => self.export_regression(),
            Action::AddToRegressionFile => self.pick_text_file(ctx, Import::Regression),
            Action::ExportParetoCsv => {
                let csv = self.pareto().to_csv();
                self.save_file("pareto.csv", csv.as_bytes());
            }
            Action::ExportReport => {
                let md = self.report_markdown();
                self.save_file("error-analysis-report.md", md.as_bytes());
            }
            Action::ExportParetoPng => {
                let (tx, rx) = mpsc::channel();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let _ = tx.send(image);
                    repaint.request_repaint();
                });
                self.screenshot_rx = Some(rx);
            }
            Action::ExportLabels => self.export_labels(),
            Action::ImportNotes(req) => self.import_notes(&req),
            #[cfg(not(target_arch = "wasm32"))]
            Action::SaveToPath(path) => self.save_to_path(&path),
            #[cfg(target_arch = "wasm32")]
            Action::SaveToPath(_) => {}
            Action::TakeOver => self.take_over(),
            Action::ImportLabels => self.import_labels(ctx),
            other => return Some(other),
        }
        None
    }

    /// Opens a window (the field mapping editor starts from the dump's mapping).
    pub(super) fn show(&mut self, window: crate::action::Window) {
        use crate::action::Window;
        match window {
            Window::OpenUrl => self.dialogs.url = Some(String::new()),
            Window::OpenClickHouse => {
                self.dialogs.clickhouse = Some(ui::remote_table::Form::new());
            }
            Window::Codebook => self.codebook_ui.open = true,
            Window::FieldMapping => {
                self.dialogs.mapping = self.ws.data.as_ref().map(|d| d.store.mapping.clone());
            }
            Window::SkippedLines => self.dialogs.skipped = true,
            Window::AxialCoding => self.axial.open = true,
            Window::Sample => self.weekly.sample_open = true,
            Window::Judge => self.weekly.judge_open = true,
            Window::Shortcuts => self.dialogs.help = true,
            Window::NotesImport => {
                self.dialogs.notes_import = Some(crate::workspace::notes::NotesImport {
                    author: self.settings.author.clone(),
                    ..Default::default()
                });
            }
        }
    }

    /// Imports a column of the dump as notes, and says what it did.
    fn import_notes(&mut self, req: &crate::workspace::notes::NotesImport) {
        match self
            .ws
            .import_notes(req, &crate::coding::time::now_rfc3339())
        {
            Ok(done) => {
                self.notices.push(Notice {
                    text: format!(
                        "imported {} from `{}` by {} ({} already had one and kept it; {} verdicts read)",
                        crate::workspace::count_of(done.noted, "note", "notes"),
                        req.column,
                        req.author.trim(),
                        done.kept,
                        done.verdicts
                    ),
                    error: false,
                });
                self.ws.forget_chart();
                self.pending.push(Action::Refresh); // label filters may now match other traces
            }
            Err(e) => self.error(e),
        }
    }

    /// Clears "N traces have suggestions…" once no trace has any left.
    fn forget_suggestion_notice(&mut self) {
        let left = self.ws.project.as_ref().is_some_and(|p| {
            p.labels
                .latest_in_log_order()
                .any(|e| !e.suggested.is_empty())
        });
        if !left {
            self.notices
                .retain(|n| !n.text.contains("to confirm (y) or reject (r)"));
        }
    }
}
