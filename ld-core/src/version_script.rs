//! GNU ld version scripts (`--version-script`) and dynamic lists
//! (`--dynamic-list`): version nodes with `global:`/`local:` patterns,
//! wildcards (`*`, `?`, `[...]`), quoted exact names and `extern "C++"`
//! blocks matched against demangled names.
//!
//! Grammar (what GNU ld accepts, minus the rarely used `extern "Java"`):
//! ```text
//! script  := node*
//! node    := [NAME] '{' item* '}' NAME* ';'
//! item    := ('global' | 'local') ':' | entry
//! entry   := 'extern' STRING '{' (pattern ';')* '}' [';'] | pattern ';'
//! ```
//! A dynamic list is a single anonymous node whose entries are all global.

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    C,
    Cxx,
}

#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    pub lang: Lang,
    /// Contains wildcards (and was not quoted).
    pub glob: bool,
}

impl Pattern {
    /// How specific a match is: exact names beat wildcards, and `*` alone
    /// is the weakest (GNU ld's precedence).
    pub fn priority(&self) -> u8 {
        if !self.glob {
            2
        } else if self.text.bytes().all(|c| c == b'*') {
            // `*` and `**` match everything: the weakest claim.
            0
        } else {
            1
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        if self.glob {
            glob_match(self.text.as_bytes(), name.as_bytes())
        } else {
            self.text == name
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct VersionNode {
    /// None for the anonymous node.
    pub name: Option<String>,
    pub parents: Vec<String>,
    pub global: Vec<Pattern>,
    pub local: Vec<Pattern>,
}

#[derive(Clone, Debug, Default)]
pub struct VersionScript {
    pub nodes: Vec<VersionNode>,
}

impl VersionScript {
    pub fn has_cxx(&self) -> bool {
        self.nodes
            .iter()
            .flat_map(|n| n.global.iter().chain(n.local.iter()))
            .any(|p| p.lang == Lang::Cxx)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    LBrace,
    RBrace,
    Semi,
}

fn tokenize(src: &str, file: &str) -> Result<Vec<(Tok, usize)>> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = line;
                i += 2;
                loop {
                    if i + 1 >= b.len() {
                        return Err(Error::new(format!("{file}:{start}: unclosed comment")));
                    }
                    if b[i] == b'*' && b[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            b'{' => {
                out.push((Tok::LBrace, line));
                i += 1;
            }
            b'}' => {
                out.push((Tok::RBrace, line));
                i += 1;
            }
            b';' => {
                out.push((Tok::Semi, line));
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\n' {
                        return Err(Error::new(format!("{file}:{line}: unterminated string")));
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(Error::new(format!("{file}:{line}: unterminated string")));
                }
                out.push((Tok::Str(src[start..j].to_string()), line));
                i = j + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && !b"{};\"#".contains(&b[i]) {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        break;
                    }
                    i += 1;
                }
                out.push((Tok::Word(src[start..i].to_string()), line));
            }
        }
    }
    Ok(out)
}

struct P<'a> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    file: &'a str,
}

impl P<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map(|t| t.1)
            .unwrap_or(1)
    }
    fn err(&self, what: &str) -> Error {
        Error::new(format!("{}:{}: {}", self.file, self.line(), what))
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone());
        self.pos += 1;
        t
    }
    fn expect(&mut self, t: Tok, what: &str) -> Result<()> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    /// Items inside a node's braces, up to and including the closing brace.
    /// `only_global`: a dynamic list has no `local:` section.
    fn body(&mut self, node: &mut VersionNode, only_global: bool) -> Result<()> {
        let mut local = false;
        loop {
            match self.next() {
                None => return Err(self.err("unexpected end of file, expected '}'")),
                Some(Tok::RBrace) => return Ok(()),
                Some(Tok::Semi) => {}
                Some(Tok::Word(w)) => {
                    // `global:` / `local:` (also `global :`).
                    let label = if let Some(l) = w.strip_suffix(':') {
                        Some(l.to_string())
                    } else if (w == "global" || w == "local")
                        && self.peek() == Some(&Tok::Word(":".into()))
                    {
                        self.pos += 1;
                        Some(w.clone())
                    } else {
                        None
                    };
                    match label.as_deref() {
                        Some("global") => local = false,
                        Some("local") if !only_global => local = true,
                        Some(l) => {
                            return Err(self.err(&format!("unexpected '{l}:'")));
                        }
                        None if w == "extern" => {
                            let lang = match self.next() {
                                Some(Tok::Str(s)) if s == "C++" => Lang::Cxx,
                                Some(Tok::Str(s)) if s == "C" => Lang::C,
                                Some(Tok::Str(s)) => {
                                    return Err(self.err(&format!("unsupported language \"{s}\"")))
                                }
                                _ => return Err(self.err("expected a language string")),
                            };
                            self.expect(Tok::LBrace, "'{' after extern \"...\"")?;
                            loop {
                                match self.next() {
                                    Some(Tok::RBrace) => break,
                                    Some(Tok::Semi) => {}
                                    Some(Tok::Word(p)) => {
                                        self.push(node, local, p, lang, true);
                                    }
                                    Some(Tok::Str(p)) => {
                                        self.push(node, local, p, lang, false);
                                    }
                                    _ => return Err(self.err("expected a pattern or '}'")),
                                }
                            }
                        }
                        None => self.push(node, local, w, Lang::C, true),
                    }
                }
                Some(Tok::Str(s)) => self.push(node, local, s, Lang::C, false),
                Some(Tok::LBrace) => return Err(self.err("unexpected '{'")),
            }
        }
    }

    fn push(&self, node: &mut VersionNode, local: bool, text: String, lang: Lang, may_glob: bool) {
        // `\\c` is the character c: a pattern whose wildcards are all
        // escaped is a plain name (`foo\\?` is `foo?`).
        let (text, glob) = if may_glob {
            let mut plain = String::with_capacity(text.len());
            let mut wild = false;
            let mut chars = text.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => plain.extend(chars.next()),
                    '*' | '?' | '[' => {
                        wild = true;
                        plain.push(c);
                    }
                    _ => plain.push(c),
                }
            }
            if wild {
                (text, true)
            } else {
                (plain, false)
            }
        } else {
            (text, false)
        };
        let p = Pattern { text, lang, glob };
        if local {
            node.local.push(p);
        } else {
            node.global.push(p);
        }
    }
}

