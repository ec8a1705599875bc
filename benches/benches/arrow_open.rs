//! Arrow IPC: open + first frame (1600×900) of tick files of ~100 MB and
//! ~1 GB (Timestamp ns + f64, one record batch, made by `arrow_gen`), with
//! a fresh level-of-detail sidecar (the reopen: no pass over the values)
//! and without one (the first open: validation + pyramid build on every
//! core), next to reading the same bytes (`std::fs::read`: the floor of a
//! copying reader). The pyarrow peer (`benches/peers/arrow_pyarrow.py`)
//! reads the same files.
//!
//! Files go to `target/bench-data/ticks-<rows>.arrow` and are reused.
//! `GPU_CHARTS_ARROW_ROWS=6250000,62500000` (the default) picks the sizes;
//! `=1000000000` is the billion-tick case (16 GB) for a big machine.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gpu_charts::render::ChartSession;
use gpu_charts::scene::frame::build_frame;

fn rows_wanted() -> Vec<usize> {
    std::env::var("GPU_CHARTS_ARROW_ROWS")
        .unwrap_or_else(|_| "6250000,62500000".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect()
}

/// The data file for `rows`, generated once.
pub fn data_file(rows: usize) -> PathBuf {
    let dir = gpu_charts_benches::repo_root().join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("target/bench-data");
    let path = dir.join(format!("ticks-{rows}.arrow"));
    if !path.is_file() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        gpu_charts_benches::arrow_gen::write_ticks(&path, rows, threads).expect("generate");
    }
    path
}

fn chart_for(data: &Path) -> PathBuf {
    let chart = data.with_extension("toml");
    let name = data.file_name().and_then(|n| n.to_str()).expect("name");
    std::fs::write(
        &chart,
        format!(
            "size = [1600, 900]\n[sources.t]\nkind = \"arrow\"\nparams = {{ path = \"{name}\" }}\n\
             [[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"t.price\"\n"
        ),
    )
    .expect("chart");
    chart
}

fn open_and_draw(chart: &Path) -> usize {
    // A new session each time: no data cache carried over, as a fresh process.
    let mut session = ChartSession::new(gpu_charts_benches::plugin_dirs());
    let model = session.load(chart).expect("load");
    let frame = build_frame(&model, model.initial_view, [1600, 900], 1.0);
    frame.series.len()
}

fn bench(c: &mut Criterion) {
    for rows in rows_wanted() {
        let data = data_file(rows);
        let chart = chart_for(&data);
        let bytes = std::fs::metadata(&data).expect("stat").len();
        let sidecar = gpu_charts::data::sidecar::Sidecars::beside(&data);
        let mut g = c.benchmark_group(format!("arrow_open/{rows}_rows"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function("open_first_frame_fresh_sidecar", |b| {
            open_and_draw(&chart); // writes the sidecar if missing
            b.iter(|| open_and_draw(&chart))
        });
        g.bench_function("open_first_frame_no_sidecar", |b| {
            b.iter(|| {
                let _ = std::fs::remove_file(&sidecar);
                open_and_draw(&chart)
            })
        });
        g.bench_function("read_bytes_baseline", |b| {
            b.iter(|| std::fs::read(&data).expect("read").len())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
