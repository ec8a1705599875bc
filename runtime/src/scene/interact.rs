//! Interaction logic of the window, with no window: what the user sees
//! ([`ViewState`]), how input changes it (pan, anchored zoom, keys, pane
//! resizing) and what is under the cursor ([`hit_test`], [`readout`]).
//!
//! Everything here is pure and cheap: a change of view is O(1), a readout
//! O(series × log rows). The cursor queries on a frame (`hit_test`,
//! `row_at`, ...) and the crosshair overlay live in
//! [`crate::scene::frame::cursor`] (the frame draws the crosshair); they are
//! re-exported here. [`timeframe`] holds the timeframe keys' ladder and
//! carries the view across a change of timeframe.

use crate::scene::frame::{FrameScene, legend_value};
use crate::scene::model::ChartModel;
use crate::scene::types::ViewRange;

pub use crate::scene::frame::cursor::{Hit, hit_test, pane_step, row_at, time_label};
pub use crate::scene::types::{Bounds, MIN_BARS, ViewState};
pub use timeframe::{
    TIMEFRAME_LADDER, axis_to_time, step_timeframe, time_to_axis, timeframe_ladder,
};

pub use load::missing_load_range;

mod load;
mod timeframe;

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

impl ViewState {
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

/// The divider (index of the pane below it) within `tolerance_px` of `y`.
pub fn divider_at(frame: &FrameScene, y: f32, tolerance_px: f32) -> Option<usize> {
    (1..frame.panes.len()).find(|&i| (frame.panes[i].plot[1] - y).abs() <= tolerance_px)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ChartSession;
    use crate::scene::frame::build_frame_with;
    use crate::scene::model::XMode;
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
