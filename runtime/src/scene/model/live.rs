//! Live charts: bars appended to a source recompute only the changed rows of
//! the indicators on its timeline, with the states kept since the build.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::{ConfigErrorKind, ConfigErrors, LoadedChart};
use crate::data::timeframe::TimeframeAgg;
use crate::data::{DataCache, Table, Timeline};
use crate::plugins::PluginRegistry;

use super::assemble::assemble;
use super::engine::LiveIndicator;
use super::order::indicator_deps;
use super::plots::AutoPlot;
use super::timeframes::TimeframeTables;
use super::{BuildStats, Builder, ChartModel, ColumnData, FailedPart, build, failed_input};

/// A chart that keeps every indicator's state, so bars appended to a source
/// are computed incrementally (see [`LiveChart::append`]).
pub struct LiveChart {
    pub(super) loaded: LoadedChart,
    /// The current snapshot, rebuilt after every change.
    pub model: ChartModel,
    pub(super) tables: BTreeMap<String, Arc<Table>>,
    pub(super) by_name: HashMap<String, ColumnData>,
    pub(super) live: Vec<LiveIndicator>,
    pub(super) auto_plots: Vec<(usize, Arc<Timeline>, Vec<AutoPlot>)>,
    /// Indicators left out (they failed, or read one that did).
    pub(super) failed: Vec<FailedPart>,
    /// Tables aggregated to a timeframe and the raw tables they come from.
    pub(super) timeframes: TimeframeTables,
    /// The live aggregation of each of `timeframes.aggregated`, made at
    /// its first append.
    pub(super) aggs: Vec<Option<TimeframeAgg>>,
    /// What the last append did to each aggregated table.
    pub(super) last_update: Vec<BarsUpdate>,
}

/// What an append did to a table aggregated to a timeframe: its first
/// `unchanged` bars kept their values (the rest were replaced or added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsUpdate {
    /// The table (`aapl`, or `aapl@1d` for a series' own timeframe).
    pub table: String,
    /// Leading bars left as they were.
    pub unchanged: usize,
    /// Bars now.
    pub len: usize,
}

/// Builds a [`LiveChart`] (the model plus the indicator states). Every
/// indicator is computed (its state is needed for appends).
pub fn build_live(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
) -> Result<LiveChart, ConfigErrors> {
    build(loaded, registry, cache, false, None)
}

