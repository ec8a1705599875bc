//! Timeframes: ticks or fine bars aggregated into OHLCV bars of any period.
//!
//! # Buckets
//!
//! A [`Timeframe`] is a count and a unit: seconds, minutes, hours (duration
//! units) or days, weeks, months (calendar units). [`Aligner`] pairs it with an
//! optional time zone and decides which bucket a UTC timestamp falls into:
//!
//! * **No time zone** (`Aligner::new(tf, None)`): duration buckets are
//!   multiples of the duration counted from the UTC epoch (1970-01-01T00:00Z),
//!   so `4h` bars start at 00:00, 04:00, … UTC and `7h` bars simply continue
//!   across midnight. Days, weeks and months are UTC calendar buckets.
//! * **A time zone** (`Aligner::new(tf, Some(tz))`, the chart's `timezone`;
//!   exchanges and TradingView align intraday bars to exchange time): every
//!   unit is aligned on the zone's *wall clock*. Duration buckets are
//!   multiples of the duration counted from local 1970-01-01 00:00 (so `4h`
//!   and `1d` start at local midnight); `1d` is a local calendar day, `1w` a
//!   local week starting **Monday 00:00**, `1M` a local calendar month.
//!
//! `n`-day, `n`-week and `n`-month buckets are aligned to multiples of `n`
//! counted from 1970-01-01 (days), Monday 1969-12-29 (weeks) and January of
//! year 0 (months, so `3M` buckets are calendar quarters and `12M` years).
//!
//! Daylight-saving changes: a bucket starts at the first instant the wall
//! clock reaches its start time. When clocks fall back, the repeated wall
//! time belongs to the bucket in progress (that day is 25 hours long, and a
//! `1h` bar that includes the repeated hour is 2 hours long); when clocks
//! spring forward, buckets whose start lies in the skipped hour start at the
//! instant of the change (that day is 23 hours long; a `30m` bucket at 02:30
//! on that day does not exist). Formally, with `W(t)` the wall clock and
//! `first(w)` the first instant with `W ≥ w`, the bucket of `t` starts at the
//! latest `first(start(j)) ≤ t`; starts are therefore non-decreasing in `t`.
//! This assumes a zone's offset changes lie further apart than their size,
//! which holds for every zone in the tz database.
//!
//! # Aggregation
//!
//! [`aggregate_ticks`] turns ticks (UTC ns timestamps, prices, optional
//! sizes) into [`Bars`]: open = first price, high = max, low = min,
//! close = last, volume = sum of sizes, count = ticks. [`aggregate_bars`]
//! turns finer bars into coarser ones (first open, max high, min low, last
//! close, summed volume, summed counts). Empty buckets produce no bar, so gaps
//! in the data stay gaps. A tick whose price is not finite (NaN, ±∞) is
//! skipped entirely (not counted, its size not added); a non-finite size adds
//! nothing to the volume. A finer bar with a non-finite open, high, low or
//! close is skipped the same way. Input timestamps must be non-decreasing.
//!
//! The batch functions use every core (rayon): the input is cut into chunks by
//! index and each cut is moved to the start of the bucket it falls into, so no
//! bucket spans two chunks; each chunk is aggregated by the same sequential
//! loop and the results are concatenated. Volumes are therefore summed in
//! input order and the result is bit-for-bit the one a single sequential loop
//! gives (tested), which a merge of partial sums across a cut would not be.
//! Ticks are aggregated per chunk by a bucket-at-a-time kernel (`fast`: one
//! bucket lookup and a galloping search per bucket, OHLCV in SIMD lanes) that
//! is tested bit-for-bit against the per-tick loop ([`aggregate_ticks_per_tick`]);
//! on unsorted or out-of-range input it hands the chunk to the per-tick loop,
//! which reports the error.
//!
//! [`TimeframeAgg`] keeps the open (last) bucket for live data: each
//! [`TimeframeAgg::append`] costs O(appended ticks) and reports whether the
//! last bar was replaced and how many bars were appended (TradingView's
//! `series.update()` contract).

