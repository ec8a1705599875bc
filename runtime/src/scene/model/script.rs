//! Lua script indicators (vectorized, per-bar, QUIK): the script loaded with
//! the chart's limits, params checked against the schema it declares,
//! prices and named inputs resolved, one Lua state per instance.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::{self, ConfigErrorKind, ConfigErrors};
use crate::data::{Storage, Table};
use crate::script::{ChartElement, Script, ScriptInputs, ScriptInstance, ScriptLimits};

use super::engine::{EngineInputs, IndicatorEngine, LiveIndicator};
use super::plots::{AutoPlot, script_plots};
use super::refs::{resolve_column, split_ref};
use super::{Builder, ColumnData};

/// A script's Lua state and where its inputs go: the present prices (open,
/// high, low, close, volume; absent ones are all NaN), then named inputs,
/// in the order of [`LiveIndicator::refs`].
struct ScriptEngine {
    present: [bool; 5],
    named: Vec<String>,
    instance: Box<ScriptInstance>,
    /// Sources a script may read by tag (QUIK `getCandlesByIndex`): id and
    /// column names.
    elements: Vec<(String, Vec<String>)>,
}

impl IndicatorEngine for ScriptEngine {
    fn compute(
        &mut self,
        inputs: &EngineInputs<'_>,
        outs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), String> {
        let timeline = inputs.timeline;
        let by_name = inputs.columns;
        let n = timeline.timestamps.len();
        let nan: Storage<f64> = vec![f64::NAN; n].into();
        let mut next = inputs.aligned.iter();
        let cols: Vec<Storage<f64>> = self
            .present
            .iter()
            .map(|&p| match p {
                true => next.next().cloned().unwrap_or_else(|| nan.clone()),
                false => nan.clone(),
            })
            .collect();
        let named_cols: Vec<(String, Storage<f64>)> = self
            .named
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    next.next().cloned().unwrap_or_else(|| nan.clone()),
                )
            })
            .collect();
        // Every source of the chart, current (after appends too), for
        // QUIK's getCandlesByIndex(tag, ...).
        let elements = self
            .elements
            .iter()
            .filter_map(|(id, names)| {
                let pick = |c: &str| {
                    by_name
                        .get(&format!("{id}.{c}"))
                        .map(|d| d.column.values.clone())
                };
                let first = by_name.get(&format!("{id}.{}", names.first()?))?;
                let close = pick("close").or_else(|| pick(names.first()?));
                Some(ChartElement {
                    tag: id.clone(),
                    time_ns: first.timeline.timestamps.clone(),
                    ohlcv: [
                        pick("open"),
                        pick("high"),
                        pick("low"),
                        close,
                        pick("volume"),
                    ],
                    lines: Vec::new(),
                })
            })
            .collect();
        self.instance.set_chart_elements(elements);
        let inputs = ScriptInputs {
            time_ns: &timeline.timestamps,
            open: &cols[0],
            high: &cols[1],
            low: &cols[2],
            close: &cols[3],
            volume: &cols[4],
            named: named_cols
                .iter()
                .map(|(k, c)| (k.clone(), &c[..]))
                .collect(),
        };
        self.instance
            .compute(&inputs, outs, from)
            .map_err(|e| e.to_string())
    }

    fn drain_log(&mut self) -> Vec<String> {
        self.instance.drain_log()
    }
}

