//! The plugin loader and registry against plugins written in C (compiled here
//! from `plugin-api/tests/c_plugin/` against `gpu_charts_plugin.h`): a good
//! plugin exercised end to end, the header's layout checked against the Rust
//! definitions, and every kind of bad plugin refused with the right error.
// The layout test calls the C plugin's test hooks directly through libloading.
#![allow(unsafe_code)]

mod plugin_support;

use std::mem::{align_of, offset_of, size_of};
use std::path::{Path, PathBuf};

use gpu_charts::plugins::{
    ItemKind, LoadedPlugin, PluginError, PluginRegistry, default_search_dirs, recent_log,
};
use gpu_charts_plugin_api as api;
use plugin_support::{build_c_plugin, compiler, dylib_name, include_dir, run};

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).expect("canonicalize")
}

/// A temp folder holding the good C plugin as `libgc_c_plugin.so`.
fn c_example_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    // With its ABI 1.2 `borrow` (the reload fixtures build it without).
    let lib = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_BORROW"],
        dir.path(),
        "gc_c_plugin",
    );
    (dir, lib)
}

fn discover_ok(dirs: &[PathBuf]) -> PluginRegistry {
    let (registry, errors) = PluginRegistry::discover(dirs);
    assert!(errors.is_empty(), "unexpected errors: {errors:#?}");
    registry
}

/// Calls a `size_t f(void)` the test plugin exports.
fn c_size(lib: &libloading::Library, symbol: &str) -> usize {
    // SAFETY: every gc_test_* layout function has this signature.
    unsafe {
        let f = lib
            .get::<unsafe extern "C" fn() -> usize>(symbol.as_bytes())
            .unwrap_or_else(|e| panic!("{symbol}: {e}"));
        f()
    }
}

fn live_states(lib: &Path) -> i64 {
    // SAFETY: the test plugin; dlopen of an already loaded file shares its state.
    unsafe {
        let lib = libloading::Library::new(lib).expect("reopen");
        let f = lib
            .get::<unsafe extern "C" fn() -> i64>(b"gc_test_live_states")
            .expect("symbol");
        f()
    }
}

