//! Headless commands for scripts and weekly jobs. Their flags and `--json` keys are a contract.
//!
//! - `errata summary FILE… [--json]`: what a load finds.
//! - `errata generate N [--seed S] [--out FILE]`: synthetic traces (the demo and benchmark data).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;

mod clickhouse;

use crate::trace::load::{self, Progress};

/// `println!` that never panics: a reader that went away (`errata summary … | head`) ends the
/// output quietly instead of aborting with "Broken pipe".
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// How many skipped lines `summary` lists.
const SKIPPED_SHOWN: usize = 10;

/// Runs a headless command if `args` (without the program name) name one.
/// Returns the exit code, or `None` when the arguments are for the app.
pub fn run(args: &[String]) -> Option<i32> {
    let (cmd, rest) = args.split_first()?;
    // every command's --help prints the usage and succeeds
    if rest.iter().any(|a| a == "--help" || a == "-h")
        && matches!(
            cmd.as_str(),
            "summary" | "generate" | "labels" | "report" | "propose" | "judge"
        )
    {
        println!("{}", usage());
        return Some(0);
    }
    let code = match cmd.as_str() {
        "summary" => summary(rest),
        "generate" => generate(rest),
        "labels" => labels(rest),
        "report" => report(rest),
        "propose" => propose(rest),
        "judge" => judge(rest),
        "__append-labels" => append_labels(rest),
        "help" | "--help" | "-h" => {
            println!("{}", usage());
            Ok(())
        }
        _ => return None,
    };
    Some(match code {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("errata: {msg}");
            2
        }
    })
}

/// The usage text.
pub fn usage() -> &'static str {
    "errata — a fast trace viewer for LLM error analysis

usage:
  errata [FILE…]                         open the app (on the demo dump when no file is given)
  errata summary FILE… [--id PATH] [--input PATH] [--output PATH] [--group-by PATH|none] [--where SQL] [--search TEXT] [--json]
                                         load without a window and report what was found
                                         (PATH: keys joined by dots, [n] for an array element,
                                         e.g. response.body.choices[0].message.content)
  errata labels DUMP [--project DIR] [--json]
                                         label counts, categories and saturation of a project
  errata report DUMP [--project DIR] [--format md|csv|json] [--by severity]
                                         the Pareto of failure categories and the report
  errata propose DUMP [--project DIR] (--offline | --embeddings URL [--model NAME] | --provider anthropic|openai --base-url URL --model NAME [--timeout S] [--batch-chars N]) [--json]
                                         propose failure categories from the notes (the codebook is not changed)
  errata judge DUMP --column NAME [--positive VALUE] [--threshold T] [--project DIR] [--json]
                                         judge-vs-human agreement (failures are the positive class)
  errata generate N [--seed S] [--out FILE] [--spans]
                                         write N synthetic traces as JSON Lines (--spans: as
                                         agent runs of about 10 span records each)"
}

