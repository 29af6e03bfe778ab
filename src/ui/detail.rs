//! The selected trace: input and output side by side (draggable split, each side scrolls on its
//! own), chat as role-labelled messages, other JSON as a collapsible tree, metadata below.

use std::collections::HashSet;

use egui::{Frame, Id, Label, RichText, ScrollArea};
use serde_json::Value;

use crate::action::Action;
use crate::trace::content::{Content, Message};
use crate::ui::theme;
use crate::workspace::Dataset;

/// Draws the detail of the selected trace.
pub fn ui(ui: &mut egui::Ui, d: &mut Dataset, expanded: &mut HashSet<Id>) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some((row, contents)) = d.detail() else {
        ui.weak("Select a trace to read it.");
        return actions;
    };
    let r = row as usize;
    ui.horizontal(|ui| {
        ui.strong(format!("Trace {}", d.store.id(r)));
        ui.weak(d.store.location(r));
        if ui
            .button("Copy as JSON")
            .on_hover_text("Copy the original record, complete (key C)")
            .clicked()
        {
            actions.push(Action::CopyRecord);
        }
    });
    ui.separator();
    let dark = ui.visuals().dark_mode;
    let re = d.search_re.clone();
    let re = re.as_ref();
    egui::Panel::bottom(("metadata", d.key.as_str()))
        .resizable(true)
        .default_size(150.0)
        .min_size(40.0)
        .show(ui, |ui| {
            ui.strong("Metadata");
            ScrollArea::vertical()
                .id_salt("metadata-scroll")
                .auto_shrink(false)
                .show(ui, |ui| {
                    egui::Grid::new("metadata-grid")
                        .num_columns(2)
                        .striped(true)
                        .spacing([16.0, 2.0])
                        .show(ui, |ui| {
                            for (i, c) in d.store.columns().iter().enumerate() {
                                ui.label(RichText::new(&c.name).monospace());
                                match d.store.cell(r, i) {
                                    Some(v) => ui.add(Label::new(v).wrap()),
                                    None => ui.weak("null"),
                                };
                                ui.end_row();
                            }
                        });
                });
        });
    let width = ui.available_width();
    egui::Panel::left(("input-side", d.key.as_str()))
        .resizable(true)
        .default_size(width * 0.5)
        .min_size(120.0)
        .show(ui, |ui| {
            ui.strong("Input");
            ScrollArea::vertical()
                .id_salt("input-scroll")
                .auto_shrink(false)
                .show(ui, |ui| {
                    content_ui(
                        ui,
                        &contents.0,
                        Id::unique(("input", row)),
                        expanded,
                        dark,
                        re,
                    );
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        ui.strong("Output");
        ScrollArea::vertical()
            .id_salt("output-scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                content_ui(
                    ui,
                    &contents.1,
                    Id::unique(("output", row)),
                    expanded,
                    dark,
                    re,
                );
            });
    });
    actions
}

/// Draws one side of a trace; `re` highlights search matches.
pub fn content_ui(
    ui: &mut egui::Ui,
    content: &Content,
    id: Id,
    expanded: &mut HashSet<Id>,
    dark: bool,
    re: Option<&regex::bytes::Regex>,
) {
    match content {
        Content::Missing => {
            ui.weak("(none)");
        }
        Content::Text(s) => long_text(ui, s, id, expanded, re),
        Content::Chat(messages) => {
            for (i, m) in messages.iter().enumerate() {
                message_ui(ui, m, id.with(i), expanded, dark, re);
            }
        }
        Content::Json(v) => json_tree(ui, None, v, id),
    }
}

fn message_ui(
    ui: &mut egui::Ui,
    m: &Message,
    id: Id,
    expanded: &mut HashSet<Id>,
    dark: bool,
    re: Option<&regex::bytes::Regex>,
) {
    let color = theme::role_color(&m.role, dark);
    Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, color.gamma_multiply(0.6)))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&m.role).strong().color(color));
                if let Some(n) = &m.name {
                    ui.weak(n);
                }
                if let Some(c) = &m.tool_call_id {
                    ui.weak(format!("result of {c}"));
                }
            });
            if !m.text.is_empty() {
                long_text(ui, &m.text, id, expanded, re);
            }
            for c in &m.tool_calls {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("tool call: {}", c.name)).strong());
                    if let Some(cid) = &c.id {
                        ui.weak(cid);
                    }
                });
                ui.add(Label::new(RichText::new(&c.arguments).monospace()).wrap());
            }
        });
    ui.add_space(4.0);
}

