-- The same EMA as ema_per_bar.lua, as a plain Lua loop over a Lua table
-- inside one `calculate` call: what the interpreter itself costs for this
-- work, without a function call and a `state` table per bar.
indicator {
  name = "EMA Lua loop (bench)",
  params = { n = { type = "integer", default = 50, min = 1 } },
  outputs = { { name = "ema" } },
}

function calculate(p)
  local c = close:totable()
  local n, k = p.n, 2 / (p.n + 1)
  local NaN = 0 / 0
  local out = {}
  local sum = 0
  for i = 1, n - 1 do
    sum = sum + c[i]
    out[i] = NaN
  end
  local e = (sum + c[n]) / n
  out[n] = e
  for i = n + 1, #c do
    e = (c[i] - e) * k + e
    out[i] = e
  end
  return { ema = series.from(out) }
end
