//! The data rules (README "Validation policy"): each broken rule is a data
//! error naming the file, the physical line and the column; encodings.

use gpu_charts_plugin_api::testing::read_source;
use gpu_charts_plugin_api::{GC_ERR_DATA, PluginError};
use gpu_charts_plugin_csv::{ErrorKind, Params, parse_bytes, plugin_descriptor};

/// Reads `contents` as `data.csv` through the plugin, expecting an error.
fn error_for(contents: &[u8], params: &str) -> PluginError {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("data.csv"), contents).expect("write");
    let base = dir.path().to_str().expect("utf-8");
    match read_source(plugin_descriptor(), "csv", params, base, 100) {
        Ok(t) => panic!("expected an error, read {} rows", t.timestamps.len()),
        Err(e) => {
            assert_eq!(e.status, GC_ERR_DATA, "{}", e.message);
            assert!(
                e.message.contains("data.csv"),
                "names the file: {}",
                e.message
            );
            e
        }
    }
}

fn assert_message(e: &PluginError, want: &str) {
    assert!(
        e.message.ends_with(want),
        "{}\nwanted the end: {want}",
        e.message
    );
}

const BARS: &str = "Date,Open,High,Low,Close,Volume\n";
const P: &str = r#"{"path": "data.csv"}"#;

#[test]
fn high_below_low() {
    let e = error_for(
        format!("{BARS}2024-01-02,1,2,1,1.5,10\n2024-01-03,1,1,2,1.5,10\n").as_bytes(),
        P,
    );
    assert_message(
        &e,
        "data.csv: line 3: high 1 (column `High`) is below low 2 (column `Low`)",
    );
    assert!(e.help.contains("swapped"), "{}", e.help);
}

#[test]
fn open_and_close_outside_the_range() {
    let e = error_for(format!("{BARS}2024-01-02,3,2,1,1.5,10\n").as_bytes(), P);
    assert_message(
        &e,
        "line 2: open 3 (column `Open`) is outside [low 1, high 2]",
    );
    let e = error_for(format!("{BARS}2024-01-02,1.5,2,1,0.5,10\n").as_bytes(), P);
    assert_message(
        &e,
        "line 2: close 0.5 (column `Close`) is outside [low 1, high 2]",
    );
}

#[test]
fn negative_volume() {
    let e = error_for(format!("{BARS}2024-01-02,1,2,1,1.5,-10\n").as_bytes(), P);
    assert_message(&e, "data.csv: line 2, column `Volume`: negative volume -10");
}

#[test]
fn duplicate_bar_times_are_errors() {
    let e = error_for(
        format!(
            "{BARS}2024-01-02,1,2,1,1.5,10\n2024-01-03,1,2,1,1.5,10\n2024-01-03,1,2,1,1.5,10\n"
        )
        .as_bytes(),
        P,
    );
    assert_message(
        &e,
        "line 4, column `Date`: duplicate time `2024-01-03` (also on line 3)",
    );
    assert!(e.help.contains("one row per time"), "{}", e.help);
}

#[test]
fn unsorted_times_name_both_lines() {
    let e = error_for(
        format!("{BARS}2024-01-03,1,2,1,1.5,10\n2024-01-02,1,2,1,1.5,10\n").as_bytes(),
        P,
    );
    assert_message(
        &e,
        "line 3, column `Date`: time `2024-01-02` (2024-01-02T00:00:00Z) comes before 2024-01-03T00:00:00Z on line 2",
    );
    assert_eq!(
        e.help,
        "rows must be in ascending time order: sort the file by time"
    );
}

#[test]
fn duplicate_column_names() {
    let e = error_for(b"Date,Close,close\n2024-01-02,1,2\n", P);
    assert_message(
        &e,
        "data.csv: line 1: duplicate column name: `Close` is column 2 and `close` is column 3",
    );
    let e = error_for(b"<DATE>,<VOL>,Volume\n20240102,1,2\n", P);
    assert_message(&e, "`<VOL>` is column 2 and `Volume` is column 3");
}