#[test]
fn c_plugin_is_discovered_described_and_callable() {
    let (dir, lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);

    assert_eq!(registry.plugins().len(), 1);
    let info = registry.plugins()[0].info();
    assert_eq!(
        (info.name.as_str(), info.version.as_str(), info.abi_version),
        ("c_example", "1.2.3", 1)
    );
    assert_eq!(info.path, canon(&lib));
    assert!(
        recent_log().contains(&"[plugin c_example] info: c_example ready".to_string()),
        "{:?}",
        recent_log()
    );

    // Chart type: declaration copied, uniforms computed by the C code.
    let chart = registry.chart_type("c_marker").expect("c_marker");
    let ci = chart.info();
    assert_eq!(
        (
            ci.input,
            ci.vertices_per_instance,
            ci.range_fields,
            ci.flags
        ),
        (api::GC_INPUT_LINE, 6, api::GC_FIELD_VALUE, 0)
    );
    assert!(ci.wgsl.starts_with("@vertex fn vs_main()"));
    let schema: serde_json::Value =
        serde_json::from_str(&ci.params_schema).expect("schema is JSON");
    assert_eq!(
        schema["properties"]["size"]["default"],
        serde_json::json!(4)
    );
    let mut expected = [0f32; 16];
    expected[0] = 4.0;
    expected[15] = 42.0;
    assert_eq!(chart.uniforms("{}").expect("uniforms"), expected);
    expected[0] = 2.5;
    assert_eq!(
        chart.uniforms(r#"{"size": 2.5}"#).expect("uniforms"),
        expected
    );

    // Indicator: all rows, then incrementally (rows before `from` are the host's).
    let double = registry.indicator("c_double").expect("c_double");
    assert_eq!(
        (double.info().inputs.clone(), double.info().outputs.clone()),
        (vec!["source".into()], vec!["value".into()])
    );
    let mut state = double.create("{}").expect("create");
    assert_eq!(
        state.compute_all(&[&[1.0, -2.5, 3.0]]).expect("compute"),
        vec![vec![2.0, -5.0, 6.0]]
    );
    let input = [1.0, 2.0, 3.0, 4.0, 5.0];
    let mut outputs = vec![Vec::new()];
    state
        .compute_vecs(&[&input[..3]], &mut outputs, 0)
        .expect("first 3 rows");
    assert_eq!(outputs[0], [2.0, 4.0, 6.0]);
    outputs[0][1] = 100.0;
    state
        .compute_vecs(&[&input], &mut outputs, 3)
        .expect("rows 3..5");
    assert_eq!(outputs[0], [2.0, 100.0, 6.0, 8.0, 10.0]);
    // Into caller-owned slices: rows `from..` are reset to NaN, then filled.
    let mut column = [7.0, 7.0, 7.0, 7.0, 7.0];
    let mut fresh = double.create("{}").expect("create");
    fresh
        .compute(&[&input], &mut [&mut column[..]], 2)
        .expect("slices");
    assert_eq!(column, [7.0, 7.0, 6.0, 8.0, 10.0]);
    let err = fresh
        .compute(&[&input], &mut [&mut column[..4]], 0)
        .expect_err("short output");
    assert!(
        matches!(&err, PluginError::BadArguments { reason, .. } if reason == "output 0 holds 4 rows, the inputs 5"),
        "{err:?}"
    );
    drop(fresh);

    // Source: more rows than one chunk, so several `read` calls.
    let ramp = registry.source("c_ramp").expect("c_ramp");
    let rows = 150_000usize;
    let mut open = ramp
        .open(&format!(r#"{{"rows": {rows}}}"#), dir.path())
        .expect("open");
    assert_eq!(open.column_names(), ["value", "half"]);
    assert_eq!(open.row_count_hint(), Some(rows as u64));
    assert_eq!(
        live_states(&lib),
        2,
        "one indicator state and one source state are alive"
    );
    let table = open.read_all().expect("read_all");
    assert_eq!(table.names, ["value", "half"]);
    assert_eq!(
        table.timestamps,
        (0..rows as i64)
            .map(|i| i * 1_000_000_000)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        table.columns[0],
        (0..rows).map(|i| i as f64).collect::<Vec<_>>()
    );
    assert_eq!(
        table.columns[1],
        (0..rows).map(|i| i as f64 / 2.0).collect::<Vec<_>>()
    );
    assert_eq!(
        open.read_all().expect("read again").timestamps.len(),
        0,
        "a drained source has no more rows"
    );

    drop(state);
    drop(open);
    assert_eq!(
        live_states(&lib),
        0,
        "dropping the instances freed the plugin states"
    );

    // ABI 1.2: the same source lends its columns; they live (and the state
    // stays open) until the last user of the lent table drops.
    let lent = match ramp
        .open(r#"{"rows": 1000}"#, dir.path())
        .and_then(gpu_charts::plugins::SourceInstance::load)
    {
        Ok(gpu_charts::plugins::SourceData::Lent(lent)) => lent,
        other => panic!("c_ramp lends its columns, got {other:?}"),
    };
    assert!(lent.sorted() && lent.finite());
    assert_eq!(lent.rows(), 1000);
    assert_eq!(lent.timestamps()[999], 999_000_000_000);
    assert_eq!(lent.column(1)[999], 499.5);
    let (table, report) = gpu_charts::data::Table::from_lent(
        "r",
        lent.clone(),
        dir.path(),
        &gpu_charts::data::sidecar::Sidecars { cache_dir: None },
    )
    .expect("table");
    assert!(
        !report.scanned,
        "what the source vouched for is not scanned again"
    );
    assert_eq!(report.sidecar, None, "no data file, no sidecar");
    drop(lent);
    assert_eq!(live_states(&lib), 1, "the table keeps the source open");
    assert_eq!(&table.columns[0].values[..3], &[0.0, 1.0, 2.0]);
    drop(table);
    assert_eq!(live_states(&lib), 0, "the last user closed it");
}

#[test]
fn c_plugin_errors_name_plugin_item_and_carry_the_help() {
    let (dir, _lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);

    let err = registry
        .source("c_ramp")
        .expect("c_ramp")
        .open("{}", dir.path())
        .expect_err("rows missing");
    assert_eq!(
        err,
        PluginError::Call {
            kind: ItemKind::Source,
            plugin: "c_example".into(),
            item: "c_ramp".into(),
            status: api::GC_ERR_PARAMS,
            status_name: "GC_ERR_PARAMS",
            message: "missing `rows`".into(),
            help: "add `rows = <count>` to the source's params".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "source `c_ramp` of plugin `c_example` failed (GC_ERR_PARAMS): missing `rows`\n\
         help: add `rows = <count>` to the source's params"
    );

    let err = registry
        .chart_type("c_marker")
        .expect("c_marker")
        .uniforms(r#"{"size": -1}"#)
        .expect_err("bad size");
    assert!(
        matches!(&err, PluginError::Call { kind: ItemKind::ChartType, item, status: api::GC_ERR_PARAMS, message, .. }
            if item == "c_marker" && message == "`size` must be positive"),
        "{err:?}"
    );
}

#[test]
fn handles_keep_the_library_loaded_after_the_registry_is_gone() {
    let (dir, _lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    let double = registry.indicator("c_double").expect("c_double").clone();
    let mut state = double.create("{}").expect("create");
    drop(registry);
    // If the library had been unloaded with the registry, this call would crash.
    assert_eq!(
        state.compute_all(&[&[0.5]]).expect("compute"),
        vec![vec![1.0]]
    );
    drop(double);
    assert_eq!(
        state.compute_all(&[&[4.0]]).expect("compute"),
        vec![vec![8.0]]
    );
}

#[test]
fn wrong_arguments_are_refused_before_calling_the_plugin() {
    let (dir, _lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    let mut state = registry
        .indicator("c_double")
        .expect("c_double")
        .create("{}")
        .expect("create");

    let err = state
        .compute_all(&[&[1.0], &[2.0]])
        .expect_err("two inputs");
    assert!(
        matches!(&err, PluginError::BadArguments { plugin, item, reason, help, .. }
            if plugin == "c_example" && item == "c_double"
            && reason == "got 2 input columns, the indicator takes 1"
            && help == "pass one input column per role: source"),
        "{err:?}"
    );
    let mut outputs = vec![Vec::new(), Vec::new()];
    let err = state
        .compute_vecs(&[&[1.0]], &mut outputs, 0)
        .expect_err("two outputs");
    assert!(
        matches!(&err, PluginError::BadArguments { reason, .. } if reason == "got 2 output columns, the indicator writes 1"),
        "{err:?}"
    );
    let mut outputs = vec![vec![1.0]];
    let err = state
        .compute_vecs(&[&[1.0, 2.0, 3.0]], &mut outputs, 2)
        .expect_err("output shorter than from");
    assert!(
        matches!(&err, PluginError::BadArguments { reason, .. } if reason == "output 0 holds 1 rows, fewer than `from` (2)"),
        "{err:?}"
    );
    let err = state
        .compute_vecs(&[&[1.0]], &mut outputs, 5)
        .expect_err("from past the end");
    assert!(
        matches!(&err, PluginError::BadArguments { reason, .. } if reason == "`from` is 5 but the inputs hold only 1 rows"),
        "{err:?}"
    );
    assert_eq!(
        outputs,
        vec![vec![1.0]],
        "a refused call leaves the outputs alone"
    );
}

#[test]
fn header_layout_and_constants_match_the_rust_definitions() {
    use api::{
        GcBorrowedTable, GcChartTypeV1, GcErrorSink, GcHostApi, GcIndicatorV1, GcPluginDescriptor,
        GcSourceV1, GcStr,
    };
    let (_dir, path) = c_example_dir();
    // SAFETY: our own test library.
    let lib = unsafe { libloading::Library::new(&path) }.expect("load");

    macro_rules! check_layout {
        ($t:ident { $($f:ident),* $(,)? }) => {{
            assert_eq!(c_size(&lib, concat!("gc_test_sizeof_", stringify!($t))), size_of::<$t>(), "sizeof {}", stringify!($t));
            assert_eq!(c_size(&lib, concat!("gc_test_alignof_", stringify!($t))), align_of::<$t>(), "alignof {}", stringify!($t));
            $(assert_eq!(
                c_size(&lib, concat!("gc_test_offsetof_", stringify!($t), "_", stringify!($f))),
                offset_of!($t, $f),
                "offsetof {}.{}", stringify!($t), stringify!($f)
            );)*
        }};
    }
    check_layout!(GcStr { ptr, len });
    check_layout!(GcErrorSink { ctx, report });
    check_layout!(GcHostApi {
        abi_version,
        struct_size,
        ctx,
        log,
        abi_minor,
        features
    });
    check_layout!(GcPluginDescriptor {
        abi_version,
        struct_size,
        name,
        version,
        description,
        init,
        chart_types,
        chart_type_count,
        indicators,
        indicator_count,
        sources,
        source_count,
        abi_minor_required,
    });
    check_layout!(GcChartTypeV1 {
        struct_size,
        input,
        vertices_per_instance,
        range_fields,
        flags,
        name,
        description,
        params_schema,
        wgsl,
        uniforms,
        draws,
    });
    check_layout!(GcIndicatorV1 {
        struct_size,
        name,
        description,
        params_schema,
        inputs,
        input_count,
        outputs,
        output_count,
        create,
        compute,
        destroy,
    });
    check_layout!(GcSourceV1 {
        struct_size,
        name,
        description,
        params_schema,
        open,
        column_count,
        column_name,
        row_count_hint,
        read,
        close,
        borrow,
    });
    check_layout!(GcBorrowedTable {
        struct_size,
        flags,
        rows,
        timestamps,
        columns,
        column_count,
        fingerprint,
        data_path,
    });

    // SAFETY: signature of gc_test_constant in example_plugin.c.
    let constant = unsafe {
        *lib.get::<unsafe extern "C" fn(*const std::ffi::c_char, *mut std::ffi::c_int) -> i64>(
            b"gc_test_constant",
        )
        .expect("gc_test_constant")
    };
    let rust: [(&str, i64); 38] = [
        ("GC_ABI_VERSION", api::ABI_VERSION.into()),
        ("GC_OK", api::GC_OK.into()),
        ("GC_ERR_PARAMS", api::GC_ERR_PARAMS.into()),
        ("GC_ERR_DATA", api::GC_ERR_DATA.into()),
        ("GC_ERR_IO", api::GC_ERR_IO.into()),
        ("GC_ERR_UNSUPPORTED", api::GC_ERR_UNSUPPORTED.into()),
        ("GC_ERR_PANIC", api::GC_ERR_PANIC.into()),
        ("GC_ERR_INTERNAL", api::GC_ERR_INTERNAL.into()),
        ("GC_LOG_ERROR", api::GC_LOG_ERROR.into()),
        ("GC_LOG_WARN", api::GC_LOG_WARN.into()),
        ("GC_LOG_INFO", api::GC_LOG_INFO.into()),
        ("GC_LOG_DEBUG", api::GC_LOG_DEBUG.into()),
        ("GC_INPUT_BARS", api::GC_INPUT_BARS.into()),
        ("GC_INPUT_LINE", api::GC_INPUT_LINE.into()),
        ("GC_FIELD_OPEN", api::GC_FIELD_OPEN.into()),
        ("GC_FIELD_HIGH", api::GC_FIELD_HIGH.into()),
        ("GC_FIELD_LOW", api::GC_FIELD_LOW.into()),
        ("GC_FIELD_CLOSE", api::GC_FIELD_CLOSE.into()),
        ("GC_FIELD_VOLUME", api::GC_FIELD_VOLUME.into()),
        ("GC_FIELD_VALUE", api::GC_FIELD_VALUE.into()),
        ("GC_CHART_INCLUDE_ZERO", api::GC_CHART_INCLUDE_ZERO.into()),
        ("GC_USER_UNIFORM_FLOATS", api::GC_USER_UNIFORM_FLOATS as i64),
        ("GC_ABI_MINOR", api::ABI_MINOR.into()),
        ("GC_INPUT_BAND", api::GC_INPUT_BAND.into()),
        ("GC_FEATURE_INPUT_BAND", api::GC_FEATURE_INPUT_BAND.into()),
        (
            "GC_FEATURE_MINOR_REQUIRED",
            api::GC_FEATURE_MINOR_REQUIRED.into(),
        ),
        (
            "GC_FEATURE_NUL_TERMINATED",
            api::GC_FEATURE_NUL_TERMINATED.into(),
        ),
        ("GC_FEATURE_STATELESS", api::GC_FEATURE_STATELESS.into()),
        ("GC_FEATURE_DRAWS", api::GC_FEATURE_DRAWS.into()),
        ("GC_DRAWS_LINE", api::GC_DRAWS_LINE.into()),
        ("GC_DRAWS_LINE_DASH", api::GC_DRAWS_LINE_DASH.into()),
        ("GC_DRAWS_HISTOGRAM", api::GC_DRAWS_HISTOGRAM.into()),
        ("GC_DRAWS_POINTS", api::GC_DRAWS_POINTS.into()),
        ("GC_DRAWS_MARKERS", api::GC_DRAWS_MARKERS.into()),
        ("GC_DRAWS_BAND", api::GC_DRAWS_BAND.into()),
        ("GC_FEATURE_BORROW", api::GC_FEATURE_BORROW.into()),
        ("GC_BORROW_SORTED", api::GC_BORROW_SORTED.into()),
        ("GC_BORROW_FINITE", api::GC_BORROW_FINITE.into()),
    ];
    for (name, value) in rust {
        let c_name = std::ffi::CString::new(name).expect("name");
        let mut found = 0;
        // SAFETY: a NUL-terminated name and a valid out pointer.
        let c_value = unsafe { constant(c_name.as_ptr(), &mut found) };
        assert_eq!(found, 1, "{name} missing from the C test table");
        assert_eq!(c_value, value, "{name}");
    }

    // SAFETY: returns a pointer to a static NUL-terminated string.
    let symbol = unsafe {
        let f = lib
            .get::<unsafe extern "C" fn() -> *const std::ffi::c_char>(b"gc_test_entry_symbol")
            .expect("symbol");
        std::ffi::CStr::from_ptr(f()).to_bytes_with_nul().to_vec()
    };
    assert_eq!(symbol, api::ENTRY_SYMBOL);
}

#[test]
fn header_compiles_as_strict_c99_and_cpp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("use_header.c");
    std::fs::write(
        &source,
        "#include \"gpu_charts_plugin.h\"\n\
         static const GcStr NAME = GC_STR(\"x\");\n\
         int gc_header_check(void) { return (int)NAME.len + (int)gc_str(\"ab\").len; }\n",
    )
    .expect("write");
    for cpp in [false, true] {
        let tool = compiler(cpp);
        let mut cmd = tool.to_command();
        if tool.is_like_msvc() {
            cmd.args(["/Zs", "/W4", "/WX", if cpp { "/TP" } else { "/TC" }]);
            cmd.arg(format!("/I{}", include_dir().display()));
        } else {
            cmd.args(["-fsyntax-only", "-Wall", "-Wextra", "-pedantic", "-Werror"]);
            cmd.args(if cpp {
                ["-x", "c++", "-std=c++11"]
            } else {
                ["-x", "c", "-std=c99"]
            });
            cmd.arg("-I").arg(include_dir());
        }
        cmd.arg(&source);
        run(
            cmd,
            if cpp {
                "compiling the header as C++"
            } else {
                "compiling the header as C99"
            },
        );
    }
}

#[test]
fn describe_lists_plugins_items_and_params() {
    let (dir, lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    let expected = format!(
        "c_example 1.2.3 (ABI v1)\n\
         \x20 file: {}\n\
         \x20 Everything a plugin can provide, written in C\n\
         \x20 chart types:\n\
         \x20   c_marker: Square markers at each point (C test plugin)\n\
         \x20     params:\n\
         \x20       size (number, default 4): Marker size in pixels.\n\
         \x20     draws from: line, 6 vertices per bar\n\
         \x20 indicators:\n\
         \x20   c_double: Twice its input (C test plugin)\n\
         \x20     params: none\n\
         \x20     inputs: source; outputs: value\n\
         \x20 sources:\n\
         \x20   c_ramp: A ramp of `rows` rows (C test plugin)\n\
         \x20     params:\n\
         \x20       rows (integer, required, >= 0): Number of rows.\n",
        canon(&lib).display()
    );
    assert_eq!(registry.describe(), expected);
    assert_eq!(PluginRegistry::new().describe(), "no plugins loaded\n");
}

#[test]
fn wrong_abi_version_names_both_versions_and_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = build_c_plugin("bad_abi.c", &[], dir.path(), "gpu_charts_plugin_future");
    let err = LoadedPlugin::load(&lib).expect_err("ABI v99");
    assert_eq!(
        err,
        PluginError::AbiMismatch {
            path: canon(&lib),
            found: 99,
            expected: api::ABI_VERSION
        }
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "plugin file `{}` was built for plugin ABI 99.x, but this gpu-charts supports ABI 1.2 (gpu_charts_plugin.h)\n",
            canon(&lib).display()
        )),
        "{text}"
    );
    assert!(
        text.ends_with("\nhelp: rebuild the plugin against ABI 1.2 (gpu_charts_plugin.h)"),
        "{text}"
    );

    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    assert_eq!(errors, vec![err]);
    assert!(registry.plugins().is_empty());
}

#[test]
fn missing_entry_symbol_is_reported_only_for_files_named_as_plugins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let named = build_c_plugin("no_entry.c", &[], dir.path(), "gpu_charts_plugin_noentry");
    build_c_plugin("no_entry.c", &[], dir.path(), "some_helper");
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    let expected = PluginError::MissingSymbol {
        path: canon(&named),
        symbol: "gpu_charts_plugin_entry".into(),
    };
    assert_eq!(
        errors,
        vec![expected.clone()],
        "the helper library is skipped silently"
    );
    assert!(registry.plugins().is_empty());
    let text = expected.to_string();
    assert!(
        text.contains("does not export the entry symbol `gpu_charts_plugin_entry`"),
        "{text}"
    );
    assert!(text.contains("help: a Rust plugin calls `gpu_charts_plugin_api::export_plugin!`; a C plugin defines `gpu_charts_plugin_entry` with `GC_EXPORT`"), "{text}");
    // Loading it explicitly always reports.
    let helper = dir.path().join(dylib_name("some_helper"));
    assert!(
        matches!(LoadedPlugin::load(&helper), Err(PluginError::MissingSymbol { path, .. }) if path == canon(&helper))
    );
}

#[test]
fn files_that_are_not_libraries_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join(dylib_name("gpu_charts_plugin_fake"));
    std::fs::write(&fake, "this is not a shared library\n").expect("write");
    std::fs::write(dir.path().join(dylib_name("notes")), "neither is this\n").expect("write");
    std::fs::write(dir.path().join("README.txt"), "not even named like one\n").expect("write");
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    // Not even an object file: refused before dlopen, whatever the name (a
    // broken library is never silent).
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let notes = canon(&dir.path().join(dylib_name("notes")));
    for (error, file) in errors.iter().zip([&canon(&fake), &notes]) {
        assert!(
            matches!(error, PluginError::Corrupt { path, reason }
                if path == file && reason.starts_with("is not a complete object file")),
            "{errors:#?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "truncated or corrupt library `{}`: the file is not a complete object file (",
                file.display()
            )),
            "{text}"
        );
    }
    assert!(registry.plugins().is_empty());

    let missing = dir.path().join("libnowhere.so");
    assert!(
        matches!(LoadedPlugin::load(&missing), Err(PluginError::NotALibrary { path, .. }) if path == missing)
    );
}

#[test]
fn the_same_plugin_in_two_folders_is_a_duplicate_naming_both_files() {
    let (a, lib_a) = c_example_dir();
    let (b, lib_b) = c_example_dir();
    let (registry, errors) =
        PluginRegistry::discover(&[a.path().to_path_buf(), b.path().to_path_buf()]);
    let expected = PluginError::Duplicate {
        kind: ItemKind::Plugin,
        name: "c_example".into(),
        first_plugin: "c_example".into(),
        first: canon(&lib_a),
        second_plugin: "c_example".into(),
        second: canon(&lib_b),
    };
    assert_eq!(errors, vec![expected.clone()]);
    assert_eq!(
        expected.to_string(),
        format!(
            "plugin `c_example` is provided twice: by plugin `c_example` (`{}`) (kept) and by plugin `c_example` (`{}`) \
             (ignored)\nhelp: remove one of the two files from the plugin search path, or rename the plugin in one of them",
            canon(&lib_a).display(),
            canon(&lib_b).display()
        )
    );
    assert_eq!(registry.plugins().len(), 1);
    assert_eq!(
        registry
            .indicator("c_double")
            .expect("c_double")
            .plugin()
            .path(),
        canon(&lib_a)
    );
}

#[test]
fn clashing_item_names_keep_the_first_plugin() {
    let (a, lib_a) = c_example_dir();
    let b = tempfile::tempdir().expect("tempdir");
    let lib_b = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_PLUGIN_NAME=\"c_clone\""],
        b.path(),
        "gc_c_clone",
    );
    let (registry, errors) =
        PluginRegistry::discover(&[a.path().to_path_buf(), b.path().to_path_buf()]);
    let clash = |kind, name: &str| PluginError::Duplicate {
        kind,
        name: name.into(),
        first_plugin: "c_example".into(),
        first: canon(&lib_a),
        second_plugin: "c_clone".into(),
        second: canon(&lib_b),
    };
    assert_eq!(
        errors,
        vec![
            clash(ItemKind::ChartType, "c_marker"),
            clash(ItemKind::Indicator, "c_double"),
            clash(ItemKind::Source, "c_ramp")
        ]
    );
    assert_eq!(registry.names(ItemKind::Plugin), ["c_clone", "c_example"]);
    assert_eq!(
        registry.source("c_ramp").expect("c_ramp").plugin().name(),
        "c_example"
    );
}

