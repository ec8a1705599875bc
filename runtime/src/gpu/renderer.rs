//! Draws a [`FrameScene`]: grid and backgrounds, each series with its chart
//! type's pipeline (scissored to its pane), then axes and text. MSAA (4× unless a
//! quality preset turns it off), resolved into the target. Works on a window surface
//! ([`Renderer::encode`] only needs a view) and offscreen
//! ([`Renderer::render_image`]: PNGs, in tiles when one readback would
//! exceed the device's buffer limit).
//!
//! The renderer owns its buffer pool: a frame's buffers go back to the pool
//! when the next frame starts (after the caller submitted), so the next
//! frame gets the same buffers in the same order and reuses the bind groups
//! made over them; offscreen targets and MSAA textures are made once per
//! size. [`Renderer::stats`] reports hits, misses, bytes and what was
//! created.

use std::collections::HashMap;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::pool::{BufferPool, PoolStats};
use crate::gpu::shader;
use crate::gpu::text::{ATLAS_SIZE, GlyphAtlas};
use crate::gpu::types::{GlyphInstance, RectInstance, UiUniform};
use crate::scene::frame::{FrameScene, Instances};
use crate::scene::model::ChartTypeSpec;

/// MSAA sample count of a new renderer (the `balanced` preset's; see
/// [`Renderer::set_msaa_samples`]).
pub const SAMPLE_COUNT: u32 = 4;

const BLEND: wgpu::BlendState = wgpu::BlendState::ALPHA_BLENDING;

/// The renderer: pipelines, atlas, buffer pool and MSAA target.
pub struct Renderer {
    format: wgpu::TextureFormat,
    chart_bgl: wgpu::BindGroupLayout,
    chart_layout: wgpu::PipelineLayout,
    chart_pipelines: HashMap<String, wgpu::RenderPipeline>,
    ui_bgl: wgpu::BindGroupLayout,
    rect_pipeline: wgpu::RenderPipeline,
    glyph_pipeline: wgpu::RenderPipeline,
    atlas: GlyphAtlas,
    atlas_texture: wgpu::Texture,
    atlas_view: wgpu::TextureView,
    sampler: wgpu::Sampler,
    /// Pooled per-frame buffers, recycled by the renderer itself.
    pool: BufferPool,
    /// Bind groups by the pooled buffers they bind: a frame that gets the
    /// previous frame's buffers back reuses its groups.
    ui_groups: HashMap<[wgpu::Buffer; 3], wgpu::BindGroup>,
    chart_groups: HashMap<[wgpu::Buffer; 2], wgpu::BindGroup>,
    msaa: Option<([u32; 2], wgpu::TextureView)>,
    readback: Option<ReadbackTarget>,
    max_tile_side: Option<u32>,
    stats: RendererStats,
    /// MSAA samples per pixel (1: drawn straight into the target).
    samples: u32,
}

fn storage_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn pipeline(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    vs: &str,
    fs: &str,
    format: wgpu::TextureFormat,
    samples: u32,
) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some(vs),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleList,
            cull_mode: None,
            ..Default::default()
        },
        depth_stencil: None,
        multisample: wgpu::MultisampleState {
            count: samples,
            mask: !0,
            alpha_to_coverage_enabled: false,
        },
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(fs),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: Some(BLEND),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Runs `f` inside a validation error scope and turns a wgpu error into `GpuError`.
fn checked<T>(device: &wgpu::Device, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    match pollster::block_on(scope.pop()) {
        Some(e) => Err(GpuError::Wgpu(e.to_string())),
        None => Ok(value),
    }
}

impl Renderer {
    /// Creates the host pipelines for targets of `format`.
    pub fn new(ctx: &GpuContext, format: wgpu::TextureFormat) -> Result<Renderer, GpuError> {
        Self::with_samples(ctx, format, SAMPLE_COUNT)
    }

