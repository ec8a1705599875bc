//! A Rust plugin that panics (tests/fixtures/panic-plugin, built here with
//! cargo): the panic is caught inside the plugin by the export macro, comes
//! back as `PluginError::Panicked` naming plugin and item, and the host,
//! the plugin and other plugins keep working.

mod plugin_support;

use gpu_charts::plugins::{ItemKind, PluginError, PluginRegistry};
use plugin_support::{build_c_plugin, panic_fixture_dir};

#[test]
fn a_panicking_plugin_is_an_error_and_the_host_keeps_working() {
    let (mut registry, errors) = PluginRegistry::discover(&[panic_fixture_dir().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(registry.names(ItemKind::Plugin), ["panic_fixture"]);

    let panicking = registry.indicator("panic_now").expect("panic_now").clone();
    let mut state = panicking.create("{}").expect("create");
    let expected = PluginError::Panicked {
        kind: ItemKind::Indicator,
        plugin: "panic_fixture".into(),
        item: "panic_now".into(),
        message: "compute exploded on purpose after 2 rows".into(),
    };
    assert_eq!(state.compute_all(&[&[1.0, 2.0]]), Err(expected.clone()));
    assert_eq!(
        expected.to_string(),
        "indicator `panic_now` of plugin `panic_fixture` panicked: compute exploded on purpose after 2 rows\n\
         help: this is a bug in plugin `panic_fixture`; report it to its author (gpu-charts caught the panic and \
         keeps running)"
    );
    // The same state again, and a fresh one: still an error, not an abort.
    assert_eq!(state.compute_all(&[&[1.0, 2.0]]), Err(expected.clone()));
    drop(state);
    assert_eq!(
        panicking
            .create("{}")
            .expect("create")
            .compute_all(&[&[1.0, 2.0]]),
        Err(expected)
    );

    // The same library keeps working.
    let mut calm = registry
        .indicator("calm_copy")
        .expect("calm_copy")
        .create("{}")
        .expect("create");
    assert_eq!(
        calm.compute_all(&[&[1.5, -3.0]]).expect("calm_copy"),
        vec![vec![1.5, -3.0]]
    );

    let base = tempfile::tempdir().expect("tempdir");
    let err = registry
        .source("panic_open")
        .expect("panic_open")
        .open("{}", base.path())
        .expect_err("panics");
    assert_eq!(
        err,
        PluginError::Panicked {
            kind: ItemKind::Source,
            plugin: "panic_fixture".into(),
            item: "panic_open".into(),
            message: format!("open exploded on purpose in {}", base.path().display()),
        }
    );

    // And another plugin still loads and runs next to it.
    let c_dir = tempfile::tempdir().expect("tempdir");
    build_c_plugin("example_plugin.c", &[], c_dir.path(), "gc_c_plugin");
    let mut errors = Vec::new();
    registry.scan_dir(c_dir.path(), &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    let mut double = registry
        .indicator("c_double")
        .expect("c_double")
        .create("{}")
        .expect("create");
    assert_eq!(
        double.compute_all(&[&[21.0]]).expect("c_double"),
        vec![vec![42.0]]
    );
}
