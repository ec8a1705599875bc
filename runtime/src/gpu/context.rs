//! The wgpu instance, adapter, device and queue.

/// Errors of the GPU layer.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter.
    #[error(
        "no GPU adapter found ({0})\n  = help: on a machine without a GPU install Mesa's software Vulkan driver: `apt-get install -y mesa-vulkan-drivers libvulkan1`"
    )]
    NoAdapter(String),
    /// Device request failed.
    #[error("could not open the GPU device: {0}")]
    Device(String),
    /// A shader failed validation.
    #[error(transparent)]
    Shader(#[from] crate::gpu::shader::ShaderError),
    /// wgpu reported a validation or out-of-memory error.
    #[error("GPU error: {0}")]
    Wgpu(String),
    /// The image is larger than the device can draw (or empty).
    #[error(
        "cannot draw a {width}x{height} image on this GPU: each side must be 1 to {max} pixels\n  = help: {max} is the adapter's largest texture side (max_texture_dimension_2d); choose a smaller size"
    )]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// The device's largest texture side.
        max: u32,
    },
    /// Reading the frame back failed.
    #[error("could not read the frame back from the GPU: {0}")]
    Readback(String),
}

/// A device and queue, with what the adapter is. Cloning shares them
/// (wgpu handles are reference-counted).
#[derive(Clone)]
pub struct GpuContext {
    /// The instance.
    pub instance: wgpu::Instance,
    /// The adapter.
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
}

impl GpuContext {
    /// Opens the default adapter without a surface (headless rendering).
    pub fn headless() -> Result<GpuContext, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Self::with_adapter(instance, adapter)
    }

    /// The largest image side the default adapter draws (its
    /// `max_texture_dimension_2d`), without opening a device: what
    /// `validate` checks a chart's `size` against.
    pub fn probe_max_image_side() -> Result<u32, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Ok(crate::gpu::max_image_side(&adapter.limits()))
    }

    /// What `quality = "auto"` looks at in the default adapter, without
    /// opening a device (the window picks before its surface exists).
    pub fn probe_adapter_facts() -> Result<crate::quality::AdapterFacts, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        Ok(crate::quality::AdapterFacts::of(&adapter))
    }

    /// Opens a device on `adapter`.
    pub fn with_adapter(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
    ) -> Result<GpuContext, GpuError> {
        // Ask for what the adapter offers: lavapipe caps storage bindings at 128 MiB.
        let limits = wgpu::Limits::default().using_resolution(adapter.limits());
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpu-charts"),
            // Timestamps where the adapter has them: `gpu-charts stats`
            // reports the GPU's own frame time with them.
            required_features: adapter.features() & timestamp_features(),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(e.to_string()))?;
        Ok(GpuContext {
            instance,
            adapter,
            device,
            queue,
        })
    }

    /// Whether the device writes timestamps between passes
    /// ([`timestamp_features`]).
    pub fn has_timestamps(&self) -> bool {
        self.device.features().contains(timestamp_features())
    }

    /// "name (backend, type)" of the adapter.
    pub fn adapter_summary(&self) -> String {
        let i = self.adapter.get_info();
        format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type)
    }
}

/// The features GPU frame timing needs: timestamp queries written by the
/// command encoder around a frame's render pass.
pub fn timestamp_features() -> wgpu::Features {
    wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
}
