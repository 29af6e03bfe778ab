//! Trust (issue 12) through the real app: a text box owns every key typed while it has focus,
//! the label log is never rewritten on open, two instances never overwrite each other, a filter
//! that fails is never saved, and an export without a file dialog asks for a path.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

mod common;

use common::{app, press, root};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use errata::app::ErrataApp;
use errata::coding::Verdict;

/// The events a keyboard sends for `text`: for each character its key down, the character,
/// its key up (a capital with Shift), as winit and the browser do.
fn keystrokes(text: &str) -> Vec<egui::Event> {
    let mut out = Vec::new();
    for c in text.chars() {
        let (key, shift) = match c {
            '\n' => (Some(Key::Enter), false),
            c if c.is_ascii_uppercase() => (Key::from_name(&c.to_string()), true),
            c => (Key::from_name(&c.to_string()), c == '?'),
        };
        let modifiers = if shift {
            egui::Modifiers::SHIFT
        } else {
            egui::Modifiers::NONE
        };
        let key_event = |pressed| {
            key.map(|key| egui::Event::Key {
                key,
                physical_key: Some(key),
                pressed,
                repeat: false,
                modifiers,
            })
        };
        out.extend(key_event(true));
        if c != '\n' {
            out.push(egui::Event::Text(c.to_string()));
        }
        out.extend(key_event(false));
    }
    out
}

/// Types `text` as a fast typist does: every event in one frame, or a frame an event (kittest
/// runs a frame for each queued event).
fn type_fast(h: &mut Harness<'_, ErrataApp>, text: &str, one_frame: bool) {
    if one_frame {
        h.input_mut().events.extend(keystrokes(text));
        h.step();
    } else {
        for e in keystrokes(text) {
            h.event(e);
        }
        h.step();
    }
    h.run_steps(2);
}

/// Every letter, digit and sign that is a shortcut somewhere.
const SHORTCUTS: &str = "jkcpfxuosyrnNetwgba?/123456789 zzbp walker";

/// What shortcuts could change: (selected row, verdict and categories of the first trace,
/// windows open, author).
fn fingerprint(h: &Harness<'_, ErrataApp>) -> String {
    let s = h.state();
    let first =
        s.ws.project
            .as_ref()
            .and_then(|p| p.state("tr-0000000"))
            .map(|e| (e.verdict, e.categories.clone(), e.author.clone()));
    format!(
        "{:?} {:?} codebook={} axial={} help={} author={}",
        s.ws.data.as_ref().and_then(|d| d.selected),
        first,
        s.codebook_ui.open,
        s.axial.open,
        s.dialogs.help,
        s.settings.author
    )
}

