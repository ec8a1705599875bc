//! The candlestick chart type's table, shader and uniforms.

use gpu_charts_plugin_api::{GC_FIELD_HIGH, GC_FIELD_LOW, GC_INPUT_BARS};
use gpu_charts_plugin_candlestick::plugin_descriptor;
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};

#[test]
fn wgsl_validates_with_the_bars_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "candlestick");
}

#[test]
fn table_declares_bars_input_and_high_low_range() {
    let d = plugin_descriptor();
    assert_chart_table(
        d,
        "candlestick",
        GC_INPUT_BARS,
        36,
        GC_FIELD_HIGH | GC_FIELD_LOW,
        0,
    );
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "candlestick", "{}", &[0.0, 0.7]);
    assert_uniforms(d, "candlestick", "", &[0.0, 0.7]);
    assert_uniforms(
        d,
        "candlestick",
        r#"{"hollow": true, "body_width": 0.5}"#,
        &[1.0, 0.5],
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "candlestick", r#"{"body_width": 1.5}"#);
    assert_eq!(
        e.message,
        "candlestick: body_width must be 0.1..=1, got 1.5"
    );
    let e = params_error(d, "candlestick", r#"{"holow": true}"#);
    assert!(e.message.contains("unknown field `holow`"), "{}", e.message);
    let e = params_error(d, "candlestick", r#"{"hollow": "yes"}"#);
    assert!(
        e.message
            .contains("invalid type: string \"yes\", expected a boolean"),
        "{}",
        e.message
    );
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_candlestick::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "candlestick", schema, &["body_width", "hollow"]);
}
