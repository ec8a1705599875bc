//! Live sessions: a chart that reloads itself when its files change.
//!
//! A [`LiveConfig`] holds the current [`Generation`] (a fully built
//! [`ChartModel`] plus a number) in an [`ArcSwap`], so readers (a window's
//! render loop, `render --watch`) never block. A [`LiveSession`] owns the
//! [`ChartSession`] (plugins and data cache), a [`FileWatcher`] over the
//! folders of every file the chart depends on, and publishes generation
//! `n + 1` only after the new chart parsed, validated (schema, plugin and
//! script params), loaded its plugins and scripts and computed completely.
//! When a reload fails, generation `n` stays current; the failure (the
//! located [`ConfigErrors`](crate::config::ConfigErrors) display) is kept in
//! [`LiveConfig::last_error`] and printed to stderr, and the next good reload
//! clears it.
//!
//! What is watched (see [`deps`]): the chart file, every Lua script it names
//! and any `.lua` file in those scripts' folders and the folders below them
//! (the modules `require` loads, [`crate::script::module_dirs`]), the plugin libraries the chart uses and, in debug builds, the
//! host shaders that are read from disk. Folders are watched rather than
//! files, so editors that save by rename, truncate-then-write or delete and
//! recreate are all seen.
//!
//! Rebuilds are minimal (config diffing through the [`ChartSession`]'s
//! cache): source tables are keyed by source plugin, params and folder, so an
//! edit that leaves a source alone takes its table from the cache; indicator
//! outputs are keyed by a fingerprint of the indicator (plugin, or script and
//! the `.lua` files in its folder and below, params, limits) and of its inputs, so a colour
//! edit computes nothing and a parameter edit computes that indicator and
//! those that read it ([`crate::scene::model::BuildStats`] says what a build
//! did). Panes, series and the frame are rebuilt (O(series), not O(data)).
//! A window keeps its pan, zoom and fixed price ranges across generations
//! ([`crate::scene::interact::ViewState::carried_to`]). A change to a plugin library starts a fresh
//! [`ChartSession`] (new registry, empty cache), because cached tables may
//! come from the old code.
//!
//! Plugin hot reload: live sessions open libraries from private copies
//! ([`LoadMode::PrivateCopy`], see [`crate::plugins::copies`]), since
//! `dlopen` of a path that is still loaded returns the old code. The fresh
//! session is built next to the current one and replaces it only when the
//! chart built with it and every library the chart used still loads (else
//! the loader's error, naming the user's file, fails the reload). Until
//! then the current session, its libraries and its generation stay, and
//! the next reload, whatever changed, tries the plugins again. Models hold
//! no plugin handles, so old generations keep drawing; a library and its
//! copy go when its last handle or indicator state drops. A plugin that
//! panics in a call is contained by the export macro's guards (the call
//! fails with `GC_ERR_PANIC`); code that aborts the process, or a panic in
//! a hand-written `extern "C"` entry point, cannot be contained in-process.
//!
//! The session is not shared between threads (a [`ChartSession`] holds Lua
//! states and plugin handles): [`LiveSession`] runs on one thread, and
//! [`LiveHandle`] runs one on a thread of its own, sharing only the
//! [`LiveConfig`] and a channel of [`Reload`] outcomes.

pub mod deps;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::config::{self, ConfigError, ConfigErrorKind, ConfigErrors};
use crate::data::timeframe::Timeframe;
use crate::plugins::{LoadMode, PluginError};
use crate::render::{ChartSession, Error};
use crate::scene::ChartModel;

pub use deps::Dependencies;
pub use watch::{FileWatcher, WatchBatch};

