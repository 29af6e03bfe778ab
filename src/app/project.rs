//! The open project's lifecycle and the coding edits that go through it: opening (and taking over) a project, the selected trace's label, codebook changes with their relabelling, navigation by label state.

use super::*;

impl ErrataApp {
    /// Recounts which labelled traces are not in the (grown) dump: they count in no figure.
    pub(super) fn recount_unknown(&mut self) {
        if let (Some(p), Some(d)) = (&mut self.ws.project, &self.ws.data) {
            p.recount_unknown(&d.store);
            self.ws.forget_chart();
        }
    }

    /// Opens (or creates) the project that belongs to the dump: a sidecar folder natively,
    /// browser storage on the web. Problems are reported at once.
    pub(super) fn open_project(&mut self, data: &Dataset) {
        let (store, opened) = self.project_storage(&data.key);
        let mut messages: Vec<Notice> = opened
            .errors
            .iter()
            .map(|e| Notice {
                text: e.to_string(),
                error: true,
            })
            .collect();
        for p in &opened.problems {
            messages.push(Notice {
                text: format!(
                    "{}line {} of the label log could not be read ({}): {}/{}",
                    if p.torn {
                        "the last write was cut short; "
                    } else {
                        ""
                    },
                    p.line,
                    p.reason,
                    store.location,
                    crate::persist::LABELS_FILE
                ),
                error: !p.torn,
            });
        }
        let ids: std::collections::HashSet<&str> =
            (0..data.store.len()).map(|r| data.store.id(r)).collect();
        let mut project = Project::new(store, opened, &ids);
        if project.file.dump.is_empty() {
            project.file.dump.clone_from(&data.key);
        }
        // the field mapping, when the user changed it, is part of the project
        let mapping =
            (data.store.mapping != data.store.detected).then(|| data.store.mapping.clone());
        // (a ClickHouse source's mapping is the project's own: its local store holds only what
        // was fetched, and is read with it)
        if self.remote.is_none() && project.file.mapping != mapping {
            project.file.mapping = mapping;
            if let Err(e) = project.store.save_project(&project.file) {
                messages.push(Notice {
                    text: e.to_string(),
                    error: true,
                });
            }
        }
        // the log is the record: it is never rewritten on open (another author's events and what
        // another instance still appends would be lost); replaying a long log is cheap
        if let Some(holder) = project.store.read_only_by() {
            messages.push(Notice {
                text: format!(
                    "read-only: this project is open in another {holder}; labels made here are not saved until File > Take over the project: {}",
                    project.store.location
                ),
                error: true,
            });
        }
        self.notices.extend(messages);
        self.ws.project = Some(project);
    }

    /// Takes the project over from the instance holding it, reopens it (reading what the other
    /// instance wrote) and writes the labels made here while it was read-only.
    pub(super) fn take_over(&mut self) {
        let (Some(mut old), Some(data)) = (self.ws.project.take(), self.ws.data.take()) else {
            return;
        };
        if let Err(e) = old.store.take_over() {
            self.error(e.to_string());
            self.ws.project = Some(old);
            self.ws.data = Some(data);
            return;
        }
        let kept = old.store.take_pending();
        drop(old); // releases the lock it now holds; the reopened store takes it again
        self.open_project(&data);
        self.ws.data = Some(data);
        if let Some(p) = &mut self.ws.project {
            let n = kept.len();
            let r = p.record_all(kept);
            if r.is_ok() {
                self.notices.push(Notice {
                    text: format!(
                        "took the project over; {n} label change(s) made while read-only saved: {}",
                        p.store.location
                    ),
                    error: false,
                });
            }
            self.report(r);
        }
        self.ws.forget_chart();
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn project_storage(&self, key: &str) -> (ProjectStore, crate::persist::Opened) {
        ProjectStore::open_dir(&self.project_dir(key))
    }

    /// The folder of the project of the dump opened as `key`: the dump's sidecar, or a folder
    /// in errata's data folder for what is not a file on disk.
    #[cfg(not(target_arch = "wasm32"))]
    fn project_dir(&self, key: &str) -> std::path::PathBuf {
        let first = key.split(" + ").next().unwrap_or(key);
        let path = std::path::Path::new(first);
        if path.is_file() {
            crate::persist::sidecar_dir(path)
        } else {
            let root = self
                .project_root
                .clone()
                .unwrap_or_else(crate::persist::data_dir);
            crate::persist::data_project_dir(&root, key)
        }
    }

    /// What the project of the dump `key` says before the dump is read: its field mapping, and
    /// the traces kept from earlier "Add traces…" (read with the dump, so that each file is
    /// parsed once). A batch that cannot be read is left out here; restoring it says why.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn project_before_load(
        &self,
        key: &str,
    ) -> (Option<crate::trace::FieldMapping>, Vec<Source>) {
        let (store, project) = ProjectStore::read_dir_project(&self.project_dir(key));
        let (added, errors) = store.added_sources(&project);
        let added = if errors.is_empty() { added } else { Vec::new() };
        (project.mapping, added)
    }

