//! Points chart type plugin (`type = "points"`).
//!
//! Draws a line-input column as filled round dots, `size` logical pixels in
//! radius: one at each bucket's last value and, when a pixel-column bucket
//! aggregates several values, one at its maximum and one at its minimum, so
//! the spread of the hidden values stays visible at any zoom. The shader is
//! `points.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_FIELD_VALUE, GC_INPUT_LINE, GC_USER_UNIFORM_FLOATS, PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's line prelude).
pub const WGSL: &str = include_str!("points.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "opacity": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 1,
      "description": "Multiplies the alpha of the series colour."
    },
    "size": {
      "type": "number",
      "minimum": 0.5,
      "maximum": 50,
      "default": 3,
      "description": "Dot radius in logical pixels."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_opacity")]
    opacity: f64,
    #[serde(default = "default_size")]
    size: f64,
}

fn default_opacity() -> f64 {
    1.0
}

fn default_size() -> f64 {
    3.0
}

/// The points chart type.
#[derive(Debug)]
pub struct Points;

impl ChartTypePlugin for Points {
    const NAME: &'static str = "points";
    const DESCRIPTION: &'static str =
        "Round dots at each value (plus min and max of aggregated buckets)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_LINE;
    /// Script outputs it draws: points.
    const DRAWS: u32 = gpu_charts_plugin_api::GC_DRAWS_POINTS;
    /// Dots at the last value, the maximum and the minimum, six vertices each.
    const VERTICES_PER_INSTANCE: u32 = 18;
    const RANGE_FIELDS: u32 = GC_FIELD_VALUE;

    /// `frame.user[0] = (opacity, size, 0, 0)`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "points",
            params_json,
            "accepted params: opacity (0..1), size (0.5..50 px)",
        )?;
        let opacity = in_range(
            "points",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colour's alpha, e.g. opacity = 0.5",
        )?;
        let size = in_range(
            "points",
            "size",
            params.size,
            0.5..=50.0,
            "size is the dot radius in logical pixels, e.g. size = 3",
        )?;
        out[0] = opacity as f32;
        out[1] = size as f32;
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "points",
    version: env!("CARGO_PKG_VERSION"),
    description: "Points chart type",
    chart_types: [Points],
    indicators: [],
    sources: [],
}
