//! Dependency order of indicators: every input computed first; a cycle is
//! a located error naming the indicators on it.

use std::collections::HashMap;

use crate::config::{ChartConfig, ConfigErrorKind, ConfigErrors};

use super::Builder;
use super::refs::split_ref;

/// For each indicator, the indicators it reads (by index; references to
/// sources are not dependencies).
pub(super) fn indicator_deps(cfg: &ChartConfig) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = cfg
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.id.as_str(), i))
        .collect();
    cfg.indicators
        .iter()
        .map(|ind| {
            ind.input
                .iter()
                .chain(ind.inputs.values())
                .filter_map(|r| index.get(split_ref(r).0).copied())
                .collect()
        })
        .collect()
}

/// A topological order of `deps` (each node after what it depends on; ties
/// in index order), or the first cycle found: the nodes on it, the first
/// repeated at the end.
pub(super) fn dependency_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; deps.len()];
    let mut order = Vec::new();
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                let start = stack.iter().position(|&j| j == i).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(i);
        for &d in &deps[i] {
            visit(d, deps, state, stack, order)?;
        }
        stack.pop();
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..deps.len() {
        let mut stack = Vec::new();
        visit(i, deps, &mut state, &mut stack, &mut order)?;
    }
    Ok(order)
}

/// Orders indicators so every input is computed first; a cycle is an error
/// at the first indicator's `input`/`inputs` naming every one on it.
pub(super) fn indicator_order(b: &mut Builder<'_>) -> Result<Vec<usize>, ConfigErrors> {
    let cfg = &b.loaded.config;
    let cycle = match dependency_order(&indicator_deps(cfg)) {
        Ok(order) => return Ok(order),
        Err(cycle) => cycle,
    };
    let names: Vec<&str> = cycle
        .iter()
        .map(|&j| cfg.indicators[j].id.as_str())
        .collect();
    let first = cycle[0];
    let key = if cfg.indicators[first].input.is_some() {
        format!("indicators[{first}].input")
    } else {
        format!("indicators[{first}].inputs")
    };
    let message = format!(
        "indicators depend on each other in a cycle: {}",
        names.join(" → ")
    );
    Err(b.fail(
        &key,
        ConfigErrorKind::Reference,
        message,
        Some("an indicator cannot use its own output, directly or through others".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_chart_str;

    #[test]
    fn inputs_come_first_and_ties_keep_file_order() {
        // 0 reads 2, 2 reads 1, 3 reads nothing.
        let deps = vec![vec![2], vec![], vec![1], vec![]];
        assert_eq!(dependency_order(&deps), Ok(vec![1, 2, 0, 3]));
    }

    #[test]
    fn a_cycle_lists_its_members_once_around() {
        let deps = vec![vec![], vec![2], vec![3], vec![1]];
        assert_eq!(dependency_order(&deps), Err(vec![1, 2, 3, 1]));
        assert_eq!(dependency_order(&[vec![0]]), Err(vec![0, 0]));
    }

    const CHART: &str = r#"
[sources.s]
kind = "csv"
params = { path = "x.csv" }

[[indicators]]
id = "a"
kind = "sma"
input = "b"

[[indicators]]
id = "b"
kind = "sma"
inputs = { source = "c.value" }

[[indicators]]
id = "c"
kind = "sma"
input = "s.close"

[[panes]]
[[panes.series]]
type = "line"
data = "a"
"#;

    #[test]
    fn deps_follow_input_and_inputs_but_not_sources() {
        let loaded = parse_chart_str(CHART, std::path::Path::new("chart.toml")).unwrap();
        assert_eq!(
            indicator_deps(&loaded.config),
            vec![vec![1], vec![2], vec![]]
        );
    }

    #[test]
    fn a_cycle_is_a_located_reference_error_naming_each_indicator() {
        let text = CHART.replace("input = \"s.close\"", "input = \"a\"");
        let loaded = parse_chart_str(&text, std::path::Path::new("chart.toml")).unwrap();
        let mut b = Builder {
            loaded: &loaded,
            map: &loaded.source_map,
            errors: Vec::new(),
        };
        let e = indicator_order(&mut b).unwrap_err();
        assert_eq!(e.0.len(), 1);
        let e = &e.0[0];
        assert_eq!(e.kind, ConfigErrorKind::Reference);
        assert!(e.message.contains("cycle: a → b → c → a"), "{}", e.message);
        assert_eq!(e.key_path, "indicators[0].input");
        assert!(e.line > 0, "located in the file");
    }
}
