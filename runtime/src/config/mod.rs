//! Chart files: loading, validation and located errors.
//!
//! A chart file is TOML (or JSON, if its name ends in `.json`). Loading runs
//! these steps and reports every problem of the first step that fails:
//!
//! 1. parse the text, keeping a [`SourceMap`] from key paths to spans;
//! 2. validate against the JSON Schema generated from [`ChartConfig`]
//!    ([`chart_schema`]), turning each violation into a [`ConfigError`] with
//!    line, column, key path and a `help:` (did you mean …?);
//! 3. deserialize into [`ChartConfig`];
//! 4. check what a schema cannot: the time zone, `view` times, unique ids,
//!    timeframes, `load` / `load_margin` against the view.
//!
//! Plugin parameters are validated later, once the plugins are loaded, with
//! [`validate_params`] and the chart's [`SourceMap`], so those errors are
//! located in the file too.

pub mod bytes;
mod checks;
mod error;
pub mod load;
mod schema;
mod source_map;
mod suggest;
mod time;
pub mod timeframe;
pub mod types;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigErrorKind, ConfigErrors, Snippet};
pub use load::{LoadMargin, load_range};
pub use schema::{apply_defaults, chart_schema, chart_schema_pretty, validate_params};
pub use source_map::{SourceFormat, SourceMap};
pub use suggest::suggest;
pub use time::{TIME_FORMATS_HELP, parse_time};
pub use types::*;

/// A chart file that parsed and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedChart {
    /// The chart.
    pub config: ChartConfig,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// The file's folder: relative paths in the chart are relative to it.
    pub base_dir: PathBuf,
    /// The file's text and spans, for located errors in later stages.
    pub source_map: SourceMap,
    /// `config.timezone`, parsed.
    pub timezone: chrono_tz::Tz,
    /// `config.view.start` as UTC nanoseconds, if given.
    pub view_start_ns: Option<i64>,
    /// `config.view.end` as UTC nanoseconds, if given.
    pub view_end_ns: Option<i64>,
    /// A timeframe chosen outside the file (the window's timeframe keys):
    /// `Some(Some(tf))` shows every source that holds bars or ticks at `tf`,
    /// `Some(None)` shows them as read; `None` follows the file.
    pub timeframe_override: Option<Option<timeframe::Timeframe>>,
    /// A view chosen outside the file (the window after a pan or zoom past
    /// what was loaded), as inclusive UTC ns: sources with `load = "view"`
    /// load it (plus their margin) instead of `view.start`..`view.end`.
    /// `None` follows the file.
    pub load_view: Option<(i64, i64)>,
}

/// Reads and validates a chart file. Errors name `path` as given.
pub fn load_chart_file(path: &Path) -> Result<LoadedChart, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let help = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; a relative path starts from the current folder"
            }
            std::io::ErrorKind::InvalidData => "save the file as UTF-8 text",
            _ => "check that the file exists and is readable",
        };
        ConfigError::unlocated(
            path,
            ConfigErrorKind::Io,
            format!("cannot read chart file `{}`: {e}", path.display()),
            Some(help.to_string()),
        )
    })?;
    parse_chart_str(&text, path)
}

/// Parses and validates chart text; `path` names the file in errors and
/// anchors relative paths (it need not exist). A `.json` path is read as JSON.
pub fn parse_chart_str(text: &str, path: &Path) -> Result<LoadedChart, ConfigErrors> {
    let is_json = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let (value, source_map) = if is_json {
        source_map::parse_json(path, text)?
    } else {
        source_map::parse_toml(path, text)?
    };
    schema::validate_chart(&value, &source_map).map_err(ConfigErrors::sorted)?;
    let config: ChartConfig = serde_json::from_value(value).map_err(|e| {
        // The schema is generated from these types, so this means they disagree.
        source_map.error_at(
            "",
            ConfigErrorKind::Schema,
            format!("the chart passed the schema but does not fit the chart types: {e}"),
            Some("this is a bug in gpu-charts; please report it with the chart file".to_string()),
        )
    })?;
    let checked = checks::check(&config, &source_map).map_err(ConfigErrors::sorted)?;
    // `absolute` only fails for an empty path; keep it as given then.
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(LoadedChart {
        config,
        path,
        base_dir,
        source_map,
        timezone: checked.timezone,
        view_start_ns: checked.view_start_ns,
        view_end_ns: checked.view_end_ns,
        timeframe_override: None,
        load_view: None,
    })
}
