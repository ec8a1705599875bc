// Band input (GC_INPUT_BAND): one instance per pixel-column bucket (or per
// row when zoomed in so far that rows are sparser than pixels) carrying the
// two edges of a filled band, e.g. an indicator output and its `with` output.
// Values are plot-space y pixels (y grows downwards). The edges may cross, so
// `upper_px > lower_px` (upper drawn below lower) is allowed.
// Layout: four f32, 16 bytes; the host's mirror in runtime/src/gpu/types.rs
// must match it.
struct Band {
    x_px: f32,
    upper_px: f32,    // y of the upper edge
    lower_px: f32,    // y of the lower edge
    connect: f32,     // 1.0: fill from band[i-1] to this bucket (0.0 after a gap)
}

@group(0) @binding(1) var<storage, read> band: array<Band>;
