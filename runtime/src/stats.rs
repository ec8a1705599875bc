//! `gpu-charts stats`: loads a chart, draws a scripted pan headless, loads
//! it again, and reports what the data cache, the buffer pool and each
//! frame did, with the quality preset and memory budget in effect; as a
//! table for people or JSON (`--json`). [`overlay_text`] is the same
//! figures in a few lines for the window's statistics overlay.
//!
//! The script: the chart's initial view zoomed in to a quarter of its span
//! (about its centre), then `frames` frames: the first third pans 8 px to
//! earlier data per frame, the second third back, the last zooms out 1.1×
//! per frame (so frames change size and the pool's size classes with
//! them). Each frame is built
//! (CPU scene), encoded and submitted, then waited for; the wait is
//! reported as "GPU (wait)", an upper bound of the GPU's own time. Where
//! the adapter has timestamp queries (`TIMESTAMP_QUERY` and
//! `TIMESTAMP_QUERY_INSIDE_ENCODERS`), timestamps written around the frame's
//! commands give "GPU (timestamps)", the GPU's own time.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::config::bytes::format_bytes;
use crate::quality::{AutoTuner, BudgetSource, QualitySettings, preset_name};
use crate::render::{ChartSession, Error, Offscreen};
use crate::scene::ChartModel;
use crate::scene::frame::build_frame_with;
use crate::scene::interact::ViewState;
use crate::scene::model::{BuildStats, SourceShape};

/// Pixels the scripted pan moves per frame.
const PAN_PX: f64 = 8.0;

/// Zoom factor per frame in the last third of the script (out).
const ZOOM_STEP: f64 = 1.1;

/// What to run.
#[derive(Debug, Clone)]
pub struct StatsOptions {
    /// Frames of the scripted pan.
    pub frames: usize,
    /// Image size (default: the chart file's `size`).
    pub size: Option<[u32; 2]>,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            frames: 60,
            size: None,
        }
    }
}

/// Everything `stats` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    /// The chart file.
    pub chart: String,
    /// The adapter: name (backend, type).
    pub adapter: String,
    /// Image size.
    pub size: [u32; 2],
    /// Frames drawn.
    pub frames: usize,
    /// The preset at the end of the run, and what it set.
    pub quality: QualityReport,
    /// The budget and its split.
    pub memory_budget: BudgetReport,
    /// The first load (cold cache) and the second (the same chart again).
    pub loads: [LoadReport; 2],
    /// The data cache after both loads.
    pub cache: CacheReport,
    /// The renderer's buffer pool after the frames.
    pub pool: PoolReport,
    /// Timeframes aggregated on the GPU and the ticks kept there.
    pub gpu_aggregation: GpuAggregationReport,
    /// Per-frame times in milliseconds.
    pub frame_ms: FrameTimes,
    /// The process's resident memory next to the loaded tables' raw
    /// column bytes.
    pub memory: MemoryReport,
}

/// Resident memory against the data it holds (issue 15's goal: resident
/// ≤ 1.2× the raw column bytes).
#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    /// Raw column bytes of the chart's source tables as read (ticks, not
    /// the bars a `timeframe` makes of them): rows × 8 bytes for the
    /// timestamps and for each value column, summed over the sources.
    pub column_bytes: u64,
    /// Bytes of their min/max pyramids (16 per entry of every level).
    pub pyramid_bytes: u64,
    /// Each source's table.
    pub tables: Vec<TableMemory>,
    /// The process's resident set after the run (`VmRSS`), bytes; `null`
    /// where unavailable (not Linux).
    pub resident_bytes: Option<u64>,
    /// Its peak over the run (`VmHWM`), bytes; `null` where unavailable.
    pub peak_resident_bytes: Option<u64>,
    /// The part of `resident_bytes` that is file pages (`RssFile`: the
    /// mapped plugin libraries and memory-mapped data files such as lent
    /// Arrow columns, which the OS can drop and read again); `null` where
    /// unavailable.
    pub resident_file_bytes: Option<u64>,
    /// `resident_bytes / column_bytes`.
    pub resident_ratio: Option<f64>,
    /// `peak_resident_bytes / column_bytes`.
    pub peak_ratio: Option<f64>,
}

