-- Moving-average crossover: a fast and a slow SMA, with a green triangle
-- under the bar where the fast crosses above the slow (buy) and a red one
-- over the bar where it crosses below (sell).
--
-- Markers are drawn wherever their output is not NaN, at that value, so a
-- signal output is "a price where the signal fires, NaN elsewhere":
-- `ta.select(condition, a, b)` takes a where the condition is true and b
-- elsewhere, and `series.new(n)` is n NaNs.

indicator {
  name = "MA Cross",
  params = {
    fast = { type = "integer", default = 10, min = 1, max = 1000, description = "fast SMA period" },
    slow = { type = "integer", default = 30, min = 1, max = 1000, description = "slow SMA period" },
  },
  outputs = {
    { name = "fast", style = "line", color = "#f5a623", width = 1 },
    { name = "slow", style = "line", color = "#4a90e2", width = 1 },
    { name = "buy",  style = "markers", shape = "triangle_up",   color = "#26a69a", size = 10 },
    { name = "sell", style = "markers", shape = "triangle_down", color = "#ef5350", size = 10 },
  },
}

function calculate(p)
  local fast = ta.sma(close, p.fast)
  local slow = ta.sma(close, p.slow)
  local none = series.new(#close)
  return {
    fast = fast,
    slow = slow,
    -- 2% below the low / above the high, so the marker does not hide the bar.
    buy = ta.select(ta.crossover(fast, slow), low * 0.98, none),
    sell = ta.select(ta.crossunder(fast, slow), high * 1.02, none),
  }
end
