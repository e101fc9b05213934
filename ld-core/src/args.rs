// NEEDS: fields that `Options` does not have yet. The options below are
// parsed and validated, then dropped; the output is still a correct link,
// but differs from GNU ld in the way noted:
//   - `-z common-page-size=N`: RELRO ends on a 4 KiB boundary whatever N
//     (field `common_page_size`).
//   - `-z stack-size=N`: PT_GNU_STACK p_memsz stays 0 (field `stack_size`).
//   - `-z text|notext|textoff`: no DT_TEXTREL diagnostics (field `z_text`).
//   - `-z ibt|ibtplt|cet-report=..`: the output's `.note.gnu.property` is
//     the inputs' combined (see `x86_64::combine_gnu_properties`); IBT is
//     not forced, and there is no IBT PLT (field for the IBT bit).
//   - `--no-dynamic-linker` without `-pie`/`-static`: recorded only by
//     clearing `dynamic_linker` (a `no_dynamic_linker` field would be exact).

//! The GNU ld command line, as gcc 12, clang and rustc spell it on Debian
//! x86-64 (see the tests for the exact argv each driver passes).
//!
//! Spelling rules follow GNU ld (which uses `getopt_long_only`):
//! - every long option is accepted with one or two dashes (`-pie`,
//!   `--pie`, `-soname`, `--soname`), except that a single-dash argument that
//!   starts with `o` is always `-o FILE` (`-omagic` writes to `magic`);
//! - an option that takes an argument accepts `--opt=value` and
//!   `--opt value`; options whose argument is optional (`--build-id`,
//!   `--threads`, ...) only accept `--opt=value`;
//! - short options take their argument attached or as the next word
//!   (`-ofile`, `-o file`, `-Lpath`, `-L path`, `-lfoo`, `-l foo`,
//!   `-zrelro`, `-z relro`);
//! - long option names must be spelled out in full (GNU's unique-prefix
//!   abbreviations such as `--whole-arch` are not accepted).
//!
//! `@file` response files are expanded first, with gcc/libiberty quoting.
//!
//! `-plugin FILE` loads the LTO linker plugin; `-plugin-opt ARG` (and
//! `-mllvm ARG`, as lld and mold spell LLVM's options) are its options, in
//! order (`plugin.rs`).
//!
//! Accepted and ignored (they do not change what cld produces):
//! - `-flto`, `-flto-partition=..`, `-fuse-ld=..`: ignored by GNU ld too.
//! - `-O N` / `-O1`: optimisation level (only affects hash table sizes).
//! - `--sort-common[=..]`, `--sort-section=..`: layout heuristics.
//! - `--add-needed`, `--no-add-needed`, `--copy-dt-needed-entries`,
//!   `--no-copy-dt-needed-entries`: cld never copies DT_NEEDED from DSOs.
//! - `--warn-common`, `--warn-once`, `--no-warn-mismatch`,
//!   `--no-warn-search-mismatch`, `--warn-shared-textrel`, `--warn-rwx-segments`,
//!   `--no-warn-rwx-segments`: warnings cld does not emit.
//! - `--color-diagnostics[=..]`, `--no-color-diagnostics`: no colour used.
//! - `-X`/`--discard-locals`, `-x`/`--discard-all`, `--discard-none`: local
//!   symbols are kept in `.symtab` (use `-s` to drop the symbol table).
//! - `-nostdlib`: cld has no built-in search directories anyway.
//! - `-EL`: x86-64 is little-endian.
//! - `--relax`: GOT/TLS relaxations are on by default.
//! - `--pack-dyn-relocs=none` (any other value is an error: the feature
//!   is not implemented).
//! - `--hash-size=N`, `--reduce-memory-overheads`, `--no-keep-memory`:
//!   memory/speed tuning knobs of GNU ld.
//! - `--demangle[=..]`, `--no-demangle`: diagnostics print raw names.
//! - `-g`: accepted, as GNU ld does.
//! - `-rpath-link DIR`: only used by GNU ld to find the DT_NEEDED of DSOs,
//!   which cld does not load.
//! - `-Bno-symbolic`: clears `-Bsymbolic` (not ignored, listed for
//!   completeness).
//! - `-z` keywords listed in `z_option` as ignored.
//!
//! Everything else that starts with `-` is an error (`unknown option: ...`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use crate::bail;
use crate::error::Result;
use crate::options::{
    BuildId, CetReport, Command, CompressDebug, ConcurrentMode, ControlOp, DefsymExpr, Discard,
    HashStyle, Icf, InputArg, InputState, Options, OutputKind, StartReport,
};

/// zstd's own default level (what `--compress-debug-sections=zstd` uses).
const ZSTD_DEFAULT_LEVEL: i32 = 3;

/// How deeply `@file` may include `@file` before we assume a loop.
const MAX_RESPONSE_DEPTH: usize = 64;

/// Parse a GNU ld command line. `args` excludes argv\[0\].
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command> {
    let mut expanded = Vec::new();
    expand_response_files(args.into_iter().collect(), 0, &mut expanded)?;
    Parser::new(expanded).run()
}

/// The `--version` text (also printed for `-v` / `-V`).
pub fn version_text() -> String {
    format!(
        "cld {} (compatible with GNU linkers)",
        env!("CARGO_PKG_VERSION")
    )
}

/// `SYMBOL=EXPRESSION` of `--defsym`: a number (decimal or `0x` hex), or a
/// symbol with an optional `+N`/`-N`.
pub fn parse_defsym(v: &str) -> std::result::Result<(String, DefsymExpr), String> {
    let (name, expr) = v.split_once('=').ok_or("expected SYMBOL=EXPRESSION")?;
    let (name, expr) = (name.trim(), expr.trim());
    let is_ident = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.$@".contains(c))
    };
    if !is_ident(name) {
        return Err(format!("bad symbol name `{name}`"));
    }
    let number = |s: &str| parse_number(s.trim());
    if let Some(n) = number(expr) {
        return Ok((name.to_string(), DefsymExpr::Number(n)));
    }
    let (target, offset) = match expr.find(['+', '-']) {
        Some(i) => {
            let n = number(&expr[i + 1..]).ok_or_else(|| format!("bad offset in `{expr}`"))?;
            let n = n as i64;
            (
                expr[..i].trim(),
                if &expr[i..i + 1] == "-" { -n } else { n },
            )
        }
        None => (expr, 0),
    };
    if !is_ident(target) {
        return Err(format!(
            "unsupported expression `{expr}` (a number, or SYMBOL[+-NUMBER])"
        ));
    }
    Ok((
        name.to_string(),
        DefsymExpr::Symbol(target.to_string(), offset),
    ))
}

/// `%XX` escapes decoded (as `--package-metadata` allows, so that build
/// systems need not quote JSON); `None` for a bad escape or non-UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `--help` text.
pub fn help_text() -> &'static str {
    HELP
}

/// Kept in a file of its own: 220 lines of text.
const HELP: &str = include_str!("help.txt");

// ---------------------------------------------------------------------------
// Response files.

/// Options without an argument that are accepted and ignored (see the module comment).
const IGNORED_FLAGS: &[&str] = &[
    "add-needed",
    "no-add-needed",
    "copy-dt-needed-entries",
    "no-copy-dt-needed-entries",
    "warn-once",
    "no-warn-mismatch",
    "no-warn-search-mismatch",
    "warn-shared-textrel",
    "warn-rwx-segments",
    "no-warn-rwx-segments",
    "no-color-diagnostics",
    "nostdlib",
    "EL",
    "relax",
    "reduce-memory-overheads",
    "no-keep-memory",
    "flto",
];

fn expand_response_files(args: Vec<OsString>, depth: usize, out: &mut Vec<OsString>) -> Result<()> {
    for arg in args {
        let bytes = arg.as_bytes();
        if bytes.len() > 1 && bytes[0] == b'@' {
            let path = PathBuf::from(OsStr::from_bytes(&bytes[1..]));
            if depth >= MAX_RESPONSE_DEPTH {
                bail!(
                    "response file {} nested too deeply (recursive @file?)",
                    path.display()
                );
            }
            let data = match std::fs::read(&path) {
                Ok(d) => d,
                Err(e) => bail!("cannot read response file {}: {}", path.display(), e),
            };
            let words = split_response_file(&data)
                .map_err(|m| crate::err!("response file {}: {}", path.display(), m))?;
            expand_response_files(words, depth + 1, out)?;
        } else {
            out.push(arg);
        }
    }
    Ok(())
}

/// Split a response file the way libiberty's `buildargv` does: words are
/// separated by whitespace; `'...'` and `"..."` quote (and may make an empty
/// word); a backslash makes the next character literal, inside quotes too.
fn split_response_file(data: &[u8]) -> std::result::Result<Vec<OsString>, String> {
    let mut words = Vec::new();
    let mut i = 0;
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    while i < data.len() {
        while i < data.len() && is_space(data[i]) {
            i += 1;
        }
        if i >= data.len() {
            break;
        }
        let mut word = Vec::new();
        let mut squote = false;
        let mut dquote = false;
        let mut backslash = false;
        while i < data.len() {
            let c = data[i];
            if backslash {
                backslash = false;
                word.push(c);
            } else if c == b'\\' {
                backslash = true;
            } else if squote {
                if c == b'\'' {
                    squote = false;
                } else {
                    word.push(c);
                }
            } else if dquote {
                if c == b'"' {
                    dquote = false;
                } else {
                    word.push(c);
                }
            } else if is_space(c) {
                break;
            } else if c == b'\'' {
                squote = true;
            } else if c == b'"' {
                dquote = true;
            } else {
                word.push(c);
            }
            i += 1;
        }
        if squote || dquote {
            return Err("unterminated quote".to_string());
        }
        words.push(OsString::from_vec(word));
    }
    Ok(words)
}

// ---------------------------------------------------------------------------
// The option table.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arity {
    /// No argument.
    Flag,
    /// `--opt=value` or `--opt value`.
    Req,
    /// Only `--opt=value`; `--opt` alone is fine too.
    Opt,
}

