//! Typed column builders for the loader: each parser thread fills compact per-column buffers
//! (no allocation per cell), widening the type on conflict (bool, int → float, anything → text),
//! and turns them into polars series; chunks are unified to one type per column at the end.

use std::borrow::Cow;

use polars::prelude::*;
use polars_arrow::array::{MutableBinaryViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::buffer::Buffer;

use super::raw::{JsonKind, Raw, kind_of};
use super::shared::ViewBase;

/// One decoded cell, borrowing from the record text where it can.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// null / missing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (with its original text, for rendering as text).
    Float(f64, &'a str),
    /// Text (unescaped), or a nested value's JSON text.
    Text(Cow<'a, str>),
}

impl<'a> Cell<'a> {
    /// Decodes a raw JSON value.
    pub fn from_raw(raw: Raw<'a>) -> Cell<'a> {
        let text = raw.get();
        match kind_of(raw) {
            JsonKind::Null => Cell::Null,
            JsonKind::Bool => Cell::Bool(text.starts_with('t')),
            // a valid JSON string without a backslash is its text between the quotes
            JsonKind::String
                if text.len() >= 2 && text.ends_with('"') && !text.as_bytes().contains(&b'\\') =>
            {
                Cell::Text(Cow::Borrowed(&text[1..text.len() - 1]))
            }
            JsonKind::String => match serde_json::from_str::<&str>(text) {
                Ok(s) => Cell::Text(Cow::Borrowed(s)),
                Err(_) => match serde_json::from_str::<String>(text) {
                    Ok(s) => Cell::Text(Cow::Owned(s)),
                    Err(_) => Cell::Text(Cow::Borrowed(text)),
                },
            },
            JsonKind::Number => {
                if let Ok(i) = text.parse::<i64>() {
                    Cell::Int(i)
                } else if let Ok(f) = text.parse::<f64>() {
                    Cell::Float(f, text)
                } else {
                    Cell::Text(Cow::Borrowed(text))
                }
            }
            JsonKind::Array | JsonKind::Object => Cell::Text(Cow::Borrowed(text)),
        }
    }

    /// The cell as text, in a text column (a number keeps its original digits).
    fn as_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(t) => Cow::Borrowed(t.as_ref()),
            Cell::Bool(v) => Cow::Borrowed(if *v { "true" } else { "false" }),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Float(_, raw) => Cow::Borrowed(*raw),
            Cell::Null => Cow::Borrowed(""),
        }
    }
}

/// The kind a column has reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Only nulls so far.
    Null,
    /// Booleans.
    Bool,
    /// Integers.
    Int,
    /// Numbers with a fraction.
    Float,
    /// Text.
    Text,
}

/// Unifies two kinds: ints and floats → float; anything else mixed → text.
pub fn unify(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Null, k) | (k, Kind::Null) => k,
        (x, y) if x == y => x,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        _ => Kind::Text,
    }
}

/// Values with a validity bit each (a null's value is a default).
struct Nullable<T> {
    values: Vec<T>,
    valid: MutableBitmap,
}

impl<T: Default> Nullable<T> {
    fn with_capacity(n: usize) -> Nullable<T> {
        Nullable {
            values: Vec::with_capacity(n),
            valid: MutableBitmap::with_capacity(n),
        }
    }

    fn nulls(len: usize, room: usize) -> Nullable<T> {
        let mut v = Nullable::with_capacity(room);
        for _ in 0..len {
            v.push(None);
        }
        v
    }

    fn push(&mut self, v: Option<T>) {
        self.valid.push(v.is_some());
        self.values.push(v.unwrap_or_default());
    }

    fn iter(self) -> impl Iterator<Item = Option<T>> {
        let valid: Bitmap = self.valid.into();
        self.values
            .into_iter()
            .zip(valid)
            .map(|(v, ok)| ok.then_some(v))
    }
}

/// Text as polars string views: a string that lies in the loaded text points into it (no copy);
/// any other (unescaped, made from a number, a file name) is copied into the column's own buffer.
struct Texts {
    base: ViewBase,
    views: Vec<View>,
    valid: MutableBitmap,
    /// Copied strings; the last one is filled, the others are full (offsets are 32 bits).
    own: Vec<Vec<u8>>,
}

