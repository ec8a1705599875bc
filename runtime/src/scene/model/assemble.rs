//! Phase 3: the model from tables and indicator columns: series (listed and
//! auto-plotted), horizontal axis, initial view, export column order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono_tz::Tz;

use crate::config::{self, ConfigErrorKind, ConfigErrors, XAxis};
use crate::data::{Table, Timeline};
use crate::plugins::PluginRegistry;
use crate::scene::theme::Palette;

use super::plots::{AutoPlot, PlotPane, SeriesBuilder, SeriesRequest};
use super::timeframes::TimeframeTables;
use super::{
    BuildStats, Builder, ChartModel, ColumnData, NamedColumn, PaneModel, SeriesData, XMode,
};

/// Phase 3: series (listed and auto-plotted), horizontal axis, view; the
/// export column order (sources, then indicators in dependency order).
// The phases' results, passed as they are by `build` and `LiveChart::append`.
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble(
    b: &mut Builder<'_>,
    registry: &PluginRegistry,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
    outputs: &[(String, Vec<String>)],
    auto_plots: &[(usize, Arc<Timeline>, Vec<AutoPlot>)],
    left_out: &HashSet<String>,
    timeframes: &TimeframeTables,
) -> Result<ChartModel, ConfigErrors> {
    let loaded = b.loaded;
    let cfg = &loaded.config;
    let tz: Tz = loaded.timezone;
    let mut columns: Vec<NamedColumn> = Vec::new();
    for (id, t) in tables {
        for name in &t.names {
            let key = format!("{id}.{name}");
            if let Some(data) = by_name.get(&key) {
                columns.push(NamedColumn {
                    name: key,
                    data: data.clone(),
                });
            }
        }
    }
    for (id, outs) in outputs {
        for o in outs {
            if let Some(data) = by_name.get(&format!("{id}.{o}")) {
                let name = if outs.len() == 1 {
                    id.clone()
                } else {
                    format!("{id}.{o}")
                };
                columns.push(NamedColumn {
                    name,
                    data: data.clone(),
                });
            }
        }
    }
    // 3. Series: those the chart file lists, then those scripts plot themselves.
    let palette = Palette::of(cfg.theme);
    let mut sb = SeriesBuilder {
        registry,
        tables,
        by_name,
        palette: &palette,
        specs: HashMap::new(),
        next_color: 0,
        left_out,
    };
    let mut panes = Vec::new();
    for (pi, pane) in cfg.panes.iter().enumerate() {
        let mut series = Vec::new();
        for (si, s) in pane.series.iter().enumerate() {
            // A series' own timeframe draws its source's bars at it.
            let tf = s.timeframe.as_deref().and_then(|t| t.parse().ok());
            let data = timeframes.series_data(&s.data, tf);
            let label = match (&s.label, tf) {
                (Some(l), _) => l.clone(),
                (None, Some(tf)) => format!("{} {tf}", s.data),
                (None, None) => s.data.clone(),
            };
            let req = SeriesRequest {
                path: format!("panes[{pi}].series[{si}]"),
                chart_type: &s.chart_type,
                data: &data,
                with: None,
                label,
                color: s.color.as_deref(),
                up_color: s.up_color.as_deref(),
                down_color: s.down_color.as_deref(),
                width: s.width as f32,
                params: &s.params,
            };
            if let Some(m) = sb.build(b, &req) {
                series.push(m);
            }
        }
        panes.push(PaneModel {
            height: pane.height,
            scale: pane.scale,
            series,
        });
    }
    for (i, timeline, plots) in auto_plots {
        let id = &cfg.indicators[*i].id;
        // Overlay: the first pane drawing bars of the same timeline (else the first pane).
        let overlay = panes
            .iter()
            .position(|p| p.series.iter().any(|s| matches!(&s.data, SeriesData::Bars(d) if Arc::ptr_eq(&d.timeline, timeline))))
            .unwrap_or(0);
        let mut own: Option<usize> = None;
        for plot in plots {
            let data = format!("{id}.{}", plot.output);
            let with = plot.with.as_ref().map(|w| format!("{id}.{w}"));
            let path = format!("indicators[{i}].script");
            let Some(chart_type) = registry.chart_type_drawing(plot.draws) else {
                b.err(
                    &path,
                    ConfigErrorKind::Plugin,
                    format!(
                        "no loaded chart type draws output `{}` (a {} style)",
                        plot.output,
                        crate::plugins::draws_name(plot.draws)
                    ),
                    Some(format!(
                        "put a plugin whose chart type declares {} (the built-in line, histogram, points, \
                         markers and band plugins do) in the plugin search path, or set `plot = false`",
                        crate::plugins::draws_name(plot.draws)
                    )),
                );
                continue;
            };
            let req = SeriesRequest {
                path,
                chart_type: chart_type.name(),
                data: &data,
                with: with.as_deref(),
                label: plot.label.clone(),
                color: plot.color.as_deref(),
                up_color: None,
                down_color: None,
                width: plot.width.unwrap_or(1.5),
                params: &plot.params,
            };
            let Some(m) = sb.build(b, &req) else { continue };
            let new_pane = |panes: &mut Vec<PaneModel>| {
                panes.push(PaneModel {
                    height: 1.0,
                    scale: config::Scale::Linear,
                    series: Vec::new(),
                });
                panes.len() - 1
            };
            let target = match plot.pane {
                PlotPane::Overlay => overlay,
                PlotPane::Indicator => *own.get_or_insert_with(|| new_pane(&mut panes)),
                PlotPane::Separate => new_pane(&mut panes),
            };
            if let Some(p) = panes.get_mut(target) {
                p.series.push(m);
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    // 4. Horizontal axis.
    let first_bars = panes
        .iter()
        .flat_map(|p| &p.series)
        .find_map(|s| match &s.data {
            SeriesData::Bars(d) => Some(d.timeline.clone()),
            _ => None,
        });
    let x_axis = match (cfg.x_axis, first_bars) {
        (XAxis::Time, _) | (XAxis::Auto, None) => XMode::Time,
        (XAxis::Bars, None) => {
            // A bar axis over line data uses the first series' timeline.
            match panes.iter().flat_map(|p| &p.series).next() {
                Some(s) => XMode::Bars(s.data.timeline().clone()),
                None => XMode::Time,
            }
        }
        (_, Some(tl)) => XMode::Bars(tl),
    };
    if let XMode::Bars(tl) = &x_axis {
        for (pi, p) in panes.iter().enumerate() {
            for (si, s) in p.series.iter().enumerate() {
                let stl = s.data.timeline();
                if !Arc::ptr_eq(stl, tl) {
                    b.err(
                        &format!("panes[{pi}].series[{si}].data"),
                        ConfigErrorKind::Reference,
                        format!("series `{}` has its own timeline (source `{}`), but the bar axis follows source `{}`", s.label, stl.source_id, tl.source_id),
                        Some("on a bar axis every series must come from the same source; set `x_axis = \"time\"` to mix sources".into()),
                    );
                }
            }
        }
    }
    if !b.errors.is_empty() {
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }

    let initial_view = super::view::initial_view(loaded, &x_axis, tables);
    Ok(ChartModel {
        config: cfg.clone(),
        path: loaded.path.clone(),
        tz,
        palette,
        tables: tables.clone(),
        columns,
        panes,
        x_axis,
        initial_view,
        build: BuildStats::default(),
        failed: Vec::new(),
        timeframes: timeframes.info.clone(),
        quality: Default::default(),
        memory_budget: Default::default(),
        gpu_resident_bytes: 0,
    })
}
