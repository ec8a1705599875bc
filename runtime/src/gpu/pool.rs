//! A GPU buffer pool: buffers handed out by power-of-two size class and usage,
//! reused frame after frame, with hit/miss/byte statistics and a trim that
//! gives memory back under pressure.

use std::collections::HashMap;

/// Smallest size class in bytes.
const MIN_CLASS: u64 = 256;

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
}

/// The pool.
#[derive(Default)]
pub struct BufferPool {
    free: HashMap<(u64, u32), Vec<wgpu::Buffer>>,
    in_use: Vec<((u64, u32), wgpu::Buffer)>,
    stats: PoolStats,
}

/// The size class of a request.
pub fn size_class(size: u64) -> u64 {
    size.max(MIN_CLASS).next_power_of_two()
}

impl BufferPool {
    /// A buffer of at least `size` bytes with `usage` (plus COPY_DST), in use until [`BufferPool::recycle`].
    pub fn acquire(
        &mut self,
        device: &wgpu::Device,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let usage = usage | wgpu::BufferUsages::COPY_DST;
        let key = (size_class(size), usage.bits());
        let buf = match self.free.get_mut(&key).and_then(Vec::pop) {
            Some(b) => {
                self.stats.hits += 1;
                self.stats.bytes_free -= key.0;
                b
            }
            None => {
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

    /// Returns every buffer handed out since the last call to the free lists
    /// (call once the frame using them has been submitted).
    pub fn recycle(&mut self) {
        for (key, buf) in self.in_use.drain(..) {
            self.stats.bytes_free += key.0;
            self.free.entry(key).or_default().push(buf);
        }
    }

    /// Destroys free buffers until at most `max_free_bytes` stay free.
    pub fn trim(&mut self, max_free_bytes: u64) {
        let mut keys: Vec<(u64, u32)> = self.free.keys().copied().collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.0));
        for key in keys {
            while self.stats.bytes_free > max_free_bytes {
                let Some(buf) = self.free.get_mut(&key).and_then(Vec::pop) else {
                    break;
                };
                buf.destroy();
                self.stats.bytes_free -= key.0;
                self.stats.bytes_allocated -= key.0;
            }
        }
    }

    /// Current statistics.
    pub fn stats(&self) -> PoolStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_are_powers_of_two_from_256() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 512);
        assert_eq!(size_class(1 << 20), 1 << 20);
        assert_eq!(size_class((1 << 20) + 1), 2 << 20);
    }
}
