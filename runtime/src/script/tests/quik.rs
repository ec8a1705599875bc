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
