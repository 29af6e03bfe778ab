//! The ClickHouse budgets of issue 17, on 10 M traces made inside the local server from
//! `numbers()`: open to first rows, a WHERE with its count, a jump to row 5,000,000, a rare
//! word searched, a 15-trace sample, and errata's own memory while paging through the table.
//! The server comes from `ERRATA_CLICKHOUSE`, else `.ci/clickhouse` starts one; without either
//! this part says so and is skipped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use errata::coding::sampling::{SampleRequest, Strategy};
use errata::trace::clickhouse::Source;
use errata::trace::view::Filters;
use errata::workspace::remote::{Event, Remote};

use super::{header, median, row};

const TRACES: u64 = 10_000_000;
/// Far jumps through the table for the memory figure (each asks for about five pages).
const JUMPS: u64 = 40;

fn server() -> Option<String> {
    if let Ok(a) = std::env::var("ERRATA_CLICKHOUSE") {
        return Some(a);
    }
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/clickhouse"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn exec(addr: &str, sql: &str) -> String {
    let src = Source::parse(&format!("clickhouse://default@{addr}/default/none")).unwrap();
    let resp = ehttp::fetch_blocking(&src.request(sql, None)).unwrap();
    let text = String::from_utf8_lossy(&resp.bytes).into_owned();
    assert_eq!(resp.status, 200, "{sql}: {text}");
    text
}

/// The bench table, made once (10 M rows from numbers(): a few seconds).
fn table(addr: &str) {
    exec(addr, "CREATE DATABASE IF NOT EXISTS errata_bench");
    let have = exec(
        addr,
        "SELECT count() FROM system.tables WHERE database = 'errata_bench' AND name = 'chats'",
    );
    if have.trim() == "1"
        && exec(addr, "SELECT count() FROM errata_bench.chats").trim() == TRACES.to_string()
    {
        return;
    }
    eprintln!("making {TRACES} traces in ClickHouse at {addr}");
    exec(addr, "DROP TABLE IF EXISTS errata_bench.chats");
    exec(
        addr,
        "CREATE TABLE errata_bench.chats (id String, created DateTime, model String, status String, \
         latency_ms UInt32, input String, output String) ENGINE = MergeTree ORDER BY id",
    );
    exec(
        addr,
        &format!(
            "INSERT INTO errata_bench.chats SELECT concat('c', toString(1000000000 + number)), \
             toDateTime('2026-11-01 00:00:00') + intDiv(number, 10), \
             ['gpt-4o', 'gpt-4o-mini', 'claude-haiku', 'llama-3'][number % 4 + 1], \
             if(number % 13 = 0, 'error', 'ok'), 100 + (number * 7919) % 3000, \
             concat('Customer ', toString(number % 100000), ' asks about order ', toString(number), \
             if(number = 7777777, ' shipped to Reykjavik', ''), ': where is my parcel?'), \
             concat('Your order ', toString(number), ' is on its way and arrives in ', \
             toString(number % 9 + 1), ' days.') FROM numbers({TRACES})"
        ),
    );
}

