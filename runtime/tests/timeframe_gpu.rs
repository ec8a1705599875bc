//! The model's GPU timeframe path (`gpu::aggregate::GpuTickAggregator`,
//! forced on lavapipe) against the CPU path the model uses without it:
//! the bars of a tick source (and of a series with its own timeframe) are
//! equal bit for bit for every timeframe from 1s to 1M in UTC, Berlin and
//! New York across DST changes, gaps and one-tick buckets, over several
//! GPU pages; a failing aggregator falls back to the CPU with a notice.

use std::path::Path;
use std::sync::Arc;

use gpu_charts::data::accel::{SharedTickAggregator, TickAggregator};
use gpu_charts::data::storage::Storage;
use gpu_charts::data::timeframe::{Aligner, Bars};
use gpu_charts::gpu::GpuContext;
use gpu_charts::gpu::aggregate::{GROUP_TICKS, GpuAggregatePolicy, GpuTickAggregator};
use gpu_charts::render::{ChartSession, RenderOptions};
use gpu_charts::scene::ChartModel;

/// Seeded ticks from 2024-03-08 to 2024-04-02 and 2024-10-25 to 11-05
/// (both Berlin and both New York DST changes): steps of 0.2 s to 36 s,
/// quiet spells of up to 5 hours (empty and one-tick buckets), a random
/// walk of prices with exact ties, whole sizes and a stretch of
/// fractional ones (summed on the CPU).
fn ticks() -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let s = 1_000_000_000i64;
    let (mut ts, mut px, mut sz) = (Vec::new(), Vec::new(), Vec::new());
    let mut cents = 10_000i64;
    for (from, to) in [
        (1_709_856_000i64, 1_712_016_000i64),
        (1_729_814_400, 1_730_764_800),
    ] {
        let mut t = from * s;
        while t < to * s {
            ts.push(t);
            cents += (next() % 21) as i64 - 10;
            px.push(cents as f64 / 100.0);
            let r = next();
            sz.push(if ts.len() % 5_000 < 200 {
                (r % 1000) as f64 * 0.013
            } else {
                (r % 100 + 1) as f64
            });
            let step_ms = match next() % 500 {
                0 => (next() % 18_000_000) as i64,
                k => (k as i64 % 60) * 600 + 200,
            };
            t += step_ms * 1_000_000;
        }
    }
    (ts, px, sz)
}

fn write_csv(path: &Path, ts: &[i64], px: &[f64], sz: &[f64]) {
    let mut text = String::from("time,price,size\n");
    for i in 0..ts.len() {
        text.push_str(&format!("{},{},{}\n", ts[i], px[i], sz[i]));
    }
    std::fs::write(path, text).unwrap();
}

fn write_chart(dir: &Path, tz: &str, tf: &str) -> std::path::PathBuf {
    let chart = dir.join(format!("chart_{}_{tf}.toml", tz.replace('/', "_")));
    std::fs::write(
        &chart,
        format!(
            r#"timezone = "{tz}"
x_axis = "time"
[sources.ticks]
kind = "csv"
timeframe = "{tf}"
params = {{ path = "ticks.csv", time_column = "time", time_format = "epoch_ns", columns = {{ price = "price", size = "size" }} }}
[[panes]]
[[panes.series]]
type = "candlestick"
data = "ticks"
[[panes.series]]
type = "candlestick"
data = "ticks"
timeframe = "1d"
"#
        ),
    )
    .unwrap();
    chart
}

fn ctx() -> GpuContext {
    GpuContext::headless().unwrap_or_else(|e| panic!("{e}"))
}

fn session(accel: Option<Arc<dyn TickAggregator>>) -> ChartSession {
    let mut s = ChartSession::default();
    s.set_options(RenderOptions {
        tick_aggregator: accel.map(SharedTickAggregator),
        ..Default::default()
    });
    s
}

/// Every column of every table, compared by bits.
fn assert_tables_bit_equal(gpu: &ChartModel, cpu: &ChartModel, what: &str) {
    assert_eq!(
        gpu.tables.keys().collect::<Vec<_>>(),
        cpu.tables.keys().collect::<Vec<_>>(),
        "{what}"
    );
    for (id, c) in &cpu.tables {
        let g = &gpu.tables[id];
        assert_eq!(g.names, c.names, "{what}: {id}");
        assert_eq!(
            g.timeline.timestamps.as_slice(),
            c.timeline.timestamps.as_slice(),
            "{what}: {id} bar times"
        );
        for ((gc, cc), name) in g.columns.iter().zip(&c.columns).zip(&c.names) {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert!(
                bits(&gc.values) == bits(&cc.values),
                "{what}: {id}.{name} differs"
            );
        }
    }
}

