//! Draws a [`FrameScene`]: grid and backgrounds, each series with its chart
//! type's pipeline (scissored to its pane), then axes and text. MSAA 4×,
//! resolved into the target. Works on an offscreen texture (PNG) and,
//! later, on a window surface: [`Renderer::encode`] only needs a view.

use std::collections::HashMap;

use crate::gpu::context::{GpuContext, GpuError};
use crate::gpu::pool::BufferPool;
use crate::gpu::shader;
use crate::gpu::text::{ATLAS_SIZE, GlyphAtlas};
use crate::gpu::types::{GlyphInstance, RectInstance, UiUniform};
use crate::scene::frame::{FrameScene, Instances};
use crate::scene::model::ChartTypeSpec;

/// MSAA sample count.
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
    /// Pooled per-frame buffers.
    pub pool: BufferPool,
    msaa: Option<([u32; 2], wgpu::TextureView)>,
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

fn pipeline(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    vs: &str,
    fs: &str,
    format: wgpu::TextureFormat,
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
            count: SAMPLE_COUNT,
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
                    device, "rects", &ui_layout, &module, "vs_rect", "fs_rect", format,
                ),
                pipeline(
                    device, "glyphs", &ui_layout, &module, "vs_glyph", "fs_glyph", format,
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
            msaa: None,
        })
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
        }
        buf
    }

    fn msaa_view(&mut self, ctx: &GpuContext, size: [u32; 2]) -> wgpu::TextureView {
        if let Some((s, v)) = &self.msaa
            && *s == size
        {
            return v.clone();
        }
        let tex = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("msaa"),
            size: wgpu::Extent3d {
                width: size[0],
                height: size[1],
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: SAMPLE_COUNT,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        let view = tex.create_view(&Default::default());
        self.msaa = Some((size, view.clone()));
        view
    }

    /// Records the frame into `encoder`, resolving into `target` (same size as the scene).
    pub fn encode(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        scene: &FrameScene,
        target: &wgpu::TextureView,
    ) -> Result<(), GpuError> {
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
        let ui_bg = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
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
        let mut series_binds = Vec::with_capacity(scene.series.len());
        for s in &scene.series {
            let ubuf = self.upload(ctx, &[s.uniform], wgpu::BufferUsages::UNIFORM);
            let ibuf = match &s.instances {
                Instances::Bars(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
                Instances::Points(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
                Instances::Band(v) => self.upload(ctx, v, wgpu::BufferUsages::STORAGE),
            };
            let bg = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&s.spec.key),
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
            series_binds.push(bg);
        }
        let msaa = self.msaa_view(ctx, scene.size);
        let c = scene.clear;
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("frame"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &msaa,
                depth_slice: None,
                resolve_target: Some(target),
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: c[0] as f64,
                        g: c[1] as f64,
                        b: c[2] as f64,
                        a: c[3] as f64,
                    }),
                    store: wgpu::StoreOp::Discard,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &ui_bg, &[]);
        pass.set_pipeline(&self.rect_pipeline);
        if over_start > 0 {
            pass.draw(0..6, 0..over_start as u32);
        }
        for (s, bg) in scene.series.iter().zip(&series_binds) {
            let Some(p) = self.chart_pipelines.get(&s.spec.key) else {
                continue;
            };
            let [x, y, cw, ch] = s.clip;
            let (x, y) = (x.min(w.saturating_sub(1)), y.min(h.saturating_sub(1)));
            pass.set_scissor_rect(x, y, cw.min(w - x).max(1), ch.min(h - y).max(1));
            pass.set_pipeline(p);
            pass.set_bind_group(0, bg, &[]);
            pass.draw(0..s.spec.vertices_per_instance, 0..s.instances.len() as u32);
        }
        pass.set_scissor_rect(0, 0, w, h);
        pass.set_bind_group(0, &ui_bg, &[]);
        pass.set_pipeline(&self.rect_pipeline);
        if rects.len() > over_start {
            pass.draw(0..6, over_start as u32..rects.len() as u32);
        }
        if !glyphs.is_empty() {
            pass.set_pipeline(&self.glyph_pipeline);
            pass.draw(0..6, 0..glyphs.len() as u32);
        }
        drop(pass);
        Ok(())
    }

    /// Renders `scene` offscreen and reads it back as an RGBA image.
    pub fn render_image(
        &mut self,
        ctx: &GpuContext,
        scene: &FrameScene,
    ) -> Result<image::RgbaImage, GpuError> {
        let [w, h] = scene.size;
        let max = ctx.device.limits().max_texture_dimension_2d;
        if w == 0 || h == 0 || w > max || h > max {
            return Err(GpuError::Wgpu(format!(
                "size {w}x{h} is outside 1..={max} pixels per side"
            )));
        }
        let target = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen"),
            size: wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = target.create_view(&Default::default());
        let padded = (w * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let readback = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: padded as u64 * h as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        self.encode(ctx, &mut encoder, scene, &view)?;
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &target,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(h),
                },
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
        ctx.queue.submit([encoder.finish()]);
        self.pool.recycle();
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Wgpu(e.to_string()));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        readback.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let data = readback
            .get_mapped_range(..)
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let mut pixels = Vec::with_capacity((w * h * 4) as usize);
        for row in data.chunks(padded as usize).take(h as usize) {
            pixels.extend_from_slice(&row[..(w * 4) as usize]);
        }
        drop(data);
        readback.unmap();
        image::RgbaImage::from_raw(w, h, pixels)
            .ok_or_else(|| GpuError::Readback("short read".into()))
    }
}
