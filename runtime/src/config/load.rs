//! `load = "view"` and `load_margin` on a source: the time range the host
//! asks a source for (ABI 1.3 range hints, `GcSourceV1::open_range`).
//!
//! The range is the chart's view (`view.start`..`view.end`, or the window's
//! view after a pan, [`LoadedChart::load_view`]) widened by the margin on
//! each side; an open side of the view stays open (the source reads to its
//! start or end). Both bounds are inclusive UTC nanoseconds.

use std::str::FromStr;

use super::LoadedChart;
use super::error::{ConfigError, ConfigErrorKind};
use super::source_map::{SourceMap, join_key};
use super::timeframe::Timeframe;
use super::types::{ChartConfig, Load};

/// Help for a bad `load_margin`.
pub const LOAD_MARGIN_HELP: &str = "write a duration such as \"30m\", \"12h\", \"7d\" or \"2w\", or a share of the view's width such as \"50%\"";

/// How far beyond the view a source is loaded, on each side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadMargin {
    /// A fixed duration in nanoseconds (months count 31 days).
    Duration(i64),
    /// A share of the view's width (`0.5` for `"50%"`).
    Share(f64),
}

impl FromStr for LoadMargin {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if let Some(number) = t.strip_suffix('%') {
            let share: f64 = number.trim().parse().map_err(|_| {
                format!("`{text}` is not a percentage; write a number before `%`, e.g. `50%`")
            })?;
            if !share.is_finite() || !(0.0..=10_000.0).contains(&share) {
                return Err(format!("`{text}` must be from 0% to 10000%"));
            }
            return Ok(LoadMargin::Share(share / 100.0));
        }
        if t == "0" {
            return Ok(LoadMargin::Duration(0));
        }
        let tf: Timeframe = t.parse().map_err(|e| format!("{e}"))?;
        let ns = u128::from(tf.count) * tf.unit.nominal_seconds() * 1_000_000_000;
        // A timeframe is at most 200 years, which fits in i64 nanoseconds.
        Ok(LoadMargin::Duration(i64::try_from(ns).unwrap_or(i64::MAX)))
    }
}

impl LoadMargin {
    /// The margin in nanoseconds for a view `width_ns` wide.
    pub fn ns(self, width_ns: i64) -> i64 {
        match self {
            LoadMargin::Duration(ns) => ns,
            // Saturating float-to-int cast: a huge share is "everything".
            LoadMargin::Share(share) => (share * width_ns as f64) as i64,
        }
    }
}

/// Checks every source's `load` and `load_margin` against the view.
pub(super) fn check_loads(
    config: &ChartConfig,
    map: &SourceMap,
    view: (Option<i64>, Option<i64>),
    errors: &mut Vec<ConfigError>,
) {
    for (id, src) in &config.sources {
        let key = join_key("sources", id);
        let margin = match src.load_margin.as_deref().map(str::parse::<LoadMargin>) {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(message)) => {
                errors.push(map.error_at(
                    &format!("{key}.load_margin"),
                    ConfigErrorKind::InvalidValue,
                    format!("invalid `load_margin`: {message}"),
                    Some(LOAD_MARGIN_HELP.to_string()),
                ));
                continue;
            }
        };
        match src.load {
            Load::All => {
                if margin.is_some() {
                    errors.push(map.error_at(
                        &format!("{key}.load_margin"),
                        ConfigErrorKind::InvalidValue,
                        "`load_margin` has no effect without `load = \"view\"`",
                        Some(
                            "add `load = \"view\"` to load only the view and this margin, or remove `load_margin`"
                                .to_string(),
                        ),
                    ));
                }
            }
            Load::View => {
                if view == (None, None) {
                    errors.push(map.error_at(
                        &format!("{key}.load"),
                        ConfigErrorKind::InvalidValue,
                        "`load = \"view\"` needs `view.start` or `view.end`: without them the view is all the data",
                        Some(
                            "set `view.start` (and `view.end`), or remove `load` to load every row"
                                .to_string(),
                        ),
                    ));
                } else if matches!(margin, Some(LoadMargin::Share(_)))
                    && (view.0.is_none() || view.1.is_none())
                {
                    errors.push(map.error_at(
                        &format!("{key}.load_margin"),
                        ConfigErrorKind::InvalidValue,
                        "a `load_margin` in % needs both `view.start` and `view.end` (the view's width)",
                        Some("give a duration instead, e.g. \"7d\", or set both view times".to_string()),
                    ));
                }
            }
        }
    }
}

