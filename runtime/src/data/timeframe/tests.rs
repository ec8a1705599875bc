use super::*;
use chrono::{Datelike, TimeZone};
use chrono_tz::{America, Australia, Europe};

const H: i64 = 3_600 * NS_PER_SEC;
const MIN: i64 = 60 * NS_PER_SEC;

fn tf(s: &str) -> Timeframe {
    s.parse().unwrap()
}

fn al(s: &str, tz: Option<Tz>) -> Aligner {
    Aligner::new(tf(s), tz)
}

/// UTC ns of a UTC wall time.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
        * NS_PER_SEC
}

/// xorshift64*, seeded: the randomized tests are reproducible.
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

/// The naive reference: one bucket lookup per tick, one sequential loop.
fn naive_ticks(al: &Aligner, ts: &[i64], px: &[f64], sz: Option<&[f64]>) -> Bars {
    let mut out = Bars::default();
    for i in 0..ts.len() {
        let p = px[i];
        if !p.is_finite() {
            continue;
        }
        let v = sz.map_or(0.0, |s| if s[i].is_finite() { s[i] } else { 0.0 });
        let s = al.bucket_start(ts[i]).unwrap();
        if out.time.last() == Some(&s) {
            let k = out.len() - 1;
            if p > out.high[k] {
                out.high[k] = p;
            }
            if p < out.low[k] {
                out.low[k] = p;
            }
            out.close[k] = p;
            out.volume[k] += v;
            out.count[k] += 1;
        } else {
            out.time.push(s);
            out.open.push(p);
            out.high.push(p);
            out.low.push(p);
            out.close.push(p);
            out.volume.push(v);
            out.count.push(1);
        }
    }
    out
}

/// Bit-for-bit equality (so -0.0 vs 0.0 or a reordered sum would fail).
fn assert_bars_eq(a: &Bars, b: &Bars, what: &str) {
    assert_eq!(a.time, b.time, "{what}: time");
    assert_eq!(a.count, b.count, "{what}: count");
    for (name, x, y) in [
        ("open", &a.open, &b.open),
        ("high", &a.high, &b.high),
        ("low", &a.low, &b.low),
        ("close", &a.close, &b.close),
        ("volume", &a.volume, &b.volume),
    ] {
        let xb: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
        let yb: Vec<u64> = y.iter().map(|v| v.to_bits()).collect();
        assert_eq!(xb, yb, "{what}: {name}");
    }
}

#[test]
fn parses_every_unit_and_displays_the_canonical_form() {
    for (text, count, unit, shown) in [
        ("1s", 1, Unit::Second, "1s"),
        ("5m", 5, Unit::Minute, "5m"),
        ("1h", 1, Unit::Hour, "1h"),
        ("4h", 4, Unit::Hour, "4h"),
        ("1d", 1, Unit::Day, "1d"),
        ("2w", 2, Unit::Week, "2w"),
        ("1M", 1, Unit::Month, "1M"),
        ("3mo", 3, Unit::Month, "3M"),
        (" 15m ", 15, Unit::Minute, "15m"),
    ] {
        let t = tf(text);
        assert_eq!((t.count, t.unit), (count, unit), "{text}");
        assert_eq!(t.to_string(), shown);
        assert_eq!(tf(shown), t, "round trip of {shown}");
    }
}

#[test]
fn parse_errors_say_what_is_expected() {
    let err = |s: &str| s.parse::<Timeframe>().unwrap_err();
    assert_eq!(
        err("5x").to_string(),
        "unknown timeframe unit `x` in `5x`; use s, m, h, d, w or M (months)"
    );
    assert_eq!(
        err("5"),
        TimeframeParseError::MissingUnit { text: "5".into() }
    );
    assert_eq!(
        err("5").to_string(),
        "timeframe `5` has no unit; add one of s, m, h, d, w or M (months), e.g. `5m`"
    );
    assert_eq!(
        err("m").to_string(),
        "timeframe `m` has no count; write a positive whole number before the unit, e.g. `1m`"
    );
    assert_eq!(
        err("0h").to_string(),
        "timeframe `0h` has count 0; the count must be at least 1"
    );
    assert_eq!(
        err("  ").to_string(),
        "empty timeframe; write a count and a unit, e.g. `5m`, `1h`, `1d`, `1w` or `1M`"
    );
    assert_eq!(
        err("-5m"),
        TimeframeParseError::MissingCount { text: "-5m".into() }
    );
    assert_eq!(
        err("1.5h"),
        TimeframeParseError::UnknownUnit {
            unit: ".5h".into(),
            text: "1.5h".into()
        }
    );
    assert_eq!(
        err("201y").to_string(),
        "unknown timeframe unit `y` in `201y`; use s, m, h, d, w or M (months)"
    );
    assert_eq!(
        err("2401M").to_string(),
        "timeframe `2401M` is too long; the longest timeframe is 200 years"
    );
    assert_eq!(
        err("99999999999s"),
        TimeframeParseError::TooLong {
            text: "99999999999s".into()
        }
    );
    assert!("2300M".parse::<Timeframe>().is_ok());
}

