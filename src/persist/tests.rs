//! The project store natively: appends, locks, torn lines, documents.

use super::*;

#[test]
fn a_folder_whose_parents_do_not_exist_yet_is_writable() {
    let root = tmp("nested");
    let dir = root.join("data").join("errata").join("demo.errata");
    let (mut store, opened) = ProjectStore::open_dir(&dir);
    assert!(opened.errors.is_empty(), "{:?}", opened.errors);
    store.append(&LabelEvent::default()).unwrap();
    assert!(dir.join(LABELS_FILE).is_file());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_unwritable_place_is_reported_on_open() {
    // /proc refuses new files even to root (CI runs as root, so permissions would not do)
    let (_, opened) = ProjectStore::open_dir(std::path::Path::new("/proc/errata-test.errata"));
    assert_eq!(opened.errors.len(), 1);
    assert!(
        opened.errors[0]
            .to_string()
            .contains("the project folder cannot be written"),
        "{}",
        opened.errors[0]
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("errata-persist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn sidecar_names() {
    assert_eq!(
        sidecar_dir("/d/traces.jsonl".as_ref()),
        std::path::PathBuf::from("/d/traces.errata")
    );
    assert_eq!(
        sidecar_dir("/d/t.jsonl.gz".as_ref()),
        std::path::PathBuf::from("/d/t.errata")
    );
}

#[test]
fn append_reopen_compact() {
    let dir = tmp("roundtrip");
    let (mut store, opened) = ProjectStore::open_dir(&dir);
    assert!(opened.errors.is_empty());
    for i in 0..3 {
        store
            .append(&LabelEvent {
                trace_id: format!("t{}", i % 2),
                note: format!("n{i}"),
                ..Default::default()
            })
            .unwrap();
    }
    let cb = Codebook {
        owner: "ana".into(),
        ..Default::default()
    };
    store.save_codebook(&cb).unwrap();
    let (_, opened) = ProjectStore::open_dir(&dir);
    assert_eq!(opened.labels.events().len(), 3);
    assert_eq!(opened.labels.get("t0").unwrap().note, "n2");
    assert_eq!(opened.codebook.owner, "ana");
    drop(store);
    let (mut store, _) = ProjectStore::open_dir(&dir);
    store
        .append(&LabelEvent {
            trace_id: "t9".into(),
            ..Default::default()
        })
        .unwrap();
    drop(store);
    let (_, opened) = ProjectStore::open_dir(&dir);
    assert_eq!(opened.labels.events().len(), 4, "never rewritten on open");
    assert!(
        !dir.join("lock").exists(),
        "released when the store is dropped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_codebook_is_reported_and_not_overwritten() {
    let dir = tmp("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(CODEBOOK_FILE), "{\n \"version\": 3,\n oops\n}").unwrap();
    let (mut store, opened) = ProjectStore::open_dir(&dir);
    assert_eq!(opened.errors.len(), 1);
    let msg = opened.errors[0].to_string();
    assert!(
        msg.starts_with("line 3:") && msg.ends_with("codebook.json"),
        "{msg}"
    );
    assert!(store.save_codebook(&Codebook::default()).is_err());
    assert!(
        std::fs::read_to_string(dir.join(CODEBOOK_FILE))
            .unwrap()
            .contains("oops")
    );
    store.unprotect(CODEBOOK_FILE);
    store.save_codebook(&Codebook::default()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_append_after_a_torn_line_starts_on_a_fresh_line() {
    let dir = tmp("torn");
    std::fs::create_dir_all(&dir).unwrap();
    let whole = serde_json::to_string(&LabelEvent {
        trace_id: "a".into(),
        ..Default::default()
    })
    .unwrap();
    std::fs::write(
        dir.join(LABELS_FILE),
        format!("{whole}\n{{\"trace_id\":\"b\",\"no"),
    )
    .unwrap();
    let (mut store, opened) = ProjectStore::open_dir(&dir);
    assert!(opened.problems.iter().all(|p| p.torn));
    store
        .append(&LabelEvent {
            trace_id: "c".into(),
            ..Default::default()
        })
        .unwrap();
    let (labels, problems) =
        Labels::replay(&std::fs::read_to_string(dir.join(LABELS_FILE)).unwrap());
    assert!(
        labels.get("c").is_some(),
        "the label after the torn line is readable"
    );
    assert!(labels.get("a").is_some());
    assert_eq!(problems.len(), 1, "{problems:?}");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_instance_is_read_only_and_writes_nothing() {
    let dir = tmp("two-instances");
    let (mut first, _) = ProjectStore::open_dir(&dir);
    first
        .append(&LabelEvent {
            trace_id: "a".into(),
            note: "first".into(),
            ..Default::default()
        })
        .unwrap();
    first
        .save_codebook(&Codebook {
            owner: "ana".into(),
            ..Default::default()
        })
        .unwrap();
    let (mut second, opened) = ProjectStore::open_dir(&dir);
    assert_eq!(opened.labels.get("a").unwrap().note, "first");
    let holder = second
        .read_only_by()
        .expect("the second instance is read-only");
    assert!(
        holder.contains(&format!("pid {}", std::process::id())),
        "{holder}"
    );
    let err = second
        .append(&LabelEvent {
            trace_id: "a".into(),
            note: "second".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(second.pending(), 1, "kept in memory, not lost");
    assert!(second.save_codebook(&Codebook::default()).is_err());
    let cb: Codebook =
        serde_json::from_str(&std::fs::read_to_string(dir.join(CODEBOOK_FILE)).unwrap()).unwrap();
    assert_eq!(cb.owner, "ana", "the first instance's codebook stands");
    // the first one closes; the second takes over and its kept label is written
    drop(first);
    second.take_over().unwrap();
    assert!(second.read_only_by().is_none());
    second.flush_pending().unwrap();
    let (labels, _) = Labels::replay(&std::fs::read_to_string(dir.join(LABELS_FILE)).unwrap());
    assert_eq!(labels.get("a").unwrap().note, "second");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_instance_whose_lock_was_taken_over_stops_writing() {
    let dir = tmp("taken-over");
    let (mut first, _) = ProjectStore::open_dir(&dir);
    first
        .append(&LabelEvent {
            trace_id: "a".into(),
            ..Default::default()
        })
        .unwrap();
    let (mut second, _) = ProjectStore::open_dir(&dir);
    second.take_over().unwrap();
    let err = first
        .append(&LabelEvent {
            trace_id: "b".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert!(first.read_only_by().is_some());
    drop((first, second));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn memory_store_keeps_pending_until_written() {
    let mut s = ProjectStore::memory();
    s.append(&LabelEvent {
        trace_id: "a".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.pending(), 0);
}
