//! What a link does with the linker-script commands that are not lists of
//! inputs: symbol assignments (`foo = expr;`, `PROVIDE`, `PROVIDE_HIDDEN`,
//! `HIDDEN`), `SECTIONS`, `ENTRY`, `EXTERN` and `ASSERT`, from `-T` scripts
//! and from scripts given as inputs.
//!
//! Expansion (`link::Expander`) parses a script, follows its `INPUT`s,
//! `GROUP`s and `INCLUDE`s, and hands the rest on as a `LoadItem::Script`
//! at the script's place among the inputs, so that a serial link and a
//! background link (whose wait runs the same `link::link_items`) see the
//! same commands. `link` takes those items out before resolution
//! ([`Scripts::take`], which also lowers `SECTIONS`), adds their roots,
//! defines the assigned symbols after resolution ([`Scripts::define`]),
//! matches input sections to `SECTIONS` rules ([`Scripts::assign_rules`]),
//! and layout values the symbols ([`Scripts::values`]) once every section
//! has its address, in script order, so that a later assignment sees an
//! earlier one.
//!
//! `SECTIONS` is lowered, not interpreted: cld keeps its own layout
//! (segments by kind, sections by rank) and the script only steers it.
//! Rules decide which output section an input section goes to (or
//! `/DISCARD/`, or `KEEP` under `--gc-sections`) and its order there;
//! constant addresses become `--section-start`s, a first `. = X` the image
//! base, `ALIGN`s minimum alignments, data statements bytes among the
//! inputs; `.` in assignments becomes where it stands, relative to the
//! output sections (`Expr::Here`, `Expr::AfterRules`). What would need a
//! layout that follows the script statement by statement (`MEMORY`,
//! `PHDRS`, `AT`, regions, `.` moved by an arbitrary amount, `FILL`) is
//! refused with the script's file and line.

use crate::arch::{Arch, Native};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::options::Options;
use crate::resolve::{Defsym, LoadItem, Resolved, SymDef, SymbolId};
use crate::script::{
    Assignment, BinOp, Expr, InputSpec, OutputItem, OutputSectionStmt, Provide, ScriptCommand,
    SecFn, SectionPattern, SectionsItem, SortKind,
};
use object::elf;

/// The commands of one script that a link acts on after ingestion.
#[derive(Clone, Debug)]
pub struct ScriptItem {
    /// The script's path, for messages (`FILE:LINE: ...`).
    pub file: String,
    pub commands: Vec<ScriptCommand>,
}

/// A data statement (`BYTE`, `SHORT`, `LONG`, `QUAD`, `SQUAD`): `size`
/// bytes of `expr` in output section `out`, after the inputs of the
/// rules before `after_rules` (and earlier data statements there).
#[derive(Clone, Debug)]
pub struct DataItem {
    pub out: String,
    pub after_rules: u32,
    pub size: u8,
    expr: Expr,
    file: String,
    line: usize,
}

/// One assignment that defines a symbol, in script order.
#[derive(Clone, Debug)]
pub struct Defined {
    pub file: String,
    pub assign: Assignment,
    pub id: SymbolId,
}

/// Every script of the link, in command-line order, lowered.
#[derive(Clone, Debug, Default)]
pub struct Scripts {
    pub items: Vec<ScriptItem>,
    /// Symbol assignments in script order (file, assignment); inside
    /// `SECTIONS`, `.` is already replaced (`Expr::Here`).
    assigns: Vec<(String, Assignment)>,
    /// `ASSERT`s: file, condition, message, line.
    asserts: Vec<(String, Expr, String, usize)>,
    entry: Option<String>,
    externs: Vec<String>,
    /// Input-section rules of `SECTIONS`, in script order.
    pub rules: Vec<Rule>,
    /// Per object, per section: index into `rules`, or `u32::MAX`
    /// (`assign_rules`; empty without rules).
    place: Vec<Vec<u32>>,
    /// Output sections at fixed addresses (as `--section-start`).
    fixed: Vec<(String, u64)>,
    /// Output sections' minimum alignments (`ALIGN(n)`, `. = ALIGN(n)`).
    pub aligns: Vec<(String, u64)>,
    /// The image base from a first `. = ...;`.
    base: Option<u64>,
    /// Data statements, in script order.
    pub data: Vec<DataItem>,
    /// Output section statements seen so far (numbers `Rule::stmt`).
    stmts: u32,
    /// `VERSION { ... }`: its text and a name for messages.
    version: Option<(String, String)>,
    /// Per statement: the script it is in.
    rule_files: Vec<String>,
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
        | Expr::Region(..)
        | Expr::Here(_)
        | Expr::AfterRules(..) => {}
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
        Expr::Section(SecFn::Addr | SecFn::Loadaddr, _) | Expr::Here(_) | Expr::AfterRules(..) => {
            true
        }
        Expr::Binary(BinOp::Add, a, b) => rel(a) != rel(b),
        Expr::Binary(BinOp::Sub, a, b) => rel(a) && !rel(b),
        // GNU ld: ALIGN of `.` stays in its section (`. = ALIGN(8); _end
        // = .;`), ALIGN of ADDR() outside SECTIONS is a number.
        Expr::Align(Some(a), _) => rel(a) && at_dot(a),
        Expr::Passthrough(a) => rel(a),
        Expr::Cond(_, a, b) | Expr::Max(a, b) | Expr::Min(a, b) => rel(a) && rel(b),
        _ => false,
    }
}

