-- Donchian Channels: the highest high and the lowest low of the last
-- `period` bars (the current bar included), and the line halfway between.

indicator {
  name = "Donchian Channels",
  params = {
    period = { type = "integer", default = 20, min = 1, max = 1000, description = "bars in the window" },
  },
  outputs = {
    { name = "upper",  style = "line", color = "#2962ff", width = 1 },
    { name = "middle", style = "line", color = "#ff6d00", width = 1 },
    { name = "lower",  style = "line", color = "#2962ff", width = 1 },
  },
}

function calculate(p)
  local upper = ta.highest(high, p.period)
  local lower = ta.lowest(low, p.period)
  return { upper = upper, middle = (upper + lower) / 2, lower = lower }
end
