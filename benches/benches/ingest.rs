//! CSV ingest through the csv source plugin vs reading the same bytes and
//! counting lines (the floor any parser pays).
//!
//! `csv_ingest_10m` reads a 10 M-row tick file (`timestamp,price,volume`,
//! ISO times with milliseconds), written once to
//! `target/bench-data/ticks_10m.csv` by [`make_ticks_csv`]; the polars peer
//! (`benches/peers/csv_polars.py`) reads the same file and prints the same
//! checksum. `GPU_CHARTS_BENCH_CSV_ROWS` changes the row count (and the
//! file name).
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

/// Writes `rows` ticks to `target/bench-data/ticks_<rows>.csv` unless the
/// file is already there: times from 2024-01-02 09:30 UTC in steps of
/// 0..250 ms (0 = a repeated time, as trades share timestamps), random-walk
/// prices with 2 decimals, sizes 1..1000. Deterministic (xorshift).
fn make_ticks_csv(rows: usize) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let name = if rows == 10_000_000 {
        "ticks_10m.csv".to_string()
    } else {
        format!("ticks_{rows}.csv")
    };
    let path = dir.join(name);
    if path.is_file() {
        return path;
    }
    let tmp = path.with_extension("csv.part");
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
    writeln!(f, "timestamp,price,volume").unwrap();
    let walk = gpu_charts_benches::random_walk(rows, 5);
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    // 2024-01-02T09:30:00Z in ms (`date -u -d 2024-01-02T09:30:00Z +%s`).
    let mut t_ms: i64 = 1_704_187_800_000;
    for p in walk {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        t_ms += (s % 250) as i64;
        let day = t_ms.div_euclid(86_400_000);
        let ms = t_ms.rem_euclid(86_400_000);
        writeln!(
            f,
            "{}T{:02}:{:02}:{:02}.{:03},{:.2},{}",
            epoch_date(day as usize),
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            p,
            1 + (s >> 32) % 999
        )
        .unwrap();
    }
    f.flush().unwrap();
    drop(f);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// The 10 M-row tick file: the plugin vs reading the bytes.
fn bench_ticks(c: &mut Criterion) {
    let rows: usize = std::env::var("GPU_CHARTS_BENCH_CSV_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let path = make_ticks_csv(rows);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let registry = gpu_charts_benches::registry();
    let csv = registry.source("csv").unwrap();
    let params = format!(
        r#"{{"path": "{}", "columns": {{"close": "price", "volume": "volume"}}}}"#,
        path.display()
    );
    let t = csv.open(&params, "").unwrap().read_all().unwrap();
    assert_eq!(t.timestamps.len(), rows);
    // Same checksum as the polars peer prints.
    let sum_price: f64 = t.columns[0].iter().sum();
    let sum_volume: f64 = t.columns[1].iter().sum();
    eprintln!(
        "csv_ingest_10m: {} rows, {bytes} bytes, sum(price) = {sum_price:.2}, sum(volume) = {sum_volume:.1}",
        t.timestamps.len()
    );
    drop(t);
    let mut g = c.benchmark_group("csv_ingest_10m");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("baseline_read_bytes_count_lines", |b| {
        b.iter(|| {
            let data = std::fs::read(&path).unwrap();
            count_newlines(&data)
        })
    });
    g.bench_function("csv_plugin_open_and_read_all", |b| {
        b.iter(|| {
            let t = csv.open(&params, "").unwrap().read_all().unwrap();
            assert_eq!(t.timestamps.len(), rows);
            t
        })
    });
    g.finish();
}

/// Newlines in `data` (the cheapest pass that looks at every byte).
fn count_newlines(data: &[u8]) -> usize {
    data.iter().filter(|&&c| c == b'\n').count()
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

criterion_group!(benches, bench, bench_ticks);
criterion_main!(benches);
