//! Dependencies point one way: `plugins/* → plugin-api ← runtime`.
//! No plugin depends on the runtime, the runtime on no plugin crate, and
//! plugin-api on nothing at all.

mod common;

use std::path::Path;

fn deps(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut out = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(section).and_then(|v| v.as_table()) {
            out.extend(t.keys().cloned());
        }
    }
    out
}

#[test]
fn dependencies_point_one_way() {
    let repo = common::repo();
    let api = deps(&repo.join("plugin-api/Cargo.toml"));
    assert!(
        api.is_empty(),
        "plugin-api must stay dependency-free, has {api:?}"
    );

    let runtime = deps(&repo.join("runtime/Cargo.toml"));
    assert!(runtime.contains(&"gpu-charts-plugin-api".to_string()));
    let bad: Vec<&String> = runtime
        .iter()
        .filter(|d| d.starts_with("gpu-charts-plugin-") && *d != "gpu-charts-plugin-api")
        .collect();
    assert!(
        bad.is_empty(),
        "the runtime links plugin crates {bad:?}; it must find them on disk"
    );

    let mut plugins = 0;
    for entry in std::fs::read_dir(repo.join("plugins")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        plugins += 1;
        let d = deps(&manifest);
        assert!(
            d.contains(&"gpu-charts-plugin-api".to_string()),
            "{} must use plugin-api",
            manifest.display()
        );
        let bad: Vec<&String> = d
            .iter()
            .filter(|d| {
                *d == "gpu-charts"
                    || (d.starts_with("gpu-charts-plugin-") && *d != "gpu-charts-plugin-api")
            })
            .collect();
        assert!(bad.is_empty(), "{} depends on {bad:?}", manifest.display());
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("\"cdylib\""),
            "{} must build a loadable library",
            manifest.display()
        );
    }
    assert!(plugins >= 7, "found {plugins} plugin crates");
}
