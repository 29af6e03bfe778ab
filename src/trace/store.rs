//! The loaded traces: a polars `DataFrame` of metadata plus spans into the original text,
//! with O(1) access to any cell of a visible row and the original record for copy-as-JSON.

use polars::prelude::*;

use super::schema::{FieldMapping, FieldPath};
use super::shared::SharedText;

/// Name of the identity column errata adds to the frame (not shown as metadata).
pub const ID_COLUMN: &str = "_errata_id";
/// Name of the row-number column errata adds to the frame (for SQL filters; not shown).
pub const ROW_COLUMN: &str = "_errata_row";

/// Whether a field name is one of errata's hidden columns (a field so named is renamed).
pub fn is_reserved(name: &str) -> bool {
    name == ID_COLUMN || name == ROW_COLUMN
}

/// A byte range in the store's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Byte offset.
    pub start: u64,
    /// Length in bytes.
    pub len: u32,
}

/// Where one trace's pieces lie in the text: the record, and its input and output fields.
/// Packed (48 bytes, not 72 as three `Option<Span>`s and the rest): a million are held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// Byte offsets of the record, its input and its output.
    starts: [u64; 3],
    /// Their lengths; [`ABSENT`] for an input or output the record does not have.
    lens: [u32; 3],
    /// 1-based line of the record in its file; 0 for a record that was skipped (it did not
    /// parse), until the load drops it.
    pub line: u32,
    /// Index into the store's file list.
    pub file: u16,
}

/// The length that says "no such field".
const ABSENT: u32 = u32::MAX;

impl RecordRef {
    /// The record at `start` (`len` bytes), on `line` of `file`, its input and output not found yet.
    pub fn new(start: u64, len: u32, line: u32, file: u16) -> RecordRef {
        RecordRef {
            starts: [start, 0, 0],
            lens: [len, ABSENT, ABSENT],
            line,
            file,
        }
    }

    fn get(&self, i: usize) -> Option<Span> {
        (self.lens[i] != ABSENT).then(|| Span {
            start: self.starts[i],
            len: self.lens[i],
        })
    }

    fn put(&mut self, i: usize, span: Option<Span>) {
        let span = span.unwrap_or(Span {
            start: 0,
            len: ABSENT,
        });
        self.starts[i] = span.start;
        self.lens[i] = span.len;
    }

    /// The whole original record.
    pub fn record(&self) -> Span {
        Span {
            start: self.starts[0],
            len: self.lens[0],
        }
    }

    /// The input field's raw JSON, if present.
    pub fn input(&self) -> Option<Span> {
        self.get(1)
    }

    /// The output field's raw JSON, if present.
    pub fn output(&self) -> Option<Span> {
        self.get(2)
    }

    /// Sets the input (a field this long cannot be told from an absent one: over 4 GB).
    pub fn set_input(&mut self, span: Option<Span>) {
        self.put(1, span);
    }

    /// Sets the output.
    pub fn set_output(&mut self, span: Option<Span>) {
        self.put(2, span);
    }

    /// Marks the record as skipped (it did not parse).
    pub fn skip(&mut self) {
        self.line = 0;
    }

    /// Whether it was skipped.
    pub fn is_skipped(&self) -> bool {
        self.line == 0
    }
}

/// Which field gives each trace its identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The detected (or chosen) id field, present and unique.
    Field(String),
    /// Another unique id-like field, because the preferred one was missing or repeated.
    Fallback {
        /// The field used.
        field: String,
        /// Why the preferred one was not used, e.g. "`id` is not unique (1 distinct value)".
        why: String,
    },
    /// A stable hash of each record's text, because no unique id field exists.
    ContentHash {
        /// Why no field was used.
        why: String,
    },
}

impl Identity {
    /// The field name used, or `None` for content hashes.
    pub fn field(&self) -> Option<&str> {
        match self {
            Identity::Field(f) | Identity::Fallback { field: f, .. } => Some(f),
            Identity::ContentHash { .. } => None,
        }
    }

