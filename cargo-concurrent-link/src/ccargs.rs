//! The C driver command line rustc hands to its linker (`cc ARGS`): response
//! files, rustc's own rust-lld selection, the output, which arguments are
//! input files.

use std::path::Path;

/// Expand `@FILE` arguments the way gcc does (GNU `buildargv` quoting:
/// whitespace separates, `'` and `"` quote, `\` escapes). rustc writes one
/// when the command line is too long. A missing file stays as it is (gcc
/// treats it as an ordinary argument too).
pub fn expand_response_files(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        expand_one(a, &mut out, 0);
    }
    out
}

fn expand_one(a: String, out: &mut Vec<String>, depth: usize) {
    if let Some(file) = a.strip_prefix('@') {
        if depth < 16 {
            if let Ok(text) = std::fs::read_to_string(file) {
                for b in split_gnu(&text) {
                    expand_one(b, out, depth + 1);
                }
                return;
            }
        }
    }
    out.push(a);
}

/// libiberty's `buildargv`.
pub fn split_gnu(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let (mut sq, mut dq, mut bs) = (false, false, false);
    for c in text.chars() {
        if bs {
            cur.push(c);
            bs = false;
            have = true;
        } else if c == '\\' {
            bs = true;
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
        } else if c == '\'' {
            sq = true;
            have = true;
        } else if c == '"' {
            dq = true;
            have = true;
        } else if c.is_whitespace() {
            if have {
                out.push(std::mem::take(&mut cur));
                have = false;
            }
        } else {
            cur.push(c);
            have = true;
        }
    }
    if have {
        out.push(cur);
    }
    out
}

/// Quote one argument for a gcc response file.
pub fn quote_gnu(a: &str) -> String {
    let mut s = String::with_capacity(a.len() + 2);
    for c in a.chars() {
        if c.is_whitespace() || matches!(c, '\'' | '"' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    if s.is_empty() {
        s.push_str("''");
    }
    s
}

/// Drop what makes gcc run another linker than the `ld` of our `-B`
/// directory: rustc's `-fuse-ld=lld` and `-B<sysroot>/.../gcc-ld` (its
/// rust-lld, the default since 1.90 unless `-C linker-features=-lld`), and
/// any other `-fuse-ld=` (returned, to be reported).
pub fn strip_other_linkers(args: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut dropped = Vec::new();
    let out = args
        .into_iter()
        .filter(|a| {
            if let Some(v) = a.strip_prefix("-fuse-ld=") {
                if v != "lld" {
                    dropped.push(a.clone());
                }
                return false;
            }
            if let Some(dir) = a.strip_prefix("-B") {
                let d = dir.trim_end_matches('/');
                if d.ends_with("/gcc-ld") || d == "gcc-ld" {
                    return false;
                }
            }
            true
        })
        .collect();
    (out, dropped)
}

/// gcc options whose value is the next argument.
fn takes_separate_value(a: &str) -> bool {
    matches!(
        a,
        "-o" | "-L"
            | "-l"
            | "-x"
            | "-Xlinker"
            | "-Xassembler"
            | "-Xpreprocessor"
            | "-T"
            | "-u"
            | "-e"
            | "-z"
            | "-B"
            | "-I"
            | "-include"
            | "-imacros"
            | "-isystem"
            | "-idirafter"
            | "-iprefix"
            | "-iquote"
            | "-MF"
            | "-MT"
            | "-MQ"
            | "-specs"
            | "-wrapper"
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An input file (object, archive, shared library, script).
    Input,
    /// An option (its value may be attached).
    Option,
    /// The value of the option before it.
    Value,
}

pub fn classify(args: &[String]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(args.len());
    let mut value_next = false;
    for a in args {
        if value_next {
            kinds.push(Kind::Value);
            value_next = false;
        } else if a.starts_with('-') && a.len() > 1 {
            value_next = takes_separate_value(a);
            kinds.push(Kind::Option);
        } else {
            kinds.push(Kind::Input);
        }
    }
    kinds
}

/// The output file (`-o FILE` or `-oFILE`); gcc's default is `a.out`.
pub fn output(args: &[String]) -> Option<String> {
    let kinds = classify(args);
    let mut out = None;
    for (i, a) in args.iter().enumerate() {
        if kinds[i] == Kind::Value && i > 0 && args[i - 1] == "-o" {
            out = Some(a.clone());
        } else if kinds[i] == Kind::Option && a.len() > 2 && a.starts_with("-o") {
            out = Some(a[2..].to_string());
        }
    }
    out
}

/// Paths an option argument names: the value of a separate-value option,
/// and each `=`-value or bare word of `-Wl,a,b=c`. Used to notice that a
/// file the link reads (a version script, a linker script) changed.
pub fn option_paths(args: &[String]) -> Vec<String> {
    let kinds = classify(args);
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match kinds[i] {
            Kind::Input => {}
            Kind::Value => {
                if i > 0 && args[i - 1] != "-o" {
                    out.push(a.clone());
                }
            }
            Kind::Option => {
                let parts: Vec<&str> = if let Some(rest) = a.strip_prefix("-Wl,") {
                    rest.split(',').collect()
                } else {
                    vec![a.as_str()]
                };
                for p in parts {
                    if let Some((_, v)) = p.split_once('=') {
                        out.push(v.to_string());
                    } else if !p.starts_with('-') {
                        out.push(p.to_string());
                    } else if let Some(v) = p.strip_prefix("-T").filter(|v| !v.is_empty()) {
                        out.push(v.to_string());
                    }
                }
            }
        }
    }
    out.retain(|p| Path::new(p).is_file());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn response_file_quoting_round_trips() {
        let args = v(&["a b", "c\\d", "'e'", "\"f\"", "", "plain"]);
        let text: Vec<String> = args.iter().map(|a| quote_gnu(a)).collect();
        assert_eq!(split_gnu(&text.join("\n")), args);
        assert_eq!(split_gnu("x 'y z' \"w\\\"q\"\n"), v(&["x", "y z", "w\"q"]));
    }

    #[test]
    fn rust_lld_is_dropped_and_others_reported() {
        let (a, d) = strip_other_linkers(v(&[
            "-m64",
            "-B/r/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld",
            "-fuse-ld=lld",
            "-fuse-ld=mold",
            "-B/other",
            "x.o",
        ]));
        assert_eq!(a, v(&["-m64", "-B/other", "x.o"]));
        assert_eq!(d, v(&["-fuse-ld=mold"]));
    }

    #[test]
    fn inputs_and_output() {
        let a = v(&[
            "-m64",
            "s.o",
            "-L",
            "/lib",
            "-o",
            "out",
            "-Wl,-z,now",
            "x.rlib",
            "-lc",
        ]);
        let k = classify(&a);
        assert_eq!(
            k,
            vec![
                Kind::Option,
                Kind::Input,
                Kind::Option,
                Kind::Value,
                Kind::Option,
                Kind::Value,
                Kind::Option,
                Kind::Input,
                Kind::Option
            ]
        );
        assert_eq!(output(&a).as_deref(), Some("out"));
    }
}
