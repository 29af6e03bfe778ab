//! The live Pareto chart: bars per category in chip colours, sorted by the measure, the
//! cumulative share as a line on a second axis, a 60–80 % band, and the top-three share in words.
//! Hover a bar for its figures; click it to filter the table to that category (again to clear).

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, pos2, vec2};

use crate::action::Action;
use crate::coding::first_failure::FirstFailure;
use crate::coding::pareto::{Measure, Pareto};
use crate::ui::theme;

/// Chart options kept between frames.
pub struct ParetoUi {
    /// Shown beside the table.
    pub docked: bool,
    /// Shown in its own large window.
    pub full: bool,
    /// Frequency or frequency × severity.
    pub measure: Measure,
    /// Chart only the traces in the current view.
    pub scope_view: bool,
    /// Show categories with no failing trace.
    pub include_zero: bool,
    /// Show the reporting-label roll-up instead of the operational chart.
    pub reporting: bool,
    /// Show category shares per week of the trace timestamps.
    pub by_week: bool,
    /// Show where failing agent traces first went wrong (category × span).
    pub first_failure: bool,
}

impl Default for ParetoUi {
    fn default() -> Self {
        ParetoUi {
            docked: true,
            full: false,
            measure: Measure::Frequency,
            scope_view: false,
            include_zero: true,
            reporting: false,
            by_week: false,
            first_failure: false,
        }
    }
}

/// The controls above the chart.
pub fn controls(ui: &mut egui::Ui, state: &mut ParetoUi, agent: bool) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(&mut state.measure, Measure::Frequency, "frequency");
        ui.selectable_value(&mut state.measure, Measure::Weighted, "x severity");
        ui.checkbox(&mut state.scope_view, "current view");
        ui.checkbox(&mut state.include_zero, "zero counts");
        ui.toggle_value(&mut state.reporting, "report view");
        ui.toggle_value(&mut state.by_week, "by batch / week");
        if agent {
            ui.toggle_value(&mut state.first_failure, "by first failure")
                .on_hover_text("Failing traces by category × the span marked as where they first went wrong (Shift+F)");
        }
        if ui
            .small_button("CSV")
            .on_hover_text("Export the chart's data as CSV")
            .clicked()
        {
            actions.push(Action::ExportParetoCsv);
        }
        if ui
            .small_button("Report")
            .on_hover_text("Export the Markdown report")
            .clicked()
        {
            actions.push(Action::ExportReport);
        }
        if ui
            .small_button("PNG")
            .on_hover_text("Export the chart as an image")
            .clicked()
        {
            actions.push(Action::ExportParetoPng);
        }
    });
    actions
}

/// The controls and the view they select (chart, per-week shares or the reporting roll-up);
/// returns the chart's rect when the chart was drawn, and the actions.
pub fn panel(
    ui: &mut egui::Ui,
    state: &mut ParetoUi,
    p: &Pareto,
    by_week: &[(String, Pareto)],
    first: &[FirstFailure],
    selected: Option<&str>,
) -> (Option<Rect>, Vec<Action>) {
    let mut actions = controls(ui, state, !first.is_empty() || state.first_failure);
    if state.first_failure {
        first_failure(ui, first);
        (None, actions)
    } else if state.by_week {
        let order: Vec<String> = p.categories.iter().map(|r| r.category.clone()).collect();
        by_period(ui, by_week, &order);
        (None, actions)
    } else if state.reporting {
        reporting(ui, p);
        (None, actions)
    } else {
        let (rect, acts) = chart(ui, p, selected, state);
        actions.extend(acts);
        (Some(rect), actions)
    }
}

