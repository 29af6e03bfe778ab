//! Helpers shared by the kittest suites that drive the coding loop and the weekly cadence.

#![allow(dead_code, clippy::unwrap_used)] // each suite uses some of them

use egui::Key;
use egui_kittest::Harness;
use errata::app::{ErrataApp, StartOptions};

pub fn root(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("errata-ui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

pub fn app(root: &std::path::Path) -> Harness<'static, ErrataApp> {
    app_opening(root, Vec::new())
}

/// The app (author "ana") opening `paths`, its projects under `root`.
pub fn app_opening(
    root: &std::path::Path,
    paths: Vec<std::path::PathBuf>,
) -> Harness<'static, ErrataApp> {
    app_starting(StartOptions {
        paths,
        project_root: Some(root.to_path_buf()),
        ..Default::default()
    })
}

/// The app (author "ana") started with `start`.
pub fn app_starting(start: StartOptions) -> Harness<'static, ErrataApp> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| {
            let mut app = ErrataApp::new(cc, start);
            app.settings.author = "ana".into();
            app
        });
    h.run_steps(3);
    h
}

pub fn press(h: &mut Harness<'_, ErrataApp>, key: Key) {
    h.key_press(key);
    h.run_steps(2);
}

pub fn type_text(h: &mut Harness<'_, ErrataApp>, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.run_steps(2);
}

pub fn state(h: &Harness<'_, ErrataApp>, id: &str) -> Option<errata::coding::LabelEvent> {
    h.state().ws.project.as_ref().unwrap().state(id).cloned()
}

pub fn wait_for_jobs(h: &mut Harness<'_, ErrataApp>) {
    for _ in 0..500 {
        h.step();
        if h.state().job.is_none() && !h.state().ws.data.as_ref().is_some_and(|d| d.querying) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
}

/// What the app put on the clipboard in the next few frames.
pub fn copied(h: &mut Harness<'_, ErrataApp>) -> Option<String> {
    let mut out = None;
    for _ in 0..3 {
        h.step();
        for c in &h.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(t) = c {
                out = Some(t.clone());
            }
        }
    }
    out
}

/// The ClickHouse server the tests use (`ERRATA_CLICKHOUSE`, which `.ci/run` sets after starting
/// one), with the seed tables (tests/fixtures/clickhouse/seed.sql) made afresh in database `db`.
/// Without a server the ClickHouse tests are skipped locally, and fail under CI.
pub fn clickhouse(db: &str) -> Option<String> {
    let Ok(addr) = std::env::var("ERRATA_CLICKHOUSE") else {
        assert!(
            std::env::var("CI").is_err(),
            "ERRATA_CLICKHOUSE is not set under CI: .ci/run starts the server the ClickHouse tests need"
        );
        eprintln!("ERRATA_CLICKHOUSE is not set: no ClickHouse server to test against");
        return None;
    };
    let seed = std::fs::read_to_string(format!(
        "{}/tests/fixtures/clickhouse/seed.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for statement in seed.split("\n\n") {
        let sql: String = statement
            .lines()
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("errata_seed", db);
        if sql.trim().is_empty() {
            continue;
        }
        let resp = ehttp::fetch_blocking(&ehttp::Request::post(
            format!("http://{addr}/"),
            sql.clone().into_bytes(),
        ))
        .unwrap();
        assert_eq!(
            resp.status,
            200,
            "{sql}: {}",
            String::from_utf8_lossy(&resp.bytes)
        );
    }
    Some(addr)
}

/// The app (author "ana") opening `url`, its projects under `root`.
pub fn app_opening_url(root: &std::path::Path, url: &str) -> Harness<'static, ErrataApp> {
    app_starting(StartOptions {
        urls: vec![url.to_owned()],
        project_root: Some(root.to_path_buf()),
        ..Default::default()
    })
}

/// Steps the app until `done` holds (answers from a server arrive on other threads).
pub fn step_until(h: &mut Harness<'_, ErrataApp>, what: &str, done: impl Fn(&ErrataApp) -> bool) {
    for _ in 0..1_000 {
        h.step();
        if done(h.state()) {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

/// Reads one HTTP request from `stream`: the whole of it (its head, then the body its
/// content-length promises), as text, and the body's bytes.
pub fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let n = std::io::Read::read(stream, &mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                let body = buf[head_end + 4..head_end + 4 + len].to_vec();
                return (text, body);
            }
        }
    }
    (String::from_utf8_lossy(&buf).to_string(), Vec::new())
}

/// An OpenAI-compatible embeddings endpoint answering `requests` requests with deterministic
/// vectors: one dimension per theme word a text contains (tool, date, fee), a fourth for none.
pub fn serve_embeddings(requests: usize) -> (u16, std::thread::JoinHandle<Vec<serde_json::Value>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let Ok((mut stream, _)) = listener.accept() else {
                break;
            };
            let (_, body) = read_request(&mut stream);
            let request: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let data: Vec<serde_json::Value> = request["input"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let t = t.as_str().unwrap();
                    let v: Vec<f32> = ["tool", "date", "fee"]
                        .iter()
                        .map(|w| if t.contains(w) { 1.0 } else { 0.0 })
                        .chain(std::iter::once(0.05))
                        .collect();
                    serde_json::json!({"index": i, "embedding": v})
                })
                .collect();
            let reply = serde_json::json!({"data": data}).to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                reply.len()
            );
            let _ = std::io::Write::write_all(&mut stream, (head + &reply).as_bytes());
            seen.push(request);
        }
        seen
    });
    (port, handle)
}
