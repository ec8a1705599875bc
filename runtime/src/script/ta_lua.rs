//! The Lua `ta` table: thin bindings over the native functions of
//! [`super::ta`], with argument checks that name the function and argument.

use std::rc::Rc;

use mlua::{Lua, MultiValue, Table, Value};

use super::ctx::{Ctx, raise};
use super::error::ScriptErrorKind;
use super::series::{Series, as_series, describe, type_name};
use super::ta;

fn bad(lua: &Lua, msg: String, help: Option<&str>) -> mlua::Error {
    raise(lua, ScriptErrorKind::Runtime, msg, help)
}

/// Argument `pos` as a series.
fn series_arg(lua: &Lua, args: &[Value], pos: usize, name: &str) -> mlua::Result<Series> {
    let v = args.get(pos).unwrap_or(&Value::Nil);
    as_series(v).ok_or_else(|| {
        bad(
            lua,
            format!(
                "ta.{name}: argument {} must be a series, got {}",
                pos + 1,
                type_name(v)
            ),
            Some("use the globals open/high/low/close/volume, results of ta.* or series.from(t)"),
        )
    })
}

/// A series argument, or a number broadcast to the series length.
enum Arg {
    S(Series),
    V(Vec<f64>),
}

impl std::ops::Deref for Arg {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        match self {
            Arg::S(s) => s.values(),
            Arg::V(v) => v,
        }
    }
}

/// Argument `pos` as a series, or a number repeated `len` times.
fn series_or_number(
    lua: &Lua,
    args: &[Value],
    pos: usize,
    name: &str,
    len: usize,
) -> mlua::Result<Arg> {
    match args.get(pos).unwrap_or(&Value::Nil) {
        Value::Integer(i) => Ok(Arg::V(vec![*i as f64; len])),
        Value::Number(x) => Ok(Arg::V(vec![*x; len])),
        v => match as_series(v) {
            Some(s) => {
                check_len(lua, name, len, s.values().len())?;
                Ok(Arg::S(s))
            }
            None => Err(bad(
                lua,
                format!(
                    "ta.{name}: argument {} must be a series or a number, got {}",
                    pos + 1,
                    type_name(v)
                ),
                None,
            )),
        },
    }
}

fn check_len(lua: &Lua, name: &str, want: usize, got: usize) -> mlua::Result<()> {
    if want == got {
        Ok(())
    } else {
        Err(bad(
            lua,
            format!("ta.{name}: series lengths differ ({want} and {got})"),
            None,
        ))
    }
}

/// Argument `pos` as a period (positive integer); `default` when absent.
fn period_arg(
    lua: &Lua,
    args: &[Value],
    pos: usize,
    name: &str,
    len: usize,
    default: Option<i64>,
) -> mlua::Result<usize> {
    let v = args.get(pos).unwrap_or(&Value::Nil);
    let n = match v {
        Value::Integer(i) => *i,
        Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => *x as i64,
        Value::Nil if default.is_some() => default.unwrap_or(1),
        other => {
            return Err(bad(
                lua,
                format!(
                    "ta.{name}: period must be a positive integer, got {}",
                    describe(other)
                ),
                None,
            ));
        }
    };
    ta::check_period(name, n, len).map_err(|m| bad(lua, m, None))
}

type F1 = fn(&[f64], usize) -> Vec<f64>;
type F2 = fn(&[f64], &[f64]) -> Vec<f64>;

