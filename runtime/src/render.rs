//! The pipeline shared by every command: chart file → plugins → model →
//! frame → pixels. `render`, `export`, `validate`, `demo` (and later the
//! window) all go through [`ChartSession`], so they see the same data.

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigErrors, LoadedChart};
use crate::data::accel::SharedTickAggregator;
use crate::gpu::aggregate::{GpuAggregatePolicy, GpuTickAggregator};
use crate::gpu::{GpuContext, GpuError, Renderer};
use crate::plugins::{LoadMode, PluginError, PluginRegistry, default_search_dirs};
use crate::quality::{self, AdapterFacts, BudgetSource, MemoryBudget, QualitySettings};
use crate::scene::model::DataCache;
use crate::scene::model::build_model_with;
use crate::scene::{ChartModel, FrameScene, ViewRange, build_frame};

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
    options: RenderOptions,
}

/// What the command line adds to every chart a session loads: a quality
/// preset and a memory budget overriding the chart file's, and the
/// adapter `quality = "auto"` picks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderOptions {
    /// `--quality`.
    pub quality: Option<crate::config::Quality>,
    /// `--memory-budget`, in bytes.
    pub memory_budget_bytes: Option<u64>,
    /// The GPU that will draw (for `auto`); `None`: `auto` is `balanced`.
    pub adapter: Option<AdapterFacts>,
    /// Aggregates large tick sets shown at a timeframe (the GPU's
    /// [`crate::gpu::aggregate::GpuTickAggregator`], see
    /// [`Offscreen::tick_aggregator`]); `None`: the CPU path only. The bars
    /// are the same either way.
    pub tick_aggregator: Option<SharedTickAggregator>,
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
            options: RenderOptions::default(),
        }
    }

    /// Sets the command line's preset and budget overrides and the adapter.
    pub fn set_options(&mut self, options: RenderOptions) {
        self.options = options;
    }

    /// The command line's overrides and the adapter.
    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    /// The data cache's statistics (hits, misses, evictions) and the bytes
    /// it holds.
    pub fn cache_stats(&self) -> (crate::data::cache::CacheStats, usize) {
        (self.cache.stats(), self.cache.used_bytes())
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
        let (settings, budget) = self.settings_for(loaded);
        self.cache.set_budget(budget.cpu_bytes() as usize);
        self.cache.begin_build();
        let accel = self.options.tick_aggregator.as_ref().map(|a| &*a.0);
        if let Some(a) = accel {
            a.set_resident_budget(budget.gpu_bytes());
        }
        let mut model = build_model_with(loaded, registry, &mut self.cache, accel)?;
        check_working_set(loaded, &budget, self.cache.working_bytes() as u64)?;
        model.quality = settings;
        model.memory_budget = budget;
        model.gpu_resident_bytes = accel.map_or(0, |a| a.usage().resident_bytes);
        Ok(model)
    }

    /// The quality settings and memory budget for `loaded` (command line
    /// over chart file over preset default).
    pub fn settings_for(&self, loaded: &LoadedChart) -> (QualitySettings, MemoryBudget) {
        let requested = self.options.quality.unwrap_or(loaded.config.quality);
        let settings = quality::resolve(requested, self.options.adapter.as_ref());
        // A malformed file value was a located error at parse time.
        let file = loaded
            .config
            .memory_budget
            .as_ref()
            .and_then(|b| b.bytes().ok());
        let budget = MemoryBudget::choose(self.options.memory_budget_bytes, file, &settings);
        (settings, budget)
    }
}

/// A budget whose CPU share is smaller than what the chart keeps resident
/// (its source tables, aggregated bars and indicator outputs, `needed`
/// bytes) is an error: the chart would be read again on every reload
/// (thrashing) while holding more than it promised. Located at
/// `memory_budget` when the file set it.
fn check_working_set(
    loaded: &LoadedChart,
    budget: &MemoryBudget,
    needed: u64,
) -> Result<(), ConfigErrors> {
    if needed <= budget.cpu_bytes() {
        return Ok(());
    }
    use crate::config::bytes::format_bytes;
    // The CPU share is 7/8 of the total: ask for a total whose share fits.
    let at_least = (needed * 8).div_ceil(7);
    let message = format!(
        "memory budget {} is smaller than this chart needs: its tables and indicator outputs take {}, and {} of the budget is for them (the GPU pool has the other {})",
        budget.describe(),
        format_bytes(needed),
        format_bytes(budget.cpu_bytes()),
        format_bytes(budget.gpu_bytes()),
    );
    let help = Some(format!(
        "raise the budget to at least {} ({} bytes), or load less data",
        format_bytes(at_least),
        at_least
    ));
    let kind = crate::config::ConfigErrorKind::InvalidValue;
    let error = match budget.source {
        BudgetSource::ChartFile => loaded
            .source_map
            .error_at("memory_budget", kind, message, help),
        _ => crate::config::ConfigError::unlocated(&loaded.path, kind, message, help),
    };
    Err(ConfigErrors(vec![error]))
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

    /// The model's GPU path over this device: large tick sets shown at a
    /// timeframe are aggregated here ([`GpuAggregatePolicy::Auto`], unless
    /// the environment's [`crate::gpu::aggregate::POLICY_ENV`] says
    /// `force` or `off`). Set it as [`RenderOptions::tick_aggregator`].
    pub fn tick_aggregator(&self) -> SharedTickAggregator {
        let policy = GpuAggregatePolicy::from_env(GpuAggregatePolicy::Auto);
        SharedTickAggregator(std::sync::Arc::new(GpuTickAggregator::new(
            &self.ctx, policy,
        )))
    }

    /// What `quality = "auto"` looks at in this GPU.
    pub fn adapter_facts(&self) -> AdapterFacts {
        AdapterFacts::of(&self.ctx.adapter)
    }

    /// Draws as `model`'s preset and budget say: its MSAA samples, the
    /// GPU share of its budget for the buffer pool.
    pub fn apply(&mut self, model: &ChartModel) -> Result<(), GpuError> {
        self.renderer
            .set_msaa_samples(&self.ctx, model.quality.msaa_samples)?;
        self.renderer
            .set_pool_budget(model.memory_budget.pool_bytes(model.gpu_resident_bytes));
        Ok(())
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

    /// A single-sample texture of `size` to draw into, as a window's
    /// surface texture (no readback: for timing frames, as `stats` and the
    /// pan benchmarks do).
    pub fn window_target(&self, size: [u32; 2], label: &str) -> wgpu::TextureView {
        self.ctx
            .device
            .create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: size[0],
                    height: size[1],
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: OFFSCREEN_FORMAT,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                view_formats: &[],
            })
            .create_view(&Default::default())
    }

    /// Encodes `scene` into `target`, submits and waits for the GPU (what
    /// the window does for a frame, less presenting).
    pub fn draw_and_wait(
        &mut self,
        scene: &FrameScene,
        target: &wgpu::TextureView,
    ) -> Result<(), GpuError> {
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        self.renderer
            .encode(&self.ctx, &mut encoder, scene, target)?;
        self.ctx.queue.submit([encoder.finish()]);
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Wgpu(e.to_string()))?;
        Ok(())
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
        self.apply(model)?;
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
