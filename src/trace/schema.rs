//! Which fields of a trace are its id, its input and its output: detection by name and shape,
//! and the user's override.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::raw::{JsonKind, Raw, RawObject, kind_of};

/// Field names that usually hold a trace's id, best first.
pub const ID_NAMES: &[&str] = &["id", "trace_id", "run_id", "span_id"];
/// Field names that usually hold a trace's input, best first.
pub const INPUT_NAMES: &[&str] = &[
    "input", "inputs", "prompt", "messages", "question", "request", "query",
];
/// Field names that usually hold a trace's output, best first.
pub const OUTPUT_NAMES: &[&str] = &[
    "output",
    "outputs",
    "response",
    "completion",
    "answer",
    "choices",
];

/// A path to a field: one key for a top-level field, more for nested ones
/// (`["attributes", "input.value"]` for OpenInference's flattened attribute keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldPath(pub Vec<String>);

impl FieldPath {
    /// A top-level field.
    pub fn top(name: &str) -> Self {
        FieldPath(vec![name.to_owned()])
    }

    /// A path from its keys.
    pub fn of(keys: &[&str]) -> Self {
        FieldPath(keys.iter().map(|k| (*k).to_owned()).collect())
    }

    /// The first key.
    pub fn head(&self) -> &str {
        self.0.first().map_or("", String::as_str)
    }

    /// Looks the path up in a record, parsing nested objects (and arrays, for `[n]` keys) on
    /// the way.
    pub fn lookup<'a>(&self, record: &RawObject<'a>) -> Option<Raw<'a>> {
        let (first, rest) = self.0.split_first()?;
        let mut value = record.get(first)?;
        for key in rest {
            value = match (index_of(key), kind_of(value)) {
                (Some(i), JsonKind::Array) => {
                    let items: Vec<&'a RawValue> = serde_json::from_str(value.get()).ok()?;
                    Raw::from(*items.get(i)?)
                }
                (None, JsonKind::Object) => RawObject::parse(value.get()).ok()?.get(key)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// A path as a person types it: `response.body.choices[0].message.content`. A path seen in
    /// the file whose written form matches is taken as it is (its keys may hold dots, as
    /// OpenInference's `attributes.input.value` does); otherwise dots separate keys and `[n]`
    /// picks an array element.
    pub fn parse(text: &str, known: &[FieldPath]) -> Option<FieldPath> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(p) = known.iter().find(|p| p.to_string() == text) {
            return Some(p.clone());
        }
        let mut keys = Vec::new();
        for part in text.split('.') {
            let (name, mut indices) = match part.find('[') {
                Some(at) => (&part[..at], &part[at..]),
                None => (part, ""),
            };
            if !name.is_empty() {
                keys.push(name.to_owned());
            }
            while let Some(end) = indices.find(']') {
                let index = indices.get(1..end)?;
                index.parse::<usize>().ok()?;
                keys.push(format!("[{index}]"));
                indices = &indices[end + 1..];
            }
            if !indices.is_empty() {
                return None;
            }
        }
        (!keys.is_empty()).then_some(FieldPath(keys))
    }
}

/// The array index a `[n]` key stands for.
fn index_of(key: &str) -> Option<usize> {
    key.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 && index_of(k).is_none() {
                f.write_str(".")?;
            }
            f.write_str(k)?;
        }
        Ok(())
    }
}

/// The fields errata reads as a trace's id, input and output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldMapping {
    /// The preferred id field; identity falls back when it is missing or not unique.
    pub id: Option<FieldPath>,
    /// The input field.
    pub input: Option<FieldPath>,
    /// The output field.
    pub output: Option<FieldPath>,
    /// The input is a whole conversation with no output field: the last assistant turn is shown
    /// as the output and the turns before it as the input.
    pub split_conversation: bool,
    /// Records that share this field's value are the spans of one trace (`None`: one record is
    /// one trace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<FieldPath>,
    /// `group_by` was chosen by a person (including "none"); otherwise it follows detection, so
    /// that a mapping saved before grouping existed still groups span records.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub grouping_chosen: bool,
}

impl FieldMapping {
    fn content_paths(&self) -> impl Iterator<Item = &FieldPath> {
        [&self.input, &self.output].into_iter().flatten()
    }

