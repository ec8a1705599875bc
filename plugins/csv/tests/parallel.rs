//! Chunked (parallel) parsing gives exactly what one sequential pass gives,
//! for every chunk size: rows, detection, notes and errors, with chunk
//! boundaries falling inside quoted fields, inside `\r\n` and at blank lines.

use gpu_charts_plugin_csv::{CsvError, Params, Table, parse_bytes_chunked};

/// xorshift64*, so every run tests the same files.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A file with two symbols, quoted notes (delimiters, doubled quotes and
/// line breaks inside), mixed LF / CRLF endings and blank lines. Times
/// ascend per symbol, with repeats (ticks).
fn messy_file(seed: u64, rows: usize) -> String {
    let mut r = Rng(seed);
    let mut s = String::from("Ticker,Time,Price,Size,Note\r\n");
    let mut t = 1_704_205_800_000i64;
    for _ in 0..rows {
        let end = if r.below(2) == 0 { "\n" } else { "\r\n" };
        if r.below(8) == 0 {
            s.push_str(end);
        }
        t += r.below(3) as i64; // 0: a repeated time
        let sym = if r.below(3) == 0 { "B" } else { "A" };
        let note = match r.below(5) {
            0 => "\"a, \"\"quoted\"\"\r\nnote\"".to_string(),
            1 => "\"x\ny\"".to_string(),
            2 => String::new(),
            _ => format!("n{}", r.below(100)),
        };
        let price = r.below(1_000_000) as f64 / 100.0;
        s.push_str(&format!("{sym},{t},{price},{},{note}{end}", r.below(500)));
    }
    s
}

/// A table with its rows flattened (chunks differ by chunk size; rows must not).
type Flat = (Table, Vec<i64>, Vec<Vec<f64>>);

fn parse(bytes: &[u8], params: &Params, chunk: usize) -> Result<Flat, CsvError> {
    parse_bytes_chunked(bytes, params, chunk).map(|t| {
        let ts = t.timestamps();
        let cols = (0..t.names.len()).map(|i| t.column(i)).collect();
        (t, ts, cols)
    })
}

/// Every chunk size from 1 byte to past the file gives the sequential result.
fn assert_same_for_every_chunk_size(bytes: &[u8], params: &Params) {
    let sequential = parse(bytes, params, usize::MAX);
    for chunk in (1..64).chain((64..bytes.len() + 2).step_by(7)) {
        let got = parse(bytes, params, chunk);
        match (&sequential, &got) {
            (Ok((a, ats, acols)), Ok((b, bts, bcols))) => {
                assert_eq!(ats, bts, "chunk {chunk}: timestamps");
                assert_eq!(acols, bcols, "chunk {chunk}: columns");
                assert_eq!(
                    (&a.names, &a.detected, &a.notes),
                    (&b.names, &b.detected, &b.notes),
                    "chunk {chunk}"
                );
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "chunk {chunk}: error"),
            (a, b) => panic!(
                "chunk {chunk}: sequential {:?} vs chunked {:?}",
                a.as_ref().map(|t| t.1.len()),
                b.as_ref().map(|t| t.1.len())
            ),
        }
    }
}

