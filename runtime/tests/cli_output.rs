//! What the `gpu-charts` binary writes, and how it behaves when nobody reads
//! it: each error once, plugin-load warnings on every command, and a closed
//! pipe ends the command quietly instead of a panic (exit 101).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn gpu_charts(args: &[&str], plugin_path: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gpu-charts"));
    cmd.args(args)
        .current_dir(common::repo())
        .env("GPU_CHARTS_PLUGIN_PATH", plugin_path)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir());
    cmd
}

/// `cargo test` leaves the plugin libraries next to this test binary.
fn deps() -> std::path::PathBuf {
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run(args: &[&str]) -> Output {
    gpu_charts(args, &deps()).output().expect("run gpu-charts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs with stdout connected to a pipe whose reading end is already
/// closed, so the first write fails with EPIPE whatever the timing.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = gpu_charts(args, &deps())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gpu-charts");
    child.wait_with_output().expect("wait for gpu-charts")
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    for args in [
        &["plugins"][..],
        &["schema"],
        &["validate", "examples/aapl.toml"],
        &["export", "examples/aapl.toml"],
        &["export", "examples/aapl.toml", "-o", "-"],
    ] {
        let out = run_into_closed_pipe(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_located_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let good = std::fs::read_to_string(common::repo().join("examples/aapl.toml")).unwrap();
    std::fs::write(&bad, good.replace("theme = \"dark\"", "theme = \"drak\"")).unwrap();
    let png = dir.path().join("out.png");
    for args in [
        vec!["validate", bad.to_str().unwrap()],
        vec!["render", bad.to_str().unwrap(), "-o", png.to_str().unwrap()],
        vec!["export", bad.to_str().unwrap()],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(
            err.matches("error: invalid value `drak` for `theme`")
                .count(),
            1,
            "{args:?}:\n{err}"
        );
        assert_eq!(
            err.matches("did you mean `dark`?").count(),
            1,
            "{args:?}:\n{err}"
        );
        assert!(!err.contains("^: error"), "{args:?}:\n{err}");
    }
}

#[test]
fn render_and_export_report_libraries_that_failed_to_load() {
    let plugins = tempfile::tempdir().unwrap();
    let broken = plugins.path().join("libgpu_charts_plugin_broken.so");
    std::fs::write(&broken, "this is not a shared library\n").unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let png = out_dir.path().join("out.png");
    let csv = out_dir.path().join("out.csv");
    for args in [
        vec![
            "render",
            "examples/aapl.toml",
            "-o",
            png.to_str().unwrap(),
            "--size",
            "320x180",
        ],
        vec!["export", "examples/aapl.toml", "-o", csv.to_str().unwrap()],
        vec!["validate", "examples/aapl.toml"],
    ] {
        let mut full = vec!["--plugins", plugins.path().to_str().unwrap()];
        full.extend(&args);
        let out = run(&full);
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(
            err.lines()
                .any(|l| l.starts_with("warning:") && l.contains("libgpu_charts_plugin_broken.so")),
            "{args:?} printed no warning naming the broken library:\n{err}"
        );
    }
    assert!(png.is_file() && csv.is_file());
}

/// The README's setup block, run by `sh` against stub `apt-get`, `curl`,
/// `id` and `sudo` that record how they were called: as root (containers,
/// CI: no `sudo` installed) the installs run directly, as a user through sudo.
#[test]
fn readme_setup_works_with_and_without_sudo() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let after = readme
        .split("## Setup")
        .nth(1)
        .expect("README has a Setup section");
    let block = after
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the Setup section starts with a sh block");

    for (uid, with_sudo) in [("0", false), ("1000", true)] {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(home.join(".cargo")).unwrap();
        std::fs::write(home.join(".cargo/env"), "").unwrap();
        let log = dir.path().join("calls.log");
        let stub = |name: &str, body: &str| {
            let p = bin.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        let record = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
        stub("apt-get", &record);
        stub("curl", &format!("{record}\necho true"));
        stub("id", &format!("echo {uid}"));
        if with_sudo {
            stub("sudo", &format!("{record}\n\"$@\""));
        }
        std::os::unix::fs::symlink("/bin/sh", bin.join("sh")).unwrap();
        std::os::unix::fs::symlink("/usr/bin/basename", bin.join("basename")).unwrap();
        let out = Command::new("/bin/sh")
            .arg("-ec")
            .arg(block)
            .env_clear()
            .env("PATH", &bin)
            .env("HOME", &home)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "uid {uid}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let calls = std::fs::read_to_string(&log).unwrap();
        let apt: Vec<&str> = calls.lines().filter(|l| l.starts_with("apt-get")).collect();
        assert_eq!(apt.len(), 3, "uid {uid}:\n{calls}");
        assert!(apt[1].contains("mesa-vulkan-drivers"), "{calls}");
        let sudo = calls.lines().filter(|l| l.starts_with("sudo ")).count();
        assert_eq!(sudo, if with_sudo { 3 } else { 0 }, "uid {uid}:\n{calls}");
        assert_eq!(calls.lines().filter(|l| l.starts_with("curl")).count(), 1);
    }
}
