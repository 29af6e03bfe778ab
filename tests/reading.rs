//! Reading a trace in seconds (issue 14): on the NurtureBoss dump, each trace opens at its last
//! user turn with the long system prompt folded, and the final answer is in view, with one key
//! press per trace.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use errata::app::{ErrataApp, StartOptions};
use errata::trace::content::{self, Content};

fn nurtureboss(size: egui::Vec2) -> Harness<'static, ErrataApp> {
    let shared = format!(
        "{}/../shared/data/nurtureboss_traces.json",
        env!("CARGO_MANIFEST_DIR")
    );
    open_copy(&shared, size)
}

/// The app on a copy of the dump at `source`, loaded, at `size`.
fn open_copy(source: &str, size: egui::Vec2) -> Harness<'static, ErrataApp> {
    let bytes = std::fs::read(source).unwrap_or_else(|e| panic!("this test reads {source} ({e})"));
    // a copy in a folder per test: the project lives beside the dump, and the tests run at
    // once (one project, one writer); ../shared is never written
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = std::env::temp_dir().join(format!("errata-reading-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let name = std::path::Path::new(source).file_name().unwrap();
    let path = root.join(name);
    std::fs::write(&path, bytes).unwrap();
    let start = StartOptions {
        paths: vec![path],
        project_root: Some(root),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| ErrataApp::new(cc, start));
    for _ in 0..400 {
        h.step();
        if h.state().job.is_none() && h.state().ws.data.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(4);
    h
}

/// The selected trace's last user turn and final answer (the texts the reader needs).
fn wanted(h: &Harness<'_, ErrataApp>) -> (String, String) {
    let d = h.state().ws.data.as_ref().unwrap();
    let (input, output) = d.contents(d.selected_row().unwrap());
    let Content::Chat(input) = input else {
        panic!("the input is a conversation")
    };
    let user = errata::ui::detail::last_user_turn(&input).unwrap();
    let Content::Chat(output) = output else {
        panic!("the output is the conversation's last assistant turn on")
    };
    let answer = output
        .iter()
        .rev()
        .find(|m| content::is_assistant(&m.role) && !m.text.is_empty())
        .map(|m| m.text.clone())
        .unwrap_or_default();
    (input[user].text.clone(), answer)
}

/// Whether the label that starts with `text` lies between the pane's heading and the
/// metadata below it (in view, not scrolled away).
fn in_view(h: &Harness<'_, ErrataApp>, pane: &str, text: &str) -> bool {
    let start: String = text.chars().take(40).collect();
    let top = h.get_by_label(pane).rect().bottom();
    let bottom = h.get_by_label("Metadata").rect().top();
    h.query_all_by_label_contains(&start).any(|n| {
        let r = n.rect();
        r.top() >= top - 1.0 && r.top() < bottom
    })
}

#[test]
fn five_traces_read_with_one_key_each_at_1280_by_800() {
    let mut h = nurtureboss(egui::vec2(1280.0, 800.0));
    for i in 0..5 {
        if i > 0 {
            h.key_press(Key::J); // the one key press for this trace
        }
        h.run_steps(4);
        let (user, answer) = wanted(&h);
        assert!(
            in_view(&h, "Input", &user),
            "trace {i}: the last user turn is in view"
        );
        assert!(
            in_view(&h, "Output", &answer),
            "trace {i}: the final answer is in view"
        );
        // the 8-9 k-character system prompt is folded
        assert!(
            h.query_all_by_label_contains("more characters: unfold system")
                .next()
                .is_some(),
            "trace {i}: the system prompt is folded"
        );
    }
}

#[test]
fn folds_are_per_role_and_turns_move_with_brackets() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    // `[` moves to the turn before the last user turn; enough of them reach the first turn
    let at = h.state().detail_ui.turn;
    assert!(at > 0);
    h.key_press(Key::OpenBracket);
    h.run_steps(3);
    assert_eq!(h.state().detail_ui.turn, at - 1);
    for _ in 0..60 {
        h.key_press(Key::OpenBracket);
    }
    h.run_steps(3);
    assert_eq!(h.state().detail_ui.turn, 0);
    let d = h.state().ws.data.as_ref().unwrap();
    let Content::Chat(input) = d.contents(d.selected_row().unwrap()).0 else {
        panic!()
    };
    let first_line = input[0].text.lines().next().unwrap().to_owned();
    assert!(
        in_view(&h, "Input", &first_line),
        "the first turn is in view"
    );
    // the system prompt is folded; unfolding it unfolds the role for the next trace too
    h.get_all_by_label_contains("more characters: unfold system")
        .next()
        .unwrap()
        .click();
    h.run_steps(3);
    assert!(h.state().detail_ui.unfolded_roles.contains("system"));
    h.key_press(Key::J);
    h.run_steps(4);
    assert!(
        h.query_all_by_label_contains("more characters: unfold system")
            .next()
            .is_none()
    );
}

#[test]
fn an_experts_notes_column_joins_the_loop() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    let expected = {
        let d = h.state().ws.data.as_ref().unwrap();
        let col = d
            .store
            .column_index("Notes")
            .expect("the dump has a Notes column");
        (0..d.store.len())
            .filter(|&r| d.store.cell(r, col).is_some_and(|n| !n.trim().is_empty()))
            .count()
    };
    assert!(expected > 0);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Import notes from a column…").click();
    h.run_steps(3);
    let req = h
        .state_mut()
        .dialogs
        .notes_import
        .as_mut()
        .expect("the window is open");
    req.column = "Notes".into();
    req.author = "course expert".into();
    h.run_steps(2);
    h.get_by_label("Import").click();
    h.run_steps(4);
    let p = h.state().ws.project.as_ref().unwrap();
    let noted: Vec<_> = p
        .labels
        .latest()
        .into_iter()
        .filter(|e| e.author == "course expert" && !e.note.is_empty())
        .collect();
    assert_eq!(noted.len(), expected);
    assert!(
        h.state()
            .notices
            .iter()
            .any(|n| n.text.starts_with(&format!("imported {expected} note")))
    );
    // they are notes like any other: axial coding can cluster them
    assert!(p.offline_proposal().is_some());
}