/// One published version of the chart: it built completely.
#[derive(Debug)]
pub struct Generation {
    /// 1 for the first load, then one more for every successful reload.
    pub number: u64,
    /// The model, ready to draw.
    pub model: Arc<ChartModel>,
    /// When it was published.
    pub loaded_at: Instant,
    /// How long reading, validating and computing it took.
    pub build_duration: Duration,
    /// The files it was built from: the chart file, its scripts and the
    /// plugin libraries it uses.
    pub sources: Vec<PathBuf>,
    /// The changed files that caused this reload (empty for the first load).
    pub changed: Vec<PathBuf>,
}

/// A reload that failed; the previous generation stays current.
#[derive(Debug)]
pub struct ReloadFailure {
    /// The generation that stayed current.
    pub kept: u64,
    /// Why the new version was rejected.
    pub error: Error,
    /// When it failed.
    pub at: Instant,
    /// The changed files that caused the reload.
    pub changed: Vec<PathBuf>,
    /// Plugin libraries the chart used whose new version did not load (the
    /// loader's errors, naming the original files); also part of `error`.
    pub plugin_errors: Vec<PluginError>,
}

impl std::fmt::Display for ReloadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n  = note: still showing generation {}; fix the file and save again",
            self.error, self.kept
        )
    }
}

/// The live chart: the current generation and the last reload error.
/// Readers never block.
#[derive(Debug)]
pub struct LiveConfig {
    current: ArcSwap<Generation>,
    last_error: ArcSwapOption<ReloadFailure>,
}

impl LiveConfig {
    /// A live config starting at `first`.
    pub fn new(first: Generation) -> LiveConfig {
        LiveConfig {
            current: ArcSwap::from_pointee(first),
            last_error: ArcSwapOption::empty(),
        }
    }

    /// The current generation (lock-free).
    pub fn current(&self) -> Arc<Generation> {
        self.current.load_full()
    }

    /// The current generation's number.
    pub fn generation(&self) -> u64 {
        self.current.load().number
    }

    /// The error of the last reload, if it failed (cleared by a good one).
    pub fn last_error(&self) -> Option<Arc<ReloadFailure>> {
        self.last_error.load_full()
    }

    fn publish(&self, generation: Arc<Generation>) {
        self.current.store(generation);
        self.last_error.store(None);
    }

    fn fail(&self, failure: Arc<ReloadFailure>) {
        self.last_error.store(Some(failure));
    }
}

/// What a reload did.
#[derive(Debug, Clone)]
pub enum Reload {
    /// A new generation is current.
    Published(Arc<Generation>),
    /// The new version was rejected; the previous generation stays.
    Failed(Arc<ReloadFailure>),
}

/// Anything that stops a live session from starting.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The first load failed: there is no good version to show.
    #[error(transparent)]
    Load(#[from] Error),
    /// The file watcher could not start or watch a folder.
    #[error("cannot watch `{path}` for changes: {message}\n  = help: {help}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// The watcher's message.
        message: String,
        /// What to do.
        help: String,
    },
    /// The session thread could not start or stopped unexpectedly.
    #[error("live session thread: {0}")]
    Thread(String),
}

/// How a live session behaves.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Quiet time after the last change before reloading: editors write a
    /// file in several steps, and one reload per save is enough.
    pub debounce: Duration,
    /// Extra plugin folders (as `--plugins`).
    pub extra_plugin_dirs: Vec<PathBuf>,
    /// Also watch the host shaders read from disk (debug builds only by
    /// default, since release builds use the embedded copies).
    pub watch_shaders: bool,
    /// Print reload errors (and their fixes) to stderr.
    pub print_errors: bool,
    /// The largest image side the GPU that draws the chart supports: a
    /// chart whose `size` exceeds it fails to load (see
    /// [`ChartSession::set_max_image_side`]). `None`: not checked.
    pub max_image_side: Option<u32>,
    /// Quality preset and memory budget overrides, and the adapter for
    /// `quality = "auto"` (see [`crate::render::RenderOptions`]).
    pub render: crate::render::RenderOptions,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            debounce: Duration::from_millis(100),
            extra_plugin_dirs: Vec::new(),
            watch_shaders: cfg!(debug_assertions),
            print_errors: true,
            max_image_side: None,
            render: Default::default(),
        }
    }
}

