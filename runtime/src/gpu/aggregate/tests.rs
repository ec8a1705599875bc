//! The GPU path against a naive f32 loop written from the precision contract
//! (module docs), and against the f64 CPU path where the contract says they
//! agree. Runs on lavapipe.
use super::*;
use crate::data::timeframe::{Timeframe, aggregate_ticks};
use chrono_tz::Tz;

fn ctx() -> GpuContext {
    GpuContext::headless()
        .unwrap_or_else(|e| panic!("a GPU adapter (install mesa-vulkan-drivers): {e}"))
}

/// One partial in f32, as the contract describes it.
#[derive(Clone, Copy)]
struct Ref {
    first: f32,
    last: f32,
    low: f32,
    high: f32,
    volume: f32,
    count: u32,
}

const NONE: Ref = Ref {
    first: 0.0,
    last: 0.0,
    low: 0.0,
    high: 0.0,
    volume: 0.0,
    count: 0,
};

/// `b`'s ticks follow `a`'s.
fn then(a: Ref, b: Ref) -> Ref {
    if b.count == 0 {
        return a;
    }
    if a.count == 0 {
        return b;
    }
    Ref {
        first: a.first,
        last: b.last,
        low: if b.low < a.low { b.low } else { a.low },
        high: if b.high > a.high { b.high } else { a.high },
        volume: a.volume + b.volume,
        count: a.count + b.count,
    }
}

/// The naive reference: one pass over the ticks in f32; the k-th tick of a
/// bucket closes a run when k is a multiple of RUN_TICKS and a group when a
/// multiple of GROUP_TICKS.
fn naive_f32(al: &Aligner, time: &[i64], price: &[f64], size: Option<&[f64]>) -> Bars {
    let mut bars = Bars::default();
    let (mut run, mut group, mut bucket) = (NONE, NONE, NONE);
    let mut start = None;
    let mut k = 0usize;
    let flush = |bars: &mut Bars, start: i64, b: Ref| {
        if b.count > 0 {
            bars.time.push(start);
            bars.open.push(b.first.into());
            bars.high.push(b.high.into());
            bars.low.push(b.low.into());
            bars.close.push(b.last.into());
            bars.volume.push(b.volume.into());
            bars.count.push(b.count.into());
        }
    };
    for i in 0..time.len() {
        let s = al.bucket_start(time[i]).unwrap();
        if start != Some(s) {
            if let Some(prev) = start {
                flush(&mut bars, prev, then(bucket, then(group, run)));
            }
            (run, group, bucket, k) = (NONE, NONE, NONE, 0);
            start = Some(s);
        } else if k.is_multiple_of(GROUP_TICKS) {
            group = then(group, run);
            bucket = then(bucket, group);
            (run, group) = (NONE, NONE);
        } else if k.is_multiple_of(RUN_TICKS) {
            group = then(group, run);
            run = NONE;
        }
        k += 1;
        let p = price[i] as f32;
        if !p.is_finite() {
            continue;
        }
        let v = size.map_or(0.0, |s| s[i] as f32);
        let v = if v.is_finite() { v } else { 0.0 };
        let tick = Ref {
            first: p,
            last: p,
            low: p,
            high: p,
            volume: v,
            count: 1,
        };
        run = then(run, tick);
    }
    if let Some(prev) = start {
        flush(&mut bars, prev, then(bucket, then(group, run)));
    }
    bars
}

/// Bit-exact equality (NaN never occurs; ±0 must match too).
fn assert_bits_eq(gpu: &Bars, want: &Bars, what: &str) {
    let first_diff = |a: &[i64], b: &[i64]| a.iter().zip(b).position(|(x, y)| x != y);
    assert_eq!(
        (gpu.len(), first_diff(&gpu.time, &want.time)),
        (want.len(), None),
        "{what}: bar count and first differing bucket start"
    );
    for (i, (a, b)) in gpu.count.iter().zip(&want.count).enumerate() {
        assert_eq!(a, b, "{what}: count[{i}]");
    }
    let cols = [
        ("open", &gpu.open, &want.open),
        ("high", &gpu.high, &want.high),
        ("low", &gpu.low, &want.low),
        ("close", &gpu.close, &want.close),
        ("volume", &gpu.volume, &want.volume),
    ];
    for (name, g, w) in cols {
        for (i, (a, b)) in g.iter().zip(w.iter()).enumerate() {
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{what}: {name}[{i}] = {a} on the GPU, {b} in the reference"
            );
        }
    }
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Irregular ticks from `t0`: steps of 0..2·`mean_ms` ms, a few gaps of
/// up to 6 hours, rare non-finite prices and sizes, a random walk with
/// sizes 1..100 (whole numbers, and one fractional run).
fn ticks(n: usize, t0: i64, mean_ms: u64, seed: u64) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let mut s = seed | 1;
    let (mut t, mut p) = (t0, 100.0f64);
    let (mut time, mut price, mut size) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let r = xorshift(&mut s);
        t += ((r >> 20) % (2 * mean_ms + 1)) as i64 * 1_000_000;
        if r.is_multiple_of(5_000) {
            t += ((r >> 8) % 21_600) as i64 * 1_000_000_000; // up to 6 hours
        }
        p += ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.37;
        time.push(t);
        price.push(match r % 997 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            _ => p,
        });
        size.push(match r % 1009 {
            0 => f64::NAN,
            _ if i % 7_000 < 300 => ((r >> 30) % 1000) as f64 * 0.013,
            _ => ((r >> 30) % 100 + 1) as f64,
        });
    }
    (time, price, size)
}

