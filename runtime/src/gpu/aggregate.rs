//! Timeframe aggregation on the GPU: ticks → OHLCV bars with tick counts,
//! the same [`Bars`] as [`crate::data::timeframe::aggregate_ticks`], for
//! large tick sets on a real GPU.
//!
//! # How
//!
//! The CPU finds the buckets (the first tick of each bar) by galloping
//! search over the timestamps with the [`Aligner`]: O(bars × log(ticks per
//! bar)), no pass over every tick, and the timestamps never go to the GPU.
//! It cuts each bucket into *groups* of at most [`GROUP_TICKS`] ticks
//! counted from the bucket's first tick, and the GPU cuts each group into
//! *runs* of [`RUN_TICKS`] ticks the same way (`shaders/aggregate.wgsl`):
//! one thread per run reduces its ticks, one thread per group its runs; the
//! CPU reads the groups back and combines each bucket's groups.
//!
//! Prices and sizes live on the GPU as f32 ([`GpuTicks`], uploaded once and
//! reused for any timeframe), in pages that each fit one storage binding
//! (llvmpipe binds at most 128 MiB); a page overlaps the next by one group,
//! so every group lies in one page. Dispatches are batched so that the run
//! partials of a batch fit one binding too.
//!
//! # Precision contract
//!
//! The result equals, bit for bit, this naive loop in f32 (the reference the
//! tests use):
//!
//! * prices and sizes are rounded to f32 (`as f32`); a tick whose f32 price
//!   is not finite is skipped (not counted, its size not added), a size that
//!   is not finite in f32 adds 0 — the CPU path's rules, applied to the f32
//!   values (a finite f64 beyond ±3.4e38 is therefore skipped here);
//! * open, high, low, close are the first, largest, smallest and last f32
//!   price of the bucket (comparisons, so of equal values such as −0 and +0
//!   the earlier one wins). Rounding to f32 keeps order, so these are the
//!   CPU path's f64 values rounded to f32, up to the sign of a zero;
//! * volume: the bucket's ticks in runs of [`RUN_TICKS`] from its first
//!   tick, each run summed left to right in f32; runs summed left to right
//!   per group of [`GROUP_TICKS`] ticks; groups summed left to right. (Sizes
//!   that are whole numbers with bucket sums below 2^24 therefore give the
//!   exact volume.) WGSL rounds f32 additions correctly but lets a GPU flush
//!   subnormal values to zero; sizes that small are not supported;
//! * count: the ticks with a finite f32 price; bars with none are left out.
//!
//! Timestamps must be non-decreasing, as [`crate::data::Table`] guarantees
//! on load; the GPU path does not scan every timestamp again (that pass
//! would cost more than the reduction). Unsorted input gives wrong bars,
//! never a panic; lengths and unrepresentable buckets are errors as on the
//! CPU path.
//!
//! # When
//!
//! [`gpu_worthwhile`]: on a real GPU (not a CPU adapter such as llvmpipe)
//! and at least [`GPU_MIN_TICKS`] ticks. The CPU path stays the default: it
//! keeps f64 volumes and needs no device.

use rayon::prelude::*;

use crate::data::timeframe::{AggregateError, Aligner, Bars};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::shader;
use crate::gpu::types::{AggParams, AggPartial};

/// Ticks per run (one GPU thread each); `RUN_TICKS` in the shader.
pub const RUN_TICKS: usize = 32;
/// Ticks per group (runs combined by one GPU thread); a multiple of [`RUN_TICKS`].
pub const GROUP_TICKS: usize = 1024;
/// Below this many ticks the GPU path does not pay (upload and dispatch
/// overheads against a few ms on the cores).
pub const GPU_MIN_TICKS: usize = 4 << 20;

const WORKGROUP: u32 = 256;
const PARTIAL_BYTES: u64 = std::mem::size_of::<AggPartial>() as u64;

