//! The offline clusterer for axial coding: each note read as stems, two-word phrases and the
//! failure concepts it names (`lexicon.rs`), weighted by TF-IDF and compared by cosine; grouped
//! by spherical k-means for each k in 3–7 and the k whose grouping separates best (silhouette)
//! kept; each group named from the concept most of its notes share, else from its most
//! characteristic phrase. Notes with nothing to go by are left unassigned. Deterministic; no
//! network; runs in the browser too.

use std::collections::HashMap;

pub use super::axial::{AxialInput, axial_input, cluster_against, propose};
use super::lexicon::{self, CONCEPTS};
use crate::llm::proposal::{Proposal, ProposedCategory};

/// A concept counts this many times a word.
const CONCEPT_WEIGHT: f32 = 5.0;
/// A note less similar than this to its group's centre is left unassigned.
const FAR_FROM_GROUP: f32 = 0.2;
/// A group takes its concept's name when at least this share of its notes say it.
const NAMED_BY_CONCEPT: f32 = 0.4;

pub(super) type Vector = Vec<(usize, f32)>;

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

/// A note's features with their raw weights: stems, two-word phrases, concepts.
fn features(note: &str) -> Vec<(String, f32)> {
    let stems: Vec<String> = lexicon::words(note)
        .iter()
        .map(|w| lexicon::stem(w))
        .collect();
    let mut out: Vec<(String, f32)> = stems.iter().map(|s| (s.clone(), 1.0)).collect();
    out.extend(
        stems
            .windows(2)
            .map(|p| (format!("{} {}", p[0], p[1]), 1.0)),
    );
    out.extend(
        lexicon::concepts(&stems)
            .into_iter()
            .map(|c| (c.key.to_owned(), CONCEPT_WEIGHT)),
    );
    out
}

/// The notes as unit TF-IDF vectors over one vocabulary (empty: nothing to go by).
fn vectorise(notes: &[String]) -> (Vec<Vector>, Vec<String>, Vec<usize>) {
    let docs: Vec<Vec<(String, f32)>> = notes.iter().map(|t| features(t)).collect();
    let mut vocab: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut df: Vec<usize> = Vec::new();
    for d in &docs {
        let mut seen = std::collections::HashSet::new();
        for (f, _) in d {
            let id = *vocab.entry(f.clone()).or_insert_with(|| {
                names.push(f.clone());
                df.push(0);
                names.len() - 1
            });
            if seen.insert(id) {
                df[id] += 1;
            }
        }
    }
    let n = notes.len() as f32;
    let vectors = docs
        .iter()
        .map(|d| {
            let mut tf: HashMap<usize, f32> = HashMap::new();
            for (f, w) in d {
                *tf.entry(vocab[f]).or_insert(0.0) += w;
            }
            // a word of one note only groups nothing, and in a large set it is noise that
            // pulls a note's vector away from its group (concepts always count)
            let mut v: Vector = tf
                .into_iter()
                .filter(|(id, _)| df[*id] > 1 || n < 20.0 || names[*id].starts_with('@'))
                .map(|(id, c)| (id, c * ((1.0 + n) / (1.0 + df[id] as f32)).ln().max(0.05)))
                .collect();
            // sorted before the norm is summed: the same floats every run
            v.sort_by_key(|(id, _)| *id);
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                for x in &mut v {
                    x.1 /= norm;
                }
            }
            v
        })
        .collect();
    (vectors, names, df)
}

/// The mean of `members`' vectors, unit length.
fn centroid(vectors: &[Vector], members: &[usize]) -> Vector {
    let mut sum: HashMap<usize, f32> = HashMap::new();
    for &i in members {
        for &(id, x) in &vectors[i] {
            *sum.entry(id).or_insert(0.0) += x;
        }
    }
    let mut v: Vector = sum.into_iter().collect();
    v.sort_by_key(|(id, _)| *id);
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt().max(1e-9);
    for x in &mut v {
        x.1 /= norm;
    }
    v
}

/// Spherical k-means of the notes `items` into `k` groups, seeded by farthest points from the
/// most typical note (deterministic).
fn kmeans(vectors: &[Vector], items: &[usize], k: usize) -> Vec<usize> {
    kmeans_from(vectors, items, seeds(vectors, items, k))
}

