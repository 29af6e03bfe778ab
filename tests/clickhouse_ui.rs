//! A ClickHouse source in the app, against the real server `.ci/run` starts: the table reads the
//! server's view in pages, keys open traces (fetched whole, with their span tree), labels go to
//! the project in the data folder, and WHERE, search, label filters, sort and sampling are
//! answered by the server.

#![cfg(not(target_arch = "wasm32"))] // drives the native app against a server
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

mod common;

use common::{press, state, step_until, type_text};
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use errata::app::ErrataApp;

fn selected_id(app: &ErrataApp) -> Option<String> {
    let d = app.ws.data.as_ref()?;
    Some(d.store.id(d.selected_row()? as usize).to_owned())
}

/// What the open source's columns say it holds.
fn detected(app: &ErrataApp) -> &errata::trace::clickhouse::Detected {
    app.remote.as_ref().unwrap().detected.as_ref().unwrap()
}

/// The app opening `url`, once the server counted `n` traces and the first is open.
fn open_until(
    root: &std::path::Path,
    url: &str,
    n: u64,
) -> egui_kittest::Harness<'static, ErrataApp> {
    let mut h = common::app_opening_url(root, url);
    step_until(&mut h, "the first trace", |a| {
        matched(a) == Some(n) && selected_id(a).is_some()
    });
    h
}

/// Applies `action` as the window does (what a control sends).
fn act(h: &mut egui_kittest::Harness<'_, ErrataApp>, action: errata::app::Action) {
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, action);
}

fn matched(app: &ErrataApp) -> Option<u64> {
    app.remote.as_ref().and_then(|r| r.matched)
}

#[test]
fn an_otel_table_is_read_paged_labelled_and_filtered_on_the_server() {
    let Some(addr) = common::clickhouse("errata_ui_otel") else {
        return;
    };
    let root = common::root("clickhouse-otel");
    let url = format!("clickhouse://default@{addr}/errata_ui_otel/otel_traces");
    let mut h = common::app_opening_url(&root, &url);
    step_until(&mut h, "the first trace", |a| {
        matched(a) == Some(200) && selected_id(a).as_deref() == Some("trace-1000")
    });
    assert!(
        h.query_all_by_label("200 of 200 traces (on the server)")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label("trace-1003").next().is_some(),
        "the first page is drawn"
    );
    // the whole trace came with its spans
    assert!(h.query_all_by_label("Spans (4)").next().is_some());
    // keys move through the server's rows; each trace is fetched when opened
    press(&mut h, Key::J);
    press(&mut h, Key::J);
    press(&mut h, Key::J);
    step_until(&mut h, "trace-1003", |a| {
        selected_id(a).as_deref() == Some("trace-1003")
    });
    press(&mut h, Key::F);
    press(&mut h, Key::E);
    type_text(&mut h, "refuses a question it can answer");
    press(&mut h, Key::Escape);
    let s = state(&h, "trace-1003").unwrap();
    assert_eq!(s.verdict, Some(errata::coding::Verdict::Fail));
    assert_eq!(s.note, "refuses a question it can answer");
    // on disk at once, in the data folder keyed by the source
    let project = errata::persist::data_project_dir(&root, &url);
    let log = std::fs::read_to_string(project.join("labels.jsonl")).unwrap();
    assert!(log.contains("trace-1003") && log.contains("refuses a question"));
    // next unreviewed skips the labelled trace, among the rows fetched
    press(&mut h, Key::Home);
    press(&mut h, Key::J);
    press(&mut h, Key::J);
    press(&mut h, Key::U);
    step_until(&mut h, "the next unreviewed trace", |a| {
        selected_id(a).as_deref() == Some("trace-1004")
    });
    // the WHERE goes to the server, over any span of a trace
    press(&mut h, Key::W);
    type_text(&mut h, "StatusCode = 'STATUS_CODE_ERROR'");
    press(&mut h, Key::Enter);
    step_until(&mut h, "the WHERE's count", |a| matched(a) == Some(20));
    assert!(
        h.query_all_by_label("20 of 200 traces (on the server)")
            .next()
            .is_some()
    );
    // a broken condition: the server's message, and the app stays usable
    press(&mut h, Key::W);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    type_text(&mut h, "nope = 1");
    press(&mut h, Key::Enter);
    step_until(&mut h, "the server's error", |a| {
        a.remote.as_ref().and_then(|r| r.error.as_ref()).is_some()
    });
    let err = h.state().remote.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains(&addr) && err.contains("nope"), "{err}");
    press(&mut h, Key::Delete); // clear filters
    h.key_press_modifiers(egui::Modifiers::NONE, Key::Escape);
    h.run_steps(2);
    h.state_mut().filter_bar.sql.clear();
    step_until(&mut h, "all traces again", |a| matched(a) == Some(200));
    // the search runs on the server (case-insensitive)
    press(&mut h, Key::Slash);
    type_text(&mut h, "REYKJAVIK");
    press(&mut h, Key::Enter);
    step_until(&mut h, "the search's count", |a| matched(a) == Some(1));
    step_until(&mut h, "the match opened", |a| {
        selected_id(a).as_deref() == Some("trace-1077")
    });
    press(&mut h, Key::Escape);
    h.state_mut().filter_bar.search.clear();
    act(&mut h, errata::app::Action::ClearFilters);
    step_until(&mut h, "all traces again", |a| matched(a) == Some(200));
    // a label filter goes as the labelled ids: exact count
    h.get_by_label("Label filters").click();
    h.run_steps(2);
    assert!(h.state().filter_bar.show_labels, "the label filters show");
    // (what the verdict box sends)
    let fail = errata::project::LabelFilter {
        verdict: errata::project::VerdictFilter::Fail,
        ..Default::default()
    };
    act(&mut h, errata::app::Action::SetLabelFilter(fail));
    step_until(&mut h, "the failing traces", |a| matched(a) == Some(1));
    assert_eq!(h.state().ws.project.as_ref().unwrap().stats.failed, 1);
    // unreviewed keeps every trace but the labelled one: all but the set, still exact
    let unreviewed = errata::project::LabelFilter {
        verdict: errata::project::VerdictFilter::Unreviewed,
        ..Default::default()
    };
    act(&mut h, errata::app::Action::SetLabelFilter(unreviewed));
    step_until(&mut h, "the unreviewed traces", |a| matched(a) == Some(199));
}

