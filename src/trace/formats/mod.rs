//! The files people have, as they are: a whole JSON document (pretty-printed or not), JSON
//! documents back to back, and the documents of known tools (Inspect AI eval logs, Langfuse trace
//! downloads, MLflow traces, OTLP/JSON, LangSmith run payloads, openai/evals logs) become one
//! trace record a line before the loader splits records, with the fields to read when the tool's
//! shape says so. Files that are already JSON Lines or a JSON array of records pass unchanged.
//!
//! A record made here is compact JSON on one line; copy-as-JSON gives that record (the original
//! object, with the few fields errata adds for a tool's format named in [`Recognised::what`]).

mod archive;
mod documents;
mod jsonl;

use serde_json::value::RawValue;

use super::load::{LoadError, Source, decode, max_bytes};
use super::schema::{FieldMapping, FieldPath};

pub use archive::from_archive;

/// What a file was recognised as.
#[derive(Debug, Default)]
pub struct Recognised {
    /// The file as JSON Lines, one trace record a line; `None` when the text stays as it is.
    pub text: Option<String>,
    /// What it is, in words ("Inspect AI eval log: 3 samples of task security_guide, …").
    pub what: String,
    /// The fields to read, when the format says (detection decides otherwise).
    pub mapping: Option<FieldMapping>,
    /// The id field, when the format says only that (detection decides the rest).
    pub id: Option<FieldPath>,
}

/// One opened file as text, after decoding and recognition.
pub struct Decoded {
    /// Its name.
    pub name: String,
    /// The batch it is added as, if any.
    pub batch: Option<String>,
    /// Its records: the file's text, or JSON Lines made from it.
    pub text: String,
    /// What it was recognised as, if anything.
    pub what: Option<String>,
    /// The fields its format says to read.
    pub mapping: Option<FieldMapping>,
    /// The id field its format says.
    pub id: Option<FieldPath>,
}

/// Decodes the opened files and recognises each (archives, documents, tools' formats), then
/// joins files that belong together (an OpenAI Batch input with its output).
pub fn decode_all(
    sources: Vec<Source>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Decoded>, LoadError> {
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        let archive = from_archive(&source.name, &source.bytes, max_bytes())?;
        let (text, recognised) = match archive {
            Some(mut r) => (r.text.take().unwrap_or_default(), Some(r)),
            None => {
                let decoded = decode(&source.name, source.bytes, warnings)?;
                match recognise(&source.name, &decoded)? {
                    Some(mut r) => (r.text.take().unwrap_or(decoded), Some(r)),
                    None => (decoded, None),
                }
            }
        };
        let (what, mapping, id) = match recognised {
            Some(r) => (Some(r.what), r.mapping, r.id),
            None => (None, None, None),
        };
        out.push(Decoded {
            name: source.name,
            batch: source.batch,
            text,
            what,
            mapping,
            id,
        });
    }
    jsonl::join_openai_batches(&mut out);
    Ok(out)
}

/// Recognises the file `name` by its text: `None` when it is JSON Lines or an array of records
/// that nothing here knows (the loader and field detection take it from there).
pub fn recognise(name: &str, text: &str) -> Result<Option<Recognised>, LoadError> {
    let trimmed = text.trim_start();
    match trimmed.as_bytes().first() {
        Some(b'{') if first_line_is_whole(trimmed) => jsonl::recognise(name, text),
        Some(b'{') => match documents_of(name, text) {
            Ok(r) => Ok(Some(r)),
            // lines that each start an object are JSON Lines with broken lines (the loader
            // names each); a document that breaks is named as one
            Err(_) if object_lines(trimmed) >= 2 => Ok(None),
            Err(e) => Err(e),
        },
        Some(b'[') => arrays(name, trimmed),
        _ => Ok(None),
    }
}

/// Whether the first line holds a whole JSON value (JSON Lines), not the start of a document.
fn first_line_is_whole(text: &str) -> bool {
    let line = text.split('\n').next().unwrap_or("").trim();
    serde_json::from_str::<&RawValue>(line).is_ok()
}

/// How many of the first five non-empty lines start an object.
fn object_lines(text: &str) -> usize {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(5)
        .filter(|l| l.starts_with('{'))
        .count()
}

