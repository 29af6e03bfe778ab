//! Windows: keyboard help, field mapping, skipped lines, open URL; and the drop hint.

use egui::{Color32, RichText};

use crate::action::Action;
use crate::trace::{FieldMapping, FieldPath, TraceStore};
use crate::workspace::{Dataset, PendingAppend};

/// Every shortcut, for the help overlay.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Down / j", "next trace"),
    ("Up / k", "previous trace"),
    ("PageDown / PageUp", "one page down / up"),
    ("Home / End", "first / last trace"),
    (
        "[ / ]",
        "previous / next turn of the conversation (a trace opens at its last user turn)",
    ),
    ("C", "copy the trace as JSON (the original record)"),
    ("P / F / X", "verdict: pass / fail / unreviewed"),
    ("1 - 9", "toggle the n-th tag of the codebook"),
    ("E", "write the note (Esc leaves the box)"),
    ("T", "coin a new tag (type, Enter)"),
    ("U", "next unreviewed trace"),
    (
        "O",
        "next trace to code: uncoded, or coded before a change to its categories' meaning",
    ),
    ("G", "jump to a trace by id"),
    ("S", "structured coding on / off"),
    (
        "Enter",
        "structured coding: confirm the chips, go to the next trace to code",
    ),
    ("B", "open the codebook"),
    (
        "A",
        "axial coding: propose categories from the notes, review, accept",
    ),
    ("Y / R", "confirm / reject the trace's suggested categories"),
    (
        "W",
        "type a SQL WHERE filter over metadata (Tab completes column names)",
    ),
    ("/", "search input and output"),
    ("N / Shift+N", "next / previous matching trace"),
    (
        "Shift+J / Shift+K",
        "agent traces: next / previous span in the span tree (above the first: the whole trace)",
    ),
    ("← / →", "fold / unfold the selected span"),
    (
        "Shift+F",
        "mark the selected span as where the trace first went wrong (again: unmark)",
    ),
    ("Del", "clear every filter"),
    ("Ctrl+O", "open a file"),
    ("?", "show or hide this help"),
    ("Esc", "close this help"),
];

/// The window that asks which of an added file's fields are the id, input and output, when they
/// differ from the dump's.
pub fn append_mapping(
    ctx: &egui::Context,
    pending: &mut PendingAppend,
    store: &TraceStore,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut open = true;
    egui::Window::new(format!(
        "Add traces as {}: map the new fields",
        pending.batch
    ))
    .open(&mut open)
    .collapsible(false)
    .default_width(520.0)
    .show(ctx, |ui| {
        let names: Vec<&str> = pending.sources.iter().map(|s| s.name.as_str()).collect();
        ui.label(format!(
            "{} is shaped unlike the open dump:",
            names.join(", ")
        ));
        for r in &pending.diff.reasons {
            ui.label(format!("· {r}"));
        }
        ui.add_space(4.0);
        ui.weak(format!(
            "The dump reads {}, {}. Say which of the new file's fields hold the same; \
                 its records are then added under the dump's field names.",
            store.identity.describe(),
            store.mapping.describe()
        ));
        ui.add_space(6.0);
        mapping_grid(
            ui,
            "append-mapping",
            &mut pending.draft,
            &pending.diff.paths,
            false,
        );
        let needs_id = store.identity.field().is_some() && pending.draft.id.is_none();
        if needs_id {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Pick the id field: the dump identifies traces by a field.",
            );
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!needs_id, egui::Button::new("Add with this mapping"))
                .clicked()
            {
                actions.push(Action::AppendMapped(pending.draft.clone()));
            }
            if ui.button("Cancel").clicked() {
                actions.push(Action::CancelAppend);
            }
        });
    });
    if !open {
        actions.push(Action::CancelAppend);
    }
    actions
}

