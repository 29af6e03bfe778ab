//! Loading trace dumps: bytes → text → record spans → typed columns.
//!
//! errata's own loader (not polars' NDJSON reader): each record is parsed with serde_json into
//! borrowed raw fields, input and output stay as spans of the original text, and metadata cells
//! are decoded into per-chunk column builders that are merged into polars columns at the end.
//! Parsing runs over contiguous record ranges, in parallel natively and range by range on wasm.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use polars::prelude::*;

use super::columns::{Cell, ColumnBuilder};
use super::raw::{JsonKind, RawObject, kind_of, offset_in};
use super::schema::{FieldMapping, FieldOverrides, FieldPath, SampleStats};
use super::shared::{SharedText, ViewBase};
use super::spans::{self, Facts, Grouping, SpanFields};
use super::split::{RecordSpan, split_records};

mod merge;
use super::store::{Span, TraceStore};

/// Records sampled from the start of a dump to detect the field mapping.
const SAMPLE_RECORDS: usize = 500;
/// How many skipped lines are kept with their reasons (all are counted).
pub const MAX_SKIPPED_KEPT: usize = 200;
/// Column that names the file a trace came from, when several files are opened together.
pub const FILE_COLUMN: &str = "file";
/// Column that names the batch a trace was added in ("Add traces…"); null for the dump's own.
pub const BATCH_COLUMN: &str = "batch";

/// Errors of the loading layer. Each names the file it concerns, last.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("could not read the file ({source}): {path}")]
    Io {
        /// The path that failed.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A `.gz` file that does not decompress.
    #[error("not a valid gzip file ({reason}): {name}")]
    Gzip {
        /// The file name.
        name: String,
        /// The decoder's message.
        reason: String,
    },
    /// More data than errata may hold (a decompression bomb, a device, an endless body).
    #[error(
        "{what} is over errata's limit of {limit} (from this machine's available memory; set ERRATA_MAX_BYTES to raise it): {name}"
    )]
    TooLarge {
        /// The file name.
        name: String,
        /// What was too large.
        what: String,
        /// The limit, in words ("9.4 GB").
        limit: String,
    },
    /// A Parquet or CSV file its reader cannot read (or that made it stop).
    #[error("polars could not read it: the {kind} file is damaged ({reason}): {name}")]
    Damaged {
        /// The file name.
        name: String,
        /// "Parquet" or "CSV".
        kind: &'static str,
        /// The reader's message.
        reason: String,
    },
    /// Nothing in the file.
    #[error("the file is empty: {name}")]
    Empty {
        /// The file name.
        name: String,
    },
    /// The file is not JSON traces at all.
    #[error("this does not look like trace JSON ({reason}): {name}")]
    NotTraces {
        /// The file name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Every record failed to parse.
    #[error("no traces could be read; {skipped} records skipped, the first: {first}")]
    NoTraces {
        /// How many were skipped.
        skipped: usize,
        /// The first reason, with file and line.
        first: String,
    },
    /// A field named on the command line is not a path.
    #[error("{reason}")]
    BadField {
        /// What is wrong with it.
        reason: String,
    },
    /// The user cancelled.
    #[error("loading was cancelled")]
    Cancelled,
    /// Building the table failed.
    #[error("could not build the trace table: {0}")]
    Polars(#[from] PolarsError),
}

#[cfg(not(target_arch = "wasm32"))]
pub use super::decode::read_file;
pub use super::decode::{decode, decode_limited, fmt_bytes, max_bytes};

/// One input to a load: a name (path or file name) and its raw bytes.
#[derive(Clone, Debug)]
pub struct Source {
    /// Shown in messages and the UI.
    pub name: String,
    /// Raw file content (possibly gzip).
    pub bytes: Vec<u8>,
    /// The batch its traces were added as (their `batch` column), if any.
    pub batch: Option<String>,
}

impl Source {
    /// A source that belongs to no batch.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Source {
        Source {
            name: name.into(),
            bytes,
            batch: None,
        }
    }
}