use chrono::{NaiveDate, NaiveDateTime, Offset as _, TimeZone, Timelike};
use chrono_tz::Tz;
use rayon::prelude::*;

// The timeframe value itself is a chart-file type (config parses it, with
// located errors); aggregation lives here.
pub use crate::config::timeframe::{Timeframe, TimeframeParseError, Unit};

const NS_PER_SEC: i64 = 1_000_000_000;
const NS_PER_DAY: i64 = 86_400 * NS_PER_SEC;
/// Input rows per chunk below which splitting does not pay.
const MIN_CHUNK: usize = 1 << 16;

/// Why an aggregation failed. Indices are 0-based positions in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// Timestamps go backwards.
    #[error(
        "timestamps are not sorted: row {index} ({found}) comes before row {prev_index} ({prev}); sort the data by time before aggregating"
    )]
    Unsorted {
        /// Row whose timestamp is earlier than its predecessor's.
        index: usize,
        /// The row before it.
        prev_index: usize,
        /// Its timestamp (RFC 3339).
        found: String,
        /// The predecessor's timestamp.
        prev: String,
    },
    /// A column's length differs from the timestamps'.
    #[error("column `{column}` has {found} values but there are {expected} timestamps")]
    Length {
        /// Column name.
        column: &'static str,
        /// Its length.
        found: usize,
        /// Number of timestamps.
        expected: usize,
    },
    /// The bucket of a timestamp starts outside the representable range
    /// (years 1677 to 2262 in i64 nanoseconds).
    #[error(
        "timestamp {ns} ns at row {index} has no {timeframe} bucket in the representable range (years 1677 to 2262)"
    )]
    OutOfRange {
        /// Row.
        index: usize,
        /// Its timestamp.
        ns: i64,
        /// The timeframe.
        timeframe: Timeframe,
    },
}

/// Bars: bucket start timestamps (UTC ns) and OHLCV columns, one row per
/// non-empty bucket, ascending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    /// Bucket starts, UTC nanoseconds.
    pub time: Vec<i64>,
    /// First price (or first open).
    pub open: Vec<f64>,
    /// Highest price.
    pub high: Vec<f64>,
    /// Lowest price.
    pub low: Vec<f64>,
    /// Last price (or last close).
    pub close: Vec<f64>,
    /// Sum of sizes (0 when the input has none).
    pub volume: Vec<f64>,
    /// Ticks (or summed counts of the finer bars).
    pub count: Vec<u64>,
}

impl Bars {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    fn with_capacity(n: usize) -> Bars {
        Bars {
            time: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
            count: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, b: &Acc) {
        self.time.push(b.start);
        self.open.push(b.open);
        self.high.push(b.high);
        self.low.push(b.low);
        self.close.push(b.close);
        self.volume.push(b.volume);
        self.count.push(b.count);
    }

    fn set_last(&mut self, b: &Acc) {
        if let Some(i) = self.time.len().checked_sub(1) {
            self.open[i] = b.open;
            self.high[i] = b.high;
            self.low[i] = b.low;
            self.close[i] = b.close;
            self.volume[i] = b.volume;
            self.count[i] = b.count;
        }
    }

    fn append(&mut self, mut other: Bars) {
        self.time.append(&mut other.time);
        self.open.append(&mut other.open);
        self.high.append(&mut other.high);
        self.low.append(&mut other.low);
        self.close.append(&mut other.close);
        self.volume.append(&mut other.volume);
        self.count.append(&mut other.count);
    }
}

/// Decides bucket boundaries for a [`Timeframe`] in an optional time zone
/// (see the module docs for the rules).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aligner {
    tf: Timeframe,
    /// `None` for UTC (pure arithmetic; `Some(UTC)` is mapped to it).
    tz: Option<Tz>,
    /// Duration in ns for s/m/h.
    dur: i64,
}