impl LiveChart {
    /// Appends rows to source `source_id` (columns in the source's column
    /// order), or, with `replace_last`, replaces its last row by the first
    /// given row and appends the rest (a bar that is still forming). Every
    /// indicator on that source's timeline computes only the changed rows;
    /// the result equals a full recompute. Indicators on other timelines keep
    /// their values (cross-timeline inputs are not updated incrementally).
    pub fn append(
        &mut self,
        registry: &PluginRegistry,
        source_id: &str,
        timestamps: &[i64],
        columns: &[Vec<f64>],
        replace_last: bool,
    ) -> Result<(), ConfigErrors> {
        let mut b = Builder {
            loaded: &self.loaded,
            map: &self.loaded.source_map,
            errors: Vec::new(),
        };
        let path = format!("sources.{source_id}");
        // A source shown at a timeframe keeps its rows as read aside.
        let raw_kept = self.timeframes.raw.get(source_id).cloned();
        let Some(old) = raw_kept.or_else(|| self.tables.get(source_id).cloned()) else {
            b.err(
                "sources",
                ConfigErrorKind::Reference,
                format!("no source `{source_id}` to append to"),
                None,
            );
            return Err(ConfigErrors(b.errors));
        };
        if columns.len() != old.columns.len() || columns.iter().any(|c| c.len() != timestamps.len())
        {
            b.err(
                &path,
                ConfigErrorKind::Data,
                format!(
                    "appended rows need {} columns of {} values",
                    old.columns.len(),
                    timestamps.len()
                ),
                None,
            );
            return Err(ConfigErrors(b.errors));
        }
        let keep = if replace_last {
            old.len().saturating_sub(1)
        } else {
            old.len()
        };
        let mut ts = old.timeline.timestamps[..keep].to_vec();
        ts.extend_from_slice(timestamps);
        let cols: Vec<Vec<f64>> = old
            .columns
            .iter()
            .zip(columns)
            .map(|(c, new)| {
                let mut v = c.values[..keep].to_vec();
                v.extend_from_slice(new);
                v
            })
            .collect();
        let table = Table::from_raw(source_id, old.names.clone(), ts, cols)
            .map_err(|e| b.fail(&path, ConfigErrorKind::Data, e.to_string(), None))?;
        let table = Arc::new(table);
        // Aggregated tables: O(update) through their live aggregation. All
        // of them are made before anything is replaced, so a failure leaves
        // the chart as it was (and the aggregations to be made again).
        let mut made: Vec<(String, Arc<Table>, BarsUpdate)> = Vec::new();
        for (k, a) in self.timeframes.aggregated.iter().enumerate() {
            if a.source_id != source_id {
                continue;
            }
            let Some(shown) = self.tables.get(&a.table_id).cloned() else {
                continue;
            };
            let step = |slot: &mut Option<TimeframeAgg>| -> Result<(usize, Table), String> {
                let agg = match slot {
                    Some(agg) => agg,
                    slot => slot.insert(a.live(&old, &shown)?),
                };
                let kept = a.append(agg, &table, keep..table.len(), replace_last)?;
                let bars = a.table(agg.bars()).map_err(|e| e.to_string())?;
                Ok((kept, bars))
            };
            match step(&mut self.aggs[k]) {
                Ok((kept, bars)) => {
                    let update = BarsUpdate {
                        table: a.table_id.clone(),
                        unchanged: kept,
                        len: bars.len(),
                    };
                    made.push((a.table_id.clone(), Arc::new(bars), update));
                }
                Err(e) => {
                    for (j, other) in self.timeframes.aggregated.iter().enumerate() {
                        if other.source_id == source_id {
                            self.aggs[j] = None;
                        }
                    }
                    return Err(b.fail(&path, ConfigErrorKind::Data, e, None));
                }
            }
        }
        // Rows of each table that kept their values, by table id (the
        // timeline's source id).
        let mut unchanged: HashMap<String, usize> = HashMap::new();
        if let Some(raw) = self.timeframes.raw.get_mut(source_id) {
            *raw = table.clone();
        }
        if !made.iter().any(|(id, _, _)| id == source_id) {
            unchanged.insert(source_id.to_string(), keep);
            insert_table(&mut self.tables, &mut self.by_name, source_id, table);
        }
        self.last_update.clear();
        for (id, bars, update) in made {
            unchanged.insert(id.clone(), update.unchanged);
            insert_table(&mut self.tables, &mut self.by_name, &id, bars);
            self.last_update.push(update);
        }
        // An indicator that fails now drops out like one that failed at
        // build time, and so does everything reading it.
        let deps = indicator_deps(&self.loaded.config);
        let mut k = 0;
        let mut script_log = Vec::new();
        while k < self.live.len() {
            let li = &mut self.live[k];
            let i = li.index;
            let changed_from = li
                .timeline(&self.by_name)
                .and_then(|t| unchanged.get(&t.source_id).copied());
            let failure = match (failed_input(&b, i, &deps[i], &self.failed), changed_from) {
                (Some(f), _) => Some(f),
                (None, Some(keep)) => {
                    let evaluated = li.evaluate(&mut self.by_name, keep);
                    script_log.extend(li.engine.drain_log());
                    evaluated.err().map(|msg| FailedPart {
                        id: li.id.clone(),
                        index: i,
                        because_of: None,
                        error: b.map.error_at(
                            &format!("indicators[{i}]"),
                            li.error_kind,
                            msg,
                            None,
                        ),
                    })
                }
                (None, None) => None,
            };
            match failure {
                Some(f) => {
                    let li = self.live.remove(k);
                    self.by_name.remove(&li.id);
                    for o in &li.outputs {
                        self.by_name.remove(&format!("{}.{o}", li.id));
                    }
                    self.auto_plots.retain(|(j, _, _)| *j != i);
                    self.failed.push(f);
                }
                None => k += 1,
            }
        }
        // Script plots keep their timeline's identity: refresh it.
        for (i, tl, _) in &mut self.auto_plots {
            if let Some(li) = self.live.iter().find(|l| l.index == *i)
                && let Some(t) = li.timeline(&self.by_name)
            {
                *tl = t;
            }
        }
        let outputs: Vec<(String, Vec<String>)> = self
            .live
            .iter()
            .map(|l| (l.id.clone(), l.outputs.clone()))
            .collect();
        let stats = BuildStats {
            indicators_computed: self.live.iter().map(|l| l.id.clone()).collect(),
            script_log,
            ..BuildStats::default()
        };
        let left_out = self.failed.iter().map(|f| f.id.clone()).collect();
        self.model = assemble(
            &mut b,
            registry,
            &self.tables,
            &self.by_name,
            &outputs,
            &self.auto_plots,
            &left_out,
            &self.timeframes,
        )?;
        self.model.build = stats;
        self.model.failed = self.failed.clone();
        Ok(())
    }

    /// What the last [`LiveChart::append`] did to each table aggregated
    /// from the source it appended to.
    pub fn last_bars_update(&self) -> &[BarsUpdate] {
        &self.last_update
    }
}

/// Puts `table` in place under `id`, with its columns by reference.
fn insert_table(
    tables: &mut BTreeMap<String, Arc<Table>>,
    by_name: &mut HashMap<String, ColumnData>,
    id: &str,
    table: Arc<Table>,
) {
    for (name, col) in table.names.iter().zip(&table.columns) {
        by_name.insert(
            format!("{id}.{name}"),
            ColumnData {
                timeline: table.timeline.clone(),
                column: col.clone(),
            },
        );
    }
    tables.insert(id.to_string(), table);
}