/// Farthest-point seeds from the most typical note.
fn seeds(vectors: &[Vector], items: &[usize], k: usize) -> Vec<Vector> {
    let all = centroid(vectors, items);
    let first = *items
        .iter()
        .max_by(|&&a, &&b| {
            cosine(&vectors[a], &all)
                .total_cmp(&cosine(&vectors[b], &all))
                .then(b.cmp(&a))
        })
        .unwrap_or(&items[0]);
    let mut centres: Vec<Vector> = vec![vectors[first].clone()];
    while centres.len() < k {
        let next = items
            .iter()
            .copied()
            .max_by(|&a, &b| {
                let near = |i: usize| {
                    centres
                        .iter()
                        .map(|c| cosine(&vectors[i], c))
                        .fold(f32::MIN, f32::max)
                };
                near(b).total_cmp(&near(a)).then(b.cmp(&a))
            })
            .unwrap_or(items[0]);
        centres.push(vectors[next].clone());
    }
    centres
}

/// Spherical k-means from `centres`.
fn kmeans_from(vectors: &[Vector], items: &[usize], mut centres: Vec<Vector>) -> Vec<usize> {
    let k = centres.len();
    let mut assign = vec![usize::MAX; items.len()];
    for _ in 0..30 {
        let fresh: Vec<usize> = items
            .iter()
            .map(|&i| {
                (0..k)
                    .max_by(|&a, &b| {
                        cosine(&vectors[i], &centres[a])
                            .total_cmp(&cosine(&vectors[i], &centres[b]))
                            .then(b.cmp(&a))
                    })
                    .unwrap_or(0)
            })
            .collect();
        if fresh == assign {
            break;
        }
        assign = fresh;
        for (g, c) in centres.iter_mut().enumerate() {
            let members: Vec<usize> = items
                .iter()
                .zip(&assign)
                .filter(|(_, a)| **a == g)
                .map(|(i, _)| *i)
                .collect();
            if !members.is_empty() {
                *c = centroid(vectors, &members);
            }
        }
    }
    assign
}

/// Notes per concept, chosen greedily (the concept most uncovered notes say, then the next over
/// the rest) while a concept still covers at least 5 % of the notes (and 3), at most 7.
fn concept_seeds(vectors: &[Vector], items: &[usize], names: &[String]) -> Vec<Vec<usize>> {
    let min = (items.len() as f32 * 0.05).ceil().max(3.0) as usize;
    let says = |i: usize| -> Vec<usize> {
        vectors[i]
            .iter()
            .filter(|(id, _)| names[*id].starts_with('@'))
            .map(|(id, _)| *id)
            .collect()
    };
    let mut left: Vec<usize> = items.to_vec();
    let mut out = Vec::new();
    while out.len() < 7 {
        let mut count: HashMap<usize, Vec<usize>> = HashMap::new();
        for &i in &left {
            for c in says(i) {
                count.entry(c).or_default().push(i);
            }
        }
        let Some((_, members)) = count
            .into_iter()
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        if members.len() < min {
            break;
        }
        left.retain(|i| !members.contains(i));
        out.push(members);
    }
    out
}

/// The mean silhouette of a grouping (cosine distance): how much closer notes are to their
/// own group than to the nearest other.
fn silhouette(sim: &[Vec<f32>], assign: &[usize], k: usize) -> f32 {
    let n = assign.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut sums = vec![(0.0f32, 0usize); k];
        for j in 0..n {
            if i != j {
                sums[assign[j]].0 += 1.0 - sim[i][j];
                sums[assign[j]].1 += 1;
            }
        }
        let own = sums[assign[i]];
        if own.1 == 0 {
            continue; // a group of one scores 0
        }
        let a = own.0 / own.1 as f32;
        let b = (0..k)
            .filter(|&g| g != assign[i] && sums[g].1 > 0)
            .map(|g| sums[g].0 / sums[g].1 as f32)
            .fold(f32::MAX, f32::min);
        if b < f32::MAX {
            total += (b - a) / a.max(b).max(1e-9);
        }
    }
    total / n.max(1) as f32
}

/// Texts grouped: the groups (largest first) and the texts left out, by index, with the vectors
/// and vocabulary they were grouped by.
pub(super) struct Grouping {
    pub(super) groups: Vec<Vec<usize>>,
    pub(super) unassigned: Vec<usize>,
    pub(super) vectors: Vec<Vector>,
    pub(super) names: Vec<String>,
    pub(super) df: Vec<usize>,
}

/// Groups `texts` into 3–7 (fewer when there are fewer): seeded by the concepts that cover
/// them, else the k whose k-means grouping separates best; texts with nothing to go by, or far
/// from every group, are left out.
fn grouping(texts: &[String]) -> Grouping {
    grouping_by(texts, None)
}