/// A chart file kept up to date with the files it is built from. Runs on
/// the thread that created it; share [`LiveSession::config`] with readers.
pub struct LiveSession {
    path: PathBuf,
    options: LiveOptions,
    session: ChartSession,
    config: Arc<LiveConfig>,
    deps: Dependencies,
    watcher: FileWatcher,
    /// A plugin library changed and no reload has loaded the new version
    /// yet (it failed): the next reload starts a fresh session again.
    plugins_pending: bool,
    /// The timeframe chosen in the window, over the file's.
    timeframe: TimeframeChoice,
}

/// The window's timeframe (see [`LiveSession::set_timeframe`]) and the
/// file's `timeframe` values it was chosen over: an edit of those clears
/// the choice (the file is the newer word). The same for the view the
/// window asked sources with `load = "view"` to load
/// ([`LiveSession::set_load_view`]) and the file's `[view]`.
#[derive(Debug, Default)]
struct TimeframeChoice {
    chosen: Option<Option<Timeframe>>,
    file: Option<Vec<Option<String>>>,
    load_view: Option<(i64, i64)>,
    file_view: Option<(Option<String>, Option<String>)>,
}

impl TimeframeChoice {
    /// Applies the choice to `loaded`, first dropping it if the file's
    /// timeframes changed since the last load.
    fn apply(&mut self, loaded: &mut config::LoadedChart) {
        let file: Vec<Option<String>> = loaded
            .config
            .sources
            .values()
            .map(|s| s.timeframe.clone())
            .collect();
        if self.file.as_ref().is_some_and(|f| *f != file) {
            self.chosen = None;
        }
        self.file = Some(file);
        loaded.timeframe_override = self.chosen;
        let view = (
            loaded.config.view.start.clone(),
            loaded.config.view.end.clone(),
        );
        if self.file_view.as_ref().is_some_and(|v| *v != view) {
            self.load_view = None;
        }
        self.file_view = Some(view);
        loaded.load_view = self.load_view;
    }
}

impl LiveSession {
    /// Loads `path` as generation 1 and starts watching. Fails if the first
    /// load fails (there is nothing good to keep showing) or the watcher
    /// cannot start.
    pub fn open(path: &Path, options: LiveOptions) -> Result<LiveSession, LiveError> {
        let mut session = new_session(&options);
        let t0 = Instant::now();
        let mut timeframe = TimeframeChoice::default();
        let (built, deps, _) = build(&mut session, path, &options, None, &mut timeframe);
        if options.print_errors {
            // Libraries in the plugin folders that did not load (as `render`
            // and `validate` report them).
            for w in &session.plugin_warnings {
                crate::elog!("warning: {w}");
            }
        }
        let model = built?;
        if options.print_errors {
            print_failed_parts(&model, 1);
        }
        let first = Generation {
            number: 1,
            model: Arc::new(model),
            loaded_at: Instant::now(),
            build_duration: t0.elapsed(),
            sources: deps.sources(),
            changed: Vec::new(),
        };
        let mut watcher = FileWatcher::new(options.debounce)?;
        watcher.watch_dirs(&deps.dirs())?;
        Ok(LiveSession {
            path: path.to_path_buf(),
            options,
            session,
            config: Arc::new(LiveConfig::new(first)),
            deps,
            watcher,
            plugins_pending: false,
            timeframe,
        })
    }

    /// Shows every source holding bars or ticks at `choice` (`None`: as
    /// read) instead of the file's `timeframe`, and rebuilds now (through
    /// the cache: a timeframe shown before is not aggregated again). An
    /// edit of a `timeframe` in the file later drops the choice.
    pub fn set_timeframe(&mut self, choice: Option<Timeframe>) -> Reload {
        self.timeframe.chosen = Some(choice);
        self.reload(Vec::new(), false)
    }