#[cfg(unix)]
#[test]
fn one_file_reached_twice_is_loaded_once() {
    let (a, lib) = c_example_dir();
    let b = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(&lib, b.path().join(dylib_name("gc_link"))).expect("symlink");
    std::fs::hard_link(&lib, b.path().join(dylib_name("gc_hard"))).expect("hard link");
    let dirs = [
        a.path().to_path_buf(),
        a.path().to_path_buf(),
        b.path().to_path_buf(),
    ];
    let registry = discover_ok(&dirs);
    assert_eq!(registry.plugins().len(), 1);
}

#[test]
fn unknown_names_suggest_the_closest_and_list_the_rest() {
    let (dir, _lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    let err = registry.indicator("c_doubel").expect_err("typo");
    assert_eq!(
        err,
        PluginError::Unknown {
            kind: ItemKind::Indicator,
            name: "c_doubel".into(),
            suggestion: Some("c_double".into()),
            available: vec!["c_double".into()],
            failed_libraries: Vec::new(),
        }
    );
    let text = err.to_string();
    assert!(text.starts_with("unknown indicator `c_doubel`\n  did you mean `c_double`?\nhelp: available indicators: c_double; "), "{text}");

    let err = registry.source("parquet").expect_err("unknown");
    assert!(
        matches!(&err, PluginError::Unknown { suggestion: None, available, .. } if available == &["c_ramp"]),
        "{err:?}"
    );
    assert!(!err.to_string().contains("did you mean"));
    let err = PluginRegistry::new()
        .chart_type("candlestick")
        .expect_err("empty registry");
    assert!(
        err.to_string()
            .contains("help: no plugin loaded provides any chart types;"),
        "{err}"
    );
}

#[test]
fn error_statuses_carry_message_and_help_and_contract_breaches_are_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    build_c_plugin(
        "error_plugin.c",
        &[],
        dir.path(),
        "gpu_charts_plugin_errors",
    );
    let registry = discover_ok(&[dir.path().to_path_buf()]);

    let err = registry
        .indicator("c_fail")
        .expect("c_fail")
        .create("{}")
        .expect("create")
        .compute_all(&[&[1.0]]);
    let err = err.expect_err("c_fail fails");
    assert_eq!(
        err,
        PluginError::Call {
            kind: ItemKind::Indicator,
            plugin: "c_errors".into(),
            item: "c_fail".into(),
            status: api::GC_ERR_DATA,
            status_name: "GC_ERR_DATA",
            message: "row 3 is negative (-1.5)".into(),
            help: "remove negative prices from the data".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "indicator `c_fail` of plugin `c_errors` failed (GC_ERR_DATA): row 3 is negative (-1.5)\n\
         help: remove negative prices from the data"
    );

    let err = registry
        .indicator("c_silent")
        .expect("c_silent")
        .create("{}")
        .expect("create")
        .compute_all(&[&[1.0]]);
    assert_eq!(
        err.expect_err("c_silent fails").to_string(),
        "indicator `c_silent` of plugin `c_errors` failed (GC_ERR_INTERNAL): (the plugin reported no message)\n\
         help: this may be a bug in the plugin; report it to its author"
    );

    let contract = |source: &str| -> PluginError {
        let mut open = match registry
            .source(source)
            .expect("source")
            .open("{}", dir.path())
        {
            Ok(open) => open,
            Err(e) => return e,
        };
        open.read_all().expect_err("contract breach")
    };
    let breach = |item: &str, reason: &str| PluginError::ContractViolation {
        kind: ItemKind::Source,
        plugin: "c_errors".into(),
        item: item.into(),
        reason: reason.into(),
    };
    assert_eq!(
        contract("c_overflow"),
        breach(
            "c_overflow",
            "read returned 65537 rows into a buffer of 65536"
        )
    );
    assert_eq!(
        contract("c_shifty"),
        breach(
            "c_shifty",
            "it had 1 columns when opened but reports 2 after reading"
        )
    );
    let err = contract("c_bad_name");
    assert!(
        matches!(&err, PluginError::ContractViolation { item, reason, .. }
            if item == "c_bad_name" && reason.starts_with("the name of column 0 is not valid UTF-8")),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("help: this is a bug in plugin `c_errors`; report it to its author"),
        "{err}"
    );
}

#[test]
fn invalid_descriptors_are_refused_naming_plugin_and_item() {
    let indicator_size = size_of::<api::GcIndicatorV1>();
    let cases: [(u32, Option<&str>, String); 10] = [
        (1, Some("c_broken_plugin"), "the params_schema of indicator `c_broken` is not valid JSON: ".into()),
        (2, Some("c_broken_plugin"), "the plugin description is not valid UTF-8".into()),
        (3, Some("c_broken_plugin"), "indicator `c_broken` has a null `create` function".into()),
        (4, None, "`gpu_charts_plugin_entry` returned a null pointer".into()),
        (
            5,
            Some("c_broken_plugin"),
            "chart type `c_broken_chart` has input 7; expected GC_INPUT_BARS (1), GC_INPUT_LINE (2) or GC_INPUT_BAND (3)".into(),
        ),
        (
            6,
            Some("c_broken_plugin"),
            format!("indicator #0 has struct_size 8, expected at least {indicator_size} (the ABI 1.0 size)"),
        ),
        (7, Some("c_broken_plugin"), "it declares indicator `c_broken` twice".into()),
        (
            8,
            None,
            format!(
                "struct_size is 8 bytes, smaller than an ABI 1.0 descriptor ({} bytes)",
                api::DESCRIPTOR_SIZE_V1_0
            ),
        ),
        (
            9,
            Some("c_broken_plugin"),
            "the params_schema of indicator `c_broken` gives parameter `period` the default 0, which breaks \
             the parameter's own schema: 0 is less than the minimum of 1"
                .into(),
        ),
        (
            10,
            Some("c_broken_plugin"),
            "the params_schema of indicator `c_broken` does not compile as a JSON Schema: ".into(),
        ),
    ];
    for (kind, plugin, reason) in cases {
        let reason = reason.as_str();
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = build_c_plugin(
            "bad_descriptor.c",
            &[&format!("BAD_KIND={kind}")],
            dir.path(),
            "gc_bad",
        );
        let err = LoadedPlugin::load(&lib).expect_err("bad descriptor");
        match &err {
            PluginError::BadDescriptor {
                path,
                plugin: p,
                reason: r,
            } => {
                assert_eq!(path, &canon(&lib), "case {kind}");
                assert_eq!(p.as_deref(), plugin, "case {kind}");
                assert!(r.starts_with(reason), "case {kind}: {r}");
            }
            other => panic!("case {kind}: {other:?}"),
        }
        let text = err.to_string();
        let who = match plugin {
            Some(name) => format!("plugin `{name}` (`{}`)", canon(&lib).display()),
            None => format!("plugin file `{}`", canon(&lib).display()),
        };
        assert!(
            text.starts_with(&format!("{who} has an invalid descriptor: {reason}")),
            "case {kind}: {text}"
        );
        assert!(
            text.contains("\nhelp: this is a bug in the plugin; report it to its author"),
            "case {kind}: {text}"
        );
        // A library exporting the entry symbol is meant as a plugin, whatever its name: discovery reports it.
        let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
        assert_eq!(errors, vec![err], "case {kind}");
        assert!(registry.plugins().is_empty());
    }
}

#[test]
fn default_search_dirs_start_with_the_cargo_target_dir_of_this_test() {
    let exe = std::env::current_exe().expect("current_exe");
    let exe_dir = exe.parent().expect("exe dir");
    // Test binaries live in target/<profile>/deps: `cargo test` leaves the
    // plugins it builds in deps, `cargo build` also copies them to
    // target/<profile>; deps comes first, since the copies there may be
    // from an older `cargo build`.
    let dirs = default_search_dirs(&[]);
    if exe_dir.ends_with("deps") {
        let parent = exe_dir.parent().expect("parent");
        assert_eq!(dirs[..2], [canon(exe_dir), canon(parent)], "{dirs:?}");
    } else {
        assert_eq!(dirs.first(), Some(&canon(exe_dir)), "{dirs:?}");
    }
}

/// Calls an `int64_t f(void)` the test plugin exports.
fn c_i64(lib: &Path, symbol: &str) -> i64 {
    // SAFETY: the test plugin; every gc_test_* counter has this signature, and
    // dlopen of an already loaded file shares its state.
    unsafe {
        let lib = libloading::Library::new(lib).expect("reopen");
        let f = lib
            .get::<unsafe extern "C" fn() -> i64>(symbol.as_bytes())
            .unwrap_or_else(|e| panic!("{symbol}: {e}"));
        f()
    }
}

/// `src` cut to its first `len` bytes, written to `dir/<dylib_name(stem)>`.
fn truncated_copy(src: &Path, len: usize, dir: &Path, stem: &str) -> PathBuf {
    let bytes = std::fs::read(src).expect("read library");
    let out = dir.join(dylib_name(stem));
    std::fs::write(&out, &bytes[..len.min(bytes.len())]).expect("write");
    out
}

/// A folder holding the good C plugin, copies of it cut to a third and to a
/// few bytes, and a text file named like a library. Returns the folder, the
/// good library and the three bad files.
fn folder_with_broken_libraries() -> (tempfile::TempDir, PathBuf, [PathBuf; 3]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = build_c_plugin("example_plugin.c", &[], dir.path(), "gc_c_plugin");
    let len = std::fs::metadata(&good).expect("metadata").len() as usize;
    let third = truncated_copy(&good, len / 3, dir.path(), "gpu_charts_plugin_third");
    let bytes = truncated_copy(&good, 6, dir.path(), "gpu_charts_plugin_six_bytes");
    let text = dir.path().join(dylib_name("gpu_charts_plugin_text"));
    std::fs::write(&text, "this is not a library\n").expect("write");
    (dir, good, [third, bytes, text])
}

/// A library cut short by an interrupted build crashed the process with
/// SIGBUS inside dlopen; now it is refused before dlopen, by name, and the
/// other plugins of the folder load.
#[test]
fn truncated_and_corrupt_libraries_are_refused_and_the_rest_load() {
    let (dir, _good, [third, six, text]) = folder_with_broken_libraries();
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    assert_eq!(
        registry
            .plugins()
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>(),
        ["c_example"]
    );
    assert!(registry.indicator("c_double").is_ok());
    let mut found: Vec<(PathBuf, String)> = errors
        .iter()
        .map(|e| match e {
            PluginError::Corrupt { path, reason } => (path.clone(), reason.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    found.sort();
    let mut expected = [canon(&third), canon(&six), canon(&text)];
    expected.sort();
    assert_eq!(
        found.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        expected
    );
    for e in &errors {
        let text = e.to_string();
        let path = e.path().expect("names the file");
        assert!(
            text.starts_with(&format!(
                "truncated or corrupt library `{}`: the file ",
                path.display()
            )),
            "{text}"
        );
        assert!(
            text.contains("\nhelp: rebuild the plugin (an interrupted build leaves a partial file behind), or remove the file from the plugin folder"),
            "{text}"
        );
    }
    let reason = |p: &Path| {
        let p = canon(p);
        found
            .iter()
            .find(|(f, _)| *f == p)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    // A third of the file: headers parse, the segments run past its end (or
    // the section table is gone); either way named as cut short.
    let r = reason(&third);
    assert!(
        r.starts_with("is truncated: its ") || r.starts_with("is not a complete object file"),
        "{r}"
    );
    assert!(
        reason(&six).starts_with("is not a complete object file"),
        "{}",
        reason(&six)
    );
    assert!(
        reason(&text).starts_with("is not a complete object file"),
        "{}",
        reason(&text)
    );
    // Loading one directly gives the same typed error.
    assert!(matches!(
        LoadedPlugin::load(&third),
        Err(PluginError::Corrupt { path, .. }) if path == canon(&third)
    ));
}

/// `gpu-charts plugins` over that folder lists the good plugin, prints every
/// problem and exits normally (no signal); plugin info lines show only with
/// `-v` or `GPU_CHARTS_LOG`.
#[test]
fn cli_plugins_survives_a_truncated_library_and_hides_info_logs() {
    let (dir, good, [third, ..]) = folder_with_broken_libraries();
    let plugins = |args: &[&str], env: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gpu-charts"));
        cmd.args(["plugins", "--plugins"])
            .arg(dir.path())
            .args(args)
            .env("GPU_CHARTS_PLUGIN_PATH", "")
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .env_remove("GPU_CHARTS_LOG");
        if let Some(level) = env {
            cmd.env("GPU_CHARTS_LOG", level);
        }
        let out = cmd.output().expect("run gpu-charts");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (stdout, stderr) = plugins(&[], None);
    assert!(stdout.contains("c_example 1.2.3 (ABI v1)\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  file: {}\n", canon(&good).display())),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "warning: truncated or corrupt library `{}`: the file ",
            canon(&third).display()
        )),
        "{stderr}"
    );
    let info = "[plugin c_example] info: c_example ready";
    assert!(!stderr.contains(info), "info shown without -v: {stderr}");
    for (args, env) in [
        (&["-v"][..], None),
        (&[][..], Some("info")),
        (&[][..], Some("debug")),
    ] {
        let (_, stderr) = plugins(args, env);
        assert!(stderr.contains(info), "{args:?} {env:?}: {stderr}");
    }
    let (_, stderr) = plugins(&[], Some("warn"));
    assert!(!stderr.contains(info), "{stderr}");
}

/// A plugin compiled against the frozen ABI 1.0 header (a smaller
/// descriptor, no `abi_minor_required`) loads in this 1.1 host and works;
/// it receives the 1.1 host table, which it reads as a 1.0 one.
#[test]
fn a_plugin_built_against_the_1_0_header_loads_in_this_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = plugin_support::build_c_plugin_with(
        "example_plugin.c",
        &[],
        dir.path(),
        "gc_v1_0",
        &plugin_support::v1_0_include_dir(),
    );
    let c_descriptor_size = {
        // SAFETY: our own test library.
        let l = unsafe { libloading::Library::new(&lib) }.expect("load");
        c_size(&l, "gc_test_sizeof_GcPluginDescriptor")
    };
    assert_eq!(c_descriptor_size, api::DESCRIPTOR_SIZE_V1_0);
    assert!(c_descriptor_size < size_of::<api::GcPluginDescriptor>());

    let registry = discover_ok(&[dir.path().to_path_buf()]);
    assert_eq!(registry.plugins()[0].name(), "c_example");
    let double = registry.indicator("c_double").expect("c_double");
    let mut state = double.create("{}").expect("create");
    assert_eq!(
        state.compute_all(&[&[1.0, 2.0]]).expect("compute"),
        vec![vec![2.0, 4.0]]
    );
    assert_eq!(
        c_i64(&lib, "gc_test_host_struct_size"),
        size_of::<api::GcHostApi>() as i64
    );
    let chart = registry.chart_type("c_marker").expect("c_marker");
    assert_eq!(chart.info().shader_error, None);
    assert_eq!(chart.uniforms(r#"{"size": 3}"#).expect("uniforms")[0], 3.0);
    // Its chart-type table is the 1.0 size: the 1.1 `draws` field is absent
    // and defaults to "draws no script output".
    let c_chart_size = {
        // SAFETY: our own test library.
        let l = unsafe { libloading::Library::new(&lib) }.expect("load");
        c_size(&l, "gc_test_sizeof_GcChartTypeV1")
    };
    assert_eq!(c_chart_size, api::CHART_TYPE_SIZE_V1_0);
    assert!(c_chart_size < size_of::<api::GcChartTypeV1>());
    assert_eq!(chart.info().draws, 0);
    // Its source table is the 1.0 size: the 1.2 `borrow` is absent, so the
    // host reads the rows through `read`.
    let c_source_size = {
        // SAFETY: our own test library.
        let l = unsafe { libloading::Library::new(&lib) }.expect("load");
        c_size(&l, "gc_test_sizeof_GcSourceV1")
    };
    assert_eq!(c_source_size, api::SOURCE_SIZE_V1_0);
    assert!(c_source_size < size_of::<api::GcSourceV1>());
    let ramp = registry.source("c_ramp").expect("c_ramp");
    match ramp
        .open(r#"{"rows": 3}"#, dir.path())
        .and_then(gpu_charts::plugins::SourceInstance::load)
    {
        Ok(gpu_charts::plugins::SourceData::Read(t)) => {
            assert_eq!(t.timestamps, [0, 1_000_000_000, 2_000_000_000]);
        }
        other => panic!("a 1.0 source is read, got {other:?}"),
    }
}

/// Built against the current header, the plugin sees the host's minor
/// version and feature bits, gets NUL-terminated params, and may be
/// stateless (destroy is then never called).
#[test]
fn a_1_1_plugin_sees_minor_features_nul_terminated_params_and_may_be_stateless() {
    let (dir, lib) = c_example_dir();
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    assert_eq!(c_i64(&lib, "gc_test_host_minor"), i64::from(api::ABI_MINOR));
    assert_eq!(
        c_i64(&lib, "gc_test_host_features"),
        i64::from(api::GC_FEATURES_V1_2)
    );
    let double = registry.indicator("c_double").expect("c_double");
    drop(double.create(r#"{}"#).expect("create"));
    // SAFETY: `int gc_test_params_nul(void)` in example_plugin.c.
    let nul = unsafe {
        let l = libloading::Library::new(&lib).expect("reopen");
        let f = l
            .get::<unsafe extern "C" fn() -> std::ffi::c_int>(b"gc_test_params_nul")
            .expect("symbol");
        f()
    };
    assert_eq!(nul, 1, "params_json is followed by a NUL");

    let dir = tempfile::tempdir().expect("tempdir");
    let lib = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_STATELESS"],
        dir.path(),
        "gc_stateless",
    );
    let registry = discover_ok(&[dir.path().to_path_buf()]);
    let double = registry.indicator("c_double").expect("c_double");
    let mut state = double.create("{}").expect("a null state is accepted");
    assert_eq!(
        state.compute_all(&[&[1.5]]).expect("compute"),
        vec![vec![3.0]]
    );
    drop(state);
    assert_eq!(c_i64(&lib, "gc_test_destroy_calls"), 0);
}

/// A plugin that declares it needs a newer minor than this host has is
/// refused with both versions named.
#[test]
fn a_plugin_requiring_a_newer_minor_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_MINOR_REQUIRED=3u"],
        dir.path(),
        "gpu_charts_plugin_needs_1_3",
    );
    let err = LoadedPlugin::load(&lib).expect_err("needs 1.3");
    assert_eq!(
        err,
        PluginError::NeedsNewerHost {
            path: canon(&lib),
            plugin: "c_example".into(),
            required: 3,
            host: api::ABI_MINOR,
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "plugin `c_example` (`{}`) needs plugin ABI 1.3, but this gpu-charts supports ABI 1.2 \
             (gpu_charts_plugin.h)\nhelp: update gpu-charts, or rebuild the plugin against ABI 1.2 \
             (gpu_charts_plugin.h)",
            canon(&lib).display()
        )
    );
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    assert_eq!(errors, vec![err]);
    assert!(registry.plugins().is_empty());
    // Requiring exactly this host's minor is fine.
    let dir = tempfile::tempdir().expect("tempdir");
    build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_MINOR_REQUIRED=2u"],
        dir.path(),
        "gpu_charts_plugin_needs_1_2",
    );
    discover_ok(&[dir.path().to_path_buf()]);
}

/// A chart type whose WGSL does not validate is reported when the library
/// loads (so `gpu-charts plugins` shows it); the plugin's other items load.
#[test]
fn a_broken_shader_is_reported_at_load_and_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_BAD_WGSL"],
        dir.path(),
        "gc_bad_wgsl",
    );
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    let [PluginError::BadShader { path, message }] = errors.as_slice() else {
        panic!("{errors:#?}");
    };
    assert_eq!(path, &canon(&lib));
    assert!(
        message.starts_with(
            "invalid WGSL in chart type `c_marker` of plugin `c_example` at line 2, column"
        ),
        "{message}"
    );
    assert!(
        errors[0].to_string().ends_with(&format!(
            "\n  = note: in plugin file `{}`",
            canon(&lib).display()
        )),
        "{}",
        errors[0]
    );
    assert!(registry.indicator("c_double").is_ok());
    let listing = registry.describe();
    assert!(
        listing.contains(
            "      BROKEN SHADER: invalid WGSL in chart type `c_marker` of plugin `c_example` at line 2"
        ),
        "{listing}"
    );
}

