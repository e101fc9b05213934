//! Pass: dynamic symbols (dynamic outputs). Which shared libraries are
//! needed, which symbols are imported and exported, and their order in
//! `.dynsym`: imports first, then the exports sorted by GNU hash bucket
//! (as `.gnu.hash` requires). The hash functions live here too.

use super::scan::ScanResult;
use super::{LinkInput, SymInfo, NONE};
use crate::resolve::{Resolved, SymDef, SymbolId};

/// A symbol's name in `.dynsym`: versioned names lose their version.
pub fn dynsym_name(res: &Resolved, id: SymbolId) -> &'static [u8] {
    let name = res.symbols[id as usize].name.get();
    match res.symbols[id as usize].def {
        // A versioned reference's dynamic name is the bare name; the
        // version goes in .gnu.version.
        SymDef::Shared { file, sym } => res.shared[file as usize].file.symbols[sym as usize].name,
        // `foo@V1` from `.symver` is exported as `foo`, version V1.
        _ => match name.iter().position(|&c| c == b'@') {
            Some(i) => &name[..i],
            None => name,
        },
    }
}

pub fn gnu_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 5381;
    for &c in name {
        h = h.wrapping_mul(33).wrapping_add(c as u32);
    }
    h
}

pub fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

/// The dynamic symbols, in order.
pub(crate) struct DynSyms {
    /// After the null entry, in `.dynsym` order: imports, then the
    /// exports (hashed) by GNU hash bucket.
    pub(crate) dynsyms: Vec<SymbolId>,
    /// The shared libraries (indices) in `DT_NEEDED`.
    pub(crate) needed: Vec<u32>,
    /// Index of the first hashed symbol.
    pub(crate) gnu_hash_first: u32,
    pub(crate) gnu_hash_buckets: u32,
    /// How many are hashed.
    pub(crate) n_exports: u32,
}

/// The pass (dynamic outputs): which libraries are needed (with
/// `--gc-sections`, an `--as-needed` one only if live code uses it), which
/// symbols are imported and exported and their order; each symbol's index
/// is noted in `sym_info`.
pub(crate) fn dynamic_symbols(
    inp: &LinkInput,
    scans: &[ScanResult],
    copy_off: &super::bss::Homes,
    sym_info: &mut [SymInfo],
) -> DynSyms {
    let opts = inp.opts;
    let res = inp.res;
    let kind = opts.output_kind;
    // Dynamic symbols (dynamic outputs).
    let dynamic = kind.is_dynamic();
    let mut dynsyms: Vec<SymbolId> = Vec::new();
    let mut needed: Vec<u32> = Vec::new();
    if dynamic {
        // With --gc-sections, an --as-needed library is needed only if
        // live code or data uses it (as mold and lld decide).
        let mut used = vec![false; res.shared.len()];
        for sc in scans {
            for &file in &sc.shared_used {
                used[file as usize] = true;
            }
        }
        let mut dropped = vec![false; res.shared.len()];
        for (i, s) in res.shared.iter().enumerate() {
            dropped[i] = opts.gc_sections && s.as_needed && !used[i];
            if s.needed && !kind.is_static() && !dropped[i] {
                needed.push(i as u32);
            }
        }
        let mut imports: Vec<SymbolId> = Vec::new();
        let mut exports: Vec<SymbolId> = Vec::new();
        for (id, s) in res.symbols.iter().enumerate() {
            let id = id as u32;
            let info = &sym_info[id as usize];
            match s.def {
                // What only dead code used from a dropped library is not
                // imported (its version would name a library not loaded).
                SymDef::Shared { file, .. } if dropped[file as usize] => {}
                SymDef::Shared { .. } if !kind.is_static() => {
                    // A copy or a canonical PLT entry defines the symbol for
                    // every module: it must be found in the hash table.
                    if info.copy
                        || copy_off.contains_key(&id)
                        || (info.canonical_plt && info.plt != NONE)
                    {
                        exports.push(id);
                    } else if s.referenced || s.strong_ref {
                        imports.push(id);
                    }
                }
                SymDef::Object { .. } | SymDef::Common { .. } if s.export => {
                    exports.push(id);
                }
                SymDef::Undefined if s.preemptible => imports.push(id),
                _ => {}
            }
        }
        dynsyms.extend(imports);
        let first_hashed = dynsyms.len() as u32 + 1;
        let nbuckets = (exports.len() as u32 / 4).max(1);
        exports.sort_by_key(|&id| (gnu_hash(dynsym_name(res, id)) % nbuckets, id));
        dynsyms.extend(exports);
        for (i, &id) in dynsyms.iter().enumerate() {
            sym_info[id as usize].dynsym = i as u32 + 1;
            sym_info[id as usize].exported = i as u32 + 1 >= first_hashed;
        }
    }
    let gnu_hash_first = dynsyms
        .iter()
        .position(|&id| sym_info[id as usize].exported)
        .map(|p| p as u32 + 1)
        .unwrap_or(dynsyms.len() as u32 + 1);
    let n_exports = dynsyms.len() as u32 + 1 - gnu_hash_first;
    let gnu_hash_buckets = crate::chunks::hash::gnu_hash_buckets(n_exports);
    DynSyms {
        dynsyms,
        needed,
        gnu_hash_first,
        gnu_hash_buckets,
        n_exports,
    }
}
