// Points chart type (GC_INPUT_LINE, 18 vertices per bucket).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_line.wgsl).
//
// frame.user[0] = (opacity, size, 0, 0):
//   opacity  multiplies the alpha of the series colour
//   size     dot radius in logical pixels (times frame.pixel_ratio)
//
// Each instance is one pixel-column bucket (or one point when zoomed in):
//   vertices 0..5    a dot at the bucket's last value
//   vertices 6..11   a dot at its maximum (top_px)
//   vertices 12..17  a dot at its minimum (bottom_px)
// The extreme dots are drawn only when the bucket aggregates several values
// (top_px != bottom_px) and the extreme is not where the last dot already is,
// so a translucent dot is never blended twice. A dot is a square quad one
// pixel larger than the circle; the fragment shader keeps the circle with an
// antialiased edge.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) local_px: vec2<f32>,   // offset from the dot's centre
    @location(2) radius_px: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let p = points[i];
    let slot = v / 6u;
    var ys = array<f32, 3>(p.last_px, p.top_px, p.bottom_px);
    let y = ys[slot];
    let aggregated = p.top_px != p.bottom_px;
    let visible = slot == 0u || (aggregated && y != p.last_px);

    let radius = max(0.0, frame.user[0].y * frame.pixel_ratio);
    // One pixel of margin for the antialiased edge; zero size hides the dot.
    let half = select(0.0, radius + 1.0, visible);
    let local = rect_corner(vec2<f32>(-half), vec2<f32>(half), v % 6u);

    var out: VsOut;
    out.position = clip_from_plot(vec2<f32>(p.x_px, y) + local);
    out.color = vec4<f32>(frame.color.rgb, frame.color.a * frame.user[0].x);
    out.local_px = local;
    out.radius_px = radius;
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    // Pixel coverage of the disc, from the distance to its edge.
    let coverage = clamp(in.radius_px + 0.5 - length(in.local_px), 0.0, 1.0);
    if (coverage <= 0.0) {
        discard;
    }
    return vec4<f32>(in.color.rgb, in.color.a * coverage);
}
