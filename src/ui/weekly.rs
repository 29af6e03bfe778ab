//! The weekly cadence: draw a seeded review batch (uniform, oversampling failures, stratified),
//! and compare an LLM judge's column with the human verdicts (agreement, TPR/TNR, kappa,
//! confusion, warnings) with a spot-check of five traces that favours disagreements.

use egui::{RichText, TextEdit};

use crate::action::Action;
use crate::coding::agreement::{self, Agreement};
use crate::coding::sampling::{SampleRequest, Strategy};
use crate::project::Project;
use crate::ui::theme;
use crate::workspace::Dataset;
use crate::workspace::judge::{self, JudgeSpec, SpotCheck};

/// Which sampling strategy the window is set to (its settings live beside it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StrategyKind {
    /// Every candidate equally likely.
    #[default]
    Uniform,
    /// A share from the traces a predicate marks.
    Oversample,
    /// Per value of a column.
    Stratified,
}

/// Window state.
pub struct WeeklyUi {
    /// The sampling window is open.
    pub sample_open: bool,
    /// The judge window is open.
    pub judge_open: bool,
    /// Sample size.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Batch name.
    pub name: String,
    /// The strategy chosen (its settings are the fields below).
    pub strategy: StrategyKind,
    /// Oversampling predicate (SQL).
    pub predicate: String,
    /// Oversampling share.
    pub share: f64,
    /// Stratification column.
    pub column: String,
    /// Proportional strata.
    pub proportional: bool,
    /// Judge column.
    pub judge_column: String,
    /// The judge's failing value (empty: read pass/fail words and booleans).
    pub positive: String,
    /// Score threshold (empty: none).
    pub threshold: String,
    /// Rationale column for the spot-check.
    pub rationale_column: String,
    /// Computed figures, and the inputs they were computed for.
    pub result: Option<(String, Agreement, Vec<SpotCheck>)>,
    /// The two annotators compared.
    pub annotators: (String, String),
    /// The judge's column names categories (per-category precision/recall).
    pub category_judge: bool,
    /// Per-category scores, and the inputs they were computed for.
    category_result: Option<(String, Vec<agreement::CategoryScore>)>,
}

impl Default for WeeklyUi {
    fn default() -> Self {
        let today = crate::coding::time::now_rfc3339();
        WeeklyUi {
            sample_open: false,
            judge_open: false,
            n: 15,
            seed: 1,
            name: crate::coding::pareto::iso_week(&today).unwrap_or_else(|| "batch".to_owned()),
            strategy: StrategyKind::Uniform,
            predicate: String::new(),
            share: 0.5,
            column: String::new(),
            proportional: false,
            judge_column: String::new(),
            positive: String::new(),
            threshold: String::new(),
            rationale_column: String::new(),
            result: None,
            annotators: (String::new(), String::new()),
            category_judge: false,
            category_result: None,
        }
    }
}

/// A combo box over the dump's columns.
pub fn column_combo(ui: &mut egui::Ui, label: &str, value: &mut String, d: &Dataset) {
    egui::ComboBox::from_label(label)
        .selected_text(if value.is_empty() {
            "choose…"
        } else {
            value.as_str()
        })
        .show_ui(ui, |ui| {
            for c in d.store.columns() {
                ui.selectable_value(value, c.name.clone(), &c.name);
            }
        });
}

/// Draws the windows.
pub fn ui(
    ctx: &egui::Context,
    state: &mut WeeklyUi,
    d: &Dataset,
    project: &Project,
) -> Vec<Action> {
    let mut actions = Vec::new();
    sample_window(ctx, state, d, project, &mut actions);
    judge_window(ctx, state, d, project, &mut actions);
    actions
}

