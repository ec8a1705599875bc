//! The timeframe of bars as chart files write it: `"5m"`, `"1h"`, `"1d"`,
//! `"1w"`, `"1M"` (a count and a unit). Aggregation into bars of a
//! timeframe is `data::timeframe`'s; this is only the value and its parsing,
//! so that the chart file's checks can locate a bad value.

use std::fmt;

/// The longest timeframe accepted, in seconds (200 Julian years).
const MAX_SECONDS: u128 = 200 * 36_525 * 864;

/// The unit of a [`Timeframe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// `s`.
    Second,
    /// `m` (lower case; upper-case `M` is months).
    Minute,
    /// `h`.
    Hour,
    /// `d`: a calendar day.
    Day,
    /// `w`: a calendar week starting Monday.
    Week,
    /// `M` or `mo`: a calendar month.
    Month,
}

impl Unit {
    /// Nominal length in seconds (months as 31 days), for limits and
    /// ordering only.
    pub fn nominal_seconds(self) -> u128 {
        match self {
            Unit::Second => 1,
            Unit::Minute => 60,
            Unit::Hour => 3_600,
            Unit::Day => 86_400,
            Unit::Week => 7 * 86_400,
            Unit::Month => 31 * 86_400,
        }
    }

    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Unit::Second => "s",
            Unit::Minute => "m",
            Unit::Hour => "h",
            Unit::Day => "d",
            Unit::Week => "w",
            Unit::Month => "M",
        }
    }
}

/// A bar period: a positive count of a [`Unit`], parsed from `"5m"`, `"1h"`,
/// `"1d"`, `"1w"`, `"1M"` or `"3mo"`; `Display` writes the canonical form
/// (`"3mo"` → `"3M"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeframe {
    /// How many units one bar spans (≥ 1).
    pub count: u32,
    /// The unit.
    pub unit: Unit,
}

/// Why a timeframe string was rejected. Messages quote the text and say what
/// is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeframeParseError {
    /// Nothing but blanks.
    #[error("empty timeframe; write a count and a unit, e.g. `5m`, `1h`, `1d`, `1w` or `1M`")]
    Empty,
    /// No leading count.
    #[error(
        "timeframe `{text}` has no count; write a positive whole number before the unit, e.g. `1{text}`"
    )]
    MissingCount {
        /// The text as given.
        text: String,
    },
    /// A count but no unit.
    #[error(
        "timeframe `{text}` has no unit; add one of s, m, h, d, w or M (months), e.g. `{text}m`"
    )]
    MissingUnit {
        /// The text as given.
        text: String,
    },
    /// The unit is not one of the known ones.
    #[error("unknown timeframe unit `{unit}` in `{text}`; use s, m, h, d, w or M (months)")]
    UnknownUnit {
        /// The unit part.
        unit: String,
        /// The text as given.
        text: String,
    },
    /// Count 0.
    #[error("timeframe `{text}` has count 0; the count must be at least 1")]
    Zero {
        /// The text as given.
        text: String,
    },
    /// Longer than 200 years (or a count that overflows).
    #[error("timeframe `{text}` is too long; the longest timeframe is 200 years")]
    TooLong {
        /// The text as given.
        text: String,
    },
}

impl std::str::FromStr for Timeframe {
    type Err = TimeframeParseError;

    fn from_str(s: &str) -> Result<Timeframe, TimeframeParseError> {
        let text = s.trim();
        if text.is_empty() {
            return Err(TimeframeParseError::Empty);
        }
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (num, unit) = text.split_at(digits);
        if num.is_empty() {
            return Err(TimeframeParseError::MissingCount { text: text.into() });
        }
        let unit = match unit.trim_start() {
            "" => return Err(TimeframeParseError::MissingUnit { text: text.into() }),
            "s" => Unit::Second,
            "m" => Unit::Minute,
            "h" => Unit::Hour,
            "d" => Unit::Day,
            "w" => Unit::Week,
            "M" | "mo" => Unit::Month,
            other => {
                return Err(TimeframeParseError::UnknownUnit {
                    unit: other.into(),
                    text: text.into(),
                });
            }
        };
        let count: u32 = num
            .parse()
            .map_err(|_| TimeframeParseError::TooLong { text: text.into() })?;
        if count == 0 {
            return Err(TimeframeParseError::Zero { text: text.into() });
        }
        if u128::from(count) * unit.nominal_seconds() > MAX_SECONDS {
            return Err(TimeframeParseError::TooLong { text: text.into() });
        }
        Ok(Timeframe { count, unit })
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

impl Timeframe {
    /// Nominal length in seconds (months as 31 days): orders timeframes
    /// (`1h` < `1d` < `1w` < `1M`), never aligns buckets.
    pub fn nominal_seconds(&self) -> u128 {
        u128::from(self.count) * self.unit.nominal_seconds()
    }
}
