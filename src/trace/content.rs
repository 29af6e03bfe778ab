//! A trace's input or output as something to read: plain text, a role-labelled conversation,
//! or a JSON tree. Understands OpenAI chat messages and choices, Anthropic content blocks,
//! OpenInference JSON-in-a-string values and `inputs`/`outputs` dicts.

use serde_json::{Map, Value};

/// One side of a trace, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// The field is absent.
    Missing,
    /// Plain text.
    Text(String),
    /// A conversation.
    Chat(Vec<Message>),
    /// Anything else, shown as a collapsible tree.
    Json(Value),
}

/// One turn of a conversation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message {
    /// `system`, `user`, `assistant`, `tool`, … (kept as written, typos included).
    pub role: String,
    /// The speaker's name, when given.
    pub name: Option<String>,
    /// The text of the turn (text blocks joined).
    pub text: String,
    /// Tool calls made in this turn.
    pub tool_calls: Vec<ToolCall>,
    /// For tool results: the call they answer.
    pub tool_call_id: Option<String>,
}

/// A tool (function) call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolCall {
    /// The call id, when given.
    pub id: Option<String>,
    /// The tool's name.
    pub name: String,
    /// Arguments, pretty-printed when they are JSON.
    pub arguments: String,
}

/// Parses a raw JSON field into content. Never fails: unparseable text is shown as text.
pub fn from_raw(raw: Option<&str>) -> Content {
    let Some(raw) = raw else {
        return Content::Missing;
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => from_value(v),
        Err(_) => Content::Text(raw.to_owned()),
    }
}

/// Splits a conversation at its last assistant turn: `(before, from the last assistant turn on)`.
pub fn split_conversation(raw: Option<&str>) -> (Content, Content) {
    match from_raw(raw) {
        Content::Chat(mut messages) => {
            let Some(at) = messages.iter().rposition(|m| is_assistant(&m.role)) else {
                return (Content::Chat(messages), Content::Missing);
            };
            let output = messages.split_off(at);
            (Content::Chat(messages), Content::Chat(output))
        }
        other => (other, Content::Missing),
    }
}

/// Whether a role names the model's side (tolerates typos such as `asssistant`).
pub fn is_assistant(role: &str) -> bool {
    let r = role.to_ascii_lowercase();
    r.contains("assist") || r.contains("asssist") || r == "ai" || r == "model" || r == "bot"
}

fn from_value(v: Value) -> Content {
    match v {
        Value::Null => Content::Missing,
        Value::String(s) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && let Ok(inner) = serde_json::from_str::<Value>(&s)
            {
                return match from_value(inner) {
                    Content::Json(_) | Content::Missing => Content::Text(s),
                    c => c,
                };
            }
            Content::Text(s)
        }
        Value::Array(items) => from_array(items),
        Value::Object(map) => from_object(map),
        other => Content::Text(other.to_string()),
    }
}

