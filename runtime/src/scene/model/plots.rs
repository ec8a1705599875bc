//! Series styling: chart types resolved (params, uniforms, validated WGSL),
//! data references and colours, bar data, and the series a script plots
//! itself (its output styles mapped to chart types).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use gpu_charts_plugin_api::{
    GC_DRAWS_BAND, GC_DRAWS_HISTOGRAM, GC_DRAWS_LINE, GC_DRAWS_LINE_DASH, GC_DRAWS_MARKERS,
    GC_DRAWS_POINTS, GC_FIELD_VOLUME, GC_INPUT_BAND, GC_INPUT_BARS, GC_INPUT_LINE,
};

use crate::config::{self, ConfigErrorKind, IndicatorConfig};
use crate::data::{Column, Table};
use crate::plugins::PluginRegistry;
use crate::scene::theme::{Palette, parse_hex};
use crate::script::{MarkerShape, OutputStyle, Pane, ScriptInfo};

use super::engine::align_inputs;
use super::refs::{hint, resolve_column, split_ref};
use super::{BarsData, Builder, ColumnData, SeriesData, SeriesModel};
use crate::scene::types::ChartTypeSpec;

/// Where an auto-plotted output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotPane {
    /// Over the bars of the indicator's input.
    Overlay,
    /// The indicator's own new pane (shared by its outputs).
    Indicator,
    /// A new pane for this output alone.
    Separate,
}

/// A series a script asks for: drawn without a `[[panes.series]]` entry.
#[derive(Debug, Clone)]
pub struct AutoPlot {
    /// Output name (or the upper output of a band).
    pub output: String,
    /// Lower output of a band.
    pub with: Option<String>,
    /// The `GC_DRAWS_*` style it needs; assembly draws it with the chart
    /// type the registry finds declaring it ([`PluginRegistry::chart_type_drawing`]).
    pub draws: u32,
    /// Chart type params.
    pub params: serde_json::Value,
    /// Colour `#rrggbb[aa]`.
    pub color: Option<String>,
    /// Width in logical pixels.
    pub width: Option<f32>,
    /// Which pane it goes to.
    pub pane: PlotPane,
    /// Legend label.
    pub label: String,
}

/// One series to build, from the chart file or from a script's plot.
pub(super) struct SeriesRequest<'a> {
    /// Key path for errors.
    pub(super) path: String,
    pub(super) chart_type: &'a str,
    pub(super) data: &'a str,
    /// Lower edge of a band.
    pub(super) with: Option<&'a str>,
    pub(super) label: String,
    pub(super) color: Option<&'a str>,
    pub(super) up_color: Option<&'a str>,
    pub(super) down_color: Option<&'a str>,
    pub(super) width: f32,
    pub(super) params: &'a serde_json::Value,
}

/// Resolves series: chart type (params, uniforms, validated WGSL, cached
/// per plugin/name), data reference and colours.
pub(super) struct SeriesBuilder<'a> {
    pub(super) registry: &'a PluginRegistry,
    pub(super) tables: &'a BTreeMap<String, Arc<Table>>,
    pub(super) by_name: &'a HashMap<String, ColumnData>,
    pub(super) palette: &'a Palette,
    pub(super) specs: HashMap<String, Arc<ChartTypeSpec>>,
    pub(super) next_color: usize,
    /// Failed indicators: series showing them are left out quietly (the
    /// failure is reported once, as the indicator's).
    pub(super) left_out: &'a HashSet<String>,
}