    /// Whether `path` is the input or output field, or lies inside one.
    pub fn covers(&self, path: &[&str]) -> bool {
        self.content_paths()
            .any(|p| path.len() >= p.0.len() && p.0.iter().zip(path).all(|(a, b)| a == b))
    }

    /// Whether `path` is an object that holds the input or output deeper down
    /// (`attributes` for `attributes.input.value`).
    pub fn holds_content(&self, path: &[&str]) -> bool {
        self.content_paths()
            .any(|p| p.0.len() > path.len() && p.0.iter().zip(path).all(|(a, b)| a == b))
    }

    /// One line saying what was chosen, for the status bar and `errata summary`.
    pub fn describe(&self) -> String {
        let show =
            |p: &Option<FieldPath>| p.as_ref().map_or("none".to_owned(), |p| format!("`{p}`"));
        if self.split_conversation {
            format!(
                "conversation {} (last assistant turn is the output)",
                show(&self.input)
            )
        } else {
            format!("input {}, output {}", show(&self.input), show(&self.output))
        }
    }
}

/// Fields a person named (`errata summary --id … --input … --output …`), as typed paths; each
/// replaces what detection chose for that field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldOverrides {
    /// The id field.
    pub id: Option<String>,
    /// The input field.
    pub input: Option<String>,
    /// The output field.
    pub output: Option<String>,
    /// The field whose value groups span records into traces (`none`: no grouping).
    pub group_by: Option<String>,
}

impl FieldOverrides {
    /// Whether any field is named.
    pub fn any(&self) -> bool {
        self.id.is_some()
            || self.input.is_some()
            || self.output.is_some()
            || self.group_by.is_some()
    }

    /// Applies the named fields to `mapping` (`known`: paths seen in the file). An output named
    /// means the conversation is no longer split. Errors name a path that is not one.
    pub fn apply(&self, mapping: &mut FieldMapping, known: &[FieldPath]) -> Result<(), String> {
        let parse = |flag: &str, text: &str| {
            FieldPath::parse(text, known).ok_or_else(|| {
                format!("--{flag} `{text}` is not a field path (keys joined by dots, [n] for an array element)")
            })
        };
        if let Some(t) = &self.id {
            mapping.id = Some(parse("id", t)?);
        }
        if let Some(t) = &self.input {
            mapping.input = Some(parse("input", t)?);
        }
        if let Some(t) = &self.output {
            mapping.output = Some(parse("output", t)?);
            mapping.split_conversation = false;
        }
        if let Some(t) = &self.group_by {
            mapping.grouping_chosen = true;
            mapping.group_by = match t.trim() {
                "" | "none" => None,
                t => Some(parse("group-by", t)?),
            };
        }
        Ok(())
    }
}

/// Presence statistics over a sample of records: which paths exist and with what kinds.
#[derive(Debug, Default)]
pub struct SampleStats {
    records: usize,
    /// path → (records having it, kinds seen)
    paths: BTreeMap<FieldPath, (usize, Vec<JsonKind>)>,
    /// Top-level keys in first-seen order.
    order: Vec<FieldPath>,
    /// Array fields whose first element looks like a chat message (`role`/`from`/`source` with
    /// `content`/`value`/`message`/`parts`), in first-seen order: conversations by shape.
    conversations: Vec<FieldPath>,
}

/// Whether a JSON array's first element looks like a chat message.
fn looks_like_conversation(value: Raw<'_>) -> bool {
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(value.get()) else {
        return false;
    };
    let Some(first) = items.first() else {
        return false;
    };
    let Ok(obj) = RawObject::parse(first.get()) else {
        return false;
    };
    let has = |keys: &[&str]| keys.iter().any(|k| obj.get(k).is_some());
    has(&["role", "from", "source", "speaker"])
        && has(&["content", "value", "message", "parts", "text", "tool_calls"])
}

