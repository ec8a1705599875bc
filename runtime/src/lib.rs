//! gpu-charts runtime: loads a chart file, its plugins and data, computes
//! indicators, and renders frames with wgpu (headless to PNG, or a window).
//!
//! Layers (each may use only those listed before it):
//! `console` → `config` → `quality` → `plugins` → `data` → `script` → `scene` →
//! `gpu` → `render`/`export`/`convert` → `stats` → `live` → `view` → CLI. (`gpu::types` is a leaf shared
//! by `scene` and `gpu`; `console` is never-panicking terminal output.)
//! `scene/mod.rs` orders the scene's own modules the same way;
//! `runtime/tests/architecture.rs` checks both.

pub mod config;
pub mod console;
pub mod convert;
pub mod data;
pub mod export;
pub mod gpu;
pub mod live;
pub mod plugins;
pub mod quality;
pub mod render;
pub mod scene;
pub mod script;
pub mod stats;
pub mod view;
