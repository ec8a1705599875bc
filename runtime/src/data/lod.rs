//! Min/max decimation: a pyramid of per-block minima and maxima, built once
//! per data load in O(n), answering "min and max of values[a..b)" in
//! O(FANOUT × levels) whatever the range length. A frame asks this once per
//! pixel column, so drawing 10 M points costs O(pixels), and no spike is lost:
//! every value is inside some column's [min, max].

use super::storage::Storage;

/// Block fan-out of each level.
pub const FANOUT: usize = 16;

/// One block's `[min, max]` (an array, not a tuple, so that a stored level
/// can be lent straight from a memory-mapped sidecar).
pub type MinMax = [f64; 2];

/// Per-level minima and maxima of blocks of `FANOUT^level` values. Values
/// that are not finite (NaN, ±inf: gaps in an indicator's output) are
/// ignored, so they never reach autoscale; a block with no finite value
/// holds (+inf, -inf).
#[derive(Debug, Clone, Default)]
pub struct MinMaxPyramid {
    /// `levels[k]` summarises blocks of FANOUT^(k+1) raw values; built
    /// here or lent by a memory-mapped sidecar.
    levels: Vec<Storage<MinMax>>,
}

impl MinMaxPyramid {
    /// Builds the pyramid over `values`.
    pub fn build(values: &[f64]) -> MinMaxPyramid {
        if values.len() < FANOUT {
            return MinMaxPyramid { levels: Vec::new() };
        }
        Self::with_first(Self::first_level(values))
    }

    /// The pyramid whose finest level is `first`.
    fn with_first(first: Vec<MinMax>) -> MinMaxPyramid {
        let mut levels = vec![first];
        Self::build_upper(&mut levels);
        MinMaxPyramid {
            levels: levels.into_iter().map(Storage::from).collect(),
        }
    }

    /// [`build`](Self::build) with the first (largest) level split over
    /// every core: the same pyramid, exactly, in a fraction of the time for
    /// the large columns where it matters (a lent billion-row column).
    pub fn build_parallel(values: &[f64]) -> MinMaxPyramid {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads < 2 || values.len() < (1 << 22) {
            return Self::build(values);
        }
        // Chunks of whole blocks, so each thread's blocks are the serial ones.
        let blocks = values.len().div_ceil(FANOUT);
        let per = blocks.div_ceil(threads) * FANOUT;
        super::name_worker_threads();
        let parts: Vec<Vec<MinMax>> = {
            use rayon::prelude::*;
            values.par_chunks(per).map(Self::first_level).collect()
        };
        let mut first = Vec::with_capacity(blocks);
        for part in parts {
            first.extend(part);
        }
        Self::with_first(first)
    }

