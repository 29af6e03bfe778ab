//! The regression set: failing traces turned into test cases, one JSON object a line, appended
//! without duplicating ids.

use std::collections::HashSet;

use serde_json::{Value, json};

/// One case.
pub struct Case<'a> {
    /// Trace id.
    pub id: &'a str,
    /// Input (raw JSON text of the field), if any.
    pub input: Option<&'a str>,
    /// The failing output (raw JSON text), if any.
    pub output: Option<&'a str>,
    /// The expert's categories.
    pub categories: &'a [String],
    /// The expert's note.
    pub note: &'a str,
    /// Codebook version of the label.
    pub codebook_version: u32,
    /// Batch, if any.
    pub batch: Option<&'a str>,
}

fn raw(v: Option<&str>) -> Value {
    v.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

/// Lines to append to a regression file whose current text is `existing`: only ids not in it.
/// Returns the text to append, how many were added and how many skipped as already present.
pub fn append(existing: &str, cases: &[Case<'_>]) -> (String, usize, usize) {
    append_lines(existing, &lines(cases))
}

/// Every case as a JSON line (ids may repeat; [`append_lines`] keeps the first).
pub fn lines(cases: &[Case<'_>]) -> String {
    let mut out = String::new();
    for c in cases {
        let line = json!({
            "id": c.id,
            "input": raw(c.input),
            "output": raw(c.output),
            "categories": c.categories,
            "note": c.note,
            "codebook_version": c.codebook_version,
            "batch": c.batch,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// The case lines of `lines` whose ids are in neither `existing` nor an earlier line, with how
/// many were added and how many skipped.
pub fn append_lines(existing: &str, lines: &str) -> (String, usize, usize) {
    let id_of = |l: &str| {
        serde_json::from_str::<Value>(l)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
    };
    let mut have: HashSet<String> = existing.lines().filter_map(id_of).collect();
    let mut out = String::new();
    let (mut added, mut skipped) = (0, 0);
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let Some(id) = id_of(line) else { continue };
        if !have.insert(id) {
            skipped += 1;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        added += 1;
    }
    (out, added, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn appends_only_new_ids() {
        let cats = vec!["x".to_owned()];
        let case = |id| Case {
            id,
            input: Some(r#""q""#),
            output: Some(r#"{"role":"assistant","content":"a"}"#),
            categories: &cats,
            note: "bad",
            codebook_version: 2,
            batch: Some("2026-W48"),
        };
        let (text, added, skipped) = append("", &[case("a"), case("b"), case("a")]);
        assert_eq!((added, skipped), (2, 1));
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["output"]["content"], "a");
        assert_eq!(first["categories"], json!(["x"]));
        let (more, added, skipped) = append(&text, &[case("b"), case("c")]);
        assert_eq!((added, skipped), (1, 1));
        assert!(more.contains("\"id\":\"c\""));
    }
}
