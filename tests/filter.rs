//! The filter layer on small frames: SQL over metadata (dotted names, mixed types, nulls),
//! search (case folding, unicode, regex, scope), facets, composition and sort.

#![allow(clippy::unwrap_used)] // tests may unwrap

use errata::trace::filter::{self, Facet, FilterError, Scope, Search};
use errata::trace::load;
use errata::trace::view::{self, Filters, Sort, SortColumn};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn store() -> errata::trace::TraceStore {
    let text = [
        r#"{"id":"a","input":"Where is my REFUND?","output":"Within 7 days.","model":"gpt-4o","latency_ms":2500,"metadata":{"env":"prod"},"mixed":1}"#,
        r#"{"id":"b","input":"Réservez un vol","output":"C'est fait : ÉTÉ 2026","model":"claude","latency_ms":900,"metadata":{"env":"staging"},"mixed":"x"}"#,
        r#"{"id":"c","input":"refund please","output":"No.","model":"gpt-4o","latency_ms":3100,"metadata":{"env":"prod"}}"#,
        r#"{"id":"d","input":"hello","output":"hi","model":null,"latency_ms":null,"metadata":{"env":"prod"},"mixed":2.5}"#,
    ]
    .join("\n");
    load::load_bytes("t.jsonl", text.into_bytes())
        .unwrap()
        .store
}

