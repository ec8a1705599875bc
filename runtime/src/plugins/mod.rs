//! Plugin libraries: finding, loading and calling them.
//!
//! ```text
//! registry ──► loader ──► libloading (dlopen) ──► gpu_charts_plugin_entry() ──► descriptor
//!    │            └─ copies the descriptor into owned PluginInfo, checks ABI first
//!    └─ name → handle maps (Indicator, Source, ChartType), did-you-mean on a miss
//! handles ──► safe wrappers over the C tables; each holds an Arc<LoadedPlugin>
//! ```
//!
//! * [`loader`] opens one library, checks the ABI version before anything
//!   else, validates and copies the descriptor ([`PluginInfo`]) and calls the
//!   plugin's `init` with the host callbacks ([`host`]).
//! * [`handles`] wraps the function tables in safe types. Every handle and
//!   every state (indicator instance, open source) holds an
//!   `Arc<LoadedPlugin>`, so a library is unloaded only when nothing created
//!   from it is alive; hot reload can swap registries while old states finish.
//! * [`registry`] scans plugin folders and maps names to handles.
//! * [`copies`] makes the private copies live sessions load libraries from
//!   ([`LoadMode::PrivateCopy`]): a rebuilt library gets a name of its own,
//!   so `dlopen` really maps the new code instead of returning the loaded
//!   one, and the user's file can be overwritten while the old version
//!   runs. The copy keeps the original's identity for everything else
//!   ([`LoadedPlugin::path`], every error); it is removed when its library
//!   is dropped, and folders of dead processes are cleaned on the next
//!   start. Other uses open files in place ([`LoadMode::InPlace`]): they
//!   load each library once, and copying would only cost time and disk.
//! * [`error`] is the one error type of this module: every message names the
//!   plugin (and file where it matters) and ends with a `help:` line.
//!
//! This module depends on `gpu-charts-plugin-api` and nothing else of the
//! runtime. It is one of the two places where `unsafe` is expected (the other
//! is `plugin-api`): every FFI call lives here, behind safe types.
#![allow(unsafe_code)]

pub mod copies;
pub mod error;
pub mod handles;
pub mod host;
pub mod loader;
mod objcheck;
pub mod registry;
mod schema;
mod suggest;
pub mod wgsl;

pub use copies::{private_copies_dir, remove_stale};
pub use error::{ItemKind, PluginError, status_name};
pub use handles::{
    ChartType, Indicator, IndicatorInstance, LentTable, Source, SourceData, SourceInstance,
    SourceTable,
};
pub use host::{
    LOG_ENV, host_notice, log_level, log_level_from_env, recent_log, set_log_level, take_log,
};
pub use loader::{
    ChartTypeInfo, IndicatorInfo, LoadMode, LoadedPlugin, PluginInfo, SourceInfo, draws_name,
};
pub use registry::{PluginRegistry, default_search_dirs, is_dylib_name, is_misnamed_library};
