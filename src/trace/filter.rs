//! Filters over the store: a SQL `WHERE` over metadata (polars-sql), facet selections, full-text
//! search over input and output, each producing a row mask; composed into the view's row list.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::store::{ROW_COLUMN, TraceStore};

/// Errors of the filter layer.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// The SQL did not parse or names a missing column.
    #[error("{message}")]
    Sql {
        /// polars-sql's message.
        message: String,
        /// 1-based character position, when the parser gave one.
        position: Option<usize>,
    },
    /// The condition is over one of errata's limits (checked before the SQL engine runs it).
    #[error("{0}")]
    Limit(String),
    /// The regex does not compile.
    #[error("not a valid regular expression: {0}")]
    Regex(String),
}

/// Where full-text search looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Input and output.
    #[default]
    Both,
    /// Input only.
    Input,
    /// Output only.
    Output,
}

/// A full-text search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Search {
    /// The text (or pattern).
    pub text: String,
    /// Treat `text` as a regular expression.
    pub regex: bool,
    /// Match case exactly (default: case-insensitive).
    pub case_sensitive: bool,
    /// Where to look.
    pub scope: Scope,
}

impl Search {
    /// Whether there is anything to search for.
    pub fn is_active(&self) -> bool {
        !self.text.is_empty()
    }

    /// The compiled matcher (literal text is escaped).
    pub fn matcher(&self) -> Result<regex::bytes::Regex, FilterError> {
        let pattern = if self.regex {
            self.text.clone()
        } else {
            regex::escape(&self.text)
        };
        regex::bytes::RegexBuilder::new(&pattern)
            .case_insensitive(!self.case_sensitive)
            .unicode(true)
            .size_limit(1 << 24)
            .build()
            .map_err(|e| FilterError::Regex(e.to_string()))
    }
}

/// Rewrites a WHERE clause so that dotted column names (`metadata.env`) are quoted identifiers,
/// leaving string literals and already-quoted names alone.
pub fn quote_dotted(sql: &str, columns: &[String]) -> String {
    quote_dotted_mapped(sql, columns).0
}

/// [`quote_dotted`], with the position in `sql` of every character of the result (to report
/// the SQL engine's positions in the user's text).
fn quote_dotted_mapped(sql: &str, columns: &[String]) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut map = Vec::with_capacity(sql.len() + 8);
    let chars: Vec<char> = sql.chars().collect();
    let mut push = |out: &mut String, c: char, at: usize| {
        out.push(c);
        map.push(at);
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // copy a quoted run verbatim ('' and "" escape themselves)
            push(&mut out, c, i);
            i += 1;
            while i < chars.len() {
                push(&mut out, chars[i], i);
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        push(&mut out, c, i + 1);
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let quote = word.contains('.') && columns.contains(&word);
            if quote {
                push(&mut out, '"', start);
            }
            for (k, ch) in word.chars().enumerate() {
                push(&mut out, ch, start + k);
            }
            if quote {
                push(&mut out, '"', i.saturating_sub(1));
            }
            continue;
        }
        push(&mut out, c, i);
        i += 1;
    }
    (out, map)
}

/// The most `AND`/`OR` terms a WHERE may have: deeper expressions overflow the SQL engine's
/// recursion (a 2,000-term `OR` aborted the process). Natively the engine runs on a thread with
/// a large stack, so this is far from where it fails; the browser's stack is smaller.
pub const MAX_SQL_TERMS: usize = if cfg!(target_arch = "wasm32") {
    200
} else {
    1000
};

/// The deepest nesting of parentheses a WHERE may have.
pub const MAX_SQL_DEPTH: usize = 40;

