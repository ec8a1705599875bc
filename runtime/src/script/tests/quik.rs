//! QUIK indicator scripts: Windows-1251 files, Settings as declarations and
//! parameters, and the QUIK API functions.

use super::*;
use crate::script::{MarkerShape, OutputStyle, ParamType, ScriptKind};

fn cp1251(text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!had_errors);
    bytes.into_owned()
}

#[test]
fn windows_1251_script_loads_with_its_russian_names() {
    let src = "Settings = {\n\
                 Name = \"Скользящая\",\n\
                 [\"Период\"] = 5,\n\
                 line = {\n\
                   { Name = \"Линия\", Color = RGB(255, 128, 0), Type = TYPE_LINE, Width = 2 },\n\
                   { Name = \"Сигнал\", Color = RGB(0, 0, 255), Type = TYPE_TRIANGLE_UP, Width = 3 },\n\
                   { Name = \"Гистограмма\", Type = TYPE_HISTOGRAM },\n\
                 }\n\
               }\n\
               function Init() return 3 end\n\
               function OnCalculate(i) return C(i), nil, Settings[\"Период\"] end\n";
    let bytes = cp1251(src);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file must not be UTF-8"
    );
    let d = Dir::new();
    let p = d.file("ma.lua", &bytes);
    let s = Script::load(&p, small_limits()).unwrap_or_else(|e| panic!("{e}"));
    let info = s.info();
    assert_eq!(info.kind, ScriptKind::Quik);
    assert_eq!(info.name, "Скользящая");
    let names: Vec<&str> = info.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Линия", "Сигнал", "Гистограмма"]);
    assert_eq!(info.outputs[0].color.as_deref(), Some("#ff8000"));
    assert_eq!(info.outputs[0].width, Some(2.0));
    assert_eq!(info.outputs[0].style, OutputStyle::Line);
    assert_eq!(
        info.outputs[1].style,
        OutputStyle::Markers {
            shape: MarkerShape::TriangleUp,
            size: 10.0
        }
    );
    assert_eq!(
        info.outputs[2].style,
        OutputStyle::Histogram {
            color_by_sign: false
        }
    );
    assert_eq!(info.params.len(), 1);
    assert_eq!(info.params[0].name, "Период");
    assert_eq!(info.params[0].ty, ParamType::Integer);
    assert_eq!(info.params[0].default, serde_json::json!(5));
    // The chart's value replaces Settings' before Init.
    let mut inst = s
        .instance(&serde_json::json!({ "Период": 8 }))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(4);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], bars.close);
    assert!(out[1].iter().all(|x| x.is_nan()));
    assert_eq!(out[2], vec![8.0; 4]);
}

#[test]
fn quik_api_functions() {
    let src = "Settings = { Name = 'API', line = { { Name = 'a' }, { Name = 'b' } } }\n\
               function Init() message('init ' .. Size(), 1) return 2 end\n\
               function OnCalculate(i)\n\
                 if i == Size() then\n\
                   local t = T(i)\n\
                   PrintDbgStr(string.format('%d-%02d-%02d %d %02d:%02d', t.year, t.month, t.day, t.week_day, t.hour, t.min))\n\
                   local src = getDataSourceInfo()\n\
                   message(src.sec_code .. ' ' .. src.interval)\n\
                   SetValue(1, 2, 42)\n\
                   SetRangeValue(2, 2, 3, 7)\n\
                   message(tostring(GetValue(2, 2)) .. ' ' .. tostring(GetValue(i, 1)))\n\
                 end\n\
                 if not CandleExist(i) then return nil end\n\
                 return O(i) + H(i) + L(i) + C(i) + V(i)\n\
               end\n";
    let (_d, s) = must_load("api.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    inst.set_data_source("TQBR", "SBER", 1440)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut bars = Bars::new(6);
    bars.close[2] = f64::NAN;
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    for (i, &got) in out[0].iter().enumerate() {
        let want = bars.open[i] + bars.high[i] + bars.low[i] + bars.close[i] + bars.volume[i];
        if i == 2 {
            assert!(got.is_nan());
        } else {
            assert_eq!(got, want, "row {i}");
        }
    }
    // SetValue wrote rows before the computed bar; the host gets them.
    assert_eq!(out[1][0], 42.0);
    assert_eq!(&out[1][1..3], &[7.0, 7.0]);
    assert!(out[1][3..].iter().all(|x| x.is_nan()));
    // Bar 6 is 2024-01-01 00:05, a Monday (week_day 1, Sunday = 0).
    let last = out[0][5];
    assert_eq!(
        inst.take_log(),
        vec![
            "init 0".to_string(),
            "2024-01-01 1 00:05".into(),
            "SBER 1440".into(),
            "7 nil".into(),
        ]
    );
    assert!(!last.is_nan());
}

#[test]
fn quik_settings_without_lines_take_the_count_from_init() {
    let src = "Settings = { Name = 'NoLines', K = 2.5 }\nfunction Init() return 2 end\nfunction OnCalculate(i) return C(i) * Settings.K, i end\n";
    let (_d, s) = must_load("n.lua", src);
    let names: Vec<&str> = s.info().outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["line1", "line2"]);
    assert_eq!(s.info().params[0].ty, ParamType::Number);
    let mut inst = s
        .instance(&serde_json::json!({ "K": 2.0 }))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(3);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out[0],
        bars.close.iter().map(|c| c * 2.0).collect::<Vec<_>>()
    );
    assert_eq!(out[1], vec![1.0, 2.0, 3.0]);
}

#[test]
fn quik_runtime_error_names_the_bar() {
    let src = "Settings = { Name = 'E', line = { { Name = 'a' } } }\nfunction Init() return 1 end\nfunction OnCalculate(i)\n  if i == 7 then error('boom at ' .. i) end\n  return C(i)\nend\n";
    let (_d, s) = must_load("e.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let e = expect_kind(
        full(&mut inst, &Bars::new(10).all()),
        ScriptErrorKind::Runtime,
    );
    assert_eq!(e.bar, Some(7), "{e}");
    assert_eq!(e.line, Some(4), "{e}");
    assert_eq!(e.message, "boom at 7");
}

// ---------------------------------------------------------------------------
// Scripts in the style of public QUIK indicators (ARQA's LuaIndicators
// examples, nick-nh/qlua): multi-line Settings, global helpers, state reset
// at index 1, CandleExist guards, SetValue/SetRangeValue on past bars,
// GetValue of the previous bar, T(i) for daily resets, libraries loaded
// through getWorkingFolder(). Each is checked against a computation written
// out here.
// ---------------------------------------------------------------------------

