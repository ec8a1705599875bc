//! A running script: one isolated Lua state computing outputs with the
//! plugin-indicator contract (rows `from..` of each output).

use mlua::{Function, MultiValue, Table, Value};
use serde_json::Value as Json;

use super::columns::{TableCols, with_series};
use super::decl::{self, ScriptInfo, ScriptKind};
use super::error::{ScriptError, ScriptErrorKind};
use super::perbar::{deep_copy, perbar_driver, quik_driver};
use super::quik;
use super::series::{as_series, from_table, type_name};
use super::setup::build_params;
use super::{ScriptInputs, ScriptLimits, State};

/// What each kind keeps between calls.
enum Mode {
    Vectorized {
        calculate: Function,
    },
    PerBar {
        run: Function,
        cur: Function,
        init: Option<Function>,
        /// `state` after the last computed bar.
        live: Option<Table>,
        /// `state` before the last computed bar (to recompute it).
        before_last: Option<Table>,
    },
    Quik {
        run: Function,
        cur: Function,
    },
}

/// One isolated Lua state computing a script's outputs.
///
/// After an error the instance stays usable (its next call starts over
/// from the first bar); the host may as well drop it and make a new one.
pub struct ScriptInstance {
    mode: Mode,
    params: Table,
    cols: TableCols,
    /// Per-bar and QUIK results, one Lua table per output.
    outs: Vec<Table>,
    prev_len: Option<usize>,
    /// Rows the QUIK line tables may hold: the length of the last compute.
    quik_rows: usize,
    failed: bool,
    /// What [`ScriptInstance::drain_log`] puts in front of each line.
    log_tag: String,
    /// The script and params this instance was made from, to replay a
    /// computation that ran out of memory before the hook saw its line.
    replay: Option<Box<(super::Script, Json)>>,
    info: ScriptInfo,
    limits: ScriptLimits,
    // Declared last: the Lua state outlives the handles above.
    state: State,
}

impl ScriptInstance {
    pub(crate) fn new(
        state: State,
        info: ScriptInfo,
        limits: ScriptLimits,
        params: &Json,
    ) -> Result<ScriptInstance, ScriptError> {
        let p = build_params(&state, &info.params, params, &info.path)?;
        let names: Vec<String> = info.outputs.iter().map(|o| o.name.clone()).collect();
        let k = names.len();
        let lua_err = |e: mlua::Error| state.error(&e, None);
        let missing = |name: &str| {
            ScriptError::new(
                ScriptErrorKind::Declaration,
                &info.path,
                format!("`{name}` is not defined when the script runs again"),
            )
        };
        let mut outs = Vec::new();
        let mode = match info.kind {
            ScriptKind::Vectorized => Mode::Vectorized {
                calculate: state
                    .function("calculate")
                    .ok_or_else(|| missing("calculate"))?,
            },
            ScriptKind::PerBar => {
                let on_bar = state.function("on_bar").ok_or_else(|| missing("on_bar"))?;
                let (run, cur) = perbar_driver(&state.lua, on_bar, &names).map_err(lua_err)?;
                Mode::PerBar {
                    run,
                    cur,
                    init: state.function("init"),
                    live: None,
                    before_last: None,
                }
            }
            ScriptKind::Quik => {
                let g = state.lua.globals();
                let settings: Table = g.raw_get("Settings").map_err(lua_err)?;
                for pair in p.pairs::<Value, Value>() {
                    let (key, v) = pair.map_err(lua_err)?;
                    settings.raw_set(key, v).map_err(lua_err)?;
                }
                let on_calc = state
                    .function("OnCalculate")
                    .ok_or_else(|| missing("OnCalculate"))?;
                let (run, cur) = quik_driver(&state.lua, on_calc, k).map_err(lua_err)?;
                let host_outs = state.lua.create_table().map_err(lua_err)?;
                for _ in 0..k {
                    let t = state.lua.create_table().map_err(lua_err)?;
                    host_outs.raw_push(&t).map_err(lua_err)?;
                    outs.push(t);
                }
                state.host.raw_set("outs", host_outs).map_err(lua_err)?;
                if let Some(init) = state.function("Init") {
                    state.ctx.arm(&state.lua, limits.instructions_base);
                    init.call::<Value>(()).map_err(lua_err)?;
                }
                Mode::Quik { run, cur }
            }
        };
        // The run that began with the top-level chunk (`Script::instance`).
        state.ctx.end_run();
        if outs.is_empty() {
            for _ in 0..k {
                outs.push(state.lua.create_table().map_err(lua_err)?);
            }
        }
        Ok(ScriptInstance {
            mode,
            params: p,
            cols: TableCols::default(),
            outs,
            prev_len: None,
            quik_rows: 0,
            failed: false,
            log_tag: super::quik::stem(&info.path),
            replay: None,
            info,
            limits,
            state,
        })
    }

