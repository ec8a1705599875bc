//! Private copies of plugin libraries, so a rebuilt plugin can be loaded
//! next to the old version (hot reload in live sessions).
//!
//! Why copies: the dynamic loader identifies libraries by path (and, on
//! Linux, by inode), so `dlopen` of a path that is still loaded returns the
//! old, still-mapped code however the file changed. And a library written
//! over in place while it is mapped (`cp new.so lib.so` truncates and
//! rewrites the same inode) can crash the process that runs it. Loading a
//! private copy under a unique name avoids both: the user's file is never
//! mapped, and every version gets a name of its own.
//!
//! Layout: one folder per process, `<temp>/gpu-charts-plugins-<pid>-<n>`
//! (`<temp>` is [`std::env::temp_dir`], i.e. `TMPDIR`; it must allow
//! executable mappings), created fresh (never reused) and private to the
//! user (mode `0700` on Unix). Copies are `<stem>-<counter><ext>`, created
//! exclusively (mode `0700`). A copy is removed when the [`PrivateCopy`]
//! that owns it drops, which the loader arranges to happen after its library
//! is closed; the folder is removed with its last copy.
//!
//! A process that dies keeps its folder. Each folder holds a `lock` file,
//! locked by its process while the folder is in use; [`remove_stale`]
//! (run whenever a process creates its folder) removes the folders whose
//! lock nobody holds.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use super::loader::LoadedPlugin;

/// Name prefix of the per-process folders in the temp folder.
const DIR_PREFIX: &str = "gpu-charts-plugins-";

/// Name of the lock file in each folder.
const LOCK_FILE: &str = "lock";

/// A folder without a lock file younger than this may be one another process
/// is creating right now; older ones are leftovers.
const LOCKLESS_GRACE: Duration = Duration::from_secs(3600);

/// The folder of this process, while it holds copies.
struct CopyDir {
    path: PathBuf,
    // Held (locked) while the folder exists: tells other processes it is in use.
    lock: File,
}

struct State {
    dir: Option<CopyDir>,
    /// Copies alive in `dir`.
    live: usize,
}

static STATE: Mutex<State> = Mutex::new(State { dir: None, live: 0 });

/// Makes the copy names unique within the process (and so within its folder).
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn state() -> std::sync::MutexGuard<'static, State> {
    // Every update of `State` is a plain assignment; a panic elsewhere while
    // the lock was held cannot leave it half-written.
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// A private copy of a plugin library; the file is removed on drop.
#[derive(Debug)]
pub(crate) struct PrivateCopy {
    path: PathBuf,
}

impl PrivateCopy {
    /// Where the copy is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateCopy {
    fn drop(&mut self) {
        // May fail on Windows if the library is still mapped somehow; the
        // folder is then left for `remove_stale` of a later process.
        let removed = fs::remove_file(&self.path).is_ok();
        let mut st = state();
        st.live = st.live.saturating_sub(1);
        if st.live == 0
            && removed
            && let Some(dir) = st.dir.take()
        {
            remove_own_dir(dir);
        }
    }
}

fn remove_own_dir(dir: CopyDir) {
    let CopyDir { path, lock } = dir;
    // Unlock and close before removing: Windows cannot delete an open file.
    let _ = lock.unlock();
    drop(lock);
    let _ = fs::remove_file(path.join(LOCK_FILE));
    // Fails (and leaves the folder to `remove_stale`) if anything else is in it.
    let _ = fs::remove_dir(&path);
}

/// The folder holding this process's private copies, if it has any now.
pub fn private_copies_dir() -> Option<PathBuf> {
    state().dir.as_ref().map(|d| d.path.clone())
}