fn summary(args: &[String]) -> Result<(), String> {
    let mut json_out = false;
    let mut files = Vec::new();
    let mut filters = crate::trace::view::Filters::default();
    let mut fields = crate::trace::schema::FieldOverrides::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut path = |what: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a field path (the {what} field)"))
        };
        match a.as_str() {
            "--json" => json_out = true,
            "--id" => fields.id = Some(path("id")?),
            "--input" => fields.input = Some(path("input")?),
            "--output" => fields.output = Some(path("output")?),
            "--group-by" => fields.group_by = Some(path("group-by")?),
            "--where" => filters.sql = it.next().ok_or("--where needs a SQL condition")?.clone(),
            "--search" => filters.search.text = it.next().ok_or("--search needs text")?.clone(),
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => files.push(PathBuf::from(f)),
        }
    }
    if files.is_empty() {
        return Err(format!("summary needs at least one FILE\n\n{}", usage()));
    }
    if let [one] = files.as_slice()
        && let Some(url) = one.to_str().filter(|u| u.starts_with("clickhouse"))
    {
        return clickhouse::summary(url, &filters, json_out);
    }
    let started = Instant::now();
    let progress = Progress::default();
    let sources = files
        .iter()
        .map(|p| load::read_file(p, &progress))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let loaded =
        load::load_with(sources, None, &fields, &progress, threads).map_err(|e| e.to_string())?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let store = &loaded.store;
    let query = if filters.is_active() {
        Some(
            crate::trace::view::compute(store, &filters, None, None, None, &[], None)
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    if json_out {
        let out = summary_json(&loaded, query.as_ref(), load_ms);
        println!("{out}");
    } else {
        println!("files:    {}", store.files().join(", "));
        if let Some(f) = &store.format {
            println!("format:   {f}");
        }
        match store.span_index() {
            Some(index) => println!(
                "traces:   {} (of {} spans, grouped by `{}`)",
                store.len(),
                index.spans.len(),
                index.grouping.trace
            ),
            None => println!("traces:   {}", store.len()),
        }
        println!("skipped:  {}", loaded.skipped_count);
        for s in loaded.skipped.iter().take(SKIPPED_SHOWN) {
            println!("          {s}");
        }
        println!("identity: {}", store.identity.describe());
        println!("fields:   {}", store.mapping.describe());
        println!("metadata:");
        for c in store.columns() {
            println!("          {} ({})", c.name, c.dtype);
        }
        for w in &loaded.warnings {
            println!("warning:  {w}");
        }
        println!("load:     {load_ms:.1} ms");
        if let Some(q) = &query {
            println!(
                "matched:  {} (filter {:.1} ms, search {:.1} ms)",
                q.rows.len(),
                q.filter_ms,
                q.search_ms
            );
        }
    }
    Ok(())
}

/// `summary --json`: the keys are a contract for scripts.
fn summary_json(
    loaded: &crate::trace::Loaded,
    query: Option<&crate::trace::view::ViewResult>,
    load_ms: f64,
) -> serde_json::Value {
    let store = &loaded.store;
    let path_text = |p: &Option<crate::trace::FieldPath>| p.as_ref().map(ToString::to_string);
    let columns: Vec<_> = store
        .columns()
        .iter()
        .map(|c| json!({"name": c.name, "type": c.dtype}))
        .collect();
    let skipped_lines: Vec<_> = loaded
        .skipped
        .iter()
        .take(SKIPPED_SHOWN)
        .map(|s| json!({"file": s.file, "line": s.line, "reason": s.reason}))
        .collect();
    let out = json!({
        "traces": store.len(),
        "skipped": loaded.skipped_count,
        "skipped_lines": skipped_lines,
        "id_field": store.identity.field(),
        "identity": store.identity.describe(),
        "input_field": path_text(&store.mapping.input),
        "output_field": path_text(&store.mapping.output),
        "split_conversation": store.mapping.split_conversation,
        "format": store.format,
        "spans": store.span_count(),
        "trace_key": store.span_index().map(|s| s.grouping.trace.to_string()),
        "parent_key": store
            .span_index()
            .and_then(|s| s.grouping.parent.as_ref())
            .map(ToString::to_string),
        "metadata_columns": columns,
        "warnings": loaded.warnings,
        "load_ms": round1(load_ms),
        "peak_memory_mb": peak_memory_mb(),
    });
    let mut out = out;
    if let Some(q) = &query {
        out["matched"] = json!(q.rows.len());
        out["filter_ms"] = json!(round1(q.filter_ms));
        out["search_ms"] = json!(round1(q.search_ms));
    }
    out
}

fn round1(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Peak resident memory of this process (VmHWM), where the OS tells it, in MB (10^6 bytes, as
/// file sizes are given; the OS counts in KiB).
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb * 1024.0 / 1e6).round())
}

fn generate(args: &[String]) -> Result<(), String> {
    let mut n = None;
    let mut seed = 7u64;
    let mut out: Option<PathBuf> = None;
    let mut spans = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--spans" => spans = true,
            "--seed" => {
                seed = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seed needs a number")?;
            }
            "--out" => out = Some(it.next().ok_or("--out needs a path")?.into()),
            s => {
                n = Some(
                    s.parse::<usize>()
                        .map_err(|_| format!("not a trace count: {s}"))?,
                );
            }
        }
    }
    let n = n.ok_or("generate needs a trace count N")?;

    let write = |w: &mut dyn std::io::Write| {
        let mut w = w;
        if spans {
            crate::synth::write_spans_jsonl(n, seed, &mut w)
        } else {
            crate::synth::write_jsonl(n, seed, &mut w)
        }
    };
    match out {
        Some(path) => std::fs::File::create(&path)
            .and_then(|mut f| write(&mut f))
            .map_err(|e| format!("{e}: {}", path.display())),
        None => write(&mut std::io::stdout().lock()).map_err(|e| e.to_string()),
    }
}

