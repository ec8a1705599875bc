//! Times written in a chart file (`view.start`, `view.end`).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The formats [`parse_time`] accepts, for help messages.
pub const TIME_FORMATS_HELP: &str = "write `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (in the chart's time zone) \
     or RFC 3339 with an offset, e.g. `2012-01-03T09:30:00-05:00`";

/// Parses a time to UTC nanoseconds since the Unix epoch.
///
/// Accepts `YYYY-MM-DD` (midnight in `tz`), `YYYY-MM-DD HH:MM[:SS[.fff]]`
/// (in `tz`; `T` may replace the space, as TOML writes local date-times) and
/// RFC 3339 with an offset (`tz` is then ignored). A local time that falls in
/// a daylight-saving gap is an error; one that occurs twice (clocks set back)
/// means the earlier instant.
pub fn parse_time(s: &str, tz: Tz) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return to_ns(t.timestamp_nanos_opt(), s);
    }
    let local = if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        date.and_hms_opt(0, 0, 0)
    } else {
        [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
    };
    let Some(local) = local else {
        return Err(format!("`{s}` is not a date or time"));
    };
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => to_ns(t.timestamp_nanos_opt(), s),
        LocalResult::None => Err(format!(
            "`{s}` does not exist in {tz}: the clocks skip it (daylight saving time)"
        )),
    }
}

fn to_ns(ns: Option<i64>, s: &str) -> Result<i64, String> {
    ns.ok_or_else(|| {
        format!("`{s}` is outside the years 1677..2262 that nanosecond times can hold")
    })
}