    /// A renderer drawing with `samples` MSAA samples per pixel (1: none).
    pub fn with_samples(
        ctx: &GpuContext,
        format: wgpu::TextureFormat,
        samples: u32,
    ) -> Result<Renderer, GpuError> {
        let samples = samples.max(1);
        let device = &ctx.device;
        let chart_bgl = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("chart"),
            entries: &[uniform_entry(0), storage_entry(1)],
        });
        let chart_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("chart"),
            bind_group_layouts: &[Some(&chart_bgl)],
            immediate_size: 0,
        });
        let ui_bgl = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("ui"),
            entries: &[
                uniform_entry(0),
                storage_entry(1),
                storage_entry(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let ui_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("ui"),
            bind_group_layouts: &[Some(&ui_bgl)],
            immediate_size: 0,
        });
        let ui_src = shader::ui_source();
        let (rect_pipeline, glyph_pipeline) = checked(device, || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("ui.wgsl"),
                source: wgpu::ShaderSource::Wgsl(ui_src.clone()),
            });
            (
                pipeline(
                    device, "rects", &ui_layout, &module, "vs_rect", "fs_rect", format, samples,
                ),
                pipeline(
                    device, "glyphs", &ui_layout, &module, "vs_glyph", "fs_glyph", format, samples,
                ),
            )
        })?;
        let atlas_texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("glyph atlas"),
            size: wgpu::Extent3d {
                width: ATLAS_SIZE,
                height: ATLAS_SIZE,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let atlas_view = atlas_texture.create_view(&Default::default());
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("atlas"),
            mag_filter: wgpu::FilterMode::Nearest,
            min_filter: wgpu::FilterMode::Nearest,
            ..Default::default()
        });
        Ok(Renderer {
            format,
            chart_bgl,
            chart_layout,
            chart_pipelines: HashMap::new(),
            ui_bgl,
            rect_pipeline,
            glyph_pipeline,
            atlas: GlyphAtlas::default(),
            atlas_texture,
            atlas_view,
            sampler,
            pool: BufferPool::default(),
            ui_groups: HashMap::new(),
            chart_groups: HashMap::new(),
            msaa: None,
            readback: None,
            max_tile_side: None,
            stats: RendererStats::default(),
            samples,
        })
    }

    /// Switches to `samples` MSAA samples per pixel (a quality preset
    /// change): pipelines are built again, the buffer pool and its
    /// statistics stay. Nothing happens when the count is unchanged.
    pub fn set_msaa_samples(&mut self, ctx: &GpuContext, samples: u32) -> Result<(), GpuError> {
        if samples.max(1) == self.samples {
            return Ok(());
        }
        let mut fresh = Self::with_samples(ctx, self.format, samples)?;
        std::mem::swap(&mut fresh.pool, &mut self.pool);
        fresh.stats = self.stats;
        fresh.max_tile_side = self.max_tile_side;
        *self = fresh;
        Ok(())
    }

    /// MSAA samples per pixel.
    pub fn msaa_samples(&self) -> u32 {
        self.samples
    }

    /// The GPU share of the memory budget: the buffer pool's byte budget.
    pub fn set_pool_budget(&mut self, bytes: u64) {
        if self.pool.stats().budget_bytes == bytes {
            return;
        }
        self.pool.set_budget(bytes);
        self.ui_groups.clear();
        self.chart_groups.clear();
    }

    /// Builds (once) the pipeline of a chart type, after validating its WGSL.
    pub fn prepare(&mut self, ctx: &GpuContext, spec: &ChartTypeSpec) -> Result<(), GpuError> {
        if self.chart_pipelines.contains_key(&spec.key) {
            return Ok(());
        }
        shader::validate_chart_type(&spec.plugin, &spec.name, spec.input, &spec.wgsl)?;
        let source = shader::chart_type_source(spec.input, &spec.wgsl).unwrap_or_default();
        let device = &ctx.device;
        let p = checked(device, || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&spec.key),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            pipeline(
                device,
                &spec.key,
                &self.chart_layout,
                &module,
                "vs_main",
                "fs_main",
                self.format,
                self.samples,
            )
        })
        .map_err(|e| {
            GpuError::Wgpu(format!(
                "chart type `{}` of plugin `{}`: {e}",
                spec.name, spec.plugin
            ))
        })?;
        self.chart_pipelines.insert(spec.key.clone(), p);
        Ok(())
    }

    fn upload<T: bytemuck::Pod>(
        &mut self,
        ctx: &GpuContext,
        data: &[T],
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buf = self
            .pool
            .acquire(&ctx.device, bytes.len().max(16) as u64, usage);
        if !bytes.is_empty() {
            ctx.queue.write_buffer(&buf, 0, bytes);
            self.stats.bytes_uploaded += bytes.len() as u64;
        }
        buf
    }

    fn msaa_view(&mut self, ctx: &GpuContext, size: [u32; 2]) -> wgpu::TextureView {
        if let Some((s, v)) = &self.msaa
            && *s == size
        {
            return v.clone();
        }
        self.stats.msaa_targets_created += 1;
        let tex = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("msaa"),
            size: wgpu::Extent3d {
                width: size[0],
                height: size[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: self.samples,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        let view = tex.create_view(&Default::default());
        self.msaa = Some((size, view.clone()));
        view
    }

    /// The UI bind group over these buffers: made once, then reused for as
    /// long as the pool hands out the same buffers (every frame of a steady
    /// size).
    fn ui_bind_group(&mut self, ctx: &GpuContext, bufs: [wgpu::Buffer; 3]) -> wgpu::BindGroup {
        if let Some(bg) = self.ui_groups.get(&bufs) {
            return bg.clone();
        }
        self.stats.bind_groups_created += 1;
        let [ui_buf, rect_buf, glyph_buf] = &bufs;
        let bg = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("ui"),
            layout: &self.ui_bgl,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: ui_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: rect_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: glyph_buf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&self.atlas_view),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        self.ui_groups.insert(bufs, bg.clone());
        bg
    }

    /// A series' bind group over its uniform and instance buffers (cached like
    /// [`Renderer::ui_bind_group`]).
    fn chart_bind_group(
        &mut self,
        ctx: &GpuContext,
        label: &str,
        bufs: [wgpu::Buffer; 2],
    ) -> wgpu::BindGroup {
        if let Some(bg) = self.chart_groups.get(&bufs) {
            return bg.clone();
        }
        self.stats.bind_groups_created += 1;
        let [ubuf, ibuf] = &bufs;
        let bg = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &self.chart_bgl,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: ubuf.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: ibuf.as_entire_binding(),
                },
            ],
        });
        self.chart_groups.insert(bufs, bg.clone());
        bg
    }

    /// Starts a frame: the previous frame's buffers go back to the pool (its
    /// commands were submitted before this frame was asked for; queue writes
    /// are ordered after them), idle ones are trimmed, and bind groups over
    /// destroyed buffers are forgotten.
    fn begin_frame(&mut self) {
        let destroyed = self.pool.end_frame();
        // The caches only ever hold groups over the pool's buffers; a few
        // frames' worth is plenty, more means the scene keeps changing shape.
        if destroyed || self.ui_groups.len() + self.chart_groups.len() > MAX_CACHED_GROUPS {
            self.ui_groups.clear();
            self.chart_groups.clear();
        }
    }

    /// Uploads one frame's instances and text and makes (or finds) its bind
    /// groups; drawing it is [`Renderer::draw`], once per target or tile.
    fn prepare_frame(
        &mut self,
        ctx: &GpuContext,
        scene: &FrameScene,
    ) -> Result<PreparedFrame, GpuError> {
        self.begin_frame();
        self.stats.frames += 1;
        for s in &scene.series {
            self.prepare(ctx, &s.spec)?;
        }
        let glyphs: Vec<GlyphInstance> = self.atlas.quads(&scene.texts);
        if self.atlas.dirty {
            ctx.queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &self.atlas_texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                &self.atlas.pixels,
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(ATLAS_SIZE),
                    rows_per_image: Some(ATLAS_SIZE),
                },
                wgpu::Extent3d {
                    width: ATLAS_SIZE,
                    height: ATLAS_SIZE,
                    depth_or_array_layers: 1,
                },
            );
            self.atlas.dirty = false;
            self.stats.bytes_uploaded += self.atlas.pixels.len() as u64;
        }
        let [w, h] = scene.size;
        let ui = UiUniform {
            viewport_px: [w as f32, h as f32],
            _pad: [0.0; 2],
        };
        let ui_buf = self.upload(ctx, &[ui], wgpu::BufferUsages::UNIFORM);
        let mut rects: Vec<RectInstance> = scene.under.clone();
        let over_start = rects.len();
        rects.extend_from_slice(&scene.over);
        let rect_buf = self.upload(ctx, &rects, wgpu::BufferUsages::STORAGE);
        let glyph_buf = self.upload(ctx, &glyphs, wgpu::BufferUsages::STORAGE);
        let ui_group = self.ui_bind_group(ctx, [ui_buf, rect_buf, glyph_buf]);
        let mut series = Vec::with_capacity(scene.series.len());
        for s in &scene.series {
            let ubuf = self.upload(ctx, &[s.uniform], wgpu::BufferUsages::UNIFORM);
            let ibuf = match &s.instances {
                Instances::Bars(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
                Instances::Points(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
                Instances::Band(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
            };
            series.push(self.chart_bind_group(ctx, &s.spec.key, [ubuf, ibuf]));
        }
        Ok(PreparedFrame {
            ui_group,
            over_start: over_start as u32,
            rects: rects.len() as u32,
            glyphs: glyphs.len() as u32,
            series,
        })
    }

    /// Records the draws of a prepared frame into a render pass on `target`,
    /// which shows the part of the image at `origin` of size `extent`
    /// (the whole image, or one tile of it: the viewport is shifted so every
    /// pixel lands where it would in one big target).
    fn draw(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &FrameScene,
        frame: &PreparedFrame,
        target: &wgpu::TextureView,
        region: Region,
    ) {
        let Region {
            target_size,
            origin,
            extent,
        } = region;
        let [w, h] = scene.size;
        // With MSAA, draw into the multisampled texture and resolve into
        // the target; without, straight into the target.
        let msaa = (self.samples > 1).then(|| self.msaa_view(ctx, target_size));
        let (view, resolve_target, store) = match &msaa {
            Some(m) => (m, Some(target), wgpu::StoreOp::Discard),
            None => (target, None, wgpu::StoreOp::Store),
        };
        let c = scene.clear;
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("frame"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: c[0] as f64,
                        g: c[1] as f64,
                        b: c[2] as f64,
                        a: c[3] as f64,
                    }),
                    store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        if origin != [0, 0] || target_size != scene.size {
            pass.set_viewport(
                -(origin[0] as f32),
                -(origin[1] as f32),
                w as f32,
                h as f32,
                0.0,
                1.0,
            );
        }
        // Image-space rectangle → this tile's scissor (None: nothing visible).
        let tile = |[x, y, cw, ch]: [u32; 4]| -> Option<[u32; 4]> {
            let x0 = x.max(origin[0]);
            let y0 = y.max(origin[1]);
            let x1 = x.saturating_add(cw).min(origin[0] + extent[0]);
            let y1 = y.saturating_add(ch).min(origin[1] + extent[1]);
            (x1 > x0 && y1 > y0).then(|| [x0 - origin[0], y0 - origin[1], x1 - x0, y1 - y0])
        };
        let full = [0, 0, extent[0], extent[1]];
        pass.set_scissor_rect(full[0], full[1], full[2], full[3]);
        pass.set_bind_group(0, &frame.ui_group, &[]);
        pass.set_pipeline(&self.rect_pipeline);
        if frame.over_start > 0 {
            pass.draw(0..6, 0..frame.over_start);
        }
        for (s, bg) in scene.series.iter().zip(&frame.series) {
            let Some(p) = self.chart_pipelines.get(&s.spec.key) else {
                continue;
            };
            // The clip, kept on the image (at least one pixel, as before).
            let [x, y, cw, ch] = s.clip;
            let (x, y) = (x.min(w.saturating_sub(1)), y.min(h.saturating_sub(1)));
            let clip = [x, y, cw.min(w - x).max(1), ch.min(h - y).max(1)];
            let Some([sx, sy, sw, sh]) = tile(clip) else {
                continue;
            };
            pass.set_scissor_rect(sx, sy, sw, sh);
            pass.set_pipeline(p);
            pass.set_bind_group(0, bg, &[]);
            pass.draw(0..s.spec.vertices_per_instance, 0..s.instances.len() as u32);
        }
        pass.set_scissor_rect(full[0], full[1], full[2], full[3]);
        pass.set_bind_group(0, &frame.ui_group, &[]);
        pass.set_pipeline(&self.rect_pipeline);
        if frame.rects > frame.over_start {
            pass.draw(0..6, frame.over_start..frame.rects);
        }
        if frame.glyphs > 0 {
            pass.set_pipeline(&self.glyph_pipeline);
            pass.draw(0..6, 0..frame.glyphs);
        }
    }

    /// Records the frame into `encoder`, resolving into `target` (same size
    /// as the scene). The renderer recycles the buffers of the previous frame
    /// itself when the next one is encoded, so submit before encoding again.
    pub fn encode(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &FrameScene,
        target: &wgpu::TextureView,
    ) -> Result<(), GpuError> {
        let frame = self.prepare_frame(ctx, scene)?;
        self.draw(
            ctx,
            encoder,
            scene,
            &frame,
            target,
            Region {
                target_size: scene.size,
                origin: [0, 0],
                extent: scene.size,
            },
        );
        Ok(())
    }

    /// Limits the side of the tiles [`Renderer::render_image`] draws and reads
    /// back (`None`: as large as the device allows). Tests use small tiles to
    /// check that a tiled image equals the untiled one.
    pub fn set_max_tile_side(&mut self, side: Option<u32>) {
        self.max_tile_side = side;
    }

    /// What the renderer created and reused so far.
    pub fn stats(&self) -> RendererStats {
        RendererStats {
            pool: self.pool.stats(),
            ..self.stats
        }
    }

    /// Gives free pooled memory back (memory pressure from elsewhere), keeping
    /// at most `max_free_bytes` free. Returns the bytes freed.
    pub fn trim(&mut self, max_free_bytes: u64) -> u64 {
        let freed = self.pool.trim(max_free_bytes);
        if freed > 0 {
            self.ui_groups.clear();
            self.chart_groups.clear();
        }
        freed
    }

    /// The offscreen target and readback buffer for tiles of `size`, made
    /// once per size.
    fn readback_target(&mut self, ctx: &GpuContext, size: [u32; 2]) -> ReadbackTarget {
        if let Some(t) = &self.readback
            && t.size == size
        {
            return t.clone();
        }
        self.stats.readback_targets_created += 1;
        let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen"),
            size: wgpu::Extent3d {
                width: size[0],
                height: size[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let padded = padded_row_bytes(size[0]);
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: padded as u64 * size[1] as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let t = ReadbackTarget {
            size,
            texture,
            view,
            buffer,
            padded,
        };
        self.readback = Some(t.clone());
        t
    }

    /// Renders `scene` offscreen and reads it back as an RGBA image. Sizes
    /// whose texture or readback buffer would exceed the device's limits are
    /// drawn in tiles (the scene is uploaded once, each tile draws it with a
    /// shifted viewport) and stitched; a side longer than the device's
    /// largest texture is an error naming that limit.
    pub fn render_image(
        &mut self,
        ctx: &GpuContext,
        scene: &FrameScene,
    ) -> Result<image::RgbaImage, GpuError> {
        let [w, h] = scene.size;
        let limits = ctx.device.limits();
        check_image_size(&limits, scene.size)?;
        let [tw, th] = tile_size(&limits, scene.size, self.max_tile_side);
        let mut image = image::RgbaImage::new(w, h);
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let prepared = self.prepare_frame(ctx, scene);
        let frame = match prepared {
            Ok(f) => f,
            Err(e) => {
                let _ = pollster::block_on(scope.pop());
                return Err(e);
            }
        };
        let target = self.readback_target(ctx, [tw, th]);
        let mut result = Ok(());
        'tiles: for y0 in (0..h).step_by(th as usize) {
            for x0 in (0..w).step_by(tw as usize) {
                let extent = [tw.min(w - x0), th.min(h - y0)];
                if let Err(e) =
                    self.render_tile(ctx, scene, &frame, &target, [x0, y0], extent, &mut image)
                {
                    result = Err(e);
                    break 'tiles;
                }
            }
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Wgpu(e.to_string()));
        }
        result.map(|()| image)
    }

    /// Draws one tile, reads it back and copies it into `image` at `origin`.
    #[allow(clippy::too_many_arguments)]
    fn render_tile(
        &mut self,
        ctx: &GpuContext,
        scene: &FrameScene,
        frame: &PreparedFrame,
        target: &ReadbackTarget,
        origin: [u32; 2],
        extent: [u32; 2],
        image: &mut image::RgbaImage,
    ) -> Result<(), GpuError> {
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        self.draw(
            ctx,
            &mut encoder,
            scene,
            frame,
            &target.view,
            Region {
                target_size: target.size,
                origin,
                extent,
            },
        );
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &target.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &target.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(target.padded),
                    rows_per_image: Some(target.size[1]),
                },
            },
            wgpu::Extent3d {
                width: extent[0],
                height: extent[1],
                depth_or_array_layers: 1,
            },
        );
        ctx.queue.submit([encoder.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        target.buffer.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        {
            let data = target
                .buffer
                .get_mapped_range(..)
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            let row_bytes = (extent[0] * 4) as usize;
            let stride = (image.width() * 4) as usize;
            let out: &mut [u8] = image;
            for (r, row) in data
                .chunks(target.padded as usize)
                .take(extent[1] as usize)
                .enumerate()
            {
                let at = (origin[1] as usize + r) * stride + origin[0] as usize * 4;
                out[at..at + row_bytes].copy_from_slice(&row[..row_bytes]);
            }
        }
        target.buffer.unmap();
        Ok(())
    }
}

