//! The span tree of an agent trace: one row a span, indented under its parent and collapsible,
//! with its kind, name and duration drawn on the trace's time axis (a waterfall). Rows are
//! painted directly and only the visible ones, so a trace of thousands of spans stays smooth.

use std::collections::HashSet;
use std::sync::Arc;

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, pos2, vec2};

use crate::action::Action;
use crate::trace::content::{self, Content};
use crate::trace::span_tree::{Node, Tree};
use crate::trace::store::TraceStore;
use crate::ui::theme;

/// Height of one span row.
const ROW: f32 = 18.0;
/// Indent per level.
const INDENT: f32 = 14.0;

/// The tree of the trace shown, the span selected in it and the spans folded.
#[derive(Default)]
pub struct SpanState {
    /// The row whose tree this is.
    pub row: Option<u32>,
    /// The tree.
    pub tree: Option<Arc<Tree>>,
    /// The selected node (`None`: the whole trace).
    pub selected: Option<usize>,
    /// Folded nodes.
    pub collapsed: HashSet<usize>,
    /// Scroll the selected node into view on the next frame.
    pub scroll_to: bool,
    /// Nodes whose input or output matches the search, and the search they were found for.
    pub matches: HashSet<usize>,
    matched_for: Option<String>,
    contents: Option<(usize, Arc<(Content, Content)>)>,
}

impl SpanState {
    /// Builds the tree when another trace is shown (`None` for a store of single records).
    pub fn sync(&mut self, store: &TraceStore, row: u32) {
        if self.row == Some(row) {
            return;
        }
        *self = SpanState {
            row: Some(row),
            tree: Tree::of(store, row as usize).map(Arc::new),
            ..SpanState::default()
        };
    }

    /// Marks the nodes whose own text matches the search (once per search and trace).
    pub fn mark_matches(&mut self, store: &TraceStore, re: Option<&regex::bytes::Regex>) {
        // asked every frame: compared without allocating
        if self.matched_for.as_deref() == re.map(regex::bytes::Regex::as_str) {
            return;
        }
        self.matched_for = re.map(|r| r.as_str().to_owned());
        self.matches.clear();
        let (Some(tree), Some(re)) = (&self.tree, re) else {
            return;
        };
        let mut buf = String::new();
        for (n, node) in tree.nodes.iter().enumerate() {
            let hit = node.spans.iter().any(|&i| {
                [store.span_input(i as usize), store.span_output(i as usize)]
                    .into_iter()
                    .flatten()
                    .any(|raw| {
                        buf.clear();
                        crate::trace::text::decoded_strings(raw, &mut buf);
                        re.is_match(buf.as_bytes())
                    })
            });
            if hit {
                self.matches.insert(n);
            }
        }
    }

    /// Forgets the tree (another dump was opened).
    pub fn clear(&mut self) {
        *self = SpanState::default();
    }

    /// Moves the selection through the shown spans; above the first span is the whole trace.
    pub fn move_by(&mut self, delta: i64) {
        let Some(tree) = &self.tree else { return };
        let visible = tree.visible(&self.collapsed);
        if visible.is_empty() {
            return;
        }
        let at = self
            .selected
            .and_then(|s| visible.iter().position(|&v| v == s));
        let next = match at {
            None if delta > 0 => Some(0),
            None => None,
            Some(i) => {
                let j = i as i64 + delta;
                (j >= 0).then(|| (j as usize).min(visible.len() - 1))
            }
        };
        self.selected = next.map(|i| visible[i]);
        self.scroll_to = true;
    }

    /// Folds (`open: false`) or unfolds the selected span; folding a leaf selects its parent.
    pub fn fold(&mut self, open: bool) {
        let (Some(tree), Some(s)) = (&self.tree, self.selected) else {
            return;
        };
        let Some(node) = tree.nodes.get(s) else {
            return;
        };
        if open {
            self.collapsed.remove(&s);
        } else if node.children > 0 && !self.collapsed.contains(&s) {
            self.collapsed.insert(s);
        } else if let Some(parent) = (0..s).rev().find(|&p| tree.nodes[p].depth < node.depth) {
            self.selected = Some(parent);
            self.scroll_to = true;
        }
    }

