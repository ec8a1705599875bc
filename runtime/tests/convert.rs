//! `gpu-charts convert`: CSV through the csv source plugin into Arrow IPC and
//! Parquet, read back by independent readers (arrow-ipc, the parquet crate)
//! and by the parquet source plugin, compared bit for bit with the CSV
//! source's own table; a chart on the converted file builds the same frame
//! as the chart on the CSV; and every refusal names its file.

mod common;

use std::path::{Path, PathBuf};

use arrow_array::{Array, Float64Array, TimestampNanosecondArray};
use arrow_schema::{DataType, TimeUnit};
use gpu_charts::convert::{ConvertArgs, ConvertError, ConvertSummary, ParquetCompression, convert};
use gpu_charts::plugins::SourceTable;
use gpu_charts::render::{ChartSession, initial_frame};

fn stocks() -> PathBuf {
    common::repo().join("data/stocks.csv.gz")
}

fn args(input: &Path, output: &Path, params: &[&str]) -> ConvertArgs {
    ConvertArgs {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        kind: None,
        params: params.iter().map(|s| s.to_string()).collect(),
        force: false,
        row_group_rows: 500,
        compression: ParquetCompression::Zstd,
    }
}

/// The table the csv source plugin itself reads from `stocks.csv.gz`.
fn csv_table(session: &mut ChartSession) -> SourceTable {
    let source = session.registry_for(&[]).source("csv").expect("csv plugin");
    let params = format!(
        r#"{{"path": "{}", "symbol": "AAPL", "symbol_column": "Ticker", "time_column": "Date", "time_format": "auto", "timezone": "America/New_York", "delimiter": ","}}"#,
        stocks().display()
    );
    source
        .open(&params, "")
        .expect("open")
        .read_all()
        .expect("csv read")
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

const AAPL: [&str; 2] = ["symbol=AAPL", "timezone=America/New_York"];

/// Converts AAPL from `stocks.csv.gz` to `dir/<name>` (the ending picks
/// the format); returns the output path, the session and the summary.
fn convert_aapl(dir: &Path, name: &str) -> (PathBuf, ChartSession, ConvertSummary) {
    let out = dir.join(name);
    let mut session = ChartSession::default();
    let summary = convert(
        &args(&stocks(), &out, &AAPL),
        session.registry_for(&[]),
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (out, session, summary)
}

#[test]
fn csv_to_arrow_keeps_every_timestamp_and_value_bit_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (out, mut session, summary) = convert_aapl(dir.path(), "aapl.arrow");
    let want = csv_table(&mut session);
    assert_eq!(summary.rows, want.timestamps.len());
    assert_eq!(summary.chunks, 1);
    assert_eq!(summary.columns, want.names);

    let file = std::fs::File::open(&out).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
    let schema = reader.schema();
    assert_eq!(
        schema.field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    assert_eq!(schema.field(0).name(), "time");
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 1, "one contiguous batch per column");
    let batch = &batches[0];
    let time = batch
        .column(0)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap();
    assert_eq!(time.values().as_ref(), want.timestamps.as_slice());
    for (i, name) in want.names.iter().enumerate() {
        assert_eq!(schema.field(i + 1).name(), name);
        let col = batch
            .column(i + 1)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(col.null_count(), 0);
        assert_eq!(bits(col.values()), bits(&want.columns[i]), "{name}");
    }
}

#[test]
fn csv_to_parquet_round_trips_through_the_parquet_crate_and_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let (out, mut session, summary) = convert_aapl(dir.path(), "aapl.parquet");
    let want = csv_table(&mut session);
    let rows = want.timestamps.len();
    assert_eq!(summary.chunks, rows.div_ceil(500), "row groups of 500 rows");

    // The parquet crate's own reader.
    let file = std::fs::File::open(&out).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = reader.metadata().clone();
    assert_eq!(meta.num_row_groups(), summary.chunks);
    assert!(
        meta.row_group(0).column(0).statistics().is_some(),
        "statistics on for pruning"
    );
    let mut times = Vec::new();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); want.names.len()];
    for batch in reader.build().unwrap() {
        let batch = batch.unwrap();
        let time = batch
            .column(0)
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap();
        times.extend_from_slice(time.values());
        for (i, out) in values.iter_mut().enumerate() {
            let col = batch
                .column(i + 1)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap();
            out.extend_from_slice(col.values());
        }
    }
    assert_eq!(times, want.timestamps);
    for (i, name) in want.names.iter().enumerate() {
        assert_eq!(bits(&values[i]), bits(&want.columns[i]), "{name}");
    }

    // The parquet source plugin reads the same table back.
    let source = session
        .registry_for(&[])
        .source("parquet")
        .expect("parquet plugin");
    let params = format!(r#"{{"path": "{}"}}"#, out.display());
    let back = source.open(&params, "").expect("open").read_all().unwrap();
    assert_eq!(back.names, want.names);
    assert_eq!(back.timestamps, want.timestamps);
    for (a, b) in back.columns.iter().zip(&want.columns) {
        assert_eq!(bits(a), bits(b));
    }
}

