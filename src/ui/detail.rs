//! The selected trace: input and output side by side (draggable split, each side scrolls on its
//! own), chat as role-labelled messages, other JSON as a collapsible tree, metadata below.

use std::collections::HashSet;

use egui::{Frame, Id, Label, RichText, ScrollArea};
use serde_json::Value;

use crate::action::Action;
use crate::trace::content::{Content, Message};
use crate::trace::diff::Piece;
use crate::ui::{rich, theme};
use crate::workspace::Dataset;

/// Messages longer than this (in characters) are folded to their first lines, as is every
/// system prompt, until their role is unfolded.
pub const FOLD_CHARS: usize = 1_500;

/// Lines a folded message shows.
const FOLDED_LINES: usize = 3;

/// What the reader set while reading a dump: unfolded roles, texts shown in full, where each
/// trace opens, the turn in view.
#[derive(Default)]
pub struct DetailUi {
    /// Huge texts the user asked to see in full.
    pub expanded: HashSet<Id>,
    /// Roles whose long messages show in full (every other long message, and every system
    /// prompt, is folded to its first lines).
    pub unfolded_roles: HashSet<String>,
    /// Open each trace at its start rather than at its last user turn.
    pub open_at_start: bool,
    /// Show Markdown as it is written instead of rendered.
    pub raw_markdown: bool,
    /// The input's turn in view (`[` and `]` move it) and whether to scroll to it.
    pub turn: usize,
    /// Scroll the input to `turn` on the next frame.
    pub scroll_to_turn: bool,
    /// Turns in the input of the trace shown (to keep `turn` in range).
    pub turns: usize,
    /// The row last drawn: a newly selected trace opens at its last user turn.
    shown_row: Option<u32>,
    /// The search when the row was drawn: a new search opens the trace at its first match.
    shown_search: Option<String>,
    /// A trace marked (`m`) to compare the selected one's output with.
    pub compare_with: Option<u32>,
    /// Turns of the trace shown parsed as JSON (or not JSON), so that a large tool result is
    /// parsed once, not every frame.
    json: std::collections::HashMap<Id, Option<std::sync::Arc<Value>>>,
    /// The word differences of the rows compared, kept while they stay the same.
    diff: Option<(Compared, DiffPieces)>,
    /// The span tree of an agent trace and the span selected in it.
    pub spans: super::spans::SpanState,
}

/// A comparison's pieces: `(-1 removed | 0 same | 1 added, text)`.
type DiffPieces = Vec<(i8, String)>;

impl DetailUi {
    /// Marks `row` to compare others with; marking it again stops comparing.
    pub fn mark_compare(&mut self, row: u32) {
        self.compare_with = if self.compare_with == Some(row) {
            None
        } else {
            Some(row)
        };
    }

    /// A turn's text as JSON (see [`rich::json_text`]), parsed once per shown trace.
    fn json_of(&mut self, id: Id, text: &str) -> Option<std::sync::Arc<Value>> {
        self.json
            .entry(id)
            .or_insert_with(|| rich::json_text(text).map(std::sync::Arc::new))
            .clone()
    }

    /// Moves the turn in view by `delta`, within the trace's turns.
    pub fn move_turn(&mut self, delta: i64) {
        let last = self.turns.saturating_sub(1) as i64;
        self.turn = (self.turn as i64 + delta).clamp(0, last.max(0)) as usize;
        self.scroll_to_turn = true;
    }
}

/// Whether a message is folded: a system prompt, or a long message that is not JSON, unless
/// its role was unfolded.
pub fn is_folded(m: &Message, json: bool, unfolded_roles: &HashSet<String>) -> bool {
    // JSON reads as a tree, whose large parts start closed: it is not folded by length
    let long = !json && m.text.chars().count() > FOLD_CHARS;
    let system = matches!(m.role.to_ascii_lowercase().as_str(), "system" | "developer");
    (long || system && m.text.lines().count() > FOLDED_LINES) && !unfolded_roles.contains(&m.role)
}

/// Where a conversation should open: its last user turn.
pub fn last_user_turn(messages: &[Message]) -> Option<usize> {
    messages.iter().rposition(|m| {
        let r = m.role.to_ascii_lowercase();
        r == "user" || r == "human"
    })
}

/// The turn a conversation opens at: the first that matches the search, else its last user
/// turn (or its start).
pub fn opening_turn(
    messages: &[Message],
    re: Option<&regex::bytes::Regex>,
    at_start: bool,
) -> usize {
    let matches = |m: &Message| {
        re.is_some_and(|re| {
            re.is_match(m.text.as_bytes())
                || m.tool_calls
                    .iter()
                    .any(|c| re.is_match(c.arguments.as_bytes()))
        })
    };
    if let Some(i) = messages.iter().position(matches) {
        return i;
    }
    if at_start {
        0
    } else {
        last_user_turn(messages).unwrap_or(0)
    }
}