/// Draws the chart; returns the rect it used (for the PNG export) and the actions.
pub fn chart(
    ui: &mut egui::Ui,
    p: &Pareto,
    selected: Option<&str>,
    state: &ParetoUi,
) -> (Rect, Vec<Action>) {
    let mut actions = Vec::new();
    let dark = ui.visuals().dark_mode;
    ui.label(
        egui::RichText::new(format!(
            "top 3 = {:.0} % of failures  ·  {} failing of {} reviewed",
            p.top3_share * 100.0,
            p.failed,
            p.reviewed
        ))
        .strong(),
    );
    let size = vec2(
        ui.available_width().max(200.0),
        ui.available_height().clamp(160.0, 600.0),
    );
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let text_color = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    // room under the plot for names on three lines
    let plot = Rect::from_min_max(rect.min + vec2(34.0, 8.0), rect.max - vec2(38.0, 50.0));
    painter.rect_stroke(
        plot,
        0.0,
        Stroke::new(1.0, weak.gamma_multiply(0.5)),
        egui::StrokeKind::Inside,
    );
    if p.categories.is_empty() {
        painter.text(
            plot.center(),
            Align2::CENTER_CENTER,
            "no failing traces coded yet",
            FontId::proportional(12.0),
            weak,
        );
        return (rect, actions);
    }
    // 60–80 % band on the cumulative axis
    let y_share = |s: f64| plot.bottom() - plot.height() * s as f32;
    let value = |r: &crate::coding::pareto::ParetoRow| match state.measure {
        Measure::Frequency => r.count as f64,
        Measure::Weighted => r.weighted_score,
    };
    // headroom above the tallest bar for its count
    let max = p.categories.iter().map(value).fold(0.0, f64::max).max(1.0) * 1.12;
    let n = p.categories.len();
    let slot = plot.width() / n as f32;
    let bar_w = (slot * 0.7).max(2.0);
    band_and_axes(&painter, plot, max, dark, weak);
    let mut line = Vec::with_capacity(n);
    for (i, r) in p.categories.iter().enumerate() {
        let x0 = plot.left() + slot * i as f32 + (slot - bar_w) / 2.0;
        let h = plot.height() * (value(r) / max) as f32;
        let bar = Rect::from_min_max(pos2(x0, plot.bottom() - h), pos2(x0 + bar_w, plot.bottom()));
        let hit = Rect::from_min_max(
            pos2(plot.left() + slot * i as f32, plot.top()),
            pos2(plot.left() + slot * (i + 1) as f32, rect.bottom()),
        );
        let response = ui.interact(hit, ui.scope_id().with(("pareto-bar", i)), Sense::click());
        let label = bar_label(r, state.measure);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
        let is_selected = selected == Some(r.category.as_str());
        let color = if r.known {
            theme::chip_color(ui.ctx(), &r.category, dark)
        } else {
            weak
        };
        painter.rect_filled(
            bar,
            2.0,
            if response.hovered() || is_selected {
                color
            } else {
                color.gamma_multiply(0.85)
            },
        );
        if is_selected {
            painter.rect_stroke(
                bar.expand(1.5),
                2.0,
                Stroke::new(2.0, text_color),
                egui::StrokeKind::Outside,
            );
        }
        // the name in full where it fits: wrapped under the bar on up to three lines
        let name = label_rows(&r.category, ((slot / 5.5) as usize).max(3), 3).join("\n");
        let at = pos2(plot.left() + slot * (i as f32 + 0.5), plot.bottom() + 3.0);
        small_text(&painter, at, Align2::CENTER_TOP, name, text_color);
        // the bar's label is what its height measures (a score when weighted by severity)
        let at = pos2(bar.center().x, bar.top() - 1.0);
        small_text(
            &painter,
            at,
            Align2::CENTER_BOTTOM,
            format!("{:.0}", value(r)),
            text_color,
        );
        line.push(pos2(
            plot.left() + slot * (i as f32 + 0.5),
            y_share(match state.measure {
                Measure::Frequency => r.cumulative_share,
                Measure::Weighted => r.cumulative_weighted_share,
            }),
        ));
        let response = response.on_hover_text(bar_hover(r));
        if response.clicked() {
            actions.push(Action::FilterCategory(r.category.clone()));
        }
    }
    cumulative_line(&painter, line, dark);
    (rect, actions)
}