    /// What the script declares.
    pub fn info(&self) -> &ScriptInfo {
        &self.info
    }

    /// Bytes used by this state: the Lua heap plus series payloads.
    pub fn memory_used(&self) -> usize {
        self.state.ctx.memory_used(&self.state.lua)
    }

    /// Takes the lines the script printed (`print`, QUIK `message`,
    /// `PrintDbgStr`) since the last call, as printed (see
    /// [`ScriptInstance::drain_log`] for lines to show).
    ///
    /// Each run (creating the instance, which runs the top-level chunk and
    /// QUIK's `Init`; each [`ScriptInstance::compute`];
    /// [`ScriptInstance::change_params`]) keeps at most
    /// [`LOG_LINES_PER_RUN`](super::LOG_LINES_PER_RUN) lines of
    /// [`LOG_LINE_CHARS`](super::LOG_LINE_CHARS) characters, then one
    /// `… N more lines suppressed`; a text with newlines is several lines,
    /// and control characters other than tabs show as `?`.
    pub fn take_log(&mut self) -> Vec<String> {
        self.state.ctx.log.borrow_mut().drain(..).collect()
    }

    /// Takes the log lines since the last call, each as `[tag] text`, for
    /// the host to show (stderr, the window); the tag is the script's file
    /// stem unless the host sets one ([`ScriptInstance::set_log_tag`]).
    pub fn drain_log(&mut self) -> Vec<String> {
        let tag = &self.log_tag;
        self.state
            .ctx
            .log
            .borrow_mut()
            .drain(..)
            .map(|l| format!("[{tag}] {l}"))
            .collect()
    }

    pub(crate) fn set_replay(&mut self, script: super::Script, params: Json) {
        self.replay = Some(Box::new((script, params)));
    }

    /// Sets the tag [`ScriptInstance::drain_log`] puts in front of each line
    /// (the chart's indicator id).
    pub fn set_log_tag(&mut self, tag: &str) {
        self.log_tag = tag.to_string();
    }

    /// Sets what QUIK's `getDataSourceInfo()` returns (interval in minutes).
    pub fn set_data_source(
        &mut self,
        class_code: &str,
        sec_code: &str,
        interval: i64,
    ) -> Result<(), ScriptError> {
        quik::set_source(&self.state.host, class_code, sec_code, interval)
            .map_err(|e| self.state.error(&e, None))
    }

    /// Sets the other chart elements (sources, indicators) a QUIK script can
    /// read by tag with `getNumCandles` and `getCandlesByIndex`.
    pub fn set_chart_elements(&mut self, elements: Vec<super::ChartElement>) {
        *self.state.ctx.elements.borrow_mut() = elements;
    }

    /// Sets the class and security codes `getDataSourceInfo()` returns,
    /// leaving its interval inferred from the bars (the host calls this
    /// with the chart source's `symbol` and `class_code` params).
    pub fn set_security(&mut self, class_code: &str, sec_code: &str) -> Result<(), ScriptError> {
        quik::set_security(&self.state.host, class_code, sec_code)
            .map_err(|e| self.state.error(&e, None))
    }

