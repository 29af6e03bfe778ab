//! Agent traces: span records grouped into one trace per shared key (OpenInference / Phoenix,
//! OTLP and OTel SDK exports, Langfuse observations, MLflow spans, LangSmith runs, agent
//! transcripts), the columns derived from each trace's spans, and the span tree of one trace.
//!
//! Grouping is decided from the sample by name and shape: a known family's trace key that
//! repeats, or a parent pointer that is set. The loader parses every record once, as for
//! ungrouped dumps, and keeps a few facts per span ([`Facts`]); [`group`] then folds them into
//! traces in one pass.

use std::collections::HashMap;

use polars::prelude::*;

use super::raw::{JsonKind, Raw, RawObject, kind_of};
use super::schema::FieldPath;
use super::store::{RecordRef, Span, fnv1a64};

/// A family of span records: trace key, span id, parent pointer, what to call them.
type Family = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

/// The families errata knows, most specific first.
const FAMILIES: &[Family] = &[
    (
        &["context", "trace_id"],
        &["context", "span_id"],
        &["parent_id"],
        "OpenTelemetry / OpenInference spans",
    ),
    (
        &["context.trace_id"],
        &["context.span_id"],
        &["parent_id"],
        "OpenInference spans",
    ),
    (&["traceId"], &["spanId"], &["parentSpanId"], "OTLP spans"),
    (
        &["trace_id"],
        &["span_id"],
        &["parent_span_id"],
        "OpenTelemetry spans",
    ),
    (
        &["traceId"],
        &["id"],
        &["parentObservationId"],
        "Langfuse observations",
    ),
    (&["trace_id"], &["id"], &["parent_run_id"], "LangSmith runs"),
    (&["trace_id"], &["span_id"], &["parent_id"], "MLflow spans"),
    (
        &["request_id"],
        &["span_id"],
        &["parent_id"],
        "MLflow spans",
    ),
    (
        &["sessionId"],
        &["uuid"],
        &["parentUuid"],
        "agent transcript (Claude Code)",
    ),
    (
        &["TraceId"],
        &["SpanId"],
        &["ParentSpanId"],
        "OpenTelemetry Collector ClickHouse spans (otel_traces)",
    ),
    (&["trace_id"], &[], &[], "records sharing `trace_id`"),
    (&["sample_id"], &[], &[], "openai/evals events"),
];

/// Span id fields, for a grouping a person named.
const SPAN_IDS: &[&[&str]] = &[
    &["context", "span_id"],
    &["context.span_id"],
    &["span_id"],
    &["spanId"],
    &["uuid"],
    &["SpanId"],
    &["id"],
];
/// Parent pointer fields, for a grouping a person named.
const PARENTS: &[&[&str]] = &[
    &["parent_id"],
    &["parent_span_id"],
    &["parentSpanId"],
    &["parentObservationId"],
    &["parent_run_id"],
    &["parentUuid"],
    &["ParentSpanId"],
];

/// How span records make traces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouping {
    /// The trace key.
    pub trace: FieldPath,
    /// The span's own id.
    pub span: Option<FieldPath>,
    /// The parent span's id.
    pub parent: Option<FieldPath>,
    /// What the records were recognised as.
    pub what: String,
    /// An agent transcript: one message a record, read as one conversation in record order.
    pub transcript: bool,
}

/// Whether a value says something: not null, not the empty string.
pub(super) fn is_set(v: Raw<'_>) -> bool {
    match kind_of(v) {
        JsonKind::Null => false,
        JsonKind::String => v.get() != "\"\"",
        _ => true,
    }
}

fn non_null<'a>(path: &FieldPath, obj: &RawObject<'a>) -> Option<Raw<'a>> {
    path.lookup(obj).filter(|v| is_set(*v))
}