/// One source's table as read, and its raw column bytes.
#[derive(Debug, Clone, Serialize)]
pub struct TableMemory {
    /// Source id (`source`), rows, value columns, pyramid bytes and
    /// whether the columns are lent by the source (memory-mapped file
    /// pages, resident only as far as they were read) rather than owned.
    #[serde(flatten)]
    pub table: SourceShape,
    /// `rows × 8 × (columns + 1)`: the value columns and the timestamps.
    pub column_bytes: u64,
}

/// The process's resident set: size, peak and file-backed part (`VmRSS`,
/// `VmHWM`, `RssFile` from `/proc/self/status`), bytes; `None` where the
/// system has no such file.
pub fn process_memory() -> Option<ProcessMemory> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    parse_proc_status(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// The process's resident memory, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMemory {
    /// `VmRSS`: resident now.
    pub resident: u64,
    /// `VmHWM`: the most resident so far.
    pub peak: u64,
    /// `RssFile`: the file-backed part of `resident` (0 where the kernel
    /// does not say).
    pub file: u64,
}

/// `VmRSS`, `VmHWM` and `RssFile` (in kB there) of a `/proc/<pid>/status`
/// text, bytes; `RssFile` is missing before Linux 4.5.
fn parse_proc_status(text: &str) -> Option<ProcessMemory> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some(ProcessMemory {
        resident: field("VmRSS")?,
        peak: field("VmHWM")?,
        file: field("RssFile").unwrap_or(0),
    })
}

fn memory_report(model: &ChartModel) -> MemoryReport {
    let tables: Vec<TableMemory> = model
        .build
        .source_tables
        .iter()
        .map(|t| TableMemory {
            table: t.clone(),
            column_bytes: t.rows * 8 * (t.columns + 1),
        })
        .collect();
    let column_bytes = tables.iter().map(|t| t.column_bytes).sum();
    let resident = process_memory();
    let ratio = |b: u64| (column_bytes > 0).then(|| b as f64 / column_bytes as f64);
    MemoryReport {
        column_bytes,
        pyramid_bytes: tables.iter().map(|t| t.table.pyramid_bytes).sum(),
        tables,
        resident_bytes: resident.map(|r| r.resident),
        peak_resident_bytes: resident.map(|r| r.peak),
        resident_file_bytes: resident.map(|r| r.file),
        resident_ratio: resident.and_then(|r| ratio(r.resident)),
        peak_ratio: resident.and_then(|r| ratio(r.peak)),
    }
}

/// The preset in effect.
#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    /// What was asked for (`auto` included).
    pub requested: String,
    /// The preset used.
    pub preset: String,
    /// Why (for `auto`).
    pub reason: String,
    /// MSAA samples (1: off).
    pub msaa_samples: u32,
    /// Lines antialiased (by MSAA).
    pub line_antialiasing: bool,
    /// Line bucket width in px (bars: twice).
    pub lod_px: f32,
    /// Steps `auto` took during the run: "frame N: from → to (median ms)".
    pub auto_steps: Vec<String>,
}

/// The memory budget.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetReport {
    /// Bytes in all.
    pub total_bytes: u64,
    /// `command-line`, `chart-file` or `preset`.
    pub source: String,
    /// The CPU cache's share.
    pub cpu_bytes: u64,
    /// The GPU pool's share.
    pub gpu_bytes: u64,
}

/// One load.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Wall time of the load, ms.
    pub duration_ms: f64,
    /// Sources read through their plugin.
    pub sources_read: usize,
    /// Sources taken from the cache.
    pub sources_cached: usize,
    /// Indicators computed.
    pub indicators_computed: usize,
    /// Indicators reused from the cache.
    pub indicators_reused: usize,
}

/// The data cache.
#[derive(Debug, Clone, Serialize)]
pub struct CacheReport {
    /// Lookups that found their entry.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Entries dropped to stay within the budget.
    pub evictions: u64,
    /// Their bytes.
    pub evicted_bytes: u64,
    /// Bytes held now.
    pub resident_bytes: u64,
}

