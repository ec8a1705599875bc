//! The Arrow IPC source through its exported C tables: columns lent without
//! a copy, the `read` fallback, unit conversions, several record batches,
//! and every kind of bad or mislabelled file (status and message).

use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampNanosecondArray,
};
use arrow_ipc::writer::{FileWriter, StreamWriter};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use gpu_charts_plugin_api::testing::{Table, borrow_source, read_source};
use gpu_charts_plugin_api::{GC_ERR_DATA, GC_ERR_IO, PluginError};
use gpu_charts_plugin_arrow::reader::{self, Buffer, Options};
use gpu_charts_plugin_arrow::{ArrowSource, plugin_descriptor};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns.into_iter().map(|(n, a)| (n.to_string(), a))).expect("batch")
}

fn ticks(from: i64, n: i64) -> RecordBatch {
    batch(vec![
        (
            "time",
            Arc::new(TimestampNanosecondArray::from_iter_values(
                (from..from + n).map(|i| i * 1_000),
            )) as ArrayRef,
        ),
        (
            "price",
            Arc::new(Float64Array::from_iter_values(
                (from..from + n).map(|i| 100.0 + i as f64 / 4.0),
            )),
        ),
        (
            "size",
            Arc::new(Int64Array::from_iter_values(from..from + n)),
        ),
    ])
}

fn write_file(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = FileWriter::try_new(file, &batches[0].schema()).expect("writer");
    for b in batches {
        w.write(b).expect("write");
    }
    w.finish().expect("finish");
}

fn dir_with(batches: &[RecordBatch]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    write_file(&dir.path().join("t.arrow"), batches);
    dir
}

fn base(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().expect("utf-8")
}

fn read(dir: &tempfile::TempDir, params: &str) -> Result<Table, PluginError> {
    read_source(plugin_descriptor(), "arrow", params, base(dir), 7)
}

fn expected_ticks(from: i64, n: i64) -> Table {
    Table {
        names: vec!["price".into(), "size".into()],
        timestamps: (from..from + n).map(|i| i * 1_000).collect(),
        columns: vec![
            (from..from + n).map(|i| 100.0 + i as f64 / 4.0).collect(),
            (from..from + n).map(|i| i as f64).collect(),
        ],
    }
}

const PARAMS: &str = r#"{"path": "t.arrow"}"#;

#[test]
fn a_one_batch_file_is_lent_from_the_map_without_a_copy() {
    let dir = dir_with(&[ticks(0, 1000)]);
    let lent = borrow_source(plugin_descriptor(), "arrow", PARAMS, base(&dir))
        .expect("borrow")
        .expect("the arrow source lends");
    assert_eq!(lent.table, expected_ticks(0, 1000));
    assert!(lent.aligned);
    assert_eq!(lent.flags, 0, "validation is left to the host");
    assert_ne!(lent.fingerprint, 0);
    assert_eq!(Path::new(&lent.data_path), dir.path().join("t.arrow"));

    // In process: the f64 column and the ns timestamps are the map's bytes;
    // the i64 `size` column is a documented conversion.
    let src =
        ArrowSource::open_path(&dir.path().join("t.arrow"), &Options::default()).expect("open");
    let d = src.decoded();
    assert!(d.timestamps.is_mapped());
    assert!(d.columns[0].is_mapped());
    assert!(!d.columns[1].is_mapped());
    assert_eq!(
        d.copies,
        ["column `size` (Int64) converted to f64 (one copy)"]
    );
}

#[test]
fn the_read_fallback_gives_the_same_rows_as_borrow() {
    let dir = dir_with(&[ticks(0, 1000)]);
    assert_eq!(read(&dir, PARAMS).expect("read"), expected_ticks(0, 1000));
}

#[test]
fn several_record_batches_are_concatenated_with_a_note() {
    let dir = dir_with(&[ticks(0, 10), ticks(10, 5), ticks(15, 20)]);
    assert_eq!(read(&dir, PARAMS).expect("read"), expected_ticks(0, 35));
    let src =
        ArrowSource::open_path(&dir.path().join("t.arrow"), &Options::default()).expect("open");
    assert_eq!(src.decoded().batches, 3);
    assert!(!src.decoded().timestamps.is_mapped());
    assert!(
        src.decoded().copies[0].contains("3 record batches"),
        "{:?}",
        src.decoded().copies
    );
}

#[test]
fn other_time_units_and_number_types_are_converted() {
    let b = batch(vec![
        (
            "v32",
            Arc::new(Float32Array::from(vec![1.5f32, 2.5])) as ArrayRef,
        ),
        (
            "when",
            Arc::new(TimestampMillisecondArray::from(vec![1_000, 2_000])),
        ),
    ]);
    let dir = dir_with(&[b]);
    let t = read(&dir, PARAMS).expect("read");
    assert_eq!(t.timestamps, [1_000_000_000, 2_000_000_000]);
    assert_eq!(t.columns, [vec![1.5, 2.5]]);

    // An Int64 time column in seconds, named explicitly; columns chosen.
    let b = batch(vec![
        (
            "epoch",
            Arc::new(Int64Array::from(vec![10, 20])) as ArrayRef,
        ),
        ("a", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
        ("b", Arc::new(Float64Array::from(vec![3.0, 4.0]))),
    ]);
    let dir = dir_with(&[b]);
    let t = read(
        &dir,
        r#"{"path": "t.arrow", "time_column": "epoch", "time_unit": "s", "columns": ["b"]}"#,
    )
    .expect("read");
    assert_eq!(t.timestamps, [10_000_000_000, 20_000_000_000]);
    assert_eq!(t.names, ["b"]);
    assert_eq!(t.columns, [vec![3.0, 4.0]]);
}

fn error_for_bytes(bytes: &[u8]) -> PluginError {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("t.arrow"), bytes).expect("write");
    let e = read(&dir, PARAMS).expect_err("must fail");
    assert!(
        e.message
            .contains(&dir.path().join("t.arrow").display().to_string()),
        "names the file: {}",
        e.message
    );
    e
}

