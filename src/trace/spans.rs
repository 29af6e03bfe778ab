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
use serde_json::value::RawValue;

use super::raw::{JsonKind, RawObject, Scalar, kind_of, offset_in};
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

fn non_null<'a>(path: &FieldPath, obj: &RawObject<'a>) -> Option<&'a RawValue> {
    path.lookup(obj).filter(|v| match kind_of(v) {
        JsonKind::Null => false,
        JsonKind::String => v.get() != "\"\"",
        _ => true,
    })
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
            .map(RawValue::get)
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
            name: first(&[&["name"]]),
            kind: first(&[
                &["span_kind"],
                &["attributes", "openinference.span.kind"],
                &["attributes.openinference.span.kind"],
                &["attributes", "openinference", "span", "kind"],
                &["run_type"],
                &["span_type"],
                &["attributes", "mlflow.spanType"],
                &["attributes", "gen_ai.operation.name"],
                &["type"],
                &["kind"],
            ]),
            start: first(&[
                &["start_time"],
                &["startTime"],
                &["start_time_unix_nano"],
                &["startTimeUnixNano"],
                &["start_time_ns"],
                &["timestamp"],
            ]),
            end: first(&[
                &["end_time"],
                &["endTime"],
                &["end_time_unix_nano"],
                &["endTimeUnixNano"],
                &["end_time_ns"],
            ]),
            duration_ms: first(&[&["duration_ms"]]),
            status: all(&[
                &["status_code"],
                &["status", "status_code"],
                &["status", "code"],
                &["level"],
                &["status"],
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

/// What the loader keeps of one span record for grouping and the derived columns.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// The trace key's raw JSON in the store's text (`None`: the record has no key).
    pub key: Option<Span>,
    /// Hash of the key's raw JSON.
    pub hash: u64,
    /// A second, independent hash of it (two keys are one when both agree).
    pub hash2: u64,
    /// The record has no parent: a root span.
    pub root: bool,
    /// Start and end, ms since the epoch (NaN when unknown).
    pub start: f64,
    /// End, ms since the epoch (NaN when unknown).
    pub end: f64,
    /// The span failed.
    pub error: bool,
    /// A model call (LLM / GENERATION / chat kind, or a model named).
    pub llm: bool,
    /// Tool calls it stands for.
    pub tools: u32,
    /// Tokens (NaN when unknown).
    pub tokens: f64,
    /// Cost (NaN when unknown).
    pub cost: f64,
    /// The model's raw JSON in the text.
    pub model: Option<Span>,
    /// Hash of the model's raw JSON (a trace's models are decoded once each).
    pub model_hash: u64,
    /// Hash of the value that makes records one span (0: none): a response split over lines
    /// repeats its usage on each, counted once.
    pub merge: u64,
}

fn text_of(raw: &RawValue) -> Option<String> {
    Scalar::from_raw(raw).to_text()
}

/// A JSON string's text without decoding, when it has no escapes (the common case).
fn plain_str(raw: &RawValue) -> Option<&str> {
    let inner = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

/// A time value as ms since the epoch: RFC 3339 text, or a number of s, ms, µs or ns.
pub fn time_ms(raw: &RawValue) -> f64 {
    let from_text = |s: &str| s.parse::<f64>().ok();
    let number = match plain_str(raw) {
        Some(s) => match from_text(s) {
            Some(n) => n,
            None => return crate::coding::time::parse_ms(s).unwrap_or(f64::NAN),
        },
        None => match Scalar::from_raw(raw) {
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
            Scalar::Str(s) => match from_text(&s) {
                Some(n) => n,
                None => return crate::coding::time::parse_ms(&s).unwrap_or(f64::NAN),
            },
            _ => return f64::NAN,
        },
    };
    match number.abs() {
        n if n >= 1e17 => number / 1e6,
        n if n >= 1e14 => number / 1e3,
        n if n >= 1e11 => number,
        _ => number * 1e3,
    }
}

fn number(raw: &RawValue) -> f64 {
    raw.get()
        .parse::<f64>()
        .ok()
        .or_else(|| plain_str(raw).and_then(|s| s.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Whether a status value says the span failed: text holding ERROR (any case), or OTLP's code
/// 2 (`STATUS_CODE_ERROR`).
fn says_error(raw: &RawValue) -> bool {
    let t = raw.get();
    t == "2" || has_word(t, "error")
}

fn has_word(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Whether a kind names a model call, or a tool call.
fn kind_class(kind: &str) -> (bool, bool) {
    let llm = [
        "llm",
        "generation",
        "chat",
        "model",
        "assistant",
        "completion",
    ]
    .iter()
    .any(|w| has_word(kind, w));
    (llm, has_word(kind, "tool") && !llm)
}

/// Reads the fields [`facts`] needs from records that share a shape: each top-level key is
/// looked for where the last record had it first, and each nested object is parsed once.
pub struct FactReader {
    /// Distinct top-level keys the paths start with.
    heads: Vec<String>,
    /// Where each head was in the last record.
    hints: Vec<usize>,
}

/// The values of one record's heads (and their objects, parsed on first use).
struct Heads<'a> {
    values: Vec<Option<&'a RawValue>>,
    inner: Vec<Option<Option<RawObject<'a>>>>,
}

impl FactReader {
    /// A reader for the paths of `grouping` and `fields`.
    pub fn new(grouping: &Grouping, fields: &SpanFields) -> FactReader {
        let mut heads: Vec<String> = Vec::new();
        let all = std::iter::once(&grouping.trace)
            .chain(&grouping.parent)
            .chain(
                [
                    &fields.start,
                    &fields.end,
                    &fields.duration_ms,
                    &fields.kind,
                    &fields.model,
                    &fields.cost,
                    &fields.error,
                    &fields.tool_uses,
                    &fields.merge,
                ]
                .into_iter()
                .flatten(),
            )
            .chain(&fields.status)
            .chain(&fields.tokens);
        for p in all {
            if let Some(h) = p.0.first()
                && !heads.contains(h)
            {
                heads.push(h.clone());
            }
        }
        let hints = vec![0; heads.len()];
        FactReader { heads, hints }
    }

    fn heads<'a>(&mut self, obj: &RawObject<'a>) -> Heads<'a> {
        let values = self
            .heads
            .iter()
            .zip(self.hints.iter_mut())
            .map(|(h, hint)| match obj.fields.get(*hint) {
                Some((k, v)) if k == h => Some(*v),
                _ => {
                    let at = obj.fields.iter().rposition(|(k, _)| k == h)?;
                    *hint = at;
                    Some(obj.fields[at].1)
                }
            })
            .collect();
        Heads {
            values,
            inner: (0..self.heads.len()).map(|_| None).collect(),
        }
    }
}

impl<'a> Heads<'a> {
    fn get(&mut self, reader: &FactReader, path: &FieldPath) -> Option<&'a RawValue> {
        let (head, rest) = path.0.split_first()?;
        let i = reader.heads.iter().position(|h| h == head)?;
        let v = self.values[i]?;
        let found = if rest.is_empty() {
            v
        } else {
            let inner = self.inner[i]
                .get_or_insert_with(|| RawObject::parse(v.get()).ok())
                .as_ref()?;
            FieldPath(rest.to_vec()).lookup(inner)?
        };
        match kind_of(found) {
            JsonKind::Null => None,
            JsonKind::String if found.get() == "\"\"" => None,
            _ => Some(found),
        }
    }
}

/// Reads one span record's facts (`text`: the store's text, which `obj` borrows from).
pub fn facts(
    obj: &RawObject<'_>,
    grouping: &Grouping,
    fields: &SpanFields,
    reader: &mut FactReader,
    text: &str,
) -> Facts {
    let span_of = |raw: &RawValue| Span {
        start: offset_in(text, raw.get()) as u64,
        len: u32::try_from(raw.get().len()).unwrap_or(u32::MAX),
    };
    let mut heads = reader.heads(obj);
    let reader = &*reader;
    let key = heads.get(reader, &grouping.trace);
    let mut get = |p: &Option<FieldPath>| p.as_ref().and_then(|p| heads.get(reader, p));
    let start = get(&fields.start).map_or(f64::NAN, time_ms);
    let end = match (get(&fields.end), get(&fields.duration_ms)) {
        (Some(e), _) => time_ms(e),
        (None, Some(d)) => start + number(d),
        (None, None) => f64::NAN,
    };
    let kind = get(&fields.kind);
    let (kind_llm, tool) = match kind.and_then(plain_str) {
        Some(k) => kind_class(k),
        None => kind
            .and_then(text_of)
            .map_or((false, false), |k| kind_class(&k)),
    };
    let model = get(&fields.model);
    let mut tools = u32::from(tool);
    let mut failed_tool = false;
    if let Some(blocks) = get(&fields.tool_uses) {
        let raw = blocks.get().as_bytes();
        let n = memchr::memmem::find_iter(raw, b"\"tool_use\"").count();
        tools += u32::try_from(n).unwrap_or(0);
        // a tool result the tool reported as an error
        failed_tool = memchr::memmem::find(raw, b"\"is_error\":true").is_some()
            || memchr::memmem::find(raw, b"\"is_error\": true").is_some();
    }
    let root = get(&grouping.parent).is_none();
    let error = get(&fields.error).is_some_and(|e| !matches!(e.get(), "false" | "{}" | "[]"));
    let cost = get(&fields.cost).map_or(f64::NAN, number);
    let merge = get(&fields.merge).map_or(0, |m| fnv1a64(m.get().as_bytes()));
    let mut tokens = f64::NAN;
    for p in &fields.tokens {
        if let Some(v) = heads.get(reader, p).map(number).filter(|v| v.is_finite()) {
            tokens = if tokens.is_nan() { v } else { tokens + v };
        }
    }
    let status_error = fields
        .status
        .iter()
        .filter_map(|p| heads.get(reader, p))
        .any(says_error);
    Facts {
        key: key.map(span_of),
        hash: key.map_or(0, |k| fnv1a64(k.get().as_bytes())),
        hash2: key.map_or(0, |k| hash2(k.get().as_bytes())),
        root,
        start,
        end,
        error: failed_tool || status_error || error,
        llm: kind_llm || (model.is_some() && !tool),
        tools,
        tokens,
        cost,
        model: model.map(span_of),
        model_hash: model.map_or(0, |m| fnv1a64(m.get().as_bytes())),
        merge,
    }
}

/// A second 64-bit hash (multiply-rotate over 8-byte words), independent of FNV-1a.
fn hash2(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    h ^ (h >> 32)
}

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

fn raw_text(text: &str, s: Span) -> &str {
    let a = usize::try_from(s.start).unwrap_or(usize::MAX);
    text.get(a..a.saturating_add(s.len as usize)).unwrap_or("")
}

/// Folds span records into traces (first-appearance order of their keys). `text` is the store's
/// text: a transcript's conversation is appended to it.
pub fn group(
    facts: &[Facts],
    spans: Vec<RecordRef>,
    text: &mut String,
    grouping: Grouping,
    fields: SpanFields,
) -> Grouped {
    let n = facts.len();
    let mut trace_of: Vec<u32> = Vec::with_capacity(n);
    let mut first: Vec<u32> = Vec::new();
    // keyed by two independent 64-bit hashes of the key's text: no second look at the text
    let mut by_key: HashMap<(u64, u64), u32, std::hash::BuildHasherDefault<KeyHasher>> =
        HashMap::default();
    // a record without the key (a transcript's summary line) joins the trace around it: the
    // one before it, or the first one when it comes first
    let keyed_first = facts.iter().position(|f| f.key.is_some());
    for (i, f) in facts.iter().enumerate() {
        let t = match f.key {
            // placeholder, set below to the first keyed record's trace
            None if keyed_first.is_some_and(|k| i < k) => Some(u32::MAX),
            None => trace_of.last().copied(),
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
    if let Some(k) = keyed_first.filter(|&k| k > 0) {
        let t = trace_of[k];
        trace_of[..k].fill(t);
    }
    drop(by_key);
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
                serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned())
            }
            None => {
                let r = spans[first[t] as usize].record;
                format!("h{:016x}", fnv1a64(raw_text(text, r).as_bytes()))
            }
        });
        out.add(list, facts, text);
        let mut record = spans[root as usize];
        if grouping.transcript {
            record.input = conversation(list, &spans, text);
            record.output = None;
        } else {
            let with = |pick: fn(&RecordRef) -> Option<Span>, llm_only: bool| {
                list.iter()
                    .filter(|&&i| !llm_only || facts[i as usize].llm)
                    .filter_map(|&i| pick(&spans[i as usize]))
                    .collect::<Vec<_>>()
            };
            let llm = list.iter().any(|&i| facts[i as usize].llm);
            if record.input.is_none() {
                record.input = with(|r| r.input, llm).first().copied();
            }
            if record.output.is_none() {
                record.output = with(|r| r.output, llm).last().copied();
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

/// A transcript's messages as one JSON array, appended to the text.
fn conversation(list: &[u32], spans: &[RecordRef], text: &mut String) -> Option<Span> {
    let parts: Vec<Span> = list
        .iter()
        .filter_map(|&i| spans[i as usize].input)
        .collect();
    if parts.is_empty() {
        return None;
    }
    let start = text.len();
    text.push('[');
    for (n, p) in parts.iter().enumerate() {
        if n > 0 {
            text.push(',');
        }
        let a = usize::try_from(p.start).unwrap_or(0);
        let piece = a..a + p.len as usize;
        if text.get(piece.clone()).is_some() {
            text.extend_from_within(piece);
        }
    }
    text.push(']');
    Some(Span {
        start: start as u64,
        len: u32::try_from(text.len() - start).unwrap_or(u32::MAX),
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
                && let Ok(name) = serde_json::from_str::<String>(raw_text(text, m))
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
