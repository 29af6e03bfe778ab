//! The readable text of a raw JSON field, for search: its string values (not its keys),
//! unescaped (`caf\u00e9` is `café`, `said \"hi\"` is `said "hi"`, `\n` a newline), one per line.
//! A single pass over the bytes that allocates nothing but the output, so that search can decode
//! every candidate row within its budget. For a conversation it also finds where the last
//! assistant turn starts, so that "output" means what the detail shows as output.

/// Appends the decoded string values of `raw` to `out`, each followed by a newline. Returns the
/// offset in `out` where the last message whose `role` is an assistant's starts (the object
/// holding that `role` key), if any. Text that is not JSON is appended as it is.
pub fn decoded_strings(raw: &str, out: &mut String) -> Option<usize> {
    let bytes = raw.as_bytes();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[' | b'"')) {
        out.push_str(raw);
        out.push('\n');
        return None;
    }
    // per open container: is it an object, where its text starts in `out`
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut expect_key = false;
    let mut role_key = false;
    let mut last_assistant = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                stack.push((true, out.len()));
                expect_key = true;
            }
            b'[' => {
                stack.push((false, out.len()));
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last().is_some_and(|(obj, _)| *obj),
            b':' => expect_key = false,
            b'"' => {
                let start = out.len();
                i = unescape(bytes, i + 1, out);
                if expect_key {
                    role_key = &out[start..] == "role";
                    out.truncate(start);
                } else {
                    if role_key
                        && crate::trace::content::is_assistant(&out[start..])
                        && let Some(&(_, at)) = stack.last()
                    {
                        last_assistant = Some(at);
                    }
                    role_key = false;
                    out.push('\n');
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    last_assistant
}

/// Unescapes the JSON string whose body starts at `i` into `out`; returns the index after its
/// closing quote (or the end of the text, for a string cut short).
fn unescape(bytes: &[u8], mut i: usize, out: &mut String) -> usize {
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) else {
            pending.extend_from_slice(&bytes[i.min(bytes.len())..]);
            flush(&mut pending, out);
            return bytes.len();
        };
        pending.extend_from_slice(&bytes[i..i + k]);
        i += k;
        if bytes[i] == b'"' {
            flush(&mut pending, out);
            return i + 1;
        }
        // an escape
        let Some(&e) = bytes.get(i + 1) else {
            flush(&mut pending, out);
            return bytes.len();
        };
        i += 2;
        let c = match e {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'u' => {
                let (c, next) = unicode_escape(bytes, i);
                i = next;
                c
            }
            other => char::from(other), // \" \\ \/ and anything else as itself
        };
        let mut buf = [0u8; 4];
        pending.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// `\uXXXX` (and a following `\uXXXX` low surrogate) starting at the hex digits at `i`.
fn unicode_escape(bytes: &[u8], i: usize) -> (char, usize) {
    let hex = |at: usize| -> Option<u32> {
        let s = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let Some(hi) = hex(i) else {
        return (char::REPLACEMENT_CHARACTER, i);
    };
    if (0xD800..0xDC00).contains(&hi)
        && bytes.get(i + 4) == Some(&b'\\')
        && bytes.get(i + 5) == Some(&b'u')
        && let Some(lo) = hex(i + 6)
        && (0xDC00..0xE000).contains(&lo)
    {
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return (
            char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
            i + 10,
        );
    }
    (
        char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER),
        i + 4,
    )
}

fn flush(pending: &mut Vec<u8>, out: &mut String) {
    out.push_str(&String::from_utf8_lossy(pending));
    pending.clear();
}

/// Whether `re` (a literal's pattern, with no character JSON escapes) matches `raw` inside one
/// string value with no escape in the match: then the decoded text holds the literal too, and
/// decoding can be skipped. `false` says nothing (the caller decodes to know). Scans the
/// structure only up to the first such match.
pub fn raw_value_match(raw: &[u8], re: &regex::bytes::Regex) -> bool {
    let mut tokens = Strings::new(raw);
    let mut current: Option<StringToken> = None;
    for m in re.find_iter(raw) {
        if raw[m.start()..m.end()].contains(&b'\\') {
            continue;
        }
        // the string token that ends at or after the match's start
        while current.is_none_or(|t| t.end <= m.start()) {
            match tokens.next() {
                Some(t) => current = Some(t),
                None => return false,
            }
        }
        if let Some(t) = current
            && !t.key
            && t.start <= m.start()
            && m.end() <= t.end
        {
            return true;
        }
    }
    false
}

/// A string token's content range and whether it is an object key.
#[derive(Clone, Copy)]
struct StringToken {
    start: usize,
    end: usize,
    key: bool,
}

/// The string tokens of a JSON text, in order (keys marked), without decoding them.
struct Strings<'a> {
    raw: &'a [u8],
    at: usize,
    objects: Vec<bool>,
    expect_key: bool,
}

impl<'a> Strings<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Strings {
            raw,
            at: 0,
            objects: Vec::new(),
            expect_key: false,
        }
    }
}

