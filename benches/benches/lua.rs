//! Lua indicator scripts next to the native Rust they stand for, in the same
//! run: vectorized `ta.*` scripts vs `gpu_charts::script::ta`; a per-bar
//! (`on_bar`) EMA, the same EMA as a plain Lua loop and as a QUIK script vs
//! the native `ta::ema`; load + first compute latency; memory of a state.
//!
//! Every script is checked against the native result before it is timed, so
//! each pair does the same work. A compute runs on a fresh instance (the
//! first compute after a chart loads) unless the name says `warm`; making the
//! instance and the NaN-filled output columns (host work that a plugin
//! indicator needs as well) is untimed, as is dropping the results.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use criterion::{criterion_group, criterion_main};
use gpu_charts::script::{Script, ScriptInputs, ScriptInstance, ScriptLimits, ta};

/// OHLCV + time columns derived from a random walk of closes.
struct Bars {
    time_ns: Vec<i64>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

impl Bars {
    fn new(n: usize, seed: u64) -> Bars {
        let close = gpu_charts_benches::random_walk(n, seed);
        let open: Vec<f64> = (0..n).map(|i| close[i.saturating_sub(1)]).collect();
        // Deterministic wicks of 0..0.05 above and below the body.
        let high = (0..n)
            .map(|i| open[i].max(close[i]) + 0.05 * ((i * 7 % 11) as f64 / 11.0))
            .collect();
        let low = (0..n)
            .map(|i| open[i].min(close[i]) - 0.05 * ((i * 13 % 17) as f64 / 17.0))
            .collect();
        Bars {
            time_ns: (0..n as i64).map(|i| i * 60_000_000_000).collect(),
            open,
            high,
            low,
            close,
            volume: (0..n).map(|i| 1000.0 + (i * 7919 % 1000) as f64).collect(),
        }
    }

    fn inputs(&self) -> ScriptInputs<'_> {
        ScriptInputs {
            time_ns: &self.time_ns,
            open: &self.open,
            high: &self.high,
            low: &self.low,
            close: &self.close,
            volume: &self.volume,
            named: Vec::new(),
        }
    }
}

/// Limits that never trip on 10 M bars (the point is the speed, not the
/// sandbox): 10 M bars of per-bar tables need well over the default 256 MiB.
const HIGH: ScriptLimits = ScriptLimits {
    memory_bytes: 16 << 30,
    instructions_per_bar: 1_000_000,
    instructions_base: 1 << 40,
};

fn bench_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/lua")
        .join(name)
}

fn load(path: &Path, limits: ScriptLimits) -> Script {
    Script::load(path, limits).unwrap_or_else(|e| panic!("{e}"))
}