/// Errors of the GPU aggregation.
#[derive(Debug, thiserror::Error)]
pub enum GpuAggregateError {
    /// What the CPU path reports too (lengths, unrepresentable buckets).
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    /// The device failed (validation, out of memory, lost).
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

/// Whether the GPU path is worth taking for `ticks` ticks on `adapter`.
pub fn gpu_worthwhile(adapter: &wgpu::AdapterInfo, ticks: usize) -> bool {
    adapter.device_type != wgpu::DeviceType::Cpu && ticks >= GPU_MIN_TICKS
}

/// Aggregates ticks into bars on the GPU: uploads `price` and `size`, runs
/// the kernels and returns the bars (values are f32 rounded, see the module
/// docs). For many timeframes over the same ticks, keep a
/// [`GpuAggregator`] and a [`GpuTicks`] instead.
pub fn aggregate_ticks_gpu(
    ctx: &GpuContext,
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
) -> Result<Bars, GpuAggregateError> {
    let mut agg = GpuAggregator::new(ctx)?;
    let ticks = agg.upload(ctx, time.len(), price, size)?;
    agg.aggregate(ctx, &ticks, al, time)
}

/// Prices and sizes resident on the GPU as f32, in pages.
pub struct GpuTicks {
    pages: Vec<Page>,
    len: usize,
    has_size: bool,
    page_ticks: usize,
}

struct Page {
    /// First tick of the page.
    first: usize,
    /// Ticks in the buffers (the page plus its overlap with the next).
    len: usize,
    price: wgpu::Buffer,
    /// A 4-byte placeholder when there are no sizes.
    size: wgpu::Buffer,
}

impl GpuTicks {
    /// Number of ticks.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pages (one storage binding each).
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Bytes held on the GPU.
    pub fn gpu_bytes(&self) -> u64 {
        self.pages
            .iter()
            .map(|p| p.price.size() + p.size.size())
            .sum()
    }
}

/// A bucket: its start (UTC ns) and its first tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    start: i64,
    first: usize,
}

/// The buckets of `time` (ascending), found by galloping from each bucket's
/// first tick to the first tick at or past its end.
fn buckets(al: &Aligner, time: &[i64]) -> Result<Vec<Bucket>, AggregateError> {
    let n = time.len();
    let mut out: Vec<Bucket> = Vec::new();
    let mut i = 0;
    while i < n {
        let t = time[i];
        let Some((start, end)) = al.bucket(t) else {
            return Err(AggregateError::OutOfRange {
                index: i,
                ns: t,
                timeframe: al.timeframe(),
            });
        };
        // A start equal to the last one: the last bucket's end saturated at
        // i64::MAX and this tick sits exactly there; it belongs to it.
        if out.last().is_none_or(|b| b.start != start) {
            out.push(Bucket { start, first: i });
        }
        i = gallop_past(time, i, end);
    }
    Ok(out)
}

/// The first index after `i` whose time is `>= end` (or `time.len()`),
/// given `time[i] < end` or not.
fn gallop_past(time: &[i64], i: usize, end: i64) -> usize {
    let n = time.len();
    let mut lo = i + 1;
    let mut step = 1usize;
    let hi = loop {
        let probe = (lo - 1).saturating_add(step);
        if probe >= n {
            break n;
        }
        if time[probe] >= end {
            break probe;
        }
        lo = probe + 1;
        step = step.saturating_mul(2);
    };
    lo + time[lo..hi].partition_point(|&t| t < end)
}

/// Group starts (global tick indices, ascending, then `n`) and, per bucket,
/// its first group.
fn groups(buckets: &[Bucket], n: usize) -> (Vec<usize>, Vec<usize>) {
    let mut starts = Vec::with_capacity(buckets.len() + n / GROUP_TICKS + 1);
    let mut first = Vec::with_capacity(buckets.len() + 1);
    for (k, b) in buckets.iter().enumerate() {
        let end = buckets.get(k + 1).map_or(n, |next| next.first);
        first.push(starts.len());
        starts.extend((b.first..end).step_by(GROUP_TICKS));
    }
    first.push(starts.len());
    starts.push(n);
    (starts, first)
}

/// One dispatch: groups `[ga, gb)` (global group indices) of page `page`.
#[derive(Debug, Clone, Copy)]
struct Batch {
    page: usize,
    ga: usize,
    gb: usize,
}