impl Aligner {
    /// An aligner for `tf`, on the wall clock of `tz` (UTC when `None`).
    pub fn new(tf: Timeframe, tz: Option<Tz>) -> Aligner {
        let unit_ns = match tf.unit {
            Unit::Second => NS_PER_SEC,
            Unit::Minute => 60 * NS_PER_SEC,
            Unit::Hour => 3_600 * NS_PER_SEC,
            _ => 0,
        };
        Aligner {
            tf,
            tz: tz.filter(|z| *z != Tz::UTC),
            // At most 200 years (checked when parsing; fields are public, so
            // saturate rather than overflow).
            dur: unit_ns.saturating_mul(i64::from(tf.count)).max(1),
        }
    }

    /// The timeframe.
    pub fn timeframe(&self) -> Timeframe {
        self.tf
    }

    /// The time zone (`None` for UTC).
    pub fn time_zone(&self) -> Option<Tz> {
        self.tz
    }

    /// The start of `t`'s bucket (UTC ns), or `None` when it is not
    /// representable.
    pub fn bucket_start(&self, t: i64) -> Option<i64> {
        self.bucket(t).map(|(s, _)| s)
    }

    /// `t`'s bucket as `[start, end)` in UTC ns; `end` saturates at
    /// `i64::MAX` for the last representable bucket.
    pub fn bucket(&self, t: i64) -> Option<(i64, i64)> {
        match self.tz {
            None => self.bucket_utc(t),
            Some(tz) => self.bucket_tz(tz, t),
        }
    }

    fn bucket_utc(&self, t: i64) -> Option<(i64, i64)> {
        match self.tf.unit {
            Unit::Second | Unit::Minute | Unit::Hour => {
                let s = t.div_euclid(self.dur).checked_mul(self.dur)?;
                Some((s, s.saturating_add(self.dur)))
            }
            _ => {
                let j = self.index_of_wall(t)?;
                let s = self.wall_start(j)?;
                let e = self.wall_start(j + 1).unwrap_or(i64::MAX);
                Some((s, e))
            }
        }
    }

    fn bucket_tz(&self, tz: Tz, t: i64) -> Option<(i64, i64)> {
        let w = t.checked_add(offset_ns(tz, t))?;
        let mut j = self.index_of_wall(w)?;
        // `first(start(j)) <= t` always (t itself reached that wall time);
        // after a fall-back a later start may have been reached already.
        let mut next = first_instant(tz, self.wall_start(j + 1)?);
        if next.is_some_and(|n| n <= t) {
            // Gallop then bisect for the largest j with first(start(j)) <= t.
            let mut lo = j + 1;
            let mut step = 1i64;
            let mut hi = loop {
                let cand = lo.checked_add(step)?;
                match first_instant(tz, self.wall_start(cand)?) {
                    Some(f) if f <= t => {
                        lo = cand;
                        step = step.saturating_mul(2);
                    }
                    _ => break cand,
                }
            };
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                match first_instant(tz, self.wall_start(mid)?) {
                    Some(f) if f <= t => lo = mid,
                    _ => hi = mid,
                }
            }
            j = lo;
            next = first_instant(tz, self.wall_start(hi)?);
        }
        let start = first_instant(tz, self.wall_start(j)?)?;
        Some((start, next.unwrap_or(i64::MAX)))
    }

    /// The bucket index of wall time `w` (ns since the naive 1970 epoch).
    fn index_of_wall(&self, w: i64) -> Option<i64> {
        let dur = self.dur;
        let n = i64::from(self.tf.count);
        Some(match self.tf.unit {
            Unit::Second | Unit::Minute | Unit::Hour => w.div_euclid(dur),
            Unit::Day => w.div_euclid(NS_PER_DAY).div_euclid(n),
            // Day -3 (1969-12-29) is a Monday.
            Unit::Week => (w.div_euclid(NS_PER_DAY) + 3).div_euclid(7 * n),
            Unit::Month => {
                let d = naive_of(w)?;
                let m = i64::from(chrono::Datelike::year(&d)) * 12
                    + i64::from(chrono::Datelike::month0(&d));
                m.div_euclid(n)
            }
        })
    }

    /// The wall time (ns since the naive 1970 epoch) where bucket `j` starts.
    fn wall_start(&self, j: i64) -> Option<i64> {
        let n = i64::from(self.tf.count);
        match self.tf.unit {
            Unit::Second | Unit::Minute | Unit::Hour => j.checked_mul(self.dur),
            Unit::Day => j.checked_mul(n)?.checked_mul(NS_PER_DAY),
            Unit::Week => j
                .checked_mul(7 * n)?
                .checked_sub(3)?
                .checked_mul(NS_PER_DAY),
            Unit::Month => {
                let m = j.checked_mul(n)?;
                let year = i32::try_from(m.div_euclid(12)).ok()?;
                let month = u32::try_from(m.rem_euclid(12)).ok()? + 1;
                let d = NaiveDate::from_ymd_opt(year, month, 1)?;
                let days = d
                    .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
                    .num_days();
                days.checked_mul(NS_PER_DAY)
            }
        }
    }
}

