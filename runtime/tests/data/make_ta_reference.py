#!/usr/bin/env python3
"""Writes tests/data/ta_reference.csv: reference outputs for the Lua `ta` functions.

The native `ta` functions (runtime/src/script/ta.rs) are checked against this
file, so its numbers come from independent code: TA-Lib's C library through its
Python wrapper where TA-Lib has the function, and short explicit pandas/numpy
code where it does not. Nothing here is derived from the Rust code.

Input: the AAPL rows of data/stocks.csv.gz (3,270 daily bars, 2000-03-01 ..
2013-03-01), in file order.

Columns (all full precision, repr() of the double; "nan" / "inf" for those):
  date, open, high, low, close, volume
  TA-Lib on the AAPL bars:
    sma_20 ema_20 wma_20 rsi_14 stddev_20 max_20 min_20 atr_14 trange mom_10
  pandas/numpy where TA-Lib has no such function:
    rma_14         Wilder's recursion, seeded with the mean of the first 14
    cum_close      running sum of close
    cross          crossover(sma_20, ema_20) as 1/0 (nan where an operand is nan)
    crossunder     crossunder(sma_20, ema_20), likewise
    barssince_cross, valuewhen_cross_close
    stddev_20_exact  population stdev of each window, exactly rounded
                     (statistics.pstdev works in rationals); TA-Lib's own
                     STDDEV is up to 4e-10 off it (plain running sums of x, x²)
  Leading NaN (an indicator of an indicator; TA-Lib's wrapper starts the C
  call at the first non-NaN input, so the first value moves by 19 rows):
    ema_20_of_sma_20 wma_20_of_sma_20 rsi_14_of_sma_20 stddev_20_of_sma_20
    max_20_of_sma_20 min_20_of_sma_20 mom_10_of_sma_20 rma_14_of_sma_20
    stddev_20_of_sma_20_exact
  Gaps in the middle: close_gap is close with NaN at rows 1000, 1500, 1510,
  2000..=2002 and +inf at row 2500. The `ta` functions treat a non-finite
  input as a gap and start afresh after it, which is the same as running
  TA-Lib separately on each gap-free stretch of the input; that is how these
  are computed (segmentwise below):
    sma_20_gap ema_20_gap wma_20_gap rsi_14_gap stddev_20_gap max_20_gap
    min_20_gap rma_14_gap atr_14_gap (high, low, close_gap) stddev_20_gap_exact
  and element-wise ones:
    mom_10_gap     TA-Lib MOM straight on close_gap (its C loop is element-wise)
    cum_close_gap  pandas cumsum with non-finite values skipped (NaN in the output there)
    tr_gap         the `ta.tr` rule in numpy: TRANGE where the previous close
                   is finite, high - low where it is not (row 0 included)

Run from anywhere:  python3 runtime/tests/data/make_ta_reference.py
Needs: TA-Lib (`import talib`), pandas, numpy.
"""

import math
import pathlib
import statistics
from fractions import Fraction

import numpy as np
import pandas as pd
import talib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
SOURCE = REPO / "data" / "stocks.csv.gz"
OUT = HERE / "ta_reference.csv"

GAP_NAN_ROWS = [1000, 1500, 1510, 2000, 2001, 2002]
GAP_INF_ROW = 2500


def fmt(v) -> str:
    # repr() is the shortest string that parses back to the same double.
    v = float(v)
    if math.isnan(v):
        return "nan"
    return repr(v)


def rma(x: np.ndarray, n: int) -> np.ndarray:
    """Wilder's moving average, written out: mean of the first n, then
    prev = (prev * (n - 1) + x) / n, the operation order of TA-Lib's ATR."""
    out = np.full(len(x), np.nan)
    start = int(np.argmax(~np.isnan(x))) if (~np.isnan(x)).any() else len(x)
    if len(x) - start < n:
        return out
    total = 0.0
    for v in x[start : start + n]:
        total += float(v)
    prev = total / n
    out[start + n - 1] = prev
    for i in range(start + n, len(x)):
        prev = (prev * (n - 1) + float(x[i])) / n
        out[i] = prev
    return out


def segmentwise(fn, *cols: np.ndarray) -> np.ndarray:
    """fn run separately on each stretch of rows where every column is finite;
    NaN on the other rows."""
    valid = np.all([np.isfinite(c) for c in cols], axis=0)
    out = np.full(len(cols[0]), np.nan)
    i = 0
    while i < len(valid):
        if not valid[i]:
            i += 1
            continue
        j = i
        while j < len(valid) and valid[j]:
            j += 1
        out[i:j] = fn(*(np.ascontiguousarray(c[i:j]) for c in cols))
        i = j
    return out