/// Draws the detail of the selected trace.
pub fn ui(
    ui: &mut egui::Ui,
    d: &mut Dataset,
    state: &mut DetailUi,
    layout: &mut super::split::Layout,
    marked_span: Option<&str>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some((row, contents)) = d.detail() else {
        ui.weak("Select a trace to read it.");
        return actions;
    };
    let r = row as usize;
    state.spans.sync(&d.store, row);
    state.spans.mark_matches(&d.store, d.search_re.as_ref());
    // a span selected in the tree: its own input and output
    let span_contents = state.spans.contents(&d.store);
    let span_node = state.spans.selected_node().cloned();
    let contents = span_contents.unwrap_or(contents);
    // a newly selected trace opens at its last user turn (or its start, as the reader chose);
    // while a search is on, at the first turn that matches it
    let search = d.search_re.as_ref().map(|re| re.as_str().to_owned());
    if state.shown_row != Some(row) || state.shown_search != search {
        if state.shown_row != Some(row) {
            state.json.clear();
        }
        state.shown_row = Some(row);
        state.shown_search.clone_from(&search);
        let turn = match &contents.0 {
            Content::Chat(m) => opening_turn(m, d.search_re.as_ref(), state.open_at_start),
            _ => 0,
        };
        state.turn = turn;
        state.scroll_to_turn = true;
    }
    state.turns = match &contents.0 {
        Content::Chat(m) => m.len(),
        _ => 0,
    };
    header(ui, d, r, span_node.as_ref(), state, &mut actions);
    ui.separator();
    let dark = ui.visuals().dark_mode;
    let re = d.search_re.clone();
    let re = re.as_ref();
    let space = ui.available_height();
    if state.spans.tree.is_some() {
        layout.spans.keep(ui, ("span-tree", d.key.as_str()), true);
        egui::Panel::top(("span-tree", d.key.as_str()))
            .resizable(true)
            .default_size(layout.spans.of(space))
            .min_size(60.0)
            .show(ui, |ui| {
                actions.extend(super::spans::ui(ui, &mut state.spans, marked_span));
            });
    }
    metadata_panel(ui, d, r, span_node.as_ref(), layout, space);
    let width = ui.available_width();
    layout.input.keep(ui, ("input-side", d.key.as_str()), false);
    egui::Panel::left(("input-side", d.key.as_str()))
        .resizable(true)
        .default_size(layout.input.of(width))
        .min_size(120.0)
        .show(ui, |ui| {
            ui.strong("Input");
            ScrollArea::vertical()
                .id_salt("input-scroll")
                .auto_shrink(false)
                .show(ui, |ui| {
                    let side = Side {
                        id: Id::unique(("input", row)),
                        dark,
                        re,
                        scroll_to: state.scroll_to_turn.then_some(state.turn),
                        final_large: false,
                    };
                    content_ui(ui, &contents.0, &side, state);
                    state.scroll_to_turn = false;
                });
        });
    let compare = state.compare_with.filter(|&a| a != row);
    egui::CentralPanel::default().show(ui, |ui| {
        ui.strong("Output");
        if let Some(a) = compare {
            compare_rows(ui, d, a, row, state);
            return;
        }
        if compare_other_run(ui, d, row, &contents.0, state) {
            return;
        }
        ScrollArea::vertical()
            .id_salt("output-scroll")
            .auto_shrink(false)
            .show(ui, |ui| {
                let side = Side {
                    id: Id::unique(("output", row)),
                    dark,
                    re,
                    scroll_to: None,
                    final_large: true,
                };
                content_ui(ui, &contents.1, &side, state);
            });
    });
    actions
}

/// The line above the trace: its id (and the selected span), where it is, copy, reading options.
fn header(
    ui: &mut egui::Ui,
    d: &Dataset,
    r: usize,
    span_node: Option<&crate::trace::span_tree::Node>,
    state: &mut DetailUi,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.strong(format!("Trace {}", d.store.id(r)));
        match span_node {
            Some(n) => {
                ui.strong(format!("› span {}", n.name));
                ui.weak(d.store.span_location(n.spans[0] as usize));
            }
            None => {
                ui.weak(d.store.location(r));
            }
        }
        let what = match (span_node, d.store.span_index()) {
            (Some(_), _) => "Copy the selected span's original record (key C)",
            (None, Some(_)) => "Copy every span record of the trace, as a JSON array (key C)",
            (None, None) => "Copy the original record, complete (key C)",
        };
        if ui
            .button("Copy as JSON")
            .on_hover_text(what)
            .clicked()
        {
            actions.push(Action::CopyRecord);
        }
        ui.checkbox(&mut state.raw_markdown, "raw text")
            .on_hover_text("Show Markdown as written (rendered otherwise)");
        ui.checkbox(&mut state.open_at_start, "open at the start")
            .on_hover_text("Open each trace at its first message instead of its last user turn ([ and ] move between turns)");
    });
}

