//! Typed column builders for the loader: each parser thread fills compact per-column buffers
//! (no allocation per cell), widening the type on conflict (bool, int → float, anything → text),
//! and turns them into polars series; chunks are unified to one type per column at the end.

use std::borrow::Cow;

use polars::prelude::*;
use polars_arrow::array::{Utf8ViewArray, View};
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
        let valid: Vec<bool> = valid.iter().collect();
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
        let bytes = s.as_bytes();
        let view = match self.base.view(s) {
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
        };
        self.views.push(view);
        self.valid.push(true);
    }

    fn finish(self, name: PlSmallStr) -> Series {
        let len = self.views.len();
        let mut buffers: Vec<Buffer<u8>> = self.base.slices().to_vec();
        buffers.extend(self.own.into_iter().map(Buffer::from));
        let validity: Option<Bitmap> = self.valid.into();
        match Utf8ViewArray::try_new(
            ArrowDataType::Utf8View,
            self.views.into(),
            buffers.into(),
            validity,
        ) {
            Ok(arr) => StringChunked::with_chunk(name, arr).into_series(),
            // views are made from `str`s in their buffers, so this is not reached; a column of
            // nulls keeps the frame's shape should it ever be
            Err(_) => Series::full_null(name, len, &DataType::String),
        }
    }
}

#[derive(Default)]
enum Data {
    #[default]
    Null,
    Bool(Vec<Option<bool>>),
    Int(Nullable<i64>),
    Float(Nullable<f64>),
    Text(Texts),
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
            Data::Text { .. } => Kind::Text,
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
                    t @ Data::Text(_) => {
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
        match (&mut self.data, cell) {
            (Data::Bool(v), Cell::Bool(b)) => v.push(Some(b)),
            (Data::Int(v), Cell::Int(i)) => v.push(Some(i)),
            (Data::Float(v), Cell::Int(i)) => v.push(Some(i as f64)),
            (Data::Float(v), Cell::Float(f, _)) => v.push(Some(f)),
            (Data::Text(b), cell) => match cell {
                Cell::Text(t) => b.push(&t),
                Cell::Bool(v) => b.push(if v { "true" } else { "false" }),
                Cell::Int(i) => b.push(&i.to_string()),
                Cell::Float(_, raw) => b.push(raw),
                Cell::Null => b.push(""),
            },
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