/// Runs of a group of `len` ticks.
fn runs_of(len: usize) -> usize {
    len.div_ceil(RUN_TICKS)
}

/// `b` after `a`, as `combine` in the shader.
fn combine(a: AggPartial, b: AggPartial) -> AggPartial {
    if b.count == 0 {
        return a;
    }
    if a.count == 0 {
        return b;
    }
    let mut r = a;
    if b.high > r.high {
        r.high = b.high;
    }
    if b.low < r.low {
        r.low = b.low;
    }
    r.last = b.last;
    r.volume += b.volume;
    r.count += b.count;
    r
}

/// Reusable buffers of one batch slot.
struct Scratch {
    params: wgpu::Buffer,
    group_start: wgpu::Buffer,
    run_prefix: wgpu::Buffer,
    runs: wgpu::Buffer,
    groups: wgpu::Buffer,
    readback: wgpu::Buffer,
}

/// Compute pipelines for the aggregation and the read-bandwidth baseline,
/// with their reusable buffers.
pub struct GpuAggregator {
    layout: wgpu::BindGroupLayout,
    runs: wgpu::ComputePipeline,
    groups: wgpu::ComputePipeline,
    read: wgpu::ComputePipeline,
    page_ticks: usize,
    max_batch_runs: usize,
    scratch: Vec<Scratch>,
}