#[test]
fn langfuse_traces_open_with_their_observations_and_scores_and_sort_on_the_server() {
    let Some(addr) = common::clickhouse("errata_ui_langfuse") else {
        return;
    };
    let root = common::root("clickhouse-langfuse");
    let url = format!("clickhouse://default@{addr}/errata_ui_langfuse/traces");
    let mut h = open_until(&root, &url, 60);
    assert_eq!(
        detected(h.state()).preset.as_deref(),
        Some("Langfuse v3 traces")
    );
    // the observations are the span tree (the trace, its span, its generation)
    assert!(h.query_all_by_label("Spans (3)").next().is_some());
    // the scores are metadata a judge column can use
    let d = h.state().ws.data.as_ref().unwrap();
    assert!(
        d.store.column_index("scores.judge").is_some(),
        "{:?}",
        d.store
            .columns()
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    );
    // sorted by the server: click the id header twice (descending)
    h.get_all_by_label("id").next().unwrap().click();
    h.run_steps(2);
    h.get_by_label("id ^").click();
    h.run_steps(2);
    assert_eq!(
        h.state().remote.as_ref().unwrap().order,
        Some(("id".to_owned(), true))
    );
    step_until(&mut h, "the first row of the new order", |a| {
        a.remote
            .as_ref()
            .is_some_and(|r| r.pages.cached() > 0 && r.pages.generation() > 0)
    });
    press(&mut h, Key::Home);
    step_until(&mut h, "lf-9 first (ids descending as text)", |a| {
        selected_id(a).as_deref() == Some("lf-9")
    });
}