#[test]
fn utc_duration_buckets_are_multiples_from_the_epoch() {
    let a = al("5m", None);
    assert_eq!(a.bucket(0), Some((0, 5 * MIN)));
    assert_eq!(a.bucket(5 * MIN - 1), Some((0, 5 * MIN)));
    assert_eq!(a.bucket(-1), Some((-5 * MIN, 0)), "before 1970 floors down");
    // 7h does not restart at midnight: 1970-01-02 starts inside a bucket.
    let seven = al("7h", None);
    assert_eq!(seven.bucket_start(24 * H), Some(21 * H));
    // `Some(UTC)` is the same as no zone.
    assert_eq!(Aligner::new(tf("1d"), Some(Tz::UTC)), al("1d", None));
    // No bucket start below i64::MIN: an error, not an overflow.
    assert_eq!(a.bucket(i64::MIN), None);
    let (s, e) = a.bucket(i64::MAX).unwrap();
    assert_eq!((s, e), (i64::MAX.div_euclid(5 * MIN) * 5 * MIN, i64::MAX));
}

#[test]
fn new_york_days_are_23_and_25_hours_at_dst_changes() {
    // (timeframe, a time in the bucket, the bucket's start and end, why);
    // 2021-03-14: clocks spring forward at 02:00 EST; 2021-11-07: they fall
    // back at 02:00 EDT.
    let cases = [
        (
            "1d",
            utc(2021, 3, 14, 12, 0),
            (utc(2021, 3, 14, 5, 0), utc(2021, 3, 15, 4, 0)),
            "the spring day lasts 23 hours",
        ),
        (
            "1d",
            utc(2021, 11, 7, 12, 0),
            (utc(2021, 11, 7, 4, 0), utc(2021, 11, 8, 5, 0)),
            "the fall day lasts 25 hours",
        ),
        // 4h buckets start at local midnight.
        (
            "4h",
            utc(2021, 3, 14, 6, 0),
            (utc(2021, 3, 14, 5, 0), utc(2021, 3, 14, 8, 0)),
            "04:00 local is 3 real hours after midnight on the spring day",
        ),
        (
            "4h",
            utc(2021, 11, 7, 6, 30),
            (utc(2021, 11, 7, 4, 0), utc(2021, 11, 7, 9, 0)),
            "and 5 on the fall day",
        ),
        (
            "4h",
            utc(2021, 6, 1, 15, 0),
            (utc(2021, 6, 1, 12, 0), utc(2021, 6, 1, 16, 0)),
            "a summer day: 4 hours",
        ),
        (
            "1h",
            utc(2021, 11, 7, 6, 30),
            (utc(2021, 11, 7, 5, 0), utc(2021, 11, 7, 7, 0)),
            "the repeated hour joins the 01:00 EDT bar, which lasts 2 hours",
        ),
        // 02:00 and 02:30 do not exist on the spring day.
        (
            "30m",
            utc(2021, 3, 14, 6, 45),
            (utc(2021, 3, 14, 6, 30), utc(2021, 3, 14, 7, 0)),
            "the 30m bucket at 01:30 EST ends at the change",
        ),
        (
            "30m",
            utc(2021, 3, 14, 7, 10),
            (utc(2021, 3, 14, 7, 0), utc(2021, 3, 14, 7, 30)),
            "the next starts at the change (07:00Z = 03:00 EDT)",
        ),
    ];
    for (timeframe, t, bucket, why) in cases {
        assert_eq!(
            al(timeframe, Some(America::New_York)).bucket(t),
            Some(bucket),
            "{timeframe} at {t}: {why}"
        );
    }
}

#[test]
fn moscow_days_start_at_21_utc_all_year() {
    let d = al("1d", Some(Europe::Moscow));
    for (mo, day) in [(1, 15), (3, 28), (7, 1), (10, 31), (12, 31)] {
        assert_eq!(
            d.bucket(utc(2021, mo, day, 12, 0)),
            Some((utc(2021, mo, day, 9, 0) - 12 * H, utc(2021, mo, day, 21, 0))),
            "2021-{mo}-{day}"
        );
    }
    // Havana springs forward at midnight: 2021-03-14 00:00 does not exist,
    // the day starts at the change (05:00Z, 01:00 CDT).
    let havana = al("1d", Some(America::Havana));
    assert_eq!(
        havana.bucket_start(utc(2021, 3, 14, 12, 0)),
        Some(utc(2021, 3, 14, 5, 0))
    );
}

