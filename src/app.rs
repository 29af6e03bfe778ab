//! `ErrataApp`: owns the loaded traces and the UI state, runs background loads, draws the panels
//! and applies the actions they return.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;

use serde::{Deserialize, Serialize};

pub use crate::action::{Action, SourceBytes};
use crate::coding::{Category, LabelEvent, Verdict};
use crate::persist::ProjectStore;
use crate::project::{Project, in_structured_scope, needs_coding};
use crate::trace::FieldMapping;
use crate::trace::content;
use crate::trace::load::{self, ChunkOut, Loaded, Prepared, Progress, Source};
use crate::trace::view::{self, Sort, SortColumn};
use crate::ui;
pub use crate::ui::coding::CodingDraft;
pub use crate::ui::dialogs::Dialogs;
use crate::workspace::pareto::ChartOptions;
pub use crate::workspace::{Dataset, Notice, PendingAppend, fmt_count};

/// Said when no file picker can open natively.
#[cfg(not(target_arch = "wasm32"))]
const NO_PICKER: &str = "no file dialog is available here (no desktop portal or zenity): drop the \
     file on the window, or pass it on the command line";

/// What a shortcut key does.
#[derive(Clone)]
enum KeyEffect {
    Act(Action),
    Focus(egui::Id),
    Jump,
    Codebook,
    Axial,
    Help,
    Close,
}

/// Characters of notes sent to the LLM in one request (large note sets go in several).
const LLM_BATCH_CHARS: usize = 60_000;

/// An LLM proposal over several batches of notes, reconciled as answers arrive.
struct ProposeJob {
    all_notes: Vec<String>,
    remaining: std::collections::VecDeque<Vec<String>>,
    acc: crate::llm::proposal::Proposal,
}

/// What a picked file is imported as.
#[derive(Clone, Copy, Debug)]
enum Import {
    Labels,
    Codebook,
    /// A regression set to add the current failing traces to (the browser: the merged file is
    /// downloaded).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Regression,
}

/// What a delete removed, to undo it.
struct UndoDelete {
    index: usize,
    category: Category,
    before: Vec<LabelEvent>,
}

/// Maps a trace's latest label to its new categories (`None`: unchanged).
type Relabel<'a> = dyn Fn(&LabelEvent) -> Option<Vec<String>> + 'a;

/// Seconds a note must rest before it is saved while typing.
const NOTE_DEBOUNCE_SECS: f64 = 0.6;

/// Preferences kept across runs (eframe storage: a file natively, local storage in the browser).
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Field mapping chosen per dump (keyed by the dump's name).
    pub mappings: BTreeMap<String, FieldMapping>,
    /// Visible metadata columns per dump.
    pub columns: BTreeMap<String, Vec<String>>,
    /// The user's name, carried by every label event.
    pub author: String,
    /// LLM API key, only when the user ticked "remember" (kept in the app's own settings
    /// storage, never in a project folder or an export).
    pub remembered_api_key: Option<String>,
}

/// A load in progress.
pub struct LoadJob {
    /// What is loading (file names or URL).
    pub label: String,
    /// Shared progress counters.
    pub progress: Arc<Progress>,
    key: String,
    started_secs: f64,
    kind: JobKind,
}

/// What a worker sends when it is done.
enum Finished {
    /// A dump loaded, and how long it took (native; the browser parses between frames).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Load(Loaded, f64),
    /// Traces added to the open dump as a batch (`restored`: the project's kept batches,
    /// re-added when the dump was opened).
    Append {
        loaded: Loaded,
        stats: crate::trace::append::Appended,
        batch: String,
        restored: bool,
    },
    /// The added file's fields differ from the dump's: the user maps them (the files are kept).
    AppendNeedsMapping(Box<crate::trace::append::ShapeDiff>, Vec<Source>, String),
}

enum JobKind {
    /// A worker (a named thread natively; in the browser the result is sent at once) sends the
    /// finished load or append.
    Thread(mpsc::Receiver<Result<Finished, load::LoadError>>),
    /// An HTTP fetch or a browser file read in flight.
    Fetch(mpsc::Receiver<Result<Vec<Source>, String>>),
    /// The browser: parsed a range of records per frame.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Incremental {
        prepared: Box<Prepared>,
        next: usize,
        chunks: Vec<ChunkOut>,
    },
}

/// Records parsed per frame on the incremental (browser) path.
const RECORDS_PER_FRAME: usize = 4_000;

/// How the app starts.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Files to open (native).
    pub paths: Vec<std::path::PathBuf>,
    /// URLs to fetch.
    pub urls: Vec<String>,
    /// Labels files to fetch and import once the dump is open (the page's `&labels=`).
    pub label_urls: Vec<String>,
    /// Where projects of dumps without a path (the demo, drops, URLs) are kept natively;
    /// defaults to errata's data folder. Tests point it at a temporary folder.
    pub project_root: Option<std::path::PathBuf>,
}

/// The application.
pub struct ErrataApp {
    /// The open dump and its project, and the operations on them.
    pub ws: crate::workspace::Workspace,
    /// The load in progress.
    pub job: Option<LoadJob>,
    /// Messages for the status bar.
    pub notices: Vec<Notice>,
    /// Open windows.
    pub dialogs: Dialogs,
    /// Persisted preferences.
    pub settings: Settings,
    /// Rows that fit in the table, for PageUp/PageDown.
    pub rows_per_page: usize,
    /// Scroll the table to the selection on the next frame.
    pub scroll_to_selected: bool,
    /// Huge texts the user asked to see in full.
    pub expanded: std::collections::HashSet<egui::Id>,
    /// Coding panel drafts.
    pub draft: CodingDraft,
    /// Codebook window state.
    pub codebook_ui: ui::codebook::CodebookUi,
    /// Filter bar drafts.
    pub filter_bar: ui::filter::FilterBar,
    /// Pareto chart options.
    pub pareto_ui: ui::pareto::ParetoUi,
    /// Axial-coding window.
    pub axial: ui::axial::AxialUi,
    /// Sampling and judge windows.
    pub weekly: ui::weekly::WeeklyUi,
    propose_rx: Option<mpsc::Receiver<Result<crate::llm::proposal::Proposal, String>>>,
    test_rx: Option<mpsc::Receiver<Result<String, String>>>,
    propose_job: Option<ProposeJob>,
    /// Where the chart was drawn last (for the PNG export), and whether a screenshot is awaited.
    chart_rect: Option<egui::Rect>,
    /// The chart's data and what it was computed from (recomputed only when that changes, not
    screenshot_rx: Option<mpsc::Receiver<Arc<egui::ColorImage>>>,
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    project_root: Option<std::path::PathBuf>,
    undo: Option<UndoDelete>,
    /// The next files opened are added to the open dump as this batch.
    pub adding_batch: Option<String>,
    /// The "Add traces" window is open (drops are added, not opened, while it is).
    pub adding_open: bool,
    /// The URL typed in the "Add traces" window.
    pub adding_url: String,
    /// An append waiting for the user to map the new file's fields.
    pub pending_append: Option<PendingAppend>,
    /// The kept batches of the project just opened are to be re-added.
    restore_added: bool,
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    import_rx: Option<mpsc::Receiver<(Import, String, String)>>,
    /// Labels files to import once a dump and its project are open.
    label_urls: Vec<String>,
    label_rx: Option<mpsc::Receiver<Result<(String, String), String>>>,
    pending: Vec<Action>,
    /// Actions of a pass egui discarded, merged with those of the pass that replaces it.
    discarded: Vec<Action>,
    file_rx: Option<mpsc::Receiver<Result<Vec<Source>, String>>>,
    /// The character of the last shortcut key, when it has not arrived yet (see `keys`).
    shortcut_char: Option<String>,
    /// Where remembered secrets live (errata's data folder natively).
    secret_dir: Option<std::path::PathBuf>,
    /// The LLM key as last remembered (to write the secret only when it changes).
    saved_key: Option<String>,
}

