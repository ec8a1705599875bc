//! Shared by the plugin loader tests: compiles the C test plugins in
//! `plugin-api/tests/c_plugin/` and the Rust panic fixture in
//! `tests/fixtures/panic-plugin/` into shared libraries.
#![allow(dead_code)] // each test binary uses a subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `plugin-api` crate folder (the header and the C sources).
pub fn plugin_api_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api")
}

/// `plugin-api/include`, where `gpu_charts_plugin.h` lives.
pub fn include_dir() -> PathBuf {
    plugin_api_dir().join("include")
}

/// A C source of the test plugins.
pub fn c_source(file: &str) -> PathBuf {
    plugin_api_dir().join("tests/c_plugin").join(file)
}

/// `<prefix><stem><suffix>`, e.g. `libgc_c_plugin.so` on Linux.
pub fn dylib_name(stem: &str) -> String {
    format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The target triple of this test binary, for the `cc` crate (which
/// otherwise reads TARGET/HOST, set only for build scripts).
fn target_triple() -> String {
    use std::env::consts::{ARCH, OS};
    match OS {
        "linux" if cfg!(target_env = "musl") => format!("{ARCH}-unknown-linux-musl"),
        "linux" => format!("{ARCH}-unknown-linux-gnu"),
        "macos" => format!("{ARCH}-apple-darwin"),
        "windows" if cfg!(target_env = "gnu") => format!("{ARCH}-pc-windows-gnu"),
        "windows" => format!("{ARCH}-pc-windows-msvc"),
        other => format!("{ARCH}-unknown-{other}"),
    }
}

/// The platform's C (or C++) compiler, as the `cc` crate finds it.
pub fn compiler(cpp: bool) -> cc::Tool {
    let triple = target_triple();
    cc::Build::new()
        .cpp(cpp)
        .opt_level(0)
        .debug(false)
        .host(&triple)
        .target(&triple)
        .cargo_metadata(false)
        .get_compiler()
}

/// Runs `cmd`, panicking with its output if it fails.
pub fn run(mut cmd: Command, what: &str) {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what} ({cmd:?}): {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({cmd:?}):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles `source` (a file in `plugin-api/tests/c_plugin/`) with the
/// given `-D` defines into `dir/<dylib_name(stem)>` and returns its path.
pub fn build_c_plugin(source: &str, defines: &[&str], dir: &Path, stem: &str) -> PathBuf {
    build_c_plugin_with(source, defines, dir, stem, &include_dir())
}

/// `plugin-api/tests/c_plugin/v1_0`: a frozen copy of the header at ABI 1.0.
pub fn v1_0_include_dir() -> PathBuf {
    plugin_api_dir().join("tests/c_plugin/v1_0")
}

/// [`build_c_plugin`] against the header in `include` (e.g. [`v1_0_include_dir`]).
pub fn build_c_plugin_with(
    source: &str,
    defines: &[&str],
    dir: &Path,
    stem: &str,
    include: &Path,
) -> PathBuf {
    let tool = compiler(false);
    let out = dir.join(dylib_name(stem));
    let mut cmd = tool.to_command();
    if tool.is_like_msvc() {
        cmd.arg("/LD")
            .arg(format!("/I{}", include.display()))
            .arg(format!("/Fe{}", out.display()));
        cmd.args(defines.iter().map(|d| format!("/D{d}")));
        cmd.arg(c_source(source));
    } else {
        cmd.args(["-shared", "-fPIC", "-std=c99", "-Wall", "-Wextra"]);
        cmd.arg("-I").arg(include);
        cmd.args(defines.iter().map(|d| format!("-D{d}")));
        cmd.arg("-o").arg(&out).arg(c_source(source));
    }
    run(cmd, &format!("compiling {source}"));
    out
}

/// Builds the Rust fixture plugin that panics on purpose (once per test
/// binary) and returns the folder holding its library.
pub fn panic_fixture_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Canonical, so the fixture's relative path to plugin-api resolves
        // from its real location even if `tests/` is reached through a link.
        let manifest =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/panic-plugin/Cargo.toml");
        let manifest = std::fs::canonicalize(&manifest)
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let target_dir = match option_env!("CARGO_TARGET_TMPDIR") {
            Some(tmp) => Path::new(tmp).join("panic-plugin"),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fixtures"),
        };
        let cargo = std::env::var_os("CARGO")
            .or_else(|| option_env!("CARGO").map(Into::into))
            .unwrap_or("cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--offline", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir);
        run(cmd, "building the panic fixture plugin");
        target_dir.join("debug")
    })
}
