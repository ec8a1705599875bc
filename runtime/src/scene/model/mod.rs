//! The chart model: a validated chart file turned into loaded tables,
//! computed indicator columns and resolved series. Built once per load;
//! every error is located in the chart file (file:line:column, key path).
//!
//! The build is a pipeline, one job per file: [`sources`] (source plugins
//! into tables through the [`DataCache`]), [`order`] (dependency order of
//! indicators), [`fingerprint`] (what an indicator's outputs depend on, for
//! reuse), the indicator engines behind [`engine`] ([`plugin`] and
//! [`script`]), [`timeframes`] (sources and series shown as bars of a
//! timeframe), [`plots`] (series styling and script auto-plots) and
//! [`assemble`] (panes, axis, view). [`live`] keeps the engines' states for
//! bar appends.

mod assemble;
mod engine;
mod fingerprint;
mod live;
mod order;
mod plots;
mod plugin;
mod refs;
mod script;
mod sources;
mod timeframes;
mod view;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono_tz::Tz;
use gpu_charts_plugin_api::GC_USER_UNIFORM_FLOATS;

use crate::config::{self, ChartConfig, ConfigErrorKind, ConfigErrors, LoadedChart, SourceMap};
use crate::data::accel::TickAggregator;
use crate::data::timeframe::Timeframe;
use crate::data::{Column, Table, Timeline};
use crate::plugins::PluginRegistry;
use crate::scene::theme::{Palette, Rgba};
use crate::scene::types::ViewRange;

pub use crate::data::DataCache;
pub use crate::scene::types::ChartTypeSpec;
pub use live::{BarsUpdate, LiveChart, build_live};
pub use plots::{AutoPlot, PlotPane};

use assemble::assemble;
use fingerprint::fingerprint;
use order::indicator_order;
use plugin::plugin_indicator;
use script::script_indicator;
use sources::{load_sources, source_columns};

/// A column together with the timeline it lives on.
#[derive(Debug, Clone)]
pub struct ColumnData {
    /// Timestamps of the rows.
    pub timeline: Arc<Timeline>,
    /// Values and pyramid.
    pub column: Column,
}

/// The OHLCV columns a bar series draws.
#[derive(Debug, Clone)]
pub struct BarsData {
    /// Timestamps of the bars.
    pub timeline: Arc<Timeline>,
    /// Open.
    pub open: Column,
    /// High.
    pub high: Column,
    /// Low.
    pub low: Column,
    /// Close.
    pub close: Column,
    /// Volume, if the source has it.
    pub volume: Option<Column>,
    /// Prefix sums of volume (len + 1), so aggregated volume is O(1).
    pub volume_prefix: Option<Arc<[f64]>>,
}

/// What a series draws.
#[derive(Debug, Clone)]
pub enum SeriesData {
    /// OHLCV bars.
    Bars(BarsData),
    /// One column.
    Line(ColumnData),
    /// Two columns on one timeline: upper and lower edge of a filled band.
    Band(ColumnData, ColumnData),
}

impl SeriesData {
    /// The timeline the series' rows live on.
    pub fn timeline(&self) -> &Arc<Timeline> {
        match self {
            SeriesData::Bars(d) => &d.timeline,
            SeriesData::Line(c) | SeriesData::Band(c, _) => &c.timeline,
        }
    }
}

/// A resolved series.
#[derive(Debug, Clone)]
pub struct SeriesModel {
    /// Legend label.
    pub label: String,
    /// Chart type.
    pub spec: Arc<ChartTypeSpec>,
    /// Data.
    pub data: SeriesData,
    /// Series colour.
    pub color: Rgba,
    /// Rising colour.
    pub up_color: Rgba,
    /// Falling colour.
    pub down_color: Rgba,
    /// Line width in logical pixels.
    pub width: f32,
    /// `frame.user` from the chart type's params.
    pub user: [f32; GC_USER_UNIFORM_FLOATS],
}

