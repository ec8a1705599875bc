//! The native array functions behind the Lua `ta` table.
//!
//! Each function takes whole series (`&[f64]`, NaN = no value) and returns a
//! new `Vec<f64>` as long as its first input. The moving averages and
//! oscillators follow TA-Lib: the same formulas, the same seeding and the
//! same first index ("lookback"); each function's doc names its TA-Lib
//! counterpart and any difference.
//!
//! # Missing values
//! * Window and recursive functions ([`sma`], [`ema`], [`wma`], [`rma`],
//!   [`rsi`], [`stdev`], [`highest`], [`lowest`], [`atr`]) treat a non-finite
//!   input (NaN, ±inf) as a gap. Their output is what TA-Lib gives when run
//!   separately on each gap-free stretch of the input, and NaN on the gap
//!   rows. So leading NaNs (an indicator of an indicator) move the first value
//!   exactly as TA-Lib's Python wrapper does (it starts the C call at the
//!   first non-NaN input), and after a gap in the middle a window function
//!   resumes once its window is past the gap while a recursive one seeds
//!   again from the next `n` inputs. (TA-Lib's C code keeps a NaN in its
//!   running sums and recursions for good: one missing bar would erase the
//!   rest of the line.)
//!   These are the conventions of the `sma` and `ema` plugins.
//! * Element-wise functions ([`change`], [`tr`], [`crossover`],
//!   [`crossunder`], [`select`], [`max2`], [`min2`], [`barssince`],
//!   [`valuewhen`]) look only at the rows they name; each says what a NaN
//!   does. ±inf are ordinary values there, except in [`tr`], which needs
//!   finite prices.
//! * [`cum`] skips non-finite inputs (NaN on their rows), like pandas'
//!   `cumsum`.
//!
//! # Periods
//! A period is a `usize` already checked by [`check_period`]. A period of 0
//! gives all NaN rather than a panic; a period longer than the series gives
//! all NaN, as in TA-Lib.
//!
//! # Inputs of different lengths
//! The Lua engine passes series of one length. Should they differ, the output
//! is as long as the first input and a shorter input reads as NaN past its
//! end (as `s[i]` does in Lua).
//!
//! # Precision
//! Sliding-window sums use Neumaier compensation, as the `sma` plugin does, so
//! no rounding error outlives the values that caused it: after a 1e12 spike
//! leaves a window of prices near 100, SMA, WMA and stdev are still right to
//! ~1e-15. Recursive functions (EMA, RMA, RSI, ATR) repeat TA-Lib's
//! operations in TA-Lib's order and agree with it to ~1e-14 on AAPL.

use std::collections::VecDeque;

const NAN: f64 = f64::NAN;

