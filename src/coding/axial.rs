//! Axial coding against the codebook: its described categories keep their notes; the free
//! notes and the tags the expert coined while open coding (open codes too) are grouped into
//! categories that list the tags they absorb, lexically or by an embeddings endpoint's vectors.

use super::cluster::{cluster, dedupe_names, grouping_by, named};
use crate::llm::proposal::{Proposal, ProposedCategory};

/// Proposes against an existing codebook. Its categories that have a description stay: the
/// notes of traces coded with one are assigned to it. Its **tags** (categories coined while
/// open coding, with no description yet) are open codes like the notes: each tag, with the
/// notes of the traces that carry it, is grouped with the free notes into 3–7 categories, each
/// listing the tags it absorbs (a tag left alone stays a category of its own). `notes` pairs
/// each note with the codebook categories its trace carries; `tags_only`: traces with tags but
/// no note.
pub fn cluster_against(
    notes: &[(String, Vec<String>)],
    codebook: &crate::coding::Codebook,
) -> Proposal {
    propose(axial_input(notes, codebook), None)
}

/// What axial coding groups: the codebook's described categories with their notes (kept), the
/// free notes, and the tags with their traces' notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AxialInput {
    existing: Vec<ProposedCategory>,
    free: Vec<String>,
    tags: Vec<(String, Vec<String>)>,
}

impl AxialInput {
    /// The texts grouped, in order: the free notes, then each tag read as its name (twice: the
    /// expert's own words) and its notes. An embeddings endpoint embeds these.
    pub fn texts(&self) -> Vec<String> {
        let mut texts = self.free.clone();
        texts.extend(
            self.tags
                .iter()
                .map(|(t, n)| format!("{t}. {t}. {}", n.join(". "))),
        );
        texts
    }

    /// Whether there is nothing to group.
    pub fn is_empty(&self) -> bool {
        self.free.is_empty() && self.tags.is_empty()
    }
}

/// The proposal for `input`: its described categories first, then the groups of free notes and
/// tags (by `embedded` vectors of [`AxialInput::texts`] when given, else lexically).
pub fn propose(input: AxialInput, embedded: Option<&[Vec<f32>]>) -> Proposal {
    let AxialInput {
        mut existing,
        free,
        tags,
    } = input;
    let mut proposal = cluster_with_tags(&free, &tags, embedded);
    existing.append(&mut proposal.categories);
    proposal.categories = existing;
    proposal
}

/// Splits the notes (each with its trace's codebook categories) into an [`AxialInput`].
pub fn axial_input(
    notes: &[(String, Vec<String>)],
    codebook: &crate::coding::Codebook,
) -> AxialInput {
    let is_tag = |c: &str| {
        codebook
            .get(c)
            .is_some_and(|cat| cat.description.trim().is_empty())
    };
    let mut existing: Vec<ProposedCategory> = Vec::new();
    let mut free: Vec<String> = Vec::new();
    // each tag's notes, in the codebook's order
    let mut tags: Vec<(String, Vec<String>)> = codebook
        .categories
        .iter()
        .filter(|c| is_tag(&c.name))
        .map(|c| (c.name.clone(), Vec::new()))
        .collect();
    for (note, cats) in notes {
        let known: Vec<&String> = cats
            .iter()
            .filter(|c| codebook.get(c).is_some() && !is_tag(c))
            .collect();
        let tagged: Vec<&String> = cats.iter().filter(|c| is_tag(c)).collect();
        for t in &tagged {
            if let Some((_, n)) = tags.iter_mut().find(|(name, _)| name == *t)
                && !note.trim().is_empty()
                && !n.contains(note)
            {
                n.push(note.clone());
            }
        }
        if !known.is_empty() {
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
                        tags: Vec::new(),
                    }),
                }
            }
        } else if tagged.is_empty() && !note.trim().is_empty() {
            free.push(note.clone());
        }
    }
    // keep the codebook's order
    existing.sort_by_key(|e| codebook.index_of(&e.name).unwrap_or(usize::MAX));
    AxialInput {
        existing,
        free,
        tags,
    }
}

