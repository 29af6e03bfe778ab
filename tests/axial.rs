//! The offline clusterer's quality on labelled note sets (tests/fixtures/axial/): the adjusted
//! Rand index of its grouping against the themes the notes were written for, printed and held
//! to a floor.

#![allow(clippy::unwrap_used)] // tests may unwrap (clippy.toml allows it in #[test] fns, not helpers)

use errata::coding::cluster::{adjusted_rand_index, cluster};

fn set(name: &str) -> (Vec<String>, Vec<usize>) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/axial/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut themes: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut labels = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let theme = v["theme"].as_str().unwrap().to_owned();
        let t = themes.iter().position(|x| *x == theme).unwrap_or_else(|| {
            themes.push(theme);
            themes.len() - 1
        });
        notes.push(v["note"].as_str().unwrap().to_owned());
        labels.push(t);
    }
    (notes, labels)
}

/// The grouping's ARI against the themes (notes left unassigned count as groups of one).
fn ari_of(name: &str) -> f64 {
    let (notes, themes) = set(name);
    let p = cluster(&notes);
    let mut found = vec![usize::MAX; notes.len()];
    for (g, c) in p.categories.iter().enumerate() {
        for e in &c.examples {
            for (i, n) in notes.iter().enumerate() {
                if n == e && found[i] == usize::MAX {
                    found[i] = g;
                }
            }
        }
    }
    let mut next = p.categories.len();
    for f in &mut found {
        if *f == usize::MAX {
            *f = next;
            next += 1;
        }
    }
    let ari = adjusted_rand_index(&themes, &found);
    println!(
        "{name}: adjusted Rand index {ari:.3} over {} notes ({} unassigned)",
        notes.len(),
        p.unassigned.len()
    );
    for c in &p.categories {
        println!(
            "  {:<32} {} notes, e.g. {:?}",
            c.name,
            c.examples.len(),
            c.examples.first()
        );
    }
    ari
}

#[test]
fn offline_grouping_agrees_with_the_themes() {
    let tuned = ari_of("notes-leasing.jsonl");
    let held_out = ari_of("notes-travel.jsonl");
    // (measured 0.571 and 0.610; the issue asks for 0.5 on the tuning set)
    assert!(tuned >= 0.5, "tuning set: {tuned}");
    assert!(held_out >= 0.5, "held-out set: {held_out}");
}
