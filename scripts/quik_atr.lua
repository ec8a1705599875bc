--[[
  ATR (Average True Range) ”айлдера Ч индикатор в формате QUIK.
  —редний истинный диапазон: первое значение Ч простое среднее первых
  period истинных диапазонов, дальше сглаживание ”айлдера.

  Wilder's Average True Range written as a QUIK terminal indicator: the same
  file runs in QUIK and in gpu-charts. It is saved in Windows-1251, as QUIK
  editors save files; gpu-charts reads that encoding too.

  Seeded like TA-Lib: the first bar has no previous close and so no true
  range; the first ATR (bar period + 1) is the mean of the first `period`
  true ranges, then ATR = (previous ATR * (period - 1) + TR) / period.

  QUIK calls OnCalculate for every candle in order and again for the last
  candle whenever it changes. Results are therefore kept in tables indexed
  by candle: recalculating a candle overwrites its entry instead of adding
  its true range a second time.
]]

Settings = {
  Name = "ATR (QUIK)",
  period = 14,   -- numeric settings become parameters: a chart file may set period = 20
  line = {
    { Name = "ATR", Color = RGB(0, 128, 255), Type = TYPE_LINE, Width = 2 },
  },
}

local TR = {}      -- true range by candle index
local ATR = {}     -- ATR by candle index
local Count = {}   -- true ranges in an unbroken run ending at this candle

function Init()
  TR, ATR, Count = {}, {}, {}
  return 1         -- the number of lines
end

function OnCalculate(index)
  local period = Settings.period

  -- ѕропуск свечи (a missing candle) restarts the count.
  if index == 1 or not CandleExist(index) or not CandleExist(index - 1) then
    Count[index] = 0
    ATR[index] = nil
    return nil
  end

  local h, l, prev_close = H(index), L(index), C(index - 1)
  TR[index] = math.max(h - l, math.abs(h - prev_close), math.abs(l - prev_close))
  Count[index] = Count[index - 1] + 1

  if Count[index] < period then
    ATR[index] = nil
  elseif Count[index] == period then
    local sum = 0
    for i = index - period + 1, index do
      sum = sum + TR[i]
    end
    ATR[index] = sum / period
  else
    ATR[index] = (ATR[index - 1] * (period - 1) + TR[index]) / period
  end
  return ATR[index]  -- nil until there is a value: QUIK draws nothing there
end