/// The sampling window: size, seed, strategy, Draw.
fn sample_window(
    ctx: &egui::Context,
    state: &mut WeeklyUi,
    d: &Dataset,
    project: &Project,
    actions: &mut Vec<Action>,
) {
    if state.sample_open {
        let mut open = true;
        egui::Window::new("Sample a review batch").id(egui::Id::unique("sample-window")).open(&mut open).show(ctx, |ui| {
            ui.weak("Draws from the traces the view shows that have no verdict yet (filter first, e.g. WHERE batch = '2026-W48'); the seed and strategy are kept with the batch.");
            ui.horizontal(|ui| {
                let l = ui.label("batch");
                ui.add(TextEdit::singleline(&mut state.name).desired_width(120.0)).labelled_by(l.id);
                let l = ui.label("traces");
                ui.add(egui::DragValue::new(&mut state.n).range(1..=1000)).labelled_by(l.id);
                let l = ui.label("seed");
                ui.add(egui::DragValue::new(&mut state.seed)).labelled_by(l.id);
            });
            ui.horizontal(|ui| {
                ui.radio_value(&mut state.strategy, StrategyKind::Uniform, "uniform");
                ui.radio_value(&mut state.strategy, StrategyKind::Oversample, "oversample failures");
                ui.radio_value(&mut state.strategy, StrategyKind::Stratified, "stratified");
            });
            if state.strategy == StrategyKind::Oversample {
                ui.horizontal(|ui| {
                    let l = ui.label("failures are WHERE");
                    ui.add(TextEdit::singleline(&mut state.predicate).hint_text("judge.verdict = 'fail'").desired_width(220.0)).labelled_by(l.id);
                    let l = ui.label("share");
                    ui.add(egui::Slider::new(&mut state.share, 0.0..=1.0)).labelled_by(l.id);
                });
            }
            if state.strategy == StrategyKind::Stratified {
                ui.horizontal(|ui| {
                    column_combo(ui, "by column", &mut state.column, d);
                    ui.checkbox(&mut state.proportional, "proportional (else equal per value)");
                });
            }
            if ui.button("Draw").clicked() {
                let strategy = match state.strategy {
                    StrategyKind::Oversample => Strategy::Oversample { predicate: state.predicate.clone(), share: state.share },
                    StrategyKind::Stratified => Strategy::Stratified { column: state.column.clone(), proportional: state.proportional },
                    StrategyKind::Uniform => Strategy::Uniform,
                };
                actions.push(Action::DrawSample(SampleRequest { name: state.name.trim().to_owned(), n: state.n, seed: state.seed, strategy }));
            }
            if !project.file.batches.is_empty() {
                ui.separator();
                ui.label(RichText::new("Batches").strong());
                for b in &project.file.batches {
                    let reviewed = b.trace_ids.iter().filter(|id| project.state(id).is_some_and(|e| e.verdict.is_some())).count();
                    ui.horizontal(|ui| {
                        ui.label(format!("{}: {reviewed} of {} reviewed · seed {} · {}", b.name, b.trace_ids.len(), b.seed, b.strategy));
                        if ui.small_button("review").clicked() {
                            actions.push(Action::SetBatch(Some(b.name.clone())));
                        }
                    });
                    let candidates: Vec<&str> = project
                        .codebook
                        .categories
                        .iter()
                        .filter(|c| c.candidate_from.as_deref() == Some(b.name.as_str()))
                        .map(|c| c.name.as_str())
                        .collect();
                    if !candidates.is_empty() {
                        ui.colored_label(
                            theme::warn_color(ui.visuals().dark_mode),
                            format!("new category candidates: {}", candidates.join(", ")),
                        );
                    }
                }
            }
        });
        state.sample_open = open;
    }
}