/// The long options (one or two dashes). Short options are in
/// `Parser::short`.
fn long_arity(name: &str) -> Option<Arity> {
    use Arity::*;
    Some(match name {
        // Inputs and positional input state.
        "library" | "library-path" => Req,
        "start-group" | "end-group" | "as-needed" | "no-as-needed" | "whole-archive"
        | "no-whole-archive" | "Bstatic" | "dn" | "non_shared" | "Bdynamic" | "dy"
        | "call_shared" | "push-state" | "pop-state" | "start-concurrent" | "end-concurrent" => {
            Flag
        }
        // Output kind.
        "static" | "static-pie" | "pie" | "pic-executable" | "no-pie" | "no-pic-executable"
        | "shared" | "Bshareable" | "no-dynamic-linker" => Flag,
        "dynamic-linker" => Req,
        // Values.
        "output"
        | "entry"
        | "soname"
        | "rpath"
        | "undefined"
        | "wrap"
        | "defsym"
        | "init"
        | "fini"
        | "export-dynamic-symbol-list"
        | "require-defined"
        | "undefined-glob"
        | "unique"
        | "trace-symbol"
        | "version-script"
        | "script"
        | "dynamic-list"
        | "Map"
        | "image-base"
        | "Ttext-segment"
        | "hash-style"
        | "concurrent-pipe"
        | "export-dynamic-symbol"
        | "exclude-libs"
        | "concurrent-idle-timeout"
        | "concurrent-log"
        | "concurrent-owner"
        | "concurrent-pending"
        | "concurrent-wait"
        | "concurrent-abort"
        | "concurrent-status" => Req,
        "build-id" | "threads" | "verbose" | "separate-debug-file" => Opt,
        "icf" => Req,
        // Flags.
        "export-dynamic"
        | "no-export-dynamic"
        | "strip-all"
        | "strip-debug"
        | "gc-sections"
        | "no-gc-sections"
        | "print-gc-sections"
        | "no-print-gc-sections"
        | "enable-new-dtags"
        | "disable-new-dtags"
        | "Bsymbolic"
        | "Bno-symbolic"
        | "Bsymbolic-functions"
        | "Bsymbolic-non-weak"
        | "Bsymbolic-non-weak-functions"
        | "dynamic-list-data"
        | "no-undefined"
        | "fatal-warnings"
        | "no-fatal-warnings"
        | "no-threads"
        | "print-map"
        | "eh-frame-hdr"
        | "no-eh-frame-hdr"
        | "concurrent-inotify"
        | "concurrent-existing"
        | "concurrent-start"
        | "json"
        | "stats"
        | "fork"
        | "no-fork"
        | "allow-multiple-definition"
        | "relocatable"
        | "relocatable-merge-sections"
        | "trace"
        | "gdb-index"
        | "no-gdb-index"
        | "print-icf-sections"
        | "no-build-id"
        | "no-print-icf-sections"
        | "discard-locals"
        | "discard-all"
        | "discard-none"
        | "warn-common"
        | "warn-textrel"
        | "no-relax"
        | "allow-shlib-undefined"
        | "no-allow-shlib-undefined"
        | "emit-relocs"
        | "no-warn-textrel"
        | "warn-execstack"
        | "no-warn-execstack"
        | "undefined-version"
        | "no-undefined-version"
        | "start-stop"
        | "nmagic"
        | "zero-to-bss" => Flag,
        // Immediate commands.
        "version" | "help" | "print-shim-dir" => Flag,
        // The LTO plugin and its options.
        "plugin" | "plugin-opt" | "mllvm" => Req,
        // Accepted and ignored (see the module comment).
        "sort-section"
        | "compress-debug-sections"
        | "pack-dyn-relocs"
        | "hash-size"
        | "rpath-link" => Req,
        "sort-common" | "color-diagnostics" | "fuse-ld" | "flto-partition" => Opt,
        "demangle" => Opt,
        "no-demangle" | "warn-unresolved-symbols" | "error-unresolved-symbols" => Flag,
        "unresolved-symbols" | "dependency-file" | "sysroot" | "package-metadata" => Req,
        "section-start" | "Ttext" | "Tdata" | "Tbss" | "section-align" => Req,
        n if IGNORED_FLAGS.contains(&n) => Flag,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// The parser.

struct Parser {
    args: std::vec::IntoIter<OsString>,
    opts: Options,
    state: InputState,
    state_stack: Vec<InputState>,
    in_group: bool,
    in_concurrent: bool,
    shared: bool,
    pie: bool,
    static_exe: bool,
    no_dynamic_linker: bool,
    concurrent_pipe: Option<PathBuf>,
    concurrent_inotify: bool,
    control: Option<(ControlOp, String)>,
    concurrent_start: bool,
    json: bool,
    /// `--sysroot DIR`, and the `-L` entries (indices into
    /// `search_paths`) that start with `=` or `$SYSROOT`: they are made
    /// relative to it once the whole command line is read.
    sysroot: Option<PathBuf>,
    sysroot_relative: Vec<usize>,
}

fn lossy(s: &OsStr) -> String {
    s.to_string_lossy().into_owned()
}

fn utf8(option: &str, v: OsString) -> Result<String> {
    match v.into_string() {
        Ok(s) => Ok(s),
        Err(v) => bail!(
            "option {}: argument is not valid UTF-8: {}",
            option,
            lossy(&v)
        ),
    }
}

/// `0x` hex or decimal.
fn parse_number(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

fn parse_build_id(style: Option<&str>) -> Result<BuildId> {
    Ok(match style {
        None | Some("sha1") | Some("tree") => BuildId::Hash { len: 20 },
        Some("sha256") | Some("fast") => BuildId::Hash { len: 32 },
        Some("md5") => BuildId::Hash { len: 16 },
        Some("uuid") => BuildId::Uuid,
        Some("none") => BuildId::None,
        Some(s) if s.starts_with("0x") || s.starts_with("0X") => {
            // GNU ld allows `-` and `:` between byte pairs.
            let digits: Vec<u8> = s.as_bytes()[2..]
                .iter()
                .copied()
                .filter(|&c| c != b'-' && c != b':')
                .collect();
            if digits.is_empty()
                || !digits.len().is_multiple_of(2)
                || !digits.iter().all(|c| c.is_ascii_hexdigit())
            {
                bail!("invalid --build-id=0x value: {s}");
            }
            let bytes = digits
                .chunks(2)
                .map(|p| {
                    let hex = std::str::from_utf8(p).unwrap_or("00");
                    u8::from_str_radix(hex, 16).unwrap_or(0)
                })
                .collect();
            BuildId::Hex(bytes)
        }
        Some(s) => bail!("invalid --build-id style: {s}"),
    })
}

impl Parser {
    fn new(args: Vec<OsString>) -> Self {
        Parser {
            args: args.into_iter(),
            opts: Options::default(),
            state: InputState::default(),
            state_stack: Vec::new(),
            in_group: false,
            in_concurrent: false,
            shared: false,
            pie: false,
            static_exe: false,
            no_dynamic_linker: false,
            concurrent_pipe: None,
            concurrent_inotify: false,
            control: None,
            concurrent_start: false,
            json: false,
            sysroot: None,
            sysroot_relative: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Command> {
        while let Some(arg) = self.args.next() {
            let b = arg.as_bytes();
            if b.len() >= 2 && b[0] == b'-' {
                if let Some(cmd) = self.option(&arg)? {
                    return Ok(cmd);
                }
            } else {
                self.add_file(arg)?;
            }
        }
        self.finish()
    }

    /// The argument of `option` from the next word.
    fn next_value(&mut self, option: &str) -> Result<OsString> {
        match self.args.next() {
            Some(v) => Ok(v),
            None => bail!("option {option} requires an argument"),
        }
    }

    fn add_file(&mut self, arg: OsString) -> Result<()> {
        if arg.is_empty() {
            bail!("cannot open : empty input file name");
        }
        self.opts.inputs.push(InputArg::File {
            path: PathBuf::from(arg),
            state: self.state,
            concurrent: self.in_concurrent,
        });
        Ok(())
    }

    fn add_library(&mut self, option: &str, name: OsString) -> Result<()> {
        let name = utf8(option, name)?;
        if name.is_empty() || name == ":" {
            bail!("option {option} requires a library name");
        }
        self.opts.inputs.push(InputArg::Library {
            name,
            state: self.state,
            concurrent: self.in_concurrent,
        });
        Ok(())
    }

    /// One argument that starts with `-` and is not just `-`.
    fn option(&mut self, arg: &OsStr) -> Result<Option<Command>> {
        let b = arg.as_bytes();
        let (dashes, body) = if b.starts_with(b"--") {
            ("--", &b[2..])
        } else {
            ("-", &b[1..])
        };
        if body.is_empty() {
            bail!("unknown option: {}", lossy(arg));
        }
        // GNU ld: multi-letter options starting with `o` need two dashes;
        // `-oFOO` is `-o FOO`.
        if dashes == "-" && body[0] == b'o' {
            let v = if body.len() > 1 {
                OsStr::from_bytes(&body[1..]).to_os_string()
            } else {
                self.next_value("-o")?
            };
            self.set_output(v)?;
            return Ok(None);
        }
        let (name_bytes, inline) = match body.iter().position(|&c| c == b'=') {
            Some(p) => (
                &body[..p],
                Some(OsStr::from_bytes(&body[p + 1..]).to_os_string()),
            ),
            None => (body, None),
        };
        if let Ok(name) = std::str::from_utf8(name_bytes) {
            if let Some(arity) = long_arity(name) {
                let spelled = format!("{dashes}{name}");
                let value = match arity {
                    Arity::Flag => {
                        if inline.is_some() {
                            bail!("option {spelled} does not take an argument");
                        }
                        None
                    }
                    Arity::Req => Some(match inline {
                        Some(v) => v,
                        None => self.next_value(&spelled)?,
                    }),
                    Arity::Opt => inline,
                };
                return self.long(&spelled, name, value);
            }
        }
        if dashes == "-" && self.short(body)? {
            return Ok(None);
        }
        bail!("unknown option: {}", lossy(arg))
    }

    /// A single-letter option; returns false if `body` is not one.
    fn short(&mut self, body: &[u8]) -> Result<bool> {
        let c = body[0];
        let rest = &body[1..];
        // Options with an argument, attached or in the next word.
        let key = match c {
            b'L' => Some("library-path"),
            b'l' => Some("library"),
            b'e' => Some("entry"),
            b'u' => Some("undefined"),
            b'h' => Some("soname"),
            b'R' => Some("rpath"),
            b'I' => Some("dynamic-linker"),
            b'm' => Some("m"),
            b'z' => Some("z"),
            b'y' => Some("trace-symbol"),
            b'O' => Some("O"),
            b'T' => Some("script"),
            _ => None,
        };
        if let Some(key) = key {
            let spelled = format!("-{}", c as char);
            let v = if rest.is_empty() {
                self.next_value(&spelled)?
            } else {
                OsStr::from_bytes(rest).to_os_string()
            };
            self.long(&spelled, key, Some(v))?;
            return Ok(true);
        }
        if !rest.is_empty() {
            return Ok(false);
        }
        // Flags.
        let key = match c {
            b's' => "strip-all",
            b'S' => "strip-debug",
            b'E' => "export-dynamic",
            b'x' => "discard-all",
            b'X' => "discard-locals",
            b'M' => "print-map",
            b'(' => "start-group",
            b')' => "end-group",
            b'v' | b'V' => "verbose",
            b'g' => "g",
            b'r' | b'i' => "relocatable",
            b't' => "trace",
            b'n' => "nmagic",
            _ => return Ok(false),
        };
        self.long(&format!("-{}", c as char), key, None)?;
        Ok(true)
    }

    fn set_output(&mut self, v: OsString) -> Result<()> {
        if v.is_empty() {
            bail!("option -o requires a non-empty file name");
        }
        self.opts.output = PathBuf::from(v);
        Ok(())
    }

    /// Apply option `key` (its canonical long name, or `m`/`z`/`O`/`g` for
    /// short-only options). `spelled` is how the user wrote it, for errors.
    /// Each topic's function applies the options it knows and says whether
    /// `key` was one of them.
    fn long(
        &mut self,
        spelled: &str,
        key: &str,
        value: Option<OsString>,
    ) -> Result<Option<Command>> {
        // For Req options `value` is always Some; Opt options may have None.
        let mut value = value;
        let topics = [
            Self::input_option,
            Self::output_kind_option,
            Self::name_option,
            Self::address_option,
            Self::setting_option,
            Self::flag_option,
            Self::section_option,
            Self::compat_option,
        ];
        for topic in topics {
            if topic(self, spelled, key, &mut value)? {
                return Ok(None);
            }
        }
        match key {
            // Immediate commands.
            "version" => Ok(Some(Command::Version)),
            "help" => Ok(Some(Command::Help)),
            "print-shim-dir" => Ok(Some(Command::PrintShimDir)),

            // Every name in `long_arity` and `short` is handled above.
            _ => bail!("unknown option: {spelled}"),
        }
    }

    /// Inputs and their position state: libraries, search paths, groups,
    /// `--as-needed` and the like, the concurrent inputs.
    fn input_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "library" => self.add_library(spelled, val())?,
            "library-path" => {
                // GNU ld replaces a leading `=` or `$SYSROOT` with the
                // sysroot (see `finish`); without one, `-L=/usr/lib` is
                // `/usr/lib`, as on a native toolchain.
                let v = val();
                let b = v.as_bytes();
                let rest = b.strip_prefix(b"=").or_else(|| b.strip_prefix(b"$SYSROOT"));
                match rest {
                    Some(rest) => {
                        self.sysroot_relative.push(o.search_paths.len());
                        o.search_paths.push(PathBuf::from(OsStr::from_bytes(rest)));
                    }
                    None => o.search_paths.push(PathBuf::from(v)),
                }
            }
            "sysroot" => self.sysroot = Some(PathBuf::from(val())),
            "package-metadata" => {
                let v = utf8(spelled, val())?;
                o.package_metadata = Some(percent_decode(&v).ok_or_else(|| {
                    crate::error::Error::new(format!("{spelled}: invalid string: {v}"))
                })?);
            }
            "start-group" => {
                if self.in_group {
                    bail!("{spelled}: groups may not be nested");
                }
                self.in_group = true;
                o.inputs.push(InputArg::GroupStart);
            }
            "end-group" => {
                if !self.in_group {
                    bail!("{spelled} without a matching --start-group");
                }
                self.in_group = false;
                o.inputs.push(InputArg::GroupEnd);
            }
            "as-needed" => self.state.as_needed = true,
            "no-as-needed" => self.state.as_needed = false,
            "whole-archive" => self.state.whole_archive = true,
            "no-whole-archive" => self.state.whole_archive = false,
            "Bstatic" | "dn" | "non_shared" => self.state.static_only = true,
            "Bdynamic" | "dy" | "call_shared" => self.state.static_only = false,
            "push-state" => self.state_stack.push(self.state),
            "pop-state" => match self.state_stack.pop() {
                Some(s) => self.state = s,
                None => bail!("{spelled} without a matching --push-state"),
            },
            "start-concurrent" => {
                if self.in_concurrent {
                    bail!("{spelled}: already inside --start-concurrent (they may not be nested)");
                }
                self.in_concurrent = true;
            }
            "end-concurrent" => {
                if !self.in_concurrent {
                    bail!("{spelled} without a matching --start-concurrent");
                }
                self.in_concurrent = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The kind of output and what goes with it (PIE, shared, static,
    /// relocatable, the dynamic linker, the emulation), and a few switches.
    fn output_kind_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "static" => {
                self.static_exe = true;
                self.state.static_only = true;
            }
            "static-pie" => {
                self.static_exe = true;
                self.pie = true;
                self.state.static_only = true;
            }
            "pie" | "pic-executable" => self.pie = true,
            "no-pie" | "no-pic-executable" => self.pie = false,
            "shared" | "Bshareable" => self.shared = true,
            "relocatable" => o.relocatable = true,
            // As GNU ld: no page alignment, and no shared libraries for
            // the `-l` options after it.
            "nmagic" => {
                o.nmagic = true;
                self.state.static_only = true;
            }
            "gdb-index" => o.gdb_index = true,
            "discard-locals" => o.discard = Discard::Locals,
            "discard-all" => o.discard = Discard::All,
            "discard-none" => o.discard = Discard::None,
            "warn-common" => o.warn_common = true,
            "warn-textrel" => o.warn_textrel = true,
            "no-relax" => o.no_relax = true,
            "allow-shlib-undefined" => o.no_allow_shlib_undefined = false,
            "no-allow-shlib-undefined" => o.no_allow_shlib_undefined = true,
            "no-warn-textrel" => o.warn_textrel = false,
            "warn-execstack" => o.warn_execstack = true,
            "no-warn-execstack" => o.warn_execstack = false,
            "undefined-version" => o.exports.no_undefined_version = false,
            "no-undefined-version" => o.exports.no_undefined_version = true,
            "start-stop" => o.start_stop = true,
            "zero-to-bss" => o.zero_to_bss = true,
            "no-gdb-index" => o.gdb_index = false,
            "relocatable-merge-sections" => o.relocatable_merge_sections = true,
            "no-dynamic-linker" => {
                self.no_dynamic_linker = true;
                o.dynamic_linker = None;
            }
            "dynamic-linker" => {
                self.no_dynamic_linker = false;
                o.dynamic_linker = Some(utf8(spelled, val())?);
            }
            "m" => {
                let emu = utf8(spelled, val())?;
                if emu != "elf_x86_64" {
                    bail!("unsupported emulation: {emu} (only elf_x86_64 is supported)");
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Options naming files, symbols and sections.
    fn name_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "output" => self.set_output(val())?,
            "entry" => o.entry = Some(utf8(spelled, val())?),
            "soname" => o.soname = Some(utf8(spelled, val())?),
            "rpath" => o.rpath.push(utf8(spelled, val())?),
            "undefined" => o.undefined.push(utf8(spelled, val())?),
            "wrap" => o.wrap.push(utf8(spelled, val())?),
            "require-defined" => o.require_defined.push(utf8(spelled, val())?),
            "undefined-glob" => o.undefined_globs.push(utf8(spelled, val())?),
            "unique" => o.unique_sections.push(utf8(spelled, val())?),
            "trace-symbol" => o.trace_symbols.push(utf8(spelled, val())?),
            "trace" => o.trace = true,
            "defsym" => {
                let v = utf8(spelled, val())?;
                o.defsym.push(
                    parse_defsym(&v)
                        .map_err(|m| crate::error::Error::new(format!("{spelled} {v}: {m}")))?,
                );
            }
            "version-script" => o.exports.version_script = Some(PathBuf::from(val())),
            // GNU ld reads a `-T` script where it stands among the inputs
            // (its INPUT and GROUP files are linked there); its other
            // commands apply to the whole link (`script_link`). A script is
            // never a concurrent input.
            "script" => {
                let state = self.state;
                self.opts.inputs.push(InputArg::File {
                    path: PathBuf::from(val()),
                    state,
                    concurrent: false,
                });
            }
            "dynamic-list" => o.exports.dynamic_list = Some(PathBuf::from(val())),
            "Map" => o.map_file = Some(PathBuf::from(val())),
            // GNU ld: `-Map -` writes the map to standard output too.
            "print-map" => o.map_file = Some(PathBuf::from("-")),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Addresses and alignments: image base, section starts and alignments.
    fn address_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "image-base" => {
                let v = utf8(spelled, val())?;
                match parse_number(&v) {
                    Some(n) => o.image_base = Some(n),
                    None => bail!("invalid {spelled} value: {v}"),
                }
            }
            "section-align" => {
                let v = utf8(spelled, val())?;
                let Some((name, a)) = v.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                    bail!("{spelled}: expected SECTION=ALIGNMENT, found {v}");
                };
                match parse_number(a.trim()) {
                    Some(n) if n.is_power_of_two() => o.section_aligns.push((name.to_string(), n)),
                    Some(_) => bail!("{spelled}: alignment of {name} must be a power of 2: {a}"),
                    None => bail!("{spelled}: invalid alignment for {name}: {a}"),
                }
            }
            "section-start" => {
                let v = utf8(spelled, val())?;
                let parsed = v.split_once('=').and_then(|(name, addr)| {
                    let a = addr.trim();
                    let hex = a
                        .strip_prefix("0x")
                        .or_else(|| a.strip_prefix("0X"))
                        .unwrap_or(a);
                    // GNU ld reads the address as hex, with or without `0x`.
                    Some((name.trim().to_string(), u64::from_str_radix(hex, 16).ok()?))
                });
                match parsed {
                    Some((name, addr)) if !name.is_empty() => o.section_starts.push((name, addr)),
                    _ => bail!("{spelled}: expected SECTION=ADDRESS, found {v}"),
                }
            }
            "Ttext" | "Tdata" | "Tbss" => {
                let v = utf8(spelled, val())?;
                let hex = v
                    .strip_prefix("0x")
                    .or_else(|| v.strip_prefix("0X"))
                    .unwrap_or(&v);
                let section = format!(".{}", &key[1..]);
                match u64::from_str_radix(hex, 16) {
                    Ok(n) => o.section_starts.push((section, n)),
                    Err(_) => bail!("invalid {spelled} value: {v}"),
                }
            }
            "Ttext-segment" => {
                // GNU ld reads this address as hex, with or without `0x`.
                let v = utf8(spelled, val())?;
                let h = v
                    .strip_prefix("0x")
                    .or_else(|| v.strip_prefix("0X"))
                    .unwrap_or(&v);
                match u64::from_str_radix(h, 16) {
                    Ok(n) => {
                        o.image_base = Some(n);
                        o.text_segment = true;
                    }
                    Err(_) => bail!("invalid {spelled} value: {v}"),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Settings with a value: hash style, build ID, threads, the
    /// concurrent protocol, `-z`.
    fn setting_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "hash-style" => {
                let v = utf8(spelled, val())?;
                o.hash_style = match v.as_str() {
                    "sysv" => HashStyle {
                        sysv: true,
                        gnu: false,
                    },
                    "gnu" => HashStyle {
                        sysv: false,
                        gnu: true,
                    },
                    "both" => HashStyle {
                        sysv: true,
                        gnu: true,
                    },
                    _ => bail!("invalid --hash-style: {v} (expected sysv, gnu or both)"),
                };
            }
            "build-id" => {
                let v = value.take().map(|v| utf8(spelled, v)).transpose()?;
                o.build_id = parse_build_id(v.as_deref())?;
            }
            "threads" => match value.take() {
                None => o.threads = None,
                Some(v) => {
                    let v = utf8(spelled, v)?;
                    match v.parse::<usize>() {
                        Ok(n) if n > 0 => o.threads = Some(n),
                        _ => bail!("invalid --threads value: {v}"),
                    }
                }
            },
            "no-threads" => o.threads = Some(1),
            "concurrent-pipe" => self.concurrent_pipe = Some(PathBuf::from(val())),
            "concurrent-inotify" => self.concurrent_inotify = true,
            "concurrent-idle-timeout" => {
                let v = utf8(spelled, val())?;
                match v.parse::<u64>() {
                    Ok(n) if n > 0 => o.concurrent_idle_timeout = n,
                    _ => bail!("invalid {spelled} value: {v} (a number of seconds)"),
                }
            }
            "concurrent-log" => o.concurrent_log = Some(PathBuf::from(val())),
            "concurrent-owner" => {
                let v = utf8(spelled, val())?;
                match v.parse::<i32>() {
                    Ok(n) if n > 0 => o.concurrent_owner = Some(n),
                    _ => bail!("invalid {spelled} value: {v} (a process id)"),
                }
            }
            "concurrent-existing" => o.concurrent_existing = true,
            "concurrent-pending" => o.concurrent_pending.push(PathBuf::from(val())),
            "concurrent-wait" | "concurrent-abort" | "concurrent-status" => {
                let token = utf8(spelled, val())?;
                if self.control.is_some() {
                    bail!("{spelled}: only one of --concurrent-wait/-abort/-status may be given");
                }
                let op = match key {
                    "concurrent-wait" => ControlOp::Wait,
                    "concurrent-abort" => ControlOp::Abort,
                    _ => ControlOp::Status,
                };
                self.control = Some((op, token));
            }
            "concurrent-start" => self.concurrent_start = true,
            "json" => self.json = true,
            "z" => self.z_option(&utf8(spelled, val())?)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Flags.
    fn flag_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "export-dynamic" => o.export_dynamic = true,
            "no-export-dynamic" => o.export_dynamic = false,
            "strip-all" => o.strip_all = true,
            "strip-debug" => o.strip_debug = true,
            "gc-sections" => o.gc_sections = true,
            "no-gc-sections" => o.gc_sections = false,
            "print-gc-sections" => o.print_gc_sections = true,
            "no-print-gc-sections" => o.print_gc_sections = false,
            "enable-new-dtags" => o.new_dtags = true,
            "disable-new-dtags" => o.new_dtags = false,
            "Bsymbolic" => o.exports.bsymbolic = true,
            "Bsymbolic-functions" => o.exports.bsymbolic_functions = true,
            "Bsymbolic-non-weak" => o.exports.bsymbolic_non_weak = true,
            "Bsymbolic-non-weak-functions" => o.exports.bsymbolic_non_weak_functions = true,
            "Bno-symbolic" => {
                o.exports.bsymbolic = false;
                o.exports.bsymbolic_functions = false;
                o.exports.bsymbolic_non_weak = false;
                o.exports.bsymbolic_non_weak_functions = false;
            }
            "dynamic-list-data" => o.exports.dynamic_list_data = true,
            "export-dynamic-symbol-list" => o
                .exports
                .export_dynamic_symbol_lists
                .push(PathBuf::from(val())),
            "init" => o.init = Some(utf8(spelled, val())?),
            "fini" => o.fini = Some(utf8(spelled, val())?),
            "export-dynamic-symbol" => o.exports.export_dynamic_symbols.push(utf8(spelled, val())?),
            // Symbols from these archives are not exported; cld exports
            // only what the version script or visibility says (NEEDS: a
            // per-archive filter).
            "exclude-libs" => {
                let _ = val();
            }
            "no-undefined" => o.no_undefined = true,
            "fatal-warnings" => o.fatal_warnings = true,
            "no-fatal-warnings" => o.fatal_warnings = false,
            "eh-frame-hdr" => o.eh_frame_hdr = true,
            "no-eh-frame-hdr" => o.eh_frame_hdr = false,
            "stats" => o.stats = true,
            "fork" => o.fork = true,
            "no-fork" => o.fork = false,
            "verbose" => o.verbose = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Debug sections (compression, a separate file), ICF, build ID,
    /// relocation sections.
    fn section_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "compress-debug-sections" => {
                let v = lossy(&val());
                o.compress_debug = match v.split_once(':') {
                    _ if v == "none" => CompressDebug::None,
                    _ if v == "zlib" || v == "zlib-gabi" => CompressDebug::Zlib,
                    _ if v == "zstd" => CompressDebug::Zstd(ZSTD_DEFAULT_LEVEL),
                    Some(("zstd", level)) => match level.parse::<i32>() {
                        Ok(l) if (1..=22).contains(&l) => CompressDebug::Zstd(l),
                        _ => bail!("invalid {spelled} level {level}: zstd level must be between 1 and 22"),
                    },
                    _ => bail!(
                        "unknown {spelled} value: {v} (expected none, zlib, zlib-gabi or zstd[:LEVEL])"
                    ),
                };
            }
            "icf" => {
                o.icf = match lossy(&val()).as_str() {
                    "all" => Icf::All,
                    "safe" => Icf::Safe,
                    "none" => Icf::None,
                    v => bail!("unknown {spelled} value: {v} (expected all, safe or none)"),
                };
            }
            "print-icf-sections" => o.print_icf_sections = true,
            "no-build-id" => o.build_id = BuildId::None,
            "no-print-icf-sections" => o.print_icf_sections = false,
            "separate-debug-file" => {
                // Empty: made OUTPUT.dbg once the output is known (`finish`).
                o.separate_debug_file = Some(PathBuf::from(val()));
            }
            "emit-relocs" => o.emit_relocs = true,
            "pack-dyn-relocs" => {
                let v = lossy(&val());
                if v != "none" {
                    bail!("{spelled}={v} is not supported (only {spelled}=none)");
                }
            }
            "hash-size" => {
                let v = lossy(&val());
                if parse_number(&v).is_none() {
                    bail!("invalid {spelled} value: {v}");
                }
            }
            // NEEDS: see the top of this file.
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// LTO plugin, diagnostics, and options accepted for compatibility.
    fn compat_option(
        &mut self,
        spelled: &str,
        key: &str,
        value: &mut Option<OsString>,
    ) -> Result<bool> {
        let mut val = || value.take().unwrap_or_default();
        let o = &mut self.opts;
        match key {
            "allow-multiple-definition" => o.allow_multiple_definition = true,
            // LTO: see `plugin.rs`. `-mllvm ARG` is lld's and mold's
            // spelling of `-plugin-opt=ARG` for LLVM's options.
            "plugin" => {
                let p = PathBuf::from(val());
                if o.plugin.as_ref().is_some_and(|q| *q != p) {
                    bail!("{spelled}: only one linker plugin can be loaded");
                }
                o.plugin = Some(p);
            }
            "plugin-opt" | "mllvm" => o.plugin_opts.push(utf8(spelled, val())?),
            "demangle" => {
                // `--demangle=STYLE`: only the default style is known.
                o.demangle = true;
            }
            "no-demangle" => o.demangle = false,
            "warn-unresolved-symbols" => o.warn_unresolved = true,
            "error-unresolved-symbols" => o.warn_unresolved = false,
            "unresolved-symbols" => {
                let v = lossy(&val());
                (o.unresolved_in_objects, o.unresolved_in_shared) = match v.as_str() {
                    "report-all" => (true, true),
                    "ignore-all" => (false, false),
                    "ignore-in-object-files" => (false, true),
                    "ignore-in-shared-libs" => (true, false),
                    _ => bail!(
                        "{spelled}: unknown value {v} (report-all, ignore-all, ignore-in-object-files, ignore-in-shared-libs)"
                    ),
                };
            }
            "dependency-file" => o.dependency_file = Some(PathBuf::from(val())),
            "sort-section" | "rpath-link" | "sort-common" | "color-diagnostics" | "fuse-ld"
            | "flto-partition" | "O" | "g" => {}
            n if IGNORED_FLAGS.contains(&n) => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `-z KEYWORD`.
    fn z_option(&mut self, kw: &str) -> Result<()> {
        let o = &mut self.opts;
        let (name, arg) = match kw.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (kw, None),
        };
        match (name, arg) {
            ("relro", None) => o.relro = true,
            ("norelro", None) => o.relro = false,
            ("now", None) => o.now = true,
            ("lazy", None) => o.now = false,
            ("execstack", None) => o.execstack = Some(true),
            // What cld does by default: an input that asks for an
            // executable stack gets one (with a warning).
            ("execstack-if-needed", None) => o.execstack = None,
            ("noexecstack", None) => o.execstack = Some(false),
            ("separate-code" | "separate-loadable-segments", None) => o.separate_code = true,
            ("noseparate-code", None) => o.separate_code = false,
            ("defs", None) => o.no_undefined = true,
            ("nodefs" | "undefs", None) => o.no_undefined = false,
            ("origin", None) => o.z_flags_1 |= object::elf::DF_1_ORIGIN,
            ("nodelete", None) => o.z_flags_1 |= object::elf::DF_1_NODELETE,
            ("nodlopen", None) => o.z_flags_1 |= object::elf::DF_1_NOOPEN,
            ("initfirst", None) => o.z_flags_1 |= object::elf::DF_1_INITFIRST,
            ("interpose", None) => o.z_flags_1 |= object::elf::DF_1_INTERPOSE,
            ("nodump", None) => o.z_flags_1 |= object::elf::DF_1_NODUMP,
            ("global", None) => o.z_flags_1 |= object::elf::DF_1_GLOBAL,
            ("loadfltr", None) => o.z_flags_1 |= object::elf::DF_1_LOADFLTR,
            ("nodefaultlib", None) => o.z_flags_1 |= object::elf::DF_1_NODEFLIB,
            ("globalaudit", None) => o.z_flags_1 |= object::elf::DF_1_GLOBAUDIT,
            // Ignored, see NEEDS: text relocation diagnostics.
            ("text" | "notext" | "textoff", None) => {}
            // Ignored: no effect on the output we write. `combreloc` is what
            // cld always does; `noexecheap` is a Solaris-ism GNU ld accepts;
            // `nocombreloc` is not implemented but the relocations written
            // are still correct.
            ("combreloc" | "nocombreloc" | "noexecheap", None) => {}
            // Ignored: GNU-ld-specific behaviour toggles whose defaults
            // match what cld does, or diagnostics cld does not emit.
            (
                "noextern-protected-data"
                | "start-stop-gc"
                | "nostart-stop-gc"
                | "unique-symbol"
                | "nounique-symbol"
                | "report-relative-reloc"
                | "noindirect-extern-access",
                None,
            ) => {}
            ("keep-text-section-prefix", None) => o.keep_text_section_prefix = true,
            ("nokeep-text-section-prefix", None) => o.keep_text_section_prefix = false,
            // x86 ISA levels and shadow stacks go into .note.gnu.property.
            ("x86-64-baseline", None) => o.x86_isa_needed |= 1,
            ("x86-64-v2", None) => o.x86_isa_needed |= 1 << 1,
            ("x86-64-v3", None) => o.x86_isa_needed |= 1 << 2,
            ("x86-64-v4", None) => o.x86_isa_needed |= 1 << 3,
            ("shstk", None) => o.z_shstk = true,
            // Ignored, see NEEDS: IBT needs a PLT with endbr64.
            ("ibt" | "ibtplt", None) => {}
            ("pack-relative-relocs", None) => o.pack_relr = true,
            ("rodynamic", None) => o.rodynamic = true,
            ("dynamic-undefined-weak", None) => o.dynamic_undefined_weak = Some(true),
            ("nodynamic-undefined-weak", None) => o.dynamic_undefined_weak = Some(false),
            ("nocopyreloc", None) => o.no_copy_reloc = true,
            ("copyreloc", None) => o.no_copy_reloc = false,
            ("nosectionheader", None) => o.no_section_header = true,
            ("sectionheader", None) => o.no_section_header = false,
            ("muldefs", None) => o.allow_multiple_definition = true,
            ("nopack-relative-relocs", None) => o.pack_relr = false,
            ("rewrite-endbr", None) => o.rewrite_endbr = true,
            ("cet-report", Some("none")) => o.cet_report = CetReport::None,
            ("cet-report", Some("warning")) => o.cet_report = CetReport::Warning,
            ("cet-report", Some("error")) => o.cet_report = CetReport::Error,
            // Ignored, see NEEDS: validated numbers.
            ("max-page-size" | "common-page-size", Some(v)) => match parse_number(v) {
                // The common page size (RELRO's end) stays 4 KiB, x86-64's.
                Some(n) if n.is_power_of_two() && name == "max-page-size" => {
                    o.max_page_size = n.max(4096)
                }
                Some(n) if n.is_power_of_two() => {}
                _ => bail!("invalid -z {name} value: {v} (expected a power of two)"),
            },
            ("stack-size", Some(v)) => {
                if parse_number(v).is_none() {
                    bail!("invalid -z stack-size value: {v}");
                }
            }
            _ => bail!("unknown -z option: {kw}"),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Command> {
        self.opts.sysroot = self.sysroot.clone();
        if let Some(root) = &self.sysroot {
            for &i in &self.sysroot_relative {
                let p = &self.opts.search_paths[i];
                let rel = p.strip_prefix("/").unwrap_or(p);
                self.opts.search_paths[i] = root.join(rel);
            }
        }
        if self.in_group {
            bail!("--start-group without a matching --end-group");
        }
        if self.in_concurrent {
            bail!("--start-concurrent without a matching --end-concurrent");
        }
        if let Some((op, token)) = self.control.take() {
            // `--concurrent-wait=TOKEN` stands alone: the link was defined
            // by the command line that printed TOKEN.
            return Ok(Command::Control {
                op,
                token,
                json: self.json,
            });
        }
        let o = &mut self.opts;
        if o.separate_debug_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            let mut name = o.output.clone().into_os_string();
            name.push(".dbg");
            o.separate_debug_file = Some(PathBuf::from(name));
        }
        if o.separate_debug_file.as_ref() == Some(&o.output) {
            bail!(
                "--separate-debug-file={} names the output itself",
                o.output.display()
            );
        }
        o.concurrent = match (self.concurrent_pipe.take(), self.concurrent_inotify) {
            (Some(_), true) => {
                bail!("--concurrent-pipe and --concurrent-inotify cannot be used together")
            }
            (Some(p), false) => ConcurrentMode::Pipe(p),
            (None, true) => ConcurrentMode::Inotify,
            (None, false) => ConcurrentMode::Off,
        };
        if self.concurrent_start {
            if o.concurrent == ConcurrentMode::Off {
                bail!("--concurrent-start needs a feed: --concurrent-pipe=PATH or --concurrent-inotify");
            }
            o.concurrent_report = if self.json {
                StartReport::Json
            } else {
                StartReport::Plain
            };
        }
        let has_inputs = o
            .inputs
            .iter()
            .any(|i| matches!(i, InputArg::File { .. } | InputArg::Library { .. }));
        if !has_inputs {
            if o.verbose {
                return Ok(Command::Version);
            }
            bail!("no input files");
        }
        if o.relocatable {
            // As GNU ld words it.
            for (set, what) in [(self.shared, "-shared"), (self.pie, "-pie")] {
                if set {
                    bail!("-r and {what} may not be used together");
                }
            }
            // A relocatable output is laid out by a later link: nothing is
            // folded or split off yet (lld refuses --icf with -r too).
            if o.icf != Icf::None {
                bail!("-r and --icf may not be used together");
            }
            if o.separate_debug_file.is_some() {
                bail!("-r and --separate-debug-file may not be used together");
            }
        }
        o.output_kind = if self.shared {
            OutputKind::Shared
        } else if self.pie && (self.static_exe || self.no_dynamic_linker) {
            OutputKind::StaticPie
        } else if self.static_exe {
            OutputKind::StaticExec
        } else if self.pie {
            OutputKind::Pie
        } else {
            OutputKind::Exec
        };
        // A static output has no PT_INTERP, whatever -dynamic-linker said
        // (GNU ld only writes .interp for dynamic links).
        if o.output_kind.is_static() {
            o.dynamic_linker = None;
        }
        Ok(Command::Link(Box::new(self.opts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn link(s: &str) -> Options {
        match parse(words(s)) {
            Ok(Command::Link(o)) => *o,
            Ok(other) => panic!("expected a link for {s:?}, got {other:?}"),
            Err(e) => panic!("unexpected error for {s:?}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match parse(words(s)) {
            Ok(c) => panic!("expected an error for {s:?}, got {c:?}"),
            Err(e) => e.msg,
        }
    }

    fn file(p: &str, state: InputState) -> InputArg {
        InputArg::File {
            path: PathBuf::from(p),
            state,
            concurrent: false,
        }
    }

    fn lib(n: &str, state: InputState) -> InputArg {
        InputArg::Library {
            name: n.to_string(),
            state,
            concurrent: false,
        }
    }

    const AS_NEEDED: InputState = InputState {
        as_needed: true,
        whole_archive: false,
        static_only: false,
    };
    const AS_NEEDED_STATIC: InputState = InputState {
        as_needed: true,
        whole_archive: false,
        static_only: true,
    };
    const PLAIN: InputState = InputState {
        as_needed: false,
        whole_archive: false,
        static_only: false,
    };

    const GCC_LIB: &str = "/usr/lib/gcc/x86_64-linux-gnu/12";
    const GCC_PLUGIN: &str = "-plugin /usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so \
        -plugin-opt=/usr/lib/gcc/x86_64-linux-gnu/12/lto-wrapper \
        -plugin-opt=-fresolution=/tmp/cc9YZEGn.res -plugin-opt=-pass-through=-lgcc \
        -plugin-opt=-pass-through=-lgcc_s -plugin-opt=-pass-through=-lc \
        -plugin-opt=-pass-through=-lgcc -plugin-opt=-pass-through=-lgcc_s";
    const GCC_L: &str = "-L/usr/lib/gcc/x86_64-linux-gnu/12 \
        -L/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu \
        -L/usr/lib/gcc/x86_64-linux-gnu/12/../../../../lib -L/lib/x86_64-linux-gnu \
        -L/lib/../lib -L/usr/lib/x86_64-linux-gnu -L/usr/lib/../lib \
        -L/usr/lib/gcc/x86_64-linux-gnu/12/../../..";
    const CRT: &str = "/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu";
    const GCC_DYN_LIBS: &str = "-lgcc --push-state --as-needed -lgcc_s --pop-state -lc \
        -lgcc --push-state --as-needed -lgcc_s --pop-state";

    /// The inputs gcc passes for a dynamic link, all under `--as-needed`.
    fn gcc_dyn_inputs(crt1: &str, crtbegin: &str, crtend: &str) -> Vec<InputArg> {
        let mut v = Vec::new();
        if !crt1.is_empty() {
            v.push(file(&format!("{CRT}/{crt1}"), AS_NEEDED));
        }
        v.push(file(&format!("{CRT}/crti.o"), AS_NEEDED));
        v.push(file(&format!("{GCC_LIB}/{crtbegin}"), AS_NEEDED));
        v.push(file("/tmp/ccDQGn1h.o", AS_NEEDED));
        for l in ["gcc", "gcc_s", "c", "gcc", "gcc_s"] {
            v.push(lib(l, AS_NEEDED));
        }
        v.push(file(&format!("{GCC_LIB}/{crtend}"), AS_NEEDED));
        v.push(file(&format!("{CRT}/crtn.o"), AS_NEEDED));
        v
    }

    fn check_gcc_common(o: &Options) {
        assert_eq!(o.build_id, BuildId::Hash { len: 20 });
        assert_eq!(
            o.hash_style,
            HashStyle {
                sysv: false,
                gnu: true
            }
        );
        assert_eq!(o.search_paths.len(), 8);
        assert_eq!(o.search_paths[0], PathBuf::from(GCC_LIB));
    }

    // `gcc -### x.c` (Debian gcc 12: default PIE), argv as collect2 passes
    // it to ld.
    #[test]
    fn gcc_default_pie() {
        let o = link(&format!(
            "{GCC_PLUGIN} --build-id --eh-frame-hdr -m elf_x86_64 --hash-style=gnu \
             --as-needed -dynamic-linker /lib64/ld-linux-x86-64.so.2 -pie -o /tmp/xx \
             {CRT}/Scrt1.o {CRT}/crti.o {GCC_LIB}/crtbeginS.o {GCC_L} /tmp/ccDQGn1h.o \
             {GCC_DYN_LIBS} {GCC_LIB}/crtendS.o {CRT}/crtn.o"
        ));
        check_gcc_common(&o);
        assert_eq!(o.output_kind, OutputKind::Pie);
        assert_eq!(o.output, PathBuf::from("/tmp/xx"));
        assert!(o.eh_frame_hdr);
        assert_eq!(
            o.dynamic_linker.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(
            o.inputs,
            gcc_dyn_inputs("Scrt1.o", "crtbeginS.o", "crtendS.o")
        );
    }

    // `gcc -### -no-pie x.c`.
    #[test]
    fn gcc_no_pie() {
        let o = link(&format!(
            "{GCC_PLUGIN} --build-id --eh-frame-hdr -m elf_x86_64 --hash-style=gnu \
             --as-needed -dynamic-linker /lib64/ld-linux-x86-64.so.2 \
             {CRT}/crt1.o {CRT}/crti.o {GCC_LIB}/crtbegin.o {GCC_L} /tmp/ccDQGn1h.o \
             {GCC_DYN_LIBS} {GCC_LIB}/crtend.o {CRT}/crtn.o"
        ));
        check_gcc_common(&o);
        assert_eq!(o.output_kind, OutputKind::Exec);
        assert_eq!(o.output, PathBuf::from("a.out"));
        assert_eq!(
            o.dynamic_linker.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(o.inputs, gcc_dyn_inputs("crt1.o", "crtbegin.o", "crtend.o"));
    }

    // `gcc -### -shared x.c`.
    #[test]
    fn gcc_shared() {
        let o = link(&format!(
            "{GCC_PLUGIN} --build-id --eh-frame-hdr -m elf_x86_64 --hash-style=gnu \
             --as-needed -shared {CRT}/crti.o {GCC_LIB}/crtbeginS.o {GCC_L} /tmp/ccDQGn1h.o \
             {GCC_DYN_LIBS} {GCC_LIB}/crtendS.o {CRT}/crtn.o"
        ));
        check_gcc_common(&o);
        assert_eq!(o.output_kind, OutputKind::Shared);
        assert_eq!(o.dynamic_linker, None);
        assert_eq!(o.inputs, gcc_dyn_inputs("", "crtbeginS.o", "crtendS.o"));
    }

    fn gcc_static_inputs(crt1: &str, crtbegin: &str, crtend: &str) -> Vec<InputArg> {
        let s = AS_NEEDED_STATIC;
        vec![
            file(&format!("{CRT}/{crt1}"), s),
            file(&format!("{CRT}/crti.o"), s),
            file(&format!("{GCC_LIB}/{crtbegin}"), s),
            file("/tmp/ccqu8edv.o", s),
            InputArg::GroupStart,
            lib("gcc", s),
            lib("gcc_eh", s),
            lib("c", s),
            InputArg::GroupEnd,
            file(&format!("{GCC_LIB}/{crtend}"), s),
            file(&format!("{CRT}/crtn.o"), s),
        ]
    }

    // `gcc -### -static x.c`.
    #[test]
    fn gcc_static() {
        let o = link(&format!(
            "{GCC_PLUGIN} --build-id -m elf_x86_64 --hash-style=gnu --as-needed -static \
             {CRT}/crt1.o {CRT}/crti.o {GCC_LIB}/crtbeginT.o {GCC_L} /tmp/ccqu8edv.o \
             --start-group -lgcc -lgcc_eh -lc --end-group {GCC_LIB}/crtend.o {CRT}/crtn.o"
        ));
        check_gcc_common(&o);
        assert_eq!(o.output_kind, OutputKind::StaticExec);
        assert!(!o.eh_frame_hdr);
        assert_eq!(o.dynamic_linker, None);
        assert_eq!(
            o.inputs,
            gcc_static_inputs("crt1.o", "crtbeginT.o", "crtend.o")
        );
    }

    // `gcc -### -static-pie x.c`: `-static -pie --no-dynamic-linker -z text -pie`.
    #[test]
    fn gcc_static_pie() {
        let o = link(&format!(
            "{GCC_PLUGIN} --build-id --eh-frame-hdr -m elf_x86_64 --hash-style=gnu \
             --as-needed -static -pie --no-dynamic-linker -z text -pie \
             {CRT}/rcrt1.o {CRT}/crti.o {GCC_LIB}/crtbeginS.o {GCC_L} /tmp/ccqu8edv.o \
             --start-group -lgcc -lgcc_eh -lc --end-group {GCC_LIB}/crtendS.o {CRT}/crtn.o"
        ));
        check_gcc_common(&o);
        assert_eq!(o.output_kind, OutputKind::StaticPie);
        assert!(o.eh_frame_hdr);
        assert_eq!(o.dynamic_linker, None);
        assert_eq!(
            o.inputs,
            gcc_static_inputs("rcrt1.o", "crtbeginS.o", "crtendS.o")
        );
    }

    // clang 14 (Debian) passes quoted words, `--as-needed`/`--no-as-needed`
    // pairs and `--hash-style=both`.
    #[test]
    fn clang_default_pie_and_static_pie() {
        let o = link(
            "-pie --hash-style=both --build-id --eh-frame-hdr -m elf_x86_64 \
             -dynamic-linker /lib64/ld-linux-x86-64.so.2 -o a.out /lib/x86_64-linux-gnu/Scrt1.o \
             -L/usr/lib /tmp/x.o -lgcc --as-needed -lgcc_s --no-as-needed -lc",
        );
        assert_eq!(o.output_kind, OutputKind::Pie);
        assert_eq!(
            o.hash_style,
            HashStyle {
                sysv: true,
                gnu: true
            }
        );
        assert_eq!(
            o.inputs,
            vec![
                file("/lib/x86_64-linux-gnu/Scrt1.o", PLAIN),
                file("/tmp/x.o", PLAIN),
                lib("gcc", PLAIN),
                lib("gcc_s", AS_NEEDED),
                lib("c", PLAIN),
            ]
        );
        let o = link(
            "-static -pie --no-dynamic-linker -z text --hash-style=both --build-id \
             --eh-frame-hdr -m elf_x86_64 -o a.out /lib/x86_64-linux-gnu/rcrt1.o /tmp/x.o \
             --start-group -lgcc -lgcc_eh -lc --end-group",
        );
        assert_eq!(o.output_kind, OutputKind::StaticPie);
    }

    // What rustc (via gcc) passes: `-Bstatic` rlibs, then `-Bdynamic`; with
    // `+crt-static` the `-Bdynamic` at the end must not undo `-static`.
    #[test]
    fn rustc_style() {
        let o = link(
            "--build-id --eh-frame-hdr -m elf_x86_64 --hash-style=gnu --as-needed \
             -dynamic-linker /lib64/ld-linux-x86-64.so.2 -pie -o m Scrt1.o symbols.o \
             m.rcgu.o --as-needed -Bstatic libstd.rlib libcore.rlib -Bdynamic -lgcc_s -lc \
             --eh-frame-hdr -z noexecstack --gc-sections -z relro -z now -O1 crtendS.o",
        );
        assert_eq!(o.output_kind, OutputKind::Pie);
        assert!(o.gc_sections && o.relro && o.now);
        assert_eq!(o.execstack, Some(false));
        assert_eq!(o.inputs[3], file("libstd.rlib", AS_NEEDED_STATIC));
        assert_eq!(o.inputs[5], lib("gcc_s", AS_NEEDED));

        let o = link(
            "--as-needed -static -pie --no-dynamic-linker -z text -pie -o ms rcrt1.o \
             -Bstatic libstd.rlib -lc -Bdynamic --version-script=/tmp/list \
             --no-undefined-version -z relro -z now crtendS.o",
        );
        assert_eq!(o.output_kind, OutputKind::StaticPie);
        assert_eq!(o.exports.version_script, Some(PathBuf::from("/tmp/list")));
        assert_eq!(o.inputs[2], lib("c", AS_NEEDED_STATIC));
        assert_eq!(o.inputs[3], file("crtendS.o", AS_NEEDED));
    }

    #[test]
    fn output_kind_rules() {
        assert_eq!(link("a.o").output_kind, OutputKind::Exec);
        assert_eq!(link("-pie a.o").output_kind, OutputKind::Pie);
        assert_eq!(link("--pie a.o").output_kind, OutputKind::Pie);
        assert_eq!(link("--pic-executable a.o").output_kind, OutputKind::Pie);
        assert_eq!(link("-pie -no-pie a.o").output_kind, OutputKind::Exec);
        assert_eq!(
            link("-pie --no-pic-executable a.o").output_kind,
            OutputKind::Exec
        );
        assert_eq!(link("-static a.o").output_kind, OutputKind::StaticExec);
        assert_eq!(link("--static a.o").output_kind, OutputKind::StaticExec);
        assert_eq!(link("-static-pie a.o").output_kind, OutputKind::StaticPie);
        assert_eq!(link("-static -pie a.o").output_kind, OutputKind::StaticPie);
        assert_eq!(link("-pie -static a.o").output_kind, OutputKind::StaticPie);
        assert_eq!(
            link("-pie --no-dynamic-linker a.o").output_kind,
            OutputKind::StaticPie
        );
        assert_eq!(
            link("-static-pie -no-pie a.o").output_kind,
            OutputKind::StaticExec
        );
        assert_eq!(link("-shared a.o").output_kind, OutputKind::Shared);
        assert_eq!(link("-Bshareable a.o").output_kind, OutputKind::Shared);
        assert_eq!(link("-pie -shared a.o").output_kind, OutputKind::Shared);
        assert_eq!(link("-static -shared a.o").output_kind, OutputKind::Shared);
        // -Bstatic and friends only affect -l, never the output kind.
        for f in ["-Bstatic", "-dn", "-non_shared"] {
            let o = link(&format!("{f} -lfoo a.o"));
            assert_eq!(o.output_kind, OutputKind::Exec);
            assert!(matches!(&o.inputs[0], InputArg::Library { state, .. } if state.static_only));
        }
        let o = link("-static -lfoo -Bdynamic -lbar a.o");
        assert_eq!(o.output_kind, OutputKind::StaticExec);
        assert!(matches!(&o.inputs[0], InputArg::Library { state, .. } if state.static_only));
        assert!(matches!(&o.inputs[1], InputArg::Library { state, .. } if !state.static_only));
        for f in ["-dy", "-call_shared", "-Bdynamic", "--Bdynamic"] {
            let o = link(&format!("-Bstatic {f} -lfoo"));
            assert!(matches!(&o.inputs[0], InputArg::Library { state, .. } if !state.static_only));
        }
    }

    #[test]
    fn dynamic_linker_spellings() {
        for s in [
            "-dynamic-linker /ld.so",
            "--dynamic-linker /ld.so",
            "--dynamic-linker=/ld.so",
            "-dynamic-linker=/ld.so",
            "-I /ld.so",
            "-I/ld.so",
        ] {
            let o = link(&format!("{s} a.o"));
            assert_eq!(o.dynamic_linker.as_deref(), Some("/ld.so"), "{s}");
        }
        assert_eq!(
            link("-dynamic-linker /ld.so --no-dynamic-linker a.o").dynamic_linker,
            None
        );
        assert_eq!(
            link("--no-dynamic-linker -dynamic-linker /x a.o")
                .dynamic_linker
                .as_deref(),
            Some("/x")
        );
    }

    #[test]
    fn value_spellings() {
        for s in ["-o out", "-oout", "--output out", "--output=out"] {
            assert_eq!(
                link(&format!("{s} a.o")).output,
                PathBuf::from("out"),
                "{s}"
            );
        }
        // GNU: a single-dash word starting with `o` is always -o.
        assert_eq!(link("-output a.o").output, PathBuf::from("utput"));
        for s in [
            "-L=/x",
            "-L/x",
            "-L /x",
            "--library-path=/x",
            "--library-path /x",
            "-library-path=/x",
        ] {
            assert_eq!(
                link(&format!("{s} a.o")).search_paths,
                vec![PathBuf::from("/x")],
                "{s}"
            );
        }
        for (s, n) in [
            ("-lfoo", "foo"),
            ("-l foo", "foo"),
            ("-l:libfoo.a", ":libfoo.a"),
            ("-l :libfoo.a", ":libfoo.a"),
            ("--library=foo", "foo"),
            ("--library foo", "foo"),
        ] {
            assert_eq!(link(s).inputs, vec![lib(n, PLAIN)], "{s}");
        }
        for s in ["-e go", "-ego", "--entry=go", "--entry go", "-entry go"] {
            assert_eq!(
                link(&format!("{s} a.o")).entry.as_deref(),
                Some("go"),
                "{s}"
            );
        }
        for s in [
            "-soname=libx.so.1",
            "-soname libx.so.1",
            "--soname=libx.so.1",
            "-h libx.so.1",
            "-hlibx.so.1",
        ] {
            assert_eq!(
                link(&format!("{s} a.o")).soname.as_deref(),
                Some("libx.so.1"),
                "{s}"
            );
        }
        let o = link("-R /a:/b -rpath=/c -rpath /d --rpath=$ORIGIN/../lib -R/e a.o");
        assert_eq!(o.rpath, vec!["/a:/b", "/c", "/d", "$ORIGIN/../lib", "/e"]);
        let o =
            link("--section-align=.foo=0x2000 --section-align .bar=256 -T s.ld x.o --script=t.ld");
        assert_eq!(
            o.section_aligns,
            vec![(".foo".to_string(), 0x2000), (".bar".to_string(), 256)]
        );
        // -T scripts are inputs where they stand.
        assert_eq!(o.inputs.len(), 3);
        assert!(err("--section-align=.foo=3 x.o").contains("must be a power of 2"));
        assert!(err("--section-align=.foo x.o").contains("SECTION=ALIGNMENT"));
        let o = link("-u a --undefined=b --undefined c -ud -undefined=e x.o");
        assert_eq!(o.undefined, vec!["a", "b", "c", "d", "e"]);
        let o = link("--wrap=malloc -wrap free --wrap realloc x.o");
        assert_eq!(o.wrap, vec!["malloc", "free", "realloc"]);
        let o = link("--defsym=a=16 -defsym b=0x2000 --defsym c=print --defsym d=main+8 x.o");
        assert_eq!(
            o.defsym,
            vec![
                ("a".into(), DefsymExpr::Number(16)),
                ("b".into(), DefsymExpr::Number(0x2000)),
                ("c".into(), DefsymExpr::Symbol("print".into(), 0)),
                ("d".into(), DefsymExpr::Symbol("main".into(), 8)),
            ]
        );
        assert!(err("--defsym=a x.o").contains("SYMBOL=EXPRESSION"));
        let o = link("--package-metadata=%7B%22a%22%3A1%7D x.o");
        assert_eq!(o.package_metadata.as_deref(), Some("{\"a\":1}"));
        assert!(err("--package-metadata=foo%x x.o").contains("invalid string: foo%x"));
        assert!(err("--defsym=a=b*2 x.o").contains("unsupported expression"));
        for s in ["-m elf_x86_64", "-melf_x86_64"] {
            link(&format!("{s} a.o"));
        }
        for s in ["-Map=m.map", "-Map m.map", "--Map=m.map", "--Map m.map"] {
            assert_eq!(
                link(&format!("{s} a.o")).map_file,
                Some(PathBuf::from("m.map")),
                "{s}"
            );
        }
        assert_eq!(link("-M a.o").map_file, Some(PathBuf::from("-")));
        for s in ["-r", "-i", "--relocatable", "-relocatable"] {
            let o = link(&format!("{s} a.o"));
            assert!(o.relocatable && !o.relocatable_merge_sections, "{s}");
        }
        assert!(link("-r --relocatable-merge-sections a.o").relocatable_merge_sections);
        assert!(!link("a.o").relocatable);
        assert_eq!(
            err("-r -shared a.o"),
            "-r and -shared may not be used together"
        );
        assert_eq!(err("-pie -r a.o"), "-r and -pie may not be used together");
        let o = link("--version-script v.map --dynamic-list=d.list a.o");
        assert_eq!(o.exports.version_script, Some(PathBuf::from("v.map")));
        assert_eq!(o.exports.dynamic_list, Some(PathBuf::from("d.list")));
        assert_eq!(link("--image-base=0x10000 a.o").image_base, Some(0x10000));
        assert_eq!(link("--image-base=65536 a.o").image_base, Some(65536));
        assert_eq!(
            link("-Ttext-segment=0x200000 a.o").image_base,
            Some(0x200000)
        );
        assert_eq!(link("-Ttext-segment 400000 a.o").image_base, Some(0x400000));
    }

    #[test]
    fn flags() {
        let o = link(
            "-E -s -S --gc-sections --print-gc-sections --enable-new-dtags -Bsymbolic \
             --no-undefined --fatal-warnings --stats --eh-frame-hdr a.o",
        );
        assert!(o.export_dynamic && o.strip_all && o.strip_debug && o.gc_sections);
        assert!(o.print_gc_sections && o.new_dtags && o.exports.bsymbolic && o.no_undefined);
        assert!(o.fatal_warnings && o.stats && o.eh_frame_hdr);
        let o = link(
            "--export-dynamic --no-export-dynamic --gc-sections --no-gc-sections \
             --enable-new-dtags --disable-new-dtags --eh-frame-hdr --no-eh-frame-hdr a.o",
        );
        assert!(!o.export_dynamic && !o.gc_sections && !o.new_dtags && !o.eh_frame_hdr);
        assert!(link("-export-dynamic a.o").export_dynamic);
        assert!(link("--strip-all --strip-debug a.o").strip_all);
        assert_eq!(link("--threads=4 a.o").threads, Some(4));
        assert_eq!(link("--no-threads a.o").threads, Some(1));
        assert_eq!(link("--no-threads --threads a.o").threads, None);
        assert!(err("--threads=0 a.o").contains("--threads"));
        let o = link("--hash-style=sysv a.o");
        assert_eq!(
            o.hash_style,
            HashStyle {
                sysv: true,
                gnu: false
            }
        );
        assert_eq!(
            link("--hash-style gnu a.o").hash_style,
            HashStyle {
                sysv: false,
                gnu: true
            }
        );
        assert!(err("--hash-style=fancy a.o").contains("fancy"));
    }

    #[test]
    fn build_id() {
        assert_eq!(link("a.o").build_id, BuildId::None);
        assert_eq!(link("--build-id a.o").build_id, BuildId::Hash { len: 20 });
        assert_eq!(link("-build-id a.o").build_id, BuildId::Hash { len: 20 });
        assert_eq!(
            link("--build-id=sha1 a.o").build_id,
            BuildId::Hash { len: 20 }
        );
        assert_eq!(
            link("--build-id=tree a.o").build_id,
            BuildId::Hash { len: 20 }
        );
        for style in ["fast", "sha256"] {
            assert_eq!(
                link(&format!("--build-id={style} a.o")).build_id,
                BuildId::Hash { len: 32 }
            );
        }
        assert_eq!(
            link("--build-id=md5 a.o").build_id,
            BuildId::Hash { len: 16 }
        );
        assert_eq!(link("--build-id=uuid a.o").build_id, BuildId::Uuid);
        assert_eq!(
            link("--build-id --build-id=none a.o").build_id,
            BuildId::None
        );
        assert_eq!(
            link("--build-id=0xdeadBEEF a.o").build_id,
            BuildId::Hex(vec![0xde, 0xad, 0xbe, 0xef])
        );
        assert_eq!(
            link("--build-id=0x01-02:03 a.o").build_id,
            BuildId::Hex(vec![1, 2, 3])
        );
        assert!(err("--build-id=0x123 a.o").contains("0x123"));
        assert!(err("--build-id=0x a.o").contains("0x"));
        assert!(err("--build-id=0xzz a.o").contains("0xzz"));
        assert!(err("--build-id=sha512 a.o").contains("sha512"));
        // Optional argument: a separate word is an input file, as in GNU ld.
        let o = link("--build-id sha1");
        assert_eq!(o.inputs, vec![file("sha1", PLAIN)]);
    }

    #[test]
    fn z_options() {
        let o = link("-z norelro -z now -z execstack -z noseparate-code -z defs a.o");
        assert!(!o.relro && o.now && !o.separate_code && o.no_undefined);
        assert_eq!(o.execstack, Some(true));
        let o = link("-znorelro -zrelro -znow -zlazy -znoexecstack -zseparate-code a.o");
        assert!(o.relro && !o.now && o.separate_code);
        assert_eq!(o.execstack, Some(false));
        assert!(!link("-z defs -z undefs a.o").no_undefined);
        assert!(!link("--no-undefined -z nodefs a.o").no_undefined);
        link(
            "-z text -z notext -z origin -z nodelete -z nodlopen -z combreloc -z nocombreloc \
             -z noexecheap -z ibt -z shstk -z max-page-size=0x200000 -z common-page-size=4096 \
             -z stack-size=8388608 -z muldefs -z x86-64-v2 -z cet-report=error a.o",
        );
        assert_eq!(err("-z foo a.o"), "unknown -z option: foo");
        // A long option, not `-e mit-relocs`.
        assert!(link("-emit-relocs a.o").emit_relocs);
        assert!(link("--emit-relocs a.o").emit_relocs);
        assert_eq!(err("-zfoo=1 a.o"), "unknown -z option: foo=1");
        assert_eq!(err("-z relro=1 a.o"), "unknown -z option: relro=1");
        assert!(err("-z max-page-size=3 a.o").contains("max-page-size"));
        assert!(err("-z max-page-size=abc a.o").contains("abc"));
        assert!(err("-z stack-size=x a.o").contains("stack-size"));
        assert_eq!(err("a.o -z"), "option -z requires an argument");
    }

    #[test]
    fn push_pop_state() {
        let o = link(
            "-la --push-state --as-needed --whole-archive -Bstatic -lb b.o --push-state \
             --no-as-needed -lc --pop-state -ld --pop-state -le e.o",
        );
        let all = InputState {
            as_needed: true,
            whole_archive: true,
            static_only: true,
        };
        let no_as = InputState {
            as_needed: false,
            ..all
        };
        assert_eq!(
            o.inputs,
            vec![
                lib("a", PLAIN),
                lib("b", all),
                file("b.o", all),
                lib("c", no_as),
                lib("d", all),
                lib("e", PLAIN),
                file("e.o", PLAIN),
            ]
        );
        assert_eq!(
            err("--push-state --pop-state --pop-state a.o"),
            "--pop-state without a matching --push-state"
        );
        // An unpopped --push-state is fine (GNU ld does not complain).
        link("--push-state a.o");
        let o = link("--whole-archive a.a --no-whole-archive b.a");
        assert_eq!(
            o.inputs,
            vec![
                file(
                    "a.a",
                    InputState {
                        whole_archive: true,
                        ..PLAIN
                    }
                ),
                file("b.a", PLAIN),
            ]
        );
    }

    #[test]
    fn groups() {
        let o = link("a.o -( -lc b.o -) --start-group -lm --end-group");
        assert_eq!(
            o.inputs,
            vec![
                file("a.o", PLAIN),
                InputArg::GroupStart,
                lib("c", PLAIN),
                file("b.o", PLAIN),
                InputArg::GroupEnd,
                InputArg::GroupStart,
                lib("m", PLAIN),
                InputArg::GroupEnd,
            ]
        );
        assert_eq!(
            err("a.o --start-group -lc"),
            "--start-group without a matching --end-group"
        );
        assert_eq!(
            err("a.o --end-group"),
            "--end-group without a matching --start-group"
        );
        assert_eq!(err("a.o -)"), "-) without a matching --start-group");
        assert!(err("--start-group -( a.o -) -)").contains("nested"));
    }

    #[test]
    fn concurrent() {
        let o = link(
            "a.o --start-concurrent b.o -lx c.o --end-concurrent d.o --concurrent-pipe=/tmp/p",
        );
        let conc = |p: &str| InputArg::File {
            path: PathBuf::from(p),
            state: PLAIN,
            concurrent: true,
        };
        assert_eq!(
            o.inputs,
            vec![
                file("a.o", PLAIN),
                conc("b.o"),
                InputArg::Library {
                    name: "x".into(),
                    state: PLAIN,
                    concurrent: true,
                },
                conc("c.o"),
                file("d.o", PLAIN),
            ]
        );
        assert_eq!(o.concurrent, ConcurrentMode::Pipe(PathBuf::from("/tmp/p")));
        assert_eq!(
            link("--concurrent-pipe /tmp/q a.o").concurrent,
            ConcurrentMode::Pipe(PathBuf::from("/tmp/q"))
        );
        assert_eq!(
            link("--concurrent-inotify a.o").concurrent,
            ConcurrentMode::Inotify
        );
        assert_eq!(link("a.o").concurrent, ConcurrentMode::Off);
        assert!(err("--concurrent-inotify --concurrent-pipe=x a.o").contains("together"));
        assert!(err("--start-concurrent a.o --start-concurrent b.o").contains("nested"));
        assert_eq!(
            err("--start-concurrent a.o"),
            "--start-concurrent without a matching --end-concurrent"
        );
        assert_eq!(
            err("a.o --end-concurrent"),
            "--end-concurrent without a matching --start-concurrent"
        );
    }

    #[test]
    fn ignored_options() {
        let o = link(
            "-plugin /p.so -plugin-opt=-x -plugin-opt -y --plugin /p.so --plugin-opt=z -O1 -O 2 \
             -O3 --sort-common --sort-common=descending --sort-section=name --sort-section \
             alignment --no-add-needed --allow-shlib-undefined --no-allow-shlib-undefined \
             --warn-common --no-warn-mismatch --color-diagnostics --color-diagnostics=always \
             --no-color-diagnostics --discard-locals -X --discard-all -x \
             --no-copy-dt-needed-entries --copy-dt-needed-entries -nostdlib -EL --relax \
             --no-relax --compress-debug-sections=none --icf=none --no-undefined-version \
             --undefined-version --warn-shared-textrel --pack-dyn-relocs=none --hash-size=31 \
             --reduce-memory-overheads --no-keep-memory --demangle --no-demangle -g \
             --gdb-index -fuse-ld=lld -flto -rpath-link /x -Bsymbolic-functions \
             --no-warn-rwx-segments --no-warn-execstack a.o",
        );
        assert_eq!(o.inputs, vec![file("a.o", PLAIN)]);
        assert!(!o.strip_all);
        assert_eq!(o.plugin, Some(PathBuf::from("/p.so")));
        assert_eq!(o.plugin_opts, ["-x", "-y", "z"]);
        assert!(err("--compress-debug-sections=zlib-gnu a.o").contains("unknown"));
        assert!(err("--compress-debug-sections=zstd:30 a.o").contains("between 1 and 22"));
        assert!(err("--icf=most a.o").contains("unknown --icf value: most"));
    }

    #[test]
    fn icf_and_separate_debug_file() {
        assert_eq!(link("--icf=all a.o").icf, Icf::All);
        assert_eq!(link("-icf=safe a.o").icf, Icf::Safe);
        assert_eq!(link("--icf safe --icf=none a.o").icf, Icf::None);
        assert!(link("--icf=all --print-icf-sections a.o").print_icf_sections);
        assert_eq!(link("-o x a.o").separate_debug_file, None);
        assert_eq!(link("--build-id --no-build-id a.o").build_id, BuildId::None);
        assert!(err("-r --icf=all a.o").contains("-r and --icf"));
        assert!(err("-o x --separate-debug-file=x a.o").contains("names the output itself"));
        assert!(err("-r --separate-debug-file a.o").contains("-r and --separate-debug-file"));
        assert_eq!(link("-r --icf=none a.o").icf, Icf::None);
        assert_eq!(
            link("-o x --separate-debug-file a.o").separate_debug_file,
            Some(PathBuf::from("x.dbg"))
        );
        assert_eq!(
            link("--separate-debug-file=d/y -o x a.o").separate_debug_file,
            Some(PathBuf::from("d/y"))
        );
    }

    #[test]
    fn plugin_and_its_options() {
        let o = link("-plugin-opt=O2 -plugin /l.so -mllvm -pass-remarks=. --plugin-opt x a.o");
        assert_eq!(o.plugin, Some(PathBuf::from("/l.so")));
        assert_eq!(o.plugin_opts, ["O2", "-pass-remarks=.", "x"]);
        assert!(err("-plugin /a.so -plugin /b.so a.o").contains("only one linker plugin"));
        assert_eq!(link("a.o").plugin, None);
    }

    #[test]
    fn commands() {
        assert!(matches!(parse(words("--version")), Ok(Command::Version)));
        assert!(matches!(parse(words("-version")), Ok(Command::Version)));
        // --version wins over whatever follows.
        assert!(matches!(
            parse(words("a.o --version --bogus")),
            Ok(Command::Version)
        ));
        assert!(matches!(parse(words("--help")), Ok(Command::Help)));
        assert!(matches!(parse(words("-help")), Ok(Command::Help)));
        assert!(matches!(
            parse(words("--print-shim-dir")),
            Ok(Command::PrintShimDir)
        ));
        for v in ["-v", "-V", "--verbose", "--verbose=2"] {
            assert!(matches!(parse(words(v)), Ok(Command::Version)), "{v}");
            let o = link(&format!("{v} a.o"));
            assert!(o.verbose);
        }
        assert!(help_text().starts_with("Usage: cld [options] file...\n"));
        assert!(help_text().contains("--start-group"));
        assert_eq!(
            version_text(),
            format!(
                "cld {} (compatible with GNU linkers)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn errors() {
        assert_eq!(err("--frobnicate a.o"), "unknown option: --frobnicate");
        assert_eq!(err("-frobnicate a.o"), "unknown option: -frobnicate");
        assert_eq!(err("--frob=1 a.o"), "unknown option: --frob=1");
        assert_eq!(err("-j a.o"), "unknown option: -j");
        assert_eq!(err("a.o -T"), "option -T requires an argument");
        assert_eq!(err("-sS a.o"), "unknown option: -sS");
        assert_eq!(err("-- a.o"), "unknown option: --");
        assert_eq!(err("a.o -o"), "option -o requires an argument");
        assert_eq!(err("a.o --output"), "option --output requires an argument");
        assert_eq!(err("a.o -L"), "option -L requires an argument");
        assert_eq!(err("a.o -l"), "option -l requires an argument");
        assert_eq!(err("a.o -soname"), "option -soname requires an argument");
        assert_eq!(
            err("a.o -dynamic-linker"),
            "option -dynamic-linker requires an argument"
        );
        assert_eq!(
            err("a.o --version-script"),
            "option --version-script requires an argument"
        );
        assert_eq!(err("a.o -plugin"), "option -plugin requires an argument");
        assert_eq!(
            err("--gc-sections=yes a.o"),
            "option --gc-sections does not take an argument"
        );
        assert_eq!(
            err("-m elf_i386 a.o"),
            "unsupported emulation: elf_i386 (only elf_x86_64 is supported)"
        );
        assert_eq!(err(""), "no input files");
        assert_eq!(err("-pie -L/x --as-needed"), "no input files");
        assert_eq!(err("--start-group --end-group"), "no input files");
        assert!(err("--image-base=zz a.o").contains("zz"));
        assert!(err("-Ttext-segment=0xg a.o").contains("0xg"));
        assert!(matches!(parse(vec![OsString::new()]), Err(e) if e.msg.contains("empty")));
    }

    #[test]
    fn non_utf8_paths_survive() {
        let bad = OsString::from_vec(b"/tmp/\xff.o".to_vec());
        let mut l = b"-L/d\xfe".to_vec();
        let mut args = vec![OsString::from_vec(std::mem::take(&mut l)), bad.clone()];
        args.push(OsString::from("-o"));
        args.push(OsString::from_vec(b"out\xfd".to_vec()));
        match parse(args) {
            Ok(Command::Link(o)) => {
                assert_eq!(
                    o.search_paths,
                    vec![PathBuf::from(OsString::from_vec(b"/d\xfe".to_vec()))]
                );
                assert_eq!(
                    o.inputs,
                    vec![InputArg::File {
                        path: PathBuf::from(bad),
                        state: PLAIN,
                        concurrent: false
                    }]
                );
                assert_eq!(o.output.as_os_str().as_bytes(), b"out\xfd");
            }
            other => panic!("{other:?}"),
        }
        let r = parse(vec![
            OsString::from("-soname"),
            OsString::from_vec(b"\xff".to_vec()),
            "a.o".into(),
        ]);
        assert!(r.unwrap_err().msg.contains("UTF-8"));
    }

    /// A fresh scratch directory for response files.
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cld-args-test-{}-{}", std::process::id(), name));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn response_files() {
        let d = scratch("rsp");
        let inner = d.join("inner.rsp");
        std::fs::write(&inner, "-lm 'with space.o'\n").unwrap();
        let outer = d.join("outer.rsp");
        std::fs::write(
            &outer,
            format!(
                "-pie\t\"-o\" \"my out\"\n  -L/x a\\ b.o 'it''s' \"q\\\"uote\" @{}\r\nlast.o\n",
                inner.display()
            ),
        )
        .unwrap();
        let args = vec![
            OsString::from("first.o"),
            OsString::from(format!("@{}", outer.display())),
            OsString::from("end.o"),
        ];
        let o = match parse(args) {
            Ok(Command::Link(o)) => o,
            other => panic!("{other:?}"),
        };
        assert_eq!(o.output_kind, OutputKind::Pie);
        assert_eq!(o.output, PathBuf::from("my out"));
        assert_eq!(o.search_paths, vec![PathBuf::from("/x")]);
        assert_eq!(
            o.inputs,
            vec![
                file("first.o", PLAIN),
                file("a b.o", PLAIN),
                file("its", PLAIN),
                file("q\"uote", PLAIN),
                lib("m", PLAIN),
                file("with space.o", PLAIN),
                file("last.o", PLAIN),
                file("end.o", PLAIN),
            ]
        );

        // A missing response file is an error naming it.
        let missing = d.join("nope.rsp");
        let e = parse(vec![OsString::from(format!("@{}", missing.display()))]).unwrap_err();
        assert!(e.msg.contains("nope.rsp"), "{e}");
        assert!(e.msg.starts_with("cannot read response file"), "{e}");

        // A response file that includes itself is stopped.
        let rec = d.join("rec.rsp");
        std::fs::write(&rec, format!("a.o @{}", rec.display())).unwrap();
        let e = parse(vec![OsString::from(format!("@{}", rec.display()))]).unwrap_err();
        assert!(e.msg.contains("nested too deeply"), "{e}");

        // Unterminated quotes are reported.
        let bad = d.join("bad.rsp");
        std::fs::write(&bad, "a.o 'oops").unwrap();
        let e = parse(vec![OsString::from(format!("@{}", bad.display()))]).unwrap_err();
        assert!(
            e.msg.contains("bad.rsp") && e.msg.contains("unterminated"),
            "{e}"
        );

        // A lone `@` is a file name, not a response file.
        assert_eq!(link("@").inputs, vec![file("@", PLAIN)]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn response_file_splitting() {
        let split = |s: &str| -> Vec<String> {
            split_response_file(s.as_bytes())
                .unwrap()
                .into_iter()
                .map(|w| w.into_string().unwrap())
                .collect()
        };
        assert_eq!(split(""), Vec::<String>::new());
        assert_eq!(split("  \n\t "), Vec::<String>::new());
        assert_eq!(split("a b\tc\nd"), vec!["a", "b", "c", "d"]);
        assert_eq!(split("'' \"\""), vec!["", ""]);
        assert_eq!(split("'a \"b' \"c 'd\""), vec!["a \"b", "c 'd"]);
        assert_eq!(split("a\\ b 'x\\'y' \\\\"), vec!["a b", "x'y", "\\"]);
        assert_eq!(split("pre'mid dle'post"), vec!["premid dlepost"]);
        assert_eq!(split("-Wl\\,x"), vec!["-Wl,x"]);
        assert!(split_response_file(b"\"abc").is_err());
    }
}