#[test]
fn crlf_files_count_physical_lines() {
    // Header = line 1; the bad field is on line 4, also with CRLF endings,
    // a blank line and a quoted field spanning two lines before it.
    let text = "Date,Close,Note\r\n2024-01-02,1,\"two\r\nlines\"\r\n\r\n2024-01-04,x,n\r\n";
    let e = error_for(
        text.as_bytes(),
        r#"{"path": "data.csv", "columns": {"close": "Close"}}"#,
    );
    assert_message(
        &e,
        "data.csv: line 5, column `Close`: cannot parse `x` as a number",
    );
}

#[test]
fn control_bytes_are_escaped_in_messages() {
    let e = error_for(b"Date,Close\n2024-01-02,1\x1b[31m\xff\n", P);
    assert_message(
        &e,
        "line 2, column `Close`: cannot parse `1\\u{1b}[31m\\xFF` as a number",
    );
    assert!(!e.message.contains('\x1b'));
}

#[test]
fn utf16_files_are_named_as_such() {
    let utf16le: Vec<u8> = "Date,Close\r\n2024-01-02,1\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let with_bom = [&[0xFF, 0xFE][..], &utf16le].concat();
    let e = error_for(&with_bom, P);
    assert_message(
        &e,
        "data.csv: the file is UTF-16 (little-endian, byte-order mark FF FE), not UTF-8 text",
    );
    assert!(e.help.contains("re-save it as UTF-8"), "{}", e.help);
    let e = error_for(&utf16le, P);
    assert_message(
        &e,
        "the file is UTF-16 (little-endian, no byte-order mark), not UTF-8 text",
    );
    let utf16be: Vec<u8> = "Date,Close\n"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let e = error_for(&utf16be, P);
    assert_message(
        &e,
        "the file is UTF-16 (big-endian, no byte-order mark), not UTF-8 text",
    );
}

#[test]
fn utf8_bom_is_skipped() {
    let t = parse_bytes(
        b"\xEF\xBB\xBFDate,Close\n2024-01-02,1.5\n",
        &Params::new("bom.csv"),
    )
    .expect("parse");
    assert_eq!(t.names, ["close"]);
    assert_eq!(t.column(0), [1.5]);
    assert!(t.detected.utf8_bom);
}

#[test]
fn unterminated_quote() {
    let e = error_for(b"Date,Close\n2024-01-02,\"1.5\n2024-01-03,2\n", P);
    assert_message(
        &e,
        "data.csv: line 2: a quoted field is not closed before the end of the file",
    );
}

#[test]
fn a_point_is_not_read_as_a_decimal_in_comma_mode() {
    // de Excel writes 15.031 for fifteen thousand and thirty-one.
    let e = error_for(
        b"Date;Close\n02.01.2024;15.031\n",
        r#"{"path": "data.csv", "decimal": "comma"}"#,
    );
    assert_message(
        &e,
        "line 2, column `Close`: cannot parse `15.031` as a number",
    );
    assert!(e.help.contains("thousands separator"), "{}", e.help);
}

#[test]
fn a_decimal_comma_in_a_comma_file_gets_a_hint() {
    let e = error_for(b"Date,Close\n2024-01-02,\"1,5\"\n", P);
    assert_message(&e, "line 2, column `Close`: cannot parse `1,5` as a number");
    assert!(e.help.contains("decimal = \"comma\""), "{}", e.help);
}

#[test]
fn errors_are_data_errors_in_the_rust_api_too() {
    let e = parse_bytes(b"Date,Close\n2024-01-02,oops\n", &Params::new("api.csv")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Data);
    assert_eq!(
        e.message,
        "api.csv: line 2, column `Close`: cannot parse `oops` as a number"
    );
}

#[test]
fn lone_cr_line_endings() {
    let e = error_for(b"Date,Close\r2024-01-02,1\r2024-01-03,2\r", P);
    assert_message(
        &e,
        "data.csv: lines end with a lone carriage return (CR, classic Mac), not LF or CRLF",
    );
    // A one-line CRLF file (header only) is fine.
    let t = parse_bytes(b"Date,Close\r\n", &Params::new("h.csv")).expect("header only");
    assert!(t.is_empty());
}
