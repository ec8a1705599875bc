//! The GPU path against the CPU path the model uses
//! ([`aggregate_ticks`], on every core and in one chunk) and against a
//! naive sequential f64 loop written from the CPU path's documented rules,
//! bit for bit. Runs on lavapipe.
use super::*;
use crate::data::timeframe::{Timeframe, aggregate_ticks, aggregate_ticks_in_chunks};
use chrono_tz::Tz;

fn ctx() -> GpuContext {
    GpuContext::headless()
        .unwrap_or_else(|e| panic!("a GPU adapter (install mesa-vulkan-drivers): {e}"))
}

/// The rules of `data::timeframe`'s module docs as one sequential loop:
/// open/close the first/last finite price of a bucket, high/low the first
/// strictly larger/smaller, volume the finite sizes added left to right,
/// count the finite prices; buckets without one give no bar.
fn naive(al: &Aligner, time: &[i64], price: &[f64], size: Option<&[f64]>) -> Bars {
    let mut bars = Bars::default();
    let mut start = None;
    for i in 0..time.len() {
        let s = al.bucket_start(time[i]).unwrap();
        let p = price[i];
        if !p.is_finite() {
            continue;
        }
        let v = size.map_or(0.0, |z| if z[i].is_finite() { z[i] } else { 0.0 });
        if start != Some(s) {
            start = Some(s);
            bars.time.push(s);
            bars.open.push(p);
            bars.high.push(p);
            bars.low.push(p);
            bars.close.push(p);
            bars.volume.push(v);
            bars.count.push(1);
            continue;
        }
        let k = bars.len() - 1;
        if p > bars.high[k] {
            bars.high[k] = p;
        }
        if p < bars.low[k] {
            bars.low[k] = p;
        }
        bars.close[k] = p;
        bars.volume[k] += v;
        bars.count[k] += 1;
    }
    bars
}

/// The GPU bars of every aggregator in `aggs` equal the CPU path (every
/// core and one chunk) and the naive loop, with and without sizes.
fn check_all(
    ctx: &GpuContext,
    aggs: &mut [GpuAggregator],
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: &[f64],
    what: &str,
) {
    for sz in [Some(size), None] {
        let cpu = aggregate_ticks(al, time, price, sz).unwrap();
        let one = aggregate_ticks_in_chunks(al, time, price, sz, 1).unwrap();
        let what = format!("{what} in {:?}, sizes {}", al.time_zone(), sz.is_some());
        assert_bits_eq(
            &cpu,
            &naive(al, time, price, sz),
            &format!("{what}: CPU vs naive"),
        );
        assert_bits_eq(&one, &cpu, &format!("{what}: one chunk vs CPU"));
        for (k, agg) in aggs.iter_mut().enumerate() {
            let ticks = agg.upload(ctx, time.len(), price, sz).unwrap();
            let got = agg.aggregate(ctx, &ticks, al, time, price, sz).unwrap();
            assert_bits_eq(&got, &cpu, &format!("{what}: GPU ({k}) vs CPU"));
        }
    }
}

/// Bit-exact equality (NaN never occurs in bars; ±0 must match too).
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
                "{what}: {name}[{i}] = {a:e} ({:#x}) on the GPU, {b:e} ({:#x}) in the reference",
                a.to_bits(),
                b.to_bits()
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

/// Every timeframe from 1s to 1M, in UTC, Berlin and New York, over
/// irregular ticks with gaps, NaN and infinite prices, NaN sizes and runs
/// of fractional sizes (volume summed on the CPU there) crossing both 2024
/// DST changes; small pages and batches put page and batch edges inside
/// buckets.
#[test]
fn gpu_bars_equal_the_cpu_path_for_every_timeframe_and_zone() {
    let ctx = ctx();
    let mut aggs = [
        GpuAggregator::new(&ctx).unwrap(),
        GpuAggregator::with_limits(&ctx, 5 * GROUP_TICKS + 64, 100).unwrap(),
    ];
    let (time, price, size) = dst_ticks();
    let n = time.len();
    assert!(n % 256 != 0 && n % RUN_TICKS != 0);
    let paged = aggs[1].upload(&ctx, n, &price, Some(&size)).unwrap();
    assert!(paged.pages() > 10, "{} pages", paged.pages());
    assert!(time.windows(2).all(|w| w[0] <= w[1]));
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let ny: Tz = "America/New_York".parse().unwrap();
    for tf in ["1s", "1m", "5m", "1h", "4h", "1d", "1w", "1M"] {
        let tf: Timeframe = tf.parse().unwrap();
        for tz in [None, Some(berlin), Some(ny)] {
            let al = Aligner::new(tf, tz);
            check_all(&ctx, &mut aggs, &al, &time, &price, &size, &tf.to_string());
        }
    }
}