fn ticks_params(symbol: Option<&str>) -> Params {
    let symbol = symbol
        .map(|s| format!(r#", "symbol": "{s}""#))
        .unwrap_or_default();
    Params::from_json(&format!(
        r#"{{"path": "messy.csv", "time_column": "Time", "columns": {{"close": "Price", "volume": "Size"}}{symbol}}}"#
    ))
    .expect("params")
}

#[test]
fn messy_files_parse_the_same_in_chunks() {
    for seed in 1..6 {
        let file = messy_file(seed, 120);
        let params = ticks_params(Some("A"));
        let (t, ts, _) = parse(file.as_bytes(), &params, usize::MAX).expect("sequential parse");
        assert!(ts.len() > 50, "most rows are A");
        assert!(
            t.notes.iter().any(|n| n.contains("tick rows repeat")),
            "{:?}",
            t.notes
        );
        assert_same_for_every_chunk_size(file.as_bytes(), &params);
    }
}

#[test]
fn errors_are_the_same_in_chunks() {
    let file = messy_file(7, 80);
    let lines: Vec<&str> = file.split_inclusive('\n').collect();
    // Break the file at several places: a bad number, a time going back
    // (without the symbol filter the two symbols interleave anyway, so use
    // it), a wrong field count.
    for at in [3usize, 20, 41, lines.len() - 2] {
        for (what, with) in [("Price", "oops"), ("Time", "1"), ("fields", "")] {
            let mut broken = String::new();
            for (i, l) in lines.iter().enumerate() {
                if i == at && l.starts_with("A,") {
                    let mut parts: Vec<String> = l.split(',').map(str::to_string).collect();
                    match what {
                        "Price" => parts[2] = with.into(),
                        "Time" => parts[1] = with.into(),
                        _ => parts.truncate(3),
                    }
                    broken.push_str(&parts.join(","));
                    if what == "fields" {
                        broken.push('\n');
                    }
                } else {
                    broken.push_str(l);
                }
            }
            let params = ticks_params(Some("A"));
            assert_same_for_every_chunk_size(broken.as_bytes(), &params);
        }
    }
    // Unsorted without a filter: symbol B's times interleave with A's.
    assert_same_for_every_chunk_size(file.as_bytes(), &ticks_params(None));
}

#[test]
fn unsorted_and_duplicate_bars_across_boundaries() {
    let mut s = String::from("Date,Open,High,Low,Close\n");
    for d in 1..=28 {
        s.push_str(&format!("2024-02-{d:02},1,2,1,1.5\r\n"));
    }
    for (from, to) in [("2024-02-15", "2024-02-14"), ("2024-02-20", "2024-02-19")] {
        let broken = s.replacen(from, to, 1);
        let params = Params::new("bars.csv");
        let e = parse(broken.as_bytes(), &params, usize::MAX)
            .map(|_| ())
            .unwrap_err();
        assert!(e.message.contains("duplicate time"), "{}", e.message);
        assert_same_for_every_chunk_size(broken.as_bytes(), &params);
    }
    let swapped = s.replacen("2024-02-10", "2024-02-30", 1);
    assert_same_for_every_chunk_size(swapped.as_bytes(), &Params::new("bars.csv"));
    let back = s.replacen("2024-02-10", "2024-01-10", 1);
    let e = parse(back.as_bytes(), &Params::new("bars.csv"), usize::MAX)
        .map(|_| ())
        .unwrap_err();
    assert!(
        e.message
            .contains("line 11, column `Date`: time `2024-01-10`"),
        "{}",
        e.message
    );
    assert_same_for_every_chunk_size(back.as_bytes(), &Params::new("bars.csv"));
}

#[test]
fn a_mapped_file_of_several_default_chunks_equals_one_pass() {
    // About 10 MB: more than two of `load`'s 4 MB chunks, read through the
    // memory map and the rayon pool as the plugin does.
    let mut text = String::from("timestamp,price,volume\n");
    let mut r = Rng(99);
    let mut t = 1_704_205_800_000_000i64;
    while text.len() < 10 << 20 {
        t += r.below(1000) as i64;
        text.push_str(&format!(
            "{t},{}.{:02},{}\n",
            100 + r.below(50),
            r.below(100),
            r.below(900)
        ));
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("big.csv"), &text).expect("write");
    let params = Params::from_json(
        r#"{"path": "big.csv", "columns": {"close": "price", "volume": "volume"}}"#,
    )
    .expect("params");
    let loaded =
        gpu_charts_plugin_csv::load(&params, dir.path().to_str().expect("utf-8")).expect("load");
    assert!(loaded.chunks.len() >= 3, "{} chunks", loaded.chunks.len());
    let (_, ts, cols) = parse(text.as_bytes(), &params, usize::MAX).expect("one pass");
    assert_eq!(loaded.timestamps(), ts);
    assert_eq!(loaded.column(0), cols[0]);
    assert_eq!(loaded.column(1), cols[1]);
}
