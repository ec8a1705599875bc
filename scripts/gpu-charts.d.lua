---@meta gpu-charts
-- Editor annotations for gpu-charts indicator scripts (docs/lua-api.md).
--
-- This file is never run. It tells the Lua language server (LuaLS, the
-- "Lua" extension by sumneko in VS Code, lua_ls in Neovim, ...) what the host
-- provides, so scripts get completion, hover docs and type checks.
-- scripts/.luarc.json points LuaLS at it; copy both next to your own scripts.

---------------------------------------------------------------------------
-- Declaration: indicator { ... }
---------------------------------------------------------------------------

---@alias gc.ParamType
---| "integer" # a whole number
---| "number"  # any number
---| "string"  # text; restrict it with `values`
---| "boolean" # true / false

---One parameter a chart file may set in `params = { ... }`.
---@class gc.Param
---@field type gc.ParamType
---@field default integer|number|string|boolean value used when the chart file does not set it
---@field min? number smallest allowed value (integer, number)
---@field max? number largest allowed value (integer, number)
---@field values? string[] the allowed strings (string)
---@field description? string shown by `gpu-charts plugins` and in errors

---@alias gc.Style
---| "line"      # a line through the values; NaN breaks it
---| "histogram" # bars from 0
---| "points"    # a dot per value
---| "markers"   # a shape per value that is not NaN (see `shape`)
---| "band"      # a filled area between this output and the output named in `with`

---@alias gc.Shape "triangle_up"|"triangle_down"|"circle"|"diamond"

---@alias gc.Pane
---| "overlay" # the input's pane, over the price (default)
---| "own"     # a new pane below

---One output series, in the order they are drawn (first drawn first, so under).
---@class gc.Output
---@field name string used in legends and references (`"st.up"`)
---@field style? gc.Style default "line"
---@field color? string `"#rrggbb"` or `"#rrggbbaa"` (aa = alpha)
---@field width? number line width in pixels
---@field pane? gc.Pane overrides the indicator's pane for this output
---@field shape? gc.Shape for style "markers"
---@field size? number marker size in pixels
---@field with? string for style "band": the other edge's output name
---@field color_by_sign? boolean for style "histogram": colour bars by sign
---@field dash? "solid"|"dash"|"dot"|"dashdot" for style "line": the pattern (default solid)

---The declaration every gpu-charts script starts with.
---@class gc.Indicator
---@field name? string legend name (default: the file name)
---@field params? table<string, gc.Param> parameters, with defaults
---@field outputs gc.Output[] output series, in order
---@field pane? gc.Pane where the outputs go (default "overlay")
---@field inputs? string[] names the chart's `inputs` table must provide

---Declares the indicator: its name, parameters, outputs and pane.
---Call it once, at the top of the script.
---@param decl gc.Indicator
function indicator(decl) end

---------------------------------------------------------------------------
-- Series
---------------------------------------------------------------------------

---A fixed-length array of numbers (f64), one per bar; NaN means no value.
---Arithmetic works element by element with another series or a number;
---a result is NaN wherever an operand is NaN.
---@class series
---@operator add(series|number): series
---@operator sub(series|number): series
---@operator mul(series|number): series
---@operator div(series|number): series
---@operator mod(series|number): series
---@operator pow(series|number): series
---@operator unm: series
---@operator len: integer
---@field [integer] number value at a 1-based bar index; NaN out of range
series = {}

---A series of `n` copies of `v` (default NaN).
---@param n integer
---@param v? number
---@return series
function series.new(n, v) end

---A series holding a copy of a Lua array of numbers (use 0/0 for NaN).
---@param t number[]
---@return series
function series.from(t) end

---Value at 1-based bar `i` (NaN out of range); the same as `s[i]`.
---@param i integer
---@return number
function series:get(i) end

---1 where `self > x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:gt(x) end

---1 where `self < x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:lt(x) end

---1 where `self >= x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:ge(x) end

---1 where `self <= x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:le(x) end

