//! The offline clusterer for axial coding: TF-IDF over words and character trigrams, cosine
//! similarity, average-linkage agglomerative clustering cut at 3–7 groups, each named from its
//! most distinctive words. Deterministic; no network; runs in the browser too.

use std::collections::HashMap;

use crate::llm::proposal::{Proposal, ProposedCategory};

const STOP: &[&str] = &[
    "the",
    "a",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "for",
    "is",
    "was",
    "it",
    "its",
    "that",
    "this",
    "with",
    "as",
    "at",
    "be",
    "by",
    "not",
    "no",
    "but",
    "are",
    "were",
    "did",
    "does",
    "do",
    "has",
    "have",
    "had",
    "from",
    "they",
    "them",
    "their",
    "he",
    "she",
    "his",
    "her",
    "you",
    "your",
    "we",
    "our",
    "i",
    "me",
    "my",
    "so",
    "if",
    "then",
    "than",
    "when",
    "which",
    "who",
    "what",
    "there",
    "here",
    "about",
    "into",
    "out",
    "up",
    "down",
    "too",
    "very",
    "just",
    "also",
    "ai",
    "bot",
    "user",
    "assistant",
    "model",
    "should",
    "would",
    "could",
    "can",
    "will",
];

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2 && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

fn features(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(text) {
        let padded: Vec<char> = format!(" {w} ").chars().collect();
        for t in padded.windows(3) {
            out.push(format!("#{}", t.iter().collect::<String>()));
        }
        out.push(w);
    }
    out
}

type Vector = Vec<(usize, f32)>;

fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut dot) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

/// Average-linkage agglomeration of the notes' vectors into about √n groups (3–7), largest
/// first, each group's notes in order.
fn agglomerate(vectors: &[Vector]) -> Vec<Vec<usize>> {
    let n = vectors.len();
    let target = ((n as f64).sqrt().round() as usize).clamp(3, 7).min(n);
    let sim: Vec<Vec<f32>> = (0..n)
        .map(|i| (0..n).map(|j| cosine(&vectors[i], &vectors[j])).collect())
        .collect();
    let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    while clusters.len() > target {
        let mut best = (f32::MIN, 0, 1);
        for a in 0..clusters.len() {
            for b in a + 1..clusters.len() {
                let mut s = 0.0;
                for &i in &clusters[a] {
                    for &j in &clusters[b] {
                        s += sim[i][j];
                    }
                }
                let s = s / (clusters[a].len() * clusters[b].len()) as f32;
                if s > best.0 {
                    best = (s, a, b);
                }
            }
        }
        let (_, a, b) = best;
        let merged = clusters.remove(b);
        clusters[a].extend(merged);
        clusters[a].sort_unstable();
    }
    clusters.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    clusters
}

