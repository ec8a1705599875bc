//! Plugin hot reload: a rebuilt plugin library is really loaded (from a
//! private copy) in place of the old one, a broken or panicking new version
//! is rejected with the loader's error while the old version keeps working,
//! handles keep their library alive, and the private copies are removed.
//!
//! Reloads are triggered with `LiveSession::reload` rather than by waiting
//! for file events, so nothing here depends on timing.

mod plugin_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gpu_charts::config::ConfigErrorKind;
use gpu_charts::live::{Generation, LiveOptions, LiveSession, Reload, ReloadFailure};
use gpu_charts::plugins::{
    LoadMode, LoadedPlugin, PluginError, PluginRegistry, private_copies_dir, remove_stale,
};
use gpu_charts::render::Error;
use gpu_charts::scene::build_frame;
use gpu_charts_plugin_api::ABI_VERSION;
use plugin_support::{build_c_plugin, dylib_name};

const ROWS: usize = 50;

const CHART: &str = r#"title = "reload"
size = [320, 200]
x_axis = "time"
plugins = ["plugins"]

[sources.r]
kind = "c_ramp"
params = { rows = 50 }

[[indicators]]
id = "dbl"
kind = "c_double"
input = "r.value"

[[panes]]
[[panes.series]]
type = "c_marker"
data = "dbl"
"#;

/// A chart using the C example plugin from `<dir>/plugins/<lib>`, and a
/// separate folder where plugin variants are compiled.
struct Fixture {
    /// Kept for its lifetime: the chart and plugin folder live in it.
    _dir: tempfile::TempDir,
    builds: tempfile::TempDir,
    stem: String,
    lib: PathBuf,
    chart: PathBuf,
}

impl Fixture {
    /// `stem`: the library's stem, unique per test (copies are counted by it).
    fn new(stem: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        let chart = dir.path().join("chart.toml");
        std::fs::write(&chart, CHART).unwrap();
        let lib = plugins.join(dylib_name(stem));
        let fixture = Fixture {
            _dir: dir,
            builds: tempfile::tempdir().unwrap(),
            stem: stem.to_string(),
            lib,
            chart,
        };
        fixture.install(&fixture.variant("v1", "example_plugin.c", &[]));
        fixture
    }

    /// Compiles a variant of a C test plugin and returns its bytes.
    fn variant(&self, name: &str, source: &str, defines: &[&str]) -> Vec<u8> {
        let out = build_c_plugin(source, defines, self.builds.path(), name);
        std::fs::read(out).unwrap()
    }

    /// Writes `bytes` over the plugin library in place (same file, same
    /// inode where the platform has them): the worst case for a library
    /// that is loaded straight from its file.
    fn install(&self, bytes: &[u8]) {
        std::fs::write(&self.lib, bytes).unwrap();
    }

    /// The library's canonical path, as plugin errors and dependencies name it.
    fn lib_path(&self) -> PathBuf {
        std::fs::canonicalize(&self.lib).unwrap()
    }

    /// The private copies of this fixture's library that exist now.
    fn copies(&self) -> Vec<PathBuf> {
        let prefix = format!("{}{}-", std::env::consts::DLL_PREFIX, self.stem);
        let Some(dir) = private_copies_dir() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut copies: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
            })
            .collect();
        copies.sort();
        copies
    }

    fn open(&self) -> LiveSession {
        let options = LiveOptions {
            debounce: Duration::from_millis(50),
            watch_shaders: false,
            print_errors: false,
            ..LiveOptions::default()
        };
        LiveSession::open(&self.chart, options).expect("the first version loads")
    }

    /// Reloads as the watcher does when the library changed.
    fn reload(&self, live: &mut LiveSession) -> Reload {
        live.reload(vec![self.lib_path()], true)
    }
}

/// The values of column `name` of a generation.
fn column(generation: &Generation, name: &str) -> Vec<f64> {
    let col = generation
        .model
        .columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column `{name}`"));
    col.data.column.values.to_vec()
}

/// `factor * i` for every row of the ramp.
fn ramp_times(factor: f64) -> Vec<f64> {
    (0..ROWS).map(|i| factor * i as f64).collect()
}

fn published(r: Reload) -> Arc<Generation> {
    match r {
        Reload::Published(g) => g,
        Reload::Failed(f) => panic!("reload failed: {f}"),
    }
}

