//! Seeded, reproducible sampling of traces for a weekly review batch: uniform, oversampling
//! failures, or stratified by a column (equal or proportional). The caller passes only the
//! candidates (traces not reviewed yet), so nothing already reviewed is drawn again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::synth::Rng;

/// How to draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Strategy {
    /// Every candidate equally likely.
    Uniform,
    /// `share` of the sample from the candidates a predicate marks (e.g. `judge_pass = false`).
    Oversample {
        /// The predicate, as written (recorded with the batch).
        predicate: String,
        /// Share of the sample taken from the marked candidates (0–1).
        share: f64,
    },
    /// Per value of a column.
    Stratified {
        /// The column.
        column: String,
        /// Proportional to each value's size (else equal per value).
        proportional: bool,
    },
}

/// A batch to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRequest {
    /// Batch name.
    pub name: String,
    /// How many.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Strategy.
    pub strategy: Strategy,
}

fn shuffled(items: &[u32], rng: &mut Rng) -> Vec<u32> {
    let mut v = items.to_vec();
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
    v
}

/// `n` draws from `candidates` (in candidate order → result order is the draw order).
/// `marked[i]` says whether `candidates[i]` satisfies the oversampling predicate; `strata[i]` is
/// its value of the stratification column.
pub fn sample(
    candidates: &[u32],
    n: usize,
    seed: u64,
    strategy: &Strategy,
    marked: Option<&[bool]>,
    strata: Option<&[String]>,
) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    let n = n.min(candidates.len());
    match strategy {
        Strategy::Uniform => shuffled(candidates, &mut rng).into_iter().take(n).collect(),
        Strategy::Oversample { share, .. } => {
            let marked = marked.unwrap_or(&[]);
            let (mut yes, mut no) = (Vec::new(), Vec::new());
            for (i, &c) in candidates.iter().enumerate() {
                if marked.get(i).copied().unwrap_or(false) {
                    yes.push(c);
                } else {
                    no.push(c);
                }
            }
            let yes = shuffled(&yes, &mut rng);
            let no = shuffled(&no, &mut rng);
            let want_yes = ((n as f64) * share.clamp(0.0, 1.0)).round() as usize;
            let take_yes = want_yes.min(yes.len()).max(n.saturating_sub(no.len()));
            let mut out: Vec<u32> = yes.iter().take(take_yes).copied().collect();
            out.extend(no.iter().take(n - take_yes.min(n)));
            out
        }
        Strategy::Stratified { proportional, .. } => {
            let strata = strata.unwrap_or(&[]);
            let mut groups: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
            for (i, &c) in candidates.iter().enumerate() {
                groups
                    .entry(strata.get(i).map_or("", String::as_str))
                    .or_default()
                    .push(c);
            }
            let groups: Vec<(&str, Vec<u32>)> = groups
                .into_iter()
                .map(|(k, v)| (k, shuffled(&v, &mut rng)))
                .collect();
            let total: usize = groups.iter().map(|(_, v)| v.len()).sum();
            // quotas: equal or proportional (largest remainder), capped by group size
            let mut quota: Vec<usize> = if *proportional {
                let exact: Vec<f64> = groups
                    .iter()
                    .map(|(_, v)| n as f64 * v.len() as f64 / total.max(1) as f64)
                    .collect();
                let mut q: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
                let mut order: Vec<usize> = (0..q.len()).collect();
                order.sort_by(|&a, &b| {
                    (exact[b] - q[b] as f64)
                        .total_cmp(&(exact[a] - q[a] as f64))
                        .then(a.cmp(&b))
                });
                let mut left = n - q.iter().sum::<usize>();
                for i in order {
                    if left == 0 {
                        break;
                    }
                    q[i] += 1;
                    left -= 1;
                }
                q
            } else {
                let g = groups.len().max(1);
                (0..groups.len())
                    .map(|i| n / g + usize::from(i < n % g))
                    .collect()
            };
            for (q, (_, v)) in quota.iter_mut().zip(&groups) {
                *q = (*q).min(v.len());
            }
            // give what small groups could not take to the others, in order
            let mut short = n - quota.iter().sum::<usize>();
            while short > 0 {
                let mut gave = false;
                for (q, (_, v)) in quota.iter_mut().zip(&groups) {
                    if short > 0 && *q < v.len() {
                        *q += 1;
                        short -= 1;
                        gave = true;
                    }
                }
                if !gave {
                    break;
                }
            }
            groups
                .iter()
                .zip(&quota)
                .flat_map(|((_, v), &q)| v.iter().take(q).copied())
                .collect()
        }
    }
}