/// Validates a period argument of the `ta` function `name` (`"sma"`; a
/// leading `"ta."` is accepted too) for a series of `len` values.
///
/// Errors with `ta.sma: period must be a positive integer, got -3` when
/// `n < 1`. A period longer than the series is valid (the result is all NaN);
/// the returned period is capped at `len + 1`, which gives the same all-NaN
/// result and keeps arithmetic on the period such as `n * (n + 1) / 2` far
/// from overflow.
pub fn check_period(name: &str, n: i64, len: usize) -> Result<usize, String> {
    let name = name.strip_prefix("ta.").unwrap_or(name);
    if n < 1 {
        return Err(format!(
            "ta.{name}: period must be a positive integer, got {n}"
        ));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    Ok(n.min(len.saturating_add(1)))
}

/// `s[i]`, or NaN past the end of `s`.
fn at(s: &[f64], i: usize) -> f64 {
    s.get(i).copied().unwrap_or(NAN)
}

/// Whether a condition value counts as true: non-zero and not NaN.
fn is_true(x: f64) -> bool {
    x != 0.0 && !x.is_nan()
}

/// Whether the window of `n` rows ending at row `i` is complete and holds no
/// gap, given the last gap row before or at `i`.
fn window_complete(last_gap: Option<usize>, i: usize, n: usize) -> bool {
    i + 1 >= n && last_gap.is_none_or(|g| i - g >= n)
}

/// A running sum with Neumaier (improved Kahan) compensation: `sum + comp`
/// is the exact sum of everything added, up to rounding of `comp` itself.
#[derive(Debug, Default, Clone, Copy)]
struct CompensatedSum {
    sum: f64,
    comp: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        // The branch picks the operand whose low bits were lost in `t`.
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds `a * b` exactly: the rounded product, then its rounding error
    /// (which `mul_add` gives exactly). A rounded product would leave its
    /// error in the sum after the value has left the window.
    fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        self.add(p);
        self.add(a.mul_add(b, -p));
    }

    fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Simple moving average: the mean of the `n` values ending at each row.
///
/// TA-Lib `SMA`: first value at index `n - 1` (of each gap-free stretch).
/// The window sum is compensated (see the module doc); TA-Lib keeps a plain
/// running sum, so the two differ by rounding only (<1e-13 relative on AAPL
/// closes). Same algorithm as the `sma` plugin.
pub fn sma(s: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    let mut sum = CompensatedSum::default();
    let mut gaps = 0usize;
    for i in 0..s.len() {
        // The sum holds the window's finite values; `gaps` counts the others.
        if s[i].is_finite() {
            sum.add(s[i]);
        } else {
            gaps += 1;
        }
        if i >= n {
            let old = s[i - n];
            if old.is_finite() {
                sum.add(-old);
            } else {
                gaps -= 1;
            }
        }
        if i + 1 >= n && gaps == 0 {
            out[i] = sum.value() / n as f64;
        }
    }
    out
}

/// A recursion seeded with the plain mean of the first `n` inputs of each
/// gap-free stretch (summed left to right, as TA-Lib does), then
/// `value = step(previous value, input)`.
fn seeded_recursion(s: &[f64], n: usize, step: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    let mut count = 0usize;
    let mut seed_sum = 0.0;
    let mut prev: Option<f64> = None;
    for (i, &x) in s.iter().enumerate() {
        if !x.is_finite() {
            (count, seed_sum, prev) = (0, 0.0, None);
            continue;
        }
        let value = match prev {
            Some(p) => step(p, x),
            None => {
                seed_sum += x;
                count += 1;
                if count < n {
                    continue;
                }
                seed_sum / n as f64
            }
        };
        prev = Some(value);
        out[i] = value;
    }
    out
}

/// Exponential moving average, `k = 2 / (n + 1)`.
///
/// TA-Lib `EMA` (default, non-Metastock): seeded with the mean of the first
/// `n` inputs at index `n - 1`, then `(x - prev) * k + prev`, TA-Lib's
/// operations in TA-Lib's order. Same algorithm as the `ema` plugin.
pub fn ema(s: &[f64], n: usize) -> Vec<f64> {
    let k = 2.0 / (n as f64 + 1.0);
    seeded_recursion(s, n, |prev, x| (x - prev) * k + prev)
}

/// Wilder's moving average (RMA, SMMA): `alpha = 1 / n`.
///
/// Seeded with the mean of the first `n` inputs at index `n - 1`, then
/// `(prev * (n - 1) + x) / n`: the smoothing TA-Lib applies inside `ATR` and
/// `RSI` (TA-Lib has no stand-alone RMA). Pine's `ta.rma` seeds the same way.
pub fn rma(s: &[f64], n: usize) -> Vec<f64> {
    let (nf, n_minus_1) = (n as f64, n.saturating_sub(1) as f64);
    seeded_recursion(s, n, |prev, x| (prev * n_minus_1 + x) / nf)
}

/// Linearly weighted moving average: weights `1..=n`, the newest row
/// weighing `n`, divided by `n * (n + 1) / 2`.
///
/// TA-Lib `WMA`: first value at index `n - 1`. Slid in O(1) per row with
/// compensated sums (TA-Lib keeps plain running sums).
pub fn wma(s: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    let weight_n = n as f64;
    let divisor = weight_n * (weight_n + 1.0) / 2.0;
    let mut last_gap = None;
    // (plain sum, weighted sum) of the window ending at the previous row,
    // while that window is complete.
    let mut sums: Option<(CompensatedSum, CompensatedSum)> = None;
    for (i, &x) in s.iter().enumerate() {
        if !x.is_finite() {
            last_gap = Some(i);
            sums = None;
            continue;
        }
        if !window_complete(last_gap, i, n) {
            continue;
        }
        let (plain, weighted) = match sums.take() {
            Some((mut plain, mut weighted)) => {
                // Moving on one row lowers every weight by one (the oldest
                // value's to zero): subtract the plain sum, both parts of it.
                weighted.add(-plain.sum);
                weighted.add(-plain.comp);
                weighted.add_product(weight_n, x);
                plain.add(x);
                plain.add(-s[i - n]);
                (plain, weighted)
            }
            None => {
                let mut plain = CompensatedSum::default();
                let mut weighted = CompensatedSum::default();
                for (k, &v) in s[i + 1 - n..=i].iter().enumerate() {
                    plain.add(v);
                    weighted.add_product((k + 1) as f64, v);
                }
                (plain, weighted)
            }
        };
        out[i] = weighted.value() / divisor;
        sums = Some((plain, weighted));
    }
    out
}

/// Relative strength index: `100 * avg_gain / (avg_gain + avg_loss)`, the
/// averages being Wilder's smoothing of the bar-to-bar gains and losses.
///
/// TA-Lib `RSI` (default, non-Metastock): the first value is at index `n`
/// (it needs `n` differences), seeded with the plain means of the first `n`
/// gains and losses; then `avg = (avg * (n - 1) + x) / n`, TA-Lib's
/// operations in its order. Where both averages are 0 (a flat stretch) the
/// value is 0, as in TA-Lib. Older TA-Lib builds also returned 0 when the sum
/// was merely below 1e-8; TA-Lib 0.8.2 (the reference) and this function
/// give 100 for gains of 1e-20.
///
/// `n = 1` (which TA-Lib rejects) gives 100 after a rise, 0 after a fall or
/// no change.
pub fn rsi(s: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    let (nf, n_minus_1) = (n as f64, (n - 1) as f64);
    let mut prev_x: Option<f64> = None;
    let (mut seeded, mut count, mut gain, mut loss) = (false, 0usize, 0.0, 0.0);
    for (i, &x) in s.iter().enumerate() {
        if !x.is_finite() {
            prev_x = None;
            continue;
        }
        let Some(p) = prev_x.replace(x) else {
            // First value of a gap-free stretch: no difference yet.
            (seeded, count, gain, loss) = (false, 0, 0.0, 0.0);
            continue;
        };
        let diff = x - p;
        if seeded {
            loss *= n_minus_1;
            gain *= n_minus_1;
        }
        if diff < 0.0 {
            loss -= diff;
        } else {
            gain += diff;
        }
        if !seeded {
            count += 1;
            if count < n {
                continue;
            }
            seeded = true;
        }
        loss /= nf;
        gain /= nf;
        let total = gain + loss;
        out[i] = if total == 0.0 {
            0.0
        } else {
            100.0 * (gain / total)
        };
    }
    out
}

/// Sums of a window's deviations `d = x - k` from a shift `k` (the mean of
/// an earlier window), for [`stdev`]. While the current mean stays within a
/// standard deviation of `k`, `sum(d²) - sum(d)² / n` loses at most a bit to
/// cancellation, where `mean(x²) - mean(x)²` loses `log2(mean² / var)` bits.
struct ShiftedSums {
    k: f64,
    d: CompensatedSum,
    d2: CompensatedSum,
}

impl ShiftedSums {
    fn new(window: &[f64]) -> Self {
        let mut mean = CompensatedSum::default();
        for &v in window {
            mean.add(v);
        }
        let k = mean.value() / window.len() as f64;
        let mut sums = ShiftedSums {
            k,
            d: CompensatedSum::default(),
            d2: CompensatedSum::default(),
        };
        for &v in window {
            sums.add(v, 1.0);
        }
        sums
    }

    /// Adds (`sign = 1`) or removes (`sign = -1`) one value. A removed value
    /// is shifted and squared with the same `k` as when it was added, so the
    /// same two doubles go out as came in.
    fn add(&mut self, v: f64, sign: f64) {
        let d = v - self.k;
        self.d.add(sign * d);
        self.d2.add(sign * (d * d));
    }

    fn population_variance(&self, n: usize) -> f64 {
        let nf = n as f64;
        let d = self.d.value();
        ((self.d2.value() - d * d / nf) / nf).max(0.0)
    }

    /// Whether the window mean has moved more than a standard deviation
    /// away from `k` (the data trended, jumped, or a spike left the window),
    /// so that the sums should be rebuilt around the current mean.
    fn off_centre(&self, n: usize) -> bool {
        let mean_minus_k = self.d.value() / n as f64;
        mean_minus_k * mean_minus_k > self.population_variance(n)
    }
}

/// Population standard deviation of the `n` values ending at each row.
///
/// TA-Lib `STDDEV` with `nbdev = 1`: first value at index `n - 1`. TA-Lib
/// computes `mean(x²) - mean(x)²` from plain running sums, which loses digits
/// to cancellation (4e-10 relative on AAPL closes against the exact value);
/// this slides compensated sums of deviations from a recent mean, and
/// re-centres them (O(n)) whenever the mean has moved more than a standard
/// deviation away: rarely on price data (a trend costs one re-centring per
/// ~n/4 rows, so the pass stays O(len)). Older TA-Lib builds return 0 where
/// the variance is below 1e-8 (a stdev below 1e-4); this returns the true
/// value, and 0 only for a constant window.
pub fn stdev(s: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    let mut last_gap = None;
    // Sums of the window ending at the previous row, while it is complete.
    let mut sums: Option<ShiftedSums> = None;
    for (i, &x) in s.iter().enumerate() {
        if !x.is_finite() {
            last_gap = Some(i);
            sums = None;
            continue;
        }
        if !window_complete(last_gap, i, n) {
            continue;
        }
        let window = &s[i + 1 - n..=i];
        let current = match sums.take() {
            Some(mut w) => {
                w.add(x, 1.0);
                w.add(s[i - n], -1.0);
                if w.off_centre(n) {
                    ShiftedSums::new(window)
                } else {
                    w
                }
            }
            None => ShiftedSums::new(window),
        };
        out[i] = current.population_variance(n).sqrt();
        sums = Some(current);
    }
    out
}

/// Sliding-window extreme with a monotonic deque: O(len) whatever `n`.
/// `displaces(new, old)` says whether a newer value makes an older one
/// useless as a future extreme.
fn window_extreme(s: &[f64], n: usize, displaces: fn(f64, f64) -> bool) -> Vec<f64> {
    let mut out = vec![NAN; s.len()];
    if n == 0 {
        return out;
    }
    // Indices of the values that can still be the extreme, oldest first;
    // their values run from the extreme down (or up) to the newest.
    let mut candidates: VecDeque<usize> = VecDeque::with_capacity(n.min(s.len()));
    let mut last_gap = None;
    for (i, &x) in s.iter().enumerate() {
        if !x.is_finite() {
            last_gap = Some(i);
            candidates.clear();
            continue;
        }
        while candidates.back().is_some_and(|&j| displaces(x, s[j])) {
            candidates.pop_back();
        }
        candidates.push_back(i);
        while candidates.front().is_some_and(|&j| i - j >= n) {
            candidates.pop_front();
        }
        if window_complete(last_gap, i, n)
            && let Some(&j) = candidates.front()
        {
            out[i] = s[j];
        }
    }
    out
}

/// Highest value of the `n` rows ending at each row.
///
/// TA-Lib `MAX`: first value at index `n - 1`. O(len) for any `n`.
pub fn highest(s: &[f64], n: usize) -> Vec<f64> {
    window_extreme(s, n, |new, old| new >= old)
}

/// Lowest value of the `n` rows ending at each row.
///
/// TA-Lib `MIN`: first value at index `n - 1`. O(len) for any `n`.
pub fn lowest(s: &[f64], n: usize) -> Vec<f64> {
    window_extreme(s, n, |new, old| new <= old)
}

/// `s[i] - s[i - n]`; NaN for the first `n` rows and where either value is
/// NaN.
///
/// TA-Lib `MOM`, element for element (TA-Lib's C loop is element-wise too,
/// so this matches it even with NaNs in the middle). IEEE arithmetic:
/// `inf - 1` is `inf`.
pub fn change(s: &[f64], n: usize) -> Vec<f64> {
    (0..s.len())
        .map(|i| {
            if n == 0 || i < n {
                NAN
            } else {
                s[i] - s[i - n]
            }
        })
        .collect()
}

/// Running sum. Non-finite inputs are skipped: their rows are NaN and the
/// total carries on past them (pandas' `cumsum`); rows before the first
/// finite value are NaN. The total is compensated, so it stays exact to
/// ~1 ulp over any length.
pub fn cum(s: &[f64]) -> Vec<f64> {
    let mut total = CompensatedSum::default();
    s.iter()
        .map(|&x| {
            if x.is_finite() {
                total.add(x);
                total.value()
            } else {
                NAN
            }
        })
        .collect()
}

/// TA-Lib's true range: the greatest of `high - low`,
/// `|prev_close - high|` and `|prev_close - low|`, compared in TA-Lib's order.
fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let to_high = (prev_close - high).abs();
    if to_high > greatest {
        greatest = to_high;
    }
    let to_low = (prev_close - low).abs();
    if to_low > greatest {
        greatest = to_low;
    }
    greatest
}