/// The id, input and output pickers over `paths`.
fn mapping_grid(
    ui: &mut egui::Ui,
    salt: &str,
    draft: &mut crate::trace::FieldMapping,
    paths: &[FieldPath],
    grouping: bool,
) {
    egui::Grid::new((salt, "grid"))
        .num_columns(3)
        .show(ui, |ui| {
            let mut slots = vec![
                ("id", &mut draft.id),
                ("input", &mut draft.input),
                ("output", &mut draft.output),
            ];
            if grouping {
                // records that share this field's value are the spans of one trace
                slots.push(("group spans by", &mut draft.group_by));
            }
            for (label, slot) in slots {
                ui.label(label);
                egui::ComboBox::from_id_salt((salt, label))
                    .selected_text(show(slot))
                    .width(260.0)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(slot, None, "none");
                        for p in paths {
                            ui.selectable_value(slot, Some(p.clone()), p.to_string());
                        }
                    });
                // a path into nested records, typed: response.body.choices[0].message.content
                let id = ui.scope_id().with((salt, label, "typed"));
                let mut typed: String = ui.data_mut(|d| d.get_temp(id)).unwrap_or_default();
                let r = ui.add(
                    egui::TextEdit::singleline(&mut typed)
                        .id(id)
                        .hint_text(format!("or type the {label} path"))
                        .desired_width(240.0),
                );
                if r.changed()
                    && let Some(p) = FieldPath::parse(&typed, paths)
                {
                    *slot = Some(p);
                }
                if !typed.trim().is_empty() && FieldPath::parse(&typed, paths).is_none() {
                    r.on_hover_text("Keys joined by dots, [n] for an array element");
                }
                ui.data_mut(|d| d.insert_temp(id, typed));
                ui.end_row();
            }
        });
}

/// Which windows are open.
#[derive(Default)]
pub struct Dialogs {
    /// Keyboard shortcuts.
    pub help: bool,
    /// Field mapping editor, with its draft.
    pub mapping: Option<FieldMapping>,
    /// Skipped lines list.
    pub skipped: bool,
    /// Open-URL box, with its text.
    pub url: Option<String>,
    /// The "Open ClickHouse" form.
    pub clickhouse: Option<super::remote_table::Form>,
    /// An export waiting for a path (no file dialog could open).
    pub save_to: Option<SaveTo>,
    /// "Import notes from a column", with what is chosen (the verdict column empty: none).
    pub notes_import: Option<crate::workspace::notes::NotesImport>,
}

/// An export waiting for the user to type where it goes (no file dialog could open).
pub struct SaveTo {
    /// The export's file name.
    pub name: String,
    /// The path being typed.
    pub path: String,
    /// Why no dialog: shown in the window.
    pub why: String,
    /// Writes the export at a path; returns the message to show. Taken when it runs.
    #[allow(clippy::type_complexity)] // one boxed writer, called once
    pub write: Option<Box<dyn FnOnce(&std::path::Path) -> Result<String, String>>>,
}

/// Id of the "Save to" window's path box.
pub fn save_path_id() -> egui::Id {
    egui::Id::unique("errata-save-path")
}

/// Whether the system can show a file dialog (natively on Linux: a desktop portal on the
/// session bus, or zenity; elsewhere always).
#[cfg(not(target_arch = "wasm32"))]
pub fn file_dialogs_available() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let on_path = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    };
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() || on_path("zenity")
}

/// "Import notes from a column": the column, the author, an optional verdict column.
fn notes_import_window(
    ctx: &egui::Context,
    dialogs: &mut Dialogs,
    data: Option<&Dataset>,
    actions: &mut Vec<Action>,
) {
    let (Some(req), Some(d)) = (&mut dialogs.notes_import, data) else {
        return;
    };
    let mut open = true;
    let mut close = false;
    egui::Window::new("Import notes from a column")
        .open(&mut open)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label(
                "Each trace with a value in the column gets it as its open-coding note (a \
                 trace that has a note keeps its own).",
            );
            super::weekly::column_combo(ui, "notes column", &mut req.column, d);
            ui.horizontal(|ui| {
                let l = ui.label("written by");
                ui.add(egui::TextEdit::singleline(&mut req.author).desired_width(140.0))
                    .labelled_by(l.id);
            });
            let mut verdict = req.verdict_column.clone().unwrap_or_default();
            super::weekly::column_combo(ui, "verdict column (optional)", &mut verdict, d);
            req.verdict_column = Some(verdict).filter(|v| !v.is_empty());
            let ready = !req.column.is_empty() && !req.author.trim().is_empty();
            ui.horizontal(|ui| {
                if ui.add_enabled(ready, egui::Button::new("Import")).clicked() {
                    actions.push(Action::ImportNotes(req.clone()));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
    if !open || close {
        dialogs.notes_import = None;
    }
}

/// Draws the open windows.
pub fn ui(ctx: &egui::Context, dialogs: &mut Dialogs, data: Option<&Dataset>) -> Vec<Action> {
    let mut actions = Vec::new();
    notes_import_window(ctx, dialogs, data, &mut actions);
    save_to_window(ctx, dialogs, &mut actions);
    if dialogs.help {
        let mut open = true;
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.weak("Shortcuts never fire while a text box has focus.");
                egui::Grid::new("shortcuts")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (k, what) in SHORTCUTS {
                            ui.label(RichText::new(*k).monospace().strong());
                            ui.label(*what);
                            ui.end_row();
                        }
                    });
            });
        dialogs.help &= open;
    }
    mapping_window(ctx, dialogs, data, &mut actions);
    skipped_window(ctx, dialogs, data);
    actions.extend(super::remote_table::form_window(
        ctx,
        &mut dialogs.clickhouse,
    ));
    if let Some(url) = &mut dialogs.url {
        let mut open = true;
        let mut go = false;
        egui::Window::new("Open URL")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label("A JSONL or JSON dump over HTTP(S):");
                let r = ui.add(
                    egui::TextEdit::singleline(url)
                        .hint_text("https://…/traces.jsonl")
                        .desired_width(420.0),
                );
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    go = true;
                }
                if ui.button("Open").clicked() {
                    go = true;
                }
            });
        if go && !url.trim().is_empty() {
            actions.push(Action::OpenUrl(url.trim().to_owned()));
            dialogs.url = None;
        } else if !open {
            dialogs.url = None;
        }
    }
    actions
}