/// A pane.
#[derive(Debug, Clone)]
pub struct PaneModel {
    /// Relative height.
    pub height: f64,
    /// Value scale.
    pub scale: config::Scale,
    /// Series, bottom to top.
    pub series: Vec<SeriesModel>,
}

/// Horizontal axis of a chart.
#[derive(Debug, Clone)]
pub enum XMode {
    /// One slot per bar of this timeline.
    Bars(Arc<Timeline>),
    /// Linear time.
    Time,
}

/// A named column for export: its reference and data.
#[derive(Debug, Clone)]
pub struct NamedColumn {
    /// Reference as written in chart files (`aapl.close`, `sma20`, `bb.upper`).
    pub name: String,
    /// The data.
    pub data: ColumnData,
}

/// A loaded chart, ready to draw any view of.
#[derive(Debug, Clone)]
pub struct ChartModel {
    /// The validated config.
    pub config: ChartConfig,
    /// The chart file.
    pub path: PathBuf,
    /// Display time zone.
    pub tz: Tz,
    /// Theme colours.
    pub palette: Palette,
    /// Source tables by id.
    pub tables: BTreeMap<String, Arc<Table>>,
    /// Every source column then every indicator output, in chart order.
    pub columns: Vec<NamedColumn>,
    /// Panes, top to bottom.
    pub panes: Vec<PaneModel>,
    /// Horizontal axis.
    pub x_axis: XMode,
    /// The view the chart file asks for.
    pub initial_view: ViewRange,
    /// What building this model read or computed, and what it reused.
    pub build: BuildStats,
    /// Indicators left out because they failed to compute (or read one
    /// that did); everything else is drawn. Empty for a complete chart.
    pub failed: Vec<FailedPart>,
    /// The timeframe shown, for the readout and the window's keys.
    pub timeframes: TimeframeInfo,
    /// The quality preset in effect (MSAA, bucket width: the frame reads
    /// `lod_px`, renderers the rest); `balanced` unless the chart file,
    /// the command line or `auto` says otherwise (set by
    /// [`crate::render::ChartSession`]).
    pub quality: crate::quality::QualitySettings,
    /// The memory budget in effect and where it came from.
    pub memory_budget: crate::quality::MemoryBudget,
    /// Bytes of ticks GPU aggregation keeps on the device after this
    /// model's build (within the GPU share; the pool gets the rest).
    pub gpu_resident_bytes: u64,
}

/// The timeframe a chart is shown at and what the window may switch to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeframeInfo {
    /// The timeframe of the first source shown at one (by id); `None`:
    /// every source as read.
    pub current: Option<Timeframe>,
    /// The first source's `timeframe` in the chart file (by id).
    pub file: Option<Timeframe>,
    /// The smallest step between the rows of the sources holding bars or
    /// ticks, as read (coarser timeframes only are worth switching to).
    pub finest_ns: Option<i64>,
    /// Some source holds bars or ticks, so its timeframe can be switched.
    pub switchable: bool,
}

/// An indicator that failed while computing (a Lua runtime error, an
/// instruction or memory limit, a plugin's error code or panic), or that
/// reads one that did. It and the series showing it are left out; the rest
/// of the chart draws. A broken chart file, script declaration or
/// reference is not a part: it fails the whole load.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedPart {
    /// The indicator's id.
    pub id: String,
    /// Its index in the chart file's `indicators`.
    pub index: usize,
    /// The failed input's indicator id, when it is left out because of it.
    pub because_of: Option<String>,
    /// The error, located at the indicator in the chart file.
    pub error: config::ConfigError,
}

impl ChartModel {
    /// The failed parts' errors as one text (for a banner), or None when
    /// nothing failed.
    pub fn failure_report(&self) -> Option<String> {
        if self.failed.is_empty() {
            return None;
        }
        let n = self.failed.len();
        let mut text = format!(
            "{n} indicator{} failed and {} left out; the rest of the chart is drawn:",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" }
        );
        for f in &self.failed {
            text.push('\n');
            text.push_str(&f.error.to_string());
        }
        Some(text)
    }

