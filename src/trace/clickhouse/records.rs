//! Whole traces fetched by id, as the records a file would hold: a row per trace, every span of
//! a span table's traces (grouped by the loader as for a file), or for Langfuse v3 a trace with
//! its observations and scores (read as Langfuse's own trace download).

use serde_json::{Map, Value};

use super::{Detected, Rows, Source, Type, ident, literal};

/// Ids asked for in one query (the SQL stays well under the server's query size).
pub const IDS_PER_QUERY: usize = 2_000;

/// The queries that fetch whole traces by id: one per chunk of ids, or for a Langfuse `traces`
/// table three (traces, observations, scores).
pub fn records_sql(source: &Source, detected: &Detected, ids: &[String]) -> Vec<String> {
    let Some(key) = detected.label_id() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let list: Vec<String> = chunk.iter().map(|i| literal(i)).collect();
        let list = list.join(", ");
        let by = |from: &str, column: &str| {
            format!(
                "SELECT * FROM {from} WHERE toString({}) IN ({list}) FORMAT JSONCompact",
                ident(column)
            )
        };
        out.push(by(&source.from(), key));
        if detected.is_langfuse_traces() {
            for table in ["observations", "scores"] {
                let from = Detected::sibling(source, table).unwrap_or_default();
                out.push(by(&from, "trace_id"));
            }
        }
    }
    out
}

/// The answers of [`records_sql`] as JSON Lines records.
pub fn records_jsonl(detected: &Detected, answers: Vec<Rows>) -> Vec<u8> {
    let mut out = Vec::new();
    if detected.is_langfuse_traces() {
        let mut it = answers.into_iter();
        while let Some(traces) = it.next() {
            let observations = it.next().unwrap_or_default();
            let scores = it.next().unwrap_or_default();
            langfuse(traces, observations, scores, &mut out);
        }
        return out;
    }
    for rows in answers {
        let Rows { columns, rows, .. } = rows;
        for row in rows {
            line(&Value::Object(object(&columns, row)), &mut out);
        }
    }
    out
}

fn line(v: &Value, out: &mut Vec<u8>) {
    out.extend_from_slice(v.to_string().as_bytes());
    out.push(b'\n');
}

/// A row as a JSON object; attributes kept as JSON text (tables adapted to old servers) are
/// read back into objects, as the OTel Collector's `Map` columns are.
fn object(columns: &[(String, Type)], row: Vec<Value>) -> Map<String, Value> {
    columns
        .iter()
        .zip(row)
        .map(|((name, kind), v)| {
            let v = match (kind, v) {
                (Type::Text, Value::String(s))
                    if name.ends_with("Attributes") && s.trim_start().starts_with('{') =>
                {
                    serde_json::from_str(&s).unwrap_or(Value::String(s))
                }
                (_, v) => v,
            };
            (name.clone(), v)
        })
        .collect()
}

/// `parent_observation_id` → `parentObservationId`: Langfuse's API spelling, which its trace
/// download (and so errata's reader of it) uses.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = false;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn camel_object(columns: &[(String, Type)], row: Vec<Value>) -> Map<String, Value> {
    object(columns, row)
        .into_iter()
        .map(|(k, v)| (camel(&k), v))
        .collect()
}

