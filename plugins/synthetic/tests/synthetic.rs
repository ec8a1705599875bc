//! The synthetic source through its exported C tables.

use gpu_charts_plugin_api::testing::{Table, read_source};
use gpu_charts_plugin_api::{GC_ERR_PARAMS, PluginError};
use gpu_charts_plugin_kit::testing::schema_defaults;
use gpu_charts_plugin_synthetic::plugin_descriptor;

const NS: i64 = 1_000_000_000;
/// 2024-01-02T14:30:00Z (`date -u -d 2024-01-02T14:30:00Z +%s`).
const DEFAULT_START_NS: i64 = 1_704_205_800 * NS;

fn read(params: &str, chunk: usize) -> Result<Table, PluginError> {
    read_source(plugin_descriptor(), "synthetic", params, "", chunk)
}

fn table(params: &str) -> Table {
    read(params, 4096).unwrap_or_else(|e| panic!("synthetic {params}: {e}"))
}

#[test]
fn defaults_give_a_million_rows_from_the_default_start() {
    let t = table("{}");
    assert_eq!(t.names, ["value", "volume"]);
    assert_eq!(t.timestamps.len(), 1_000_000);
    assert_eq!(t.timestamps[0], DEFAULT_START_NS);
    assert_eq!(t.columns[0][0], 100.0);
}

