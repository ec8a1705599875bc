--[[
  Полосы Боллинджера — индикатор в формате QUIK.
  Средняя: простое скользящее среднее закрытий за period свечей.
  Верхняя и нижняя: средняя плюс/минус deviation стандартных отклонений
  (отклонение по генеральной совокупности, делим на period).

  Bollinger Bands written as a QUIK terminal indicator, saved in
  Windows-1251 with Cyrillic names, as QUIK users write them; gpu-charts
  decodes the file and shows the names in the legend.

  Each candle is computed from the last `period` closes alone, so QUIK's
  recalculation of the last candle needs no care at all.
]]

Settings = {
  Name = "Полосы Боллинджера",
  period = 20,
  deviation = 2.0,   -- 2.0, not 2: a chart file may then also set 2.5 (a whole number makes an integer parameter)
  line = {
    { Name = "Верхняя", Color = RGB(0, 128, 255), Type = TYPE_LINE, Width = 1 },
    { Name = "Средняя", Color = RGB(255, 128, 0), Type = TYPE_LINE, Width = 1 },
    { Name = "Нижняя",  Color = RGB(0, 128, 255), Type = TYPE_LINE, Width = 1 },
  },
}

function Init()
  return 3   -- три линии (three lines)
end

function OnCalculate(index)
  local period = Settings.period
  if index < period then
    return nil          -- not enough candles yet: no value on any line
  end

  local sum = 0
  for i = index - period + 1, index do
    if not CandleExist(i) then return nil end
    sum = sum + C(i)
  end
  local mean = sum / period

  local squares = 0
  for i = index - period + 1, index do
    local d = C(i) - mean
    squares = squares + d * d
  end
  local sd = math.sqrt(squares / period)

  local k = Settings.deviation
  -- One value per line, in the order of Settings.line.
  return mean + k * sd, mean, mean - k * sd
end
