//! Where a project's documents live: a sidecar folder natively (`traces.errata/`), browser
//! storage on the web. Labels are appended to an event log and flushed at once; the codebook and
//! project file are written whole through a temporary file and a rename.

use serde::{Deserialize, Serialize};

#[cfg(not(target_arch = "wasm32"))]
pub mod lock;
pub mod secret;

use crate::coding::labels::LogProblem;
use crate::coding::{Codebook, LabelEvent, Labels};
use crate::trace::FieldMapping;

/// The label log's file name.
pub const LABELS_FILE: &str = "labels.jsonl";
/// The codebook's file name.
pub const CODEBOOK_FILE: &str = "codebook.json";
/// The project file's name.
pub const PROJECT_FILE: &str = "project.json";
/// The folder (natively; a key prefix in the browser) that keeps the traces added as batches, one
/// `<batch>.jsonl` each, so that reopening the dump brings them back.
pub const ADDED_DIR: &str = "added";

/// A batch's file stem: its name with anything but letters, digits, `-`, `_` and `.` replaced.
fn added_stem(batch: &str) -> String {
    let stem: String = batch
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() || stem.starts_with('.') {
        format!("batch{stem}")
    } else {
        stem
    }
}

/// `project.json`: what belongs to the dump rather than to the user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectFile {
    /// The dump(s) this project annotates.
    pub dump: String,
    /// The field mapping, when the user changed it.
    pub mapping: Option<FieldMapping>,
    /// Saturation threshold (coded traces in a row with no new category).
    pub saturation_threshold: usize,
    /// The table's filters, remembered for this dump.
    pub filters: crate::trace::view::Filters,
    /// The label filters, remembered for this dump.
    pub label_filter: crate::project::LabelFilter,
    /// Review batches drawn by sampling.
    pub batches: Vec<crate::coding::sampling::Batch>,
}

/// Errors of the persistence layer; each names the file, last.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing failed.
    #[error("{reason}: {path}")]
    Io {
        /// The file or folder.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A JSON document does not parse.
    #[error("line {line}: {reason}: {path}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        reason: String,
    },
}

/// What a project held when it was opened.
#[derive(Default)]
pub struct Opened {
    /// Replayed labels.
    pub labels: Labels,
    /// Lines of the label log that could not be read.
    pub problems: Vec<LogProblem>,
    /// The codebook (default when absent or unreadable).
    pub codebook: Codebook,
    /// The project file.
    pub project: ProjectFile,
    /// Documents that could not be read (they are not overwritten until the user chooses).
    pub errors: Vec<PersistError>,
}

/// A project's storage: a folder natively, browser storage on the web.
pub struct ProjectStore {
    /// Where it is, for messages (a folder path, or `browser storage: <key>`).
    pub location: String,
    backend: Backend,
    /// Events not yet written (the folder was unwritable); retried on the next write.
    pending: Vec<LabelEvent>,
    /// Documents that failed to read: not overwritten until the user says so.
    pub protect: Vec<&'static str>,
}

enum Backend {
    #[cfg(not(target_arch = "wasm32"))]
    Dir {
        dir: std::path::PathBuf,
        log: Option<std::fs::File>,
        /// This instance's lock on the folder (`None`: a headless reader that never writes).
        lock: Option<(lock::Holder, lock::LockState)>,
    },
    /// Browser local storage under a key prefix; `tab` is this tab's hold on the project (see
    /// [`web_lock`]).
    #[cfg(target_arch = "wasm32")]
    Web { prefix: String, tab: web_lock::Tab },
    /// In memory only (tests, or when no storage is available).
    Memory {
        files: std::collections::HashMap<&'static str, String>,
        added: std::collections::HashMap<String, String>,
    },
}

