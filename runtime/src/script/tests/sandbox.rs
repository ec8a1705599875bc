//! Every way out of the sandbox fails with a Sandbox error at the right line.

use super::*;

const CALC: &str = "\nfunction calculate(p) return { value = close } end\n";

/// Loads a script whose line 1 is `code`; returns the error.
fn escape(code: &str) -> ScriptError {
    let (_d, r) = load_src("esc.lua", &format!("{code}{CALC}"));
    let e = expect_kind(r, ScriptErrorKind::Sandbox);
    assert_eq!(e.line, Some(1), "line of `{code}`:\n{e}");
    e
}

#[test]
fn io_open_is_forbidden() {
    let e = escape("local f = io.open('/etc/passwd')");
    assert!(e.message.contains("`io.open` is not available"), "{e}");
    assert!(e.help.is_some());
}

#[test]
fn os_execute_is_forbidden_but_time_works() {
    let e = escape("os.execute('touch /tmp/pwned')");
    assert!(e.message.contains("`os.execute`"), "{e}");
    escape("local h = os.getenv('HOME')");
    // os.time/clock/date stay available.
    must_load(
        "ok.lua",
        &format!(
            "assert(os.time{{year=2024,month=1,day=1,hour=0}} > 0)\nassert(type(os.clock()) == 'number')\nassert(os.date('!%Y', 0) == '1970'){CALC}"
        ),
    );
}

#[test]
fn require_outside_the_folder_is_forbidden() {
    let e = escape("local x = require('../x')");
    assert!(e.message.contains("outside the script's folder"), "{e}");
    let e = escape("local x = require('/etc/passwd')");
    assert!(e.message.contains("outside"), "{e}");
}

#[test]
fn dofile_and_loadfile_outside_the_folder_are_forbidden() {
    let e = escape("dofile('/etc/passwd')");
    assert!(
        e.message
            .contains("dofile: `/etc/passwd` is outside the script's folder"),
        "{e}"
    );
    let e = escape("local f = loadfile('../../etc/passwd')");
    assert!(e.message.contains("loadfile"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_folder_is_forbidden() {
    let outside = Dir::new();
    let target = outside.file("secret.lua", "return 42");
    let d = Dir::new();
    std::os::unix::fs::symlink(&target, d.path().join("link.lua")).expect("symlink");
    let p = d.file("s.lua", format!("local x = dofile('link.lua'){CALC}"));
    let e = expect_kind(Script::load(&p, small_limits()), ScriptErrorKind::Sandbox);
    assert!(e.message.contains("resolves to"), "{e}");
    assert!(e.message.contains("secret.lua"), "{e}");
    // A symlinked module is refused the same way.
    let p = d.file("r.lua", format!("local x = require('link'){CALC}"));
    expect_kind(Script::load(&p, small_limits()), ScriptErrorKind::Sandbox);
}

#[test]
fn string_dump_and_binary_chunks_are_forbidden() {
    let e = escape("local b = load(string.dump(function() end))");
    assert!(e.message.contains("string.dump"), "{e}");
    let e = escape("local f = load('\\27Lua\\84\\0')");
    assert!(e.message.contains("binary"), "{e}");
    let e = escape("local f = load('return 1', 'x', 'b')");
    assert!(e.message.contains("binary"), "{e}");
}

#[test]
fn debug_package_and_gc_control_are_forbidden() {
    let e = escape("local i = debug.getinfo(1)");
    assert!(e.message.contains("`debug.getinfo`"), "{e}");
    let e = escape("local f = package.loadlib('libc.so.6', 'system')");
    assert!(e.message.contains("`package.loadlib`"), "{e}");
    let e = escape("collectgarbage('stop')");
    assert!(e.message.contains("collectgarbage(\"stop\")"), "{e}");
    escape("collectgarbage()");
}

#[test]
fn allowed_things_work() {
    let d = Dir::new();
    d.file(
        "lib/util.lua",
        "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n",
    );
    d.file("extra.lua", "return 7\n");
    let p = d.file(
        "main.lua",
        "local util = require('lib.util')\n\
         assert(require('lib.util') == util)\n\
         assert(util.twice(4) == 8)\n\
         assert(dofile('extra.lua') == 7)\n\
         assert(loadfile('extra.lua')() == 7)\n\
         assert(load('return 1 + 1')() == 2)\n\
         local f, err = load('return +')\n\
         assert(f == nil and err:find('unexpected'))\n\
         assert(type(collectgarbage('count')) == 'number')\n\
         assert(unpack({1, 2}) == 1)\n\
         assert(string.format('%d', 3) == '3' and utf8.char(72) == 'H' and math.floor(2.5) == 2)\n\
         local ok, e = pcall(error, 'caught')\n\
         assert(not ok and e == 'caught')\n\
         print('hello', 1, nil)\n\
         function calculate(p) return { value = close } end\n",
    );
    let s = Script::load(&p, small_limits()).unwrap_or_else(|e| panic!("{e}"));
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.take_log(), vec!["hello\t1\tnil".to_string()]);
}

#[test]
fn a_module_error_names_the_module_file() {
    let d = Dir::new();
    d.file("bad.lua", "local x = 1\nlocal y = x +\n");
    let p = d.file("main.lua", format!("local b = require('bad'){CALC}"));
    let e = expect_kind(Script::load(&p, small_limits()), ScriptErrorKind::Syntax);
    assert!(e.file.ends_with("bad.lua"), "{e}");
    assert_eq!(e.line, Some(3), "{e}");
}

#[test]
fn a_file_that_loads_itself_is_stopped() {
    let d = Dir::new();
    let p = d.file("self.lua", format!("dofile('self.lua'){CALC}"));
    let e = expect_kind(Script::load(&p, small_limits()), ScriptErrorKind::Runtime);
    assert!(e.message.contains("nested more than"), "{e}");
}