#[test]
fn months_quarters_and_leap_years() {
    let m = al("1M", None);
    assert_eq!(
        m.bucket(utc(2020, 2, 29, 23, 59)),
        Some((utc(2020, 2, 1, 0, 0), utc(2020, 3, 1, 0, 0)))
    );
    assert_eq!(
        m.bucket_start(utc(2021, 3, 1, 0, 0)),
        Some(utc(2021, 3, 1, 0, 0))
    );
    assert_eq!(
        m.bucket_start(utc(2021, 2, 28, 23, 59)),
        Some(utc(2021, 2, 1, 0, 0))
    );
    assert_eq!(
        m.bucket_start(utc(1969, 12, 31, 23, 59)),
        Some(utc(1969, 12, 1, 0, 0))
    );
    let q = al("3M", Some(America::New_York));
    assert_eq!(
        q.bucket(utc(2021, 5, 20, 0, 0)),
        Some((utc(2021, 4, 1, 4, 0), utc(2021, 7, 1, 4, 0)))
    );
    // Local New Year's Eve 20:00 EST is already January in UTC.
    assert_eq!(
        al("1M", Some(America::New_York)).bucket_start(utc(2022, 1, 1, 1, 0)),
        Some(utc(2021, 12, 1, 5, 0))
    );
    let y = al("12M", None);
    assert_eq!(
        y.bucket(utc(2024, 7, 1, 0, 0)),
        Some((utc(2024, 1, 1, 0, 0), utc(2025, 1, 1, 0, 0)))
    );
    let two = al("2d", None);
    assert_eq!(two.bucket_start(utc(1970, 1, 2, 5, 0)), Some(0));
    assert_eq!(
        two.bucket_start(utc(1970, 1, 3, 5, 0)),
        Some(utc(1970, 1, 3, 0, 0))
    );
}

#[test]
fn weeks_start_monday_across_the_year_boundary() {
    let w = al("1w", None);
    // 2021-01-01 is a Friday: its week starts Monday 2020-12-28.
    assert_eq!(
        w.bucket(utc(2021, 1, 1, 12, 0)),
        Some((utc(2020, 12, 28, 0, 0), utc(2021, 1, 4, 0, 0)))
    );
    assert_eq!(
        w.bucket_start(utc(2021, 1, 3, 23, 59)),
        Some(utc(2020, 12, 28, 0, 0))
    );
    assert_eq!(
        w.bucket_start(utc(2021, 1, 4, 0, 0)),
        Some(utc(2021, 1, 4, 0, 0))
    );
    assert_eq!(w.bucket_start(0), Some(utc(1969, 12, 29, 0, 0)));
    let sydney = al("1w", Some(Australia::Sydney));
    // Monday 2021-01-04 00:00 AEDT (+11) is Sunday 13:00Z.
    assert_eq!(
        sydney.bucket_start(utc(2021, 1, 3, 14, 0)),
        Some(utc(2021, 1, 3, 13, 0))
    );
}

/// An independent calendar reference: chrono's local date of `t`, the start
/// date of its period from `Datelike`, the earliest instant of its midnight.
fn calendar_reference(unit: Unit, tz: Tz, t: i64) -> Option<i64> {
    let local = tz.timestamp_nanos(t).date_naive();
    let start = match unit {
        Unit::Day => local,
        Unit::Week => local - chrono::Days::new(u64::from(local.weekday().num_days_from_monday())),
        _ => local.with_day(1)?,
    };
    let first = tz
        .from_local_datetime(&start.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    Some(first.timestamp() * NS_PER_SEC)
}

#[test]
fn calendar_buckets_match_chrono_dates_in_several_zones() {
    let mut rng = Rng(7);
    for tz in [
        America::New_York,
        Europe::Moscow,
        Australia::Sydney,
        Australia::Lord_Howe,
        Europe::London,
    ] {
        for (text, unit) in [("1d", Unit::Day), ("1w", Unit::Week), ("1M", Unit::Month)] {
            let a = al(text, Some(tz));
            for _ in 0..400 {
                let t = utc(1990, 1, 1, 0, 0) + (rng.below(40 * 365 * 24 * 60) as i64) * MIN;
                assert_eq!(
                    a.bucket_start(t),
                    calendar_reference(unit, tz, t),
                    "{tz} {text} {t}"
                );
            }
        }
    }
}

#[test]
fn buckets_are_monotone_and_each_end_is_the_next_start() {
    let zones = [
        None,
        Some(America::New_York),
        Some(Australia::Lord_Howe),
        Some(America::Havana),
        Some(Europe::Moscow),
    ];
    for tz in zones {
        for text in ["1s", "7m", "30m", "1h", "90m", "4h", "5h", "1d", "1w", "1M"] {
            let a = al(text, tz);
            // Minute steps through both 2021 changes of New York, Lord Howe
            // (30-minute DST) and Havana (at midnight), plus Moscow's 2011
            // and 2014 changes.
            for base in [
                utc(2021, 3, 13, 0, 0),
                utc(2021, 11, 6, 0, 0),
                utc(2021, 4, 3, 0, 0),
                utc(2021, 10, 2, 0, 0),
                utc(2011, 3, 26, 12, 0),
                utc(2014, 10, 25, 12, 0),
            ] {
                let mut last = i64::MIN;
                for k in 0..(3 * 24 * 60) {
                    let t = base + k * MIN + 17 * NS_PER_SEC;
                    let (s, e) = a.bucket(t).unwrap();
                    assert!(s <= t && t < e, "{tz:?} {text}: {t} not in [{s}, {e})");
                    assert!(s >= last, "{tz:?} {text}: start went back at {t}");
                    last = s;
                    assert_eq!(a.bucket(s), Some((s, e)), "{tz:?} {text}: start of {t}");
                    assert_eq!(
                        a.bucket_start(e),
                        Some(e),
                        "{tz:?} {text}: end of {t} starts a bucket"
                    );
                    assert_eq!(a.bucket_start(e - 1), Some(s), "{tz:?} {text}: end of {t}");
                }
            }
        }
    }
}

/// Ticks with irregular gaps (some longer than a bucket), NaN prices and
/// sizes sprinkled in, starting at `start`.
fn random_ticks(
    rng: &mut Rng,
    n: usize,
    start: i64,
    max_gap: i64,
) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let (mut ts, mut px, mut sz) = (Vec::new(), Vec::new(), Vec::new());
    let mut t = start;
    let mut p = 100.0;
    for _ in 0..n {
        // One gap in 50 jumps far (empty buckets); equal timestamps occur.
        t += match rng.below(50) {
            0 => (rng.below(40) as i64) * max_gap,
            _ => rng.below(max_gap as u64) as i64,
        };
        p += (rng.below(2001) as f64 - 1000.0) / 1000.0;
        ts.push(t);
        px.push(match rng.below(97) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            _ => p,
        });
        sz.push(match rng.below(89) {
            0 => f64::NAN,
            _ => (rng.below(1000) as f64) * 0.37,
        });
    }
    (ts, px, sz)
}

