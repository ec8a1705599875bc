//! CSV ingest through the csv source plugin vs reading the same bytes and
//! counting lines (the floor any parser pays).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::io::Write;

fn make_csv(rows: usize) -> (tempfile_dir::Dir, std::path::PathBuf) {
    let dir = tempfile_dir::Dir::new();
    let path = dir.0.join("bench.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "Ticker,Date,Open,High,Low,Close,Volume,Adj Close").unwrap();
    let walk = gpu_charts_benches::random_walk(rows, 3);
    for (i, c) in walk.iter().enumerate() {
        writeln!(
            f,
            // One-minute bars from 1970-01-01, "YYYY-MM-DD HH:MM:SS" like exchange exports.
            "AAPL,{} {:02}:{:02}:00,{:.2},{:.2},{:.2},{:.2},{},{:.2}",
            epoch_date(i / 1440),
            (i / 60) % 24,
            i % 60,
            c,
            c + 1.0,
            c - 1.0,
            c + 0.25,
            1_000_000 + i,
            c
        )
        .unwrap();
    }
    f.flush().unwrap();
    (dir, path)
}

/// Civil date of day `i` after 1970-01-01 (Howard Hinnant's algorithm).
fn epoch_date(i: usize) -> String {
    let z = i as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

mod tempfile_dir {
    /// A temporary folder removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!("gpu-charts-bench-{}", std::process::id()));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn bench(c: &mut Criterion) {
    let rows = 200_000;
    let (_dir, path) = make_csv(rows);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let registry = gpu_charts_benches::registry();
    let csv = registry.source("csv").unwrap();
    let params = format!(r#"{{"path": "{}"}}"#, path.display());
    let mut g = c.benchmark_group("csv_ingest");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("baseline_read_and_count_lines", |b| {
        b.iter(|| {
            let data = std::fs::read(&path).unwrap();
            data.iter().filter(|&&c| c == b'\n').count()
        })
    });
    g.bench_function("csv_plugin_200k_rows", |b| {
        b.iter(|| {
            let t = csv.open(&params, "").unwrap().read_all().unwrap();
            assert_eq!(t.timestamps.len(), rows);
            t
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
