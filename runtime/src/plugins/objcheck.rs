//! Checks a library file before `dlopen` sees it.
//!
//! The dynamic loader maps a library's segments straight from the file. If
//! the file is shorter than its headers say (an interrupted build leaves the
//! first part of a `.so` behind), touching a mapped page past its end raises
//! SIGBUS inside `dlopen` and the process dies without a word. So the headers
//! are parsed here first, with the `object` crate, reading only the bytes
//! they need: the file must be a shared library of this platform's format
//! and architecture, and every loadable segment (and, for ELF, the dynamic
//! segment) must lie inside the file.

use std::path::Path;

use object::read::ReadCache;
use object::read::elf::ProgramHeader;
use object::{Architecture, BinaryFormat, Object, ObjectKind, ObjectSegment};

/// The object format this platform's dynamic loader opens.
fn platform_format() -> BinaryFormat {
    if cfg!(target_os = "windows") {
        BinaryFormat::Pe
    } else if cfg!(target_vendor = "apple") {
        BinaryFormat::MachO
    } else {
        BinaryFormat::Elf
    }
}

/// This process's architecture as `object` names it (`None`: not checked).
fn platform_architecture() -> Option<Architecture> {
    match std::env::consts::ARCH {
        "x86_64" => Some(Architecture::X86_64),
        "x86" => Some(Architecture::I386),
        "aarch64" => Some(Architecture::Aarch64),
        "arm" => Some(Architecture::Arm),
        "riscv64" => Some(Architecture::Riscv64),
        _ => None,
    }
}

/// Checks that `path` is a complete shared library this process could map.
/// The error completes the sentence "the file ..." (e.g. "is truncated: ...").
pub(crate) fn check_library(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read ({e})"))?;
    let file_len = file
        .metadata()
        .map_err(|e| format!("cannot be read ({e})"))?
        .len();
    let cache = ReadCache::new(file);
    let obj = object::File::parse(&cache)
        .map_err(|e| format!("is not a complete object file ({e}; {file_len} bytes)"))?;
    if obj.format() != platform_format() {
        return Err(format!(
            "is a {:?} object, but this platform loads {:?} libraries",
            obj.format(),
            platform_format()
        ));
    }
    if let Some(arch) = platform_architecture()
        && obj.architecture() != arch
    {
        return Err(format!(
            "is built for {:?}, but this process runs on {arch:?}",
            obj.architecture()
        ));
    }
    if obj.kind() != ObjectKind::Dynamic {
        return Err(format!(
            "is not a shared library (object kind {:?})",
            obj.kind()
        ));
    }
    let inside = |what: &str, offset: u64, size: u64| -> Result<(), String> {
        match offset.checked_add(size) {
            Some(end) if end <= file_len => Ok(()),
            _ => Err(format!(
                "is truncated: its {what} spans bytes {offset}..{} but the file has {file_len}",
                offset.saturating_add(size)
            )),
        }
    };
    for segment in obj.segments() {
        let (offset, size) = segment.file_range();
        inside("loadable segment", offset, size)?;
    }
    // `segments()` lists only the loadable ones; the loader also reads the
    // dynamic segment (symbols, needed libraries) through the mapping.
    let dynamic = |offset: u64, size: u64| inside("dynamic segment", offset, size);
    match &obj {
        object::File::Elf64(elf) => {
            let endian = elf.endian();
            for ph in elf.elf_program_headers() {
                if ph.p_type(endian) == object::elf::PT_DYNAMIC {
                    let (offset, size) = ph.file_range(endian);
                    dynamic(offset, size)?;
                }
            }
        }
        object::File::Elf32(elf) => {
            let endian = elf.endian();
            for ph in elf.elf_program_headers() {
                if ph.p_type(endian) == object::elf::PT_DYNAMIC {
                    let (offset, size) = ph.file_range(endian);
                    dynamic(offset, size)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_test_binary_is_not_a_shared_library_but_parses() {
        // A complete object of this platform: the check gets past parsing
        // and refuses it only for its kind (a PIE executable is ET_DYN on
        // Linux, so accept either outcome there, but never a parse error).
        let exe = std::env::current_exe().expect("exe");
        if let Err(e) = check_library(&exe) {
            assert!(e.starts_with("is not a shared library"), "{e}");
        }
    }

    #[test]
    fn text_and_empty_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("libtext.so");
        std::fs::write(&text, "not a library\n").expect("write");
        let e = check_library(&text).expect_err("text");
        assert!(e.starts_with("is not a complete object file"), "{e}");
        let empty = dir.path().join("libempty.so");
        std::fs::write(&empty, "").expect("write");
        let e = check_library(&empty).expect_err("empty");
        assert!(e.contains("0 bytes"), "{e}");
    }
}