/// Does `e` hold a lowered `.` (inside SECTIONS)?
fn at_dot(e: &Expr) -> bool {
    match e {
        Expr::Here(_) | Expr::AfterRules(..) => true,
        Expr::Binary(_, a, b) | Expr::Max(a, b) | Expr::Min(a, b) => at_dot(a) || at_dot(b),
        Expr::Align(Some(a), _) | Expr::Passthrough(a) | Expr::Neg(a) => at_dot(a),
        _ => false,
    }
}

/// A rule of an output section statement: input sections matching it go
/// to output section `out` (`/DISCARD/`: dropped).
#[derive(Clone, Debug)]
pub struct Rule {
    pub out: String,
    pub spec: InputSpec,
    /// Index into `spec.sections` (the pattern this rule stands for).
    pub pattern: usize,
    /// The output section statement (numbered in script order).
    pub stmt: u32,
    /// `ONLY_IF_RO` (true) / `ONLY_IF_RW` (false): the statement counts
    /// only if every input section it matches is read-only (writable).
    pub only_if_ro: Option<bool>,
    /// `(NOLOAD)`: the output section is `SHT_NOBITS`.
    pub noload: bool,
}

impl Rule {
    pub fn discard(&self) -> bool {
        self.out == "/DISCARD/"
    }

    pub fn sort(&self) -> SortKind {
        self.spec.sections[self.pattern].sort
    }
}

/// Does `glob` name the input file `name` (the path as given, its base
/// name, or for an archive member `lib.a(m.o)`: `m.o` and `lib.a:m.o`)?
fn file_matches(glob: &str, name: &str) -> bool {
    let g = glob.as_bytes();
    let m = |s: &str| crate::version_script::glob_match(g, s.as_bytes());
    if m(name) {
        return true;
    }
    let (file, member) = match name.strip_suffix(')').and_then(|n| n.split_once('(')) {
        Some((a, mem)) => (a, Some(mem)),
        None => (name, None),
    };
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    match member {
        Some(mem) => m(mem) || m(&format!("{file}:{mem}")) || m(&format!("{}:{mem}", base(file))),
        None => m(&base(file)),
    }
}

/// Evaluates an expression that must not depend on the layout (an output
/// section's address, `. = ...` between statements). `SIZEOF_HEADERS` is 0
/// there: `. = 0x400000 + SIZEOF_HEADERS;` puts the headers at 0x400000.
fn const_value(e: &Expr, page: u64) -> Option<u64> {
    let c = |x: &Expr| const_value(x, page);
    Some(match e {
        Expr::Num(v) => *v,
        Expr::SizeofHeaders => 0,
        Expr::PageSize(max) => {
            if *max {
                page
            } else {
                Native::COMMON_PAGE_SIZE
            }
        }
        Expr::Neg(a) => c(a)?.wrapping_neg(),
        Expr::Not(a) => (c(a)? == 0) as u64,
        Expr::Invert(a) => !c(a)?,
        Expr::Absolute(a) | Expr::Passthrough(a) => c(a)?,
        Expr::Max(a, b) => c(a)?.max(c(b)?),
        Expr::Min(a, b) => c(a)?.min(c(b)?),
        Expr::Align(Some(a), n) => checked_align(c(a)?, c(n)?)?,
        Expr::Cond(x, a, b) => {
            if c(x)? != 0 {
                c(a)?
            } else {
                c(b)?
            }
        }
        Expr::Binary(op, a, b) => {
            let (x, y) = (c(a)?, c(b)?);
            match op {
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div => x.checked_div(y)?,
                BinOp::Rem => x.checked_rem(y)?,
                BinOp::Shl => x.checked_shl(y.min(64) as u32).unwrap_or(0),
                BinOp::Shr => x.checked_shr(y.min(64) as u32).unwrap_or(0),
                BinOp::And => x & y,
                BinOp::Or => x | y,
                BinOp::Xor => x ^ y,
                BinOp::Lt => (x < y) as u64,
                BinOp::Le => (x <= y) as u64,
                BinOp::Gt => (x > y) as u64,
                BinOp::Ge => (x >= y) as u64,
                BinOp::Eq => (x == y) as u64,
                BinOp::Ne => (x != y) as u64,
                BinOp::LogAnd => (x != 0 && y != 0) as u64,
                BinOp::LogOr => (x != 0 || y != 0) as u64,
            }
        }
        _ => return None,
    })
}