impl SampleStats {
    /// Adds one record (top-level fields and one level of nesting).
    pub fn add(&mut self, record: &RawObject<'_>) {
        self.records += 1;
        for (key, value) in &record.fields {
            let kind = kind_of(*value);
            self.note(FieldPath::top(key), kind);
            if kind == JsonKind::Array && looks_like_conversation(*value) {
                self.conversation(FieldPath::top(key));
            }
            if kind == JsonKind::Object
                && let Ok(inner) = RawObject::parse(value.get())
            {
                for (k2, v2) in &inner.fields {
                    let kind2 = kind_of(*v2);
                    self.note(FieldPath::of(&[key, k2]), kind2);
                    if kind2 == JsonKind::Array && looks_like_conversation(*v2) {
                        self.conversation(FieldPath::of(&[key, k2]));
                    }
                    // OpenInference nested form: attributes.input.value
                    if kind2 == JsonKind::Object
                        && (k2 == "input" || k2 == "output")
                        && let Ok(inner2) = RawObject::parse(v2.get())
                        && inner2.get("value").is_some()
                    {
                        let kind3 = inner2.get("value").map_or(JsonKind::Null, kind_of);
                        self.note(FieldPath::of(&[key, k2, "value"]), kind3);
                    }
                }
            }
        }
    }

    fn conversation(&mut self, path: FieldPath) {
        if !self.conversations.contains(&path) {
            self.conversations.push(path);
        }
    }

    fn note(&mut self, path: FieldPath, kind: JsonKind) {
        let entry = self.paths.entry(path.clone()).or_insert_with(|| {
            self.order.push(path);
            (0, Vec::new())
        });
        entry.0 += 1;
        if !entry.1.contains(&kind) {
            entry.1.push(kind);
        }
    }

    /// Number of records sampled.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Every path seen, top-level first in document order, then nested ones.
    pub fn all_paths(&self) -> Vec<FieldPath> {
        let mut out: Vec<FieldPath> = self
            .order
            .iter()
            .filter(|p| p.0.len() == 1)
            .cloned()
            .collect();
        out.extend(self.order.iter().filter(|p| p.0.len() > 1).cloned());
        out
    }

    fn present(&self, path: &FieldPath) -> bool {
        self.paths.get(path).is_some_and(|(n, kinds)| {
            // present in at least half of the records, and not always null
            *n * 2 >= self.records.max(1) && kinds.iter().any(|k| *k != JsonKind::Null)
        })
    }

    fn kinds(&self, path: &FieldPath) -> &[JsonKind] {
        self.paths.get(path).map_or(&[], |(_, k)| k.as_slice())
    }

    /// A provider envelope the sample has the shape of, if any.
    fn envelope(&self) -> Option<Envelope> {
        let has = |keys: &[&str]| self.present(&FieldPath::of(keys));
        if !has(&["custom_id"]) {
            return None;
        }
        if has(&["response", "body"]) || (has(&["response"]) && has(&["error"])) {
            Some(Envelope::OpenAiBatchOutput)
        } else if has(&["result", "message"]) || has(&["result", "type"]) {
            Some(Envelope::AnthropicBatchResults)
        } else if has(&["body", "messages"]) || has(&["body", "input"]) {
            Some(Envelope::OpenAiBatchInput)
        } else if has(&["params", "messages"]) {
            Some(Envelope::AnthropicBatchRequests)
        } else {
            None
        }
    }

    /// What the sample's shape says the file is, when errata knows it ("OpenAI Batch output",
    /// "ShareGPT conversations", …), for the header line.
    pub fn format(&self) -> Option<String> {
        if let Some(e) = self.envelope() {
            return Some(e.describe().to_owned());
        }
        let m = self.detect();
        let on = |p: &Option<FieldPath>, key: &str| {
            p.as_ref()
                .is_some_and(|p| p.0.iter().any(|k| k.contains(key)))
        };
        if on(&m.input, "gen_ai.") || on(&m.output, "gen_ai.") {
            return Some("OpenTelemetry GenAI spans".to_owned());
        }
        if on(&m.input, "input.value") || on(&m.output, "output.value") {
            return Some("OpenInference spans".to_owned());
        }
        let conv = m
            .input
            .as_ref()
            .filter(|p| self.conversations.contains(p))?;
        match conv.0.last().map(String::as_str) {
            Some("conversations") => Some("ShareGPT conversations".to_owned()),
            Some("messages" | "input" | "inputs" | "prompt") => None,
            _ => Some(format!("conversations in `{conv}`")),
        }
    }

