//! Timestamp text → `i64` UTC nanoseconds, in the formats the `time_format`
//! param names.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Detected from the first data row (see [`detect`]).
    #[default]
    Auto,
    /// `YYYY-MM-DD`: midnight in the source's timezone.
    Date,
    /// `YYYY-MM-DD HH:MM:SS[.fff]` (or with `T`), local time in the source's timezone.
    Datetime,
    /// RFC 3339 with an offset, e.g. `2024-01-02T14:30:00Z`; the timezone is not used.
    Rfc3339,
    /// Seconds since the Unix epoch (a decimal fraction is allowed).
    EpochS,
    /// Milliseconds since the Unix epoch (a decimal fraction is allowed).
    EpochMs,
    /// Nanoseconds since the Unix epoch.
    EpochNs,
}

impl TimeFormat {
    /// The spelling used in chart files.
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Auto => "auto",
            TimeFormat::Date => "date",
            TimeFormat::Datetime => "datetime",
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::EpochS => "epoch_s",
            TimeFormat::EpochMs => "epoch_ms",
            TimeFormat::EpochNs => "epoch_ns",
        }
    }

    /// What text in this format looks like, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            TimeFormat::Auto => "a date, datetime, RFC 3339 time or epoch number",
            TimeFormat::Date => "YYYY-MM-DD, e.g. 2024-01-02",
            TimeFormat::Datetime => "YYYY-MM-DD HH:MM:SS[.fff], e.g. 2024-01-02 14:30:00.250",
            TimeFormat::Rfc3339 => "RFC 3339 with an offset, e.g. 2024-01-02T14:30:00Z",
            TimeFormat::EpochS => "whole or decimal seconds since 1970-01-01, e.g. 1704205800",
            TimeFormat::EpochMs => "milliseconds since 1970-01-01, e.g. 1704205800000",
            TimeFormat::EpochNs => "nanoseconds since 1970-01-01, e.g. 1704205800000000000",
        }
    }
}

/// Why one timestamp did not convert (the caller adds row and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text is not in the expected format.
    Syntax,
    /// A local time that does not exist in the timezone (a daylight-saving gap).
    NonexistentLocal,
    /// Outside what `i64` nanoseconds can hold (years 1677..2262).
    OutOfRange,
}

/// Guesses the format of `text` (the first data row's time field).
///
/// Epoch numbers are told apart by magnitude, assuming times after 1973:
/// below 1e11 seconds, below 1e14 milliseconds, from 1e17 nanoseconds.
/// Microseconds (1e14..1e17) are refused rather than guessed.
pub fn detect(text: &str) -> Option<TimeFormat> {
    let t = text.trim();
    if !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && t.contains(char::is_numeric)
    {
        if t.len() == 10 && t.as_bytes()[4] == b'-' {
            return NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .map(|_| TimeFormat::Date);
        }
        let int_part = t.split('.').next().unwrap_or("");
        let magnitude = int_part.trim_start_matches('-').len();
        return match magnitude {
            1..=11 => Some(TimeFormat::EpochS),
            12..=14 => Some(TimeFormat::EpochMs),
            18..=19 if !t.contains('.') => Some(TimeFormat::EpochNs),
            _ => None,
        };
    }
    if DateTime::parse_from_rfc3339(t).is_ok() {
        return Some(TimeFormat::Rfc3339);
    }
    if parse_naive_datetime(t).is_some() {
        return Some(TimeFormat::Datetime);
    }
    None
}

/// Converts `text` in `format` (not `Auto`) to UTC nanoseconds; dates and
/// naive datetimes are local times in `tz`.
pub fn parse(text: &str, format: TimeFormat, tz: Tz) -> Result<i64, TimeError> {
    let t = text.trim();
    match format {
        TimeFormat::Auto => Err(TimeError::Syntax),
        TimeFormat::Date => {
            let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| TimeError::Syntax)?;
            local_to_utc_ns(date.and_time(chrono::NaiveTime::MIN), tz)
        }
        TimeFormat::Datetime => {
            local_to_utc_ns(parse_naive_datetime(t).ok_or(TimeError::Syntax)?, tz)
        }
        TimeFormat::Rfc3339 => {
            let dt = DateTime::parse_from_rfc3339(t).map_err(|_| TimeError::Syntax)?;
            dt.timestamp_nanos_opt().ok_or(TimeError::OutOfRange)
        }
        TimeFormat::EpochS => epoch_to_ns(t, 1_000_000_000),
        TimeFormat::EpochMs => epoch_to_ns(t, 1_000_000),
        TimeFormat::EpochNs => epoch_to_ns(t, 1),
    }
}

fn parse_naive_datetime(t: &str) -> Option<NaiveDateTime> {
    // `%.f` also accepts no fraction at all.
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
}

fn local_to_utc_ns(local: NaiveDateTime, tz: Tz) -> Result<i64, TimeError> {
    let utc = match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => dt.naive_utc(),
        // The hour repeated when clocks go back: take its first occurrence.
        LocalResult::Ambiguous(first, _) => first.naive_utc(),
        LocalResult::None => return Err(TimeError::NonexistentLocal),
    };
    utc.and_utc()
        .timestamp_nanos_opt()
        .ok_or(TimeError::OutOfRange)
}

