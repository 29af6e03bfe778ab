//! Which traces reach the Pareto and how it is measured: the whole dump, the current view, or
//! one chart per review batch (per ISO week of the traces' timestamps when there are no
//! batches); cached until labels, codebook, options or the view change. One label combination
//! rule for all of them ([`crate::coding::labels::combo_of`]).

use std::collections::{BTreeMap, HashMap};

use super::Workspace;
use crate::coding::labels::{Combo, combo_of};
use crate::coding::pareto::{self, Measure, Pareto};

/// What the chart shows (the chart panel's options, without the drawing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartOptions {
    /// Frequency, or frequency × severity.
    pub measure: Measure,
    /// Show categories no failing trace carries.
    pub include_zero: bool,
    /// Only the traces of the current view.
    pub scope_view: bool,
    /// Also one chart per batch (or week).
    pub by_period: bool,
}

/// The chart and its per-batch (or per-week) small multiples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// The chart of the scope.
    pub pareto: Pareto,
    /// `(batch or week, its chart)`, oldest first; empty unless asked for.
    pub by_period: Vec<(String, Pareto)>,
    /// Failing agent traces by category × first-failure span (empty when none is marked).
    pub first_failure: Vec<crate::coding::first_failure::FirstFailure>,
}

/// What the cached chart was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChartKey {
    events: usize,
    codebook_version: u32,
    options: ChartOptions,
    /// The view's query generation (doubled, plus one while its result is pending).
    view: u64,
    /// Traces in batches (a batch drawn or added changes the per-batch charts).
    batched: usize,
}

/// Counts label combinations of the given states.
fn combos<'a>(
    states: impl Iterator<Item = &'a crate::coding::LabelEvent>,
) -> HashMap<Combo, usize> {
    let mut out = HashMap::new();
    for ev in states {
        *out.entry(combo_of(ev)).or_insert(0) += 1;
    }
    out
}

fn chart(
    combos: &HashMap<Combo, usize>,
    ws_codebook: &crate::coding::Codebook,
    measure: Measure,
    zero: bool,
) -> Pareto {
    pareto::compute(
        combos.iter().map(|(k, v)| (k, *v)),
        ws_codebook,
        measure,
        zero,
    )
}

impl Workspace {
    /// The Pareto of the scope: every labelled trace of the dump, or those of the view.
    pub fn pareto(&self, options: &ChartOptions) -> Pareto {
        let Some(p) = &self.project else {
            return Pareto::default();
        };
        match &self.data {
            Some(d) if options.scope_view && d.view.len() < d.store.len() => {
                let states = d
                    .view
                    .iter()
                    .filter_map(|&r| p.state(d.store.id(r as usize)));
                chart(
                    &combos(states),
                    &p.codebook,
                    options.measure,
                    options.include_zero,
                )
            }
            _ => pareto::compute(
                p.labels.combos().iter().map(|(k, v)| (k, *v)),
                &p.codebook,
                options.measure,
                options.include_zero,
            ),
        }
    }

    /// One Pareto per review batch (in the order they were made), or, with no batches, per ISO
    /// week of the traces' timestamps, oldest first.
    pub fn pareto_by_period(&self, measure: Measure) -> Vec<(String, Pareto)> {
        let (Some(p), Some(d)) = (&self.project, &self.data) else {
            return Vec::new();
        };
        if !p.file.batches.is_empty() {
            return p
                .file
                .batches
                .iter()
                .map(|b| {
                    let states = b.trace_ids.iter().filter_map(|id| p.state(id));
                    let pareto = chart(&combos(states), &p.codebook, measure, false);
                    (format!("batch {}", b.name), pareto)
                })
                .collect();
        }
        let Some(col) = ["timestamp", "created_at", "start_time", "time", "date"]
            .iter()
            .find_map(|c| d.store.column_index(c))
        else {
            return Vec::new();
        };
        let mut by_week: BTreeMap<String, HashMap<Combo, usize>> = BTreeMap::new();
        for r in 0..d.store.len() {
            let Some(ev) = p.state(d.store.id(r)) else {
                continue;
            };
            let Some(week) = d.store.cell(r, col).and_then(|t| pareto::iso_week(&t)) else {
                continue;
            };
            *by_week
                .entry(week)
                .or_default()
                .entry(combo_of(ev))
                .or_insert(0) += 1;
        }
        by_week
            .into_iter()
            .map(|(w, c)| (w, chart(&c, &p.codebook, measure, false)))
            .collect()
    }

    /// The chart's data, recomputed only when labels, codebook, options or the view changed
    /// (the chart panel asks every frame).
    pub fn chart(&mut self, options: &ChartOptions) -> ChartData {
        let key = ChartKey {
            events: self.project.as_ref().map_or(0, |p| p.labels.events().len()),
            codebook_version: self.project.as_ref().map_or(0, |p| p.codebook.version),
            options: *options,
            view: self
                .data
                .as_ref()
                .map_or(0, |d| d.generation * 2 + u64::from(d.querying)),
            batched: self.project.as_ref().map_or(0, |p| {
                p.file.batches.iter().map(|b| b.trace_ids.len() + 1).sum()
            }),
        };
        if let Some((k, data)) = &self.chart_cache
            && *k == key
        {
            return data.clone();
        }
        let data = ChartData {
            pareto: self.pareto(options),
            // per-batch charts only while shown (they scan the labelled traces' rows)
            by_period: if options.by_period {
                self.pareto_by_period(options.measure)
            } else {
                Vec::new()
            },
            first_failure: self.first_failures(),
        };
        self.chart_cache = Some((key, data.clone()));
        data
    }

