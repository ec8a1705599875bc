//! Axis ticks: where tick marks go and what their labels say.
//!
//! Pure logic with no GPU, no I/O and nothing else from the runtime, so every rule
//! here is unit-tested directly. Four kinds of axis are covered:
//!
//! - [`value_ticks`]: a linear value (price, volume) axis with "nice" steps
//!   (1, 2, 2.5, 5 × 10^k) and labels that agree on decimals and on the K/M/B/T
//!   abbreviation across the whole axis.
//! - [`log_value_ticks`]: a logarithmic value axis (1..9, 1-2-5 or powers of ten).
//! - [`time_ticks`]: a linear time axis; ticks follow the calendar of the display
//!   time zone (local midnights, Mondays, month starts), so they stay on local
//!   boundaries across DST changes.
//! - [`bar_time_ticks`]: a bar-index axis (one slot per bar, market gaps removed);
//!   the same calendar boundaries, each placed on the first bar at or after it.
//!
//! [`format_time`] and [`format_value`] write the cursor/legend readouts.
//!
//! Nothing here panics or loops without bound on any input: non-finite numbers,
//! empty or reversed ranges, unsorted timestamps and the extremes of `i64`
//! nanoseconds give an empty list or a single tick, and every list is capped at
//! [`MAX_TICKS`].

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone,
    Timelike,
};
use chrono_tz::Tz;

/// The most ticks any function of this module returns; larger targets are clamped to it.
pub const MAX_TICKS: usize = 100;

/// One tick mark on an axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// Where the tick sits, in the axis's own units: the value itself for value axes
    /// (a log axis too: the caller applies the log transform), UTC nanoseconds as `f64`
    /// for [`time_ticks`], the bar index for [`bar_time_ticks`].
    pub pos: f64,
    /// Text to draw at the tick.
    pub label: String,
    /// The tick deserves emphasis: on time axes its label names a coarser unit than
    /// the step (the year on a month axis, the month on a day axis, the date on an
    /// intraday axis, the whole second on a sub-second axis); on a log axis it is a
    /// power of ten; on a linear value axis it is the zero line.
    pub major: bool,
}

// ---------------------------------------------------------------------------
// Value axes
// ---------------------------------------------------------------------------

