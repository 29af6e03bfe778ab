use std::sync::Mutex;

use serde_json::json;

use super::*;
use crate::coding::{LabelEvent, Verdict};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A stand-in server: answers by what the SQL asks, and keeps every SQL it was sent.
fn fake(sent: Arc<Mutex<Vec<String>>>) -> Fetch {
    Arc::new(move |req: ehttp::Request, done| {
        let sql = String::from_utf8_lossy(&req.body).into_owned();
        sent.lock().unwrap().push(sql.clone());
        let (status, body) = if sql.contains("nope") {
            (
                500,
                "Code: 47, e.displayText() = DB::Exception: Unknown identifier: nope".to_owned(),
            )
        } else if sql.contains("LIMIT 0") {
            let meta = json!([
                {"name": "id", "type": "String"},
                {"name": "input", "type": "String"},
                {"name": "output", "type": "String"},
                {"name": "judge", "type": "String"}
            ]);
            (200, json!({"meta": meta, "data": []}).to_string())
        } else if sql.contains("GROUP BY") {
            let meta =
                json!([{"name": "value", "type": "String"}, {"name": "n", "type": "UInt64"}]);
            let data = json!([["pass", "900"], ["fail", "100"]]);
            (200, json!({"meta": meta, "data": data}).to_string())
        } else if sql.contains("count()") {
            let n = if sql.contains("WHERE") { 40 } else { 1000 };
            let meta = json!([{"name": "n", "type": "UInt64"}]);
            (
                200,
                json!({"meta": meta, "data": [[n.to_string()]]}).to_string(),
            )
        } else if sql.contains("cityHash64") {
            let meta = json!([{"name": "id", "type": "String"}]);
            let data: Vec<Value> = (0..15).map(|i| json!([format!("t{i}")])).collect();
            (200, json!({"meta": meta, "data": data}).to_string())
        } else if sql.contains("SELECT *") {
            let meta =
                json!([{"name": "id", "type": "String"}, {"name": "input", "type": "String"}]);
            (
                200,
                json!({"meta": meta, "data": [["t3", "whole question"]]}).to_string(),
            )
        } else {
            let meta = json!([
                {"name": "__id", "type": "String"},
                {"name": "__input", "type": "String"},
                {"name": "__output", "type": "String"},
                {"name": "judge", "type": "String"}
            ]);
            let data: Vec<Value> = (0..PAGE_ROWS)
                .map(|i| json!([format!("t{i}"), "q", "a", "pass"]))
                .collect();
            (200, json!({"meta": meta, "data": data}).to_string())
        };
        done(Ok(ehttp::Response {
            url: req.url,
            ok: status == 200,
            status,
            status_text: String::new(),
            headers: Default::default(),
            bytes: body.into_bytes(),
        }));
    })
}

fn project(events: &[(&str, Option<Verdict>, &[&str])]) -> Project {
    let mut p = Project::new(
        crate::persist::ProjectStore::memory(),
        Default::default(),
        &Default::default(),
    );
    for (id, verdict, cats) in events {
        p.record(LabelEvent {
            trace_id: (*id).to_owned(),
            verdict: *verdict,
            categories: cats.iter().map(|c| (*c).to_owned()).collect(),
            ..Default::default()
        })
        .unwrap();
    }
    p
}

#[test]
fn a_view_is_counted_paged_faceted_and_opened_through_the_server() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut r = Remote::with_fetch("clickhouse://h/d/t", fake(sent.clone()));
    assert_eq!(r.poll(), vec![Event::Ready]);
    r.poll();
    assert_eq!(r.total, Some(1000));
    assert_eq!(r.shown, vec!["judge".to_owned()]);
    let mut f = Filters {
        sql: "judge = 'fail'".into(),
        ..Default::default()
    };
    r.requery(&f, None);
    r.poll();
    assert_eq!(r.matched, Some(40));
    assert_eq!(r.facets[0].0, "judge");
    assert_eq!(r.facets[0].1[1], ("fail".to_owned(), 100));
    assert!(r.row(0).is_none(), "nothing fetched before the table asks");
    r.want(0..30);
    r.poll();
    assert_eq!(r.row(5).unwrap()[0], "t5");
    let pages = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.contains("OFFSET"))
        .count();
    assert_eq!(pages, 1, "40 rows: one page, asked for once");
    r.want(0..30);
    assert_eq!(r.in_flight, 0, "a page that arrived is not asked for again");
    r.fetch_traces(Purpose::Open("t3".into()), vec!["t3".into()]);
    match r.poll().pop() {
        Some(Event::Records { purpose, jsonl, .. }) => {
            assert_eq!(purpose, Purpose::Open("t3".into()));
            assert!(String::from_utf8_lossy(&jsonl).contains("whole question"));
        }
        other => panic!("{other:?}"),
    }
    assert!(r.fetched.contains("t3"));
    // a broken condition: the server's message, naming it; the view stays usable
    f.sql = "nope = 1".into();
    r.requery(&f, None);
    match r.poll().first() {
        Some(Event::Failed(e)) => assert!(e.contains("ClickHouse at h:8123") && e.contains("nope")),
        other => panic!("{other:?}"),
    }
    assert!(r.error.is_some());
}

