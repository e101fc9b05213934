//! Exports: after resolution, decide for each symbol whether it goes into
//! the dynamic symbol table as a definition, with which version, and whether
//! it is preemptible (references to it may bind to another module at run
//! time, so they go through the GOT/PLT). Inputs: visibility, the output
//! kind, `--export-dynamic`, `--dynamic-list`, `--export-dynamic-symbol`,
//! `-Bsymbolic[-functions]`, the version script and `.symver` names.
//!
//! Assumes `resolve` has run and linker-defined symbols are `Synthetic`.

use crate::error::{Error, Result};
use crate::object_file::ObjectFile;
use crate::options::{Options, OutputKind};
use crate::resolve::{is_linker_defined, Resolved, SymDef, Symbol};
use crate::version_script::{self, Lang, Pattern, VersionScript};
use object::elf;
use rayon::prelude::*;
use std::collections::HashMap;

/// Version definitions for `.gnu.version_d`.
#[derive(Debug, Default)]
pub struct VersionDefs {
    /// The base definition's name (the soname, or the output file name).
    pub base: Vec<u8>,
    /// Named version nodes; node `i` has version index `i + 2`. With the
    /// indices (into `nodes`) of the versions it inherits from.
    pub nodes: Vec<(Vec<u8>, Vec<usize>)>,
}

/// How a name matched the version script: (node, local, priority).
type Match = (usize, bool, u8);

struct Matcher<'a> {
    script: &'a VersionScript,
    exact: HashMap<&'a str, (usize, bool)>,
    globs: Vec<(usize, bool, &'a Pattern)>,
    cxx: bool,
}

impl<'a> Matcher<'a> {
    fn new(script: &'a VersionScript) -> Self {
        let mut exact = HashMap::new();
        let mut globs = Vec::new();
        for (ni, n) in script.nodes.iter().enumerate() {
            for (local, list) in [(false, &n.global), (true, &n.local)] {
                for p in list {
                    if !p.glob && p.lang == Lang::C {
                        // First mention wins; a global listing beats a local one.
                        let e = exact.entry(p.text.as_str()).or_insert((ni, local));
                        if e.1 && !local {
                            *e = (ni, local);
                        }
                    } else {
                        globs.push((ni, local, p));
                    }
                }
            }
        }
        Matcher {
            script,
            exact,
            globs,
            cxx: script.has_cxx(),
        }
    }

    fn lookup(&self, name: &str, demangled: Option<&str>) -> Option<Match> {
        if let Some(&(n, l)) = self.exact.get(name) {
            return Some((n, l, 3));
        }
        let mut best: Option<Match> = None;
        for &(ni, local, p) in &self.globs {
            // A name that is not C++-mangled is its own demangling (as lld
            // and mold match `extern "C++"` patterns).
            let subject = match p.lang {
                Lang::C => Some(name),
                Lang::Cxx => demangled.or(Some(name)),
            };
            let Some(subject) = subject else { continue };
            if !p.matches(subject) {
                continue;
            }
            let pr = p.priority();
            let better = match best {
                None => true,
                Some((_, bl, bp)) => pr > bp || (pr == bp && bl && !local),
            };
            if better {
                best = Some((ni, local, pr));
            }
        }
        best
    }
}

/// `name` as diagnostics show it: Rust v0 names (`_R`) demangled as Rust;
/// `_ZN` names as Rust's legacy mangling if they end with its hash, or if
/// `rust` (an input's `.comment` names rustc, as mold decides), else as
/// C++; `None` if not mangled.
pub(crate) fn demangle_for_messages(name: &str, rust: bool) -> Option<String> {
    if name.starts_with("_R") || (name.starts_with("_ZN") && (rust || has_rust_hash(name))) {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            // `{:#}`: without the hash suffixes and crate disambiguators.
            return Some(format!("{d:#}"));
        }
        // A legacy path followed by more characters (a C++ parameter list,
        // say): the path demangled, the rest as is, as mold shows it.
        if let Some(end) = legacy_rust_path_len(name) {
            if let Ok(d) = rustc_demangle::try_demangle(&name[..end]) {
                return Some(format!("{d:#}{}", &name[end..]));
            }
        }
    }
    demangle(name)
}