impl ProjectStore {
    /// Opens (creating if needed) a project folder and reads what it holds.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_dir(dir: &std::path::Path) -> (ProjectStore, Opened) {
        let (mut store, mut opened) = Self::read_dir(dir);
        if let Backend::Dir { lock: l, .. } = &mut store.backend {
            let me = lock::Holder::me();
            let state = if dir.is_dir() {
                lock::acquire(dir, &me).unwrap_or(lock::LockState::NotYet)
            } else {
                lock::LockState::NotYet
            };
            *l = Some((me, state));
        }
        // an unwritable place is reported now, not at the first edit; the folder itself is
        // created by the first write
        // the nearest folder that exists (errata's data folder may not exist yet on a new machine;
        // the first write creates it)
        let probe_dir = dir
            .ancestors()
            .find(|d| d.is_dir())
            .map(std::path::Path::to_path_buf);
        if let Some(probe_dir) = probe_dir {
            let probe = probe_dir.join(format!(".errata-write-test-{}", std::process::id()));
            match std::fs::write(&probe, b"ok") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) => opened.errors.push(PersistError::Io {
                    path: store.location.clone(),
                    reason: format!("the project folder cannot be written ({e}); edits are kept in memory until it can"),
                }),
            }
        }
        (store, opened)
    }

    /// Reads a project folder without creating or writing anything (headless reports).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> (ProjectStore, Opened) {
        let mut opened = Opened::default();
        let mut store = ProjectStore::unopened_dir(dir);
        store.read_all(&mut opened, |name| read_in(dir, name));
        (store, opened)
    }

    /// The project file of a folder alone, the label log left unread (what a load needs before
    /// the dump is read: the field mapping and the batches kept); nothing is created or written.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir_project(dir: &std::path::Path) -> (ProjectStore, ProjectFile) {
        let mut store = ProjectStore::unopened_dir(dir);
        let project = store
            .read_json(&mut Opened::default(), PROJECT_FILE, &|name| {
                read_in(dir, name)
            })
            .unwrap_or_default();
        (store, project)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn unopened_dir(dir: &std::path::Path) -> ProjectStore {
        ProjectStore {
            location: dir.display().to_string(),
            backend: Backend::Dir {
                dir: dir.to_path_buf(),
                log: None,
                lock: None,
            },
            pending: Vec::new(),
            protect: Vec::new(),
        }
    }

    /// Opens a project kept in browser local storage under `key`.
    #[cfg(target_arch = "wasm32")]
    pub fn open_web(key: &str) -> (ProjectStore, Opened) {
        let prefix = format!("errata:{key}:");
        let mut opened = Opened::default();
        let mut store = ProjectStore {
            location: format!("browser storage ({key})"),
            backend: Backend::Web {
                prefix: prefix.clone(),
                tab: web_lock::Tab::open(&prefix),
            },
            pending: Vec::new(),
            protect: Vec::new(),
        };
        store.read_all(&mut opened, |name| {
            let storage = local_storage().ok_or("browser storage is not available")?;
            storage
                .get_item(&format!("{prefix}{name}"))
                .map_err(|e| format!("{e:?}"))
        });
        (store, opened)
    }

    /// A project that lives in memory only.
    pub fn memory() -> ProjectStore {
        ProjectStore {
            location: "memory".to_owned(),
            backend: Backend::Memory {
                files: Default::default(),
                added: Default::default(),
            },
            pending: Vec::new(),
            protect: Vec::new(),
        }
    }

    fn read_all(
        &mut self,
        opened: &mut Opened,
        read: impl Fn(&str) -> Result<Option<String>, String>,
    ) {
        match read(LABELS_FILE) {
            Ok(Some(text)) => {
                let (labels, problems) = Labels::replay(&text);
                opened.labels = labels;
                opened.problems = problems;
            }
            Ok(None) => {}
            Err(reason) => {
                opened.errors.push(PersistError::Io {
                    path: format!("{}/{LABELS_FILE}", self.location),
                    reason,
                });
                self.protect.push(LABELS_FILE);
            }
        }
        if let Some(cb) = self.read_json(opened, CODEBOOK_FILE, &read) {
            opened.codebook = cb;
        }
        if let Some(p) = self.read_json(opened, PROJECT_FILE, &read) {
            opened.project = p;
        }
    }

    /// A JSON document, `None` when absent; one that cannot be read or parsed is reported (with
    /// its line) and protected from being overwritten.
    fn read_json<T: serde::de::DeserializeOwned>(
        &mut self,
        opened: &mut Opened,
        name: &'static str,
        read: &impl Fn(&str) -> Result<Option<String>, String>,
    ) -> Option<T> {
        let path = format!("{}/{name}", self.location);
        let error = match read(name) {
            Ok(None) => return None,
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(doc) => return Some(doc),
                Err(e) => PersistError::Parse {
                    path,
                    line: e.line(),
                    reason: e.to_string(),
                },
            },
            Err(reason) => PersistError::Io { path, reason },
        };
        opened.errors.push(error);
        self.protect.push(name);
        None
    }

    /// Appends the records added as `batch` (JSON lines, each ending in a newline) to what the
    /// project keeps of that batch.
    pub fn append_added(&mut self, batch: &str, text: &str) -> Result<(), PersistError> {
        let stem = added_stem(batch);
        let where_ = format!("{}/{ADDED_DIR}/{stem}.jsonl", self.location);
        match &mut self.backend {
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Dir { dir, .. } => {
                use std::io::Write as _;
                let folder = dir.join(ADDED_DIR);
                let io = |e: std::io::Error| PersistError::Io {
                    path: where_.clone(),
                    reason: e.to_string(),
                };
                std::fs::create_dir_all(&folder).map_err(io)?;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(folder.join(format!("{stem}.jsonl")))
                    .map_err(io)?;
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_data())
                    .map_err(io)?;
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Web { prefix, .. } => {
                web_append(&format!("{prefix}{ADDED_DIR}/{stem}"), text).map_err(|reason| {
                    PersistError::Io {
                        path: where_,
                        reason,
                    }
                })?;
            }
            Backend::Memory { added, .. } => added.entry(stem).or_default().push_str(text),
        }
        Ok(())
    }

    /// The records kept for each batch of `project` added with "Add traces…" (see
    /// [`ProjectStore::append_added`]), as sources tagged with their batch. A batch with nothing
    /// kept is left out; one that cannot be read is reported.
    pub fn added_sources(
        &self,
        project: &ProjectFile,
    ) -> (Vec<crate::trace::load::Source>, Vec<PersistError>) {
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        for batch in project.batches.iter().filter(|b| b.is_added()) {
            let batch = batch.name.as_str();
            let stem = added_stem(batch);
            let where_ = format!("{}/{ADDED_DIR}/{stem}.jsonl", self.location);
            let text: Result<Option<String>, String> = match &self.backend {
                #[cfg(not(target_arch = "wasm32"))]
                Backend::Dir { dir, .. } => {
                    match std::fs::read(dir.join(ADDED_DIR).join(format!("{stem}.jsonl"))) {
                        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                        Err(e) => Err(e.to_string()),
                    }
                }
                #[cfg(target_arch = "wasm32")]
                Backend::Web { prefix, .. } => local_storage()
                    .ok_or_else(|| "browser storage is not available".to_owned())
                    .and_then(|s| {
                        s.get_item(&format!("{prefix}{ADDED_DIR}/{stem}"))
                            .map_err(|e| format!("{e:?}"))
                    }),
                Backend::Memory { added, .. } => Ok(added.get(&stem).cloned()),
            };
            match text {
                Ok(Some(text)) if !text.trim().is_empty() => {
                    let mut source = crate::trace::load::Source::new(where_, text.into_bytes());
                    source.batch = Some(batch.to_owned());
                    sources.push(source);
                }
                Ok(_) => {}
                Err(reason) => errors.push(PersistError::Io {
                    path: where_,
                    reason,
                }),
            }
        }
        (sources, errors)
    }

    /// Takes the events written nowhere yet (to write them through another store).
    pub fn take_pending(&mut self) -> Vec<LabelEvent> {
        std::mem::take(&mut self.pending)
    }

    /// Events written nowhere yet (shown as "unsaved" in the UI).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Appends an event to the log and flushes it. On failure the event is kept and retried
    /// with the next write.
    pub fn append(&mut self, ev: &LabelEvent) -> Result<(), PersistError> {
        self.pending.push(ev.clone());
        self.flush_pending()
    }

    /// Writes events kept in memory.
    pub fn flush_pending(&mut self) -> Result<(), PersistError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.protect.contains(&LABELS_FILE) {
            return Err(PersistError::Io {
                path: format!("{}/{LABELS_FILE}", self.location),
                reason: "not written: the existing log could not be read; choose what to do with it first".to_owned(),
            });
        }
        let mut text = String::new();
        for ev in &self.pending {
            if let Ok(line) = serde_json::to_string(ev) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        match &mut self.backend {
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Dir { dir, log, lock } => {
                use std::io::Write as _;
                let path = dir.join(LABELS_FILE);
                let io = |e: std::io::Error| PersistError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                };
                ensure_lock(dir, lock, &path.display().to_string())?;
                if log.is_none() {
                    std::fs::create_dir_all(dir.as_path()).map_err(io)?;
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .read(true)
                        .append(true)
                        .open(&path)
                        .map_err(io)?;
                    // a log cut short by a crash ends mid-line: start on a fresh line, so that
                    // the next event is not glued onto the fragment
                    if ends_mid_line(&mut f).map_err(io)? {
                        text.insert(0, '\n');
                    }
                    *log = Some(f);
                }
                if let Some(f) = log {
                    // one write per batch: a kill leaves whole lines or a torn last line
                    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.flush()) {
                        *log = None;
                        return Err(io(e));
                    }
                }
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Web { prefix, tab } => {
                tab.check(&format!("{}/{LABELS_FILE}", self.location))?;
                let key = format!("{prefix}{LABELS_FILE}");
                web_append(&key, &text).map_err(|reason| PersistError::Io {
                    path: format!("{}/{LABELS_FILE}", self.location),
                    reason,
                })?;
            }
            Backend::Memory { files, .. } => {
                let log = files.entry(LABELS_FILE).or_default();
                if !log.is_empty() && !log.ends_with('\n') {
                    log.push('\n');
                }
                log.push_str(&text);
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// Replaces a whole document atomically (temporary file + rename natively).
    pub fn write_document(&mut self, name: &'static str, text: &str) -> Result<(), PersistError> {
        if self.protect.contains(&name) {
            return Err(PersistError::Io {
                path: format!("{}/{name}", self.location),
                reason: "not overwritten: it could not be read; fix or discard it first".to_owned(),
            });
        }
        match &mut self.backend {
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Dir { dir, log, lock } => {
                let path = dir.join(name);
                let tmp = dir.join(format!("{name}.tmp"));
                let io = |e: std::io::Error| PersistError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                };
                ensure_lock(dir, lock, &path.display().to_string())?;
                std::fs::create_dir_all(dir.as_path()).map_err(io)?;
                {
                    use std::io::Write as _;
                    let mut f = std::fs::File::create(&tmp).map_err(io)?;
                    f.write_all(text.as_bytes()).map_err(io)?;
                    f.sync_all().map_err(io)?;
                }
                std::fs::rename(&tmp, &path).map_err(io)?;
                if name == LABELS_FILE {
                    *log = None; // reopen the replaced file for appends
                }
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Web { prefix, tab } => {
                let location = self.location.clone();
                tab.check(&format!("{location}/{name}"))?;
                let storage = local_storage().ok_or_else(|| PersistError::Io {
                    path: location.clone(),
                    reason: "browser storage is not available".to_owned(),
                })?;
                storage
                    .set_item(&format!("{prefix}{name}"), text)
                    .map_err(|e| PersistError::Io {
                        path: format!("{location}/{name}"),
                        reason: format!(
                            "browser storage refused the write ({e:?}); export your labels"
                        ),
                    })?;
            }
            Backend::Memory { files, .. } => {
                files.insert(name, text.to_owned());
            }
        }
        Ok(())
    }

    /// Saves the codebook.
    pub fn save_codebook(&mut self, cb: &Codebook) -> Result<(), PersistError> {
        let text = serde_json::to_string_pretty(cb).unwrap_or_default();
        self.write_document(CODEBOOK_FILE, &text)
    }

    /// Saves the project file.
    pub fn save_project(&mut self, p: &ProjectFile) -> Result<(), PersistError> {
        let text = serde_json::to_string_pretty(p).unwrap_or_default();
        self.write_document(PROJECT_FILE, &text)
    }

    /// Who holds the project when this instance opened it read-only (another live errata).
    pub fn read_only_by(&self) -> Option<String> {
        match &self.backend {
            #[cfg(not(target_arch = "wasm32"))]
            Backend::Dir {
                lock: Some((_, lock::LockState::Other(h))),
                ..
            } => Some(h.describe()),
            #[cfg(target_arch = "wasm32")]
            Backend::Web { tab, .. } => tab.held_by(),
            _ => None,
        }
    }

    /// Keeps this instance's hold on the project alive (the browser: a heartbeat other tabs
    /// read, every few seconds; natively the lock file needs none).
    pub fn heartbeat(&mut self) {
        #[cfg(target_arch = "wasm32")]
        if let Backend::Web { tab, .. } = &mut self.backend {
            tab.beat(js_sys::Date::now());
        }
    }

    /// Takes the project's lock from the instance holding it (the user chose to: it is gone or
    /// stuck). The caller reopens the project so that what the other instance wrote is read.
    pub fn take_over(&mut self) -> Result<(), PersistError> {
        #[cfg(target_arch = "wasm32")]
        if let Backend::Web { tab, .. } = &mut self.backend {
            tab.take_over();
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Backend::Dir {
            dir,
            lock: Some((me, state)),
            ..
        } = &mut self.backend
        {
            std::fs::create_dir_all(dir.as_path())
                .and_then(|()| lock::take_over(dir, me))
                .map(|s| *state = s)
                .map_err(|e| PersistError::Io {
                    path: dir.join(lock::LOCK_FILE).display().to_string(),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Moves an unreadable document aside to `<name>.bad` (natively) and allows writing it again.
    pub fn set_aside(&mut self, name: &str) -> Result<(), PersistError> {
        #[cfg(not(target_arch = "wasm32"))]
        if let Backend::Dir { dir, .. } = &self.backend {
            let from = dir.join(name);
            let to = dir.join(format!("{name}.bad"));
            if from.exists() {
                std::fs::rename(&from, &to).map_err(|e| PersistError::Io {
                    path: from.display().to_string(),
                    reason: e.to_string(),
                })?;
            }
        }
        self.unprotect(name);
        Ok(())
    }

    /// Stops protecting a document that failed to read (the user chose to replace it).
    pub fn unprotect(&mut self, name: &str) {
        self.protect.retain(|n| *n != name);
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for ProjectStore {
    fn drop(&mut self) {
        if let Backend::Dir {
            dir,
            lock: Some((me, lock::LockState::Held(_))),
            ..
        } = &self.backend
        {
            lock::release(dir, me);
        }
    }
}

/// Before a write: takes the lock with the first write, and refuses when another instance holds
/// it (or took it over since): one writer per project.
#[cfg(not(target_arch = "wasm32"))]
fn ensure_lock(
    dir: &std::path::Path,
    state: &mut Option<(lock::Holder, lock::LockState)>,
    what: &str,
) -> Result<(), PersistError> {
    let Some((me, state)) = state else {
        return Ok(()); // headless reader: writes nothing through the lock
    };
    let now = match state {
        lock::LockState::Held(_) => match lock::check(dir, me) {
            // the lock file vanished (removed by hand): take it again
            lock::LockState::NotYet => lock::acquire(dir, me),
            other => Ok(other),
        },
        lock::LockState::NotYet | lock::LockState::Other(_) => {
            std::fs::create_dir_all(dir).and_then(|()| lock::acquire(dir, me))
        }
    };
    *state = now.map_err(|e| PersistError::Io {
        path: dir.join(lock::LOCK_FILE).display().to_string(),
        reason: format!("the project's lock cannot be taken ({e})"),
    })?;
    match state {
        lock::LockState::Other(h) => Err(PersistError::Io {
            path: what.to_owned(),
            reason: format!(
                "not written: this project is open in another {}; this window is read-only (File > Take over the project, once the other one is closed)",
                h.describe()
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether a file's last byte is not a newline (a write cut short).
#[cfg(not(target_arch = "wasm32"))]
fn ends_mid_line(f: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// One writer per project in the browser too: each tab that opens a project beats a heartbeat
/// (`<prefix>lock`: its token and the time) every few seconds; a tab that finds another tab's
/// fresh heartbeat opens read-only and says so. A closed tab stops beating, so its hold lapses.
#[cfg(target_arch = "wasm32")]
mod web_lock;

#[cfg(target_arch = "wasm32")]
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

#[cfg(target_arch = "wasm32")]
fn web_append(key: &str, text: &str) -> Result<(), String> {
    let storage = local_storage().ok_or("browser storage is not available")?;
    let mut all = storage
        .get_item(key)
        .map_err(|e| format!("{e:?}"))?
        .unwrap_or_default();
    if !all.is_empty() && !all.ends_with('\n') {
        all.push('\n'); // a write cut short: start on a fresh line
    }
    all.push_str(text);
    storage
        .set_item(key, &all)
        .map_err(|e| format!("browser storage refused the write ({e:?}); export your labels"))
}

/// The project folder, in errata's data folder `root`, of a dump without a path of its own (the
/// demo, drops, URLs, a ClickHouse source: keyed by its URL without a password).
#[cfg(not(target_arch = "wasm32"))]
pub fn data_project_dir(root: &std::path::Path, key: &str) -> std::path::PathBuf {
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
}

/// errata's data folder (natively), where projects of dumps without a folder of their own live.
#[cfg(not(target_arch = "wasm32"))]
pub fn data_dir() -> std::path::PathBuf {
    eframe::storage_dir("errata").unwrap_or_else(std::env::temp_dir)
}

/// The sidecar folder for a dump: `traces.jsonl` → `traces.errata/` beside it.
#[cfg(not(target_arch = "wasm32"))]
pub fn sidecar_dir(dump: &std::path::Path) -> std::path::PathBuf {
    let name = dump
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".jsonl", ".ndjson", ".json", ".parquet", ".csv"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    dump.with_file_name(format!("{stem}.errata"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

/// A project file's text, `None` when the folder does not have it.
#[cfg(not(target_arch = "wasm32"))]
fn read_in(dir: &std::path::Path, name: &str) -> Result<Option<String>, String> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}
