//! The three kinds of script agree, and incremental updates equal a full
//! recompute.

use super::*;

/// EMA with TA-Lib seeding (SMA of the first n closes), written per bar.
const PERBAR_EMA: &str = "indicator { name = 'EMA per bar', params = { n = { type = 'integer', default = 10, min = 1 } },\n\
                                      outputs = { { name = 'ema' } } }\n\
function init(p, state)\n\
  state.k = 2 / (p.n + 1)\n\
  state.sum = 0\n\
end\n\
function on_bar(i, state, p)\n\
  local c = close[i]\n\
  if i < p.n then state.sum = state.sum + c return nil end\n\
  if i == p.n then state.ema = (state.sum + c) / p.n return state.ema end\n\
  state.ema = (c - state.ema) * state.k + state.ema\n\
  return state.ema\n\
end\n";

const VECTOR_EMA: &str = "indicator { params = { n = { type = 'integer', default = 10 } }, outputs = { { name = 'ema' } } }\n\
function calculate(p) return { ema = ta.ema(close, p.n) } end\n";

/// The same EMA as a QUIK script: one value per index in a table, so that
/// recomputing the last bar (QUIK calls OnCalculate again) is harmless.
pub(super) const QUIK_EMA: &str = "Settings = { Name = 'EMA QUIK', Period = 10,\n\
  line = { { Name = 'EMA', Color = RGB(0, 0, 255), Type = TYPE_LINE, Width = 1 } } }\n\
function Init() ema = {} sum = {} return 1 end\n\
function OnCalculate(i)\n\
  local n = Settings.Period\n\
  sum[i] = (sum[i - 1] or 0) + C(i)\n\
  if i < n then return nil end\n\
  if i == n then ema[i] = sum[i] / n return ema[i] end\n\
  ema[i] = (C(i) - ema[i - 1]) * (2 / (n + 1)) + ema[i - 1]\n\
  return ema[i]\n\
end\n";

fn instance(name: &str, src: &str) -> (Dir, ScriptInstance) {
    let (d, s) = must_load(name, src);
    let inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    (d, inst)
}