#[test]
fn keys_typed_into_a_text_box_are_its_own_in_one_frame_and_across_frames() {
    for one_frame in [true, false] {
        let dir = root(&format!("typing-{one_frame}"));
        let mut h = app(&dir);
        // a failed, tagged trace that shortcuts would change
        press(&mut h, Key::F);
        press(&mut h, Key::T);
        type_fast(&mut h, "wrong date\n", one_frame);
        let tagged = state_of(&h);
        assert_eq!(tagged.0, Some(Verdict::Fail), "one frame: {one_frame}");
        assert_eq!(tagged.1, ["wrong date"], "one frame: {one_frame}");
        let before = fingerprint(&h);
        // each box: focus it, type every shortcut, end as a person does (Enter or Esc)
        for name in ["note", "tag", "WHERE", "search", "jump", "You"] {
            match name {
                "note" => press(&mut h, Key::E),
                "tag" => press(&mut h, Key::T),
                "WHERE" => press(&mut h, Key::W),
                "search" => press(&mut h, Key::Slash),
                "jump" => press(&mut h, Key::G),
                _ => {
                    h.get_by_label("You:").click();
                    h.run_steps(2);
                }
            }
            assert!(
                h.ctx.egui_wants_keyboard_input(),
                "{name} has focus (one frame: {one_frame})"
            );
            type_fast(&mut h, SHORTCUTS, one_frame);
            // Esc leaves the box: in the same frame as the last keys
            h.event(egui::Event::Key {
                key: Key::Escape,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: egui::Modifiers::NONE,
            });
            h.run_steps(3);
            let text = match name {
                "note" => h.state().draft.note.clone(),
                "tag" => h.state().draft.new_tag.clone(),
                "WHERE" => h.state().filter_bar.sql.clone(),
                "search" => h.state().filter_bar.search.clone(),
                "You" => h.state().settings.author.clone(),
                _ => SHORTCUTS.to_owned(), // the jump box closes on Esc
            };
            assert!(
                text.contains(SHORTCUTS),
                "{name} got {text:?} (one frame: {one_frame})"
            );
            // clean up what the box holds, so the next one starts from the same state
            match name {
                "note" => {
                    h.state_mut().draft.note.clear();
                    h.state_mut().draft.dirty_since = None;
                }
                "tag" => h.state_mut().draft.new_tag.clear(),
                "WHERE" => h.state_mut().filter_bar.sql.clear(),
                "search" => h.state_mut().filter_bar.search.clear(),
                "You" => h.state_mut().settings.author = "ana".into(),
                _ => {}
            }
            // (the search applies as it is typed: clear it as a person would)
            let ctx = h.ctx.clone();
            h.state_mut()
                .apply(&ctx, errata::app::Action::SetSearchText(String::new()));
            h.run_steps(3);
            // nothing but the box's text changed: no verdict, tag, move, window or author
            assert_eq!(
                fingerprint(&h),
                before,
                "typing into {name} (one frame: {one_frame})"
            );
        }
        // a coined tag typed fast with Enter: the tag is coined, nothing else changes
        press(&mut h, Key::T);
        type_fast(&mut h, "zzbp\n", one_frame);
        let (verdict, cats) = state_of(&h);
        assert_eq!(verdict, Some(Verdict::Fail), "one frame: {one_frame}");
        assert_eq!(cats, ["wrong date", "zzbp"], "one frame: {one_frame}");
        // and the shortcuts work again once no box has focus
        press(&mut h, Key::P);
        assert_eq!(state_of(&h).0, Some(Verdict::Pass));
        drop(h);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_shortcut_that_focuses_a_box_hands_it_the_rest_of_the_frame() {
    let dir = root("hand-over");
    let mut h = app(&dir);
    press(&mut h, Key::F);
    // `t` and the tag typed in one frame, as a fast typist does; Enter in the next
    type_fast(&mut h, "tzzbp", true);
    assert_eq!(h.state().draft.new_tag, "zzbp");
    type_fast(&mut h, "\n", true);
    let (verdict, cats) = state_of(&h);
    assert_eq!(verdict, Some(Verdict::Fail));
    assert_eq!(cats, ["zzbp"]);
    // `e` then a note in the same frame
    type_fast(&mut h, "epricing was off", true);
    assert_eq!(h.state().draft.note, "pricing was off");
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The browser (eframe's web runner) sends a key's character before its key down.
fn browser_keystrokes(text: &str) -> Vec<egui::Event> {
    let mut events = keystrokes(text);
    for i in 1..events.len() {
        if matches!(events[i], egui::Event::Text(_))
            && matches!(events[i - 1], egui::Event::Key { pressed: true, .. })
        {
            events.swap(i - 1, i);
        }
    }
    events
}

#[test]
fn a_shortcut_keeps_its_character_when_the_browser_sends_it_first() {
    let dir = root("browser-order");
    let mut h = app(&dir);
    // a frame a keystroke, its character first, as the browser delivers them
    let browser_type = |h: &mut Harness<'_, ErrataApp>, text: &str| {
        for c in text.chars() {
            h.input_mut()
                .events
                .extend(browser_keystrokes(&c.to_string()));
            h.step();
        }
        h.run_steps(2);
    };
    browser_type(&mut h, "wlatency_ms > 1");
    assert_eq!(h.state().filter_bar.sql, "latency_ms > 1");
    press(&mut h, Key::Escape);
    browser_type(&mut h, "tzzbp");
    assert_eq!(h.state().draft.new_tag, "zzbp");
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

fn state_of(h: &Harness<'_, ErrataApp>) -> (Option<Verdict>, Vec<String>) {
    h.state()
        .ws
        .project
        .as_ref()
        .and_then(|p| p.state("tr-0000000"))
        .map(|e| (e.verdict, e.categories.clone()))
        .unwrap_or_default()
}

/// The demo's project folder under a test root.
fn project_dir(root: &std::path::Path) -> std::path::PathBuf {
    root.join("demo_traces_jsonl.errata")
}

#[test]
fn opening_never_rewrites_the_label_log() {
    let dir = root("no-compaction");
    let project = project_dir(&dir);
    std::fs::create_dir_all(&project).unwrap();
    // 1,200 events by two authors over 20 traces: what compaction on open used to erase
    let mut log = String::new();
    for i in 0..1200 {
        log.push_str(&format!(
            "{{\"trace_id\":\"tr-{:07}\",\"verdict\":\"fail\",\"note\":\"n{i}\",\"categories\":[],\"author\":\"{}\",\"at\":\"2026-11-27T10:00:00Z\",\"codebook_version\":0,\"batch\":null}}\n",
            i % 20,
            if i % 2 == 0 { "ana" } else { "bo" }
        ));
    }
    std::fs::write(project.join("labels.jsonl"), &log).unwrap();
    let mut h = app(&dir);
    h.run_steps(3);
    assert_eq!(
        h.state().ws.project.as_ref().unwrap().labels.events().len(),
        1200
    );
    press(&mut h, Key::P); // one more label is appended, nothing else changes
    drop(h);
    let after = std::fs::read_to_string(project.join("labels.jsonl")).unwrap();
    assert!(after.starts_with(&log), "the log was rewritten");
    assert_eq!(after.lines().count(), 1201);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_instance_is_read_only_until_it_takes_over() {
    let dir = root("two-instances");
    let mut first = app(&dir);
    press(&mut first, Key::F); // the first instance holds the project
    let mut second = app(&dir);
    let notices: Vec<String> = second
        .state()
        .notices
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("read-only") && n.contains("pid")),
        "{notices:?}"
    );
    // the second one's label is kept in memory, not written over the first one's
    press(&mut second, Key::P);
    let log = std::fs::read_to_string(project_dir(&dir).join("labels.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 1);
    assert_eq!(
        second.state().ws.project.as_ref().unwrap().store.pending(),
        1
    );
    // the first closes; the second takes over through the menu and writes what it kept
    drop(first);
    second.get_by_label("File").click();
    second.run_steps(2);
    second.get_by_label("Take over the project").click();
    second.run_steps(3);
    let p = second.state().ws.project.as_ref().unwrap();
    assert!(p.store.read_only_by().is_none());
    assert_eq!(p.state("tr-0000000").unwrap().verdict, Some(Verdict::Pass));
    let log = std::fs::read_to_string(project_dir(&dir).join("labels.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_filter_is_not_saved_and_a_deep_one_does_not_abort() {
    let dir = root("filters");
    let mut h = app(&dir);
    press(&mut h, Key::F); // the project exists
    let deep = (0..2000)
        .map(|i| format!("latency_ms = {i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for sql in ["nope = 1", deep.as_str()] {
        press(&mut h, Key::W);
        h.event(egui::Event::Text(sql.to_owned()));
        h.run_steps(2);
        press(&mut h, Key::Enter);
        h.run_steps(3);
        let d = h.state().ws.data.as_ref().unwrap();
        assert!(d.query_error.is_some(), "{sql:.40}: no error shown");
        let saved = std::fs::read_to_string(project_dir(&dir).join("project.json")).unwrap();
        assert!(
            !saved.contains("nope") && !saved.contains("OR latency_ms"),
            "saved: {sql:.40}"
        );
        h.state_mut().filter_bar.sql.clear();
        press(&mut h, Key::Escape);
    }
    // a filter that works is remembered
    press(&mut h, Key::W);
    h.event(egui::Event::Text("latency_ms > 0".to_owned()));
    h.run_steps(2);
    press(&mut h, Key::Enter);
    h.run_steps(3);
    let saved = std::fs::read_to_string(project_dir(&dir).join("project.json")).unwrap();
    assert!(saved.contains("latency_ms > 0"), "{saved}");
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_export_without_a_file_dialog_asks_for_a_path() {
    let dir = root("export");
    let mut h = app(&dir);
    h.state_mut().file_dialogs = false; // as on a machine with no portal and no zenity
    press(&mut h, Key::F);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Export labels…").click();
    h.run_steps(3);
    let save = h
        .state()
        .dialogs
        .save_to
        .as_ref()
        .expect("the path window is open");
    assert!(save.why.contains("no file dialog"), "{}", save.why);
    let target = dir.join("exported.jsonl");
    h.state_mut().dialogs.save_to.as_mut().unwrap().path = target.display().to_string();
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(3);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("tr-0000000"), "{text}");
    assert!(h.state().dialogs.save_to.is_none());
    assert!(
        h.state()
            .notices
            .iter()
            .any(|n| n.text.contains("exported.jsonl"))
    );
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}
