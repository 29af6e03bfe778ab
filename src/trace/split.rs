//! Splitting one file's text into records: the elements of a JSON array, or JSON Lines (lines
//! that are not objects are skipped with their line number).

use super::load::{LoadError, MAX_SKIPPED_KEPT, Skipped};
use super::raw::{JsonKind, Raw, kind_of, offset_in};

/// Where one record's text lies, and which line it starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RecordSpan {
    pub(super) start: u64,
    pub(super) len: u32,
    pub(super) line: u32,
    pub(super) file: u16,
}

pub(super) fn line_of(text: &str, offset: usize) -> u32 {
    let upto = &text.as_bytes()[..offset.min(text.len())];
    u32::try_from(memchr::memchr_iter(b'\n', upto).count() + 1).unwrap_or(u32::MAX)
}

fn kind_word(first: u8) -> &'static str {
    match first {
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// Splits one file's text into record spans: JSON-array elements, or JSONL lines.
pub(super) fn split_records(
    name: &str,
    text: &str,
    base: usize,
    file: u16,
    skipped: &mut Vec<Skipped>,
    skipped_count: &mut usize,
) -> Result<Vec<RecordSpan>, LoadError> {
    let trimmed = text.trim_start();
    let first = trimmed.as_bytes().first().copied().unwrap_or(b' ');
    let mut skip = |line: u32, reason: String| {
        *skipped_count += 1;
        if skipped.len() < MAX_SKIPPED_KEPT {
            skipped.push(Skipped {
                file: name.to_owned(),
                line,
                reason,
            });
        }
    };
    let span = |s: &str, line: u32| RecordSpan {
        start: (base + offset_in(text, s)) as u64,
        len: u32::try_from(s.len()).unwrap_or(u32::MAX),
        line,
        file,
    };
    // JSON Lines: one record a line; lines that are not objects are skipped with their line
    let lines = |skip: &mut dyn FnMut(u32, String)| {
        let mut out = Vec::new();
        let mut line = 0u32;
        for l in text.split('\n') {
            line += 1;
            let t = l.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with('{') {
                out.push(span(t, line));
            } else {
                let w = match serde_json::from_str::<&serde_json::value::RawValue>(t) {
                    Ok(_) => kind_word(t.as_bytes()[0]),
                    Err(_) => "not JSON",
                };
                skip(line, format!("{w}, not a JSON object"));
            }
        }
        out
    };
    // several lines that start a JSON value: JSON Lines, whatever its first line holds
    let line_starts = text
        .split('\n')
        .map(str::trim_start)
        .filter(|l| l.starts_with('{') || l.starts_with('['))
        .take(2)
        .count();
    match first {
        b'[' => {
            let elems: Vec<&serde_json::value::RawValue> = match serde_json::from_str(text) {
                Ok(elems) => elems,
                Err(_) if line_starts > 1 => return Ok(lines(&mut skip)),
                Err(e) => {
                    return Err(LoadError::NotTraces {
                        name: name.to_owned(),
                        reason: format!("a JSON array that does not parse: {e}"),
                    });
                }
            };
            let mut out = Vec::with_capacity(elems.len());
            for (i, raw) in elems.iter().enumerate() {
                let line = line_of(text, offset_in(text, raw.get()));
                if kind_of(Raw::from(*raw)) == JsonKind::Object {
                    out.push(span(raw.get(), line));
                } else {
                    let w = kind_word(raw.get().as_bytes()[0]);
                    skip(
                        line,
                        format!("array element {} is {w}, not an object", i + 1),
                    );
                }
            }
            Ok(out)
        }
        b'{' => Ok(lines(&mut skip)),
        // a first line that is not JSON (a log line, a torn write) costs that line only
        _ if first != b'<'
            && line_starts > 0
            && text.split('\n').any(|l| l.trim_start().starts_with('{')) =>
        {
            Ok(lines(&mut skip))
        }
        b'<' => Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: "it starts with '<': HTML or XML, not JSON".to_owned(),
        }),
        b'"' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9' => Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: format!("it holds {}, not trace objects", kind_word(first)),
        }),
        _ => Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: "it is neither JSON Lines nor a JSON array".to_owned(),
        }),
    }
}
