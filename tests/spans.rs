//! Agent traces: span records grouped into traces, the derived columns, the span tree, search
//! and copy over every span, first-failure marking (in the app and in the label log), and the
//! headless contract (`summary --json` keys, `--group-by`, the first-failure breakdown).

#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use errata::trace::load::{self, Progress, Source};
use errata::trace::schema::FieldOverrides;
use errata::trace::span_tree::Tree;
use errata::trace::{Loaded, TraceStore};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spans");

fn open_with(name: &str, fields: &FieldOverrides) -> Loaded {
    let path = format!("{DIR}/{name}");
    let bytes = std::fs::read(&path).unwrap();
    load::load_with(
        vec![Source::new(path, bytes)],
        None,
        fields,
        &Progress::default(),
        2,
    )
    .unwrap()
}

fn open(name: &str) -> Loaded {
    open_with(name, &FieldOverrides::default())
}

fn cell(store: &TraceStore, row: usize, column: &str) -> Option<String> {
    store.cell(row, store.column_index(column)?)
}

#[test]
fn every_span_export_opens_as_one_row_per_trace_with_derived_columns() {
    // (file, traces, spans, trace key, parent key)
    let cases = [
        ("phoenix-agent.jsonl", 2, 8, "context.trace_id", "parent_id"),
        ("otel-agent.json", 2, 8, "context.trace_id", "parent_id"),
        ("otlp-agent.json", 2, 8, "trace_id", "parent_span_id"),
        (
            "langfuse-observations.json",
            1,
            3,
            "traceId",
            "parentObservationId",
        ),
        (
            "claude-code-session.jsonl",
            1,
            10,
            "sessionId",
            "parentUuid",
        ),
        ("otel-clickhouse.jsonl", 2, 8, "TraceId", "ParentSpanId"),
    ];
    for (name, traces, spans, key, parent) in cases {
        let l = open(name);
        let s = &l.store;
        assert_eq!(l.skipped_count, 0, "{name}");
        assert_eq!(s.len(), traces, "{name}: traces");
        assert_eq!(s.span_count(), spans, "{name}: spans");
        let index = s.span_index().unwrap();
        assert_eq!(index.grouping.trace.to_string(), key, "{name}");
        assert_eq!(
            index
                .grouping
                .parent
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(parent),
            "{name}"
        );
        assert_eq!(
            s.identity.field(),
            Some(key),
            "{name}: the trace key is the id"
        );
        let total: i64 = (0..s.len())
            .map(|r| cell(s, r, "trace_spans").unwrap().parse::<i64>().unwrap())
            .sum();
        assert_eq!(total as usize, spans, "{name}: every span in one trace");
        assert!(
            s.format.as_deref().unwrap().contains("grouped into"),
            "{name}: {:?}",
            s.format
        );
        // every failing run has its error flag
        let errors = (0..s.len())
            .filter(|&r| cell(s, r, "trace_error").as_deref() == Some("true"))
            .count();
        assert_eq!(errors, 1, "{name}: one run in error");
    }
}

#[test]
fn derived_columns_hold_the_runs_numbers_and_the_root_gives_input_and_output() {
    let l = open("phoenix-agent.jsonl");
    let s = &l.store;
    // the second run: its tool timed out after 10 s and the agent made up an answer
    let r = (0..s.len())
        .find(|&r| cell(s, r, "trace_error").as_deref() == Some("true"))
        .unwrap();
    assert_eq!(cell(s, r, "trace_spans").as_deref(), Some("4"));
    assert_eq!(cell(s, r, "trace_tool_calls").as_deref(), Some("1"));
    assert_eq!(cell(s, r, "trace_tokens").as_deref(), Some("530"));
    assert_eq!(cell(s, r, "trace_models").as_deref(), Some("gpt-4o-mini"));
    assert_eq!(cell(s, r, "trace_duration_ms").as_deref(), Some("11402"));
    assert!(
        cell(s, r, "trace_start")
            .unwrap()
            .starts_with("2026-11-27T09:00:10")
    );
    assert_eq!(
        s.raw_input(r),
        Some("\"Do you allow dogs over 50 lb?\""),
        "the root AGENT span's input"
    );
    assert!(s.raw_output(r).unwrap().contains("all dogs are welcome"));
    // the trace row is its root span's row: metadata of the root
    assert_eq!(cell(s, r, "span_kind").as_deref(), Some("AGENT"));
    // usable in WHERE like any column
    let q = errata::trace::view::compute(
        s,
        &errata::trace::view::Filters {
            sql: "trace_error AND trace_duration_ms > 10000".into(),
            ..Default::default()
        },
        None,
        None,
        None,
        &[],
        None,
    )
    .unwrap();
    assert_eq!(q.rows, vec![r as u32]);
    // Langfuse: cost and tokens of the generation
    let l = open("langfuse-observations.json");
    assert_eq!(cell(&l.store, 0, "trace_tokens").as_deref(), Some("152"));
    assert_eq!(
        cell(&l.store, 0, "trace_cost").as_deref(),
        Some("0.0000268")
    );
    assert_eq!(
        cell(&l.store, 0, "trace_models").as_deref(),
        Some("gpt-4o-mini")
    );
}

