//! One frame's geometry, built from the chart model and a view range in
//! O(pixels): every series becomes at most a few instances per pixel column
//! (through the min/max pyramids), plus grid, axes and text.

use std::sync::Arc;

use crate::config::Scale;
use crate::data::{Column, MinMaxPyramid};
use crate::gpu::types::{BandInstance, BarInstance, FrameUniform, PointInstance, RectInstance};
use crate::scene::model::{BarsData, ChartModel, SeriesData, SeriesModel, XMode};
use crate::scene::text;
use crate::scene::theme::Rgba;
use crate::scene::ticks;
use crate::scene::types::{ChartTypeSpec, ViewState};
use gpu_charts_plugin_api::{
    GC_CHART_INCLUDE_ZERO, GC_FIELD_CLOSE, GC_FIELD_HIGH, GC_FIELD_LOW, GC_FIELD_OPEN,
    GC_FIELD_VALUE, GC_FIELD_VOLUME, GC_INPUT_BARS,
};

pub mod cursor;
mod search;
#[cfg(test)]
mod tests;

pub use crate::scene::types::ViewRange;
pub use cursor::{Hit, hit_test, pane_step, row_at, time_label};

/// Instances of one series draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Instances {
    /// For `GC_INPUT_BARS` chart types.
    Bars(Vec<BarInstance>),
    /// For `GC_INPUT_LINE` chart types.
    Points(Vec<PointInstance>),
    /// For `GC_INPUT_BAND` chart types.
    Band(Vec<BandInstance>),
}

impl Instances {
    /// Number of instances.
    pub fn len(&self) -> usize {
        match self {
            Instances::Bars(v) => v.len(),
            Instances::Points(v) => v.len(),
            Instances::Band(v) => v.len(),
        }
    }
    /// True if there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One chart-type draw call.
#[derive(Debug, Clone)]
pub struct SeriesDraw {
    /// Which pipeline.
    pub spec: Arc<ChartTypeSpec>,
    /// Its uniform.
    pub uniform: FrameUniform,
    /// Its instances.
    pub instances: Instances,
    /// Scissor rectangle (x, y, w, h) in target pixels: the pane's plot area.
    pub clip: [u32; 4],
}

/// A line of text; `x`, `y` are the left end of the baseline in target pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// Left of the pen.
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Font size in pixels.
    pub size_px: f32,
    /// Linear RGBA.
    pub color: Rgba,
}

/// Everything one frame draws, in order: `under`, `series`, `over`, `texts`.
#[derive(Debug, Clone)]
pub struct FrameScene {
    /// Target size in pixels.
    pub size: [u32; 2],
    /// Clear colour.
    pub clear: Rgba,
    /// Rectangles below the series (grid).
    pub under: Vec<RectInstance>,
    /// Series draws.
    pub series: Vec<SeriesDraw>,
    /// Rectangles above the series (axes, separators, label boxes).
    pub over: Vec<RectInstance>,
    /// Text, drawn last.
    pub texts: Vec<TextItem>,
    /// Each pane's plot rectangle and value mapping, for hit-testing and tests.
    pub panes: Vec<PaneGeometry>,
    /// The view this frame shows.
    pub view: ViewRange,
}

/// Where a pane was drawn and how its values map to pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaneGeometry {
    /// Plot rectangle (x, y, w, h) in target pixels.
    pub plot: [f32; 4],
    /// Value mapping (plot-space y).
    pub y: YMap,
}

impl PaneGeometry {
    /// Target-space y of value `v`.
    pub fn y_of(&self, v: f64) -> f32 {
        self.plot[1] + self.y.y(v)
    }
    /// The value at target-space y (inverse of [`PaneGeometry::y_of`]).
    pub fn value_at(&self, y: f32) -> f64 {
        self.y.value(y - self.plot[1])
    }
}

/// Maps values to plot-space y pixels for one pane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YMap {
    lo: f64,
    hi: f64,
    log: bool,
    height: f32,
}

impl YMap {
    fn new(lo: f64, hi: f64, scale: Scale, height: f32) -> YMap {
        let log = scale == Scale::Log;
        YMap {
            lo,
            hi,
            log,
            height,
        }
    }
    fn t(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo * 1e-6);
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
    /// The value at plot-space y.
    pub fn value(&self, y: f32) -> f64 {
        let t = 1.0 - y as f64 / self.height as f64;
        if self.log {
            (self.lo.ln() + t * (self.hi.ln() - self.lo.ln())).exp()
        } else {
            self.lo + t * (self.hi - self.lo)
        }
    }
    /// Plot-space y of value `v`.
    pub fn y(&self, v: f64) -> f32 {
        // Clamp far outside values so f32 never sees absurd magnitudes.
        (self.height as f64 * (1.0 - self.t(v))).clamp(-1e6, 1e6) as f32
    }
}