/// UTC offset of `tz` at instant `t`, in ns.
fn offset_ns(tz: Tz, t: i64) -> i64 {
    let secs = t.div_euclid(NS_PER_SEC);
    let naive = chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default();
    i64::from(tz.offset_from_utc_datetime(&naive).fix().local_minus_utc()) * NS_PER_SEC
}

fn naive_of(w: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(
        w.div_euclid(NS_PER_SEC),
        u32::try_from(w.rem_euclid(NS_PER_SEC)).ok()?,
    )
    .map(|d| d.naive_utc())
}

/// The first instant (UTC ns) at which `tz`'s wall clock reads `w` or later.
fn first_instant(tz: Tz, w: i64) -> Option<i64> {
    let naive = naive_of(w)?;
    let sub = i64::from(naive.nanosecond());
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => x
            .timestamp()
            .checked_mul(NS_PER_SEC)?
            .checked_add(sub.min(NS_PER_SEC - 1)),
        chrono::LocalResult::None => {
            // `w` lies in a gap (clocks sprang forward over it): the answer is
            // the instant of the change. Offsets stay within ±16 h, so the
            // wall clock is below `w` at `w - 16 h` and above it at `w + 16 h`.
            let span = 16 * 3_600 * NS_PER_SEC;
            let mut lo = w.checked_sub(span)?;
            let mut hi = w.checked_add(span)?;
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if mid.saturating_add(offset_ns(tz, mid)) >= w {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Some(hi)
        }
    }
}

/// Accumulator of the bar in progress.
#[derive(Debug, Clone, Copy)]
struct Acc {
    start: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    count: u64,
}

impl Acc {
    /// Folds one row (a tick: `o = h = l = c`, `n = 1`; or a finer bar)
    /// into the bar in progress.
    #[inline(always)]
    fn fold(&mut self, o: f64, h: f64, l: f64, cl: f64, v: f64, n: u64) {
        if self.count == 0 {
            self.open = o;
            self.high = h;
            self.low = l;
            self.volume = v;
        } else {
            // Written as comparisons (not f64::max) so that signed zeros keep
            // the first value, deterministically.
            if h > self.high {
                self.high = h;
            }
            if l < self.low {
                self.low = l;
            }
            self.volume += v;
        }
        self.close = cl;
        self.count += n;
    }
}

/// Where the sequential loop stands between calls: the bucket of the last row
/// seen and the bar accumulated in it (count 0: none yet).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    end: i64,
    bar: Acc,
    /// The previous row's timestamp and its global index, for the order check.
    prev: Option<(i64, usize)>,
}