    /// The last lines the build's scripts printed, for the window (the
    /// command line prints them all on stderr).
    pub fn script_log_report(&self) -> Option<String> {
        const SHOWN: usize = 8;
        let log = &self.build.script_log;
        if log.is_empty() {
            return None;
        }
        let skip = log.len().saturating_sub(SHOWN);
        let mut text = String::from("script output:");
        if skip > 0 {
            text.push_str(&format!(" (last {SHOWN} of {} lines)", log.len()));
        }
        for l in &log[skip..] {
            text.push('\n');
            text.push_str(l);
        }
        Some(text)
    }
}

/// What a build did: which sources were read through their plugins and which
/// came from the cache, which indicators were computed and which reused
/// (unchanged definition and inputs: see [`DataCache`]). A reload that only
/// changes a colour reads and computes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Source ids read through their plugin.
    pub sources_read: Vec<String>,
    /// Source ids taken from the cache.
    pub sources_cached: Vec<String>,
    /// Indicator ids computed, in dependency order.
    pub indicators_computed: Vec<String>,
    /// Indicator ids whose outputs were reused from an earlier build.
    pub indicators_reused: Vec<String>,
    /// Aggregated tables computed, as `source@timeframe`.
    pub timeframes_aggregated: Vec<String>,
    /// Aggregated tables taken from the cache, as `source@timeframe`.
    pub timeframes_cached: Vec<String>,
    /// Of `timeframes_aggregated`, those the session's tick aggregator (the
    /// GPU) computed, as `source@timeframe`.
    pub timeframes_on_gpu: Vec<String>,
    /// Notices about timeframes: a GPU aggregation that failed and was
    /// done on the CPU instead (the bars are the same).
    pub timeframe_notices: Vec<String>,
    /// The time range (inclusive UTC ns) each source with `load = "view"`
    /// was asked for and honoured (ABI 1.3 range hints): its table holds at
    /// least those rows. Sources loaded whole are not listed.
    pub loaded_ranges: BTreeMap<String, (i64, i64)>,
    /// What the build's scripts printed (`print`, QUIK `message`), each
    /// line as `[indicator id] text` (rate-limited per run: see
    /// [`crate::script::ScriptInstance::take_log`]).
    pub script_log: Vec<String>,
    /// Each source's table as read (before any timeframe aggregates it),
    /// in id order: what `stats` weighs the resident memory against (full
    /// builds only; empty after a live append).
    pub source_tables: Vec<SourceShape>,
}

/// The size of one source's table as read (`stats` reports it as is).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceShape {
    /// Source id.
    #[serde(rename = "source")]
    pub id: String,
    /// Rows.
    pub rows: u64,
    /// Value columns (the timestamps not counted).
    pub columns: u64,
    /// Bytes of its min/max pyramids.
    pub pyramid_bytes: u64,
    /// Whether a column is lent by the source (e.g. memory-mapped file
    /// pages) rather than owned by the host.
    pub lent: bool,
}

impl SourceShape {
    fn of(id: &str, t: &Table) -> SourceShape {
        SourceShape {
            id: id.to_string(),
            rows: t.len() as u64,
            columns: t.columns.len() as u64,
            pyramid_bytes: t
                .columns
                .iter()
                .map(|c| c.pyramid.size_bytes() as u64)
                .sum(),
            lent: t.timeline.timestamps.is_lent() || t.columns.iter().any(|c| c.values.is_lent()),
        }
    }
}

/// Indicator outputs kept for reuse by a later build of a chart.
#[derive(Debug)]
struct CachedIndicator {
    /// `id` and `id.<output>` columns, as inserted into the column map.
    columns: Vec<(String, ColumnData)>,
    /// Output names, in order.
    outputs: Vec<String>,
    /// The timeline and plots of a script that plots itself.
    plots: Option<(Arc<Timeline>, Vec<AutoPlot>)>,
}

