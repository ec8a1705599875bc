//! Host shaders and the validation of plugin WGSL with naga.
//!
//! A chart type's WGSL is compiled after the host prelude, which belongs to
//! the plugin contract: `plugin-api/wgsl/prelude.wgsl` + `prelude_bars.wgsl`,
//! `prelude_line.wgsl` or `prelude_band.wgsl`, composed by plugin-api's
//! [`prelude_for`](gpu_charts_plugin_api::prelude_for). Errors are reported in
//! the plugin's own line numbers.

use crate::scene::model::ChartTypeSpec;
use gpu_charts_plugin_api as api;
use gpu_charts_plugin_api::{GC_INPUT_BAND, GC_INPUT_BARS, GC_INPUT_LINE};

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

/// The prelude for an input kind (None for an unknown kind): plugin-api's
/// [`prelude_for`](api::prelude_for), so the host compiles exactly what chart
/// types are written and tested against. Debug builds read the same files
/// from `plugin-api/wgsl/` so the prelude can be edited live; a test checks
/// that both ways give the same text.
pub fn prelude(input: u32) -> Option<String> {
    let embedded = api::prelude_for(input)?;
    if !cfg!(debug_assertions) {
        return Some(embedded);
    }
    let (file, specific) = match input {
        GC_INPUT_BARS => ("prelude_bars.wgsl", api::PRELUDE_BARS_WGSL),
        GC_INPUT_LINE => ("prelude_line.wgsl", api::PRELUDE_LINE_WGSL),
        GC_INPUT_BAND => ("prelude_band.wgsl", api::PRELUDE_BAND_WGSL),
        // A kind plugin-api knows but this host does not read live.
        _ => return Some(embedded),
    };
    let common = live_prelude_file("prelude.wgsl", api::PRELUDE_WGSL);
    let specific = live_prelude_file(file, specific);
    Some(format!("{common}\n{specific}\n"))
}

/// `plugin-api/wgsl/<file>` as it is on disk now, or `embedded` (plugin-api's
/// compiled-in copy) when it cannot be read.
fn live_prelude_file(file: &str, embedded: &'static str) -> std::borrow::Cow<'static, str> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin-api/wgsl/");
    std::fs::read_to_string(format!("{path}{file}"))
        .map(std::borrow::Cow::Owned)
        .unwrap_or(std::borrow::Cow::Borrowed(embedded))
}

/// A chart type's shader was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "invalid WGSL in chart type `{chart_type}` of plugin `{plugin}`{}: {message}\n  = help: the shader is compiled after the host prelude (plugin-api/wgsl/prelude*.wgsl); it must define `vs_main` and `fs_main`",
    location.map(|(l, c)| format!(" at line {l}, column {c} of its shader")).unwrap_or_default()
)]
pub struct ShaderError {
    /// Plugin name.
    pub plugin: String,
    /// Chart type name.
    pub chart_type: String,
    /// (line, column) in the plugin's WGSL, 1-based.
    pub location: Option<(usize, usize)>,
    /// naga's message.
    pub message: String,
}

/// The full source of a chart type: prelude + plugin WGSL.
pub fn chart_type_source(spec: &ChartTypeSpec) -> Option<String> {
    prelude(spec.input).map(|p| format!("{p}{}", spec.wgsl))
}

