//! What the host hands to plugins: the [`GcHostApi`] callbacks (log) and the
//! error sink every fallible call receives.
//!
//! Plugin log lines go to stderr as `[plugin <name>] <level>: <message>` and
//! into a small in-memory ring buffer ([`recent_log`], [`take_log`]) so tests
//! and the UI can show them.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::c_void;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use gpu_charts_plugin_api::{self as api, GcErrorSink, GcHostApi, GcStatus, GcStr};

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
        let line = format!("[plugin {plugin}] {}: {text}", level_name(level));
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        let mut log = lock_log();
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(line);
    }));
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