/// Checks a WHERE condition before the SQL engine sees it: one condition (no `;`, no comments,
/// no parenthesis closing what it did not open, so `1=1 LIMIT 3` or `x) OR (1=1` cannot reach
/// past the WHERE), within [`MAX_SQL_TERMS`] and [`MAX_SQL_DEPTH`].
pub fn check_condition(cond: &str) -> Result<(), FilterError> {
    let chars: Vec<char> = cond.chars().collect();
    let (mut depth, mut max_depth, mut terms) = (0usize, 0usize, 0usize);
    let at = |i: usize, message: String| FilterError::Sql {
        message,
        position: Some(i + 1),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                i += 1;
                while i < chars.len() {
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(at(i.saturating_sub(1), format!("a {c} is never closed")));
                }
            }
            '(' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    at(
                        i,
                        "this ) closes a parenthesis that was never opened".to_owned(),
                    )
                })?;
            }
            ';' => return Err(at(i, "a WHERE is one condition: remove the ;".to_owned())),
            '-' if chars.get(i + 1) == Some(&'-') => {
                return Err(at(i, "comments (--) are not allowed in a WHERE".to_owned()));
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                return Err(at(
                    i,
                    "comments (/* */) are not allowed in a WHERE".to_owned(),
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i + 1 < chars.len()
                    && (chars[i + 1].is_alphanumeric() || matches!(chars[i + 1], '_' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..=i].iter().collect();
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
                    terms += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err(at(
            chars.len().saturating_sub(1),
            format!("{depth} parenthesis(es) never closed"),
        ));
    }
    if terms + 1 > MAX_SQL_TERMS {
        return Err(FilterError::Limit(format!(
            "the condition has {} AND/OR terms; errata's limit is {MAX_SQL_TERMS} (a list of values is shorter as `column IN ('a', 'b', …)`)",
            terms + 1
        )));
    }
    if max_depth > MAX_SQL_DEPTH {
        return Err(FilterError::Limit(format!(
            "the condition nests parentheses {max_depth} deep; errata's limit is {MAX_SQL_DEPTH}"
        )));
    }
    Ok(())
}

/// The label columns a WHERE can use: `verdict` ('pass', 'fail' or NULL), `categories` (the
/// trace's categories, comma-separated), `note`, `author`; also as `label.verdict` and so on,
/// which always name the label even when the dump has a field of the same name.
pub const LABEL_COLUMNS: [&str; 4] = ["verdict", "categories", "note", "author"];

/// The expert's label state per row (built by the caller, who knows the labels), for a WHERE.
#[derive(Clone, Debug, Default)]
pub struct LabelColumns {
    /// `pass`, `fail`, or none.
    pub verdict: Vec<Option<&'static str>>,
    /// Categories joined by ", ".
    pub categories: Vec<Option<String>>,
    /// The note.
    pub note: Vec<Option<String>>,
    /// Who labelled it last.
    pub author: Vec<Option<String>>,
}

/// Whether a WHERE names a label column (so the caller builds [`LabelColumns`] only then).
pub fn mentions_labels(sql: &str) -> bool {
    let lower = sql.to_lowercase();
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .any(|w| {
            let w = w.strip_prefix("label.").unwrap_or(w);
            LABEL_COLUMNS.contains(&w)
        })
}

/// The SQL engine's message in the user's terms: no query plan, none of errata's hidden
/// columns, positions in the user's condition.
fn clean_sql_message(message: &str, prefix_chars: usize, map: &[usize]) -> (String, Option<usize>) {
    let mut text = message.to_owned();
    for marker in [
        "\n\nResolved plan until failure",
        "\nResolved plan",
        "FAILED HERE",
    ] {
        if let Some(i) = text.find(marker) {
            text.truncate(i);
        }
    }
    for hidden in [super::store::ROW_COLUMN, super::store::ID_COLUMN] {
        text = text
            .replace(&format!("\"{hidden}\", "), "")
            .replace(&format!(", \"{hidden}\""), "")
            .replace(&format!("\"{hidden}\""), "");
    }
    let text = text.trim().trim_end_matches(':').trim().to_owned();
    let position = sql_position(message).and_then(|col| {
        // the engine counts from the start of the whole statement, 1-based
        let in_cond = col.checked_sub(prefix_chars + 1)?;
        map.get(in_cond).or(map.last()).map(|p| p + 1)
    });
    let text = match (position, text.rfind("Column: ")) {
        (Some(p), Some(i)) => format!(
            "{} column {p}",
            text[..i].trim_end().trim_end_matches("Line: 1,").trim_end()
        ),
        _ => text,
    };
    (text, position)
}

fn sql_position(message: &str) -> Option<usize> {
    let i = message.find("Column: ")?;
    message[i + 8..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// Runs `f` where a deep expression cannot overflow the caller's stack: natively on a thread
/// with a large stack (its pages are touched only as far as the recursion goes). `None` when the
/// engine panicked (reported as an error, never passed on to the app).
fn on_deep_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("errata-sql".to_owned())
                .stack_size(256 << 20)
                .spawn_scoped(scope, f)
                .ok()
                .and_then(|h| h.join().ok())
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
    }
}

/// Rows whose metadata satisfy the SQL `WHERE` clause, as a mask.
pub fn sql_mask(store: &TraceStore, where_clause: &str) -> Result<Vec<bool>, FilterError> {
    sql_mask_with(store, where_clause, None)
}

/// [`sql_mask`], with the label state as columns the condition can use ([`LABEL_COLUMNS`]).
pub fn sql_mask_with(
    store: &TraceStore,
    where_clause: &str,
    labels: Option<&LabelColumns>,
) -> Result<Vec<bool>, FilterError> {
    let user = where_clause.trim();
    check_condition(user)?;
    let mut columns: Vec<String> = store.columns().iter().map(|c| c.name.clone()).collect();
    let mut frame = store.df().clone();
    let has_cats = frame
        .get_columns()
        .iter()
        .any(|c| super::cats::is_cat(c.dtype()));
    if let Some(l) = labels.filter(|l| l.verdict.len() == store.len()) {
        let named = |name: &str| PlSmallStr::from(name);
        let mut extra: Vec<Column> = Vec::new();
        for (name, values) in [
            (
                "verdict",
                l.verdict
                    .iter()
                    .map(|v| v.map(str::to_owned))
                    .collect::<Vec<_>>(),
            ),
            ("categories", l.categories.clone()),
            ("note", l.note.clone()),
            ("author", l.author.clone()),
        ] {
            let qualified = format!("label.{name}");
            extra.push(Column::new(named(&qualified), values.clone()));
            columns.push(qualified);
            if !columns.iter().any(|c| c == name) {
                extra.push(Column::new(named(name), values));
            }
        }
        for c in extra {
            frame.with_column(c).map_err(|e| FilterError::Sql {
                message: e.to_string(),
                position: None,
            })?;
        }
    }
    let (cond, map) = quote_dotted_mapped(user, &columns);
    let prefix = format!("SELECT \"{ROW_COLUMN}\" FROM traces WHERE (");
    let query = format!("{prefix}{cond})");
    let prefix_chars = prefix.chars().count();
    let sql_err = |e: PolarsError| {
        let (message, position) = clean_sql_message(&e.to_string(), prefix_chars, &map);
        FilterError::Sql { message, position }
    };
    let run = |frame: LazyFrame| {
        let query = &query;
        on_deep_stack(move || {
            let mut ctx = polars::sql::SQLContext::new();
            ctx.register("traces", frame);
            ctx.execute(query).and_then(LazyFrame::collect)
        })
    };
    // categories compare as their text (=, IN, <, BETWEEN…), straight on their codes; a string
    // function (LIKE, lower, length…) refuses them, and runs again over them cast to text
    let first = match has_cats {
        true => run(frame.clone().lazy()).filter(Result::is_ok),
        false => None,
    };
    let out = match first {
        Some(out) => Some(out),
        None => run(super::cats::as_text(frame.clone().lazy(), &frame)),
    }
    .ok_or_else(|| FilterError::Sql {
        message:
            "the SQL engine failed on this condition (errata caught it); simplify the condition"
                .to_owned(),
        position: None,
    })?
    .map_err(sql_err)?;
    let rows = out
        .column(ROW_COLUMN)
        .and_then(|c| c.u32().cloned())
        .map_err(sql_err)?;
    let mut mask = vec![false; store.len()];
    for r in rows.into_iter().flatten() {
        if let Some(m) = mask.get_mut(r as usize) {
            *m = true;
        }
    }
    Ok(mask)
}

/// Rows whose input/output (per `search.scope`) match, as a mask; `notes_match` adds rows whose
/// label note matches (the caller knows the labels).
pub fn search_mask(store: &TraceStore, search: &Search) -> Result<Vec<bool>, FilterError> {
    let re = search.matcher()?;
    // a literal's longest run that JSON writers never escape must be in the raw bytes: rows
    // without it are skipped before any decoding
    let prefilter = if search.regex {
        None
    } else {
        super::text::raw_piece(&search.text)
            .map(|piece| {
                regex::bytes::RegexBuilder::new(&regex::escape(piece))
                    .case_insensitive(!search.case_sensitive)
                    .build()
            })
            .transpose()
            .map_err(|e| FilterError::Regex(e.to_string()))?
    };
    let split = store.mapping.split_conversation;
    // a literal JSON never escapes can be found in the raw bytes when it lies inside one string
    // value: no decoding for those rows (most rows of a common word)
    let raw_ok = !search.regex
        && !search
            .text
            .chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '/'));
    let n = store.len();
    let check = |range: std::ops::Range<usize>| -> Vec<bool> {
        let mut buf = String::new();
        let candidate = |raw: Option<&str>| {
            raw.is_some_and(|t| prefilter.as_ref().is_none_or(|p| p.is_match(t.as_bytes())))
        };
        let mut hit = |raw: Option<&str>, part: Scope| -> bool {
            if !candidate(raw) {
                return false;
            }
            if raw_ok
                && (!split || part == Scope::Both)
                && super::text::raw_value_match(raw.unwrap_or("").as_bytes(), &re)
            {
                return true;
            }
            buf.clear();
            let last_turn = super::text::decoded_strings(raw.unwrap_or(""), &mut buf);
            let text = match (split, part, last_turn) {
                (true, Scope::Input, Some(at)) => &buf[..at],
                (true, Scope::Output, Some(at)) => &buf[at..],
                (true, Scope::Output, None) => "",
                _ => &buf,
            };
            re.is_match(text.as_bytes())
        };
        let spans = store.span_index();
        range
            .map(|r| match (search.scope, split, spans) {
                // the conversation holds both sides: the last assistant turn is the output
                (scope, true, _) => hit(store.raw_input(r), scope),
                // spans grouped into a trace: the text of every span
                (scope, false, Some(index)) => index.of(r).iter().any(|&i| {
                    let i = i as usize;
                    (scope != Scope::Output && hit(store.span_input(i), Scope::Both))
                        || (scope != Scope::Input && hit(store.span_output(i), Scope::Both))
                }),
                (Scope::Both, false, None) => {
                    hit(store.raw_input(r), Scope::Both) || hit(store.raw_output(r), Scope::Both)
                }
                (Scope::Input, false, None) => hit(store.raw_input(r), Scope::Both),
                (Scope::Output, false, None) => hit(store.raw_output(r), Scope::Both),
            })
            .collect()
    };
    let threads = parallelism().min(n.div_ceil(10_000)).max(1);
    if threads == 1 {
        return Ok(check(0..n));
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let per = n.div_ceil(threads);
        let parts: Vec<Vec<bool>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = (t * per).min(n)..((t + 1) * per).min(n);
                    let check = &check;
                    (
                        range.clone(),
                        std::thread::Builder::new()
                            .name(format!("errata-search-{t}"))
                            .spawn_scoped(scope, move || check(range)),
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|(range, h)| match h {
                    Ok(h) => h.join().unwrap_or_else(|_| check(range)),
                    Err(_) => check(range),
                })
                .collect()
        });
        Ok(parts.concat())
    }
    #[cfg(target_arch = "wasm32")]
    {
        Ok(check(0..n))
    }
}

