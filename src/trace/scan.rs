//! The loader's JSON scanner: splits a record into its top-level fields and finds where each
//! value ends, validating the JSON as it goes but decoding nothing.
//!
//! A record is mostly its input and output: long strings a viewer keeps as ranges. The scanner
//! crosses a string 32 bytes at a time, looking for the three bytes that can end or interrupt
//! it (`"`, `\` and control characters), in a loop the compiler turns into SIMD compares. It
//! accepts only valid JSON (RFC 8259: strings, escapes, numbers, literals, nesting); anything it
//! does not accept, including nesting deeper than [`MAX_DEPTH`], goes to serde_json, which either
//! reads it or says what is wrong and where ([`super::raw::RawObject::parse`]).

use std::borrow::Cow;

use super::raw::Raw;

/// Deepest nesting the scanner follows inside a field (at most 128, the bits of its stack;
/// serde_json's own limit is 128; deeper records go to it).
pub const MAX_DEPTH: usize = 100;

/// Bytes looked at together when crossing a string.
const LANES: usize = 32;

/// The top-level fields of `text`, one JSON object (whitespace around it allowed), as
/// `(key, raw value)` pairs in document order; `None` when the scanner does not accept it.
pub fn object_fields(text: &str) -> Option<Vec<(Cow<'_, str>, Raw<'_>)>> {
    object_fields_into(text, Vec::with_capacity(12))
}