fn assert_data_error(e: &PluginError, part: &str) {
    assert_eq!(e.status, GC_ERR_DATA, "{e}");
    assert!(e.message.contains(part), "{part:?} not in {}", e.message);
}

#[test]
fn mislabelled_files_are_named_for_what_they_are() {
    let e = error_for_bytes(b"time,price\n2024-01-02,1.5\n");
    assert_data_error(&e, "looks like a CSV text file");
    let e = error_for_bytes(b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00PAR1");
    assert_data_error(&e, "this is a Parquet file");
    let e = error_for_bytes(b"FEA1\x00\x00\x00\x00somefeatherv1FEA1");
    assert_data_error(&e, "Feather v1");
    let e = error_for_bytes(b"");
    assert_data_error(&e, "the file is empty");
    let e = error_for_bytes(&[0x1f, 0x8b, 8, 0, 0, 0]);
    assert_data_error(&e, "gzip");

    // An IPC stream saved as .arrow.
    let mut stream = Vec::new();
    let b = ticks(0, 5);
    let mut w = StreamWriter::try_new(&mut stream, &b.schema()).expect("stream");
    w.write(&b).expect("write");
    w.finish().expect("finish");
    drop(w);
    let e = error_for_bytes(&stream);
    assert_data_error(&e, "Arrow IPC stream");
}

#[test]
fn truncated_and_corrupt_files_are_errors_not_crashes() {
    let dir = dir_with(&[ticks(0, 100)]);
    let good = std::fs::read(dir.path().join("t.arrow")).expect("read");
    for cut in [7, 100, good.len() / 2, good.len() - 1] {
        let e = error_for_bytes(&good[..cut]);
        assert_eq!(e.status, GC_ERR_DATA, "cut at {cut}: {e}");
    }
    let e = error_for_bytes(&good[..good.len() / 2]);
    assert_data_error(&e, "truncated");

    // A footer length that points before the start of the file.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 10..n - 6].copy_from_slice(&(i32::MAX).to_le_bytes());
    assert_data_error(&error_for_bytes(&bad), "footer claims");
    // Garbage over the footer.
    let mut bad = good.clone();
    let footer_len = i32::from_le_bytes(good[n - 10..n - 6].try_into().expect("4")) as usize;
    for b in &mut bad[n - 10 - footer_len..n - 10] {
        *b = 0xa5;
    }
    assert_data_error(&error_for_bytes(&bad), "the file is corrupt");
    // Every single-byte flip decodes or fails cleanly (never panics).
    for i in (0..n).step_by(7) {
        let mut bad = good.clone();
        bad[i] ^= 0xff;
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("t.arrow"), &bad).expect("write");
        if let Err(e) = read(&dir, PARAMS) {
            assert_ne!(
                e.status,
                gpu_charts_plugin_api::GC_ERR_PANIC,
                "flip at {i}: {e}"
            );
        }
    }
}

#[test]
fn missing_columns_files_and_nulls_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = read(&dir, PARAMS).expect_err("missing file");
    assert_eq!(e.status, GC_ERR_IO);
    assert!(
        e.message.contains("cannot open") && e.message.contains("t.arrow"),
        "{e}"
    );

    let b = batch(vec![
        (
            "name",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        ("v", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let dir = dir_with(&[b]);
    let e = read(&dir, PARAMS).expect_err("no time");
    assert_data_error(
        &e,
        "no time column: the file has `name` (Utf8), `v` (Float64)",
    );

    let dir = dir_with(&[ticks(0, 3)]);
    let e = read(&dir, r#"{"path": "t.arrow", "columns": ["close"]}"#).expect_err("no close");
    assert_data_error(&e, "no column `close`");

    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        ),
        Field::new("v", DataType::Float64, true),
    ]));
    let b = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampNanosecondArray::from(vec![1, 2, 3])),
            Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)])),
        ],
    )
    .expect("batch");
    let dir = dir_with(&[b]);
    let e = read(&dir, PARAMS).expect_err("nulls");
    assert_data_error(
        &e,
        "column `v` has 1 missing (null) values, the first at data row 2",
    );
}

/// Inputs the fuzz target once found troublesome, replayed on stable.
#[test]
fn fuzz_regressions_decode_or_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/arrow_ipc");
    let mut decoded = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .expect("fuzz/regressions/arrow_ipc")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).expect("read");
        let name = entry.file_name().to_string_lossy().into_owned();
        // An error is fine; a panic inside arrow-rs (caught, so the host
        // survives) means a check of ours is missing.
        match reader::decode(&Buffer::from(bytes), &Options::default()) {
            Ok(d) => decoded.push((name, d.timestamps.len(), d.batches)),
            Err(e) => assert!(
                !e.message.contains("the Arrow decoder failed"),
                "{name}: arrow-rs panicked: {e}"
            ),
        }
    }
    decoded.sort();
    // The seeds (written by pyarrow) decode; the null one is an error.
    assert_eq!(
        decoded,
        [
            ("batches.arrow".to_string(), 20, 3),
            ("ticks.arrow".to_string(), 20, 1)
        ]
    );
}