fn parallelism() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Byte ranges of `text` that match (for highlighting), at most `limit`.
pub fn match_ranges(
    re: &regex::bytes::Regex,
    text: &str,
    limit: usize,
) -> Vec<std::ops::Range<usize>> {
    re.find_iter(text.as_bytes())
        .filter(|m| !m.is_empty())
        .take(limit)
        .map(|m| m.range())
        .filter(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        .collect()
}

/// A facet: one low-cardinality column's selected values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facet {
    /// Values to keep (any of); empty = no restriction.
    pub include: Vec<String>,
    /// Values to drop.
    pub exclude: Vec<String>,
}

/// The display text of each row's value in a column (`None` for null), cheaply.
fn column_texts(store: &TraceStore, column: &str) -> Option<Vec<Option<String>>> {
    let i = store.column_index(column)?;
    Some((0..store.len()).map(|r| store.cell(r, i)).collect())
}

/// Rows passing a facet selection on `column`.
pub fn facet_mask(store: &TraceStore, column: &str, facet: &Facet) -> Vec<bool> {
    let pass = |v: &str| {
        (facet.include.is_empty() || facet.include.iter().any(|i| i == v))
            && !facet.exclude.iter().any(|e| e == v)
    };
    if let Some(texts) = store.df().column(column).ok().and_then(super::cats::texts) {
        return texts.map(|v| pass(v.unwrap_or("null"))).collect();
    }
    let Some(i) = store.column_index(column) else {
        return vec![true; store.len()];
    };
    (0..store.len())
        .map(|r| pass(store.cell(r, i).as_deref().unwrap_or("null")))
        .collect()
}

