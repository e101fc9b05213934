//! `-z rewrite-endbr`: the `endbr64` instructions that can become `nop`s
//! (functions whose address is never taken), from the scan's notes of
//! address-taking relocations; runs last, on final file offsets.

use super::scan::ScanResult;
use super::{Layout, LinkInput, NONE};
use crate::arch::{Arch, Native};
use crate::resolve::SymDef;
use object::elf;

/// `-z rewrite-endbr`: file offsets of the `endbr64` at the start of each
/// function whose address is never taken, which need no landing pad (as
/// mold does): global functions not exported, not the entry point,
/// `_init` or `_fini` (called through the dynamic section), to which no
/// relocation but direct branches refers.
pub(crate) fn endbr_rewrites(inp: &LinkInput, scans: &[ScanResult], l: &Layout) -> Vec<u64> {
    let (opts, res) = (inp.opts, inp.res);
    let Some(pad) = Native::LANDING_PAD.filter(|_| opts.rewrite_endbr) else {
        return Vec::new();
    };
    let mut taken = vec![false; res.symbols.len()];
    for sc in scans {
        for &id in &sc.addr_taken {
            taken[id as usize] = true;
        }
    }
    let entry = opts.entry.as_deref().unwrap_or("_start");
    let init = opts.init.as_deref().unwrap_or("_init");
    let fini = opts.fini.as_deref().unwrap_or("_fini");
    for name in [entry, init, fini] {
        if let Some(id) = res.lookup(name.as_bytes()) {
            taken[id as usize] = true;
        }
    }
    // Taken by location too: an alias's address is its target's.
    let mut taken_at: std::collections::HashSet<(usize, u32, u64)> = Default::default();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Object { file, sym } = s.def {
            if taken[id] || s.export {
                let is = &res.objects[file as usize].symbols[sym as usize];
                taken_at.insert((file as usize, is.shndx, is.value));
            }
        }
    }
    let mut offsets = Vec::new();
    for (f, o) in res.objects.iter().enumerate() {
        let local_taken: std::collections::HashSet<(u32, u64)> =
            scans[f].addr_taken_local.iter().copied().collect();
        // Only global functions: the assembler resolves a PC-relative
        // reference to a local one in the same section itself, leaving no
        // relocation to show its address is taken.
        for (i, s) in o.symbols.iter().enumerate().skip(o.first_global as usize) {
            let sh = s.shndx as usize;
            if s.typ != elf::STT_FUNC || sh == 0 || sh >= o.sections.len() {
                continue;
            }
            let sec = &o.sections[sh];
            let (p, base) = l.placement[f][sh];
            if p == NONE
                || !l.live[f][sh]
                || sec.flags & elf::SHF_EXECINSTR == 0
                || local_taken.contains(&(s.shndx, s.value))
                || taken_at.contains(&(f, s.shndx, s.value))
            {
                continue;
            }
            if let Some(id) = res.global_of(f, i as u32) {
                let g = &res.symbols[id as usize];
                // Only the definition that won, never one exported.
                if taken[id as usize]
                    || g.export
                    || g.def
                        != (SymDef::Object {
                            file: f as u32,
                            sym: i as u32,
                        })
                {
                    continue;
                }
            }
            let data = o.section_data(sh);
            let at = s.value as usize;
            if data.get(at..at + 4) == Some(&pad[..]) {
                offsets.push(l.sections[p as usize].offset + base + s.value);
            }
        }
    }
    offsets
}
