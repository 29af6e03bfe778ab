//! The dump's text, held once and shared: the store reads records out of it as `str`, and the
//! metadata columns' strings point into it (polars string views) instead of being copied.
//!
//! A gigabyte dump has about a hundred bytes a record of metadata text longer than a view's 12
//! inline bytes (timestamps, rationales, nested objects as JSON). Copied, that is a tenth of the
//! file again at the peak of the load; pointed to, it is nothing.

use std::sync::Arc;

use polars_arrow::array::View;
use polars_arrow::buffer::Buffer;

/// A view's offset is 32 bits: the text is cut into slices that start every 2 GiB and run up to
/// 4 GiB, so that any string shorter than 2 GiB lies whole in the slice its start falls in.
const SLICE_STEP: usize = 1 << 31;

/// Text made from a `String` (so valid UTF-8), shared with polars' string columns, plus text
/// appended after the load (a transcript's conversation), which no column points into.
#[derive(Clone, Default)]
pub struct SharedText {
    /// Valid UTF-8: only ever made from a `String`, and never written to afterwards.
    bytes: Buffer<u8>,
    /// Text added after `bytes`; offsets past `bytes` point here.
    extra: String,
}

impl From<String> for SharedText {
    fn from(text: String) -> SharedText {
        SharedText {
            bytes: Buffer::from(text.into_bytes()),
            extra: String::new(),
        }
    }
}

impl std::fmt::Debug for SharedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SharedText({} + {} bytes)",
            self.bytes.len(),
            self.extra.len()
        )
    }
}

impl SharedText {
    /// The text read at load (without what was appended after it).
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        // SAFETY: `bytes` is only made from a `String`'s bytes (`From<String>`), is never
        // mutated (no `&mut` to it is ever handed out, and a polars `Buffer` is immutable through
        // shared references), and is never sliced: it is the whole string, so it is valid UTF-8
        // and starts and ends on character boundaries. Validating it again would read the whole
        // dump once more on every access.
        unsafe { std::str::from_utf8_unchecked(&self.bytes) }
    }

    /// Bytes held: the loaded text and what was appended.
    pub fn len(&self) -> usize {
        self.bytes.len() + self.extra.len()
    }

    /// Whether no text is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text in `range` of the whole (loaded, then appended); `None` when out of bounds, not on
    /// character boundaries, or across the seam between the two.
    pub fn get(&self, range: std::ops::Range<usize>) -> Option<&str> {
        let main = self.bytes.len();
        if range.end <= main {
            self.as_str().get(range)
        } else if range.start >= main {
            self.extra.get(range.start - main..range.end - main)
        } else {
            None
        }
    }

    /// The loaded text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The loaded text, to read, and the appended text, to append to; offsets into the latter
    /// start at the former's length.
    pub fn parts_mut(&mut self) -> (&str, &mut String) {
        // the same SAFETY as `as_str`: the two fields are borrowed apart
        let main = {
            let bytes: &Buffer<u8> = &self.bytes;
            #[allow(unsafe_code)]
            // SAFETY: see `as_str`.
            unsafe {
                std::str::from_utf8_unchecked(bytes)
            }
        };
        (main, &mut self.extra)
    }

    /// The loaded text as a `String`, without a copy when nothing else shares it.
    pub fn into_string(self) -> String {
        let bytes = self.bytes.make_mut();
        // made from a `String` and never changed: this cannot fail, but costs a check
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }

    /// Where string views into the loaded text point: its slices, for a column's buffers.
    pub fn base(&self) -> ViewBase {
        let len = self.bytes.len();
        let slices: Vec<Buffer<u8>> = (0..len.div_ceil(SLICE_STEP))
            .map(|k| {
                let start = k * SLICE_STEP;
                let n = (len - start).min(u32::MAX as usize);
                self.bytes.clone().sliced(start, n)
            })
            .collect();
        ViewBase {
            start: self.bytes.as_ptr() as usize,
            len,
            slices: slices.into(),
        }
    }
}

/// The loaded text's slices as a string column's first buffers (cheap to clone: shared).
#[derive(Clone, Default)]
pub struct ViewBase {
    /// The text's address (only compared with other addresses, never dereferenced).
    start: usize,
    len: usize,
    slices: Arc<[Buffer<u8>]>,
}

impl ViewBase {
    /// The buffers a column's views may point into (each column adds its own after them).
    pub fn slices(&self) -> &[Buffer<u8>] {
        &self.slices
    }

    /// A view of `s` pointing into the text, when `s` lies in it (and is longer than a view's
    /// inline bytes); `None` otherwise (the caller copies it).
    pub fn view(&self, s: &str) -> Option<View> {
        let at = (s.as_ptr() as usize).checked_sub(self.start)?;
        if s.len() <= View::MAX_INLINE_SIZE as usize || at + s.len() > self.len {
            return None;
        }
        let k = at / SLICE_STEP;
        let offset = at - k * SLICE_STEP;
        let slice = self.slices.get(k)?;
        if offset + s.len() > slice.len() {
            return None;
        }
        Some(View::new_from_bytes(
            s.as_bytes(),
            k as u32,
            u32::try_from(offset).ok()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_point_into_the_text_and_read_back() {
        let text = SharedText::from("{\"a\":\"a string longer than twelve\"}".to_owned());
        let base = text.base();
        let s = &text.as_str()[6..34];
        let v = base.view(s).expect("inside the text");
        assert_eq!(v.length as usize, s.len());
        let arr = polars_arrow::array::Utf8ViewArray::try_new(
            polars_arrow::datatypes::ArrowDataType::Utf8View,
            vec![v].into(),
            base.slices().to_vec().into(),
            None,
        )
        .expect("valid views");
        assert_eq!(arr.value(0), s);
        // short strings are inline, strings elsewhere are not the text's
        assert!(base.view(&text.as_str()[1..4]).is_none());
        assert!(
            base.view("a string longer than twelve, elsewhere")
                .is_none()
        );
    }

    #[test]
    fn appended_text_is_read_past_the_loaded_text() {
        let mut text = SharedText::from("abc".to_owned());
        let (main, extra) = text.parts_mut();
        assert_eq!(main, "abc");
        extra.push_str("[x]");
        assert_eq!(text.get(3..6), Some("[x]"));
        assert_eq!(text.get(0..3), Some("abc"));
        assert_eq!(text.get(2..4), None, "across the seam");
        assert_eq!(text.len(), 6);
        assert_eq!(text.into_string(), "abc");
    }

    #[test]
    fn a_text_shared_with_a_column_is_copied_out_whole() {
        let text = SharedText::from("0123456789abcdefghij".to_owned());
        let kept = text.base();
        assert_eq!(text.into_string(), "0123456789abcdefghij");
        drop(kept);
    }
}