/// The volume rule: whole sizes below 2^53 are summed exactly on the GPU;
/// sums reaching 2^53, fractions, negatives, -0 and huge sizes make the
/// CPU sum that bucket in its order, so every case equals the CPU path
/// (sums of fractions in another order would differ in the last bit).
#[test]
fn volumes_equal_the_cpu_path_whatever_the_sizes() {
    let ctx = ctx();
    let mut aggs = [GpuAggregator::new(&ctx).unwrap()];
    let m = 60_000_000_000i64;
    let one_min = Aligner::new("1m".parse().unwrap(), None);
    let big = (1u64 << 52) as f64;
    let buckets: Vec<Vec<f64>> = vec![
        vec![1.0, 2.0, 3.0],
        vec![0.1, 0.2, 0.3, 1e16, -1e16, 0.7],
        vec![big, big - 1.0],
        vec![big, big],
        vec![big * 2.0, 1.0],
        vec![9.007_199_254_740_993e15, 1.0],
        vec![-0.0],
        vec![-0.0, -0.0],
        vec![-0.0, 0.0],
        vec![-3.0, 5.0],
        vec![0.5, 0.25, 0.125],
        vec![f64::NAN, f64::INFINITY, 4.0],
        vec![f64::MIN_POSITIVE / 4.0, 1.0],
        vec![1e300, 1e300],
        vec![f64::MAX, f64::MAX],
        (0..3000).map(|i| (i % 7) as f64 * 1e9).collect(),
        (0..3000).map(|i| 0.013 * (i % 11) as f64).collect(),
        vec![1.5, 1e6 + 0.5, 1.5e7 + 0.25, 3.0e15 + 0.5],
        vec![1e6 + 0.5],
        vec![3.0e15 + 0.5],
    ];
    let (mut time, mut price, mut size) = (Vec::new(), Vec::new(), Vec::new());
    for (k, b) in buckets.iter().enumerate() {
        for (i, &v) in b.iter().enumerate() {
            time.push(k as i64 * m + i as i64);
            price.push(100.0 + i as f64);
            size.push(v);
        }
    }
    check_all(&ctx, &mut aggs, &one_min, &time, &price, &size, "sizes");
    let cpu = aggregate_ticks(&one_min, &time, &price, Some(&size)).unwrap();
    // Buckets 0, 2, 11 and 15 hold whole sizes with sums below 2^53 (NaN
    // and ∞ add 0): summed on the GPU; the others on the CPU.
    let agg = &mut aggs[0];
    let ticks = agg.upload(&ctx, time.len(), &price, Some(&size)).unwrap();
    let got = agg
        .aggregate(&ctx, &ticks, &one_min, &time, &price, Some(&size))
        .unwrap();
    assert_bits_eq(&got, &cpu, "sizes again");
    assert_eq!(agg.last_cpu_volume_buckets(), buckets.len() - 4);
    // The cases the rule is about really are order-dependent or signed.
    assert_eq!(cpu.volume[6].to_bits(), (-0.0f64).to_bits());
    assert_eq!(cpu.volume[3], 2.0 * big);
}

/// Equal prices (+0 and -0 too) keep the first tick for high and low, as
/// the CPU does; subnormals, extremes and a bucket with no finite price.
#[test]
fn ties_signed_zeros_and_extremes_equal_the_cpu_path() {
    let ctx = ctx();
    let mut aggs = [
        GpuAggregator::new(&ctx).unwrap(),
        GpuAggregator::with_limits(&ctx, GROUP_TICKS, 32).unwrap(),
    ];
    let m = 60_000_000_000i64;
    let one_min = Aligner::new("1m".parse().unwrap(), None);
    let tiny = f64::from_bits(1);
    let buckets: Vec<Vec<f64>> = vec![
        vec![-0.0, 0.0, -0.0, 0.0],
        vec![0.0, -0.0],
        vec![1.0, -0.0, 0.0, -1.0, -1.0, 1.0],
        vec![tiny, -tiny, 0.0, tiny, -tiny],
        vec![f64::MAX, f64::MIN, f64::MAX, f64::MIN, f64::MIN_POSITIVE],
        vec![f64::NAN, f64::NEG_INFINITY, f64::INFINITY],
        vec![f64::NAN, -5.0, f64::NAN],
        vec![3.0; 2500],
        (0..2500).map(|i| ((i * 37) % 100) as f64 - 50.0).collect(),
    ];
    let (mut time, mut price) = (Vec::new(), Vec::new());
    for (k, b) in buckets.iter().enumerate() {
        for (i, &p) in b.iter().enumerate() {
            time.push(k as i64 * m + i as i64);
            price.push(p);
        }
    }
    let size: Vec<f64> = (0..time.len()).map(|i| (i % 5) as f64).collect();
    check_all(&ctx, &mut aggs, &one_min, &time, &price, &size, "ties");
}

