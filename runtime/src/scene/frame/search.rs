//! Finding a pixel column's first row: interpolation, then galloping.
//!
//! A frame looks up one time edge per pixel column. A binary search over the
//! whole timestamp column touches ~log2(n) cache lines per edge, the lower
//! ones on a different page each time: at 10⁸–10⁹ rows that is ~10 cache and
//! TLB misses per column, ~16 k per frame, and after the renderer ran (its
//! driver work evicts the caches) they go to DRAM — the frame's cost that
//! grew with the number of points (issue 15; `benches/benches/frame_scale.rs`
//! measures it). Timestamps of real and synthetic data are close to evenly
//! spread at the scale of a pixel column, so a guess interpolated between the
//! range's ends lands within a few rows of the answer; galloping from the
//! guess finds it in O(log distance) probes next to each other. The result is
//! the same index a binary search gives, on any sorted data (tested).

/// The first index in `[lo, hi]` whose timestamp is not below `edge`
/// (compared as f64, as the frame does), i.e. `lo` plus the partition point
/// of `ts[lo..hi]`. `ts[lo..hi]` must be sorted; `lo <= hi <= ts.len()`.
pub(super) fn first_not_below(ts: &[i64], lo: usize, hi: usize, edge: f64) -> usize {
    let below = |i: usize| (ts[i] as f64) < edge;
    if lo >= hi || !below(lo) {
        return lo;
    }
    if below(hi - 1) {
        return hi;
    }
    // Now ts[lo] < edge <= ts[hi - 1]: interpolate.
    let (t0, t1) = (ts[lo] as f64, ts[hi - 1] as f64);
    let frac = ((edge - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let g = (lo + (frac * (hi - 1 - lo) as f64) as usize).clamp(lo, hi - 1);
    // Gallop to a bracket [l, r) with below(l - 1) (or l == lo + 1 after
    // below(lo)) and !below(r).
    let (l, r) = if below(g) {
        let (mut prev, mut step) = (g, 1usize);
        loop {
            let probe = prev.saturating_add(step).min(hi - 1);
            if !below(probe) {
                break (prev + 1, probe);
            }
            prev = probe;
            step = step.saturating_mul(2);
        }
    } else {
        let (mut next, mut step) = (g, 1usize);
        loop {
            let probe = next.saturating_sub(step).max(lo);
            if below(probe) {
                break (probe + 1, next);
            }
            next = probe;
            step = step.saturating_mul(2);
        }
    };
    l + ts[l..r].partition_point(|&t| (t as f64) < edge)
}

#[cfg(test)]
mod tests {
    use super::first_not_below;

    fn reference(ts: &[i64], lo: usize, hi: usize, edge: f64) -> usize {
        lo + ts[lo..hi].partition_point(|&t| (t as f64) < edge)
    }

    /// Even, clustered (bursts and long gaps), duplicated and tiny inputs;
    /// edges before, inside, between and after the rows.
    #[test]
    fn equals_a_binary_search_on_any_sorted_data() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let even: Vec<i64> = (0..5000).map(|i| 1_000 * i).collect();
        let mut clustered = Vec::new();
        let mut t = 1_700_000_000_000_000_000i64;
        for _ in 0..5000 {
            t += match rnd() % 10 {
                0 => 3_600_000_000_000,
                1..=3 => 0,
                _ => (rnd() % 1000) as i64,
            };
            clustered.push(t);
        }
        let dup = vec![42i64; 100];
        let tiny = vec![7i64];
        for ts in [&even, &clustered, &dup, &tiny] {
            let (first, last) = (ts[0] as f64, ts[ts.len() - 1] as f64);
            for _ in 0..3000 {
                let lo = (rnd() as usize) % ts.len();
                let hi = lo + (rnd() as usize) % (ts.len() - lo + 1);
                let span = last - first + 2.0;
                let edge = first - 1.0 + (rnd() % 1_000_000) as f64 / 1e6 * (span + 2.0);
                let exact = ts[(rnd() as usize) % ts.len()] as f64;
                for e in [edge, exact, f64::NEG_INFINITY, f64::INFINITY] {
                    assert_eq!(
                        first_not_below(ts, lo, hi, e),
                        reference(ts, lo, hi, e),
                        "lo {lo} hi {hi} edge {e}"
                    );
                }
            }
        }
    }
}
