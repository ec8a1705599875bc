//! Endless loops, memory bombs and runaway recursion stop with an error
//! naming the line; nothing crashes, and a new instance works afterwards.

use super::*;

#[test]
fn endless_loop_at_top_level_stops_at_its_line() {
    let (_d, r) = load_src("loop.lua", "local x = 0\nwhile true do x = x + 1 end\n");
    let e = expect_kind(r, ScriptErrorKind::InstructionLimit);
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.contains("2000000 Lua instructions"), "{e}");
}

#[test]
fn endless_loop_in_on_bar_names_line_and_bar() {
    let src = "indicator { outputs = { { name = 'v' } } }\n\
               function on_bar(i, state, p)\n\
                 if i == 3 then\n\
                   while true do end\n\
                 end\n\
                 return i\n\
               end\n";
    let (_d, s) = must_load("bar.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let bars = Bars::new(10);
    let e = expect_kind(
        full(&mut inst, &bars.all()),
        ScriptErrorKind::InstructionLimit,
    );
    assert_eq!(e.line, Some(4), "{e}");
    assert_eq!(e.bar, Some(3), "{e}");
    assert!(e.file.ends_with("bar.lua"));
    let tb = e.traceback.as_deref().unwrap_or("");
    assert!(tb.contains("bar.lua:4"), "{e}");
    // The message names the budget: 20,000 instructions for each of 10 bars.
    assert!(e.message.contains("200000"), "{e}");
}

#[test]
fn pcall_cannot_swallow_the_instruction_limit() {
    let src = "local ok = pcall(function() while true do end end)\n\
               local ok2 = xpcall(function() end, print)\n\
               function calculate(p) return { value = close } end\n";
    let (_d, r) = load_src("pc.lua", src);
    let e = expect_kind(r, ScriptErrorKind::InstructionLimit);
    assert_eq!(e.line, Some(1), "{e}");
}

#[test]
fn growing_table_hits_the_memory_limit() {
    let d = Dir::new();
    let p = d.file("grow.lua", "local t = {}\nfor i = 1, 1e7 do t[i] = i end\nfunction calculate(p) return { value = close } end\n");
    let limits = ScriptLimits {
        memory_bytes: 4 << 20,
        ..small_limits()
    };
    let e = expect_kind(Script::load(&p, limits), ScriptErrorKind::MemoryLimit);
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.help.is_some());
}

#[test]
fn string_rep_bomb_hits_the_memory_limit_even_under_pcall() {
    let (_d, r) = load_src(
        "rep.lua",
        "local n = 1 << 40\nlocal s = string.rep('x', n)\n",
    );
    let e = expect_kind(r, ScriptErrorKind::MemoryLimit);
    assert_eq!(e.line, Some(2), "{e}");
    let src = "local ok = pcall(string.rep, 'x', 1 << 40)\nlocal t = {}\nfunction calculate(p) return { value = close } end\n";
    let (_d, r) = load_src("rep2.lua", src);
    expect_kind(r, ScriptErrorKind::MemoryLimit);
}