    /// Sets the instrument's price step and number of decimals, which
    /// QUIK's `getParamEx(.., "SEC_PRICE_STEP" / "SEC_SCALE")` and
    /// `getSecurityInfo` give (inferred from the prices until set).
    pub fn set_instrument(&mut self, price_step: f64, scale: u32) -> Result<(), ScriptError> {
        quik::set_instrument(&self.state.host, price_step, scale)
            .map_err(|e| self.state.error(&e, None))
    }

    /// Sets what QUIK's `isDarkTheme()` returns (false until set).
    pub fn set_dark_theme(&mut self, dark: bool) -> Result<(), ScriptError> {
        quik::set_dark(&self.state.host, dark).map_err(|e| self.state.error(&e, None))
    }

    /// Replaces the parameters (validated and defaulted as by
    /// [`super::Script::instance`]), as a user editing an indicator's
    /// settings does: a QUIK script gets them in `Settings`, then its
    /// `OnChangeSettings()` runs, if it defines one. The next
    /// [`ScriptInstance::compute`] starts again from the first bar, whatever
    /// its `from`.
    pub fn change_params(&mut self, params: &Json) -> Result<(), ScriptError> {
        self.state.ctx.begin_run();
        let r = self.change_params_run(params);
        self.state.ctx.end_run();
        r
    }

    fn change_params_run(&mut self, params: &Json) -> Result<(), ScriptError> {
        let p = build_params(&self.state, &self.info.params, params, &self.info.path)?;
        let lua_err = |e: mlua::Error| self.state.error(&e, None);
        if let Mode::Quik { .. } = self.mode {
            let settings: Table = self
                .state
                .lua
                .globals()
                .raw_get("Settings")
                .map_err(lua_err)?;
            for pair in p.pairs::<Value, Value>() {
                let (key, v) = pair.map_err(lua_err)?;
                settings.raw_set(key, v).map_err(lua_err)?;
            }
            if let Some(f) = self.state.function("OnChangeSettings") {
                self.state
                    .ctx
                    .arm(&self.state.lua, self.limits.instructions_base);
                f.call::<()>(()).map_err(lua_err)?;
            }
        }
        self.params = p;
        self.prev_len = None;
        Ok(())
    }

    /// Computes rows `from..` of every output, as a plugin indicator does:
    /// `outputs[k]` has one value per input row; rows `..from` hold what the
    /// previous call wrote for the same input prefix; the host pre-fills the
    /// rest with NaN. A vectorized script rewrites every row (it may repaint
    /// past bars), and may replace
    /// `outputs[k]` by a vector of the same length (its result, not copied).
    pub fn compute(
        &mut self,
        inputs: &ScriptInputs<'_>,
        outputs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), ScriptError> {
        self.check_shapes(inputs, outputs, from)?;
        self.state.ctx.begin_run();
        let r = match self.mode {
            Mode::Vectorized { .. } => self.compute_vectorized(inputs, outputs),
            Mode::PerBar { .. } => self.compute_perbar(inputs, outputs, from),
            Mode::Quik { .. } => self.compute_quik(inputs, outputs, from),
        };
        self.state.ctx.end_run();
        self.failed = r.is_err();
        self.prev_len = Some(inputs.len());
        r.map_err(|e| self.locate_memory_error(e, inputs))
    }

    /// A memory-limit error that came before the hook saw any line of the
    /// call (a string doubling in a few instructions) is found by computing
    /// every row again in a fresh instance whose hook runs at every
    /// instruction; any other error, or one the replay does not reproduce,
    /// is returned as it is.
    fn locate_memory_error(&self, e: ScriptError, inputs: &ScriptInputs<'_>) -> ScriptError {
        let Some(replay) = &self.replay else {
            return e;
        };
        if e.kind != ScriptErrorKind::MemoryLimit || e.line.is_some() {
            return e;
        }
        let (script, params) = &**replay;
        let again = script.instance_with(params, true).and_then(|mut inst| {
            inst.set_chart_elements(self.state.ctx.elements.borrow().clone());
            let n = inputs.len();
            let mut outs = vec![vec![f64::NAN; n]; self.info.outputs.len()];
            inst.compute(inputs, &mut outs, 0)
        });
        match again {
            Err(found) if found.kind == ScriptErrorKind::MemoryLimit && found.line.is_some() => {
                found
            }
            _ => e,
        }
    }