    /// Picks id, input and output fields by name and shape.
    pub fn detect(&self) -> FieldMapping {
        let top = |name: &str| {
            let p = FieldPath::top(name);
            self.present(&p).then_some(p)
        };
        let path = |keys: &[&str]| {
            let p = FieldPath::of(keys);
            self.present(&p).then_some(p)
        };
        let scalar = |p: &FieldPath| {
            self.kinds(p)
                .iter()
                .all(|k| matches!(k, JsonKind::String | JsonKind::Number | JsonKind::Null))
        };
        let id = top("custom_id")
            .or_else(|| ID_NAMES.iter().find_map(|n| top(n).filter(|p| scalar(p))))
            // spans as the OpenTelemetry console exporter writes them, and flattened columns
            .or_else(|| path(&["context", "span_id"]).filter(|p| scalar(p)))
            .or_else(|| top("context.span_id").filter(|p| scalar(p)));

        if let Some(e) = self.envelope() {
            let (input, output) = e.fields();
            return FieldMapping {
                id,
                input: input.map(FieldPath::of).filter(|p| self.present(p)),
                output: output.map(FieldPath::of),
                split_conversation: false,
                group_by: None,
                grouping_chosen: false,
            };
        }

        // spans' attributes: OpenTelemetry GenAI, then OpenInference (attributes."input.value"
        // or attributes.input.value, or a flattened `attributes.input.value` column)
        let attribute = |names: &[&str]| {
            names.iter().find_map(|n| {
                path(&["attributes", n])
                    .or_else(|| path(&["SpanAttributes", n]))
                    .or_else(|| top(&format!("attributes.{n}")))
                    .or_else(|| {
                        let (head, tail) = n.split_once('.')?;
                        path(&["attributes", head, tail])
                    })
            })
        };
        let mut input = INPUT_NAMES.iter().find_map(|n| top(n));
        let mut output = OUTPUT_NAMES.iter().find_map(|n| top(n));
        if input.is_none() {
            input = attribute(&["gen_ai.input.messages", "gen_ai.prompt", "input.value"]);
        }
        if output.is_none() {
            output = attribute(&[
                "gen_ai.output.messages",
                "gen_ai.completion",
                "output.value",
            ]);
        }
        // A conversation plus a separate answer field: prefer the conversation as input.
        if let (Some(i), Some(_)) = (&input, &output)
            && i.head() != "messages"
            && let Some(m) = top("messages")
            && self.kinds(&m).contains(&JsonKind::Array)
            && !matches!(i.head(), "input" | "inputs" | "prompt")
        {
            input = Some(m);
        }
        // a conversation under any name (`conversations`, `traj`, `history`, `steps`…)
        if input.is_none() {
            input = self.conversations.iter().find(|p| self.present(p)).cloned();
        }
        let split_conversation = output.is_none()
            && input.as_ref().is_some_and(|p| {
                (p.head() == "messages" && self.kinds(p).contains(&JsonKind::Array))
                    || self.conversations.contains(p)
            });
        FieldMapping {
            id,
            input,
            output,
            split_conversation,
            group_by: None,
            grouping_chosen: false,
        }
    }
}

/// Provider batch files, by shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Envelope {
    OpenAiBatchOutput,
    OpenAiBatchInput,
    AnthropicBatchResults,
    AnthropicBatchRequests,
}

