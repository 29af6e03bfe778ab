//! One frame of the window: keys first, then the panels (menu, status, chart, table, detail and
//! coding, windows), each returning actions that the app applies after the frame.

use super::*;
use crate::workspace::pareto::ChartData;

impl ErrataApp {
    /// Draws the frame and queues what the panels asked for.
    pub(super) fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // on a narrow window the chart is folded, so that the table keeps its columns, until
        // the reader folds or unfolds it
        if !self.chart_chosen {
            self.pareto_ui.docked = ui.available_width() >= ui::theme::FOLD_CHART_BELOW;
        }
        // egui may run the ui twice in a frame: a pass it discards (new grids are laid out),
        // then one without the frame's input events; the actions of both are merged at the end
        let pending_before = self.pending.len();
        self.keys(&ctx);
        if let Some(p) = &self.ws.project {
            let names = p
                .codebook
                .categories
                .iter()
                .map(|c| c.name.clone())
                .collect();
            ui::theme::set_category_order(&ctx, names);
        }
        self.top_panels(ui);
        // the chart's data is cached by the workspace until labels, codebook, options or the
        // view change
        let options = self.chart_options();
        let chart = self.ws.chart(&options);
        let selected = self.ws.data.as_ref().and_then(|d| {
            (d.label_filter.categories.len() == 1).then(|| d.label_filter.categories[0].clone())
        });
        let mut actions = self.pareto_window(&ctx, &chart, selected.as_deref());
        if self.ws.data.is_some() {
            actions.extend(self.table_panel(ui, &chart, selected.as_deref()));
            actions.extend(self.detail_panel(ui));
        } else if self.remote.is_some() {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.centered_and_justified(|ui| {
                    ui.spinner();
                });
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
        actions.extend(self.windows(&ctx));
        self.pending.extend(actions);
        self.merge_passes(&ctx, pending_before);
        ui::dialogs::drop_hint(&ctx);
    }

    /// The menu bar, the dump's line and the filter bar; the status bar when there is news.
    fn top_panels(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("menu").show(ui, |ui| {
            let acts = ui::menu::menu_bar(ui, self.ws.data.as_ref(), self.ws.project.as_ref());
            self.queue(acts);
            if let Some(r) = &self.remote {
                ui::remote_table::source_line(ui, r);
            } else {
                let acts = ui::menu::dataset_line(ui, self.ws.data.as_ref());
                self.queue(acts);
            }
            if let Some(d) = &self.ws.data {
                let acts = ui::filter::ui(ui, &mut self.filter_bar, d, self.ws.project.as_ref());
                self.pending.extend(acts);
            }
        });
        if self.job.is_some() || !self.notices.is_empty() {
            egui::Panel::bottom("status").show(ui, |ui| {
                let loading = self.job.as_ref().map(|j| ui::menu::Loading {
                    label: &j.label,
                    progress: j.progress.fraction(),
                });
                let acts = ui::menu::status_bar(ui, loading, &self.notices);
                self.pending.extend(acts);
            });
        }
    }

    /// The chart in its own large window, when asked for.
    fn pareto_window(
        &mut self,
        ctx: &egui::Context,
        chart: &ChartData,
        selected: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if !self.pareto_ui.full || self.ws.project.is_none() {
            return actions;
        }
        let mut open = true;
        egui::Window::new("Pareto of failures")
            .id(egui::Id::unique("pareto-full"))
            .open(&mut open)
            .default_size([900.0, 600.0])
            .show(ctx, |ui| actions = self.chart_panel(ui, chart, selected));
        self.pareto_ui.full &= open;
        actions
    }

