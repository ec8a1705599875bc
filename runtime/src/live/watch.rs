//! A debounced watcher over a set of folders (`notify` +
//! `notify-debouncer-full`), delivering batches of changed paths.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::LiveError;

/// Paths changed within one debounce window (and anything already queued).
#[derive(Debug, Default)]
pub struct WatchBatch {
    /// Every path named by an event that may change content.
    pub paths: Vec<PathBuf>,
    /// Watcher errors (events may have been lost).
    pub errors: Vec<String>,
}

/// Watches folders (not recursively); events arrive debounced.
pub struct FileWatcher {
    debouncer: Option<Debouncer<RecommendedWatcher, RecommendedCache>>,
    events: mpsc::Receiver<DebounceEventResult>,
    dirs: BTreeSet<PathBuf>,
}

/// Whether an event can mean new content. Reading a file (as every reload
/// does) produces access events; those must not trigger another reload.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

impl FileWatcher {
    /// A watcher that reports a change once `debounce` passed without another.
    pub fn new(debounce: Duration) -> Result<FileWatcher, LiveError> {
        let (tx, events) = mpsc::channel();
        // Tick at a quarter of the window so a batch comes at most 25% late.
        let tick = (debounce / 4).max(Duration::from_millis(5));
        let debouncer = new_debouncer(debounce, Some(tick), tx).map_err(|e| LiveError::Watch {
            path: PathBuf::new(),
            message: e.to_string(),
            help: "the system may be out of inotify instances; see `fs.inotify.max_user_instances`"
                .into(),
        })?;
        Ok(FileWatcher {
            debouncer: Some(debouncer),
            events,
            dirs: BTreeSet::new(),
        })
    }

    /// Watches exactly `dirs` from now on (folders no longer needed are dropped).
    pub fn watch_dirs(&mut self, dirs: &BTreeSet<PathBuf>) -> Result<(), LiveError> {
        let Some(debouncer) = self.debouncer.as_mut() else {
            return Ok(());
        };
        for old in self.dirs.difference(dirs) {
            // The folder may be gone already; nothing to undo then.
            let _ = debouncer.unwatch(old);
        }
        let mut first_error = None;
        let mut watched = BTreeSet::new();
        for dir in dirs {
            if self.dirs.contains(dir) {
                watched.insert(dir.clone());
                continue;
            }
            match debouncer.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    watched.insert(dir.clone());
                }
                Err(e) => {
                    first_error.get_or_insert(LiveError::Watch {
                        path: dir.clone(),
                        message: e.to_string(),
                        help: "check that the folder exists and is readable; if there are many watches, raise `fs.inotify.max_user_watches`".into(),
                    });
                }
            }
        }
        self.dirs = watched;
        first_error.map_or(Ok(()), Err)
    }

    /// The folders watched now.
    pub fn dirs(&self) -> &BTreeSet<PathBuf> {
        &self.dirs
    }

    /// Waits up to `timeout` for the next debounced batch, then also takes
    /// every batch already queued (a reload covers them all).
    pub fn next_batch(&mut self, timeout: Duration) -> Option<WatchBatch> {
        let deadline = Instant::now() + timeout;
        let first = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()?;
        let mut batch = WatchBatch::default();
        add(&mut batch, first);
        while let Ok(more) = self.events.try_recv() {
            add(&mut batch, more);
        }
        Some(batch)
    }
}

fn add(batch: &mut WatchBatch, result: DebounceEventResult) {
    match result {
        Ok(events) => {
            for event in events.iter().filter(|e| changes_content(&e.kind)) {
                for p in &event.paths {
                    if !batch.paths.contains(p) {
                        batch.paths.push(p.clone());
                    }
                }
            }
        }
        Err(errors) => batch.errors.extend(errors.iter().map(|e| e.to_string())),
    }
}

impl Drop for FileWatcher {
    fn drop(&mut self) {
        // `stop` joins the debouncer thread, so no thread outlives the watcher.
        if let Some(d) = self.debouncer.take() {
            d.stop();
        }
    }
}
