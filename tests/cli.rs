//! The headless `errata summary` command: its flags and `--json` keys are a contract.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use std::process::Command;

fn errata(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn summary_json_has_the_contract_keys() {
    let (code, out, err) = errata(&["summary", &fixture("malformed.jsonl"), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "traces",
        "skipped",
        "id_field",
        "input_field",
        "output_field",
        "metadata_columns",
        "load_ms",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {out}");
    }
    assert_eq!(v["traces"], 2);
    assert_eq!(v["skipped"], 3);
    assert_eq!(v["skipped_lines"][0]["line"], 2);
    assert_eq!(v["id_field"], "id");
    assert_eq!(v["input_field"], "input");
    assert_eq!(v["output_field"], "output");
    assert_eq!(v["metadata_columns"][0]["name"], "id");
    assert_eq!(
        v["metadata_columns"][1],
        serde_json::json!({"name": "latency_ms", "type": "f64"})
    );
}

#[test]
fn summary_on_the_shared_dumps() {
    let nb = format!(
        "{}/../shared/data/nurtureboss_traces.json",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(
        std::path::Path::new(&nb).exists(),
        "this test reads {nb} (the course dumps in ../shared/data)"
    );
    let (code, out, _) = errata(&["summary", &nb, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["traces"], 100);
    assert_eq!(v["id_field"], "lsmith_id");
    assert_eq!(v["input_field"], "messages");
    assert_eq!(v["output_field"], serde_json::Value::Null);
    assert_eq!(v["split_conversation"], true);
}

#[test]
fn summary_text_and_errors() {
    let (code, out, _) = errata(&["summary", &fixture("openinference.jsonl")]);
    assert_eq!(code, 0);
    assert!(out.contains("traces:   2"), "{out}");
    assert!(out.contains("attributes.llm.model_name (str)"), "{out}");
    let (code, _, err) = errata(&["summary", &fixture("not_traces.html"), "--json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("HTML") && err.contains("not_traces.html"),
        "{err}"
    );
    let (code, _, err) = errata(&["summary"]);
    assert_eq!(code, 2);
    assert!(err.contains("usage"));
}

#[test]
fn generate_is_deterministic() {
    let (_, a, _) = errata(&["generate", "20", "--seed", "5"]);
    let (_, b, _) = errata(&["generate", "20", "--seed", "5"]);
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 20);
}

#[test]
fn labels_json_has_the_contract_keys() {
    let dir = std::env::temp_dir().join(format!("errata-cli-labels-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let events = [
        r#"{"trace_id":"a","verdict":"fail","note":"n","categories":["x"],"author":"ana","at":"2026-11-26T10:00:00Z","codebook_version":1,"batch":null}"#,
        r#"{"trace_id":"c","verdict":"pass","note":"","categories":[],"author":"ana","at":"2026-11-26T10:01:00Z","codebook_version":1,"batch":null}"#,
        r#"{"trace_id":"zzz","verdict":"fail","note":"","categories":["x","y"],"author":"ana","at":"2026-11-26T10:02:00Z","codebook_version":1,"batch":null}"#,
    ];
    std::fs::write(dir.join("labels.jsonl"), events.join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("codebook.json"),
        r#"{"version": 4, "owner": "ana", "categories": [{"name": "x"}]}"#,
    )
    .unwrap();
    let (code, out, err) = errata(&[
        "labels",
        &fixture("malformed.jsonl"),
        "--project",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // zzz is not in the dump: reported, counted in no figure
    assert_eq!(v["reviewed"], 2);
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 1);
    assert_eq!(v["coded"], 1);
    assert_eq!(v["categories"], serde_json::json!({"x": 1}));
    assert_eq!(v["since_last_new_category"], 0);
    assert_eq!(v["unknown_trace_ids"], 1);
    assert_eq!(v["codebook_version"], 4);
    let (code, out, _) = errata(&[
        "labels",
        &fixture("malformed.jsonl"),
        "--project",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("labels for traces not in the dump: 1"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn headless_commands_see_the_traces_added_as_batches() {
    let dir = std::env::temp_dir().join(format!("errata-cli-added-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("project/added")).unwrap();
    let dump = dir.join("traces.jsonl");
    std::fs::write(
        &dump,
        "{\"id\":\"a\",\"input\":\"q\",\"output\":\"r\",\"judge\":\"pass\"}\n",
    )
    .unwrap();
    // what "Add traces…" keeps: the batch in project.json, its records in added/<batch>.jsonl
    std::fs::write(
        dir.join("project/project.json"),
        r#"{"batches": [{"name": "2026-W48", "strategy": "added traces", "trace_ids": ["b"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("project/added/2026-W48.jsonl"),
        "{\"id\":\"b\",\"input\":\"q2\",\"output\":\"r2\",\"judge\":\"fail\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("project/labels.jsonl"),
        r#"{"trace_id":"b","verdict":"fail","note":"","categories":[],"author":"ana","at":"2026-11-26T10:00:00Z","codebook_version":0,"batch":null}"#.to_owned() + "\n",
    )
    .unwrap();
    let project = dir.join("project");
    let (code, out, err) = errata(&[
        "labels",
        dump.to_str().unwrap(),
        "--project",
        project.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unknown_trace_ids"], 0);
    assert_eq!(v["failed"], 1);
    let (code, out, err) = errata(&[
        "judge",
        dump.to_str().unwrap(),
        "--column",
        "judge",
        "--project",
        project.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n"], 1);
    assert_eq!(v["confusion"]["tp"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn summary_where_and_search_add_timings() {
    let (code, out, err) = errata(&[
        "summary",
        &fixture("malformed.jsonl"),
        "--where",
        "latency_ms > 100",
        "--search",
        "THIRD",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["matched"], 0); // "third" has latency 3.5
    assert!(v["filter_ms"].as_f64().is_some() && v["search_ms"].as_f64().is_some());
    let (_, out, _) = errata(&[
        "summary",
        &fixture("malformed.jsonl"),
        "--search",
        "third",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["matched"], 1);
    let (code, _, err) = errata(&[
        "summary",
        &fixture("malformed.jsonl"),
        "--where",
        "nope = 1",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn report_formats_agree() {
    let dir = std::env::temp_dir().join(format!("errata-cli-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ev = |id: &str, v: &str, cats: &str| {
        format!(
            r#"{{"trace_id":"{id}","verdict":"{v}","note":"note {id}","categories":[{cats}],"author":"ana","at":"2026-11-26T10:00:00Z","codebook_version":1,"batch":null}}"#
        )
    };
    let lines = [
        ev("a", "fail", r#""x""#),
        ev("b", "fail", r#""x","y""#),
        ev("c", "fail", r#""y""#),
        ev("d", "fail", r#""x""#),
        ev("e", "pass", ""),
        ev("not-in-the-dump", "fail", r#""y""#), // counted nowhere
    ];
    let dump = dir.join("dump.jsonl");
    let records: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|id| format!(r#"{{"id": "{id}", "input": "q {id}", "output": "a {id}"}}"#))
        .collect();
    std::fs::write(&dump, records.join("\n") + "\n").unwrap();
    let dump = dump.to_str().unwrap().to_owned();
    std::fs::write(dir.join("labels.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("codebook.json"),
        r#"{"version": 3, "owner": "ana", "categories": [{"name": "x", "severity": "low"}, {"name": "y", "severity": "high"}]}"#,
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let (code, out, err) = errata(&["report", &dump, "--project", d, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reviewed"], 5);
    assert_eq!(v["failed"], 4);
    assert_eq!(v["codebook_version"], 3);
    assert_eq!(v["top3_share"], 1.0);
    assert_eq!(v["categories"][0]["category"], "x");
    assert_eq!(v["categories"][0]["count"], 3);
    assert_eq!(v["categories"][0]["share_of_failures"], 0.75);
    assert_eq!(v["categories"][0]["share_of_reviewed"], 0.6);
    assert_eq!(v["categories"][0]["cumulative_share"], 0.75);
    for key in [
        "category",
        "count",
        "share_of_failures",
        "share_of_reviewed",
        "cumulative_share",
        "severity",
        "weighted_score",
    ] {
        assert!(v["categories"][1].get(key).is_some(), "{key}");
    }
    // by severity: y (2 x 3) outranks x (3 x 1)
    let (_, out, _) = errata(&[
        "report",
        &dump,
        "--project",
        d,
        "--format",
        "json",
        "--by",
        "severity",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["categories"][0]["category"], "y");
    let (_, csv, _) = errata(&["report", &dump, "--project", d, "--format", "csv"]);
    assert!(csv.contains("\nx,3,0.7500,0.6000,0.7500,low,3\n"), "{csv}");
    let (_, md, _) = errata(&["report", &dump, "--project", d]);
    assert!(
        md.contains("| 1 | x | 3 | 75 % | 60 % | 75 % | low |"),
        "{md}"
    );
    assert!(md.contains("- `a`: note a"), "{md}");
    let (code, _, err) = errata(&["report", &dump, "--project", d, "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("md, csv or json"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn judge_matches_a_hand_count_on_the_recipe_dump() {
    let recipe = format!(
        "{}/../shared/data/recipe_labeled_traces.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&recipe)
        .unwrap_or_else(|e| panic!("this test reads {recipe} ({e})"));
    let dir = std::env::temp_dir().join(format!("errata-cli-judge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // human verdicts: the judge's label, overruled on every third trace
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    let mut labels = String::new();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let judge_fail = v["label"] == "FAIL";
        let human_fail = if i % 3 == 0 { !judge_fail } else { judge_fail };
        match (judge_fail, human_fail) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
        labels.push_str(&format!(
            "{{\"trace_id\":\"{}\",\"verdict\":\"{}\"}}\n",
            v["trace_id"].as_str().unwrap(),
            if human_fail { "fail" } else { "pass" }
        ));
    }
    std::fs::write(dir.join("labels.jsonl"), labels).unwrap();
    let (code, out, err) = errata(&[
        "judge",
        &recipe,
        "--column",
        "label",
        "--project",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let n = tp + fp + tn + fn_;
    assert_eq!(v["n"], n);
    assert_eq!(
        v["confusion"],
        serde_json::json!({"tp": tp, "fp": fp, "tn": tn, "fn": fn_})
    );
    let close = |key: &str, x: f64| {
        assert!(
            (v[key].as_f64().unwrap() - x).abs() < 1e-9,
            "{key}: {}",
            v[key]
        );
    };
    close("agreement", (tp + tn) as f64 / n as f64);
    close("tpr", tp as f64 / (tp + fn_) as f64);
    close("tnr", tn as f64 / (tn + fp) as f64);
    let (nf, pf) = (n as f64, (tp + tn) as f64 / n as f64);
    let pe =
        ((tp + fn_) as f64 * (tp + fp) as f64 + (tn + fp) as f64 * (tn + fn_) as f64) / (nf * nf);
    close("kappa", (pf - pe) / (1.0 - pe));
    assert!(v["warnings"].is_array());
    let (code, _, err) = errata(&[
        "judge",
        &recipe,
        "--column",
        "nope",
        "--project",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no column nope") && err.contains("label"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn span_exports_summary_keys_group_by_and_the_first_failure_breakdown() {
    let spans = fixture("spans/phoenix-agent.jsonl");
    let (code, out, err) = errata(&["summary", &spans, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["traces"], 2);
    assert_eq!(v["spans"], 8);
    assert_eq!(v["trace_key"], "context.trace_id");
    assert_eq!(v["parent_key"], "parent_id");
    assert_eq!(v["id_field"], "context.trace_id");
    let names: Vec<&str> = v["metadata_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for derived in errata::trace::spans::DERIVED {
        assert!(names.contains(&derived), "{derived}: {names:?}");
    }
    // one record a trace: spans = traces, no keys
    let (_, out, _) = errata(&["summary", &fixture("malformed.jsonl"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spans"], v["traces"]);
    assert!(v["trace_key"].is_null() && v["parent_key"].is_null());
    // --group-by none / PATH
    let (_, out, _) = errata(&["summary", &spans, "--group-by", "none", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["traces"].as_u64(), v["trace_key"].is_null()),
        (Some(8), true)
    );
    let (_, out, _) = errata(&["summary", &spans, "--group-by", "span_kind", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["traces"].as_u64(), v["trace_key"].as_str()),
        (Some(3), Some("span_kind"))
    );
    let (code, _, err) = errata(&["summary", &spans, "--group-by"]);
    assert_eq!(code, 2, "{err}");
    // the first-failure breakdown in labels and report
    let dir = std::env::temp_dir().join(format!("errata-cli-spans-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (_, out, _) = errata(&["summary", &spans, "--where", "trace_error", "--json"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["matched"],
        1
    );
    let loaded = errata::trace::load::load_bytes(&spans, std::fs::read(&spans).unwrap()).unwrap();
    let (a, b) = (loaded.store.id(0).to_owned(), loaded.store.id(1).to_owned());
    let events = [
        format!(r#"{{"trace_id":"{a}","verdict":"fail","note":"","categories":["made-up policy"],"author":"ana","at":"2026-11-26T10:00:00Z","codebook_version":1,"batch":null,"span_id":"x1","span_name":"lookup_policy"}}"#),
        format!(r#"{{"trace_id":"{b}","verdict":"fail","note":"","categories":["made-up policy"],"author":"ana","at":"2026-11-26T10:01:00Z","codebook_version":1,"batch":null,"span_id":"x2","span_name":"lookup_policy"}}"#),
        // an older event without the optional fields stays valid
        r#"{"trace_id":"zzz","verdict":"fail","note":"","categories":["x"],"author":"ana","at":"2026-11-26T10:02:00Z","codebook_version":1,"batch":null,"span_name":"ghost"}"#.to_owned(),
    ];
    std::fs::write(dir.join("labels.jsonl"), events.join("\n") + "\n").unwrap();
    let project = dir.to_str().unwrap();
    let expected =
        serde_json::json!([{"category": "made-up policy", "span": "lookup_policy", "traces": 2}]);
    let (code, out, err) = errata(&["labels", &spans, "--project", project, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["first_failure"], expected,
        "traces not in the dump are not counted"
    );
    let (_, out, _) = errata(&["report", &spans, "--project", project, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["first_failure"], expected);
    let (_, md, _) = errata(&["report", &spans, "--project", project]);
    assert!(md.contains("## Where traces first went wrong"), "{md}");
    assert!(
        md.contains("| made-up policy | lookup_policy | 2 |"),
        "{md}"
    );
    let (_, text, _) = errata(&["labels", &spans, "--project", project]);
    assert!(text.contains("2  made-up policy × lookup_policy"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
