//! Histogram chart type plugin (`type = "histogram"`).
//!
//! Draws a line-input column (an indicator output such as a MACD histogram)
//! as bars from zero to the value, `bar_width` of the slot wide (at least
//! 1 px). A pixel-column bucket that aggregates several values draws its
//! positive part up to the bucket's maximum and its negative part down to
//! its minimum, so a single spike stays visible at any zoom. The bars take
//! the series colour, or with `color_by_sign` the up colour above zero and
//! the down colour below. The pane's value axis always includes zero. The
//! shader is `histogram.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_CHART_INCLUDE_ZERO, GC_FIELD_VALUE, GC_INPUT_LINE, GC_USER_UNIFORM_FLOATS,
    PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's line prelude).
pub const WGSL: &str = include_str!("histogram.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "opacity": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 1,
      "description": "Multiplies the alpha of the bar colours."
    },
    "bar_width": {
      "type": "number",
      "minimum": 0.1,
      "maximum": 1,
      "default": 0.8,
      "description": "Bar width as a fraction of the slot (at least 1 pixel)."
    },
    "color_by_sign": {
      "type": "boolean",
      "default": false,
      "description": "Bars above zero in the up colour and below zero in the down colour, instead of the series colour."
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
    #[serde(default)]
    color_by_sign: bool,
}

fn default_opacity() -> f64 {
    1.0
}

fn default_bar_width() -> f64 {
    0.8
}

/// The histogram chart type.
#[derive(Debug)]
pub struct Histogram;

impl ChartTypePlugin for Histogram {
    const NAME: &'static str = "histogram";
    const DESCRIPTION: &'static str =
        "Bars from zero to each value (max above zero, min below per bucket)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_LINE;
    /// Script outputs it draws: histograms (the host sets `color_by_sign`).
    const DRAWS: u32 = gpu_charts_plugin_api::GC_DRAWS_HISTOGRAM;
    /// A rectangle above zero and one below, six vertices each.
    const VERTICES_PER_INSTANCE: u32 = 12;
    const RANGE_FIELDS: u32 = GC_FIELD_VALUE;
    const FLAGS: u32 = GC_CHART_INCLUDE_ZERO;

    /// `frame.user[0] = (opacity, bar_width, color_by_sign ? 1 : 0, 0)`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "histogram",
            params_json,
            "accepted params: opacity (0..1), bar_width (0.1..1), color_by_sign (true/false)",
        )?;
        let opacity = in_range(
            "histogram",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colour's alpha, e.g. opacity = 0.5",
        )?;
        let bar_width = in_range(
            "histogram",
            "bar_width",
            params.bar_width,
            0.1..=1.0,
            "bar_width is a fraction of the slot, e.g. bar_width = 0.8",
        )?;
        out[0] = opacity as f32;
        out[1] = bar_width as f32;
        out[2] = if params.color_by_sign { 1.0 } else { 0.0 };
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "histogram",
    version: env!("CARGO_PKG_VERSION"),
    description: "Histogram chart type",
    chart_types: [Histogram],
    indicators: [],
    sources: [],
}
