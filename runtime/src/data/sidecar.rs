//! Level-of-detail sidecars: the min/max pyramids of a file's columns, and
//! the fact that its rows passed validation, stored next to the data file
//! (`<file>.gclod`) so that reopening a big file costs neither a pyramid
//! build nor a validation scan.
//!
//! A sidecar is never trusted blindly. It records the data file's size, its
//! modification time, a content fingerprint (FNV-1a over 16 evenly spaced
//! 64 KiB samples of the file: a few milliseconds whatever its size) and the
//! source's own fingerprint, row count and column names; all must match.
//! The whole sidecar carries a CRC-32, and every pyramid must have the
//! shape its column's length implies. A stale or corrupt sidecar is
//! rebuilt (the caller shows a notice), never used.
//!
//! Where it goes: next to the data file when that folder is writable,
//! otherwise in a cache folder (`GPU_CHARTS_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/gpu-charts`, else `~/.cache/gpu-charts`), under
//! `lod/<hash of the data path>-<file name>.gclod`. Written to a temporary
//! file and renamed, so a reader never sees half a sidecar.
//!
//! Format (little-endian): magic `GCLOD\x01\r\n`, u32 version (2), u32
//! column count, u64 data size, i64 mtime (ns since 1970), u64 content
//! fingerprint, u64 source fingerprint, u64 rows, u64 flags (bit 0: rows
//! validated), then per column: u32 name length, name, u32 level count,
//! per level u64 pair count, zero bytes up to the next multiple of 8 from
//! the file's start, and the (min, max) f64 pairs; last a u32 CRC-32 of
//! everything before it.
//!
//! Reading maps the file and lends each level to its pyramid straight from
//! the map (the pairs are 8-byte aligned for that; a big-endian host copies
//! them): a billion-row column's ~1 GB of levels costs a checksum pass on
//! every core and no copy, and only the pages a frame reads stay resident.
//! The map is safe to keep because a sidecar is never rewritten in place
//! (a new one is renamed over it, leaving the mapped file as it was).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::MinMaxPyramid;
use super::lod::MinMax;
use super::storage::Storage;

const MAGIC: &[u8; 8] = b"GCLOD\x01\r\n";
const VERSION: u32 = 2;
/// Fixed header bytes before the columns.
const HEADER: usize = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 8;
/// Flag: every row passed validation (sorted timestamps, finite values).
const FLAG_VALIDATED: u64 = 1;
/// Extension appended to the data file's name.
pub const EXTENSION: &str = "gclod";
/// Environment variable naming the cache folder for sidecars that cannot go
/// next to their data file.
pub const CACHE_DIR_ENV: &str = "GPU_CHARTS_CACHE_DIR";

/// What identifies a data file's content, checked before a sidecar is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub size_bytes: u64,
    /// Modification time, ns since 1970 (0 when the platform has none).
    pub mtime_ns: i64,
    /// FNV-1a over 16 evenly spaced 64 KiB samples (the whole file when smaller).
    pub fingerprint: u64,
}

impl FileStamp {
    /// Stats and samples `path`.
    pub fn of(path: &Path) -> io::Result<FileStamp> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let size_bytes = meta.len();
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        const SAMPLES: u64 = 16;
        const SAMPLE: u64 = 64 * 1024;
        let mut hash = Fnv::new();
        hash.write(&size_bytes.to_le_bytes());
        let mut buf = vec![0u8; SAMPLE as usize];
        let step = if size_bytes <= SAMPLES * SAMPLE {
            SAMPLE
        } else {
            (size_bytes - SAMPLE) / (SAMPLES - 1)
        };
        let mut offset = 0u64;
        while offset < size_bytes {
            file.seek(SeekFrom::Start(offset))?;
            let want = SAMPLE.min(size_bytes - offset) as usize;
            file.read_exact(&mut buf[..want])?;
            hash.write(&buf[..want]);
            if offset + SAMPLE >= size_bytes {
                break;
            }
            offset = (offset + step).min(size_bytes - SAMPLE.min(size_bytes));
        }
        Ok(FileStamp {
            size_bytes,
            mtime_ns,
            fingerprint: hash.0,
        })
    }
}

