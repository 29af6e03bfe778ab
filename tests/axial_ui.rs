//! Axial coding from coined tags, driven as an expert does: tags coined while open coding (`t`,
//! a name, Enter), a few notes without tags, "Propose categories (offline)", accept; every
//! tagged trace then carries the category its tag went to, and the Pareto has 3–7 bars.

#![cfg(not(target_arch = "wasm32"))] // drives the native app and its project files
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

mod common;

use common::{app, press, root, type_text};
use egui::Key;
use egui_kittest::kittest::Queryable as _;

#[test]
fn ten_coined_tags_become_three_to_seven_categories_and_every_trace_follows() {
    let dir = root("axial-tags");
    let mut h = app(&dir);
    // ten tags in five themes, each coined on a trace of its own, as the keyboard invites
    let coined = [
        ("wrong date", "tour booked on the wrong day"),
        ("no handoff", "kept looping instead of escalating"),
        ("made up fee", "invented a $50 amenity fee"),
        ("rude", "dismissive reply"),
        ("no tool call", "never queried the listings"),
        ("date off", "move-in date off by one"),
        ("needs human", "wanted an agent, never transferred"),
        ("fake policy", "hallucinated a pet policy"),
        ("curt", "short and cold tone"),
        (
            "skipped lookup",
            "said yes without checking the calendar tool",
        ),
    ];
    for (i, (tag, note)) in coined.iter().enumerate() {
        if i > 0 {
            press(&mut h, Key::J);
        }
        press(&mut h, Key::F);
        press(&mut h, Key::E);
        type_text(&mut h, note);
        press(&mut h, Key::Escape);
        press(&mut h, Key::T);
        type_text(&mut h, tag);
        press(&mut h, Key::Enter);
        press(&mut h, Key::Escape);
    }
    // two notes without a tag that belong with the handoff tags
    for note in [
        "should connect them to the leasing staff",
        "connect to a person when they ask",
    ] {
        press(&mut h, Key::J);
        press(&mut h, Key::F);
        press(&mut h, Key::E);
        type_text(&mut h, note);
        press(&mut h, Key::Escape);
    }
    let tagged: Vec<(String, Vec<String>)> = {
        let p = h.state().ws.project.as_ref().unwrap();
        assert_eq!(p.codebook.categories.len(), 10, "ten coined tags");
        p.labels
            .latest()
            .into_iter()
            .map(|e| (e.trace_id.clone(), e.categories.clone()))
            .collect()
    };
    press(&mut h, Key::A);
    h.get_by_label("Propose categories (offline)").click();
    h.run_steps(3);
    let (proposal, _) = h.state().axial.proposal.clone().unwrap();
    assert!(
        (3..=7).contains(&proposal.categories.len()),
        "{:#?}",
        proposal.categories
    );
    // every tag absorbed by exactly one category, and shown as absorbed
    for (tag, _) in coined {
        let n = proposal
            .categories
            .iter()
            .filter(|c| c.tags.iter().any(|t| t == tag))
            .count();
        assert_eq!(n, 1, "{tag}: {:#?}", proposal.categories);
    }
    assert!(h.query_all_by_label("absorbs the tags").next().is_some());
    let went_to = |tag: &str| {
        proposal
            .categories
            .iter()
            .find(|c| c.tags.iter().any(|t| t == tag))
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(went_to("no handoff"), went_to("needs human"));
    assert_eq!(went_to("wrong date"), went_to("date off"));
    let handoff = proposal
        .categories
        .iter()
        .find(|c| c.name == went_to("no handoff"))
        .unwrap();
    assert!(
        handoff.examples.iter().any(|e| e.contains("connect them")),
        "{handoff:#?}"
    );
    let version = h.state().ws.project.as_ref().unwrap().codebook.version;
    h.get_by_label("Accept into the codebook").click();
    h.run_steps(3);
    let p = h.state().ws.project.as_ref().unwrap();
    assert_eq!(p.codebook.version, version + 1, "one codebook version");
    assert!((3..=7).contains(&p.codebook.categories.len()));
    let change = &p.codebook.changelog.last().unwrap().change;
    assert!(change.contains("tags absorbed"), "{change}");
    // every tagged trace carries the category its tag went to, confirmed
    for (id, cats) in tagged {
        let now = &p.state(&id).unwrap().categories;
        for c in cats {
            assert!(
                now.contains(&went_to(&c)),
                "{id}: {c} → {}, has {now:?}",
                went_to(&c)
            );
        }
    }
    let bars = h
        .state()
        .pareto()
        .categories
        .iter()
        .filter(|r| r.count > 0)
        .count();
    assert!((3..=7).contains(&bars), "{bars} bars");
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_proposal_by_embeddings_comes_from_the_endpoint_into_the_same_review() {
    let dir = root("axial-embeddings");
    let mut h = app(&dir);
    propose_by_embeddings(&mut h, None);
    assert_eq!(h.state().axial.error, None);
    let (proposal, source) = h.state().axial.proposal.clone().unwrap();
    assert!(
        source.contains("embeddings") && source.contains("127.0.0.1"),
        "{source}"
    );
    assert_eq!(proposal.categories.len(), 3, "{proposal:#?}");
    // without an LLM set up, the groups are named from their notes
    assert!(
        proposal
            .categories
            .iter()
            .any(|c| c.name == "invented facts"),
        "{proposal:#?}"
    );
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An OpenAI-compatible chat endpoint giving one canned answer (`status`, `content`).
fn serve_chat(status: &'static str, content: &str) -> u16 {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body =
        serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]})
            .to_string();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            common::read_request(&mut s);
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    port
}