/// Shared progress of one load; the UI reads it while a worker writes it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes read from disk or network so far.
    pub bytes_done: AtomicU64,
    /// Bytes expected (0 when unknown).
    pub bytes_total: AtomicU64,
    /// Records parsed so far.
    pub records_done: AtomicU64,
    /// Records found in the text (known once the text is split).
    pub records_total: AtomicU64,
    cancel: AtomicBool,
}

impl Progress {
    /// Asks the worker to stop at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `(done, total)` of the current phase as a fraction 0..=1 and a label.
    pub fn fraction(&self) -> (f32, String) {
        let rt = self.records_total.load(Ordering::Relaxed);
        if rt > 0 {
            let rd = self.records_done.load(Ordering::Relaxed);
            return (rd as f32 / rt as f32, format!("parsed {rd} of {rt} traces"));
        }
        let bt = self.bytes_total.load(Ordering::Relaxed);
        let bd = self.bytes_done.load(Ordering::Relaxed);
        let mb = |b: u64| b as f64 / 1e6;
        if bt > 0 {
            (
                bd as f32 / bt as f32,
                format!("read {:.1} of {:.1} MB", mb(bd), mb(bt)),
            )
        } else {
            (0.0, format!("read {:.1} MB", mb(bd)))
        }
    }
}

/// A record that was skipped, with where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    /// The file's name.
    pub file: String,
    /// 1-based line number of the record's start.
    pub line: u32,
    /// The parser's reason.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// The outcome of a successful load.
pub struct Loaded {
    /// The traces.
    pub store: TraceStore,
    /// Skipped records, the first [`MAX_SKIPPED_KEPT`] of them.
    pub skipped: Vec<Skipped>,
    /// How many records were skipped in all.
    pub skipped_count: usize,
    /// Non-fatal notes (invalid UTF-8 replaced, …).
    pub warnings: Vec<String>,
}

/// A dump whose text is decoded and split into records, with its field mapping decided,
/// ready to be parsed range by range.
pub struct Prepared {
    text: SharedText,
    /// Where the metadata columns' strings point into `text`.
    base: ViewBase,
    files: Vec<String>,
    batches: Vec<Option<String>>,
    ranges: Vec<Range<usize>>,
    /// The records found by the split, in order; parsing fills in their input and output (and
    /// marks those that do not parse), and the store keeps them.
    records: Vec<RecordSpan>,
    /// The mapping in use (the override, or the detected one).
    pub mapping: FieldMapping,
    /// What detection chose.
    pub detected: FieldMapping,
    /// Every field path seen in the sample, for the mapping editor.
    pub paths: Vec<FieldPath>,
    skipped: Vec<Skipped>,
    skipped_count: usize,
    warnings: Vec<String>,
    /// What the files were recognised as (see [`super::formats`]).
    pub format: Option<String>,
    /// How span records make traces, when they do.
    pub grouping: Option<Grouping>,
    span_fields: SpanFields,
}

/// One parsed range of records.
#[derive(Default)]
pub struct ChunkOut {
    columns: Vec<(String, ColumnBuilder)>,
    series: Vec<(String, Series)>,
    index: HashMap<String, usize>,
    skipped: Vec<Skipped>,
    skipped_count: usize,
    facts: Vec<Facts>,
    /// Rows of metadata: one a record, or with grouping one a root span (the rows a trace can
    /// stand on; other spans' metadata is never built).
    meta_rows: usize,
    /// Per record, its metadata row (`u32::MAX`: none), when grouping.
    meta_of: Vec<u32>,
    /// The column most likely set next (see [`ChunkOut::set`]).
    next: usize,
    /// Rows the chunk expects (its records), for its column builders.
    rows: usize,
    /// The loaded text, which the chunk's string columns point into.
    base: ViewBase,
}

