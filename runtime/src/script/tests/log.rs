//! What scripts print (`print`, QUIK `message`/`PrintDbgStr`) comes back to
//! the host per run, tagged and rate-limited.

use super::*;
use crate::script::{LOG_LINE_CHARS, LOG_LINES_PER_RUN};

#[test]
fn each_run_yields_its_lines_tagged_with_the_script() {
    let src = "print('loaded')\n\
               indicator { outputs = { { name = 'v' } } }\n\
               function on_bar(i, state, p)\n\
                 if i == 1 then print('first bar', close[i] + 0.25) end\n\
                 return close[i]\n\
               end\n";
    let (_d, s) = must_load("echo.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    // The top-level chunk ran once for this instance (the load's state is gone).
    assert_eq!(inst.drain_log(), ["[echo] loaded"]);
    let bars = Bars::new(3);
    full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.drain_log(), ["[echo] first bar\t100.25"]);
    assert!(inst.drain_log().is_empty(), "drained");
    inst.set_log_tag("rsi_quik");
    full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.drain_log(), ["[rsi_quik] first bar\t100.25"]);
}

#[test]
fn quik_message_levels_reach_the_log() {
    let src = "Settings = { Name = 'Msg', line = { { Name = 'a' } } }\n\
               function Init() message('init', 1) return 1 end\n\
               function OnCalculate(i)\n\
                 if i == Size() then message('late', 2) message('bad', 3) PrintDbgStr('dbg') end\n\
                 return C(i)\n\
               end\n";
    let (_d, s) = must_load("msg.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    inst.set_log_tag("rsi_quik");
    full(&mut inst, &Bars::new(4).all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inst.drain_log(),
        [
            "[rsi_quik] init",
            "[rsi_quik] warning: late",
            "[rsi_quik] error: bad",
            "[rsi_quik] dbg"
        ]
    );
}

#[test]
fn a_run_keeps_its_first_lines_and_counts_the_rest() {
    let src = "indicator { outputs = { { name = 'v' } } }\n\
               function on_bar(i, state, p) print('bar ' .. i) return close[i] end\n";
    let (_d, s) = must_load("chatty.lua", src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let n = LOG_LINES_PER_RUN + 30;
    let bars = Bars::new(n);
    full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let log = inst.drain_log();
    let mut want: Vec<String> = (1..=LOG_LINES_PER_RUN)
        .map(|i| format!("[chatty] bar {i}"))
        .collect();
    want.push("[chatty] … 30 more lines suppressed".into());
    assert_eq!(log, want);
    // The quota is per run: the next update logs again.
    let mut outs = vec![vec![f64::NAN; n]];
    inst.compute(&bars.all(), &mut outs, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.drain_log().len(), LOG_LINES_PER_RUN + 1);
    let mut outs = vec![vec![f64::NAN; n]];
    inst.compute(&bars.all(), &mut outs, n - 1)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.drain_log(), [format!("[chatty] bar {n}")]);
}

#[test]
fn lines_are_split_cleaned_and_cut() {
    let src = format!(
        "print('one\\ntwo\\r\\nthree')\nprint('bell\\a esc\\27[2J')\nprint(string.rep('x', {}))\n\
         function calculate(p) return {{ value = close }} end\n",
        LOG_LINE_CHARS + 50
    );
    let (_d, s) = must_load("mess.lua", &src);
    let mut inst = s.instance(&serde_json::json!({})).expect("instance");
    let log = inst.take_log();
    assert_eq!(&log[..4], ["one", "two", "three", "bell? esc?[2J"]);
    assert_eq!(log[4], format!("{}…", "x".repeat(LOG_LINE_CHARS)));
    assert_eq!(log.len(), 5);
}
