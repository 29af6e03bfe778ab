//! Whole JSON documents: each document of a known tool gives its records; any other document is
//! one record, or holds its records in one main list (`data`, `items`, `traces`, …).

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{Recognised, count, minified, minify};
use crate::trace::load::LoadError;
use crate::trace::raw::{Raw, RawObject};
use crate::trace::schema::{FieldMapping, FieldPath};

/// Keys that hold a document's records when it is a wrapper around a list.
const LIST_KEYS: &[&str] = &[
    "data",
    "items",
    "results",
    "records",
    "traces",
    "runs",
    "rows",
    "examples",
    "conversations",
];

/// The records of `docs` (one or more documents of one file).
pub(super) fn records(name: &str, docs: &[&RawValue]) -> Result<Recognised, LoadError> {
    let mut text = String::new();
    let mut whats: Vec<String> = Vec::new();
    let mut mapping = None;
    let mut id = None;
    let mut plain = 0usize;
    // LangSmith payloads: their runs merge across the file's documents (a run posted in one
    // payload is patched in a later one)
    let (mut posts, mut patches) = (Vec::new(), Vec::new());
    for doc in docs {
        let parsed = RawObject::parse(doc.get());
        if let Ok(obj) = &parsed
            && (obj.get("post").is_some() || obj.get("patch").is_some())
            && obj.fields.iter().all(|(k, _)| k == "post" || k == "patch")
        {
            for (list, key) in [(&mut posts, "post"), (&mut patches, "patch")] {
                if let Some(Value::Array(runs)) = obj.get(key).map(parse) {
                    list.extend(runs);
                }
            }
            continue;
        }
        let known = match &parsed {
            Ok(obj) => known(obj)?,
            Err(_) => None,
        };
        match known {
            Some(r) => {
                text.push_str(r.text.as_deref().unwrap_or(""));
                if !whats.contains(&r.what) {
                    whats.push(r.what);
                }
                mapping = mapping.or(r.mapping);
                id = id.or(r.id);
            }
            None => {
                if parsed.is_ok() {
                    minify(doc.get(), &mut text);
                    text.push('\n');
                    plain += 1;
                } else if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(doc.get()) {
                    // an array among the documents: its objects are records
                    for item in items.iter().filter(|i| i.get().starts_with('{')) {
                        minify(item.get(), &mut text);
                        text.push('\n');
                        plain += 1;
                    }
                }
            }
        }
    }
    if let Some(r) = langsmith(posts, &patches) {
        text.push_str(r.text.as_deref().unwrap_or(""));
        whats.push(r.what);
    }
    if text.is_empty() {
        return Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: "its JSON documents hold no objects".to_owned(),
        });
    }
    let what = if whats.is_empty() {
        if docs.len() == 1 {
            format!("a JSON document: {}", count(plain, "record", "records"))
        } else {
            format!("{} JSON documents one after another", docs.len())
        }
    } else {
        whats.join("; ")
    };
    Ok(Recognised {
        text: Some(text),
        what,
        mapping,
        id,
    })
}

/// Whether `obj` is a document of a known tool (not a wrapper list: a record of JSON Lines may
/// well hold a `data` list).
pub(super) fn is_tool_document(obj: &RawObject<'_>) -> bool {
    inspect_log(obj).is_some()
        || obj.get("resourceSpans").is_some()
        || (obj.get("trace").is_some() && obj.get("observations").is_some())
        || mlflow(obj).is_some()
        || atif(obj).is_some()
        || (obj.fields.iter().all(|(k, _)| k == "post" || k == "patch") && !obj.fields.is_empty())
}

/// A document of a known tool, as records.
pub(super) fn known(obj: &RawObject<'_>) -> Result<Option<Recognised>, LoadError> {
    if let Some(r) = inspect_log(obj) {
        return Ok(Some(r));
    }
    if obj.get("resourceSpans").is_some() {
        return Ok(otlp(obj));
    }
    if obj.get("trace").is_some() && obj.get("observations").is_some() {
        return Ok(langfuse(obj));
    }
    if let Some(r) = mlflow(obj) {
        return Ok(Some(r));
    }
    if let Some(r) = atif(obj) {
        return Ok(Some(r));
    }
    Ok(main_list(obj))
}

