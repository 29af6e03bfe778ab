//! Keyboard shortcuts, read before anything is drawn.

use super::*;

/// Seconds the character of a shortcut key is waited for (it is dropped when it comes).
const SHORTCUT_CHAR_SECS: f64 = 0.5;

impl ErrataApp {
    /// Keyboard shortcuts, read before anything is drawn. Every key of a frame that began with a
    /// text box focused belongs to that box, whatever the order of the frame's events (an Enter
    /// or Esc that ends the box does not hand the keys after it to the shortcuts). A shortcut that
    /// focuses a box (`e`, `t`, `/`, `w`, `g`) hands it the rest of the frame's keys, and the
    /// character a shortcut key types is dropped so that no box receives it.
    pub(super) fn keys(&mut self, ctx: &egui::Context) {
        // a pass egui runs again without the frame's input (after a discarded one) has no keys,
        // and must not forget the character a shortcut of the discarded pass is still owed
        if ctx.input(|i| i.events.is_empty()) {
            return;
        }
        // the character of a shortcut may arrive frames after its key (in the browser it comes
        // through the text box the shortcut focused): it is the shortcut's, never a box's. It is
        // owed until the next character or key, for a moment at most.
        if let Some((c, until)) = self.shortcut_char.take() {
            let now = ctx.input(|i| i.time);
            ctx.input_mut(|i| {
                let first_text = i.events.iter().position(|e| {
                    matches!(
                        e,
                        egui::Event::Text(_) | egui::Event::Key { pressed: true, .. }
                    )
                });
                match first_text {
                    Some(at) => {
                        if matches!(&i.events[at], egui::Event::Text(t) if t.eq_ignore_ascii_case(&c))
                        {
                            i.events.remove(at);
                        }
                    }
                    None if now <= until => self.shortcut_char = Some((c, until)),
                    None => {}
                }
            });
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let bindings = bindings(self.draft.structured);
        let mut effects = Vec::new();
        let mut last_char = None;
        ctx.input_mut(|i| {
            // in the order pressed (j f j p in one frame is two traces labelled, not one), each
            // press by the first binding that matches it (Shift+N before N)
            let events = std::mem::take(&mut i.events);
            let mut to_box = false; // a shortcut focused a text box: the rest of the frame is its
            let mut drop_text = false; // the character typed by the shortcut key just read
            for ev in events {
                match &ev {
                    egui::Event::Text(_) if drop_text => {
                        drop_text = false;
                        last_char = None;
                        continue;
                    }
                    egui::Event::Key {
                        key,
                        pressed: true,
                        modifiers,
                        ..
                    } if !to_box => {
                        drop_text = false;
                        if let Some((_, _, effect)) = bindings
                            .iter()
                            .find(|(m, k, _)| k == key && modifiers.matches_logically(*m))
                        {
                            to_box = matches!(effect, KeyEffect::Focus(_) | KeyEffect::Jump);
                            let symbol = key.symbol_or_name();
                            // the browser sends a key's character before the key itself
                            if matches!(i.events.last(), Some(egui::Event::Text(t)) if t.eq_ignore_ascii_case(symbol))
                            {
                                i.events.pop();
                                drop_text = false;
                                last_char = None;
                            } else {
                                drop_text = true;
                                last_char = Some(symbol.to_owned());
                            }
                            effects.push(effect.clone());
                            continue;
                        }
                    }
                    egui::Event::Key { pressed: true, .. } => {
                        drop_text = false;
                        last_char = None;
                    }
                    _ => {}
                }
                i.events.push(ev);
            }
        });
        // a shortcut whose character has not come yet: drop it when it comes
        if let Some(c) = last_char {
            self.shortcut_char = Some((c, ctx.input(|i| i.time) + SHORTCUT_CHAR_SECS));
        }
        for effect in effects {
            match effect {
                KeyEffect::Act(a) => self.pending.push(a),
                KeyEffect::Focus(id) => ctx.memory_mut(|m| m.request_focus(id)),
                KeyEffect::Jump => {
                    // focused before it is drawn, so that the keys after `g` are its own
                    self.draft.jump = Some(String::new());
                    ctx.memory_mut(|m| m.request_focus(ui::coding::jump_id()));
                }
                KeyEffect::Codebook => self.codebook_ui.open = !self.codebook_ui.open,
                KeyEffect::Axial => self.axial.open = !self.axial.open,
                KeyEffect::Help => self.dialogs.help = !self.dialogs.help,
                KeyEffect::Close => self.dialogs.help = false,
            }
        }
    }
}

/// Every shortcut: modifiers, key, what it does (`Enter` confirms only in the structured pass).
fn bindings(structured: bool) -> Vec<(egui::Modifiers, egui::Key, KeyEffect)> {
    use egui::{Key, Modifiers};
    const NONE: Modifiers = Modifiers::NONE;
    let act = KeyEffect::Act;
    let mut bindings: Vec<(Modifiers, Key, KeyEffect)> = vec![
        (Modifiers::COMMAND, Key::O, act(Action::OpenDialog)),
        // Shift bindings before the plain ones: a plain binding also matches with Shift held
        (Modifiers::SHIFT, Key::J, act(Action::MoveSpan(1))),
        (Modifiers::SHIFT, Key::K, act(Action::MoveSpan(-1))),
        (Modifiers::SHIFT, Key::F, act(Action::MarkFirstFailure)),
        (NONE, Key::ArrowDown, act(Action::Move(1))),
        (NONE, Key::J, act(Action::Move(1))),
        (NONE, Key::ArrowUp, act(Action::Move(-1))),
        (NONE, Key::K, act(Action::Move(-1))),
        (NONE, Key::PageDown, act(Action::Page(1))),
        (NONE, Key::PageUp, act(Action::Page(-1))),
        (NONE, Key::Home, act(Action::First)),
        (NONE, Key::End, act(Action::Last)),
        (NONE, Key::C, act(Action::CopyRecord)),
        (NONE, Key::P, act(Action::SetVerdict(Some(Verdict::Pass)))),
        (NONE, Key::F, act(Action::SetVerdict(Some(Verdict::Fail)))),
        (NONE, Key::X, act(Action::SetVerdict(None))),
        (NONE, Key::U, act(Action::NextUnreviewed)),
        (NONE, Key::O, act(Action::NextUncoded)),
        (NONE, Key::S, act(Action::ToggleStructured)),
        (NONE, Key::Delete, act(Action::ClearFilters)),
        (NONE, Key::Y, act(Action::ConfirmSuggestions)),
        (NONE, Key::R, act(Action::RejectSuggestions)),
        (Modifiers::SHIFT, Key::N, act(Action::Move(-1))),
        (NONE, Key::N, act(Action::Move(1))),
        (NONE, Key::OpenBracket, act(Action::Turn(-1))),
        (NONE, Key::M, act(Action::MarkCompare)),
        (NONE, Key::ArrowRight, act(Action::FoldSpan(true))),
        (NONE, Key::ArrowLeft, act(Action::FoldSpan(false))),
        (NONE, Key::CloseBracket, act(Action::Turn(1))),
        (NONE, Key::E, KeyEffect::Focus(ui::coding::note_id())),
        (NONE, Key::T, KeyEffect::Focus(ui::coding::tag_id())),
        (NONE, Key::Slash, KeyEffect::Focus(ui::filter::search_id())),
        (NONE, Key::W, KeyEffect::Focus(ui::filter::sql_id())),
        (NONE, Key::G, KeyEffect::Jump),
        (NONE, Key::B, KeyEffect::Codebook),
        (NONE, Key::A, KeyEffect::Axial),
        (NONE, Key::Escape, KeyEffect::Close),
        (Modifiers::SHIFT, Key::Questionmark, KeyEffect::Help),
        (NONE, Key::Questionmark, KeyEffect::Help),
    ];
    if structured {
        bindings.push((NONE, Key::Enter, act(Action::ConfirmStructured)));
    }
    let digits = [
        Key::Num1,
        Key::Num2,
        Key::Num3,
        Key::Num4,
        Key::Num5,
        Key::Num6,
        Key::Num7,
        Key::Num8,
        Key::Num9,
    ];
    for (n, k) in digits.into_iter().enumerate() {
        bindings.push((NONE, k, act(Action::ToggleCategoryAt(n))));
    }
    bindings
}
