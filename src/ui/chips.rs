//! The tag chip: a rounded label in the category's stable colour, filled when on.

use egui::{Color32, CornerRadius, Response, RichText, Sense, Stroke};

use crate::ui::theme;

/// Draws a chip; `key` (1–9) is shown before the name. Click toggles.
pub fn chip(ui: &mut egui::Ui, name: &str, on: bool, key: Option<usize>) -> Response {
    let dark = ui.visuals().dark_mode;
    let color = theme::chip_color(ui.ctx(), name, dark);
    let text = match key {
        Some(k) => format!("{k} {name}"),
        None => name.to_owned(),
    };
    let (fill, text_color) = if on {
        (color, if dark { Color32::BLACK } else { Color32::WHITE })
    } else {
        (Color32::TRANSPARENT, color)
    };
    let button = egui::Button::new(RichText::new(text).color(text_color))
        .fill(fill)
        .stroke(Stroke::new(1.0, color))
        .corner_radius(CornerRadius::same(10))
        .selected(false);
    ui.add(button).on_hover_text(if on {
        "On: click to remove"
    } else {
        "Off: click to add"
    })
}

/// A small, non-interactive chip for the table.
pub fn mini_chip(ui: &mut egui::Ui, name: &str) {
    let dark = ui.visuals().dark_mode;
    let color = theme::chip_color(ui.ctx(), name, dark);
    let galley = ui.painter().layout_no_wrap(
        name.to_owned(),
        egui::FontId::proportional(11.0),
        if dark { Color32::BLACK } else { Color32::WHITE },
    );
    let size = galley.size() + egui::vec2(8.0, 2.0);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    ui.painter().rect_filled(rect, CornerRadius::same(6), color);
    ui.painter()
        .galley(rect.min + egui::vec2(4.0, 1.0), galley, Color32::WHITE);
}

/// A small suggested chip for the table: the category's name in its colour, outlined.
pub fn mini_suggested_chip(ui: &mut egui::Ui, name: &str) {
    let dark = ui.visuals().dark_mode;
    let color = theme::chip_color(ui.ctx(), name, dark);
    let galley =
        ui.painter()
            .layout_no_wrap(format!("{name}?"), egui::FontId::proportional(11.0), color);
    let size = galley.size() + egui::vec2(8.0, 2.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Label, true, format!("suggested {name}"))
    });
    ui.painter().rect_stroke(
        rect.shrink(0.5),
        CornerRadius::same(6),
        Stroke::new(1.0, color),
        egui::StrokeKind::Inside,
    );
    ui.painter()
        .galley(rect.min + egui::vec2(4.0, 1.0), galley, color);
}

/// A suggested category (from an accepted proposal, not yet confirmed): a dashed outline.
pub fn suggested_chip(ui: &mut egui::Ui, name: &str) {
    let dark = ui.visuals().dark_mode;
    let color = theme::chip_color(ui.ctx(), name, dark);
    let galley =
        ui.painter()
            .layout_no_wrap(name.to_owned(), egui::FontId::proportional(13.0), color);
    let size = galley.size() + egui::vec2(14.0, 6.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Label, true, format!("suggested {name}"))
    });
    let r = rect.shrink(0.5);
    let corners = [
        r.left_top(),
        r.right_top(),
        r.right_bottom(),
        r.left_bottom(),
        r.left_top(),
    ];
    ui.painter().extend(egui::Shape::dashed_line(
        &corners,
        Stroke::new(1.0, color),
        4.0,
        3.0,
    ));
    ui.painter()
        .galley(rect.min + egui::vec2(7.0, 3.0), galley, color);
}