    /// Loads `range` (inclusive UTC ns, plus each source's `load_margin`)
    /// for sources with `load = "view"` instead of the file's `[view]`, and
    /// rebuilds now: what the window asks for when the user pans or zooms
    /// past the loaded rows (`scene::interact::missing_load_range`). An
    /// edit of the file's `[view]` later drops it.
    pub fn set_load_view(&mut self, range: (i64, i64)) -> Reload {
        self.timeframe.load_view = Some(range);
        self.reload(Vec::new(), false)
    }

    /// The live config, to share with readers.
    pub fn config(&self) -> Arc<LiveConfig> {
        self.config.clone()
    }

    /// The files and folders watched now.
    pub fn dependencies(&self) -> &Dependencies {
        &self.deps
    }

    /// Waits up to `timeout` for a change to a file the chart depends on,
    /// then reloads. `None` when nothing relevant changed in time.
    pub fn wait(&mut self, timeout: Duration) -> Option<Reload> {
        let batch = self.watcher.next_batch(timeout)?;
        let mut changed: Vec<PathBuf> = Vec::new();
        let mut plugins_changed = false;
        for p in &batch.paths {
            if self.deps.is_relevant(p) {
                plugins_changed |= self.deps.is_plugin(p);
                if !changed.contains(p) {
                    changed.push(p.clone());
                }
            }
        }
        if !batch.errors.is_empty() {
            // Events may have been lost (e.g. the kernel queue overflowed):
            // reloading is the only way to be sure the screen is current.
            if self.options.print_errors {
                for e in &batch.errors {
                    crate::elog!("warning: file watcher: {e}");
                }
            }
            changed.push(self.path.clone());
        }
        if changed.is_empty() {
            return None;
        }
        Some(self.reload(changed, plugins_changed))
    }

    /// Reloads now, as if `changed` had changed (`plugins_changed`: load the
    /// plugin libraries again, into a fresh registry and data cache).
    ///
    /// A plugin reload builds a new [`ChartSession`] next to the current one
    /// and swaps it in only when the chart built with it; until then (and
    /// for good if it fails) the current session and its libraries stay.
    /// It fails, with the loader's error naming the file, if a library the
    /// chart used does not load any more. Libraries are opened from private
    /// copies ([`LoadMode::PrivateCopy`]), so the new version really is new
    /// code; an old library is closed once nothing uses it.
    pub fn reload(&mut self, changed: Vec<PathBuf>, plugins_changed: bool) -> Reload {
        let plugins_changed = plugins_changed || self.plugins_pending;
        let t0 = Instant::now();
        let mut fresh = plugins_changed.then(|| new_session(&self.options));
        let used_plugins: Vec<PathBuf> = self.deps.plugins.iter().cloned().collect();
        let (built, deps, plugin_errors) = match fresh.as_mut() {
            Some(session) => build(
                session,
                &self.path,
                &self.options,
                Some(&used_plugins),
                &mut self.timeframe,
            ),
            None => build(
                &mut self.session,
                &self.path,
                &self.options,
                None,
                &mut self.timeframe,
            ),
        };
        // A failed version may already name new files (a script not written
        // yet): watch them too, and keep watching what the good one uses.
        let deps = match &built {
            Ok(_) => deps,
            Err(_) => deps.union(&self.deps),
        };
        if let Err(e) = self.watcher.watch_dirs(&deps.dirs())
            && self.options.print_errors
        {
            crate::elog!("warning: {e}");
        }
        self.deps = deps;
        match built {
            Ok(model) => {
                if let Some(session) = fresh {
                    // The old session (and, once no state of theirs is left,
                    // the old libraries) goes; models hold no plugin handles.
                    self.session = session;
                }
                self.plugins_pending = false;
                let had_error = self.config.last_error().is_some();
                let generation = Arc::new(Generation {
                    number: self.config.generation() + 1,
                    model: Arc::new(model),
                    loaded_at: Instant::now(),
                    build_duration: t0.elapsed(),
                    sources: self.deps.sources(),
                    changed,
                });
                self.config.publish(generation.clone());
                if self.options.print_errors {
                    print_failed_parts(&generation.model, generation.number);
                }
                if had_error && self.options.print_errors {
                    crate::elog!(
                        "{}: fixed; showing generation {}",
                        self.path.display(),
                        generation.number
                    );
                }
                Reload::Published(generation)
            }
            Err(error) => {
                // `fresh` (the new libraries) is dropped; the current session stays.
                self.plugins_pending |= plugins_changed;
                let failure = Arc::new(ReloadFailure {
                    kept: self.config.generation(),
                    error,
                    at: Instant::now(),
                    changed,
                    plugin_errors,
                });
                if self.options.print_errors {
                    crate::elog!("{failure}");
                }
                self.config.fail(failure.clone());
                Reload::Failed(failure)
            }
        }
    }
}