impl Texts {
    fn new(base: ViewBase, room: usize) -> Texts {
        Texts {
            base,
            views: Vec::with_capacity(room),
            valid: MutableBitmap::with_capacity(room),
            own: Vec::new(),
        }
    }

    fn push_null(&mut self) {
        self.views.push(View::default());
        self.valid.push(false);
    }

    fn push(&mut self, s: &str) {
        let view = self.view_of(s);
        self.push_view(view);
    }

    fn push_view(&mut self, view: View) {
        self.views.push(view);
        self.valid.push(true);
    }

    /// The view of `s`: into the loaded text, inline, or of a copy in the column's own buffer.
    fn view_of(&mut self, s: &str) -> View {
        let bytes = s.as_bytes();
        match self.base.view(s) {
            Some(v) => v,
            None if bytes.len() <= View::MAX_INLINE_SIZE as usize => View::new_inline(bytes),
            None => {
                let full = self
                    .own
                    .last()
                    .is_none_or(|b| b.len() + bytes.len() > u32::MAX as usize);
                if full {
                    self.own.push(Vec::with_capacity(bytes.len().max(8 << 10)));
                }
                let idx = self.base.slices().len() + self.own.len() - 1;
                let buf = self.own.last_mut().expect("pushed above");
                let offset = buf.len() as u32;
                buf.extend_from_slice(bytes);
                View::new_from_bytes(bytes, idx as u32, offset)
            }
        }
    }

    fn finish(self, name: PlSmallStr) -> Series {
        let mut buffers: Vec<Buffer<u8>> = self.base.slices().to_vec();
        buffers.extend(self.own.into_iter().map(Buffer::from));
        let valid: Bitmap = self.valid.into();
        // pushed as views, not checked again: each was made from a `str` lying in its buffer
        // (polars' `try_new` would read every string once more)
        let mut arr = MutableBinaryViewArray::<str>::with_capacity(self.views.len());
        for (view, ok) in self.views.into_iter().zip(valid.iter()) {
            if ok {
                arr.push_view(view, &buffers);
            } else {
                arr.push_null();
            }
        }
        StringChunked::with_chunk(name, arr.freeze()).into_series()
    }
}

/// Text as a dictionary, while a large chunk's column has few distinct values (see
/// [`super::cats`]); a value one too many turns it into [`Texts`].
struct Cats {
    values: Vec<String>,
    /// Each value's length and first eight bytes, compared before its text in a scan.
    keys: Vec<(usize, u64)>,
    /// Value → code, once there are more values than a scan is quick for.
    index: std::collections::HashMap<String, u32>,
    codes: Vec<u32>,
    valid: MutableBitmap,
}

/// Up to this many values are found by a scan, not a hash.
const SCANNED: usize = 8;

/// A string's length and first eight bytes (zero-padded).
fn key_of(s: &str) -> (usize, u64) {
    let mut head = [0u8; 8];
    let n = s.len().min(8);
    head[..n].copy_from_slice(&s.as_bytes()[..n]);
    (s.len(), u64::from_le_bytes(head))
}

impl Cats {
    fn new(room: usize) -> Cats {
        Cats {
            values: Vec::new(),
            keys: Vec::new(),
            index: std::collections::HashMap::new(),
            codes: Vec::with_capacity(room),
            valid: MutableBitmap::with_capacity(room),
        }
    }

    fn push_null(&mut self) {
        self.codes.push(0);
        self.valid.push(false);
    }