    fn host_err(&self, msg: String) -> ScriptError {
        ScriptError::new(ScriptErrorKind::Output, &self.info.path, msg)
            .with_help("this is a host bug: the inputs and outputs passed to compute do not match")
    }

    fn check_shapes(
        &self,
        inputs: &ScriptInputs<'_>,
        outputs: &[Vec<f64>],
        from: usize,
    ) -> Result<(), ScriptError> {
        let n = inputs.len();
        let lens = [
            inputs.time_ns.len(),
            inputs.open.len(),
            inputs.high.len(),
            inputs.low.len(),
            inputs.volume.len(),
        ];
        if lens.iter().any(|&l| l != n) || inputs.named.iter().any(|(_, v)| v.len() != n) {
            return Err(self.host_err(format!("input columns differ in length (close has {n})")));
        }
        if outputs.len() != self.info.outputs.len() || outputs.iter().any(|o| o.len() != n) {
            return Err(self.host_err(format!(
                "expected {} output arrays of {n} rows",
                self.info.outputs.len()
            )));
        }
        if from > n {
            return Err(self.host_err(format!("from {from} > len {n}")));
        }
        for name in &self.info.input_names {
            if !inputs.named.iter().any(|(k, _)| k == name) {
                return Err(ScriptError::new(ScriptErrorKind::Params, &self.info.path, format!("the script needs input `{name}`, which the chart does not give"))
                    .with_help(format!("add `inputs = {{ {name} = \"<source>.close\" }}` to the indicator in the chart file")));
            }
        }
        Ok(())
    }

    fn compute_vectorized(
        &mut self,
        inputs: &ScriptInputs<'_>,
        outputs: &mut [Vec<f64>],
    ) -> Result<(), ScriptError> {
        let Mode::Vectorized { calculate } = &self.mode else {
            return Ok(());
        };
        let st = &self.state;
        let n = inputs.len();
        st.ctx.arm(
            &st.lua,
            self.limits
                .instructions_per_bar
                .saturating_mul(n.max(1) as u64),
        );
        let r = with_series(&st.lua, &st.ctx, &st.host, inputs, || {
            calculate.call::<Value>(&self.params)
        });
        let v = r.map_err(|e| st.error(&e, None))?;
        let line = calculate.info().line_defined;
        let oerr = |m: String, help: &str| {
            ScriptError::new(ScriptErrorKind::Output, &self.info.path, m)
                .at_line(line)
                .with_help(help)
        };
        let names: Vec<&str> = self.info.outputs.iter().map(|o| o.name.as_str()).collect();
        let Value::Table(t) = v else {
            return Err(oerr(
                format!(
                    "calculate returned {}, not a table of outputs",
                    type_name(&v)
                ),
                &format!("return {{ {} = <series> }}", names.join(" = ..., ")),
            ));
        };
        for pair in t.pairs::<Value, Value>() {
            let (k, _) = pair.map_err(|e| st.error(&e, None))?;
            let key = match &k {
                Value::String(s) => s.to_string_lossy(),
                other => {
                    return Err(oerr(
                        format!(
                            "calculate returned a table with a {} key",
                            other.type_name()
                        ),
                        "return a table keyed by output names",
                    ));
                }
            };
            if !names.contains(&key.as_str()) {
                return Err(oerr(
                    format!("calculate returned `{key}`, which is not a declared output"),
                    &decl::hint(&key, &names),
                ));
            }
        }
        let mut results = Vec::with_capacity(names.len());
        for name in &names {
            let val = t.raw_get::<Value>(*name).map_err(|e| st.error(&e, None))?;
            let r = match &val {
                Value::Nil => {
                    return Err(oerr(
                        format!("calculate returned no value for output `{name}`"),
                        "return a series, a table of numbers or a number for every declared output",
                    ));
                }
                Value::Integer(i) => Err(*i as f64),
                Value::Number(x) => Err(*x),
                v => {
                    let s = match (as_series(v), v) {
                        (Some(s), _) => s,
                        (None, Value::Table(tt)) => {
                            from_table(&st.lua, &st.ctx, tt, &format!("output `{name}`"))
                                .map_err(|e| st.error(&e, None))?
                        }
                        _ => {
                            return Err(oerr(
                                format!("output `{name}` is a {}, not a series", type_name(v)),
                                "return a series, a table of numbers or a number",
                            ));
                        }
                    };
                    if s.values().len() != n {
                        return Err(oerr(
                            format!(
                                "output `{name}` has {} values but the input has {n} bars",
                                s.values().len()
                            ),
                            "outputs must be as long as the input; use series arithmetic or ta.* on the input series",
                        ));
                    }
                    Ok(s)
                }
            };
            results.push(r);
        }
        // Collect now: series garbage is invisible to Lua's pacing, and a
        // result no longer referenced from Lua can be moved, not copied.
        drop(t);
        let _ = st.lua.gc_collect();
        // `calculate` sees the whole history and may repaint past bars (a
        // ZigZag's last leg, Ichimoku's lagging span), so every row is
        // written, whatever `from` is: the host then sees exactly what a full
        // recompute gives.
        for (out, r) in outputs.iter_mut().zip(results) {
            match r {
                Err(x) => out.fill(x),
                Ok(s) => match s.into_vec() {
                    Ok(v) => *out = v,
                    Err(s) => out.copy_from_slice(s.values()),
                },
            }
        }
        Ok(())
    }