#[test]
fn ticks_equal_the_naive_loop_for_any_chunk_count() {
    let mut rng = Rng(42);
    let zones = [
        None,
        Some(America::New_York),
        Some(Europe::Moscow),
        Some(Australia::Lord_Howe),
    ];
    let frames = [
        "1s", "5s", "1m", "7m", "1h", "4h", "1d", "2d", "1w", "1M", "3M",
    ];
    for round in 0..120 {
        let tz = zones[round % zones.len()];
        let text = frames[rng.below(frames.len() as u64) as usize];
        let a = al(text, tz);
        let n = 1 + rng.below(3000) as usize;
        // Around the 2021 New York changes, or anywhere in 2000-2030.
        let start = match round % 3 {
            0 => utc(2021, 3, 13, 20, 0),
            1 => utc(2021, 11, 6, 20, 0),
            _ => utc(2000, 1, 1, 0, 0) + rng.below(30 * 365 * 24) as i64 * H,
        };
        let max_gap = [NS_PER_SEC, MIN, H, 24 * H][rng.below(4) as usize];
        let (ts, px, sz) = random_ticks(&mut rng, n, start, max_gap);
        let with_size = round % 2 == 0;
        let sz = with_size.then_some(&sz[..]);
        let want = naive_ticks(&a, &ts, &px, sz);
        for chunks in [1, 2, 3, 7, 16, 1 + rng.below(n as u64) as usize, n] {
            let got = aggregate_ticks_in_chunks(&a, &ts, &px, sz, chunks).unwrap();
            assert_bars_eq(
                &got,
                &want,
                &format!("round {round} {text} {tz:?} chunks {chunks}"),
            );
        }
        assert_bars_eq(
            &aggregate_ticks(&a, &ts, &px, sz).unwrap(),
            &want,
            "default chunks",
        );
    }
}

#[test]
fn gaps_one_tick_buckets_and_range_edges() {
    let a = al("1m", None);
    // Buckets 0 (ticks at both edges), 1 (empty: a gap, no bar), 2 (one tick
    // at its first instant), 3 (one tick at its last instant), then 5.
    let ts = [0, MIN - 1, 2 * MIN, 4 * MIN - 1, 5 * MIN + 3, 5 * MIN + 3];
    let px = [1.0, 3.0, 5.0, 6.0, -0.0, 0.0];
    let sz = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let want = Bars {
        time: vec![0, 2 * MIN, 3 * MIN, 5 * MIN],
        open: vec![1.0, 5.0, 6.0, -0.0],
        high: vec![3.0, 5.0, 6.0, -0.0],
        low: vec![1.0, 5.0, 6.0, -0.0],
        close: vec![3.0, 5.0, 6.0, 0.0],
        volume: vec![3.0, 3.0, 4.0, 11.0],
        count: vec![2, 1, 1, 2],
    };
    for chunks in 1..=ts.len() {
        let got = aggregate_ticks_in_chunks(&a, &ts, &px, Some(&sz), chunks).unwrap();
        assert_bars_eq(&got, &want, &format!("chunks {chunks}"));
    }
    // Without sizes the volume is 0; a bucket of only NaN prices has no bar.
    let got = aggregate_ticks(&a, &[0, MIN, MIN + 1], &[2.0, f64::NAN, f64::NAN], None).unwrap();
    assert_eq!(
        (got.time, got.volume, got.count),
        (vec![0], vec![0.0], vec![1])
    );
    assert!(aggregate_ticks(&a, &[], &[], None).unwrap().is_empty());
}

