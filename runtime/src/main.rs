//! The `gpu-charts` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use gpu_charts::elog;
use gpu_charts::render::{ChartSession, Offscreen};

/// What the exit status means (also in the README).
const EXIT_STATUS_HELP: &str = "Exit status:
  0  everything was drawn (or written)
  1  nothing was drawn: the chart file, a script's declarations, the data or
     a plugin failed to load (the error is located in the file), or the
     output could not be written
  3  drawn with failed parts: indicators that failed while computing (a Lua
     error, an instruction or memory limit, a plugin's error code), and what
     reads them, were left out; each error is on stderr and, for images, in
     a banner over the chart; CSV exports lack their columns";

/// Exit status of a result drawn with failed parts (see [`EXIT_STATUS_HELP`]).
const EXIT_PARTIAL: i32 = 3;

/// GPU financial and time-series charts, extended by plugins.
#[derive(Parser)]
#[command(name = "gpu-charts", version, about, after_help = EXIT_STATUS_HELP)]
struct Cli {
    /// Extra plugin folder (repeatable); also `GPU_CHARTS_PLUGIN_PATH`.
    #[arg(long = "plugins", global = true)]
    plugin_dirs: Vec<PathBuf>,
    /// Show plugins' info and debug log lines (also `GPU_CHARTS_LOG=info|debug`);
    /// warnings and errors always show.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Memory budget over data and GPU buffers, e.g. `2GiB`, `512MiB` or
    /// bytes (overrides the chart file's `memory_budget`).
    #[arg(long, global = true, value_parser = gpu_charts::config::bytes::parse_byte_size)]
    memory_budget: Option<u64>,
    /// Quality preset: performance, balanced, quality, low-power or auto
    /// (overrides the chart file's `quality`).
    #[arg(long, global = true, value_parser = gpu_charts::quality::parse_preset)]
    quality: Option<gpu_charts::config::Quality>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render every chart in the examples folder to PNG and print the paths.
    Demo {
        /// Folder of chart files.
        #[arg(long, default_value = "examples")]
        examples: PathBuf,
        /// Output folder.
        #[arg(long, short, default_value = "out")]
        out: PathBuf,
    },
    /// Render a chart file to PNG.
    Render {
        /// The chart file (.toml or .json).
        chart: PathBuf,
        /// Output PNG.
        #[arg(short, long, default_value = "chart.png")]
        output: PathBuf,
        /// Size as WIDTHxHEIGHT (default: the chart file's `size`).
        #[arg(long, value_parser = parse_size)]
        size: Option<[u32; 2]>,
        /// Keep running: render again whenever the chart file, its scripts or
        /// its plugins change (a bad change prints its error and keeps the PNG).
        #[arg(long)]
        watch: bool,
        /// With --watch: stop after this many generations (for tests).
        #[arg(long, hide = true, requires = "watch")]
        max_generations: Option<u64>,
        /// With --watch: stop after this many milliseconds (for tests).
        #[arg(long, hide = true, requires = "watch")]
        exit_after_ms: Option<u64>,
    },
    /// Open a chart file in an interactive window (drag pans, wheel zooms,
    /// double-click resets, `]`/`[` step the timeframe up/down, F3 shows
    /// statistics; needs a display, see `render` for headless use).
    View {
        /// The chart file (.toml or .json). It is reloaded when it, a script
        /// it uses or a plugin library changes; a bad save keeps the last
        /// good chart on screen with the error over it.
        chart: PathBuf,
        /// Print a line per presented frame (for tests).
        #[arg(long, hide = true)]
        trace_frames: bool,
    },
    /// Check a chart file (schema, plugins, params, data, references) without rendering.
    Validate {
        /// The chart file.
        chart: PathBuf,
    },
    /// List plugin libraries found and what they provide.
    Plugins,
    /// Print the chart file's JSON Schema.
    Schema,
    /// Draw a scripted pan headless and print cache, buffer-pool and frame
    /// statistics with the quality preset and memory budget in effect.
    Stats {
        /// The chart file.
        chart: PathBuf,
        /// Frames of the pan.
        #[arg(long, default_value_t = 60)]
        frames: usize,
        /// Size as WIDTHxHEIGHT (default: the chart file's `size`).
        #[arg(long, value_parser = parse_size)]
        size: Option<[u32; 2]>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the chart's computed data (sources and indicators) as CSV.
    Export {
        /// The chart file.
        chart: PathBuf,
        /// Output CSV (`-` for standard output).
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// Convert data read by a source plugin (CSV, ...) to an Arrow IPC
    /// (.arrow) or Parquet (.parquet) file.
    Convert(gpu_charts::convert::ConvertArgs),
}

fn parse_size(s: &str) -> Result<[u32; 2], String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("`{s}` is not WIDTHxHEIGHT, e.g. 1600x900"))?;
    // The upper bound is the GPU's (checked once it is open, see `check_size_flag`).
    let p = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| n >= 1);
    match (p(w), p(h)) {
        (Some(w), Some(h)) => Ok([w, h]),
        _ => Err(format!(
            "`{s}`: width and height must be whole numbers of at least 1 pixel, e.g. 1600x900"
        )),
    }
}

