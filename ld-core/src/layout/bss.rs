//! Pass: commons and copy relocations. Commons go in `.common`, copies in
//! `.copyrel` (or `.copyrel.rel.ro`, inside RELRO, for an object read-only
//! in its library), aligned as their library section; under a linker
//! script's `SECTIONS` all in `.bss`. A copy-relocated symbol's aliases in
//! its library (same address) share its copy. Also the checks that refuse
//! a copy relocation.

use super::output_sections::{add_regular, ByName};
use super::{align_up, LinkInput, OutputSection, SymInfo};
use crate::error::{Error, Result};
use crate::resolve::{SymDef, SymbolId};
use object::elf;
use std::collections::HashMap;

/// A copy relocation is refused for a protected symbol (its library would
/// keep using its own copy), under `-z nocopyreloc`, and for an undefined
/// symbol.
pub(crate) fn copy_relocation_errors(inp: &LinkInput, needs_copy: &[bool]) -> Result<()> {
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
pub(crate) struct Bss {
    /// The commons' homes ...
    pub(crate) common_off: Homes,
    /// ... and the copies' (an alias shares its object's).
    pub(crate) copy_off: Homes,
}

impl Bss {
    /// Output section indices follow the sort.
    pub(crate) fn renumber(&mut self, remap: &[u32]) {
        for v in self
            .common_off
            .values_mut()
            .chain(self.copy_off.values_mut())
        {
            v.0 = remap[v.0 as usize];
        }
    }
}

/// Where commons and copy-relocated objects live: output section, offset.
pub(crate) type Homes = HashMap<SymbolId, (u32, u64)>;

/// The output section `name` of type `sh_type` (writable), made if missing.
fn home_section(
    sections: &mut Vec<OutputSection>,
    by_name: &mut ByName,
    name: &'static [u8],
    sh_type: u32,
) -> u32 {
    let flags = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;
    // Keyed as `compute` keys input sections' output sections.
    let key = (name, u32::from(sh_type == elf::SHT_NOBITS), flags);
    *by_name
        .entry(key)
        .or_insert_with(|| add_regular(sections, name, sh_type, flags))
}

/// Room for `size` bytes aligned to `align` at the end of section `i`.
fn reserve_in(sections: &mut [OutputSection], i: u32, size: u64, align: u64) -> (u32, u64) {
    let os = &mut sections[i as usize];
    let off = align_up(os.size, align);
    os.size = off + size;
    os.align = os.align.max(align);
    (i, off)
}

/// Places COMMON symbols (in `.common`, as mold) and the copies of
/// copy-relocated objects (in `.copyrel`, or `.copyrel.rel.ro` for an object
/// read-only in its library, which then stays read-only here as in GNU ld),
/// and marks the other names of a copied object as aliases. `.bss` is
/// always made (GNU ld's output has it); under a linker script's `SECTIONS`
/// all of them go there, where the script's `.bss` symbols expect them.
pub(crate) fn place_commons_and_copies(
    inp: &LinkInput,
    sym_info: &mut [SymInfo],
    sections: &mut Vec<OutputSection>,
    by_name: &mut ByName,
) -> Bss {
    let res = inp.res;
    let opts = inp.opts;
    let bss = home_section(sections, by_name, b".bss", elf::SHT_NOBITS);
    let scripted = !inp.scripts.rules.is_empty();
    let mut common_off = Homes::new();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Common { file, sym } = s.def {
            let cs = &res.objects[file as usize].symbols[sym as usize];
            let home = if scripted {
                bss
            } else {
                home_section(sections, by_name, b".common", elf::SHT_NOBITS)
            };
            // For commons, st_value holds the alignment.
            common_off.insert(
                id as u32,
                reserve_in(sections, home, cs.size, cs.value.max(1)),
            );
        }
    }
    let relro = opts.relro && !opts.nmagic && !scripted;
    let mut copy_off = Homes::new();
    // Copy-relocated symbols, grouped with their aliases (same DSO, same address).
    let mut by_addr: HashMap<(u32, u64), (u32, u64)> = HashMap::new();
    for (id, info) in sym_info.iter().enumerate() {
        if !info.copy {
            continue;
        }
        if let SymDef::Shared { file, sym } = res.symbols[id].def {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            let place = *by_addr.entry((file, ds.value)).or_insert_with(|| {
                let home = if scripted {
                    bss
                } else if relro && ds.read_only {
                    home_section(sections, by_name, b".copyrel.rel.ro", elf::SHT_PROGBITS)
                } else {
                    home_section(sections, by_name, b".copyrel", elf::SHT_NOBITS)
                };
                reserve_in(sections, home, ds.size, ds.align)
            });
            copy_off.insert(id as u32, place);
        }
    }
    // Aliases: other exported names of the same object in that DSO.
    let mut copy_aliases: Vec<SymbolId> = Vec::new();
    if !by_addr.is_empty() {
        for (li, ls) in res.shared.iter().enumerate() {
            for ds in &ls.file.symbols {
                let Some(&place) = by_addr.get(&(li as u32, ds.value)) else {
                    continue;
                };
                if ds.typ != elf::STT_OBJECT {
                    continue;
                }
                let Some(aid) = res.lookup(ds.name) else {
                    continue;
                };
                let same_lib = matches!(res.symbols[aid as usize].def, SymDef::Shared { file, .. } if file as usize == li);
                if same_lib {
                    if let std::collections::hash_map::Entry::Vacant(e) = copy_off.entry(aid) {
                        e.insert(place);
                        copy_aliases.push(aid);
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
        common_off,
        copy_off,
    }
}
