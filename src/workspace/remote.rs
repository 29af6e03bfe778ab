//! A ClickHouse source as the window reads it: nothing is loaded whole. The table's rows come in
//! pages as it scrolls (only the shown columns, long text cut server-side), counts, facets and
//! samples are computed by the server, and whole traces are fetched by id when opened or
//! labelled. Requests run in the background (`ehttp`, natively and in the browser); each view
//! is a generation, and answers to an older one are dropped. No egui.
//!
//! Label filters are sent as a set of ids (`id IN (…)`, or `NOT IN` when the filter keeps
//! unlabelled traces), so the count the server gives stays exact.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, mpsc};

use serde_json::Value;

use crate::coding::sampling::{SampleRequest, Strategy};
use crate::project::{LabelFilter, Project};
use crate::trace::clickhouse::{self, Conditions, Detected, Rows, Source, Type, ident};
use crate::trace::remote::{PAGE_ROWS, Page, Pages};
use crate::trace::view::Filters;

/// Bytes an answer may have: a server that sends more is cut off with a message (an endless
/// body cannot fill the memory).
pub const ANSWER_LIMIT: usize = 512 << 20;

/// Characters of input and output a table cell fetches (cut by the server; enough for most chat
/// messages to arrive whole and read as a conversation).
pub const CELL_CHARS: usize = 1_000;
/// Characters of a metadata cell.
const META_CHARS: usize = 80;
/// Pages kept (200 rows each): the cache's bound, whatever the table's size.
const PAGE_CAP: usize = 60;
/// Rows prefetched either side of the visible ones.
pub const AHEAD: u64 = 400;
/// Traces a sample is drawn from (seeded by hash order): the strategies choose among them.
const SAMPLE_POOL: u64 = 4_000;
/// Metadata columns shown (and faceted) by default.
const SHOWN: usize = 6;
const FACETS: usize = 4;

/// What a request was for.
#[derive(Clone, Debug, PartialEq)]
enum Ask {
    Schema,
    Total,
    Count,
    Page(u64),
    Facet(String),
    Records { job: u64, slot: usize },
    Sample(SampleRequest),
}

/// Whole traces asked for: to open one, or the labelled ones (exports, Pareto, reports).
#[derive(Clone, Debug, PartialEq)]
pub enum Purpose {
    /// The project's labelled traces.
    Labelled,
    /// The trace the reader opened.
    Open(String),
}

struct Answer {
    generation: u64,
    ask: Ask,
    result: Result<Rows, String>,
}

struct RecordsJob {
    purpose: Purpose,
    ids: Vec<String>,
    slots: Vec<Option<Rows>>,
    failed: Option<String>,
}

/// What arrived, for the window to act on.
#[derive(Debug, PartialEq)]
pub enum Event {
    /// The schema is known: the source is open.
    Ready,
    /// Whole traces arrived as JSON Lines records (`asked`: the ids asked for).
    Records {
        /// Why they were asked for.
        purpose: Purpose,
        /// The records.
        jsonl: Vec<u8>,
        /// The ids asked for.
        asked: Vec<String>,
    },
    /// A sample's pool arrived: the request and the drawn ids, with the candidates' count.
    Sampled(SampleRequest, Vec<String>, usize),
    /// A request failed (the message names the server).
    Failed(String),
}

static SESSIONS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Asks the window to draw again when an answer arrives.
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

/// Sends a request and calls back with its answer (`ehttp::fetch`; tests answer themselves).
pub type Fetch = Arc<dyn Fn(ehttp::Request, Done) + Send + Sync>;

/// Called with a request's answer.
pub type Done = Box<dyn FnOnce(ehttp::Result<ehttp::Response>) + Send>;