    /// One line for the UI.
    pub fn describe(&self) -> String {
        match self {
            Identity::Field(f) => format!("id from `{f}`"),
            Identity::Fallback { field, why } => format!("id from `{field}` ({why})"),
            Identity::ContentHash { why } => format!("id = content hash ({why})"),
        }
    }
}

/// Typed handle on one metadata column for O(1) cell reads.
#[derive(Clone)]
enum Access {
    Str(StringChunked),
    Int(Int64Chunked),
    Float(Float64Chunked),
    Bool(BooleanChunked),
    Cat(super::cats::CatText),
    Other(Column),
}

/// A metadata column: its name and a display name of its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Column name (`metadata.model` for flattened fields).
    pub name: String,
    /// `str`, `i64`, `f64` or `bool`.
    pub dtype: String,
}

/// All loaded traces.
pub struct TraceStore {
    df: DataFrame,
    text: SharedText,
    files: Vec<String>,
    /// The batch each file was added as ("Add traces…"), parallel to `files`.
    batches: Vec<Option<String>>,
    ranges: Vec<std::ops::Range<usize>>,
    records: Vec<RecordRef>,
    ids: StringChunked,
    access: Vec<Access>,
    columns: Vec<ColumnInfo>,
    /// The field mapping in use.
    pub mapping: FieldMapping,
    /// What detection chose (shown beside the override).
    pub detected: FieldMapping,
    /// Field paths seen in the sample, for choosing a mapping.
    pub paths: Vec<FieldPath>,
    /// How identity was decided.
    pub identity: Identity,
    /// What the files were recognised as ("Inspect AI eval log: 3 samples of …"), when errata
    /// knew their tool's format or made records out of whole JSON documents.
    pub format: Option<String>,
    /// The spans of each trace, when records were grouped into traces.
    spans: Option<super::spans::SpanIndex>,
    facet_columns: std::sync::OnceLock<Vec<String>>,
    /// id → row, built on the first lookup.
    rows_by_id: std::sync::OnceLock<std::collections::HashMap<Box<str>, u32>>,
}

fn is_id_like(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let lower = last.to_ascii_lowercase();
    matches!(lower.as_str(), "id" | "uuid" | "uid" | "key")
        || lower.ends_with("_id")
        || last.ends_with("Id")
}

/// 64-bit FNV-1a: a stable, dependency-free content hash for identity.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Chunks a column may keep (see [`TraceStore::new`]).
const MAX_CHUNKS: usize = 16;

impl TraceStore {
    /// Builds the store; decides identity. Columns keep the few chunks the parser threads made
    /// (a cell read finds its chunk among them; copying them into one would hold every column
    /// twice at the peak of a load); more than [`MAX_CHUNKS`] are joined.
    #[allow(clippy::too_many_arguments)] // called once, by the loader, with the parts it built
    pub(crate) fn new(
        text: SharedText,
        files: Vec<String>,
        batches: Vec<Option<String>>,
        ranges: Vec<std::ops::Range<usize>>,
        records: Vec<RecordRef>,
        columns: Vec<Column>,
        mapping: FieldMapping,
        detected: FieldMapping,
        paths: Vec<FieldPath>,
        groups: Option<(super::spans::SpanIndex, Vec<String>)>,
    ) -> PolarsResult<TraceStore> {
        let height = records.len();
        let mut df = DataFrame::new(columns)?;
        if df.width() == 0 {
            df = DataFrame::empty_with_height(height);
        }
        let (identity, ids, spans) = match groups {
            Some((index, ids)) => (
                Identity::Field(index.grouping.trace.to_string()),
                StringChunked::from_iter_values(ID_COLUMN.into(), ids.into_iter()),
                Some(index),
            ),
            None => {
                let (identity, ids) = resolve_identity(&df, &mapping, text.as_str(), &records)?;
                (identity, ids, None)
            }
        };
        df.with_column(ids.clone().into_column())?;
        let rows: Vec<u32> = (0..u32::try_from(height).unwrap_or(u32::MAX)).collect();
        df.with_column(Column::new(ROW_COLUMN.into(), rows))?;
        if df.max_n_chunks() > MAX_CHUNKS {
            df.rechunk_mut();
        }
        let ids = df.column(ID_COLUMN)?.str()?.clone();
        let mut store = TraceStore {
            df,
            text,
            files,
            batches,
            ranges,
            records,
            ids,
            access: Vec::new(),
            columns: Vec::new(),
            mapping,
            detected,
            paths,
            identity,
            format: None,
            spans,
            facet_columns: std::sync::OnceLock::new(),
            rows_by_id: std::sync::OnceLock::new(),
        };
        store.refresh_access();
        Ok(store)
    }

