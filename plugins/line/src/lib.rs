//! Line chart type plugin (`type = "line"`).
//!
//! Draws a polyline through per-pixel-column buckets (min, max, first, last)
//! that the host computes, so a line over any number of points costs
//! O(pixels): each bucket draws the segment from the previous bucket's last
//! value to its own first value, and a vertical stroke over its min..max
//! range, which keeps one-point spikes visible at any zoom. A bucket whose
//! `connect` flag is off starts a new run (a gap in the data). The shader is
//! `line.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_FIELD_VALUE, GC_INPUT_LINE, GC_USER_UNIFORM_FLOATS, PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's line prelude).
pub const WGSL: &str = include_str!("line.wgsl");

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
    "style": {
      "type": "string",
      "enum": ["solid", "dash", "dot", "dashdot"],
      "default": "solid",
      "description": "Line pattern; dash lengths scale with the line width (QUIK's TYPE_DASH, TYPE_DOT, TYPE_DASHDOT)."
    }
  },
  "additionalProperties": false
}"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_opacity")]
    opacity: f64,
    #[serde(default)]
    style: Style,
}

/// The line pattern; the shader reads its number from `frame.user[0].y`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Style {
    #[default]
    Solid = 0,
    Dash = 1,
    Dot = 2,
    Dashdot = 3,
}

fn default_opacity() -> f64 {
    1.0
}

/// The line chart type.
#[derive(Debug)]
pub struct Line;

impl ChartTypePlugin for Line {
    const NAME: &'static str = "line";
    const DESCRIPTION: &'static str =
        "Line through min/max/first/last buckets (keeps spikes at any zoom)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_LINE;
    /// Script outputs it draws: solid and dashed lines (the host sets `style`).
    const DRAWS: u32 =
        gpu_charts_plugin_api::GC_DRAWS_LINE | gpu_charts_plugin_api::GC_DRAWS_LINE_DASH;
    /// A connecting segment and a vertical min..max stroke, six vertices each.
    const VERTICES_PER_INSTANCE: u32 = 12;
    const RANGE_FIELDS: u32 = GC_FIELD_VALUE;

    /// `frame.user[0] = (opacity, style, 0, 0)` (style: 0 solid, 1 dash,
    /// 2 dot, 3 dash-dot).
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "line",
            params_json,
            "accepted params: opacity (0..1), style (\"solid\", \"dash\", \"dot\", \"dashdot\")",
        )?;
        let opacity = in_range(
            "line",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colour's alpha, e.g. opacity = 0.5",
        )?;
        out[0] = opacity as f32;
        out[1] = params.style as u32 as f32;
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "line",
    version: env!("CARGO_PKG_VERSION"),
    description: "Line chart type",
    chart_types: [Line],
    indicators: [],
    sources: [],
}
