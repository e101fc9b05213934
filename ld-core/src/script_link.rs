//! What a link does with the linker-script commands that are not lists of
//! inputs: symbol assignments (`foo = expr;`, `PROVIDE`, `PROVIDE_HIDDEN`,
//! `HIDDEN`), `ENTRY`, `EXTERN` and `ASSERT`, from `-T` scripts and from
//! scripts given as inputs.
//!
//! Expansion (`link::Expander`) parses a script, follows its `INPUT`s and
//! `GROUP`s, and hands the rest on as a `LoadItem::Script` at the script's
//! place among the inputs, so that a serial link and a background link
//! (whose wait runs the same `link::link_items`) see the same commands.
//! `link` takes those items out before resolution ([`Scripts::take`]),
//! adds their roots, defines the assigned symbols after resolution
//! ([`Scripts::define`]) and layout values them ([`Scripts::values`]) once
//! every section has its address, in script order, so that a later
//! assignment sees an earlier one.
//!
//! Not supported yet: `SECTIONS`, `MEMORY` and `PHDRS` (parsed; a link
//! given one fails with an error naming the file and line).

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::resolve::{Defsym, LoadItem, Resolved, SymDef, SymbolId};
use crate::script::{Assignment, BinOp, Expr, Provide, ScriptCommand, SecFn};
use object::elf;

/// The commands of one script that a link acts on after ingestion.
#[derive(Clone, Debug)]
pub struct ScriptItem {
    /// The script's path, for messages (`FILE:LINE: ...`).
    pub file: String,
    pub commands: Vec<ScriptCommand>,
}

/// One assignment that defines a symbol, in script order.
#[derive(Clone, Debug)]
pub struct Defined {
    pub file: String,
    pub assign: Assignment,
    pub id: SymbolId,
}

/// Every script of the link, in command-line order.
#[derive(Clone, Debug, Default)]
pub struct Scripts {
    pub items: Vec<ScriptItem>,
    /// Filled by `define`: the assignments that define a symbol.
    pub defined: Vec<Defined>,
}

fn symbols_in(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Symbol(s) => out.push(s.clone()),
        Expr::Num(_)
        | Expr::Dot
        | Expr::Section(..)
        | Expr::Defined(_)
        | Expr::SizeofHeaders
        | Expr::PageSize(_)
        | Expr::Region(..) => {}
        Expr::Neg(a)
        | Expr::Not(a)
        | Expr::Invert(a)
        | Expr::Absolute(a)
        | Expr::Passthrough(a) => symbols_in(a, out),
        Expr::Align(a, b) => {
            if let Some(a) = a {
                symbols_in(a, out);
            }
            symbols_in(b, out);
        }
        Expr::Binary(_, a, b)
        | Expr::Max(a, b)
        | Expr::Min(a, b)
        | Expr::DataSegmentAlign(a, b) => {
            symbols_in(a, out);
            symbols_in(b, out);
        }
        Expr::Cond(c, a, b) => {
            symbols_in(c, out);
            symbols_in(a, out);
            symbols_in(b, out);
        }
    }
}

/// Is `e`'s value an address in an output section (GNU ld's rule outside
/// `SECTIONS`: only `ADDR()`/`LOADADDR()` keep a section; symbols are
/// taken as numbers, so `foo = bar + 16;` is absolute)?
fn is_section_relative(e: &Expr) -> bool {
    let rel = is_section_relative;
    match e {
        Expr::Section(SecFn::Addr | SecFn::Loadaddr, _) => true,
        Expr::Binary(BinOp::Add, a, b) => rel(a) != rel(b),
        Expr::Binary(BinOp::Sub, a, b) => rel(a) && !rel(b),
        Expr::Align(Some(a), _) | Expr::Passthrough(a) => rel(a),
        Expr::Cond(_, a, b) | Expr::Max(a, b) | Expr::Min(a, b) => rel(a) && rel(b),
        _ => false,
    }
}

