//! Volume histogram chart type plugin (`type = "volume"`).
//!
//! One bar per (aggregated) bar from zero to the volume, in the series' up or
//! down colour at `opacity`, `bar_width` of the bar slot wide (at least
//! 1 px). Its pane's value axis always includes zero. The shader is
//! `volume.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_CHART_INCLUDE_ZERO, GC_FIELD_VOLUME, GC_INPUT_BARS, GC_USER_UNIFORM_FLOATS,
    PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's bars prelude).
pub const WGSL: &str = include_str!("volume.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "opacity": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 0.6,
      "description": "Multiplies the alpha of the up/down colours."
    },
    "bar_width": {
      "type": "number",
      "minimum": 0.1,
      "maximum": 1,
      "default": 0.8,
      "description": "Bar width as a fraction of the bar slot (at least 1 pixel)."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_opacity")]
    opacity: f64,
    #[serde(default = "default_bar_width")]
    bar_width: f64,
}

fn default_opacity() -> f64 {
    0.6
}

fn default_bar_width() -> f64 {
    0.8
}

/// The volume chart type.
#[derive(Debug)]
pub struct Volume;

impl ChartTypePlugin for Volume {
    const NAME: &'static str = "volume";
    const DESCRIPTION: &'static str = "Volume histogram from zero, up/down colours";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_BARS;
    /// One rectangle.
    const VERTICES_PER_INSTANCE: u32 = 6;
    const RANGE_FIELDS: u32 = GC_FIELD_VOLUME;
    const FLAGS: u32 = GC_CHART_INCLUDE_ZERO;

    /// `frame.user[0] = (opacity, bar_width, 0, 0)`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "volume",
            params_json,
            "accepted params: opacity (0..1), bar_width (0.1..1)",
        )?;
        let opacity = in_range(
            "volume",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colours' alpha, e.g. opacity = 0.6",
        )?;
        let bar_width = in_range(
            "volume",
            "bar_width",
            params.bar_width,
            0.1..=1.0,
            "bar_width is a fraction of the bar slot, e.g. bar_width = 0.8",
        )?;
        out[0] = opacity as f32;
        out[1] = bar_width as f32;
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "volume",
    version: env!("CARGO_PKG_VERSION"),
    description: "Volume histogram chart type",
    chart_types: [Volume],
    indicators: [],
    sources: [],
}
