//! The band chart type's table, shader and uniforms, and the band prelude.

use gpu_charts_plugin_api::{GC_FIELD_VALUE, GC_INPUT_BAND};
use gpu_charts_plugin_band::plugin_descriptor;
use gpu_charts_plugin_kit::testing::naga;
use gpu_charts_plugin_kit::testing::{
    assert_chart_table, assert_schema_defaults_are_plugin_defaults, assert_uniforms,
    assert_vs_fs_main, params_error, validated_module,
};

/// The chart type's WGSL as the host compiles it (band prelude first), validated.
fn validated() -> naga::Module {
    validated_module(plugin_descriptor(), "band")
}

#[test]
fn wgsl_validates_with_the_band_prelude() {
    assert_vs_fs_main(plugin_descriptor(), "band");
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
    let d = plugin_descriptor();
    assert_chart_table(d, "band", GC_INPUT_BAND, 6, GC_FIELD_VALUE, 0);
}

#[test]
fn uniforms_from_params() {
    let d = plugin_descriptor();
    assert_uniforms(d, "band", "{}", &[0.25]);
    assert_uniforms(d, "band", r#"{"opacity": 1}"#, &[1.0]);
}

#[test]
fn bad_params_are_rejected() {
    let d = plugin_descriptor();
    let e = params_error(d, "band", r#"{"opacity": 1.25}"#);
    assert_eq!(e.message, "band: opacity must be 0..=1, got 1.25");
    assert_eq!(
        e.help,
        "opacity multiplies the colour's alpha, e.g. opacity = 0.25"
    );

    let e = params_error(d, "band", r#"{"with": "lower"}"#);
    assert!(e.message.contains("unknown field `with`"), "{}", e.message);
    assert_eq!(e.help, "accepted params: opacity (0..1)");

    let e = params_error(d, "band", r#"{"opacity": "faint"}"#);
    assert!(
        e.message
            .starts_with("band: invalid params: invalid type: string \"faint\", expected f64"),
        "{}",
        e.message
    );
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let schema = gpu_charts_plugin_band::PARAMS_SCHEMA;
    let d = plugin_descriptor();
    assert_schema_defaults_are_plugin_defaults(d, "band", schema, &["opacity"]);
}
