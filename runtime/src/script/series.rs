//! The `series` userdata: an immutable `f64` array in Rust (NaN = no value)
//! with element-wise arithmetic, so vectorized scripts never loop in Lua.
//!
//! Payload bytes count against the script's memory limit ([`Ctx::reserve`]).

use std::cell::{OnceCell, RefCell};
use std::rc::{Rc, Weak};

use mlua::{Lua, MetaMethod, Table, UserData, UserDataMethods, Value};

use super::ctx::{Ctx, raise};
use super::error::ScriptErrorKind;

/// A series payload; gives its bytes back to the meter when dropped.
///
/// Input columns are lent to Lua without a copy: a borrowed payload points
/// at the host's column for the duration of one host call. Before that call
/// returns, [`Lender::detach_all`] gives every borrowed payload that Lua
/// still holds its own copy, so a series kept in a global or an upvalue stays
/// valid after the host's column is gone.
pub(crate) struct Buf {
    /// Values owned by the series (always set once detached).
    owned: OnceCell<Vec<f64>>,
    /// The host column lent for the current call (pointer, length).
    lent: Option<(*const f64, usize)>,
    ctx: Rc<Ctx>,
}

impl Drop for Buf {
    fn drop(&mut self) {
        if let Some(v) = self.owned.get() {
            self.ctx.release(v.len() * 8);
        }
    }
}

/// A series value as Lua sees it (cheap to clone).
#[derive(Clone)]
pub(crate) struct Series(pub Rc<Buf>);

/// Lends host columns to Lua for one call and takes them back (see [`Buf`]).
#[derive(Default)]
pub(crate) struct Lender {
    lent: RefCell<Vec<Weak<Buf>>>,
}

impl Lender {
    /// A series viewing `values` without copying them.
    ///
    /// # Safety
    /// `values` must stay alive and unchanged until [`Lender::detach_all`]
    /// has run, and `detach_all` must run before the memory goes away.
    #[allow(unsafe_code)]
    pub unsafe fn lend(&self, ctx: &Rc<Ctx>, values: &[f64]) -> Series {
        let buf = Rc::new(Buf {
            owned: OnceCell::new(),
            lent: Some((values.as_ptr(), values.len())),
            ctx: ctx.clone(),
        });
        self.lent.borrow_mut().push(Rc::downgrade(&buf));
        Series(buf)
    }

    /// Gives each lent series still alive its own copy of the values. The
    /// bytes are accounted without failing: the limit is checked again at
    /// the next allocation.
    #[allow(unsafe_code)]
    pub fn detach_all(&self) {
        for w in self.lent.borrow_mut().drain(..) {
            if let Some(buf) = w.upgrade()
                && buf.owned.get().is_none()
                && let Some((ptr, len)) = buf.lent
            {
                // SAFETY: `lend`'s contract: the column is alive until now.
                let v = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
                buf.ctx
                    .series_bytes
                    .set(buf.ctx.series_bytes.get() + len * 8);
                let _ = buf.owned.set(v);
            }
        }
    }
}

impl Series {
    /// Reserves `len` values against the limit, then builds them with `fill`.
    pub fn make(
        lua: &Lua,
        ctx: &Rc<Ctx>,
        len: usize,
        fill: impl FnOnce() -> Vec<f64>,
    ) -> mlua::Result<Series> {
        ctx.reserve(lua, len.saturating_mul(8))?;
        let v = fill();
        // Keep the meter exact if `fill` disagreed with `len`.
        if v.len() != len {
            ctx.release(len * 8);
            ctx.series_bytes.set(ctx.series_bytes.get() + v.len() * 8);
        }
        Ok(Series(Rc::new(Buf {
            owned: OnceCell::from(v),
            lent: None,
            ctx: ctx.clone(),
        })))
    }

    /// Takes the values out when no one else holds this series and it owns
    /// them.
    pub fn into_vec(self) -> Result<Vec<f64>, Series> {
        match Rc::try_unwrap(self.0) {
            Ok(mut buf) if buf.owned.get().is_some() => {
                let v = buf.owned.take().unwrap_or_default();
                buf.ctx.release(v.len() * 8);
                Ok(v)
            }
            Ok(buf) => Err(Series(Rc::new(buf))),
            Err(rc) => Err(Series(rc)),
        }
    }

