//! ClickHouse over its HTTP interface (issue 17, work in progress): where a source is
//! (`clickhouse://USER@HOST:PORT/DATABASE/TABLE`), the SQL errata sends (identifiers and strings
//! quoted, nothing else interpolated), and the answers decoded (`FORMAT JSONCompact`, which old
//! and current releases both write: `meta` with names and types, then `data` rows).
//!
//! The same code runs natively and in the browser: requests are `ehttp` requests.

use serde::Deserialize;
use serde_json::Value;

/// Where a ClickHouse source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// `http://host:port` (or `https://…`).
    pub base: String,
    /// The user (`default` when none is given).
    pub user: String,
    /// The database.
    pub database: String,
    /// A table, or a whole `SELECT` used as one.
    pub target: Target,
}

/// A table or a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A table of `database`.
    Table(String),
    /// A `SELECT` whose rows are the traces.
    Query(String),
}

/// Why a source or an answer could not be used. Each names the server.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The URL is not a ClickHouse source.
    #[error("not a ClickHouse source: {0} (expected clickhouse://USER@HOST:PORT/DATABASE/TABLE)")]
    Url(String),
    /// The server answered with an error.
    #[error("ClickHouse at {server}: {message}")]
    Server {
        /// `host:port`.
        server: String,
        /// The server's message (its exception text, without the stack trace).
        message: String,
        /// The exception code, when the server gave one.
        code: Option<u32>,
    },
    /// The answer was not what was asked for.
    #[error("ClickHouse at {server}: the answer is not JSONCompact: {reason}")]
    Answer {
        /// `host:port`.
        server: String,
        /// What was wrong.
        reason: String,
    },
}

impl Source {
    /// Parses `clickhouse://[USER@]HOST[:PORT]/DATABASE/TABLE`, or with `?query=SELECT…`
    /// (percent-encoded) instead of a table; `clickhouses://` for HTTPS. The port defaults to
    /// 8123 (8443 for HTTPS).
    pub fn parse(url: &str) -> Result<Source, Error> {
        let bad = || Error::Url(url.to_owned());
        let (scheme, rest) = if let Some(r) = url.strip_prefix("clickhouse://") {
            ("http", r)
        } else if let Some(r) = url.strip_prefix("clickhouses://") {
            ("https", r)
        } else {
            return Err(bad());
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (percent_decode(u).ok_or_else(bad)?, h),
            None => ("default".to_owned(), authority),
        };
        if host.is_empty() || user.contains(':') {
            // a password in the URL would end up in logs and project files: refused
            return Err(bad());
        }
        let host = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:{}", if scheme == "https" { 8443 } else { 8123 })
        };
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        let database = parts
            .next()
            .map_or(Some("default".to_owned()), percent_decode)
            .ok_or_else(bad)?;
        let table = parts.next().map(percent_decode);
        if parts.next().is_some() {
            return Err(bad());
        }
        let sql = query
            .and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("query="))
                    .map(|v| percent_decode(&v.replace('+', " ")))
            })
            .flatten();
        let target = match (table, sql) {
            (Some(Some(t)), None) => Target::Table(t),
            (None, Some(q)) if is_select(&q) => Target::Query(q),
            _ => return Err(bad()),
        };
        Ok(Source {
            base: format!("{scheme}://{host}"),
            user,
            database,
            target,
        })
    }

    /// `host:port`, for messages and the project's key.
    pub fn server(&self) -> &str {
        self.base.split_once("://").map_or(&self.base, |(_, h)| h)
    }

    /// What the rows come from in a `FROM`: the quoted table, or the query as a subquery.
    pub fn from(&self) -> String {
        match &self.target {
            Target::Table(t) => format!("{}.{}", ident(&self.database), ident(t)),
            Target::Query(q) => format!("({})", q.trim().trim_end_matches(';')),
        }
    }

    /// The HTTP request for `sql` (the password, when given, goes in a header, never the URL).
    pub fn request(&self, sql: &str, password: Option<&str>) -> ehttp::Request {
        self.request_as(sql, password, None)
    }

    /// The request for `sql` under `query_id`: a newer query with the same id replaces the
    /// running one on the server (`replace_running_query`), and `KILL QUERY` can stop it. The
    /// answer carries the CORS header a browser needs (`add_http_cors_header`).
    pub fn request_as(
        &self,
        sql: &str,
        password: Option<&str>,
        query_id: Option<&str>,
    ) -> ehttp::Request {
        let mut url = format!(
            "{}/?database={}&max_execution_time={TIMEOUT_SECS}&max_query_size=16777216&add_http_cors_header=1",
            self.base,
            percent_encode(&self.database)
        );
        if let Some(id) = query_id {
            url.push_str(&format!(
                "&query_id={}&replace_running_query=1",
                percent_encode(id)
            ));
        }
        // a browser sends a request with headers of its own only after a CORS preflight, which
        // older servers do not answer: there the user and password go as parameters (over
        // HTTPS the URL is encrypted like a header; ClickHouse does not log them)
        if cfg!(target_arch = "wasm32") {
            url.push_str(&format!("&user={}", percent_encode(&self.user)));
            if let Some(p) = password {
                url.push_str(&format!("&password={}", percent_encode(p)));
            }
        }
        let mut req = ehttp::Request::post(url, sql.as_bytes().to_vec());
        if !cfg!(target_arch = "wasm32") {
            req.headers.insert("X-ClickHouse-User", self.user.clone());
            if let Some(p) = password {
                req.headers.insert("X-ClickHouse-Key", p.to_owned());
            }
        }
        req.headers
            .insert("Content-Type", "text/plain; charset=utf-8");
        req
    }

    /// The source as a URL, without any password (the project's key, the title).
    pub fn url(&self) -> String {
        let scheme = if self.base.starts_with("https") {
            "clickhouses"
        } else {
            "clickhouse"
        };
        match &self.target {
            Target::Table(t) => format!(
                "{scheme}://{}@{}/{}/{t}",
                self.user,
                self.server(),
                self.database
            ),
            Target::Query(q) => format!(
                "{scheme}://{}@{}/{}?query={}",
                self.user,
                self.server(),
                self.database,
                percent_encode(q)
            ),
        }
    }
}