/// Ticks for a linear value axis spanning `[min, max]`, about `target` of them.
///
/// The step is the smallest of 1, 2, 2.5, 5 × 10^k that is at least `span / target`,
/// so there are at most `target + 1` ticks (the next step up if that would pass
/// [`MAX_TICKS`]); ticks sit on multiples of the step inside the range. All labels of the axis share one format (see [`format_value`]): as many
/// decimals as the step needs (`0.25` → `"12.25"`, `1e-4` → `"0.0012"`), no thousands
/// separators, and values of 10 000 and above abbreviated with K/M/B/T when the step
/// allows at most two decimals in that unit (`[0, 2.1e8]` → `"0"`, `"50M"`, …,
/// `"200M"`). Magnitudes of 10^15 and above, and values below 1 whose step needs
/// more than eight decimals, use scientific notation (`"2.5e-9"`).
///
/// Arguments may come in either order. Non-finite input gives no ticks; a range too
/// narrow to tell its ends apart (`min == max`, or a span below 10^-12 of the
/// magnitude) gives one tick at its middle. `target` is clamped to `1..=MAX_TICKS`.
pub fn value_ticks(min: f64, max: f64, target: usize) -> Vec<Tick> {
    if !(min.is_finite() && max.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
    let max_abs = lo.abs().max(hi.abs());
    let target = target.clamp(1, MAX_TICKS);
    // Halving first keeps spans near f64::MAX finite.
    let half_span = hi / 2.0 - lo / 2.0;
    let mut raw_step = half_span / target as f64 * 2.0;
    if !raw_step.is_finite() {
        raw_step = half_span / target as f64;
    }
    // A span within rounding noise of the magnitude would print the same label twice.
    if half_span * 2.0 <= max_abs * 1e-12 || !(raw_step > 0.0 && raw_step.is_finite()) {
        return vec![single_value_tick(lo / 2.0 + hi / 2.0)];
    }
    let mut step = NiceStep::at_least(raw_step);
    // `target + 1` ticks can exceed the cap by one: take the next step rather than
    // cutting the top of the axis off.
    let (first, count) = loop {
        let step_value = step.value();
        // The slack absorbs rounding in the division, so an end that sits on a multiple
        // of the step (100.0 / 5.0) keeps its tick.
        let first = (lo / step_value - 1e-9).ceil();
        let last = (hi / step_value + 1e-9).floor();
        if !(first.is_finite() && last.is_finite()) || last < first {
            return Vec::new();
        }
        if last - first < MAX_TICKS as f64 {
            break (first, (last - first) as usize + 1);
        }
        step = step.next();
    };
    let format = NumberFormat::for_step(max_abs, step.value());
    (0..count)
        .map(|i| {
            // `+ 0.0` turns a negative zero into zero.
            let v = step.multiple(first + i as f64) + 0.0;
            Tick {
                pos: v,
                label: format.format(v),
                major: v == 0.0,
            }
        })
        .collect()
}

/// Ticks for a logarithmic value axis spanning `[min, max]` (both > 0).
///
/// Candidate sets, densest first: every 1..9 × 10^k, then 1, 2, 5 × 10^k, then powers
/// of ten, then every 2nd, 5th, 10th, … power of ten. The set whose count is closest
/// to `target` (by ratio) wins; a tie goes to the denser set. When the range is so
/// narrow (well under a decade) that even 1..9 × 10^k gives fewer than
/// `max(2, target / 2)` ticks, it falls back to [`value_ticks`]: over such a range a
/// log scale is nearly linear anyway.
///
/// Labels are per tick and compact (`"10"`, `"200"`, `"5000"`, `"20K"`, `"0.05"`);
/// powers of ten are major. `pos` is the value itself. Non-finite input or a
/// non-positive end gives no ticks; `min == max` gives one.
pub fn log_value_ticks(min: f64, max: f64, target: usize) -> Vec<Tick> {
    if !(min.is_finite() && max.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
    if lo <= 0.0 {
        return Vec::new();
    }
    if hi - lo <= hi * 1e-12 {
        return vec![single_value_tick(lo)];
    }
    let target = target.clamp(1, MAX_TICKS);
    // One decade of slack on each side: log10 of an exact power of ten may round down.
    let lo_exp = lo.log10().floor() as i32 - 1;
    let hi_exp = hi.log10().floor() as i32 + 1;
    let cap = 4 * target + 16;

    const SETS: [(&[f64], i32); 9] = [
        (&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1),
        (&[1.0, 2.0, 5.0], 1),
        (&[1.0], 1),
        (&[1.0], 2),
        (&[1.0], 5),
        (&[1.0], 10),
        (&[1.0], 20),
        (&[1.0], 50),
        (&[1.0], 100),
    ];
    if let Some(all_digits) = log_candidates(lo, hi, lo_exp, hi_exp, SETS[0].0, 1, cap)
        && all_digits.len() < (target / 2).max(2)
    {
        return value_ticks(lo, hi, target);
    }
    let mut best: Option<(f64, Vec<(f64, bool)>)> = None;
    for (mantissas, stride) in SETS {
        let Some(set) = log_candidates(lo, hi, lo_exp, hi_exp, mantissas, stride, cap) else {
            continue;
        };
        if !(2..=MAX_TICKS).contains(&set.len()) {
            continue;
        }
        let score = (set.len() as f64 / target as f64).ln().abs();
        if best
            .as_ref()
            .is_none_or(|(best_score, _)| score < *best_score)
        {
            best = Some((score, set));
        }
    }
    best.map(|(_, set)| {
        set.into_iter()
            .map(|(v, major)| Tick {
                pos: v,
                label: format_compact(v),
                major,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Readout of a value, with the decimals (and K/M/B/T abbreviation) an axis of step
/// `step` would use: `format_value(12.25, 0.25)` is `"12.25"`,
/// `format_value(1_250_000.0, 10_000.0)` is `"1.25M"`, `format_value(45_000.0, 1000.0)`
/// is `"45K"`, `format_value(3.2e9, 1e8)` is `"3.2B"`.
///
/// The abbreviation is used from 10 000 (K), 10^6 (M), 10^9 (B), 10^12 (T) on, and
/// only while the step needs at most two decimals in that unit; otherwise the next
/// smaller unit (or none) is used. A step that is not a positive finite number gives
/// six significant digits with trailing zeros removed. Non-finite values print as
/// `"NaN"`, `"inf"`, `"-inf"`.
pub fn format_value(v: f64, step: f64) -> String {
    if step.is_finite() && step > 0.0 {
        NumberFormat::for_step(v.abs(), step).format(v)
    } else {
        format_compact(v)
    }
}

/// The one tick of a range whose ends cannot be told apart.
fn single_value_tick(v: f64) -> Tick {
    let v = v + 0.0;
    Tick {
        pos: v,
        label: format_compact(v),
        major: v == 0.0,
    }
}

/// Every `mantissa × 10^exp` inside `[lo, hi]` for exponents that are multiples of
/// `stride`, ascending, each flagged when it is a power of ten. `None` past `cap`.
fn log_candidates(
    lo: f64,
    hi: f64,
    lo_exp: i32,
    hi_exp: i32,
    mantissas: &[f64],
    stride: i32,
    cap: usize,
) -> Option<Vec<(f64, bool)>> {
    let mut out = Vec::new();
    for exp in lo_exp..=hi_exp {
        if exp.rem_euclid(stride) != 0 {
            continue;
        }
        for &m in mantissas {
            let v = scale_pow10(m, exp);
            if v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12) {
                out.push((v, m == 1.0));
                if out.len() > cap {
                    return None;
                }
            }
        }
    }
    Some(out)
}

/// A step of the form `mantissa × 10^exp` with mantissa 1, 2, 2.5 or 5.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NiceStep {
    mantissa: f64,
    exp: i32,
}

impl NiceStep {
    const MANTISSAS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];

    /// The smallest nice step that is at least `raw` (which must be positive and finite).
    fn at_least(raw: f64) -> Self {
        // Start a decade low: log10 may round either way near a power of ten.
        let start = (raw.log10().floor() as i32).saturating_sub(1);
        for exp in start..=start.saturating_add(2) {
            for mantissa in Self::MANTISSAS {
                let step = Self { mantissa, exp };
                if step.value() >= raw * (1.0 - 1e-9) {
                    return step;
                }
            }
        }
        Self {
            mantissa: 1.0,
            exp: start.saturating_add(3),
        }
    }

    /// The next larger nice step.
    fn next(self) -> Self {
        match Self::MANTISSAS.iter().position(|&m| m > self.mantissa) {
            Some(i) => Self {
                mantissa: Self::MANTISSAS[i],
                exp: self.exp,
            },
            None => Self {
                mantissa: 1.0,
                exp: self.exp.saturating_add(1),
            },
        }
    }

    fn value(self) -> f64 {
        scale_pow10(self.mantissa, self.exp)
    }

    /// `n × step`, rounded once: dividing by an exact power of ten gives `3 × 0.1`
    /// as `0.3`, not `0.30000000000000004`.
    fn multiple(self, n: f64) -> f64 {
        scale_pow10(n * self.mantissa, self.exp)
    }
}

/// `x × 10^exp`, exact-rounded while 10^|exp| is exactly representable (|exp| ≤ 22).
fn scale_pow10(x: f64, exp: i32) -> f64 {
    const EXACT: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let magnitude = exp.unsigned_abs() as usize;
    let power = EXACT
        .get(magnitude)
        .copied()
        .unwrap_or_else(|| 10f64.powi(exp.saturating_abs()));
    if exp >= 0 { x * power } else { x / power }
}

/// Abbreviations: (divisor, smallest magnitude that uses it, suffix), largest first.
/// K starts at 10 000 so that four-digit prices keep all their digits.
const ABBREVIATIONS: [(f64, f64, &str); 4] = [
    (1e12, 1e12, "T"),
    (1e9, 1e9, "B"),
    (1e6, 1e6, "M"),
    (1e3, 1e4, "K"),
];
/// From this magnitude on, labels switch to scientific notation.
const SCIENTIFIC_FROM: f64 = 1e15;
/// Steps needing more decimals than this switch labels below 1 to scientific notation.
const MAX_FIXED_DECIMALS: usize = 8;

/// How every label of one value axis is written, so that they agree with each other.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NumberFormat {
    divisor: f64,
    suffix: &'static str,
    decimals: usize,
    scientific: bool,
}

impl NumberFormat {
    /// The format for values up to `max_abs` in magnitude, `step` apart.
    fn for_step(max_abs: f64, step: f64) -> Self {
        if max_abs >= SCIENTIFIC_FROM {
            return Self::scientific(max_abs, step);
        }
        for (divisor, from, suffix) in ABBREVIATIONS {
            if max_abs >= from && step >= divisor / 100.0 {
                return Self {
                    divisor,
                    suffix,
                    decimals: decimals_for(step / divisor),
                    scientific: false,
                };
            }
        }
        let decimals = decimals_for(step);
        // Only small values drown in leading zeros; 1.0000000002 reads fine as it is.
        if decimals > MAX_FIXED_DECIMALS && max_abs < 1.0 {
            return Self::scientific(max_abs, step);
        }
        Self {
            divisor: 1.0,
            suffix: "",
            decimals,
            scientific: false,
        }
    }

    /// Scientific notation with enough mantissa digits to tell neighbours apart.
    fn scientific(max_abs: f64, step: f64) -> Self {
        let exp = if max_abs > 0.0 {
            max_abs.log10().floor() as i32
        } else {
            0
        };
        Self {
            divisor: 1.0,
            suffix: "",
            decimals: decimals_for(scale_pow10(step, exp.saturating_neg())).min(15),
            scientific: true,
        }
    }

    fn format(&self, v: f64) -> String {
        if !v.is_finite() {
            return v.to_string();
        }
        let v = v + 0.0;
        if self.scientific {
            return if v == 0.0 {
                "0".to_owned()
            } else {
                format!("{:.*e}", self.decimals, v)
            };
        }
        let mut text = format!("{:.*}", self.decimals, v / self.divisor);
        let is_zero = text.bytes().all(|b| matches!(b, b'0' | b'.' | b'-'));
        if is_zero {
            // "-0.00" from a tiny negative, and "0M" on an abbreviated axis, both read as noise.
            text.retain(|c| c != '-');
            if !self.suffix.is_empty() {
                return "0".to_owned();
            }
        }
        text.push_str(self.suffix);
        text
    }
}

/// Decimals needed to write multiples of `step` exactly: 0.25 → 2, 5 → 0, 1e-4 → 4.
/// Steps that no decimal count writes exactly (1/3) get three digits past the
/// step's leading digit.
fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    let most = (3.0 - step.log10().floor()).clamp(0.0, 17.0) as usize;
    for decimals in 0..most {
        let scaled = scale_pow10(step, decimals as i32);
        if scaled.round() >= 1.0 && (scaled - scaled.round()).abs() <= 1e-9 * scaled {
            return decimals;
        }
    }
    most
}

/// A value on its own (no axis step to go by): K/M/B/T by magnitude, six significant
/// digits, trailing zeros dropped; scientific (also six digits) outside `[1e-8, 1e15)`.
fn format_compact(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let magnitude = v.abs();
    if !(1e-8..SCIENTIFIC_FROM).contains(&magnitude) {
        // Six significant digits like the fixed form; `{:e}` alone would print the
        // rounding noise of a computed 1e-300 as 9.999999999999994e-301.
        let text = format!("{v:.5e}");
        return match text.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_fraction(mantissa)),
            None => text,
        };
    }
    let (divisor, suffix) = ABBREVIATIONS
        .iter()
        .find(|(_, from, _)| magnitude >= *from)
        .map_or((1.0, ""), |&(divisor, _, suffix)| (divisor, suffix));
    let scaled = v / divisor;
    let decimals = (5 - scaled.abs().log10().floor() as i32).clamp(0, 17) as usize;
    format!("{}{suffix}", trim_fraction(&format!("{scaled:.decimals$}")))
}

/// `"1.2500"` → `"1.25"`, `"3.000"` → `"3"`; integers are left alone.
fn trim_fraction(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

// ---------------------------------------------------------------------------
// Time axes
// ---------------------------------------------------------------------------

const NS_PER_MS: i64 = 1_000_000;
const NS_PER_SECOND: i64 = 1_000_000_000;
const NS_PER_MINUTE: i64 = 60 * NS_PER_SECOND;
const NS_PER_DAY: i64 = 86_400 * NS_PER_SECOND;

/// Calendar units of the step ladder, finest first (the order is used).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Milli,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// `count` × `unit`; every count divides the next unit up (ms into a second, hours into
/// a day, months into a year), so stepping on the local clock stays aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TimeStep {
    unit: Unit,
    count: u32,
}

const fn step(unit: Unit, count: u32) -> TimeStep {
    TimeStep { unit, count }
}