/// `v` rounded up to `n` (0 and 1: `v`); `None` if `n` is not a power of
/// two or the result overflows.
fn checked_align(v: u64, n: u64) -> Option<u64> {
    if n <= 1 {
        return Some(v);
    }
    if !n.is_power_of_two() {
        return None;
    }
    Some(v.checked_add(n - 1)? & !(n - 1))
}

/// `e` with `.` replaced by `dot` (`ALIGN(n)` is `ALIGN(., n)`).
fn subst_dot(e: &Expr, dot: &Expr) -> Expr {
    let s = |x: &Expr| Box::new(subst_dot(x, dot));
    match e {
        Expr::Dot => dot.clone(),
        Expr::Align(None, n) => Expr::Align(Some(Box::new(dot.clone())), s(n)),
        Expr::Align(Some(a), n) => Expr::Align(Some(s(a)), s(n)),
        Expr::DataSegmentAlign(a, _) => Expr::Align(Some(Box::new(dot.clone())), s(a)),
        Expr::Neg(a) => Expr::Neg(s(a)),
        Expr::Not(a) => Expr::Not(s(a)),
        Expr::Invert(a) => Expr::Invert(s(a)),
        Expr::Absolute(a) => Expr::Absolute(s(a)),
        Expr::Passthrough(a) => Expr::Passthrough(s(a)),
        Expr::Binary(op, a, b) => Expr::Binary(*op, s(a), s(b)),
        Expr::Max(a, b) => Expr::Max(s(a), s(b)),
        Expr::Min(a, b) => Expr::Min(s(a), s(b)),
        Expr::Cond(c, a, b) => Expr::Cond(s(c), s(a), s(b)),
        other => other.clone(),
    }
}

/// Is `e` (the value of a `. =` between output sections) one of the
/// location-counter moves that only start a new segment, which cld does by
/// itself: `.`, `DATA_SEGMENT_ALIGN`, `DATA_SEGMENT_RELRO_END`,
/// `DATA_SEGMENT_END`, `SEGMENT_START` with a `.`-relative default (GNU
/// ld's default scripts use them)? They change what later symbols see, not
/// the layout.
fn segment_move(e: &Expr) -> bool {
    match e {
        Expr::Dot | Expr::DataSegmentAlign(..) => true,
        Expr::Passthrough(a) => expr_uses_dot(a),
        _ => false,
    }
}

/// `.` at a point of SECTIONS: the start or end of `name`, or, when the
/// output has no such section (GNU ld drops empty ones), the end of the
/// latest earlier one that exists.
fn here(name: Option<(&str, bool)>, earlier: &[String]) -> Expr {
    let mut v: Vec<(String, bool)> = name.map(|(n, e)| (n.to_string(), e)).into_iter().collect();
    v.extend(earlier.iter().rev().map(|n| (n.clone(), true)));
    Expr::Here(v)
}

impl Scripts {
    /// Takes the script items out of `items` (which keeps the inputs, in
    /// order), lowers `SECTIONS` to rules, addresses and assignments, and
    /// refuses what cld does not do yet.
    pub fn take(items: &mut Vec<LoadItem>, page: u64) -> Result<Scripts> {
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
        let scripts = std::mem::take(&mut out.items);
        for s in &scripts {
            let file = s.file.as_str();
            for c in &s.commands {
                match c {
                    ScriptCommand::Assign(a) => out.assigns.push((file.to_string(), a.clone())),
                    ScriptCommand::Assert(e, m, l) => {
                        out.asserts
                            .push((file.to_string(), e.clone(), m.clone(), *l))
                    }
                    ScriptCommand::Entry(e) => out.entry = Some(e.clone()),
                    ScriptCommand::Extern(v) => out.externs.extend(v.iter().cloned()),
                    ScriptCommand::Version(text, l) => {
                        // Padded so that its messages give the script's
                        // line numbers.
                        let pad = "\n".repeat(l.saturating_sub(1));
                        out.version = Some((format!("{pad}{text}"), file.to_string()));
                    }
                    ScriptCommand::Sections(items, _) => out.lower_sections(file, items, page)?,
                    ScriptCommand::Memory(_, l) | ScriptCommand::Phdrs(_, l) => {
                        let what = if matches!(c, ScriptCommand::Memory(..)) {
                            "MEMORY"
                        } else {
                            "PHDRS"
                        };
                        return Err(Error::new(format!(
                            "{file}:{l}: {what} in linker scripts is not supported yet"
                        )));
                    }
                    _ => {}
                }
            }
        }
        out.items = scripts;
        Ok(out)
    }

