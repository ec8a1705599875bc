//! Quality presets and the one memory budget.
//!
//! A preset (`quality = "..."` in the chart file, `--quality` on the command
//! line) selects the MSAA sample count, line antialiasing, the
//! level-of-detail bucket width and the default memory budget:
//!
//! | preset | MSAA | line antialiasing | bucket width (lines / bars) | budget |
//! |---|---|---|---|---|
//! | `quality` | 4× | MSAA | 0.5 px / 1 px | 4 GiB |
//! | `balanced` (default) | 4× | MSAA | 1 px / 2 px | 2 GiB |
//! | `performance` | off | none | 1.5 px / 3 px | 2 GiB |
//! | `low-power` | off | none | 2 px / 4 px | 512 MiB |
//!
//! Lines are antialiased by MSAA only (chart types draw hard-edged quads), so
//! a preset without MSAA draws aliased lines. `balanced` is exactly what
//! earlier versions drew, so goldens made before presets stay identical.
//!
//! `auto` picks from the adapter ([`auto_preset`]): a software adapter
//! (`wgpu::DeviceType::Cpu`, or llvmpipe / lavapipe / SwiftShader by name)
//! gets `low-power`, where MSAA alone makes a 1600×900 pan frame cost
//! 37–41 ms; a virtual GPU or one whose largest texture is under 8192 px gets
//! `performance`; other GPUs `balanced`. Then [`AutoTuner`] steps it down
//! one level (quality → balanced → performance → low-power) whenever the
//! median of the last [`TUNE_WINDOW`] frames' work (CPU scene + encode and
//! submit + GPU when measured) is over [`SLOW_FRAME_MS`], judging again only
//! after another window; it never steps up (that would oscillate), and a
//! new window or `stats` run starts from the adapter's pick.
//!
//! The memory budget ([`MemoryBudget`]) is one total: the renderer's GPU
//! buffer pool gets an eighth of it ([`MemoryBudget::gpu_bytes`]), the CPU
//! cache of source tables, aggregated bars and indicator outputs the rest
//! ([`MemoryBudget::cpu_bytes`]). Per-frame GPU buffers are small (instances
//! per pixel column), while the columns are what grows with the data.

use crate::config::Quality;
use crate::config::bytes::format_bytes;

/// Frames the auto preset looks at before judging the frame time.
pub const TUNE_WINDOW: usize = 30;

/// A median frame slower than this (ms) steps the auto preset down: a
/// 60 Hz frame with room for the compositor.
pub const SLOW_FRAME_MS: f64 = 12.0;

/// What a preset sets.
#[derive(Debug, Clone, PartialEq)]
pub struct QualitySettings {
    /// What was asked for (may be `auto`).
    pub requested: Quality,
    /// The preset in effect (never `auto`).
    pub preset: Quality,
    /// MSAA samples per pixel (1: off).
    pub msaa_samples: u32,
    /// Whether lines are antialiased (by MSAA: true when `msaa_samples > 1`).
    pub line_antialiasing: bool,
    /// Level-of-detail bucket width of line series in logical pixels (bar
    /// series use twice this, so a candle keeps a body and a gap).
    pub lod_px: f32,
    /// The budget used when neither the chart file nor the command line
    /// sets one.
    pub default_budget_bytes: u64,
    /// Why this preset (for `auto`: what the adapter or frame time said).
    pub reason: String,
}

impl Default for QualitySettings {
    fn default() -> Self {
        QualitySettings::of(Quality::Balanced)
    }
}

impl QualitySettings {
    /// The settings of a concrete preset (`auto` gives `balanced`'s; use
    /// [`resolve`] to pick for an adapter).
    pub fn of(preset: Quality) -> QualitySettings {
        let (msaa, lod_px, budget) = match preset {
            Quality::Quality => (4, 0.5, 4u64 << 30),
            Quality::Balanced | Quality::Auto => (4, 1.0, 2 << 30),
            Quality::Performance => (1, 1.5, 2 << 30),
            Quality::LowPower => (1, 2.0, 512 << 20),
        };
        let preset = if preset == Quality::Auto {
            Quality::Balanced
        } else {
            preset
        };
        QualitySettings {
            requested: preset,
            preset,
            msaa_samples: msaa,
            line_antialiasing: msaa > 1,
            lod_px,
            default_budget_bytes: budget,
            reason: "named in the chart file or by --quality".into(),
        }
    }

