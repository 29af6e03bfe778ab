//! Judge versus human (and annotator versus annotator): agreement, true-positive and
//! true-negative rates with failures as the positive class, Cohen's kappa, the confusion matrix,
//! and warnings when a rate rests on too few traces.

use serde::Serialize;

/// Below this many traces of a class, a rate is flagged as weak.
pub const MIN_SUPPORT: usize = 20;

/// Counts with failures as the positive class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Judge fail, human fail.
    pub tp: usize,
    /// Judge fail, human pass.
    pub fp: usize,
    /// Judge pass, human pass.
    pub tn: usize,
    /// Judge pass, human fail.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// The figures of a binary comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Agreement {
    /// Traces both judged.
    pub n: usize,
    /// Share of traces where they agree (`None` when n = 0).
    pub agreement: Option<f64>,
    /// Of the human failures, the share the judge also failed.
    pub tpr: Option<f64>,
    /// Of the human passes, the share the judge also passed.
    pub tnr: Option<f64>,
    /// Cohen's kappa (`None` when undefined: no pairs, or chance agreement is 1).
    pub kappa: Option<f64>,
    /// The confusion matrix.
    pub confusion: Confusion,
    /// Figures that rest on too few traces, in words.
    pub warnings: Vec<String>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Compares `(judge_fails, human_fails)` pairs.
pub fn binary(pairs: impl IntoIterator<Item = (bool, bool)>) -> Agreement {
    let mut c = Confusion::default();
    for (judge_fail, human_fail) in pairs {
        match (judge_fail, human_fail) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, false) => c.tn += 1,
            (false, true) => c.fn_ += 1,
        }
    }
    let n = c.tp + c.fp + c.tn + c.fn_;
    let human_fail = c.tp + c.fn_;
    let human_pass = c.tn + c.fp;
    let judge_fail = c.tp + c.fp;
    let judge_pass = c.tn + c.fn_;
    let kappa = if n == 0 {
        None
    } else {
        let po = (c.tp + c.tn) as f64 / n as f64;
        let pe = (human_fail as f64 * judge_fail as f64 + human_pass as f64 * judge_pass as f64)
            / (n as f64 * n as f64);
        ((1.0 - pe).abs() > 1e-12).then(|| (po - pe) / (1.0 - pe))
    };
    let mut warnings = Vec::new();
    if human_fail < MIN_SUPPORT {
        warnings.push(format!(
            "the true-positive rate rests on {human_fail} human failures (fewer than {MIN_SUPPORT})"
        ));
    }
    if human_pass < MIN_SUPPORT {
        warnings.push(format!(
            "the true-negative rate rests on {human_pass} human passes (fewer than {MIN_SUPPORT})"
        ));
    }
    if kappa.is_none() && n > 0 {
        warnings
            .push("kappa is undefined: one side gave a single verdict to every trace".to_owned());
    }
    Agreement {
        n,
        agreement: ratio(c.tp + c.tn, n),
        tpr: ratio(c.tp, human_fail),
        tnr: ratio(c.tn, human_pass),
        kappa,
        confusion: c,
        warnings,
    }
}