impl ChunkOut {
    fn set(&mut self, name: &str, row: usize, value: Cell<'_>) {
        // records mostly list their fields in the same order: the column after the last one
        // set is tried before the name is hashed
        let guess = self.next;
        let i = match self.columns.get(guess) {
            Some((n, _)) if n == name => guess,
            _ => self.column_index(name, row),
        };
        self.next = i + 1;
        self.columns[i].1.set(row, value);
    }

    /// The column `name`, made when first seen: one seen on the chunk's first row is taken as
    /// dense and reserves all the chunk's rows; a later one (sparse, often) grows as it fills.
    fn column_index(&mut self, name: &str, row: usize) -> usize {
        match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.columns.push((
                    name.to_owned(),
                    ColumnBuilder::with_rows(
                        if row == 0 { self.rows } else { 0 },
                        self.base.clone(),
                    ),
                ));
                self.index.insert(name.to_owned(), self.columns.len() - 1);
                self.columns.len() - 1
            }
        }
    }

    /// Turns the builders into series (in the worker thread, so it runs in parallel).
    fn seal(&mut self) {
        let rows = self.meta_rows;
        self.series = std::mem::take(&mut self.columns)
            .into_iter()
            .map(|(name, b)| {
                let s = b.finish(&name, rows);
                (name, s)
            })
            .collect();
    }
}

impl Prepared {
    /// Decodes and splits the sources and decides the mapping (`mapping` overrides detection).
    pub fn new(sources: Vec<Source>, mapping: Option<FieldMapping>) -> Result<Prepared, LoadError> {
        Prepared::new_with(sources, mapping, &FieldOverrides::default())
    }

    /// [`Prepared::new`], with fields a person named replacing what was decided for them.
    pub fn new_with(
        sources: Vec<Source>,
        mapping: Option<FieldMapping>,
        overrides: &FieldOverrides,
    ) -> Result<Prepared, LoadError> {
        let mut warnings = Vec::new();
        let mut skipped = Vec::new();
        let mut skipped_count = 0;
        let mut text = String::new();
        let mut files = Vec::new();
        let mut batches = Vec::new();
        let mut ranges = Vec::new();
        let mut spans = Vec::new();
        let mut formats: Vec<String> = Vec::new();
        let mut suggested: Option<FieldMapping> = None;
        let mut suggested_id: Option<FieldPath> = None;
        let decoded = super::formats::decode_all(sources, &mut warnings)?;
        let several = decoded.len() > 1;
        for (i, source) in decoded.into_iter().enumerate() {
            let decoded = source.text;
            if let Some(what) = source.what {
                let short = source
                    .name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or(&source.name);
                formats.push(if several {
                    format!("{short}: {what}")
                } else {
                    what
                });
                suggested = suggested.or(source.mapping);
                suggested_id = suggested_id.or(source.id);
            }
            let base = text.len();
            if text.is_empty() {
                text = decoded;
            } else {
                text.push('\n');
                text.push_str(&decoded);
                drop(decoded);
            }
            let base = if base == 0 { 0 } else { base + 1 };
            let file = u16::try_from(i).unwrap_or(u16::MAX);
            let part = &text[base..];
            let found = split_records(
                &source.name,
                part,
                base,
                file,
                &mut skipped,
                &mut skipped_count,
            )?;
            append_records(&mut spans, found);
            files.push(source.name);
            batches.push(source.batch);
            ranges.push(base..text.len());
        }
        // the sample, parsed once: field detection and span grouping both read it
        let sample: Vec<RawObject<'_>> = spans
            .iter()
            .take(SAMPLE_RECORDS)
            .filter_map(|s| RawObject::parse(slice(&text, s.record().start, s.record().len)).ok())
            .collect();
        let mut stats = SampleStats::default();
        for obj in &sample {
            stats.add(obj);
        }
        let mut detected = stats.detect();
        match (suggested.clone(), suggested_id) {
            (Some(m), _) => detected = m,
            (None, Some(id)) => detected.id = Some(id),
            (None, None) => {}
        }
        // what the records' shape says, unless a tool's format already said it all
        if let Some(shape) = stats
            .format()
            .filter(|s| suggested.is_none() && !formats.iter().any(|f| f.contains(s.as_str())))
        {
            let generic =
                |f: &String| f.starts_with("a JSON document") || f.ends_with("one after another");
            if formats.iter().all(generic) && !formats.is_empty() {
                formats = vec![format!("{shape} ({})", formats.join("; "))];
            } else {
                formats.push(shape);
            }
        }
        let paths = stats.all_paths();
        let (mapping, grouping, span_fields) = decide(
            &sample,
            mapping,
            &mut detected,
            overrides,
            &paths,
            &mut warnings,
        )?;
        drop(sample);
        let text = SharedText::from(text);
        Ok(Prepared {
            base: text.base(),
            format: (!formats.is_empty()).then(|| formats.join("; ")),
            mapping,
            detected,
            paths,
            text,
            files,
            batches,
            ranges,
            records: spans,
            skipped,
            skipped_count,
            warnings,
            grouping,
            span_fields,
        })
    }

