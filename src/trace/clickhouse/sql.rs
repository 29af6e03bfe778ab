//! The SQL errata sends to ClickHouse: a view's conditions, counts, pages, facets, samples,
//! the schema, and what a table's columns say it holds.

use super::{Source, Target, Type, ident, literal};

/// The conditions of a view, as SQL: the user's WHERE (sent as written, in parentheses; the
/// server checks it and its error is shown), a search over text columns, the traces a label
/// filter keeps (sent as a set of ids), and for span tables a row per trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The user's condition.
    pub sql: Option<String>,
    /// Text searched in `search_columns` (case-insensitive substring, or a regular expression).
    pub search: Option<String>,
    /// Search as a regular expression (RE2, the server's).
    pub regex: bool,
    /// Match case exactly.
    pub case_sensitive: bool,
    /// The SQL expressions searched (the input and output columns, quoted with [`ident`], or
    /// an attribute read out of a map or JSON text).
    pub search_columns: Vec<String>,
    /// The traces a label filter keeps (or drops), by id.
    pub labelled: Option<IdSet>,
    /// A span table: a row per trace (its root span), kept when any of its spans matches.
    pub spans: Option<SpanScope>,
}

/// Ids a view keeps (`inside`) or drops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdSet {
    /// The id column.
    pub column: String,
    /// The ids.
    pub ids: Vec<String>,
    /// Keep only these (else: all but these).
    pub inside: bool,
}

/// How a span table is read as traces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanScope {
    /// The column spans of one trace share (`TraceId`).
    pub key: String,
    /// The condition that picks a trace's root span (`ParentSpanId = ''`).
    pub root: String,
    /// The spans' `FROM` (for the subquery over all of a trace's spans).
    pub from: String,
}

