//! The filter bar: SQL `WHERE` over metadata with column completion, full-text search, label
//! filters, and facet chips. Edits are drafts until applied (Enter, or a pause while typing search).

use egui::{RichText, TextEdit};

use crate::action::Action;
use crate::project::{CategoryMode, LabelFilter, Project, VerdictFilter};
use crate::trace::filter::Scope;
use crate::ui::theme;
use crate::workspace::{Dataset, fmt_count};

/// Drafts of the filter bar.
#[derive(Default)]
pub struct FilterBar {
    /// SQL being typed.
    pub sql: String,
    /// Search text being typed.
    pub search: String,
    /// When the search text last changed (applied after a pause).
    pub search_changed: Option<f64>,
    /// Show facets.
    pub show_facets: bool,
    /// Show label filters.
    pub show_labels: bool,
}

/// Id of the SQL box (focused by `w`).
pub fn sql_id() -> egui::Id {
    egui::Id::unique("errata-filter-sql")
}

/// Id of the search box (focused by `/`).
pub fn search_id() -> egui::Id {
    egui::Id::unique("errata-filter-search")
}

/// Seconds of pause after typing before a search runs.
pub const SEARCH_DEBOUNCE_SECS: f64 = 0.3;

/// Draws the filter bar.
pub fn ui(
    ui: &mut egui::Ui,
    bar: &mut FilterBar,
    d: &Dataset,
    project: Option<&Project>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    where_row(ui, bar, d, &mut actions);
    search_row(ui, bar, d, &mut actions);
    counts_row(ui, bar, d, project, &mut actions);
    if bar.show_labels {
        label_filters(ui, d, project, &mut actions);
    }
    if bar.show_facets {
        facets(ui, d, &mut actions);
    }
    actions
}

/// The WHERE box with column completion, and its error.
fn where_row(ui: &mut egui::Ui, bar: &mut FilterBar, d: &Dataset, actions: &mut Vec<Action>) {
    let dark = ui.visuals().dark_mode;
    let columns: Vec<&str> = d.store.columns().iter().map(|c| c.name.as_str()).collect();
    ui.horizontal(|ui| {
        let label = ui.label("WHERE (w)");
        let r = ui
            .add(
                TextEdit::singleline(&mut bar.sql)
                    .id(sql_id())
                    .hint_text("model = 'gpt-4o' AND latency_ms > 2000")
                    .desired_width(380.0)
                    .font(egui::TextStyle::Monospace)
                    // Tab completes a column name instead of moving the focus
                    .lock_focus(true),
            )
            .labelled_by(label.id);
        // column-name completion for the word being typed; Tab takes the first
        let word: String = bar
            .sql
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let completions: Vec<&str> = if r.has_focus() && !word.is_empty() {
            columns
                .iter()
                .filter(|c| c.starts_with(word.as_str()) && **c != word)
                .take(6)
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        if let Some(first) = completions.first()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab))
        {
            let keep = bar.sql.len() - word.len();
            bar.sql.truncate(keep);
            bar.sql.push_str(first);
            r.request_focus();
        }
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            actions.push(Action::SetSql(bar.sql.clone()));
        }
        if ui.button("Apply").clicked() {
            actions.push(Action::SetSql(bar.sql.clone()));
        }
        if !completions.is_empty() {
            ui.weak(format!("Tab: {}", completions.join(" · ")));
        }
    });
    if let Some(err) = &d.query_error {
        ui.colored_label(theme::error_color(dark), err);
        ui.weak(format!("columns: {}", columns.join(", ")));
    }
}

/// The search box, its options and the match count.
fn search_row(ui: &mut egui::Ui, bar: &mut FilterBar, d: &Dataset, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Search (/)");
        let r = ui
            .add(
                TextEdit::singleline(&mut bar.search)
                    .id(search_id())
                    .hint_text("text in input and output")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        if r.changed() {
            bar.search_changed = Some(ui.input(|i| i.time));
        }
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            bar.search_changed = None;
            actions.push(Action::SetSearchText(bar.search.clone()));
        }
        let mut s = d.filters.search.clone();
        let mut notes = d.filters.search_notes;
        let mut changed = ui.checkbox(&mut s.regex, "regex").changed();
        changed |= ui.checkbox(&mut s.case_sensitive, "match case").changed();
        changed |= super::choice(
            ui,
            egui::ComboBox::from_label("in"),
            &mut s.scope,
            &[
                (Scope::Both, "input + output"),
                (Scope::Input, "input"),
                (Scope::Output, "output"),
            ],
        );
        changed |= ui.checkbox(&mut notes, "notes").changed();
        if changed {
            actions.push(Action::SetSearchOptions(s, notes));
        }
        if let Some(n) = d.search_matches {
            ui.label(format!("{} matches (n / N)", fmt_count(n)));
        }
    });
}

