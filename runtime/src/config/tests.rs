//! Tests of chart loading: one per kind of bad input, each asserting the
//! error's kind, place, key path and help text exactly.

use super::*;
use serde_json::json;

/// `schemas/chart.schema.json`, reached from the crate's folder (`runtime/`).
const CHART_SCHEMA_FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/chart.schema.json");
/// The example chart shipped with the project.
const EXAMPLE_CHART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/aapl.toml");

/// The smallest valid chart; tests append to it or replace parts of it.
const MINIMAL: &str = r#"[sources.a]
kind = "synthetic"

[[panes]]
[[panes.series]]
type = "line"
data = "a.close"
"#;

fn load(text: &str) -> Result<LoadedChart, ConfigErrors> {
    parse_chart_str(text, Path::new("chart.toml"))
}

fn errors(text: &str) -> Vec<ConfigError> {
    match load(text) {
        Ok(chart) => panic!("expected errors, got {:#?}", chart.config),
        Err(errors) => errors.0,
    }
}

fn only_error(text: &str) -> ConfigError {
    let mut all = errors(text);
    assert_eq!(
        all.len(),
        1,
        "expected one error, got:\n{}",
        ConfigErrors(all.clone())
    );
    all.remove(0)
}

/// Asserts kind, line, column, key path, message and help in one go, so a
/// failure shows every field.
#[track_caller]
fn assert_error(
    e: &ConfigError,
    kind: ConfigErrorKind,
    (line, column): (usize, usize),
    key_path: &str,
    message: &str,
    help: &str,
) {
    let actual = (
        e.kind,
        e.line,
        e.column,
        e.key_path.as_str(),
        e.message.as_str(),
        e.help.as_deref(),
    );
    let expected = (kind, line, column, key_path, message, Some(help));
    assert_eq!(actual, expected, "\n{e}");
}

// ---- valid charts --------------------------------------------------------

#[test]
fn minimal_chart_gets_defaults() {
    let chart = load(MINIMAL).unwrap();
    let c = &chart.config;
    assert_eq!(c.title, None);
    assert_eq!(c.size, [1600, 900]);
    assert_eq!(c.theme, Theme::Dark);
    assert_eq!(c.timezone, "UTC");
    assert_eq!(c.x_axis, XAxis::Auto);
    assert_eq!(c.view, View::default());
    assert_eq!(c.sources["a"].kind, "synthetic");
    assert_eq!(c.sources["a"].params, json!({}));
    assert!(c.indicators.is_empty());
    assert_eq!(c.panes.len(), 1);
    assert_eq!(c.panes[0].height, 1.0);
    assert_eq!(c.panes[0].scale, Scale::Linear);
    let s = &c.panes[0].series[0];
    assert_eq!(
        (s.chart_type.as_str(), s.data.as_str()),
        ("line", "a.close")
    );
    assert_eq!((s.width, s.color.as_deref()), (1.5, None));
    assert_eq!(chart.timezone, chrono_tz::UTC);
    assert_eq!((chart.view_start_ns, chart.view_end_ns), (None, None));
    assert!(chart.path.is_absolute());
    assert!(chart.path.ends_with("chart.toml"));
    assert_eq!(chart.base_dir, chart.path.parent().unwrap());
}

#[test]
fn example_chart_loads() {
    let chart = load_chart_file(Path::new(EXAMPLE_CHART)).unwrap_or_else(|e| panic!("{e}"));
    let c = &chart.config;
    assert_eq!(c.title.as_deref(), Some("AAPL daily"));
    assert_eq!(chart.timezone, chrono_tz::America::New_York);
    // Midnight in New York in winter is 05:00 UTC.
    assert_eq!(chart.view_start_ns, Some(1_325_566_800 * 1_000_000_000));
    assert_eq!(chart.view_end_ns, Some(1_362_114_000 * 1_000_000_000));
    assert_eq!(c.sources["aapl"].params["symbol"], "AAPL");
    let ids: Vec<&str> = c.indicators.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["sma20", "ema50"]);
    assert_eq!(c.indicators[1].params, json!({ "period": 50 }));
    let types: Vec<Vec<&str>> = c
        .panes
        .iter()
        .map(|p| p.series.iter().map(|s| s.chart_type.as_str()).collect())
        .collect();
    assert_eq!(types, [vec!["candlestick", "line", "line"], vec!["volume"]]);
    assert_eq!(c.panes[0].series[1].color.as_deref(), Some("#f5a623"));
    assert!(chart.base_dir.ends_with("examples"));
    // The source map knows where things are, for errors in later stages.
    let e = chart.source_map.error_at(
        "indicators[1].kind",
        ConfigErrorKind::Reference,
        "unknown indicator plugin `ema`",
        None,
    );
    assert_eq!((e.line, e.column), (30, 8));
}