    #[allow(unsafe_code)]
    pub fn values(&self) -> &[f64] {
        match (self.0.owned.get(), self.0.lent) {
            (Some(v), _) => v,
            // SAFETY: a lent payload is read only while its host call runs
            // (`Lender::lend`); after it, `owned` is set.
            (None, Some((ptr, len))) => unsafe { std::slice::from_raw_parts(ptr, len) },
            (None, None) => &[],
        }
    }

    fn ctx(&self) -> &Rc<Ctx> {
        &self.0.ctx
    }

    fn map(&self, lua: &Lua, f: impl Fn(f64) -> f64) -> mlua::Result<Series> {
        let src = self.values();
        Series::make(lua, self.ctx(), src.len(), || {
            src.iter().map(|&x| f(x)).collect()
        })
    }
}

/// A series or a number, as an operand.
pub(crate) enum Operand {
    S(Series),
    N(f64),
}

impl Operand {
    fn at(&self, i: usize) -> f64 {
        match self {
            Operand::S(s) => s.values()[i],
            Operand::N(x) => *x,
        }
    }
}

/// Reads a series userdata, if `v` is one.
pub(crate) fn as_series(v: &Value) -> Option<Series> {
    match v {
        Value::UserData(ud) => ud.borrow::<Series>().ok().map(|s| s.clone()),
        _ => None,
    }
}

/// Reads a series or a number; errors naming `what` otherwise.
pub(crate) fn operand(lua: &Lua, v: &Value, what: &str) -> mlua::Result<Operand> {
    match v {
        Value::Integer(i) => Ok(Operand::N(*i as f64)),
        Value::Number(n) => Ok(Operand::N(*n)),
        other => as_series(other).map(Operand::S).ok_or_else(|| {
            raise(
                lua,
                ScriptErrorKind::Runtime,
                format!(
                    "{what}: expected a series or a number, got {}",
                    type_name(other)
                ),
                None,
            )
        }),
    }
}

/// `series` for series userdata, Lua's type name otherwise.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        // Lua calls both number subtypes "number".
        Value::Integer(_) => "number",
        v if as_series(v).is_some() => "series",
        v => v.type_name(),
    }
}

/// Applies `f` element-wise to two operands, at least one a series.
pub(crate) fn zip(
    lua: &Lua,
    a: &Operand,
    b: &Operand,
    what: &str,
    f: impl Fn(f64, f64) -> f64,
) -> mlua::Result<Series> {
    let (ctx, len) = match (a, b) {
        (Operand::S(x), Operand::S(y)) => {
            if x.values().len() != y.values().len() {
                return Err(raise(
                    lua,
                    ScriptErrorKind::Runtime,
                    format!(
                        "{what}: series lengths differ ({} and {})",
                        x.values().len(),
                        y.values().len()
                    ),
                    None,
                ));
            }
            (x.ctx().clone(), x.values().len())
        }
        (Operand::S(x), Operand::N(_)) | (Operand::N(_), Operand::S(x)) => {
            (x.ctx().clone(), x.values().len())
        }
        (Operand::N(_), Operand::N(_)) => {
            return Err(raise(
                lua,
                ScriptErrorKind::Runtime,
                format!("{what}: needs a series"),
                None,
            ));
        }
    };
    // Separate loops per shape keep the common cases branch-free.
    Series::make(lua, &ctx, len, || match (a, b) {
        (Operand::S(x), Operand::S(y)) => x
            .values()
            .iter()
            .zip(y.values())
            .map(|(&p, &q)| f(p, q))
            .collect(),
        (Operand::S(x), Operand::N(q)) => x.values().iter().map(|&p| f(p, *q)).collect(),
        (Operand::N(p), Operand::S(y)) => y.values().iter().map(|&q| f(*p, q)).collect(),
        _ => (0..len).map(|i| f(a.at(i), b.at(i))).collect(),
    })
}

/// Lua's float modulo: the result has the sign of the divisor.
fn lua_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && (m < 0.0) != (b < 0.0) {
        m + b
    } else {
        m
    }
}