/// Registers the global `ta` table.
pub(crate) fn register(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let periodic: [(&'static str, F1); 8] = [
        ("sma", ta::sma),
        ("ema", ta::ema),
        ("wma", ta::wma),
        ("rma", ta::rma),
        ("rsi", ta::rsi),
        ("stdev", ta::stdev),
        ("highest", ta::highest),
        ("lowest", ta::lowest),
    ];
    for (name, f) in periodic {
        add(lua, &t, ctx, name, move |lua, c, a| {
            let s = series_arg(lua, a, 0, name)?;
            let n = period_arg(lua, a, 1, name, s.values().len(), None)?;
            Series::make(lua, c, s.values().len(), || f(s.values(), n))
        })?;
    }
    add(lua, &t, ctx, "change", |lua, c, a| {
        let s = series_arg(lua, a, 0, "change")?;
        let n = period_arg(lua, a, 1, "change", s.values().len(), Some(1))?;
        Series::make(lua, c, s.values().len(), || ta::change(s.values(), n))
    })?;
    add(lua, &t, ctx, "cum", |lua, c, a| {
        let s = series_arg(lua, a, 0, "cum")?;
        Series::make(lua, c, s.values().len(), || ta::cum(s.values()))
    })?;
    add(lua, &t, ctx, "tr", |lua, c, a| {
        let (h, l, cl) = hlc(lua, a, "tr")?;
        Series::make(lua, c, h.values().len(), || {
            ta::tr(h.values(), l.values(), cl.values())
        })
    })?;
    add(lua, &t, ctx, "atr", |lua, c, a| {
        let (h, l, cl) = hlc(lua, a, "atr")?;
        let n = period_arg(lua, a, 3, "atr", h.values().len(), None)?;
        Series::make(lua, c, h.values().len(), || {
            ta::atr(h.values(), l.values(), cl.values(), n)
        })
    })?;
    let pairs: [(&'static str, F2); 4] = [
        ("crossover", ta::crossover),
        ("crossunder", ta::crossunder),
        ("max", ta::max2),
        ("min", ta::min2),
    ];
    for (name, f) in pairs {
        add(lua, &t, ctx, name, move |lua, c, a| {
            let s = series_arg(lua, a, 0, name)?;
            let len = s.values().len();
            let b = series_or_number(lua, a, 1, name, len)?;
            Series::make(lua, c, len, || f(s.values(), &b))
        })?;
    }
    add(lua, &t, ctx, "select", |lua, c, a| {
        let cond = series_arg(lua, a, 0, "select")?;
        let len = cond.values().len();
        let x = series_or_number(lua, a, 1, "select", len)?;
        let y = series_or_number(lua, a, 2, "select", len)?;
        Series::make(lua, c, len, || ta::select(cond.values(), &x, &y))
    })?;
    add(lua, &t, ctx, "barssince", |lua, c, a| {
        let cond = series_arg(lua, a, 0, "barssince")?;
        Series::make(lua, c, cond.values().len(), || ta::barssince(cond.values()))
    })?;
    add(lua, &t, ctx, "valuewhen", |lua, c, a| {
        let cond = series_arg(lua, a, 0, "valuewhen")?;
        let s = series_arg(lua, a, 1, "valuewhen")?;
        check_len(lua, "valuewhen", cond.values().len(), s.values().len())?;
        Series::make(lua, c, s.values().len(), || {
            ta::valuewhen(cond.values(), s.values())
        })
    })?;
    lua.globals().set("ta", t)
}

fn hlc(lua: &Lua, a: &[Value], name: &str) -> mlua::Result<(Series, Series, Series)> {
    let h = series_arg(lua, a, 0, name)?;
    let l = series_arg(lua, a, 1, name)?;
    let c = series_arg(lua, a, 2, name)?;
    check_len(lua, name, h.values().len(), l.values().len())?;
    check_len(lua, name, h.values().len(), c.values().len())?;
    Ok((h, l, c))
}

fn add(
    lua: &Lua,
    t: &Table,
    ctx: &Rc<Ctx>,
    name: &str,
    f: impl Fn(&Lua, &Rc<Ctx>, &[Value]) -> mlua::Result<Series> + 'static,
) -> mlua::Result<()> {
    let c = ctx.clone();
    let func = lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        f(lua, &c, &args)
    })?;
    t.set(name, func)
}
