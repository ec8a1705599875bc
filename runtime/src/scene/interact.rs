//! Interaction logic of the window, with no window: what the user sees
//! ([`ViewState`]), how input changes it (pan, anchored zoom, keys, pane
//! resizing) and what is under the cursor ([`hit_test`], [`readout`]).
//!
//! Everything here is pure and cheap: a change of view is O(1), a readout
//! O(series × log rows), and the crosshair overlay a handful of rectangles,
//! so the per-frame cost stays O(pixels).

use std::sync::Arc;

use crate::gpu::types::RectInstance;
use crate::scene::frame::{FrameScene, TextItem, ViewRange, legend_value};
use crate::scene::model::{ChartModel, SeriesModel, XMode};
use crate::scene::text;
use crate::scene::ticks;

/// Fewest bars a bar axis may show when zoomed in.
pub const MIN_BARS: f64 = 5.0;
/// How far (as a fraction of the visible span) the view may leave the data.
pub const EDGE_MARGIN: f64 = 0.25;
/// Widest view, as a multiple of the data's extent.
pub const MAX_SPAN_OF_DATA: f64 = 1.5;
/// Smallest pane height in logical pixels when a divider is dragged.
pub const MIN_PANE_PX: f64 = 24.0;
/// Zoom factor of one `+`/`-` key press.
pub const KEY_ZOOM: f64 = 1.25;
/// Fraction of the view one arrow key press pans.
pub const KEY_PAN: f64 = 0.1;

/// A key the chart reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Pan towards earlier data.
    Left,
    /// Pan towards later data.
    Right,
    /// Zoom in about the centre.
    ZoomIn,
    /// Zoom out about the centre.
    ZoomOut,
    /// Jump to the start of the data.
    Home,
    /// Jump to the end of the data.
    End,
}

/// What the user has made of the chart: the visible range, fixed price
/// ranges, pane heights and the crosshair.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// Visible horizontal range (axis units, see [`ViewRange`]).
    pub view: ViewRange,
    /// Per pane: `Some((lo, hi))` when the user fixed the value range,
    /// `None` to autoscale to the visible rows.
    pub y_fixed: Vec<Option<(f64, f64)>>,
    /// Relative pane heights (any positive unit; only ratios matter).
    pub pane_heights: Vec<f64>,
    /// Cursor position in target pixels, when the crosshair is shown.
    pub crosshair: Option<[f32; 2]>,
    /// Horizontal limits the view is kept within.
    pub bounds: Bounds,
    initial_view: ViewRange,
    initial_heights: Vec<f64>,
}

/// The data's horizontal extent and the narrowest allowed view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// First axis value with data.
    pub lo: f64,
    /// Last axis value with data (exclusive end on a bar axis).
    pub hi: f64,
    /// Narrowest span a zoom may reach.
    pub min_span: f64,
    /// Room left right of the last bar by `End` (a fraction of the span).
    pub end_room: f64,
}

impl Bounds {
    /// The extent of `model`'s data on its horizontal axis.
    pub fn of(model: &ChartModel) -> Bounds {
        match &model.x_axis {
            XMode::Bars(tl) => Bounds {
                lo: 0.0,
                hi: tl.timestamps.len().max(1) as f64,
                min_span: MIN_BARS,
                end_room: 0.015,
            },
            XMode::Time => {
                let mut lo = i64::MAX;
                let mut hi = i64::MIN;
                // Narrowest view: five of the densest table's average bar spacing.
                let mut spacing = f64::INFINITY;
                for t in model.tables.values() {
                    let ts = &t.timeline.timestamps;
                    if let (Some(&a), Some(&b)) = (ts.first(), ts.last()) {
                        lo = lo.min(a);
                        hi = hi.max(b);
                        if ts.len() > 1 && b > a {
                            spacing = spacing.min((b - a) as f64 / (ts.len() - 1) as f64);
                        }
                    }
                }
                if lo > hi {
                    (lo, hi) = (0, 1_000_000_000);
                }
                let spacing = if spacing.is_finite() { spacing } else { 1e9 };
                Bounds {
                    lo: lo as f64,
                    hi: (hi as f64).max(lo as f64 + 1.0),
                    min_span: 5.0 * spacing,
                    end_room: 0.0,
                }
            }
        }
    }
}

