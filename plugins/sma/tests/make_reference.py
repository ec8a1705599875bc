#!/usr/bin/env python3
"""Writes tests/data/talib_reference.csv: TA-Lib SMA/EMA of AAPL daily closes.

The SMA and EMA plugins are checked against this file, so their numbers come
from an independent implementation (TA-Lib's C library through its Python
wrapper), not from the code under test.

Run from anywhere:  python3 plugins/sma/tests/make_reference.py
Needs: TA-Lib (`import talib`), pandas, numpy.
"""

import math
import pathlib

import numpy as np
import pandas as pd
import talib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
SOURCE = REPO / "data" / "stocks.csv.gz"
OUT = HERE / "data" / "talib_reference.csv"


def fmt(v: float) -> str:
    # repr() is the shortest string that parses back to the same double.
    return "nan" if math.isnan(v) else repr(float(v))


def main() -> None:
    df = pd.read_csv(SOURCE)
    aapl = df[(df["Ticker"] == "AAPL") & (df["Date"] >= "2000-03-01")]
    # Keep file order (the file is in date order); fail loudly if it is not.
    assert aapl["Date"].is_monotonic_increasing, "AAPL rows are not in date order"
    close = aapl["Close"].to_numpy(dtype=np.float64)

    sma_20 = talib.SMA(close, timeperiod=20)
    ema_20 = talib.EMA(close, timeperiod=20)
    ema_50 = talib.EMA(close, timeperiod=50)
    # EMA of an indicator output: the wrapper skips the 19 leading NaNs and
    # seeds at the first non-NaN value (first EMA value at index 19 + 19).
    ema_20_of_sma_20 = talib.EMA(sma_20, timeperiod=20)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="\n") as f:
        f.write("date,close,sma_20,ema_20,ema_50,ema_20_of_sma_20\n")
        for row in zip(aapl["Date"], close, sma_20, ema_20, ema_50, ema_20_of_sma_20):
            f.write(row[0] + "," + ",".join(fmt(v) for v in row[1:]) + "\n")
    print(f"wrote {len(close)} rows to {OUT} (TA-Lib {talib.__version__})")


if __name__ == "__main__":
    main()
