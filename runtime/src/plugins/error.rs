//! The error type of the plugin module.
//!
//! Each variant carries the values that explain it (file, plugin, item, ABI
//! versions, status) and its message ends with a `help:` line telling the
//! user what to do next.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use gpu_charts_plugin_api as api;

/// The plugin ABI the host implements as C authors know it: the version and
/// the header that describes it, e.g. `ABI 1.1 (gpu_charts_plugin.h)`. Used
/// in every "rebuild against" hint (a C author has no Rust crate to name).
pub(crate) fn host_abi() -> String {
    format!(
        "ABI {}.{} ({})",
        api::ABI_VERSION,
        api::ABI_MINOR,
        api::ABI_HEADER
    )
}

/// What a name in the registry refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A whole plugin library.
    Plugin,
    /// A chart type (`type = "..."` of a series).
    ChartType,
    /// An indicator (`kind = "..."` of an indicator).
    Indicator,
    /// A data source (`kind = "..."` of a source).
    Source,
}

impl ItemKind {
    /// Singular noun, as used in messages (`"chart type"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Plugin => "plugin",
            ItemKind::ChartType => "chart type",
            ItemKind::Indicator => "indicator",
            ItemKind::Source => "source",
        }
    }

    /// Plural noun (`"chart types"`).
    pub fn plural(self) -> &'static str {
        match self {
            ItemKind::Plugin => "plugins",
            ItemKind::ChartType => "chart types",
            ItemKind::Indicator => "indicators",
            ItemKind::Source => "sources",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a `GC_ERR_*` status code (`"GC_ERR_DATA"`), or `"unknown status"`.
pub fn status_name(status: api::GcStatus) -> &'static str {
    match status {
        api::GC_OK => "GC_OK",
        api::GC_ERR_PARAMS => "GC_ERR_PARAMS",
        api::GC_ERR_DATA => "GC_ERR_DATA",
        api::GC_ERR_IO => "GC_ERR_IO",
        api::GC_ERR_UNSUPPORTED => "GC_ERR_UNSUPPORTED",
        api::GC_ERR_PANIC => "GC_ERR_PANIC",
        api::GC_ERR_INTERNAL => "GC_ERR_INTERNAL",
        _ => "unknown status",
    }
}

