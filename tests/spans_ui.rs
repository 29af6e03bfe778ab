//! The span tree in the app, driven by keys and clicks: moving through spans, folding, a span's
//! own input and output, marking where the trace first went wrong (into the label log), copy.

#![cfg(not(target_arch = "wasm32"))] // drives the native app and its project files
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

mod common;

use common::{copied, press, state, wait_for_jobs};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use errata::app::ErrataApp;

fn open_fixture(name: &str, test: &str) -> (Harness<'static, ErrataApp>, std::path::PathBuf) {
    let dir = common::root(&format!("spans-{test}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::copy(
        format!("{}/tests/fixtures/spans/{name}", env!("CARGO_MANIFEST_DIR")),
        &file,
    )
    .unwrap();
    let mut h = common::app_opening(&dir, vec![file]);
    h.run_steps(3);
    wait_for_jobs(&mut h);
    (h, dir)
}

fn shift(h: &mut Harness<'_, ErrataApp>, key: Key) {
    h.key_press_modifiers(Modifiers::SHIFT, key);
    h.run_steps(2);
}

fn selected_span(h: &Harness<'_, ErrataApp>) -> Option<String> {
    h.state()
        .detail_ui
        .spans
        .selected_node()
        .map(|n| n.name.clone())
}

#[test]
fn keys_walk_the_span_tree_and_mark_the_first_failure_in_the_label_log() {
    let (mut h, dir) = open_fixture("phoenix-agent.jsonl", "keys");
    assert_eq!(h.state().ws.data.as_ref().unwrap().store.len(), 2);
    press(&mut h, Key::End); // the failing run
    let id = {
        let d = h.state().ws.data.as_ref().unwrap();
        d.store.id(d.selected_row().unwrap() as usize).to_owned()
    };
    assert!(h.query_all_by_label("Spans (4)").next().is_some());
    assert!(h.query_all_by_label("1 in error").next().is_some());
    assert_eq!(selected_span(&h), None, "a trace opens on the whole trace");
    shift(&mut h, Key::J);
    assert_eq!(selected_span(&h).as_deref(), Some("leasing_agent"));
    shift(&mut h, Key::J);
    shift(&mut h, Key::J);
    assert_eq!(selected_span(&h).as_deref(), Some("lookup_policy"));
    // the span's own input, and its attributes in place of the trace's metadata
    assert!(
        h.query_all_by_label("› span lookup_policy")
            .next()
            .is_some()
    );
    assert!(h.query_all_by_label("Span attributes").next().is_some());
    assert!(
        h.query_all_by_label("policy service timed out after 10 s")
            .next()
            .is_some()
    );
    // Shift+F: the first failure, in the label log with the span's id and name
    press(&mut h, Key::F); // and a failing verdict
    shift(&mut h, Key::F);
    let ev = state(&h, &id).unwrap();
    assert_eq!(ev.verdict, Some(errata::coding::Verdict::Fail));
    assert_eq!(ev.span_name.as_deref(), Some("lookup_policy"));
    let span_id = ev.span_id.clone().unwrap();
    assert_eq!(span_id.len(), 16);
    let log = std::fs::read_to_string(dir.join("phoenix-agent.errata/labels.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["span_id"], span_id.as_str());
    assert_eq!(last["span_name"], "lookup_policy");
    h.run_steps(2);
    assert!(
        h.query_all_by_label_contains("⚑ ").next().is_some(),
        "the marked span is flagged in the tree"
    );
    // the Pareto panel's breakdown: category × first-failure span
    h.get_by_label("by first failure").click();
    h.run_steps(2);
    assert!(h.query_all_by_label("(no category)").next().is_some());
    assert!(
        h.query_all_by_label("lookup_policy").count() >= 2,
        "tree row and breakdown"
    );
    h.get_by_label("by first failure").click();
    h.run_steps(2);
    // moving past the first span goes back to the whole trace; folding the root hides the rest
    for _ in 0..3 {
        shift(&mut h, Key::K);
    }
    assert_eq!(selected_span(&h), None);
    shift(&mut h, Key::J);
    press(&mut h, Key::ArrowLeft);
    let tree = h.state().detail_ui.spans.tree.clone().unwrap();
    assert_eq!(tree.visible(&h.state().detail_ui.spans.collapsed).len(), 1);
    press(&mut h, Key::ArrowRight);
    assert_eq!(tree.visible(&h.state().detail_ui.spans.collapsed).len(), 4);
    // the span again unmarks it
    for _ in 0..2 {
        shift(&mut h, Key::J);
    }
    shift(&mut h, Key::F);
    assert_eq!(state(&h, &id).unwrap().span_id, None);
}

#[test]
fn clicking_a_span_shows_it_and_copy_takes_the_span_or_the_whole_trace() {
    let (mut h, _dir) = open_fixture("otel-agent.json", "click");
    press(&mut h, Key::Home);
    h.key_press(Key::C);
    let whole: serde_json::Value = serde_json::from_str(&copied(&mut h).unwrap()).unwrap();
    assert_eq!(whole.as_array().map(Vec::len), Some(4), "every span record");
    h.get_by_label_contains("lookup_policy").click();
    h.run_steps(2);
    assert_eq!(selected_span(&h).as_deref(), Some("lookup_policy"));
    h.key_press(Key::C);
    let one: serde_json::Value = serde_json::from_str(&copied(&mut h).unwrap()).unwrap();
    assert_eq!(one["name"], "lookup_policy");
    assert!(
        h.state()
            .notices
            .iter()
            .any(|n| n.text.starts_with("copied span lookup_policy of ")),
        "{:?}",
        h.state().notices
    );
    h.get_by_label("whole trace").click();
    h.run_steps(2);
    assert_eq!(selected_span(&h), None);
}

#[test]
fn the_field_mapping_window_groups_by_a_typed_field_and_keeps_it_in_the_project() {
    use egui_kittest::kittest::by;
    let (mut h, dir) = open_fixture("phoenix-agent.jsonl", "mapping");
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        errata::app::Action::Show(errata::action::Window::FieldMapping),
    );
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("were detected as one trace")
            .next()
            .is_some()
    );
    let typed =
        h.get(by().predicate(|n| n.placeholder() == Some("or type the group spans by path")));
    typed.focus();
    h.run_steps(1);
    h.event(egui::Event::Text("span_kind".into()));
    h.run_steps(2);
    let apply = h
        .query_all_by_label("Apply")
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap();
    apply.click();
    h.run_steps(2);
    wait_for_jobs(&mut h);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 3, "one trace per span kind");
    h.run_steps(3);
    let project = std::fs::read_to_string(dir.join("phoenix-agent.errata/project.json")).unwrap();
    assert!(
        project.contains("\"group_by\"") && project.contains("span_kind"),
        "{project}"
    );
}

#[test]
fn a_search_marks_the_spans_whose_text_matches() {
    let (mut h, _dir) = open_fixture("phoenix-agent.jsonl", "search");
    h.key_press(Key::Slash);
    h.run_steps(2);
    // in the tool's output and the next LLM call's input, not in the run's own input or output
    h.event(egui::Event::Text(
        "a $50 late fee applies after the 5th".into(),
    ));
    h.key_press(Key::Enter);
    h.run_steps(3);
    wait_for_jobs(&mut h);
    assert_eq!(h.state().ws.data.as_ref().unwrap().view.len(), 1);
    h.key_press(Key::Escape);
    press(&mut h, Key::Home);
    assert!(
        h.query_all_by_label("2 match the search").next().is_some(),
        "{:?}",
        h.state().detail_ui.spans.matches
    );
    let tree = h.state().detail_ui.spans.tree.clone().unwrap();
    let mut names: Vec<&str> = h
        .state()
        .detail_ui
        .spans
        .matches
        .iter()
        .map(|&i| tree.nodes[i].name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["ChatCompletion", "lookup_policy"]);
}
