//! Timestamp text → `i64` UTC nanoseconds, in the formats the `time_format`
//! param names.
//!
//! The common shapes (ISO dates and datetimes, epoch numbers, the exchange
//! date patterns) are parsed by hand from bytes: chrono's format-string
//! parser cost more than everything else in a row together. RFC 3339 text
//! the fast path does not cover falls back to chrono. Local times are turned
//! into UTC through [`Zone`], which caches the offset of the last local hour.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

const NS_PER_S: i64 = 1_000_000_000;
const NS_PER_DAY: i64 = 86_400 * NS_PER_S;
const NS_PER_HOUR: i64 = 3_600 * NS_PER_S;

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// Detected from the first data row (see [`detect`]).
    #[default]
    Auto,
    /// `YYYY-MM-DD`: midnight in the source's timezone.
    Date,
    /// `YYYY-MM-DD HH:MM[:SS[.fff]]` (or with `T`), local time in the source's timezone.
    Datetime,
    /// RFC 3339 with an offset, e.g. `2024-01-02T14:30:00Z`; the timezone is not used.
    Rfc3339,
    /// Seconds since the Unix epoch (a decimal fraction is allowed).
    EpochS,
    /// Milliseconds since the Unix epoch (a decimal fraction is allowed).
    EpochMs,
    /// Microseconds since the Unix epoch (a decimal fraction is allowed).
    EpochUs,
    /// Nanoseconds since the Unix epoch.
    EpochNs,
    /// `YYYYMMDD` (QUIK / Finam exports), optionally with a time after a space.
    #[serde(rename = "yyyymmdd")]
    Yyyymmdd,
    /// `DD.MM.YYYY` (ru/de Excel), optionally with a time after a space.
    #[serde(rename = "dd.mm.yyyy")]
    DdMmYyyyDot,
    /// `YYYY.MM.DD` (MetaTrader), optionally with a time after a space.
    #[serde(rename = "yyyy.mm.dd")]
    YyyyMmDdDot,
    /// `MM/DD/YYYY` (US); never detected, only when set.
    #[serde(rename = "mm/dd/yyyy")]
    MmDdYyyySlash,
    /// `DD/MM/YYYY` (fr/uk); never detected, only when set.
    #[serde(rename = "dd/mm/yyyy")]
    DdMmYyyySlash,
}

/// Order of the date parts in a date pattern.
#[derive(Clone, Copy)]
enum Order {
    Ymd,
    Dmy,
    Mdy,
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
            TimeFormat::EpochUs => "epoch_us",
            TimeFormat::EpochNs => "epoch_ns",
            TimeFormat::Yyyymmdd => "yyyymmdd",
            TimeFormat::DdMmYyyyDot => "dd.mm.yyyy",
            TimeFormat::YyyyMmDdDot => "yyyy.mm.dd",
            TimeFormat::MmDdYyyySlash => "mm/dd/yyyy",
            TimeFormat::DdMmYyyySlash => "dd/mm/yyyy",
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
            TimeFormat::EpochUs => "microseconds since 1970-01-01, e.g. 1704205800000000",
            TimeFormat::EpochNs => "nanoseconds since 1970-01-01, e.g. 1704205800000000000",
            TimeFormat::Yyyymmdd => "YYYYMMDD[ HH:MM[:SS]], e.g. 20240102",
            TimeFormat::DdMmYyyyDot => "DD.MM.YYYY[ HH:MM[:SS]], e.g. 02.01.2024",
            TimeFormat::YyyyMmDdDot => "YYYY.MM.DD[ HH:MM[:SS]], e.g. 2024.01.02",
            TimeFormat::MmDdYyyySlash => "MM/DD/YYYY[ HH:MM[:SS]], e.g. 01/02/2024",
            TimeFormat::DdMmYyyySlash => "DD/MM/YYYY[ HH:MM[:SS]], e.g. 02/01/2024",
        }
    }

    /// Whether the format holds only a date (so a separate time-of-day
    /// column may complete it). The date patterns may carry a time too.
    pub fn is_date_like(self) -> bool {
        !matches!(
            self,
            TimeFormat::Auto
                | TimeFormat::Datetime
                | TimeFormat::Rfc3339
                | TimeFormat::EpochS
                | TimeFormat::EpochMs
                | TimeFormat::EpochUs
                | TimeFormat::EpochNs
        )
    }
}

