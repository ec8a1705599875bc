//! Phase 1: every source through its plugin (or the session's cache) into a
//! validated table, and the source columns by reference.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use gpu_charts_plugin_api as api;

use crate::config::{self, ConfigErrorKind, ConfigErrors, LoadedChart};
use crate::data::sidecar::Sidecars;
use crate::data::timeframe::Aligner;
use crate::data::{DataCache, Table};
use crate::plugins::{PluginRegistry, SourceData, host_notice};

use super::{BuildStats, Builder, ColumnData};

/// Phase 1: every source through its plugin (or the cache), validated.
#[allow(clippy::type_complexity)]
pub(super) fn load_sources(
    b: &mut Builder<'_>,
    registry: &PluginRegistry,
    cache: &mut DataCache,
    stats: &mut BuildStats,
) -> Result<(BTreeMap<String, Arc<Table>>, BTreeMap<String, String>), ConfigErrors> {
    let loaded = b.loaded;
    let cfg = &loaded.config;
    // 1. Sources.
    let mut tables: BTreeMap<String, Arc<Table>> = BTreeMap::new();
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (id, src) in &cfg.sources {
        let path = format!("sources.{id}");
        let plugin = match registry.source(&src.kind) {
            Ok(p) => p,
            Err(e) => {
                b.err(
                    &format!("{path}.kind"),
                    ConfigErrorKind::Plugin,
                    e.to_string(),
                    None,
                );
                continue;
            }
        };
        let schema = plugin.info().params_schema.clone();
        let what = format!("source plugin `{}`", src.kind);
        if let Err(e) = config::validate_params(
            &schema,
            &src.params,
            &format!("{path}.params"),
            &what,
            b.map,
        ) {
            b.errs(e);
            continue;
        }
        let params = config::apply_defaults(&schema, &src.params).to_string();
        let base = loaded.base_dir.to_string_lossy().to_string();
        let mut key = format!("{}\u{0}{}\u{0}{}", src.kind, params, base);
        // `load = "view"`: only sources that take range hints (ABI 1.3) get
        // one; the others load everything, as with `load = "all"`.
        let range = config::load_range(loaded, id)
            .filter(|_| plugin.takes_range_hint())
            .map(|r| align_to_timeframe(loaded, id, r));
        if let Some((from, to)) = range {
            key.push_str(&format!("\u{0}range\u{0}{from}..={to}"));
            stats.loaded_ranges.insert(id.clone(), (from, to));
        }
        keys.insert(id.clone(), key.clone());
        if let Some(t) = cache.table(&key) {
            tables.insert(id.clone(), t);
            stats.sources_cached.push(id.clone());
            continue;
        }
        stats.sources_read.push(id.clone());
        // A source that lends its columns (ABI 1.2) is used in place;
        // others are read into owned columns.
        let opened = match range {
            Some((from, to)) => plugin
                .open_range(&params, &base, from, to)
                .map(|(instance, _)| instance),
            None => plugin.open(&params, &base),
        };
        let raw = opened.and_then(crate::plugins::SourceInstance::load);
        let table = match raw {
            Ok(SourceData::Read(raw)) => {
                Table::from_raw(id, raw.names, raw.timestamps, raw.columns)
            }
            Ok(SourceData::Lent(lent)) => {
                Table::from_lent(id, lent, &loaded.base_dir, &Sidecars::from_env()).map(
                    |(t, report)| {
                        for notice in &report.notices {
                            host_notice("data", api::GC_LOG_WARN, notice);
                        }
                        t
                    },
                )
            }
            Err(e) => {
                b.err(&path, ConfigErrorKind::Plugin, e.to_string(), None);
                continue;
            }
        };
        match table {
            Ok(t) => {
                let t = Arc::new(t);
                cache.put_table(key, t.clone());
                tables.insert(id.clone(), t);
            }
            Err(e) => b.err(&path, ConfigErrorKind::Data, e.to_string(), None),
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    Ok((tables, keys))
}

/// Widens a load range to whole bars of the timeframe source `id` is shown
/// at, so the first and last bars are not cut short.
fn align_to_timeframe(loaded: &LoadedChart, id: &str, (from, to): (i64, i64)) -> (i64, i64) {
    let tf = match loaded.timeframe_override {
        Some(choice) => choice,
        None => loaded
            .config
            .sources
            .get(id)
            .and_then(|s| s.timeframe.as_deref())
            .and_then(|t| t.parse().ok()),
    };
    let Some(tf) = tf else {
        return (from, to);
    };
    let al = Aligner::new(tf, Some(loaded.timezone));
    let from = match from {
        i64::MIN => from,
        t => al.bucket_start(t).unwrap_or(t),
    };
    let to = match to {
        i64::MAX => to,
        t => al
            .bucket(t)
            .map_or(t, |(_, end)| end.saturating_sub(1).max(t)),
    };
    (from, to)
}

/// Source columns by reference (`src.col`).
pub(super) fn source_columns(tables: &BTreeMap<String, Arc<Table>>) -> HashMap<String, ColumnData> {
    let mut by_name = HashMap::new();
    for (id, t) in tables {
        for (name, col) in t.names.iter().zip(&t.columns) {
            by_name.insert(
                format!("{id}.{name}"),
                ColumnData {
                    timeline: t.timeline.clone(),
                    column: col.clone(),
                },
            );
        }
    }
    by_name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_columns_are_named_source_dot_column_on_the_table_timeline() {
        let t = Table::from_raw(
            "aapl",
            vec!["close".into(), "volume".into()],
            vec![1, 2],
            vec![vec![1.0, 2.0], vec![5.0, 6.0]],
        )
        .unwrap();
        let t = Arc::new(t);
        let by_name = source_columns(&BTreeMap::from([("aapl".to_string(), t.clone())]));
        let mut names: Vec<&String> = by_name.keys().collect();
        names.sort();
        assert_eq!(names, ["aapl.close", "aapl.volume"]);
        let v = &by_name["aapl.volume"];
        assert!(Arc::ptr_eq(&v.timeline, &t.timeline));
        assert_eq!(&v.column.values[..], &[5.0, 6.0]);
    }
}
