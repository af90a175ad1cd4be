//! Decoded columns kept between queries: the Arrow array of one column of one row group of one
//! rowset file, and each file's decoded footer, keyed by the file's content hash (the BLAKE3
//! checksum recorded when it was written) and kept up to a byte budget, least recently used
//! evicted first. A rowset file never changes once written, so an entry stays right for every
//! file with that content, snapshots' and restored copies' included, and nothing is ever
//! invalidated. A repeated scan (a dashboard, a benchmark harness) then skips decompressing and
//! decoding Parquet pages, as StarRocks' storage page cache and DuckDB's buffer pool let
//! repeated queries do.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef};
use datafusion::parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parking_lot::Mutex;

/// The budget a database's column cache starts with: 256 MiB.
pub const COLUMN_CACHE_DEFAULT_BYTES: usize = 256 << 20;

/// Which part of a rowset file an entry holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Part {
    /// The decoded footer: row groups, Arrow schema.
    Footer,
    /// One column of one row group.
    Column { row_group: usize, column: Arc<str> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    /// The file's content hash.
    file: Arc<str>,
    part: Part,
}

#[derive(Clone)]
enum Cached {
    Footer(ArrowReaderMetadata),
    Column(ArrayRef),
}

struct Entry {
    value: Cached,
    bytes: usize,
    last_use: u64,
}

struct Entries {
    map: HashMap<Key, Entry>,
    /// The keys by their entries' last use, oldest first.
    by_use: BTreeMap<u64, Key>,
    used: usize,
    clock: u64,
    budget: usize,
}

impl Entries {
    /// The next use's stamp.
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Evicts least recently used entries until `used` is within the budget.
    fn evict(&mut self) {
        while self.used > self.budget {
            let Some((_, key)) = self.by_use.pop_first() else {
                return;
            };
            if let Some(entry) = self.map.remove(&key) {
                self.used -= entry.bytes;
            }
        }
    }
}

/// A database's cache of decoded columns, shared by all its sessions.
pub struct ColumnCache {
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnCache")
            .field("budget", &self.budget())
            .field("used", &self.used())
            .finish_non_exhaustive()
    }
}