impl Scripts {
    /// Takes the script items out of `items` (which keeps the inputs, in
    /// order) and refuses what cld does not do yet.
    pub fn take(items: &mut Vec<LoadItem>) -> Result<Scripts> {
        let mut out = Scripts::default();
        if !items.iter().any(|i| matches!(i, LoadItem::Script(_))) {
            return Ok(out);
        }
        for i in std::mem::take(items) {
            match i {
                LoadItem::Script(s) => out.items.push(*s),
                other => items.push(other),
            }
        }
        for s in &out.items {
            for c in &s.commands {
                let (what, line) = match c {
                    ScriptCommand::Sections(_, l) => ("SECTIONS", l),
                    ScriptCommand::Memory(_, l) => ("MEMORY", l),
                    ScriptCommand::Phdrs(_, l) => ("PHDRS", l),
                    _ => continue,
                };
                return Err(Error::new(format!(
                    "{}:{line}: {what} in linker scripts is not supported yet \
                     (symbol assignments, ENTRY, EXTERN, ASSERT, INPUT and GROUP are)",
                    s.file
                )));
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn assignments(&self) -> impl Iterator<Item = (&str, &Assignment)> {
        self.items.iter().flat_map(|s| {
            s.commands.iter().filter_map(move |c| match c {
                ScriptCommand::Assign(a) => Some((s.file.as_str(), a)),
                _ => None,
            })
        })
    }

    /// The last `ENTRY(sym)` of the scripts.
    pub fn entry(&self) -> Option<String> {
        self.items
            .iter()
            .flat_map(|s| &s.commands)
            .rev()
            .find_map(|c| match c {
                ScriptCommand::Entry(e) => Some(e.clone()),
                _ => None,
            })
    }

    /// Symbols resolution must look for: `EXTERN`s, and what unconditional
    /// assignments refer to (as GNU ld does, they can pull archive members).
    pub fn roots(&self) -> Vec<String> {
        let mut v = Vec::new();
        for s in &self.items {
            for c in &s.commands {
                match c {
                    ScriptCommand::Extern(syms) => v.extend(syms.iter().cloned()),
                    ScriptCommand::Assign(a) if a.provide != Provide::Provide => {
                        symbols_in(&a.expr, &mut v)
                    }
                    _ => {}
                }
            }
        }
        v
    }

    /// Defines the assigned symbols after resolution. `PROVIDE` defines a
    /// symbol only if something refers to it and nothing defines it; a
    /// plain assignment overrides an input's definition (GNU ld's rule).
    /// `b = a;` with `a` defined by an object makes `b` that very
    /// definition (same section, type and size), as GNU ld's output has it.
    pub fn define(&mut self, res: &mut Resolved) -> Result<()> {
        let list: Vec<(String, Assignment)> = self
            .assignments()
            .map(|(f, a)| (f.to_string(), a.clone()))
            .collect();
        for (file, a) in list {
            if a.name == "." {
                return Err(Error::new(format!(
                    "{file}:{}: '.' may only be assigned inside SECTIONS",
                    a.line
                )));
            }
            if expr_uses_dot(&a.expr) {
                return Err(Error::new(format!(
                    "{file}:{}: '.' may only be used inside SECTIONS",
                    a.line
                )));
            }
            let existing = res.lookup(a.name.as_bytes());
            if matches!(a.provide, Provide::Provide | Provide::ProvideHidden) {
                let wanted = existing.is_some_and(|id| {
                    let s = &res.symbols[id as usize];
                    s.def == SymDef::Undefined || matches!(s.def, SymDef::Shared { .. })
                });
                if !wanted {
                    continue;
                }
            }
            let mut refs = Vec::new();
            symbols_in(&a.expr, &mut refs);
            for r in &refs {
                let ok = res.lookup(r.as_bytes()).is_some_and(|id| {
                    res.symbols[id as usize].def != SymDef::Undefined
                        || crate::resolve::is_linker_defined(r.as_bytes())
                }) || self.defined.iter().any(|d| d.assign.name == *r);
                if !ok {
                    return Err(Error::new(format!(
                        "{file}:{}: undefined symbol '{r}' referenced in expression",
                        a.line
                    )));
                }
            }
            let id = res.intern(crate::link::leak(a.name.as_bytes()));
            let alias = match &a.expr {
                Expr::Symbol(t) => {
                    res.lookup(t.as_bytes())
                        .and_then(|t| match res.symbols[t as usize].def {
                            d @ (SymDef::Object { .. } | SymDef::Common { .. }) if t != id => {
                                Some(d)
                            }
                            _ => None,
                        })
                }
                _ => None,
            };
            let idx = self.defined.len() as u32;
            let s = &mut res.symbols[id as usize];
            match alias {
                Some(d) => {
                    s.def = d;
                    s.defsym = None;
                }
                None => {
                    s.def = SymDef::Synthetic;
                    s.defsym = Some(Defsym::Script {
                        index: idx,
                        absolute: !is_section_relative(&a.expr),
                    });
                }
            }
            s.weak_def = false;
            if matches!(a.provide, Provide::ProvideHidden | Provide::Hidden) {
                s.visibility = elf::STV_HIDDEN;
            }
            self.defined.push(Defined {
                file,
                assign: a,
                id,
            });
        }
        Ok(())
    }

    /// Gives the script-defined symbols their values (`values` holds every
    /// other symbol's), in script order, then checks the `ASSERT`s.
    pub fn values(
        &self,
        res: &Resolved,
        layout: &Layout,
        page: u64,
        values: &mut [u64],
    ) -> Result<()> {
        for d in &self.defined {
            let ctx = Eval {
                res,
                layout,
                values,
                page,
                file: &d.file,
                line: d.assign.line,
            };
            let v = ctx.eval(&d.assign.expr)?;
            if matches!(
                res.symbols[d.id as usize].defsym,
                Some(Defsym::Script { .. })
            ) {
                values[d.id as usize] = v;
            }
        }
        for s in &self.items {
            for c in &s.commands {
                if let ScriptCommand::Assert(e, msg, line) = c {
                    let ctx = Eval {
                        res,
                        layout,
                        values,
                        page,
                        file: &s.file,
                        line: *line,
                    };
                    if ctx.eval(e)? == 0 {
                        return Err(Error::new(format!("{}:{line}: {msg}", s.file)));
                    }
                }
            }
        }
        Ok(())
    }
}

fn expr_uses_dot(e: &Expr) -> bool {
    match e {
        Expr::Dot | Expr::Align(None, _) | Expr::DataSegmentAlign(..) => true,
        Expr::Num(_)
        | Expr::Symbol(_)
        | Expr::Section(..)
        | Expr::Defined(_)
        | Expr::SizeofHeaders
        | Expr::PageSize(_)
        | Expr::Region(..) => false,
        Expr::Neg(a)
        | Expr::Not(a)
        | Expr::Invert(a)
        | Expr::Absolute(a)
        | Expr::Passthrough(a) => expr_uses_dot(a),
        Expr::Align(Some(a), b) | Expr::Binary(_, a, b) | Expr::Max(a, b) | Expr::Min(a, b) => {
            expr_uses_dot(a) || expr_uses_dot(b)
        }
        Expr::Cond(c, a, b) => expr_uses_dot(c) || expr_uses_dot(a) || expr_uses_dot(b),
    }
}

/// Evaluates expressions once layout is done (outside `SECTIONS`: no `.`).
struct Eval<'a> {
    res: &'a Resolved,
    layout: &'a Layout,
    values: &'a [u64],
    page: u64,
    file: &'a str,
    line: usize,
}

impl Eval<'_> {
    fn fail<T>(&self, msg: impl std::fmt::Display) -> Result<T> {
        Err(Error::new(format!("{}:{}: {msg}", self.file, self.line)))
    }

    fn section(&self, name: &str) -> Result<&crate::layout::OutputSection> {
        match self
            .layout
            .sections
            .iter()
            .find(|s| s.name == name.as_bytes())
        {
            Some(s) => Ok(s),
            None => self.fail(format!(
                "undefined section '{name}' referenced in expression"
            )),
        }
    }

    fn eval(&self, e: &Expr) -> Result<u64> {
        let ev = |x: &Expr| self.eval(x);
        Ok(match e {
            Expr::Num(v) => *v,
            Expr::Symbol(s) => match self.res.lookup(s.as_bytes()) {
                Some(id) => self.values[id as usize],
                None => {
                    return self.fail(format!("undefined symbol '{s}' referenced in expression"))
                }
            },
            Expr::Dot => return self.fail("'.' may only be used inside SECTIONS"),
            Expr::Neg(a) => ev(a)?.wrapping_neg(),
            Expr::Not(a) => (ev(a)? == 0) as u64,
            Expr::Invert(a) => !ev(a)?,
            Expr::Binary(op, a, b) => {
                let (x, y) = (ev(a)?, ev(b)?);
                match op {
                    BinOp::Mul => x.wrapping_mul(y),
                    BinOp::Div | BinOp::Rem if y == 0 => {
                        return self.fail("division by zero in expression")
                    }
                    BinOp::Div => x / y,
                    BinOp::Rem => x % y,
                    BinOp::Add => x.wrapping_add(y),
                    BinOp::Sub => x.wrapping_sub(y),
                    BinOp::Shl => x.checked_shl(y.min(64) as u32).unwrap_or(0),
                    BinOp::Shr => x.checked_shr(y.min(64) as u32).unwrap_or(0),
                    BinOp::Lt => (x < y) as u64,
                    BinOp::Le => (x <= y) as u64,
                    BinOp::Gt => (x > y) as u64,
                    BinOp::Ge => (x >= y) as u64,
                    BinOp::Eq => (x == y) as u64,
                    BinOp::Ne => (x != y) as u64,
                    BinOp::And => x & y,
                    BinOp::Xor => x ^ y,
                    BinOp::Or => x | y,
                    BinOp::LogAnd => (x != 0 && y != 0) as u64,
                    BinOp::LogOr => (x != 0 || y != 0) as u64,
                }
            }
            Expr::Cond(c, a, b) => {
                if ev(c)? != 0 {
                    ev(a)?
                } else {
                    ev(b)?
                }
            }
            Expr::Align(None, _) | Expr::DataSegmentAlign(..) => {
                return self.fail("'.' may only be used inside SECTIONS")
            }
            Expr::Align(Some(a), n) => {
                let (v, n) = (ev(a)?, ev(n)?);
                if n != 0 && !n.is_power_of_two() {
                    return self.fail(format!("ALIGN({n:#x}): alignment must be a power of 2"));
                }
                crate::layout::align_up(v, n)
            }
            Expr::Section(f, name) => {
                let s = self.section(name)?;
                match f {
                    SecFn::Addr | SecFn::Loadaddr => s.addr,
                    SecFn::Sizeof => s.size,
                    SecFn::Alignof => s.align,
                }
            }
            Expr::Defined(s) => self
                .res
                .lookup(s.as_bytes())
                .is_some_and(|id| self.res.symbols[id as usize].def != SymDef::Undefined)
                as u64,
            Expr::Absolute(a) | Expr::Passthrough(a) => ev(a)?,
            Expr::Max(a, b) => ev(a)?.max(ev(b)?),
            Expr::Min(a, b) => ev(a)?.min(ev(b)?),
            Expr::SizeofHeaders => 64 + 56 * self.layout.segments.len() as u64,
            Expr::PageSize(max) => {
                if *max {
                    self.page
                } else {
                    crate::x86_64::PAGE_SIZE
                }
            }
            Expr::Region(_, r) => {
                return self.fail(format!("memory region {r}: MEMORY is not supported yet"))
            }
        })
    }
}