/// Whether `name` ends as Rust's legacy mangling does, with a hash path
/// element (`17h` and 16 hex digits, then `E`): such names are Rust's,
/// whatever made the link's other inputs (GNU ld's demangler decides so).
fn has_rust_hash(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 23 && b.ends_with(b"E") && {
        let h = &b[b.len() - 20..b.len() - 1];
        h.starts_with(b"17h") && h[3..].iter().all(u8::is_ascii_hexdigit)
    }
}

/// The length of `_ZN<len><ident>...E` at the start of `name`.
fn legacy_rust_path_len(name: &str) -> Option<usize> {
    let b = name.as_bytes();
    let mut i = 3;
    loop {
        match b.get(i)? {
            b'E' => return Some(i + 1),
            c if c.is_ascii_digit() => {
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let len: usize = name[i..i + digits].parse().ok()?;
                i = i.checked_add(digits)?.checked_add(len)?;
            }
            _ => return None,
        }
    }
}

/// The C++ demangling of `name`, if it is a C++ (`_Z`) name.
pub(crate) fn demangle(name: &str) -> Option<String> {
    if !name.starts_with("_Z") {
        return None;
    }
    let sym = cpp_demangle::Symbol::new(name).ok()?;
    sym.demangle().ok()
}

fn read_text(path: &std::path::Path, what: &str) -> Result<String> {
    let data = std::fs::read(path)
        .map_err(|e| Error::new(format!("cannot read {what} {}: {e}", path.display())))?;
    String::from_utf8(data)
        .map_err(|_| Error::new(format!("{}: {what} is not UTF-8 text", path.display())))
}

/// Which of `names` the version script makes local (a `local:` pattern is
/// their best match), for the LTO plugin: GNU ld reports such a definition
/// as used by IR only. Nothing without a version script.
pub(crate) fn localized_by_version_script<'n>(
    opts: &Options,
    names: impl Iterator<Item = &'n [u8]>,
) -> Result<Vec<&'n [u8]>> {
    let script = match (
        &opts.exports.version_script,
        &opts.exports.version_script_text,
    ) {
        (Some(p), _) => version_script::parse_version_script(
            &read_text(p, "version script")?,
            &p.display().to_string(),
        )?,
        (None, Some((text, name))) => version_script::parse_version_script(text, name)?,
        (None, None) => return Ok(Vec::new()),
    };
    let matcher = Matcher::new(&script);
    Ok(names
        .filter(|n| {
            let name = String::from_utf8_lossy(n);
            let dm = if matcher.cxx { demangle(&name) } else { None };
            matches!(matcher.lookup(&name, dm.as_deref()), Some((_, true, _)))
        })
        .collect())
}