/// Logical-pixel layout constants (multiplied by the pixel ratio).
const AXIS_FONT: f32 = 12.0;
const LEGEND_FONT: f32 = 13.0;
const TITLE_FONT: f32 = 15.0;
const TIME_AXIS_H: f32 = 26.0;
const MARGIN: f32 = 6.0;
/// Below this plot height (logical px) the time axis and top margin go:
/// a strip of labels would take most of the image.
const MIN_PLOT_H_WITH_TIME_AXIS: f32 = 48.0;
/// Panes lower or narrower than this (logical px) draw no grid and no
/// separator above them.
const MIN_GRID_PX: f32 = 24.0;
/// Below this plot width (logical px) the price axis goes.
const MIN_PLOT_W_WITH_PRICE_AXIS: f32 = 64.0;

/// What of the chart's furniture fits an image of a given size: tiny images
/// (thumbnails, a window dragged small) keep the plot and drop the axes,
/// margin and labels first, so no size ever inverts the layout.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Furniture {
    /// Empty space above the first pane.
    top: f32,
    /// Height of the time axis under the panes (0: none).
    time_axis_h: f32,
    /// Whether the price axis (labels, last-value boxes) is drawn.
    price_axis: bool,
}

impl Furniture {
    fn fit(w: f32, h: f32, axis_w: f32, r: f32) -> Furniture {
        let time_axis = h >= (MARGIN + TIME_AXIS_H + MIN_PLOT_H_WITH_TIME_AXIS) * r && w >= axis_w;
        Furniture {
            top: if time_axis { MARGIN * r } else { 0.0 },
            time_axis_h: if time_axis { TIME_AXIS_H * r } else { 0.0 },
            price_axis: w >= axis_w + MIN_PLOT_W_WITH_PRICE_AXIS * r && h >= 2.0 * AXIS_FONT * r,
        }
    }
}

/// A bucket of data rows `[lo, hi)` drawn at x (plot space).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    x: f32,
    lo: usize,
    hi: usize,
}

/// Horizontal mapping for one frame.
struct XMap<'a> {
    mode: &'a XMode,
    view: ViewRange,
    width: f32,
}

impl XMap<'_> {
    fn px_of_axis(&self, a: f64) -> f32 {
        ((a - self.view.x0) / (self.view.x1 - self.view.x0) * self.width as f64) as f32
    }
    fn axis_of_px(&self, p: f64) -> f64 {
        self.view.x0 + p / self.width as f64 * (self.view.x1 - self.view.x0)
    }
    /// Slot width in pixels on a bar axis.
    fn slot_px(&self) -> f32 {
        (self.width as f64 / (self.view.x1 - self.view.x0)) as f32
    }

    /// Buckets covering the visible rows of `timestamps`, each at least
    /// `min_px` wide (the last visible row on each side is included so lines
    /// enter and leave the plot). Returns buckets and the slot width.
    fn buckets(&self, timestamps: &[i64], min_px: f32) -> (Vec<Bucket>, f32) {
        let n = timestamps.len();
        if n == 0 {
            return (Vec::new(), 1.0);
        }
        match self.mode {
            XMode::Bars(_) => {
                let slot = self.slot_px();
                let k = if slot >= min_px {
                    1
                } else {
                    (min_px / slot).ceil() as usize
                };
                let first = (self.view.x0.floor() as i64 - 1).max(0) as usize;
                let last = ((self.view.x1.ceil() as i64) + 1).clamp(0, n as i64) as usize;
                let start = first / k * k;
                let mut out = Vec::with_capacity((last.saturating_sub(start)) / k + 2);
                let mut g = start;
                while g < last {
                    let hi = (g + k).min(n);
                    let centre = (g as f64 + hi as f64) / 2.0;
                    out.push(Bucket {
                        x: self.px_of_axis(centre),
                        lo: g,
                        hi,
                    });
                    g += k;
                }
                (out, slot * k as f32)
            }
            XMode::Time => {
                let t0 = self.view.x0;
                let t1 = self.view.x1;
                let ia = timestamps.partition_point(|&t| (t as f64) < t0);
                let ib = timestamps.partition_point(|&t| (t as f64) <= t1);
                let visible = ib - ia;
                let lo = ia.saturating_sub(1);
                let hi = (ib + 1).min(n);
                if (visible as f32) * min_px <= self.width {
                    // Sparse: every row is its own bucket at its exact time.
                    let slot = if visible > 1 {
                        (self.width / visible as f32).min(40.0)
                    } else {
                        8.0
                    };
                    let out = (lo..hi)
                        .map(|i| Bucket {
                            x: self.px_of_axis(timestamps[i] as f64),
                            lo: i,
                            hi: i + 1,
                        })
                        .collect();
                    (out, slot)
                } else {
                    // Dense: one bucket per `min_px` column, found by binary search.
                    let cols = (self.width / min_px).ceil() as usize;
                    let mut out = Vec::with_capacity(cols + 2);
                    if lo < ia {
                        out.push(Bucket {
                            x: self.px_of_axis(timestamps[lo] as f64),
                            lo,
                            hi: ia,
                        });
                    }
                    let mut a = ia;
                    for c in 0..cols {
                        let edge = self.axis_of_px(((c + 1) as f32 * min_px) as f64);
                        let b = if c + 1 == cols {
                            ib
                        } else {
                            // Rows before `a` are below the previous edge.
                            search::first_not_below(timestamps, a, ib, edge)
                        };
                        if b > a {
                            out.push(Bucket {
                                x: (c as f32 + 0.5) * min_px,
                                lo: a,
                                hi: b,
                            });
                        }
                        a = b;
                    }
                    if hi > ib {
                        out.push(Bucket {
                            x: self.px_of_axis(timestamps[ib] as f64),
                            lo: ib,
                            hi,
                        });
                    }
                    (out, min_px)
                }
            }
        }
    }

    /// Row range visible in the view (for autoscale).
    fn visible_rows(&self, timestamps: &[i64]) -> (usize, usize) {
        let n = timestamps.len();
        match self.mode {
            XMode::Bars(_) => {
                let a = self.view.x0.floor().clamp(0.0, n as f64) as usize;
                let b = self.view.x1.ceil().clamp(0.0, n as f64) as usize;
                (a, b)
            }
            XMode::Time => (
                timestamps.partition_point(|&t| (t as f64) < self.view.x0),
                timestamps.partition_point(|&t| (t as f64) <= self.view.x1),
            ),
        }
    }
}

