//! Each export dialect (the sample files in `tests/data`, see its README)
//! loads with the right values, with its preset and by detection; what was
//! detected is reported.

use gpu_charts_plugin_api::testing::{Table, read_source};
use gpu_charts_plugin_csv::{Decimal, Params, TimeFormat, load, plugin_descriptor};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const NS: i64 = 1_000_000_000;
/// `date -u -d '2024-01-03 07:00' +%s`: 10:00 in Moscow (UTC+3).
const JAN_3_2024_10_MSK_S: i64 = 1_704_265_200;
/// `date -u -d 2000-03-01 +%s`
const MARCH_1_2000_UTC_S: i64 = 951_868_800;
/// `date -u -d 2024-01-02 +%s`
const JAN_2_2024_UTC_S: i64 = 1_704_153_600;

fn read(params: &str) -> Table {
    read_source(plugin_descriptor(), "csv", params, DATA, 2)
        .unwrap_or_else(|e| panic!("{params}: {e}"))
}

fn detected(params: &str) -> gpu_charts_plugin_csv::Detected {
    load(&Params::from_json(params).expect("params"), DATA)
        .unwrap_or_else(|e| panic!("{params}: {e}"))
        .detected
}

#[test]
fn finam_export() {
    let want_ts: Vec<i64> = (0..3)
        .map(|h| (JAN_3_2024_10_MSK_S + h * 3600) * NS)
        .collect();
    for params in [
        r#"{"path": "finam_sber_h1.csv", "preset": "finam"}"#,
        // Detected: <DATE> + <TIME>, yyyymmdd; the timezone has to be said.
        r#"{"path": "finam_sber_h1.csv", "timezone": "Europe/Moscow"}"#,
        r#"{"path": "finam_sber_h1.csv", "preset": "finam", "symbol": "SBER"}"#,
    ] {
        let t = read(params);
        assert_eq!(
            t.names,
            ["open", "high", "low", "close", "volume"],
            "{params}"
        );
        assert_eq!(t.timestamps, want_ts, "{params}");
        // Line 3: SBER,60,20240103,110000,273.1,274.0,272.86,273.69,1719520
        let second: Vec<f64> = t.columns.iter().map(|c| c[1]).collect();
        assert_eq!(
            second,
            [273.1, 274.0, 272.86, 273.69, 1719520.0],
            "{params}"
        );
    }
    let d = detected(r#"{"path": "finam_sber_h1.csv", "timezone": "Europe/Moscow"}"#);
    assert_eq!(d.time_column.as_deref(), Some("<DATE>"));
    assert_eq!(d.time_of_day_column.as_deref(), Some("<TIME>"));
    assert_eq!(d.time_format, Some(TimeFormat::Yyyymmdd));
    assert!(d.angle_headers);
    assert_eq!(
        d.describe().as_deref(),
        Some(
            "time column `<DATE>`, time-of-day column `<TIME>`, time_format \"yyyymmdd\", <ANGLE> headers"
        )
    );
    // The preset sets all of it: nothing left to detect but the headers' shape.
    let d = detected(r#"{"path": "finam_sber_h1.csv", "preset": "finam"}"#);
    assert_eq!((d.time_format, d.time_column), (None, None));
}

#[test]
fn quik_export_with_semicolons_and_decimal_comma() {
    let want_ts: Vec<i64> = (0..3)
        .map(|m| (JAN_3_2024_10_MSK_S + m * 300) * NS)
        .collect();
    for params in [
        r#"{"path": "quik_gazp_m5.csv", "preset": "quik"}"#,
        r#"{"path": "quik_gazp_m5.csv", "timezone": "Europe/Moscow"}"#,
        r#"{"path": "quik_gazp_m5.csv", "delimiter": ";", "decimal": "comma", "time_format": "yyyymmdd", "time_column": "<DATE>", "time_of_day_column": "<TIME>", "timezone": "Europe/Moscow"}"#,
    ] {
        let t = read(params);
        assert_eq!(t.timestamps, want_ts, "{params}");
        // Line 2: GAZP;5;20240103;100000;162,5;162,94;162,36;162,8;95210
        let first: Vec<f64> = t.columns.iter().map(|c| c[0]).collect();
        assert_eq!(first, [162.5, 162.94, 162.36, 162.8, 95210.0], "{params}");
    }
    let d = detected(r#"{"path": "quik_gazp_m5.csv", "preset": "quik"}"#);
    assert_eq!(d.delimiter, Some(';'));
    assert_eq!(d.decimal, Some(Decimal::Comma));
}

#[test]
fn metatrader5_export() {
    let want_ts: Vec<i64> = (0..3)
        .map(|h| (MARCH_1_2000_UTC_S + h * 3600) * NS)
        .collect();
    let t = read(r#"{"path": "mt5_eurusd_h1.csv", "preset": "mt5"}"#);
    assert_eq!(t.names, ["open", "high", "low", "close", "volume"]);
    assert_eq!(t.timestamps, want_ts);
    // Line 2: 2000.03.01 00:00:00 0.96960 0.97070 0.96880 0.96950 211 0 50
    let first: Vec<f64> = t.columns.iter().map(|c| c[0]).collect();
    assert_eq!(
        first,
        [0.9696, 0.9707, 0.9688, 0.9695, 211.0],
        "volume is <TICKVOL>"
    );

    // Without the preset: tab, yyyy.mm.dd + <TIME> detected; volume is <VOL>.
    let t = read(r#"{"path": "mt5_eurusd_h1.csv"}"#);
    assert_eq!(t.timestamps, want_ts);
    assert_eq!(t.columns[4], [0.0, 0.0, 0.0]);
    let d = detected(r#"{"path": "mt5_eurusd_h1.csv"}"#);
    assert_eq!(d.delimiter, Some('\t'));
    assert_eq!(d.time_format, Some(TimeFormat::YyyyMmDdDot));
    assert_eq!(d.time_of_day_column.as_deref(), Some("<TIME>"));
}

#[test]
fn german_excel_export() {
    let want_ts: Vec<i64> = (0..3)
        .map(|d| (JAN_2_2024_UTC_S + d * 86_400) * NS)
        .collect();
    let columns = r#""columns": {"open": "Erster", "high": "Hoch", "low": "Tief", "close": "Schlusskurs", "volume": "Volumen"}"#;
    for params in [
        format!(r#"{{"path": "excel_de_aapl.csv", "preset": "excel-eu", {columns}}}"#),
        format!(r#"{{"path": "excel_de_aapl.csv", {columns}}}"#),
    ] {
        let t = read(&params);
        assert_eq!(t.timestamps, want_ts, "{params}");
        // Line 3: 03.01.2024;183,12;184,26;181,88;182,70;12204
        let second: Vec<f64> = t.columns.iter().map(|c| c[1]).collect();
        assert_eq!(second, [183.12, 184.26, 181.88, 182.7, 12204.0], "{params}");
    }
    let d = detected(&format!(r#"{{"path": "excel_de_aapl.csv", {columns}}}"#));
    assert_eq!(d.delimiter, Some(';'));
    assert_eq!(d.decimal, Some(Decimal::Comma));
    assert_eq!(d.time_column.as_deref(), Some("Datum"));
    assert_eq!(d.time_format, Some(TimeFormat::DdMmYyyyDot));
    assert!(d.utf8_bom);
}

#[test]
fn epoch_microsecond_ticks_may_share_a_time() {
    let t = read(
        r#"{"path": "ticks_epoch_us.csv", "columns": {"close": "price", "volume": "volume"}}"#,
    );
    let t0 = 1_704_205_800 * NS;
    assert_eq!(t.timestamps, [t0, t0, t0 + 250_125_000, t0 + NS]);
    assert_eq!(t.columns[0], [185.64, 185.65, 185.63, 185.70]);
    let table = load(
        &Params::from_json(
            r#"{"path": "ticks_epoch_us.csv", "columns": {"close": "price", "volume": "volume"}}"#,
        )
        .expect("params"),
        DATA,
    )
    .expect("load");
    assert_eq!(table.detected.time_column.as_deref(), Some("timestamp"));
    assert_eq!(table.detected.time_format, Some(TimeFormat::EpochUs));
    assert!(
        table
            .notes
            .iter()
            .any(|n| n
                .contains("1 tick rows repeat the previous row's time (first on line 3); kept")),
        "{:?}",
        table.notes
    );
}

#[test]
fn us_dates_only_when_set() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("us.csv"),
        "Date,Close\n01/02/2024,1.5\n01/03/2024,2.5\n",
    )
    .expect("write");
    let base = dir.path().to_str().expect("utf-8");
    let e = read_source(
        plugin_descriptor(),
        "csv",
        r#"{"path": "us.csv"}"#,
        base,
        10,
    )
    .unwrap_err();
    assert!(
        e.message
            .contains("cannot tell the time format of `01/02/2024`"),
        "{}",
        e.message
    );
    let t = read_source(
        plugin_descriptor(),
        "csv",
        r#"{"path": "us.csv", "time_format": "mm/dd/yyyy"}"#,
        base,
        10,
    )
    .expect("read");
    assert_eq!(
        t.timestamps,
        [JAN_2_2024_UTC_S * NS, (JAN_2_2024_UTC_S + 86_400) * NS]
    );
}

#[test]
fn keys_set_win_over_the_preset() {
    let t = read(r#"{"path": "finam_sber_h1.csv", "preset": "finam", "timezone": "UTC"}"#);
    // 10:00 read as UTC instead of Moscow: three hours later.
    assert_eq!(t.timestamps[0], (JAN_3_2024_10_MSK_S + 3 * 3600) * NS);
    let t =
        read(r#"{"path": "mt5_eurusd_h1.csv", "preset": "mt5", "columns": {"close": "<CLOSE>"}}"#);
    assert_eq!(t.names, ["close"]);
    assert_eq!(t.columns[0], [0.9695, 0.9699, 0.9694]);
}