impl Cursor {
    fn new() -> Cursor {
        Cursor {
            end: i64::MIN,
            bar: Acc {
                start: i64::MIN,
                open: 0.0,
                high: 0.0,
                low: 0.0,
                close: 0.0,
                volume: 0.0,
                count: 0,
            },
            prev: None,
        }
    }
}

/// One input row, read by the sequential loop.
trait Rows: Sync {
    fn len(&self) -> usize;
    fn time(&self, i: usize) -> i64;
    /// (open, high, low, close, volume, count); `None` when the row is
    /// skipped (non-finite price).
    fn row(&self, i: usize) -> Option<(f64, f64, f64, f64, f64, u64)>;
}

struct Ticks<'a> {
    time: &'a [i64],
    price: &'a [f64],
    size: Option<&'a [f64]>,
}

impl Rows for Ticks<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.time.len()
    }
    #[inline(always)]
    fn time(&self, i: usize) -> i64 {
        self.time[i]
    }
    #[inline(always)]
    fn row(&self, i: usize) -> Option<(f64, f64, f64, f64, f64, u64)> {
        let p = self.price[i];
        if !p.is_finite() {
            return None;
        }
        let v = match self.size {
            Some(s) if s[i].is_finite() => s[i],
            _ => 0.0,
        };
        Some((p, p, p, p, v, 1))
    }
}

/// Finer bars as input to [`aggregate_bars`].
#[derive(Debug, Clone, Copy)]
pub struct BarsIn<'a> {
    /// Bar start timestamps, UTC ns, non-decreasing.
    pub time: &'a [i64],
    /// Opens.
    pub open: &'a [f64],
    /// Highs.
    pub high: &'a [f64],
    /// Lows.
    pub low: &'a [f64],
    /// Closes.
    pub close: &'a [f64],
    /// Volumes (0 when `None`).
    pub volume: Option<&'a [f64]>,
    /// Tick counts of the finer bars (1 per bar when `None`).
    pub count: Option<&'a [u64]>,
}

impl<'a> BarsIn<'a> {
    /// Views [`Bars`] as input, e.g. to chain 1m → 1h.
    pub fn from_bars(b: &'a Bars) -> BarsIn<'a> {
        BarsIn {
            time: &b.time,
            open: &b.open,
            high: &b.high,
            low: &b.low,
            close: &b.close,
            volume: Some(&b.volume),
            count: Some(&b.count),
        }
    }

    fn check(&self) -> Result<(), AggregateError> {
        let n = self.time.len();
        let lens = [
            ("open", Some(self.open.len())),
            ("high", Some(self.high.len())),
            ("low", Some(self.low.len())),
            ("close", Some(self.close.len())),
            ("volume", self.volume.map(<[f64]>::len)),
            ("count", self.count.map(<[u64]>::len)),
        ];
        for (column, len) in lens {
            if let Some(found) = len.filter(|&l| l != n) {
                return Err(AggregateError::Length {
                    column,
                    found,
                    expected: n,
                });
            }
        }
        Ok(())
    }
}

impl Rows for BarsIn<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.time.len()
    }
    #[inline(always)]
    fn time(&self, i: usize) -> i64 {
        self.time[i]
    }
    #[inline(always)]
    fn row(&self, i: usize) -> Option<(f64, f64, f64, f64, f64, u64)> {
        let (o, h, l, c) = (self.open[i], self.high[i], self.low[i], self.close[i]);
        if !(o.is_finite() && h.is_finite() && l.is_finite() && c.is_finite()) {
            return None;
        }
        let v = match self.volume {
            Some(s) if s[i].is_finite() => s[i],
            _ => 0.0,
        };
        Some((o, h, l, c, v, self.count.map_or(1, |n| n[i])))
    }
}