/// The trace's metadata (or the selected span's attributes) in a panel along the bottom.
fn metadata_panel(
    ui: &mut egui::Ui,
    d: &Dataset,
    r: usize,
    span_node: Option<&crate::trace::span_tree::Node>,
    layout: &mut super::split::Layout,
    space: f32,
) {
    layout.metadata.keep(ui, ("metadata", d.key.as_str()), true);
    egui::Panel::bottom(("metadata", d.key.as_str()))
        .resizable(true)
        .default_size(layout.metadata.of(space))
        .min_size(40.0)
        .show(ui, |ui| {
            ui.strong(if span_node.is_some() {
                "Span attributes"
            } else {
                "Metadata"
            });
            // both ways: a long value scrolls inside the panel instead of widening it (a
            // wider panel drew its top border across the coding panel)
            ScrollArea::both()
                .id_salt("metadata-scroll")
                .auto_shrink(false)
                .show(ui, |ui| {
                    egui::Grid::new("metadata-grid")
                        .num_columns(2)
                        .striped(true)
                        .spacing([16.0, 2.0])
                        .show(ui, |ui| {
                            if let Some(n) = span_node {
                                let record = d.store.span_record(n.spans[0] as usize);
                                for (k, v) in super::spans::attributes(record) {
                                    ui.label(RichText::new(k).monospace());
                                    ui.add(Label::new(v).wrap());
                                    ui.end_row();
                                }
                                return;
                            }
                            for (i, c) in d.store.columns().iter().enumerate() {
                                ui.label(RichText::new(&c.name).monospace());
                                match d.store.cell(r, i) {
                                    // a link opens the system browser (a new tab on the web)
                                    Some(v) if is_url(&v) => {
                                        let shown = if v.chars().count() > 90 {
                                            v.chars().take(89).chain(['…']).collect()
                                        } else {
                                            v.clone()
                                        };
                                        ui.hyperlink_to(shown, &v).on_hover_text(&v)
                                    }
                                    Some(v) => ui.add(Label::new(v).wrap()),
                                    None => ui.weak("null"),
                                };
                                ui.end_row();
                            }
                        });
                });
        });
}

/// Two traces whose outputs are compared: two rows of the dump, or the other run's row and
/// this dump's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compared {
    Rows(u32, u32),
    OtherRun(u32, u32),
}

/// The marked trace's output beside this one's, with the words that differ marked (removed
/// on the left, added on the right).
fn compare_rows(ui: &mut egui::Ui, d: &Dataset, a: u32, b: u32, state: &mut DetailUi) {
    let text = |row: u32| crate::trace::content::plain_text(&d.contents(row).1);
    let note = format!(
        "compared with {} (m marks another trace; m on it stops comparing)",
        d.store.id(a as usize)
    );
    let names = [
        format!("{} (marked)", d.store.id(a as usize)),
        format!("{} (selected)", d.store.id(b as usize)),
    ];
    compare_ui(ui, state, Compared::Rows(a, b), &note, &names, || {
        (text(a), text(b))
    });
}

/// This trace's output beside the other run's trace with the same id (or input); false when
/// the other run has none (the output is then shown alone, with a note).
fn compare_other_run(
    ui: &mut egui::Ui,
    d: &mut Dataset,
    row: u32,
    input: &Content,
    state: &mut DetailUi,
) -> bool {
    let id = d.store.id(row as usize).to_owned();
    let Some(other) = d.other.as_mut() else {
        return false;
    };
    let Some((o, how)) = other.counterpart(&id, input) else {
        ui.weak(format!("{} has no trace with this id or input", other.name));
        return false;
    };
    let how = match how {
        crate::workspace::other_run::Matched::Id => "the same id",
        crate::workspace::other_run::Matched::Input => "the same input",
    };
    let note = format!(
        "compared with the trace with {how} in {} (File > Stop comparing)",
        other.name
    );
    let names = [
        format!("{} in {}", other.store.id(o as usize), other.name),
        format!("{id} (this dump)"),
    ];
    let other = &*other;
    let store = &d.store;
    compare_ui(ui, state, Compared::OtherRun(o, row), &note, &names, || {
        (
            crate::trace::content::plain_text(&other.output(o)),
            crate::trace::content::plain_text(
                &crate::workspace::other_run::row_contents(store, row).1,
            ),
        )
    });
    true
}

