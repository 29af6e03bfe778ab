//! From bytes to text, safely: a file read with its size checked against the memory errata may
//! use, gzip decompressed under the same limit (a bomb is refused, trailing garbage dropped with
//! a warning), UTF-16 decoded, binary data named, Parquet and CSV read by polars (a damaged file
//! reported, never a panic) and written as JSON Lines for the one loader.

use std::io::Read as _;
#[cfg(not(target_arch = "wasm32"))]
use std::sync::atomic::Ordering;

#[cfg(not(target_arch = "wasm32"))]
use polars::prelude::*;

use super::load::LoadError;
#[cfg(not(target_arch = "wasm32"))]
use super::load::{Progress, Source};

/// Reads a file from disk, reporting bytes read to `progress` and honouring its cancel flag.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_file(path: &std::path::Path, progress: &Progress) -> Result<Source, LoadError> {
    let name = path.display().to_string();
    let io = |source| LoadError::Io {
        path: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(LoadError::NotTraces {
            name,
            reason: format!("it is {}, not a file", special_kind(&meta)),
        });
    }
    let size = meta.len();
    let limit = max_bytes();
    if size > limit {
        return Err(LoadError::TooLarge {
            name,
            what: format!("the file ({})", fmt_bytes(size)),
            limit: fmt_bytes(limit),
        });
    }
    progress.bytes_total.fetch_add(size, Ordering::Relaxed);
    let bytes = read_whole(&file, size, progress).map_err(|e| match e {
        ReadError::Cancelled => LoadError::Cancelled,
        ReadError::Io(e) => io(e),
    })?;
    Ok(Source::new(name, bytes))
}

#[cfg(not(target_arch = "wasm32"))]
enum ReadError {
    Cancelled,
    Io(std::io::Error),
}

#[cfg(not(target_arch = "wasm32"))]
/// Pieces a file is read in: progress and cancel are checked between them.
const READ_BLOCK: usize = 16 << 20;

#[cfg(not(target_arch = "wasm32"))]
/// Reads `size` bytes (what the file's metadata said) and whatever follows them. Large files are
/// read by two threads at once, each into its half of one buffer: copying from the page cache
/// and faulting in fresh pages is most of a read, and it scales with cores.
fn read_whole(file: &std::fs::File, size: u64, progress: &Progress) -> Result<Vec<u8>, ReadError> {
    let size = usize::try_from(size).unwrap_or(0);
    let mut bytes = vec![0u8; size];
    let halves = if size >= 4 * READ_BLOCK { 2 } else { 1 };
    let half = size.div_ceil(halves);
    let mut filled = vec![0usize; halves];
    std::thread::scope(|scope| {
        let mut parts = bytes
            .chunks_mut(half.max(1))
            .zip(filled.iter_mut())
            .enumerate();
        let first = parts.next();
        let others: Vec<_> = parts
            .map(|(k, (part, got))| {
                scope.spawn(move || read_part(file, k * half, part, got, progress))
            })
            .collect();
        let mut out = match first {
            Some((_, (part, got))) => read_part(file, 0, part, got, progress),
            None => Ok(()),
        };
        for h in others {
            let r = h.join().unwrap_or_else(|_| {
                Err(ReadError::Io(std::io::Error::other(
                    "a reader thread stopped",
                )))
            });
            out = out.and(r);
        }
        out
    })?;
    // a file that shrank while it was read: keep what was there, in order
    let expected = |k: usize| half.min(size - k * half);
    if let Some(short) = (0..halves).find(|&k| filled[k] < expected(k)) {
        let end = short * half + filled[short];
        if filled[short + 1..].iter().any(|&g| g > 0) {
            return Err(ReadError::Io(std::io::Error::other(
                "the file changed while it was read",
            )));
        }
        bytes.truncate(end);
        return Ok(bytes);
    }
    // a file that grew: the rest too
    let mut reader = file;
    std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(size as u64))
        .map_err(ReadError::Io)?;
    reader.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    Ok(bytes)
}

