//! The virtualised trace table: only visible rows are laid out (`TableBody::rows`), each mapped
//! through the view's index list to a store row.

use egui::{Align, Label, RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::action::Action;
use crate::trace::view::SortColumn;
use crate::ui::theme;
use crate::workspace::{Dataset, fmt_count};

/// What the table reports back.
pub struct TableOutput {
    /// Actions the user asked for.
    pub actions: Vec<Action>,
    /// Rows that fit on one page (for PageUp/PageDown).
    pub rows_per_page: usize,
}

fn header_button(
    ui: &mut egui::Ui,
    d: &Dataset,
    title: &str,
    column: SortColumn,
    actions: &mut Vec<Action>,
) {
    let arrow = match &d.sort {
        Some(s) if s.column == column => {
            if s.descending {
                " v"
            } else {
                " ^"
            }
        }
        _ => "",
    };
    let r = ui
        .add(
            Label::new(RichText::new(format!("{title}{arrow}")).strong())
                .sense(Sense::click())
                .truncate(),
        )
        .on_hover_text(format!("Sort by {title}"));
    if r.clicked() {
        actions.push(Action::SortBy(column));
    }
}

/// Draws the table over `d.view`.
pub fn ui(
    ui: &mut egui::Ui,
    d: &mut Dataset,
    project: Option<&crate::project::Project>,
    scroll_to_selected: bool,
) -> TableOutput {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        // (the count of traces shown is in the filter bar above)
        match d.selected {
            Some((pos, _)) => ui.weak(format!(
                "row {} of {} selected",
                fmt_count(pos + 1),
                fmt_count(d.view.len())
            )),
            None => ui.weak("no trace selected"),
        };
    });
    let rows_per_page = ((ui.available_height() - 24.0) / theme::ROW_HEIGHT).max(1.0) as usize;
    let cols: Vec<(usize, String)> = d
        .visible_columns
        .iter()
        .filter_map(|name| d.store.column_index(name).map(|i| (i, name.clone())))
        .collect();
    let mut table = TableBuilder::new(ui)
        .id_salt(("trace-table", d.key.as_str()))
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(Align::Center))
        .column(Column::initial(56.0).at_least(36.0))
        .column(Column::initial(120.0).at_least(40.0).clip(true))
        .column(Column::initial(44.0).at_least(30.0).clip(true))
        .column(Column::initial(150.0).at_least(40.0).clip(true))
        .column(Column::initial(320.0).at_least(60.0).clip(true))
        .column(Column::initial(320.0).at_least(60.0).clip(true));
    for _ in &cols {
        table = table.column(Column::initial(110.0).at_least(40.0).clip(true));
    }
    table = table.column(Column::remainder().at_least(0.0));
    if scroll_to_selected && let Some((pos, _)) = d.selected {
        table = table.scroll_to_row(pos, None);
    }
    let selected = d.selected_row();
    table
        .header(theme::ROW_HEIGHT + 2.0, |mut header| {
            header.col(|ui| header_button(ui, d, "#", SortColumn::Row, &mut actions));
            header.col(|ui| header_button(ui, d, "id", SortColumn::Id, &mut actions));
            header.col(|ui| {
                ui.strong("verdict");
            });
            header.col(|ui| {
                ui.strong("tags");
            });
            header.col(|ui| {
                ui.strong("input");
            });
            header.col(|ui| {
                ui.strong("output");
            });
            for (_, name) in &cols {
                header.col(|ui| {
                    header_button(ui, d, name, SortColumn::Meta(name.clone()), &mut actions);
                });
            }
            header.col(|_| {});
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, d.view.len(), |mut row| {
                draw_row(&mut row, d, project, &cols, selected, &mut actions);
            });
        });
    TableOutput {
        actions,
        rows_per_page,
    }
}

/// One row: number, id, verdict, tags, input and output previews, metadata cells.
fn draw_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    d: &mut Dataset,
    project: Option<&crate::project::Project>,
    cols: &[(usize, String)],
    selected: Option<u32>,
    actions: &mut Vec<Action>,
) {
    let Some(&r) = d.view.get(row.index()) else {
        return;
    };
    row.set_selected(selected == Some(r));
    row.col(|ui| {
        ui.weak((r + 1).to_string());
    });
    row.col(|ui| {
        ui.add(
            Label::new(d.store.id(r as usize))
                .truncate()
                .selectable(false),
        );
    });
    let state = project.and_then(|p| p.state(d.store.id(r as usize)));
    row.col(|ui| {
        if let Some(v) = state.and_then(|s| s.verdict) {
            let fail = v == crate::coding::Verdict::Fail;
            let dark = ui.visuals().dark_mode;
            ui.colored_label(
                theme::verdict_color(fail, dark),
                if fail { "fail" } else { "pass" },
            );
        }
    });
    row.col(|ui| {
        if let Some(s) = state {
            for c in &s.categories {
                crate::ui::chips::mini_chip(ui, c);
            }
            // suggestions to confirm (y) or reject (r), outlined
            for c in &s.suggested {
                crate::ui::chips::mini_suggested_chip(ui, c);
            }
        }
    });
    let (input, output) = d.preview(r).clone();
    row.col(|ui| {
        ui.add(Label::new(input).truncate().selectable(false));
    });
    row.col(|ui| {
        ui.add(Label::new(output).truncate().selectable(false));
    });
    for (i, _) in cols {
        row.col(|ui| {
            match d.store.cell(r as usize, *i) {
                Some(v) => ui.add(
                    Label::new(crate::trace::content::one_line(&v, 80))
                        .truncate()
                        .selectable(false),
                ),
                None => ui.weak("—"),
            };
        });
    }
    row.col(|_| {});
    if row.response().clicked() {
        actions.push(Action::Select(r));
    }
}
