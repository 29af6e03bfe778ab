//! RFC 3339 timestamps without a date crate: civil-from-days (Howard Hinnant's algorithm).

/// `unix_secs` as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339(unix_secs: i64) -> String {
    let mut out = String::with_capacity(24);
    write_seconds(&mut out, unix_secs);
    out.push('Z');
    out
}

/// `YYYY-MM-DDTHH:MM:SS` of `unix_secs`, appended to `out`.
fn write_seconds(out: &mut String, unix_secs: i64) {
    use std::fmt::Write as _;
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff…][Z|±HH:MM]` as milliseconds since the Unix epoch (a missing
/// zone is UTC, as LangSmith and pandas write it). `None` for anything else.
pub fn parse_ms(text: &str) -> Option<f64> {
    let b = text.trim().as_bytes();
    // at most 4 digits a field: no overflow, and no string parsing (span dumps have millions)
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac = 0.0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 0.1;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            frac += f64::from(d - b'0') * scale;
            scale /= 10.0;
            i += 1;
        }
    }
    let offset_min = match b.get(i) {
        None | Some(b'Z' | b'z') => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = match b.get(i + 3) {
                Some(b':') => num(i + 4..i + 6)?,
                _ => num(i + 3..i + 5).unwrap_or(0),
            };
            let m = oh * 60 + om;
            if sign == b'-' { -m } else { m }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Some(secs as f64 * 1000.0 + frac * 1000.0)
}

/// `unix_ms` as RFC 3339 UTC with milliseconds.
pub fn rfc3339_ms(unix_ms: f64) -> String {
    let secs = (unix_ms / 1000.0).floor();
    let ms = ((unix_ms - secs * 1000.0).round() as i64).clamp(0, 999);
    // one string, written once (a trace start a grouped trace: 100,000 of them at a load)
    let mut out = String::with_capacity(24);
    write_seconds(&mut out, secs as i64);
    out.push('.');
    for d in [ms / 100, ms / 10 % 10, ms % 10] {
        out.push(char::from(b'0' + d as u8));
    }
    out.push('Z');
    out
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since the Unix epoch, now (natively from the system clock, in the browser from `Date`).
pub fn now_unix_secs() -> i64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
    }
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    rfc3339(now_unix_secs())
}

/// Milliseconds on a monotonic clock (for measuring durations; natively `Instant`, in the
/// browser `performance.now()`-like `Date.now()`).
pub fn monotonic_ms() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_651_200 + 3661), "2026-11-26T01:01:01Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_the_timestamps_tracing_tools_write() {
        assert_eq!(parse_ms("1970-01-01T00:00:01Z"), Some(1000.0));
        assert_eq!(
            parse_ms("2000-02-29T00:00:00.250Z"),
            Some(951_782_400_250.0)
        );
        // Phoenix / pandas, LangSmith (no zone), offsets
        assert_eq!(
            parse_ms("2000-02-29 01:00:00.250000+01:00"),
            Some(951_782_400_250.0)
        );
        assert_eq!(
            parse_ms("2000-02-29T00:00:00.250000"),
            Some(951_782_400_250.0)
        );
        assert_eq!(
            parse_ms("1999-12-31T20:00:00-0400"),
            Some(946_684_800_000.0)
        );
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-01-01T00:00:00Q",
            "2024-01-01",
        ] {
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
        assert_eq!(rfc3339_ms(951_782_400_250.0), "2000-02-29T00:00:00.250Z");
        for ms in [0.0, 1_795_651_200_123.0, -86_400_000.0] {
            assert_eq!(parse_ms(&rfc3339_ms(ms)), Some(ms));
        }
    }
}