/// 1/0 from a comparison, NaN if either side is NaN.
fn cmp(a: f64, b: f64, f: impl Fn(f64, f64) -> bool) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if f(a, b) {
        1.0
    } else {
        0.0
    }
}

fn arith(
    m: &mut impl UserDataMethods<Series>,
    mm: MetaMethod,
    sym: &'static str,
    f: fn(f64, f64) -> f64,
) {
    m.add_meta_function(mm, move |lua, (a, b): (Value, Value)| {
        let what = format!("series {sym}");
        let x = operand(lua, &a, &what)?;
        let y = operand(lua, &b, &what)?;
        zip(lua, &x, &y, &what, f)
    });
}

fn compare(m: &mut impl UserDataMethods<Series>, name: &'static str, f: fn(f64, f64) -> bool) {
    m.add_method(name, move |lua, s, x: Value| {
        let what = format!("series:{name}");
        let y = operand(lua, &x, &what)?;
        zip(lua, &Operand::S(s.clone()), &y, &what, |a, b| cmp(a, b, f))
    });
}

fn unary(m: &mut impl UserDataMethods<Series>, name: &'static str, f: fn(f64) -> f64) {
    m.add_method(name, move |lua, s, ()| s.map(lua, f));
}

/// 1-based index → 0-based, or None when out of range or not an integer.
fn index(v: &Value, len: usize) -> Option<usize> {
    let i = match v {
        Value::Integer(i) => *i,
        Value::Number(n) if n.fract() == 0.0 => *n as i64,
        _ => return None,
    };
    (i >= 1 && (i as u64) <= len as u64).then(|| i as usize - 1)
}