fn instance(script: &Script) -> ScriptInstance {
    // Null params: every parameter takes its declared default.
    script
        .instance(&Default::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Output columns as the host hands them over: one NaN-filled row per bar.
fn outputs(script: &Script, n: usize) -> Vec<Vec<f64>> {
    vec![vec![f64::NAN; n]; script.info().outputs.len()]
}

/// One compute on a fresh instance; the outputs.
fn run_once(script: &Script, bars: &Bars) -> Vec<Vec<f64>> {
    let mut inst = instance(script);
    let mut out = outputs(script, bars.close.len());
    inst.compute(&bars.inputs(), &mut out, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

/// Panics unless `got` equals `want` (NaN where `want` is NaN) within 1e-9.
fn check(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.is_nan(), w.is_nan(), "{what}: NaN mismatch at row {i}");
        if !w.is_nan() {
            worst = worst.max((g - w).abs());
        }
    }
    assert!(worst <= 1e-9, "{what}: differs from native by {worst:e}");
    eprintln!("check: {what} equals the native result (max |diff| {worst:e})");
}

/// Times compute on a fresh instance per iteration.
fn bench_fresh(g: &mut BenchmarkGroup<'_, WallTime>, id: &str, script: &Script, bars: &Bars) {
    let n = bars.close.len();
    let inputs = bars.inputs();
    g.bench_function(id, |b| {
        b.iter_batched(
            || (instance(script), outputs(script, n)),
            |(mut inst, mut out)| {
                inst.compute(&inputs, &mut out, 0)
                    .unwrap_or_else(|e| panic!("{e}"));
                (inst, out)
            },
            BatchSize::PerIteration,
        )
    });
}

fn vectorized(c: &mut Criterion) {
    let n = 10_000_000;
    let bars = Bars::new(n, 11);
    let close = &bars.close;
    let sma = load(&bench_script("sma.lua"), HIGH);
    let ema = load(&bench_script("ema.lua"), HIGH);
    let rsi = load(&bench_script("rsi.lua"), HIGH);
    check("sma.lua", &run_once(&sma, &bars)[0], &ta::sma(close, 20));
    check("ema.lua", &run_once(&ema, &bars)[0], &ta::ema(close, 50));
    check("rsi.lua", &run_once(&rsi, &bars)[0], &ta::rsi(close, 14));

    let mut g = c.benchmark_group("lua_vectorized_10M");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("native_sma_20", |b| {
        b.iter_with_large_drop(|| ta::sma(close, 20))
    });
    bench_fresh(&mut g, "script_sma_20", &sma, &bars);
    // The same instance again, rows 0.. changed (a chart recomputing
    // everything). This also pays for freeing the previous call's input
    // copy and result, which the fresh case leaves to the untimed drop.
    let mut warm = instance(&sma);
    let mut out = outputs(&sma, n);
    let inputs = bars.inputs();
    g.bench_function("script_sma_20_warm", |b| {
        b.iter(|| {
            warm.compute(&inputs, &mut out, 0)
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    g.bench_function("native_ema_50", |b| {
        b.iter_with_large_drop(|| ta::ema(close, 50))
    });
    bench_fresh(&mut g, "script_ema_50", &ema, &bars);
    g.bench_function("native_rsi_14", |b| {
        b.iter_with_large_drop(|| ta::rsi(close, 14))
    });
    bench_fresh(&mut g, "script_rsi_14", &rsi, &bars);
    g.finish();
}

fn per_bar(c: &mut Criterion) {
    let per_bar = load(&bench_script("ema_per_bar.lua"), HIGH);
    let lua_loop = load(&bench_script("ema_lua_loop.lua"), HIGH);
    let quik = load(&bench_script("ema_quik.lua"), HIGH);

    // 10 M bars unless one iteration of a script takes over ~5 s; then 1 M
    // for every entry of the group (both sides on the same size).
    let mut n = 10_000_000;
    let mut bars = Bars::new(n, 11);
    let mut slowest = Duration::ZERO;
    for (name, s) in [
        ("ema_per_bar.lua", &per_bar),
        ("ema_lua_loop.lua", &lua_loop),
        ("ema_quik.lua", &quik),
    ] {
        let t = Instant::now();
        let mut inst = instance(s);
        let mut out = outputs(s, n);
        inst.compute(&bars.inputs(), &mut out, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        let dt = t.elapsed();
        eprintln!(
            "{name}: one compute of 10 M bars took {dt:.2?}; state memory {:.1} MiB",
            inst.memory_used() as f64 / (1 << 20) as f64
        );
        slowest = slowest.max(dt);
        check(name, &out[0], &ta::ema(&bars.close, 50));
    }
    if slowest > Duration::from_secs(5) {
        n = 1_000_000;
        bars = Bars::new(n, 11);
        eprintln!("per-bar group: an iteration exceeds 5 s, so it runs on 1 M bars");
    }
    let close = &bars.close;

    let mut g = c.benchmark_group(format!("lua_per_bar_{}M", n / 1_000_000));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(if n > 1_000_000 { 20 } else { 5 }));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("native_ema_50", |b| {
        b.iter_with_large_drop(|| ta::ema(close, 50))
    });
    bench_fresh(&mut g, "script_on_bar_ema_50", &per_bar, &bars);
    bench_fresh(&mut g, "script_lua_loop_ema_50", &lua_loop, &bars);
    bench_fresh(&mut g, "script_quik_ema_50", &quik, &bars);
    g.finish();

    // The default limits on 1 M bars (10 M bars of per-bar tables exceed
    // the default 256 MiB). The instruction-count hook runs every 1,000
    // instructions whatever the limits, so the budget size should not matter.
    let n = 1_000_000;
    let bars = Bars::new(n, 11);
    let default = load(&bench_script("ema_per_bar.lua"), ScriptLimits::default());
    check(
        "ema_per_bar.lua, default limits, 1 M bars",
        &run_once(&default, &bars)[0],
        &ta::ema(&bars.close, 50),
    );
    let close = &bars.close;
    let mut g = c.benchmark_group("lua_per_bar_limits_1M");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("native_ema_50", |b| {
        b.iter_with_large_drop(|| ta::ema(close, 50))
    });
    bench_fresh(&mut g, "script_on_bar_ema_50_high_limits", &per_bar, &bars);
    bench_fresh(
        &mut g,
        "script_on_bar_ema_50_default_limits",
        &default,
        &bars,
    );
    g.finish();
}

fn load_latency(c: &mut Criterion) {
    // AAPL's daily history in data/stocks.csv.gz is 3,270 rows.
    let n = 3270;
    let bars = Bars::new(n, 5);
    let inputs = bars.inputs();
    let supertrend = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/supertrend.lua");
    let minimal = bench_script("minimal.lua");
    let limits = ScriptLimits::default();
    // Script::load runs the top-level chunk in a sandbox to read the
    // declarations; instance makes a second state for computing.
    let first_compute = |path: &Path| {
        let script = load(path, limits);
        let mut inst = instance(&script);
        let mut out = outputs(&script, n);
        inst.compute(&inputs, &mut out, 0)
            .unwrap_or_else(|e| panic!("{e}"));
        (inst, out)
    };

    let mut g = c.benchmark_group("lua_load_first_compute_3270");
    g.bench_function("supertrend_load_and_first_compute", |b| {
        b.iter_with_large_drop(|| first_compute(&supertrend))
    });
    g.bench_function("minimal_load_and_first_compute", |b| {
        b.iter_with_large_drop(|| first_compute(&minimal))
    });
    let st = load(&supertrend, limits);
    g.bench_function("supertrend_instance_only", |b| {
        b.iter_with_large_drop(|| instance(&st))
    });
    let mut warm = instance(&st);
    let mut out = outputs(&st, n);
    g.bench_function("supertrend_compute_warm", |b| {
        b.iter(|| {
            warm.compute(&inputs, &mut out, 0)
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    // The native part of SuperTrend, for scale.
    g.bench_function("native_atr_10", |b| {
        b.iter_with_large_drop(|| ta::atr(&bars.high, &bars.low, &bars.close, 10))
    });
    g.finish();

    // Memory is not time: printed for BENCHMARKS.md.
    for (name, path) in [("minimal.lua", &minimal), ("supertrend.lua", &supertrend)] {
        let (inst, _) = first_compute(path);
        eprintln!(
            "memory: {name} after load + compute of {n} bars: {:.1} KiB (ScriptInstance::memory_used)",
            inst.memory_used() as f64 / 1024.0
        );
    }
    let empty = load(&minimal, limits);
    eprintln!(
        "memory: minimal.lua instance before any compute: {:.1} KiB",
        instance(&empty).memory_used() as f64 / 1024.0
    );
}

criterion_group!(benches, load_latency, vectorized, per_bar);
criterion_main!(benches);