#[test]
fn json_tool_results_read_as_trees_and_urls_are_links() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    h.run_steps(2);
    // trace 5's tool result is a JSON object: a tree, not one long line (trace 0's is cut
    // short in the capture: not JSON, so shown as text, folded)
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, errata::app::Action::Select(5));
    h.run_steps(4);
    assert!(
        h.query_all_by_label_contains("apartments: […]")
            .next()
            .is_some()
    );
    // the LangSmith URL in the metadata is a link (it opens the browser)
    let url = {
        let d = h.state().ws.data.as_ref().unwrap();
        let col = d.store.column_index("lsmith_url").unwrap();
        d.store
            .cell(d.selected_row().unwrap() as usize, col)
            .unwrap()
    };
    // shown shortened (the whole URL on hover), inside the detail: a long value never widens
    // the metadata panel over the coding panel
    let link = h
        .query_all_by_role(egui::accesskit::Role::Link)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| url.starts_with(l.trim_end_matches('…')) && l.len() > 40)
        })
        .expect("the URL is a link");
    assert!(link.rect().right() <= h.get_by_label("Open coding").rect().left());
}

#[test]
fn the_chart_follows_the_window_width_until_the_reader_chooses() {
    let mut h = nurtureboss(egui::vec2(1280.0, 800.0));
    assert!(!h.state().pareto_ui.docked, "folded at 1280");
    h.set_size(egui::vec2(1600.0, 1000.0));
    h.run_steps(3);
    assert!(h.state().pareto_ui.docked, "docked when the window grows");
    h.set_size(egui::vec2(1280.0, 800.0));
    h.run_steps(3);
    assert!(!h.state().pareto_ui.docked, "folded again when it shrinks");
}