#[cfg(not(target_arch = "wasm32"))]
/// Reads `part` from `offset` on, block by block; `got` is how much was read (less at the end
/// of a file that shrank).
fn read_part(
    file: &std::fs::File,
    offset: usize,
    part: &mut [u8],
    got: &mut usize,
    progress: &Progress,
) -> Result<(), ReadError> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt as _;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt as _;
    let len = part.len();
    while *got < len {
        if progress.is_cancelled() {
            return Err(ReadError::Cancelled);
        }
        let end = (*got + READ_BLOCK).min(len);
        let at = (offset + *got) as u64;
        #[cfg(unix)]
        let n = file.read_at(&mut part[*got..end], at);
        #[cfg(windows)]
        let n = file.seek_read(&mut part[*got..end], at);
        match n {
            Ok(0) => break,
            Ok(n) => {
                *got += n;
                progress.bytes_done.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(())
}

/// What a path that is not a regular file is.
#[cfg(not(target_arch = "wasm32"))]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The most bytes of text errata holds for a load (decompressed): 40 % of the memory available
/// when it starts (a load needs about 1.2× its text), or `ERRATA_MAX_BYTES`. Without a way to
/// know (the browser), 1.5 GB.
pub fn max_bytes() -> u64 {
    if let Some(n) = std::env::var("ERRATA_MAX_BYTES")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return n;
    }
    available_memory().map_or(1_500_000_000, |m| m / 5 * 2)
}

/// `MemAvailable` from `/proc/meminfo` (Linux).
fn available_memory() -> Option<u64> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }
    #[cfg(target_arch = "wasm32")]
    {
        None
    }
}

/// "1.5 GB", "340 MB", "12 kB".
pub fn fmt_bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // for display
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.1} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.0} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.0} kB", f / 1e3)
    } else {
        format!("{n} bytes")
    }
}

/// Decompresses (gzip by magic bytes), strips a BOM and makes the bytes UTF-8 text (UTF-16 is
/// decoded). Invalid UTF-8 is replaced (U+FFFD) with a warning rather than failing the load;
/// decompressed text over [`max_bytes`] is refused.
pub fn decode(name: &str, bytes: Vec<u8>, warnings: &mut Vec<String>) -> Result<String, LoadError> {
    decode_limited(name, bytes, warnings, max_bytes())
}

/// [`decode`] with an explicit limit on the decompressed size.
pub fn decode_limited(
    name: &str,
    bytes: Vec<u8>,
    warnings: &mut Vec<String>,
    limit: u64,
) -> Result<String, LoadError> {
    #[cfg(not(target_arch = "wasm32"))]
    if bytes.starts_with(b"PAR1") || name.to_ascii_lowercase().ends_with(".csv") {
        return tabular_to_jsonl(name, bytes, warnings);
    }
    // the browser build has no Parquet or CSV reader (polars' readers do not build for wasm)
    #[cfg(target_arch = "wasm32")]
    if bytes.starts_with(b"PAR1") || name.to_ascii_lowercase().ends_with(".csv") {
        let kind = if bytes.starts_with(b"PAR1") {
            "a Parquet file"
        } else {
            "a CSV file"
        };
        return Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: format!(
                "it is {kind}, which the browser version cannot read: open it in the desktop app, or save it as JSON Lines"
            ),
        });
    }
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        gunzip(name, &bytes, warnings, limit)?
    } else {
        bytes
    };
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    if let Some(text) = utf16(&bytes) {
        warnings.push(format!("decoded from UTF-16: {name}"));
        return non_empty(name, text);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::Empty {
            name: name.to_owned(),
        });
    }
    // binary data has many control bytes; a few NULs in text are lines to skip, not a verdict
    let head = &bytes[..bytes.len().min(4096)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    if control * 10 > head.len() {
        return Err(LoadError::NotTraces {
            name: name.to_owned(),
            reason: format!("it is binary data{}", binary_kind(&bytes)),
        });
    }
    match utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            warnings.push(format!(
                "invalid UTF-8 bytes were replaced with U+FFFD: {name}"
            ));
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// Text checked by two threads (the check reads every byte: 60 ms a gigabyte on one core).
#[cfg(not(target_arch = "wasm32"))]
const PARALLEL_UTF8: usize = 64 << 20;

/// `bytes` as a `String`: large ones are checked as two halves side by side.
fn utf8(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    #[cfg(not(target_arch = "wasm32"))]
    if bytes.len() >= PARALLEL_UTF8 {
        // cut where no character continues: each half is then valid exactly when the whole is
        let mut cut = bytes.len() / 2;
        while bytes.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
            cut += 1;
        }
        let (a, b) = bytes.split_at(cut);
        let valid = std::thread::scope(|s| {
            let second = std::thread::Builder::new()
                .name("errata-utf8".to_owned())
                .spawn_scoped(s, || std::str::from_utf8(b).is_ok());
            let first = std::str::from_utf8(a).is_ok();
            // a thread that cannot start or stops: the whole is checked below
            first && second.ok().and_then(|h| h.join().ok()).unwrap_or(false)
        });
        if valid {
            #[allow(unsafe_code)]
            // SAFETY: both halves were checked by `str::from_utf8`, and the cut is at a byte that
            // starts a character (not a continuation byte), so no character spans it: the
            // whole is valid UTF-8. Checking it again would read the gigabyte a second time.
            return Ok(unsafe { String::from_utf8_unchecked(bytes) });
        }
    }
    String::from_utf8(bytes)
}

