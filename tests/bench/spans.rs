//! Agent traces in the benchmark: span records grouped into traces against the same rows opened
//! one record a trace, on the same file in the same run; search over every span; the span tree
//! of a 5,000-span trace and the frame with it shown.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use errata::trace::filter::{self, Search};
use errata::trace::load::{self, Progress, Source};
use errata::trace::schema::FieldOverrides;

use super::{header, median, open_app, row, time_ms};

fn spans_dump(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("spans-{n}.jsonl"));
    if !path.exists() {
        eprintln!("generating {n} agent runs into {}", path.display());
        let mut f = std::fs::File::create(&path).unwrap();
        errata::synth::write_spans_jsonl(n, 11, &mut f).unwrap();
    }
    path
}

/// One trace of 5,000 spans: a root, 50 steps under it, 99 calls under each.
fn big_trace(dir: &Path) -> PathBuf {
    let path = dir.join("spans-one-trace-5000.jsonl");
    if !path.exists() {
        let mut out = String::new();
        let mut k = 0u64;
        let mut line = |id: u64, parent: Option<u64>, kind: &str, t: u64| {
            let v = serde_json::json!({
                "name": format!("{kind}-{id}"),
                "span_kind": kind,
                "parent_id": parent.map(|p| format!("{p:016x}")),
                "start_time": errata::coding::time::rfc3339_ms(1.7956512e12 + t as f64),
                "end_time": errata::coding::time::rfc3339_ms(1.7956512e12 + t as f64 + 40.0),
                "status_code": if id.is_multiple_of(997) { "ERROR" } else { "OK" },
                "context.span_id": format!("{id:016x}"),
                "context.trace_id": "big",
                "attributes.input.value": format!("step {id} input"),
                "attributes.output.value": format!("step {id} output"),
            });
            out.push_str(&v.to_string());
            out.push('\n');
        };
        line(0, None, "AGENT", 0);
        for s in 0..50u64 {
            k += 1;
            let step = k;
            line(step, Some(0), "CHAIN", s * 1000);
            for c in 0..99u64 {
                k += 1;
                line(
                    k,
                    Some(step),
                    if c.is_multiple_of(2) { "LLM" } else { "TOOL" },
                    s * 1000 + c * 10,
                );
            }
        }
        std::fs::write(&path, out).unwrap();
    }
    path
}

fn summary_peak_mb(path: &Path, extra: &[&str]) -> Option<f64> {
    let out = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(["summary", path.to_str().unwrap(), "--json"])
        .args(extra)
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["peak_memory_mb"].as_f64()
}

/// Median CPU time of one egui pass with the first trace selected and, when `span` is given,
/// that span of its tree selected.
fn frame_with_tree_ms(path: &Path, span: Option<usize>) -> (f64, usize) {
    let mut h = open_app(path);
    h.key_press(egui::Key::Home);
    h.run_steps(3);
    if let Some(s) = span {
        h.state_mut().detail_ui.spans.selected = Some(s);
        h.state_mut().detail_ui.spans.scroll_to = true;
        h.run_steps(3);
    }
    let nodes = h
        .state()
        .detail_ui
        .spans
        .tree
        .as_ref()
        .map_or(0, |t| t.nodes.len());
    (time_ms(41, || h.step()).0, nodes)
}

pub fn run(dir: &Path, threads: usize) {
    let n: usize = std::env::var("ERRATA_BENCH_SPAN_TRACES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let path = spans_dump(dir, n);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let raw = std::fs::read(&path).unwrap();
    let ungrouped = FieldOverrides {
        group_by: Some("none".into()),
        ..Default::default()
    };
    let open = |fields: &FieldOverrides| {
        let mut times = Vec::new();
        let mut loaded = None;
        for _ in 0..3 {
            drop(loaded.take());
            let src = Source::new("spans.jsonl", raw.clone());
            let t = Instant::now();
            loaded = Some(
                load::load_with(vec![src], None, fields, &Progress::default(), threads).unwrap(),
            );
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        (median(times), loaded.unwrap())
    };
    let (flat_ms, flat) = open(&ungrouped);
    let spans = flat.store.len();
    drop(flat);
    let (grouped_ms, loaded) = open(&FieldOverrides::default());
    drop(raw);
    let store = &loaded.store;
    println!(
        "## agent runs: {spans} spans in {} traces, {:.0} MB of JSONL\n",
        store.len(),
        bytes as f64 / 1e6
    );
    header();
    row(
        "open, one record a trace (--group-by none)",
        format!("{flat_ms:.0} ms"),
        "-",
        None,
    );
    row(
        "open, spans grouped into traces",
        format!("{grouped_ms:.0} ms"),
        "-",
        None,
    );
    let ratio = grouped_ms / flat_ms;
    row(
        "grouped / ungrouped",
        format!("{ratio:.2}x"),
        "<= 1.3x",
        Some(ratio <= 1.3),
    );
    let flat_mb = summary_peak_mb(&path, &["--group-by", "none"]);
    let grouped_mb = summary_peak_mb(&path, &[]);
    if let (Some(f), Some(g)) = (flat_mb, grouped_mb) {
        let x = g * 1e6 / bytes as f64;
        row(
            "peak memory grouped (ungrouped)",
            format!("{g:.0} ({f:.0}) MB = {x:.2}x"),
            "<= 1.5x file",
            Some(x <= 1.5),
        );
    }
    let (ms, mask) = time_ms(5, || {
        filter::sql_mask(store, "trace_error AND trace_spans > 8").unwrap()
    });
    let hits = mask.iter().filter(|m| **m).count();
    row(
        &format!("WHERE on derived columns ({hits} match)"),
        format!("{ms:.1} ms"),
        "<= 50 ms",
        Some(ms <= 50.0),
    );
    for (label, text) in [
        ("search every span, rare", "reykjavik"),
        ("search every span, common", "lookup_flight"),
    ] {
        let s = Search {
            text: text.into(),
            ..Default::default()
        };
        let (ms, hits) = time_ms(3, || filter::search_mask(store, &s).unwrap());
        let hits = hits.iter().filter(|h| **h).count();
        row(
            &format!("{label} ({hits} hits)"),
            format!("{ms:.0} ms"),
            "<= 400 ms",
            Some(ms <= 400.0),
        );
    }
    drop(loaded);
    let (frame, _) = frame_with_tree_ms(&path, Some(2));
    row(
        "CPU per frame, a run's span tree shown",
        format!("{frame:.2} ms"),
        "<= 4 ms",
        Some(frame <= 4.0),
    );
    let big = big_trace(dir);
    let one = load::load_bytes("big.jsonl", std::fs::read(&big).unwrap()).unwrap();
    let (ms, tree) = time_ms(5, || {
        errata::trace::span_tree::Tree::of(&one.store, 0).unwrap()
    });
    row(
        &format!("build the tree of {} spans", tree.nodes.len()),
        format!("{ms:.1} ms"),
        "<= 50 ms",
        Some(ms <= 50.0),
    );
    let (frame, nodes) = frame_with_tree_ms(&big, Some(2500));
    row(
        &format!("CPU per frame, tree of {nodes} spans shown"),
        format!("{frame:.2} ms"),
        "<= 4 ms",
        Some(frame <= 4.0),
    );
    println!();
}
