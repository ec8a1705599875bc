-- Vectorized SMA: one native ta.* call over the whole close column.
indicator {
  name = "SMA (bench)",
  params = { n = { type = "integer", default = 20, min = 1 } },
  outputs = { { name = "sma" } },
}

function calculate(p)
  return { sma = ta.sma(close, p.n) }
end