/// True range: `max(h - l, |h - c[i-1]|, |l - c[i-1]|)`, and `h - l` where
/// there is no previous close (the first row, or `c[i-1]` not finite); NaN
/// where `h` or `l` is not finite.
///
/// TA-Lib `TRANGE` is NaN on row 0 and after a missing close; this follows
/// the Lua API ("first bar: h - l", as Pine's `ta.tr(true)`). From row 1 on,
/// with finite inputs, the two are identical. [`atr`] does not use this: it
/// uses TA-Lib's true range.
pub fn tr(h: &[f64], l: &[f64], c: &[f64]) -> Vec<f64> {
    (0..h.len())
        .map(|i| {
            let (high, low) = (h[i], at(l, i));
            if !high.is_finite() || !low.is_finite() {
                return NAN;
            }
            let prev_close = if i == 0 { NAN } else { at(c, i - 1) };
            if prev_close.is_finite() {
                true_range(high, low, prev_close)
            } else {
                high - low
            }
        })
        .collect()
}

/// Average true range: Wilder's smoothing of the true range.
///
/// TA-Lib `ATR`: the true range starts at row 1 (it needs the previous
/// close); the first value, at index `n`, is the plain mean of
/// `TR[1..=n]`, then `(prev * (n - 1) + TR) / n`, TA-Lib's operations in its
/// order. `n = 1` gives TA-Lib's `TRANGE`, as TA-Lib does.
///
/// A bar is a gap unless its high, low and close are all finite, and the
/// true range needs two consecutive bars, so a gap bar costs `n` rows more
/// than the bar itself (as running TA-Lib on each stretch would). Note this
/// is not `rma(tr(h, l, c), n)`: [`tr`] has a value at row 0, so that would
/// start one row earlier with a different seed.
pub fn atr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![NAN; h.len()];
    if n == 0 {
        return out;
    }
    let (nf, n_minus_1) = (n as f64, (n - 1) as f64);
    let bar_ok = |i: usize| h[i].is_finite() && at(l, i).is_finite() && at(c, i).is_finite();
    let (mut seeded, mut count, mut sum, mut prev) = (false, 0usize, 0.0, 0.0);
    for i in 0..h.len() {
        if i == 0 || !bar_ok(i) || !bar_ok(i - 1) {
            (seeded, count, sum) = (false, 0, 0.0);
            continue;
        }
        let range = true_range(h[i], l[i], c[i - 1]);
        if seeded {
            prev *= n_minus_1;
            prev += range;
            prev /= nf;
        } else {
            sum += range;
            count += 1;
            if count < n {
                continue;
            }
            prev = sum / nf;
            seeded = true;
        }
        out[i] = prev;
    }
    out
}

