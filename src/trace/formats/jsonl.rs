//! JSON Lines whose lines are not traces one by one: the OpenTelemetry Collector's file exporter
//! (a line per OTLP export request) and openai/evals `oaieval` logs (a run spec, then events
//! grouped by sample).

use serde_json::{Map, Value, json};

use super::{Recognised, count, documents};
use crate::trace::load::LoadError;
use crate::trace::raw::RawObject;
use crate::trace::schema::{FieldMapping, FieldPath};

/// Recognises JSON Lines by its first line; `None` for ordinary JSON Lines.
pub(super) fn recognise(name: &str, text: &str) -> Result<Option<Recognised>, LoadError> {
    let mut lines = text.split('\n').map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    let Ok(obj) = RawObject::parse(first) else {
        return Ok(None);
    };
    if obj.get("resourceSpans").is_some() {
        return Ok(otlp_lines(text));
    }
    // a known tool's document written on one line (MLflow's traces.json, a compact download),
    // or a file of them one a line
    let one_line = lines.next().is_none();
    if one_line || documents::is_tool_document(&obj) {
        let docs: Vec<&serde_json::value::RawValue> = text
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let r = documents::records(name, &docs)?;
        if one_line && r.what == "a JSON document: 1 record" {
            return Ok(None); // one plain record: the loader reads it as JSON Lines
        }
        return Ok(Some(r));
    }
    if let Some(spec) = obj.get("spec")
        && let Ok(spec) = serde_json::from_str::<Value>(spec.get())
        && spec.get("eval_name").is_some()
    {
        return Ok(Some(oaieval(text, &spec)));
    }
    Ok(None)
}

/// The Collector's file exporter: each line an OTLP/JSON export request.
fn otlp_lines(text: &str) -> Option<Recognised> {
    let mut out = Recognised::default();
    let mut body = String::new();
    let mut spans = 0usize;
    for l in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        let Ok(obj) = RawObject::parse(l) else {
            continue;
        };
        if let Some(r) = documents::otlp(&obj) {
            let t = r.text.unwrap_or_default();
            spans += t.lines().count();
            body.push_str(&t);
            out.id = r.id;
        }
    }
    out.text = Some(body);
    out.what = format!(
        "OpenTelemetry Collector file export (OTLP/JSON lines): {}",
        count(spans, "span", "spans")
    );
    Some(out)
}

/// An `oaieval` log: the first line's run spec, then one event a line (`sampling`, `match`, …)
/// with its `sample_id`. Each sample becomes one record: its first prompt and what was sampled,
/// whether the match was correct, and every event.
fn oaieval(text: &str, spec: &Value) -> Recognised {
    let mut order: Vec<String> = Vec::new();
    let mut samples: std::collections::HashMap<String, Map<String, Value>> = Default::default();
    for l in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        let Ok(ev) = serde_json::from_str::<Value>(l) else {
            continue;
        };
        let Some(sid) = ev.get("sample_id").and_then(Value::as_str) else {
            continue; // the spec, the final report
        };
        let rec = samples.entry(sid.to_owned()).or_insert_with(|| {
            order.push(sid.to_owned());
            let mut m = Map::new();
            m.insert("sample_id".into(), json!(sid));
            m.insert("eval".into(), spec["eval_name"].clone());
            m.insert("model".into(), spec["completion_fns"].clone());
            m.insert("run_id".into(), ev["run_id"].clone());
            m.insert("events".into(), json!([]));
            m
        });
        let data = &ev["data"];
        match ev["type"].as_str() {
            Some("sampling") if !rec.contains_key("prompt") => {
                rec.insert("prompt".into(), data["prompt"].clone());
                let sampled = match &data["sampled"] {
                    Value::Array(a) if a.len() == 1 => a[0].clone(),
                    other => other.clone(),
                };
                rec.insert("sampled".into(), sampled);
            }
            Some("match") if !rec.contains_key("correct") => {
                for k in ["correct", "expected", "picked"] {
                    rec.insert(k.into(), data[k].clone());
                }
            }
            _ => {}
        }
        if let Some(Value::Array(events)) = rec.get_mut("events") {
            events.push(json!({"type": ev["type"], "data": ev["data"]}));
        }
    }
    let mut body = String::new();
    for sid in &order {
        if let Some(rec) = samples.remove(sid) {
            body.push_str(&Value::Object(rec).to_string());
            body.push('\n');
        }
    }
    Recognised {
        text: Some(body),
        what: format!(
            "openai/evals log: {} of eval {}",
            count(order.len(), "sample", "samples"),
            spec["eval_name"].as_str().unwrap_or("?")
        ),
        mapping: Some(FieldMapping {
            id: Some(FieldPath::top("sample_id")),
            input: Some(FieldPath::top("prompt")),
            output: Some(FieldPath::top("sampled")),
            split_conversation: false,
            group_by: None,
            grouping_chosen: false,
        }),
        id: None,
    }
}

