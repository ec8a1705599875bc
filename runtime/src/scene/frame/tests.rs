//! The dense path of a frame (interpolated column search, pyramid
//! lookups) against brute force: linear scans for every column's rows and
//! its min/max, over non-uniform timestamps (bursts, duplicates, hour-long
//! gaps where an interpolated guess is far off), NaN gaps in the values, and
//! views at the data's edges, beyond them, between two rows and on one row.

use super::{XMap, YMap, drawable, point_instances};
use crate::config::Scale;
use crate::data::Column;
use crate::gpu::types::PointInstance;
use crate::scene::model::XMode;
use crate::scene::types::ViewRange;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1e6
    }
}

/// What the frame must draw for `view`, by scanning every row.
fn reference(
    ts: &[i64],
    values: &[f64],
    view: ViewRange,
    width: f32,
    min_px: f32,
    y: &YMap,
) -> Vec<PointInstance> {
    let n = ts.len();
    let count = |f: &dyn Fn(f64) -> bool| ts.iter().filter(|&&t| f(t as f64)).count();
    let ia = count(&|t| t < view.x0);
    let ib = count(&|t| t <= view.x1);
    let (lo, hi) = (ia.saturating_sub(1), (ib + 1).min(n));
    let px = |t: f64| ((t - view.x0) / (view.x1 - view.x0) * width as f64) as f32;
    let mut buckets: Vec<(f32, usize, usize)> = Vec::new();
    if ((ib - ia) as f32) * min_px <= width {
        buckets.extend((lo..hi).map(|i| (px(ts[i] as f64), i, i + 1)));
    } else {
        if lo < ia {
            buckets.push((px(ts[lo] as f64), lo, ia));
        }
        let cols = (width / min_px).ceil() as usize;
        let mut a = ia;
        for c in 0..cols {
            let edge =
                view.x0 + ((c + 1) as f32 * min_px) as f64 / width as f64 * (view.x1 - view.x0);
            let b = if c + 1 == cols {
                ib
            } else {
                count(&|t| t < edge).clamp(a, ib)
            };
            if b > a {
                buckets.push(((c as f32 + 0.5) * min_px, a, b));
            }
            a = b;
        }
        if hi > ib {
            buckets.push((px(ts[ib] as f64), ib, hi));
        }
    }
    let mut out = Vec::new();
    let mut connected = false;
    for (x, a, b) in buckets {
        let finite = values[a..b].iter().filter(|v| v.is_finite());
        let mn = finite.clone().fold(f64::INFINITY, |m, &v| m.min(v));
        let mx = finite.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        if !(mn.is_finite() && mx.is_finite()) {
            connected = false;
            continue;
        }
        let pick = |v: f64| if v.is_finite() { v } else { (mn + mx) / 2.0 };
        out.push(PointInstance {
            x_px: x,
            first_px: y.y(pick(values[a])),
            last_px: y.y(pick(values[b - 1])),
            top_px: y.y(mx),
            bottom_px: y.y(mn),
            connect: if connected { 1.0 } else { 0.0 },
            _pad0: 0.0,
            _pad1: 0.0,
        });
        connected = true;
    }
    out
}

