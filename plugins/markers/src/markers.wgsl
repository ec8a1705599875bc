// Markers chart type (GC_INPUT_LINE, 6 vertices per bucket).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_line.wgsl).
//
// frame.user[0] = (opacity, size, shape, 0):
//   opacity  multiplies the alpha of the series colour
//   size     width and height of the shape in logical pixels (times
//            frame.pixel_ratio)
//   shape    0 triangle_up, 1 triangle_down, 2 circle, 3 diamond
//
// One shape per bucket (the host sends no instance for a bucket whose values
// are all NaN, so a signal column that is NaN between signals draws only the
// signals). The shape's bounding box is centred on the bucket's last value:
// a script that wants a triangle below the bar offsets the value itself
// (e.g. low - atr * 0.5). A shape is a square quad one pixel larger than the
// shape; the fragment shader keeps the shape with an antialiased edge.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) local_px: vec2<f32>,   // offset from the shape's centre, y down
    @location(2) half_px: f32,          // half the shape's size
    @location(3) shape: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let p = points[i];
    let half = max(0.0, 0.5 * frame.user[0].y * frame.pixel_ratio);
    // One pixel of margin for the antialiased edge.
    let local = rect_corner(vec2<f32>(-half - 1.0), vec2<f32>(half + 1.0), v);

    var out: VsOut;
    out.position = clip_from_plot(vec2<f32>(p.x_px, p.last_px) + local);
    out.color = vec4<f32>(frame.color.rgb, frame.color.a * frame.user[0].x);
    out.local_px = local;
    out.half_px = half;
    out.shape = frame.user[0].z;
    return out;
}

// Approximate signed distance in pixels from `q` to the edge of the shape
// that fills the square [-h, h]^2 (negative inside). Exact along the edges,
// which is all the one-pixel antialiasing needs.
fn shape_distance(q: vec2<f32>, h: f32, shape: f32) -> f32 {
    if (shape < 1.5) {
        // Triangle with its tip at y = -h (up) and its base at y = h; the
        // down triangle is the same one mirrored.
        let y = select(-q.y, q.y, shape < 0.5);
        // Side through (0, -h) and (h, h): 2x - y - h = 0, normal length sqrt(5).
        let side = (2.0 * abs(q.x) - y - h) * 0.4472136;
        return max(y - h, side);
    }
    if (shape < 2.5) {
        return length(q) - h;
    }
    // Diamond: |x| + |y| = h, normal length sqrt(2).
    return (abs(q.x) + abs(q.y) - h) * 0.70710678;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let coverage = clamp(0.5 - shape_distance(in.local_px, in.half_px, in.shape), 0.0, 1.0);
    if (coverage <= 0.0) {
        discard;
    }
    return vec4<f32>(in.color.rgb, in.color.a * coverage);
}