#[test]
fn a_review_batch_is_sampled_on_the_server_reproducibly() {
    let Some(addr) = common::clickhouse("errata_ui_sample") else {
        return;
    };
    let root = common::root("clickhouse-sample");
    let url = format!("clickhouse://default@{addr}/errata_ui_sample/chats");
    let mut h = open_until(&root, &url, 1000);
    let req = errata::coding::sampling::SampleRequest {
        name: "2026-W48".into(),
        n: 15,
        seed: 7,
        strategy: errata::coding::sampling::Strategy::Oversample {
            predicate: "judge = 'fail'".into(),
            share: 0.5,
        },
    };
    act(&mut h, errata::app::Action::DrawSample(req.clone()));
    step_until(&mut h, "the batch's view", |a| matched(a) == Some(15));
    let batch = |a: &ErrataApp| {
        a.ws.project
            .as_ref()
            .unwrap()
            .file
            .batches
            .iter()
            .find(|b| b.name == "2026-W48")
            .unwrap()
            .trace_ids
            .clone()
    };
    let first = batch(h.state());
    assert_eq!(first.len(), 15);
    // oversampled: the failing chats (every 9th) are about half of the batch
    let failing = first
        .iter()
        .filter(|id| id.trim_start_matches("chat-").parse::<u32>().unwrap() % 9 == 1)
        .count();
    assert!(
        (6..=9).contains(&failing),
        "{failing} of 15 failing: {first:?}"
    );
    act(&mut h, errata::app::Action::SetBatch(None));
    step_until(&mut h, "the whole table again", |a| {
        matched(a) == Some(1000)
    });
    act(&mut h, errata::app::Action::DrawSample(req));
    step_until(&mut h, "the batch drawn again", |a| {
        a.notices
            .iter()
            .filter(|n| n.text.starts_with("drew 15"))
            .count()
            == 2
    });
    assert_eq!(
        batch(h.state()),
        first,
        "the same seed draws the same batch"
    );
}

#[test]
fn the_open_clickhouse_form_opens_a_source_and_keeps_the_password_in_memory() {
    let Some(addr) = common::clickhouse("errata_ui_form") else {
        return;
    };
    let root = common::root("clickhouse-form");
    let mut h = common::app(&root);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Open ClickHouse…").click();
    h.run_steps(2);
    // a wrong password: the server refuses, the message names it, nothing is written
    {
        let f = h.state_mut().dialogs.clickhouse.as_mut().unwrap();
        f.server = format!("http://{addr}");
        f.database = "errata_ui_form".into();
        f.table = "chats".into();
        f.password = "not-the-password".into();
    }
    h.run_steps(1);
    h.get_by_label("Open").click();
    step_until(&mut h, "the refusal", |a| {
        a.notices.iter().any(|n| n.error && n.text.contains(&addr))
    });
    assert!(h.state().dialogs.clickhouse.is_none());
    // the app stays usable: the form again, without a password this time
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Open ClickHouse…").click();
    h.run_steps(2);
    {
        let f = h.state_mut().dialogs.clickhouse.as_mut().unwrap();
        f.server = format!("http://{addr}");
        f.database = "errata_ui_form".into();
        f.table = "chats".into();
    }
    h.run_steps(1);
    h.get_by_label("Open").click();
    step_until(&mut h, "the source", |a| {
        matched(a) == Some(1000) && selected_id(a).is_some()
    });
    press(&mut h, Key::P);
    step_until(&mut h, "a label", |a| a.status().reviewed == 1);
    drop(h);
    // the password is in no file errata wrote
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                assert!(!text.contains("not-the-password"), "{}", p.display());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_field_mapping_reads_the_table_and_the_fetched_traces_and_is_kept() {
    let Some(addr) = common::clickhouse("errata_ui_mapping") else {
        return;
    };
    let root = common::root("clickhouse-mapping");
    let url = format!("clickhouse://default@{addr}/errata_ui_mapping/chats");
    let mut h = open_until(&root, &url, 1000);
    // the model's name as the output (what the mapping window sends)
    let mut m = h.state().ws.data.as_ref().unwrap().store.mapping.clone();
    m.output = Some(errata::trace::schema::FieldPath::top("model"));
    act(&mut h, errata::app::Action::SetMapping(m));
    step_until(&mut h, "the table read again", |a| {
        a.remote
            .as_ref()
            .is_some_and(|r| r.matched == Some(1000) && r.pages.cached() > 0)
    });
    h.run_steps(3);
    assert!(
        h.query_all_by_label("claude-haiku").next().is_some()
            || h.query_all_by_label("gpt-4o-mini").next().is_some()
    );
    let out = |a: &ErrataApp| {
        let d = a.ws.data.as_ref().unwrap();
        let (_, o) =
            errata::workspace::other_run::row_contents(&d.store, d.selected_row().unwrap());
        errata::trace::content::plain_text(&o)
    };
    assert!(
        ["gpt-4o-mini", "claude-haiku"].contains(&out(h.state()).trim()),
        "{}",
        out(h.state())
    );
    drop(h);
    // kept in the project: a second window reads the table the same way
    let h = open_until(&root, &url, 1000);
    assert_eq!(detected(h.state()).output.as_deref(), Some("`model`"));
}