    /// The selected node.
    pub fn selected_node(&self) -> Option<&Node> {
        self.tree.as_ref()?.nodes.get(self.selected?)
    }

    /// Selects the node whose span id is `id` (the marked first failure), unfolding its
    /// ancestors.
    pub fn select_id(&mut self, id: &str) {
        let Some(tree) = &self.tree else { return };
        let Some(i) = tree.node_of_id(id) else { return };
        let depth = tree.nodes[i].depth;
        let mut d = depth;
        for p in (0..i).rev() {
            if tree.nodes[p].depth < d {
                self.collapsed.remove(&p);
                d = tree.nodes[p].depth;
            }
        }
        self.selected = Some(i);
        self.scroll_to = true;
    }

    /// The selected span's own input and output (a transcript's merged lines as one message
    /// list), parsed once.
    pub fn contents(&mut self, store: &TraceStore) -> Option<Arc<(Content, Content)>> {
        let s = self.selected?;
        if let Some((at, c)) = &self.contents
            && *at == s
        {
            return Some(c.clone());
        }
        let node = self.tree.as_ref()?.nodes.get(s)?;
        let inputs: Vec<&str> = node
            .spans
            .iter()
            .filter_map(|&i| store.span_input(i as usize))
            .collect();
        let input = match inputs.as_slice() {
            [] => Content::Missing,
            [one] => content::from_raw(Some(one)),
            many => content::from_raw(Some(&format!("[{}]", many.join(",")))),
        };
        let output = node
            .spans
            .iter()
            .rev()
            .find_map(|&i| store.span_output(i as usize))
            .map_or(Content::Missing, |o| content::from_raw(Some(o)));
        let c = Arc::new((input, output));
        self.contents = Some((s, c.clone()));
        Some(c)
    }
}

fn kind_color(kind: &str, dark: bool) -> Color32 {
    let k = kind.to_ascii_lowercase();
    let (llm, tool) = crate::trace::span_facts::kind_class(kind);
    let (light, darkc) = if tool {
        (
            Color32::from_rgb(176, 96, 0),
            Color32::from_rgb(240, 170, 80),
        )
    } else if llm {
        (
            Color32::from_rgb(30, 100, 200),
            Color32::from_rgb(110, 170, 250),
        )
    } else if ["agent", "chain"].iter().any(|w| k.contains(w)) {
        (
            Color32::from_rgb(120, 60, 170),
            Color32::from_rgb(190, 140, 240),
        )
    } else if ["retriev", "embed", "rerank"].iter().any(|w| k.contains(w)) {
        (
            Color32::from_rgb(0, 128, 100),
            Color32::from_rgb(90, 210, 170),
        )
    } else {
        (Color32::from_gray(110), Color32::from_gray(160))
    };
    if dark { darkc } else { light }
}

/// A duration as people read it.
pub fn fmt_ms(ms: f64) -> String {
    match ms {
        m if m < 1.0 => format!("{:.0} µs", m * 1000.0),
        m if m < 1000.0 => format!("{m:.0} ms"),
        m if m < 60_000.0 => format!("{:.1} s", m / 1000.0),
        m => format!(
            "{:.0} min {:.0} s",
            (m / 60_000.0).floor(),
            (m % 60_000.0) / 1000.0
        ),
    }
}

