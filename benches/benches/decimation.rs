//! Min/max decimation: building the pyramid (once per load) and answering a
//! frame's per-pixel queries, vs a plain copy of the same column.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::data::MinMaxPyramid;

fn bench(c: &mut Criterion) {
    let n = 10_000_000;
    let v = gpu_charts_benches::random_walk(n, 7);
    let mut g = c.benchmark_group("decimation_10M");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_copy_column", |b| b.iter(|| v.clone()));
    g.bench_function("pyramid_build", |b| b.iter(|| MinMaxPyramid::build(&v)));
    g.finish();

    let p = MinMaxPyramid::build(&v);
    let mut g = c.benchmark_group("decimation_frame_query");
    let columns = 2000usize;
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("2000_columns_over_10M", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for col in 0..columns {
                let a = col * n / columns;
                let e = (col + 1) * n / columns;
                let (lo, hi) = p.range(&v, a, e);
                acc += hi - lo;
            }
            acc
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