/// Parse a version script.
pub fn parse_version_script(src: &str, file: &str) -> Result<VersionScript> {
    let mut p = P {
        toks: tokenize(src, file)?,
        pos: 0,
        file,
    };
    let mut script = VersionScript::default();
    while let Some(t) = p.next() {
        let mut node = VersionNode::default();
        match t {
            Tok::LBrace => {}
            Tok::Word(name) => {
                node.name = Some(name);
                p.expect(Tok::LBrace, "'{' after the version name")?;
            }
            Tok::Semi => continue,
            _ => return Err(p.err("expected a version name or '{'")),
        }
        p.body(&mut node, false)?;
        loop {
            match p.next() {
                Some(Tok::Semi) => break,
                Some(Tok::Word(parent)) => node.parents.push(parent),
                _ => return Err(p.err("expected ';' after the version node")),
            }
        }
        if node.name.is_none() && !script.nodes.is_empty() {
            return Err(p.err("an anonymous version node must be the only one"));
        }
        if let Some(n) = &node.name {
            if script.nodes.iter().any(|x| x.name.as_ref() == Some(n)) {
                return Err(p.err(&format!("duplicate version node {n}")));
            }
        }
        script.nodes.push(node);
    }
    for n in &script.nodes {
        for parent in &n.parents {
            if !script.nodes.iter().any(|x| x.name.as_ref() == Some(parent)) {
                return Err(Error::new(format!(
                    "{file}: version node {} depends on unknown version {parent}",
                    n.name.as_deref().unwrap_or("")
                )));
            }
        }
    }
    Ok(script)
}

/// Parse a dynamic list (`{ sym; pattern*; extern "C++" { ... }; };`).
pub fn parse_dynamic_list(src: &str, file: &str) -> Result<Vec<Pattern>> {
    let mut p = P {
        toks: tokenize(src, file)?,
        pos: 0,
        file,
    };
    let mut node = VersionNode::default();
    while let Some(t) = p.next() {
        match t {
            Tok::LBrace => {
                p.body(&mut node, true)?;
                p.expect(Tok::Semi, "';' after '}'")?;
            }
            Tok::Semi => {}
            _ => return Err(p.err("expected '{'")),
        }
    }
    Ok(node.global)
}