/// Prints each indicator a generation left out (it failed, or reads one
/// that did), once, then which generation is drawn without them.
fn print_failed_parts(model: &ChartModel, number: u64) {
    if model.failed.is_empty() {
        return;
    }
    for f in &model.failed {
        crate::elog!("{}", f.error);
    }
    let ids: Vec<&str> = model.failed.iter().map(|f| f.id.as_str()).collect();
    crate::elog!(
        "{}: generation {number} is drawn without {}",
        model.path.display(),
        ids.join(", ")
    );
}

/// A session as live sessions use them: plugins from private copies.
fn new_session(options: &LiveOptions) -> ChartSession {
    let mut session =
        ChartSession::new(options.extra_plugin_dirs.clone()).with_load_mode(LoadMode::PrivateCopy);
    session.set_max_image_side(options.max_image_side);
    session.set_options(options.render.clone());
    session
}

/// Reads and builds the chart; the dependencies are those of whatever part
/// of it could be read (only the chart file if it does not parse).
///
/// With `required_plugins` (a plugin reload), each of those libraries that
/// did not load in `session` makes the build fail with the loader's error,
/// even if the chart happened to build without it; the errors are also
/// returned on their own.
fn build(
    session: &mut ChartSession,
    path: &Path,
    options: &LiveOptions,
    required_plugins: Option<&[PathBuf]>,
    timeframe: &mut TimeframeChoice,
) -> (Result<ChartModel, Error>, Dependencies, Vec<PluginError>) {
    let mut loaded = match config::load_chart_file(path) {
        Ok(l) => l,
        Err(e) => {
            return (
                Err(e.into()),
                Dependencies::chart_only(path, options),
                Vec::new(),
            );
        }
    };
    timeframe.apply(&mut loaded);
    let mut built = session.model(&loaded);
    let dirs: Vec<PathBuf> = loaded
        .config
        .plugins
        .iter()
        .map(|p| loaded.base_dir.join(p))
        .collect();
    let warnings = session.plugin_warnings.clone();
    let registry = session.registry_for(&dirs);
    let plugin_errors = match required_plugins {
        Some(files) => registry.failures_for(files, &warnings),
        None => Vec::new(),
    };
    let deps = Dependencies::of(&loaded, registry, built.as_ref().ok(), options);
    if !plugin_errors.is_empty() {
        built = Err(with_plugin_errors(
            &loaded.path,
            &plugin_errors,
            built.err(),
        ));
    }
    (built, deps, plugin_errors)
}

/// The plugin errors (as chart errors of kind `Plugin`, first: they are the
/// cause) followed by the build's own errors, if it failed.
fn with_plugin_errors(chart: &Path, plugin_errors: &[PluginError], built: Option<Error>) -> Error {
    let mut errors: Vec<ConfigError> = plugin_errors
        .iter()
        .map(|e| {
            let text = e.to_string();
            let (message, help) = match text.split_once("\nhelp: ") {
                Some((m, h)) => (m.to_string(), Some(h.to_string())),
                None => (text, None),
            };
            ConfigError::unlocated(chart, ConfigErrorKind::Plugin, message, help)
        })
        .collect();
    match built {
        Some(Error::Config(more)) => errors.extend(more.0),
        Some(other) => {
            errors.push(ConfigError::unlocated(
                chart,
                ConfigErrorKind::Plugin,
                other.to_string(),
                None,
            ));
        }
        None => {}
    }
    Error::Config(ConfigErrors(errors))
}

