//! Phase 1b: sources and series shown at a timeframe. A source's table is
//! replaced by its bars at the source's `timeframe` (or the window's, see
//! [`LoadedChart::timeframe_override`]), so indicators, QUIK scripts and
//! bar series all read the bars; a series with its own `timeframe` draws
//! a table of its own, `<source>@<timeframe>`.
//!
//! What a source holds is recognised by its column names: **bars** when it
//! has `open`, `high`, `low` and `close` (and maybe `volume`), else
//! **ticks** when it has `price` (or, lacking that, `value`, the synthetic
//! source's column) and maybe `size` (or `volume`). Anything else with a
//! `timeframe` is a located error listing its columns.
//!
//! Aggregated tables are cached in the session's [`DataCache`] under the
//! source's key plus the timeframe and time zone, so switching timeframes
//! back and forth aggregates each once, and the indicators on them (whose
//! fingerprints include that key) are reused too.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono_tz::Tz;

use crate::config::{ConfigErrorKind, ConfigErrors, LoadedChart};
use crate::data::accel::TickAggregator;
use crate::data::timeframe::{
    Aligner, Bars, BarsIn, Timeframe, TimeframeAgg, Update, aggregate_bars, aggregate_ticks,
};
use crate::data::{DataCache, DataError, Table};

use super::refs::split_ref;
use super::{BuildStats, Builder};

/// What a source's columns hold, as indices into its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Open, high, low, close and maybe volume.
    Bars {
        open: usize,
        high: usize,
        low: usize,
        close: usize,
        volume: Option<usize>,
    },
    /// A price and maybe a size.
    Ticks { price: usize, size: Option<usize> },
}

impl Shape {
    /// Recognises bars or ticks by column name (see the module docs).
    pub(super) fn of(t: &Table) -> Option<Shape> {
        let at = |n: &str| t.names.iter().position(|c| c == n);
        if let (Some(open), Some(high), Some(low), Some(close)) =
            (at("open"), at("high"), at("low"), at("close"))
        {
            return Some(Shape::Bars {
                open,
                high,
                low,
                close,
                volume: at("volume"),
            });
        }
        let price = at("price").or_else(|| at("value"))?;
        Some(Shape::Ticks {
            price,
            size: at("size").or_else(|| at("volume")),
        })
    }

    fn has_volume(self) -> bool {
        match self {
            Shape::Bars { volume, .. } => volume.is_some(),
            Shape::Ticks { size, .. } => size.is_some(),
        }
    }
}

/// A table made by aggregation, with what it takes to append to it live.
#[derive(Debug, Clone)]
pub(super) struct Aggregated {
    /// Its id in the model's tables (`aapl`, or `aapl@1d` for a series).
    pub(super) table_id: String,
    /// The source it is made from.
    pub(super) source_id: String,
    pub(super) shape: Shape,
    pub(super) aligner: Aligner,
}

impl Aggregated {
    /// Aggregates all of `raw`: ticks on `accel` when it is given and
    /// wants them (its bars equal the CPU path's; on an error the CPU path
    /// runs instead, with a notice in `stats` and on stderr), else on every
    /// core.
    fn bars_of(
        &self,
        raw: &Table,
        accel: Option<&dyn TickAggregator>,
        stats: &mut BuildStats,
    ) -> Result<Bars, String> {
        if let (Shape::Ticks { price, size }, Some(accel)) = (self.shape, accel)
            && accel.wanted(raw.len())
        {
            let ts = &raw.timeline.timestamps;
            let size = size.map(|i| &raw.columns[i].values);
            let name = format!("{}@{}", self.source_id, self.aligner.timeframe());
            match accel.aggregate_ticks(&self.aligner, ts, &raw.columns[price].values, size) {
                Ok(bars) => {
                    stats.timeframes_on_gpu.push(name);
                    return Ok(bars);
                }
                Err(e) => {
                    // wgpu's messages span lines; a notice is one.
                    let e = e.split_whitespace().collect::<Vec<_>>().join(" ");
                    let notice = format!(
                        "{name}: aggregation on the {} failed ({e}); aggregated on the CPU instead",
                        accel.describe()
                    );
                    crate::elog!("{notice}");
                    stats.timeframe_notices.push(notice);
                }
            }
        }
        self.bars(raw, 0..raw.len())
    }