    /// Forgets the cached chart (after a change the key does not see, such as a new project).
    pub fn forget_chart(&mut self) {
        self.chart_cache = None;
    }

    /// The Markdown report of the scope's chart.
    pub fn report_markdown(&self, options: &ChartOptions, date: &str) -> String {
        let Some(p) = &self.project else {
            return String::new();
        };
        let pareto = self.pareto(options);
        let dump = self.data.as_ref().map_or(String::new(), |d| {
            d.store
                .files()
                .iter()
                .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f))
                .collect::<Vec<_>>()
                .join(", ")
        });
        crate::coding::report::markdown(&crate::coding::report::ReportInput {
            dump: &dump,
            date: date.get(..10).unwrap_or(date),
            pareto: &pareto,
            codebook: &p.codebook,
            labels: &p.labels,
            saturation: p.saturation(),
            threshold: p.file.saturation_threshold,
            measure: match options.measure {
                Measure::Frequency => "frequency",
                Measure::Weighted => "frequency × severity weight",
            },
            first_failure: &self.first_failures(),
        })
    }

    /// Failing traces of the dump by category × the span marked as their first failure.
    pub fn first_failures(&self) -> Vec<crate::coding::first_failure::FirstFailure> {
        let (Some(p), Some(d)) = (&self.project, &self.data) else {
            return Vec::new();
        };
        crate::coding::first_failure::breakdown(
            p.labels
                .latest_in_log_order()
                .filter(|e| d.store.row_of_id(&e.trace_id).is_some()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::{LabelEvent, Verdict};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn workspace() -> Workspace {
        let text = (0..4)
            .map(|i| format!(r#"{{"id":"t{i}","input":"q","output":"a"}}"#))
            .collect::<Vec<_>>()
            .join("\n");
        let loaded = crate::trace::load::load_bytes("t.jsonl", text.into_bytes()).unwrap();
        let mut ws = Workspace::default();
        let ids: std::collections::HashSet<&str> = ["t0", "t1", "t2", "t3"].into();
        ws.project = Some(crate::project::Project::new(
            crate::persist::ProjectStore::memory(),
            Default::default(),
            &ids,
        ));
        ws.data = Some(super::super::Dataset::new(loaded, "t".into(), 0.0, None));
        ws
    }

    fn fail(id: &str, cats: &[&str], batch: Option<&str>) -> LabelEvent {
        LabelEvent {
            trace_id: id.into(),
            verdict: Some(Verdict::Fail),
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            batch: batch.map(str::to_owned),
            ..Default::default()
        }
    }

    const ALL: ChartOptions = ChartOptions {
        measure: Measure::Frequency,
        include_zero: false,
        scope_view: false,
        by_period: true,
    };

    #[test]
    fn a_batch_counts_as_the_whole_does() {
        let mut ws = workspace();
        let p = ws.project.as_mut().unwrap();
        // a category repeated on one trace counts once, in the batch as in the whole
        p.record(fail("t0", &["a", "a"], None)).unwrap();
        p.record(fail("t1", &["b", "a"], None)).unwrap();
        p.file.batches.push(crate::coding::sampling::Batch {
            name: "w48".into(),
            trace_ids: vec!["t0".into(), "t1".into()],
            ..Default::default()
        });
        let data = ws.chart(&ALL);
        assert_eq!(data.by_period.len(), 1);
        assert_eq!(
            data.by_period[0].1, data.pareto,
            "the batch holds every labelled trace"
        );
        assert_eq!(data.pareto.categories[0].count, 2);
    }

    #[test]
    fn the_view_scope_and_the_cache() {
        let mut ws = workspace();
        ws.project
            .as_mut()
            .unwrap()
            .record(fail("t0", &["a"], None))
            .unwrap();
        ws.project
            .as_mut()
            .unwrap()
            .record(fail("t3", &["b"], None))
            .unwrap();
        let view = ChartOptions {
            scope_view: true,
            ..ALL
        };
        ws.data.as_mut().unwrap().view = vec![0, 1];
        ws.data.as_mut().unwrap().generation += 1;
        let data = ws.chart(&view);
        assert_eq!(data.pareto.failed, 1);
        assert_eq!(data.pareto.categories[0].category, "a");
        // a new label is seen at once
        ws.project
            .as_mut()
            .unwrap()
            .record(fail("t1", &["b"], None))
            .unwrap();
        assert_eq!(ws.chart(&view).pareto.failed, 2);
        assert_eq!(ws.pareto(&ALL).failed, 3);
    }
}
