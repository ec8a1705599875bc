//! Switching timeframes in the window: the ladder the `[` and `]` keys step
//! through, and carrying the user's view across a change of timeframe so
//! that the same time span stays on screen (a bar axis counts bars, and
//! there are more of them at a finer timeframe).

use crate::data::timeframe::Timeframe;
use crate::scene::model::{ChartModel, TimeframeInfo, XMode};
use crate::scene::types::{ViewRange, ViewState};

/// The timeframes the window steps through, besides the data as read and
/// the chart file's own timeframe.
pub const TIMEFRAME_LADDER: [&str; 8] = ["1m", "5m", "15m", "1h", "4h", "1d", "1w", "1M"];

/// The ladder for a chart, finest first: `None` (the data as read), then
/// each of [`TIMEFRAME_LADDER`] coarser than the data's smallest step, and
/// the file's own timeframe. Empty when no source holds bars or ticks.
pub fn timeframe_ladder(info: &TimeframeInfo) -> Vec<Option<Timeframe>> {
    if !info.switchable {
        return Vec::new();
    }
    let finest_s = info
        .finest_ns
        .map_or(0, |ns| ns.max(0) as u128 / 1_000_000_000);
    let mut tfs: Vec<Timeframe> = TIMEFRAME_LADDER
        .iter()
        .filter_map(|t| t.parse::<Timeframe>().ok())
        .filter(|tf| tf.nominal_seconds() > finest_s)
        .chain(info.file)
        .collect();
    tfs.sort_by_key(|tf| (tf.nominal_seconds(), tf.count));
    tfs.dedup();
    std::iter::once(None)
        .chain(tfs.into_iter().map(Some))
        .collect()
}

/// The next timeframe up (`coarser`) or down the ladder from the one shown,
/// or `None` at the end of it (or when nothing can be switched).
pub fn step_timeframe(info: &TimeframeInfo, coarser: bool) -> Option<Option<Timeframe>> {
    let ladder = timeframe_ladder(info);
    let rank = |tf: &Option<Timeframe>| tf.map_or(0, |t| t.nominal_seconds());
    let now = rank(&info.current);
    if coarser {
        ladder
            .into_iter()
            .find(|t| rank(t) > now && *t != info.current)
    } else {
        ladder
            .into_iter()
            .rev()
            .find(|t| rank(t) < now && *t != info.current)
    }
}

/// The time (UTC ns) at axis position `x`: on a bar axis, bar `i` spans
/// from its start to the next bar's, linearly (past the ends, by the
/// nearest bar's length).
pub fn axis_to_time(mode: &XMode, x: f64) -> f64 {
    let XMode::Bars(tl) = mode else {
        return x;
    };
    let ts = &tl.timestamps;
    if ts.is_empty() {
        return x;
    }
    let i = (x.floor().max(0.0) as usize).min(ts.len() - 1);
    ts[i] as f64 + (x - i as f64) * step_at(ts, i)
}

/// The axis position of time `t` (UTC ns): the inverse of [`axis_to_time`].
pub fn time_to_axis(mode: &XMode, t: f64) -> f64 {
    let XMode::Bars(tl) = mode else {
        return t;
    };
    let ts = &tl.timestamps;
    if ts.is_empty() {
        return t;
    }
    let i = ts.partition_point(|&s| (s as f64) <= t).saturating_sub(1);
    i as f64 + (t - ts[i] as f64) / step_at(ts, i)
}

/// Length of bar `i` in ns (the last bar: its predecessor's; 1 alone).
fn step_at(ts: &[i64], i: usize) -> f64 {
    let d = match (ts.get(i + 1), i.checked_sub(1).and_then(|p| ts.get(p))) {
        (Some(&next), _) => next - ts[i],
        (None, Some(&prev)) => ts[i] - prev,
        (None, None) => 1,
    };
    d.max(1) as f64
}