/// [`grouping`], by `embedded` vectors when given (one per text; its words still name the
/// groups): no concept seeds then, the k with the best silhouette.
pub(super) fn grouping_by(texts: &[String], embedded: Option<&[Vec<f32>]>) -> Grouping {
    let (lexical, names, df) = vectorise(texts);
    let by_embedding = embedded.is_some_and(|e| e.len() == texts.len());
    let vectors: Vec<Vector> = match embedded {
        Some(e) if by_embedding => e.iter().map(|v| dense(v)).collect(),
        _ => lexical.clone(),
    };
    let items: Vec<usize> = (0..texts.len())
        .filter(|&i| !vectors[i].is_empty())
        .collect();
    let mut unassigned: Vec<usize> = (0..texts.len())
        .filter(|i| vectors[*i].is_empty())
        .collect();
    let mut out = Grouping {
        groups: Vec::new(),
        unassigned: Vec::new(),
        vectors: lexical,
        names,
        df,
    };
    if items.is_empty() {
        out.unassigned = unassigned;
        return out;
    }
    let vectors = &vectors;
    let most = items.len().min(7);
    let fewest = 3.min(most);
    // the concepts that cover the notes, largest first: the groups' seeds
    let covered = if by_embedding {
        Vec::new()
    } else {
        concept_seeds(vectors, &items, &out.names)
    };
    let (k, assign) = if covered.len() >= fewest {
        let k = covered.len().min(most);
        let centres = covered
            .iter()
            .take(k)
            .map(|m| centroid(vectors, m))
            .collect();
        (k, kmeans_from(vectors, &items, centres))
    } else {
        best_k(vectors, &items, fewest, most)
    };
    let mut groups: Vec<Vec<usize>> = (0..k)
        .map(|g| {
            items
                .iter()
                .zip(&assign)
                .filter(|(_, a)| **a == g)
                .map(|(i, _)| *i)
                .collect()
        })
        .collect();
    // a text far from its group's centre was put there for want of a better place: left out
    for g in &mut groups {
        let centre = centroid(vectors, g);
        g.retain(|&i| {
            let keep = cosine(&vectors[i], &centre) >= FAR_FROM_GROUP;
            if !keep {
                unassigned.push(i);
            }
            keep
        });
    }
    groups.retain(|g| !g.is_empty());
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    unassigned.sort_unstable();
    out.groups = groups;
    out.unassigned = unassigned;
    out
}

/// A dense vector as a unit sparse one.
fn dense(v: &[f32]) -> Vector {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter().enumerate().map(|(i, x)| (i, x / norm)).collect()
}

/// The k in `fewest..=most` whose k-means grouping has the best silhouette.
fn best_k(vectors: &[Vector], items: &[usize], fewest: usize, most: usize) -> (usize, Vec<usize>) {
    let sim: Vec<Vec<f32>> = items
        .iter()
        .map(|&i| {
            items
                .iter()
                .map(|&j| cosine(&vectors[i], &vectors[j]))
                .collect()
        })
        .collect();
    let mut best: Option<(f32, usize, Vec<usize>)> = None;
    for k in fewest..=most {
        let assign = kmeans(vectors, items, k);
        let mut used = assign.clone();
        used.sort_unstable();
        used.dedup();
        let score = silhouette(&sim, &assign, k);
        if used.len() == k && best.as_ref().is_none_or(|b| score > b.0 + 1e-4) {
            best = Some((score, k, assign));
        }
    }
    best.map_or_else(|| (1, vec![0; items.len()]), |(_, k, a)| (k, a))
}

/// Clusters `notes` into 3–7 named groups (fewer when there are fewer notes); notes with
/// nothing to group by are left unassigned.
pub fn cluster(notes: &[String]) -> Proposal {
    if notes.is_empty() {
        return Proposal::default();
    }
    let g = grouping(notes);
    if g.groups.is_empty() {
        return Proposal {
            categories: vec![ProposedCategory {
                name: "other".to_owned(),
                description: format!("{} notes with no word in common.", notes.len()),
                examples: notes.to_vec(),
                tags: Vec::new(),
            }],
            ..Default::default()
        };
    }
    let mut categories: Vec<ProposedCategory> = g
        .groups
        .iter()
        .map(|members| named(members, notes, &g.vectors, &g.names, &g.df))
        .collect();
    dedupe_names(&mut categories);
    Proposal {
        categories,
        unassigned: g.unassigned.iter().map(|&i| notes[i].clone()).collect(),
        rejected_examples: Vec::new(),
    }
}

