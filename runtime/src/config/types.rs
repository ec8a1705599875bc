//! The chart file's types. The JSON Schema in `schemas/chart.schema.json` is
//! generated from these (doc comments become descriptions); a test keeps the
//! committed file in sync.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A chart: data sources, indicators computed from them, and panes of series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartConfig {
    /// Title drawn at the top left of the first pane.
    #[serde(default)]
    pub title: Option<String>,
    /// Output size in pixels, `[width, height]`, each side from 1 to the GPU's largest texture side.
    // A tiny image shows only the plot (axes, labels and legend go first as
    // space runs out); the upper bound (`max_texture_dimension_2d`, 16384 on
    // most adapters and on lavapipe) is the adapter's, so `validate` and
    // `render` check it (`LoadedChart::check_size_limit`), not the schema.
    #[serde(default = "default_size")]
    #[schemars(length(min = 2, max = 2), inner(range(min = 1)))]
    pub size: [u32; 2],
    /// Colour theme.
    #[serde(default)]
    pub theme: Theme,
    /// IANA time zone in which times are shown, e.g. `"America/New_York"`.
    /// Timestamps are stored as UTC.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Extra folders searched for plugin libraries (relative to this file).
    #[serde(default)]
    pub plugins: Vec<String>,
    /// Horizontal axis: `bars` (one slot per bar, no weekend gaps), `time`
    /// (linear time) or `auto` (bars if any series draws bars).
    #[serde(default)]
    pub x_axis: XAxis,
    /// The visible part of the data. Indicators are always computed over all
    /// loaded data (every row, or for a source with `load = "view"` this
    /// view plus its `load_margin`); otherwise this is only the view.
    #[serde(default)]
    pub view: View,
    /// Data sources by id (the id is used in `data`/`input` references).
    // `length` does not reach maps in schemars 1; say `minProperties` directly.
    #[schemars(extend("minProperties" = 1))]
    pub sources: BTreeMap<String, SourceConfig>,
    /// Indicators, computed in dependency order.
    #[serde(default)]
    pub indicators: Vec<IndicatorConfig>,
    /// Limits for Lua indicator scripts.
    #[serde(default)]
    pub script_limits: ScriptLimitsConfig,
    /// One memory budget over source tables, aggregated bars, indicator
    /// outputs (the CPU cache) and GPU buffers (the renderer's pool):
    /// `"2 GiB"`, `"512 MiB"`, `"1.5 GB"` or a number of bytes. The GPU pool
    /// gets an eighth of it, the CPU cache the rest. Default: the quality
    /// preset's (2 GiB for `balanced`). `--memory-budget` overrides it.
    #[serde(default)]
    #[schemars(with = "ByteSize")]
    pub memory_budget: Option<ByteSize>,
    /// Quality preset: MSAA, line antialiasing, level-of-detail bucket width
    /// and the default memory budget. `balanced` (the default) is what
    /// earlier versions drew; `auto` picks from the GPU and the frame time.
    /// `--quality` overrides it.
    #[serde(default)]
    pub quality: Quality,
    /// Panes from top to bottom; they share the time axis.
    #[schemars(length(min = 1))]
    pub panes: Vec<PaneConfig>,
}

/// Colour theme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Light text on a dark background.
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
}

/// Horizontal axis mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum XAxis {
    /// `bars` if any series draws bars, else `time`.
    #[default]
    Auto,
    /// One equal slot per bar: no gaps for weekends and holidays.
    Bars,
    /// Linear time.
    Time,
}

/// The visible range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// First visible time: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (in the chart's
    /// time zone) or RFC 3339. Default: the start of the data.
    #[serde(default)]
    pub start: Option<String>,
    /// Last visible time, same formats. Default: the end of the data.
    #[serde(default)]
    pub end: Option<String>,
    /// Show only the last N bars (bar axis) instead of `start`.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub last_bars: Option<u64>,
}