/// Langfuse v3 rows as trace downloads, one line a trace: `{"trace": …, "observations": […]}`,
/// the scores as `scores.NAME` fields of the trace (numeric value, or the string value of a
/// categorical score).
fn langfuse(traces: Rows, observations: Rows, scores: Rows, out: &mut Vec<u8>) {
    let mut by_trace: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for row in observations.rows {
        let o = camel_object(&observations.columns, row);
        let t = o.get("traceId").map(text).unwrap_or_default();
        by_trace.entry(t).or_default().push(Value::Object(o));
    }
    let mut scored: std::collections::HashMap<String, Map<String, Value>> = Default::default();
    for row in scores.rows {
        let s = object(&scores.columns, row);
        let (Some(t), Some(name)) = (s.get("trace_id"), s.get("name")) else {
            continue;
        };
        let value = match s.get("string_value") {
            Some(Value::String(v)) if !v.is_empty() => Value::String(v.clone()),
            _ => s.get("value").cloned().unwrap_or(Value::Null),
        };
        scored.entry(text(t)).or_default().insert(text(name), value);
    }
    for row in traces.rows {
        let mut t = camel_object(&traces.columns, row);
        let id = t.get("id").map(text).unwrap_or_default();
        if let Some(s) = scored.remove(&id) {
            t.insert("scores".to_owned(), Value::Object(s));
        }
        let mut obs = by_trace.remove(&id).unwrap_or_default();
        obs.sort_by(|a, b| text(&a["startTime"]).cmp(&text(&b["startTime"])));
        let doc = serde_json::json!({ "trace": t, "observations": obs });
        line(&doc, out);
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn rows(cols: &[(&str, Type)], data: Vec<Vec<Value>>) -> Rows {
        Rows {
            columns: cols
                .iter()
                .map(|(n, t)| ((*n).to_owned(), t.clone()))
                .collect(),
            type_names: Vec::new(),
            rows: data,
        }
    }

    #[test]
    fn span_rows_become_records_the_loader_groups_into_a_trace() {
        let cols = [
            ("TraceId", Type::Text),
            ("SpanId", Type::Text),
            ("ParentSpanId", Type::Text),
            ("SpanName", Type::Text),
            ("SpanAttributes", Type::Text),
        ];
        let answer = rows(
            &cols,
            vec![
                serde_json::json!([
                    "t1",
                    "s1",
                    "",
                    "agent",
                    r#"{"input.value": "hi", "output.value": "yo"}"#
                ])
                .as_array()
                .cloned()
                .unwrap_or_default(),
                serde_json::json!(["t1", "s2", "s1", "llm", "{}"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            ],
        );
        let detected = super::super::detect(&answer.columns);
        let jsonl = records_jsonl(&detected, vec![answer]);
        let loaded = crate::trace::load::load_bytes("ch", jsonl).unwrap();
        assert_eq!(loaded.store.len(), 1);
        assert_eq!(loaded.store.id(0), "t1");
        let (i, o) = crate::workspace::other_run::row_contents(&loaded.store, 0);
        assert!(crate::trace::content::plain_text(&i).contains("hi"));
        assert!(crate::trace::content::plain_text(&o).contains("yo"));
    }

    #[test]
    fn langfuse_rows_become_a_trace_with_its_observations_and_scores() {
        let traces = rows(
            &[
                ("id", Type::Text),
                ("project_id", Type::Text),
                ("name", Type::Text),
                ("input", Type::Text),
                ("output", Type::Text),
            ],
            vec![vec![
                "tr1".into(),
                "p".into(),
                "qa".into(),
                "q?".into(),
                "a!".into(),
            ]],
        );
        let observations = rows(
            &[
                ("id", Type::Text),
                ("trace_id", Type::Text),
                ("parent_observation_id", Type::Text),
                ("type", Type::Text),
                ("start_time", Type::Time),
            ],
            vec![
                vec![
                    "o2".into(),
                    "tr1".into(),
                    "o1".into(),
                    "GENERATION".into(),
                    "2026-01-01 00:00:02".into(),
                ],
                vec![
                    "o1".into(),
                    "tr1".into(),
                    Value::Null,
                    "SPAN".into(),
                    "2026-01-01 00:00:01".into(),
                ],
            ],
        );
        let scores = rows(
            &[
                ("trace_id", Type::Text),
                ("name", Type::Text),
                ("value", Type::Float),
                ("string_value", Type::Text),
            ],
            vec![
                vec!["tr1".into(), "judge".into(), 0.into(), "fail".into()],
                vec!["tr1".into(), "helpful".into(), 0.5.into(), Value::Null],
            ],
        );
        let detected = Detected {
            preset: Some(super::super::LANGFUSE_TRACES.to_owned()),
            id: Some("id".into()),
            ..Default::default()
        };
        let jsonl = records_jsonl(&detected, vec![traces, observations, scores]);
        let v: Value = serde_json::from_slice(&jsonl).unwrap();
        assert_eq!(v["trace"]["scores"]["judge"], "fail");
        assert_eq!(v["trace"]["scores"]["helpful"], 0.5);
        assert_eq!(v["observations"][0]["parentObservationId"], Value::Null);
        assert_eq!(v["observations"][1]["traceId"], "tr1");
        let loaded = crate::trace::load::load_bytes("ch", jsonl).unwrap();
        assert_eq!(loaded.store.len(), 1);
        assert_eq!(loaded.store.id(0), "tr1");
    }

    #[test]
    fn ids_are_fetched_in_chunks_and_quoted() {
        let s = Source::parse("clickhouse://h/lf/traces").unwrap();
        let d = Detected {
            preset: Some(super::super::LANGFUSE_TRACES.to_owned()),
            id: Some("id".into()),
            ..Default::default()
        };
        let ids: Vec<String> = (0..IDS_PER_QUERY + 1).map(|i| format!("i'{i}")).collect();
        let sql = records_sql(&s, &d, &ids);
        assert_eq!(sql.len(), 6);
        assert!(sql[1].contains("`lf`.`observations`") && sql[1].contains("'i\\'0'"));
        assert!(sql[3].contains(&format!("'i\\'{}'", IDS_PER_QUERY)));
    }
}
