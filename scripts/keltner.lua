-- Keltner Channels: an EMA of the close with bands a multiple of the ATR
-- above and below it, and the area between the bands filled.
--
-- Everything is whole-series arithmetic: `ta.ema` and `ta.atr` run in native
-- code over all bars at once, and `+ - *` work element by element on series.
-- A value is NaN wherever one of its operands is (here: before bar 20, where
-- the EMA has no value yet).

indicator {
  name = "Keltner Channels",
  params = {
    period     = { type = "integer", default = 20, min = 1, max = 1000, description = "EMA period of the middle line" },
    atr_period = { type = "integer", default = 10, min = 1, max = 1000, description = "ATR period (Wilder)" },
    multiplier = { type = "number", default = 2.0, min = 0.1, max = 50, description = "band distance in ATRs" },
  },
  outputs = {
    -- A band is declared first so that it is drawn first, under the lines.
    -- It fills between its own values (the upper band) and the output named
    -- in `with`; the last two hex digits of the colour are its alpha.
    { name = "band",   style = "band", with = "lower", color = "#2962ff1a" },
    { name = "upper",  style = "line", color = "#2962ff", width = 1 },
    { name = "middle", style = "line", color = "#ff6d00", width = 1 },
    { name = "lower",  style = "line", color = "#2962ff", width = 1 },
  },
}

function calculate(p)
  local middle = ta.ema(close, p.period)
  local offset = ta.atr(high, low, close, p.atr_period) * p.multiplier
  local upper = middle + offset
  local lower = middle - offset
  return { band = upper, upper = upper, middle = middle, lower = lower }
end
