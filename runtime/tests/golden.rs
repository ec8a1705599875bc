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
    draw(&model, size)
}

/// Draws `model` with its own preset (MSAA) on the shared GPU.
fn draw(model: &gpu_charts::scene::ChartModel, size: [u32; 2]) -> image::RgbaImage {
    let scene = build_frame(model, model.initial_view, size, 1.0);
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    gpu.apply(model).unwrap_or_else(|e| panic!("{e}"));
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
}

/// The `low-power` preset on 10 M ticks: no MSAA (hard edges) and one
/// min/max stroke per 2 px instead of per pixel; the other goldens are the
/// default `balanced`, unchanged since before presets.
#[test]
fn ticks_low_power_preset() {
    let mut session = ChartSession::default();
    session.set_options(gpu_charts::render::RenderOptions {
        quality: Some(gpu_charts::config::Quality::LowPower),
        ..Default::default()
    });
    let model = session
        .load(&common::repo().join("examples/ticks.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.quality.msaa_samples, 1);
    let img = draw(&model, [1000, 500]);
    common::assert_golden_image("ticks_low_power", &img);
}

#[test]
fn aapl_daily_candles_with_sma_ema_and_volume() {
    let img = render("examples/aapl.toml", [1200, 700]);
    common::assert_golden_image("aapl", &img);
}

#[test]
fn aapl_light_theme_log_scale() {
    let img = render("runtime/tests/charts/aapl_light_log.toml", [900, 500]);
    common::assert_golden_image("aapl_light_log", &img);
}

#[test]
fn ten_million_ticks_keep_their_envelope() {
    let img = render("examples/ticks.toml", [1000, 500]);
    common::assert_golden_image("ticks", &img);
}

#[test]
fn lua_supertrend_keltner_and_per_bar_rsi() {
    let img = render("examples/aapl_lua.toml", [1000, 600]);
    common::assert_golden_image("aapl_lua", &img);
}

#[test]
fn quik_scripts_unmodified_cp1251_bollinger_atr_and_cross_markers() {
    let img = render("examples/aapl_quik.toml", [1000, 600]);
    common::assert_golden_image("aapl_quik", &img);
}

#[test]
fn synthetic_ticks_as_five_minute_candles_with_the_timeframe_in_the_title() {
    let img = render("examples/ticks_candles.toml", [1000, 600]);
    common::assert_golden_image("ticks_candles", &img);
}

#[test]
fn lua_ichimoku_cloud_band() {
    let img = render("examples/aapl_ichimoku.toml", [1000, 600]);
    common::assert_golden_image("aapl_ichimoku", &img);
}

/// Dashed, dotted and dash-dot lines (a script's `dash`, QUIK's TYPE_DASH
/// ...): three flat lines in a pane of their own, each row's colour runs
/// measured along x.
#[test]
fn dashed_lines_alternate_on_and_off_with_their_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::repo().join("data/stocks.csv.gz");
    std::fs::write(
        dir.path().join("flat.lua"),
        "indicator { outputs = {\n\
           { name = 'solid', color = '#ff0000', width = 2, pane = 'own' },\n\
           { name = 'dash', color = '#00ff00', width = 2, pane = 'own', dash = 'dash' },\n\
           { name = 'dot', color = '#0000ff', width = 2, pane = 'own', dash = 'dot' },\n\
           { name = 'dashdot', color = '#ffff00', width = 2, pane = 'own', dash = 'dashdot' } } }\n\
         function calculate()\n\
           local z = close * 0\n\
           return { solid = z + 4, dash = z + 3, dot = z + 2, dashdot = z + 1 }\n\
         end\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chart.toml"),
        format!(
            r#"size = [600, 400]
[view]
start = "2012-01-03"
end = "2012-06-01"
[sources.aapl]
kind = "csv"
params = {{ path = "{}", symbol = "AAPL" }}
[[indicators]]
id = "flat"
script = "flat.lua"
input = "aapl"
[[panes]]
[[panes.series]]
type = "candlestick"
data = "aapl"
"#,
            data.display()
        ),
    )
    .unwrap();
    let mut session = ChartSession::default();
    let model = session
        .load(&dir.path().join("chart.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let size = [600, 400];
    let scene = build_frame(&model, model.initial_view, size, 1.0);
    // Each output asked for a pane of its own: panes 1 to 4.
    assert_eq!(scene.panes.len(), 5);
    let img = {
        let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
        gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"))
    };
    // Runs of "this line's colour" along the row through the line's centre,
    // inside the plot (away from its ends).
    // Runs of "this line's colour" along x, inside the plot (away from its
    // ends), on whichever of the rows through the line's centre shows it
    // most (a grid line may cross the centre row).
    let runs = |pane: usize, value: f64, want: [u8; 3]| -> Vec<(bool, u32)> {
        let plot = scene.panes[pane].plot;
        let yc = scene.panes[pane].y_of(value).round() as i32;
        let (x0, x1) = (plot[0] as u32 + 20, (plot[0] + plot[2]) as u32 - 20);
        let row = |y: u32| -> Vec<bool> {
            (x0..x1)
                .map(|x| {
                    let p = img.get_pixel(x, y).0;
                    (0..3).all(|c| p[c].abs_diff(want[c]) < 60)
                })
                .collect()
        };
        let best = (yc - 2..=yc + 2)
            .map(|y| row(y as u32))
            .max_by_key(|r| r.iter().filter(|&&on| on).count())
            .unwrap_or_default();
        let mut out: Vec<(bool, u32)> = Vec::new();
        for on in best {
            match out.last_mut() {
                Some((o, n)) if *o == on => *n += 1,
                _ => out.push((on, 1)),
            }
        }
        out
    };
    let solid = runs(1, 4.0, [255, 0, 0]);
    assert_eq!(solid.len(), 1, "a solid line has no gaps: {solid:?}");
    assert!(solid[0].0);
    // Inner runs only (the first and last are cut by the window).
    let inner = |r: &[(bool, u32)]| -> (Vec<u32>, Vec<u32>) {
        let r = &r[1..r.len() - 1];
        (
            r.iter().filter(|x| x.0).map(|x| x.1).collect(),
            r.iter().filter(|x| !x.0).map(|x| x.1).collect(),
        )
    };
    // Width 2 px: dash 12 on / 8 off; dot 3 on / 3 off; dash-dot 12, 6, 3, 7.
    let (on, off) = inner(&runs(2, 3.0, [0, 255, 0]));
    assert!(on.len() >= 10, "dashes: {on:?}");
    assert!(
        on.iter().all(|&n| (11..=13).contains(&n)),
        "dash lengths {on:?}"
    );
    assert!(
        off.iter().all(|&n| (7..=9).contains(&n)),
        "gap lengths {off:?}"
    );
    let (on, off) = inner(&runs(3, 2.0, [0, 0, 255]));
    assert!(on.len() >= 40, "dots: {on:?}");
    assert!(
        on.iter().all(|&n| (2..=4).contains(&n)),
        "dot lengths {on:?}"
    );
    assert!(
        off.iter().all(|&n| (2..=4).contains(&n)),
        "dot gaps {off:?}"
    );
    let (on, _) = inner(&runs(4, 1.0, [255, 255, 0]));
    assert!(
        on.iter().any(|&n| n >= 11) && on.iter().any(|&n| n <= 4),
        "dash-dot {on:?}"
    );
}

fn aapl_model() -> gpu_charts::scene::ChartModel {
    let mut session = ChartSession::default();
    session
        .load(&common::repo().join("examples/aapl.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Large images render in tiles (each tile's texture and readback within
/// the device's limits), drawn from one scene with a shifted viewport: with
/// 64-px tiles forced on a 200×150 image (4×3 tiles, the last ones partial)
/// the result equals the untiled render pixel for pixel.
#[test]
fn a_tiled_render_equals_the_untiled_one_pixel_for_pixel() {
    let model = aapl_model();
    let scene = build_frame(&model, model.initial_view, [200, 150], 1.0);
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    let whole = gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    gpu.renderer.set_max_tile_side(Some(64));
    let tiled = gpu.render(&scene);
    gpu.renderer.set_max_tile_side(None);
    let tiled = tiled.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tiled.dimensions(), (200, 150));
    let differing = whole
        .pixels()
        .zip(tiled.pixels())
        .filter(|(a, b)| a != b)
        .count();
    if differing > 0 {
        let dir = std::env::temp_dir();
        let _ = whole.save(dir.join("tiles-whole.png"));
        let _ = tiled.save(dir.join("tiles-tiled.png"));
    }
    assert_eq!(
        differing, 0,
        "pixels differ between tiled and untiled renders"
    );
    // Not trivially equal: the chart is drawn (candles, text) in every tile row.
    let clear = whole.get_pixel(199, 149);
    for band in 0..3 {
        let drawn = (0..200)
            .flat_map(|x| (band * 50..band * 50 + 50).map(move |y| (x, y)))
            .filter(|&(x, y)| whole.get_pixel(x, y) != clear)
            .count();
        assert!(drawn > 100, "band {band}: {drawn} drawn pixels");
    }
}

/// A size whose readback buffer exceeds the device's `max_buffer_size`
/// (8193×8192 and up on lavapipe) is split into tiles that fit, and a side
/// past the largest texture is an error naming that limit, not a panic.
#[test]
fn image_sizes_past_the_device_limits_tile_or_fail_naming_the_limit() {
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    let limits = gpu.ctx.device.limits();
    let max = gpu_charts::gpu::max_image_side(&limits);
    let [tw, th] = gpu_charts::gpu::tile_size(&limits, [8193, 8192], None);
    let padded = (tw as u64 * 4).div_ceil(256) * 256;
    assert!(padded * th as u64 <= limits.max_buffer_size, "{tw}x{th}");
    let model = aapl_model();
    let scene = build_frame(&model, model.initial_view, [max + 1, 16], 1.0);
    let e = gpu.render(&scene).expect_err("too wide").to_string();
    assert!(
        e.contains(&format!("{}x16", max + 1)) && e.contains("max_texture_dimension_2d"),
        "{e}"
    );
}

/// Issue 14: tiny and lopsided sizes render (just the plot), on the GPU too.
#[test]
fn tiny_and_lopsided_sizes_render() {
    let model = aapl_model();
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    for size in [[1, 1], [16, 16], [40, 40], [16, 900], [1600, 16]] {
        let scene = build_frame(&model, model.initial_view, size, 1.0);
        let img = gpu
            .render(&scene)
            .unwrap_or_else(|e| panic!("{size:?}: {e}"));
        assert_eq!(img.dimensions(), (size[0], size[1]));
        if size != [1, 1] {
            // Candles in the plot: not only the background.
            let first = img.get_pixel(0, 0).0;
            let plain = img.pixels().filter(|p| p.0 == first).count();
            assert!(plain < img.pixels().len(), "{size:?}: one colour only");
        }
    }
}

/// The renderer recycles its own pooled buffers: from the second frame of
/// the same scene on, every buffer is a pool hit, no bind group, offscreen
/// target or readback buffer is created, and the pool's bytes stay put.
#[test]
fn the_second_frame_reuses_buffers_bind_groups_and_targets() {
    let model = aapl_model();
    let scene = build_frame(&model, model.initial_view, [320, 200], 1.0);
    let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    let first = gpu.renderer.stats();
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    let second = gpu.renderer.stats();
    gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
    let third = gpu.renderer.stats();
    // ui uniform, rects, glyphs, and a uniform and instances per series.
    let buffers = 3 + 2 * scene.series.len() as u64;
    for (a, b) in [(first, second), (second, third)] {
        assert_eq!(b.pool.misses, a.pool.misses, "{a:?} -> {b:?}");
        assert_eq!(b.pool.hits, a.pool.hits + buffers, "{a:?} -> {b:?}");
        assert_eq!(b.pool.bytes_allocated, a.pool.bytes_allocated);
        assert_eq!(b.bind_groups_created, a.bind_groups_created);
        assert_eq!(b.readback_targets_created, a.readback_targets_created);
        assert_eq!(b.msaa_targets_created, a.msaa_targets_created);
    }
    // A new size makes a new target once.
    let other = build_frame(&model, model.initial_view, [300, 200], 1.0);
    gpu.render(&other).unwrap_or_else(|e| panic!("{e}"));
    let fourth = gpu.renderer.stats();
    assert_eq!(
        fourth.readback_targets_created,
        third.readback_targets_created + 1
    );
    assert_eq!(fourth.msaa_targets_created, third.msaa_targets_created + 1);
    // Trim gives the free bytes back.
    let free = fourth.pool.bytes_free;
    assert!(free > 0);
    assert_eq!(gpu.renderer.trim(0), free);
    assert_eq!(gpu.renderer.stats().pool.bytes_free, 0);
}

/// The golden tolerance catches a one-pixel shift: moving one line (the
/// SMA 20 of the `aapl` golden) one pixel right fails the comparison that
/// the unmoved render passes, and so does shifting the whole image.
#[test]
fn a_one_pixel_shift_of_a_line_fails_the_golden_comparison() {
    use gpu_charts::scene::frame::Instances;
    let golden = common::golden_image("aapl").unwrap_or_else(|e| panic!("{e}"));
    let model = aapl_model();
    let scene = build_frame(&model, model.initial_view, [1200, 700], 1.0);
    let mut shifted = scene.clone();
    let sma = shifted
        .series
        .iter_mut()
        .find(|s| matches!(s.instances, Instances::Points(_)))
        .expect("the SMA line");
    let Instances::Points(points) = &mut sma.instances else {
        unreachable!()
    };
    for p in points.iter_mut() {
        p.x_px += 1.0;
    }
    let (same, moved) = {
        let mut gpu = gpu().lock().unwrap_or_else(|p| p.into_inner());
        let same = gpu.render(&scene).unwrap_or_else(|e| panic!("{e}"));
        let moved = gpu.render(&shifted).unwrap_or_else(|e| panic!("{e}"));
        (same, moved)
    };
    let tol = (common::GOLDEN_CHANNEL_TOL, common::GOLDEN_MAX_FRACTION);
    if let Err(m) = common::compare_images(&golden, &same, tol.0, tol.1) {
        panic!(
            "the unmoved render differs from the golden: {} pixels",
            m.differing
        );
    }
    let m = common::compare_images(&golden, &moved, tol.0, tol.1)
        .expect_err("a line moved by one pixel must fail");
    eprintln!(
        "one line moved: {} pixels ({:.4}%)",
        m.differing,
        m.fraction * 100.0
    );
    // The old tolerance (40 per channel, 0.4% of the pixels) let it through.
    assert!(common::compare_images(&golden, &moved, 40, 0.004).is_ok());

    // The whole image one pixel to the right (first column repeated).
    let whole = image::RgbaImage::from_fn(golden.width(), golden.height(), |x, y| {
        *golden.get_pixel(x.saturating_sub(1), y)
    });
    let m = common::compare_images(&golden, &whole, tol.0, tol.1)
        .expect_err("the image moved by one pixel must fail");
    eprintln!(
        "image moved: {} pixels ({:.4}%)",
        m.differing,
        m.fraction * 100.0
    );
}
