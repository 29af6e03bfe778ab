//! Loader tests: formats, field detection, identity, types, bad input, the shared course dumps.

#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use std::io::Write as _;

use errata::trace::content::{self, Content};
use errata::trace::load::{self, Progress, Source};
use errata::trace::{FieldMapping, FieldPath, Identity};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The fixtures are compiled in, so that these tests also run as wasm (no file system there).
fn fixture(name: &str) -> Vec<u8> {
    match name {
        "malformed.jsonl" => include_bytes!("fixtures/malformed.jsonl").to_vec(),
        "openinference.jsonl" => include_bytes!("fixtures/openinference.jsonl").to_vec(),
        "anthropic.json" => include_bytes!("fixtures/anthropic.json").to_vec(),
        "not_traces.html" => include_bytes!("fixtures/not_traces.html").to_vec(),
        other => panic!("no fixture {other}"),
    }
}

/// A course dump from `../shared/data`, which the test needs: a missing one fails, saying
/// where it looked (the wasm build has no file system: those tests are native only).
#[cfg(not(target_arch = "wasm32"))]
fn shared(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("this test reads {path} ({e})"))
}

fn load_str(text: &str) -> load::Loaded {
    load::load_bytes("test.jsonl", text.as_bytes().to_vec()).unwrap()
}

fn col_type(l: &load::Loaded, name: &str) -> String {
    l.store
        .columns()
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.dtype.clone())
        .unwrap_or_default()
}

#[test]
fn malformed_lines_are_skipped_with_line_numbers() {
    let l = load::load_bytes("malformed.jsonl", fixture("malformed.jsonl")).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.skipped_count, 3);
    let lines: Vec<u32> = l.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(l.skipped[0].reason.contains("EOF"), "{:?}", l.skipped[0]);
    assert!(l.skipped[1].reason.contains("not JSON"));
    assert!(l.skipped[2].reason.contains("a number"));
    assert_eq!(
        l.skipped[0].to_string(),
        format!("malformed.jsonl:2: {}", l.skipped[0].reason)
    );
    // int and float in one column become f64; the record on line 6 keeps its line number
    assert_eq!(col_type(&l, "latency_ms"), "f64");
    assert_eq!(l.store.location(1), "malformed.jsonl:6");
    assert_eq!(l.store.id(1), "c");
}

#[test]
fn types_are_inferred_over_the_whole_file() {
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!(
            "{{\"id\":\"t{i}\",\"input\":\"q\",\"output\":\"a\",\"n\":{i},\"flag\":{},\"late\":{}}}\n",
            i % 2 == 0,
            if i == 4999 { "\"text at the end\"".to_owned() } else { i.to_string() }
        ));
    }
    let l = load::load(
        vec![Source::new("t.jsonl", text.into_bytes())],
        None,
        &Progress::default(),
        4,
    )
    .unwrap();
    assert_eq!(l.store.len(), 5000);
    assert_eq!(col_type(&l, "n"), "i64");
    assert_eq!(col_type(&l, "flag"), "bool");
    assert_eq!(col_type(&l, "late"), "str");
    assert_eq!(
        l.store
            .cell(4999, l.store.column_index("late").unwrap())
            .as_deref(),
        Some("text at the end")
    );
    assert_eq!(
        l.store
            .cell(10, l.store.column_index("late").unwrap())
            .as_deref(),
        Some("10")
    );
    // parallel parsing keeps file order
    assert_eq!(l.store.id(4321), "t4321");
}

#[test]
fn nested_metadata_is_flattened_one_level() {
    let l = load::load_bytes("anthropic.json", fixture("anthropic.json")).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.store.identity, Identity::Field("run_id".into()));
    let names: Vec<&str> = l.store.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["run_id", "tags", "meta.user", "meta.region"]);
    let user = l.store.column_index("meta.user").unwrap();
    assert_eq!(l.store.cell(0, user).as_deref(), Some(r#"{"tier": "pro"}"#));
    assert_eq!(l.store.mapping.input, Some(FieldPath::top("inputs")));
    assert_eq!(l.store.mapping.output, Some(FieldPath::top("outputs")));
    let Content::Chat(out) = content::from_raw(l.store.raw_output(0)) else {
        panic!()
    };
    assert_eq!(out[0].tool_calls[0].name, "calculator");
    let Content::Chat(input) = content::from_raw(l.store.raw_input(0)) else {
        panic!()
    };
    assert_eq!(input[0].text, "What is 2+2?");
}

#[test]
fn open_inference_spans() {
    let l = load::load_bytes("oi.jsonl", fixture("openinference.jsonl")).unwrap();
    assert_eq!(
        l.store.mapping.input,
        Some(FieldPath::of(&["attributes", "input.value"]))
    );
    assert_eq!(l.store.identity, Identity::Field("span_id".into()));
    let names: Vec<&str> = l.store.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "span_id",
            "name",
            "attributes.llm.model_name",
            "attributes.llm.token_count.total"
        ]
    );
    assert!(matches!(
        content::from_raw(l.store.raw_input(0)),
        Content::Chat(_)
    ));
    assert_eq!(
        content::from_raw(l.store.raw_output(1)),
        Content::Text("plain answer".into())
    );
}