    /// One line: `low-power (auto: software adapter llvmpipe): MSAA off, ...`.
    pub fn summary(&self) -> String {
        let name = preset_name(self.preset);
        let head = if self.requested == Quality::Auto {
            format!("{name} (auto: {})", self.reason)
        } else {
            name.to_string()
        };
        format!(
            "{head}: MSAA {}, line antialiasing {}, LOD bucket {} px",
            if self.msaa_samples > 1 {
                format!("{}x", self.msaa_samples)
            } else {
                "off".into()
            },
            if self.line_antialiasing {
                "MSAA"
            } else {
                "none"
            },
            self.lod_px
        )
    }
}

/// The preset's name as the chart file writes it.
pub fn preset_name(q: Quality) -> &'static str {
    match q {
        Quality::Performance => "performance",
        Quality::Balanced => "balanced",
        Quality::Quality => "quality",
        Quality::LowPower => "low-power",
        Quality::Auto => "auto",
    }
}

/// Parses a preset name (the `--quality` flag).
pub fn parse_preset(s: &str) -> Result<Quality, String> {
    match s {
        "performance" => Ok(Quality::Performance),
        "balanced" => Ok(Quality::Balanced),
        "quality" => Ok(Quality::Quality),
        "low-power" => Ok(Quality::LowPower),
        "auto" => Ok(Quality::Auto),
        _ => Err(format!(
            "`{s}` is not a preset: use performance, balanced, quality, low-power or auto"
        )),
    }
}

/// What `auto` looks at in an adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterFacts {
    /// The adapter's name (`llvmpipe (LLVM 15.0.7, 256 bits)`, `NVIDIA H100`).
    pub name: String,
    /// Its kind.
    pub device_type: wgpu::DeviceType,
    /// Its largest texture side.
    pub max_texture_side: u32,
}

impl AdapterFacts {
    /// The facts of an open adapter.
    pub fn of(adapter: &wgpu::Adapter) -> AdapterFacts {
        let info = adapter.get_info();
        AdapterFacts {
            name: info.name,
            device_type: info.device_type,
            max_texture_side: adapter.limits().max_texture_dimension_2d,
        }
    }

    /// Whether the adapter rasterises on the CPU.
    pub fn is_software(&self) -> bool {
        let name = self.name.to_ascii_lowercase();
        self.device_type == wgpu::DeviceType::Cpu
            || ["llvmpipe", "lavapipe", "swiftshader", "basic render"]
                .iter()
                .any(|s| name.contains(s))
    }
}

/// The preset `auto` starts from on `adapter`, and why (see the module docs).
pub fn auto_preset(adapter: &AdapterFacts) -> (Quality, String) {
    if adapter.is_software() {
        return (
            Quality::LowPower,
            format!("software adapter {}", adapter.name),
        );
    }
    if adapter.device_type == wgpu::DeviceType::VirtualGpu {
        return (
            Quality::Performance,
            format!("virtual GPU {}", adapter.name),
        );
    }
    if adapter.max_texture_side < 8192 {
        return (
            Quality::Performance,
            format!(
                "{} draws textures of at most {} px",
                adapter.name, adapter.max_texture_side
            ),
        );
    }
    (Quality::Balanced, format!("GPU {}", adapter.name))
}

/// The settings for `requested` on `adapter` (`auto` without an adapter, as
/// in `export` or `validate`, is `balanced`).
pub fn resolve(requested: Quality, adapter: Option<&AdapterFacts>) -> QualitySettings {
    match (requested, adapter) {
        (Quality::Auto, Some(a)) => {
            let (preset, reason) = auto_preset(a);
            QualitySettings {
                requested,
                reason,
                ..QualitySettings::of(preset)
            }
        }
        (Quality::Auto, None) => QualitySettings {
            requested,
            reason: "no GPU open".into(),
            ..QualitySettings::of(Quality::Balanced)
        },
        (q, _) => QualitySettings::of(q),
    }
}

/// The next cheaper preset, if any.
pub fn step_down(q: Quality) -> Option<Quality> {
    match q {
        Quality::Quality => Some(Quality::Balanced),
        Quality::Balanced | Quality::Auto => Some(Quality::Performance),
        Quality::Performance => Some(Quality::LowPower),
        Quality::LowPower => None,
    }
}

/// Steps an `auto` preset down while frames are slow (the rule is in the
/// module docs). Fed frame times; wall-clock free, so tests feed numbers.
#[derive(Debug, Clone)]
pub struct AutoTuner {
    window: Vec<f64>,
    /// Steps taken so far: (frame number, from, to, median ms).
    pub steps: Vec<(u64, Quality, Quality, f64)>,
    frames: u64,
}

