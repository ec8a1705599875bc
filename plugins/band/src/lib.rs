//! Band chart type plugin (`type = "band"`).
//!
//! Fills the area between two columns (a band: Bollinger, Keltner, an
//! Ichimoku cloud) in the series colour at `opacity`. It draws from the
//! [`GC_INPUT_BAND`] input: one instance per pixel-column bucket with an
//! upper and a lower edge, each filling the strip from the previous bucket,
//! so the cost is O(pixels). Edges that cross between two buckets are filled
//! as two triangles meeting at the crossing. The shader is `band.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_FIELD_VALUE, GC_INPUT_BAND, GC_USER_UNIFORM_FLOATS, PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's band prelude).
pub const WGSL: &str = include_str!("band.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "opacity": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 0.25,
      "description": "Multiplies the alpha of the series colour (which may itself be translucent)."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_opacity")]
    opacity: f64,
}

fn default_opacity() -> f64 {
    0.25
}

/// The band chart type.
#[derive(Debug)]
pub struct Band;

impl ChartTypePlugin for Band {
    const NAME: &'static str = "band";
    const DESCRIPTION: &'static str = "Filled area between an upper and a lower column";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_BAND;
    /// Script outputs it draws: bands between two outputs (the host sets `opacity`).
    const DRAWS: u32 = gpu_charts_plugin_api::GC_DRAWS_BAND;
    /// Two triangles: the strip from the previous bucket to this one.
    const VERTICES_PER_INSTANCE: u32 = 6;
    const RANGE_FIELDS: u32 = GC_FIELD_VALUE;

    /// `frame.user[0] = (opacity, 0, 0, 0)`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params("band", params_json, "accepted params: opacity (0..1)")?;
        let opacity = in_range(
            "band",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colour's alpha, e.g. opacity = 0.25",
        )?;
        out[0] = opacity as f32;
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "band",
    version: env!("CARGO_PKG_VERSION"),
    description: "Band (filled area) chart type",
    chart_types: [Band],
    indicators: [],
    sources: [],
}