    fn first_level(values: &[f64]) -> Vec<MinMax> {
        values
            .chunks(FANOUT)
            .map(|c| {
                c.iter()
                    .filter(|v| v.is_finite())
                    .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], &v| {
                        [lo.min(v), hi.max(v)]
                    })
            })
            .collect()
    }

    fn build_upper(levels: &mut Vec<Vec<MinMax>>) {
        while levels.last().is_some_and(|l| l.len() >= FANOUT) {
            let prev = levels.last().map(Vec::as_slice).unwrap_or(&[]);
            let next: Vec<MinMax> = prev
                .chunks(FANOUT)
                .map(|c| {
                    c.iter()
                        .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], &[a, b]| {
                            [lo.min(a), hi.max(b)]
                        })
                })
                .collect();
            levels.push(next);
        }
    }

    /// The levels, finest first (`levels()[k]` holds blocks of FANOUT^(k+1)
    /// values), for storing the pyramid in a sidecar.
    pub fn levels(&self) -> &[Storage<MinMax>] {
        &self.levels
    }

    /// A pyramid from stored levels, or `None` unless they have exactly the
    /// shape [`build`](Self::build) gives a column of `len` values (a
    /// sidecar is never trusted for its shape).
    pub fn from_levels(len: usize, levels: Vec<Storage<MinMax>>) -> Option<MinMaxPyramid> {
        let mut expected = Vec::new();
        if len >= FANOUT {
            let mut n = len.div_ceil(FANOUT);
            expected.push(n);
            while n >= FANOUT {
                n = n.div_ceil(FANOUT);
                expected.push(n);
            }
        }
        let shape: Vec<usize> = levels.iter().map(|l| l.len()).collect();
        (shape == expected).then_some(MinMaxPyramid { levels })
    }

    /// Bytes held.
    pub fn size_bytes(&self) -> usize {
        self.levels.iter().map(|l| l.len() * 16).sum()
    }

    /// (min, max) of the finite values in `values[a..b)`; (+inf, -inf) if none.
    /// `values` must be the slice the pyramid was built from.
    pub fn range(&self, values: &[f64], a: usize, b: usize) -> (f64, f64) {
        let b = b.min(values.len());
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        if a >= b {
            return (lo, hi);
        }
        // Level 0 is the raw values; level k+1 is self.levels[k].
        let (mut a, mut b) = (a, b);
        let mut level = 0usize;
        loop {
            let top = level == self.levels.len();
            if top || b - a <= 2 * FANOUT {
                for i in a..b {
                    let (x, y) = self.at(values, level, i);
                    lo = lo.min(x);
                    hi = hi.max(y);
                }
                return (lo, hi);
            }
            while a < b && a % FANOUT != 0 {
                let (x, y) = self.at(values, level, a);
                lo = lo.min(x);
                hi = hi.max(y);
                a += 1;
            }
            while b > a && b % FANOUT != 0 {
                b -= 1;
                let (x, y) = self.at(values, level, b);
                lo = lo.min(x);
                hi = hi.max(y);
            }
            a /= FANOUT;
            b /= FANOUT;
            level += 1;
        }
    }

    fn at(&self, values: &[f64], level: usize, i: usize) -> (f64, f64) {
        if level == 0 {
            let v = values[i];
            if !v.is_finite() {
                (f64::INFINITY, f64::NEG_INFINITY)
            } else {
                (v, v)
            }
        } else {
            let [lo, hi] = self.levels[level - 1][i];
            (lo, hi)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_build_and_stored_levels_equal_the_serial_build() {
        let n = (1 << 22) + 12_345;
        let values: Vec<f64> = (0..n)
            .map(|i| {
                if i % 1000 == 7 {
                    f64::NAN
                } else {
                    ((i * 7919) % 10007) as f64
                }
            })
            .collect();
        let serial = MinMaxPyramid::build(&values);
        let parallel = MinMaxPyramid::build_parallel(&values);
        assert_eq!(serial.levels(), parallel.levels());
        let again = MinMaxPyramid::from_levels(n, serial.levels().to_vec()).expect("shape");
        assert_eq!(again.levels(), serial.levels());
        assert!(MinMaxPyramid::from_levels(n + FANOUT, serial.levels().to_vec()).is_none());
        assert!(MinMaxPyramid::from_levels(5, Vec::new()).is_some());
    }

    fn naive(v: &[f64], a: usize, b: usize) -> (f64, f64) {
        v[a..b]
            .iter()
            .filter(|x| x.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            })
    }

    #[test]
    fn matches_a_naive_scan_on_every_range_shape() {
        // Deterministic pseudo-random data with NaN holes and a single spike.
        let mut s = 0x9E3779B97F4A7C15u64;
        let mut v: Vec<f64> = (0..5000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 10_000) as f64 / 100.0
            })
            .collect();
        v[1234] = 1e6;
        for i in (0..5000).step_by(97) {
            v[i] = f64::NAN;
        }
        let p = MinMaxPyramid::build(&v);
        for &(a, b) in &[
            (0, 5000),
            (0, 1),
            (1233, 1235),
            (17, 4999),
            (256, 512),
            (255, 4097),
            (4096, 4096),
            (10, 3),
        ] {
            assert_eq!(
                p.range(&v, a, b),
                if a < b {
                    naive(&v, a, b)
                } else {
                    (f64::INFINITY, f64::NEG_INFINITY)
                },
                "{a}..{b}"
            );
        }
        for a in (0..5000).step_by(331) {
            for b in (a..5000).step_by(457) {
                assert_eq!(p.range(&v, a, b), naive(&v, a, b));
            }
        }
        assert_eq!(p.range(&v, 0, 5000).1, 1e6, "the spike survives decimation");
    }

    #[test]
    fn infinities_are_gaps_at_every_level() {
        let mut v: Vec<f64> = (0..3000).map(|i| (i % 50) as f64).collect();
        v[7] = f64::INFINITY;
        v[1500] = f64::NEG_INFINITY;
        v[2999] = f64::INFINITY;
        let p = MinMaxPyramid::build(&v);
        assert_eq!(
            p.range(&v, 0, 3000),
            (0.0, 49.0),
            "whole range (top levels)"
        );
        assert_eq!(p.range(&v, 5, 9), (5.0, 8.0), "raw values");
        assert_eq!(p.range(&v, 1490, 1510), (1.0, 49.0), "around -inf");
        assert_eq!(
            p.range(&v, 7, 8),
            (f64::INFINITY, f64::NEG_INFINITY),
            "only inf"
        );
        let all_inf = [f64::INFINITY; 40];
        let p = MinMaxPyramid::build(&all_inf);
        assert_eq!(p.range(&all_inf, 0, 40), (f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn tiny_inputs() {
        let v = [3.0, 1.0, 2.0];
        let p = MinMaxPyramid::build(&v);
        assert_eq!(p.range(&v, 0, 3), (1.0, 3.0));
        let all_nan = [f64::NAN; 40];
        let p = MinMaxPyramid::build(&all_nan);
        assert_eq!(p.range(&all_nan, 0, 40), (f64::INFINITY, f64::NEG_INFINITY));
    }
}
