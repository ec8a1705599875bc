//! The interactive window (`gpu-charts view`): a winit window whose wgpu
//! surface is drawn by the same [`Renderer`] as `render`. Input only changes
//! a [`ViewState`] (see [`crate::scene::interact`], where the logic is
//! tested without a window); every change rebuilds the frame in O(pixels)
//! and redraws on the next vsync.
//!
//! [`run_live`] keeps the chart live: a [`LiveHandle`] reloads it on its own
//! thread when the chart file, a script or a plugin changes and wakes the
//! event loop; the window then shows the new generation with the user's view
//! carried over ([`ViewState::carried_to`]), or, when the reload failed, the
//! last good chart with the error in a banner ([`error_banner`]) until a good
//! save clears it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::keyboard::{Key as WKey, ModifiersState, NamedKey};
use winit::window::{CursorIcon, Window, WindowId};

use crate::gpu::{GpuContext, GpuError, Renderer};
use crate::live::{LiveConfig, LiveError, LiveHandle, LiveOptions};
use crate::scene::banner::error_banner;
use crate::scene::frame::{FrameScene, build_frame_with};
use crate::scene::interact::{self, Key, ViewState};
use crate::scene::model::ChartModel;

/// Two presses closer than this (and [`DOUBLE_CLICK_PX`]) are a double-click.
const DOUBLE_CLICK: Duration = Duration::from_millis(400);
/// Largest cursor travel (logical pixels) between the presses of a double-click.
const DOUBLE_CLICK_PX: f64 = 5.0;
/// Zoom per wheel line.
const WHEEL_ZOOM: f64 = 1.1;
/// Pixels of a touchpad scroll that count as one wheel line.
const PIXELS_PER_LINE: f64 = 40.0;
/// Price zoom per logical pixel dragged on the price axis.
const AXIS_DRAG_ZOOM: f64 = 0.01;
/// How close (logical pixels) to a pane divider a press grabs it.
const DIVIDER_GRAB_PX: f32 = 4.0;

/// Why the window could not be shown or kept running.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
    #[error(
        "no display found (DISPLAY/WAYLAND_DISPLAY unset): `gpu-charts view` needs a window; use `gpu-charts render chart.toml -o chart.png` for headless output"
    )]
    NoDisplay,
    /// A display is named but the windowing system could not be used.
    #[error(
        "could not open a window: {0}\n  = help: check that the display in DISPLAY/WAYLAND_DISPLAY is reachable, or use `gpu-charts render chart.toml -o chart.png` for headless output"
    )]
    Window(String),
    /// The GPU could not be opened or failed while drawing.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// The window's surface could not be created or configured.
    #[error("could not draw into the window: {0}")]
    Surface(String),
    /// The chart could not be loaded the first time (nothing to show yet).
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// True when a windowing system is named in the environment. Only X11 and
/// Wayland need one; other platforms always have a window server.
fn display_available() -> bool {
    if cfg!(all(
        unix,
        not(target_os = "macos"),
        not(target_os = "android")
    )) {
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        set("DISPLAY") || set("WAYLAND_DISPLAY")
    } else {
        true
    }
}

/// Opens a window showing `model` and runs until it is closed.
pub fn run(model: ChartModel) -> Result<(), ViewError> {
    if !display_available() {
        return Err(ViewError::NoDisplay);
    }
    let event_loop = new_event_loop()?;
    let app = App::new(Arc::new(model), None, ViewOptions::default());
    run_app(event_loop, app)
}

/// How a window behaves beyond the chart file.
#[derive(Debug, Clone, Default)]
pub struct ViewOptions {
    /// Print a line to stdout for every frame presented (generation, view,
    /// error banner shown): lets tests and scripts know what is on screen.
    pub trace_frames: bool,
}

/// Opens a window on the chart file at `path` and keeps it live (see the
/// module docs) until the window is closed. Fails before opening a window
/// if there is no display or the first load fails.
pub fn run_live(
    path: &std::path::Path,
    live: LiveOptions,
    options: ViewOptions,
) -> Result<(), ViewError> {
    if !display_available() {
        return Err(ViewError::NoDisplay);
    }
    let event_loop = new_event_loop()?;
    let proxy = event_loop.create_proxy();
    let handle = LiveHandle::spawn_with_waker(path, live, move || {
        // Closed loop: the window is going away; nothing to wake.
        let _ = proxy.send_event(Wake);
    })?;
    let config = handle.config();
    let current = config.current();
    let mut app = App::new(current.model.clone(), Some((handle, config)), options);
    app.shown = current.number;
    run_app(event_loop, app)
}

