//! The codebook: versioned failure categories with a changelog and the owner's sign-off.
//! Every change appends a changelog entry; the methods here are its only writers. Categories
//! coined one after another by one author while the version is not signed off join one version
//! ("added a, b, c"), so open coding does not run the version up tag by tag.
//!
//! Which changes make a coded trace need re-coding: those that change what a category it
//! carries means — a split (part of it may now belong to the new category), an edited
//! description, an imported codebook (all of them). Adding, renaming, merging, deleting,
//! reordering and severity or reporting-label edits do not: renames, merges and deletes relabel
//! the traces themselves, and a new category is offered by the structured pass without
//! invalidating what was coded.

use serde::{Deserialize, Serialize};

/// How bad a category is; the weight multiplies counts in the severity-weighted Pareto.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Weight 3.
    High,
    /// Weight 2.
    #[default]
    Medium,
    /// Weight 1.
    Low,
}

impl Severity {
    /// Numeric weight.
    pub fn weight(self) -> f64 {
        match self {
            Severity::High => 3.0,
            Severity::Medium => 2.0,
            Severity::Low => 1.0,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// All, most severe first.
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];
}

/// One failure category.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Category {
    /// Short name, unique in the codebook.
    pub name: String,
    /// One sentence saying what belongs here.
    pub description: String,
    /// How bad it is.
    pub severity: Severity,
    /// The coarse board-level bucket, kept apart from the operational category.
    pub reporting_label: Option<String>,
    /// Example trace ids.
    pub examples: Vec<String>,
    /// Coined while reviewing this batch: a new category candidate until the owner accepts it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_from: Option<String>,
}

/// One changelog entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeEntry {
    /// The version this change produced (or signed off).
    pub version: u32,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub author: String,
    /// What changed, in words.
    pub change: String,
    /// Set on a sign-off entry: the owner who signed this version off.
    pub signed_off_by: Option<String>,
    /// Categories whose traces need re-coding after this change (`*`: every coded trace).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recode: Vec<String>,
}

/// In [`ChangeEntry::recode`]: every coded trace needs re-coding.
pub const RECODE_ALL: &str = "*";

/// The versioned category list (`codebook.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Codebook {
    /// Bumped by every change.
    pub version: u32,
    /// The principal expert who signs versions off.
    pub owner: String,
    /// Categories in the expert's order (number keys follow it).
    pub categories: Vec<Category>,
    /// Every change, oldest first.
    pub changelog: Vec<ChangeEntry>,
}

/// Why a codebook change was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodebookError {
    /// No category has that name.
    #[error("no category named \"{0}\"")]
    Missing(String),
    /// The name is taken.
    #[error("a category named \"{0}\" exists already")]
    Exists(String),
    /// Empty name.
    #[error("a category needs a name")]
    EmptyName,
    /// Merging a category into itself.
    #[error("cannot merge \"{0}\" into itself")]
    SelfMerge(String),
    /// Only the owner signs off.
    #[error("only the owner ({owner}) can sign off; you are {who}")]
    NotOwner {
        /// The owner.
        owner: String,
        /// Who tried.
        who: String,
    },
}

