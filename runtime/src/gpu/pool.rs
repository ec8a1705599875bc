//! A GPU buffer pool: buffers handed out by power-of-two size class and usage,
//! reused frame after frame, with hit/miss/byte statistics and a trim that
//! gives memory back: buffers idle for [`IDLE_FRAMES`] frames go at the end
//! of each frame, and a request that would exceed the pool's byte budget
//! first frees idle buffers (oldest first).
//!
//! The renderer owns its pool and ends each frame itself
//! ([`BufferPool::end_frame`]); callers never recycle.

use std::collections::HashMap;

/// Smallest size class in bytes.
const MIN_CLASS: u64 = 256;

/// Free buffers unused for this many frames are destroyed at the end of a
/// frame: a window that once showed a huge chart should not keep its
/// buffers for good, while one frame's pauses (a resize) keep them.
pub const IDLE_FRAMES: u64 = 120;

/// Default byte budget of a pool (free and in-use buffers together) before
/// a new buffer first frees idle ones.
pub const DEFAULT_BUDGET: u64 = 256 << 20;

/// Pool statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Requests served by a free buffer.
    pub hits: u64,
    /// Requests that created a buffer.
    pub misses: u64,
    /// Bytes in buffers the pool owns (free or in use).
    pub bytes_allocated: u64,
    /// Bytes in free buffers.
    pub bytes_free: u64,
    /// Bytes of buffers destroyed by trims so far.
    pub bytes_trimmed: u64,
    /// Buffers destroyed by trims so far.
    pub buffers_trimmed: u64,
    /// Frames whose own buffers alone were more than the budget (drawn
    /// anyway: the budget is smaller than one frame needs).
    pub frames_over_budget: u64,
    /// The most bytes one frame had in use.
    pub peak_frame_bytes: u64,
    /// The byte budget.
    pub budget_bytes: u64,
}

impl PoolStats {
    /// Share of requests served by a free buffer (0 before any request).
    pub fn hit_rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 {
            0.0
        } else {
            self.hits as f64 / n as f64
        }
    }
}

type Key = (u64, u32);

/// The pool.
pub struct BufferPool {
    /// Free buffers by class, each with the frame it was last used in.
    free: HashMap<Key, Vec<(wgpu::Buffer, u64)>>,
    in_use: Vec<(Key, wgpu::Buffer)>,
    frame: u64,
    budget: u64,
    stats: PoolStats,
}

impl Default for BufferPool {
    fn default() -> Self {
        Self::with_budget(DEFAULT_BUDGET)
    }
}

/// The size class of a request.
pub fn size_class(size: u64) -> u64 {
    size.max(MIN_CLASS).next_power_of_two()
}

impl BufferPool {
    /// An empty pool that trims idle buffers before it owns more than `budget` bytes.
    pub fn with_budget(budget: u64) -> BufferPool {
        BufferPool {
            free: HashMap::new(),
            in_use: Vec::new(),
            frame: 0,
            budget,
            stats: PoolStats {
                budget_bytes: budget,
                ..PoolStats::default()
            },
        }
    }

