//! The pipeline shared by every command: chart file → plugins → model →
//! frame → pixels. `render`, `export`, `validate`, `demo` (and later the
//! window) all go through [`ChartSession`], so they see the same data.

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigErrors, LoadedChart};
use crate::gpu::{GpuContext, GpuError, Renderer};
use crate::plugins::{LoadMode, PluginError, PluginRegistry, default_search_dirs};
use crate::scene::model::DataCache;
use crate::scene::{ChartModel, FrameScene, ViewRange, build_frame, build_model};

/// Texture format of offscreen frames (and PNGs).
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

/// Anything that can stop a chart from loading or rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chart file (or what it references) is invalid; located errors.
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    /// GPU failure.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// Writing an output failed.
    #[error("could not write `{path}`: {message}")]
    Output {
        /// The output path.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Plugins and cached data that outlive one chart load.
pub struct ChartSession {
    /// Extra plugin folders given on the command line.
    pub extra_plugin_dirs: Vec<PathBuf>,
    registry: Option<(Vec<PathBuf>, PluginRegistry)>,
    /// Problems found while scanning plugin folders (shown as warnings).
    pub plugin_warnings: Vec<PluginError>,
    cache: DataCache,
    load_mode: LoadMode,
    max_image_side: Option<u32>,
}

impl Default for ChartSession {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl ChartSession {
    /// A session that also searches `extra_plugin_dirs`.
    pub fn new(extra_plugin_dirs: Vec<PathBuf>) -> ChartSession {
        ChartSession {
            extra_plugin_dirs,
            registry: None,
            plugin_warnings: Vec::new(),
            cache: DataCache::default(),
            load_mode: LoadMode::InPlace,
            max_image_side: None,
        }
    }

    /// The same session opening plugin libraries as `mode` says (live
    /// sessions load private copies, see [`LoadMode::PrivateCopy`]).
    pub fn with_load_mode(mut self, mode: LoadMode) -> ChartSession {
        if mode != self.load_mode {
            self.load_mode = mode;
            self.registry = None;
        }
        self
    }

    /// Makes a chart whose `size` has a side longer than `max` pixels (the
    /// GPU's largest texture side, [`Offscreen::max_image_side`]) fail to
    /// load with an error located at `size`; `None` checks nothing.
    pub fn set_max_image_side(&mut self, max: Option<u32>) {
        self.max_image_side = max;
    }

    /// The registry for plugin folders `dirs` (rescanned only when they change).
    pub fn registry_for(&mut self, chart_dirs: &[PathBuf]) -> &PluginRegistry {
        let mut dirs: Vec<PathBuf> = self.extra_plugin_dirs.clone();
        dirs.extend_from_slice(chart_dirs);
        let search = default_search_dirs(&dirs);
        let stale = self.registry.as_ref().is_none_or(|(d, _)| *d != search);
        if stale {
            let (reg, warnings) = PluginRegistry::discover_with(&search, self.load_mode);
            self.plugin_warnings = warnings;
            self.registry = Some((search, reg));
        }
        match &self.registry {
            Some((_, r)) => r,
            None => unreachable!("registry was just set"),
        }
    }

    /// Loads, validates and computes a chart file.
    pub fn load(&mut self, path: &Path) -> Result<ChartModel, Error> {
        let loaded = config::load_chart_file(path)?;
        self.model(&loaded)
    }

    /// Builds the model of an already parsed chart.
    pub fn model(&mut self, loaded: &LoadedChart) -> Result<ChartModel, Error> {
        if let Some(max) = self.max_image_side {
            loaded.check_size_limit(max)?;
        }
        let dirs: Vec<PathBuf> = loaded
            .config
            .plugins
            .iter()
            .map(|p| loaded.base_dir.join(p))
            .collect();
        self.registry_for(&dirs);
        let registry = match &self.registry {
            Some((_, r)) => r,
            None => unreachable!("registry_for sets it"),
        };
        Ok(build_model(loaded, registry, &mut self.cache)?)
    }
}

/// Builds the frame of `model`'s initial view at `size`.
pub fn initial_frame(model: &ChartModel, size: Option<[u32; 2]>) -> FrameScene {
    build_frame(
        model,
        model.initial_view,
        size.unwrap_or(model.config.size),
        1.0,
    )
}

/// A headless GPU and renderer for offscreen frames.
pub struct Offscreen {
    /// Device.
    pub ctx: GpuContext,
    /// Renderer.
    pub renderer: Renderer,
}

impl Offscreen {
    /// Opens the default adapter headless.
    pub fn new() -> Result<Offscreen, GpuError> {
        let ctx = GpuContext::headless()?;
        let renderer = Renderer::new(&ctx, OFFSCREEN_FORMAT)?;
        Ok(Offscreen { ctx, renderer })
    }

    /// The largest image side this GPU draws (its largest texture side;
    /// larger images are drawn in tiles up to this side).
    pub fn max_image_side(&self) -> u32 {
        crate::gpu::max_image_side(&self.ctx.device.limits())
    }

    /// An error naming the limit if an image of `size` cannot be drawn.
    pub fn check_size(&self, size: [u32; 2]) -> Result<(), GpuError> {
        crate::gpu::check_image_size(&self.ctx.device.limits(), size)
    }

    /// Renders a frame to pixels.
    pub fn render(&mut self, scene: &FrameScene) -> Result<image::RgbaImage, GpuError> {
        self.renderer.render_image(&self.ctx, scene)
    }

    /// Renders `model` (initial view, optional size) and writes a PNG.
    pub fn render_png(
        &mut self,
        model: &ChartModel,
        size: Option<[u32; 2]>,
        view: Option<ViewRange>,
        out: &Path,
    ) -> Result<(), Error> {
        let size = size.unwrap_or(model.config.size);
        let mut scene = build_frame(model, view.unwrap_or(model.initial_view), size, 1.0);
        // Failed indicators are left out; say so in the image too.
        if let Some(text) = model.failure_report() {
            crate::scene::banner::error_banner(&mut scene, &model.palette, &text, 1.0);
        }
        let img = self.render(&scene)?;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Output {
                path: out.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        img.save(out).map_err(|e| Error::Output {
            path: out.to_path_buf(),
            message: e.to_string(),
        })
    }
}