#[test]
fn at_1280_by_800_the_chart_folds_and_windows_use_the_screen() {
    let mut h = nurtureboss(egui::vec2(1280.0, 800.0));
    // the chart is a strip: the table's input and output columns are on screen
    assert!(!h.state().pareto_ui.docked);
    let output = h.get_by_label("output").rect();
    assert!(output.right() < 1280.0, "{output:?}");
    // the coding panel's verdict, note and tags are on screen without scrolling
    for label in ["Pass (p)", "Fail (f)"] {
        let r = h.get_by_label(label).rect();
        assert!(
            r.bottom() <= 800.0 && r.right() <= 1280.0,
            "{label} at {r:?}"
        );
    }
    for label in ["Note (e)", "Tags (1-9 toggle)"] {
        let r = h.get_by_label_contains(label).rect();
        assert!(r.bottom() <= 800.0, "{label} at {r:?}");
    }
    // (the tag box lies above the "Next unreviewed" button)
    let below = h.get_by_label("Next unreviewed (u)").rect();
    assert!(below.bottom() <= 800.0, "the tag box is above {below:?}");
    // one click brings the chart back, and "fold" folds it again
    h.get_by_label("◂ Pareto").click();
    h.run_steps(3);
    assert!(h.state().pareto_ui.docked);
    h.get_by_label("fold").click();
    h.run_steps(3);
    assert!(!h.state().pareto_ui.docked);
    // once the reader chose, a wider window keeps the choice
    h.set_size(egui::vec2(1600.0, 1000.0));
    h.run_steps(3);
    assert!(!h.state().pareto_ui.docked, "the reader folded it");
    h.set_size(egui::vec2(1280.0, 800.0));
    h.run_steps(3);
    // the codebook opens at most of the screen
    h.key_press(Key::B);
    h.run_steps(4);
    let window = h.get_by_label_contains("Codebook v").rect();
    assert!(window.width() > 900.0, "{window:?}");
}

#[test]
fn markdown_reads_rendered_with_a_raw_toggle() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    // trace 1 has an answer with **Security Deposit** in it
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, errata::app::Action::Select(1));
    h.run_steps(4);
    assert!(
        h.query_by_label("Security Deposit").is_some(),
        "the bold span"
    );
    assert!(
        h.query_all_by_label_contains("**Security Deposit**")
            .next()
            .is_none()
    );
    h.get_by_label("raw text").click();
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("**Security Deposit**")
            .next()
            .is_some()
    );
}

/// A JSON tree alone, with the search `search` on.
fn tree_harness(v: serde_json::Value, search: Option<&str>) -> Harness<'static, ()> {
    let re = search.map(|s| regex::bytes::Regex::new(s).unwrap());
    let mut parsed = std::collections::HashMap::new();
    Harness::new_ui(move |ui| {
        let mut tree = errata::ui::rich::Tree {
            re: re.as_ref(),
            parsed: &mut parsed,
        };
        errata::ui::rich::json_tree(ui, &mut tree, None, &v, egui::Id::unique("t"));
    })
}

#[test]
fn json_trees_open_two_levels_and_colour_values() {
    let v: serde_json::Value =
        serde_json::from_str(r#"{"a": {"b": {"c": 1}}, "ok": true, "name": "x"}"#).unwrap();
    let mut h = tree_harness(v, None);
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("a: {…} 1 keys")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("b: {…} 1 keys")
            .next()
            .is_some(),
        "the third level's header shows"
    );
    assert!(h.query_by_label("c:").is_none(), "but not its fields");
    assert!(h.query_by_label("true").is_some());
}

/// The app on `tests/fixtures/scripts.jsonl` (Arabic, Devanagari, Chinese, Japanese, Korean,
/// Hebrew, Cyrillic, Thai, Greek, emoji, arrows and symbols); kittest panics on any character
/// that no font can draw. Each trace is shown in turn.
fn read_every_script(h: &mut Harness<'_, ErrataApp>) {
    for (i, shown) in ["مرحبا", "我的行李在哪里", "שלום! Здравствуйте! สวัสดีครับ"]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            h.key_press(Key::J);
        }
        h.run_steps(4);
        assert!(
            h.query_all_by_label_contains(shown).next().is_some(),
            "trace {i} shows {shown}"
        );
    }
    let fonts = h.state().fonts.report();
    assert_eq!(fonts.missing, "", "no character lacks a font: {fonts:?}");
}

