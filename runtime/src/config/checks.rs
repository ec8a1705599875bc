//! Checks that a JSON Schema cannot express: time zone names, view times,
//! unique ids, timeframes.

use std::collections::HashMap;
use std::str::FromStr;

use chrono_tz::Tz;

use super::error::{ConfigError, ConfigErrorKind};
use super::source_map::{SourceMap, join_key};
use super::suggest::suggest;
use super::time::{TIME_FORMATS_HELP, parse_time};
use super::timeframe::Timeframe;
use super::types::ChartConfig;
use super::{ConfigErrors, LoadedChart};

/// What the checks computed on the way, kept so later stages need not redo it.
pub(super) struct Checked {
    pub timezone: Tz,
    pub view_start_ns: Option<i64>,
    pub view_end_ns: Option<i64>,
}

/// Runs every check, reporting all problems rather than the first.
pub(super) fn check(config: &ChartConfig, map: &SourceMap) -> Result<Checked, Vec<ConfigError>> {
    // `size` sides of 0 are refused by the schema (`minimum = 1`); the upper
    // bound is the GPU's, see `LoadedChart::check_size_limit`.
    let mut errors = Vec::new();
    check_source_ids(config, map, &mut errors);
    check_indicator_ids(config, map, &mut errors);
    check_timeframes(config, map, &mut errors);
    if let Some(Err(message)) = config.memory_budget.as_ref().map(|b| b.bytes()) {
        errors.push(map.error_at(
            "memory_budget",
            ConfigErrorKind::InvalidValue,
            format!("invalid `memory_budget`: {message}"),
            Some("write a size such as \"2 GiB\", \"512 MiB\" or a number of bytes".into()),
        ));
    }
    let timezone = check_timezone(&config.timezone, map, &mut errors);
    let (mut view_start_ns, mut view_end_ns) = (None, None);
    if let Some(tz) = timezone {
        let mut parse = |key: &str, value: &Option<String>| {
            let s = value.as_deref()?;
            parse_time(s, tz)
                .map_err(|message| {
                    errors.push(map.error_at(
                        key,
                        ConfigErrorKind::Time,
                        format!("invalid `{key}`: {message}"),
                        Some(TIME_FORMATS_HELP.to_string()),
                    ))
                })
                .ok()
        };
        view_start_ns = parse("view.start", &config.view.start);
        view_end_ns = parse("view.end", &config.view.end);
        if let (Some(start), Some(end)) = (view_start_ns, view_end_ns)
            && end <= start
        {
            errors.push(map.error_at(
                "view.end",
                ConfigErrorKind::Time,
                "`view.end` is not after `view.start`: the view would be empty",
                Some("swap `start` and `end`, or move `end` later".to_string()),
            ));
        }
        super::load::check_loads(config, map, (view_start_ns, view_end_ns), &mut errors);
    }
    match (timezone, errors.is_empty()) {
        (Some(timezone), true) => Ok(Checked {
            timezone,
            view_start_ns,
            view_end_ns,
        }),
        _ => Err(errors),
    }
}

/// Help for a bad `timeframe`.
pub(crate) const TIMEFRAME_HELP: &str = "write a count and a unit: s, m, h, d, w (weeks from Monday) or M (months), e.g. \"5m\", \"1h\", \"1d\", \"1w\", \"1M\"";

/// Every `timeframe` (sources and series) must parse.
fn check_timeframes(config: &ChartConfig, map: &SourceMap, errors: &mut Vec<ConfigError>) {
    let sources = config.sources.iter().map(|(id, s)| {
        (
            format!("{}.timeframe", join_key("sources", id)),
            &s.timeframe,
        )
    });
    let series = config.panes.iter().enumerate().flat_map(|(p, pane)| {
        pane.series
            .iter()
            .enumerate()
            .map(move |(i, s)| (format!("panes[{p}].series[{i}].timeframe"), &s.timeframe))
    });
    for (key, value) in sources.chain(series) {
        let Some(text) = value else { continue };
        if let Err(e) = text.parse::<Timeframe>() {
            errors.push(map.error_at(
                &key,
                ConfigErrorKind::Timeframe,
                format!("invalid `timeframe`: {e}"),
                Some(TIMEFRAME_HELP.to_string()),
            ));
        }
    }
}