#[test]
fn dst_days_aggregate_23_and_25_hours_of_ticks() {
    let a = al("1d", Some(America::New_York));
    // One tick per real hour from 2021-11-06 04:00Z (local midnight EDT)
    // for three days: the fall-back day holds 25 ticks.
    let ts: Vec<i64> = (0..72).map(|k| utc(2021, 11, 6, 4, 0) + k * H).collect();
    let px: Vec<f64> = (0..72).map(f64::from).collect();
    let bars = aggregate_ticks(&a, &ts, &px, None).unwrap();
    assert_eq!(bars.count, vec![24, 25, 23]);
    assert_eq!(
        bars.time,
        vec![
            utc(2021, 11, 6, 4, 0),
            utc(2021, 11, 7, 4, 0),
            utc(2021, 11, 8, 5, 0)
        ]
    );
    let spring: Vec<i64> = (0..72).map(|k| utc(2021, 3, 13, 5, 0) + k * H).collect();
    let bars = aggregate_ticks(&a, &spring, &px, None).unwrap();
    assert_eq!(bars.count, vec![24, 23, 24, 1]);
}

#[test]
fn unsorted_and_mismatched_input_are_errors_naming_the_rows() {
    let a = al("1m", None);
    let mut ts: Vec<i64> = (0..1000).map(|k| k * NS_PER_SEC).collect();
    ts[700] = 5;
    let px = vec![1.0; 1000];
    for chunks in [1, 2, 3, 10, 1000] {
        let err = aggregate_ticks_in_chunks(&a, &ts, &px, None, chunks).unwrap_err();
        assert_eq!(
            err,
            AggregateError::Unsorted {
                index: 700,
                prev_index: 699,
                found: "1970-01-01T00:00:00.000000005Z".into(),
                prev: "1970-01-01T00:11:39Z".into()
            },
            "chunks {chunks}"
        );
    }
    assert!(err_text(aggregate_ticks(&a, &ts, &px, None)).starts_with(
        "timestamps are not sorted: row 700 (1970-01-01T00:00:00.000000005Z) comes before row 699"
    ));
    assert_eq!(
        aggregate_ticks(&a, &[1, 2], &[1.0], None).unwrap_err(),
        AggregateError::Length {
            column: "price",
            found: 1,
            expected: 2
        }
    );
    assert_eq!(
        err_text(aggregate_ticks(&a, &[1, 2], &[1.0, 2.0], Some(&[1.0]))),
        "column `size` has 1 values but there are 2 timestamps"
    );
    assert_eq!(
        aggregate_ticks(&a, &[i64::MIN, 0], &[1.0, 2.0], None).unwrap_err(),
        AggregateError::OutOfRange {
            index: 0,
            ns: i64::MIN,
            timeframe: tf("1m")
        }
    );
}

fn err_text<T: std::fmt::Debug>(r: Result<T, AggregateError>) -> String {
    r.unwrap_err().to_string()
}

/// The naive reference for bars → bars.
fn naive_bars(al: &Aligner, b: &Bars) -> Bars {
    let mut out = Bars::default();
    for i in 0..b.len() {
        if ![b.open[i], b.high[i], b.low[i], b.close[i]]
            .iter()
            .all(|v| v.is_finite())
        {
            continue;
        }
        let v = if b.volume[i].is_finite() {
            b.volume[i]
        } else {
            0.0
        };
        let s = al.bucket_start(b.time[i]).unwrap();
        if out.time.last() == Some(&s) {
            let k = out.len() - 1;
            if b.high[i] > out.high[k] {
                out.high[k] = b.high[i];
            }
            if b.low[i] < out.low[k] {
                out.low[k] = b.low[i];
            }
            out.close[k] = b.close[i];
            out.volume[k] += v;
            out.count[k] += b.count[i];
        } else {
            out.time.push(s);
            out.open.push(b.open[i]);
            out.high.push(b.high[i]);
            out.low.push(b.low[i]);
            out.close.push(b.close[i]);
            out.volume.push(v);
            out.count.push(b.count[i]);
        }
    }
    out
}

