//! What a compiler-driver command line (gcc, cc, clang) does: compile,
//! link, or something else (a version query, preprocessing), and rewriting a
//! link into the start of a concurrent link.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq)]
pub enum Kind {
    /// `-c` (or `-S`, `-E`, ...): no link. The output, if named.
    Compile(Option<String>),
    /// A link writing this output.
    Link(String),
    /// Nothing to link (`--version`, `-Wl,--version`, `-print-...`).
    Other,
}

/// The compiler command after the hook's mode: an optional compiler cache
/// (`ccache gcc ...`), the driver, its arguments. A link runs the driver
/// without the cache.
pub fn split_launcher(v: &[String]) -> Option<(Option<&str>, &str, &[String])> {
    let first = v.first()?;
    let base = first.rsplit('/').next().unwrap_or(first);
    if matches!(base, "ccache" | "sccache") && v.len() > 1 {
        return Some((Some(first.as_str()), v[1].as_str(), &v[2..]));
    }
    Some((None, first.as_str(), &v[1..]))
}

/// Split a response file's text the way gcc does (libiberty's buildargv):
/// whitespace between words, single and double quotes, backslash escapes.
pub fn split_rsp(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut inword, mut sq, mut dq, mut bs) = (false, false, false, false);
    for c in text.chars() {
        if bs {
            bs = false;
            cur.push(c);
            inword = true;
        } else if c == '\\' {
            bs = true;
            inword = true;
        } else if sq {
            if c == '\'' {
                sq = false;
            } else {
                cur.push(c);
            }
        } else if dq {
            if c == '"' {
                dq = false;
            } else {
                cur.push(c);
            }
        } else if c.is_whitespace() {
            if inword {
                out.push(std::mem::take(&mut cur));
                inword = false;
            }
        } else {
            inword = true;
            match c {
                '\'' => sq = true,
                '"' => dq = true,
                _ => cur.push(c),
            }
        }
    }
    if inword {
        out.push(cur);
    }
    out
}

/// Arguments with `@FILE` response files expanded (recursively, as gcc
/// does): `known` gives the content of a response file Ninja has not
/// written yet; an unreadable file stays as it is (gcc keeps it too).
pub fn expand_rsp(args: &[String], cwd: &Path, known: Option<(&str, &str)>) -> Vec<String> {
    fn go(
        args: &[String],
        cwd: &Path,
        known: Option<(&str, &str)>,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        for a in args {
            if let Some(f) = a.strip_prefix('@').filter(|f| !f.is_empty() && depth < 16) {
                let text = match known {
                    Some((name, content)) if absolute(name, cwd) == absolute(f, cwd) => {
                        Some(content.to_string())
                    }
                    _ => std::fs::read_to_string(absolute(f, cwd)).ok(),
                };
                if let Some(t) = text {
                    go(&split_rsp(&t), cwd, known, depth + 1, out);
                    continue;
                }
            }
            out.push(a.clone());
        }
    }
    let mut out = Vec::new();
    go(args, cwd, known, 0, &mut out);
    out
}

/// gcc options whose value is the next argument.
fn takes_value(a: &str) -> bool {
    matches!(
        a,
        "-o" | "-x"
            | "-MF"
            | "-MT"
            | "-MQ"
            | "-include"
            | "-imacros"
            | "-isystem"
            | "-idirafter"
            | "-iprefix"
            | "-iwithprefix"
            | "-iwithprefixbefore"
            | "-isysroot"
            | "-iquote"
            | "-imultilib"
            | "-I"
            | "-L"
            | "-l"
            | "-D"
            | "-U"
            | "-Xlinker"
            | "-Xassembler"
            | "-Xpreprocessor"
            | "-Xclang"
            | "-T"
            | "-u"
            | "-e"
            | "-z"
            | "-aux-info"
            | "--param"
            | "-B"
            | "-wrapper"
            | "-dumpbase"
            | "-dumpbase-ext"
            | "-dumpdir"
            | "--sysroot"
            | "-target"
            | "--target"
            | "-arch"
    )
}