/// Two outputs side by side with the words that differ marked: `names` head the columns;
/// `texts` is asked only when `key` changed.
fn compare_ui(
    ui: &mut egui::Ui,
    state: &mut DetailUi,
    key: Compared,
    note: &str,
    names: &[String; 2],
    texts: impl FnOnce() -> (String, String),
) {
    if state.diff.as_ref().is_none_or(|(k, _)| *k != key) {
        let (ta, tb) = texts();
        let pieces = crate::trace::diff::words(&ta, &tb)
            .into_iter()
            .map(|p| match p {
                Piece::Same(t) => (0, t.to_owned()),
                Piece::Removed(t) => (-1, t.to_owned()),
                Piece::Added(t) => (1, t.to_owned()),
            })
            .collect();
        state.diff = Some((key, pieces));
    }
    let Some((_, pieces)) = &state.diff else {
        return;
    };
    ui.add(Label::new(note).wrap());
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text_color = ui.visuals().text_color();
    let job = |side: i8, mark: egui::Color32, width: f32| {
        let mut job = egui::text::LayoutJob::default();
        job.wrap.max_width = width;
        for (kind, t) in pieces {
            if *kind == -side {
                continue;
            }
            let format = egui::TextFormat {
                font_id: font.clone(),
                color: text_color,
                background: if *kind == side {
                    mark
                } else {
                    egui::Color32::TRANSPARENT
                },
                ..Default::default()
            };
            job.append(t, 0.0, format);
        }
        job
    };
    let (removed, added) = theme::diff_colors(ui.visuals().dark_mode);
    ScrollArea::vertical()
        .id_salt("compare-scroll")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.columns(2, |cols| {
                // (a column's layout is justified: text in it would be stretched)
                for (col, side, mark) in [(0, -1, removed), (1, 1, added)] {
                    cols[col].vertical(|ui| {
                        ui.weak(&names[col]);
                        let w = ui.available_width();
                        ui.add(Label::new(job(side, mark, w)).wrap());
                    });
                }
            });
        });
}

/// How one side of a trace is drawn.
pub struct Side<'a> {
    /// Its id (messages and texts derive theirs from it).
    pub id: Id,
    /// Dark mode.
    pub dark: bool,
    /// Search matches to highlight.
    pub re: Option<&'a regex::bytes::Regex>,
    /// A message to scroll into view (its top at the top).
    pub scroll_to: Option<usize>,
    /// Show the last assistant message (the final answer) in a larger font.
    pub final_large: bool,
}

/// Draws one side of a trace.
pub fn content_ui(ui: &mut egui::Ui, content: &Content, side: &Side<'_>, state: &mut DetailUi) {
    match content {
        Content::Missing => {
            ui.weak("(none)");
        }
        Content::Text(s) => {
            let md = !state.raw_markdown;
            long_text(
                ui,
                s,
                side.id,
                &mut state.expanded,
                side.re,
                side.final_large,
                md,
            );
        }
        Content::Chat(messages) => {
            let last_answer = messages
                .iter()
                .rposition(|m| crate::trace::content::is_assistant(&m.role) && !m.text.is_empty());
            for (i, m) in messages.iter().enumerate() {
                let large = side.final_large && Some(i) == last_answer;
                let r = message_ui(ui, m, side.id.with(i), side, state, large);
                if side.scroll_to == Some(i) {
                    ui.scroll_to_rect(r.rect, Some(egui::Align::TOP));
                }
            }
        }
        Content::Json(v) => {
            let mut tree = rich::Tree {
                re: side.re,
                parsed: &mut state.json,
            };
            rich::json_tree(ui, &mut tree, None, v, side.id);
        }
    }
}