/// Why one timestamp did not convert (the caller adds line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text is not in the expected format.
    Syntax,
    /// The time-of-day field is not `HHMMSS` or `HH:MM[:SS[.fff]]`.
    ClockSyntax,
    /// A local time that does not exist in the timezone (a daylight-saving gap).
    NonexistentLocal,
    /// Outside what `i64` nanoseconds can hold (years 1677..2262).
    OutOfRange,
}

/// Guesses the format of `text` (the first data row's time field).
///
/// Epoch numbers are told apart by magnitude, assuming times after 1973:
/// up to 11 digits seconds, 12–14 milliseconds, 15–17 microseconds (as
/// milliseconds they would overflow, as nanoseconds they would fall in
/// 1970), 18–19 nanoseconds. Eight digits that form a date of 1900–2099
/// are `YYYYMMDD` (as seconds they would be in 1970–1973). Slashed dates
/// are never guessed: 01/02/2024 is January or February depending on the
/// country.
pub fn detect(text: &[u8]) -> Option<TimeFormat> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return None;
    }
    if t.iter()
        .all(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-')
    {
        if t.len() == 10 && t[4] == b'-' && t[7] == b'-' {
            return parse_date(t, Order::Ymd, b'-').map(|_| TimeFormat::Date);
        }
        if t.len() >= 10 && t[2] == b'.' && t[5] == b'.' {
            return date_pattern(t, Order::Dmy, b'.').map(|_| TimeFormat::DdMmYyyyDot);
        }
        if t.len() >= 10 && t[4] == b'.' && t[7] == b'.' {
            return date_pattern(t, Order::Ymd, b'.').map(|_| TimeFormat::YyyyMmDdDot);
        }
        if t.len() == 8
            && t.iter().all(u8::is_ascii_digit)
            && matches!(&t[..2], b"19" | b"20")
            && compact_date(t).is_some()
        {
            return Some(TimeFormat::Yyyymmdd);
        }
        let int_part = t.split(|b| *b == b'.').next().unwrap_or(b"");
        let has_dot = t.contains(&b'.');
        let magnitude = int_part.strip_prefix(b"-").unwrap_or(int_part).len();
        return match magnitude {
            1..=11 => Some(TimeFormat::EpochS),
            12..=14 => Some(TimeFormat::EpochMs),
            15..=17 => Some(TimeFormat::EpochUs),
            18..=19 if !has_dot => Some(TimeFormat::EpochNs),
            _ => None,
        };
    }
    // A date pattern followed by a time of day.
    if t.len() > 11 && t[10] == b' ' {
        if t[2] == b'.' && t[5] == b'.' && date_pattern(t, Order::Dmy, b'.').is_some() {
            return Some(TimeFormat::DdMmYyyyDot);
        }
        if t[4] == b'.' && t[7] == b'.' && date_pattern(t, Order::Ymd, b'.').is_some() {
            return Some(TimeFormat::YyyyMmDdDot);
        }
    }
    if let Some((_, offset)) = iso_datetime(t) {
        return Some(if offset.is_some() {
            TimeFormat::Rfc3339
        } else {
            TimeFormat::Datetime
        });
    }
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|_| TimeFormat::Rfc3339)
}

/// A timezone with a one-hour cache of its UTC offset, one per parsing
/// thread.
#[derive(Clone)]
pub struct Zone {
    tz: Tz,
    utc: bool,
    /// (local hour index, offset in ns) of the last hour whose offset was
    /// the same and unambiguous over the whole hour.
    cached: Option<(i64, i64)>,
}

impl Zone {
    /// `tz`, with an empty cache.
    pub fn new(tz: Tz) -> Zone {
        Zone {
            tz,
            utc: tz == Tz::UTC,
            cached: None,
        }
    }