/// The grouping the sample shows, if any: a known family whose trace key repeats or whose
/// parent pointer is set.
pub fn detect(sample: &[RawObject<'_>]) -> Option<Grouping> {
    if sample.is_empty() {
        return None;
    }
    for &(trace, span, parent, what) in FAMILIES {
        let trace = FieldPath::of(trace);
        let keys: Vec<&str> = sample
            .iter()
            .filter_map(|r| non_null(&trace, r))
            .map(Raw::get)
            .collect();
        if keys.len() * 2 < sample.len() {
            continue;
        }
        let span = (!span.is_empty()).then(|| FieldPath::of(span));
        if span
            .as_ref()
            .is_some_and(|s| !sample.iter().any(|r| non_null(s, r).is_some()))
        {
            continue;
        }
        let distinct: std::collections::HashSet<&str> = keys.iter().copied().collect();
        let parent = (!parent.is_empty()).then(|| FieldPath::of(parent));
        let linked = parent
            .as_ref()
            .is_some_and(|p| sample.iter().any(|r| non_null(p, r).is_some()));
        if distinct.len() < keys.len() || linked {
            return Some(Grouping {
                transcript: trace.head() == "sessionId",
                trace,
                span,
                parent,
                what: what.to_owned(),
            });
        }
    }
    None
}

/// The grouping by a field a person named: its span id and parent found among the usual names.
pub fn named(trace: FieldPath, sample: &[RawObject<'_>]) -> Grouping {
    if let Some(&(_, span, parent, what)) = FAMILIES
        .iter()
        .find(|f| FieldPath::of(f.0) == trace && !f.1.is_empty())
        .filter(|f| {
            let span = FieldPath::of(f.1);
            sample.iter().any(|r| non_null(&span, r).is_some())
        })
    {
        return Grouping {
            transcript: trace.head() == "sessionId",
            trace,
            span: Some(FieldPath::of(span)),
            parent: Some(FieldPath::of(parent)),
            what: what.to_owned(),
        };
    }
    let found = |names: &[&[&str]]| {
        names
            .iter()
            .map(|n| FieldPath::of(n))
            .find(|p| *p != trace && sample.iter().any(|r| non_null(p, r).is_some()))
    };
    Grouping {
        what: format!("records sharing `{trace}`"),
        span: found(SPAN_IDS),
        parent: found(PARENTS),
        trace,
        transcript: false,
    }
}

/// Where each span's facts are, chosen from the sample (the first candidate some record has).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanFields {
    /// The span's name.
    pub name: Option<FieldPath>,
    /// Its kind (LLM, TOOL, GENERATION, llm, CHAT_MODEL, assistant…).
    pub kind: Option<FieldPath>,
    /// Start time (RFC 3339 text, or epoch seconds / ms / µs / ns).
    pub start: Option<FieldPath>,
    /// End time.
    pub end: Option<FieldPath>,
    /// Duration in milliseconds, when there is no end time.
    pub duration_ms: Option<FieldPath>,
    /// Duration in nanoseconds (the Collector's ClickHouse `Duration`), when there is no end time.
    pub duration_ns: Option<FieldPath>,
    /// Status or level fields: the span failed when one says ERROR (or OTLP's code 2).
    pub status: Vec<FieldPath>,
    /// A field that is set only when the span failed (LangSmith's `error`).
    pub error: Option<FieldPath>,
    /// The model.
    pub model: Option<FieldPath>,
    /// Token counts, summed.
    pub tokens: Vec<FieldPath>,
    /// Cost.
    pub cost: Option<FieldPath>,
    /// Content blocks in which `tool_use` blocks are counted as tool calls (transcripts).
    pub tool_uses: Option<FieldPath>,
    /// Records that share this value are one span (one API response split over lines).
    pub merge: Option<FieldPath>,
}

fn paths(list: &[&[&str]]) -> Vec<FieldPath> {
    list.iter().map(|p| FieldPath::of(p)).collect()
}

impl SpanFields {
    /// Chooses the fields from a sample of span records.
    pub fn choose(sample: &[RawObject<'_>]) -> SpanFields {
        let has = |p: &FieldPath| sample.iter().any(|r| non_null(p, r).is_some());
        let first = |list: &[&[&str]]| paths(list).into_iter().find(|p| has(p));
        let all = |list: &[&[&str]]| paths(list).into_iter().filter(|p| has(p)).collect();
        let tokens = [
            vec![
                &["attributes", "llm.token_count.total"][..],
                &["attributes.llm.token_count.total"],
            ],
            vec![&["attributes", "llm", "token_count", "total"]],
            vec![
                &["attributes", "gen_ai.usage.input_tokens"],
                &["attributes", "gen_ai.usage.output_tokens"],
            ],
            vec![&["usage", "total"], &["usage", "totalTokens"]],
            vec![&["usageDetails", "total"]],
            vec![&["total_tokens"]],
            vec![&["SpanAttributes", "llm.token_count.total"]],
            vec![
                &["SpanAttributes", "gen_ai.usage.input_tokens"],
                &["SpanAttributes", "gen_ai.usage.output_tokens"],
            ],
            vec![
                &["message", "usage", "input_tokens"],
                &["message", "usage", "output_tokens"],
            ],
        ]
        .into_iter()
        .map(|group| all(&group))
        .find(|found: &Vec<FieldPath>| !found.is_empty())
        .unwrap_or_default();
        SpanFields {
            name: first(&[&["name"], &["SpanName"]]),
            kind: first(&[
                &["span_kind"],
                &["attributes", "openinference.span.kind"],
                &["attributes.openinference.span.kind"],
                &["attributes", "openinference", "span", "kind"],
                &["SpanAttributes", "openinference.span.kind"],
                &["run_type"],
                &["span_type"],
                &["attributes", "mlflow.spanType"],
                &["attributes", "gen_ai.operation.name"],
                &["type"],
                &["kind"],
                &["SpanKind"],
            ]),
            start: first(&[
                &["start_time"],
                &["startTime"],
                &["start_time_unix_nano"],
                &["startTimeUnixNano"],
                &["start_time_ns"],
                &["timestamp"],
                &["Timestamp"],
            ]),
            end: first(&[
                &["end_time"],
                &["endTime"],
                &["end_time_unix_nano"],
                &["endTimeUnixNano"],
                &["end_time_ns"],
            ]),
            duration_ms: first(&[&["duration_ms"]]),
            duration_ns: first(&[&["Duration"]]),
            status: all(&[
                &["status_code"],
                &["status", "status_code"],
                &["status", "code"],
                &["level"],
                &["status"],
                &["StatusCode"],
            ]),
            error: first(&[&["error"]]),
            model: first(&[
                &["attributes", "llm.model_name"],
                &["attributes.llm.model_name"],
                &["attributes", "llm", "model_name"],
                &["attributes", "gen_ai.response.model"],
                &["attributes", "gen_ai.request.model"],
                &["model"],
                &["message", "model"],
                &["extra", "metadata", "ls_model_name"],
                &["SpanAttributes", "llm.model_name"],
                &["SpanAttributes", "gen_ai.request.model"],
            ]),
            tokens,
            cost: first(&[
                &["calculatedTotalCost"],
                &["totalCost"],
                &["costDetails", "total"],
                &["total_cost"],
                &["attributes", "llm.cost.total"],
                &["attributes.llm.cost.total"],
            ]),
            tool_uses: first(&[&["message", "content"]]),
            merge: first(&[&["message", "id"]]),
        }
    }
}

pub use super::span_facts::{FactReader, Facts, facts, time_ms};

/// Hashes the already-hashed key pair by mixing its words (no SipHash over a hash).
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Traces made of span records: which spans each trace has, in time order.
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    /// Every span's record (what the loader read, in file order).
    pub spans: Vec<RecordRef>,
    /// `members[offsets[t]..offsets[t + 1]]` are trace `t`'s spans, by start time.
    pub offsets: Vec<u32>,
    /// Span indices.
    pub members: Vec<u32>,
    /// How they were grouped.
    pub grouping: Grouping,
    /// Where each span's facts are.
    pub fields: SpanFields,
}

impl Default for Grouping {
    fn default() -> Self {
        Grouping {
            trace: FieldPath::top("trace_id"),
            span: None,
            parent: None,
            what: String::new(),
            transcript: false,
        }
    }
}

impl SpanIndex {
    /// Trace `t`'s spans, by start time.
    pub fn of(&self, t: usize) -> &[u32] {
        let (a, b) = (
            self.offsets.get(t).copied().unwrap_or(0) as usize,
            self.offsets.get(t + 1).copied().unwrap_or(0) as usize,
        );
        self.members.get(a..b).unwrap_or(&[])
    }
}

/// Span records folded into traces.
pub struct Grouped {
    /// Per trace, the span whose metadata row stands for it (its root).
    pub roots: Vec<u32>,
    /// Per trace, its record: the root's, with the trace's input and output.
    pub traces: Vec<RecordRef>,
    /// Per trace, its key (the id).
    pub ids: Vec<String>,
    /// The derived columns, one value per trace.
    pub columns: Vec<Column>,
    /// The spans of each trace.
    pub index: SpanIndex,
}

/// Names of the columns derived from a trace's spans.
pub const DERIVED: [&str; 8] = [
    "trace_spans",
    "trace_start",
    "trace_duration_ms",
    "trace_error",
    "trace_models",
    "trace_tool_calls",
    "trace_tokens",
    "trace_cost",
];

/// A JSON string's value (`None` if `raw` is not one); one without escapes is its text between
/// the quotes, with no parser.
fn json_string(raw: &str) -> Option<String> {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains(['\\', '"']) => Some(inner.to_owned()),
        _ => serde_json::from_str::<String>(raw).ok(),
    }
}

