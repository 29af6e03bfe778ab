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
