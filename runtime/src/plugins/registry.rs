//! Finding plugin libraries on disk and mapping names to handles.
//!
//! Discovery scans each search folder (not recursively) for files named like
//! the platform's shared libraries (`lib*.so`, `lib*.dylib`, `*.dll`). A
//! library counts as a plugin if it exports the entry symbol; other libraries
//! that happen to sit in the folder are skipped silently, unless their name
//! contains `gpu_charts_plugin` (then failing to load them is reported,
//! because the user clearly meant them as plugins). A truncated or corrupt
//! file is always reported ([`PluginError::Corrupt`]), whatever its name,
//! and so is a file that looks like a library but breaks the naming rule
//! (`sma.so`, `libsma.so.1`: [`PluginError::Misnamed`], a one-line notice).
//! Problems never stop discovery: every good plugin is registered and every
//! problem returned.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gpu_charts_plugin_api as api;
use serde_json::Value;

use super::error::{ItemKind, PluginError};
use super::handles::{ChartType, Indicator, Source};
use super::loader::{LoadMode, LoadedPlugin};
use super::suggest::did_you_mean;

/// Environment variable listing extra plugin folders (`PATH` syntax).
pub const PLUGIN_PATH_ENV: &str = "GPU_CHARTS_PLUGIN_PATH";

/// File-name fragment marking a library as meant to be a plugin.
const PLUGIN_NAME_MARK: &str = "gpu_charts_plugin";