    fn refresh_access(&mut self) {
        self.columns.clear();
        self.access.clear();
        for col in self.df.get_columns() {
            if col.name().as_str() == ID_COLUMN || col.name().as_str() == ROW_COLUMN {
                continue;
            }
            let (access, dtype) = match col.dtype() {
                DataType::String => (col.str().map(|c| Access::Str(c.clone())), "str"),
                DataType::Int64 => (col.i64().map(|c| Access::Int(c.clone())), "i64"),
                DataType::Float64 => (col.f64().map(|c| Access::Float(c.clone())), "f64"),
                DataType::Boolean => (col.bool().map(|c| Access::Bool(c.clone())), "bool"),
                // categories are text to the user
                d if super::cats::is_cat(d) => match super::cats::CatText::of(col) {
                    Some(c) => (Ok(Access::Cat(c)), "str"),
                    None => (Ok(Access::Other(col.clone())), "str"),
                },
                _ => (Ok(Access::Other(col.clone())), "other"),
            };
            self.access
                .push(access.unwrap_or_else(|_| Access::Other(col.clone())));
            self.columns.push(ColumnInfo {
                name: col.name().to_string(),
                dtype: dtype.to_owned(),
            });
        }
    }

    /// Gives back the loaded files as sources (decoded text), to re-read them with another mapping.
    pub fn into_sources(self) -> Vec<super::load::Source> {
        if self.files.len() == 1 {
            let name = self.files.into_iter().next().unwrap_or_default();
            let batch = self.batches.into_iter().next().flatten();
            // the columns point into the text: gone, it is handed over without a copy
            drop(self.df);
            let mut source = super::load::Source::new(name, self.text.into_string().into_bytes());
            source.batch = batch;
            return vec![source];
        }
        self.sources()
    }

    /// Low-cardinality columns offered as facets (decided on first use, by the first query,
    /// which runs off the UI thread natively).
    pub fn facet_columns(&self) -> &[String] {
        self.facet_columns
            .get_or_init(|| super::filter::facet_columns(self, 30))
    }

    /// The loaded files as sources, copied (when the store is shared), with their batches.
    pub fn sources(&self) -> Vec<super::load::Source> {
        self.files
            .iter()
            .zip(&self.ranges)
            .zip(&self.batches)
            .map(|((name, r), batch)| super::load::Source {
                name: name.clone(),
                bytes: self.text.as_bytes().get(r.clone()).unwrap_or(&[]).to_vec(),
                batch: batch.clone(),
            })
            .collect()
    }

    /// Index (into [`TraceStore::files`]) of the file a row came from.
    pub fn file_of(&self, row: usize) -> usize {
        self.records.get(row).map_or(0, |r| usize::from(r.file))
    }

    /// Number of traces.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no traces.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The metadata frame (with the identity column).
    pub fn df(&self) -> &DataFrame {
        &self.df
    }