    /// Local nanoseconds since 1970-01-01 00:00 (local) → UTC nanoseconds.
    fn local_to_utc(&mut self, local: i64) -> Result<i64, TimeError> {
        if self.utc {
            return Ok(local);
        }
        let hour = local.div_euclid(NS_PER_HOUR);
        if let Some((h, offset)) = self.cached
            && h == hour
        {
            return local.checked_sub(offset).ok_or(TimeError::OutOfRange);
        }
        let start = self.offset_of(hour * NS_PER_HOUR);
        let end = self.offset_of(hour * NS_PER_HOUR + NS_PER_HOUR - 1);
        if let (Some(Ok(a)), Some(Ok(b))) = (start, end)
            && a == b
        {
            self.cached = Some((hour, a));
            return local.checked_sub(a).ok_or(TimeError::OutOfRange);
        }
        // An hour with a daylight-saving change: this value on its own.
        match self.offset_of(local) {
            Some(Ok(offset)) | Some(Err(offset)) => {
                local.checked_sub(offset).ok_or(TimeError::OutOfRange)
            }
            None => Err(TimeError::NonexistentLocal),
        }
    }

    /// Offset (local − UTC, ns) of local time `local`: `Ok` when single,
    /// `Err(first)` when ambiguous (the hour repeated when clocks go back:
    /// its first occurrence wins), `None` when skipped.
    fn offset_of(&self, local: i64) -> Option<Result<i64, i64>> {
        let secs = local.div_euclid(NS_PER_S);
        let nanos = local.rem_euclid(NS_PER_S) as u32;
        let naive: NaiveDateTime = DateTime::from_timestamp(secs, nanos)?.naive_utc();
        let offset = |dt: DateTime<Tz>| (naive - dt.naive_utc()).num_nanoseconds();
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(dt) => offset(dt).map(Ok),
            LocalResult::Ambiguous(first, _) => offset(first).map(Err),
            LocalResult::None => None,
        }
    }
}

/// Converts `text` in `format` (not `Auto`) to UTC nanoseconds; dates and
/// naive datetimes are local times in `zone`. `clock` is the separate
/// time-of-day field, if the source has one (`HHMMSS` or `HH:MM[:SS[.f]]`).
pub fn parse(
    text: &[u8],
    clock: Option<&[u8]>,
    format: TimeFormat,
    zone: &mut Zone,
) -> Result<i64, TimeError> {
    let t = text.trim_ascii();
    let local = match format {
        TimeFormat::Auto => return Err(TimeError::Syntax),
        TimeFormat::Rfc3339 => {
            return match iso_datetime(t) {
                Some((local, Some(offset))) => {
                    local.checked_sub(offset).ok_or(TimeError::OutOfRange)
                }
                Some((_, None)) => Err(TimeError::Syntax),
                None => rfc3339_slow(t),
            };
        }
        TimeFormat::EpochS => return epoch_to_ns(t, NS_PER_S),
        TimeFormat::EpochMs => return epoch_to_ns(t, 1_000_000),
        TimeFormat::EpochUs => return epoch_to_ns(t, 1_000),
        TimeFormat::EpochNs => return epoch_to_ns(t, 1),
        TimeFormat::Date => parse_date(t, Order::Ymd, b'-')
            .ok_or(TimeError::Syntax)?
            .checked_mul(NS_PER_DAY)
            .ok_or(TimeError::OutOfRange)?,
        TimeFormat::Datetime => match iso_datetime(t) {
            Some((local, None)) => local,
            _ => return Err(TimeError::Syntax),
        },
        TimeFormat::Yyyymmdd => pattern_with_time(t, 8, compact_date)?,
        TimeFormat::DdMmYyyyDot => pattern_with_time(t, 10, |d| parse_date(d, Order::Dmy, b'.'))?,
        TimeFormat::YyyyMmDdDot => pattern_with_time(t, 10, |d| parse_date(d, Order::Ymd, b'.'))?,
        TimeFormat::MmDdYyyySlash => pattern_with_time(t, 10, |d| parse_date(d, Order::Mdy, b'/'))?,
        TimeFormat::DdMmYyyySlash => pattern_with_time(t, 10, |d| parse_date(d, Order::Dmy, b'/'))?,
    };
    let local = match clock {
        Some(c) => local
            .checked_add(clock_ns(c.trim_ascii()).ok_or(TimeError::ClockSyntax)?)
            .ok_or(TimeError::OutOfRange)?,
        None => local,
    };
    zone.local_to_utc(local)
}