impl ViewState {
    /// The chart file's view with autoscaled panes of the file's heights.
    pub fn new(model: &ChartModel) -> ViewState {
        let heights: Vec<f64> = model.panes.iter().map(|p| p.height).collect();
        ViewState {
            view: model.initial_view,
            y_fixed: vec![None; model.panes.len()],
            pane_heights: heights.clone(),
            crosshair: None,
            bounds: Bounds::of(model),
            initial_view: model.initial_view,
            initial_heights: heights,
        }
    }

    /// Like [`ViewState::new`] but showing `view`.
    pub fn with_view(model: &ChartModel, view: ViewRange) -> ViewState {
        let mut s = ViewState::new(model);
        s.view = view;
        s
    }

    /// The state to show `model`, a new generation of the chart this state
    /// showed (a live reload): the user's pan and zoom survive unless the
    /// chart file's own view changed (then the file wins, as on open), kept
    /// within the new data; fixed price ranges and dragged pane heights
    /// survive while the panes stay the same; the crosshair stays.
    pub fn carried_to(&self, model: &ChartModel) -> ViewState {
        let mut next = ViewState::new(model);
        if next.initial_view == self.initial_view {
            next.view = next.clamp(self.view);
        }
        if next.initial_heights == self.initial_heights {
            next.pane_heights = self.pane_heights.clone();
            next.y_fixed = self.y_fixed.clone();
        }
        next.crosshair = self.crosshair;
        next
    }

    /// Back to the chart file's view, autoscale and pane heights.
    pub fn reset(&mut self) {
        self.view = self.initial_view;
        self.y_fixed.iter_mut().for_each(|y| *y = None);
        self.pane_heights = self.initial_heights.clone();
    }

    /// Moves the view right by `dx_px` pixels of a plot `plot_w_px` wide
    /// (a drag to the right shows earlier data: pass the negated drag).
    pub fn pan(&mut self, dx_px: f64, plot_w_px: f64) {
        let span = self.view.x1 - self.view.x0;
        let d = dx_px * span / plot_w_px.max(1.0);
        self.view = self.clamp(ViewRange {
            x0: self.view.x0 + d,
            x1: self.view.x1 + d,
        });
    }

    /// Zooms the time axis by `factor` (> 1 zooms in) keeping the axis value
    /// at `cursor_x_px` (plot space, 0 = left edge of the plot) in place.
    pub fn zoom_at(&mut self, cursor_x_px: f64, factor: f64, plot_w_px: f64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let span = self.view.x1 - self.view.x0;
        let f = (cursor_x_px / plot_w_px.max(1.0)).clamp(0.0, 1.0);
        let anchor = self.view.x0 + f * span;
        let new_span = self.clamp_span(span / factor);
        let x0 = anchor - f * new_span;
        self.view = self.clamp(ViewRange {
            x0,
            x1: x0 + new_span,
        });
    }

    /// Zooms pane `pane`'s value axis by `factor` (> 1 zooms in) about the
    /// target-space `cursor_y`, and fixes that pane's range (no autoscale).
    pub fn zoom_price(&mut self, frame: &FrameScene, pane: usize, cursor_y: f32, factor: f64) {
        let Some(g) = frame.panes.get(pane) else {
            return;
        };
        if !(factor.is_finite() && factor > 0.0) || pane >= self.y_fixed.len() {
            return;
        }
        // Scaling in pixel space keeps the value under the cursor on linear
        // and log axes alike.
        let (top, bottom) = (g.plot[1], g.plot[1] + g.plot[3]);
        let f = factor as f32;
        let hi = g.value_at(cursor_y + (top - cursor_y) / f);
        let lo = g.value_at(cursor_y + (bottom - cursor_y) / f);
        if lo.is_finite() && hi.is_finite() && hi > lo {
            self.y_fixed[pane] = Some((lo, hi));
        }
    }

