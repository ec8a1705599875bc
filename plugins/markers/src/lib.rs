//! Markers chart type plugin (`type = "markers"`).
//!
//! Draws a shape (`triangle_up`, `triangle_down`, `circle` or `diamond`),
//! `size` logical pixels wide and high, at each bucket's value: meant for
//! signal columns that are NaN except where something happened. The shape's
//! bounding box is centred on the value; a script that wants a marker below
//! the bar offsets the value itself (e.g. `low - atr * 0.5`). The shader is
//! `markers.wgsl`.

use gpu_charts_plugin_api::{
    ChartTypePlugin, GC_FIELD_VALUE, GC_INPUT_LINE, GC_USER_UNIFORM_FLOATS, PluginError,
};
use gpu_charts_plugin_kit::{in_range, params};
use serde::Deserialize;

/// The chart type's WGSL (appended to the host's line prelude).
pub const WGSL: &str = include_str!("markers.wgsl");

/// JSON Schema of the series' params table.
pub const PARAMS_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "shape": {
      "type": "string",
      "enum": ["triangle_up", "triangle_down", "circle", "diamond"],
      "default": "triangle_up",
      "description": "Marker shape, centred on the value."
    },
    "size": {
      "type": "number",
      "minimum": 1,
      "maximum": 100,
      "default": 8,
      "description": "Width and height of the marker in logical pixels."
    },
    "opacity": {
      "type": "number",
      "minimum": 0,
      "maximum": 1,
      "default": 1,
      "description": "Multiplies the alpha of the series colour."
    }
  },
  "additionalProperties": false
}"#;

/// A marker shape; its code is what `markers.wgsl` reads from `frame.user[0].z`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Shape {
    #[default]
    TriangleUp,
    TriangleDown,
    Circle,
    Diamond,
}

impl Shape {
    fn code(self) -> f32 {
        match self {
            Shape::TriangleUp => 0.0,
            Shape::TriangleDown => 1.0,
            Shape::Circle => 2.0,
            Shape::Diamond => 3.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    shape: Shape,
    #[serde(default = "default_size")]
    size: f64,
    #[serde(default = "default_opacity")]
    opacity: f64,
}

fn default_size() -> f64 {
    8.0
}

fn default_opacity() -> f64 {
    1.0
}

/// The markers chart type.
#[derive(Debug)]
pub struct Markers;

impl ChartTypePlugin for Markers {
    const NAME: &'static str = "markers";
    const DESCRIPTION: &'static str =
        "A triangle, circle or diamond centred on each value (signal columns)";
    const PARAMS_SCHEMA: &'static str = PARAMS_SCHEMA;
    const WGSL: &'static str = WGSL;
    const INPUT: u32 = GC_INPUT_LINE;
    /// Script outputs it draws: markers (the host sets `shape` and `size`).
    const DRAWS: u32 = gpu_charts_plugin_api::GC_DRAWS_MARKERS;
    /// One quad; the fragment shader cuts the shape out of it.
    const VERTICES_PER_INSTANCE: u32 = 6;
    const RANGE_FIELDS: u32 = GC_FIELD_VALUE;

    /// `frame.user[0] = (opacity, size, shape code, 0)`, shape codes 0
    /// `triangle_up`, 1 `triangle_down`, 2 `circle`, 3 `diamond`.
    fn uniforms(
        params_json: &str,
        out: &mut [f32; GC_USER_UNIFORM_FLOATS],
    ) -> Result<(), PluginError> {
        let params: Params = params(
            "markers",
            params_json,
            "accepted params: shape (\"triangle_up\", \"triangle_down\", \"circle\", \
             \"diamond\"), size (1..100 px), opacity (0..1)",
        )?;
        let size = in_range(
            "markers",
            "size",
            params.size,
            1.0..=100.0,
            "size is the marker's width and height in logical pixels, e.g. size = 8",
        )?;
        let opacity = in_range(
            "markers",
            "opacity",
            params.opacity,
            0.0..=1.0,
            "opacity multiplies the colour's alpha, e.g. opacity = 0.5",
        )?;
        out[0] = opacity as f32;
        out[1] = size as f32;
        out[2] = params.shape.code();
        Ok(())
    }
}

gpu_charts_plugin_api::export_plugin! {
    name: "markers",
    version: env!("CARGO_PKG_VERSION"),
    description: "Markers chart type",
    chart_types: [Markers],
    indicators: [],
    sources: [],
}