/// Polls `r` until `done` (or 30 s), returning the milliseconds it took from `t`.
fn until(r: &mut Remote, t: Instant, mut done: impl FnMut(&mut Remote, &[Event]) -> bool) -> f64 {
    while t.elapsed() < Duration::from_secs(30) {
        let events = r.poll();
        if let Some(Event::Failed(e)) = events.iter().find(|e| matches!(e, Event::Failed(_))) {
            panic!("{e}");
        }
        if done(r, &events) {
            return t.elapsed().as_secs_f64() * 1e3;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    panic!("timed out");
}

fn rss_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Measures the ClickHouse budgets (first in the benchmark, so that the process's peak memory is
/// errata's own with a remote source open).
pub fn run() {
    println!("## ClickHouse source, {TRACES} traces in the local server");
    let Some(addr) = server() else {
        println!(
            "skipped: no ClickHouse server (set ERRATA_CLICKHOUSE, or let .ci/clickhouse start one)\n"
        );
        return;
    };
    table(&addr);
    let url = format!("clickhouse://default@{addr}/errata_bench/chats");
    let mut open = Vec::new();
    let mut filter = Vec::new();
    let mut jump = Vec::new();
    let mut search = Vec::new();
    let mut sample = Vec::new();
    let mut matched = (0, 0);
    for _ in 0..3 {
        // open: the schema, the count, the first page drawn
        let t = Instant::now();
        let mut r = Remote::open(&url, None, Arc::new(|| {})).unwrap();
        until(&mut r, t, |_, e| e.contains(&Event::Ready));
        r.requery(&Filters::default(), None);
        open.push(until(&mut r, t, |r, _| {
            r.want(0..40);
            r.row(0).is_some()
        }));
        // a WHERE with its count and first rows
        let f = Filters {
            sql: "model = 'claude-haiku' AND latency_ms > 2500 AND status = 'error'".into(),
            ..Default::default()
        };
        let t = Instant::now();
        r.requery(&f, None);
        filter.push(until(&mut r, t, |r, _| {
            r.want(0..40);
            r.matched.is_some() && r.row(0).is_some()
        }));
        matched.0 = r.matched.unwrap_or(0);
        // the whole table again, then a jump to its middle
        r.requery(&Filters::default(), None);
        until(&mut r, Instant::now(), |r, _| r.matched.is_some());
        let t = Instant::now();
        jump.push(until(&mut r, t, |r, _| {
            r.want(5_000_000..5_000_040);
            r.row(5_000_000).is_some()
        }));
        // a word in one trace of 10 M
        let mut f = Filters::default();
        f.search.text = "reykjavik".into();
        let t = Instant::now();
        r.requery(&f, None);
        search.push(until(&mut r, t, |r, _| {
            r.want(0..40);
            r.matched.is_some() && r.row(0).is_some()
        }));
        matched.1 = r.matched.unwrap_or(0);
        // a 15-trace review batch of the whole table
        r.requery(&Filters::default(), None);
        until(&mut r, Instant::now(), |r, _| r.matched.is_some());
        let project = errata::project::Project::new(
            errata::persist::ProjectStore::memory(),
            Default::default(),
            &Default::default(),
        );
        let req = SampleRequest {
            name: "bench".into(),
            n: 15,
            seed: 7,
            strategy: Strategy::Uniform,
        };
        let t = Instant::now();
        r.draw(req, &project).unwrap();
        sample.push(until(&mut r, t, |_, e| {
            e.iter()
                .any(|e| matches!(e, Event::Sampled(_, ids, _) if ids.len() == 15))
        }));
    }
    // memory: page through the table far and wide; the cache is bounded
    let before = rss_kb("VmRSS:").unwrap_or(0);
    let mut r = Remote::open(&url, None, Arc::new(|| {})).unwrap();
    until(&mut r, Instant::now(), |_, e| e.contains(&Event::Ready));
    r.requery(&Filters::default(), None);
    until(&mut r, Instant::now(), |r, _| r.matched.is_some());
    for i in 0..JUMPS {
        let at = (i * 33_331) % (TRACES - 100);
        until(&mut r, Instant::now(), |r, _| {
            r.want(at..at + 40);
            r.row(at).is_some()
        });
    }
    let after = rss_kb("VmRSS:").unwrap_or(0);
    let peak_mb = rss_kb("VmHWM:").unwrap_or(0) as f64 * 1024.0 / 1e6;
    header();
    let ms = |v: &[f64]| median(v.to_vec());
    let line = |name: &str, v: &[f64], budget: f64| {
        let m = ms(v);
        row(
            name,
            format!("{m:.0} ms"),
            &format!("<= {budget:.0} ms"),
            Some(m <= budget),
        );
    };
    line("open to first rows", &open, 1000.0);
    line(
        &format!("WHERE with its count ({} match)", matched.0),
        &filter,
        500.0,
    );
    line("jump to row 5,000,000", &jump, 500.0);
    line(
        &format!("search a rare word ({} match)", matched.1),
        &search,
        2000.0,
    );
    line("a 15-trace sample", &sample, 500.0);
    row(
        &format!("memory: {JUMPS} jumps through the table"),
        format!(
            "{:+.1} MB ({} pages kept)",
            (after as f64 - before as f64) * 1024.0 / 1e6,
            r.pages.cached()
        ),
        "bounded",
        Some(r.pages.cached() <= 60),
    );
    row(
        "errata's peak memory (process, so far)",
        format!("{peak_mb:.0} MB"),
        "<= 300 MB",
        Some(peak_mb <= 300.0),
    );
    println!();
}
