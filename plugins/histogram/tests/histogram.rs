//! The histogram chart type's table, shader and uniforms.

use gpu_charts_plugin_api::testing::{chart_source, chart_uniforms, check_chart_table};
use gpu_charts_plugin_api::{GC_CHART_INCLUDE_ZERO, GC_ERR_PARAMS, GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_histogram::plugin_descriptor;
use naga::ShaderStage;
use naga::front::wgsl::parse_str;
use naga::valid::{Capabilities, ValidationFlags, Validator};

#[test]
fn wgsl_validates_with_the_line_prelude() {
    let src = chart_source(plugin_descriptor(), "histogram").expect("histogram source");
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
fn table_declares_line_input_value_range_and_zero() {
    let t = check_chart_table(plugin_descriptor(), "histogram").expect("histogram table");
    assert_eq!(t.input, GC_INPUT_LINE);
    assert_eq!(t.vertices_per_instance, 12);
    assert_eq!(t.range_fields, GC_FIELD_VALUE);
    assert_eq!(t.flags, GC_CHART_INCLUDE_ZERO);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    let mut expected = [0.0f32; 16];
    expected[0] = 1.0;
    expected[1] = 0.8;
    assert_eq!(
        chart_uniforms(d, "histogram", "{}").expect("defaults"),
        expected
    );
    assert_eq!(
        chart_uniforms(d, "histogram", "  ").expect("empty"),
        expected
    );
    expected[0] = 0.25;
    expected[1] = 0.5;
    expected[2] = 1.0;
    assert_eq!(
        chart_uniforms(
            d,
            "histogram",
            r#"{"opacity": 0.25, "bar_width": 0.5, "color_by_sign": true}"#
        )
        .expect("set"),
        expected
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = chart_uniforms(d, "histogram", r#"{"opacity": 1.5}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "histogram: opacity must be 0..=1, got 1.5");
    assert_eq!(
        e.help,
        "opacity multiplies the colour's alpha, e.g. opacity = 0.5"
    );

    let e = chart_uniforms(d, "histogram", r#"{"bar_width": 0}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "histogram: bar_width must be 0.1..=1, got 0");

    let e = chart_uniforms(d, "histogram", r#"{"color_by_sign": "yes"}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message.starts_with(
            "histogram: invalid params: invalid type: string \"yes\", expected a boolean"
        ),
        "{}",
        e.message
    );

    let e = chart_uniforms(d, "histogram", r#"{"colour_by_sign": true}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
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
    let defaults = schema_defaults(gpu_charts_plugin_histogram::PARAMS_SCHEMA);
    let mut keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["bar_width", "color_by_sign", "opacity"]);
    let explicit = serde_json::Value::Object(defaults).to_string();
    let d = plugin_descriptor();
    assert_eq!(
        chart_uniforms(d, "histogram", &explicit).expect("explicit"),
        chart_uniforms(d, "histogram", "{}").expect("implicit")
    );
}