    /// Aggregates rows `range` of `raw` from scratch (on every core).
    fn bars(&self, raw: &Table, range: std::ops::Range<usize>) -> Result<Bars, String> {
        let ts = &raw.timeline.timestamps[range.clone()];
        let col = |i: usize| &raw.columns[i].values[range.clone()];
        let out = match self.shape {
            Shape::Ticks { price, size } => {
                aggregate_ticks(&self.aligner, ts, col(price), size.map(col))
            }
            Shape::Bars {
                open,
                high,
                low,
                close,
                volume,
            } => aggregate_bars(
                &self.aligner,
                &BarsIn {
                    time: ts,
                    open: col(open),
                    high: col(high),
                    low: col(low),
                    close: col(close),
                    volume: volume.map(col),
                    count: None,
                },
            ),
        };
        out.map_err(|e| e.to_string())
    }

    /// The bars as a table named `table_id`.
    pub(super) fn table(&self, bars: &Bars) -> Result<Table, DataError> {
        let mut names = vec!["open", "high", "low", "close"];
        let mut cols = vec![
            bars.open.clone(),
            bars.high.clone(),
            bars.low.clone(),
            bars.close.clone(),
        ];
        if self.shape.has_volume() {
            names.push("volume");
            cols.push(bars.volume.clone());
        }
        names.push("count");
        cols.push(bars.count.iter().map(|&n| n as f64).collect());
        Table::from_raw(
            &self.table_id,
            names.into_iter().map(String::from).collect(),
            bars.time.clone(),
            cols,
        )
    }

    /// Live state over `table` (the bars of all of `raw`): the last bar is
    /// opened again from the raw rows of its bucket, O(rows in one bucket).
    pub(super) fn live(&self, raw: &Table, table: &Table) -> Result<TimeframeAgg, String> {
        let bars = table_bars(table);
        self.resume(raw, bars, table.len().saturating_sub(1))
    }

    /// An aggregation holding the first `keep` bars of `bars`, then the raw
    /// rows from the first one in bar `keep`'s bucket onwards appended.
    fn resume(&self, raw: &Table, mut bars: Bars, keep: usize) -> Result<TimeframeAgg, String> {
        let ts = &raw.timeline.timestamps;
        let from = match bars.time.get(keep) {
            Some(&start) => ts.partition_point(|&t| t < start),
            None => ts.len(),
        };
        truncate(&mut bars, keep);
        let mut agg = TimeframeAgg::resume(self.aligner, bars, from);
        append_raw(&mut agg, self.shape, raw, from..ts.len())?;
        Ok(agg)
    }

    /// Appends raw rows `range` of `raw` (the source after the append) to
    /// `agg`; with `replace_last` the raw table's last row before the append
    /// was replaced, so the last bar is opened again from the raw rows.
    /// Returns the number of leading bars left unchanged.
    pub(super) fn append(
        &self,
        agg: &mut TimeframeAgg,
        raw: &Table,
        range: std::ops::Range<usize>,
        replace_last: bool,
    ) -> Result<usize, String> {
        let before = agg.bars().len();
        if replace_last {
            let keep = before.saturating_sub(1);
            *agg = self.resume(raw, agg.bars().clone(), keep)?;
            return Ok(keep);
        }
        let u: Update = append_raw(agg, self.shape, raw, range)?;
        Ok(before - usize::from(u.replaced_last))
    }
}

fn append_raw(
    agg: &mut TimeframeAgg,
    shape: Shape,
    raw: &Table,
    range: std::ops::Range<usize>,
) -> Result<Update, String> {
    let ts = &raw.timeline.timestamps[range.clone()];
    let col = |i: usize| &raw.columns[i].values[range.clone()];
    let out = match shape {
        Shape::Ticks { price, size } => agg.append(ts, col(price), size.map(col)),
        Shape::Bars {
            open,
            high,
            low,
            close,
            volume,
        } => agg.append_bars(&BarsIn {
            time: ts,
            open: col(open),
            high: col(high),
            low: col(low),
            close: col(close),
            volume: volume.map(col),
            count: None,
        }),
    };
    out.map_err(|e| e.to_string())
}

fn truncate(b: &mut Bars, n: usize) {
    b.time.truncate(n);
    b.open.truncate(n);
    b.high.truncate(n);
    b.low.truncate(n);
    b.close.truncate(n);
    b.volume.truncate(n);
    b.count.truncate(n);
}

/// An aggregated table's columns back as [`Bars`].
fn table_bars(t: &Table) -> Bars {
    let col = |n: &str| t.column(n).map(|c| c.values.to_vec()).unwrap_or_default();
    let n = t.len();
    let mut volume = col("volume");
    volume.resize(n, 0.0);
    Bars {
        time: t.timeline.timestamps.to_vec(),
        open: col("open"),
        high: col("high"),
        low: col("low"),
        close: col("close"),
        volume,
        count: col("count").into_iter().map(|c| c as u64).collect(),
    }
}