/// Phase 2 for a Lua script indicator: loads the script (limits from the
/// chart file), validates its params against the schema it declares, and
/// records where its prices come from: `input` is a source id (its OHLCV) or
/// one column used for every price; `inputs` adds named series. Unless
/// `plot = false`, its declared outputs become auto-plotted series.
pub(super) fn script_indicator(
    b: &mut Builder<'_>,
    i: usize,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<(LiveIndicator, Vec<AutoPlot>), ConfigErrors> {
    let cfg = &b.loaded.config;
    let ind = &cfg.indicators[i];
    let path = format!("indicators[{i}]");
    let rel = ind.script.clone().unwrap_or_default();
    let file = b.loaded.base_dir.join(&rel);
    // Like the instruction budget, the memory allowance grows with the
    // history: per-bar and QUIK scripts see their inputs as Lua tables
    // (measured: 41-66 bytes per bar for one input column), so 10 M bars
    // need far more than a short history, and are no runaway.
    let bars = [&ind.input]
        .into_iter()
        .flatten()
        .chain(ind.inputs.values())
        .filter_map(|r| match tables.get(r.as_str()) {
            Some(t) => Some(t.len()),
            None => resolve_column(r, by_name, tables, cfg)
                .ok()
                .map(|c| c.timeline.timestamps.len()),
        })
        .max()
        .unwrap_or(0);
    let limits = ScriptLimits {
        memory_bytes: (cfg.script_limits.memory_mb as usize)
            .saturating_mul(1 << 20)
            .saturating_add(bars.saturating_mul(cfg.script_limits.memory_bytes_per_bar as usize)),
        instructions_per_bar: cfg.script_limits.instructions_per_bar,
        instructions_base: cfg.script_limits.instructions_base,
    };
    // A script error, located at the indicator's `script` key.
    let script_err = |b: &mut Builder<'_>, e: crate::script::ScriptError| {
        b.fail(
            &format!("{path}.script"),
            ConfigErrorKind::Script,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    };
    let script = Script::load(&file, limits).map_err(|e| script_err(b, e))?;
    let info = script.info().clone();
    let schema = script.params_schema();
    let what = format!("script `{rel}`");
    if let Err(e) = config::validate_params(
        &schema,
        &ind.params,
        &format!("{path}.params"),
        &what,
        b.map,
    ) {
        b.errs(e);
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }
    let params = config::apply_defaults(&schema, &ind.params);

    let mut prices: [Option<String>; 5] = Default::default();
    if let Some(r) = &ind.input {
        let (head, tail) = split_ref(r);
        match (tables.get(head), tail) {
            (Some(t), None) => {
                for (slot, name) in prices
                    .iter_mut()
                    .zip(["open", "high", "low", "close", "volume"])
                {
                    *slot = t.column(name).map(|_| format!("{head}.{name}"));
                }
            }
            _ => {
                resolve_column(r, by_name, tables, cfg).map_err(|(m, h)| {
                    b.fail(&format!("{path}.input"), ConfigErrorKind::Reference, m, h)
                })?;
                for slot in prices.iter_mut().take(4) {
                    *slot = Some(r.clone());
                }
            }
        }
    }
    let mut named = Vec::new();
    for (name, r) in &ind.inputs {
        resolve_column(r, by_name, tables, cfg).map_err(|(m, h)| {
            b.fail(
                &format!("{path}.inputs.{name}"),
                ConfigErrorKind::Reference,
                m,
                h,
            )
        })?;
        named.push((name.clone(), r.clone()));
    }
    for want in &info.input_names {
        if !ind.inputs.contains_key(want) {
            return Err(b.fail(
                &path,
                ConfigErrorKind::Reference,
                format!("script `{rel}` needs the input `{want}`"),
                Some(format!("add `inputs = {{ {want} = \"<source>.close\" }}`")),
            ));
        }
    }
    if prices.iter().all(Option::is_none) && named.is_empty() {
        return Err(b.fail(
            &path,
            ConfigErrorKind::Reference,
            format!("indicator `{}` has no input", ind.id),
            Some("add `input = \"<source id>\"`".into()),
        ));
    }
    let mut instance = script.instance(&params).map_err(|e| {
        b.fail(
            &format!("{path}.params"),
            ConfigErrorKind::Script,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    })?;
    // QUIK's isDarkTheme() follows the chart's theme, and
    // getDataSourceInfo() names the input source's security: its `symbol`
    // (else the source id) and `class_code` params.
    let source = ind
        .input
        .as_deref()
        .map(|r| split_ref(r).0)
        .unwrap_or_default();
    let security = cfg.sources.get(source).map(|src| {
        let param = |k: &str| {
            src.params
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        (
            param("class_code").unwrap_or_default(),
            param("symbol").unwrap_or_else(|| source.to_string()),
        )
    });
    let set = instance.set_dark_theme(cfg.theme == config::Theme::Dark);
    let set = match (set, &security) {
        (Ok(()), Some((class, sec))) => instance.set_security(class, sec),
        (r, _) => r,
    };
    set.map_err(|e| script_err(b, e))?;

    let plots = script_plots(ind, &info);
    let live = LiveIndicator {
        index: i,
        id: ind.id.clone(),
        outputs: info.outputs.iter().map(|o| o.name.clone()).collect(),
        refs: prices
            .iter()
            .flatten()
            .cloned()
            .chain(named.iter().map(|(_, r)| r.clone()))
            .collect(),
        engine: Box::new(ScriptEngine {
            present: prices.each_ref().map(Option::is_some),
            named: named.into_iter().map(|(k, _)| k).collect(),
            instance: Box::new({
                let mut instance = instance;
                instance.set_log_tag(&ind.id);
                instance
            }),
            elements: tables
                .iter()
                .map(|(id, t)| (id.clone(), t.names.clone()))
                .collect(),
        }),
        error_kind: ConfigErrorKind::Script,
    };
    Ok((live, plots))
}