/// Whether `file_name` looks like a shared library on this platform
/// (`lib*.so` on Linux, `lib*.dylib` on macOS, `*.dll` on Windows).
pub fn is_dylib_name(file_name: &str) -> bool {
    let (prefix, suffix) = (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    file_name.len() > prefix.len() + suffix.len()
        && file_name.starts_with(prefix)
        && file_name.ends_with(suffix)
}

/// Whether `file_name` looks like a shared library of some platform
/// (`.so`, `.so.<version>`, `.dylib`, `.dll`) without following this
/// platform's naming rule ([`is_dylib_name`]): such a file is skipped with a
/// notice, since the user probably meant it as a plugin.
pub fn is_misnamed_library(file_name: &str) -> bool {
    if is_dylib_name(file_name) {
        return false;
    }
    let lower = file_name.to_ascii_lowercase();
    [".so", ".dylib", ".dll"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || lower.contains(".so.")
}

/// The plugin folders to scan, in priority order (earlier wins a name clash):
///
/// 1. the folder of the running executable; when that folder is `deps` (a
///    cargo test binary in `target/<profile>/deps`), `deps` itself
///    (plugin-named files only: see [`PluginRegistry::scan_dir`]) and then
///    its parent;
/// 2. every folder in `chart_dirs` (the `plugins` folders a chart file names,
///    and folders given on the command line);
/// 3. every folder listed in `GPU_CHARTS_PLUGIN_PATH`.
///
/// Folders that do not exist are left out; the rest are canonicalised and
/// deduplicated.
pub fn default_search_dirs(chart_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let exe = std::env::current_exe().ok();
    search_dirs(
        exe.as_deref(),
        chart_dirs,
        std::env::var_os(PLUGIN_PATH_ENV),
    )
}

fn search_dirs(
    exe: Option<&Path>,
    chart_dirs: &[PathBuf],
    env_path: Option<OsString>,
) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(exe_dir) = exe.and_then(Path::parent) {
        // A test binary runs from `target/<profile>/deps`, where `cargo test`
        // leaves the plugin libraries it builds (they are uplifted to the
        // parent only by `cargo build`): `deps` first, or a test would load
        // the parent's copies from the last `cargo build`, however old. `deps` also holds every proc-macro
        // library of the build, so `scan_dir` only takes plugin-named files there.
        match exe_dir.parent() {
            Some(parent) if exe_dir.file_name().is_some_and(|n| n == "deps") => {
                candidates.push(exe_dir.to_path_buf());
                candidates.push(parent.to_path_buf());
            }
            _ => candidates.push(exe_dir.to_path_buf()),
        }
    }
    candidates.extend(chart_dirs.iter().cloned());
    if let Some(env_path) = env_path {
        candidates.extend(std::env::split_paths(&env_path).filter(|p| !p.as_os_str().is_empty()));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for candidate in candidates {
        let Ok(dir) = std::fs::canonicalize(&candidate) else {
            continue;
        };
        if dir.is_dir() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// Identity of a file, so one library reached through two paths (a symlink,
/// a hard link such as cargo's `deps/` copies) is loaded once.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(path: &Path) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            return FileId::Inode(meta.dev(), meta.ino());
        }
    }
    FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The loaded plugins and the chart types, indicators and sources they provide, by name.
#[derive(Debug, Default)]
pub struct PluginRegistry {
    plugins: Vec<Arc<LoadedPlugin>>,
    files: Vec<FileId>,
    chart_types: BTreeMap<String, ChartType>,
    indicators: BTreeMap<String, Indicator>,
    sources: BTreeMap<String, Source>,
    mode: LoadMode,
    /// Libraries named like plugins that did not load: (file, one-line
    /// reason). A lookup of an unknown name mentions them, since the item a
    /// chart asks for may be in one of them.
    failed: Vec<(PathBuf, String)>,
}

impl PluginRegistry {
    /// An empty registry that opens libraries in place.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty registry that opens libraries as `mode` says (live sessions
    /// use [`LoadMode::PrivateCopy`]).
    pub fn with_mode(mode: LoadMode) -> Self {
        PluginRegistry {
            mode,
            ..Self::default()
        }
    }

    /// How this registry opens libraries.
    pub fn mode(&self) -> LoadMode {
        self.mode
    }

    /// Scans `search_dirs` in order (see the module docs) and returns the
    /// registry with every plugin that loaded, plus every problem found.
    pub fn discover(search_dirs: &[PathBuf]) -> (PluginRegistry, Vec<PluginError>) {
        Self::discover_with(search_dirs, LoadMode::InPlace)
    }

    /// [`PluginRegistry::discover`], opening libraries as `mode` says.
    pub fn discover_with(
        search_dirs: &[PathBuf],
        mode: LoadMode,
    ) -> (PluginRegistry, Vec<PluginError>) {
        let mut registry = PluginRegistry::with_mode(mode);
        let mut errors = Vec::new();
        for dir in search_dirs {
            registry.scan_dir(dir, &mut errors);
        }
        (registry, errors)
    }

    /// Scans one folder, appending problems to `errors`. A missing folder is
    /// not a problem.
    pub fn scan_dir(&mut self, dir: &Path, errors: &mut Vec<PluginError>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                errors.push(PluginError::ScanFailed {
                    dir: dir.to_path_buf(),
                    reason: e.to_string(),
                });
                return;
            }
        };
        // Cargo's `deps` folder holds proc-macro libraries that must never be
        // dlopen'ed: there, only files named like plugins are considered.
        let only_plugin_names = dir.file_name().is_some_and(|n| n == "deps");
        let paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        let name_of = |path: &Path| path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
        let mut files: Vec<PathBuf> = paths
            .iter()
            .filter(|path| {
                name_of(path).is_some_and(|n| {
                    is_dylib_name(&n) && (!only_plugin_names || n.contains(PLUGIN_NAME_MARK))
                }) && path.is_file()
            })
            .cloned()
            .collect();
        if !only_plugin_names {
            let mut misnamed: Vec<&PathBuf> = paths
                .iter()
                .filter(|path| {
                    name_of(path).is_some_and(|n| is_misnamed_library(&n)) && path.is_file()
                })
                .collect();
            misnamed.sort();
            errors.extend(misnamed.into_iter().map(|path| PluginError::Misnamed {
                path: path.clone(),
                expected: format!(
                    "{}<name>{}",
                    std::env::consts::DLL_PREFIX,
                    std::env::consts::DLL_SUFFIX
                ),
            }));
        }
        // Directory order is arbitrary; sorting makes "the first one wins" reproducible.
        files.sort();
        for path in files {
            let id = file_id(&path);
            if self.files.contains(&id) {
                continue;
            }
            self.files.push(id);
            let meant_as_plugin = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(PLUGIN_NAME_MARK));
            match LoadedPlugin::load_with(&path, self.mode) {
                Ok(plugin) => errors.extend(self.add(plugin)),
                Err(PluginError::NotALibrary { .. } | PluginError::MissingSymbol { .. })
                    if !meant_as_plugin => {}
                Err(e) => {
                    self.record_failure(&path, &e);
                    errors.push(e);
                }
            }
        }
    }

    /// Loads one library explicitly (every failure is reported, whatever its
    /// name) and registers it. Returns the problems; empty means all went in.
    pub fn load_file(&mut self, path: &Path) -> Vec<PluginError> {
        let id = file_id(path);
        if self.files.contains(&id) {
            return Vec::new();
        }
        match LoadedPlugin::load_with(path, self.mode) {
            Ok(plugin) => {
                self.files.push(id);
                self.add(plugin)
            }
            Err(e) => {
                self.record_failure(path, &e);
                vec![e]
            }
        }
    }

    fn record_failure(&mut self, path: &Path, e: &PluginError) {
        let reason = e.to_string();
        let first = reason.lines().next().unwrap_or("").to_string();
        self.failed.push((path.to_path_buf(), first));
    }

    /// Why each of `files` is not among this registry's plugins (nothing for
    /// those that are): the problem discovery reported for it in
    /// `discovered`, or else the error of loading it once more (discovery
    /// skips, silently, failures of files not named like plugins, and a file
    /// may have disappeared). Paths are compared canonically.
    ///
    /// A live reload uses this to reject a new version of a library the
    /// chart used with the loader's own error, naming the file.
    pub fn failures_for(&self, files: &[PathBuf], discovered: &[PluginError]) -> Vec<PluginError> {
        let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let mut failures = Vec::new();
        for file in files {
            let file = canonical(file);
            if self.plugins.iter().any(|p| p.path() == file) {
                continue;
            }
            let reported: Vec<&PluginError> = discovered
                .iter()
                .filter(|e| e.path().is_some_and(|p| canonical(p) == file))
                .collect();
            if !reported.is_empty() {
                failures.extend(reported.into_iter().cloned());
                continue;
            }
            match LoadedPlugin::load_with(&file, self.mode) {
                // Loads now (it changed again meanwhile): nothing to report;
                // the next change event reloads.
                Ok(_) => {}
                Err(e) => failures.push(e),
            }
        }
        failures
    }

    /// Registers a loaded plugin's items. A plugin whose name is taken is not
    /// added; an item whose name is taken keeps the first registration. Each
    /// clash is returned as [`PluginError::Duplicate`].
    pub fn add(&mut self, plugin: Arc<LoadedPlugin>) -> Vec<PluginError> {
        let mut errors = Vec::new();
        if let Some(first) = self.plugins.iter().find(|p| p.name() == plugin.name()) {
            errors.push(duplicate(ItemKind::Plugin, plugin.name(), first, &plugin));
            return errors;
        }
        for c in &plugin.info().chart_types {
            if let Some(message) = &c.shader_error {
                errors.push(PluginError::BadShader {
                    path: plugin.path().to_path_buf(),
                    message: message.clone(),
                });
            }
        }
        for item in plugin.chart_types() {
            register(
                &mut self.chart_types,
                ItemKind::ChartType,
                item,
                ChartType::plugin,
                ChartType::name,
                &mut errors,
            );
        }
        for item in plugin.indicators() {
            register(
                &mut self.indicators,
                ItemKind::Indicator,
                item,
                Indicator::plugin,
                Indicator::name,
                &mut errors,
            );
        }
        for item in plugin.sources() {
            register(
                &mut self.sources,
                ItemKind::Source,
                item,
                Source::plugin,
                Source::name,
                &mut errors,
            );
        }
        self.plugins.push(plugin);
        errors
    }

    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }

    /// The plugin called `name`.
    pub fn plugin(&self, name: &str) -> Result<&Arc<LoadedPlugin>, PluginError> {
        self.plugins
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                self.unknown(
                    ItemKind::Plugin,
                    name,
                    self.plugins.iter().map(|p| p.name()),
                )
            })
    }

    /// The chart type called `name`, or an error with a did-you-mean and the list.
    pub fn chart_type(&self, name: &str) -> Result<&ChartType, PluginError> {
        self.lookup(&self.chart_types, ItemKind::ChartType, name)
    }

    /// The indicator called `name`, or an error with a did-you-mean and the list.
    pub fn indicator(&self, name: &str) -> Result<&Indicator, PluginError> {
        self.lookup(&self.indicators, ItemKind::Indicator, name)
    }

    /// The source called `name`, or an error with a did-you-mean and the list.
    pub fn source(&self, name: &str) -> Result<&Source, PluginError> {
        self.lookup(&self.sources, ItemKind::Source, name)
    }

    /// Every registered name of `kind`, sorted.
    pub fn names(&self, kind: ItemKind) -> Vec<&str> {
        match kind {
            ItemKind::Plugin => {
                let mut names: Vec<&str> = self.plugins.iter().map(|p| p.name()).collect();
                names.sort_unstable();
                names
            }
            ItemKind::ChartType => self.chart_types.keys().map(String::as_str).collect(),
            ItemKind::Indicator => self.indicators.keys().map(String::as_str).collect(),
            ItemKind::Source => self.sources.keys().map(String::as_str).collect(),
        }
    }

    /// The chart type that draws a script output needing the `GC_DRAWS_*`
    /// bits `draws`: the first, in load order (search-path order, then each
    /// plugin's declaration order), that declares them all. The host maps
    /// script plot styles only through these declarations.
    pub fn chart_type_drawing(&self, draws: u32) -> Option<&ChartType> {
        self.plugins.iter().find_map(|plugin| {
            plugin
                .info()
                .chart_types
                .iter()
                .filter(|c| draws != 0 && c.draws & draws == draws)
                .find_map(|c| {
                    // The registered item of that name (a clash keeps the first plugin's).
                    self.chart_types
                        .get(&c.name)
                        .filter(|ct| Arc::ptr_eq(ct.plugin(), plugin))
                })
        })
    }

    /// A readable listing of every plugin, for `gpu-charts plugins`: name,
    /// version, ABI version, file, and each item with its params (name, type,
    /// default, description, from the params schema).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if self.plugins.is_empty() {
            out.push_str("no plugins loaded\n");
            return out;
        }
        for (i, plugin) in self.plugins.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let info = plugin.info();
            let _ = writeln!(
                out,
                "{} {} (ABI v{})",
                info.name, info.version, info.abi_version
            );
            let _ = writeln!(out, "  file: {}", info.path.display());
            if !info.description.is_empty() {
                let _ = writeln!(out, "  {}", info.description);
            }
            if !info.chart_types.is_empty() {
                out.push_str("  chart types:\n");
                for c in &info.chart_types {
                    describe_item(&mut out, &c.name, &c.description, &c.params_schema);
                    let input = match c.input {
                        api::GC_INPUT_BARS => "bars",
                        api::GC_INPUT_BAND => "band",
                        _ => "line",
                    };
                    let _ = writeln!(
                        out,
                        "      draws from: {input}, {} vertices per bar",
                        c.vertices_per_instance
                    );
                    if c.draws != 0 {
                        let styles: Vec<&str> = api::GC_DRAWS_PARAMS
                            .iter()
                            .filter(|(bit, _)| c.draws & bit != 0)
                            .map(|(bit, _)| draws_style(*bit))
                            .collect();
                        let _ = writeln!(out, "      draws for scripts: {}", styles.join(", "));
                    }
                    if let Some(e) = &c.shader_error {
                        let first = e.lines().next().unwrap_or_default();
                        let _ = writeln!(out, "      BROKEN SHADER: {first}");
                    }
                }
            }
            if !info.indicators.is_empty() {
                out.push_str("  indicators:\n");
                for ind in &info.indicators {
                    describe_item(&mut out, &ind.name, &ind.description, &ind.params_schema);
                    let _ = writeln!(
                        out,
                        "      inputs: {}; outputs: {}",
                        ind.inputs.join(", "),
                        ind.outputs.join(", ")
                    );
                }
            }
            if !info.sources.is_empty() {
                out.push_str("  sources:\n");
                for s in &info.sources {
                    describe_item(&mut out, &s.name, &s.description, &s.params_schema);
                }
            }
        }
        out
    }
}