#[test]
fn dense_line_instances_equal_brute_force_over_random_views() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mode = XMode::Time;
    let y = YMap::new(-50.0, 150.0, Scale::Linear, 400.0);
    for (shape, n) in [(0, 60_000), (1, 60_000), (2, 20_000), (3, 1), (4, 2)] {
        let mut t = 1_700_000_000_000_000_000i64;
        let ts: Vec<i64> = (0..n)
            .map(|i| {
                t += match shape {
                    0 => 1_000,
                    // Bursts of equal times and hour-long gaps.
                    1 => match rng.next() % 50 {
                        0 => 3_600_000_000_000,
                        1..=15 => 0,
                        _ => (rng.next() % 2_000) as i64,
                    },
                    // One gap splitting the data into two dense halves.
                    2 if i == n / 3 => 86_400_000_000_000,
                    _ => 1 + (rng.next() % 10) as i64,
                };
                t
            })
            .collect();
        let values: Vec<f64> = (0..n)
            .map(|i| {
                if i % 997 == 13 {
                    f64::NAN
                } else {
                    (rng.next() % 10_000) as f64 / 100.0
                }
            })
            .collect();
        let column = Column::new(values.clone());
        let (first, last) = (ts[0] as f64, ts[n - 1] as f64);
        let span = (last - first).max(1e6);
        for k in 0..120 {
            let view = match k {
                0 => ViewRange {
                    x0: first,
                    x1: last,
                },
                1 => ViewRange {
                    x0: first - span,
                    x1: first + 0.01 * span,
                },
                2 => ViewRange {
                    x0: last - 0.01 * span,
                    x1: last + span,
                },
                // Entirely before, entirely after the data.
                3 => ViewRange {
                    x0: first - 2.0 * span,
                    x1: first - span,
                },
                4 => ViewRange {
                    x0: last + 1.0,
                    x1: last + span,
                },
                // On one row.
                5 => ViewRange {
                    x0: ts[n / 2] as f64 - 300.0,
                    x1: ts[n / 2] as f64 + 300.0,
                },
                _ => {
                    let a = first - 0.05 * span + rng.unit() * 1.1 * span;
                    // At least a few ulps of 1.7e18 (256 ns): a frame's view is never empty.
                    let w = (span * rng.unit().powi(3)).max(2_000.0);
                    ViewRange { x0: a, x1: a + w }
                }
            };
            // One row (or one time) gives x0 == x1: a frame never shows that.
            let view = if view.x1 > view.x0 {
                view
            } else {
                ViewRange {
                    x0: view.x0,
                    x1: view.x0 + span,
                }
            };
            let width = 100.0 + (rng.next() % 400) as f32;
            let min_px = [1.0f32, 0.5, 2.0, 1.25][k % 4];
            let x = XMap {
                mode: &mode,
                view,
                width,
            };
            let (buckets, _) = x.buckets(&ts, min_px);
            let got = point_instances(&column.values, &column.pyramid, &buckets, &y);
            assert_eq!(
                got,
                reference(&ts, &values, view, width, min_px, &y),
                "shape {shape} view {view:?} width {width} min_px {min_px}"
            );
        }
    }
}

#[test]
fn an_empty_view_near_today_is_widened_to_a_drawable_one() {
    // One row today (ns since 1970): x0 == x1, and x0 + 1.0 == x0 in f64.
    let t = 1_733_000_000_123_456_789i64;
    let ts = vec![t];
    let values = vec![101.5];
    let column = Column::new(values.clone());
    let y = YMap::new(100.0, 103.0, Scale::Linear, 400.0);
    let mode = XMode::Time;
    for view in [
        ViewRange {
            x0: t as f64,
            x1: t as f64,
        },
        ViewRange {
            x0: t as f64,
            x1: t as f64 - 5e9,
        },
        ViewRange {
            x0: t as f64,
            x1: t as f64 + 1.0,
        },
        ViewRange { x0: 0.0, x1: 0.0 },
        ViewRange { x0: -3.0, x1: -3.0 },
    ] {
        let v = drawable(view);
        assert!(v.x1 > v.x0, "{view:?} -> {v:?}");
        assert!(
            v.x0 <= view.x0 && view.x0 <= v.x1,
            "{view:?} -> {v:?} must keep its start"
        );
        let x = XMap {
            mode: &mode,
            view: v,
            width: 640.0,
        };
        let (buckets, _) = x.buckets(&ts, 1.0);
        let got = point_instances(&column.values, &column.pyramid, &buckets, &y);
        if view.x0 == t as f64 {
            assert_eq!(got.len(), 1, "{view:?}: the one row is drawn");
        }
        for p in &got {
            assert!(
                p.x_px.is_finite() && p.first_px.is_finite(),
                "{view:?} -> {p:?}"
            );
        }
    }
    // A view that is wide enough stays as it is; one that is not finite
    // falls back to the unit range instead of NaN positions.
    let wide = ViewRange {
        x0: t as f64,
        x1: t as f64 + 2e9,
    };
    assert_eq!(drawable(wide), wide);
    let v = drawable(ViewRange {
        x0: f64::NAN,
        x1: 1.0,
    });
    assert_eq!((v.x0, v.x1), (0.0, 1.0));
}