    /// Appends `s`; `false` (and nothing appended) when it would be a value too many, or one too
    /// long.
    fn push(&mut self, s: &str) -> bool {
        if s.len() > super::cats::MAX_LEN {
            return false;
        }
        let found = if self.values.len() <= SCANNED {
            let key = key_of(s);
            self.keys
                .iter()
                .zip(&self.values)
                .position(|(k, v)| *k == key && (key.0 <= 8 || v == s))
                .map(|c| c as u32)
        } else {
            self.index.get(s).copied()
        };
        let code = match found {
            Some(c) => c,
            None if self.values.len() >= super::cats::MAX_VALUES => return false,
            None => {
                let c = self.values.len() as u32;
                self.values.push(s.to_owned());
                self.keys.push(key_of(s));
                if self.values.len() > SCANNED {
                    if self.index.is_empty() {
                        self.index = (0u32..)
                            .zip(&self.values)
                            .map(|(c, v)| (v.clone(), c))
                            .collect();
                    } else {
                        self.index.insert(s.to_owned(), c);
                    }
                }
                c
            }
        };
        self.codes.push(code);
        self.valid.push(true);
        true
    }

    /// The same rows as views, each distinct value copied once.
    fn into_texts(self, base: ViewBase, room: usize) -> Texts {
        texts_of(&self.values, self.codes, &self.valid.into(), base, room)
    }

    fn finish(self, name: PlSmallStr, base: ViewBase) -> Series {
        let valid: Bitmap = self.valid.into();
        let nulls = (valid.unset_bits() > 0).then(|| valid.clone());
        match super::cats::series(name.clone(), &self.values, self.codes, nulls) {
            Ok(s) => s,
            // no categories here: text, as when a value is one too many
            Err(codes) => texts_of(&self.values, codes, &valid, base, 0).finish(name),
        }
    }
}

/// Rows of `codes` into `values` (`valid` marks nulls) as views, each distinct value copied once.
fn texts_of(
    values: &[String],
    codes: Vec<u32>,
    valid: &Bitmap,
    base: ViewBase,
    room: usize,
) -> Texts {
    let mut t = Texts::new(base, room.max(codes.len()));
    let views: Vec<View> = values.iter().map(|v| t.view_of(v)).collect();
    for (code, ok) in codes.into_iter().zip(valid.iter()) {
        match views.get(code as usize) {
            Some(&v) if ok => t.push_view(v),
            _ => t.push_null(),
        }
    }
    t
}

#[derive(Default)]
enum Data {
    #[default]
    Null,
    Bool(Vec<Option<bool>>),
    Int(Nullable<i64>),
    Float(Nullable<f64>),
    Text(Texts),
    Cats(Cats),
}

/// A growing column.
#[derive(Default)]
pub struct ColumnBuilder {
    data: Data,
    len: usize,
    /// Rows expected: what the column reserves when its kind is first known, so that it does
    /// not grow by doubling (and leave the smaller copies behind).
    rows: usize,
    /// The loaded text, which text cells point into where they lie in it.
    base: ViewBase,
}

impl ColumnBuilder {
    /// A builder for about `rows` rows, whose text cells point into `base` where they lie in it.
    pub fn with_rows(rows: usize, base: ViewBase) -> ColumnBuilder {
        ColumnBuilder {
            rows,
            base,
            ..Default::default()
        }
    }

    /// The kind reached.
    pub fn kind(&self) -> Kind {
        match self.data {
            Data::Null => Kind::Null,
            Data::Bool(_) => Kind::Bool,
            Data::Int(_) => Kind::Int,
            Data::Float(_) => Kind::Float,
            Data::Text(_) | Data::Cats(_) => Kind::Text,
        }
    }

    fn pad(&mut self, to: usize) {
        while self.len < to {
            self.push_null();
        }
    }

    fn push_null(&mut self) {
        match &mut self.data {
            Data::Null => {}
            Data::Bool(v) => v.push(None),
            Data::Int(v) => v.push(None),
            Data::Float(v) => v.push(None),
            Data::Text(b) => b.push_null(),
            Data::Cats(c) => c.push_null(),
        }
        self.len += 1;
    }

