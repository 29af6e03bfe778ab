//! The menu bar, the dump's one-line summary, the status bar (load progress, notices) and the
//! "Add traces" window. Each draws what it is given and returns the actions clicked.

use crate::action::{Action, Window};
use crate::project::Project;
use crate::workspace::{Dataset, Notice, fmt_count};

/// The menu bar.
pub fn menu_bar(
    ui: &mut egui::Ui,
    data: Option<&Dataset>,
    project: Option<&Project>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| file_menu(ui, data, project, &mut actions));
        ui.menu_button("View", |ui| {
            if let Some(d) = data {
                view_menu(ui, d, &mut actions);
            }
        });
        ui.menu_button("Help", |ui| {
            if ui
                .add(egui::Button::new("Keyboard shortcuts").shortcut_text("?"))
                .clicked()
            {
                actions.push(Action::Show(Window::Shortcuts));
            }
        });
    });
    actions
}

fn file_menu(
    ui: &mut egui::Ui,
    data: Option<&Dataset>,
    project: Option<&Project>,
    actions: &mut Vec<Action>,
) {
    let open_shortcut = ui.ctx().format_shortcut(&egui::KeyboardShortcut::new(
        egui::Modifiers::COMMAND,
        egui::Key::O,
    ));
    if ui
        .add(egui::Button::new("Open…").shortcut_text(open_shortcut))
        .clicked()
    {
        actions.push(Action::OpenDialog);
    }
    if ui.button("Open URL…").clicked() {
        actions.push(Action::Show(Window::OpenUrl));
    }
    if ui
        .button("Open ClickHouse…")
        .on_hover_text("Read traces where they are: a ClickHouse table (OTel Collector, Langfuse v3, any table) or query")
        .clicked()
    {
        actions.push(Action::Show(Window::OpenClickHouse));
    }
    if ui
        .add_enabled(
            data.is_some(),
            egui::Button::new("Add traces to this dump…"),
        )
        .on_hover_text(
            "Add files, a URL or dropped files to the open dump as a batch; records it already \
             has are skipped",
        )
        .clicked()
    {
        actions.push(Action::AddTraces);
    }
    if ui.button("Open demo traces").clicked() {
        actions.push(Action::OpenDemo);
    }
    let other = data.and_then(|d| d.other.as_ref());
    if ui
        .add_enabled(
            data.is_some(),
            egui::Button::new("Compare outputs with another run…"),
        )
        .on_hover_text(
            "Open another run of these traces (e.g. after a fix): each trace's output shows \
             beside the other run's trace with the same id (else the same input), the words \
             that differ marked",
        )
        .clicked()
    {
        actions.push(Action::CompareWithRun);
    }
    if let Some(other) = other
        && ui
            .button(format!("Stop comparing with {}", other.name))
            .clicked()
    {
        actions.push(Action::StopComparingRuns);
    }
    ui.separator();
    for (label, action) in [
        ("Import labels…", Action::ImportLabels),
        ("Export labels…", Action::ExportLabels),
    ] {
        if ui
            .add_enabled(project.is_some(), egui::Button::new(label))
            .clicked()
        {
            actions.push(action);
        }
    }
    if ui
        .add_enabled(
            project.is_some() && data.is_some(),
            egui::Button::new("Import notes from a column…"),
        )
        .on_hover_text("Turn a column of the dump (an expert's notes) into open-coding notes")
        .clicked()
    {
        actions.push(Action::Show(Window::NotesImport));
    }
    if let Some(holder) = project.and_then(|p| p.store.read_only_by())
        && ui
            .button("Take over the project")
            .on_hover_text(format!(
                "Read-only: open in another {holder}. Take it over once that one is closed or \
                 stuck; what it saved is read again first"
            ))
            .clicked()
    {
        actions.push(Action::TakeOver);
    }
    ui.separator();
    let selected = data.is_some_and(|d| d.selected.is_some());
    if ui
        .add_enabled(
            selected,
            egui::Button::new("Copy trace as JSON").shortcut_text("C"),
        )
        .clicked()
    {
        actions.push(Action::CopyRecord);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        ui.separator();
        if ui.button("Quit").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

fn view_menu(ui: &mut egui::Ui, d: &Dataset, actions: &mut Vec<Action>) {
    ui.menu_button("Columns", |ui| {
        for c in d.store.columns() {
            let mut on = d.visible_columns.contains(&c.name);
            if ui
                .checkbox(&mut on, format!("{} ({})", c.name, c.dtype))
                .changed()
            {
                actions.push(Action::ToggleColumn(c.name.clone()));
            }
        }
    });
    if ui
        .add(egui::Button::new("Codebook").shortcut_text("B"))
        .clicked()
    {
        actions.push(Action::Show(Window::Codebook));
    }
    if ui.button("Field mapping…").clicked() {
        actions.push(Action::Show(Window::FieldMapping));
    }
    if ui
        .button(format!("Skipped lines ({})", d.skipped_count))
        .clicked()
    {
        actions.push(Action::Show(Window::SkippedLines));
    }
    ui.separator();
    if ui
        .add(egui::Button::new("Axial coding…").shortcut_text("A"))
        .clicked()
    {
        actions.push(Action::Show(Window::AxialCoding));
    }
    if ui.button("Sample a review batch…").clicked() {
        actions.push(Action::Show(Window::Sample));
    }
    if ui.button("Judge agreement…").clicked() {
        actions.push(Action::Show(Window::Judge));
    }
    if ui.button("Export regression cases…").clicked() {
        actions.push(Action::ExportRegression);
    }
    #[cfg(target_arch = "wasm32")]
    if ui
        .button("Add regression cases to a file…")
        .on_hover_text(
            "Pick your regression set: the failing traces of the view that it lacks are added, \
             and the whole set downloads",
        )
        .clicked()
    {
        actions.push(Action::AddToRegressionFile);
    }
}

/// The open dump in one line: files, traces, identity, mapping, skipped lines, load time.
pub fn dataset_line(ui: &mut egui::Ui, data: Option<&Dataset>) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some(d) = data else {
        ui.label("No traces open. File > Open…, drop a file here, or open the demo.");
        return actions;
    };
    ui.horizontal_wrapped(|ui| {
        ui.strong(d.store.files().join(", "));
        if let Some(f) = &d.store.format {
            ui.label(format!("· {f}"));
        } else {
            ui.label(format!(
                "· {}",
                crate::workspace::count_of(d.store.len(), "trace", "traces")
            ));
        }
        ui.label(format!("· {}", d.store.identity.describe()));
        ui.label(format!("· {}", d.store.mapping.describe()));
        if ui
            .small_button("Change…")
            .on_hover_text("Choose the id, input and output fields")
            .clicked()
        {
            actions.push(Action::Show(Window::FieldMapping));
        }
        if d.skipped_count > 0
            && ui
                .link(format!("· {} lines skipped", fmt_count(d.skipped_count)))
                .clicked()
        {
            actions.push(Action::Show(Window::SkippedLines));
        }
        if d.load_ms > 0.0 {
            ui.weak(format!("· loaded in {:.0} ms", d.load_ms));
        }
    });
    actions
}

/// A load in progress, as the status bar shows it.
pub struct Loading<'a> {
    /// What is loading.
    pub label: &'a str,
    /// Done so far (0–1) and in words.
    pub progress: (f32, String),
}