impl SeriesBuilder<'_> {
    /// Builds one series; on failure records located errors and returns None.
    pub(super) fn build(
        &mut self,
        b: &mut Builder<'_>,
        req: &SeriesRequest<'_>,
    ) -> Option<SeriesModel> {
        let path = &req.path;
        let shows_failed = |r: &str| self.left_out.contains(split_ref(r).0);
        if shows_failed(req.data) || req.with.is_some_and(shows_failed) {
            return None;
        }
        let ct = match self.registry.chart_type(req.chart_type) {
            Ok(c) => c,
            Err(e) => {
                b.err(
                    &format!("{path}.type"),
                    ConfigErrorKind::Plugin,
                    e.to_string(),
                    None,
                );
                return None;
            }
        };
        let info = ct.info().clone();
        let what = format!("chart type plugin `{}`", req.chart_type);
        if let Err(e) = config::validate_params(
            &info.params_schema,
            req.params,
            &format!("{path}.params"),
            &what,
            b.map,
        ) {
            b.errs(e);
            return None;
        }
        let params = config::apply_defaults(&info.params_schema, req.params).to_string();
        let user = match ct.uniforms(&params) {
            Ok(u) => u,
            Err(e) => {
                b.err(
                    &format!("{path}.params"),
                    ConfigErrorKind::Plugin,
                    e.to_string(),
                    None,
                );
                return None;
            }
        };
        let key = format!("{}/{}", ct.plugin_name(), info.name);
        let spec = match self.specs.get(&key) {
            Some(s) => s.clone(),
            None => {
                let spec = Arc::new(ChartTypeSpec {
                    key: key.clone(),
                    name: info.name.clone(),
                    plugin: ct.plugin_name().to_string(),
                    wgsl: info.wgsl.clone(),
                    input: info.input,
                    vertices_per_instance: info.vertices_per_instance,
                    range_fields: info.range_fields,
                    flags: info.flags,
                });
                if let Err(e) = crate::plugins::wgsl::validate_chart_type(
                    &spec.plugin,
                    &spec.name,
                    spec.input,
                    &spec.wgsl,
                ) {
                    b.err(
                        &format!("{path}.type"),
                        ConfigErrorKind::Plugin,
                        e.to_string(),
                        Some("fix the plugin's WGSL, or use another chart type".into()),
                    );
                    return None;
                }
                self.specs.insert(key, spec.clone());
                spec
            }
        };
        let cfg = &b.loaded.config;
        let column = |r: &str, b: &mut Builder<'_>| match resolve_column(
            r,
            self.by_name,
            self.tables,
            cfg,
        ) {
            Ok(c) => Some(c),
            Err((msg, help)) => {
                b.err(
                    &format!("{path}.data"),
                    ConfigErrorKind::Reference,
                    msg,
                    help,
                );
                None
            }
        };
        let data = match spec.input {
            GC_INPUT_BARS => match bars_data(req.data, self.tables, spec.range_fields) {
                Ok(d) => SeriesData::Bars(d),
                Err((msg, help)) => {
                    b.err(
                        &format!("{path}.data"),
                        ConfigErrorKind::Reference,
                        msg,
                        help,
                    );
                    return None;
                }
            },
            GC_INPUT_LINE => SeriesData::Line(column(req.data, b)?),
            GC_INPUT_BAND => {
                let Some(with) = req.with else {
                    b.err(&format!("{path}.type"), ConfigErrorKind::Reference, format!("chart type `{}` draws a band between two columns; it needs a lower edge", req.chart_type), Some("band series come from scripts (`style = \"band\", with = \"<output>\"`)".into()));
                    return None;
                };
                let upper = column(req.data, b)?;
                let lower = column(with, b)?;
                let lower = if Arc::ptr_eq(&lower.timeline, &upper.timeline) {
                    lower
                } else {
                    let values =
                        align_inputs(std::slice::from_ref(&lower), &upper.timeline).remove(0);
                    ColumnData {
                        timeline: upper.timeline.clone(),
                        column: Column::new(values.to_vec()),
                    }
                };
                SeriesData::Band(upper, lower)
            }
            other => {
                b.err(
                    &format!("{path}.type"),
                    ConfigErrorKind::Plugin,
                    format!(
                        "chart type `{}` declares unknown input kind {other}",
                        req.chart_type
                    ),
                    None,
                );
                return None;
            }
        };
        let pal = self.palette;
        let color = match req.color.and_then(parse_hex) {
            Some(c) => c,
            None if spec.input != GC_INPUT_BARS => {
                self.next_color += 1;
                pal.series[(self.next_color - 1) % pal.series.len()]
            }
            None => pal.text,
        };
        Some(SeriesModel {
            label: req.label.clone(),
            spec,
            data,
            color,
            up_color: req.up_color.and_then(parse_hex).unwrap_or(pal.up),
            down_color: req.down_color.and_then(parse_hex).unwrap_or(pal.down),
            width: req.width,
            user,
        })
    }
}