/// A file that starts with `[`: one array (the loader's), or JSON Lines whose lines are arrays
/// (said plainly: errata reads one trace per object).
fn arrays(name: &str, text: &str) -> Result<Option<Recognised>, LoadError> {
    let mut lines = text.split('\n').map(str::trim).filter(|l| !l.is_empty());
    let whole = |l: Option<&str>| {
        l.is_some_and(|l| l.starts_with('[') && serde_json::from_str::<&RawValue>(l).is_ok())
    };
    if whole(lines.next()) && whole(lines.next()) {
        return Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: "each line is a JSON array, not an object: errata reads one trace per JSON \
                     object (a line of JSON Lines, an element of an array, or a document)"
                .to_owned(),
        });
    }
    Ok(None)
}

/// One or more JSON documents back to back (the OpenTelemetry console exporter writes them so):
/// each is one trace, or holds its records (a known tool's document, or a main list of records).
fn documents_of(name: &str, text: &str) -> Result<Recognised, LoadError> {
    let mut docs = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    for (i, doc) in stream.enumerate() {
        match doc {
            Ok(doc) => docs.push(doc),
            Err(e) => {
                return Err(LoadError::NotTraces {
                    name: name.to_owned(),
                    reason: format!(
                        "{} does not parse as JSON: {} at line {}, column {}",
                        if i == 0 {
                            "the document".to_owned()
                        } else {
                            format!("document {}", i + 1)
                        },
                        e.to_string().split(" at line ").next().unwrap_or(""),
                        e.line(),
                        e.column()
                    ),
                });
            }
        }
    }
    documents::records(name, &docs)
}

/// Appends `raw` (valid JSON) to `out` without the whitespace between tokens: one line.
pub fn minify(raw: &str, out: &mut String) {
    out.reserve(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    let bytes = raw.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push_str(&raw[start..i]);
            start = i + 1;
        }
    }
    out.push_str(&raw[start..]);
}

/// `raw` on one line.
pub fn minified(raw: &str) -> String {
    let mut out = String::new();
    minify(raw, &mut out);
    out
}

/// "1 sample" / "3 samples".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn minify_keeps_strings_and_drops_the_rest() {
        let raw = "{\n  \"a b\": \"x \\\" y\\n\",\n  \"c\": [1, 2]\n}";
        assert_eq!(minified(raw), r#"{"a b":"x \" y\n","c":[1,2]}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&minified(raw)).ok(),
            serde_json::from_str::<serde_json::Value>(raw).ok()
        );
    }

    #[test]
    fn json_lines_and_arrays_pass_unchanged() {
        let jsonl = "{\"id\":1}\n{\"id\":2}\n";
        assert!(recognise("a.jsonl", jsonl).unwrap_or_default().is_none());
        assert!(
            recognise("a.json", "[{\"id\":1}]")
                .unwrap_or_default()
                .is_none()
        );
    }

    #[test]
    fn lines_of_arrays_are_named_for_what_they_are() {
        let e = recognise("a.jsonl", "[1,2]\n[3,4]\n")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("each line is a JSON array")),
            "{e:?}"
        );
    }

    #[test]
    fn a_pretty_document_is_one_record_and_documents_back_to_back_are_several() {
        let one = "{\n  \"id\": \"a\",\n  \"input\": \"hi\"\n}\n";
        let r = recognise("one.json", one)
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(r.text.as_deref(), Some("{\"id\":\"a\",\"input\":\"hi\"}\n"));
        assert_eq!(r.what, "a JSON document: 1 record");
        let two = "{\n \"id\": 1\n}\n{\n \"id\": 2\n}\n";
        let r = recognise("two.json", two)
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(r.text.as_deref(), Some("{\"id\":1}\n{\"id\":2}\n"));
        assert_eq!(r.what, "2 JSON documents one after another");
    }

    #[test]
    fn a_broken_document_says_where() {
        let e = recognise("bad.json", "{\n  \"id\": 1,\n  \"x\": \n}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("line 4"), "{e}");
        assert!(!e.contains("not JSON"), "{e}");
    }
}
