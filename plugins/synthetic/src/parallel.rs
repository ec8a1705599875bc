//! Rows generated on every core, bit for bit the rows of the sequential
//! walk (`Synthetic::next_row` / `next_bar`, kept in tests as the reference).
//!
//! Every random value is a pure function of the seed and its position in
//! the stream ([`super::draw`]), so each row's draws, time step, price
//! factor, volume and spike are computed in parallel (phase 1 and 3). Only
//! the walk itself is a chain: the timestamp is the previous one plus a step
//! and the price the previous one times a factor. Phase 2 runs that chain on
//! one core, one addition and one multiplication a row, in the same order
//! as the sequential walk, so the f64 results are identical whatever the
//! number of threads (a parallel product would round differently).

use gpu_charts_plugin_api::PluginError;
use rayon::prelude::*;

use super::{Synthetic, draw};

/// Rows per parallel task: the host reads 64 Ki rows a call
/// (`SOURCE_CHUNK_ROWS`), so 16 tasks a call, each ~0.5 ms of work.
const BLOCK: usize = 1 << 12;

fn after_2262(what: &str, row: u64) -> PluginError {
    PluginError::data(format!(
        "synthetic: {what} {row} would be after the year 2262"
    ))
    .with_help("lower rows or mean_interval_ms")
}

/// The next `ts.len()` tick rows.
pub(crate) fn ticks(
    s: &mut Synthetic,
    ts: &mut [i64],
    values: &mut [f64],
    volumes: &mut [f64],
) -> Result<(), PluginError> {
    gpu_charts_plugin_kit::name_worker_threads("gc-synthetic");
    let (e0, seed, mean, vol) = (s.emitted, s.seed, s.mean_interval_ns, s.volatility);
    // Phase 1: each row's time step (0 for the first row), price factor, volume.
    ts.par_chunks_mut(BLOCK)
        .zip(values.par_chunks_mut(BLOCK))
        .zip(volumes.par_chunks_mut(BLOCK))
        .enumerate()
        .for_each(|(b, ((t, v), w))| {
            for i in 0..t.len() {
                let e = e0 + (b * BLOCK + i) as u64;
                let k = 6 * e;
                if e > 0 {
                    let u_interval = draw(seed, k + 1);
                    t[i] = ((-u_interval.ln() * mean).round() as i64).max(1);
                    let (u1, u2) = (draw(seed, k + 2), draw(seed, k + 3));
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                    v[i] = (vol * z).exp();
                } else {
                    t[i] = 0;
                    v[i] = 1.0;
                }
                w[i] = (-draw(seed, k + 6).ln() * 100.0).round() + 1.0;
            }
        });
    // Phase 2: the walk, in order.
    let (mut t, mut price) = (s.timestamp_ns, s.price);
    for i in 0..ts.len() {
        let e = e0 + i as u64;
        if e > 0 {
            t = t.checked_add(ts[i]).ok_or_else(|| after_2262("row", e))?;
            price *= values[i];
        }
        ts[i] = t;
        values[i] = price;
    }
    // Phase 3: one-row spikes off the walk.
    let (p, size) = (s.spike_probability, s.spike_size);
    if p > 0.0 {
        values.par_chunks_mut(BLOCK).enumerate().for_each(|(b, v)| {
            for (i, x) in v.iter_mut().enumerate() {
                let k = 6 * (e0 + (b * BLOCK + i) as u64);
                if draw(seed, k + 4) <= p {
                    let sign = if draw(seed, k + 5) <= 0.5 { 1.0 } else { -1.0 };
                    *x *= 1.0 + sign * size;
                }
            }
        });
    }
    finish(s, ts.len(), 6, t, price);
    Ok(())
}

/// The next `ts.len()` bars into open, high, low, close, volume.
pub(crate) fn bars(
    s: &mut Synthetic,
    ts: &mut [i64],
    [open, high, low, close, volume]: [&mut [f64]; 5],
) -> Result<(), PluginError> {
    gpu_charts_plugin_kit::name_worker_threads("gc-synthetic");
    let (e0, seed, vol) = (s.emitted, s.seed, s.volatility);
    // Phase 1: each bar's close/open factor and volume.
    close
        .par_chunks_mut(BLOCK)
        .zip(volume.par_chunks_mut(BLOCK))
        .enumerate()
        .for_each(|(b, (c, w))| {
            for i in 0..c.len() {
                let k = 8 * (e0 + (b * BLOCK + i) as u64);
                let (u1, u2) = (draw(seed, k + 1), draw(seed, k + 2));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                c[i] = (vol * z).exp();
                w[i] = (-draw(seed, k + 7).ln() * 100.0).round() + 1.0;
            }
        });
    // Phase 2: the walk, in order.
    let step = s.mean_interval_ns.round() as i64;
    let (mut t, mut price) = (s.timestamp_ns, s.price);
    for i in 0..ts.len() {
        let e = e0 + i as u64;
        if e > 0 {
            t = t.checked_add(step).ok_or_else(|| after_2262("bar", e))?;
        }
        ts[i] = t;
        open[i] = price;
        price *= close[i];
        close[i] = price;
    }
    // Phase 3: wicks and spikes.
    let (p, size) = (s.spike_probability, s.spike_size);
    high.par_chunks_mut(BLOCK)
        .zip(low.par_chunks_mut(BLOCK))
        .zip(open.par_chunks(BLOCK).zip(close.par_chunks(BLOCK)))
        .enumerate()
        .for_each(|(b, ((h, l), (o, c)))| {
            for i in 0..h.len() {
                let k = 8 * (e0 + (b * BLOCK + i) as u64);
                let (top, bottom) = (o[i].max(c[i]), o[i].min(c[i]));
                h[i] = top * (vol * draw(seed, k + 3)).exp();
                l[i] = bottom * (-vol * draw(seed, k + 4)).exp();
                if p > 0.0 && draw(seed, k + 5) <= p {
                    if draw(seed, k + 6) <= 0.5 {
                        h[i] = top * (1.0 + size);
                    } else {
                        l[i] = bottom * (1.0 - size);
                    }
                }
            }
        });
    finish(s, ts.len(), 8, t, price);
    Ok(())
}

/// Advances the walk's state past `n` rows of `draws` values each.
fn finish(s: &mut Synthetic, n: usize, draws: u64, t: i64, price: f64) {
    s.emitted += n as u64;
    if n > 0 {
        s.timestamp_ns = t;
        s.price = price;
    }
    #[cfg(test)]
    {
        s.rng.0 = s
            .seed
            .wrapping_add((draws * s.emitted).wrapping_mul(super::GOLDEN));
    }
    let _ = draws;
}
