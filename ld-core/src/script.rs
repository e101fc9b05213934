//! The GNU ld scripts that appear as *inputs*: `libc.so`, `libm.so`,
//! `libgcc_s.so` and friends are short text files such as
//!
//! ```text
//! /* GNU ld script */
//! OUTPUT_FORMAT(elf64-x86-64)
//! GROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a
//!         AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )
//! ```
//!
//! Only the commands that such input scripts use are supported: `INPUT`,
//! `GROUP` (with `AS_NEEDED` inside), `SEARCH_DIR`, `ENTRY`, `OUTPUT_FORMAT`
//! and `OUTPUT_ARCH`. Anything else (`SECTIONS`, `MEMORY`, `PHDRS`,
//! `VERSION`, assignments, ...) is an error that names the file, the line and
//! the command. The parser never panics, whatever bytes it is given.

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
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkerScript {
    pub commands: Vec<ScriptCommand>,
}

/// How deeply `AS_NEEDED(...)` may nest before the script is rejected.
const MAX_NESTING: usize = 16;

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

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    /// An unquoted name: a command, a file name, `-lfoo`, a symbol.
    Name(String),
    /// A `"quoted"` name (never treated as `-l`).
    Quoted(String),
    /// One of `( ) , ; { } =`.
    Punct(u8),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Name(s) => format!("'{s}'"),
        Tok::Quoted(s) => format!("\"{s}\""),
        Tok::Punct(c) => format!("'{}'", *c as char),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_punct(b: u8) -> bool {
    matches!(b, b'(' | b')' | b',' | b';' | b'{' | b'}')
}

