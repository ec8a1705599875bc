//! The CSV source through its exported C tables: the real stocks file, each
//! supported time format, and every kind of bad input (status code and the
//! message's row, column and text).

use std::io::Write;
use std::path::Path;

use gpu_charts_plugin_api::testing::{Table, read_source};
use gpu_charts_plugin_api::{GC_ERR_DATA, GC_ERR_IO, GC_ERR_PARAMS, PluginError};
use gpu_charts_plugin_csv::plugin_descriptor;
use gpu_charts_plugin_kit::testing::schema_defaults;

const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
const NS: i64 = 1_000_000_000;
/// `date -u -d 2000-03-01 +%s`
const MARCH_1_2000_UTC_S: i64 = 951_868_800;
/// `date -u -d 2013-03-01 +%s`
const MARCH_1_2013_UTC_S: i64 = 1_362_096_000;

fn read(params: &str, base_dir: &str) -> Result<Table, PluginError> {
    read_source(plugin_descriptor(), "csv", params, base_dir, 1000)
}

fn stocks(params: &str) -> Table {
    read(params, DATA_DIR).unwrap_or_else(|e| panic!("reading stocks.csv.gz with {params}: {e}"))
}

/// A temp dir holding `data.csv` with `contents`.
fn temp_csv(contents: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("data.csv"), contents).expect("write csv");
    dir
}

fn dir_str(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().expect("utf-8 temp path")
}

