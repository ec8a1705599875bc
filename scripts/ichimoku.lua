-- Ichimoku Kinko Hyo.
--   tenkan   = midpoint of the highest high and lowest low over 9 bars
--   kijun    = the same over 26 bars
--   senkou A = (tenkan + kijun) / 2, drawn 26 bars ahead
--   senkou B = midpoint over 52 bars, drawn 26 bars ahead
--   chikou   = the close, drawn 26 bars back
-- The cloud (kumo) is a band between senkou A and senkou B.
--
-- Outputs have exactly one value per input bar. Senkou A and B are shifted
-- forward, so their last 26 values would fall on bars that do not exist yet:
-- they are dropped, and the cloud stops at the last bar instead of running
-- 26 bars into the future as on some platforms. Chikou is shifted back, so
-- its last 26 bars have no value.
--
-- A band has one colour, so the cloud is not coloured by which span is on
-- top; draw it twice with `ta.select` masks if you want that.

indicator {
  name = "Ichimoku",
  params = {
    tenkan       = { type = "integer", default = 9,  min = 1, max = 1000, description = "conversion line period" },
    kijun        = { type = "integer", default = 26, min = 1, max = 1000, description = "base line period" },
    senkou       = { type = "integer", default = 52, min = 1, max = 1000, description = "leading span B period" },
    displacement = { type = "integer", default = 26, min = 0, max = 1000, description = "bars the spans lead and the lagging line lags" },
  },
  outputs = {
    { name = "cloud",    style = "band", with = "senkou_b", color = "#43a04726" },
    { name = "tenkan",   style = "line", color = "#2962ff", width = 1 },
    { name = "kijun",    style = "line", color = "#b71c1c", width = 1 },
    { name = "senkou_a", style = "line", color = "#43a047", width = 1 },
    { name = "senkou_b", style = "line", color = "#ff5252", width = 1 },
    { name = "chikou",   style = "line", color = "#9c27b0", width = 1 },
  },
}

-- (highest high + lowest low) / 2 over the last n bars, as a series.
local function midpoint(n)
  return (ta.highest(high, n) + ta.lowest(low, n)) / 2
end

function calculate(p)
  local tenkan = midpoint(p.tenkan)
  local kijun = midpoint(p.kijun)
  -- shift(n): the value n bars ago, so the span computed at bar i shows at bar i + n.
  local senkou_a = ((tenkan + kijun) / 2):shift(p.displacement)
  local senkou_b = midpoint(p.senkou):shift(p.displacement)

  -- The lagging line shows at bar i the close of bar i + displacement.
  -- Reading past the last bar gives NaN, so the end takes care of itself.
  local chikou = {}
  for i = 1, #close do
    chikou[i] = close[i + p.displacement]
  end

  return {
    cloud = senkou_a,
    tenkan = tenkan,
    kijun = kijun,
    senkou_a = senkou_a,
    senkou_b = senkou_b,
    chikou = series.from(chikou),
  }
end
