//! Files in and out: exports (a file dialog, or a path when none can open; downloads in the browser), imports of labels and codebooks, the chart as PNG.

use super::*;

impl ErrataApp {
    pub(super) fn export_regression(&mut self) {
        self.export_regression_onto(None);
    }

    /// The failing traces of the view as regression cases: natively into a file the user names
    /// (an existing one gets only new ids); in the browser a download, of `onto` (an existing
    /// set the user picked) with the new cases after it, or of the new cases alone.
    #[cfg_attr(not(target_arch = "wasm32"), allow(unused_variables))]
    pub(super) fn export_regression_onto(&mut self, onto: Option<(&str, &str)>) {
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

    pub(super) fn take_screenshot(&mut self, ctx: &egui::Context) {
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

    pub(super) fn export_labels(&mut self) {
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

    pub(super) fn import_codebook(&mut self, ctx: &egui::Context) {
        self.pick_text_file(ctx, Import::Codebook);
    }

    pub(super) fn import_labels(&mut self, ctx: &egui::Context) {
        self.pick_text_file(ctx, Import::Labels);
    }

    /// Asks for a text file (native dialog; the browser's picker), then imports it as `kind`.
    pub(super) fn pick_text_file(&mut self, ctx: &egui::Context, kind: Import) {
        let (filter, ext) = match kind {
            Import::Labels | Import::Regression => ("JSON Lines", "jsonl"),
            Import::Codebook => ("Codebook", "json"),
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = ctx;
            if !self.file_dialogs {
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

    pub(super) fn import_text(&mut self, kind: Import, name: &str, text: &str) {
        match kind {
            Import::Labels => self.merge_labels_text(name, text),
            Import::Regression => self.export_regression_onto(Some((name, text))),
            Import::Codebook => self.replace_codebook_text(name, text),
        }
    }

    /// Saves bytes as a file the user names (native dialog; a download in the browser).
    pub(super) fn save_file(&mut self, name: &str, bytes: &[u8]) {
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
    pub(super) fn save_with(
        &mut self,
        name: &str,
        write: impl FnOnce(&std::path::Path) -> Result<String, String> + 'static,
    ) {
        let why = if self.file_dialogs {
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
    pub(super) fn save_to_path(&mut self, path: &str) {
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

    /// The codebook as JSON or Markdown, saved or downloaded.
    pub(super) fn export_codebook(&mut self, markdown: bool) {
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
