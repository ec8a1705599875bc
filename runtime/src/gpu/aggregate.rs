//! Timeframe aggregation on the GPU: ticks → OHLCV bars with tick counts,
//! **bit for bit** the [`Bars`] of [`crate::data::timeframe::aggregate_ticks`]
//! (the CPU path the model uses), for large tick sets on a real GPU.
//!
//! # How
//!
//! The CPU finds the buckets (the first tick of each bar) by galloping
//! search over the timestamps with the [`Aligner`]: O(bars × log(ticks per
//! bar)), no pass over every tick, and the timestamps never go to the GPU.
//! It cuts each bucket into *groups* of at most [`GROUP_TICKS`] ticks
//! counted from the bucket's first tick; on the GPU a team of 32 threads
//! reduces each group (`shaders/aggregate.wgsl`), reading its ticks
//! interleaved so that a warp's loads are coalesced, their partials combined in
//! shared memory by index (first/last by index, equal keys keep the earlier
//! tick). The CPU reads the groups back and combines each bucket's groups.
//! (Batches are still cut by [`RUN_TICKS`]-tick runs, which bound a
//! dispatch's size; an earlier kernel gave each run a thread and read
//! ~30× below the read-bandwidth kernel on an H100.)
//!
//! # Exactness
//!
//! Prices and sizes go to the GPU as the f64 columns are (8 bytes a tick
//! each, [`GpuTicks`], uploaded once and reused for any timeframe) and are
//! read there as pairs of u32 words; the kernels do no float arithmetic at
//! all, so neither the GPU's rounding nor `SHADER_F64` (which llvmpipe and
//! many GPUs lack in WGSL) matters:
//!
//! * open and close are the *indices* of the first and last tick with a
//!   finite price; high and low the indices of the first largest and first
//!   smallest price, compared through an order-preserving u32-pair key of
//!   the f64 (sign flipped for positives, all bits flipped for negatives,
//!   −0 keyed as +0 because they compare equal on the CPU). Ties keep the
//!   earlier tick, as the CPU's `if h > high` does. The CPU gathers the f64
//!   prices at those indices, so every bit (a zero's sign too) is the CPU
//!   path's;
//! * count: the ticks with a finite price (NaN and ±∞ are skipped, as on
//!   the CPU; bars with none are left out);
//! * volume: the GPU sums whole-number sizes in [0, 2^53) as a 64-bit
//!   integer (a non-finite size adds 0, as on the CPU) and says whether the
//!   bucket had only such sizes with a sum below 2^53. Then every partial
//!   sum of the CPU's left-to-right f64 loop is an exact integer, so that
//!   loop gives this sum whatever the order. A bucket with any other size
//!   (a fraction such as 0.013, a negative, −0, 2^53 or more) is summed on
//!   the CPU in the CPU path's own order (buckets in parallel). Share and
//!   contract counts are whole numbers, so typically nothing is summed on
//!   the CPU.
//!
//! Timestamps must be non-decreasing, as [`crate::data::Table`] guarantees
//! on load; the GPU path does not scan every timestamp again (that pass
//! would cost more than the reduction). Unsorted input gives wrong bars,
//! never a panic; lengths and unrepresentable buckets are errors as on the
//! CPU path.
//!
//! # When
//!
//! [`GpuTickAggregator`] is what the model is handed
//! ([`crate::data::accel::TickAggregator`]): it keeps the ticks of the last
//! source it saw resident, so switching timeframes uploads nothing, and it
//! is used when [`gpu_worthwhile`] says so ([`GpuAggregatePolicy`]; the
//! environment variable [`POLICY_ENV`] overrides it).

use std::sync::Mutex;

use rayon::prelude::*;

use crate::data::accel::{AggregatorUsage, TickAggregator};
use crate::data::storage::Storage;
use crate::data::timeframe::{AggregateError, Aligner, Bars};
use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::shader;
use crate::gpu::types::{AggParams, AggPartial};