    /// Number of records to parse.
    pub fn total(&self) -> usize {
        self.records.len()
    }

    /// Parses a range of records into a chunk. Checks `progress`' cancel flag as it goes.
    pub fn parse_range(
        &mut self,
        range: Range<usize>,
        progress: &Progress,
    ) -> Result<ChunkOut, LoadError> {
        let mut records = std::mem::take(&mut self.records);
        let out = match records.get_mut(range) {
            Some(part) => self.parse_spans(part, progress, false),
            None => Ok(ChunkOut::default()),
        };
        self.records = records;
        out
    }

    /// Why record `s` was skipped, with its file and line.
    fn skipped(&self, s: &RecordSpan, e: &serde_json::Error) -> Skipped {
        Skipped {
            file: self
                .files
                .get(usize::from(s.file))
                .cloned()
                .unwrap_or_default(),
            line: s.line + u32::try_from(e.line().saturating_sub(1)).unwrap_or(0),
            reason: reason_of(e),
        }
    }

    /// Parses records into a chunk; `all_metadata`: every record gets its metadata row, even a
    /// span that is not a root.
    fn parse_spans(
        &self,
        spans: &mut [RecordSpan],
        progress: &Progress,
        all_metadata: bool,
    ) -> Result<ChunkOut, LoadError> {
        let mut out = ChunkOut {
            base: self.base.clone(),
            ..ChunkOut::default()
        };
        let mut name = String::new();
        let several_files = self.files.len() > 1;
        let mut reader = self
            .grouping
            .as_ref()
            .filter(|_| !all_metadata)
            .map(|g| spans::FactReader::new(g, &self.span_fields));
        // grouped, only root spans have rows: a tenth is a guess, and columns grow past it
        out.rows = if reader.is_some() {
            spans.len() / 10
        } else {
            spans.len()
        };
        if reader.is_some() {
            out.facts.reserve_exact(spans.len());
        }
        let mut spare = Vec::new();
        let count = spans.len();
        for (n, s) in spans.iter_mut().enumerate() {
            if n % 4096 == 4095 {
                progress.records_done.fetch_add(4096, Ordering::Relaxed);
                if progress.is_cancelled() {
                    return Err(LoadError::Cancelled);
                }
            }
            let record_text = slice(self.text.as_str(), s.record().start, s.record().len);
            let obj = match RawObject::parse_reusing(record_text, std::mem::take(&mut spare)) {
                Ok(obj) => obj,
                Err(e) => {
                    out.skipped_count += 1;
                    if out.skipped.len() < MAX_SKIPPED_KEPT {
                        out.skipped.push(self.skipped(s, &e));
                    }
                    s.skip();
                    continue;
                }
            };
            let content_span = |p: &Option<FieldPath>| {
                p.as_ref().and_then(|p| p.lookup(&obj)).map(|raw| Span {
                    start: (offset_in(self.text.as_str(), raw.get())) as u64,
                    len: u32::try_from(raw.get().len()).unwrap_or(u32::MAX),
                })
            };
            let mut keep_metadata = true;
            if let (Some(g), Some(reader)) = (&self.grouping, &mut reader) {
                let f = spans::facts(&obj, g, &self.span_fields, reader, self.text.as_str());
                keep_metadata = f.root;
                out.facts.push(f);
            }
            s.set_input(content_span(&self.mapping.input));
            s.set_output(content_span(&self.mapping.output));
            if reader.is_some() {
                out.meta_of.push(if keep_metadata {
                    out.meta_rows as u32
                } else {
                    u32::MAX
                });
            }
            if !keep_metadata {
                spare = obj.fields;
                continue;
            }
            let row = out.meta_rows;
            out.next = 0;
            out.meta_rows += 1;
            if several_files {
                let file = self
                    .files
                    .get(usize::from(s.file))
                    .cloned()
                    .unwrap_or_default();
                out.set(FILE_COLUMN, row, Cell::Text(file.into()));
            }
            for (key, value) in &obj.fields {
                if self.mapping.covers(&[key]) {
                    continue;
                }
                if kind_of(*value) == JsonKind::Object
                    && let Ok(inner) = RawObject::parse(value.get())
                {
                    for (k2, v2) in &inner.fields {
                        if self.mapping.covers(&[key, k2]) || self.mapping.holds_content(&[key, k2])
                        {
                            continue;
                        }
                        name.clear();
                        name.push_str(key);
                        name.push('.');
                        name.push_str(k2);
                        out.set(&name, row, Cell::from_raw(*v2));
                    }
                } else {
                    out.set(key, row, Cell::from_raw(*value));
                }
            }
            // after the record's own fields: the batch errata added it in wins
            if let Some(Some(batch)) = self.batches.get(usize::from(s.file)) {
                out.set(BATCH_COLUMN, row, Cell::Text(batch.as_str().into()));
            }
            spare = obj.fields;
        }
        progress
            .records_done
            .fetch_add((count % 4096) as u64, Ordering::Relaxed);
        out.seal();
        Ok(out)
    }
}