/// An open ClickHouse source.
pub struct Remote {
    /// Where it is.
    pub source: Source,
    password: Option<String>,
    /// What its columns say it holds (once the schema arrived).
    pub detected: Option<Detected>,
    /// Its columns.
    pub schema: Vec<(String, Type)>,
    /// Metadata columns the table shows.
    pub shown: Vec<String>,
    /// The view's conditions, as sent.
    pub conditions: Conditions,
    /// The view's order (a column, descending).
    pub order: Option<(String, bool)>,
    /// Traces in the source; traces matching the view (`None` until counted).
    pub total: Option<u64>,
    /// Matching traces.
    pub matched: Option<u64>,
    /// The view's rows, in pages.
    pub pages: Pages,
    /// Facet counts of the view, per column.
    pub facets: Vec<(String, Vec<(String, usize)>)>,
    /// The last error (the view keeps what it had).
    pub error: Option<String>,
    /// The row the reader opened.
    pub selected: Option<u64>,
    /// Requests on their way.
    pub in_flight: usize,
    generation: u64,
    session: u64,
    next_job: u64,
    jobs: HashMap<u64, RecordsJob>,
    ready: Vec<Event>,
    tx: mpsc::Sender<Answer>,
    rx: mpsc::Receiver<Answer>,
    repaint: Repaint,
    /// Ids whose whole trace was fetched.
    pub fetched: HashSet<String>,
    /// The fetched traces' records.
    pub records: Vec<u8>,
    fetch: Fetch,
}

impl Remote {
    /// Opens `url` (its schema is asked for at once). The password stays in memory.
    pub fn open(url: &str, password: Option<String>, repaint: Repaint) -> Result<Remote, String> {
        let mut r = Remote::open_unsent(url, password, repaint)?;
        r.open_schema();
        Ok(r)
    }

    fn open_unsent(
        url: &str,
        password: Option<String>,
        repaint: Repaint,
    ) -> Result<Remote, String> {
        let source = Source::parse(url.trim()).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel();
        // a query id prefix of this window's own (a second window's queries are not replaced)
        let session = (crate::coding::time::now_unix_secs() as u64 % 100_000) * 1_000
            + u64::from(SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1_000);
        let r = Remote {
            source,
            password: password.filter(|p| !p.is_empty()),
            detected: None,
            schema: Vec::new(),
            shown: Vec::new(),
            conditions: Conditions::default(),
            order: None,
            total: None,
            matched: None,
            pages: Pages::new(PAGE_CAP),
            facets: Vec::new(),
            error: None,
            selected: None,
            in_flight: 0,
            generation: 0,
            session,
            next_job: 0,
            jobs: HashMap::new(),
            ready: Vec::new(),
            tx,
            rx,
            repaint,
            fetched: HashSet::new(),
            records: Vec::new(),
            fetch: Arc::new(|req, done| {
                crate::net::fetch(req, ANSWER_LIMIT, move |r| {
                    done(r.map_err(|e| e.to_string()));
                });
            }),
        };
        Ok(r)
    }

    /// Opens `url` with requests answered by `fetch` (tests, without a server).
    #[cfg(test)]
    pub(crate) fn with_fetch(url: &str, fetch: Fetch) -> Remote {
        #[allow(clippy::unwrap_used)] // a test helper's own URL
        let mut r = Remote::open_unsent(url, None, Arc::new(|| {})).unwrap();
        r.fetch = fetch;
        r.open_schema();
        r
    }

    fn open_schema(&mut self) {
        let sql = clickhouse::schema_sql(&self.source);
        self.send(Ask::Schema, &sql);
    }
    /// The source's key (its URL without a password): names its project.
    pub fn key(&self) -> String {
        self.source.url()
    }

    /// `host:port`.
    pub fn server(&self) -> &str {
        self.source.server()
    }

    fn query_id(&self, ask: &Ask) -> Option<String> {
        let what = match ask {
            Ask::Count => "count".to_owned(),
            Ask::Facet(c) => format!("facet-{}", crate::trace::store::fnv1a64(c.as_bytes())),
            Ask::Sample(_) => "sample".to_owned(),
            // pages and records run side by side: ids of their own
            Ask::Page(i) => format!("page-{}-{i}", self.generation),
            Ask::Records { job, slot } => format!("records-{job}-{slot}"),
            Ask::Schema | Ask::Total => return None,
        };
        Some(format!("errata-{}-{what}", self.session))
    }