/// Ticks per run: the unit batches are counted in (a dispatch holds at
/// most `max_batch_runs` of them).
pub const RUN_TICKS: usize = 32;
/// Ticks per group (one GPU workgroup each); a multiple of [`RUN_TICKS`].
pub const GROUP_TICKS: usize = 1024;
/// Below this many ticks the GPU path does not pay: the CPU path on a
/// workstation's cores aggregates 4 M ticks in a few ms, while the first
/// GPU aggregation uploads 16 bytes a tick (64 MB: ~3 ms over PCIe 4) plus
/// a dispatch and a readback. Above it a timeframe switch over resident
/// ticks reads only the bucket starts and the group partials back. To be
/// revisited with the `timeframe_gpu` bench's figures on the H100/H200.
pub const GPU_MIN_TICKS: usize = 4 << 20;
/// Environment variable overriding [`GpuAggregatePolicy`]: `auto`, `force`
/// (every tick set, on any adapter, llvmpipe included: for tests and
/// benchmarks) or `off`.
pub const POLICY_ENV: &str = "GPU_CHARTS_GPU_AGGREGATE";

const WORKGROUP: u32 = 256;
/// Threads that reduce one group together; `TEAM` in the shader.
const TEAM_THREADS: usize = 32;
const PARTIAL_BYTES: u64 = std::mem::size_of::<AggPartial>() as u64;
/// A whole-number volume sum stays exact below this.
const EXACT_LIMIT: u64 = 1 << 53;

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

/// Whether the GPU path is worth taking for `ticks` ticks on `adapter`:
/// not on a CPU adapter (llvmpipe: the CPU path is faster there), and
/// [`GPU_MIN_TICKS`] or more.
pub fn gpu_worthwhile(adapter: &wgpu::AdapterInfo, ticks: usize) -> bool {
    adapter.device_type != wgpu::DeviceType::Cpu && ticks >= GPU_MIN_TICKS
}

/// When [`GpuTickAggregator`] takes the GPU path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuAggregatePolicy {
    /// When [`gpu_worthwhile`] says so (the default).
    Auto,
    /// Always (tests on llvmpipe, benchmarks).
    Force,
    /// Never.
    Off,
}

impl GpuAggregatePolicy {
    /// [`POLICY_ENV`]'s value, or `default` when it is unset or unknown.
    pub fn from_env(default: GpuAggregatePolicy) -> GpuAggregatePolicy {
        match std::env::var(POLICY_ENV).as_deref() {
            Ok("force") => GpuAggregatePolicy::Force,
            Ok("off") => GpuAggregatePolicy::Off,
            Ok("auto") => GpuAggregatePolicy::Auto,
            _ => default,
        }
    }
}

/// Aggregates ticks into bars on the GPU: uploads `price` and `size`, runs
/// the kernels and returns the bars (equal to the CPU path's). For many
/// timeframes over the same ticks, keep a [`GpuAggregator`] and a
/// [`GpuTicks`] instead (or use [`GpuTickAggregator`]).
pub fn aggregate_ticks_gpu(
    ctx: &GpuContext,
    al: &Aligner,
    time: &[i64],
    price: &[f64],
    size: Option<&[f64]>,
) -> Result<Bars, GpuAggregateError> {
    let mut agg = GpuAggregator::new(ctx)?;
    let ticks = agg.upload(ctx, time.len(), price, size)?;
    agg.aggregate(ctx, &ticks, al, time, price, size)
}

/// Prices and sizes resident on the GPU (the f64 bits), in pages.
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
    /// An 8-byte placeholder when there are no sizes.
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

/// Keys compare high word first.
fn greater(a: [u32; 2], b: [u32; 2]) -> bool {
    (a[1], a[0]) > (b[1], b[0])
}

fn words_u64(w: [u32; 2]) -> u64 {
    u64::from(w[0]) | (u64::from(w[1]) << 32)
}

/// A bucket's groups combined, with global tick indices (the group
/// partials' indices are relative to their page) and a u64 count; the
/// bucket's volume sum may pass 2^32 ticks' worth, so it is kept in u64
/// and checked against [`EXACT_LIMIT`] here.
#[derive(Debug, Clone, Copy)]
struct BucketAgg {
    count: u64,
    first: usize,
    last: usize,
    max_index: usize,
    max_key: [u32; 2],
    min_index: usize,
    min_key: [u32; 2],
    volume: u64,
    exact: bool,
}