fn col_range(c: &Column, a: usize, b: usize) -> (f64, f64) {
    c.pyramid.range(&c.values, a, b)
}

/// (min, max) a series contributes to its pane's value range in rows [a, b).
fn series_range(s: &SeriesModel, a: usize, b: usize) -> (f64, f64) {
    let f = s.spec.range_fields;
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut take = |r: (f64, f64)| {
        lo = lo.min(r.0);
        hi = hi.max(r.1);
    };
    match &s.data {
        SeriesData::Bars(d) => {
            for (bit, c) in [
                (GC_FIELD_OPEN, &d.open),
                (GC_FIELD_HIGH, &d.high),
                (GC_FIELD_LOW, &d.low),
                (GC_FIELD_CLOSE, &d.close),
            ] {
                if f & bit != 0 {
                    take(col_range(c, a, b));
                }
            }
            // Volume: see `drawn_volume_range` (bars merged into one column
            // draw their sum, not their largest).
        }
        SeriesData::Line(c) => {
            if f & GC_FIELD_VALUE != 0 {
                take(col_range(&c.column, a, b));
            }
        }
        SeriesData::Band(upper, lower) => {
            if f & GC_FIELD_VALUE != 0 {
                take(col_range(&upper.column, a, b));
                take(col_range(&lower.column, a, b));
            }
        }
    }
    (lo, hi)
}

/// True when `s` draws volume bars: several bars merged into one bucket
/// draw their summed volume.
fn draws_volume_sums(s: &SeriesModel) -> bool {
    s.spec.range_fields & GC_FIELD_VOLUME != 0
        && matches!(&s.data, SeriesData::Bars(d) if d.volume_prefix.is_some())
}

/// The bucket width (px) series `s` is drawn with: the quality preset's
/// level-of-detail width, twice that for bars.
fn bucket_px(model: &ChartModel, s: &SeriesModel, r: f32) -> f32 {
    let lod = model.quality.lod_px.max(0.25) * r;
    if s.spec.input == GC_INPUT_BARS {
        2.0 * lod
    } else {
        lod
    }
}

/// (min, max) of the volumes a volume series draws on `x`: per bucket the
/// sum of the bars merged into it, as [`bar_instances`] draws it, over the
/// buckets that show in the plot. `None` for other series.
fn drawn_volume_range(s: &SeriesModel, x: &XMap, min_px: f32) -> Option<(f64, f64)> {
    if !draws_volume_sums(s) {
        return None;
    }
    let SeriesData::Bars(d) = &s.data else {
        return None;
    };
    let p = d.volume_prefix.as_ref()?;
    let (buckets, slot) = x.buckets(&d.timeline.timestamps, min_px);
    let half = slot / 2.0;
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for b in buckets
        .iter()
        .filter(|b| b.x + half >= 0.0 && b.x - half <= x.width)
    {
        let v = p[b.hi] - p[b.lo];
        lo = lo.min(v);
        hi = hi.max(v);
    }
    Some((lo, hi))
}

fn timestamps_of(s: &SeriesModel) -> &[i64] {
    &s.data.timeline().timestamps
}

/// A value as legends and axis labels show it: prices to the cent (or finer
/// if the axis is finer), large quantities such as volume to 4 digits.
pub fn readout(v: f64, axis_step: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let step = if axis_step >= 1e4 {
        axis_step / 100.0
    } else {
        (axis_step / 100.0).min(0.01)
    };
    ticks::format_value(v, step)
}