fn aligners() -> Vec<Aligner> {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let ny: Tz = "America/New_York".parse().unwrap();
    let mut out = Vec::new();
    for tf in ["1s", "1m", "5m", "1h", "4h", "1d", "1w", "1M"] {
        let tf: Timeframe = tf.parse().unwrap();
        out.push(Aligner::new(tf, None));
        out.push(Aligner::new(tf, Some(berlin)));
    }
    out.push(Aligner::new("1h".parse().unwrap(), Some(ny)));
    out
}

/// Ticks across both 2024 DST changes of Europe/Berlin (31 March, 27
/// October) and New York (10 March, 3 November), plus gaps between them.
fn dst_ticks() -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let mut all = (Vec::new(), Vec::new(), Vec::new());
    // 2024-03-09, 2024-03-30, 2024-10-26, 2024-11-02 at 00:00 UTC.
    for (k, t0) in [
        1_709_942_400i64,
        1_711_756_800,
        1_729_900_800,
        1_730_505_600,
    ]
    .into_iter()
    .enumerate()
    {
        // Two days at ~4 s: every hour bucket holds more than a group.
        let (t, p, s) = ticks(45_001, t0 * 1_000_000_000, 4_000, 7 + k as u64);
        all.0.extend(t);
        all.1.extend(p);
        all.2.extend(s);
    }
    all
}

#[test]
fn gpu_bars_equal_the_naive_f32_loop_for_every_timeframe() {
    let ctx = ctx();
    let mut agg = GpuAggregator::new(&ctx).unwrap();
    // Small pages and batches: the same bars across page and batch edges.
    let mut paged = GpuAggregator::with_limits(&ctx, 5 * GROUP_TICKS + 64, 100).unwrap();
    let (time, price, size) = dst_ticks();
    let n = time.len();
    assert!(n % 256 != 0 && n % RUN_TICKS != 0);
    let on_gpu = agg.upload(&ctx, n, &price, Some(&size)).unwrap();
    let on_gpu_paged = paged.upload(&ctx, n, &price, Some(&size)).unwrap();
    assert!(on_gpu_paged.pages.len() > 10);
    let no_size = agg.upload(&ctx, n, &price, None).unwrap();
    assert!(time.windows(2).all(|w| w[0] <= w[1]));
    for al in aligners() {
        let what = format!("{} in {:?}", al.timeframe(), al.time_zone());
        let want = naive_f32(&al, &time, &price, Some(&size));
        assert!(!want.is_empty());
        let got = agg.aggregate(&ctx, &on_gpu, &al, &time).unwrap();
        assert_bits_eq(&got, &want, &what);
        let got = paged.aggregate(&ctx, &on_gpu_paged, &al, &time).unwrap();
        assert_bits_eq(&got, &want, &format!("{what}, paged"));
        let got = agg.aggregate(&ctx, &no_size, &al, &time).unwrap();
        assert_bits_eq(&got, &naive_f32(&al, &time, &price, None), &what);
        assert!(got.volume.iter().all(|&v| v == 0.0));
    }
}

/// Where the contract says so, the GPU bars are the f64 CPU path's rounded
/// to f32: OHLC and counts always, volumes for whole sizes.
#[test]
fn gpu_bars_are_the_cpu_bars_rounded_to_f32() {
    let ctx = ctx();
    let (time, price, mut size) = dst_ticks();
    for s in &mut size {
        *s = s.round();
    }
    for al in aligners() {
        let cpu = aggregate_ticks(&al, &time, &price, Some(&size)).unwrap();
        let gpu = aggregate_ticks_gpu(&ctx, &al, &time, &price, Some(&size)).unwrap();
        let round = |v: &[f64]| v.iter().map(|&x| f64::from(x as f32)).collect::<Vec<_>>();
        let want = Bars {
            open: round(&cpu.open),
            high: round(&cpu.high),
            low: round(&cpu.low),
            close: round(&cpu.close),
            volume: cpu.volume.clone(),
            ..cpu.clone()
        };
        assert_bits_eq(&gpu, &want, &format!("{}", al.timeframe()));
    }
}

