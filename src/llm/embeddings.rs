//! An OpenAI-compatible embeddings endpoint (`POST …/v1/embeddings`: a local Ollama or
//! llama.cpp server, or a hosted API): the request for a list of texts and the vectors read
//! back, checked (one vector per text, all of one length).

use serde::Deserialize;
use serde_json::json;

/// Where embeddings come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// The endpoint's URL: `http://127.0.0.1:11434/v1/embeddings`, or a base URL (`/v1/embeddings`
    /// is added when the path does not end in `embeddings`).
    pub url: String,
    /// The embedding model's name.
    pub model: String,
    /// A bearer key, when the endpoint wants one (in memory only).
    pub api_key: String,
}

/// Texts per request: large note sets go in several.
pub const TEXTS_PER_REQUEST: usize = 256;

impl Endpoint {
    /// The URL requests go to.
    pub fn full_url(&self) -> String {
        let url = self.url.trim().trim_end_matches('/');
        if url.ends_with("embeddings") {
            url.to_owned()
        } else if url.ends_with("/v1") {
            format!("{url}/embeddings")
        } else {
            format!("{url}/v1/embeddings")
        }
    }

    /// The request embedding `texts`.
    pub fn request(&self, texts: &[String]) -> ehttp::Request {
        let body = json!({ "model": self.model, "input": texts });
        let mut req = ehttp::Request::post(self.full_url(), body.to_string().into_bytes());
        req.headers.insert("Content-Type", "application/json");
        if !self.api_key.trim().is_empty() {
            req.headers
                .insert("Authorization", format!("Bearer {}", self.api_key.trim()));
        }
        req.timeout = Some(std::time::Duration::from_secs(120));
        req
    }

    /// What the window and the report name this source by.
    pub fn label(&self) -> String {
        format!("embeddings {} at {}", self.model, self.full_url())
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// The vectors of an answer to a request for `n` texts, in the texts' order; an error says what
/// was wrong (the status and the body's start, or the shape).
pub fn parse(status: u16, body: &[u8], n: usize, url: &str) -> Result<Vec<Vec<f32>>, String> {
    let text = String::from_utf8_lossy(body);
    if !(200..300).contains(&status) {
        return Err(format!(
            "the embeddings endpoint answered HTTP {status} ({}): {url}",
            crate::trace::content::one_line(&text, 200)
        ));
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the embeddings endpoint's answer is not the JSON asked for ({e}): {}",
            crate::trace::content::one_line(&text, 200)
        )
    })?;
    if answer.data.len() != n {
        return Err(format!(
            "the embeddings endpoint sent {} vectors for {n} texts: {url}",
            answer.data.len()
        ));
    }
    let mut items = answer.data;
    if items.iter().all(|i| i.index.is_some()) {
        items.sort_by_key(|i| i.index);
    }
    let dims = items.first().map_or(0, |i| i.embedding.len());
    if dims == 0 || items.iter().any(|i| i.embedding.len() != dims) {
        return Err(format!(
            "the embeddings endpoint sent vectors of different or no lengths: {url}"
        ));
    }
    Ok(items.into_iter().map(|i| i.embedding).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn requests_and_answers() {
        let e = Endpoint {
            url: "http://127.0.0.1:11434".into(),
            model: "nomic-embed-text".into(),
            api_key: String::new(),
        };
        assert_eq!(e.full_url(), "http://127.0.0.1:11434/v1/embeddings");
        let r = e.request(&["a".into(), "b".into()]);
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["input"][1], "b");
        assert_eq!(r.headers.get("Authorization"), None);
        let ok = br#"{"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}]}"#;
        assert_eq!(
            parse(200, ok, 2, "u").unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(
            parse(500, b"overloaded", 2, "u")
                .unwrap_err()
                .contains("HTTP 500 (overloaded)")
        );
        assert!(
            parse(200, b"<html>", 2, "u")
                .unwrap_err()
                .contains("not the JSON")
        );
        assert!(
            parse(200, ok, 3, "u")
                .unwrap_err()
                .contains("2 vectors for 3 texts")
        );
        let ragged = br#"{"data":[{"embedding":[0,1]},{"embedding":[1]}]}"#;
        assert!(parse(200, ragged, 2, "u").unwrap_err().contains("lengths"));
    }
}