/// Reads a judge's value as "fails": `positive` names the failing value when given; otherwise
/// booleans read as pass flags (false fails), PASS/FAIL-like words as themselves, and numbers
/// below `threshold` fail. `None` when the value says neither.
pub fn judge_fails(value: &str, positive: Option<&str>, threshold: Option<f64>) -> Option<bool> {
    let v = value.trim();
    if v.is_empty() || v == "null" {
        return None;
    }
    if let Some(p) = positive {
        return Some(v.eq_ignore_ascii_case(p));
    }
    if let (Some(t), Ok(x)) = (threshold, v.parse::<f64>()) {
        return Some(x < t);
    }
    match v.to_ascii_lowercase().as_str() {
        "fail" | "failed" | "failure" | "false" | "no" | "bad" | "0" | "incorrect"
        | "thumbs_down" => Some(true),
        "pass" | "passed" | "true" | "yes" | "good" | "1" | "correct" | "ok" | "thumbs_up" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hand_computed() {
        // tp 8, fp 2, tn 6, fn 4 → n 20
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n((true, true), 8));
        pairs.extend(std::iter::repeat_n((true, false), 2));
        pairs.extend(std::iter::repeat_n((false, false), 6));
        pairs.extend(std::iter::repeat_n((false, true), 4));
        let a = binary(pairs);
        assert_eq!(a.n, 20);
        assert_eq!(
            a.confusion,
            Confusion {
                tp: 8,
                fp: 2,
                tn: 6,
                fn_: 4
            }
        );
        assert!((a.agreement.unwrap() - 0.7).abs() < 1e-12);
        assert!((a.tpr.unwrap() - 8.0 / 12.0).abs() < 1e-12);
        assert!((a.tnr.unwrap() - 6.0 / 8.0).abs() < 1e-12);
        // po 0.7; pe = (12*10 + 8*10)/400 = 0.5; kappa 0.4
        assert!((a.kappa.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(a.warnings.len(), 2);
    }

    #[test]
    fn edge_cases() {
        let empty = binary(std::iter::empty());
        assert_eq!(
            (empty.n, empty.agreement, empty.kappa, empty.tpr),
            (0, None, None, None)
        );
        let all_agree_one_class = binary(std::iter::repeat_n((true, true), 30));
        assert_eq!(all_agree_one_class.agreement, Some(1.0));
        assert_eq!(all_agree_one_class.kappa, None);
        assert_eq!(all_agree_one_class.tnr, None);
        assert!(
            all_agree_one_class
                .warnings
                .iter()
                .any(|w| w.contains("undefined"))
        );
        let mut disagree = vec![(true, false); 25];
        disagree.extend(vec![(false, true); 25]);
        let a = binary(disagree);
        assert_eq!(a.agreement, Some(0.0));
        assert!((a.kappa.unwrap() + 1.0).abs() < 1e-12);
        assert!(a.warnings.is_empty());
    }

    #[test]
    fn judge_values() {
        assert_eq!(judge_fails("FAIL", None, None), Some(true));
        assert_eq!(judge_fails("PASS", None, None), Some(false));
        assert_eq!(judge_fails("false", None, None), Some(true));
        assert_eq!(judge_fails("0.3", None, Some(0.5)), Some(true));
        assert_eq!(judge_fails("0.7", None, Some(0.5)), Some(false));
        assert_eq!(judge_fails("bad_tone", Some("bad_tone"), None), Some(true));
        assert_eq!(judge_fails("", None, None), None);
        assert_eq!(judge_fails("maybe", None, None), None);
    }
}

/// Two annotators compared on the traces both labelled (each one's latest label per trace).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Annotators {
    /// Traces both labelled.
    pub shared: usize,
    /// Verdict agreement (the first annotator's fail as the "judge").
    pub verdict: Agreement,
    /// Per category: kappa of "has this category" (sorted by name).
    pub categories: Vec<(String, Agreement)>,
    /// Trace ids where they differ in verdict or categories (sorted).
    pub disagreements: Vec<String>,
}

/// Compares annotators `a` and `b` from the full event log.
pub fn annotators(events: &[super::LabelEvent], a: &str, b: &str) -> Annotators {
    use std::collections::{BTreeMap, BTreeSet};
    let latest = |who: &str| {
        let mut m: BTreeMap<&str, &super::LabelEvent> = BTreeMap::new();
        for e in events.iter().filter(|e| e.author == who) {
            m.insert(e.trace_id.as_str(), e);
        }
        m
    };
    let (la, lb) = (latest(a), latest(b));
    let shared: Vec<(&super::LabelEvent, &super::LabelEvent)> = la
        .iter()
        .filter_map(|(id, ea)| lb.get(id).map(|eb| (*ea, *eb)))
        .collect();
    let fail = |e: &super::LabelEvent| e.verdict == Some(super::Verdict::Fail);
    let verdict = binary(
        shared
            .iter()
            .filter(|(x, y)| x.verdict.is_some() && y.verdict.is_some())
            .map(|(x, y)| (fail(x), fail(y))),
    );
    let names: BTreeSet<&str> = shared
        .iter()
        .flat_map(|(x, y)| x.categories.iter().chain(&y.categories).map(String::as_str))
        .collect();
    let categories = names
        .into_iter()
        .map(|c| {
            let has = |e: &super::LabelEvent| e.categories.iter().any(|x| x == c);
            (
                c.to_owned(),
                binary(shared.iter().map(|(x, y)| (has(x), has(y)))),
            )
        })
        .collect();
    let mut disagreements: Vec<String> = shared
        .iter()
        .filter(|(x, y)| {
            let mut cx = x.categories.clone();
            let mut cy = y.categories.clone();
            cx.sort();
            cy.sort();
            x.verdict != y.verdict || cx != cy
        })
        .map(|(x, _)| x.trace_id.clone())
        .collect();
    disagreements.sort();
    Annotators {
        shared: shared.len(),
        verdict,
        categories,
        disagreements,
    }
}

#[cfg(test)]
mod annotator_tests {
    use super::*;
    use crate::coding::{LabelEvent, Verdict};

    fn ev(id: &str, who: &str, v: Verdict, cats: &[&str]) -> LabelEvent {
        LabelEvent {
            trace_id: id.into(),
            author: who.into(),
            verdict: Some(v),
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn compares_two_annotators() {
        use Verdict::{Fail, Pass};
        let events = vec![
            ev("1", "ana", Fail, &["x"]),
            ev("1", "bo", Fail, &["x"]),
            ev("2", "ana", Fail, &["x", "y"]),
            ev("2", "bo", Fail, &["y"]),
            ev("3", "ana", Pass, &[]),
            ev("3", "bo", Fail, &["x"]),
            ev("4", "ana", Pass, &[]),    // only ana
            ev("3", "ana", Fail, &["x"]), // ana changes her mind: latest counts
        ];
        let r = annotators(&events, "ana", "bo");
        assert_eq!(r.shared, 3);
        assert_eq!(r.verdict.confusion.tp, 3);
        assert_eq!(r.disagreements, ["2"]);
        let x = &r.categories.iter().find(|(c, _)| c == "x").unwrap().1;
        assert_eq!(
            x.confusion,
            Confusion {
                tp: 2,
                fp: 1,
                tn: 0,
                fn_: 0
            }
        );
        assert_eq!(r.categories.len(), 2);
    }
}

/// Precision and recall of a category judge, per category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryScore {
    /// The category.
    pub category: String,
    /// Of the traces the judge gave it, the share the human also gave it.
    pub precision: Option<f64>,
    /// Of the traces the human gave it, the share the judge also gave it.
    pub recall: Option<f64>,
    /// Traces the human gave it.
    pub support: usize,
}

/// The categories named in a judge's cell: a JSON array, or text split at `,` `;` `|`.
pub fn judge_categories(value: &str) -> Vec<String> {
    let v = value.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(v) {
        return list
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
    }
    v.split([',', ';', '|'])
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Per-category precision/recall over `(judge categories, human categories)` pairs, by name.
pub fn per_category(pairs: &[(Vec<String>, Vec<String>)]) -> Vec<CategoryScore> {
    let names: std::collections::BTreeSet<&str> = pairs
        .iter()
        .flat_map(|(j, h)| j.iter().chain(h).map(String::as_str))
        .collect();
    names
        .into_iter()
        .map(|c| {
            let (mut both, mut judge, mut human) = (0, 0, 0);
            for (j, h) in pairs {
                let (in_j, in_h) = (j.iter().any(|x| x == c), h.iter().any(|x| x == c));
                both += usize::from(in_j && in_h);
                judge += usize::from(in_j);
                human += usize::from(in_h);
            }
            CategoryScore {
                category: c.to_owned(),
                precision: ratio(both, judge),
                recall: ratio(both, human),
                support: human,
            }
        })
        .collect()
}

#[cfg(test)]
mod category_tests {
    use super::*;

    #[test]
    fn precision_recall_by_category() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let pairs = vec![
            (s(&["a"]), s(&["a"])),
            (s(&["a", "b"]), s(&["a"])),
            (s(&[]), s(&["b"])),
            (s(&["b"]), s(&["b"])),
        ];
        let r = per_category(&pairs);
        assert_eq!(
            r[0],
            CategoryScore {
                category: "a".into(),
                precision: Some(1.0),
                recall: Some(1.0),
                support: 2
            }
        );
        assert_eq!(r[1].precision, Some(0.5));
        assert_eq!(r[1].recall, Some(0.5));
        assert_eq!(judge_categories("a, b;c"), ["a", "b", "c"]);
        assert_eq!(judge_categories(r#"["x","y"]"#), ["x", "y"]);
        assert!(judge_categories(" ").is_empty());
    }
}