/// Bars `step_s` seconds apart from 2024-01-01T00:00:00Z (a Monday).
fn spaced_bars(n: usize, step_s: i64) -> Bars {
    let mut b = Bars::new(n);
    b.time_ns = (0..n as i64)
        .map(|i| (1_704_067_200 + i * step_s) * 1_000_000_000)
        .collect();
    b
}

fn copy_bars(b: &Bars) -> Bars {
    Bars {
        time_ns: b.time_ns.clone(),
        open: b.open.clone(),
        high: b.high.clone(),
        low: b.low.clone(),
        close: b.close.clone(),
        volume: b.volume.clone(),
    }
}

fn quik_instance(name: &str, src: &str, params: serde_json::Value) -> (Dir, ScriptInstance) {
    let (d, s) = must_load(name, src);
    let inst = s.instance(&params).unwrap_or_else(|e| panic!("{e}"));
    (d, inst)
}

/// Feeds bars one at a time as a live chart does (each new bar first with a
/// provisional high and close, then corrected); returns the outputs.
fn live_quik(inst: &mut ScriptInstance, bars: &Bars, start: usize) -> Vec<Vec<f64>> {
    let k = inst.info().outputs.len();
    let mut outs = vec![vec![f64::NAN; start]; k];
    inst.compute(&bars.inputs(start), &mut outs, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut provisional = copy_bars(bars);
    for m in start + 1..=bars.close.len() {
        provisional.close[m - 1] = bars.close[m - 1] + 3.0;
        provisional.high[m - 1] = bars.high[m - 1] + 4.0;
        for o in outs.iter_mut() {
            o.push(f64::NAN);
        }
        inst.compute(&provisional.inputs(m), &mut outs, m - 1)
            .unwrap_or_else(|e| panic!("{e}"));
        provisional.close[m - 1] = bars.close[m - 1];
        provisional.high[m - 1] = bars.high[m - 1];
        inst.compute(&bars.inputs(m), &mut outs, m - 1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    outs
}

fn nan_eq(a: &[f64], b: &[f64], what: &str) {
    assert_close(a, b, 1e-9, what);
}

#[test]
fn quik_line_types_map_to_output_styles() {
    let src = "Settings = {\n\
        Name = 'Styles',\n\
        line = {\n\
          { Name = 'L',  Color = RGB(255, 0, 0), Type = TYPE_LINE, Width = 1 },\n\
          { Name = 'Hist', Color = RGB(0, 255, 0), Type = TYPE_HISTOGRAM, Width = 3 },\n\
          { Name = 'Pt', Type = TYPE_POINT, Width = 2 },\n\
          { Name = 'Dash', Type = TYPE_DASH },\n\
          { Name = 'DashDot', Type = TYPE_DASHDOT },\n\
          { Name = 'Dot', Type = TYPE_DOT },\n\
          { Name = 'DashLine', Type = TYPE_DASHLINE },\n\
          { Name = 'Bar', Type = TYPET_BAR, Width = 2 },\n\
          { Name = 'Up', Type = TYPE_TRIANGLE_UP, Width = 3 },\n\
          { Name = 'Down', Type = TYPE_TRIANGLE_DOWN },\n\
          { Name = 'NoType', Color = RGB(1, 2, 3) },\n\
        }\n\
      }\n\
      function Init() return #Settings.line end\n\
      function OnCalculate(index) return nil end\n";
    let (_d, s) = must_load("styles.lua", src);
    let o = &s.info().outputs;
    let styles: Vec<&OutputStyle> = o.iter().map(|x| &x.style).collect();
    let tri = |shape, size| OutputStyle::Markers { shape, size };
    assert_eq!(
        styles,
        [
            &OutputStyle::Line,
            &OutputStyle::Histogram {
                color_by_sign: false
            },
            &OutputStyle::Points,
            &OutputStyle::Line,
            &OutputStyle::Line,
            &OutputStyle::Line,
            &OutputStyle::Line,
            &OutputStyle::Line,
            &tri(MarkerShape::TriangleUp, 10.0),
            &tri(MarkerShape::TriangleDown, 6.0),
            &OutputStyle::Line,
        ]
    );
    let dashes: Vec<crate::script::LineDash> = o.iter().map(|x| x.dash).collect();
    use crate::script::LineDash::{Dash, DashDot, Dot, Solid};
    assert_eq!(
        dashes,
        [
            Solid, Solid, Solid, Dash, DashDot, Dot, Dash, Solid, Solid, Solid, Solid
        ]
    );
    assert_eq!(o[0].color.as_deref(), Some("#ff0000"));
    assert_eq!(o[1].width, Some(3.0));
    assert_eq!(o[10].color.as_deref(), Some("#010203"));
    assert_eq!(o[3].color, None);
}

#[test]
fn quik_constants_are_defined_and_distinct() {
    let src = "Settings = { Name = 'K', line = { { Name = 'a' } } }\n\
      function Init()\n\
        local names = { 'TYPE_LINE', 'TYPE_HISTOGRAM', 'TYPE_POINT', 'TYPE_DASH', 'TYPE_DASHDOT',\n\
                        'TYPE_DOT', 'TYPET_BAR', 'TYPE_TRIANGLE_UP', 'TYPE_TRIANGLE_DOWN' }\n\
        local seen = {}\n\
        for _, n in ipairs(names) do\n\
          local v = _G[n]\n\
          if math.type(v) ~= 'integer' then message(n .. ' is not an integer') end\n\
          if seen[v] then message(n .. ' repeats ' .. seen[v]) end\n\
          seen[v] = n\n\
        end\n\
        message(tostring(TYPE_DASHLINE == TYPE_DASH))\n\
        message(table.concat({ INTERVAL_TICK, INTERVAL_M1, INTERVAL_M5, INTERVAL_M15, INTERVAL_H1,\n\
                               INTERVAL_H4, INTERVAL_D1, INTERVAL_W1, INTERVAL_MN1 }, ' '))\n\
        message(tostring(RGB(255, 128, 0)) .. ' ' .. tostring(RGB(300, 0, 0)))\n\
        return 1\n\
      end\n\
      function OnCalculate(index) return nil end\n";
    let (_d, mut inst) = quik_instance("k.lua", src, serde_json::json!({}));
    assert_eq!(
        inst.take_log(),
        [
            "true",
            "0 1 5 15 60 240 1440 10080 23200",
            // COLORREF: r + g*256 + b*65536, each channel a byte.
            "33023 44",
        ]
    );
}

#[test]
fn quik_init_count_decides_the_lines_and_init_may_fill_settings_line() {
    // Lines chosen by a string setting and described in Init, as
    // nick-nh's bigPeriodLines does; the Settings params are read before Init.
    let src = "local palette = { RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255) }\n\
      Settings = { Name = 'Picked', showLines = '1;3', offset = 0.5 }\n\
      local picked = {}\n\
      function Init()\n\
        Settings.line, picked = {}, {}\n\
        for part in string.gmatch(Settings.showLines, '([^;]+)') do\n\
          local k = tonumber(part)\n\
          picked[#picked + 1] = k\n\
          Settings.line[#picked] = { Name = 'Line ' .. k, Color = palette[k], Type = TYPE_LINE, Width = 2 }\n\
        end\n\
        Settings.computed = 42\n\
        return #Settings.line\n\
      end\n\
      function OnChangeSettings() Init() end\n\
      function OnCalculate(index)\n\
        local out = {}\n\
        for j, k in ipairs(picked) do out[j] = C(index) * k + Settings.offset end\n\
        return table.unpack(out)\n\
      end\n";
    let (_d, s) = must_load("picked.lua", src);
    let info = s.info();
    let names: Vec<&str> = info.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Line_1", "Line_3"]);
    assert_eq!(info.outputs[1].color.as_deref(), Some("#0000ff"));
    let pnames: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        pnames,
        ["offset", "showLines"],
        "`computed` is set by Init, not a setting"
    );
    let bars = Bars::new(8);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let want1: Vec<f64> = bars.close.iter().map(|c| c + 0.5).collect();
    let want3: Vec<f64> = bars.close.iter().map(|c| c * 3.0 + 0.5).collect();
    assert_eq!(out, [want1, want3]);

    // Init returning fewer lines than Settings.line describes: QUIK draws
    // that many; more: the extra lines have default styles.
    let src = "Settings = { Name = 'Few', line = { { Name = 'a' }, { Name = 'b' }, { Name = 'c' } } }\n\
      function Init() return 2 end\n\
      function OnCalculate(i) return 1, 2, 3 end\n";
    let (_d, s) = must_load("few.lua", src);
    let names: Vec<&str> = s.info().outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let src = "Settings = { Name = 'More', line = { { Name = 'a' } } }\n\
      function Init() return 3 end\n\
      function OnCalculate(i) return 1, 2, 3 end\n";
    let (_d, s) = must_load("more.lua", src);
    let names: Vec<&str> = s.info().outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "line2", "line3"]);
}