/// The judge-agreement window.
fn judge_window(
    ctx: &egui::Context,
    state: &mut WeeklyUi,
    d: &Dataset,
    project: &Project,
    actions: &mut Vec<Action>,
) {
    if state.judge_open {
        let mut open = true;
        egui::Window::new("Judge agreement")
            .id(egui::Id::unique("judge-window"))
            .open(&mut open)
            .default_size(theme::large_window(ctx))
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    column_combo(ui, "judge column", &mut state.judge_column, d);
                    let l = ui.label("failing value");
                    ui.add(
                        TextEdit::singleline(&mut state.positive)
                            .hint_text("auto")
                            .desired_width(80.0),
                    )
                    .labelled_by(l.id);
                    let l = ui.label("score threshold");
                    ui.add(
                        TextEdit::singleline(&mut state.threshold)
                            .hint_text("none")
                            .desired_width(60.0),
                    )
                    .labelled_by(l.id);
                });
                ui.horizontal(|ui| {
                    column_combo(ui, "rationale column", &mut state.rationale_column, d);
                });
                ui.checkbox(
                    &mut state.category_judge,
                    "the judge names categories (precision / recall per category)",
                );
                if state.category_judge && !state.judge_column.is_empty() {
                    category_scores(ui, state, d, project);
                }
                let key = format!(
                    "{}|{}|{}|{}|{}",
                    state.judge_column,
                    state.positive,
                    state.threshold,
                    state.rationale_column,
                    project.labels.events().len()
                );
                if state.result.as_ref().is_none_or(|(k, _, _)| *k != key)
                    && !state.judge_column.is_empty()
                {
                    let (a, spots) = compute(state, d, project);
                    state.result = Some((key, a, spots));
                }
                annotators_ui(ui, state, project, actions);
                ui.separator();
                let Some((_, a, spots)) = &state.result else {
                    ui.weak("Choose the column that holds the judge's verdict.");
                    return;
                };
                judge_figures(ui, a, spots, actions);
            });
        state.judge_open = open;
    }
}

/// The agreement figures, the confusion matrix, warnings and the spot check.
fn judge_figures(ui: &mut egui::Ui, a: &Agreement, spots: &[SpotCheck], actions: &mut Vec<Action>) {
    let dark = ui.visuals().dark_mode;
    let pct = |x: Option<f64>| x.map_or("n/a".to_owned(), |v| format!("{:.1} %", v * 100.0));
    ui.label(
        RichText::new(format!(
            "{} judged by both (failures are the positive class)",
            crate::workspace::count_of(a.n, "trace", "traces")
        ))
        .strong(),
    );
    egui::Grid::new("judge-figures")
        .num_columns(2)
        .show(ui, |ui| {
            for (k, v) in [
                ("agreement", pct(a.agreement)),
                ("true-positive rate", pct(a.tpr)),
                ("true-negative rate", pct(a.tnr)),
                (
                    "Cohen's kappa",
                    a.kappa
                        .map_or("undefined".to_owned(), |k| format!("{k:.3}")),
                ),
            ] {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
        });
    let c = a.confusion;
    egui::Grid::new("confusion")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            ui.label("");
            ui.strong("human fail");
            ui.strong("human pass");
            ui.end_row();
            ui.strong("judge fail");
            ui.label(format!("tp {}", c.tp));
            ui.label(format!("fp {}", c.fp));
            ui.end_row();
            ui.strong("judge pass");
            ui.label(format!("fn {}", c.fn_));
            ui.label(format!("tn {}", c.tn));
            ui.end_row();
        });
    for w in &a.warnings {
        ui.colored_label(theme::warn_color(dark), w);
    }
    ui.separator();
    ui.label(RichText::new("Spot-check 5 (disagreements first)").strong());
    for s in spots {
        ui.group(|ui| {
            ui.horizontal(|ui| {
                if ui.link(&s.trace_id).clicked() {
                    actions.push(Action::JumpTo(s.trace_id.clone()));
                }
                ui.label(format!("judge: {}  ·  human: {}", s.judge, s.human));
                if s.disagree {
                    ui.colored_label(theme::error_color(dark), "disagree");
                }
            });
            if !s.rationale.is_empty() {
                ui.add(egui::Label::new(crate::trace::content::one_line(&s.rationale, 300)).wrap());
            }
        });
    }
}