/// What a [`LiveHandle`] asks of its session thread.
#[derive(Debug, Clone, Copy)]
enum Command {
    /// [`LiveSession::set_timeframe`].
    Timeframe(Option<Timeframe>),
    /// [`LiveSession::set_load_view`].
    LoadView((i64, i64)),
}

/// A [`LiveSession`] running on a thread of its own.
pub struct LiveHandle {
    config: Arc<LiveConfig>,
    reloads: mpsc::Receiver<Reload>,
    commands: mpsc::Sender<Command>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LiveHandle {
    /// Opens `path` on a new thread (see [`LiveSession::open`]) and keeps it
    /// reloading until the handle is dropped.
    pub fn spawn(path: &Path, options: LiveOptions) -> Result<LiveHandle, LiveError> {
        LiveHandle::spawn_with_waker(path, options, || {})
    }

    /// Like [`LiveHandle::spawn`], calling `wake` on the session thread after
    /// every reload (published or failed), e.g. to wake a window's event
    /// loop so it draws the new generation or shows the error.
    pub fn spawn_with_waker(
        path: &Path,
        options: LiveOptions,
        wake: impl Fn() + Send + 'static,
    ) -> Result<LiveHandle, LiveError> {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<Arc<LiveConfig>, LiveError>>(1);
        let (reload_tx, reloads) = mpsc::channel();
        let (commands, command_rx) = mpsc::channel::<Command>();
        let stop = Arc::new(AtomicBool::new(false));
        let path = path.to_path_buf();
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("gpu-charts-live".into())
            .spawn(move || {
                let mut live = match LiveSession::open(&path, options) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                if ready_tx.send(Ok(live.config())).is_err() {
                    return;
                }
                // Short waits so a dropped handle stops the thread promptly.
                while !stop_flag.load(Ordering::Relaxed) {
                    while let Ok(command) = command_rx.try_recv() {
                        let r = match command {
                            Command::Timeframe(choice) => live.set_timeframe(choice),
                            Command::LoadView(range) => live.set_load_view(range),
                        };
                        let _ = reload_tx.send(r);
                        wake();
                    }
                    if let Some(r) = live.wait(Duration::from_millis(50)) {
                        // Nobody listening is fine: readers may use `config` only.
                        let _ = reload_tx.send(r);
                        wake();
                    }
                }
            })
            .map_err(|e| LiveError::Thread(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(config)) => Ok(LiveHandle {
                config,
                reloads,
                commands,
                stop,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(LiveError::Thread(
                    "it stopped before loading the chart".into(),
                ))
            }
        }
    }

    /// The live config.
    pub fn config(&self) -> Arc<LiveConfig> {
        self.config.clone()
    }

    /// Every reload's outcome, in order.
    pub fn reloads(&self) -> &mpsc::Receiver<Reload> {
        &self.reloads
    }

    /// Asks the session thread to show the chart at `choice` (see
    /// [`LiveSession::set_timeframe`]); the outcome comes as a reload.
    pub fn set_timeframe(&self, choice: Option<Timeframe>) {
        // A stopped thread has nothing left to show.
        let _ = self.commands.send(Command::Timeframe(choice));
    }

    /// Asks the session thread to load `range` for sources with `load =
    /// "view"` (see [`LiveSession::set_load_view`]); the outcome comes as a
    /// reload.
    pub fn set_load_view(&self, range: (i64, i64)) {
        // A stopped thread has nothing left to load.
        let _ = self.commands.send(Command::LoadView(range));
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
