//! UI tests: egui_kittest drives the real app (click, keys) and checks state and what is shown.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

mod common;

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use errata::app::{ErrataApp, StartOptions};

fn app(mut start: StartOptions) -> Harness<'static, ErrataApp> {
    // projects of the demo go to a temporary folder, not the user's data folder
    // (each test its own folder: filters and labels persist per project)
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("errata-ui-tests-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    start.project_root = Some(dir);
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
    h.state().ws.data.as_ref().and_then(|d| d.selected)
}

#[test]
fn opens_on_the_demo_and_shows_rows() {
    let h = app(StartOptions::default());
    let d = h.state().ws.data.as_ref().expect("demo loaded");
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
    let d = h.state().ws.data.as_ref().unwrap();
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
        .ws
        .data
        .as_ref()
        .unwrap()
        .store
        .raw_record(1)
        .to_owned();
    assert!(expected.starts_with("{\"trace_id\":\"tr-0000001\""));
    let copied = common::copied;
    h.key_press(Key::C);
    assert_eq!(copied(&mut h).as_deref(), Some(expected.as_str()));
    // and says so, with the size
    let said = format!(
        "copied tr-0000001 as JSON ({} bytes)",
        errata::workspace::fmt_count(expected.len())
    );
    assert!(
        h.state().notices.iter().any(|n| n.text == said),
        "{:?}",
        h.state().notices
    );
    h.get_by_label("Copy as JSON").click();
    assert_eq!(copied(&mut h).as_deref(), Some(expected.as_str()));
    // and from the menu (a menu item's click survives the pass that closes the menu)
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Copy trace as JSON").click();
    assert_eq!(copied(&mut h).as_deref(), Some(expected.as_str()));
}

#[test]
fn clicking_a_header_sorts() {
    let mut h = app(StartOptions::default());
    // make room: hide the chart docked beside the table
    h.state_mut().pareto_ui.docked = false;
    h.run_steps(2);
    // the column header (the metadata grid below shows the same name)
    h.get_all_by_label("model")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap()
        .click();
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    let col = d.store.column_index("model").unwrap();
    let values: Vec<String> = d
        .view
        .iter()
        .map(|&r| d.store.cell(r as usize, col).unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    assert!(shown(&h, "model ^"));
    // again: descending, stable (file order within equal values)
    h.get_by_label("model ^").click();
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    let values: Vec<String> = d
        .view
        .iter()
        .map(|&r| d.store.cell(r as usize, col).unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]));
    let same: Vec<u32> = d
        .view
        .iter()
        .copied()
        .filter(|&r| values[0] == d.store.cell(r as usize, col).unwrap())
        .collect();
    assert!(same.windows(2).all(|w| w[0] < w[1]), "stable");
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
    let d = h.state().ws.data.as_ref().expect("loaded");
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

#[test]
fn typing_a_filter_changes_the_count_and_the_table() {
    let mut h = app(StartOptions::default());
    let d = h.state().ws.data.as_ref().unwrap();
    let expected = (0..d.store.len())
        .filter(|&r| {
            d.store
                .cell(r, d.store.column_index("feature").unwrap())
                .as_deref()
                == Some("baggage")
        })
        .count();
    h.key_press(Key::W);
    h.run_steps(2);
    h.event(egui::Event::Text("feature = 'baggage'".into()));
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.view.len(), expected);
    assert!(d.query_error.is_none());
    assert!(shown(&h, &format!("{expected} of 300 traces")));
    let col = d.store.column_index("feature").unwrap();
    assert!(
        d.view
            .iter()
            .all(|&r| d.store.cell(r as usize, col).as_deref() == Some("baggage"))
    );
    // a bad filter keeps the view and says why
    h.key_press(Key::W);
    h.run_steps(2);
    h.event(egui::Event::Text(" AND nope > 1".into()));
    h.key_press(Key::Enter);
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.view.len(), expected);
    assert!(d.query_error.as_deref().unwrap_or("").contains("nope"));
    // Del clears every filter
    h.key_press(Key::Delete);
    h.run_steps(3);
    assert_eq!(h.state().ws.data.as_ref().unwrap().view.len(), 300);
}

#[test]
fn search_filters_highlights_and_counts() {
    let mut h = app(StartOptions::default());
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(egui::Event::Text("processing fee".into()));
    h.key_press(Key::Enter);
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    let n = d.view.len();
    assert!(n > 5 && n < 100, "{n}");
    assert_eq!(d.search_matches, Some(n));
    assert!(
        h.query_all_by_label_contains(&format!("{n} matches"))
            .next()
            .is_some()
    );
    let first = d.view[0];
    let (_, output) = d.contents(first);
    assert!(
        errata::trace::content::plain_text(&output)
            .to_lowercase()
            .contains("processing fee")
    );
    // n moves to the next match
    h.key_press(Key::N);
    h.run_steps(2);
    assert_eq!(h.state().ws.data.as_ref().unwrap().selected.unwrap().0, 1);
}

#[test]
fn facet_click_includes_a_value() {
    let mut h = app(StartOptions::default());
    h.get_by_label("Facets").click();
    h.run_steps(2);
    let d = h.state().ws.data.as_ref().unwrap();
    let (value, count) = d.facets.iter().find(|(c, _)| c == "model").unwrap().1[0].clone();
    h.get_by_label(&format!("{value} ({count})")).click();
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.view.len(), count);
    assert_eq!(d.filters.facets["model"].include, [value]);
}

#[test]
fn tab_completes_a_column_name_in_the_where_box() {
    let mut h = app(StartOptions::default());
    h.key_press(Key::W);
    h.run_steps(2);
    h.event(egui::Event::Text("featu".into()));
    h.run_steps(2);
    h.key_press(Key::Tab);
    h.run_steps(2);
    assert_eq!(h.state().filter_bar.sql, "feature");
    assert!(h.ctx.egui_wants_keyboard_input(), "the box keeps the focus");
}

#[test]
fn mark_a_trace_and_compare_outputs_word_by_word() {
    let mut h = app(StartOptions::default());
    h.key_press(Key::Home);
    h.run_steps(2);
    h.key_press(Key::M);
    h.run_steps(2);
    assert_eq!(h.state().detail_ui.compare_with, Some(0));
    h.key_press(Key::J);
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("compared with tr-0000000")
            .next()
            .is_some()
    );
    assert!(shown(&h, "tr-0000000 (marked)"));
    assert!(shown(&h, "tr-0000001 (selected)"));
    // back on the marked trace its own output shows; m there stops comparing
    h.key_press(Key::K);
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("compared with")
            .next()
            .is_none()
    );
    h.key_press(Key::M);
    h.run_steps(2);
    assert_eq!(h.state().detail_ui.compare_with, None);
}
