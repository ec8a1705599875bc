//! Plugin indicators: params checked against the plugin's schema, input
//! roles resolved to columns, one fresh instance per build, computed through
//! the plugin's C entry points.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::{self, ConfigErrorKind, ConfigErrors};
use crate::data::Table;
use crate::plugins::{IndicatorInstance, PluginRegistry};

use super::engine::{EngineInputs, IndicatorEngine, LiveIndicator};
use super::refs::{hint, resolve_column, split_ref};
use super::{Builder, ColumnData};

/// A plugin indicator's instance: its inputs are the columns of its roles.
struct PluginEngine(IndicatorInstance);

impl IndicatorEngine for PluginEngine {
    fn compute(
        &mut self,
        inputs: &EngineInputs<'_>,
        outs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), String> {
        let ins: Vec<&[f64]> = inputs.aligned.iter().map(|c| &c[..]).collect();
        let mut o: Vec<&mut [f64]> = outs.iter_mut().map(|c| &mut c[..]).collect();
        self.0
            .compute(&ins, &mut o, from)
            .map_err(|e| e.to_string())
    }
}

/// Phase 2 for a plugin indicator: params, inputs, a fresh instance.
pub(super) fn plugin_indicator(
    b: &mut Builder<'_>,
    registry: &PluginRegistry,
    i: usize,
    kind: &str,
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<LiveIndicator, ConfigErrors> {
    let ind = &b.loaded.config.indicators[i];
    let path = format!("indicators[{i}]");
    let plugin = match registry.indicator(kind) {
        Ok(p) => p,
        Err(e) => {
            return Err(b.fail(
                &format!("{path}.kind"),
                ConfigErrorKind::Plugin,
                e.to_string(),
                None,
            ));
        }
    };
    let info = plugin.info().clone();
    let what = format!("indicator plugin `{kind}`");
    if let Err(e) = config::validate_params(
        &info.params_schema,
        &ind.params,
        &format!("{path}.params"),
        &what,
        b.map,
    ) {
        b.errs(e);
        return Err(ConfigErrors(std::mem::take(&mut b.errors)));
    }
    let refs = resolve_inputs(b, i, &info.inputs, tables, by_name)?;
    if refs.is_empty() {
        return Err(b.fail(
            &path,
            ConfigErrorKind::Plugin,
            format!("indicator plugin `{kind}` declares no inputs"),
            None,
        ));
    }
    let params = config::apply_defaults(&info.params_schema, &ind.params).to_string();
    let instance = plugin.create(&params).map_err(|e| {
        b.fail(
            &path,
            ConfigErrorKind::Plugin,
            format!("indicator `{}`: {e}", ind.id),
            None,
        )
    })?;
    Ok(LiveIndicator {
        index: i,
        id: ind.id.clone(),
        outputs: info.outputs.clone(),
        refs,
        engine: Box::new(PluginEngine(instance)),
        error_kind: ConfigErrorKind::Plugin,
    })
}

/// Resolves each input role of indicator `i` to a column: from its `inputs`
/// table, or from `input` (a column, or a source id whose columns are
/// matched to the roles by name; role `source` means `close`).
fn resolve_inputs(
    b: &mut Builder<'_>,
    i: usize,
    roles: &[String],
    tables: &BTreeMap<String, Arc<Table>>,
    by_name: &HashMap<String, ColumnData>,
) -> Result<Vec<String>, ConfigErrors> {
    let cfg = &b.loaded.config;
    let ind = &cfg.indicators[i];
    let path = format!("indicators[{i}]");
    let mut inputs = Vec::new();
    for role in roles {
        let (r, key) = match (ind.inputs.get(role), &ind.input) {
            (Some(r), _) => (r.clone(), format!("{path}.inputs.{role}")),
            (None, Some(r)) => {
                let (head, tail) = split_ref(r);
                if tail.is_none() && tables.contains_key(head) {
                    let col = if role == "source" {
                        "close"
                    } else {
                        role.as_str()
                    };
                    (format!("{head}.{col}"), format!("{path}.input"))
                } else if roles.len() == 1 {
                    (r.clone(), format!("{path}.input"))
                } else {
                    b.err(
                        &format!("{path}.input"),
                        ConfigErrorKind::Reference,
                        format!("indicator `{}` takes {} inputs ({}); `{r}` is one column", ind.id, roles.len(), roles.join(", ")),
                        Some("give a source id (its columns are matched by name) or an `inputs` table by role".into()),
                    );
                    return Err(ConfigErrors(std::mem::take(&mut b.errors)));
                }
            }
            (None, None) => {
                return Err(b.fail(
                    &path,
                    ConfigErrorKind::Reference,
                    format!("indicator `{}` has no input for role `{role}`", ind.id),
                    Some(format!(
                        "add `input = \"<source>.close\"` or `inputs = {{ {role} = \"...\" }}`"
                    )),
                ));
            }
        };
        match resolve_column(&r, by_name, tables, cfg) {
            Ok(_) => inputs.push(r),
            Err((msg, help)) => {
                return Err(b.fail(&key, ConfigErrorKind::Reference, msg, help));
            }
        }
    }
    for role in ind.inputs.keys() {
        if !roles.contains(role) {
            let names: Vec<&str> = roles.iter().map(String::as_str).collect();
            let help = hint(config::suggest(role, names.iter().copied()), &names);
            return Err(b.fail(
                &format!("{path}.inputs.{role}"),
                ConfigErrorKind::Reference,
                format!("indicator `{}` has no input role `{role}`", ind.id),
                help,
            ));
        }
    }
    Ok(inputs)
}
