//! Importing an expert's annotations kept in the dump itself (a spreadsheet's `Notes` column,
//! `z_note`…) as open-coding notes, so that they join the loop: one label event per trace with
//! a value, by the author the user names, with a verdict read from another column if asked.

use super::Workspace;
use crate::coding::{LabelEvent, Verdict};

/// What to import.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotesImport {
    /// The column holding the notes.
    pub column: String,
    /// Who wrote them (every event carries it).
    pub author: String,
    /// A column holding pass/fail (or true/false, yes/no…), if any.
    pub verdict_column: Option<String>,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotesImported {
    /// Traces that got a note.
    pub noted: usize,
    /// Traces that already had a note (theirs is kept).
    pub kept: usize,
    /// Verdicts read from the verdict column.
    pub verdicts: usize,
}

impl Workspace {
    /// Turns a column of the dump into open-coding notes (see the module). A trace that has a
    /// note already keeps it; its other label state is kept too.
    pub fn import_notes(&mut self, req: &NotesImport, at: &str) -> Result<NotesImported, String> {
        let (Some(d), Some(p)) = (&self.data, &mut self.project) else {
            return Err("open a dump first".to_owned());
        };
        let store = &d.store;
        let col = store
            .column_index(&req.column)
            .ok_or_else(|| format!("no column {}", req.column))?;
        let verdict_col = match &req.verdict_column {
            Some(c) => Some(
                store
                    .column_index(c)
                    .ok_or_else(|| format!("no column {c}"))?,
            ),
            None => None,
        };
        let author = req.author.trim();
        if author.is_empty() {
            return Err("name the author of the notes".to_owned());
        }
        let mut done = NotesImported::default();
        let mut events = Vec::new();
        for r in 0..store.len() {
            let Some(note) = store.cell(r, col).map(|n| n.trim().to_owned()) else {
                continue;
            };
            if note.is_empty() {
                continue;
            }
            let id = store.id(r);
            let mut ev = p.state(id).cloned().unwrap_or_else(|| LabelEvent {
                trace_id: id.to_owned(),
                ..Default::default()
            });
            if !ev.note.trim().is_empty() {
                done.kept += 1;
                continue;
            }
            ev.note = note;
            if let Some(v) = verdict_col
                .and_then(|c| store.cell(r, c))
                .and_then(|v| crate::coding::agreement::judge_fails(&v, None, None))
            {
                ev.verdict = Some(if v { Verdict::Fail } else { Verdict::Pass });
                done.verdicts += 1;
            }
            author.clone_into(&mut ev.author);
            at.clone_into(&mut ev.at);
            events.push(ev);
            done.noted += 1;
        }
        p.record_all(events).map_err(|e| e.to_string())?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_column_becomes_notes_by_the_named_author() {
        let text = [
            r#"{"id":"a","input":"q","Notes":"never offered a tour time","ok":"FAIL"}"#,
            r#"{"id":"b","input":"q","Notes":"","ok":"PASS"}"#,
            r#"{"id":"c","input":"q","Notes":"price wrong","ok":"PASS"}"#,
            r#"{"id":"d","input":"q","ok":"maybe"}"#,
        ]
        .join("\n");
        let mut ws = super::super::test_workspace(&text);
        ws.project
            .as_mut()
            .unwrap()
            .record(LabelEvent {
                trace_id: "c".into(),
                note: "mine".into(),
                ..Default::default()
            })
            .unwrap();
        let req = NotesImport {
            column: "Notes".into(),
            author: "expert".into(),
            verdict_column: Some("ok".into()),
        };
        let done = ws.import_notes(&req, "2026-11-27T00:00:00Z").unwrap();
        assert_eq!(
            done,
            NotesImported {
                noted: 1,
                kept: 1,
                verdicts: 1
            }
        );
        let p = ws.project.as_ref().unwrap();
        let a = p.state("a").unwrap();
        assert_eq!(
            (a.note.as_str(), a.author.as_str()),
            ("never offered a tour time", "expert")
        );
        assert_eq!(a.verdict, Some(Verdict::Fail));
        assert_eq!(
            p.state("c").unwrap().note,
            "mine",
            "an expert's own note is kept"
        );
        let missing = NotesImport {
            column: "nope".into(),
            ..req
        };
        assert!(
            ws.import_notes(&missing, "t")
                .unwrap_err()
                .contains("no column nope")
        );
    }
}
