//! `__gc` finalizers and `__close` handlers cannot hang the host.
//!
//! Lua 5.4 runs finalizers with hooks off, so a finalizer that loops forever
//! escapes the instruction limit: at the next collection (the host collects
//! after every vectorized run) or when the state is dropped. The sandbox
//! refuses `__gc` at `setmetatable`; before that, each test below hung.
//! Every test runs under [`no_hang`], which fails it rather than hanging the
//! test run.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::time::Duration;

use super::*;

/// How long [`no_hang`] waits: a hang detector, not a speed limit (each
/// test takes milliseconds when nothing hangs).
const WATCHDOG: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and returns its result; fails the test if it
/// does not return within [`WATCHDOG`] (the thread is left spinning: the
/// test has failed either way).
fn no_hang<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what} did not return within {WATCHDOG:?}: it hangs"),
    }
}

const LOOP: &str = "function() while true do end end";

/// Loads `src`, makes an instance, computes 5 bars and drops everything;
/// returns the first error (load, instance or compute).
fn run_all(name: &'static str, src: String) -> Result<(), ScriptError> {
    let (_d, s) = load_src(name, &src);
    let s = s?;
    let mut inst = s.instance(&serde_json::json!({}))?;
    let bars = Bars::new(5);
    full(&mut inst, &bars.all())?;
    drop(inst);
    Ok(())
}

fn assert_gc_refused(e: &ScriptError, line: usize) {
    assert_eq!(e.kind, ScriptErrorKind::Sandbox, "{e}");
    assert_eq!(e.line, Some(line), "{e}");
    assert!(
        e.message
            .contains("a metatable with `__gc` (a finalizer) is not allowed"),
        "{e}"
    );
    assert!(e.help.as_deref().unwrap_or("").contains("__close"), "{e}");
}

#[test]
fn gc_in_the_top_level_chunk_is_refused() {
    let src = format!(
        "local x = 1\nlocal t = setmetatable({{}}, {{ __gc = {LOOP} }})\n\
         function calculate(p) return {{ value = close }} end\n"
    );
    let r = no_hang("a __gc object in the chunk", move || {
        run_all("chunk.lua", src)
    });
    assert_gc_refused(&r.expect_err("__gc must be refused"), 2);
}

#[test]
fn gc_in_calculate_is_refused() {
    let src = format!(
        "function calculate(p)\n  local keep = {{}}\n  \
         keep[1] = setmetatable({{}}, {{ __gc = {LOOP} }})\n  \
         return {{ value = close }}\nend\n"
    );
    let r = no_hang("a __gc object in calculate", move || {
        run_all("vec.lua", src)
    });
    assert_gc_refused(&r.expect_err("__gc must be refused"), 3);
}

#[test]
fn gc_in_on_bar_is_refused_at_its_bar() {
    let src = format!(
        "indicator {{ outputs = {{ {{ name = 'v' }} }} }}\n\
         function on_bar(i, state, p)\n  \
         if i == 2 then junk = setmetatable({{}}, {{ __gc = {LOOP} }}) end\n  \
         return close[i]\nend\n"
    );
    let r = no_hang("a __gc object in on_bar", move || run_all("bar.lua", src));
    let e = r.expect_err("__gc must be refused");
    assert_gc_refused(&e, 3);
    assert_eq!(e.bar, Some(2), "{e}");
}

#[test]
fn gc_in_quik_on_calculate_is_refused_at_its_bar() {
    let src = format!(
        "Settings = {{ Name = 'gc', line = {{ {{ Name = 'v' }} }} }}\n\
         function Init() return 1 end\n\
         function OnCalculate(i)\n  \
         if i == 3 then junk = setmetatable({{}}, {{ __gc = {LOOP} }}) end\n  \
         return C(i)\nend\n"
    );
    let r = no_hang("a __gc object in OnCalculate", move || {
        run_all("quik.lua", src)
    });
    let e = r.expect_err("__gc must be refused");
    assert_gc_refused(&e, 4);
    assert_eq!(e.bar, Some(3), "{e}");
}