fn lex(text: &[u8], file: &str) -> Result<Vec<Token>> {
    let mut toks = Vec::new();
    let mut line = 1usize;
    let mut i = 0usize;
    let utf8 = |bytes: &[u8], line: usize| -> Result<String> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => Err(crate::err!(
                "{file}:{line}: invalid UTF-8 in linker script name"
            )),
        }
    };
    while i < text.len() {
        let b = text[i];
        if b == b'\n' {
            line += 1;
            i += 1;
        } else if is_space(b) {
            i += 1;
        } else if text[i..].starts_with(b"/*") {
            let start_line = line;
            i += 2;
            loop {
                if i >= text.len() {
                    crate::bail!("{file}:{start_line}: unclosed comment in linker script");
                }
                if text[i..].starts_with(b"*/") {
                    i += 2;
                    break;
                }
                if text[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
        } else if is_punct(b) {
            toks.push(Token {
                tok: Tok::Punct(b),
                line,
            });
            i += 1;
        } else if b == b'"' {
            let start_line = line;
            let start = i + 1;
            let mut j = start;
            while j < text.len() && text[j] != b'"' {
                if text[j] == b'\n' {
                    line += 1;
                }
                j += 1;
            }
            if j >= text.len() {
                crate::bail!("{file}:{start_line}: unterminated string in linker script");
            }
            let s = utf8(&text[start..j], start_line)?;
            toks.push(Token {
                tok: Tok::Quoted(s),
                line: start_line,
            });
            i = j + 1;
        } else if b < 0x20 || b == 0x7f {
            crate::bail!("{file}:{line}: unexpected byte 0x{b:02x} in linker script");
        } else {
            let start = i;
            while i < text.len() {
                let c = text[i];
                if is_space(c) || is_punct(c) || c == b'"' || c < 0x20 || c == 0x7f {
                    break;
                }
                if text[i..].starts_with(b"/*") {
                    break;
                }
                i += 1;
            }
            let s = utf8(&text[start..i], line)?;
            toks.push(Token {
                tok: Tok::Name(s),
                line,
            });
        }
    }
    Ok(toks)
}

struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    file: &'a str,
    /// Line of the last token, for "unexpected end of file" errors.
    last_line: usize,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn next_or_eof(&mut self, what: &str) -> Result<Token> {
        match self.next() {
            Some(t) => Ok(t),
            None => crate::bail!(
                "{}:{}: unexpected end of linker script, expected {}",
                self.file,
                self.last_line,
                what
            ),
        }
    }

    fn expect_punct(&mut self, c: u8) -> Result<()> {
        let t = self.next_or_eof(&format!("'{}'", c as char))?;
        if t.tok != Tok::Punct(c) {
            crate::bail!(
                "{}:{}: expected '{}' but found {}",
                self.file,
                t.line,
                c as char,
                describe(&t.tok)
            );
        }
        Ok(())
    }

    /// A single name argument, quoted or not.
    fn name_arg(&mut self, cmd: &str) -> Result<(String, usize)> {
        let t = self.next_or_eof(&format!("an argument to {cmd}"))?;
        match t.tok {
            Tok::Name(s) | Tok::Quoted(s) if !s.is_empty() => Ok((s, t.line)),
            other => crate::bail!(
                "{}:{}: expected an argument to {} but found {}",
                self.file,
                t.line,
                cmd,
                describe(&other)
            ),
        }
    }

    /// `CMD ( name )`.
    fn single_arg(&mut self, cmd: &str) -> Result<(String, usize)> {
        self.expect_punct(b'(')?;
        let r = self.name_arg(cmd)?;
        self.expect_punct(b')')?;
        Ok(r)
    }

    /// The inside of `INPUT(...)`, `GROUP(...)` or `AS_NEEDED(...)` up to and
    /// including the closing parenthesis.
    fn input_list(
        &mut self,
        cmd: &str,
        as_needed: bool,
        depth: usize,
        out: &mut Vec<ScriptInput>,
    ) -> Result<()> {
        loop {
            let t = self.next_or_eof(&format!("')' to close {cmd}"))?;
            match t.tok {
                Tok::Punct(b')') => return Ok(()),
                Tok::Punct(b',') => {}
                Tok::Name(ref s) if s == "AS_NEEDED" => {
                    if depth >= MAX_NESTING {
                        crate::bail!(
                            "{}:{}: AS_NEEDED nested too deeply in linker script",
                            self.file,
                            t.line
                        );
                    }
                    self.expect_punct(b'(')?;
                    self.input_list("AS_NEEDED", true, depth + 1, out)?;
                }
                Tok::Name(s) => {
                    let file = if let Some(lib) = s.strip_prefix("-l") {
                        if lib.is_empty() {
                            crate::bail!(
                                "{}:{}: -l without a library name in {}",
                                self.file,
                                t.line,
                                cmd
                            );
                        }
                        ScriptFile::Library(lib.to_string())
                    } else {
                        ScriptFile::Path(s)
                    };
                    out.push(ScriptInput { file, as_needed });
                }
                Tok::Quoted(s) => {
                    if s.is_empty() {
                        crate::bail!("{}:{}: empty file name in {}", self.file, t.line, cmd);
                    }
                    out.push(ScriptInput {
                        file: ScriptFile::Path(s),
                        as_needed,
                    });
                }
                other => crate::bail!(
                    "{}:{}: unexpected {} in {}",
                    self.file,
                    t.line,
                    describe(&other),
                    cmd
                ),
            }
        }
    }

    fn command(&mut self, name: &str, line: usize) -> Result<Option<ScriptCommand>> {
        let file = self.file;
        Ok(Some(match name {
            "INPUT" | "GROUP" => {
                self.expect_punct(b'(')?;
                let mut list = Vec::new();
                self.input_list(name, false, 0, &mut list)?;
                if name == "INPUT" {
                    ScriptCommand::Input(list)
                } else {
                    ScriptCommand::Group(list)
                }
            }
            "OUTPUT_FORMAT" => {
                self.expect_punct(b'(')?;
                let mut formats = Vec::new();
                loop {
                    let (f, fline) = self.name_arg(name)?;
                    formats.push((f, fline));
                    let t = self.next_or_eof("',' or ')'")?;
                    match t.tok {
                        Tok::Punct(b')') => break,
                        Tok::Punct(b',') => {}
                        other => crate::bail!(
                            "{file}:{}: expected ',' or ')' in OUTPUT_FORMAT but found {}",
                            t.line,
                            describe(&other)
                        ),
                    }
                }
                if formats.len() != 1 && formats.len() != 3 {
                    crate::bail!(
                        "{file}:{line}: OUTPUT_FORMAT takes one or three arguments, found {}",
                        formats.len()
                    );
                }
                for (f, fline) in &formats {
                    if f != "elf64-x86-64" {
                        crate::bail!(
                            "{file}:{fline}: unsupported output format {f} (only elf64-x86-64 is supported)"
                        );
                    }
                }
                ScriptCommand::OutputFormat(formats.swap_remove(0).0)
            }
            "OUTPUT_ARCH" => {
                let (arch, aline) = self.single_arg(name)?;
                if arch != "i386:x86-64" {
                    crate::bail!(
                        "{file}:{aline}: unsupported OUTPUT_ARCH {arch} (only i386:x86-64 is supported)"
                    );
                }
                return Ok(None);
            }
            "SEARCH_DIR" => ScriptCommand::SearchDir(self.single_arg(name)?.0),
            "ENTRY" => ScriptCommand::Entry(self.single_arg(name)?.0),
            _ => crate::bail!("{file}:{line}: linker script command {name} is not supported"),
        }))
    }

    fn script(&mut self) -> Result<LinkerScript> {
        let mut commands = Vec::new();
        while let Some(t) = self.next() {
            match t.tok {
                Tok::Punct(b';') => {}
                Tok::Name(name) => {
                    if let Some(cmd) = self.command(&name, t.line)? {
                        commands.push(cmd);
                    }
                }
                other => crate::bail!(
                    "{}:{}: unexpected {} in linker script",
                    self.file,
                    t.line,
                    describe(&other)
                ),
            }
        }
        Ok(LinkerScript { commands })
    }
}

/// Parse an input linker script. `file_name` is used in error messages,
/// which have the form `FILE:LINE: message`.
pub fn parse_script(text: &[u8], file_name: &str) -> Result<LinkerScript> {
    let toks = lex(text, file_name)?;
    let last_line = toks.last().map_or(1, |t| t.line);
    let mut p = Parser {
        toks,
        pos: 0,
        file: file_name,
        last_line,
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
        assert_eq!(
            err("\n\nSECTIONS { .text : { *(.text) } }"),
            "test.so:3: linker script command SECTIONS is not supported"
        );
        assert_eq!(
            err("SECTIONS{}"),
            "test.so:1: linker script command SECTIONS is not supported"
        );
        for cmd in ["MEMORY", "PHDRS", "VERSION", "INCLUDE", "TARGET", "foo"] {
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
        let scripts = [LIBC_SO, LIBM_SO, LIBGCC_S_SO, extra];
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
        let alphabet = b"()\",;/* \n\tAS_NEEDEDGROUPINPUT-l:xyz\x00\xff{}=";
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