/// Copies `original` into this process's private folder under a unique name.
pub(crate) fn copy_of(original: &Path) -> io::Result<PrivateCopy> {
    let mut st = state();
    if st.dir.is_none() {
        remove_stale();
        st.dir = Some(create_dir()?);
    }
    let Some(dir) = st.dir.as_ref() else {
        unreachable!("the folder was just created");
    };
    let stem = original
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into());
    let ext = original
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = dir.path.join(format!("{stem}-{n}{ext}"));
    let result = (|| {
        let mut from = File::open(original)?;
        let mut to = create_private(&path)?;
        io::copy(&mut from, &mut to)?;
        to.sync_all()
    })();
    match result {
        Ok(()) => {
            st.live += 1;
            Ok(PrivateCopy { path })
        }
        Err(e) => {
            let _ = fs::remove_file(&path);
            if st.live == 0
                && let Some(dir) = st.dir.take()
            {
                remove_own_dir(dir);
            }
            Err(e)
        }
    }
}

/// Creates a new file (never opening an existing one or following a link),
/// readable and executable by the user only where the platform allows.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o700);
    }
    options.open(path)
}

/// Creates this process's folder: a fresh name (an existing folder, perhaps
/// planted by someone else, is never used), private, with its lock held.
fn create_dir() -> io::Result<CopyDir> {
    let temp = std::env::temp_dir();
    let pid = std::process::id();
    let mut last_error = None;
    for n in 0..100u32 {
        let path = temp.join(format!("{DIR_PREFIX}{pid}-{n}"));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        match builder.create(&path) {
            Ok(()) => {
                let lock = create_private(&path.join(LOCK_FILE))?;
                // Best effort: where file locks are unsupported, other
                // processes simply never see this folder as stale.
                let _ = lock.lock();
                return Ok(CopyDir { path, lock });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free folder name")))
}

/// Removes the private-copy folders of processes that are gone (their lock
/// is free) from the temp folder, and returns how many it removed. Folders
/// of running processes, folders of other users it may not remove and
/// anything that is not a plain folder are left alone.
pub fn remove_stale() -> usize {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return 0;
    };
    // This process's own folders are never stale (their lock is held too,
    // but a platform without file locks must not lose them either).
    let own = format!("{DIR_PREFIX}{}-", std::process::id());
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(DIR_PREFIX) || name.starts_with(&own) {
            continue;
        }
        let path = entry.path();
        // `symlink_metadata`: a link named like our folders is not followed.
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        if is_stale(&path, &meta) && fs::remove_dir_all(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn is_stale(dir: &Path, meta: &fs::Metadata) -> bool {
    match File::open(dir.join(LOCK_FILE)) {
        // Free lock: its process is gone. Held, or locks unsupported: keep.
        Ok(lock) => lock.try_lock().is_ok(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => meta
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > LOCKLESS_GRACE),
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------
// Reuse of unchanged libraries
// ---------------------------------------------------------------------------

/// What identifies one version of a library file: path, size, modification
/// and (on Unix) status-change time and inode. A rebuild or an in-place
/// rewrite changes at least the times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileVersion {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
}

impl FileVersion {
    /// The version of the file at `path` now (`path` is canonical).
    pub(crate) fn of(path: &Path) -> Option<FileVersion> {
        let meta = fs::metadata(path).ok()?;
        Some(FileVersion {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            unix: {
                use std::os::unix::fs::MetadataExt as _;
                (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec())
            },
        })
    }
}

/// Libraries loaded from private copies and still alive somewhere, by the
/// version of the file they were copied from.
static LOADED: Mutex<Vec<(FileVersion, Weak<LoadedPlugin>)>> = Mutex::new(Vec::new());

/// The library already loaded from this exact version of the file, if any
/// is still alive: a fresh registry shares it instead of copying it again.
pub(crate) fn reuse(version: &FileVersion) -> Option<Arc<LoadedPlugin>> {
    let loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    loaded
        .iter()
        .filter(|(v, _)| v == version)
        .find_map(|(_, weak)| weak.upgrade())
}

/// Remembers a library loaded from a private copy of `version`.
pub(crate) fn remember(version: FileVersion, plugin: &Arc<LoadedPlugin>) {
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    loaded.retain(|(_, weak)| weak.strong_count() > 0);
    loaded.push((version, Arc::downgrade(plugin)));
}
