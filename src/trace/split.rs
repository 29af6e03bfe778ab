//! Splitting one file's text into records: the elements of a JSON array, or JSON Lines (lines
//! that are not objects are skipped with their line number).

use super::load::{LoadError, MAX_SKIPPED_KEPT, Skipped};
use super::raw::{JsonKind, Raw, kind_of, offset_in};
use super::store::RecordRef;

/// Where one record's text lies and which line it starts on: the store's record, its input and
/// output filled in when it is parsed (one vector from the split to the store).
pub(super) type RecordSpan = RecordRef;

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

/// Text from which JSON Lines are split by two threads, each taking one half.
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_SPLIT: usize = 64 << 20;

/// JSON Lines: a span for each line that holds an object, and `(line, reason)` for each other
/// non-empty line. A large text is split in two halves at a line end, side by side.
fn jsonl(text: &str, base: usize, file: u16) -> (Vec<RecordSpan>, Vec<(u32, String)>) {
    #[cfg(not(target_arch = "wasm32"))]
    if text.len() >= PARALLEL_SPLIT
        && let Some(cut) = memchr::memchr(b'\n', &text.as_bytes()[text.len() / 2..])
    {
        let cut = text.len() / 2 + cut + 1;
        let ((mut out, mut skips, newlines), (more, more_skips, _)) = std::thread::scope(|s| {
            let second = s.spawn(|| jsonl_part(text, cut..text.len(), base, file));
            let first = jsonl_part(text, 0..cut, base, file);
            // a half never lost: if its thread stopped, this one splits it
            let second = second
                .join()
                .unwrap_or_else(|_| jsonl_part(text, cut..text.len(), base, file));
            (first, second)
        });
        // the second half's lines are counted from its own start
        let shift = |line: u32| line.saturating_add(newlines);
        out.reserve_exact(more.len());
        out.extend(more.into_iter().map(|mut r| {
            r.line = shift(r.line);
            r
        }));
        skips.extend(more_skips.into_iter().map(|(l, why)| (shift(l), why)));
        return (out, skips);
    }
    let (out, skips, _) = jsonl_part(text, 0..text.len(), base, file);
    (out, skips)
}

/// [`jsonl`] over `text[range]` (which starts a line), lines numbered from its start; also
/// says how many line ends it holds.
fn jsonl_part(
    text: &str,
    range: std::ops::Range<usize>,
    base: usize,
    file: u16,
) -> (Vec<RecordSpan>, Vec<(u32, String)>, u32) {
    let part = text.get(range.clone()).unwrap_or("");
    let mut out = Vec::with_capacity(part.len() / 1024);
    let mut skips = Vec::new();
    let mut line = 0u32;
    // the memchr crate's SIMD search: three times `str::split`'s speed on a gigabyte
    let ends = memchr::memchr_iter(b'\n', part.as_bytes()).chain(std::iter::once(part.len()));
    let mut from = 0;
    for end in ends {
        let l = part.get(from..end).unwrap_or("");
        from = end + 1;
        line += 1;
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('{') {
            out.push(RecordSpan::new(
                (base + offset_in(text, t)) as u64,
                u32::try_from(t.len()).unwrap_or(u32::MAX),
                line,
                file,
            ));
        } else {
            let w = match serde_json::from_str::<&serde_json::value::RawValue>(t) {
                Ok(_) => kind_word(t.as_bytes()[0]),
                Err(_) => "not JSON",
            };
            skips.push((line, format!("{w}, not a JSON object")));
        }
    }
    (out, skips, line.saturating_sub(1))
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
    let span = |s: &str, line: u32| {
        RecordSpan::new(
            (base + offset_in(text, s)) as u64,
            u32::try_from(s.len()).unwrap_or(u32::MAX),
            line,
            file,
        )
    };
    // JSON Lines: one record a line; lines that are not objects are skipped with their line
    let lines = |skip: &mut dyn FnMut(u32, String)| {
        let (out, skips) = jsonl(text, base, file);
        for (line, reason) in skips {
            skip(line, reason);
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Lines numbered the same whether the text is split by one thread or two (a large text is
    /// cut in half at a line end; the second half counts from its own start).
    #[test]
    fn line_numbers_survive_the_split_in_halves() {
        let record = format!("{{\"id\":1,\"text\":\"{}\"}}", "w".repeat(1000));
        let mut text = String::new();
        let mut lines = 0u32;
        let mut bad = Vec::new();
        while text.len() < (66 << 20) {
            lines += 1;
            if lines.is_multiple_of(20_000) {
                text.push_str("not json\n");
                bad.push(lines);
            } else if lines.is_multiple_of(30_001) {
                text.push('\n'); // an empty line: skipped silently
            } else {
                text.push_str(&record);
                text.push('\n');
            }
        }
        let (spans, skips) = jsonl(&text, 10, 3);
        assert_eq!(skips.iter().map(|(l, _)| *l).collect::<Vec<_>>(), bad);
        assert!(
            bad.iter().any(|&l| l as usize * 1000 > text.len() / 2),
            "a bad line in the second half"
        );
        // every span is its own line's record, at its own line
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|p| p + 1))
            .collect();
        for s in spans.iter().step_by(997).chain(spans.last()) {
            let start = starts[s.line as usize - 1];
            assert_eq!(s.record().start as usize, start + 10);
            assert_eq!(s.file, 3);
            assert_eq!(&text[start..start + s.record().len as usize], record);
        }
        let empty = (1..=lines)
            .filter(|l| l.is_multiple_of(30_001) && !l.is_multiple_of(20_000))
            .count();
        assert_eq!(spans.len() + bad.len() + empty, lines as usize);
    }
}
