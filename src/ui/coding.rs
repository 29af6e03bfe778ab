//! The coding panel beside the detail: verdict, note, tag chips, navigation and saturation.
//! Keyboard-first; every control names its key.

use egui::{RichText, TextEdit};

use crate::action::Action;
use crate::coding::{LabelEvent, Verdict};
use crate::project::Project;
use crate::ui::{chips, theme};

/// The coding panel's drafts (UI state that outlives a frame).
#[derive(Default)]
pub struct CodingDraft {
    /// The row the note draft belongs to.
    pub row: Option<u32>,
    /// The trace id the note draft belongs to.
    pub trace_id: String,
    /// The note being typed.
    pub note: String,
    /// When the note last changed (for the debounce).
    pub dirty_since: Option<f64>,
    /// The new-tag box.
    pub new_tag: String,
    /// Jump-to-id box, when open.
    pub jump: Option<String>,
    /// Focus the jump box next frame.
    pub focus_jump: bool,
    /// Structured coding mode.
    pub structured: bool,
    /// The last save error, shown beside the note.
    pub error: Option<String>,
}

impl CodingDraft {
    /// The note draft follows the selection (a pending note was committed on leaving); a note
    /// changed elsewhere (an import, a codebook change) while the draft was clean replaces it,
    /// so that a stale draft is never written back.
    pub fn follow(&mut self, project: &Project, id: &str, row: u32) {
        let saved = project.state(id).map(|s| &s.note);
        if self.trace_id != id || self.row != Some(row) {
            self.row = Some(row);
            self.note = saved.cloned().unwrap_or_default();
            id.clone_into(&mut self.trace_id);
            self.dirty_since = None;
        } else if self.dirty_since.is_none()
            && self.error.is_none()
            && let Some(saved) = saved
            && *saved != self.note
        {
            self.note.clone_from(saved);
        }
    }
}

/// Id of the note box (focused by `e`).
pub fn note_id() -> egui::Id {
    egui::Id::unique("errata-note")
}

/// Id of the new-tag box (focused by `t`).
pub fn tag_id() -> egui::Id {
    egui::Id::unique("errata-new-tag")
}

/// Id of the "You:" box (the author of every label).
pub fn author_id() -> egui::Id {
    egui::Id::unique("errata-author")
}

/// Id of the jump-to-id box (focused by `g`).
pub fn jump_id() -> egui::Id {
    egui::Id::unique("errata-jump")
}

/// Draws the panel for the selected trace.
pub fn ui(
    ui: &mut egui::Ui,
    project: &Project,
    trace_id: &str,
    draft: &mut CodingDraft,
    author: &mut String,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let state = project.state(trace_id);
    mode_ui(ui, project, draft, &mut actions);
    verdict_ui(ui, state, &mut actions);
    note_ui(ui, state, draft, &mut actions);
    chips_ui(ui, project, state, draft, &mut actions);
    navigation_ui(ui, draft, &mut actions);
    saturation_ui(ui, project, author, &mut actions);
    actions
}

/// Open or structured coding, and the structured pass's progress.
fn mode_ui(ui: &mut egui::Ui, project: &Project, draft: &CodingDraft, actions: &mut Vec<Action>) {
    let version = project.codebook.version;
    ui.horizontal(|ui| {
        if ui
            .selectable_label(!draft.structured, "Open coding")
            .clicked()
            && draft.structured
        {
            actions.push(Action::ToggleStructured);
        }
        if ui
            .selectable_label(draft.structured, "Structured coding (s)")
            .clicked()
            && !draft.structured
        {
            actions.push(Action::ToggleStructured);
        }
    });
    if draft.structured {
        let (done, total) = project.structured_progress();
        ui.label(
            RichText::new(format!(
                "{done} of {total} coded, up to date with v{version}"
            ))
            .strong(),
        );
        ui.weak("Number keys toggle chips; Enter confirms and moves to the next trace to code.");
    }
    ui.separator();
}

/// Pass, fail, unreviewed.
fn verdict_ui(ui: &mut egui::Ui, state: Option<&LabelEvent>, actions: &mut Vec<Action>) {
    let dark = ui.visuals().dark_mode;
    // verdict
    ui.horizontal(|ui| {
        ui.label("Verdict");
        let v = state.and_then(|s| s.verdict);
        let pass = RichText::new("Pass (p)").color(theme::verdict_color(false, dark));
        let fail = RichText::new("Fail (f)").color(theme::verdict_color(true, dark));
        if ui
            .selectable_label(v == Some(Verdict::Pass), pass)
            .clicked()
        {
            actions.push(Action::SetVerdict(Some(Verdict::Pass)));
        }
        if ui
            .selectable_label(v == Some(Verdict::Fail), fail)
            .clicked()
        {
            actions.push(Action::SetVerdict(Some(Verdict::Fail)));
        }
        if ui.selectable_label(v.is_none(), "Unreviewed (x)").clicked() {
            actions.push(Action::SetVerdict(None));
        }
    });
}

