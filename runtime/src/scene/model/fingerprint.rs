//! Indicator fingerprints: what an indicator's outputs depend on, hashed,
//! so a rebuild through the same cache reuses outputs whose definition and
//! inputs did not change.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::config::LoadedChart;

use super::refs::split_ref;

/// What an indicator's outputs depend on, as a string: its plugin or the
/// contents of its script and of the `.lua` files beside it (the modules it
/// may `require`), its params, the script limits, and the identity of each
/// input (a source's cache key, or the fingerprint of the indicator it
/// reads). Equal fingerprints within one session give equal outputs.
pub(super) fn fingerprint(
    loaded: &LoadedChart,
    i: usize,
    source_keys: &BTreeMap<String, String>,
    fingerprints: &HashMap<String, String>,
) -> String {
    use std::hash::{Hash, Hasher};
    let ind = &loaded.config.indicators[i];
    let mut h = std::hash::DefaultHasher::new();
    match (&ind.kind, &ind.script) {
        (Some(kind), _) => ("plugin", kind).hash(&mut h),
        (None, Some(script)) => {
            let file = loaded.base_dir.join(script);
            ("script", &file).hash(&mut h);
            std::fs::read(&file).ok().hash(&mut h);
            // A QUIK script may read any source by tag.
            for key in source_keys.values() {
                key.hash(&mut h);
            }
            let cfg = &loaded.config.script_limits;
            (
                cfg.memory_mb,
                cfg.memory_bytes_per_bar,
                cfg.instructions_per_bar,
                cfg.instructions_base,
            )
                .hash(&mut h);
            if let Some(dir) = file.parent() {
                for d in crate::script::module_dirs(dir) {
                    let Ok(entries) = std::fs::read_dir(&d) else {
                        continue;
                    };
                    let mut mods: Vec<PathBuf> = entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "lua") && *p != file)
                        .collect();
                    mods.sort();
                    for m in mods {
                        (&m, std::fs::read(&m).ok()).hash(&mut h);
                    }
                }
            }
        }
        (None, None) => "none".hash(&mut h),
    }
    ind.params.to_string().hash(&mut h);
    let input_id = |r: &str| {
        let head = split_ref(r).0;
        let of = source_keys
            .get(head)
            .or_else(|| fingerprints.get(head))
            .map_or("", String::as_str);
        format!("{r}@{of}")
    };
    ind.input.as_deref().map(input_id).hash(&mut h);
    for (name, r) in &ind.inputs {
        (name, input_id(r)).hash(&mut h);
    }
    format!("{}#{:016x}", ind.id, h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_chart_str;

    const CHART: &str = r##"
[sources.s]
kind = "csv"
params = { path = "x.csv" }

[[indicators]]
id = "fast"
kind = "sma"
input = "s.close"
params = { period = 10 }

[[indicators]]
id = "slow"
kind = "sma"
input = "fast"
params = { period = 20 }

[[indicators]]
id = "lua"
script = "ind.lua"
input = "s"

[[panes]]
[[panes.series]]
type = "line"
data = "fast"
color = "#ff0000"
"##;

    /// Fingerprints of every indicator, in file order (which is a
    /// dependency order here), of `text` saved in `dir`.
    fn fps(dir: &std::path::Path, text: &str, source_key: &str) -> Vec<String> {
        let loaded = parse_chart_str(text, &dir.join("chart.toml")).unwrap();
        let keys = BTreeMap::from([("s".to_string(), source_key.to_string())]);
        let mut done = HashMap::new();
        (0..loaded.config.indicators.len())
            .map(|i| {
                let fp = fingerprint(&loaded, i, &keys, &done);
                done.insert(loaded.config.indicators[i].id.clone(), fp.clone());
                fp
            })
            .collect()
    }

    #[test]
    fn equal_definitions_give_equal_fingerprints_and_styling_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ind.lua"), "-- v1").unwrap();
        let a = fps(dir.path(), CHART, "k");
        assert_eq!(a, fps(dir.path(), CHART, "k"));
        let recoloured = CHART.replace("#ff0000", "#00ff00");
        assert_eq!(a, fps(dir.path(), &recoloured, "k"));
        assert!(a[0].starts_with("fast#"), "{}", a[0]);
    }

    #[test]
    fn a_param_edit_changes_that_indicator_and_its_dependents_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ind.lua"), "-- v1").unwrap();
        let a = fps(dir.path(), CHART, "k");
        let b = fps(
            dir.path(),
            &CHART.replace("period = 10", "period = 11"),
            "k",
        );
        assert_ne!(a[0], b[0], "the edited indicator");
        assert_ne!(a[1], b[1], "reads the edited one");
        assert_eq!(a[2], b[2], "reads only the source");
    }

    #[test]
    fn a_source_change_changes_everything_on_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ind.lua"), "-- v1").unwrap();
        let a = fps(dir.path(), CHART, "k");
        let b = fps(dir.path(), CHART, "k2");
        for (x, y) in a.iter().zip(&b) {
            assert_ne!(x, y);
        }
    }

    #[test]
    fn script_and_module_edits_change_the_script_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ind.lua"), "-- v1").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("lib/util.lua"), "-- m1").unwrap();
        let a = fps(dir.path(), CHART, "k");
        std::fs::write(dir.path().join("ind.lua"), "-- v2").unwrap();
        let b = fps(dir.path(), CHART, "k");
        assert_ne!(a[2], b[2], "script edit");
        assert_eq!(a[..2], b[..2], "plugin indicators do not read scripts");
        std::fs::write(dir.path().join("lib/util.lua"), "-- m2").unwrap();
        let c = fps(dir.path(), CHART, "k");
        assert_ne!(b[2], c[2], "module edit below the script's folder");
        // Another chart file beside it is not a module.
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert_eq!(c, fps(dir.path(), CHART, "k"));
    }

    #[test]
    fn script_limits_are_part_of_a_script_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ind.lua"), "-- v1").unwrap();
        let a = fps(dir.path(), CHART, "k");
        let limited = format!("[script_limits]\ninstructions_per_bar = 777\n{CHART}");
        let b = fps(dir.path(), &limited, "k");
        assert_ne!(a[2], b[2]);
        assert_eq!(a[0], b[0]);
    }
}