/// An export waiting for a path.
fn save_to_window(ctx: &egui::Context, dialogs: &mut Dialogs, actions: &mut Vec<Action>) {
    if let Some(save) = &mut dialogs.save_to {
        let mut open = true;
        let mut cancel = false;
        egui::Window::new(format!("Save {}", save.name))
            .id(egui::Id::unique("errata-save-to"))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(format!("{}: type where to save it.", save.why));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut save.path)
                        .id(save_path_id())
                        .desired_width(420.0),
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() || enter {
                        actions.push(Action::SaveToPath(save.path.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
            });
        if !open || cancel {
            dialogs.save_to = None;
        }
    }
}

/// The field mapping editor.
fn mapping_window(
    ctx: &egui::Context,
    dialogs: &mut Dialogs,
    data: Option<&Dataset>,
    actions: &mut Vec<Action>,
) {
    if let (Some(draft), Some(d)) = (&mut dialogs.mapping, data) {
        let mut open = true;
        let mut close = false;
        egui::Window::new("Field mapping")
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(
                    "Which fields are the trace's id, input and output. Remembered for this dump.",
                );
                ui.weak(format!(
                    "Detected: id {}, {}",
                    show(&d.store.detected.id),
                    d.store.detected.describe()
                ));
                ui.add_space(6.0);
                mapping_grid(ui, "mapping", draft, &d.store.paths, true);
                ui.weak(match &d.store.detected.group_by {
                    Some(key) => format!(
                        "Span records sharing `{key}` were detected as one trace; \"none\" shows every record as a trace."
                    ),
                    None => "Group spans by: records that share this field's value become one trace (agent runs exported a span a row).".to_owned(),
                });
                ui.checkbox(
                    &mut draft.split_conversation,
                    "The input is a whole conversation: show its last assistant turn as the output",
                );
                ui.weak(format!("Identity now: {}", d.store.identity.describe()));
                ui.horizontal(|ui| {
                    if ui.button("Apply").clicked() {
                        actions.push(Action::SetMapping(draft.clone()));
                        close = true;
                    }
                    if ui.button("Reset to detected").clicked() {
                        *draft = d.store.detected.clone();
                    }
                });
            });
        if !open || close {
            dialogs.mapping = None;
        }
    }
}

/// The skipped lines, with file, line and reason.
fn skipped_window(ctx: &egui::Context, dialogs: &mut Dialogs, data: Option<&Dataset>) {
    if dialogs.skipped
        && let Some(d) = data
    {
        let mut open = true;
        egui::Window::new(format!("Skipped lines ({})", d.skipped_count))
            .open(&mut open)
            .default_width(600.0)
            .show(ctx, |ui| {
                if d.skipped_count == 0 {
                    ui.label("Every record was read.");
                }
                if d.skipped_count > d.skipped.len() {
                    ui.weak(format!(
                        "The first {} of {}:",
                        d.skipped.len(),
                        d.skipped_count
                    ));
                }
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .show(ui, |ui| {
                        for s in &d.skipped {
                            ui.label(RichText::new(s.to_string()).monospace());
                        }
                    });
            });
        dialogs.skipped = open;
    }
}

fn show(p: &Option<FieldPath>) -> String {
    p.as_ref()
        .map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// Dims the window and says what happens while files are dragged over it.
pub fn drop_hint(ctx: &egui::Context) {
    let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop-hint"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop to open these traces",
        egui::FontId::proportional(24.0),
        Color32::WHITE,
    );
}