impl Codebook {
    /// Index of a category by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.name == name)
    }

    /// The category with this name.
    pub fn get(&self, name: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.name == name)
    }

    /// Position of an existing category, or why not.
    fn position(&self, name: &str) -> Result<usize, CodebookError> {
        self.index_of(name)
            .ok_or_else(|| CodebookError::Missing(name.to_owned()))
    }

    /// A trimmed name that no category has yet, or why not.
    fn free_name<'a>(&self, name: &'a str) -> Result<&'a str, CodebookError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(CodebookError::EmptyName);
        }
        match self.index_of(name) {
            Some(_) => Err(CodebookError::Exists(name.to_owned())),
            None => Ok(name),
        }
    }

    fn bump(&mut self, author: &str, at: &str, change: String) {
        self.bump_recoding(author, at, change, Vec::new());
    }

    fn bump_recoding(&mut self, author: &str, at: &str, change: String, recode: Vec<String>) {
        self.version += 1;
        self.changelog.push(ChangeEntry {
            version: self.version,
            at: at.to_owned(),
            author: author.to_owned(),
            change,
            signed_off_by: None,
            recode,
        });
    }

    /// Whether the current version has been signed off.
    fn current_signed_off(&self) -> bool {
        self.changelog
            .iter()
            .any(|e| e.version == self.version && e.signed_off_by.is_some())
    }

    /// Adds a category at the end. Added right after another addition by the same author to a
    /// version nobody signed off, it joins that version's entry instead of making a new one.
    pub fn add(&mut self, name: &str, author: &str, at: &str) -> Result<(), CodebookError> {
        let name = self.free_name(name)?;
        self.categories.push(Category {
            name: name.to_owned(),
            ..Default::default()
        });
        let signed = self.current_signed_off();
        match self.changelog.last_mut() {
            Some(last)
                if !signed
                    && last.version == self.version
                    && last.author == author
                    && last.change.starts_with("added ")
                    && last.recode.is_empty() =>
            {
                last.change.push_str(&format!(", \"{name}\""));
                last.at = at.to_owned();
            }
            _ => self.bump(author, at, format!("added \"{name}\"")),
        }
        Ok(())
    }

    /// The latest version whose change requires a trace carrying `categories` to be coded
    /// again (0: none). A trace coded under an older version needs re-coding.
    pub fn recode_version(&self, categories: &[String]) -> u32 {
        self.changelog
            .iter()
            .rev()
            .find(|e| {
                e.recode
                    .iter()
                    .any(|r| r == RECODE_ALL || categories.contains(r))
            })
            .map_or(0, |e| e.version)
    }

    /// Puts a deleted category back at `index` (undo delete; the caller restores the labels).
    pub fn restore(
        &mut self,
        index: usize,
        category: Category,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let name = self.free_name(&category.name)?.to_owned();
        self.categories
            .insert(index.min(self.categories.len()), category);
        self.bump(author, at, format!("restored \"{name}\" (undo delete)"));
        Ok(())
    }

    /// Adds the accepted categories of an axial-coding proposal (`(name, description)`; names
    /// already in the codebook are skipped) as one version. Returns how many were added.
    pub fn accept_proposal(
        &mut self,
        categories: &[(String, String)],
        absorbed: &[(String, Vec<String>)],
        source: &str,
        author: &str,
        at: &str,
    ) -> usize {
        let mut added = 0;
        // tags absorbed into another category leave the codebook (their traces are relabelled)
        let targets: Vec<&str> = categories.iter().map(|(n, _)| n.trim()).collect();
        let gone: Vec<&String> = absorbed
            .iter()
            .flat_map(|(_, tags)| tags)
            .filter(|t| !targets.contains(&t.trim()))
            .collect();
        self.categories.retain(|c| !gone.contains(&&c.name));
        for (name, description) in categories {
            let name = name.trim();
            if name.is_empty() || self.index_of(name).is_some() {
                continue;
            }
            self.categories.push(Category {
                name: name.to_owned(),
                description: description.trim().to_owned(),
                ..Default::default()
            });
            added += 1;
        }
        let mapping: Vec<String> = absorbed
            .iter()
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(to, tags)| format!("{} → {to}", tags.join(", ")))
            .collect();
        self.bump(
            author,
            at,
            format!(
                "accepted proposal from {source}, edited by {author} ({added} new categories){}",
                if mapping.is_empty() {
                    String::new()
                } else {
                    format!("; tags absorbed: {}", mapping.join("; "))
                }
            ),
        );
        added
    }

    /// Replaces this codebook with an imported one, recorded as a new version after both
    /// histories; every coded trace needs re-coding against it.
    pub fn import(&mut self, mut incoming: Codebook, source: &str, author: &str, at: &str) {
        incoming.version = incoming.version.max(self.version);
        incoming.bump_recoding(
            author,
            at,
            format!("imported the codebook from {source}"),
            vec![RECODE_ALL.to_owned()],
        );
        *self = incoming;
    }

    /// Renames a category (the caller relabels traces).
    pub fn rename(
        &mut self,
        old: &str,
        new: &str,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let new = self.free_name(new)?;
        let i = self.position(old)?;
        self.categories[i].name = new.to_owned();
        self.bump(author, at, format!("renamed \"{old}\" to \"{new}\""));
        Ok(())
    }

    /// Merges `from` into `into` (the caller relabels traces); examples are kept.
    pub fn merge(
        &mut self,
        from: &str,
        into: &str,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        if from == into {
            return Err(CodebookError::SelfMerge(from.to_owned()));
        }
        let i = self.position(from)?;
        let j = self.position(into)?;
        let removed = self.categories.remove(i);
        let j = if j > i { j - 1 } else { j };
        for ex in removed.examples {
            if !self.categories[j].examples.contains(&ex) {
                self.categories[j].examples.push(ex);
            }
        }
        self.bump(author, at, format!("merged \"{from}\" into \"{into}\""));
        Ok(())
    }

    /// Splits `from`: adds `new` beside it (the caller moves the chosen traces).
    pub fn split(
        &mut self,
        from: &str,
        new: &str,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let new = self.free_name(new)?;
        let i = self.position(from)?;
        let severity = self.categories[i].severity;
        self.categories.insert(
            i + 1,
            Category {
                name: new.to_owned(),
                severity,
                reporting_label: self.categories[i].reporting_label.clone(),
                ..Default::default()
            },
        );
        self.bump_recoding(
            author,
            at,
            format!("split \"{new}\" out of \"{from}\""),
            vec![from.to_owned()],
        );
        Ok(())
    }

    /// Deletes a category, returning it and its position (for undo).
    pub fn delete(
        &mut self,
        name: &str,
        author: &str,
        at: &str,
    ) -> Result<(usize, Category), CodebookError> {
        let i = self.position(name)?;
        let c = self.categories.remove(i);
        self.bump(author, at, format!("deleted \"{name}\""));
        Ok((i, c))
    }

    /// Moves a category one place up (`-1`) or down (`+1`).
    pub fn reorder(
        &mut self,
        name: &str,
        delta: i32,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let i = self.position(name)?;
        let j = (i as i64 + i64::from(delta)).clamp(0, self.categories.len() as i64 - 1) as usize;
        if i == j {
            return Ok(());
        }
        let c = self.categories.remove(i);
        self.categories.insert(j, c);
        self.bump(
            author,
            at,
            format!("moved \"{name}\" to position {}", j + 1),
        );
        Ok(())
    }

    /// Replaces a category's description, severity and reporting label.
    pub fn edit(
        &mut self,
        name: &str,
        edited: &Category,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let i = self.position(name)?;
        let c = &mut self.categories[i];
        if c.description == edited.description
            && c.severity == edited.severity
            && c.reporting_label == edited.reporting_label
        {
            return Ok(());
        }
        // a new description changes what the category means: its traces are coded again
        let recode = if c.description == edited.description {
            Vec::new()
        } else {
            vec![name.to_owned()]
        };
        c.description = edited.description.clone();
        c.severity = edited.severity;
        c.reporting_label = edited
            .reporting_label
            .clone()
            .filter(|l| !l.trim().is_empty());
        self.bump_recoding(author, at, format!("edited \"{name}\""), recode);
        Ok(())
    }

    /// Accepts a new category candidate (coined during a batch) into the codebook proper.
    pub fn accept_candidate(
        &mut self,
        name: &str,
        author: &str,
        at: &str,
    ) -> Result<(), CodebookError> {
        let i = self.position(name)?;
        let Some(batch) = self.categories[i].candidate_from.take() else {
            return Ok(());
        };
        self.bump(
            author,
            at,
            format!("accepted \"{name}\", a candidate from batch {batch}"),
        );
        Ok(())
    }

    /// The owner signs the current version off (recorded in the changelog; no version bump).
    pub fn sign_off(&mut self, who: &str, at: &str) -> Result<(), CodebookError> {
        if self.owner.is_empty() {
            self.owner = who.to_owned();
        }
        if self.owner != who {
            return Err(CodebookError::NotOwner {
                owner: self.owner.clone(),
                who: who.to_owned(),
            });
        }
        self.changelog.push(ChangeEntry {
            version: self.version,
            at: at.to_owned(),
            author: who.to_owned(),
            change: format!("signed off version {}", self.version),
            signed_off_by: Some(who.to_owned()),
            recode: Vec::new(),
        });
        Ok(())
    }

    /// Whether the current version carries a sign-off.
    pub fn is_signed_off(&self) -> bool {
        self.changelog
            .iter()
            .any(|c| c.version == self.version && c.signed_off_by.is_some())
    }

    /// The codebook as Markdown, for a team doc.
    pub fn to_markdown(&self, counts: &std::collections::BTreeMap<String, usize>) -> String {
        let mut out = format!(
            "# Codebook v{}\n\nOwner: {}. {}\n\n| # | category | description | severity | reporting label | traces |\n| --- | --- | --- | --- | --- | --- |\n",
            self.version,
            if self.owner.is_empty() {
                "(none)"
            } else {
                &self.owner
            },
            if self.is_signed_off() {
                "Signed off."
            } else {
                "Not signed off."
            }
        );
        for (i, c) in self.categories.iter().enumerate() {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                i + 1,
                c.name,
                c.description.replace('|', "\\|"),
                c.severity.name(),
                c.reporting_label.as_deref().unwrap_or(""),
                counts.get(&c.name).copied().unwrap_or(0)
            ));
        }
        out.push_str("\n## Changelog\n\n");
        for e in &self.changelog {
            out.push_str(&format!(
                "- v{} {} {}: {}\n",
                e.version, e.at, e.author, e.change
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_change_bumps_the_version() {
        let mut cb = Codebook::default();
        cb.add("wrong date", "sam", "t1").unwrap();
        cb.add("tool not called", "ana", "t2").unwrap(); // another author: a version of its own
        assert_eq!(cb.version, 2);
        assert_eq!(
            cb.add(" wrong date ", "sam", "t"),
            Err(CodebookError::Exists("wrong date".into()))
        );
        cb.rename("wrong date", "date error", "sam", "t3").unwrap();
        assert_eq!(cb.categories[0].name, "date error");
        cb.split("date error", "time zone", "sam", "t4").unwrap();
        assert_eq!(cb.categories[1].name, "time zone");
        cb.merge("time zone", "tool not called", "sam", "t5")
            .unwrap();
        assert_eq!(cb.categories.len(), 2);
        assert_eq!(
            cb.merge("x", "x", "sam", "t"),
            Err(CodebookError::SelfMerge("x".into()))
        );
        cb.reorder("tool not called", -1, "sam", "t6").unwrap();
        assert_eq!(cb.categories[0].name, "tool not called");
        let (pos, removed) = cb.delete("date error", "sam", "t7").unwrap();
        assert_eq!((pos, removed.name.as_str()), (1, "date error"));
        assert_eq!(cb.version, 7);
        assert_eq!(cb.changelog.len(), 7);
        assert_eq!(
            cb.changelog[2].change,
            "renamed \"wrong date\" to \"date error\""
        );
    }

    #[test]
    fn tags_coined_in_a_row_share_a_version_until_signed_off() {
        let mut cb = Codebook {
            owner: "ana".into(),
            ..Default::default()
        };
        for (i, tag) in ["a", "b", "c"].iter().enumerate() {
            cb.add(tag, "ana", &format!("t{i}")).unwrap();
        }
        assert_eq!(cb.version, 1);
        assert_eq!(cb.changelog.len(), 1);
        assert_eq!(cb.changelog[0].change, "added \"a\", \"b\", \"c\"");
        assert_eq!(cb.changelog[0].at, "t2");
        cb.sign_off("ana", "t").unwrap();
        cb.add("d", "ana", "t").unwrap(); // after a sign-off: a new version
        assert_eq!(cb.version, 2);
        cb.rename("d", "e", "ana", "t").unwrap();
        cb.add("f", "ana", "t").unwrap(); // not right after an addition: a new version
        assert_eq!(cb.version, 4);
    }

    #[test]
    fn only_changes_of_meaning_ask_for_recoding() {
        let mut cb = Codebook::default();
        cb.add("a", "ana", "t").unwrap();
        cb.add("b", "ana", "t").unwrap();
        let a = vec!["a".to_owned()];
        let b = vec!["b".to_owned()];
        cb.rename("b", "b2", "ana", "t").unwrap();
        cb.reorder("b2", -1, "ana", "t").unwrap();
        assert_eq!((cb.recode_version(&a), cb.recode_version(&b)), (0, 0));
        cb.split("a", "a-part", "ana", "t").unwrap();
        let split = cb.version;
        assert_eq!(cb.recode_version(&a), split);
        assert_eq!(cb.recode_version(&b), 0);
        let mut edited = cb.get("b2").unwrap().clone();
        edited.severity = Severity::High; // severity only: same meaning
        cb.edit("b2", &edited, "ana", "t").unwrap();
        assert_eq!(cb.recode_version(&["b2".to_owned()]), 0);
        edited.description = "now means something else".into();
        cb.edit("b2", &edited, "ana", "t").unwrap();
        assert_eq!(cb.recode_version(&["b2".to_owned()]), cb.version);
        let before = cb.version;
        cb.import(Codebook::default(), "other.json", "ana", "t");
        assert_eq!(cb.version, before + 1);
        assert_eq!(
            cb.recode_version(&b),
            cb.version,
            "an import re-codes everything"
        );
    }

    #[test]
    fn sign_off_is_per_version_and_owner_only() {
        let mut cb = Codebook {
            owner: "ana".into(),
            ..Default::default()
        };
        cb.add("a", "sam", "t").unwrap();
        assert!(!cb.is_signed_off());
        assert!(matches!(
            cb.sign_off("sam", "t"),
            Err(CodebookError::NotOwner { .. })
        ));
        cb.sign_off("ana", "t").unwrap();
        assert!(cb.is_signed_off());
        assert_eq!(cb.version, 1);
        cb.add("b", "sam", "t").unwrap();
        assert!(!cb.is_signed_off());
        let md = cb.to_markdown(&Default::default());
        assert!(md.contains("# Codebook v2") && md.contains("Not signed off"));
    }
}