/// The open-coding note (read-only in the structured pass).
fn note_ui(
    ui: &mut egui::Ui,
    state: Option<&LabelEvent>,
    draft: &mut CodingDraft,
    actions: &mut Vec<Action>,
) {
    let dark = ui.visuals().dark_mode;
    // note
    if draft.structured {
        if let Some(s) = state
            && !s.note.is_empty()
        {
            ui.label(RichText::new("Note").strong());
            ui.add(egui::Label::new(&s.note).wrap());
        }
    } else {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Note (e)").strong());
            let saved = state.map_or("", |s| s.note.as_str()) == draft.note;
            if draft.error.is_some() {
                ui.colored_label(theme::error_color(dark), "not saved");
            } else if saved {
                ui.weak(if draft.note.is_empty() { "" } else { "saved" });
            } else {
                ui.weak("saving…");
            }
        });
        let r = ui.add(
            TextEdit::multiline(&mut draft.note)
                .id(note_id())
                .hint_text("What went wrong, in your own words")
                .desired_rows(4)
                .desired_width(f32::INFINITY),
        );
        if r.changed() {
            draft.dirty_since = Some(ui.input(|i| i.time));
        }
        if r.lost_focus() && draft.dirty_since.is_some() {
            actions.push(Action::CommitNote);
        }
    }
}

/// The tag chips, suggestions to confirm, the re-coding hint and the new-tag box.
fn chips_ui(
    ui: &mut egui::Ui,
    project: &Project,
    state: Option<&LabelEvent>,
    draft: &mut CodingDraft,
    actions: &mut Vec<Action>,
) {
    let dark = ui.visuals().dark_mode;
    // chips
    ui.add_space(4.0);
    ui.label(RichText::new("Tags (1-9 toggle)").strong());
    let on: Vec<String> = state.map(|s| s.categories.clone()).unwrap_or_default();
    ui.horizontal_wrapped(|ui| {
        for (i, c) in project.codebook.categories.iter().enumerate() {
            let key = (i < 9).then_some(i + 1);
            if chips::chip(ui, &c.name, on.contains(&c.name), key).clicked() {
                actions.push(Action::ToggleCategory(c.name.clone()));
            }
        }
        // categories on this trace that the codebook no longer has
        for c in on.iter().filter(|c| project.codebook.index_of(c).is_none()) {
            if chips::chip(ui, c, true, None)
                .on_hover_text("Not in the codebook")
                .clicked()
            {
                actions.push(Action::ToggleCategory(c.clone()));
            }
        }
    });
    if let Some(s) = state
        && !s.suggested.is_empty()
    {
        ui.horizontal_wrapped(|ui| {
            ui.label("Suggested:");
            for c in &s.suggested {
                chips::suggested_chip(ui, c);
            }
            if ui.small_button("Confirm (y)").clicked() {
                actions.push(Action::ConfirmSuggestions);
            }
            if ui.small_button("Reject (r)").clicked() {
                actions.push(Action::RejectSuggestions);
            }
        });
    }
    if let Some(s) = state
        && s.is_coded()
        && crate::project::needs_recoding(s, &project.codebook)
    {
        ui.colored_label(
            theme::warn_color(dark),
            format!(
                "coded under v{}; v{} changed what one of its categories means: code it again (s)",
                s.codebook_version,
                project.codebook.recode_version(&s.categories)
            ),
        );
    }
    tag_box(ui, project, draft, actions);
}

/// The tag box (`t`): type a name and Enter to coin a tag or apply a category; it also picks
/// among the codebook's categories (any number: past the nine the digit keys reach) — the ones
/// whose names hold what is typed are listed, Tab takes the first, a click applies one.
fn tag_box(
    ui: &mut egui::Ui,
    project: &Project,
    draft: &mut CodingDraft,
    actions: &mut Vec<Action>,
) {
    let hint = if draft.structured {
        "category (t): type, Tab, Enter"
    } else {
        "new tag or category (t), Enter"
    };
    let r = ui.add(
        TextEdit::singleline(&mut draft.new_tag)
            .id(tag_id())
            .hint_text(hint)
            .desired_width(220.0)
            // Tab completes here instead of moving the focus
            .lock_focus(true),
    );
    let typed = draft.new_tag.trim().to_lowercase();
    let matches: Vec<&str> = if typed.is_empty() {
        Vec::new()
    } else {
        project
            .codebook
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| n.to_lowercase().contains(&typed))
            .take(8)
            .collect()
    };
    if let Some(first) = matches.first()
        && r.has_focus()
        && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab))
    {
        (*first).clone_into(&mut draft.new_tag);
        r.request_focus();
    }
    if r.lost_focus()
        && ui.input(|i| i.key_pressed(egui::Key::Enter))
        && !draft.new_tag.trim().is_empty()
    {
        actions.push(Action::CoinTag(draft.new_tag.trim().to_owned()));
        draft.new_tag.clear();
    }
    if !matches.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.weak("Tab:");
            for m in &matches {
                if ui.small_button(*m).clicked() {
                    actions.push(Action::ToggleCategory((*m).to_owned()));
                    draft.new_tag.clear();
                }
            }
        });
    }
}