/// A chart on `source_kind` + `path`, same id, same panes.
fn chart(dir: &Path, name: &str, source: &str) -> PathBuf {
    let text = format!(
        r#"title = "AAPL"
size = [800, 400]
timezone = "America/New_York"
[view]
start = "2012-01-03"
end = "2013-03-01"
[sources.aapl]
{source}
[[indicators]]
id = "sma20"
kind = "sma"
input = "aapl.close"
params = {{ period = 20 }}
[[panes]]
series = [
  {{ type = "candlestick", data = "aapl" }},
  {{ type = "line", data = "sma20" }},
]
[[panes]]
height = 0.25
series = [{{ type = "volume", data = "aapl" }}]
"#
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_chart_on_the_converted_parquet_builds_the_same_frame_as_on_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut session, _) = convert_aapl(dir.path(), "aapl.parquet");
    let csv_chart = chart(
        dir.path(),
        "csv.toml",
        &format!(
            r#"kind = "csv"
params = {{ path = "{}", symbol = "AAPL", timezone = "America/New_York" }}"#,
            stocks().display()
        ),
    );
    let parquet_chart = chart(
        dir.path(),
        "parquet.toml",
        "kind = \"parquet\"\nparams = { path = \"aapl.parquet\" }",
    );
    let a = session.load(&csv_chart).unwrap_or_else(|e| panic!("{e}"));
    let b = session
        .load(&parquet_chart)
        .unwrap_or_else(|e| panic!("{e}"));
    let (fa, fb) = (initial_frame(&a, None), initial_frame(&b, None));
    let (da, db) = (format!("{fa:?}"), format!("{fb:?}"));
    assert!(da.len() > 1000, "the frame draws something: {da}");
    assert!(da == db, "frames differ");
}

#[test]
fn a_pruned_parquet_chart_equals_the_csv_rows_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aapl.parquet");
    let mut session = ChartSession::default();
    convert(
        &args(&stocks(), &out, &AAPL),
        session.registry_for(&[]),
        false,
    )
    .unwrap();
    let want = csv_table(&mut session);
    let source = session.registry_for(&[]).source("parquet").unwrap();
    let params = format!(
        r#"{{"path": "{}", "from": "2012-01-01", "to": "2012-12-31", "timezone": "America/New_York"}}"#,
        out.display()
    );
    let got = source.open(&params, "").expect("open").read_all().unwrap();
    // 2012-01-01 and 2012-12-31 midnight in New York (UTC-5 in winter).
    let (from, to) = (1_325_394_000_000_000_000i64, 1_356_930_000_000_000_000i64);
    let keep: Vec<usize> = (0..want.timestamps.len())
        .filter(|&i| (from..=to).contains(&want.timestamps[i]))
        .collect();
    assert!(keep.len() > 200 && keep.len() < want.timestamps.len());
    assert_eq!(
        got.timestamps,
        keep.iter().map(|&i| want.timestamps[i]).collect::<Vec<_>>()
    );
    for (c, w) in got.columns.iter().zip(&want.columns) {
        assert_eq!(
            bits(c),
            bits(&keep.iter().map(|&i| w[i]).collect::<Vec<_>>())
        );
    }
}