#[test]
fn the_span_tree_nests_orders_folds_and_marks_errors() {
    let l = open("otel-agent.json");
    let s = &l.store;
    for r in 0..s.len() {
        let tree = Tree::of(s, r).unwrap();
        let names: Vec<(&str, u16)> = tree
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.depth))
            .collect();
        assert_eq!(
            names,
            [
                ("leasing_agent", 0),
                ("ChatCompletion", 1),
                ("lookup_policy", 1),
                ("ChatCompletion", 1)
            ]
        );
        assert_eq!(tree.nodes[0].kind, "AGENT");
        assert_eq!(tree.nodes[0].children, 3);
        assert!(
            tree.nodes
                .windows(2)
                .skip(1)
                .all(|w| w[0].start <= w[1].start)
        );
        assert!(tree.t1 > tree.t0);
        // folding the root hides its children
        let folded: std::collections::HashSet<usize> = [0].into();
        assert_eq!(tree.visible(&folded), vec![0]);
        assert_eq!(tree.visible(&Default::default()).len(), 4);
    }
    let failing = (0..s.len())
        .map(|r| Tree::of(s, r).unwrap())
        .find(|t| t.nodes.iter().any(|n| n.error))
        .unwrap();
    let errors: Vec<&str> = failing
        .nodes
        .iter()
        .filter(|n| n.error)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(errors, ["lookup_policy"]);
    // a store of single records has no tree
    let plain = load::load_bytes("p.jsonl", b"{\"id\":\"a\",\"input\":\"q\"}\n".to_vec()).unwrap();
    assert!(Tree::of(&plain.store, 0).is_none());
}

#[test]
fn a_transcript_reads_as_one_conversation_with_split_responses_merged() {
    let l = open("claude-code-session.jsonl");
    let s = &l.store;
    assert_eq!(s.id(0), "7b1e9f2c-4d3a-4b8e-9a61-2f0d5c8e1a47");
    assert!(s.mapping.split_conversation);
    let (input, output) = errata::trace::content::split_conversation(s.raw_input(0));
    let text = errata::trace::content::plain_text(&input);
    assert!(text.contains("It should start after the 5th"), "{text}");
    assert!(
        errata::trace::content::plain_text(&output).contains("I did not run the tests"),
        "the last assistant turn is the output"
    );
    assert_eq!(cell(s, 0, "trace_tool_calls").as_deref(), Some("3"));
    assert_eq!(cell(s, 0, "trace_error").as_deref(), Some("true"));
    // the two lines of response msg_01 repeat its usage: counted once
    assert_eq!(cell(s, 0, "trace_tokens").as_deref(), Some("9718"));
    // the session's own fields, not the summary line's
    assert_eq!(cell(s, 0, "gitBranch").as_deref(), Some("main"));
    let tree = Tree::of(s, 0).unwrap();
    // 10 lines: the two lines of response msg_01 are one span
    assert_eq!(tree.nodes.len(), 9);
    let merged = tree.nodes.iter().find(|n| n.spans.len() == 2).unwrap();
    assert_eq!(merged.name, "assistant: text, Read");
    assert!(
        tree.nodes.iter().all(|n| n.depth == 0),
        "a transcript is not a staircase"
    );
    let failed: Vec<&str> = tree
        .nodes
        .iter()
        .filter(|n| n.error)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(failed, ["user: tool result"]);
}

