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
    let g = guess(ts[lo] as f64, ts[hi - 1] as f64, lo, hi, edge);
    gallop(ts, lo, hi, edge, g)
}

/// Index interpolated for `edge` between `lo` (time `t0`) and `hi - 1`
/// (time `t1`), inside `[lo, hi - 1]`.
fn guess(t0: f64, t1: f64, lo: usize, hi: usize, edge: f64) -> usize {
    let frac = ((edge - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let frac = if frac.is_nan() { 0.0 } else { frac };
    (lo + (frac * (hi - 1 - lo) as f64) as usize).clamp(lo, hi - 1)
}

/// The answer of [`first_not_below`] by galloping from `g`, given
/// `ts[lo] < edge <= ts[hi - 1]` and `lo <= g < hi`.
fn gallop(ts: &[i64], lo: usize, hi: usize, edge: f64, g: usize) -> usize {
    let below = |i: usize| (ts[i] as f64) < edge;
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

/// Pixel columns handled per batch by [`column_bounds`]: their guessed rows
/// (one cache line each) fit in L1 many times over.
const BATCH: usize = 64;

/// For each of the ascending `edges`, the first row in `[lo, hi]` not below
/// it, appended to `out` — what chaining [`first_not_below`] from `lo` over
/// the edges gives, exactly (tested).
///
/// Chained, every column's search waits for the previous one's cache misses:
/// one DRAM round trip after another, the part of a frame that grew with the
/// number of points. Here each column's guess is interpolated over the whole
/// range, independent of its neighbours, and a batch of guesses is loaded
/// first with no dependency between the loads, so their misses (and page
/// walks) overlap; the searches that follow start on cached lines.
pub(super) fn column_bounds(ts: &[i64], lo: usize, hi: usize, edges: &[f64], out: &mut Vec<usize>) {
    let mut a = lo;
    if hi <= lo + 1 {
        out.extend(edges.iter().map(|&e| {
            a = first_not_below(ts, a, hi, e);
            a
        }));
        return;
    }
    let (t0, t1) = (ts[lo] as f64, ts[hi - 1] as f64);
    let mut guesses = [0usize; BATCH];
    for chunk in edges.chunks(BATCH) {
        let mut warm = 0i64;
        for (g, &e) in guesses.iter_mut().zip(chunk) {
            *g = guess(t0, t1, lo, hi, e);
            warm = warm.wrapping_add(ts[*g]);
        }
        std::hint::black_box(warm);
        for (&g, &e) in guesses.iter().zip(chunk) {
            let below = |i: usize| (ts[i] as f64) < e;
            a = if a >= hi || !below(a) {
                a
            } else if below(hi - 1) {
                hi
            } else {
                gallop(ts, a, hi, e, g.max(a))
            };
            out.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{column_bounds, first_not_below};

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

    /// Ascending edges over sorted data of every shape (even, bursts and
    /// hour-long gaps where interpolation guesses far off, duplicates, one
    /// row, none) and sub-ranges: the batched bounds equal a binary search
    /// per edge, which is what the chained search gives.
    #[test]
    fn column_bounds_equal_a_binary_search_per_edge() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut sets: Vec<Vec<i64>> = vec![
            (0..20_000).map(|i| 1_000 * i).collect(),
            vec![42; 300],
            vec![7],
            Vec::new(),
        ];
        for _ in 0..4 {
            let mut t = 0i64;
            let mut v = Vec::new();
            for _ in 0..20_000 {
                t += match rnd() % 20 {
                    0 => 3_600_000_000,
                    1..=5 => 0,
                    _ => (rnd() % 1000) as i64,
                };
                v.push(t);
            }
            sets.push(v);
        }
        for ts in &sets {
            let n = ts.len();
            let (first, last) = (
                ts.first().copied().unwrap_or(0) as f64,
                ts.last().copied().unwrap_or(0) as f64,
            );
            for _ in 0..200 {
                let lo = if n == 0 { 0 } else { (rnd() as usize) % n };
                let hi = lo + (rnd() as usize) % (n - lo + 1);
                let cols = 1 + (rnd() as usize) % 300;
                let span = (last - first).max(1.0) * 1.2;
                let start = first - 0.1 * span + (rnd() % 1000) as f64 / 1000.0 * span;
                let width = span * (rnd() % 1000 + 1) as f64 / 1000.0;
                let mut edges: Vec<f64> = (0..cols)
                    .map(|c| start + width * (c + 1) as f64 / cols as f64)
                    .collect();
                if rnd() % 4 == 0 && n > 0 {
                    // Edges exactly on rows, repeated.
                    edges = (0..cols).map(|_| ts[(rnd() as usize) % n] as f64).collect();
                    edges.sort_by(f64::total_cmp);
                }
                let mut got = Vec::new();
                column_bounds(ts, lo, hi, &edges, &mut got);
                let want: Vec<usize> = edges
                    .iter()
                    .map(|&e| lo + ts[lo..hi].partition_point(|&t| (t as f64) < e))
                    .collect();
                assert_eq!(got, want, "n {n} lo {lo} hi {hi}");
            }
        }
    }
}
