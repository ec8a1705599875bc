//! Benchmarks for gpu-charts live in `benches/benches/`; run them with
//! `cargo bench -p gpu-charts-benches`. Each benchmark sits next to a
//! baseline measured in the same run; BENCHMARKS.md records the figures.

/// A deterministic random walk of `n` values (xorshift), for benchmarks.
pub fn random_walk(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.max(1);
    let mut v = 100.0f64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v += ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1;
            v
        })
        .collect()
}
