//! Golden-image tests: the demo charts rendered headless (lavapipe in CI)
//! and compared with committed PNGs. `UPDATE_SNAPSHOTS=1` rewrites them.

mod common;

use std::sync::{Mutex, OnceLock};

use gpu_charts::render::{ChartSession, Offscreen};
use gpu_charts::scene::build_frame;

/// One GPU for all tests in this binary (lavapipe devices are expensive).
fn gpu() -> &'static Mutex<Offscreen> {
    static GPU: OnceLock<Mutex<Offscreen>> = OnceLock::new();
    GPU.get_or_init(|| {
        Mutex::new(Offscreen::new().expect("a GPU adapter (install mesa-vulkan-drivers)"))
    })
}

fn render(chart: &str, size: [u32; 2]) -> image::RgbaImage {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join(chart))
        .unwrap_or_else(|e| panic!("{e}"));
    let scene = build_frame(&model, model.initial_view, size, 1.0);
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn aapl_daily_candles_with_sma_ema_and_volume() {
    let img = render("examples/aapl.toml", [1200, 700]);
    common::assert_golden("aapl", &img, 40, 0.004);
}

#[test]
fn aapl_light_theme_log_scale() {
    let img = render("runtime/tests/charts/aapl_light_log.toml", [900, 500]);
    common::assert_golden("aapl_light_log", &img, 40, 0.004);
}

#[test]
fn ten_million_ticks_keep_their_envelope() {
    let img = render("examples/ticks.toml", [1000, 500]);
    common::assert_golden("ticks", &img, 40, 0.004);
}

#[test]
fn lua_supertrend_keltner_and_per_bar_rsi() {
    let img = render("examples/aapl_lua.toml", [1000, 600]);
    common::assert_golden("aapl_lua", &img, 40, 0.004);
}

#[test]
fn quik_scripts_unmodified_cp1251_bollinger_atr_and_cross_markers() {
    let img = render("examples/aapl_quik.toml", [1000, 600]);
    common::assert_golden("aapl_quik", &img, 40, 0.004);
}

#[test]
fn lua_ichimoku_cloud_band() {
    let img = render("examples/aapl_ichimoku.toml", [1000, 600]);
    common::assert_golden("aapl_ichimoku", &img, 40, 0.004);
}