fn raw_text(text: &str, s: Span) -> &str {
    let a = usize::try_from(s.start).unwrap_or(usize::MAX);
    text.get(a..a.saturating_add(s.len as usize)).unwrap_or("")
}

/// Folds span records into traces (first-appearance order of their keys). `text` is the store's
/// text: a transcript's conversation is appended to it.
pub fn group(
    facts: &[Facts],
    spans: Vec<RecordRef>,
    text: &mut super::shared::SharedText,
    grouping: Grouping,
    fields: SpanFields,
) -> Grouped {
    let (text, extra) = text.parts_mut();
    let n = facts.len();
    let (trace_of, first) = assign_traces(facts);
    let traces_n = first.len();
    let mut offsets = vec![0u32; traces_n + 1];
    for &t in &trace_of {
        offsets[t as usize + 1] += 1;
    }
    for t in 0..traces_n {
        offsets[t + 1] += offsets[t];
    }
    let mut fill = offsets.clone();
    let mut members = vec![0u32; n];
    for (i, &t) in trace_of.iter().enumerate() {
        members[fill[t as usize] as usize] = i as u32;
        fill[t as usize] += 1;
    }
    let mut out = Derived::with_capacity(traces_n);
    let mut roots = Vec::with_capacity(traces_n);
    let mut traces = Vec::with_capacity(traces_n);
    let mut ids = Vec::with_capacity(traces_n);
    for t in 0..traces_n {
        let list = &mut members[offsets[t] as usize..offsets[t + 1] as usize];
        if !grouping.transcript && list.iter().all(|&i| !facts[i as usize].start.is_nan()) {
            list.sort_by(|&a, &b| facts[a as usize].start.total_cmp(&facts[b as usize].start));
        }
        // the first root that carries the key (a transcript's summary line has none)
        let roots_of = |keyed: bool| {
            list.iter()
                .copied()
                .filter(|&i| facts[i as usize].root && (!keyed || facts[i as usize].key.is_some()))
                .min()
        };
        let root = roots_of(true)
            .or_else(|| roots_of(false))
            .unwrap_or(list[0]);
        roots.push(root);
        let f0 = &facts[first[t] as usize];
        ids.push(match f0.key {
            Some(k) => {
                let raw = raw_text(text, k);
                json_string(raw).unwrap_or_else(|| raw.to_owned())
            }
            None => {
                let r = spans[first[t] as usize].record();
                format!("h{:016x}", fnv1a64(raw_text(text, r).as_bytes()))
            }
        });
        out.add(list, facts, text);
        let mut record = spans[root as usize];
        if grouping.transcript {
            record.set_input(conversation(list, &spans, text, extra));
            record.set_output(None);
        } else {
            let llm = list.iter().any(|&i| facts[i as usize].llm);
            let (list, spans) = (&*list, &spans);
            // spans of the trace (only its LLM calls, when it has any) that have the field
            let with = |pick: fn(&RecordRef) -> Option<Span>| {
                list.iter()
                    .filter(move |&&i| !llm || facts[i as usize].llm)
                    .filter_map(move |&i| pick(&spans[i as usize]))
            };
            if record.input().is_none() {
                record.set_input(with(RecordRef::input).next());
            }
            if record.output().is_none() {
                record.set_output(with(RecordRef::output).next_back());
            }
        }
        traces.push(record);
    }
    Grouped {
        roots,
        traces,
        ids,
        columns: out.columns(),
        index: SpanIndex {
            spans,
            offsets,
            members,
            grouping,
            fields,
        },
    }
}