/// One argument, as the driver sees it.
#[derive(Debug, PartialEq)]
pub enum Arg<'a> {
    /// An option, with its separate value if it takes one.
    Opt(&'a str, Option<&'a str>),
    /// An input file.
    Input(&'a str),
}

pub fn parse(args: &[String]) -> Vec<Arg<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a.starts_with('-') && a != "-" {
            if takes_value(a) && i + 1 < args.len() {
                out.push(Arg::Opt(a, Some(args[i + 1].as_str())));
                i += 2;
                continue;
            }
            out.push(Arg::Opt(a, None));
        } else {
            out.push(Arg::Input(a));
        }
        i += 1;
    }
    out
}

pub fn classify(args: &[String]) -> Kind {
    let parsed = parse(args);
    let mut output = None;
    let mut no_link = false;
    let mut query = false;
    let mut inputs = 0;
    for a in &parsed {
        match a {
            Arg::Opt("-o", Some(v)) => output = Some(v.to_string()),
            Arg::Opt(o, _) if o.starts_with("-o") && o.len() > 2 => {
                output = Some(o[2..].to_string())
            }
            Arg::Opt("-c" | "-S" | "-E" | "-M" | "-MM" | "-fsyntax-only", _) => no_link = true,
            Arg::Opt(
                "--version" | "-dumpversion" | "-dumpfullversion" | "-dumpmachine" | "-dumpspecs"
                | "--help" | "-###" | "--target-help",
                _,
            ) => query = true,
            Arg::Opt(o, _) if o.starts_with("-print-") || o.starts_with("--print-") => query = true,
            Arg::Opt("-l", Some(_)) => inputs += 1,
            Arg::Opt(o, None) if o.starts_with("-l") && o.len() > 2 => inputs += 1,
            Arg::Input(_) => inputs += 1,
            _ => {}
        }
    }
    if no_link {
        Kind::Compile(output)
    } else if query || inputs == 0 {
        Kind::Other
    } else {
        Kind::Link(output.unwrap_or_else(|| "a.out".into()))
    }
}

/// Lexically normalized absolute path.
pub fn absolute(p: &str, cwd: &Path) -> PathBuf {
    let joined = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{p}", cwd.display())
    };
    PathBuf::from(crate::manifest::canonicalize(&joined))
}

