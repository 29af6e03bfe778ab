//! `ErrataApp`: owns the loaded traces and the UI state, runs background loads, draws the panels
//! and applies the actions they return.

mod apply;
mod axial;
mod batches;
mod files;
mod frame;
mod jobs;
mod keys;
mod project;
mod remote;
mod view_state;

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
use crate::trace::view::{Sort, SortColumn};
use crate::ui;
pub use crate::ui::coding::CodingDraft;
pub use crate::ui::dialogs::Dialogs;
use crate::workspace::pareto::ChartOptions;
pub use crate::workspace::{Dataset, Notice, PendingAppend, fmt_count};
pub use remote::is_clickhouse;

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

/// A proposal by embeddings: the groups (named by the LLM when one is set up), with a warning
/// when naming failed; or why there are none.
type EmbedResult = Result<(crate::llm::proposal::Proposal, Option<String>), String>;

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
    /// The splits' shares (table over detail, input beside output, metadata below).
    pub layout: ui::split::Layout,
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
    /// The load is another run to compare with (see [`ErrataApp::finish_other_run`]).
    other_run: bool,
}

/// What a worker sends when it is done.
enum Finished {
    /// A dump loaded, and how long it took (native; the browser parses between frames).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Load(Loaded, f64),
    /// A dump loaded with the traces its project kept from earlier batches (native).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Reopened {
        loaded: Loaded,
        ms: f64,
        /// The batches read with it.
        batches: Vec<String>,
        /// How many of its traces they hold.
        added: usize,
    },
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
    /// What the reader set in the detail: unfolded roles, texts shown in full, the turn in view.
    pub detail_ui: ui::detail::DetailUi,
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
    /// A proposal by embeddings on its way: the groups, and why the LLM could not name them.
    embed_rx: Option<mpsc::Receiver<EmbedResult>>,
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
    /// The next load is another run to compare outputs with, not a dump to open.
    loading_other_run: bool,
    /// The reader folded or unfolded the chart (until then it follows the window's width).
    chart_chosen: bool,
    /// Whether the system's file dialogs can open (natively: a desktop portal or zenity);
    /// without them exports ask for a path. Tests set it.
    pub file_dialogs: bool,
    /// The character of the last shortcut key, when it has not arrived yet (see `keys`).
    shortcut_char: Option<(String, f64)>,
    /// Where remembered secrets live (errata's data folder natively).
    secret_dir: Option<std::path::PathBuf>,
    /// The LLM key as last remembered (to write the secret only when it changes).
    saved_key: Option<String>,
    /// The fallback fonts: installed, on their way (the browser), or missing.
    pub fonts: ui::fonts::Fallbacks,
    /// The open ClickHouse source, when the traces are read from one.
    pub remote: Option<crate::workspace::remote::Remote>,
    /// A row of the source's view to open once its page arrives.
    pending_remote: Option<u64>,
}

impl ErrataApp {
    /// Creates the app; opens `start`'s files or URLs, else the bundled demo.
    pub fn new(cc: &eframe::CreationContext<'_>, start: StartOptions) -> Self {
        let fonts = ui::fonts::install(&cc.egui_ctx);
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
            detail_ui: Default::default(),
            draft: CodingDraft::default(),
            codebook_ui: Default::default(),
            filter_bar: Default::default(),
            pareto_ui: Default::default(),
            axial: Default::default(),
            weekly: Default::default(),
            propose_rx: None,
            embed_rx: None,
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
            #[cfg(not(target_arch = "wasm32"))]
            file_dialogs: ui::dialogs::file_dialogs_available(),
            #[cfg(target_arch = "wasm32")]
            file_dialogs: true,
            shortcut_char: None,
            chart_chosen: false,
            loading_other_run: false,
            secret_dir: start.project_root.clone().or_else(secret_dir),
            saved_key: None,
            fonts,
            remote: None,
            pending_remote: None,
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
}

impl ErrataApp {
    /// Queues a panel's actions; a window to show opens in this frame already (it is UI state
    /// only), so that it lays out while the menu closes.
    fn queue(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Show(window) => self.show(window),
                other => self.pending.push(other),
            }
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
    /// Records read: the spans grouped into those traces (equal to `traces` when one record is
    /// one trace).
    pub spans: usize,
    /// Spans in the span tree of the trace shown (0: none shown, or not an agent trace).
    pub tree: usize,
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
    /// The fallback fonts (fetched on demand in the browser) and any character none could draw.
    pub fonts: ui::fonts::FontReport,
    /// A ClickHouse source, when one is open (`traces` then counts the traces fetched whole).
    pub remote: Option<RemoteStatus>,
}

/// A ClickHouse source's figures in [`AppStatus`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct RemoteStatus {
    /// The source (no password).
    pub source: String,
    /// Traces in it (once counted).
    pub total: Option<u64>,
    /// Traces the view matches (once counted).
    pub matched: Option<u64>,
    /// Row of the view opened.
    pub selected: Option<u64>,
    /// Requests on their way.
    pub in_flight: usize,
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
            spans: self.ws.data.as_ref().map_or(0, |d| d.store.span_count()),
            tree: self
                .detail_ui
                .spans
                .tree
                .as_ref()
                .map_or(0, |t| t.nodes.len()),
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
            fonts: self.fonts.report(),
            remote: self.remote.as_ref().map(|r| RemoteStatus {
                source: r.key(),
                total: r.total,
                matched: r.matched,
                selected: r.selected,
                in_flight: r.in_flight,
            }),
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
        self.frame_ui(ui);
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
        if a.starts_with("http://") || a.starts_with("https://") || remote::is_clickhouse(&a) {
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
        // the app installs its own fallbacks and the system font provider (ui/fonts.rs)
        system_font_fallback: false,
        ..Default::default()
    };
    eframe::run_native(
        "errata",
        options,
        Box::new(move |cc| Ok(Box::new(ErrataApp::new(cc, start)))),
    )
}
