"""Independent reference for data::timeframe: AAPL daily bars 2010-2012 from
data/stocks.csv.gz resampled by pandas into weeks (starting Monday) and
calendar months. Dates are New York (exchange) dates. Writes aapl_daily.csv
(the input) and reference.csv next to this script, and reference_sma.csv:
a 4-week simple moving average (pandas rolling mean) of the weekly closes,
for the model test of an indicator computed on aggregated bars.
Run: python3 runtime/tests/data/timeframes/make_reference.py (pandas)."""
import pathlib
import pandas as pd

here = pathlib.Path(__file__).parent
root = here.parents[3]
df = pd.read_csv(root / "data" / "stocks.csv.gz", parse_dates=["Date"])
df = df[(df.Ticker == "AAPL") & (df.Date >= "2010-01-01") & (df.Date < "2013-01-01")]
df = df[["Date", "Open", "High", "Low", "Close", "Volume"]].sort_values("Date")
df.to_csv(here / "aapl_daily.csv", index=False, date_format="%Y-%m-%d")
rows = []
for kind, freq in [("1w", "W-SUN"), ("1M", "M")]:
    g = df.groupby(df.Date.dt.to_period(freq))
    agg = g.agg(open=("Open", "first"), high=("High", "max"), low=("Low", "min"),
                close=("Close", "last"), volume=("Volume", "sum"), count=("Close", "size"))
    for period, r in agg.iterrows():
        rows.append([kind, period.start_time.strftime("%Y-%m-%d"), repr(float(r.open)),
                     repr(float(r.high)), repr(float(r.low)), repr(float(r.close)),
                     int(r.volume), int(r["count"])])
out = pd.DataFrame(rows, columns=["timeframe", "start", "open", "high", "low", "close", "volume", "count"])
out.to_csv(here / "reference.csv", index=False)
weekly = out[out.timeframe == "1w"]
sma = pd.DataFrame({"start": weekly.start, "sma4": weekly.close.astype(float).rolling(4).mean()})
sma.dropna().to_csv(here / "reference_sma.csv", index=False, float_format="%.17g")
