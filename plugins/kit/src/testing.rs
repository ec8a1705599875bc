//! Test helpers for plugin crates (feature `testing`): use them from a
//! plugin's `tests/` through a dev-dependency,
//! `gpu-charts-plugin-kit = { workspace = true, features = ["testing"] }`.
//!
//! They build on `gpu_charts_plugin_api::testing`, so they go through the
//! plugin's exported C tables as the host does, and panic with a readable
//! message where an assertion fails.

use gpu_charts_plugin_api::testing::{
    Descriptor, chart_source, chart_uniforms, check_chart_table, run_indicator,
};
use gpu_charts_plugin_api::{GC_ERR_PARAMS, GC_USER_UNIFORM_FLOATS, PluginError};
pub use naga;
use naga::ShaderStage;
use naga::valid::{Capabilities, ValidationFlags, Validator};

/// Chart type `chart_type`'s WGSL as the host compiles it (its input kind's
/// prelude, then its own source), parsed and validated by naga with every
/// validation flag; panics with naga's located error when it does not.
pub fn validated_module(d: Descriptor<'_>, chart_type: &str) -> naga::Module {
    let src = chart_source(d, chart_type).unwrap_or_else(|e| panic!("{chart_type} source: {e}"));
    let module =
        naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    Validator::new(ValidationFlags::all(), Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    module
}

/// Validates chart type `chart_type`'s WGSL as [`validated_module`] does and
/// returns its entry points, name and stage, in source order.
pub fn assert_wgsl_valid(d: Descriptor<'_>, chart_type: &str) -> Vec<(String, ShaderStage)> {
    validated_module(d, chart_type)
        .entry_points
        .iter()
        .map(|e| (e.name.clone(), e.stage))
        .collect()
}

/// Validates chart type `chart_type`'s WGSL and asserts that its entry points
/// are exactly `vs_main` (vertex) then `fs_main` (fragment), the two the host
/// builds its pipeline from.
pub fn assert_vs_fs_main(d: Descriptor<'_>, chart_type: &str) {
    let found = assert_wgsl_valid(d, chart_type);
    let found: Vec<(&str, ShaderStage)> = found.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    assert_eq!(
        found,
        [
            ("vs_main", ShaderStage::Vertex),
            ("fs_main", ShaderStage::Fragment)
        ],
        "{chart_type}: entry points"
    );
}

/// Checks chart type `chart_type`'s table as the host does when it loads the
/// library (`check_chart_table`) and asserts its input kind, vertices per
/// instance, `range_fields` and `flags`.
pub fn assert_chart_table(
    d: Descriptor<'_>,
    chart_type: &str,
    input: u32,
    vertices_per_instance: u32,
    range_fields: u32,
    flags: u32,
) {
    let t = check_chart_table(d, chart_type).unwrap_or_else(|e| panic!("{chart_type} table: {e}"));
    assert_eq!(t.input, input, "{chart_type}: input");
    assert_eq!(
        t.vertices_per_instance, vertices_per_instance,
        "{chart_type}: vertices_per_instance"
    );
    assert_eq!(t.range_fields, range_fields, "{chart_type}: range_fields");
    assert_eq!(t.flags, flags, "{chart_type}: flags");
}

/// Asserts that chart type `chart_type`'s uniforms for `params_json` are
/// `leading` followed by zeros (all `GC_USER_UNIFORM_FLOATS` of them).
pub fn assert_uniforms(d: Descriptor<'_>, chart_type: &str, params_json: &str, leading: &[f32]) {
    assert!(
        leading.len() <= GC_USER_UNIFORM_FLOATS,
        "{} leading floats, at most {GC_USER_UNIFORM_FLOATS}",
        leading.len()
    );
    let mut expected = [0.0f32; GC_USER_UNIFORM_FLOATS];
    expected[..leading.len()].copy_from_slice(leading);
    let actual = chart_uniforms(d, chart_type, params_json)
        .unwrap_or_else(|e| panic!("{chart_type} uniforms for {params_json:?}: {e}"));
    assert_eq!(
        actual, expected,
        "{chart_type} uniforms for {params_json:?}"
    );
}

/// The error chart type `chart_type`'s `uniforms` returns for `params_json`,
/// asserted to be a `GC_ERR_PARAMS` error.
pub fn params_error(d: Descriptor<'_>, chart_type: &str, params_json: &str) -> PluginError {
    let e = match chart_uniforms(d, chart_type, params_json) {
        Ok(u) => panic!("{chart_type} accepted {params_json:?}: {u:?}"),
        Err(e) => e,
    };
    assert_eq!(
        e.status, GC_ERR_PARAMS,
        "{chart_type} for {params_json:?}: {e}"
    );
    e
}

/// The `default` of every property in a params schema, as a params object.
pub fn schema_defaults(schema: &str) -> serde_json::Map<String, serde_json::Value> {
    let schema: serde_json::Value = serde_json::from_str(schema).expect("params schema is JSON");
    let properties = schema["properties"]
        .as_object()
        .expect("schema has properties");
    properties
        .iter()
        .filter_map(|(key, p)| p.get("default").map(|d| (key.clone(), d.clone())))
        .collect()
}

/// Asserts that `schema`'s properties with a `default` are exactly
/// `expected_keys` (in any order), and that chart type `chart_type` gives the
/// same uniforms for those defaults written out as for `{}`.
pub fn assert_schema_defaults_are_plugin_defaults(
    d: Descriptor<'_>,
    chart_type: &str,
    schema: &str,
    expected_keys: &[&str],
) {
    let defaults = schema_defaults(schema);
    let mut keys: Vec<&str> = defaults.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = expected_keys.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{chart_type}: params with a default");
    let explicit = serde_json::Value::Object(defaults).to_string();
    assert_eq!(
        chart_uniforms(d, chart_type, &explicit).expect("explicit"),
        chart_uniforms(d, chart_type, "{}").expect("implicit"),
        "{chart_type}: schema defaults {explicit} differ from the plugin's"
    );
}

/// Runs indicator `name` with `params_json` over one input column and
/// returns its first output column; panics on an error.
pub fn run_single(d: Descriptor<'_>, name: &str, params_json: &str, input: &[f64]) -> Vec<f64> {
    let mut out = run_indicator(d, name, params_json, &[input])
        .unwrap_or_else(|e| panic!("{name} with {params_json} failed: {e}"));
    out.remove(0)
}

/// Asserts equal lengths and, row by row, `|actual - expected| <= rel *
/// |expected|`; a NaN expected value wants a NaN.
pub fn assert_close(actual: &[f64], expected: &[f64], rel: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        if e.is_nan() {
            assert!(a.is_nan(), "row {i}: expected NaN, got {a}");
        } else {
            assert!(
                (a - e).abs() <= rel * e.abs(),
                "row {i}: got {a}, expected {e} (rel {rel})"
            );
        }
    }
}

/// Same values bit for bit (NaN equals NaN).
pub fn assert_identical(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len());
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            a.to_bits() == e.to_bits() || (a.is_nan() && e.is_nan()),
            "row {i}: {a} != {e}"
        );
    }
}