/// At most this many bind groups stay cached (a few frames of a busy chart).
const MAX_CACHED_GROUPS: usize = 1024;

/// What [`Renderer::render_image`] needs for tiles of one size.
#[derive(Clone)]
struct ReadbackTarget {
    size: [u32; 2],
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    buffer: wgpu::Buffer,
    padded: u32,
}

/// Which part of the image a render pass draws: the pixels at `origin` of
/// size `extent`, into a target of `target_size` (≥ `extent`).
#[derive(Debug, Clone, Copy)]
struct Region {
    target_size: [u32; 2],
    origin: [u32; 2],
    extent: [u32; 2],
}

/// One frame uploaded: its bind groups and draw counts.
struct PreparedFrame {
    ui_group: wgpu::BindGroup,
    over_start: u32,
    rects: u32,
    glyphs: u32,
    series: Vec<wgpu::BindGroup>,
}

/// What the renderer created and reused (for tests and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RendererStats {
    /// The buffer pool's statistics.
    pub pool: PoolStats,
    /// Bind groups created (a frame like the previous one creates none).
    pub bind_groups_created: u64,
    /// Offscreen targets with their readback buffers created (one per tile size).
    pub readback_targets_created: u64,
    /// MSAA targets created (one per target size).
    pub msaa_targets_created: u64,
    /// Frames prepared (each `encode` or `render_image`).
    pub frames: u64,
    /// Bytes written to the GPU (instances, uniforms, text, glyph atlas):
    /// per frame O(pixels), whatever the number of points (tested).
    pub bytes_uploaded: u64,
}