/// Every step a time axis may use, finest first.
const TIME_LADDER: [TimeStep; 40] = [
    step(Unit::Milli, 1),
    step(Unit::Milli, 2),
    step(Unit::Milli, 5),
    step(Unit::Milli, 10),
    step(Unit::Milli, 20),
    step(Unit::Milli, 50),
    step(Unit::Milli, 100),
    step(Unit::Milli, 200),
    step(Unit::Milli, 500),
    step(Unit::Second, 1),
    step(Unit::Second, 2),
    step(Unit::Second, 5),
    step(Unit::Second, 10),
    step(Unit::Second, 15),
    step(Unit::Second, 30),
    step(Unit::Minute, 1),
    step(Unit::Minute, 2),
    step(Unit::Minute, 5),
    step(Unit::Minute, 10),
    step(Unit::Minute, 15),
    step(Unit::Minute, 30),
    step(Unit::Hour, 1),
    step(Unit::Hour, 2),
    step(Unit::Hour, 3),
    step(Unit::Hour, 6),
    step(Unit::Hour, 12),
    step(Unit::Day, 1),
    step(Unit::Day, 2),
    step(Unit::Week, 1),
    step(Unit::Month, 1),
    step(Unit::Month, 2),
    step(Unit::Month, 3),
    step(Unit::Month, 6),
    step(Unit::Year, 1),
    step(Unit::Year, 2),
    step(Unit::Year, 5),
    step(Unit::Year, 10),
    step(Unit::Year, 20),
    step(Unit::Year, 50),
    step(Unit::Year, 100),
];

const MONTH_STEP: TimeStep = step(Unit::Month, 1);

impl TimeStep {
    /// Typical length, used to choose a step and to space ticks; months and years vary.
    fn nominal_ns(self) -> f64 {
        const DAY: f64 = NS_PER_DAY as f64;
        let unit_ns = match self.unit {
            Unit::Milli => 1e6,
            Unit::Second => 1e9,
            Unit::Minute => 6e10,
            Unit::Hour => 3.6e12,
            Unit::Day => DAY,
            Unit::Week => 7.0 * DAY,
            Unit::Month => 30.436_875 * DAY,
            Unit::Year => 365.242_5 * DAY,
        };
        unit_ns * f64::from(self.count)
    }

    /// Mondays do not line up with month starts, which carry the month label, so a
    /// weekly axis gets month starts as ticks of their own. (2-day steps restart on
    /// the 1st of each month, so they include month starts already.)
    fn needs_month_starts(self) -> bool {
        self.unit == Unit::Week
    }

    /// Below a day, both instants of a repeated (DST fall-back) wall time get a tick.
    fn is_sub_day(self) -> bool {
        self.unit < Unit::Day
    }
}

/// Index of the finest ladder step at least `raw_ns` long (the coarsest if none is).
fn ladder_index_for(raw_ns: f64) -> usize {
    TIME_LADDER
        .iter()
        .position(|s| s.nominal_ns() >= raw_ns)
        .unwrap_or(TIME_LADDER.len() - 1)
}

/// Ticks for a linear time axis from `start_ns` to `end_ns` (UTC nanoseconds, either
/// order) shown in time zone `tz`, about `target` of them.
///
/// The step is the finest of 1, 2, 5, 10, 20, 50, 100, 200, 500 ms; 1, 2, 5, 10, 15,
/// 30 s; 1, 2, 5, 10, 15, 30 min; 1, 2, 3, 6, 12 h; 1, 2 days; 1 week; 1, 2, 3, 6
/// months; 1, 2, 5, 10, 20, 50, 100 years whose typical length is at least
/// `span / target`. Ticks are aligned on the local calendar of `tz`, stepping wall
/// time rather than fixed nanoseconds: hours fall on local hours across a DST change,
/// days start at local midnight, weeks on Mondays, 2-day steps on days 1, 3, 5, … of
/// each month, months on the 1st. A wall time skipped by a DST gap moves to the end of
/// the gap; one repeated by a fall-back gets both instants on sub-day steps, the first
/// on longer ones. Weekly axes also get a tick at each month start. A tick closer than
/// 0.6 step to the previous one (a Monday next to a month start, the 31st next to the
/// 1st on a 2-day axis, an hour squeezed by DST) is dropped, the major one kept.
///
/// Labels: years `"2012"`; months `"Mar"`, or `"2013"` (major) in January; days and
/// weeks `"5"`, or the month `"Mar"` (major) on the first tick of a month, `"2013"` on
/// the first of a year; hours and minutes `"14:30"`, seconds `"14:30:15"`, each with
/// the date `"Mar 5"` (major) on the first tick of a day; sub-second `"15.250"`, with
/// `"14:30:15"` (major) on whole seconds. `pos` is the tick's UTC nanoseconds as `f64`.
///
/// An empty range gives no ticks; `target` is clamped to `1..=MAX_TICKS`.
pub fn time_ticks(start_ns: i64, end_ns: i64, tz: Tz, target: usize) -> Vec<Tick> {
    let (start, end) = if start_ns <= end_ns {
        (start_ns, end_ns)
    } else {
        (end_ns, start_ns)
    };
    if start == end {
        return Vec::new();
    }
    let target = target.clamp(1, MAX_TICKS);
    let cap = 4 * target + 16;
    let raw_ns = (end as f64 - start as f64) / target as f64;
    let mut index = ladder_index_for(raw_ns);
    let (step, instants) = loop {
        let step = TIME_LADDER[index];
        if let Some(instants) = step_instants(tz, step, start, end, cap)
            && instants.len() <= MAX_TICKS
        {
            break (step, instants);
        }
        // Only reachable when month starts or DST repeats crowd the range past the
        // cap; a coarser step fits.
        if index + 1 == TIME_LADDER.len() {
            return Vec::new();
        }
        index += 1;
    };
    let ticks = instants
        .into_iter()
        .map(|t| {
            let (label, major) =
                time_label(step, to_local(tz, t), to_local(tz, t.saturating_sub(1)));
            Tick {
                pos: t as f64,
                label,
                major,
            }
        })
        .collect();
    thin(ticks, 0.6 * step.nominal_ns())
}

/// Ticks for a bar-index axis: slot `i` shows the bar stamped `timestamps[i]` (UTC ns,
/// sorted ascending), and the visible slots are `first..=last` (`last` is clamped to
/// the data).
///
/// The calendar boundaries and labels are those of [`time_ticks`]. Each boundary is
/// placed on the first bar at or after it, found by binary search, so the cost is
/// O(target × log n) however many bars are visible; `pos` is that bar's index and the
/// label is written from the bar's own time (a day boundary on a Saturday labels
/// Monday's first bar with Monday's date). The step is the finest one that puts at
/// most `target` ticks on distinct bars, so market closures, which pile several
/// boundaries onto one bar, do not thin the axis out. Ticks closer than
/// `visible / (2 × target)` bars to the previous one are dropped (a major tick
/// replaces a minor one).
///
/// The first visible bar gets a tick only when it is known to start its period: a
/// boundary lies after the bar before it, or, for bar 0, exactly on it (data that
/// starts on Jan 3 gets no "2012" at bar 0, since it may begin mid-period).
///
/// Empty data, `first > last`, or a visible range of a single instant give no ticks.
/// Unsorted timestamps give meaningless ticks but no panic.
pub fn bar_time_ticks(
    timestamps: &[i64],
    first: usize,
    last: usize,
    tz: Tz,
    target: usize,
) -> Vec<Tick> {
    let Some(last) = timestamps.len().checked_sub(1).map(|end| last.min(end)) else {
        return Vec::new();
    };
    if first > last || timestamps[last] <= timestamps[first] {
        return Vec::new();
    }
    let target = target.clamp(1, MAX_TICKS);
    let cap = 4 * target + 16;
    let candidates =
        |index: usize| bar_candidates(timestamps, first, last, tz, TIME_LADDER[index], cap);
    let raw_ns = (timestamps[last] as f64 - timestamps[first] as f64) / target as f64;
    let mut index = ladder_index_for(raw_ns);
    let mut chosen = candidates(index);
    while chosen.as_ref().is_none_or(|c| c.len() > target) && index + 1 < TIME_LADDER.len() {
        index += 1;
        chosen = candidates(index);
    }
    let Some(mut chosen) = chosen else {
        return Vec::new();
    };
    // Gaps put fewer distinct bars under a step than its length suggests: refine while
    // a finer step adds ticks and still fits the target.
    while index > 0 {
        match candidates(index - 1) {
            Some(finer) if finer.len() <= target && finer.len() > chosen.len() => {
                index -= 1;
                chosen = finer;
            }
            _ => break,
        }
    }
    // A step finer than the bars (6 h on daily bars) lands on the same bars as a coarser
    // one; the coarser one writes the plainer labels.
    while index + 1 < TIME_LADDER.len() {
        match candidates(index + 1) {
            Some(coarser) if coarser.len() == chosen.len() => {
                index += 1;
                chosen = coarser;
            }
            _ => break,
        }
    }
    let step = TIME_LADDER[index];
    let ticks = chosen
        .into_iter()
        .map(|i| {
            let prev = match i.checked_sub(1) {
                Some(before) => timestamps[before],
                None => timestamps[0].saturating_sub(1),
            };
            let (label, major) = time_label(step, to_local(tz, timestamps[i]), to_local(tz, prev));
            Tick {
                pos: i as f64,
                label,
                major,
            }
        })
        .collect();
    let visible = (last - first + 1) as f64;
    thin(ticks, visible / (2.0 * target as f64))
}

