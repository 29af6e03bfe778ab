//! The axial-coding screen: every open-coding note, "propose categories" (offline clusterer or
//! an LLM), and the review of the proposal: rename, describe, move notes, merge, drop, add; nothing
//! reaches the codebook until the expert accepts.

use egui::{RichText, TextEdit};

use crate::action::Action;
use crate::llm::client::{Api, Provider};
use crate::llm::proposal::{Proposal, ProposedCategory};
use crate::project::Project;
use crate::ui::theme;

/// State of the axial-coding window.
pub struct AxialUi {
    /// Whether the window is open.
    pub open: bool,
    /// Filter over the notes list.
    pub filter: String,
    /// The proposal under review, and who made it (`offline` or provider/model).
    pub proposal: Option<(Proposal, String)>,
    /// A request is in flight.
    pub waiting: bool,
    /// The last error (with the response text).
    pub error: Option<String>,
    /// The result of "test connection".
    pub status: Option<String>,
    /// Provider settings (the key in memory only, unless `remember_key`).
    pub provider: Provider,
    /// Keep the key in a file only the user can read (never in a project folder or settings).
    pub remember_key: bool,
    /// Where a remembered key is kept, in words (shown on the checkbox).
    pub key_location: String,
    /// An embeddings endpoint to group notes by (its key in memory only).
    pub embeddings: crate::llm::embeddings::Endpoint,
}

/// An API's default base URL and model.
fn defaults(api: Api) -> (&'static str, &'static str) {
    match api {
        Api::Anthropic => ("https://api.anthropic.com", "claude-sonnet-4-5"),
        Api::OpenAi => ("https://api.openai.com", "gpt-4o-mini"),
    }
}

/// After the API changed: the base URL, model (and, natively, the key from the environment)
/// follow it, unless the user had typed their own.
pub fn switch_defaults(provider: &mut Provider, from: Api) {
    let (old_url, old_model) = defaults(from);
    let (url, model) = defaults(provider.api);
    if provider.base_url.trim().is_empty() || provider.base_url == old_url {
        url.clone_into(&mut provider.base_url);
    }
    if provider.model.trim().is_empty() || provider.model == old_model {
        model.clone_into(&mut provider.model);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let var = |api: Api| match api {
            Api::Anthropic => "ANTHROPIC_API_KEY",
            Api::OpenAi => "OPENAI_API_KEY",
        };
        let old_key = std::env::var(var(from)).unwrap_or_default();
        if provider.api_key.is_empty() || provider.api_key == old_key {
            provider.api_key = std::env::var(var(provider.api)).unwrap_or_default();
        }
    }
}

impl Default for AxialUi {
    fn default() -> Self {
        let mut provider = Provider {
            api: Api::Anthropic,
            base_url: defaults(Api::Anthropic).0.to_owned(),
            model: defaults(Api::Anthropic).1.to_owned(),
            max_tokens: 4096,
            ..Default::default()
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            provider.api_key = std::env::var("ANTHROPIC_API_KEY").unwrap_or_default();
        }
        #[cfg(target_arch = "wasm32")]
        {
            provider.browser = true;
        }
        AxialUi {
            open: false,
            filter: String::new(),
            proposal: None,
            waiting: false,
            error: None,
            status: None,
            provider,
            remember_key: false,
            key_location: String::new(),
            embeddings: Default::default(),
        }
    }
}