/// A request that got no whole answer, named by its server: unreachable, or dropped mid-answer.
/// The request's URL is left out (in the browser it carries the password).
pub fn transport_error(server: &str, url: &str, error: &str) -> String {
    let e = error.replace(&format!(": {url}"), "").replace(url, "…");
    if e.contains("response body") {
        format!("ClickHouse at {server}: the connection dropped mid-answer ({e})")
    } else if e.contains("larger than") || e.contains("timed out") {
        format!("ClickHouse at {server}: {e}")
    } else {
        format!("ClickHouse at {server} cannot be reached: {e}")
    }
}

/// Seconds a query may run on the server before it gives up (`max_execution_time`).
pub const TIMEOUT_SECS: u32 = 30;

fn is_select(sql: &str) -> bool {
    let s = sql.trim_start().to_ascii_lowercase();
    s.starts_with("select") || s.starts_with("with")
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but unreserved characters.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An identifier quoted for ClickHouse: `` `name` `` with backquotes and backslashes escaped.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// A string literal: `'text'` with quotes and backslashes escaped.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A column type, with the wrappers that do not change how a value reads taken off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// Integers (64-bit ones come as JSON strings).
    Int,
    /// Floats and decimals.
    Float,
    /// `Bool`.
    Bool,
    /// Strings, enums, UUIDs, IPs, dates: read as text.
    Text,
    /// `DateTime` / `DateTime64`: text in the server's format.
    Time,
    /// `Array(T)`.
    Array(Box<Type>),
    /// `Map(K, V)`: a JSON object.
    Map(Box<Type>),
    /// `JSON` / `Object('json')` and tuples: JSON as it comes.
    Json,
}

