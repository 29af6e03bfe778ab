//! Zip archives: an Inspect AI `.eval` log (a zip of `header.json` and `samples/*.json`) opens
//! as its samples; any other zip is named as one. A small reader of our own (stored, deflated and
//! zstd members, zip64 sizes): the one thing needed from the format, on wasm too.

use std::io::Read as _;

use serde_json::Value;

use super::{Recognised, documents};
use crate::trace::load::{LoadError, fmt_bytes};

/// One member of an archive.
struct Member {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The central directory's members (`None` when it cannot be read).
fn directory(b: &[u8]) -> Option<Vec<Member>> {
    // the end-of-central-directory record: within the last 64 kB + 22 bytes
    let from = b.len().saturating_sub(65_557);
    let eocd = (from..b.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(b, i) == Some(0x0605_4b50))?;
    let mut entries = u64::from(u16_at(b, eocd + 10)?);
    let mut at = u64::from(u32_at(b, eocd + 16)?);
    if at == 0xFFFF_FFFF || entries == 0xFFFF {
        // zip64: the locator just before points at the zip64 record
        let loc = eocd.checked_sub(20)?;
        if u32_at(b, loc) != Some(0x0706_4b50) {
            return None;
        }
        let rec = usize::try_from(u64_at(b, loc + 8)?).ok()?;
        if u32_at(b, rec) != Some(0x0606_4b50) {
            return None;
        }
        entries = u64_at(b, rec + 32)?;
        at = u64_at(b, rec + 48)?;
    }
    let mut at = usize::try_from(at).ok()?;
    let mut out = Vec::new();
    for _ in 0..entries.min(1_000_000) {
        if u32_at(b, at) != Some(0x0201_4b50) {
            return None;
        }
        let method = u16_at(b, at + 10)?;
        let mut compressed = u64::from(u32_at(b, at + 20)?);
        let mut size = u64::from(u32_at(b, at + 24)?);
        let name_len = usize::from(u16_at(b, at + 28)?);
        let extra_len = usize::from(u16_at(b, at + 30)?);
        let comment_len = usize::from(u16_at(b, at + 32)?);
        let mut offset = u64::from(u32_at(b, at + 42)?);
        let name = String::from_utf8_lossy(b.get(at + 46..at + 46 + name_len)?).into_owned();
        // zip64 extra field: the 0xFFFFFFFF values, in order
        let extra = b.get(at + 46 + name_len..at + 46 + name_len + extra_len)?;
        let mut e = 0;
        while e + 4 <= extra.len() {
            let (id, len) = (u16_at(extra, e)?, usize::from(u16_at(extra, e + 2)?));
            if id == 0x0001 {
                let mut f = e + 4;
                for v in [&mut size, &mut compressed, &mut offset] {
                    if *v == 0xFFFF_FFFF {
                        *v = u64_at(extra, f)?;
                        f += 8;
                    }
                }
            }
            e += 4 + len;
        }
        out.push(Member {
            name,
            method,
            compressed,
            size,
            offset,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(out)
}

/// A member's bytes, at most `limit` of them.
fn read(b: &[u8], m: &Member, limit: u64) -> Result<Vec<u8>, String> {
    let at = usize::try_from(m.offset).map_err(|e| e.to_string())?;
    if u32_at(b, at) != Some(0x0403_4b50) {
        return Err(format!(
            "{}: no local header where the directory says",
            m.name
        ));
    }
    let name_len = usize::from(u16_at(b, at + 26).unwrap_or(0));
    let extra_len = usize::from(u16_at(b, at + 28).unwrap_or(0));
    let start = at + 30 + name_len + extra_len;
    let end = start.saturating_add(usize::try_from(m.compressed).unwrap_or(usize::MAX));
    let data = b
        .get(start..end)
        .ok_or_else(|| format!("{}: the archive is cut short", m.name))?;
    let mut out = Vec::with_capacity(usize::try_from(m.size.min(limit)).unwrap_or(0));
    match m.method {
        0 => out.extend_from_slice(data),
        8 => {
            flate2::read::DeflateDecoder::new(data)
                .take(limit.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| format!("{}: {e}", m.name))?;
        }
        // zstd (Inspect AI's default; 20 is the number older writers used)
        93 | 20 => zstd(data, limit, &mut out).map_err(|e| format!("{}: {e}", m.name))?,
        other => return Err(format!("{}: compressed with method {other}", m.name)),
    }
    Ok(out)
}

/// Decompresses zstd frames one after another (Inspect writes large members as several).
fn zstd(mut data: &[u8], limit: u64, out: &mut Vec<u8>) -> Result<(), String> {
    while !data.is_empty() && (out.len() as u64) <= limit {
        let mut frame = ruzstd::decoding::StreamingDecoder::new(&mut data)
            .map_err(|e| format!("not zstd data ({e})"))?;
        let room = limit.saturating_add(1).saturating_sub(out.len() as u64);
        (&mut frame)
            .take(room)
            .read_to_end(out)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A zip archive as traces: an Inspect AI `.eval` log's samples. `None` when `bytes` is not a
/// zip; an error naming what it is when it is a zip errata does not read.
pub fn from_archive(name: &str, bytes: &[u8], limit: u64) -> Result<Option<Recognised>, LoadError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(None);
    }
    let fail = |reason: String| LoadError::NotTraces {
        name: name.to_owned(),
        reason,
    };
    let members = directory(bytes).ok_or_else(|| {
        fail("it is a zip archive whose directory cannot be read (damaged or cut short)".to_owned())
    })?;
    let is_sample = |m: &&Member| m.name.starts_with("samples/") && m.name.ends_with(".json");
    let header = members
        .iter()
        .find(|m| m.name == "header.json")
        .or_else(|| members.iter().find(|m| m.name == "_journal/start.json"));
    let Some(header) = header.filter(|_| members.iter().any(|m| is_sample(&m))) else {
        return Err(fail(format!(
            "it is a zip archive ({} files), not an Inspect AI .eval log: unzip it and open the files inside",
            members.len()
        )));
    };
    let mut total = 0u64;
    let mut take = |m: &Member| -> Result<Vec<u8>, LoadError> {
        let out =
            read(bytes, m, limit).map_err(|e| fail(format!("a member does not read: {e}")))?;
        total += out.len() as u64;
        if total > limit {
            return Err(LoadError::TooLarge {
                name: name.to_owned(),
                what: format!("what the archive holds (more than {})", fmt_bytes(limit)),
                limit: fmt_bytes(limit),
            });
        }
        Ok(out)
    };
    let log: Value = serde_json::from_slice(&take(header)?)
        .map_err(|e| fail(format!("its header.json does not parse: {e}")))?;
    let head = documents::inspect_header(&log);
    let head_text = head.to_string();
    let epochs = log["eval"]["config"]["epochs"].as_u64().unwrap_or(1);
    let mut text = String::new();
    let mut n = 0;
    for m in members.iter().filter(is_sample) {
        let sample = String::from_utf8_lossy(&take(m)?).into_owned();
        if let Some(record) = documents::inspect_sample(&sample, &head_text, epochs) {
            text.push_str(&record);
            text.push('\n');
            n += 1;
        }
    }
    Ok(Some(Recognised {
        text: Some(text),
        what: documents::inspect_what(&head, n),
        mapping: Some(documents::inspect_mapping()),
        id: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A zip of stored members, written by hand.
    fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in files {
            let offset = out.len() as u32;
            let n = name.len() as u16;
            let len = data.len() as u32;
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&len.to_le_bytes());
            central.extend_from_slice(&len.to_le_bytes());
            central.extend_from_slice(&n.to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        let count = files.len() as u16;
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn an_eval_archive_opens_as_its_samples() {
        let header =
            br#"{"status":"success","eval":{"task":"t","model":"m","config":{"epochs":1}}}"#;
        let s1 = br#"{"id":"a","epoch":1,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"x"}]}"#;
        let bytes = zip(&[
            ("header.json", header),
            ("samples/a_epoch_1.json", s1),
            ("summaries.json", b"[]"),
        ]);
        let r = from_archive("x.eval", &bytes, 1 << 20)
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(r.what, "Inspect AI eval log: 1 sample of task t, model m");
        let rec: Value =
            serde_json::from_str(r.text.as_deref().unwrap_or("").trim()).unwrap_or(Value::Null);
        assert_eq!(rec["sample_id"], "a");
        assert_eq!(rec["eval"]["task"], "t");
    }

    #[test]
    fn other_zips_and_damaged_ones_say_what_they_are() {
        let bytes = zip(&[("notes.txt", b"hello")]);
        let e = from_archive("x.zip", &bytes, 1 << 20)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("not an Inspect AI .eval log")),
            "{e:?}"
        );
        let e = from_archive("x.zip", b"PK\x03\x04garbage", 1 << 20)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(|e| e.contains("cannot be read")),
            "{e:?}"
        );
        assert!(
            from_archive("x.json", b"{}", 1 << 20)
                .ok()
                .flatten()
                .is_none()
        );
    }

    #[test]
    fn an_archive_over_the_limit_is_refused() {
        let big = vec![b' '; 4096];
        let header = br#"{"eval":{"task":"t"}}"#;
        let bytes = zip(&[("header.json", header), ("samples/a.json", &big)]);
        let e = from_archive("x.eval", &bytes, 1000)
            .err()
            .map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|e| e.contains("limit")), "{e:?}");
    }
}