/// Value counts of `column` over the rows where `mask` is true, most frequent first (ties by value).
pub fn facet_counts(
    store: &TraceStore,
    column: &str,
    mask: Option<&[bool]>,
) -> Vec<(String, usize)> {
    let keep = |r: usize| mask.is_none_or(|m| m.get(r).copied().unwrap_or(false));
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    if let Some(texts) = store.df().column(column).ok().and_then(super::cats::texts) {
        // text (plain or categories): count borrowed values, allocate once per distinct value
        let mut borrowed: std::collections::HashMap<Option<&str>, usize> =
            std::collections::HashMap::new();
        for (r, v) in texts.enumerate() {
            if keep(r) {
                *borrowed.entry(v).or_insert(0) += 1;
            }
        }
        for (v, n) in borrowed {
            counts.insert(v.unwrap_or("null").to_owned(), n);
        }
    } else if let Some(texts) = column_texts(store, column) {
        for (r, v) in texts.into_iter().enumerate() {
            if keep(r) {
                *counts
                    .entry(v.unwrap_or_else(|| "null".to_owned()))
                    .or_insert(0) += 1;
            }
        }
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Columns worth faceting: at most `max_values` distinct values.
pub fn facet_columns(store: &TraceStore, max_values: usize) -> Vec<String> {
    store
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype.as_str(), "str" | "bool" | "i64"))
        .filter(|c| {
            let Ok(col) = store.df().column(&c.name) else {
                return false;
            };
            if !col.n_unique().is_ok_and(|n| n <= max_values && n > 1) {
                return false;
            }
            // free text (an expert's notes) is read, not counted: no long or multi-line values
            super::cats::texts(col).is_none_or(|mut texts| {
                texts.all(|v| v.is_none_or(|v| v.len() <= FACET_VALUE_CHARS && !v.contains('\n')))
            })
        })
        .map(|c| c.name.clone())
        .collect()
}

/// The longest value a facet shows; a column with longer ones is free text, not a facet.
pub const FACET_VALUE_CHARS: usize = 60;

/// `a &= b`, elementwise.
pub fn and_into(a: &mut [bool], b: &[bool]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x &= *y;
    }
}