/// What the build decided about timeframes.
#[derive(Debug, Default)]
pub(super) struct TimeframeTables {
    /// Every aggregated table (sources first, then series tables).
    pub(super) aggregated: Vec<Aggregated>,
    /// The raw tables of sources shown at a timeframe.
    pub(super) raw: BTreeMap<String, Arc<Table>>,
    /// The timeframe each source is shown at (sources shown as read are
    /// not listed).
    pub(super) source_tf: BTreeMap<String, Timeframe>,
    /// The model's readout.
    pub(super) info: super::TimeframeInfo,
}

impl TimeframeTables {
    /// What series `data` draws at its own `timeframe`: the source's table
    /// when the source is shown at that timeframe anyway, else the series
    /// table (`aapl@1d`, `aapl@1d.close`).
    pub(super) fn series_data(&self, data: &str, tf: Option<Timeframe>) -> String {
        let Some(tf) = tf else {
            return data.to_string();
        };
        let (head, tail) = split_ref(data);
        if self.source_tf.get(head) == Some(&tf) {
            return data.to_string();
        }
        let id = series_table_id(head, tf);
        match tail {
            Some(col) => format!("{id}.{col}"),
            None => id,
        }
    }
}

/// The timeframe a source is shown at: the window's choice for sources
/// holding bars or ticks, else the file's.
fn effective(loaded: &LoadedChart, id: &str, shape: Option<Shape>) -> Option<Timeframe> {
    match loaded.timeframe_override {
        Some(choice) if shape.is_some() => choice,
        _ => loaded
            .config
            .sources
            .get(id)
            .and_then(|s| s.timeframe.as_deref())
            .and_then(|t| t.parse().ok()),
    }
}

