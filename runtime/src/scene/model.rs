//! The chart model: a validated chart file turned into loaded tables,
//! computed indicator columns and resolved series. Built once per load;
//! every error is located in the chart file (file:line:column, key path).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono_tz::Tz;
use gpu_charts_plugin_api::{
    GC_FIELD_VOLUME, GC_INPUT_BAND, GC_INPUT_BARS, GC_INPUT_LINE, GC_USER_UNIFORM_FLOATS,
};

use crate::config::{
    self, ChartConfig, ConfigErrorKind, ConfigErrors, LoadedChart, SourceMap, XAxis,
};
use crate::data::{self, Column, Table, Timeline};
use crate::plugins::PluginRegistry;
use crate::scene::frame::ViewRange;
use crate::scene::theme::{Palette, Rgba, parse_hex};

/// What the host needs to build a chart type's pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartTypeSpec {
    /// Unique pipeline key: `plugin/name`.
    pub key: String,
    /// Chart type name.
    pub name: String,
    /// Plugin that provides it.
    pub plugin: String,
    /// The plugin's WGSL (without the prelude).
    pub wgsl: String,
    /// `GC_INPUT_*`.
    pub input: u32,
    /// Vertices per instance.
    pub vertices_per_instance: u32,
    /// `GC_FIELD_*` bits for autoscale.
    pub range_fields: u32,
    /// `GC_CHART_*` flags.
    pub flags: u32,
}

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
}