fn failed(r: Reload) -> Arc<ReloadFailure> {
    match r {
        Reload::Failed(f) => f,
        Reload::Published(g) => panic!("generation {} published", g.number),
    }
}

/// The located chart errors of a failure.
fn config_errors(f: &ReloadFailure) -> Vec<gpu_charts::config::ConfigError> {
    match &f.error {
        Error::Config(errors) => errors.0.clone(),
        other => panic!("not a chart error: {other}"),
    }
}

/// Frames the generation's model (CPU side of rendering) and checks the
/// marker series is drawn with values up to `max` (and not beyond it).
fn assert_frames(generation: &Generation, max: f64) {
    let model = &generation.model;
    let frame = build_frame(model, model.initial_view, [320, 200], 1.0);
    assert_eq!(frame.series.len(), 1);
    assert_eq!(frame.series[0].spec.name, "c_marker");
    let pane = frame.panes[0];
    let (top, bottom) = (pane.plot[1], pane.plot[1] + pane.plot[3]);
    let inside = |v: f64| (top..=bottom).contains(&pane.y_of(v));
    assert!(inside(max) && inside(0.0), "{max} outside the pane");
    assert!(!inside(max * 1.4), "the value axis reaches past {max}");
}

#[test]
fn a_rebuilt_plugin_is_really_loaded_and_old_generations_keep_working() {
    let fx = Fixture::new("gc_reload_good");
    let v2 = fx.variant(
        "v2",
        "example_plugin.c",
        &["GC_TEST_FACTOR=3.0", "GC_TEST_VERSION=\"2.0.0\""],
    );
    let mut live = fx.open();
    let config = live.config();
    let first = config.current();
    assert_eq!(first.number, 1);
    assert_eq!(column(&first, "dbl"), ramp_times(2.0));
    // The watcher would treat an event on the library as a plugin change:
    // the dependency is the user's file, never the private copy.
    assert!(live.dependencies().is_plugin(&fx.lib_path()));
    assert!(
        first.sources.contains(&fx.lib_path()),
        "{:?}",
        first.sources
    );
    let copies_v1 = fx.copies();
    assert_eq!(copies_v1.len(), 1, "{copies_v1:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = private_copies_dir().expect("copies exist");
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
    }

    // Overwrite the library in place with v2 and reload.
    fx.install(&v2);
    let second = published(fx.reload(&mut live));
    assert_eq!(second.number, 2);
    assert_eq!(config.generation(), 2);
    assert_eq!(column(&second, "dbl"), ramp_times(3.0));
    assert_eq!(second.changed, vec![fx.lib_path()]);
    assert!(config.last_error().is_none());
    // Only the new copy is left: the old session went with its library.
    let copies_v2 = fx.copies();
    assert_eq!(copies_v2.len(), 1, "{copies_v2:?}");
    assert_ne!(copies_v1, copies_v2);
    assert!(!copies_v1[0].exists());

    // The old generation is plain data: it still holds v1's values and frames.
    assert_eq!(column(&first, "dbl"), ramp_times(2.0));
    assert_frames(&first, 2.0 * (ROWS - 1) as f64);
    assert_frames(&second, 3.0 * (ROWS - 1) as f64);

    // A chart-only edit keeps using v2 (no reload of plugins, no new copy).
    std::fs::write(&fx.chart, CHART.replace("\"reload\"", "\"edited\"")).unwrap();
    let third = published(live.reload(vec![fx.chart.clone()], false));
    assert_eq!(third.model.config.title.as_deref(), Some("edited"));
    assert_eq!(column(&third, "dbl"), ramp_times(3.0));
    assert_eq!(fx.copies(), copies_v2);

    // Back to v1 (same bytes as the first version, new file times).
    fx.install(&fx.variant("v1again", "example_plugin.c", &[]));
    let fourth = published(fx.reload(&mut live));
    assert_eq!(column(&fourth, "dbl"), ramp_times(2.0));

    drop(live);
    drop((first, second, third, fourth, config));
    assert_eq!(fx.copies(), Vec::<PathBuf>::new());
}