    /// Moves pane `pane`'s value range by `dy_px` target pixels (a drag down
    /// shows higher values) and fixes it.
    pub fn pan_price(&mut self, frame: &FrameScene, pane: usize, dy_px: f32) {
        let Some(g) = frame.panes.get(pane) else {
            return;
        };
        if pane >= self.y_fixed.len() {
            return;
        }
        let hi = g.value_at(g.plot[1] - dy_px);
        let lo = g.value_at(g.plot[1] + g.plot[3] - dy_px);
        if lo.is_finite() && hi.is_finite() && hi > lo {
            self.y_fixed[pane] = Some((lo, hi));
        }
    }

    /// Lets pane `pane` autoscale again.
    pub fn autoscale(&mut self, pane: usize) {
        if let Some(y) = self.y_fixed.get_mut(pane) {
            *y = None;
        }
    }

    /// Reacts to a key, for a plot `plot_w_px` wide.
    pub fn key(&mut self, key: Key, plot_w_px: f64) {
        let span = self.view.x1 - self.view.x0;
        let b = self.bounds;
        match key {
            Key::Left => self.pan(-KEY_PAN * plot_w_px, plot_w_px),
            Key::Right => self.pan(KEY_PAN * plot_w_px, plot_w_px),
            Key::ZoomIn => self.zoom_at(plot_w_px / 2.0, KEY_ZOOM, plot_w_px),
            Key::ZoomOut => self.zoom_at(plot_w_px / 2.0, 1.0 / KEY_ZOOM, plot_w_px),
            Key::Home => {
                self.view = self.clamp(ViewRange {
                    x0: b.lo,
                    x1: b.lo + span,
                })
            }
            Key::End => {
                let x1 = b.hi + span * b.end_room;
                self.view = self.clamp(ViewRange { x0: x1 - span, x1 });
            }
        }
    }

    /// Moves divider `divider` (between pane `divider - 1` and `divider`) by
    /// `dy_px` target pixels, keeping both panes at least [`MIN_PANE_PX`]
    /// × `pixel_ratio` tall.
    pub fn drag_divider(&mut self, frame: &FrameScene, divider: usize, dy_px: f64, ratio: f64) {
        if divider == 0 || divider >= frame.panes.len() {
            return;
        }
        let mut px: Vec<f64> = frame.panes.iter().map(|p| p.plot[3] as f64).collect();
        let min = MIN_PANE_PX * ratio;
        let (a, b) = (px[divider - 1], px[divider]);
        let dy = dy_px.clamp((min - a).min(0.0), (b - min).max(0.0));
        px[divider - 1] = a + dy;
        px[divider] = b - dy;
        // Pixel heights are valid relative weights.
        self.pane_heights = px;
    }

    fn clamp_span(&self, span: f64) -> f64 {
        let max = (self.bounds.hi - self.bounds.lo) * MAX_SPAN_OF_DATA;
        span.clamp(self.bounds.min_span.min(max), max.max(self.bounds.min_span))
    }

    /// Keeps the view's span within limits and the view within
    /// [`EDGE_MARGIN`] × span of the data.
    fn clamp(&self, v: ViewRange) -> ViewRange {
        let span = self.clamp_span(v.x1 - v.x0);
        let centre = (v.x0 + v.x1) / 2.0;
        let m = EDGE_MARGIN * span;
        let (min_x0, max_x0) = (self.bounds.lo - m, self.bounds.hi + m - span);
        let x0 = if min_x0 <= max_x0 {
            (centre - span / 2.0).clamp(min_x0, max_x0)
        } else {
            (self.bounds.lo + self.bounds.hi - span) / 2.0
        };
        ViewRange { x0, x1: x0 + span }
    }
}

/// What lies under the cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Pane index.
    pub pane: usize,
    /// The pane's value at the cursor's height.
    pub value_at_cursor: f64,
    /// Horizontal axis value at the cursor (bar slot or UTC ns).
    pub axis_x: f64,
    /// The cursor is over the pane's price axis, not its plot.
    pub on_price_axis: bool,
}