/// An OpenAI Batch file by its first line: `Some(true)` for input (`custom_id` + `body`),
/// `Some(false)` for output (`custom_id` + `response`).
fn batch_kind(text: &str) -> Option<bool> {
    let first = text.split('\n').map(str::trim).find(|l| !l.is_empty())?;
    let obj = RawObject::parse(first).ok()?;
    obj.get("custom_id")?;
    if obj.get("body").is_some() && obj.get("method").is_some() {
        Some(true)
    } else if obj.get("response").is_some() {
        Some(false)
    } else {
        None
    }
}

/// An OpenAI Batch input opened with its output: each output line gets its request's body as
/// `request` (joined by `custom_id`), and the input file is not listed as traces of its own.
pub(super) fn join_openai_batches(files: &mut Vec<super::Decoded>) {
    let kinds: Vec<Option<bool>> = files.iter().map(|f| batch_kind(&f.text)).collect();
    let inputs: Vec<usize> = (0..files.len())
        .filter(|&i| kinds[i] == Some(true))
        .collect();
    let outputs: Vec<usize> = (0..files.len())
        .filter(|&i| kinds[i] == Some(false))
        .collect();
    let ([input], false) = (inputs.as_slice(), outputs.is_empty()) else {
        return;
    };
    let mut bodies: std::collections::HashMap<String, String> = Default::default();
    for l in files[*input]
        .text
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if let Ok(obj) = RawObject::parse(l)
            && let (Some(id), Some(body)) = (obj.get("custom_id"), obj.get("body"))
            && let Ok(id) = serde_json::from_str::<String>(id.get())
        {
            bodies.insert(id, super::minified(body.get()));
        }
    }
    let input_name = files[*input].name.clone();
    let mut joined = 0usize;
    for &o in &outputs {
        let mut text = String::with_capacity(files[o].text.len() + files[*input].text.len());
        for l in files[o]
            .text
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let body = RawObject::parse(l)
                .ok()
                .and_then(|obj| serde_json::from_str::<String>(obj.get("custom_id")?.get()).ok())
                .and_then(|id| bodies.get(&id));
            match (body, l.strip_prefix('{')) {
                (Some(body), Some(rest)) => {
                    text.push_str("{\"request\":");
                    text.push_str(body);
                    if rest.trim_start() != "}" {
                        text.push(',');
                    }
                    text.push_str(rest);
                    joined += 1;
                }
                _ => text.push_str(l),
            }
            text.push('\n');
        }
        files[o].text = text;
        files[o].what = Some(format!(
            "OpenAI Batch output joined with its input {} ({})",
            input_name.rsplit(['/', '\\']).next().unwrap_or(&input_name),
            count(joined, "request", "requests")
        ));
    }
    files.remove(*input);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn oaieval_events_group_by_sample() {
        let log = concat!(
            r#"{"spec": {"completion_fns": ["gpt-4o-mini"], "eval_name": "arith.dev.v0", "run_id": "r1"}}"#,
            "\n",
            r#"{"run_id": "r1", "event_id": 0, "sample_id": "arith.dev.0", "type": "sampling", "data": {"prompt": [{"role": "user", "content": "2+2?"}], "sampled": ["4"]}}"#,
            "\n",
            r#"{"run_id": "r1", "event_id": 1, "sample_id": "arith.dev.0", "type": "match", "data": {"correct": true, "expected": "4", "picked": "4"}}"#,
            "\n",
            r#"{"final_report": {"accuracy": 1.0}}"#,
            "\n"
        );
        let r = recognise("log.jsonl", log)
            .ok()
            .flatten()
            .unwrap_or_default();
        let rec: Value =
            serde_json::from_str(r.text.as_deref().unwrap_or("").trim()).unwrap_or(Value::Null);
        assert_eq!(rec["sample_id"], "arith.dev.0");
        assert_eq!(rec["sampled"], "4");
        assert_eq!(rec["correct"], true);
        assert_eq!(rec["events"].as_array().map(Vec::len), Some(2));
        assert_eq!(r.what, "openai/evals log: 1 sample of eval arith.dev.v0");
    }

    #[test]
    fn plain_json_lines_are_left_alone() {
        assert!(
            recognise("a.jsonl", "{\"id\":1}\n")
                .ok()
                .flatten()
                .is_none()
        );
    }
}
