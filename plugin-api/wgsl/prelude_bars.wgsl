// Bars input (GC_INPUT_BARS): one instance per bar, or per group of bars
// aggregated into one pixel column (first open, max high, min low, last close,
// summed volume). Values are plot-space y pixels. Mirrored by `Bar` in
// runtime/src/gpu/types.rs.
struct Bar {
    x_px: f32,        // centre of the slot
    open_px: f32,
    high_px: f32,
    low_px: f32,
    close_px: f32,
    volume_px: f32,   // y of the volume value (on this pane's value axis)
    up: f32,          // 1.0 if close >= open (in value space), else 0.0
    _pad: f32,
}

@group(0) @binding(1) var<storage, read> bars: array<Bar>;