fn rfc3339_slow(t: &[u8]) -> Result<i64, TimeError> {
    let s = std::str::from_utf8(t).map_err(|_| TimeError::Syntax)?;
    let dt = DateTime::parse_from_rfc3339(s).map_err(|_| TimeError::Syntax)?;
    dt.timestamp_nanos_opt().ok_or(TimeError::OutOfRange)
}

/// Two ASCII digits.
fn d2(b: &[u8]) -> Option<i64> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(i64::from(a - b'0') * 10 + i64::from(c - b'0'))
        }
        _ => None,
    }
}

fn d4(b: &[u8]) -> Option<i64> {
    Some(d2(b.get(..2)?)? * 100 + d2(b.get(2..4)?)?)
}

/// Days from 1970-01-01 to a valid civil date (Howard Hinnant's algorithm),
/// or `None` for an invalid one (month 13, February 30).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A 10-byte date in `order` with separator `sep` → days since 1970-01-01.
fn parse_date(t: &[u8], order: Order, sep: u8) -> Option<i64> {
    if t.len() != 10 {
        return None;
    }
    let (y, m, d) = match order {
        Order::Ymd if t[4] == sep && t[7] == sep => (d4(&t[..4])?, d2(&t[5..7])?, d2(&t[8..])?),
        Order::Dmy if t[2] == sep && t[5] == sep => (d4(&t[6..])?, d2(&t[3..5])?, d2(&t[..2])?),
        Order::Mdy if t[2] == sep && t[5] == sep => (d4(&t[6..])?, d2(&t[..2])?, d2(&t[3..5])?),
        _ => return None,
    };
    days_from_civil(y, m, d)
}

/// `YYYYMMDD` → days since 1970-01-01.
fn compact_date(t: &[u8]) -> Option<i64> {
    if t.len() != 8 {
        return None;
    }
    days_from_civil(d4(&t[..4])?, d2(&t[4..6])?, d2(&t[6..])?)
}

/// A date pattern, optionally followed by a space and a time of day.
fn pattern_with_time(
    t: &[u8],
    date_len: usize,
    date: impl Fn(&[u8]) -> Option<i64>,
) -> Result<i64, TimeError> {
    let days = date(t.get(..date_len).ok_or(TimeError::Syntax)?).ok_or(TimeError::Syntax)?;
    let day = days.checked_mul(NS_PER_DAY).ok_or(TimeError::OutOfRange)?;
    match &t[date_len..] {
        [] => Ok(day),
        [b' ', rest @ ..] => {
            let clock = clock_ns(rest.trim_ascii()).ok_or(TimeError::Syntax)?;
            day.checked_add(clock).ok_or(TimeError::OutOfRange)
        }
        _ => Err(TimeError::Syntax),
    }
}

/// Checks that `t` is a date pattern with an optional time (for [`detect`]).
fn date_pattern(t: &[u8], order: Order, sep: u8) -> Option<i64> {
    pattern_with_time(t, 10, |d| parse_date(d, order, sep)).ok()
}

