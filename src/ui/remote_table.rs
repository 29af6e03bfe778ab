//! The trace table of a ClickHouse source: as many rows as the server counted, each drawn from
//! its page when it has arrived ("…" until then); the rows drawn ask for their pages and those
//! around them. The form that opens a source is here too.

use egui::{Align, Label, RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::action::Action;
use crate::trace::view::SortColumn;
use crate::ui::theme;
use crate::workspace::fmt_count;
use crate::workspace::remote::Remote;

/// What the table reports back.
pub struct Output {
    /// Actions the user asked for.
    pub actions: Vec<Action>,
    /// Rows that fit on one page (for PageUp/PageDown).
    pub rows_per_page: usize,
}

/// Draws the table over the source's current view.
pub fn ui(
    ui: &mut egui::Ui,
    remote: &mut Remote,
    project: Option<&crate::project::Project>,
    scroll_to_selected: bool,
) -> Output {
    let mut actions = Vec::new();
    let len = remote.matched.unwrap_or(0);
    ui.horizontal(|ui| {
        match remote.selected {
            Some(pos) => ui.weak(format!(
                "row {} of {} selected",
                fmt_count(pos as usize + 1),
                fmt_count(len as usize)
            )),
            None => ui.weak("no trace selected"),
        };
        if remote.in_flight > 0 {
            ui.spinner();
            ui.weak(format!("{} request(s) on their way", remote.in_flight));
            if ui
                .small_button("Stop")
                .on_hover_text("Stop the requests on their way (the server is asked to kill them)")
                .clicked()
            {
                actions.push(Action::StopRemote);
            }
        }
    });
    let rows_per_page = ((ui.available_height() - 24.0) / theme::ROW_HEIGHT).max(1.0) as usize;
    let shown = remote.shown.clone();
    let mut table = TableBuilder::new(ui)
        .id_salt(("remote-table", remote.key()))
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(Align::Center))
        .column(Column::initial(64.0).at_least(36.0))
        .column(Column::initial(140.0).at_least(40.0).clip(true))
        .column(Column::initial(44.0).at_least(30.0).clip(true))
        .column(Column::initial(150.0).at_least(40.0).clip(true))
        .column(Column::initial(320.0).at_least(60.0).clip(true))
        .column(Column::initial(320.0).at_least(60.0).clip(true));
    for _ in &shown {
        table = table.column(Column::initial(110.0).at_least(40.0).clip(true));
    }
    table = table.column(Column::remainder().at_least(0.0));
    if scroll_to_selected && let Some(pos) = remote.selected {
        table = table.scroll_to_row(pos as usize, None);
    }
    let mut drawn: Option<(u64, u64)> = None;
    let order = remote.order.clone();
    table
        .header(theme::ROW_HEIGHT + 2.0, |mut header| {
            header.col(|ui| {
                ui.strong("#");
            });
            header.col(|ui| header_button(ui, &order, "id", SortColumn::Id, &mut actions));
            for title in ["verdict", "tags", "input", "output"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
            for name in &shown {
                header.col(|ui| {
                    let column = SortColumn::Meta(name.clone());
                    header_button(ui, &order, name, column, &mut actions);
                });
            }
            header.col(|_| {});
        })
        .body(|body| {
            body.rows(theme::ROW_HEIGHT, len as usize, |mut row| {
                let pos = row.index() as u64;
                drawn = Some(drawn.map_or((pos, pos), |(a, b)| (a.min(pos), b.max(pos))));
                draw_row(&mut row, remote, project, shown.len(), &mut actions);
            });
        });
    if let Some((first, last)) = drawn {
        remote.want(first..last + 1);
    }
    Output {
        actions,
        rows_per_page,
    }
}

fn header_button(
    ui: &mut egui::Ui,
    order: &Option<(String, bool)>,
    title: &str,
    column: SortColumn,
    actions: &mut Vec<Action>,
) {
    let name = match &column {
        SortColumn::Meta(n) => n.as_str(),
        _ => "",
    };
    let arrow = match order {
        Some((c, desc)) if c == name || (name.is_empty() && matches!(column, SortColumn::Id)) => {
            if *desc {
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
        .on_hover_text(format!("Sort by {title} (on the server)"));
    if r.clicked() {
        actions.push(Action::SortBy(column));
    }
}

/// One row: number, id, verdict, tags, input and output, the shown cells; "…" until its page
/// arrives.
fn draw_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    remote: &mut Remote,
    project: Option<&crate::project::Project>,
    shown: usize,
    actions: &mut Vec<Action>,
) {
    let pos = row.index() as u64;
    row.set_selected(remote.selected == Some(pos));
    let cells: Option<Vec<String>> = remote.row(pos).map(|r| r.iter().map(cell_text).collect());
    row.col(|ui| {
        ui.weak(fmt_count(pos as usize + 1));
    });
    let Some(cells) = cells else {
        for _ in 0..5 + shown {
            row.col(|ui| {
                ui.weak("…");
            });
        }
        row.col(|_| {});
        return;
    };
    let id = cells.first().cloned().unwrap_or_default();
    row.col(|ui| {
        ui.add(Label::new(id.as_str()).truncate().selectable(false));
    });
    let state = project.and_then(|p| p.state(&id));
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
            for c in &s.suggested {
                crate::ui::chips::mini_suggested_chip(ui, c);
            }
        }
    });
    for text in cells.iter().skip(1).take(2 + shown) {
        row.col(|ui| {
            ui.add(
                Label::new(crate::trace::content::one_line(text, 160))
                    .truncate()
                    .selectable(false),
            );
        });
    }
    row.col(|_| {});
    if row.response().clicked() {
        actions.push(Action::SelectRemote(pos));
    }
}

fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// The line above the table: what is open, how many traces, the last error.
pub fn source_line(ui: &mut egui::Ui, remote: &Remote) {
    ui.horizontal_wrapped(|ui| {
        ui.strong("ClickHouse");
        ui.label(remote.key());
        if let Some(p) = remote.detected.as_ref().and_then(|d| d.preset.as_ref()) {
            ui.weak(format!("· {p}"));
        }
        match (remote.detected.is_some(), remote.total) {
            (false, _) => {
                ui.spinner();
                ui.weak("connecting…");
            }
            (true, Some(n)) => {
                ui.weak(format!(
                    "· {}",
                    crate::workspace::count_of(n as usize, "trace", "traces")
                ));
            }
            (true, None) => {
                ui.spinner();
            }
        }
        if let Some(e) = &remote.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    });
}

/// The "Open ClickHouse" form's fields.
#[derive(Clone, Debug, Default)]
pub struct Form {
    /// `http://host:8123` (or https).
    pub server: String,
    /// The user.
    pub user: String,
    /// The password (kept in memory only).
    pub password: String,
    /// The database.
    pub database: String,
    /// The table, or
    pub table: String,
    /// a `SELECT` whose rows are the traces.
    pub query: String,
    /// What is wrong with the fields.
    pub error: Option<String>,
}

impl Form {
    /// A form with the usual defaults.
    pub fn new() -> Form {
        Form {
            server: "http://127.0.0.1:8123".to_owned(),
            user: "default".to_owned(),
            database: "default".to_owned(),
            table: "otel_traces".to_owned(),
            ..Default::default()
        }
    }

    /// The source URL the fields describe (no password in it).
    pub fn url(&self) -> Result<String, String> {
        let server = self.server.trim();
        let (scheme, host) = if let Some(h) = server.strip_prefix("https://") {
            ("clickhouses", h)
        } else {
            (
                "clickhouse",
                server.strip_prefix("http://").unwrap_or(server),
            )
        };
        let host = host.trim_end_matches('/');
        if host.is_empty() || host.contains('/') {
            return Err("the server is host:port, e.g. http://127.0.0.1:8123".to_owned());
        }
        let user = match self.user.trim() {
            "" => "default",
            u => u,
        };
        let db = match self.database.trim() {
            "" => "default",
            d => d,
        };
        let enc = |s: &str| crate::trace::clickhouse::percent_encode(s);
        let url = if self.query.trim().is_empty() {
            format!(
                "{scheme}://{}@{host}/{}/{}",
                enc(user),
                enc(db),
                enc(self.table.trim())
            )
        } else {
            format!(
                "{scheme}://{}@{host}/{}?query={}",
                enc(user),
                enc(db),
                enc(self.query.trim())
            )
        };
        crate::trace::clickhouse::Source::parse(&url).map_err(|e| e.to_string())?;
        Ok(url)
    }
}

/// The "Open ClickHouse" window: a source's server, user, password, database and table (or a
/// query).
pub fn form_window(ctx: &egui::Context, form: &mut Option<Form>) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some(f) = form else { return actions };
    let mut open = true;
    let mut go = false;
    egui::Window::new("Open ClickHouse")
        .open(&mut open)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("Traces in a ClickHouse table, read where they are (nothing is copied):");
            egui::Grid::new("clickhouse-form")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("server");
                    ui.text_edit_singleline(&mut f.server);
                    ui.end_row();
                    ui.label("user");
                    ui.text_edit_singleline(&mut f.user);
                    ui.end_row();
                    ui.label("password");
                    ui.add(egui::TextEdit::singleline(&mut f.password).password(true))
                        .on_hover_text("kept in memory only, never written to the project or settings");
                    ui.end_row();
                    ui.label("database");
                    ui.text_edit_singleline(&mut f.database);
                    ui.end_row();
                    ui.label("table");
                    ui.text_edit_singleline(&mut f.table);
                    ui.end_row();
                    ui.label("or a query");
                    ui.add(
                        egui::TextEdit::multiline(&mut f.query)
                            .hint_text("SELECT … (its rows are the traces)")
                            .desired_rows(2),
                    );
                    ui.end_row();
                });
            ui.weak("A browser needs the server's CORS header (errata asks for it with add_http_cors_header=1).");
            if let Some(e) = &f.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            if ui.button("Open").clicked() {
                go = true;
            }
        });
    if go {
        match f.url() {
            Ok(url) => actions.push(Action::OpenClickHouse(url)),
            Err(e) => f.error = Some(e),
        }
    } else if !open {
        *form = None;
    }
    actions
}
