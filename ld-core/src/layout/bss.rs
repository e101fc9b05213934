//! Pass: commons and copy relocations, at the end of `.bss`. A
//! copy-relocated symbol's aliases in its library (same address) share its
//! copy. Also the checks that refuse a copy relocation.

use super::output_sections::ByName;
use super::{align_up, LinkInput, OutputSection, SymInfo, Synth};
use crate::error::{Error, Result};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use std::collections::HashMap;

/// A copy relocation is refused for a protected symbol (its library would
/// keep using its own copy), under `-z nocopyreloc`, and for an undefined
/// symbol.
pub(super) fn copy_relocation_errors(inp: &LinkInput, needs_copy: &[bool]) -> Result<()> {
    let res = inp.res;
    let mut errors = Vec::new();
    for (id, _) in needs_copy.iter().enumerate().filter(|(_, &c)| c) {
        let s = &res.symbols[id];
        if s.def == SymDef::Undefined {
            // An undefined weak symbol left to the dynamic linker (-z
            // dynamic-undefined-weak) has no size to copy: the code must
            // take its address through the GOT.
            errors.push(format!(
                "cannot create a copy relocation for {} (an undefined weak symbol under -z dynamic-undefined-weak); recompile with -fPIE or -fPIC",
                s.name_str()
            ));
            continue;
        }
        let SymDef::Shared { file, sym } = s.def else {
            continue;
        };
        let lib = &res.shared[file as usize].file;
        if lib.symbols[sym as usize].protected {
            errors.push(format!(
                "cannot create a copy relocation for protected symbol {}, defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        } else if inp.opts.no_copy_reloc {
            errors.push(format!(
                "cannot create a copy relocation for {} (-z nocopyreloc), defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}

/// Where commons and copy-relocated symbols are.
pub(super) struct Bss {
    /// The output `.bss` (index in the output sections).
    pub(super) idx: u32,
    /// Offsets in `.bss` of the commons ...
    pub(super) common_off: HashMap<SymbolId, u64>,
    /// ... and of the copies (an alias shares its object's).
    pub(super) copy_off: HashMap<SymbolId, u64>,
}

/// The pass: commons, then copy-relocated symbols with their aliases, at
/// the end of `.bss` (made if there is none); aliases are noted in
/// `sym_info`.
pub(super) fn commons_and_copies(
    res: &Resolved,
    sections: &mut Vec<OutputSection>,
    by_name: &mut ByName,
    sym_info: &mut [SymInfo],
) -> Bss {
    // Commons and copy relocations go at the end of .bss.
    let bss_idx = {
        let key = (&b".bss"[..], 1u32, (elf::SHF_ALLOC | elf::SHF_WRITE) as u64);
        match by_name.get(&key) {
            Some(&i) => i,
            None => {
                sections.push(OutputSection::new(
                    b".bss",
                    Synth::Regular,
                    elf::SHT_NOBITS,
                    key.2,
                    1,
                    590,
                ));
                let i = (sections.len() - 1) as u32;
                by_name.insert(key, i);
                i
            }
        }
    };
    let mut common_off: HashMap<SymbolId, u64> = HashMap::new();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Common { file, sym } = s.def {
            let cs = &res.objects[file as usize].symbols[sym as usize];
            // For commons, st_value holds the alignment.
            let align = cs.value.max(1);
            let os = &mut sections[bss_idx as usize];
            let off = align_up(os.size, align);
            os.size = off + cs.size;
            os.align = os.align.max(align);
            common_off.insert(id as u32, off);
        }
    }
    let mut copy_off: HashMap<SymbolId, u64> = HashMap::new();
    let mut copy_aliases: Vec<SymbolId> = Vec::new();
    {
        // Copy-relocated symbols, grouped with their aliases (same DSO, same address).
        let mut by_addr: HashMap<(u32, u64), u64> = HashMap::new();
        for (id, info) in sym_info.iter().enumerate() {
            if !info.copy {
                continue;
            }
            if let SymDef::Shared { file, sym } = res.symbols[id].def {
                let ds = &res.shared[file as usize].file.symbols[sym as usize];
                let key = (file, ds.value);
                let off = *by_addr.entry(key).or_insert_with(|| {
                    let align = if ds.size >= 32 {
                        32
                    } else {
                        ds.size.max(1).next_power_of_two()
                    };
                    let os = &mut sections[bss_idx as usize];
                    let off = align_up(os.size, align);
                    os.size = off + ds.size;
                    os.align = os.align.max(align);
                    off
                });
                copy_off.insert(id as u32, off);
            }
        }
        // Aliases: other exported names of the same object in that DSO.
        if !by_addr.is_empty() {
            for (li, ls) in res.shared.iter().enumerate() {
                for ds in &ls.file.symbols {
                    if let Some(&off) = by_addr.get(&(li as u32, ds.value)) {
                        if ds.typ != elf::STT_OBJECT {
                            continue;
                        }
                        let Some(aid) = res.lookup(ds.name) else {
                            continue;
                        };
                        let same_lib = matches!(res.symbols[aid as usize].def, SymDef::Shared { file, .. } if file as usize == li);
                        if same_lib {
                            if let std::collections::hash_map::Entry::Vacant(e) =
                                copy_off.entry(aid)
                            {
                                e.insert(off);
                                copy_aliases.push(aid);
                            }
                        }
                    }
                }
            }
        }
    }

    for &aid in &copy_aliases {
        sym_info[aid as usize].copy = true;
        sym_info[aid as usize].copy_alias = true;
    }
    Bss {
        idx: bss_idx,
        common_off,
        copy_off,
    }
}