impl Conditions {
    /// ` WHERE …`, or nothing.
    pub fn clause(&self) -> String {
        let mut parts = Vec::new();
        if let Some(sql) = self.sql.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            parts.push(format!("({sql})"));
        }
        if let Some(text) = self.search.as_deref().filter(|t| !t.is_empty())
            && !self.search_columns.is_empty()
        {
            let each: Vec<String> = self
                .search_columns
                .iter()
                .map(|c| {
                    let col = format!("toString({c})");
                    match (self.regex, self.case_sensitive) {
                        (true, true) => format!("match({col}, {})", literal(text)),
                        (true, false) => {
                            format!("match({col}, {})", literal(&format!("(?i){text}")))
                        }
                        (false, true) => format!("position({col}, {}) > 0", literal(text)),
                        (false, false) => {
                            format!("positionCaseInsensitiveUTF8({col}, {}) > 0", literal(text))
                        }
                    }
                })
                .collect();
            parts.push(format!("({})", each.join(" OR ")));
        }
        if let Some(s) = &self.spans {
            // the user's condition and the search hold for any span; the row is the root's
            let any_span = if parts.is_empty() {
                None
            } else {
                Some(format!(
                    "{key} IN (SELECT {key} FROM {} WHERE {})",
                    s.from,
                    parts.join(" AND "),
                    key = ident(&s.key)
                ))
            };
            parts = std::iter::once(format!("({})", s.root))
                .chain(any_span)
                .collect();
        }
        if let Some(set) = &self.labelled {
            match (set.inside, set.ids.is_empty()) {
                (true, true) => parts.push("0".to_owned()),
                (false, true) => {}
                (inside, false) => {
                    let ids: Vec<String> = set.ids.iter().map(|i| literal(i)).collect();
                    parts.push(format!(
                        "toString({}) {}IN ({})",
                        ident(&set.column),
                        if inside { "" } else { "NOT " },
                        ids.join(", ")
                    ));
                }
            }
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    /// ` AND <root>` for a span table (a page found through its trace ids keeps the roots).
    fn roots_only(&self) -> String {
        self.spans
            .as_ref()
            .map_or(String::new(), |s| format!(" AND ({})", s.root))
    }
}

/// The rows matching `when`, counted.
pub fn count_sql(source: &Source, when: &Conditions) -> String {
    format!(
        "SELECT count() AS n FROM {}{} FORMAT JSONCompact",
        source.from(),
        when.clause()
    )
}

/// A page of rows: `columns` (all when empty), long text cut to `cut` characters server-side
/// (0: whole), in `order` (a column and descending), from row `offset`.
pub fn page_sql(
    source: &Source,
    columns: &[(String, Type)],
    when: &Conditions,
    order: Option<(&str, bool)>,
    offset: u64,
    limit: u64,
    cut: usize,
) -> String {
    let list = if columns.is_empty() {
        "*".to_owned()
    } else {
        columns
            .iter()
            .map(|(c, t)| match t {
                Type::Text if cut > 0 => {
                    format!("substringUTF8(toString({0}), 1, {cut}) AS {0}", ident(c))
                }
                _ => ident(c),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let order = order.map_or(String::new(), |(c, desc)| {
        format!(" ORDER BY {}{}", ident(c), if desc { " DESC" } else { "" })
    });
    format!(
        "SELECT {list} FROM {}{}{order} LIMIT {limit} OFFSET {offset} FORMAT JSONCompact",
        source.from(),
        when.clause()
    )
}

/// A page of rows found through their ids: the offset is walked over the id column alone
/// (`… WHERE id IN (SELECT id … LIMIT n OFFSET m)`), so that jumping far into a wide table reads
/// one column, not every column up to the row (measured on 10 M rows: 20 ms instead of 480 ms).
/// The page keeps `order` (or the id's order, for a stable order from page to page).
#[allow(clippy::too_many_arguments)] // one SELECT's parts
pub fn page_by_id_sql(
    source: &Source,
    columns: &[(String, Type)],
    id: &str,
    when: &Conditions,
    order: Option<(&str, bool)>,
    offset: u64,
    limit: u64,
    cut: usize,
) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|(c, t)| match t {
            Type::Text if cut > 0 => {
                format!("substringUTF8(toString({0}), 1, {cut}) AS {0}", ident(c))
            }
            _ => ident(c),
        })
        .collect();
    page_of(source, &list, id, when, order, offset, limit)
}

/// A page of `list` (SQL expressions, each `… AS name`) found through the ids, as
/// [`page_by_id_sql`].
pub fn page_of(
    source: &Source,
    list: &[String],
    id: &str,
    when: &Conditions,
    order: Option<(&str, bool)>,
    offset: u64,
    limit: u64,
) -> String {
    let list = if list.is_empty() {
        "*".to_owned()
    } else {
        list.join(", ")
    };
    let by = match order {
        Some((c, desc)) if c != id => format!(
            "{}{}, {}",
            ident(c),
            if desc { " DESC" } else { "" },
            ident(id)
        ),
        Some((_, true)) => format!("{} DESC", ident(id)),
        _ => ident(id),
    };
    // unsorted, the rows come in the table's own order, read by one thread so that it is the
    // same from page to page (a sort of every id would cost a second on 10 M rows; this stops
    // at the page); sorted, by the column and then the id
    let inner = match order {
        Some(_) => format!("ORDER BY {by} LIMIT {limit} OFFSET {offset}"),
        None => format!("LIMIT {limit} OFFSET {offset} SETTINGS max_threads = 1"),
    };
    let from = source.from();
    format!(
        "SELECT {list} FROM {from} WHERE {id} IN (SELECT {id} FROM {from}{} {inner}){} ORDER BY {by} FORMAT JSONCompact",
        when.clause(),
        when.roots_only(),
        id = ident(id)
    )
}

/// A column's most frequent values and their counts.
pub fn facet_sql(source: &Source, column: &str, when: &Conditions, limit: u64) -> String {
    format!(
        "SELECT toString({c}) AS value, count() AS n FROM {}{} GROUP BY value ORDER BY n DESC, value LIMIT {limit} FORMAT JSONCompact",
        source.from(),
        when.clause(),
        c = ident(column)
    )
}

/// `n` ids drawn uniformly, reproducibly for a seed: ordered by a hash of id and seed.
pub fn sample_sql(source: &Source, id: &str, seed: u64, n: u64, when: &Conditions) -> String {
    format!(
        "SELECT toString({c}) AS id FROM {}{} ORDER BY cityHash64(toString({c}), {seed}) LIMIT {n} FORMAT JSONCompact",
        source.from(),
        when.clause(),
        c = ident(id)
    )
}

/// A table's columns and types.
pub fn schema_sql(source: &Source) -> String {
    format!("SELECT * FROM {} LIMIT 0 FORMAT JSONCompact", source.from())
}

/// What a table's columns say it holds: the trace id, the input and output (as SQL expressions),
/// and, for span tables, the trace key and parent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detected {
    /// A known table ("OpenTelemetry Collector spans (otel_traces)", "Langfuse v3 traces").
    pub preset: Option<String>,
    /// The id column.
    pub id: Option<String>,
    /// The input, as an SQL expression.
    pub input: Option<String>,
    /// The output, as an SQL expression.
    pub output: Option<String>,
    /// Spans share this column's value in one trace.
    pub trace_key: Option<String>,
    /// The parent span's id.
    pub parent: Option<String>,
}

impl Detected {
    /// The column labels are keyed by: the trace key of a span table, else the id.
    pub fn label_id(&self) -> Option<&str> {
        self.trace_key.as_deref().or(self.id.as_deref())
    }

    /// Whether this is a Langfuse v3 `traces` table (its observations and scores are read from
    /// the tables beside it).
    pub fn is_langfuse_traces(&self) -> bool {
        self.preset.as_deref() == Some(LANGFUSE_TRACES)
    }

    /// A span table read as a row per trace (its root span).
    pub fn scope(&self, source: &Source) -> Option<SpanScope> {
        let key = self.trace_key.clone()?;
        let root = match &self.parent {
            Some(p) => format!("ifNull({}, '') = ''", ident(p)),
            None => "1".to_owned(),
        };
        Some(SpanScope {
            key,
            root,
            from: source.from(),
        })
    }