/// GPU tick aggregation (`GPU_CHARTS_GPU_AGGREGATE`, `auto` by default:
/// large tick sets on a real GPU).
#[derive(Debug, Clone, Serialize)]
pub struct GpuAggregationReport {
    /// Where it runs ("GPU NVIDIA H200 (Vulkan)"); `null`: no GPU path.
    pub device: Option<String>,
    /// Timeframes built on the GPU over both loads (the rest on the CPU).
    pub timeframes_on_gpu: u64,
    /// Bytes of ticks kept on the device now, counted in the GPU share
    /// (the pool's budget is the share less these).
    pub resident_bytes: u64,
    /// The most it may keep: the GPU share.
    pub resident_budget: u64,
    /// Aggregations whose ticks were released afterwards, being more than
    /// the share (each switch uploads them again).
    pub released_over_budget: u64,
}

/// The buffer pool.
#[derive(Debug, Clone, Serialize)]
pub struct PoolReport {
    /// Requests served by a free buffer.
    pub hits: u64,
    /// Requests that created one.
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_rate: f64,
    /// Bytes in buffers owned now.
    pub resident_bytes: u64,
    /// Buffers destroyed to stay within the budget or when idle.
    pub evictions: u64,
    /// Their bytes.
    pub evicted_bytes: u64,
    /// The most bytes one frame used.
    pub peak_frame_bytes: u64,
    /// Frames that alone needed more than the pool's budget.
    pub frames_over_budget: u64,
}

/// Frame times.
#[derive(Debug, Clone, Serialize)]
pub struct FrameTimes {
    /// Building the frame's instances on the CPU.
    pub cpu_scene: Summary,
    /// Uploading, encoding and submitting.
    pub encode_submit: Summary,
    /// Waiting for the GPU after submitting (an upper bound of its time).
    pub gpu_wait: Summary,
    /// All three.
    pub total: Summary,
    /// GPU time from timestamp queries (`null` where the adapter has none).
    pub gpu_timestamps: Option<Summary>,
}

/// Mean, median and maximum of a series, ms.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    fn of(values: &[f64]) -> Summary {
        if values.is_empty() {
            return Summary::default();
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Summary {
            mean: values.iter().sum::<f64>() / values.len() as f64,
            median: sorted[sorted.len() / 2],
            max: sorted[sorted.len() - 1],
        }
    }
}

fn load_report(build: &BuildStats, duration_ms: f64) -> LoadReport {
    LoadReport {
        duration_ms,
        sources_read: build.sources_read.len(),
        sources_cached: build.sources_cached.len(),
        indicators_computed: build.indicators_computed.len(),
        indicators_reused: build.indicators_reused.len(),
    }
}

fn quality_report(q: &QualitySettings, tuner: &AutoTuner) -> QualityReport {
    QualityReport {
        requested: preset_name(q.requested).into(),
        preset: preset_name(q.preset).into(),
        reason: q.reason.clone(),
        msaa_samples: q.msaa_samples,
        line_antialiasing: q.line_antialiasing,
        lod_px: q.lod_px,
        auto_steps: tuner
            .steps
            .iter()
            .map(|(frame, from, to, ms)| {
                format!(
                    "frame {frame}: {} -> {} (median {ms:.1} ms)",
                    preset_name(*from),
                    preset_name(*to)
                )
            })
            .collect(),
    }
}