/// Sent by the live session thread after each reload.
#[derive(Debug, Clone, Copy)]
struct Wake;

fn new_event_loop() -> Result<EventLoop<Wake>, ViewError> {
    let event_loop = EventLoop::<Wake>::with_user_event()
        .build()
        .map_err(|e| ViewError::Window(e.to_string()))?;
    event_loop.set_control_flow(ControlFlow::Wait);
    Ok(event_loop)
}

fn run_app(event_loop: EventLoop<Wake>, mut app: App) -> Result<(), ViewError> {
    event_loop
        .run_app(&mut app)
        .map_err(|e| ViewError::Window(e.to_string()))?;
    // Stop the live thread before reporting.
    app.live = None;
    match app.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The window and what draws into it.
struct Gfx {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    ctx: GpuContext,
    renderer: Renderer,
}

/// What a held left button is doing.
#[derive(Debug, Clone, Copy)]
enum Drag {
    /// Panning the time axis (and the pane's price axis if it is fixed).
    Pan { pane: usize, last: [f64; 2] },
    /// Zooming a pane's price axis.
    PriceAxis { pane: usize, last: [f64; 2] },
    /// Moving the divider above pane `divider`.
    Divider { divider: usize, last: [f64; 2] },
}

struct App {
    model: Arc<ChartModel>,
    state: ViewState,
    /// The live session (kept alive while the window is open) and its config.
    live: Option<(LiveHandle, Arc<LiveConfig>)>,
    /// The generation on screen.
    shown: u64,
    /// The last reload's error, shown over the chart until a good reload.
    banner: Option<String>,
    options: ViewOptions,
    /// Frames presented so far.
    frames: u64,
    gfx: Option<Gfx>,
    /// The frame last drawn: what hit-tests and drags refer to.
    frame: Option<FrameScene>,
    cursor: Option<[f64; 2]>,
    modifiers: ModifiersState,
    drag: Option<Drag>,
    last_press: Option<(Instant, [f64; 2])>,
    error: Option<ViewError>,
    /// The statistics overlay (F3) and what it shows.
    stats: StatsOverlay,
    /// The last range asked of the live session for sources with `load =
    /// "view"` (see [`App::load_missing`]), so one is asked once.
    load_asked: Option<(i64, i64)>,
}

/// The statistics overlay's state: shown or not, the last frame's CPU
/// times, and `auto`'s step-downs (kept across reloads of an `auto` chart).
#[derive(Default)]
struct StatsOverlay {
    shown: bool,
    last_frame_ms: Option<(f64, f64)>,
    tuner: crate::quality::AutoTuner,
    stepped: Option<crate::quality::QualitySettings>,
}

impl App {
    fn new(
        model: Arc<ChartModel>,
        live: Option<(LiveHandle, Arc<LiveConfig>)>,
        options: ViewOptions,
    ) -> App {
        App {
            state: ViewState::new(&model),
            banner: model.failure_report().or_else(|| model.script_log_report()),
            model,
            live,
            shown: 1,
            options,
            frames: 0,
            gfx: None,
            frame: None,
            cursor: None,
            modifiers: ModifiersState::empty(),
            drag: None,
            last_press: None,
            error: None,
            stats: StatsOverlay::default(),
            load_asked: None,
        }
    }

    /// The view reached the edge of what a `load = "view"` source loaded:
    /// ask the live session to load a screenful more on that side; the new
    /// generation comes back with the view kept on the same time span.
    fn load_missing(&mut self) {
        let Some((handle, _)) = &self.live else {
            return;
        };
        let Some(range) = interact::missing_load_range(&self.model, &self.state) else {
            return;
        };
        if self.load_asked != Some(range) {
            self.load_asked = Some(range);
            handle.set_load_view(range);
        }
    }

    /// Takes in what the live session published: a new generation (the
    /// user's view carried over) and the current reload error, if any.
    fn sync_live(&mut self) {
        let Some((_, config)) = &self.live else {
            return;
        };
        let current = config.current();
        if current.number != self.shown {
            // A new timeframe keeps the same time span on screen.
            self.state = self.state.carried_across(&self.model, &current.model);
            self.model = current.model.clone();
            self.shown = current.number;
            self.drag = None;
            apply_stepped_quality(&mut self.model, &self.stats.stepped);
            if let Some(g) = &self.gfx {
                g.window.set_title(&window_title(&self.model));
            }
        }
        // A failed reload, else the parts of the shown chart that failed.
        self.banner = config
            .last_error()
            .map(|f| f.to_string())
            .or_else(|| self.model.failure_report())
            .or_else(|| self.model.script_log_report());
        self.redraw();
    }

    fn open(&mut self, event_loop: &ActiveEventLoop) -> Result<Gfx, ViewError> {
        let [w, h] = self.model.config.size;
        let attrs = Window::default_attributes()
            .with_title(window_title(&self.model))
            .with_inner_size(LogicalSize::new(w, h));
        let window = Arc::new(
            event_loop
                .create_window(attrs)
                .map_err(|e| ViewError::Window(e.to_string()))?,
        );
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(window.clone())),
        );
        let surface = instance
            .create_surface(window.clone())
            .map_err(|e| ViewError::Surface(e.to_string()))?;
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: Some(&surface),
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let ctx = GpuContext::with_adapter(instance, adapter)?;
        let caps = surface.get_capabilities(&ctx.adapter);
        // The shaders write linear colour: an sRGB target encodes it, as
        // the offscreen PNG target does.
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| ViewError::Surface("the surface offers no format".into()))?;
        let alpha_mode = caps
            .alpha_modes
            .first()
            .copied()
            .unwrap_or(wgpu::CompositeAlphaMode::Auto);
        let size = window.inner_size();
        let [width, height] = surface_size(&ctx, [size.width, size.height]);
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width,
            height,
            desired_maximum_frame_latency: 2,
            present_mode: wgpu::PresentMode::AutoVsync,
            alpha_mode,
            view_formats: vec![],
        };
        surface.configure(&ctx.device, &config);
        let renderer = Renderer::new(&ctx, format)?;
        Ok(Gfx {
            window,
            surface,
            config,
            ctx,
            renderer,
        })
    }

    fn ratio(&self) -> f64 {
        self.gfx.as_ref().map_or(1.0, |g| g.window.scale_factor())
    }

    fn redraw(&mut self) {
        // Every input that moves the view ends here: a cheap check (O(1)).
        self.load_missing();
        if let Some(g) = &self.gfx {
            g.window.request_redraw();
        }
    }

    fn draw(&mut self) -> Result<(), ViewError> {
        let Some(g) = &mut self.gfx else {
            return Ok(());
        };
        let ratio = g.window.scale_factor() as f32;
        let size = [g.config.width, g.config.height];
        let t0 = Instant::now();
        let mut frame = build_frame_with(&self.model, &self.state, size, ratio);
        if let Some(text) = &self.banner {
            error_banner(&mut frame, &self.model.palette, text, ratio);
        }
        let scene_ms = t0.elapsed().as_secs_f64() * 1e3;
        if self.stats.shown {
            let pool = g.renderer.stats().pool;
            let text =
                crate::stats::overlay_text(&self.model, None, &pool, self.stats.last_frame_ms);
            crate::stats::draw_overlay(&mut frame, &self.model.palette, &text, ratio);
        }
        g.renderer
            .set_msaa_samples(&g.ctx, self.model.quality.msaa_samples)?;
        g.renderer.set_pool_budget(
            self.model
                .memory_budget
                .pool_bytes(self.model.gpu_resident_bytes),
        );
        let texture = match g.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                g.surface.configure(&g.ctx.device, &g.config);
                g.window.request_redraw();
                return Ok(());
            }
            wgpu::CurrentSurfaceTexture::Timeout
            | wgpu::CurrentSurfaceTexture::Occluded
            | wgpu::CurrentSurfaceTexture::Validation => return Ok(()),
        };
        let view = texture.texture.create_view(&Default::default());
        let mut encoder = g
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("window frame"),
            });
        let t1 = Instant::now();
        g.renderer.encode(&g.ctx, &mut encoder, &frame, &view)?;
        g.ctx.queue.submit([encoder.finish()]);
        let encode_ms = t1.elapsed().as_secs_f64() * 1e3;
        self.stats.last_frame_ms = Some((scene_ms, encode_ms));
        // The window does not wait for the GPU: `auto` judges the CPU work.
        if let Some(next) = self
            .stats
            .tuner
            .observe(&self.model.quality, scene_ms + encode_ms)
        {
            self.stats.stepped = Some(next);
            apply_stepped_quality(&mut self.model, &self.stats.stepped);
        }
        g.window.pre_present_notify();
        g.ctx.queue.present(texture);
        self.frames += 1;
        if self.options.trace_frames {
            println!(
                "frame {} generation {} view {:.3}..{:.3} size {}x{} banner {}",
                self.frames,
                self.shown,
                frame.view.x0,
                frame.view.x1,
                size[0],
                size[1],
                self.banner.is_some()
            );
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
        }
        self.frame = Some(frame);
        Ok(())
    }

    fn plot_width(&self) -> f64 {
        self.frame
            .as_ref()
            .and_then(|f| f.panes.first())
            .map_or(1.0, |p| p.plot[2] as f64)
    }

    fn press(&mut self) {
        let (Some(pos), Some(frame)) = (self.cursor, &self.frame) else {
            return;
        };
        let (x, y) = (pos[0] as f32, pos[1] as f32);
        let ratio = self.ratio();
        let now = Instant::now();
        let double = self.last_press.is_some_and(|(t, p)| {
            now.duration_since(t) < DOUBLE_CLICK
                && (p[0] - pos[0]).hypot(p[1] - pos[1]) <= DOUBLE_CLICK_PX * ratio
        });
        self.last_press = Some((now, pos));
        let hit = interact::hit_test(frame, x, y);
        if double {
            self.last_press = None;
            self.drag = None;
            match hit {
                // On the price axis: that pane autoscales again.
                Some(h) if h.on_price_axis => self.state.autoscale(h.pane),
                _ => self.state.reset(),
            }
            return;
        }
        self.drag =
            if let Some(divider) = interact::divider_at(frame, y, DIVIDER_GRAB_PX * ratio as f32) {
                Some(Drag::Divider { divider, last: pos })
            } else {
                match hit {
                    Some(h) if h.on_price_axis => Some(Drag::PriceAxis {
                        pane: h.pane,
                        last: pos,
                    }),
                    Some(h) => Some(Drag::Pan {
                        pane: h.pane,
                        last: pos,
                    }),
                    None => None,
                }
            };
    }

    fn moved(&mut self, pos: [f64; 2]) {
        self.cursor = Some(pos);
        self.state.crosshair = Some([pos[0] as f32, pos[1] as f32]);
        let ratio = self.ratio();
        let plot_w = self.plot_width();
        let Some(frame) = &self.frame else {
            return;
        };
        let delta = |last: [f64; 2]| delta_from(pos, last);
        match &mut self.drag {
            Some(Drag::Pan { pane, last }) => {
                let (dx, dy) = delta(*last);
                self.state.pan(-dx, plot_w);
                if self.state.y_fixed.get(*pane).is_some_and(Option::is_some) {
                    self.state.pan_price(frame, *pane, dy as f32);
                }
                *last = pos;
            }
            Some(Drag::PriceAxis { pane, last }) => {
                let (_, dy) = delta(*last);
                if let Some(g) = frame.panes.get(*pane) {
                    let centre = g.plot[1] + g.plot[3] / 2.0;
                    let factor = (-dy / ratio * AXIS_DRAG_ZOOM).exp();
                    self.state.zoom_price(frame, *pane, centre, factor);
                }
                *last = pos;
            }
            Some(Drag::Divider { divider, last }) => {
                let (_, dy) = delta(*last);
                self.state.drag_divider(frame, *divider, dy, ratio);
                *last = pos;
            }
            None => {}
        }
    }

    fn wheel(&mut self, lines: f64) {
        let (Some(pos), Some(frame)) = (self.cursor, &self.frame) else {
            return;
        };
        let Some(hit) = interact::hit_test(frame, pos[0] as f32, pos[1] as f32) else {
            return;
        };
        let factor = WHEEL_ZOOM.powf(lines);
        if self.modifiers.control_key() || hit.on_price_axis {
            self.state
                .zoom_price(frame, hit.pane, pos[1] as f32, factor);
        } else {
            let plot = frame.panes[hit.pane].plot;
            let plot_w = plot[2] as f64;
            self.state.zoom_at(pos[0] - plot[0] as f64, factor, plot_w);
        }
    }

    fn update_cursor_icon(&self) {
        let (Some(g), Some(pos), Some(frame)) = (&self.gfx, self.cursor, &self.frame) else {
            return;
        };
        let (x, y) = (pos[0] as f32, pos[1] as f32);
        let ratio = g.window.scale_factor() as f32;
        let icon = if matches!(self.drag, Some(Drag::Divider { .. }))
            || interact::divider_at(frame, y, DIVIDER_GRAB_PX * ratio).is_some()
        {
            CursorIcon::RowResize
        } else if matches!(self.drag, Some(Drag::Pan { .. })) {
            CursorIcon::Grabbing
        } else {
            match interact::hit_test(frame, x, y) {
                Some(h) if h.on_price_axis => CursorIcon::NsResize,
                Some(_) => CursorIcon::Crosshair,
                None => CursorIcon::Default,
            }
        };
        g.window.set_cursor(icon);
    }
}