#[test]
fn toml_dates_may_be_written_without_quotes() {
    let chart = load(&format!(
        "[view]\nstart = 2012-01-03\nend = 2012-01-03T16:00:00\n{MINIMAL}"
    ))
    .unwrap();
    assert_eq!(chart.config.view.start.as_deref(), Some("2012-01-03"));
    assert_eq!(chart.view_start_ns, Some(1_325_548_800 * 1_000_000_000));
    assert_eq!(
        chart.view_end_ns,
        Some((1_325_548_800 + 16 * 3600) * 1_000_000_000)
    );
}

// ---- rendering -------------------------------------------------------------

#[test]
fn display_shows_the_line_and_a_caret() {
    let mut text = String::from(MINIMAL); // 7 lines
    text.push_str(
        "label = \"x\"\nwidth = 2\n\n[[panes.series]]\ntype = \"line\"\ndata = \"a.open\"\n",
    );
    text.push_str("colr = \"#ff0000\"\n"); // line 14
    let e = parse_chart_str(&text, Path::new("examples/aapl.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: unknown key `colr` in panes[0].series[1]\n  \
         --> examples/aapl.toml:14:1\n   \
         |\n\
         14 | colr = \"#ff0000\"\n   \
         | ^^^^\n   \
         = help: did you mean `color`?"
    );
}

#[test]
fn display_without_location_names_the_file() {
    let e = only_error("[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"a\"\n");
    assert_eq!(
        e.to_string(),
        "error: missing key `sources` at the top level\n \
         --> chart.toml\n  \
         = help: add `sources`: Data sources by id (the id is used in `data`/`input` references)."
    );
}

#[test]
fn several_errors_are_reported_in_file_order() {
    let text = format!("{MINIMAL}colr = \"#fff\"\nwidth = \"2\"\n[view]\nstrat = \"2012-01-01\"\n")
        .replacen("[sources.a]", "theme = \"drak\"\n[sources.a]", 1);
    let all = errors(&text);
    let summary: Vec<(ConfigErrorKind, usize, &str)> = all
        .iter()
        .map(|e| (e.kind, e.line, e.key_path.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (ConfigErrorKind::InvalidValue, 1, "theme"),
            (ConfigErrorKind::UnknownKey, 9, "panes[0].series[0].colr"),
            (ConfigErrorKind::Type, 10, "panes[0].series[0].width"),
            (ConfigErrorKind::UnknownKey, 12, "view.strat"),
        ]
    );
    let shown = ConfigErrors(all).to_string();
    assert!(
        shown.ends_with("error: 4 problems in the chart file"),
        "{shown}"
    );
}

// ---- syntax ----------------------------------------------------------------

#[test]
fn unclosed_string_is_a_syntax_error_at_the_line_end() {
    let e = only_error("title = \"AAPL\nsize = [1, 2]\n");
    assert_error(
        &e,
        ConfigErrorKind::Syntax,
        (1, 14),
        "",
        "invalid TOML: invalid basic string, expected `\"`",
        "close the string with the same quote on the same line (use `\"\"\"` for text over several lines)",
    );
}

#[test]
fn duplicate_toml_key_is_a_syntax_error() {
    let e = only_error(&format!("title = \"a\"\ntitle = \"b\"\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::Syntax,
        (2, 1),
        "",
        "duplicate key `title`",
        "a key may be set only once in a table: remove or rename one of them",
    );
}

#[test]
fn schema_comment_line_parses() {
    let chart = load(&format!("#:schema ../schemas/chart.schema.json\n{MINIMAL}"));
    assert!(chart.is_ok());
}

// ---- schema errors -----------------------------------------------------------

#[test]
fn typo_in_key_suggests_the_closest() {
    let e = only_error(&format!("titel = \"x\"\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::UnknownKey,
        (1, 1),
        "titel",
        "unknown key `titel` at the top level",
        "did you mean `title`?",
    );
}

#[test]
fn unknown_key_without_close_match_lists_the_valid_keys() {
    let e = only_error(&format!("{MINIMAL}[view]\nbanana = 1\n"));
    assert_error(
        &e,
        ConfigErrorKind::UnknownKey,
        (9, 1),
        "view.banana",
        "unknown key `banana` in view",
        "valid keys here: `end`, `last_bars`, `start`",
    );
}

#[test]
fn unknown_table_header_points_at_its_name() {
    let e = only_error(&format!("{MINIMAL}[veiw]\nstart = \"2012-01-01\"\n"));
    assert_error(
        &e,
        ConfigErrorKind::UnknownKey,
        (8, 2),
        "veiw",
        "unknown key `veiw` at the top level",
        "did you mean `view`?",
    );
}

#[test]
fn wrong_type_says_what_was_expected_and_found() {
    let e = only_error(&format!("size = \"big\"\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::Type,
        (1, 8),
        "size",
        "wrong type for `size`: expected an array, found string `\"big\"`",
        "write a list in brackets, e.g. `[1, 2]` (Output size in pixels, `[width, height]`, each side from 1 to the GPU's largest texture side)",
    );
}

#[test]
fn wrong_type_inside_an_array_of_tables() {
    let e = only_error(&MINIMAL.replace("[[panes]]\n", "[[panes]]\nheight = \"3\"\n"));
    assert_error(
        &e,
        ConfigErrorKind::Type,
        (5, 10),
        "panes[0].height",
        "wrong type for `panes[0].height`: expected a number, found string `\"3\"`",
        "write a number without quotes, e.g. `1.5` (Relative height (the panes share the height in proportion))",
    );
}

#[test]
fn missing_required_key_in_a_table_points_at_its_header() {
    let e = only_error(&format!("{MINIMAL}[[panes]]\nheight = 1\n"));
    assert_error(
        &e,
        ConfigErrorKind::MissingKey,
        (8, 1),
        "panes[1].series",
        "missing key `series` in panes[1]",
        "add `series`: Series drawn in this pane, bottom to top.",
    );
}

#[test]
fn missing_sources_has_no_line() {
    let e = only_error("[[panes]]\n[[panes.series]]\ntype = \"line\"\ndata = \"a\"\n");
    assert_error(
        &e,
        ConfigErrorKind::MissingKey,
        (0, 0),
        "sources",
        "missing key `sources` at the top level",
        "add `sources`: Data sources by id (the id is used in `data`/`input` references).",
    );
    assert_eq!(e.file, Path::new("chart.toml"));
}

#[test]
fn empty_sources_table_is_rejected() {
    let e = only_error(&MINIMAL.replace("[sources.a]\nkind = \"synthetic\"\n", "sources = {}\n"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (1, 11),
        "sources",
        "`sources` needs at least 1 entry, found 0",
        "Data sources by id (the id is used in `data`/`input` references).",
    );
}

#[test]
fn bad_enum_value_suggests_and_lists_the_choices() {
    let e = only_error(&format!("theme = \"drak\"\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (1, 9),
        "theme",
        "invalid value `drak` for `theme`",
        "did you mean `dark`? allowed values: `dark`, `light`",
    );
    let e = only_error(&format!("x_axis = \"linear\"\n{MINIMAL}"));
    assert_eq!(
        e.help.as_deref(),
        Some("allowed values: `auto`, `bars`, `time`")
    );
}

#[test]
fn bad_colour_says_how_to_write_one() {
    let e = only_error(&format!("{MINIMAL}color = \"red\"\n"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (8, 9),
        "panes[0].series[0].color",
        "`panes[0].series[0].color` is not a colour: string `\"red\"`",
        "write `#rrggbb` or `#rrggbbaa` in hexadecimal, e.g. `#f5a623`",
    );
}

#[test]
fn out_of_range_number_gives_the_bound() {
    let e = only_error(&format!("{MINIMAL}width = 50\n"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (8, 9),
        "panes[0].series[0].width",
        "`panes[0].series[0].width` must be at most 20.0, found 50",
        "use a value of at most 20.0",
    );
}

#[test]
fn bad_indicator_id_pattern() {
    let e = only_error(&format!(
        "{MINIMAL}[[indicators]]\nid = \"20sma\"\nkind = \"sma\"\n"
    ));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (9, 6),
        "indicators[0].id",
        "`indicators[0].id` is not a valid id: string `\"20sma\"`",
        "use letters, digits and `_`, not starting with a digit, e.g. `sma20`",
    );
}

// ---- checks after the schema -------------------------------------------------

#[test]
fn bad_timezone_suggests_the_closest_name() {
    let e = only_error(&format!("timezone = \"America/New_Yrok\"\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::Timezone,
        (1, 12),
        "timezone",
        "unknown time zone `America/New_Yrok`",
        "did you mean `America/New_York`?",
    );
    // A city alone, or wrong case, still finds the zone.
    let e = only_error(&format!("timezone = \"new york\"\n{MINIMAL}"));
    assert_eq!(e.help.as_deref(), Some("did you mean `America/New_York`?"));
    let e = only_error(&format!("timezone = \"europe/london\"\n{MINIMAL}"));
    assert_eq!(e.help.as_deref(), Some("did you mean `Europe/London`?"));
    let e = only_error(&format!("timezone = \"Mars/Olympus\"\n{MINIMAL}"));
    assert_eq!(
        e.help.as_deref(),
        Some("use an IANA time zone name such as `America/New_York`, `Europe/London` or `UTC`")
    );
}

#[test]
fn duplicate_indicator_id_names_both_places() {
    let text = format!(
        "{MINIMAL}[[indicators]]\nid = \"sma\"\nkind = \"sma\"\n[[indicators]]\nid = \"sma\"\nkind = \"ema\"\n"
    );
    let e = only_error(&text);
    assert_error(
        &e,
        ConfigErrorKind::DuplicateId,
        (12, 6),
        "indicators[1].id",
        "duplicate indicator id `sma`",
        "`indicators[0].id` (line 9) already uses `sma`; give each indicator its own id",
    );
}

#[test]
fn indicator_needs_exactly_one_of_kind_and_script() {
    let e = only_error(&format!(
        "{MINIMAL}[[indicators]]\nid = \"x\"\nkind = \"sma\"\nscript = \"s.lua\"\n"
    ));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (11, 10),
        "indicators[0].script",
        "indicator `x` has both `kind` and `script`",
        "use `kind` for a plugin indicator or `script` for a Lua file, not both",
    );
    let e = only_error(&format!("{MINIMAL}[[indicators]]\nid = \"x\"\n"));
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (ConfigErrorKind::MissingKey, "indicators[0]")
    );
    assert_eq!(
        e.message,
        "indicator `x` needs `kind` (a plugin indicator) or `script` (a Lua file)"
    );
}

#[test]
fn indicator_id_may_not_shadow_a_source() {
    let e = only_error(&format!(
        "{MINIMAL}[[indicators]]\nid = \"a\"\nkind = \"sma\"\n"
    ));
    assert_error(
        &e,
        ConfigErrorKind::DuplicateId,
        (9, 6),
        "indicators[0].id",
        "indicator id `a` is also a source id",
        "`sources.a` (line 1) already uses `a`, so `a.close` would be ambiguous; rename the indicator",
    );
}

#[test]
fn source_id_must_be_an_identifier() {
    let e = only_error(&MINIMAL.replace("[sources.a]", "[sources.\"my src\"]"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (1, 10),
        "sources.\"my src\"",
        "source id `my src` is not a valid id",
        "use letters, digits and `_`, not starting with a digit, e.g. `aapl`; \
         the id is used in references such as `aapl.close`",
    );
}

#[test]
fn zero_size_is_rejected() {
    let e = only_error(&format!("size = [1600, 0]\n{MINIMAL}"));
    assert_error(
        &e,
        ConfigErrorKind::InvalidValue,
        (1, 15),
        "size[1]",
        "`size[1]` must be at least 1, found 0",
        "use a value of at least 1",
    );
}

#[test]
fn invalid_view_time_is_located() {
    let e = only_error(&format!("{MINIMAL}[view]\nstart = \"2012-13-01\"\n"));
    assert_error(
        &e,
        ConfigErrorKind::Time,
        (9, 9),
        "view.start",
        "invalid `view.start`: `2012-13-01` is not a date or time",
        TIME_FORMATS_HELP,
    );
}

#[test]
fn view_end_before_start_is_rejected() {
    let e = only_error(&format!(
        "{MINIMAL}[view]\nstart = \"2012-02-01\"\nend = \"2012-01-01\"\n"
    ));
    assert_error(
        &e,
        ConfigErrorKind::Time,
        (10, 7),
        "view.end",
        "`view.end` is not after `view.start`: the view would be empty",
        "swap `start` and `end`, or move `end` later",
    );
}

// ---- plugin params -----------------------------------------------------------

const SMA_SCHEMA: &str = r#"{
    "type": "object",
    "properties": {
        "period": { "type": "integer", "minimum": 1, "default": 14, "description": "Bars averaged." },
        "offset": { "type": "integer", "default": 0 }
    },
    "additionalProperties": false
}"#;

/// A chart with one `sma` indicator whose params are `params` (TOML inline table).
fn sma_chart(params: &str) -> LoadedChart {
    let text = format!("{MINIMAL}[[indicators]]\nid = \"s\"\nkind = \"sma\"\nparams = {params}\n");
    load(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn sma_errors(chart: &LoadedChart, schema: &str) -> Vec<ConfigError> {
    let params = &chart.config.indicators[0].params;
    match validate_params(
        schema,
        params,
        "indicators[0].params",
        "indicator plugin `sma`",
        &chart.source_map,
    ) {
        Ok(()) => panic!("expected errors for {params}"),
        Err(errors) => errors.0,
    }
}

#[test]
fn valid_plugin_params_pass_and_get_defaults() {
    let chart = sma_chart("{ period = 20 }");
    let params = &chart.config.indicators[0].params;
    let result = validate_params(
        SMA_SCHEMA,
        params,
        "indicators[0].params",
        "indicator plugin `sma`",
        &chart.source_map,
    );
    assert_eq!(result, Ok(()));
    assert_eq!(
        apply_defaults(SMA_SCHEMA, params),
        json!({ "period": 20, "offset": 0 })
    );
    assert_eq!(
        apply_defaults(SMA_SCHEMA, &json!({})),
        json!({ "period": 14, "offset": 0 })
    );
    // Nothing to fill from a schema without properties, or into non-objects.
    assert_eq!(apply_defaults("{}", &json!({ "x": 1 })), json!({ "x": 1 }));
    assert_eq!(apply_defaults(SMA_SCHEMA, &json!(3)), json!(3));
}

#[test]
fn unknown_plugin_param_suggests_and_names_the_plugin() {
    let chart = sma_chart("{ perod = 20 }");
    let errors = sma_errors(&chart, SMA_SCHEMA);
    assert_eq!(errors.len(), 1);
    assert_error(
        &errors[0],
        ConfigErrorKind::PluginParams,
        (11, 12),
        "indicators[0].params.perod",
        "unknown parameter `perod` for indicator plugin `sma`",
        "did you mean `period`?",
    );
}

#[test]
fn unknown_plugin_param_without_close_match_lists_the_params() {
    let chart = sma_chart("{ length = 20 }");
    let errors = sma_errors(&chart, SMA_SCHEMA);
    assert_eq!(
        errors[0].help.as_deref(),
        Some("valid parameters here: `offset`, `period`")
    );
}

#[test]
fn out_of_range_plugin_param_names_plugin_and_key_path() {
    let chart = sma_chart("{ period = 0 }");
    let errors = sma_errors(&chart, SMA_SCHEMA);
    assert_eq!(errors.len(), 1);
    assert_error(
        &errors[0],
        ConfigErrorKind::PluginParams,
        (11, 21),
        "indicators[0].params.period",
        "parameter `period` of indicator plugin `sma` must be at least 1, found 0",
        "use a value of at least 1",
    );
}

#[test]
fn wrong_type_plugin_param() {
    let chart = sma_chart("{ period = \"20\" }");
    let errors = sma_errors(&chart, SMA_SCHEMA);
    assert_error(
        &errors[0],
        ConfigErrorKind::PluginParams,
        (11, 21),
        "indicators[0].params.period",
        "wrong type for parameter `period` of indicator plugin `sma`: expected an integer, found string `\"20\"`",
        "write a whole number without quotes, e.g. `20` (Bars averaged)",
    );
}

#[test]
fn missing_plugin_param_without_params_table_points_at_the_indicator() {
    let text = format!("{MINIMAL}[[indicators]]\nid = \"s\"\nkind = \"sma\"\n");
    let chart = load(&text).unwrap();
    let schema = r#"{ "type": "object", "properties": { "period": { "type": "integer" } }, "required": ["period"] }"#;
    let errors = sma_errors(&chart, schema);
    assert_error(
        &errors[0],
        ConfigErrorKind::PluginParams,
        (8, 1),
        "indicators[0].params.period",
        "missing parameter `period` for indicator plugin `sma`",
        "add `period = ...`",
    );
}

#[test]
fn invalid_plugin_schema_names_the_plugin() {
    let chart = sma_chart("{ period = 20 }");
    let errors = sma_errors(&chart, r#"{ "type": "intger" }"#);
    assert_eq!(errors.len(), 1);
    let e = &errors[0];
    assert_eq!(
        (e.kind, e.key_path.as_str(), e.line),
        (ConfigErrorKind::PluginSchema, "indicators[0].params", 11)
    );
    assert!(
        e.message
            .starts_with("indicator plugin `sma` publishes an invalid parameter schema: "),
        "{e}"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("this is a bug in the plugin; report it to the plugin's author")
    );
    let errors = sma_errors(&chart, "{ not json");
    assert_eq!(errors[0].kind, ConfigErrorKind::PluginSchema);
}

// ---- source map ------------------------------------------------------------------

#[test]
fn error_at_falls_back_to_the_nearest_parent() {
    let chart = sma_chart("{ period = 20 }");
    let map = &chart.source_map;
    // `params.offset` is not in the file: the error points at `params`' value.
    let e = map.error_at(
        "indicators[0].params.offset",
        ConfigErrorKind::Reference,
        "m",
        None,
    );
    assert_eq!(
        (e.line, e.column, e.key_path.as_str()),
        (11, 10, "indicators[0].params.offset")
    );
    assert_eq!(e.snippet.as_ref().map(|s| s.width), Some(15));
    // A key error on an existing key points at the key.
    let e = map.key_error_at("indicators[0].kind", ConfigErrorKind::Reference, "m", None);
    assert_eq!((e.line, e.column), (10, 1));
    let e = map.error_at("indicators[0].kind", ConfigErrorKind::Reference, "m", None);
    assert_eq!((e.line, e.column), (10, 8));
    // Nothing at all: no line.
    let e = map.error_at("nothing.here", ConfigErrorKind::Reference, "m", None);
    assert_eq!((e.line, e.column, e.snippet), (0, 0, None));
}

#[test]
fn key_paths_quote_keys_that_need_it() {
    use super::source_map::{join_key, parent_path};
    assert_eq!(join_key("sources", "aapl"), "sources.aapl");
    assert_eq!(join_key("sources", "a.b"), "sources.\"a.b\"");
    assert_eq!(join_key("", "x"), "x");
    assert_eq!(
        parent_path("sources.\"a.b\".params"),
        Some("sources.\"a.b\"")
    );
    assert_eq!(parent_path("sources.\"a.b\""), Some("sources"));
    assert_eq!(parent_path("panes[0].series[1]"), Some("panes[0].series"));
    assert_eq!(parent_path("panes[0]"), Some("panes"));
    assert_eq!(parent_path("panes"), Some(""));
    assert_eq!(parent_path(""), None);
}

// ---- JSON files and I/O --------------------------------------------------------

#[test]
fn json_chart_loads_and_reports_errors() {
    let text = r#"{ "sources": { "a": { "kind": "csv" } }, "panes": [ { "series": [ { "type": "line", "data": "a" } ] } ] }"#;
    let chart = parse_chart_str(text, Path::new("c.json")).unwrap();
    assert_eq!(chart.config.sources["a"].kind, "csv");

    let e = parse_chart_str("{\n  \"title\": \"x\",\n}", Path::new("c.json"))
        .unwrap_err()
        .0
        .remove(0);
    assert_eq!((e.kind, e.line, e.column), (ConfigErrorKind::Syntax, 3, 1));
    assert_eq!(e.message, "invalid JSON: trailing comma");

    let bad = text.replace("\"kind\"", "\"knd\"");
    let e = parse_chart_str(&bad, Path::new("c.json")).unwrap_err().0;
    let first = &e[0];
    assert_eq!(
        (first.kind, first.line, first.key_path.as_str()),
        (ConfigErrorKind::UnknownKey, 0, "sources.a.knd")
    );
    assert_eq!(first.help.as_deref(), Some("did you mean `kind`?"));
}

#[test]
fn missing_file_is_an_io_error() {
    let errors = load_chart_file(Path::new("/nonexistent/chart.toml")).unwrap_err();
    let e = &errors.0[0];
    assert_eq!((e.kind, e.line), (ConfigErrorKind::Io, 0));
    assert!(
        e.message
            .starts_with("cannot read chart file `/nonexistent/chart.toml`: "),
        "{e}"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("check the path; a relative path starts from the current folder")
    );
}

// ---- helpers -------------------------------------------------------------------

#[test]
fn suggest_finds_typos_only() {
    assert_eq!(suggest("colr", ["color", "label"]), Some("color"));
    assert_eq!(suggest("drak", ["dark", "light"]), Some("dark"));
    assert_eq!(suggest("Dark", ["dark", "light"]), Some("dark"));
    assert_eq!(suggest("perod", ["offset", "period"]), Some("period"));
    assert_eq!(suggest("banana", ["dark", "light"]), None);
    assert_eq!(suggest("x", ["y"]), Some("y"));
    assert_eq!(suggest("xy", ["ab"]), None);
    assert_eq!(
        suggest("candlestik", ["line", "candlestick", "volume"]),
        Some("candlestick")
    );
    assert_eq!(suggest("anything", std::iter::empty()), None);
}

#[test]
fn parse_time_accepts_the_documented_formats() {
    let ny = chrono_tz::America::New_York;
    let s = 1_000_000_000_i64;
    assert_eq!(parse_time("2012-01-03", ny), Ok(1_325_566_800 * s));
    assert_eq!(parse_time("2012-01-03 09:30", ny), Ok(1_325_601_000 * s));
    assert_eq!(parse_time("2012-01-03 09:30:00", ny), Ok(1_325_601_000 * s));
    assert_eq!(parse_time("2012-01-03T09:30:00", ny), Ok(1_325_601_000 * s));
    assert_eq!(
        parse_time("2012-01-03 09:30:00.5", ny),
        Ok(1_325_601_000 * s + 500_000_000)
    );
    assert_eq!(
        parse_time("2012-01-03T14:30:00Z", ny),
        Ok(1_325_601_000 * s)
    );
    assert_eq!(
        parse_time("2012-01-03T09:30:00-05:00", chrono_tz::UTC),
        Ok(1_325_601_000 * s)
    );
    assert_eq!(
        parse_time("2012-01-03", chrono_tz::UTC),
        Ok(1_325_548_800 * s)
    );
    // Clocks set back: 01:30 happens twice; the first (EDT, UTC-4) is taken.
    assert_eq!(parse_time("2021-11-07 01:30", ny), Ok(1_636_263_000 * s));
    assert_eq!(
        parse_time("2021-03-14 02:30", ny),
        Err("`2021-03-14 02:30` does not exist in America/New_York: the clocks skip it (daylight saving time)".to_string())
    );
    assert_eq!(
        parse_time("yesterday", ny),
        Err("`yesterday` is not a date or time".to_string())
    );
    assert_eq!(
        parse_time("3000-01-01", ny),
        Err(
            "`3000-01-01` is outside the years 1677..2262 that nanosecond times can hold"
                .to_string()
        )
    );
}

// ---- schema file -----------------------------------------------------------------

#[test]
fn chart_schema_has_title_and_draft() {
    let schema = chart_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "gpu-charts chart");
    assert_eq!(schema["required"], json!(["sources", "panes"]));
    assert_eq!(schema["properties"]["sources"]["minProperties"], 1);
}

/// The committed `schemas/chart.schema.json` must match the types;
/// `UPDATE_SNAPSHOTS=1 cargo test` rewrites it.
#[test]
fn committed_schema_matches_the_types() {
    let generated = chart_schema_pretty();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(CHART_SCHEMA_FILE, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(CHART_SCHEMA_FILE).unwrap_or_default();
    assert!(
        committed == generated,
        "{CHART_SCHEMA_FILE} is out of date with the config types; \
         run `UPDATE_SNAPSHOTS=1 cargo test -p gpu-charts committed_schema` to rewrite it"
    );
}

#[test]
fn values_json_cannot_hold_are_located() {
    let all = errors(&format!(
        "{MINIMAL}width = nan\n[view]\nlast_bars = 99999999999999999999\n"
    ));
    let summary: Vec<(ConfigErrorKind, usize, &str, &str)> = all
        .iter()
        .map(|e| (e.kind, e.line, e.key_path.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                ConfigErrorKind::InvalidValue,
                8,
                "panes[0].series[0].width",
                "`nan` is not a finite number"
            ),
            (
                ConfigErrorKind::InvalidValue,
                10,
                "view.last_bars",
                "integer `99999999999999999999` is out of range"
            ),
        ]
    );
}