/// Shell-style wildcard match: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
pub fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                // `\c` matches `c` itself (`foo\?` is the name `foo?`).
                b'\\' if p + 1 < pat.len() && pat[p + 1] == s[i] => {
                    p += 2;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, len)) = class_match(&pat[p..], s[i]) {
                        if ok {
                            p += len;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                c if c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Match `c` against the class at the start of `pat` (`[...]`); returns
/// (matched, length of the class) or None if the class is unterminated.
fn class_match(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut j = 1;
    let neg = matches!(pat.get(j), Some(b'!') | Some(b'^'));
    if neg {
        j += 1;
    }
    let mut ok = false;
    let mut first = true;
    while j < pat.len() {
        if pat[j] == b']' && !first {
            return Some((ok != neg, j + 1));
        }
        first = false;
        if pat.get(j + 1) == Some(&b'-') && pat.get(j + 2).is_some_and(|&e| e != b']') {
            if pat[j] <= c && c <= pat[j + 2] {
                ok = true;
            }
            j += 3;
        } else {
            if pat[j] == c {
                ok = true;
            }
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"*", b"anything"));
        assert!(glob_match(b"foo*", b"foobar"));
        assert!(!glob_match(b"foo*", b"fobar"));
        assert!(glob_match(b"f?o", b"foo"));
        assert!(glob_match(b"*_v[0-9]", b"sym_v3"));
        // Escapes: `\\?` is a literal `?`, `\\b` a literal `b`.
        assert!(glob_match(b"*foo\\bar*", b"xfoobarx"));
        assert!(glob_match(b"a\\?*", b"a?b"));
        assert!(!glob_match(b"a\\?*", b"ab"));
        let s = parse_version_script("V0 { **; };\nV1 { foo\\?; };\n", "t.ver").unwrap();
        let p = &s.nodes[1].global[0];
        assert!(
            !p.glob && p.text == "foo?",
            "an all-escaped pattern is a plain name"
        );
        assert!(s.nodes[0].global[0].priority() < s.nodes[1].global[0].priority());
        assert!(!glob_match(b"*_v[!0-9]", b"sym_v3"));
        assert!(glob_match(b"a*b*c", b"aXXbYYc"));
        assert!(!glob_match(b"a*b*c", b"aXXbYY"));
        assert!(glob_match(b"ns::*", b"ns::f(int)"));
    }

    #[test]
    fn version_nodes() {
        let s = parse_version_script(
            "# comment\nV1 { global: foo; bar*; local: *; };\n/* c */ V2 {\n global:\n  foo; \"ex*act\";\n extern \"C++\" { ns::*; \"ns::g(int)\" };\n} V1;\n",
            "v.map",
        )
        .unwrap();
        assert_eq!(s.nodes.len(), 2);
        assert_eq!(s.nodes[0].name.as_deref(), Some("V1"));
        assert_eq!(s.nodes[0].global.len(), 2);
        assert!(s.nodes[0].global[1].glob);
        assert_eq!(s.nodes[0].local[0].text, "*");
        assert_eq!(s.nodes[1].parents, vec!["V1".to_string()]);
        assert!(!s.nodes[1].global[1].glob);
        assert_eq!(s.nodes[1].global[2].lang, Lang::Cxx);
        assert!(!s.nodes[1].global[3].glob);
        assert!(s.has_cxx());
    }

    #[test]
    fn anonymous_and_rustc_style() {
        let s = parse_version_script(
            "{\n  global:\n    rust_metadata_x;\n    my_fn;\n\n  local:\n    *;\n};\n",
            "list",
        )
        .unwrap();
        assert_eq!(s.nodes.len(), 1);
        assert!(s.nodes[0].name.is_none());
        assert_eq!(s.nodes[0].global.len(), 2);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        for bad in [
            "V1 { global: foo; ",
            "V1 { foo; } V0;",
            "V1 { foo; }",
            "{ a; }; { b; };",
            "V1 { extern \"Java\" { x; }; };",
            "/* open",
        ] {
            let e = parse_version_script(bad, "bad.map").unwrap_err();
            assert!(e.msg.starts_with("bad.map"), "{bad}: {}", e.msg);
        }
    }

    #[test]
    fn dynamic_list() {
        let l = parse_dynamic_list("{ foo; bar*; extern \"C++\" { \"A::f()\"; }; };", "d").unwrap();
        assert_eq!(l.len(), 3);
        assert!(parse_dynamic_list("{ local: x; };", "d").is_err());
    }
}