/// Loads `path` as the app opens it for its project: with the project's field mapping, and with
/// the traces added to it as batches ("Add traces…").
fn load_dump(
    path: &str,
    project: &crate::persist::ProjectStore,
    opened: &crate::persist::Opened,
) -> Result<load::Loaded, String> {
    let progress = Progress::default();
    let source =
        load::read_file(std::path::Path::new(path), &progress).map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mapping = opened.project.mapping.clone();
    let loaded =
        load::load(vec![source], mapping, &progress, threads).map_err(|e| e.to_string())?;
    let (added, errors) = project.added_sources(&opened.project);
    for e in errors {
        eprintln!("errata: the added traces could not be read: {e}");
    }
    if added.is_empty() {
        return Ok(loaded);
    }
    let mapping = loaded.store.mapping.clone();
    crate::trace::append::append(&loaded.store, added, "", Some(&mapping), &progress, threads)
        .map(|(l, _)| l)
        .map_err(|e| e.to_string())
}

/// Reads the project of `dump` (its sidecar folder, or `project_dir`) without writing anything;
/// unreadable documents are reported on stderr.
pub(crate) fn read_project(
    dump: &str,
    project_dir: Option<PathBuf>,
) -> Result<
    (
        PathBuf,
        crate::persist::ProjectStore,
        crate::persist::Opened,
    ),
    String,
> {
    let dir =
        project_dir.unwrap_or_else(|| crate::persist::sidecar_dir(std::path::Path::new(dump)));
    if !dir.is_dir() {
        return Err(format!(
            "no project folder (label something first, or pass --project): {}",
            dir.display()
        ));
    }
    let (store, opened) = crate::persist::ProjectStore::read_dir(&dir);
    // a report over a log or codebook it could not read would be wrong, not empty
    if !opened.errors.is_empty() {
        let all: Vec<String> = opened.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "the project cannot be read, so its figures would be wrong: {}",
            all.join("; ")
        ));
    }
    Ok((dir, store, opened))
}

/// The dump and its project as the app opens them (the project's mapping, its added batches),
/// read-only; unreadable log lines are reported on stderr.
fn open_workspace(
    dump: &str,
    project_dir: Option<PathBuf>,
) -> Result<(PathBuf, crate::workspace::Workspace), String> {
    if crate::app::is_clickhouse(dump) {
        return clickhouse::open_workspace(dump, project_dir);
    }
    let (dir, store, opened) = read_project(dump, project_dir)?;
    for p in &opened.problems {
        eprintln!(
            "errata: line {} unreadable ({}): {}/labels.jsonl",
            p.line,
            p.reason,
            dir.display()
        );
    }
    let loaded = load_dump(dump, &store, &opened)?;
    let ws = crate::workspace::Workspace::open(loaded, dump.to_owned(), store, opened);
    Ok((dir, ws))
}