fn duplicate(
    kind: ItemKind,
    name: &str,
    first: &LoadedPlugin,
    second: &LoadedPlugin,
) -> PluginError {
    PluginError::Duplicate {
        kind,
        name: name.to_string(),
        first_plugin: first.name().to_string(),
        first: first.path().to_path_buf(),
        second_plugin: second.name().to_string(),
        second: second.path().to_path_buf(),
    }
}

fn register<T>(
    map: &mut BTreeMap<String, T>,
    kind: ItemKind,
    item: T,
    plugin_of: fn(&T) -> &Arc<LoadedPlugin>,
    name_of: fn(&T) -> &str,
    errors: &mut Vec<PluginError>,
) {
    let name = name_of(&item).to_string();
    if let Some(first) = map.get(&name) {
        errors.push(duplicate(kind, &name, plugin_of(first), plugin_of(&item)));
        return;
    }
    map.insert(name, item);
}

impl PluginRegistry {
    fn lookup<'a, T>(
        &self,
        map: &'a BTreeMap<String, T>,
        kind: ItemKind,
        name: &str,
    ) -> Result<&'a T, PluginError> {
        map.get(name)
            .ok_or_else(|| self.unknown(kind, name, map.keys().map(String::as_str)))
    }

    fn unknown<'a>(
        &self,
        kind: ItemKind,
        name: &str,
        known: impl Iterator<Item = &'a str>,
    ) -> PluginError {
        let mut available: Vec<String> = known.map(str::to_string).collect();
        available.sort();
        // A library whose file name carries the wanted name most likely
        // provides it (`libgpu_charts_plugin_line.so` for `line`): it
        // comes first.
        let mut failed: Vec<(PathBuf, String)> = self.failed.clone();
        failed.sort_by_key(|(path, _)| !names_item(path, name));
        PluginError::Unknown {
            kind,
            name: name.to_string(),
            suggestion: did_you_mean(name, available.iter().map(String::as_str)),
            available,
            failed_libraries: failed,
        }
    }
}