#[test]
fn huge_series_hits_the_memory_limit_before_allocating() {
    let src =
        "function calculate(p)\n  local s = series.new(1e12, 0)\n  return { value = s }\nend\n";
    let (_d, s) = must_load("big.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let bars = Bars::new(5);
    let e = expect_kind(full(&mut inst, &bars.all()), ScriptErrorKind::MemoryLimit);
    assert_eq!(e.line, Some(2), "{e}");
}

#[test]
fn garbage_series_are_collected_rather_than_counted() {
    // 500 temporaries of 1e5 values (400 MB in all) under a 64 MiB limit.
    let src = "function calculate(p)\n  local s = close\n  for k = 1, 500 do s = s * 1 end\n  return { value = s }\nend\n";
    let (_d, s) = must_load("tmp.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let bars = Bars::new(100_000);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], bars.close);
    assert!(inst.memory_used() < 64 << 20);
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let (_d, r) = load_src(
        "rec.lua",
        "local function f(n) return f(n + 1) + 1 end\nf(1)\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Runtime);
    assert!(e.message.contains("stack overflow"), "{e}");
    assert_eq!(e.line, Some(1), "{e}");
    assert!(
        e.help.as_deref().unwrap_or("").contains("calls itself"),
        "{e}"
    );
    // Recursion through a metamethod grows the C stack instead.
    let (_d, r) = load_src(
        "meta.lua",
        "local t = setmetatable({}, { __index = function(t, k) return t[k] end })\nlocal x = t.a\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Runtime);
    assert!(e.message.contains("stack overflow"), "{e}");
}

#[test]
fn a_new_instance_works_after_an_error() {
    let src = "indicator { params = { bad = { type = 'boolean', default = false } } }\n\
               function on_bar(i, state, p)\n\
                 if p.bad and i == 5 then while true do end end\n\
                 return close[i] * 2\n\
               end\n";
    let (_d, s) = must_load("again.lua", src);
    let bars = Bars::new(20);
    let mut bad = s
        .instance(&serde_json::json!({ "bad": true }))
        .expect("instance");
    expect_kind(
        full(&mut bad, &bars.all()),
        ScriptErrorKind::InstructionLimit,
    );
    drop(bad);
    let mut good = s.instance(&serde_json::json!({})).expect("instance");
    let out = full(&mut good, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<f64> = bars.close.iter().map(|c| c * 2.0).collect();
    assert_eq!(out[0], want);
}

#[test]
fn a_memory_stop_names_its_line_and_stack() {
    let d = Dir::new();
    let limits = ScriptLimits {
        memory_bytes: 8 << 20,
        ..small_limits()
    };
    // A string doubling runs out within a few instructions, before the
    // instruction hook ever saw a line.
    let p = d.file(
        "double.lua",
        "local s = 'x'\nwhile true do\n  s = s .. s\nend\n",
    );
    let e = expect_kind(Script::load(&p, limits), ScriptErrorKind::MemoryLimit);
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.file.ends_with("double.lua"), "{e}");
    assert_eq!(
        e.traceback.as_deref(),
        Some("double.lua:3: in main chunk"),
        "{e}"
    );
    assert!(e.help.is_some());
    // A table growing in a function: the stack names the function and its caller.
    let p = d.file(
        "grow.lua",
        "local function grow(t)\n  for i = 1, 1e8 do t[#t + 1] = i end\nend\ngrow({})\n",
    );
    let e = expect_kind(Script::load(&p, limits), ScriptErrorKind::MemoryLimit);
    assert_eq!(e.line, Some(2), "{e}");
    assert_eq!(
        e.traceback.as_deref(),
        Some("grow.lua:2: in function 'grow'\ngrow.lua:4: in main chunk"),
        "{e}"
    );
}

#[test]
fn a_memory_stop_in_a_computation_names_its_line_and_bar() {
    let d = Dir::new();
    let limits = ScriptLimits {
        memory_bytes: 8 << 20,
        ..small_limits()
    };
    // The chunk runs enough code for the hook to see a line (which must
    // not be reported for the later error).
    let p = d.file(
        "calc.lua",
        "local warm = 0\nfor i = 1, 5000 do warm = warm + i end\n\
         function calculate(p)\n  local s = 'y'\n  for i = 1, 40 do s = s .. s end\n  return { value = close }\nend\n",
    );
    let s = Script::load(&p, limits).unwrap_or_else(|e| panic!("{e}"));
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let e = expect_kind(
        full(&mut inst, &Bars::new(5).all()),
        ScriptErrorKind::MemoryLimit,
    );
    assert_eq!(e.line, Some(5), "{e}");
    assert_eq!(
        e.traceback.as_deref(),
        Some("calc.lua:5: in function <calc.lua:3>"),
        "{e}"
    );
    let p = d.file(
        "bar.lua",
        "Settings = { Name = 'm', line = { { Name = 'a' } } }\nfunction Init() return 1 end\n\
         function OnCalculate(i)\n  if i == 3 then\n    local s = 'z'\n    for k = 1, 40 do s = s .. s end\n  end\n  return C(i)\nend\n",
    );
    let s = Script::load(&p, limits).unwrap_or_else(|e| panic!("{e}"));
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let e = expect_kind(
        full(&mut inst, &Bars::new(5).all()),
        ScriptErrorKind::MemoryLimit,
    );
    assert_eq!(e.line, Some(6), "{e}");
    assert_eq!(e.bar, Some(3), "{e}");
}
