//! The GPU layer: device, shader validation, buffer pool, glyph atlas and the
//! renderer that draws a [`crate::scene::FrameScene`] into a texture.

pub mod aggregate;
pub mod context;
pub mod pool;
pub mod renderer;
pub mod shader;
pub mod text;
pub mod types;

pub use context::{GpuContext, GpuError};
pub use pool::PoolStats;
pub use renderer::{Renderer, RendererStats, check_image_size, max_image_side, tile_size};