/// Everything that can go wrong while finding, loading or calling a plugin.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// The file could not be opened as a shared library (missing, unreadable,
    /// not a library, built for another platform).
    #[error(
        "cannot load plugin file `{}`: {reason}\nhelp: a plugin must be a shared library built for this platform \
         (a Rust `cdylib` crate, or C compiled with `-shared`); rebuild it or remove it from the plugin folder",
        .path.display()
    )]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// What the dynamic loader said.
        reason: String,
    },

    /// The file is not a complete shared library of this platform (checked
    /// before the dynamic loader maps it, which would crash the process).
    #[error(
        "truncated or corrupt library `{}`: the file {reason}\nhelp: rebuild the plugin (an interrupted build \
         leaves a partial file behind), or remove the file from the plugin folder",
        .path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A file in a plugin folder looks like a shared library but does not
    /// follow this platform's naming rule, so it is not loaded. A one-line
    /// notice: the file may be meant for another platform.
    #[error(
        "skipped `{}`: plugin libraries on this platform are named `{expected}`; rename it to load it",
        .path.display()
    )]
    Misnamed {
        /// The file.
        path: PathBuf,
        /// The naming rule, e.g. `lib<name>.so`.
        expected: String,
    },

    /// The library does not export the entry symbol.
    #[error(
        "plugin file `{}` does not export the entry symbol `{symbol}`\nhelp: a Rust plugin calls \
         `gpu_charts_plugin_api::export_plugin!`; a C plugin defines `{symbol}` with `GC_EXPORT` \
         from gpu_charts_plugin.h",
        .path.display()
    )]
    MissingSymbol {
        /// The file.
        path: PathBuf,
        /// The symbol looked up (`gpu_charts_plugin_entry`).
        symbol: String,
    },

    /// The plugin was built against another ABI version.
    #[error(
        "plugin file `{}` was built for plugin ABI {found}.x, but this gpu-charts supports {}\n\
         help: rebuild the plugin against {}",
        .path.display(), host_abi(), host_abi()
    )]
    AbiMismatch {
        /// The file.
        path: PathBuf,
        /// The plugin's `abi_version`.
        found: u32,
        /// The host's [`api::ABI_VERSION`].
        expected: u32,
    },

    /// The plugin needs a newer minor version of the ABI than this host has
    /// (its descriptor's `abi_minor_required`).
    #[error(
        "plugin `{plugin}` (`{}`) needs plugin ABI {}.{required}, but this gpu-charts supports {}\n\
         help: update gpu-charts, or rebuild the plugin against {}",
        .path.display(), api::ABI_VERSION, host_abi(), host_abi()
    )]
    NeedsNewerHost {
        /// The file.
        path: PathBuf,
        /// The plugin's name.
        plugin: String,
        /// The minor version the plugin requires.
        required: u32,
        /// This host's [`api::ABI_MINOR`].
        host: u32,
    },

    /// The descriptor (or a table in it) breaks the contract: null pointers,
    /// bad sizes, invalid UTF-8, a params schema that is not JSON, ...
    #[error(
        "{} has an invalid descriptor: {reason}\nhelp: this is a bug in the plugin; report it to its author, \
         or rebuild it against {}",
        plugin_and_file(.plugin.as_deref(), .path), host_abi()
    )]
    BadDescriptor {
        /// The file.
        path: PathBuf,
        /// The plugin's name, when it could be read.
        plugin: Option<String>,
        /// What is wrong, naming the item.
        reason: String,
    },

    /// A chart type's WGSL does not validate after the host prelude
    /// (checked when the library loads; the plugin's other items still load).
    #[error("{message}\n  = note: in plugin file `{}`", .path.display())]
    BadShader {
        /// The file.
        path: PathBuf,
        /// The shader error, naming plugin, chart type and line (with its help).
        message: String,
    },

    /// Two plugin files provide the same name; the first one is kept.
    #[error(
        "{kind} `{name}` is provided twice: by {} (kept) and by {} (ignored)\nhelp: remove one of the two \
         files from the plugin search path, or rename the {kind} in one of them",
        plugin_and_file(Some(.first_plugin), .first),
        plugin_and_file(Some(.second_plugin), .second)
    )]
    Duplicate {
        /// What kind of name clashes.
        kind: ItemKind,
        /// The name.
        name: String,
        /// Plugin that registered the name first.
        first_plugin: String,
        /// Its file.
        first: PathBuf,
        /// Plugin that tried to register it again.
        second_plugin: String,
        /// Its file.
        second: PathBuf,
    },

    /// No loaded plugin provides this name.
    #[error("{}", unknown_message(*.kind, .name, .suggestion.as_deref(), .available, .failed_libraries))]
    Unknown {
        /// What was looked up.
        kind: ItemKind,
        /// The name asked for.
        name: String,
        /// The closest known name, if any is close.
        suggestion: Option<String>,
        /// Every known name of this kind, sorted.
        available: Vec<String>,
        /// Plugin libraries that failed to load (file, first line of the
        /// reason), the likeliest provider of `name` first.
        failed_libraries: Vec<(PathBuf, String)>,
    },

    /// A plugin entry point returned an error status.
    #[error(
        "{kind} `{item}` of plugin `{plugin}` failed ({status_name}): {message}\nhelp: {}",
        call_help(*.kind, *.status, .help)
    )]
    Call {
        /// What was called.
        kind: ItemKind,
        /// The plugin's name.
        plugin: String,
        /// The item's name.
        item: String,
        /// The `GC_ERR_*` status returned.
        status: api::GcStatus,
        /// The status' name ([`status_name`]).
        status_name: &'static str,
        /// The plugin's message.
        message: String,
        /// The plugin's help line (empty if it gave none).
        help: String,
    },

    /// A plugin entry point panicked ([`api::GC_ERR_PANIC`]); the panic was
    /// caught inside the plugin and the host keeps running.
    #[error(
        "{kind} `{item}` of plugin `{plugin}` panicked: {message}\nhelp: this is a bug in plugin `{plugin}`; \
         report it to its author (gpu-charts caught the panic and keeps running)"
    )]
    Panicked {
        /// What was called.
        kind: ItemKind,
        /// The plugin's name.
        plugin: String,
        /// The item's name.
        item: String,
        /// The panic message.
        message: String,
    },

    /// A call succeeded but its result breaks the contract (more rows than
    /// asked for, a column count that changed, a non-UTF-8 column name).
    #[error(
        "{kind} `{item}` of plugin `{plugin}` broke the plugin contract: {reason}\nhelp: this is a bug in \
         plugin `{plugin}`; report it to its author"
    )]
    ContractViolation {
        /// What was called.
        kind: ItemKind,
        /// The plugin's name.
        plugin: String,
        /// The item's name.
        item: String,
        /// What was wrong.
        reason: String,
    },

    /// The host called a plugin with arguments that do not fit it (wrong
    /// number of columns, unequal lengths); nothing was passed to the plugin.
    #[error("cannot call {kind} `{item}` of plugin `{plugin}`: {reason}\nhelp: {help}")]
    BadArguments {
        /// What was called.
        kind: ItemKind,
        /// The plugin's name.
        plugin: String,
        /// The item's name.
        item: String,
        /// What did not fit.
        reason: String,
        /// What to do.
        help: String,
    },

    /// A plugin folder exists but could not be listed.
    #[error(
        "cannot read plugin folder `{}`: {reason}\nhelp: check the folder's permissions, or remove it from \
         GPU_CHARTS_PLUGIN_PATH",
        .dir.display()
    )]
    ScanFailed {
        /// The folder.
        dir: PathBuf,
        /// What the OS said.
        reason: String,
    },
}