impl ViewState {
    /// The state to show `model`, a new generation of the chart `old` that
    /// this state showed: as [`ViewState::carried_to`], except that when
    /// the timeframe changed (the window's keys, or an edit of the file's
    /// `timeframe`) or the loaded range (`load = "view"`) the view keeps
    /// the same time span rather than the same bars.
    pub fn carried_across(&self, old: &ChartModel, model: &ChartModel) -> ViewState {
        let mut next = self.carried_to(model);
        // A new load range (`load = "view"`) moves bar indices like a new
        // timeframe does: keep the time span there too.
        if old.timeframes.current != model.timeframes.current
            || old.build.loaded_ranges != model.build.loaded_ranges
        {
            let t0 = axis_to_time(&old.x_axis, self.view.x0);
            let t1 = axis_to_time(&old.x_axis, self.view.x1);
            next.view = next.clamp(ViewRange {
                x0: time_to_axis(&model.x_axis, t0),
                x1: time_to_axis(&model.x_axis, t1),
            });
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Timeline;
    use std::sync::Arc;

    fn tf(s: &str) -> Option<Timeframe> {
        Some(s.parse().unwrap())
    }

    fn info(current: Option<Timeframe>, file: Option<Timeframe>, finest_s: i64) -> TimeframeInfo {
        TimeframeInfo {
            current,
            file,
            finest_ns: Some(finest_s * 1_000_000_000),
            switchable: true,
        }
    }

    #[test]
    fn the_ladder_starts_above_the_data_and_holds_the_files_timeframe() {
        // Ticks a second apart, file at 3m.
        let l = timeframe_ladder(&info(tf("3m"), tf("3m"), 1));
        let shown: Vec<String> = l
            .iter()
            .map(|t| t.map_or("raw".into(), |t| t.to_string()))
            .collect();
        assert_eq!(
            shown,
            ["raw", "1m", "3m", "5m", "15m", "1h", "4h", "1d", "1w", "1M"]
        );
        // Daily bars: intraday timeframes would show the same bars.
        let daily = timeframe_ladder(&info(None, None, 86_400));
        assert_eq!(daily, vec![None, tf("1w"), tf("1M")]);
        let none = TimeframeInfo::default();
        assert!(timeframe_ladder(&none).is_empty());
        assert_eq!(step_timeframe(&none, true), None);
    }

    #[test]
    fn steps_go_up_and_down_the_ladder_and_stop_at_its_ends() {
        let i = info(tf("3m"), tf("3m"), 1);
        assert_eq!(step_timeframe(&i, true), Some(tf("5m")));
        assert_eq!(step_timeframe(&i, false), Some(tf("1m")));
        let i = info(tf("1m"), tf("3m"), 1);
        assert_eq!(
            step_timeframe(&i, false),
            Some(None),
            "down to the data as read"
        );
        let raw = info(None, tf("3m"), 1);
        assert_eq!(step_timeframe(&raw, false), None);
        assert_eq!(step_timeframe(&raw, true), Some(tf("1m")));
        let top = info(tf("1M"), None, 1);
        assert_eq!(step_timeframe(&top, true), None);
        // A timeframe off the ladder (set in the file) steps to its neighbours.
        let odd = info(tf("2h"), None, 1);
        assert_eq!(step_timeframe(&odd, true), Some(tf("4h")));
        assert_eq!(step_timeframe(&odd, false), Some(tf("1h")));
    }

    #[test]
    fn axis_positions_map_to_times_and_back() {
        let ts: Vec<i64> = vec![0, 10, 20, 40];
        let mode = XMode::Bars(Arc::new(Timeline {
            source_id: "s".into(),
            timestamps: ts.into(),
        }));
        assert_eq!(axis_to_time(&mode, 1.5), 15.0);
        assert_eq!(axis_to_time(&mode, 2.5), 30.0);
        // Past the last bar: by its predecessor's length.
        assert_eq!(axis_to_time(&mode, 4.0), 60.0);
        for x in [0.0, 0.25, 1.5, 2.75, 3.5, 4.0] {
            assert_eq!(time_to_axis(&mode, axis_to_time(&mode, x)), x, "{x}");
        }
        assert_eq!(time_to_axis(&XMode::Time, 7.0), 7.0);
    }
}
