//! A proposal of failure categories for axial coding, and the tolerant-but-strict parser of an
//! LLM's answer: the JSON may sit in prose or code fences; examples must be notes that were sent;
//! notes no category claimed are reported; 1–12 categories.

use serde::{Deserialize, Serialize};

/// One proposed category.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposedCategory {
    /// Short name.
    pub name: String,
    /// One sentence.
    #[serde(default)]
    pub description: String,
    /// The notes it claims, verbatim.
    #[serde(default)]
    pub examples: Vec<String>,
    /// The tags (categories coined while open coding, no description yet) it absorbs:
    /// accepting puts the traces that carry them under this category.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A whole proposal, checked against the notes that were sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Proposal {
    /// The categories.
    pub categories: Vec<ProposedCategory>,
    /// Notes no category claimed.
    pub unassigned: Vec<String>,
    /// Examples that were not among the notes (dropped from their category).
    pub rejected_examples: Vec<String>,
}

impl Proposal {
    /// Moves note `note` of category `from` to category `to` (out-of-range: nothing).
    pub fn move_note(&mut self, from: usize, note: usize, to: usize) {
        if from == to || to >= self.categories.len() {
            return;
        }
        if let Some(n) = self
            .categories
            .get_mut(from)
            .and_then(|c| (note < c.examples.len()).then(|| c.examples.remove(note)))
        {
            self.categories[to].examples.push(n);
        }
    }

    /// Merges category `from` into `into`: its notes join `into`, it goes.
    pub fn merge(&mut self, from: usize, into: usize) {
        if from == into || from >= self.categories.len() || into >= self.categories.len() {
            return;
        }
        let moved = self.categories.remove(from);
        let into = if into > from { into - 1 } else { into };
        self.categories[into].examples.extend(moved.examples);
        self.categories[into].tags.extend(moved.tags);
    }

    /// Adds an empty category after `i`, named after it, to move notes into.
    pub fn split(&mut self, i: usize) {
        let Some(c) = self.categories.get(i) else {
            return;
        };
        let name = format!("{} (split)", c.name);
        self.categories.insert(
            i + 1,
            ProposedCategory {
                name,
                ..Default::default()
            },
        );
    }

    /// Keeps only the tags that are among `known` (what was sent), each in its first category.
    pub fn keep_known_tags(&mut self, known: &[String]) {
        let mut seen = std::collections::HashSet::new();
        for c in &mut self.categories {
            c.tags
                .retain(|t| known.contains(t) && seen.insert(t.clone()));
        }
    }

    /// Drops category `i`: its notes become unassigned.
    pub fn drop_category(&mut self, i: usize) {
        if i < self.categories.len() {
            let dropped = self.categories.remove(i);
            self.unassigned.extend(dropped.examples);
        }
    }
}

/// Why an answer was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// No JSON in the answer.
    #[error("the answer holds no JSON: {0}")]
    NoJson(String),
    /// JSON, but not the shape asked for.
    #[error("the answer's JSON is not a list of categories ({reason}): {answer}")]
    WrongShape {
        /// What was wrong.
        reason: String,
        /// The answer, shortened.
        answer: String,
    },
    /// Too few or too many categories.
    #[error("the answer proposes {0} categories; 1 to 12 are accepted")]
    Count(usize),
}

#[derive(Deserialize)]
struct Wrapped {
    categories: Vec<ProposedCategory>,
}

fn short(s: &str) -> String {
    crate::trace::content::one_line(s, 300)
}

/// Candidate JSON texts inside an answer: fenced blocks first, then the outermost `{…}` / `[…]`.
fn json_candidates(answer: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = answer;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map_or(0, |i| i + 1);
        let Some(end) = after[body_start..].find("```") else {
            break;
        };
        out.push(after[body_start..body_start + end].trim());
        rest = &after[body_start + end + 3..];
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(a), Some(b)) = (answer.find(open), answer.rfind(close))
            && a < b
        {
            out.push(&answer[a..=b]);
        }
    }
    out
}