/// Runs the statistics pass on `chart` through `session` (whose options
/// carry `--quality` / `--memory-budget`) and `gpu`.
pub fn run(
    session: &mut ChartSession,
    gpu: &mut Offscreen,
    chart: &Path,
    options: &StatsOptions,
) -> Result<StatsReport, Error> {
    let t0 = Instant::now();
    let mut model = session.load(chart)?;
    let first = load_report(&model.build, ms_since(t0));
    gpu.apply(&model)?;
    let size = options.size.unwrap_or(model.config.size);
    gpu.check_size(size)?;
    let target = gpu.window_target(size, "stats target");

    let mut state = ViewState::new(&model);
    let plot_w = f64::from(
        build_frame_with(&model, &state, size, 1.0)
            .panes
            .first()
            .map_or(size[0] as f32, |p| p.plot[2]),
    );
    state.zoom_at(plot_w / 2.0, 4.0, plot_w);
    let timer = GpuTimer::new(gpu);
    let mut gpu_ms = Vec::new();
    let mut tuner = AutoTuner::default();
    let (mut scene_ms, mut encode_ms, mut wait_ms, mut total_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..options.frames {
        match i * 3 / options.frames.max(1) {
            0 => state.pan(-PAN_PX, plot_w),
            1 => state.pan(PAN_PX, plot_w),
            _ => state.zoom_at(plot_w / 2.0, 1.0 / ZOOM_STEP, plot_w),
        }
        let t = Instant::now();
        let scene = build_frame_with(&model, &state, size, 1.0);
        let built = ms_since(t);
        let t = Instant::now();
        let mut encoder = gpu
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("stats"),
            });
        if let Some(t) = &timer {
            encoder.write_timestamp(&t.set, 0);
        }
        gpu.renderer
            .encode(&gpu.ctx, &mut encoder, &scene, &target)?;
        if let Some(t) = &timer {
            t.finish(&mut encoder);
        }
        gpu.ctx.queue.submit([encoder.finish()]);
        let encoded = ms_since(t);
        let t = Instant::now();
        gpu.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| crate::gpu::GpuError::Wgpu(e.to_string()))?;
        let waited = ms_since(t);
        if let Some(ms) = timer.as_ref().and_then(|t| t.read_ms(gpu)) {
            gpu_ms.push(ms);
        }
        let total = built + encoded + waited;
        scene_ms.push(built);
        encode_ms.push(encoded);
        wait_ms.push(waited);
        total_ms.push(total);
        if let Some(next) = tuner.observe(&model.quality, total) {
            model.quality = next;
            gpu.apply(&model)?;
        }
    }

    // The same chart again: what a reload of an unchanged file costs.
    let t0 = Instant::now();
    let again = session.load(chart)?;
    let second = load_report(&again.build, ms_since(t0));
    let (cache, resident) = session.cache_stats();
    let pool = gpu.renderer.stats().pool;
    let budget = model.memory_budget;
    let accel = session.options().tick_aggregator.as_ref();
    let usage = accel.map(|a| a.0.usage()).unwrap_or_default();
    Ok(StatsReport {
        chart: chart.display().to_string(),
        adapter: gpu.ctx.adapter_summary(),
        size,
        frames: options.frames,
        quality: quality_report(&model.quality, &tuner),
        memory_budget: BudgetReport {
            total_bytes: budget.total_bytes,
            source: match budget.source {
                BudgetSource::CommandLine => "command-line",
                BudgetSource::ChartFile => "chart-file",
                BudgetSource::Preset => "preset",
            }
            .into(),
            cpu_bytes: budget.cpu_bytes(),
            gpu_bytes: budget.gpu_bytes(),
        },
        loads: [first, second],
        cache: CacheReport {
            hits: cache.hits,
            misses: cache.misses,
            evictions: cache.evictions,
            evicted_bytes: cache.evicted_bytes,
            resident_bytes: resident as u64,
        },
        pool: PoolReport {
            hits: pool.hits,
            misses: pool.misses,
            hit_rate: pool.hit_rate(),
            resident_bytes: pool.bytes_allocated,
            evictions: pool.buffers_trimmed,
            evicted_bytes: pool.bytes_trimmed,
            peak_frame_bytes: pool.peak_frame_bytes,
            frames_over_budget: pool.frames_over_budget,
        },
        gpu_aggregation: GpuAggregationReport {
            device: accel.map(|a| a.0.describe()),
            timeframes_on_gpu: usage.runs,
            resident_bytes: usage.resident_bytes,
            resident_budget: usage.resident_budget.min(budget.gpu_bytes()),
            released_over_budget: usage.released_over_budget,
        },
        frame_ms: FrameTimes {
            cpu_scene: Summary::of(&scene_ms),
            encode_submit: Summary::of(&encode_ms),
            gpu_wait: Summary::of(&wait_ms),
            total: Summary::of(&total_ms),
            gpu_timestamps: (!gpu_ms.is_empty()).then(|| Summary::of(&gpu_ms)),
        },
        memory: memory_report(&model),
    })
}

/// Timestamps around one frame's commands, read back after the frame.
struct GpuTimer {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    read: wgpu::Buffer,
    period_ns: f64,
}

