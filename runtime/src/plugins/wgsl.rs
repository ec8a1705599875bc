//! The check every chart type's WGSL must pass: the host prelude for its
//! input kind, then its own source, parsed and validated by naga, with both
//! entry points present.
//!
//! A plain function over plain data (names, input kind, source text), so the
//! loader runs it when a library loads (`gpu-charts plugins` shows a broken
//! shader) and the renderer runs it again before building a pipeline,
//! without either depending on the other's types. The prelude belongs to the
//! plugin contract: `plugin-api/wgsl/prelude.wgsl` + `prelude_bars.wgsl`,
//! `prelude_line.wgsl` or `prelude_band.wgsl`, composed by plugin-api's
//! [`prelude_for`](api::prelude_for). Errors are reported in the plugin's
//! own line numbers.

use gpu_charts_plugin_api as api;
use gpu_charts_plugin_api::{GC_INPUT_BAND, GC_INPUT_BARS, GC_INPUT_LINE};

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
pub(crate) fn live_prelude_file(
    file: &str,
    embedded: &'static str,
) -> std::borrow::Cow<'static, str> {
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

/// The full source of a chart type drawing from `input`: prelude + its WGSL.
pub fn chart_type_source(input: u32, wgsl: &str) -> Option<String> {
    prelude(input).map(|p| format!("{p}{wgsl}"))
}

/// Parses and validates the WGSL of chart type `chart_type` of plugin
/// `plugin` (drawing from `input`) after the prelude; checks its entry points.
pub fn validate_chart_type(
    plugin: &str,
    chart_type: &str,
    input: u32,
    wgsl: &str,
) -> Result<naga::Module, ShaderError> {
    let fail = |location: Option<(usize, usize)>, message: String| ShaderError {
        plugin: plugin.to_string(),
        chart_type: chart_type.to_string(),
        location,
        message,
    };
    let prelude =
        prelude(input).ok_or_else(|| fail(None, format!("unknown input kind {input}")))?;
    let prelude_lines = prelude.lines().count();
    let source = format!("{prelude}{wgsl}");
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

    fn check(wgsl: &str) -> Result<naga::Module, ShaderError> {
        validate_chart_type("p", "t", GC_INPUT_LINE, wgsl)
    }

    const OK: &str = "struct V { @builtin(position) p: vec4<f32> }\n@vertex fn vs_main(@builtin(vertex_index) v: u32) -> V { var o: V; o.p = clip_from_plot(vec2<f32>(points[0].x_px, 0.0)); return o; }\n@fragment fn fs_main() -> @location(0) vec4<f32> { return frame.color; }\n";

    #[test]
    fn accepts_a_valid_chart_type() {
        assert!(check(OK).is_ok());
    }

    #[test]
    fn syntax_error_is_located_in_the_plugin_shader() {
        let bad = "@vertex fn vs_main() -> @builtin(position) vec4<f32> {\n  return vec4<f32>(1.0, 2.0, 3.0) +;\n}\n";
        let e = check(bad).unwrap_err();
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
        let e = check(bad).unwrap_err();
        assert!(
            e.message.to_lowercase().contains("return") || e.message.contains("type"),
            "{e}"
        );
        let no_fs =
            "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return frame.color; }\n";
        let e = check(no_fs).unwrap_err();
        assert_eq!(e.message, "no Fragment entry point named `fs_main`");
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