    fn widen(&mut self, to: Kind) {
        let len = self.len;
        let room = self.rows.max(len);
        let old = std::mem::replace(&mut self.data, Data::Null);
        self.data = match (old, to) {
            (Data::Null, Kind::Bool) => {
                let mut v = Vec::with_capacity(room);
                v.resize(len, None);
                Data::Bool(v)
            }
            (Data::Null, Kind::Int) => Data::Int(Nullable::nulls(len, room)),
            (Data::Null, Kind::Float) => Data::Float(Nullable::nulls(len, room)),
            (Data::Null, Kind::Text) if super::cats::ENABLED && room >= super::cats::MIN_ROWS => {
                let mut c = Cats::new(room);
                for _ in 0..len {
                    c.push_null();
                }
                Data::Cats(c)
            }
            (Data::Null, Kind::Text) => {
                let mut b = Texts::new(self.base.clone(), room);
                for _ in 0..len {
                    b.push_null();
                }
                Data::Text(b)
            }
            (Data::Int(v), Kind::Float) => {
                let mut f = Nullable::with_capacity(room);
                for x in v.iter() {
                    f.push(x.map(|i| i as f64));
                }
                Data::Float(f)
            }
            (old, Kind::Text) => {
                let texts: Vec<Option<String>> = match old {
                    Data::Bool(v) => v.into_iter().map(|x| x.map(|b| b.to_string())).collect(),
                    Data::Int(v) => v.iter().map(|x| x.map(|i| i.to_string())).collect(),
                    Data::Float(v) => v.iter().map(|x| x.map(|f| f.to_string())).collect(),
                    Data::Null => vec![None; len],
                    t @ (Data::Text(_) | Data::Cats(_)) => {
                        self.data = t;
                        return;
                    }
                };
                let mut b = Texts::new(self.base.clone(), room);
                for t in texts {
                    match t {
                        Some(t) => b.push(&t),
                        None => b.push_null(),
                    }
                }
                Data::Text(b)
            }
            (old, _) => old,
        };
    }

    /// Sets the cell of `row` (rows arrive in increasing order; gaps are nulls).
    pub fn set(&mut self, row: usize, cell: Cell<'_>) {
        if row < self.len {
            return; // a duplicate key in one record: the first wins
        }
        self.pad(row);
        let kind = match &cell {
            Cell::Null => {
                self.push_null();
                return;
            }
            Cell::Bool(_) => Kind::Bool,
            Cell::Int(_) => Kind::Int,
            Cell::Float(..) => Kind::Float,
            Cell::Text(_) => Kind::Text,
        };
        let target = unify(self.kind(), kind);
        if target != self.kind() {
            self.widen(target);
        }
        if let Data::Cats(c) = &mut self.data {
            if c.push(&cell.as_text()) {
                self.len += 1;
                return;
            }
            // a value too many: plain text from here on
            if let Data::Cats(c) = std::mem::take(&mut self.data) {
                self.data = Data::Text(c.into_texts(self.base.clone(), self.rows));
            }
        }
        match (&mut self.data, cell) {
            (Data::Bool(v), Cell::Bool(b)) => v.push(Some(b)),
            (Data::Int(v), Cell::Int(i)) => v.push(Some(i)),
            (Data::Float(v), Cell::Int(i)) => v.push(Some(i as f64)),
            (Data::Float(v), Cell::Float(f, _)) => v.push(Some(f)),
            (Data::Text(b), cell) => b.push(&cell.as_text()),
            _ => {
                // unreachable after widening; keep the column aligned regardless
                self.push_null();
                return;
            }
        }
        self.len += 1;
    }

    /// Finishes `len` rows into a series.
    pub fn finish(mut self, name: &str, len: usize) -> Series {
        self.pad(len);
        let name = PlSmallStr::from(name);
        match self.data {
            Data::Null => Series::full_null(name, len, &DataType::Null),
            Data::Bool(v) => Series::new(name, v),
            Data::Int(v) => {
                Int64Chunked::from_vec_validity(name, v.values, v.valid.into()).into_series()
            }
            Data::Float(v) => {
                Float64Chunked::from_vec_validity(name, v.values, v.valid.into()).into_series()
            }
            Data::Text(b) => b.finish(name),
            Data::Cats(c) => c.finish(name, self.base),
        }
    }
}

/// The polars type of a kind.
pub fn dtype_of(kind: Kind) -> DataType {
    match kind {
        Kind::Null | Kind::Text => DataType::String,
        Kind::Bool => DataType::Boolean,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
    }
}

