//! The SMA plugin through its exported C tables, checked against TA-Lib
//! output committed in `tests/data/talib_reference.csv` (written by
//! `tests/make_reference.py`) and against hand-computed values.

use gpu_charts_plugin_api::GC_ERR_PARAMS;
use gpu_charts_plugin_api::testing::{run_indicator, run_indicator_incremental};
use gpu_charts_plugin_kit::testing::{assert_close, assert_identical, run_single, schema_defaults};
use gpu_charts_plugin_sma::plugin_descriptor;

/// Columns of the TA-Lib reference file, by header name.
struct Reference {
    close: Vec<f64>,
    sma_20: Vec<f64>,
}

fn parse_value(text: &str) -> f64 {
    if text == "nan" {
        f64::NAN
    } else {
        text.parse()
            .unwrap_or_else(|e| panic!("bad number {text:?}: {e}"))
    }
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/talib_reference.csv"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (c_close, c_sma) = (col("close"), col("sma_20"));
    let mut r = Reference {
        close: Vec::new(),
        sma_20: Vec::new(),
    };
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        r.close.push(parse_value(fields[c_close]));
        r.sma_20.push(parse_value(fields[c_sma]));
    }
    r
}

fn sma(period: usize, input: &[f64]) -> Vec<f64> {
    let params = format!(r#"{{"period": {period}}}"#);
    run_single(plugin_descriptor(), "sma", &params, input)
}

#[test]
fn matches_talib_sma_20_on_aapl_closes() {
    let r = reference();
    assert_eq!(
        r.close.len(),
        3270,
        "AAPL has 3,270 daily rows 2000-03-01..2013-03-01"
    );
    // The reference itself follows TA-Lib's lookback: 19 NaN, then values.
    assert_eq!(r.sma_20.iter().take_while(|v| v.is_nan()).count(), 19);
    assert_close(&sma(20, &r.close), &r.sma_20, 1e-9);
}

#[test]
fn default_period_is_20() {
    let r = reference();
    let out =
        run_indicator(plugin_descriptor(), "sma", "{}", &[&r.close]).expect("sma with defaults");
    assert_close(&out[0], &r.sma_20, 1e-9);
}

#[test]
fn incremental_equals_one_full_run() {
    let r = reference();
    let full = sma(20, &r.close);
    let lengths = [100, 101, 102, 2000, r.close.len()];
    let mut out = Vec::new();
    run_indicator_incremental(
        plugin_descriptor(),
        "sma",
        r#"{"period": 20}"#,
        &[&r.close],
        &lengths,
        &mut out,
    )
    .expect("incremental sma");
    assert_identical(&out[0], &full);
}

#[test]
fn incremental_with_gaps_and_short_steps_equals_full_run() {
    let mut input: Vec<f64> = (0..300)
        .map(|i| 50.0 + (i as f64 * 0.37).sin() * 10.0)
        .collect();
    for i in [0, 7, 8, 150, 299] {
        input[i] = f64::NAN;
    }
    input[40] = f64::INFINITY;
    let full = sma(5, &input);
    // Steps shorter than the period, including ones that start inside a gap.
    let lengths = [1, 3, 8, 9, 12, 41, 44, 151, 152, 153, 200, 300];
    let mut out = Vec::new();
    run_indicator_incremental(
        plugin_descriptor(),
        "sma",
        r#"{"period": 5}"#,
        &[&input],
        &lengths,
        &mut out,
    )
    .expect("incremental sma");
    assert_identical(&out[0], &full);
}

#[test]
fn a_gap_blanks_exactly_the_windows_that_contain_it() {
    // x = 1, 2, ..., 12 with row 5 missing; mean of 3 consecutive integers
    // ending at value v is v - 1.
    let mut x: Vec<f64> = (1..=12).map(f64::from).collect();
    x[5] = f64::NAN;
    let out = sma(3, &x);
    let nan = f64::NAN;
    let expected = [nan, nan, 2.0, 3.0, 4.0, nan, nan, nan, 8.0, 9.0, 10.0, 11.0];
    assert_close(&out, &expected, 0.0);
}

#[test]
fn infinities_are_gaps_too() {
    let x = [1.0, f64::NEG_INFINITY, 3.0, 4.0, 5.0];
    let nan = f64::NAN;
    assert_close(&sma(2, &x), &[nan, nan, nan, 3.5, 4.5], 0.0);
}

#[test]
fn period_1_is_the_input() {
    let r = reference();
    assert_identical(&sma(1, &r.close), &r.close);
}

#[test]
fn period_longer_than_input_is_all_nan() {
    let x = [1.0, 2.0, 3.0];
    assert!(sma(4, &x).iter().all(|v| v.is_nan()));
    assert_close(&sma(3, &x), &[f64::NAN, f64::NAN, 2.0], 0.0);
    assert!(sma(20, &[]).is_empty());
}

#[test]
fn bad_params_are_rejected_with_help() {
    let x = [1.0];
    let e = run_indicator(plugin_descriptor(), "sma", r#"{"period": 0}"#, &[&x]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message.contains("period must be 1..=100000, got 0"),
        "{}",
        e.message
    );
    assert!(!e.help.is_empty());

    let e = run_indicator(plugin_descriptor(), "sma", r#"{"perod": 5}"#, &[&x]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("unknown field `perod`"), "{}", e.message);

    let e = run_indicator(plugin_descriptor(), "sma", r#"{"period": 2.5}"#, &[&x]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("invalid params"), "{}", e.message);
}

/// Deterministic positive prices (a small LCG random walk around 100) with a
/// 1e12 spike every 100,003 rows.
fn spiky_series(len: usize) -> Vec<f64> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut price = 100.0_f64;
    (0..len)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            price = (price * (1.0 + (u - 0.5) * 0.01)).clamp(50.0, 200.0);
            if i % 100_003 == 50_000 { 1e12 } else { price }
        })
        .collect()
}