    /// Sets the byte budget; free buffers over it are destroyed now.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
        self.stats.budget_bytes = budget;
        let in_use = self.stats.bytes_allocated - self.stats.bytes_free;
        self.trim(budget.saturating_sub(in_use));
    }

    /// A buffer of at least `size` bytes with `usage` (plus COPY_DST), in use
    /// until [`BufferPool::end_frame`]. Within a frame, requests of one class
    /// get the buffers of the previous frame in the same order, so whatever
    /// the caller derived from them (bind groups) can be reused.
    pub fn acquire(
        &mut self,
        device: &wgpu::Device,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let usage = usage | wgpu::BufferUsages::COPY_DST;
        let key = (size_class(size), usage.bits());
        let buf = match self.free.get_mut(&key).and_then(Vec::pop) {
            Some((b, _)) => {
                self.stats.hits += 1;
                self.stats.bytes_free -= key.0;
                b
            }
            None => {
                if self.stats.bytes_allocated + key.0 > self.budget {
                    // Memory pressure: give idle buffers back first.
                    self.trim(self.budget.saturating_sub(
                        self.stats.bytes_allocated - self.stats.bytes_free + key.0,
                    ));
                }
                self.stats.misses += 1;
                self.stats.bytes_allocated += key.0;
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("pooled"),
                    size: key.0,
                    usage,
                    mapped_at_creation: false,
                })
            }
        };
        self.in_use.push((key, buf.clone()));
        buf
    }

    /// Ends a frame (call once the frame using the buffers was submitted):
    /// every buffer handed out since the last call becomes free, and free
    /// buffers idle for [`IDLE_FRAMES`] frames are destroyed. Returns whether
    /// any buffer was destroyed.
    pub fn end_frame(&mut self) -> bool {
        let frame = self.frame;
        let in_use: u64 = self.in_use.iter().map(|(k, _)| k.0).sum();
        self.stats.peak_frame_bytes = self.stats.peak_frame_bytes.max(in_use);
        if in_use > self.budget {
            self.stats.frames_over_budget += 1;
        }
        // Reversed, so that the next frame pops them in the order this one
        // acquired them.
        for (key, buf) in self.in_use.drain(..).rev() {
            self.stats.bytes_free += key.0;
            self.free.entry(key).or_default().push((buf, frame));
        }
        self.frame += 1;
        let before = self.stats.buffers_trimmed;
        let oldest_kept = self.frame.saturating_sub(IDLE_FRAMES);
        for (key, list) in &mut self.free {
            list.retain(|(buf, used)| {
                let keep = *used >= oldest_kept;
                if !keep {
                    buf.destroy();
                    self.stats.bytes_free -= key.0;
                    self.stats.bytes_allocated -= key.0;
                    self.stats.bytes_trimmed += key.0;
                    self.stats.buffers_trimmed += 1;
                }
                keep
            });
        }
        self.free.retain(|_, list| !list.is_empty());
        self.stats.buffers_trimmed > before
    }

    /// Destroys free buffers, longest idle first (then largest), until at
    /// most `max_free_bytes` stay free. Returns the bytes freed.
    pub fn trim(&mut self, max_free_bytes: u64) -> u64 {
        let mut all: Vec<(u64, u64, Key)> = self
            .free
            .iter()
            .flat_map(|(k, list)| list.iter().map(move |(_, used)| (*used, k.0, *k)))
            .collect();
        all.sort_by_key(|&(used, class, _)| (used, std::cmp::Reverse(class)));
        let mut freed = 0;
        for (used, _, key) in all {
            if self.stats.bytes_free <= max_free_bytes {
                break;
            }
            let Some(list) = self.free.get_mut(&key) else {
                continue;
            };
            let Some(i) = list.iter().position(|(_, u)| *u == used) else {
                continue;
            };
            let (buf, _) = list.remove(i);
            buf.destroy();
            self.stats.bytes_free -= key.0;
            self.stats.bytes_allocated -= key.0;
            self.stats.bytes_trimmed += key.0;
            self.stats.buffers_trimmed += 1;
            freed += key.0;
        }
        self.free.retain(|_, list| !list.is_empty());
        freed
    }

    /// Current statistics.
    pub fn stats(&self) -> PoolStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::{BufferPool, IDLE_FRAMES, size_class};
    use crate::gpu::GpuContext;

    fn device() -> wgpu::Device {
        GpuContext::headless()
            .unwrap_or_else(|e| panic!("a GPU adapter (install mesa-vulkan-drivers): {e}"))
            .device
    }

    #[test]
    fn size_classes_are_powers_of_two_from_256() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 512);
        assert_eq!(size_class(1 << 20), 1 << 20);
        assert_eq!(size_class((1 << 20) + 1), 2 << 20);
    }

    /// Frame 1 creates every buffer; frame 2 asks for the same and gets the
    /// same buffers, in the same order, without creating any.
    #[test]
    fn the_second_frame_reuses_every_buffer_in_order() {
        let device = device();
        let mut pool = BufferPool::default();
        let storage = wgpu::BufferUsages::STORAGE;
        let frame = |pool: &mut BufferPool| {
            vec![
                pool.acquire(&device, 100, wgpu::BufferUsages::UNIFORM),
                pool.acquire(&device, 3000, storage),
                pool.acquire(&device, 4000, storage),
                pool.acquire(&device, 10, storage),
            ]
        };
        let first = frame(&mut pool);
        let s = pool.stats();
        assert_eq!((s.hits, s.misses), (0, 4));
        assert_eq!(s.bytes_allocated, 256 + 4096 + 4096 + 256);
        assert_eq!(s.bytes_free, 0);
        assert!(!pool.end_frame());
        assert_eq!(pool.stats().bytes_free, s.bytes_allocated);
        let second = frame(&mut pool);
        let s2 = pool.stats();
        assert_eq!((s2.hits, s2.misses), (4, 4));
        assert_eq!(s2.bytes_allocated, s.bytes_allocated);
        assert_eq!(s2.bytes_free, 0);
        assert_eq!(first, second, "same buffers in the same order");
    }

    #[test]
    fn trim_frees_free_bytes_only() {
        let device = device();
        let mut pool = BufferPool::default();
        let _a = pool.acquire(&device, 1 << 16, wgpu::BufferUsages::STORAGE);
        let _b = pool.acquire(&device, 1 << 10, wgpu::BufferUsages::STORAGE);
        pool.end_frame();
        let busy = pool.acquire(&device, 1 << 10, wgpu::BufferUsages::STORAGE);
        // Only the 64 KiB buffer is free now; the 1 KiB one is in use.
        assert_eq!(pool.stats().bytes_free, 1 << 16);
        assert_eq!(pool.trim(0), 1 << 16);
        let s = pool.stats();
        assert_eq!(s.bytes_free, 0);
        assert_eq!(s.bytes_allocated, 1 << 10);
        assert_eq!((s.bytes_trimmed, s.buffers_trimmed), (1 << 16, 1));
        // The one in use was left alone and is handed out again next frame.
        pool.end_frame();
        assert_eq!(
            pool.acquire(&device, 1 << 10, wgpu::BufferUsages::STORAGE),
            busy
        );
    }

    #[test]
    fn buffers_idle_for_many_frames_are_destroyed_at_a_frame_end() {
        let device = device();
        let mut pool = BufferPool::default();
        let _big = pool.acquire(&device, 1 << 20, wgpu::BufferUsages::STORAGE);
        pool.end_frame();
        let mut destroyed = false;
        for _ in 0..IDLE_FRAMES {
            // Every frame uses a small buffer; the big one stays idle.
            let _ = pool.acquire(&device, 64, wgpu::BufferUsages::STORAGE);
            destroyed |= pool.end_frame();
        }
        let s = pool.stats();
        assert!(destroyed);
        assert_eq!(s.bytes_trimmed, 1 << 20);
        assert_eq!(s.bytes_allocated, 256);
        assert_eq!(s.misses, 2);
        assert_eq!(s.hits, IDLE_FRAMES - 1);
    }

    /// A frame larger than the whole budget is drawn, and counted.
    #[test]
    fn a_frame_over_the_budget_is_counted() {
        let device = device();
        let mut pool = BufferPool::with_budget(1024);
        let _a = pool.acquire(&device, 4096, wgpu::BufferUsages::STORAGE);
        pool.end_frame();
        let s = pool.stats();
        assert_eq!((s.frames_over_budget, s.peak_frame_bytes), (1, 4096));
        let _b = pool.acquire(&device, 256, wgpu::BufferUsages::STORAGE);
        pool.end_frame();
        assert_eq!(pool.stats().frames_over_budget, 1, "256 B fit");
        // A smaller budget frees idle buffers at once.
        pool.set_budget(256);
        let s = pool.stats();
        assert_eq!((s.bytes_allocated, s.budget_bytes), (256, 256));
        assert!((s.hit_rate() - 0.0).abs() < 1e-12, "two misses");
    }

    /// A request that would take the pool over its budget frees idle buffers first.
    #[test]
    fn a_request_over_budget_trims_idle_buffers_first() {
        let device = device();
        let mut pool = BufferPool::with_budget(8192);
        let _a = pool.acquire(&device, 4096, wgpu::BufferUsages::STORAGE);
        let _b = pool.acquire(&device, 2048, wgpu::BufferUsages::UNIFORM);
        pool.end_frame();
        // 6 KiB owned, all free; a new 4 KiB uniform buffer would make 10 KiB.
        let _c = pool.acquire(&device, 4096, wgpu::BufferUsages::UNIFORM);
        let s = pool.stats();
        assert!(s.bytes_allocated <= 8192, "{s:?}");
        assert_eq!(
            s.bytes_trimmed, 4096,
            "the idle 4 KiB storage buffer went: {s:?}"
        );
        assert_eq!(s.misses, 3);
    }
}
