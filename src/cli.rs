//! Headless commands for scripts and weekly jobs. Their flags and `--json` keys are a contract.
//!
//! - `errata summary FILE… [--json]`: what a load finds.
//! - `errata generate N [--seed S] [--out FILE]`: synthetic traces (the demo and benchmark data).

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;

use crate::trace::load::{self, Progress};

/// How many skipped lines `summary` lists.
const SKIPPED_SHOWN: usize = 10;

/// Runs a headless command if `args` (without the program name) name one.
/// Returns the exit code, or `None` when the arguments are for the app.
pub fn run(args: &[String]) -> Option<i32> {
    let (cmd, rest) = args.split_first()?;
    let code = match cmd.as_str() {
        "summary" => summary(rest),
        "generate" => generate(rest),
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
  errata summary FILE… [--json]          load without a window and report what was found
  errata generate N [--seed S] [--out FILE]
                                         write N synthetic traces as JSON Lines"
}

fn summary(args: &[String]) -> Result<(), String> {
    let mut json_out = false;
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            "--json" => json_out = true,
            f if f.starts_with("--") => return Err(format!("unknown flag {f}\n\n{}", usage())),
            f => files.push(PathBuf::from(f)),
        }
    }
    if files.is_empty() {
        return Err(format!("summary needs at least one FILE\n\n{}", usage()));
    }
    let started = Instant::now();
    let progress = Progress::default();
    let sources = files
        .iter()
        .map(|p| load::read_file(p, &progress))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let loaded = load::load(sources, None, &progress, threads).map_err(|e| e.to_string())?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let store = &loaded.store;
    let path_text = |p: &Option<crate::trace::FieldPath>| p.as_ref().map(ToString::to_string);
    let columns: Vec<_> = store
        .columns()
        .iter()
        .map(|c| json!({"name": c.name, "type": c.dtype}))
        .collect();
    if json_out {
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
            "metadata_columns": columns,
            "warnings": loaded.warnings,
            "load_ms": (load_ms * 10.0).round() / 10.0,
        });
        println!("{out}");
    } else {
        println!("files:    {}", store.files().join(", "));
        println!("traces:   {}", store.len());
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
    }
    Ok(())
}

fn generate(args: &[String]) -> Result<(), String> {
    let mut n = None;
    let mut seed = 7u64;
    let mut out: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
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

    match out {
        Some(path) => std::fs::File::create(&path)
            .and_then(|mut f| crate::synth::write_jsonl(n, seed, &mut f))
            .map_err(|e| format!("{e}: {}", path.display())),
        None => crate::synth::write_jsonl(n, seed, &mut std::io::stdout().lock())
            .map_err(|e| e.to_string()),
    }
}