fn rows(mask: &[bool]) -> Vec<usize> {
    mask.iter()
        .enumerate()
        .filter(|(_, m)| **m)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn sql_where_over_metadata() {
    let s = store();
    let m = filter::sql_mask(
        &s,
        "model = 'gpt-4o' AND latency_ms > 2000 AND metadata.env = 'prod'",
    )
    .unwrap();
    assert_eq!(rows(&m), [0, 2]);
    assert_eq!(
        rows(&filter::sql_mask(&s, "latency_ms IS NULL").unwrap()),
        [3]
    );
    // a mixed column is text
    assert_eq!(rows(&filter::sql_mask(&s, "mixed = '2.5'").unwrap()), [3]);
    assert_eq!(
        rows(&filter::sql_mask(&s, "\"metadata.env\" <> 'prod'").unwrap()),
        [1]
    );
    // string literals that look like column names are left alone
    assert_eq!(
        filter::quote_dotted("x = 'metadata.env'", &["metadata.env".into()]),
        "x = 'metadata.env'"
    );
    assert_eq!(
        filter::quote_dotted("metadata.env='a'", &["metadata.env".into()]),
        "\"metadata.env\"='a'"
    );
}

#[test]
fn sql_errors_are_clear() {
    let s = store();
    let Err(FilterError::Sql { message, .. }) = filter::sql_mask(&s, "nope = 1") else {
        panic!()
    };
    assert!(message.contains("nope"), "{message}");
    let Err(FilterError::Sql { message, position }) = filter::sql_mask(&s, "model = = 'x'") else {
        panic!()
    };
    assert!(!message.is_empty());
    assert!(position.is_some(), "{message}");
}

#[test]
fn search_folds_case_and_unicode_and_respects_scope() {
    let s = store();
    let search = |text: &str, scope| Search {
        text: text.into(),
        scope,
        ..Default::default()
    };
    assert_eq!(
        rows(&filter::search_mask(&s, &search("refund", Scope::Both)).unwrap()),
        [0, 2]
    );
    assert_eq!(
        rows(&filter::search_mask(&s, &search("été", Scope::Both)).unwrap()),
        [1]
    );
    assert_eq!(
        rows(&filter::search_mask(&s, &search("réservez", Scope::Output)).unwrap()),
        Vec::<usize>::new()
    );
    assert_eq!(
        rows(&filter::search_mask(&s, &search("réservez", Scope::Input)).unwrap()),
        [1]
    );
    let exact = Search {
        text: "REFUND".into(),
        case_sensitive: true,
        ..Default::default()
    };
    assert_eq!(rows(&filter::search_mask(&s, &exact).unwrap()), [0]);
    let re = Search {
        text: r"\d+ days".into(),
        regex: true,
        ..Default::default()
    };
    assert_eq!(rows(&filter::search_mask(&s, &re).unwrap()), [0]);
    let bad = Search {
        text: "(".into(),
        regex: true,
        ..Default::default()
    };
    assert!(matches!(
        filter::search_mask(&s, &bad),
        Err(FilterError::Regex(_))
    ));
    // a literal '(' is fine when not a regex
    let lit = Search {
        text: "(".into(),
        ..Default::default()
    };
    assert!(filter::search_mask(&s, &lit).is_ok());
    let m = Search {
        text: "refund".into(),
        ..Default::default()
    }
    .matcher()
    .unwrap();
    assert_eq!(
        filter::match_ranges(&m, "a Refund, a REFUND", 10),
        [2..8, 12..18]
    );
}

#[test]
fn facets_count_and_filter() {
    let s = store();
    assert_eq!(
        filter::facet_counts(&s, "model", None),
        [
            ("gpt-4o".to_owned(), 2),
            ("claude".to_owned(), 1),
            ("null".to_owned(), 1)
        ]
    );
    let include = Facet {
        include: vec!["gpt-4o".into()],
        exclude: vec![],
    };
    assert_eq!(rows(&filter::facet_mask(&s, "model", &include)), [0, 2]);
    let exclude = Facet {
        include: vec![],
        exclude: vec!["prod".into()],
    };
    assert_eq!(rows(&filter::facet_mask(&s, "metadata.env", &exclude)), [1]);
    let cols = filter::facet_columns(&s, 10);
    assert!(cols.contains(&"model".to_owned()) && cols.contains(&"metadata.env".to_owned()));
}

#[test]
fn filters_compose_with_a_stable_sort() {
    let s = store();
    let mut f = Filters {
        sql: "latency_ms > 1000".into(),
        ..Default::default()
    };
    f.facets.insert(
        "model".into(),
        Facet {
            include: vec!["gpt-4o".into()],
            exclude: vec![],
        },
    );
    let sort = Sort {
        column: SortColumn::Meta("latency_ms".into()),
        descending: true,
    };
    let r = view::compute(
        &s,
        &f,
        Some(&sort),
        None,
        None,
        &["model".into(), "metadata.env".into()],
        None,
    )
    .unwrap();
    assert_eq!(r.rows, [2, 0]);
    // facet counts exclude the facet's own selection but apply the others
    let model = &r.facets.iter().find(|(c, _)| c == "model").unwrap().1;
    assert_eq!(model, &[("gpt-4o".to_owned(), 2)]);
    f.search = Search {
        text: "please".into(),
        ..Default::default()
    };
    let r = view::compute(&s, &f, None, None, None, &[], None).unwrap();
    assert_eq!(r.rows, [2]);
    assert_eq!(r.search_matches, Some(1));
    let label_mask = [true, false, false, true];
    let r = view::compute(
        &s,
        &Filters::default(),
        None,
        Some(&label_mask),
        None,
        &[],
        None,
    )
    .unwrap();
    assert_eq!(r.rows, [0, 3]);
    let bad = Filters {
        sql: "latency_ms >".into(),
        ..Default::default()
    };
    assert!(view::compute(&s, &bad, None, None, None, &[], None).is_err());
}

#[test]
fn empty_and_everywhere_searches() {
    let s = store();
    assert!(!Search::default().is_active());
    let every = Search {
        text: "e".into(),
        ..Default::default()
    };
    assert_eq!(rows(&filter::search_mask(&s, &every).unwrap()).len(), 4);
    // the text is searched, not its JSON: no input or output holds a quote
    let quote = Search {
        text: "\"".into(),
        ..Default::default()
    };
    assert_eq!(rows(&filter::search_mask(&s, &quote).unwrap()).len(), 0);
}

#[test]
fn free_text_columns_are_not_facets() {
    let lines: Vec<String> = (0..6)
        .map(|i| {
            format!(
                r#"{{"id":"t{i}","input":"q","model":"m{}","Notes":"{}"}}"#,
                i % 2,
                if i % 2 == 0 {
                    "Axial code: tour scheduling.\\nThe assistant never offered a tour time."
                } else {
                    "fine"
                }
            )
        })
        .collect();
    let s = load::load_bytes("t.jsonl", lines.join("\n").into_bytes())
        .unwrap()
        .store;
    let facets = filter::facet_columns(&s, 30);
    assert!(facets.contains(&"model".to_owned()), "{facets:?}");
    assert!(!facets.contains(&"Notes".to_owned()), "{facets:?}");
}

/// 40,000 traces: enough for a parser chunk to hold its few-valued text as categories (natively).
/// `model` has four values and some nulls; `tag` has five values in the first half and a new one
/// on every row of the second (so it turns from categories to text part way).
fn large(threads: usize) -> (errata::trace::TraceStore, Vec<Option<String>>, Vec<String>) {
    use std::fmt::Write as _;
    let models = ["gpt-4o", "claude-sonnet-4", "Llama-3", "gemini"];
    let mut text = String::new();
    let (mut model, mut tag) = (Vec::new(), Vec::new());
    for i in 0..40_000 {
        let m = (i % 97 != 0).then(|| models[i % 4].to_owned());
        let t = if i < 20_000 {
            format!("t{}", i % 5)
        } else {
            format!("tag-{i}")
        };
        let m_json = m.as_ref().map_or("null".to_owned(), |m| format!("\"{m}\""));
        writeln!(
            text,
            r#"{{"id":"r{i}","input":"q","output":"a","model":{m_json},"tag":"{t}"}}"#
        )
        .unwrap();
        model.push(m);
        tag.push(t);
    }
    let sources = vec![load::Source::new("big.jsonl".to_owned(), text.into_bytes())];
    let store = load::load(sources, None, &load::Progress::default(), threads)
        .unwrap()
        .store;
    (store, model, tag)
}

/// Few-valued text held as categories reads as the text it is: cells, SQL (comparisons on the
/// codes, string functions over text), facets and sort give what plain text gives.
#[test]
fn few_valued_text_columns_read_as_text() {
    for threads in [1, 2] {
        let (s, model, tag) = large(threads);
        let m = s.column_index("model").unwrap();
        let t = s.column_index("tag").unwrap();
        if cfg!(not(target_arch = "wasm32")) {
            assert!(s.df().column("model").unwrap().dtype().is_categorical());
        }
        assert!(
            s.columns().iter().all(|c| c.dtype == "str"),
            "categories show as text: {:?}",
            s.columns()
        );
        for r in (0..s.len()).step_by(101).chain([0, 19_999, 20_000, 39_999]) {
            assert_eq!(s.cell(r, m), model[r], "model of row {r}");
            assert_eq!(
                s.cell(r, t).as_deref(),
                Some(tag[r].as_str()),
                "tag of row {r}"
            );
        }
        let expect =
            |f: &dyn Fn(usize) -> bool| -> Vec<usize> { (0..s.len()).filter(|&r| f(r)).collect() };
        let m_is = |r: usize, f: &dyn Fn(&str) -> bool| model[r].as_deref().is_some_and(f);
        let cases: Vec<(&str, Vec<usize>)> = vec![
            ("model = 'gpt-4o'", expect(&|r| m_is(r, &|v| v == "gpt-4o"))),
            (
                "model IN ('Llama-3', 'gemini')",
                expect(&|r| m_is(r, &|v| v == "Llama-3" || v == "gemini")),
            ),
            ("model < 'd'", expect(&|r| m_is(r, &|v| v < "d"))),
            (
                "model <> 'gemini'",
                expect(&|r| m_is(r, &|v| v != "gemini")),
            ),
            (
                "model LIKE 'g%'",
                expect(&|r| m_is(r, &|v| v.starts_with('g'))),
            ),
            (
                "lower(model) = 'llama-3'",
                expect(&|r| m_is(r, &|v| v == "Llama-3")),
            ),
            ("model IS NULL", expect(&|r| model[r].is_none())),
            ("tag = 't3'", expect(&|r| tag[r] == "t3")),
            ("length(tag) > 2", expect(&|r| tag[r].len() > 2)),
        ];
        for (cond, want) in cases {
            let got = rows(&filter::sql_mask(&s, cond).unwrap());
            assert_eq!(got, want, "{cond} ({threads} threads)");
        }
        let mut counts = std::collections::HashMap::new();
        for v in &model {
            *counts
                .entry(v.clone().unwrap_or_else(|| "null".to_owned()))
                .or_insert(0usize) += 1;
        }
        let facet = filter::facet_counts(&s, "model", None);
        assert_eq!(facet.len(), 5);
        for (v, n) in &facet {
            assert_eq!(counts.get(v), Some(n), "facet count of {v}");
        }
        let only = Facet {
            include: vec!["gemini".into()],
            exclude: vec![],
        };
        assert_eq!(
            rows(&filter::facet_mask(&s, "model", &only)),
            expect(&|r| m_is(r, &|v| v == "gemini"))
        );
        assert!(filter::facet_columns(&s, 10).contains(&"model".to_owned()));
        let sort = Sort {
            column: SortColumn::Meta("model".into()),
            descending: false,
        };
        let order = view::sorted_rows(&s, Some(&sort)).unwrap();
        let sorted: Vec<Option<String>> = order.iter().map(|&r| s.cell(r as usize, m)).collect();
        let mut want = model.clone();
        want.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Greater,
            (_, None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        });
        assert_eq!(
            sorted, want,
            "sorted by text, nulls last ({threads} threads)"
        );
    }
}