/// Draws the window.
pub fn ui(ctx: &egui::Context, state: &mut AxialUi, project: &Project) -> Vec<Action> {
    let mut actions = Vec::new();
    if !state.open {
        return actions;
    }
    let mut open = true;
    egui::Window::new("Axial coding")
        .id(egui::Id::unique("axial-window"))
        .open(&mut open)
        .default_size(super::theme::large_window(ctx))
        .show(ctx, |ui| {
            let dark = ui.visuals().dark_mode;
            let notes: Vec<_> = project
                .labels
                .latest()
                .into_iter()
                .filter(|e| !e.note.trim().is_empty())
                .collect();
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{} notes", notes.len())).strong());
                let l = ui.label("filter");
                ui.add(TextEdit::singleline(&mut state.filter).desired_width(200.0))
                    .labelled_by(l.id);
            });
            egui::CollapsingHeader::new("Open-coding notes")
                .id_salt("axial-notes")
                .default_open(state.proposal.is_none())
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("axial-notes-scroll")
                        .max_height(160.0)
                        .show(ui, |ui| {
                            let f = state.filter.to_lowercase();
                            for e in notes
                                .iter()
                                .filter(|e| f.is_empty() || e.note.to_lowercase().contains(&f))
                            {
                                ui.horizontal_wrapped(|ui| {
                                    if ui.link(&e.trace_id).clicked() {
                                        actions.push(Action::JumpTo(e.trace_id.clone()));
                                    }
                                    if let Some(v) = e.verdict {
                                        let fail = v == crate::coding::Verdict::Fail;
                                        ui.colored_label(
                                            theme::verdict_color(fail, dark),
                                            if fail { "fail" } else { "pass" },
                                        );
                                    }
                                    ui.label(crate::trace::content::one_line(&e.note, 120));
                                    if !e.categories.is_empty() {
                                        ui.weak(format!("[{}]", e.categories.join(", ")));
                                    }
                                });
                            }
                        });
                });
            ui.separator();
            provider_row(ui, state, &mut actions);
            embeddings_row(ui, state, &mut actions);
            if let Some(e) = &state.error {
                ui.colored_label(theme::error_color(dark), e);
            }
            if let Some(s) = &state.status {
                ui.colored_label(theme::verdict_color(false, dark), s);
            }
            let Some((proposal, source)) = &mut state.proposal else {
                ui.weak("No proposal yet. The codebook changes only when you accept one.");
                return;
            };
            ui.label(
                RichText::new(format!(
                    "Proposal from {source}: {} categories",
                    proposal.categories.len()
                ))
                .strong(),
            );
            review(ui, proposal, project);
            ui.horizontal(|ui| {
                if ui.button("Add a category").clicked() {
                    proposal.categories.push(ProposedCategory {
                        name: format!("new category {}", proposal.categories.len() + 1),
                        ..Default::default()
                    });
                }
                if ui.button("Accept into the codebook").clicked() {
                    actions.push(Action::AcceptProposal);
                }
                if ui.button("Discard").clicked() {
                    actions.push(Action::DiscardProposal);
                }
            });
        });
    if !open {
        state.open = false;
    }
    actions
}

/// Propose offline, or with an LLM: API, base URL, model, key, test, propose, cancel.
fn provider_row(ui: &mut egui::Ui, state: &mut AxialUi, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
                if ui.button("Propose categories (offline)").clicked() {
                    actions.push(Action::ProposeOffline);
                }
                ui.separator();
                let api_before = state.provider.api;
                crate::ui::choice(
                    ui,
                    egui::ComboBox::from_label("API"),
                    &mut state.provider.api,
                    &[(Api::Anthropic, "Anthropic"), (Api::OpenAi, "OpenAI-compatible")],
                );
                if state.provider.api != api_before {
                    switch_defaults(&mut state.provider, api_before);
                }
                let l = ui.label("base URL");
                ui.add(TextEdit::singleline(&mut state.provider.base_url).desired_width(200.0))
                    .labelled_by(l.id);
                let l = ui.label("model");
                ui.add(TextEdit::singleline(&mut state.provider.model).desired_width(130.0))
                    .labelled_by(l.id);
                let l = ui.label("key");
                ui.add(
                    TextEdit::singleline(&mut state.provider.api_key)
                        .password(true)
                        .desired_width(110.0),
                )
                .labelled_by(l.id);
                ui.checkbox(&mut state.remember_key, "remember").on_hover_text(format!(
                    "Keep the key on this machine: {} (never in the project folder, the settings or an export)",
                    state.key_location
                ));
                if ui.button("Test connection").clicked() {
                    actions.push(Action::TestConnection);
                }
                if state.waiting {
                    ui.spinner();
                    if ui.button("Cancel").clicked() {
                        actions.push(Action::CancelPropose);
                    }
                } else if ui.button("Propose with the LLM").clicked() {
                    actions.push(Action::ProposeLlm);
                }
            });
}

/// Propose by embeddings: an OpenAI-compatible endpoint's URL, model and key.
fn embeddings_row(ui: &mut egui::Ui, state: &mut AxialUi, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        let e = &mut state.embeddings;
        let l = ui.label("embeddings URL");
        ui.add(
            TextEdit::singleline(&mut e.url)
                .hint_text("http://127.0.0.1:11434/v1/embeddings")
                .desired_width(240.0),
        )
        .labelled_by(l.id)
        .on_hover_text("An OpenAI-compatible /v1/embeddings endpoint: a local Ollama or llama.cpp server, or a hosted API");
        let l = ui.label("model");
        ui.add(
            TextEdit::singleline(&mut e.model)
                .hint_text("nomic-embed-text")
                .desired_width(130.0),
        )
        .labelled_by(l.id);
        let l = ui.label("key");
        ui.add(
            TextEdit::singleline(&mut e.api_key)
                .password(true)
                .desired_width(90.0),
        )
        .labelled_by(l.id)
        .on_hover_text("Only if the endpoint wants one; kept in memory only");
        if !state.waiting
            && ui
                .add_enabled(!e.url.trim().is_empty(), egui::Button::new("Propose by embeddings"))
                .clicked()
        {
            actions.push(Action::ProposeEmbeddings);
        }
    });
}

