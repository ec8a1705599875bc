//! The files a chart is built from, and which file-system events concern it.
//!
//! Paths are kept as `canonical folder + file name`: that is how the watcher
//! reports events for a watched folder, and it stays valid while the file
//! itself is missing (deleted, or renamed away during a save).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::LoadedChart;
use crate::plugins::PluginRegistry;
use crate::scene::ChartModel;

use super::LiveOptions;

/// What a chart depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// The chart file and its Lua scripts.
    pub files: BTreeSet<PathBuf>,
    /// Folders of the scripts: any `.lua` file in them may be a module a
    /// script `require`s (modules in subfolders are not watched).
    pub script_dirs: BTreeSet<PathBuf>,
    /// Plugin libraries the chart uses.
    pub plugins: BTreeSet<PathBuf>,
    /// Folders of host shaders read from disk (debug builds).
    pub shader_dirs: BTreeSet<PathBuf>,
}

/// `path` as `canonical(parent)/name`; `None` when the folder does not exist.
pub fn watch_key(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    let name = path.file_name()?;
    let parent = std::fs::canonicalize(path.parent()?).ok()?;
    Some(parent.join(name))
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

impl Dependencies {
    /// Only the chart file (and shaders): what is known when it does not parse.
    pub fn chart_only(chart: &Path, options: &LiveOptions) -> Dependencies {
        let mut d = Dependencies::default();
        d.files.extend(watch_key(chart));
        if options.watch_shaders {
            d.shader_dirs = shader_dirs();
        }
        d
    }

    /// Everything `loaded` uses: its scripts and the libraries of the plugins
    /// it names (sources, indicators, chart types of its series and of the
    /// series its scripts plot, taken from `model` when it built).
    pub fn of(
        loaded: &LoadedChart,
        registry: &PluginRegistry,
        model: Option<&ChartModel>,
        options: &LiveOptions,
    ) -> Dependencies {
        let mut d = Dependencies::chart_only(&loaded.path, options);
        let cfg = &loaded.config;
        for script in cfg.indicators.iter().filter_map(|i| i.script.as_ref()) {
            if let Some(key) = watch_key(&loaded.base_dir.join(script)) {
                if let Some(dir) = key.parent() {
                    // Its folder and those below it: modules it may require.
                    d.script_dirs.extend(
                        crate::script::module_dirs(dir)
                            .into_iter()
                            .filter_map(|m| watch_key(&m)),
                    );
                }
                d.files.insert(key);
            }
        }
        let mut libs: Vec<&Path> = Vec::new();
        for src in cfg.sources.values() {
            libs.extend(registry.source(&src.kind).ok().map(|s| s.plugin().path()));
        }
        for kind in cfg.indicators.iter().filter_map(|i| i.kind.as_ref()) {
            libs.extend(registry.indicator(kind).ok().map(|s| s.plugin().path()));
        }
        for series in cfg.panes.iter().flat_map(|p| &p.series) {
            libs.extend(
                registry
                    .chart_type(&series.chart_type)
                    .ok()
                    .map(|s| s.plugin().path()),
            );
        }
        if let Some(model) = model {
            for series in model.panes.iter().flat_map(|p| &p.series) {
                libs.extend(registry.plugin(&series.spec.plugin).ok().map(|p| p.path()));
            }
        }
        d.plugins.extend(libs.into_iter().filter_map(watch_key));
        d
    }

    /// Both sets together.
    pub fn union(&self, other: &Dependencies) -> Dependencies {
        let mut d = self.clone();
        d.files.extend(other.files.iter().cloned());
        d.script_dirs.extend(other.script_dirs.iter().cloned());
        d.plugins.extend(other.plugins.iter().cloned());
        d.shader_dirs.extend(other.shader_dirs.iter().cloned());
        d
    }

    /// The chart file, scripts and plugin libraries, sorted.
    pub fn sources(&self) -> Vec<PathBuf> {
        self.files.iter().chain(&self.plugins).cloned().collect()
    }

    /// The folders to watch (not recursively).
    pub fn dirs(&self) -> BTreeSet<PathBuf> {
        let mut dirs: BTreeSet<PathBuf> = self
            .files
            .iter()
            .chain(&self.plugins)
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        dirs.extend(self.script_dirs.iter().cloned());
        dirs.extend(self.shader_dirs.iter().cloned());
        dirs
    }

    /// Whether an event on `path` (as the watcher reports it) concerns the chart.
    pub fn is_relevant(&self, path: &Path) -> bool {
        let in_dirs = |dirs: &BTreeSet<PathBuf>| path.parent().is_some_and(|p| dirs.contains(p));
        self.files.contains(path)
            || self.plugins.contains(path)
            || (has_ext(path, "lua") && in_dirs(&self.script_dirs))
            || (has_ext(path, "wgsl") && in_dirs(&self.shader_dirs))
    }

    /// Whether `path` is one of the plugin libraries.
    pub fn is_plugin(&self, path: &Path) -> bool {
        self.plugins.contains(path)
    }
}

/// The folders debug builds read shaders from (see `gpu::shader`); empty in
/// release builds, which use the embedded copies.
fn shader_dirs() -> BTreeSet<PathBuf> {
    if !cfg!(debug_assertions) {
        return BTreeSet::new();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    ["shaders", "plugin-api/wgsl"]
        .iter()
        .filter_map(|d| std::fs::canonicalize(root.join(d)).ok())
        .collect()
}
