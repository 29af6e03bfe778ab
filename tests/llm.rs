//! `errata propose` against a real HTTP server on 127.0.0.1 that the test starts, speaking both
//! APIs with canned answers, an error status and a 429; and the offline clusterer.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Write as _;
use std::net::TcpListener;
use std::process::Command;

mod common;

/// Serves `replies` (status line, extra headers, body) to successive connections, then stops.
fn serve(
    replies: Vec<(&'static str, &'static str, String)>,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, headers, body) in replies {
            let Ok((mut stream, _)) = listener.accept() else {
                break;
            };
            let (request, _) = common::read_request(&mut stream);
            seen.push(request);
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
        seen
    });
    (port, handle)
}

fn project() -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("errata-llm-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let notes = [
        "did not call the booking tool",
        "booking tool never invoked",
        "wrong date given",
        "made up a fee",
    ];
    let lines: Vec<String> = notes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(r#"{{"trace_id":"t{i}","verdict":"fail","note":"{n}","categories":[]}}"#)
        })
        .collect();
    std::fs::write(dir.join("labels.jsonl"), lines.join("\n") + "\n").unwrap();
    dir
}

fn propose(dir: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let fixture = format!(
        "{}/tests/fixtures/malformed.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut args = vec![
        "propose",
        fixture.as_str(),
        "--project",
        dir.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(&args)
        .env("OPENAI_API_KEY", "test-key")
        .env("ANTHROPIC_API_KEY", "test-key")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn openai_compatible_answer_is_parsed_and_checked() {
    let dir = project();
    let answer = r#"Here is the grouping:\n```json\n{\"categories\":[{\"name\":\"Tool not called\",\"description\":\"The booking tool was skipped.\",\"examples\":[\"did not call the booking tool\",\"booking tool never invoked\"]},{\"name\":\"Invented\",\"description\":\"Made-up facts.\",\"examples\":[\"made up a fee\",\"a note nobody wrote\"]}]}\n```"#;
    let body =
        format!(r#"{{"choices":[{{"message":{{"role":"assistant","content":"{answer}"}}}}]}}"#);
    let (port, server) = serve(vec![("200 OK", "", body)]);
    let base = format!("http://127.0.0.1:{port}/v1");
    let (code, out, err) = propose(
        &dir,
        &["--provider", "openai", "--base-url", &base, "--model", "m"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["categories"][0]["name"], "Tool not called");
    assert_eq!(
        v["categories"][1]["examples"],
        serde_json::json!(["made up a fee"])
    );
    assert_eq!(
        v["rejected_examples"],
        serde_json::json!(["a note nobody wrote"])
    );
    assert_eq!(v["unassigned"], serde_json::json!(["wrong date given"]));
    let seen = server.join().unwrap();
    assert!(
        seen[0].starts_with("POST /v1/chat/completions"),
        "{}",
        seen[0]
    );
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("authorization: bearer test-key")
    );
    assert!(seen[0].contains("\"temperature\":0"));
    // the codebook was not touched
    assert!(!dir.join("codebook.json").exists());
}

#[test]
fn anthropic_answer_and_errors() {
    let dir = project();
    let answer = r#"{\"categories\":[{\"name\":\"Dates\",\"description\":\"Wrong dates.\",\"examples\":[\"wrong date given\"]}]}"#;
    let ok = format!(r#"{{"content":[{{"type":"text","text":"{answer}"}}],"role":"assistant"}}"#);
    let (port, server) = serve(vec![
        ("200 OK", "", ok),
        (
            "429 Too Many Requests",
            "retry-after: 30\r\n",
            r#"{"error":{"type":"rate_limit_error"}}"#.to_owned(),
        ),
        ("500 Internal Server Error", "", "oops".to_owned()),
        (
            "200 OK",
            "",
            r#"{"content":[{"type":"text","text":"I would rather not."}]}"#.to_owned(),
        ),
    ]);
    let base = format!("http://127.0.0.1:{port}");
    let args = [
        "--provider",
        "anthropic",
        "--base-url",
        base.as_str(),
        "--model",
        "claude",
    ];
    let (code, out, err) = propose(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["categories"][0]["name"], "Dates");
    let (code, _, err) = propose(&dir, &args);
    assert_eq!(code, 2);
    assert!(
        err.contains("HTTP 429")
            && err.contains("retry after 30")
            && err.contains("rate_limit_error"),
        "{err}"
    );
    let (code, _, err) = propose(&dir, &args);
    assert_eq!(code, 2);
    assert!(err.contains("HTTP 500") && err.contains("oops"), "{err}");
    let (code, _, err) = propose(&dir, &args);
    assert_eq!(code, 2);
    assert!(
        err.contains("no JSON") && err.contains("I would rather not"),
        "{err}"
    );
    let seen = server.join().unwrap();
    assert!(seen[0].starts_with("POST /v1/messages"));
    assert!(seen[0].to_ascii_lowercase().contains("x-api-key: test-key"));
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("anthropic-version: 2023-06-01")
    );
}

#[test]
fn offline_proposal_needs_no_server() {
    let dir = project();
    let (code, out, err) = propose(&dir, &["--offline"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cats = v["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 3);
    // each category says which coined tags it absorbs (none here)
    assert!(cats.iter().all(|c| c["tags"].is_array()), "{v}");
    assert!(v["unassigned"].is_array());
    let total: usize = cats
        .iter()
        .map(|c| c["examples"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 4);
    // the two booking-tool notes land together
    let tool = cats
        .iter()
        .find(|c| {
            c["examples"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e == "did not call the booking tool")
        })
        .unwrap();
    assert!(
        tool["examples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "booking tool never invoked")
    );
}

#[test]
fn a_slow_server_times_out_with_a_message() {
    let dir = project();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        // accept and say nothing for longer than the client waits
        let conn = listener.accept();
        std::thread::sleep(std::time::Duration::from_secs(4));
        drop(conn);
    });
    let base = format!("http://127.0.0.1:{port}/v1");
    let started = std::time::Instant::now();
    let (code, _, err) = propose(
        &dir,
        &[
            "--provider",
            "openai",
            "--base-url",
            &base,
            "--model",
            "m",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("request failed"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "gave up after the timeout"
    );
    server.join().unwrap();
}

#[test]
fn large_note_sets_go_in_batches_and_are_reconciled() {
    let dir = project();
    let a = r#"{\"categories\":[{\"name\":\"Tools\",\"description\":\"No tool.\",\"examples\":[\"did not call the booking tool\",\"booking tool never invoked\"]}]}"#;
    let b = r#"{\"categories\":[{\"name\":\"tools\",\"description\":\"\",\"examples\":[\"made up a fee\"]},{\"name\":\"Dates\",\"description\":\"Wrong dates.\",\"examples\":[\"wrong date given\"]}]}"#;
    let reply = |t: &str| {
        format!(r#"{{"choices":[{{"message":{{"role":"assistant","content":"{t}"}}}}]}}"#)
    };
    let (port, server) = serve(vec![("200 OK", "", reply(a)), ("200 OK", "", reply(b))]);
    let base = format!("http://127.0.0.1:{port}/v1");
    let (code, out, err) = propose(
        &dir,
        &[
            "--provider",
            "openai",
            "--base-url",
            &base,
            "--model",
            "m",
            "--batch-chars",
            "72",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cats = v["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 2, "Tools and tools merged: {out}");
    assert_eq!(cats[0]["examples"].as_array().unwrap().len(), 3);
    assert_eq!(v["unassigned"], serde_json::json!([]));
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 2);
    // the second batch is told about the category the first one found
    assert!(seen[1].contains("- Tools: No tool."), "{}", seen[1]);
}

#[test]
fn embeddings_proposal_groups_by_the_endpoints_vectors() {
    let dir = project();
    let (port, server) = common::serve_embeddings(1);
    let url = format!("http://127.0.0.1:{port}/v1/embeddings");
    let (code, out, err) = propose(&dir, &["--embeddings", &url, "--model", "test-embed"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cats = v["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 3, "{v}");
    let group_of = |note: &str| {
        cats.iter()
            .position(|c| c["examples"].as_array().unwrap().iter().any(|e| e == note))
            .unwrap()
    };
    assert_eq!(
        group_of("did not call the booking tool"),
        group_of("booking tool never invoked")
    );
    assert_ne!(group_of("wrong date given"), group_of("made up a fee"));
    assert!(cats.iter().all(|c| c["tags"].is_array()));
    let seen = server.join().unwrap();
    assert_eq!(seen[0]["model"], "test-embed");
    assert_eq!(seen[0]["input"].as_array().unwrap().len(), 4);
    // an endpoint that fails: the status, never a made-up proposal
    let (port, server) = serve(vec![(
        "500 Internal Server Error",
        "",
        "model not loaded".into(),
    )]);
    let url = format!("http://127.0.0.1:{port}");
    let (code, _, err) = propose(&dir, &["--embeddings", &url]);
    assert_eq!(code, 2);
    assert!(
        err.contains("HTTP 500") && err.contains("model not loaded"),
        "{err}"
    );
    server.join().unwrap();
}