fn storage(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// Runs `f` inside a validation and an out-of-memory error scope.
fn checked<T>(device: &wgpu::Device, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    let v = pollster::block_on(validation.pop());
    let o = pollster::block_on(oom.pop());
    match v.or(o) {
        Some(e) => Err(GpuError::Wgpu(e.to_string())),
        None => Ok(value),
    }
}

impl GpuAggregator {
    /// Pipelines for `ctx`'s device, with pages and batches as large as its
    /// storage bindings allow.
    pub fn new(ctx: &GpuContext) -> Result<GpuAggregator, GpuError> {
        let l = ctx.device.limits();
        let binding = l.max_storage_buffer_binding_size.min(l.max_buffer_size);
        // f32 per tick, less the overlap; u32 indices stay far from overflow.
        let page_ticks = ((binding / 4) as usize)
            .saturating_sub(GROUP_TICKS)
            .clamp(GROUP_TICKS, 1 << 30);
        let max_batch_runs = ((binding / PARTIAL_BYTES) as usize).max(1);
        Self::with_limits(ctx, page_ticks, max_batch_runs)
    }

    /// As [`GpuAggregator::new`] with smaller pages (ticks, at least
    /// [`GROUP_TICKS`]) and batches (runs): tests use them to cover paging on
    /// small inputs.
    pub fn with_limits(
        ctx: &GpuContext,
        page_ticks: usize,
        max_batch_runs: usize,
    ) -> Result<GpuAggregator, GpuError> {
        let device = &ctx.device;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("aggregate"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, true),
                storage(5, false),
                storage(6, false),
            ],
        });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("aggregate"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let src = shader::aggregate_source();
        let (runs, groups, read) = checked(device, || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("aggregate.wgsl"),
                source: wgpu::ShaderSource::Wgsl(src.clone()),
            });
            let make = |entry: &str| {
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pl),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
            };
            (make("runs_main"), make("groups_main"), make("read_main"))
        })?;
        Ok(GpuAggregator {
            layout,
            runs,
            groups,
            read,
            page_ticks: page_ticks.max(GROUP_TICKS),
            max_batch_runs: max_batch_runs.max(GROUP_TICKS / RUN_TICKS),
            scratch: Vec::new(),
        })
    }

    /// Uploads `len` ticks' prices and sizes (converted to f32 on every
    /// core, straight into mapped buffers).
    pub fn upload(
        &self,
        ctx: &GpuContext,
        len: usize,
        price: &[f64],
        size: Option<&[f64]>,
    ) -> Result<GpuTicks, GpuAggregateError> {
        check_len("price", price.len(), len)?;
        if let Some(s) = size {
            check_len("size", s.len(), len)?;
        }
        let mut pages = Vec::new();
        let mut first = 0;
        while first < len {
            let end = (first + self.page_ticks + GROUP_TICKS).min(len);
            let price_buf = checked(&ctx.device, || mapped_f32(ctx, &price[first..end]))??;
            let size_buf = match size {
                Some(s) => checked(&ctx.device, || mapped_f32(ctx, &s[first..end]))??,
                None => checked(&ctx.device, || mapped_f32(ctx, &[0.0]))??,
            };
            pages.push(Page {
                first,
                len: end - first,
                price: price_buf,
                size: size_buf,
            });
            first += self.page_ticks;
        }
        Ok(GpuTicks {
            pages,
            len,
            has_size: size.is_some(),
            page_ticks: self.page_ticks,
        })
    }

    /// The bars of `ticks` (timestamps `time`) for `al`: the same shape as
    /// [`crate::data::timeframe::aggregate_ticks`], values as in the module
    /// docs' precision contract.
    pub fn aggregate(
        &mut self,
        ctx: &GpuContext,
        ticks: &GpuTicks,
        al: &Aligner,
        time: &[i64],
    ) -> Result<Bars, GpuAggregateError> {
        check_len("price", ticks.len, time.len())?;
        let buckets = buckets(al, time)?;
        let (starts, bucket_groups) = groups(&buckets, time.len());
        let batches = self.batches(ticks, &starts);
        let partials = self.run_batches(ctx, ticks, &starts, &batches)?;
        let mut bars = Bars::default();
        for (k, b) in buckets.iter().enumerate() {
            let gs = &partials[bucket_groups[k]..bucket_groups[k + 1]];
            let p = gs.iter().copied().fold(EMPTY, combine);
            if p.count > 0 {
                bars.time.push(b.start);
                bars.open.push(f64::from(p.first));
                bars.high.push(f64::from(p.high));
                bars.low.push(f64::from(p.low));
                bars.close.push(f64::from(p.last));
                bars.volume.push(f64::from(p.volume));
                bars.count.push(u64::from(p.count));
            }
        }
        Ok(bars)
    }

    /// Cuts the groups into dispatches: by the page their first tick lies
    /// in, then at most `max_batch_runs` runs each.
    fn batches(&self, ticks: &GpuTicks, starts: &[usize]) -> Vec<Batch> {
        let groups = starts.len() - 1;
        let mut out = Vec::new();
        let mut ga = 0;
        while ga < groups {
            let page = starts[ga] / ticks.page_ticks;
            let page_end = (page + 1) * ticks.page_ticks;
            let mut gb = ga;
            let mut runs = 0;
            while gb < groups && starts[gb] < page_end {
                let r = runs_of(starts[gb + 1] - starts[gb]);
                if runs + r > self.max_batch_runs && gb > ga {
                    break;
                }
                runs += r;
                gb += 1;
            }
            out.push(Batch { page, ga, gb });
            ga = gb;
        }
        out
    }

    fn scratch(&mut self, ctx: &GpuContext, slot: usize, groups: usize, runs: usize) -> &Scratch {
        let need = |b: &wgpu::Buffer, bytes: u64| b.size() >= bytes;
        let idx_bytes = ((groups + 1) * 4) as u64;
        let group_bytes = groups as u64 * PARTIAL_BYTES;
        let run_bytes = runs as u64 * PARTIAL_BYTES;
        let fits = self.scratch.get(slot).is_some_and(|s| {
            need(&s.group_start, idx_bytes)
                && need(&s.run_prefix, idx_bytes)
                && need(&s.runs, run_bytes)
                && need(&s.groups, group_bytes)
        });
        if !fits {
            let d = &ctx.device;
            let buf = |label, bytes: u64, usage| {
                d.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: bytes.max(16).next_multiple_of(16),
                    usage,
                    mapped_at_creation: false,
                })
            };
            use wgpu::BufferUsages as U;
            let s = Scratch {
                params: buf("agg params", 16, U::UNIFORM | U::COPY_DST),
                group_start: buf("agg group starts", idx_bytes, U::STORAGE | U::COPY_DST),
                run_prefix: buf("agg run prefix", idx_bytes, U::STORAGE | U::COPY_DST),
                runs: buf("agg runs", run_bytes, U::STORAGE),
                groups: buf("agg groups", group_bytes, U::STORAGE | U::COPY_SRC),
                readback: buf("agg readback", group_bytes, U::MAP_READ | U::COPY_DST),
            };
            if slot < self.scratch.len() {
                self.scratch[slot] = s;
            } else {
                self.scratch.push(s);
            }
        }
        &self.scratch[slot]
    }

    fn bind_group(&self, ctx: &GpuContext, s: &Scratch, page: &Page) -> wgpu::BindGroup {
        fn entry(binding: u32, b: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
            wgpu::BindGroupEntry {
                binding,
                resource: b.as_entire_binding(),
            }
        }
        ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("aggregate"),
            layout: &self.layout,
            entries: &[
                entry(0, &s.params),
                entry(1, &page.price),
                entry(2, &page.size),
                entry(3, &s.group_start),
                entry(4, &s.run_prefix),
                entry(5, &s.runs),
                entry(6, &s.groups),
            ],
        })
    }

    /// Dispatches every batch in one submission and reads the group
    /// partials back, in group order.
    fn run_batches(
        &mut self,
        ctx: &GpuContext,
        ticks: &GpuTicks,
        starts: &[usize],
        batches: &[Batch],
    ) -> Result<Vec<AggPartial>, GpuAggregateError> {
        let max_wg = ctx.device.limits().max_compute_workgroups_per_dimension;
        let dispatch = |n: usize| (n.div_ceil(WORKGROUP as usize) as u32).clamp(1, max_wg);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("aggregate"),
            });
        let mut sizes = Vec::with_capacity(batches.len());
        for (slot, b) in batches.iter().enumerate() {
            let page = &ticks.pages[b.page];
            let groups = b.gb - b.ga;
            let rel: Vec<u32> = starts[b.ga..=b.gb]
                .iter()
                .map(|&s| (s - page.first) as u32)
                .collect();
            let mut prefix = Vec::with_capacity(groups + 1);
            let mut runs = 0u32;
            prefix.push(0);
            for w in rel.windows(2) {
                runs += runs_of((w[1] - w[0]) as usize) as u32;
                prefix.push(runs);
            }
            let params = AggParams {
                groups: groups as u32,
                runs,
                has_size: u32::from(ticks.has_size),
                ticks: 0,
            };
            let s = self.scratch(ctx, slot, groups, runs as usize);
            ctx.queue
                .write_buffer(&s.params, 0, bytemuck::bytes_of(&params));
            ctx.queue
                .write_buffer(&s.group_start, 0, bytemuck::cast_slice(&rel));
            ctx.queue
                .write_buffer(&s.run_prefix, 0, bytemuck::cast_slice(&prefix));
            let s = &self.scratch[slot];
            let bg = self.bind_group(ctx, s, page);
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_bind_group(0, &bg, &[]);
                pass.set_pipeline(&self.runs);
                pass.dispatch_workgroups(dispatch(runs as usize), 1, 1);
                pass.set_pipeline(&self.groups);
                pass.dispatch_workgroups(dispatch(groups), 1, 1);
            }
            let bytes = groups as u64 * PARTIAL_BYTES;
            encoder.copy_buffer_to_buffer(&s.groups, 0, &s.readback, 0, bytes);
            sizes.push(bytes);
        }
        checked(&ctx.device, || ctx.queue.submit([encoder.finish()]))?;
        let mut out = Vec::with_capacity(starts.len().saturating_sub(1));
        for (slot, &bytes) in sizes.iter().enumerate() {
            let buf = &self.scratch[slot].readback;
            read_partials(ctx, buf, bytes, &mut out)?;
        }
        Ok(out)
    }

    /// The read-bandwidth baseline: one coalesced pass over every page's
    /// prices (and sizes), summed. Returns the sum (so the reads cannot be
    /// left out) once the GPU finished.
    pub fn read_bandwidth(&mut self, ctx: &GpuContext, ticks: &GpuTicks) -> Result<f32, GpuError> {
        let max_wg = ctx.device.limits().max_compute_workgroups_per_dimension;
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("read bandwidth"),
            });
        let mut sizes = Vec::new();
        for (slot, page) in ticks.pages.iter().enumerate() {
            // The page proper, without the overlap the next page reads.
            let n = page.len.min(ticks.page_ticks);
            // About 16 ticks per thread, enough threads to fill a big GPU.
            let wgs = (n.div_ceil(WORKGROUP as usize * 16) as u32).clamp(1, max_wg);
            let params = AggParams {
                groups: 0,
                runs: 0,
                has_size: u32::from(ticks.has_size),
                ticks: n as u32,
            };
            let s = self.scratch(ctx, slot, wgs as usize, 1);
            ctx.queue
                .write_buffer(&s.params, 0, bytemuck::bytes_of(&params));
            let s = &self.scratch[slot];
            let bg = self.bind_group(ctx, s, page);
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_bind_group(0, &bg, &[]);
                pass.set_pipeline(&self.read);
                pass.dispatch_workgroups(wgs, 1, 1);
            }
            let bytes = u64::from(wgs) * PARTIAL_BYTES;
            encoder.copy_buffer_to_buffer(&s.groups, 0, &s.readback, 0, bytes);
            sizes.push(bytes);
        }
        ctx.queue.submit([encoder.finish()]);
        let mut out = Vec::new();
        for (slot, &bytes) in sizes.iter().enumerate() {
            read_partials(ctx, &self.scratch[slot].readback, bytes, &mut out)?;
        }
        Ok(out.iter().map(|p| p.first).sum())
    }
}

