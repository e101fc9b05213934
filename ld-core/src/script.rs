//! GNU ld linker scripts: the parser. Two kinds reach it:
//!
//! - scripts that appear as *inputs*: `libc.so`, `libm.so`, `libgcc_s.so`
//!   and friends are short text files such as
//!
//!   ```text
//!   /* GNU ld script */
//!   OUTPUT_FORMAT(elf64-x86-64)
//!   GROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a
//!           AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )
//!   ```
//!
//! - scripts given with `-T FILE` (and inputs holding more than the above):
//!   symbol assignments (`foo = 0x1000;`, `PROVIDE(bar = foo + 4);`) in GNU
//!   ld's expression language, `SECTIONS { ... }` with output section
//!   statements, `MEMORY`, `PHDRS`, `ASSERT`, `INCLUDE`, `EXTERN`.
//!
//! This module only turns text into [`LinkerScript`]; what a link makes of
//! it is `script_link`'s business (which also says what it refuses).
//! Errors have the form `FILE:LINE: message`. The parser never panics and
//! never recurses without a bound, whatever bytes it is given.
//!
//! GNU ld's lexer depends on where it is: in a file list `-` and `/` are
//! parts of names (`libfoo-1.so`), in an expression they are operators. The
//! parser here reads characters directly and asks for a *word* (file names,
//! section patterns: everything up to white space or `(){};,"` and, where a
//! `:` ends it, `:`) or an *expression token* as the grammar expects one.

use crate::error::Result;

/// One file named inside `INPUT(...)` / `GROUP(...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptFile {
    /// A file name (absolute, or relative: the caller searches it as GNU ld
    /// does, first as given and then in the library search path).
    Path(String),
    /// `-lNAME` inside a script: `NAME` (or `:FILE` for `-l:FILE`).
    Library(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptInput {
    pub file: ScriptFile,
    /// Named inside `AS_NEEDED(...)`.
    pub as_needed: bool,
}

/// A binary operator of the expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
    LogAnd,
    LogOr,
}

/// A built-in function that takes an output section's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecFn {
    Addr,
    Sizeof,
    Loadaddr,
    Alignof,
}

/// An expression (GNU ld's `exp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    Num(u64),
    Symbol(String),
    /// `.`, the location counter (only meaningful inside `SECTIONS`).
    Dot,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Invert(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `ALIGN(n)` (`None` base: `.`) and `ALIGN(base, n)`.
    Align(Option<Box<Expr>>, Box<Expr>),
    Section(SecFn, String),
    Defined(String),
    Absolute(Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    SizeofHeaders,
    /// `CONSTANT(MAXPAGESIZE)` (true) or `CONSTANT(COMMONPAGESIZE)` (false).
    PageSize(bool),
    /// `DATA_SEGMENT_ALIGN(maxpagesize, commonpagesize)`: GNU ld's default
    /// scripts use it; evaluated as `ALIGN(maxpagesize) + (. & (maxpagesize - 1))`.
    DataSegmentAlign(Box<Expr>, Box<Expr>),
    /// `DATA_SEGMENT_END(e)`, `DATA_SEGMENT_RELRO_END(o, e)`: the value of `e`.
    Passthrough(Box<Expr>),
    /// `ORIGIN(region)` / `LENGTH(region)` of a `MEMORY` region.
    Region(bool, String),
    /// Never parsed: what `script_link` puts for `.` at a point of
    /// `SECTIONS`. The first of these output sections that the output has,
    /// its start (`false`) or its end (`true`); none: 0.
    Here(Vec<(String, bool)>),
    /// Never parsed: `.` between input section descriptions of output
    /// section `.0`: the end of what its first `.1` rules (in
    /// `script_link`'s numbering) placed there, else its start; `.2` as in
    /// `Here` when the output has no such section.
    AfterRules(String, u32, Vec<(String, bool)>),
}

/// How a symbol assignment defines its symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provide {
    /// `sym = expr;`
    Always,
    /// `PROVIDE(sym = expr);`: only if referenced and not defined elsewhere.
    Provide,
    /// `PROVIDE_HIDDEN(sym = expr);`
    ProvideHidden,
    /// `HIDDEN(sym = expr);`
    Hidden,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The symbol, or `.` for the location counter.
    pub name: String,
    /// `sym += e` is kept as `sym = sym + e`.
    pub expr: Expr,
    pub provide: Provide,
    pub line: usize,
}

/// How an input section description sorts what it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKind {
    None,
    /// `SORT`, `SORT_BY_NAME`.
    Name,
    Alignment,
    InitPriority,
    /// `SORT_NONE`.
    Unsorted,
}

/// One section-name pattern inside `file(...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionPattern {
    pub glob: String,
    /// `EXCLUDE_FILE(...)` before it: files whose sections it skips.
    pub exclude_files: Vec<String>,
    pub sort: SortKind,
}

/// `[KEEP(] filepattern(sectionpatterns) [)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    pub file: String,
    pub exclude_files: Vec<String>,
    pub sort_files: SortKind,
    /// Empty: every section of the matching files (`file.o` alone).
    pub sections: Vec<SectionPattern>,
    pub keep: bool,
    pub line: usize,
}

