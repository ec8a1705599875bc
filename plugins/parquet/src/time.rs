//! `from` / `to` params: the same formats as the chart file's `view.start`,
//! parsed by the plugin kit (`gpu_charts_plugin_kit::time`, shared by source
//! plugins; a plugin cannot link the runtime's `config::time`).

pub(crate) use gpu_charts_plugin_kit::time::{format_utc, parse_time};

/// The accepted formats, for help lines.
pub(crate) const FORMATS_HELP: &str = "write `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (in `timezone`) \
     or RFC 3339 with an offset, e.g. `2012-01-03T09:30:00-05:00`";