#[test]
fn refusals_name_the_file_and_leave_the_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = ChartSession::default();
    let registry = session.registry_for(&[]);
    let out = dir.path().join("out.parquet");
    std::fs::write(&out, b"keep me").unwrap();

    let e = convert(&args(&stocks(), &out, &AAPL), registry, false).unwrap_err();
    assert!(matches!(e, ConvertError::OutputExists(_)), "{e}");
    assert!(e.to_string().contains("out.parquet` already exists"), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");

    let e = convert(
        &args(&stocks(), &dir.path().join("out.xlsx"), &AAPL),
        registry,
        false,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("cannot tell the output format of"),
        "{e}"
    );

    let missing = dir.path().join("missing.csv");
    let e = convert(
        &args(&missing, &dir.path().join("o.arrow"), &[]),
        registry,
        false,
    )
    .unwrap_err();
    assert!(matches!(e, ConvertError::Input { .. }), "{e}");
    assert!(e.to_string().contains("missing.csv"), "{e}");

    let e = convert(
        &args(Path::new("data.bin"), &dir.path().join("o.arrow"), &[]),
        registry,
        false,
    )
    .unwrap_err();
    assert!(matches!(e, ConvertError::UnknownInputKind(_)), "{e}");

    // A bad CSV: the plugin's located error, and no output file left behind.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Date,Close\n2024-01-02,1.5\n2024-01-03,oops\n").unwrap();
    let target = dir.path().join("bad.arrow");
    let e = convert(&args(&bad, &target, &[]), registry, false).unwrap_err();
    assert!(
        e.to_string().contains("bad.csv") && e.to_string().contains("oops"),
        "{e}"
    );
    assert!(!target.exists());

    // Unsorted rows: the csv plugin's data rule, naming the input's lines.
    let unsorted = dir.path().join("unsorted.csv");
    std::fs::write(&unsorted, "Date,Close\n2024-01-03,1.5\n2024-01-02,2\n").unwrap();
    let e = convert(&args(&unsorted, &target, &[]), registry, false).unwrap_err();
    assert!(matches!(e, ConvertError::Plugin(_)), "{e:?}");
    assert!(
        e.to_string().contains("unsorted.csv")
            && e.to_string().contains("line 3")
            && e.to_string().contains("comes before"),
        "{e}"
    );
    assert!(!target.exists());

    // A param the plugin does not know: the schema's error.
    let e = convert(&args(&stocks(), &target, &["symbl=AAPL"]), registry, false).unwrap_err();
    assert!(matches!(e, ConvertError::Params(_)), "{e}");
    assert!(e.to_string().contains("symbl"), "{e}");
    let e = convert(&args(&stocks(), &target, &["symbol"]), registry, false).unwrap_err();
    assert!(matches!(e, ConvertError::ParamSyntax(_)), "{e}");

    // --force replaces.
    let mut forced = args(&stocks(), &out, &AAPL);
    forced.force = true;
    convert(&forced, registry, false).unwrap();
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"PAR1");
}

#[test]
fn the_cli_converts_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aapl.parquet");
    let run = || {
        common::gpu_charts()
            .args(["convert", "data/stocks.csv.gz"])
            .arg(&out)
            .args(["--param", "symbol=AAPL"])
            .output()
            .unwrap()
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("aapl.parquet: ")
            && stdout.contains(" rows, time + 5 (open, high, low, close, volume)"),
        "{stdout}"
    );
    // stderr is not a terminal here: no progress bar drawn.
    assert_eq!(String::from_utf8_lossy(&first.stderr), "");
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}