fn non_empty(name: &str, text: String) -> Result<String, LoadError> {
    if text.trim().is_empty() {
        Err(LoadError::Empty {
            name: name.to_owned(),
        })
    } else {
        Ok(text)
    }
}

/// Decompresses gzip (all members), refusing output over `limit`. Bytes after the compressed
/// data that are not gzip are dropped with a warning: what decompressed is kept.
fn gunzip(
    name: &str,
    bytes: &[u8],
    warnings: &mut Vec<String>,
    limit: u64,
) -> Result<Vec<u8>, LoadError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(1 << 30));
    let result = flate2::read::MultiGzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out);
    if out.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            name: name.to_owned(),
            what: format!(
                "what it decompresses to (more than {} from {})",
                fmt_bytes(limit),
                fmt_bytes(bytes.len() as u64)
            ),
            limit: fmt_bytes(limit),
        });
    }
    match result {
        Ok(_) => Ok(out),
        Err(e) if !out.is_empty() => {
            warnings.push(format!(
                "the gzip data ends in bytes that do not decompress ({e}); kept the {} that did: {name}",
                fmt_bytes(out.len() as u64)
            ));
            Ok(out)
        }
        Err(e) => Err(LoadError::Gzip {
            name: name.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// UTF-16 text (by its byte-order mark, or NULs in every other byte of the first characters),
/// decoded; `None` when it is not UTF-16.
fn utf16(bytes: &[u8]) -> Option<String> {
    let (body, little) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (rest, false)
    } else {
        let head = &bytes[..bytes.len().min(512) & !1];
        if head.len() < 4 {
            return None;
        }
        let pairs = head.len() / 2;
        let zero_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let zero_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        if zero_odd * 10 >= pairs * 9 && zero_even == 0 {
            (bytes, true)
        } else if zero_even * 10 >= pairs * 9 && zero_odd == 0 {
            (bytes, false)
        } else {
            return None;
        }
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// What a binary file is, by its magic bytes (" (a zip archive)"), or nothing.
fn binary_kind(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"PK\x03\x04") {
        " (a zip archive)"
    } else if bytes.starts_with(b"SQLite format 3\0") {
        " (an SQLite database)"
    } else if bytes.starts_with(b"PAR1") {
        " (a Parquet file)"
    } else if bytes.starts_with(b"\x7fELF") {
        " (a program)"
    } else if bytes.starts_with(b"%PDF") {
        " (a PDF)"
    } else if bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        " (zstd-compressed: decompress it first)"
    } else if bytes.starts_with(b"BZh") {
        " (bzip2-compressed: decompress it first)"
    } else {
        ""
    }
}

/// Parquet and CSV (natively): read with polars, then written as JSON Lines so that the same
/// detection, identity and copy-as-JSON rules apply (the copied record is the row as JSON).
/// Column names with dots (`attributes.input.value`, as Phoenix's spans dataframe has them) are
/// read like nested paths by detection; pandas' index column is left out.
/// A damaged file that makes polars panic is reported as damaged; CSV lines with more fields
/// than the header are named in a warning and their extra fields dropped.
#[cfg(not(target_arch = "wasm32"))]
fn tabular_to_jsonl(
    name: &str,
    bytes: Vec<u8>,
    warnings: &mut Vec<String>,
) -> Result<String, LoadError> {
    let csv = name.to_ascii_lowercase().ends_with(".csv");
    let ragged = if csv {
        ragged_lines(&bytes)
    } else {
        Vec::new()
    };
    if let Some(&(line, fields, header)) = ragged.first() {
        warnings.push(format!(
            "line {line} has {fields} fields where the header has {header}{}; extra fields dropped: {name}",
            match ragged.len() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more such lines)"),
            }
        ));
    }
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<Vec<u8>, PolarsError> {
            let cursor = std::io::Cursor::new(bytes);
            let mut df = if csv {
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(10_000))
                    .map_parse_options(|o| o.with_truncate_ragged_lines(true))
                    .into_reader_with_file_handle(cursor)
                    .finish()?
            } else {
                ParquetReader::new(cursor).finish()?
            };
            // pandas' index, written as a column by `to_csv` (no name) or `to_parquet`: not data
            let index: Vec<String> = df
                .get_column_names()
                .iter()
                .map(|n| n.to_string())
                .filter(|n| matches!(n.as_str(), "" | "Unnamed: 0" | "__index_level_0__"))
                .collect();
            for name in index {
                df.drop_in_place(&name)?;
            }
            let mut out = Vec::new();
            JsonWriter::new(&mut out)
                .with_json_format(JsonFormat::JsonLines)
                .finish(&mut df)?;
            Ok(out)
        },
    ));
    let kind = if csv { "CSV" } else { "Parquet" };
    let out = match read {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(LoadError::Damaged {
                name: name.to_owned(),
                kind,
                reason: e.to_string(),
            });
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the reader stopped");
            return Err(LoadError::Damaged {
                name: name.to_owned(),
                kind,
                reason: format!("the reader stopped: {what}"),
            });
        }
    };
    if out.is_empty() {
        return Err(LoadError::Empty {
            name: name.to_owned(),
        });
    }
    String::from_utf8(out).map_err(|e| LoadError::NotTraces {
        name: name.to_owned(),
        reason: format!("not UTF-8 text ({e})"),
    })
}