/// Readout of an instant in `tz` with the precision a step of `step_hint_ns` calls
/// for: from a day up `"2012-03-05"`, from a minute `"2012-03-05 14:30"`, from a
/// second `"2012-03-05 14:30:15"`, from a millisecond `"2012-03-05 14:30:15.250"`,
/// then 6 and 9 decimals. A hint of zero or less (unknown) gives whole seconds.
pub fn format_time(ns: i64, tz: Tz, step_hint_ns: i64) -> String {
    let format = match step_hint_ns {
        s if s >= NS_PER_DAY => "%Y-%m-%d",
        s if s >= NS_PER_MINUTE => "%Y-%m-%d %H:%M",
        s if s >= NS_PER_SECOND || s <= 0 => "%Y-%m-%d %H:%M:%S",
        s if s >= NS_PER_MS => "%Y-%m-%d %H:%M:%S%.3f",
        s if s >= 1_000 => "%Y-%m-%d %H:%M:%S%.6f",
        _ => "%Y-%m-%d %H:%M:%S%.9f",
    };
    to_local(tz, ns).format(format).to_string()
}

/// The label of a tick at local time `t` for `step`, and whether it is major; `prev`
/// is the local time just before (the previous bar, or `t` − 1 ns).
fn time_label(step: TimeStep, t: NaiveDateTime, prev: NaiveDateTime) -> (String, bool) {
    let new_day = t.date() != prev.date();
    let (format, major) = match step.unit {
        Unit::Year => ("%Y", false),
        Unit::Month if t.year() != prev.year() => ("%Y", true),
        Unit::Month => ("%b", false),
        Unit::Day | Unit::Week if t.year() != prev.year() => ("%Y", true),
        Unit::Day | Unit::Week if t.month() != prev.month() => ("%b", true),
        Unit::Day | Unit::Week => ("%-d", false),
        _ if new_day => ("%b %-d", true),
        Unit::Hour | Unit::Minute => ("%H:%M", false),
        Unit::Second => ("%H:%M:%S", false),
        Unit::Milli if t.with_nanosecond(0) != prev.with_nanosecond(0) => ("%H:%M:%S", true),
        Unit::Milli => ("%S%.3f", false),
    };
    (t.format(format).to_string(), major)
}

/// Drops each tick closer than `min_gap` to the last one kept; a major tick takes the
/// place of a minor one it crowds.
fn thin(ticks: Vec<Tick>, min_gap: f64) -> Vec<Tick> {
    let mut kept: Vec<Tick> = Vec::with_capacity(ticks.len());
    for tick in ticks {
        match kept.last_mut() {
            Some(prev) if tick.pos - prev.pos < min_gap => {
                if tick.major && !prev.major {
                    *prev = tick;
                }
            }
            _ => kept.push(tick),
        }
    }
    kept.truncate(MAX_TICKS);
    kept
}

/// Boundaries of `step` in `[from_ns, to_ns]`, plus month starts where the step needs
/// them, sorted and distinct. `None` when there are more than `cap`.
fn step_instants(tz: Tz, step: TimeStep, from_ns: i64, to_ns: i64, cap: usize) -> Option<Vec<i64>> {
    let mut instants = boundaries(tz, step, from_ns, to_ns, cap)?;
    if step.needs_month_starts() {
        instants.extend(boundaries(tz, MONTH_STEP, from_ns, to_ns, cap)?);
        instants.sort_unstable();
        instants.dedup();
    }
    Some(instants)
}

/// Distinct indices in `first..=last` of the bars that start a period of `step` (or
/// a month, where the step needs month starts), ascending. `None` past `cap`
/// boundaries.
fn bar_candidates(
    timestamps: &[i64],
    first: usize,
    last: usize,
    tz: Tz,
    step: TimeStep,
    cap: usize,
) -> Option<Vec<usize>> {
    let mut out = Vec::new();
    let mut add = |step: TimeStep| -> Option<()> {
        if starts_period(timestamps, first, tz, step) {
            out.push(first);
        }
        let after_first = timestamps[first].saturating_add(1);
        for boundary in boundaries(tz, step, after_first, timestamps[last], cap)? {
            let i = timestamps.partition_point(|&t| t < boundary);
            if (first..=last).contains(&i) {
                out.push(i);
            }
        }
        Some(())
    };
    add(step)?;
    if step.needs_month_starts() {
        add(MONTH_STEP)?;
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// Whether bar `i` is the first bar of its `step` period: the period's boundary lies
/// after the previous bar (for bar 0, exactly on the bar, as earlier data is unknown).
fn starts_period(timestamps: &[i64], i: usize, tz: Tz, step: TimeStep) -> bool {
    let t = timestamps[i];
    let Some(instants) = floor_local(to_local(tz, t), step).and_then(|f| resolve(tz, f)) else {
        return false;
    };
    let boundary = if step.is_sub_day() && instants.latest <= t {
        instants.latest
    } else {
        instants.earliest
    };
    if boundary > t {
        return false;
    }
    match i.checked_sub(1) {
        Some(before) => boundary > timestamps[before],
        None => boundary == t,
    }
}

/// All instants in `[from_ns, to_ns]` where `step` has a boundary on the local calendar
/// of `tz`, ascending and distinct. `None` when there are more than `cap`.
fn boundaries(tz: Tz, step: TimeStep, from_ns: i64, to_ns: i64, cap: usize) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    if from_ns > to_ns {
        return Some(out);
    }
    let end_local = to_local(tz, to_ns);
    let Some(mut wall) = floor_local(to_local(tz, from_ns), step) else {
        return Some(out);
    };
    // Each pass emits an instant, or visits one of the few wall times before `from_ns`,
    // in a DST gap or outside i64 nanoseconds, so a range that fits in `cap` stays
    // well inside this bound.
    let mut passes = 0;
    loop {
        passes += 1;
        if passes > cap + 64 {
            return None;
        }
        let next = match resolve(tz, wall) {
            Some(instants) => {
                if instants.earliest > to_ns {
                    break;
                }
                let count = if step.is_sub_day() { 2 } else { 1 };
                for t in [instants.earliest, instants.latest].into_iter().take(count) {
                    if (from_ns..=to_ns).contains(&t) && out.last() != Some(&t) {
                        out.push(t);
                    }
                }
                if out.len() > cap {
                    return None;
                }
                // Inside a DST gap every skipped wall time maps to the gap's end: jump
                // there instead of visiting them one by one.
                let past_gap =
                    floor_local(to_local(tz, instants.latest), step).filter(|&w| w > wall);
                match past_gap.or_else(|| next_local(wall, step)) {
                    Some(w) => w,
                    None => break,
                }
            }
            // Beyond the range of i64 nanoseconds.
            None if wall > end_local => break,
            None => match next_local(wall, step) {
                Some(w) => w,
                None => break,
            },
        };
        wall = next;
    }
    // Repeated wall times (sub-day steps) emit their second instant out of order.
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The UTC instant(s) of a local wall time; both are equal unless a fall-back repeats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Instants {
    earliest: i64,
    latest: i64,
}

/// UTC nanoseconds of wall time `wall` in `tz`. A wall time skipped by a DST gap maps
/// to the end of the gap. `None` outside the range of `i64` nanoseconds.
fn resolve(tz: Tz, wall: NaiveDateTime) -> Option<Instants> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => {
            let t = t.timestamp_nanos_opt()?;
            Some(Instants {
                earliest: t,
                latest: t,
            })
        }
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.timestamp_nanos_opt()?, b.timestamp_nanos_opt()?);
            Some(Instants {
                earliest: a.min(b),
                latest: a.max(b),
            })
        }
        LocalResult::None => {
            let t = gap_end(tz, wall)?;
            Some(Instants {
                earliest: t,
                latest: t,
            })
        }
    }
}

