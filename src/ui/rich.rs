//! A turn's text drawn for reading: Markdown rendered (headings, emphasis, lists, code, tables,
//! links), JSON as a collapsible, coloured tree (a string that holds JSON — a tool call's
//! arguments, a serialised payload — opens as a tree of its own), and the search's matches
//! marked in all of them, as in plain text. A tree part that holds a match opens while the
//! search is on.

use std::collections::HashMap;
use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Frame, Id, Label, RichText};
use regex::bytes::Regex;
use serde_json::Value;

use crate::trace::markdown::{Block, Span};
use crate::ui::theme;

/// Strings longer than this are not parsed as JSON inside a tree (they show as text).
const NESTED_JSON_MAX: usize = 1 << 20;

/// Nodes a tree part's search for a match visits at most (a huge tool result stays fast).
const MATCH_VISITS: usize = 20_000;

/// `text` in `format`, with the matches of `re` on a highlight.
pub fn marked(text: &str, re: Option<&Regex>, format: TextFormat) -> LayoutJob {
    let mut job = LayoutJob::default();
    let ranges = re.map_or_else(Vec::new, |re| {
        crate::trace::filter::match_ranges(re, text, 1000)
    });
    let hit = TextFormat {
        color: egui::Color32::BLACK,
        background: theme::highlight_color(),
        ..format.clone()
    };
    let mut at = 0;
    for r in ranges {
        if r.start > at {
            job.append(&text[at..r.start], 0.0, format.clone());
        }
        job.append(&text[r.clone()], 0.0, hit.clone());
        at = r.end;
    }
    if at < text.len() || text.is_empty() {
        job.append(&text[at..], 0.0, format);
    }
    job
}

/// The body text's format at `size`.
pub fn body(ui: &egui::Ui, size: f32) -> TextFormat {
    TextFormat {
        font_id: egui::FontId::proportional(size),
        color: ui.visuals().text_color(),
        ..Default::default()
    }
}

/// Draws Markdown blocks at `size`: headings larger, list items indented with their markers,
/// code in a frame, tables in a grid, links that open the browser.
pub fn markdown(ui: &mut egui::Ui, blocks: &[Block], size: f32, re: Option<&Regex>) {
    for block in blocks {
        match block {
            Block::Heading(level, spans) => {
                let grow = [1.5, 1.3, 1.15, 1.05, 1.0, 1.0][usize::from(*level).clamp(1, 6) - 1];
                spans_block(ui, spans, size * grow, true, re);
            }
            Block::Paragraph(spans) => spans_block(ui, spans, size, false, re),
            Block::Item(depth, marker, spans) => {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(12.0 * *depth as f32);
                    ui.label(RichText::new(marker).size(size));
                    spans_inline(ui, spans, size, false, re);
                });
            }
            Block::Code(_, code) => {
                Frame::group(ui.style()).show(ui, |ui| {
                    let format = TextFormat {
                        font_id: egui::FontId::monospace(size * 0.93),
                        ..body(ui, size)
                    };
                    ui.add(Label::new(marked(code, re, format)).wrap());
                });
            }
            Block::Table(rows) => {
                egui::Grid::new(ui.next_auto_id())
                    .striped(true)
                    .show(ui, |ui| {
                        for (i, row) in rows.iter().enumerate() {
                            for cell in row {
                                ui.horizontal_wrapped(|ui| {
                                    spans_inline(ui, cell, size, i == 0, re);
                                });
                            }
                            ui.end_row();
                        }
                    });
            }
            Block::Rule => {
                ui.separator();
            }
        }
    }
}

/// A block of inline spans, wrapped.
fn spans_block(ui: &mut egui::Ui, spans: &[Span], size: f32, strong: bool, re: Option<&Regex>) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        spans_inline(ui, spans, size, strong, re);
    });
}

fn spans_inline(ui: &mut egui::Ui, spans: &[Span], size: f32, strong: bool, re: Option<&Regex>) {
    let plain = body(ui, size);
    let bold = TextFormat {
        color: ui.visuals().strong_text_color(),
        ..plain.clone()
    };
    for span in spans {
        let (text, format) = match span {
            Span::Text(t) if strong => (t, bold.clone()),
            Span::Text(t) => (t, plain.clone()),
            Span::Bold(t) => (t, bold.clone()),
            Span::Italic(t) => (
                t,
                TextFormat {
                    italics: true,
                    ..plain.clone()
                },
            ),
            Span::Code(t) => (
                t,
                TextFormat {
                    font_id: egui::FontId::monospace(size * 0.93),
                    background: ui.visuals().code_bg_color,
                    ..plain.clone()
                },
            ),
            Span::Link { text, url } => {
                ui.hyperlink_to(RichText::new(text).size(size), url);
                continue;
            }
        };
        ui.add(Label::new(marked(text, re, format)).wrap());
    }
}

/// The text as JSON, when it is an object or an array (a tool's result, a structured answer).
pub fn json_text(text: &str) -> Option<Value> {
    let t = text.trim();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(t)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// What a JSON tree is drawn with.
pub struct Tree<'a> {
    /// The search's matches to mark (and the parts holding them to open).
    pub re: Option<&'a Regex>,
    /// Strings parsed as JSON (or found not to be), by node, kept while the trace is shown.
    pub parsed: &'a mut HashMap<Id, Option<Arc<Value>>>,
}

