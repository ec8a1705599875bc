//! The EMA plugin through its exported C tables, checked against TA-Lib
//! output committed in `../sma/tests/data/talib_reference.csv` (written by
//! `../sma/tests/make_reference.py`) and against hand-computed values.

use gpu_charts_plugin_api::GC_ERR_PARAMS;
use gpu_charts_plugin_api::testing::{run_indicator, run_indicator_incremental};
use gpu_charts_plugin_ema::plugin_descriptor;
use gpu_charts_plugin_kit::testing::{assert_close, assert_identical, run_single, schema_defaults};

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sma/tests/data/talib_reference.csv"
);

/// Column `name` of the TA-Lib reference file ("nan" means NaN).
fn reference(name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(REFERENCE).unwrap_or_else(|e| panic!("{REFERENCE}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines
        .map(|line| {
            let field = line
                .split(',')
                .nth(col)
                .unwrap_or_else(|| panic!("short line {line:?}"));
            if field == "nan" {
                f64::NAN
            } else {
                field
                    .parse()
                    .unwrap_or_else(|e| panic!("bad number {field:?}: {e}"))
            }
        })
        .collect()
}

fn ema(period: usize, input: &[f64]) -> Vec<f64> {
    let params = format!(r#"{{"period": {period}}}"#);
    run_single(plugin_descriptor(), "ema", &params, input)
}

#[test]
fn matches_talib_ema_20_and_50_on_aapl_closes() {
    let close = reference("close");
    assert_eq!(close.len(), 3270);
    let (ref_20, ref_50) = (reference("ema_20"), reference("ema_50"));
    assert_eq!(ref_20.iter().take_while(|v| v.is_nan()).count(), 19);
    assert_eq!(ref_50.iter().take_while(|v| v.is_nan()).count(), 49);
    assert_close(&ema(20, &close), &ref_20, 1e-9);
    assert_close(&ema(50, &close), &ref_50, 1e-9);
}

#[test]
fn default_period_is_50() {
    let close = reference("close");
    let out = run_indicator(plugin_descriptor(), "ema", "", &[&close]).expect("ema with defaults");
    assert_close(&out[0], &reference("ema_50"), 1e-9);
}

#[test]
fn ema_of_an_sma_skips_its_leading_nans_like_talib() {
    // Input: TA-Lib's own SMA(20), 19 leading NaNs; TA-Lib seeds at the first
    // finite value, so the first EMA(20) value is at row 19 + 19 = 38.
    let sma_20 = reference("sma_20");
    let expected = reference("ema_20_of_sma_20");
    assert_eq!(expected.iter().take_while(|v| v.is_nan()).count(), 38);
    assert_close(&ema(20, &sma_20), &expected, 1e-9);
}

#[test]
fn incremental_equals_one_full_run() {
    let close = reference("close");
    let full = ema(20, &close);
    let lengths = [100, 101, 102, 2000, close.len()];
    let mut out = Vec::new();
    run_indicator_incremental(
        plugin_descriptor(),
        "ema",
        r#"{"period": 20}"#,
        &[&close],
        &lengths,
        &mut out,
    )
    .expect("incremental ema");
    assert_identical(&out[0], &full);
}

#[test]
fn incremental_through_seeding_and_gaps_equals_full_run() {
    let mut input = reference("sma_20");
    input.truncate(400);
    for i in [100, 101, 250] {
        input[i] = f64::NAN;
    }
    let full = ema(10, &input);
    // Steps that stop inside the leading NaNs, inside a seed window, on a gap
    // and right after one.
    let lengths = [5, 19, 20, 25, 28, 29, 30, 101, 102, 105, 111, 112, 251, 400];
    let mut out = Vec::new();
    run_indicator_incremental(
        plugin_descriptor(),
        "ema",
        r#"{"period": 10}"#,
        &[&input],
        &lengths,
        &mut out,
    )
    .expect("incremental ema");
    assert_identical(&out[0], &full);
    assert_eq!(
        full.iter().filter(|v| v.is_nan()).count(),
        19 + 9 + (2 + 9) + (1 + 9)
    );
}

#[test]
fn a_gap_restarts_the_seed() {
    // period 2, k = 2/3: seed mean(1, 3) = 2; then (6 - 2) * 2/3 + 2 = 14/3;
    // the gap blanks its row, then mean(2, 4) = 3 seeds again.
    let nan = f64::NAN;
    let x = [nan, 1.0, 3.0, 6.0, nan, 2.0, 4.0, 7.0];
    let expected = [
        nan,
        nan,
        2.0,
        14.0 / 3.0,
        nan,
        nan,
        3.0,
        (7.0 - 3.0) * (2.0 / 3.0) + 3.0,
    ];
    assert_close(&ema(2, &x), &expected, 1e-15);
    let x = [1.0, f64::INFINITY, 2.0, 4.0];
    assert_close(&ema(2, &x), &[nan, nan, nan, 3.0], 0.0);
}

#[test]
fn period_1_is_the_input() {
    let close = reference("close");
    assert_identical(&ema(1, &close), &close);
}

#[test]
fn period_longer_than_input_is_all_nan() {
    let x = [1.0, 2.0, 3.0];
    assert!(ema(4, &x).iter().all(|v| v.is_nan()));
    assert_close(&ema(3, &x), &[f64::NAN, f64::NAN, 2.0], 0.0);
    assert!(ema(50, &[]).is_empty());
}

#[test]
fn bad_params_are_rejected_with_help() {
    let x = [1.0];
    let e = run_indicator(plugin_descriptor(), "ema", r#"{"period": 100001}"#, &[&x]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message.contains("period must be 1..=100000, got 100001"),
        "{}",
        e.message
    );
    assert!(!e.help.is_empty());

    let e = run_indicator(plugin_descriptor(), "ema", r#"{"span": 5}"#, &[&x]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("unknown field `span`"), "{}", e.message);
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let defaults = schema_defaults(gpu_charts_plugin_ema::PARAMS_SCHEMA);
    assert_eq!(
        serde_json::Value::Object(defaults.clone()),
        serde_json::json!({"period": 50})
    );
    let close = reference("close");
    let explicit = serde_json::Value::Object(defaults).to_string();
    let with_defaults =
        run_indicator(plugin_descriptor(), "ema", &explicit, &[&close]).expect("explicit");
    let implicit = run_indicator(plugin_descriptor(), "ema", "{}", &[&close]).expect("implicit");
    assert_identical(&with_defaults[0], &implicit[0]);
}
