//! Host shaders, and the layouts of the structs they share with Rust.
//!
//! A chart type's WGSL is validated by [`crate::plugins::wgsl`] (a plain
//! function over names and source text, also run when a library loads);
//! this module re-exports it for the renderer.

pub use crate::plugins::wgsl::{ShaderError, chart_type_source, prelude, validate_chart_type};

/// Reads a host shader: from `shaders/` on disk in debug builds (so it can be
/// edited live), else the copy compiled into the binary.
macro_rules! host_shader {
    ($name:literal) => {{
        const EMBEDDED: &str = include_str!(concat!("../../../shaders/", $name));
        if cfg!(debug_assertions) {
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shaders/", $name))
                .map(std::borrow::Cow::Owned)
                .unwrap_or(std::borrow::Cow::Borrowed(EMBEDDED))
        } else {
            std::borrow::Cow::Borrowed(EMBEDDED)
        }
    }};
}

/// The UI shader source.
pub fn ui_source() -> std::borrow::Cow<'static, str> {
    host_shader!("ui.wgsl")
}

/// The timeframe aggregation compute shader source (`gpu::aggregate`).
pub fn aggregate_source() -> std::borrow::Cow<'static, str> {
    host_shader!("aggregate.wgsl")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::types::*;
    use crate::plugins::wgsl::live_prelude_file;
    use gpu_charts_plugin_api as api;
    use gpu_charts_plugin_api::{GC_INPUT_BAND, GC_INPUT_BARS, GC_INPUT_LINE};

    const OK: &str = "struct V { @builtin(position) p: vec4<f32> }\n@vertex fn vs_main(@builtin(vertex_index) v: u32) -> V { var o: V; o.p = clip_from_plot(vec2<f32>(points[0].x_px, 0.0)); return o; }\n@fragment fn fs_main() -> @location(0) vec4<f32> { return frame.color; }\n";

    /// Checks a Rust mirror against naga's layout of the WGSL struct of the same name.
    fn check_layout(module: &naga::Module, name: &str, size: usize, offsets: &[usize]) {
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).unwrap();
        let (handle, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no struct {name}"));
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("{name} is not a struct")
        };
        assert_eq!(*span as usize, size, "size of {name}");
        assert_eq!(layouter[handle].size as usize, size);
        let found: Vec<usize> = members.iter().map(|m| m.offset as usize).collect();
        assert_eq!(found, offsets, "member offsets of {name}");
    }

    #[test]
    fn rust_structs_match_the_wgsl_layouts() {
        use std::mem::{offset_of, size_of};
        let bars = naga::front::wgsl::parse_str(
            &format!("{}\n{OK}", prelude(GC_INPUT_BARS).unwrap())
                .replace("points[0].x_px", "bars[0].x_px"),
        )
        .unwrap();
        check_layout(
            &bars,
            "Frame",
            size_of::<FrameUniform>(),
            &[
                offset_of!(FrameUniform, viewport_px),
                offset_of!(FrameUniform, plot_origin_px),
                offset_of!(FrameUniform, plot_size_px),
                offset_of!(FrameUniform, bar_width_px),
                offset_of!(FrameUniform, line_width_px),
                offset_of!(FrameUniform, color),
                offset_of!(FrameUniform, up_color),
                offset_of!(FrameUniform, down_color),
                offset_of!(FrameUniform, baseline_px),
                offset_of!(FrameUniform, pixel_ratio),
                offset_of!(FrameUniform, instance_count),
                offset_of!(FrameUniform, _pad),
                offset_of!(FrameUniform, user),
            ],
        );
        check_layout(
            &bars,
            "Bar",
            size_of::<BarInstance>(),
            &(0..8).map(|i| i * 4).collect::<Vec<_>>(),
        );
        let line =
            naga::front::wgsl::parse_str(&format!("{}\n{OK}", prelude(GC_INPUT_LINE).unwrap()))
                .unwrap();
        check_layout(
            &line,
            "Point",
            size_of::<PointInstance>(),
            &(0..8).map(|i| i * 4).collect::<Vec<_>>(),
        );
        let band = naga::front::wgsl::parse_str(
            &format!("{}\n{OK}", prelude(GC_INPUT_BAND).unwrap())
                .replace("points[0].x_px", "band[0].x_px"),
        )
        .unwrap();
        check_layout(&band, "Band", size_of::<BandInstance>(), &[0, 4, 8, 12]);
        let agg = naga::front::wgsl::parse_str(&aggregate_source()).unwrap();
        check_layout(&agg, "AggParams", size_of::<AggParams>(), &[0, 4, 8, 12]);
        check_layout(
            &agg,
            "AggPartial",
            size_of::<AggPartial>(),
            &[
                offset_of!(AggPartial, count),
                offset_of!(AggPartial, first),
                offset_of!(AggPartial, last),
                offset_of!(AggPartial, max_index),
                offset_of!(AggPartial, min_index),
                offset_of!(AggPartial, exact),
                offset_of!(AggPartial, max_key),
                offset_of!(AggPartial, min_key),
                offset_of!(AggPartial, volume),
            ],
        );
        let ui = naga::front::wgsl::parse_str(&ui_source()).unwrap();
        check_layout(&ui, "Ui", size_of::<UiUniform>(), &[0, 8]);
        check_layout(
            &ui,
            "Rect",
            size_of::<RectInstance>(),
            &[
                offset_of!(RectInstance, min),
                offset_of!(RectInstance, max),
                offset_of!(RectInstance, color),
            ],
        );
        check_layout(
            &ui,
            "Glyph",
            size_of::<GlyphInstance>(),
            &[
                offset_of!(GlyphInstance, min),
                offset_of!(GlyphInstance, max),
                offset_of!(GlyphInstance, uv_min),
                offset_of!(GlyphInstance, uv_max),
                offset_of!(GlyphInstance, color),
            ],
        );
    }

    #[test]
    fn every_host_shader_validates() {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shaders"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-api/wgsl"),
        ];
        let common = live_prelude_file("prelude.wgsl", api::PRELUDE_WGSL);
        let mut n = 0;
        for dir in dirs {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "wgsl") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Input preludes are fragments: validate them after the common one.
                    let text = if path.ends_with("prelude.wgsl") {
                        text
                    } else if path
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("prelude")
                    {
                        format!("{common}\n{text}")
                    } else {
                        text
                    };
                    let module = naga::front::wgsl::parse_str(&text).unwrap_or_else(|e| {
                        panic!("{}: {}", path.display(), e.emit_to_string(&text))
                    });
                    naga::valid::Validator::new(
                        naga::valid::ValidationFlags::all(),
                        naga::valid::Capabilities::empty(),
                    )
                    .validate(&module)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                    n += 1;
                }
            }
        }
        assert!(n >= 5, "found {n} shaders");
    }
}