/// Appends one file's records; the first file (often the only one) keeps its vector: no copy of
/// a million records.
fn append_records(all: &mut Vec<RecordSpan>, found: Vec<RecordSpan>) {
    if all.is_empty() {
        *all = found;
    } else {
        all.extend(found);
    }
}

/// Decides the mapping in use (`mapping` overrides detection, `overrides` override both) and
/// whether span records are grouped into traces, from the sample of the records.
fn decide(
    sample: &[RawObject<'_>],
    mapping: Option<FieldMapping>,
    detected: &mut FieldMapping,
    overrides: &FieldOverrides,
    paths: &[FieldPath],
    warnings: &mut Vec<String>,
) -> Result<(FieldMapping, Option<Grouping>, SpanFields), LoadError> {
    let detected_grouping = spans::detect(sample);
    if let Some(g) = &detected_grouping {
        detected.group_by = Some(g.trace.clone());
        if g.transcript && detected.input.is_none() && detected.output.is_none() {
            detected.input = Some(FieldPath::top("message"));
            detected.split_conversation = true;
        }
    }
    let mut mapping = mapping.unwrap_or_else(|| detected.clone());
    if !mapping.grouping_chosen {
        mapping.group_by.clone_from(&detected.group_by);
    }
    if overrides.any() {
        overrides
            .apply(&mut mapping, paths)
            .map_err(|reason| LoadError::BadField { reason })?;
        for p in [
            &mapping.id,
            &mapping.input,
            &mapping.output,
            &mapping.group_by,
        ]
        .into_iter()
        .flatten()
        {
            if !sample.is_empty() && sample.iter().all(|r| p.lookup(r).is_none()) {
                warnings.push(format!(
                    "no record has `{p}` (of the first {} read)",
                    sample.len()
                ));
            }
        }
    }
    let grouping = mapping.group_by.clone().map(|key| match detected_grouping {
        Some(g) if g.trace == key => g,
        _ => spans::named(key, sample),
    });
    let span_fields = grouping
        .as_ref()
        .map(|_| SpanFields::choose(sample))
        .unwrap_or_default();
    Ok((mapping, grouping, span_fields))
}

/// `1 trace`, `3 traces`.
fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

fn slice(text: &str, start: u64, len: u32) -> &str {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    text.get(start..start.saturating_add(len as usize))
        .unwrap_or("")
}

/// serde_json's message without its "at line 1 column N" tail, plus the column.
fn reason_of(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
    format!("{msg} (column {})", e.column())
}

/// Loads sources completely: prepare, parse on `threads` workers (1 = on this thread), finish.
pub fn load(
    sources: Vec<Source>,
    mapping: Option<FieldMapping>,
    progress: &Progress,
    threads: usize,
) -> Result<Loaded, LoadError> {
    load_with(
        sources,
        mapping,
        &FieldOverrides::default(),
        progress,
        threads,
    )
}

/// [`load`] with fields a person named (see [`FieldOverrides`]).
pub fn load_with(
    sources: Vec<Source>,
    mapping: Option<FieldMapping>,
    overrides: &FieldOverrides,
    progress: &Progress,
    threads: usize,
) -> Result<Loaded, LoadError> {
    let mut prepared = Prepared::new_with(sources, mapping, overrides)?;
    let total = prepared.total();
    progress
        .records_total
        .store(total as u64, Ordering::Relaxed);
    let threads = threads.clamp(1, 64).min(total.max(1).div_ceil(2048));
    let chunks = if threads <= 1 {
        vec![prepared.parse_range(0..total, progress)?]
    } else {
        parse_parallel(&mut prepared, threads, progress)?
    };
    prepared.finish(chunks)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_parallel(
    prepared: &mut Prepared,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<ChunkOut>, LoadError> {
    let total = prepared.total();
    let per = total.div_ceil(threads).max(1);
    // each thread fills in its own run of the records
    let mut records = std::mem::take(&mut prepared.records);
    let shared: &Prepared = prepared;
    let out = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks_mut(per)
            .enumerate()
            .map(|(t, part)| {
                std::thread::Builder::new()
                    .name(format!("errata-parse-{t}"))
                    .spawn_scoped(scope, move || shared.parse_spans(part, progress, false))
            })
            .collect();
        let mut out = Vec::with_capacity(threads);
        for h in handles {
            let h = h.map_err(|e| LoadError::Io {
                path: "parser thread".to_owned(),
                source: e,
            })?;
            match h.join() {
                Ok(chunk) => out.push(chunk?),
                Err(_) => {
                    return Err(LoadError::NotTraces {
                        name: "parser thread".to_owned(),
                        reason: "a parser thread panicked".to_owned(),
                    });
                }
            }
        }
        Ok(out)
    });
    prepared.records = records;
    out
}

#[cfg(target_arch = "wasm32")]
fn parse_parallel(
    prepared: &mut Prepared,
    _threads: usize,
    progress: &Progress,
) -> Result<Vec<ChunkOut>, LoadError> {
    Ok(vec![prepared.parse_range(0..prepared.total(), progress)?])
}

/// Loads from in-memory bytes on the current thread (tests, the demo, small files).
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Result<Loaded, LoadError> {
    load(
        vec![Source::new(name.to_owned(), bytes)],
        None,
        &Progress::default(),
        1,
    )
}