/// A data source: a source plugin and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Source plugin name, e.g. `"csv"` or `"synthetic"` (see `gpu-charts plugins`).
    pub kind: String,
    /// Parameters, validated against the plugin's own schema.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
    /// Show this source as bars of this timeframe: a count and a unit, `s`,
    /// `m`, `h`, `d`, `w` (weeks from Monday) or `M` (months), e.g. `"5m"`,
    /// `"1h"`, `"1d"`. Days, weeks and months are calendar buckets in the
    /// chart's `timezone`. A source with open, high, low and close columns
    /// is read as bars (first open, highest high, lowest low, last close,
    /// summed volume); otherwise a `price` (or `value`) column makes it
    /// ticks, with `size` (or `volume`) summed as volume. Every reference to
    /// the source (`aapl.close`, indicators, bar series) then sees the bars:
    /// columns `open`, `high`, `low`, `close`, `volume` (when the input has
    /// one) and `count` (ticks or finer bars per bar). Default: as read.
    #[serde(default)]
    pub timeframe: Option<String>,
    /// What part of the source to load: `all` (the default: every row) or
    /// `view`: only the chart's `view.start`..`view.end`, widened by
    /// `load_margin`, for sources that take a range hint (`parquet` decodes
    /// only the row groups it needs; `gpu-charts plugins` marks such
    /// sources). Indicators then compute over the loaded rows only, so give
    /// a margin of at least their lookback. Panning past the loaded range
    /// in the window loads the rest. Sources without range hints load
    /// everything, as with `all`.
    #[serde(default)]
    pub load: Load,
    /// With `load = "view"`: how far beyond the view to load on each side,
    /// a duration (`"30m"`, `"12h"`, `"7d"`, `"2w"`; `M` counts 31 days) or
    /// a share of the view's width (`"50%"`, needing both `view.start` and
    /// `view.end`). Default: none.
    #[serde(default)]
    pub load_margin: Option<String>,
}

/// What part of a source to load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Load {
    /// Every row.
    #[default]
    All,
    /// Only the rows of the chart's view (plus `load_margin`).
    View,
}

/// An indicator: an indicator plugin applied to input columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorConfig {
    /// Id used to reference the outputs: `"sma20"` (first output) or `"bb.upper"`.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub id: String,
    /// Indicator plugin name, e.g. `"sma"` (give either `kind` or `script`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Lua indicator script, relative to this chart file, e.g.
    /// `"../scripts/supertrend.lua"` (give either `kind` or `script`).
    #[serde(default)]
    pub script: Option<String>,
    /// The input for every input role: a column (`"aapl.close"`), an
    /// indicator output (`"ema50"`), or a source id (`"aapl"`) whose columns
    /// are matched to the roles by name (e.g. high/low/close).
    #[serde(default)]
    pub input: Option<String>,
    /// Inputs by role, overriding `input`: `{ high = "aapl.high", ... }`.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// Parameters, validated against the plugin's (or script's) own schema.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
    /// Draw the outputs as the script declares them (style, colour, pane).
    /// Default: true for scripts; plugin indicators are drawn by `series`.
    #[serde(default)]
    pub plot: Option<bool>,
    /// Where a script's plotted outputs go, overriding what it declares:
    /// `overlay` (the pane of its input's bars) or `own` (a new pane below).
    /// QUIK scripts do not declare it (QUIK asks the user), so set it here.
    #[serde(default)]
    pub pane: Option<PanePlacement>,
}

/// Where an indicator's plotted outputs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PanePlacement {
    /// Over the bars of the indicator's input.
    Overlay,
    /// In a new pane below the others.
    Own,
}

/// Limits for Lua indicator scripts, so a runaway script is stopped with a
/// message instead of freezing or exhausting the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptLimitsConfig {
    /// Memory one script instance may allocate, in MiB, before the
    /// per-bar allowance below.
    #[serde(default = "default_memory_mb")]
    #[schemars(range(min = 1, max = 65536))]
    pub memory_mb: u64,
    /// Extra memory allowed per bar of input, in bytes (per-bar and QUIK
    /// scripts hold their inputs as Lua tables: a long history is not a bomb).
    #[serde(default = "default_memory_bytes_per_bar")]
    #[schemars(range(min = 0, max = 65536))]
    pub memory_bytes_per_bar: u64,
    /// Lua instructions allowed per bar computed (a long history is not a runaway).
    #[serde(default = "default_instructions_per_bar")]
    #[schemars(range(min = 100))]
    pub instructions_per_bar: u64,
    /// Lua instructions allowed for loading a script (its top-level code).
    #[serde(default = "default_instructions_base")]
    #[schemars(range(min = 1000))]
    pub instructions_base: u64,
}