/// Mean of `x[end + 1 - period..=end]`, summed directly. All values are
/// positive, so the direct sum is accurate to ~period ulps.
fn direct_mean(x: &[f64], end: usize, period: usize) -> f64 {
    x[end + 1 - period..=end].iter().sum::<f64>() / period as f64
}

#[test]
fn ten_million_rows_do_not_drift() {
    const LEN: usize = 10_000_000;
    const PERIOD: usize = 20;
    let x = spiky_series(LEN);

    // The data must be hard enough to catch drift: an uncompensated running
    // sum keeps the rounding error of every spike and misses 1e-9 by far.
    let mut naive = 0.0;
    for (i, &v) in x.iter().enumerate() {
        naive += v;
        if i >= PERIOD {
            naive -= x[i - PERIOD];
        }
    }
    let naive_rel = ((naive / PERIOD as f64) / direct_mean(&x, LEN - 1, PERIOD) - 1.0).abs();
    assert!(
        naive_rel > 1e-9,
        "test data too easy: naive running sum is off by only {naive_rel:e}"
    );

    let out = sma(PERIOD, &x);
    let mut checked = 0;
    for end in (PERIOD - 1..LEN).step_by(9_973).chain(LEN - PERIOD..LEN) {
        let expected = direct_mean(&x, end, PERIOD);
        let rel = (out[end] / expected - 1.0).abs();
        assert!(
            rel <= 1e-9,
            "row {end}: sma {} vs direct mean {expected} (rel {rel:e})",
            out[end]
        );
        checked += 1;
    }
    assert!(checked > 1000);
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let defaults = schema_defaults(gpu_charts_plugin_sma::PARAMS_SCHEMA);
    assert_eq!(
        serde_json::Value::Object(defaults.clone()),
        serde_json::json!({"period": 20})
    );
    let r = reference();
    let explicit = serde_json::Value::Object(defaults).to_string();
    let with_defaults =
        run_indicator(plugin_descriptor(), "sma", &explicit, &[&r.close]).expect("explicit");
    let implicit = run_indicator(plugin_descriptor(), "sma", "{}", &[&r.close]).expect("implicit");
    assert_identical(&with_defaults[0], &implicit[0]);
}
