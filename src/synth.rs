//! A deterministic generator of realistic synthetic traces: the bundled demo dump and the
//! benchmark's large dumps. A fictional airline assistant ("SkyWay") with metadata and
//! deliberately planted failure modes, so that a first run shows something worth coding.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Value, json};

/// A small, fast, seedable PRNG (SplitMix64): same seed, same traces, on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The failure modes planted in generated traces (ground truth for tests and demos).
pub const FAILURE_MODES: &[&str] = &[
    "wrong date",
    "tool not called",
    "invented details",
    "policy misquoted",
    "ignored instruction",
];

const MODELS: &[&str] = &["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "llama-3.1-70b"];
const CITIES: &[&str] = &[
    "Lisbon",
    "Denver",
    "Osaka",
    "Nairobi",
    "Toronto",
    "Reykjavik",
    "Santiago",
    "Munich",
    "Austin",
    "Hanoi",
];
const NAMES: &[&str] = &[
    "Priya", "Marco", "Aiko", "Tom", "Fatima", "Lena", "Diego", "Grace", "Omar", "Sven", "Mei",
    "Jonas",
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const TIERS: &[&str] = &["basic", "silver", "gold", "platinum"];

const SYSTEM_PROMPT: &str = "You are SkyWay Air's customer assistant. Be accurate and brief. \
Today is {today}. Policies: checked bags up to 23 kg are free on international flights, 32 kg for \
platinum members; changes within 24 hours of booking are free; refunds go to the original payment \
method within 7 business days; pets under 8 kg may travel in cabin in an approved carrier. Always \
call get_flight_status before stating a flight's status or gate. Never invent fees, gates or times. \
If the customer asks for a format or language, follow it.";

/// Who and what a generated trace is about.
struct Scene<'a> {
    index: usize,
    day: usize,
    today_wd: usize,
    name: &'a str,
    city: &'a str,
    flight: &'a str,
    tier: &'a str,
}

/// A scenario's feature, the user's question and the assistant's turns.
struct Turns {
    feature: &'static str,
    user: String,
    output: Value,
    tool_turns: Vec<Value>,
    assistant_text: String,
}

/// Rebooking: "next Friday" resolved from today's weekday (planted: a date off by days).
fn rebooking(rng: &mut Rng, failed: bool, scene: &Scene<'_>) -> (String, String) {
    let Scene {
        day,
        today_wd,
        name,
        city,
        flight,
        ..
    } = *scene;
    let target = (today_wd + 1 + rng.below(6)) % 7;
    let user = format!(
        "Hi, I'm {name}. Can you move my flight {flight} to {city} to next {}? Same time if possible.",
        WEEKDAYS[target]
    );
    let ahead = (target + 7 - today_wd) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    let correct = day + ahead;
    let shown = if failed {
        correct + 1 + rng.below(3)
    } else {
        correct
    };
    let (month, date) = if shown > 30 {
        (12, shown - 30)
    } else {
        (11, shown)
    };
    let mut assistant_text = String::new();
    let _ = write!(
        assistant_text,
        "Done, {name}! Flight {flight} to {city} is now on {} 2026-{month:02}-{date:02}, departing at the same time. There is no change fee since you booked within our change window.",
        WEEKDAYS[target]
    );
    (user, assistant_text)
}

/// The scenario of a trace (one per feature), with `failure` planted in it when given.
fn turns(rng: &mut Rng, failure: Option<&'static str>, scene: &Scene<'_>) -> Turns {
    let Scene {
        index,
        city,
        flight,
        tier,
        ..
    } = *scene;
    let feature;
    let user;
    let mut output = json!({"role": "assistant"});
    let mut tool_turns: Vec<Value> = Vec::new();
    let mut assistant_text = String::new();
    match failure.map_or_else(
        || rng.below(5),
        |f| FAILURE_MODES.iter().position(|m| *m == f).unwrap_or(0),
    ) {
        0 => {
            feature = "rebooking";
            (user, assistant_text) = rebooking(rng, failure.is_some(), scene);
        }
        1 => {
            feature = "flight_status";
            user = format!("Is {flight} to {city} on time today? And which gate?");
            if failure.is_some() {
                let _ = write!(
                    assistant_text,
                    "Yes, {flight} to {city} is on time and boards from gate B{} at the scheduled hour.",
                    1 + rng.below(40)
                );
            } else {
                output["content"] = Value::Null;
                output["tool_calls"] = json!([{
                    "id": format!("call_{index}"),
                    "type": "function",
                    "function": {"name": "get_flight_status", "arguments": format!("{{\"flight\":\"{flight}\"}}")}
                }]);
                tool_turns.push(json!({"role": "tool", "tool_call_id": format!("call_{index}"),
                    "content": format!("{{\"flight\":\"{flight}\",\"status\":\"delayed 25 min\",\"gate\":\"C{}\"}}", 1 + rng.below(30))}));
            }
        }
        2 => {
            feature = "refunds";
            user =
                format!("I cancelled my {city} trip. When do I get my refund, and is there a fee?");
            if failure.is_some() {
                let _ = write!(
                    assistant_text,
                    "Your refund of ${}.00 minus a ${} processing fee will arrive within 48 hours as travel credit, reference RF-{}.",
                    200 + rng.below(600),
                    15 + rng.below(40),
                    10000 + rng.below(90000)
                );
            } else {
                assistant_text.push_str(
                    "Your refund goes back to your original payment method within 7 business days. There is no fee for this cancellation.",
                );
            }
        }
        3 => {
            feature = "baggage";
            user = format!(
                "I'm a {tier} member flying to {city}. How heavy can my checked bag be without paying?"
            );
            let allowed = if tier == "platinum" { 32 } else { 23 };
            let said = if failure.is_some() {
                allowed + 5 + rng.below(3) * 5
            } else {
                allowed
            };
            let _ = write!(
                assistant_text,
                "As a {tier} member on an international flight to {city}, your checked bag can weigh up to {said} kg at no charge."
            );
        }
        _ => {
            feature = "pets";
            let lang = *rng.pick(&["in one sentence", "in French", "as a bulleted list"]);
            user = format!(
                "Can my 6 kg cat fly with me in the cabin to {city}? Please answer {lang}."
            );
            if failure.is_some() {
                assistant_text.push_str(
                    "Great question! Pets are a wonderful part of the family. Cats under 8 kg can travel in the cabin with you, as long as they stay in an approved carrier under the seat in front of you for the whole flight. You should also check the entry rules of your destination, since some countries require vaccination records or a microchip. Let me know if you need anything else!",
                );
            } else {
                assistant_text.push_str(match lang {
                    "in French" => "Oui : un chat de 6 kg peut voyager en cabine dans un sac de transport approuvé.",
                    "as a bulleted list" => "- Yes, cats under 8 kg may fly in cabin\n- Use an approved carrier\n- Check your destination's entry rules",
                    _ => "Yes, a 6 kg cat can fly in the cabin in an approved carrier.",
                });
            }
        }
    }
    Turns {
        feature,
        user,
        output,
        tool_turns,
        assistant_text,
    }
}

/// One generated trace as a JSON object, with the failure modes planted in it (if any).
pub fn trace(rng: &mut Rng, index: usize) -> (Value, Option<&'static str>) {
    let day = 1 + rng.below(28);
    // 2026-11-01 is a Sunday; weekdays count from Monday = 0
    let today_wd = (5 + day) % 7;
    let today = format!("{} 2026-11-{day:02}", WEEKDAYS[today_wd]);
    let name = *rng.pick(NAMES);
    let city = *rng.pick(CITIES);
    let flight = format!("SW{}", 100 + rng.below(900));
    let model = *rng.pick(MODELS);
    let tier = *rng.pick(TIERS);
    let failure = if rng.unit() < 0.38 {
        Some(*rng.pick(FAILURE_MODES))
    } else {
        None
    };
    let scene = Scene {
        index,
        day,
        today_wd,
        name,
        city,
        flight: &flight,
        tier,
    };
    let Turns {
        feature,
        user,
        mut output,
        tool_turns,
        assistant_text,
    } = turns(rng, failure, &scene);
    if !assistant_text.is_empty() {
        output["content"] = Value::String(assistant_text);
    }
    let mut input = vec![
        json!({"role": "system", "content": SYSTEM_PROMPT.replace("{today}", &today)}),
        json!({"role": "user", "content": user}),
    ];
    if !tool_turns.is_empty() {
        // the tool call happened; the final answer reads the result
        input.push(output.clone());
        input.extend(tool_turns);
        output = json!({"role": "assistant", "content": format!("{flight} to {city} is delayed by about 25 minutes; please check the gate shown in the app before boarding.")});
    }
    // the judge is right about 85 % of the time
    let judge_fail = failure.is_some() != (rng.unit() < 0.15);
    let latency_ms = 300 + rng.below(2500) + if model.contains("70b") { 900 } else { 0 };
    let hour = rng.below(24);
    let minute = rng.below(60);
    let app_version: Value = if rng.below(10) == 0 {
        json!(3)
    } else {
        json!(format!("3.{}.{}", rng.below(3), rng.below(10)))
    };
    let value = json!({
        "trace_id": format!("tr-{index:07}"),
        "timestamp": format!("2026-11-{day:02}T{hour:02}:{minute:02}:00Z"),
        "model": model,
        "feature": feature,
        "latency_ms": latency_ms,
        "input": input,
        "output": output,
        "judge": {
            "verdict": if judge_fail { "fail" } else { "pass" },
            "score": (rng.unit() * 100.0).round() / 100.0,
            "rationale": if judge_fail { "The answer states facts not supported by policy or tools." } else { "Accurate and follows the instructions." },
        },
        "metadata": {
            "env": if rng.below(10) == 0 { "staging" } else { "prod" },
            "customer_tier": tier,
            "app_version": app_version,
            "session": {"turns": 1 + rng.below(6), "channel": *rng.pick(&["web", "ios", "android"])},
        },
    });
    (value, failure)
}

/// Writes `n` traces as JSON Lines into `out`.
pub fn write_jsonl(n: usize, seed: u64, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    for i in 0..n {
        let (v, _) = trace(&mut rng, i);
        serde_json::to_writer(&mut w, &v)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// `n` traces as JSON Lines text.
pub fn jsonl(n: usize, seed: u64) -> String {
    let mut out = Vec::new();
    // writing to a Vec cannot fail
    let _ = write_jsonl(n, seed, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `n` agent runs as span records, one a line (Phoenix's flattened span columns:
/// `context.trace_id`, `context.span_id`, `parent_id`, `span_kind`, `attributes.*`): an AGENT
/// root and 3 to 15 LLM, TOOL and RETRIEVER spans under it, about 10 spans a run, a failing
/// tool call in one run of eight. The content is [`trace`]'s.
pub fn write_spans_jsonl(
    n: usize,
    seed: u64,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    for i in 0..n {
        let (v, _) = trace(&mut rng, i);
        for span in spans_of(&mut rng, i, &v) {
            serde_json::to_writer(&mut w, &span)?;
            w.write_all(b"\n")?;
        }
    }
    w.flush()
}

/// `n` agent runs as span JSON Lines text (see [`write_spans_jsonl`]).
pub fn generate_spans(n: usize, seed: u64) -> String {
    let mut out = Vec::new();
    // writing to a Vec cannot fail
    let _ = write_spans_jsonl(n, seed, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn spans_of(rng: &mut Rng, index: usize, run: &Value) -> Vec<Value> {
    let trace_id = format!("{:032x}", (index as u128 + 1) * 0x9e37_79b9_7f4a_7c15);
    let span_id = |k: usize| {
        format!(
            "{:016x}",
            ((index as u64) << 8) ^ (k as u64 + 1) ^ 0x5bd1_e995_0000_0000
        )
    };
    let base_ms = 1_795_651_200_000u64 + index as u64 * 60_000;
    let at = |ms: u64| crate::coding::time::rfc3339_ms(ms as f64);
    let model = run["model"].as_str().unwrap_or("gpt-4o-mini");
    let user = run["input"][1]["content"].as_str().unwrap_or("");
    let answer = run["output"]["content"].as_str().unwrap_or("");
    let children = 3 + rng.below(13);
    let failing = rng.below(8) == 0;
    let mut t = base_ms + 20;
    let mut out = Vec::with_capacity(children + 1);
    for k in 0..children {
        let (kind, name) = match k % 3 {
            0 => ("LLM", "ChatCompletion"),
            1 => (
                "TOOL",
                *rng.pick(&["lookup_flight", "search_policy", "rebook"]),
            ),
            _ => ("RETRIEVER", "vector_search"),
        };
        let took = 40 + rng.below(if kind == "LLM" { 1500 } else { 300 }) as u64;
        let error = failing && kind == "TOOL" && k == 1;
        let (input, output) = match kind {
            "LLM" => (
                json!({"messages": run["input"]}).to_string(),
                if k + 1 == children {
                    answer.to_owned()
                } else {
                    format!("calling {name} for {}", run["trace_id"])
                },
            ),
            "TOOL" => (
                json!({"query": user.chars().take(60).collect::<String>()}).to_string(),
                if error {
                    String::new()
                } else {
                    format!("{name}: ok for {}", run["trace_id"])
                },
            ),
            _ => (user.chars().take(80).collect(), "3 documents".to_owned()),
        };
        out.push(json!({
            "name": name,
            "span_kind": kind,
            "parent_id": span_id(0),
            "start_time": at(t),
            "end_time": at(t + took),
            "status_code": if error { "ERROR" } else { "OK" },
            "status_message": if error { "upstream timed out" } else { "" },
            "context.span_id": span_id(k + 1),
            "context.trace_id": trace_id,
            "attributes.input.value": input,
            "attributes.output.value": output,
            "attributes.llm.model_name": if kind == "LLM" { json!(model) } else { Value::Null },
            "attributes.llm.token_count.total": if kind == "LLM" { json!(100 + rng.below(900)) } else { Value::Null },
        }));
        t += took + 5;
    }
    out.insert(
        0,
        json!({
            "name": "agent",
            "span_kind": "AGENT",
            "parent_id": Value::Null,
            "start_time": at(base_ms),
            "end_time": at(t + 10),
            "status_code": "OK",
            "status_message": "",
            "context.span_id": span_id(0),
            "context.trace_id": trace_id,
            "attributes.input.value": user,
            "attributes.output.value": answer,
            "attributes.llm.model_name": Value::Null,
            "attributes.llm.token_count.total": Value::Null,
            "feature": run["feature"],
            "metadata.env": run["metadata"]["env"],
        }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn deterministic_and_varied() {
        assert_eq!(jsonl(50, 7), jsonl(50, 7));
        assert_ne!(jsonl(50, 7), jsonl(50, 8));
        let mut rng = Rng::new(1);
        let planted: Vec<_> = (0..300).filter_map(|i| trace(&mut rng, i).1).collect();
        for mode in FAILURE_MODES {
            assert!(planted.contains(mode), "{mode} never planted");
        }
        assert!(planted.len() > 60 && planted.len() < 180);
    }
}