/// The view's count, label filters, facets and batches toggles.
fn counts_row(
    ui: &mut egui::Ui,
    bar: &mut FilterBar,
    d: &Dataset,
    project: Option<&Project>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.toggle_value(&mut bar.show_facets, "Facets");
        ui.toggle_value(&mut bar.show_labels, "Label filters");
        let active = d.filters.is_active() || d.label_filter.is_active();
        if ui
            .add_enabled(
                active,
                egui::Button::new("Clear filters").shortcut_text("Del"),
            )
            .clicked()
        {
            actions.push(Action::ClearFilters);
        }
        let counts = match d.remote {
            Some((matched, total)) => format!(
                "{} of {} (on the server)",
                matched.map_or("…".to_owned(), |n| fmt_count(n as usize)),
                total.map_or("… traces".to_owned(), |n| {
                    crate::workspace::count_of(n as usize, "trace", "traces")
                })
            ),
            None => format!(
                "{} of {}",
                fmt_count(d.view.len()),
                crate::workspace::count_of(d.store.len(), "trace", "traces")
            ),
        };
        ui.label(RichText::new(counts).strong());
        if d.querying {
            ui.spinner();
            ui.weak("filtering…");
        }
        if let Some(p) = project
            && !p.file.batches.is_empty()
        {
            let current = d.filters.batch.clone();
            egui::ComboBox::from_label("batch")
                .selected_text(current.clone().unwrap_or_else(|| "all traces".to_owned()))
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(current.is_none(), "all traces")
                        .clicked()
                    {
                        actions.push(Action::SetBatch(None));
                    }
                    for b in &p.file.batches {
                        if ui
                            .selectable_label(current.as_deref() == Some(b.name.as_str()), &b.name)
                            .clicked()
                        {
                            actions.push(Action::SetBatch(Some(b.name.clone())));
                        }
                    }
                });
            if let Some(b) = current.and_then(|name| p.file.batches.iter().find(|b| b.name == name))
            {
                let reviewed = b
                    .trace_ids
                    .iter()
                    .filter(|id| p.state(id).is_some_and(|e| e.verdict.is_some()))
                    .count();
                ui.label(
                    RichText::new(format!("{reviewed} of {} reviewed", b.trace_ids.len())).strong(),
                );
            }
        }
    });
}

fn label_filters(
    ui: &mut egui::Ui,
    d: &Dataset,
    project: Option<&Project>,
    actions: &mut Vec<Action>,
) {
    let mut f: LabelFilter = d.label_filter.clone();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("verdict-filter")
            .selected_text(format!("verdict: {:?}", f.verdict).to_lowercase())
            .show_ui(ui, |ui| {
                for v in [
                    VerdictFilter::Any,
                    VerdictFilter::Pass,
                    VerdictFilter::Fail,
                    VerdictFilter::Unreviewed,
                ] {
                    changed |= ui
                        .selectable_value(&mut f.verdict, v, format!("{v:?}").to_lowercase())
                        .changed();
                }
            });
        changed |= super::choice(
            ui,
            egui::ComboBox::from_id_salt("category-mode"),
            &mut f.mode,
            &[
                (CategoryMode::AnyOf, "any of"),
                (CategoryMode::AllOf, "all of"),
                (CategoryMode::NoneOf, "none of"),
            ],
        );
        if let Some(p) = project {
            for c in &p.codebook.categories {
                let mut on = f.categories.contains(&c.name);
                if ui.toggle_value(&mut on, &c.name).changed() {
                    if on {
                        f.categories.push(c.name.clone());
                    } else {
                        f.categories.retain(|x| *x != c.name);
                    }
                    changed = true;
                }
            }
        }
        egui::ComboBox::from_id_salt("note-filter")
            .selected_text(match f.has_note {
                None => "note: any",
                Some(true) => "has a note",
                Some(false) => "no note",
            })
            .show_ui(ui, |ui| {
                changed |= ui
                    .selectable_value(&mut f.has_note, None, "note: any")
                    .changed();
                changed |= ui
                    .selectable_value(&mut f.has_note, Some(true), "has a note")
                    .changed();
                changed |= ui
                    .selectable_value(&mut f.has_note, Some(false), "no note")
                    .changed();
            });
        changed |= ui
            .checkbox(&mut f.older_version, "needs re-coding")
            .changed();
        changed |= ui
            .checkbox(&mut f.has_suggestions, "has suggestions")
            .changed();
        let label = ui.label("author");
        let r = ui
            .add(TextEdit::singleline(&mut f.author).desired_width(90.0))
            .labelled_by(label.id);
        if r.lost_focus() && f.author != d.label_filter.author {
            changed = true;
        }
    });
    if changed {
        actions.push(Action::SetLabelFilter(f));
    }
}

fn facets(ui: &mut egui::Ui, d: &Dataset, actions: &mut Vec<Action>) {
    if d.facets.is_empty() {
        ui.weak("No low-cardinality columns to facet.");
        return;
    }
    ui.weak("Click a value to keep only it; Ctrl/Cmd-click to exclude it; click again to undo.");
    for (column, counts) in &d.facets {
        let sel = d.filters.facets.get(column).cloned().unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{column}:")).monospace());
            for (value, n) in counts.iter().take(20) {
                let included = sel.include.contains(value);
                let excluded = sel.exclude.contains(value);
                let text = if excluded {
                    RichText::new(format!("not {value} ({n})")).strikethrough()
                } else {
                    RichText::new(format!("{value} ({n})"))
                };
                let r = ui.selectable_label(included || excluded, text);
                if r.clicked() {
                    let exclude = ui.input(|i| i.modifiers.command || i.modifiers.ctrl);
                    actions.push(Action::ToggleFacet {
                        column: column.clone(),
                        value: value.clone(),
                        exclude,
                    });
                }
            }
            // selected values that no longer occur stay visible so they can be removed
            for value in sel.include.iter().chain(&sel.exclude) {
                if !counts.iter().any(|(v, _)| v == value)
                    && ui.selectable_label(true, format!("{value} (0)")).clicked()
                {
                    actions.push(Action::ToggleFacet {
                        column: column.clone(),
                        value: value.clone(),
                        exclude: false,
                    });
                }
            }
        });
    }
}