/// Bytes per row of a readback of `width` pixels (rows are padded to
/// wgpu's copy alignment).
fn padded_row_bytes(width: u32) -> u32 {
    (width * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

/// The largest image side a device with `limits` draws: its largest
/// texture side (the frame's viewport spans the whole image even when it is
/// drawn in tiles, and a window surface is one texture).
pub fn max_image_side(limits: &wgpu::Limits) -> u32 {
    limits.max_texture_dimension_2d
}

/// An error naming the limit if `size` cannot be drawn with `limits`.
pub fn check_image_size(limits: &wgpu::Limits, size: [u32; 2]) -> Result<(), GpuError> {
    let max = max_image_side(limits);
    let [w, h] = size;
    if w == 0 || h == 0 || w > max || h > max {
        return Err(GpuError::Size {
            width: w,
            height: h,
            max,
        });
    }
    Ok(())
}

/// The tile size for an image of `size`: as large as the device's texture
/// side, its largest buffer (the tile's readback) and `max_side` allow.
pub fn tile_size(limits: &wgpu::Limits, size: [u32; 2], max_side: Option<u32>) -> [u32; 2] {
    let side = limits
        .max_texture_dimension_2d
        .min(max_side.unwrap_or(u32::MAX))
        .max(1);
    let tw = size[0].clamp(1, side);
    let rows = (limits.max_buffer_size / padded_row_bytes(tw) as u64).clamp(1, u32::MAX as u64);
    let th = size[1].clamp(1, side).min(rows as u32);
    [tw, th]
}

#[cfg(test)]
mod tests {
    use super::{check_image_size, tile_size};

    /// lavapipe's limits: 16384-px textures, buffers of at most 256 MiB
    /// (8193×8192 RGBA with padded rows is just over).
    fn lavapipe_like() -> wgpu::Limits {
        wgpu::Limits {
            max_texture_dimension_2d: 16384,
            max_buffer_size: 1 << 28,
            ..wgpu::Limits::default()
        }
    }

    #[test]
    fn tiles_keep_every_readback_inside_the_buffer_limit() {
        let limits = lavapipe_like();
        for size in [
            [8193, 8192],
            [16384, 16384],
            [1600, 900],
            [1, 16384],
            [16384, 1],
        ] {
            let [tw, th] = tile_size(&limits, size, None);
            assert!(tw <= 16384 && th <= 16384, "{size:?}");
            let padded = (tw * 4).div_ceil(256) * 256;
            assert!(
                padded as u64 * th as u64 <= limits.max_buffer_size,
                "{size:?}: {tw}x{th}"
            );
            assert!(tw >= 1 && th >= 1);
        }
        // What fits is one tile.
        assert_eq!(tile_size(&limits, [1600, 900], None), [1600, 900]);
        // 8193×8192 does not: two tiles of full width.
        let [tw, th] = tile_size(&limits, [8193, 8192], None);
        assert_eq!(tw, 8193);
        assert!(th < 8192 && th * 2 >= 8192, "{th}");
        // An injected limit wins.
        assert_eq!(tile_size(&limits, [200, 150], Some(64)), [64, 64]);
    }

    #[test]
    fn sizes_past_the_texture_limit_name_it() {
        let limits = lavapipe_like();
        assert!(check_image_size(&limits, [16384, 16384]).is_ok());
        assert!(check_image_size(&limits, [1, 1]).is_ok());
        let e = check_image_size(&limits, [16385, 100])
            .unwrap_err()
            .to_string();
        assert!(e.contains("16385x100") && e.contains("16384"), "{e}");
        assert!(e.contains("max_texture_dimension_2d"), "{e}");
        assert!(check_image_size(&limits, [0, 100]).is_err());
    }
}