impl UserData for Series {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        arith(m, MetaMethod::Add, "+", |a, b| a + b);
        arith(m, MetaMethod::Sub, "-", |a, b| a - b);
        arith(m, MetaMethod::Mul, "*", |a, b| a * b);
        arith(m, MetaMethod::Div, "/", |a, b| a / b);
        arith(m, MetaMethod::Mod, "%", lua_mod);
        arith(m, MetaMethod::Pow, "^", f64::powf);
        m.add_meta_method(MetaMethod::Unm, |lua, s, ()| s.map(lua, |x| -x));
        m.add_meta_method(MetaMethod::Len, |_, s, ()| Ok(s.values().len()));
        m.add_meta_method(MetaMethod::Index, |_, s, k: Value| {
            Ok(match index(&k, s.values().len()) {
                Some(i) => Value::Number(s.values()[i]),
                None if matches!(k, Value::Integer(_) | Value::Number(_)) => {
                    Value::Number(f64::NAN)
                }
                None => Value::Nil,
            })
        });
        m.add_meta_method(
            MetaMethod::NewIndex,
            |lua, _, (_k, _v): (Value, Value)| -> mlua::Result<()> {
                Err(raise(
                    lua,
                    ScriptErrorKind::Runtime,
                    "series are read-only".into(),
                    Some("build a new series with arithmetic, series.from(t) or s:totable()"),
                ))
            },
        );
        m.add_meta_method(MetaMethod::ToString, |_, s, ()| {
            Ok(format!("series({})", s.values().len()))
        });
        m.add_method("get", |_, s, i: Value| {
            Ok(index(&i, s.values().len()).map_or(f64::NAN, |i| s.values()[i]))
        });
        compare(m, "gt", |a, b| a > b);
        compare(m, "lt", |a, b| a < b);
        compare(m, "ge", |a, b| a >= b);
        compare(m, "le", |a, b| a <= b);
        compare(m, "eq", |a, b| a == b);
        compare(m, "ne", |a, b| a != b);
        unary(m, "abs", f64::abs);
        unary(m, "sqrt", f64::sqrt);
        unary(m, "log", f64::ln);
        unary(m, "exp", f64::exp);
        m.add_method("max", |lua, s, x: Value| {
            let y = operand(lua, &x, "series:max")?;
            zip(lua, &Operand::S(s.clone()), &y, "series:max", |a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.max(b)
                }
            })
        });
        m.add_method("min", |lua, s, x: Value| {
            let y = operand(lua, &x, "series:min")?;
            zip(lua, &Operand::S(s.clone()), &y, "series:min", |a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.min(b)
                }
            })
        });
        m.add_method("nz", |lua, s, v: Option<f64>| {
            let v = v.unwrap_or(0.0);
            s.map(lua, move |x| if x.is_nan() { v } else { x })
        });
        m.add_method("shift", |lua, s, n: Value| {
            let n = match n {
                Value::Integer(i) => i,
                Value::Number(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => x as i64,
                Value::Nil => 1,
                v => {
                    return Err(raise(
                        lua,
                        ScriptErrorKind::Runtime,
                        format!(
                            "series:shift: bars must be an integer, got {}",
                            type_name(&v)
                        ),
                        None,
                    ));
                }
            };
            let src = s.values();
            let len = src.len();
            Series::make(lua, s.ctx(), len, || {
                (0..len as i64)
                    .map(|i| {
                        let j = i - n;
                        if j >= 0 && j < len as i64 {
                            src[j as usize]
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            })
        });
        m.add_method("fill", |lua, s, ()| {
            let src = s.values();
            Series::make(lua, s.ctx(), src.len(), || {
                let mut last = f64::NAN;
                src.iter()
                    .map(|&x| {
                        if !x.is_nan() {
                            last = x;
                        }
                        last
                    })
                    .collect()
            })
        });
        m.add_method("totable", |lua, s, ()| to_table(lua, s.values()));
    }
}

/// A Lua table copy of `values`.
pub(crate) fn to_table(lua: &Lua, values: &[f64]) -> mlua::Result<Table> {
    lua.create_sequence_from(values.iter().copied())
}

/// Registers the global `series` table (`series.new`, `series.from`).
pub(crate) fn register(lua: &Lua, ctx: &Rc<Ctx>) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let c = ctx.clone();
    t.set(
        "new",
        lua.create_function(move |lua, (n, v): (Value, Option<f64>)| {
            let n = match n {
                Value::Integer(i) if i >= 0 => i as usize,
                Value::Number(x) if x >= 0.0 && x.fract() == 0.0 && x < 9.0e15 => x as usize,
                v => {
                    return Err(raise(
                        lua,
                        ScriptErrorKind::Runtime,
                        format!(
                            "series.new: length must be a non-negative integer, got {}",
                            describe(&v)
                        ),
                        None,
                    ));
                }
            };
            let v = v.unwrap_or(f64::NAN);
            Series::make(lua, &c, n, || vec![v; n])
        })?,
    )?;
    let c = ctx.clone();
    t.set(
        "from",
        lua.create_function(move |lua, v: Value| {
            if let Some(s) = as_series(&v) {
                return Ok(s);
            }
            let Value::Table(t) = v else {
                return Err(raise(
                    lua,
                    ScriptErrorKind::Runtime,
                    format!(
                        "series.from: expected a table of numbers, got {}",
                        type_name(&v)
                    ),
                    None,
                ));
            };
            from_table(lua, &c, &t, "series.from")
        })?,
    )?;
    lua.globals().set("series", t)
}

/// Builds a series from a Lua list (`nil`/holes → NaN up to the raw length).
pub(crate) fn from_table(lua: &Lua, ctx: &Rc<Ctx>, t: &Table, what: &str) -> mlua::Result<Series> {
    let len = t.raw_len();
    let mut bad = None;
    let s = Series::make(lua, ctx, len, || {
        (1..=len)
            .map(|i| match t.raw_get::<Value>(i) {
                Ok(Value::Number(x)) => x,
                Ok(Value::Integer(x)) => x as f64,
                Ok(Value::Nil) => f64::NAN,
                Ok(other) => {
                    bad.get_or_insert((i, other.type_name()));
                    f64::NAN
                }
                Err(_) => f64::NAN,
            })
            .collect()
    })?;
    if let Some((i, ty)) = bad {
        return Err(raise(
            lua,
            ScriptErrorKind::Runtime,
            format!("{what}: element {i} is a {ty}, not a number"),
            None,
        ));
    }
    Ok(s)
}

/// A short description of a value for messages (`-3`, `2.5`, `a string`).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => n.to_string(),
        other => type_name(other).to_string(),
    }
}