/// Checks a rejected reload: generation 1 stays current, computes and
/// frames as before, and the error is kept as the last error.
fn assert_rejected(live: &LiveSession, failure: &ReloadFailure) {
    let config = live.config();
    assert_eq!(failure.kept, 1);
    assert_eq!(config.generation(), 1);
    let last = config.last_error().expect("the failure is kept");
    assert_eq!(last.error.to_string(), failure.error.to_string());
    let current = config.current();
    assert_eq!(column(&current, "dbl"), ramp_times(2.0));
    assert_frames(&current, 2.0 * (ROWS - 1) as f64);
    // The private copy of the rejected version is gone again; the old one stays.
    let copies_dir = private_copies_dir().expect("v1's copy is alive");
    assert!(
        !failure
            .error
            .to_string()
            .contains(&*copies_dir.to_string_lossy()),
        "the error names the private copy: {}",
        failure.error
    );
}

#[test]
fn a_broken_new_version_is_rejected_with_the_loader_error_and_the_old_one_keeps_working() {
    // Not named like a plugin: discovery skips its failures silently, so the
    // reload must ask the loader itself why the library does not load.
    let fx = Fixture::new("gc_reload_broken");
    let mut live = fx.open();
    let copies_v1 = fx.copies();
    assert_eq!(copies_v1.len(), 1);
    let lib = fx.lib_path();

    // Garbage bytes: not a library (refused before dlopen).
    fx.install(b"this is not a shared library, just text that happens to be here");
    let failure = failed(fx.reload(&mut live));
    match failure.plugin_errors.as_slice() {
        [PluginError::Corrupt { path, reason }] => {
            assert_eq!(path, &lib);
            assert!(
                reason.starts_with("is not a complete object file"),
                "{reason}"
            );
        }
        other => panic!("{other:#?}"),
    }
    let errors = config_errors(&failure);
    assert_eq!(errors[0].kind, ConfigErrorKind::Plugin);
    assert_eq!(errors[0].file, fx.chart);
    assert!(
        errors[0].message.starts_with(&format!(
            "truncated or corrupt library `{}`: ",
            lib.display()
        )),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0]
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("rebuild the plugin")),
        "{:?}",
        errors[0].help
    );
    // The chart's own errors follow: its items are gone with the library.
    assert!(
        errors[1..]
            .iter()
            .any(|e| e.message.starts_with("unknown source `c_ramp`")),
        "{}",
        failure.error
    );
    assert_rejected(&live, &failure);
    assert_eq!(fx.copies(), copies_v1);

    // A library built for another ABI version.
    fx.install(&fx.variant("abi99", "bad_abi.c", &[]));
    let failure = failed(fx.reload(&mut live));
    assert_eq!(
        failure.plugin_errors,
        vec![PluginError::AbiMismatch {
            path: lib.clone(),
            found: 99,
            expected: ABI_VERSION,
        }]
    );
    let errors = config_errors(&failure);
    assert!(
        errors[0].message.starts_with(&format!(
            "plugin file `{}` was built for plugin ABI 99.x",
            lib.display()
        )),
        "{}",
        errors[0].message
    );
    assert_rejected(&live, &failure);
    assert_eq!(fx.copies(), copies_v1);

    // A library without the entry symbol.
    fx.install(&fx.variant("noentry", "no_entry.c", &[]));
    let failure = failed(fx.reload(&mut live));
    assert_eq!(
        failure.plugin_errors,
        vec![PluginError::MissingSymbol {
            path: lib.clone(),
            symbol: "gpu_charts_plugin_entry".into(),
        }]
    );
    assert_rejected(&live, &failure);

    // A descriptor that breaks the contract (the entry point returns NULL).
    fx.install(&fx.variant("nulldesc", "bad_descriptor.c", &["BAD_KIND=4"]));
    let failure = failed(fx.reload(&mut live));
    match failure.plugin_errors.as_slice() {
        [PluginError::BadDescriptor { path, plugin, .. }] => {
            assert_eq!((path, plugin), (&lib, &None));
        }
        other => panic!("{other:#?}"),
    }
    assert_rejected(&live, &failure);

    // Loads, but its shader does not compile: the usual located error.
    fx.install(&fx.variant("badwgsl", "example_plugin.c", &["GC_TEST_BAD_WGSL"]));
    let failure = failed(fx.reload(&mut live));
    assert_eq!(failure.plugin_errors, Vec::new());
    let errors = config_errors(&failure);
    assert_eq!(errors.len(), 1, "{}", failure.error);
    assert_eq!(
        (errors[0].kind, errors[0].key_path.as_str()),
        (ConfigErrorKind::Plugin, "panes[0].series[0].type")
    );
    assert!(
        errors[0]
            .message
            .starts_with("invalid WGSL in chart type `c_marker` of plugin `c_example` at line 2"),
        "{}",
        errors[0].message
    );
    assert_rejected(&live, &failure);
    assert_eq!(fx.copies(), copies_v1);

    // Editing the chart while the plugin is broken does not fall back to
    // the old library: the plugin change is still pending.
    std::fs::write(&fx.chart, CHART.replace("\"reload\"", "\"edited\"")).unwrap();
    let failure = failed(live.reload(vec![fx.chart.clone()], false));
    assert!(
        failure.error.to_string().contains("invalid WGSL"),
        "{}",
        failure.error
    );
    assert_rejected(&live, &failure);

    // Fixed: the new version and the chart edit come in together.
    fx.install(&fx.variant("v2", "example_plugin.c", &["GC_TEST_FACTOR=3.0"]));
    let fixed = published(fx.reload(&mut live));
    assert_eq!(fixed.number, 2);
    assert_eq!(fixed.model.config.title.as_deref(), Some("edited"));
    assert_eq!(column(&fixed, "dbl"), ramp_times(3.0));
    assert!(live.config().last_error().is_none());
    let copies_v2 = fx.copies();
    assert_eq!(copies_v2.len(), 1);
    assert_ne!(copies_v2, copies_v1);

    drop(live);
    drop(fixed);
    assert_eq!(fx.copies(), Vec::<PathBuf>::new());
}