/// The strategy recorded for a batch of traces added with "Add traces…" (not sampled).
pub const ADDED: &str = "added traces";

/// A review batch as recorded in `project.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Batch {
    /// Its name (default: the ISO week).
    pub name: String,
    /// The seed.
    pub seed: u64,
    /// The strategy, in words (kept with the batch).
    pub strategy: String,
    /// The traces drawn, in draw order.
    pub trace_ids: Vec<String>,
    /// When it was drawn.
    pub at: String,
}

impl Batch {
    /// Whether its traces were added to the dump ("Add traces…") rather than sampled from it.
    pub fn is_added(&self) -> bool {
        self.strategy == ADDED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ids(n: u32) -> Vec<u32> {
        (0..n).collect()
    }

    #[test]
    fn uniform_is_reproducible_and_never_redraws() {
        let c = ids(100);
        let a = sample(&c, 15, 7, &Strategy::Uniform, None, None);
        assert_eq!(a, sample(&c, 15, 7, &Strategy::Uniform, None, None));
        assert_ne!(a, sample(&c, 15, 8, &Strategy::Uniform, None, None));
        let mut d = a.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 15);
        // the reviewed ones are simply not candidates
        let rest: Vec<u32> = c.iter().copied().filter(|x| !a.contains(x)).collect();
        let b = sample(&rest, 15, 7, &Strategy::Uniform, None, None);
        assert!(b.iter().all(|x| !a.contains(x)));
        assert_eq!(
            sample(&ids(3), 15, 1, &Strategy::Uniform, None, None).len(),
            3
        );
    }

    #[test]
    fn oversampling_takes_the_share() {
        let c = ids(200);
        let marked: Vec<bool> = c.iter().map(|x| x % 10 == 0).collect(); // 20 failures
        let s = Strategy::Oversample {
            predicate: "judge_pass = false".into(),
            share: 0.6,
        };
        let out = sample(&c, 15, 3, &s, Some(&marked), None);
        assert_eq!(out.len(), 15);
        assert_eq!(out.iter().filter(|x| *x % 10 == 0).count(), 9);
        // fewer marked than the share asks: all of them, the rest from the others
        let few: Vec<bool> = c.iter().map(|x| *x < 4).collect();
        let out = sample(&c, 15, 3, &s, Some(&few), None);
        assert_eq!(out.iter().filter(|x| **x < 4).count(), 4);
        assert_eq!(out.len(), 15);
    }

    #[test]
    fn stratified_equal_and_proportional() {
        let c = ids(100);
        let strata: Vec<String> = c
            .iter()
            .map(|x| {
                if *x < 70 {
                    "a"
                } else if *x < 90 {
                    "b"
                } else {
                    "c"
                }
                .to_owned()
            })
            .collect();
        let count =
            |out: &[u32], lo: u32, hi: u32| out.iter().filter(|x| **x >= lo && **x < hi).count();
        let eq = sample(
            &c,
            15,
            1,
            &Strategy::Stratified {
                column: "x".into(),
                proportional: false,
            },
            None,
            Some(&strata),
        );
        assert_eq!(
            (count(&eq, 0, 70), count(&eq, 70, 90), count(&eq, 90, 100)),
            (5, 5, 5)
        );
        let prop = sample(
            &c,
            10,
            1,
            &Strategy::Stratified {
                column: "x".into(),
                proportional: true,
            },
            None,
            Some(&strata),
        );
        assert_eq!(
            (
                count(&prop, 0, 70),
                count(&prop, 70, 90),
                count(&prop, 90, 100)
            ),
            (7, 2, 1)
        );
        // a small stratum gives its unused quota to the others
        let eq = sample(
            &c,
            30,
            1,
            &Strategy::Stratified {
                column: "x".into(),
                proportional: false,
            },
            None,
            Some(&strata),
        );
        assert_eq!(eq.len(), 30);
        assert_eq!(count(&eq, 90, 100), 10);
    }
}
