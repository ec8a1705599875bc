//! What a session keeps across loads of a chart: source tables (by source
//! plugin, params and folder) and indicator outputs (by fingerprint), so a
//! reload reads and computes only what changed.
//!
//! The cache knows nothing of the scene: indicator entries are opaque values
//! the model stores and gets back by type.

use std::any::Any;
use std::sync::Arc;

use crate::data::Table;

/// What a cache key names: keys of tables and of indicator outputs live in
/// separate spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Table(String),
    Output(String),
}

/// A cached value with the bytes it holds.
struct Slot {
    value: Value,
    size_bytes: usize,
}

enum Value {
    Table(Arc<Table>),
    /// An indicator entry: opaque to the cache, stored by the model.
    Output(Arc<dyn Any + Send + Sync>),
}

/// Source tables (keyed by plugin, params and folder) and indicator outputs
/// (keyed by a fingerprint of their definition and inputs) cached across
/// loads, within one memory budget: when the bytes held pass it, the least
/// recently used entries go first, tables and outputs alike. The entry
/// just stored always stays, even alone over the budget (the model that
/// stored it holds it anyway).
pub struct DataCache {
    lru: lru::LruCache<Key, Slot>,
    budget_bytes: usize,
    used_bytes: usize,
    stats: CacheStats,
    /// Keys a build asked for or stored since [`DataCache::begin_build`],
    /// with their sizes: what that build needs resident.
    working: std::collections::HashMap<Key, usize>,
}

/// What the cache did (counts since it was made).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found their entry.
    pub hits: u64,
    /// Lookups that did not (the caller then reads or computes it).
    pub misses: u64,
    /// Entries dropped to stay within the budget.
    pub evictions: u64,
    /// Bytes of those entries.
    pub evicted_bytes: u64,
}

impl DataCache {
    /// A cache holding up to `budget_bytes` of tables and indicator outputs.
    pub fn new(budget_bytes: usize) -> DataCache {
        DataCache {
            lru: lru::LruCache::unbounded(),
            budget_bytes,
            used_bytes: 0,
            stats: CacheStats::default(),
            working: std::collections::HashMap::new(),
        }
    }

    /// Sets the budget, evicting least recently used entries at once if
    /// the cache holds more.
    pub fn set_budget(&mut self, budget_bytes: usize) {
        self.budget_bytes = budget_bytes;
        self.evict(0);
    }

    /// Starts counting what one build needs ([`DataCache::working_bytes`]).
    pub fn begin_build(&mut self) {
        self.working.clear();
    }

    /// Bytes of the entries looked up (and found) or stored since
    /// [`DataCache::begin_build`]: what the chart being built keeps
    /// resident (its model holds them whether or not the cache does).
    pub fn working_bytes(&self) -> usize {
        self.working.values().sum()
    }

    /// Hits, misses and evictions so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    fn lookup(&mut self, key: Key) -> Option<&Slot> {
        match self.lru.get(&key) {
            Some(slot) => {
                self.stats.hits += 1;
                self.working.insert(key, slot.size_bytes);
                Some(slot)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// The table cached under `key` (marks it recently used).
    pub fn table(&mut self, key: &str) -> Option<Arc<Table>> {
        match self.lookup(Key::Table(key.to_string())) {
            Some(Slot {
                value: Value::Table(t),
                ..
            }) => Some(t.clone()),
            _ => None,
        }
    }

    /// Caches `table` under `key` (its size is [`Table::size_bytes`]).
    pub fn put_table(&mut self, key: String, table: Arc<Table>) {
        let size_bytes = table.size_bytes();
        self.put(Key::Table(key), Value::Table(table), size_bytes);
    }

    /// The indicator entry cached under `key`, if there is one of type `T`
    /// (marks it recently used).
    pub fn output<T: Any + Send + Sync>(&mut self, key: &str) -> Option<Arc<T>> {
        match self.lookup(Key::Output(key.to_string())) {
            Some(Slot {
                value: Value::Output(e),
                ..
            }) => e.clone().downcast::<T>().ok(),
            _ => None,
        }
    }

    /// Caches an indicator entry under `key`; `size_bytes` is what it holds
    /// (its columns and their pyramids).
    pub fn put_output<T: Any + Send + Sync>(
        &mut self,
        key: String,
        entry: Arc<T>,
        size_bytes: usize,
    ) {
        self.put(Key::Output(key), Value::Output(entry), size_bytes);
    }

    fn put(&mut self, key: Key, value: Value, size_bytes: usize) {
        self.used_bytes += size_bytes;
        self.working.insert(key.clone(), size_bytes);
        if let Some(old) = self.lru.put(key, Slot { value, size_bytes }) {
            self.used_bytes -= old.size_bytes;
        }
        // The newest entry is the most recently used: it goes last, never.
        self.evict(1);
    }

    /// Drops least recently used entries until the budget holds or only
    /// `keep` entries are left.
    fn evict(&mut self, keep: usize) {
        while self.used_bytes > self.budget_bytes && self.lru.len() > keep {
            match self.lru.pop_lru() {
                Some((_, slot)) => {
                    self.used_bytes -= slot.size_bytes;
                    self.stats.evictions += 1;
                    self.stats.evicted_bytes += slot.size_bytes as u64;
                }
                None => break,
            }
        }
    }

    /// Bytes held by the cached tables and indicator outputs together.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes
    }

    /// The memory budget, in bytes.
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// Number of cached tables and indicator outputs.
    pub fn len(&self) -> usize {
        self.lru.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.lru.is_empty()
    }
}

impl Default for DataCache {
    /// The CPU share of the `balanced` preset's 2 GiB budget (see
    /// [`crate::quality::MemoryBudget`]).
    fn default() -> Self {
        DataCache::new(((2u64 << 30) - (2u64 << 30) / 8) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: &str, rows: usize) -> Arc<Table> {
        let ts: Vec<i64> = (0..rows as i64).collect();
        let col: Vec<f64> = (0..rows).map(|i| i as f64).collect();
        Arc::new(Table::from_raw(id, vec!["close".into()], ts, vec![col]).unwrap())
    }

    #[test]
    fn tables_stay_within_budget_dropping_least_recently_used() {
        let one = table("a", 100).size_bytes();
        let mut cache = DataCache::new(2 * one);
        cache.put_table("a".into(), table("a", 100));
        cache.put_table("b".into(), table("b", 100));
        assert_eq!(cache.used_bytes(), 2 * one);
        // Touch `a`, so `b` is the least recently used when `c` comes.
        assert!(cache.table("a").is_some());
        cache.put_table("c".into(), table("c", 100));
        assert_eq!(cache.used_bytes(), 2 * one);
        assert!(cache.table("b").is_none());
        assert!(cache.table("a").is_some());
        assert!(cache.table("c").is_some());
    }

    #[test]
    fn the_newest_table_stays_even_over_budget() {
        let mut cache = DataCache::new(0);
        cache.put_table("a".into(), table("a", 10));
        cache.put_table("b".into(), table("b", 10));
        assert!(cache.table("a").is_none());
        assert!(cache.table("b").is_some());
        assert_eq!(cache.used_bytes(), table("b", 10).size_bytes());
    }

    #[test]
    fn stats_count_hits_misses_and_evictions() {
        let one = table("a", 100).size_bytes();
        let mut cache = DataCache::new(2 * one);
        assert!(cache.table("a").is_none());
        cache.put_table("a".into(), table("a", 100));
        cache.put_table("b".into(), table("b", 100));
        assert!(cache.table("a").is_some());
        cache.put_table("c".into(), table("c", 100));
        let s = cache.stats();
        assert_eq!((s.hits, s.misses), (1, 1));
        assert_eq!((s.evictions, s.evicted_bytes), (1, one as u64), "b went");
        // A smaller budget evicts at once, down to nothing if need be.
        cache.set_budget(one);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.stats().evictions, 2);
        cache.set_budget(0);
        assert!(cache.is_empty());
        assert_eq!(cache.used_bytes(), 0);
    }

