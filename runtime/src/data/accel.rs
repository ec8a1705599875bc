//! A hook for aggregating large tick sets somewhere other than the CPU cores
//! (the GPU, [`crate::gpu::aggregate::GpuTickAggregator`]), without the
//! model depending on the GPU layer: the session that owns a device hands
//! the model an implementation of [`TickAggregator`]
//! ([`crate::render::ChartSession::set_tick_aggregator`]).
//!
//! The contract is strict: an implementation returns exactly what
//! [`crate::data::timeframe::aggregate_ticks`] returns, bit for bit, or an
//! error; the model then falls back to the CPU path with a notice. Charts
//! never change values with the hardware.

use super::storage::Storage;
use super::timeframe::{Aligner, Bars};

/// Aggregates ticks into bars equal to the CPU path's, or fails.
pub trait TickAggregator: Send + Sync {
    /// Whether it should be used for `ticks` ticks (e.g. a real GPU and a
    /// tick count where it pays); the model asks before each aggregation.
    fn wanted(&self, ticks: usize) -> bool;

    /// The bars of the ticks (`time` UTC ns, non-decreasing as a loaded
    /// table's are). `price` and `size` are the table's columns, cheap to
    /// clone, so an implementation may keep them (and what it made of them,
    /// such as a GPU upload) for the next timeframe over the same ticks.
    fn aggregate_ticks(
        &self,
        al: &Aligner,
        time: &[i64],
        price: &Storage<f64>,
        size: Option<&Storage<f64>>,
    ) -> Result<Bars, String>;

    /// What it runs on, for notices ("GPU NVIDIA H100 (Vulkan)").
    fn describe(&self) -> String;

    /// The bytes it may keep resident between aggregations (the GPU share
    /// of the memory budget); ticks that need more are released after each
    /// aggregation, so a timeframe switch uploads them again.
    fn set_resident_budget(&self, _bytes: u64) {}

    /// What it holds and has done, for `stats` and the overlay.
    fn usage(&self) -> AggregatorUsage {
        AggregatorUsage::default()
    }
}

/// What a [`TickAggregator`] holds and has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AggregatorUsage {
    /// Timeframes it returned bars for.
    pub runs: u64,
    /// Bytes of ticks it keeps resident now.
    pub resident_bytes: u64,
    /// The most it may keep ([`TickAggregator::set_resident_budget`]).
    pub resident_budget: u64,
    /// Aggregations whose ticks were released afterwards, being more than
    /// that budget.
    pub released_over_budget: u64,
}

/// A [`TickAggregator`] shared by a session and the charts it builds;
/// equal when it is the same one.
#[derive(Clone)]
pub struct SharedTickAggregator(pub std::sync::Arc<dyn TickAggregator>);

impl PartialEq for SharedTickAggregator {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for SharedTickAggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedTickAggregator")
            .field(&self.0.describe())
            .finish()
    }
}