#[test]
fn answers_to_an_older_view_are_dropped() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let held: Arc<Mutex<Vec<Done>>> = Default::default();
    let inner = fake(sent);
    let h = held.clone();
    let hold: Fetch = Arc::new(move |req: ehttp::Request, done| {
        let sql = String::from_utf8_lossy(&req.body).into_owned();
        if sql.contains("count()") && sql.contains("old") {
            h.lock().unwrap().push(done); // answered later, after a newer view
        } else {
            inner(req, done);
        }
    });
    let mut r = Remote::with_fetch("clickhouse://h/d/t", hold);
    r.poll();
    let mut f = Filters {
        sql: "old = 1".into(),
        ..Default::default()
    };
    r.requery(&f, None);
    f.sql = "new = 1".into();
    r.requery(&f, None);
    r.poll();
    assert_eq!(r.matched, Some(40));
    let late = held.lock().unwrap().pop().unwrap();
    let meta = json!([{"name": "n", "type": "UInt64"}]);
    late(Ok(ehttp::Response {
        url: String::new(),
        ok: true,
        status: 200,
        status_text: String::new(),
        headers: Default::default(),
        bytes: json!({"meta": meta, "data": [["7"]]})
            .to_string()
            .into_bytes(),
    }));
    r.poll();
    assert_eq!(
        r.matched,
        Some(40),
        "the older count did not overwrite the newer"
    );
}

#[test]
fn label_filters_become_exact_id_sets() {
    let p = project(&[
        ("a", Some(Verdict::Fail), &["tone"]),
        ("b", Some(Verdict::Pass), &[]),
        ("c", Some(Verdict::Fail), &["facts"]),
    ]);
    let f = Filters::default();
    assert_eq!(id_set(&p, &f, &LabelFilter::default()), None);
    let fail = LabelFilter {
        verdict: crate::project::VerdictFilter::Fail,
        ..Default::default()
    };
    let (mut ids, inside) = id_set(&p, &f, &fail).unwrap();
    ids.sort();
    assert_eq!((ids, inside), (vec!["a".to_owned(), "c".to_owned()], true));
    // unreviewed keeps every unlabelled trace: all but the labelled ones
    let unreviewed = LabelFilter {
        verdict: crate::project::VerdictFilter::Unreviewed,
        ..Default::default()
    };
    let (ids, inside) = id_set(&p, &f, &unreviewed).unwrap();
    assert_eq!((ids.len(), inside), (3, false));
    let tone = LabelFilter {
        categories: vec!["tone".into()],
        ..Default::default()
    };
    assert_eq!(id_set(&p, &f, &tone), Some((vec!["a".to_owned()], true)));
}

#[test]
fn a_sample_is_drawn_from_unreviewed_traces_reproducibly() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut r = Remote::with_fetch("clickhouse://h/d/t", fake(sent.clone()));
    r.poll();
    let p = project(&[("t1", Some(Verdict::Fail), &[])]);
    let req = SampleRequest {
        name: "w48".into(),
        n: 15,
        seed: 7,
        strategy: Strategy::Uniform,
    };
    r.draw(req.clone(), &p).unwrap();
    let a = r.poll();
    r.draw(req.clone(), &p).unwrap();
    let b = r.poll();
    assert_eq!(a, b, "the same seed draws the same batch");
    let Some(Event::Sampled(_, ids, pool)) = a.first() else {
        panic!("{a:?}")
    };
    assert_eq!((ids.len(), *pool), (15, 15));
    let sql = sent.lock().unwrap().last().cloned().unwrap();
    assert!(
        sql.contains("NOT IN ('t1')") && sql.contains("cityHash64(toString(`id`), 7)"),
        "{sql}"
    );
    let bad = SampleRequest {
        strategy: Strategy::Oversample {
            predicate: " ".into(),
            share: 0.5,
        },
        ..req
    };
    assert!(r.draw(bad, &p).unwrap_err().contains("predicate"));
}

#[test]
fn stop_drops_what_is_on_its_way_and_kills_the_windows_queries() {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let held: Arc<Mutex<Vec<Done>>> = Default::default();
    let inner = fake(sent.clone());
    let h = held.clone();
    let hold: Fetch = Arc::new(move |req: ehttp::Request, done| {
        let sql = String::from_utf8_lossy(&req.body).into_owned();
        if sql.contains("OFFSET") {
            h.lock().unwrap().push(done); // a slow page
        } else {
            inner(req, done);
        }
    });
    let mut r = Remote::with_fetch("clickhouse://h/d/t", hold);
    r.poll();
    r.requery(&Filters::default(), None);
    r.poll();
    r.want(0..30);
    assert_eq!(r.in_flight, 3, "the visible page and the two after it");
    r.stop();
    assert_eq!(r.in_flight, 0);
    let kill = sent.lock().unwrap().last().cloned().unwrap();
    assert!(
        kill.starts_with("KILL QUERY WHERE query_id LIKE 'errata-"),
        "{kill}"
    );
    // the page answers after all: dropped, and it may be asked for again
    for late in held.lock().unwrap().drain(..) {
        late(Err("cancelled".into()));
    }
    assert!(r.poll().is_empty());
    assert!(r.row(0).is_none());
}

#[test]
fn cells_read_as_a_conversation_whole_or_cut() {
    use crate::trace::content::Side;
    let whole = r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A dinner for 3"}]}"#;
    assert!(cell_preview(whole, Side::Input).contains("A dinner for 3"));
    let cut = r#"[{"role": "user", "content": "first"}, {"role": "assistant", "content": "second \"quoted\""}, {"role": "user", "content": "thi"#;
    assert_eq!(cell_preview(cut, Side::Input), "second \"quoted\"");
    assert_eq!(cell_preview("plain text", Side::Output), "plain text");
    assert_eq!(cell_preview("{not json", Side::Output), "{not json");
}