/// The editable proposal: names, descriptions, notes moved between categories, merges, drops.
fn review(ui: &mut egui::Ui, proposal: &mut Proposal, project: &Project) {
    let names: Vec<String> = proposal.categories.iter().map(|c| c.name.clone()).collect();
    let mut moves: Vec<(usize, usize, usize)> = Vec::new(); // (from, note index, to)
    let mut merge: Option<(usize, usize)> = None;
    let mut drop: Option<usize> = None;
    let mut split: Option<usize> = None;
    egui::ScrollArea::vertical()
        .id_salt("axial-proposal")
        .max_height(300.0)
        .show(ui, |ui| {
            for (ci, c) in proposal.categories.iter_mut().enumerate() {
                ui.group(|ui| {
                    ui.horizontal(|ui| {
                        let l = ui.label("name");
                        ui.add(TextEdit::singleline(&mut c.name).desired_width(200.0))
                            .labelled_by(l.id);
                        if project.codebook.get(c.name.trim()).is_some() {
                            ui.weak("(in the codebook already)");
                        }
                        ui.menu_button("Merge into", |ui| {
                            for (oi, other) in names.iter().enumerate() {
                                if oi != ci && ui.button(other).clicked() {
                                    merge = Some((ci, oi));
                                }
                            }
                        });
                        if ui.button("Drop").clicked() {
                            drop = Some(ci);
                        }
                        if ui
                            .button("Split")
                            .on_hover_text(
                                "Add an empty category after this one; move notes into it",
                            )
                            .clicked()
                        {
                            split = Some(ci);
                        }
                    });
                    if c.examples.len() > 3 {
                        // the notes come most typical first
                        let typical: Vec<String> = c
                            .examples
                            .iter()
                            .take(3)
                            .map(|n| crate::trace::content::one_line(n, 60))
                            .collect();
                        ui.weak(format!("typical: {}", typical.join(" · ")));
                    }
                    if !c.tags.is_empty() {
                        ui.horizontal_wrapped(|ui| {
                            ui.weak("absorbs the tags");
                            for t in &c.tags {
                                crate::ui::chips::mini_chip(ui, t);
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        let l = ui.label("description");
                        ui.add(TextEdit::singleline(&mut c.description).desired_width(480.0))
                            .labelled_by(l.id);
                    });
                    for (ni, note) in c.examples.iter().enumerate() {
                        ui.horizontal(|ui| {
                            ui.label(crate::trace::content::one_line(note, 90));
                            ui.menu_button("move to", |ui| {
                                for (oi, other) in names.iter().enumerate() {
                                    if oi != ci && ui.button(other).clicked() {
                                        moves.push((ci, ni, oi));
                                    }
                                }
                            });
                        });
                    }
                });
            }
            if !proposal.unassigned.is_empty() {
                ui.label(
                    RichText::new(format!("Unassigned notes ({})", proposal.unassigned.len()))
                        .strong(),
                );
                for n in &proposal.unassigned {
                    ui.weak(crate::trace::content::one_line(n, 100));
                }
            }
            if !proposal.rejected_examples.is_empty() {
                ui.label(format!(
                    "Examples rejected (not among the notes): {}",
                    proposal.rejected_examples.len()
                ));
            }
        });
    // the edits are the proposal's own methods (llm/proposal.rs), tested without a window
    for (from, ni, to) in moves {
        proposal.move_note(from, ni, to);
    }
    if let Some((from, into)) = merge {
        proposal.merge(from, into);
    }
    if let Some(i) = split {
        proposal.split(i);
    }
    if let Some(i) = drop {
        proposal.drop_category(i);
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn switching_the_api_switches_untouched_defaults_only() {
        let mut p = AxialUi::default().provider;
        p.api = Api::OpenAi;
        switch_defaults(&mut p, Api::Anthropic);
        assert_eq!(
            (p.base_url.as_str(), p.model.as_str()),
            ("https://api.openai.com", "gpt-4o-mini")
        );
        p.base_url = "http://127.0.0.1:11434".into();
        p.api = Api::Anthropic;
        switch_defaults(&mut p, Api::OpenAi);
        assert_eq!(
            (p.base_url.as_str(), p.model.as_str()),
            ("http://127.0.0.1:11434", "claude-sonnet-4-5")
        );
    }
}
