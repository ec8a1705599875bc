-- Vectorized RSI: one native ta.* call over the whole close column.
indicator {
  name = "RSI (bench)",
  params = { n = { type = "integer", default = 14, min = 1 } },
  outputs = { { name = "rsi" } },
}

function calculate(p)
  return { rsi = ta.rsi(close, p.n) }
end
