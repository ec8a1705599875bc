// Line input (GC_INPUT_LINE): one instance per pixel-column bucket (or per
// point when zoomed in so far that points are sparser than pixels). Values are
// plot-space y pixels; `top_px <= bottom_px` because y grows downwards.
// Mirrored by `Point` in runtime/src/gpu/types.rs.
struct Point {
    x_px: f32,
    first_px: f32,    // first value in the bucket
    last_px: f32,     // last value in the bucket
    top_px: f32,      // y of the bucket's maximum
    bottom_px: f32,   // y of the bucket's minimum
    connect: f32,     // 1.0: draw a segment from points[i-1].last to this first
    _pad0: f32,
    _pad1: f32,
}

@group(0) @binding(1) var<storage, read> points: array<Point>;
