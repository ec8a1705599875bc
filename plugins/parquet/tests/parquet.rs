//! The Parquet source: files written here with arrow-rs's own writer, read
//! through the plugin's exported C tables (and in-process for the read
//! statistics): values, time units, row-group pruning, and every kind of
//! bad file (status code and the message's file, column and row).

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray,
};
use gpu_charts_plugin_api::testing::{Table, read_source, read_source_in_range};
use gpu_charts_plugin_api::{
    GC_ERR_DATA, GC_ERR_IO, GC_ERR_PARAMS, GcTimeRange, PluginError, SourcePlugin,
};
use gpu_charts_plugin_parquet::{ParquetSource, plugin_descriptor};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

const NS: i64 = 1_000_000_000;
/// 2024-01-01T00:00:00Z (`date -u -d 2024-01-01 +%s`).
const JAN_1_2024_NS: i64 = 1_704_067_200 * NS;

fn read(params: &str, base_dir: &str) -> Result<Table, PluginError> {
    read_source(plugin_descriptor(), "parquet", params, base_dir, 777)
}

fn dir_str(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().expect("utf-8 temp path")
}

/// Writes `columns` to `path` with row groups of `group_rows` rows.
fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, group_rows: usize, stats: bool) {
    let batch = RecordBatch::try_from_iter(columns).expect("batch");
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .set_statistics_enabled(if stats {
            EnabledStatistics::Chunk
        } else {
            EnabledStatistics::None
        })
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// Ticks one minute apart from 2024-01-01: (timestamps, price, size).
fn ticks(n: usize) -> (Vec<i64>, Vec<f64>, Vec<i64>) {
    let t = (0..n as i64).map(|i| JAN_1_2024_NS + i * 60 * NS).collect();
    let p = (0..n).map(|i| 100.0 + (i as f64 * 0.37).sin()).collect();
    let v = (0..n as i64).map(|i| (i * 7919) % 1000).collect();
    (t, p, v)
}

fn tick_columns(t: &[i64], p: &[f64], v: &[i64]) -> Vec<(&'static str, ArrayRef)> {
    vec![
        (
            "time",
            Arc::new(TimestampNanosecondArray::from(t.to_vec()).with_timezone("UTC")) as ArrayRef,
        ),
        ("price", Arc::new(Float64Array::from(p.to_vec()))),
        ("size", Arc::new(Int64Array::from(v.to_vec()))),
    ]
}

/// A temp dir with `ticks.parquet`: `n` ticks in groups of `group_rows`.
fn tick_file(n: usize, group_rows: usize, stats: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let (t, p, v) = ticks(n);
    write(
        &dir.path().join("ticks.parquet"),
        tick_columns(&t, &p, &v),
        group_rows,
        stats,
    );
    dir
}

fn params(extra: &str) -> String {
    format!(r#"{{"path": "ticks.parquet"{extra}}}"#)
}

fn open(dir: &tempfile::TempDir, extra: &str) -> Result<ParquetSource, PluginError> {
    ParquetSource::open(&params(extra), dir_str(dir))
}

fn assert_mentions(e: &PluginError, parts: &[&str]) {
    for part in parts {
        assert!(
            e.message.contains(part),
            "message lacks {part:?}: {}",
            e.message
        );
    }
}

fn error_for(dir: &tempfile::TempDir, params_json: &str) -> PluginError {
    match read(params_json, dir_str(dir)) {
        Ok(t) => panic!("expected an error, read {} rows", t.timestamps.len()),
        Err(e) => e,
    }
}

#[test]
fn reads_timestamps_and_every_numeric_column_exactly() {
    let dir = tick_file(1000, 300, true);
    let (t, p, v) = ticks(1000);
    let table = read(&params(""), dir_str(&dir)).expect("read");
    assert_eq!(table.names, ["price", "size"]);
    assert_eq!(table.timestamps, t);
    let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&table.columns[0]), bits(&p));
    assert_eq!(
        table.columns[1],
        v.iter().map(|x| *x as f64).collect::<Vec<_>>()
    );
}

