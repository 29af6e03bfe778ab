//! The files people have (issue 15): every format under `tests/fixtures/formats/` opens with no
//! flag and no skipped record, with the id, input and output a person would pick, the format
//! named; typed field paths override detection on the command line and in the app.

#![cfg(not(target_arch = "wasm32"))] // drives the native loader, CLI and app
#![allow(clippy::unwrap_used)] // tests may unwrap

use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable as _, by};
use errata::app::{ErrataApp, StartOptions};
use errata::trace::content::{self, Content};
use errata::trace::load::{self, Loaded, Progress};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name)
}

fn open(names: &[&str]) -> Loaded {
    let progress = Progress::default();
    let sources = names
        .iter()
        .map(|n| load::read_file(&fixture(n), &progress).unwrap())
        .collect();
    load::load(sources, None, &progress, 1).unwrap_or_else(|e| panic!("{names:?}: {e}"))
}

/// What a person reads of a trace: its input's and output's text.
fn texts(loaded: &Loaded, row: usize) -> (String, String) {
    let (i, o) = errata::workspace::other_run::row_contents(&loaded.store, row as u32);
    (content::plain_text(&i), content::plain_text(&o))
}

/// One format: its traces, id field, the first trace's id, what its input and output contain,
/// and the words that name the format.
struct Case {
    files: &'static [&'static str],
    traces: usize,
    id: &'static str,
    first_id: &'static str,
    input: &'static str,
    output: &'static str,
    format: &'static str,
}

const CASES: &[Case] = &[
    Case {
        files: &["inspect-security-guide.json"],
        traces: 3,
        id: "sample_id",
        first_id: "https",
        input: "What port does HTTPS use?",
        output: "HTTPS uses port 8443.",
        format: "Inspect AI eval log: 3 samples of task security_guide, model mockllm/model",
    },
    Case {
        files: &["inspect-security-guide.eval"],
        traces: 3,
        id: "sample_id",
        first_id: "ssh",
        input: "What port does SSH use?",
        output: "SSH uses port 22.",
        format: "Inspect AI eval log: 3 samples of task security_guide",
    },
    Case {
        files: &["otel-console.json"],
        traces: 3,
        id: "context.span_id",
        first_id: "0x",
        input: "When is rent due?",
        output: "Rent is due on the 1st of each month.",
        format: "OpenTelemetry GenAI spans (3 JSON documents one after another)",
    },
    Case {
        files: &["otlp.json"],
        traces: 3,
        id: "span_id",
        first_id: "",
        input: "When is rent due?",
        output: "Rent is due on the 1st of each month.",
        format: "OTLP/JSON: 3 spans of 3 traces",
    },
    Case {
        files: &["otlp-collector.jsonl"],
        traces: 3,
        id: "span_id",
        first_id: "",
        input: "When is rent due?",
        output: "Rent is due on the 1st of each month.",
        format: "OpenTelemetry Collector file export",
    },
    Case {
        files: &["mlflow-trace.json"],
        traces: 1,
        id: "trace_id",
        first_id: "tr-",
        input: "When is rent due?",
        output: "On the 1st.",
        format: "MLflow trace: 2 spans",
    },
    Case {
        files: &["mlflow-traces.json"],
        traces: 1,
        id: "trace_id",
        first_id: "tr-",
        input: "Is parking free?",
        output: "Parking is $50 a month.",
        format: "MLflow trace: 2 spans",
    },
    Case {
        files: &["langfuse-trace.json"],
        // the trace and its observations, a record each, grouped by `traceId`
        traces: 1,
        id: "traceId",
        first_id: "7d3c0f6a",
        input: "When is rent due?",
        output: "Rent is due on the 5th of each month.",
        format: "Langfuse trace download (leasing-qa): 2 observations",
    },
    Case {
        files: &["langsmith-runs.json"],
        // a chain run and its child LLM run: one trace, grouped by `trace_id`
        traces: 1,
        id: "trace_id",
        first_id: "00000000-0000-0000-0000-000000000001",
        input: "When is rent due?",
        output: "Rent is due on the 1st.",
        format: "LangSmith run payloads: 2 runs",
    },
    Case {
        files: &["atif-trajectory.json"],
        traces: 1,
        id: "session_id",
        first_id: "c2b9a6f0",
        input: "Book me a tour of unit 4B on Friday.",
        output: "You're booked for a tour of 4B on Friday at 10:00.",
        format: "ATIF trajectory (leasing-agent): 4 steps",
    },
    Case {
        files: &["oaieval.jsonl"],
        traces: 2,
        id: "sample_id",
        first_id: "leasing-faq.dev.0",
        input: "When is rent due?",
        output: "The 5th.",
        format: "openai/evals log: 2 samples of eval leasing-faq.dev.v0",
    },
    Case {
        files: &["openai-batch-output.jsonl"],
        traces: 3,
        id: "custom_id",
        first_id: "req-rent",
        input: "",
        output: "Rent is due on the 1st.",
        format: "OpenAI Batch output",
    },
    Case {
        files: &["openai-batch-input.jsonl", "openai-batch-output.jsonl"],
        traces: 3,
        id: "custom_id",
        first_id: "req-rent",
        input: "When is rent due?",
        output: "Rent is due on the 1st.",
        format: "OpenAI Batch output joined with its input openai-batch-input.jsonl (3 requests)",
    },
    Case {
        files: &["anthropic-batch-results.jsonl"],
        traces: 3,
        id: "custom_id",
        first_id: "req-rent",
        input: "",
        output: "Rent is due on the 1st.",
        format: "Anthropic Message Batches results",
    },
    Case {
        files: &["sharegpt.json"],
        traces: 3,
        id: "id",
        first_id: "identity_0",
        input: "Who are you?",
        output: "You too!",
        format: "ShareGPT conversations",
    },
    Case {
        files: &["tau-bench-airline.json"],
        traces: 2,
        id: "task_id",
        first_id: "0",
        input: "Hi! I'm looking to book a flight from New York to Seattle",
        output: "",
        format: "conversations in `traj`",
    },
    Case {
        files: &["phoenix-spans.csv"],
        traces: 2,
        id: "context.span_id",
        first_id: "4bf92f3577b34da6",
        input: "When is rent due?",
        output: "On the 1st.",
        format: "OpenInference spans",
    },
    Case {
        files: &["phoenix-spans.parquet"],
        traces: 2,
        id: "context.span_id",
        first_id: "4bf92f3577b34da6",
        input: "When is rent due?",
        output: "On the 1st.",
        format: "OpenInference spans",
    },
];