impl Default for AutoTuner {
    fn default() -> Self {
        AutoTuner {
            window: Vec::with_capacity(TUNE_WINDOW),
            steps: Vec::new(),
            frames: 0,
        }
    }
}

impl AutoTuner {
    /// Records one frame's work in ms; returns the settings to switch to
    /// when `current` (an `auto` preset) should step down.
    pub fn observe(&mut self, current: &QualitySettings, frame_ms: f64) -> Option<QualitySettings> {
        self.frames += 1;
        if current.requested != Quality::Auto {
            return None;
        }
        self.window.push(frame_ms);
        if self.window.len() < TUNE_WINDOW {
            return None;
        }
        let mut sorted = std::mem::take(&mut self.window);
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        if median <= SLOW_FRAME_MS {
            return None;
        }
        let next = step_down(current.preset)?;
        self.steps.push((self.frames, current.preset, next, median));
        Some(QualitySettings {
            requested: Quality::Auto,
            reason: format!(
                "stepped down from {}: median frame {median:.1} ms > {SLOW_FRAME_MS} ms",
                preset_name(current.preset)
            ),
            ..QualitySettings::of(next)
        })
    }
}

/// Where the budget in effect came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    /// `--memory-budget`.
    CommandLine,
    /// The chart file's `memory_budget`.
    ChartFile,
    /// The quality preset's default.
    Preset,
}

/// The one memory budget and how it is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    /// Bytes in all.
    pub total_bytes: u64,
    /// Where it came from.
    pub source: BudgetSource,
}

impl Default for MemoryBudget {
    /// The `balanced` preset's 2 GiB.
    fn default() -> Self {
        MemoryBudget {
            total_bytes: QualitySettings::default().default_budget_bytes,
            source: BudgetSource::Preset,
        }
    }
}

impl MemoryBudget {
    /// The budget in effect: the command line's, else the chart file's,
    /// else the preset's default.
    pub fn choose(cli: Option<u64>, file: Option<u64>, preset: &QualitySettings) -> MemoryBudget {
        match (cli, file) {
            (Some(b), _) => MemoryBudget {
                total_bytes: b,
                source: BudgetSource::CommandLine,
            },
            (None, Some(b)) => MemoryBudget {
                total_bytes: b,
                source: BudgetSource::ChartFile,
            },
            (None, None) => MemoryBudget {
                total_bytes: preset.default_budget_bytes,
                source: BudgetSource::Preset,
            },
        }
    }

    /// The GPU buffer pool's share: an eighth.
    pub fn gpu_bytes(&self) -> u64 {
        self.total_bytes / 8
    }

    /// The buffer pool's budget: the GPU share less the `resident` bytes
    /// that GPU tick aggregation keeps there.
    pub fn pool_bytes(&self, resident: u64) -> u64 {
        self.gpu_bytes().saturating_sub(resident)
    }

    /// The CPU cache's share: the rest.
    pub fn cpu_bytes(&self) -> u64 {
        self.total_bytes - self.gpu_bytes()
    }