/// Each record's trace (numbered in order of first appearance) and each trace's first record.
fn assign_traces(facts: &[Facts]) -> (Vec<u32>, Vec<u32>) {
    let n = facts.len();
    let mut trace_of: Vec<u32> = Vec::with_capacity(n);
    let mut first: Vec<u32> = Vec::new();
    // keyed by two independent 64-bit hashes of the key's text: no second look at the text
    let mut by_key: HashMap<(u64, u64), u32, std::hash::BuildHasherDefault<KeyHasher>> =
        HashMap::default();
    // a record without the key (a transcript's summary line) joins the trace before it; before
    // the first keyed record, the trace that record opens, which is trace 0
    let any_key = facts.iter().any(|f| f.key.is_some());
    for (i, f) in facts.iter().enumerate() {
        let t = match f.key {
            None => trace_of.last().copied().or(any_key.then_some(0)),
            Some(_) => {
                let next = first.len() as u32;
                match by_key.entry((f.hash, f.hash2)) {
                    std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(next);
                        None
                    }
                }
            }
        };
        let t = t.unwrap_or_else(|| {
            first.push(i as u32);
            first.len() as u32 - 1
        });
        trace_of.push(t);
    }
    (trace_of, first)
}

/// A transcript's messages as one JSON array, appended to the text.
/// `text` is the loaded text, which the spans point into, and `extra` what was appended after it.
fn conversation(list: &[u32], spans: &[RecordRef], text: &str, extra: &mut String) -> Option<Span> {
    let parts: Vec<Span> = list
        .iter()
        .filter_map(|&i| spans[i as usize].input())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let start = extra.len();
    extra.push('[');
    for (n, p) in parts.iter().enumerate() {
        if n > 0 {
            extra.push(',');
        }
        extra.push_str(raw_text(text, *p));
    }
    extra.push(']');
    Some(Span {
        start: (text.len() + start) as u64,
        len: u32::try_from(extra.len() - start).unwrap_or(u32::MAX),
    })
}