fn labels(args: &[String]) -> Result<(), String> {
    let mut json_out = false;
    let mut dump = None;
    let mut project_dir: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json_out = true,
            "--project" => project_dir = Some(it.next().ok_or("--project needs a folder")?.into()),
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => dump = Some(f.to_owned()),
        }
    }
    let dump = dump.ok_or_else(|| format!("labels needs a DUMP\n\n{}", usage()))?;
    let (dir, ws) = open_workspace(&dump, project_dir)?;
    let (Some(project), Some(data)) = (&ws.project, &ws.data) else {
        return Err("no project".to_owned());
    };
    let unknown: Vec<&str> = project
        .labels
        .latest()
        .into_iter()
        .map(|e| e.trace_id.as_str())
        .filter(|id| data.store.row_of_id(id).is_none())
        .collect();
    let s = &project.stats;
    if json_out {
        let out = json!({
            "reviewed": s.reviewed,
            "passed": s.passed,
            "failed": s.failed,
            "coded": s.coded,
            "categories": s.categories,
            "since_last_new_category": project.saturation().since_last_new,
            "unknown_trace_ids": unknown.len(),
            "codebook_version": project.codebook.version,
            "first_failure": ws.first_failures(),
        });
        println!("{out}");
    } else {
        println!("project:  {}", dir.display());
        println!(
            "reviewed: {} ({} pass, {} fail)",
            s.reviewed, s.passed, s.failed
        );
        println!("coded:    {}", s.coded);
        println!(
            "codebook: v{}{}",
            project.codebook.version,
            if project.codebook.is_signed_off() {
                " (signed off)"
            } else {
                " (not signed off)"
            }
        );
        let mut cats: Vec<(&String, &usize)> = s.categories.iter().collect();
        cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (name, n) in cats {
            println!("          {n:>5}  {name}");
        }
        println!(
            "saturation: {} coded traces since the last new category (stop at {})",
            project.saturation().since_last_new,
            project.file.saturation_threshold
        );
        let first = ws.first_failures();
        if !first.is_empty() {
            println!("first failure (failing traces by category × span):");
            for c in &first {
                println!("          {:>5}  {} × {}", c.traces, c.category, c.span);
            }
        }
        if !unknown.is_empty() {
            println!("labels for traces not in the dump: {}", unknown.len());
            for id in unknown.iter().take(20) {
                println!("          {id}");
            }
        }
    }
    Ok(())
}

/// Test helper for durability: appends N events to DIR's label log, printing each id once it
/// is written; a test kills the process mid-stream and checks every printed id survived.
fn append_labels(args: &[String]) -> Result<(), String> {
    use std::io::Write as _;
    let dir = PathBuf::from(args.first().ok_or("DIR")?);
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).ok_or("N")?;
    let (mut store, _) = crate::persist::ProjectStore::open_dir(&dir);
    let mut stdout = std::io::stdout().lock();
    for i in 0..n {
        let ev = crate::coding::LabelEvent {
            trace_id: format!("t{i}"),
            verdict: Some(crate::coding::Verdict::Fail),
            note: format!("note {i} {}", "x".repeat(i % 300)),
            categories: vec!["c".to_owned()],
            author: "kill-test".to_owned(),
            ..Default::default()
        };
        store.append(&ev).map_err(|e| e.to_string())?;
        writeln!(stdout, "saved t{i}").map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn report(args: &[String]) -> Result<(), String> {
    let mut format = "md".to_owned();
    let mut dump = None;
    let mut project_dir: Option<PathBuf> = None;
    let mut measure = crate::coding::pareto::Measure::Frequency;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" => format = it.next().ok_or("--format needs md, csv or json")?.clone(),
            "--project" => project_dir = Some(it.next().ok_or("--project needs a folder")?.into()),
            "--by" => match it.next().map(String::as_str) {
                Some("severity") => measure = crate::coding::pareto::Measure::Weighted,
                Some("frequency") => measure = crate::coding::pareto::Measure::Frequency,
                _ => return Err("--by takes severity or frequency".to_owned()),
            },
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => dump = Some(f.to_owned()),
        }
    }
    if !matches!(format.as_str(), "md" | "csv" | "json") {
        return Err(format!("--format takes md, csv or json, not {format}"));
    }
    let dump = dump.ok_or_else(|| format!("report needs a DUMP\n\n{}", usage()))?;
    let (_, ws) = open_workspace(&dump, project_dir)?;
    let Some(project) = &ws.project else {
        return Err("no project".to_owned());
    };
    // labels of traces that are not in the dump count in no figure
    if project.unknown_ids > 0 {
        eprintln!(
            "errata: {} labelled traces are not in the dump; they are left out of the report",
            project.unknown_ids
        );
    }
    // the same chart and report as the window's (its whole-dump scope, zero counts shown)
    let options = crate::workspace::pareto::ChartOptions {
        measure,
        include_zero: true,
        scope_view: false,
        by_period: false,
    };
    let pareto = ws.pareto(&options);
    match format.as_str() {
        "csv" => print!("{}", pareto.to_csv()),
        "json" => {
            let out = json!({
                "reviewed": pareto.reviewed,
                "failed": pareto.failed,
                "top3_share": pareto.top3_share,
                "codebook_version": project.codebook.version,
                "categories": pareto.categories,
                "first_failure": ws.first_failures(),
            });
            println!("{out}");
        }
        _ => print!(
            "{}",
            ws.report_markdown(&options, &crate::coding::time::now_rfc3339())
        ),
    }
    Ok(())
}