    fn compute_perbar(
        &mut self,
        inputs: &ScriptInputs<'_>,
        outputs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), ScriptError> {
        let n = inputs.len();
        let prev = if self.failed { None } else { self.prev_len };
        let restart = match prev {
            None => true,
            Some(p) => from == 0 || from > p || from + 1 < p,
        };
        let start = if restart { 0 } else { from };
        let sync_from = if self.failed { 0 } else { from };
        let Mode::PerBar {
            run,
            init,
            live,
            before_last,
            ..
        } = &mut self.mode
        else {
            return Ok(());
        };
        let st = &self.state;
        let (params, outs, limits) = (&self.params, &self.outs, &self.limits);
        let result = self
            .cols
            .with_tables(&st.lua, &st.ctx, &st.host, inputs, sync_from, || {
                let state = if restart {
                    let s = st.lua.create_table()?;
                    if let Some(init) = init {
                        st.ctx.arm(&st.lua, limits.instructions_base);
                        init.call::<()>((params, &s))?;
                    }
                    s
                } else if prev == Some(from + 1) {
                    match before_last {
                        Some(ck) => deep_copy(&st.lua, ck)?,
                        None => st.lua.create_table()?,
                    }
                } else {
                    match live {
                        Some(s) => s.clone(),
                        None => st.lua.create_table()?,
                    }
                };
                st.ctx.arm(
                    &st.lua,
                    limits
                        .instructions_per_bar
                        .saturating_mul((n - start).max(1) as u64),
                );
                if start < n {
                    if start + 1 < n {
                        run.call::<()>(bar_args(start + 1, n - 1, &state, params, outs))?;
                    }
                    *before_last = Some(deep_copy(&st.lua, &state)?);
                    run.call::<()>(bar_args(n, n, &state, params, outs))?;
                }
                *live = Some(state);
                Ok(())
            });
        if let Err(e) = result {
            return Err(self.bar_error(&e));
        }
        // A restart recomputed every row (params may have changed).
        self.read_outputs(outputs, start, n, "on_bar")
    }