/// A time of day → ns since midnight: `HH:MM`, `HH:MM:SS[.fff]`, or the
/// compact `HHMMSS` / `HMMSS` of QUIK and Finam.
fn clock_ns(t: &[u8]) -> Option<i64> {
    let (h, m, s, frac) = if t.len() >= 5 && t[2] == b':' {
        let (h, m) = (d2(&t[..2])?, d2(&t[3..5])?);
        match &t[5..] {
            [] => (h, m, 0, &t[5..]),
            [b':', rest @ ..] => (h, m, d2(rest.get(..2)?)?, &rest[2..]),
            _ => return None,
        }
    } else if t.iter().all(u8::is_ascii_digit) && (t.len() == 5 || t.len() == 6) {
        let n = t.len();
        let h = if n == 6 {
            d2(&t[..2])?
        } else {
            i64::from(t[0] - b'0')
        };
        (h, d2(&t[n - 4..n - 2])?, d2(&t[n - 2..])?, &t[n..])
    } else {
        return None;
    };
    // Second 60 is a leap second some feeds write; it is not representable.
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let nanos = fraction_ns(frac)?;
    Some(((h * 60 + m) * 60 + s) * NS_PER_S + nanos)
}

/// `.fff…` (or nothing) → nanoseconds; digits past the ninth are dropped.
fn fraction_ns(frac: &[u8]) -> Option<i64> {
    match frac {
        [] => Some(0),
        [b'.' | b',', digits @ ..] if !digits.is_empty() => {
            let mut ns = 0i64;
            let mut scale = NS_PER_S;
            for &b in digits {
                if !b.is_ascii_digit() {
                    return None;
                }
                scale /= 10;
                ns += i64::from(b - b'0') * scale;
            }
            Some(ns)
        }
        _ => None,
    }
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.f]]` with an optional `Z` or `±HH[:]MM`:
/// (local ns, offset ns if written). `None` for anything else.
fn iso_datetime(t: &[u8]) -> Option<(i64, Option<i64>)> {
    if t.len() < 16 || !matches!(t[10], b'T' | b't' | b' ') {
        return None;
    }
    let day = parse_date(&t[..10], Order::Ymd, b'-')?.checked_mul(NS_PER_DAY)?;
    let rest = &t[11..];
    // The clock ends where the offset starts.
    let end = rest
        .iter()
        .position(|b| matches!(b, b'Z' | b'z' | b'+' | b'-'))
        .unwrap_or(rest.len());
    let clock = clock_ns(&rest[..end])?;
    if end < 5 || rest[2] != b':' {
        return None;
    }
    let offset = match &rest[end..] {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), hm @ ..] => {
            let (h, m) = match hm {
                [a, b, b':', c, d] | [a, b, c, d] => (d2(&[*a, *b])?, d2(&[*c, *d])?),
                [a, b] => (d2(&[*a, *b])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = (h * 60 + m) * 60 * NS_PER_S;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => return None,
    };
    Some((day.checked_add(clock)?, offset))
}

/// `text` is a whole or decimal number of units of `ns_per_unit` nanoseconds.
/// Parsed as integers so no precision is lost to `f64`.
fn epoch_to_ns(text: &[u8], ns_per_unit: i64) -> Result<i64, TimeError> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_text, frac_text) = match digits.iter().position(|b| *b == b'.') {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if int_text.is_empty() || !all_digits(int_text) || !all_digits(frac_text) {
        return Err(TimeError::Syntax);
    }
    if ns_per_unit == 1 && digits.contains(&b'.') {
        return Err(TimeError::Syntax);
    }
    let mut int: i64 = 0;
    for &b in int_text {
        int = int
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(TimeError::OutOfRange)?;
    }
    let mut ns = int.checked_mul(ns_per_unit).ok_or(TimeError::OutOfRange)?;
    // Fraction digits beyond nanosecond resolution are dropped.
    let mut scale = ns_per_unit;
    for &b in frac_text {
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

    fn p(text: &str, format: TimeFormat, tz: Tz) -> Result<i64, TimeError> {
        parse(text.as_bytes(), None, format, &mut Zone::new(tz))
    }

    #[test]
    fn every_format_parses_to_the_same_instant() {
        let utc = Tz::UTC;
        assert_eq!(
            p("2024-01-02 14:30:00", TimeFormat::Datetime, utc),
            Ok(T0_S * NS)
        );
        assert_eq!(
            p("2024-01-02T14:30:00.25", TimeFormat::Datetime, utc),
            Ok(T0_S * NS + NS / 4)
        );
        assert_eq!(
            p("2024-01-02 14:30", TimeFormat::Datetime, utc),
            Ok(T0_S * NS)
        );
        assert_eq!(
            p("2024-01-02T15:30:00+01:00", TimeFormat::Rfc3339, utc),
            Ok(T0_S * NS)
        );
        assert_eq!(
            p("2024-01-02T09:30:00.5-0500", TimeFormat::Rfc3339, utc),
            Ok(T0_S * NS + NS / 2)
        );
        assert_eq!(p("1704205800", TimeFormat::EpochS, utc), Ok(T0_S * NS));
        assert_eq!(
            p("1704205800.5", TimeFormat::EpochS, utc),
            Ok(T0_S * NS + NS / 2)
        );
        assert_eq!(
            p("1704205800001", TimeFormat::EpochMs, utc),
            Ok(T0_S * NS + 1_000_000)
        );
        assert_eq!(
            p("1704205800000002", TimeFormat::EpochUs, utc),
            Ok(T0_S * NS + 2_000)
        );
        assert_eq!(
            p("1704205800000000007", TimeFormat::EpochNs, utc),
            Ok(T0_S * NS + 7)
        );
        assert_eq!(p("-1.5", TimeFormat::EpochS, utc), Ok(-NS - NS / 2));
        // 14:30 UTC is midnight 2024-01-02 plus 14.5 h.
        let midnight = (T0_S - 52_200) * NS;
        assert_eq!(p("2024-01-02", TimeFormat::Date, utc), Ok(midnight));
        assert_eq!(p("20240102", TimeFormat::Yyyymmdd, utc), Ok(midnight));
        assert_eq!(p("02.01.2024", TimeFormat::DdMmYyyyDot, utc), Ok(midnight));
        assert_eq!(p("2024.01.02", TimeFormat::YyyyMmDdDot, utc), Ok(midnight));
        assert_eq!(
            p("01/02/2024", TimeFormat::MmDdYyyySlash, utc),
            Ok(midnight)
        );
        assert_eq!(
            p("02/01/2024", TimeFormat::DdMmYyyySlash, utc),
            Ok(midnight)
        );
        assert_eq!(
            p("02.01.2024 14:30", TimeFormat::DdMmYyyyDot, utc),
            Ok(T0_S * NS)
        );
        // Separate time-of-day fields, both spellings.
        for clock in ["143000", "14:30:00", "14:30"] {
            let got = parse(
                b"20240102",
                Some(clock.as_bytes()),
                TimeFormat::Yyyymmdd,
                &mut Zone::new(utc),
            );
            assert_eq!(got, Ok(T0_S * NS), "{clock}");
        }
        assert_eq!(
            parse(
                b"20240102",
                Some(b"93000"),
                TimeFormat::Yyyymmdd,
                &mut Zone::new(utc)
            ),
            Ok(midnight + (9 * 3600 + 1800) * NS)
        );
    }

    #[test]
    fn dates_are_midnight_in_the_timezone() {
        let ny: Tz = "America/New_York".parse().expect("known zone");
        // New York is UTC-5 in January, UTC-4 in July.
        assert_eq!(
            p("2024-01-02", TimeFormat::Date, ny),
            Ok((T0_S - 52_200 + 5 * 3600) * NS)
        );
        let july = p("2024-07-01", TimeFormat::Date, ny).expect("valid");
        assert_eq!(
            july,
            p("2024-07-01T04:00:00Z", TimeFormat::Rfc3339, Tz::UTC).expect("valid")
        );
        // 02:30 on 2024-03-10 was skipped in New York.
        assert_eq!(
            p("2024-03-10 02:30:00", TimeFormat::Datetime, ny),
            Err(TimeError::NonexistentLocal)
        );
        // 01:30 on 2024-11-03 happened twice: the first one (EDT, UTC-4) wins.
        let first = p("2024-11-03T05:30:00Z", TimeFormat::Rfc3339, Tz::UTC).expect("valid");
        assert_eq!(
            p("2024-11-03 01:30:00", TimeFormat::Datetime, ny),
            Ok(first)
        );
    }

    #[test]
    fn the_hour_cache_agrees_with_chrono_across_dst_changes() {
        // Every 10 minutes through both 2024 New York changes, one Zone
        // (cache warm) against chrono's own conversion.
        let ny: Tz = "America/New_York".parse().expect("known zone");
        let mut zone = Zone::new(ny);
        for day in ["2024-03-09", "2024-03-10", "2024-11-02", "2024-11-03"] {
            for minute in (0..24 * 60).step_by(10) {
                let text = format!("{day} {:02}:{:02}:00", minute / 60, minute % 60);
                let fast = parse(text.as_bytes(), None, TimeFormat::Datetime, &mut zone);
                let naive =
                    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").expect("valid");
                let want = match ny.from_local_datetime(&naive) {
                    LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) => {
                        Ok(dt.timestamp_nanos_opt().expect("in range"))
                    }
                    LocalResult::None => Err(TimeError::NonexistentLocal),
                };
                assert_eq!(fast, want, "{text}");
            }
        }
    }

    #[test]
    fn bad_text_is_a_syntax_error() {
        let utc = Tz::UTC;
        assert_eq!(
            p("2024-13-01", TimeFormat::Date, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            p("2023-02-29", TimeFormat::Date, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            p("2024-01-02", TimeFormat::EpochS, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(p("12.5", TimeFormat::EpochNs, utc), Err(TimeError::Syntax));
        assert_eq!(
            p("2024-01-02 14:30:00", TimeFormat::Rfc3339, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            p("2024-01-02 25:30:00", TimeFormat::Datetime, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            p("31.02.2024", TimeFormat::DdMmYyyyDot, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            p("13/01/2024", TimeFormat::MmDdYyyySlash, utc),
            Err(TimeError::Syntax)
        );
        assert_eq!(
            parse(
                b"20240102",
                Some(b"1430"),
                TimeFormat::Yyyymmdd,
                &mut Zone::new(utc)
            ),
            Err(TimeError::ClockSyntax)
        );
        assert_eq!(
            p("99999999999999999", TimeFormat::EpochS, utc),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            p("2300-01-01", TimeFormat::Date, utc),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn detection() {
        let d = |s: &str| detect(s.as_bytes());
        assert_eq!(d("2000-03-01"), Some(TimeFormat::Date));
        assert_eq!(d("2000-03-01 09:30:00"), Some(TimeFormat::Datetime));
        assert_eq!(d("2000-03-01T09:30:00.125"), Some(TimeFormat::Datetime));
        assert_eq!(d("2000-03-01T09:30:00Z"), Some(TimeFormat::Rfc3339));
        assert_eq!(d("1704205800"), Some(TimeFormat::EpochS));
        assert_eq!(d("1704205800.25"), Some(TimeFormat::EpochS));
        assert_eq!(d("1704205800000"), Some(TimeFormat::EpochMs));
        assert_eq!(d("1704205800000000"), Some(TimeFormat::EpochUs));
        assert_eq!(d("1704205800000000000"), Some(TimeFormat::EpochNs));
        assert_eq!(d("20000301"), Some(TimeFormat::Yyyymmdd));
        // Not a date (month 13): eight digits of seconds.
        assert_eq!(d("20001301"), Some(TimeFormat::EpochS));
        assert_eq!(d("01.03.2000"), Some(TimeFormat::DdMmYyyyDot));
        assert_eq!(d("01.03.2000 10:00"), Some(TimeFormat::DdMmYyyyDot));
        assert_eq!(d("2000.03.01"), Some(TimeFormat::YyyyMmDdDot));
        assert_eq!(d("2000.03.01 10:00:00"), Some(TimeFormat::YyyyMmDdDot));
        assert_eq!(d("03/01/2000"), None, "slashed dates are never guessed");
        assert_eq!(d(""), None);
    }
}
