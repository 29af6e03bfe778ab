//! The Pareto of failure categories: what to fix first. Exact and deterministic: bars sorted by
//! the measure, ties broken by name; a trace with several categories counts once in each bar and
//! once in the denominators; categories unknown to the codebook are shown, flagged.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::codebook::{Codebook, Severity};
use super::labels::{Combo, Verdict};

/// What the bars measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Measure {
    /// Failing traces per category.
    #[default]
    Frequency,
    /// Failing traces × the category's severity weight.
    Weighted,
}

/// One bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParetoRow {
    /// Category name.
    pub category: String,
    /// Failing traces carrying it.
    pub count: usize,
    /// `count / failed`.
    pub share_of_failures: f64,
    /// `count / reviewed`.
    pub share_of_reviewed: f64,
    /// Failing traces covered by this bar and the ones before it, over `failed`: never below
    /// the first bar's share, whatever the bars are ranked by.
    pub cumulative_share: f64,
    /// `weighted_score` over the total weighted score.
    pub weighted_share: f64,
    /// The weighted scores of this bar and the ones before it, over the total.
    pub cumulative_weighted_share: f64,
    /// Severity name from the codebook (`unknown` when the codebook lacks the category).
    pub severity: String,
    /// `count × weight`.
    pub weighted_score: f64,
    /// Whether the codebook has the category.
    #[serde(skip)]
    pub known: bool,
    /// The reporting label, if any.
    #[serde(skip)]
    pub reporting_label: Option<String>,
}

/// The chart's data.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Pareto {
    /// Traces with a verdict.
    pub reviewed: usize,
    /// Failing traces.
    pub failed: usize,
    /// Failing traces covered by the top three bars, over `failed`.
    pub top3_share: f64,
    /// Bars in chart order.
    pub categories: Vec<ParetoRow>,
}

/// Computes the Pareto from label combinations (see `Labels::combos`).
pub fn compute<'a>(
    combos: impl IntoIterator<Item = (&'a Combo, usize)>,
    codebook: &Codebook,
    measure: Measure,
    include_zero: bool,
) -> Pareto {
    let mut reviewed = 0;
    let mut failed = 0;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut failing: Vec<(&[String], usize)> = Vec::new();
    for ((verdict, cats), n) in combos {
        if verdict.is_some() {
            reviewed += n;
        }
        if *verdict == Some(Verdict::Fail) {
            failed += n;
            for c in cats {
                *counts.entry(c.as_str()).or_insert(0) += n;
            }
            failing.push((cats.as_slice(), n));
        }
    }
    let weight_of = |name: &str| {
        codebook
            .get(name)
            .map_or(Severity::Low.weight(), |c| c.severity.weight())
    };
    let mut rows: Vec<ParetoRow> = Vec::new();
    let names: std::collections::BTreeSet<&str> = codebook
        .categories
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| include_zero || counts.contains_key(n))
        .chain(counts.keys().copied())
        .collect();
    for name in names {
        let count = counts.get(name).copied().unwrap_or(0);
        let cat = codebook.get(name);
        rows.push(ParetoRow {
            category: name.to_owned(),
            count,
            share_of_failures: ratio(count, failed),
            share_of_reviewed: ratio(count, reviewed),
            cumulative_share: 0.0,
            weighted_share: 0.0,
            cumulative_weighted_share: 0.0,
            severity: cat.map_or_else(|| "unknown".to_owned(), |c| c.severity.name().to_owned()),
            weighted_score: count as f64 * weight_of(name),
            known: cat.is_some(),
            reporting_label: cat.and_then(|c| c.reporting_label.clone()),
        });
    }
    let key = |r: &ParetoRow| match measure {
        Measure::Frequency => r.count as f64,
        Measure::Weighted => r.weighted_score,
    };
    // largest first; zero counts last; ties by name
    rows.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then_with(|| a.category.cmp(&b.category))
    });
    let total_weighted: f64 = rows.iter().map(|r| r.weighted_score).sum();
    let names: Vec<String> = rows.iter().map(|r| r.category.clone()).collect();
    let mut covered: Vec<&str> = Vec::new();
    let mut running = 0.0;
    let mut top3_share = 0.0;
    for (i, name) in names.iter().enumerate() {
        covered.push(name.as_str());
        running += rows[i].weighted_score;
        let of_total = |x: f64| {
            if total_weighted > 0.0 {
                x / total_weighted
            } else {
                0.0
            }
        };
        rows[i].weighted_share = of_total(rows[i].weighted_score);
        rows[i].cumulative_weighted_share = of_total(running);
        rows[i].cumulative_share = ratio(coverage(&failing, &covered), failed);
        if i == 2.min(names.len() - 1) {
            top3_share = ratio(coverage(&failing, &covered), failed);
        }
    }
    let categories: Vec<ParetoRow> = rows;
    Pareto {
        reviewed,
        failed,
        top3_share,
        categories,
    }
}