#[test]
fn quik_settings_of_every_kind_become_params() {
    // ARQA's example indicators keep method names and "off" switches as
    // strings in Settings and convert them with tonumber.
    let src = "Settings = {\n\
        Name = '*MA (test)',\n\
        Period = 3,\n\
        Multiply = 1.5,\n\
        Metod = 'SMA',\n\
        Round = 'off',\n\
        Horizontal_line = 'off',\n\
        Show = true,\n\
        ['1. Сдвиг'] = 0,\n\
        Nested = { 1, 2 },\n\
        line = { { Name = 'Horizontal line', Type = TYPE_LINE }, { Name = 'MA', Type = TYPE_LINE } }\n\
      }\n\
      function Init() func = MA() return #Settings.line end\n\
      function OnCalculate(Index)\n\
        return tonumber(Settings.Horizontal_line), Convert(func(Index, Settings))\n\
      end\n\
      function Convert(v)\n\
        if v == nil then return nil end\n\
        v = v * Settings.Multiply + Settings['1. Сдвиг']\n\
        local r = tonumber(Settings.Round)\n\
        if r then v = math.floor(v * 10 ^ r + 0.5) / 10 ^ r end\n\
        if not Settings.Show then return nil end\n\
        return v\n\
      end\n\
      function MA()\n\
        local sum = {}\n\
        return function(I, s)\n\
          if I == 1 then sum = {} end\n\
          sum[I] = (sum[I - 1] or 0) + (CandleExist(I) and C(I) or 0)\n\
          if I < s.Period then return nil end\n\
          return (sum[I] - (sum[I - s.Period] or 0)) / s.Period\n\
        end\n\
      end\n";
    let (_d, s) = must_load("ma.lua", src);
    let info = s.info();
    assert_eq!(info.name, "*MA (test)");
    let got: Vec<(&str, ParamType, serde_json::Value)> = info
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty, p.default.clone()))
        .collect();
    use serde_json::json;
    assert_eq!(
        got,
        [
            ("1. Сдвиг", ParamType::Integer, json!(0)),
            ("Horizontal_line", ParamType::String, json!("off")),
            ("Metod", ParamType::String, json!("SMA")),
            ("Multiply", ParamType::Number, json!(1.5)),
            ("Period", ParamType::Integer, json!(3)),
            ("Round", ParamType::String, json!("off")),
            ("Show", ParamType::Boolean, json!(true)),
        ]
    );
    let bars = Bars::new(12);
    let sma = |p: usize| -> Vec<f64> {
        (0..12)
            .map(|i| {
                if i + 1 < p {
                    f64::NAN
                } else {
                    bars.close[i + 1 - p..=i].iter().sum::<f64>() / p as f64
                }
            })
            .collect()
    };
    let mut inst = s.instance(&json!({})).unwrap_or_else(|e| panic!("{e}"));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert!(out[0].iter().all(|x| x.is_nan()), "tonumber('off') is nil");
    let want: Vec<f64> = sma(3).iter().map(|v| v * 1.5).collect();
    nan_eq(&out[1], &want, "default settings");

    let mut inst = s
        .instance(&json!({ "Period": 4, "Round": "2", "Horizontal_line": "100", "1. Сдвиг": 10 }))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], vec![100.0; 12]);
    let want: Vec<f64> = sma(4)
        .iter()
        .map(|v| ((v * 1.5 + 10.0) * 100.0 + 0.5).floor() / 100.0)
        .collect();
    nan_eq(&out[1], &want, "chart settings");

    let mut inst = s
        .instance(&json!({ "Show": false }))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert!(out[1].iter().all(|x| x.is_nan()));
}