fn combine_bucket(acc: Option<BucketAgg>, g: &AggPartial, base: usize) -> Option<BucketAgg> {
    if g.count == 0 {
        return acc;
    }
    let at = |i: u32| base + i as usize;
    let vol = words_u64(g.volume);
    let Some(mut r) = acc else {
        return Some(BucketAgg {
            count: u64::from(g.count),
            first: at(g.first),
            last: at(g.last),
            max_index: at(g.max_index),
            max_key: g.max_key,
            min_index: at(g.min_index),
            min_key: g.min_key,
            volume: vol,
            exact: g.exact != 0 && vol < EXACT_LIMIT,
        });
    };
    if greater(g.max_key, r.max_key) {
        r.max_key = g.max_key;
        r.max_index = at(g.max_index);
    }
    if greater(r.min_key, g.min_key) {
        r.min_key = g.min_key;
        r.min_index = at(g.min_index);
    }
    r.last = at(g.last);
    r.count += u64::from(g.count);
    r.volume = r.volume.saturating_add(vol);
    r.exact = r.exact && g.exact != 0 && r.volume < EXACT_LIMIT;
    Some(r)
}

/// One bar: start, open, high, low, close, volume, count.
type BarRow = (i64, f64, f64, f64, f64, f64, u64);

/// The CPU path's volume loop over one bucket's ticks (its order, its
/// rules: non-finite prices skipped, non-finite sizes add 0).
fn cpu_volume(price: &[f64], size: &[f64]) -> f64 {
    let mut vol = 0.0;
    let mut any = false;
    for (&p, &s) in price.iter().zip(size) {
        if !p.is_finite() {
            continue;
        }
        let v = if s.is_finite() { s } else { 0.0 };
        if any {
            vol += v;
        } else {
            vol = v;
            any = true;
        }
    }
    vol
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
    groups: wgpu::ComputePipeline,
    read: wgpu::ComputePipeline,
    page_ticks: usize,
    max_batch_runs: usize,
    scratch: Vec<Scratch>,
    /// Buckets whose volume the last aggregation summed on the CPU.
    cpu_volume_buckets: usize,
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
        // One f64 per tick, less the overlap; u32 indices stay far from overflow.
        let page_ticks = ((binding / 8) as usize)
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
        let (groups, read) = checked(device, || {
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
            (make("groups_main"), make("read_main"))
        })?;
        Ok(GpuAggregator {
            layout,
            groups,
            read,
            page_ticks: page_ticks.max(GROUP_TICKS),
            max_batch_runs: max_batch_runs.max(GROUP_TICKS / RUN_TICKS),
            scratch: Vec::new(),
            cpu_volume_buckets: 0,
        })
    }

    /// Uploads `len` ticks' prices and sizes (their f64 bytes, straight
    /// into mapped buffers).
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
            let price_buf = mapped_f64(ctx, &price[first..end])?;
            let size_buf = match size {
                Some(s) => mapped_f64(ctx, &s[first..end])?,
                None => mapped_f64(ctx, &[0.0])?,
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

    /// The bars of `ticks` (timestamps `time`; `price` and `size` the same
    /// values as uploaded, for gathering) for `al`: equal to
    /// [`crate::data::timeframe::aggregate_ticks`] (module docs).
    pub fn aggregate(
        &mut self,
        ctx: &GpuContext,
        ticks: &GpuTicks,
        al: &Aligner,
        time: &[i64],
        price: &[f64],
        size: Option<&[f64]>,
    ) -> Result<Bars, GpuAggregateError> {
        check_len("price", ticks.len, time.len())?;
        check_len("price", price.len(), time.len())?;
        if let Some(s) = size {
            check_len("size", s.len(), time.len())?;
        }
        if size.is_some() != ticks.has_size {
            return Err(GpuError::Wgpu(
                "the ticks on the GPU were uploaded with a different size column".into(),
            )
            .into());
        }
        let buckets = buckets(al, time)?;
        let (starts, bucket_groups) = groups(&buckets, time.len());
        let batches = self.batches(ticks, &starts);
        let (partials, bases) = self.run_batches(ctx, ticks, &starts, &batches)?;
        let n = time.len();
        // Combine each bucket's groups and gather the f64 values; buckets
        // whose sizes are not all whole numbers get the CPU's own loop.
        let on_cpu = std::sync::atomic::AtomicUsize::new(0);
        crate::data::name_worker_threads();
        let rows: Vec<Option<BarRow>> = (0..buckets.len())
            .into_par_iter()
            .map(|k| {
                let b = buckets[k];
                let (ga, gb) = (bucket_groups[k], bucket_groups[k + 1]);
                let mut acc = None;
                for g in ga..gb {
                    acc = combine_bucket(acc, &partials[g], bases[g]);
                }
                let a = acc?;
                let end = buckets.get(k + 1).map_or(n, |next| next.first);
                let volume = match size {
                    None => 0.0,
                    Some(_) if a.exact => a.volume as f64,
                    Some(s) => {
                        on_cpu.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        cpu_volume(&price[b.first..end], &s[b.first..end])
                    }
                };
                Some((
                    b.start,
                    price[a.first],
                    price[a.max_index],
                    price[a.min_index],
                    price[a.last],
                    volume,
                    a.count,
                ))
            })
            .collect();
        self.cpu_volume_buckets = on_cpu.into_inner();
        let mut bars = Bars::default();
        for (t, o, h, l, c, v, count) in rows.into_iter().flatten() {
            bars.time.push(t);
            bars.open.push(o);
            bars.high.push(h);
            bars.low.push(l);
            bars.close.push(c);
            bars.volume.push(v);
            bars.count.push(count);
        }
        Ok(bars)
    }

    /// Buckets whose volume the last [`GpuAggregator::aggregate`] summed on
    /// the CPU (sizes that are not all whole numbers below 2^53).
    pub fn last_cpu_volume_buckets(&self) -> usize {
        self.cpu_volume_buckets
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
    /// partials back, in group order, with each group's page's first tick.
    fn run_batches(
        &mut self,
        ctx: &GpuContext,
        ticks: &GpuTicks,
        starts: &[usize],
        batches: &[Batch],
    ) -> Result<(Vec<AggPartial>, Vec<usize>), GpuAggregateError> {
        let device = ctx.device.clone();
        checked(&device, || {
            self.run_batches_unchecked(ctx, ticks, starts, batches)
        })?
    }

    fn run_batches_unchecked(
        &mut self,
        ctx: &GpuContext,
        ticks: &GpuTicks,
        starts: &[usize],
        batches: &[Batch],
    ) -> Result<(Vec<AggPartial>, Vec<usize>), GpuAggregateError> {
        let max_wg = ctx.device.limits().max_compute_workgroups_per_dimension;
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
            let params = AggParams {
                groups: groups as u32,
                runs: 0,
                has_size: u32::from(ticks.has_size),
                ticks: 0,
            };
            let s = self.scratch(ctx, slot, groups, 0);
            ctx.queue
                .write_buffer(&s.params, 0, bytemuck::bytes_of(&params));
            ctx.queue
                .write_buffer(&s.group_start, 0, bytemuck::cast_slice(&rel));
            let s = &self.scratch[slot];
            let bg = self.bind_group(ctx, s, page);
            {
                // A team of TEAM_THREADS per group (the shader loops past
                // the dispatch limit).
                let wgs = groups.div_ceil(WORKGROUP as usize / TEAM_THREADS) as u32;
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_bind_group(0, &bg, &[]);
                pass.set_pipeline(&self.groups);
                pass.dispatch_workgroups(wgs.clamp(1, max_wg), 1, 1);
            }
            let bytes = groups as u64 * PARTIAL_BYTES;
            encoder.copy_buffer_to_buffer(&s.groups, 0, &s.readback, 0, bytes);
            sizes.push(bytes);
        }
        ctx.queue.submit([encoder.finish()]);
        let mut out = Vec::with_capacity(starts.len().saturating_sub(1));
        let mut bases = Vec::with_capacity(out.capacity());
        for b in batches {
            bases.extend(std::iter::repeat_n(ticks.pages[b.page].first, b.gb - b.ga));
        }
        for (slot, &bytes) in sizes.iter().enumerate() {
            let buf = &self.scratch[slot].readback;
            read_partials(ctx, buf, bytes, &mut out)?;
        }
        Ok((out, bases))
    }

    /// The read-bandwidth baseline: one coalesced pass over every page's
    /// prices (and sizes), the same 16 bytes a tick the aggregation reads.
    /// Returns the xor of every word read (so the reads cannot be left out)
    /// once the GPU finished.
    pub fn read_bandwidth(&mut self, ctx: &GpuContext, ticks: &GpuTicks) -> Result<u32, GpuError> {
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
        Ok(out.iter().fold(0, |x, p| x ^ p.count))
    }
}

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