/// Files that look like libraries but break the naming rule get a one-line
/// notice each; other files are ignored.
#[test]
fn misnamed_libraries_get_a_one_line_notice() {
    let (dir, _) = c_example_dir();
    for name in ["sma.so", "libsma.so.1", "plugin.dll", "notes.txt"] {
        std::fs::write(dir.path().join(name), "x").expect("write");
    }
    let (registry, errors) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
    assert_eq!(registry.plugins().len(), 1);
    let mut names: Vec<String> = Vec::new();
    for e in &errors {
        let PluginError::Misnamed { path, expected } = e else {
            panic!("{errors:#?}");
        };
        assert_eq!(
            expected,
            &format!(
                "{}<name>{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        );
        let text = e.to_string();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(
            text,
            format!(
                "skipped `{}`: plugin libraries on this platform are named `{expected}`; rename it to load it",
                path.display()
            )
        );
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    names.sort();
    let mut expected = vec!["libsma.so.1", "plugin.dll", "sma.so"];
    expected.retain(|n| !gpu_charts::plugins::is_dylib_name(n));
    assert_eq!(names, expected);
}

/// Chart types declare the script plot styles they draw (`draws`, ABI 1.1)
/// and the host maps a script's output through those declarations, never by
/// a plugin's name: with only the C plugin loaded, whose `c_marker` declares
/// GC_DRAWS_POINTS, a `points` output is drawn by `c_marker`, and a `line`
/// output, which nothing declares, is a located error naming the style.
#[test]
fn script_outputs_are_drawn_by_the_chart_type_declaring_their_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plug = dir.path().join("plug");
    std::fs::create_dir_all(&plug).expect("mkdir");
    let lib = build_c_plugin(
        "example_plugin.c",
        &["GC_TEST_DRAWS=GC_DRAWS_POINTS"],
        &plug,
        "gc_points",
    );
    let mut registry = PluginRegistry::new();
    assert_eq!(registry.load_file(&lib), Vec::new());
    assert_eq!(
        registry
            .chart_type("c_marker")
            .expect("c_marker")
            .info()
            .draws,
        api::GC_DRAWS_POINTS
    );
    assert_eq!(
        registry
            .chart_type_drawing(api::GC_DRAWS_POINTS)
            .map(|c| c.name()),
        Some("c_marker")
    );
    assert!(registry.chart_type_drawing(api::GC_DRAWS_LINE).is_none());
    assert!(
        registry
            .describe()
            .contains("      draws for scripts: points\n")
    );

    let chart = |style: &str| {
        std::fs::write(
            dir.path().join("dots.lua"),
            format!(
                "indicator {{ name = 'Dots', outputs = {{ {{ name = 'v', style = '{style}' }} }} }}\n\
                 function calculate(p) return {{ v = close }} end\n"
            ),
        )
        .expect("write script");
        let toml = "[sources.ramp]\nkind = \"c_ramp\"\nparams = { rows = 50 }\n\
                    [[indicators]]\nid = \"dots\"\nscript = \"dots.lua\"\ninput = \"ramp.value\"\n\
                    [[panes]]\n[[panes.series]]\ntype = \"c_marker\"\ndata = \"ramp.half\"\n";
        let path = dir.path().join("chart.toml");
        std::fs::write(&path, toml).expect("write chart");
        let loaded = gpu_charts::config::load_chart_file(&path).expect("chart parses");
        gpu_charts::scene::model::build_model(
            &loaded,
            &registry,
            &mut gpu_charts::data::DataCache::new(0),
        )
    };
    let model = chart("points").unwrap_or_else(|e| panic!("{e}"));
    let types: Vec<&str> = model
        .panes
        .iter()
        .flat_map(|p| &p.series)
        .map(|s| s.spec.name.as_str())
        .collect();
    assert_eq!(
        types,
        ["c_marker", "c_marker"],
        "the series and the script's points"
    );

    let errors = chart("line").expect_err("nothing draws lines");
    let e = errors.0.first().expect("one error");
    assert_eq!(
        (e.kind, e.key_path.as_str()),
        (
            gpu_charts::config::ConfigErrorKind::Plugin,
            "indicators[0].script"
        )
    );
    assert_eq!(
        e.message,
        "no loaded chart type draws output `v` (a GC_DRAWS_LINE style)"
    );
}

/// A declaration the host could not honour is refused at load: a style
/// whose params the schema lacks, or a band style on a line input.
#[test]
fn chart_type_draw_declarations_are_checked_at_load() {
    for (draws, reason) in [
        (
            "GC_DRAWS_MARKERS",
            "chart type `c_marker` declares GC_DRAWS_MARKERS, but its params_schema has no `shape` property (the host sets it)",
        ),
        (
            "GC_DRAWS_BAND",
            "chart type `c_marker` declares draws 0x20, but GC_DRAWS_BAND goes with GC_INPUT_BAND",
        ),
        (
            "(1u << 9)",
            "chart type `c_marker` has unknown draws bits 0x200",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = build_c_plugin(
            "example_plugin.c",
            &[&format!("GC_TEST_DRAWS={draws}")],
            dir.path(),
            "gc_draws",
        );
        match LoadedPlugin::load(&lib) {
            Err(PluginError::BadDescriptor { reason: r, .. }) => {
                assert!(r.starts_with(reason), "{draws}: {r}")
            }
            other => panic!("{draws}: {other:?}"),
        }
    }
}

/// The built-in chart types declare the script styles they draw (built by
/// `cargo build`, found next to this test binary).
#[test]
fn builtin_chart_types_declare_what_they_draw() {
    let (registry, _) = PluginRegistry::discover(&default_search_dirs(&[]));
    for (name, draws) in [
        ("line", api::GC_DRAWS_LINE | api::GC_DRAWS_LINE_DASH),
        ("histogram", api::GC_DRAWS_HISTOGRAM),
        ("points", api::GC_DRAWS_POINTS),
        ("markers", api::GC_DRAWS_MARKERS),
        ("band", api::GC_DRAWS_BAND),
        ("candlestick", 0),
        ("volume", 0),
    ] {
        let ct = registry
            .chart_type(name)
            .unwrap_or_else(|e| panic!("build the plugins first (`cargo build`): {e}"));
        assert_eq!(ct.info().draws, draws, "{name}");
    }
    for (bit, name) in [
        (api::GC_DRAWS_LINE_DASH, "line"),
        (api::GC_DRAWS_BAND, "band"),
    ] {
        assert_eq!(
            registry.chart_type_drawing(bit).map(|c| c.name()),
            Some(name)
        );
    }
}