impl GpuTimer {
    fn new(gpu: &Offscreen) -> Option<GpuTimer> {
        if !gpu.ctx.has_timestamps() {
            return None;
        }
        let device = &gpu.ctx.device;
        let set = device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("stats timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let buffer = |usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("stats timestamps"),
                size: 16,
                usage,
                mapped_at_creation: false,
            })
        };
        Some(GpuTimer {
            set,
            resolve: buffer(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC),
            read: buffer(wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ),
            period_ns: f64::from(gpu.ctx.queue.get_timestamp_period()),
        })
    }

    /// The second timestamp and the copy to the readable buffer.
    fn finish(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.write_timestamp(&self.set, 1);
        encoder.resolve_query_set(&self.set, 0..2, &self.resolve, 0);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.read, 0, 16);
    }

    /// The frame's GPU time in ms (after the frame finished).
    fn read_ms(&self, gpu: &Offscreen) -> Option<f64> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.read.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        gpu.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .ok()?;
        rx.recv().ok()?.ok()?;
        let ticks = {
            let data = self.read.get_mapped_range(..).ok()?;
            let t: &[u64] = bytemuck::cast_slice(&data[..16]);
            t[1].checked_sub(t[0])
        };
        self.read.unmap();
        Some(ticks? as f64 * self.period_ns / 1e6)
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