/// Wrapped, selectable text with search matches highlighted; very long texts show their start
/// and a button for the rest.
fn long_text(
    ui: &mut egui::Ui,
    s: &str,
    id: Id,
    expanded: &mut HashSet<Id>,
    re: Option<&regex::bytes::Regex>,
) {
    let cut = if s.len() <= theme::TEXT_SHOWN_CHARS || expanded.contains(&id) {
        s.len()
    } else {
        s.char_indices()
            .nth(theme::TEXT_SHOWN_CHARS)
            .map_or(s.len(), |(i, _)| i)
    };
    let shown = &s[..cut];
    match re {
        Some(re) if re.is_match(shown.as_bytes()) => {
            let ranges = crate::trace::filter::match_ranges(re, shown, 1000);
            ui.add(Label::new(highlighted(ui, shown, &ranges)).wrap());
        }
        _ => {
            ui.add(Label::new(shown).wrap());
        }
    }
    if cut < s.len()
        && ui
            .button(format!("Show all ({:.1} MB)", s.len() as f64 / 1e6))
            .clicked()
    {
        expanded.insert(id);
    }
}

fn highlighted(
    ui: &egui::Ui,
    text: &str,
    ranges: &[std::ops::Range<usize>],
) -> egui::text::LayoutJob {
    let mut job = egui::text::LayoutJob::default();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let normal = egui::TextFormat {
        font_id: font.clone(),
        color: ui.visuals().text_color(),
        ..Default::default()
    };
    let hit = egui::TextFormat {
        font_id: font,
        color: egui::Color32::BLACK,
        background: theme::highlight_color(),
        ..Default::default()
    };
    let mut at = 0;
    for r in ranges {
        if r.start > at {
            job.append(&text[at..r.start], 0.0, normal.clone());
        }
        job.append(&text[r.start..r.end], 0.0, hit.clone());
        at = r.end;
    }
    if at < text.len() {
        job.append(&text[at..], 0.0, normal);
    }
    job
}

/// A collapsible JSON tree; large arrays and objects show their first children.
pub fn json_tree(ui: &mut egui::Ui, key: Option<&str>, v: &Value, id: Id) {
    let label = |ui: &mut egui::Ui, text: String| {
        ui.horizontal_wrapped(|ui| {
            if let Some(k) = key {
                ui.label(RichText::new(format!("{k}:")).monospace().strong());
            }
            ui.add(Label::new(RichText::new(text).monospace()).wrap());
        });
    };
    match v {
        Value::Object(map) => {
            let title = format!(
                "{}{{…}} {} keys",
                key.map(|k| format!("{k}: ")).unwrap_or_default(),
                map.len()
            );
            egui::CollapsingHeader::new(title)
                .id_salt(id)
                .default_open(key.is_none() || map.len() <= 8)
                .show(ui, |ui| {
                    for (i, (k, child)) in map.iter().enumerate() {
                        if i >= theme::JSON_CHILDREN_SHOWN {
                            ui.weak(format!("… {} more", map.len() - i));
                            break;
                        }
                        json_tree(ui, Some(k), child, id.with(k));
                    }
                });
        }
        Value::Array(items) => {
            let title = format!(
                "{}[…] {} items",
                key.map(|k| format!("{k}: ")).unwrap_or_default(),
                items.len()
            );
            egui::CollapsingHeader::new(title)
                .id_salt(id)
                .default_open(key.is_none() || items.len() <= 8)
                .show(ui, |ui| {
                    for (i, child) in items.iter().enumerate() {
                        if i >= theme::JSON_CHILDREN_SHOWN {
                            ui.weak(format!("… {} more", items.len() - i));
                            break;
                        }
                        json_tree(ui, Some(&i.to_string()), child, id.with(i));
                    }
                });
        }
        Value::String(s) => label(ui, format!("{s:?}")),
        other => label(ui, other.to_string()),
    }
}
