//! Dependencies point one way: `plugins/* → plugin-api ← runtime`.
//! No plugin depends on the runtime, the runtime on no plugin crate, and
//! plugin-api on nothing at all. The one exception under `plugins/` is the
//! kit (`plugins/kit`, `gpu-charts-plugin-kit`): an rlib of helpers that
//! plugins may link; it depends on plugin-api only among the project's
//! crates, is not loadable, and the runtime does not link it either.

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

    let kit_dir = repo.join("plugins/kit");
    let kit_manifest = kit_dir.join("Cargo.toml");
    let kit = deps(&kit_manifest);
    assert!(
        kit.contains(&"gpu-charts-plugin-api".to_string()),
        "the plugin kit must build on plugin-api, has {kit:?}"
    );
    let bad: Vec<&String> = kit
        .iter()
        .filter(|d| {
            *d == "gpu-charts"
                || (d.starts_with("gpu-charts-plugin-") && *d != "gpu-charts-plugin-api")
        })
        .collect();
    assert!(
        bad.is_empty(),
        "the plugin kit depends on {bad:?}; it may use plugin-api only"
    );
    let kit_doc: toml::Table =
        toml::from_str(&std::fs::read_to_string(&kit_manifest).unwrap()).unwrap();
    assert_eq!(
        kit_doc["package"]["name"].as_str(),
        Some("gpu-charts-plugin-kit"),
        "plugins/kit must be the gpu-charts-plugin-kit crate"
    );
    let kit_types = kit_doc
        .get("lib")
        .and_then(|l| l.get("crate-type"))
        .and_then(|t| t.as_array())
        .expect("plugins/kit sets [lib] crate-type");
    assert!(
        kit_types.iter().all(|t| t.as_str() == Some("rlib")),
        "the plugin kit is linked into plugins, never loaded: rlib only, has {kit_types:?}"
    );

    let mut plugins = 0;
    for entry in std::fs::read_dir(repo.join("plugins")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() || dir == kit_dir {
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
                    || (d.starts_with("gpu-charts-plugin-")
                        && *d != "gpu-charts-plugin-api"
                        && *d != "gpu-charts-plugin-kit")
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