    fn send(&mut self, ask: Ask, sql: &str) {
        let query_id = self.query_id(&ask);
        let req = self
            .source
            .request_as(sql, self.password.as_deref(), query_id.as_deref());
        let (tx, repaint) = (self.tx.clone(), self.repaint.clone());
        let server = self.source.server().to_owned();
        let generation = self.generation;
        let url = req.url.clone();
        self.in_flight += 1;
        (self.fetch)(
            req,
            Box::new(move |r| {
                let result = match r {
                    Ok(resp) => clickhouse::decode(&server, resp.status, &resp.bytes)
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(clickhouse::transport_error(&server, &url, &e)),
                };
                let _ = tx.send(Answer {
                    generation,
                    ask,
                    result,
                });
                repaint();
            }),
        );
    }

    /// Stops what is on its way: answers still coming are dropped, and the server is asked to
    /// kill this window's queries.
    pub fn stop(&mut self) {
        self.generation += 1;
        self.pages.reset(self.generation, self.pages.len());
        let sql = format!(
            "KILL QUERY WHERE query_id LIKE 'errata-{}-%' ASYNC FORMAT JSONCompact",
            self.session
        );
        let req = self.source.request(&sql, self.password.as_deref());
        (self.fetch)(req, Box::new(|_| {}));
        self.in_flight = 0;
    }

    /// The SQL expressions a table row is read with: id, input and output (cut), and the shown
    /// columns.
    fn listing(&self) -> Vec<String> {
        let Some(d) = &self.detected else {
            return Vec::new();
        };
        let cut = |expr: &str, n: usize, name: &str| {
            format!("substringUTF8(toString({expr}), 1, {n}) AS {}", ident(name))
        };
        let mut list = vec![format!(
            "toString({}) AS `__id`",
            ident(d.label_id().unwrap_or("id"))
        )];
        for (side, expr) in [("__input", &d.input), ("__output", &d.output)] {
            list.push(match expr {
                Some(e) => cut(e, CELL_CHARS, side),
                None => format!("'' AS {}", ident(side)),
            });
        }
        for c in &self.shown {
            list.push(cut(&ident(c), META_CHARS, c));
        }
        list
    }

    /// A new view: the filters, search, facets and label filter (as ids) sent as conditions;
    /// counted and faceted server-side, its pages fetched as the table asks.
    pub fn requery(&mut self, filters: &Filters, ids: Option<&(Vec<String>, bool)>) {
        let Some(d) = self.detected.clone() else {
            return;
        };
        self.generation += 1;
        self.pages.reset(self.generation, 0);
        self.matched = None;
        self.error = None;
        self.selected = None;
        self.conditions = d.conditions(&self.source, filters, ids.cloned());
        let sql = clickhouse::count_sql(&self.source, &self.conditions);
        self.send(Ask::Count, &sql);
        for column in self.facet_columns() {
            // each facet counts over the rows every other filter keeps
            let mut others = filters.clone();
            others.facets.remove(&column);
            let when = d.conditions(&self.source, &others, ids.cloned());
            let sql = clickhouse::facet_sql(&self.source, &column, &when, 12);
            self.send(Ask::Facet(column), &sql);
        }
    }

    fn facet_columns(&self) -> Vec<String> {
        self.shown
            .iter()
            .filter(|c| {
                self.schema
                    .iter()
                    .any(|(n, t)| n == *c && matches!(t, Type::Text | Type::Bool))
            })
            .take(FACETS)
            .cloned()
            .collect()
    }

    /// The table's input and output read from the columns a field mapping names (top-level
    /// fields that are columns of the table; others keep what detection chose).
    pub fn use_mapping(&mut self, mapping: &crate::trace::FieldMapping) {
        let Some(d) = &mut self.detected else { return };
        let column = |p: &Option<crate::trace::schema::FieldPath>| {
            let name = p.as_ref().filter(|p| p.0.len() == 1)?.0[0].clone();
            self.schema
                .iter()
                .any(|(c, _)| *c == name)
                .then(|| ident(&name))
        };
        if let Some(c) = column(&mapping.input) {
            d.input = Some(c);
        }
        if let Some(c) = column(&mapping.output) {
            d.output = Some(c);
        }
    }

    /// Sorts the view by `column` (`None`: the id's order).
    pub fn sort(&mut self, order: Option<(String, bool)>) {
        self.order = order;
        self.generation += 1;
        let len = self.pages.len();
        self.pages.reset(self.generation, len);
        self.selected = None;
    }