impl CachedIndicator {
    /// Bytes its columns hold (values and pyramids, each column once: `id`
    /// and `id.<first output>` share theirs), for the cache budget.
    fn size_bytes(&self) -> usize {
        let mut seen: Vec<*const f64> = Vec::new();
        let mut total = 0;
        for (_, c) in &self.columns {
            let p = c.column.values.as_ptr();
            if !seen.contains(&p) {
                seen.push(p);
                total += c.column.values.len() * 8 + c.column.pyramid.size_bytes();
            }
        }
        total
    }
}

pub(super) struct Builder<'a> {
    pub(super) loaded: &'a LoadedChart,
    pub(super) map: &'a SourceMap,
    pub(super) errors: Vec<config::ConfigError>,
}

impl Builder<'_> {
    pub(super) fn err(
        &mut self,
        path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let e = self.map.error_at(path, kind, message.into(), help);
        self.errors.push(e);
    }
    /// Records an error and returns every error so far (to stop the build).
    pub(super) fn fail(
        &mut self,
        path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigErrors {
        self.err(path, kind, message, help);
        ConfigErrors(std::mem::take(&mut self.errors))
    }
    pub(super) fn errs(&mut self, e: ConfigErrors) {
        self.errors.extend(e.0);
    }
}

/// Builds the model: loads sources (through `cache`), computes indicators in
/// dependency order, resolves series and validates their chart types' WGSL.
///
/// Indicators whose definition (plugin or script file contents, params,
/// limits) and inputs are unchanged since an earlier build through the same
/// `cache` are not computed again: their outputs are reused, so a reload
/// after a colour edit computes nothing, and one after a parameter edit
/// computes that indicator and those that depend on it.
pub fn build_model(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
) -> Result<ChartModel, ConfigErrors> {
    build(loaded, registry, cache, true, None).map(|l| l.model)
}

/// [`build_model`] with a tick aggregator (the GPU) for large tick sets
/// shown at a timeframe; its bars equal the CPU path's, and the CPU path
/// runs whenever it does not want the ticks or fails.
pub fn build_model_with(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
    accel: Option<&dyn TickAggregator>,
) -> Result<ChartModel, ConfigErrors> {
    build(loaded, registry, cache, true, accel).map(|l| l.model)
}

