//! An indicator fed by two sources, aligned by time: AAPL / MSFT ratio and
//! its z-score (scripts/pair_ratio.lua), checked against a computation done
//! here from the raw source columns.

mod common;

use gpu_charts::render::ChartSession;

#[test]
fn pair_ratio_aligns_two_symbols_by_time() {
    let mut session = ChartSession::default();
    let model = session
        .load(&common::repo().join("examples/pair_ratio.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let col = |name: &str| {
        model
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .data
            .clone()
    };
    let (a, ratio, z) = (col("aapl.close"), col("pair.ratio"), col("pair.z"));
    let msft = &model.tables["msft"];
    let (mts, mclose) = (
        &msft.timeline.timestamps,
        &msft.column("close").unwrap().values,
    );
    // Outputs live on AAPL's timeline.
    assert!(std::sync::Arc::ptr_eq(&ratio.timeline, &a.timeline));
    let ts = &a.timeline.timestamps;
    let mut expected = Vec::with_capacity(ts.len());
    for (i, t) in ts.iter().enumerate() {
        let b = mts.binary_search(t).ok().map(|j| mclose[j]);
        expected.push(b.map_or(f64::NAN, |b| a.column.values[i] / b));
    }
    let mut compared = 0;
    for (i, (got, want)) in ratio.column.values.iter().zip(&expected).enumerate() {
        if want.is_nan() {
            assert!(
                got.is_nan(),
                "row {i}: MSFT has no bar, ratio must be a gap, got {got}"
            );
        } else {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "row {i}: {got} vs {want}"
            );
            compared += 1;
        }
    }
    // AAPL trades since 2000 and MSFT too: almost every row has both.
    assert!(compared > 3000, "{compared}");
    // z-score over 50 bars with the population deviation, where the window has no gap.
    let n = 50;
    let mut checked = 0;
    for i in n - 1..expected.len() {
        let w = &expected[i + 1 - n..=i];
        if w.iter().any(|v| v.is_nan()) {
            continue;
        }
        let mean = w.iter().sum::<f64>() / n as f64;
        let sd = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let want = (expected[i] - mean) / sd;
        let got = z.column.values[i];
        assert!(
            (got - want).abs() <= 1e-7 * want.abs().max(1.0),
            "z[{i}]: {got} vs {want}"
        );
        checked += 1;
    }
    assert!(checked > 3000, "{checked}");
}