    /// The metadata columns in order.
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.columns
    }

    /// The names of the loaded files.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Total bytes of decoded text held.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    fn span(&self, s: Span) -> &str {
        let start = usize::try_from(s.start).unwrap_or(usize::MAX);
        self.text
            .get(start..start.saturating_add(s.len as usize))
            .unwrap_or("")
    }

    /// The trace's identity.
    pub fn id(&self, row: usize) -> &str {
        self.ids.get(row).unwrap_or("")
    }

    /// Row of the trace with this identity (an index built on the first call, then O(1)).
    pub fn row_of_id(&self, id: &str) -> Option<usize> {
        let index = self.rows_by_id.get_or_init(|| {
            let mut m = std::collections::HashMap::with_capacity(self.len());
            for (r, v) in self.ids.iter().enumerate() {
                // ids are unique; should a load ever repeat one, the first row wins
                m.entry(v.unwrap_or("").into()).or_insert(r as u32);
            }
            m
        });
        index.get(id).map(|&r| r as usize)
    }

    /// The original record text, complete and unmodified (a grouped trace's root span).
    pub fn raw_record(&self, row: usize) -> &str {
        self.records.get(row).map_or("", |r| self.span(r.record()))
    }

    /// The trace as JSON for copying: its original record, or for spans grouped into a trace, a
    /// JSON array of all its span records (in time order).
    pub fn trace_json(&self, row: usize) -> std::borrow::Cow<'_, str> {
        match self.spans {
            Some(_) => json_array(&self.records_of(row)).into(),
            None => self.raw_record(row).into(),
        }
    }

    /// The records of a trace: its own, or all its spans' (in time order).
    pub fn records_of(&self, row: usize) -> Vec<&str> {
        match &self.spans {
            Some(index) => index
                .of(row)
                .iter()
                .map(|&i| self.span_record(i as usize))
                .collect(),
            None => vec![self.raw_record(row)],
        }
    }

    /// The spans of every trace, when span records were grouped into traces.
    pub fn span_index(&self) -> Option<&super::spans::SpanIndex> {
        self.spans.as_ref()
    }

    /// Span records read (the number of traces when records are not grouped).
    pub fn span_count(&self) -> usize {
        self.spans.as_ref().map_or(self.len(), |s| s.spans.len())
    }

    /// A span's original record (`i`: index into [`super::spans::SpanIndex::spans`]).
    pub fn span_record(&self, i: usize) -> &str {
        self.span_ref(i).map_or("", |r| self.span(r.record()))
    }

    /// A span's input field's raw JSON.
    pub fn span_input(&self, i: usize) -> Option<&str> {
        self.span_ref(i)?.input().map(|s| self.span(s))
    }

    /// A span's output field's raw JSON.
    pub fn span_output(&self, i: usize) -> Option<&str> {
        self.span_ref(i)?.output().map(|s| self.span(s))
    }

    /// `file:line` where a span's record starts.
    pub fn span_location(&self, i: usize) -> String {
        self.span_ref(i)
            .map_or_else(String::new, |r| self.location_of(r))
    }

    fn span_ref(&self, i: usize) -> Option<&RecordRef> {
        self.spans.as_ref()?.spans.get(i)
    }

    fn location_of(&self, r: &RecordRef) -> String {
        let file = self
            .files
            .get(usize::from(r.file))
            .map_or("", String::as_str);
        format!("{file}:{}", r.line)
    }

    /// The input field's raw JSON.
    pub fn raw_input(&self, row: usize) -> Option<&str> {
        self.records.get(row)?.input().map(|s| self.span(s))
    }

    /// The output field's raw JSON.
    pub fn raw_output(&self, row: usize) -> Option<&str> {
        self.records.get(row)?.output().map(|s| self.span(s))
    }

    /// `file:line` where the record starts.
    pub fn location(&self, row: usize) -> String {
        self.records
            .get(row)
            .map_or_else(String::new, |r| self.location_of(r))
    }

    /// A metadata cell as display text (`None` for null). O(chunks), and a store has few.
    pub fn cell(&self, row: usize, col: usize) -> Option<String> {
        match self.access.get(col)? {
            Access::Str(c) => c.get(row).map(str::to_owned),
            Access::Int(c) => c.get(row).map(|v| v.to_string()),
            Access::Float(c) => c.get(row).map(|v| v.to_string()),
            Access::Bool(c) => c.get(row).map(|v| v.to_string()),
            Access::Cat(c) => c.get(row).map(str::to_owned),
            Access::Other(c) => c.get(row).ok().map(|v| v.to_string()),
        }
    }

    /// Index of a metadata column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Records as one JSON array, each as it was written, one a line.