/// [`object_fields`] into `fields` (cleared first), so that a caller reading many records
/// allocates once.
pub fn object_fields_into<'a>(
    text: &'a str,
    mut fields: Vec<(Cow<'a, str>, Raw<'a>)>,
) -> Option<Vec<(Cow<'a, str>, Raw<'a>)>> {
    fields.clear();
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            let key = s.key(text)?;
            s.ws();
            s.eat(b':')?;
            s.ws();
            let start = s.i;
            s.value()?;
            fields.push((key, Raw(text.get(start..s.i)?)));
            s.ws();
            match s.next()? {
                b',' => s.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.ws();
    (s.i == s.b.len()).then_some(fields)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// An object key: borrowed when it has no escape, decoded by serde_json when it has.
    fn key<'t>(&mut self, text: &'t str) -> Option<Cow<'t, str>> {
        let start = self.i;
        let escaped = self.string()?;
        let quoted = text.get(start..self.i)?;
        if escaped {
            serde_json::from_str::<String>(quoted).ok().map(Cow::Owned)
        } else {
            quoted.get(1..quoted.len() - 1).map(Cow::Borrowed)
        }
    }

    /// Crosses one string (at its opening quote); says whether it had an escape.
    fn string(&mut self) -> Option<bool> {
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            self.i = special_from(self.b, self.i)?;
            match self.next()? {
                b'"' => return Some(escaped),
                b'\\' => {
                    escaped = true;
                    match self.next()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 4;
                        }
                        _ => return None,
                    }
                }
                // a control character, which JSON strings must escape
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Crosses one value of any kind, nested ones included (no recursion and no allocation:
    /// the open containers are bits of one integer, 1 for an object).
    fn value(&mut self) -> Option<()> {
        let mut open: u128 = 0;
        let mut depth = 0usize;
        loop {
            // a value
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    let object = self.next()? == b'{';
                    self.ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                    } else {
                        if depth >= MAX_DEPTH {
                            return None;
                        }
                        open = (open << 1) | u128::from(object);
                        depth += 1;
                        if object {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // what follows it: a comma and the next value, or the end of containers
            loop {
                if depth == 0 {
                    return Some(());
                }
                let object = open & 1 == 1;
                self.ws();
                match self.next()? {
                    b',' => {
                        self.ws();
                        if object {
                            self.member_key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                open >>= 1;
                depth -= 1;
            }
        }
    }

    /// An object member's key and colon, leaving the scanner at its value.
    fn member_key(&mut self) -> Option<()> {
        self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }
}

/// The position of the first `"`, `\` or control character at or after `from`.
///
/// Most strings are short (keys, roles, ids): their end is found eight bytes at a time in a
/// machine word. A long one's first quote or backslash is found by memchr's SIMD search, and
/// the bytes before it are checked for control characters [`LANES`] at a time.
fn special_from(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    for _ in 0..2 {
        let Some(word) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) else {
            break;
        };
        let hits = special_bytes(u64::from_le_bytes(*word));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    // a long one: its first quote or backslash by the memchr crate's SIMD search (which picks
    // the widest vectors this CPU has), then the bytes before it checked for control characters
    let rest = b.get(i..)?;
    let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
    match first_control(&rest[..end]) {
        Some(p) => Some(i + p),
        None => (end < rest.len()).then_some(i + end),
    }
}

/// The position of the first byte below 0x20, [`LANES`] bytes at a time (vector compares).
fn first_control(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    for chunk in s.chunks_exact(LANES) {
        if chunk.iter().fold(false, |any, &c| any | (c < 0x20)) {
            break;
        }
        i += LANES;
    }
    s[i..].iter().position(|&c| c < 0x20).map(|p| i + p)
}

/// The high bit of each byte of `w` set where the byte is `"`, `\` or below 0x20; the lowest
/// set bit is exact (bits above it may be false alarms, from borrows, and are never used).
fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let zero_in = |v: u64| v.wrapping_sub(ONES) & !v;
    (zero_in(quote) | zero_in(backslash) | (w.wrapping_sub(ONES * 0x20) & !w)) & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// What serde_json makes of `text`: its top-level fields, or `None` when it refuses.
    fn serde_fields(text: &str) -> Option<Vec<(String, String)>> {
        super::super::raw::RawObject::parse_serde(text)
            .ok()
            .map(|o| {
                o.fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.get().to_owned()))
                    .collect()
            })
    }

    fn fields(text: &str) -> Option<Vec<(String, String)>> {
        object_fields(text).map(|f| {
            f.iter()
                .map(|(k, v)| (k.to_string(), v.get().to_owned()))
                .collect()
        })
    }

    #[test]
    fn splits_fields_in_order() {
        let text = " {\"a\\\"b\": 1, \"c\" : {\"d\": [1, 2.5e-3, \"x\\u00e9\"]}, \"e\":\"x\", \"n\":null}\r\n";
        let got = fields(text).unwrap();
        assert_eq!(
            got,
            [
                ("a\"b".to_owned(), "1".to_owned()),
                (
                    "c".to_owned(),
                    "{\"d\": [1, 2.5e-3, \"x\\u00e9\"]}".to_owned()
                ),
                ("e".to_owned(), "\"x\"".to_owned()),
                ("n".to_owned(), "null".to_owned()),
            ]
        );
        assert_eq!(fields("{}").unwrap(), []);
    }

    #[test]
    fn refuses_what_json_refuses() {
        for bad in [
            "",
            "[1]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":tru}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
            "{\"a\":{\"b\"}}",
            "{\"a\":{\"b\":1]}",
            "{\"a\":1} x",
            "{\"a\":\"unterminated",
            "{\"a\":1}{\"b\":2}",
        ] {
            assert_eq!(fields(bad), None, "{bad}");
            assert_eq!(serde_fields(bad), None, "serde_json agrees on {bad}");
        }
    }

    #[test]
    fn long_strings_cross_chunk_boundaries() {
        for n in 0..100 {
            let body = "y".repeat(n);
            let text = format!("{{\"k\":\"{body}\\n{body}\",\"z\":\"{body}\"}}");
            assert_eq!(fields(&text), serde_fields(&text), "{n}");
            let broken = format!("{{\"k\":\"{body}\u{1}{body}\"}}");
            assert_eq!(fields(&broken), None, "{n}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_serde() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(150), "]".repeat(150));
        assert_eq!(fields(&deep), None);
        let ok = format!("{{\"a\":{}1{}}}", "[".repeat(50), "]".repeat(50));
        assert_eq!(fields(&ok), serde_fields(&ok));
    }

    /// Every way of cutting or corrupting valid records: whatever the scanner accepts, serde_json
    /// accepts with the same fields.
    #[test]
    fn never_accepts_what_serde_refuses() {
        let records = [
            r#"{"id":"t-1","input":[{"role":"user","content":"Hi \"there\"\n"}],"n":-12.5E+3,"ok":true,"m":{"x":[[],{}],"y":null}}"#,
            r#"{"a":"\u00e9\ud83d\ude00","b":[0,1e5,-0.0,false],"c":{}}"#,
        ];
        let mut tried = 0;
        for r in records {
            assert_eq!(fields(r), serde_fields(r));
            for cut in 0..r.len() {
                let mut variants = vec![
                    r[..cut].to_owned(),
                    format!("{}{}", &r[..cut], &r[cut + 1..]),
                ];
                for c in [",", "]", "}", "\"", "\\", " ", "1", ":", "\u{7}", "e", "-"] {
                    variants.push(format!("{}{c}{}", &r[..cut], &r[cut..]));
                }
                for v in &variants {
                    tried += 1;
                    if let Some(got) = fields(v) {
                        assert_eq!(Some(got), serde_fields(v), "{v}");
                    }
                }
            }
        }
        assert!(tried > 1000);
    }
}
