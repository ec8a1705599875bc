//! The synthetic source (issue 15: ~140 ns a point on one core before it
//! ran in parallel): 10 M tick rows read through its C tables in chunks of
//! 64 Ki rows, as the host reads them, on every core and on one thread.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts_plugin_api::testing::read_source;
use gpu_charts_plugin_synthetic::plugin_descriptor;

const ROWS: usize = 10_000_000;
const CHUNK: usize = 64 * 1024;

fn bench(c: &mut Criterion) {
    let params = format!(r#"{{"rows": {ROWS}, "seed": 7, "mean_interval_ms": 100}}"#);
    let read = || read_source(plugin_descriptor(), "synthetic", &params, "", CHUNK).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    // Same rows whatever the thread count.
    let (a, b) = (read(), one.install(read));
    assert_eq!(a.timestamps, b.timestamps);
    assert_eq!(a.columns, b.columns);
    let mut g = c.benchmark_group("synthetic_10M_ticks");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10);
    g.bench_function(format!("{}_threads", rayon::current_num_threads()), |b| {
        b.iter(read)
    });
    g.bench_function("1_thread", |b| b.iter(|| one.install(read)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
