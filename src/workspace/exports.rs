//! What leaves errata as files: the labels (latest state per trace, joined with the visible
//! metadata columns) and the regression cases (failing traces of the view), the same text from
//! the window and the browser.

use super::Workspace;
use crate::coding::regression::{Case, lines};

impl Workspace {
    /// The labels export: the latest state per trace (labels of traces the dump lacks
    /// included), with the visible metadata columns of the trace's row.
    pub fn labels_jsonl(&self) -> String {
        let (Some(p), Some(d)) = (&self.project, &self.data) else {
            return String::new();
        };
        let cols: Vec<(usize, &String)> = d
            .visible_columns
            .iter()
            .filter_map(|c| d.store.column_index(c).map(|i| (i, c)))
            .collect();
        let mut out = String::new();
        for ev in p.labels.latest() {
            let Ok(serde_json::Value::Object(mut obj)) = serde_json::to_value(ev) else {
                continue;
            };
            if let Some(r) = d.store.row_of_id(&ev.trace_id) {
                for (i, name) in &cols {
                    obj.insert(
                        (*name).clone(),
                        d.store
                            .cell(r, *i)
                            .map_or(serde_json::Value::Null, serde_json::Value::String),
                    );
                }
            }
            out.push_str(&serde_json::Value::Object(obj).to_string());
            out.push('\n');
        }
        out
    }

    /// The failing traces of the view as regression cases, one JSON line each (ids may
    /// repeat; [`crate::coding::regression::append_lines`] keeps the first).
    pub fn regression_lines(&self) -> String {
        let (Some(d), Some(p)) = (&self.data, &self.project) else {
            return String::new();
        };
        let batch_of = |id: &str| {
            p.file
                .batches
                .iter()
                .find(|b| b.trace_ids.iter().any(|t| t == id))
                .map(|b| b.name.as_str())
        };
        let mut cases = Vec::new();
        for &r in &d.view {
            let r = r as usize;
            let id = d.store.id(r);
            let Some(ev) = p.state(id) else { continue };
            if ev.verdict != Some(crate::coding::Verdict::Fail) {
                continue;
            }
            cases.push(Case {
                id,
                input: d.store.raw_input(r),
                output: d.store.raw_output(r),
                categories: &ev.categories,
                note: &ev.note,
                codebook_version: ev.codebook_version,
                batch: ev.batch.as_deref().or_else(|| batch_of(id)),
            });
        }
        lines(&cases)
    }
}

#[cfg(test)]
mod tests {
    use crate::coding::{LabelEvent, Verdict};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn labels_and_regression_cases() {
        let text = r#"{"id":"a","input":"q1","output":"x","model":"m1"}
{"id":"b","input":"q2","output":"y","model":"m2"}"#;
        let mut ws = super::super::test_workspace(text);
        ws.data.as_mut().unwrap().visible_columns = vec!["model".into()];
        let p = ws.project.as_mut().unwrap();
        for (id, v) in [
            ("a", Verdict::Fail),
            ("b", Verdict::Pass),
            ("gone", Verdict::Fail),
        ] {
            p.record(LabelEvent {
                trace_id: id.into(),
                verdict: Some(v),
                categories: vec!["c".into()],
                ..Default::default()
            })
            .unwrap();
        }
        let labels = ws.labels_jsonl();
        let rows: Vec<serde_json::Value> = labels
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 3, "every label, the dump's or not");
        assert_eq!(rows[0]["model"], "m1");
        assert!(rows[2].get("model").is_none());
        let cases = ws.regression_lines();
        assert_eq!(cases.lines().count(), 1);
        assert!(cases.contains(r#""id":"a""#) && cases.contains(r#""input":"q1""#));
    }
}