    #[cfg(target_arch = "wasm32")]
    pub(super) fn project_storage(&self, key: &str) -> (ProjectStore, crate::persist::Opened) {
        ProjectStore::open_web(key)
    }

    /// The selected trace's id and current state.
    pub(super) fn selected_trace(&self) -> Option<(u32, String)> {
        let d = self.ws.data.as_ref()?;
        let row = d.selected_row()?;
        Some((row, d.store.id(row as usize).to_owned()))
    }

    /// Records a change to the selected trace's label.
    pub(super) fn edit_selected(&mut self, f: impl FnOnce(&mut LabelEvent)) {
        let Some((_, id)) = self.selected_trace() else {
            return;
        };
        let author = self.settings.author.clone();
        let Some(project) = &mut self.ws.project else {
            return;
        };
        let before = project.state(&id).cloned();
        let mut ev = ui::coding::next_event(before.as_ref(), &id, f);
        if before.as_ref().is_some_and(|b| {
            b.same_content(&ev)
                && b.codebook_version == project.codebook.version
                && b.author == author
        }) {
            return;
        }
        ev.author = author;
        ev.at = crate::coding::time::now_rfc3339();
        ev.codebook_version = project.codebook.version;
        let result = project.record(ev);
        self.report(result);
    }

    pub(super) fn report<T>(&mut self, result: Result<T, crate::persist::PersistError>) {
        match result {
            Ok(_) => self.draft.error = None,
            Err(e) => {
                let text = e.to_string();
                self.draft.error = Some(text.clone());
                if !self.notices.iter().any(|n| n.text == text) {
                    self.error(text);
                }
            }
        }
    }

    /// Saves the note draft to the trace it was typed for.
    pub(super) fn commit_note(&mut self) {
        if self.draft.dirty_since.take().is_none() {
            return;
        }
        let id = self.draft.trace_id.clone();
        let note = self.draft.note.clone();
        let author = self.settings.author.clone();
        let Some(project) = &mut self.ws.project else {
            return;
        };
        let before = project.state(&id).cloned();
        if before.as_ref().map_or("", |b| b.note.as_str()) == note {
            return;
        }
        let mut ev = ui::coding::next_event(before.as_ref(), &id, |e| e.note = note);
        ev.author = author;
        ev.at = crate::coding::time::now_rfc3339();
        ev.codebook_version = before.as_ref().map_or(project.codebook.version, |b| {
            if b.is_coded() {
                b.codebook_version
            } else {
                project.codebook.version
            }
        });
        let result = project.record(ev);
        self.report(result);
    }

    /// Applies a codebook change and the relabel events it implies, then saves.
    pub(super) fn change_codebook(
        &mut self,
        change: impl FnOnce(
            &mut crate::coding::Codebook,
            &str,
            &str,
        ) -> Result<(), crate::coding::CodebookError>,
        map: Option<&Relabel<'_>>,
    ) -> bool {
        let author = self.settings.author.clone();
        let at = crate::coding::time::now_rfc3339();
        let Some(project) = &mut self.ws.project else {
            return false;
        };
        if let Err(e) = change(&mut project.codebook, &author, &at) {
            let text = e.to_string();
            self.error(text);
            return false;
        }
        let version = project.codebook.version;
        let mut events = Vec::new();
        if let Some(map) = map {
            for ev in project.labels.latest() {
                if let Some(categories) = map(ev)
                    && categories != ev.categories
                {
                    events.push(LabelEvent {
                        categories,
                        author: author.clone(),
                        at: at.clone(),
                        codebook_version: version,
                        ..ev.clone()
                    });
                }
            }
        }
        let saved = project.save_codebook();
        let recorded = project.record_all(events);
        self.report(saved);
        self.report(recorded);
        true
    }