/// The range (inclusive UTC ns) to ask source `id` for, or `None` to load
/// every row (`load = "all"`, or no view to follow).
pub fn load_range(loaded: &LoadedChart, id: &str) -> Option<(i64, i64)> {
    let src = loaded.config.sources.get(id)?;
    if src.load != Load::View {
        return None;
    }
    let (start, end) = match loaded.load_view {
        Some((start, end)) => (Some(start), Some(end)),
        None => (loaded.view_start_ns, loaded.view_end_ns),
    };
    if start.is_none() && end.is_none() {
        return None;
    }
    // Checked when the file loaded; a margin that no longer parses is none.
    let margin = src
        .load_margin
        .as_deref()
        .and_then(|m| m.parse::<LoadMargin>().ok());
    let width = match (start, end) {
        (Some(s), Some(e)) => e.saturating_sub(s),
        _ => 0,
    };
    let pad = margin.map_or(0, |m| m.ns(width)).max(0);
    let from = start.map_or(i64::MIN, |s| s.saturating_sub(pad));
    let to = end.map_or(i64::MAX, |e| e.saturating_add(pad));
    Some((from.min(to), to.max(from)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigErrorKind, parse_chart_str};
    use std::path::Path;

    fn chart(view: &str, source: &str) -> String {
        format!(
            "[view]\n{view}\n[sources.a]\nkind = \"parquet\"\n{source}\n[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"a.close\"\n"
        )
    }

    /// (kind, line, key path, message) of every error of `text`.
    fn errors(text: &str) -> Vec<(ConfigErrorKind, usize, String, String)> {
        match parse_chart_str(text, Path::new("chart.toml")) {
            Ok(c) => panic!("expected errors, got {:#?}", c.config.sources),
            Err(e) => {
                e.0.into_iter()
                    .map(|e| (e.kind, e.line, e.key_path, e.message))
                    .collect()
            }
        }
    }

    fn range_of(view: &str, source: &str) -> Option<(i64, i64)> {
        let loaded = parse_chart_str(&chart(view, source), Path::new("chart.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        load_range(&loaded, "a")
    }

    const DAY: i64 = 86_400_000_000_000;
    /// 2024-01-01T00:00:00Z.
    const JAN_1: i64 = 1_704_067_200_000_000_000;

    #[test]
    fn the_view_widened_by_the_margin_is_the_range() {
        let view = "start = \"2024-01-10\"\nend = \"2024-01-20\"";
        assert_eq!(range_of(view, ""), None, "load = all by default");
        assert_eq!(
            range_of(view, "load = \"view\""),
            Some((JAN_1 + 9 * DAY, JAN_1 + 19 * DAY))
        );
        assert_eq!(
            range_of(view, "load = \"view\"\nload_margin = \"2d\""),
            Some((JAN_1 + 7 * DAY, JAN_1 + 21 * DAY))
        );
        assert_eq!(
            range_of(view, "load = \"view\"\nload_margin = \"50%\""),
            Some((JAN_1 + 4 * DAY, JAN_1 + 24 * DAY))
        );
        // An open side stays open.
        assert_eq!(
            range_of(
                "start = \"2024-01-10\"",
                "load = \"view\"\nload_margin = \"1d\""
            ),
            Some((JAN_1 + 8 * DAY, i64::MAX))
        );
        // The window's view after a pan replaces the file's.
        let mut loaded = parse_chart_str(&chart(view, "load = \"view\""), Path::new("c.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        loaded.load_view = Some((JAN_1, JAN_1 + DAY));
        assert_eq!(load_range(&loaded, "a"), Some((JAN_1, JAN_1 + DAY)));
    }

    #[test]
    fn bad_load_keys_are_located_errors() {
        let view = "start = \"2024-01-10\"\nend = \"2024-01-20\"";
        let e = errors(&chart(view, "load = \"visible\""));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            (e[0].0, e[0].1, e[0].2.as_str()),
            (ConfigErrorKind::InvalidValue, 6, "sources.a.load")
        );
        assert!(e[0].3.contains("visible"), "{}", e[0].3);
        assert_eq!(
            errors(&chart(view, "load = \"view\"\nload_margin = \"3y\"")),
            [(
                ConfigErrorKind::InvalidValue,
                7,
                "sources.a.load_margin".to_string(),
                "invalid `load_margin`: unknown timeframe unit `y` in `3y`; use s, m, h, d, w or M (months)".to_string()
            )]
        );
        assert_eq!(
            errors(&chart(view, "load_margin = \"1d\"")),
            [(
                ConfigErrorKind::InvalidValue,
                6,
                "sources.a.load_margin".to_string(),
                "`load_margin` has no effect without `load = \"view\"`".to_string()
            )]
        );
        assert_eq!(
            errors(&chart("", "load = \"view\"")),
            [(
                ConfigErrorKind::InvalidValue,
                5,
                "sources.a.load".to_string(),
                "`load = \"view\"` needs `view.start` or `view.end`: without them the view is all the data".to_string()
            )]
        );
        assert_eq!(
            errors(&chart(
                "end = \"2024-01-20\"",
                "load = \"view\"\nload_margin = \"10%\""
            )),
            [(
                ConfigErrorKind::InvalidValue,
                6,
                "sources.a.load_margin".to_string(),
                "a `load_margin` in % needs both `view.start` and `view.end` (the view's width)"
                    .to_string()
            )]
        );
    }

    #[test]
    fn margins_parse_as_durations_or_shares() {
        const H: i64 = 3_600_000_000_000;
        assert_eq!("12h".parse(), Ok(LoadMargin::Duration(12 * H)));
        assert_eq!("2w".parse(), Ok(LoadMargin::Duration(14 * 24 * H)));
        assert_eq!("1M".parse(), Ok(LoadMargin::Duration(31 * 24 * H)));
        assert_eq!("0".parse(), Ok(LoadMargin::Duration(0)));
        assert_eq!(" 50% ".parse(), Ok(LoadMargin::Share(0.5)));
        assert_eq!(LoadMargin::Share(0.5).ns(10), 5);
        assert_eq!(
            "x%".parse::<LoadMargin>(),
            Err("`x%` is not a percentage; write a number before `%`, e.g. `50%`".into())
        );
        assert_eq!(
            "-5%".parse::<LoadMargin>(),
            Err("`-5%` must be from 0% to 10000%".into())
        );
        assert_eq!(
            "5y".parse::<LoadMargin>(),
            Err("unknown timeframe unit `y` in `5y`; use s, m, h, d, w or M (months)".into())
        );
    }
}
