//! Every struct the GPU reads, in one place: `#[repr(C)]` + `bytemuck::Pod`,
//! each mirrored by a WGSL struct of the same name in `shaders/` (host UI)
//! or `plugin-api/wgsl/` (the prelude chart types are written against). A test
//! compares sizes and member offsets with naga's reflection of the shaders.
//!
//! This module is the shared vocabulary of `scene` (which fills these) and
//! `gpu` (which uploads them); it depends on nothing.

use bytemuck::{Pod, Zeroable};

/// Per-series uniform (`Frame` in `plugin-api/wgsl/prelude.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct FrameUniform {
    /// Render target size in pixels.
    pub viewport_px: [f32; 2],
    /// Top-left of the pane's plot area.
    pub plot_origin_px: [f32; 2],
    /// Size of the plot area.
    pub plot_size_px: [f32; 2],
    /// Width of one instance slot.
    pub bar_width_px: f32,
    /// Line width.
    pub line_width_px: f32,
    /// Series colour.
    pub color: [f32; 4],
    /// Rising colour.
    pub up_color: [f32; 4],
    /// Falling colour.
    pub down_color: [f32; 4],
    /// Plot-space y of value 0 (clamped).
    pub baseline_px: f32,
    /// Physical pixels per logical pixel.
    pub pixel_ratio: f32,
    /// Instances drawn.
    pub instance_count: u32,
    /// Padding.
    pub _pad: f32,
    /// Chart type parameters.
    pub user: [[f32; 4]; 4],
}

/// One bar or aggregated bar group (`Bar` in `plugin-api/wgsl/prelude_bars.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BarInstance {
    /// Slot centre x.
    pub x_px: f32,
    /// y of open.
    pub open_px: f32,
    /// y of high.
    pub high_px: f32,
    /// y of low.
    pub low_px: f32,
    /// y of close.
    pub close_px: f32,
    /// y of volume.
    pub volume_px: f32,
    /// 1.0 when close >= open.
    pub up: f32,
    /// Padding.
    pub _pad: f32,
}

/// One line bucket or point (`Point` in `plugin-api/wgsl/prelude_line.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct PointInstance {
    /// x of the bucket.
    pub x_px: f32,
    /// y of the first value.
    pub first_px: f32,
    /// y of the last value.
    pub last_px: f32,
    /// y of the maximum.
    pub top_px: f32,
    /// y of the minimum.
    pub bottom_px: f32,
    /// 1.0: connect from the previous instance.
    pub connect: f32,
    /// Padding.
    pub _pad0: f32,
    /// Padding.
    pub _pad1: f32,
}

/// One bucket of a filled band (`Band` in `plugin-api/wgsl/prelude_band.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct BandInstance {
    /// x of the bucket.
    pub x_px: f32,
    /// y of the upper edge.
    pub upper_px: f32,
    /// y of the lower edge.
    pub lower_px: f32,
    /// 1.0: fill from the previous instance.
    pub connect: f32,
}

/// A filled rectangle in target pixels (`Rect` in `shaders/ui.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct RectInstance {
    /// Left, top.
    pub min: [f32; 2],
    /// Right, bottom.
    pub max: [f32; 2],
    /// Linear RGBA.
    pub color: [f32; 4],
}

/// A textured glyph quad (`Glyph` in `shaders/ui.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct GlyphInstance {
    /// Left, top in target pixels.
    pub min: [f32; 2],
    /// Right, bottom.
    pub max: [f32; 2],
    /// Atlas texture coordinates, top-left.
    pub uv_min: [f32; 2],
    /// Atlas texture coordinates, bottom-right.
    pub uv_max: [f32; 2],
    /// Linear RGBA.
    pub color: [f32; 4],
}

/// Globals of the UI shader (`Ui` in `shaders/ui.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct UiUniform {
    /// Render target size in pixels.
    pub viewport_px: [f32; 2],
    /// Padding.
    pub _pad: [f32; 2],
}

/// Per-dispatch parameters of the aggregation kernels (`AggParams` in
/// `shaders/aggregate.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct AggParams {
    /// Groups in the batch.
    pub groups: u32,
    /// Runs in the batch.
    pub runs: u32,
    /// 1 when the ticks have sizes.
    pub has_size: u32,
    /// Ticks read by the bandwidth kernel.
    pub ticks: u32,
}

/// One run's, group's or bucket's partial aggregate (`AggPartial` in
/// `shaders/aggregate.wgsl`): tick indices (relative to the page on the
/// GPU) and integer sums, no floats; `count` 0 means no finite-price tick.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct AggPartial {
    /// Ticks with a finite price.
    pub count: u32,
    /// Index of the first of them.
    pub first: u32,
    /// Index of the last of them.
    pub last: u32,
    /// Index of the first largest price.
    pub max_index: u32,
    /// Index of the first smallest price.
    pub min_index: u32,
    /// 1 while `volume` is the exact sum of whole-number sizes below 2^53.
    pub exact: u32,
    /// Order-preserving key of the largest price (low word first).
    pub max_key: [u32; 2],
    /// Key of the smallest price.
    pub min_key: [u32; 2],
    /// Sum of the sizes as a u64 (low word first).
    pub volume: [u32; 2],
}
