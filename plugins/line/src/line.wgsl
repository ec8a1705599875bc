// Line chart type (GC_INPUT_LINE, 12 vertices per point).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_line.wgsl).
//
// frame.user[0] = (opacity, style, 0, 0); style 0 solid, 1 dash, 2 dot, 3 dash-dot
//
// Each instance is one pixel-column bucket (or one point when zoomed in):
//   vertices 0..5  the segment from the previous bucket's last value to this
//                  bucket's first value (nothing when `connect` is off: a gap)
//   vertices 6..11 a vertical stroke from the bucket's max to its min, so a
//                  spike inside one pixel column stays visible; for a single
//                  point it is a square dot line_width wide.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let p = points[i];
    let width = frame.line_width_px;
    var pos: vec2<f32>;
    if (v < 6u) {
        if (i > 0u && p.connect > 0.5) {
            let q = points[i - 1u];
            pos = segment_corner(vec2<f32>(q.x_px, q.last_px), vec2<f32>(p.x_px, p.first_px), width, v);
        } else {
            // All six corners at one point: zero area, nothing drawn.
            pos = vec2<f32>(p.x_px, p.first_px);
        }
    } else {
        pos = segment_corner(vec2<f32>(p.x_px, p.top_px), vec2<f32>(p.x_px, p.bottom_px), width, v - 6u);
    }

    var out: VsOut;
    out.position = clip_from_plot(pos);
    out.color = vec4<f32>(frame.color.rgb, frame.color.a * frame.user[0].x);
    return out;
}

// Whether framebuffer column `x` is inside a dash of `style`, for a line
// `w` pixels wide. The pattern runs along x (series run left to right), so
// it is the same for the connecting segments and the min..max strokes.
fn dash_on(style: u32, x: f32, w: f32) -> bool {
    if (style == 1u) {
        let m = x - floor(x / (10.0 * w)) * (10.0 * w);
        return m < 6.0 * w;
    }
    if (style == 2u) {
        let p = max(3.0 * w, 3.0);
        let m = x - floor(x / p) * p;
        return m < max(1.5 * w, 1.5);
    }
    if (style == 3u) {
        let m = x - floor(x / (14.0 * w)) * (14.0 * w);
        return m < 6.0 * w || (m >= 9.0 * w && m < 9.0 * w + max(1.5 * w, 1.5));
    }
    return true;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let style = u32(frame.user[0].y + 0.5);
    if (!dash_on(style, in.position.x, max(frame.line_width_px, 1.0))) {
        discard;
    }
    return in.color;
}