pub(super) fn bars_data(
    r: &str,
    tables: &BTreeMap<String, Arc<Table>>,
    range_fields: u32,
) -> Result<BarsData, (String, Option<String>)> {
    let Some(t) = tables.get(r) else {
        let ids: Vec<&str> = tables.keys().map(String::as_str).collect();
        return Err((
            format!("bar series need a source id; `{r}` is not one"),
            hint(config::suggest(r, ids.iter().copied()), &ids),
        ));
    };
    let need = |name: &str| t.column(name).cloned();
    let volume = need("volume");
    let close = need("close");
    // A volume-only series may draw from a source without prices.
    let fallback = volume.clone().or_else(|| close.clone());
    let (open, high, low, close) = match (need("open"), need("high"), need("low"), close) {
        (Some(o), Some(h), Some(l), Some(c)) => (o, h, l, c),
        (o, h, l, c) if range_fields == GC_FIELD_VOLUME && volume.is_some() => {
            let f = fallback
                .clone()
                .ok_or_else(|| ("no columns".to_string(), None))?;
            (
                o.unwrap_or(f.clone()),
                h.unwrap_or(f.clone()),
                l.unwrap_or(f.clone()),
                c.unwrap_or(f),
            )
        }
        _ => {
            let missing: Vec<&str> = ["open", "high", "low", "close"]
                .into_iter()
                .filter(|c| t.column(c).is_none())
                .collect();
            return Err((
                format!(
                    "source `{r}` lacks the columns {} that bar series need",
                    missing.join(", ")
                ),
                Some(format!(
                    "its columns are: {}; map them in the source's params",
                    t.names.join(", ")
                )),
            ));
        }
    };
    if range_fields & GC_FIELD_VOLUME != 0 && volume.is_none() {
        return Err((
            format!("source `{r}` has no `volume` column"),
            Some(format!("its columns are: {}", t.names.join(", "))),
        ));
    }
    let volume_prefix = volume.as_ref().map(|v| {
        let mut acc = 0.0f64;
        std::iter::once(0.0)
            .chain(v.values.iter().map(|x| {
                acc += x;
                acc
            }))
            .collect::<Vec<f64>>()
            .into()
    });
    Ok(BarsData {
        timeline: t.timeline.clone(),
        open,
        high,
        low,
        close,
        volume,
        volume_prefix,
    })
}