/// Edges: no ticks, one tick, one-tick buckets, a bucket of only
/// non-finite prices (no bar, as on the CPU), ticks on bucket edges and at
/// the first and last representable buckets.
#[test]
fn edges_equal_the_reference() {
    let ctx = ctx();
    let mut agg = GpuAggregator::new(&ctx).unwrap();
    let m = 60_000_000_000i64;
    let one_min = Aligner::new("1m".parse().unwrap(), None);
    let cases: Vec<(&str, Vec<i64>, Vec<f64>)> = vec![
        ("empty", vec![], vec![]),
        ("one tick", vec![5], vec![1.5]),
        (
            "one-tick buckets and edges",
            vec![0, m - 1, m, 3 * m, 3 * m, 4 * m - 1, 10 * m],
            vec![1.0, 2.0, 3.0, -0.0, 0.0, 4.0, 5.0],
        ),
        (
            "a bucket of NaNs between two",
            vec![0, m, m + 1, 2 * m],
            vec![1.0, f64::NAN, f64::NEG_INFINITY, 2.0],
        ),
        ("beyond f32", vec![0, 1, 2], vec![1e300, 2.0, -1e39]),
        (
            "first and last representable minutes",
            vec![
                i64::MIN / m * m,
                i64::MIN / m * m + 1,
                i64::MAX - 1,
                i64::MAX,
            ],
            vec![1.0, 2.0, 3.0, 4.0],
        ),
    ];
    for (what, time, price) in cases {
        let size: Vec<f64> = (0..time.len()).map(|i| i as f64 + 0.25).collect();
        let ticks = agg.upload(&ctx, time.len(), &price, Some(&size)).unwrap();
        let got = agg.aggregate(&ctx, &ticks, &one_min, &time).unwrap();
        assert_bits_eq(&got, &naive_f32(&one_min, &time, &price, Some(&size)), what);
        if price.iter().all(|p| !p.is_finite() || p.abs() < 1e38) {
            let cpu = aggregate_ticks(&one_min, &time, &price, Some(&size)).unwrap();
            assert_eq!(got.time, cpu.time, "{what}: same bars as the CPU path");
            assert_eq!(got.count, cpu.count, "{what}");
        } else {
            // Finite in f64, infinite in f32: skipped here, counted there.
            assert_eq!(got.count, [1], "{what}");
        }
    }
}

/// Errors are the CPU path's: lengths, and a bucket outside i64 ns.
#[test]
fn errors_are_the_cpu_paths() {
    let ctx = ctx();
    let al = Aligner::new("1d".parse().unwrap(), None);
    let e = aggregate_ticks_gpu(&ctx, &al, &[1, 2, 3], &[1.0, 2.0], None).unwrap_err();
    assert!(
        matches!(
            e,
            GpuAggregateError::Aggregate(AggregateError::Length {
                column: "price",
                found: 2,
                expected: 3
            })
        ),
        "{e}"
    );
    // The day of row 0 starts before i64::MIN.
    let time = [i64::MIN + 5, 0, 1];
    let price = [1.0; 3];
    let cpu = aggregate_ticks(&al, &time, &price, None).unwrap_err();
    let gpu = aggregate_ticks_gpu(&ctx, &al, &time, &price, None).unwrap_err();
    assert_eq!(gpu.to_string(), cpu.to_string());
    assert!(matches!(
        gpu,
        GpuAggregateError::Aggregate(AggregateError::OutOfRange { index: 0, .. })
    ));
}

#[test]
fn the_read_kernel_reads_every_tick_of_every_page() {
    let ctx = ctx();
    let mut agg = GpuAggregator::with_limits(&ctx, 3 * GROUP_TICKS, 1000).unwrap();
    let n = 10 * GROUP_TICKS + 77;
    let price = vec![1.0; n];
    let size = vec![2.0; n];
    let ticks = agg.upload(&ctx, n, &price, Some(&size)).unwrap();
    assert_eq!(agg.read_bandwidth(&ctx, &ticks).unwrap(), 3.0 * n as f32);
    let ticks = agg.upload(&ctx, n, &price, None).unwrap();
    assert_eq!(agg.read_bandwidth(&ctx, &ticks).unwrap(), n as f32);
}

#[test]
fn the_shader_uses_the_same_run_size() {
    let src = shader::aggregate_source();
    assert!(
        src.contains(&format!("const RUN_TICKS: u32 = {RUN_TICKS}u;")),
        "RUN_TICKS differs between aggregate.rs and aggregate.wgsl"
    );
    assert_eq!(GROUP_TICKS % RUN_TICKS, 0);
}

#[test]
fn the_gpu_pays_only_on_a_real_gpu_and_many_ticks() {
    let mut info = ctx().adapter.get_info();
    info.device_type = wgpu::DeviceType::Cpu;
    assert!(!gpu_worthwhile(&info, usize::MAX));
    info.device_type = wgpu::DeviceType::DiscreteGpu;
    assert!(!gpu_worthwhile(&info, GPU_MIN_TICKS - 1));
    assert!(gpu_worthwhile(&info, GPU_MIN_TICKS));
}
