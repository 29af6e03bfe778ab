//! The codebook window: categories with description, severity, reporting label, examples and
//! live counts; rename, merge, split, delete (with undo), reorder; owner and sign-off; exports.

use std::collections::BTreeSet;

use egui::TextEdit;

use crate::action::Action;
use crate::coding::{Category, Severity};
use crate::project::Project;
use crate::ui::{chips, theme};

/// What the window keeps between frames.
#[derive(Default)]
pub struct CodebookUi {
    /// Whether the window is open.
    pub open: bool,
    /// Category being renamed, and the new name.
    pub rename: Option<(String, String)>,
    /// Split in progress.
    pub split: Option<SplitDraft>,
    /// Owner name being typed.
    pub owner: String,
    /// The last deleted category's name, while undo is possible.
    pub undo_label: Option<String>,
    /// Description / severity / reporting label being edited, per category.
    pub drafts: std::collections::HashMap<String, Category>,
}

/// A split being prepared: which traces move to the new category.
#[derive(Default)]
pub struct SplitDraft {
    /// The category split.
    pub from: String,
    /// The new category's name.
    pub new_name: String,
    /// Trace ids that move.
    pub chosen: BTreeSet<String>,
}

/// Draws the window.
pub fn ui(ctx: &egui::Context, state: &mut CodebookUi, project: &Project) -> Vec<Action> {
    let mut actions = Vec::new();
    if !state.open {
        return actions;
    }
    let mut open = true;
    let cb = &project.codebook;
    egui::Window::new(format!("Codebook v{}", cb.version))
        .id(egui::Id::unique("codebook-window"))
        .open(&mut open)
        .default_size(super::theme::large_window(ctx))
        .show(ctx, |ui| {
            let dark = ui.visuals().dark_mode;
            ui.horizontal(|ui| {
                if cb.is_signed_off() {
                    ui.colored_label(
                        theme::verdict_color(false, dark),
                        format!("v{} signed off by {}", cb.version, cb.owner),
                    );
                } else {
                    ui.colored_label(
                        theme::warn_color(dark),
                        format!("v{} not signed off", cb.version),
                    );
                }
                let l = ui.label("Owner:");
                if state.owner.is_empty() {
                    state.owner.clone_from(&cb.owner);
                }
                let r = ui
                    .add(
                        TextEdit::singleline(&mut state.owner)
                            .hint_text("principal expert")
                            .desired_width(140.0),
                    )
                    .labelled_by(l.id);
                if r.lost_focus() && state.owner != cb.owner {
                    actions.push(Action::SetOwner(state.owner.trim().to_owned()));
                }
                if ui
                    .add_enabled(
                        !cb.is_signed_off(),
                        egui::Button::new(format!("Sign off v{}", cb.version)),
                    )
                    .on_hover_text("The owner signs off this version; recorded in the changelog")
                    .clicked()
                {
                    actions.push(Action::SignOff);
                }
            });
            for name in &project.store.protect {
                ui.horizontal(|ui| {
                    ui.colored_label(
                        theme::error_color(dark),
                        format!("{name} could not be read and is not being overwritten."),
                    );
                    if ui.button("Set it aside (.bad) and start anew").clicked() {
                        actions.push(Action::DiscardUnreadable((*name).to_owned()));
                    }
                });
            }
            ui.horizontal(|ui| {
                if ui.button("Import codebook…").clicked() {
                    actions.push(Action::ImportCodebook);
                }
                if ui.button("Export labels (JSONL)").clicked() {
                    actions.push(Action::ExportLabels);
                }
                if ui.button("Import labels…").clicked() {
                    actions.push(Action::ImportLabels);
                }
                if ui.button("Export codebook (JSON)").clicked() {
                    actions.push(Action::ExportCodebook { markdown: false });
                }
                if ui.button("Export codebook (Markdown)").clicked() {
                    actions.push(Action::ExportCodebook { markdown: true });
                }
                if let Some(label) = &state.undo_label
                    && ui.button(format!("Undo delete of \"{label}\"")).clicked()
                {
                    actions.push(Action::UndoDelete);
                    state.undo_label = None;
                }
            });
            ui.separator();
            if cb.categories.is_empty() {
                ui.weak("No categories yet. Coin tags from the coding panel (t), or add one here.");
            }
            egui::ScrollArea::vertical()
                .auto_shrink([false, true])
                .max_height(380.0)
                .show(ui, |ui| {
                    for (i, c) in cb.categories.iter().enumerate() {
                        category_row(ui, state, project, i, c, &mut actions);
                        ui.separator();
                    }
                });
            egui::CollapsingHeader::new(format!("Changelog ({} entries)", cb.changelog.len()))
                .id_salt("changelog")
                .show(ui, |ui| {
                    for e in cb.changelog.iter().rev() {
                        ui.label(format!(
                            "v{} · {} · {} · {}",
                            e.version, e.at, e.author, e.change
                        ));
                    }
                });
        });
    if !open {
        state.open = false;
    }
    split_window(ctx, state, project, &mut actions);
    actions
}