#[test]
fn search_covers_every_span_and_copy_gives_every_record() {
    let l = open("phoenix-agent.jsonl");
    let s = &l.store;
    let search = |text: &str| {
        errata::trace::view::compute(
            s,
            &errata::trace::view::Filters {
                search: errata::trace::filter::Search {
                    text: text.into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            None,
            None,
            None,
            &[],
            None,
        )
        .unwrap()
        .rows
    };
    // only in the tool span's output (and the next LLM call's input), not the root's
    let hits = search("a $50 late fee applies after the 5th");
    assert_eq!(hits.len(), 1);
    let r = hits[0] as usize;
    assert!(!s.raw_output(r).unwrap().contains("applies after the 5th"));
    assert_eq!(search("Use tools for policy questions").len(), 2);
    let copied: serde_json::Value = serde_json::from_str(&s.trace_json(r)).unwrap();
    let records = copied.as_array().unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0]["span_kind"], "AGENT");
    // the originals, unchanged
    assert_eq!(s.records_of(r).len(), 4);
    for (rec, original) in records.iter().zip(s.records_of(r)) {
        assert_eq!(
            rec,
            &serde_json::from_str::<serde_json::Value>(original).unwrap()
        );
    }
}

#[test]
fn grouping_is_detected_only_when_records_share_keys_or_link_parents_and_can_be_overridden() {
    // single-span traces (each key once, no parent) stay one record a trace
    let single = b"{\"trace_id\":\"a\",\"span_id\":\"1\",\"parent_span_id\":null,\"input\":\"q\"}\n{\"trace_id\":\"b\",\"span_id\":\"2\",\"parent_span_id\":null,\"input\":\"q2\"}\n";
    let l = load::load_bytes("s.jsonl", single.to_vec()).unwrap();
    assert!(l.store.span_index().is_none());
    assert_eq!(l.store.len(), 2);
    // --group-by none: every span a row again
    let none = FieldOverrides {
        group_by: Some("none".into()),
        ..Default::default()
    };
    let l = open_with("phoenix-agent.jsonl", &none);
    assert_eq!(l.store.len(), 8);
    assert!(l.store.span_index().is_none());
    // --group-by a field of one's choosing (here: the span kind)
    let by_kind = FieldOverrides {
        group_by: Some("span_kind".into()),
        ..Default::default()
    };
    let l = open_with("phoenix-agent.jsonl", &by_kind);
    assert_eq!(l.store.len(), 3, "AGENT, LLM, TOOL");
    assert_eq!(l.store.identity.field(), Some("span_kind"));
    // a path no record has is said
    let missing = FieldOverrides {
        group_by: Some("session.nope".into()),
        ..Default::default()
    };
    let l = open_with("phoenix-agent.jsonl", &missing);
    assert!(
        l.warnings.iter().any(|w| w.contains("session.nope")),
        "{:?}",
        l.warnings
    );
}

#[test]
fn a_million_spans_shape_groups_at_scale() {
    // a generated dump of the benchmark's shape, small: grouped in one pass, ids unique
    let text = errata::synth::generate_spans(200, 7);
    let l = load::load_bytes("g.jsonl", text.into_bytes()).unwrap();
    let s = &l.store;
    assert_eq!(s.len(), 200);
    assert!(s.span_count() > 200 * 3);
    let ids: std::collections::HashSet<&str> = (0..s.len()).map(|r| s.id(r)).collect();
    assert_eq!(ids.len(), 200);
    assert!((0..s.len()).any(|r| cell(s, r, "trace_error").as_deref() == Some("true")));
}

#[test]
fn a_mapping_saved_before_grouping_existed_still_groups_and_a_chosen_none_does_not() {
    let path = format!("{DIR}/phoenix-agent.jsonl");
    let open_mapped = |json: &str| {
        let mapping: errata::trace::FieldMapping = serde_json::from_str(json).unwrap();
        load::load(
            vec![Source::new(path.clone(), std::fs::read(&path).unwrap())],
            Some(mapping),
            &Progress::default(),
            1,
        )
        .unwrap()
    };
    // project.json of an earlier errata: no group_by key
    let old = open_mapped(
        r#"{"id":["context.span_id"],"input":["attributes.input.value"],"output":["name"],"split_conversation":false}"#,
    );
    assert_eq!(old.store.len(), 2);
    assert_eq!(
        old.store.mapping.output.as_ref().unwrap().to_string(),
        "name"
    );
    // a person chose no grouping: kept
    let none = open_mapped(
        r#"{"id":["context.span_id"],"input":["attributes.input.value"],"output":["attributes.output.value"],"split_conversation":false,"grouping_chosen":true}"#,
    );
    assert_eq!(none.store.len(), 8);
    // and it round-trips through project.json
    let saved = serde_json::to_string(&none.store.mapping).unwrap();
    assert!(
        saved.contains("\"grouping_chosen\":true") && !saved.contains("group_by"),
        "{saved}"
    );
}