    /// Asks for the pages rows `visible` need (and those around them).
    pub fn want(&mut self, visible: std::ops::Range<u64>) {
        let Some(d) = &self.detected else { return };
        let id = d.label_id().unwrap_or("id").to_owned();
        let list = self.listing();
        for index in self.pages.wanted(visible, AHEAD) {
            let order = self.order.as_ref().map(|(c, desc)| (c.as_str(), *desc));
            let sql = clickhouse::page_of(
                &self.source,
                &list,
                &id,
                &self.conditions,
                order,
                index * PAGE_ROWS,
                PAGE_ROWS,
            );
            self.send(Ask::Page(index), &sql);
        }
    }

    /// Row `pos` of the view: its id, input, output and shown cells, when its page arrived.
    pub fn row(&mut self, pos: u64) -> Option<&[Value]> {
        self.pages.row(pos)
    }

    /// Asks for whole traces by id (those not fetched yet; the opened one always).
    pub fn fetch_traces(&mut self, purpose: Purpose, ids: Vec<String>) {
        let Some(d) = self.detected.clone() else {
            return;
        };
        let ids: Vec<String> = match &purpose {
            Purpose::Open(_) => ids,
            Purpose::Labelled => ids
                .into_iter()
                .filter(|i| !self.fetched.contains(i))
                .collect(),
        };
        let queries = clickhouse::records_sql(&self.source, &d, &ids);
        if queries.is_empty() {
            self.ready.push(Event::Records {
                purpose,
                jsonl: Vec::new(),
                asked: ids,
            });
            (self.repaint)();
            return;
        }
        let job = self.next_job;
        self.next_job += 1;
        self.jobs.insert(
            job,
            RecordsJob {
                purpose,
                ids,
                slots: vec![None; queries.len()],
                failed: None,
            },
        );
        for (slot, sql) in queries.into_iter().enumerate() {
            self.send(Ask::Records { job, slot }, &sql);
        }
    }

    /// Draws a review batch server-side: a pool of unreviewed traces of the view, in the order
    /// of a hash of id and seed, from which the strategy draws as it does for a file.
    pub fn draw(&mut self, req: SampleRequest, project: &Project) -> Result<(), String> {
        let d = self.detected.clone().ok_or("the source is not open yet")?;
        let id = d
            .label_id()
            .ok_or("the source has no id column")?
            .to_owned();
        let reviewed: Vec<String> = project
            .labels
            .latest()
            .into_iter()
            .filter(|e| e.verdict.is_some())
            .map(|e| e.trace_id.clone())
            .collect();
        let mut when = self.conditions.clone();
        when.labelled = Some(match when.labelled.take() {
            Some(mut set) if set.inside => {
                set.ids.retain(|i| !reviewed.contains(i));
                set
            }
            Some(mut set) => {
                set.ids.extend(reviewed);
                set
            }
            None => clickhouse::IdSet {
                column: id.clone(),
                ids: reviewed,
                inside: false,
            },
        });
        let mut list = vec![format!("toString({}) AS id", ident(&id))];
        match &req.strategy {
            Strategy::Oversample { predicate, .. } if predicate.trim().is_empty() => {
                return Err(
                    "oversampling needs a WHERE predicate that marks the failures, \
                            e.g. StatusCode = 'STATUS_CODE_ERROR'"
                        .to_owned(),
                );
            }
            Strategy::Oversample { predicate, .. } => {
                list.push(format!("toUInt8(({predicate}) = 1) AS marked"));
            }
            Strategy::Stratified { column, .. } => {
                list.push(format!("toString({}) AS stratum", ident(column)));
            }
            Strategy::Uniform => {}
        }
        let pool = match req.strategy {
            Strategy::Uniform => req.n as u64,
            _ => SAMPLE_POOL.max(req.n as u64),
        };
        let sql = format!(
            "SELECT {} FROM {}{} ORDER BY cityHash64(toString({}), {}) LIMIT {pool} FORMAT JSONCompact",
            list.join(", "),
            self.source.from(),
            when.clause(),
            ident(&id),
            req.seed
        );
        self.send(Ask::Sample(req), &sql);
        Ok(())
    }