impl StatsReport {
    /// The report as a table for people.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: String| s.push_str(&format!("  {k:<16}{v}\n"));
        let q = &self.quality;
        let head = format!(
            "gpu-charts stats: {}\n  {:<16}{}\n  {:<16}{}x{}, {} frames (scripted pan and zoom)\nquality\n",
            self.chart, "GPU", self.adapter, "size", self.size[0], self.size[1], self.frames
        );
        let preset = if q.requested == "auto" {
            format!("{} (auto: {})", q.preset, q.reason)
        } else {
            q.preset.clone()
        };
        line("preset", preset);
        line(
            "MSAA",
            if q.msaa_samples > 1 {
                format!("{}x", q.msaa_samples)
            } else {
                "off".into()
            },
        );
        line(
            "line AA",
            if q.line_antialiasing {
                "MSAA".into()
            } else {
                "none".into()
            },
        );
        line(
            "LOD bucket",
            format!("{} px (bars {} px)", q.lod_px, 2.0 * q.lod_px),
        );
        for step in &q.auto_steps {
            line("auto step", step.clone());
        }
        let b = &self.memory_budget;
        let mut s2 = String::new();
        let mut line2 = |k: &str, v: String| s2.push_str(&format!("  {k:<16}{v}\n"));
        line2(
            "total",
            format!("{} (from {})", format_bytes(b.total_bytes), b.source),
        );
        line2(
            "split",
            format!(
                "CPU cache {}, GPU pool {}",
                format_bytes(b.cpu_bytes),
                format_bytes(b.gpu_bytes)
            ),
        );
        s2.push_str("data cache\n");
        let mut line2 = |k: &str, v: String| s2.push_str(&format!("  {k:<16}{v}\n"));
        let c = &self.cache;
        for (i, l) in self.loads.iter().enumerate() {
            line2(
                &format!("load {}", i + 1),
                format!(
                    "{:.1} ms: sources {} read, {} cached; indicators {} computed, {} reused",
                    l.duration_ms,
                    l.sources_read,
                    l.sources_cached,
                    l.indicators_computed,
                    l.indicators_reused
                ),
            );
        }
        line2("hits / misses", format!("{} / {}", c.hits, c.misses));
        line2(
            "evictions",
            format!("{} ({})", c.evictions, format_bytes(c.evicted_bytes)),
        );
        line2("resident", format_bytes(c.resident_bytes));
        let p = &self.pool;
        let mut s3 = String::new();
        let mut line3 = |k: &str, v: String| s3.push_str(&format!("  {k:<16}{v}\n"));
        line3(
            "hit rate",
            format!(
                "{:.1}% ({} hits, {} misses)",
                p.hit_rate * 100.0,
                p.hits,
                p.misses
            ),
        );
        line3("resident", format_bytes(p.resident_bytes));
        line3(
            "evictions",
            format!(
                "{} buffers ({})",
                p.evictions,
                format_bytes(p.evicted_bytes)
            ),
        );
        line3("peak frame", format_bytes(p.peak_frame_bytes));
        line3("over budget", format!("{} frames", p.frames_over_budget));
        if p.frames_over_budget > 0 {
            // Drawn anyway (a chart is not left blank for a few KiB), but said.
            line3(
                "warning",
                format!(
                    "{} frames needed more than the GPU pool's share ({} > {}): raise the memory budget to at least {}",
                    p.frames_over_budget,
                    format_bytes(p.peak_frame_bytes),
                    format_bytes(b.gpu_bytes),
                    format_bytes(p.peak_frame_bytes * 8)
                ),
            );
        }
        let g = &self.gpu_aggregation;
        match &g.device {
            Some(d) => {
                line3(
                    "GPU timeframes",
                    format!(
                        "{} built on {d}; ticks resident {} of {}",
                        g.timeframes_on_gpu,
                        format_bytes(g.resident_bytes),
                        format_bytes(g.resident_budget)
                    ),
                );
                if g.released_over_budget > 0 {
                    line3(
                        "GPU released",
                        format!(
                            "{} times: the ticks need more than the GPU share; raise the memory budget to keep them between timeframe switches",
                            g.released_over_budget
                        ),
                    );
                }
            }
            None => line3("GPU timeframes", "off (CPU only)".into()),
        }
        let f = &self.frame_ms;
        let mut s4 = format!(
            "frame time (ms)     {:>8} {:>8} {:>8}\n",
            "mean", "median", "max"
        );
        for (k, v) in [
            ("CPU scene", f.cpu_scene),
            ("encode+submit", f.encode_submit),
            ("GPU (wait)", f.gpu_wait),
            ("total", f.total),
        ] {
            s4.push_str(&format!(
                "  {k:<18}{:>8.3} {:>8.3} {:>8.3}\n",
                v.mean, v.median, v.max
            ));
        }
        match f.gpu_timestamps {
            Some(v) => s4.push_str(&format!(
                "  {:<18}{:>8.3} {:>8.3} {:>8.3}\n",
                "GPU (timestamps)", v.mean, v.median, v.max
            )),
            None => s4.push_str(
                "  GPU (timestamps)  not measured: the adapter has no timestamp queries\n",
            ),
        }
        let m = &self.memory;
        let mut s5 = String::from("memory\n");
        let mut line5 = |k: &str, v: String| s5.push_str(&format!("  {k:<16}{v}\n"));
        line5(
            "columns",
            format!(
                "{} raw (8 B per row and column, timestamps included), pyramids {}",
                format_bytes(m.column_bytes),
                format_bytes(m.pyramid_bytes)
            ),
        );
        for t in &m.tables {
            line5(
                &format!("  {}", t.table.id),
                format!(
                    "{} rows x {} columns + time = {}{}",
                    t.table.rows,
                    t.table.columns,
                    format_bytes(t.column_bytes),
                    if t.table.lent {
                        " (lent by the source)"
                    } else {
                        ""
                    }
                ),
            );
        }
        let resident = |b: Option<u64>, r: Option<f64>| match (b, r) {
            (Some(b), Some(r)) => format!("{} ({r:.2}x the columns)", format_bytes(b)),
            (Some(b), None) => format_bytes(b),
            _ => "unavailable (no /proc/self/status on this system)".into(),
        };
        let mut now = resident(m.resident_bytes, m.resident_ratio);
        if let Some(file) = m.resident_file_bytes.filter(|_| m.resident_bytes.is_some()) {
            now.push_str(&format!(", of which file pages {}", format_bytes(file)));
        }
        line5("resident now", now);
        line5(
            "resident peak",
            resident(m.peak_resident_bytes, m.peak_ratio),
        );
        format!("{head}{s}memory budget\n{s2}buffer pool\n{s3}{s4}{s5}")
    }
}