#[test]
fn quik_data_functions_at_and_beyond_the_edges() {
    let src = "Settings = { Name = 'Edges', line = { { Name = 'a' }, { Name = 'b' } } }\n\
      function Init() message('init size ' .. Size() .. ' ' .. tostring(C(1))) return 2 end\n\
      local function show(v) return v == nil and 'nil' or tostring(v) end\n\
      function OnCalculate(index)\n\
        if index == Size() then\n\
          local n = Size()\n\
          message(table.concat({ show(O(0)), show(H(n + 1)), show(L(-1)), show(C(1.5)),\n\
                                 show(V('x')), show(T(0)), show(T(n + 1)), show(C(nil)) }, ' '))\n\
          message(table.concat({ show(CandleExist(0)), show(CandleExist(n + 1)), show(CandleExist(3)),\n\
                                 show(O(3)), show(V(3)), show(T(3).min) }, ' '))\n\
          message(table.concat({ show(SetValue(0, 1, 5)), show(SetValue(n + 1, 1, 5)), show(SetValue(1, 3, 5)),\n\
                                 show(SetValue(1.5, 1, 5)), show(SetValue(2, 1, 'x')), show(SetValue(2, 1, '7.5')) }, ' '))\n\
          message(table.concat({ show(GetValue(0, 1)), show(GetValue(2, 1)), show(GetValue(2, 9)),\n\
                                 show(GetValue(n, 2)) }, ' '))\n\
          SetRangeValue(2, -5, 3, 1)\n\
          SetRangeValue(2, n - 1, n + 100, 9)\n\
          SetRangeValue(2, n - 1, n - 1, nil)\n\
          message(show(SetRangeValue(5, 1, 2, 0)))\n\
        end\n\
        return nil\n\
      end\n";
    let (_d, mut inst) = quik_instance("edges.lua", src, serde_json::json!({}));
    let mut bars = Bars::new(8);
    bars.close[2] = f64::NAN;
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        inst.take_log(),
        [
            "init size 0 nil",
            "nil nil nil nil nil nil nil nil",
            // Bar 3 has no close: it does not exist, yet has a time (00:02).
            "false false false nil nil 2",
            "false false false false false true",
            "nil 7.5 nil nil",
            "false",
        ]
    );
    assert_eq!(out[0][1], 7.5);
    assert!(out[0].iter().enumerate().all(|(i, x)| i == 1 || x.is_nan()));
    let want_b = [1.0, 1.0, 1.0, f64::NAN, f64::NAN, f64::NAN, f64::NAN, 9.0];
    nan_eq(&out[1], &want_b, "SetRangeValue clipped to the bars");
}

/// Day levels: the day's open, its high painted back over the whole day,
/// and a VWAP that restarts each day (T(i).day changes), skipping candles
/// that do not exist. Sums are kept per index so that QUIK's recalculation
/// of the last candle does not count it twice.
const DAY_LEVELS: &str = "--[[ Уровни дня ]]\n\
Settings = {\n\
  Name = 'Day levels',\n\
  line = {\n\
    { Name = 'DayOpen', Color = RGB(0, 128, 255), Type = TYPET_BAR, Width = 2 },\n\
    { Name = 'DayHigh', Color = RGB(0, 160, 0), Type = TYPET_BAR, Width = 1 },\n\
    { Name = 'VWAP', Color = RGB(200, 0, 0), Type = TYPE_LINE, Width = 1 },\n\
  }\n\
}\n\
\n\
function NewDay(i)\n\
  return i == 1 or T(i).day ~= T(i - 1).day\n\
end\n\
\n\
function Init()\n\
  First, Open, High, PV, Vol = {}, {}, {}, {}, {}\n\
  return #Settings.line\n\
end\n\
\n\
function OnCalculate(index)\n\
  if index == 1 then First, Open, High, PV, Vol = {}, {}, {}, {}, {} end\n\
  if NewDay(index) then\n\
    First[index], Open[index], High[index], PV[index], Vol[index] = index, nil, nil, 0, 0\n\
  else\n\
    First[index], Open[index], High[index] = First[index - 1], Open[index - 1], High[index - 1]\n\
    PV[index], Vol[index] = PV[index - 1], Vol[index - 1]\n\
  end\n\
  if not CandleExist(index) then return nil end\n\
  Open[index] = Open[index] or O(index)\n\
  High[index] = math.max(High[index] or H(index), H(index))\n\
  local typical = (H(index) + L(index) + C(index)) / 3\n\
  PV[index] = PV[index] + typical * V(index)\n\
  Vol[index] = Vol[index] + V(index)\n\
  SetRangeValue(2, First[index], index, High[index])\n\
  return Open[index], nil, PV[index] / Vol[index]\n\
end\n";

/// The same levels, computed directly.
fn day_levels_reference(b: &Bars) -> [Vec<f64>; 3] {
    let n = b.close.len();
    let day = |i: usize| b.time_ns[i].div_euclid(86_400 * 1_000_000_000);
    let mut open = vec![f64::NAN; n];
    let mut high = vec![f64::NAN; n];
    let mut vwap = vec![f64::NAN; n];
    let mut start = 0;
    while start < n {
        let mut end = start;
        while end + 1 < n && day(end + 1) == day(start) {
            end += 1;
        }
        let exists: Vec<usize> = (start..=end).filter(|&i| !b.close[i].is_nan()).collect();
        let day_open = exists.first().map(|&i| b.open[i]);
        let day_high = exists.iter().map(|&i| b.high[i]).fold(f64::NAN, f64::max);
        let (mut pv, mut v) = (0.0, 0.0);
        for i in start..=end {
            if b.close[i].is_nan() {
                continue;
            }
            pv += (b.high[i] + b.low[i] + b.close[i]) / 3.0 * b.volume[i];
            v += b.volume[i];
            open[i] = day_open.unwrap_or(f64::NAN);
            vwap[i] = pv / v;
        }
        // The high is painted from the day's first bar to its last existing one.
        if let Some(&last) = exists.last() {
            for h in high.iter_mut().take(last + 1).skip(start) {
                *h = day_high;
            }
        }
        start = end + 1;
    }
    [open, high, vwap]
}

#[test]
fn quik_day_levels_reset_on_t_day_and_paint_past_bars() {
    // Four-hour bars over five days; bar 9 (a mid-day candle) is empty.
    let mut bars = spaced_bars(30, 4 * 3600);
    bars.close[8] = f64::NAN;
    let want = day_levels_reference(&bars);
    let (_d, mut inst) = quik_instance("day.lua", DAY_LEVELS, serde_json::json!({}));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    nan_eq(&out[0], &want[0], "day open");
    nan_eq(&out[1], &want[1], "day high");
    nan_eq(&out[2], &want[2], "vwap");
    // The values a reader can check by eye: day 2 starts at bar 7.
    assert_eq!(out[0][6], bars.open[6]);
    assert_eq!(out[0][11], bars.open[6]);
    assert!(out[1][8] == want[1][6], "the empty candle is painted too");

    // Live: bars arrive one at a time, the last one changing; SetRangeValue
    // repaints bars before `from`, and the host gets them.
    let (_e, mut live) = quik_instance("day2.lua", DAY_LEVELS, serde_json::json!({}));
    let got = live_quik(&mut live, &bars, 3);
    for k in 0..3 {
        nan_eq(&got[k], &want[k], &format!("live line {}", k + 1));
    }
}

