// Volume histogram chart type (GC_INPUT_BARS, 6 vertices per bar).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_bars.wgsl).
//
// frame.user[0] = (opacity, bar_width, 0, 0):
//   opacity    multiplies the alpha of the up/down colour
//   bar_width  fraction of the bar slot a bar fills (at least 1 pixel)
//
// One rectangle per bar from the pane's zero line (baseline_px) to the
// volume, coloured by the bar's direction.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let bar = bars[i];
    let half = 0.5 * max(1.0, frame.bar_width_px * frame.user[0].y);
    let lo = vec2<f32>(bar.x_px - half, min(bar.volume_px, frame.baseline_px));
    let hi = vec2<f32>(bar.x_px + half, max(bar.volume_px, frame.baseline_px));

    let base = select(frame.down_color, frame.up_color, bar.up > 0.5);
    var out: VsOut;
    out.position = clip_from_plot(rect_corner(lo, hi, v));
    out.color = vec4<f32>(base.rgb, base.a * frame.user[0].x);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