    /// The chart docked beside the table.
    fn docked_chart(
        &mut self,
        ui: &mut egui::Ui,
        chart: &ChartData,
        selected: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
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
                    if ui
                        .small_button("fold")
                        .on_hover_text("Fold the chart to a strip: the table gets the width")
                        .clicked()
                    {
                        self.pareto_ui.docked = false;
                        self.chart_chosen = true;
                    }
                });
                actions.extend(self.chart_panel(ui, chart, selected));
            });
        actions
    }

    /// The chart with its options (its area is kept for "save the chart as PNG").
    fn chart_panel(
        &mut self,
        ui: &mut egui::Ui,
        chart: &ChartData,
        selected: Option<&str>,
    ) -> Vec<Action> {
        let (rect, actions) = ui::pareto::panel(
            ui,
            &mut self.pareto_ui,
            &chart.pareto,
            &chart.by_period,
            &chart.first_failure,
            selected,
        );
        self.chart_rect = rect.or(self.chart_rect);
        actions
    }

    /// The chart folded to a strip beside the table: one click brings it back.
    fn chart_strip(&mut self, ui: &mut egui::Ui) {
        egui::Panel::right("pareto-strip")
            .resizable(false)
            .exact_size(72.0)
            .show(ui, |ui| {
                if ui
                    .small_button("◂ Pareto")
                    .on_hover_text("Show the Pareto chart beside the table")
                    .clicked()
                {
                    self.pareto_ui.docked = true;
                    self.chart_chosen = true;
                }
                let failed = self.ws.project.as_ref().map_or(0, |p| p.stats.failed);
                ui.weak(format!("{failed} failing"));
            });
    }

    /// The trace table (with the docked chart beside it).
    fn table_panel(
        &mut self,
        ui: &mut egui::Ui,
        chart: &ChartData,
        selected: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let avail = ui.available_height();
        self.settings.layout.table.keep(ui, "table", true);
        egui::Panel::top("table")
            .resizable(true)
            .default_size(self.settings.layout.table.of(avail))
            .min_size(80.0)
            .show(ui, |ui| {
                if self.ws.project.is_some() {
                    if self.pareto_ui.docked {
                        actions.extend(self.docked_chart(ui, chart, selected));
                    } else {
                        self.chart_strip(ui);
                    }
                }
                // the table scrolls sideways within its own clipped area, so that its rows
                // never take clicks meant for the chart beside it
                egui::ScrollArea::horizontal()
                    .id_salt("table-hscroll")
                    .auto_shrink(false)
                    .show(ui, |ui| {
                        if let Some(r) = &mut self.remote {
                            let out = ui::remote_table::ui(
                                ui,
                                r,
                                self.ws.project.as_ref(),
                                self.scroll_to_selected,
                            );
                            self.rows_per_page = out.rows_per_page;
                            actions.extend(out.actions);
                            return;
                        }
                        let Some(d) = &mut self.ws.data else { return };
                        let out =
                            ui::table::ui(ui, d, self.ws.project.as_ref(), self.scroll_to_selected);
                        self.rows_per_page = out.rows_per_page;
                        actions.extend(out.actions);
                    });
            });
        self.scroll_to_selected = false;
        actions
    }

    /// The selected trace: input and output side by side, the coding panel beside them.
    fn detail_panel(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let Some(d) = &mut self.ws.data else {
            return actions;
        };
        egui::CentralPanel::default().show(ui, |ui| {
            if let (Some(project), Some(row)) = (&self.ws.project, d.selected_row()) {
                let id = d.store.id(row as usize).to_owned();
                self.draft.follow(project, &id, row);
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
            let marked = match (&self.ws.project, d.selected_row()) {
                (Some(p), Some(row)) => p
                    .state(d.store.id(row as usize))
                    .and_then(|e| e.span_id.clone()),
                _ => None,
            };
            actions.extend(ui::detail::ui(
                ui,
                d,
                &mut self.detail_ui,
                &mut self.settings.layout,
                marked.as_deref(),
            ));
        });
        actions
    }

    /// The windows: dialogs, Add traces, an append to map, codebook, axial coding, weekly.
    fn windows(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let mut actions = ui::dialogs::ui(ctx, &mut self.dialogs, self.ws.data.as_ref());
        let mut adding = self.adding_open;
        actions.extend(ui::menu::add_traces(
            ctx,
            &mut adding,
            &mut self.weekly.name,
            &mut self.adding_url,
        ));
        self.adding_open = adding;
        if let (Some(pending), Some(d)) = (&mut self.pending_append, &self.ws.data) {
            actions.extend(ui::dialogs::append_mapping(ctx, pending, &d.store));
        }
        if let Some(project) = &self.ws.project {
            actions.extend(ui::codebook::ui(ctx, &mut self.codebook_ui, project));
            actions.extend(ui::axial::ui(ctx, &mut self.axial, project));
            if let Some(d) = &self.ws.data {
                actions.extend(ui::weekly::ui(ctx, &mut self.weekly, d, project));
            }
        }
        actions
    }

    /// Keeps a discarded pass's actions for the pass that replaces it (which runs without the
    /// frame's input events); an action both passes produced counts once.
    fn merge_passes(&mut self, ctx: &egui::Context, pending_before: usize) {
        let fresh = self.pending.split_off(pending_before);
        if ctx.will_discard() {
            self.discarded = fresh;
        } else {
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
    }
}