/// A window's surface size the device can draw: at least 1 pixel a side
/// (minimised windows report 0) and at most its largest texture side (a
/// chart's `size` or a window dragged larger would fail the surface
/// configuration); the frame is laid out for that size.
fn surface_size(ctx: &GpuContext, size: [u32; 2]) -> [u32; 2] {
    let max = crate::gpu::max_image_side(&ctx.device.limits());
    size.map(|s| s.clamp(1, max))
}

/// "Title · 5m — gpu-charts" (the file name when the chart has no title;
/// the timeframe shown, when there is one).
fn window_title(model: &ChartModel) -> String {
    let name = match &model.config.title {
        Some(t) => t.clone(),
        None => model.path.display().to_string(),
    };
    match model.timeframes.current {
        Some(tf) => format!("{name} · {tf} — gpu-charts"),
        None => format!("{name} — gpu-charts"),
    }
}

impl ApplicationHandler<Wake> for App {
    fn user_event(&mut self, _event_loop: &ActiveEventLoop, _event: Wake) {
        self.sync_live();
    }

    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        match self.open(event_loop) {
            Ok(g) => {
                g.window.request_redraw();
                self.gfx = Some(g);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                if let Some(g) = &mut self.gfx
                    && size.width > 0
                    && size.height > 0
                {
                    [g.config.width, g.config.height] =
                        surface_size(&g.ctx, [size.width, size.height]);
                    g.surface.configure(&g.ctx.device, &g.config);
                }
                self.redraw();
            }
            // The Resized that follows carries the new physical size; the
            // frame reads the new scale factor from the window.
            WindowEvent::ScaleFactorChanged { .. } => self.redraw(),
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.draw() {
                    self.error = Some(e);
                    event_loop.exit();
                }
            }
            WindowEvent::ModifiersChanged(m) => self.modifiers = m.state(),
            WindowEvent::CursorMoved { position, .. } => {
                let PhysicalPosition { x, y } = position;
                self.moved([x, y]);
                self.update_cursor_icon();
                self.redraw();
            }
            WindowEvent::CursorLeft { .. } => {
                self.cursor = None;
                self.state.crosshair = None;
                self.redraw();
            }
            WindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                match state {
                    ElementState::Pressed => self.press(),
                    ElementState::Released => self.drag = None,
                }
                self.update_cursor_icon();
                self.redraw();
            }
            WindowEvent::MouseWheel { delta, .. } => {
                let lines = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y as f64,
                    MouseScrollDelta::PixelDelta(p) => p.y / PIXELS_PER_LINE,
                };
                self.wheel(lines);
                self.redraw();
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                let key = match &event.logical_key {
                    WKey::Named(NamedKey::ArrowLeft) => Some(Key::Left),
                    WKey::Named(NamedKey::ArrowRight) => Some(Key::Right),
                    WKey::Named(NamedKey::Home) => Some(Key::Home),
                    WKey::Named(NamedKey::End) => Some(Key::End),
                    WKey::Character(c) if c == "+" || c == "=" => Some(Key::ZoomIn),
                    WKey::Character(c) if c == "-" || c == "_" => Some(Key::ZoomOut),
                    WKey::Named(NamedKey::F3) => {
                        self.stats.shown = !self.stats.shown;
                        self.redraw();
                        None
                    }
                    _ => None,
                };
                if let Some(k) = key {
                    let plot_w = self.plot_width();
                    self.state.key(k, plot_w);
                    self.redraw();
                }
                // `]` coarser, `[` finer: the live session rebuilds the
                // chart at that timeframe and wakes us with it.
                if let WKey::Character(c) = &event.logical_key
                    && (c == "]" || c == "[")
                    && let Some((handle, _)) = &self.live
                    && let Some(choice) = interact::step_timeframe(&self.model.timeframes, c == "]")
                {
                    handle.set_timeframe(choice);
                }
            }
            _ => {}
        }
    }
}

/// An `auto` chart keeps the preset it stepped down to (also after a reload).
fn apply_stepped_quality(
    model: &mut Arc<ChartModel>,
    stepped: &Option<crate::quality::QualitySettings>,
) {
    if let Some(q) = stepped
        && model.quality.requested == crate::config::Quality::Auto
        && model.quality != *q
    {
        Arc::make_mut(model).quality = q.clone();
    }
}

/// Cursor travel since `last`.
fn delta_from(pos: [f64; 2], last: [f64; 2]) -> (f64, f64) {
    (pos[0] - last[0], pos[1] - last[1])
}