/// Could the linker take this file as a concurrent input (an object, an
/// archive or a shared library the build makes)?
fn linkable_name(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    if name.ends_with(".o") || name.ends_with(".obj") || name.ends_with(".a") {
        return true;
    }
    // libx.so, libx.so.1, libx.so.1.2.3
    if let Some(i) = name.find(".so") {
        let rest = &name[i + 3..];
        return rest.is_empty()
            || rest.strip_prefix('.').is_some_and(|v| {
                v.split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
    }
    false
}

/// The arguments of a concurrent start of this link (for `cld
/// --concurrent-start -- DRIVER ARGS`): every input file the build makes
/// (`generated`, absolute) is put between `--start-concurrent` and
/// `--end-concurrent` where it stands, so the link line keeps its order.
/// Returns None when the link cannot start early: no such input, a response
/// file, `-x`, or a generated file used another way (a linker script, a
/// version script), which would be read too early.
pub fn concurrent_args(
    args: &[String],
    cwd: &Path,
    generated: &HashSet<PathBuf>,
) -> Option<(Vec<String>, Vec<PathBuf>)> {
    let mut out: Vec<String> = Vec::new();
    let mut concurrent = Vec::new();
    let mut open = false;
    let mentions_generated = |s: &str| {
        // An option value, `-Wl,` parts, `--opt=value`.
        let mut cands: Vec<&str> = vec![s];
        if s.starts_with("-Wl,") {
            // Linker arguments; a soname is a name, not a file.
            let mut skip = false;
            for part in s.split(',').skip(1) {
                if std::mem::take(&mut skip) {
                    continue;
                }
                skip = matches!(part, "-soname" | "--soname" | "-h");
                cands.push(part);
                cands.extend(part.split_once('=').map(|(_, v)| v));
            }
        }
        cands.extend(s.split_once('=').map(|(_, v)| v));
        if let Some(v) = s.strip_prefix("-T") {
            cands.push(v);
        }
        cands
            .into_iter()
            .filter(|c| !c.is_empty())
            .any(|c| generated.contains(&absolute(c, cwd)))
    };
    for a in parse(args) {
        match a {
            Arg::Input(p) if generated.contains(&absolute(p, cwd)) && linkable_name(p) => {
                if !open {
                    out.push("--start-concurrent".into());
                    open = true;
                }
                out.push(p.to_string());
                concurrent.push(absolute(p, cwd));
            }
            other => {
                if open {
                    out.push("--end-concurrent".into());
                    open = false;
                }
                match other {
                    Arg::Input(p) => {
                        if p.starts_with('@') || generated.contains(&absolute(p, cwd)) {
                            return None;
                        }
                        out.push(p.to_string());
                    }
                    Arg::Opt(o, v) => {
                        // -fuse-ld= picks another linker than cld's shim.
                        if o == "-x" || o.starts_with('@') || o.starts_with("-fuse-ld=") {
                            return None;
                        }
                        if o != "-o" && (mentions_generated(o) || v.is_some_and(mentions_generated))
                        {
                            return None;
                        }
                        out.push(o.to_string());
                        if let Some(v) = v {
                            out.push(v.to_string());
                        }
                    }
                }
            }
        }
    }
    if open {
        out.push("--end-concurrent".into());
    }
    if concurrent.is_empty() {
        return None;
    }
    Some((out, concurrent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn response_files() {
        assert_eq!(
            split_rsp("-o app  a.o '-Wl,-rpath,$ORIGIN/' \"x y\" a\\ b\n"),
            vec!["-o", "app", "a.o", "-Wl,-rpath,$ORIGIN/", "x y", "a b"]
        );
        let e = expand_rsp(
            &v("cc @app.rsp -lm"),
            Path::new("/b"),
            Some(("app.rsp", "-o app a.o")),
        );
        assert_eq!(e, v("cc -o app a.o -lm"));
    }

    #[test]
    fn kinds() {
        assert_eq!(
            classify(&v("-O2 -MD -MT a.o -MF a.o.d -o a.o -c ../a.c")),
            Kind::Compile(Some("a.o".into()))
        );
        assert_eq!(classify(&v("-o app a.o -lm")), Kind::Link("app".into()));
        assert_eq!(classify(&v("a.o b.o")), Kind::Link("a.out".into()));
        assert_eq!(classify(&v("-Wl,--version")), Kind::Other);
        assert_eq!(classify(&v("--version")), Kind::Other);
        assert_eq!(classify(&v("-print-search-dirs")), Kind::Other);
        assert_eq!(classify(&v("-E -dM -")), Kind::Compile(None));
    }

    #[test]
    fn concurrent_rewrite() {
        let cwd = Path::new("/b");
        let gen: HashSet<PathBuf> = ["/b/x/a.o", "/b/x/b.o", "/b/libfoo.a", "/b/gen.map"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let (args, conc) = concurrent_args(
            &v("-O2 x/a.o x/b.o -o app -Wl,--start-group libfoo.a /usr/lib/libz.a -Wl,--end-group -lm"),
            cwd,
            &gen,
        )
        .unwrap();
        assert_eq!(
            args.join(" "),
            "-O2 --start-concurrent x/a.o x/b.o --end-concurrent \
             -o app -Wl,--start-group --start-concurrent libfoo.a --end-concurrent \
             /usr/lib/libz.a -Wl,--end-group -lm"
        );
        assert_eq!(conc.len(), 3);
        assert!(
            concurrent_args(&v("x/a.o -Wl,--version-script=gen.map -o app"), cwd, &gen).is_none()
        );
        assert!(concurrent_args(&v("x/a.o -T gen.map -o app"), cwd, &gen).is_none());
        assert!(concurrent_args(&v("/usr/lib/x.o -o app"), cwd, &gen).is_none());
        assert!(concurrent_args(&v("-Wl,-soname,libfoo.a x/a.o -o app"), cwd, &gen).is_some());
        assert!(concurrent_args(&v("@rsp -o app"), cwd, &gen).is_none());
        assert!(concurrent_args(&v("-fuse-ld=gold x/a.o -o app"), cwd, &gen).is_none());
    }
}