/// Whether a library file's name says it holds `name`
/// (`<prefix>gpu_charts_plugin_<name><suffix>`, `-` and `_` alike).
fn names_item(path: &Path, name: &str) -> bool {
    let norm = |s: &str| s.replace('-', "_").to_ascii_lowercase();
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| norm(n).contains(&format!("{PLUGIN_NAME_MARK}_{}", norm(name))))
}

fn describe_item(out: &mut String, name: &str, description: &str, schema: &str) {
    if description.is_empty() {
        let _ = writeln!(out, "    {name}");
    } else {
        let _ = writeln!(out, "    {name}: {description}");
    }
    // The loader checked the schema parses; `Null` only guards against drift.
    let schema: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
    let params = describe_params(&schema);
    if params.is_empty() {
        out.push_str("      params: none\n");
    } else {
        out.push_str("      params:\n");
        for line in params {
            let _ = writeln!(out, "        {line}");
        }
    }
}

/// One line per property of an object schema: `name (type, required,
/// default X): description`.
fn describe_params(schema: &Value) -> Vec<String> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    properties
        .iter()
        .map(|(name, prop)| {
            let mut facts = vec![type_of(prop)];
            if required.contains(&name.as_str()) {
                facts.push("required".to_string());
            }
            if let Some(range) = range_of(prop) {
                facts.push(range);
            }
            if let Some(default) = prop.get("default") {
                facts.push(format!("default {default}"));
            }
            let mut line = format!("{name} ({})", facts.join(", "));
            if let Some(description) = prop.get("description").and_then(Value::as_str) {
                let _ = write!(line, ": {description}");
            }
            line
        })
        .collect()
}

