//! Plain types shared by the model, the frame and the interaction logic: a
//! leaf module (it uses nothing else of the crate), so those modules import
//! downwards only.

/// What the host needs to build a chart type's pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartTypeSpec {
    /// Unique pipeline key: `plugin/name`.
    pub key: String,
    /// Chart type name.
    pub name: String,
    /// Plugin that provides it.
    pub plugin: String,
    /// The plugin's WGSL (without the prelude).
    pub wgsl: String,
    /// `GC_INPUT_*`.
    pub input: u32,
    /// Vertices per instance.
    pub vertices_per_instance: u32,
    /// `GC_FIELD_*` bits for autoscale.
    pub range_fields: u32,
    /// `GC_CHART_*` flags.
    pub flags: u32,
}

/// The visible part of the horizontal axis, in axis units: slot index on a
/// bar axis (bar `i` occupies `[i, i+1)`), UTC nanoseconds on a time axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewRange {
    /// Left edge.
    pub x0: f64,
    /// Right edge (> x0).
    pub x1: f64,
}

/// Fewest bars a bar axis may show when zoomed in.
pub const MIN_BARS: f64 = 5.0;

/// What the user has made of the chart: the visible range, fixed price
/// ranges, pane heights and the crosshair.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// Visible horizontal range (axis units, see [`ViewRange`]).
    pub view: ViewRange,
    /// Per pane: `Some((lo, hi))` when the user fixed the value range,
    /// `None` to autoscale to the visible rows.
    pub y_fixed: Vec<Option<(f64, f64)>>,
    /// Relative pane heights (any positive unit; only ratios matter).
    pub pane_heights: Vec<f64>,
    /// Cursor position in target pixels, when the crosshair is shown.
    pub crosshair: Option<[f32; 2]>,
    /// Horizontal limits the view is kept within.
    pub bounds: Bounds,
    /// The chart file's view (for `reset` and reloads).
    pub(crate) initial_view: ViewRange,
    /// The chart file's pane heights.
    pub(crate) initial_heights: Vec<f64>,
}

/// The data's horizontal extent and the narrowest allowed view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// First axis value with data.
    pub lo: f64,
    /// Last axis value with data (exclusive end on a bar axis).
    pub hi: f64,
    /// Narrowest span a zoom may reach.
    pub min_span: f64,
    /// Room left right of the last bar by `End` (a fraction of the span).
    pub end_room: f64,
}
