//! Loading more of a source when the user pans or zooms past what was
//! loaded (`load = "view"`): which range to ask the live session for.

use crate::scene::model::ChartModel;
use crate::scene::types::ViewState;

use super::timeframe::axis_to_time;

/// The view to load (inclusive UTC ns, for `LiveHandle::set_load_view`)
/// when `state`'s view reaches an edge of the loaded data on a side where a
/// source was loaded only up to a range limit (`BuildStats::loaded_ranges`),
/// or `None` when nothing is missing. The range asked for is the current
/// view extended by one view width towards each such edge, so one pan past
/// the edge loads a screenful more and the view stays where it is.
pub fn missing_load_range(model: &ChartModel, state: &ViewState) -> Option<(i64, i64)> {
    let ranges = &model.build.loaded_ranges;
    if ranges.is_empty() {
        return None;
    }
    // A source loaded only from / up to a limit may have more past it.
    let cut_left = ranges.values().any(|r| r.0 > i64::MIN);
    let cut_right = ranges.values().any(|r| r.1 < i64::MAX);
    let (view, bounds) = (state.view, state.bounds);
    // Within half a pixel-ish of the edge: the view is clamped to the data.
    let eps = (view.x1 - view.x0).abs() * 1e-3;
    let at_left = cut_left && view.x0 <= bounds.lo + eps;
    let at_right = cut_right && view.x1 >= bounds.hi - eps;
    if !at_left && !at_right {
        return None;
    }
    let t0 = axis_to_time(&model.x_axis, view.x0);
    let t1 = axis_to_time(&model.x_axis, view.x1);
    let width = (t1 - t0).max(1.0);
    let from = if at_left { t0 - width } else { t0 };
    let to = if at_right { t1 + width } else { t1 };
    // Saturating casts: a view near the ends of time stays representable.
    Some((from as i64, to as i64))
}
