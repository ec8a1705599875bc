#!/usr/bin/env python3
"""Writes reference/<script>.csv: the expected outputs of every script in scripts/.

The Lua scripts are checked against these files by runtime/tests/scripts.rs,
so the numbers here must not come from the code under test. Where TA-Lib has
the indicator (SMA, EMA, ATR, MAX, MIN, BBANDS, RSI) its C library computes
it; the rest (SuperTrend's bands, Ichimoku's shifts, ZigZag, crossings) are
written here from the textbook definition, in numpy/pandas, without looking
at the Lua. Where both exist, the script's own check compares TA-Lib with a
second computation (pandas rolling windows, plain loops) and stops if they
disagree, so a misread TA-Lib convention shows up here rather than in Rust.

Each file has the inputs (date, open, high, low, close, volume: AAPL daily
bars from data/stocks.csv.gz) and then one column per script output, named
as the script names it, full precision (repr), empty where the output is NaN.
Outputs use the scripts' default parameters.

Run from anywhere:  python3 scripts/tests/make_references.py
Needs: TA-Lib (`import talib`), pandas, numpy.
"""

import math
import pathlib
from fractions import Fraction

import numpy as np
import pandas as pd
import talib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOURCE = REPO / "data" / "stocks.csv.gz"
OUT = HERE / "reference"
NAN = float("nan")


def load_aapl() -> pd.DataFrame:
    df = pd.read_csv(SOURCE)
    aapl = df[df["Ticker"] == "AAPL"].reset_index(drop=True)
    assert aapl["Date"].is_monotonic_increasing, "AAPL rows are not in date order"
    assert not aapl[["Open", "High", "Low", "Close"]].isna().any().any()
    return aapl


def fmt(v: float) -> str:
    # repr() is the shortest text that parses back to the same double.
    return "" if math.isnan(v) else repr(float(v))


def write(name: str, bars: pd.DataFrame, outputs: dict) -> None:
    cols = {
        "open": bars["Open"].to_numpy(np.float64),
        "high": bars["High"].to_numpy(np.float64),
        "low": bars["Low"].to_numpy(np.float64),
        "close": bars["Close"].to_numpy(np.float64),
        "volume": bars["Volume"].to_numpy(np.float64),
    }
    for k, v in outputs.items():
        v = np.asarray(v, dtype=np.float64)
        assert len(v) == len(bars), f"{name}.{k}: {len(v)} values for {len(bars)} bars"
        assert k not in cols, f"{name}: output {k} clashes with an input column"
        cols[k] = v
    path = OUT / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("date," + ",".join(cols) + "\n")
        for i, date in enumerate(bars["Date"]):
            f.write(date + "," + ",".join(fmt(c[i]) for c in cols.values()) + "\n")
    defined = {k: int(np.sum(~np.isnan(v))) for k, v in outputs.items()}
    print(f"wrote {path.relative_to(REPO)}: {len(bars)} rows, values per output {defined}")