impl Tree<'_> {
    /// `text` as JSON when it is an object or array, parsed once per node.
    pub fn parse(&mut self, id: Id, text: &str) -> Option<Arc<Value>> {
        let t = text.trim_start();
        if text.len() > NESTED_JSON_MAX || !(t.starts_with('{') || t.starts_with('[')) {
            return None; // most strings: no parse, nothing kept
        }
        self.parsed
            .entry(id)
            .or_insert_with(|| json_text(text).map(Arc::new))
            .clone()
    }
}

/// A collapsible JSON tree; large arrays and objects show their first children, parts deeper
/// than [`theme::JSON_OPEN_DEPTH`] (or larger than 8) start closed, values are coloured by kind.
pub fn json_tree(ui: &mut egui::Ui, tree: &mut Tree<'_>, key: Option<&str>, v: &Value, id: Id) {
    node(ui, tree, key, v, id, 0, false);
}

fn node(
    ui: &mut egui::Ui,
    tree: &mut Tree<'_>,
    key: Option<&str>,
    v: &Value,
    id: Id,
    depth: usize,
    from_string: bool,
) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, c)| (k.clone(), c)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        Value::String(s) => {
            if let Some(inner) = tree.parse(id, s) {
                // JSON inside a string reads as JSON
                return node(ui, tree, key, &inner, id.with("json"), depth, true);
            }
            return leaf(ui, tree.re, key, &format!("{s:?}"), v);
        }
        other => return leaf(ui, tree.re, key, &other.to_string(), other),
    };
    let title = format!(
        "{}{} {} {}{}",
        key.map(|k| format!("{k}: ")).unwrap_or_default(),
        if v.is_object() { "{…}" } else { "[…]" },
        children.len(),
        if v.is_object() { "keys" } else { "items" },
        if from_string {
            " (JSON in a string)"
        } else {
            ""
        }
    );
    let open = depth == 0 || (depth < theme::JSON_OPEN_DEPTH && children.len() <= 8);
    // while a search is on, a part holding a match opens (its own open state, so that the
    // reader's choices come back when the search is cleared)
    let (salt, open) = match tree.re {
        Some(re) if !open && holds_match(v, re, &mut { MATCH_VISITS }) => {
            (id.with(re.as_str()), true)
        }
        _ => (id, open),
    };
    egui::CollapsingHeader::new(title)
        .id_salt(salt)
        .default_open(open)
        .show(ui, |ui| {
            for (i, (k, child)) in children.iter().enumerate() {
                if i >= theme::JSON_CHILDREN_SHOWN {
                    ui.weak(format!("… {} more", children.len() - i));
                    break;
                }
                node(ui, tree, Some(k), child, id.with(k), depth + 1, false);
            }
        });
}

/// A key and a scalar value, coloured by kind, matches marked.
fn leaf(ui: &mut egui::Ui, re: Option<&Regex>, key: Option<&str>, text: &str, v: &Value) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal_wrapped(|ui| {
        let mono = TextFormat {
            font_id: egui::TextStyle::Monospace.resolve(ui.style()),
            color: ui.visuals().strong_text_color(),
            ..Default::default()
        };
        if let Some(k) = key {
            ui.label(marked(&format!("{k}:"), re, mono.clone()));
        }
        let value = TextFormat {
            color: theme::json_color(v, dark),
            ..mono
        };
        ui.add(Label::new(marked(text, re, value)).wrap());
    });
}

/// Whether a key or scalar under `v` matches `re`, visiting at most `budget` nodes.
fn holds_match(v: &Value, re: &Regex, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match v {
        Value::Object(map) => map
            .iter()
            .any(|(k, c)| re.is_match(k.as_bytes()) || holds_match(c, re, budget)),
        Value::Array(items) => items.iter().any(|c| holds_match(c, re, budget)),
        Value::String(s) => re.is_match(s.as_bytes()),
        other => re.is_match(other.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_marked_in_a_job() {
        let re = Regex::new("(?i)deposit").ok();
        let job = marked(
            "Security Deposit: one deposit",
            re.as_ref(),
            TextFormat::default(),
        );
        let marked: Vec<&str> = job
            .sections
            .iter()
            .filter(|s| s.format.background == theme::highlight_color())
            .map(|s| &job.text[s.byte_range.start.0..s.byte_range.end.0])
            .collect();
        assert_eq!(marked, ["Deposit", "deposit"]);
        assert_eq!(job.text, "Security Deposit: one deposit");
        let plain = super::marked("", None, TextFormat::default());
        assert_eq!(plain.text, "");
    }

    #[test]
    fn a_match_deep_in_a_tree_is_found_within_a_budget() {
        let v: Value = serde_json::from_str(r#"{"a":{"b":[1,2,{"c":"the lease ends"}]},"d":true}"#)
            .unwrap_or_default();
        let re = |p: &str| Regex::new(p).unwrap_or_else(|_| unreachable!());
        assert!(holds_match(&v, &re("lease"), &mut 100));
        assert!(holds_match(&v, &re("^c$"), &mut 100), "keys count");
        assert!(holds_match(&v, &re("true"), &mut 100), "scalars count");
        assert!(!holds_match(&v, &re("rent"), &mut 100));
        assert!(
            !holds_match(&v, &re("lease"), &mut 3),
            "the budget stops it"
        );
    }

    #[test]
    fn strings_holding_json_are_parsed_once() {
        let mut parsed = HashMap::new();
        let mut tree = Tree {
            re: None,
            parsed: &mut parsed,
        };
        let id = Id::unique("x");
        assert!(tree.parse(id, r#"{"city": "Paris"}"#).is_some());
        assert!(tree.parse(Id::unique("y"), "plain words").is_none());
        assert!(tree.parse(Id::unique("z"), "[not json").is_none());
        assert_eq!(parsed.len(), 2, "plain strings are not kept");
    }
}
