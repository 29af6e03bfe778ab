//! Trust (issue 12) without a window: bad input never panics or runs away with memory, WHERE
//! conditions cannot abort or escape, search reads the text people see, and the headless
//! commands refuse to report over a project they cannot read.

#![cfg(not(target_arch = "wasm32"))] // processes, files, devices
#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use std::io::Write as _;
use std::process::Command;

use errata::trace::filter::{self, FilterError, Scope, Search};
use errata::trace::load::{self, LoadError};

fn errata(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("errata-trust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn store(lines: &[&str]) -> errata::trace::TraceStore {
    load::load_bytes("t.jsonl", lines.join("\n").into_bytes())
        .unwrap()
        .store
}

fn rows(mask: &[bool]) -> Vec<usize> {
    (0..mask.len()).filter(|&i| mask[i]).collect()
}

/// A course dump from `../shared/data`, which the test needs: a missing one fails, clearly.
fn shared(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("this test reads {path} ({e})"))
}

// ---- 6: runaway memory ----

#[test]
fn a_gzip_bomb_stops_at_the_limit_with_a_message() {
    let bomb = gzip(&vec![b' '; 64 << 20]); // 64 MB of spaces in ~64 kB
    assert!(bomb.len() < 1 << 20);
    let mut warnings = Vec::new();
    let err =
        load::decode_limited("bomb.jsonl.gz", bomb.clone(), &mut warnings, 8 << 20).unwrap_err();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("8 MB") && msg.contains("ERRATA_MAX_BYTES") && msg.ends_with("bomb.jsonl.gz"),
        "{msg}"
    );
    // the same through the command, with the limit from the environment
    let dir = tmp("bomb");
    let path = dir.join("bomb.jsonl.gz");
    std::fs::write(&path, &bomb).unwrap();
    let (code, _, err) = errata(
        &["summary", path.to_str().unwrap()],
        &[("ERRATA_MAX_BYTES", "1000000")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("over errata's limit of 1 MB"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn devices_are_refused_at_once() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        let started = std::time::Instant::now();
        let (code, _, err) = errata(&["summary", dev], &[]);
        assert_eq!(code, 2, "{dev}: {err}");
        assert!(err.contains("a character device, not a file"), "{err}");
        assert!(started.elapsed().as_secs() < 5);
    }
}

// ---- 7: a damaged Parquet file ----

#[test]
fn no_flipped_byte_of_a_parquet_file_panics_the_loader() {
    use polars::prelude::*;
    let mut df = df!(
        "id" => (0..200).map(|i| format!("t{i}")).collect::<Vec<_>>(),
        "input" => (0..200).map(|i| format!("question {i}")).collect::<Vec<_>>(),
        "output" => (0..200).map(|i| format!("answer {i}")).collect::<Vec<_>>(),
        "latency_ms" => (0..200i64).collect::<Vec<_>>(),
    )
    .unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).unwrap();
    let dir = tmp("parquet");
    let mut errors = 0;
    let mut first_damaged = None;
    for at in 4..bytes.len() - 4 {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        let mut warnings = Vec::new();
        // a panic here fails the test: the loader must report, not crash
        if let Err(e) = load::decode("damaged.parquet", damaged.clone(), &mut warnings) {
            errors += 1;
            if e.to_string().contains("is damaged") && first_damaged.is_none() {
                first_damaged = Some(damaged);
            }
        }
    }
    assert!(errors > 0);
    // where the reader panicked, the command says the file is damaged (exit 2, not 101)
    if let Some(damaged) = first_damaged {
        let path = dir.join("damaged.parquet");
        std::fs::write(&path, damaged).unwrap();
        let (code, _, err) = errata(&["summary", path.to_str().unwrap()], &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("the Parquet file is damaged"), "{err}");
        assert!(!err.contains("JSON"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- 8 and 14: WHERE ----

#[test]
fn a_deep_where_is_refused_with_its_limit_and_a_long_one_runs() {
    let s = store(&[
        r#"{"id":"a","input":"q","output":"x","n":1}"#,
        r#"{"id":"b","input":"q","output":"y","n":2}"#,
    ]);
    let deep = (0..2000)
        .map(|i| format!("n = {i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let Err(FilterError::Limit(msg)) = filter::sql_mask(&s, &deep) else {
        panic!("not refused")
    };
    assert!(
        msg.contains("2000 AND/OR terms") && msg.contains("1000"),
        "{msg}"
    );
    let long = (0..900)
        .map(|i| format!("n = {}", i + 2))
        .collect::<Vec<_>>()
        .join(" OR ");
    assert_eq!(rows(&filter::sql_mask(&s, &long).unwrap()), [1]);
    let nested = format!("{}n = 1{}", "(".repeat(60), ")".repeat(60));
    assert!(matches!(
        filter::sql_mask(&s, &nested),
        Err(FilterError::Limit(_))
    ));
    // the command says so instead of aborting (exit 134 before)
    let dir = tmp("deep");
    let path = dir.join("t.jsonl");
    std::fs::write(&path, "{\"id\":\"a\",\"n\":1}\n").unwrap();
    let (code, _, err) = errata(&["summary", path.to_str().unwrap(), "--where", &deep], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("errata's limit is 1000"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn where_errors_speak_of_the_users_condition_only() {
    let s = store(&[r#"{"id":"a","input":"q","output":"x","metadata":{"env":"prod"},"n":1}"#]);
    let Err(FilterError::Sql { message, .. }) = filter::sql_mask(&s, "nope = 1") else {
        panic!()
    };
    assert!(message.contains("nope"), "{message}");
    for internal in ["_errata", "FAILED HERE", "sink", "Resolved plan"] {
        assert!(!message.contains(internal), "{internal} in: {message}");
    }
    // positions count in the user's text, dotted names and all
    let Err(FilterError::Sql { position, message }) =
        filter::sql_mask(&s, "metadata.env = 'prod' AND AND n = 1")
    else {
        panic!()
    };
    // (the parser takes the second AND for a name and stops at `n`, character 31)
    assert_eq!(position, Some(31), "{message}");
    assert!(message.ends_with("column 31"), "{message}");
    // nothing reaches past the WHERE
    for escape in [
        "1=1 LIMIT 0",
        "n = 1) OR (1=1",
        "n = 1; DROP TABLE traces",
        "n = 1 -- x",
    ] {
        assert!(
            filter::sql_mask(&s, escape).is_err(),
            "{escape} was accepted"
        );
    }
}

#[test]
fn a_field_named_like_errata_columns_is_kept_and_queryable() {
    let l = load::load_bytes(
        "t.jsonl",
        br#"{"id":"a","input":"q","output":"x","_errata_row":"mine"}
{"id":"b","input":"q","output":"y","_errata_row":"theirs"}"#
            .to_vec(),
    )
    .unwrap();
    assert!(
        l.warnings.iter().any(|w| w.contains("`_errata_row_`")),
        "{:?}",
        l.warnings
    );
    assert!(l.store.columns().iter().any(|c| c.name == "_errata_row_"));
    assert_eq!(
        rows(&filter::sql_mask(&l.store, "_errata_row_ = 'theirs'").unwrap()),
        [1]
    );
}

#[test]
fn label_state_is_usable_in_where() {
    let s = store(&[
        r#"{"id":"a","input":"q","output":"x"}"#,
        r#"{"id":"b","input":"q","output":"y"}"#,
        r#"{"id":"c","input":"q","output":"z","note":"a field named note"}"#,
    ]);
    let labels = filter::LabelColumns {
        verdict: vec![Some("fail"), Some("pass"), None],
        categories: vec![Some("wrong date, tone".into()), None, None],
        note: vec![Some("bad date".into()), None, None],
        author: vec![Some("ana".into()), Some("bo".into()), None],
    };
    let m = |sql: &str| rows(&filter::sql_mask_with(&s, sql, Some(&labels)).unwrap());
    assert_eq!(m("verdict = 'fail'"), [0]);
    assert_eq!(m("verdict IS NULL"), [2]);
    assert_eq!(m("categories LIKE '%tone%'"), [0]);
    assert_eq!(m("author = 'bo'"), [1]);
    // the dump's own `note` field keeps its name; the label's is `label.note`
    assert_eq!(m("note = 'a field named note'"), [2]);
    assert_eq!(m("label.note = 'bad date'"), [0]);
    assert!(filter::mentions_labels("label.verdict = 'fail'"));
    assert!(!filter::mentions_labels("model = 'x'"));
}

// ---- 9: load errors that lose no more than they must ----

#[test]
fn a_garbage_first_line_costs_that_line_only() {
    let l = load::load_bytes(
        "t.jsonl",
        b"WARNING: log started\n{\"id\":\"a\",\"input\":\"q\"}\n{\"id\":\"b\",\"input\":\"r\"}\n"
            .to_vec(),
    )
    .unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.skipped_count, 1);
    assert_eq!(l.skipped[0].line, 1);
}

#[test]
fn nul_bytes_cost_their_line_and_utf16_is_decoded() {
    let mut text = b"{\"id\":\"a\",\"input\":\"q\"}\n{\"id\":\"b\",\0\0\"input\":\"r\"}\n".to_vec();
    text.extend_from_slice(b"{\"id\":\"c\",\"input\":\"s\"}\n");
    let l = load::load_bytes("t.jsonl", text).unwrap();
    assert_eq!(l.store.len(), 2);
    assert_eq!(l.skipped_count, 1);
    let json =
        "{\"id\":\"a\",\"input\":\"caf\u{e9} \u{6771}\u{4eac}\"}\n{\"id\":\"b\",\"input\":\"r\"}\n";
    for (bom, little) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for unit in json.encode_utf16() {
            bytes.extend_from_slice(&if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        let l = load::load_bytes("utf16.jsonl", bytes).unwrap();
        assert_eq!(l.store.len(), 2, "bom {bom} little {little}");
        assert!(l.warnings.iter().any(|w| w.contains("UTF-16")));
        assert_eq!(l.store.raw_input(0), Some("\"café 東京\""));
    }
    // real binary data is still called so, with what it is when known
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend((0..2000u32).map(|i| (i % 7) as u8));
    let err = load::load_bytes("x.eval", zip).err().unwrap().to_string();
    // (issue 15: a zip is read as one, and a damaged one is called damaged)
    assert!(
        err.contains("it is a zip archive") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn a_gzip_with_trailing_garbage_keeps_what_decompressed() {
    let mut bytes = gzip(b"{\"id\":\"a\",\"input\":\"q\"}\n{\"id\":\"b\",\"input\":\"r\"}\n");
    bytes.extend_from_slice(b"garbage that is not gzip at all");
    let l = load::load_bytes("t.jsonl.gz", bytes).unwrap();
    assert_eq!(l.store.len(), 2);
    assert!(
        l.warnings.iter().any(|w| w.contains("kept the")),
        "{:?}",
        l.warnings
    );
}

#[test]
fn a_ragged_csv_names_its_line() {
    let csv = "id,input,output\na,q1,x\nb,q2,y,extra\nc,\"q, with comma\",z\n";
    let l = load::load_bytes("t.csv", csv.as_bytes().to_vec()).unwrap();
    assert_eq!(l.store.len(), 3);
    assert!(
        l.warnings
            .iter()
            .any(|w| w.contains("line 3 has 4 fields where the header has 3")),
        "{:?}",
        l.warnings
    );
}

// ---- 10: search reads the decoded text ----

#[test]
fn search_finds_escaped_text() {
    let s = store(&[
        r#"{"id":"a","input":"caf\u00e9 au lait","output":"she said \"hi\" then\nleft"}"#,
        r#"{"id":"b","input":"cafe","output":"said hi"}"#,
    ]);
    let find = |text: &str, scope| {
        rows(
            &filter::search_mask(
                &s,
                &Search {
                    text: text.into(),
                    scope,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    };
    assert_eq!(find("café", Scope::Both), [0]);
    assert_eq!(find("CAFÉ AU", Scope::Input), [0]);
    assert_eq!(find("said \"hi\"", Scope::Output), [0]);
    assert_eq!(find("then\nleft", Scope::Output), [0]);
    assert_eq!(find("said hi", Scope::Output), [1]);
    assert_eq!(
        find("input", Scope::Both),
        Vec::<usize>::new(),
        "keys are not text"
    );
}

#[test]
fn search_in_the_output_of_a_split_conversation() {
    let l = load::load_bytes("nurtureboss_traces.json", shared("nurtureboss_traces.json")).unwrap();
    assert!(l.store.mapping.split_conversation);
    let hits = filter::search_mask(
        &l.store,
        &Search {
            text: "tour".into(),
            scope: Scope::Output,
            ..Default::default()
        },
    )
    .unwrap();
    // the output is the conversation from its last assistant turn, as the detail shows it
    let expected = (0..l.store.len())
        .filter(|&r| {
            let (_, out) = errata::trace::content::split_conversation(l.store.raw_input(r));
            errata::trace::content::plain_text(&out)
                .to_lowercase()
                .contains("tour")
        })
        .count();
    assert_eq!(expected, 37);
    assert_eq!(rows(&hits).len(), expected);
}

// ---- 17: reports over a project that cannot be read ----

#[test]
fn reports_refuse_an_unreadable_label_log() {
    let dir = tmp("unreadable");
    let dump = dir.join("t.jsonl");
    std::fs::write(&dump, "{\"id\":\"a\",\"input\":\"q\"}\n").unwrap();
    let project = dir.join("t.errata");
    std::fs::create_dir_all(project.join("labels.jsonl")).unwrap(); // a folder, not a file
    for cmd in ["labels", "report"] {
        let (code, out, err) = errata(&[cmd, dump.to_str().unwrap()], &[]);
        assert_ne!(code, 0, "{cmd}: {out}");
        assert!(err.contains("labels.jsonl"), "{cmd}: {err}");
    }
    let (code, _, err) = errata(&["judge", dump.to_str().unwrap(), "--column", "input"], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("labels.jsonl"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