fn from_array(items: Vec<Value>) -> Content {
    if items.is_empty() {
        return Content::Json(Value::Array(items));
    }
    let objects: Vec<&Map<String, Value>> = items.iter().filter_map(Value::as_object).collect();
    if objects.len() != items.len() {
        return Content::Json(Value::Array(items));
    }
    if objects.iter().all(|o| o.contains_key("role")) {
        return Content::Chat(objects.into_iter().flat_map(messages_of).collect());
    }
    // chat under other names: ShareGPT (`from`/`value`), ATIF steps (`source`/`message`)
    if objects.iter().all(|o| {
        ROLE_KEYS
            .iter()
            .any(|k| o.get(*k).is_some_and(Value::is_string))
    }) {
        return Content::Chat(objects.into_iter().flat_map(messages_of).collect());
    }
    if objects.iter().all(|o| o.contains_key("message")) {
        let messages = objects
            .iter()
            .filter_map(|o| o.get("message").and_then(Value::as_object))
            .map(message)
            .collect();
        return Content::Chat(messages);
    }
    if objects
        .iter()
        .all(|o| o.get("text").is_some_and(Value::is_string) && !o.contains_key("type"))
    {
        // completion-style choices
        let text = objects
            .iter()
            .filter_map(|o| o.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n\n");
        return Content::Text(text);
    }
    if objects.iter().all(|o| o.contains_key("type")) {
        let mut m = Message {
            role: "content".to_owned(),
            ..Default::default()
        };
        add_blocks(&mut m, &items);
        return Content::Chat(vec![m]);
    }
    Content::Json(Value::Array(items))
}

fn from_object(map: Map<String, Value>) -> Content {
    if let Some(Value::Array(msgs)) = map.get("messages")
        && !msgs.is_empty()
        && msgs.iter().all(|m| m.get("role").is_some())
    {
        let Some(Value::Array(msgs)) = map.get("messages").cloned() else {
            return Content::Json(Value::Object(map));
        };
        return from_array(msgs);
    }
    if let Some(Value::Array(choices)) = map.get("choices")
        && !choices.is_empty()
    {
        let Some(Value::Array(choices)) = map.get("choices").cloned() else {
            return Content::Json(Value::Object(map));
        };
        return from_array(choices);
    }
    if map.contains_key("role") && (map.contains_key("content") || map.contains_key("tool_calls")) {
        return Content::Chat(vec![message(&map)]);
    }
    // A dict with one text value: {"question": "..."} or {"output": "..."}
    let strings: Vec<&str> = map.values().filter_map(Value::as_str).collect();
    if map.len() == 1 {
        if let Some(s) = strings.first() {
            return from_value(Value::String((*s).to_owned()));
        }
        if let Some(v) = map.values().next()
            && (v.is_array() || v.is_object())
        {
            let inner = from_value(v.clone());
            if !matches!(inner, Content::Json(_)) {
                return inner;
            }
        }
    }
    Content::Json(Value::Object(map))
}

/// Keys that name a message's author, best first.
const ROLE_KEYS: [&str; 4] = ["role", "from", "source", "speaker"];

/// A role as people read it: ShareGPT's `human`/`gpt`, ATIF's `agent`… become user/assistant.
pub fn normalise_role(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "human" | "user" => "user".to_owned(),
        "gpt" | "chatgpt" | "bing" | "bard" | "agent" | "ai" | "bot" | "model" => {
            "assistant".to_owned()
        }
        "function" | "observation" => "tool".to_owned(),
        _ => role.to_owned(),
    }
}

/// One message object as messages: the message itself, then (ATIF) a tool message for each of
/// its observation's results.
fn messages_of(o: &Map<String, Value>) -> Vec<Message> {
    let mut out = vec![message(o)];
    if let Some(Value::Array(results)) = o.get("observation").and_then(|v| v.get("results")) {
        for r in results {
            out.push(Message {
                role: "tool".to_owned(),
                tool_call_id: r
                    .get("source_call_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                text: match r.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => pretty(other),
                    None => String::new(),
                },
                ..Default::default()
            });
        }
    }
    out
}

