//! errata's ClickHouse client against a real server (issue 17, work in progress): the SQL it
//! sends runs on the server `.ci/run` starts, and the answers decode. The server's HTTP address
//! comes from `ERRATA_CLICKHOUSE` (e.g. `127.0.0.1:18123`).

#![cfg(not(target_arch = "wasm32"))] // talks to a server
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use errata::trace::clickhouse::{self, Conditions, Rows, Source};

mod common;

fn server() -> Option<String> {
    let addr = std::env::var("ERRATA_CLICKHOUSE").ok();
    assert!(
        addr.is_some() || std::env::var("CI").is_err(),
        "ERRATA_CLICKHOUSE is not set under CI: .ci/run starts the server these tests need"
    );
    addr
}

fn run(source: &Source, sql: &str) -> Result<Rows, clickhouse::Error> {
    let resp = ehttp::fetch_blocking(&source.request(sql, None)).map_err(|e| {
        clickhouse::Error::Answer {
            server: source.server().to_owned(),
            reason: e,
        }
    })?;
    clickhouse::decode(source.server(), resp.status, &resp.bytes)
}

fn exec(source: &Source, sql: &str) {
    let resp = ehttp::fetch_blocking(&source.request(sql, None)).unwrap();
    assert_eq!(
        resp.status,
        200,
        "{sql}: {}",
        String::from_utf8_lossy(&resp.bytes)
    );
}

