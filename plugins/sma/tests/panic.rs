//! The export macro turns a panicking plugin into a `GC_ERR_PANIC` error.
//!
//! This test binary exports its own tiny plugin with `export_plugin!`, which
//! defines the `#[no_mangle]` entry symbol; it must be the only test crate
//! that does (it never links the SMA library, whose entry has the same name).

use gpu_charts_plugin_api::testing::run_indicator;
use gpu_charts_plugin_api::{GC_ERR_PANIC, GcStr, IndicatorPlugin, PluginError};

/// Panics in `compute`, or in `create` when its params say so.
struct Boom;

impl IndicatorPlugin for Boom {
    const NAME: &'static str = "boom";
    const DESCRIPTION: &'static str = "panics on purpose";
    const PARAMS_SCHEMA: &'static str = r#"{"type":"object"}"#;
    const INPUTS: &'static [GcStr] = &[GcStr::lit("source")];
    const OUTPUTS: &'static [GcStr] = &[GcStr::lit("value")];

    fn create(params_json: &str) -> Result<Self, PluginError> {
        if params_json.contains("in_create") {
            panic!("boom in create");
        }
        Ok(Boom)
    }

    fn compute(
        &mut self,
        inputs: &[&[f64]],
        _outputs: &mut [&mut [f64]],
        from: usize,
    ) -> Result<(), PluginError> {
        panic!("boom at row {from} of {}", inputs[0].len());
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "boom",
    version: "0.0.0",
    description: "test plugin that panics",
    chart_types: [],
    indicators: [Boom],
    sources: [],
}

#[test]
fn panic_in_compute_becomes_gc_err_panic() {
    let e = run_indicator(plugin_descriptor(), "boom", "{}", &[&[1.0, 2.0, 3.0]]).unwrap_err();
    assert_eq!(e.status, GC_ERR_PANIC);
    assert_eq!(e.message, "plugin panicked: boom at row 0 of 3");
    assert!(e.help.contains("bug in the plugin"), "{}", e.help);
}

#[test]
fn panic_in_create_becomes_gc_err_panic() {
    let e = run_indicator(
        plugin_descriptor(),
        "boom",
        r#"{"in_create": true}"#,
        &[&[1.0]],
    )
    .unwrap_err();
    assert_eq!(e.status, GC_ERR_PANIC);
    assert_eq!(e.message, "plugin panicked: boom in create");
}