#[test]
fn a_trace_whose_root_is_missing_still_has_metadata() {
    // a partial export: the second trace's root span was not exported
    let text = [
        r#"{"trace_id":"a","span_id":"1","parent_span_id":null,"name":"agent","env":"prod","input":"qa"}"#,
        r#"{"trace_id":"a","span_id":"2","parent_span_id":"1","name":"llm","env":"prod","output":"x"}"#,
        r#"{"trace_id":"b","span_id":"4","parent_span_id":"3","name":"llm","env":"staging","input":"qb"}"#,
        r#"{"trace_id":"b","span_id":"5","parent_span_id":"3","name":"tool","env":"staging"}"#,
    ]
    .join("\n");
    let l = load::load_bytes("partial.jsonl", text.into_bytes()).unwrap();
    let s = &l.store;
    assert_eq!((s.len(), s.span_count()), (2, 4));
    assert_eq!(cell(s, 0, "env").as_deref(), Some("prod"));
    assert_eq!(cell(s, 0, "name").as_deref(), Some("agent"));
    assert_eq!(
        cell(s, 1, "env").as_deref(),
        Some("staging"),
        "read from its first span"
    );
    assert_eq!(cell(s, 1, "name").as_deref(), Some("llm"));
    let tree = Tree::of(s, 1).unwrap();
    assert_eq!(tree.nodes.len(), 2, "both orphans are roots of the tree");
}

#[test]
fn langfuse_and_mlflow_trace_documents_show_their_spans_as_a_tree() {
    let open_format = |name: &str| {
        let path = format!(
            "{}/tests/fixtures/formats/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        load::load_bytes(&path, std::fs::read(&path).unwrap()).unwrap()
    };
    let l = open_format("langfuse-trace.json");
    let tree = Tree::of(&l.store, 0).unwrap();
    let shape: Vec<(u16, &str)> = tree
        .nodes
        .iter()
        .map(|n| (n.depth, n.kind.as_str()))
        .collect();
    assert_eq!(shape, [(0, "TRACE"), (1, "SPAN"), (1, "GENERATION")]);
    let l = open_format("mlflow-trace.json");
    let tree = Tree::of(&l.store, 0).unwrap();
    let shape: Vec<(u16, &str)> = tree
        .nodes
        .iter()
        .map(|n| (n.depth, n.name.as_str()))
        .collect();
    assert_eq!(shape.len(), 2);
    assert_eq!((shape[0].0, shape[1].0), (0, 1), "{shape:?}");
    assert!(tree.t1 > tree.t0, "timed from start_time_unix_nano");
    // the trace row is the root span's, with the trace's own fields
    assert_eq!(cell(&l.store, 0, "state").as_deref(), Some("OK"));
}

#[test]
fn rows_exported_from_the_collectors_clickhouse_table_make_runs() {
    // `SELECT * FROM otel_traces FORMAT JSONEachRow`: Map attributes, DateTime64, ns durations
    let l = open("otel-clickhouse.jsonl");
    let s = &l.store;
    let r = (0..s.len())
        .find(|&r| cell(s, r, "trace_error").as_deref() == Some("true"))
        .unwrap();
    assert_eq!(cell(s, r, "trace_duration_ms").as_deref(), Some("11400"));
    assert_eq!(cell(s, r, "trace_tokens").as_deref(), Some("530"));
    assert_eq!(cell(s, r, "trace_models").as_deref(), Some("gpt-4o-mini"));
    assert_eq!(s.raw_input(r), Some("\"Do you allow dogs over 50 lb?\""));
    let tree = Tree::of(s, r).unwrap();
    let shape: Vec<(u16, &str, &str)> = tree
        .nodes
        .iter()
        .map(|n| (n.depth, n.kind.as_str(), n.name.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            (0, "AGENT", "leasing_agent"),
            (1, "LLM", "ChatCompletion"),
            (1, "TOOL", "lookup_policy"),
            (1, "LLM", "ChatCompletion")
        ]
    );
    assert!(tree.nodes[2].error);
}