#[test]
fn identity_falls_back_to_another_unique_field_then_to_a_content_hash() {
    let l = load_str(
        "{\"id\":\"root\",\"lsmith_id\":\"x1\",\"input\":\"a\"}\n{\"id\":\"root\",\"lsmith_id\":\"x2\",\"input\":\"b\"}\n",
    );
    let Identity::Fallback { field, why } = &l.store.identity else {
        panic!("{:?}", l.store.identity)
    };
    assert_eq!(field, "lsmith_id");
    assert!(why.contains("not unique"), "{why}");
    assert_eq!(l.store.id(1), "x2");

    let text = "{\"input\":\"a\",\"output\":\"b\"}\n{\"input\":\"c\",\"output\":\"d\"}\n{\"input\":\"a\",\"output\":\"b\"}\n";
    let l = load_str(text);
    assert!(matches!(l.store.identity, Identity::ContentHash { .. }));
    // duplicates get distinct ids; ids are stable across re-loads and re-ordering
    assert_ne!(l.store.id(0), l.store.id(2));
    assert!(l.store.id(2).starts_with(l.store.id(0)));
    let reordered =
        load_str("{\"input\":\"c\",\"output\":\"d\"}\n{\"input\":\"a\",\"output\":\"b\"}\n");
    assert_eq!(reordered.store.id(0), l.store.id(1));
    assert_eq!(reordered.store.id(1), l.store.id(0));
}

#[test]
fn copy_source_is_the_original_record() {
    let line = r#"{"id": "a",   "input": "x\u00e9", "output": {"k": [1, 2.50]}, "extra": null}"#;
    let l = load_str(&format!("{line}\r\n"));
    assert_eq!(l.store.raw_record(0), line);
}

#[test]
fn gzip_json_array_bom_crlf_and_invalid_utf8() {
    let text = "[\r\n {\"id\": 1, \"prompt\": \"p1\", \"completion\": \"c1\"},\r\n {\"id\": 2, \"prompt\": \"p2\", \"completion\": \"c2\"}, 7\r\n]";
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let l = load::load_bytes("t.json.gz", gz).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.store.id(1), "2");
    assert_eq!(l.skipped_count, 1);
    assert_eq!(l.skipped[0].line, 3);
    assert!(l.skipped[0].reason.contains("not an object"));

    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(b"{\"id\":\"a\",\"input\":\"caf\xff\",\"output\":\"ok\"}\n");
    let l = load::load_bytes("t.jsonl", bytes).unwrap();
    assert_eq!(l.store.len(), 1);
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].contains("UTF-8"));
    assert_eq!(
        content::from_raw(l.store.raw_input(0)),
        Content::Text("caf\u{fffd}".into())
    );
}