#[test]
fn every_format_opens_with_what_a_person_would_pick() {
    for c in CASES {
        let loaded = open(c.files);
        let store = &loaded.store;
        let what = format!("{:?}", c.files);
        assert_eq!(store.len(), c.traces, "{what}: traces");
        assert_eq!(
            loaded.skipped_count, 0,
            "{what}: skipped {:?}",
            loaded.skipped
        );
        assert_eq!(
            store.identity.field(),
            Some(c.id),
            "{what}: {:?}",
            store.identity
        );
        assert!(
            store.id(0).starts_with(c.first_id),
            "{what}: first id {}",
            store.id(0)
        );
        let format = store.format.clone().unwrap_or_default();
        assert!(format.contains(c.format), "{what}: format {format:?}");
        // the texts are somewhere among the traces (order follows the file)
        let all: Vec<(String, String)> = (0..store.len()).map(|r| texts(&loaded, r)).collect();
        assert!(
            all.iter().any(|(i, _)| i.contains(c.input)),
            "{what}: no input has {:?}: {:?}",
            c.input,
            all.iter()
                .map(|(i, _)| i.chars().take(120).collect::<String>())
                .collect::<Vec<_>>()
        );
        assert!(
            all.iter().any(|(_, o)| o.contains(c.output)),
            "{what}: no output has {:?}: {:?}",
            c.output,
            all.iter()
                .map(|(_, o)| o.chars().take(120).collect::<String>())
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn conversations_read_as_chat_with_roles_a_person_knows() {
    let loaded = open(&["sharegpt.json"]);
    let (input, output) = errata::workspace::other_run::row_contents(&loaded.store, 0);
    let Content::Chat(input) = input else {
        panic!("ShareGPT reads as chat")
    };
    assert_eq!(input[0].role, "user", "human → user");
    let Content::Chat(output) = output else {
        panic!("the last gpt turn is the output")
    };
    assert_eq!(output[0].role, "assistant", "gpt → assistant");
    // ATIF: the agent's tool call and its observation are turns of their own
    let loaded = open(&["atif-trajectory.json"]);
    let (input, _) = errata::workspace::other_run::row_contents(&loaded.store, 0);
    let Content::Chat(turns) = input else {
        panic!("ATIF steps read as chat")
    };
    let call = turns
        .iter()
        .find(|m| !m.tool_calls.is_empty())
        .expect("a tool call");
    assert_eq!(call.tool_calls[0].name, "list_slots");
    assert!(
        turns
            .iter()
            .any(|m| m.role == "tool" && m.text.contains("15:30"))
    );
}

#[test]
fn the_cli_names_the_format_and_takes_typed_paths() {
    let bin = env!("CARGO_BIN_EXE_errata");
    let out = std::process::Command::new(bin)
        .args(["summary", "--json"])
        .arg(fixture("openai-batch-output.jsonl"))
        .args(["--output", "response.body.choices[0].message.content"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["output_field"],
        "response.body.choices[0].message.content"
    );
    assert_eq!(v["format"], "OpenAI Batch output");
    assert_eq!(v["skipped"], 0);
    // a path that is not one fails naming it; one no record has is a warning
    let bad = std::process::Command::new(bin)
        .arg("summary")
        .arg(fixture("openai-batch-output.jsonl"))
        .args(["--id", "custom_id[x"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--id `custom_id[x` is not a field path")
    );
    let missing = std::process::Command::new(bin)
        .args(["summary", "--json"])
        .arg(fixture("openai-batch-output.jsonl"))
        .args(["--input", "request.prompt"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&missing.stdout).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no record has `request.prompt`")
    );
}

#[test]
fn every_command_takes_help() {
    let bin = env!("CARGO_BIN_EXE_errata");
    for cmd in [
        "summary", "generate", "labels", "report", "propose", "judge",
    ] {
        let out = std::process::Command::new(bin)
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd} --help exits 0");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("errata {cmd}")), "{cmd}: {text}");
    }
}

#[test]
fn misleading_messages_are_replaced_by_what_the_file_is() {
    let dir = std::env::temp_dir().join(format!("errata-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let msg = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let progress = Progress::default();
        let source = load::read_file(&p, &progress).unwrap();
        load::load(vec![source], None, &progress, 1)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let arrays = msg("arrays.jsonl", b"[1, 2]\n[3, 4]\n");
    assert!(arrays.contains("each line is a JSON array"), "{arrays}");
    let broken = msg("broken.json", b"{\n  \"a\": 1,\n  \"b\": \n}\n");
    assert!(
        broken.contains("line 4") && !broken.contains("not JSON"),
        "{broken}"
    );
    let zip = msg(
        "notes.zip",
        include_bytes!("fixtures/formats/inspect-security-guide.eval")
            .split_at(4)
            .0,
    );
    assert!(zip.contains("zip archive"), "{zip}");
}

#[test]
fn a_typed_path_in_the_field_mapping_window_is_kept_in_the_project() {
    let dir = std::env::temp_dir().join(format!("errata-formats-ui-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("openai-batch-output.jsonl");
    std::fs::copy(fixture("openai-batch-output.jsonl"), &path).unwrap();
    let start = StartOptions {
        paths: vec![path.clone()],
        project_root: Some(dir.clone()),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| ErrataApp::new(cc, start));
    for _ in 0..300 {
        h.step();
        if h.state().job.is_none() && h.state().ws.data.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        errata::app::Action::Show(errata::action::Window::FieldMapping),
    );
    h.run_steps(3);
    let typed = h.get(by().predicate(|n| n.placeholder() == Some("or type the output path")));
    typed.focus();
    h.run_steps(1);
    h.event(egui::Event::Text(
        "response.body.choices[0].message.content".into(),
    ));
    h.run_steps(2);
    // the window's Apply (the filter bar has one too): the lower of the two
    let apply = h
        .query_all_by_label("Apply")
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap();
    apply.click();
    h.run_steps(2);
    for _ in 0..300 {
        h.step();
        if h.state().job.is_none() && h.state().ws.data.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(
        d.store
            .mapping
            .output
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("response.body.choices[0].message.content")
    );
    let (_, output) = d.contents(0);
    assert_eq!(content::plain_text(&output), "Rent is due on the 1st.");
    fn find(dir: &std::path::Path) -> Option<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .find_map(|e| {
                let p = e.path();
                if p.file_name().is_some_and(|n| n == "project.json") {
                    Some(p)
                } else if p.is_dir() {
                    find(&p)
                } else {
                    None
                }
            })
    }
    let project = std::fs::read_to_string(find(&dir).expect("a project.json")).unwrap();
    assert!(
        project.contains("[0]"),
        "the mapping is kept in project.json: {project}"
    );
}
