-- Pair ratio: the price of one symbol divided by another's, aligned by time,
-- with a z-score of the ratio against its own moving average. Two inputs
-- from two sources (QUIK indicators only ever see one instrument).
--
-- Chart file:
--   [[indicators]]
--   id = "pair"
--   script = "../scripts/pair_ratio.lua"
--   inputs = { a = "aapl.close", b = "msft.close" }
-- The outputs live on the timeline of `a` (the first input alphabetically);
-- where `b` has no bar at that time the ratio is NaN (a gap).

indicator {
  name = "Pair ratio",
  inputs = { "a", "b" },
  params = {
    lookback = { type = "integer", default = 50, min = 2, max = 5000, description = "bars for the z-score mean and deviation" },
  },
  outputs = {
    { name = "ratio", style = "line", color = "#e056fd" },
    { name = "z", style = "histogram", color_by_sign = true, pane = "own" },
  },
  pane = "own",
}

function calculate(p)
  local ratio = inputs.a / inputs.b
  local mean = ta.sma(ratio, p.lookback)
  local dev = ta.stdev(ratio, p.lookback)
  return { ratio = ratio, z = (ratio - mean) / dev }
end