/// `--size WxH` against the GPU's largest image side, with the limit named.
fn check_size_flag(gpu: &Offscreen, size: Option<[u32; 2]>) -> Result<()> {
    if let Some(size) = size {
        gpu.check_size(size)
            .with_context(|| format!("invalid `--size {}x{}`", size[0], size[1]))?;
    }
    Ok(())
}

fn main() {
    // Mesa's Vulkan loader complains on stderr when this is unset (headless
    // machines, CI); set it before any thread exists.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        #[allow(unsafe_code)]
        // SAFETY: single-threaded at this point; nothing reads the environment concurrently.
        unsafe {
            std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir())
        };
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Complete) => {}
        Ok(Outcome::Partial) => std::process::exit(EXIT_PARTIAL),
        Err(e) => fail(e),
    }
}

/// Whether a command drew everything or left failed parts out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Complete,
    Partial,
}

/// Prints the error and exits with status 1 (0 for a closed pipe).
fn fail(e: anyhow::Error) -> ! {
    if e.chain().any(is_broken_pipe) {
        // Whoever read our output stopped (`| head`): nothing is wrong.
        std::process::exit(0);
    }
    // Located config errors already render like compiler diagnostics.
    // `{:#}` appends each cause; library errors that wrap another one
    // are `transparent`, so every message appears once.
    elog!("{e:#}");
    std::process::exit(1);
}

/// Prints what the scripts printed, then each failed part of `model` once,
/// on stderr.
fn report_failed(model: &gpu_charts::scene::ChartModel) -> Outcome {
    for line in &model.build.script_log {
        elog!("{line}");
    }
    if model.failed.is_empty() {
        return Outcome::Complete;
    }
    for f in &model.failed {
        elog!("{}", f.error);
    }
    Outcome::Partial
}

/// `print!` that returns a closed pipe as an error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { gpu_charts::console::out(format_args!($($arg)*)) };
}

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    gpu_charts::console::is_broken_pipe(e)
}

fn warn_plugins(session: &ChartSession) {
    for w in &session.plugin_warnings {
        elog!("warning: {w}");
    }
}

/// Loads `chart`, printing the plugin-load warnings whether or not it loads
/// (a broken library may be why it does not).
fn load_warned(session: &mut ChartSession, chart: &Path) -> Result<gpu_charts::scene::ChartModel> {
    let model = session.load(chart);
    warn_plugins(session);
    Ok(model?)
}

