//! The error-analysis report: Markdown for a team doc, CSV and JSON for scripts.

use super::Codebook;
use super::labels::{Labels, Saturation, Verdict};
use super::pareto::Pareto;

/// Everything a report states.
pub struct ReportInput<'a> {
    /// The dump's name.
    pub dump: &'a str,
    /// Today's date (YYYY-MM-DD).
    pub date: &'a str,
    /// The chart data.
    pub pareto: &'a Pareto,
    /// The codebook.
    pub codebook: &'a Codebook,
    /// The labels (for example notes).
    pub labels: &'a Labels,
    /// Saturation state.
    pub saturation: &'a Saturation,
    /// Saturation threshold.
    pub threshold: usize,
    /// "frequency" or "frequency × severity".
    pub measure: &'a str,
    /// Failing agent traces by category × first-failure span (empty when none is marked).
    pub first_failure: &'a [super::first_failure::FirstFailure],
}

fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// The Markdown report, pasteable into a team doc unchanged.
pub fn markdown(r: &ReportInput<'_>) -> String {
    let p = r.pareto;
    let cb = r.codebook;
    let mut out = format!("# Error analysis: {}\n\n", r.dump);
    out.push_str(&format!(
        "- Date: {}\n- Codebook: v{}, {}\n- Reviewed: {} traces, {} failing ({})\n- Ranked by: {}\n- Top 3 categories cover {} of failures\n- Saturation: {} coded traces since the last new category (threshold {}){}\n\n",
        r.date,
        cb.version,
        if cb.is_signed_off() { format!("signed off by {}", cb.owner) } else { "not signed off".to_owned() },
        p.reviewed,
        p.failed,
        pct(if p.reviewed == 0 { 0.0 } else { p.failed as f64 / p.reviewed as f64 }),
        r.measure,
        pct(p.top3_share),
        r.saturation.since_last_new,
        r.threshold,
        if r.saturation.reached(r.threshold) { ": reached" } else { ": not reached" },
    ));
    // "cumulative" is always the failing traces covered so far, so it never falls below a
    // row's own share; ranked by severity, the score's shares get columns of their own
    let weighted = r.measure != "frequency";
    out.push_str("| # | category | failing traces | share of failures | share of reviewed | cumulative (failures covered) | severity |");
    out.push_str(if weighted {
        " score | share of score | cumulative score |\n"
    } else {
        "\n"
    });
    out.push_str("| --- | --- | --- | --- | --- | --- | --- |");
    out.push_str(if weighted {
        " --- | --- | --- |\n"
    } else {
        "\n"
    });
    for (i, row) in p.categories.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {}{} | {} | {} | {} | {} | {} |",
            i + 1,
            row.category,
            if row.known { "" } else { " (not in codebook)" },
            row.count,
            pct(row.share_of_failures),
            pct(row.share_of_reviewed),
            pct(row.cumulative_share),
            row.severity
        ));
        if weighted {
            out.push_str(&format!(
                " {} | {} | {} |",
                row.weighted_score,
                pct(row.weighted_share),
                pct(row.cumulative_weighted_share)
            ));
        }
        out.push('\n');
    }
    out.push_str("\n## Categories\n");
    for row in &p.categories {
        out.push_str(&format!("\n### {}\n\n", row.category));
        let description = cb.get(&row.category).map_or("", |c| c.description.as_str());
        if !description.is_empty() {
            out.push_str(&format!("{description}\n\n"));
        }
        out.push_str(&format!(
            "{} failing traces ({} of failures).",
            row.count,
            pct(row.share_of_failures)
        ));
        let examples: Vec<_> = r
            .labels
            .latest()
            .into_iter()
            .filter(|e| e.verdict == Some(Verdict::Fail) && e.categories.contains(&row.category))
            .take(2)
            .collect();
        if examples.is_empty() {
            out.push('\n');
        } else {
            out.push_str(" Examples:\n\n");
            for e in examples {
                let note = e.note.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push_str(&format!(
                    "- `{}`: {}\n",
                    e.trace_id,
                    if note.is_empty() {
                        "(no note)".to_owned()
                    } else {
                        note
                    }
                ));
            }
        }
    }
    out.push_str(&super::first_failure::markdown(
        &super::first_failure::breakdown(r.labels.latest()),
    ));
    let roll = p.by_reporting_label();
    if roll.iter().any(|(l, _)| l != "(no reporting label)") {
        out.push_str("\n## Report by reporting label\n\n| reporting label | failing traces |\n| --- | --- |\n");
        for (label, n) in roll {
            out.push_str(&format!("| {label} | {n} |\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::pareto::{Measure, compute};
    use crate::coding::{Category, LabelEvent};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn markdown_states_the_figures() {
        let mut labels = Labels::default();
        for (i, cat) in ["a", "a", "b"].iter().enumerate() {
            labels.push(LabelEvent {
                trace_id: format!("t{i}"),
                verdict: Some(Verdict::Fail),
                note: format!("note {i}"),
                categories: vec![(*cat).to_owned()],
                ..Default::default()
            });
        }
        let codebook = Codebook {
            version: 2,
            owner: "ana".into(),
            categories: vec![Category {
                name: "a".into(),
                description: "Alpha.".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let pareto = compute(
            labels.combos().iter().map(|(k, v)| (k, *v)),
            &codebook,
            Measure::Frequency,
            true,
        );
        let md = markdown(&ReportInput {
            dump: "d.jsonl",
            date: "2026-11-26",
            pareto: &pareto,
            codebook: &codebook,
            labels: &labels,
            saturation: labels.saturation(),
            threshold: 20,
            measure: "frequency",
            first_failure: &super::super::first_failure::breakdown(labels.latest()),
        });
        assert!(
            md.contains("- Reviewed: 3 traces, 3 failing (100 %)"),
            "{md}"
        );
        assert!(
            md.contains("| 1 | a | 2 | 67 % | 67 % | 67 % | medium |"),
            "{md}"
        );
        assert!(md.contains("| 2 | b (not in codebook) | 1 |"), "{md}");
        assert!(md.contains("- `t0`: note 0\n- `t1`: note 1"), "{md}");
        assert!(md.contains("Top 3 categories cover 100 % of failures"));
        assert!(md.contains("v2, not signed off"));
    }
}
