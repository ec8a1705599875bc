//! The `arrow` source plugin in the host: columns lent without a copy
//! (ABI 1.2) reach the chart, the host validates them, and the level-of-
//! detail sidecar makes a reopen skip the scan, and is rebuilt when the
//! file changes or the sidecar is damaged.
//!
//! Needs the plugin library: `cargo build -p gpu-charts-plugin-arrow`.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampNanosecondArray};
use arrow_ipc::writer::FileWriter;
use gpu_charts::data::Table;
use gpu_charts::data::lent::LentReport;
use gpu_charts::data::sidecar::Sidecars;
use gpu_charts::plugins::SourceData;
use gpu_charts::render::ChartSession;
use gpu_charts::scene::frame::build_frame;

fn write_arrow(path: &Path, times: &[i64], prices: &[f64]) {
    let batch = RecordBatch::try_from_iter([
        (
            "time",
            Arc::new(TimestampNanosecondArray::from(times.to_vec())) as ArrayRef,
        ),
        ("price", Arc::new(Float64Array::from(prices.to_vec()))),
    ])
    .expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut w = FileWriter::try_new(file, &batch.schema()).expect("writer");
    w.write(&batch).expect("write");
    w.finish().expect("finish");
}

fn ramp(n: usize) -> (Vec<i64>, Vec<f64>) {
    let times = (0..n as i64)
        .map(|i| 1_700_000_000_000_000_000 + i * 1_000_000)
        .collect();
    let prices = (0..n).map(|i| 100.0 + ((i * 37) % 101) as f64).collect();
    (times, prices)
}

const CHART: &str = r#"
size = [400, 300]
[sources.px]
kind = "arrow"
params = { path = "t.arrow" }
[[panes]]
[[panes.series]]
type = "line"
data = "px.price"
"#;

#[test]
fn an_arrow_chart_draws_lent_columns_and_leaves_a_sidecar() {
    let dir = tempfile::tempdir().expect("tmp");
    let (times, prices) = ramp(5000);
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);
    std::fs::write(dir.path().join("chart.toml"), CHART).expect("chart");
    let mut session = ChartSession::default();
    let model = session
        .load(&dir.path().join("chart.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let table = &model.tables["px"];
    assert!(
        table.timeline.timestamps.is_lent(),
        "timestamps are the file's bytes"
    );
    assert!(
        table.columns[0].values.is_lent(),
        "prices are the file's bytes"
    );
    assert_eq!(&table.columns[0].values[..], &prices[..]);
    assert!(
        dir.path().join("t.arrow.gclod").is_file(),
        "sidecar written beside the file"
    );
    let frame = build_frame(&model, model.initial_view, [400, 300], 1.0);
    let g = &frame.panes[0];
    let (top, bottom) = (g.value_at(g.plot[1]), g.value_at(g.plot[1] + g.plot[3]));
    assert!(
        top >= 200.0 && bottom <= 100.0,
        "axis spans the prices: {bottom}..{top}"
    );
}

#[test]
fn unsorted_and_non_finite_arrow_data_are_host_errors_naming_the_row() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("chart.toml"), CHART).expect("chart");
    let (mut times, mut prices) = ramp(100);
    times.swap(40, 41);
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);
    let e = ChartSession::default()
        .load(&dir.path().join("chart.toml"))
        .expect_err("unsorted")
        .to_string();
    assert!(e.contains("timestamps are not sorted: data row 42"), "{e}");
    times.swap(40, 41);
    prices[70] = f64::NAN;
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);
    let e = ChartSession::default()
        .load(&dir.path().join("chart.toml"))
        .expect_err("NaN")
        .to_string();
    assert!(
        e.contains("column `price` has a non-finite value (NaN) at data row 71"),
        "{e}"
    );
    assert!(
        !dir.path().join("t.arrow.gclod").exists(),
        "no sidecar for bad data"
    );
}

/// Opens `t.arrow` in `dir` through the plugin and builds the lent table.
fn open(dir: &Path, sidecars: &Sidecars) -> (Table, LentReport) {
    let mut session = ChartSession::default();
    let registry = session.registry_for(&[]);
    let source = registry.source("arrow").expect("arrow plugin built");
    let data = source
        .open(r#"{"path": "t.arrow", "time_unit": "ns"}"#, dir)
        .and_then(gpu_charts::plugins::SourceInstance::load)
        .expect("open");
    let SourceData::Lent(lent) = data else {
        panic!("the arrow source lends its columns");
    };
    Table::from_lent("px", lent, dir, sidecars).expect("valid")
}

#[test]
fn a_fresh_sidecar_skips_the_scan_and_a_stale_or_corrupt_one_is_rebuilt() {
    let dir = tempfile::tempdir().expect("tmp");
    let sidecars = Sidecars { cache_dir: None };
    let (times, prices) = ramp(50_000);
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);

    let (first, report) = open(dir.path(), &sidecars);
    assert!(report.scanned && report.built_pyramids, "{report:?}");
    assert_eq!(report.sidecar, Some(dir.path().join("t.arrow.gclod")));

    let (again, report) = open(dir.path(), &sidecars);
    assert!(!report.scanned && !report.built_pyramids, "{report:?}");
    assert!(report.notices.is_empty(), "{:?}", report.notices);
    assert_eq!(
        again.columns[0].pyramid.levels(),
        first.columns[0].pyramid.levels(),
        "the stored pyramid is the built one"
    );

    // The data changes: the sidecar is stale, rebuilt with a notice.
    let (times, mut prices) = ramp(50_000);
    prices[123] = 9999.0;
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);
    let (changed, report) = open(dir.path(), &sidecars);
    assert!(report.scanned && report.built_pyramids, "{report:?}");
    assert!(
        report.notices[0].contains("is stale"),
        "{:?}",
        report.notices
    );
    let (_, max) = changed.columns[0]
        .pyramid
        .range(&changed.columns[0].values, 0, 50_000);
    assert_eq!(max, 9999.0, "the new data's pyramid, not the old one");

    // A damaged sidecar: rebuilt with a notice, then fresh again.
    let side = dir.path().join("t.arrow.gclod");
    let mut bytes = std::fs::read(&side).expect("sidecar");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&side, &bytes).expect("damage");
    let (_, report) = open(dir.path(), &sidecars);
    assert!(report.built_pyramids, "{report:?}");
    assert!(
        report.notices[0].contains("is corrupt"),
        "{:?}",
        report.notices
    );
    let (_, report) = open(dir.path(), &sidecars);
    assert!(
        !report.built_pyramids && report.notices.is_empty(),
        "{report:?}"
    );
}

#[test]
fn a_folder_refusing_the_sidecar_uses_the_cache_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let (times, prices) = ramp(1000);
    write_arrow(&dir.path().join("t.arrow"), &times, &prices);
    // A directory where the sidecar would go makes the write fail as a
    // read-only folder does (permission bits do not stop root, who may run
    // the tests).
    std::fs::create_dir(dir.path().join("t.arrow.gclod")).expect("block");
    let cache = dir.path().join("cache");
    let sidecars = Sidecars {
        cache_dir: Some(cache.clone()),
    };
    let (_, report) = open(dir.path(), &sidecars);
    let at = report.sidecar.expect("written somewhere");
    assert!(at.starts_with(&cache), "{}", at.display());
    let (_, report) = open(dir.path(), &sidecars);
    assert!(!report.scanned && report.sidecar == Some(at), "{report:?}");
}