/// What goes inside an output section statement's braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputItem {
    Input(InputSpec),
    Assign(Assignment),
    /// `BYTE`, `SHORT`, `LONG`, `QUAD`, `SQUAD` (size 1, 2, 4, 8, 8).
    Data(u8, Expr, usize),
    Fill(Expr, usize),
    Assert(Expr, String, usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSectionStmt {
    pub name: String,
    pub addr: Option<Expr>,
    /// `(NOLOAD)`, `(COPY)`, ...: the type keyword.
    pub kind: Option<String>,
    pub lma: Option<Expr>,
    pub align: Option<Expr>,
    pub subalign: Option<Expr>,
    /// `ONLY_IF_RO` / `ONLY_IF_RW`.
    pub constraint: Option<String>,
    pub items: Vec<OutputItem>,
    pub region: Option<String>,
    pub lma_region: Option<String>,
    pub phdrs: Vec<String>,
    pub fill: Option<Expr>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionsItem {
    Assign(Assignment),
    Output(Box<OutputSectionStmt>),
    Assert(Expr, String, usize),
    Entry(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    pub name: String,
    pub attrs: String,
    pub origin: Expr,
    pub length: Expr,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhdrSpec {
    pub name: String,
    pub p_type: String,
    pub filehdr: bool,
    pub phdrs: bool,
    pub at: Option<Expr>,
    pub flags: Option<Expr>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptCommand {
    /// `INPUT(...)`: the files are linked as if named where the script was.
    Input(Vec<ScriptInput>),
    /// `GROUP(...)`: like `INPUT`, searched repeatedly as a group.
    Group(Vec<ScriptInput>),
    /// `SEARCH_DIR(path)`.
    SearchDir(String),
    /// `OUTPUT_FORMAT(...)`, already checked to be `elf64-x86-64`.
    OutputFormat(String),
    /// `ENTRY(symbol)`.
    Entry(String),
    /// A symbol assignment outside `SECTIONS`.
    Assign(Assignment),
    /// `SECTIONS { ... }` (line of the keyword).
    Sections(Vec<SectionsItem>, usize),
    Memory(Vec<MemoryRegion>, usize),
    Phdrs(Vec<PhdrSpec>, usize),
    /// `ASSERT(expr, "message")`.
    Assert(Expr, String, usize),
    /// `INCLUDE file`: the caller reads and parses it in place.
    Include(String, usize),
    /// `EXTERN(sym ...)`: like `-u sym`.
    Extern(Vec<String>),
    /// `VERSION { ... }`: the text between the braces, a version script;
    /// the line of the opening brace.
    Version(String, usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkerScript {
    pub commands: Vec<ScriptCommand>,
}

impl LinkerScript {
    /// Only `INPUT`, `GROUP`, `SEARCH_DIR`, `OUTPUT_FORMAT` and `ENTRY`:
    /// the kind of script a link reads as a list of inputs.
    pub fn is_input_only(&self) -> bool {
        self.commands.iter().all(|c| {
            matches!(
                c,
                ScriptCommand::Input(_)
                    | ScriptCommand::Group(_)
                    | ScriptCommand::SearchDir(_)
                    | ScriptCommand::OutputFormat(_)
                    | ScriptCommand::Entry(_)
            )
        })
    }
}

/// How deeply `AS_NEEDED(...)` may nest before the script is rejected.
const MAX_NESTING: usize = 16;

/// How deeply expressions (parentheses, unary operators, function
/// arguments) and `SORT(...)` may nest: a bound on the parser's recursion.
const MAX_EXPR_DEPTH: usize = 64;

/// How many bytes `looks_like_script` inspects.
const SNIFF_LEN: usize = 4096;

/// Cheap check: does this file look like a linker script (text, not ELF, not
/// ar)? Looks at the first few KiB only: no NUL or other control bytes
/// except whitespace, and at least one non-whitespace byte.
pub fn looks_like_script(data: &[u8]) -> bool {
    if data.starts_with(b"\x7fELF")
        || data.starts_with(b"!<arch>\n")
        || data.starts_with(b"!<thin>\n")
    {
        return false;
    }
    let head = &data[..data.len().min(SNIFF_LEN)];
    let mut any_text = false;
    for &b in head {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {}
            0..=0x1f | 0x7f => return false,
            _ => any_text = true,
        }
    }
    any_text
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Bytes that end a word (file name, section pattern, command name).
fn ends_word(b: u8) -> bool {
    is_space(b)
        || matches!(b, b'(' | b')' | b',' | b';' | b'{' | b'}' | b'"')
        || b < 0x20
        || b == 0x7f
}

fn is_sym_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'$')
}

fn is_sym_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$')
}

/// What the cursor found next, for error messages.
fn show(s: &str) -> String {
    format!("'{s}'")
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    file: &'a str,
    depth: usize,
}

/// Keywords that start a command where a symbol name could stand.
const SECTIONS_KEYWORDS: &[&str] = &["ENTRY", "ASSERT", "PROVIDE", "PROVIDE_HIDDEN", "HIDDEN"];

impl<'a> Parser<'a> {
    fn err<T>(&self, line: usize, msg: impl std::fmt::Display) -> Result<T> {
        Err(crate::err!("{}:{}: {}", self.file, line, msg))
    }

    /// Skips white space and comments; fails on an unclosed comment or a
    /// control byte.
    fn skip_ws(&mut self) -> Result<()> {
        while self.pos < self.text.len() {
            let b = self.text[self.pos];
            if b == b'\n' {
                self.line += 1;
                self.pos += 1;
            } else if is_space(b) {
                self.pos += 1;
            } else if self.text[self.pos..].starts_with(b"/*") {
                let start = self.line;
                self.pos += 2;
                loop {
                    if self.pos >= self.text.len() {
                        return self.err(start, "unclosed comment in linker script");
                    }
                    if self.text[self.pos..].starts_with(b"*/") {
                        self.pos += 2;
                        break;
                    }
                    if self.text[self.pos] == b'\n' {
                        self.line += 1;
                    }
                    self.pos += 1;
                }
            } else if b < 0x20 || b == 0x7f {
                return self.err(
                    self.line,
                    format!("unexpected byte 0x{b:02x} in linker script"),
                );
            } else {
                break;
            }
        }
        Ok(())
    }

    fn at_end(&mut self) -> Result<bool> {
        self.skip_ws()?;
        Ok(self.pos >= self.text.len())
    }

    fn peek(&mut self) -> Result<Option<u8>> {
        self.skip_ws()?;
        Ok(self.text.get(self.pos).copied())
    }

    /// Consumes `s` if the text continues with it (after white space).
    fn eat(&mut self, s: &str) -> Result<bool> {
        self.skip_ws()?;
        if self.text[self.pos..].starts_with(s.as_bytes()) {
            self.pos += s.len();
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// A description of what comes next, for "expected X but found Y".
    fn found(&mut self) -> Result<String> {
        self.skip_ws()?;
        if self.pos >= self.text.len() {
            return Ok("the end of the script".into());
        }
        let save = (self.pos, self.line);
        let w = match self.text[self.pos] {
            b'"' => self.quoted().map(|s| format!("\"{s}\"")),
            b if ends_word(b) => Ok(show(&(b as char).to_string())),
            _ => self.raw_word(false).map(|s| show(&s)),
        };
        (self.pos, self.line) = save;
        w
    }

    fn expect(&mut self, s: &str) -> Result<()> {
        if self.eat(s)? {
            return Ok(());
        }
        if self.at_end()? {
            return self.err(
                self.line,
                format!("unexpected end of linker script, expected '{s}'"),
            );
        }
        let f = self.found()?;
        self.err(self.line, format!("expected '{s}' but found {f}"))
    }

    fn utf8(&self, bytes: &[u8], line: usize) -> Result<String> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => self.err(line, "invalid UTF-8 in linker script name"),
        }
    }

    /// A `"quoted"` string; the cursor is on the opening quote.
    fn quoted(&mut self) -> Result<String> {
        let start_line = self.line;
        let start = self.pos + 1;
        let mut j = start;
        let mut line = self.line;
        while j < self.text.len() && self.text[j] != b'"' {
            if self.text[j] == b'\n' {
                line += 1;
            }
            j += 1;
        }
        if j >= self.text.len() {
            return self.err(start_line, "unterminated string in linker script");
        }
        let s = self.utf8(&self.text[start..j], start_line)?;
        self.pos = j + 1;
        self.line = line;
        Ok(s)
    }

    /// A word up to white space or punctuation (and `:` when `colon_ends`);
    /// may be empty.
    fn raw_word(&mut self, colon_ends: bool) -> Result<String> {
        let start = self.pos;
        while self.pos < self.text.len() {
            let c = self.text[self.pos];
            if ends_word(c) || (colon_ends && c == b':') {
                break;
            }
            if self.text[self.pos..].starts_with(b"/*") {
                break;
            }
            self.pos += 1;
        }
        self.utf8(&self.text[start..self.pos], self.line)
    }

    /// A word or a quoted string (the bool says quoted); `None` at
    /// punctuation or the end.
    fn word(&mut self, colon_ends: bool) -> Result<Option<(String, bool)>> {
        match self.peek()? {
            None => Ok(None),
            Some(b'"') => Ok(Some((self.quoted()?, true))),
            Some(b) if ends_word(b) || (colon_ends && b == b':') => Ok(None),
            Some(_) => Ok(Some((self.raw_word(colon_ends)?, false))),
        }
    }

    /// A symbol name as expressions spell it (or quoted).
    fn symbol_name(&mut self) -> Result<Option<String>> {
        match self.peek()? {
            Some(b'"') => Ok(Some(self.quoted()?)),
            Some(b) if is_sym_start(b) => {
                let start = self.pos;
                while self.pos < self.text.len() && is_sym_char(self.text[self.pos]) {
                    self.pos += 1;
                }
                Ok(Some(self.utf8(&self.text[start..self.pos], self.line)?))
            }
            _ => Ok(None),
        }
    }

    /// The text up to the `}` that closes an already opened `{` (comments
    /// and strings kept), that brace consumed.
    fn balanced_text(&mut self, open_line: usize) -> Result<String> {
        let start = self.pos;
        let mut depth = 1usize;
        while self.pos < self.text.len() {
            match self.text[self.pos] {
                b'\n' => self.line += 1,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        let s = self.utf8(&self.text[start..self.pos], open_line)?;
                        self.pos += 1;
                        return Ok(s);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.err(
            open_line,
            "unexpected end of linker script, expected '}' to close VERSION",
        )
    }

    /// `( name )` for commands that take one argument.
    fn single_arg(&mut self, cmd: &str) -> Result<(String, usize)> {
        self.expect("(")?;
        let line = self.line;
        let Some((w, _)) = self.word(false)? else {
            let f = self.found()?;
            return self.err(
                self.line,
                format!("expected an argument to {cmd} but found {f}"),
            );
        };
        if w.is_empty() {
            return self.err(line, format!("empty argument to {cmd}"));
        }
        self.expect(")")?;
        Ok((w, line))
    }
}

// ---------------------------------------------------------------------------
// Expressions.

impl Parser<'_> {
    fn expr(&mut self) -> Result<Expr> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return self.err(self.line, "expression nested too deeply in linker script");
        }
        let r = self.ternary();
        self.depth -= 1;
        r
    }

    fn ternary(&mut self) -> Result<Expr> {
        let c = self.binary(0)?;
        if self.peek()? == Some(b'?') {
            self.pos += 1;
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    /// The binary operator next in the text (not consumed) with its
    /// precedence level (0 binds loosest), and its spelling.
    fn peek_binop(&mut self) -> Result<Option<(BinOp, usize, &'static str)>> {
        self.skip_ws()?;
        let rest = &self.text[self.pos..];
        // Longest first; assignment operators (`<<=`, `+=`, ...) and `=`
        // end an expression.
        const OPS: &[(&str, BinOp, usize)] = &[
            ("||", BinOp::LogOr, 0),
            ("&&", BinOp::LogAnd, 1),
            ("<<", BinOp::Shl, 7),
            (">>", BinOp::Shr, 7),
            ("==", BinOp::Eq, 5),
            ("!=", BinOp::Ne, 5),
            ("<=", BinOp::Le, 6),
            (">=", BinOp::Ge, 6),
            ("<", BinOp::Lt, 6),
            (">", BinOp::Gt, 6),
            ("|", BinOp::Or, 2),
            ("^", BinOp::Xor, 3),
            ("&", BinOp::And, 4),
            ("+", BinOp::Add, 8),
            ("-", BinOp::Sub, 8),
            ("*", BinOp::Mul, 9),
            ("/", BinOp::Div, 9),
            ("%", BinOp::Rem, 9),
        ];
        for &(s, op, prec) in OPS {
            if rest.starts_with(s.as_bytes()) {
                let after = rest.get(s.len()).copied();
                if after == Some(b'=') && !matches!(s, "<" | ">" | "==" | "!=" | "<=" | ">=") {
                    return Ok(None);
                }
                return Ok(Some((op, prec, s)));
            }
        }
        Ok(None)
    }

    /// Precedence climbing over the binary operators at `min` and above.
    fn binary(&mut self, min: usize) -> Result<Expr> {
        let mut lhs = self.unary()?;
        while let Some((op, prec, s)) = self.peek_binop()? {
            if prec < min {
                break;
            }
            self.pos += s.len();
            let rhs = self.binary(prec + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return self.err(self.line, "expression nested too deeply in linker script");
        }
        let r = match self.peek()? {
            Some(b'-') => {
                self.pos += 1;
                self.unary().map(|e| Expr::Neg(Box::new(e)))
            }
            Some(b'+') => {
                self.pos += 1;
                self.unary()
            }
            Some(b'!') => {
                self.pos += 1;
                self.unary().map(|e| Expr::Not(Box::new(e)))
            }
            Some(b'~') => {
                self.pos += 1;
                self.unary().map(|e| Expr::Invert(Box::new(e)))
            }
            _ => self.primary(),
        };
        self.depth -= 1;
        r
    }

    fn number(&mut self) -> Result<Expr> {
        let line = self.line;
        let start = self.pos;
        while self.pos < self.text.len() && self.text[self.pos].is_ascii_alphanumeric() {
            self.pos += 1;
        }
        let w = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        let bad = || {
            crate::err!(
                "{}:{}: invalid number '{}' in linker script",
                self.file,
                line,
                w
            )
        };
        let (digits, mul) = match w.as_bytes().last() {
            Some(b'K' | b'k') => (&w[..w.len() - 1], 1024u64),
            Some(b'M' | b'm') => (&w[..w.len() - 1], 1024 * 1024),
            _ => (w, 1),
        };
        let v = if let Some(h) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            u64::from_str_radix(h, 16)
        } else if let Some(h) = digits.strip_suffix(['h', 'H']) {
            u64::from_str_radix(h, 16)
        } else {
            digits.parse::<u64>()
        }
        .map_err(|_| bad())?;
        v.checked_mul(mul).map(Expr::Num).ok_or_else(bad)
    }

    /// `( name )` where the name is a section, symbol or region.
    fn paren_name(&mut self, func: &str) -> Result<String> {
        self.expect("(")?;
        let Some((n, _)) = self.word(false)? else {
            let f = self.found()?;
            return self.err(
                self.line,
                format!("expected a name in {func}() but found {f}"),
            );
        };
        self.expect(")")?;
        Ok(n)
    }

    fn paren_expr(&mut self) -> Result<Expr> {
        self.expect("(")?;
        let e = self.expr()?;
        self.expect(")")?;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr> {
        let line = self.line;
        match self.peek()? {
            None => return self.err(line, "unexpected end of linker script in an expression"),
            Some(b'(') => return self.paren_expr(),
            Some(b'0'..=b'9') => return self.number(),
            Some(b'$')
                if self
                    .text
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_hexdigit) =>
            {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.text.len() && self.text[self.pos].is_ascii_hexdigit() {
                    self.pos += 1;
                }
                let h = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
                return u64::from_str_radix(h, 16).map(Expr::Num).or_else(|_| {
                    self.err(line, format!("invalid number '${h}' in linker script"))
                });
            }
            _ => {}
        }
        let Some(name) = self.symbol_name()? else {
            let f = self.found()?;
            return self.err(line, format!("expected an expression but found {f}"));
        };
        if name == "." {
            return Ok(Expr::Dot);
        }
        let call = self.peek()? == Some(b'(');
        let b = |e: Expr| Box::new(e);
        Ok(match name.as_str() {
            "SIZEOF_HEADERS" | "sizeof_headers" => Expr::SizeofHeaders,
            "ADDR" if call => Expr::Section(SecFn::Addr, self.paren_name(&name)?),
            "SIZEOF" if call => Expr::Section(SecFn::Sizeof, self.paren_name(&name)?),
            "LOADADDR" if call => Expr::Section(SecFn::Loadaddr, self.paren_name(&name)?),
            "ALIGNOF" if call => Expr::Section(SecFn::Alignof, self.paren_name(&name)?),
            "DEFINED" if call => Expr::Defined(self.paren_name(&name)?),
            "ORIGIN" if call => Expr::Region(true, self.paren_name(&name)?),
            "LENGTH" if call => Expr::Region(false, self.paren_name(&name)?),
            "CONSTANT" if call => match self.paren_name(&name)?.as_str() {
                "MAXPAGESIZE" => Expr::PageSize(true),
                "COMMONPAGESIZE" => Expr::PageSize(false),
                other => return self.err(line, format!("unknown constant {other} in CONSTANT()")),
            },
            "ABSOLUTE" if call => Expr::Absolute(b(self.paren_expr()?)),
            "NEXT" if call => Expr::Align(None, b(self.paren_expr()?)),
            "DATA_SEGMENT_END" if call => Expr::Passthrough(b(self.paren_expr()?)),
            // `SEGMENT_START("text-segment", 0x400000)`: the default; a
            // `-Ttext-segment` on the command line sets the image base
            // anyway.
            "SEGMENT_START" if call => {
                self.expect("(")?;
                if self.word(false)?.is_none() {
                    let f = self.found()?;
                    return self.err(
                        line,
                        format!("expected a segment name in SEGMENT_START() but found {f}"),
                    );
                }
                self.expect(",")?;
                let e = self.expr()?;
                self.expect(")")?;
                Expr::Passthrough(b(e))
            }
            "ALIGN" | "MAX" | "MIN" | "DATA_SEGMENT_ALIGN" | "DATA_SEGMENT_RELRO_END" | "BLOCK"
                if call =>
            {
                self.expect("(")?;
                let a = self.expr()?;
                let second = if self.eat(",")? {
                    Some(self.expr()?)
                } else {
                    None
                };
                self.expect(")")?;
                match (name.as_str(), second) {
                    ("ALIGN" | "BLOCK", None) => Expr::Align(None, b(a)),
                    ("ALIGN", Some(n)) => Expr::Align(Some(b(a)), b(n)),
                    ("MAX", Some(n)) => Expr::Max(b(a), b(n)),
                    ("MIN", Some(n)) => Expr::Min(b(a), b(n)),
                    ("DATA_SEGMENT_ALIGN", Some(n)) => Expr::DataSegmentAlign(b(a), b(n)),
                    ("DATA_SEGMENT_RELRO_END", Some(n)) => Expr::Passthrough(b(n)),
                    (f, _) => return self.err(line, format!("wrong number of arguments to {f}()")),
                }
            }
            _ if call && name.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') => {
                return self.err(
                    line,
                    format!("unknown function {name}() in linker script expression"),
                )
            }
            _ => Expr::Symbol(name),
        })
    }

    /// After a symbol name: an assignment operator and the expression,
    /// up to (not including) the terminator.
    fn assignment_rest(
        &mut self,
        name: String,
        provide: Provide,
        line: usize,
    ) -> Result<Assignment> {
        self.skip_ws()?;
        const OPS: &[(&str, Option<BinOp>)] = &[
            ("<<=", Some(BinOp::Shl)),
            (">>=", Some(BinOp::Shr)),
            ("+=", Some(BinOp::Add)),
            ("-=", Some(BinOp::Sub)),
            ("*=", Some(BinOp::Mul)),
            ("/=", Some(BinOp::Div)),
            ("&=", Some(BinOp::And)),
            ("|=", Some(BinOp::Or)),
            ("=", None),
        ];
        for &(s, op) in OPS {
            if self.text[self.pos..].starts_with(s.as_bytes()) {
                self.pos += s.len();
                let e = self.expr()?;
                let expr = match op {
                    None => e,
                    Some(op) => {
                        let lhs = if name == "." {
                            Expr::Dot
                        } else {
                            Expr::Symbol(name.clone())
                        };
                        Expr::Binary(op, Box::new(lhs), Box::new(e))
                    }
                };
                return Ok(Assignment {
                    name,
                    expr,
                    provide,
                    line,
                });
            }
        }
        let f = self.found()?;
        self.err(
            self.line,
            format!("expected an assignment to {name} but found {f}"),
        )
    }

    /// `PROVIDE(sym = e)`, `PROVIDE_HIDDEN(...)`, `HIDDEN(...)` after the keyword.
    fn provide(&mut self, kw: &str, line: usize) -> Result<Assignment> {
        let provide = match kw {
            "PROVIDE" => Provide::Provide,
            "PROVIDE_HIDDEN" => Provide::ProvideHidden,
            _ => Provide::Hidden,
        };
        self.expect("(")?;
        let Some(name) = self.symbol_name()? else {
            let f = self.found()?;
            return self.err(
                self.line,
                format!("expected a symbol name in {kw} but found {f}"),
            );
        };
        let a = self.assignment_rest(name, provide, line)?;
        self.expect(")")?;
        Ok(a)
    }

    /// `ASSERT(expr, "message")` after the keyword.
    fn assert(&mut self) -> Result<(Expr, String)> {
        self.expect("(")?;
        let e = self.expr()?;
        self.expect(",")?;
        let msg = match self.word(false)? {
            Some((m, _)) => m,
            None => String::new(),
        };
        self.expect(")")?;
        Ok((e, msg))
    }
}

// ---------------------------------------------------------------------------
// Commands.

impl Parser<'_> {
    /// The inside of `INPUT(...)`, `GROUP(...)` or `AS_NEEDED(...)` up to and
    /// including the closing parenthesis.
    fn input_list(
        &mut self,
        cmd: &str,
        as_needed: bool,
        depth: usize,
        out: &mut Vec<ScriptInput>,
    ) -> Result<()> {
        // An unclosed list is reported where its last name was.
        let mut last_line = self.line;
        loop {
            self.skip_ws()?;
            let line = self.line;
            match self.text.get(self.pos) {
                None => {
                    return self.err(
                        last_line,
                        format!("unexpected end of linker script, expected ')' to close {cmd}"),
                    )
                }
                Some(b')') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => self.pos += 1,
                Some(b'"') => {
                    let s = self.quoted()?;
                    if s.is_empty() {
                        return self.err(line, format!("empty file name in {cmd}"));
                    }
                    out.push(ScriptInput {
                        file: ScriptFile::Path(s),
                        as_needed,
                    });
                }
                Some(&b) if ends_word(b) => {
                    return self.err(line, format!("unexpected '{}' in {cmd}", b as char))
                }
                Some(_) => {
                    last_line = line;
                    let s = self.raw_word(false)?;
                    if s == "AS_NEEDED" {
                        if depth >= MAX_NESTING {
                            return self.err(line, "AS_NEEDED nested too deeply in linker script");
                        }
                        self.expect("(")?;
                        self.input_list("AS_NEEDED", true, depth + 1, out)?;
                        continue;
                    }
                    let file = if let Some(lib) = s.strip_prefix("-l") {
                        if lib.is_empty() {
                            return self.err(line, format!("-l without a library name in {cmd}"));
                        }
                        ScriptFile::Library(lib.to_string())
                    } else {
                        ScriptFile::Path(s)
                    };
                    out.push(ScriptInput { file, as_needed });
                }
            }
        }
    }

    fn output_format(&mut self, line: usize) -> Result<ScriptCommand> {
        self.expect("(")?;
        let mut formats = Vec::new();
        loop {
            let fline = self.line;
            let Some((f, _)) = self.word(false)? else {
                let f = self.found()?;
                return self.err(
                    self.line,
                    format!("expected an argument to OUTPUT_FORMAT but found {f}"),
                );
            };
            formats.push((f, fline));
            if self.eat(")")? {
                break;
            }
            if !self.eat(",")? {
                let f = self.found()?;
                return self.err(
                    self.line,
                    format!("expected ',' or ')' in OUTPUT_FORMAT but found {f}"),
                );
            }
        }
        if formats.len() != 1 && formats.len() != 3 {
            return self.err(
                line,
                format!(
                    "OUTPUT_FORMAT takes one or three arguments, found {}",
                    formats.len()
                ),
            );
        }
        for (f, fline) in &formats {
            if f != "elf64-x86-64" {
                return self.err(
                    *fline,
                    format!("unsupported output format {f} (only elf64-x86-64 is supported)"),
                );
            }
        }
        Ok(ScriptCommand::OutputFormat(formats.swap_remove(0).0))
    }

    /// One top-level command whose keyword (or symbol name) `name` was read.
    fn command(&mut self, name: &str, line: usize) -> Result<Option<ScriptCommand>> {
        Ok(Some(match name {
            "INPUT" | "GROUP" | "STARTUP" => {
                self.expect("(")?;
                let mut list = Vec::new();
                self.input_list(name, false, 0, &mut list)?;
                if name == "GROUP" {
                    ScriptCommand::Group(list)
                } else {
                    ScriptCommand::Input(list)
                }
            }
            "OUTPUT_FORMAT" => self.output_format(line)?,
            "OUTPUT_ARCH" => {
                let (arch, aline) = self.single_arg(name)?;
                if arch != "i386:x86-64" {
                    return self.err(
                        aline,
                        format!("unsupported OUTPUT_ARCH {arch} (only i386:x86-64 is supported)"),
                    );
                }
                return Ok(None);
            }
            "TARGET" => {
                let (t, tline) = self.single_arg(name)?;
                if t != "elf64-x86-64" {
                    return self.err(tline, format!("unsupported TARGET {t}"));
                }
                return Ok(None);
            }
            "SEARCH_DIR" => ScriptCommand::SearchDir(self.single_arg(name)?.0),
            "ENTRY" => ScriptCommand::Entry(self.single_arg(name)?.0),
            "INCLUDE" => match self.word(false)? {
                Some((f, _)) if !f.is_empty() => ScriptCommand::Include(f, line),
                _ => return self.err(line, "INCLUDE without a file name"),
            },
            "EXTERN" => {
                self.expect("(")?;
                let mut syms = Vec::new();
                while !self.eat(")")? {
                    self.eat(",")?;
                    match self.word(false)? {
                        Some((s, _)) => syms.push(s),
                        None if self.at_end()? => {
                            return self.err(line, "unexpected end of linker script in EXTERN")
                        }
                        None => {}
                    }
                }
                ScriptCommand::Extern(syms)
            }
            "ASSERT" => {
                let (e, m) = self.assert()?;
                ScriptCommand::Assert(e, m, line)
            }
            "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" => {
                ScriptCommand::Assign(self.provide(name, line)?)
            }
            "FORCE_COMMON_ALLOCATION" | "INHIBIT_COMMON_ALLOCATION" | "FORCE_GROUP_ALLOCATION" => {
                return Ok(None)
            }
            "NOCROSSREFS" | "NOCROSSREFS_TO" => {
                // A check GNU ld makes on the finished link; cld accepts
                // and skips it.
                self.expect("(")?;
                while !self.eat(")")? {
                    if self.at_end()? {
                        return self.err(line, "unexpected end of linker script in NOCROSSREFS");
                    }
                    if self.word(false)?.is_none() {
                        self.pos += 1;
                    }
                }
                return Ok(None);
            }
            "SECTIONS" => ScriptCommand::Sections(self.sections()?, line),
            "VERSION" => {
                self.expect("{")?;
                let open = self.line;
                ScriptCommand::Version(self.balanced_text(open)?, open)
            }
            "INSERT" => {
                // `SECTIONS { ... } INSERT AFTER .data;`: where the
                // statements go in the default script. cld places output
                // sections by their flags anyway, so it is accepted.
                let save = (self.pos, self.line);
                match self.symbol_name()?.as_deref() {
                    Some("AFTER" | "BEFORE") => {}
                    _ => {
                        (self.pos, self.line) = save;
                        let f = self.found()?;
                        return self.err(
                            line,
                            format!("expected AFTER or BEFORE after INSERT but found {f}"),
                        );
                    }
                }
                match self.word(false)? {
                    Some((w, _)) if !w.is_empty() => return Ok(None),
                    _ => return self.err(line, "INSERT without an output section name"),
                }
            }
            "MEMORY" => ScriptCommand::Memory(self.memory()?, line),
            "PHDRS" => ScriptCommand::Phdrs(self.phdrs()?, line),
            _ if self.next_is_assign_op()? => ScriptCommand::Assign(self.assignment_rest(
                name.to_string(),
                Provide::Always,
                line,
            )?),
            _ => {
                return self.err(
                    line,
                    format!("linker script command {name} is not supported"),
                );
            }
        }))
    }

    /// Does an assignment operator (`=`, `+=`, ...; not `==`) come next?
    fn next_is_assign_op(&mut self) -> Result<bool> {
        self.skip_ws()?;
        let r = &self.text[self.pos..];
        Ok((r.starts_with(b"=") && !r.starts_with(b"=="))
            || [
                &b"+="[..],
                b"-=",
                b"*=",
                b"/=",
                b"&=",
                b"|=",
                b"<<=",
                b">>=",
            ]
            .iter()
            .any(|op| r.starts_with(op)))
    }

    /// An assignment's terminating `;` (GNU ld also takes `,` and a closing
    /// brace after the last one).
    fn end_statement(&mut self) -> Result<()> {
        if self.eat(";")? || self.eat(",")? || self.peek()? == Some(b'}') {
            return Ok(());
        }
        let f = self.found()?;
        self.err(self.line, format!("expected ';' but found {f}"))
    }

    /// In a `{ ... }` block: skips blanks and `;`s, and gives the line of
    /// the next statement, or `None` having eaten the closing `}`; the end
    /// of the script is an error naming `what` the brace would close.
    fn block_next(&mut self, what: &str) -> Result<Option<usize>> {
        loop {
            self.skip_ws()?;
            let line = self.line;
            if self.eat("}")? {
                return Ok(None);
            }
            if self.eat(";")? {
                continue;
            }
            if self.at_end()? {
                return self.err(
                    line,
                    format!("unexpected end of linker script, expected '}}' to close {what}"),
                );
            }
            return Ok(Some(line));
        }
    }

    /// `SECTIONS { ... }` after the keyword.
    fn sections(&mut self) -> Result<Vec<SectionsItem>> {
        self.expect("{")?;
        let mut items = Vec::new();
        loop {
            let Some(line) = self.block_next("SECTIONS")? else {
                return Ok(items);
            };
            // A symbol or the location counter being assigned?
            let save = (self.pos, self.line);
            if let Some(name) = self.symbol_name()? {
                if !SECTIONS_KEYWORDS.contains(&name.as_str()) && self.next_is_assign_op()? {
                    let a = self.assignment_rest(name, Provide::Always, line)?;
                    self.end_statement()?;
                    items.push(SectionsItem::Assign(a));
                    continue;
                }
                match name.as_str() {
                    "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" => {
                        items.push(SectionsItem::Assign(self.provide(&name, line)?));
                        continue;
                    }
                    "ASSERT" => {
                        let (e, m) = self.assert()?;
                        items.push(SectionsItem::Assert(e, m, line));
                        continue;
                    }
                    "ENTRY" => {
                        items.push(SectionsItem::Entry(self.single_arg("ENTRY")?.0));
                        continue;
                    }
                    "OVERLAY" | "INCLUDE" => {
                        return self.err(line, format!("{name} in SECTIONS is not supported"));
                    }
                    _ => {}
                }
            }
            (self.pos, self.line) = save;
            let Some((name, _)) = self.word(true)? else {
                let f = self.found()?;
                return self.err(
                    line,
                    format!("expected an output section or assignment in SECTIONS but found {f}"),
                );
            };
            items.push(SectionsItem::Output(Box::new(
                self.output_section(name, line)?,
            )));
        }
    }

    /// An output section statement after its name.
    fn output_section(&mut self, name: String, line: usize) -> Result<OutputSectionStmt> {
        let mut st = OutputSectionStmt {
            name,
            addr: None,
            kind: None,
            lma: None,
            align: None,
            subalign: None,
            constraint: None,
            items: Vec::new(),
            region: None,
            lma_region: None,
            phdrs: Vec::new(),
            fill: None,
            line,
        };
        // `[address] [(type)] :`
        if self.peek()? == Some(b'(') {
            let save = (self.pos, self.line);
            self.pos += 1;
            let kw = self.symbol_name()?;
            match kw.as_deref() {
                Some("NOLOAD" | "COPY" | "INFO" | "OVERLAY" | "DSECT" | "READONLY")
                    if self.eat(")")? =>
                {
                    st.kind = kw
                }
                _ => {
                    (self.pos, self.line) = save;
                    st.addr = Some(self.expr()?);
                }
            }
        } else if self.peek()? != Some(b':') {
            st.addr = Some(self.expr()?);
            if self.eat("(")? {
                let kw = self.symbol_name()?;
                self.expect(")")?;
                st.kind = kw;
            }
        }
        self.expect(":")?;
        loop {
            let save = (self.pos, self.line);
            match self.symbol_name()?.as_deref() {
                Some("AT") => st.lma = Some(self.paren_expr()?),
                Some("ALIGN") => st.align = Some(self.paren_expr()?),
                Some("SUBALIGN") => st.subalign = Some(self.paren_expr()?),
                Some("ALIGN_WITH_INPUT") => {}
                Some(c @ ("ONLY_IF_RO" | "ONLY_IF_RW")) => st.constraint = Some(c.to_string()),
                _ => {
                    (self.pos, self.line) = save;
                    break;
                }
            }
        }
        self.expect("{")?;
        st.items = self.output_items()?;
        // `>region AT>region :phdr ... =fill`
        loop {
            if self.eat(">")? {
                st.region = self.word(true)?.map(|w| w.0);
            } else if self.eat("AT>")? || self.eat("AT >")? {
                st.lma_region = self.word(true)?.map(|w| w.0);
            } else if self.peek()? == Some(b':') {
                self.pos += 1;
                match self.word(true)? {
                    Some((p, _)) if !p.is_empty() => st.phdrs.push(p),
                    _ => return self.err(self.line, "expected a program header name after ':'"),
                }
            } else if self.eat("=")? {
                st.fill = Some(self.expr()?);
            } else {
                break;
            }
        }
        self.eat(",")?;
        Ok(st)
    }

    /// The statements inside an output section's braces, and the `}`.
    fn output_items(&mut self) -> Result<Vec<OutputItem>> {
        let mut items = Vec::new();
        loop {
            let Some(line) = self.block_next("the output section")? else {
                return Ok(items);
            };
            let save = (self.pos, self.line);
            if let Some(name) = self.symbol_name()? {
                if self.next_is_assign_op()? {
                    let a = self.assignment_rest(name, Provide::Always, line)?;
                    self.end_statement()?;
                    items.push(OutputItem::Assign(a));
                    continue;
                }
                let size = match name.as_str() {
                    "BYTE" => 1,
                    "SHORT" => 2,
                    "LONG" => 4,
                    "QUAD" | "SQUAD" => 8,
                    _ => 0,
                };
                if size > 0 && self.peek()? == Some(b'(') {
                    items.push(OutputItem::Data(size, self.paren_expr()?, line));
                    continue;
                }
                match name.as_str() {
                    "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" => {
                        items.push(OutputItem::Assign(self.provide(&name, line)?));
                        continue;
                    }
                    "FILL" => {
                        items.push(OutputItem::Fill(self.paren_expr()?, line));
                        continue;
                    }
                    "ASSERT" => {
                        let (e, m) = self.assert()?;
                        items.push(OutputItem::Assert(e, m, line));
                        continue;
                    }
                    "CONSTRUCTORS" | "CREATE_OBJECT_SYMBOLS" => continue,
                    "INCLUDE" => {
                        return self.err(line, "INCLUDE inside an output section is not supported")
                    }
                    _ => {}
                }
            }
            (self.pos, self.line) = save;
            items.push(OutputItem::Input(self.input_spec(line)?));
        }
    }

    /// `SORT_BY_NAME(`-style wrappers: the sort they ask for, the `(` consumed.
    fn sort_keyword(&mut self) -> Result<Option<SortKind>> {
        let save = (self.pos, self.line);
        let kind = match self.symbol_name()?.as_deref() {
            Some("SORT" | "SORT_BY_NAME") => SortKind::Name,
            Some("SORT_BY_ALIGNMENT") => SortKind::Alignment,
            Some("SORT_BY_INIT_PRIORITY") => SortKind::InitPriority,
            Some("SORT_NONE") => SortKind::Unsorted,
            _ => {
                (self.pos, self.line) = save;
                return Ok(None);
            }
        };
        if !self.eat("(")? {
            (self.pos, self.line) = save;
            return Ok(None);
        }
        Ok(Some(kind))
    }

    /// `EXCLUDE_FILE(f ...)`, when it comes next.
    fn exclude_file(&mut self) -> Result<Vec<String>> {
        let save = (self.pos, self.line);
        if self.symbol_name()?.as_deref() == Some("EXCLUDE_FILE") && self.eat("(")? {
            let mut v = Vec::new();
            while !self.eat(")")? {
                match self.word(false)? {
                    Some((w, _)) => v.push(w),
                    None if self.eat(",")? => {}
                    None => {
                        let f = self.found()?;
                        return self.err(self.line, format!("unexpected {f} in EXCLUDE_FILE"));
                    }
                }
            }
            return Ok(v);
        }
        (self.pos, self.line) = save;
        Ok(Vec::new())
    }

    /// An input section description: `[KEEP(] files(sections) [)]`.
    fn input_spec(&mut self, line: usize) -> Result<InputSpec> {
        let save = (self.pos, self.line);
        let keep = self.symbol_name()?.as_deref() == Some("KEEP") && self.eat("(")?;
        if !keep {
            (self.pos, self.line) = save;
        }
        let exclude_files = self.exclude_file()?;
        let sort_files = match self.sort_keyword()? {
            Some(k) => {
                let w = self.word(false)?;
                self.expect(")")?;
                (k, w)
            }
            None => (SortKind::None, self.word(false)?),
        };
        let (sort_files, Some((file, _))) = sort_files else {
            let f = self.found()?;
            return self.err(
                line,
                format!("expected an input section description but found {f}"),
            );
        };
        let mut spec = InputSpec {
            file,
            exclude_files,
            sort_files,
            sections: Vec::new(),
            keep,
            line,
        };
        if self.eat("(")? {
            self.section_patterns(&mut spec.sections, SortKind::None, 0)?;
        }
        if keep {
            self.expect(")")?;
        }
        Ok(spec)
    }

    /// Section patterns up to and including the `)` that closes them.
    fn section_patterns(
        &mut self,
        out: &mut Vec<SectionPattern>,
        sort: SortKind,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_NESTING {
            return self.err(self.line, "SORT nested too deeply in linker script");
        }
        loop {
            if self.eat(")")? {
                return Ok(());
            }
            if self.eat(",")? {
                continue;
            }
            if let Some(k) = self.sort_keyword()? {
                // `SORT_BY_NAME(SORT_BY_ALIGNMENT(...))`: the outer sort is
                // the primary one.
                let k = if sort == SortKind::None { k } else { sort };
                self.section_patterns(out, k, depth + 1)?;
                continue;
            }
            let exclude_files = self.exclude_file()?;
            match self.word(false)? {
                Some((glob, _)) if !glob.is_empty() => out.push(SectionPattern {
                    glob,
                    exclude_files,
                    sort,
                }),
                _ => {
                    let f = self.found()?;
                    return self.err(
                        self.line,
                        format!("expected a section name pattern but found {f}"),
                    );
                }
            }
        }
    }

    /// `MEMORY { name (attrs) : ORIGIN = e, LENGTH = e ... }` after the keyword.
    fn memory(&mut self) -> Result<Vec<MemoryRegion>> {
        self.expect("{")?;
        let mut regions = Vec::new();
        loop {
            if self.eat("}")? {
                return Ok(regions);
            }
            let line = self.line;
            let Some((name, _)) = self.word(true)? else {
                let f = self.found()?;
                return self.err(line, format!("expected a memory region but found {f}"));
            };
            let mut attrs = String::new();
            if self.eat("(")? {
                attrs = self.word(false)?.map(|w| w.0).unwrap_or_default();
                self.expect(")")?;
            }
            self.expect(":")?;
            let mut origin = None;
            let mut length = None;
            for _ in 0..2 {
                self.eat(",")?;
                let kline = self.line;
                let Some(kw) = self.symbol_name()? else {
                    break;
                };
                self.expect("=")?;
                let e = self.expr()?;
                match kw.as_str() {
                    "ORIGIN" | "org" | "o" => origin = Some(e),
                    "LENGTH" | "len" | "l" => length = Some(e),
                    _ => {
                        return self.err(
                            kline,
                            format!("expected ORIGIN or LENGTH in MEMORY but found '{kw}'"),
                        )
                    }
                }
            }
            let (Some(origin), Some(length)) = (origin, length) else {
                return self.err(
                    line,
                    format!("memory region {name} needs ORIGIN and LENGTH"),
                );
            };
            regions.push(MemoryRegion {
                name,
                attrs,
                origin,
                length,
                line,
            });
        }
    }

    /// `PHDRS { name TYPE [FILEHDR] [PHDRS] [AT(e)] [FLAGS(e)] ; ... }`.
    fn phdrs(&mut self) -> Result<Vec<PhdrSpec>> {
        self.expect("{")?;
        let mut out = Vec::new();
        loop {
            if self.eat("}")? {
                return Ok(out);
            }
            let line = self.line;
            let (Some((name, _)), Some(p_type)) = (self.word(false)?, self.symbol_name()?) else {
                let f = self.found()?;
                return self.err(
                    line,
                    format!("expected a program header name and type but found {f}"),
                );
            };
            let mut ph = PhdrSpec {
                name,
                p_type,
                filehdr: false,
                phdrs: false,
                at: None,
                flags: None,
                line,
            };
            loop {
                if self.eat(";")? {
                    break;
                }
                let save = (self.pos, self.line);
                match self.symbol_name()?.as_deref() {
                    Some("FILEHDR") => ph.filehdr = true,
                    Some("PHDRS") => ph.phdrs = true,
                    Some("AT") => ph.at = Some(self.paren_expr()?),
                    Some("FLAGS") => ph.flags = Some(self.paren_expr()?),
                    _ => {
                        (self.pos, self.line) = save;
                        let f = self.found()?;
                        return self.err(self.line, format!("unexpected {f} in PHDRS"));
                    }
                }
            }
            out.push(ph);
        }
    }

    fn script(&mut self) -> Result<LinkerScript> {
        let mut commands = Vec::new();
        loop {
            self.skip_ws()?;
            let line = self.line;
            let Some(&b) = self.text.get(self.pos) else {
                return Ok(LinkerScript { commands });
            };
            if b == b';' {
                self.pos += 1;
                continue;
            }
            let name = if b == b'"' {
                self.quoted()?
            } else if ends_word(b) {
                return self.err(line, format!("unexpected '{}' in linker script", b as char));
            } else if is_sym_start(b) {
                // A command keyword or the symbol of an assignment.
                self.symbol_name()?.unwrap_or_default()
            } else {
                self.raw_word(false)?
            };
            if let Some(cmd) = self.command(&name, line)? {
                let assign =
                    matches!(cmd, ScriptCommand::Assign(ref a) if a.provide == Provide::Always);
                commands.push(cmd);
                if assign {
                    self.end_statement()?;
                }
            }
        }
    }
}

/// An unclosed comment anywhere is reported before anything else (GNU ld
/// and mold read the whole script first, so a script with both an unknown
/// command and an unclosed comment is blamed for the comment).
fn check_comments(text: &[u8], file: &str) -> Result<()> {
    let mut line = 1;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\n' => line += 1,
            b'"' => {
                // Strings may hold `/*`; an unterminated one is the
                // parser's to report.
                while i + 1 < text.len() && text[i + 1] != b'"' {
                    i += 1;
                    if text[i] == b'\n' {
                        line += 1;
                    }
                }
                i += 1;
            }
            b'/' if text.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= text.len() {
                        crate::bail!("{file}:{start}: unclosed comment in linker script");
                    }
                    if text[i] == b'*' && text[i + 1] == b'/' {
                        i += 1;
                        break;
                    }
                    if text[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Parse a linker script. `file_name` is used in error messages, which
/// have the form `FILE:LINE: message`.
pub fn parse_script(text: &[u8], file_name: &str) -> Result<LinkerScript> {
    check_comments(text, file_name)?;
    let mut p = Parser {
        text,
        pos: 0,
        line: 1,
        file: file_name,
        depth: 0,
    };
    p.script()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIBC_SO: &str = "/* GNU ld script
   Use the shared library, but some functions are only in
   the static library, so try that secondarily.  */
OUTPUT_FORMAT(elf64-x86-64)
GROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )
";

    const LIBM_SO: &str = "/* GNU ld script
*/
OUTPUT_FORMAT(elf64-x86-64)
GROUP ( /lib/x86_64-linux-gnu/libm.so.6  AS_NEEDED ( /lib/x86_64-linux-gnu/libmvec.so.1 ) )
";

    const LIBGCC_S_SO: &str = "/* GNU ld script
   Use the shared library, but some functions are only in
   the static library.  */
GROUP ( libgcc_s.so.1 -lgcc )
";

    fn path(p: &str, as_needed: bool) -> ScriptInput {
        ScriptInput {
            file: ScriptFile::Path(p.to_string()),
            as_needed,
        }
    }

    fn lib(p: &str, as_needed: bool) -> ScriptInput {
        ScriptInput {
            file: ScriptFile::Library(p.to_string()),
            as_needed,
        }
    }

    fn parse(s: &str) -> Result<LinkerScript> {
        parse_script(s.as_bytes(), "test.so")
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(v) => panic!("expected an error for {s:?}, got {v:?}"),
            Err(e) => e.msg,
        }
    }

    #[test]
    fn libc_so() {
        let s = parse(LIBC_SO).unwrap();
        assert_eq!(
            s.commands,
            vec![
                ScriptCommand::OutputFormat("elf64-x86-64".into()),
                ScriptCommand::Group(vec![
                    path("/lib/x86_64-linux-gnu/libc.so.6", false),
                    path("/usr/lib/x86_64-linux-gnu/libc_nonshared.a", false),
                    path("/lib64/ld-linux-x86-64.so.2", true),
                ]),
            ]
        );
        assert!(looks_like_script(LIBC_SO.as_bytes()));
    }

    #[test]
    fn libm_so() {
        let s = parse(LIBM_SO).unwrap();
        assert_eq!(
            s.commands,
            vec![
                ScriptCommand::OutputFormat("elf64-x86-64".into()),
                ScriptCommand::Group(vec![
                    path("/lib/x86_64-linux-gnu/libm.so.6", false),
                    path("/lib/x86_64-linux-gnu/libmvec.so.1", true),
                ]),
            ]
        );
    }

    #[test]
    fn libgcc_s_so() {
        let s = parse(LIBGCC_S_SO).unwrap();
        assert_eq!(
            s.commands,
            vec![ScriptCommand::Group(vec![
                path("libgcc_s.so.1", false),
                lib("gcc", false),
            ])]
        );
    }

    /// The real scripts on this machine, when present, parse.
    #[test]
    fn system_scripts_parse() {
        for f in [
            "/usr/lib/x86_64-linux-gnu/libc.so",
            "/usr/lib/x86_64-linux-gnu/libm.so",
            "/usr/lib/gcc/x86_64-linux-gnu/12/libgcc_s.so",
        ] {
            if let Ok(data) = std::fs::read(f) {
                assert!(looks_like_script(&data), "{f}");
                let s = parse_script(&data, f).unwrap();
                assert!(
                    s.commands
                        .iter()
                        .any(|c| matches!(c, ScriptCommand::Group(v) if !v.is_empty())),
                    "{f}"
                );
            }
        }
    }

    #[test]
    fn input_commas_quotes_and_libs() {
        let s = parse(
            "INPUT(a.o, \"b c.o\" ,-lfoo -l:bar.a AS_NEEDED(-lz, x.so AS_NEEDED(y.so)));\n\
             SEARCH_DIR(\"/opt/lib\"); SEARCH_DIR(/usr/local/lib)\nENTRY(my_start)",
        )
        .unwrap();
        assert_eq!(
            s.commands,
            vec![
                ScriptCommand::Input(vec![
                    path("a.o", false),
                    path("b c.o", false),
                    lib("foo", false),
                    lib(":bar.a", false),
                    lib("z", true),
                    path("x.so", true),
                    path("y.so", true),
                ]),
                ScriptCommand::SearchDir("/opt/lib".into()),
                ScriptCommand::SearchDir("/usr/local/lib".into()),
                ScriptCommand::Entry("my_start".into()),
            ]
        );
    }

    #[test]
    fn quoted_dash_l_is_a_path() {
        let s = parse("INPUT(\"-lfoo\")").unwrap();
        assert_eq!(
            s.commands,
            vec![ScriptCommand::Input(vec![path("-lfoo", false)])]
        );
    }

    #[test]
    fn output_format_three_and_arch() {
        let s = parse(
            "OUTPUT_FORMAT(\"elf64-x86-64\", \"elf64-x86-64\", \"elf64-x86-64\")\n\
             OUTPUT_ARCH(i386:x86-64)\nINPUT(/*inline*/a.o/* two */)",
        )
        .unwrap();
        assert_eq!(
            s.commands,
            vec![
                ScriptCommand::OutputFormat("elf64-x86-64".into()),
                ScriptCommand::Input(vec![path("a.o", false)]),
            ]
        );
    }

    #[test]
    fn wrong_format_and_arch() {
        let e = err("/* x */\nOUTPUT_FORMAT(elf32-i386)");
        assert_eq!(
            e,
            "test.so:2: unsupported output format elf32-i386 (only elf64-x86-64 is supported)"
        );
        let e = err("OUTPUT_FORMAT(elf64-x86-64, elf64-big, elf64-x86-64)");
        assert!(e.contains("elf64-big"), "{e}");
        let e = err("OUTPUT_FORMAT(elf64-x86-64, elf64-x86-64)");
        assert!(e.contains("one or three"), "{e}");
        let e = err("OUTPUT_ARCH(aarch64)");
        assert!(e.contains("aarch64"), "{e}");
    }

    #[test]
    fn unsupported_commands() {
        for cmd in ["OUTPUT", "REGION_ALIAS", "foo"] {
            let e = err(&format!("INPUT(a.o)\n{cmd} (x)"));
            assert_eq!(
                e,
                format!("test.so:2: linker script command {cmd} is not supported")
            );
        }
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        assert_eq!(
            err("GROUP ( a.so\n"),
            "test.so:1: unexpected end of linker script, expected ')' to close GROUP"
        );
        assert_eq!(
            err("\nGROUP a.so"),
            "test.so:2: expected '(' but found 'a.so'"
        );
        assert_eq!(err(")"), "test.so:1: unexpected ')' in linker script");
        assert_eq!(
            err("/* never\nclosed"),
            "test.so:1: unclosed comment in linker script"
        );
        assert_eq!(
            err("INPUT(\"abc)"),
            "test.so:1: unterminated string in linker script"
        );
        assert_eq!(err("INPUT(\"\")"), "test.so:1: empty file name in INPUT");
        assert_eq!(
            err("INPUT(-l)"),
            "test.so:1: -l without a library name in INPUT"
        );
        assert_eq!(err("INPUT(GROUP(a))"), "test.so:1: unexpected '(' in INPUT");
        assert_eq!(
            err("ENTRY()"),
            "test.so:1: expected an argument to ENTRY but found ')'"
        );
        assert_eq!(err("ENTRY(a b)"), "test.so:1: expected ')' but found 'b'");
        assert!(err("INPUT(a.o\0)").contains("0x00"));
        assert!(err("INPUT(\u{1}").contains("0x01"));
        assert!(parse_script(b"INPUT(a\xff.o)", "t")
            .unwrap_err()
            .msg
            .contains("invalid UTF-8"));
    }

    fn assign(name: &str, expr: Expr, provide: Provide, line: usize) -> ScriptCommand {
        ScriptCommand::Assign(Assignment {
            name: name.into(),
            expr,
            provide,
            line,
        })
    }

    fn sym(s: &str) -> Box<Expr> {
        Box::new(Expr::Symbol(s.into()))
    }

    fn num(v: u64) -> Box<Expr> {
        Box::new(Expr::Num(v))
    }

    /// The expression of a one-assignment script `x = TEXT;`.
    fn ex(text: &str) -> Expr {
        match parse(&format!("x = {text};")).unwrap().commands.as_slice() {
            [ScriptCommand::Assign(a)] => a.expr.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn assignments_and_provide() {
        let s = parse(
            "foo = 0x1000;\nbar = foo + 4K;\nPROVIDE(baz = .);\nPROVIDE_HIDDEN(h = 1M)\n\
             HIDDEN(q = -1); n += 2; \"odd name\" = 3;",
        )
        .unwrap();
        assert_eq!(
            s.commands,
            vec![
                assign("foo", Expr::Num(0x1000), Provide::Always, 1),
                assign(
                    "bar",
                    Expr::Binary(BinOp::Add, sym("foo"), num(4096)),
                    Provide::Always,
                    2
                ),
                assign("baz", Expr::Dot, Provide::Provide, 3),
                assign("h", Expr::Num(1 << 20), Provide::ProvideHidden, 4),
                assign("q", Expr::Neg(num(1)), Provide::Hidden, 5),
                assign(
                    "n",
                    Expr::Binary(BinOp::Add, sym("n"), num(2)),
                    Provide::Always,
                    5
                ),
                assign("odd name", Expr::Num(3), Provide::Always, 5),
            ]
        );
        assert!(!s.is_input_only());
        assert!(parse("INPUT(a.o) ENTRY(s)").unwrap().is_input_only());
    }

    #[test]
    fn expression_precedence_and_functions() {
        use BinOp::*;
        let b = |op, l, r| Box::new(Expr::Binary(op, l, r));
        // * binds tighter than +, + than <<, << than &, & than |, | than &&.
        assert_eq!(
            ex("1 + 2 * 3 << 1 & 7 | 8 && 9"),
            Expr::Binary(
                LogAnd,
                b(
                    Or,
                    b(
                        And,
                        b(Shl, b(Add, num(1), b(Mul, num(2), num(3))), num(1)),
                        num(7)
                    ),
                    num(8)
                ),
                num(9)
            )
        );
        // Left associative.
        assert_eq!(
            ex("10 - 2 - 3"),
            Expr::Binary(Sub, b(Sub, num(10), num(2)), num(3))
        );
        assert_eq!(
            ex("a == 1 ? ~b : !c"),
            Expr::Cond(
                b(Eq, sym("a"), num(1)),
                Box::new(Expr::Invert(sym("b"))),
                Box::new(Expr::Not(sym("c")))
            )
        );
        assert_eq!(ex("ALIGN(16)"), Expr::Align(None, num(16)));
        assert_eq!(ex("ALIGN(a, 8)"), Expr::Align(Some(sym("a")), num(8)));
        assert_eq!(
            ex("ADDR(.text)"),
            Expr::Section(SecFn::Addr, ".text".into())
        );
        assert_eq!(
            ex("SIZEOF(.data)"),
            Expr::Section(SecFn::Sizeof, ".data".into())
        );
        assert_eq!(ex("DEFINED(main)"), Expr::Defined("main".into()));
        assert_eq!(ex("ABSOLUTE(a)"), Expr::Absolute(sym("a")));
        assert_eq!(ex("MAX(1, 2)"), Expr::Max(num(1), num(2)));
        assert_eq!(ex("MIN(1, 2)"), Expr::Min(num(1), num(2)));
        assert_eq!(ex("SIZEOF_HEADERS"), Expr::SizeofHeaders);
        assert_eq!(ex("CONSTANT(MAXPAGESIZE)"), Expr::PageSize(true));
        assert_eq!(ex("CONSTANT (COMMONPAGESIZE)"), Expr::PageSize(false));
        assert_eq!(ex("0x10 + $20 + 30h + 017"), {
            Expr::Binary(Add, b(Add, b(Add, num(16), num(32)), num(48)), num(17))
        });
        assert_eq!(ex("a<b"), Expr::Binary(Lt, sym("a"), sym("b")));
        assert_eq!(ex("a>=b"), Expr::Binary(Ge, sym("a"), sym("b")));
        assert_eq!(ex("a % 3"), Expr::Binary(Rem, sym("a"), num(3)));
    }

    #[test]
    fn sections_command() {
        let s = parse(
            "SECTIONS\n{\n  . = 0x10000 + SIZEOF_HEADERS;\n\
             .text 0x20000 : AT(0x1000) ALIGN(16) SUBALIGN(4) {\n\
               *(.text .text.*)\n    KEEP(*(.init))\n    a.o(.data)\n\
               *(SORT(.x.*)) *(SORT_BY_ALIGNMENT(SORT_BY_NAME(.y*)))\n\
               *(EXCLUDE_FILE(*crtend.o) .ctors)\n    _etext = .;\n\
               . = ALIGN(8); LONG(0x12345678) BYTE(1) FILL(0x90)\n\
             } >ram :text =0x90909090\n\
             .bss (NOLOAD) : { PROVIDE(bss_start = .); *(.bss) }\n\
             /DISCARD/ : { *(.comment) }\n}\n",
        )
        .unwrap();
        let [ScriptCommand::Sections(items, 1)] = s.commands.as_slice() else {
            panic!("{s:?}");
        };
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[0], SectionsItem::Assign(a) if a.name == "." && a.line == 3));
        let SectionsItem::Output(text) = &items[1] else {
            panic!()
        };
        assert_eq!(text.name, ".text");
        assert_eq!(text.addr, Some(Expr::Num(0x20000)));
        assert_eq!(text.lma, Some(Expr::Num(0x1000)));
        assert_eq!(text.align, Some(Expr::Num(16)));
        assert_eq!(text.subalign, Some(Expr::Num(4)));
        assert_eq!(text.region.as_deref(), Some("ram"));
        assert_eq!(text.phdrs, vec!["text".to_string()]);
        assert_eq!(text.fill, Some(Expr::Num(0x90909090)));
        assert_eq!(text.line, 4);
        let inputs: Vec<&InputSpec> = text
            .items
            .iter()
            .filter_map(|i| match i {
                OutputItem::Input(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(inputs.len(), 6);
        let globs = |s: &InputSpec| {
            s.sections
                .iter()
                .map(|p| p.glob.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(globs(inputs[0]), vec![".text", ".text.*"]);
        assert!(inputs[1].keep && globs(inputs[1]) == vec![".init"]);
        assert_eq!(inputs[2].file, "a.o");
        assert_eq!(inputs[3].sections[0].sort, SortKind::Name);
        assert_eq!(inputs[4].sections[0].sort, SortKind::Alignment);
        assert_eq!(inputs[5].sections[0].exclude_files, vec!["*crtend.o"]);
        assert!(text
            .items
            .iter()
            .any(|i| matches!(i, OutputItem::Data(4, Expr::Num(0x12345678), _))));
        assert!(text
            .items
            .iter()
            .any(|i| matches!(i, OutputItem::Fill(Expr::Num(0x90), _))));
        let SectionsItem::Output(bss) = &items[2] else {
            panic!()
        };
        assert_eq!(bss.kind.as_deref(), Some("NOLOAD"));
        assert!(matches!(&bss.items[0], OutputItem::Assign(a) if a.provide == Provide::Provide));
        let SectionsItem::Output(d) = &items[3] else {
            panic!()
        };
        assert_eq!(d.name, "/DISCARD/");
    }

    #[test]
    fn memory_phdrs_and_others() {
        let s = parse(
            "MEMORY { rom (rx) : ORIGIN = 0x1000, LENGTH = 64K\n ram (!rx) : org = 0x8000, l = 4K }\n\
             PHDRS { text PT_LOAD FILEHDR PHDRS ; data PT_LOAD FLAGS(6) ; }\n\
             EXTERN(a b, c) INCLUDE other.ld ASSERT(1, \"never\") TARGET(elf64-x86-64)\n\
             NOCROSSREFS(.a .b) FORCE_COMMON_ALLOCATION STARTUP(crt0.o)",
        )
        .unwrap();
        let c = &s.commands;
        let ScriptCommand::Memory(m, 1) = &c[0] else {
            panic!("{c:?}")
        };
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].name.as_str(), m[0].attrs.as_str()), ("rom", "rx"));
        assert_eq!(m[0].length, Expr::Num(65536));
        assert_eq!(m[1].origin, Expr::Num(0x8000));
        let ScriptCommand::Phdrs(p, 3) = &c[1] else {
            panic!("{c:?}")
        };
        assert!(p[0].filehdr && p[0].phdrs && p[0].p_type == "PT_LOAD");
        assert_eq!(p[1].flags, Some(Expr::Num(6)));
        assert_eq!(
            c[2],
            ScriptCommand::Extern(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(c[3], ScriptCommand::Include("other.ld".into(), 4));
        assert_eq!(c[4], ScriptCommand::Assert(Expr::Num(1), "never".into(), 4));
        assert_eq!(c[5], ScriptCommand::Input(vec![path("crt0.o", false)]));
    }

    #[test]
    fn script_errors_name_file_and_line() {
        assert_eq!(
            err("foo = ;"),
            "test.so:1: expected an expression but found ';'"
        );
        assert_eq!(
            err("\nfoo = 1"),
            "test.so:2: expected ';' but found the end of the script"
        );
        assert_eq!(
            err("foo = 1 +\n;"),
            "test.so:2: expected an expression but found ';'"
        );
        assert_eq!(err("x = (1;"), "test.so:1: expected ')' but found ';'");
        assert_eq!(
            err("x = 12zz;"),
            "test.so:1: invalid number '12zz' in linker script"
        );
        assert_eq!(
            err("x = 99999999999999999999;"),
            "test.so:1: invalid number '99999999999999999999' in linker script"
        );
        assert_eq!(
            err("x = FOO(1);"),
            "test.so:1: unknown function FOO() in linker script expression"
        );
        assert_eq!(
            err("x = CONSTANT(PAGE);"),
            "test.so:1: unknown constant PAGE in CONSTANT()"
        );
        assert_eq!(
            err("x = MAX(1);"),
            "test.so:1: wrong number of arguments to MAX()"
        );
        assert_eq!(
            err("SECTIONS {\n .text : { *(.text) }\n"),
            "test.so:3: unexpected end of linker script, expected '}' to close SECTIONS"
        );
        assert_eq!(
            err("SECTIONS {\n .text : { *(.text\n}"),
            "test.so:3: expected a section name pattern but found '}'"
        );
        assert_eq!(
            err("SECTIONS { .text { } }"),
            "test.so:1: expected an expression but found '{'"
        );
        assert_eq!(
            err("SECTIONS { OVERLAY : { } }"),
            "test.so:1: OVERLAY in SECTIONS is not supported"
        );
        assert_eq!(
            err("MEMORY { rom : ORIGIN = 1 }"),
            "test.so:1: memory region rom needs ORIGIN and LENGTH"
        );
        assert_eq!(
            err("PHDRS { text PT_LOAD BOGUS; }"),
            "test.so:1: unexpected 'BOGUS' in PHDRS"
        );
        let deep = format!("x = {}1{};", "(".repeat(1000), ")".repeat(1000));
        assert!(err(&deep).contains("nested too deeply"));
        let deep = format!("x = {}1;", "-".repeat(100_000));
        assert!(err(&deep).contains("nested too deeply"));
    }

    #[test]
    fn unclosed_comment_is_reported_first() {
        assert_eq!(
            err("VERSION { ver_x /*"),
            "test.so:1: unclosed comment in linker script"
        );
        assert_eq!(
            err("INPUT(\"/*\")\nfoo bar /* x"),
            "test.so:2: unclosed comment in linker script"
        );
        assert_eq!(parse("/**/").unwrap(), LinkerScript::default());
        assert!(err("/*/").contains("unclosed comment"));
    }

    #[test]
    fn insert_is_accepted() {
        let s =
            parse("SECTIONS { .foo : { KEEP(*(.foo)) } }\nINSERT AFTER .data;\nx = 1;").unwrap();
        assert_eq!(s.commands.len(), 2);
        assert_eq!(
            err("SECTIONS { } INSERT AT .data;"),
            "test.so:1: expected AFTER or BEFORE after INSERT but found 'AT'"
        );
        assert_eq!(
            err("INSERT BEFORE"),
            "test.so:1: INSERT without an output section name"
        );
    }

    #[test]
    fn empty_and_comment_only_scripts() {
        assert_eq!(parse("").unwrap(), LinkerScript::default());
        assert_eq!(
            parse(" \n\t/* just a comment */ ;; \n").unwrap(),
            LinkerScript::default()
        );
        assert_eq!(
            parse("GROUP()").unwrap().commands,
            vec![ScriptCommand::Group(vec![])]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut s = String::from("GROUP(");
        for _ in 0..100_000 {
            s.push_str("AS_NEEDED(");
        }
        let e = err(&s);
        assert!(e.contains("nested too deeply"), "{e}");
        // Within the limit it is fine.
        let mut s = String::from("GROUP(");
        for _ in 0..MAX_NESTING {
            s.push_str("AS_NEEDED(");
        }
        s.push_str("x.so");
        for _ in 0..=MAX_NESTING {
            s.push(')');
        }
        assert_eq!(
            parse(&s).unwrap().commands,
            vec![ScriptCommand::Group(vec![path("x.so", true)])]
        );
    }

    #[test]
    fn looks_like_script_cases() {
        assert!(looks_like_script(b"GROUP(a)"));
        assert!(looks_like_script("/* caf\u{e9} */ INPUT(a)".as_bytes()));
        assert!(!looks_like_script(b""));
        assert!(!looks_like_script(b"   \n\t"));
        assert!(!looks_like_script(b"\x7fELF\x02\x01\x01"));
        assert!(!looks_like_script(b"!<arch>\nfoo"));
        assert!(!looks_like_script(b"!<thin>\nfoo"));
        assert!(!looks_like_script(b"GROUP(\0)"));
        assert!(!looks_like_script(b"\x1b[0m"));
    }

    /// Tiny deterministic PRNG so the fuzz test is reproducible.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    #[test]
    fn fuzz_prefixes_mutations_and_random_bytes_never_panic() {
        let extra = "OUTPUT_FORMAT(\"elf64-x86-64\", \"elf64-x86-64\", \"elf64-x86-64\") \
                     OUTPUT_ARCH(i386:x86-64); SEARCH_DIR(\"/x\"); ENTRY(s) \
                     INPUT(a, \"b\", -lc AS_NEEDED(-lm, AS_NEEDED(q))) SECTIONS { }";
        let full = "x = 1 + (2 * ADDR(.t)) ? ALIGN(4) : ~3; PROVIDE(y = x << 2);\n\
                    SECTIONS { . = 0x1000 + SIZEOF_HEADERS; .t 0x2000 : AT(1) { KEEP(*(SORT(.a*))) \
                    a.o(.b) x = .; LONG(1) } >r :p =0x90 /DISCARD/ : { *(.c) } }\n\
                    MEMORY { r (rx) : ORIGIN = 0, LENGTH = 1K } PHDRS { p PT_LOAD FILEHDR; }";
        let scripts = [LIBC_SO, LIBM_SO, LIBGCC_S_SO, extra, full];
        for s in scripts {
            let b = s.as_bytes();
            for end in 0..=b.len() {
                let _ = parse_script(&b[..end], "p");
                let _ = looks_like_script(&b[..end]);
                let _ = parse_script(&b[end..], "s");
            }
            // Single-byte mutations with interesting bytes.
            for i in 0..b.len() {
                for &r in b"()\",;/*\0\xff{}" {
                    let mut m = b.to_vec();
                    m[i] = r;
                    let _ = parse_script(&m, "m");
                }
            }
        }
        let mut rng = Lcg(0x5eed);
        let alphabet =
            b"()\",;/* \n\tAS_NEEDEDGROUPINPUT-l:xyz\x00\xff{}=.+-<>?!~&|0x1SECTIONSKEEP";
        for _ in 0..3000 {
            let len = (rng.next() % 200) as usize;
            let junk: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
            let _ = parse_script(&junk, "r");
            let _ = looks_like_script(&junk);
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
                .collect();
            let _ = parse_script(&text, "r");
        }
    }
}
