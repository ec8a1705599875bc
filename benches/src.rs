//! Benchmarks for gpu-charts live in `benches/benches/`; run them with
//! `cargo bench -p gpu-charts-benches`. Each benchmark sits next to a
//! baseline measured in the same run; BENCHMARKS.md records the figures.

#[path = "arrow_gen.rs"]
pub mod arrow_gen;

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

/// Deterministic ticks for the timeframe benchmarks (`timeframe`,
/// `timeframe_gpu`; the polars peer reads the same values from .npy files):
/// gaps of 0..16.8 ms (the top 24 bits of a xorshift: ~8.4 ms mean, so
/// 100 M ticks span ~10 days), random-walk prices, sizes 1..100.
pub fn ticks(n: usize) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let walk = random_walk(n, 11);
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut t = 1_600_000_000_000_000_000i64;
    let (mut ts, mut sz) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        t += ((s >> 40) % 100_000_000) as i64;
        ts.push(t);
        sz.push(((s >> 20) % 100 + 1) as f64);
    }
    (ts, walk, sz)
}

/// A scripted pan over `model` at `size` (the `pan` and `frame_scale`
/// benchmarks): the view shows 20% of the data starting 10% in (room to pan
/// right), then moves `px` pixels right per frame for `frames` frames.
/// Returns the views of the frames and the plot's width in pixels.
pub fn pan_states(
    model: &gpu_charts::scene::model::ChartModel,
    size: [u32; 2],
    frames: usize,
    px: f64,
) -> (Vec<gpu_charts::scene::interact::ViewState>, f64) {
    use gpu_charts::scene::frame::{ViewRange, build_frame_with};
    let mut state = gpu_charts::scene::interact::ViewState::new(model);
    let (lo, hi) = (state.bounds.lo, state.bounds.hi);
    state.view = ViewRange {
        x0: lo + 0.1 * (hi - lo),
        x1: lo + 0.3 * (hi - lo),
    };
    let plot_w = f64::from(build_frame_with(model, &state, size, 1.0).panes[0].plot[2]);
    let states = (0..frames)
        .map(|_| {
            state.pan(px, plot_w);
            state.clone()
        })
        .collect();
    (states, plot_w)
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

/// The repository root (charts in `examples/`, data in `data/`, scripts in
/// `scripts/`): `GPU_CHARTS_ROOT` if set (e.g. a copied `dist/` folder on
/// another machine), else the source tree this crate was built from.
pub fn repo_root() -> std::path::PathBuf {
    match std::env::var_os("GPU_CHARTS_ROOT") {
        Some(root) if !root.is_empty() => std::path::PathBuf::from(root),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    }
}

/// Plugin folders for a [`gpu_charts::render::ChartSession`]: the root's
/// `target/release` and the root itself, where they exist. The host also
/// searches the bench executable's folder (`target/release` when run by
/// `cargo bench`) and `GPU_CHARTS_PLUGIN_PATH`.
pub fn plugin_dirs() -> Vec<std::path::PathBuf> {
    let root = repo_root();
    [root.join("target/release"), root]
        .into_iter()
        .filter(|d| d.is_dir())
        .collect()
}

/// The release `gpu-charts` binary: `GPU_CHARTS_BIN` if set, else the
/// root's `target/release/gpu-charts`, else `gpu-charts` in the root.
pub fn gpu_charts_bin() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("GPU_CHARTS_BIN").filter(|b| !b.is_empty()) {
        return bin.into();
    }
    let root = repo_root();
    let built = root.join("target/release/gpu-charts");
    if built.is_file() {
        built
    } else {
        root.join("gpu-charts")
    }
}