/// The kind of a finished series.
pub fn kind_of_series(s: &Series) -> Kind {
    if super::cats::is_cat(s.dtype()) {
        return Kind::Text;
    }
    match s.dtype() {
        DataType::Null => Kind::Null,
        DataType::Boolean => Kind::Bool,
        DataType::Int64 => Kind::Int,
        DataType::Float64 => Kind::Float,
        _ => Kind::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn build(cells: Vec<Cell<'_>>) -> Series {
        let mut b = ColumnBuilder::default();
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            b.set(i, c);
        }
        b.finish("c", n + 1)
    }

    #[test]
    fn widens_on_conflict() {
        let s = build(vec![Cell::Int(1), Cell::Null, Cell::Float(2.5, "2.5")]);
        assert_eq!(s.dtype(), &DataType::Float64);
        assert_eq!(s.len(), 4);
        assert_eq!(s.null_count(), 2);
        let s = build(vec![
            Cell::Int(1),
            Cell::Text("x".into()),
            Cell::Bool(true),
            Cell::Float(1.0, "1.0"),
        ]);
        assert_eq!(s.dtype(), &DataType::String);
        let v: Vec<Option<&str>> = s.str().unwrap().iter().collect();
        assert_eq!(v, [Some("1"), Some("x"), Some("true"), Some("1.0"), None]);
        let s = build(vec![Cell::Null, Cell::Bool(false)]);
        assert_eq!(s.dtype(), &DataType::Boolean);
        let s = build(vec![]);
        assert_eq!(s.dtype(), &DataType::Null);
    }

    /// A large chunk's few-valued text is categories (natively), read back as the same text;
    /// one value too many, or too long, turns it into text, nulls and numbers kept in their rows.
    #[test]
    fn few_values_are_categories_until_one_too_many() {
        // the browser has no categories: a small column there, read back as text alike
        let rows = if super::super::cats::ENABLED {
            super::super::cats::MIN_ROWS
        } else {
            1000
        };
        let value = |i: usize| match i % 3 {
            0 => Cell::Text(format!("v{}", i % 4).into()),
            1 => Cell::Null,
            _ => Cell::Int(7),
        };
        let want = |i: usize| match i % 3 {
            0 => Some(format!("v{}", i % 4)),
            1 => None,
            _ => Some("7".to_owned()),
        };
        let long = "x".repeat(super::super::cats::MAX_LEN + 1);
        for extra in [0, super::super::cats::MAX_VALUES + 1, 1] {
            let mut b = ColumnBuilder::with_rows(rows, ViewBase::default());
            b.set(0, Cell::Text("first".into()));
            for i in 1..rows {
                b.set(i, value(i));
            }
            // a value too many, or (one extra row) a value too long
            let new_value = |k: usize| match extra {
                1 => long.clone(),
                _ => format!("new value {k}"),
            };
            for k in 0..extra {
                b.set(rows + k, Cell::Text(new_value(k).into()));
            }
            let s = b.finish("c", rows + extra);
            if cfg!(not(target_arch = "wasm32")) {
                assert_eq!(s.dtype().is_categorical(), extra == 0);
            }
            let s = s.cast(&DataType::String).unwrap();
            let got: Vec<Option<String>> = s
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect();
            assert_eq!(got[0].as_deref(), Some("first"));
            for (i, v) in got.iter().enumerate().take(rows).skip(1) {
                assert_eq!(*v, want(i), "row {i}");
            }
            for k in 0..extra {
                assert_eq!(got[rows + k], Some(new_value(k)));
            }
        }
    }

    #[test]
    fn cells_borrow_unescaped_strings() {
        let raw: &serde_json::value::RawValue = serde_json::from_str(r#""plain""#).unwrap();
        assert!(matches!(
            Cell::from_raw(raw.into()),
            Cell::Text(Cow::Borrowed("plain"))
        ));
        let raw: &serde_json::value::RawValue = serde_json::from_str(r#""a\nb""#).unwrap();
        assert_eq!(
            Cell::from_raw(raw.into()),
            Cell::Text(Cow::Owned("a\nb".into()))
        );
        assert_eq!(unify(Kind::Bool, Kind::Int), Kind::Text);
        assert_eq!(unify(Kind::Null, Kind::Int), Kind::Int);
    }
}