fn check_timezone(name: &str, map: &SourceMap, errors: &mut Vec<ConfigError>) -> Option<Tz> {
    if let Ok(tz) = Tz::from_str(name) {
        return Some(tz);
    }
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    // `suggest` ignores case, so `america/new_york` is caught here too.
    let best = suggest(name, names.clone()).or_else(|| {
        // `new york` → `America/New_York`: people often write only the city.
        let city = name.trim().replace(' ', "_");
        let cities = names
            .clone()
            .filter_map(|n| n.rsplit_once('/').map(|(_, c)| c));
        let found = suggest(&city, cities)?;
        names.clone().find(|n| n.ends_with(&format!("/{found}")))
    });
    let help = match best {
        Some(best) => format!("did you mean `{best}`?"),
        None => "use an IANA time zone name such as `America/New_York`, `Europe/London` or `UTC`"
            .to_string(),
    };
    errors.push(map.error_at(
        "timezone",
        ConfigErrorKind::Timezone,
        format!("unknown time zone `{name}`"),
        Some(help),
    ));
    None
}

/// Source ids appear in references (`aapl.close`), so they must be identifiers.
fn check_source_ids(config: &ChartConfig, map: &SourceMap, errors: &mut Vec<ConfigError>) {
    for id in config.sources.keys() {
        let mut chars = id.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            errors.push(
                map.key_error_at(
                    &join_key("sources", id),
                    ConfigErrorKind::InvalidValue,
                    format!("source id `{id}` is not a valid id"),
                    Some(
                        "use letters, digits and `_`, not starting with a digit, e.g. `aapl`; \
                     the id is used in references such as `aapl.close`"
                            .to_string(),
                    ),
                ),
            );
        }
    }
}

/// Indicator ids name columns, so they must differ from each other and from
/// source ids.
fn check_indicator_ids(config: &ChartConfig, map: &SourceMap, errors: &mut Vec<ConfigError>) {
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (i, indicator) in config.indicators.iter().enumerate() {
        let key_path = format!("indicators[{i}].id");
        let id = indicator.id.as_str();
        if let Some(&first) = first_use.get(id) {
            let first_path = format!("indicators[{first}].id");
            let at = map
                .value_span(&first_path)
                .map(|s| format!(" (line {})", map.line_of(s.start)))
                .unwrap_or_default();
            errors.push(map.error_at(
                &key_path,
                ConfigErrorKind::DuplicateId,
                format!("duplicate indicator id `{id}`"),
                Some(format!(
                    "`{first_path}`{at} already uses `{id}`; give each indicator its own id"
                )),
            ));
            continue;
        }
        first_use.insert(id, i);
        match (&indicator.kind, &indicator.script) {
            (Some(_), Some(_)) => errors.push(map.error_at(
                &format!("indicators[{i}].script"),
                ConfigErrorKind::InvalidValue,
                format!("indicator `{id}` has both `kind` and `script`"),
                Some(
                    "use `kind` for a plugin indicator or `script` for a Lua file, not both".into(),
                ),
            )),
            (None, None) => errors.push(map.error_at(
                &format!("indicators[{i}]"),
                ConfigErrorKind::MissingKey,
                format!(
                    "indicator `{id}` needs `kind` (a plugin indicator) or `script` (a Lua file)"
                ),
                Some("e.g. `kind = \"sma\"` or `script = \"../scripts/supertrend.lua\"`".into()),
            )),
            _ => {}
        }
        if config.sources.contains_key(id) {
            let at = map
                .key_span(&join_key("sources", id))
                .map(|s| format!(" (line {})", map.line_of(s.start)))
                .unwrap_or_default();
            errors.push(map.error_at(
                &key_path,
                ConfigErrorKind::DuplicateId,
                format!("indicator id `{id}` is also a source id"),
                Some(format!(
                    "`sources.{id}`{at} already uses `{id}`, so `{id}.close` would be ambiguous; rename the indicator"
                )),
            ));
        }
    }
}

impl LoadedChart {
    /// Checks `size` against the largest image side the GPU draws
    /// (`max_side`, its `max_texture_dimension_2d`): each side too long is a
    /// located error at `size[i]` naming the limit. The schema cannot say
    /// this, as the limit depends on the adapter.
    pub fn check_size_limit(&self, max_side: u32) -> Result<(), ConfigErrors> {
        let errors = size_limit_errors(&self.config, &self.source_map, max_side);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors::sorted(errors))
        }
    }
}

