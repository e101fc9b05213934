//! A reader for Ninja manifests (`build.ninja` and what it includes): the
//! build edges with their inputs and outputs, and each edge's `command`
//! evaluated the way Ninja evaluates it (edge bindings, then the rule's
//! bindings, then the enclosing file scopes; `$in`, `$out`, `$in_newline`).
//!
//! Only what the hook needs: pools, defaults and validations are parsed and
//! dropped. A manifest this reader gets wrong costs overlap, never
//! correctness: the link launcher compares the command line it really got
//! with the one the background linker was started with.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

#[derive(Debug, Clone)]
enum Piece {
    Lit(String),
    Var(String),
}

type EvalString = Vec<Piece>;

#[derive(Debug)]
struct Rule {
    bindings: HashMap<String, EvalString>,
}

#[derive(Default)]
struct Scope {
    vars: RefCell<HashMap<String, String>>,
    rules: RefCell<HashMap<String, Rc<Rule>>>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    fn lookup_var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref().and_then(|p| p.lookup_var(name))
    }

    fn lookup_rule(&self, name: &str) -> Option<Rc<Rule>> {
        if let Some(r) = self.rules.borrow().get(name) {
            return Some(r.clone());
        }
        self.parent.as_ref().and_then(|p| p.lookup_rule(name))
    }
}

/// One `build` statement.
pub struct Edge {
    pub rule_name: String,
    rule: Option<Rc<Rule>>,
    scope: Rc<Scope>,
    bindings: HashMap<String, String>,
    /// Outputs (explicit first), canonical as Ninja spells them.
    pub outputs: Vec<String>,
    pub n_explicit_out: usize,
    /// Inputs: explicit, then implicit, then order-only.
    pub inputs: Vec<String>,
    pub n_explicit_in: usize,
    pub n_implicit_in: usize,
}

impl Edge {
    /// The edge's `command`, as Ninja would run it (None for `phony`).
    pub fn command(&self) -> Option<String> {
        self.rule.as_ref()?;
        Some(self.lookup("command", 0))
    }

    /// The response file Ninja writes before running the edge, if any:
    /// (`rspfile`, `rspfile_content`).
    pub fn rsp(&self) -> Option<(String, String)> {
        let rule = self.rule.as_ref()?;
        if !rule.bindings.contains_key("rspfile") && !self.bindings.contains_key("rspfile") {
            return None;
        }
        let name = self.lookup("rspfile", 0);
        if name.is_empty() {
            return None;
        }
        Some((name, self.lookup("rspfile_content", 0)))
    }

