//! The markers chart type's table, shader and uniforms.

use gpu_charts_plugin_api::testing::{chart_source, chart_uniforms, check_chart_table};
use gpu_charts_plugin_api::{GC_ERR_PARAMS, GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_markers::plugin_descriptor;
use naga::ShaderStage;
use naga::front::wgsl::parse_str;
use naga::valid::{Capabilities, ValidationFlags, Validator};

#[test]
fn wgsl_validates_with_the_line_prelude() {
    let src = chart_source(plugin_descriptor(), "markers").expect("markers source");
    let module = parse_str(&src).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    Validator::new(ValidationFlags::all(), Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    let stages = module
        .entry_points
        .iter()
        .map(|e| (e.name.as_str(), e.stage));
    let expected = [
        ("vs_main", ShaderStage::Vertex),
        ("fs_main", ShaderStage::Fragment),
    ];
    assert_eq!(stages.collect::<Vec<_>>(), expected);
}

#[test]
fn table_declares_line_input_and_value_range() {
    let t = check_chart_table(plugin_descriptor(), "markers").expect("markers table");
    assert_eq!(t.input, GC_INPUT_LINE);
    assert_eq!(t.vertices_per_instance, 6);
    assert_eq!(t.range_fields, GC_FIELD_VALUE);
    assert_eq!(t.flags, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    let mut expected = [0.0f32; 16];
    expected[0] = 1.0;
    expected[1] = 8.0;
    assert_eq!(
        chart_uniforms(d, "markers", "{}").expect("defaults"),
        expected
    );
    expected[0] = 0.5;
    expected[1] = 12.0;
    expected[2] = 3.0;
    assert_eq!(
        chart_uniforms(
            d,
            "markers",
            r#"{"shape": "diamond", "size": 12, "opacity": 0.5}"#
        )
        .expect("set"),
        expected
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
    let e = chart_uniforms(d, "markers", r#"{"shape": "square"}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
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

    let e = chart_uniforms(d, "markers", r#"{"size": 0.5}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "markers: size must be 1..=100, got 0.5");

    let e = chart_uniforms(d, "markers", r#"{"opacity": 2}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "markers: opacity must be 0..=1, got 2");

    let e = chart_uniforms(d, "markers", r#"{"color": "red"}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("unknown field `color`"), "{}", e.message);
}

/// The `default` of every property in a params schema, as a params object.
fn schema_defaults(schema: &str) -> serde_json::Map<String, serde_json::Value> {
    let schema: serde_json::Value = serde_json::from_str(schema).expect("params schema is JSON");
    let properties = schema["properties"]
        .as_object()
        .expect("schema has properties");
    properties
        .iter()
        .filter_map(|(key, p)| p.get("default").map(|d| (key.clone(), d.clone())))
        .collect()
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let defaults = schema_defaults(gpu_charts_plugin_markers::PARAMS_SCHEMA);
    let mut keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["opacity", "shape", "size"]);
    let explicit = serde_json::Value::Object(defaults).to_string();
    let d = plugin_descriptor();
    assert_eq!(
        chart_uniforms(d, "markers", &explicit).expect("explicit"),
        chart_uniforms(d, "markers", "{}").expect("implicit")
    );
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