/// The 60–80 % band on the cumulative axis and the axes' end labels.
fn band_and_axes(painter: &egui::Painter, plot: Rect, max: f64, dark: bool, weak: Color32) {
    let y_share = |s: f64| plot.bottom() - plot.height() * s as f32;
    painter.rect_filled(
        Rect::from_x_y_ranges(plot.x_range(), y_share(0.8)..=y_share(0.6)),
        0.0,
        if dark {
            Color32::from_white_alpha(14)
        } else {
            Color32::from_black_alpha(14)
        },
    );
    painter.text(
        pos2(plot.right() - 2.0, y_share(0.8)),
        Align2::RIGHT_TOP,
        "60-80 %",
        FontId::proportional(10.0),
        weak,
    );
    // axes labels: the bars' scale on the left, the cumulative share on the right
    let top = format!("{max:.0}");
    for (at, align, text) in [
        (
            plot.left_top() - vec2(4.0, 0.0),
            Align2::RIGHT_TOP,
            top.as_str(),
        ),
        (
            plot.left_bottom() - vec2(4.0, 0.0),
            Align2::RIGHT_BOTTOM,
            "0",
        ),
        (plot.right_top() + vec2(4.0, 0.0), Align2::LEFT_TOP, "100%"),
        (
            plot.right_bottom() + vec2(4.0, 0.0),
            Align2::LEFT_BOTTOM,
            "0%",
        ),
    ] {
        painter.text(at, align, text, FontId::proportional(10.0), weak);
    }
}

/// A category's name wrapped at words into at most `max_rows` rows of `width` characters; a
/// word longer than a row is cut, and what does not fit ends in "…".
pub fn label_rows(name: &str, width: usize, max_rows: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for word in name.split_whitespace() {
        let word: String = if word.chars().count() > width {
            word.chars()
                .take(width.saturating_sub(1))
                .chain(['…'])
                .collect()
        } else {
            word.to_owned()
        };
        match rows.last_mut() {
            Some(row) if row.chars().count() + 1 + word.chars().count() <= width => {
                row.push(' ');
                row.push_str(&word);
            }
            _ => rows.push(word),
        }
    }
    if rows.len() > max_rows {
        rows.truncate(max_rows);
        if let Some(last) = rows.last_mut() {
            let keep: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{keep}…");
        }
    }
    rows
}

/// The chart's small print (names, values).
fn small_text(
    painter: &egui::Painter,
    at: egui::Pos2,
    align: Align2,
    text: String,
    color: Color32,
) {
    painter.text(at, align, text, FontId::proportional(10.0), color);
}

/// A bar's accessible label: what its height measures.
fn bar_label(r: &crate::coding::pareto::ParetoRow, measure: Measure) -> String {
    match measure {
        Measure::Frequency => format!("{}: {}", r.category, r.count),
        Measure::Weighted => format!(
            "{}: score {:.0} ({} failing traces)",
            r.category, r.weighted_score, r.count
        ),
    }
}

/// A bar's hover text: every figure of its row.
fn bar_hover(r: &crate::coding::pareto::ParetoRow) -> String {
    format!(
        "{}{}\n{} failing traces\n{:.1} % of failures, {:.1} % of reviewed\ncumulative {:.1} %\nseverity {} (score {})\nclick to filter the table",
        r.category,
        if r.known {
            ""
        } else {
            " (not in the codebook)"
        },
        r.count,
        r.share_of_failures * 100.0,
        r.share_of_reviewed * 100.0,
        r.cumulative_share * 100.0,
        r.severity,
        r.weighted_score
    )
}

/// The cumulative-share line over the bars.
fn cumulative_line(painter: &egui::Painter, line: Vec<egui::Pos2>, dark: bool) {
    let line_color = if dark {
        Color32::from_rgb(0xff, 0xb7, 0x4d)
    } else {
        Color32::from_rgb(0xe6, 0x51, 0x00)
    };
    painter.add(egui::Shape::line(
        line.clone(),
        Stroke::new(2.0, line_color),
    ));
    for pt in line {
        painter.circle_filled(pt, 3.0, line_color);
    }
}