/// The first instant whose wall time in `tz` is at or after `wall`, for a `wall` that
/// a DST gap skips: the moment the clocks jump. Found by bisection over whole seconds
/// (transitions fall on whole seconds) within ±16 h, which covers every UTC offset.
fn gap_end(tz: Tz, wall: NaiveDateTime) -> Option<i64> {
    const WINDOW_SECONDS: i64 = 16 * 3600;
    let wall_ns = wall.and_utc().timestamp_nanos_opt()?;
    let wall_ns_at = |utc_seconds: i64| -> Option<i64> {
        let utc = DateTime::from_timestamp(utc_seconds, 0)?;
        let offset = tz.offset_from_utc_datetime(&utc.naive_utc()).fix();
        utc_seconds
            .checked_add(offset.local_minus_utc().into())?
            .checked_mul(NS_PER_SECOND)
    };
    let guess = wall.and_utc().timestamp();
    // Invariant: the wall time at `lo` is before `wall`, at `hi` it is not.
    let (mut lo, mut hi) = (guess - WINDOW_SECONDS, guess + WINDOW_SECONDS);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wall_ns_at(mid)? >= wall_ns {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi.checked_mul(NS_PER_SECOND)
}

/// Wall time in `tz` of the UTC instant `ns` (defined for every `i64`).
fn to_local(tz: Tz, ns: i64) -> NaiveDateTime {
    tz.from_utc_datetime(&DateTime::from_timestamp_nanos(ns).naive_utc())
        .naive_local()
}

/// The latest wall time at or before `t` on which `step` has a boundary.
fn floor_local(t: NaiveDateTime, step: TimeStep) -> Option<NaiveDateTime> {
    let date = t.date();
    let n = step.count;
    match step.unit {
        Unit::Milli => {
            let ms = t.nanosecond() / 1_000_000;
            date.and_hms_nano_opt(t.hour(), t.minute(), t.second(), (ms - ms % n) * 1_000_000)
        }
        Unit::Second => date.and_hms_opt(t.hour(), t.minute(), t.second() - t.second() % n),
        Unit::Minute => date.and_hms_opt(t.hour(), t.minute() - t.minute() % n, 0),
        Unit::Hour => date.and_hms_opt(t.hour() - t.hour() % n, 0, 0),
        // Days 1, 1 + n, 1 + 2n, … of each month, so that month starts are always ticks.
        Unit::Day => date
            .with_day(t.day() - (t.day() - 1) % n)?
            .and_hms_opt(0, 0, 0),
        Unit::Week => {
            let since_monday = date.weekday().num_days_from_monday();
            date.checked_sub_days(Days::new(since_monday.into()))?
                .and_hms_opt(0, 0, 0)
        }
        Unit::Month => {
            let month0 = t.month0() - t.month0() % n;
            NaiveDate::from_ymd_opt(t.year(), month0 + 1, 1)?.and_hms_opt(0, 0, 0)
        }
        Unit::Year => {
            let year = t.year() - t.year().rem_euclid(n.try_into().ok()?);
            NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)
        }
    }
}

