//! The line chart type's table, shader and uniforms.

use gpu_charts_plugin_api::{GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};
use gpu_charts_plugin_line::plugin_descriptor;

#[test]
fn wgsl_validates_with_the_line_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "line");
}

#[test]
fn table_declares_line_input_and_value_range() {
    let d = plugin_descriptor();
    assert_chart_table(d, "line", GC_INPUT_LINE, 12, GC_FIELD_VALUE, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "line", "{}", &[1.0, 0.0]);
    assert_uniforms(d, "line", r#"{"opacity": 0.25}"#, &[0.25, 0.0]);
    for (style, n) in [
        ("solid", 0.0),
        ("dash", 1.0),
        ("dot", 2.0),
        ("dashdot", 3.0),
    ] {
        let json = format!(r#"{{"style": "{style}"}}"#);
        assert_uniforms(d, "line", &json, &[1.0, n]);
    }
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "line", r#"{"opacity": -0.5}"#);
    assert_eq!(e.message, "line: opacity must be 0..=1, got -0.5");
    let e = params_error(d, "line", r#"{"width": 2}"#);
    assert!(e.message.contains("unknown field `width`"), "{}", e.message);
    let e = params_error(d, "line", r#"{"style": "dashed"}"#);
    assert!(
        e.message.starts_with("line: invalid params: unknown variant `dashed`, expected one of `solid`, `dash`, `dot`, `dashdot`"),
        "{}",
        e.message
    );
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_line::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "line", schema, &["opacity", "style"]);
}