impl ColumnCache {
    /// An empty cache holding up to `budget` bytes; 0 turns caching off.
    pub fn new(budget: usize) -> Self {
        Self {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                by_use: BTreeMap::new(),
                used: 0,
                clock: 0,
                budget,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// How many bytes it may hold.
    pub fn budget(&self) -> usize {
        self.entries.lock().budget
    }

    /// Sets how many bytes it may hold, evicting what no longer fits; 0 empties it and turns
    /// caching off.
    pub fn set_budget(&self, budget: usize) {
        let mut entries = self.entries.lock();
        entries.budget = budget;
        entries.evict();
    }

    /// How many bytes its entries hold now.
    pub fn used(&self) -> usize {
        self.entries.lock().used
    }

    /// How many lookups found their column or footer, since the cache was made.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many lookups found nothing (the scan then decoded it), since the cache was made.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The decoded footer of the file whose content hash is `file`.
    pub(crate) fn footer(&self, file: &Arc<str>) -> Option<ArrowReaderMetadata> {
        match self.get(file, Part::Footer)? {
            Cached::Footer(footer) => Some(footer),
            Cached::Column(_) => None,
        }
    }

    /// Keeps the decoded footer of the file whose content hash is `file`.
    pub(crate) fn keep_footer(&self, file: &Arc<str>, footer: ArrowReaderMetadata) {
        let bytes = footer.metadata().memory_size();
        self.keep(file, Part::Footer, Cached::Footer(footer), bytes);
    }

    /// Column `column` of row group `row_group` of the file whose content hash is `file`.
    pub(crate) fn column(
        &self,
        file: &Arc<str>,
        row_group: usize,
        column: &str,
    ) -> Option<ArrayRef> {
        let part = Part::Column {
            row_group,
            column: column.into(),
        };
        match self.get(file, part)? {
            Cached::Column(array) => Some(array),
            Cached::Footer(_) => None,
        }
    }

    /// Keeps column `column` of row group `row_group` of the file whose content hash is `file`.
    pub(crate) fn keep_column(
        &self,
        file: &Arc<str>,
        row_group: usize,
        column: &str,
        array: ArrayRef,
    ) {
        let bytes = array.get_array_memory_size();
        let part = Part::Column {
            row_group,
            column: column.into(),
        };
        self.keep(file, part, Cached::Column(array), bytes);
    }

    fn get(&self, file: &Arc<str>, part: Part) -> Option<Cached> {
        let key = Key {
            file: file.clone(),
            part,
        };
        let mut entries = self.entries.lock();
        let now = entries.tick();
        let found = entries.map.get_mut(&key).map(|entry| {
            let before = std::mem::replace(&mut entry.last_use, now);
            (before, entry.value.clone())
        });
        let found = found.map(|(before, value)| {
            if let Some(key) = entries.by_use.remove(&before) {
                entries.by_use.insert(now, key);
            }
            value
        });
        drop(entries);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Adds an entry of `bytes`, evicting least recently used ones to make room; one larger than
    /// the whole budget is not kept.
    fn keep(&self, file: &Arc<str>, part: Part, value: Cached, bytes: usize) {
        let key = Key {
            file: file.clone(),
            part,
        };
        let mut entries = self.entries.lock();
        if bytes > entries.budget {
            return;
        }
        let now = entries.tick();
        let entry = Entry {
            value,
            bytes,
            last_use: now,
        };
        if let Some(replaced) = entries.map.insert(key.clone(), entry) {
            entries.used -= replaced.bytes;
            entries.by_use.remove(&replaced.last_use);
        }
        entries.by_use.insert(now, key);
        entries.used += bytes;
        entries.evict();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    fn array(len: usize) -> ArrayRef {
        Arc::new(Int64Array::from(vec![7; len]))
    }

    #[test]
    fn keeps_what_fits_and_evicts_the_least_recently_used() {
        let one = array(1000).get_array_memory_size();
        let cache = ColumnCache::new(one * 2);
        let (a, b): (Arc<str>, Arc<str>) = ("aa".into(), "bb".into());
        cache.keep_column(&a, 0, "x", array(1000));
        cache.keep_column(&a, 1, "x", array(1000));
        assert!(cache.column(&a, 0, "x").is_some(), "row group 0, used last");
        cache.keep_column(&b, 0, "x", array(1000));
        assert!(
            cache.column(&a, 1, "x").is_none(),
            "least recently used: evicted"
        );
        assert!(cache.column(&a, 0, "x").is_some());
        assert!(cache.column(&b, 0, "x").is_some());
        assert!(cache.column(&b, 0, "y").is_none(), "another column");
        assert_eq!(cache.used(), one * 2);
        assert_eq!((cache.hits(), cache.misses()), (3, 2));
    }

    #[test]
    fn the_bookkeeping_matches_the_entries_through_replacements_and_evictions() {
        let cache = ColumnCache::new(64 << 10);
        let files: Vec<Arc<str>> = (0..5).map(|i| format!("f{i}").into()).collect();
        for round in 0..400_usize {
            let file = &files[round % files.len()];
            cache.keep_column(file, round % 7, "x", array(1 + round * 37 % 900));
            if round % 3 == 0 {
                cache.column(&files[round % 4], round % 5, "x");
            }
            if round == 300 {
                cache.set_budget(16 << 10);
            }
            let entries = cache.entries.lock();
            let bytes: usize = entries.map.values().map(|e| e.bytes).sum();
            assert_eq!(entries.used, bytes);
            assert!(entries.used <= entries.budget);
            assert_eq!(entries.map.len(), entries.by_use.len());
            assert!(
                entries
                    .by_use
                    .iter()
                    .all(|(at, key)| entries.map.get(key).is_some_and(|e| e.last_use == *at))
            );
        }
    }

    #[test]
    fn an_entry_larger_than_the_budget_and_a_zero_budget_keep_nothing() {
        let cache = ColumnCache::new(100);
        let file: Arc<str> = "cc".into();
        cache.keep_column(&file, 0, "x", array(1000));
        assert_eq!(cache.used(), 0);
        cache.set_budget(1 << 20);
        cache.keep_column(&file, 0, "x", array(1000));
        assert!(cache.used() > 0);
        cache.set_budget(0);
        assert_eq!(cache.used(), 0);
        assert!(cache.column(&file, 0, "x").is_none());
    }
}
