//! The span tree of one grouped trace, built when the trace is shown: each span's record is read
//! again (a few milliseconds for thousands of spans) so that the loader keeps only what the
//! table needs.

use std::collections::HashMap;

use super::raw::{RawObject, Scalar};
use super::schema::FieldPath;
use super::spans::{self, SpanIndex};
use super::store::TraceStore;

/// One span in the tree (several records when they are one span: an API response a transcript
/// split over lines that share `message.id`).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Span indices (into [`SpanIndex::spans`]); the first is the node's own.
    pub spans: Vec<u32>,
    /// Depth in the tree (0 for a root).
    pub depth: u16,
    /// The span's id, as text.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind (LLM, TOOL, AGENT, GENERATION, assistant…), empty when unknown.
    pub kind: String,
    /// Start, ms since the epoch (NaN when unknown).
    pub start: f64,
    /// End, ms since the epoch (NaN when unknown).
    pub end: f64,
    /// The span failed.
    pub error: bool,
    /// Direct children.
    pub children: usize,
}

impl Node {
    /// Duration in ms, when known.
    pub fn duration_ms(&self) -> Option<f64> {
        let d = self.end - self.start;
        d.is_finite().then_some(d.max(0.0))
    }
}

/// A trace's spans in tree order (depth first, children by start time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tree {
    /// The nodes, depth first.
    pub nodes: Vec<Node>,
    /// Earliest start (NaN when no span is timed).
    pub t0: f64,
    /// Latest end.
    pub t1: f64,
}

fn text(obj: &RawObject<'_>, path: Option<&FieldPath>) -> String {
    path.and_then(|p| p.lookup(obj))
        .and_then(|v| Scalar::from_raw(v).to_text())
        .unwrap_or_default()
}

/// A transcript line's name: its role and what its content blocks are (tool names for calls).
fn transcript_name(obj: &RawObject<'_>, kind: &str) -> String {
    let content = FieldPath::of(&["message", "content"]).lookup(obj);
    let mut parts: Vec<String> = Vec::new();
    if let Some(Ok(blocks)) =
        content.map(|c| serde_json::from_str::<Vec<serde_json::Value>>(c.get()))
    {
        for b in &blocks {
            let part = match b["type"].as_str() {
                Some("tool_use") => b["name"].as_str().unwrap_or("tool call").to_owned(),
                Some("tool_result") => "tool result".to_owned(),
                Some(t) => t.to_owned(),
                None => continue,
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
    }
    let role = if kind.is_empty() { "record" } else { kind };
    if parts.is_empty() {
        role.to_owned()
    } else {
        format!("{role}: {}", parts.join(", "))
    }
}

impl Tree {
    /// The tree of `row`'s spans; `None` when the store's records are not grouped.
    pub fn of(store: &TraceStore, row: usize) -> Option<Tree> {
        let index = store.span_index()?;
        Some(build(store, index, row))
    }

    /// The nodes shown when the nodes in `collapsed` hide their descendants, as node indices.
    pub fn visible(&self, collapsed: &std::collections::HashSet<usize>) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut hide_below: Option<u16> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(d) = hide_below {
                if n.depth > d {
                    continue;
                }
                hide_below = None;
            }
            out.push(i);
            if collapsed.contains(&i) && n.children > 0 {
                hide_below = Some(n.depth);
            }
        }
        out
    }

    /// The node whose record is span `span`.
    pub fn node_of_span(&self, span: u32) -> Option<usize> {
        self.nodes.iter().position(|n| n.spans.contains(&span))
    }

    /// The node with this span id.
    pub fn node_of_id(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

fn build(store: &TraceStore, index: &SpanIndex, row: usize) -> Tree {
    let g = &index.grouping;
    let f = &index.fields;
    let mut nodes: Vec<Node> = Vec::new();
    let mut parents: Vec<String> = Vec::new();
    let mut merge_keys: Vec<String> = Vec::new();
    let mut reader = spans::FactReader::new(g, f);
    for &i in index.of(row) {
        let record = store.span_record(i as usize);
        let Ok(obj) = RawObject::parse(record) else {
            continue;
        };
        let facts = spans::facts(&obj, g, f, &mut reader, record);
        let kind = text(&obj, f.kind.as_ref());
        let merge = text(&obj, f.merge.as_ref());
        if g.transcript
            && !merge.is_empty()
            && merge_keys.last() == Some(&merge)
            && let Some(last) = nodes.last_mut()
        {
            // one API response written over several lines
            last.spans.push(i);
            last.end = last.end.max(facts.start);
            last.error |= facts.error;
            last.name = format!("{}{}", last.name, {
                let more = transcript_name(&obj, &kind);
                more.split_once(": ")
                    .map_or(String::new(), |(_, parts)| format!(", {parts}"))
            });
            continue;
        }
        let name = match (g.transcript, text(&obj, f.name.as_ref())) {
            (true, _) => transcript_name(&obj, &kind),
            (false, n) if !n.is_empty() => n,
            (false, _) if !kind.is_empty() => kind.clone(),
            _ => "span".to_owned(),
        };
        nodes.push(Node {
            spans: vec![i],
            depth: 0,
            id: text(&obj, g.span.as_ref()),
            name,
            kind,
            start: facts.start,
            end: if facts.end.is_nan() {
                facts.start
            } else {
                facts.end
            },
            error: facts.error,
            children: 0,
        });
        parents.push(if facts.root {
            String::new()
        } else {
            text(&obj, g.parent.as_ref())
        });
        merge_keys.push(merge);
    }
    let nodes = if g.transcript {
        nodes // a transcript reads as one conversation: in order, not nested
    } else {
        nest(nodes, &parents)
    };
    let t0 = nodes.iter().map(|n| n.start).fold(f64::NAN, f64::min);
    let t1 = nodes
        .iter()
        .map(|n| n.end.max(n.start))
        .fold(f64::NAN, f64::max);
    Tree { nodes, t0, t1 }
}

/// Orders nodes depth first under their parents (roots and children in the given order).
fn nest(nodes: Vec<Node>, parents: &[String]) -> Vec<Node> {
    let by_id: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.id.is_empty())
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    for (i, p) in parents.iter().enumerate() {
        match by_id.get(p.as_str()) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let mut order: Vec<(usize, u16)> = Vec::with_capacity(nodes.len());
    let mut seen = vec![false; nodes.len()];
    // roots first, then whatever a cycle left unreached
    for start in roots.into_iter().chain(0..nodes.len()) {
        if seen[start] {
            continue;
        }
        let mut stack = vec![(start, 0u16)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            order.push((i, depth));
            for &c in children[i].iter().rev() {
                if !seen[c] {
                    stack.push((c, depth.saturating_add(1)));
                }
            }
        }
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(i, depth)| {
            let mut n = slots[i].take()?;
            n.depth = depth;
            n.children = children[i].len();
            Some(n)
        })
        .collect()
}
