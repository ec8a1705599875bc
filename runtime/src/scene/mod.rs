//! The scene: what a chart is (model, built once per load) and what one
//! frame shows (geometry, rebuilt per frame in O(pixels)).
//!
//! Modules (each may use only those listed before it):
//! `types` → `theme` → `text` → `ticks` → `model` → `frame` → `interact` → `banner`.

pub mod banner;
pub mod frame;
pub mod interact;
pub mod model;
pub mod text;
pub mod theme;
pub mod ticks;
pub mod types;

pub use frame::{FrameScene, ViewRange, build_frame};
pub use model::{ChartModel, build_model};