impl ErrataApp {
    /// Creates the app; opens `start`'s files or URLs, else the bundled demo.
    pub fn new(cc: &eframe::CreationContext<'_>, start: StartOptions) -> Self {
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY))
            .unwrap_or_default();
        let mut app = ErrataApp {
            ws: Default::default(),
            job: None,
            notices: Vec::new(),
            dialogs: Dialogs::default(),
            settings,
            rows_per_page: 20,
            scroll_to_selected: false,
            expanded: Default::default(),
            draft: CodingDraft::default(),
            codebook_ui: Default::default(),
            filter_bar: Default::default(),
            pareto_ui: Default::default(),
            axial: Default::default(),
            weekly: Default::default(),
            propose_rx: None,
            test_rx: None,
            propose_job: None,
            chart_rect: None,
            screenshot_rx: None,
            project_root: start.project_root.clone(),
            undo: None,
            adding_batch: None,
            adding_open: false,
            adding_url: String::new(),
            pending_append: None,
            restore_added: false,
            import_rx: None,
            label_urls: start.label_urls.clone(),
            label_rx: None,
            pending: Vec::new(),
            discarded: Vec::new(),
            file_rx: None,
            // (a chosen project root, as in tests, holds the secrets too)
            shortcut_char: None,
            secret_dir: start.project_root.clone().or_else(secret_dir),
            saved_key: None,
        };
        if app.settings.author.is_empty() {
            app.settings.author = default_author();
        }
        // a key remembered by an older errata sits in the settings file: move it to the
        // user-only file
        use crate::persist::secret;
        let dir = app.secret_dir.clone();
        if let Some(old) = app.settings.remembered_api_key.take()
            && secret::save(dir.as_deref(), secret::LLM_KEY, &old).is_err()
        {
            app.axial.provider.api_key = old;
        }
        app.axial.key_location = secret::location(dir.as_deref(), secret::LLM_KEY);
        if let Some(key) = secret::load(dir.as_deref(), secret::LLM_KEY) {
            app.axial.provider.api_key.clone_from(&key);
            app.axial.remember_key = true;
            app.saved_key = Some(key);
        }
        if !start.paths.is_empty() {
            app.pending.push(Action::OpenPaths(start.paths));
        } else if let Some(url) = start.urls.into_iter().next() {
            app.pending.push(Action::OpenUrl(url));
        } else {
            app.open_demo();
        }
        app
    }

    fn open_demo(&mut self) {
        let name = crate::demo::DEMO_NAME.to_owned();
        match load::load_bytes(&name, crate::demo::DEMO_JSONL.to_vec()) {
            Ok(loaded) => self.finish_load(loaded, name, 0.0),
            Err(e) => self.error(e.to_string()),
        }
    }

    /// Keeps the LLM key when the user ticked "remember" (a user-only file), forgets it when
    /// they untick it; writes only on a change.
    fn sync_secret(&mut self) {
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

    fn error(&mut self, text: String) {
        log::warn!("{text}");
        self.notices.push(Notice { text, error: true });
    }

    fn finish_load(&mut self, loaded: Loaded, key: String, load_ms: f64) {
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
        let columns = self.settings.columns.get(&key).cloned();
        let mut data = Dataset::new(loaded, key, load_ms, columns);
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

    /// Adds `sources` to the open dump as `batch`: duplicates by identity are skipped.
    /// Runs `work` as the current job: on a named thread natively, at once in the browser; its
    /// result arrives through a channel and a repaint.
    fn run_job(
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
        });
    }

    /// Adds `sources` to the open dump as `batch` (duplicates by identity are skipped). With
    /// `mapping`, the new files' fields are read with it and rewritten to the dump's; without,
    /// the dump's mapping is reused, and a file shaped otherwise is handed back to be mapped.
    fn start_append(
        &mut self,
        ctx: &egui::Context,
        sources: Vec<Source>,
        batch: String,
        mapping: Option<FieldMapping>,
    ) {
        let Some(d) = &self.ws.data else { return };
        let store = d.store.clone();
        let key = d.key.clone();
        let label = format!("traces for batch {batch}");
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            use crate::trace::append::{AppendError, append};
            let retry = if mapping.is_none() {
                sources.clone()
            } else {
                Vec::new()
            };
            match append(
                &store,
                sources,
                &batch,
                mapping.as_ref(),
                p,
                worker_threads(),
            ) {
                Ok((loaded, stats)) => Ok(Finished::Append {
                    loaded,
                    stats,
                    batch,
                    restored: false,
                }),
                Err(AppendError::ShapeDiffers(diff)) => {
                    Ok(Finished::AppendNeedsMapping(diff, retry, batch))
                }
                Err(AppendError::Load(e)) => Err(e),
            }
        });
    }

    /// Re-adds the traces the project keeps from earlier "Add traces…" (after the dump opened).
    fn restore_added(&mut self, ctx: &egui::Context) {
        self.restore_added = false;
        let (Some(d), Some(p)) = (&self.ws.data, &self.ws.project) else {
            return;
        };
        let (sources, errors) = p.store.added_sources(&p.file);
        let store = d.store.clone();
        let key = d.key.clone();
        for e in errors {
            self.error(format!("the added traces could not be read back: {e}"));
        }
        if sources.is_empty() {
            return;
        }
        let label = "traces added in earlier batches".to_owned();
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            let mapping = store.mapping.clone();
            crate::trace::append::append(&store, sources, "", Some(&mapping), p, worker_threads())
                .map(|(loaded, stats)| Finished::Append {
                    loaded,
                    stats,
                    batch: String::new(),
                    restored: true,
                })
                .map_err(|e| match e {
                    crate::trace::append::AppendError::Load(e) => e,
                    other => load::LoadError::Polars(polars::prelude::PolarsError::ComputeError(
                        other.to_string().into(),
                    )),
                })
        });
    }

    fn finish_append(
        &mut self,
        loaded: Loaded,
        stats: crate::trace::append::Appended,
        key: String,
        batch: &str,
        restored: bool,
    ) {
        self.finish_load(loaded, key, 0.0);
        self.restore_added = false;
        let n = stats.added.len();
        if restored {
            if n > 0 {
                let names: Vec<&str> = stats.kept.iter().map(|(b, _)| b.as_str()).collect();
                self.notices.push(Notice {
                    text: format!(
                        "{n} traces added earlier are back (batches {})",
                        names.join(", ")
                    ),
                    error: false,
                });
            }
            return;
        }
        self.adding_open = false;
        if let Some(p) = &mut self.ws.project
            && n > 0
        {
            // keep the records, so that reopening the dump brings them back
            for (name, text) in &stats.kept {
                if let Err(e) = p.store.append_added(name, text) {
                    self.notices.push(Notice {
                        text: format!(
                            "the added traces are shown but could not be kept for the next \
                             open: {e}"
                        ),
                        error: true,
                    });
                }
            }
            match p.file.batches.iter_mut().find(|b| b.name == batch) {
                // a second file added to the same batch joins it
                Some(b) if b.is_added() => b.trace_ids.extend(stats.added),
                _ => {
                    p.file.batches.retain(|b| b.name != batch);
                    p.file.batches.push(crate::coding::sampling::Batch {
                        name: batch.to_owned(),
                        seed: 0,
                        strategy: crate::coding::sampling::ADDED.to_owned(),
                        trace_ids: stats.added,
                        at: crate::coding::time::now_rfc3339(),
                    });
                }
            }
            let r = p.store.save_project(&p.file);
            self.report(r);
        }
        self.notices.push(Notice {
            text: format!(
                "added {n} traces as batch {batch} (column `batch`); {} already in the dump \
                 were skipped{}",
                stats.duplicates,
                if stats.skipped_lines > 0 {
                    format!(", {} unreadable lines", stats.skipped_lines)
                } else {
                    String::new()
                }
            ),
            error: false,
        });
        self.recount_unknown();
    }

    /// Recounts which labelled traces are not in the (grown) dump: they count in no figure.
    fn recount_unknown(&mut self) {
        if let (Some(p), Some(d)) = (&mut self.ws.project, &self.ws.data) {
            p.recount_unknown(&d.store);
            self.ws.forget_chart();
        }
    }

    /// Opens (or creates) the project that belongs to the dump: a sidecar folder natively,
    /// browser storage on the web. Problems are reported at once.
    fn open_project(&mut self, data: &Dataset) {
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
        if project.file.mapping != mapping {
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
    fn take_over(&mut self) {
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
    fn project_storage(&self, key: &str) -> (ProjectStore, crate::persist::Opened) {
        let first = key.split(" + ").next().unwrap_or(key);
        let path = std::path::Path::new(first);
        let dir = if path.is_file() {
            crate::persist::sidecar_dir(path)
        } else {
            let root = self
                .project_root
                .clone()
                .or_else(|| eframe::storage_dir("errata"))
                .unwrap_or_else(std::env::temp_dir);
            let name: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let name = name.trim_end_matches(".jsonl").to_owned();
            root.join(format!("{name}.errata"))
        };
        ProjectStore::open_dir(&dir)
    }

    #[cfg(target_arch = "wasm32")]
    fn project_storage(&self, key: &str) -> (ProjectStore, crate::persist::Opened) {
        ProjectStore::open_web(key)
    }

    /// The selected trace's id and current state.
    fn selected_trace(&self) -> Option<(u32, String)> {
        let d = self.ws.data.as_ref()?;
        let row = d.selected_row()?;
        Some((row, d.store.id(row as usize).to_owned()))
    }

    /// Records a change to the selected trace's label.
    fn edit_selected(&mut self, f: impl FnOnce(&mut LabelEvent)) {
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

    fn report<T>(&mut self, result: Result<T, crate::persist::PersistError>) {
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
    fn commit_note(&mut self) {
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
    fn change_codebook(
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
    fn next_where(&mut self, pred: impl Fn(Option<&LabelEvent>, &crate::coding::Codebook) -> bool) {
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

    fn start_sources(&mut self, ctx: &egui::Context, sources: Vec<Source>, label: String) {
        if let Some(batch) = self.adding_batch.take()
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
                    });
                    ctx.request_repaint();
                }
                Err(e) => self.error(e.to_string()),
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn start_paths(&mut self, ctx: &egui::Context, paths: Vec<std::path::PathBuf>) {
        if self.adding_batch.is_some() && self.ws.data.is_some() {
            let progress = Progress::default();
            match paths
                .iter()
                .map(|p| load::read_file(p, &progress))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(sources) => {
                    let label = sources
                        .iter()
                        .map(|s| s.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.start_sources(ctx, sources, label);
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
        let mapping = self.settings.mappings.get(&key).cloned().or_else(|| {
            let dir = crate::persist::sidecar_dir(paths.first()?);
            crate::persist::ProjectStore::read_dir(&dir)
                .1
                .project
                .mapping
        });
        self.run_job(ctx, label, key, Arc::new(Progress::default()), move |p| {
            let t = std::time::Instant::now();
            paths
                .iter()
                .map(|path| load::read_file(path, p))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|sources| load::load(sources, mapping, p, worker_threads()))
                .map(|l| Finished::Load(l, t.elapsed().as_secs_f64() * 1e3))
        });
    }

    /// Fetches the labels files given at start (`&labels=`) and imports each as it arrives.
    fn fetch_labels(&mut self, ctx: &egui::Context) {
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

    fn start_url(&mut self, ctx: &egui::Context, url: String) {
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
        });
    }

    /// Advances background work: finished loads, fetches, browser chunks, dropped files.
    fn poll(&mut self, ctx: &egui::Context) {
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
                    let label = sources
                        .iter()
                        .map(|s| s.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.start_sources(ctx, sources, label);
                }
                Ok(Err(e)) => {
                    self.file_rx = None;
                    self.adding_batch = None;
                    self.error(e);
                }
                Err(mpsc::TryRecvError::Empty) => {}
                // the picker was cancelled: a later open is an open, not an append
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.file_rx = None;
                    self.adding_batch = None;
                }
            }
        }
        let Some(job) = &mut self.job else {
            return;
        };
        let now = ctx.input(|i| i.time);
        match &mut job.kind {
            JobKind::Thread(rx) => match rx.try_recv() {
                Ok(result) => {
                    let Some(job) = self.job.take() else { return };
                    match result {
                        Ok(Finished::Load(loaded, ms)) => self.finish_load(loaded, job.key, ms),
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

    fn take_dropped_files(&mut self, ctx: &egui::Context) {
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

    fn open_dialog(&mut self, ctx: &egui::Context) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ctx;
            if !crate::ui::dialogs::file_dialogs_available() {
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
                // cancelled: a later open is an open, not an append
                None => self.adding_batch = None,
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

    /// Applies one action.
    pub fn apply(&mut self, ctx: &egui::Context, action: Action) {
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
            Action::CopyRecord => {
                if let Some(d) = &self.ws.data
                    && let Some(row) = d.selected_row()
                {
                    ctx.copy_text(d.store.raw_record(row as usize).to_owned());
                    self.notices.retain(|n| n.error);
                }
            }
            Action::OpenDialog => self.open_dialog(ctx),
            #[cfg(not(target_arch = "wasm32"))]
            Action::OpenPaths(paths) => self.start_paths(ctx, paths),
            #[cfg(target_arch = "wasm32")]
            Action::OpenPaths(_) => {}
            Action::OpenSources(sources) => {
                let sources: Vec<Source> = sources.into_iter().map(|s| s.0).collect();
                let label = sources
                    .iter()
                    .map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.start_sources(ctx, sources, label);
            }
            Action::OpenUrl(url) => self.start_url(ctx, url),
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
            Action::DismissNotice(i) => {
                if i < self.notices.len() {
                    self.notices.remove(i);
                }
            }
            Action::SetVerdict(v) => {
                self.commit_note();
                self.edit_selected(|e| e.verdict = v);
            }
            Action::CommitNote => self.commit_note(),
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
            Action::CoinTag(name) => {
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
            Action::DeleteCategory(name) => {
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
            Action::UndoDelete => {
                if let Some(undo) = self.undo.take() {
                    let restored = undo.category.clone();
                    let before = undo.before;
                    self.change_codebook(
                        |cb, a, t| {
                            if cb.index_of(&restored.name).is_some() {
                                return Err(crate::coding::CodebookError::Exists(
                                    restored.name.clone(),
                                ));
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
                self.propose_job = None;
                self.axial.waiting = false;
            }
            Action::DiscardProposal => self.axial.proposal = None,
            Action::AcceptProposal => self.accept_proposal(),
            Action::ConfirmSuggestions => self.edit_selected(|e| {
                for c in std::mem::take(&mut e.suggested) {
                    if !e.categories.contains(&c) {
                        e.categories.push(c);
                    }
                }
            }),
            Action::RejectSuggestions => self.edit_selected(|e| e.suggested.clear()),
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
            Action::ExportLabels => self.export_labels(),
            #[cfg(not(target_arch = "wasm32"))]
            Action::SaveToPath(path) => self.save_to_path(&path),
            #[cfg(target_arch = "wasm32")]
            Action::SaveToPath(_) => {}
            Action::TakeOver => self.take_over(),
            Action::ImportLabels => self.import_labels(ctx),
            Action::ExportCodebook { markdown } => {
                if let Some(p) = &self.ws.project {
                    let (text, name) = if markdown {
                        (p.codebook.to_markdown(&p.stats.categories), "codebook.md")
                    } else {
                        (
                            serde_json::to_string_pretty(&p.codebook).unwrap_or_default(),
                            "codebook.json",
                        )
                    };
                    self.save_file(name, text.as_bytes());
                }
            }
        }
    }

    fn draw_sample(&mut self, ctx: &egui::Context, req: &crate::coding::sampling::SampleRequest) {
        match self
            .ws
            .draw_sample(req, &crate::coding::time::now_rfc3339())
        {
            Ok(drawn) => {
                self.notices.push(Notice {
                    text: format!(
                        "drew {} of {} unreviewed traces in the view into batch {} (seed {})",
                        drawn.n, drawn.candidates, drawn.name, req.seed
                    ),
                    error: false,
                });
                self.apply(ctx, Action::SetBatch(Some(drawn.name)));
            }
            Err(e) => self.error(e),
        }
    }

    fn export_regression(&mut self) {
        self.export_regression_onto(None);
    }

    /// The failing traces of the view as regression cases: natively into a file the user names
    /// (an existing one gets only new ids); in the browser a download, of `onto` (an existing
    /// set the user picked) with the new cases after it, or of the new cases alone.
    #[cfg_attr(not(target_arch = "wasm32"), allow(unused_variables))]
    fn export_regression_onto(&mut self, onto: Option<(&str, &str)>) {
        if self.ws.project.is_none() {
            return;
        }
        let lines = self.ws.regression_lines();
        #[cfg(not(target_arch = "wasm32"))]
        {
            // an existing set gets only the ids it lacks
            self.save_with("regression.jsonl", move |path| {
                let existing = std::fs::read_to_string(path).unwrap_or_default();
                let (mut text, added, skipped) =
                    crate::coding::regression::append_lines(&existing, &lines);
                if !existing.is_empty() && !existing.ends_with('\n') {
                    text.insert(0, '\n');
                }
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
                    .map(|()| {
                        format!(
                            "regression set: {added} cases added, {skipped} already there: {}",
                            path.display()
                        )
                    })
                    .map_err(|e| format!("could not write ({e}): {}", path.display()))
            });
        }
        #[cfg(target_arch = "wasm32")]
        {
            let (name, existing) = onto.unwrap_or(("regression.jsonl", ""));
            let (text, added, skipped) = crate::coding::regression::append_lines(existing, &lines);
            let mut all = existing.to_owned();
            if !all.is_empty() && !all.ends_with('\n') {
                all.push('\n');
            }
            all.push_str(&text);
            let name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_owned();
            self.save_file(&name, all.as_bytes());
            self.notices.push(Notice {
                text: format!(
                    "regression set: {added} cases added, {skipped} already there: {name} downloaded"
                ),
                error: false,
            });
        }
    }

    fn propose_llm(&mut self, ctx: &egui::Context) {
        let notes = self
            .ws
            .project
            .as_ref()
            .map(Project::notes)
            .unwrap_or_default();
        if notes.is_empty() {
            self.axial.error = Some("no notes yet: write some while reading traces (e)".to_owned());
            return;
        }
        let mut batches: std::collections::VecDeque<Vec<String>> =
            crate::llm::proposal::batches(&notes, LLM_BATCH_CHARS).into();
        let Some(first) = batches.pop_front() else {
            return;
        };
        self.propose_job = Some(ProposeJob {
            all_notes: notes,
            remaining: batches,
            acc: Default::default(),
        });
        self.send_batch(ctx, first);
        self.axial.waiting = true;
        self.axial.error = None;
    }

    /// Sends one batch of notes; the codebook's and the running proposal's categories go along.
    fn send_batch(&mut self, ctx: &egui::Context, batch: Vec<String>) {
        let mut existing: Vec<(String, String)> = self
            .ws
            .project
            .as_ref()
            .map(|p| {
                p.codebook
                    .categories
                    .iter()
                    .map(|c| (c.name.clone(), c.description.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(job) = &self.propose_job {
            existing.extend(
                job.acc
                    .categories
                    .iter()
                    .map(|c| (c.name.clone(), c.description.clone())),
            );
        }
        let provider = self.axial.provider.clone();
        let mut request = provider.request(&crate::llm::proposal::prompt(&batch, &existing));
        request.timeout = Some(std::time::Duration::from_secs(120));
        let (tx, rx) = mpsc::channel();
        let repaint = ctx.clone();
        crate::net::fetch(request, crate::net::LLM_BODY_LIMIT, move |result| {
            let r = match result {
                Ok(resp) => crate::llm::client::answer_text(provider.api, &resp).and_then(|text| {
                    crate::llm::proposal::parse(&text, &batch).map_err(|e| e.to_string())
                }),
                Err(e) => Err(e),
            };
            let _ = tx.send(r);
            repaint.request_repaint();
        });
        self.propose_rx = Some(rx);
    }

    /// Accepts the reviewed proposal: its new categories enter the codebook as one version, and
    /// each trace whose note a category claims gets that category as a suggestion.
    fn accept_proposal(&mut self) {
        let Some((proposal, source)) = self.axial.proposal.take() else {
            return;
        };
        let author = self.settings.author.clone();
        let at = crate::coding::time::now_rfc3339();
        let Some(project) = &mut self.ws.project else {
            return;
        };
        let (r, added, n) = project.accept_proposal(&proposal, &source, &author, &at);
        let version = project.codebook.version;
        self.report(r);
        self.notices.push(Notice {
            text: format!("codebook v{version}: {added} new categories; {n} traces have suggestions to confirm (y) or reject (r)"),
            error: false,
        });
    }

    /// The chart panel's options, as the workspace takes them.
    fn chart_options(&self) -> ChartOptions {
        ChartOptions {
            measure: self.pareto_ui.measure,
            include_zero: self.pareto_ui.include_zero,
            scope_view: self.pareto_ui.scope_view,
            by_period: self.pareto_ui.by_week,
        }
    }

    /// The Pareto of the chart's scope (see [`crate::workspace::Workspace::pareto`]).
    pub fn pareto(&self) -> crate::coding::pareto::Pareto {
        self.ws.pareto(&self.chart_options())
    }

    /// The Pareto per batch or week (see [`crate::workspace::Workspace::pareto_by_period`]).
    pub fn pareto_by_week(&self) -> Vec<(String, crate::coding::pareto::Pareto)> {
        self.ws.pareto_by_period(self.pareto_ui.measure)
    }

    /// The Markdown report of the current chart.
    pub fn report_markdown(&self) -> String {
        self.ws
            .report_markdown(&self.chart_options(), &crate::coding::time::now_rfc3339())
    }

    fn take_screenshot(&mut self, ctx: &egui::Context) {
        let Some(image) = self
            .screenshot_rx
            .as_ref()
            .and_then(|rx| rx.try_recv().ok())
        else {
            return;
        };
        self.screenshot_rx = None;
        let Some(rect) = self.chart_rect else { return };
        let ppp = ctx.pixels_per_point();
        let screen = egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(image.width() as f32, image.height() as f32) / ppp,
        );
        let rect = rect.intersect(screen);
        if rect.width() < 1.0 || rect.height() < 1.0 {
            return;
        }
        let region = image.region(&rect, Some(ppp));
        let rgba: Vec<u8> = region.pixels.iter().flat_map(|c| c.to_array()).collect();
        let png = crate::png::encode_rgba(region.size[0] as u32, region.size[1] as u32, &rgba);
        self.save_file("pareto.png", &png);
    }

    fn export_labels(&mut self) {
        if self.ws.project.is_some() {
            let text = self.ws.labels_jsonl();
            self.save_file("labels.jsonl", text.as_bytes());
        }
    }

    /// Merges a labels JSONL into the project: newer `at` wins; conflicts are reported.
    pub fn merge_labels_text(&mut self, name: &str, text: &str) {
        let Some(p) = &mut self.ws.project else {
            return;
        };
        let (r, n, conflicts, unreadable) = p.merge_labels(text);
        self.report(r);
        self.recount_unknown();
        let unknown = self.ws.project.as_ref().map_or(0, |p| p.unknown_ids);
        self.notices.push(Notice {
            text: format!(
                "imported {n} labels from {name}; {conflicts} conflicts (newest kept); {unreadable} lines unreadable{}",
                if unknown > 0 {
                    format!("; {unknown} labelled traces are not in this dump (kept, not counted)")
                } else {
                    String::new()
                }
            ),
            error: false,
        });
    }

    /// Replaces the codebook with `text` (a `codebook.json`), recorded as a new version.
    pub fn replace_codebook_text(&mut self, name: &str, text: &str) {
        match serde_json::from_str::<crate::coding::Codebook>(text) {
            Ok(incoming) => {
                let author = self.settings.author.clone();
                let at = crate::coding::time::now_rfc3339();
                if let Some(p) = &mut self.ws.project {
                    p.codebook.import(incoming, name, &author, &at);
                    let r = p.save_codebook();
                    self.report(r);
                }
            }
            Err(e) => self.error(format!("not a codebook (line {}: {e}): {name}", e.line())),
        }
    }

    fn import_codebook(&mut self, ctx: &egui::Context) {
        self.pick_text_file(ctx, Import::Codebook);
    }

    fn import_labels(&mut self, ctx: &egui::Context) {
        self.pick_text_file(ctx, Import::Labels);
    }

    /// Asks for a text file (native dialog; the browser's picker), then imports it as `kind`.
    fn pick_text_file(&mut self, ctx: &egui::Context, kind: Import) {
        let (filter, ext) = match kind {
            Import::Labels | Import::Regression => ("JSON Lines", "jsonl"),
            Import::Codebook => ("Codebook", "json"),
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ctx;
            if !crate::ui::dialogs::file_dialogs_available() {
                self.error(NO_PICKER.to_owned());
                return;
            }
            if let Some(path) = rfd::FileDialog::new()
                .add_filter(filter, &[ext])
                .pick_file()
            {
                match std::fs::read_to_string(&path) {
                    Ok(text) => self.import_text(kind, &path.display().to_string(), &text),
                    Err(e) => self.error(format!("could not read ({e}): {}", path.display())),
                }
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let (tx, rx) = mpsc::channel();
            self.import_rx = Some(rx);
            let repaint = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(f) = rfd::AsyncFileDialog::new()
                    .add_filter(filter, &[ext])
                    .pick_file()
                    .await
                {
                    let bytes = f.read().await;
                    let _ = tx.send((
                        kind,
                        f.file_name(),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ));
                    repaint.request_repaint();
                }
            });
        }
    }

    fn import_text(&mut self, kind: Import, name: &str, text: &str) {
        match kind {
            Import::Labels => self.merge_labels_text(name, text),
            Import::Regression => self.export_regression_onto(Some((name, text))),
            Import::Codebook => self.replace_codebook_text(name, text),
        }
    }

    /// Saves bytes as a file the user names (native dialog; a download in the browser).
    fn save_file(&mut self, name: &str, bytes: &[u8]) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let bytes = bytes.to_vec();
            self.save_with(name, move |path| {
                std::fs::write(path, &bytes)
                    .map(|()| format!("saved {}", path.display()))
                    .map_err(|e| format!("could not save ({e}): {}", path.display()))
            });
        }
        #[cfg(target_arch = "wasm32")]
        match crate::web::download(name, bytes) {
            Ok(()) => self.notices.push(Notice {
                text: format!("downloaded {name}"),
                error: false,
            }),
            Err(e) => self.error(e),
        }
    }

    /// Asks where to save `name` (the system's file dialog), then runs `write` there; its
    /// message is shown. Where no file dialog can open (no desktop portal, no zenity, or it
    /// failed at once), a window asks for a path instead: an export never fails silently.
    #[cfg(not(target_arch = "wasm32"))]
    fn save_with(
        &mut self,
        name: &str,
        write: impl FnOnce(&std::path::Path) -> Result<String, String> + 'static,
    ) {
        let why = if crate::ui::dialogs::file_dialogs_available() {
            let started = std::time::Instant::now();
            match rfd::FileDialog::new().set_file_name(name).save_file() {
                Some(path) => {
                    match write(&path) {
                        Ok(text) => self.notices.push(Notice { text, error: false }),
                        Err(e) => self.error(e),
                    }
                    return;
                }
                // a person takes longer than this to cancel: the dialog did not open
                None if started.elapsed() < std::time::Duration::from_millis(300) => {
                    "the file dialog did not open"
                }
                None => return, // cancelled
            }
        } else {
            "no file dialog is available here (no desktop portal or zenity)"
        };
        let folder = self
            .ws
            .project
            .as_ref()
            .map(|p| std::path::PathBuf::from(&p.store.location))
            .filter(|p| p.is_dir())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        self.dialogs.save_to = Some(crate::ui::dialogs::SaveTo {
            name: name.to_owned(),
            path: folder.join(name).display().to_string(),
            why: why.to_owned(),
            write: Some(Box::new(write)),
        });
    }

    /// Writes the export waiting in the "Save to" window to `path`.
    #[cfg(not(target_arch = "wasm32"))]
    fn save_to_path(&mut self, path: &str) {
        let Some(mut pending) = self.dialogs.save_to.take() else {
            return;
        };
        let Some(write) = pending.write.take() else {
            return;
        };
        match write(std::path::Path::new(path.trim())) {
            Ok(text) => self.notices.push(Notice { text, error: false }),
            Err(e) => self.error(e),
        }
    }

    fn remap(&mut self, ctx: &egui::Context, mapping: FieldMapping) {
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

    fn move_by(&mut self, delta: i64) {
        self.commit_note();
        let Some(d) = &self.ws.data else { return };
        let pos = d.selected.map_or(0, |(p, _)| p as i64);
        let target = (pos + delta).clamp(0, d.view.len().saturating_sub(1) as i64);
        self.move_to(target as usize);
    }

    fn move_to(&mut self, pos: usize) {
        self.commit_note();
        let Some(d) = &mut self.ws.data else { return };
        if d.view.is_empty() {
            return;
        }
        d.select_pos(pos.min(d.view.len() - 1));
        self.scroll_to_selected = true;
    }

    fn sort_by(&mut self, ctx: &egui::Context, column: SortColumn) {
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

    fn take_view(
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
    fn save_filters(&mut self) {
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

    /// Keyboard shortcuts, read before anything is drawn. Every key of a frame that began with a
    /// text box focused belongs to that box, whatever the order of the frame's events (an Enter
    /// or Esc that ends the box does not hand the keys after it to the shortcuts). A shortcut that
    /// focuses a box (`e`, `t`, `/`, `w`, `g`) hands it the rest of the frame's keys, and the
    /// character a shortcut key types is dropped so that no box receives it.
    fn keys(&mut self, ctx: &egui::Context) {
        // the character of a shortcut pressed at the end of the last frame may arrive in this
        // one (it follows its key): it is the shortcut's, never a box's
        if let Some(c) = self.shortcut_char.take() {
            ctx.input_mut(|i| {
                let first_text = i.events.iter().position(|e| {
                    matches!(
                        e,
                        egui::Event::Text(_) | egui::Event::Key { pressed: true, .. }
                    )
                });
                if let Some(at) = first_text
                    && matches!(&i.events[at], egui::Event::Text(t) if t.eq_ignore_ascii_case(&c))
                {
                    i.events.remove(at);
                }
            });
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        use egui::{Key, Modifiers};
        const NONE: Modifiers = Modifiers::NONE;
        let act = KeyEffect::Act;
        let mut bindings: Vec<(Modifiers, Key, KeyEffect)> = vec![
            (Modifiers::COMMAND, Key::O, act(Action::OpenDialog)),
            (NONE, Key::ArrowDown, act(Action::Move(1))),
            (NONE, Key::J, act(Action::Move(1))),
            (NONE, Key::ArrowUp, act(Action::Move(-1))),
            (NONE, Key::K, act(Action::Move(-1))),
            (NONE, Key::PageDown, act(Action::Page(1))),
            (NONE, Key::PageUp, act(Action::Page(-1))),
            (NONE, Key::Home, act(Action::First)),
            (NONE, Key::End, act(Action::Last)),
            (NONE, Key::C, act(Action::CopyRecord)),
            (NONE, Key::P, act(Action::SetVerdict(Some(Verdict::Pass)))),
            (NONE, Key::F, act(Action::SetVerdict(Some(Verdict::Fail)))),
            (NONE, Key::X, act(Action::SetVerdict(None))),
            (NONE, Key::U, act(Action::NextUnreviewed)),
            (NONE, Key::O, act(Action::NextUncoded)),
            (NONE, Key::S, act(Action::ToggleStructured)),
            (NONE, Key::Delete, act(Action::ClearFilters)),
            (NONE, Key::Y, act(Action::ConfirmSuggestions)),
            (NONE, Key::R, act(Action::RejectSuggestions)),
            (Modifiers::SHIFT, Key::N, act(Action::Move(-1))),
            (NONE, Key::N, act(Action::Move(1))),
            (NONE, Key::E, KeyEffect::Focus(ui::coding::note_id())),
            (NONE, Key::T, KeyEffect::Focus(ui::coding::tag_id())),
            (NONE, Key::Slash, KeyEffect::Focus(ui::filter::search_id())),
            (NONE, Key::W, KeyEffect::Focus(ui::filter::sql_id())),
            (NONE, Key::G, KeyEffect::Jump),
            (NONE, Key::B, KeyEffect::Codebook),
            (NONE, Key::A, KeyEffect::Axial),
            (NONE, Key::Escape, KeyEffect::Close),
            (Modifiers::SHIFT, Key::Questionmark, KeyEffect::Help),
            (NONE, Key::Questionmark, KeyEffect::Help),
        ];
        if self.draft.structured {
            bindings.push((NONE, Key::Enter, act(Action::ConfirmStructured)));
        }
        let digits = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
            Key::Num8,
            Key::Num9,
        ];
        for (n, k) in digits.into_iter().enumerate() {
            bindings.push((NONE, k, act(Action::ToggleCategoryAt(n))));
        }
        let mut effects = Vec::new();
        let mut last_char = None;
        ctx.input_mut(|i| {
            // in the order pressed (j f j p in one frame is two traces labelled, not one), each
            // press by the first binding that matches it (Shift+N before N)
            let events = std::mem::take(&mut i.events);
            let mut to_box = false; // a shortcut focused a text box: the rest of the frame is its
            let mut drop_text = false; // the character typed by the shortcut key just read
            for ev in events {
                match &ev {
                    egui::Event::Text(_) if drop_text => {
                        drop_text = false;
                        last_char = None;
                        continue;
                    }
                    egui::Event::Key {
                        key,
                        pressed: true,
                        modifiers,
                        ..
                    } if !to_box => {
                        drop_text = false;
                        if let Some((_, _, effect)) = bindings
                            .iter()
                            .find(|(m, k, _)| k == key && modifiers.matches_logically(*m))
                        {
                            to_box = matches!(effect, KeyEffect::Focus(_) | KeyEffect::Jump);
                            drop_text = true;
                            last_char = Some(key.symbol_or_name().to_owned());
                            effects.push(effect.clone());
                            continue;
                        }
                    }
                    egui::Event::Key { pressed: true, .. } => {
                        drop_text = false;
                        last_char = None;
                    }
                    _ => {}
                }
                i.events.push(ev);
            }
        });
        // a shortcut whose character has not come yet: drop it when it comes
        self.shortcut_char = last_char;
        for effect in effects {
            match effect {
                KeyEffect::Act(a) => self.pending.push(a),
                KeyEffect::Focus(id) => ctx.memory_mut(|m| m.request_focus(id)),
                KeyEffect::Jump => {
                    // focused before it is drawn, so that the keys after `g` are its own
                    self.draft.jump = Some(String::new());
                    ctx.memory_mut(|m| m.request_focus(ui::coding::jump_id()));
                }
                KeyEffect::Codebook => self.codebook_ui.open = !self.codebook_ui.open,
                KeyEffect::Axial => self.axial.open = !self.axial.open,
                KeyEffect::Help => self.dialogs.help = !self.dialogs.help,
                KeyEffect::Close => self.dialogs.help = false,
            }
        }
    }

    /// The "Add traces" window: the batch name, then files, a URL, or a drop.
    fn add_traces_window(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let mut actions = Vec::new();
        if !self.adding_open {
            return actions;
        }
        let mut open = true;
        egui::Window::new("Add traces to this dump")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label("batch");
                    ui.add(egui::TextEdit::singleline(&mut self.weekly.name).desired_width(140.0))
                        .labelled_by(l.id);
                });
                let named = !self.weekly.name.trim().is_empty();
                if ui
                    .add_enabled(named, egui::Button::new("Choose files…"))
                    .clicked()
                {
                    actions.push(Action::AddTracesFromFiles);
                }
                ui.horizontal(|ui| {
                    let l = ui.label("or a URL");
                    ui.add(
                        egui::TextEdit::singleline(&mut self.adding_url)
                            .hint_text("https://…/traces.jsonl")
                            .desired_width(260.0),
                    )
                    .labelled_by(l.id);
                    let url = self.adding_url.trim();
                    if ui
                        .add_enabled(named && !url.is_empty(), egui::Button::new("Fetch"))
                        .clicked()
                    {
                        actions.push(Action::AddTracesFromUrl(url.to_owned()));
                    }
                });
                ui.weak(
                    "or drop files on errata while this window is open. Records the dump already \
                     has (same id) are skipped; the new ones get the batch in their `batch` \
                     column, and the dump's field mapping is reused.",
                );
            });
        if !open {
            self.adding_open = false;
        }
        actions
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(
                        egui::Button::new("Open…").shortcut_text(ui.ctx().format_shortcut(
                            &egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O),
                        )),
                    )
                    .clicked()
                {
                    self.pending.push(Action::OpenDialog);
                }
                if ui.button("Open URL…").clicked() {
                    self.dialogs.url = Some(String::new());
                }
                if ui
                    .add_enabled(self.ws.data.is_some(), egui::Button::new("Add traces to this dump…"))
                    .on_hover_text("Add files, a URL or dropped files to the open dump as a batch; records it already has are skipped")
                    .clicked()
                {
                    self.pending.push(Action::AddTraces);
                }
                if ui.button("Open demo traces").clicked() {
                    self.open_demo();
                }
                ui.separator();
                let has_project = self.ws.project.is_some();
                if ui
                    .add_enabled(has_project, egui::Button::new("Import labels…"))
                    .clicked()
                {
                    self.pending.push(Action::ImportLabels);
                }
                if ui
                    .add_enabled(has_project, egui::Button::new("Export labels…"))
                    .clicked()
                {
                    self.pending.push(Action::ExportLabels);
                }
                if let Some(holder) = self.ws.project.as_ref().and_then(|p| p.store.read_only_by())
                    && ui
                        .button("Take over the project")
                        .on_hover_text(format!(
                            "Read-only: open in another {holder}. Take it over once that one is \
                             closed or stuck; what it saved is read again first"
                        ))
                        .clicked()
                {
                    self.pending.push(Action::TakeOver);
                }
                ui.separator();
                let has = self.ws.data.as_ref().is_some_and(|d| d.selected.is_some());
                if ui
                    .add_enabled(
                        has,
                        egui::Button::new("Copy trace as JSON").shortcut_text("C"),
                    )
                    .clicked()
                {
                    self.pending.push(Action::CopyRecord);
                }
                #[cfg(not(target_arch = "wasm32"))]
                {
                    ui.separator();
                    if ui.button("Quit").clicked() {
                        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                }
            });
            ui.menu_button("View", |ui| {
                if let Some(d) = &self.ws.data {
                    ui.menu_button("Columns", |ui| {
                        for c in d.store.columns() {
                            let mut on = d.visible_columns.contains(&c.name);
                            if ui
                                .checkbox(&mut on, format!("{} ({})", c.name, c.dtype))
                                .changed()
                            {
                                self.pending.push(Action::ToggleColumn(c.name.clone()));
                            }
                        }
                    });
                    if ui
                        .add(egui::Button::new("Codebook").shortcut_text("B"))
                        .clicked()
                    {
                        self.codebook_ui.open = true;
                    }
                    if ui.button("Field mapping…").clicked() {
                        self.dialogs.mapping = Some(d.store.mapping.clone());
                    }
                    if ui
                        .button(format!("Skipped lines ({})", d.skipped_count))
                        .clicked()
                    {
                        self.dialogs.skipped = true;
                    }
                    ui.separator();
                    if ui
                        .add(egui::Button::new("Axial coding…").shortcut_text("A"))
                        .clicked()
                    {
                        self.axial.open = true;
                    }
                    if ui.button("Sample a review batch…").clicked() {
                        self.weekly.sample_open = true;
                    }
                    if ui.button("Judge agreement…").clicked() {
                        self.weekly.judge_open = true;
                    }
                    if ui.button("Export regression cases…").clicked() {
                        self.pending.push(Action::ExportRegression);
                    }
                    #[cfg(target_arch = "wasm32")]
                    if ui
                        .button("Add regression cases to a file…")
                        .on_hover_text(
                            "Pick your regression set: the failing traces of the view that it \
                             lacks are added, and the whole set downloads",
                        )
                        .clicked()
                    {
                        self.pending.push(Action::AddToRegressionFile);
                    }
                }
            });
            ui.menu_button("Help", |ui| {
                if ui
                    .add(egui::Button::new("Keyboard shortcuts").shortcut_text("?"))
                    .clicked()
                {
                    self.dialogs.help = true;
                }
            });
        });
    }

    fn dataset_line(&mut self, ui: &mut egui::Ui) {
        let Some(d) = &self.ws.data else {
            ui.label("No traces open. File > Open…, drop a file here, or open the demo.");
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.strong(d.store.files().join(", "));
            ui.label(format!("· {} traces", fmt_count(d.store.len())));
            ui.label(format!("· {}", d.store.identity.describe()));
            ui.label(format!("· {}", d.store.mapping.describe()));
            if ui
                .small_button("Change…")
                .on_hover_text("Choose the id, input and output fields")
                .clicked()
            {
                self.dialogs.mapping = Some(d.store.mapping.clone());
            }
            if d.skipped_count > 0
                && ui
                    .link(format!("· {} lines skipped", fmt_count(d.skipped_count)))
                    .clicked()
            {
                self.dialogs.skipped = true;
            }
            if d.load_ms > 0.0 {
                ui.weak(format!("· loaded in {:.0} ms", d.load_ms));
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        let dark = ui.visuals().dark_mode;
        if let Some(job) = &self.job {
            ui.horizontal(|ui| {
                let (frac, text) = job.progress.fraction();
                ui.spinner();
                ui.label(format!("Loading {}", job.label));
                ui.add(egui::ProgressBar::new(frac).text(text).desired_width(320.0));
                if ui.button("Cancel").clicked() {
                    self.pending.push(Action::CancelLoad);
                }
            });
        }
        for (i, n) in self.notices.iter().enumerate() {
            ui.horizontal(|ui| {
                let color = if n.error {
                    ui::theme::error_color(dark)
                } else {
                    ui::theme::warn_color(dark)
                };
                if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                    self.pending.push(Action::DismissNotice(i));
                }
                ui.colored_label(color, &n.text);
            });
        }
    }
}

/// What the app holds, in a few figures: the browser page publishes it (title and a `data-`
/// attribute) so that scripts and the end-to-end test can tell when a dump is open and labelled.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct AppStatus {
    /// The open dump's name (empty when none).
    pub dump: String,
    /// Traces in the dump.
    pub traces: usize,
    /// Traces the view shows.
    pub shown: usize,
    /// Traces with a verdict.
    pub reviewed: usize,
    /// Traces marked failing.
    pub failed: usize,
    /// Traces with at least one category.
    pub coded: usize,
    /// What is loading, if anything.
    pub loading: Option<String>,
    /// Error messages shown in the status bar.
    pub errors: Vec<String>,
}

impl ErrataApp {
    /// The app's state in a few figures (see [`AppStatus`]).
    pub fn status(&self) -> AppStatus {
        let stats = self.ws.project.as_ref().map(|p| &p.stats);
        AppStatus {
            dump: self
                .ws
                .data
                .as_ref()
                .map(|d| d.key.clone())
                .unwrap_or_default(),
            traces: self.ws.data.as_ref().map_or(0, |d| d.store.len()),
            shown: self.ws.data.as_ref().map_or(0, |d| d.view.len()),
            reviewed: stats.map_or(0, |s| s.reviewed),
            failed: stats.map_or(0, |s| s.failed),
            coded: stats.map_or(0, |s| s.coded),
            loading: self.job.as_ref().map(|j| j.label.clone()),
            errors: self
                .notices
                .iter()
                .filter(|n| n.error)
                .map(|n| n.text.clone())
                .collect(),
        }
    }
}

/// Parser threads for a load: the cores natively, one in the browser.
fn worker_threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// The author name to start with: the OS user natively, empty in the browser.
fn default_author() -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_default()
    }
    #[cfg(target_arch = "wasm32")]
    {
        String::new()
    }
}

impl eframe::App for ErrataApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.sync_secret();
        if let Some(p) = &mut self.ws.project {
            let was = p.store.read_only_by();
            p.store.heartbeat();
            #[cfg(target_arch = "wasm32")]
            {
                // beat while the tab is open, even when nothing else repaints
                ctx.request_repaint_after(std::time::Duration::from_secs(2));
                if was.is_none()
                    && let Some(holder) = p.store.read_only_by()
                {
                    self.notices.push(Notice {
                        text: format!(
                            "read-only: another {holder} took this project over; labels made here are not saved"
                        ),
                        error: true,
                    });
                }
            }
            let _ = was;
        }
        self.take_dropped_files(ctx);
        self.take_screenshot(ctx);
        let pending = std::mem::take(&mut self.pending);
        for a in pending {
            self.apply(ctx, a);
        }
        self.poll(ctx);
        #[cfg(target_arch = "wasm32")]
        {
            if let Some(warning) = crate::web::check_storage(ctx.input(|i| i.time)) {
                self.notices.push(Notice {
                    text: warning,
                    error: false,
                });
            }
            crate::web::publish(&self.status());
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // egui may run the ui twice in a frame: a pass it discards (new grids are laid out),
        // then one without the frame's input events; the actions of both are merged at the end
        let pending_before = self.pending.len();
        self.keys(&ctx);
        egui::Panel::top("menu").show(ui, |ui| {
            self.menu_bar(ui);
            self.dataset_line(ui);
            if let Some(d) = &self.ws.data {
                let acts = ui::filter::ui(ui, &mut self.filter_bar, d, self.ws.project.as_ref());
                self.pending.extend(acts);
            }
        });
        if self.job.is_some() || !self.notices.is_empty() {
            egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        }
        let mut actions = Vec::new();
        // the chart's data is cached by the workspace until labels, codebook, options or the
        // view change
        let options = self.chart_options();
        let crate::workspace::pareto::ChartData {
            pareto,
            by_period: by_week,
        } = self.ws.chart(&options);
        let selected_category = self.ws.data.as_ref().and_then(|d| {
            (d.label_filter.categories.len() == 1).then(|| d.label_filter.categories[0].clone())
        });
        let mut pareto_actions = Vec::new();
        if self.pareto_ui.full && self.ws.project.is_some() {
            let mut open = true;
            egui::Window::new("Pareto of failures")
                .id(egui::Id::unique("pareto-full"))
                .open(&mut open)
                .default_size([900.0, 600.0])
                .show(&ctx, |ui| {
                    let (rect, acts) = ui::pareto::panel(
                        ui,
                        &mut self.pareto_ui,
                        &pareto,
                        &by_week,
                        selected_category.as_deref(),
                    );
                    self.chart_rect = rect.or(self.chart_rect);
                    pareto_actions.extend(acts);
                });
            self.pareto_ui.full &= open;
        }
        if let Some(d) = &mut self.ws.data {
            let avail = ui.available_height();
            egui::Panel::top("table")
                .resizable(true)
                .default_size(avail * 0.42)
                .min_size(80.0)
                .show(ui, |ui| {
                    if self.pareto_ui.docked && self.ws.project.is_some() {
                        egui::Panel::right("pareto-dock")
                            .resizable(true)
                            .default_size(380.0)
                            .min_size(220.0)
                            .show(ui, |ui| {
                                ui.horizontal(|ui| {
                                    ui.strong("Pareto of failures");
                                    if ui.small_button("full size").clicked() {
                                        self.pareto_ui.full = true;
                                    }
                                    if ui.small_button("hide").clicked() {
                                        self.pareto_ui.docked = false;
                                    }
                                });
                                let (rect, acts) = ui::pareto::panel(
                                    ui,
                                    &mut self.pareto_ui,
                                    &pareto,
                                    &by_week,
                                    selected_category.as_deref(),
                                );
                                self.chart_rect = rect.or(self.chart_rect);
                                pareto_actions.extend(acts);
                            });
                    }
                    // the table scrolls sideways within its own clipped area, so that its rows
                    // never take clicks meant for the chart beside it
                    egui::ScrollArea::horizontal()
                        .id_salt("table-hscroll")
                        .auto_shrink(false)
                        .show(ui, |ui| {
                            let out = ui::table::ui(
                                ui,
                                d,
                                self.ws.project.as_ref(),
                                self.scroll_to_selected,
                            );
                            self.rows_per_page = out.rows_per_page;
                            actions.extend(out.actions);
                        });
                });
            self.scroll_to_selected = false;
            egui::CentralPanel::default().show(ui, |ui| {
                if let (Some(project), Some(row)) = (&self.ws.project, d.selected_row()) {
                    let id = d.store.id(row as usize).to_owned();
                    if self.draft.trace_id != id || self.draft.row != Some(row) {
                        // the draft follows the selection (a pending note was committed on leaving)
                        self.draft.row = Some(row);
                        self.draft.note = project
                            .state(&id)
                            .map(|s| s.note.clone())
                            .unwrap_or_default();
                        self.draft.trace_id = id.clone();
                        self.draft.dirty_since = None;
                    } else if self.draft.dirty_since.is_none()
                        && self.draft.error.is_none()
                        && let Some(saved) = project.state(&id).map(|s| &s.note)
                        && *saved != self.draft.note
                    {
                        // the note changed elsewhere (an import, a codebook change) while the
                        // draft was clean: show what is saved, never write the stale draft back
                        self.draft.note.clone_from(saved);
                    }
                    egui::Panel::right("coding")
                        .resizable(true)
                        .default_size(330.0)
                        .min_size(220.0)
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical()
                                .id_salt("coding-scroll")
                                .show(ui, |ui| {
                                    actions.extend(ui::coding::ui(
                                        ui,
                                        project,
                                        &id,
                                        &mut self.draft,
                                        &mut self.settings.author,
                                    ));
                                });
                        });
                }
                actions.extend(ui::detail::ui(ui, d, &mut self.expanded));
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.centered_and_justified(|ui| {
                    ui.heading(
                        "Drop a trace dump (JSONL, JSON array, .gz) here, or use File > Open…",
                    );
                });
            });
        }
        actions.extend(pareto_actions);
        actions.extend(ui::dialogs::ui(
            &ctx,
            &mut self.dialogs,
            self.ws.data.as_ref(),
        ));
        actions.extend(self.add_traces_window(&ctx));
        if let (Some(pending), Some(d)) = (&mut self.pending_append, &self.ws.data) {
            actions.extend(ui::dialogs::append_mapping(&ctx, pending, &d.store));
        }
        if let Some(project) = &self.ws.project {
            actions.extend(ui::codebook::ui(&ctx, &mut self.codebook_ui, project));
            actions.extend(ui::axial::ui(&ctx, &mut self.axial, project));
            if let Some(d) = &self.ws.data {
                actions.extend(ui::weekly::ui(&ctx, &mut self.weekly, d, project));
            }
        }
        self.pending.extend(actions);
        let fresh = self.pending.split_off(pending_before);
        if ctx.will_discard() {
            // the next pass runs without this frame's input events: keep what clicks and keys
            // gave here for it
            self.discarded = fresh;
        } else {
            // an action this pass repeats from the discarded one (derived from state, not
            // from an event) counts once
            let mut kept = std::mem::take(&mut self.discarded);
            let mut repeated = vec![false; kept.len()];
            for a in fresh {
                match (0..repeated.len()).find(|&i| !repeated[i] && kept[i] == a) {
                    Some(i) => repeated[i] = true,
                    None => kept.push(a),
                }
            }
            self.pending.extend(kept);
        }
        if !self.pending.is_empty() {
            ctx.request_repaint();
        }
        ui::dialogs::drop_hint(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings.remembered_api_key = None; // never in the settings file
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}

/// Where remembered secrets live: errata's data folder natively, none in the browser (its
/// storage is keyed by name).
fn secret_dir() -> Option<std::path::PathBuf> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        eframe::storage_dir("errata")
    }
    #[cfg(target_arch = "wasm32")]
    {
        None
    }
}

/// Starts the native window. `args` are files to open (or URLs).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(args: Vec<String>) -> Result<(), eframe::Error> {
    let mut start = StartOptions::default();
    for a in args {
        if a.starts_with("http://") || a.starts_with("https://") {
            start.urls.push(a);
        } else {
            start.paths.push(a.into());
        }
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("errata")
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "errata",
        options,
        Box::new(move |cc| Ok(Box::new(ErrataApp::new(cc, start)))),
    )
}