    /// Takes the answers that arrived: pages and counts go into the view; what the window acts
    /// on is returned.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.ready);
        while let Ok(a) = self.rx.try_recv() {
            self.in_flight = self.in_flight.saturating_sub(1);
            if let Some(e) = self.take(a) {
                events.push(e);
            }
        }
        events
    }

    fn take(&mut self, a: Answer) -> Option<Event> {
        let current = a.generation == self.generation;
        match (a.ask, a.result) {
            (Ask::Schema, Ok(rows)) => {
                self.open_with(rows.columns);
                Some(Event::Ready)
            }
            (Ask::Total, Ok(rows)) => {
                self.total = first_u64(&rows);
                None
            }
            (Ask::Count, Ok(rows)) if current => {
                let n = first_u64(&rows).unwrap_or(0);
                self.matched = Some(n);
                self.pages.reset(self.generation, n);
                None
            }
            (Ask::Page(index), Ok(rows)) => {
                let rows = rows.rows.into_iter().map(preview_row).collect();
                self.pages.arrived(a.generation, index, Page { rows });
                None
            }
            (Ask::Page(index), Err(e)) => {
                self.pages.failed(a.generation, index);
                self.fail(current, e)
            }
            (Ask::Facet(column), Ok(rows)) if current => {
                let counts = rows
                    .rows
                    .iter()
                    .map(|r| {
                        let v = r.first().map(text).unwrap_or_default();
                        let n = r.get(1).and_then(Value::as_u64).unwrap_or(0) as usize;
                        (v, n)
                    })
                    .collect();
                self.facets.retain(|(c, _)| *c != column);
                self.facets.push((column, counts));
                let order = self.facet_columns();
                self.facets
                    .sort_by_key(|(c, _)| order.iter().position(|o| o == c));
                None
            }
            (Ask::Records { job, slot }, result) => self.records_arrived(job, slot, result),
            (Ask::Sample(req), Ok(rows)) => Some(Remote::sampled(req, &rows)),
            (_, Err(e)) => self.fail(current || a.generation == 0, e),
            _ => None, // an older view's answer
        }
    }

    fn fail(&mut self, current: bool, e: String) -> Option<Event> {
        // a query replaced by this window's newer one of the same kind ends as "killed": it
        // was superseded, not failed
        if !current || e.contains("is killed") || e.contains("was cancelled") {
            return None;
        }
        // the count and the facets of one view fail alike: said once
        if self.error.as_ref() == Some(&e) {
            return None;
        }
        self.error = Some(e.clone());
        Some(Event::Failed(e))
    }

    fn open_with(&mut self, columns: Vec<(String, Type)>) {
        let d = clickhouse::detect(&columns);
        let skip = [
            d.id.as_deref(),
            d.trace_key.as_deref(),
            d.parent.as_deref(),
            Some("input"),
            Some("output"),
        ];
        self.shown = columns
            .iter()
            .filter(|(n, t)| {
                !skip.contains(&Some(n.as_str()))
                    && !n.ends_with("Attributes")
                    && !matches!(t, Type::Map(_) | Type::Array(_) | Type::Json)
            })
            .map(|(n, _)| n.clone())
            .take(SHOWN)
            .collect();
        self.schema = columns;
        // a row per trace: the whole source counted once, for "n of N"
        let total = clickhouse::count_sql(
            &self.source,
            &d.conditions(&self.source, &Filters::default(), None),
        );
        self.detected = Some(d);
        self.send(Ask::Total, &total);
    }

    fn records_arrived(
        &mut self,
        job: u64,
        slot: usize,
        result: Result<Rows, String>,
    ) -> Option<Event> {
        let j = self.jobs.get_mut(&job)?;
        match result {
            Ok(rows) => {
                if let Some(s) = j.slots.get_mut(slot) {
                    *s = Some(rows);
                }
            }
            Err(e) => {
                j.failed = Some(e);
                if let Some(s) = j.slots.get_mut(slot) {
                    *s = Some(Rows::default());
                }
            }
        }
        if j.slots.iter().any(Option::is_none) {
            return None;
        }
        let j = self.jobs.remove(&job)?;
        if let Some(e) = j.failed {
            self.error = Some(e.clone());
            return Some(Event::Failed(e));
        }
        let d = self.detected.as_ref()?;
        let answers = j.slots.into_iter().flatten().collect();
        let jsonl = clickhouse::records_jsonl(d, answers);
        self.fetched.extend(j.ids.iter().cloned());
        self.records.extend_from_slice(&jsonl);
        Some(Event::Records {
            purpose: j.purpose,
            jsonl,
            asked: j.ids,
        })
    }

    fn sampled(req: SampleRequest, rows: &Rows) -> Event {
        let ids: Vec<String> = rows.rows.iter().map(|r| text(&r[0])).collect();
        let marked: Option<Vec<bool>> =
            matches!(req.strategy, Strategy::Oversample { .. }).then(|| {
                rows.rows
                    .iter()
                    .map(|r| r.get(1) == Some(&Value::from(1)))
                    .collect()
            });
        let strata: Option<Vec<String>> =
            matches!(req.strategy, Strategy::Stratified { .. }).then(|| {
                rows.rows
                    .iter()
                    .map(|r| r.get(1).map(text).unwrap_or_default())
                    .collect()
            });
        let positions: Vec<u32> = (0..ids.len() as u32).collect();
        let drawn = crate::coding::sampling::sample(
            &positions,
            req.n,
            req.seed,
            &req.strategy,
            marked.as_deref(),
            strata.as_deref(),
        );
        let picked = drawn.iter().map(|&i| ids[i as usize].clone()).collect();
        Event::Sampled(req, picked, ids.len())
    }
}