/// The boundary of `step` after the aligned wall time `t`.
fn next_local(t: NaiveDateTime, step: TimeStep) -> Option<NaiveDateTime> {
    let n = step.count;
    match step.unit {
        Unit::Milli => t.checked_add_signed(TimeDelta::milliseconds(n.into())),
        Unit::Second => t.checked_add_signed(TimeDelta::seconds(n.into())),
        Unit::Minute => t.checked_add_signed(TimeDelta::minutes(n.into())),
        Unit::Hour => t.checked_add_signed(TimeDelta::hours(n.into())),
        Unit::Day => {
            let next = t.date().checked_add_days(Days::new(n.into()))?;
            // Restart at the 1st: 2-day ticks run 29, 31, 1, 3 rather than 31, 2, 4.
            let next = if next.month() == t.month() {
                next
            } else {
                next.with_day(1)?
            };
            next.and_hms_opt(0, 0, 0)
        }
        Unit::Week => t.checked_add_days(Days::new(7)),
        Unit::Month => t.checked_add_months(Months::new(n)),
        Unit::Year => t.checked_add_months(Months::new(n.checked_mul(12)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use chrono_tz::America::New_York;

    fn labels(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    fn positions(ticks: &[Tick]) -> Vec<f64> {
        ticks.iter().map(|t| t.pos).collect()
    }

    fn majors(ticks: &[Tick]) -> Vec<&str> {
        ticks
            .iter()
            .filter(|t| t.major)
            .map(|t| t.label.as_str())
            .collect()
    }

    /// UTC nanoseconds of a UTC wall time.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    /// UTC nanoseconds of an unambiguous wall time in `tz`.
    fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    const HOUR_NS: i64 = 3600 * NS_PER_SECOND;

    // ---- value axis -------------------------------------------------------------------

    #[test]
    fn price_range_gets_steps_of_five() {
        let ticks = value_ticks(97.3, 131.8, 8);
        assert_eq!(
            labels(&ticks),
            ["100", "105", "110", "115", "120", "125", "130"]
        );
        assert_eq!(
            positions(&ticks),
            [100.0, 105.0, 110.0, 115.0, 120.0, 125.0, 130.0]
        );
        assert!(ticks.iter().all(|t| !t.major));
        // Arguments in either order give the same axis.
        assert_eq!(value_ticks(131.8, 97.3, 8), ticks);
    }

    #[test]
    fn volume_axis_is_abbreviated_in_millions() {
        let ticks = value_ticks(0.0, 2.1e8, 8);
        assert_eq!(labels(&ticks), ["0", "50M", "100M", "150M", "200M"]);
        assert_eq!(positions(&ticks), [0.0, 5e7, 1e8, 1.5e8, 2e8]);
        assert_eq!(majors(&ticks), ["0"]);
    }

    #[test]
    fn abbreviations_agree_across_the_axis() {
        assert_eq!(
            labels(&value_ticks(44_000.0, 47_000.0, 3)),
            ["44K", "45K", "46K", "47K"]
        );
        // A 2.5 step needs one decimal in K, on every label.
        assert_eq!(
            labels(&value_ticks(40_000.0, 50_000.0, 4)),
            ["40.0K", "42.5K", "45.0K", "47.5K", "50.0K"]
        );
        assert_eq!(
            labels(&value_ticks(1_000_000.0, 1_500_000.0, 4)),
            ["1.0M", "1.2M", "1.4M"]
        );
        assert_eq!(labels(&value_ticks(0.0, 3.2e9, 4)), ["0", "1B", "2B", "3B"]);
        // Four-digit prices keep their digits.
        assert_eq!(
            labels(&value_ticks(4000.0, 6000.0, 8)),
            [
                "4000", "4250", "4500", "4750", "5000", "5250", "5500", "5750", "6000"
            ]
        );
    }

    #[test]
    fn decimals_follow_the_step() {
        assert_eq!(
            labels(&value_ticks(12.0, 13.0, 4)),
            ["12.00", "12.25", "12.50", "12.75", "13.00"]
        );
        let ticks = value_ticks(0.001, 0.0018, 8);
        assert_eq!(
            labels(&ticks),
            [
                "0.0010", "0.0011", "0.0012", "0.0013", "0.0014", "0.0015", "0.0016", "0.0017",
                "0.0018"
            ]
        );
        assert_eq!(ticks[2].pos, 0.0012);
    }

    #[test]
    fn tiny_range_near_one() {
        let ticks = value_ticks(1.00012, 1.00019, 8);
        assert_eq!(
            labels(&ticks),
            [
                "1.00012", "1.00013", "1.00014", "1.00015", "1.00016", "1.00017", "1.00018",
                "1.00019"
            ]
        );
        assert_eq!(
            positions(&ticks),
            [
                1.00012, 1.00013, 1.00014, 1.00015, 1.00016, 1.00017, 1.00018, 1.00019
            ]
        );
    }

    #[test]
    fn negative_ranges() {
        let ticks = value_ticks(-3.7, 1.2, 5);
        assert_eq!(labels(&ticks), ["-3", "-2", "-1", "0", "1"]);
        assert_eq!(positions(&ticks), [-3.0, -2.0, -1.0, 0.0, 1.0]);
        assert_eq!(majors(&ticks), ["0"]);
        let ticks = value_ticks(-0.75, -0.1, 4);
        assert_eq!(labels(&ticks), ["-0.6", "-0.4", "-0.2"]);
        assert_eq!(positions(&ticks), [-0.6, -0.4, -0.2]);
    }

    #[test]
    fn degenerate_value_ranges_do_not_panic() {
        assert!(value_ticks(f64::NAN, 1.0, 8).is_empty());
        assert!(value_ticks(0.0, f64::INFINITY, 8).is_empty());
        assert!(value_ticks(f64::NEG_INFINITY, f64::NAN, 8).is_empty());
        assert_eq!(
            value_ticks(123.456, 123.456, 8),
            [Tick {
                pos: 123.456,
                label: "123.456".into(),
                major: false
            }]
        );
        assert_eq!(
            value_ticks(0.0, 0.0, 8),
            [Tick {
                pos: 0.0,
                label: "0".into(),
                major: true
            }]
        );
        assert_eq!(labels(&value_ticks(1.0, 1.0 + 1e-15, 8)), ["1"]);
        assert_eq!(labels(&value_ticks(2.5e6, 2.5e6, 8)), ["2.5M"]);
        // target 0 acts as 1; huge targets are capped.
        assert_eq!(labels(&value_ticks(97.3, 131.8, 0)), ["100"]);
        // 101 ticks of 0.01 would pass the cap: 0.02 it is, up to the top of the range.
        let ticks = value_ticks(0.0, 1.0, 100_000);
        assert_eq!(ticks.len(), 51);
        assert_eq!(ticks[50].label, "1.00");
        for (lo, hi) in [
            (-1e308, 1e308),
            (f64::MIN, f64::MAX),
            (0.0, 5e-324),
            (1e-300, 2e-300),
        ] {
            let ticks = value_ticks(lo, hi, 8);
            assert!(ticks.len() <= MAX_TICKS);
            assert!(ticks.windows(2).all(|w| w[0].pos < w[1].pos), "{lo} {hi}");
        }
        assert_eq!(
            labels(&value_ticks(0.0, 2e20, 4)),
            ["0", "5.0e19", "1.0e20", "1.5e20", "2.0e20"]
        );
        assert_eq!(
            labels(&value_ticks(1e-9, 5e-9, 4)),
            ["1e-9", "2e-9", "3e-9", "4e-9", "5e-9"]
        );
        // Values of 1 and above stay in fixed notation however many decimals they need.
        assert_eq!(
            labels(&value_ticks(1.0, 1.0 + 1e-9, 4)),
            ["1.0000000000", "1.0000000005", "1.0000000010"]
        );
    }

    #[test]
    fn value_ticks_stay_inside_and_distinct_over_many_ranges() {
        // Deterministic pseudo-random ranges over many magnitudes.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let centre = (next() - 0.5) * 10f64.powf(next() * 24.0 - 12.0);
            let span = centre.abs().max(1e-9) * 10f64.powf(next() * 8.0 - 6.0);
            let (lo, hi) = (centre - span / 2.0, centre + span / 2.0);
            let target = 2 + (next() * 20.0) as usize;
            let ticks = value_ticks(lo, hi, target);
            assert!(
                !ticks.is_empty() && ticks.len() <= target + 1,
                "{lo} {hi} {target}"
            );
            for w in ticks.windows(2) {
                assert!(w[0].pos < w[1].pos);
                assert_ne!(w[0].label, w[1].label, "{lo} {hi} {target}");
            }
            let slack = span * 1e-6;
            assert!(
                ticks
                    .iter()
                    .all(|t| t.pos >= lo - slack && t.pos <= hi + slack)
            );
        }
    }

    #[test]
    fn format_value_readouts() {
        assert_eq!(format_value(1_250_000.0, 10_000.0), "1.25M");
        // Three decimals in M are too many: one unit down.
        assert_eq!(format_value(1_251_000.0, 1000.0), "1251K");
        assert_eq!(format_value(3.2e9, 1e8), "3.2B");
        assert_eq!(format_value(45_000.0, 1000.0), "45K");
        assert_eq!(format_value(12.25, 0.25), "12.25");
        assert_eq!(format_value(0.0012, 1e-4), "0.0012");
        assert_eq!(format_value(104.371, 0.01), "104.37");
        assert_eq!(format_value(-0.0001, 0.01), "0.00");
        assert_eq!(format_value(-1_500.0, 500.0), "-1500");
        assert_eq!(format_value(1.0 / 3.0, 1.0 / 3.0), "0.3333");
        // No usable step: six significant digits.
        assert_eq!(format_value(123.456789, 0.0), "123.457");
        assert_eq!(format_value(123.456789, f64::NAN), "123.457");
        assert_eq!(format_value(f64::NAN, 1.0), "NaN");
        assert_eq!(format_value(f64::NEG_INFINITY, 1.0), "-inf");
    }

    // ---- log axis ---------------------------------------------------------------------

    #[test]
    fn log_axis_over_three_decades_uses_one_two_five() {
        let ticks = log_value_ticks(10.0, 5000.0, 8);
        assert_eq!(
            labels(&ticks),
            [
                "10", "20", "50", "100", "200", "500", "1000", "2000", "5000"
            ]
        );
        assert_eq!(
            positions(&ticks),
            [
                10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0
            ]
        );
        assert_eq!(majors(&ticks), ["10", "100", "1000"]);
    }

    #[test]
    fn log_axis_density_follows_the_range() {
        // Twelve decades: every other power of ten is closest to 8.
        assert_eq!(
            labels(&log_value_ticks(1e-3, 1e9, 8)),
            ["0.01", "1", "100", "10K", "1M", "100M"]
        );
        // Under a decade with enough 1..9 ticks.
        assert_eq!(
            labels(&log_value_ticks(10.0, 50.0, 8)),
            ["10", "20", "30", "40", "50"]
        );
        // Too narrow for log ticks: linear steps.
        assert_eq!(
            labels(&log_value_ticks(100.0, 130.0, 8)),
            ["100", "105", "110", "115", "120", "125", "130"]
        );
    }

    #[test]
    fn degenerate_log_ranges_do_not_panic() {
        assert!(log_value_ticks(-1.0, 10.0, 8).is_empty());
        assert!(log_value_ticks(0.0, 10.0, 8).is_empty());
        assert!(log_value_ticks(f64::NAN, 10.0, 8).is_empty());
        assert!(log_value_ticks(1.0, f64::INFINITY, 8).is_empty());
        assert_eq!(labels(&log_value_ticks(5.0, 5.0, 8)), ["5"]);
        assert_eq!(
            labels(&log_value_ticks(1e-300, 1e300, 8)),
            ["1e-300", "1e-200", "1e-100", "1", "1e100", "1e200", "1e300"]
        );
        // 1..9 × 10^k would be closest to 100 but passes the cap: 1, 2, 5 × 10^k.
        assert_eq!(log_value_ticks(1.0, 1e14, 100).len(), 43);
        for (lo, hi) in [(5e-324, f64::MAX), (1.0, 1.0 + 1e-9)] {
            let ticks = log_value_ticks(lo, hi, 8);
            assert!(!ticks.is_empty() && ticks.len() <= MAX_TICKS, "{lo} {hi}");
            assert!(ticks.windows(2).all(|w| w[0].pos < w[1].pos));
        }
    }

    // ---- linear time axis -------------------------------------------------------------

    #[test]
    fn ten_million_ticks_over_twelve_days_in_utc() {
        // 10 M ticks 100 ms apart: 2024-01-03 09:30 to 2024-01-14 23:16:40 UTC.
        let start = utc(2024, 1, 3, 9, 30, 0);
        let end = start + 10_000_000 * 100 * NS_PER_MS;
        assert_eq!(end, utc(2024, 1, 14, 23, 16, 40));

        let ticks = time_ticks(start, end, Tz::UTC, 8);
        assert_eq!(labels(&ticks), ["5", "7", "9", "11", "13"]);
        let days: Vec<f64> = [5, 7, 9, 11, 13]
            .iter()
            .map(|&d| utc(2024, 1, d, 0, 0, 0) as f64)
            .collect();
        assert_eq!(positions(&ticks), days);

        let ticks = time_ticks(start, end, Tz::UTC, 24);
        let mut expected = vec!["12:00".to_owned()];
        for day in 4..=14 {
            expected.push(format!("Jan {day}"));
            expected.push("12:00".to_owned());
        }
        assert_eq!(labels(&ticks), expected);
        let twelve_hours: Vec<f64> = (0..23)
            .map(|k| (utc(2024, 1, 3, 12, 0, 0) + k * 12 * HOUR_NS) as f64)
            .collect();
        assert_eq!(positions(&ticks), twelve_hours);
        assert_eq!(majors(&ticks).len(), 11);
    }

    #[test]
    fn hourly_ticks_stay_on_local_hours_across_spring_forward() {
        // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
        let start = utc(2024, 3, 10, 3, 30, 0); // 22:30 EST on Mar 9
        let end = utc(2024, 3, 10, 9, 30, 0); // 05:30 EDT
        let ticks = time_ticks(start, end, New_York, 8);
        assert_eq!(
            labels(&ticks),
            ["23:00", "Mar 10", "01:00", "03:00", "04:00", "05:00"]
        );
        let hours: Vec<f64> = (4..=9).map(|h| utc(2024, 3, 10, h, 0, 0) as f64).collect();
        assert_eq!(positions(&ticks), hours);
        assert_eq!(majors(&ticks), ["Mar 10"]);
        for tick in &ticks {
            let wall = to_local(New_York, tick.pos as i64);
            assert_eq!((wall.minute(), wall.second()), (0, 0), "{}", tick.label);
        }
    }

    #[test]
    fn repeated_hour_at_fall_back_gets_both_ticks() {
        // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST (06:00 UTC).
        let ticks = time_ticks(
            utc(2024, 11, 3, 4, 0, 0),
            utc(2024, 11, 3, 8, 0, 0),
            New_York,
            4,
        );
        assert_eq!(
            labels(&ticks),
            ["Nov 3", "01:00", "01:00", "02:00", "03:00"]
        );
        let hours: Vec<f64> = (4..=8).map(|h| utc(2024, 11, 3, h, 0, 0) as f64).collect();
        assert_eq!(positions(&ticks), hours);
    }

    #[test]
    fn daily_ticks_fall_on_local_midnight_across_dst() {
        let start = local(New_York, 2024, 3, 5, 12, 0);
        let end = local(New_York, 2024, 3, 15, 12, 0);
        let ticks = time_ticks(start, end, New_York, 10);
        assert_eq!(
            labels(&ticks),
            ["6", "7", "8", "9", "10", "11", "12", "13", "14", "15"]
        );
        let midnights: Vec<f64> = (6..=15)
            .map(|d| local(New_York, 2024, 3, d, 0, 0) as f64)
            .collect();
        assert_eq!(positions(&ticks), midnights);
        // The DST day is 23 hours long, so fixed 24 h steps would have drifted.
        assert_eq!(ticks[5].pos - ticks[4].pos, (23 * HOUR_NS) as f64);
    }

    #[test]
    fn weekly_ticks_are_mondays_with_month_starts() {
        let ticks = time_ticks(
            utc(2024, 1, 20, 0, 0, 0),
            utc(2024, 4, 10, 0, 0, 0),
            Tz::UTC,
            12,
        );
        assert_eq!(
            labels(&ticks),
            ["22", "Feb", "12", "19", "Mar", "11", "18", "25", "Apr", "8"]
        );
        let dates = [
            (1, 22),
            (2, 1),
            (2, 12),
            (2, 19),
            (3, 1),
            (3, 11),
            (3, 18),
            (3, 25),
            (4, 1),
            (4, 8),
        ];
        let expected: Vec<f64> = dates
            .iter()
            .map(|&(m, d)| utc(2024, m, d, 0, 0, 0) as f64)
            .collect();
        assert_eq!(positions(&ticks), expected);
        assert_eq!(majors(&ticks), ["Feb", "Mar", "Apr"]);
    }

    #[test]
    fn two_day_ticks_restart_at_each_month_start() {
        let ticks = time_ticks(
            utc(2024, 1, 20, 0, 0, 0),
            utc(2024, 2, 8, 0, 0, 0),
            Tz::UTC,
            10,
        );
        // Jan 31 is dropped: a day before the 1st, which carries the month.
        assert_eq!(
            labels(&ticks),
            ["21", "23", "25", "27", "29", "Feb", "3", "5", "7"]
        );
        assert_eq!(ticks[5].pos, utc(2024, 2, 1, 0, 0, 0) as f64);
        assert_eq!(ticks[6].pos, utc(2024, 2, 3, 0, 0, 0) as f64);
    }

    #[test]
    fn month_year_second_and_sub_second_steps() {
        let ticks = time_ticks(
            utc(2011, 11, 15, 0, 0, 0),
            utc(2013, 2, 10, 0, 0, 0),
            Tz::UTC,
            8,
        );
        assert_eq!(
            labels(&ticks),
            ["2012", "Mar", "May", "Jul", "Sep", "Nov", "2013"]
        );
        assert_eq!(majors(&ticks), ["2012", "2013"]);
        assert_eq!(ticks[1].pos, utc(2012, 3, 1, 0, 0, 0) as f64);

        let ticks = time_ticks(
            utc(1990, 1, 1, 0, 0, 0),
            utc(2024, 6, 1, 0, 0, 0),
            Tz::UTC,
            8,
        );
        assert_eq!(
            labels(&ticks),
            ["1990", "1995", "2000", "2005", "2010", "2015", "2020"]
        );

        let ticks = time_ticks(
            utc(2024, 3, 5, 14, 30, 0),
            utc(2024, 3, 5, 14, 32, 0),
            Tz::UTC,
            8,
        );
        assert_eq!(
            labels(&ticks),
            [
                "14:30:00", "14:30:15", "14:30:30", "14:30:45", "14:31:00", "14:31:15", "14:31:30",
                "14:31:45", "14:32:00"
            ]
        );

        let start = utc(2024, 3, 5, 14, 30, 15) + 100 * NS_PER_MS;
        let ticks = time_ticks(start, start + 1800 * NS_PER_MS, Tz::UTC, 8);
        assert_eq!(labels(&ticks), ["15.500", "14:30:16", "16.500"]);
        assert_eq!(majors(&ticks), ["14:30:16"]);
        assert_eq!(ticks[0].pos, (start + 400 * NS_PER_MS) as f64);
    }

    #[test]
    fn degenerate_time_ranges_do_not_panic() {
        assert!(time_ticks(0, 0, Tz::UTC, 8).is_empty());
        let forward = time_ticks(
            utc(2024, 1, 1, 0, 0, 0),
            utc(2024, 1, 2, 0, 0, 0),
            Tz::UTC,
            8,
        );
        let reversed = time_ticks(
            utc(2024, 1, 2, 0, 0, 0),
            utc(2024, 1, 1, 0, 0, 0),
            Tz::UTC,
            8,
        );
        assert_eq!(forward, reversed);
        // target 0 acts as 1: a microsecond holds one millisecond boundary, the epoch.
        assert_eq!(labels(&time_ticks(0, 1000, Tz::UTC, 0)), ["Jan 1"]);
        // 101 one-second ticks would pass the cap: two seconds, up to the end.
        let ticks = time_ticks(0, 100 * NS_PER_SECOND, Tz::UTC, 100);
        assert_eq!(ticks.len(), 51);
        assert_eq!(ticks[50].label, "00:01:40");
        let ticks = time_ticks(i64::MIN, i64::MAX, Tz::UTC, 8);
        assert_eq!(
            labels(&ticks),
            ["1700", "1800", "1900", "2000", "2100", "2200"]
        );
        for tz in [
            New_York,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Pago_Pago,
        ] {
            for target in [1, 8, 100, 1000] {
                let ticks = time_ticks(i64::MIN, i64::MAX, tz, target);
                assert!(!ticks.is_empty() && ticks.len() <= MAX_TICKS);
            }
        }
    }

    #[test]
    fn time_ticks_are_ordered_and_inside_over_many_zones_and_spans() {
        let zones = [
            Tz::UTC,
            New_York,
            chrono_tz::Europe::London,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Australia::Lord_Howe, // 30-minute DST shift
            chrono_tz::America::Sao_Paulo,   // midnight DST gaps until 2019
            chrono_tz::Pacific::Apia,        // skipped 2011-12-30 entirely
        ];
        let spans_ns = [
            3 * NS_PER_MS,
            700 * NS_PER_MS,
            47 * NS_PER_SECOND,
            3 * HOUR_NS,
            29 * HOUR_NS,
            9 * NS_PER_DAY,
            75 * NS_PER_DAY,
            800 * NS_PER_DAY,
            30_000 * NS_PER_DAY,
        ];
        let starts = [
            utc(2011, 12, 29, 8, 17, 3),
            utc(2018, 11, 3, 23, 59, 59),
            utc(2024, 3, 10, 6, 45, 0),
            utc(2024, 10, 5, 14, 0, 0),
            utc(2024, 11, 3, 5, 30, 0),
            -1_234_567_890_123_456_789,
        ];
        for tz in zones {
            for start in starts {
                for span in spans_ns {
                    for target in [1, 3, 8, 20] {
                        let end = start.saturating_add(span);
                        let ticks = time_ticks(start, end, tz, target);
                        let context = format!("{tz} {start} {span} {target}");
                        assert!(ticks.len() <= 2 * target + 2, "{context}: {}", ticks.len());
                        assert!(ticks.windows(2).all(|w| w[0].pos < w[1].pos), "{context}");
                        assert!(
                            ticks
                                .iter()
                                .all(|t| t.pos >= start as f64 && t.pos <= end as f64),
                            "{context}"
                        );
                        assert!(ticks.iter().all(|t| !t.label.is_empty()), "{context}");
                    }
                }
            }
        }
    }

    #[test]
    fn apia_skipped_day_keeps_day_ticks_on_local_midnights() {
        // Samoa skipped 2011-12-30: Dec 29 (UTC-10) was followed by Dec 31 (UTC+14).
        let apia = chrono_tz::Pacific::Apia;
        let ticks = time_ticks(
            local(apia, 2011, 12, 27, 12, 0),
            local(apia, 2012, 1, 2, 12, 0),
            apia,
            6,
        );
        assert_eq!(labels(&ticks), ["28", "29", "31", "2012", "2"]);
        for tick in &ticks {
            assert_eq!(
                to_local(apia, tick.pos as i64).time(),
                chrono::NaiveTime::MIN
            );
        }
    }

    #[test]
    fn format_time_readouts() {
        let t = utc(2012, 3, 5, 19, 30, 15) + 250 * NS_PER_MS;
        assert_eq!(format_time(t, New_York, NS_PER_DAY), "2012-03-05");
        assert_eq!(
            format_time(t, New_York, 5 * NS_PER_MINUTE),
            "2012-03-05 14:30"
        );
        assert_eq!(
            format_time(t, New_York, NS_PER_SECOND),
            "2012-03-05 14:30:15"
        );
        assert_eq!(
            format_time(t, New_York, 10 * NS_PER_MS),
            "2012-03-05 14:30:15.250"
        );
        assert_eq!(format_time(t, Tz::UTC, 0), "2012-03-05 19:30:15");
        assert_eq!(
            format_time(t + 7, Tz::UTC, 1),
            "2012-03-05 19:30:15.250000007"
        );
        assert_eq!(format_time(i64::MIN, Tz::UTC, NS_PER_DAY), "1677-09-21");
    }

    // ---- bar-index time axis ----------------------------------------------------------

    /// NYSE trading days 2012-01-03 ..= 2013-03-01 (Mon-Fri less the exchange holidays
    /// and the two Hurricane Sandy closures), each stamped at local midnight in New York.
    fn aapl_daily_bars() -> Vec<i64> {
        let holidays = [
            (2012, 1, 16),
            (2012, 2, 20),
            (2012, 4, 6),
            (2012, 5, 28),
            (2012, 7, 4),
            (2012, 9, 3),
            (2012, 10, 29),
            (2012, 10, 30),
            (2012, 11, 22),
            (2012, 12, 25),
            (2013, 1, 1),
            (2013, 1, 21),
            (2013, 2, 18),
        ]
        .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let mut bars = Vec::new();
        let mut day = NaiveDate::from_ymd_opt(2012, 1, 3).unwrap();
        let end = NaiveDate::from_ymd_opt(2013, 3, 1).unwrap();
        while day <= end {
            if day.weekday().num_days_from_monday() < 5 && !holidays.contains(&day) {
                bars.push(local(New_York, day.year(), day.month(), day.day(), 0, 0));
            }
            day = day.succ_opt().unwrap();
        }
        bars
    }

    #[test]
    fn daily_bars_over_fourteen_months() {
        let bars = aapl_daily_bars();
        assert_eq!(bars.len(), 291);
        let last = bars.len() - 1;

        // Target 8: every other month; "2013" at the first session of 2013. Bar 0 (Jan 3)
        // gets no "2012": data may start mid-period.
        let ticks = bar_time_ticks(&bars, 0, last, New_York, 8);
        assert_eq!(
            labels(&ticks),
            ["Mar", "May", "Jul", "Sep", "Nov", "2013", "Mar"]
        );
        assert_eq!(
            positions(&ticks),
            [40.0, 82.0, 125.0, 169.0, 209.0, 250.0, 290.0]
        );
        assert_eq!(majors(&ticks), ["2013"]);

        // Target 14: every month, each on its first trading day.
        let ticks = bar_time_ticks(&bars, 0, last, New_York, 14);
        assert_eq!(
            labels(&ticks),
            [
                "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
                "2013", "Feb", "Mar"
            ]
        );
        assert_eq!(
            positions(&ticks),
            [
                20.0, 40.0, 62.0, 82.0, 104.0, 125.0, 146.0, 169.0, 188.0, 209.0, 230.0, 250.0,
                271.0, 290.0
            ]
        );
    }

    #[test]
    fn visible_window_of_daily_bars() {
        let bars = aapl_daily_bars();
        // Bar 100 is 2012-05-25: June starts at bar 104.
        let ticks = bar_time_ticks(&bars, 100, 200, New_York, 5);
        assert_eq!(labels(&ticks), ["Jun", "Jul", "Aug", "Sep", "Oct"]);
        assert_eq!(positions(&ticks), [104.0, 125.0, 146.0, 169.0, 188.0]);
        // Bar 20 is 2012-02-01, the first session of February: the first visible bar.
        let ticks = bar_time_ticks(&bars, 20, 120, New_York, 5);
        assert_eq!(labels(&ticks), ["Feb", "Mar", "Apr", "May", "Jun"]);
        assert_eq!(positions(&ticks), [20.0, 40.0, 62.0, 82.0, 104.0]);
        // Ten bars: a tick per day, not a sub-day step; bar 0 sits exactly on Jan 3 00:00.
        let ticks = bar_time_ticks(&bars, 0, 9, New_York, 20);
        assert_eq!(
            labels(&ticks),
            ["3", "4", "5", "6", "9", "10", "11", "12", "13", "17"]
        );
        assert_eq!(
            positions(&ticks),
            (0..10).map(f64::from).collect::<Vec<_>>()
        );
    }

    /// One-minute bars 09:30-15:59 New York time, Monday 2024-03-04 to Friday 2024-03-08.
    fn intraday_minute_bars() -> Vec<i64> {
        let mut bars = Vec::new();
        for day in 4..=8 {
            let open = local(New_York, 2024, 3, day, 9, 30);
            bars.extend((0..390).map(|m| open + m * NS_PER_MINUTE));
        }
        bars
    }

    #[test]
    fn intraday_bars_skip_the_closed_hours() {
        let bars = intraday_minute_bars();
        let last = bars.len() - 1;

        let ticks = bar_time_ticks(&bars, 0, last, New_York, 8);
        assert_eq!(labels(&ticks), ["5", "6", "7", "8"]);
        assert_eq!(positions(&ticks), [390.0, 780.0, 1170.0, 1560.0]);

        // Two-hour steps; each session opens with its date, and the 10:00 tick 30 bars
        // after the open is dropped as too close to it.
        let ticks = bar_time_ticks(&bars, 0, last, New_York, 20);
        assert_eq!(
            labels(&ticks),
            [
                "10:00", "12:00", "14:00", "Mar 5", "12:00", "14:00", "Mar 6", "12:00", "14:00",
                "Mar 7", "12:00", "14:00", "Mar 8", "12:00", "14:00"
            ]
        );
        assert_eq!(
            positions(&ticks),
            [
                30.0, 150.0, 270.0, 390.0, 540.0, 660.0, 780.0, 930.0, 1050.0, 1170.0, 1320.0,
                1440.0, 1560.0, 1710.0, 1830.0
            ]
        );
        assert_eq!(majors(&ticks), ["Mar 5", "Mar 6", "Mar 7", "Mar 8"]);
    }

    #[test]
    fn three_years_of_minute_bars() {
        // Three years of 24/7 one-minute bars (1.58 M).
        let start = utc(2021, 1, 1, 0, 0, 0);
        let bars: Vec<i64> = (0..1095 * 1440)
            .map(|m| start + m * NS_PER_MINUTE)
            .collect();
        let ticks = bar_time_ticks(&bars, 0, bars.len() - 1, Tz::UTC, 10);
        assert_eq!(
            labels(&ticks),
            ["2021", "Jul", "2022", "Jul", "2023", "Jul"]
        );
        let day = 1440.0;
        assert_eq!(
            positions(&ticks),
            [
                0.0,
                181.0 * day,
                365.0 * day,
                546.0 * day,
                730.0 * day,
                911.0 * day
            ]
        );
    }

    #[test]
    fn degenerate_bar_inputs_do_not_panic() {
        let bars = aapl_daily_bars();
        assert!(bar_time_ticks(&[], 0, 10, New_York, 8).is_empty());
        assert!(bar_time_ticks(&bars, 50, 40, New_York, 8).is_empty());
        assert!(bar_time_ticks(&bars, 500, 600, New_York, 8).is_empty());
        assert!(bar_time_ticks(&bars, 7, 7, New_York, 8).is_empty());
        assert!(bar_time_ticks(&[5, 5, 5], 0, 2, New_York, 8).is_empty());
        // `last` past the end is clamped.
        assert_eq!(
            bar_time_ticks(&bars, 0, usize::MAX, New_York, 8),
            bar_time_ticks(&bars, 0, bars.len() - 1, New_York, 8)
        );
        let reversed: Vec<i64> = bars.iter().rev().copied().collect();
        let _ = bar_time_ticks(&reversed, 0, reversed.len() - 1, New_York, 8);
        let _ = bar_time_ticks(&[i64::MIN, 0, i64::MAX], 0, 2, New_York, 0);
        let _ = bar_time_ticks(&[i64::MIN, i64::MAX], 0, 1, New_York, 1000);
        for target in [0, 1, 2, 1000] {
            let ticks = bar_time_ticks(&bars, 0, bars.len() - 1, New_York, target);
            assert!(ticks.len() <= target.clamp(1, MAX_TICKS), "{target}");
            assert!(ticks.windows(2).all(|w| w[0].pos < w[1].pos));
        }
    }
}
