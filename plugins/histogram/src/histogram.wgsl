// Histogram chart type (GC_INPUT_LINE, 12 vertices per bucket).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_line.wgsl).
//
// frame.user[0] = (opacity, bar_width, color_by_sign, 0):
//   opacity        multiplies the alpha of the colour
//   bar_width      fraction of the slot (frame.bar_width_px) a bar fills; at
//                  least 1 pixel
//   color_by_sign  1.0: up_color above the zero line and down_color below it;
//                  0.0: the series colour for both
//
// One bar per bucket from the zero line (frame.baseline_px) to the value.
// When a bucket aggregates several values its part above zero reaches the
// bucket's maximum (top_px) and its part below zero its minimum (bottom_px),
// so a bucket whose values straddle zero draws both, and no spike is lost:
//   vertices 0..5   baseline up to top_px (zero height when top_px >= baseline)
//   vertices 6..11  baseline down to bottom_px (zero height when bottom_px
//                   <= baseline)
// For a single value top_px == bottom_px, so exactly one part has height.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let p = points[i];
    let half = 0.5 * max(1.0, frame.bar_width_px * frame.user[0].y);
    let by_sign = frame.user[0].z > 0.5;
    let zero = frame.baseline_px;

    var lo: vec2<f32>;
    var hi: vec2<f32>;
    var base: vec4<f32>;
    if (v < 6u) {
        // y grows downwards: "above zero" is y < baseline.
        lo = vec2<f32>(p.x_px - half, min(p.top_px, zero));
        hi = vec2<f32>(p.x_px + half, zero);
        base = select(frame.color, frame.up_color, by_sign);
    } else {
        lo = vec2<f32>(p.x_px - half, zero);
        hi = vec2<f32>(p.x_px + half, max(p.bottom_px, zero));
        base = select(frame.color, frame.down_color, by_sign);
    }

    var out: VsOut;
    out.position = clip_from_plot(rect_corner(lo, hi, v % 6u));
    out.color = vec4<f32>(base.rgb, base.a * frame.user[0].x);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