impl Default for ScriptLimitsConfig {
    fn default() -> Self {
        ScriptLimitsConfig {
            memory_mb: default_memory_mb(),
            memory_bytes_per_bar: default_memory_bytes_per_bar(),
            instructions_per_bar: default_instructions_per_bar(),
            instructions_base: default_instructions_base(),
        }
    }
}

fn default_memory_mb() -> u64 {
    256
}
fn default_memory_bytes_per_bar() -> u64 {
    256
}
fn default_instructions_per_bar() -> u64 {
    20_000
}
fn default_instructions_base() -> u64 {
    10_000_000
}

/// A size in bytes: a whole number of bytes, or a number with a unit
/// (`B`, `KB`, `MB`, `GB`, `TB` are powers of 1000; `KiB`, `MiB`, `GiB`,
/// `TiB` powers of 1024), e.g. `"2 GiB"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ByteSize {
    /// Bytes.
    Bytes(u64),
    /// A number and a unit, e.g. `"2 GiB"` or `"512 MiB"`.
    // No schema pattern: `config::bytes` says what is wrong with a bad
    // text (an unknown unit, zero, too large), which `anyOf` cannot.
    Text(String),
}

/// A quality preset (see `runtime/src/quality.rs` for what each sets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Quality {
    /// Cheaper frames: no MSAA, 1.5-px buckets.
    Performance,
    /// Today's look: MSAA 4x, 1-px buckets, 2 GiB.
    #[default]
    Balanced,
    /// Finest: MSAA 4x, half-pixel buckets, 4 GiB.
    Quality,
    /// Least work and memory: no MSAA, 2-px buckets, 512 MiB.
    LowPower,
    /// Picked from the GPU (a software adapter gets `low-power`, others
    /// `balanced`) and stepped down while frames are slow.
    Auto,
}

/// A pane: series drawn over a shared value axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaneConfig {
    /// Relative height (the panes share the height in proportion).
    #[serde(default = "default_height")]
    #[schemars(range(min = 0.05, max = 100.0))]
    pub height: f64,
    /// Value axis scale.
    #[serde(default)]
    pub scale: Scale,
    /// Series drawn in this pane, bottom to top.
    #[schemars(length(min = 1))]
    pub series: Vec<SeriesConfig>,
}

/// Value axis scale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic (all values must be positive).
    Log,
}

/// A series: a chart type drawing some data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// Chart type plugin name, e.g. `"candlestick"`, `"line"`, `"volume"`.
    #[serde(rename = "type")]
    pub chart_type: String,
    /// What to draw: a source id for bar chart types (`"aapl"`), or a column
    /// for line types (`"aapl.close"`, `"sma20"`, `"bb.upper"`).
    pub data: String,
    /// Legend label (default: the data reference).
    #[serde(default)]
    pub label: Option<String>,
    /// Colour, `"#rrggbb"` or `"#rrggbbaa"` (default: from the theme palette).
    #[serde(default)]
    #[schemars(regex(pattern = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"))]
    pub color: Option<String>,
    /// Colour of rising bars (default: the theme's).
    #[serde(default)]
    #[schemars(regex(pattern = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"))]
    pub up_color: Option<String>,
    /// Colour of falling bars (default: the theme's).
    #[serde(default)]
    #[schemars(regex(pattern = r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"))]
    pub down_color: Option<String>,
    /// Line width in logical pixels.
    #[serde(default = "default_width")]
    #[schemars(range(min = 0.5, max = 20.0))]
    pub width: f64,
    /// Chart type parameters, validated against the plugin's own schema.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
    /// Draw this series' source data as bars of this timeframe (as a
    /// source's `timeframe`, for this series only); `data` must name a
    /// source (`"aapl"`) or a source column (`"aapl.close"`). On a bar axis
    /// every series must share one timeline, so mix timeframes with
    /// `x_axis = "time"`.
    #[serde(default)]
    pub timeframe: Option<String>,
}

fn default_size() -> [u32; 2] {
    [1600, 900]
}
fn default_timezone() -> String {
    "UTC".to_string()
}
fn default_height() -> f64 {
    1.0
}
fn default_width() -> f64 {
    1.5
}
fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}