const EMPTY: AggPartial = AggPartial {
    first: 0.0,
    last: 0.0,
    low: 0.0,
    high: 0.0,
    volume: 0.0,
    count: 0,
};

fn check_len(column: &'static str, found: usize, expected: usize) -> Result<(), AggregateError> {
    if found == expected {
        Ok(())
    } else {
        Err(AggregateError::Length {
            column,
            found,
            expected,
        })
    }
}

/// A storage buffer holding `values` as f32, written while mapped at
/// creation (no staging buffer).
fn mapped_f32(ctx: &GpuContext, values: &[f64]) -> Result<wgpu::Buffer, GpuError> {
    let buf = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("ticks f32"),
        size: (values.len() as u64 * 4).max(4),
        usage: wgpu::BufferUsages::STORAGE,
        mapped_at_creation: true,
    });
    {
        let mut view = buf
            .get_mapped_range_mut(..)
            .map_err(|e| GpuError::Wgpu(e.to_string()))?;
        // Converted on every core first: the mapped view is write-only and
        // cannot be shared between threads.
        crate::data::name_worker_threads();
        let f: Vec<f32> = values.par_iter().map(|&v| v as f32).collect();
        if values.is_empty() {
            view.copy_from_slice(&[0; 4]);
        } else {
            view.copy_from_slice(bytemuck::cast_slice(&f));
        }
    }
    buf.unmap();
    Ok(buf)
}

/// Maps `buf`, appends its first `bytes` as partials to `out`, unmaps.
fn read_partials(
    ctx: &GpuContext,
    buf: &wgpu::Buffer,
    bytes: u64,
    out: &mut Vec<AggPartial>,
) -> Result<(), GpuError> {
    if bytes == 0 {
        return Ok(());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    buf.map_async(wgpu::MapMode::Read, 0..bytes, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    rx.recv()
        .map_err(|e| GpuError::Readback(e.to_string()))?
        .map_err(|e| GpuError::Readback(e.to_string()))?;
    {
        let data = buf
            .get_mapped_range(0..bytes)
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        out.extend(
            data.chunks_exact(PARTIAL_BYTES as usize)
                .map(bytemuck::pod_read_unaligned::<AggPartial>),
        );
    }
    buf.unmap();
    Ok(())
}

#[cfg(test)]
mod tests;