/// The series a script's declared outputs draw (none with `plot = false`):
/// each output style mapped to a chart type and its params, placed in the
/// pane the chart file or the script asks for.
pub(super) fn script_plots(ind: &IndicatorConfig, info: &ScriptInfo) -> Vec<AutoPlot> {
    if ind.plot == Some(false) {
        Vec::new()
    } else {
        info.outputs
            .iter()
            .map(|o| {
                // Each style's params are the ones its GC_DRAWS_* bit names.
                let (draws, params, with) = match &o.style {
                    OutputStyle::Line => match o.dash {
                        crate::script::LineDash::Solid => {
                            (GC_DRAWS_LINE, serde_json::json!({}), None)
                        }
                        d => (
                            GC_DRAWS_LINE_DASH,
                            serde_json::json!({ "style": d.name() }),
                            None,
                        ),
                    },
                    OutputStyle::Histogram { color_by_sign } => (
                        GC_DRAWS_HISTOGRAM,
                        serde_json::json!({ "color_by_sign": color_by_sign }),
                        None,
                    ),
                    OutputStyle::Points => (GC_DRAWS_POINTS, serde_json::json!({}), None),
                    OutputStyle::Markers { shape, size } => {
                        let shape = match shape {
                            MarkerShape::TriangleUp => "triangle_up",
                            MarkerShape::TriangleDown => "triangle_down",
                            MarkerShape::Circle => "circle",
                            MarkerShape::Diamond => "diamond",
                        };
                        (
                            GC_DRAWS_MARKERS,
                            serde_json::json!({ "shape": shape, "size": size }),
                            None,
                        )
                    }
                    // A colour with its own alpha sets the fill's opacity.
                    OutputStyle::Band { with } => {
                        let opacity = if o.color.as_ref().is_some_and(|c| c.len() == 9) {
                            1.0
                        } else {
                            0.25
                        };
                        (
                            GC_DRAWS_BAND,
                            serde_json::json!({ "opacity": opacity }),
                            Some(with.clone()),
                        )
                    }
                };
                AutoPlot {
                    output: o.name.clone(),
                    with,
                    draws,
                    params,
                    color: o.color.clone(),
                    width: o.width,
                    // The indicator's pane (the chart file may override it);
                    // an output declaring `pane = "own"` gets a pane of its own.
                    pane: if o.pane == Some(Pane::Own) {
                        PlotPane::Separate
                    } else {
                        match ind.pane {
                            Some(config::PanePlacement::Own) => PlotPane::Indicator,
                            Some(config::PanePlacement::Overlay) => PlotPane::Overlay,
                            None if info.pane == Pane::Own => PlotPane::Indicator,
                            None => PlotPane::Overlay,
                        }
                    },
                    label: if info.outputs.len() == 1 {
                        info.name.clone()
                    } else {
                        format!("{} {}", info.name, o.name)
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_chart_str;
    use crate::script::{LineDash, OutputDecl, ScriptKind};

    fn output(name: &str, style: OutputStyle) -> OutputDecl {
        OutputDecl {
            name: name.into(),
            style,
            color: None,
            width: None,
            pane: None,
            dash: LineDash::Solid,
        }
    }

    fn info(outputs: Vec<OutputDecl>, pane: Pane) -> ScriptInfo {
        ScriptInfo {
            name: "My ind".into(),
            kind: ScriptKind::Vectorized,
            params: Vec::new(),
            outputs,
            pane,
            input_names: Vec::new(),
            path: "x.lua".into(),
        }
    }

    fn indicator(extra: &str) -> IndicatorConfig {
        let text = format!(
            "[sources.s]\nkind = \"csv\"\n[[indicators]]\nid = \"x\"\nscript = \"x.lua\"\ninput = \"s\"\n{extra}\n[[panes]]\n[[panes.series]]\ntype = \"candlestick\"\ndata = \"s\"\n"
        );
        parse_chart_str(&text, std::path::Path::new("c.toml"))
            .unwrap()
            .config
            .indicators
            .remove(0)
    }

    #[test]
    fn output_styles_map_to_chart_types_and_params() {
        let mut dashed = output("d", OutputStyle::Line);
        dashed.dash = LineDash::Dot;
        let mut band = output("up", OutputStyle::Band { with: "lo".into() });
        band.color = Some("#11223344".into());
        let outs = vec![
            output("l", OutputStyle::Line),
            dashed,
            output(
                "h",
                OutputStyle::Histogram {
                    color_by_sign: true,
                },
            ),
            output(
                "m",
                OutputStyle::Markers {
                    shape: MarkerShape::TriangleDown,
                    size: 7.0,
                },
            ),
            band,
            output("b2", OutputStyle::Band { with: "lo".into() }),
        ];
        let plots = script_plots(&indicator(""), &info(outs, Pane::Overlay));
        let got: Vec<(u32, String, Option<&str>)> = plots
            .iter()
            .map(|p| (p.draws, p.params.to_string(), p.with.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (GC_DRAWS_LINE, "{}".to_string(), None),
                (GC_DRAWS_LINE_DASH, r#"{"style":"dot"}"#.to_string(), None),
                (
                    GC_DRAWS_HISTOGRAM,
                    r#"{"color_by_sign":true}"#.to_string(),
                    None
                ),
                (
                    GC_DRAWS_MARKERS,
                    r#"{"shape":"triangle_down","size":7.0}"#.to_string(),
                    None
                ),
                (GC_DRAWS_BAND, r#"{"opacity":1.0}"#.to_string(), Some("lo")),
                (GC_DRAWS_BAND, r#"{"opacity":0.25}"#.to_string(), Some("lo")),
            ]
        );
        assert_eq!(
            plots[0].label, "My ind l",
            "several outputs: name and output"
        );
        assert!(plots.iter().all(|p| p.pane == PlotPane::Overlay));
    }

    #[test]
    fn panes_follow_the_chart_file_then_the_script() {
        let one = |pane_decl: Option<Pane>| {
            let mut o = output("v", OutputStyle::Line);
            o.pane = pane_decl;
            vec![o]
        };
        let p = script_plots(&indicator(""), &info(one(None), Pane::Own));
        assert_eq!(
            (p[0].pane, p[0].label.as_str()),
            (PlotPane::Indicator, "My ind")
        );
        let p = script_plots(
            &indicator("pane = \"overlay\""),
            &info(one(None), Pane::Own),
        );
        assert_eq!(p[0].pane, PlotPane::Overlay, "the chart file overrides");
        let p = script_plots(
            &indicator("pane = \"own\""),
            &info(one(None), Pane::Overlay),
        );
        assert_eq!(p[0].pane, PlotPane::Indicator);
        let p = script_plots(&indicator(""), &info(one(Some(Pane::Own)), Pane::Overlay));
        assert_eq!(p[0].pane, PlotPane::Separate, "an output's own pane");
        let p = script_plots(&indicator("plot = false"), &info(one(None), Pane::Own));
        assert!(p.is_empty());
    }

    fn tables(names: &[&str]) -> BTreeMap<String, Arc<Table>> {
        let cols = names.iter().map(|_| vec![1.0, 2.0]).collect();
        let t = Table::from_raw(
            "s",
            names.iter().map(|n| n.to_string()).collect(),
            vec![1, 2],
            cols,
        )
        .unwrap();
        BTreeMap::from([("s".to_string(), Arc::new(t))])
    }

    #[test]
    fn bars_data_takes_ohlcv_and_prefix_sums_volume() {
        let t = tables(&["open", "high", "low", "close", "volume"]);
        let d = bars_data("s", &t, 0).unwrap();
        assert_eq!(d.volume_prefix.as_deref(), Some(&[0.0, 1.0, 3.0][..]));
        let t = tables(&["open", "high", "low", "close"]);
        assert!(bars_data("s", &t, 0).unwrap().volume.is_none());
    }

    #[test]
    fn bars_data_explains_missing_columns() {
        let t = tables(&["volume"]);
        // A volume-only series may draw from a source without prices.
        assert!(bars_data("s", &t, GC_FIELD_VOLUME).is_ok());
        let (msg, help) = bars_data("s", &t, 0).unwrap_err();
        assert_eq!(
            msg,
            "source `s` lacks the columns open, high, low, close that bar series need"
        );
        assert!(help.unwrap().contains("volume"));
        let t = tables(&["open", "high", "low", "close"]);
        let (msg, _) = bars_data("s", &t, GC_FIELD_VOLUME).unwrap_err();
        assert_eq!(msg, "source `s` has no `volume` column");
        let (msg, help) = bars_data("close", &t, 0).unwrap_err();
        assert_eq!(msg, "bar series need a source id; `close` is not one");
        assert_eq!(help.as_deref(), Some("available: s"));
    }
}