/// Parses an answer against the `notes` that were sent.
pub fn parse(answer: &str, notes: &[String]) -> Result<Proposal, ProposalError> {
    let candidates = json_candidates(answer);
    if candidates.is_empty() {
        return Err(ProposalError::NoJson(short(answer)));
    }
    let mut last_reason = String::new();
    let mut categories = None;
    for c in candidates {
        match serde_json::from_str::<Wrapped>(c) {
            Ok(w) => {
                categories = Some(w.categories);
                break;
            }
            Err(e) => last_reason = e.to_string(),
        }
        match serde_json::from_str::<Vec<ProposedCategory>>(c) {
            Ok(v) => {
                categories = Some(v);
                break;
            }
            Err(e) => last_reason = e.to_string(),
        }
    }
    let Some(mut categories) = categories else {
        return Err(ProposalError::WrongShape {
            reason: last_reason,
            answer: short(answer),
        });
    };
    categories.retain(|c| !c.name.trim().is_empty());
    if categories.is_empty() || categories.len() > 12 {
        return Err(ProposalError::Count(categories.len()));
    }
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let known: std::collections::HashMap<String, &String> =
        notes.iter().map(|n| (norm(n), n)).collect();
    let mut rejected = Vec::new();
    let mut claimed = std::collections::HashSet::new();
    for c in &mut categories {
        c.name = c.name.trim().to_owned();
        let mut kept = Vec::new();
        for e in c.examples.drain(..) {
            match known.get(&norm(&e)) {
                Some(original) => {
                    if !kept.contains(*original) {
                        kept.push((*original).clone());
                    }
                    claimed.insert(norm(&e));
                }
                None => rejected.push(e),
            }
        }
        c.examples = kept;
    }
    let unassigned = notes
        .iter()
        .filter(|n| !claimed.contains(&norm(n)))
        .cloned()
        .collect();
    Ok(Proposal {
        categories,
        unassigned,
        rejected_examples: rejected,
    })
}