/// Clusters `notes` into 3–7 named groups (fewer when there are fewer notes).
pub fn cluster(notes: &[String]) -> Proposal {
    let n = notes.len();
    if n == 0 {
        return Proposal::default();
    }
    // vocabulary and document frequencies
    let docs: Vec<Vec<String>> = notes.iter().map(|t| features(t)).collect();
    let mut vocab: HashMap<&str, usize> = HashMap::new();
    let mut df: Vec<usize> = Vec::new();
    for d in &docs {
        let mut seen = std::collections::HashSet::new();
        for f in d {
            let next = vocab.len();
            let id = *vocab.entry(f.as_str()).or_insert(next);
            if id == df.len() {
                df.push(0);
            }
            if seen.insert(id) {
                df[id] += 1;
            }
        }
    }
    let vectors: Vec<Vector> = docs
        .iter()
        .map(|d| {
            let mut tf: HashMap<usize, f32> = HashMap::new();
            for f in d {
                *tf.entry(vocab[f.as_str()]).or_insert(0.0) += 1.0;
            }
            let mut v: Vector = tf
                .into_iter()
                .map(|(id, c)| {
                    (
                        id,
                        c * ((1.0 + n as f32) / (1.0 + df[id] as f32)).ln().max(0.0) + 1e-6,
                    )
                })
                .collect();
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt().max(1e-9);
            for x in &mut v {
                x.1 /= norm;
            }
            v.sort_by_key(|(id, _)| *id);
            v
        })
        .collect();
    let clusters = agglomerate(&vectors);
    // names from the most distinctive words of each cluster
    let word_ids: HashMap<usize, &str> = vocab
        .iter()
        .filter(|(f, _)| !f.starts_with('#'))
        .map(|(f, id)| (*id, *f))
        .collect();
    let categories = clusters
        .iter()
        .map(|members| {
            let mut inside: HashMap<usize, f32> = HashMap::new();
            for &i in members {
                for &(id, x) in &vectors[i] {
                    if word_ids.contains_key(&id) {
                        *inside.entry(id).or_insert(0.0) += x;
                    }
                }
            }
            let mut top: Vec<(usize, f32)> = inside
                .into_iter()
                .map(|(id, x)| {
                    (
                        id,
                        x / members.len() as f32 * (df[id] as f32 / n as f32).sqrt().max(0.1),
                    )
                })
                .collect();
            top.sort_by(|a, b| b.1.total_cmp(&a.1).then(word_ids[&a.0].cmp(word_ids[&b.0])));
            let terms: Vec<&str> = top.iter().take(3).map(|(id, _)| word_ids[id]).collect();
            ProposedCategory {
                name: if terms.is_empty() {
                    "other".to_owned()
                } else {
                    terms[..terms.len().min(2)].join(" / ")
                },
                description: format!(
                    "{} notes, most about: {}.",
                    members.len(),
                    if terms.is_empty() {
                        "various".to_owned()
                    } else {
                        terms.join(", ")
                    }
                ),
                examples: members.iter().map(|&i| notes[i].clone()).collect(),
            }
        })
        .collect();
    Proposal {
        categories,
        unassigned: Vec::new(),
        rejected_examples: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn groups_similar_notes_deterministically() {
        let notes: Vec<String> = [
            "did not call the booking tool",
            "booking tool was not called",
            "never invoked the booking tool",
            "gave the wrong date for the tour",
            "wrong date in the confirmation",
            "date was wrong by one day",
            "made up a parking fee",
            "invented a pet fee",
            "hallucinated an application fee",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let p = cluster(&notes);
        assert_eq!(p.categories.len(), 3);
        assert_eq!(p, cluster(&notes), "deterministic");
        let group_of = |note: &str| {
            p.categories
                .iter()
                .position(|c| c.examples.iter().any(|e| e == note))
                .unwrap()
        };
        assert_eq!(
            group_of("did not call the booking tool"),
            group_of("never invoked the booking tool")
        );
        assert_eq!(
            group_of("gave the wrong date for the tour"),
            group_of("date was wrong by one day")
        );
        assert_ne!(
            group_of("made up a parking fee"),
            group_of("wrong date in the confirmation")
        );
        let all: usize = p.categories.iter().map(|c| c.examples.len()).sum();
        assert_eq!(all, notes.len());
        assert!(
            p.categories
                .iter()
                .any(|c| c.name.contains("tool") || c.name.contains("booking"))
        );
        assert_eq!(cluster(&[]), Proposal::default());
        assert_eq!(cluster(&["one".to_owned()]).categories.len(), 1);
    }
}

/// Proposes against an existing codebook: notes of traces already coded with a codebook
/// category are assigned to it; the other notes are clustered into new category candidates.
/// `coded` pairs each note with the codebook categories its trace carries.
pub fn cluster_against(
    notes: &[(String, Vec<String>)],
    codebook: &crate::coding::Codebook,
) -> Proposal {
    let mut existing: Vec<ProposedCategory> = Vec::new();
    let mut fresh: Vec<String> = Vec::new();
    for (note, cats) in notes {
        let known: Vec<&String> = cats.iter().filter(|c| codebook.get(c).is_some()).collect();
        if known.is_empty() {
            fresh.push(note.clone());
            continue;
        }
        for c in known {
            match existing.iter_mut().find(|e| &e.name == c) {
                Some(e) => {
                    if !e.examples.contains(note) {
                        e.examples.push(note.clone());
                    }
                }
                None => existing.push(ProposedCategory {
                    name: c.clone(),
                    description: codebook
                        .get(c)
                        .map(|x| x.description.clone())
                        .unwrap_or_default(),
                    examples: vec![note.clone()],
                }),
            }
        }
    }
    // keep the codebook's order
    existing.sort_by_key(|e| codebook.index_of(&e.name).unwrap_or(usize::MAX));
    let mut proposal = cluster(&fresh);
    existing.append(&mut proposal.categories);
    proposal.categories = existing;
    proposal
}

#[cfg(test)]
mod against_tests {
    use super::*;
    use crate::coding::{Category, Codebook};

    #[test]
    fn coded_notes_keep_their_category_and_new_ones_are_clustered() {
        let codebook = Codebook {
            categories: vec![Category {
                name: "Dates".into(),
                description: "Wrong dates.".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let notes = vec![
            ("wrong date".to_owned(), vec!["Dates".to_owned()]),
            ("tool not called".to_owned(), vec![]),
            ("tool skipped".to_owned(), vec![]),
        ];
        let p = cluster_against(&notes, &codebook);
        assert_eq!(p.categories[0].name, "Dates");
        assert_eq!(p.categories[0].examples, ["wrong date"]);
        let rest: usize = p.categories[1..].iter().map(|c| c.examples.len()).sum();
        assert_eq!(rest, 2);
    }
}