#[test]
fn every_script_is_drawn() {
    let source = format!(
        "{}/tests/fixtures/scripts.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut h = open_copy(&source, egui::vec2(1400.0, 900.0));
    read_every_script(&mut h);
}

/// On a machine without fonts for these scripts the bundled fallbacks draw them: the system
/// font provider is taken away.
#[test]
fn every_script_is_drawn_by_the_bundled_fallbacks_alone() {
    let source = format!(
        "{}/tests/fixtures/scripts.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut h = open_copy(&source, egui::vec2(1400.0, 900.0));
    let provider = h.state().fonts.provider(&h.ctx);
    h.ctx.set_font_providers(vec![provider]);
    h.run_steps(2);
    read_every_script(&mut h);
    let loaded = h.state().fonts.report().loaded;
    for file in [
        "NotoSansArabic-Regular.ttf",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansThai-Regular.ttf",
        "NanumGothic.ttf",
        "DroidSansFallbackFull.ttf",
    ] {
        assert!(loaded.iter().any(|f| f == file), "{file} in {loaded:?}");
    }
}

/// The input's share of the detail's width: from the Input heading to the Output heading,
/// over the Input heading to the coding panel.
fn input_share(h: &Harness<'_, ErrataApp>) -> f32 {
    let input = h.get_by_label("Input").rect().left();
    let output = h.get_by_label("Output").rect().left();
    let coding = h.get_by_label("Open coding").rect().left();
    (output - input) / (coding - input)
}

#[test]
fn splits_keep_their_share_when_the_window_is_resized() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    // the table's share: from the filter bar to the detail's heading, over the filter bar to
    // the window's bottom
    let table = |h: &Harness<'_, ErrataApp>| {
        let top = h.get_by_label("Facets").rect().bottom();
        let detail = h.get_by_label_contains("Trace ").rect().top();
        (detail - top) / (h.ctx.content_rect().height() - top)
    };
    let before = input_share(&h);
    assert!(
        (before - 0.5).abs() < 0.05,
        "input and output start even: {before}"
    );
    // the reader drags the split 200 px to the left
    let edge = egui::pos2(
        h.get_by_label("Output").rect().left() - 7.0,
        h.get_by_label("Input").rect().bottom() + 60.0,
    );
    h.hover_at(edge);
    h.run_steps(2);
    h.drag_at(edge);
    h.run_steps(2);
    for step in 1..=10 {
        h.hover_at(edge - egui::vec2(20.0 * step as f32, 0.0));
        h.run();
    }
    h.drop_at(edge - egui::vec2(200.0, 0.0));
    h.run_steps(3);
    let dragged = input_share(&h);
    assert!(
        dragged < before - 0.1,
        "the drag moved the split: {before} → {dragged}"
    );
    let table_before = table(&h);
    // a smaller window keeps the shares: the output is not squeezed
    h.set_size(egui::vec2(1280.0, 800.0));
    h.run_steps(4);
    let after = input_share(&h);
    assert!(
        (after - dragged).abs() < 0.03,
        "share {dragged} → {after} at 1280×800"
    );
    let table_after = table(&h);
    assert!(
        (table_after - table_before).abs() < 0.03,
        "the table keeps its share of the height: {table_before} → {table_after}"
    );
    // and a larger one too
    h.set_size(egui::vec2(1920.0, 1080.0));
    h.run_steps(4);
    let after = input_share(&h);
    assert!(
        (after - dragged).abs() < 0.03,
        "share {dragged} → {after} at 1920×1080"
    );
    // the share is a setting: the next run starts with it
    let saved = h.state().settings.layout.input.fraction;
    assert!((saved - dragged).abs() < 0.1, "saved {saved}");
}

#[test]
fn a_search_opens_the_tree_parts_holding_a_match_and_strings_of_json_read_as_trees() {
    let v: serde_json::Value = serde_json::from_str(
        r#"{"a": {"b": {"rent": 1200}}, "result": "{\"status\": \"ok\", \"unit\": 4}"}"#,
    )
    .unwrap();
    let mut h = tree_harness(v.clone(), None);
    h.run_steps(2);
    assert!(
        h.query_by_label("rent:").is_none(),
        "the third level starts closed"
    );
    assert!(
        h.query_all_by_label_contains("result: {…} 2 keys (JSON in a string)")
            .next()
            .is_some(),
        "a string holding JSON reads as a tree"
    );
    assert!(h.query_by_label("status:").is_some());
    let mut h = tree_harness(v, Some("rent"));
    h.run_steps(2);
    assert!(
        h.query_by_label("rent:").is_some(),
        "the match's part opened"
    );
}