/// The value a series shows at row `i` (close for bars, volume for volume).
fn last_value(s: &SeriesModel, i: usize) -> Option<f64> {
    match &s.data {
        SeriesData::Bars(d) if s.spec.range_fields & GC_FIELD_VOLUME != 0 => {
            d.volume.as_ref().map(|v| v.values[i])
        }
        SeriesData::Bars(d) => Some(d.close.values[i]),
        SeriesData::Line(c) => Some(c.column.values[i]).filter(|v| v.is_finite()),
        SeriesData::Band(..) => None,
    }
}

/// Legend text at row `i` (OHLC for bars).
pub(crate) fn legend_value(s: &SeriesModel, i: usize, step: f64) -> String {
    let fmt = |v: f64| readout(v, step);
    match &s.data {
        SeriesData::Bars(d) if s.spec.range_fields & GC_FIELD_VOLUME != 0 => d
            .volume
            .as_ref()
            .map(|v| fmt(v.values[i]))
            .unwrap_or_default(),
        SeriesData::Bars(d) => format!(
            "O {}  H {}  L {}  C {}",
            fmt(d.open.values[i]),
            fmt(d.high.values[i]),
            fmt(d.low.values[i]),
            fmt(d.close.values[i])
        ),
        SeriesData::Line(c) => fmt(c.column.values[i]),
        SeriesData::Band(u, l) => {
            format!("{} / {}", fmt(u.column.values[i]), fmt(l.column.values[i]))
        }
    }
}

fn bar_instances(d: &BarsData, buckets: &[Bucket], y: &YMap) -> Vec<BarInstance> {
    let (o, h, l, c) = (&d.open, &d.high, &d.low, &d.close);
    buckets
        .iter()
        .map(|b| {
            let open = o.values[b.lo];
            let close = c.values[b.hi - 1];
            let high = col_range(h, b.lo, b.hi).1;
            let low = col_range(l, b.lo, b.hi).0;
            let volume = d.volume_prefix.as_ref().map_or(0.0, |p| p[b.hi] - p[b.lo]);
            BarInstance {
                x_px: b.x,
                open_px: y.y(open),
                high_px: y.y(high),
                low_px: y.y(low),
                close_px: y.y(close),
                volume_px: y.y(volume),
                up: if close >= open { 1.0 } else { 0.0 },
                _pad: 0.0,
            }
        })
        .collect()
}

/// Band buckets: the highest upper and lowest lower value in each bucket
/// (so the envelope survives decimation); a bucket with either edge missing
/// breaks the band.
fn band_instances(
    upper: &Column,
    lower: &Column,
    buckets: &[Bucket],
    y: &YMap,
) -> Vec<BandInstance> {
    let mut out = Vec::with_capacity(buckets.len());
    let mut connected = false;
    for b in buckets {
        let hi = col_range(upper, b.lo, b.hi).1;
        let lo = col_range(lower, b.lo, b.hi).0;
        if !(hi.is_finite() && lo.is_finite()) {
            connected = false;
            continue;
        }
        out.push(BandInstance {
            x_px: b.x,
            upper_px: y.y(hi),
            lower_px: y.y(lo),
            connect: if connected { 1.0 } else { 0.0 },
        });
        connected = true;
    }
    out
}

fn point_instances(
    values: &[f64],
    pyramid: &MinMaxPyramid,
    buckets: &[Bucket],
    y: &YMap,
) -> Vec<PointInstance> {
    let mut out = Vec::with_capacity(buckets.len());
    let mut connected = false;
    for b in buckets {
        let (mn, mx) = pyramid.range(values, b.lo, b.hi);
        if !(mn.is_finite() && mx.is_finite()) {
            connected = false;
            continue;
        }
        let pick = |v: f64| if v.is_finite() { v } else { (mn + mx) / 2.0 };
        out.push(PointInstance {
            x_px: b.x,
            first_px: y.y(pick(values[b.lo])),
            last_px: y.y(pick(values[b.hi - 1])),
            top_px: y.y(mx),
            bottom_px: y.y(mn),
            connect: if connected { 1.0 } else { 0.0 },
            _pad0: 0.0,
            _pad1: 0.0,
        });
        connected = true;
    }
    out
}

/// `view` with a width a frame can divide by. An empty (or inverted) view,
/// as one row or one time gives, is widened around its start by at least a
/// few ulps of its magnitude: near 1.7e18 ns one ulp is 256, so a fixed +1
/// would leave `x1 == x0` and every position NaN. A view that is not finite
/// falls back to the unit range.
pub(crate) fn drawable(view: ViewRange) -> ViewRange {
    if !(view.x0.is_finite() && view.x1.is_finite()) {
        return ViewRange { x0: 0.0, x1: 1.0 };
    }
    if view.x1 > view.x0 && view.x1 - view.x0 >= 4.0 * ulp(view.x0.abs().max(view.x1.abs())) {
        return view;
    }
    let half = (8.0 * ulp(view.x0.abs())).max(0.5);
    ViewRange {
        x0: view.x0 - half,
        x1: view.x0 + half,
    }
}