#[test]
fn a_panicking_new_version_is_contained_and_the_old_one_keeps_working() {
    // Named like a plugin: discovery reports its failures itself.
    let fx = Fixture::new("gpu_charts_plugin_gc_reload_panic");
    let mut live = fx.open();
    assert_eq!(fx.copies().len(), 1);

    fx.install(&fx.variant("panics", "example_plugin.c", &["GC_TEST_PANIC_COMPUTE"]));
    // The panic is contained: the indicator is a failed part of the new
    // generation (left out, its error in the banner) and the rest draws.
    let partial = published(fx.reload(&mut live));
    assert_eq!(partial.number, 2);
    let failed_parts = &partial.model.failed;
    assert_eq!(failed_parts.len(), 1, "{failed_parts:?}");
    assert_eq!(
        (
            failed_parts[0].error.kind,
            failed_parts[0].error.key_path.as_str()
        ),
        (ConfigErrorKind::Plugin, "indicators[0]")
    );
    assert!(
        failed_parts[0].error.message.starts_with(
            "indicator `dbl`: indicator `c_double` of plugin `c_example` panicked: \
             c_double exploded on purpose"
        ),
        "{}",
        failed_parts[0].error.message
    );
    assert!(
        !partial.model.columns.iter().any(|c| c.name == "dbl"),
        "a failed indicator has no column"
    );

    // Reported by discovery this time (the name marks it as a plugin).
    fx.install(&fx.variant("abi99", "bad_abi.c", &[]));
    let failure = failed(fx.reload(&mut live));
    assert_eq!(
        failure.plugin_errors,
        vec![PluginError::AbiMismatch {
            path: fx.lib_path(),
            found: 99,
            expected: ABI_VERSION,
        }]
    );
    assert_eq!(failure.kept, 2);
    assert_eq!(live.config().generation(), 2);

    // A good version after all that.
    fx.install(&fx.variant("v2", "example_plugin.c", &["GC_TEST_FACTOR=3.0"]));
    let fixed = published(fx.reload(&mut live));
    assert_eq!(column(&fixed, "dbl"), ramp_times(3.0));
    drop(live);
    drop(fixed);
    assert_eq!(fx.copies(), Vec::<PathBuf>::new());
}