#[test]
fn bars_to_coarser_bars_equal_the_naive_loop() {
    let mut rng = Rng(9);
    for round in 0..40 {
        let tz = [None, Some(America::New_York)][round % 2];
        let (ts, px, sz) = random_ticks(&mut rng, 5000, utc(2021, 10, 1, 0, 0), MIN);
        let fine = aggregate_ticks(&al("1m", tz), &ts, &px, Some(&sz)).unwrap();
        let mut fine2 = fine.clone();
        if !fine2.is_empty() {
            let k = rng.below(fine2.len() as u64) as usize;
            fine2.high[k] = f64::NAN; // that bar is skipped
            fine2.volume[k / 2] = f64::NAN; // adds nothing
        }
        for text in ["5m", "1h", "4h", "1d", "1w"] {
            let a = al(text, tz);
            let want = naive_bars(&a, &fine2);
            for chunks in [1, 2, 5, 33] {
                let got = aggregate_bars_in_chunks(&a, &BarsIn::from_bars(&fine2), chunks).unwrap();
                assert_bars_eq(&got, &want, &format!("{text} chunks {chunks}"));
            }
            // Chained counts and extremes equal aggregating the ticks directly.
            let direct = aggregate_ticks(&a, &ts, &px, Some(&sz)).unwrap();
            let chained = aggregate_bars(&a, &BarsIn::from_bars(&fine)).unwrap();
            assert_eq!(
                (
                    &chained.time,
                    &chained.count,
                    &chained.high,
                    &chained.low,
                    &chained.open,
                    &chained.close
                ),
                (
                    &direct.time,
                    &direct.count,
                    &direct.high,
                    &direct.low,
                    &direct.open,
                    &direct.close
                ),
                "{text}"
            );
        }
    }
    // Without volume or counts: volume 0, one count per finer bar.
    let b = BarsIn {
        time: &[0, 1],
        open: &[1.0, 2.0],
        high: &[3.0, 4.0],
        low: &[0.5, 1.0],
        close: &[2.0, 3.0],
        volume: None,
        count: None,
    };
    let got = aggregate_bars(&al("1m", None), &b).unwrap();
    assert_eq!(
        (
            got.open, got.high, got.low, got.close, got.volume, got.count
        ),
        (
            vec![1.0],
            vec![4.0],
            vec![0.5],
            vec![3.0],
            vec![0.0],
            vec![2]
        )
    );
    let short = BarsIn { low: &[0.5], ..b };
    assert_eq!(
        aggregate_bars(&al("1m", None), &short).unwrap_err(),
        AggregateError::Length {
            column: "low",
            found: 1,
            expected: 2
        }
    );
}

#[test]
fn appending_in_random_slices_equals_aggregating_at_once() {
    let mut rng = Rng(1234);
    for round in 0..60 {
        let tz = [None, Some(America::New_York), Some(Europe::Moscow)][round % 3];
        let text = ["1s", "1m", "5m", "1h", "1d"][round % 5];
        let a = al(text, tz);
        let (ts, px, sz) = random_ticks(&mut rng, 2000, utc(2021, 11, 6, 22, 0), 20 * NS_PER_SEC);
        let want = aggregate_ticks(&a, &ts, &px, Some(&sz)).unwrap();
        let mut agg = TimeframeAgg::new(a);
        let mut mirror = Bars::default(); // what a chart applying the updates holds
        let mut i = 0;
        while i < ts.len() {
            let j = (i + rng.below(40) as usize).min(ts.len());
            let u = agg.append(&ts[i..j], &px[i..j], Some(&sz[i..j])).unwrap();
            let b = agg.bars();
            // Apply the update the way live data does.
            let keep = mirror.len() - usize::from(u.replaced_last);
            assert_eq!(b.len(), keep + usize::from(u.replaced_last) + u.appended);
            let slice = |v: &Vec<f64>| v[keep..].to_vec();
            mirror.time.truncate(keep);
            mirror.time.extend_from_slice(&b.time[keep..]);
            for (m, v) in [
                (&mut mirror.open, &b.open),
                (&mut mirror.high, &b.high),
                (&mut mirror.low, &b.low),
                (&mut mirror.close, &b.close),
                (&mut mirror.volume, &b.volume),
            ] {
                m.truncate(keep);
                m.extend(slice(v));
            }
            mirror.count.truncate(keep);
            mirror.count.extend_from_slice(&b.count[keep..]);
            i = j;
        }
        assert_bars_eq(agg.bars(), &want, &format!("round {round}"));
        assert_bars_eq(&mirror, &want, &format!("mirror, round {round}"));
    }
}

