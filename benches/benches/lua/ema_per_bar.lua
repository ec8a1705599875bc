-- EMA written bar by bar (on_bar with state), seeded like ta.ema (TA-Lib):
-- the mean of the first n closes, then (x - prev) * k + prev. The bench
-- checks that it gives the same numbers as the native ta::ema. (No gap
-- handling: the bench data has no NaN.)
indicator {
  name = "EMA per bar (bench)",
  params = { n = { type = "integer", default = 50, min = 1 } },
  outputs = { { name = "ema" } },
}

function init(p, state)
  state.k = 2 / (p.n + 1)
  state.sum = 0
end

function on_bar(i, state, p)
  local c = close[i]
  if i < p.n then
    state.sum = state.sum + c
    return nil
  end
  if i == p.n then
    state.ema = (state.sum + c) / p.n
    return state.ema
  end
  state.ema = (c - state.ema) * state.k + state.ema
  return state.ema
end
