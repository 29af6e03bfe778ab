//! UI tests: egui_kittest drives the real app (click, keys) and checks state and what is shown.

#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use errata::app::{ErrataApp, StartOptions};

fn app(mut start: StartOptions) -> Harness<'static, ErrataApp> {
    // projects of the demo go to a temporary folder, not the user's data folder
    start.project_root =
        Some(std::env::temp_dir().join(format!("errata-ui-tests-{}", std::process::id())));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| ErrataApp::new(cc, start));
    h.run_steps(3);
    h
}

fn wait_loaded(h: &mut Harness<'_, ErrataApp>) {
    for _ in 0..400 {
        if h.state().job.is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    h.run_steps(3);
}

/// Whether some node shows exactly this label (a value may show in the table and the detail).
fn shown(h: &Harness<'_, ErrataApp>, label: &str) -> bool {
    h.query_all_by_label(label).next().is_some()
}

fn selected(h: &Harness<'_, ErrataApp>) -> Option<(usize, u32)> {
    h.state().data.as_ref().and_then(|d| d.selected)
}

#[test]
fn opens_on_the_demo_and_shows_rows() {
    let h = app(StartOptions::default());
    let d = h.state().data.as_ref().expect("demo loaded");
    assert_eq!(d.store.len(), 300);
    assert!(shown(&h, "tr-0000000"));
    assert!(shown(&h, "tr-0000005"));
    // virtualised: rows far below the fold are not laid out
    assert!(!shown(&h, "tr-0000250"));
    assert!(h.query_all_by_label_contains("300 traces").next().is_some());
    assert!(
        h.query_all_by_label_contains("id from `trace_id`")
            .next()
            .is_some()
    );
}

#[test]
fn clicking_a_row_shows_its_input_and_output() {
    let mut h = app(StartOptions::default());
    h.get_all_by_label("tr-0000003").next().unwrap().click();
    h.run_steps(3);
    assert_eq!(selected(&h).map(|s| s.1), Some(3));
    let d = h.state().data.as_ref().unwrap();
    let (input, output) = d.contents(3);
    let user = match input {
        errata::trace::content::Content::Chat(m) => {
            m.iter().find(|m| m.role == "user").unwrap().text.clone()
        }
        other => panic!("{other:?}"),
    };
    let answer = match output {
        errata::trace::content::Content::Chat(m) => m[0].text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(h.query_by_label("Trace tr-0000003").is_some());
    assert!(
        h.query_all_by_label(&user).count() >= 2,
        "user turn shown in table and detail: {user}"
    );
    assert!(shown(&h, &answer), "answer shown: {answer}");
    assert!(shown(&h, "system"));
}

#[test]
fn keys_move_the_selection() {
    let mut h = app(StartOptions::default());
    assert_eq!(selected(&h), Some((0, 0)));
    h.key_press(Key::J);
    h.run_steps(2);
    assert_eq!(selected(&h), Some((1, 1)));
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(selected(&h), Some((2, 2)));
    h.key_press(Key::K);
    h.run_steps(2);
    assert_eq!(selected(&h), Some((1, 1)));
    h.key_press(Key::End);
    h.run_steps(3);
    assert_eq!(selected(&h), Some((299, 299)));
    // the selected row is scrolled into view
    assert!(shown(&h, "tr-0000299"));
    h.key_press(Key::PageUp);
    h.run_steps(2);
    let (pos, _) = selected(&h).unwrap();
    assert!(pos < 299 && pos > 250, "{pos}");
    h.key_press(Key::Home);
    h.run_steps(3);
    assert_eq!(selected(&h), Some((0, 0)));
}

#[test]
fn copy_as_json_copies_the_original_record() {
    let mut h = app(StartOptions::default());
    h.key_press(Key::J);
    h.run_steps(2);
    let expected = h
        .state()
        .data
        .as_ref()
        .unwrap()
        .store
        .raw_record(1)
        .to_owned();
    assert!(expected.starts_with("{\"trace_id\":\"tr-0000001\""));
    let copied = |h: &mut Harness<'_, ErrataApp>| {
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
    };
    h.key_press(Key::C);
    assert_eq!(copied(&mut h).as_deref(), Some(expected.as_str()));
    h.get_by_label("Copy as JSON").click();
    assert_eq!(copied(&mut h).as_deref(), Some(expected.as_str()));
}

#[test]
fn clicking_a_header_sorts() {
    let mut h = app(StartOptions::default());
    h.get_all_by_label("latency_ms").next().unwrap().click();
    h.run_steps(3);
    let d = h.state().data.as_ref().unwrap();
    let col = d.store.column_index("latency_ms").unwrap();
    let values: Vec<i64> = d
        .view
        .iter()
        .take(50)
        .map(|&r| d.store.cell(r as usize, col).unwrap().parse().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    assert!(shown(&h, "latency_ms ^"));
}

#[test]
fn opens_files_from_the_command_line_in_the_background() {
    let path = format!(
        "{}/tests/fixtures/malformed.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut h = app(StartOptions {
        paths: vec![path.into()],
        ..Default::default()
    });
    wait_loaded(&mut h);
    let d = h.state().data.as_ref().expect("loaded");
    assert_eq!(d.store.len(), 2);
    assert_eq!(d.skipped_count, 3);
    assert!(
        h.query_all_by_label_contains("3 lines skipped")
            .next()
            .is_some()
    );
}

#[test]
fn an_unreadable_file_is_reported_by_name() {
    let mut h = app(StartOptions {
        paths: vec!["/nonexistent/dump.jsonl".into()],
        ..Default::default()
    });
    wait_loaded(&mut h);
    assert!(
        h.state()
            .notices
            .iter()
            .any(|n| n.error && n.text.ends_with("/nonexistent/dump.jsonl"))
    );
    assert!(
        h.query_all_by_label_contains("/nonexistent/dump.jsonl")
            .next()
            .is_some()
    );
}

#[test]
fn help_overlay_lists_the_keys() {
    let mut h = app(StartOptions::default());
    h.key_press(Key::Questionmark);
    h.run_steps(2);
    assert!(h.state().dialogs.help);
    assert!(h.query_by_label("next trace").is_some());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().dialogs.help);
}
