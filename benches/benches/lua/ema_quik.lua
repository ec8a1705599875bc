-- The same EMA as a QUIK terminal indicator (Settings / Init / OnCalculate,
-- C(i)), in QUIK's usual style: one value per candle index in a table, so
-- that QUIK calling OnCalculate again for the last candle is harmless.
Settings = {
  Name = "EMA (QUIK, bench)",
  period = 50,
  line = {
    { Name = "EMA", Color = RGB(0, 0, 255), Type = TYPE_LINE, Width = 1 },
  },
}

local EMA, SUM = {}, {}

function Init()
  EMA, SUM = {}, {}
  return 1
end

function OnCalculate(index)
  local n = Settings.period
  local c = C(index)
  if index < n then
    SUM[index] = (SUM[index - 1] or 0) + c
    return nil
  end
  if index == n then
    EMA[index] = ((SUM[index - 1] or 0) + c) / n
    return EMA[index]
  end
  local prev = EMA[index - 1]
  EMA[index] = (c - prev) * (2 / (n + 1)) + prev
  return EMA[index]
end
