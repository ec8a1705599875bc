//! Declarations, the params schema, series arithmetic and the `ta` table.

use super::*;
use crate::script::{OutputStyle, Pane, ScriptKind};

const SUPERTREND_DECL: &str = "indicator {\n\
  name = 'SuperTrend',\n\
  params = {\n\
    period     = { type = 'integer', default = 10, min = 1, max = 1000, description = 'ATR period' },\n\
    multiplier = { type = 'number',  default = 3.0, min = 0.1, max = 50 },\n\
    source     = { type = 'string',  default = 'close', values = { 'open', 'high', 'low', 'close' } },\n\
    hollow     = { type = 'boolean', default = false },\n\
  },\n\
  outputs = {\n\
    { name = 'up',   style = 'line', color = '#26a69a', width = 2 },\n\
    { name = 'down', style = 'band', with = 'up', color = '#2962ff33' },\n\
    { name = 'sig',  style = 'markers', shape = 'triangle_down', size = 6, pane = 'own' },\n\
  },\n\
  pane = 'own',\n\
}\n\
function calculate(p)\n\
  local atr = ta.atr(high, low, close, p.period)\n\
  local mid = (high + low) / 2\n\
  return { up = mid - atr * p.multiplier, down = mid + atr * p.multiplier, sig = p.hollow and 1 or 0 }\n\
end\n";

#[test]
fn declarations_and_params_schema() {
    let (_d, s) = must_load("st.lua", SUPERTREND_DECL);
    let info = s.info();
    assert_eq!(info.name, "SuperTrend");
    assert_eq!(info.kind, ScriptKind::Vectorized);
    assert_eq!(info.pane, Pane::Own);
    assert_eq!(
        info.outputs[1].style,
        OutputStyle::Band { with: "up".into() }
    );
    assert_eq!(info.outputs[2].pane, Some(Pane::Own));
    let schema: serde_json::Value = serde_json::from_str(&s.params_schema()).expect("json");
    let want = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "hollow": { "type": "boolean", "default": false },
            "multiplier": { "type": "number", "default": 3.0, "minimum": 0.1, "maximum": 50 },
            "period": { "type": "integer", "default": 10, "minimum": 1, "maximum": 1000, "description": "ATR period" },
            "source": { "type": "string", "default": "close", "enum": ["open", "high", "low", "close"] },
        }
    });
    assert_eq!(schema, want);
}