/// The judge's agreement with the humans and five traces to spot-check (see
/// [`crate::workspace::judge`]).
fn compute(state: &WeeklyUi, d: &Dataset, project: &Project) -> (Agreement, Vec<SpotCheck>) {
    let spec = JudgeSpec {
        column: state.judge_column.clone(),
        positive: Some(state.positive.trim().to_owned()).filter(|p| !p.is_empty()),
        threshold: state.threshold.trim().parse::<f64>().ok(),
        rationale_column: Some(state.rationale_column.clone()).filter(|c| !c.is_empty()),
    };
    let pairs = judge::pairs(&d.store, project, &spec).unwrap_or_default();
    (judge::agreement_of(&pairs), judge::spot_check(&pairs, 5))
}

/// A category judge against the human categories, per category (recomputed only when the
/// column or the labels change).
fn category_scores(ui: &mut egui::Ui, state: &mut WeeklyUi, d: &Dataset, project: &Project) {
    if d.store.column_index(&state.judge_column).is_none() {
        return;
    }
    let key = format!("{}|{}", state.judge_column, project.labels.events().len());
    if state
        .category_result
        .as_ref()
        .is_none_or(|(k, _)| *k != key)
    {
        let scores = judge::category_scores(&d.store, project, &state.judge_column);
        state.category_result = Some((key, scores));
    }
    let Some((_, scores)) = &state.category_result else {
        return;
    };
    let pct = |x: Option<f64>| x.map_or("n/a".to_owned(), |v| format!("{:.0} %", v * 100.0));
    egui::Grid::new("category-judge")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.strong("category");
            ui.strong("precision");
            ui.strong("recall");
            ui.strong("support");
            ui.end_row();
            for s in scores {
                ui.label(&s.category);
                ui.label(pct(s.precision));
                ui.label(pct(s.recall));
                ui.label(s.support.to_string());
                ui.end_row();
            }
        });
}

/// Inter-annotator agreement: two authors on the traces both labelled.
fn annotators_ui(
    ui: &mut egui::Ui,
    state: &mut WeeklyUi,
    project: &Project,
    actions: &mut Vec<Action>,
) {
    let mut authors: Vec<&str> = project
        .labels
        .events()
        .iter()
        .map(|e| e.author.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    authors.sort_unstable();
    authors.dedup();
    if authors.len() < 2 {
        ui.weak("Inter-annotator agreement needs labels from two authors.");
        return;
    }
    ui.label(RichText::new("Annotators").strong());
    ui.horizontal(|ui| {
        for (label, slot) in [
            ("first", &mut state.annotators.0),
            ("second", &mut state.annotators.1),
        ] {
            egui::ComboBox::from_label(label)
                .selected_text(if slot.is_empty() {
                    "choose…"
                } else {
                    slot.as_str()
                })
                .show_ui(ui, |ui| {
                    for a in &authors {
                        ui.selectable_value(slot, (*a).to_owned(), *a);
                    }
                });
        }
    });
    let (a, b) = &state.annotators;
    if a.is_empty() || b.is_empty() || a == b {
        return;
    }
    let r = agreement::annotators(project.labels.events(), a, b);
    let k = |x: &Agreement| {
        x.kappa
            .map_or("undefined".to_owned(), |k| format!("{k:.2}"))
    };
    ui.label(format!(
        "{} labelled by both · verdict kappa {}",
        crate::workspace::count_of(r.shared, "trace", "traces"),
        k(&r.verdict)
    ));
    for (c, ag) in &r.categories {
        ui.label(format!("  {c}: kappa {} (n {})", k(ag), ag.n));
    }
    if !r.disagreements.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("they disagree on {}:", r.disagreements.len()));
            for id in r.disagreements.iter().take(30) {
                if ui.link(id).clicked() {
                    actions.push(Action::JumpTo(id.clone()));
                }
            }
        });
    }
}
