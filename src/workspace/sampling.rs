//! Drawing a review batch: from the unreviewed traces of the current view (filter first, e.g.
//! `batch = '2026-W48'`, to sample this week's traces), with the request's strategy and seed;
//! recorded in the project file with its strategy in words.

use super::Workspace;
use crate::coding::sampling::{Batch, SampleRequest, Strategy, sample};

/// A batch drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    /// Its name (the request's, or "… review" when an added batch has that name).
    pub name: String,
    /// Traces drawn.
    pub n: usize,
    /// Unreviewed traces it was drawn from.
    pub candidates: usize,
}

/// The strategy in words, as the batch keeps it.
pub fn describe(strategy: &Strategy) -> String {
    match strategy {
        Strategy::Uniform => "uniform".to_owned(),
        Strategy::Oversample { predicate, share } => {
            format!("oversample {:.0} % where {predicate}", share * 100.0)
        }
        Strategy::Stratified {
            column,
            proportional,
        } => format!(
            "stratified by {column} ({})",
            if *proportional {
                "proportional"
            } else {
                "equal"
            }
        ),
    }
}

impl Workspace {
    /// Draws a review batch and records it in the project file (a batch of the same name is
    /// replaced). An error says what is missing (a predicate, a column) or what failed.
    pub fn draw_sample(&mut self, req: &SampleRequest, at: &str) -> Result<Drawn, String> {
        let (Some(d), Some(p)) = (&self.data, &mut self.project) else {
            return Err("open a dump first".to_owned());
        };
        let store = &d.store;
        let candidates: Vec<u32> = d
            .view
            .iter()
            .copied()
            .filter(|&r| {
                p.state(store.id(r as usize))
                    .is_none_or(|e| e.verdict.is_none())
            })
            .collect();
        let marked = match &req.strategy {
            Strategy::Oversample { predicate, .. } if predicate.trim().is_empty() => {
                return Err(
                    "oversampling needs a WHERE predicate that marks the failures, e.g. \
                            judge.verdict = 'fail'"
                        .to_owned(),
                );
            }
            Strategy::Oversample { predicate, .. } => {
                let m = crate::trace::filter::sql_mask(store, predicate)
                    .map_err(|e| format!("the oversampling predicate does not work: {e}"))?;
                Some(
                    candidates
                        .iter()
                        .map(|&r| m[r as usize])
                        .collect::<Vec<bool>>(),
                )
            }
            _ => None,
        };
        let strata = match &req.strategy {
            Strategy::Stratified { column, .. } => {
                let i = store
                    .column_index(column)
                    .ok_or_else(|| format!("no column {column} to stratify by"))?;
                Some(
                    candidates
                        .iter()
                        .map(|&r| store.cell(r as usize, i).unwrap_or_default())
                        .collect::<Vec<String>>(),
                )
            }
            _ => None,
        };
        let rows = sample(
            &candidates,
            req.n,
            req.seed,
            &req.strategy,
            marked.as_deref(),
            strata.as_deref(),
        );
        let ids = rows
            .iter()
            .map(|&r| store.id(r as usize).to_owned())
            .collect();
        record_batch(p, req, ids, candidates.len(), at)
    }
}

/// Records a drawn batch in the project file (a batch of the same name is replaced; the week's
/// added traces, which may carry the same default name, are kept apart as "… review").
pub fn record_batch(
    p: &mut crate::project::Project,
    req: &SampleRequest,
    trace_ids: Vec<String>,
    candidates: usize,
    at: &str,
) -> Result<Drawn, String> {
    let name = if p
        .file
        .batches
        .iter()
        .any(|b| b.name == req.name && b.is_added())
    {
        format!("{} review", req.name)
    } else {
        req.name.clone()
    };
    let batch = Batch {
        name: name.clone(),
        seed: req.seed,
        strategy: describe(&req.strategy),
        trace_ids,
        at: at.to_owned(),
    };
    let n = batch.trace_ids.len();
    p.file.batches.retain(|b| b.name != batch.name);
    p.file.batches.push(batch);
    p.store.save_project(&p.file).map_err(|e| e.to_string())?;
    Ok(Drawn {
        name,
        n,
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn workspace() -> Workspace {
        let text = (0..40)
            .map(|i| {
                format!(
                    r#"{{"id":"t{i}","input":"q","judge":"{}"}}"#,
                    if i % 4 == 0 { "fail" } else { "pass" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        super::super::test_workspace(&text)
    }

    fn request(strategy: Strategy) -> SampleRequest {
        SampleRequest {
            name: "2026-W48".into(),
            n: 8,
            seed: 7,
            strategy,
        }
    }

    #[test]
    fn seeded_recorded_and_kept_apart_from_an_added_batch() {
        let mut ws = workspace();
        let a = ws.draw_sample(&request(Strategy::Uniform), "t").unwrap();
        let first = ws.project.as_ref().unwrap().file.batches[0].clone();
        assert_eq!((a.n, a.candidates), (8, 40));
        assert_eq!(first.strategy, "uniform");
        // the same request draws the same traces
        ws.draw_sample(&request(Strategy::Uniform), "t").unwrap();
        assert_eq!(ws.project.as_ref().unwrap().file.batches, [first]);
        // an added batch of that name keeps its name; the review batch is "… review"
        ws.project.as_mut().unwrap().file.batches[0].strategy =
            crate::coding::sampling::ADDED.into();
        let b = ws.draw_sample(&request(Strategy::Uniform), "t").unwrap();
        assert_eq!(b.name, "2026-W48 review");
    }

    #[test]
    fn oversampling_and_strata_say_what_is_missing() {
        let mut ws = workspace();
        let empty = Strategy::Oversample {
            predicate: " ".into(),
            share: 0.5,
        };
        assert!(
            ws.draw_sample(&request(empty), "t")
                .unwrap_err()
                .contains("needs a WHERE")
        );
        let over = Strategy::Oversample {
            predicate: "judge = 'fail'".into(),
            share: 0.75,
        };
        let drawn = ws.draw_sample(&request(over), "t").unwrap();
        let p = ws.project.as_ref().unwrap();
        let fails = p.file.batches[0]
            .trace_ids
            .iter()
            .filter(|id| id[1..].parse::<usize>().unwrap() % 4 == 0)
            .count();
        assert_eq!((drawn.n, fails), (8, 6));
        let strata = Strategy::Stratified {
            column: "nope".into(),
            proportional: true,
        };
        assert!(
            ws.draw_sample(&request(strata), "t")
                .unwrap_err()
                .contains("no column nope")
        );
    }
}