/// The status bar: the load in progress (with Cancel) and the notices (each dismissable).
pub fn status_bar(
    ui: &mut egui::Ui,
    loading: Option<Loading<'_>>,
    notices: &[Notice],
) -> Vec<Action> {
    let mut actions = Vec::new();
    let dark = ui.visuals().dark_mode;
    if let Some(job) = loading {
        ui.horizontal(|ui| {
            let (frac, text) = job.progress;
            ui.spinner();
            ui.label(format!("Loading {}", job.label));
            ui.add(egui::ProgressBar::new(frac).text(text).desired_width(320.0));
            if ui.button("Cancel").clicked() {
                actions.push(Action::CancelLoad);
            }
        });
    }
    for (i, n) in notices.iter().enumerate() {
        ui.horizontal(|ui| {
            let color = if n.error {
                super::theme::error_color(dark)
            } else {
                super::theme::warn_color(dark)
            };
            if ui.small_button("×").on_hover_text("Dismiss").clicked() {
                actions.push(Action::DismissNotice(i));
            }
            ui.colored_label(color, &n.text);
        });
    }
    actions
}

/// The "Add traces" window: the batch name, then files, a URL, or a drop.
pub fn add_traces(
    ctx: &egui::Context,
    open: &mut bool,
    batch: &mut String,
    url: &mut String,
) -> Vec<Action> {
    let mut actions = Vec::new();
    if !*open {
        return actions;
    }
    egui::Window::new("Add traces to this dump")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let l = ui.label("batch");
                ui.add(egui::TextEdit::singleline(batch).desired_width(140.0))
                    .labelled_by(l.id);
            });
            let named = !batch.trim().is_empty();
            if ui
                .add_enabled(named, egui::Button::new("Choose files…"))
                .clicked()
            {
                actions.push(Action::AddTracesFromFiles);
            }
            ui.horizontal(|ui| {
                let l = ui.label("or a URL");
                ui.add(
                    egui::TextEdit::singleline(url)
                        .hint_text("https://…/traces.jsonl")
                        .desired_width(260.0),
                )
                .labelled_by(l.id);
                let url = url.trim();
                if ui
                    .add_enabled(named && !url.is_empty(), egui::Button::new("Fetch"))
                    .clicked()
                {
                    actions.push(Action::AddTracesFromUrl(url.to_owned()));
                }
            });
            ui.weak(
                "or drop files on errata while this window is open. Records the dump already \
                 has (same id) are skipped; the new ones get the batch in their `batch` column, \
                 and the dump's field mapping is reused.",
            );
        });
    actions
}