#[test]
fn quik_ema_from_getvalue_of_the_previous_bar() {
    // The indicator's own previous value through GetValue, skipping empty
    // candles: bars 5 and 6 are empty.
    // The second line reads the bar ahead: it has no value yet, whatever an
    // earlier computation left there.
    let src = "Settings = { Name = 'EMA GetValue', Period = 5,\n\
        line = { { Name = 'EMA', Color = RGB(0, 0, 255), Type = TYPE_LINE, Width = 1 },\n\
                 { Name = 'Ahead', Type = TYPE_POINT } } }\n\
      function Init() return 2 end\n\
      function OnCalculate(index)\n\
        local ahead = GetValue(index + 1, 1)\n\
        if not CandleExist(index) then return nil, ahead end\n\
        local prev, j = nil, index - 1\n\
        while j >= 1 and prev == nil do prev = GetValue(j, 1) j = j - 1 end\n\
        if prev == nil then return C(index), ahead end\n\
        return prev + 2 / (Settings.Period + 1) * (C(index) - prev), ahead\n\
      end\n";
    let mut bars = Bars::new(40);
    bars.close[4] = f64::NAN;
    bars.close[5] = f64::NAN;
    let k = 2.0 / 6.0;
    let mut want = vec![f64::NAN; 40];
    let mut prev: Option<f64> = None;
    for (w, &c) in want.iter_mut().zip(&bars.close) {
        if c.is_nan() {
            continue;
        }
        let v = match prev {
            None => c,
            Some(p) => p + k * (c - p),
        };
        *w = v;
        prev = Some(v);
    }
    let (_d, mut inst) = quik_instance("ema.lua", src, serde_json::json!({}));
    let none = vec![f64::NAN; 40];
    for run in ["first", "second"] {
        let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
        nan_eq(&out[0], &want, run);
        nan_eq(&out[1], &none, run);
    }
    // A shorter history: nothing of the longer one is left for GetValue.
    let out = full(&mut inst, &bars.inputs(20)).unwrap_or_else(|e| panic!("{e}"));
    nan_eq(&out[0], &want[..20], "shorter history");
    nan_eq(&out[1], &none[..20], "shorter history");
    let (_e, mut live) = quik_instance("ema2.lua", src, serde_json::json!({}));
    let got = live_quik(&mut live, &bars, 10);
    nan_eq(&got[0], &want, "live");
    nan_eq(&got[1], &none, "live");
}

#[test]
fn quik_data_source_interval_is_inferred_or_set() {
    let src = "Settings = { Name = 'Src', line = { { Name = 'a' } } }\n\
      function Init() local s = getDataSourceInfo() message('init ' .. s.interval) return 1 end\n\
      function OnCalculate(index)\n\
        if index == 1 then\n\
          local s = getDataSourceInfo()\n\
          message(s.class_code .. '|' .. s.sec_code .. '|' .. s.interval)\n\
        end\n\
        return nil\n\
      end\n";
    let log_for = |bars: &Bars, set: Option<i64>| -> Vec<String> {
        let (_d, mut inst) = quik_instance("src.lua", src, serde_json::json!({}));
        if let Some(iv) = set {
            inst.set_data_source("SPBFUT", "RIH5", iv)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
        inst.take_log()
    };
    assert_eq!(log_for(&Bars::new(10), None), ["init 0", "||1"]);
    assert_eq!(log_for(&spaced_bars(10, 3600), None), ["init 0", "||60"]);
    // Daily bars over three weeks, weekends missing: the common gap is a day.
    let mut daily = spaced_bars(21, 86_400);
    let weekdays: Vec<i64> = daily
        .time_ns
        .iter()
        .copied()
        // 1970-01-01 was a Thursday: (days + 4) % 7 counts from Sunday = 0.
        .filter(|t| (1..=5).contains(&((t / 1_000_000_000 / 86_400 + 4) % 7)))
        .collect();
    daily = Bars::new(weekdays.len());
    daily.time_ns = weekdays;
    assert_eq!(log_for(&daily, None), ["init 0", "||1440"]);
    assert_eq!(
        log_for(&spaced_bars(10, 7 * 86_400), None),
        ["init 0", "||10080"]
    );
    assert_eq!(
        log_for(&spaced_bars(5, 30 * 86_400), None),
        ["init 0", "||23200"]
    );
    assert_eq!(
        log_for(&Bars::new(10), Some(5)),
        ["init 0", "SPBFUT|RIH5|5"]
    );
}

#[test]
fn quik_t_round_trips_through_os_time_in_utc() {
    // Scripts compare bar times with os.time(T(i)); the sandbox's local
    // time is UTC, so that is the bar's own time on every machine.
    let src = "Settings = { Name = 'Time', line = { { Name = 'secs' }, { Name = 'wday' } } }\n\
      function Init() return 2 end\n\
      function OnCalculate(index)\n\
        local t = T(index)\n\
        if index == 1 then\n\
          local d = os.date('*t', os.time(t))\n\
          message(os.date('%Y-%m-%d %H:%M:%S', os.time(t)) .. ' ' .. d.hour .. ' ' .. t.count .. ' ' .. t.ms)\n\
          message(os.time({ year = 2024, month = 13, day = 1, hour = 0 }) .. ' ' ..\n\
                  os.time({ year = 2024, month = 3, day = 0, hour = 0 }) .. ' ' ..\n\
                  os.time({ year = 2024, month = 1, day = 1 }))\n\
          local ok, err = pcall(os.time, { year = 2024, month = 1 })\n\
          message(tostring(ok) .. ' ' .. tostring(err))\n\
        end\n\
        return os.time(t), t.week_day\n\
      end\n";
    let bars = spaced_bars(10, 86_400 + 3_723);
    let (_d, mut inst) = quik_instance("time.lua", src, serde_json::json!({}));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let secs: Vec<f64> = bars
        .time_ns
        .iter()
        .map(|t| (t / 1_000_000_000) as f64)
        .collect();
    assert_eq!(out[0], secs);
    // 2024-01-01 is a Monday; week_day counts from Sunday = 0.
    let wday: Vec<f64> = (0..10).map(|i| ((1 + i) % 7) as f64).collect();
    assert_eq!(out[1], wday);
    let log = inst.take_log();
    assert_eq!(log[0], "2024-01-01 00:00:00 0 1 0");
    // Month 13 is January of the next year, day 0 the last day of the
    // previous month (2024 is a leap year); the hour defaults to 12.
    assert_eq!(log[1], "1735689600 1709164800 1704110400");
    assert!(log[2].starts_with("false"), "{}", log[2]);
    assert!(log[2].contains("field 'day' missing"), "{}", log[2]);
}

#[test]
fn quik_terminal_functions_fail_naming_themselves() {
    let src = "Settings = { Name = 'Clock', line = { { Name = 'a' } } }\n\
      function Init() return 1 end\n\
      function OnCalculate(index)\n\
        if index == 3 then\n\
          local now = getInfoParam('SERVERTIME')\n\
          local h = tonumber(now:sub(1, 2))\n\
          return h\n\
        end\n\
        return C(index)\n\
      end\n";
    let (_d, mut inst) = quik_instance("clock.lua", src, serde_json::json!({}));
    let e = expect_kind(
        full(&mut inst, &Bars::new(5).all()),
        ScriptErrorKind::Unsupported,
    );
    assert_eq!(
        e.message,
        "`getInfoParam` is a QUIK terminal function that gpu-charts does not provide"
    );
    assert_eq!(e.line, Some(5), "{e}");
    assert_eq!(e.bar, Some(3), "{e}");
    assert!(
        e.help.as_deref().is_some_and(|h| h.contains("pcall")),
        "{e}"
    );

    // Wrapped in pcall, as careful scripts do, the error is a value and the
    // script goes on.
    let src = "Settings = { Name = 'Guarded', line = { { Name = 'a' } } }\n\
      function Init() return 1 end\n\
      function OnCalculate(index)\n\
        if index == 1 then\n\
          for _, f in ipairs({ 'getNumCandles', 'AddLabel', 'CreateDataSource', 'getInfoParam', 'sleep' }) do\n\
            local ok, err = pcall(_G[f], 'tag')\n\
            message(tostring(ok) .. ' ' .. tostring(string.find(tostring(err), '`' .. f .. '`', 1, true) ~= nil))\n\
          end\n\
        end\n\
        return C(index)\n\
      end\n";
    let (_d, mut inst) = quik_instance("guarded.lua", src, serde_json::json!({}));
    let bars = Bars::new(4);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], bars.close);
    assert_eq!(inst.take_log(), vec!["false true".to_string(); 5]);
}