fn propose_by_embeddings(
    h: &mut egui_kittest::Harness<'_, errata::app::ErrataApp>,
    chat: Option<u16>,
) {
    for (i, note) in [
        "did not call the booking tool",
        "booking tool never invoked",
        "wrong date given",
        "the date was off",
        "made up a fee",
        "invented a fee",
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            press(h, Key::J);
        }
        press(h, Key::F);
        press(h, Key::E);
        type_text(h, note);
        press(h, Key::Escape);
    }
    press(h, Key::A);
    let (port, _server) = common::serve_embeddings(1);
    let s = h.state_mut();
    s.axial.embeddings.url = format!("http://127.0.0.1:{port}");
    if let Some(chat) = chat {
        s.axial.provider.api = errata::llm::client::Api::OpenAi;
        s.axial.provider.base_url = format!("http://127.0.0.1:{chat}");
        s.axial.provider.model = "namer".into();
    } else {
        s.axial.provider.api_key.clear();
    }
    h.run_steps(2);
    h.get_by_label("Propose by embeddings").click();
    for _ in 0..500 {
        h.step();
        if h.state().axial.proposal.is_some() || h.state().axial.error.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn an_llm_set_up_names_the_groups_embeddings_made_and_a_failing_one_leaves_their_names() {
    let names = r#"{"categories":[{"name":"Booking tool skipped","description":"No tool call."},{"name":"Wrong dates","description":"Dates off."},{"name":"Invented fees","description":"Fees made up."}]}"#;
    let dir = root("axial-naming");
    let mut h = app(&dir);
    propose_by_embeddings(&mut h, Some(serve_chat("200 OK", names)));
    let (proposal, _) = h.state().axial.proposal.clone().unwrap();
    let mut got: Vec<String> = proposal.categories.iter().map(|c| c.name.clone()).collect();
    got.sort();
    assert_eq!(
        got,
        ["Booking tool skipped", "Invented fees", "Wrong dates"]
    );
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
    let dir = root("axial-naming-fails");
    let mut h = app(&dir);
    propose_by_embeddings(&mut h, Some(serve_chat("500 Internal Server Error", "")));
    let (proposal, _) = h.state().axial.proposal.clone().unwrap();
    assert_eq!(proposal.categories.len(), 3, "the groups stay");
    let status = h.state().axial.status.clone().unwrap_or_default();
    assert!(status.contains("could not name"), "{status}");
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}
