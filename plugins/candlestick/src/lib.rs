//! Candlestick chart type plugin (`type = "candlestick"`).
//!
//! Draws one candle per bar (or per group of bars aggregated into one pixel
//! column by the host): a wick from high to low, at least 1 px wide (the
//! series line width), and a body from open to close, `body_width` of the bar
//! slot wide and at least 1 px tall, in the series' up or down colour. With
//! `hollow = true` rising bodies are drawn as an outline. The shader is
//! `candlestick.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_FIELD_HIGH, GC_FIELD_LOW, GC_INPUT_BARS, GC_USER_UNIFORM_FLOATS,
    PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's bars prelude).
pub const WGSL: &str = include_str!("candlestick.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "hollow": {
      "type": "boolean",
      "default": false,
      "description": "Draw rising bodies as an outline only."
    },
    "body_width": {
      "type": "number",
      "minimum": 0.1,
      "maximum": 1,
      "default": 0.7,
      "description": "Body width as a fraction of the bar slot (at least 1 pixel)."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    hollow: bool,
    #[serde(default = "default_body_width")]
    body_width: f64,
}

fn default_body_width() -> f64 {
    0.7
}

/// The candlestick chart type.
#[derive(Debug)]
pub struct Candlestick;

impl ChartTypePlugin for Candlestick {
    const NAME: &'static str = "candlestick";
    const DESCRIPTION: &'static str =
        "OHLC candles: wick high-low, body open-close, up/down colours";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_BARS;
    /// Six rectangles: two wick halves, and a body drawn whole or as four edges.
    const VERTICES_PER_INSTANCE: u32 = 36;
    const RANGE_FIELDS: u32 = GC_FIELD_HIGH | GC_FIELD_LOW;

    /// `frame.user[0] = (hollow ? 1 : 0, body_width, 0, 0)`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "candlestick",
            params_json,
            "accepted params: hollow (true/false), body_width (0.1..1)",
        )?;
        let body_width = in_range(
            "candlestick",
            "body_width",
            params.body_width,
            0.1..=1.0,
            "body_width is a fraction of the bar slot, e.g. body_width = 0.7",
        )?;
        out[0] = if params.hollow { 1.0 } else { 0.0 };
        out[1] = body_width as f32;
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "candlestick",
    version: env!("CARGO_PKG_VERSION"),
    description: "Candlestick chart type",
    chart_types: [Candlestick],
    indicators: [],
    sources: [],
}
