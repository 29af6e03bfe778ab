//! What the loader reads of each span record for grouping and the derived columns, fast:
//! fields looked for where the previous record had them, nested objects parsed once, no
//! allocation for kinds, statuses and timestamps.

use super::raw::{Raw, RawObject, Scalar, offset_in};
use super::schema::FieldPath;
use super::spans::{Grouping, SpanFields, is_set};
use super::store::{Span, fnv1a64};

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

fn text_of(raw: Raw<'_>) -> Option<String> {
    Scalar::from_raw(raw).to_text()
}

/// A JSON string's text without decoding, when it has no escapes (the common case).
fn plain_str(raw: Raw<'_>) -> Option<&str> {
    let inner = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

/// A time value as ms since the epoch: RFC 3339 text, or a number of s, ms, µs or ns.
pub fn time_ms(raw: Raw<'_>) -> f64 {
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

fn number(raw: Raw<'_>) -> f64 {
    raw.get()
        .parse::<f64>()
        .ok()
        .or_else(|| plain_str(raw).and_then(|s| s.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Whether a status value says the span failed: text holding ERROR (any case), or OTLP's code
/// 2 (`STATUS_CODE_ERROR`).
fn says_error(raw: Raw<'_>) -> bool {
    let t = raw.get();
    t == "2" || has_word(t, "error")
}

fn has_word(text: &str, word: &str) -> bool {
    text.as_bytes()
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// Whether a kind names a model call, or a tool call.
pub fn kind_class(kind: &str) -> (bool, bool) {
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
    values: Vec<Option<Raw<'a>>>,
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
                    &fields.duration_ns,
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
    fn get(&mut self, reader: &FactReader, path: &FieldPath) -> Option<Raw<'a>> {
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
        is_set(found).then_some(found)
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
    let span_of = |raw: Raw<'_>| Span {
        start: offset_in(text, raw.get()) as u64,
        len: u32::try_from(raw.get().len()).unwrap_or(u32::MAX),
    };
    let mut heads = reader.heads(obj);
    let reader = &*reader;
    let key = heads.get(reader, &grouping.trace);
    let mut get = |p: &Option<FieldPath>| p.as_ref().and_then(|p| heads.get(reader, p));
    let start = get(&fields.start).map_or(f64::NAN, time_ms);
    let end = match (
        get(&fields.end),
        get(&fields.duration_ms),
        get(&fields.duration_ns),
    ) {
        (Some(e), _, _) => time_ms(e),
        (None, Some(d), _) => start + number(d),
        (None, None, Some(ns)) => start + number(ns) / 1e6,
        (None, None, None) => f64::NAN,
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
