//! What a session keeps across loads of a chart: source tables (by source
//! plugin, params and folder) and indicator outputs (by fingerprint), so a
//! reload reads and computes only what changed.
//!
//! The cache knows nothing of the scene: indicator entries are opaque values
//! the model stores and gets back by type.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::data::Table;

/// An indicator entry as the cache holds it.
type Entry = Arc<dyn Any + Send + Sync>;

/// Indicator results kept (each shares its columns with the models that
/// show it, so this bounds entries rather than bytes).
const INDICATOR_CACHE_ENTRIES: usize = 256;

/// Source tables cached across loads, keyed by plugin, params and folder,
/// within a memory budget (least recently used dropped first), and
/// indicator outputs keyed by a fingerprint of their definition and inputs.
pub struct DataCache {
    tables: lru::LruCache<String, Arc<Table>>,
    budget_bytes: usize,
    used_bytes: usize,
    indicators: lru::LruCache<String, Entry>,
}

impl DataCache {
    /// A cache holding up to `budget_bytes` of tables.
    pub fn new(budget_bytes: usize) -> DataCache {
        DataCache {
            tables: lru::LruCache::unbounded(),
            budget_bytes,
            used_bytes: 0,
            indicators: lru::LruCache::new(
                NonZeroUsize::new(INDICATOR_CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN),
            ),
        }
    }

    /// The table cached under `key` (marks it recently used).
    pub fn table(&mut self, key: &str) -> Option<Arc<Table>> {
        self.tables.get(key).cloned()
    }

    /// Caches `table` under `key`, then drops the least recently used
    /// tables while over budget (the newest always stays).
    pub fn put_table(&mut self, key: String, table: Arc<Table>) {
        self.used_bytes += table.size_bytes();
        if let Some(old) = self.tables.put(key, table) {
            self.used_bytes -= old.size_bytes();
        }
        while self.used_bytes > self.budget_bytes && self.tables.len() > 1 {
            match self.tables.pop_lru() {
                Some((_, t)) => self.used_bytes -= t.size_bytes(),
                None => break,
            }
        }
    }

    /// The indicator entry cached under `key`, if there is one of type `T`.
    pub fn output<T: Any + Send + Sync>(&mut self, key: &str) -> Option<Arc<T>> {
        self.indicators
            .get(key)
            .cloned()
            .and_then(|e| e.downcast::<T>().ok())
    }

    /// Caches an indicator entry under `key`.
    pub fn put_output<T: Any + Send + Sync>(&mut self, key: String, entry: Arc<T>) {
        self.indicators.put(key, entry);
    }

    /// Bytes held.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes
    }
}

impl Default for DataCache {
    fn default() -> Self {
        DataCache::new(2 << 30)
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
    fn replacing_a_table_counts_it_once() {
        let mut cache = DataCache::default();
        cache.put_table("a".into(), table("a", 10));
        cache.put_table("a".into(), table("a", 20));
        assert_eq!(cache.used_bytes(), table("a", 20).size_bytes());
    }

    #[test]
    fn outputs_come_back_by_type() {
        let mut cache = DataCache::default();
        cache.put_output("k".into(), Arc::new(42u32));
        assert_eq!(cache.output::<u32>("k").as_deref(), Some(&42));
        assert!(
            cache.output::<String>("k").is_none(),
            "another type is a miss"
        );
        assert!(cache.output::<u32>("other").is_none());
    }
}