/// Source tables cached across loads, keyed by plugin, params and folder,
/// within a memory budget (least recently used dropped first).
pub struct DataCache {
    lru: lru::LruCache<String, Arc<Table>>,
    budget_bytes: usize,
    used_bytes: usize,
    /// Indicator outputs by fingerprint (definition + inputs' identity).
    indicators: lru::LruCache<String, Arc<CachedIndicator>>,
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

/// Indicator results kept (each shares its columns with the models that
/// show it, so this bounds entries rather than bytes).
const INDICATOR_CACHE_ENTRIES: usize = 256;

impl DataCache {
    /// A cache holding up to `budget_bytes` of tables.
    pub fn new(budget_bytes: usize) -> DataCache {
        DataCache {
            lru: lru::LruCache::unbounded(),
            budget_bytes,
            used_bytes: 0,
            indicators: lru::LruCache::new(
                std::num::NonZeroUsize::new(INDICATOR_CACHE_ENTRIES)
                    .unwrap_or(std::num::NonZeroUsize::MIN),
            ),
        }
    }
    fn get(&mut self, key: &str) -> Option<Arc<Table>> {
        self.lru.get(key).cloned()
    }
    fn put(&mut self, key: String, table: Arc<Table>) {
        self.used_bytes += table.size_bytes();
        if let Some(old) = self.lru.put(key, table) {
            self.used_bytes -= old.size_bytes();
        }
        while self.used_bytes > self.budget_bytes && self.lru.len() > 1 {
            match self.lru.pop_lru() {
                Some((_, t)) => self.used_bytes -= t.size_bytes(),
                None => break,
            }
        }
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

struct Builder<'a> {
    loaded: &'a LoadedChart,
    map: &'a SourceMap,
    errors: Vec<config::ConfigError>,
}

impl Builder<'_> {
    fn err(
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
    fn fail(
        &mut self,
        path: &str,
        kind: ConfigErrorKind,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigErrors {
        self.err(path, kind, message, help);
        ConfigErrors(std::mem::take(&mut self.errors))
    }
    fn errs(&mut self, e: ConfigErrors) {
        self.errors.extend(e.0);
    }
}

fn hint(suggestion: Option<&str>, all: &[&str]) -> Option<String> {
    match suggestion {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None if !all.is_empty() => Some(format!("available: {}", all.join(", "))),
        None => None,
    }
}

/// Splits a reference `a.b` into (`a`, Some(`b`)), or (`a`, None).
fn split_ref(r: &str) -> (&str, Option<&str>) {
    match r.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (r, None),
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
    build(loaded, registry, cache, true).map(|l| l.model)
}

/// A chart that keeps every indicator's state, so bars appended to a source
/// are computed incrementally (see [`LiveChart::append`]).
pub struct LiveChart {
    loaded: LoadedChart,
    /// The current snapshot, rebuilt after every change.
    pub model: ChartModel,
    tables: BTreeMap<String, Arc<Table>>,
    by_name: HashMap<String, ColumnData>,
    live: Vec<LiveIndicator>,
    auto_plots: Vec<(usize, Arc<Timeline>, Vec<AutoPlot>)>,
}

/// Builds a [`LiveChart`] (the model plus the indicator states). Every
/// indicator is computed (its state is needed for appends).
pub fn build_live(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
) -> Result<LiveChart, ConfigErrors> {
    build(loaded, registry, cache, false)
}

fn build(
    loaded: &LoadedChart,
    registry: &PluginRegistry,
    cache: &mut DataCache,
    reuse: bool,
) -> Result<LiveChart, ConfigErrors> {
    let mut b = Builder {
        loaded,
        map: &loaded.source_map,
        errors: Vec::new(),
    };
    let mut stats = BuildStats::default();
    let (tables, source_keys) = load_sources(&mut b, registry, cache, &mut stats)?;
    let mut by_name = source_columns(&tables);
    let order = indicator_order(&mut b)?;
    let mut live = Vec::new();
    let mut auto_plots = Vec::new();
    let mut outputs: Vec<(String, Vec<String>)> = Vec::new();
    let mut fingerprints: HashMap<String, String> = HashMap::new();
    for i in order {
        let ind = &loaded.config.indicators[i];
        let fp = fingerprint(loaded, i, &source_keys, &fingerprints);
        fingerprints.insert(ind.id.clone(), fp.clone());
        if reuse && let Some(hit) = cache.indicators.get(&fp).cloned() {
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
        let timeline = li
            .evaluate(&mut by_name, 0)
            .map_err(|msg| b.fail(&format!("indicators[{i}]"), li.error_kind, msg, None))?;
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
            cache.indicators.put(fp, Arc::new(entry));
        }
        live.push(li);
    }
    let mut model = assemble(&mut b, registry, &tables, &by_name, &outputs, &auto_plots)?;
    model.build = stats;
    Ok(LiveChart {
        loaded: loaded.clone(),
        model,
        tables,
        by_name,
        live,
        auto_plots,
    })
}

/// What an indicator's outputs depend on, as a string: its plugin or the
/// contents of its script and of the `.lua` files beside it (the modules it
/// may `require`), its params, the script limits, and the identity of each
/// input (a source's cache key, or the fingerprint of the indicator it
/// reads). Equal fingerprints within one session give equal outputs.
fn fingerprint(
    loaded: &LoadedChart,
    i: usize,
    source_keys: &BTreeMap<String, String>,
    fingerprints: &HashMap<String, String>,
) -> String {
    use std::hash::{Hash, Hasher};
    let ind = &loaded.config.indicators[i];
    let mut h = std::hash::DefaultHasher::new();
    match (&ind.kind, &ind.script) {
        (Some(kind), _) => ("plugin", kind).hash(&mut h),
        (None, Some(script)) => {
            let file = loaded.base_dir.join(script);
            ("script", &file).hash(&mut h);
            std::fs::read(&file).ok().hash(&mut h);
            // A QUIK script may read any source by tag.
            for key in source_keys.values() {
                key.hash(&mut h);
            }
            let cfg = &loaded.config.script_limits;
            (
                cfg.memory_mb,
                cfg.memory_bytes_per_bar,
                cfg.instructions_per_bar,
                cfg.instructions_base,
            )
                .hash(&mut h);
            if let Some(dir) = file.parent() {
                for d in crate::script::module_dirs(dir) {
                    let Ok(entries) = std::fs::read_dir(&d) else {
                        continue;
                    };
                    let mut mods: Vec<PathBuf> = entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "lua") && *p != file)
                        .collect();
                    mods.sort();
                    for m in mods {
                        (&m, std::fs::read(&m).ok()).hash(&mut h);
                    }
                }
            }
        }
        (None, None) => "none".hash(&mut h),
    }
    ind.params.to_string().hash(&mut h);
    let input_id = |r: &str| {
        let head = split_ref(r).0;
        let of = source_keys
            .get(head)
            .or_else(|| fingerprints.get(head))
            .map_or("", String::as_str);
        format!("{r}@{of}")
    };
    ind.input.as_deref().map(input_id).hash(&mut h);
    for (name, r) in &ind.inputs {
        (name, input_id(r)).hash(&mut h);
    }
    format!("{}#{:016x}", ind.id, h.finish())
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
        let Some(old) = self.tables.get(source_id).cloned() else {
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
        for (name, col) in table.names.iter().zip(&table.columns) {
            self.by_name.insert(
                format!("{source_id}.{name}"),
                ColumnData {
                    timeline: table.timeline.clone(),
                    column: col.clone(),
                },
            );
        }
        self.tables.insert(source_id.to_string(), table);
        for li in &mut self.live {
            if li
                .timeline(&self.by_name)
                .is_some_and(|t| t.source_id == source_id)
            {
                let i = li.index;
                li.evaluate(&mut self.by_name, keep)
                    .map_err(|msg| b.fail(&format!("indicators[{i}]"), li.error_kind, msg, None))?;
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
            ..BuildStats::default()
        };
        self.model = assemble(
            &mut b,
            registry,
            &self.tables,
            &self.by_name,
            &outputs,
            &self.auto_plots,
        )?;
        self.model.build = stats;
        Ok(())
    }
}

/// Phase 1: every source through its plugin (or the cache), validated.
#[allow(clippy::type_complexity)]
fn load_sources(
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
        let key = format!("{}\u{0}{}\u{0}{}", src.kind, params, base);
        keys.insert(id.clone(), key.clone());
        if let Some(t) = cache.get(&key) {
            tables.insert(id.clone(), t);
            stats.sources_cached.push(id.clone());
            continue;
        }
        stats.sources_read.push(id.clone());
        let raw = plugin.open(&params, &base).and_then(|mut s| s.read_all());
        match raw {
            Ok(raw) => match Table::from_raw(id, raw.names, raw.timestamps, raw.columns) {
                Ok(t) => {
                    let t = Arc::new(t);
                    cache.put(key, t.clone());
                    tables.insert(id.clone(), t);
                }
                Err(e) => b.err(&path, ConfigErrorKind::Data, e.to_string(), None),
            },
            Err(e) => b.err(&path, ConfigErrorKind::Plugin, e.to_string(), None),
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    Ok((tables, keys))
}

/// Source columns by reference (`src.col`).
fn source_columns(tables: &BTreeMap<String, Arc<Table>>) -> HashMap<String, ColumnData> {
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

/// Where a live indicator's inputs come from: references into the columns.
enum LiveInputs {
    /// One reference per input role.
    Roles(Vec<String>),
    /// A script's prices (open, high, low, close, volume: None = all NaN)
    /// and named inputs.
    Script {
        prices: [Option<String>; 5],
        named: Vec<(String, String)>,
    },
}

/// The state behind an indicator.
enum LiveInstance {
    /// A plugin indicator's instance.
    Plugin(crate::plugins::IndicatorInstance),
    /// A Lua script's instance (its own Lua state).
    Script(Box<crate::script::ScriptInstance>),
}

/// An indicator with its state, updated in place when its input grows.
struct LiveIndicator {
    /// Index in the chart file's `indicators`.
    index: usize,
    id: String,
    outputs: Vec<String>,
    inputs: LiveInputs,
    instance: LiveInstance,
    error_kind: ConfigErrorKind,
    /// Sources a script may read by tag (QUIK `getCandlesByIndex`): id and
    /// column names. Empty for plugin indicators.
    elements: Vec<(String, Vec<String>)>,
}

impl LiveIndicator {
    /// Every input reference; the first sets the timeline.
    fn refs(&self) -> Vec<&str> {
        match &self.inputs {
            LiveInputs::Roles(r) => r.iter().map(String::as_str).collect(),
            LiveInputs::Script { prices, named } => prices
                .iter()
                .flatten()
                .map(String::as_str)
                .chain(named.iter().map(|(_, r)| r.as_str()))
                .collect(),
        }
    }

    /// The timeline of its first input (outputs live on it).
    fn timeline(&self, by_name: &HashMap<String, ColumnData>) -> Option<Arc<Timeline>> {
        self.refs()
            .first()
            .and_then(|r| by_name.get(*r))
            .map(|c| c.timeline.clone())
    }

    /// Computes rows `from..` from the current columns (rows before `from`
    /// are the previous outputs) and stores the outputs as `id`/`id.<out>`.
    fn evaluate(
        &mut self,
        by_name: &mut HashMap<String, ColumnData>,
        from: usize,
    ) -> Result<Arc<Timeline>, String> {
        let inputs: Vec<ColumnData> = self
            .refs()
            .iter()
            .map(|r| {
                by_name
                    .get(*r)
                    .cloned()
                    .ok_or_else(|| format!("input `{r}` is gone"))
            })
            .collect::<Result<_, _>>()?;
        let Some(timeline) = inputs.first().map(|c| c.timeline.clone()) else {
            return Err(format!("indicator `{}` has no inputs", self.id));
        };
        let n = timeline.timestamps.len();
        let from = from.min(n);
        let mut outs: Vec<Vec<f64>> = self
            .outputs
            .iter()
            .map(|o| {
                let mut v = vec![f64::NAN; n];
                if let Some(prev) = by_name.get(&format!("{}.{o}", self.id)) {
                    let k = from.min(prev.column.values.len());
                    v[..k].copy_from_slice(&prev.column.values[..k]);
                }
                v
            })
            .collect();
        let aligned = align_inputs(&inputs, &timeline);
        match (&self.inputs, &mut self.instance) {
            (LiveInputs::Roles(_), LiveInstance::Plugin(inst)) => {
                let ins: Vec<&[f64]> = aligned.iter().map(|c| &c[..]).collect();
                let mut o: Vec<&mut [f64]> = outs.iter_mut().map(|c| &mut c[..]).collect();
                inst.compute(&ins, &mut o, from)
                    .map_err(|e| format!("indicator `{}`: {e}", self.id))?;
            }
            (LiveInputs::Script { prices, named }, LiveInstance::Script(inst)) => {
                // `aligned` follows `refs()`: the present prices, then the named inputs.
                let nan: Arc<[f64]> = vec![f64::NAN; n].into();
                let mut next = aligned.iter();
                let cols: Vec<Arc<[f64]>> = prices
                    .iter()
                    .map(|p| match p {
                        Some(_) => next.next().cloned().unwrap_or_else(|| nan.clone()),
                        None => nan.clone(),
                    })
                    .collect();
                let named_cols: Vec<(String, Arc<[f64]>)> = named
                    .iter()
                    .map(|(k, _)| {
                        (
                            k.clone(),
                            next.next().cloned().unwrap_or_else(|| nan.clone()),
                        )
                    })
                    .collect();
                // Every source of the chart, current (after appends too),
                // for QUIK's getCandlesByIndex(tag, ...).
                let elements = self
                    .elements
                    .iter()
                    .filter_map(|(id, names)| {
                        let pick = |c: &str| {
                            by_name
                                .get(&format!("{id}.{c}"))
                                .map(|d| d.column.values.clone())
                        };
                        let first = by_name.get(&format!("{id}.{}", names.first()?))?;
                        let close = pick("close").or_else(|| pick(names.first()?));
                        Some(crate::script::ChartElement {
                            tag: id.clone(),
                            time_ns: first.timeline.timestamps.clone(),
                            ohlcv: [
                                pick("open"),
                                pick("high"),
                                pick("low"),
                                close,
                                pick("volume"),
                            ],
                            lines: Vec::new(),
                        })
                    })
                    .collect();
                inst.set_chart_elements(elements);
                let inputs = crate::script::ScriptInputs {
                    time_ns: &timeline.timestamps,
                    open: &cols[0],
                    high: &cols[1],
                    low: &cols[2],
                    close: &cols[3],
                    volume: &cols[4],
                    named: named_cols
                        .iter()
                        .map(|(k, c)| (k.clone(), &c[..]))
                        .collect(),
                };
                inst.compute(&inputs, &mut outs, from)
                    .map_err(|e| format!("indicator `{}`: {e}", self.id))?;
            }
            _ => {
                return Err(format!(
                    "indicator `{}`: inputs and state do not match",
                    self.id
                ));
            }
        }
        for (k, (name, vals)) in self.outputs.iter().zip(outs).enumerate() {
            let data = ColumnData {
                timeline: timeline.clone(),
                column: Column::new(vals),
            };
            if k == 0 {
                by_name.insert(self.id.clone(), data.clone());
            }
            by_name.insert(format!("{}.{name}", self.id), data);
        }
        Ok(timeline)
    }
}

/// Phase 2 for a plugin indicator: params, inputs, a fresh instance.
fn plugin_indicator(
    b: &mut Builder<'_>,
    registry: &PluginRegistry,
    i: usize,
    kind: &str,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<LiveIndicator, ConfigErrors> {
    let ind = &b.loaded.config.indicators[i];
    let path = format!("indicators[{i}]");
    let plugin = match registry.indicator(kind) {
        Ok(p) => p,
        Err(e) => {
            return Err(b.fail(
                &format!("{path}.kind"),
                ConfigErrorKind::Plugin,
                e.to_string(),
                None,
            ));
        }
    };
    let info = plugin.info().clone();
    let what = format!("indicator plugin `{kind}`");
    if let Err(e) = config::validate_params(
        &info.params_schema,
        &ind.params,
        &format!("{path}.params"),
        &what,
        b.map,
    ) {
        b.errs(e);
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }
    let refs = resolve_inputs(b, i, &info.inputs, tables, by_name)?;
    if refs.is_empty() {
        return Err(b.fail(
            &path,
            ConfigErrorKind::Plugin,
            format!("indicator plugin `{kind}` declares no inputs"),
            None,
        ));
    }
    let params = config::apply_defaults(&info.params_schema, &ind.params).to_string();
    let instance = plugin.create(&params).map_err(|e| {
        b.fail(
            &path,
            ConfigErrorKind::Plugin,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    })?;
    Ok(LiveIndicator {
        index: i,
        id: ind.id.clone(),
        outputs: info.outputs.clone(),
        inputs: LiveInputs::Roles(refs),
        instance: LiveInstance::Plugin(instance),
        error_kind: ConfigErrorKind::Plugin,
        elements: Vec::new(),
    })
}

/// Phase 3: series (listed and auto-plotted), horizontal axis, view; the
/// export column order (sources, then indicators in dependency order).
fn assemble(
    b: &mut Builder<'_>,
    registry: &PluginRegistry,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
    outputs: &[(String, Vec<String>)],
    auto_plots: &[(usize, Arc<Timeline>, Vec<AutoPlot>)],
) -> Result<ChartModel, ConfigErrors> {
    let loaded = b.loaded;
    let cfg = &loaded.config;
    let tz: Tz = loaded.timezone;
    let mut columns: Vec<NamedColumn> = Vec::new();
    for (id, t) in tables {
        for name in &t.names {
            let key = format!("{id}.{name}");
            if let Some(data) = by_name.get(&key) {
                columns.push(NamedColumn {
                    name: key,
                    data: data.clone(),
                });
            }
        }
    }
    for (id, outs) in outputs {
        for o in outs {
            if let Some(data) = by_name.get(&format!("{id}.{o}")) {
                let name = if outs.len() == 1 {
                    id.clone()
                } else {
                    format!("{id}.{o}")
                };
                columns.push(NamedColumn {
                    name,
                    data: data.clone(),
                });
            }
        }
    }
    // 3. Series: those the chart file lists, then those scripts plot themselves.
    let palette = Palette::of(cfg.theme);
    let mut sb = SeriesBuilder {
        registry,
        tables,
        by_name,
        palette: &palette,
        specs: HashMap::new(),
        next_color: 0,
    };
    let mut panes = Vec::new();
    for (pi, pane) in cfg.panes.iter().enumerate() {
        let mut series = Vec::new();
        for (si, s) in pane.series.iter().enumerate() {
            let req = SeriesRequest {
                path: format!("panes[{pi}].series[{si}]"),
                chart_type: &s.chart_type,
                data: &s.data,
                with: None,
                label: s.label.clone().unwrap_or_else(|| s.data.clone()),
                color: s.color.as_deref(),
                up_color: s.up_color.as_deref(),
                down_color: s.down_color.as_deref(),
                width: s.width as f32,
                params: &s.params,
            };
            if let Some(m) = sb.build(b, &req) {
                series.push(m);
            }
        }
        panes.push(PaneModel {
            height: pane.height,
            scale: pane.scale,
            series,
        });
    }
    for (i, timeline, plots) in auto_plots {
        let id = &cfg.indicators[*i].id;
        // Overlay: the first pane drawing bars of the same timeline (else the first pane).
        let overlay = panes
            .iter()
            .position(|p| p.series.iter().any(|s| matches!(&s.data, SeriesData::Bars(d) if Arc::ptr_eq(&d.timeline, timeline))))
            .unwrap_or(0);
        let mut own: Option<usize> = None;
        for plot in plots {
            let data = format!("{id}.{}", plot.output);
            let with = plot.with.as_ref().map(|w| format!("{id}.{w}"));
            let req = SeriesRequest {
                path: format!("indicators[{i}].script"),
                chart_type: &plot.chart_type,
                data: &data,
                with: with.as_deref(),
                label: plot.label.clone(),
                color: plot.color.as_deref(),
                up_color: None,
                down_color: None,
                width: plot.width.unwrap_or(1.5),
                params: &plot.params,
            };
            let Some(m) = sb.build(b, &req) else { continue };
            let new_pane = |panes: &mut Vec<PaneModel>| {
                panes.push(PaneModel {
                    height: 1.0,
                    scale: config::Scale::Linear,
                    series: Vec::new(),
                });
                panes.len() - 1
            };
            let target = match plot.pane {
                PlotPane::Overlay => overlay,
                PlotPane::Indicator => *own.get_or_insert_with(|| new_pane(&mut panes)),
                PlotPane::Separate => new_pane(&mut panes),
            };
            if let Some(p) = panes.get_mut(target) {
                p.series.push(m);
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    // 4. Horizontal axis.
    let first_bars = panes
        .iter()
        .flat_map(|p| &p.series)
        .find_map(|s| match &s.data {
            SeriesData::Bars(d) => Some(d.timeline.clone()),
            _ => None,
        });
    let x_axis = match (cfg.x_axis, first_bars) {
        (XAxis::Time, _) | (XAxis::Auto, None) => XMode::Time,
        (XAxis::Bars, None) => {
            // A bar axis over line data uses the first series' timeline.
            match panes.iter().flat_map(|p| &p.series).next() {
                Some(s) => XMode::Bars(s.data.timeline().clone()),
                None => XMode::Time,
            }
        }
        (_, Some(tl)) => XMode::Bars(tl),
    };
    if let XMode::Bars(tl) = &x_axis {
        for (pi, p) in panes.iter().enumerate() {
            for (si, s) in p.series.iter().enumerate() {
                let stl = s.data.timeline();
                if !Arc::ptr_eq(stl, tl) {
                    b.err(
                        &format!("panes[{pi}].series[{si}].data"),
                        ConfigErrorKind::Reference,
                        format!("series `{}` has its own timeline (source `{}`), but the bar axis follows source `{}`", s.label, stl.source_id, tl.source_id),
                        Some("on a bar axis every series must come from the same source; set `x_axis = \"time\"` to mix sources".into()),
                    );
                }
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    let initial_view = initial_view(loaded, &x_axis, tables);
    Ok(ChartModel {
        config: cfg.clone(),
        path: loaded.path.clone(),
        tz,
        palette,
        tables: tables.clone(),
        columns,
        panes,
        x_axis,
        initial_view,
        build: BuildStats::default(),
    })
}

/// Where an auto-plotted output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotPane {
    /// Over the bars of the indicator's input.
    Overlay,
    /// The indicator's own new pane (shared by its outputs).
    Indicator,
    /// A new pane for this output alone.
    Separate,
}

/// A series a script asks for: drawn without a `[[panes.series]]` entry.
#[derive(Debug, Clone)]
pub struct AutoPlot {
    /// Output name (or the upper output of a band).
    pub output: String,
    /// Lower output of a band.
    pub with: Option<String>,
    /// Chart type plugin name.
    pub chart_type: String,
    /// Chart type params.
    pub params: serde_json::Value,
    /// Colour `#rrggbb[aa]`.
    pub color: Option<String>,
    /// Width in logical pixels.
    pub width: Option<f32>,
    /// Which pane it goes to.
    pub pane: PlotPane,
    /// Legend label.
    pub label: String,
}

/// Aligns every input to `timeline` by timestamp (NaN where a row is missing).
fn align_inputs(inputs: &[ColumnData], timeline: &Arc<Timeline>) -> Vec<Arc<[f64]>> {
    inputs
        .iter()
        .map(|c| {
            if Arc::ptr_eq(&c.timeline, timeline) {
                c.column.values.clone()
            } else {
                data::align(
                    &c.column.values,
                    &c.timeline.timestamps,
                    &timeline.timestamps,
                )
                .into()
            }
        })
        .collect()
}

/// Resolves each input role of indicator `i` to a column: from its `inputs`
/// table, or from `input` (a column, or a source id whose columns are
/// matched to the roles by name; role `source` means `close`).
fn resolve_inputs(
    b: &mut Builder<'_>,
    i: usize,
    roles: &[String],
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<Vec<String>, ConfigErrors> {
    let cfg = &b.loaded.config;
    let ind = &cfg.indicators[i];
    let path = format!("indicators[{i}]");
    let mut inputs = Vec::new();
    for role in roles {
        let (r, key) = match (ind.inputs.get(role), &ind.input) {
            (Some(r), _) => (r.clone(), format!("{path}.inputs.{role}")),
            (None, Some(r)) => {
                let (head, tail) = split_ref(r);
                if tail.is_none() && tables.contains_key(head) {
                    let col = if role == "source" {
                        "close"
                    } else {
                        role.as_str()
                    };
                    (format!("{head}.{col}"), format!("{path}.input"))
                } else if roles.len() == 1 {
                    (r.clone(), format!("{path}.input"))
                } else {
                    b.err(
                        &format!("{path}.input"),
                        ConfigErrorKind::Reference,
                        format!("indicator `{}` takes {} inputs ({}); `{r}` is one column", ind.id, roles.len(), roles.join(", ")),
                        Some("give a source id (its columns are matched by name) or an `inputs` table by role".into()),
                    );
                    return Err(ConfigErrors(std::mem::take(&mut b.errors)));
                }
            }
            (None, None) => {
                return Err(b.fail(
                    &path,
                    ConfigErrorKind::Reference,
                    format!("indicator `{}` has no input for role `{role}`", ind.id),
                    Some(format!(
                        "add `input = \"<source>.close\"` or `inputs = {{ {role} = \"...\" }}`"
                    )),
                ));
            }
        };
        match resolve_column(&r, by_name, tables, cfg) {
            Ok(_) => inputs.push(r),
            Err((msg, help)) => {
                return Err(b.fail(&key, ConfigErrorKind::Reference, msg, help));
            }
        }
    }
    for role in ind.inputs.keys() {
        if !roles.contains(role) {
            let names: Vec<&str> = roles.iter().map(String::as_str).collect();
            let help = hint(config::suggest(role, names.iter().copied()), &names);
            return Err(b.fail(
                &format!("{path}.inputs.{role}"),
                ConfigErrorKind::Reference,
                format!("indicator `{}` has no input role `{role}`", ind.id),
                help,
            ));
        }
    }
    Ok(inputs)
}

/// Phase 2 for a Lua script indicator: loads the script (limits from the
/// chart file), validates its params against the schema it declares, and
/// records where its prices come from: `input` is a source id (its OHLCV) or
/// one column used for every price; `inputs` adds named series. Unless
/// `plot = false`, its declared outputs become auto-plotted series.
fn script_indicator(
    b: &mut Builder<'_>,
    i: usize,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<(LiveIndicator, Vec<AutoPlot>), ConfigErrors> {
    use crate::script::{MarkerShape, OutputStyle, Pane, Script, ScriptLimits};
    let cfg = &b.loaded.config;
    let ind = &cfg.indicators[i];
    let path = format!("indicators[{i}]");
    let rel = ind.script.clone().unwrap_or_default();
    let file = b.loaded.base_dir.join(&rel);
    // Like the instruction budget, the memory allowance grows with the
    // history: per-bar and QUIK scripts see their inputs as Lua tables
    // (measured: 41-66 bytes per bar for one input column), so 10 M bars
    // need far more than a short history, and are no runaway.
    let bars = [&ind.input]
        .into_iter()
        .flatten()
        .chain(ind.inputs.values())
        .filter_map(|r| match tables.get(r.as_str()) {
            Some(t) => Some(t.len()),
            None => resolve_column(r, by_name, tables, cfg)
                .ok()
                .map(|c| c.timeline.timestamps.len()),
        })
        .max()
        .unwrap_or(0);
    let limits = ScriptLimits {
        memory_bytes: (cfg.script_limits.memory_mb as usize)
            .saturating_mul(1 << 20)
            .saturating_add(bars.saturating_mul(cfg.script_limits.memory_bytes_per_bar as usize)),
        instructions_per_bar: cfg.script_limits.instructions_per_bar,
        instructions_base: cfg.script_limits.instructions_base,
    };
    // A script error, located at the indicator's `script` key.
    let script_err = |b: &mut Builder<'_>, e: crate::script::ScriptError| {
        b.fail(
            &format!("{path}.script"),
            ConfigErrorKind::Script,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    };
    let script = Script::load(&file, limits).map_err(|e| script_err(b, e))?;
    let info = script.info().clone();
    let schema = script.params_schema();
    let what = format!("script `{rel}`");
    if let Err(e) = config::validate_params(
        &schema,
        &ind.params,
        &format!("{path}.params"),
        &what,
        b.map,
    ) {
        b.errs(e);
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }
    let params = config::apply_defaults(&schema, &ind.params);

    let mut prices: [Option<String>; 5] = Default::default();
    if let Some(r) = &ind.input {
        let (head, tail) = split_ref(r);
        match (tables.get(head), tail) {
            (Some(t), None) => {
                for (slot, name) in prices
                    .iter_mut()
                    .zip(["open", "high", "low", "close", "volume"])
                {
                    *slot = t.column(name).map(|_| format!("{head}.{name}"));
                }
            }
            _ => {
                resolve_column(r, by_name, tables, cfg).map_err(|(m, h)| {
                    b.fail(&format!("{path}.input"), ConfigErrorKind::Reference, m, h)
                })?;
                for slot in prices.iter_mut().take(4) {
                    *slot = Some(r.clone());
                }
            }
        }
    }
    let mut named = Vec::new();
    for (name, r) in &ind.inputs {
        resolve_column(r, by_name, tables, cfg).map_err(|(m, h)| {
            b.fail(
                &format!("{path}.inputs.{name}"),
                ConfigErrorKind::Reference,
                m,
                h,
            )
        })?;
        named.push((name.clone(), r.clone()));
    }
    for want in &info.input_names {
        if !ind.inputs.contains_key(want) {
            return Err(b.fail(
                &path,
                ConfigErrorKind::Reference,
                format!("script `{rel}` needs the input `{want}`"),
                Some(format!("add `inputs = {{ {want} = \"<source>.close\" }}`")),
            ));
        }
    }
    if prices.iter().all(Option::is_none) && named.is_empty() {
        return Err(b.fail(
            &path,
            ConfigErrorKind::Reference,
            format!("indicator `{}` has no input", ind.id),
            Some("add `input = \"<source id>\"`".into()),
        ));
    }
    let mut instance = script.instance(&params).map_err(|e| {
        b.fail(
            &format!("{path}.params"),
            ConfigErrorKind::Script,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    })?;
    // QUIK's isDarkTheme() follows the chart's theme, and
    // getDataSourceInfo() names the input source's security: its `symbol`
    // (else the source id) and `class_code` params.
    let source = ind
        .input
        .as_deref()
        .map(|r| split_ref(r).0)
        .unwrap_or_default();
    let security = cfg.sources.get(source).map(|src| {
        let param = |k: &str| {
            src.params
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        (
            param("class_code").unwrap_or_default(),
            param("symbol").unwrap_or_else(|| source.to_string()),
        )
    });
    let set = instance.set_dark_theme(cfg.theme == config::Theme::Dark);
    let set = match (set, &security) {
        (Ok(()), Some((class, sec))) => instance.set_security(class, sec),
        (r, _) => r,
    };
    set.map_err(|e| script_err(b, e))?;

    let plots = if ind.plot == Some(false) {
        Vec::new()
    } else {
        info.outputs
            .iter()
            .map(|o| {
                let (chart_type, params, with) = match &o.style {
                    OutputStyle::Line => match o.dash {
                        crate::script::LineDash::Solid => ("line", serde_json::json!({}), None),
                        d => ("line", serde_json::json!({ "style": d.name() }), None),
                    },
                    OutputStyle::Histogram { color_by_sign } => (
                        "histogram",
                        serde_json::json!({ "color_by_sign": color_by_sign }),
                        None,
                    ),
                    OutputStyle::Points => ("points", serde_json::json!({}), None),
                    OutputStyle::Markers { shape, size } => {
                        let shape = match shape {
                            MarkerShape::TriangleUp => "triangle_up",
                            MarkerShape::TriangleDown => "triangle_down",
                            MarkerShape::Circle => "circle",
                            MarkerShape::Diamond => "diamond",
                        };
                        (
                            "markers",
                            serde_json::json!({ "shape": shape, "size": size }),
                            None,
                        )
                    }
                    // A colour with its own alpha sets the fill's opacity.
                    OutputStyle::Band { with } => {
                        let opacity = if o.color.as_ref().is_some_and(|c| c.len() == 9) {
                            1.0
                        } else {
                            0.25
                        };
                        (
                            "band",
                            serde_json::json!({ "opacity": opacity }),
                            Some(with.clone()),
                        )
                    }
                };
                AutoPlot {
                    output: o.name.clone(),
                    with,
                    chart_type: chart_type.to_string(),
                    params,
                    color: o.color.clone(),
                    width: o.width,
                    // The indicator's pane (the chart file may override it);
                    // an output declaring `pane = "own"` gets a pane of its own.
                    pane: if o.pane == Some(Pane::Own) {
                        PlotPane::Separate
                    } else {
                        match ind.pane {
                            Some(config::PanePlacement::Own) => PlotPane::Indicator,
                            Some(config::PanePlacement::Overlay) => PlotPane::Overlay,
                            None if info.pane == Pane::Own => PlotPane::Indicator,
                            None => PlotPane::Overlay,
                        }
                    },
                    label: if info.outputs.len() == 1 {
                        info.name.clone()
                    } else {
                        format!("{} {}", info.name, o.name)
                    },
                }
            })
            .collect()
    };
    let live = LiveIndicator {
        index: i,
        id: ind.id.clone(),
        outputs: info.outputs.iter().map(|o| o.name.clone()).collect(),
        inputs: LiveInputs::Script { prices, named },
        instance: LiveInstance::Script(Box::new(instance)),
        error_kind: ConfigErrorKind::Script,
        elements: tables
            .iter()
            .map(|(id, t)| (id.clone(), t.names.clone()))
            .collect(),
    };
    Ok((live, plots))
}

/// One series to build, from the chart file or from a script's plot.
struct SeriesRequest<'a> {
    /// Key path for errors.
    path: String,
    chart_type: &'a str,
    data: &'a str,
    /// Lower edge of a band.
    with: Option<&'a str>,
    label: String,
    color: Option<&'a str>,
    up_color: Option<&'a str>,
    down_color: Option<&'a str>,
    width: f32,
    params: &'a serde_json::Value,
}

/// Resolves series: chart type (params, uniforms, validated WGSL, cached
/// per plugin/name), data reference and colours.
struct SeriesBuilder<'a> {
    registry: &'a PluginRegistry,
    tables: &'a BTreeMap<String, Arc<Table>>,
    by_name: &'a HashMap<String, ColumnData>,
    palette: &'a Palette,
    specs: HashMap<String, Arc<ChartTypeSpec>>,
    next_color: usize,
}

impl SeriesBuilder<'_> {
    /// Builds one series; on failure records located errors and returns None.
    fn build(&mut self, b: &mut Builder<'_>, req: &SeriesRequest<'_>) -> Option<SeriesModel> {
        let path = &req.path;
        let ct = match self.registry.chart_type(req.chart_type) {
            Ok(c) => c,
            Err(e) => {
                b.err(
                    &format!("{path}.type"),
                    ConfigErrorKind::Plugin,
                    e.to_string(),
                    None,
                );
                return None;
            }
        };
        let info = ct.info().clone();
        let what = format!("chart type plugin `{}`", req.chart_type);
        if let Err(e) = config::validate_params(
            &info.params_schema,
            req.params,
            &format!("{path}.params"),
            &what,
            b.map,
        ) {
            b.errs(e);
            return None;
        }
        let params = config::apply_defaults(&info.params_schema, req.params).to_string();
        let user = match ct.uniforms(&params) {
            Ok(u) => u,
            Err(e) => {
                b.err(
                    &format!("{path}.params"),
                    ConfigErrorKind::Plugin,
                    e.to_string(),
                    None,
                );
                return None;
            }
        };
        let key = format!("{}/{}", ct.plugin_name(), info.name);
        let spec = match self.specs.get(&key) {
            Some(s) => s.clone(),
            None => {
                let spec = Arc::new(ChartTypeSpec {
                    key: key.clone(),
                    name: info.name.clone(),
                    plugin: ct.plugin_name().to_string(),
                    wgsl: info.wgsl.clone(),
                    input: info.input,
                    vertices_per_instance: info.vertices_per_instance,
                    range_fields: info.range_fields,
                    flags: info.flags,
                });
                if let Err(e) = crate::plugins::wgsl::validate_chart_type(
                    &spec.plugin,
                    &spec.name,
                    spec.input,
                    &spec.wgsl,
                ) {
                    b.err(
                        &format!("{path}.type"),
                        ConfigErrorKind::Plugin,
                        e.to_string(),
                        Some("fix the plugin's WGSL, or use another chart type".into()),
                    );
                    return None;
                }
                self.specs.insert(key, spec.clone());
                spec
            }
        };
        let cfg = &b.loaded.config;
        let column = |r: &str, b: &mut Builder<'_>| match resolve_column(
            r,
            self.by_name,
            self.tables,
            cfg,
        ) {
            Ok(c) => Some(c),
            Err((msg, help)) => {
                b.err(
                    &format!("{path}.data"),
                    ConfigErrorKind::Reference,
                    msg,
                    help,
                );
                None
            }
        };
        let data = match spec.input {
            GC_INPUT_BARS => match bars_data(req.data, self.tables, spec.range_fields) {
                Ok(d) => SeriesData::Bars(d),
                Err((msg, help)) => {
                    b.err(
                        &format!("{path}.data"),
                        ConfigErrorKind::Reference,
                        msg,
                        help,
                    );
                    return None;
                }
            },
            GC_INPUT_LINE => SeriesData::Line(column(req.data, b)?),
            GC_INPUT_BAND => {
                let Some(with) = req.with else {
                    b.err(&format!("{path}.type"), ConfigErrorKind::Reference, format!("chart type `{}` draws a band between two columns; it needs a lower edge", req.chart_type), Some("band series come from scripts (`style = \"band\", with = \"<output>\"`)".into()));
                    return None;
                };
                let upper = column(req.data, b)?;
                let lower = column(with, b)?;
                let lower = if Arc::ptr_eq(&lower.timeline, &upper.timeline) {
                    lower
                } else {
                    let values =
                        align_inputs(std::slice::from_ref(&lower), &upper.timeline).remove(0);
                    ColumnData {
                        timeline: upper.timeline.clone(),
                        column: Column::new(values.to_vec()),
                    }
                };
                SeriesData::Band(upper, lower)
            }
            other => {
                b.err(
                    &format!("{path}.type"),
                    ConfigErrorKind::Plugin,
                    format!(
                        "chart type `{}` declares unknown input kind {other}",
                        req.chart_type
                    ),
                    None,
                );
                return None;
            }
        };
        let pal = self.palette;
        let color = match req.color.and_then(parse_hex) {
            Some(c) => c,
            None if spec.input != GC_INPUT_BARS => {
                self.next_color += 1;
                pal.series[(self.next_color - 1) % pal.series.len()]
            }
            None => pal.text,
        };
        Some(SeriesModel {
            label: req.label.clone(),
            spec,
            data,
            color,
            up_color: req.up_color.and_then(parse_hex).unwrap_or(pal.up),
            down_color: req.down_color.and_then(parse_hex).unwrap_or(pal.down),
            width: req.width,
            user,
        })
    }
}

fn initial_view(
    loaded: &LoadedChart,
    x: &XMode,
    tables: &BTreeMap<String, Arc<Table>>,
) -> ViewRange {
    let cfg = &loaded.config;
    let (start, end) = (loaded.view_start_ns, loaded.view_end_ns);
    match x {
        XMode::Bars(tl) => {
            let ts = &tl.timestamps;
            let n = ts.len();
            let x1 = end.map_or(n, |e| ts.partition_point(|&t| t <= e)).max(1);
            let x0 = match (cfg.view.last_bars, start) {
                (Some(k), _) => x1.saturating_sub(k as usize),
                (None, Some(s)) => ts.partition_point(|&t| t < s),
                (None, None) => 0,
            };
            let x0 = x0.min(x1 - 1) as f64;
            // Leave a little room right of the last bar, as trading platforms do.
            let margin = if end.is_none() || x1 == n {
                ((x1 as f64 - x0) * 0.015).max(1.0)
            } else {
                0.0
            };
            ViewRange {
                x0,
                x1: x1 as f64 + margin,
            }
        }
        XMode::Time => {
            let lo = tables
                .values()
                .filter_map(|t| t.timeline.timestamps.first().copied())
                .min()
                .unwrap_or(0);
            let hi = tables
                .values()
                .filter_map(|t| t.timeline.timestamps.last().copied())
                .max()
                .unwrap_or(1);
            let x0 = start.unwrap_or(lo) as f64;
            let x1 = end.unwrap_or(hi) as f64;
            if x1 > x0 {
                ViewRange { x0, x1 }
            } else {
                ViewRange { x0, x1: x0 + 1e9 }
            }
        }
    }
}

/// Resolves `src.col`, `indicator` or `indicator.output` to a column.
fn resolve_column(
    r: &str,
    by_name: &HashMap<String, ColumnData>,
    tables: &BTreeMap<String, Arc<Table>>,
    cfg: &ChartConfig,
) -> Result<ColumnData, (String, Option<String>)> {
    if let Some(c) = by_name.get(r) {
        return Ok(c.clone());
    }
    let (head, tail) = split_ref(r);
    if let Some(t) = tables.get(head) {
        let names: Vec<&str> = t.names.iter().map(String::as_str).collect();
        return Err(match tail {
            Some(col) => (
                format!("source `{head}` has no column `{col}`"),
                hint(config::suggest(col, names.iter().copied()), &names),
            ),
            None => (
                format!("`{head}` is a source, not a column"),
                Some(format!(
                    "name a column, e.g. `{head}.{}`",
                    names.first().unwrap_or(&"close")
                )),
            ),
        });
    }
    let mut known: Vec<&str> = tables.keys().map(String::as_str).collect();
    known.extend(cfg.indicators.iter().map(|i| i.id.as_str()));
    let help = hint(config::suggest(head, known.iter().copied()), &known);
    Err((format!("`{r}` names no source column or indicator"), help))
}

fn bars_data(
    r: &str,
    tables: &BTreeMap<String, Arc<Table>>,
    range_fields: u32,
) -> Result<BarsData, (String, Option<String>)> {
    let Some(t) = tables.get(r) else {
        let ids: Vec<&str> = tables.keys().map(String::as_str).collect();
        return Err((
            format!("bar series need a source id; `{r}` is not one"),
            hint(config::suggest(r, ids.iter().copied()), &ids),
        ));
    };
    let need = |name: &str| t.column(name).cloned();
    let volume = need("volume");
    let close = need("close");
    // A volume-only series may draw from a source without prices.
    let fallback = volume.clone().or_else(|| close.clone());
    let (open, high, low, close) = match (need("open"), need("high"), need("low"), close) {
        (Some(o), Some(h), Some(l), Some(c)) => (o, h, l, c),
        (o, h, l, c) if range_fields == GC_FIELD_VOLUME && volume.is_some() => {
            let f = fallback
                .clone()
                .ok_or_else(|| ("no columns".to_string(), None))?;
            (
                o.unwrap_or(f.clone()),
                h.unwrap_or(f.clone()),
                l.unwrap_or(f.clone()),
                c.unwrap_or(f),
            )
        }
        _ => {
            let missing: Vec<&str> = ["open", "high", "low", "close"]
                .into_iter()
                .filter(|c| t.column(c).is_none())
                .collect();
            return Err((
                format!(
                    "source `{r}` lacks the columns {} that bar series need",
                    missing.join(", ")
                ),
                Some(format!(
                    "its columns are: {}; map them in the source's params",
                    t.names.join(", ")
                )),
            ));
        }
    };
    if range_fields & GC_FIELD_VOLUME != 0 && volume.is_none() {
        return Err((
            format!("source `{r}` has no `volume` column"),
            Some(format!("its columns are: {}", t.names.join(", "))),
        ));
    }
    let volume_prefix = volume.as_ref().map(|v| {
        let mut acc = 0.0f64;
        std::iter::once(0.0)
            .chain(v.values.iter().map(|x| {
                acc += x;
                acc
            }))
            .collect::<Vec<f64>>()
            .into()
    });
    Ok(BarsData {
        timeline: t.timeline.clone(),
        open,
        high,
        low,
        close,
        volume,
        volume_prefix,
    })
}

/// Orders indicators so every input is computed first; reports cycles and
/// references to unknown indicators.
fn indicator_order(b: &mut Builder<'_>) -> Result<Vec<usize>, ConfigErrors> {
    let cfg = &b.loaded.config;
    let index: HashMap<&str, usize> = cfg
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.id.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = cfg
        .indicators
        .iter()
        .map(|ind| {
            ind.input
                .iter()
                .chain(ind.inputs.values())
                .filter_map(|r| index.get(split_ref(r).0).copied())
                .collect()
        })
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; deps.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = stack.iter().position(|&j| j == i).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for &d in &deps[i] {
            visit(d, deps, state, stack, order)?;
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..deps.len() {
        let mut stack = Vec::new();
        if let Err(cycle) = visit(i, &deps, &mut state, &mut stack, &mut order) {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&j| cfg.indicators[j].id.as_str())
                .collect();
            let first = cycle[0];
            let key = if cfg.indicators[first].input.is_some() {
                format!("indicators[{first}].input")
            } else {
                format!("indicators[{first}].inputs")
            };
            return Err(b.fail(
                &key,
                ConfigErrorKind::Reference,
                format!(
                    "indicators depend on each other in a cycle: {}",
                    names.join(" → ")
                ),
                Some("an indicator cannot use its own output, directly or through others".into()),
            ));
        }
    }
    Ok(order)
}