/// A version script's exact (non-wildcard, C) `global:` names that this
/// link does not define: a warning, as mold gives, or an error under
/// `--no-undefined-version`, as lld and GNU ld give.
fn check_undefined_versions(
    opts: &Options,
    res: &Resolved,
    script: &VersionScript,
    path: &std::path::Path,
) -> Result<()> {
    let mut errors = Vec::new();
    for node in &script.nodes {
        for p in node.global.iter().filter(|p| !p.glob && p.lang == Lang::C) {
            let defined = res.lookup(p.text.as_bytes()).is_some_and(|id| {
                matches!(
                    res.symbols[id as usize].def,
                    SymDef::Object { .. } | SymDef::Common { .. } | SymDef::Synthetic
                )
            });
            if defined || is_linker_defined(p.text.as_bytes()) {
                continue;
            }
            let msg = format!(
                "{}: cannot assign version `{}` to symbol `{}`: symbol not found",
                path.display(),
                node.name.as_deref().unwrap_or("global"),
                p.text
            );
            if opts.exports.no_undefined_version {
                errors.push(msg);
            } else {
                crate::error::warn(msg);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}

/// Decide exports, preemption and versions; returns the version definitions.
pub fn decide(opts: &Options, res: &mut Resolved) -> Result<VersionDefs> {
    let kind = opts.output_kind;
    let shared = kind == OutputKind::Shared;
    let script = match (
        &opts.exports.version_script,
        &opts.exports.version_script_text,
    ) {
        (Some(p), _) => Some(version_script::parse_version_script(
            &read_text(p, "version script")?,
            &p.display().to_string(),
        )?),
        // A linker script's VERSION command.
        (None, Some((text, name))) => Some(version_script::parse_version_script(text, name)?),
        (None, None) => None,
    };
    let dynlist = match &opts.exports.dynamic_list {
        Some(p) => Some(version_script::parse_dynamic_list(
            &read_text(p, "dynamic list")?,
            &p.display().to_string(),
        )?),
        None => None,
    };
    let mut extra: Vec<Pattern> = opts
        .exports
        .export_dynamic_symbols
        .iter()
        .map(|s| Pattern {
            text: s.clone(),
            lang: Lang::C,
            glob: s.bytes().any(|c| matches!(c, b'*' | b'?' | b'[')),
        })
        .collect();
    for p in &opts.exports.export_dynamic_symbol_lists {
        extra.extend(version_script::parse_dynamic_list(
            &read_text(p, "dynamic symbol list")?,
            &p.display().to_string(),
        )?);
    }
    let empty = VersionScript::default();
    let matcher = Matcher::new(script.as_ref().unwrap_or(&empty));
    let list_cxx = dynlist
        .as_ref()
        .is_some_and(|l| l.iter().any(|p| p.lang == Lang::Cxx))
        || extra.iter().any(|p| p.lang == Lang::Cxx);
    // A dynamic list (a file or --dynamic-list-data) decides which of a
    // shared object's symbols stay preemptible.
    let has_dynlist = dynlist.is_some() || opts.exports.dynamic_list_data;

    let mut defs = VersionDefs::default();
    let mut node_index: HashMap<&str, u16> = HashMap::new();
    if let Some(s) = &script {
        for n in &s.nodes {
            if let Some(name) = &n.name {
                node_index.insert(name.as_str(), defs.nodes.len() as u16 + 2);
                let parents = n
                    .parents
                    .iter()
                    .filter_map(|p| s.nodes.iter().position(|x| x.name.as_ref() == Some(p)))
                    .map(|i| {
                        // Index among named nodes.
                        s.nodes[..i].iter().filter(|x| x.name.is_some()).count()
                    })
                    .collect();
                defs.nodes.push((name.as_bytes().to_vec(), parents));
            }
        }
    }
    defs.base = match &opts.soname {
        Some(s) => s.as_bytes().to_vec(),
        None => opts
            .output
            .file_name()
            .map(|n| n.to_string_lossy().as_bytes().to_vec())
            .unwrap_or_default(),
    };
    if let (Some(s), Some(p)) = (&script, &opts.exports.version_script) {
        check_undefined_versions(opts, res, s, p)?;
    }
    if kind.is_static() {
        return Ok(defs);
    }

    let ex = Exporter {
        opts,
        shared,
        script: script.as_ref(),
        matcher: &matcher,
        node_index: &node_index,
        dynlist: dynlist.as_deref(),
        extra: &extra,
        cxx: matcher.cxx || list_cxx,
        has_dynlist,
    };
    // Each symbol is decided alone; errors are reported in symbol order.
    let objects = &res.objects;
    let errors: Vec<String> = res
        .symbols
        .par_iter_mut()
        .with_min_len(1024)
        .filter_map(|s| ex.decide(objects, s))
        .collect();
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    Ok(defs)
}

/// What decides each symbol's export, preemption and version.
struct Exporter<'a> {
    opts: &'a Options,
    shared: bool,
    script: Option<&'a VersionScript>,
    matcher: &'a Matcher<'a>,
    /// Version node name -> version index.
    node_index: &'a HashMap<&'a str, u16>,
    dynlist: Option<&'a [Pattern]>,
    /// `--export-dynamic-symbol[-list]` patterns.
    extra: &'a [Pattern],
    /// Some pattern is `extern "C++"`: names are demangled to match.
    cxx: bool,
    has_dynlist: bool,
}

impl Exporter<'_> {
    /// Decides symbol `s`; an error message if its version is undefined.
    fn decide(&self, objects: &[ObjectFile], s: &mut Symbol) -> Option<String> {
        let (opts, shared) = (self.opts, self.shared);
        let (file, sym) = match s.def {
            SymDef::Undefined => {
                // A weak-only reference stays 0 under -z nodynamic-undefined-weak,
                // and in an executable unless -z dynamic-undefined-weak.
                let weak_dynamic = opts.dynamic_undefined_weak.unwrap_or(shared);
                let dynamic = if shared {
                    s.strong_ref || weak_dynamic
                } else {
                    !s.strong_ref && weak_dynamic
                };
                if (s.referenced || s.strong_ref) && dynamic && !is_linker_defined(&s.name) {
                    s.preemptible = true;
                }
                return None;
            }
            SymDef::Object { file, sym } | SymDef::Common { file, sym } => (file, sym),
            _ => return None,
        };
        if s.visibility == elf::STV_HIDDEN || s.visibility == elf::STV_INTERNAL {
            return None;
        }
        // An executable without a version script or lists exports only
        // what shared libraries reference (or all, `--export-dynamic`), and
        // a version it does not export changes nothing: most definitions
        // are decided here, without reading their input symbol or name.
        if !shared
            && !s.dso_ref
            && !opts.export_dynamic
            && self.script.is_none()
            && self.dynlist.is_none()
            && !opts.exports.dynamic_list_data
            && self.extra.is_empty()
        {
            return None;
        }
        let isym = &objects[file as usize].symbols[sym as usize];
        let is_func = isym.typ == elf::STT_FUNC || isym.typ == elf::STT_GNU_IFUNC;
        // `.symver` names: `foo@V1` (hidden, older) and `foo@@V2` (default).
        let name_str = String::from_utf8_lossy(&s.name);
        let explicit: Option<(String, bool)> = match s.def_version {
            Some(v) => Some((String::from_utf8_lossy(&v).into_owned(), false)),
            None => s
                .name
                .iter()
                .position(|&c| c == b'@')
                .map(|i| (String::from_utf8_lossy(&s.name[i + 1..]).into_owned(), true)),
        };
        // Demangled once, and only if some pattern is `extern "C++"`.
        let dm = if self.cxx { demangle(&name_str) } else { None };
        let mut versym = elf::VER_NDX_GLOBAL;
        match &explicit {
            // `foo@@` (an empty default version): the base version, global,
            // whatever the version script's `local: *` says.
            Some((v, false)) if v.is_empty() => {}
            Some((v, hidden)) => match self.node_index.get(v.as_str()) {
                Some(&i) => versym = i | if *hidden { elf::VERSYM_HIDDEN } else { 0 },
                // Without a version script an executable has no versions
                // to define: the name's version is ignored, as GNU ld does.
                None if self.script.is_none() && !shared => {}
                None => {
                    return Some(format!(
                        "{}: symbol {name_str} has version {v}, which the version script does not define",
                        objects[file as usize].name
                    ));
                }
            },
            None if self.script.is_some() => {
                if let Some((ni, local, _)) = self.matcher.lookup(&name_str, dm.as_deref()) {
                    if local {
                        // Localized: bound here, not exported.
                        s.visibility = elf::STV_HIDDEN;
                        s.localized = true;
                        return None;
                    }
                    if let Some(n) = &self.matcher.script.nodes[ni].name {
                        versym = self.node_index[n.as_str()];
                    }
                }
            }
            None => {}
        }
        let in_list = |list: &[Pattern]| {
            list.iter().any(|p| match p.lang {
                Lang::C => p.matches(&name_str),
                Lang::Cxx => p.matches(dm.as_deref().unwrap_or(&name_str)),
            })
        };
        let is_data = matches!(isym.typ, elf::STT_OBJECT | elf::STT_TLS | elf::STT_COMMON)
            || matches!(s.def, SymDef::Common { .. });
        let listed =
            self.dynlist.is_some_and(in_list) || (opts.exports.dynamic_list_data && is_data);
        let export = shared
            || s.dso_ref
            || opts.export_dynamic
            || listed
            || (!self.extra.is_empty() && in_list(self.extra));
        if !export {
            return None;
        }
        s.export = true;
        s.versym = versym;
        // -Bsymbolic and its variants bind these definitions locally.
        let weak = isym.is_weak();
        let symbolic = opts.exports.bsymbolic
            || (opts.exports.bsymbolic_functions && is_func)
            || (opts.exports.bsymbolic_non_weak && !weak)
            || (opts.exports.bsymbolic_non_weak_functions && is_func && !weak);
        s.preemptible = shared
            && s.visibility == elf::STV_DEFAULT
            && !symbolic
            && (!self.has_dynlist || listed);
        None
    }
}