/// Groups free notes and tags (each read as its name and its traces' notes) into named
/// categories that list the tags they absorb.
fn cluster_with_tags(
    free: &[String],
    tags: &[(String, Vec<String>)],
    embedded: Option<&[Vec<f32>]>,
) -> Proposal {
    if tags.is_empty() && embedded.is_none() {
        return cluster(free);
    }
    let texts = AxialInput {
        existing: Vec::new(),
        free: free.to_vec(),
        tags: tags.to_vec(),
    }
    .texts();
    let g = grouping_by(&texts, embedded);
    let tag_of = |i: usize| i.checked_sub(free.len()).map(|t| &tags[t]);
    let mut categories: Vec<ProposedCategory> = g
        .groups
        .iter()
        .map(|members| {
            let mut c = named(members, &texts, &g.vectors, &g.names, &g.df);
            let absorbed: Vec<&(String, Vec<String>)> =
                members.iter().filter_map(|&i| tag_of(i)).collect();
            c.tags = absorbed.iter().map(|(t, _)| t.clone()).collect();
            // examples are notes, never a tag's text
            c.examples = members
                .iter()
                .filter(|&&i| i < free.len())
                .map(|&i| free[i].clone())
                .chain(absorbed.iter().flat_map(|(_, n)| n.iter().cloned()))
                .fold(Vec::new(), |mut v, n| {
                    if !v.contains(&n) {
                        v.push(n);
                    }
                    v
                });
            // one tag alone keeps the expert's name for it
            if let ([only], true) = (c.tags.as_slice(), members.len() == 1) {
                c.name.clone_from(only);
            }
            c
        })
        .collect();
    dedupe_names(&mut categories);
    let mut unassigned = Vec::new();
    for &i in &g.unassigned {
        match tag_of(i) {
            // a tag nothing joined stays a category of its own
            Some((t, n)) => categories.push(ProposedCategory {
                name: t.clone(),
                description: String::new(),
                examples: n.clone(),
                tags: vec![t.clone()],
            }),
            None => unassigned.push(free[i].clone()),
        }
    }
    Proposal {
        categories,
        unassigned,
        rejected_examples: Vec::new(),
    }
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

#[cfg(test)]
mod tag_tests {
    use super::*;
    use crate::coding::lexicon;
    use crate::coding::{Category, Codebook};

    fn tag(name: &str) -> Category {
        Category {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn coined_tags_are_grouped_with_the_notes_into_categories_that_absorb_them() {
        let tags = [
            "no handoff",
            "asked for human",
            "wrong date",
            "date off by one",
            "invented fee",
            "fake amenity",
            "rude",
            "curt tone",
            "no availability check",
            "skipped lookup",
        ];
        let codebook = Codebook {
            categories: tags.iter().map(|t| tag(t)).collect(),
            ..Default::default()
        };
        let mut notes: Vec<(String, Vec<String>)> = vec![
            (
                "kept looping instead of escalating".to_owned(),
                vec!["no handoff".into()],
            ),
            (
                "wanted an agent, never transferred".to_owned(),
                vec!["asked for human".into()],
            ),
            (
                "tour booked for Tuesday not Thursday".to_owned(),
                vec!["wrong date".into()],
            ),
            (
                "move-in day off by one".to_owned(),
                vec!["date off by one".into()],
            ),
            ("made up a $50 fee".to_owned(), vec!["invented fee".into()]),
            (
                "hallucinated a rooftop pool".to_owned(),
                vec!["fake amenity".into()],
            ),
            ("dismissive reply".to_owned(), vec!["rude".into()]),
            ("short and cold tone".to_owned(), vec!["curt tone".into()]),
            (
                "said yes without checking the calendar tool".to_owned(),
                vec!["no availability check".into()],
            ),
            (
                "never queried the listings".to_owned(),
                vec!["skipped lookup".into()],
            ),
        ];
        // notes without tags: the two "connect" notes belong with the handoff tags
        notes.push(("should connect them to the leasing staff".into(), vec![]));
        notes.push(("connect to a person when they ask".into(), vec![]));
        let p = cluster_against(&notes, &codebook);
        assert!((3..=7).contains(&p.categories.len()), "{:#?}", p.categories);
        let home = |t: &str| {
            p.categories
                .iter()
                .position(|c| c.tags.iter().any(|x| x == t))
                .unwrap_or_else(|| panic!("{t} absorbed nowhere: {:#?}", p.categories))
        };
        for t in tags {
            let n = p
                .categories
                .iter()
                .filter(|c| c.tags.iter().any(|x| x == t))
                .count();
            assert_eq!(n, 1, "{t} is absorbed once");
        }
        assert_eq!(home("no handoff"), home("asked for human"));
        assert_eq!(home("wrong date"), home("date off by one"));
        assert_eq!(home("invented fee"), home("fake amenity"));
        assert_eq!(home("rude"), home("curt tone"));
        assert_eq!(home("no availability check"), home("skipped lookup"));
        let handoff = &p.categories[home("no handoff")];
        assert!(
            handoff
                .examples
                .iter()
                .any(|e| e == "should connect them to the leasing staff"),
            "{handoff:#?}"
        );
        // names a person would write: never stop words alone, never "a / b"
        for c in &p.categories {
            assert!(!c.name.contains(" / "), "{}", c.name);
            assert!(
                c.name.split(' ').any(|w| !lexicon::is_stop(w)),
                "{}",
                c.name
            );
        }
    }
}
