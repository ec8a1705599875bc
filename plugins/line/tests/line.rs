//! The line chart type's table, shader and uniforms.

use gpu_charts_plugin_api::testing::{chart_source, chart_uniforms, check_chart_table};
use gpu_charts_plugin_api::{GC_ERR_PARAMS, GC_FIELD_VALUE, GC_INPUT_LINE};
use gpu_charts_plugin_line::plugin_descriptor;
use naga::ShaderStage;
use naga::front::wgsl::parse_str;
use naga::valid::{Capabilities, ValidationFlags, Validator};

#[test]
fn wgsl_validates_with_the_line_prelude() {
    let src = chart_source(plugin_descriptor(), "line").expect("line source");
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
    let t = check_chart_table(plugin_descriptor(), "line").expect("line table");
    assert_eq!(t.input, GC_INPUT_LINE);
    assert_eq!(t.vertices_per_instance, 12);
    assert_eq!(t.range_fields, GC_FIELD_VALUE);
    assert_eq!(t.flags, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    let mut expected = [0.0f32; 16];
    expected[0] = 1.0;
    assert_eq!(chart_uniforms(d, "line", "{}").expect("defaults"), expected);
    expected[0] = 0.25;
    assert_eq!(
        chart_uniforms(d, "line", r#"{"opacity": 0.25}"#).expect("set"),
        expected
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = chart_uniforms(d, "line", r#"{"opacity": -0.5}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "line: opacity must be 0..=1, got -0.5");
    let e = chart_uniforms(d, "line", r#"{"width": 2}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("unknown field `width`"), "{}", e.message);
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
    let defaults = schema_defaults(gpu_charts_plugin_line::PARAMS_SCHEMA);
    let explicit = serde_json::Value::Object(defaults).to_string();
    let d = plugin_descriptor();
    assert_eq!(
        chart_uniforms(d, "line", &explicit).expect("explicit"),
        chart_uniforms(d, "line", "{}").expect("implicit")
    );
}