---1 where `self == x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:eq(x) end

---1 where `self ~= x`, 0 where not, NaN where an operand is NaN.
---@param x series|number
---@return series
function series:ne(x) end

---The value `n` bars ago (NaN where that bar does not exist).
---@param n integer
---@return series
function series:shift(n) end

---@return series
function series:abs() end

---@return series
function series:sqrt() end

---Natural logarithm.
---@return series
function series:log() end

---@return series
function series:exp() end

---Element-wise maximum with a series or a number.
---@param x series|number
---@return series
function series:max(x) end

---Element-wise minimum with a series or a number.
---@param x series|number
---@return series
function series:min(x) end

---NaN replaced by `v` (default 0).
---@param v? number
---@return series
function series:nz(v) end

---Each NaN replaced by the last value before it that was not NaN.
---@return series
function series:fill() end

---A plain Lua table copy of the values.
---@return number[]
function series:totable() end

---------------------------------------------------------------------------
-- Inputs
--
-- Series in `calculate` scripts. In per-bar (`on_bar`) and QUIK scripts the
-- same globals are plain Lua arrays of numbers (cheaper to index bar by
-- bar): `close[i]` works the same, but reading outside 1..#close gives nil,
-- not NaN, and there is no series arithmetic.
---------------------------------------------------------------------------

---Opening prices of the chart's `input`.
---@type series
open = nil

---Highest prices of the chart's `input`.
---@type series
high = nil

---Lowest prices of the chart's `input`.
---@type series
low = nil

---Closing prices of the chart's `input` (or the input column itself).
---@type series
close = nil

---Volumes of the chart's `input` (all NaN when the input is one column).
---@type series
volume = nil

---Bar times as UTC seconds (floats).
---@type series
time = nil

---Named series from the chart's `inputs = { a = "...", ... }`, aligned by time.
---@type table<string, series>
inputs = nil

---------------------------------------------------------------------------
-- ta: native indicators over whole series (TA-Lib conventions: the first
-- value of an n-bar indicator is at index n, 1-based)
---------------------------------------------------------------------------

ta = {}

---Simple moving average.
---@param s series
---@param n integer
---@return series
function ta.sma(s, n) end

---Exponential moving average (k = 2 / (n + 1)), seeded with the SMA of the first n values.
---@param s series
---@param n integer
---@return series
function ta.ema(s, n) end

---Linearly weighted moving average.
---@param s series
---@param n integer
---@return series
function ta.wma(s, n) end

---Wilder's moving average (k = 1 / n), seeded with an SMA.
---@param s series
---@param n integer
---@return series
function ta.rma(s, n) end

---Relative strength index (Wilder), 0..100.
---@param s series
---@param n integer
---@return series
function ta.rsi(s, n) end

---Population standard deviation over n bars.
---@param s series
---@param n integer
---@return series
function ta.stdev(s, n) end

---Highest value over the last n bars (the current one included).
---@param s series
---@param n integer
---@return series
function ta.highest(s, n) end

---Lowest value over the last n bars (the current one included).
---@param s series
---@param n integer
---@return series
function ta.lowest(s, n) end

---True range; the first bar's is high - low.
---@param h series
---@param l series
---@param c series
---@return series
function ta.tr(h, l, c) end

---Average true range: Wilder's average of the true range, seeded like TA-Lib.
---@param h series
---@param l series
---@param c series
---@param n integer
---@return series
function ta.atr(h, l, c, n) end

---`s` minus its value n bars ago (default 1).
---@param s series
---@param n? integer
---@return series
function ta.change(s, n) end

---1 on the bar where `a` goes above `b`, else 0.
---@param a series
---@param b series|number
---@return series
function ta.crossover(a, b) end

---1 on the bar where `a` goes below `b`, else 0.
---@param a series
---@param b series|number
---@return series
function ta.crossunder(a, b) end

---Running sum.
---@param s series
---@return series
function ta.cum(s) end

---`a` where `cond` is non-zero and not NaN, else `b`.
---@param cond series
---@param a series|number
---@param b series|number
---@return series
function ta.select(cond, a, b) end

---Element-wise maximum.
---@param a series|number
---@param b series|number
---@return series
function ta.max(a, b) end

---Element-wise minimum.
---@param a series|number
---@param b series|number
---@return series
function ta.min(a, b) end

---Bars since `cond` was last non-zero.
---@param cond series
---@return series
function ta.barssince(cond) end

---The value of `s` on the last bar where `cond` was non-zero.
---@param cond series
---@param s series
---@return series
function ta.valuewhen(cond, s) end

---------------------------------------------------------------------------
-- Callbacks you define (one kind per script)
---------------------------------------------------------------------------

---Vectorized scripts: compute every output over all bars at once.
---Return a table from output name to a series (or a Lua array of numbers).
---@param p table<string, any> the parameters, defaults applied
---@return table<string, series|number[]>
function calculate(p) end

---Per-bar scripts, optional: set up `state` before the first bar.
---@param p table<string, any> the parameters, defaults applied
---@param state table plain data only; the host saves it between bars
function init(p, state) end

---Per-bar scripts: called for bars 1, 2, ... in order (and again for the
---last bar when it changes, from the state saved before it).
---Return one value per output, in declared order; nil means no value.
---@param i integer the 1-based bar index
---@param state table
---@param p table<string, any>
---@return number|nil ...
function on_bar(i, state, p) end

---------------------------------------------------------------------------
-- QUIK compatibility: scripts written for the QUIK terminal
---------------------------------------------------------------------------

---One line of a QUIK indicator.
---@class quik.Line
---@field Name string legend name (also the output name, non-identifier characters as `_`)
---@field Color? integer from RGB(r, g, b)
---@field Type? integer one of the TYPE_* constants (default TYPE_LINE)
---@field Width? integer line width in pixels

---QUIK's indicator description. Number, string and boolean fields other
---than `Name` and `line` are parameters a chart file may override.
---@class quik.Settings
---@field Name string
---@field line? quik.Line[] may also be filled in Init()
---@field [string] number|string|boolean

---@type quik.Settings
Settings = nil

---Called once before the first bar (after the chart's params are put in
---Settings); returns the number of lines.
---@return integer
function Init() end

---Called for every bar in order (1-based), and again for the last bar when
---it changes; a full recalculation starts again at 1. Return one value per
---line; nil means no value (and keeps what SetValue wrote at this bar).
---@param index integer
---@return number|nil ...
function OnCalculate(index) end

---Called when the parameters of a running indicator change (after they are
---put in Settings). Optional.
function OnChangeSettings() end

---Called when the indicator is removed. Optional.
function OnDestroy() end

---A bar's time, as QUIK gives it (UTC here).
---@class quik.Time
---@field year integer
---@field month integer
---@field day integer
---@field week_day integer 0 = Sunday
---@field hour integer
---@field min integer
---@field sec integer
---@field ms integer
---@field count integer ticks within the second in tick charts; 1

---Open of bar `i` (1-based).
---@param i integer
---@return number|nil # nil where the candle does not exist or `i` is out of range
function O(i) end

---High of bar `i`.
---@param i integer
---@return number|nil # nil where the candle does not exist or `i` is out of range
function H(i) end

---Low of bar `i`.
---@param i integer
---@return number|nil # nil where the candle does not exist or `i` is out of range
function L(i) end

---Close of bar `i`.
---@param i integer
---@return number|nil # nil where the candle does not exist or `i` is out of range
function C(i) end

---Volume of bar `i`.
---@param i integer
---@return number|nil # nil where the candle does not exist or `i` is out of range
function V(i) end

---Time of bar `i` (UTC), also of an empty candle; `os.time(T(i))` is its time in seconds.
---@param i integer
---@return quik.Time|nil # nil out of range
function T(i) end

---Number of bars (0 in Init).
---@return integer
function Size() end

---Whether bar `i` exists (has a close).
---@param i integer
---@return boolean
function CandleExist(i) end

---Sets the value of line `line` (1-based) at bar `i`, also for bars already
---drawn; nil clears it. False for `i` outside 1..Size(), an unknown line or
---a value that is not a number.
---@param i integer
---@param line integer
---@param v number|nil
---@return boolean
function SetValue(i, line, v) end

---The value of line `line` at bar `i` in this computation (nil where none).
---@param i integer
---@param line integer
---@return number|nil
function GetValue(i, line) end

---Sets line `line` to `v` on bars `first` to `last` (clipped to 1..Size()).
---@param line integer
---@param first integer
---@param last integer
---@param v number|nil
---@return boolean
function SetRangeValue(line, first, last, v) end

---A colour for `quik.Line.Color` (a COLORREF: r + g*256 + b*65536).
---@param r integer 0..255
---@param g integer 0..255
---@param b integer 0..255
---@return integer
function RGB(r, g, b) end

---@type integer
TYPE_LINE = nil
---@type integer bars from 0
TYPE_HISTOGRAM = nil
---@type integer
TYPE_POINT = nil
---@type integer a dashed line
TYPE_DASH = nil
---@type integer a dash-dotted line
TYPE_DASHDOT = nil
---@type integer a dotted line
TYPE_DOT = nil
---@type integer the same as TYPE_DASH
TYPE_DASHLINE = nil
---@type integer a level per candle, drawn as a line
TYPET_BAR = nil
---@type integer
TYPE_TRIANGLE_UP = nil
---@type integer
TYPE_TRIANGLE_DOWN = nil

---@type integer 0
INTERVAL_TICK = nil
---@type integer 1
INTERVAL_M1 = nil
---@type integer 2
INTERVAL_M2 = nil
---@type integer 3
INTERVAL_M3 = nil
---@type integer 4
INTERVAL_M4 = nil
---@type integer 5
INTERVAL_M5 = nil
---@type integer 6
INTERVAL_M6 = nil
---@type integer 10
INTERVAL_M10 = nil
---@type integer 15
INTERVAL_M15 = nil
---@type integer 20
INTERVAL_M20 = nil
---@type integer 30
INTERVAL_M30 = nil
---@type integer 60
INTERVAL_H1 = nil
---@type integer 120
INTERVAL_H2 = nil
---@type integer 240
INTERVAL_H4 = nil
---@type integer 1440
INTERVAL_D1 = nil
---@type integer 10080
INTERVAL_W1 = nil
---@type integer 23200
INTERVAL_MN1 = nil

---Whether the chart uses a dark theme (false unless the host says so).
---@return boolean
function isDarkTheme() end

---Writes `text` to the log (1 information, 2 warning, 3 error).
---@param text string
---@param level? integer
---@return integer
function message(text, level) end

---Writes `s` to the log.
---@param s string
function PrintDbgStr(s) end

---What the chart's input is. Codes are "" unless the host sets them;
---`interval` (minutes; 1440 daily, 10080 weekly, 23200 monthly, 0 ticks) is
---the host's or inferred from the bars.
---@return { class_code: string, sec_code: string, interval: integer }
function getDataSourceInfo() end

---The folder of this script.
---@return string
function getScriptPath() end

---The parent of this script's folder, as QUIK's folder holding
---`LuaIndicators`: `getWorkingFolder() .. "\\LuaIndicators\\lib.lua"` is
---`lib.lua` next to this script.
---@return string
function getWorkingFolder() end

---QUIK's answer to getParamEx.
---@class quik.Param
---@field param_type string "1" number, "2" integer
---@field param_value string
---@field param_image string
---@field result string "1"

---The chart instrument's "SEC_PRICE_STEP" or "SEC_SCALE" (host's values, or
---inferred from the prices); other parameters raise an Unsupported error.
---Known once there are candles.
---@param class_code string
---@param sec_code string
---@param param "SEC_PRICE_STEP"|"SEC_SCALE"
---@return quik.Param
function getParamEx(class_code, sec_code, param) end

---Like getParamEx.
---@param class_code string
---@param sec_code string
---@param param "SEC_PRICE_STEP"|"SEC_SCALE"
---@return quik.Param
function getParamEx2(class_code, sec_code, param) end

---The chart instrument's description (these fields only).
---@param class_code string
---@param sec_code string
---@return { class_code: string, code: string, name: string, short_name: string, scale: integer, min_price_step: number }
function getSecurityInfo(class_code, sec_code) end

---QLua's bit operations on integers.
bit = {}
---@param ... integer
---@return integer
function bit.band(...) end
---@param ... integer
---@return integer
function bit.bor(...) end
---@param ... integer
---@return integer
function bit.bxor(...) end
---@param x integer
---@return integer
function bit.bnot(x) end
---Whether bit `n` (from 0) of `x` is set.
---@param x integer
---@param n integer
---@return boolean
function bit.test(x, n) end
---`x` as `n` hex digits (default 8; negative: upper case).
---@param x integer
---@param n? integer
---@return string
function bit.tohex(x, n) end

---@class quik.Candle
---@field open number
---@field high number
---@field low number
---@field close number
---@field volume number
---@field datetime quik.Time
---@field doesExist integer

---Number of candles of chart element `tag` (a source id of the chart file).
---@param tag string
---@return integer
function getNumCandles(tag) end

---Number of lines of chart element `tag` (1 for a source).
---@param tag string
---@return integer
function getLinesCount(tag) end

---`count` candles of chart element `tag` from index `first` (0-based):
---the candles `t[0] .. t[n-1]`, their number `n` and a legend.
---@param tag string
---@param line integer
---@param first integer
---@param count integer
---@return table<integer, quik.Candle> t
---@return integer n
---@return string legend
function getCandlesByIndex(tag, line, first, count) end

-- QUIK terminal functions (getInfoParam, getClassInfo, getTradeDate,
-- CreateDataSource, AddLabel, getItem, sendTransaction, AllocTable, sleep,
-- ...) exist but raise an Unsupported error naming themselves: gpu-charts
-- has no server, other data sources, tables or labels.