/// CSV lines with more fields than the header: (1-based line, fields, header fields). Quotes
/// are honoured (a quoted field may hold commas and newlines).
#[cfg(not(target_arch = "wasm32"))]
fn ragged_lines(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let (mut line, mut start_line, mut fields, mut header) = (1usize, 1usize, 1usize, None);
    let mut quoted = false;
    let mut blank = true;
    for &b in bytes {
        match b {
            b'"' => {
                quoted = !quoted;
                blank = false;
            }
            b',' if !quoted => {
                fields += 1;
                blank = false;
            }
            b'\n' => {
                line += 1;
                if quoted {
                    continue;
                }
                match header {
                    None => header = Some(fields),
                    Some(h) if fields > h && !blank => out.push((start_line, fields, h)),
                    Some(_) => {}
                }
                fields = 1;
                blank = true;
                start_line = line;
            }
            b'\r' => {}
            _ => blank = false,
        }
    }
    if let Some(h) = header
        && fields > h
        && !blank
    {
        out.push((start_line, fields, h));
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The two-halves check agrees with a whole one: characters across the middle, a bad byte
    /// in either half, a truncated character just before the cut.
    #[test]
    fn large_text_is_checked_in_halves_alike() {
        let n = PARALLEL_UTF8 + 7;
        let mid = n / 2;
        let base = || {
            let mut v = vec![b'a'; n];
            // a four-byte character across the middle, a two-byte one either side
            v[mid - 2..mid + 2].copy_from_slice("😀".as_bytes());
            v[10..12].copy_from_slice("é".as_bytes());
            v[n - 3..n - 1].copy_from_slice("é".as_bytes());
            v
        };
        let whole = base();
        let want = String::from_utf8(whole.clone()).unwrap();
        assert_eq!(utf8(whole).unwrap(), want);
        for at in [5, mid + 9, n - 1, mid - 3] {
            let mut bad = base();
            bad[at] = 0xFF;
            assert!(utf8(bad.clone()).is_err(), "a bad byte at {at}");
            assert!(String::from_utf8(bad).is_err());
        }
        // a character cut short right where the halves meet
        let mut cut_short = base();
        cut_short[mid - 2] = b'a';
        assert!(utf8(cut_short).is_err());
    }
}
