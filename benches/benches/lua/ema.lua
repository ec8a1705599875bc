-- Vectorized EMA: one native ta.* call over the whole close column.
indicator {
  name = "EMA (bench)",
  params = { n = { type = "integer", default = 50, min = 1 } },
  outputs = { { name = "ema" } },
}

function calculate(p)
  return { ema = ta.ema(close, p.n) }
end