def exact_pstdev(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    for end in range(n - 1, len(x)):
        window = x[end + 1 - n : end + 1]
        if np.isfinite(window).all():
            out[end] = float(statistics.pstdev([Fraction(float(v)) for v in window]))
    return out


def main() -> None:
    df = pd.read_csv(SOURCE)
    aapl = df[df["Ticker"] == "AAPL"].reset_index(drop=True)
    # Keep file order (the file is in date order); fail loudly if it is not.
    assert aapl["Date"].is_monotonic_increasing, "AAPL rows are not in date order"
    assert len(aapl) == 3270, len(aapl)
    o, h, l, c, v = (
        aapl[k].to_numpy(dtype=np.float64) for k in ["Open", "High", "Low", "Close", "Volume"]
    )

    cols: dict[str, np.ndarray] = {
        "open": o,
        "high": h,
        "low": l,
        "close": c,
        "volume": v,
    }
    cols["sma_20"] = talib.SMA(c, timeperiod=20)
    cols["ema_20"] = talib.EMA(c, timeperiod=20)
    cols["wma_20"] = talib.WMA(c, timeperiod=20)
    cols["rsi_14"] = talib.RSI(c, timeperiod=14)
    cols["stddev_20"] = talib.STDDEV(c, timeperiod=20, nbdev=1)
    cols["max_20"] = talib.MAX(c, timeperiod=20)
    cols["min_20"] = talib.MIN(c, timeperiod=20)
    cols["atr_14"] = talib.ATR(h, l, c, timeperiod=14)
    cols["trange"] = talib.TRANGE(h, l, c)
    cols["mom_10"] = talib.MOM(c, timeperiod=10)

    cols["rma_14"] = rma(c, 14)
    cols["cum_close"] = pd.Series(c).cumsum().to_numpy()
    a, b = pd.Series(cols["sma_20"]), pd.Series(cols["ema_20"])
    a1, b1 = a.shift(1), b.shift(1)
    cross = ((a > b) & (a1 <= b1)).astype(float)
    cross[a.isna() | b.isna() | a1.isna() | b1.isna()] = np.nan
    cols["cross"] = cross.to_numpy()
    under = ((a < b) & (a1 >= b1)).astype(float)
    under[a.isna() | b.isna() | a1.isna() | b1.isna()] = np.nan
    cols["crossunder"] = under.to_numpy()
    fired = cross == 1.0
    idx = pd.Series(np.arange(len(c), dtype=np.float64))
    cols["barssince_cross"] = (idx - idx.where(fired).ffill()).to_numpy()
    cols["valuewhen_cross_close"] = pd.Series(c).where(fired).ffill().to_numpy()
    cols["stddev_20_exact"] = exact_pstdev(c, 20)

    s = cols["sma_20"]
    cols["ema_20_of_sma_20"] = talib.EMA(s, timeperiod=20)
    cols["wma_20_of_sma_20"] = talib.WMA(s, timeperiod=20)
    cols["rsi_14_of_sma_20"] = talib.RSI(s, timeperiod=14)
    cols["stddev_20_of_sma_20"] = talib.STDDEV(s, timeperiod=20, nbdev=1)
    cols["stddev_20_of_sma_20_exact"] = exact_pstdev(s, 20)
    cols["max_20_of_sma_20"] = talib.MAX(s, timeperiod=20)
    cols["min_20_of_sma_20"] = talib.MIN(s, timeperiod=20)
    cols["mom_10_of_sma_20"] = talib.MOM(s, timeperiod=10)
    cols["rma_14_of_sma_20"] = rma(s, 14)

    g = c.copy()
    g[GAP_NAN_ROWS] = np.nan
    g[GAP_INF_ROW] = np.inf
    cols["close_gap"] = g
    cols["sma_20_gap"] = segmentwise(lambda x: talib.SMA(x, timeperiod=20), g)
    cols["ema_20_gap"] = segmentwise(lambda x: talib.EMA(x, timeperiod=20), g)
    cols["wma_20_gap"] = segmentwise(lambda x: talib.WMA(x, timeperiod=20), g)
    cols["rsi_14_gap"] = segmentwise(lambda x: talib.RSI(x, timeperiod=14), g)
    cols["stddev_20_gap"] = segmentwise(lambda x: talib.STDDEV(x, timeperiod=20, nbdev=1), g)
    cols["stddev_20_gap_exact"] = exact_pstdev(g, 20)
    cols["max_20_gap"] = segmentwise(lambda x: talib.MAX(x, timeperiod=20), g)
    cols["min_20_gap"] = segmentwise(lambda x: talib.MIN(x, timeperiod=20), g)
    cols["rma_14_gap"] = segmentwise(lambda x: rma(x, 14), g)
    cols["atr_14_gap"] = segmentwise(
        lambda hh, ll, cc: talib.ATR(hh, ll, cc, timeperiod=14), h, l, g
    )
    cols["mom_10_gap"] = talib.MOM(g, timeperiod=10)
    cols["cum_close_gap"] = pd.Series(np.where(np.isfinite(g), g, np.nan)).cumsum().to_numpy()
    prev_close = np.concatenate([[np.nan], g[:-1]])
    full_tr = np.maximum.reduce([h - l, np.abs(prev_close - h), np.abs(prev_close - l)])
    cols["tr_gap"] = np.where(np.isfinite(prev_close), full_tr, h - l)

    names = list(cols)
    with OUT.open("w", newline="\n") as f:
        f.write("date," + ",".join(names) + "\n")
        for i, date in enumerate(aapl["Date"]):
            f.write(date + "," + ",".join(fmt(cols[k][i]) for k in names) + "\n")
    print(f"wrote {len(c)} rows x {len(names) + 1} columns to {OUT} (TA-Lib {talib.__version__})")


if __name__ == "__main__":
    main()
