// Candlestick chart type (GC_INPUT_BARS, 36 vertices per bar).
// Written against the host prelude (plugin-api/wgsl/prelude.wgsl + prelude_bars.wgsl).
//
// frame.user[0] = (hollow, body_width, 0, 0):
//   hollow     > 0.5: rising bodies are drawn as an outline only
//   body_width fraction of the bar slot the body fills (0.1..1)
//
// A bar is six rectangles of six vertices each:
//   0 upper wick (high -> body top)      1 lower wick (body bottom -> low)
//   2 body, or a hollow body's top edge  3 hollow body's bottom edge
//   4 hollow left edge                   5 hollow right edge
// Unused rectangles collapse to a point and draw nothing. The pieces never
// overlap, so a translucent colour blends once everywhere.

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec4<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let bar = bars[i];
    let up = bar.up > 0.5;
    let hollow = up && frame.user[0].x > 0.5;
    let x = bar.x_px;

    // y grows downwards: the body's top is the smaller y. Keep at least 1 px
    // so a doji (open == close) still shows.
    var top = min(bar.open_px, bar.close_px);
    var bottom = max(bar.open_px, bar.close_px);
    if (bottom - top < 1.0) {
        let mid = 0.5 * (top + bottom);
        top = mid - 0.5;
        bottom = mid + 0.5;
    }
    let wick = 0.5 * max(1.0, frame.line_width_px);
    let body = 0.5 * max(1.0, frame.bar_width_px * frame.user[0].y);
    let edge = max(1.0, frame.line_width_px);

    // Outline only when the body is big enough to have an inside; a smaller
    // hollow body is drawn filled (its edges would cover it anyway).
    let outlined = hollow && bottom - top > 2.0 * edge && body > edge;

    let part = v / 6u;
    var lo = vec2<f32>(x, top);
    var hi = lo;
    switch part {
        case 0u: {
            lo = vec2<f32>(x - wick, min(bar.high_px, top));
            hi = vec2<f32>(x + wick, top);
        }
        case 1u: {
            lo = vec2<f32>(x - wick, bottom);
            hi = vec2<f32>(x + wick, max(bar.low_px, bottom));
        }
        case 2u: {
            lo = vec2<f32>(x - body, top);
            hi = vec2<f32>(x + body, select(bottom, top + edge, outlined));
        }
        case 3u: {
            if (outlined) {
                lo = vec2<f32>(x - body, bottom - edge);
                hi = vec2<f32>(x + body, bottom);
            }
        }
        case 4u, 5u: {
            // Side edges run between the top and bottom edges.
            if (outlined) {
                let left = select(x + body - edge, x - body, part == 4u);
                lo = vec2<f32>(left, top + edge);
                hi = vec2<f32>(left + edge, bottom - edge);
            }
        }
        default: {}
    }

    var out: VsOut;
    out.position = clip_from_plot(rect_corner(lo, hi, v % 6u));
    out.color = select(frame.down_color, frame.up_color, up);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