impl Iterator for Strings<'_> {
    type Item = StringToken;

    fn next(&mut self) -> Option<StringToken> {
        let raw = self.raw;
        while self.at < raw.len() {
            let at = self.at;
            self.at += 1;
            match raw[at] {
                b'{' => {
                    self.objects.push(true);
                    self.expect_key = true;
                }
                b'[' => {
                    self.objects.push(false);
                    self.expect_key = false;
                }
                b'}' | b']' => {
                    self.objects.pop();
                    self.expect_key = false;
                }
                b',' => self.expect_key = self.objects.last().copied().unwrap_or(false),
                b':' => self.expect_key = false,
                b'"' => {
                    let start = at + 1;
                    let mut i = start;
                    let end = loop {
                        match memchr::memchr2(b'"', b'\\', &raw[i.min(raw.len())..]) {
                            Some(k) if raw[i + k] == b'"' => break i + k,
                            Some(k) => i += k + 2,
                            None => break raw.len(),
                        }
                    };
                    self.at = end + 1;
                    return Some(StringToken {
                        start,
                        end,
                        key: self.expect_key,
                    });
                }
                _ => {}
            }
        }
        None
    }
}

/// A necessary condition for a literal to be in the decoded text, checkable on the raw JSON:
/// its longest run of characters that every JSON writer leaves as they are (ASCII letters,
/// digits, spaces and punctuation other than `"`, `\` and `/`). `None` when it has none (an
/// all-CJK search): every row is a candidate then.
pub fn raw_piece(literal: &str) -> Option<&str> {
    literal
        .split(|c: char| !c.is_ascii() || c.is_ascii_control() || matches!(c, '"' | '\\' | '/'))
        .max_by_key(|p| p.len())
        .filter(|p| !p.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn text(raw: &str) -> String {
        let mut out = String::new();
        decoded_strings(raw, &mut out);
        out
    }

    #[test]
    fn values_unescaped_keys_left_out() {
        assert_eq!(
            text(r#"{"role": "user", "content": "caf\u00e9 said \"hi\"\nbye"}"#),
            "user\ncafé said \"hi\"\nbye\n"
        );
        assert_eq!(
            text(r#"["a\/b", 3, true, {"k": "\ud83d\ude00"}]"#),
            "a/b\n😀\n"
        );
        assert_eq!(text("plain text, not JSON"), "plain text, not JSON\n");
        assert_eq!(text(r#""a string""#), "a string\n");
    }

    #[test]
    fn finds_the_last_assistant_turn() {
        let raw = r#"[{"role":"system","content":"sys"},{"role":"assistant","content":"one"},
            {"role":"user","content":"q"},{"role":"asssistant","content":"tour today"}]"#;
        let mut out = String::new();
        let at = decoded_strings(raw, &mut out).unwrap();
        assert_eq!(&out[at..], "asssistant\ntour today\n");
        assert!(out[..at].contains("one"));
        let mut out = String::new();
        assert_eq!(
            decoded_strings(r#"[{"role":"user","content":"x"}]"#, &mut out),
            None
        );
    }

    #[test]
    fn cut_short_strings_do_not_panic() {
        for raw in [
            r#"{"a": "abc"#,
            r#"{"a": "x\"#,
            r#"["\u12"]"#,
            r#"["\ud800"]"#,
        ] {
            let _ = text(raw);
        }
    }

    #[test]
    fn a_raw_match_counts_only_inside_a_value() {
        let re = |t: &str| {
            regex::bytes::RegexBuilder::new(&regex::escape(t))
                .case_insensitive(true)
                .build()
                .unwrap()
        };
        let raw = br#"{"role": "user", "content": "the tour is at 5", "tour": 3}"#;
        assert!(raw_value_match(raw, &re("TOUR is")));
        assert!(!raw_value_match(raw, &re("content")), "a key");
        assert!(
            !raw_value_match(raw, &re("user\", \"content")),
            "across strings"
        );
        let escaped = br#"["a \"quoted\" tour"]"#;
        assert!(raw_value_match(escaped, &re("tour")));
        assert!(
            !raw_value_match(escaped, &re("\\\"quoted")),
            "an escape: decode instead"
        );
    }

    #[test]
    fn raw_pieces() {
        assert_eq!(raw_piece("café"), Some("caf"));
        assert_eq!(raw_piece("said \"hi\" there"), Some(" there"));
        assert_eq!(raw_piece("東京"), None);
        assert_eq!(raw_piece("a/b/long"), Some("long"));
    }
}