impl Type {
    /// Parses a type name as the server writes it (`Nullable(LowCardinality(String))`,
    /// `DateTime64(3, 'UTC')`, `Map(String, String)`…).
    pub fn parse(name: &str) -> Type {
        let name = name.trim();
        let inner = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
        };
        if let Some(t) = inner("Nullable").or_else(|| inner("LowCardinality")) {
            return Type::parse(t);
        }
        if let Some(t) = inner("Array") {
            return Type::Array(Box::new(Type::parse(t)));
        }
        if let Some(kv) = inner("Map") {
            let v = split_top(kv).get(1).map_or(Type::Text, |v| Type::parse(v));
            return Type::Map(Box::new(v));
        }
        match name.split('(').next().unwrap_or(name) {
            "Bool" => Type::Bool,
            n if n.starts_with("Int") || n.starts_with("UInt") => Type::Int,
            n if n.starts_with("Float") || n.starts_with("Decimal") => Type::Float,
            "DateTime" | "DateTime64" => Type::Time,
            "JSON" | "Object" | "Tuple" | "Nested" | "Variant" | "Dynamic" => Type::Json,
            _ => Type::Text,
        }
    }
}

/// Splits `a, b(c, d), e` at its top-level commas.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut quoted) = (0i32, 0, false);
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

/// A decoded answer: columns with their types, rows of JSON values (64-bit integers as numbers).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    /// `(name, type)` per column.
    pub columns: Vec<(String, Type)>,
    /// The types as the server named them.
    pub type_names: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct Compact {
    meta: Vec<Meta>,
    data: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct Meta {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

/// The server's error text, without its stack trace: `Code: 60, e.displayText() =
/// DB::Exception: Table default.x doesn't exist.` (old) or `Code: 60. DB::Exception: … (UNKNOWN_TABLE)`.
pub fn server_error(server: &str, status: u16, body: &[u8]) -> Error {
    let text = String::from_utf8_lossy(body);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let code = first
        .strip_prefix("Code: ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    let message = first
        .split_once("DB::Exception: ")
        .map_or(first, |(_, m)| m)
        .split(", e.what()")
        .next()
        .unwrap_or(first)
        .trim()
        .to_owned();
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message
    };
    Error::Server {
        server: server.to_owned(),
        message,
        code,
    }
}

/// Decodes a `FORMAT JSONCompact` answer (status 200), or the server's error (any other).
pub fn decode(server: &str, status: u16, body: &[u8]) -> Result<Rows, Error> {
    if status != 200 {
        return Err(server_error(server, status, body));
    }
    let compact: Compact = serde_json::from_slice(body).map_err(|e| {
        // an exception thrown mid-stream ends the body with its text
        if String::from_utf8_lossy(body).contains("DB::Exception") {
            let tail = String::from_utf8_lossy(body);
            let at = tail.find("Code: ").unwrap_or(0);
            return server_error(server, status, tail[at..].as_bytes());
        }
        Error::Answer {
            server: server.to_owned(),
            reason: e.to_string(),
        }
    })?;
    let type_names: Vec<String> = compact.meta.iter().map(|m| m.kind.clone()).collect();
    let columns: Vec<(String, Type)> = compact
        .meta
        .into_iter()
        .map(|m| (m.name, Type::parse(&m.kind)))
        .collect();
    let rows = compact
        .data
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&columns)
                .map(|(v, (_, t))| typed(v, t))
                .collect()
        })
        .collect();
    Ok(Rows {
        columns,
        type_names,
        rows,
    })
}

/// A value as its type says (64-bit integers and big floats come quoted).
fn typed(v: Value, t: &Type) -> Value {
    match (t, v) {
        (Type::Int, Value::String(s)) => s
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<u64>().map(Value::from))
            .unwrap_or(Value::String(s)),
        (Type::Float, Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s), Value::Number),
        (Type::Bool, Value::Number(n)) => Value::Bool(n.as_u64() == Some(1)),
        (Type::Array(inner), Value::Array(items)) => {
            Value::Array(items.into_iter().map(|x| typed(x, inner)).collect())
        }
        (Type::Map(inner), Value::Object(m)) => {
            Value::Object(m.into_iter().map(|(k, x)| (k, typed(x, inner))).collect())
        }
        (_, v) => v,
    }
}

mod records;
mod sql;
pub use records::*;
pub use sql::*;

#[cfg(test)]
mod tests;