/// The prompt asking for 3–7 categories as JSON over `notes`, with the existing codebook's
/// categories to reuse where they fit.
pub fn prompt(notes: &[String], existing: &[(String, String)]) -> String {
    let mut p = String::from(
        "You are helping a domain expert do axial coding in an error analysis of an LLM application.\n\
         Below are the expert's open-coding notes, one per failing trace. Group them into 3 to 7 \
         failure categories. Each category gets a short name, a one-sentence description, and the \
         notes it covers as examples, copied verbatim. A note may be left out if it fits nowhere.\n",
    );
    // a category with no description yet is a tag the expert coined while reading: an open
    // code like a note, to be grouped too
    let (tags, described): (Vec<_>, Vec<_>) = existing
        .iter()
        .partition(|(_, description)| description.trim().is_empty());
    if !described.is_empty() {
        p.push_str("\nThe codebook already has these categories; assign notes to them where they fit, and propose new ones only for notes that do not:\n");
        for (name, description) in described {
            p.push_str(&format!("- {name}: {description}\n"));
        }
    }
    if !tags.is_empty() {
        p.push_str(
            "\nWhile reading, the expert also coined these tags. A tag is an open code like a note: \
             group the tags together with the notes, and list in each category's \"tags\" the tags \
             it takes, copied verbatim (each tag in one category at most):\n",
        );
        for (name, _) in tags {
            p.push_str(&format!(
                "- {}\n",
                serde_json::to_string(name).unwrap_or_default()
            ));
        }
    }
    p.push_str(
        "\nAnswer with JSON only, in this shape:\n\
         {\"categories\": [{\"name\": \"...\", \"description\": \"...\", \"examples\": [\"<note verbatim>\", ...], \"tags\": [\"<tag verbatim>\", ...]}]}\n\nNotes:\n",
    );
    for n in notes {
        p.push_str(&format!(
            "- {}\n",
            serde_json::to_string(n).unwrap_or_default()
        ));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn notes() -> Vec<String> {
        vec![
            "wrong date given".into(),
            "tool  not called".into(),
            "made up a fee".into(),
        ]
    }

    #[test]
    fn well_formed_and_fenced_and_prose() {
        let json = r#"{"categories":[{"name":"Dates","description":"Wrong dates.","examples":["wrong date given"]},{"name":"Tools","description":"No tool.","examples":["tool not called"]}]}"#;
        let p = parse(json, &notes()).unwrap();
        assert_eq!(p.categories.len(), 2);
        assert_eq!(
            p.categories[1].examples,
            ["tool  not called"],
            "matched despite whitespace, original kept"
        );
        assert_eq!(p.unassigned, ["made up a fee"]);
        let fenced = format!("Here you go:\n```json\n{json}\n```\nHope this helps!");
        assert_eq!(parse(&fenced, &notes()).unwrap(), p);
        let prose = format!("Sure. {json} Let me know.");
        assert_eq!(parse(&prose, &notes()).unwrap(), p);
        let bare_list = r#"[{"name":"Dates","examples":["wrong date given"]}]"#;
        assert_eq!(
            parse(bare_list, &notes()).unwrap().categories[0].name,
            "Dates"
        );
    }

    #[test]
    fn hallucinated_examples_are_rejected() {
        let json = r#"{"categories":[{"name":"Fees","description":"x","examples":["made up a fee","invented note"]}]}"#;
        let p = parse(json, &notes()).unwrap();
        assert_eq!(p.categories[0].examples, ["made up a fee"]);
        assert_eq!(p.rejected_examples, ["invented note"]);
    }

    #[test]
    fn truncated_wrong_schema_and_counts() {
        assert!(matches!(
            parse("I cannot help with that.", &notes()),
            Err(ProposalError::NoJson(_))
        ));
        assert!(matches!(
            parse(r#"{"categories":[{"name":"A","examples":["x""#, &notes()),
            Err(ProposalError::NoJson(_) | ProposalError::WrongShape { .. })
        ));
        assert!(matches!(
            parse(r#"{"groups":[1,2]}"#, &notes()),
            Err(ProposalError::WrongShape { .. })
        ));
        assert_eq!(
            parse(r#"{"categories":[]}"#, &notes()),
            Err(ProposalError::Count(0))
        );
        let many: Vec<String> = (0..13).map(|i| format!(r#"{{"name":"c{i}"}}"#)).collect();
        assert_eq!(
            parse(
                &format!(r#"{{"categories":[{}]}}"#, many.join(",")),
                &notes()
            ),
            Err(ProposalError::Count(13))
        );
    }

    #[test]
    fn tags_go_in_the_prompt_and_come_back_checked() {
        let p = prompt(
            &notes(),
            &[
                ("Dates".into(), "Wrong dates.".into()),
                ("no handoff".into(), String::new()),
            ],
        );
        assert!(p.contains("coined these tags") && p.contains("- \"no handoff\""));
        assert!(
            !p.contains("- no handoff:"),
            "a tag is not a described category"
        );
        let json = r#"{"categories":[{"name":"Handoff","examples":["tool not called"],"tags":["no handoff","invented tag"]},{"name":"Again","tags":["no handoff"]}]}"#;
        let mut proposal = parse(json, &notes()).unwrap();
        proposal.keep_known_tags(&["no handoff".to_owned()]);
        assert_eq!(proposal.categories[0].tags, ["no handoff"]);
        assert!(
            proposal.categories[1].tags.is_empty(),
            "a tag goes to one category"
        );
    }

    #[test]
    fn groups_made_by_embeddings_are_named_by_the_llm_or_keep_their_names() {
        let mut groups = vec![
            ProposedCategory {
                name: "tool".into(),
                examples: vec!["tool not called".into()],
                ..Default::default()
            },
            ProposedCategory {
                name: "date".into(),
                examples: vec!["wrong date given".into()],
                tags: vec!["dates".into()],
                ..Default::default()
            },
        ];
        let p = naming_prompt(&groups);
        assert!(p.contains("Group 2:\n- \"wrong date given\"\n- tag \"dates\""));
        let answer = r#"Sure: {"categories":[{"name":"Tool not called","description":"No lookup."},{"name":"Wrong dates","description":"Dates off."}]}"#;
        apply_names(answer, &mut groups).unwrap();
        assert_eq!(
            (groups[0].name.as_str(), groups[1].name.as_str()),
            ("Tool not called", "Wrong dates")
        );
        assert_eq!(
            groups[1].examples,
            ["wrong date given"],
            "the groups themselves stay"
        );
        let one = r#"{"categories":[{"name":"Only one"}]}"#;
        assert_eq!(apply_names(one, &mut groups), Err(ProposalError::Count(1)));
        assert_eq!(groups[0].name, "Tool not called");
        assert!(matches!(
            apply_names("no", &mut groups),
            Err(ProposalError::NoJson(_))
        ));
    }

    #[test]
    fn prompt_lists_notes_and_existing_categories() {
        let p = prompt(&notes(), &[("Dates".into(), "Wrong dates.".into())]);
        assert!(p.contains("- \"wrong date given\""));
        assert!(p.contains("- Dates: Wrong dates."));
        assert!(p.contains("\"categories\""));
    }
}

/// The prompt asking an LLM to name groups made by embeddings: for each, in order, a short
/// noun-phrase name and a one-sentence description.
pub fn naming_prompt(groups: &[ProposedCategory]) -> String {
    let mut p = String::from(
        "You are helping a domain expert do axial coding in an error analysis of an LLM application.\n\
         The expert's open-coding notes below are already grouped. Name each group as the expert \
         would: a short noun phrase for the failure (e.g. \"missing quantities\"), and a \
         one-sentence description. Keep the groups and their order.\n\n\
         Answer with JSON only, in this shape, one entry per group in order:\n\
         {\"categories\": [{\"name\": \"...\", \"description\": \"...\"}]}\n",
    );
    for (i, g) in groups.iter().enumerate() {
        p.push_str(&format!("\nGroup {}:\n", i + 1));
        for n in g.examples.iter().take(12) {
            p.push_str(&format!(
                "- {}\n",
                serde_json::to_string(n).unwrap_or_default()
            ));
        }
        for t in &g.tags {
            p.push_str(&format!(
                "- tag {}\n",
                serde_json::to_string(t).unwrap_or_default()
            ));
        }
    }
    p
}

/// Puts an LLM's names (see [`naming_prompt`]) on the groups; an answer that does not name each
/// group once is refused, and the groups keep their own names.
pub fn apply_names(answer: &str, groups: &mut [ProposedCategory]) -> Result<(), ProposalError> {
    let named = json_candidates(answer)
        .into_iter()
        .find_map(|c| serde_json::from_str::<Wrapped>(c).ok())
        .ok_or_else(|| ProposalError::NoJson(short(answer)))?;
    if named.categories.len() != groups.len() {
        return Err(ProposalError::Count(named.categories.len()));
    }
    for (g, n) in groups.iter_mut().zip(named.categories) {
        if !n.name.trim().is_empty() {
            g.name = n.name.trim().to_owned();
        }
        if !n.description.trim().is_empty() {
            g.description = n.description.trim().to_owned();
        }
    }
    Ok(())
}

/// Splits notes into batches whose prompt text stays under `max_chars` (at least one note each).
pub fn batches(notes: &[String], max_chars: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut size = 0;
    for n in notes {
        let len = n.len() + 8;
        if out.is_empty() || (size + len > max_chars && !out.last().is_some_and(Vec::is_empty)) {
            out.push(Vec::new());
            size = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(n.clone());
        }
        size += len;
    }
    out
}

/// Folds the proposal for one batch into the running one: categories with the same name (case
/// and spacing aside) merge; unassigned notes are recomputed over `all_notes` at the end.
pub fn reconcile(acc: &mut Proposal, next: Proposal, all_notes: &[String]) {
    let key = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    for c in next.categories {
        match acc
            .categories
            .iter_mut()
            .find(|a| key(&a.name) == key(&c.name))
        {
            Some(a) => {
                if a.description.is_empty() {
                    a.description = c.description;
                }
                for e in c.examples {
                    if !a.examples.contains(&e) {
                        a.examples.push(e);
                    }
                }
                for t in c.tags {
                    if !a.tags.contains(&t) {
                        a.tags.push(t);
                    }
                }
            }
            None => acc.categories.push(c),
        }
    }
    acc.rejected_examples.extend(next.rejected_examples);
    let claimed: std::collections::HashSet<&String> =
        acc.categories.iter().flat_map(|c| &c.examples).collect();
    acc.unassigned = all_notes
        .iter()
        .filter(|n| !claimed.contains(n))
        .cloned()
        .collect();
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn batches_and_reconciliation() {
        let notes: Vec<String> = (0..10).map(|i| format!("note number {i}")).collect();
        let b = batches(&notes, 60);
        assert!(b.len() > 1);
        assert_eq!(b.iter().map(Vec::len).sum::<usize>(), 10);
        assert_eq!(
            batches(&notes, 1).len(),
            10,
            "a note longer than the budget still goes alone"
        );
        let mut acc = Proposal::default();
        let p1 = Proposal {
            categories: vec![ProposedCategory {
                name: "Dates".into(),
                description: "d".into(),
                examples: vec![notes[0].clone()],
                tags: Vec::new(),
            }],
            ..Default::default()
        };
        let p2 = Proposal {
            categories: vec![
                ProposedCategory {
                    name: "dates ".into(),
                    description: String::new(),
                    examples: vec![notes[1].clone()],
                    tags: Vec::new(),
                },
                ProposedCategory {
                    name: "Tools".into(),
                    description: "t".into(),
                    examples: vec![notes[2].clone()],
                    tags: Vec::new(),
                },
            ],
            rejected_examples: vec!["x".into()],
            ..Default::default()
        };
        reconcile(&mut acc, p1, &notes);
        reconcile(&mut acc, p2, &notes);
        assert_eq!(acc.categories.len(), 2);
        assert_eq!(acc.categories[0].examples.len(), 2);
        assert_eq!(acc.unassigned.len(), 7);
        assert_eq!(acc.rejected_examples, ["x"]);
    }

    #[test]
    fn review_edits_move_merge_split_drop() {
        let cat = |name: &str, notes: &[&str]| ProposedCategory {
            name: name.into(),
            description: String::new(),
            examples: notes.iter().map(|n| (*n).to_owned()).collect(),
            tags: Vec::new(),
        };
        let mut p = Proposal {
            categories: vec![cat("a", &["1", "2"]), cat("b", &["3"]), cat("c", &["4"])],
            ..Default::default()
        };
        p.move_note(0, 1, 1);
        assert_eq!(p.categories[1].examples, ["3", "2"]);
        p.move_note(0, 5, 1); // out of range: nothing
        p.move_note(0, 0, 9);
        assert_eq!(p.categories[0].examples, ["1"]);
        p.merge(2, 0);
        assert_eq!(p.categories.len(), 2);
        assert_eq!(p.categories[0].examples, ["1", "4"]);
        p.merge(0, 1); // into a later one: its index shifts
        assert_eq!(p.categories.len(), 1);
        assert_eq!(p.categories[0].name, "b");
        assert_eq!(p.categories[0].examples, ["3", "2", "1", "4"]);
        p.split(0);
        assert_eq!(p.categories[1].name, "b (split)");
        p.drop_category(0);
        assert_eq!(p.unassigned, ["3", "2", "1", "4"]);
        assert_eq!(p.categories.len(), 1);
        p.drop_category(7);
        p.split(7);
        assert_eq!(p.categories.len(), 1);
    }
}