/// The pane (and values) under target-space `(x, y)`, if any.
pub fn hit_test(frame: &FrameScene, x: f32, y: f32) -> Option<Hit> {
    let (pane, g) = frame
        .panes
        .iter()
        .enumerate()
        .find(|(_, g)| y >= g.plot[1] && y < g.plot[1] + g.plot[3])?;
    let [px, _, pw, _] = g.plot;
    if x < px || x >= frame.size[0] as f32 {
        return None;
    }
    let span = frame.view.x1 - frame.view.x0;
    Some(Hit {
        pane,
        value_at_cursor: g.value_at(y),
        axis_x: frame.view.x0 + (x - px) as f64 / pw.max(1.0) as f64 * span,
        on_price_axis: x >= px + pw,
    })
}

/// The divider (index of the pane below it) within `tolerance_px` of `y`.
pub fn divider_at(frame: &FrameScene, y: f32, tolerance_px: f32) -> Option<usize> {
    (1..frame.panes.len()).find(|&i| (frame.panes[i].plot[1] - y).abs() <= tolerance_px)
}

/// The row of series `s` shown at horizontal axis value `axis_x`: the bar
/// slot on a bar axis, the nearest timestamp on a time axis. O(log rows).
pub fn row_at(mode: &XMode, s: &SeriesModel, axis_x: f64) -> Option<usize> {
    let tl = s.data.timeline();
    let ts = &tl.timestamps;
    match mode {
        XMode::Bars(master) => {
            if !(axis_x >= 0.0 && axis_x < master.timestamps.len() as f64) {
                return None;
            }
            let i = axis_x.floor() as usize;
            if Arc::ptr_eq(master, tl) {
                return Some(i);
            }
            // Another timeline: the last row at or before the slot's time.
            let t = master.timestamps[i];
            ts.partition_point(|&x| x <= t).checked_sub(1)
        }
        XMode::Time => {
            if ts.is_empty() || !axis_x.is_finite() {
                return None;
            }
            let k = ts.partition_point(|&x| (x as f64) < axis_x);
            let after = ts.get(k).map(|&x| x as f64 - axis_x);
            let before = k.checked_sub(1).map(|j| axis_x - ts[j] as f64);
            match (before, after) {
                (Some(b), Some(a)) if b <= a => Some(k - 1),
                (Some(_), None) => Some(k - 1),
                (_, Some(_)) => Some(k),
                (None, None) => None,
            }
        }
    }
}

/// Timestamp (UTC ns) at axis value `axis_x` and the bar spacing there
/// (for choosing the label's precision).
fn time_at(model: &ChartModel, axis_x: f64) -> Option<(i64, i64)> {
    match &model.x_axis {
        XMode::Bars(tl) => {
            let ts = &tl.timestamps;
            if !(axis_x >= 0.0 && axis_x < ts.len() as f64) {
                return None;
            }
            let i = axis_x.floor() as usize;
            let step = match (i.checked_sub(1).map(|j| ts[j]), ts.get(i + 1)) {
                (_, Some(&next)) => next - ts[i],
                (Some(prev), None) => ts[i] - prev,
                (None, None) => 0,
            };
            Some((ts[i], step))
        }
        XMode::Time => {
            if !axis_x.is_finite() {
                return None;
            }
            let b = Bounds::of(model);
            Some((axis_x as i64, (b.min_span / 5.0) as i64))
        }
    }
}

/// The time label at axis value `axis_x` (precision from the bar spacing).
pub fn time_label(model: &ChartModel, axis_x: f64) -> Option<String> {
    time_at(model, axis_x).map(|(t, step)| ticks::format_time(t, model.tz, step))
}

/// The axis step a pane's readouts are formatted for (about a fifth of its range).
pub fn pane_step(frame: &FrameScene, pane: usize) -> f64 {
    frame.panes.get(pane).map_or(1.0, |g| {
        (g.value_at(g.plot[1]) - g.value_at(g.plot[1] + g.plot[3])).abs() / 5.0
    })
}