#[test]
fn row_count_follows_rows() {
    for rows in [1, 2, 4095, 4096, 4097, 12_345] {
        let t = table(&format!(r#"{{"rows": {rows}}}"#));
        assert_eq!(t.timestamps.len(), rows);
        assert_eq!(t.columns[0].len(), rows);
        assert_eq!(t.columns[1].len(), rows);
    }
}

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let a = table(r#"{"rows": 5000, "seed": 7}"#);
    let b = table(r#"{"rows": 5000, "seed": 7}"#);
    let c = table(r#"{"rows": 5000, "seed": 8}"#);
    assert_eq!(a, b);
    assert_ne!(a.timestamps, c.timestamps);
    assert_ne!(a.columns[0], c.columns[0]);
    // A longer run starts with the same rows.
    let longer = table(r#"{"rows": 6000, "seed": 7}"#);
    assert_eq!(longer.timestamps[..5000], a.timestamps[..]);
    assert_eq!(longer.columns[0][..5000], a.columns[0][..]);
}

#[test]
fn chunk_size_does_not_change_the_rows() {
    let params = r#"{"rows": 10000, "spike_probability": 0.01}"#;
    let reference = read(params, 10_000).expect("one chunk");
    for chunk in [1, 7, 999, 4096, 1_000_000] {
        assert_eq!(
            read(params, chunk).expect("chunked"),
            reference,
            "chunk {chunk}"
        );
    }
}

#[test]
fn timestamps_strictly_increase_at_the_mean_interval() {
    // 1 ms mean interval: small enough that rounding to whole ns matters little.
    let t =
        table(r#"{"rows": 200000, "mean_interval_ms": 1, "start": "2020-05-01T00:00:00+02:00"}"#);
    // 2020-04-30T22:00:00Z (`date -u -d 2020-04-30T22:00:00Z +%s`).
    assert_eq!(t.timestamps[0], 1_588_284_000 * NS);
    assert!(
        t.timestamps.windows(2).all(|w| w[1] > w[0]),
        "timestamps must strictly increase"
    );
    let mean_ns = (t.timestamps[199_999] - t.timestamps[0]) as f64 / 199_999.0;
    // Exponential intervals: the sample mean of 2e5 has sd 1/sqrt(2e5) ≈ 0.22%.
    assert!(
        (mean_ns / 1e6 - 1.0).abs() < 0.01,
        "mean interval {mean_ns} ns"
    );
    // Exponential: about 1 - 1/e of the intervals are below the mean.
    let below = t
        .timestamps
        .windows(2)
        .filter(|w| ((w[1] - w[0]) as f64) < 1e6)
        .count() as f64
        / 199_999.0;
    assert!((below - (1.0 - (-1.0f64).exp())).abs() < 0.01, "{below}");
}

#[test]
fn tiny_intervals_still_strictly_increase() {
    let t = table(r#"{"rows": 10000, "mean_interval_ms": 0.000001}"#);
    assert!(t.timestamps.windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn spikes_are_single_rows_of_the_given_size() {
    // No volatility: the walk stays at 100, so every spike is exactly visible.
    let t = table(
        r#"{"rows": 100000, "volatility": 0, "spike_probability": 0.01, "spike_size": 0.02}"#,
    );
    let values = &t.columns[0];
    let spikes: Vec<usize> = (0..values.len()).filter(|&i| values[i] != 100.0).collect();
    for &i in &spikes {
        assert!(
            values[i] == 102.0 || values[i] == 98.0,
            "row {i}: {}",
            values[i]
        );
    }
    // Binomial(1e5, 0.01): 1000 ± 31.
    assert!(
        (900..1100).contains(&spikes.len()),
        "{} spikes",
        spikes.len()
    );
    let up = spikes.iter().filter(|&&i| values[i] > 100.0).count();
    assert!(
        (400..600).contains(&up),
        "{up} of {} spikes up",
        spikes.len()
    );
}

#[test]
fn without_spikes_log_returns_have_the_given_volatility() {
    let t = table(r#"{"rows": 200000, "volatility": 0.001, "spike_probability": 0}"#);
    let returns: Vec<f64> = t.columns[0]
        .windows(2)
        .map(|w| (w[1] / w[0]).ln())
        .collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let sd = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((sd / 0.001 - 1.0).abs() < 0.01, "sd {sd}");
    assert!(mean.abs() < 1e-5, "mean {mean}");
    // Normal returns: nothing beyond 6 sd in 2e5 draws.
    assert!(returns.iter().all(|r| r.abs() < 0.006));
    assert!(
        t.columns[1].iter().all(|&v| v >= 1.0 && v.fract() == 0.0),
        "volumes are whole numbers >= 1"
    );
}

#[test]
fn bad_params_are_rejected() {
    let cases = [
        (r#"{"rows": 0}"#, "rows must be 1..=2000000000, got 0"),
        (r#"{"rows": 2000000001}"#, "rows must be 1..=2000000000"),
        (
            r#"{"mean_interval_ms": 0}"#,
            "mean_interval_ms must be > 0, got 0",
        ),
        (r#"{"start_price": -1}"#, "start_price must be > 0, got -1"),
        (r#"{"volatility": 2}"#, "volatility must be 0..=1, got 2"),
        (
            r#"{"spike_probability": 1.5}"#,
            "spike_probability must be 0..=1, got 1.5",
        ),
        (
            r#"{"spike_size": 1}"#,
            "spike_size must be at least 0 and below 1, got 1",
        ),
        (
            r#"{"start": "2024-01-02 14:30"}"#,
            "start `2024-01-02 14:30` is not an RFC 3339 time",
        ),
        (
            r#"{"rows": 2000000000, "mean_interval_ms": 86400000}"#,
            "run past the year 2262",
        ),
        (r#"{"row": 5}"#, "unknown field `row`"),
        (r#"{"shape": "bars"}"#, "unknown variant `bars`"),
        (
            r#"{"shape": "ohlc", "mean_interval_ms": 0.0000001}"#,
            "mean_interval_ms must be at least 0.000001 (1 ns)",
        ),
    ];
    for (params, expected) in cases {
        let e = read(params, 16).expect_err(params);
        assert_eq!(e.status, GC_ERR_PARAMS, "{params}");
        assert!(e.message.contains(expected), "{params}: {}", e.message);
        assert!(!e.help.is_empty(), "{params}: no help");
    }
}

#[test]
fn schema_defaults_are_the_plugin_defaults() {
    let params = schema_defaults(gpu_charts_plugin_synthetic::PARAMS_SCHEMA);
    assert_eq!(params.len(), 9, "every param has a default");
    let explicit = table(&serde_json::Value::Object(params).to_string());
    assert_eq!(explicit, table("{}"));
}

// --- shape = "ohlc" ---------------------------------------------------------

const MINUTE_NS: i64 = 60 * NS;

#[test]
fn ohlc_bars_have_five_columns_at_regular_times() {
    let t = table(r#"{"shape": "ohlc", "rows": 10000, "mean_interval_ms": 60000}"#);
    assert_eq!(t.names, ["open", "high", "low", "close", "volume"]);
    assert_eq!(t.columns.len(), 5);
    assert!(t.columns.iter().all(|c| c.len() == 10_000));
    assert_eq!(t.timestamps[0], DEFAULT_START_NS);
    assert_eq!(t.timestamps[9_999], DEFAULT_START_NS + 9_999 * MINUTE_NS);
    assert!(t.timestamps.windows(2).all(|w| w[1] - w[0] == MINUTE_NS));
    // The first bar opens at start_price.
    assert_eq!(t.columns[0][0], 100.0);
}

#[test]
fn ohlc_bars_are_consistent_and_chain() {
    let t = table(r#"{"shape": "ohlc", "rows": 100000, "volatility": 0.001, "seed": 3}"#);
    let [open, high, low, close, volume] = &t.columns[..] else {
        panic!("five columns");
    };
    for i in 0..t.timestamps.len() {
        let (o, h, l, c) = (open[i], high[i], low[i], close[i]);
        assert!(o > 0.0 && c > 0.0 && l > 0.0, "bar {i}: {o} {h} {l} {c}");
        assert!(l < o.min(c) && o.max(c) < h, "bar {i}: {o} {h} {l} {c}");
        // Wicks of at most one volatility step (no spikes by default at
        // this row count is not guaranteed, so allow the spike size too).
        assert!(h / o.max(c) <= 1.02 + 1e-12, "bar {i}: high {h}");
        assert!(l / o.min(c) >= 0.98 - 1e-12, "bar {i}: low {l}");
        assert!(volume[i] >= 1.0 && volume[i].fract() == 0.0);
        if i > 0 {
            assert_eq!(o, close[i - 1], "bar {i} opens at the previous close");
        }
    }
    // close-to-close log returns have the given volatility.
    let returns: Vec<f64> = close.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let sd = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((sd / 0.001 - 1.0).abs() < 0.02, "sd {sd}");
    // The walk moves: not every close equals the start.
    assert!(close.iter().any(|&c| (c - 100.0).abs() > 0.5));
}

#[test]
fn ohlc_known_first_bars() {
    // Pinned so a change of the generator is noticed: seed 42 and the
    // default walk (volatility 0.0005, 100 ms bars). By hand: bar 0 closes
    // 0.0207% up (z ≈ 0.41), its high is the close × e^(0.0005 × 0.28) and
    // its low the open × e^(−0.0005 × 0.34); each bar opens at the close
    // before it.
    let t = table(r#"{"shape": "ohlc", "rows": 3}"#);
    let bars: Vec<[f64; 5]> = (0..3)
        .map(|i| std::array::from_fn(|c| t.columns[c][i]))
        .collect();
    assert_eq!(
        bars,
        [
            [
                100.0,
                100.03467205340176,
                99.98279194492949,
                100.02073813757607,
                153.0
            ],
            [
                100.02073813757607,
                100.03098587874346,
                99.94208265905341,
                99.96672087850095,
                42.0
            ],
            [
                99.96672087850095,
                99.97139081574794,
                99.8259852714027,
                99.86037857005925,
                52.0
            ],
        ]
    );
    assert_eq!(
        t.timestamps,
        [
            DEFAULT_START_NS,
            DEFAULT_START_NS + NS / 10,
            DEFAULT_START_NS + 2 * NS / 10
        ]
    );
}

#[test]
fn ohlc_spikes_are_one_bar_wicks_of_the_given_size() {
    // No volatility: every bar is 100 flat, so only spikes leave 100.
    let t = table(
        r#"{"shape": "ohlc", "rows": 100000, "volatility": 0, "spike_probability": 0.01, "spike_size": 0.02}"#,
    );
    let [open, high, low, close, _] = &t.columns[..] else {
        panic!("five columns");
    };
    assert!(open.iter().chain(close).all(|&v| v == 100.0));
    let up = high.iter().filter(|&&h| h != 100.0).count();
    let down = low.iter().filter(|&&l| l != 100.0).count();
    assert!(high.iter().all(|&h| h == 100.0 || h == 102.0));
    assert!(low.iter().all(|&l| l == 100.0 || l == 98.0));
    // No bar spikes both ways.
    assert!((0..high.len()).all(|i| high[i] == 100.0 || low[i] == 100.0));
    // Binomial(1e5, 0.01): 1000 ± 31, about half each way.
    assert!((900..1100).contains(&(up + down)), "{up} + {down} spikes");
    assert!((400..600).contains(&up), "{up} of {} spikes up", up + down);
}

#[test]
fn ohlc_rows_do_not_depend_on_chunks_or_run_length() {
    let params = r#"{"shape": "ohlc", "rows": 10000, "spike_probability": 0.01}"#;
    let reference = read(params, 10_000).expect("one chunk");
    for chunk in [1, 7, 4096] {
        assert_eq!(
            read(params, chunk).expect("chunked"),
            reference,
            "chunk {chunk}"
        );
    }
    let longer = table(r#"{"shape": "ohlc", "rows": 12000, "spike_probability": 0.01}"#);
    for c in 0..5 {
        assert_eq!(longer.columns[c][..10_000], reference.columns[c][..]);
    }
}

#[test]
fn ticks_are_unchanged_by_the_shape_param() {
    assert_eq!(
        table(r#"{"rows": 5000, "shape": "ticks"}"#),
        table(r#"{"rows": 5000}"#)
    );
}
