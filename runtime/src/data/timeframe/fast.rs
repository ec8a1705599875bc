//! The bucket-at-a-time kernel behind [`super::aggregate_ticks`].
//!
//! The per-tick loop ([`super::run`]) tests every tick against the bucket end
//! and carries the high, low and volume in one dependency chain each, so it
//! runs at a few ns per tick, far from what memory delivers. This kernel
//! instead finds each bucket's end by a galloping search on the timestamps
//! (the bucket itself is still computed by [`Aligner::bucket`], once per
//! bucket, so every timeframe and zone takes this path), then reduces the
//! bucket's prices and sizes in `L` independent lanes that the compiler turns
//! into SIMD (AVX2 when the CPU has it, chosen at run time).
//!
//! It is exact, bit for bit, against the per-tick loop:
//! * high/low: the per-tick loop keeps the first of equal values, lanes may
//!   keep another; equal finite values differ in bits only for ±0, so a bucket
//!   whose high or low is zero is redone by the scalar loop;
//! * volume: the per-tick loop sums sizes in input order. The lanes sum in
//!   another order, which gives the same bits only when every addition is
//!   exact: all sizes integers, the sum of their magnitudes below 2^53 (so
//!   every partial sum, in any order, is an exactly representable integer),
//!   and the total non-zero (the sign of a zero sum depends on order). Other
//!   buckets (fractional sizes, say) are summed again in input order;
//! * a non-finite price anywhere in a bucket sends that bucket to the scalar
//!   loop (it is skipped there, as in the per-tick loop);
//! * timestamps are checked for order pair by pair; on unsorted input, or a
//!   bucket outside the representable range, the kernel gives up (`None`) and
//!   the caller reruns the chunk on the per-tick loop, which reports the
//!   error exactly as before.

use std::ops::Range;

use super::{Acc, Aligner, Bars};

/// 2^52: the smallest f64 whose spacing is 1.
const TWO52: f64 = 4_503_599_627_370_496.0;
/// 2^53: integers up to here are exact in f64.
const TWO53: f64 = 9_007_199_254_740_992.0;

/// Aggregates ticks `range` into closed bars (the last bucket included), or
/// `None` when the per-tick loop must do it (unsorted timestamps, a bucket out
/// of range).
pub(super) fn ticks(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    range: Range<usize>,
) -> Option<Bars> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: `ticks_avx2` only needs AVX2, which the CPU has (checked
        // just above).
        return unsafe { ticks_avx2(al, time, price, size, range) };
    }
    ticks_lanes::<4>(al, time, price, size, range)
}

/// The portable 4-lane build [`ticks`] falls back to without AVX2 (tests
/// run it on CPUs that have AVX2 too).
#[cfg(test)]
pub(super) fn ticks_portable(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    range: Range<usize>,
) -> Option<Bars> {
    ticks_lanes::<4>(al, time, price, size, range)
}

/// [`ticks_lanes`] compiled for AVX2 (8 lanes fit its 16 registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ticks_avx2(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    range: Range<usize>,
) -> Option<Bars> {
    ticks_lanes::<8>(al, time, price, size, range)
}

#[inline(always)]
fn ticks_lanes<const L: usize>(
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
    range: Range<usize>,
) -> Option<Bars> {
    let Range { start, end } = range;
    let time = time.get(..end)?;
    let mut out = Bars::with_capacity(64);
    let mut i = start;
    while i < end {
        let (s, e) = al.bucket(time[i])?;
        // The search assumes order; the check below covers every pair the
        // search read past, so a wrong `j` from unsorted input never stands.
        let j = if e == i64::MAX {
            end
        } else {
            bucket_end(time, i, e)
        };
        // Pairs (k - 1, k) for k in i..j, also the pair across the previous
        // bucket (or chunk) boundary.
        if descending(&time[i.saturating_sub(1)..j]) {
            return None;
        }
        let bar = match size {
            Some(sz) => reduce::<L, true>(&price[i..j], &sz[i..j], s),
            None => reduce::<L, false>(&price[i..j], &[], s),
        };
        if bar.count > 0 {
            out.push(&bar);
        }
        i = j;
    }
    Some(out)
}