    fn lookup(&self, var: &str, depth: usize) -> String {
        if depth > 64 {
            return String::new();
        }
        match var {
            "in" | "in_newline" => {
                let sep = if var == "in" { " " } else { "\n" };
                return self.inputs[..self.n_explicit_in]
                    .iter()
                    .map(|p| shell_escape(p))
                    .collect::<Vec<_>>()
                    .join(sep);
            }
            "out" => {
                return self.outputs[..self.n_explicit_out]
                    .iter()
                    .map(|p| shell_escape(p))
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            _ => {}
        }
        if let Some(v) = self.bindings.get(var) {
            return v.clone();
        }
        if let Some(eval) = self.rule.as_ref().and_then(|r| r.bindings.get(var)) {
            let mut s = String::new();
            for p in eval {
                match p {
                    Piece::Lit(l) => s.push_str(l),
                    Piece::Var(v) => s.push_str(&self.lookup(v, depth + 1)),
                }
            }
            return s;
        }
        self.scope.lookup_var(var).unwrap_or_default()
    }
}

/// Ninja's quoting of `$in`/`$out` paths for the shell.
fn shell_escape(p: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_+-./".contains(c);
    if !p.is_empty() && p.chars().all(safe) {
        return p.to_string();
    }
    format!("'{}'", p.replace('\'', "'\\''"))
}

/// Ninja's path canonicalization (lexical: `.` and `x/..` removed, repeated
/// slashes collapsed; leading `..` kept).
pub fn canonicalize(p: &str) -> String {
    if p.is_empty() {
        return String::new();
    }
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(l) if *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let s = parts.join("/");
    if abs {
        format!("/{s}")
    } else if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

pub struct Manifest {
    pub edges: Vec<Edge>,
    /// Every manifest file read (for change detection).
    pub files: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read `path` (relative paths inside it are relative to `dir`, Ninja's
/// working directory).
pub fn load(path: &Path, dir: &Path) -> Result<Manifest, ParseError> {
    let mut m = Manifest {
        edges: Vec::new(),
        files: Vec::new(),
    };
    let scope = Rc::new(Scope::default());
    parse_file(&mut m, path, dir, scope, 0)?;
    Ok(m)
}

fn parse_file(
    m: &mut Manifest,
    path: &Path,
    dir: &Path,
    scope: Rc<Scope>,
    depth: usize,
) -> Result<(), ParseError> {
    if depth > 32 {
        return Err(ParseError(format!(
            "{}: include nesting too deep",
            path.display()
        )));
    }
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    };
    let text = std::fs::read_to_string(&full)
        .map_err(|e| ParseError(format!("cannot read {}: {e}", full.display())))?;
    m.files.push(full.clone());
    let lines = logical_lines(&text);
    let mut i = 0;
    let err = |n: usize, msg: &str| ParseError(format!("{}:{}: {msg}", full.display(), n + 1));
    while i < lines.len() {
        let (lineno, ref line) = lines[i];
        i += 1;
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.len() != line.len() {
            // A stray indented line (Ninja itself would complain).
            continue;
        }
        // The indented bindings that follow a statement.
        let mut bindings: Vec<(String, EvalString)> = Vec::new();
        let take_bindings = |i: &mut usize, bindings: &mut Vec<(String, EvalString)>| {
            while *i < lines.len() {
                let (_, ref l) = lines[*i];
                let t = l.trim_start_matches(' ');
                if t.is_empty() {
                    // A blank line ends the bindings; comments do not.
                    break;
                }
                if t.starts_with('#') {
                    *i += 1;
                    continue;
                }
                if t.len() == l.len() {
                    break;
                }
                if let Some((k, v)) = split_binding(t) {
                    bindings.push((k, v));
                }
                *i += 1;
            }
        };
        let (word, rest) = split_word(trimmed);
        match word {
            "rule" => {
                take_bindings(&mut i, &mut bindings);
                let name = rest.trim().to_string();
                scope.rules.borrow_mut().insert(
                    name,
                    Rc::new(Rule {
                        bindings: bindings.into_iter().collect(),
                    }),
                );
            }
            "pool" => take_bindings(&mut i, &mut bindings),
            "default" => {}
            "include" | "subninja" => {
                let p = eval(&parse_eval(rest.trim(), false).0, &|v| {
                    scope.lookup_var(v).unwrap_or_default()
                });
                if word == "include" {
                    parse_file(m, Path::new(&p), dir, scope.clone(), depth + 1)?;
                } else {
                    let child = Rc::new(Scope {
                        parent: Some(scope.clone()),
                        ..Default::default()
                    });
                    parse_file(m, Path::new(&p), dir, child, depth + 1)?;
                }
            }
            "build" => {
                take_bindings(&mut i, &mut bindings);
                // outputs [| implicit outputs] : rule inputs [| implicit] [|| order-only] [|@ validations]
                let mut outs = Vec::new();
                let mut implicit_outs = Vec::new();
                let mut rest = rest;
                let mut in_implicit = false;
                loop {
                    rest = rest.trim_start_matches(' ');
                    if let Some(r) = rest.strip_prefix(':') {
                        rest = r;
                        break;
                    }
                    if let Some(r) = rest.strip_prefix('|') {
                        in_implicit = true;
                        rest = r;
                        continue;
                    }
                    if rest.is_empty() {
                        return Err(err(lineno, "expected ':' in build statement"));
                    }
                    let (e, r) = parse_eval(rest, true);
                    rest = r;
                    if in_implicit {
                        implicit_outs.push(e);
                    } else {
                        outs.push(e);
                    }
                }
                let (rule_name, r) = split_word(rest.trim_start_matches(' '));
                let rule_name = rule_name.to_string();
                rest = r;
                let mut ins = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
                let mut kind = 0;
                loop {
                    rest = rest.trim_start_matches(' ');
                    if rest.is_empty() {
                        break;
                    }
                    if let Some(r) = rest.strip_prefix("|@") {
                        kind = 3;
                        rest = r;
                        continue;
                    }
                    if let Some(r) = rest.strip_prefix("||") {
                        kind = 2;
                        rest = r;
                        continue;
                    }
                    if let Some(r) = rest.strip_prefix('|') {
                        kind = 1;
                        rest = r;
                        continue;
                    }
                    let (e, r) = parse_eval(rest, true);
                    rest = r;
                    ins[kind].push(e);
                }
                // Edge bindings are evaluated now, in the file scope.
                let mut env: HashMap<String, String> = HashMap::new();
                for (k, v) in &bindings {
                    let val = eval(v, &|name| {
                        env.get(name)
                            .cloned()
                            .or_else(|| scope.lookup_var(name))
                            .unwrap_or_default()
                    });
                    env.insert(k.clone(), val);
                }
                let ev = |e: &EvalString| {
                    canonicalize(&eval(e, &|name| {
                        env.get(name)
                            .cloned()
                            .or_else(|| scope.lookup_var(name))
                            .unwrap_or_default()
                    }))
                };
                let mut outputs: Vec<String> = outs.iter().map(ev).collect();
                let n_explicit_out = outputs.len();
                outputs.extend(implicit_outs.iter().map(ev));
                let mut inputs: Vec<String> = ins[0].iter().map(ev).collect();
                let n_explicit_in = inputs.len();
                inputs.extend(ins[1].iter().map(ev));
                let n_implicit_in = inputs.len() - n_explicit_in;
                inputs.extend(ins[2].iter().map(ev));
                let rule =
                    if rule_name == "phony" {
                        None
                    } else {
                        Some(scope.lookup_rule(&rule_name).ok_or_else(|| {
                            err(lineno, &format!("unknown build rule '{rule_name}'"))
                        })?)
                    };
                m.edges.push(Edge {
                    rule_name,
                    rule,
                    scope: scope.clone(),
                    bindings: env,
                    outputs,
                    n_explicit_out,
                    inputs,
                    n_explicit_in,
                    n_implicit_in,
                });
            }
            _ => {
                // A top-level variable.
                if let Some((k, v)) = split_binding(trimmed) {
                    let val = eval(&v, &|name| scope.lookup_var(name).unwrap_or_default());
                    scope.vars.borrow_mut().insert(k, val);
                } else {
                    return Err(err(lineno, &format!("unexpected '{word}'")));
                }
            }
        }
    }
    Ok(())
}

/// Split the text into logical lines (joining `$`-newline continuations,
/// which also eat the next line's leading spaces), with their first
/// physical line number. Escapes other than the continuation are kept.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut lineno = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => match chars.peek() {
                Some('\n') => {
                    chars.next();
                    lineno += 1;
                    while chars.peek() == Some(&' ') {
                        chars.next();
                    }
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lineno += 1;
                    while chars.peek() == Some(&' ') {
                        chars.next();
                    }
                }
                Some(&n) => {
                    chars.next();
                    cur.push('$');
                    cur.push(n);
                }
                None => cur.push('$'),
            },
            '\n' => {
                if cur.ends_with('\r') {
                    cur.pop();
                }
                out.push((start, std::mem::take(&mut cur)));
                lineno += 1;
                start = lineno;
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

fn split_word(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// `name = value`.
fn split_binding(s: &str) -> Option<(String, EvalString)> {
    let (name, rest) = split_word(s);
    if name.is_empty() {
        return None;
    }
    let rest = rest.trim_start_matches(' ').strip_prefix('=')?;
    let rest = rest.trim_start_matches(' ');
    Some((name.to_string(), parse_eval(rest, false).0))
}

/// Parse an evaluable string; in `path` mode it ends at an unescaped space,
/// `:` or `|`. Returns it and the rest of the text.
fn parse_eval(s: &str, path: bool) -> (EvalString, &str) {
    let mut out: EvalString = Vec::new();
    let mut lit = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    let flush = |lit: &mut String, out: &mut EvalString| {
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(lit)));
        }
    };
    while i < b.len() {
        let c = b[i];
        if path && (c == b' ' || c == b':' || c == b'|') {
            break;
        }
        if c == b'$' && i + 1 < b.len() {
            let n = b[i + 1];
            match n {
                b'$' | b' ' | b':' => {
                    lit.push(n as char);
                    i += 2;
                }
                b'{' => {
                    let end = s[i + 2..].find('}').map(|e| i + 2 + e);
                    match end {
                        Some(e) => {
                            flush(&mut lit, &mut out);
                            out.push(Piece::Var(s[i + 2..e].to_string()));
                            i = e + 1;
                        }
                        None => {
                            lit.push_str(&s[i..]);
                            i = b.len();
                        }
                    }
                }
                _ => {
                    let mut e = i + 1;
                    while e < b.len()
                        && (b[e].is_ascii_alphanumeric() || b[e] == b'_' || b[e] == b'-')
                    {
                        e += 1;
                    }
                    if e == i + 1 {
                        // Not a valid escape; keep it literally.
                        lit.push('$');
                        i += 1;
                    } else {
                        flush(&mut lit, &mut out);
                        out.push(Piece::Var(s[i + 1..e].to_string()));
                        i = e;
                    }
                }
            }
            continue;
        }
        // Copy one UTF-8 character.
        let ch = s[i..].chars().next().unwrap();
        lit.push(ch);
        i += ch.len_utf8();
    }
    flush(&mut lit, &mut out);
    (out, &s[i..])
}

fn eval(e: &EvalString, lookup: &dyn Fn(&str) -> String) -> String {
    let mut s = String::new();
    for p in e {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Var(v) => s.push_str(&lookup(v)),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Manifest {
        let dir = std::env::temp_dir().join(format!("nh-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("build.ninja"), text).unwrap();
        let m = load(Path::new("build.ninja"), &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        m
    }

    #[test]
    fn commands_and_paths() {
        let m = parse(
            "cc = gcc\ncflags = -O2\nrule cc\n  command = $cc $cflags -c $in -o $out\n  depfile = $out.d\n\
             build obj/./a.o: cc src/a.c | hdr.h || gen\n  cflags = -O0 $cflags\n\
             build x$ y.o: cc a$:b.c\n\
             rule link\n  command = $cc $in -o $out $\n      $libs\n\
             build app | app.map: link obj/a.o x$ y.o\n  libs = -lm\n\
             build all: phony app\n\
             cflags = -O3\n",
        );
        assert_eq!(m.edges.len(), 4);
        let a = &m.edges[0];
        assert_eq!(a.outputs, vec!["obj/a.o"]);
        assert_eq!(a.inputs, vec!["src/a.c", "hdr.h", "gen"]);
        assert_eq!(a.n_explicit_in, 1);
        assert_eq!(a.n_implicit_in, 1);
        assert_eq!(a.command().unwrap(), "gcc -O0 -O2 -c src/a.c -o obj/a.o");
        let b = &m.edges[1];
        assert_eq!(b.outputs, vec!["x y.o"]);
        assert_eq!(b.command().unwrap(), "gcc -O3 -c 'a:b.c' -o 'x y.o'");
        let l = &m.edges[2];
        assert_eq!(l.outputs, vec!["app", "app.map"]);
        assert_eq!(l.n_explicit_out, 1);
        assert_eq!(l.command().unwrap(), "gcc obj/a.o 'x y.o' -o app -lm");
        assert!(m.edges[3].command().is_none());
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(canonicalize("./a//b/../c"), "a/c");
        assert_eq!(canonicalize("../x/./y"), "../x/y");
        assert_eq!(canonicalize("/a/../../b"), "/b");
    }
}