/// How `gpu-charts plugins` names a `GC_DRAWS_*` style.
fn draws_style(bit: u32) -> &'static str {
    match bit {
        api::GC_DRAWS_LINE => "line",
        api::GC_DRAWS_LINE_DASH => "dashed line",
        api::GC_DRAWS_HISTOGRAM => "histogram",
        api::GC_DRAWS_POINTS => "points",
        api::GC_DRAWS_MARKERS => "markers",
        api::GC_DRAWS_BAND => "band",
        _ => "?",
    }
}

/// A property's numeric bounds: `1..=500`, `>= 1`, `< 10`, ... (`None`
/// when it has none).
fn range_of(prop: &Value) -> Option<String> {
    let bound = |key: &str| {
        prop.get(key)
            .filter(|v| v.is_number())
            .map(Value::to_string)
    };
    let (min, max) = (bound("minimum"), bound("maximum"));
    let (xmin, xmax) = (bound("exclusiveMinimum"), bound("exclusiveMaximum"));
    let low = min
        .as_ref()
        .map(|m| format!(">= {m}"))
        .or_else(|| xmin.as_ref().map(|m| format!("> {m}")));
    let high = max
        .as_ref()
        .map(|m| format!("<= {m}"))
        .or_else(|| xmax.as_ref().map(|m| format!("< {m}")));
    match (&min, &max, low, high) {
        (Some(min), Some(max), _, _) => Some(format!("{min}..={max}")),
        (_, _, Some(low), Some(high)) => Some(format!("{low}, {high}")),
        (_, _, low, high) => low.or(high),
    }
}

