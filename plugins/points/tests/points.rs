//! The points chart type's table, shader and uniforms.

use gpu_charts_plugin_api::{GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};
use gpu_charts_plugin_points::plugin_descriptor;

#[test]
fn wgsl_validates_with_the_line_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "points");
}

#[test]
fn table_declares_line_input_and_value_range() {
    let d = plugin_descriptor();
    assert_chart_table(d, "points", GC_INPUT_LINE, 18, GC_FIELD_VALUE, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "points", "{}", &[1.0, 3.0]);
    assert_uniforms(d, "points", r#"{"opacity": 0.5, "size": 1.5}"#, &[0.5, 1.5]);
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "points", r#"{"opacity": -0.5}"#);
    assert_eq!(e.message, "points: opacity must be 0..=1, got -0.5");

    let e = params_error(d, "points", r#"{"size": 0}"#);
    assert_eq!(e.message, "points: size must be 0.5..=50, got 0");
    assert_eq!(
        e.help,
        "size is the dot radius in logical pixels, e.g. size = 3"
    );

    let e = params_error(d, "points", r#"{"size": "big"}"#);
    assert!(
        e.message
            .starts_with("points: invalid params: invalid type: string \"big\", expected f64"),
        "{}",
        e.message
    );

    let e = params_error(d, "points", r#"{"radius": 2}"#);
    assert!(
        e.message.contains("unknown field `radius`"),
        "{}",
        e.message
    );
    assert_eq!(e.help, "accepted params: opacity (0..1), size (0.5..50 px)");
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_points::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "points", schema, &["opacity", "size"]);
}
