//! The histogram chart type's table, shader and uniforms.

use gpu_charts_plugin_api::{GC_CHART_INCLUDE_ZERO, GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_histogram::plugin_descriptor;
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};

#[test]
fn wgsl_validates_with_the_line_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "histogram");
}

#[test]
fn table_declares_line_input_value_range_and_zero() {
    let d = plugin_descriptor();
    assert_chart_table(
        d,
        "histogram",
        GC_INPUT_LINE,
        12,
        GC_FIELD_VALUE,
        GC_CHART_INCLUDE_ZERO,
    );
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "histogram", "{}", &[1.0, 0.8]);
    assert_uniforms(d, "histogram", "  ", &[1.0, 0.8]);
    assert_uniforms(
        d,
        "histogram",
        r#"{"opacity": 0.25, "bar_width": 0.5, "color_by_sign": true}"#,
        &[0.25, 0.5, 1.0],
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "histogram", r#"{"opacity": 1.5}"#);
    assert_eq!(e.message, "histogram: opacity must be 0..=1, got 1.5");
    assert_eq!(
        e.help,
        "opacity multiplies the colour's alpha, e.g. opacity = 0.5"
    );

    let e = params_error(d, "histogram", r#"{"bar_width": 0}"#);
    assert_eq!(e.message, "histogram: bar_width must be 0.1..=1, got 0");

    let e = params_error(d, "histogram", r#"{"color_by_sign": "yes"}"#);
    assert!(
        e.message.starts_with(
            "histogram: invalid params: invalid type: string \"yes\", expected a boolean"
        ),
        "{}",
        e.message
    );

    let e = params_error(d, "histogram", r#"{"colour_by_sign": true}"#);
    assert!(
        e.message.contains("unknown field `colour_by_sign`"),
        "{}",
        e.message
    );
    assert_eq!(
        e.help,
        "accepted params: opacity (0..1), bar_width (0.1..1), color_by_sign (true/false)"
    );
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_histogram::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(
        d,
        "histogram",
        schema,
        &["bar_width", "color_by_sign", "opacity"],
    );
}