def same(a, b, rel=1e-12) -> bool:
    """Equal NaN positions and values within `rel`."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    m = ~np.isnan(a)
    return bool(np.all(np.abs(a[m] - b[m]) <= rel * np.abs(b[m])))


def shift(x: np.ndarray, n: int) -> np.ndarray:
    """Value n bars ago (n < 0: n bars ahead), NaN where that bar does not exist."""
    out = np.full(len(x), NAN)
    if n >= 0:
        out[n:] = x[: len(x) - n]
    else:
        out[:n] = x[-n:]
    return out


# ---------------------------------------------------------------- TA-Lib checks


def check_talib_conventions(h, l, c) -> None:
    """TA-Lib against plain pandas/loops, for the conventions the scripts rely on."""
    s = pd.Series(c)
    assert same(talib.SMA(c, 10), s.rolling(10).mean(), 1e-10)
    assert same(talib.MAX(h, 20), pd.Series(h).rolling(20).max(), 0)
    assert same(talib.MIN(l, 20), pd.Series(l).rolling(20).min(), 0)
    # ATR: first bar has no true range; first ATR at index n = mean of TR[1..n].
    n = 14
    tr = np.full(len(c), NAN)
    tr[1:] = np.maximum.reduce([h[1:] - l[1:], np.abs(h[1:] - c[:-1]), np.abs(l[1:] - c[:-1])])
    atr = np.full(len(c), NAN)
    atr[n] = tr[1 : n + 1].sum() / n
    for i in range(n + 1, len(c)):
        atr[i] = (atr[i - 1] * (n - 1) + tr[i]) / n
    assert same(talib.ATR(h, l, c, n), atr, 1e-12)
    # Bollinger: SMA middle, population standard deviation.
    up, mid, lo = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    sd = s.rolling(20).std(ddof=0).to_numpy()
    assert same(mid, s.rolling(20).mean(), 1e-10)
    assert same(up, mid + 2 * sd, 1e-10) and same(lo, mid - 2 * sd, 1e-10)
    # RSI: Wilder averages seeded with the plain mean of the first n changes.
    d = np.diff(c)
    g, ls = np.where(d > 0, d, 0.0), np.where(d < 0, -d, 0.0)
    rsi = np.full(len(c), NAN)
    ag, al = g[:n].mean(), ls[:n].mean()
    rsi[n] = 100 * ag / (ag + al)
    for i in range(n + 1, len(c)):
        ag = (ag * (n - 1) + g[i - 1]) / n
        al = (al * (n - 1) + ls[i - 1]) / n
        rsi[i] = 100 * ag / (ag + al)
    assert same(talib.RSI(c, n), rsi, 1e-10)


# ---------------------------------------------------------------- indicators


def supertrend(h, l, c, period=10, multiplier=3.0):
    """SuperTrend with the usual carry rules (TradingView's ta.supertrend),
    ATR from TA-Lib. Returns (up, down): the active band, NaN on the other."""
    atr = talib.ATR(h, l, c, period)
    hl2 = (h + l) / 2
    basic_up, basic_dn = hl2 + multiplier * atr, hl2 - multiplier * atr
    n = len(c)
    final_up, final_dn = np.full(n, NAN), np.full(n, NAN)
    bull = np.zeros(n, dtype=bool)
    started = False
    for i in range(n):
        if np.isnan(atr[i]):
            continue
        if not started:
            final_up[i], final_dn[i], bull[i] = basic_up[i], basic_dn[i], False
            started = True
            continue
        # The resistance only ratchets down and the support only up, unless
        # the previous close went through them.
        final_up[i] = (
            basic_up[i]
            if basic_up[i] < final_up[i - 1] or c[i - 1] > final_up[i - 1]
            else final_up[i - 1]
        )
        final_dn[i] = (
            basic_dn[i]
            if basic_dn[i] > final_dn[i - 1] or c[i - 1] < final_dn[i - 1]
            else final_dn[i - 1]
        )
        bull[i] = c[i] > final_up[i] if not bull[i - 1] else not (c[i] < final_dn[i])
    defined = ~np.isnan(atr)
    up = np.where(defined & bull, final_dn, NAN)
    down = np.where(defined & ~bull, final_up, NAN)
    return up, down


def zigzag(h, l, deviation=5.0):
    """Swing pivots of at least `deviation`% on highs/lows (rules in
    scripts/zigzag.lua's header) and the line through them plus the
    unfinished leg, by np.interp."""
    d = deviation / 100
    pivots = []  # (bar, price)
    mode = "start"
    top = bottom = 0  # start: bars of the extremes so far
    end = 0  # the running leg's extreme
    for i in range(1, len(h)):
        if mode == "start":
            if h[i] >= l[bottom] * (1 + d):
                pivots.append((bottom, l[bottom]))
                mode, end = "rising", i
            elif l[i] <= h[top] * (1 - d):
                pivots.append((top, h[top]))
                mode, end = "falling", i
            else:
                top = i if h[i] > h[top] else top
                bottom = i if l[i] < l[bottom] else bottom
        elif mode == "rising":
            if h[i] > h[end]:
                end = i
            elif l[i] <= h[end] * (1 - d):
                pivots.append((end, h[end]))
                mode, end = "falling", i
        else:
            if l[i] < l[end]:
                end = i
            elif h[i] >= l[end] * (1 + d):
                pivots.append((end, l[end]))
                mode, end = "rising", i
    marks = np.full(len(h), NAN)
    for bar, price in pivots:
        marks[bar] = price
    vertices = pivots + ([(end, h[end] if mode == "rising" else l[end])] if mode != "start" else [])
    line = np.full(len(h), NAN)
    if len(vertices) >= 2:
        xs = np.array([v[0] for v in vertices], dtype=np.float64)
        ys = np.array([v[1] for v in vertices], dtype=np.float64)
        span = np.arange(vertices[0][0], vertices[-1][0] + 1)
        line[span] = np.interp(span.astype(np.float64), xs, ys)
    return line, marks


def crossings(a, b):
    """(crossover, crossunder) masks: a goes above / below b on this bar, Pine style
    (a > b now and a <= b on the previous bar); False wherever a value is missing."""
    a, b = pd.Series(a, dtype=object), pd.Series(b, dtype=object)
    pa, pb = a.shift(1), b.shift(1)
    have = a.notna() & b.notna() & pa.notna() & pb.notna()
    over = [bool(h and x > y and px <= py) for h, x, y, px, py in zip(have, a, b, pa, pb)]
    under = [bool(h and x < y and px >= py) for h, x, y, px, py in zip(have, a, b, pa, pb)]
    return np.array(over), np.array(under)


def exact_sma(prices: np.ndarray, n: int) -> list:
    """SMA in exact rational arithmetic (None before the first full window).

    Prices have two decimals, so two averages can be equal exactly, and then
    whether a crossing happens on this bar or the next depends on the last
    bit of two rounded sums (TA-Lib's running sum puts AAPL's SMA(10) above
    its SMA(30) by 1.4e-14 on 2003-02-07, where both are 14.426). Crossings
    are therefore decided on exact averages, which any correct floating-point
    SMA rounds to the same order except at such ties."""
    exact = [Fraction(repr(float(p))) for p in prices]
    out, total = [None] * len(exact), Fraction(0)
    for i, x in enumerate(exact):
        total += x
        if i >= n:
            total -= exact[i - n]
        if i + 1 >= n:
            out[i] = total / n
    return out


def midpoint(h, l, n):
    return (talib.MAX(h, n) + talib.MIN(l, n)) / 2


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    bars = load_aapl()
    h, l, c = (bars[k].to_numpy(np.float64) for k in ("High", "Low", "Close"))
    check_talib_conventions(h, l, c)

    up, down = supertrend(h, l, c)
    assert not np.any(~np.isnan(up) & ~np.isnan(down)), "both SuperTrend lines on one bar"
    write("supertrend", bars, {"up": up, "down": down})

    middle = talib.EMA(c, 20)
    offset = talib.ATR(h, l, c, 10) * 2.0
    upper, lower = middle + offset, middle - offset
    write("keltner", bars, {"band": upper, "upper": upper, "middle": middle, "lower": lower})

    tenkan, kijun = midpoint(h, l, 9), midpoint(h, l, 26)
    senkou_a = shift((tenkan + kijun) / 2, 26)
    senkou_b = shift(midpoint(h, l, 52), 26)
    write(
        "ichimoku",
        bars,
        {
            "cloud": senkou_a,
            "tenkan": tenkan,
            "kijun": kijun,
            "senkou_a": senkou_a,
            "senkou_b": senkou_b,
            "chikou": shift(c, -26),
        },
    )

    dc_upper, dc_lower = talib.MAX(h, 20), talib.MIN(l, 20)
    write("donchian", bars, {"upper": dc_upper, "middle": (dc_upper + dc_lower) / 2, "lower": dc_lower})

    line, marks = zigzag(h, l)
    write("zigzag", bars, {"zigzag": line, "pivot": marks})

    fast, slow = talib.SMA(c, 10), talib.SMA(c, 30)
    exact_fast, exact_slow = exact_sma(c, 10), exact_sma(c, 30)
    assert same(fast, [NAN if v is None else float(v) for v in exact_fast], 1e-12)
    assert same(slow, [NAN if v is None else float(v) for v in exact_slow], 1e-12)
    over, under = crossings(exact_fast, exact_slow)
    float_over, float_under = crossings(fast, slow)
    ties = [i for i, (x, y) in enumerate(zip(exact_fast, exact_slow)) if x is not None and y is not None and x == y]
    moved = np.flatnonzero((over != float_over) | (under != float_under))
    print(f"ma_cross: exact ties at rows {ties}; TA-Lib's rounding moves signals at rows {[int(i) for i in moved]}")
    write(
        "ma_cross",
        bars,
        {
            "fast": fast,
            "slow": slow,
            "buy": np.where(over, l * 0.98, NAN),
            "sell": np.where(under, h * 1.02, NAN),
        },
    )

    write("quik_atr", bars, {"ATR": talib.ATR(h, l, c, 14)})

    bb_up, bb_mid, bb_lo = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    write("quik_bollinger", bars, {"Верхняя": bb_up, "Средняя": bb_mid, "Нижняя": bb_lo})

    write("rsi_per_bar", bars, {"rsi": talib.RSI(c, 14)})
    print(f"TA-Lib {talib.__version__}")


if __name__ == "__main__":
    main()