/// The split window: the new category's name and the traces that move to it.
fn split_window(
    ctx: &egui::Context,
    state: &mut CodebookUi,
    project: &Project,
    actions: &mut Vec<Action>,
) {
    if let Some(split) = &mut state.split {
        let mut keep = true;
        let mut go = false;
        egui::Window::new(format!("Split \"{}\"", split.from))
            .open(&mut keep)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label("New category:");
                    ui.add(TextEdit::singleline(&mut split.new_name).desired_width(200.0));
                });
                ui.label("Tick the traces that move to the new category:");
                egui::ScrollArea::vertical()
                    .max_height(300.0)
                    .show(ui, |ui| {
                        for ev in project.labels.latest_in_log_order() {
                            if !ev.categories.contains(&split.from) {
                                continue;
                            }
                            let mut on = split.chosen.contains(&ev.trace_id);
                            let text = format!(
                                "{}  {}",
                                ev.trace_id,
                                crate::trace::content::one_line(&ev.note, 70)
                            );
                            if ui.checkbox(&mut on, text).changed() {
                                if on {
                                    split.chosen.insert(ev.trace_id.clone());
                                } else {
                                    split.chosen.remove(&ev.trace_id);
                                }
                            }
                        }
                    });
                if ui
                    .add_enabled(
                        !split.new_name.trim().is_empty(),
                        egui::Button::new("Split"),
                    )
                    .clicked()
                {
                    go = true;
                }
            });
        if go {
            actions.push(Action::SplitCategory {
                from: split.from.clone(),
                new: split.new_name.trim().to_owned(),
                traces: split.chosen.iter().cloned().collect(),
            });
            state.split = None;
        } else if !keep {
            state.split = None;
        }
    }
}

fn category_row(
    ui: &mut egui::Ui,
    state: &mut CodebookUi,
    project: &Project,
    i: usize,
    c: &Category,
    actions: &mut Vec<Action>,
) {
    let count = project.stats.categories.get(&c.name).copied().unwrap_or(0);
    category_buttons(ui, state, project, i, c, count, actions);
    let renaming = state.rename.as_ref().is_some_and(|(old, _)| *old == c.name);
    if renaming && let Some((old, mut new)) = state.rename.take() {
        let mut done = false;
        ui.horizontal(|ui| {
            ui.label("New name:");
            let r = ui.add(TextEdit::singleline(&mut new).desired_width(200.0));
            if r.lost_focus() {
                if ui.input(|i| i.key_pressed(egui::Key::Enter))
                    && !new.trim().is_empty()
                    && new.trim() != old
                {
                    actions.push(Action::RenameCategory {
                        old: old.clone(),
                        new: new.trim().to_owned(),
                    });
                }
                done = true;
            }
        });
        if !done {
            state.rename = Some((old, new));
        }
    }
    category_details(ui, state, c, actions);
    if !c.examples.is_empty() || count > 0 {
        ui.horizontal_wrapped(|ui| {
            ui.weak("examples:");
            let mut shown = 0;
            for ev in project.labels.latest_in_log_order() {
                if shown >= 5 {
                    break;
                }
                if ev.categories.contains(&c.name) {
                    if ui.link(&ev.trace_id).clicked() {
                        actions.push(Action::JumpTo(ev.trace_id.clone()));
                    }
                    shown += 1;
                }
            }
        });
    }
}

