//! Provider requests over ehttp: Anthropic Messages and OpenAI-compatible chat completions.
//! Building the request and reading the answer are pure; sending is ehttp (native and browser).

use serde_json::{Value, json};

/// Which API a provider speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Api {
    /// Anthropic Messages API.
    #[default]
    Anthropic,
    /// Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp).
    OpenAi,
}

/// Provider settings (the key is never serialised).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Provider {
    /// The API.
    pub api: Api,
    /// Base URL, e.g. `https://api.anthropic.com` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Max tokens of the answer.
    pub max_tokens: u32,
    /// The API key (kept in memory only).
    #[serde(skip)]
    pub api_key: String,
    /// Send `anthropic-dangerous-direct-browser-access` (the browser build does).
    #[serde(skip)]
    pub browser: bool,
}

impl Provider {
    /// Whether the provider can be asked: a model, and a key or a server on this machine.
    pub fn is_set_up(&self) -> bool {
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| self.base_url.trim().starts_with(p));
        !self.model.trim().is_empty() && (!self.api_key.trim().is_empty() || local)
    }

    /// `provider/model`, for changelog entries.
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            if self.api == Api::Anthropic {
                "anthropic"
            } else {
                "openai"
            },
            self.model
        )
    }

    /// The HTTP request for one prompt (temperature 0).
    pub fn request(&self, prompt: &str) -> ehttp::Request {
        let base = self.base_url.trim_end_matches('/');
        let (url, body, headers): (String, Value, Vec<(&str, String)>) = match self.api {
            Api::Anthropic => {
                let mut h = vec![
                    ("x-api-key", self.api_key.clone()),
                    ("anthropic-version", "2023-06-01".to_owned()),
                ];
                if self.browser {
                    h.push((
                        "anthropic-dangerous-direct-browser-access",
                        "true".to_owned(),
                    ));
                }
                (
                    format!("{base}/v1/messages"),
                    json!({"model": self.model, "max_tokens": self.max_tokens.max(1), "temperature": 0,
                           "messages": [{"role": "user", "content": prompt}]}),
                    h,
                )
            }
            Api::OpenAi => {
                let url = if base.ends_with("/v1") {
                    format!("{base}/chat/completions")
                } else {
                    format!("{base}/v1/chat/completions")
                };
                let mut h = Vec::new();
                if !self.api_key.is_empty() {
                    h.push(("authorization", format!("Bearer {}", self.api_key)));
                }
                (
                    url,
                    json!({"model": self.model, "max_tokens": self.max_tokens.max(1), "temperature": 0,
                           "messages": [{"role": "user", "content": prompt}]}),
                    h,
                )
            }
        };
        let mut req = ehttp::Request::post(url, serde_json::to_vec(&body).unwrap_or_default());
        req.headers.insert("content-type", "application/json");
        for (k, v) in headers {
            req.headers.insert(k, v);
        }
        req
    }
}

/// Reads the answer text from a response, or says why it could not (status, retry-after, body).
pub fn answer_text(api: Api, response: &ehttp::Response) -> Result<String, String> {
    let body = response.text().unwrap_or("");
    if !response.ok {
        let retry = response
            .headers
            .get("retry-after")
            .map(|r| format!(" (retry after {r} s)"))
            .unwrap_or_default();
        return Err(format!(
            "HTTP {} {}{retry}: {}",
            response.status,
            response.status_text,
            crate::trace::content::one_line(body, 400)
        ));
    }
    let v: Value = serde_json::from_str(body).map_err(|e| {
        format!(
            "the reply is not JSON ({e}): {}",
            crate::trace::content::one_line(body, 400)
        )
    })?;
    let text = match api {
        Api::Anthropic => v["content"].as_array().map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("")
        }),
        Api::OpenAi => v["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned),
    };
    text.filter(|t| !t.is_empty()).ok_or_else(|| {
        format!(
            "the reply has no answer text: {}",
            crate::trace::content::one_line(body, 400)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn requests_per_api() {
        let p = Provider {
            api: Api::Anthropic,
            base_url: "https://api.anthropic.com/".into(),
            model: "claude".into(),
            max_tokens: 100,
            api_key: "k".into(),
            browser: true,
        };
        let r = p.request("hi");
        assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(r.headers.get("x-api-key"), Some("k"));
        assert_eq!(
            r.headers.get("anthropic-dangerous-direct-browser-access"),
            Some("true")
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["temperature"], 0);
        let o = Provider {
            api: Api::OpenAi,
            base_url: "http://127.0.0.1:11434/v1".into(),
            ..p
        };
        assert_eq!(
            o.request("hi").url,
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            o.request("hi").headers.get("authorization"),
            Some("Bearer k")
        );
        assert!(
            !serde_json::to_string(&o).unwrap().contains("\"k\""),
            "the key is never serialised"
        );
    }
}