#[test]
fn gc_in_quik_init_is_refused() {
    let src = format!(
        "Settings = {{ Name = 'gc', line = {{ {{ Name = 'v' }} }} }}\n\
         function Init()\n  junk = setmetatable({{}}, {{ __gc = {LOOP} }})\n  return 1\nend\n\
         function OnCalculate(i) return C(i) end\n"
    );
    let r = no_hang("a __gc object in Init", move || run_all("init.lua", src));
    assert_gc_refused(&r.expect_err("__gc must be refused"), 3);
}

#[test]
fn a_caught_refusal_leaves_nothing_to_finalize_when_the_state_drops() {
    // The script catches the refusal and goes on; dropping the states
    // (the load's and the instance's) finalizes nothing.
    let src = format!(
        "local ok, err = pcall(setmetatable, {{}}, {{ __gc = {LOOP} }})\n\
         assert(not ok and tostring(err):find('__gc'))\n\
         indicator {{ outputs = {{ {{ name = 'v' }} }} }}\n\
         function on_bar(i, state, p) return close[i] end\n"
    );
    no_hang("dropping a state after a caught __gc refusal", move || {
        run_all("caught.lua", src)
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn gc_false_replaced_later_is_refused() {
    // A non-nil `__gc` marks the object; Lua reads the field again when it
    // finalizes, so `false` now and a function later would run the function.
    let src = format!(
        "local mt = {{ __gc = false }}\nlocal t = setmetatable({{}}, mt)\nmt.__gc = {LOOP}\n\
         function calculate(p) return {{ value = close }} end\n"
    );
    let r = no_hang("__gc = false replaced by a loop", move || {
        run_all("false.lua", src)
    });
    assert_gc_refused(&r.expect_err("__gc must be refused"), 2);
}

#[test]
fn gc_added_after_setmetatable_marks_nothing() {
    // Lua 5.4 manual §2.5.3: the field must be there at setmetatable time.
    let src = format!(
        "local mt = {{}}\nlocal t = setmetatable({{}}, mt)\nmt.__gc = {LOOP}\nt = nil\n\
         function calculate(p)\n  local u = setmetatable({{}}, {{}})\n  \
         getmetatable(u).__gc = {LOOP}\n  return {{ value = close }}\nend\n"
    );
    no_hang("__gc added after setmetatable", move || {
        run_all("late.lua", src)
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn userdata_metatables_are_locked() {
    // A series' metatable holds the host's own `__gc`; scripts cannot reach it.
    let src = format!(
        "function calculate(p)\n  local mt = getmetatable(close)\n  \
         assert(mt == false, 'series metatable visible')\n  \
         getmetatable(close).__gc = {LOOP}\n  return {{ value = close }}\nend\n"
    );
    let r = no_hang("replacing a series' __gc", move || run_all("ud.lua", src));
    let e = r.expect_err("indexing the locked metatable fails");
    assert_eq!(e.kind, ScriptErrorKind::Runtime, "{e}");
    assert_eq!(e.line, Some(4), "{e}");
}

#[test]
fn an_endless_close_handler_stops_at_the_instruction_limit() {
    // `__close` runs as ordinary Lua, under the hook: on a normal block exit
    // and while an error (the limit itself) unwinds.
    let src = format!(
        "function calculate(p)\n  \
         local guard <close> = setmetatable({{}}, {{ __close = {LOOP} }})\n  \
         return {{ value = close }}\nend\n"
    );
    let r = no_hang("an endless __close", move || run_all("close.lua", src));
    let e = r.expect_err("the limit stops __close");
    assert_eq!(e.kind, ScriptErrorKind::InstructionLimit, "{e}");
    assert_eq!(e.line, Some(2), "{e}");
    let src = format!(
        "function calculate(p)\n  \
         local guard <close> = setmetatable({{}}, {{ __close = {LOOP} }})\n  \
         while true do end\nend\n"
    );
    let r = no_hang("an endless __close after the limit", move || {
        run_all("close2.lua", src)
    });
    let e = r.expect_err("the limit stops __close");
    assert_eq!(e.kind, ScriptErrorKind::InstructionLimit, "{e}");
}
