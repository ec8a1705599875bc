-- RSI computed bar by bar: an example of a per-bar (`on_bar`) script.
-- (`ta.rsi(close, n)` in a `calculate` script gives the same numbers; this
-- file shows how to keep running state yourself.)
--
-- Wilder's RSI, seeded like TA-Lib: the first value is at bar period + 1,
-- from the plain averages of the first `period` gains and losses; after that
-- each average is smoothed as (previous * (period - 1) + new) / period.
--
-- Only `state` survives from one bar to the next. The host saves it before
-- each bar, so when the last bar changes (a live candle) it recomputes that
-- bar from the state before it: nothing is added twice. Keep everything that
-- must carry over in `state`, never in globals or upvalues.

indicator {
  name = "RSI (per bar)",
  params = {
    period = { type = "integer", default = 14, min = 1, max = 1000, description = "smoothing period" },
  },
  outputs = {
    { name = "rsi", style = "line", color = "#7e57c2", width = 1 },
  },
  pane = "own",   -- a separate pane below the price
}

function init(p, state)
  state.changes = 0     -- closes compared so far
  state.gain = 0        -- sum, then average, of rises
  state.loss = 0        -- sum, then average, of falls (positive)
end

function on_bar(i, state, p)
  -- In a per-bar script the inputs are plain Lua arrays: close[i - 1] is nil
  -- on the first bar, so check before doing arithmetic with it.
  if i == 1 then return nil end           -- nil: no value on this bar
  local change = close[i] - close[i - 1]
  if change ~= change then return nil end  -- NaN (x ~= x only for NaN): a gap in the data

  local n = p.period
  local gain = change > 0 and change or 0
  local loss = change < 0 and -change or 0
  state.changes = state.changes + 1

  if state.changes < n then
    state.gain = state.gain + gain
    state.loss = state.loss + loss
    return nil
  elseif state.changes == n then
    state.gain = (state.gain + gain) / n
    state.loss = (state.loss + loss) / n
  else
    state.gain = (state.gain * (n - 1) + gain) / n
    state.loss = (state.loss * (n - 1) + loss) / n
  end

  local total = state.gain + state.loss
  if total == 0 then return 0 end          -- a flat market: TA-Lib says 0
  return 100 * state.gain / total
end