    fn compute_quik(
        &mut self,
        inputs: &ScriptInputs<'_>,
        outputs: &mut [Vec<f64>],
        from: usize,
    ) -> Result<(), ScriptError> {
        let n = inputs.len();
        let from = if self.failed || self.prev_len.is_none() {
            0
        } else {
            from
        };
        let stale = self.quik_rows;
        self.quik_rows = n;
        let Mode::Quik { run, .. } = &self.mode else {
            return Ok(());
        };
        let st = &self.state;
        let outs = &self.outs;
        let per_bar = self.limits.instructions_per_bar;
        let result = self
            .cols
            .with_tables(&st.lua, &st.ctx, &st.host, inputs, from, || {
                st.host.raw_set("len", n)?;
                st.host.raw_set("low", f64::INFINITY)?;
                st.ctx
                    .arm(&st.lua, per_bar.saturating_mul((n - from).max(1) as u64));
                let mut args: Vec<Value> = vec![
                    Value::Integer(from as i64 + 1),
                    Value::Integer(n as i64),
                    Value::Integer(stale as i64),
                ];
                args.extend(outs.iter().map(|t| Value::Table(t.clone())));
                run.call::<()>(MultiValue::from_vec(args))
            });
        if let Err(e) = result {
            return Err(self.bar_error(&e));
        }
        let low = self
            .state
            .host
            .raw_get::<f64>("low")
            .unwrap_or(f64::INFINITY);
        let lo = if low.is_finite() && low >= 1.0 {
            (low as usize - 1).min(from)
        } else {
            from
        };
        self.read_outputs(outputs, lo, n, "OnCalculate")
    }

    /// Converts an error of the bar loop, with the bar it happened at.
    fn bar_error(&self, e: &mlua::Error) -> ScriptError {
        let mut err = self.state.error(e, None);
        let cur = match &self.mode {
            Mode::PerBar { cur, .. } | Mode::Quik { cur, .. } => cur,
            Mode::Vectorized { .. } => return err,
        };
        // A little budget for the getter itself; the sticky error is already taken.
        self.state.ctx.arm(&self.state.lua, 1_000_000);
        err.bar = match cur.call::<i64>(()) {
            Ok(i) if i > 0 => Some(i as usize),
            _ => None,
        };
        err
    }

    /// Copies rows `lo..n` of the Lua result tables into the host's arrays.
    fn read_outputs(
        &self,
        outputs: &mut [Vec<f64>],
        lo: usize,
        n: usize,
        who: &str,
    ) -> Result<(), ScriptError> {
        for (k, t) in self.outs.iter().enumerate() {
            for (row, slot) in outputs[k].iter_mut().enumerate().take(n).skip(lo) {
                *slot = match t
                    .raw_get::<Value>(row + 1)
                    .map_err(|e| self.state.error(&e, Some(row + 1)))?
                {
                    Value::Number(x) => x,
                    Value::Integer(i) => i as f64,
                    Value::Nil | Value::Boolean(false) => f64::NAN,
                    v => {
                        let mut e = ScriptError::new(
                            ScriptErrorKind::Output,
                            &self.info.path,
                            format!(
                                "{who} returned a {} for output `{}` at bar {}",
                                type_name(&v),
                                self.info.outputs[k].name,
                                row + 1
                            ),
                        )
                        .with_help("return numbers (or nil for no value), one per declared output");
                        e.bar = Some(row + 1);
                        return Err(e);
                    }
                };
            }
        }
        Ok(())
    }
}

fn bar_args(
    first: usize,
    last: usize,
    state: &Table,
    params: &Table,
    outs: &[Table],
) -> MultiValue {
    let mut v = vec![
        Value::Integer(first as i64),
        Value::Integer(last as i64),
        Value::Table(state.clone()),
        Value::Table(params.clone()),
    ];
    v.extend(outs.iter().map(|t| Value::Table(t.clone())));
    MultiValue::from_vec(v)
}

impl Drop for ScriptInstance {
    fn drop(&mut self) {
        // QUIK calls OnDestroy when an indicator is removed; errors are moot now.
        if let Mode::Quik { .. } = self.mode
            && let Some(f) = self.state.function("OnDestroy")
        {
            self.state
                .ctx
                .arm(&self.state.lua, self.limits.instructions_base);
            let _ = f.call::<()>(());
        }
    }
}