/// The tree: a header line, then the span rows. `marked`: the span id marked as the first
/// failure.
pub fn ui(ui: &mut egui::Ui, state: &mut SpanState, marked: Option<&str>) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some(tree) = state.tree.clone() else {
        return actions;
    };
    let errors = tree.nodes.iter().filter(|n| n.error).count();
    ui.horizontal(|ui| {
        ui.strong(format!("Spans ({})", tree.nodes.len()));
        if errors > 0 {
            ui.colored_label(
                theme::error_color(ui.visuals().dark_mode),
                format!("{errors} in error"),
            );
        }
        if tree.t1 > tree.t0 {
            ui.weak(fmt_ms(tree.t1 - tree.t0));
        }
        if state.matched_for.is_some() {
            ui.label(
                egui::RichText::new(format!("{} match the search", state.matches.len()))
                    .color(Color32::BLACK)
                    .background_color(theme::highlight_color()),
            );
        }
        if ui
            .selectable_label(state.selected.is_none(), "whole trace")
            .on_hover_text("Show the trace's input and output (Shift+K above the first span)")
            .clicked()
        {
            actions.push(Action::SelectSpan(None));
        }
        ui.weak("Shift+J/K move · ←/→ fold · Shift+F first failure");
    });
    let visible = tree.visible(&state.collapsed);
    let span = (tree.t1 - tree.t0).max(1e-9);
    let timed = tree.t0.is_finite() && tree.t1.is_finite() && tree.t1 > tree.t0;
    let scroll_row = state
        .scroll_to
        .then(|| {
            state
                .selected
                .and_then(|s| visible.iter().position(|&v| v == s))
        })
        .flatten();
    state.scroll_to = false;
    let mut area = egui::ScrollArea::vertical()
        .id_salt("span-tree")
        .auto_shrink(false);
    if let Some(at) = scroll_row {
        // keep the selected row in view: scroll so it sits a few rows from the top
        let spacing = ui.spacing().item_spacing.y;
        area = area.vertical_scroll_offset(((at as f32 - 3.0).max(0.0)) * (ROW + spacing));
    }
    area.show_rows(ui, ROW, visible.len(), |ui, range| {
        let width = ui.available_width();
        let name_w = (width * 0.45).clamp(160.0, 520.0);
        let dur_w = 70.0;
        let axis = Axis {
            t0: tree.t0,
            span,
            timed,
            name_w,
            dur_w,
        };
        for &i in &visible[range] {
            actions.extend(span_row(ui, &tree, i, state, marked, &axis));
        }
    });
    actions
}

/// Where a row's parts go: the time axis and the name and duration columns.
#[derive(Clone, Copy)]
struct Axis {
    t0: f64,
    span: f64,
    timed: bool,
    name_w: f32,
    dur_w: f32,
}

/// One span's row: fold arrow, kind, name, duration and its bar on the time axis.
fn span_row(
    ui: &mut egui::Ui,
    tree: &Tree,
    i: usize,
    state: &SpanState,
    marked: Option<&str>,
    axis: &Axis,
) -> Option<Action> {
    let Axis {
        timed,
        name_w,
        dur_w,
        ..
    } = *axis;
    let dark = ui.visuals().dark_mode;
    let width = ui.available_width();
    let n = &tree.nodes[i];
    let (rect, resp) = ui.allocate_exact_size(vec2(width, ROW), Sense::click());
    let painter = ui.painter_at(rect);
    let selected = state.selected == Some(i);
    if selected {
        painter.rect_filled(rect, 2.0, ui.visuals().selection.bg_fill);
    } else if resp.hovered() {
        painter.rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
    }
    let is_marked = marked.is_some_and(|m| !m.is_empty() && m == n.id);
    let x0 = rect.left() + 4.0 + f32::from(n.depth.min(40)) * INDENT;
    let mid = rect.center().y;
    let text_color = if n.error {
        theme::error_color(dark)
    } else {
        ui.visuals().text_color()
    };
    if n.children > 0 {
        let open = !state.collapsed.contains(&i);
        painter.text(
            pos2(x0, mid),
            Align2::LEFT_CENTER,
            if open { "▾" } else { "▸" },
            FontId::proportional(12.0),
            text_color,
        );
    }
    let mut x = x0 + 12.0;
    if !n.kind.is_empty() {
        let badge = painter.text(
            pos2(x, mid),
            Align2::LEFT_CENTER,
            n.kind.to_uppercase(),
            FontId::monospace(10.0),
            kind_color(&n.kind, dark),
        );
        x = badge.right() + 6.0;
    }
    let mut label = n.name.clone();
    if n.error {
        label.insert_str(0, "✖ ");
    }
    if is_marked {
        label.insert_str(0, "⚑ ");
    }
    if state.matches.contains(&i) {
        // the span's own text matches the search
        painter.rect_filled(
            Rect::from_min_max(
                pos2(x - 2.0, rect.top() + 2.0),
                pos2(x + 3.0, rect.bottom() - 2.0),
            ),
            1.0,
            theme::highlight_color(),
        );
        x += 6.0;
    }
    let name_rect = Rect::from_min_max(
        pos2(x, rect.top()),
        pos2(rect.left() + name_w, rect.bottom()),
    );
    ui.painter_at(name_rect).text(
        pos2(x, mid),
        Align2::LEFT_CENTER,
        label,
        FontId::proportional(13.0),
        if is_marked {
            theme::warn_color(dark)
        } else {
            text_color
        },
    );
    if let Some(d) = n.duration_ms().filter(|&d| timed && d > 0.0) {
        painter.text(
            pos2(rect.left() + name_w + dur_w - 6.0, mid),
            Align2::RIGHT_CENTER,
            fmt_ms(d),
            FontId::monospace(11.0),
            ui.visuals().weak_text_color(),
        );
    }
    bar(ui, n, rect, axis, is_marked);
    let said = if is_marked {
        format!("⚑ {}", n.name)
    } else {
        n.name.clone()
    };
    resp.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &said));
    let resp = resp.on_hover_text(hover_text(n));
    if resp.clicked() {
        let on_toggle = resp
            .interact_pointer_pos()
            .is_some_and(|p| p.x < x0 + 12.0 && n.children > 0);
        return Some(if on_toggle {
            Action::ToggleSpanFold(i)
        } else {
            Action::SelectSpan(Some(i))
        });
    }
    None
}