#[test]
fn params_defaults_and_overrides_reach_the_script() {
    let (_d, s) = must_load("st.lua", SUPERTREND_DECL);
    let bars = Bars::new(40);
    let mut a = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut b = s
        .instance(&serde_json::json!({ "multiplier": 1.5, "hollow": true }))
        .unwrap_or_else(|e| panic!("{e}"));
    let oa = full(&mut a, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let ob = full(&mut b, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let atr = crate::script::ta::atr(&bars.high, &bars.low, &bars.close, 10);
    for i in 0..40 {
        let mid = (bars.high[i] + bars.low[i]) / 2.0;
        assert_close(&[oa[0][i]], &[mid - atr[i] * 3.0], 0.0, "up default");
        assert_close(&[ob[1][i]], &[mid + atr[i] * 1.5], 0.0, "down override");
    }
    assert_eq!(oa[2], vec![0.0; 40]);
    assert_eq!(ob[2], vec![1.0; 40]);
    let e = expect_kind(
        s.instance(&serde_json::json!({ "multiplyer": 2 })),
        ScriptErrorKind::Params,
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `multiplier`?"));
}

#[test]
fn declaration_errors_point_at_the_indicator_call() {
    let cases = [
        (
            "indicator { name = 'x', outptus = {} }",
            "indicator has an unknown key `outptus`",
            Some("did you mean `outputs`?"),
        ),
        (
            "indicator { outputs = { { name = 'a', style = 'lines' } } }",
            "outputs[1].style `lines` is not a style",
            Some("did you mean `line`?"),
        ),
        (
            "indicator { outputs = { { name = 'a', color = 'red' } } }",
            "outputs[1].color `red` is not a colour",
            None,
        ),
        (
            "indicator { params = { n = { type = 'integer' } } }",
            "params.n has no default",
            None,
        ),
        (
            "indicator { params = { n = { type = 'integer', default = 'x' } } }",
            "params.n.default must be integer, got string",
            None,
        ),
        (
            "indicator { outputs = { { name = 'a', style = 'band', with = 'b' } } }",
            "output `a` is a band with `b`, which is not another output",
            None,
        ),
        (
            "indicator { outputs = { { name = 'a', dash = 'dashed' } } }",
            "outputs[1].dash `dashed` is not a line pattern",
            Some("did you mean `dash`?"),
        ),
        (
            "indicator { outputs = { { name = 'a', style = 'points', dash = 'dot' } } }",
            "outputs[1].dash is for lines, but the output's style is `points`",
            Some("remove `dash`, or use style = \"line\""),
        ),
    ];
    for (decl, msg, help) in cases {
        let (_d, r) = load_src(
            "d.lua",
            &format!("\n{decl}\nfunction calculate(p) return {{}} end\n"),
        );
        let e = expect_kind(r, ScriptErrorKind::Declaration);
        assert_eq!(e.message, msg);
        assert_eq!(e.line, Some(2), "{e}");
        if let Some(h) = help {
            assert_eq!(e.help.as_deref(), Some(h));
        }
    }
    let (_d, r) = load_src("none.lua", "local x = 1\n");
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert!(
        e.message
            .contains("none of calculate, on_bar or OnCalculate")
    );
    let (_d, r) = load_src(
        "two.lua",
        "function calculate() end\nfunction on_bar() end\n",
    );
    expect_kind(r, ScriptErrorKind::Declaration);
}

#[test]
fn series_arithmetic_and_methods() {
    let src = "indicator { outputs = { {name='a'}, {name='b'}, {name='c'}, {name='d'}, {name='e'}, {name='f'}, {name='g'}, {name='h'} } }\n\
               function calculate(p)\n\
                 local s = series.from({ 1, -2, 0/0, 4.5, -7 })\n\
                 assert(#s == 5 and s[1] == 1 and s:get(2) == -2 and s[6] ~= s[6] and s[0] ~= s[0])\n\
                 assert(tostring(s) == 'series(5)')\n\
                 local t = s:totable()\n\
                 assert(#t == 5 and t[4] == 4.5)\n\
                 return {\n\
                   a = (s + 1) * 2 - s / 4,\n\
                   b = 10 - s ^ 2,\n\
                   c = s % 3,\n\
                   d = -s,\n\
                   e = s:gt(0) + s:le(-2) * 10,\n\
                   f = s:shift(2):nz(-1),\n\
                   g = s:fill():abs():max(2),\n\
                   h = s:eq(series.new(5, 4.5)),\n\
                 }\n\
               end\n";
    let (_d, s) = must_load("ops.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(5);
    let o = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let n = f64::NAN;
    assert_close(&o[0], &[3.75, -1.5, n, 9.875, -10.25], 0.0, "a");
    assert_close(&o[1], &[9.0, 6.0, n, -10.25, -39.0], 0.0, "b");
    assert_close(&o[2], &[1.0, 1.0, n, 1.5, 2.0], 0.0, "c (Lua modulo)");
    assert_close(&o[3], &[-1.0, 2.0, n, -4.5, 7.0], 0.0, "d");
    assert_close(&o[4], &[1.0, 10.0, n, 1.0, 10.0], 0.0, "e");
    assert_close(&o[5], &[-1.0, -1.0, 1.0, -2.0, -1.0], 0.0, "f");
    assert_close(&o[6], &[2.0, 2.0, 2.0, 4.5, 7.0], 0.0, "g");
    assert_close(&o[7], &[0.0, 0.0, n, 1.0, 0.0], 0.0, "h");
}

#[test]
fn ta_functions_match_the_native_ones_and_check_arguments() {
    let src = "indicator { outputs = { {name='sma'}, {name='rsi'}, {name='x'} } }\n\
               function calculate(p)\n\
                 return { sma = ta.sma(close, 5), rsi = ta.rsi(close, 14), x = ta.crossover(close, ta.sma(close, 5)) }\n\
               end\n";
    let (_d, s) = must_load("ta.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(60);
    let o = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    use crate::script::ta;
    assert_close(&o[0], &ta::sma(&bars.close, 5), 0.0, "sma");
    assert_close(&o[1], &ta::rsi(&bars.close, 14), 0.0, "rsi");
    assert_close(
        &o[2],
        &ta::crossover(&bars.close, &ta::sma(&bars.close, 5)),
        0.0,
        "crossover",
    );
    let bad = [
        (
            "ta.sma(close, -3)",
            "ta.sma: period must be a positive integer, got -3",
        ),
        (
            "ta.ema(close, 2.5)",
            "ta.ema: period must be a positive integer, got 2.5",
        ),
        (
            "ta.rsi({1, 2, 3}, 2)",
            "ta.rsi: argument 1 must be a series, got table",
        ),
        (
            "ta.atr(high, low, close)",
            "ta.atr: period must be a positive integer, got nil",
        ),
        (
            "ta.max(close, 'x')",
            "ta.max: argument 2 must be a series or a number, got string",
        ),
        (
            "close + series.new(3)",
            "series +: series lengths differ (60 and 3)",
        ),
    ];
    for (expr, msg) in bad {
        let src = format!(
            "function calculate(p)\n  local v = {expr}\n  return {{ value = close }}\nend\n"
        );
        let (_d, s) = must_load("bad.lua", &src);
        let mut inst = s
            .instance(&serde_json::json!({}))
            .unwrap_or_else(|e| panic!("{e}"));
        let e = expect_kind(full(&mut inst, &bars.all()), ScriptErrorKind::Runtime);
        assert_eq!(e.message, msg, "{expr}");
        assert_eq!(e.line, Some(2), "{expr}: {e}");
    }
}

#[test]
fn named_inputs_time_and_missing_inputs() {
    let src = "indicator { inputs = { 'a' }, outputs = { { name = 'd' }, { name = 't' } } }\n\
               function calculate(p) return { d = inputs.a - close, t = time } end\n";
    let (_d, s) = must_load("in.lua", src);
    assert_eq!(s.info().input_names, ["a"]);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(4);
    let a = vec![1.0, 2.0, 3.0, 4.0];
    let mut inputs = bars.all();
    inputs.named.push(("a".into(), &a));
    let o = full(&mut inst, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let d: Vec<f64> = (0..4).map(|i| a[i] - bars.close[i]).collect();
    assert_eq!(o[0], d);
    assert_eq!(
        o[1],
        vec![
            1_704_067_200.0,
            1_704_067_260.0,
            1_704_067_320.0,
            1_704_067_380.0
        ]
    );
    let e = expect_kind(full(&mut inst, &bars.all()), ScriptErrorKind::Params);
    assert!(e.message.contains("needs input `a`"), "{e}");
    // Per-bar scripts read inputs as plain tables.
    let src = "indicator { outputs = { { name = 'v' } } }\nfunction on_bar(i) return inputs.b[i] + close[i] + time[i] end\n";
    let (_d, s) = must_load("pb.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut inputs = bars.all();
    inputs.named.push(("b".into(), &a));
    let o = full(&mut inst, &inputs).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o[0][3], 4.0 + bars.close[3] + 1_704_067_380.0);
    let e = expect_kind(full(&mut inst, &bars.all()), ScriptErrorKind::Params);
    assert!(e.message.contains("`inputs.b`"), "{e}");
}

#[test]
fn error_display_has_location_bar_traceback_and_help() {
    let e = ScriptError {
        kind: ScriptErrorKind::Runtime,
        file: "scripts/x.lua".into(),
        line: Some(12),
        bar: Some(57),
        message: "attempt to index a nil value".into(),
        traceback: Some("x.lua:12: in function 'on_bar'".into()),
        help: Some("check the value".into()),
    };
    assert_eq!(
        e.to_string(),
        "error: attempt to index a nil value\n  --> scripts/x.lua:12\n   = bar: 57\n   = traceback:\n       x.lua:12: in function 'on_bar'\n   = help: check the value"
    );
}

#[test]
fn a_misspelled_entry_point_gets_a_did_you_mean() {
    let cases = [
        (
            "local k = 2\nfunction OnCalculat(i) return C(i) end\nSettings = { line = {} }\n",
            "did you mean `OnCalculate`? the script defines `OnCalculat`",
            Some(2),
        ),
        (
            "indicator { outputs = { { name = 'v' } } }\nfunction on_bars(i, state, p) return close[i] end\n",
            "did you mean `on_bar`? the script defines `on_bars`",
            Some(2),
        ),
        (
            "local function helper() end\n\nfunction Calculate(p) return { value = close } end\n",
            "did you mean `calculate`? the script defines `Calculate`",
            Some(3),
        ),
    ];
    for (src, help, line) in cases {
        let (_d, r) = load_src("typo.lua", src);
        let e = expect_kind(r, ScriptErrorKind::Declaration);
        assert_eq!(
            e.message, "the script defines none of calculate, on_bar or OnCalculate",
            "{e}"
        );
        assert_eq!(e.help.as_deref(), Some(help), "{e}");
        assert_eq!(e.line, line, "{e}");
    }
    // Nothing close: the help says what to define.
    let (_d, r) = load_src("none.lua", "function compute(p) end\n");
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert!(
        e.help
            .as_deref()
            .unwrap_or("")
            .starts_with("define `function calculate(p)`"),
        "{e}"
    );
}

#[test]
fn a_misspelled_quik_init_or_settings_gets_a_did_you_mean() {
    let (_d, r) = load_src(
        "init.lua",
        "Settings = { line = { { Name = 'a' } } }\nfunction Inti() return 1 end\nfunction OnCalculate(i) return C(i) end\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert_eq!(
        e.message,
        "a QUIK script needs `function Init()` returning the number of lines"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `Init`? the script defines `Inti`"),
        "{e}"
    );
    assert_eq!(e.line, Some(2), "{e}");
    let (_d, r) = load_src(
        "settings.lua",
        "settings = { line = { { Name = 'a' } } }\nfunction Init() return 1 end\nfunction OnCalculate(i) return C(i) end\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `Settings`? the script defines `settings`"),
        "{e}"
    );
}