/// `text` is a whole or decimal number of units of `ns_per_unit` nanoseconds.
/// Parsed as integers so no precision is lost to `f64`.
fn epoch_to_ns(text: &str, ns_per_unit: i64) -> Result<i64, TimeError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_text, frac_text) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_text.is_empty() || !all_digits(int_text) || !all_digits(frac_text) {
        return Err(TimeError::Syntax);
    }
    if ns_per_unit == 1 && digits.contains('.') {
        return Err(TimeError::Syntax);
    }
    let int: i64 = int_text.parse().map_err(|_| TimeError::OutOfRange)?;
    let mut ns = int.checked_mul(ns_per_unit).ok_or(TimeError::OutOfRange)?;
    // Fraction digits beyond nanosecond resolution are dropped.
    let mut scale = ns_per_unit;
    for b in frac_text.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        ns = ns
            .checked_add(i64::from(b - b'0') * scale)
            .ok_or(TimeError::OutOfRange)?;
    }
    Ok(if negative { -ns } else { ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1_000_000_000;
    /// 2024-01-02T14:30:00Z, computed by `date -u -d 2024-01-02T14:30:00Z +%s`.
    const T0_S: i64 = 1_704_205_800;

    #[test]
    fn every_format_parses_to_the_same_instant() {
        let utc = Tz::UTC;
        assert_eq!(
            parse("2024-01-02 14:30:00", TimeFormat::Datetime, utc),
            Ok(T0_S * NS)
        );
        assert_eq!(
            parse("2024-01-02T14:30:00.25", TimeFormat::Datetime, utc),
            Ok(T0_S * NS + NS / 4)
        );
        assert_eq!(
            parse("2024-01-02T15:30:00+01:00", TimeFormat::Rfc3339, utc),
            Ok(T0_S * NS)
        );
        assert_eq!(parse("1704205800", TimeFormat::EpochS, utc), Ok(T0_S * NS));
        assert_eq!(
            parse("1704205800.5", TimeFormat::EpochS, utc),
            Ok(T0_S * NS + NS / 2)
        );
        assert_eq!(
            parse("1704205800001", TimeFormat::EpochMs, utc),
            Ok(T0_S * NS + 1_000_000)
        );
        assert_eq!(
            parse("1704205800000000007", TimeFormat::EpochNs, utc),
            Ok(T0_S * NS + 7)
        );
        assert_eq!(parse("-1.5", TimeFormat::EpochS, utc), Ok(-NS - NS / 2));
        // 14:30 UTC is midnight 2024-01-02 minus 14.5 h.
        assert_eq!(
            parse("2024-01-02", TimeFormat::Date, utc),
            Ok((T0_S - 52_200) * NS)
        );
    }

    #[test]
    fn dates_are_midnight_in_the_timezone() {
        let ny: Tz = "America/New_York".parse().expect("known zone");
        // New York is UTC-5 in January, UTC-4 in July.
        assert_eq!(
            parse("2024-01-02", TimeFormat::Date, ny),
            Ok((T0_S - 52_200 + 5 * 3600) * NS)
        );
        let july = parse("2024-07-01", TimeFormat::Date, ny).expect("valid");
        assert_eq!(
            july,
            parse("2024-07-01T04:00:00Z", TimeFormat::Rfc3339, Tz::UTC).expect("valid")
        );
        // 02:30 on 2024-03-10 was skipped in New York.
        assert_eq!(
            parse("2024-03-10 02:30:00", TimeFormat::Datetime, ny),
            Err(TimeError::NonexistentLocal)
        );
        // 01:30 on 2024-11-03 happened twice: the first one (EDT, UTC-4) wins.
        let first = parse("2024-11-03T05:30:00Z", TimeFormat::Rfc3339, Tz::UTC).expect("valid");
        assert_eq!(
            parse("2024-11-03 01:30:00", TimeFormat::Datetime, ny),
            Ok(first)
        );
    }

    #[test]
    fn bad_text_is_a_syntax_error() {
        let utc = Tz::UTC;
        assert_eq!(
            parse("2024-13-01", TimeFormat::Date, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            parse("2024-01-02", TimeFormat::EpochS, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            parse("12.5", TimeFormat::EpochNs, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            parse("2024-01-02 14:30:00", TimeFormat::Rfc3339, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            parse("99999999999999999", TimeFormat::EpochS, utc),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            parse("2300-01-01", TimeFormat::Date, utc),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn detection() {
        assert_eq!(detect("2000-03-01"), Some(TimeFormat::Date));
        assert_eq!(detect("2000-03-01 09:30:00"), Some(TimeFormat::Datetime));
        assert_eq!(
            detect("2000-03-01T09:30:00.125"),
            Some(TimeFormat::Datetime)
        );
        assert_eq!(detect("2000-03-01T09:30:00Z"), Some(TimeFormat::Rfc3339));
        assert_eq!(detect("1704205800"), Some(TimeFormat::EpochS));
        assert_eq!(detect("1704205800.25"), Some(TimeFormat::EpochS));
        assert_eq!(detect("1704205800000"), Some(TimeFormat::EpochMs));
        assert_eq!(detect("1704205800000000000"), Some(TimeFormat::EpochNs));
        assert_eq!(
            detect("1704205800000000"),
            None,
            "microseconds are not guessed"
        );
        assert_eq!(detect("03/01/2000"), None);
        assert_eq!(detect(""), None);
    }
}