/// 64-bit FNV-1a: tiny, stable across Rust versions (unlike `DefaultHasher`).
struct Fnv(u64);
impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// What must match for a sidecar to describe the data at hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Key<'a> {
    /// The data file's stamp.
    pub stamp: FileStamp,
    /// The source's own fingerprint (0: none).
    pub source_fingerprint: u64,
    /// Rows in the data.
    pub rows: usize,
    /// Column names, in order.
    pub names: &'a [String],
}

/// A sidecar's content: one pyramid per column and whether the rows were
/// validated.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Every row passed validation when the sidecar was written.
    pub validated: bool,
    /// One pyramid per column, in the key's order.
    pub pyramids: Vec<MinMaxPyramid>,
}

/// Why a sidecar was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// There is none (first open).
    Missing,
    /// It describes another version of the file (what differs).
    Stale(String),
    /// It is damaged (what is wrong).
    Corrupt(String),
}

/// Where sidecars are looked for and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecars {
    /// Fallback folder when the data file's folder is not writable.
    pub cache_dir: Option<PathBuf>,
}

impl Sidecars {
    /// The cache folder from `GPU_CHARTS_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`.
    pub fn from_env() -> Sidecars {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let cache_dir = env(CACHE_DIR_ENV)
            .map(PathBuf::from)
            .or_else(|| env("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("gpu-charts")))
            .or_else(|| env("HOME").map(|d| PathBuf::from(d).join(".cache/gpu-charts")));
        Sidecars { cache_dir }
    }

    /// The sidecar next to `data` (`<data>.gclod`).
    pub fn beside(data: &Path) -> PathBuf {
        let mut name = data.file_name().unwrap_or_default().to_os_string();
        name.push(".");
        name.push(EXTENSION);
        data.with_file_name(name)
    }

    /// The sidecar for `data` in the cache folder, if there is one.
    pub fn cached(&self, data: &Path) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let absolute = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
        let mut hash = Fnv::new();
        hash.write(absolute.as_os_str().as_encoded_bytes());
        let file = data.file_name().unwrap_or_default().to_string_lossy();
        Some(
            dir.join("lod")
                .join(format!("{:016x}-{file}.{EXTENSION}", hash.0)),
        )
    }

    /// Reads the sidecar of `data` (beside it first, then in the cache) if
    /// one matches `key`; otherwise why not (the worse reason of the two).
    pub fn load(&self, data: &Path, key: &Key<'_>) -> Result<(Stored, PathBuf), Lookup> {
        let mut why = Lookup::Missing;
        for path in [Some(Self::beside(data)), self.cached(data)]
            .into_iter()
            .flatten()
        {
            match read(&path, key) {
                Ok(stored) => return Ok((stored, path)),
                Err(Lookup::Missing) => {}
                Err(e) => {
                    if why == Lookup::Missing {
                        why = e;
                    }
                }
            }
        }
        Err(why)
    }

    /// Writes the sidecar of `data` beside it, or in the cache folder when
    /// that fails; returns where it went, or both errors.
    pub fn store(
        &self,
        data: &Path,
        key: &Key<'_>,
        validated: bool,
        pyramids: &[&MinMaxPyramid],
    ) -> Result<PathBuf, String> {
        let bytes = encode(key, validated, pyramids);
        let beside = Self::beside(data);
        let first = match write_atomic(&beside, &bytes) {
            Ok(()) => return Ok(beside),
            Err(e) => format!("`{}`: {e}", beside.display()),
        };
        let Some(cached) = self.cached(data) else {
            return Err(format!(
                "{first}; and no cache folder (set {CACHE_DIR_ENV})"
            ));
        };
        let made = cached
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| write_atomic(&cached, &bytes));
        match made {
            Ok(()) => Ok(cached),
            Err(e) => Err(format!("{first}; `{}`: {e}", cached.display())),
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_data()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn encode(key: &Key<'_>, validated: bool, pyramids: &[&MinMaxPyramid]) -> Vec<u8> {
    let pairs: usize = pyramids
        .iter()
        .map(|p| p.levels().iter().map(|l| l.len()).sum::<usize>())
        .sum();
    let mut out = Vec::with_capacity(HEADER + pairs * 16 + 64 * pyramids.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(key.names.len() as u32).to_le_bytes());
    out.extend_from_slice(&key.stamp.size_bytes.to_le_bytes());
    out.extend_from_slice(&key.stamp.mtime_ns.to_le_bytes());
    out.extend_from_slice(&key.stamp.fingerprint.to_le_bytes());
    out.extend_from_slice(&key.source_fingerprint.to_le_bytes());
    out.extend_from_slice(&(key.rows as u64).to_le_bytes());
    let flags = if validated { FLAG_VALIDATED } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    for (name, pyramid) in key.names.iter().zip(pyramids) {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(pyramid.levels().len() as u32).to_le_bytes());
        for level in pyramid.levels() {
            out.extend_from_slice(&(level.len() as u64).to_le_bytes());
            out.resize(out.len().next_multiple_of(8), 0);
            out.reserve(level.len() * 16);
            for &[lo, hi] in level.iter() {
                out.extend_from_slice(&lo.to_le_bytes());
                out.extend_from_slice(&hi.to_le_bytes());
            }
        }
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A cursor over sidecar bytes whose reads fail (as corrupt) past the end;
/// `at` is the offset of `rest` in the file.
struct Cursor<'a> {
    rest: &'a [u8],
    at: usize,
}
impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Lookup> {
        if self.rest.len() < n {
            return Err(Lookup::Corrupt("it ends early".into()));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        self.at += n;
        Ok(head)
    }
    /// Skips the zero padding up to the next multiple of 8.
    fn align8(&mut self) -> Result<(), Lookup> {
        let pad = self.at.next_multiple_of(8) - self.at;
        if self.take(pad)?.iter().any(|&b| b != 0) {
            return Err(Lookup::Corrupt("its padding is not zero".into()));
        }
        Ok(())
    }
    fn u32(&mut self) -> Result<u32, Lookup> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, Lookup> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// The CRC-32 of `bytes`, in chunks on every core (combined in order: the
/// same value as one pass).
fn crc32_parallel(bytes: &[u8]) -> u32 {
    use rayon::prelude::*;
    const CHUNK: usize = 8 << 20;
    if bytes.len() <= CHUNK {
        return crc32fast::hash(bytes);
    }
    super::name_worker_threads();
    let parts: Vec<crc32fast::Hasher> = bytes
        .par_chunks(CHUNK)
        .map(|c| {
            let mut h = crc32fast::Hasher::new();
            h.update(c);
            h
        })
        .collect();
    let mut all = crc32fast::Hasher::new();
    for p in &parts {
        all.combine(p);
    }
    all.finalize()
}

/// A read-only map of the sidecar at `path`, or `Missing`.
fn map(path: &Path) -> Result<std::sync::Arc<memmap2::Mmap>, Lookup> {
    // A directory or an unreadable file where the sidecar should be: not
    // ours to use; treat as absent (the writer falls back too).
    let file = File::open(path).map_err(|_| Lookup::Missing)?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Lookup::Missing);
    }
    // SAFETY: sidecars are replaced by rename, never rewritten in place, so
    // the mapped file stays as it is while the map lives (module docs).
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|_| Lookup::Missing)?;
    Ok(std::sync::Arc::new(map))
}

/// `n` stored pairs at `bytes` (8-byte aligned in the map, as written):
/// lent from `map` on a little-endian host, else decoded into a copy.
fn level_of(bytes: &[u8], n: usize, map: &std::sync::Arc<memmap2::Mmap>) -> Storage<MinMax> {
    debug_assert_eq!(bytes.len(), n * 16);
    if cfg!(target_endian = "little") && bytes.as_ptr().align_offset(8) == 0 {
        let keeper: std::sync::Arc<dyn std::any::Any + Send + Sync> = map.clone();
        // SAFETY: `bytes` lies inside `map` (kept alive by `keeper`), holds
        // `n * 16` bytes, is 8-byte aligned, and every bit pattern is an f64;
        // on a little-endian host the stored pairs are `[f64; 2]` as they are.
        #[allow(unsafe_code)]
        return unsafe { Storage::lent(bytes.as_ptr().cast::<MinMax>(), n, keeper) };
    }
    let f = |b: &[u8]| {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        f64::from_le_bytes(a)
    };
    let pairs: Vec<MinMax> = bytes
        .chunks_exact(16)
        .map(|p| [f(&p[..8]), f(&p[8..])])
        .collect();
    Storage::from(pairs)
}

fn read(path: &Path, key: &Key<'_>) -> Result<Stored, Lookup> {
    let map = map(path)?;
    let bytes: &[u8] = &map[..];
    let corrupt = |what: &str| Lookup::Corrupt(what.to_string());
    if bytes.len() < HEADER + 4 || &bytes[..8] != MAGIC {
        return Err(corrupt(
            "it is not a gpu-charts sidecar (bad magic or too short)",
        ));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    // The version first: an older format is stale (rebuilt with a notice
    // that says so), not corrupt.
    let mut c = Cursor {
        rest: &body[8..],
        at: 8,
    };
    let version = c.u32()?;
    if version != VERSION {
        return Err(Lookup::Stale(format!(
            "it has format version {version}, not {VERSION}"
        )));
    }
    if crc32_parallel(body).to_le_bytes() != crc {
        return Err(corrupt(
            "its checksum does not match (damaged or truncated)",
        ));
    }
    let columns = c.u32()? as usize;
    let stamp = FileStamp {
        size_bytes: c.u64()?,
        mtime_ns: c.u64()? as i64,
        fingerprint: c.u64()?,
    };
    let source_fingerprint = c.u64()?;
    let rows = c.u64()?;
    let flags = c.u64()?;
    if stamp.size_bytes != key.stamp.size_bytes {
        return Err(Lookup::Stale(format!(
            "the data file is {} bytes, the sidecar was made for {}",
            key.stamp.size_bytes, stamp.size_bytes
        )));
    }
    if stamp.mtime_ns != key.stamp.mtime_ns {
        return Err(Lookup::Stale("the data file was modified after it".into()));
    }
    if stamp.fingerprint != key.stamp.fingerprint || source_fingerprint != key.source_fingerprint {
        return Err(Lookup::Stale("the data file's content changed".into()));
    }
    if rows != key.rows as u64 || columns != key.names.len() {
        return Err(Lookup::Stale(format!(
            "it describes {rows} rows × {columns} columns, the data has {} × {}",
            key.rows,
            key.names.len()
        )));
    }
    let mut pyramids = Vec::with_capacity(columns);
    for expected in key.names {
        let len = c.u32()? as usize;
        let name = c.take(len)?;
        if name != expected.as_bytes() {
            return Err(Lookup::Stale(format!(
                "its columns differ from the data's (`{}` vs `{expected}`)",
                String::from_utf8_lossy(name)
            )));
        }
        let level_count = c.u32()? as usize;
        if level_count > 64 {
            return Err(corrupt("a pyramid has more than 64 levels"));
        }
        let mut levels = Vec::with_capacity(level_count);
        for _ in 0..level_count {
            let n = c.u64()? as usize;
            c.align8()?;
            if n.checked_mul(16).is_none_or(|b| b > c.rest.len()) {
                return Err(corrupt("a level is longer than the file"));
            }
            levels.push(level_of(c.take(n * 16)?, n, &map));
        }
        let Some(p) = MinMaxPyramid::from_levels(key.rows, levels) else {
            return Err(corrupt("a pyramid does not fit its column's length"));
        };
        pyramids.push(p);
    }
    if !c.rest.is_empty() {
        return Err(corrupt("it has trailing bytes"));
    }
    Ok(Stored {
        validated: flags & FLAG_VALIDATED != 0,
        pyramids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(stamp: FileStamp, names: &'a [String], rows: usize) -> Key<'a> {
        Key {
            stamp,
            source_fingerprint: 7,
            rows,
            names,
        }
    }

    fn setup(rows: usize) -> (tempfile::TempDir, PathBuf, Vec<f64>) {
        let dir = tempfile::tempdir().expect("tmp");
        let data = dir.path().join("ticks.arrow");
        let values: Vec<f64> = (0..rows).map(|i| (i % 97) as f64).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&data, bytes).expect("write");
        (dir, data, values)
    }

    #[test]
    fn a_stored_sidecar_loads_back_the_same_pyramid() {
        let (dir, data, values) = setup(5000);
        let names = vec!["price".to_string()];
        let pyramid = MinMaxPyramid::build(&values);
        let stamp = FileStamp::of(&data).expect("stamp");
        let sidecars = Sidecars {
            cache_dir: Some(dir.path().join("cache")),
        };
        let k = key(stamp, &names, values.len());
        let at = sidecars.store(&data, &k, true, &[&pyramid]).expect("store");
        assert_eq!(at, dir.path().join("ticks.arrow.gclod"));
        let (stored, from) = sidecars.load(&data, &k).expect("fresh");
        assert_eq!(from, at);
        assert!(stored.validated);
        assert_eq!(stored.pyramids[0].levels(), pyramid.levels());
        // Lent from the map, not copied (on the little-endian hosts CI runs).
        if cfg!(target_endian = "little") {
            assert!(stored.pyramids[0].levels().iter().all(|l| l.is_lent()));
        }
        // Its values answer ranges as the built pyramid does.
        for (a, b) in [(0, 5000), (17, 4093), (256, 4096), (1000, 1001)] {
            assert_eq!(
                stored.pyramids[0].range(&values, a, b),
                pyramid.range(&values, a, b)
            );
        }
    }

    /// Every level's pairs start 8-byte aligned in the file, whatever the
    /// column names' lengths; a version-1 sidecar is stale (rebuilt), and
    /// non-zero padding is corrupt.
    #[test]
    fn levels_are_aligned_and_an_old_format_is_stale() {
        let (_dir, data, values) = setup(70_000);
        let names = vec!["p".to_string(), "a longer name".to_string()];
        let pyramid = MinMaxPyramid::build(&values);
        let sidecars = Sidecars { cache_dir: None };
        let k = key(FileStamp::of(&data).expect("stamp"), &names, values.len());
        let at = sidecars
            .store(&data, &k, true, &[&pyramid, &pyramid])
            .expect("store");
        let (stored, _) = sidecars.load(&data, &k).expect("fresh");
        for p in &stored.pyramids {
            assert_eq!(p.levels(), pyramid.levels());
            for l in p.levels() {
                assert_eq!(l.as_ptr().align_offset(8), 0);
            }
        }
        let good = std::fs::read(&at).expect("read");
        let mut old = good.clone();
        old[8..12].copy_from_slice(&1u32.to_le_bytes());
        std::fs::write(&at, &old).expect("write");
        assert_eq!(
            sidecars.load(&data, &k).unwrap_err(),
            Lookup::Stale("it has format version 1, not 2".into())
        );
        // The first column's name `p` (1 byte) leaves 7 bytes of padding
        // after its first level's count: HEADER + 4 + 1 + 4 + 8 = 81 -> 88.
        let mut padded = good.clone();
        padded[HEADER + 17] = 1;
        let body = padded.len() - 4;
        let crc = crc32fast::hash(&padded[..body]);
        padded[body..].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(&at, &padded).expect("write");
        assert_eq!(
            sidecars.load(&data, &k).unwrap_err(),
            Lookup::Corrupt("its padding is not zero".into())
        );
    }

    #[test]
    fn the_parallel_checksum_equals_one_pass() {
        let bytes: Vec<u8> = (0..(20 << 20) + 12_345u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for n in [0, 1, 8 << 20, (8 << 20) + 1, bytes.len()] {
            assert_eq!(
                crc32_parallel(&bytes[..n]),
                crc32fast::hash(&bytes[..n]),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn a_sidecar_is_stale_after_the_data_changes() {
        let (dir, data, values) = setup(5000);
        let names = vec!["price".to_string()];
        let pyramid = MinMaxPyramid::build(&values);
        let sidecars = Sidecars { cache_dir: None };
        let before = FileStamp::of(&data).expect("stamp");
        sidecars
            .store(&data, &key(before, &names, values.len()), true, &[&pyramid])
            .expect("store");
        // Same size, same mtime (set back), one byte different in the middle.
        let mut bytes = std::fs::read(&data).expect("read");
        bytes[20_000] ^= 0xff;
        std::fs::write(&data, &bytes).expect("rewrite");
        let f = File::options().write(true).open(&data).expect("open");
        f.set_modified(UNIX_EPOCH + std::time::Duration::from_nanos(before.mtime_ns as u64))
            .expect("set mtime");
        drop(f);
        let after = FileStamp::of(&data).expect("stamp");
        assert_eq!(
            (after.size_bytes, after.mtime_ns),
            (before.size_bytes, before.mtime_ns)
        );
        let e = sidecars
            .load(&data, &key(after, &names, values.len()))
            .unwrap_err();
        assert_eq!(e, Lookup::Stale("the data file's content changed".into()));
        // A longer file: stale by size.
        bytes.extend_from_slice(&[0; 8]);
        std::fs::write(&data, &bytes).expect("rewrite");
        let longer = FileStamp::of(&data).expect("stamp");
        let e = sidecars
            .load(&data, &key(longer, &names, values.len()))
            .unwrap_err();
        assert!(
            matches!(e, Lookup::Stale(ref m) if m.contains("bytes")),
            "{e:?}"
        );
        drop(dir);
    }

    #[test]
    fn a_damaged_or_truncated_sidecar_is_corrupt() {
        let (_dir, data, values) = setup(5000);
        let names = vec!["price".to_string()];
        let pyramid = MinMaxPyramid::build(&values);
        let sidecars = Sidecars { cache_dir: None };
        let k = key(FileStamp::of(&data).expect("stamp"), &names, values.len());
        let at = sidecars.store(&data, &k, true, &[&pyramid]).expect("store");
        let good = std::fs::read(&at).expect("read");
        let mut flipped = good.clone();
        flipped[HEADER + 40] ^= 1;
        std::fs::write(&at, &flipped).expect("write");
        assert_eq!(
            sidecars.load(&data, &k).unwrap_err(),
            Lookup::Corrupt("its checksum does not match (damaged or truncated)".into())
        );
        std::fs::write(&at, &good[..good.len() / 2]).expect("write");
        assert!(matches!(
            sidecars.load(&data, &k).unwrap_err(),
            Lookup::Corrupt(_)
        ));
        std::fs::write(&at, b"PAR1 not a sidecar").expect("write");
        assert!(matches!(
            sidecars.load(&data, &k).unwrap_err(),
            Lookup::Corrupt(_)
        ));
    }

    #[test]
    fn a_folder_that_refuses_the_sidecar_sends_it_to_the_cache() {
        let (dir, data, values) = setup(5000);
        let names = vec!["price".to_string()];
        let pyramid = MinMaxPyramid::build(&values);
        let cache = dir.path().join("cache");
        let sidecars = Sidecars {
            cache_dir: Some(cache.clone()),
        };
        // A directory where the sidecar would go: writing beside the data
        // fails as in a read-only folder (tests may run as root, for whom
        // permission bits do not stop a write).
        std::fs::create_dir(Sidecars::beside(&data)).expect("block");
        let k = key(FileStamp::of(&data).expect("stamp"), &names, values.len());
        let at = sidecars
            .store(&data, &k, false, &[&pyramid])
            .expect("store");
        assert!(at.starts_with(cache.join("lod")), "{}", at.display());
        let (stored, from) = sidecars.load(&data, &k).expect("fresh from the cache");
        assert_eq!(from, at);
        assert!(!stored.validated);
        // Without a cache folder, both failures are named.
        let e = Sidecars { cache_dir: None }
            .store(&data, &k, false, &[&pyramid])
            .unwrap_err();
        assert!(
            e.contains("ticks.arrow.gclod") && e.contains(CACHE_DIR_ENV),
            "{e}"
        );
    }
}
