//! `.symtab`: which local and global symbols it lists (the writer asks
//! the same functions) and, before addresses, its and `.strtab`'s sizes.
//! Besides the inputs' symbols it holds a section symbol for each
//! allocated output section and a `foo$plt` local for each PLT entry.

use super::{OutputSection, NONE};
use crate::object_file::{InputSymbol, ObjectFile, SectionKind};
use crate::options::{Discard, Options};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;

/// Allocated sections: each has a section symbol in `.symtab` (as mold
/// writes them; tools that symbolise addresses fall back on them).
pub(super) fn alloc_count(sections: &[OutputSection]) -> u32 {
    sections.iter().filter(|s| s.is_alloc()).count() as u32
}

/// Count of local and total .symtab entries and the .strtab size: the
/// null symbol, `section_symbols` section symbols, a `foo$plt` local for
/// each PLT entry, the input files' locals, then the globals.
pub(super) fn symtab_plan(
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    discard: Discard,
    plt: &[SymbolId],
    section_symbols: u32,
) -> (u32, u32, u64) {
    let mut locals = 1 + section_symbols; // null
    let mut strsz = 1u64;
    for &id in plt {
        locals += 1;
        strsz += plt_symbol_name(res, id).len() as u64 + 1;
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
            if keep_local(o, s, i, &placement[f], discard) {
                locals += 1;
                strsz += s.name.len() as u64 + 1;
            }
        }
    }
    let mut globals = 0u32;
    for s in &res.symbols {
        if keep_global(res, placement, s) {
            if s.localized {
                locals += 1;
            } else {
                globals += 1;
            }
            strsz += s.name.len() as u64 + 1;
        }
    }
    (locals, locals + globals, strsz)
}

/// The local symbol naming PLT entry of `id` in `.symtab` (`foo$plt`, as
/// mold names it), so that profilers and debuggers can tell which function
/// a call into the PLT goes to.
pub fn plt_symbol_name(res: &Resolved, id: SymbolId) -> Vec<u8> {
    let s = &res.symbols[id as usize];
    let name = match s.def {
        // A local IFUNC's entry: its own name, not the internal one.
        SymDef::Object { file, sym } if s.promoted_local => {
            res.objects[file as usize].symbols[sym as usize].name
        }
        _ => s.name,
    };
    [name, b"$plt"].concat()
}

pub fn keep_local(
    o: &ObjectFile,
    s: &InputSymbol,
    i: usize,
    placement: &[(u32, u64)],
    discard: Discard,
) -> bool {
    if i == 0 || s.typ == elf::STT_SECTION || s.name.is_empty() {
        return false;
    }
    match discard {
        Discard::All => return false,
        Discard::Locals if s.name.starts_with(b".L") => return false,
        _ => {}
    }
    if s.typ == elf::STT_FILE {
        return true;
    }
    if s.shndx == elf::SHN_ABS as u32 {
        return true;
    }
    let sh = s.shndx as usize;
    // Only live sections are placed; a section ICF folded is placed where
    // its kept copy is, and its symbols name that copy.
    sh != 0
        && sh < o.sections.len()
        && placement[sh].0 != NONE
        && o.sections[sh].kind != SectionKind::MergeStrings
}

pub fn keep_global(
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    s: &crate::resolve::Symbol,
) -> bool {
    if s.promoted_local {
        // Written once, as the local it is.
        return false;
    }
    match s.def {
        // Definitions in sections --gc-sections removed go with them.
        SymDef::Object { file, sym } => {
            let o = &res.objects[file as usize];
            let is = &o.symbols[sym as usize];
            let sh = is.shndx as usize;
            is.shndx == elf::SHN_ABS as u32
                || sh == 0
                || sh >= o.sections.len()
                || o.sections[sh].kind == SectionKind::EhFrame
                || placement[file as usize][sh].0 != NONE
        }
        SymDef::Common { .. } => true,
        SymDef::Shared { .. } => s.referenced,
        SymDef::Undefined => s.referenced,
        SymDef::Synthetic => true,
    }
}

/// The pass: how many `.symtab` entries there are (locals first) and
/// `.strtab`'s size; nothing without `-s`.
pub(super) fn sizes(
    opts: &Options,
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    plt: &[SymbolId],
    sections: &[OutputSection],
) -> (u32, u32, u64) {
    if opts.strip_all {
        (0, 0, 0)
    } else {
        symtab_plan(res, placement, opts.discard, plt, alloc_count(sections))
    }
}