fn run(cli: Cli) -> Result<Outcome> {
    if cli.verbose {
        gpu_charts::plugins::set_log_level(gpu_charts_plugin_api::GC_LOG_DEBUG);
    }
    let mut session = ChartSession::new(cli.plugin_dirs.clone());
    let mut render_options = gpu_charts::render::RenderOptions {
        quality: cli.quality,
        memory_budget_bytes: cli.memory_budget,
        adapter: None,
        tick_aggregator: None,
    };
    session.set_options(render_options.clone());
    match cli.command {
        Command::Schema => {
            out!("{}", gpu_charts::config::chart_schema_pretty())?;
        }
        Command::Plugins => {
            let registry = session.registry_for(&[]);
            out!("{}", registry.describe())?;
            warn_plugins(&session);
        }
        Command::Validate { chart } => {
            match gpu_charts::gpu::GpuContext::probe_max_image_side() {
                Ok(max) => session.set_max_image_side(Some(max)),
                Err(e) => elog!("warning: `size` not checked against the GPU's limits: {e}"),
            }
            let model = load_warned(&mut session, &chart)?;
            // The sources' tables (at their timeframe), not series tables.
            let shown = model
                .config
                .sources
                .keys()
                .filter_map(|id| model.tables.get(id));
            let rows: usize = shown.map(|t| t.len()).sum();
            let ids: Vec<&str> = model.failed.iter().map(|f| f.id.as_str()).collect();
            let verdict = if ids.is_empty() {
                "ok".to_string()
            } else {
                format!("drawn without {} (failed)", ids.join(", "))
            };
            out!(
                "{}: {verdict} ({} sources, {} rows, {} indicators, {} panes)\n",
                chart.display(),
                model.config.sources.len(),
                rows,
                model.config.indicators.len(),
                model.panes.len()
            )?;
            return Ok(report_failed(&model));
        }
        Command::Export { chart, output } => {
            let model = load_warned(&mut session, &chart)?;
            if output.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut lock = std::io::BufWriter::new(stdout.lock());
                gpu_charts::export::write_csv(&model, &mut lock)?;
                lock.flush()?;
            } else {
                let f = std::fs::File::create(&output)
                    .with_context(|| format!("could not create `{}`", output.display()))?;
                let mut w = std::io::BufWriter::new(f);
                gpu_charts::export::write_csv(&model, &mut w)?;
                w.flush()?;
                elog!("wrote {}", output.display());
            }
            return Ok(report_failed(&model));
        }
        Command::Render {
            chart,
            output,
            size,
            watch: true,
            max_generations,
            exit_after_ms,
        } => {
            let stop = WatchStop {
                max_generations,
                exit_after: exit_after_ms.map(std::time::Duration::from_millis),
            };
            render_watch(
                &cli.plugin_dirs,
                render_options,
                &chart,
                &output,
                size,
                stop,
            )?;
            // Each generation's failed parts were printed as it was drawn.
        }
        Command::Render {
            chart,
            output,
            size,
            ..
        } => {
            let mut gpu = Offscreen::new()?;
            check_size_flag(&gpu, size)?;
            session.set_max_image_side(Some(gpu.max_image_side()));
            render_options.adapter = Some(gpu.adapter_facts());
            render_options.tick_aggregator = Some(gpu.tick_aggregator());
            session.set_options(render_options);
            let model = load_warned(&mut session, &chart)?;
            gpu.render_png(&model, size, None, &output)?;
            out!("{}\n", output.display())?;
            return Ok(report_failed(&model));
        }
        Command::View {
            chart,
            trace_frames,
        } => {
            render_options.adapter = gpu_charts::gpu::GpuContext::probe_adapter_facts().ok();
            render_options.tick_aggregator = Some(gpu_charts::data::accel::SharedTickAggregator(
                std::sync::Arc::new(gpu_charts::gpu::aggregate::GpuTickAggregator::lazy_headless()),
            ));
            let live = gpu_charts::live::LiveOptions {
                render: render_options,
                extra_plugin_dirs: cli.plugin_dirs.clone(),
                ..Default::default()
            };
            let options = gpu_charts::view::ViewOptions { trace_frames };
            gpu_charts::view::run_live(&chart, live, options)?;
        }
        Command::Demo { examples, out } => return demo(&mut session, &examples, &out),
        Command::Stats {
            chart,
            frames,
            size,
            json,
        } => stats(&mut session, render_options, &chart, frames, size, json)?,
        Command::Convert(args) => {
            let registry = session.registry_for(&[]);
            let summary = gpu_charts::convert::convert(&args, registry, true)?;
            out!("{summary}\n")?;
        }
    }
    Ok(Outcome::Complete)
}