/// The derived columns, built a trace at a time.
struct Derived {
    spans: Vec<i64>,
    start: Vec<Option<String>>,
    duration: Vec<Option<f64>>,
    error: Vec<bool>,
    models: Vec<Option<String>>,
    tools: Vec<i64>,
    tokens: Vec<Option<i64>>,
    cost: Vec<Option<f64>>,
}

impl Derived {
    fn with_capacity(n: usize) -> Derived {
        Derived {
            spans: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            duration: Vec::with_capacity(n),
            error: Vec::with_capacity(n),
            models: Vec::with_capacity(n),
            tools: Vec::with_capacity(n),
            tokens: Vec::with_capacity(n),
            cost: Vec::with_capacity(n),
        }
    }

    fn add(&mut self, list: &[u32], facts: &[Facts], text: &str) {
        let (mut t0, mut t1) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut tokens, mut cost) = (None::<f64>, None::<f64>);
        let mut models: Vec<String> = Vec::new();
        let mut error = false;
        let mut tools = 0i64;
        let (mut last_merge, mut last_tokens) = (0u64, 0.0);
        let mut seen_models: Vec<u64> = Vec::new();
        for &i in list {
            let f = &facts[i as usize];
            for v in [f.start, f.end] {
                if v.is_finite() {
                    t0 = t0.min(v);
                    t1 = t1.max(v);
                }
            }
            error |= f.error;
            tools += i64::from(f.tools);
            if f.tokens.is_finite() {
                let total = tokens.get_or_insert(0.0);
                // the next line of the same response: its usage replaces the line before's
                if f.merge != 0 && f.merge == last_merge {
                    *total -= last_tokens;
                }
                *total += f.tokens;
                last_tokens = f.tokens;
            }
            last_merge = f.merge;
            if f.cost.is_finite() {
                *cost.get_or_insert(0.0) += f.cost;
            }
            if let Some(m) = f.model
                && !seen_models.contains(&f.model_hash)
                && {
                    seen_models.push(f.model_hash);
                    true
                }
                && let Some(name) = json_string(raw_text(text, m))
                && !name.is_empty()
                && !models.contains(&name)
            {
                models.push(name);
            }
        }
        self.spans.push(list.len() as i64);
        let timed = t0.is_finite();
        self.start
            .push(timed.then(|| crate::coding::time::rfc3339_ms(t0)));
        self.duration.push(timed.then_some(t1 - t0));
        self.error.push(error);
        self.models
            .push((!models.is_empty()).then(|| models.join(", ")));
        self.tools.push(tools);
        self.tokens.push(tokens.map(|t| t.round() as i64));
        self.cost.push(cost);
    }

    fn columns(self) -> Vec<Column> {
        let [spans, start, duration, error, models, tools, tokens, cost] = DERIVED;
        vec![
            Column::new(spans.into(), self.spans),
            Column::new(start.into(), self.start),
            Column::new(duration.into(), self.duration),
            Column::new(error.into(), self.error),
            Column::new(models.into(), self.models),
            Column::new(tools.into(), self.tools),
            Column::new(tokens.into(), self.tokens),
            Column::new(cost.into(), self.cost),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::json_string;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A JSON string's value, with or without escapes; anything else is not one.
    #[test]
    fn json_strings_read_with_and_without_escapes() {
        assert_eq!(json_string(r#""gpt-4o""#).as_deref(), Some("gpt-4o"));
        assert_eq!(json_string(r#""""#).as_deref(), Some(""));
        assert_eq!(json_string(r#""a\nb""#).as_deref(), Some("a\nb"));
        assert_eq!(
            json_string(r#""say \"hi\"""#).as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(json_string(r#""\u00e9t\u00e9""#).as_deref(), Some("été"));
        assert_eq!(json_string("42"), None);
        assert_eq!(json_string(r#""open"#), None);
        assert_eq!(json_string("\""), None);
    }
}