#[test]
fn quik_instrument_price_step_and_scale() {
    // Scripts round levels to the price step (nick-nh's rangeHV, vwap ...):
    // getParamEx(class, sec, "SEC_PRICE_STEP").param_value and
    // getSecurityInfo(class, sec).scale of the chart's own instrument.
    let src = "Settings = { Name = 'Ticks', line = { { Name = 'mid' } } }\n\
      local step, scale\n\
      function Init() return 1 end\n\
      function OnCalculate(index)\n\
        if index == 1 then\n\
          local ds = getDataSourceInfo()\n\
          step = tonumber(getParamEx(ds.class_code, ds.sec_code, 'SEC_PRICE_STEP').param_value)\n\
          scale = getSecurityInfo(ds.class_code, ds.sec_code).scale\n\
          local p = getParamEx2(ds.class_code, ds.sec_code, 'sec_scale')\n\
          message(getParamEx(ds.class_code, ds.sec_code, 'SEC_PRICE_STEP').param_value .. ' ' ..\n\
                  p.param_value .. ' ' .. p.param_type .. ' ' .. p.result .. ' ' .. scale .. ' ' ..\n\
                  getSecurityInfo(ds.class_code, ds.sec_code).min_price_step)\n\
        end\n\
        if not CandleExist(index) then return nil end\n\
        return math.floor((H(index) + L(index)) / 2 / step + 0.5) * step\n\
      end\n";
    // Prices on a 0.05 grid.
    let mut bars = Bars::new(30);
    let grid = |k: usize| 100.0 + 0.05 * (k % 40) as f64;
    for i in 0..30 {
        bars.low[i] = grid(i * 7);
        bars.open[i] = grid(i * 7 + 2);
        bars.close[i] = grid(i * 7 + 3);
        bars.high[i] = grid(i * 7 + 6);
    }
    let (_d, mut inst) = quik_instance("ticks.lua", src, serde_json::json!({}));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.take_log(), ["0.05 2 2 1 2 0.05"]);
    let want: Vec<f64> = (0..30)
        .map(|i| ((bars.high[i] + bars.low[i]) / 2.0 / 0.05 + 0.5).floor() * 0.05)
        .collect();
    nan_eq(&out[0], &want, "rounded to the inferred step");

    inst.set_instrument(0.1, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.take_log(), ["0.1 1 2 1 1 0.1"]);
    let want: Vec<f64> = (0..30)
        .map(|i| ((bars.high[i] + bars.low[i]) / 2.0 / 0.1 + 0.5).floor() * 0.1)
        .collect();
    nan_eq(&out[0], &want, "rounded to the host's step");

    // Another instrument, another parameter, or no candles yet: errors.
    let ask = |call: &str, at_init: bool| -> ScriptError {
        let (init, calc) = if at_init { (call, "") } else { ("", call) };
        let src = format!(
            "Settings = {{ Name = 'Ask', line = {{ {{ Name = 'a' }} }} }}\n\
             function Init() {init} return 1 end\n\
             function OnCalculate(index) {calc} return nil end\n"
        );
        let (_d, s) = must_load("ask.lua", &src);
        let r = s.instance(&serde_json::json!({})).and_then(|mut inst| {
            inst.set_data_source("TQBR", "SBER", 60)?;
            full(&mut inst, &bars.all())
        });
        expect_kind(r, ScriptErrorKind::Unsupported)
    };
    let e = ask("getParamEx('TQBR', 'SBER', 'STEPPRICE')", false);
    assert_eq!(
        e.message,
        "`getParamEx`: gpu-charts has no parameter STEPPRICE; it knows the chart instrument's SEC_PRICE_STEP and SEC_SCALE"
    );
    let e = ask("getSecurityInfo('TQBR', 'GAZP')", false);
    assert_eq!(
        e.message,
        "`getSecurityInfo`: gpu-charts knows only the chart's own instrument (TQBR SBER), not TQBR GAZP"
    );
    let e = ask("getParamEx('', '', 'SEC_SCALE')", true);
    assert!(
        e.message.contains("known once the chart has candles"),
        "{e}"
    );
}