/// Next unreviewed, next uncoded, jump to an id.
fn navigation_ui(ui: &mut egui::Ui, draft: &mut CodingDraft, actions: &mut Vec<Action>) {
    // navigation
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Next unreviewed (u)").clicked() {
            actions.push(Action::NextUnreviewed);
        }
        if ui.button("Next uncoded (o)").clicked() {
            actions.push(Action::NextUncoded);
        }
        if ui.button("Jump to id (g)").clicked() {
            draft.jump = Some(String::new());
            draft.focus_jump = true;
        }
    });
    if let Some(mut jump) = draft.jump.take() {
        let mut done = false;
        ui.horizontal(|ui| {
            let r = ui.add(
                TextEdit::singleline(&mut jump)
                    .id(jump_id())
                    .hint_text("trace id, Enter")
                    .desired_width(220.0),
            );
            if draft.focus_jump {
                r.request_focus();
                draft.focus_jump = false;
            }
            if r.lost_focus() {
                if ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    actions.push(Action::JumpTo(jump.trim().to_owned()));
                }
                done = true;
            }
        });
        if !done {
            draft.jump = Some(jump);
        }
    }
}

/// Saturation, the discovery curve, counts, the author and where labels are saved.
fn saturation_ui(
    ui: &mut egui::Ui,
    project: &Project,
    author: &mut String,
    actions: &mut Vec<Action>,
) {
    let dark = ui.visuals().dark_mode;
    // saturation
    ui.separator();
    let threshold = project.file.saturation_threshold;
    let since = project.saturation().since_last_new;
    ui.label(format!(
        "{} since the last new category (stop at {threshold})",
        crate::workspace::count_of(since, "coded trace", "coded traces")
    ));
    if project.saturation().reached(threshold) {
        ui.colored_label(
            theme::verdict_color(false, dark),
            "Saturation reached: move on to axial coding.",
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label("Stop at");
        let mut t = threshold;
        if ui
            .add(egui::DragValue::new(&mut t).range(1..=500))
            .labelled_by(label.id)
            .changed()
        {
            actions.push(Action::SetThreshold(t));
        }
        ui.label("coded traces in a row with no new category");
    });
    discovery_curve(ui, &project.saturation().curve);
    let s = &project.stats;
    ui.weak(format!(
        "{} reviewed · {} pass · {} fail · {} coded{}",
        s.reviewed,
        s.passed,
        s.failed,
        s.coded,
        if project.unknown_ids > 0 {
            format!(
                " · {} labels for traces not in this dump",
                project.unknown_ids
            )
        } else {
            String::new()
        }
    ));
    ui.horizontal(|ui| {
        let l = ui.label("You:");
        ui.add(
            TextEdit::singleline(author)
                .id(author_id())
                .hint_text("your name")
                .desired_width(140.0),
        )
        .labelled_by(l.id);
    });
    ui.weak(format!("Saved in {}", project.store.location));
}

/// Distinct categories against traces coded, in coding order.
fn discovery_curve(ui: &mut egui::Ui, curve: &[(usize, usize)]) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(320.0), 60.0),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let stroke = ui.visuals().widgets.noninteractive.bg_stroke;
    painter.rect_stroke(rect, 2.0, stroke, egui::StrokeKind::Inside);
    let Some(&(n, k)) = curve.last() else {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "discovery curve: no coded traces yet",
            egui::FontId::proportional(11.0),
            ui.visuals().weak_text_color(),
        );
        return;
    };
    let x = |i: usize| rect.left() + 4.0 + (rect.width() - 8.0) * i as f32 / n.max(1) as f32;
    let y = |c: usize| rect.bottom() - 4.0 - (rect.height() - 8.0) * c as f32 / k.max(1) as f32;
    let mut points = vec![egui::pos2(x(0), y(0))];
    for &(i, c) in curve {
        points.push(egui::pos2(x(i), y(c)));
    }
    painter.add(egui::Shape::line(
        points,
        egui::Stroke::new(1.5, ui.visuals().hyperlink_color),
    ));
    painter.text(
        rect.left_top() + egui::vec2(6.0, 4.0),
        egui::Align2::LEFT_TOP,
        format!("{k} categories / {n} coded"),
        egui::FontId::proportional(11.0),
        ui.visuals().text_color(),
    );
}

/// The event that results from changing a trace's state with `f`.
pub fn next_event(
    state: Option<&LabelEvent>,
    trace_id: &str,
    f: impl FnOnce(&mut LabelEvent),
) -> LabelEvent {
    let mut ev = state.cloned().unwrap_or_else(|| LabelEvent {
        trace_id: trace_id.to_owned(),
        ..Default::default()
    });
    f(&mut ev);
    ev
}
