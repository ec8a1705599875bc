// Band chart type (GC_INPUT_BAND, 6 vertices per bucket).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_band.wgsl).
//
// frame.user[0] = (opacity, 0, 0, 0)
//   opacity  multiplies the alpha of the series colour (which may itself be
//            translucent, e.g. "#2962ff33")
//
// Each instance fills the area between its upper and lower edges from the
// previous bucket to this one, as two triangles. The first bucket, and a
// bucket after a gap (`connect` off), draws nothing: all six corners at one
// point. Where the edges cross between the two buckets (an Ichimoku-style
// cloud twist) the quad would be a bow tie, so it is drawn instead as the two
// triangles that meet at the crossing point.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let b = band[i];
    var pos = vec2<f32>(b.x_px, b.upper_px);
    if (i > 0u && b.connect > 0.5) {
        let a = band[i - 1u];
        let a_up = vec2<f32>(a.x_px, a.upper_px);
        let a_lo = vec2<f32>(a.x_px, a.lower_px);
        let b_up = vec2<f32>(b.x_px, b.upper_px);
        let b_lo = vec2<f32>(b.x_px, b.lower_px);
        // Signed thickness at each end; opposite signs mean the edges cross.
        let d0 = a.lower_px - a.upper_px;
        let d1 = b.lower_px - b.upper_px;
        if (d0 * d1 < 0.0) {
            // Opposite signs, so d0 - d1 is not zero.
            let meet = mix(a_up, b_up, d0 / (d0 - d1));
            var ps = array<vec2<f32>, 6>(a_up, a_lo, meet, b_up, b_lo, meet);
            pos = ps[v];
        } else {
            var ps = array<vec2<f32>, 6>(a_up, b_up, a_lo, a_lo, b_up, b_lo);
            pos = ps[v];
        }
    }

    var out: VsOut;
    out.position = clip_from_plot(pos);
    out.color = vec4<f32>(frame.color.rgb, frame.color.a * frame.user[0].x);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