#[test]
fn files_that_are_not_traces_get_clear_messages() {
    let msg = |name: &str, bytes: &[u8]| {
        load::load_bytes(name, bytes.to_vec())
            .err()
            .map(|e| e.to_string())
            .unwrap()
    };
    assert_eq!(
        msg("empty.jsonl", b"  \n"),
        "the file is empty: empty.jsonl"
    );
    assert!(msg("page.html", &fixture("not_traces.html")).contains("HTML"));
    assert!(msg("n.json", b"42").contains("a number, not trace objects"));
    assert!(msg("bin.dat", &[0x00, 0x01, 0x02, b'{']).contains("binary"));
    assert!(
        msg("x.jsonl", b"{broken\n{also broken\n")
            .contains("no traces could be read; 2 records skipped, the first: x.jsonl:1:")
    );
    assert!(msg("bad.gz", &[0x1f, 0x8b, 0x00, 0x01]).contains("gzip"));
    assert!(msg("arr.json", b"[{\"a\":1},").contains("JSON array that does not parse"));
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn unreadable_file_is_named() {
    let err = load::read_file(
        std::path::Path::new("/nonexistent/traces.jsonl"),
        &Progress::default(),
    )
    .unwrap_err();
    assert!(matches!(err, load::LoadError::Io { .. }));
    assert!(err.to_string().ends_with("/nonexistent/traces.jsonl"));
}

/// Files of 64 MB and more are read by two threads, each into its half of the buffer.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_large_file_is_read_whole_and_in_order() {
    let path = std::env::temp_dir().join(format!("errata-large-{}.jsonl", std::process::id()));
    let mut text = Vec::with_capacity(70 << 20);
    let mut i = 0u64;
    while text.len() < (70 << 20) {
        writeln!(
            text,
            "{{\"id\":\"t{i}\",\"output\":\"{}\"}}",
            "z".repeat((i % 900) as usize)
        )
        .unwrap();
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let progress = Progress::default();
    let source = load::read_file(&path, &progress).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(source.bytes.len(), text.len());
    assert!(source.bytes == text, "the bytes come back in order");
    let done = progress
        .bytes_done
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(done, text.len() as u64);
}

#[test]
fn huge_fields_and_long_lines_load() {
    let big = "x".repeat(5_000_000);
    let l = load_str(&format!(
        "{{\"id\":\"a\",\"input\":\"q\",\"output\":\"{big}\"}}\n"
    ));
    assert_eq!(l.store.raw_output(0).unwrap().len(), big.len() + 2);
    let Content::Text(t) = content::from_raw(l.store.raw_output(0)) else {
        panic!()
    };
    assert_eq!(t.len(), big.len());
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = errata::synth::Rng::new(99);
    let alphabet = b"{}[]\":,\\ \n\r\tabcnulltruefalse0123456789.-eE\xff\xc3\xa9";
    for _ in 0..3000 {
        let len = rng.below(200);
        let mut bytes: Vec<u8> = (0..len).map(|_| *rng.pick(alphabet)).collect();
        if rng.below(2) == 0 {
            bytes.insert(0, b'{');
        }
        let _ = load::load_bytes("fuzz.jsonl", bytes);
    }
    // mutations of a real dump
    let base = errata::synth::jsonl(5, 3).into_bytes();
    for _ in 0..500 {
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(8) {
            let i = rng.below(bytes.len());
            bytes[i] = *rng.pick(alphabet);
        }
        if let Ok(l) = load::load_bytes("fuzz.jsonl", bytes) {
            for r in 0..l.store.len() {
                let _ = content::from_raw(l.store.raw_input(r));
                let _ = content::split_conversation(l.store.raw_output(r));
            }
        }
    }
}

#[test]
fn mapping_override_and_several_files() {
    let a = Source::new(
        "a.jsonl",
        b"{\"id\":\"1\",\"question\":\"q\",\"answer\":\"x\",\"alt\":\"y\"}\n".to_vec(),
    );
    let b = Source::new(
        "b.jsonl",
        b"{\"id\":\"2\",\"question\":\"q2\",\"answer\":\"x2\",\"alt\":\"y2\"}\n".to_vec(),
    );
    let mapping = FieldMapping {
        id: Some(FieldPath::top("id")),
        input: Some(FieldPath::top("question")),
        output: Some(FieldPath::top("alt")),
        split_conversation: false,
        group_by: None,
        grouping_chosen: false,
    };
    let l = load::load(vec![a, b], Some(mapping.clone()), &Progress::default(), 1).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.store.mapping, mapping);
    assert_eq!(l.store.detected.output, Some(FieldPath::top("answer")));
    assert_eq!(l.store.raw_output(1), Some("\"y2\""));
    let file = l.store.column_index(load::FILE_COLUMN).unwrap();
    assert_eq!(l.store.cell(1, file).as_deref(), Some("b.jsonl"));
    assert_eq!(l.store.location(1), "b.jsonl:1");
    let sources = l.store.into_sources();
    assert_eq!(sources.len(), 2);
    assert!(
        String::from_utf8(sources[1].bytes.clone())
            .unwrap()
            .contains("\"y2\"")
    );
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn nurtureboss_course_dump() {
    let bytes = shared("nurtureboss_traces.json");
    let l = load::load_bytes("nurtureboss_traces.json", bytes).unwrap();
    assert_eq!(l.store.len(), 100);
    assert_eq!(l.skipped_count, 0);
    let Identity::Fallback { field, .. } = &l.store.identity else {
        panic!("{:?}", l.store.identity)
    };
    assert_eq!(field, "lsmith_id");
    assert!(l.store.mapping.split_conversation);
    assert_eq!(l.store.mapping.input, Some(FieldPath::top("messages")));
    let mut split = 0;
    for r in 0..l.store.len() {
        let (i, o) = content::split_conversation(l.store.raw_input(r));
        if let (Content::Chat(_), Content::Chat(o)) = (i, o) {
            assert!(content::is_assistant(&o[0].role));
            split += 1;
        }
    }
    assert!(split >= 95, "{split}");
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn recipe_course_dump() {
    let bytes = shared("recipe_labeled_traces.jsonl");
    let l = load::load_bytes("recipe_labeled_traces.jsonl", bytes).unwrap();
    assert_eq!(l.store.len(), 101);
    assert_eq!(l.store.identity, Identity::Field("trace_id".into()));
    assert_eq!(l.store.mapping.input, Some(FieldPath::top("query")));
    assert_eq!(l.store.mapping.output, Some(FieldPath::top("response")));
    assert!(l.store.column_index("label").is_some());
}

#[test]
fn demo_asset_matches_its_generator() {
    let generated = errata::synth::jsonl(errata::demo::DEMO_TRACES, errata::demo::DEMO_SEED);
    assert!(
        generated.as_bytes() == errata::demo::DEMO_JSONL,
        "assets/demo_traces.jsonl is stale: run `cargo run -- generate 300 --seed 7 --out assets/demo_traces.jsonl`"
    );
    let l = load::load_bytes("demo", errata::demo::DEMO_JSONL.to_vec()).unwrap();
    assert_eq!(l.store.len(), 300);
    assert_eq!(l.store.identity, Identity::Field("trace_id".into()));
}

#[test]
fn sorting_is_stable_with_nulls_last() {
    use errata::trace::view::{Sort, SortColumn, sorted_rows};
    let l = load_str(
        "{\"id\":\"a\",\"n\":2}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"n\":1}\n{\"id\":\"d\",\"n\":2}\n",
    );
    let by = |descending| {
        sorted_rows(
            &l.store,
            Some(&Sort {
                column: SortColumn::Meta("n".into()),
                descending,
            }),
        )
        .unwrap()
    };
    assert_eq!(by(false), [2, 0, 3, 1]);
    assert_eq!(by(true), [0, 3, 2, 1]);
    let ids = sorted_rows(
        &l.store,
        Some(&Sort {
            column: SortColumn::Id,
            descending: true,
        }),
    )
    .unwrap();
    assert_eq!(ids, [3, 2, 1, 0]);
    assert!(
        sorted_rows(
            &l.store,
            Some(&Sort {
                column: SortColumn::Meta("nope".into()),
                descending: false
            })
        )
        .is_err()
    );
}

#[cfg(not(target_arch = "wasm32"))] // polars reads CSV and Parquet natively only
#[test]
fn csv_and_parquet_go_through_the_same_detection() {
    let csv =
        "trace_id,question,answer,latency_ms\nq1,What is 2+2?,4,120\nq2,\"Say \"\"hi\"\"\",hi,80\n";
    let l = load::load_bytes("runs.csv", csv.as_bytes().to_vec()).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.store.identity, Identity::Field("trace_id".into()));
    assert_eq!(l.store.mapping.input, Some(FieldPath::top("question")));
    assert_eq!(
        content::from_raw(l.store.raw_input(1)),
        Content::Text("Say \"hi\"".into())
    );
    assert_eq!(
        l.store
            .columns()
            .iter()
            .find(|c| c.name == "latency_ms")
            .unwrap()
            .dtype,
        "i64"
    );

    use polars::prelude::*;
    let mut df = df!(
        "run_id" => ["r1", "r2", "r3"],
        "inputs" => [r#"{"messages":[{"role":"user","content":"hi"}]}"#, "plain", "x"],
        "outputs" => ["a", "b", "c"],
        "total_tokens" => [10i64, 20, 30],
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    let l = load::load_bytes("export.parquet", bytes).unwrap();
    assert_eq!(l.store.len(), 3);
    assert_eq!(l.store.identity, Identity::Field("run_id".into()));
    assert!(matches!(
        content::from_raw(l.store.raw_input(0)),
        Content::Chat(_)
    ));
    assert!(l.store.raw_record(2).contains("\"total_tokens\":30"));
    let err = load::load_bytes("bad.parquet", b"PAR1 not really".to_vec())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("polars could not read it") && err.ends_with("bad.parquet"),
        "{err}"
    );
}