pub fn json_array(records: &[&str]) -> String {
    format!("[\n{}\n]", records.join(",\n"))
}

/// Whether a column's values are all different. Text is checked by the values' 64-bit hashes
/// until the first repeat (polars' `n_unique` counts every group: slower, and a set of the
/// strings themselves would add a fifth to a load's peak memory); two equal hashes are
/// settled by `n_unique`.
fn all_distinct(col: &Column) -> bool {
    match col.str() {
        Ok(ca) => {
            // sorted, not a hash set: 8 bytes a row, where a set's table takes 18 at the peak
            let mut hashes: Vec<u64> = ca
                .into_iter()
                .flatten()
                .map(|v| fnv1a64(v.as_bytes()))
                .collect();
            hashes.sort_unstable();
            hashes.windows(2).all(|w| w[0] != w[1]) || col.n_unique().is_ok_and(|n| n == col.len())
        }
        Err(_) => col.n_unique().is_ok_and(|n| n == col.len()),
    }
}

fn resolve_identity(
    df: &DataFrame,
    mapping: &FieldMapping,
    text: &str,
    records: &[RecordRef],
) -> PolarsResult<(Identity, StringChunked)> {
    let height = records.len();
    let usable = |name: &str| -> Option<Result<StringChunked, String>> {
        let col = df.column(name).ok()?;
        if !matches!(col.dtype(), DataType::String | DataType::Int64)
            && !super::cats::is_cat(col.dtype())
        {
            return Some(Err(format!("`{name}` is not a string or integer")));
        }
        if col.null_count() > 0 {
            return Some(Err(format!(
                "`{name}` is missing on {} traces",
                col.null_count()
            )));
        }
        if !all_distinct(col) {
            let distinct = col.n_unique().ok()?;
            return Some(Err(format!(
                "`{name}` is not unique ({distinct} distinct values in {height} traces)"
            )));
        }
        let s = col.cast(&DataType::String).ok()?;
        let ca = s.str().ok()?.clone().with_name(ID_COLUMN.into());
        Some(Ok(ca))
    };
    let preferred = mapping.id.as_ref().map(ToString::to_string);
    let mut why = match &preferred {
        Some(p) => match usable(p) {
            Some(Ok(ids)) => return Ok((Identity::Field(p.clone()), ids)),
            Some(Err(why)) => why,
            None => format!("`{p}` not found"),
        },
        None => "no id field".to_owned(),
    };
    for col in df.get_columns() {
        let name = col.name().as_str();
        if Some(name) == preferred.as_deref() || !is_id_like(name) {
            continue;
        }
        if let Some(Ok(ids)) = usable(name) {
            return Ok((
                Identity::Fallback {
                    field: name.to_owned(),
                    why,
                },
                ids,
            ));
        }
    }
    if preferred.is_some() {
        why.push_str("; no other unique id-like field");
    }
    let mut seen: std::collections::HashMap<u64, u32> =
        std::collections::HashMap::with_capacity(height);
    let ids: Vec<String> = records
        .iter()
        .map(|r| {
            let start = usize::try_from(r.record().start).unwrap_or(0);
            let bytes = text
                .as_bytes()
                .get(start..start + r.record().len as usize)
                .unwrap_or(&[]);
            let h = fnv1a64(bytes);
            let n = seen.entry(h).or_insert(0);
            *n += 1;
            if *n == 1 {
                format!("h{h:016x}")
            } else {
                format!("h{h:016x}-{n}")
            }
        })
        .collect();
    Ok((
        Identity::ContentHash { why },
        StringChunked::from_iter_values(ID_COLUMN.into(), ids.into_iter()),
    ))
}