fn message(o: &Map<String, Value>) -> Message {
    let role = ROLE_KEYS
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .unwrap_or("?");
    let mut m = Message {
        role: normalise_role(role),
        name: o.get("name").and_then(Value::as_str).map(str::to_owned),
        tool_call_id: o
            .get("tool_call_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Default::default()
    };
    // the text: `content` (OpenAI, Anthropic), `value` (ShareGPT), `message` (ATIF), `parts`
    // (OpenTelemetry GenAI), `text`
    let body = ["content", "value", "message", "parts", "text"]
        .iter()
        .find_map(|k| o.get(*k).filter(|v| !v.is_null()));
    match body {
        Some(Value::String(s)) => m.text.push_str(s),
        Some(Value::Array(blocks)) => add_blocks(&mut m, blocks),
        None => {}
        Some(other) => m.text.push_str(&pretty(other)),
    }
    if let Some(Value::Array(calls)) = o.get("tool_calls") {
        for c in calls {
            let f = c.get("function").unwrap_or(c);
            m.tool_calls.push(ToolCall {
                id: c
                    .get("id")
                    .or_else(|| c.get("tool_call_id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                name: f
                    .get("name")
                    .or_else(|| f.get("function_name"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                arguments: arguments(f.get("arguments").or_else(|| f.get("input"))),
            });
        }
    }
    if let Some(f) = o.get("function_call").and_then(Value::as_object) {
        m.tool_calls.push(ToolCall {
            id: None,
            name: f
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned(),
            arguments: arguments(f.get("arguments")),
        });
    }
    m
}

fn add_blocks(m: &mut Message, blocks: &[Value]) {
    for b in blocks {
        let push = |m: &mut Message, s: &str| {
            if !m.text.is_empty() {
                m.text.push_str("\n\n");
            }
            m.text.push_str(s);
        };
        match b.get("type").and_then(Value::as_str) {
            Some("text" | "input_text" | "output_text") => {
                // `content` in OpenTelemetry GenAI's parts
                let text = b.get("text").or_else(|| b.get("content"));
                push(m, text.and_then(Value::as_str).unwrap_or(""));
            }
            Some("tool_call") => m.tool_calls.push(ToolCall {
                id: b.get("id").and_then(Value::as_str).map(str::to_owned),
                name: b
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                arguments: arguments(b.get("arguments")),
            }),
            Some("tool_call_response") => {
                m.tool_call_id = b.get("id").and_then(Value::as_str).map(str::to_owned);
                match b.get("response").or_else(|| b.get("result")) {
                    Some(Value::String(s)) => push(m, s),
                    Some(other) => push(m, &pretty(other)),
                    None => {}
                }
            }
            Some("tool_use" | "function_call") => m.tool_calls.push(ToolCall {
                id: b
                    .get("id")
                    .or_else(|| b.get("call_id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                name: b
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                arguments: arguments(b.get("input").or_else(|| b.get("arguments"))),
            }),
            Some("tool_result") => {
                m.tool_call_id = b
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                match b.get("content") {
                    Some(Value::String(s)) => push(m, s),
                    Some(Value::Array(inner)) => add_blocks(m, inner),
                    Some(other) => push(m, &pretty(other)),
                    None => {}
                }
            }
            Some(kind @ ("image" | "image_url" | "input_image" | "document")) => {
                push(m, &format!("[{kind}]"));
            }
            _ => match b {
                Value::String(s) => push(m, s),
                other => push(m, &pretty(other)),
            },
        }
    }
}

fn arguments(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(parsed) if parsed.is_object() || parsed.is_array() => pretty(&parsed),
            _ => s.clone(),
        },
        Some(other) => pretty(other),
        None => String::new(),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Which side a preview is for: inputs show the last user turn, outputs the last assistant turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The input.
    Input,
    /// The output.
    Output,
}

/// A one-line preview of at most `max_chars` characters.
pub fn preview(content: &Content, side: Side, max_chars: usize) -> String {
    let text = match content {
        Content::Missing => String::new(),
        Content::Text(s) => s.clone(),
        Content::Chat(messages) => {
            let pick = match side {
                // what the person asked: a tool's result sent back in a user turn is not it
                Side::Input => messages.iter().rev().find(|m| {
                    m.role.eq_ignore_ascii_case("user")
                        && m.tool_call_id.is_none()
                        && !m.text.trim().is_empty()
                }),
                Side::Output => messages.iter().rev().find(|m| {
                    is_assistant(&m.role) && (!m.text.trim().is_empty() || !m.tool_calls.is_empty())
                }),
            }
            .or_else(|| {
                messages
                    .iter()
                    .rev()
                    .find(|m| !m.text.trim().is_empty() || !m.tool_calls.is_empty())
            });
            match pick {
                Some(m) if !m.text.trim().is_empty() => m.text.clone(),
                Some(m) => m
                    .tool_calls
                    .iter()
                    .map(|c| format!("-> {}({})", c.name, one_line(&c.arguments, 60)))
                    .collect::<Vec<_>>()
                    .join(" "),
                None => String::new(),
            }
        }
        Content::Json(v) => v.to_string(),
    };
    one_line(&text, max_chars)
}

/// Collapses whitespace to single spaces and cuts at `max_chars` characters with an ellipsis.
pub fn one_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(max_chars.min(s.len()) + 3);
    let mut count = 0;
    let mut space = false;
    for ch in s.chars() {
        if ch.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= max_chars {
            out.push('…');
            return out;
        }
        out.push(ch);
        count += 1;
    }
    out
}

/// All readable text of a content, for search and copy.
pub fn plain_text(content: &Content) -> String {
    match content {
        Content::Missing => String::new(),
        Content::Text(s) => s.clone(),
        Content::Chat(messages) => {
            let mut out = String::new();
            for m in messages {
                out.push_str(&m.role);
                out.push_str(": ");
                out.push_str(&m.text);
                for c in &m.tool_calls {
                    out.push_str(&format!("\n-> {}({})", c.name, c.arguments));
                }
                out.push('\n');
            }
            out
        }
        Content::Json(v) => pretty(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn plain_string() {
        assert_eq!(from_raw(Some(r#""hello""#)), Content::Text("hello".into()));
        assert_eq!(from_raw(None), Content::Missing);
        assert_eq!(from_raw(Some("not json")), Content::Text("not json".into()));
    }

    #[test]
    fn openai_messages_with_tool_calls() {
        let raw = r#"[{"role":"system","content":"be nice"},{"role":"user","content":"weather?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"assistant","content":"It is sunny."}]"#;
        let Content::Chat(m) = from_raw(Some(raw)) else {
            panic!()
        };
        assert_eq!(m.len(), 5);
        assert_eq!(m[2].tool_calls[0].name, "get_weather");
        assert!(m[2].tool_calls[0].arguments.contains("\"city\": \"Paris\""));
        assert_eq!(m[3].tool_call_id.as_deref(), Some("c1"));
        let (input, output) = split_conversation(Some(raw));
        let (Content::Chat(i), Content::Chat(o)) = (input, output) else {
            panic!()
        };
        assert_eq!(i.len(), 4);
        assert_eq!(o[0].text, "It is sunny.");
    }

    #[test]
    fn openai_choices_object_and_array() {
        let raw =
            r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}"#;
        let Content::Chat(m) = from_raw(Some(raw)) else {
            panic!()
        };
        assert_eq!(m[0].text, "hi");
        let Content::Chat(m) =
            from_raw(Some(r#"[{"message":{"role":"assistant","content":"yo"}}]"#))
        else {
            panic!()
        };
        assert_eq!(m[0].role, "assistant");
    }

    #[test]
    fn anthropic_content_blocks() {
        let raw = r#"{"role":"assistant","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"t1","name":"lookup","input":{"q":"x"}}]}"#;
        let Content::Chat(m) = from_raw(Some(raw)) else {
            panic!()
        };
        assert_eq!(m[0].text, "Let me check.");
        assert_eq!(m[0].tool_calls[0].name, "lookup");
        let raw = r#"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"42"}]}]}]"#;
        let Content::Chat(m) = from_raw(Some(raw)) else {
            panic!()
        };
        assert_eq!(m[0].tool_call_id.as_deref(), Some("t1"));
        assert_eq!(m[0].text, "42");
    }

    #[test]
    fn open_inference_json_string_and_dicts() {
        let raw = r#""{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}""#;
        assert!(matches!(from_raw(Some(raw)), Content::Chat(_)));
        assert_eq!(
            from_raw(Some(r#"{"question":"why?"}"#)),
            Content::Text("why?".into())
        );
        assert!(matches!(
            from_raw(Some(r#"{"a":1,"b":[2]}"#)),
            Content::Json(_)
        ));
        // a string that merely looks like JSON stays text when it is no known shape
        assert_eq!(
            from_raw(Some(r#""[1, 2]""#)),
            Content::Text("[1, 2]".into())
        );
    }

    #[test]
    fn previews() {
        let raw = r#"[{"role":"system","content":"sys"},{"role":"user","content":"  first\n question "},{"role":"assistant","content":"answer"}]"#;
        let c = from_raw(Some(raw));
        assert_eq!(preview(&c, Side::Input, 100), "first question");
        assert_eq!(preview(&c, Side::Output, 100), "answer");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("ünï cödé", 20), "ünï cödé");
        let tool = from_raw(Some(
            r#"{"role":"assistant","content":null,"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}"#,
        ));
        assert_eq!(preview(&tool, Side::Output, 100), "-> f({})");
        // the output preview prefers the assistant's turn over a trailing tool result
        let c = from_raw(Some(
            r#"[{"role":"assistant","content":"Just a sec."},{"role":"tool","content":"pending"}]"#,
        ));
        assert_eq!(preview(&c, Side::Output, 100), "Just a sec.");
        // the input preview is what the person asked, not a tool result sent back as a user turn
        let c = from_raw(Some(
            r#"[{"role":"user","content":"Fix fees.py"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"def fee(): ..."}]}]"#,
        ));
        assert_eq!(preview(&c, Side::Input, 100), "Fix fees.py");
    }

    #[test]
    fn misspelt_assistant_role_splits() {
        let raw = r#"[{"role":"user","content":"q"},{"role":"asssistant","content":"a"}]"#;
        let (_, out) = split_conversation(Some(raw));
        let Content::Chat(o) = out else { panic!() };
        assert_eq!(o[0].role, "asssistant");
    }
}