/// The distance from `|x|` to the next larger f64.
fn ulp(x: f64) -> f64 {
    let x = x.abs();
    f64::from_bits(x.to_bits() + 1) - x
}

/// Builds the frame for `model` at `size` (physical pixels) showing `view`.
pub fn build_frame(
    model: &ChartModel,
    view: ViewRange,
    size: [u32; 2],
    pixel_ratio: f32,
) -> FrameScene {
    build_frame_with(model, &ViewState::with_view(model, view), size, pixel_ratio)
}

/// Builds the frame for `model` at `size` (physical pixels) as `state` says:
/// its view, fixed value ranges, pane heights and crosshair (with the
/// legend showing the values at the cursor instead of the last bar).
pub fn build_frame_with(
    model: &ChartModel,
    state: &ViewState,
    size: [u32; 2],
    pixel_ratio: f32,
) -> FrameScene {
    let view = state.view;
    let pal = &model.palette;
    let r = pixel_ratio.max(0.25);
    let (w, h) = (size[0].max(1) as f32, size[1].max(1) as f32);
    let view = drawable(view);
    let mut scene = FrameScene {
        size,
        clear: pal.background,
        under: Vec::new(),
        series: Vec::new(),
        over: Vec::new(),
        texts: Vec::new(),
        panes: Vec::new(),
        view,
    };

    // Value ranges first: the price axis width depends on its labels.
    struct PaneGeom {
        lo: f64,
        hi: f64,
        ticks: Vec<ticks::Tick>,
        step: f64,
    }
    /// The value range `lo..hi` with its axis ticks and their step.
    fn pane_geom(lo: f64, hi: f64, log: bool, target: usize) -> PaneGeom {
        let ts = if log {
            ticks::log_value_ticks(lo, hi, target)
        } else {
            ticks::value_ticks(lo, hi, target)
        };
        let step = if ts.len() >= 2 {
            (ts[1].pos - ts[0].pos).abs()
        } else {
            (hi - lo) / 4.0
        };
        PaneGeom {
            lo,
            hi,
            ticks: ts,
            step,
        }
    }
    let axis_font = AXIS_FONT * r;
    let heights: Vec<f64> = if state.pane_heights.len() == model.panes.len() {
        state.pane_heights.clone()
    } else {
        model.panes.iter().map(|p| p.height).collect()
    };
    let total_weight: f64 = heights.iter().sum::<f64>().max(1e-9);
    // The price axis is at least this wide; whether it and the time axis fit
    // decides the plot area (the labels' real width is known only later).
    let min_axis_w = 48.0 * r;
    let furniture = Furniture::fit(w, h, min_axis_w, r);
    let top0 = furniture.top;
    let plot_bottom = h - furniture.time_axis_h;
    let avail_h = (plot_bottom - top0).max(1.0);
    let mut pane_y = top0;
    let mut pane_rects = Vec::new();
    for height in &heights {
        let ph = (avail_h as f64 * height / total_weight) as f32;
        pane_rects.push((pane_y, ph));
        pane_y += ph;
    }

    // A volume series' range depends on the buckets drawn (their summed
    // volumes), so on the plot width, which depends on the labels of the
    // ranges: settle it below with the width actually drawn.
    let pane_geoms = |xm: &XMap| -> Vec<PaneGeom> {
        let mut geoms = Vec::new();
        for (pi, (p, &(_, ph))) in model.panes.iter().zip(&pane_rects).enumerate() {
            let target = ((ph / (48.0 * r)).floor() as usize).clamp(2, 12);
            if let Some(&Some((lo, hi))) = state.y_fixed.get(pi)
                && lo.is_finite()
                && hi.is_finite()
                && hi > lo
            {
                // The user's range, exactly: no padding, no zero line.
                let log = p.scale == Scale::Log && lo > 0.0;
                geoms.push(pane_geom(lo, hi, log, target));
                continue;
            }
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            let mut include_zero = false;
            for s in &p.series {
                let (a, b) = xm.visible_rows(timestamps_of(s));
                let (mut l, mut hgh) = series_range(s, a, b);
                if let Some((vl, vh)) = drawn_volume_range(s, xm, bucket_px(model, s, r)) {
                    l = l.min(vl);
                    hgh = hgh.max(vh);
                }
                lo = lo.min(l);
                hi = hi.max(hgh);
                include_zero |= s.spec.flags & GC_CHART_INCLUDE_ZERO != 0;
            }
            if !(lo.is_finite() && hi.is_finite()) {
                (lo, hi) = (0.0, 1.0);
            }
            let log = p.scale == Scale::Log && lo > 0.0;
            if include_zero && !log {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.01 };
                lo -= pad;
                hi += pad;
            }
            // Headroom so the extremes do not touch the pane edges.
            if log {
                let (a, b) = (lo.ln(), hi.ln());
                let pad = (b - a) * 0.06;
                lo = (a - pad).exp();
                hi = (b + pad).exp();
            } else {
                let pad = (hi - lo) * 0.06;
                if !(include_zero && lo == 0.0) {
                    lo -= pad;
                }
                hi += pad;
            }
            geoms.push(pane_geom(lo, hi, log, target));
        }
        geoms
    };
    // The plot width the labels of `geoms` leave, and whether the price axis shows.
    let layout = |geoms: &[PaneGeom]| -> (f32, bool) {
        let label_w = geoms
            .iter()
            .flat_map(|g| g.ticks.iter().map(|t| text::measure(&t.label, axis_font)))
            .fold(0.0f32, f32::max);
        let axis_w = (label_w + 16.0 * r).max(min_axis_w);
        // Long labels may not leave room for the plot after all.
        let price_axis = furniture.price_axis && w >= axis_w + MIN_PLOT_W_WITH_PRICE_AXIS * r;
        let plot_w = if price_axis { w - axis_w } else { w }.max(1.0);
        (plot_w, price_axis)
    };
    let x_map = |width: f32| XMap {
        mode: &model.x_axis,
        view,
        width,
    };
    // Ranges first on the whole width (provisional), then, where a range
    // depends on the width, again on the plot width until it stops moving
    // (the labels rarely change width; two more passes at most).
    let mut geoms = pane_geoms(&x_map(w));
    let (mut plot_w, mut price_axis) = layout(&geoms);
    let width_dependent = model
        .panes
        .iter()
        .flat_map(|p| &p.series)
        .any(draws_volume_sums);
    if width_dependent {
        let mut drawn = w;
        for _ in 0..2 {
            if plot_w == drawn {
                break;
            }
            drawn = plot_w;
            geoms = pane_geoms(&x_map(drawn));
            (plot_w, price_axis) = layout(&geoms);
        }
        // Draw at the width the ranges were computed for, so that they hold
        // every drawn bar.
        if plot_w != drawn {
            plot_w = drawn;
            price_axis = drawn < w;
        }
    }
    let plot_left = 0.0f32;
    let x = x_map(plot_w);

    // Time axis ticks (shared by all panes).
    let target_x = ((plot_w / (90.0 * r)).floor() as usize).clamp(2, 20);
    let xticks: Vec<(f32, ticks::Tick)> = match &model.x_axis {
        XMode::Bars(tl) => {
            let n = tl.timestamps.len();
            let first = view.x0.max(0.0).floor() as usize;
            let last = (view.x1.ceil() as usize).min(n).saturating_sub(1);
            ticks::bar_time_ticks(&tl.timestamps, first, last, model.tz, target_x)
                .into_iter()
                .map(|t| (x.px_of_axis(t.pos + 0.5), t))
                .collect()
        }
        XMode::Time => ticks::time_ticks(view.x0 as i64, view.x1 as i64, model.tz, target_x)
            .into_iter()
            .map(|t| (x.px_of_axis(t.pos), t))
            .collect(),
    };

    let hair = r.max(1.0).round();
    for (pi, (p, g)) in model.panes.iter().zip(&geoms).enumerate() {
        let (top, ph) = pane_rects[pi];
        let ymap = YMap::new(
            g.lo,
            g.hi,
            if g.lo > 0.0 { p.scale } else { Scale::Linear },
            ph,
        );
        scene.panes.push(PaneGeometry {
            plot: [plot_left, top, plot_w, ph],
            y: ymap,
        });
        // Grid: only where a pane has room for it; in a thumbnail the
        // lines would be most of what is drawn.
        let mut axis_labels: Vec<TextItem> = Vec::new();
        let grid = ph >= MIN_GRID_PX * r && plot_w >= MIN_GRID_PX * r;
        for t in g.ticks.iter().filter(|_| grid) {
            let yy = top + ymap.y(t.pos);
            if yy < top || yy > top + ph {
                continue;
            }
            scene.under.push(RectInstance {
                min: [plot_left, yy.round()],
                max: [plot_left + plot_w, yy.round() + hair],
                color: pal.grid,
            });
            // A pane too low for a label keeps its grid lines only.
            if !price_axis || ph < axis_font + 2.0 * r {
                continue;
            }
            let label_y = (yy + axis_font * 0.35).clamp(top + axis_font, top + ph - 2.0 * r);
            axis_labels.push(TextItem {
                text: t.label.clone(),
                x: plot_left + plot_w + 8.0 * r,
                y: label_y,
                size_px: axis_font,
                color: pal.text,
            });
        }
        for (xx, _) in xticks.iter().filter(|_| grid) {
            if *xx >= 0.0 && *xx <= plot_w {
                scene.under.push(RectInstance {
                    min: [plot_left + xx.round(), top],
                    max: [plot_left + xx.round() + hair, top + ph],
                    color: pal.grid,
                });
            }
        }
        // Series.
        let clip = [
            plot_left.max(0.0) as u32,
            top.max(0.0) as u32,
            plot_w as u32,
            ph.max(1.0) as u32,
        ];
        let mut legend: Vec<(String, Rgba)> = Vec::new();
        let mut last_labels: Vec<(f64, Rgba)> = Vec::new();
        for s in &p.series {
            let ts = timestamps_of(s);
            let bars = s.spec.input == GC_INPUT_BARS;
            // The preset's bucket width; 1 px (2 for bars) by default.
            let (buckets, slot) = x.buckets(ts, bucket_px(model, s, r));
            let instances = match &s.data {
                SeriesData::Bars(d) => Instances::Bars(bar_instances(d, &buckets, &ymap)),
                SeriesData::Line(c) => Instances::Points(point_instances(
                    &c.column.values,
                    &c.column.pyramid,
                    &buckets,
                    &ymap,
                )),
                SeriesData::Band(u, l) => {
                    Instances::Band(band_instances(&u.column, &l.column, &buckets, &ymap))
                }
            };
            let baseline = if p.scale == Scale::Log {
                ph
            } else {
                ymap.y(0.0).clamp(0.0, ph)
            };
            let u = &s.user;
            let uniform = FrameUniform {
                viewport_px: [w, h],
                plot_origin_px: [plot_left, top],
                plot_size_px: [plot_w, ph],
                bar_width_px: slot,
                line_width_px: s.width * r,
                color: s.color,
                up_color: s.up_color,
                down_color: s.down_color,
                baseline_px: baseline,
                pixel_ratio: r,
                instance_count: instances.len() as u32,
                _pad: 0.0,
                user: [
                    [u[0], u[1], u[2], u[3]],
                    [u[4], u[5], u[6], u[7]],
                    [u[8], u[9], u[10], u[11]],
                    [u[12], u[13], u[14], u[15]],
                ],
            };
            // Legend value at the last visible row, or at the crosshair.
            let (_, b) = x.visible_rows(ts);
            let legend_row = match state.crosshair {
                Some([cx, _]) if (plot_left..plot_left + plot_w).contains(&cx) => {
                    cursor::row_at(&model.x_axis, s, x.axis_of_px((cx - plot_left) as f64))
                }
                _ => b.checked_sub(1),
            };
            let value = legend_row.map_or_else(String::new, |i| legend_value(s, i, g.step));
            let color = if bars && s.spec.range_fields & GC_FIELD_VOLUME == 0 {
                pal.text_strong
            } else {
                s.color
            };
            if b > 0
                && let Some(v) = last_value(s, b - 1)
            {
                let label_color = match &s.data {
                    SeriesData::Bars(d) if d.close.values[b - 1] >= d.open.values[b - 1] => {
                        s.up_color
                    }
                    SeriesData::Bars(_) => s.down_color,
                    SeriesData::Line(_) | SeriesData::Band(..) => s.color,
                };
                last_labels.push((v, label_color));
            }
            legend.push((format!("{}  {}", s.label, value), color));
            if !instances.is_empty() {
                scene.series.push(SeriesDraw {
                    spec: s.spec.clone(),
                    uniform,
                    instances,
                    clip,
                });
            }
        }
        // Legend (and the title in the first pane), as many lines as fit.
        let fits = |baseline: f32| baseline <= top + ph - 2.0 * r;
        // Lines wider than the image are left out rather than cut.
        let fits_w = |text: &str, size: f32| plot_left + 8.0 * r + text::measure(text, size) <= w;
        let mut ly = top + 6.0 * r;
        // The title carries the timeframe shown (the window switches it).
        let title = match (&model.config.title, model.timeframes.current) {
            (Some(t), Some(tf)) => Some(format!("{t} · {tf}")),
            (None, Some(tf)) => Some(tf.to_string()),
            (t, None) => t.clone(),
        };
        if pi == 0
            && let Some(t) = &title
            && fits(ly + TITLE_FONT * r)
            && fits_w(t, TITLE_FONT * r)
        {
            ly += TITLE_FONT * r;
            scene.texts.push(TextItem {
                text: t.clone(),
                x: plot_left + 8.0 * r,
                y: ly,
                size_px: TITLE_FONT * r,
                color: pal.text_strong,
            });
            ly += 4.0 * r;
        }
        for (label, color) in legend {
            ly += LEGEND_FONT * r * 1.3;
            if !fits(ly) {
                break;
            }
            if !fits_w(&label, LEGEND_FONT * r) {
                continue;
            }
            scene.texts.push(TextItem {
                text: label,
                x: plot_left + 8.0 * r,
                y: ly,
                size_px: LEGEND_FONT * r,
                color,
            });
        }
        // Last visible value of each series, boxed on the price axis; axis
        // labels under a box are left out.
        let bh = axis_font * 1.45;
        if !price_axis || ph < bh {
            last_labels.clear();
        }
        let boxes: Vec<(f32, f64, Rgba)> = last_labels
            .into_iter()
            .map(|(v, c)| (top + ymap.y(v), v, c))
            .filter(|(yy, _, _)| (top..=top + ph).contains(yy))
            .map(|(yy, v, c)| ((yy - bh / 2.0).clamp(top, top + ph - bh), v, c))
            .collect();
        // Stack boxes that would overlap, keeping their order by value.
        let mut boxes = boxes;
        boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
        for k in 1..boxes.len() {
            let min_y = boxes[k - 1].0 + bh + hair;
            if boxes[k].0 < min_y {
                boxes[k].0 = min_y;
            }
        }
        // Stacking may push the last boxes off a low image: leave those out.
        boxes.retain(|(y0, _, _)| y0 + bh <= h);
        for label in axis_labels {
            let centre = label.y - axis_font * 0.35;
            if !boxes.iter().any(|(y0, _, _)| {
                centre > y0 - axis_font * 0.6 && centre < y0 + bh + axis_font * 0.6
            }) {
                scene.texts.push(label);
            }
        }
        for (y0, v, color) in boxes {
            let label = readout(v, g.step);
            scene.over.push(RectInstance {
                min: [plot_left + plot_w + hair, y0],
                max: [w, y0 + bh],
                color,
            });
            scene.texts.push(TextItem {
                text: label,
                x: plot_left + plot_w + 8.0 * r,
                y: y0 + bh / 2.0 + axis_font * 0.35,
                size_px: axis_font,
                color: [1.0, 1.0, 1.0, 1.0],
            });
        }
        // Pane separator (left out between panes too low to tell apart).
        if pi > 0 && ph >= MIN_GRID_PX * r {
            scene.over.push(RectInstance {
                min: [0.0, top.round()],
                max: [w, top.round() + hair],
                color: pal.axis,
            });
        }
    }
    // Axis lines.
    if price_axis {
        let axis_x = (plot_left + plot_w).round();
        scene.over.push(RectInstance {
            min: [axis_x, top0],
            max: [axis_x + hair, plot_bottom],
            color: pal.axis,
        });
    }
    let time_axis = furniture.time_axis_h > 0.0;
    if time_axis {
        scene.over.push(RectInstance {
            min: [0.0, plot_bottom.round()],
            max: [w, plot_bottom.round() + hair],
            color: pal.axis,
        });
    }
    // Time labels, centred on their tick and kept inside the plot width. When
    // no labelled boundary (a new month, day, year) is in view, the first
    // label carries the full date so the axis is never ambiguous.
    let mut xticks = xticks;
    let visible = |xx: f32| (0.0..=plot_w).contains(&xx);
    let is_year =
        |t: &ticks::Tick| t.label.len() == 4 && t.label.bytes().all(|b| b.is_ascii_digit());
    if !xticks
        .iter()
        .any(|(xx, t)| (t.major || is_year(t)) && visible(*xx))
        && let Some(i) = xticks.iter().position(|(xx, _)| visible(*xx))
    {
        let ns = |t: &ticks::Tick| match &model.x_axis {
            XMode::Bars(tl) => tl.timestamps.get(t.pos as usize).copied().unwrap_or(0),
            XMode::Time => t.pos as i64,
        };
        let step = xticks
            .get(i + 1)
            .map_or(86_400_000_000_000, |(_, n)| ns(n) - ns(&xticks[i].1));
        let first = &mut xticks[i].1;
        first.label = ticks::format_time(ns(first), model.tz, step);
        first.major = true;
    }
    let mut last_right = f32::NEG_INFINITY;
    for (xx, t) in xticks.iter().filter(|_| time_axis) {
        let tw = text::measure(&t.label, axis_font);
        if tw > plot_w {
            continue;
        }
        let left = (plot_left + xx - tw / 2.0).clamp(0.0, plot_left + plot_w - tw);
        if *xx < 0.0 || *xx > plot_w || left < last_right + 6.0 * r {
            continue;
        }
        last_right = left + tw;
        scene.over.push(RectInstance {
            min: [plot_left + xx.round(), plot_bottom],
            max: [plot_left + xx.round() + hair, plot_bottom + 4.0 * r],
            color: pal.axis,
        });
        scene.texts.push(TextItem {
            text: t.label.clone(),
            x: left,
            y: plot_bottom + 6.0 * r + axis_font,
            size_px: axis_font,
            color: if t.major { pal.text_strong } else { pal.text },
        });
    }
    cursor::crosshair_overlay(model, state, &mut scene, r);
    scene
}