#[test]
fn handles_keep_their_library_and_copy_until_the_last_one_is_gone() {
    let fx = Fixture::new("gc_reload_handles");
    let plugins = fx.lib.parent().unwrap().to_path_buf();
    let discover = || {
        let (registry, errors) =
            PluginRegistry::discover_with(std::slice::from_ref(&plugins), LoadMode::PrivateCopy);
        assert_eq!(errors, Vec::new());
        registry
    };

    let first = discover();
    let plugin1: Arc<LoadedPlugin> = first.plugin("c_example").unwrap().clone();
    assert_eq!(plugin1.path(), fx.lib_path());
    let copy1 = plugin1.loaded_from().to_path_buf();
    assert_eq!(fx.copies(), vec![copy1.clone()]);
    assert_eq!(plugin1.info().version, "1.2.3");
    let mut state1 = first.indicator("c_double").unwrap().create("{}").unwrap();
    drop(plugin1);

    // Unchanged file: a second registry shares the loaded library.
    let again = discover();
    assert!(Arc::ptr_eq(
        again.plugin("c_example").unwrap(),
        first.plugin("c_example").unwrap()
    ));
    drop(again);

    // v2 next to v1, both alive: really two libraries.
    fx.install(&fx.variant(
        "v2",
        "example_plugin.c",
        &["GC_TEST_FACTOR=3.0", "GC_TEST_VERSION=\"2.0.0\""],
    ));
    let second = discover();
    let plugin2 = second.plugin("c_example").unwrap();
    assert_eq!(plugin2.info().version, "2.0.0");
    assert_eq!(plugin2.path(), fx.lib_path());
    let copy2 = plugin2.loaded_from().to_path_buf();
    assert_ne!(copy1, copy2);

    // The old registry goes; its indicator state keeps v1's code alive.
    drop(first);
    assert!(copy1.exists());
    assert_eq!(
        state1.compute_all(&[&[1.0, 2.5]]).unwrap(),
        vec![vec![2.0, 5.0]]
    );
    let mut state2 = second.indicator("c_double").unwrap().create("{}").unwrap();
    assert_eq!(
        state2.compute_all(&[&[1.0, 2.5]]).unwrap(),
        vec![vec![3.0, 7.5]]
    );
    drop(state1);
    assert!(!copy1.exists(), "v1's copy outlived its library");
    assert_eq!(fx.copies(), vec![copy2.clone()]);
    drop(state2);
    drop(second);
    assert!(!copy2.exists());

    // Loading in place (render, export, tests) opens the file itself.
    let direct = LoadedPlugin::load(&fx.lib).unwrap();
    assert_eq!(direct.loaded_from(), direct.path());
    assert_eq!(fx.copies(), Vec::<PathBuf>::new());
}

#[test]
fn a_missing_library_is_a_located_load_error() {
    let fx = Fixture::new("gc_reload_missing");
    let lib = fx.lib_path();
    std::fs::remove_file(&fx.lib).unwrap();
    let err = LoadedPlugin::load_with(&lib, LoadMode::PrivateCopy).unwrap_err();
    assert!(
        matches!(&err, PluginError::NotALibrary { path, .. } if path == &lib),
        "{err:#?}"
    );
    assert_eq!(fx.copies(), Vec::<PathBuf>::new());

    // A live session whose library disappears keeps its generation.
    fx.install(&fx.variant("v1", "example_plugin.c", &[]));
    let mut live = fx.open();
    std::fs::remove_file(&fx.lib).unwrap();
    let failure = failed(live.reload(vec![lib.clone()], true));
    assert!(
        matches!(failure.plugin_errors.as_slice(), [PluginError::NotALibrary { path, .. }] if path == &lib),
        "{:#?}",
        failure.plugin_errors
    );
    assert_rejected(&live, &failure);
}

#[test]
fn stale_copy_folders_of_dead_processes_are_removed() {
    let temp = std::env::temp_dir();
    // No process has these ids (above any pid limit); they are never ours.
    let dead = temp.join("gpu-charts-plugins-4000000001-0");
    let alive = temp.join("gpu-charts-plugins-4000000002-0");
    let lockless = temp.join("gpu-charts-plugins-4000000003-0");
    for dir in [&dead, &alive, &lockless] {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("libx-0.so"), b"old copy").unwrap();
    }
    std::fs::write(dead.join("lock"), b"").unwrap();
    std::fs::write(alive.join("lock"), b"").unwrap();
    // Held like a running process holds its folder's lock.
    let held = std::fs::File::open(alive.join("lock")).unwrap();
    held.lock().unwrap();

    remove_stale();
    assert!(!dead.exists(), "the dead process's folder is still there");
    assert!(alive.exists(), "a locked folder was removed");
    // A folder without a lock may be one being created right now: kept.
    assert!(lockless.exists());

    held.unlock().unwrap();
    drop(held);
    remove_stale();
    assert!(!alive.exists());
    std::fs::remove_dir_all(&lockless).unwrap();
}