pub(super) fn build(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
    reuse: bool,
    accel: Option<&dyn TickAggregator>,
) -> Result<LiveChart, ConfigErrors> {
    let mut b = Builder {
        loaded,
        map: &loaded.source_map,
        errors: Vec::new(),
    };
    let mut stats = BuildStats::default();
    let (mut tables, mut source_keys) = load_sources(&mut b, registry, cache, &mut stats)?;
    let timeframes = timeframes::apply_timeframes(
        &mut b,
        cache,
        &mut tables,
        &mut source_keys,
        &mut stats,
        accel,
    )?;
    stats.source_tables = loaded
        .config
        .sources
        .keys()
        .filter_map(|id| {
            let t = timeframes.raw.get(id).or_else(|| tables.get(id))?;
            Some(SourceShape::of(id, t))
        })
        .collect();
    let mut by_name = source_columns(&tables);
    let order = indicator_order(&mut b)?;
    let mut live = Vec::new();
    let mut auto_plots = Vec::new();
    let mut outputs: Vec<(String, Vec<String>)> = Vec::new();
    let mut fingerprints: HashMap<String, String> = HashMap::new();
    let deps = order::indicator_deps(&loaded.config);
    let mut failed: Vec<FailedPart> = Vec::new();
    for i in order {
        let ind = &loaded.config.indicators[i];
        let fp = fingerprint(loaded, i, &source_keys, &fingerprints);
        fingerprints.insert(ind.id.clone(), fp.clone());
        if let Some(f) = failed_input(&b, i, &deps[i], &failed) {
            failed.push(f);
            continue;
        }
        if reuse && let Some(hit) = cache.output::<CachedIndicator>(&fp) {
            for (k, c) in &hit.columns {
                by_name.insert(k.clone(), c.clone());
            }
            if let Some((tl, plots)) = &hit.plots {
                auto_plots.push((i, tl.clone(), plots.clone()));
            }
            outputs.push((ind.id.clone(), hit.outputs.clone()));
            stats.indicators_reused.push(ind.id.clone());
            continue;
        }
        let (mut li, plots) = match &ind.kind {
            Some(kind) => (
                plugin_indicator(&mut b, registry, i, kind, &tables, &by_name)?,
                Vec::new(),
            ),
            None => script_indicator(&mut b, i, &tables, &by_name)?,
        };
        let evaluated = li.evaluate(&mut by_name, 0);
        stats.script_log.extend(li.engine.drain_log());
        let timeline = match evaluated {
            Ok(t) => t,
            Err(msg) => {
                failed.push(FailedPart {
                    id: li.id.clone(),
                    index: i,
                    because_of: None,
                    error: b
                        .map
                        .error_at(&format!("indicators[{i}]"), li.error_kind, msg, None),
                });
                continue;
            }
        };
        stats.indicators_computed.push(li.id.clone());
        outputs.push((li.id.clone(), li.outputs.clone()));
        let plots = (!plots.is_empty()).then_some((timeline, plots));
        if let Some((tl, p)) = &plots {
            auto_plots.push((i, tl.clone(), p.clone()));
        }
        if reuse {
            let columns = std::iter::once(li.id.clone())
                .chain(li.outputs.iter().map(|o| format!("{}.{o}", li.id)))
                .filter_map(|k| by_name.get(&k).map(|c| (k, c.clone())))
                .collect();
            let entry = CachedIndicator {
                columns,
                outputs: li.outputs.clone(),
                plots,
            };
            let size_bytes = entry.size_bytes();
            cache.put_output(fp, Arc::new(entry), size_bytes);
        }
        live.push(li);
    }
    let left_out = failed.iter().map(|f| f.id.clone()).collect();
    let mut model = assemble(
        &mut b,
        registry,
        &tables,
        &by_name,
        &outputs,
        &auto_plots,
        &left_out,
        &timeframes,
    )?;
    model.build = stats;
    model.failed = failed.clone();
    let aggs = vec![None; timeframes.aggregated.len()];
    Ok(LiveChart {
        loaded: loaded.clone(),
        model,
        tables,
        by_name,
        live,
        auto_plots,
        failed,
        timeframes,
        aggs,
        last_update: Vec::new(),
    })
}

/// When indicator `i` reads a failed one (`deps`: the indicators it reads),
/// its own failure: left out, located at its input, naming that input.
pub(super) fn failed_input(
    b: &Builder<'_>,
    i: usize,
    deps: &[usize],
    failed: &[FailedPart],
) -> Option<FailedPart> {
    let up = deps
        .iter()
        .find_map(|d| failed.iter().find(|f| f.index == *d))?;
    let ind = &b.loaded.config.indicators[i];
    let path = match &ind.input {
        Some(r) if refs::split_ref(r).0 == up.id => format!("indicators[{i}].input"),
        _ => ind
            .inputs
            .iter()
            .find(|(_, r)| refs::split_ref(r).0 == up.id)
            .map_or(format!("indicators[{i}]"), |(role, _)| {
                format!("indicators[{i}].inputs.{role}")
            }),
    };
    let message = format!(
        "indicator `{}` is left out: input `{}` failed",
        ind.id, up.id
    );
    let help = Some(format!("fix indicator `{}` (its error is above)", up.id));
    Some(FailedPart {
        id: ind.id.clone(),
        index: i,
        because_of: Some(up.id.clone()),
        error: b
            .map
            .error_at(&path, config::ConfigErrorKind::Reference, message, help),
    })
}