/// A group's category: named from the concept most of its notes say, else its most
/// characteristic phrase or word; its examples are its notes, the most typical first.
pub(super) fn named(
    members: &[usize],
    notes: &[String],
    vectors: &[Vector],
    names: &[String],
    df: &[usize],
) -> ProposedCategory {
    let n = notes.len() as f32;
    let mut weight: HashMap<usize, (f32, usize)> = HashMap::new();
    for &i in members {
        for &(id, x) in &vectors[i] {
            let e = weight.entry(id).or_insert((0.0, 0));
            e.0 += x;
            e.1 += 1;
        }
    }
    let size = members.len() as f32;
    let concept = weight
        .iter()
        .filter(|(id, (_, c))| names[**id].starts_with('@') && *c as f32 >= NAMED_BY_CONCEPT * size)
        .max_by(|a, b| a.1.1.cmp(&b.1.1).then(b.0.cmp(a.0)))
        .and_then(|(id, _)| CONCEPTS.iter().find(|c| c.key == names[*id]));
    // distinctive: frequent inside, rare outside; phrases before single words
    let mut terms: Vec<(usize, f32)> = weight
        .iter()
        .filter(|(id, (_, c))| !names[**id].starts_with('@') && *c >= 2)
        .map(|(id, (x, c))| {
            let inside = *c as f32 / size;
            let outside = (df[*id] - c) as f32 / (n - size).max(1.0);
            let phrase = if names[*id].contains(' ') { 1.5 } else { 1.0 };
            (*id, (inside - outside) * phrase + x * 1e-3)
        })
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(names[a.0].cmp(&names[b.0])));
    let words: Vec<String> = terms
        .iter()
        .take(3)
        .map(|(id, _)| readable(&names[*id], members, notes))
        .collect();
    let name = match (concept, words.first()) {
        (Some(c), _) => c.name.to_owned(),
        (None, Some(w)) => w.clone(),
        (None, None) => "other".to_owned(),
    };
    let centre = centroid(vectors, members);
    let mut examples: Vec<usize> = members.to_vec();
    examples.sort_by(|&a, &b| {
        cosine(&vectors[b], &centre)
            .total_cmp(&cosine(&vectors[a], &centre))
            .then(a.cmp(&b))
    });
    ProposedCategory {
        name,
        description: format!(
            "{} notes, most about: {}.",
            members.len(),
            if words.is_empty() {
                "various".to_owned()
            } else {
                words.join(", ")
            }
        ),
        examples: examples.iter().map(|&i| notes[i].clone()).collect(),
        tags: Vec::new(),
    }
}

/// A stem or phrase of stems as the notes wrote it (the first word each stem came from).
fn readable(feature: &str, members: &[usize], notes: &[String]) -> String {
    feature
        .split(' ')
        .map(|s| {
            members
                .iter()
                .flat_map(|&i| lexicon::words(&notes[i]))
                .find(|w| lexicon::stem(w) == s)
                .unwrap_or_else(|| s.to_owned())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Two groups with one name: the second gets its most characteristic word too.
pub(super) fn dedupe_names(categories: &mut [ProposedCategory]) {
    for i in 1..categories.len() {
        if categories[..i].iter().any(|c| c.name == categories[i].name) {
            let extra = categories[i]
                .description
                .split_once(": ")
                .and_then(|(_, w)| w.split(", ").next())
                .map(|w| w.trim_end_matches('.').to_owned())
                .unwrap_or_else(|| format!("{}", i + 1));
            categories[i].name = format!("{} ({extra})", categories[i].name);
        }
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

/// The adjusted Rand index of two partitions of the same items (labels per item): 1 when they
/// agree exactly, about 0 for a chance agreement (Hubert and Arabie, 1985).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let pairs = |x: f64| x * (x - 1.0) / 2.0;
    let mut table: HashMap<(usize, usize), f64> = HashMap::new();
    let mut rows: HashMap<usize, f64> = HashMap::new();
    let mut cols: HashMap<usize, f64> = HashMap::new();
    for i in 0..n {
        *table.entry((a[i], b[i])).or_insert(0.0) += 1.0;
        *rows.entry(a[i]).or_insert(0.0) += 1.0;
        *cols.entry(b[i]).or_insert(0.0) += 1.0;
    }
    let index: f64 = table.values().map(|&x| pairs(x)).sum();
    let sum_a: f64 = rows.values().map(|&x| pairs(x)).sum();
    let sum_b: f64 = cols.values().map(|&x| pairs(x)).sum();
    let expected = sum_a * sum_b / pairs(n as f64);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod ari_tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn adjusted_rand_index_is_one_for_the_same_partition_and_near_zero_for_chance() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]) - 1.0).abs() < 1e-12);
        // the textbook example: ARI of these is 0.242…
        let a = [0, 0, 0, 1, 1, 1, 2, 2, 2];
        let b = [0, 0, 1, 1, 2, 2, 2, 0, 1];
        let ari = adjusted_rand_index(&a, &b);
        assert!(ari.abs() < 0.2, "{ari}");
        assert!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) < 0.0);
    }
}