fn message_ui(
    ui: &mut egui::Ui,
    m: &Message,
    id: Id,
    side: &Side<'_>,
    state: &mut DetailUi,
    large: bool,
) -> egui::Response {
    let color = theme::role_color(&m.role, side.dark);
    let json = state.json_of(id, &m.text);
    let folded = is_folded(m, json.is_some(), &state.unfolded_roles);
    let r = Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, color.gamma_multiply(0.6)))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let role = ui
                    .add(
                        egui::Button::new(RichText::new(&m.role).strong().color(color))
                            .frame(false),
                    )
                    .on_hover_text(if folded {
                        "Unfold this role's long messages (for every trace of the dump)"
                    } else {
                        "Fold this role's long messages"
                    });
                if role.clicked() {
                    if folded {
                        state.unfolded_roles.insert(m.role.clone());
                    } else {
                        state.unfolded_roles.remove(&m.role);
                    }
                }
                if let Some(n) = &m.name {
                    ui.weak(n);
                }
                if let Some(c) = &m.tool_call_id {
                    ui.weak(format!("result of {c}"));
                }
            });
            if folded {
                folded_text(ui, &m.text, &m.role, side.re, state);
            } else if let Some(v) = &json {
                // a tool result (or any turn) that is JSON reads as a tree
                let mut tree = rich::Tree {
                    re: side.re,
                    parsed: &mut state.json,
                };
                rich::json_tree(ui, &mut tree, None, v.as_ref(), id.with("tree"));
            } else if !m.text.is_empty() {
                let md = !state.raw_markdown;
                long_text(ui, &m.text, id, &mut state.expanded, side.re, large, md);
            }
            for (i, c) in m.tool_calls.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(format!("tool call: {}", c.name)).strong());
                    if let Some(cid) = &c.id {
                        ui.weak(cid);
                    }
                });
                // arguments are a JSON string: a tree; anything else is shown as it is
                let mut tree = rich::Tree {
                    re: side.re,
                    parsed: &mut state.json,
                };
                let args = serde_json::Value::String(c.arguments.clone());
                rich::json_tree(
                    ui,
                    &mut tree,
                    Some("arguments"),
                    &args,
                    id.with(("call", i)),
                );
            }
        });
    ui.add_space(4.0);
    r.response
}

/// Whether a value is a web link (shown as one).
pub fn is_url(v: &str) -> bool {
    (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace)
}

/// A folded message: its first lines and what is hidden, with a button that unfolds the role.
fn folded_text(
    ui: &mut egui::Ui,
    text: &str,
    role: &str,
    re: Option<&regex::bytes::Regex>,
    state: &mut DetailUi,
) {
    let head: String = text
        .lines()
        .take(FOLDED_LINES)
        .collect::<Vec<_>>()
        .join("\n")
        .chars()
        .take(400)
        .collect();
    let weak = rich::body(ui, egui::TextStyle::Body.resolve(ui.style()).size);
    let weak = egui::text::TextFormat {
        color: ui.visuals().weak_text_color(),
        ..weak
    };
    ui.add(Label::new(rich::marked(&head, re, weak)).wrap());
    let hidden = text
        .chars()
        .count()
        .saturating_sub(400.min(text.chars().count()));
    // the search's matches in what is hidden are counted on the button
    let matches = re.map_or(0, |re| {
        crate::trace::filter::match_ranges(re, text, 1000)
            .len()
            .saturating_sub(crate::trace::filter::match_ranges(re, &head, 1000).len())
    });
    let matches = match matches {
        0 => String::new(),
        n => format!(" ({})", crate::workspace::count_of(n, "match", "matches")),
    };
    if ui
        .small_button(format!(
            "… {} more characters{matches}: unfold {role}",
            fmt_chars(hidden)
        ))
        .clicked()
    {
        state.unfolded_roles.insert(role.to_owned());
    }
}

/// "8,912".
fn fmt_chars(n: usize) -> String {
    crate::workspace::fmt_count(n)
}

/// Wrapped, selectable text (Markdown rendered unless `markdown` is off) with search matches
/// highlighted; very long texts show their start and a button for the rest.
fn long_text(
    ui: &mut egui::Ui,
    s: &str,
    id: Id,
    expanded: &mut HashSet<Id>,
    re: Option<&regex::bytes::Regex>,
    large: bool,
    markdown: bool,
) {
    let cut = if s.len() <= theme::TEXT_SHOWN_CHARS || expanded.contains(&id) {
        s.len()
    } else {
        s.char_indices()
            .nth(theme::TEXT_SHOWN_CHARS)
            .map_or(s.len(), |(i, _)| i)
    };
    let shown = &s[..cut];
    let size = if large {
        theme::FINAL_ANSWER_SIZE
    } else {
        egui::TextStyle::Body.resolve(ui.style()).size
    };
    if markdown && crate::trace::markdown::looks_like_markdown(shown) {
        rich::markdown(ui, &crate::trace::markdown::parse(shown), size, re);
    } else {
        let re = re.filter(|re| re.is_match(shown.as_bytes()));
        ui.add(Label::new(rich::marked(shown, re, rich::body(ui, size))).wrap());
    }
    if cut < s.len()
        && ui
            .button(format!("Show all ({:.1} MB)", s.len() as f64 / 1e6))
            .clicked()
    {
        expanded.insert(id);
    }
}
