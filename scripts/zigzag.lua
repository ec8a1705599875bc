-- ZigZag: straight lines between swing highs and lows, ignoring moves
-- smaller than `deviation` percent.
--
-- Rules (highs and lows, not closes):
--   * While the direction is unknown, track the highest high and lowest low
--     so far. The first bar whose high is `deviation`% above that lowest low
--     makes the low a pivot (the leg is now rising); else the first bar whose
--     low is `deviation`% below that highest high makes the high a pivot.
--   * On a rising leg, a higher high moves the leg's end to that bar. A bar
--     whose low is `deviation`% below the leg's high confirms the high as a
--     pivot; the new falling leg starts at that bar's low. Falling legs are
--     the mirror image. A bar that makes a new extreme is never also a
--     reversal.
--
-- Outputs: `zigzag`, a line through the confirmed pivots and on to the end of
-- the last leg, linearly interpolated in between (a line style joins values
-- of neighbouring bars, so every bar between two pivots needs a value); and
-- `pivot`, the price at each confirmed pivot, NaN elsewhere, drawn as markers.
--
-- REPAINTING: the last leg moves. Its end jumps to each new extreme, and a
-- pivot appears only once price has moved `deviation`% away from it, bars
-- after the fact. Never read the last leg as a signal, and do not backtest on
-- pivots as if they had been known on their own bar.
--
-- Why `calculate` and not the per-bar `on_bar`: on_bar returns the value of
-- the current bar only, but a confirmed pivot redraws the line over bars
-- already passed. `calculate` sees all bars and rebuilds the whole line on
-- every update, which is exactly the repainting described above.

indicator {
  name = "ZigZag",
  params = {
    deviation = { type = "number", default = 5.0, min = 0.01, max = 100, description = "smallest reversal that counts, in percent" },
  },
  outputs = {
    { name = "zigzag", style = "line", color = "#ffb300", width = 2 },
    { name = "pivot",  style = "markers", shape = "circle", size = 6, color = "#ffb300" },
  },
}

local NaN = 0 / 0

function calculate(p)
  local n = #close
  local d = p.deviation / 100

  local pivots = {}            -- confirmed pivots in order: { bar = i, price = x }
  local function confirm(i, price)
    pivots[#pivots + 1] = { bar = i, price = price }
  end

  local dir = 0                -- 1: rising leg, -1: falling leg, 0: not known yet
  local hi, lo                 -- while dir == 0: bars of the highest high and lowest low
  local ext                    -- bar of the current leg's extreme (its unconfirmed end)

  for i = 1, n do
    local h, l = high[i], low[i]
    if h == h and l == l then  -- skip bars with a NaN high or low
      if dir == 0 then
        if hi == nil then
          hi, lo = i, i
        elseif h >= low[lo] * (1 + d) then
          confirm(lo, low[lo]); dir, ext = 1, i
        elseif l <= high[hi] * (1 - d) then
          confirm(hi, high[hi]); dir, ext = -1, i
        else
          if h > high[hi] then hi = i end
          if l < low[lo] then lo = i end
        end
      elseif dir == 1 then
        if h > high[ext] then
          ext = i
        elseif l <= high[ext] * (1 - d) then
          confirm(ext, high[ext]); dir, ext = -1, i
        end
      else
        if l < low[ext] then
          ext = i
        elseif h >= low[ext] * (1 + d) then
          confirm(ext, low[ext]); dir, ext = 1, i
        end
      end
    end
  end

  local line, pivot = {}, {}
  for i = 1, n do line[i], pivot[i] = NaN, NaN end
  for _, pv in ipairs(pivots) do pivot[pv.bar] = pv.price end

  -- The line's vertices: the pivots, then the end of the unfinished leg.
  local points = {}
  for k, pv in ipairs(pivots) do points[k] = pv end
  if dir ~= 0 then
    points[#points + 1] = { bar = ext, price = dir == 1 and high[ext] or low[ext] }
  end
  for k = 1, #points - 1 do
    local a, b = points[k], points[k + 1]
    for i = a.bar, b.bar do
      line[i] = a.price + (b.price - a.price) * (i - a.bar) / (b.bar - a.bar)
    end
  end

  return { zigzag = series.from(line), pivot = series.from(pivot) }
end