impl PluginError {
    /// The plugin file this error is about, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PluginError::NotALibrary { path, .. }
            | PluginError::Corrupt { path, .. }
            | PluginError::NeedsNewerHost { path, .. }
            | PluginError::BadShader { path, .. }
            | PluginError::Misnamed { path, .. }
            | PluginError::MissingSymbol { path, .. }
            | PluginError::AbiMismatch { path, .. }
            | PluginError::BadDescriptor { path, .. } => Some(path),
            PluginError::Duplicate { second, .. } => Some(second),
            _ => None,
        }
    }
}

fn plugin_and_file(plugin: Option<&str>, path: &Path) -> String {
    match plugin {
        Some(name) => format!("plugin `{name}` (`{}`)", path.display()),
        None => format!("plugin file `{}`", path.display()),
    }
}

fn unknown_message(
    kind: ItemKind,
    name: &str,
    suggestion: Option<&str>,
    available: &[String],
    failed: &[(PathBuf, String)],
) -> String {
    let mut s = format!("unknown {kind} `{name}`");
    if let Some(suggestion) = suggestion {
        let _ = write!(s, "\n  did you mean `{suggestion}`?");
    }
    match failed {
        [] => {}
        [(path, reason)] => {
            let _ = write!(
                s,
                "\nnote: the plugin library `{}` failed to load and may provide it: {reason}",
                path.display()
            );
        }
        more => {
            let _ = write!(
                s,
                "\nnote: {} plugin libraries failed to load and may provide it:",
                more.len()
            );
            for (path, reason) in more.iter().take(5) {
                let _ = write!(s, "\n  `{}`: {reason}", path.display());
            }
            if more.len() > 5 {
                let _ = write!(s, "\n  … and {} more", more.len() - 5);
            }
        }
    }
    if available.is_empty() {
        let _ = write!(
            s,
            "\nhelp: no plugin loaded provides any {}; ",
            kind.plural()
        );
    } else {
        let _ = write!(
            s,
            "\nhelp: available {}: {}; ",
            kind.plural(),
            available.join(", ")
        );
    }
    let _ = write!(
        s,
        "to use `{name}`, put the plugin library that provides it next to the gpu-charts executable, \
         in a `plugins` folder beside the chart file, or in a folder listed in GPU_CHARTS_PLUGIN_PATH \
         (`gpu-charts plugins` lists what is loaded)"
    );
    s
}

fn call_help(kind: ItemKind, status: api::GcStatus, help: &str) -> String {
    if !help.is_empty() {
        return help.to_string();
    }
    match status {
        api::GC_ERR_PARAMS => {
            format!("check this {kind}'s `params` (`gpu-charts plugins` lists them)")
        }
        api::GC_ERR_DATA => "check the input data".to_string(),
        api::GC_ERR_IO => "check that the file exists and is readable".to_string(),
        api::GC_ERR_UNSUPPORTED => {
            format!("this {kind} does not support that; see its description")
        }
        _ => "this may be a bug in the plugin; report it to its author".to_string(),
    }
}
