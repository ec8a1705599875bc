//! The `gpu-charts` binary, as a user runs it.

mod common;

use std::path::Path;

use common::run_cli as run;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn schema_prints_the_committed_schema() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(common::repo().join("schemas/chart.schema.json")).unwrap();
    assert_eq!(text(&out.stdout), committed);
}

#[test]
fn validate_accepts_the_example_and_locates_errors() {
    let out = run(&["validate", "examples/aapl.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "examples/aapl.toml: ok (1 sources, 3270 rows, 2 indicators, 2 panes)\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let good = std::fs::read_to_string(common::repo().join("examples/aapl.toml")).unwrap();
    std::fs::write(&bad, good.replace("theme = \"dark\"", "theme = \"drak\"")).unwrap();
    let out = run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{}:", bad.display())) && err.contains("did you mean `dark`"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn plugins_lists_every_builtin_plugin_with_abi_and_params() {
    let out = run(&["plugins"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    for name in [
        "candlestick",
        "line",
        "volume",
        "sma",
        "ema",
        "csv",
        "synthetic",
    ] {
        assert!(
            listing.contains(&format!("{name} 0.1.0 (ABI v1)")),
            "{name} missing from:\n{listing}"
        );
    }
    assert!(
        listing.contains("period (integer, 1..=100000, default 20)"),
        "{listing}"
    );
}

/// The export goes through the same pipeline as `render`; its SMA(20) and
/// EMA(50) columns must equal TA-Lib's output (committed by
/// plugins/sma/tests/make_reference.py), row for row.
#[test]
fn export_matches_the_talib_reference() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("values.csv");
    let out = run(&["export", "examples/aapl.toml", "-o", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(&csv).unwrap();
    let mut lines = exported.lines();
    assert_eq!(
        lines.next(),
        Some("time,timestamp_ns,aapl.open,aapl.high,aapl.low,aapl.close,aapl.volume,sma20,ema50")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let reference =
        std::fs::read_to_string(common::repo().join("plugins/sma/tests/data/talib_reference.csv"))
            .unwrap();
    let mut ref_lines = reference.lines();
    let header: Vec<&str> = ref_lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (c_close, c_sma, c_ema) = (col("close"), col("sma_20"), col("ema_50"));
    let refs: Vec<Vec<&str>> = ref_lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), refs.len(), "same AAPL rows");
    // First row: 2000-03-01 at midnight New York = 05:00 UTC.
    assert!(
        rows[0][0].starts_with("2000-03-01T05:00:00Z"),
        "{:?}",
        rows[0]
    );
    let close_rel = |a: &str, b: &str| {
        let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    };
    let mut compared = 0;
    for (row, r) in rows.iter().zip(&refs) {
        assert!(close_rel(row[5], r[c_close]), "close {row:?} vs {r:?}");
        for (ours, theirs) in [(row[7], r[c_sma]), (row[8], r[c_ema])] {
            let undefined = theirs.is_empty() || theirs.eq_ignore_ascii_case("nan");
            if undefined {
                assert_eq!(ours, "", "undefined values export as empty fields: {row:?}");
            } else {
                assert!(
                    close_rel(ours, theirs),
                    "{ours} vs TA-Lib {theirs} in {row:?}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 6000, "compared {compared} values");
}

#[test]
fn render_writes_a_png_of_the_requested_size_and_rejects_bad_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("out.png");
    let out = run(&[
        "render",
        "examples/aapl.toml",
        "-o",
        png.to_str().unwrap(),
        "--size",
        "800x450",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (800, 450));

    let out = run(&["render", "examples/aapl.toml", "--size", "0x10"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("width and height must be whole numbers of at least 1 pixel")
    );
}

#[test]
fn demo_renders_every_example_and_prints_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for stem in ["aapl", "ticks"] {
        let png = dir.path().join(format!("{stem}.png"));
        assert!(stdout.contains(&png.display().to_string()), "{stdout}");
        let img = image::open(Path::new(&png)).unwrap();
        assert_eq!((img.width(), img.height()), (1600, 900));
    }
}