#[test]
fn forced_gpu_bars_equal_the_cpu_bars_for_every_timeframe_and_zone() {
    let dir = tempfile::tempdir().unwrap();
    let (ts, px, sz) = ticks();
    assert!(ts.len() > 8 * GROUP_TICKS, "{} ticks", ts.len());
    write_csv(&dir.path().join("ticks.csv"), &ts, &px, &sz);
    let ctx = ctx();
    // Pages of 3 groups: the ticks span dozens of pages.
    let gpu_agg = Arc::new(GpuTickAggregator::with_limits(
        &ctx,
        GpuAggregatePolicy::Force,
        3 * GROUP_TICKS,
        200,
    ));
    let mut gpu = session(Some(gpu_agg.clone()));
    let mut cpu = session(None);
    let mut runs = 0;
    for tz in ["UTC", "Europe/Berlin", "America/New_York"] {
        for tf in ["1s", "1m", "5m", "1h", "4h", "1d", "1w", "1M"] {
            let what = format!("{tf} in {tz}");
            let chart = write_chart(dir.path(), tz, tf);
            let g = gpu.load(&chart).unwrap_or_else(|e| panic!("{e}"));
            let c = cpu.load(&chart).unwrap_or_else(|e| panic!("{e}"));
            assert_tables_bit_equal(&g, &c, &what);
            assert!(c.build.timeframes_on_gpu.is_empty(), "{what}");
            assert!(
                g.build.timeframe_notices.is_empty(),
                "{what}: {:?}",
                g.build.timeframe_notices
            );
            // What was aggregated now (not taken from the cache) ran on the GPU.
            assert_eq!(
                g.build.timeframes_on_gpu, g.build.timeframes_aggregated,
                "{what}"
            );
            runs += g.build.timeframes_on_gpu.len() as u64;
            let bars = &c.tables["ticks"];
            assert!(!bars.is_empty(), "{what}");
        }
    }
    assert_eq!(gpu_agg.gpu_runs(), runs);
    assert!(runs >= 24, "{runs} GPU aggregations");
    // One upload for every timeframe and zone: pages of 3 groups, each
    // also holding the next page's first group, 16 bytes a tick.
    let page = 3 * GROUP_TICKS;
    let held: usize = (0..ts.len())
        .step_by(page)
        .map(|first| (first + page + GROUP_TICKS).min(ts.len()) - first)
        .sum();
    assert_eq!(gpu_agg.resident_bytes(), 16 * held as u64);
}

#[test]
fn one_tick_sources_and_one_tick_buckets_equal_the_cpu_bars() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx();
    let accel: Arc<dyn TickAggregator> =
        Arc::new(GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force));
    let h = 3_600_000_000_000i64;
    let t0 = 1_711_843_200_000_000_000i64; // 2024-03-31 00:00Z, Berlin springs forward
    let cases: [(&str, Vec<i64>); 2] = [
        ("one tick", vec![t0 + 1]),
        (
            "one tick a bucket",
            (0..30).map(|k| t0 + k * h + k).collect(),
        ),
    ];
    for (what, ts) in cases {
        let px: Vec<f64> = ts
            .iter()
            .enumerate()
            .map(|(i, _)| 10.0 + i as f64 * 0.1)
            .collect();
        let sz: Vec<f64> = ts.iter().map(|_| 2.0).collect();
        write_csv(&dir.path().join("ticks.csv"), &ts, &px, &sz);
        for tf in ["1h", "1d"] {
            let chart = write_chart(dir.path(), "Europe/Berlin", tf);
            let g = session(Some(accel.clone())).load(&chart).unwrap();
            let c = session(None).load(&chart).unwrap();
            assert_tables_bit_equal(&g, &c, &format!("{what}, {tf}"));
            assert!(!g.build.timeframes_on_gpu.is_empty());
        }
    }
}

/// An aggregator that always fails, as a lost device would.
struct Broken;

impl TickAggregator for Broken {
    fn wanted(&self, _ticks: usize) -> bool {
        true
    }
    fn aggregate_ticks(
        &self,
        _al: &Aligner,
        _time: &[i64],
        _price: &Storage<f64>,
        _size: Option<&Storage<f64>>,
    ) -> Result<Bars, String> {
        Err("GPU error: device lost".into())
    }
    fn describe(&self) -> String {
        "GPU test adapter".into()
    }
}

#[test]
fn a_gpu_error_falls_back_to_the_cpu_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let (ts, px, sz) = ticks();
    let n = 20_000;
    write_csv(&dir.path().join("ticks.csv"), &ts[..n], &px[..n], &sz[..n]);
    let chart = write_chart(dir.path(), "America/New_York", "1h");
    let g = session(Some(Arc::new(Broken))).load(&chart).unwrap();
    let c = session(None).load(&chart).unwrap();
    assert_tables_bit_equal(&g, &c, "fallback");
    assert!(g.build.timeframes_on_gpu.is_empty());
    assert_eq!(
        g.build.timeframe_notices,
        [
            "ticks@1h: aggregation on the GPU test adapter failed (GPU error: device lost); aggregated on the CPU instead",
            "ticks@1d: aggregation on the GPU test adapter failed (GPU error: device lost); aggregated on the CPU instead",
        ]
    );
    // `off` and `auto` on llvmpipe never take the GPU path.
    let ctx = ctx();
    let off: Arc<dyn TickAggregator> =
        Arc::new(GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Off));
    let m = session(Some(off)).load(&chart).unwrap();
    assert!(m.build.timeframes_on_gpu.is_empty());
    assert_tables_bit_equal(&m, &c, "off");
}

/// A real GPU failure: the device is destroyed under the aggregator; the
/// chart still builds, from the CPU path, with the notice.
#[test]
fn a_destroyed_device_falls_back_to_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let (ts, px, sz) = ticks();
    let n = 5_000;
    write_csv(&dir.path().join("ticks.csv"), &ts[..n], &px[..n], &sz[..n]);
    let chart = write_chart(dir.path(), "UTC", "5m");
    let ctx = ctx();
    let accel = Arc::new(GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force));
    ctx.device.destroy();
    let g = session(Some(accel.clone())).load(&chart).unwrap();
    let c = session(None).load(&chart).unwrap();
    assert_tables_bit_equal(&g, &c, "destroyed device");
    assert!(g.build.timeframes_on_gpu.is_empty());
    assert_eq!(
        g.build.timeframe_notices.len(),
        2,
        "{:?}",
        g.build.timeframe_notices
    );
    assert!(
        g.build.timeframe_notices[0].starts_with("ticks@5m: aggregation on the GPU "),
        "{:?}",
        g.build.timeframe_notices
    );
    assert_eq!(accel.gpu_runs(), 0);
}