/// Shared body of [`crossover`] and [`crossunder`]: NaN on row 0 and where
/// any of the four values is NaN, else 1 or 0 by `fired(a0, b0, a1, b1)`.
fn cross(a: &[f64], b: &[f64], fired: fn(f64, f64, f64, f64) -> bool) -> Vec<f64> {
    (0..a.len())
        .map(|i| {
            if i == 0 {
                return NAN;
            }
            let (a0, b0, a1, b1) = (a[i - 1], at(b, i - 1), a[i], at(b, i));
            if a0.is_nan() || b0.is_nan() || a1.is_nan() || b1.is_nan() {
                NAN
            } else if fired(a0, b0, a1, b1) {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

/// 1 where `a` crosses above `b` (`a[i] > b[i]` and `a[i-1] <= b[i-1]`),
/// else 0; NaN on row 0 and where any of the four values is NaN. (TA-Lib has
/// no such function; Pine's `ta.crossover`.)
pub fn crossover(a: &[f64], b: &[f64]) -> Vec<f64> {
    cross(a, b, |a0, b0, a1, b1| a1 > b1 && a0 <= b0)
}

/// 1 where `a` crosses below `b` (`a[i] < b[i]` and `a[i-1] >= b[i-1]`),
/// else 0; NaN on row 0 and where any of the four values is NaN.
pub fn crossunder(a: &[f64], b: &[f64]) -> Vec<f64> {
    cross(a, b, |a0, b0, a1, b1| a1 < b1 && a0 >= b0)
}

/// `a[i]` where `cond[i]` is non-zero and not NaN, else `b[i]` (a NaN
/// condition picks `b`).
pub fn select(cond: &[f64], a: &[f64], b: &[f64]) -> Vec<f64> {
    (0..cond.len())
        .map(|i| if is_true(cond[i]) { at(a, i) } else { at(b, i) })
        .collect()
}

/// Element-wise maximum; NaN where either is NaN (unlike `f64::max`, which
/// ignores a NaN).
pub fn max2(a: &[f64], b: &[f64]) -> Vec<f64> {
    (0..a.len())
        .map(|i| {
            let (x, y) = (a[i], at(b, i));
            if x.is_nan() || y.is_nan() {
                NAN
            } else {
                x.max(y)
            }
        })
        .collect()
}

/// Element-wise minimum; NaN where either is NaN.
pub fn min2(a: &[f64], b: &[f64]) -> Vec<f64> {
    (0..a.len())
        .map(|i| {
            let (x, y) = (a[i], at(b, i));
            if x.is_nan() || y.is_nan() {
                NAN
            } else {
                x.min(y)
            }
        })
        .collect()
}

/// Rows since `cond` was last true (non-zero and not NaN): 0 on a row where
/// it is true; NaN before the first true row. A NaN condition counts as
/// false. (Pine's `ta.barssince`.)
pub fn barssince(cond: &[f64]) -> Vec<f64> {
    let mut last: Option<usize> = None;
    (0..cond.len())
        .map(|i| {
            if is_true(cond[i]) {
                last = Some(i);
            }
            last.map_or(NAN, |j| (i - j) as f64)
        })
        .collect()
}

/// `s` at the last row where `cond` was true (non-zero and not NaN),
/// including the current row; NaN before the first true row (and if `s` was
/// NaN on that row). (Pine's `ta.valuewhen(cond, s, 0)`.)
pub fn valuewhen(cond: &[f64], s: &[f64]) -> Vec<f64> {
    let mut last = NAN;
    (0..cond.len())
        .map(|i| {
            if is_true(cond[i]) {
                last = at(s, i);
            }
            last
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Checked against `tests/data/ta_reference.csv`, written by
    //! `tests/data/make_ta_reference.py` from TA-Lib 0.8.2 (and pandas where
    //! TA-Lib has no such function), and against values worked out by hand.

    use super::*;
    use std::collections::HashMap;

    /// The reference file's columns by header name.
    struct Reference {
        columns: HashMap<String, Vec<f64>>,
    }

    impl Reference {
        fn load() -> Self {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ta_reference.csv");
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().expect("header row").split(',').collect();
            let mut columns: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
            for (row, line) in lines.enumerate() {
                let fields: Vec<&str> = line.split(',').collect();
                assert_eq!(fields.len(), header.len(), "row {row}: field count");
                // Column 0 is the date.
                for (col, field) in fields.iter().enumerate().skip(1) {
                    let v = field
                        .parse::<f64>()
                        .unwrap_or_else(|e| panic!("row {row} {}: {field:?}: {e}", header[col]));
                    columns[col].push(v);
                }
            }
            let columns = header
                .iter()
                .map(|h| h.to_string())
                .zip(columns)
                .skip(1)
                .collect();
            Reference { columns }
        }

        fn col(&self, name: &str) -> &[f64] {
            self.columns
                .get(name)
                .unwrap_or_else(|| panic!("no column {name} in the reference"))
        }
    }

    /// NaN exactly where `expected` is NaN; elsewhere within `rel` of it
    /// (relative to |expected|). Returns the largest relative error seen.
    fn assert_close(what: &str, actual: &[f64], expected: &[f64], rel: f64) -> f64 {
        assert_eq!(actual.len(), expected.len(), "{what}: length");
        let mut worst = 0.0_f64;
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            if e.is_nan() {
                assert!(a.is_nan(), "{what} row {i}: expected NaN, got {a}");
                continue;
            }
            let err = (a - e).abs();
            assert!(
                err <= rel * e.abs(),
                "{what} row {i}: got {a}, expected {e} (relative error {:e} > {rel:e})",
                err / e.abs()
            );
            if err > 0.0 {
                worst = worst.max(err / e.abs());
            }
        }
        eprintln!("{what}: worst relative error {worst:e}");
        worst
    }

    /// Same values bit for bit (NaN equals NaN).
    fn assert_identical(what: &str, actual: &[f64], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len(), "{what}: length");
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            assert!(
                a.to_bits() == e.to_bits() || (a.is_nan() && e.is_nan()),
                "{what} row {i}: {a} != {e}"
            );
        }
    }

    fn leading_nans(s: &[f64]) -> usize {
        s.iter().take_while(|v| v.is_nan()).count()
    }

    const NA: f64 = f64::NAN;

    // ---- against TA-Lib / pandas on AAPL ------------------------------------

    #[test]
    fn reference_is_the_aapl_series() {
        let r = Reference::load();
        assert_eq!(r.col("close").len(), 3270, "AAPL 2000-03-01..2013-03-01");
        // The reference itself follows TA-Lib's lookbacks.
        assert_eq!(leading_nans(r.col("sma_20")), 19);
        assert_eq!(leading_nans(r.col("rsi_14")), 14);
        assert_eq!(leading_nans(r.col("atr_14")), 14);
        assert_eq!(leading_nans(r.col("trange")), 1);
        assert_eq!(leading_nans(r.col("ema_20_of_sma_20")), 38);
    }

    #[test]
    fn sma_matches_talib() {
        let r = Reference::load();
        assert_close("sma 20", &sma(r.col("close"), 20), r.col("sma_20"), 1e-9);
    }

    #[test]
    fn ema_matches_talib() {
        let r = Reference::load();
        assert_close("ema 20", &ema(r.col("close"), 20), r.col("ema_20"), 1e-9);
    }

    #[test]
    fn wma_matches_talib() {
        let r = Reference::load();
        assert_close("wma 20", &wma(r.col("close"), 20), r.col("wma_20"), 1e-9);
    }

    #[test]
    fn rma_matches_the_explicit_wilder_recursion() {
        let r = Reference::load();
        assert_close("rma 14", &rma(r.col("close"), 14), r.col("rma_14"), 1e-9);
    }

    #[test]
    fn rsi_matches_talib() {
        let r = Reference::load();
        assert_close("rsi 14", &rsi(r.col("close"), 14), r.col("rsi_14"), 1e-9);
    }

    #[test]
    fn stdev_matches_talib_and_the_exact_value() {
        let r = Reference::load();
        let out = stdev(r.col("close"), 20);
        // TA-Lib's own error (plain running sums of x and x²) is up to 4e-10.
        assert_close("stdev 20 vs TA-Lib", &out, r.col("stddev_20"), 1e-9);
        assert_close("stdev 20 vs exact", &out, r.col("stddev_20_exact"), 1e-14);
    }

    #[test]
    fn highest_and_lowest_match_talib() {
        let r = Reference::load();
        // Selections, not arithmetic: the very same doubles.
        assert_identical("highest 20", &highest(r.col("close"), 20), r.col("max_20"));
        assert_identical("lowest 20", &lowest(r.col("close"), 20), r.col("min_20"));
    }

    #[test]
    fn change_matches_talib_mom() {
        let r = Reference::load();
        assert_identical("change 10", &change(r.col("close"), 10), r.col("mom_10"));
    }

    #[test]
    fn tr_matches_talib_trange_from_row_1_and_is_high_minus_low_on_row_0() {
        let r = Reference::load();
        let (h, l, c) = (r.col("high"), r.col("low"), r.col("close"));
        let out = tr(h, l, c);
        assert_eq!(out[0].to_bits(), (h[0] - l[0]).to_bits());
        assert!(r.col("trange")[0].is_nan(), "TA-Lib TRANGE has no row 0");
        assert_identical("tr from row 1", &out[1..], &r.col("trange")[1..]);
    }

    #[test]
    fn atr_matches_talib() {
        let r = Reference::load();
        let out = atr(r.col("high"), r.col("low"), r.col("close"), 14);
        assert_close("atr 14", &out, r.col("atr_14"), 1e-9);
    }

    #[test]
    fn cum_matches_pandas_cumsum() {
        let r = Reference::load();
        assert_close("cum close", &cum(r.col("close")), r.col("cum_close"), 1e-12);
    }

    #[test]
    fn cross_functions_match_pandas() {
        let r = Reference::load();
        let (a, b) = (r.col("sma_20"), r.col("ema_20"));
        let over = crossover(a, b);
        assert_identical("crossover", &over, r.col("cross"));
        assert_identical("crossunder", &crossunder(a, b), r.col("crossunder"));
        assert_identical("barssince", &barssince(&over), r.col("barssince_cross"));
        assert_identical(
            "valuewhen",
            &valuewhen(&over, r.col("close")),
            r.col("valuewhen_cross_close"),
        );
        // The data must exercise them: 110 crosses up, 111 down.
        assert_eq!(over.iter().filter(|&&v| v == 1.0).count(), 110);
    }

    // ---- leading NaN: an indicator of an indicator ---------------------------

    #[test]
    fn leading_nans_start_the_output_where_talib_does() {
        let r = Reference::load();
        // TA-Lib's SMA as input, so only the function under test is checked.
        let s = r.col("sma_20");
        assert_close("ema of sma", &ema(s, 20), r.col("ema_20_of_sma_20"), 1e-9);
        assert_close("wma of sma", &wma(s, 20), r.col("wma_20_of_sma_20"), 1e-9);
        assert_close("rsi of sma", &rsi(s, 14), r.col("rsi_14_of_sma_20"), 1e-9);
        // TA-Lib's own error here reaches 8.5e-10; the exact value decides.
        let out = stdev(s, 20);
        assert_close("stdev of sma", &out, r.col("stddev_20_of_sma_20"), 1e-9);
        let exact = r.col("stddev_20_of_sma_20_exact");
        assert_close("stdev of sma vs exact", &out, exact, 1e-14);
        assert_close("rma of sma", &rma(s, 14), r.col("rma_14_of_sma_20"), 1e-9);
        assert_identical("highest of sma", &highest(s, 20), r.col("max_20_of_sma_20"));
        assert_identical("lowest of sma", &lowest(s, 20), r.col("min_20_of_sma_20"));
        assert_identical("change of sma", &change(s, 10), r.col("mom_10_of_sma_20"));
        assert_eq!(leading_nans(&ema(s, 20)), 19 + 19);
        assert_eq!(leading_nans(&rsi(s, 14)), 19 + 14);
    }

    // ---- gaps in the middle --------------------------------------------------

    #[test]
    fn a_gap_gives_talib_on_each_gap_free_stretch() {
        let r = Reference::load();
        let g = r.col("close_gap");
        assert!(g[2500].is_infinite(), "the reference has an inf gap too");
        assert_close("sma gap", &sma(g, 20), r.col("sma_20_gap"), 1e-9);
        assert_close("ema gap", &ema(g, 20), r.col("ema_20_gap"), 1e-9);
        assert_close("wma gap", &wma(g, 20), r.col("wma_20_gap"), 1e-9);
        assert_close("rsi gap", &rsi(g, 14), r.col("rsi_14_gap"), 1e-9);
        let out = stdev(g, 20);
        assert_close("stdev gap", &out, r.col("stddev_20_gap"), 1e-9);
        assert_close(
            "stdev gap vs exact",
            &out,
            r.col("stddev_20_gap_exact"),
            1e-14,
        );
        assert_close("rma gap", &rma(g, 14), r.col("rma_14_gap"), 1e-9);
        assert_identical("highest gap", &highest(g, 20), r.col("max_20_gap"));
        assert_identical("lowest gap", &lowest(g, 20), r.col("min_20_gap"));
        let out = atr(r.col("high"), r.col("low"), g, 14);
        assert_close("atr gap", &out, r.col("atr_14_gap"), 1e-9);
    }

    #[test]
    fn element_wise_functions_with_gaps_match_the_reference() {
        let r = Reference::load();
        let g = r.col("close_gap");
        assert_identical("change gap", &change(g, 10), r.col("mom_10_gap"));
        assert_close("cum gap", &cum(g), r.col("cum_close_gap"), 1e-12);
        let out = tr(r.col("high"), r.col("low"), g);
        assert_identical("tr gap", &out, r.col("tr_gap"));
    }

    #[test]
    fn a_gap_blanks_exactly_the_windows_that_contain_it() {
        // 1..=12 with row 5 missing; the mean of 3 consecutive integers
        // ending at v is v - 1.
        let mut x: Vec<f64> = (1..=12).map(f64::from).collect();
        x[5] = NA;
        let expected = [NA, NA, 2.0, 3.0, 4.0, NA, NA, NA, 8.0, 9.0, 10.0, 11.0];
        assert_identical("sma", &sma(&x, 3), &expected);
        let expected = [NA, NA, 3.0, 4.0, 5.0, NA, NA, NA, 9.0, 10.0, 11.0, 12.0];
        assert_identical("highest", &highest(&x, 3), &expected);
        let expected = [NA, NA, 1.0, 2.0, 3.0, NA, NA, NA, 7.0, 8.0, 9.0, 10.0];
        assert_identical("lowest", &lowest(&x, 3), &expected);
        // Weights 1, 2, 3: (v-2 + 2(v-1) + 3v) / 6 = v - 2/3.
        let out = wma(&x, 3);
        for i in [2, 3, 4, 8, 9, 10, 11] {
            assert!((out[i] - (x[i] - 2.0 / 3.0)).abs() < 1e-12, "wma row {i}");
        }
        assert!(out[5..8].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn recursive_functions_seed_again_after_a_gap() {
        let x = [1.0, 2.0, 3.0, 4.0, f64::INFINITY, 6.0, 8.0, 10.0];
        // k = 0.5; seed mean(1, 2, 3) = 2; 4 -> 3. After the gap: mean(6, 8,
        // 10) = 8.
        assert_identical("ema", &ema(&x, 3), &[NA, NA, 2.0, 3.0, NA, NA, NA, 8.0]);
        // Seed 2; (2 * 2 + 4) / 3 = 8 / 3.
        assert_identical(
            "rma",
            &rma(&x, 3),
            &[NA, NA, 2.0, 8.0 / 3.0, NA, NA, NA, 8.0],
        );
        // Differences +1 +1 +1 | +2 +2: a stretch needs n + 1 values.
        let x = [1.0, 2.0, 3.0, 4.0, NA, 6.0, 8.0, 10.0];
        assert_identical(
            "rsi",
            &rsi(&x, 2),
            &[NA, NA, 100.0, 100.0, NA, NA, NA, 100.0],
        );
    }

    #[test]
    fn rsi_by_hand() {
        // Differences +1 +1 -1 +2. Seed (n = 2): gain (1 + 1) / 2 = 1, loss 0
        // -> 100. Then gain (1 + 0) / 2 = 0.5, loss (0 + 1) / 2 = 0.5 -> 50.
        // Then gain (0.5 + 2) / 2 = 1.25, loss 0.25 -> 100 * 1.25 / 1.5.
        let out = rsi(&[1.0, 2.0, 3.0, 2.0, 4.0], 2);
        assert_identical("rsi", &out, &[NA, NA, 100.0, 50.0, 100.0 * (1.25 / 1.5)]);
        // Tiny moves are moves: TA-Lib 0.8.2 gives 100 here too (older
        // builds treated gain + loss below 1e-8 as zero and gave 0).
        let out = rsi(&[0.0, 1e-20, 2e-20, 3e-20], 2);
        assert_identical("tiny rsi", &out, &[NA, NA, 100.0, 100.0]);
        // Flat: no gain, no loss -> 0, as TA-Lib.
        assert_identical("flat rsi", &rsi(&[5.0; 4], 2), &[NA, NA, 0.0, 0.0]);
        // n = 1: the last move's direction.
        let out = rsi(&[1.0, 2.0, 1.0, 1.0], 1);
        assert_identical("rsi 1", &out, &[NA, 100.0, 0.0, 0.0]);
    }

    #[test]
    fn atr_by_hand_with_a_missing_close() {
        let h = [10.0, 12.0, 13.0, 11.0, 14.0, 15.0, 16.0];
        let l = [9.0, 10.0, 11.0, 8.0, 12.0, 13.0, 14.0];
        let c = [9.5, 11.0, 12.0, 9.0, NA, 14.0, 15.0];
        // TR: row 1 max(2, |9.5-12|, |9.5-10|) = 2.5; row 2 max(2, 2, 0) = 2;
        // row 3 max(3, 1, 4) = 4. Rows 4..=5 have no TR (bar 4 is a gap,
        // bar 5 has no valid previous bar); row 6 max(2, 2, 0) = 2.
        let out = atr(&h, &l, &c, 2);
        // Seed (2.5 + 2) / 2 = 2.25 on row 2; (2.25 + 4) / 2 = 3.125.
        assert_identical("atr", &out, &[NA, NA, 2.25, 3.125, NA, NA, NA]);
        let out = atr(&h, &l, &c, 1);
        assert_identical("atr 1", &out, &[NA, 2.5, 2.0, 4.0, NA, NA, 2.0]);
        // ta.tr: h - l on row 0 and after the missing close (row 5).
        let out = tr(&h, &l, &c);
        // Row 4: max(2, |9 - 14|, |9 - 12|) = 5.
        assert_identical("tr", &out, &[1.0, 2.5, 2.0, 4.0, 5.0, 2.0, 2.0]);
    }

    #[test]
    fn stdev_by_hand() {
        // The textbook example: population stdev of 2 4 4 4 5 5 7 9 is 2.
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let out = stdev(&x, 8);
        assert_eq!(out[7], 2.0);
        assert!(out[..7].iter().all(|v| v.is_nan()));
        // A constant window is exactly 0, not a rounding residue.
        let out = stdev(&[1e9 + 0.1; 50], 7);
        assert!(out[6..].iter().all(|&v| v == 0.0), "{out:?}");
    }

    #[test]
    fn change_and_cum_by_hand() {
        let x = [1.0, 4.0, NA, 10.0, f64::INFINITY, 20.0];
        assert_identical(
            "change 1",
            &change(&x, 1),
            &[NA, 3.0, NA, NA, f64::INFINITY, f64::NEG_INFINITY],
        );
        assert_identical("change 2", &change(&x, 2), &[NA, NA, NA, 6.0, NA, 10.0]);
        assert_identical("cum", &cum(&x), &[1.0, 5.0, NA, 15.0, NA, 35.0]);
        assert_identical("cum leading nan", &cum(&[NA, 2.0, 3.0]), &[NA, 2.0, 5.0]);
    }

    #[test]
    fn element_wise_functions_by_hand() {
        let a = [1.0, 3.0, 3.0, 2.0, NA, 5.0, 1.0];
        let b = [2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 1.0];
        // Row 1: 3 > 2 after 1 <= 2, up. Row 2: equal is not above. Row 3:
        // 2 < 3 after 3 >= 3, down. Rows 4..=5 touch the NaN. Row 6: falling
        // onto b (1 == 1) is not below it.
        assert_identical(
            "crossover",
            &crossover(&a, &b),
            &[NA, 1.0, 0.0, 0.0, NA, NA, 0.0],
        );
        assert_identical(
            "crossunder",
            &crossunder(&a, &b),
            &[NA, 0.0, 0.0, 1.0, NA, NA, 0.0],
        );
        // Touching and leaving again is not a cross; staying above is not.
        let a2 = [1.0, 2.0, 3.0, 2.0, 1.0];
        let b2 = [2.0; 5];
        assert_identical("touch", &crossover(&a2, &b2), &[NA, 0.0, 1.0, 0.0, 0.0]);
        assert_identical(
            "touch down",
            &crossunder(&a2, &b2),
            &[NA, 0.0, 0.0, 0.0, 1.0],
        );

        let cond = [0.0, 1.0, NA, -2.0, 0.0];
        let x = [10.0, 11.0, 12.0, 13.0, 14.0];
        let y = [20.0, 21.0, 22.0, 23.0, 24.0];
        assert_identical(
            "select",
            &select(&cond, &x, &y),
            &[20.0, 11.0, 22.0, 13.0, 24.0],
        );
        assert_identical("barssince", &barssince(&cond), &[NA, 0.0, 1.0, 0.0, 1.0]);
        assert_identical(
            "valuewhen",
            &valuewhen(&cond, &x),
            &[NA, 11.0, 11.0, 13.0, 13.0],
        );
        assert_identical(
            "valuewhen of nan",
            &valuewhen(&[1.0, 0.0], &[NA, 1.0]),
            &[NA, NA],
        );

        assert_identical("max2", &max2(&a, &b), &[2.0, 3.0, 3.0, 3.0, NA, 5.0, 1.0]);
        assert_identical("min2", &min2(&a, &b), &[1.0, 2.0, 3.0, 2.0, NA, 1.0, 1.0]);
        let inf = f64::INFINITY;
        assert_identical("max2 inf", &max2(&[inf, -inf], &[1.0, 1.0]), &[inf, 1.0]);
    }

    #[test]
    fn shorter_inputs_read_as_nan_past_their_end() {
        let a = [1.0, 2.0, 3.0];
        assert_identical("max2", &max2(&a, &[5.0]), &[5.0, NA, NA]);
        assert_identical(
            "select",
            &select(&[1.0, 0.0, 1.0], &a, &[]),
            &[1.0, NA, 3.0],
        );
        assert_identical("crossover", &crossover(&a, &[0.0]), &[NA, NA, NA]);
        assert_identical("valuewhen", &valuewhen(&[1.0, 1.0], &[7.0]), &[7.0, NA]);
        assert_identical("tr", &tr(&a, &[0.0, 1.0], &[]), &[1.0, 1.0, NA]);
        assert_identical("atr", &atr(&a, &a, &[1.0], 1), &[NA, NA, NA]);
    }

    // ---- periods ------------------------------------------------------------

    /// A one-series function with a period.
    type PeriodFn = fn(&[f64], usize) -> Vec<f64>;

    /// Every period function, by name, for the edge-case tests.
    fn period_functions() -> Vec<(&'static str, PeriodFn)> {
        vec![
            ("sma", sma),
            ("ema", ema),
            ("wma", wma),
            ("rma", rma),
            ("rsi", rsi),
            ("stdev", stdev),
            ("highest", highest),
            ("lowest", lowest),
            ("change", change),
            ("atr", |s, n| atr(s, s, s, n)),
        ]
    }

    #[test]
    fn period_longer_than_the_series_is_all_nan_and_empty_stays_empty() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0];
        for (name, f) in period_functions() {
            let out = f(&x, 6);
            assert_eq!(out.len(), 5, "{name}");
            assert!(
                out.iter().all(|v| v.is_nan()),
                "{name}(6) of 5 values: {out:?}"
            );
            assert!(f(&x, 0).iter().all(|v| v.is_nan()), "{name}(0)");
            assert!(f(&[], 3).is_empty(), "{name} of nothing");
            assert!(f(&[], 0).is_empty(), "{name}(0) of nothing");
            assert!(f(&x, usize::MAX).iter().all(|v| v.is_nan()), "{name}(MAX)");
        }
        for f in [cum, barssince] {
            assert!(f(&[]).is_empty());
        }
        assert!(tr(&[], &[], &[]).is_empty());
        assert!(crossover(&[], &[]).is_empty());
        // A period equal to the length gives exactly the last row (sma,
        // wma, stdev, highest, lowest) or nothing (rsi, atr and change need
        // one more row).
        assert_identical("sma = len", &sma(&x, 5), &[NA, NA, NA, NA, 14.0 / 5.0]);
        assert_identical("highest = len", &highest(&x, 5), &[NA, NA, NA, NA, 5.0]);
        assert_identical("lowest = len", &lowest(&x, 5), &[NA, NA, NA, NA, 1.0]);
        assert_eq!(leading_nans(&wma(&x, 5)), 4);
        assert_eq!(leading_nans(&stdev(&x, 5)), 4);
        for out in [rsi(&x, 5), change(&x, 5), atr(&x, &x, &x, 5)] {
            assert!(out.iter().all(|v| v.is_nan()), "{out:?}");
        }
        assert_eq!(leading_nans(&rsi(&x, 4)), 4);
    }

    #[test]
    fn period_1_is_the_input_where_it_should_be() {
        let r = Reference::load();
        let c = r.col("close");
        assert_identical("sma 1", &sma(c, 1), c);
        assert_identical("wma 1", &wma(c, 1), c);
        assert_identical("rma 1", &rma(c, 1), c);
        assert_identical("highest 1", &highest(c, 1), c);
        assert_identical("lowest 1", &lowest(c, 1), c);
        // (x - prev) * 1 + prev is x when x and prev are within a factor of
        // two (Sterbenz), which daily closes are.
        assert_identical("ema 1", &ema(c, 1), c);
        assert!(stdev(c, 1).iter().all(|&v| v == 0.0));
        // TA-Lib's ATR(1) is its TRANGE.
        let out = atr(r.col("high"), r.col("low"), c, 1);
        assert_identical("atr 1", &out, r.col("trange"));
    }

    #[test]
    fn check_period_accepts_positive_integers_only() {
        assert_eq!(check_period("sma", 20, 100), Ok(20));
        assert_eq!(check_period("sma", 1, 0), Ok(1));
        assert_eq!(
            check_period("sma", -3, 100),
            Err("ta.sma: period must be a positive integer, got -3".to_string())
        );
        assert_eq!(
            check_period("ta.rsi", 0, 100),
            Err("ta.rsi: period must be a positive integer, got 0".to_string())
        );
        assert_eq!(
            check_period("atr", i64::MIN, 5),
            Err(format!(
                "ta.atr: period must be a positive integer, got {}",
                i64::MIN
            ))
        );
        // Longer than the series: valid (all NaN), capped at len + 1.
        assert_eq!(check_period("wma", i64::MAX, 100), Ok(101));
        assert_eq!(check_period("wma", 101, 100), Ok(101));
        assert_eq!(check_period("wma", 100, 100), Ok(100));
    }

    // ---- long series --------------------------------------------------------

    /// Deterministic pseudo-random numbers in [0, 1) (64-bit LCG, top 53 bits).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn naive_extreme(x: &[f64], n: usize, end: usize, max: bool) -> f64 {
        if end + 1 < n {
            return NA;
        }
        let window = &x[end + 1 - n..=end];
        if window.iter().any(|v| !v.is_finite()) {
            return NA;
        }
        let fold = if max { f64::max } else { f64::min };
        window.iter().copied().reduce(fold).unwrap_or(NA)
    }

    #[test]
    fn highest_and_lowest_of_a_million_values_match_a_naive_scan() {
        const LEN: usize = 1_000_000;
        let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
        // Coarse values (many ties), trends, and a gap every ~20,000 rows.
        let x: Vec<f64> = (0..LEN)
            .map(|i| {
                let u = rng.next();
                if u < 0.00005 {
                    NA
                } else {
                    let trend = ((i / 5000) % 2) as f64 * (i % 5000) as f64 * 0.01;
                    (u * 50.0).round() + trend
                }
            })
            .collect();
        for n in [1, 2, 3, 17, 250, 5000] {
            let (hi, lo) = (highest(&x, n), lowest(&x, n));
            // Every row for short windows; for long ones the naive scan costs
            // n per row, so every 97th row plus the first and last 3n.
            let rows: Vec<usize> = if n <= 17 {
                (0..LEN).collect()
            } else {
                (0..LEN)
                    .filter(|&i| i % 97 == 0 || i < 3 * n || i + 3 * n >= LEN)
                    .collect()
            };
            for &i in &rows {
                let (eh, el) = (
                    naive_extreme(&x, n, i, true),
                    naive_extreme(&x, n, i, false),
                );
                assert!(
                    hi[i].to_bits() == eh.to_bits() || (hi[i].is_nan() && eh.is_nan()),
                    "highest({n}) row {i}: {} vs {eh}",
                    hi[i]
                );
                assert!(
                    lo[i].to_bits() == el.to_bits() || (lo[i].is_nan() && el.is_nan()),
                    "lowest({n}) row {i}: {} vs {el}",
                    lo[i]
                );
            }
            let values = hi.iter().filter(|v| !v.is_nan()).count();
            assert!(values > LEN / 2, "highest({n}): only {values} values");
        }
    }

    /// Prices near 100 (a random walk) with a spike of 1e12 + price every
    /// 100,003 rows (not a round number, so that weight * spike rounds).
    fn spiky_series(len: usize) -> Vec<f64> {
        let mut rng = Lcg(0x2545_f491_4f6c_dd1d);
        let mut price = 100.0_f64;
        (0..len)
            .map(|i| {
                price = (price * (1.0 + (rng.next() - 0.5) * 0.01)).clamp(50.0, 200.0);
                if i % 100_003 == 50_000 {
                    1e12 + price
                } else {
                    price
                }
            })
            .collect()
    }

    #[test]
    fn window_sums_do_not_drift_over_a_million_spiky_rows() {
        const LEN: usize = 1_000_000;
        const N: usize = 20;
        let x = spiky_series(LEN);
        let (s, w, sd) = (sma(&x, N), wma(&x, N), stdev(&x, N));
        let mut checked = 0;
        for end in (N - 1..LEN).step_by(997).chain(150_000..150_100) {
            let window = &x[end + 1 - N..=end];
            // Direct sums: positive values, accurate to ~N ulps. (Measured
            // worst: 4e-16 for all three.)
            let mean = window.iter().sum::<f64>() / N as f64;
            let weighted = window
                .iter()
                .enumerate()
                .map(|(k, v)| (k + 1) as f64 * v)
                .sum::<f64>()
                / (N * (N + 1) / 2) as f64;
            let var = window.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / N as f64;
            let rel = |a: f64, e: f64| ((a - e) / e).abs();
            assert!(
                rel(s[end], mean) < 1e-13,
                "sma row {end}: {} vs {mean}",
                s[end]
            );
            assert!(
                rel(w[end], weighted) < 1e-13,
                "wma row {end}: {} vs {weighted}",
                w[end]
            );
            assert!(
                rel(sd[end], var.sqrt()) < 1e-13,
                "stdev row {end}: {} vs {}",
                sd[end],
                var.sqrt()
            );
            checked += 1;
        }
        assert!(checked > 1000);
    }
}
