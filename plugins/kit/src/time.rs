//! Times written as text in a plugin's params (feature `time`): the same
//! formats as the chart file's `view.start` / `view.end`.
//!
//! The runtime parses those with its own `config::time::parse_time`; a
//! plugin cannot link the runtime and the runtime does not link the kit
//! (`runtime/tests/architecture.rs`), so the runtime keeps that copy and
//! source plugins (`parquet`'s `from` / `to`) use this one. Keep the two
//! accepting the same text.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Parses `s` to UTC nanoseconds since the Unix epoch: `YYYY-MM-DD`
/// (midnight in `tz`), `YYYY-MM-DD HH:MM[:SS[.fff]]` (in `tz`, `T` may
/// replace the space) or RFC 3339 with an offset (`tz` is then ignored).
/// A local time skipped by a daylight-saving change is an error; one that
/// occurs twice (clocks set back) means the earlier instant.
///
/// The error is a sentence naming `s`; the caller adds the key and a help
/// line with the formats in its own words.
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

/// A UTC nanosecond time as RFC 3339 (`2024-01-01T00:00:00Z`), for messages.
pub fn format_utc(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_offsets() {
        let day = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
        assert_eq!(parse_time("2024-01-01", Tz::UTC), Ok(day));
        assert_eq!(
            parse_time("2024-01-01 01:00", Tz::UTC),
            Ok(day + 3_600_000_000_000)
        );
        assert_eq!(
            parse_time("2024-01-01T02:00:00+01:00", Tz::UTC),
            Ok(day + 3_600_000_000_000)
        );
        // New York is 5 hours behind UTC in January.
        assert_eq!(
            parse_time("2024-01-01", Tz::America__New_York),
            Ok(day + 5 * 3_600_000_000_000)
        );
        assert!(parse_time("yesterday", Tz::UTC).is_err());
        assert_eq!(format_utc(day), "2024-01-01T00:00:00Z");
    }
}
