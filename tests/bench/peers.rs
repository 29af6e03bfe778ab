//! errata beside what users would pick instead to open a JSONL dump: DuckDB
//! (`CREATE TABLE … AS SELECT * FROM read_ndjson_auto(…)`) and Python polars (`read_ndjson`),
//! each a whole process on the same file in the same run, like `errata summary`.
//!
//! The peers are installed with pip into a venv under the bench data folder (once; later runs
//! reuse it). When they cannot be installed the benchmark says why and reports errata alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::{median, row};

/// Opens the file in a peer and prints its rows and the process's peak memory as JSON.
const SCRIPT: &str = r#"
import json, resource, sys
which, path = sys.argv[1], sys.argv[2]
if which == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    quoted = path.replace("'", "''")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_ndjson_auto('{quoted}')")
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
else:
    import polars
    rows = polars.read_ndjson(path).height
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB -> MB
print(json.dumps({"rows": rows, "peak_mb": peak}))
"#;

/// A whole process's figures: wall time and peak resident memory.
#[derive(Clone, Copy)]
pub struct Run {
    pub ms: f64,
    pub peak_mb: f64,
}

/// The venv's Python with duckdb and polars importable, installing them when needed.
pub fn python(dir: &Path) -> Result<PathBuf, String> {
    let venv = dir.join("venv");
    let py = venv.join("bin").join("python");
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", "import duckdb, polars"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&py) {
        return Ok(py);
    }
    eprintln!("installing duckdb and polars into {}", venv.display());
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    run(
        Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", "duckdb", "polars"]),
        "pip install duckdb polars",
    )?;
    if ready(&py) {
        Ok(py)
    } else {
        Err("duckdb and polars were installed but do not import".to_owned())
    }
}

/// Runs `cmd`; its error output when it fails.
fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what} could not be run ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Versions of the peers, for the report.
pub fn versions(py: &Path) -> String {
    Command::new(py)
        .args([
            "-c",
            "import duckdb, polars; print(f'DuckDB {duckdb.__version__}, polars {polars.__version__}')",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// `runs` whole-process opens of `path` by a peer; the median time and the largest peak.
pub fn peer(py: &Path, which: &str, path: &Path, runs: usize) -> Result<Run, String> {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(py)
            .args(["-c", SCRIPT, which])
            .arg(path)
            .output()
            .map_err(|e| e.to_string())?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(err.lines().last().unwrap_or("failed").to_owned());
        }
        // the last line: anything a library printed before it is not ours
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or("");
        let v: serde_json::Value =
            serde_json::from_str(last).map_err(|e| format!("{e}: {last}"))?;
        times.push(ms);
        peak = peak.max(v["peak_mb"].as_f64().unwrap_or(0.0));
    }
    Ok(Run {
        ms: median(times),
        peak_mb: peak,
    })
}

/// `runs` whole-process `errata summary --json` of `path`: the median time and the largest peak.
pub fn errata(path: &Path, runs: usize) -> Run {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_errata"))
            .args(["summary", path.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        peak = peak.max(v["peak_memory_mb"].as_f64().unwrap_or(0.0));
    }
    Run {
        ms: median(times),
        peak_mb: peak,
    }
}

/// Runs of errata and DuckDB, taken turn about (so that the machine's state, its page cache
/// above all, weighs on both alike): the median time and largest peak of each.
fn turn_about(py: Option<&Path>, path: &Path, runs: usize) -> (Run, Option<Result<Run, String>>) {
    let (mut ours, mut duck) = (Vec::new(), Vec::new());
    let mut failed = None;
    for _ in 0..runs {
        ours.push(errata(path, 1));
        if let Some(py) = py.filter(|_| failed.is_none()) {
            match peer(py, "duckdb", path, 1) {
                Ok(r) => duck.push(r),
                Err(e) => failed = Some(e),
            }
        }
    }
    let fold = |v: &[Run]| Run {
        ms: median(v.iter().map(|r| r.ms).collect()),
        peak_mb: v.iter().map(|r| r.peak_mb).fold(0.0, f64::max),
    };
    let duck = match (py, failed) {
        (None, _) => None,
        (Some(_), Some(e)) => Some(Err(e)),
        (Some(_), None) => Some(Ok(fold(&duck))),
    };
    (fold(&ours), duck)
}

/// The comparison rows for one file: errata, DuckDB and polars, and errata's budgets.
pub fn compare(py: Option<&Path>, path: &Path, bytes: u64) -> Run {
    let gb = bytes as f64 / 1e9;
    // errata and DuckDB take five turns each; polars (ten times slower) three runs
    let (ours, duck) = turn_about(py, path, 5);
    let per = |r: Run| {
        format!(
            "{:.2} s, {:.0} MB ({:.2}x)",
            r.ms / 1e3,
            r.peak_mb,
            r.peak_mb * 1e6 / bytes as f64
        )
    };
    row("errata summary (whole process)", per(ours), "", None);
    let Some(py) = py else {
        return ours;
    };
    let label = "DuckDB CREATE TABLE AS read_ndjson_auto";
    let duck_ms = match duck {
        Some(Ok(r)) => {
            row(label, per(r), "", None);
            Some(r.ms)
        }
        Some(Err(e)) => {
            row(label, format!("failed: {e}"), "", None);
            None
        }
        None => None,
    };
    let label = "Python polars read_ndjson";
    // polars holds about five times the file: a large file would not fit beside the rest
    if gb > 2.0 {
        row(label, "skipped", "file > 2 GB", None);
    } else {
        match peer(py, "polars", path, 3) {
            Ok(r) => row(label, per(r), "", None),
            Err(e) => row(label, format!("failed: {e}"), "", None),
        }
    }
    if let Some(d) = duck_ms {
        let x = ours.ms / d;
        row(
            "errata / DuckDB, time",
            format!("{x:.2}x"),
            "<= 0.6x",
            Some(x <= 0.6),
        );
    }
    ours
}