/// Replaces the tables of sources with a timeframe by their bars and adds
/// the tables of series with their own timeframe; `keys` (the cache keys
/// that indicator fingerprints use) follow.
pub(super) fn apply_timeframes(
    b: &mut Builder<'_>,
    cache: &mut DataCache,
    tables: &mut BTreeMap<String, Arc<Table>>,
    keys: &mut BTreeMap<String, String>,
    stats: &mut BuildStats,
    accel: Option<&dyn TickAggregator>,
) -> Result<TimeframeTables, ConfigErrors> {
    let loaded = b.loaded;
    let tz: Option<Tz> = Some(loaded.timezone);
    let mut out = TimeframeTables::default();
    let mut finest: Option<i64> = None;
    let ids: Vec<String> = tables.keys().cloned().collect();
    for id in &ids {
        let raw = tables[id].clone();
        let shape = Shape::of(&raw);
        if shape.is_some() {
            out.info.switchable = true;
            let step = smallest_step(&raw.timeline.timestamps);
            finest = match (finest, step) {
                (Some(a), Some(s)) => Some(a.min(s)),
                (a, s) => a.or(s),
            };
        }
        let file_tf = loaded.config.sources[id]
            .timeframe
            .as_deref()
            .and_then(|t| t.parse::<Timeframe>().ok());
        if out.info.file.is_none() {
            out.info.file = file_tf;
        }
        let Some(tf) = effective(loaded, id, shape) else {
            continue;
        };
        let path = format!("sources.{id}.timeframe");
        let Some(shape) = shape else {
            b.err(
                &path,
                ConfigErrorKind::Timeframe,
                format!(
                    "source `{id}` has neither bars (open, high, low, close) nor ticks (price or value) to aggregate into {tf} bars; its columns are: {}",
                    raw.names.join(", ")
                ),
                Some("map the columns in the source's params (e.g. `columns = { price = \"Last\" }`), or remove `timeframe`".into()),
            );
            continue;
        };
        if out.info.current.is_none() {
            out.info.current = Some(tf);
        }
        let agg = Aggregated {
            table_id: id.clone(),
            source_id: id.clone(),
            shape,
            aligner: Aligner::new(tf, tz),
        };
        let key = agg_key(&keys[id], id, tf, loaded.timezone);
        match aggregated(cache, &agg, &raw, &key, stats, tf, accel) {
            Ok(t) => {
                tables.insert(id.clone(), t);
                keys.insert(id.clone(), key);
                out.source_tf.insert(id.clone(), tf);
                out.raw.insert(id.clone(), raw);
                out.aggregated.push(agg);
            }
            Err(msg) => b.err(&path, ConfigErrorKind::Data, msg, None),
        }
    }
    out.info.finest_ns = finest;
    // Series with a timeframe of their own.
    for (p, pane) in loaded.config.panes.iter().enumerate() {
        for (i, s) in pane.series.iter().enumerate() {
            let Some(tf) = s.timeframe.as_deref().and_then(|t| t.parse().ok()) else {
                continue;
            };
            let path = format!("panes[{p}].series[{i}].timeframe");
            let head = split_ref(&s.data).0;
            if !loaded.config.sources.contains_key(head) {
                b.err(
                    &path,
                    ConfigErrorKind::Timeframe,
                    format!("`timeframe` on a series needs source data, but `{}` is not a source or a source column", s.data),
                    Some(format!("name a source (`data = \"aapl\"`) or a source column (`\"aapl.close\"`); to compute an indicator on {tf} bars, set `timeframe = \"{tf}\"` on its source")),
                );
                continue;
            }
            let table_id = series_table_id(head, tf);
            if out.source_tf.get(head) == Some(&tf) || tables.contains_key(&table_id) {
                continue;
            }
            let raw = out.raw.get(head).unwrap_or(&tables[head]).clone();
            let Some(shape) = Shape::of(&raw) else {
                b.err(
                    &path,
                    ConfigErrorKind::Timeframe,
                    format!(
                        "source `{head}` has neither bars (open, high, low, close) nor ticks (price or value) to aggregate into {tf} bars; its columns are: {}",
                        raw.names.join(", ")
                    ),
                    Some("map the columns in the source's params, or remove `timeframe`".into()),
                );
                continue;
            };
            let agg = Aggregated {
                table_id: table_id.clone(),
                source_id: head.to_string(),
                shape,
                aligner: Aligner::new(tf, tz),
            };
            let raw_key = match out.raw.contains_key(head) {
                // The source's own key now names its bars: rebuild the raw one.
                true => raw_key_of(&keys[head]),
                false => keys[head].clone(),
            };
            let key = agg_key(&raw_key, &table_id, tf, loaded.timezone);
            match aggregated(cache, &agg, &raw, &key, stats, tf, accel) {
                Ok(t) => {
                    tables.insert(table_id, t);
                    out.raw.entry(head.to_string()).or_insert(raw);
                    out.aggregated.push(agg);
                }
                Err(msg) => b.err(&path, ConfigErrorKind::Data, msg, None),
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }
    Ok(out)
}

/// The table a series with its own timeframe draws.
pub(super) fn series_table_id(source: &str, tf: Timeframe) -> String {
    format!("{source}@{tf}")
}

const AGG_MARK: &str = "\u{0}timeframe\u{0}";

/// The cache key of `table_id`'s bars at `tf` in `tz` (the table's id is
/// part of it: tables carry their id).
fn agg_key(raw_key: &str, table_id: &str, tf: Timeframe, tz: Tz) -> String {
    format!("{raw_key}{AGG_MARK}{tf}\u{0}{}\u{0}{table_id}", tz.name())
}

fn raw_key_of(key: &str) -> String {
    key.split(AGG_MARK).next().unwrap_or(key).to_string()
}

/// The bars of `raw` at `agg`'s timeframe, from the cache or aggregated now.
fn aggregated(
    cache: &mut DataCache,
    agg: &Aggregated,
    raw: &Table,
    key: &str,
    stats: &mut BuildStats,
    tf: Timeframe,
    accel: Option<&dyn TickAggregator>,
) -> Result<Arc<Table>, String> {
    let name = format!("{}@{tf}", agg.source_id);
    if let Some(t) = cache.table(key) {
        stats.timeframes_cached.push(name);
        return Ok(t);
    }
    let bars = agg.bars_of(raw, accel, stats)?;
    let t = Arc::new(agg.table(&bars).map_err(|e| e.to_string())?);
    cache.put_table(key.to_string(), t.clone());
    stats.timeframes_aggregated.push(name);
    Ok(t)
}

/// The smallest positive difference between consecutive timestamps, over
/// at most [`STEP_SAMPLE_WINDOWS`] windows of [`STEP_SAMPLE_ROWS`] rows
/// spread evenly over the column (every row of a shorter one): it decides
/// only which timeframes the window offers, and a build must not read
/// every timestamp of a billion-row file that a sidecar lets it open
/// without touching them. A step finer than any seen in those windows
/// leaves those finer rungs out of the ladder (they can still be set in
/// the file or by `timeframe = `).
fn smallest_step(ts: &[i64]) -> Option<i64> {
    let step = |w: &[i64]| w.windows(2).map(|w| w[1] - w[0]).filter(|&d| d > 0).min();
    let window = STEP_SAMPLE_ROWS;
    if ts.len() <= window * STEP_SAMPLE_WINDOWS {
        return step(ts);
    }
    // Evenly spaced starts, the first window at the start and the last at
    // the end of the column.
    let last = ts.len() - window;
    (0..STEP_SAMPLE_WINDOWS)
        .map(|k| last * k / (STEP_SAMPLE_WINDOWS - 1))
        .filter_map(|a| step(&ts[a..a + window]))
        .min()
}

/// Windows [`smallest_step`] looks at in a long column.
const STEP_SAMPLE_WINDOWS: usize = 64;
/// Rows in each.
const STEP_SAMPLE_ROWS: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> Table {
        let cols = names.iter().map(|_| vec![1.0, 2.0]).collect();
        Table::from_raw(
            "s",
            names.iter().map(|n| n.to_string()).collect(),
            vec![1, 2],
            cols,
        )
        .unwrap()
    }

    #[test]
    fn shapes_are_recognised_by_column_names() {
        assert_eq!(
            Shape::of(&table(&["open", "high", "low", "close", "volume"])),
            Some(Shape::Bars {
                open: 0,
                high: 1,
                low: 2,
                close: 3,
                volume: Some(4)
            })
        );
        // Bars win over a price column; ticks take `price` before `value`
        // and `size` before `volume`.
        assert!(matches!(
            Shape::of(&table(&["price", "open", "high", "low", "close"])),
            Some(Shape::Bars { volume: None, .. })
        ));
        assert_eq!(
            Shape::of(&table(&["value", "volume", "price", "size"])),
            Some(Shape::Ticks {
                price: 2,
                size: Some(3)
            })
        );
        assert_eq!(
            Shape::of(&table(&["value"])),
            Some(Shape::Ticks {
                price: 0,
                size: None
            })
        );
        assert_eq!(Shape::of(&table(&["open", "close"])), None);
    }

    #[test]
    fn aggregated_keys_name_the_raw_key_back() {
        let tf: Timeframe = "5m".parse().unwrap();
        let raw = "csv\u{0}{}\u{0}/d";
        let k = agg_key(raw, "a", tf, Tz::UTC);
        assert_ne!(k, agg_key(raw, "a", "1h".parse().unwrap(), Tz::UTC));
        assert_ne!(k, agg_key(raw, "a", tf, Tz::Europe__London));
        assert_ne!(k, agg_key(raw, "a@5m", tf, Tz::UTC));
        assert_eq!(raw_key_of(&k), "csv\u{0}{}\u{0}/d");
    }

    #[test]
    fn smallest_step_ignores_equal_timestamps() {
        assert_eq!(smallest_step(&[0, 0, 5, 7, 20]), Some(2));
        assert_eq!(smallest_step(&[3]), None);
    }

    /// A long column is sampled in windows that include both ends: ticks
    /// whose steps repeat through the file give the exact minimum, and one
    /// odd step far from every window is (as documented) not seen.
    #[test]
    fn smallest_step_samples_a_long_column_in_windows() {
        let n = STEP_SAMPLE_ROWS * STEP_SAMPLE_WINDOWS * 5 + 17;
        // Steps of 7, 3, 11 ns over and over, with a second-long gap now and then.
        let mut ts = Vec::with_capacity(n);
        let mut t = 1_700_000_000_000_000_000i64;
        for i in 0..n {
            t += [7, 3, 11][i % 3] + if i % 10_007 == 0 { 1_000_000_000 } else { 0 };
            ts.push(t);
        }
        let exact = |ts: &[i64]| ts.windows(2).map(|w| w[1] - w[0]).filter(|&d| d > 0).min();
        assert_eq!(smallest_step(&ts), exact(&ts));
        // The last step is in the last window.
        let mut end = ts.clone();
        *end.last_mut().unwrap() = end[n - 2] + 1;
        assert_eq!(smallest_step(&end), Some(1));
        // A 1 ns step in the middle of the first gap between windows is missed.
        let second = (n - STEP_SAMPLE_ROWS) / (STEP_SAMPLE_WINDOWS - 1);
        let mut mid = STEP_SAMPLE_ROWS + (second - STEP_SAMPLE_ROWS) / 2;
        while ts[mid] - ts[mid - 1] != 3 {
            mid += 1;
        }
        let mut odd = ts.clone();
        for v in &mut odd[mid..] {
            *v -= 2;
        }
        assert_eq!(exact(&odd), Some(1));
        assert_eq!(smallest_step(&odd), Some(3));
        // Up to the sample's size every row counts.
        let short = &odd[..STEP_SAMPLE_ROWS * STEP_SAMPLE_WINDOWS];
        assert_eq!(smallest_step(short), exact(short));
    }
}