/// Edges: no ticks, one tick, one-tick buckets, a bucket of only
/// non-finite prices (no bar, as on the CPU), ticks on bucket edges, at
/// the first and last representable buckets and beyond f32's range.
#[test]
fn edges_equal_the_cpu_path() {
    let ctx = ctx();
    let mut aggs = [
        GpuAggregator::new(&ctx).unwrap(),
        GpuAggregator::with_limits(&ctx, GROUP_TICKS, 32).unwrap(),
    ];
    let m = 60_000_000_000i64;
    let one_min = Aligner::new("1m".parse().unwrap(), None);
    let cases: Vec<(&str, Vec<i64>, Vec<f64>)> = vec![
        ("empty", vec![], vec![]),
        ("one tick", vec![5], vec![1.5]),
        ("one NaN tick", vec![5], vec![f64::NAN]),
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
        (
            "a bucket across a page edge",
            (0..3 * GROUP_TICKS as i64 + 5)
                .map(|i| i / 2000 * m + i)
                .collect(),
            (0..3 * GROUP_TICKS + 5).map(|i| (i % 13) as f64).collect(),
        ),
    ];
    for (what, time, price) in cases {
        let size: Vec<f64> = (0..time.len()).map(|i| i as f64 + 0.25).collect();
        check_all(&ctx, &mut aggs, &one_min, &time, &price, &size, what);
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

/// Ticks uploaded to one device and aggregated on another: a wgpu
/// validation error comes back as an error, not a panic.
#[test]
fn a_gpu_error_is_an_error_not_a_panic() {
    let (a, b) = (ctx(), ctx());
    let al = Aligner::new("1m".parse().unwrap(), None);
    let time = [0i64, 1, 2];
    let price = [1.0, 2.0, 3.0];
    let ticks = GpuAggregator::new(&a)
        .unwrap()
        .upload(&a, 3, &price, None)
        .unwrap();
    let mut other = GpuAggregator::new(&b).unwrap();
    let e = other
        .aggregate(&b, &ticks, &al, &time, &price, None)
        .unwrap_err();
    assert!(
        matches!(e, GpuAggregateError::Gpu(GpuError::Wgpu(_))),
        "{e}"
    );
}

/// The model's aggregator keeps the ticks on the GPU across timeframes
/// (one upload) and uploads again for other columns.
#[test]
fn the_tick_aggregator_keeps_the_ticks_resident() {
    let ctx = ctx();
    let gta = GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force);
    let (time, price, size) = dst_ticks();
    let price = Storage::from(price);
    let size = Storage::from(size);
    for tf in ["1m", "1h", "1d"] {
        let al = Aligner::new(tf.parse().unwrap(), None);
        let got = gta
            .aggregate_ticks(&al, &time, &price, Some(&size))
            .unwrap();
        let cpu = aggregate_ticks(&al, &time, &price, Some(&size)).unwrap();
        assert_bits_eq(&got, &cpu, tf);
    }
    assert_eq!(gta.gpu_runs(), 3);
    assert_eq!(gta.resident_bytes(), 16 * time.len() as u64);
    let al = Aligner::new("5m".parse().unwrap(), None);
    let got = gta.aggregate_ticks(&al, &time, &price, None).unwrap();
    assert_bits_eq(
        &got,
        &aggregate_ticks(&al, &time, &price, None).unwrap(),
        "no sizes",
    );
    assert_eq!(gta.resident_bytes(), 8 * time.len() as u64 + 8);
    assert!(gta.wanted(0));
    assert!(!GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Off).wanted(usize::MAX));
    // llvmpipe is a CPU adapter: `auto` leaves the work to the CPU path.
    let auto = GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Auto);
    let cpu_adapter = ctx.adapter.get_info().device_type == wgpu::DeviceType::Cpu;
    assert_eq!(auto.wanted(usize::MAX), !cpu_adapter);
}