    #[test]
    fn the_working_set_is_what_one_build_used() {
        let one = table("a", 100).size_bytes();
        let mut cache = DataCache::default();
        cache.put_table("a".into(), table("a", 100));
        cache.put_table("b".into(), table("b", 100));
        cache.begin_build();
        assert_eq!(cache.working_bytes(), 0);
        assert!(cache.table("a").is_some());
        assert!(cache.table("a").is_some(), "counted once");
        cache.put_output("sma".into(), Arc::new(1u8), 10);
        assert_eq!(cache.working_bytes(), one + 10, "b was not used");
    }

    #[test]
    fn replacing_a_table_counts_it_once() {
        let mut cache = DataCache::default();
        cache.put_table("a".into(), table("a", 10));
        cache.put_table("a".into(), table("a", 20));
        assert_eq!(cache.used_bytes(), table("a", 20).size_bytes());
    }

    #[test]
    fn outputs_come_back_by_type() {
        let mut cache = DataCache::default();
        cache.put_output("k".into(), Arc::new(42u32), 4);
        assert_eq!(cache.output::<u32>("k").as_deref(), Some(&42));
        assert!(
            cache.output::<String>("k").is_none(),
            "another type is a miss"
        );
        assert!(cache.output::<u32>("other").is_none());
    }

    #[test]
    fn outputs_count_bytes_in_the_same_budget_as_tables() {
        let one = table("a", 100).size_bytes();
        let mut cache = DataCache::new(3 * one);
        cache.put_table("a".into(), table("a", 100));
        cache.put_output("sma#1".into(), Arc::new(1u8), one);
        assert_eq!(cache.used_bytes(), 2 * one, "both kinds count");
        // A table and an output may share a key string: separate entries.
        cache.put_output("a".into(), Arc::new(2u8), one);
        assert_eq!(cache.len(), 3);
        assert!(cache.table("a").is_some());
        // Over budget: the least recently used goes first, whatever its kind.
        cache.put_output("sma#2".into(), Arc::new(3u8), one);
        assert!(cache.output::<u8>("sma#1").is_none(), "oldest, untouched");
        assert!(cache.table("a").is_some(), "touched above");
        assert_eq!(cache.used_bytes(), 3 * one);
    }

    #[test]
    fn many_parameter_edits_stay_within_budget_keeping_the_current_ones() {
        let table_bytes = table("px", 1000).size_bytes();
        let output_bytes = 1000 * 8 * 2;
        // Room for the source and four sets of outputs.
        let budget = table_bytes + 4 * output_bytes;
        let mut cache = DataCache::new(budget);
        for period in 1..=200u32 {
            // A build: the source from the cache (or read), then the edited
            // indicator computed and stored under its new fingerprint.
            if cache.table("px").is_none() {
                cache.put_table("px".into(), table("px", 1000));
            }
            cache.put_output(format!("sma#{period}"), Arc::new(period), output_bytes);
            assert!(
                cache.used_bytes() <= budget,
                "period {period}: {}",
                cache.used_bytes()
            );
            assert!(
                cache.table("px").is_some(),
                "period {period}: the source stays"
            );
            assert_eq!(
                cache.output::<u32>(&format!("sma#{period}")).as_deref(),
                Some(&period)
            );
        }
        assert!(cache.output::<u32>("sma#196").is_none(), "old edits went");
        assert!(
            cache.output::<u32>("sma#197").is_some(),
            "recent edits stay"
        );
    }
}