/// `stats`: the scripted pan's figures as a table or JSON.
fn stats(
    session: &mut ChartSession,
    mut render: gpu_charts::render::RenderOptions,
    chart: &Path,
    frames: usize,
    size: Option<[u32; 2]>,
    json: bool,
) -> Result<()> {
    let mut gpu = Offscreen::new()?;
    check_size_flag(&gpu, size)?;
    session.set_max_image_side(Some(gpu.max_image_side()));
    render.adapter = Some(gpu.adapter_facts());
    render.tick_aggregator = Some(gpu.tick_aggregator());
    session.set_options(render);
    let options = gpu_charts::stats::StatsOptions { frames, size };
    let report = gpu_charts::stats::run(session, &mut gpu, chart, &options);
    warn_plugins(session);
    let report = report?;
    if json {
        out!("{}\n", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", report.table())?;
    }
    Ok(())
}

/// When `render --watch` stops by itself (tests); otherwise it runs until Ctrl-C.
struct WatchStop {
    max_generations: Option<u64>,
    exit_after: Option<std::time::Duration>,
}

/// `render --watch`: render generation 1, then every generation a good change
/// publishes; a bad change prints its error (the live session does) and the
/// PNG keeps showing the last good version.
fn render_watch(
    plugin_dirs: &[PathBuf],
    mut render: gpu_charts::render::RenderOptions,
    chart: &Path,
    output: &Path,
    size: Option<[u32; 2]>,
    stop: WatchStop,
) -> Result<()> {
    use gpu_charts::live::{Generation, LiveOptions, LiveSession, Reload};
    // The GPU first: its limits decide which sizes a reload accepts.
    let mut gpu = Offscreen::new()?;
    check_size_flag(&gpu, size)?;
    render.adapter = Some(gpu.adapter_facts());
    render.tick_aggregator = Some(gpu.tick_aggregator());
    let options = LiveOptions {
        render,
        extra_plugin_dirs: plugin_dirs.to_vec(),
        max_image_side: Some(gpu.max_image_side()),
        ..LiveOptions::default()
    };
    let mut live = LiveSession::open(chart, options)?;
    let render = |gpu: &mut Offscreen, generation: &Generation| -> Result<()> {
        let t0 = Instant::now();
        for line in &generation.model.build.script_log {
            elog!("{line}");
        }
        gpu.render_png(&generation.model, size, None, output)?;
        out!(
            "generation {}: wrote {} in {:.0} ms (load {:.0} ms)\n",
            generation.number,
            output.display(),
            t0.elapsed().as_secs_f64() * 1e3,
            generation.build_duration.as_secs_f64() * 1e3
        )?;
        Ok(())
    };
    render(&mut gpu, &live.config().current())?;
    let started = Instant::now();
    let mut rendered = 1u64;
    loop {
        if stop.max_generations.is_some_and(|n| rendered >= n) {
            break;
        }
        let wait = match stop.exit_after {
            Some(limit) => match limit.checked_sub(started.elapsed()) {
                Some(left) if !left.is_zero() => left.min(std::time::Duration::from_millis(200)),
                _ => break,
            },
            None => std::time::Duration::from_millis(200),
        };
        // Failures were already printed by the session.
        if let Some(Reload::Published(generation)) = live.wait(wait) {
            if generation
                .changed
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "wgsl"))
            {
                // Pipelines were compiled from the old shader text.
                gpu.renderer =
                    gpu_charts::gpu::Renderer::new(&gpu.ctx, gpu_charts::render::OFFSCREEN_FORMAT)?;
            }
            if let Err(e) = render(&mut gpu, &generation) {
                if e.chain().any(is_broken_pipe) {
                    return Err(e);
                }
                elog!("generation {}: {e:#}", generation.number);
            }
            rendered += 1;
        }
    }
    Ok(())
}

fn demo(session: &mut ChartSession, examples: &Path, out: &Path) -> Result<Outcome> {
    let dir = if examples.is_dir() {
        examples.to_path_buf()
    } else {
        // `cargo run` from elsewhere: fall back to the repository's examples.
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        if !repo.is_dir() {
            bail!(
                "no examples folder at `{}`\n  = help: run from the repository root or pass --examples DIR",
                examples.display()
            );
        }
        repo
    };
    let mut charts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("could not read `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    charts.sort();
    let mut gpu = Offscreen::new()?;
    session.set_max_image_side(Some(gpu.max_image_side()));
    let mut render = session.options().clone();
    render.adapter = Some(gpu.adapter_facts());
    session.set_options(render);
    elog!("GPU: {}", gpu.ctx.adapter_summary());
    let mut failed = 0;
    let mut outcome = Outcome::Complete;
    for chart in &charts {
        let t0 = Instant::now();
        let stem = chart
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "chart".into());
        let png = out.join(format!("{stem}.png"));
        let result = session
            .load(chart)
            .map_err(anyhow::Error::from)
            .and_then(|model| {
                let loaded = t0.elapsed();
                gpu.render_png(&model, None, None, &png)?;
                if report_failed(&model) == Outcome::Partial {
                    outcome = Outcome::Partial;
                }
                Ok(loaded)
            });
        match result {
            Ok(loaded) => out!(
                "{}  ({} → load {:.0} ms, total {:.0} ms)\n",
                png.display(),
                chart.display(),
                loaded.as_secs_f64() * 1e3,
                t0.elapsed().as_secs_f64() * 1e3
            )?,
            Err(e) => {
                failed += 1;
                elog!("{}: {e:#}", chart.display());
            }
        }
    }
    warn_plugins(session);
    if failed > 0 {
        bail!("{failed} of {} demo charts failed", charts.len());
    }
    Ok(outcome)
}