fn type_of(prop: &Value) -> String {
    if let Some(values) = prop.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        return format!("one of {}", values.join(", "));
    }
    match prop.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => match prop.get("$ref").and_then(Value::as_str) {
            Some(r) => r.rsplit('/').next().unwrap_or(r).to_string(),
            None => "any".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_dirs_use_target_dir_for_test_binaries_then_charts_then_env() {
        let root = tempfile::tempdir().expect("tempdir");
        let debug = root.path().join("target/debug");
        let deps = debug.join("deps");
        let charts = root.path().join("charts");
        let extra = root.path().join("extra");
        for d in [&deps, &charts, &extra] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        let missing = root.path().join("missing");
        let env = std::env::join_paths([&extra, &missing, &debug]).expect("join");
        let dirs = search_dirs(
            Some(&deps.join("test-bin")),
            &[charts.clone(), missing.clone()],
            Some(env),
        );
        let canon = |p: &Path| std::fs::canonicalize(p).expect("canonicalize");
        // `deps` first (what `cargo test` just built; `debug` may hold
        // older copies from an earlier `cargo build`), `debug` once
        // (deduplicated); missing folders never.
        assert_eq!(
            dirs,
            vec![canon(&deps), canon(&debug), canon(&charts), canon(&extra)]
        );

        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        assert_eq!(
            search_dirs(Some(&bin.join("gpu-charts")), &[], None),
            vec![canon(&bin)]
        );
    }

    #[test]
    fn an_unknown_name_mentions_libraries_that_failed_to_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lib = |stem: &str| {
            dir.path().join(format!(
                "{}{stem}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        };
        std::fs::write(lib("gpu_charts_plugin_band"), "not a library").expect("write");
        std::fs::write(lib("gpu_charts_plugin_line"), "not a library either").expect("write");
        let (registry, warnings) = PluginRegistry::discover(&[dir.path().to_path_buf()]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        let message = match registry.chart_type("line") {
            Err(e @ PluginError::Unknown { .. }) => e.to_string(),
            other => panic!("expected an unknown chart type, got {other:?}"),
        };
        assert!(
            message.starts_with("unknown chart type `line`"),
            "{message}"
        );
        let note = message
            .lines()
            .position(|l| l.starts_with("note: 2 plugin libraries failed to load"))
            .unwrap_or_else(|| panic!("no note in:\n{message}"));
        // The library named for `line` comes first.
        let first = message.lines().nth(note + 1).expect("a line per library");
        assert!(
            first.contains("gpu_charts_plugin_line") && first.contains("`: "),
            "{message}"
        );

        let empty = PluginRegistry::new();
        let plain = empty.chart_type("line").expect_err("unknown").to_string();
        assert!(!plain.contains("failed to load"), "{plain}");
    }

    #[test]
    fn dylib_names_follow_the_platform() {
        let name = |stem: &str| {
            format!(
                "{}{stem}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        };
        assert!(is_dylib_name(&name("gpu_charts_plugin_sma")));
        assert!(!is_dylib_name(&format!("{}.txt", name("x"))));
        assert!(!is_dylib_name(&name("")));
    }

    #[test]
    fn params_are_listed_from_the_schema() {
        let schema: Value = serde_json::from_str(
            r#"{"type":"object","required":["period"],"properties":{
                "period":{"type":"integer","minimum":1,"description":"Bars averaged."},
                "source":{"enum":["open","close"],"default":"close"},
                "width":{"type":["number","null"],"default":1.5,"exclusiveMinimum":0,"maximum":9},
                "k":{"type":"number","minimum":0.5,"maximum":4,"default":2},
                "lag":{"type":"integer","maximum":10}}}"#,
        )
        .expect("schema");
        let mut lines = describe_params(&schema);
        lines.sort();
        assert_eq!(
            lines,
            vec![
                "k (number, 0.5..=4, default 2)".to_string(),
                "lag (integer, <= 10)".to_string(),
                "period (integer, required, >= 1): Bars averaged.".to_string(),
                r#"source (one of "open", "close", default "close")"#.to_string(),
                "width (number | null, > 0, <= 9, default 1.5)".to_string(),
            ]
        );
        assert!(describe_params(&Value::Bool(true)).is_empty());
    }
}