/// The board-level roll-up by reporting label, kept apart from the operational chart.
pub fn reporting(ui: &mut egui::Ui, p: &Pareto) {
    ui.label(egui::RichText::new("Report: failing traces by reporting label").strong());
    ui.weak(
        "Coarse buckets for a board or regulator; the operational categories stay in the chart.",
    );
    let roll = p.by_reporting_label();
    let max = roll.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    egui::Grid::new("reporting").num_columns(3).show(ui, |ui| {
        for (label, n) in roll {
            ui.label(label);
            let (rect, _) = ui.allocate_exact_size(
                vec2(160.0 * n as f32 / max as f32 + 1.0, 12.0),
                Sense::hover(),
            );
            ui.painter()
                .rect_filled(rect, 2.0, ui.visuals().selection.bg_fill);
            ui.label(format!(
                "{n} ({:.0} %)",
                if p.failed == 0 {
                    0.0
                } else {
                    n as f64 * 100.0 / p.failed as f64
                }
            ));
            ui.end_row();
        }
    });
}

/// Where failing agent traces first went wrong: category × first-failure span, most first.
pub fn first_failure(ui: &mut egui::Ui, cells: &[FirstFailure]) {
    ui.label(egui::RichText::new("Where failing traces first went wrong").strong());
    if cells.is_empty() {
        ui.weak(
            "No failing trace has a span marked yet: select a span in the tree and press Shift+F.",
        );
        return;
    }
    let max = cells.iter().map(|c| c.traces).max().unwrap_or(1).max(1);
    let dark = ui.visuals().dark_mode;
    egui::ScrollArea::vertical()
        .id_salt("first-failure")
        .show(ui, |ui| {
            egui::Grid::new("first-failure-grid")
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("category");
                    ui.weak("first-failure span");
                    ui.weak("");
                    ui.weak("traces");
                    ui.end_row();
                    for c in cells {
                        ui.label(&c.category);
                        ui.label(egui::RichText::new(&c.span).monospace());
                        let (rect, _) = ui.allocate_exact_size(
                            vec2(120.0 * c.traces as f32 / max as f32 + 1.0, 12.0),
                            Sense::hover(),
                        );
                        ui.painter().rect_filled(
                            rect,
                            2.0,
                            theme::chip_color(ui.ctx(), &c.category, dark),
                        );
                        ui.label(c.traces.to_string());
                        ui.end_row();
                    }
                });
        });
}

/// Small multiples: per period, the failing traces' category shares as a stacked bar.
pub fn by_period(ui: &mut egui::Ui, periods: &[(String, Pareto)], order: &[String]) {
    ui.label(egui::RichText::new("Category shares of failures, per batch (or per week)").strong());
    if periods.is_empty() {
        ui.weak("No timestamps on the labelled traces (a `timestamp`, `created_at` or `start_time` column).");
        return;
    }
    let dark = ui.visuals().dark_mode;
    for (period, p) in periods {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(format!("{period} ({} failing)", p.failed)).monospace());
            let width = (ui.available_width() - 8.0).max(60.0);
            let (rect, _) = ui.allocate_exact_size(vec2(width, 14.0), Sense::hover());
            let total: usize = p.categories.iter().map(|r| r.count).sum();
            let mut x = rect.left();
            for name in order {
                let Some(r) = p.categories.iter().find(|r| &r.category == name) else {
                    continue;
                };
                if r.count == 0 || total == 0 {
                    continue;
                }
                let w = width * r.count as f32 / total as f32;
                let seg = Rect::from_min_size(pos2(x, rect.top()), vec2(w, rect.height()));
                ui.painter()
                    .rect_filled(seg, 0.0, theme::chip_color(ui.ctx(), name, dark));
                ui.interact(seg, ui.scope_id().with((period, name)), Sense::hover())
                    .on_hover_text(format!(
                        "{name}: {} ({:.0} % of failures)",
                        r.count,
                        r.share_of_failures * 100.0
                    ));
                x += w;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_wrap_at_words_and_end_in_an_ellipsis_only_when_they_must() {
        assert_eq!(label_rows("date handling", 10, 3), ["date", "handling"]);
        assert_eq!(label_rows("tool not called", 10, 3), ["tool not", "called"]);
        assert_eq!(
            label_rows("misquoted refund policy for changes", 9, 2),
            ["misquoted", "refund…"]
        );
        assert_eq!(label_rows("unbelievablylongword", 8, 3), ["unbelie…"]);
    }
}