/// The sequential loop over rows `range` of `rows`: closed bars are pushed to
/// `out`; the bar of the last bucket stays in `cur` (not pushed).
fn run<R: Rows>(
    al: &Aligner,
    rows: &R,
    range: std::ops::Range<usize>,
    cur: &mut Cursor,
    out: &mut Bars,
) -> Result<(), AggregateError> {
    let mut c = *cur;
    let mut b = c.bar;
    let mut prev_t = c.prev.map_or(i64::MIN, |p| p.0);
    let (first, end) = (range.start, range.end);
    for i in range {
        let t = rows.time(i);
        if t < prev_t {
            *cur = Cursor { bar: b, ..c };
            let prev_index = if i == first {
                c.prev.map_or(i, |p| p.1)
            } else {
                i - 1
            };
            return Err(AggregateError::Unsorted {
                index: i,
                prev_index,
                found: super::format_utc(t),
                prev: super::format_utc(prev_t),
            });
        }
        prev_t = t;
        if t >= c.end {
            let Some((s, e)) = al.bucket(t) else {
                c.prev = Some((t, i));
                *cur = Cursor { bar: b, ..c };
                return Err(AggregateError::OutOfRange {
                    index: i,
                    ns: t,
                    timeframe: al.tf,
                });
            };
            // `s == b.start` only when the previous end saturated.
            if s != b.start {
                if b.count > 0 {
                    out.push(&b);
                }
                b.start = s;
                b.count = 0;
            }
            c.end = e;
        }
        let Some((o, h, l, cl, v, n)) = rows.row(i) else {
            continue;
        };
        b.fold(o, h, l, cl, v, n);
    }
    if end > first {
        c.prev = Some((prev_t, end - 1));
    }
    *cur = Cursor { bar: b, ..c };
    Ok(())
}

/// Runs `rows` in parallel chunks cut at bucket starts and concatenates.
fn aggregate<R: Rows>(al: &Aligner, rows: &R, chunks: usize) -> Result<Bars, AggregateError> {
    aggregate_with(al, rows, chunks, |r| run_chunk(al, rows, r))
}

/// [`aggregate`] with `chunk` turning each chunk's rows into its bars.
fn aggregate_with<R: Rows>(
    al: &Aligner,
    rows: &R,
    chunks: usize,
    chunk: impl Fn(std::ops::Range<usize>) -> Result<Bars, AggregateError> + Sync,
) -> Result<Bars, AggregateError> {
    let n = rows.len();
    let chunks = chunks.clamp(1, n.max(1));
    let mut cuts = vec![0usize];
    for k in 1..chunks {
        let p = k * n / chunks;
        // Move the cut back to the first row of the bucket `p` falls into,
        // so that no bucket spans two chunks. Unsorted input makes this
        // meaningless, but then a chunk reports the error anyway.
        let cut = match al.bucket_start(rows.time(p)) {
            Some(s) => partition_point(rows, |t| t < s),
            None => p,
        };
        let last = cuts.last().copied().unwrap_or(0);
        if cut > last {
            cuts.push(cut);
        }
    }
    cuts.push(n);
    let ranges: Vec<_> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    super::name_worker_threads();
    let parts: Vec<Result<Bars, AggregateError>> = ranges.into_par_iter().map(&chunk).collect();
    let mut all = Bars::default();
    for p in parts {
        all.append(p?);
    }
    Ok(all)
}

/// One chunk on the per-tick loop, its last bar included.
fn run_chunk<R: Rows>(
    al: &Aligner,
    rows: &R,
    r: std::ops::Range<usize>,
) -> Result<Bars, AggregateError> {
    let mut cur = Cursor::new();
    if r.start > 0 {
        cur.prev = Some((rows.time(r.start - 1), r.start - 1));
    }
    let mut out = Bars::with_capacity(64);
    run(al, rows, r, &mut cur, &mut out)?;
    if cur.bar.count > 0 {
        out.push(&cur.bar);
    }
    Ok(out)
}

/// Four chunks per thread (for balance), but none under [`MIN_CHUNK`] rows.
fn default_chunks(n: usize) -> usize {
    // Before current_num_threads, which starts the global pool.
    super::name_worker_threads();
    (4 * rayon::current_num_threads()).min(n.div_ceil(MIN_CHUNK))
}

