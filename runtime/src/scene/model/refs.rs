//! References as chart files write them (`src.col`, `indicator`,
//! `indicator.output`) and the located help for one that names nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::{self, ChartConfig};
use crate::data::Table;

use super::ColumnData;

pub(super) fn hint(suggestion: Option<&str>, all: &[&str]) -> Option<String> {
    match suggestion {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None if !all.is_empty() => Some(format!("available: {}", all.join(", "))),
        None => None,
    }
}

/// Splits a reference `a.b` into (`a`, Some(`b`)), or (`a`, None).
pub(super) fn split_ref(r: &str) -> (&str, Option<&str>) {
    match r.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (r, None),
    }
}

/// Resolves `src.col`, `indicator` or `indicator.output` to a column.
pub(super) fn resolve_column(
    r: &str,
    by_name: &HashMap<String, ColumnData>,
    tables: &BTreeMap<String, Arc<Table>>,
    cfg: &ChartConfig,
) -> Result<ColumnData, (String, Option<String>)> {
    if let Some(c) = by_name.get(r) {
        return Ok(c.clone());
    }
    let (head, tail) = split_ref(r);
    if let Some(t) = tables.get(head) {
        let names: Vec<&str> = t.names.iter().map(String::as_str).collect();
        return Err(match tail {
            Some(col) => (
                format!("source `{head}` has no column `{col}`"),
                hint(config::suggest(col, names.iter().copied()), &names),
            ),
            None => (
                format!("`{head}` is a source, not a column"),
                Some(format!(
                    "name a column, e.g. `{head}.{}`",
                    names.first().unwrap_or(&"close")
                )),
            ),
        });
    }
    let mut known: Vec<&str> = tables.keys().map(String::as_str).collect();
    known.extend(cfg.indicators.iter().map(|i| i.id.as_str()));
    let help = hint(config::suggest(head, known.iter().copied()), &known);
    Err((format!("`{r}` names no source column or indicator"), help))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_chart_str;

    #[test]
    fn split_ref_splits_at_the_first_dot() {
        assert_eq!(split_ref("aapl.close"), ("aapl", Some("close")));
        assert_eq!(split_ref("sma20"), ("sma20", None));
        assert_eq!(split_ref("bb.upper.x"), ("bb", Some("upper.x")));
    }

    #[test]
    fn hint_suggests_or_lists() {
        assert_eq!(
            hint(Some("close"), &["close"]).as_deref(),
            Some("did you mean `close`?")
        );
        assert_eq!(hint(None, &["a", "b"]).as_deref(), Some("available: a, b"));
        assert_eq!(hint(None, &[]), None);
    }

    fn setup() -> (
        BTreeMap<String, Arc<Table>>,
        HashMap<String, ColumnData>,
        ChartConfig,
    ) {
        let t = Table::from_raw(
            "aapl",
            vec!["close".into(), "volume".into()],
            vec![1, 2],
            vec![vec![1.0, 2.0], vec![5.0, 6.0]],
        )
        .unwrap();
        let t = Arc::new(t);
        let mut by_name = HashMap::new();
        by_name.insert(
            "aapl.close".to_string(),
            ColumnData {
                timeline: t.timeline.clone(),
                column: t.columns[0].clone(),
            },
        );
        let text = r#"
[sources.aapl]
kind = "csv"
[[indicators]]
id = "sma20"
kind = "sma"
input = "aapl.close"
[[panes]]
[[panes.series]]
type = "line"
data = "sma20"
"#;
        let cfg = parse_chart_str(text, std::path::Path::new("c.toml"))
            .unwrap()
            .config;
        (BTreeMap::from([("aapl".to_string(), t)]), by_name, cfg)
    }

    #[test]
    fn resolve_column_finds_known_columns() {
        let (tables, by_name, cfg) = setup();
        let c = resolve_column("aapl.close", &by_name, &tables, &cfg).unwrap();
        assert_eq!(&c.column.values[..], &[1.0, 2.0]);
    }

    #[test]
    fn resolve_column_explains_what_is_wrong() {
        let (tables, by_name, cfg) = setup();
        let (msg, help) = resolve_column("aapl.clse", &by_name, &tables, &cfg).unwrap_err();
        assert_eq!(msg, "source `aapl` has no column `clse`");
        assert_eq!(help.as_deref(), Some("did you mean `close`?"));
        let (msg, help) = resolve_column("aapl", &by_name, &tables, &cfg).unwrap_err();
        assert_eq!(msg, "`aapl` is a source, not a column");
        assert_eq!(help.as_deref(), Some("name a column, e.g. `aapl.close`"));
        let (msg, help) = resolve_column("sma2", &by_name, &tables, &cfg).unwrap_err();
        assert_eq!(msg, "`sma2` names no source column or indicator");
        assert_eq!(help.as_deref(), Some("did you mean `sma20`?"));
    }
}