fn propose(args: &[String]) -> Result<(), String> {
    use crate::llm::client::{Api, Provider, answer_text};
    let mut dump = None;
    let mut project_dir: Option<PathBuf> = None;
    let mut offline = false;
    let mut embeddings: Option<String> = None;
    let mut json_out = false;
    let mut provider = Provider {
        max_tokens: 4096,
        ..Default::default()
    };
    let mut api = None;
    let mut timeout_secs = 120u64;
    let mut batch_chars = 60_000usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--offline" => offline = true,
            "--embeddings" => {
                embeddings = Some(it.next().ok_or("--embeddings needs a URL")?.clone());
            }
            "--json" => json_out = true,
            "--project" => project_dir = Some(it.next().ok_or("--project needs a folder")?.into()),
            "--provider" => {
                api = Some(match it.next().map(String::as_str) {
                    Some("anthropic") => Api::Anthropic,
                    Some("openai") => Api::OpenAi,
                    _ => return Err("--provider takes anthropic or openai".to_owned()),
                });
            }
            "--base-url" => provider.base_url = it.next().ok_or("--base-url needs a URL")?.clone(),
            "--model" => provider.model = it.next().ok_or("--model needs a name")?.clone(),
            "--batch-chars" => {
                batch_chars = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--batch-chars needs a number")?;
            }
            "--timeout" => {
                timeout_secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--timeout needs seconds")?;
            }
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => dump = Some(f.to_owned()),
        }
    }
    let dump = dump.ok_or_else(|| format!("propose needs a DUMP\n\n{}", usage()))?;
    let (_, ws) = open_workspace(&dump, project_dir)?;
    let Some(project) = &ws.project else {
        return Err("no project".to_owned());
    };
    let notes = project.notes();
    if notes.is_empty() && project.tags().is_empty() {
        return Err("the project has no notes or tags to cluster".to_owned());
    }
    let proposal = if offline {
        project.offline_proposal().unwrap_or_default()
    } else if let Some(url) = embeddings {
        let endpoint = crate::llm::embeddings::Endpoint {
            url,
            model: provider.model.clone(),
            api_key: std::env::var("ERRATA_EMBEDDINGS_KEY").unwrap_or_default(),
        };
        let input = project.axial_input();
        let texts = input.texts();
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(crate::llm::embeddings::TEXTS_PER_REQUEST) {
            let mut request = endpoint.request(chunk);
            request.timeout = Some(std::time::Duration::from_secs(timeout_secs));
            let response = crate::net::fetch_blocking(request, crate::net::LLM_BODY_LIMIT)?;
            vectors.extend(crate::llm::embeddings::parse(
                response.status,
                &response.bytes,
                chunk.len(),
                &endpoint.full_url(),
            )?);
        }
        crate::coding::cluster::propose(input, Some(&vectors))
    } else {
        let Some(api) = api else {
            return Err(
                "choose --offline, --embeddings URL or --provider anthropic|openai".to_owned(),
            );
        };
        provider.api = api;
        if provider.base_url.is_empty() {
            provider.base_url = match api {
                Api::Anthropic => "https://api.anthropic.com".to_owned(),
                Api::OpenAi => "https://api.openai.com/v1".to_owned(),
            };
        }
        if provider.model.is_empty() {
            return Err("--model is needed with --provider".to_owned());
        }
        provider.api_key = std::env::var(match api {
            Api::Anthropic => "ANTHROPIC_API_KEY",
            Api::OpenAi => "OPENAI_API_KEY",
        })
        .unwrap_or_default();
        // large note sets go in batches that fit the context; each batch sees the categories
        // found so far, and the answers are reconciled by name
        let mut acc = crate::llm::proposal::Proposal::default();
        for batch in crate::llm::proposal::batches(&notes, batch_chars) {
            let existing: Vec<(String, String)> = project
                .codebook
                .categories
                .iter()
                .map(|c| (c.name.clone(), c.description.clone()))
                .chain(
                    acc.categories
                        .iter()
                        .map(|c| (c.name.clone(), c.description.clone())),
                )
                .collect();
            let prompt = crate::llm::proposal::prompt(&batch, &existing);
            let mut request = provider.request(&prompt);
            request.timeout = Some(std::time::Duration::from_secs(timeout_secs));
            let response = crate::net::fetch_blocking(request, crate::net::LLM_BODY_LIMIT)?;
            let text = answer_text(api, &response)?;
            let mut part = crate::llm::proposal::parse(&text, &batch).map_err(|e| e.to_string())?;
            part.keep_known_tags(&project.tags());
            crate::llm::proposal::reconcile(&mut acc, part, &notes);
        }
        acc
    };
    if json_out {
        println!("{}", serde_json::to_string(&proposal).unwrap_or_default());
    } else {
        for c in &proposal.categories {
            println!("{} ({} notes): {}", c.name, c.examples.len(), c.description);
            for e in &c.examples {
                println!("    - {}", crate::trace::content::one_line(e, 100));
            }
        }
        if !proposal.unassigned.is_empty() {
            println!("unassigned: {}", proposal.unassigned.len());
        }
        if !proposal.rejected_examples.is_empty() {
            println!(
                "rejected examples (not among the notes): {}",
                proposal.rejected_examples.len()
            );
        }
    }
    Ok(())
}