    /// `2.00 GiB (chart file)`.
    pub fn describe(&self) -> String {
        let from = match self.source {
            BudgetSource::CommandLine => "--memory-budget",
            BudgetSource::ChartFile => "memory_budget in the chart file",
            BudgetSource::Preset => "the quality preset's default",
        };
        format!("{} ({from})", format_bytes(self.total_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, device_type: wgpu::DeviceType) -> AdapterFacts {
        AdapterFacts {
            name: name.into(),
            device_type,
            max_texture_side: 16384,
        }
    }

    #[test]
    fn balanced_is_what_earlier_versions_drew() {
        let s = QualitySettings::default();
        assert_eq!(s.preset, Quality::Balanced);
        // The renderer's MSAA and the frame's 1-px line / 2-px bar buckets.
        assert_eq!(s.msaa_samples, 4);
        assert_eq!(s.lod_px, 1.0);
        assert_eq!(s.default_budget_bytes, 2 << 30);
    }

    #[test]
    fn presets_order_from_finest_to_cheapest() {
        let order = [
            Quality::Quality,
            Quality::Balanced,
            Quality::Performance,
            Quality::LowPower,
        ];
        for w in order.windows(2) {
            let (a, b) = (QualitySettings::of(w[0]), QualitySettings::of(w[1]));
            assert!(a.lod_px < b.lod_px, "{w:?}");
            assert!(a.msaa_samples >= b.msaa_samples, "{w:?}");
            assert!(a.default_budget_bytes >= b.default_budget_bytes, "{w:?}");
            assert_eq!(step_down(w[0]), Some(w[1]));
        }
        assert_eq!(step_down(Quality::LowPower), None);
        for q in order {
            let s = QualitySettings::of(q);
            assert_eq!(s.line_antialiasing, s.msaa_samples > 1);
            assert_eq!(parse_preset(preset_name(q)), Ok(q));
        }
        assert!(parse_preset("ultra").unwrap_err().contains("low-power"));
    }

    #[test]
    fn auto_gives_software_adapters_no_msaa() {
        for (name, ty) in [
            ("llvmpipe (LLVM 15.0.7, 256 bits)", wgpu::DeviceType::Cpu),
            ("llvmpipe (LLVM 15.0.7, 256 bits)", wgpu::DeviceType::Other),
            ("SwiftShader Device", wgpu::DeviceType::Other),
        ] {
            let s = resolve(Quality::Auto, Some(&adapter(name, ty)));
            assert_eq!(s.preset, Quality::LowPower, "{name}");
            assert_eq!(s.msaa_samples, 1);
            assert!(s.reason.contains("software adapter"), "{}", s.reason);
            assert!(s.summary().starts_with("low-power (auto: software adapter"));
        }
        let h100 = adapter("NVIDIA H100 80GB HBM3", wgpu::DeviceType::DiscreteGpu);
        assert_eq!(
            resolve(Quality::Auto, Some(&h100)).preset,
            Quality::Balanced
        );
        let virt = adapter("virgl", wgpu::DeviceType::VirtualGpu);
        assert_eq!(
            resolve(Quality::Auto, Some(&virt)).preset,
            Quality::Performance
        );
        let small = AdapterFacts {
            max_texture_side: 4096,
            ..adapter("old", wgpu::DeviceType::IntegratedGpu)
        };
        assert_eq!(
            resolve(Quality::Auto, Some(&small)).preset,
            Quality::Performance
        );
        // A named preset is taken as is, whatever the adapter.
        let sw = adapter("llvmpipe", wgpu::DeviceType::Cpu);
        assert_eq!(
            resolve(Quality::Quality, Some(&sw)).preset,
            Quality::Quality
        );
        assert_eq!(resolve(Quality::Auto, None).preset, Quality::Balanced);
    }

    #[test]
    fn auto_steps_down_only_after_a_slow_window() {
        let h100 = adapter("gpu", wgpu::DeviceType::DiscreteGpu);
        let mut s = resolve(Quality::Auto, Some(&h100));
        let mut tuner = AutoTuner::default();
        // Fast frames, with a few slow outliers: the median decides.
        for i in 0..3 * TUNE_WINDOW {
            let ms = if i % 10 == 0 { 50.0 } else { 3.0 };
            assert!(tuner.observe(&s, ms).is_none(), "frame {i}");
        }
        // A slow window: one step, at its last frame, not before.
        for i in 0..TUNE_WINDOW - 1 {
            assert!(tuner.observe(&s, 20.0).is_none(), "frame {i}");
        }
        let next = tuner.observe(&s, 20.0).expect("a slow window steps down");
        assert_eq!(next.preset, Quality::Performance);
        assert_eq!(next.requested, Quality::Auto);
        assert!(
            next.reason.contains("median frame 20.0 ms"),
            "{}",
            next.reason
        );
        s = next;
        // Slow for ever: performance, then low-power, then nothing cheaper.
        let mut presets = vec![];
        for _ in 0..5 * TUNE_WINDOW {
            if let Some(n) = tuner.observe(&s, 40.0) {
                presets.push(n.preset);
                s = n;
            }
        }
        assert_eq!(presets, [Quality::LowPower]);
        assert_eq!(tuner.steps.len(), 2);
        assert_eq!(tuner.steps[0].0, 4 * TUNE_WINDOW as u64);
    }

    #[test]
    fn a_named_preset_never_changes() {
        let s = QualitySettings::of(Quality::Quality);
        let mut tuner = AutoTuner::default();
        for _ in 0..10 * TUNE_WINDOW {
            assert!(tuner.observe(&s, 100.0).is_none());
        }
    }

    #[test]
    fn the_gpu_pool_gets_an_eighth_of_the_budget() {
        let b = MemoryBudget {
            total_bytes: 2 << 30,
            source: BudgetSource::Preset,
        };
        assert_eq!(b.gpu_bytes(), 256 << 20);
        assert_eq!(b.cpu_bytes() + b.gpu_bytes(), b.total_bytes);
        assert!(b.describe().starts_with("2.00 GiB"));
    }
}
