//! What the host hands to plugins: the [`GcHostApi`] callbacks (log) and the
//! error sink every fallible call receives.
//!
//! Plugin log lines go into a small in-memory ring buffer ([`recent_log`],
//! [`take_log`]) so tests and the UI can show them, and to stderr as
//! `[plugin <name>] <level>: <message>` when their level is shown: warnings
//! and errors always, info and debug lines only when the user asks for them
//! (`gpu-charts -v`, or `GPU_CHARTS_LOG=info|debug`; see [`set_log_level`]).

use std::collections::{BTreeMap, VecDeque};
use std::ffi::c_void;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use gpu_charts_plugin_api::{self as api, GcErrorSink, GcHostApi, GcStatus, GcStr};

/// Environment variable choosing which plugin log lines reach stderr:
/// `error`, `warn` (the default), `info` or `debug`.
pub const LOG_ENV: &str = "GPU_CHARTS_LOG";

/// `u32::MAX`: not chosen yet (read [`LOG_ENV`] on first use).
static LOG_LEVEL: AtomicU32 = AtomicU32::new(u32::MAX);

/// Shows plugin log lines up to `level` (`GC_LOG_*`) on stderr from now on.
pub fn set_log_level(level: u32) {
    LOG_LEVEL.store(level.min(api::GC_LOG_DEBUG), Ordering::Relaxed);
}

/// The level `GPU_CHARTS_LOG` asks for (`None`: unset or not a level name).
pub fn log_level_from_env() -> Option<u32> {
    let value = std::env::var(LOG_ENV).ok()?;
    match value.trim().to_ascii_lowercase().as_str() {
        "error" => Some(api::GC_LOG_ERROR),
        "warn" | "warning" => Some(api::GC_LOG_WARN),
        "info" => Some(api::GC_LOG_INFO),
        "debug" | "trace" => Some(api::GC_LOG_DEBUG),
        _ => None,
    }
}

/// The highest `GC_LOG_*` level shown on stderr.
pub fn log_level() -> u32 {
    let level = LOG_LEVEL.load(Ordering::Relaxed);
    if level != u32::MAX {
        return level;
    }
    let level = log_level_from_env().unwrap_or(api::GC_LOG_WARN);
    // A concurrent `set_log_level` wins over the environment.
    let _ = LOG_LEVEL.compare_exchange(u32::MAX, level, Ordering::Relaxed, Ordering::Relaxed);
    LOG_LEVEL.load(Ordering::Relaxed)
}

/// How many plugin log lines the ring buffer keeps.
const LOG_CAPACITY: usize = 1024;

static LOG: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Removes and returns the plugin log lines buffered so far (oldest first).
pub fn take_log() -> Vec<String> {
    lock_log().drain(..).collect()
}

/// Returns a copy of the buffered plugin log lines (oldest first) without removing them.
pub fn recent_log() -> Vec<String> {
    lock_log().iter().cloned().collect()
}

fn lock_log() -> std::sync::MutexGuard<'static, VecDeque<String>> {
    // A poisoned buffer still holds valid strings; logging must never fail.
    LOG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn level_name(level: u32) -> &'static str {
    match level {
        api::GC_LOG_ERROR => "error",
        api::GC_LOG_WARN => "warn",
        api::GC_LOG_INFO => "info",
        api::GC_LOG_DEBUG => "debug",
        _ => "log",
    }
}

/// What `GcHostApi::ctx` points to: the plugin the log lines are attributed to.
struct HostCtx {
    plugin: String,
}

/// A `&'static GcHostApi` that may sit in a global map.
#[derive(Clone, Copy)]
struct StaticHost(&'static GcHostApi);

// SAFETY: the GcHostApi and the HostCtx its `ctx` points to are leaked,
// immutable and only read; `host_log` is thread-safe (the threading contract
// lets plugins log from any thread).
unsafe impl Send for StaticHost {}

/// One host table per plugin name, created on first use and never freed.
///
/// A plugin keeps the pointer it gets in `init` for as long as its library is
/// loaded, and a library may outlive any one `LoadedPlugin` (the OS shares one
/// mapping between loads of the same file, e.g. during hot reload). Leaking
/// makes the pointer valid forever; interning by name bounds the leak to one
/// small table per distinct plugin name.
static HOSTS: Mutex<BTreeMap<String, StaticHost>> = Mutex::new(BTreeMap::new());

/// The host table to pass to `init` of plugin `plugin`.
pub(crate) fn host_api_for(plugin: &str) -> &'static GcHostApi {
    let mut hosts = HOSTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(host) = hosts.get(plugin) {
        return host.0;
    }
    let ctx: &'static HostCtx = Box::leak(Box::new(HostCtx {
        plugin: plugin.to_string(),
    }));
    let host: &'static GcHostApi = Box::leak(Box::new(GcHostApi {
        abi_version: api::ABI_VERSION,
        struct_size: std::mem::size_of::<GcHostApi>() as u32,
        ctx: ctx as *const HostCtx as *mut c_void,
        log: host_log,
        abi_minor: api::ABI_MINOR,
        features: api::GC_FEATURES_V1_3,
    }));
    hosts.insert(plugin.to_string(), StaticHost(host));
    host
}