fn parse<'a>(raw: impl Into<Raw<'a>>) -> Value {
    let raw: Raw<'a> = raw.into();
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

fn line(v: &Value, text: &mut String) {
    text.push_str(&v.to_string());
    text.push('\n');
}

/// `{"data": [...], "meta": {...}}`: the list's objects are the records.
fn main_list(obj: &RawObject<'_>) -> Option<Recognised> {
    let (key, items) = obj.fields.iter().find_map(|(k, v)| {
        if !LIST_KEYS.contains(&k.as_ref()) {
            return None;
        }
        let items: Vec<&RawValue> = serde_json::from_str(v.get()).ok()?;
        (!items.is_empty() && items.iter().all(|i| i.get().starts_with('{'))).then_some((k, items))
    })?;
    let mut text = String::new();
    for item in &items {
        minify(item.get(), &mut text);
        text.push('\n');
    }
    Some(Recognised {
        text: Some(text),
        what: format!(
            "a JSON document: {} in `{key}`",
            count(items.len(), "record", "records")
        ),
        mapping: None,
        id: None,
    })
}

// ---- Inspect AI ----

/// The eval header's fields that every sample's record carries (as `eval`).
pub(super) fn inspect_header(log: &Value) -> Value {
    let eval = &log["eval"];
    let mut h = Map::new();
    for key in [
        "task",
        "model",
        "created",
        "run_id",
        "eval_id",
        "task_version",
    ] {
        if let Some(v) = eval.get(key).filter(|v| !v.is_null()) {
            h.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(s) = log.get("status") {
        h.insert("status".to_owned(), s.clone());
    }
    Value::Object(h)
}

/// One Inspect sample as a record: `sample_id` (the sample's id, with its epoch when there are
/// several), `score` (the first scorer's value), `eval` (the header), then the sample itself.
pub(super) fn inspect_sample(sample: &str, header: &str, epochs: u64) -> Option<String> {
    let obj = RawObject::parse(sample).ok()?;
    let id = obj
        .get("id")
        .map(|v| match parse(v) {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .unwrap_or_default();
    let epoch = obj.get("epoch").map(parse).and_then(|v| v.as_u64());
    let sample_id = match epoch {
        Some(e) if epochs > 1 => format!("{id} (epoch {e})"),
        _ => id,
    };
    let score = obj
        .get("scores")
        .and_then(|s| RawObject::parse(s.get()).ok())
        .and_then(|s| s.fields.first().map(|(_, v)| *v))
        .and_then(|first| RawObject::parse(first.get()).ok())
        .and_then(|first| first.get("value"))
        .map_or_else(|| "null".to_owned(), |v| minified(v.get()));
    let body = minified(sample);
    let rest = body.strip_prefix('{')?;
    let mut out = format!(
        "{{\"sample_id\":{},\"score\":{score},\"eval\":{header}",
        Value::String(sample_id)
    );
    if rest != "}" {
        out.push(',');
    }
    out.push_str(rest);
    Some(out)
}

/// Inspect AI's fields: a sample's conversation, its last assistant turn the output.
pub(super) fn inspect_mapping() -> FieldMapping {
    FieldMapping {
        id: Some(FieldPath::top("sample_id")),
        input: Some(FieldPath::top("messages")),
        output: None,
        split_conversation: true,
        group_by: None,
        grouping_chosen: false,
    }
}

/// "Inspect AI eval log: 3 samples of task security_guide, model gpt-4o-mini".
pub(super) fn inspect_what(header: &Value, samples: usize) -> String {
    let text = |k: &str| {
        header
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "Inspect AI eval log: {} of task {}, model {}",
        count(samples, "sample", "samples"),
        text("task"),
        text("model")
    )
}

/// An Inspect AI `.json` log: `eval` (the header) and `samples`.
fn inspect_log(obj: &RawObject<'_>) -> Option<Recognised> {
    let eval = obj.get("eval")?;
    let samples: Vec<&RawValue> = serde_json::from_str(obj.get("samples")?.get()).ok()?;
    let eval = parse(eval);
    eval.get("task")?;
    let log = json!({"eval": eval, "status": obj.get("status").map(parse)});
    let header = inspect_header(&log);
    let header_text = header.to_string();
    let epochs = eval["config"]["epochs"].as_u64().unwrap_or(1);
    let mut text = String::new();
    for s in &samples {
        if let Some(r) = inspect_sample(s.get(), &header_text, epochs) {
            text.push_str(&r);
            text.push('\n');
        }
    }
    Some(Recognised {
        text: Some(text),
        what: inspect_what(&header, samples.len()),
        mapping: Some(inspect_mapping()),
        id: None,
    })
}

// ---- OpenTelemetry (OTLP/JSON) ----

/// An OTLP `AnyValue` (`{"stringValue": "…"}`, `{"intValue": "3"}`, arrays, key/value lists)
/// as plain JSON.
fn any_value(v: &Value) -> Value {
    let Some((kind, inner)) = v.as_object().and_then(|o| o.iter().next()) else {
        return Value::Null;
    };
    match kind.as_str() {
        "intValue" => inner
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .map_or_else(|| inner.clone(), Value::from),
        "arrayValue" => Value::Array(
            inner["values"]
                .as_array()
                .map(|vs| vs.iter().map(any_value).collect())
                .unwrap_or_default(),
        ),
        "kvlistValue" => attributes(&inner["values"]),
        _ => inner.clone(),
    }
}

/// OTLP's `[{"key": …, "value": {…}}]` as one object.
fn attributes(list: &Value) -> Value {
    let mut m = Map::new();
    for kv in list.as_array().into_iter().flatten() {
        if let Some(k) = kv["key"].as_str() {
            m.insert(k.to_owned(), any_value(&kv["value"]));
        }
    }
    Value::Object(m)
}

/// A trace or span id as hex: OTLP/JSON writes hex; protobuf's JSON mapping writes base64.
fn hex_id(v: &Value) -> Value {
    let Some(s) = v.as_str().filter(|s| !s.is_empty()) else {
        return Value::Null;
    };
    if s.len() % 2 == 0 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Value::String(s.to_ascii_lowercase());
    }
    base64(s).map_or_else(
        || Value::String(s.to_owned()),
        |bytes| Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
    )
}

fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// OTLP/JSON (`resourceSpans[].scopeSpans[].spans[]`): each span a record, its attributes an
/// object, the resource's attributes as `resource`.
pub(super) fn otlp(obj: &RawObject<'_>) -> Option<Recognised> {
    let rs = parse(obj.get("resourceSpans")?);
    let mut text = String::new();
    let mut spans = 0usize;
    let mut traces = std::collections::HashSet::new();
    for r in rs.as_array()? {
        let resource = attributes(&r["resource"]["attributes"]);
        for ss in r["scopeSpans"].as_array().into_iter().flatten() {
            let scope = ss["scope"]["name"].clone();
            for s in ss["spans"].as_array().into_iter().flatten() {
                let nanos = |k: &str| {
                    s[k].as_str()
                        .and_then(|t| t.parse::<u64>().ok())
                        .or_else(|| s[k].as_u64())
                };
                let (start, end) = (nanos("startTimeUnixNano"), nanos("endTimeUnixNano"));
                let trace_id = hex_id(&s["traceId"]);
                traces.insert(trace_id.to_string());
                let record = json!({
                    "span_id": hex_id(&s["spanId"]),
                    "trace_id": trace_id,
                    "parent_span_id": hex_id(&s["parentSpanId"]),
                    "name": s["name"],
                    "kind": s["kind"],
                    "start_time_unix_nano": start,
                    "duration_ms": start.zip(end).map(|(a, b)| b.saturating_sub(a) as f64 / 1e6),
                    "status": s["status"],
                    "attributes": attributes(&s["attributes"]),
                    "events": s["events"],
                    "resource": resource,
                    "scope": scope,
                });
                line(&record, &mut text);
                spans += 1;
            }
        }
    }
    Some(Recognised {
        text: Some(text),
        what: format!(
            "OTLP/JSON: {} of {}",
            count(spans, "span", "spans"),
            count(traces.len(), "trace", "traces")
        ),
        mapping: None,
        id: Some(FieldPath::top("span_id")),
    })
}

// ---- Langfuse ----

/// A Langfuse "Download JSON" of one trace: `trace` and its `observations`, a record each, so
/// that they are grouped into one trace by `traceId` with a span tree. The trace record comes
/// first and is the root (`type` TRACE); its input and output, when missing, are its first
/// generation's input and last generation's output. Top-level observations hang under it.
fn langfuse(obj: &RawObject<'_>) -> Option<Recognised> {
    let mut trace = parse(obj.get("trace")?);
    let observations = parse(obj.get("observations")?);
    let list = observations.as_array().cloned().unwrap_or_default();
    let gens: Vec<&Value> = list.iter().filter(|o| o["type"] == "GENERATION").collect();
    let t = trace.as_object_mut()?;
    if t.get("input").is_none_or(Value::is_null)
        && let Some(g) = gens.first()
    {
        t.insert("input".to_owned(), g["input"].clone());
    }
    if t.get("output").is_none_or(Value::is_null)
        && let Some(g) = gens.last()
    {
        t.insert("output".to_owned(), g["output"].clone());
    }
    let id = t.get("id").cloned().unwrap_or(Value::Null);
    t.entry("traceId").or_insert_with(|| id.clone());
    t.entry("type")
        .or_insert_with(|| Value::String("TRACE".to_owned()));
    t.entry("parentObservationId").or_insert(Value::Null);
    if let Some(ts) = t.get("timestamp").cloned() {
        t.entry("startTime").or_insert(ts);
    }
    let name = t
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut text = String::new();
    line(&trace, &mut text);
    for mut o in list.iter().cloned() {
        if let Some(m) = o.as_object_mut() {
            m.entry("traceId").or_insert_with(|| id.clone());
            if m.get("parentObservationId").is_none_or(Value::is_null) {
                m.insert("parentObservationId".to_owned(), id.clone());
            }
        }
        line(&o, &mut text);
    }
    Some(Recognised {
        text: Some(text),
        what: format!(
            "Langfuse trace download{}: {}",
            if name.is_empty() {
                String::new()
            } else {
                format!(" ({name})")
            },
            count(list.len(), "observation", "observations")
        ),
        mapping: None,
        id: None,
    })
}

// ---- MLflow ----

/// An MLflow span attribute (MLflow stores each as a JSON-encoded string).
fn mlflow_attr(span: &Value, key: &str) -> Value {
    match &span["attributes"][key] {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        other => other.clone(),
    }
}

/// MLflow: `Trace.to_json()` (`info` + `data.spans`) or the file store's `traces.json`
/// (`spans`): a record a span, grouped into the trace by `trace_id`. The root span's record
/// carries the trace's fields (name, state, request time, tags); each span's inputs and outputs
/// are its `input` and `output`.
fn mlflow(obj: &RawObject<'_>) -> Option<Recognised> {
    let (info, spans) = match (obj.get("info"), obj.get("data"), obj.get("spans")) {
        (Some(info), Some(data), _) => (parse(info), parse(data)["spans"].clone()),
        (None, None, Some(spans)) if obj.fields.len() == 1 => (Value::Null, parse(spans)),
        _ => return None,
    };
    let list = spans.as_array()?;
    let root = list
        .iter()
        .find(|s| s["parent_span_id"].is_null())
        .or_else(|| list.first())?;
    root["attributes"].as_object()?;
    if info.is_null() && mlflow_attr(root, "mlflow.traceRequestId").is_null() {
        return None; // spans, but not MLflow's
    }
    let trace_id = info
        .get("trace_id")
        .or_else(|| info.get("request_id"))
        .cloned()
        .unwrap_or_else(|| mlflow_attr(root, "mlflow.traceRequestId"));
    let mut text = String::new();
    // the root first: its record is the trace's row
    let ordered = std::iter::once(root).chain(list.iter().filter(|s| !std::ptr::eq(*s, root)));
    for span in ordered {
        let mut record = json!({
            "trace_id": trace_id,
            "span_id": span["span_id"],
            "parent_span_id": span["parent_span_id"],
            "name": span["name"],
            "span_type": mlflow_attr(span, "mlflow.spanType"),
            "start_time_unix_nano": span["start_time_unix_nano"],
            "end_time_unix_nano": span["end_time_unix_nano"],
            "status": span["status"],
            "input": mlflow_attr(span, "mlflow.spanInputs"),
            "output": mlflow_attr(span, "mlflow.spanOutputs"),
            "attributes": span["attributes"],
        });
        if std::ptr::eq(span, root) {
            record["name"] = info["tags"]["mlflow.traceName"]
                .as_str()
                .map_or_else(|| root["name"].clone(), |n| Value::String(n.to_owned()));
            record["state"] = info
                .get("state")
                .or_else(|| info.get("status"))
                .cloned()
                .unwrap_or(Value::Null);
            record["request_time"] = info["request_time"].clone();
            record["execution_duration_ms"] = info["execution_duration_ms"].clone();
            record["tags"] = info["tags"].clone();
        }
        line(&record, &mut text);
    }
    Some(Recognised {
        text: Some(text),
        what: format!("MLflow trace: {}", count(list.len(), "span", "spans")),
        mapping: Some(FieldMapping {
            id: Some(FieldPath::top("trace_id")),
            input: Some(FieldPath::top("input")),
            output: Some(FieldPath::top("output")),
            split_conversation: false,
            group_by: None,
            grouping_chosen: false,
        }),
        id: None,
    })
}

// ---- ATIF ----

/// An ATIF trajectory (Harbor's Agent Trajectory Interchange Format): one trace, its steps a
/// conversation (system, user and agent steps; tool calls and their observations).
fn atif(obj: &RawObject<'_>) -> Option<Recognised> {
    let version = parse(obj.get("schema_version")?);
    if !version.as_str()?.starts_with("ATIF") {
        return None;
    }
    let steps: Vec<&RawValue> = serde_json::from_str(obj.get("steps")?.get()).ok()?;
    let agent = obj.get("agent").map(parse).unwrap_or(Value::Null);
    let mut text = String::new();
    let whole = obj
        .fields
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::String(k.to_string()), minified(v.get())))
        .collect::<Vec<_>>()
        .join(",");
    text.push('{');
    text.push_str(&whole);
    text.push_str("}\n");
    Some(Recognised {
        text: Some(text),
        what: format!(
            "ATIF trajectory ({}): {}",
            agent["name"].as_str().unwrap_or("agent"),
            count(steps.len(), "step", "steps")
        ),
        mapping: Some(FieldMapping {
            id: Some(FieldPath::top("session_id")),
            input: Some(FieldPath::top("steps")),
            output: None,
            split_conversation: true,
            group_by: None,
            grouping_chosen: false,
        }),
        id: None,
    })
}

// ---- LangSmith ----

/// LangSmith run payloads (`post` and `patch` lists, as the SDK sends them to `/runs/batch`):
/// each run a record, its patches (outputs, end time, error) merged in by run id.
fn langsmith(posts: Vec<Value>, patches: &[Value]) -> Option<Recognised> {
    let mut runs: Vec<Value> = posts.into_iter().filter(Value::is_object).collect();
    for p in patches.iter().filter(|p| p.is_object()) {
        match runs.iter_mut().find(|r| r["id"] == p["id"]) {
            Some(r) => {
                if let (Some(r), Some(p)) = (r.as_object_mut(), p.as_object()) {
                    for (k, v) in p {
                        if !v.is_null() {
                            r.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            None => runs.push(p.clone()),
        }
    }
    if runs.is_empty() {
        return None;
    }
    let mut text = String::new();
    for r in &runs {
        line(r, &mut text);
    }
    Some(Recognised {
        text: Some(text),
        what: format!(
            "LangSmith run payloads: {}",
            count(runs.len(), "run", "runs")
        ),
        mapping: None,
        id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn one(doc: &str) -> Recognised {
        super::super::recognise("doc.json", doc)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn lines(r: &Recognised) -> Vec<Value> {
        r.text
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect()
    }

    #[test]
    fn a_wrapper_list_gives_its_records() {
        let r = one("{\n \"data\": [{\"id\": 1}, {\"id\": 2}],\n \"meta\": {\"page\": 1}\n}");
        assert_eq!(lines(&r), [json!({"id": 1}), json!({"id": 2})]);
        assert_eq!(r.what, "a JSON document: 2 records in `data`");
    }

    #[test]
    fn otlp_spans_with_attribute_lists_and_base64_ids() {
        let doc = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
            "scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"+mpM/iffRT3YncfdUXlG1A==","spanId":"R/R/A1fE5ZM=",
            "name":"chat","startTimeUnixNano":"1000000","endTimeUnixNano":"3000000",
            "attributes":[{"key":"gen_ai.prompt","value":{"stringValue":"hi"}},{"key":"n","value":{"intValue":"3"}}]}]}]}]}"#;
        let r = one(&format!("{doc}\n"));
        let rec = &lines(&r)[0];
        assert_eq!(rec["trace_id"], "fa6a4cfe27df453dd89dc7dd517946d4");
        assert_eq!(rec["span_id"], "47f47f0357c4e593");
        assert_eq!(rec["attributes"]["gen_ai.prompt"], "hi");
        assert_eq!(rec["attributes"]["n"], 3);
        assert_eq!(rec["resource"]["service.name"], "svc");
        assert_eq!(rec["duration_ms"], 2.0);
        assert_eq!(r.what, "OTLP/JSON: 1 span of 1 trace");
    }

    #[test]
    fn langfuse_trace_takes_generation_io_when_its_own_is_missing() {
        let doc = r#"{"trace":{"id":"t1","name":"qa","input":null,"output":null},
            "observations":[{"type":"SPAN","input":"x"},{"type":"GENERATION","input":"q","output":"a1"},
            {"type":"GENERATION","input":"q2","output":"a2"}]}"#;
        let r = one(doc);
        let recs = lines(&r);
        let rec = &recs[0];
        assert_eq!(
            (
                rec["id"].as_str(),
                rec["input"].as_str(),
                rec["output"].as_str()
            ),
            (Some("t1"), Some("q"), Some("a2"))
        );
        // the trace, then each observation a record, under the trace
        assert_eq!(recs.len(), 4);
        assert_eq!(
            (rec["traceId"].as_str(), rec["type"].as_str()),
            (Some("t1"), Some("TRACE"))
        );
        assert!(
            recs[1..]
                .iter()
                .all(|o| o["traceId"] == "t1" && o["parentObservationId"] == "t1")
        );
        assert_eq!(r.what, "Langfuse trace download (qa): 3 observations");
    }

    #[test]
    fn langsmith_patches_merge_into_their_runs() {
        let doc = r#"{"post":[{"id":"r1","name":"chain","inputs":{"q":"x"},"outputs":null}],
            "patch":[{"id":"r1","outputs":{"a":"y"},"end_time":"t"}]}"#;
        let r = one(doc);
        let rec = &lines(&r)[0];
        assert_eq!(rec["outputs"]["a"], "y");
        assert_eq!(rec["inputs"]["q"], "x");
        assert_eq!(r.what, "LangSmith run payloads: 1 run");
    }

    #[test]
    fn inspect_samples_carry_the_header_and_a_score() {
        let sample = r#"{"id":"ssh","epoch":1,"scores":{"match":{"value":"C"}},"messages":[]}"#;
        let rec = inspect_sample(sample, r#"{"task":"t"}"#, 1).unwrap_or_default();
        let v: Value = serde_json::from_str(&rec).unwrap_or(Value::Null);
        assert_eq!(v["sample_id"], "ssh");
        assert_eq!(v["score"], "C");
        assert_eq!(v["eval"]["task"], "t");
        assert_eq!(v["epoch"], 1);
        let rec = inspect_sample(r#"{"id":7,"epoch":2}"#, "{}", 3).unwrap_or_default();
        let v: Value = serde_json::from_str(&rec).unwrap_or(Value::Null);
        assert_eq!(v["sample_id"], "7 (epoch 2)");
    }
}
