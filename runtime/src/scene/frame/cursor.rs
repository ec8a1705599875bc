//! The cursor over a built frame: what lies under a pixel ([`hit_test`]),
//! the row a series shows at an axis value ([`row_at`]), the time label
//! there, and the crosshair overlay drawn into the frame. Pure and cheap:
//! O(series × log rows) at most.

use std::sync::Arc;

use crate::gpu::types::RectInstance;
use crate::scene::model::{ChartModel, SeriesModel, XMode};
use crate::scene::text;
use crate::scene::ticks;
use crate::scene::types::{Bounds, ViewState};

use super::{FrameScene, TextItem, readout};

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

/// Adds the crosshair (lines across the panes, the value on the price axis,
/// the time on the time axis) to `scene` when `state.crosshair` is inside a pane.
pub(super) fn crosshair_overlay(
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
    if scene.size[0] as f32 - (left + w) < 16.0 * r || pane.plot[3] < bh {
        return;
    }
    scene.over.push(RectInstance {
        min: [left + w + hair, y0],
        max: [scene.size[0] as f32, y0 + bh],
        color: pal.axis,
    });
    scene.texts.push(TextItem {
        text: readout(hit.value_at_cursor, pane_step(scene, hit.pane)),
        x: left + w + 8.0 * r,
        y: y0 + bh / 2.0 + font * 0.35,
        size_px: font,
        color: pal.text_strong,
    });
}
