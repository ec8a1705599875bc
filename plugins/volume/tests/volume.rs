//! The volume chart type's table, shader and uniforms.

use gpu_charts_plugin_api::{GC_CHART_INCLUDE_ZERO, GC_FIELD_VOLUME, GC_INPUT_BARS};
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};
use gpu_charts_plugin_volume::plugin_descriptor;

#[test]
fn wgsl_validates_with_the_bars_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "volume");
}

#[test]
fn table_declares_bars_input_volume_range_and_zero() {
    let d = plugin_descriptor();
    assert_chart_table(
        d,
        "volume",
        GC_INPUT_BARS,
        6,
        GC_FIELD_VOLUME,
        GC_CHART_INCLUDE_ZERO,
    );
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "volume", "{}", &[0.6, 0.8]);
    assert_uniforms(
        d,
        "volume",
        r#"{"opacity": 1, "bar_width": 0.5}"#,
        &[1.0, 0.5],
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "volume", r#"{"opacity": 2}"#);
    assert_eq!(e.message, "volume: opacity must be 0..=1, got 2");
    let e = params_error(d, "volume", r#"{"bar_width": 0}"#);
    assert_eq!(e.message, "volume: bar_width must be 0.1..=1, got 0");
    let e = params_error(d, "volume", r#"{"colour": "red"}"#);
    assert!(
        e.message.contains("unknown field `colour`"),
        "{}",
        e.message
    );
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_volume::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "volume", schema, &["bar_width", "opacity"]);
}