/// The window's statistics overlay: preset, budget, cache, pool and the
/// last frame's times, in a few lines.
pub fn overlay_text(
    model: &ChartModel,
    cache: Option<(crate::data::cache::CacheStats, usize)>,
    pool: &crate::gpu::PoolStats,
    last_frame: Option<(f64, f64)>,
) -> String {
    let mut lines = vec![
        format!("quality: {}", model.quality.summary()),
        format!(
            "memory budget {}: CPU {}, GPU {}",
            model.memory_budget.describe(),
            format_bytes(model.memory_budget.cpu_bytes()),
            format_bytes(model.memory_budget.gpu_bytes())
        ),
    ];
    let b = &model.build;
    lines.push(format!(
        "last load: sources {} read, {} cached; indicators {} computed, {} reused",
        b.sources_read.len(),
        b.sources_cached.len(),
        b.indicators_computed.len(),
        b.indicators_reused.len()
    ));
    if let Some((c, resident)) = cache {
        lines.push(format!(
            "cache: {} hits, {} misses, {} evictions, {} resident",
            c.hits,
            c.misses,
            c.evictions,
            format_bytes(resident as u64)
        ));
    }
    lines.push(format!(
        "buffer pool: {:.1}% hits ({} / {}), {} resident, {} evicted",
        pool.hit_rate() * 100.0,
        pool.hits,
        pool.hits + pool.misses,
        format_bytes(pool.bytes_allocated),
        pool.buffers_trimmed
    ));
    if let Some((scene, encode)) = last_frame {
        lines.push(format!(
            "frame: CPU scene {scene:.2} ms, encode+submit {encode:.2} ms"
        ));
    }
    lines.join("\n")
}

/// Draws `text` (from [`overlay_text`]) in a box at the bottom left of
/// `scene`, over the chart, with the chart's own text rendering.
pub fn draw_overlay(
    scene: &mut crate::scene::FrameScene,
    palette: &crate::scene::theme::Palette,
    text: &str,
    pixel_ratio: f32,
) {
    use crate::gpu::types::RectInstance;
    use crate::scene::frame::TextItem;
    let r = pixel_ratio.max(0.25);
    let (w, h) = (scene.size[0] as f32, scene.size[1] as f32);
    let font = 12.0 * r;
    let line_h = font * 1.4;
    let pad = 8.0 * r;
    let lines = crate::scene::banner::wrap(text, font, (w - 2.0 * pad).max(font * 4.0));
    let box_h = (2.0 * pad + lines.len() as f32 * line_h).min(h);
    let top = h - box_h;
    let box_w = lines
        .iter()
        .map(|l| crate::scene::text::measure(l, font))
        .fold(0.0f32, f32::max)
        + 2.0 * pad;
    let box_w = box_w.min(w);
    // Text draws above every rectangle: drop the chart's labels under the box.
    scene.texts.retain(|t| !(t.y > top && t.x < box_w));
    scene.over.push(RectInstance {
        min: [0.0, top],
        max: [box_w, h],
        color: palette.error_bg,
    });
    for (k, line) in lines.into_iter().enumerate() {
        scene.texts.push(TextItem {
            text: line,
            x: pad,
            y: top + pad + (k as f32 + 0.75) * line_h,
            size_px: font,
            color: palette.text_strong,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_status_gives_rss_and_peak_in_bytes() {
        let text = "Name:\tgpu-charts\nVmPeak:\t 9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t3\n";
        assert_eq!(
            parse_proc_status(text),
            Some(ProcessMemory {
                resident: 1024 * 1024,
                peak: 2048 * 1024,
                file: 0
            }),
            "no RssFile: 0"
        );
        let with_file = format!("{text}RssAnon:\t  512 kB\nRssFile:\t  256 kB\n");
        assert_eq!(
            parse_proc_status(&with_file).map(|m| m.file),
            Some(256 * 1024)
        );
        assert_eq!(parse_proc_status("VmRSS:\t1 kB\n"), None, "no VmHWM");
        assert_eq!(parse_proc_status("VmRSS:\tlots\nVmHWM:\t1 kB\n"), None);
    }

    #[test]
    fn this_process_has_a_resident_set_on_linux() {
        let memory = process_memory();
        if cfg!(target_os = "linux") {
            let m = memory.expect("VmRSS and VmHWM");
            assert!(m.resident > 0 && m.peak >= m.resident, "{m:?}");
            assert!(m.file <= m.resident, "{m:?}");
        } else {
            assert_eq!(memory, None);
        }
    }

    #[test]
    fn summaries_are_mean_median_and_max() {
        let s = Summary::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.mean, s.median, s.max), (4.0, 3.0, 10.0));
        let e = Summary::of(&[]);
        assert_eq!((e.mean, e.median, e.max), (0.0, 0.0, 0.0));
    }
}