#[test]
fn tool_call_arguments_read_as_trees_and_search_keeps_markdown_rendered() {
    let dir = std::env::temp_dir().join(format!("errata-args-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calls.jsonl");
    let record = serde_json::json!({
        "trace_id": "t1",
        "input": [
            {"role": "user", "content": "Book me a tour of unit 4"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "book_tour", "arguments": "{\"unit\": 4, \"when\": {\"day\": \"Friday\"}}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"booked\": true}"}
        ],
        "output": "Your **Security Deposit** is due on Friday."
    });
    std::fs::write(&path, format!("{record}\n")).unwrap();
    let mut h = open_copy(path.to_str().unwrap(), egui::vec2(1400.0, 900.0));
    h.run_steps(3);
    assert!(h.query_by_label("tool call: book_tour").is_some());
    assert!(
        h.query_all_by_label_contains("arguments: {…} 2 keys (JSON in a string)")
            .next()
            .is_some(),
        "the arguments are a tree"
    );
    assert!(h.query_by_label("unit:").is_some());
    assert!(h.query_by_label("day:").is_some(), "two levels open");
    // a search keeps the Markdown rendered (the bold span is its own label, no asterisks)
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, errata::app::Action::SetSearchText("Deposit".into()));
    for _ in 0..100 {
        h.step();
        if !h.state().ws.data.as_ref().unwrap().querying {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    assert!(
        h.state().ws.data.as_ref().unwrap().search_re.is_some(),
        "the search is on"
    );
    assert!(
        h.query_by_label("Security Deposit").is_some(),
        "rendered while searching"
    );
    let output_top = h.get_by_label("Output").rect().top();
    assert!(
        h.query_all_by_label_contains("**")
            .all(|n| n.rect().top() < output_top),
        "no asterisks in the detail (the table's preview is raw)"
    );
}

#[test]
fn a_search_opens_each_trace_at_its_first_match() {
    let mut h = nurtureboss(egui::vec2(1600.0, 1000.0));
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, errata::app::Action::SetSearchText("deposit".into()));
    for _ in 0..200 {
        h.step();
        if !h.state().ws.data.as_ref().unwrap().querying {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.key_press(Key::J);
    h.run_steps(4);
    let d = h.state().ws.data.as_ref().unwrap();
    let (input, _) = d.contents(d.selected_row().unwrap());
    let Content::Chat(input) = input else {
        panic!("a conversation")
    };
    let first = input
        .iter()
        .position(|m| m.text.to_lowercase().contains("deposit"))
        .expect("the selected trace matches in its input");
    assert_ne!(Some(first), errata::ui::detail::last_user_turn(&input));
    assert_eq!(h.state().detail_ui.turn, first, "opened at the first match");
}

#[test]
fn outputs_compare_with_the_same_trace_in_another_run() {
    let dir = std::env::temp_dir().join(format!("errata-runs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let line = |id: &str, input: &str, output: &str| {
        format!(
            "{}\n",
            serde_json::json!({"trace_id": id, "input": input, "output": output})
        )
    };
    let after = dir.join("after.jsonl");
    std::fs::write(
        &after,
        line(
            "a",
            "When is rent due?",
            "Rent is due on the 1st; late after the 5th.",
        ) + &line("new-b", "Do you allow cats?", "Yes, cats are welcome."),
    )
    .unwrap();
    let before = dir.join("before.jsonl");
    std::fs::write(
        &before,
        line("a", "When is rent due?", "Rent is due on the 5th.")
            + &line("old-b", "Do you allow cats?", "No pets are allowed."),
    )
    .unwrap();
    let mut h = open_copy(after.to_str().unwrap(), egui::vec2(1400.0, 900.0));
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        errata::app::Action::CompareWithRunPaths(vec![before.clone()]),
    );
    for _ in 0..300 {
        h.step();
        if h.state().job.is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    assert_eq!(
        h.state().ws.data.as_ref().unwrap().store.len(),
        2,
        "still the dump that was open"
    );
    let shown =
        |h: &Harness<'_, ErrataApp>, t: &str| h.query_all_by_label_contains(t).next().is_some();
    assert!(
        shown(&h, "compared with the trace with the same id in"),
        "by id"
    );
    assert!(shown(&h, "a (this dump)"));
    // the words that differ are their own pieces: both outputs are on screen
    assert!(shown(&h, "Rent is due on the 5th."));
    assert!(shown(&h, "Rent is due on the 1st; late after the 5th."));
    // the next trace has a new id but the same input
    h.key_press(Key::J);
    h.run_steps(3);
    assert!(
        shown(&h, "compared with the trace with the same input in"),
        "by input"
    );
    assert!(shown(&h, "old-b in"));
    // File > Stop comparing
    h.state_mut()
        .apply(&ctx, errata::app::Action::StopComparingRuns);
    h.run_steps(3);
    assert!(!shown(&h, "compared with"));
    assert!(h.state().ws.data.as_ref().unwrap().other.is_none());
    // the original dump, its labels and its project are untouched
    assert_eq!(h.state().ws.data.as_ref().unwrap().store.id(0), "a");
}