/// The cursor readout: `("Time", date)` then each series' label and its value
/// at the cursor's row (OHLC for candles), pane by pane. Series without a
/// row there (before their first bar) are left out.
pub fn readout(model: &ChartModel, frame: &FrameScene, hit: &Hit) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(t) = time_label(model, hit.axis_x) {
        out.push(("Time".to_string(), t));
    }
    for (pi, p) in model.panes.iter().enumerate() {
        let step = pane_step(frame, pi);
        for s in &p.series {
            if let Some(i) = row_at(&model.x_axis, s, hit.axis_x) {
                out.push((s.label.clone(), legend_value(s, i, step)));
            }
        }
    }
    out
}

/// Adds the crosshair (lines across the panes, the value on the price axis,
/// the time on the time axis) to `scene` when `state.crosshair` is inside a pane.
pub fn crosshair_overlay(
    model: &ChartModel,
    state: &ViewState,
    scene: &mut FrameScene,
    pixel_ratio: f32,
) {
    let Some([cx, cy]) = state.crosshair else {
        return;
    };
    let Some(hit) = hit_test(scene, cx, cy) else {
        return;
    };
    let (Some(first), Some(last)) = (scene.panes.first(), scene.panes.last()) else {
        return;
    };
    let r = pixel_ratio.max(0.25);
    let hair = r.max(1.0).round();
    let pal = &model.palette;
    let line = [pal.text[0], pal.text[1], pal.text[2], 0.6];
    let (left, w) = (first.plot[0], first.plot[2]);
    let (top, bottom) = (first.plot[1], last.plot[1] + last.plot[3]);
    let font = 12.0 * r;
    let bh = font * 1.45;
    let pane = scene.panes[hit.pane];
    if !hit.on_price_axis {
        let x = cx.round();
        scene.over.push(RectInstance {
            min: [x, top],
            max: [x + hair, bottom],
            color: line,
        });
        // Below the plot only where there is a time axis to draw it on.
        let room_below = bottom + hair + bh <= scene.size[1] as f32;
        if let Some(label) = time_label(model, hit.axis_x).filter(|_| room_below) {
            let tw = text::measure(&label, font) + 12.0 * r;
            let x0 = (cx - tw / 2.0).clamp(left, (left + w - tw).max(left));
            scene.over.push(RectInstance {
                min: [x0, bottom + hair],
                max: [x0 + tw, bottom + hair + bh],
                color: pal.axis,
            });
            scene.texts.push(TextItem {
                text: label,
                x: x0 + 6.0 * r,
                y: bottom + hair + bh / 2.0 + font * 0.35,
                size_px: font,
                color: pal.text_strong,
            });
        }
    }
    let y = cy.round();
    scene.over.push(RectInstance {
        min: [left, y],
        max: [left + w, y + hair],
        color: line,
    });
    // A pane lower than the label box (tiny windows) pins it to the pane top.
    let y0 = (cy - bh / 2.0).clamp(
        pane.plot[1],
        (pane.plot[1] + pane.plot[3] - bh).max(pane.plot[1]),
    );
    // The value box goes on the price axis, if the image has one.
    let label = crate::scene::frame::readout(hit.value_at_cursor, pane_step(scene, hit.pane));
    if scene.size[0] as f32 - (left + w) < 16.0 * r || pane.plot[3] < bh {
        return;
    }
    scene.over.push(RectInstance {
        min: [left + w + hair, y0],
        max: [scene.size[0] as f32, y0 + bh],
        color: pal.axis,
    });
    scene.texts.push(TextItem {
        text: label,
        x: left + w + 8.0 * r,
        y: y0 + bh / 2.0 + font * 0.35,
        size_px: font,
        color: pal.text_strong,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ChartSession;
    use crate::scene::frame::build_frame_with;
    use std::path::Path;

    fn aapl() -> ChartModel {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/aapl.toml");
        let mut session = ChartSession::default();
        match session.load(&path) {
            Ok(m) => m,
            Err(e) => panic!("examples/aapl.toml should load (build the plugins first): {e}"),
        }
    }

    /// A state over 1000 bars showing slots [100, 200).
    fn bars_state() -> ViewState {
        let v = ViewRange {
            x0: 100.0,
            x1: 200.0,
        };
        ViewState {
            view: v,
            y_fixed: vec![None, None],
            pane_heights: vec![3.0, 1.0],
            crosshair: None,
            bounds: Bounds {
                lo: 0.0,
                hi: 1000.0,
                min_span: MIN_BARS,
                end_room: 0.015,
            },
            initial_view: v,
            initial_heights: vec![3.0, 1.0],
        }
    }

    #[test]
    fn a_reload_keeps_the_users_view_unless_the_file_changed_it() {
        let model = aapl();
        let mut s = ViewState::new(&model);
        s.pan(-300.0, 1000.0);
        s.zoom_at(500.0, 2.0, 1000.0);
        s.y_fixed[0] = Some((150.0, 160.0));
        s.pane_heights[0] *= 1.5;
        s.crosshair = Some([10.0, 20.0]);
        // Same chart again (a colour edit): everything the user did stays.
        let kept = s.carried_to(&model);
        assert_eq!(kept.view, s.view);
        assert_eq!(kept.y_fixed, s.y_fixed);
        assert_eq!(kept.pane_heights, s.pane_heights);
        assert_eq!(kept.crosshair, s.crosshair);
        // The file's own view changed: it wins, as when the chart opens.
        let mut other = model.clone();
        other.initial_view = ViewRange { x0: 10.0, x1: 60.0 };
        let moved = s.carried_to(&other);
        assert_eq!(moved.view, other.initial_view);
        // A pane added: heights and fixed ranges start from the file again.
        let mut more = model.clone();
        let extra = more.panes[0].clone();
        more.panes.push(extra);
        let repaned = s.carried_to(&more);
        assert_eq!(repaned.pane_heights.len(), more.panes.len());
        assert!(repaned.y_fixed.iter().all(Option::is_none));
        assert_eq!(repaned.view, s.view);
    }

    #[test]
    fn a_reload_with_less_data_keeps_the_view_inside_it() {
        let s = bars_state();
        let model = aapl();
        let mut short = s.clone();
        // The user looked far right, past what the new data covers.
        let b = Bounds::of(&model);
        short.view = ViewRange {
            x0: b.hi + 500.0,
            x1: b.hi + 600.0,
        };
        short.initial_view = model.initial_view;
        short.initial_heights = model.panes.iter().map(|p| p.height).collect();
        let next = short.carried_to(&model);
        assert!(next.view.x1 <= b.hi + EDGE_MARGIN * (next.view.x1 - next.view.x0) + 1e-9);
        assert!(
            (next.view.x1 - next.view.x0 - 100.0).abs() < 1e-9,
            "{:?}",
            next.view
        );
    }

    #[test]
    fn pan_moves_by_pixels_times_span_over_width() {
        let mut s = bars_state();
        // 100 bars over 400 px: 0.25 bar per pixel.
        s.pan(40.0, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 110.0,
                x1: 210.0
            }
        );
        s.pan(-80.0, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 90.0,
                x1: 190.0
            }
        );
    }

    #[test]
    fn zoom_keeps_the_axis_value_under_the_cursor() {
        let mut s = bars_state();
        // Cursor at 100 of 400 px: slot 125.
        s.zoom_at(100.0, 2.0, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 112.5,
                x1: 162.5
            }
        );
        s.zoom_at(100.0, 0.5, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 100.0,
                x1: 200.0
            }
        );
        s.zoom_at(300.0, 4.0, 400.0);
        let anchor = s.view.x0 + 0.75 * (s.view.x1 - s.view.x0);
        assert_eq!(anchor, 175.0);
        assert_eq!(s.view.x1 - s.view.x0, 25.0);
    }

    #[test]
    fn zoom_and_pan_are_clamped() {
        let mut s = bars_state();
        s.zoom_at(200.0, 1000.0, 400.0);
        assert_eq!(s.view.x1 - s.view.x0, MIN_BARS);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 147.5,
                x1: 152.5
            }
        );
        s.zoom_at(200.0, 1e-6, 400.0);
        assert_eq!(s.view.x1 - s.view.x0, 1500.0);
        // Anchored at slot 150, then pushed right to the left margin (375).
        assert_eq!(
            s.view,
            ViewRange {
                x0: -375.0,
                x1: 1125.0
            }
        );
        let mut s = bars_state();
        s.pan(-1e9, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: -25.0,
                x1: 75.0
            }
        );
        s.pan(1e9, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 925.0,
                x1: 1025.0
            }
        );
    }

    #[test]
    fn keys_pan_zoom_and_jump() {
        let mut s = bars_state();
        s.key(Key::Right, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 110.0,
                x1: 210.0
            }
        );
        s.key(Key::Left, 400.0);
        s.key(Key::Left, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 90.0,
                x1: 190.0
            }
        );
        s.key(Key::ZoomIn, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 100.0,
                x1: 180.0
            }
        );
        s.key(Key::ZoomOut, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 90.0,
                x1: 190.0
            }
        );
        s.key(Key::Home, 400.0);
        assert_eq!(s.view, ViewRange { x0: 0.0, x1: 100.0 });
        s.key(Key::End, 400.0);
        assert_eq!(
            s.view,
            ViewRange {
                x0: 901.5,
                x1: 1001.5
            }
        );
    }

    #[test]
    fn reset_returns_the_initial_view_heights_and_autoscale() {
        let model = aapl();
        let mut s = ViewState::new(&model);
        let initial = s.clone();
        s.pan(123.0, 800.0);
        s.zoom_at(50.0, 3.0, 800.0);
        s.y_fixed[0] = Some((1.0, 2.0));
        s.pane_heights = vec![1.0, 1.0];
        assert_ne!(s, initial);
        s.reset();
        assert_eq!(s, initial);
        assert_eq!(s.view, model.initial_view);
        assert_eq!(s.y_fixed, vec![None, None]);
        assert_eq!(s.pane_heights, vec![3.0, 1.0]);
    }

    #[test]
    fn hit_test_picks_the_pane_and_its_values() {
        let model = aapl();
        let state = ViewState::new(&model);
        let frame = build_frame_with(&model, &state, [1600, 900], 1.0);
        let [px, py, pw, ph] = frame.panes[1].plot;
        let (x, y) = (px + pw / 4.0, py + ph / 2.0);
        let hit = hit_test(&frame, x, y).expect("inside the volume pane");
        assert_eq!(hit.pane, 1);
        assert!(!hit.on_price_axis);
        assert_eq!(hit.value_at_cursor, frame.panes[1].value_at(y));
        let v = frame.view;
        assert_eq!(hit.axis_x, v.x0 + 0.25 * (v.x1 - v.x0));
        let top = frame.panes[0].plot;
        let hit = hit_test(&frame, top[0] + top[2] + 5.0, top[1] + 1.0).expect("price axis");
        assert_eq!(hit.pane, 0);
        assert!(hit.on_price_axis);
        assert_eq!(hit.value_at_cursor, frame.panes[0].value_at(top[1] + 1.0));
        // Below the last pane (the time axis) and above the first: nothing.
        assert_eq!(hit_test(&frame, x, py + ph + 1.0), None);
        assert_eq!(hit_test(&frame, x, top[1] - 1.0), None);
        assert_eq!(divider_at(&frame, py + 2.0, 3.0), Some(1));
        assert_eq!(divider_at(&frame, py + 20.0, 3.0), None);
    }

    #[test]
    fn zoom_price_fixes_the_range_and_keeps_the_cursor_value() {
        let model = aapl();
        let mut state = ViewState::new(&model);
        let frame = build_frame_with(&model, &state, [1600, 900], 1.0);
        let g = frame.panes[0];
        let y = g.plot[1] + g.plot[3] * 0.3;
        let before = g.value_at(y);
        state.zoom_price(&frame, 0, y, 2.0);
        let (lo, hi) = state.y_fixed[0].expect("fixed");
        let old_span = g.value_at(g.plot[1]) - g.value_at(g.plot[1] + g.plot[3]);
        // Pixel positions are f32: equal to about 1e-7 of the span.
        assert!(((hi - lo) - old_span / 2.0).abs() < 1e-6 * old_span);
        let frame2 = build_frame_with(&model, &state, [1600, 900], 1.0);
        assert!((frame2.panes[0].value_at(y) - before).abs() < 1e-6 * before);
        assert_eq!(frame2.panes[0].value_at(frame2.panes[0].plot[1]), hi);
        // The other pane still autoscales.
        assert_eq!(state.y_fixed[1], None);
    }

    #[test]
    fn readout_gives_that_days_ohlc() {
        let model = aapl();
        let state = ViewState::new(&model);
        let frame = build_frame_with(&model, &state, [1600, 900], 1.0);
        let XMode::Bars(tl) = &model.x_axis else {
            panic!("aapl.toml uses a bar axis")
        };
        // 2012-06-01 00:00 America/New_York = 04:00 UTC.
        let t = 1_338_523_200_000_000_000i64;
        let i = tl.timestamps.partition_point(|&x| x < t);
        assert_eq!(tl.timestamps[i], t);
        let hit = Hit {
            pane: 0,
            value_at_cursor: 0.0,
            axis_x: i as f64 + 0.5,
            on_price_axis: false,
        };
        let r = readout(&model, &frame, &hit);
        // From data/stocks.csv.gz: AAPL,2012-06-01,569.16,572.65,560.52,560.99,18606700
        assert_eq!(r[0], ("Time".into(), "2012-06-01".into()));
        assert_eq!(
            r[1],
            (
                "AAPL".into(),
                "O 569.16  H 572.65  L 560.52  C 560.99".into()
            )
        );
        assert_eq!(r[2].0, "SMA 20");
        assert_eq!(r[3].0, "EMA 50");
        assert_eq!(r[4].0, "Volume");
        assert_eq!(r[4].1, "18.6067M");
        assert_eq!(r.len(), 5);
        // Past the last bar there is no row.
        let hit = Hit {
            axis_x: tl.timestamps.len() as f64 + 0.5,
            ..hit
        };
        assert!(readout(&model, &frame, &hit).is_empty());
    }

    #[test]
    fn crosshair_puts_the_cursor_values_in_the_legend() {
        let model = aapl();
        let mut state = ViewState::new(&model);
        let plain = build_frame_with(&model, &state, [1600, 900], 1.0);
        let XMode::Bars(tl) = &model.x_axis else {
            panic!("aapl.toml uses a bar axis")
        };
        let i = tl
            .timestamps
            .partition_point(|&x| x < 1_338_523_200_000_000_000i64);
        let g = plain.panes[0];
        let v = plain.view;
        let x = g.plot[0] + ((i as f64 + 0.5 - v.x0) / (v.x1 - v.x0) * g.plot[2] as f64) as f32;
        state.crosshair = Some([x, g.plot[1] + 100.0]);
        let frame = build_frame_with(&model, &state, [1600, 900], 1.0);
        let texts: Vec<&str> = frame.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(texts.contains(&"AAPL  O 569.16  H 572.65  L 560.52  C 560.99"));
        assert!(texts.contains(&"2012-06-01"));
        // Two hairlines plus two label boxes.
        assert_eq!(frame.over.len(), plain.over.len() + 4);
    }

    #[test]
    fn divider_drag_moves_height_between_neighbours() {
        let model = aapl();
        let mut state = ViewState::new(&model);
        let frame = build_frame_with(&model, &state, [1600, 900], 1.0);
        let (a, b) = (frame.panes[0].plot[3] as f64, frame.panes[1].plot[3] as f64);
        state.drag_divider(&frame, 1, 50.0, 1.0);
        assert_eq!(state.pane_heights, vec![a + 50.0, b - 50.0]);
        state.drag_divider(&frame, 1, 1e6, 1.0);
        assert_eq!(state.pane_heights, vec![a + b - MIN_PANE_PX, MIN_PANE_PX]);
    }
}