fn partition_point<R: Rows>(rows: &R, pred: impl Fn(i64) -> bool) -> usize {
    let (mut lo, mut hi) = (0usize, rows.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(rows.time(mid)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn check_len(column: &'static str, found: usize, expected: usize) -> Result<(), AggregateError> {
    if found == expected {
        Ok(())
    } else {
        Err(AggregateError::Length {
            column,
            found,
            expected,
        })
    }
}

/// Aggregates ticks into bars on every core (see the module docs).
/// `time` are UTC ns, non-decreasing; `size` is optional.
pub fn aggregate_ticks(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
) -> Result<Bars, AggregateError> {
    aggregate_ticks_in_chunks(al, time, price, size, default_chunks(time.len()))
}

/// [`aggregate_ticks`] with an explicit number of chunks (1 = one sequential
/// pass on the calling thread's pool); the result does not depend on it.
pub fn aggregate_ticks_in_chunks(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    chunks: usize,
) -> Result<Bars, AggregateError> {
    check_len("price", price.len(), time.len())?;
    if let Some(s) = size {
        check_len("size", s.len(), time.len())?;
    }
    let rows = Ticks { time, price, size };
    aggregate_with(al, &rows, chunks, |r| {
        // The kernel declines unsorted or out-of-range chunks; the per-tick
        // loop then finds and reports the first offending row.
        match fast::ticks(al, time, price, size, r.clone()) {
            Some(bars) => Ok(bars),
            None => run_chunk(al, &rows, r),
        }
    })
}

/// [`aggregate_ticks_in_chunks`] on the per-tick loop alone, without the
/// bucket-at-a-time kernel: the reference the kernel is tested against and
/// the "before" of `--bench timeframe`. Same result, bit for bit.
pub fn aggregate_ticks_per_tick(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    chunks: usize,
) -> Result<Bars, AggregateError> {
    check_len("price", price.len(), time.len())?;
    if let Some(s) = size {
        check_len("size", s.len(), time.len())?;
    }
    aggregate(al, &Ticks { time, price, size }, chunks)
}

/// Aggregates finer bars into coarser ones on every core.
pub fn aggregate_bars(al: &Aligner, bars: &BarsIn<'_>) -> Result<Bars, AggregateError> {
    aggregate_bars_in_chunks(al, bars, default_chunks(bars.time.len()))
}

/// [`aggregate_bars`] with an explicit number of chunks.
pub fn aggregate_bars_in_chunks(
    al: &Aligner,
    bars: &BarsIn<'_>,
    chunks: usize,
) -> Result<Bars, AggregateError> {
    bars.check()?;
    aggregate(al, bars, chunks)
}

/// What an [`TimeframeAgg::append`] changed: if `replaced_last`, the bar that
/// was last before the call has new values (TradingView: `update` with the
/// same time); then `appended` bars were added after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Update {
    /// The previously last bar changed.
    pub replaced_last: bool,
    /// Bars added at the end.
    pub appended: usize,
}

/// Incremental aggregation for live data: keeps the open (last) bucket so
/// that each append costs O(appended ticks). The bars always equal
/// [`aggregate_ticks`] over every tick appended so far (tested).
#[derive(Debug, Clone)]
pub struct TimeframeAgg {
    al: Aligner,
    bars: Bars,
    cur: Cursor,
    /// Ticks appended so far (for row numbers in errors).
    rows: usize,
}

impl TimeframeAgg {
    /// An empty aggregation.
    pub fn new(al: Aligner) -> TimeframeAgg {
        TimeframeAgg {
            al,
            bars: Bars::default(),
            cur: Cursor::new(),
            rows: 0,
        }
    }

    /// The bars so far (the last one may still change).
    pub fn bars(&self) -> &Bars {
        &self.bars
    }

    /// The aligner.
    pub fn aligner(&self) -> &Aligner {
        &self.al
    }

    /// Continues an aggregation after `rows` input rows whose bars, all
    /// closed, are `closed`: the next row appended must lie in a later
    /// bucket than the last of them (typically the caller drops the last,
    /// still open, bar and appends that bucket's input rows again, which
    /// costs O(rows in one bucket), not a re-aggregation of the history).
    /// Row numbers in later errors count from `rows`.
    pub fn resume(al: Aligner, closed: Bars, rows: usize) -> TimeframeAgg {
        TimeframeAgg {
            al,
            bars: closed,
            cur: Cursor::new(),
            rows,
        }
    }

    /// Appends ticks (timestamps not before the last one appended). On an
    /// error the bars stay as they were before the call; row numbers in the
    /// error count every tick appended since the aggregation was made.
    pub fn append(
        &mut self,
        time: &[i64],
        price: &[f64],
        size: Option<&[f64]>,
    ) -> Result<Update, AggregateError> {
        check_len("price", price.len(), time.len())?;
        if let Some(s) = size {
            check_len("size", s.len(), time.len())?;
        }
        self.append_rows(Ticks { time, price, size }, time.len())
    }

    /// Appends finer bars (as [`aggregate_bars`] reads them), with the same
    /// contract as [`TimeframeAgg::append`].
    pub fn append_bars(&mut self, bars: &BarsIn<'_>) -> Result<Update, AggregateError> {
        bars.check()?;
        self.append_rows(*bars, bars.time.len())
    }

    fn append_rows<R: Rows>(&mut self, inner: R, n: usize) -> Result<Update, AggregateError> {
        // Offsets shift local indices to the global row numbers.
        let rows = Shifted {
            base: self.rows,
            inner,
        };
        let before_len = self.bars.len();
        let before_open = self.cur.bar;
        let open_pushed = before_open.count > 0;
        let mut cur = self.cur;
        let mut closed = Bars::default();
        run(
            &self.al,
            &rows,
            self.rows..self.rows + n,
            &mut cur,
            &mut closed,
        )?;
        // The open bar was last in `bars`; the bars closed by this call
        // start with it when it closed.
        let mut update = Update::default();
        let mut closed_iter = 0;
        if open_pushed {
            let now = if closed.time.first() == Some(&before_open.start) {
                closed_iter = 1;
                Acc {
                    start: closed.time[0],
                    open: closed.open[0],
                    high: closed.high[0],
                    low: closed.low[0],
                    close: closed.close[0],
                    volume: closed.volume[0],
                    count: closed.count[0],
                }
            } else if cur.bar.start == before_open.start {
                cur.bar
            } else {
                before_open
            };
            if now.count != before_open.count {
                self.bars.set_last(&now);
                update.replaced_last = true;
            }
        }
        for k in closed_iter..closed.len() {
            self.bars.push(&Acc {
                start: closed.time[k],
                open: closed.open[k],
                high: closed.high[k],
                low: closed.low[k],
                close: closed.close[k],
                volume: closed.volume[k],
                count: closed.count[k],
            });
        }
        if cur.bar.count > 0 && !(open_pushed && cur.bar.start == before_open.start) {
            self.bars.push(&cur.bar);
        }
        update.appended = self.bars.len() - before_len;
        self.cur = cur;
        self.rows += n;
        Ok(update)
    }
}

/// Rows shifted by `base` (global row numbers for [`TimeframeAgg`]).
struct Shifted<R> {
    base: usize,
    inner: R,
}

impl<R: Rows> Rows for Shifted<R> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.base + self.inner.len()
    }
    #[inline(always)]
    fn time(&self, i: usize) -> i64 {
        self.inner.time(i - self.base)
    }
    #[inline(always)]
    fn row(&self, i: usize) -> Option<(f64, f64, f64, f64, f64, u64)> {
        self.inner.row(i - self.base)
    }
}

mod fast;

#[cfg(test)]
mod tests;
