//! Where agent traces first went wrong: failing traces counted by category × the span the
//! expert marked as the first failure ("which step fails most").

use serde::Serialize;

use super::labels::{LabelEvent, Verdict};

/// Shown for a failing trace with no category.
pub const UNCATEGORISED: &str = "(no category)";

/// One cell of the breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstFailure {
    /// The failure category.
    pub category: String,
    /// The name of the span marked as the first failure.
    pub span: String,
    /// Failing traces with that category and first-failure span.
    pub traces: usize,
}

/// The breakdown over label states: failing traces with a marked span, by category × span name,
/// most frequent first. A trace with two categories counts under each.
pub fn breakdown<'a>(states: impl IntoIterator<Item = &'a LabelEvent>) -> Vec<FirstFailure> {
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for e in states {
        if e.verdict != Some(Verdict::Fail) {
            continue;
        }
        let Some(span) = e.span_name.as_ref().or(e.span_id.as_ref()) else {
            continue;
        };
        let mut cats: Vec<&str> = e.categories.iter().map(String::as_str).collect();
        cats.sort_unstable();
        cats.dedup();
        if cats.is_empty() {
            cats.push(UNCATEGORISED);
        }
        for c in cats {
            *counts.entry((c.to_owned(), span.clone())).or_default() += 1;
        }
    }
    let mut out: Vec<FirstFailure> = counts
        .into_iter()
        .map(|((category, span), traces)| FirstFailure {
            category,
            span,
            traces,
        })
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.traces));
    out
}

/// The breakdown's spans, most frequent first, with their failing traces (any category).
pub fn by_span<'a>(states: impl IntoIterator<Item = &'a LabelEvent>) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for e in states {
        if e.verdict == Some(Verdict::Fail)
            && let Some(span) = e.span_name.as_ref().or(e.span_id.as_ref())
        {
            *counts.entry(span.clone()).or_default() += 1;
        }
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.1));
    out
}

/// The breakdown as a Markdown section (empty when no failing trace has a marked span).
pub fn markdown(cells: &[FirstFailure]) -> String {
    if cells.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n## Where traces first went wrong\n\nFailing traces by category and the span marked as the first failure.\n\n| category | first-failure span | failing traces |\n| --- | --- | --- |\n",
    );
    for c in cells {
        let cell = |s: &str| s.replace('|', "\\|");
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&c.category),
            cell(&c.span),
            c.traces
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ev(id: &str, verdict: Verdict, cats: &[&str], span: Option<&str>) -> LabelEvent {
        LabelEvent {
            trace_id: id.into(),
            verdict: Some(verdict),
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            span_id: span.map(|s| format!("id-{s}")),
            span_name: span.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn counts_failing_traces_by_category_and_first_failure_span() {
        let states = [
            ev("a", Verdict::Fail, &["wrong tool"], Some("search_docs")),
            ev(
                "b",
                Verdict::Fail,
                &["wrong tool", "tone"],
                Some("search_docs"),
            ),
            ev("c", Verdict::Fail, &["tone"], Some("ChatCompletion")),
            ev("d", Verdict::Fail, &[], Some("ChatCompletion")),
            ev("e", Verdict::Fail, &["tone"], None),
            ev("f", Verdict::Pass, &["tone"], Some("ChatCompletion")),
        ];
        let cells = breakdown(&states);
        assert_eq!(
            cells[0],
            FirstFailure {
                category: "wrong tool".into(),
                span: "search_docs".into(),
                traces: 2
            }
        );
        assert_eq!(cells.iter().map(|c| c.traces).sum::<usize>(), 5);
        assert!(cells.iter().any(|c| c.category == UNCATEGORISED));
        assert_eq!(
            by_span(&states),
            vec![("ChatCompletion".into(), 2), ("search_docs".into(), 2)]
        );
        let md = markdown(&cells);
        assert!(md.contains("| wrong tool | search_docs | 2 |"), "{md}");
        assert_eq!(markdown(&[]), "");
    }
}
