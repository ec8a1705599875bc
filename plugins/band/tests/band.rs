//! The band chart type's table, shader and uniforms, and the band prelude.

use gpu_charts_plugin_api::testing::{chart_source, chart_uniforms, check_chart_table};
use gpu_charts_plugin_api::{GC_ERR_PARAMS, GC_FIELD_VALUE, GC_INPUT_BAND};
use gpu_charts_plugin_band::plugin_descriptor;
use naga::ShaderStage;
use naga::front::wgsl::parse_str;
use naga::valid::{Capabilities, ValidationFlags, Validator};

/// The chart type's WGSL as the host compiles it (band prelude first), validated.
fn validated() -> naga::Module {
    let src = chart_source(plugin_descriptor(), "band").expect("band source");
    let module = parse_str(&src).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    Validator::new(ValidationFlags::all(), Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    module
}

#[test]
fn wgsl_validates_with_the_band_prelude() {
    let module = validated();
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

/// `Band` is four tightly packed f32 at binding 1, which the host's mirror
/// (a `#[repr(C)]` struct of four f32) relies on.
#[test]
fn band_prelude_layout() {
    let module = validated();
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some("Band"))
        .expect("struct Band");
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("Band is not a struct: {:?}", ty.inner);
    };
    assert_eq!(*span, 16);
    let fields: Vec<(&str, u32)> = members
        .iter()
        .map(|m| (m.name.as_deref().unwrap_or("?"), m.offset))
        .collect();
    assert_eq!(
        fields,
        [
            ("x_px", 0),
            ("upper_px", 4),
            ("lower_px", 8),
            ("connect", 12)
        ]
    );

    let (_, var) = module
        .global_variables
        .iter()
        .find(|(_, g)| g.name.as_deref() == Some("band"))
        .expect("global `band`");
    assert_eq!(
        var.binding,
        Some(naga::ResourceBinding {
            group: 0,
            binding: 1
        })
    );
    assert_eq!(
        var.space,
        naga::AddressSpace::Storage {
            access: naga::StorageAccess::LOAD
        }
    );
}

#[test]
fn table_declares_band_input_and_value_range() {
    let t = check_chart_table(plugin_descriptor(), "band").expect("band table");
    assert_eq!(t.input, GC_INPUT_BAND);
    assert_eq!(t.vertices_per_instance, 6);
    assert_eq!(t.range_fields, GC_FIELD_VALUE);
    assert_eq!(t.flags, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    let mut expected = [0.0f32; 16];
    expected[0] = 0.25;
    assert_eq!(chart_uniforms(d, "band", "{}").expect("defaults"), expected);
    expected[0] = 1.0;
    assert_eq!(
        chart_uniforms(d, "band", r#"{"opacity": 1}"#).expect("set"),
        expected
    );
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = chart_uniforms(d, "band", r#"{"opacity": 1.25}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert_eq!(e.message, "band: opacity must be 0..=1, got 1.25");
    assert_eq!(
        e.help,
        "opacity multiplies the colour's alpha, e.g. opacity = 0.25"
    );

    let e = chart_uniforms(d, "band", r#"{"with": "lower"}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(e.message.contains("unknown field `with`"), "{}", e.message);
    assert_eq!(e.help, "accepted params: opacity (0..1)");

    let e = chart_uniforms(d, "band", r#"{"opacity": "faint"}"#).unwrap_err();
    assert_eq!(e.status, GC_ERR_PARAMS);
    assert!(
        e.message
            .starts_with("band: invalid params: invalid type: string \"faint\", expected f64"),
        "{}",
        e.message
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
    let defaults = schema_defaults(gpu_charts_plugin_band::PARAMS_SCHEMA);
    let mut keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["opacity"]);
    let explicit = serde_json::Value::Object(defaults).to_string();
    let d = plugin_descriptor();
    assert_eq!(
        chart_uniforms(d, "band", &explicit).expect("explicit"),
        chart_uniforms(d, "band", "{}").expect("implicit")
    );
}