#[test]
fn quik_libraries_load_through_the_working_folder() {
    // QUIK keeps indicators in <working folder>\LuaIndicators; scripts load
    // their libraries from there with Windows paths (here with a case
    // mismatch, which Windows ignores).
    let d = Dir::new();
    d.file(
        "ind/maLibTest.lua",
        "local M = {}\n\
         function M.sma(get, index, period)\n\
           if index < period then return nil end\n\
           local s = 0\n\
           for i = index - period + 1, index do s = s + get(i) end\n\
           return s / period\n\
         end\n\
         return M\n",
    );
    d.file(
        "ind/helpers.lua",
        "function Typical(i) return (H(i) + L(i) + C(i)) / 3 end\n",
    );
    d.file("ind/weights.lua", "return { typical = 2 }\n");
    d.file("outside.lua", "return 1\n");
    let p = d.file(
        "ind/lib_user.lua",
        "_G.load = _G.loadfile or _G.load\n\
         local lib = load(_G.getWorkingFolder() .. \"\\\\LuaIndicators\\\\malibtest.lua\")()\n\
         dofile(getScriptPath() .. \"\\\\helpers.lua\")\n\
         local weights = loadfile(\"LuaIndicators\\\\Weights.lua\")()\n\
         Settings = { Name = 'Lib user', period = 3, line = { { Name = 'SMA' }, { Name = 'TP' } } }\n\
         function Init() return 2 end\n\
         function OnCalculate(index) return lib.sma(C, index, Settings.period), Typical(index) * weights.typical end\n",
    );
    let s = Script::load(&p, small_limits()).unwrap_or_else(|e| panic!("{e}"));
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(6);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let sma: Vec<f64> = (0..6)
        .map(|i| {
            if i < 2 {
                f64::NAN
            } else {
                (bars.close[i - 2] + bars.close[i - 1] + bars.close[i]) / 3.0
            }
        })
        .collect();
    nan_eq(&out[0], &sma, "library sma");
    let tp: Vec<f64> = (0..6)
        .map(|i| (bars.high[i] + bars.low[i] + bars.close[i]) / 3.0 * 2.0)
        .collect();
    nan_eq(&out[1], &tp, "helper");

    // The working folder is no way out of the sandbox.
    let p = d.file(
        "ind/escape.lua",
        "local f = dofile(getWorkingFolder() .. \"\\\\outside.lua\")\n\
         Settings = { Name = 'x', line = { { Name = 'a' } } }\n\
         function Init() return 1 end\n\
         function OnCalculate(i) return nil end\n",
    );
    let e = expect_kind(Script::load(&p, small_limits()), ScriptErrorKind::Sandbox);
    assert!(e.message.contains("outside the script's folder"), "{e}");
    assert_eq!(e.line, Some(1), "{e}");
}

#[test]
fn quik_bit_library_and_lua53_math_functions() {
    let src = "Settings = { Name = 'Bits', line = { { Name = 'a' } } }\n\
      function Init()\n\
        message(table.concat({ bit.band(0xF0, 0x3C), bit.bor(0xF0, 0x0F, 0x100), bit.bxor(6, 3),\n\
                               bit.bnot(0), tostring(bit.test(5, 0)), tostring(bit.test(5, 1)),\n\
                               tostring(bit.test(4.0, 2)) }, ' '))\n\
        message(bit.tohex(255) .. ' ' .. bit.tohex(255, -4) .. ' ' .. bit.tohex(-1, 4))\n\
        local m, e = math.frexp(8)\n\
        message(table.concat({ math.pow(2, 10), math.log10(1000), math.ldexp(0.75, 3), m, e,\n\
                               math.cosh(0), math.sinh(0), math.tanh(0) }, ' '))\n\
        local ok, err = pcall(bit.band, 'x', 1)\n\
        message(tostring(ok) .. ' ' .. tostring(err))\n\
        return 1\n\
      end\n\
      function OnCalculate(index) return nil end\n";
    let (_d, mut inst) = quik_instance("bits.lua", src, serde_json::json!({}));
    let log = inst.take_log();
    assert_eq!(log[0], "48 511 5 -1 true false true");
    assert_eq!(log[1], "000000ff 00FF ffff");
    assert_eq!(log[2], "1024.0 3.0 6.0 0.5 4 1.0 0.0 0.0");
    assert!(
        log[3].starts_with("false") && log[3].contains("bit.band"),
        "{}",
        log[3]
    );
}

#[test]
fn quik_message_levels_and_dark_theme() {
    let src = "Settings = { Name = 'Msg', line = { { Name = 'dark' } } }\n\
      function Init()\n\
        message('info')\n\
        message('warn', 2)\n\
        message('oops', 3)\n\
        message(42, 1)\n\
        PrintDbgStr('dbg')\n\
        return 1\n\
      end\n\
      function OnCalculate(index) return isDarkTheme() and 1 or 0 end\n";
    let (_d, mut inst) = quik_instance("msg.lua", src, serde_json::json!({}));
    assert_eq!(
        inst.take_log(),
        ["info", "warning: warn", "error: oops", "42", "dbg"]
    );
    let bars = Bars::new(3);
    assert_eq!(
        full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"))[0],
        [0.0; 3]
    );
    inst.set_dark_theme(true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"))[0],
        [1.0; 3]
    );
}

#[test]
fn quik_change_params_calls_on_change_settings_and_recomputes() {
    // nick-nh's pattern: Init builds the calculator from Settings, and
    // OnChangeSettings rebuilds it.
    let src = "Settings = { Name = 'Momentum', period = 2, line = { { Name = 'M' } } }\n\
      local calc\n\
      local function Momentum(s)\n\
        local p = s.period\n\
        return function(index)\n\
          if index <= p or not CandleExist(index) or not CandleExist(index - p) then return nil end\n\
          return C(index) - C(index - p)\n\
        end\n\
      end\n\
      function Init() calc = Momentum(Settings) return 1 end\n\
      function OnChangeSettings() message('changed to ' .. Settings.period) Init() end\n\
      function OnCalculate(index) return calc(index) end\n";
    let bars = Bars::new(10);
    let momentum = |p: usize| -> Vec<f64> {
        (0..10)
            .map(|i| {
                if i < p {
                    f64::NAN
                } else {
                    bars.close[i] - bars.close[i - p]
                }
            })
            .collect()
    };
    let (_d, mut inst) = quik_instance("mom.lua", src, serde_json::json!({}));
    let mut outs = vec![vec![f64::NAN; 10]];
    inst.compute(&bars.all(), &mut outs, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    nan_eq(&outs[0], &momentum(2), "period 2");
    inst.change_params(&serde_json::json!({ "period": 4 }))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inst.take_log(), ["changed to 4"]);
    // The host asks only for the last row; every row is recomputed.
    inst.compute(&bars.all(), &mut outs, 9)
        .unwrap_or_else(|e| panic!("{e}"));
    nan_eq(&outs[0], &momentum(4), "period 4");
    let e = expect_kind(
        inst.change_params(&serde_json::json!({ "perod": 4 })),
        ScriptErrorKind::Params,
    );
    assert!(
        e.help.as_deref().is_some_and(|h| h.contains("period")),
        "{e}"
    );
}

