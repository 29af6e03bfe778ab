//! The LLM judge against the human labels: which traces both judged (pairs built once, for the
//! window and `errata judge` alike), the agreement figures, a seeded spot check that puts
//! disagreements first, and a category judge's precision and recall per category.

use crate::coding::Verdict;
use crate::coding::agreement::{self, Agreement, CategoryScore};
use crate::project::Project;
use crate::trace::TraceStore;

/// Which column holds the judge's verdict and how to read it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JudgeSpec {
    /// The judge's column.
    pub column: String,
    /// The value that means "pass" (default: common words such as pass / true / yes).
    pub positive: Option<String>,
    /// A score at or above this passes.
    pub threshold: Option<f64>,
    /// A column with the judge's rationale, shown in the spot check.
    pub rationale_column: Option<String>,
}

/// A trace both the judge and a human judged.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotCheck {
    /// Trace id.
    pub trace_id: String,
    /// The judge's value.
    pub judge: String,
    /// The judge's rationale, if a column has it.
    pub rationale: String,
    /// The human verdict ("pass" or "fail").
    pub human: String,
    /// Whether they disagree.
    pub disagree: bool,
    /// The judge's reading: a failure.
    pub judge_fail: bool,
}

/// Every trace of `store` with a human verdict and a judge value that reads as pass or fail,
/// in trace-id order. An unknown column is an error that lists the columns.
pub fn pairs(
    store: &TraceStore,
    project: &Project,
    spec: &JudgeSpec,
) -> Result<Vec<SpotCheck>, String> {
    let col = store.column_index(&spec.column).ok_or_else(|| {
        let names: Vec<&str> = store.columns().iter().map(|c| c.name.as_str()).collect();
        format!("no column {}; columns: {}", spec.column, names.join(", "))
    })?;
    let rationale = spec
        .rationale_column
        .as_deref()
        .and_then(|c| store.column_index(c));
    let mut out = Vec::new();
    for ev in project.labels.latest() {
        let Some(human) = ev.verdict else { continue };
        let Some(r) = store.row_of_id(&ev.trace_id) else {
            continue;
        };
        let Some(value) = store.cell(r, col) else {
            continue;
        };
        let Some(judge_fail) =
            agreement::judge_fails(&value, spec.positive.as_deref(), spec.threshold)
        else {
            continue;
        };
        let human_fail = human == Verdict::Fail;
        out.push(SpotCheck {
            trace_id: ev.trace_id.clone(),
            judge: value,
            rationale: rationale.and_then(|i| store.cell(r, i)).unwrap_or_default(),
            human: if human_fail { "fail" } else { "pass" }.to_owned(),
            disagree: judge_fail != human_fail,
            judge_fail,
        });
    }
    Ok(out)
}

/// The agreement of the pairs (failures are the positive class).
pub fn agreement_of(pairs: &[SpotCheck]) -> Agreement {
    agreement::binary(pairs.iter().map(|p| (p.judge_fail, p.human == "fail")))
}

/// `n` pairs to read, disagreements first, in a seeded order (the same every time).
pub fn spot_check(pairs: &[SpotCheck], n: usize) -> Vec<SpotCheck> {
    let mut rng = crate::synth::Rng::new(5);
    let mut order: Vec<(bool, u64, usize)> = pairs
        .iter()
        .enumerate()
        .map(|(i, s)| (!s.disagree, rng.next_u64(), i))
        .collect();
    order.sort_unstable();
    order
        .iter()
        .take(n)
        .map(|&(_, _, i)| pairs[i].clone())
        .collect()
}

/// A judge that names categories, against the human categories: precision and recall per
/// category over the traces a human reviewed or coded.
pub fn category_scores(store: &TraceStore, project: &Project, column: &str) -> Vec<CategoryScore> {
    let Some(col) = store.column_index(column) else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for ev in project.labels.latest_in_log_order() {
        if !ev.is_coded() && ev.verdict.is_none() {
            continue;
        }
        let Some(r) = store.row_of_id(&ev.trace_id) else {
            continue;
        };
        let judge = store
            .cell(r, col)
            .map(|v| agreement::judge_categories(&v))
            .unwrap_or_default();
        pairs.push((judge, ev.categories.clone()));
    }
    agreement::per_category(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::LabelEvent;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn pairs_agreement_and_spot_check() {
        let text = [
            r#"{"id":"a","input":"q","judge":"fail","why":"bad"}"#,
            r#"{"id":"b","input":"q","judge":"pass","why":"ok"}"#,
            r#"{"id":"c","input":"q","judge":"pass","why":"ok"}"#,
            r#"{"id":"d","input":"q","judge":"maybe"}"#,
        ]
        .join("\n");
        let store = crate::trace::load::load_bytes("t.jsonl", text.into_bytes())
            .unwrap()
            .store;
        let ids: std::collections::HashSet<&str> = ["a", "b", "c", "d"].into();
        let mut p = Project::new(
            crate::persist::ProjectStore::memory(),
            Default::default(),
            &ids,
        );
        for (id, v) in [
            ("a", Verdict::Fail),
            ("b", Verdict::Pass),
            ("c", Verdict::Fail),
            ("d", Verdict::Fail),
            ("gone", Verdict::Fail),
        ] {
            p.record(LabelEvent {
                trace_id: id.into(),
                verdict: Some(v),
                ..Default::default()
            })
            .unwrap();
        }
        let spec = JudgeSpec {
            column: "judge".into(),
            rationale_column: Some("why".into()),
            ..Default::default()
        };
        let pairs = pairs(&store, &p, &spec).unwrap();
        // d's judge value reads as neither; "gone" is not in the dump
        assert_eq!(
            pairs
                .iter()
                .map(|s| s.trace_id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        let a = agreement_of(&pairs);
        assert_eq!(a.n, 3);
        assert_eq!((a.confusion.tp, a.confusion.fn_), (1, 1));
        let spots = spot_check(&pairs, 2);
        assert_eq!(spots[0].trace_id, "c", "the disagreement first");
        assert_eq!(spots[0].rationale, "ok");
        assert!(
            super::pairs(
                &store,
                &p,
                &JudgeSpec {
                    column: "nope".into(),
                    ..Default::default()
                }
            )
            .unwrap_err()
            .contains("columns: ")
        );
    }
}