    fn unsupported<T>(file: &str, line: usize, what: &str) -> Result<T> {
        Err(Error::new(format!(
            "{file}:{line}: {what} in SECTIONS is not supported yet"
        )))
    }

    /// `SECTIONS { ... }`: input-section rules in script order, output
    /// section addresses and alignments, and the symbol assignments with
    /// `.` made explicit (see `here`).
    fn lower_sections(&mut self, file: &str, items: &[SectionsItem], page: u64) -> Result<()> {
        let f = file.to_string();
        // `.` before any output section: 0, or what `. = ...` made it.
        let mut dot = Expr::Here(Vec::new());
        let mut earlier: Vec<String> = Vec::new();
        let mut next_addr: Option<u64> = None;
        let mut next_align: Option<u64> = None;
        for item in items {
            match item {
                SectionsItem::Assign(a) if a.name == "." => {
                    let v = subst_dot(&a.expr, &dot);
                    if earlier.is_empty() && self.base.is_none() && next_addr.is_none() {
                        // `. = 0x10000 + SIZEOF_HEADERS;`: where the image starts.
                        let Some(b) = const_value(&a.expr, page) else {
                            return Self::unsupported(&f, a.line, "a non-constant first '. ='");
                        };
                        self.base = Some(b - b % page.max(1));
                    } else if let Expr::Align(None, n) = &a.expr {
                        match const_value(n, page) {
                            Some(n) if n.is_power_of_two() => next_align = Some(n),
                            _ => {
                                return Self::unsupported(
                                    &f,
                                    a.line,
                                    "'. = ALIGN(n)' without a power-of-2 constant",
                                )
                            }
                        }
                    } else if let Some(v) = const_value(&a.expr, page) {
                        next_addr = Some(v);
                    } else if !segment_move(&a.expr) {
                        return Self::unsupported(
                            &f,
                            a.line,
                            "'. =' with anything but a constant, ALIGN(n) or a segment adjustment",
                        );
                    }
                    dot = v;
                }
                SectionsItem::Assign(a) => {
                    let mut a = a.clone();
                    a.expr = subst_dot(&a.expr, &dot);
                    self.assigns.push((f.clone(), a));
                }
                SectionsItem::Assert(e, m, l) => {
                    self.asserts
                        .push((f.clone(), subst_dot(e, &dot), m.clone(), *l))
                }
                SectionsItem::Entry(e) => self.entry = Some(e.clone()),
                SectionsItem::Output(st) => {
                    self.output_statement(
                        &f,
                        st,
                        page,
                        &earlier,
                        next_addr.take(),
                        next_align.take(),
                    )?;
                    self.rule_files.push(f.clone());
                    self.stmts += 1;
                    if st.name != "/DISCARD/" {
                        earlier.push(st.name.clone());
                        dot = here(None, &earlier);
                    }
                }
            }
        }
        Ok(())
    }