/// A span's bar on the trace's time axis (red in error, outlined when marked).
fn bar(ui: &egui::Ui, n: &Node, rect: Rect, axis: &Axis, is_marked: bool) {
    let Axis {
        t0,
        span,
        timed,
        name_w,
        dur_w,
    } = *axis;
    let dark = ui.visuals().dark_mode;
    let painter = ui.painter_at(rect);
    let mid = rect.center().y;
    let bar_left = rect.left() + name_w + dur_w;
    let bar_w = (rect.right() - 6.0 - bar_left).max(10.0);
    if timed && n.start.is_finite() {
        let a = bar_left + ((n.start - t0) / span) as f32 * bar_w;
        let b = bar_left + ((n.end.max(n.start) - t0) / span) as f32 * bar_w;
        let bar = Rect::from_min_max(pos2(a, mid - 5.0), pos2(b.max(a + 2.0), mid + 5.0));
        let color = if n.error {
            theme::error_color(dark)
        } else {
            kind_color(&n.kind, dark)
        };
        painter.rect_filled(bar, 2.0, color);
        if is_marked {
            painter.rect_stroke(
                bar.expand(2.0),
                2.0,
                Stroke::new(1.5, theme::warn_color(dark)),
                StrokeKind::Outside,
            );
        }
    }
}

fn hover_text(n: &Node) -> String {
    let mut t = format!("{}\n", n.name);
    if !n.kind.is_empty() {
        t.push_str(&format!("kind: {}\n", n.kind));
    }
    if !n.id.is_empty() {
        t.push_str(&format!("span id: {}\n", n.id));
    }
    if n.start.is_finite() {
        t.push_str(&format!(
            "start: {}\n",
            crate::coding::time::rfc3339_ms(n.start)
        ));
    }
    if let Some(d) = n.duration_ms() {
        t.push_str(&format!("duration: {}\n", fmt_ms(d)));
    }
    if n.error {
        t.push_str("status: error\n");
    }
    if n.spans.len() > 1 {
        t.push_str(&format!("{} records (one response)\n", n.spans.len()));
    }
    t.trim_end().to_owned()
}

/// A span's record as attribute rows: top-level fields, objects one level down.
pub fn attributes(record: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(record)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (k, v) in &map {
        match v {
            serde_json::Value::Object(inner) if !inner.is_empty() => {
                for (k2, v2) in inner {
                    out.push((format!("{k}.{k2}"), show(v2)));
                }
            }
            other => out.push((k.clone(), show(other))),
        }
    }
    out
}