/// The ids a label filter and a batch keep, as a set to send: `(ids, true)` keeps only these,
/// `(ids, false)` all but these; `None` when neither restricts the view. Exact: every labelled
/// trace is judged by the same filter as for a file.
pub fn id_set(
    project: &Project,
    filters: &Filters,
    lf: &LabelFilter,
) -> Option<(Vec<String>, bool)> {
    let batch = filters.batch.as_ref().and_then(|name| {
        project
            .file
            .batches
            .iter()
            .find(|b| &b.name == name)
            .map(|b| b.trace_ids.clone())
    });
    if let Some(ids) = batch {
        let keep = ids
            .into_iter()
            .filter(|id| lf.matches(project.state(id), &project.codebook))
            .collect();
        return Some((keep, true));
    }
    if !lf.is_active() {
        return None;
    }
    let keeps_unlabelled = lf.matches(None, &project.codebook);
    let ids = project
        .labels
        .latest()
        .into_iter()
        .filter(|e| lf.matches(Some(e), &project.codebook) != keeps_unlabelled)
        .map(|e| e.trace_id.clone())
        .collect();
    Some((ids, !keeps_unlabelled))
}

/// A page's row with its input and output as the table shows them: a conversation's turn, or
/// the text (read once, when the page arrives).
fn preview_row(mut row: Vec<Value>) -> Vec<Value> {
    use crate::trace::content::{self, Side};
    for (i, side) in [(1, Side::Input), (2, Side::Output)] {
        if let Some(Value::String(s)) = row.get(i) {
            let text = cell_preview(s, side);
            row[i] = Value::String(content::one_line(&text, super::PREVIEW_CHARS));
        }
    }
    row
}

/// What a cell's text reads as: JSON (a message list, a message) as its turn, JSON cut short by
/// the server as its last whole `content` string, anything else as it is.
pub fn cell_preview(text: &str, side: crate::trace::content::Side) -> String {
    use crate::trace::content;
    let t = text.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return text.to_owned();
    }
    if serde_json::from_str::<Value>(t).is_ok() {
        return content::preview(&content::from_raw(Some(t)), side, super::PREVIEW_CHARS);
    }
    // cut: the last string value of a "content" key that arrived whole
    let mut last = None;
    let mut rest = t;
    while let Some(at) = rest.find("\"content\"") {
        rest = &rest[at + 9..];
        let Some(open) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let open = open.trim_start();
        if !open.starts_with('"') {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(open);
        if let Ok(s) = <String as serde::Deserialize>::deserialize(&mut de) {
            last = Some(s);
        }
    }
    last.unwrap_or_else(|| text.to_owned())
}

fn first_u64(rows: &Rows) -> Option<u64> {
    rows.rows.first()?.first()?.as_u64()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests;