/// Parses and validates a chart type's WGSL; checks its entry points.
pub fn validate_chart_type(spec: &ChartTypeSpec) -> Result<naga::Module, ShaderError> {
    let fail = |location: Option<(usize, usize)>, message: String| ShaderError {
        plugin: spec.plugin.clone(),
        chart_type: spec.name.clone(),
        location,
        message,
    };
    let prelude = prelude(spec.input)
        .ok_or_else(|| fail(None, format!("unknown input kind {}", spec.input)))?;
    let prelude_lines = prelude.lines().count();
    let source = format!("{prelude}{}", spec.wgsl);
    let to_plugin = |line: u32, col: u32| -> Option<(usize, usize)> {
        let line = line as usize;
        if line > prelude_lines {
            Some((line - prelude_lines, col as usize))
        } else {
            None
        }
    };
    let module = naga::front::wgsl::parse_str(&source).map_err(|e| {
        let loc = e
            .location(&source)
            .and_then(|l| to_plugin(l.line_number, l.line_position));
        fail(loc, e.message().to_string())
    })?;
    let mut validator = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    );
    validator.validate(&module).map_err(|e| {
        let loc = e
            .spans()
            .next()
            .map(|(span, _)| span.location(&source))
            .and_then(|l| to_plugin(l.line_number, l.line_position));
        let mut message = e.as_inner().to_string();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e.as_inner());
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        fail(loc, message)
    })?;
    for (name, stage) in [
        ("vs_main", naga::ShaderStage::Vertex),
        ("fs_main", naga::ShaderStage::Fragment),
    ] {
        if !module
            .entry_points
            .iter()
            .any(|ep| ep.name == name && ep.stage == stage)
        {
            return Err(fail(
                None,
                format!("no {stage:?} entry point named `{name}`"),
            ));
        }
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::types::*;

    fn spec(wgsl: &str) -> ChartTypeSpec {
        ChartTypeSpec {
            key: "p/t".into(),
            name: "t".into(),
            plugin: "p".into(),
            wgsl: wgsl.into(),
            input: GC_INPUT_LINE,
            vertices_per_instance: 6,
            range_fields: 0,
            flags: 0,
        }
    }

    const OK: &str = "struct V { @builtin(position) p: vec4<f32> }\n@vertex fn vs_main(@builtin(vertex_index) v: u32) -> V { var o: V; o.p = clip_from_plot(vec2<f32>(points[0].x_px, 0.0)); return o; }\n@fragment fn fs_main() -> @location(0) vec4<f32> { return frame.color; }\n";

    #[test]
    fn accepts_a_valid_chart_type() {
        assert!(validate_chart_type(&spec(OK)).is_ok());
    }

    #[test]
    fn syntax_error_is_located_in_the_plugin_shader() {
        let bad = "@vertex fn vs_main() -> @builtin(position) vec4<f32> {\n  return vec4<f32>(1.0, 2.0, 3.0) +;\n}\n";
        let e = validate_chart_type(&spec(bad)).unwrap_err();
        assert_eq!(e.plugin, "p");
        assert_eq!(e.chart_type, "t");
        assert_eq!(e.location.map(|l| l.0), Some(2), "{e}");
        assert!(
            e.to_string()
                .starts_with("invalid WGSL in chart type `t` of plugin `p` at line 2"),
            "{e}"
        );
    }

    #[test]
    fn type_error_and_missing_entry_point_are_reported() {
        let bad = "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return frame.color.x; }\n@fragment fn fs_main() -> @location(0) vec4<f32> { return frame.color; }\n";
        let e = validate_chart_type(&spec(bad)).unwrap_err();
        assert!(
            e.message.to_lowercase().contains("return") || e.message.contains("type"),
            "{e}"
        );
        let no_fs =
            "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return frame.color; }\n";
        let e = validate_chart_type(&spec(no_fs)).unwrap_err();
        assert_eq!(e.message, "no Fragment entry point named `fs_main`");
    }

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

    /// The debug build's live prelude (read from disk) is the text plugin-api
    /// embeds and plugins test against, composed the same way.
    #[test]
    fn live_prelude_is_the_plugin_api_prelude() {
        for input in [GC_INPUT_BARS, GC_INPUT_LINE, GC_INPUT_BAND] {
            let host = prelude(input).unwrap_or_else(|| panic!("input {input}"));
            assert_eq!(Some(host), api::prelude_for(input), "input {input}");
        }
        assert_eq!(prelude(0), None);
        assert_eq!(prelude(4), None);
    }
}