/// A storage buffer holding `values`' bytes, written while mapped at
/// creation (no staging buffer), inside error scopes.
fn mapped_f64(ctx: &GpuContext, values: &[f64]) -> Result<wgpu::Buffer, GpuError> {
    let bytes = (values.len() as u64 * 8).max(8);
    let max = ctx.device.limits().max_buffer_size;
    if bytes > max {
        return Err(GpuError::Wgpu(format!(
            "{bytes} bytes of ticks exceed the device's largest buffer ({max} bytes)"
        )));
    }
    let buf = checked(&ctx.device, || {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("ticks f64"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: true,
        })
    })?;
    {
        let mut view = buf
            .get_mapped_range_mut(..)
            .map_err(|e| GpuError::Wgpu(e.to_string()))?;
        if values.is_empty() {
            view.copy_from_slice(&[0; 8]);
        } else {
            view.copy_from_slice(bytemuck::cast_slice(values));
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

/// The model's GPU path ([`TickAggregator`]): a device, the pipelines, and
/// the ticks of the last source aggregated, resident on the GPU so that
/// switching timeframes uploads nothing.
pub struct GpuTickAggregator {
    /// The device, or (for the window, whose own device comes after the
    /// first model) one opened headless on first use.
    ctx: std::sync::OnceLock<Result<GpuContext, String>>,
    policy: GpuAggregatePolicy,
    /// Page and batch sizes for [`GpuAggregator::with_limits`] (tests);
    /// `None`: the device's.
    limits: Option<(usize, usize)>,
    state: Mutex<State>,
}

struct State {
    pipelines: Option<GpuAggregator>,
    resident: Option<Resident>,
    /// GPU aggregations that returned bars (for tests and `stats`).
    runs: u64,
    /// The most bytes of ticks kept resident between aggregations.
    resident_budget: u64,
    /// Aggregations whose ticks were released afterwards (over that).
    released: u64,
}

impl Default for State {
    fn default() -> State {
        State {
            pipelines: None,
            resident: None,
            runs: 0,
            resident_budget: u64::MAX,
            released: 0,
        }
    }
}

/// Uploaded ticks and the columns they were uploaded from; holding the
/// columns keeps their memory (and so the pointers compared) alive.
struct Resident {
    price: Storage<f64>,
    size: Option<Storage<f64>>,
    ticks: GpuTicks,
}

impl Resident {
    fn is_of(&self, price: &Storage<f64>, size: Option<&Storage<f64>>) -> bool {
        let same = |a: &Storage<f64>, b: &Storage<f64>| std::ptr::eq(a.as_slice(), b.as_slice());
        same(&self.price, price)
            && match (&self.size, size) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

impl GpuTickAggregator {
    /// An aggregator on `ctx`'s device (a clone of the context: wgpu's
    /// handles are shared) taking the GPU path as `policy` says.
    pub fn new(ctx: &GpuContext, policy: GpuAggregatePolicy) -> GpuTickAggregator {
        GpuTickAggregator {
            ctx: std::sync::OnceLock::from(Ok(ctx.clone())),
            policy,
            limits: None,
            state: Mutex::new(State::default()),
        }
    }

    /// An aggregator that opens a headless device of its own the first
    /// time it takes the GPU path (never, on a machine where `policy` and
    /// the adapter leave every tick set to the CPU); the policy comes from
    /// [`POLICY_ENV`], else `auto`. For the window, which builds its first
    /// model before its surface's device exists.
    pub fn lazy_headless() -> GpuTickAggregator {
        GpuTickAggregator {
            ctx: std::sync::OnceLock::new(),
            policy: GpuAggregatePolicy::from_env(GpuAggregatePolicy::Auto),
            limits: None,
            state: Mutex::new(State::default()),
        }
    }

    fn context(&self) -> Result<&GpuContext, GpuError> {
        self.ctx
            .get_or_init(|| GpuContext::headless().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| GpuError::Wgpu(e.clone()))
    }

    /// As [`GpuTickAggregator::new`] with pages of `page_ticks` ticks and
    /// batches of `batch_runs` runs ([`GpuAggregator::with_limits`]), so
    /// that tests cover paging with small charts.
    pub fn with_limits(
        ctx: &GpuContext,
        policy: GpuAggregatePolicy,
        page_ticks: usize,
        batch_runs: usize,
    ) -> GpuTickAggregator {
        GpuTickAggregator {
            limits: Some((page_ticks, batch_runs)),
            ..GpuTickAggregator::new(ctx, policy)
        }
    }

    /// GPU aggregations that returned bars so far.
    pub fn gpu_runs(&self) -> u64 {
        self.usage().runs
    }

    /// Bytes of ticks resident on the GPU.
    pub fn resident_bytes(&self) -> u64 {
        self.usage().resident_bytes
    }

    fn run(
        &self,
        al: &Aligner,
        time: &[i64],
        price: &Storage<f64>,
        size: Option<&Storage<f64>>,
    ) -> Result<Bars, GpuAggregateError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| GpuError::Wgpu("an earlier GPU aggregation panicked".into()))?;
        let state = &mut *state;
        let ctx = self.context()?;
        if state.pipelines.is_none() {
            state.pipelines = Some(match self.limits {
                Some((page, batch)) => GpuAggregator::with_limits(ctx, page, batch)?,
                None => GpuAggregator::new(ctx)?,
            });
        }
        let Some(agg) = state.pipelines.as_mut() else {
            unreachable!("set above")
        };
        if !state
            .resident
            .as_ref()
            .is_some_and(|r| r.is_of(price, size))
        {
            // Drop the old upload before making the new one.
            state.resident = None;
            let ticks = agg.upload(ctx, time.len(), price, size.map(|s| s.as_slice()))?;
            state.resident = Some(Resident {
                price: price.clone(),
                size: size.cloned(),
                ticks,
            });
        }
        let Some(r) = state.resident.as_ref() else {
            unreachable!("set above")
        };
        let over = r.ticks.gpu_bytes() > state.resident_budget;
        let bars = agg.aggregate(ctx, &r.ticks, al, time, price, size.map(|s| s.as_slice()));
        if bars.is_err() {
            // The device may be in a bad state: start from scratch next time.
            state.resident = None;
            state.pipelines = None;
        } else {
            state.runs += 1;
            if over {
                // More than the GPU share: not kept between aggregations.
                state.resident = None;
                state.released += 1;
            }
        }
        bars
    }
}

impl TickAggregator for GpuTickAggregator {
    fn wanted(&self, ticks: usize) -> bool {
        match self.policy {
            GpuAggregatePolicy::Force => true,
            GpuAggregatePolicy::Off => false,
            // Only a tick count worth it opens a lazy device.
            GpuAggregatePolicy::Auto => {
                ticks >= GPU_MIN_TICKS
                    && self
                        .context()
                        .is_ok_and(|c| gpu_worthwhile(&c.adapter.get_info(), ticks))
            }
        }
    }

    fn aggregate_ticks(
        &self,
        al: &Aligner,
        time: &[i64],
        price: &Storage<f64>,
        size: Option<&Storage<f64>>,
    ) -> Result<Bars, String> {
        self.run(al, time, price, size).map_err(|e| e.to_string())
    }

    fn set_resident_budget(&self, bytes: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.resident_budget = bytes;
            if s.resident
                .as_ref()
                .is_some_and(|r| r.ticks.gpu_bytes() > bytes)
            {
                s.resident = None;
            }
        }
    }

    fn usage(&self) -> AggregatorUsage {
        self.state
            .lock()
            .map_or(AggregatorUsage::default(), |s| AggregatorUsage {
                runs: s.runs,
                resident_bytes: s.resident.as_ref().map_or(0, |r| r.ticks.gpu_bytes()),
                resident_budget: s.resident_budget,
                released_over_budget: s.released,
            })
    }

    fn describe(&self) -> String {
        match self.ctx.get() {
            Some(Ok(c)) => format!("GPU {}", c.adapter_summary()),
            _ => "GPU".to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