    /// The conditions of a view: the user's WHERE and search (over input and output), a label
    /// filter's ids, a row per trace for span tables.
    pub fn conditions(
        &self,
        source: &Source,
        filters: &crate::trace::view::Filters,
        labelled: Option<(Vec<String>, bool)>,
    ) -> Conditions {
        use crate::trace::filter::Scope;
        // the user's condition and the facets' chosen values, as one condition
        let mut sql: Vec<String> = Some(filters.sql.trim())
            .filter(|s| !s.is_empty())
            .map(|s| format!("({s})"))
            .into_iter()
            .collect();
        for (column, facet) in &filters.facets {
            for (values, not) in [(&facet.include, ""), (&facet.exclude, "NOT ")] {
                if !values.is_empty() {
                    let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
                    sql.push(format!(
                        "toString({}) {not}IN ({})",
                        ident(column),
                        list.join(", ")
                    ));
                }
            }
        }
        let sides = match filters.search.scope {
            Scope::Both => [&self.input, &self.output],
            Scope::Input => [&self.input, &None],
            Scope::Output => [&None, &self.output],
        };
        Conditions {
            sql: Some(sql.join(" AND ")).filter(|s| !s.is_empty()),
            search: Some(filters.search.text.clone()).filter(|s| !s.is_empty()),
            regex: filters.search.regex,
            case_sensitive: filters.search.case_sensitive,
            search_columns: sides.into_iter().flatten().cloned().collect(),
            labelled: labelled.and_then(|(ids, inside)| {
                Some(IdSet {
                    column: self.label_id()?.to_owned(),
                    ids,
                    inside,
                })
            }),
            spans: self.scope(source),
        }
    }

    /// The table beside a Langfuse `traces` table (`observations`, `scores`).
    pub fn sibling(source: &Source, table: &str) -> Option<String> {
        match &source.target {
            Target::Table(_) => Some(format!("{}.{}", ident(&source.database), ident(table))),
            Target::Query(_) => None,
        }
    }
}

/// The preset name of Langfuse v3's `traces` table.
pub const LANGFUSE_TRACES: &str = "Langfuse v3 traces";

/// An attribute of a `Map(String, String)` column, or of JSON text in a `String` column (old
/// servers, and tables adapted to them).
fn attribute(column: &str, kind: &Type, key: &str) -> String {
    match kind {
        Type::Map(_) => format!("{}[{}]", ident(column), literal(key)),
        // a regular expression: old releases lack JSONExtract*, and visitParam* needs JSON
        // written without spaces (the value stays JSON-escaped)
        _ => {
            let key = regex::escape(key);
            let pattern = format!(r#""{key}"\s*:\s*"((?:[^"\\]|\\.)*)""#);
            format!("extract({}, {})", ident(column), literal(&pattern))
        }
    }
}

/// Detects id, input and output (and span grouping) from a table's columns.
pub fn detect(columns: &[(String, Type)]) -> Detected {
    let has = |n: &str| columns.iter().find(|(c, _)| c == n).map(|(_, t)| t);
    if let (Some(_), Some(_), Some(attrs)) = (has("TraceId"), has("SpanId"), has("SpanAttributes"))
    {
        return Detected {
            preset: Some("OpenTelemetry Collector spans (otel_traces)".to_owned()),
            id: Some("SpanId".to_owned()),
            input: Some(attribute("SpanAttributes", attrs, "input.value")),
            output: Some(attribute("SpanAttributes", attrs, "output.value")),
            trace_key: Some("TraceId".to_owned()),
            parent: has("ParentSpanId").map(|_| "ParentSpanId".to_owned()),
        };
    }
    if has("project_id").is_some() && has("id").is_some() && has("input").is_some() {
        let preset = if has("trace_id").is_some() && has("parent_observation_id").is_some() {
            "Langfuse v3 observations"
        } else {
            LANGFUSE_TRACES
        };
        return Detected {
            preset: Some(preset.to_owned()),
            id: Some("id".to_owned()),
            input: Some(ident("input")),
            output: has("output").map(|_| ident("output")),
            trace_key: None,
            parent: None,
        };
    }
    let first = |names: &[&str]| {
        names
            .iter()
            .find(|n| has(n).is_some())
            .map(|n| (*n).to_owned())
    };
    Detected {
        preset: None,
        id: first(crate::trace::schema::ID_NAMES),
        input: first(crate::trace::schema::INPUT_NAMES).map(|c| ident(&c)),
        output: first(crate::trace::schema::OUTPUT_NAMES).map(|c| ident(&c)),
        trace_key: None,
        parent: None,
    }
}

/// Traces (distinct trace keys, or rows) matching `when`.
pub fn traces_sql(source: &Source, detected: &Detected, when: &Conditions) -> String {
    let n = detected.trace_key.as_ref().map_or_else(
        || "count()".to_owned(),
        |k| format!("uniqExact({})", ident(k)),
    );
    format!(
        "SELECT {n} AS traces, count() AS rows FROM {}{} FORMAT JSONCompact",
        source.from(),
        when.clause()
    )
}
