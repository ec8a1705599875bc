-- SuperTrend: a trailing stop that sits under the price while the trend is up
-- (green `up` line) and over it while the trend is down (red `down` line).
-- Only the line of the active trend has values; the other is NaN, so each is
-- drawn only where its trend holds.
--
-- Definition (the usual one, as in TradingView's ta.supertrend):
--   basic upper = hl2 + multiplier * ATR,  basic lower = hl2 - multiplier * ATR
--   final upper = basic upper if it is lower than the previous final upper or
--                 the previous close broke above it; else the previous final upper
--   final lower = basic lower if it is higher than the previous final lower or
--                 the previous close broke below it; else the previous final lower
--   the trend starts down, turns up when the close rises above the final upper
--   band and turns down when the close falls below the final lower band.
--
-- How it is built: the ATR and the basic bands are whole-series arithmetic
-- (native code, fast). The final bands depend on the previous bar's final
-- band, which no element-wise operation can express, so a plain Lua loop
-- finishes the job. A loop inside `calculate` is fine: a few reads per bar
-- cost far less than the instruction budget.
--
-- ATR is Wilder's with TA-Lib's seeding (first value at bar period + 1), so
-- the first bars differ slightly from charts that seed it otherwise; the
-- difference fades within a few periods.

indicator {
  name = "SuperTrend",
  params = {
    period     = { type = "integer", default = 10, min = 1, max = 1000, description = "ATR period (Wilder)" },
    multiplier = { type = "number", default = 3.0, min = 0.1, max = 50, description = "band distance in ATRs" },
  },
  outputs = {
    { name = "up",   style = "line", color = "#26a69a", width = 2 },
    { name = "down", style = "line", color = "#ef5350", width = 2 },
  },
}

local NaN = 0 / 0

function calculate(p)
  local atr = ta.atr(high, low, close, p.period)
  local hl2 = (high + low) / 2
  local basic_upper = hl2 + atr * p.multiplier
  local basic_lower = hl2 - atr * p.multiplier

  -- Plain Lua tables, turned into series at the end.
  local up, down = {}, {}
  -- The previous bar's final bands and trend (1 up, -1 down, 0 not started).
  local upper, lower, trend = NaN, NaN, 0

  for i = 1, #close do
    local bu, bl = basic_upper[i], basic_lower[i]
    if bu ~= bu then
      -- NaN (x ~= x only for NaN): no ATR yet. Leave the state untouched.
      up[i], down[i] = NaN, NaN
    else
      local prev_close = close[i - 1]   -- close[0] is NaN: indexing out of range is safe
      if trend == 0 or bu < upper or prev_close > upper then upper = bu end
      if trend == 0 or bl > lower or prev_close < lower then lower = bl end

      if trend == 0 then
        trend = -1
      elseif trend == -1 and close[i] > upper then
        trend = 1
      elseif trend == 1 and close[i] < lower then
        trend = -1
      end

      if trend == 1 then
        up[i], down[i] = lower, NaN
      else
        up[i], down[i] = NaN, upper
      end
    end
  end

  return { up = series.from(up), down = series.from(down) }
end
