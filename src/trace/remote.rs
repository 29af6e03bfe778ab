//! A remote table's rows, fetched in pages as the table scrolls (issue 17, work in progress):
//! which pages the view needs (visible first, then around it), which are on their way, and a
//! bounded cache so that memory does not grow with the table. A newer query (filter, search,
//! sort) starts a new generation; pages of an older one are dropped when they arrive.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use serde_json::Value;

/// Rows a page holds.
pub const PAGE_ROWS: u64 = 200;

/// One fetched page: rows of cells, in the order of the columns asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The rows.
    pub rows: Vec<Vec<Value>>,
}

/// The pages of the current query.
#[derive(Debug)]
pub struct Pages {
    generation: u64,
    len: u64,
    pages: HashMap<u64, Page>,
    /// Least recently used first.
    recent: VecDeque<u64>,
    cap: usize,
    pending: HashSet<u64>,
}

impl Pages {
    /// An empty cache keeping at most `cap` pages.
    pub fn new(cap: usize) -> Pages {
        Pages {
            generation: 0,
            len: 0,
            pages: HashMap::new(),
            recent: VecDeque::new(),
            cap: cap.max(1),
            pending: HashSet::new(),
        }
    }

    /// A new query: `len` rows match it. Every page of the old one is forgotten.
    pub fn reset(&mut self, generation: u64, len: u64) {
        self.generation = generation;
        self.len = len;
        self.pages.clear();
        self.recent.clear();
        self.pending.clear();
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Rows matching the current query.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no row matches.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pages in the cache.
    pub fn cached(&self) -> usize {
        self.pages.len()
    }

    fn pages_count(&self) -> u64 {
        self.len.div_ceil(PAGE_ROWS)
    }

    /// The row at `pos`, when its page has arrived.
    pub fn row(&mut self, pos: u64) -> Option<&[Value]> {
        let index = pos / PAGE_ROWS;
        if !self.pages.contains_key(&index) {
            return None;
        }
        self.touch(index);
        let page = self.pages.get(&index)?;
        page.rows.get((pos % PAGE_ROWS) as usize).map(Vec::as_slice)
    }

    /// The row at `pos` when its page is here, without marking the page as used.
    pub fn peek(&self, pos: u64) -> Option<&[Value]> {
        let page = self.pages.get(&(pos / PAGE_ROWS))?;
        page.rows.get((pos % PAGE_ROWS) as usize).map(Vec::as_slice)
    }

    /// Positions of the rows whose pages are here, in order.
    pub fn cached_positions(&self) -> Vec<u64> {
        let mut indices: Vec<u64> = self.pages.keys().copied().collect();
        indices.sort_unstable();
        indices
            .into_iter()
            .flat_map(|i| {
                let n = self.pages[&i].rows.len() as u64;
                (i * PAGE_ROWS)..(i * PAGE_ROWS + n)
            })
            .collect()
    }

    fn touch(&mut self, index: u64) {
        if self.recent.back() != Some(&index) {
            self.recent.retain(|&i| i != index);
            self.recent.push_back(index);
        }
    }

    /// The pages to ask for so that rows `visible` show, and `ahead` rows either side are
    /// ready: the visible ones first, then the nearest. Each is marked as on its way.
    pub fn wanted(&mut self, visible: Range<u64>, ahead: u64) -> Vec<u64> {
        let n = self.pages_count();
        if n == 0 || visible.start >= self.len {
            return Vec::new();
        }
        let first = visible.start / PAGE_ROWS;
        let last = (visible.end.max(visible.start + 1) - 1).min(self.len - 1) / PAGE_ROWS;
        let around_first = visible.start.saturating_sub(ahead) / PAGE_ROWS;
        let around_last = ((visible.end + ahead).min(self.len) - 1) / PAGE_ROWS;
        let mut order: Vec<u64> = (first..=last).collect();
        let mut extra: Vec<u64> = (around_first..=around_last)
            .filter(|i| !(first..=last).contains(i))
            .collect();
        extra.sort_by_key(|&i| if i < first { first - i } else { i - last });
        order.extend(extra);
        // never more than the cache keeps, or arrivals would evict what is shown
        order.truncate(self.cap);
        order
            .into_iter()
            .filter(|i| !self.pages.contains_key(i) && self.pending.insert(*i))
            .collect()
    }

    /// A page arrived. An answer to an older query is dropped (`false`). The least recently
    /// used pages give way beyond the cap.
    pub fn arrived(&mut self, generation: u64, index: u64, page: Page) -> bool {
        if generation != self.generation {
            return false;
        }
        self.pending.remove(&index);
        self.pages.insert(index, page);
        self.touch(index);
        while self.pages.len() > self.cap {
            match self.recent.pop_front() {
                Some(old) => {
                    self.pages.remove(&old);
                }
                None => break,
            }
        }
        true
    }

    /// A page's request failed: it may be asked for again.
    pub fn failed(&mut self, generation: u64, index: u64) {
        if generation == self.generation {
            self.pending.remove(&index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn page(index: u64) -> Page {
        Page {
            rows: (0..PAGE_ROWS)
                .map(|r| vec![Value::from(index * PAGE_ROWS + r)])
                .collect(),
        }
    }

    #[test]
    fn the_visible_pages_come_first_then_the_nearest_and_each_is_asked_once() {
        let mut p = Pages::new(8);
        p.reset(1, 10_000_000);
        // rows 5,000,000… on screen: page 25,000, then its neighbours
        let want = p.wanted(5_000_000..5_000_040, 300);
        assert_eq!(want, [25_000, 24_999, 25_001, 24_998]);
        assert!(
            p.wanted(5_000_000..5_000_040, 300).is_empty(),
            "already on their way"
        );
        assert_eq!(p.row(5_000_001), None);
        assert!(p.arrived(1, 25_000, page(25_000)));
        assert_eq!(p.row(5_000_001), Some(&[Value::from(5_000_001)][..]));
        // the end of the table
        assert_eq!(p.wanted(9_999_990..10_000_000, 0), [49_999]);
        assert!(p.wanted(10_000_000..10_000_010, 0).is_empty());
    }

    #[test]
    fn memory_is_bounded_and_old_answers_are_dropped() {
        let mut p = Pages::new(3);
        p.reset(7, 100_000);
        for i in 0..10 {
            p.wanted(i * PAGE_ROWS..i * PAGE_ROWS + 1, 0);
            p.arrived(7, i, page(i));
        }
        assert_eq!(p.cached(), 3, "the cap holds whatever is scrolled through");
        assert!(p.row(9 * PAGE_ROWS).is_some());
        assert!(p.row(0).is_none(), "the oldest gave way");
        // a new filter: the answer to the old query is dropped
        p.wanted(0..10, 0);
        p.reset(8, 50);
        assert!(!p.arrived(7, 0, page(0)));
        assert_eq!((p.cached(), p.len()), (0, 50));
        // a failed request can be made again
        assert_eq!(p.wanted(0..10, 0), [0]);
        p.failed(8, 0);
        assert_eq!(p.wanted(0..10, 0), [0]);
        // an empty result asks for nothing
        p.reset(9, 0);
        assert!(p.wanted(0..10, 100).is_empty() && p.is_empty());
    }
}
