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

/// The plugin registry the benchmarks use: the libraries `cargo build
/// --release` put in `target/release` (benchmarks load plugins exactly as the
/// host does, through the C ABI).
pub fn registry() -> gpu_charts::plugins::PluginRegistry {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release");
    let (registry, errors) =
        gpu_charts::plugins::PluginRegistry::discover(std::slice::from_ref(&dir));
    for e in &errors {
        eprintln!("warning: {e}");
    }
    assert!(
        registry.source("csv").is_ok(),
        "no plugins in {}: run `cargo build --release` before `cargo bench`",
        dir.display()
    );
    registry
}