#[test]
fn quik_init_error_without_lines_is_reported_at_load() {
    // With no Settings.line to fall back on, the lines depend on Init, so
    // its error is the reason the script cannot load.
    let src = "Settings = { Name = 'Broken' }\n\
      function Init()\n\
        return #Settings.lines\n\
      end\n\
      function OnCalculate(index) return nil end\n";
    let (_d, s) = load_src("broken.lua", src);
    let e = expect_kind(s, ScriptErrorKind::Runtime);
    assert_eq!(e.line, Some(3), "{e}");
    assert!(e.message.contains("attempt to get length"), "{e}");
    // With Settings.line, the script loads; the instance reports Init's error.
    let src = "Settings = { Name = 'Broken', line = { { Name = 'a' } } }\n\
      function Init()\n\
        return #Settings.lines\n\
      end\n\
      function OnCalculate(index) return nil end\n";
    let (_d, s) = must_load("broken2.lua", src);
    assert_eq!(s.info().outputs.len(), 1);
    let e = expect_kind(s.instance(&serde_json::json!({})), ScriptErrorKind::Runtime);
    assert_eq!(e.line, Some(3), "{e}");
}

/// An indicator element: one line per output, the line argument picks it;
/// a range past the end is cut; getLinesCount counts the lines.
#[test]
fn indicator_elements_by_tag_give_their_lines() {
    let src = "Settings = { Name = 'lines', line = { { Name = 'v' } } }\n\
               function Init() return 1 end\n\
               function OnCalculate(i)\n\
                 if getLinesCount('ind') ~= 2 then return -1 end\n\
                 local t, n, l = getCandlesByIndex('ind', 1, i - 1, 5)\n\
                 if l ~= 'ind 1' or n ~= math.min(5, Size() - i + 1) then return -2 end\n\
                 if t[0].open ~= t[0].close or t[0].volume ~= 0 then return -3 end\n\
                 return t[0].close\n\
               end\n";
    let (_d, s) = must_load("lines.lua", src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(8);
    let first: Vec<f64> = (0..8).map(|i| i as f64).collect();
    let second: Vec<f64> = (0..8).map(|i| 100.0 + i as f64).collect();
    inst.set_chart_elements(vec![crate::script::ChartElement {
        tag: "ind".into(),
        time_ns: bars.time_ns.clone().into(),
        ohlcv: Default::default(),
        lines: vec![first.into(), second.clone().into()],
    }]);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0], second);
}

#[test]
fn quik_script_with_102_lines_draws_all_of_them() {
    // A public script returns 102 from Init(); lines past 64 used to be cut.
    let src = "Settings = { Name = 'Many', line = {} }\n\
      for k = 1, 102 do Settings.line[k] = { Name = 'L' .. k, Type = TYPE_LINE } end\n\
      function Init() return 102 end\n\
      function OnCalculate(i)\n\
        local ok = SetValue(i, 100, C(i) * 2)\n\
        if not ok then error('SetValue to line 100 failed') end\n\
        local out = {}\n\
        for k = 1, 102 do out[k] = C(i) + k end\n\
        out[100] = nil\n\
        return table.unpack(out, 1, 102)\n\
      end\n";
    let (_d, s) = must_load("many.lua", src);
    assert_eq!(s.info().outputs.len(), 102);
    assert_eq!(s.info().outputs[99].name, "L100");
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(6);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let line100: Vec<f64> = bars.close.iter().map(|c| c * 2.0).collect();
    let line102: Vec<f64> = bars.close.iter().map(|c| c + 102.0).collect();
    assert_eq!(out[99], line100);
    assert_eq!(out[101], line102);
    // An update of the last bar recomputes it in every line.
    let mut more = out.clone();
    for o in &mut more {
        o.push(f64::NAN);
    }
    let bars7 = Bars::new(7);
    inst.compute(&bars7.all(), &mut more, 6)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(more[99][6], bars7.close[6] * 2.0);
    assert_eq!(more[101][6], bars7.close[6] + 102.0);
}

#[test]
fn per_bar_script_with_120_outputs() {
    let outs: Vec<String> = (1..=120).map(|k| format!("{{ name = 'o{k}' }}")).collect();
    let src = format!(
        "indicator {{ outputs = {{ {} }} }}\n\
         function on_bar(i, state, p)\n  local r = {{}}\n  \
         for k = 1, 120 do r[k] = close[i] * k end\n  return table.unpack(r, 1, 120)\nend\n",
        outs.join(", ")
    );
    let (_d, s) = must_load("wide.lua", &src);
    let mut inst = s
        .instance(&serde_json::json!({}))
        .unwrap_or_else(|e| panic!("{e}"));
    let bars = Bars::new(5);
    let out = full(&mut inst, &bars.all()).unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<f64> = bars.close.iter().map(|c| c * 120.0).collect();
    assert_eq!(out[119], want);
}

#[test]
fn quik_init_returning_garbage_says_what_it_got() {
    let cases = [
        (
            "-1e12",
            "`Init()` returned -1000000000000; it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "2.5",
            "`Init()` returned 2.5; it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "0 / 0",
            "`Init()` returned NaN; it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "0",
            "`Init()` returned 0; it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "'two'",
            "`Init()` returned a string (\"two\"); it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "true",
            "`Init()` returned a boolean; it must return the number of lines the script draws, a whole number from 1 to 512",
        ),
        (
            "600",
            "`Init()` returned 600: more lines than the 512 a QUIK script may draw",
        ),
    ];
    for (ret, want) in cases {
        let src = format!(
            "Settings = {{ Name = 'Bad', line = {{ {{ Name = 'a' }} }} }}\n\
             function Init()\n  return {ret}\nend\n\
             function OnCalculate(i) return C(i) end\n"
        );
        let (_d, r) = load_src("bad_init.lua", &src);
        let e = expect_kind(r, ScriptErrorKind::Declaration);
        assert_eq!(e.message, want, "Init returning {ret}");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.help.as_deref().unwrap_or("").contains("return"), "{e}");
    }
    // Nil with lines described in Settings.line: every entry is a line.
    let src = "Settings = { Name = 'Nil', line = { { Name = 'a' }, { Name = 'b' } } }\n\
      function Init() end\nfunction OnCalculate(i) return C(i) end\n";
    let (_d, s) = must_load("nil_init.lua", src);
    assert_eq!(s.info().outputs.len(), 2);
    // Nil without any: the error says so.
    let (_d, r) = load_src(
        "nil_none.lua",
        "Settings = { Name = 'Nil' }\nfunction Init() end\nfunction OnCalculate(i) return C(i) end\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert!(e.message.contains("declares no lines"), "{e}");
    // More Settings.line entries than the cap, without a count.
    let (_d, r) = load_src(
        "huge.lua",
        "Settings = { Name = 'Huge', line = {} }\nfor k = 1, 513 do Settings.line[k] = {} end\n\
         function Init() end\nfunction OnCalculate(i) return C(i) end\n",
    );
    let e = expect_kind(r, ScriptErrorKind::Declaration);
    assert!(
        e.message
            .contains("513 lines in Settings.line, more than the 512"),
        "{e}"
    );
}