/// Ticks larger than the GPU share of the budget are released after each
/// aggregation (and uploaded again for the next), with the bars unchanged;
/// ticks within it stay; a smaller budget releases what no longer fits.
#[test]
fn ticks_over_the_resident_budget_are_released_after_each_aggregation() {
    let ctx = ctx();
    let gta = GpuTickAggregator::new(&ctx, GpuAggregatePolicy::Force);
    let (time, price, size) = dst_ticks();
    let bytes = 16 * time.len() as u64;
    let price = Storage::from(price);
    let size = Storage::from(size);
    gta.set_resident_budget(bytes - 1);
    for tf in ["1m", "1h"] {
        let al = Aligner::new(tf.parse().unwrap(), None);
        let got = gta
            .aggregate_ticks(&al, &time, &price, Some(&size))
            .unwrap();
        assert_bits_eq(
            &got,
            &aggregate_ticks(&al, &time, &price, Some(&size)).unwrap(),
            tf,
        );
    }
    let u = gta.usage();
    assert_eq!(
        (
            u.runs,
            u.resident_bytes,
            u.resident_budget,
            u.released_over_budget
        ),
        (2, 0, bytes - 1, 2)
    );
    gta.set_resident_budget(bytes);
    let al = Aligner::new("1d".parse().unwrap(), None);
    gta.aggregate_ticks(&al, &time, &price, Some(&size))
        .unwrap();
    let u = gta.usage();
    assert_eq!(
        (u.runs, u.resident_bytes, u.released_over_budget),
        (3, bytes, 2)
    );
    gta.set_resident_budget(bytes / 2);
    assert_eq!(
        gta.usage().resident_bytes,
        0,
        "a smaller budget releases the ticks"
    );
}

#[test]
fn the_read_kernel_reads_every_tick_of_every_page() {
    let ctx = ctx();
    let mut agg = GpuAggregator::with_limits(&ctx, 3 * GROUP_TICKS, 1000).unwrap();
    let n = 10 * GROUP_TICKS + 77;
    let price: Vec<f64> = (0..n).map(|i| i as f64 * 1.5 + 0.1).collect();
    let size: Vec<f64> = (0..n).map(|i| (i % 9) as f64).collect();
    let xor = |v: &[f64]| {
        v.iter().fold(0u32, |x, f| {
            x ^ f.to_bits() as u32 ^ (f.to_bits() >> 32) as u32
        })
    };
    let ticks = agg.upload(&ctx, n, &price, Some(&size)).unwrap();
    assert_eq!(
        agg.read_bandwidth(&ctx, &ticks).unwrap(),
        xor(&price) ^ xor(&size)
    );
    let ticks = agg.upload(&ctx, n, &price, None).unwrap();
    assert_eq!(agg.read_bandwidth(&ctx, &ticks).unwrap(), xor(&price));
}

#[test]
fn the_shader_uses_the_same_workgroup_size() {
    let src = shader::aggregate_source();
    assert!(
        src.contains(&format!("const WG: u32 = {WORKGROUP}u;"))
            && src.contains(&format!("const TEAM: u32 = {TEAM_THREADS}u;")),
        "the workgroup size differs between aggregate.rs and aggregate.wgsl"
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

/// The window's aggregator opens no device for small tick sets, and on
/// llvmpipe (a CPU adapter) leaves large ones to the CPU path too.
#[test]
fn the_lazy_aggregator_opens_a_device_only_for_large_tick_sets() {
    if std::env::var_os(POLICY_ENV).is_some() {
        return; // the environment chose a policy; `auto` is what is tested
    }
    let lazy = GpuTickAggregator::lazy_headless();
    assert!(!lazy.wanted(GPU_MIN_TICKS - 1));
    assert!(
        lazy.ctx.get().is_none(),
        "a device was opened for few ticks"
    );
    let real_gpu = ctx().adapter.get_info().device_type != wgpu::DeviceType::Cpu;
    assert_eq!(lazy.wanted(GPU_MIN_TICKS), real_gpu);
    assert!(lazy.ctx.get().is_some_and(|c| c.is_ok()));
}