fn judge(args: &[String]) -> Result<(), String> {
    let mut dump = None;
    let mut project_dir: Option<PathBuf> = None;
    let mut column = None;
    let mut positive: Option<String> = None;
    let mut threshold: Option<f64> = None;
    let mut json_out = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json_out = true,
            "--column" => column = Some(it.next().ok_or("--column needs a name")?.clone()),
            "--positive" => positive = Some(it.next().ok_or("--positive needs a value")?.clone()),
            "--threshold" => {
                threshold = Some(
                    it.next()
                        .and_then(|s| s.parse().ok())
                        .ok_or("--threshold needs a number")?,
                );
            }
            "--project" => project_dir = Some(it.next().ok_or("--project needs a folder")?.into()),
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => dump = Some(f.to_owned()),
        }
    }
    let dump = dump.ok_or_else(|| format!("judge needs a DUMP\n\n{}", usage()))?;
    let column = column.ok_or("judge needs --column NAME (the judge's verdict column)")?;
    let (_, ws) = open_workspace(&dump, project_dir)?;
    let (Some(project), Some(data)) = (&ws.project, &ws.data) else {
        return Err("no project".to_owned());
    };
    let spec = crate::workspace::judge::JudgeSpec {
        column,
        positive,
        threshold,
        rationale_column: None,
    };
    let pairs = crate::workspace::judge::pairs(&data.store, project, &spec)?;
    let a = crate::workspace::judge::agreement_of(&pairs);
    if json_out {
        println!("{}", serde_json::to_string(&a).unwrap_or_default());
    } else {
        let pct = |x: Option<f64>| x.map_or("n/a".to_owned(), |v| format!("{:.1} %", v * 100.0));
        println!(
            "traces judged by both: {} (failures are the positive class)",
            a.n
        );
        println!("agreement: {}", pct(a.agreement));
        println!(
            "true-positive rate: {}  true-negative rate: {}",
            pct(a.tpr),
            pct(a.tnr)
        );
        println!(
            "Cohen's kappa: {}",
            a.kappa
                .map_or("undefined".to_owned(), |k| format!("{k:.3}"))
        );
        let c = a.confusion;
        println!(
            "confusion: tp {} fp {} tn {} fn {}",
            c.tp, c.fp, c.tn, c.fn_
        );
        for w in &a.warnings {
            println!("warning: {w}");
        }
    }
    Ok(())
}