/// A category's name, count and its buttons (rename, merge, split, delete, move).
fn category_buttons(
    ui: &mut egui::Ui,
    state: &mut CodebookUi,
    project: &Project,
    i: usize,
    c: &Category,
    count: usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        let key = (i < 9).then_some(i + 1);
        chips::chip(ui, &c.name, true, key);
        ui.label(format!("{count} traces"));
        if ui.small_button("^").on_hover_text("Move up").clicked() {
            actions.push(Action::MoveCategory(c.name.clone(), -1));
        }
        if ui.small_button("v").on_hover_text("Move down").clicked() {
            actions.push(Action::MoveCategory(c.name.clone(), 1));
        }
        if let Some(batch) = &c.candidate_from {
            ui.colored_label(
                theme::warn_color(ui.visuals().dark_mode),
                format!("candidate from {batch}"),
            );
            if ui.small_button("Accept candidate").clicked() {
                actions.push(Action::AcceptCandidate(c.name.clone()));
            }
        }
        if ui.small_button("Rename").clicked() {
            state.rename = Some((c.name.clone(), c.name.clone()));
        }
        ui.menu_button("Merge into", |ui| {
            for other in &project.codebook.categories {
                if other.name != c.name && ui.button(&other.name).clicked() {
                    actions.push(Action::MergeCategory {
                        from: c.name.clone(),
                        into: other.name.clone(),
                    });
                }
            }
        });
        if ui.small_button("Split…").clicked() {
            state.split = Some(SplitDraft {
                from: c.name.clone(),
                ..Default::default()
            });
        }
        if ui
            .small_button(format!("Delete ({count})"))
            .on_hover_text(format!(
                "Removes the category from {count} traces; can be undone"
            ))
            .clicked()
        {
            actions.push(Action::DeleteCategory(c.name.clone()));
            state.undo_label = Some(c.name.clone());
        }
    });
}

/// A category's description, severity and reporting label, saved when edited.
fn category_details(
    ui: &mut egui::Ui,
    state: &mut CodebookUi,
    c: &Category,
    actions: &mut Vec<Action>,
) {
    let mut edited = state.drafts.remove(&c.name).unwrap_or_else(|| c.clone());
    let mut keep_draft = false;
    ui.horizontal(|ui| {
        ui.label("Description");
        let r1 = ui.add(
            TextEdit::singleline(&mut edited.description)
                .hint_text("one sentence")
                .desired_width(320.0),
        );
        egui::ComboBox::from_id_salt(("severity", &c.name))
            .selected_text(format!("severity: {}", edited.severity.name()))
            .show_ui(ui, |ui| {
                for s in Severity::ALL {
                    ui.selectable_value(
                        &mut edited.severity,
                        s,
                        format!("{} (weight {})", s.name(), s.weight()),
                    );
                }
            });
        let mut label = edited.reporting_label.clone().unwrap_or_default();
        let r2 = ui.add(
            TextEdit::singleline(&mut label)
                .hint_text("reporting label")
                .desired_width(120.0),
        );
        edited.reporting_label = Some(label);
        let committed = r1.lost_focus() || r2.lost_focus() || edited.severity != c.severity;
        let differs = edited.description != c.description
            || edited.severity != c.severity
            || edited.reporting_label.as_deref().unwrap_or("")
                != c.reporting_label.as_deref().unwrap_or("");
        if committed && differs {
            actions.push(Action::EditCategory(c.name.clone(), edited.clone()));
        } else if r1.has_focus() || r2.has_focus() {
            keep_draft = true;
        }
    });
    if keep_draft {
        state.drafts.insert(c.name.clone(), edited);
    }
}
