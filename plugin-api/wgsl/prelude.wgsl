// Host prelude, prepended to every chart type's WGSL (ABI v1). Part of the
// plugin contract: plugin-api embeds it as PRELUDE_WGSL, followed by one of
// prelude_bars.wgsl, prelude_line.wgsl or prelude_band.wgsl (`prelude_for`).
// Coordinates are physical pixels; "plot" space has its origin at the top-left
// of the pane's plot area, x to the right, y downwards.
// Mirrored by `Frame` in runtime/src/gpu/types.rs (a test checks the layout).

struct Frame {
    viewport_px: vec2<f32>,     // render target size
    plot_origin_px: vec2<f32>,  // top-left of this pane's plot area in the target
    plot_size_px: vec2<f32>,    // size of the plot area
    bar_width_px: f32,          // width of one instance slot (bars: one bar or one aggregated group)
    line_width_px: f32,         // series line width, already scaled by pixel_ratio
    color: vec4<f32>,           // series colour (linear RGBA, premultiplied: no)
    up_color: vec4<f32>,        // rising bar colour
    down_color: vec4<f32>,      // falling bar colour
    baseline_px: f32,           // plot-space y of value 0, clamped to the plot area
    pixel_ratio: f32,           // physical pixels per logical pixel
    instance_count: u32,        // number of instances drawn
    _pad: f32,
    user: array<vec4<f32>, 4>,  // filled by the chart type's `uniforms` from its params
}

@group(0) @binding(0) var<uniform> frame: Frame;

// Plot-space pixel position -> clip space.
fn clip_from_plot(p: vec2<f32>) -> vec4<f32> {
    let px = frame.plot_origin_px + p;
    return vec4<f32>(px.x / frame.viewport_px.x * 2.0 - 1.0, 1.0 - px.y / frame.viewport_px.y * 2.0, 0.0, 1.0);
}

// Corner `v` (0..5) of the axis-aligned rectangle [lo, hi] as two triangles.
fn rect_corner(lo: vec2<f32>, hi: vec2<f32>, v: u32) -> vec2<f32> {
    var xs = array<f32, 6>(lo.x, hi.x, lo.x, lo.x, hi.x, hi.x);
    var ys = array<f32, 6>(lo.y, lo.y, hi.y, hi.y, lo.y, hi.y);
    return vec2<f32>(xs[v], ys[v]);
}

// Corner `v` (0..5) of a segment from a to b thickened to `width` pixels.
fn segment_corner(a: vec2<f32>, b: vec2<f32>, width: f32, v: u32) -> vec2<f32> {
    var d = b - a;
    let len = length(d);
    if (len < 1e-4) {
        d = vec2<f32>(0.0, 1.0);
    } else {
        d = d / len;
    }
    let n = vec2<f32>(-d.y, d.x) * (0.5 * width);
    // extend the ends by half a width so joints between segments have no cracks
    let a2 = a - d * (0.5 * width);
    let b2 = b + d * (0.5 * width);
    var ps = array<vec2<f32>, 6>(a2 - n, b2 - n, a2 + n, a2 + n, b2 - n, b2 + n);
    return ps[v];
}
