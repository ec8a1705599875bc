//! The kit's params parsing and range checks give the exact messages and
//! help lines the plugins' users see.

use gpu_charts_plugin_api::{GC_ERR_INTERNAL, GC_ERR_PARAMS};
use gpu_charts_plugin_kit::{in_range, params, single_column};
use serde::Deserialize;

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_opacity")]
    opacity: f64,
    #[serde(default)]
    hollow: bool,
}

fn default_opacity() -> f64 {
    0.25
}

const HELP: &str = "accepted params: opacity (0..1), hollow (true/false)";

#[test]
fn empty_or_blank_params_are_the_defaults() {
    let defaults = Params {
        opacity: 0.25,
        hollow: false,
    };
    for text in ["", "  ", "\n\t", "{}", " {} "] {
        let p: Params = params("test", text, HELP).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(p, defaults, "{text:?}");
    }
    let p: Params = params("test", r#"{"opacity": 1, "hollow": true}"#, HELP).unwrap();
    assert_eq!(
        p,
        Params {
            opacity: 1.0,
            hollow: true
        }
    );
}

#[test]
fn params_errors_name_the_plugin_and_carry_the_help() {
    let e = params::<Params>("test", r#"{"opacty": 1}"#, HELP).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message.starts_with(
            "test: invalid params: unknown field `opacty`, expected `opacity` or `hollow`"
        ),
        "{}",
        e.message
    );
    assert_eq!(e.help, HELP);

    let e = params::<Params>("test", r#"{"hollow": "yes"}"#, HELP).unwrap_err();
    assert!(
        e.message
            .starts_with("test: invalid params: invalid type: string \"yes\", expected a boolean"),
        "{}",
        e.message
    );

    let e = params::<Params>("test", "{", HELP).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message.starts_with("test: invalid params: "),
        "{}",
        e.message
    );
}

#[test]
fn in_range_returns_the_value_bounds_included() {
    assert_eq!(in_range("t", "opacity", 0.0, 0.0..=1.0, "h"), Ok(0.0));
    assert_eq!(in_range("t", "opacity", 1.0, 0.0..=1.0, "h"), Ok(1.0));
    assert_eq!(in_range("t", "size", 3.0, 0.5..=50.0, "h"), Ok(3.0));
    assert_eq!(
        in_range("t", "period", 100_000, 1..=100_000, "h"),
        Ok(100_000)
    );
}

#[test]
fn in_range_messages_write_whole_bounds_without_a_fraction() {
    let cases: [(f64, std::ops::RangeInclusive<f64>, &str); 6] = [
        (1.5, 0.0..=1.0, "p: x must be 0..=1, got 1.5"),
        (-0.5, 0.0..=1.0, "p: x must be 0..=1, got -0.5"),
        (2.0, 0.0..=1.0, "p: x must be 0..=1, got 2"),
        (0.0, 0.1..=1.0, "p: x must be 0.1..=1, got 0"),
        (0.0, 0.5..=50.0, "p: x must be 0.5..=50, got 0"),
        (0.5, 1.0..=100.0, "p: x must be 1..=100, got 0.5"),
    ];
    for (value, range, message) in cases {
        let e = in_range("p", "x", value, range, "the help").unwrap_err();
        assert_eq!(e.status, GC_ERR_PARAMS);
        assert_eq!(e.message, message);
        assert_eq!(e.help, "the help");
    }
    let e = in_range("p", "x", f64::NAN, 0.0..=1.0, "h").unwrap_err();
    assert_eq!(e.message, "p: x must be 0..=1, got NaN");

    let e = in_range("sma", "period", 0usize, 1..=100_000, "set `period`").unwrap_err();
    assert_eq!(e.message, "sma: period must be 1..=100000, got 0");
    assert_eq!(e.help, "set `period`");
}

#[test]
fn single_column_takes_the_first_input_and_output() {
    let a = [1.0, 2.0];
    let b = [3.0];
    let mut o1 = [0.0; 2];
    let mut o2 = [0.0; 1];
    let inputs: [&[f64]; 2] = [&a, &b];
    let mut outputs: [&mut [f64]; 2] = [&mut o1, &mut o2];
    let (input, out) = single_column("p", &inputs, &mut outputs).expect("columns");
    assert_eq!(input, [1.0, 2.0]);
    out[1] = 7.0;
    assert_eq!(o1, [0.0, 7.0]);

    let e = single_column("ema", &[], &mut []).unwrap_err();
    assert_eq!(e.status, GC_ERR_INTERNAL);
    assert_eq!(e.message, "ema: called without its input or output column");
    let mut outputs: [&mut [f64]; 0] = [];
    let e = single_column("sma", &inputs, &mut outputs).unwrap_err();
    assert_eq!(e.message, "sma: called without its input or output column");
}