    /// One output section statement (see `lower_sections`).
    fn output_statement(
        &mut self,
        f: &str,
        st: &OutputSectionStmt,
        page: u64,
        earlier: &[String],
        mut addr: Option<u64>,
        mut align: Option<u64>,
    ) -> Result<()> {
        let line = st.line;
        let what = if st.lma.is_some() || st.lma_region.is_some() {
            Some("AT (a load address)")
        } else if st.region.is_some() {
            Some("a memory region (>REGION)")
        } else if !st.phdrs.is_empty() {
            Some("a program header (:PHDR)")
        } else if st.fill.is_some() {
            Some("a fill pattern (=FILL)")
        } else if st.subalign.is_some() {
            Some("SUBALIGN")
        } else if st.kind.as_deref().is_some_and(|k| k != "NOLOAD") {
            Some("an output section type")
        } else {
            None
        };
        if let Some(w) = what {
            return Self::unsupported(f, line, w);
        }
        if let Some(e) = &st.addr {
            match (const_value(e, page), e) {
                (Some(v), _) => addr = Some(v),
                // `ALIGN(n)`: the section is aligned.
                (None, Expr::Align(None, n)) => match const_value(n, page) {
                    Some(n) if n.is_power_of_two() => align = Some(align.unwrap_or(1).max(n)),
                    _ => return Self::unsupported(f, line, "ALIGN without a power-of-2 constant"),
                },
                // `ALIGN(page) + (. & (page - 1))`: a new segment at the
                // same offset in a later page, as cld starts segments.
                (None, Expr::Binary(BinOp::Add, a, b))
                    if matches!(**a, Expr::Align(None, _))
                        && matches!(&**b, Expr::Binary(BinOp::And, d, _) if **d == Expr::Dot) => {}
                _ => return Self::unsupported(f, line, "a non-constant output section address"),
            }
        }
        if let Some(e) = &st.align {
            match const_value(e, page) {
                Some(n) if n.is_power_of_two() => align = Some(align.unwrap_or(1).max(n)),
                _ => return Self::unsupported(f, line, "ALIGN without a power-of-2 constant"),
            }
        }
        if let Some(a) = addr {
            self.fixed.push((st.name.clone(), a));
        }
        if let Some(a) = align {
            self.aligns.push((st.name.clone(), a));
        }
        let first_input = st
            .items
            .iter()
            .position(|i| matches!(i, OutputItem::Input(_)));
        let last_input = st
            .items
            .iter()
            .rposition(|i| matches!(i, OutputItem::Input(_)));
        // Where `.` is: the section's start before its inputs, the end of
        // what the rules so far placed between them, its end after them.
        let mut dot = here(Some((&st.name, false)), earlier);
        // With data statements, `.` after the inputs is counted from them
        // (the section's end would include data placed later).
        let has_data = st.items.iter().any(|i| matches!(i, OutputItem::Data(..)));
        let mut data_here = 0u64;
        let fallback = match here(None, earlier) {
            Expr::Here(v) => v,
            _ => Vec::new(),
        };
        let after_rules = |n: u32, plus: u64| {
            let e = Expr::AfterRules(st.name.clone(), n, fallback.clone());
            if plus == 0 {
                e
            } else {
                Expr::Binary(BinOp::Add, Box::new(e), Box::new(Expr::Num(plus)))
            }
        };
        for (i, item) in st.items.iter().enumerate() {
            let before = first_input.is_none_or(|fi| i < fi);
            let after = last_input.is_none_or(|li| i > li);
            match item {
                OutputItem::Input(spec) => {
                    for pattern in 0..spec.sections.len().max(1) {
                        let mut spec = spec.clone();
                        if spec.sections.is_empty() {
                            // `file.o` alone: all its sections.
                            spec.sections.push(SectionPattern {
                                glob: "*".into(),
                                exclude_files: Vec::new(),
                                sort: SortKind::None,
                            });
                        }
                        self.rules.push(Rule {
                            out: st.name.clone(),
                            spec,
                            pattern,
                            stmt: self.stmts,
                            only_if_ro: st.constraint.as_deref().map(|c| c == "ONLY_IF_RO"),
                            noload: st.kind.as_deref() == Some("NOLOAD"),
                        });
                    }
                    data_here = 0;
                    dot = if Some(i) == last_input && !has_data {
                        here(Some((&st.name, true)), earlier)
                    } else {
                        after_rules(self.rules.len() as u32, 0)
                    };
                }
                OutputItem::Data(size, e, l) => {
                    // At the end of what the rules so far placed (and the
                    // data statements since); `.` in `e` is its address.
                    let at = after_rules(self.rules.len() as u32, data_here);
                    self.data.push(DataItem {
                        out: st.name.clone(),
                        after_rules: self.rules.len() as u32,
                        size: *size,
                        expr: subst_dot(e, &at),
                        file: f.to_string(),
                        line: *l,
                    });
                    data_here += *size as u64;
                    dot = after_rules(self.rules.len() as u32, data_here);
                }
                OutputItem::Assign(a) if a.name == "." => {
                    // Only aligning, and only where it moves no input:
                    // after the inputs it moves what later assignments see
                    // (cld does not pad the section); before them it
                    // aligns the section.
                    let n = match &a.expr {
                        Expr::Align(None, n) => {
                            const_value(n, page).filter(|n| n.is_power_of_two())
                        }
                        _ => None,
                    };
                    match n {
                        Some(n) if before && !after => {
                            self.aligns.push((st.name.clone(), n));
                        }
                        // After the inputs, any ALIGN (GNU ld's default
                        // script has `. = ALIGN(. != 0 ? 8 : 1);`).
                        _ if after && matches!(a.expr, Expr::Align(None, _)) => {
                            dot = subst_dot(&a.expr, &dot)
                        }
                        Some(_) => {
                            return Self::unsupported(
                                f,
                                a.line,
                                "'. = ALIGN(n)' between input section descriptions",
                            )
                        }
                        None => {
                            return Self::unsupported(
                                f,
                                a.line,
                                "'. =' other than '. = ALIGN(constant)' inside an output section",
                            )
                        }
                    }
                }
                OutputItem::Assign(a) => {
                    let mut a = a.clone();
                    a.expr = subst_dot(&a.expr, &dot);
                    self.assigns.push((f.to_string(), a));
                }
                OutputItem::Assert(e, m, l) => {
                    self.asserts
                        .push((f.to_string(), subst_dot(e, &dot), m.clone(), *l))
                }
                OutputItem::Fill(_, l) => return Self::unsupported(f, *l, "FILL"),
            }
        }
        Ok(())
    }