#[test]
fn vectorized_perbar_and_quik_ema_agree() {
    let bars = Bars::new(500);
    let (_a, mut v) = instance("v.lua", VECTOR_EMA);
    let (_b, mut b) = instance("b.lua", PERBAR_EMA);
    let (_c, mut q) = instance("q.lua", QUIK_EMA);
    let ov = full(&mut v, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let ob = full(&mut b, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let oq = full(&mut q, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    // An independent reference: TA-Lib's EMA definition, written out here.
    let mut want = vec![f64::NAN; 500];
    let k = 2.0 / 11.0;
    want[9] = bars.close[..10].iter().sum::<f64>() / 10.0;
    for i in 10..500 {
        want[i] = (bars.close[i] - want[i - 1]) * k + want[i - 1];
    }
    assert_close(&ov[0], &want, 1e-9, "vectorized");
    assert_close(&ob[0], &want, 1e-9, "per-bar");
    assert_close(&oq[0], &want, 1e-9, "quik");
    assert!(ov[0][8].is_nan() && !ov[0][9].is_nan());
}

/// Feeds bars one at a time as a live chart does: each new bar first
/// arrives with a provisional close, then is corrected; returns the result.
fn live_updates(inst: &mut ScriptInstance, bars: &Bars, start: usize) -> Vec<Vec<f64>> {
    let k = inst.info().outputs.len();
    let mut outs = vec![vec![f64::NAN; start]; k];
    inst.compute(&bars.inputs(start), &mut outs, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut provisional = Bars::new(bars.close.len());
    for m in start + 1..=bars.close.len() {
        // Bar m appears with a wrong close...
        provisional.close[..m].copy_from_slice(&bars.close[..m]);
        provisional.close[m - 1] += 3.0;
        for o in outs.iter_mut() {
            o.push(f64::NAN);
        }
        inst.compute(&provisional.inputs(m), &mut outs, m - 1)
            .unwrap_or_else(|e| panic!("{e}"));
        // ...and is then corrected (the last bar changes: from = len - 1).
        for o in outs.iter_mut() {
            o[m - 1] = f64::NAN;
        }
        inst.compute(&bars.inputs(m), &mut outs, m - 1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    outs
}

#[test]
fn incremental_perbar_equals_full_recompute() {
    let bars = Bars::new(300);
    let (_a, mut whole) = instance("a.lua", PERBAR_EMA);
    let want = full(&mut whole, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let (_b, mut live) = instance("b.lua", PERBAR_EMA);
    let got = live_updates(&mut live, &bars, 200);
    assert_eq!(got[0].len(), 300);
    for (i, (g, w)) in got[0].iter().zip(&want[0]).enumerate() {
        assert!(g.to_bits() == w.to_bits(), "row {i}: {g} vs {w}");
    }
}

#[test]
fn incremental_perbar_with_nested_state_equals_full_recompute() {
    // A running max kept in a nested table, and a count: both would be
    // wrong after a recomputed last bar without the checkpoint.
    let src = "indicator { outputs = { { name = 'hi' }, { name = 'count' } } }\n\
               function on_bar(i, state, p)\n\
                 state.s = state.s or { hi = -math.huge, n = 0 }\n\
                 state.s.n = state.s.n + 1\n\
                 if close[i] > state.s.hi then state.s.hi = close[i] end\n\
                 return state.s.hi, state.s.n\n\
               end\n";
    let bars = Bars::new(120);
    let (_a, mut whole) = instance("a.lua", src);
    let want = full(&mut whole, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let (_b, mut live) = instance("b.lua", src);
    let got = live_updates(&mut live, &bars, 50);
    assert_eq!(got, want);
    assert_eq!(want[1][119], 120.0);
}

#[test]
fn incremental_quik_equals_full_recompute() {
    let bars = Bars::new(300);
    let (_a, mut whole) = instance("a.lua", QUIK_EMA);
    let want = full(&mut whole, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let (_b, mut live) = instance("b.lua", QUIK_EMA);
    let got = live_updates(&mut live, &bars, 150);
    assert_close(&got[0], &want[0], 0.0, "quik live");
}

/// `calculate` sees the whole history and may repaint past bars, so an
/// update rewrites every row: stale values before `from` are replaced by
/// exactly what a full recompute gives.
#[test]
fn vectorized_rewrites_every_row_on_update() {
    let (_a, mut v) = instance("v.lua", VECTOR_EMA);
    let bars = Bars::new(50);
    let mut outs = vec![vec![777.0; 50]];
    outs[0][40..].fill(f64::NAN);
    v.compute(&bars.all(), &mut outs, 40)
        .unwrap_or_else(|e| panic!("{e}"));
    let all = full(&mut v, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outs[0].len(), 50);
    for (k, (a, b)) in outs[0].iter().zip(&all[0]).enumerate() {
        assert!(a == b || (a.is_nan() && b.is_nan()), "row {k}: {a} vs {b}");
    }
    assert!(!outs[0].contains(&777.0));
}

/// Input series view the host's columns without a copy during a call; one
/// the script keeps past the call (a global, an upvalue) gets its own copy
/// first, so it still holds the old values after the host's column is gone.
#[test]
fn input_series_kept_past_their_call_keep_their_values() {
    let src = "indicator { outputs = { { name = 'v' }, { name = 'prev' } } }\n\
               local kept\n\
               function calculate()\n\
                 local prev = kept or close\n\
                 kept = close\n\
                 return { v = close * 2, prev = prev }\n\
               end\n";
    let (_d, mut inst) = instance("keep.lua", src);
    let first = Bars::new(40);
    let want_prev = first.close.clone();
    let out1 = full(&mut inst, &first.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out1[0],
        first.close.iter().map(|x| x * 2.0).collect::<Vec<_>>()
    );
    assert_eq!(out1[1], first.close);
    let before = inst.memory_used();
    drop(first);
    // Other values in the same rows: the kept series must not see them.
    let mut second = Bars::new(40);
    for x in &mut second.close {
        *x += 1000.0;
    }
    let out2 = full(&mut inst, &second.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out2[1], want_prev, "the series kept from call 1");
    assert_eq!(
        out2[0],
        second.close.iter().map(|x| x * 2.0).collect::<Vec<_>>()
    );
    // The kept copy (40 values) counts against the script's memory.
    assert!(
        inst.memory_used() >= before,
        "{} < {before}",
        inst.memory_used()
    );
}

#[test]
fn syntax_error_reports_the_exact_line() {
    let src = "indicator { name = 'x' }\n\nfunction calculate(p)\n  local a = close +\nend\n";
    let (_d, r) = load_src("syn.lua", src);
    let e = expect_kind(r, ScriptErrorKind::Syntax);
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.message.contains("unexpected symbol near 'end'"), "{e}");
    assert!(e.file.ends_with("syn.lua"));
    let shown = e.to_string();
    assert!(
        shown.starts_with("error: unexpected symbol near 'end'"),
        "{shown}"
    );
    assert!(shown.contains("syn.lua:5"), "{shown}");
}

#[test]
fn runtime_error_in_on_bar_reports_bar_line_and_traceback() {
    let src = "indicator { outputs = { { name = 'v' } } }\n\
               local function helper(i)\n\
                 local t = nil\n\
                 if i == 57 then return t.field end\n\
                 return i\n\
               end\n\
               function on_bar(i, state, p)\n\
                 local v = helper(i)\n\
                 return v\n\
               end\n";
    let (_d, mut inst) = instance("rt.lua", src);
    let bars = Bars::new(100);
    let e = expect_kind(full(&mut inst, &bars.all()), ScriptErrorKind::Runtime);
    assert_eq!(e.bar, Some(57), "{e}");
    assert_eq!(e.line, Some(4), "{e}");
    assert!(
        e.message
            .contains("attempt to index a nil value (local 't')"),
        "{e}"
    );
    let tb = e.traceback.clone().unwrap_or_default();
    assert!(
        tb.contains("rt.lua:4: in") && tb.contains("rt.lua:8: in"),
        "{tb}"
    );
    assert!(!tb.contains("[C]") && !tb.contains("[host]"), "{tb}");
    let shown = e.to_string();
    assert!(shown.contains("= bar: 57"), "{shown}");
    // The instance is still usable: with fewer bars the error is not reached.
    let out = full(&mut inst, &bars.inputs(50)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0][49], 50.0);
}

#[test]
fn on_bar_returning_a_string_is_an_output_error() {
    let src = "indicator { outputs = { { name = 'v' } } }\nfunction on_bar(i) if i == 4 then return 'x' end return i end\n";
    let (_d, mut inst) = instance("s.lua", src);
    let e = expect_kind(
        full(&mut inst, &Bars::new(10).all()),
        ScriptErrorKind::Output,
    );
    assert_eq!(e.bar, Some(4), "{e}");
    assert!(
        e.message
            .contains("on_bar returned a string for output `v` at bar 4"),
        "{e}"
    );
    let src = "indicator { outputs = { { name = 'v' } } }\nfunction on_bar(i) return i, i end\n";
    let (_d, mut inst) = instance("s2.lua", src);
    let e = expect_kind(
        full(&mut inst, &Bars::new(10).all()),
        ScriptErrorKind::Output,
    );
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.contains("more than 1 values at bar 1"), "{e}");
}

#[test]
fn state_holding_a_function_is_rejected() {
    let src = "indicator { outputs = { { name = 'v' } } }\nfunction on_bar(i, state) state.f = print return i end\n";
    let (_d, mut inst) = instance("f.lua", src);
    let e = expect_kind(
        full(&mut inst, &Bars::new(10).all()),
        ScriptErrorKind::Runtime,
    );
    assert!(e.message.contains("`state.f` holds a function"), "{e}");
}

#[test]
fn deeply_nested_state_is_an_error_not_a_stack_overflow() {
    let src = "indicator { outputs = { { name = 'v' } } }\nfunction on_bar(i, state) state.l = { next = state.l } return i end\n";
    let (_d, mut inst) = instance("deep.lua", src);
    let e = expect_kind(
        full(&mut inst, &Bars::new(100_000).all()),
        ScriptErrorKind::Runtime,
    );
    assert!(e.message.contains("nests tables more than 100 deep"), "{e}");
    // Shared and cyclic references are kept as they are.
    let src = "indicator { outputs = { { name = 'v' } } }\n\
               function on_bar(i, state)\n\
                 if not state.a then state.a = { n = 0 } state.b = state.a state.a.self = state.a end\n\
                 state.a.n = state.a.n + 1\n\
                 assert(state.b == state.a and state.a.self == state.a)\n\
                 return state.b.n\n\
               end\n";
    let (_d, mut inst) = instance("shared.lua", src);
    let bars = Bars::new(30);
    let got = live_updates(&mut inst, &bars, 10);
    let want: Vec<f64> = (1..=30).map(f64::from).collect();
    assert_eq!(got[0], want);
}

#[test]
fn calculate_output_errors_name_the_output() {
    let base =
        "indicator { outputs = { { name = 'up' }, { name = 'down' } } }\nfunction calculate(p)\n";
    let cases = [
        (
            "return { up = close }",
            "calculate returned no value for output `down`",
        ),
        (
            "return { up = close, down = close:shift(1), side = close }",
            "calculate returned `side`, which is not a declared output",
        ),
        (
            "return { up = close, down = series.new(3, 1) }",
            "output `down` has 3 values but the input has 10 bars",
        ),
        (
            "return { up = close, down = 'x' }",
            "output `down` is a string, not a series",
        ),
        (
            "return 5",
            "calculate returned number, not a table of outputs",
        ),
    ];
    for (body, msg) in cases {
        let (_d, mut inst) = instance("o.lua", &format!("{base}  {body}\nend\n"));
        let e = expect_kind(
            full(&mut inst, &Bars::new(10).all()),
            ScriptErrorKind::Output,
        );
        assert!(e.message.contains(msg), "{body}: {e}");
        assert_eq!(e.line, Some(2), "{e}");
    }
    // A table of numbers and a number are accepted.
    let src = format!("{base}  local t = close:totable()\n  return {{ up = t, down = 3 }}\nend\n");
    let (_d, mut inst) = instance("ok.lua", &src);
    let bars = Bars::new(10);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], bars.close);
    assert_eq!(out[1], vec![3.0; 10]);
}