fn size_limit_errors(config: &ChartConfig, map: &SourceMap, max_side: u32) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    for (i, (&pixels, name)) in config.size.iter().zip(["width", "height"]).enumerate() {
        if pixels > max_side {
            errors.push(map.error_at(
                &format!("size[{i}]"),
                ConfigErrorKind::InvalidValue,
                format!(
                    "the chart's {name} is {pixels} pixels, more than this GPU can draw ({max_side})"
                ),
                Some(format!(
                    "each side of `size` must be 1 to {max_side} pixels: {max_side} is the \
                     adapter's largest texture side (max_texture_dimension_2d)"
                )),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{ConfigErrorKind, parse_chart_str};

    const CHART: &str = "[sources.a]\nkind = \"csv\"\n[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"a.close\"\n";

    #[test]
    fn sizes_past_the_gpu_limit_are_located_at_the_size_key() {
        let text = format!("title = \"t\"\nsize = [16384, 16385]\n{CHART}");
        let loaded = parse_chart_str(&text, Path::new("chart.toml"))
            .unwrap_or_else(|e| panic!("the schema has no upper bound: {e}"));
        assert!(loaded.check_size_limit(16385).is_ok());
        let errors = loaded.check_size_limit(16384).expect_err("16385 > 16384");
        let e = &errors.0[..];
        assert_eq!(e.len(), 1, "{errors}");
        assert_eq!(e[0].kind, ConfigErrorKind::InvalidValue);
        assert_eq!((e[0].line, e[0].column), (2, 16));
        assert_eq!(e[0].key_path, "size[1]");
        assert_eq!(
            e[0].message,
            "the chart's height is 16385 pixels, more than this GPU can draw (16384)"
        );
        let help = e[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("max_texture_dimension_2d"), "{help}");
        // Both sides at once.
        let both = loaded.check_size_limit(100).expect_err("both too big");
        let keys: Vec<&str> = both.iter().map(|e| e.key_path.as_str()).collect();
        assert_eq!(keys, ["size[0]", "size[1]"]);
    }

    #[test]
    fn bad_timeframes_are_located_errors_by_kind_and_message() {
        let text = "[sources.a]\nkind = \"csv\"\ntimeframe = \"5x\"\n[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"a.close\"\ntimeframe = \"0h\"\n";
        let errors =
            parse_chart_str(text, Path::new("chart.toml")).expect_err("two bad timeframes");
        let e = &errors.0[..];
        assert_eq!(e.len(), 2, "{errors}");
        assert_eq!(e[0].kind, ConfigErrorKind::Timeframe);
        assert_eq!((e[0].line, e[0].column), (3, 13));
        assert_eq!(e[0].key_path, "sources.a.timeframe");
        assert_eq!(
            e[0].message,
            "invalid `timeframe`: unknown timeframe unit `x` in `5x`; use s, m, h, d, w or M (months)"
        );
        assert_eq!(e[0].help.as_deref(), Some(super::TIMEFRAME_HELP));
        assert!(super::TIMEFRAME_HELP.contains("e.g. \"5m\""));
        assert_eq!(e[1].kind, ConfigErrorKind::Timeframe);
        assert_eq!((e[1].line, e[1].column), (8, 13));
        assert_eq!(e[1].key_path, "panes[0].series[0].timeframe");
        assert_eq!(
            e[1].message,
            "invalid `timeframe`: timeframe `0h` has count 0; the count must be at least 1"
        );
        // The rendered error names file:line:col and the help.
        let shown = e[0].to_string();
        assert!(shown.contains("--> chart.toml:3:13"), "{shown}");
        assert!(
            shown.contains("= help: write a count and a unit"),
            "{shown}"
        );
    }

    #[test]
    fn every_timeframe_form_is_checked() {
        for (value, message) in [
            (
                "",
                "invalid `timeframe`: empty timeframe; write a count and a unit, e.g. `5m`, `1h`, `1d`, `1w` or `1M`",
            ),
            (
                "m",
                "invalid `timeframe`: timeframe `m` has no count; write a positive whole number before the unit, e.g. `1m`",
            ),
            (
                "15",
                "invalid `timeframe`: timeframe `15` has no unit; add one of s, m, h, d, w or M (months), e.g. `15m`",
            ),
            (
                "300y",
                "invalid `timeframe`: unknown timeframe unit `y` in `300y`; use s, m, h, d, w or M (months)",
            ),
            (
                "3000M",
                "invalid `timeframe`: timeframe `3000M` is too long; the longest timeframe is 200 years",
            ),
        ] {
            let text = format!(
                "[sources.a]\nkind = \"csv\"\ntimeframe = \"{value}\"\n{}",
                &CHART[CHART.find("[[panes]]").unwrap_or(0)..]
            );
            let errors = parse_chart_str(&text, Path::new("chart.toml")).expect_err(value);
            assert_eq!(errors.0.len(), 1, "{errors}");
            assert_eq!(errors.0[0].kind, ConfigErrorKind::Timeframe, "{value}");
            assert_eq!(errors.0[0].message, message, "{value}");
        }
        for good in ["1s", "5m", "1h", "4h", "1d", "2w", "1M", "3mo", " 15m "] {
            let text = format!(
                "[sources.a]\nkind = \"csv\"\ntimeframe = \"{good}\"\n{}",
                &CHART[CHART.find("[[panes]]").unwrap_or(0)..]
            );
            assert!(
                parse_chart_str(&text, Path::new("chart.toml")).is_ok(),
                "{good}"
            );
        }
    }
}
