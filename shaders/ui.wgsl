// Host UI shader: filled rectangles (grid, axes, backgrounds) and text glyphs.
// Structs mirrored in runtime/src/gpu/types.rs.

struct Ui {
    viewport_px: vec2<f32>,
    _pad: vec2<f32>,
}

struct Rect {
    min: vec2<f32>,
    max: vec2<f32>,
    color: vec4<f32>,
}

struct Glyph {
    min: vec2<f32>,
    max: vec2<f32>,
    uv_min: vec2<f32>,
    uv_max: vec2<f32>,
    color: vec4<f32>,
}

@group(0) @binding(0) var<uniform> ui: Ui;
@group(0) @binding(1) var<storage, read> rects: array<Rect>;
@group(0) @binding(2) var<storage, read> glyphs: array<Glyph>;
@group(0) @binding(3) var atlas: texture_2d<f32>;
@group(0) @binding(4) var atlas_sampler: sampler;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) uv: vec2<f32>,
}

fn corner(v: u32) -> vec2<f32> {
    var c = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0));
    return c[v];
}

fn to_clip(p: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(p.x / ui.viewport_px.x * 2.0 - 1.0, 1.0 - p.y / ui.viewport_px.y * 2.0, 0.0, 1.0);
}

@vertex
fn vs_rect(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let r = rects[i];
    let c = corner(v);
    var out: VsOut;
    out.pos = to_clip(mix(r.min, r.max, c));
    out.color = r.color;
    out.uv = vec2<f32>(0.0, 0.0);
    return out;
}

@fragment
fn fs_rect(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}

@vertex
fn vs_glyph(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let g = glyphs[i];
    let c = corner(v);
    var out: VsOut;
    out.pos = to_clip(mix(g.min, g.max, c));
    out.color = g.color;
    out.uv = mix(g.uv_min, g.uv_max, c);
    return out;
}

@fragment
fn fs_glyph(in: VsOut) -> @location(0) vec4<f32> {
    let coverage = textureSample(atlas, atlas_sampler, in.uv).r;
    return vec4<f32>(in.color.rgb, in.color.a * coverage);
}
