//! The view of a built model: the range its chart file asks for, the data's
//! horizontal extent and the [`ViewState`] a window or an image starts from.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::LoadedChart;
use crate::data::Table;
use crate::scene::types::{Bounds, MIN_BARS, ViewRange, ViewState};

use super::{ChartModel, XMode};

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

/// The view the chart file asks for (`view.start`/`end`/`last_bars`), on
/// axis `x`; everything when it asks for nothing.
pub(super) fn initial_view(
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
