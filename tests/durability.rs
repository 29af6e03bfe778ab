//! Labels survive a kill -9: every event the writer reported as saved is in the log after it
//! is killed mid-stream; a torn last line is tolerated.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn kill_mid_stream_loses_nothing_shown_as_saved() {
    let dir = std::env::temp_dir().join(format!("errata-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(["__append-labels", dir.to_str().unwrap(), "1000000"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut saved = Vec::new();
    let mut line = String::new();
    while saved.len() < 3000 {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        saved.push(line.trim().trim_start_matches("saved ").to_owned());
    }
    child.kill().unwrap(); // SIGKILL
    // whatever it printed before dying was also saved
    for l in reader.lines() {
        let Ok(l) = l else { break };
        saved.push(l.trim().trim_start_matches("saved ").to_owned());
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(dir.join("labels.jsonl")).unwrap();
    let (labels, problems) = errata::coding::Labels::replay(&text);
    assert!(
        problems.iter().all(|p| p.torn),
        "only a torn last line may fail: {problems:?}"
    );
    assert!(saved.len() >= 3000);
    for id in &saved {
        assert!(
            labels.get(id).is_some(),
            "{id} was shown as saved but is missing"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