fn coverage(failing: &[(&[String], usize)], covered: &[&str]) -> usize {
    failing
        .iter()
        .filter(|(cats, _)| cats.iter().any(|c| covered.contains(&c.as_str())))
        .map(|(_, n)| n)
        .sum()
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Pareto {
    /// The CSV export (`category, count, share_of_failures, share_of_reviewed, cumulative_share,
    /// severity, weighted_score`).
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "category,count,share_of_failures,share_of_reviewed,cumulative_share,severity,weighted_score\n",
        );
        for r in &self.categories {
            out.push_str(&format!(
                "{},{},{:.4},{:.4},{:.4},{},{}\n",
                csv_field(&r.category),
                r.count,
                r.share_of_failures,
                r.share_of_reviewed,
                r.cumulative_share,
                r.severity,
                r.weighted_score
            ));
        }
        out
    }

    /// Counts rolled up by reporting label (the board-level view); categories without one go
    /// under "(no reporting label)". Sorted by count, then name.
    pub fn by_reporting_label(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for r in &self.categories {
            let key = r
                .reporting_label
                .clone()
                .unwrap_or_else(|| "(no reporting label)".to_owned());
            *m.entry(key).or_insert(0) += r.count;
        }
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::{Category, LabelEvent, Labels};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn labels(rows: &[(Option<Verdict>, &[&str])]) -> Labels {
        let mut l = Labels::default();
        for (i, (v, cats)) in rows.iter().enumerate() {
            l.push(LabelEvent {
                trace_id: format!("t{i}"),
                verdict: *v,
                categories: cats.iter().map(|c| (*c).to_owned()).collect(),
                ..Default::default()
            });
        }
        l
    }

    fn codebook() -> Codebook {
        let cat = |name: &str, severity| Category {
            name: name.into(),
            severity,
            reporting_label: Some(if name == "a" {
                "accuracy".into()
            } else {
                "ux".into()
            }),
            ..Default::default()
        };
        Codebook {
            version: 1,
            categories: vec![
                cat("a", Severity::Low),
                cat("b", Severity::High),
                cat("c", Severity::Medium),
                cat("z", Severity::Low),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn hand_computed_frequency_pareto() {
        // 10 reviewed, 8 failing; a on 5, b on 3, c on 1 (one trace has a+b), "x" unknown on 1
        let f = Some(Verdict::Fail);
        let l = labels(&[
            (f, &["a"]),
            (f, &["a"]),
            (f, &["a"]),
            (f, &["a", "b"]),
            (f, &["a"]),
            (f, &["b"]),
            (f, &["b", "c"]),
            (f, &["x"]),
            (Some(Verdict::Pass), &["a"]), // a passing trace's tag is not a failure
            (Some(Verdict::Pass), &[]),
            (None, &["c"]), // unreviewed: in neither denominator
        ]);
        let p = compute(
            l.combos().iter().map(|(k, v)| (k, *v)),
            &codebook(),
            Measure::Frequency,
            true,
        );
        assert_eq!((p.reviewed, p.failed), (10, 8));
        let names: Vec<&str> = p.categories.iter().map(|r| r.category.as_str()).collect();
        // c and x tie at 1: by name; z has no traces: last
        assert_eq!(names, ["a", "b", "c", "x", "z"]);
        assert_eq!(p.categories[0].count, 5);
        assert!((p.categories[0].share_of_failures - 5.0 / 8.0).abs() < 1e-12);
        assert!((p.categories[0].share_of_reviewed - 0.5).abs() < 1e-12);
        // coverage: a covers 5 traces, a+b covers 7, a+b+c still 7, all 8
        let cum: Vec<f64> = p.categories.iter().map(|r| r.cumulative_share).collect();
        assert_eq!(cum, [5.0 / 8.0, 7.0 / 8.0, 7.0 / 8.0, 1.0, 1.0]);
        assert!((p.top3_share - 7.0 / 8.0).abs() < 1e-12);
        assert!(!p.categories[3].known);
        assert_eq!(p.categories[3].severity, "unknown");
        let csv = p.to_csv();
        assert!(csv.starts_with("category,count,share_of_failures,share_of_reviewed,cumulative_share,severity,weighted_score\na,5,0.6250,0.5000,0.6250,low,5\n"), "{csv}");
        assert_eq!(p.by_reporting_label()[0], ("accuracy".to_owned(), 5));
        let hidden = compute(
            l.combos().iter().map(|(k, v)| (k, *v)),
            &codebook(),
            Measure::Frequency,
            false,
        );
        assert_eq!(hidden.categories.len(), 4);
    }

    #[test]
    fn weighted_pareto_reorders_by_severity() {
        let f = Some(Verdict::Fail);
        let l = labels(&[
            (f, &["a"]),
            (f, &["a"]),
            (f, &["a"]),
            (f, &["b"]),
            (f, &["b"]),
        ]);
        let p = compute(
            l.combos().iter().map(|(k, v)| (k, *v)),
            &codebook(),
            Measure::Weighted,
            false,
        );
        assert_eq!(p.categories[0].category, "b"); // 2 × 3 = 6 > 3 × 1
        assert_eq!(p.categories[0].weighted_score, 6.0);
        assert!((p.categories[0].cumulative_weighted_share - 6.0 / 9.0).abs() < 1e-12);
        assert!((p.categories[1].cumulative_weighted_share - 1.0).abs() < 1e-12);
        // the cumulative column counts failing traces covered: never below a row's own share
        assert!((p.categories[0].cumulative_share - 2.0 / 5.0).abs() < 1e-12);
        assert!(p.categories[0].cumulative_share >= p.categories[0].share_of_failures);
        assert!((p.categories[1].cumulative_share - 1.0).abs() < 1e-12);
    }

    #[test]
    fn empty_is_all_zero() {
        let p = compute(
            std::iter::empty(),
            &Codebook::default(),
            Measure::Frequency,
            true,
        );
        assert_eq!(p, Pareto::default());
    }
}

/// The ISO week (`2026-W48`) of a date or timestamp that starts with `YYYY-MM-DD`.
pub fn iso_week(date: &str) -> Option<String> {
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let m: i64 = date.get(5..7)?.parse().ok()?;
    let d: i64 = date.get(8..10)?.parse().ok()?;
    if date.get(4..5) != Some("-") || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // days since 1970-01-01 (civil), then ISO weekday and week-year
    let days = |y: i64, m: i64, d: i64| {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    };
    let n = days(y, m, d);
    let weekday = (n + 3).rem_euclid(7) + 1; // Monday = 1
    let thursday = n - weekday + 4;
    // the ISO year is the year of that week's Thursday
    let mut iso_year = y + 1;
    while days(iso_year, 1, 1) > thursday {
        iso_year -= 1;
    }
    let week = (thursday - days(iso_year, 1, 1)) / 7 + 1;
    Some(format!("{iso_year}-W{week:02}"))
}

#[cfg(test)]
mod week_tests {
    use super::iso_week;

    #[test]
    fn iso_weeks() {
        assert_eq!(
            iso_week("2026-11-26T10:00:00Z").as_deref(),
            Some("2026-W48")
        );
        assert_eq!(iso_week("2021-01-03").as_deref(), Some("2020-W53"));
        assert_eq!(iso_week("2024-12-30").as_deref(), Some("2025-W01"));
        assert_eq!(iso_week("2026-01-01").as_deref(), Some("2026-W01"));
        assert_eq!(iso_week("not a date"), None);
    }
}