    /// Which rule, if any, places each input section (per object, per
    /// section), the first that matches in script order, as in GNU ld.
    pub fn assign_rules(&mut self, res: &Resolved) -> Result<()> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let matches_file = |r: &Rule, name: &str| {
            file_matches(&r.spec.file, name)
                && !r.spec.exclude_files.iter().any(|x| file_matches(x, name))
                && !r.spec.sections[r.pattern]
                    .exclude_files
                    .iter()
                    .any(|x| file_matches(x, name))
        };
        // ONLY_IF_RO / ONLY_IF_RW statements whose inputs break the
        // condition do not count (GNU ld drops them).
        let mut dropped = std::collections::HashSet::new();
        for r in self.rules.iter().filter(|r| r.only_if_ro.is_some()) {
            for o in &res.objects {
                if !matches_file(r, &o.name) {
                    continue;
                }
                let glob = r.spec.sections[r.pattern].glob.as_bytes();
                let broken = o.sections.iter().any(|s| {
                    let writable = s.flags & elf::SHF_WRITE != 0;
                    crate::version_script::glob_match(glob, s.name.get())
                        && s.flags & elf::SHF_ALLOC != 0
                        && writable == r.only_if_ro.unwrap_or(false)
                });
                if broken {
                    dropped.insert(r.stmt);
                }
            }
        }
        self.place = res
            .objects
            .iter()
            .map(|o| {
                let name = o.name.as_str();
                let file_rules: Vec<usize> = (0..self.rules.len())
                    .filter(|&r| !dropped.contains(&self.rules[r].stmt))
                    .filter(|&r| {
                        let sp = &self.rules[r].spec;
                        file_matches(&sp.file, name)
                            && !sp.exclude_files.iter().any(|x| file_matches(x, name))
                            && !sp.sections[self.rules[r].pattern]
                                .exclude_files
                                .iter()
                                .any(|x| file_matches(x, name))
                    })
                    .collect();
                o.sections
                    .iter()
                    .map(|s| {
                        file_rules
                            .iter()
                            .find(|&&r| {
                                let rule = &self.rules[r];
                                crate::version_script::glob_match(
                                    rule.spec.sections[rule.pattern].glob.as_bytes(),
                                    s.name.get(),
                                )
                            })
                            .map_or(u32::MAX, |&r| r as u32)
                    })
                    .collect()
            })
            .collect();
        // A (NOLOAD) section is SHT_NOBITS: cld lays those out only among
        // writable data.
        for (f, o) in res.objects.iter().enumerate() {
            for (si, s) in o.sections.iter().enumerate() {
                let Some(r) = self.rule(f, si).filter(|r| r.noload) else {
                    continue;
                };
                if s.flags & elf::SHF_ALLOC != 0 && s.flags & elf::SHF_WRITE == 0 {
                    return Err(Error::new(format!(
                        "{}: (NOLOAD) output section {} would hold the read-only section {} of {}, \
                         which is not supported",
                        self.rule_file(r),
                        r.out,
                        String::from_utf8_lossy(s.name.get()),
                        o.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// `FILE:LINE` of a rule, for messages.
    fn rule_file(&self, r: &Rule) -> String {
        let file = self
            .rule_files
            .get(r.stmt as usize)
            .map_or("", |s| s.as_str());
        format!("{file}:{}", r.spec.line)
    }

    /// The number of the first output section statement named `name`
    /// (script order), or `u32::MAX`.
    pub fn statement_of(&self, name: &[u8]) -> u32 {
        self.rules
            .iter()
            .find(|r| r.out.as_bytes() == name)
            .map_or(u32::MAX, |r| r.stmt)
    }

    /// The rule placing section `si` of object `f`.
    pub fn rule(&self, f: usize, si: usize) -> Option<&Rule> {
        self.rules.get(self.rule_index(f, si)? as usize)
    }

    /// Its index in `rules` (script order).
    pub fn rule_index(&self, f: usize, si: usize) -> Option<u32> {
        let r = *self.place.get(f)?.get(si)?;
        ((r as usize) < self.rules.len()).then_some(r)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first script with commands a link acts on (not just `ENTRY`),
    /// for `-r`, which cannot.
    pub fn first_file(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|s| {
                s.commands
                    .iter()
                    .any(|c| !matches!(c, ScriptCommand::Entry(_)))
            })
            .map(|s| s.file.as_str())
    }

    /// The last `ENTRY(sym)` of the scripts.
    pub fn entry(&self) -> Option<String> {
        self.entry.clone()
    }

    /// Symbols resolution must look for: `EXTERN`s, and what unconditional
    /// assignments refer to (as GNU ld does, they can pull archive members).
    pub fn roots(&self) -> Vec<String> {
        let mut v = self.externs.clone();
        for (_, a) in &self.assigns {
            if a.provide != Provide::Provide {
                symbols_in(&a.expr, &mut v);
            }
        }
        v
    }

    /// The options a script changes: its output section addresses join
    /// `--section-start`'s, its first `. =` sets the image base.
    pub fn adjust_options(&self, opts: &Options) -> Option<Options> {
        if self.fixed.is_empty()
            && self.base.is_none()
            && self.entry.is_none()
            && self.version.is_none()
        {
            return None;
        }
        let mut o = opts.clone();
        if o.exports.version_script_text.is_none() {
            o.exports.version_script_text = self.version.clone();
        }
        o.section_starts.extend(self.fixed.iter().cloned());
        if self.base.is_some() && o.image_base.is_none() {
            o.image_base = self.base;
        }
        if o.entry.is_none() {
            o.entry = self.entry.clone();
        }
        Some(o)
    }

    /// Defines the assigned symbols after resolution. `PROVIDE` defines a
    /// symbol only if something refers to it and nothing defines it; a
    /// plain assignment overrides an input's definition (GNU ld's rule).
    /// `b = a;` with `a` defined by an object makes `b` that very
    /// definition (same section, type and size), as GNU ld's output has it.
    pub fn define(&mut self, res: &mut Resolved) -> Result<()> {
        let list = self.assigns.clone();
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
                Expr::Symbol(t) => res.lookup(t.as_bytes()).and_then(|t| {
                    let g = &res.symbols[t as usize];
                    match g.def {
                        d @ (SymDef::Object { .. } | SymDef::Common { .. }) if t != id => {
                            Some((d, (g.def_type, g.def_abs)))
                        }
                        _ => None,
                    }
                }),
                _ => None,
            };
            let idx = self.defined.len() as u32;
            let (def, defsym, props) = match alias {
                Some((d, props)) => (d, None, props),
                None => (
                    SymDef::Synthetic,
                    Some(Defsym::Script {
                        index: idx,
                        absolute: !is_section_relative(&a.expr),
                    }),
                    (elf::STT_NOTYPE, false),
                ),
            };
            res.set_defsym(id, defsym);
            let s = &mut res.symbols[id as usize];
            s.define(def, props);
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

    /// An error for the first data statement layout could not place: its
    /// output section has no input sections (cld does not make sections
    /// of data alone yet) or holds no bytes (`.bss`).
    pub fn unplaced_data(
        &self,
        placed: &[(u32, u64, u32)],
        sections: &[crate::layout::OutputSection],
    ) -> Option<Error> {
        if let Some(&(oi, _, di)) = placed
            .iter()
            .find(|&&(oi, _, _)| sections[oi as usize].sh_type == elf::SHT_NOBITS)
        {
            let d = &self.data[di as usize];
            return Some(Error::new(format!(
                "{}:{}: BYTE/SHORT/LONG/QUAD in {}, which holds no bytes, is not supported",
                d.file,
                d.line,
                String::from_utf8_lossy(&sections[oi as usize].name)
            )));
        }
        let d = (0..self.data.len()).find(|&d| !placed.iter().any(|p| p.2 as usize == d))?;
        let d = &self.data[d];
        Some(Error::new(format!(
            "{}:{}: BYTE/SHORT/LONG/QUAD in an output section without input sections ({}) is not supported yet",
            d.file, d.line, d.out
        )))
    }

    /// The bytes of the data statements layout placed (`placed`: output
    /// section index, offset in it, index into `data`): (file offset,
    /// bytes), once every symbol has its value.
    pub fn data_bytes(
        &self,
        res: &Resolved,
        layout: &Layout,
        page: u64,
        placed: &[(u32, u64, u32)],
    ) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut out = Vec::with_capacity(placed.len());
        for &(oi, off, di) in placed {
            let d = &self.data[di as usize];
            let ctx = Eval {
                scripts: self,
                res,
                layout,
                values: &layout.sym_values,
                page,
                file: &d.file,
                line: d.line,
            };
            let v = ctx.eval(&d.expr)?;
            let bytes = v.to_le_bytes()[..d.size as usize].to_vec();
            out.push((layout.sections[oi as usize].offset + off, bytes));
        }
        Ok(out)
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
                scripts: self,
                res,
                layout,
                values,
                page,
                file: &d.file,
                line: d.assign.line,
            };
            let v = ctx.eval(&d.assign.expr)?;
            if matches!(res.defsym(d.id), Some(Defsym::Script { .. })) {
                values[d.id as usize] = v;
            }
        }
        for (file, e, msg, line) in &self.asserts {
            let ctx = Eval {
                scripts: self,
                res,
                layout,
                values,
                page,
                file,
                line: *line,
            };
            if ctx.eval(e)? == 0 {
                return Err(Error::new(format!("{file}:{line}: {msg}")));
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
        | Expr::Region(..)
        | Expr::Here(_)
        | Expr::AfterRules(..) => false,
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
    scripts: &'a Scripts,
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

    /// `Expr::Here`'s value.
    fn here(&self, places: &[(String, bool)]) -> u64 {
        places
            .iter()
            .find_map(|(name, end)| {
                let s = self
                    .layout
                    .sections
                    .iter()
                    .find(|s| s.name == name.as_bytes())?;
                Some(if *end { s.addr + s.size } else { s.addr })
            })
            .unwrap_or(0)
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
                match checked_align(v, n) {
                    Some(v) => v,
                    None => {
                        return self.fail(format!(
                            "ALIGN({v:#x}, {n:#x}): the alignment must be a power of 2 \
                             and the result fit in 64 bits"
                        ))
                    }
                }
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
                    Native::COMMON_PAGE_SIZE
                }
            }
            Expr::Here(places) => self.here(places),
            Expr::AfterRules(name, n, fallback) => {
                let l = self.layout;
                match l.sections.iter().position(|s| s.name == name.as_bytes()) {
                    None => self.here(fallback),
                    Some(oi) => {
                        let os = &l.sections[oi];
                        let end = os
                            .inputs
                            .iter()
                            .filter(|&&(f, s)| {
                                self.scripts
                                    .rule_index(f as usize, s as usize)
                                    .is_some_and(|r| r < *n)
                            })
                            .map(|&(f, s)| {
                                let size = self.res.objects[f as usize].sections[s as usize].size;
                                l.placement[f as usize][s as usize].1 + size
                            })
                            .max()
                            .unwrap_or(0);
                        os.addr + end
                    }
                }
            }
            Expr::Region(_, r) => {
                return self.fail(format!("memory region {r}: MEMORY is not supported yet"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_values_and_alignment_never_overflow() {
        assert_eq!(checked_align(5, 0), Some(5));
        assert_eq!(checked_align(5, 8), Some(8));
        assert_eq!(checked_align(5, 6), None);
        assert_eq!(checked_align(u64::MAX - 3, 16), None);
        let e = |s: &str| match crate::script::parse_script(format!("x = {s};").as_bytes(), "t")
            .unwrap()
            .commands
            .remove(0)
        {
            ScriptCommand::Assign(a) => a.expr,
            c => panic!("{c:?}"),
        };
        assert_eq!(
            const_value(&e("0x400000 + SIZEOF_HEADERS"), 4096),
            Some(0x400000)
        );
        assert_eq!(
            const_value(&e("CONSTANT(MAXPAGESIZE) * 2"), 0x1000),
            Some(0x2000)
        );
        assert_eq!(const_value(&e("1 / 0"), 4096), None);
        assert_eq!(const_value(&e("1 << 70"), 4096), Some(0));
        assert_eq!(const_value(&e("ALIGN(0xffffffffffffffff, 16)"), 4096), None);
        assert_eq!(const_value(&e("foo + 1"), 4096), None);
        assert!(segment_move(&e("DATA_SEGMENT_END(.)")));
        assert!(!segment_move(&e("DATA_SEGMENT_END(5)")));
    }

    #[test]
    fn file_patterns_match_paths_base_names_and_members() {
        assert!(file_matches("*", "/x/a.o"));
        assert!(file_matches("a.o", "/x/a.o"));
        assert!(file_matches("*crtbegin?.o", "/usr/lib/gcc/crtbeginS.o"));
        assert!(file_matches("m.o", "/l/libz.a(m.o)"));
        assert!(file_matches("libz.a:m.o", "/l/libz.a(m.o)"));
        assert!(file_matches("*libz.a:*", "/l/libz.a(m.o)"));
        assert!(!file_matches("b.o", "/x/a.o"));
    }
}
