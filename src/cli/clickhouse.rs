//! `errata summary clickhouse://…`: what a ClickHouse source holds, counted server-side.

use std::time::Instant;

use serde_json::json;

use crate::trace::clickhouse::{self, Conditions, Rows, Source};
use crate::workspace::remote::ANSWER_LIMIT;

fn run(source: &Source, password: Option<&str>, sql: &str) -> Result<Rows, String> {
    let req = source.request(sql, password);
    let url = req.url.clone();
    let resp = crate::net::fetch_blocking(req, ANSWER_LIMIT)
        .map_err(|e| clickhouse::transport_error(source.server(), &url, &e))?;
    clickhouse::decode(source.server(), resp.status, &resp.bytes).map_err(|e| e.to_string())
}

fn first_u64(rows: &Rows, col: usize) -> u64 {
    rows.rows
        .first()
        .and_then(|r| r.get(col))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// Counts a ClickHouse source's traces (and the ones `filters` match), pushed down.
pub(super) fn summary(
    url: &str,
    filters: &crate::trace::view::Filters,
    json_out: bool,
) -> Result<(), String> {
    let started = Instant::now();
    let source = Source::parse(url).map_err(|e| e.to_string())?;
    let password = std::env::var("ERRATA_CLICKHOUSE_PASSWORD").ok();
    let password = password.as_deref();
    let schema = run(&source, password, &clickhouse::schema_sql(&source))?;
    let detected = clickhouse::detect(&schema.columns);
    let all = run(
        &source,
        password,
        &clickhouse::traces_sql(&source, &detected, &Conditions::default()),
    )?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut when = detected.conditions(&source, filters, None);
    // counted over all spans: distinct trace keys among the matching spans
    when.spans = None;
    let matched = if when.clause().is_empty() {
        None
    } else {
        let t = Instant::now();
        let m = run(
            &source,
            password,
            &clickhouse::traces_sql(&source, &detected, &when),
        )?;
        Some((first_u64(&m, 0), t.elapsed().as_secs_f64() * 1e3))
    };
    let columns: Vec<_> = schema
        .columns
        .iter()
        .zip(&schema.type_names)
        .map(|((name, _), kind)| json!({"name": name, "type": kind}))
        .collect();
    if json_out {
        let mut out = json!({
            "source": source.url(),
            "traces": first_u64(&all, 0),
            "spans": first_u64(&all, 1),
            "trace_key": detected.trace_key,
            "parent_key": detected.parent,
            "id_field": detected.id,
            "input_field": detected.input,
            "output_field": detected.output,
            "format": detected.preset,
            "metadata_columns": columns,
            "load_ms": (load_ms * 10.0).round() / 10.0,
        });
        if let Some((n, ms)) = matched {
            out["matched"] = json!(n);
            out["filter_ms"] = json!((ms * 10.0).round() / 10.0);
        }
        println!("{out}");
    } else {
        println!("source:   {url}");
        if let Some(p) = &detected.preset {
            println!("format:   {p}");
        }
        println!("traces:   {}", first_u64(&all, 0));
        if let Some(k) = &detected.trace_key {
            println!(
                "          of {} spans, grouped by `{k}`",
                first_u64(&all, 1)
            );
        }
        println!(
            "fields:   id {}, input {}, output {}",
            detected.id.as_deref().unwrap_or("none"),
            detected.input.as_deref().unwrap_or("none"),
            detected.output.as_deref().unwrap_or("none")
        );
        for ((name, _), kind) in schema.columns.iter().zip(&schema.type_names) {
            println!("          {name} ({kind})");
        }
        println!("counted:  {load_ms:.1} ms (server-side)");
        if let Some((n, ms)) = matched {
            println!("matched:  {n} ({ms:.1} ms, server-side)");
        }
    }
    Ok(())
}

/// A ClickHouse source's project (errata's data folder keyed by the source's URL, or `--project`)
/// with its labelled traces fetched whole: `labels`, `report` and `judge` then run as for a file.
/// Labels of traces the source no longer has count nowhere, as for a file.
pub(super) fn open_workspace(
    url: &str,
    project_dir: Option<std::path::PathBuf>,
) -> Result<(std::path::PathBuf, crate::workspace::Workspace), String> {
    let source = Source::parse(url).map_err(|e| e.to_string())?;
    let key = source.url();
    let dir = project_dir
        .unwrap_or_else(|| crate::persist::data_project_dir(&crate::persist::data_dir(), &key));
    let (dir, store, opened) = super::read_project(&key, Some(dir))?;
    for p in &opened.problems {
        eprintln!(
            "errata: line {} unreadable ({}): {}/labels.jsonl",
            p.line,
            p.reason,
            dir.display()
        );
    }
    let password = std::env::var("ERRATA_CLICKHOUSE_PASSWORD").ok();
    let password = password.as_deref();
    let schema = run(&source, password, &clickhouse::schema_sql(&source))?;
    let detected = clickhouse::detect(&schema.columns);
    let mut ids: Vec<String> = opened
        .labels
        .latest()
        .into_iter()
        .map(|e| e.trace_id.clone())
        .collect();
    ids.sort();
    let mut answers = Vec::new();
    for sql in clickhouse::records_sql(&source, &detected, &ids) {
        answers.push(run(&source, password, &sql)?);
    }
    let jsonl = clickhouse::records_jsonl(&detected, answers);
    let loaded = if jsonl.is_empty() {
        crate::trace::load::Loaded::empty(&key)
    } else {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        crate::trace::load::load(
            vec![crate::trace::load::Source::new(key.clone(), jsonl)],
            opened.project.mapping.clone(),
            &crate::trace::load::Progress::default(),
            threads,
        )
    }
    .map_err(|e| format!("{key}: {e}"))?;
    let ws = crate::workspace::Workspace::open(loaded, key, store, opened);
    Ok((dir, ws))
}
