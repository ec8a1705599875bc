//! The markers chart type's table, shader and uniforms.

use gpu_charts_plugin_api::testing::chart_uniforms;
use gpu_charts_plugin_api::{GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error,
};
use gpu_charts_plugin_markers::plugin_descriptor;

#[test]
fn wgsl_validates_with_the_line_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "markers");
}

#[test]
fn table_declares_line_input_and_value_range() {
    let d = plugin_descriptor();
    assert_chart_table(d, "markers", GC_INPUT_LINE, 6, GC_FIELD_VALUE, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "markers", "{}", &[1.0, 8.0]);
    assert_uniforms(
        d,
        "markers",
        r#"{"shape": "diamond", "size": 12, "opacity": 0.5}"#,
        &[0.5, 12.0, 3.0],
    );
}

/// The codes are the ones `markers.wgsl` documents and branches on.
#[test]
fn each_shape_has_its_shader_code() {
    let d = plugin_descriptor();
    for (shape, code) in [
        ("triangle_up", 0.0),
        ("triangle_down", 1.0),
        ("circle", 2.0),
        ("diamond", 3.0),
    ] {
        let u = chart_uniforms(d, "markers", &format!(r#"{{"shape": "{shape}"}}"#))
            .unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_eq!(u[2], code, "{shape}");
    }
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "markers", r#"{"shape": "square"}"#);
    assert!(
        e.message.starts_with(
            "markers: invalid params: unknown variant `square`, expected one of \
             `triangle_up`, `triangle_down`, `circle`, `diamond`"
        ),
        "{}",
        e.message
    );
    assert_eq!(
        e.help,
        "accepted params: shape (\"triangle_up\", \"triangle_down\", \"circle\", \"diamond\"), \
         size (1..100 px), opacity (0..1)"
    );

    let e = params_error(d, "markers", r#"{"size": 0.5}"#);
    assert_eq!(e.message, "markers: size must be 1..=100, got 0.5");

    let e = params_error(d, "markers", r#"{"opacity": 2}"#);
    assert_eq!(e.message, "markers: opacity must be 0..=1, got 2");

    let e = params_error(d, "markers", r#"{"color": "red"}"#);
    assert!(e.message.contains("unknown field `color`"), "{}", e.message);
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_markers::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "markers", schema, &["opacity", "shape", "size"]);
}

/// The schema's enum lists exactly the shapes the plugin accepts.
#[test]
fn schema_shapes_are_the_plugin_shapes() {
    let schema: serde_json::Value =
        serde_json::from_str(gpu_charts_plugin_markers::PARAMS_SCHEMA).expect("JSON");
    let shapes = schema["properties"]["shape"]["enum"]
        .as_array()
        .expect("shape enum");
    assert_eq!(shapes.len(), 4);
    let d = plugin_descriptor();
    for shape in shapes {
        let params = serde_json::json!({ "shape": shape }).to_string();
        chart_uniforms(d, "markers", &params).unwrap_or_else(|e| panic!("{shape}: {e}"));
    }
}