#[test]
fn every_timestamp_unit_and_int64_times_become_utc_nanoseconds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secs = [1_704_067_200i64, 1_704_067_260];
    let values: ArrayRef = Arc::new(Float32Array::from(vec![1.5f32, 2.25]));
    let cases: Vec<(&str, ArrayRef, &str)> = vec![
        ("s", Arc::new(TimestampSecondArray::from(secs.to_vec())), ""),
        (
            "ms",
            Arc::new(TimestampMillisecondArray::from(
                secs.map(|s| s * 1000).to_vec(),
            )),
            "",
        ),
        (
            "us",
            Arc::new(
                TimestampMicrosecondArray::from(secs.map(|s| s * 1_000_000).to_vec())
                    .with_timezone("America/New_York"),
            ),
            "",
        ),
        (
            "int_s",
            Arc::new(Int64Array::from(secs.to_vec())),
            r#", "time_unit": "s""#,
        ),
    ];
    for (name, time, extra) in cases {
        let file = format!("{name}.parquet");
        write(
            &dir.path().join(&file),
            vec![("Time", time), ("v", values.clone())],
            10,
            true,
        );
        let t = read(&format!(r#"{{"path": "{file}"{extra}}}"#), dir_str(&dir))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(t.timestamps, secs.map(|s| s * NS), "{name}");
        assert_eq!(t.columns, [vec![1.5, 2.25]], "{name}");
    }
}

#[test]
fn columns_and_time_column_pick_and_rename() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir.path().join("ticks.parquet"),
        vec![
            ("when", Arc::new(Int64Array::from(vec![5, 6])) as ArrayRef),
            ("Close", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
            ("Vol", Arc::new(Int32Array::from(vec![10, 20]))),
        ],
        10,
        true,
    );
    let t = read(
        &params(r#", "time_column": "when", "columns": {"close": "Close"}"#),
        dir_str(&dir),
    )
    .expect("read");
    assert_eq!(t.names, ["close"]);
    assert_eq!(t.timestamps, [5, 6]);
    assert_eq!(t.columns, [vec![1.0, 2.0]]);
}

/// Rows of an unpruned read with `from <= t <= to`.
fn restricted(full: &Table, from: i64, to: i64) -> Table {
    let keep: Vec<usize> = (0..full.timestamps.len())
        .filter(|&i| full.timestamps[i] >= from && full.timestamps[i] <= to)
        .collect();
    Table {
        names: full.names.clone(),
        timestamps: keep.iter().map(|&i| full.timestamps[i]).collect(),
        columns: full
            .columns
            .iter()
            .map(|c| keep.iter().map(|&i| c[i]).collect())
            .collect(),
    }
}

#[test]
fn row_groups_outside_from_to_are_not_decoded_and_the_rest_is_cut_exactly() {
    // 1000 one-minute ticks in 10 groups of 100: group g holds minutes 100g..100g+99.
    let dir = tick_file(1000, 100, true);
    let full = read(&params(""), dir_str(&dir)).expect("full read");
    // Minutes 250..=420 (04:10 to 07:00) lie in groups 2, 3 and 4.
    let (from, to) = ("2024-01-01 04:10", "2024-01-01T07:00:00Z");
    let (from_ns, to_ns) = (JAN_1_2024_NS + 250 * 60 * NS, JAN_1_2024_NS + 420 * 60 * NS);
    let extra = format!(r#", "from": "{from}", "to": "{to}""#);
    let source = open(&dir, &extra).expect("pruned open");
    let stats = source.stats();
    assert_eq!(stats.row_groups_total, 10);
    assert_eq!(stats.row_groups_read, 3);
    assert_eq!(stats.rows_total, 1000);
    assert_eq!(stats.rows_decoded, 300);
    assert_eq!(stats.rows_kept, 171);
    let pruned = read(&params(&extra), dir_str(&dir)).expect("pruned read");
    let want = restricted(&full, from_ns, to_ns);
    assert_eq!(pruned.timestamps, want.timestamps);
    assert_eq!(pruned.columns, want.columns);
    assert_eq!(pruned.timestamps.first(), Some(&from_ns));
    assert_eq!(pruned.timestamps.last(), Some(&to_ns));

    // Only `from`: groups 0 and 1 skipped.
    let s = open(&dir, r#", "from": "2024-01-01 04:10""#)
        .expect("from only")
        .stats();
    assert_eq!(
        (s.row_groups_read, s.rows_decoded, s.rows_kept),
        (8, 800, 750)
    );
    // A time zone moves the bound: 04:10 UTC is 05:10 in Berlin (winter, +1).
    let s = open(
        &dir,
        r#", "from": "2024-01-01 05:10", "timezone": "Europe/Berlin""#,
    )
    .expect("berlin")
    .stats();
    assert_eq!(s.rows_kept, 750);
}

/// ABI 1.3: the host's range hint prunes and cuts like `from`/`to`, and
/// meets them (intersection) when both are given.
#[test]
fn the_hosts_range_hint_prunes_row_groups_and_meets_from_to() {
    let dir = tick_file(1000, 100, true);
    let full = read(&params(""), dir_str(&dir)).expect("full read");
    let table = plugin_descriptor().find_source("parquet").expect("parquet");
    assert!(table.open_range.is_some(), "parquet takes range hints");
    // Minutes 250..=420 lie in groups 2, 3 and 4.
    let (from_ns, to_ns) = (JAN_1_2024_NS + 250 * 60 * NS, JAN_1_2024_NS + 420 * 60 * NS);
    let hint = GcTimeRange::new(from_ns, to_ns);
    let source = ParquetSource::open_range(&params(""), dir_str(&dir), hint).expect("hinted open");
    let s = source.stats();
    assert_eq!(
        (s.row_groups_read, s.rows_decoded, s.rows_kept),
        (3, 300, 171)
    );
    let hinted = read_source_in_range(
        plugin_descriptor(),
        "parquet",
        &params(""),
        dir_str(&dir),
        777,
        Some(hint),
    )
    .expect("hinted read through the C table");
    assert_eq!(hinted, restricted(&full, from_ns, to_ns));
    // With `to` = minute 300 (05:00) the range read is 250..=300: groups 2 and 3.
    let extra = r#", "to": "2024-01-01T05:00:00Z""#;
    let source =
        ParquetSource::open_range(&params(extra), dir_str(&dir), hint).expect("intersection");
    let s = source.stats();
    assert_eq!(
        (s.row_groups_read, s.rows_decoded, s.rows_kept),
        (2, 200, 51)
    );
    // An open side of the hint leaves that side to the params (here: none).
    let source = ParquetSource::open_range(
        &params(""),
        dir_str(&dir),
        GcTimeRange::new(i64::MIN, to_ns),
    )
    .expect("open start");
    assert_eq!(source.stats().rows_kept, 421);
}

#[test]
fn a_hint_outside_the_file_names_the_file_and_the_range() {
    let dir = tick_file(100, 10, true);
    let hint = GcTimeRange::new(JAN_1_2024_NS + 86_400 * NS, JAN_1_2024_NS + 2 * 86_400 * NS);
    let e = ParquetSource::open_range(&params(""), dir_str(&dir), hint).expect_err("no rows");
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "ticks.parquet: no rows in range 2024-01-02T00:00:00Z to 2024-01-03T00:00:00Z \
             (the chart's view with its load_margin)",
            "run from 2024-01-01T00:00:00Z to 2024-01-01T01:39:00Z",
        ],
    );
    assert!(e.help.contains("load = \"all\""), "{}", e.help);
    // A hint that misses the params' own from/to says so.
    let e = ParquetSource::open_range(
        &params(r#", "to": "2024-01-01T00:10:00Z""#),
        dir_str(&dir),
        GcTimeRange::new(JAN_1_2024_NS + 20 * 60 * NS, i64::MAX),
    )
    .expect_err("disjoint");
    assert_mentions(
        &e,
        &[
            "no rows in range 2024-01-01T00:20:00Z to the end (the chart's view with its load_margin and its own from / to)",
        ],
    );
}

#[test]
fn a_file_without_statistics_is_read_whole_and_cut_the_same() {
    let dir = tick_file(1000, 100, false);
    let extra = r#", "from": "2024-01-01 04:10", "to": "2024-01-01 07:00""#;
    let source = open(&dir, extra).expect("open");
    assert_eq!(source.stats().row_groups_read, 10);
    assert_eq!(source.stats().rows_kept, 171);
    let with_stats = tick_file(1000, 100, true);
    let a = read(&params(extra), dir_str(&dir)).expect("no stats");
    let b = read(&params(extra), dir_str(&with_stats)).expect("stats");
    assert_eq!(a.timestamps, b.timestamps);
    assert_eq!(a.columns, b.columns);
}

#[test]
fn a_range_with_no_rows_names_the_files_extent() {
    let dir = tick_file(100, 10, true);
    let e = error_for(&dir, &params(r#", "from": "2025-01-01""#));
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "ticks.parquet",
            "no rows between from (2025-01-01T00:00:00Z) and to (the end)",
            "run from 2024-01-01T00:00:00Z to 2024-01-01T01:39:00Z",
        ],
    );
    // Between two ticks, inside one group: pruning keeps it, the cut empties it.
    let e = error_for(
        &dir,
        &params(r#", "from": "2024-01-01T00:00:30Z", "to": "2024-01-01T00:00:40Z""#),
    );
    assert_mentions(&e, &["no rows between"]);
}

#[test]
fn bad_params_are_params_errors() {
    let dir = tick_file(10, 10, true);
    let e = error_for(
        &dir,
        &params(r#", "from": "2024-02-01", "to": "2024-01-01""#),
    );
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["from (2024-02-01T00:00:00Z) is after to"]);
    let e = error_for(&dir, &params(r#", "from": "soon""#));
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["from: `soon` is not a date or time"]);
    let e = error_for(&dir, &params(r#", "timezone": "Mars/Olympus""#));
    assert_eq!(e.status, GC_ERR_PARAMS);
    let e = error_for(&dir, &params(r#", "colums": {}"#));
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["unknown field `colums`"]);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = error_for(&dir, r#"{"path": "nowhere.parquet"}"#);
    assert_eq!(e.status, GC_ERR_IO);
    assert_mentions(&e, &["nowhere.parquet"]);
}

/// Writes `bytes` as `ticks.parquet` and returns the error reading it.
fn error_for_bytes(bytes: &[u8]) -> PluginError {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("ticks.parquet"), bytes).expect("write");
    let e = error_for(&dir, &params(""));
    assert_eq!(e.status, GC_ERR_DATA, "{e:?}");
    assert_mentions(&e, &["ticks.parquet"]);
    assert!(!e.help.is_empty(), "no help: {e:?}");
    e
}

#[test]
fn empty_cut_and_mislabelled_files_say_what_they_are() {
    assert_mentions(&error_for_bytes(b""), &["empty (0 bytes)"]);
    assert_mentions(
        &error_for_bytes(b"time,price\n2024-01-01,1.5\n"),
        &["text file (CSV?)", "`time,price`"],
    );
    let whole =
        std::fs::read(tick_file(1000, 100, true).path().join("ticks.parquet")).expect("read");
    assert_mentions(
        &error_for_bytes(&whole[..whole.len() / 2]),
        &["truncated Parquet file"],
    );
    // An Arrow IPC file named .parquet.
    let mut ipc = Vec::new();
    let (t, p, v) = ticks(10);
    let batch = RecordBatch::try_from_iter(tick_columns(&t, &p, &v)).expect("batch");
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut ipc, &batch.schema()).expect("ipc");
    w.write(&batch).expect("write");
    w.finish().expect("finish");
    drop(w);
    let e = error_for_bytes(&ipc);
    assert_mentions(&e, &["Arrow IPC file, not Parquet"]);
    assert!(e.help.contains("kind = \"arrow\""), "{e:?}");
}

#[test]
fn corrupt_footer_and_pages_are_errors_never_panics() {
    let whole =
        std::fs::read(tick_file(1000, 100, true).path().join("ticks.parquet")).expect("read");
    // Footer length pointing past the start of the file.
    let mut bad = whole.clone();
    let n = bad.len();
    bad[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_mentions(&error_for_bytes(&bad), &["corrupt Parquet file"]);
    // Every 97th byte of the data pages flipped, one file per offset.
    for at in (4..n / 2).step_by(97) {
        let mut bad = whole.clone();
        bad[at] ^= 0x5a;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ticks.parquet"), &bad).expect("write");
        // Some flips land in values and read fine; none may panic or pass
        // a wrong row count.
        if let Err(e) = read(&params(""), dir_str(&dir)) {
            assert!(e.message.contains("ticks.parquet"), "{e:?}");
        }
    }
}

#[test]
fn no_time_column_lists_the_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir.path().join("ticks.parquet"),
        vec![
            (
                "name",
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            ("price", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
        ],
        10,
        true,
    );
    let e = error_for(&dir, &params(""));
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["no time column", "`name` (Utf8)", "`price` (Float64)"],
    );
    let e = error_for(&dir, &params(r#", "time_column": "name""#));
    assert_mentions(&e, &["time column `name` is Utf8, not a timestamp"]);
    let e = error_for(&dir, &params(r#", "time_column": "tme""#));
    assert_mentions(&e, &["no column `tme` (time_column)"]);
}

#[test]
fn requested_columns_must_exist_and_be_numeric() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir.path().join("ticks.parquet"),
        vec![
            ("time", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("name", Arc::new(StringArray::from(vec!["a", "b"]))),
        ],
        10,
        true,
    );
    let e = error_for(&dir, &params(""));
    assert_mentions(&e, &["no numeric value column"]);
    let e = error_for(&dir, &params(r#", "columns": {"close": "name"}"#));
    assert_mentions(&e, &["column `name` (columns.close) is Utf8, not a number"]);
    let e = error_for(&dir, &params(r#", "columns": {"close": "Close"}"#));
    assert_mentions(&e, &["no column `Close` (columns.close)"]);
}

#[test]
fn nulls_non_finite_and_unsorted_rows_name_the_file_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t: Vec<i64> = (0..250).collect();
    let mut p: Vec<Option<f64>> = (0..250).map(|i| Some(i as f64)).collect();
    p[212] = None; // data row 213, in the third group of 100
    let file = |name: &str, cols: Vec<(&str, ArrayRef)>| {
        write(&dir.path().join(name), cols, 100, true);
    };
    file(
        "null.parquet",
        vec![
            ("time", Arc::new(Int64Array::from(t.clone())) as ArrayRef),
            ("p", Arc::new(Float64Array::from(p))),
        ],
    );
    let e = error_for(&dir, r#"{"path": "null.parquet"}"#);
    assert_mentions(
        &e,
        &["null.parquet", "column `p` has a null at data row 213"],
    );
    // Pruned: rows 200.. only, the row number is still the file's.
    let e = error_for(
        &dir,
        r#"{"path": "null.parquet", "from": "1970-01-01T00:00:00.000000200Z"}"#,
    );
    assert_mentions(&e, &["data row 213"]);

    let mut p: Vec<f64> = (0..250).map(|i| i as f64).collect();
    p[140] = f64::INFINITY;
    file(
        "inf.parquet",
        vec![
            ("time", Arc::new(Int64Array::from(t.clone())) as ArrayRef),
            ("p", Arc::new(Float64Array::from(p))),
        ],
    );
    let e = error_for(&dir, r#"{"path": "inf.parquet"}"#);
    assert_mentions(
        &e,
        &[
            "inf.parquet",
            "column `p` has a non-finite value (inf) at data row 141",
        ],
    );

    let mut ts = t.clone();
    ts.swap(120, 121);
    file(
        "unsorted.parquet",
        vec![
            ("time", Arc::new(Int64Array::from(ts)) as ArrayRef),
            ("p", Arc::new(Float64Array::from(vec![0.0; 250]))),
        ],
    );
    let e = error_for(&dir, r#"{"path": "unsorted.parquet"}"#);
    assert_mentions(
        &e,
        &[
            "unsorted.parquet",
            "not in ascending order: data row 122",
            "after data row 121",
        ],
    );

    let mut tn: Vec<Option<i64>> = t.iter().map(|x| Some(*x)).collect();
    tn[3] = None;
    file(
        "nulltime.parquet",
        vec![
            ("time", Arc::new(Int64Array::from(tn)) as ArrayRef),
            ("p", Arc::new(Float64Array::from(vec![0.0; 250]))),
        ],
    );
    let e = error_for(&dir, r#"{"path": "nulltime.parquet"}"#);
    assert_mentions(&e, &["column `time` has a null at data row 4"]);
}

#[test]
fn seconds_beyond_the_nanosecond_range_are_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir.path().join("ticks.parquet"),
        vec![
            (
                "time",
                Arc::new(Int64Array::from(vec![1, i64::MAX / 10])) as ArrayRef,
            ),
            ("p", Arc::new(Float64Array::from(vec![0.0, 1.0]))),
        ],
        10,
        true,
    );
    let e = error_for(&dir, &params(r#", "time_unit": "s""#));
    assert_mentions(
        &e,
        &[
            "column `time` at data row 2",
            "outside the years 1677..2262",
        ],
    );
}

#[test]
fn from_bytes_reads_like_a_file() {
    let dir = tick_file(300, 100, true);
    let bytes = std::fs::read(dir.path().join("ticks.parquet")).expect("read");
    let s = ParquetSource::from_bytes(bytes, "mem.parquet", r#"{"path": "-"}"#).expect("bytes");
    assert_eq!(s.len(), 300);
    let e = ParquetSource::from_bytes(b"PAR1".to_vec(), "mem.parquet", r#"{"path": "-"}"#)
        .expect_err("truncated");
    assert_mentions(&e, &["mem.parquet", "truncated"]);
}

/// Row groups are decoded in parallel runs (one per core) and joined in
/// file order: the rows equal the file's, an error in a late run names its
/// own file row, and with errors in two runs the first in the file is the
/// one reported, as a sequential read would.
#[test]
fn parallel_runs_join_in_file_order_and_report_the_first_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = 1000;
    let t: Vec<i64> = (0..n as i64).map(|i| JAN_1_2024_NS + i * NS).collect();
    let p: Vec<f64> = (0..n).map(|i| (i * 31 % 997) as f64).collect();
    let cols = |p: Vec<Option<f64>>| {
        vec![
            ("time", Arc::new(Int64Array::from(t.clone())) as ArrayRef),
            ("p", Arc::new(Float64Array::from(p)) as ArrayRef),
        ]
    };
    write(&dir.path().join("ok.parquet"), cols(p.iter().copied().map(Some).collect()), 100, true);
    let table = read(r#"{"path": "ok.parquet"}"#, dir_str(&dir)).expect("read");
    assert_eq!(table.timestamps, t);
    assert_eq!(table.columns[0], p);
    // A null in the ninth group of ten (the last run on 2 to 8 cores).
    let mut late: Vec<Option<f64>> = p.iter().copied().map(Some).collect();
    late[849] = None;
    write(&dir.path().join("late.parquet"), cols(late.clone()), 100, true);
    let e = error_for(&dir, r#"{"path": "late.parquet"}"#);
    assert_mentions(&e, &["late.parquet", "column `p` has a null at data row 850"]);
    // And one in the second group too: that one is reported.
    late[150] = None;
    write(&dir.path().join("two.parquet"), cols(late), 100, true);
    let e = error_for(&dir, r#"{"path": "two.parquet"}"#);
    assert_mentions(&e, &["column `p` has a null at data row 151"]);
}
