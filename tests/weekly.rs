//! The weekly cadence and the analysis screens through the real app: the Pareto chart, axial
//! coding, sampling review batches, judge agreement, adding traces as batches.

#![cfg(not(target_arch = "wasm32"))] // drives the native app, processes, files or sockets
#![allow(clippy::unwrap_used)] // tests may unwrap

mod common;

use common::{app, press, root, state, type_text, wait_for_jobs};
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use errata::coding::Verdict;

#[test]
fn pareto_bars_follow_the_labels_and_filter_the_table() {
    let dir = root("pareto");
    let mut h = app(&dir);
    // three failing traces: two "tool not called", one "wrong date"
    for (i, tag) in ["tool not called", "wrong date", "tool not called"]
        .iter()
        .enumerate()
    {
        if i > 0 {
            press(&mut h, Key::J);
        }
        press(&mut h, Key::F);
        let exists = h
            .state()
            .ws
            .project
            .as_ref()
            .unwrap()
            .codebook
            .index_of(tag)
            .is_some();
        if exists {
            let n = h
                .state()
                .ws
                .project
                .as_ref()
                .unwrap()
                .codebook
                .index_of(tag)
                .unwrap();
            press(&mut h, [Key::Num1, Key::Num2][n]);
        } else {
            press(&mut h, Key::T);
            type_text(&mut h, tag);
            press(&mut h, Key::Enter);
        }
    }
    h.run_steps(2);
    // bars, in order, live
    let first = h.get_by_label("tool not called: 2").rect().left();
    let second = h.get_by_label("wrong date: 1").rect().left();
    assert!(first < second, "bars sorted by count");
    let p = h.state().pareto();
    assert_eq!((p.failed, p.categories[0].count), (3, 2));
    assert!((p.top3_share - 1.0).abs() < 1e-9);
    // clicking a bar filters the table to that category; again clears it
    h.get_by_label("wrong date: 1").click();
    h.run_steps(3);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.view, [1]);
    h.get_by_label("wrong date: 1").click();
    h.run_steps(3);
    assert_eq!(h.state().ws.data.as_ref().unwrap().view.len(), 300);
    // ranked by severity, a bar says the score its height measures (medium: weight 2)
    h.get_by_label("x severity").click();
    h.run_steps(3);
    assert!(
        h.query_all_by_label("tool not called: score 4 (2 failing traces)")
            .next()
            .is_some()
    );
    h.get_by_label("frequency").click();
    h.run_steps(3);
    // a chip toggled off updates the chart in the same frame
    press(&mut h, Key::Home);
    press(&mut h, Key::Num1);
    let p = h.state().pareto();
    assert_eq!(p.categories[0].count, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pareto_by_week_shows_small_multiples() {
    let dir = root("weeks");
    let mut h = app(&dir);
    press(&mut h, Key::F);
    press(&mut h, Key::T);
    type_text(&mut h, "x");
    press(&mut h, Key::Enter);
    h.get_by_label("by batch / week").click();
    h.run_steps(2);
    let weeks = h.state().pareto_by_week();
    assert_eq!(weeks.len(), 1);
    let (week, p) = &weeks[0];
    // tr-0000000's timestamp is 2026-11-24
    assert_eq!(week, "2026-W48");
    assert_eq!(p.failed, 1);
    assert!(
        h.query_all_by_label("2026-W48 (1 failing)")
            .next()
            .is_some()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn axial_coding_offline_proposal_review_and_accept() {
    let dir = root("axial");
    let mut h = app(&dir);
    let notes = [
        "did not call the booking tool",
        "booking tool never invoked",
        "wrong date given for the flight",
        "the date was wrong",
        "made up a refund fee",
        "invented a baggage fee",
    ];
    for (i, n) in notes.iter().enumerate() {
        if i > 0 {
            press(&mut h, Key::J);
        }
        press(&mut h, Key::F);
        press(&mut h, Key::E);
        type_text(&mut h, n);
        press(&mut h, Key::Escape);
    }
    press(&mut h, Key::A);
    assert!(h.state().axial.open);
    assert!(h.query_all_by_label("6 notes").next().is_some());
    h.get_by_label("Propose categories (offline)").click();
    h.run_steps(3);
    let (proposal, source) = h.state().axial.proposal.clone().unwrap();
    assert_eq!(source, "offline clusterer");
    assert_eq!(proposal.categories.len(), 3);
    let version = h.state().ws.project.as_ref().unwrap().codebook.version;
    // nothing reaches the codebook before accepting; then one new version
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
    // merge the first proposed category into the second in the review
    h.get_all_by_label("Merge into").next().unwrap().click();
    h.run_steps(2);
    let second = proposal.categories[1].name.clone();
    h.get_by_label(&second).click();
    h.run_steps(2);
    assert_eq!(
        h.state()
            .axial
            .proposal
            .as_ref()
            .unwrap()
            .0
            .categories
            .len(),
        2
    );
    h.get_by_label("Accept into the codebook").click();
    h.run_steps(3);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.codebook.version, version + 1);
    assert_eq!(p.codebook.categories.len(), 2);
    assert!(
        p.codebook
            .changelog
            .last()
            .unwrap()
            .change
            .starts_with("accepted proposal from offline clusterer, edited by ana")
    );
    // suggestions are on every trace with a note, and do not count until confirmed
    let s = state(&h, "tr-0000005").unwrap();
    assert_eq!(s.suggested.len(), 1);
    assert!(s.categories.is_empty());
    assert_eq!(
        h.state()
            .pareto()
            .categories
            .iter()
            .map(|r| r.count)
            .sum::<usize>(),
        0
    );
    assert!(
        h.query_all_by_label(&format!("suggested {}", s.suggested[0]))
            .next()
            .is_some()
    );
    press(&mut h, Key::Y);
    let s = state(&h, "tr-0000005").unwrap();
    assert!(s.suggested.is_empty());
    assert_eq!(s.categories.len(), 1);
    assert_eq!(
        h.state()
            .pareto()
            .categories
            .iter()
            .map(|r| r.count)
            .sum::<usize>(),
        1
    );
    press(&mut h, Key::K);
    press(&mut h, Key::R);
    let s = state(&h, "tr-0000004").unwrap();
    assert!(s.suggested.is_empty() && s.categories.is_empty());
    // the table shows the rest as outlined chips; a label filter keeps only them
    let left = |h: &egui_kittest::Harness<'_, errata::app::ErrataApp>| {
        h.state()
            .ws
            .project
            .as_ref()
            .unwrap()
            .labels
            .latest()
            .iter()
            .filter(|e| !e.suggested.is_empty())
            .count()
    };
    let n = left(&h);
    assert!(n > 0);
    let ctx = h.ctx.clone();
    let only = errata::project::LabelFilter {
        has_suggestions: true,
        ..Default::default()
    };
    h.state_mut()
        .apply(&ctx, errata::app::Action::SetLabelFilter(only));
    h.run_steps(3);
    assert_eq!(h.state().ws.data.as_ref().unwrap().view.len(), n);
    let notice = |h: &egui_kittest::Harness<'_, errata::app::ErrataApp>| {
        h.state()
            .notices
            .iter()
            .any(|x| x.text.contains("to confirm (y) or reject (r)"))
    };
    assert!(notice(&h));
    // rejecting them one by one (the view keeps its rows while you work) clears the message
    press(&mut h, Key::Home);
    for _ in 0..n {
        press(&mut h, Key::R);
        press(&mut h, Key::J);
    }
    assert_eq!(left(&h), 0);
    assert!(!notice(&h), "the message clears when no suggestion is left");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_connection_reports_the_model_answer() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 65536];
        let _ = s.read(&mut buf);
        let body = r#"{"choices":[{"message":{"role":"assistant","content":"OK"}}]}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(reply.as_bytes()).unwrap();
    });
    let dir = root("connection");
    let mut h = app(&dir);
    press(&mut h, Key::A);
    {
        let a = &mut h.state_mut().axial;
        a.provider.api = errata::llm::client::Api::OpenAi;
        a.provider.base_url = format!("http://127.0.0.1:{port}/v1");
        a.provider.model = "m".into();
    }
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    for _ in 0..200 {
        h.step();
        if h.state()
            .axial
            .status
            .as_deref()
            .is_some_and(|s| s.starts_with("connected"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        h.state().axial.status.as_deref(),
        Some("connected: the model answered \"OK\"")
    );
    server.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn weekly_batch_queue_and_judge_spot_check() {
    let dir = root("weekly");
    let mut h = app(&dir);
    h.state_mut().weekly.name = "2026-W48".into();
    // reached from the menu, as a user does
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Sample a review batch…").click();
    h.run_steps(2);
    assert!(h.state().weekly.sample_open);
    h.get_by_label("Draw").click();
    h.run_steps(3);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.file.batches.len(), 1);
    assert_eq!(p.file.batches[0].trace_ids.len(), 15);
    assert_eq!(p.file.batches[0].strategy, "uniform");
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.view.len(), 15);
    assert_eq!(d.filters.batch.as_deref(), Some("2026-W48"));
    assert!(h.query_all_by_label("0 of 15 reviewed").next().is_some());
    // a tag coined while reviewing the batch is a new category candidate
    press(&mut h, Key::T);
    type_text(&mut h, "overbooking");
    press(&mut h, Key::Enter);
    let cb = &h.state().ws.project.as_ref().unwrap().codebook;
    assert_eq!(cb.categories[0].candidate_from.as_deref(), Some("2026-W48"));
    assert!(
        h.query_all_by_label("new category candidates: overbooking")
            .next()
            .is_some()
    );
    press(&mut h, Key::Num1); // untag again: the verdict test below wants clean traces
    // review the queue: verdicts for the first three (the judge says pass or fail per trace)
    press(&mut h, Key::Home);
    for k in [Key::F, Key::J, Key::P, Key::J, Key::F] {
        press(&mut h, k);
    }
    assert!(h.query_all_by_label("3 of 15 reviewed").next().is_some());
    // the same seed on the same data draws the same traces (the reviewed ones excluded)
    let first: Vec<String> = {
        let d = h.state().ws.data.as_ref().unwrap();
        d.view
            .iter()
            .take(3)
            .map(|&r| d.store.id(r as usize).to_owned())
            .collect()
    };
    // judge agreement against a hand count (the window from the menu)
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Judge agreement…").click();
    h.run_steps(2);
    assert!(h.state().weekly.judge_open);
    h.state_mut().weekly.judge_column = "judge.verdict".into();
    h.state_mut().weekly.rationale_column = "judge.rationale".into();
    h.run_steps(3);
    let (_, a, spots) = h.state().weekly.result.clone().unwrap();
    let d = h.state().ws.data.as_ref().unwrap();
    let col = d.store.column_index("judge.verdict").unwrap();
    let (mut agree, mut n) = (0, 0);
    for id in &first[..3] {
        let r = d.store.row_of_id(id).unwrap();
        let judge_fail = d.store.cell(r, col).as_deref() == Some("fail");
        let human_fail = h
            .state()
            .ws
            .project
            .as_ref()
            .unwrap()
            .state(id)
            .unwrap()
            .verdict
            == Some(Verdict::Fail);
        n += 1;
        agree += usize::from(judge_fail == human_fail);
    }
    assert_eq!(a.n, n);
    assert!((a.agreement.unwrap() - agree as f64 / n as f64).abs() < 1e-12);
    assert_eq!(spots.len(), 3);
    assert!(spots.iter().all(|s| !s.rationale.is_empty()));
    assert!(!a.warnings.is_empty(), "3 traces cannot support a rate");
    // the owner accepts the candidate
    h.state_mut().weekly.judge_open = false;
    press(&mut h, Key::B);
    h.get_by_label("Accept candidate").click();
    h.run_steps(2);
    let cb = &h.state().ws.project.as_ref().unwrap().codebook;
    assert_eq!(cb.categories[0].candidate_from, None);
    assert!(
        cb.changelog
            .last()
            .unwrap()
            .change
            .contains("a candidate from batch 2026-W48")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inter_annotator_agreement_lists_disagreements() {
    let dir = root("annotators");
    let mut h = app(&dir);
    for (author, keys) in [
        ("ana", [Key::F, Key::J, Key::F]),
        ("bo", [Key::F, Key::J, Key::P]),
    ] {
        h.state_mut().settings.author = author.into();
        press(&mut h, Key::Home);
        for k in keys {
            press(&mut h, k);
        }
    }
    h.state_mut().weekly.judge_open = true;
    h.state_mut().weekly.annotators = ("ana".into(), "bo".into());
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("2 traces labelled by both")
            .next()
            .is_some()
    );
    assert!(h.query_all_by_label("they disagree on 1:").next().is_some());
    assert!(h.query_all_by_label("tr-0000001").next().is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn add_traces_appends_a_batch_and_skips_duplicates() {
    let dir = root("add");
    let week2 = dir.join("week2.jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    // one trace already in the demo (same id), two new ones
    let demo_line = errata::demo::DEMO_JSONL
        .split(|b| *b == b'\n')
        .next()
        .unwrap();
    let mut text = String::from_utf8(demo_line.to_vec()).unwrap();
    text.push('\n');
    for i in 0..2 {
        text.push_str(&format!("{{\"trace_id\":\"new-{i}\",\"input\":[{{\"role\":\"user\",\"content\":\"q{i}\"}}],\"output\":{{\"role\":\"assistant\",\"content\":\"a{i}\"}}}}\n"));
    }
    std::fs::write(&week2, text).unwrap();
    let mut h = app(&dir);
    press(&mut h, Key::F); // a label on the old dump survives the append
    h.state_mut().adding_batch = Some("2026-W49".into());
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, errata::app::Action::OpenPaths(vec![week2]));
    wait_for_jobs(&mut h);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 302);
    assert_eq!(d.store.id(301), "new-1");
    // the batch is a column: filterable like any metadata
    let batch = d.store.column_index("batch").unwrap();
    assert_eq!(d.store.cell(301, batch).as_deref(), Some("2026-W49"));
    assert_eq!(d.store.cell(0, batch), None);
    let p = h.state().ws.project.as_ref().unwrap();
    let batch = p
        .file
        .batches
        .iter()
        .find(|b| b.name == "2026-W49")
        .unwrap();
    assert_eq!(batch.trace_ids, ["new-0", "new-1"]);
    assert_eq!(
        state(&h, "tr-0000000").unwrap().verdict,
        Some(Verdict::Fail)
    );
    assert!(h.state().notices.iter().any(|n| {
        n.text
            .contains("added 2 traces as batch 2026-W49 (column `batch`); 1 already in the dump")
    }));
    h.state_mut().filter_bar.sql = "batch = '2026-W49'".into();
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        errata::app::Action::SetSql("batch = '2026-W49'".into()),
    );
    wait_for_jobs(&mut h);
    assert_eq!(h.state().ws.data.as_ref().unwrap().view, [300, 301]);
    // sampling draws from the view; the week's review batch does not replace the added batch
    h.state_mut().apply(
        &ctx,
        errata::app::Action::DrawSample(errata::coding::sampling::SampleRequest {
            name: "2026-W49".into(),
            n: 15,
            seed: 1,
            strategy: errata::coding::sampling::Strategy::Uniform,
        }),
    );
    h.run_steps(2);
    {
        let p = h.state().ws.project.as_ref().unwrap();
        let names: Vec<&str> = p.file.batches.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["2026-W49", "2026-W49 review"]);
        let mut drawn = p.file.batches[1].trace_ids.clone();
        drawn.sort();
        assert_eq!(drawn, ["new-0", "new-1"]);
    }
    h.state_mut()
        .apply(&ctx, errata::app::Action::SetBatch(None));
    h.state_mut()
        .apply(&ctx, errata::app::Action::SetSql(String::new()));
    drop(h);
    // reopening the dump brings the added traces back, in their batch
    let mut h = app(&dir);
    wait_for_jobs(&mut h);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 302);
    let batch = d.store.column_index("batch").unwrap();
    assert_eq!(d.store.cell(300, batch).as_deref(), Some("2026-W49"));
    assert!(h.state().notices.iter().any(|n| {
        n.text
            .contains("2 traces added earlier are back (batches 2026-W49)")
    }));
    assert_eq!(
        state(&h, "tr-0000000").unwrap().verdict,
        Some(Verdict::Fail)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn adding_a_differently_shaped_file_asks_for_its_fields() {
    let dir = root("addshape");
    let week = dir.join("other.jsonl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        &week,
        "{\"span\":\"s-1\",\"prompt\":\"Is my bag free?\",\"completion\":\"Yes.\"}\n\
         {\"span\":\"s-2\",\"prompt\":\"Can I bring my cat?\",\"completion\":\"No.\"}\n",
    )
    .unwrap();
    let mut h = app(&dir);
    h.state_mut().adding_batch = Some("2026-W50".into());
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, errata::app::Action::OpenPaths(vec![week]));
    wait_for_jobs(&mut h);
    // nothing added yet: the window names what differs and asks
    assert_eq!(h.state().ws.data.as_ref().unwrap().store.len(), 300);
    h.get_by_label_contains("`trace_id` (the dump's id) is missing in 2 of 2 new records");
    {
        let pending = h.state_mut().pending_append.as_mut().unwrap();
        pending.draft.id = Some(errata::trace::FieldPath::top("span"));
        pending.draft.input = Some(errata::trace::FieldPath::top("prompt"));
        pending.draft.output = Some(errata::trace::FieldPath::top("completion"));
    }
    h.run_steps(2);
    h.get_by_label("Add with this mapping").click();
    h.run_steps(2);
    wait_for_jobs(&mut h);
    assert!(h.state().pending_append.is_none());
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 302);
    assert_eq!(d.store.id(300), "s-1");
    assert_eq!(d.store.raw_input(300), Some("\"Is my bag free?\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn category_judge_precision_recall_is_shown() {
    let dir = root("catjudge");
    let mut h = app(&dir);
    // the demo's `feature` column stands in for a category judge
    press(&mut h, Key::T);
    type_text(&mut h, "refunds");
    press(&mut h, Key::Enter);
    {
        let w = &mut h.state_mut().weekly;
        w.judge_open = true;
        w.judge_column = "feature".into();
        w.category_judge = true;
    }
    h.run_steps(3);
    // tr-0000000 is a refunds trace tagged "refunds": precision and recall 100 %
    assert!(h.query_all_by_label("100 %").count() >= 2);
    assert!(h.query_all_by_label("refunds").next().is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn review_split_adds_a_category_to_move_notes_into() {
    let dir = root("split");
    let mut h = app(&dir);
    for n in ["tool not called", "booking tool skipped", "wrong date"] {
        press(&mut h, Key::E);
        type_text(&mut h, n);
        press(&mut h, Key::Escape);
        press(&mut h, Key::J);
    }
    press(&mut h, Key::A);
    h.get_by_label("Propose categories (offline)").click();
    h.run_steps(3);
    let before = h
        .state()
        .axial
        .proposal
        .as_ref()
        .unwrap()
        .0
        .categories
        .len();
    let first = h.state().axial.proposal.as_ref().unwrap().0.categories[0]
        .name
        .clone();
    h.get_all_by_label("Split").next().unwrap().click();
    h.run_steps(2);
    let cats = &h.state().axial.proposal.as_ref().unwrap().0.categories;
    assert_eq!(cats.len(), before + 1);
    assert_eq!(cats[1].name, format!("{first} (split)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn oversampling_without_a_predicate_says_what_is_missing() {
    let dir = root("nopredicate");
    let mut h = app(&dir);
    let ctx = h.ctx.clone();
    h.state_mut().apply(
        &ctx,
        errata::app::Action::DrawSample(errata::coding::sampling::SampleRequest {
            name: "w".into(),
            n: 15,
            seed: 1,
            strategy: errata::coding::sampling::Strategy::Oversample {
                predicate: " ".into(),
                share: 0.5,
            },
        }),
    );
    h.run_steps(2);
    assert!(h.state().notices.iter().any(|n| {
        n.error
            && n.text
                .starts_with("oversampling needs a WHERE predicate that marks the failures")
    }));
    assert!(
        h.state()
            .ws
            .project
            .as_ref()
            .unwrap()
            .file
            .batches
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_status_the_web_page_publishes_follows_the_app() {
    let dir = root("status");
    let mut h = app(&dir);
    let s = h.state().status();
    assert_eq!(
        (s.dump.as_str(), s.traces, s.shown, s.reviewed),
        ("demo_traces.jsonl", 300, 300, 0)
    );
    press(&mut h, Key::F);
    let s = h.state().status();
    assert_eq!((s.reviewed, s.failed, s.coded), (1, 1, 0));
    assert!(s.loading.is_none() && s.errors.is_empty(), "{s:?}");
    // the JSON keys are what the e2e test and scripts read
    let v = serde_json::to_value(&s).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "dump", "traces", "spans", "tree", "shown", "reviewed", "failed", "coded", "loading",
            "errors", "fonts", "remote"
        ]
    );
    // one record a trace: as many spans as traces, no span tree
    assert_eq!((s.spans, s.tree), (300, 0));
    let fonts: Vec<&str> = v["fonts"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fonts, ["loaded", "pending", "failed", "missing"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn add_traces_window_takes_a_dropped_file_as_a_batch() {
    let dir = root("adddrop");
    std::fs::create_dir_all(&dir).unwrap();
    let week = dir.join("week.jsonl");
    std::fs::write(
        &week,
        "{\"trace_id\":\"wk-1\",\"input\":\"q\",\"output\":\"a\"}\n",
    )
    .unwrap();
    let mut h = app(&dir);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Add traces to this dump").click();
    h.run_steps(4);
    assert!(h.state().adding_open);
    h.get_by_label("Choose files…");
    h.get_by_label("Fetch");
    h.state_mut().weekly.name = "2026-W50".into();
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(week)));
    wait_for_jobs(&mut h);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 301);
    let batch = d.store.column_index("batch").unwrap();
    assert_eq!(d.store.cell(300, batch).as_deref(), Some("2026-W50"));
    // done: the window closes, and the next drop opens again
    assert!(!h.state().adding_open);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_drop_opens_its_file_even_after_add_traces_was_chosen() {
    let dir = root("dropopen");
    std::fs::create_dir_all(&dir).unwrap();
    let other = dir.join("other.jsonl");
    std::fs::write(&other, "{\"id\":\"x\",\"input\":\"q\",\"output\":\"a\"}\n").unwrap();
    let mut h = app(&dir);
    // files picked for "Add traces…" earlier (the window since closed), then a file dropped
    h.state_mut().adding_batch = Some("2026-W48".into());
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(other)));
    wait_for_jobs(&mut h);
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 1);
    assert!(h.state().adding_batch.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file dropped on the window, as the native shell hands it over.
#[derive(Debug)]
struct DroppedPath(std::path::PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn reopening_a_dump_reads_its_added_batches_in_the_same_load() {
    let dir = root("reopen");
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("dump.jsonl");
    let week = dir.join("week.jsonl");
    std::fs::write(&dump, errata::demo::DEMO_JSONL).unwrap();
    let new = |i: usize| {
        format!(
            "{{\"trace_id\":\"new-{i}\",\"input\":[{{\"role\":\"user\",\"content\":\"q{i}\"}}],\"output\":{{\"role\":\"assistant\",\"content\":\"a{i}\"}}}}\n"
        )
    };
    std::fs::write(&week, format!("{}{}", new(0), new(1))).unwrap();
    let mut h = common::app_opening(&dir, vec![dump.clone()]);
    wait_for_jobs(&mut h);
    h.state_mut().adding_batch = Some("W1".into());
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, errata::app::Action::OpenPaths(vec![week]));
    wait_for_jobs(&mut h);
    assert_eq!(h.state().ws.data.as_ref().unwrap().store.len(), 302);
    drop(h);

    // the loads a reopening runs, and what the first one brought
    let reopen = || {
        let mut h = common::app_opening(&dir, vec![dump.clone()]);
        let mut jobs: Vec<String> = Vec::new();
        for _ in 0..1000 {
            h.step();
            if let Some(j) = &h.state().job
                && jobs.last() != Some(&j.label)
            {
                jobs.push(j.label.clone());
            }
            if h.state().job.is_none() && h.state().ws.data.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let first = h.state().ws.data.as_ref().unwrap().store.len();
        wait_for_jobs(&mut h);
        for _ in 0..20 {
            h.step();
            if let Some(j) = &h.state().job
                && jobs.last() != Some(&j.label)
            {
                jobs.push(j.label.clone());
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        wait_for_jobs(&mut h);
        (h, jobs, first)
    };
    let (h, jobs, first) = reopen();
    assert_eq!(jobs.len(), 1, "one load: {jobs:?}");
    assert_eq!(first, 302, "the batch came with the dump");
    let d = h.state().ws.data.as_ref().unwrap();
    let batch = d.store.column_index("batch").unwrap();
    assert_eq!(d.store.cell(301, batch).as_deref(), Some("W1"));
    assert_eq!(d.store.cell(0, batch), None);
    assert!(h.state().notices.iter().any(|n| {
        n.text
            .contains("2 traces added earlier are back (batches W1)")
    }));
    drop(h);

    // the dump now holds one of the batch's traces itself: read with the dump, the ids would
    // repeat, so the dump is read alone and the batch re-added after it, the repeat skipped
    let mut text = String::from_utf8(errata::demo::DEMO_JSONL.to_vec()).unwrap();
    text.push_str(&new(0));
    std::fs::write(&dump, text).unwrap();
    let (h, jobs, _) = reopen();
    assert_eq!(jobs.len(), 2, "the dump, then its batch: {jobs:?}");
    let d = h.state().ws.data.as_ref().unwrap();
    assert_eq!(d.store.len(), 302);
    assert!(matches!(
        d.store.identity,
        errata::trace::Identity::Field(_)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
