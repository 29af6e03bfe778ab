//! The coding loop driven through the real app with egui_kittest: notes, verdicts, tags by
//! keyboard, the codebook panel, and everything restored after re-opening.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{app, press, root, state, type_text};
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use errata::coding::Verdict;

#[test]
fn code_a_trace_by_keyboard_and_find_it_after_reopening() {
    let dir = root("keyboard");
    {
        let mut h = app(&dir);
        // verdict, note, a coined tag, all without the mouse
        press(&mut h, Key::F);
        assert_eq!(
            state(&h, "tr-0000000").unwrap().verdict,
            Some(Verdict::Fail)
        );
        press(&mut h, Key::E);
        type_text(&mut h, "refund amount invented");
        // shortcuts do not fire while the note has focus: 'f' and 'j' were typed, not applied
        assert_eq!(h.state().ws.data.as_ref().unwrap().selected.unwrap().0, 0);
        press(&mut h, Key::Escape);
        assert_eq!(
            state(&h, "tr-0000000").unwrap().note,
            "refund amount invented"
        );
        press(&mut h, Key::T);
        type_text(&mut h, "invented details");
        press(&mut h, Key::Enter);
        let s = state(&h, "tr-0000000").unwrap();
        assert_eq!(s.categories, ["invented details"]);
        assert_eq!(s.author, "ana");
        assert!(h.query_all_by_label("1 invented details").next().is_some());

        // next trace: coin a second tag, toggle the first by number key
        press(&mut h, Key::J);
        press(&mut h, Key::T);
        type_text(&mut h, "wrong date");
        press(&mut h, Key::Enter);
        press(&mut h, Key::Num1);
        assert_eq!(
            state(&h, "tr-0000001").unwrap().categories,
            ["wrong date", "invented details"]
        );
        press(&mut h, Key::Num1);
        assert_eq!(state(&h, "tr-0000001").unwrap().categories, ["wrong date"]);
        press(&mut h, Key::P);
        assert_eq!(
            state(&h, "tr-0000001").unwrap().verdict,
            Some(Verdict::Pass)
        );
        // next unreviewed skips the two reviewed traces
        press(&mut h, Key::Home);
        press(&mut h, Key::U);
        assert_eq!(h.state().ws.data.as_ref().unwrap().selected.unwrap().1, 2);
        let p = h.state().ws.project.as_ref().unwrap();
        // two tags coined in a row by one author are one version ("added a, b")
        assert_eq!(p.codebook.version, 1);
        assert_eq!(p.stats.coded, 2);
        assert_eq!(p.saturation().since_last_new, 0);
    }
    // re-open: everything is back
    let h = app(&dir);
    let s = state(&h, "tr-0000000").unwrap();
    assert_eq!(s.verdict, Some(Verdict::Fail));
    assert_eq!(s.note, "refund amount invented");
    assert_eq!(s.categories, ["invented details"]);
    assert_eq!(state(&h, "tr-0000001").unwrap().categories, ["wrong date"]);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.codebook.categories.len(), 2);
    assert_eq!(p.codebook.version, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notes_save_while_typing_after_a_pause() {
    let dir = root("debounce");
    let mut h = app(&dir);
    press(&mut h, Key::E);
    type_text(&mut h, "tool never called");
    assert!(
        state(&h, "tr-0000000").is_none(),
        "not saved on every keystroke"
    );
    std::thread::sleep(std::time::Duration::from_millis(700));
    h.run_steps(3);
    assert_eq!(state(&h, "tr-0000000").unwrap().note, "tool never called");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_two_categories_in_the_codebook_panel() {
    let dir = root("merge");
    let mut h = app(&dir);
    for (tag, row_key) in [("date wrong", None), ("wrong date", Some(Key::J))] {
        if let Some(k) = row_key {
            press(&mut h, k);
        }
        press(&mut h, Key::T);
        type_text(&mut h, tag);
        press(&mut h, Key::Enter);
    }
    press(&mut h, Key::B);
    assert!(h.state().codebook_ui.open);
    h.get_all_by_label("Merge into").next().unwrap().click();
    h.run_steps(2);
    h.get_by_label("wrong date").click();
    h.run_steps(3);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.codebook.categories.len(), 1);
    assert_eq!(p.codebook.categories[0].name, "wrong date");
    assert_eq!(p.codebook.version, 2, "v1 added both tags, v2 merged them");
    assert_eq!(
        p.codebook.changelog.last().unwrap().change,
        "merged \"date wrong\" into \"wrong date\""
    );
    // the trace tagged with the merged-away category was relabelled under the new version
    let s = state(&h, "tr-0000000").unwrap();
    assert_eq!(s.categories, ["wrong date"]);
    assert_eq!(s.codebook_version, 2);
    assert_eq!(p.stats.categories.get("wrong date"), Some(&2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn delete_and_undo_and_sign_off() {
    let dir = root("delete");
    let mut h = app(&dir);
    press(&mut h, Key::T);
    type_text(&mut h, "policy misquoted");
    press(&mut h, Key::Enter);
    press(&mut h, Key::B);
    h.get_by_label("Delete (1)").click();
    h.run_steps(2);
    assert!(
        h.state()
            .ws
            .project
            .as_ref()
            .unwrap()
            .codebook
            .categories
            .is_empty()
    );
    assert!(state(&h, "tr-0000000").unwrap().categories.is_empty());
    h.get_by_label("Undo delete of \"policy misquoted\"")
        .click();
    h.run_steps(2);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.codebook.categories[0].name, "policy misquoted");
    assert_eq!(
        state(&h, "tr-0000000").unwrap().categories,
        ["policy misquoted"]
    );
    assert!(!p.codebook.is_signed_off());
    h.get_by_label("Sign off v3").click();
    h.run_steps(2);
    let p = h.state().ws.project.as_ref().unwrap();
    assert!(p.codebook.is_signed_off());
    assert_eq!(p.codebook.owner, "ana");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn structured_coding_confirms_and_moves_on() {
    let dir = root("structured");
    let mut h = app(&dir);
    // two failing traces coded while coining tags: one version (v1 "added a, b")
    press(&mut h, Key::F);
    press(&mut h, Key::T);
    type_text(&mut h, "a");
    press(&mut h, Key::Enter);
    press(&mut h, Key::J);
    press(&mut h, Key::F);
    press(&mut h, Key::Num1);
    press(&mut h, Key::T);
    type_text(&mut h, "b");
    press(&mut h, Key::Enter);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(
        p.codebook.version, 1,
        "coining tags does not run the version up"
    );
    assert_eq!(
        p.codebook.changelog.last().unwrap().change,
        "added \"a\", \"b\""
    );
    assert_eq!(p.structured_progress(), (2, 2));
    // splitting "a" (v2) asks for the traces that carry it to be coded again
    h.state_mut()
        .ws
        .project
        .as_mut()
        .unwrap()
        .codebook
        .split("a", "a2", "ana", "2026-11-27T00:00:00Z")
        .unwrap();
    h.run_steps(2);
    let version = h.state().ws.project.as_ref().unwrap().codebook.version;
    assert_eq!(version, 2);
    assert_eq!(
        h.state().ws.project.as_ref().unwrap().structured_progress(),
        (0, 2),
        "both carry a"
    );
    // an unrelated change (a new category) keeps them up to date
    h.state_mut()
        .ws
        .project
        .as_mut()
        .unwrap()
        .codebook
        .add("c", "bo", "2026-11-27T00:00:00Z")
        .unwrap();
    press(&mut h, Key::S);
    assert!(h.state().draft.structured);
    assert!(
        h.query_all_by_label("0 of 2 coded, up to date with v3")
            .next()
            .is_some()
    );
    press(&mut h, Key::Home);
    press(&mut h, Key::Enter);
    assert_eq!(state(&h, "tr-0000000").unwrap().codebook_version, 3);
    assert_eq!(
        h.state().ws.project.as_ref().unwrap().structured_progress(),
        (1, 2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn labels_export_import_round_trip_newest_wins() {
    let dir = root("import");
    let mut h = app(&dir);
    press(&mut h, Key::F);
    press(&mut h, Key::T);
    type_text(&mut h, "x");
    press(&mut h, Key::Enter);
    let exported = h
        .state()
        .ws
        .project
        .as_ref()
        .unwrap()
        .labels
        .compacted_jsonl();
    let (again, problems) = errata::coding::Labels::replay(&exported);
    assert!(problems.is_empty());
    assert_eq!(again.get("tr-0000000").unwrap().categories, ["x"]);
    // an incoming file: one new trace, one conflict that is newer, one older conflict
    let incoming = [
        r#"{"trace_id":"tr-0000005","verdict":"pass","note":"","categories":[],"author":"bo","at":"2026-01-01T00:00:00Z","codebook_version":1,"batch":null}"#,
        r#"{"trace_id":"tr-0000000","verdict":"pass","note":"older","categories":[],"author":"bo","at":"2000-01-01T00:00:00Z","codebook_version":1,"batch":null}"#,
    ]
    .join("\n");
    h.state_mut().merge_labels_text("bo.jsonl", &incoming);
    h.run_steps(2);
    assert_eq!(state(&h, "tr-0000005").unwrap().author, "bo");
    assert_eq!(
        state(&h, "tr-0000000").unwrap().categories,
        ["x"],
        "the newer local label wins"
    );
    assert!(h.state().notices.iter().any(|n| {
        n.text
            .contains("imported 1 labels from bo.jsonl; 1 conflicts")
    }));
    let newer = r#"{"trace_id":"tr-0000000","verdict":"pass","note":"newer","categories":[],"author":"bo","at":"2999-01-01T00:00:00Z","codebook_version":1,"batch":null}"#;
    h.state_mut().merge_labels_text("bo2.jsonl", newer);
    assert_eq!(state(&h, "tr-0000000").unwrap().note, "newer");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_codebook_is_reported_and_kept_until_set_aside() {
    let dir = root("corrupt");
    let project = dir.join("demo_traces_jsonl.errata");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("codebook.json"),
        "{\n  \"version\": 2,\n  broken\n}\n",
    )
    .unwrap();
    std::fs::write(
        project.join("labels.jsonl"),
        "{\"trace_id\":\"tr-0000001\",\"verdict\":\"fail\"}\n{\"trace_id\":\"tr-00",
    )
    .unwrap();
    let mut h = app(&dir);
    let notices: Vec<String> = h.state().notices.iter().map(|n| n.text.clone()).collect();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("line 3:") && n.ends_with("codebook.json")),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.contains("cut short") && n.contains("line 2")),
        "{notices:?}"
    );
    assert_eq!(
        state(&h, "tr-0000001").unwrap().verdict,
        Some(Verdict::Fail)
    );
    // coining a tag cannot overwrite the unreadable codebook
    press(&mut h, Key::T);
    type_text(&mut h, "t");
    press(&mut h, Key::Enter);
    assert!(
        std::fs::read_to_string(project.join("codebook.json"))
            .unwrap()
            .contains("broken")
    );
    press(&mut h, Key::B);
    h.get_by_label("Set it aside (.bad) and start anew").click();
    h.run_steps(2);
    assert!(project.join("codebook.json.bad").exists());
    assert!(
        std::fs::read_to_string(project.join("codebook.json"))
            .unwrap()
            .contains("\"version\"")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[derive(Default)]
struct MemStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_api_key_is_stored_only_when_remembered_and_never_in_the_project() {
    use eframe::Storage as _;
    let dir = root("key");
    let mut h = app(&dir);
    h.state_mut().axial.provider.api_key = "sk-secret".into();
    let mut storage = MemStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    assert!(
        !storage
            .get_string(eframe::APP_KEY)
            .unwrap()
            .contains("sk-secret")
    );
    h.state_mut().axial.remember_key = true;
    h.run_steps(2);
    eframe::App::save(h.state_mut(), &mut storage);
    // remembered in a file only the user can read, never in the settings
    assert!(
        !storage
            .get_string(eframe::APP_KEY)
            .unwrap()
            .contains("sk-secret")
    );
    let key_file = dir.join(errata::persist::secret::LLM_KEY);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), "sk-secret");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // a new instance finds it; unticking forgets it
    let mut h2 = app(&dir);
    assert_eq!(h2.state().axial.provider.api_key, "sk-secret");
    assert!(h2.state().axial.remember_key);
    h2.state_mut().axial.remember_key = false;
    h2.run_steps(2);
    assert!(!key_file.exists());
    drop(h2);
    h.state_mut().axial.remember_key = false;
    h.run_steps(2);
    // coding writes the project folder; the key is in none of its files
    press(&mut h, Key::F);
    for f in std::fs::read_dir(dir.join("demo_traces_jsonl.errata")).unwrap() {
        let path = f.unwrap().path();
        if path.is_file() {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(!text.contains("sk-secret"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_imported_note_replaces_a_clean_draft_and_is_not_written_back() {
    let dir = root("importdraft");
    let mut h = app(&dir);
    h.run_steps(2);
    assert_eq!(h.state().draft.trace_id, "tr-0000000");
    h.state_mut().merge_labels_text(
        "colleague.jsonl",
        r#"{"trace_id":"tr-0000000","verdict":"fail","note":"quoted the wrong fee","author":"bo","at":"2026-11-20T10:00:00Z"}"#,
    );
    h.run_steps(3);
    assert_eq!(h.state().draft.note, "quoted the wrong fee");
    assert!(h.query_by_label("saving…").is_none());
    // leaving the trace does not overwrite the imported note with the old empty draft
    press(&mut h, Key::J);
    assert_eq!(
        state(&h, "tr-0000000").unwrap().note,
        "quoted the wrong fee"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_pressed_within_one_frame_apply_in_order() {
    let dir = root("keyorder");
    let mut h = app(&dir);
    // a fast typist (or a script): four keys before the next frame
    for k in [Key::J, Key::F, Key::J, Key::P] {
        h.key_press(k);
    }
    h.run_steps(2);
    assert_eq!(
        state(&h, "tr-0000001").unwrap().verdict,
        Some(Verdict::Fail)
    );
    assert_eq!(
        state(&h, "tr-0000002").unwrap().verdict,
        Some(Verdict::Pass)
    );
    assert!(state(&h, "tr-0000000").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn more_than_nine_categories_are_reachable_by_keyboard() {
    let dir = root("many");
    let mut h = app(&dir);
    let names = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lambda",
    ];
    {
        let p = h.state_mut().ws.project.as_mut().unwrap();
        for n in names {
            p.codebook.add(n, "ana", "t").unwrap();
        }
    }
    h.run_steps(2);
    press(&mut h, Key::F);
    press(&mut h, Key::T);
    type_text(&mut h, "lam");
    assert!(
        h.query_all_by_label("lambda").next().is_some(),
        "the match is listed"
    );
    press(&mut h, Key::Tab);
    assert_eq!(h.state().draft.new_tag, "lambda");
    press(&mut h, Key::Enter);
    assert_eq!(state(&h, "tr-0000000").unwrap().categories, ["lambda"]);
    // the structured pass has the same box
    press(&mut h, Key::S);
    press(&mut h, Key::T);
    type_text(&mut h, "kil");
    press(&mut h, Key::Tab);
    press(&mut h, Key::Enter);
    assert_eq!(
        state(&h, "tr-0000000").unwrap().categories,
        ["lambda", "kilo"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