    /// Moves to the next trace in view order (after the selection, wrapping) that `pred` accepts.
    pub(super) fn next_where(
        &mut self,
        pred: impl Fn(Option<&LabelEvent>, &crate::coding::Codebook) -> bool,
    ) {
        if self.remote.is_some() {
            return self.next_remote_where(pred);
        }
        let Some(d) = &self.ws.data else { return };
        let Some(project) = &self.ws.project else {
            return;
        };
        let start = d.selected.map_or(0, |(p, _)| p + 1);
        let n = d.view.len();
        let found = (0..n).map(|k| (start + k) % n).find(|&pos| {
            let row = d.view[pos];
            pred(project.state(d.store.id(row as usize)), &project.codebook)
        });
        match found {
            Some(pos) => {
                self.commit_note();
                self.move_to(pos);
            }
            None => self.notices.push(Notice {
                text: "no such trace left in this view".to_owned(),
                error: false,
            }),
        }
    }

    /// Keeps the LLM key when the user ticked "remember" (a user-only file), forgets it when
    /// they untick it; writes only on a change.
    pub(super) fn sync_secret(&mut self) {
        use crate::persist::secret;
        let key = self.axial.provider.api_key.trim();
        let want = (self.axial.remember_key && !key.is_empty()).then(|| key.to_owned());
        if want == self.saved_key {
            return;
        }
        let dir = self.secret_dir.clone();
        match &want {
            Some(k) => {
                if let Err(e) = secret::save(dir.as_deref(), secret::LLM_KEY, k) {
                    self.axial.remember_key = false;
                    self.error(format!("the API key could not be remembered: {e}"));
                    return;
                }
            }
            None => secret::forget(dir.as_deref(), secret::LLM_KEY),
        }
        self.saved_key = want;
    }

    pub(super) fn error(&mut self, text: String) {
        log::warn!("{text}");
        self.notices.push(Notice { text, error: true });
    }

    /// Deletes a category (its traces lose it) and keeps what it takes to undo.
    pub(super) fn delete_category(&mut self, name: String) {
        let before: Vec<LabelEvent> = self
            .ws
            .project
            .as_ref()
            .map(|p| {
                p.labels
                    .latest()
                    .into_iter()
                    .filter(|e| e.categories.contains(&name))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let index = self
            .ws
            .project
            .as_ref()
            .and_then(|p| p.codebook.index_of(&name));
        let category = self
            .ws
            .project
            .as_ref()
            .and_then(|p| p.codebook.get(&name).cloned());
        let n = name.clone();
        if self.change_codebook(
            |cb, a, t| cb.delete(&name, a, t).map(|_| ()),
            Some(&|ev: &LabelEvent| {
                Some(ev.categories.iter().filter(|c| **c != n).cloned().collect())
            }),
        ) && let (Some(index), Some(category)) = (index, category)
        {
            self.undo = Some(UndoDelete {
                index,
                category,
                before,
            });
            self.codebook_ui.undo_label = Some(name);
        }
    }

    /// Puts the last deleted category back on the traces that had it.
    pub(super) fn undo_delete(&mut self) {
        if let Some(undo) = self.undo.take() {
            let restored = undo.category.clone();
            let before = undo.before;
            self.change_codebook(
                |cb, a, t| {
                    if cb.index_of(&restored.name).is_some() {
                        return Err(crate::coding::CodebookError::Exists(restored.name.clone()));
                    }
                    cb.restore(undo.index, restored, a, t)
                },
                Some(&|ev: &LabelEvent| {
                    before.iter().find(|b| b.trace_id == ev.trace_id).map(|b| {
                        let mut cats = ev.categories.clone();
                        for c in &b.categories {
                            if !cats.contains(c) {
                                cats.push(c.clone());
                            }
                        }
                        cats
                    })
                }),
            );
        }
    }

    /// Coins a tag: it joins the codebook (or is found there) and the selected trace.
    pub(super) fn coin_tag(&mut self, ctx: &egui::Context, name: String) {
        let exists = self
            .ws
            .project
            .as_ref()
            .is_some_and(|p| p.codebook.index_of(&name).is_some());
        // coined while reviewing a batch: a new category candidate for the owner
        let batch = self.ws.data.as_ref().and_then(|d| d.filters.batch.clone());
        let coin = |cb: &mut crate::coding::Codebook, a: &str, t: &str| {
            cb.add(&name, a, t)?;
            if let Some(c) = cb.categories.last_mut() {
                c.candidate_from = batch;
            }
            Ok(())
        };
        if exists || self.change_codebook(coin, None) {
            let on = self
                .selected_trace()
                .and_then(|(_, id)| {
                    self.ws
                        .project
                        .as_ref()?
                        .state(&id)
                        .map(|s| s.categories.contains(&name))
                })
                .unwrap_or(false);
            if !on {
                self.apply(ctx, Action::ToggleCategory(name));
            }
        }
    }
}
