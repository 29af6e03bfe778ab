//! Text columns with few distinct values (model, feature, verdict, environment, tier, version)
//! held as polars categories natively: 4 bytes a cell instead of a 16-byte string view, a tenth of
//! a large dump's memory besides its text. Users see text: the type shows as `str`, cells read as
//! their text, SQL sees strings, facets and sorts count and order the values.
//!
//! The browser build has no categories (polars' categorical kernels do not fit the web module's
//! size budget, and browser dumps are small): there a chunk never dictionary-encodes and every
//! function here sees plain text.

use polars::prelude::*;

/// A chunk dictionary-encodes a text column while it has at most this many distinct values.
pub const MAX_VALUES: usize = 256;

/// ... and no value longer than this: a long value repeated on every row (a tool schema, a
/// prompt) would be compared in full on every row; as a view into the text it costs nothing.
pub const MAX_LEN: usize = 64;

/// Only chunks of at least this many rows dictionary-encode: a small dump's columns stay text.
pub const MIN_ROWS: usize = 16 * 1024;

/// Whether this build has categories (natively; the browser's has not).
pub const ENABLED: bool = cfg!(not(target_arch = "wasm32"));

/// The series of a dictionary-encoded chunk: `codes` index `values`; `valid` marks nulls. The
/// codes come back when polars refuses the values (more categories than it can hold).
#[cfg(not(target_arch = "wasm32"))]
pub fn series(
    name: PlSmallStr,
    values: &[String],
    mut codes: Vec<u32>,
    valid: Option<polars_arrow::bitmap::Bitmap>,
) -> Result<Series, Vec<u32>> {
    let dtype = DataType::from_categories(Categories::global());
    let Ok(mapping) = dtype.cat_mapping().cloned() else {
        return Err(codes);
    };
    let Ok(ids) = values
        .iter()
        .map(|v| mapping.insert_cat(v))
        .collect::<PolarsResult<Vec<u32>>>()
    else {
        return Err(codes);
    };
    // in place: a chunk's codes are not held twice
    for c in &mut codes {
        *c = ids.get(*c as usize).copied().unwrap_or(0);
    }
    let phys = UInt32Chunked::from_vec_validity(name, codes, valid);
    Ok(Categorical32Chunked::from_cats_and_dtype(phys, dtype).into_series())
}

/// Without categories (the browser): the codes come back, and the builder makes text of them.
#[cfg(target_arch = "wasm32")]
pub fn series(
    _name: PlSmallStr,
    _values: &[String],
    codes: Vec<u32>,
    _valid: Option<polars_arrow::bitmap::Bitmap>,
) -> Result<Series, Vec<u32>> {
    Err(codes)
}

/// Every row's text of a text column, plain or categories; `None` for any other column.
pub fn texts(col: &Column) -> Option<Box<dyn Iterator<Item = Option<&str>> + '_>> {
    if let Ok(ca) = col.str() {
        return Some(Box::new(ca.iter()));
    }
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(ca) = col.cat32() {
        return Some(Box::new(ca.iter_str()));
    }
    None
}

/// Whether a column holds categories.
pub fn is_cat(dtype: &DataType) -> bool {
    dtype.is_categorical()
}

/// A categorical column's text by row, in O(1).
#[derive(Clone)]
pub struct CatText {
    #[cfg(not(target_arch = "wasm32"))]
    phys: UInt32Chunked,
    #[cfg(not(target_arch = "wasm32"))]
    mapping: Arc<CategoricalMapping>,
}

impl CatText {
    /// The column's text access, when it holds categories.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn of(col: &Column) -> Option<CatText> {
        let ca = col.cat32().ok()?;
        Some(CatText {
            phys: ca.physical().clone(),
            mapping: ca.get_mapping().clone(),
        })
    }

    /// Never, without categories.
    #[cfg(target_arch = "wasm32")]
    pub fn of(_col: &Column) -> Option<CatText> {
        None
    }

    /// The text of `row` (`None` for null or out of range).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn get(&self, row: usize) -> Option<&str> {
        self.mapping.cat_to_str(self.phys.get(row)?)
    }

    /// Never, without categories.
    #[cfg(target_arch = "wasm32")]
    pub fn get(&self, _row: usize) -> Option<&str> {
        None
    }
}

/// The frame with its categorical columns as text, lazily (a query casts only the columns it
/// reads): SQL's string functions and comparisons then work on them as on any text column.
pub fn as_text(frame: LazyFrame, schema: &DataFrame) -> LazyFrame {
    let cats: Vec<Expr> = schema
        .get_columns()
        .iter()
        .filter(|c| is_cat(c.dtype()))
        .map(|c| col(c.name().clone()).cast(DataType::String))
        .collect();
    if cats.is_empty() {
        frame
    } else {
        frame.with_columns(cats)
    }
}