/// The first index after `i` whose timestamp is `>= e` (`time.len()` if
/// none), given `time[i] < e` and sorted timestamps: gallop, then bisect.
#[inline(always)]
fn bucket_end(time: &[i64], i: usize, e: i64) -> usize {
    let n = time.len();
    let mut lo = i + 1;
    let mut step = 1usize;
    let mut hi = loop {
        let c = lo.saturating_add(step);
        if c >= n {
            break n;
        }
        if time[c] < e {
            lo = c + 1;
            step = step.saturating_mul(2);
        } else {
            break c;
        }
    };
    // Invariant: every index below `lo` is `< e`; `hi` is `>= e` or `n`.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if time[mid] < e {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// True when some timestamp is smaller than its predecessor. Branch-free so
/// that it vectorises.
#[inline(always)]
fn descending(t: &[i64]) -> bool {
    let (a, b) = (&t[..t.len().saturating_sub(1)], t.get(1..).unwrap_or(&[]));
    let mut bad = 0u64;
    for (x, y) in a.iter().zip(b) {
        bad |= u64::from(y < x);
    }
    bad != 0
}

/// Lane accumulators of one bucket.
struct Lanes<const L: usize> {
    hi: [f64; L],
    lo: [f64; L],
    /// Non-zero when a lane saw a non-finite price.
    bad: [u64; L],
    sum: [f64; L],
    abs: [f64; L],
    /// Non-zero when a lane saw a size that is not an integer below 2^52.
    inexact: [u64; L],
}

impl<const L: usize> Lanes<L> {
    #[inline(always)]
    fn step<const SIZES: bool>(&mut self, k: usize, x: f64, v: f64) {
        self.hi[k] = if x > self.hi[k] { x } else { self.hi[k] };
        self.lo[k] = if x < self.lo[k] { x } else { self.lo[k] };
        self.bad[k] |= u64::from(!x.is_finite());
        if SIZES {
            // A non-finite size adds nothing (as in the per-tick loop).
            let v = finite_or_zero(v);
            let a = v.abs();
            // Integer below 2^52 iff rounding to the 2^52 grid keeps it
            // (`a` is finite here).
            self.inexact[k] |= u64::from((a >= TWO52) | ((a + TWO52) - TWO52 != a));
            self.sum[k] += v;
            self.abs[k] += a;
        }
    }
}

/// One bucket's bar from its (non-empty) prices and sizes.
#[inline(always)]
fn reduce<const L: usize, const SIZES: bool>(p: &[f64], s: &[f64], start: i64) -> Acc {
    let first = p[0];
    let mut a = Lanes::<L> {
        hi: [first; L],
        lo: [first; L],
        bad: [0; L],
        sum: [0.0; L],
        abs: [0.0; L],
        inexact: [0; L],
    };
    let (pc, pt) = p.as_chunks::<L>();
    if SIZES {
        let (sc, st) = s.as_chunks::<L>();
        for (xs, vs) in pc.iter().zip(sc) {
            for (k, (&x, &v)) in xs.iter().zip(vs).enumerate() {
                a.step::<true>(k, x, v);
            }
        }
        for (k, (&x, &v)) in pt.iter().zip(st).enumerate() {
            a.step::<true>(k, x, v);
        }
    } else {
        for xs in pc {
            for (k, &x) in xs.iter().enumerate() {
                a.step::<false>(k, x, 0.0);
            }
        }
        for (k, &x) in pt.iter().enumerate() {
            a.step::<false>(k, x, 0.0);
        }
    }
    let sizes = SIZES.then_some(s);
    if a.bad.iter().any(|&b| b != 0) {
        return scalar(p, sizes, start);
    }
    let (mut high, mut low) = (a.hi[0], a.lo[0]);
    for k in 1..L {
        if a.hi[k] > high {
            high = a.hi[k];
        }
        if a.lo[k] < low {
            low = a.lo[k];
        }
    }
    if high == 0.0 || low == 0.0 {
        return scalar(p, sizes, start);
    }
    let volume = if SIZES {
        let total: f64 = a.sum.iter().sum();
        let abs: f64 = a.abs.iter().sum();
        if a.inexact.iter().all(|&b| b == 0) && abs < TWO53 && total != 0.0 {
            total
        } else {
            let mut v = finite_or_zero(s[0]);
            for &x in &s[1..] {
                v += finite_or_zero(x);
            }
            v
        }
    } else {
        0.0
    };
    Acc {
        start,
        open: first,
        high,
        low,
        close: p[p.len() - 1],
        volume,
        count: p.len() as u64,
    }
}

#[inline(always)]
fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// The per-tick loop's arithmetic for one bucket (a bar with count 0 when
/// every price is non-finite).
#[cold]
fn scalar(p: &[f64], s: Option<&[f64]>, start: i64) -> Acc {
    let mut b = Acc {
        start,
        open: 0.0,
        high: 0.0,
        low: 0.0,
        close: 0.0,
        volume: 0.0,
        count: 0,
    };
    for (k, &x) in p.iter().enumerate() {
        if !x.is_finite() {
            continue;
        }
        let v = s.map_or(0.0, |s| finite_or_zero(s[k]));
        b.fold(x, x, x, x, v, 1);
    }
    b
}