/// `GcHostApi::log`: forwards a plugin's line to stderr and the ring buffer.
unsafe extern "C" fn host_log(ctx: *mut c_void, level: u32, message: GcStr) {
    // Unwinding out of an `extern "C"` function aborts the process; nothing
    // here should panic, but a logging bug must not take the host down.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let plugin = if ctx.is_null() {
            "?"
        } else {
            // SAFETY: `ctx` is the leaked HostCtx of `host_api_for`, valid forever.
            unsafe { &*(ctx as *const HostCtx) }.plugin.as_str()
        };
        // SAFETY: the plugin passes `len` readable bytes valid during the call;
        // the text is copied before returning.
        let text = unsafe { message.to_string_lossy() };
        record(format!("plugin {plugin}"), level, &text);
    }));
}

/// A line from the host itself about data it derived (e.g. a level-of-detail
/// sidecar rebuilt), shown and buffered like plugin lines as
/// `[<origin>] <level>: <text>`.
pub fn host_notice(origin: &str, level: u32, text: &str) {
    record(origin.to_string(), level, text);
}

fn record(origin: String, level: u32, text: &str) {
    let line = format!("[{origin}] {}: {text}", level_name(level));
    // Unknown levels count as errors: better shown than lost.
    if level <= log_level() || level > api::GC_LOG_DEBUG {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
    let mut log = lock_log();
    if log.len() == LOG_CAPACITY {
        log.pop_front();
    }
    log.push_back(line);
}

/// What a plugin reported through the [`GcErrorSink`] during one call.
#[derive(Debug, Default)]
pub(crate) struct Reported {
    /// The message, if the plugin reported one.
    pub message: Option<String>,
    /// The help line (empty if none).
    pub help: String,
}

/// `GcErrorSink::report`: copies the strings into the [`Reported`] behind `ctx`.
unsafe extern "C" fn capture_report(ctx: *mut c_void, message: GcStr, help: GcStr) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if ctx.is_null() {
            return;
        }
        // SAFETY: `ctx` is the `Reported` on the stack of `call_with_sink`,
        // alive and exclusively ours for the duration of the call.
        let reported = unsafe { &mut *(ctx as *mut Reported) };
        // The contract says "report once"; keep the first report, which is
        // the cause, if a plugin reports more than once.
        if reported.message.is_some() {
            return;
        }
        // SAFETY: the plugin passes strings valid for the duration of this call.
        unsafe {
            reported.message = Some(message.to_string_lossy().into_owned());
            reported.help = help.to_string_lossy().into_owned();
        }
    }));
}

/// Runs `f` with a fresh error sink and returns its status and what was reported.
pub(crate) fn call_with_sink(
    f: impl FnOnce(*const GcErrorSink) -> GcStatus,
) -> (GcStatus, Reported) {
    let mut reported = Reported::default();
    let sink = GcErrorSink {
        ctx: &mut reported as *mut Reported as *mut c_void,
        report: capture_report,
    };
    let status = f(&sink);
    (status, reported)
}

/// A string handed to a plugin as the contract promises from ABI 1.1
/// ([`api::GC_FEATURE_NUL_TERMINATED`]): a [`GcStr`] whose bytes are
/// followed by a NUL that `len` does not count, so C code may use it as a C
/// string.
pub(crate) struct NulTerminated(Vec<u8>);

impl NulTerminated {
    /// Copies `s` and appends the NUL.
    pub fn new(s: &str) -> Self {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        NulTerminated(bytes)
    }

    /// The string without its NUL (valid while `self` lives).
    pub fn as_gc_str(&self) -> GcStr {
        GcStr {
            ptr: self.0.as_ptr(),
            len: self.0.len() - 1,
        }
    }
}