impl Envelope {
    fn describe(self) -> &'static str {
        match self {
            Envelope::OpenAiBatchOutput => "OpenAI Batch output",
            Envelope::OpenAiBatchInput => "OpenAI Batch input",
            Envelope::AnthropicBatchResults => "Anthropic Message Batches results",
            Envelope::AnthropicBatchRequests => "Anthropic Message Batches requests",
        }
    }

    /// The input and output paths inside the envelope.
    fn fields(
        self,
    ) -> (
        Option<&'static [&'static str]>,
        Option<&'static [&'static str]>,
    ) {
        match self {
            Envelope::OpenAiBatchOutput => (
                Some(&["request", "messages"]),
                Some(&["response", "body", "choices"]),
            ),
            Envelope::OpenAiBatchInput => (Some(&["body", "messages"]), None),
            Envelope::AnthropicBatchResults => (None, Some(&["result", "message", "content"])),
            Envelope::AnthropicBatchRequests => (Some(&["params", "messages"]), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn detect(lines: &[&str]) -> FieldMapping {
        let mut stats = SampleStats::default();
        for l in lines {
            stats.add(&RawObject::parse(l).unwrap());
        }
        stats.detect()
    }

    #[test]
    fn plain_strings() {
        let m = detect(&[r#"{"id":"a","input":"hi","output":"yo","model":"m"}"#]);
        assert_eq!(m.id, Some(FieldPath::top("id")));
        assert_eq!(m.input, Some(FieldPath::top("input")));
        assert_eq!(m.output, Some(FieldPath::top("output")));
        assert!(!m.split_conversation);
    }

    #[test]
    fn openai_messages_and_choices() {
        let m = detect(&[
            r#"{"trace_id":"t","messages":[{"role":"user","content":"x"}],"choices":[{"message":{"role":"assistant","content":"y"}}]}"#,
        ]);
        assert_eq!(m.id, Some(FieldPath::top("trace_id")));
        assert_eq!(m.input, Some(FieldPath::top("messages")));
        assert_eq!(m.output, Some(FieldPath::top("choices")));
    }

    #[test]
    fn lone_conversation_is_split() {
        let m = detect(&[
            r#"{"id":"root","messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}"#,
        ]);
        assert_eq!(m.input, Some(FieldPath::top("messages")));
        assert_eq!(m.output, None);
        assert!(m.split_conversation);
    }

    #[test]
    fn inputs_outputs_dicts() {
        let m = detect(&[r#"{"run_id":"r","inputs":{"question":"q"},"outputs":{"answer":"a"}}"#]);
        assert_eq!(m.id, Some(FieldPath::top("run_id")));
        assert_eq!(m.input, Some(FieldPath::top("inputs")));
        assert_eq!(m.output, Some(FieldPath::top("outputs")));
    }

    #[test]
    fn open_inference_flat_and_nested() {
        let m = detect(&[
            r#"{"span_id":"s","attributes":{"input.value":"q","output.value":"a","llm.model_name":"m"}}"#,
        ]);
        assert_eq!(m.id, Some(FieldPath::top("span_id")));
        assert_eq!(m.input, Some(FieldPath::of(&["attributes", "input.value"])));
        assert_eq!(
            m.output,
            Some(FieldPath::of(&["attributes", "output.value"]))
        );
        let m = detect(&[r#"{"attributes":{"input":{"value":"q"},"output":{"value":"a"}}}"#]);
        assert_eq!(
            m.input,
            Some(FieldPath::of(&["attributes", "input", "value"]))
        );
        assert_eq!(
            m.output,
            Some(FieldPath::of(&["attributes", "output", "value"]))
        );
    }

    #[test]
    fn recipe_shape_query_response() {
        let m = detect(&[
            r#"{"trace_id":"1","query":"q","dietary_restriction":"vegan","response":"r","label":"PASS"}"#,
        ]);
        assert_eq!(m.input, Some(FieldPath::top("query")));
        assert_eq!(m.output, Some(FieldPath::top("response")));
    }

    #[test]
    fn typed_paths_reach_into_arrays() {
        let obj = RawObject::parse(
            r#"{"response":{"body":{"choices":[{"message":{"content":"hi"}}]}},"attributes":{"input.value":"q"}}"#,
        )
        .unwrap();
        let p = FieldPath::parse("response.body.choices[0].message.content", &[]).unwrap();
        assert_eq!(p.to_string(), "response.body.choices[0].message.content");
        assert_eq!(p.lookup(&obj).unwrap().get(), "\"hi\"");
        assert!(
            FieldPath::parse("response.body.choices[1]", &[])
                .unwrap()
                .lookup(&obj)
                .is_none()
        );
        let known = [FieldPath::of(&["attributes", "input.value"])];
        let p = FieldPath::parse("attributes.input.value", &known).unwrap();
        assert_eq!(p.lookup(&obj).unwrap().get(), "\"q\"");
        assert_eq!(FieldPath::parse("a[x]", &[]), None);
        assert_eq!(FieldPath::parse("  ", &[]), None);
    }

    #[test]
    fn nested_lookup_and_content_paths() {
        let obj = RawObject::parse(r#"{"attributes":{"input":{"value":"q"}}}"#).unwrap();
        let p = FieldPath::of(&["attributes", "input", "value"]);
        assert_eq!(p.lookup(&obj).unwrap().get(), "\"q\"");
        let m = FieldMapping {
            input: Some(p),
            ..Default::default()
        };
        assert!(m.holds_content(&["attributes", "input"]));
        assert!(m.holds_content(&["attributes"]));
        assert!(!m.covers(&["attributes", "input"]));
        assert!(m.covers(&["attributes", "input", "value"]));
        assert!(!m.holds_content(&["attributes", "model"]));
    }
}