#[test]
fn an_otel_traces_table_is_counted_paged_filtered_searched_faceted_and_sampled_server_side() {
    let Some(addr) = server() else {
        eprintln!("ERRATA_CLICKHOUSE is not set: no ClickHouse server to test against");
        return;
    };
    let db = Source::parse(&format!("clickhouse://default@{addr}/default/none")).unwrap();
    exec(&db, "CREATE DATABASE IF NOT EXISTS errata_test");
    exec(&db, "DROP TABLE IF EXISTS errata_test.otel_traces");
    // the OTel Collector's table, adapted to what old servers have (Map → JSON text,
    // LowCardinality → String: experimental there)
    exec(
        &db,
        "CREATE TABLE errata_test.otel_traces (Timestamp DateTime, TraceId String, SpanId String, \
         ParentSpanId String, SpanName String, SpanKind String, \
         ServiceName String, SpanAttributes String, Duration UInt64, \
         StatusCode String) ENGINE = MergeTree ORDER BY (ServiceName, Timestamp)",
    );
    exec(
        &db,
        "INSERT INTO errata_test.otel_traces SELECT toDateTime('2026-11-27 10:00:00') + number, \
         concat('t', toString(intDiv(number, 4))), concat('s', toString(number)), \
         if(number % 4 = 0, '', concat('s', toString(number - number % 4))), \
         ['agent', 'llm', 'tool', 'llm'][number % 4 + 1], 'SPAN_KIND_INTERNAL', 'leasing', \
         concat('{\"input.value\": \"question ', toString(number), if(number = 777, ' reykjavik', ''), '\"}'), \
         1000000 * (number % 7), if(number % 50 = 2, 'STATUS_CODE_ERROR', 'STATUS_CODE_OK') \
         FROM numbers(4000)",
    );
    let src = Source::parse(&format!(
        "clickhouse://default@{addr}/errata_test/otel_traces"
    ))
    .unwrap();
    let all = Conditions::default();
    let n = run(&src, &clickhouse::count_sql(&src, &all)).unwrap();
    assert_eq!(n.rows[0][0], 4000);
    let errors = Conditions {
        sql: Some("StatusCode = 'STATUS_CODE_ERROR'".into()),
        ..Default::default()
    };
    let n = run(&src, &clickhouse::count_sql(&src, &errors)).unwrap();
    assert_eq!(n.rows[0][0], 80);
    let search = Conditions {
        search: Some("REYKJAVIK".into()),
        search_columns: vec![clickhouse::ident("SpanAttributes")],
        ..Default::default()
    };
    let n = run(&src, &clickhouse::count_sql(&src, &search)).unwrap();
    assert_eq!(n.rows[0][0], 1, "case-insensitive substring, server-side");
    let schema = run(&src, &clickhouse::schema_sql(&src)).unwrap();
    assert_eq!(schema.columns.len(), 10);
    let page = run(
        &src,
        &clickhouse::page_sql(
            &src,
            &schema.columns[..3],
            &all,
            Some(("SpanId", false)),
            3000,
            5,
            20,
        ),
    )
    .unwrap();
    assert_eq!(page.rows.len(), 5);
    assert_eq!(page.columns[1].0, "TraceId");
    // a page through its ids: the same rows, in the id's order
    let by_id = run(
        &src,
        &clickhouse::page_by_id_sql(
            &src,
            &schema.columns[..3],
            "SpanId",
            &errors,
            None,
            10,
            5,
            20,
        ),
    )
    .unwrap();
    assert_eq!(by_id.rows.len(), 5);
    let ids: Vec<&str> = by_id.rows.iter().map(|r| r[2].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let facets = run(&src, &clickhouse::facet_sql(&src, "SpanName", &all, 10)).unwrap();
    assert_eq!(
        facets.rows[0],
        vec![serde_json::json!("llm"), serde_json::json!(2000)]
    );
    let a = run(
        &src,
        &clickhouse::sample_sql(&src, "SpanId", 7, 15, &errors),
    )
    .unwrap();
    let b = run(
        &src,
        &clickhouse::sample_sql(&src, "SpanId", 7, 15, &errors),
    )
    .unwrap();
    assert_eq!(a.rows.len(), 15);
    assert_eq!(a, b, "the same seed draws the same sample");
    // the user's broken condition comes back as the server's message, naming the server
    let broken = Conditions {
        sql: Some("nope = 1".into()),
        ..Default::default()
    };
    let e = run(&src, &clickhouse::count_sql(&src, &broken)).unwrap_err();
    assert!(
        e.to_string().contains(&addr) && e.to_string().contains("nope"),
        "{e}"
    );
    let missing =
        Source::parse(&format!("clickhouse://default@{addr}/errata_test/missing")).unwrap();
    let e = run(&missing, &clickhouse::count_sql(&missing, &all)).unwrap_err();
    assert!(
        e.to_string().contains("doesn't exist") || e.to_string().contains("does not exist"),
        "{e}"
    );
}

#[test]
fn an_unreachable_server_is_named() {
    let src = Source::parse("clickhouse://default@127.0.0.1:9/d/t").unwrap();
    let e = run(&src, "SELECT 1 FORMAT JSONCompact").unwrap_err();
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
}

#[test]
fn summary_counts_a_clickhouse_source_server_side() {
    let Some(addr) = server() else {
        eprintln!("ERRATA_CLICKHOUSE is not set: no ClickHouse server to test against");
        return;
    };
    let db = Source::parse(&format!("clickhouse://default@{addr}/default/none")).unwrap();
    exec(&db, "CREATE DATABASE IF NOT EXISTS errata_cli");
    exec(&db, "DROP TABLE IF EXISTS errata_cli.otel_traces");
    exec(
        &db,
        "CREATE TABLE errata_cli.otel_traces (Timestamp DateTime, TraceId String, SpanId String, \
         ParentSpanId String, SpanAttributes String, StatusCode String) \
         ENGINE = MergeTree ORDER BY Timestamp",
    );
    exec(
        &db,
        "INSERT INTO errata_cli.otel_traces SELECT toDateTime('2026-11-27 10:00:00') + number, \
         concat('t', toString(intDiv(number, 4))), concat('s', toString(number)), \
         if(number % 4 = 0, '', 'p'), concat('{\"input.value\": \"question ', toString(number), '\"}'), \
         if(number % 50 = 2, 'STATUS_CODE_ERROR', 'STATUS_CODE_OK') FROM numbers(4000)",
    );
    let url = format!("clickhouse://default@{addr}/errata_cli/otel_traces");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(["summary", &url, "--search", "question 77", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["traces"].as_u64(), v["spans"].as_u64()),
        (Some(1000), Some(4000))
    );
    assert_eq!(v["trace_key"], "TraceId");
    assert_eq!(v["format"], "OpenTelemetry Collector spans (otel_traces)");
    // spans 77 and 770–779 lie in traces 19, 192, 193 and 194
    assert_eq!(v["matched"], 4);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_errata"))
        .args([
            "summary",
            &format!("clickhouse://default@{addr}/errata_cli/nope"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr) && err.contains("nope"), "{err}");
}

fn errata(args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn labels_report_and_judge_run_headless_on_a_langfuse_source() {
    let Some(addr) = common::clickhouse("errata_cli_langfuse") else {
        return;
    };
    let dir = common::root("clickhouse-cli-project");
    let (mut store, _) = errata::persist::ProjectStore::open_dir(&dir);
    // lf-0 and lf-5 fail (the judge says fail for every 5th), lf-1 passes, lf-2 fails where the
    // judge said pass; one id is not in the source
    for (id, verdict, cat) in [
        ("lf-0", "fail", Some("wrong diet")),
        ("lf-5", "fail", Some("wrong diet")),
        ("lf-1", "pass", None),
        ("lf-2", "fail", Some("too slow")),
        ("gone", "fail", Some("too slow")),
    ] {
        let ev = errata::coding::LabelEvent {
            trace_id: id.into(),
            verdict: Some(if verdict == "fail" {
                errata::coding::Verdict::Fail
            } else {
                errata::coding::Verdict::Pass
            }),
            categories: cat.into_iter().map(String::from).collect(),
            author: "ana".into(),
            ..Default::default()
        };
        store.append(&ev).unwrap();
    }
    drop(store);
    let url = format!("clickhouse://default@{addr}/errata_cli_langfuse/traces");
    let project = dir.to_str().unwrap();
    let labels = errata(&["labels", &url, "--project", project, "--json"]);
    assert_eq!(labels["reviewed"], 4, "{labels}");
    assert_eq!(labels["failed"], 3);
    assert_eq!(labels["unknown_trace_ids"], 1);
    assert_eq!(labels["categories"]["wrong diet"], 2);
    let report = errata(&["report", &url, "--project", project, "--format", "json"]);
    assert_eq!(report["failed"], 3, "{report}");
    let judge = errata(&[
        "judge",
        &url,
        "--project",
        project,
        "--column",
        "scores.judge",
        "--positive",
        "fail",
        "--json",
    ]);
    // judged by both: lf-0, lf-5 (agree: fail), lf-1 (agree: pass), lf-2 (disagree)
    assert_eq!(judge["n"], 4, "{judge}");
    assert_eq!(judge["agreement"], 0.75, "{judge}");
}

/// Polls `r` until an event comes (or 20 s).
fn next_events(r: &mut errata::workspace::remote::Remote) -> Vec<errata::workspace::remote::Event> {
    let t = std::time::Instant::now();
    while t.elapsed() < std::time::Duration::from_secs(20) {
        let e = r.poll();
        if !e.is_empty() {
            return e;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("no answer in 20 s");
}

fn failure(r: &mut errata::workspace::remote::Remote) -> String {
    match next_events(r).pop() {
        Some(errata::workspace::remote::Event::Failed(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn refused_credentials_a_missing_table_and_an_unreachable_server_are_named() {
    use errata::workspace::remote::Remote;
    let quiet = std::sync::Arc::new(|| {});
    // nothing listens on port 9
    let mut r = Remote::open("clickhouse://default@127.0.0.1:9/d/t", None, quiet.clone()).unwrap();
    let e = failure(&mut r);
    assert!(
        e.contains("ClickHouse at 127.0.0.1:9 cannot be reached"),
        "{e}"
    );
    let Some(addr) = server() else { return };
    let mut r = Remote::open(
        &format!("clickhouse://nobody@{addr}/default/t"),
        Some("x".into()),
        quiet.clone(),
    )
    .unwrap();
    let e = failure(&mut r);
    assert!(
        e.contains(&addr) && e.to_lowercase().contains("nobody"),
        "{e}"
    );
    let mut r = Remote::open(
        &format!("clickhouse://default@{addr}/default/no_such_table"),
        None,
        quiet,
    )
    .unwrap();
    let e = failure(&mut r);
    assert!(e.contains(&addr) && e.contains("no_such_table"), "{e}");
}

#[test]
fn a_connection_dropped_mid_answer_is_an_error_not_a_hang() {
    use std::io::{Read as _, Write as _};
    // a stand-in server: answers the schema, then drops the connection mid-page
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = if i == 0 {
                r#"{"meta":[{"name":"id","type":"String"},{"name":"input","type":"String"}],"data":[]}"#
            } else {
                r#"{"meta":[{"name":"n","type":"UInt64"}],"data":[["10"#
            };
            let promised = if i == 0 { body.len() } else { body.len() + 500 };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {promised}\r\n\r\n"
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
            // dropped: fewer bytes than promised
        }
    });
    let mut r = errata::workspace::remote::Remote::open(
        &format!("clickhouse://default@127.0.0.1:{port}/d/t"),
        None,
        std::sync::Arc::new(|| {}),
    )
    .unwrap();
    assert_eq!(
        next_events(&mut r),
        vec![errata::workspace::remote::Event::Ready]
    );
    r.requery(&Default::default(), None);
    let e = failure(&mut r);
    assert!(
        e.contains(&format!(
            "ClickHouse at 127.0.0.1:{port}: the connection dropped mid-answer"
        )),
        "{e}"
    );
    assert!(!e.contains("max_query_size"), "the URL is left out: {e}");
    assert_eq!(r.matched, None, "no count made up from a cut answer");
}