/// Reads `data.csv` from a temp file with `contents`, expecting an error.
fn error_for(contents: &str, params: &str) -> PluginError {
    let dir = temp_csv(contents);
    match read(params, dir_str(&dir)) {
        Ok(t) => panic!("expected an error, read {} rows", t.timestamps.len()),
        Err(e) => e,
    }
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

const SMALL: &str = "Ticker,Date,Open,High,Low,Close,Volume\n\
                     X,2024-01-02,1.5,2,1,1.75,100\n\
                     X,2024-01-03,1.75,3,1.5,2.5,200\n";

// ---------------------------------------------------------------- real data

#[test]
fn aapl_from_the_real_file() {
    let t = stocks(r#"{"path": "stocks.csv.gz", "symbol": "AAPL"}"#);
    assert_eq!(t.names, ["open", "high", "low", "close", "volume"]);
    // `zcat data/stocks.csv.gz | grep -c '^AAPL,'` = 3270
    assert_eq!(t.timestamps.len(), 3270);
    // First AAPL line: AAPL,2000-03-01,118.56,132.06,118.5,130.31,9616100,4.186662803811
    assert_eq!(t.timestamps[0], MARCH_1_2000_UTC_S * NS);
    let first: Vec<f64> = t.columns.iter().map(|c| c[0]).collect();
    assert_eq!(first, [118.56, 132.06, 118.5, 130.31, 9616100.0]);
    // Last AAPL line: AAPL,2013-03-01,438.0,438.1799,429.98,430.47,19730300,56.137353095488
    let last: Vec<f64> = t.columns.iter().map(|c| c[3269]).collect();
    assert_eq!(last, [438.0, 438.1799, 429.98, 430.47, 19730300.0]);
    assert_eq!(t.timestamps[3269], MARCH_1_2013_UTC_S * NS);
}

#[test]
fn whole_file_without_a_symbol_is_unsorted_at_the_second_ticker() {
    // The file is grouped by ticker, not sorted by time: line 3272 (FB's
    // first, `zcat data/stocks.csv.gz | sed -n 3272p`) goes back to 2012
    // after AAPL's last row on line 3271.
    let e = read(r#"{"path": "stocks.csv.gz"}"#, DATA_DIR).unwrap_err();
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "stocks.csv.gz: line 3272, column `Date`: time `2012-05-18` (2012-05-18T00:00:00Z) comes before 2013-03-01T00:00:00Z on line 3271",
        ],
    );
    assert!(e.help.contains("set symbol = "), "{}", e.help);
}

#[test]
fn chunk_size_does_not_change_the_rows() {
    let params = r#"{"path": "stocks.csv.gz", "symbol": "IBM"}"#;
    let one = read_source(plugin_descriptor(), "csv", params, DATA_DIR, 1).expect("chunk 1");
    let big =
        read_source(plugin_descriptor(), "csv", params, DATA_DIR, 100_000).expect("chunk 100000");
    assert_eq!(one.timestamps.len(), 3270);
    assert_eq!(one, big);
}

#[test]
fn dates_are_midnight_in_the_timezone() {
    let t =
        stocks(r#"{"path": "stocks.csv.gz", "symbol": "AAPL", "timezone": "America/New_York"}"#);
    // Midnight in New York (UTC-5 in March 2000): `TZ=America/New_York date -d 2000-03-01 +%s`.
    assert_eq!(t.timestamps[0], 951_886_800 * NS);
}

#[test]
fn column_mapping_picks_and_orders_columns() {
    let t = stocks(
        r#"{"path": "stocks.csv.gz", "symbol": "AAPL", "columns": {"adj_close": "Adj Close", "volume": "Volume", "close": "close"}}"#,
    );
    // Standard names first (open, high, low, close, volume), then the rest by name.
    assert_eq!(t.names, ["close", "volume", "adj_close"]);
    assert_eq!(t.columns[0][0], 130.31);
    assert_eq!(t.columns[1][0], 9616100.0);
    assert_eq!(t.columns[2][0], 4.186662803811);
}

#[test]
#[allow(unsafe_code)]
fn row_count_hint_is_the_row_count() {
    use gpu_charts_plugin_api::{GcErrorSink, GcStr};
    unsafe extern "C" fn ignore(_: *mut std::ffi::c_void, _: GcStr, _: GcStr) {}
    let table = plugin_descriptor().find_source("csv").expect("csv source");
    let params = r#"{"path": "stocks.csv.gz", "symbol": "MSFT"}"#;
    let sink = GcErrorSink {
        ctx: std::ptr::null_mut(),
        report: ignore,
    };
    let mut state = std::ptr::null_mut();
    // SAFETY: calling the plugin's own table per the contract; state is closed below.
    let hint = unsafe {
        let status = (table.open)(
            GcStr::from_str(params),
            GcStr::from_str(DATA_DIR),
            &mut state,
            &sink,
        );
        assert_eq!(status, 0);
        let hint = (table.row_count_hint)(state);
        (table.close)(state);
        hint
    };
    assert_eq!(hint, 3270);
}

// ------------------------------------------------------------- formats

#[test]
fn gzip_is_detected_by_magic_bytes_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = std::fs::File::create(dir.path().join("packed.dat")).expect("create");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(SMALL.as_bytes()).expect("compress");
    gz.finish().expect("finish gzip");
    let t = read(r#"{"path": "packed.dat"}"#, dir_str(&dir)).expect("gzip without .gz name");
    assert_eq!(t.timestamps.len(), 2);
    assert_eq!(t.columns[3], [1.75, 2.5]);
}

#[test]
fn absolute_paths_ignore_base_dir() {
    let dir = temp_csv(SMALL);
    let path = dir.path().join("data.csv");
    let params = serde_json::json!({ "path": path.to_str().expect("utf-8") }).to_string();
    let t = read(&params, "/nonexistent").expect("absolute path");
    assert_eq!(t.timestamps.len(), 2);
}

#[test]
fn each_time_format_reads_the_same_instants() {
    // 2024-01-02T14:30:00Z = 1704205800 s (`date -u -d 2024-01-02T14:30:00Z +%s`).
    let t0 = 1_704_205_800 * NS;
    let cases = [
        ("2024-01-02T14:30:00Z", "auto", t0),
        ("2024-01-02T09:30:00-05:00", "rfc3339", t0),
        ("2024-01-02 14:30:00.5", "datetime", t0 + NS / 2),
        ("2024-01-02 14:30:00", "auto", t0),
        ("1704205800", "epoch_s", t0),
        ("1704205800", "auto", t0),
        ("1704205800250", "epoch_ms", t0 + NS / 4),
        ("1704205800250", "auto", t0 + NS / 4),
        ("1704205800000000001", "epoch_ns", t0 + 1),
        ("1704205800250000", "epoch_us", t0 + NS / 4),
        ("1704205800000000", "auto", t0),
        ("02.01.2024 14:30", "auto", t0),
        ("2024.01.02 14:30:00", "auto", t0),
        ("02.01.2024 14:30:00", "dd.mm.yyyy", t0),
        ("01/02/2024 14:30", "mm/dd/yyyy", t0),
        ("02/01/2024 14:30", "dd/mm/yyyy", t0),
        ("20240102 14:30:00", "yyyymmdd", t0),
    ];
    for (text, format, expected) in cases {
        let dir = temp_csv(&format!("time,price\n{text},1.0\n"));
        let params = format!(
            r#"{{"path": "data.csv", "time_column": "time", "time_format": "{format}", "columns": {{"value": "price"}}}}"#
        );
        let t = read(&params, dir_str(&dir)).unwrap_or_else(|e| panic!("{text} as {format}: {e}"));
        assert_eq!(t.timestamps, [expected], "{text} as {format}");
    }
}

#[test]
fn naive_datetimes_use_the_timezone() {
    let dir = temp_csv("time,price\n2024-01-02 09:30:00,1.0\n");
    let params = r#"{"path": "data.csv", "time_column": "time", "timezone": "America/New_York", "columns": {"value": "price"}}"#;
    let t = read(params, dir_str(&dir)).expect("read");
    assert_eq!(t.timestamps, [1_704_205_800 * NS]);
}

#[test]
fn other_delimiters_and_padded_fields() {
    let dir = temp_csv("Date; Close ;Volume\n2024-01-02; 1.5 ; 10\n2024-01-03;2.5;20\n");
    let t = read(r#"{"path": "data.csv", "delimiter": ";"}"#, dir_str(&dir)).expect("read");
    assert_eq!(t.names, ["close", "volume"]);
    assert_eq!(t.columns, [vec![1.5, 2.5], vec![10.0, 20.0]]);
}

#[test]
fn a_header_only_file_has_no_rows() {
    let dir = temp_csv("Date,Close\n");
    let t = read(r#"{"path": "data.csv"}"#, dir_str(&dir)).expect("read");
    assert!(t.timestamps.is_empty());
    assert_eq!(t.names, ["close"]);
}

// ------------------------------------------------------------- errors

#[test]
fn missing_file_names_the_resolved_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = read(r#"{"path": "nope/prices.csv"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_IO);
    let resolved = Path::new(dir_str(&dir)).join("nope/prices.csv");
    assert_mentions(&e, &[&resolved.display().to_string()]);
    assert!(e.help.contains("relative path"), "{}", e.help);
}

#[test]
fn missing_time_column_lists_headers_and_suggests() {
    let e = error_for(SMALL, r#"{"path": "data.csv", "time_column": "Dat"}"#);
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "no column `Dat` (time_column)",
            "`Ticker`, `Date`, `Open`, `High`, `Low`, `Close`, `Volume`",
        ],
    );
    assert_eq!(
        e.help,
        "did you mean `Date`? set time_column to the header's exact text"
    );
}

#[test]
fn missing_mapped_column_suggests_the_closest_header() {
    let e = error_for(
        SMALL,
        r#"{"path": "data.csv", "columns": {"close": "Closing"}}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(&e, &["no column `Closing` (columns.close)"]);
    assert!(e.help.contains("did you mean `Close`?"), "{}", e.help);
}

#[test]
fn missing_symbol_column() {
    let e = error_for(
        "Date,Close\n2024-01-02,1\n",
        r#"{"path": "data.csv", "symbol": "X"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["no column `Ticker` (symbol_column)", "`Date`, `Close`"],
    );
}

#[test]
fn no_standard_columns_and_no_mapping() {
    let e = error_for("Date,Price\n2024-01-02,1\n", r#"{"path": "data.csv"}"#);
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "none of the columns open, high, low, close, volume",
            "`Date`, `Price`",
        ],
    );
    assert!(e.help.contains("columns = {"), "{}", e.help);
}

#[test]
fn empty_file() {
    let e = error_for("", r#"{"path": "data.csv"}"#);
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(&e, &["no column `Date`", "no header line"]);
}

#[test]
fn unparsable_number_names_row_column_and_text() {
    // The header is row 1, so the bad field is on row 4.
    let csv = "Date,Close,Volume\n2024-01-02,1.5,10\n2024-01-03,2.5,20\n2024-01-04,2,5O\n";
    let e = error_for(csv, r#"{"path": "data.csv"}"#);
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["data.csv: line 4, column `Volume`: cannot parse `5O` as a number"],
    );
}

#[test]
fn row_numbers_count_lines_in_a_filtered_gzip_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = std::fs::File::create(dir.path().join("d.csv.gz")).expect("create");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    gz.write_all(b"Ticker,Date,Close\nA,2024-01-02,1\nB,2024-01-02,x\nA,2024-01-03,oops\n")
        .expect("write");
    gz.finish().expect("finish");
    // B's bad row is skipped by the filter; A's bad row is line 4.
    let e = read(r#"{"path": "d.csv.gz", "symbol": "A"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["line 4, column `Close`: cannot parse `oops` as a number"],
    );
}

#[test]
fn empty_numeric_field_is_an_error() {
    let e = error_for(
        "Date,Close,Volume\n2024-01-02,,10\n",
        r#"{"path": "data.csv"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(&e, &["line 2, column `Close`: empty value"]);
    assert!(
        e.help.contains("missing values are not supported"),
        "{}",
        e.help
    );
}

#[test]
fn nan_and_infinity_are_errors() {
    for text in ["NaN", "inf", "-Infinity"] {
        let e = error_for(
            &format!("Date,Close\n2024-01-02,1\n2024-01-03,{text}\n"),
            r#"{"path": "data.csv"}"#,
        );
        assert_eq!(e.status, GC_ERR_DATA);
        assert_mentions(
            &e,
            &[&format!(
                "line 3, column `Close`: `{text}` is not a finite number"
            )],
        );
    }
}

#[test]
fn wrong_field_count_names_the_row() {
    let e = error_for(
        "Date,Close\n2024-01-02,1\n2024-01-03,2,3\n",
        r#"{"path": "data.csv"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(&e, &["line 3 has 3 fields, the header has 2"]);
}

#[test]
fn bad_time_names_row_column_and_text() {
    let e = error_for(
        "Date,Close\n2024-01-02,1\n2024-02-30,2\n",
        r#"{"path": "data.csv"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "line 3, column `Date`: `2024-02-30` does not match time_format \"date\" (detected from the first data row); expected YYYY-MM-DD",
        ],
    );

    let e = error_for(
        "Date,Close\n2024-01-02,1\n",
        r#"{"path": "data.csv", "time_format": "epoch_ms"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["line 2, column `Date`: `2024-01-02` does not match time_format \"epoch_ms\""],
    );
}

#[test]
fn undetectable_time_format() {
    let e = error_for("Date,Close\n01/02/2024,1\n", r#"{"path": "data.csv"}"#);
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["line 2, column `Date`: cannot tell the time format of `01/02/2024`"],
    );
    assert!(e.help.contains("time_format"), "{}", e.help);
}

#[test]
fn local_time_in_a_dst_gap() {
    let csv = "Date,Close\n2024-03-10 02:30:00,1\n";
    let e = error_for(
        csv,
        r#"{"path": "data.csv", "timezone": "America/New_York"}"#,
    );
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &["line 2", "does not exist in timezone America/New_York"],
    );
}

#[test]
fn unknown_symbol_lists_symbols_and_suggests() {
    let e = read(r#"{"path": "stocks.csv.gz", "symbol": "APPL"}"#, DATA_DIR).unwrap_err();
    assert_eq!(e.status, GC_ERR_DATA);
    assert_mentions(
        &e,
        &[
            "no rows with Ticker = `APPL`",
            "symbols in the file: `AAPL`, `FB`, `GOOG`, `IBM`, `MSFT`",
        ],
    );
    assert_eq!(e.help, "did you mean symbol = \"AAPL\"?");

    let e = read(r#"{"path": "stocks.csv.gz", "symbol": "msft"}"#, DATA_DIR).unwrap_err();
    assert_eq!(e.help, "did you mean symbol = \"MSFT\"?");
}

#[test]
fn bad_params() {
    let dir = temp_csv(SMALL);
    let e = read(
        r#"{"path": "data.csv", "timezone": "America/NewYork"}"#,
        dir_str(&dir),
    )
    .unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["unknown timezone `America/NewYork`"]);
    assert!(
        e.help.starts_with("did you mean \"America/New_York\"?"),
        "{}",
        e.help
    );

    let e = read(r#"{"path": "data.csv", "delimiter": "::"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["delimiter must be one ASCII character, got `::`"]);

    let e = read(
        r#"{"path": "data.csv", "time_format": "iso"}"#,
        dir_str(&dir),
    )
    .unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["unknown variant `iso`"]);

    let e = read(r#"{"path": "data.csv", "sybmol": "X"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["unknown field `sybmol`"]);

    let e = read(r#"{"symbol": "X"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_mentions(&e, &["missing field `path`"]);
}

#[test]
fn truncated_gzip_is_an_io_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(SMALL.repeat(100).as_bytes())
        .expect("compress");
    let bytes = gz.finish().expect("finish");
    std::fs::write(dir.path().join("cut.csv.gz"), &bytes[..bytes.len() / 2]).expect("write");
    let e = read(r#"{"path": "cut.csv.gz"}"#, dir_str(&dir)).unwrap_err();
    assert_eq!(e.status, GC_ERR_IO);
    assert_mentions(&e, &["cut.csv.gz: read failed"]);
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let mut params = schema_defaults(gpu_charts_plugin_csv::PARAMS_SCHEMA);
    let keys: Vec<&str> = params.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["decimal", "symbol_column", "time_format", "timezone"]
    );
    params.insert("path".into(), "stocks.csv.gz".into());
    params.insert("symbol".into(), "GOOG".into());
    let explicit = stocks(&serde_json::Value::Object(params).to_string());
    let implicit = stocks(r#"{"path": "stocks.csv.gz", "symbol": "GOOG"}"#);
    assert_eq!(explicit.timestamps.len(), 2148);
    assert_eq!(explicit, implicit);
}
