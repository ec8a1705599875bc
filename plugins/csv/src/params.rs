//! The params table and the presets for terminal exports.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::CsvError;
use crate::time::TimeFormat;

/// How decimals are written in the value columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Decimal {
    /// Comma when the delimiter is not `,` and the first data row has a
    /// value like `12,5`; point otherwise.
    #[default]
    Auto,
    /// `12.5`.
    Point,
    /// `12,5` (ru/de/fr Excel exports).
    Comma,
}

/// Settings for the exports of a known program; any key set in the params
/// wins over the preset's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Preset {
    /// Finam "Export quotes": `<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,…,<VOL>`,
    /// `YYYYMMDD` + `HHMMSS`, Moscow time.
    #[serde(rename = "finam")]
    Finam,
    /// QUIK archive / chart exports in the Finam layout; delimiter
    /// (`,` or `;`) and decimal mark detected; Moscow time.
    #[serde(rename = "quik")]
    Quik,
    /// MetaTrader 5 "Export bars": tab-separated `<DATE> <TIME> <OPEN> …
    /// <TICKVOL> <VOL> <SPREAD>`, `YYYY.MM.DD` + `HH:MM:SS`; volume is
    /// `<TICKVOL>` (real volume is 0 for most forex symbols).
    #[serde(rename = "mt5")]
    Mt5,
    /// Excel in ru/de/fr locales: `;`, decimal comma, `DD.MM.YYYY[ HH:MM[:SS]]`.
    #[serde(rename = "excel-eu")]
    ExcelEu,
}

/// The params table, as the host validated it (see [`crate::PARAMS_SCHEMA`]).
/// Unset keys are `None`: they take the preset's value, else the default
/// or what is detected from the file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The file, relative to the chart file's folder.
    pub path: String,
    /// Settings for a known export.
    #[serde(default)]
    pub preset: Option<Preset>,
    /// Keep only rows whose symbol column equals this.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Read by the host (for scripts), not by this plugin.
    #[serde(default)]
    pub class_code: Option<String>,
    /// Header of the symbol column (default `Ticker`).
    #[serde(default)]
    pub symbol_column: Option<String>,
    /// Header of the time (or date) column (default: detected).
    #[serde(default)]
    pub time_column: Option<String>,
    /// Header of a separate time-of-day column (default: detected).
    #[serde(default)]
    pub time_of_day_column: Option<String>,
    /// How times are written (default: detected).
    #[serde(default)]
    pub time_format: Option<TimeFormat>,
    /// IANA timezone of times without an offset (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Output column name -> CSV header.
    #[serde(default)]
    pub columns: Option<BTreeMap<String, String>>,
    /// Field separator, one ASCII character (default: detected).
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Decimal mark (default: detected).
    #[serde(default)]
    pub decimal: Option<Decimal>,
}

impl Params {
    /// Params reading `path` with every other key unset.
    pub fn new(path: impl Into<String>) -> Params {
        Params {
            path: path.into(),
            ..Params::default()
        }
    }

    /// Parses the params JSON the host passes to `open`.
    pub fn from_json(json: &str) -> Result<Params, CsvError> {
        serde_json::from_str(json).map_err(|e| {
            CsvError::params(format!("csv: invalid params: {e}"))
                .with_help("see `gpu-charts schema csv` for the accepted keys; `path` is required")
        })
    }

    /// These params with the preset's values filled in where unset.
    pub fn with_preset(&self) -> Params {
        let mut p = self.clone();
        let Some(preset) = self.preset else {
            return p;
        };
        let set = |slot: &mut Option<String>, value: &str| {
            slot.get_or_insert_with(|| value.to_string());
        };
        match preset {
            Preset::Finam | Preset::Quik => {
                if preset == Preset::Finam {
                    set(&mut p.delimiter, ",");
                    p.decimal.get_or_insert(Decimal::Point);
                }
                p.time_format.get_or_insert(TimeFormat::Yyyymmdd);
                set(&mut p.time_column, "<DATE>");
                set(&mut p.time_of_day_column, "<TIME>");
                set(&mut p.timezone, "Europe/Moscow");
                set(&mut p.symbol_column, "<TICKER>");
            }
            Preset::Mt5 => {
                set(&mut p.delimiter, "\t");
                p.decimal.get_or_insert(Decimal::Point);
                p.time_format.get_or_insert(TimeFormat::YyyyMmDdDot);
                set(&mut p.time_column, "<DATE>");
                set(&mut p.time_of_day_column, "<TIME>");
                p.columns.get_or_insert_with(|| {
                    [
                        ("open", "<OPEN>"),
                        ("high", "<HIGH>"),
                        ("low", "<LOW>"),
                        ("close", "<CLOSE>"),
                        ("volume", "<TICKVOL>"),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
                });
            }
            Preset::ExcelEu => {
                set(&mut p.delimiter, ";");
                p.decimal.get_or_insert(Decimal::Comma);
                p.time_format.get_or_insert(TimeFormat::DdMmYyyyDot);
            }
        }
        p
    }
}