#[test]
fn append_reports_replace_versus_append_and_keeps_state_on_error() {
    let mut agg = TimeframeAgg::new(al("1m", None));
    assert_eq!(
        agg.append(&[0, 1], &[1.0, 2.0], None).unwrap(),
        Update {
            replaced_last: false,
            appended: 1
        }
    );
    assert_eq!(
        agg.append(&[2], &[3.0], None).unwrap(),
        Update {
            replaced_last: true,
            appended: 0
        }
    );
    assert_eq!(
        agg.append(&[3], &[f64::NAN], None).unwrap(),
        Update::default()
    );
    assert_eq!(
        agg.append(&[4, MIN, 2 * MIN], &[0.5, 7.0, 8.0], None)
            .unwrap(),
        Update {
            replaced_last: true,
            appended: 2
        }
    );
    assert_eq!(
        agg.append(&[3 * MIN], &[9.0], None).unwrap(),
        Update {
            replaced_last: false,
            appended: 1
        }
    );
    let before = agg.bars().clone();
    let err = agg.append(&[4 * MIN, 1], &[1.0, 1.0], None).unwrap_err();
    assert!(
        matches!(
            err,
            AggregateError::Unsorted {
                index: 9,
                prev_index: 8,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(agg.bars(), &before);
    // A slice that starts before the last tick names the rows across calls.
    let err = agg.append(&[3 * MIN - 1], &[1.0], None).unwrap_err();
    assert!(
        matches!(
            err,
            AggregateError::Unsorted {
                index: 8,
                prev_index: 7,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(agg.bars().low, vec![0.5, 7.0, 8.0, 9.0]);
}

/// UTC ns of local midnight in New York of `YYYY-MM-DD`.
fn ny_midnight(date: &str) -> i64 {
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let t = America::New_York
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap();
    t.timestamp() * NS_PER_SEC
}

#[test]
fn weekly_and_monthly_aapl_bars_equal_the_pandas_resample() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/timeframes");
    let daily = std::fs::read_to_string(dir.join("aapl_daily.csv")).unwrap();
    let mut b = Bars::default();
    for line in daily.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        b.time.push(ny_midnight(f[0]));
        b.open.push(f[1].parse().unwrap());
        b.high.push(f[2].parse().unwrap());
        b.low.push(f[3].parse().unwrap());
        b.close.push(f[4].parse().unwrap());
        b.volume.push(f[5].parse().unwrap());
        b.count.push(1);
    }
    let reference = std::fs::read_to_string(dir.join("reference.csv")).unwrap();
    let mut checked = 0;
    for text in ["1w", "1M"] {
        let got =
            aggregate_bars(&al(text, Some(America::New_York)), &BarsIn::from_bars(&b)).unwrap();
        let mut want = Bars::default();
        for line in reference
            .lines()
            .skip(1)
            .filter(|l| l.starts_with(&format!("{text},")))
        {
            let f: Vec<&str> = line.split(',').collect();
            want.time.push(ny_midnight(f[1]));
            want.open.push(f[2].parse().unwrap());
            want.high.push(f[3].parse().unwrap());
            want.low.push(f[4].parse().unwrap());
            want.close.push(f[5].parse().unwrap());
            want.volume.push(f[6].parse().unwrap());
            want.count.push(f[7].parse().unwrap());
        }
        assert!(want.len() > 30, "{text}: reference has {} bars", want.len());
        checked += want.len();
        assert_bars_eq(&got, &want, text);
    }
    assert_eq!(checked, 157 + 36);
}

/// Ticks built bucket by bucket for the bucket-at-a-time kernel: 1 to 40
/// ticks per 1-minute bucket (so lane remainders of every length occur), some
/// buckets skipped, prices on a coarse grid (ties) with signed zeros and
/// non-finite values, and sizes of the given `kind`: 0 small integers (the
/// lanes' exact sum), 1 integers near 2^52 (sums past 2^53, summed in
/// order), 2 fractions, 3 values that cancel to ±0, 4 ±0 only.
fn kernel_ticks(rng: &mut Rng, start: i64, kind: u64) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let (mut ts, mut px, mut sz) = (Vec::new(), Vec::new(), Vec::new());
    let mut bucket = start.div_euclid(MIN);
    for _ in 0..60 {
        bucket += 1 + i64::from(rng.below(4) == 0) * rng.below(5) as i64;
        let k = 1 + rng.below(40) as usize;
        let mut offs: Vec<i64> = (0..k).map(|_| rng.below(MIN as u64) as i64).collect();
        offs.sort_unstable();
        let zero_bucket = rng.below(6) == 0;
        for off in offs {
            ts.push(bucket * MIN + off);
            px.push(match rng.below(if zero_bucket { 3 } else { 200 }) {
                0 => 0.0,
                1 => -0.0,
                2 if zero_bucket => -(rng.below(3) as f64),
                2 => f64::NAN,
                3 => f64::NEG_INFINITY,
                _ => (rng.below(40) as f64 - 20.0) * 0.25,
            });
            sz.push(match (kind, rng.below(150)) {
                (_, 0) => f64::NAN,
                (_, 1) => f64::INFINITY,
                (0, _) => rng.below(1000) as f64,
                (1, _) => (1u64 << 52) as f64 - rng.below(8) as f64,
                (2, _) => rng.below(1000) as f64 * 0.1,
                (3, r) => [3.0, -3.0, 0.5, -0.5][r as usize % 4],
                _ => [0.0, -0.0][rng.below(2) as usize],
            });
        }
    }
    (ts, px, sz)
}

#[test]
fn kernel_equals_the_per_tick_loop_bit_for_bit() {
    let mut rng = Rng(7);
    let zones = [None, Some(America::New_York), Some(Australia::Lord_Howe)];
    for round in 0..200 {
        let tz = zones[round % zones.len()];
        let a = al(["1m", "2m", "1h"][round / 3 % 3], tz);
        // Some rounds straddle the 2021 New York and Lord Howe changes.
        let start = match round % 4 {
            0 => utc(2021, 11, 7, 5, 30),
            1 => utc(2021, 4, 3, 14, 40),
            _ => utc(2000, 1, 1, 0, 0) + rng.below(30 * 365 * 24) as i64 * H,
        };
        let kind = rng.below(6);
        let (ts, px, sz) = kernel_ticks(&mut rng, start, kind);
        let sz = (kind != 5).then_some(&sz[..]);
        let want = naive_ticks(&a, &ts, &px, sz);
        let what = format!("round {round} kind {kind} {tz:?}");
        // The kernel itself (not a fallback) produced these bars.
        let kernel = fast::ticks(&a, &ts, &px, sz, 0..ts.len()).expect("kernel declined");
        assert_bars_eq(&kernel, &want, &what);
        let portable = fast::ticks_portable(&a, &ts, &px, sz, 0..ts.len()).unwrap();
        assert_bars_eq(&portable, &want, &format!("{what} portable"));
        let per_tick = aggregate_ticks_per_tick(&a, &ts, &px, sz, 1).unwrap();
        assert_bars_eq(&per_tick, &want, &what);
        for chunks in [2, 3, 9, 1 + rng.below(ts.len() as u64) as usize] {
            let got = aggregate_ticks_in_chunks(&a, &ts, &px, sz, chunks).unwrap();
            assert_bars_eq(&got, &want, &format!("{what} chunks {chunks}"));
        }
    }
}

#[test]
fn kernel_sums_in_order_where_order_changes_the_bits() {
    let a = al("1m", None);
    // 2^53 + 1 + 1 in order is 2^53 (each +1 rounds away); any other order
    // can give 2^53 + 2. Fractions: 0.1 + 0.2 + 0.3 differs from 0.1 + (0.2 +
    // 0.3). +3 - 3 is +0, and -0 + -0 is -0.
    let big = (1u64 << 53) as f64;
    let cases: [&[f64]; 4] = [
        &[big, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        &[3.0, -3.0, 3.0, -3.0, 3.0, -3.0, 3.0, -3.0, 3.0, -3.0],
        &[-0.0; 10],
    ];
    for sz in cases {
        let ts: Vec<i64> = (0..sz.len() as i64).collect();
        let px = vec![1.0; sz.len()];
        let mut want = sz[0];
        for v in &sz[1..] {
            want += v;
        }
        for got in [
            fast::ticks(&a, &ts, &px, Some(sz), 0..ts.len()).unwrap(),
            fast::ticks_portable(&a, &ts, &px, Some(sz), 0..ts.len()).unwrap(),
        ] {
            assert_eq!(got.volume[0].to_bits(), want.to_bits(), "{sz:?}");
        }
    }
    // High and low keep the first of ±0, as the per-tick loop does.
    let px = [-0.0, 0.0, -1.0, 0.0, -0.0, -1.0, 0.0, 0.0, -0.0, 0.0];
    let ts: Vec<i64> = (0..10).collect();
    let got = fast::ticks(&a, &ts, &px, None, 0..10).unwrap();
    assert_eq!(got.high[0].to_bits(), (-0.0f64).to_bits());
    assert_bars_eq(&got, &naive_ticks(&a, &ts, &px, None), "signed zeros");
}

#[test]
fn kernel_declines_unsorted_and_out_of_range_chunks() {
    let a = al("1m", None);
    let px = vec![1.0; 100];
    let mut ts: Vec<i64> = (0..100).map(|k| k * NS_PER_SEC).collect();
    // Inside one bucket, then across buckets, then across the chunk start.
    for (bad, range) in [(10, 0..100), (61, 0..100), (50, 50..100)] {
        let keep = ts[bad];
        ts[bad] = ts[bad - 1] - 1;
        assert!(
            fast::ticks(&a, &ts, &px, None, range.clone()).is_none(),
            "row {bad}"
        );
        ts[bad] = keep;
        assert!(fast::ticks(&a, &ts, &px, None, range).is_some());
    }
    assert!(fast::ticks(&a, &[i64::MIN, 0], &px[..2], None, 0..2).is_none());
    // The last representable bucket (its end saturates) holds i64::MAX.
    let ts = [i64::MAX - 2 * MIN, i64::MAX - 5, i64::MAX - 1, i64::MAX];
    let got = fast::ticks(&a, &ts, &px[..4], None, 0..4).unwrap();
    assert_eq!(got.count, vec![1, 3]);
    assert_bars_eq(&got, &naive_ticks(&a, &ts, &px[..4], None), "i64::MAX");
}
