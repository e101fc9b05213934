//! Shared objects as link inputs: their soname, the dynamic symbols they
//! define (with version), and the names they reference. Checked once per file.

use crate::error::{Error, Result};
use crate::object_file::{check_header, MAX_SIZE};
use object::elf;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader, Sym};
use object::LittleEndian as LE;

#[derive(Clone, Copy, Debug)]
pub struct DynSymbol {
    pub name: &'static [u8],
    /// `resolve::name_hash(name)`, made here, where files are parsed in
    /// parallel, rather than in the (sequential) resolution.
    pub hash: u64,
    pub value: u64,
    pub size: u64,
    pub typ: u8,
    pub bind: u8,
    /// Version definition index (0/1 = unversioned), without the hidden bit.
    pub version: u16,
    /// Not the default version: unversioned references do not bind to it.
    pub hidden: bool,
    /// `STV_PROTECTED`: its library binds to it directly, so a copy of it
    /// in the program would not be the one the library uses.
    pub protected: bool,
    /// The alignment a copy of it needs: its section's, as far as its
    /// address in the library shows it.
    pub align: u64,
    /// Read-only once relocated (in a read-only section or in RELRO): a
    /// copy of it goes to the program's RELRO too.
    pub read_only: bool,
}

#[derive(Debug)]
pub struct SharedFile {
    pub name: String,
    /// Keeps the file's bytes alive (`input::Backing`).
    pub backing: crate::input::Backing,
    pub soname: String,
    /// Defined symbols, default versions and (`hidden`) older ones.
    pub symbols: Vec<DynSymbol>,
    /// Names this library references but does not define, with their
    /// `resolve::name_hash`.
    pub undefined: Vec<(&'static [u8], u64)>,
    /// For each of `undefined`, whether the reference is weak.
    pub undefined_weak: Vec<bool>,
    /// Its DT_NEEDED entries.
    pub needed: Vec<String>,
    /// Version definition names by index.
    pub version_names: Vec<Option<&'static [u8]>>,
}

impl SharedFile {
    pub fn parse(name: String, default_soname: String, data: &'static [u8]) -> Result<SharedFile> {
        let header = check_header(data, &name)?;
        let e = LE;
        let bad = |what: String| Error::new(format!("{name}: {what}"));
        let sections = header
            .sections(e, data)
            .map_err(|err| bad(format!("bad section table: {err}")))?;
        if let Some(sh) = sections.iter().find(|s| s.sh_type(e) == elf::SHT_DYNSYM) {
            if sh.sh_entsize(e) != 24 {
                return Err(bad(format!(
                    "dynamic symbol table entry size is {}, expected 24",
                    sh.sh_entsize(e)
                )));
            }
        }
        let dynsym = sections
            .symbols(e, data, elf::SHT_DYNSYM)
            .map_err(|err| bad(format!("bad dynamic symbol table: {err}")))?;

        let mut soname = default_soname;
        let mut needed = Vec::new();
        if let Some((i, sh)) = sections
            .iter()
            .enumerate()
            .find(|(_, s)| s.sh_type(e) == elf::SHT_DYNAMIC)
        {
            let dyns: &[elf::Dyn64<LE>] = sh
                .data_as_array(e, data)
                .map_err(|_| bad(format!("section {i}: bad .dynamic contents")))?;
            let strtab = sections
                .strings(e, data, object::SectionIndex(sh.sh_link(e) as usize))
                .map_err(|_| bad("bad .dynamic string table".to_string()))?;
            // The dynamic loader finds every name through DT_STRTAB.
            if !dyns.iter().any(|d| d.tag32(e) == Some(elf::DT_STRTAB)) {
                return Err(bad("dynamic section has no DT_STRTAB".to_string()));
            }
            for d in dyns {
                if d.tag32(e) == Some(elf::DT_SONAME) {
                    let s = strtab
                        .get(d.d_val(e) as u32)
                        .map_err(|_| bad("DT_SONAME has a bad string offset".to_string()))?;
                    soname = String::from_utf8_lossy(s).into_owned();
                }
                if d.tag32(e) == Some(elf::DT_NEEDED) {
                    let s = strtab
                        .get(d.d_val(e) as u32)
                        .map_err(|_| bad("DT_NEEDED has a bad string offset".to_string()))?;
                    needed.push(String::from_utf8_lossy(s).into_owned());
                }
            }
        }

        let mut versym: &[object::U16<LE>] = &[];
        let mut version_names: Vec<Option<&'static [u8]>> = Vec::new();
        for (i, sh) in sections.iter().enumerate() {
            match sh.sh_type(e) {
                elf::SHT_GNU_VERSYM => {
                    versym = sh
                        .data_as_array(e, data)
                        .map_err(|_| bad(format!("section {i}: bad .gnu.version contents")))?;
                }
                elf::SHT_GNU_VERDEF => {
                    let strtab = sections
                        .strings(e, data, object::SectionIndex(sh.sh_link(e) as usize))
                        .map_err(|_| bad("bad version definition string table".to_string()))?;
                    if let Some((mut iter, _)) = sections
                        .gnu_verdef(e, data)
                        .map_err(|err| bad(format!("bad version definitions: {err}")))?
                    {
                        while let Some((vd, mut aux)) = iter
                            .next()
                            .map_err(|err| bad(format!("bad version definition: {err}")))?
                        {
                            let ndx = vd.vd_ndx.get(e) as usize;
                            if let Some(a) = aux
                                .next()
                                .map_err(|err| bad(format!("bad version definition: {err}")))?
                            {
                                let n = a
                                    .name(e, strtab)
                                    .map_err(|_| bad("bad version name".to_string()))?;
                                if version_names.len() <= ndx {
                                    version_names.resize(ndx + 1, None);
                                }
                                version_names[ndx] = Some(n);
                            }
                        }
                    }
                }
                _ => {}
            }
        }

        if !versym.is_empty() && versym.len() != dynsym.len() {
            return Err(bad(format!(
                ".gnu.version has {} entries for {} dynamic symbols",
                versym.len(),
                dynsym.len()
            )));
        }

        let relro: Vec<(u64, u64)> = header
            .program_headers(e, data)
            .map_err(|err| bad(format!("bad program header table: {err}")))?
            .iter()
            .filter(|p| p.p_type(e) == elf::PT_GNU_RELRO)
            .map(|p| (p.p_vaddr(e), p.p_vaddr(e).saturating_add(p.p_memsz(e))))
            .collect();
        let mut symbols = Vec::new();
        let mut undefined = Vec::new();
        let mut undefined_weak = Vec::new();
        for (i, sym) in dynsym.iter().enumerate().skip(1) {
            let sname = sym
                .name(e, dynsym.strings())
                .map_err(|_| bad(format!("dynamic symbol {i} has a bad name offset")))?;
            let bind = sym.st_bind();
            if bind == elf::STB_LOCAL {
                continue;
            }
            if sym.st_shndx(e) == elf::SHN_UNDEF {
                undefined.push((sname, crate::resolve::name_hash(sname)));
                undefined_weak.push(bind == elf::STB_WEAK);
                continue;
            }
            let vs = versym.get(i).map(|v| v.get(e)).unwrap_or(1);
            let shown = || String::from_utf8_lossy(sname).into_owned();
            let ndx = vs & elf::VERSYM_VERSION;
            // Index 0 is VER_NDX_LOCAL: the dynamic linker would not bind
            // to such a definition, so a link against it cannot work.
            if ndx == elf::VER_NDX_LOCAL && !versym.is_empty() {
                return Err(bad(format!(
                    "invalid version index 0 for defined symbol {}",
                    shown()
                )));
            }
            // A definition's version is one of this library's own
            // (indices from 0xff00 up are reserved).
            if ndx > elf::VER_NDX_GLOBAL
                && ndx < 0xff00
                && version_names.get(ndx as usize).copied().flatten().is_none()
            {
                return Err(bad(format!(
                    "dynamic symbol {} has version index {ndx}, which is not defined in .gnu.version_d",
                    shown()
                )));
            }
            // Its size may become a copy relocation's size in the output.
            if sym.st_size(e) > MAX_SIZE {
                return Err(bad(format!(
                    "dynamic symbol {}: size {:#x} is too large (larger than the address space)",
                    shown(),
                    sym.st_size(e)
                )));
            }
            let (align, read_only) =
                copy_props(&sections, &relro, sym.st_shndx(e), sym.st_value(e));
            symbols.push(DynSymbol {
                // A non-default version (`foo@V1`) binds only `foo@V1` references.
                hidden: vs & elf::VERSYM_HIDDEN != 0,
                name: sname,
                hash: crate::resolve::name_hash(sname),
                value: sym.st_value(e),
                size: sym.st_size(e),
                typ: sym.st_type(),
                bind,
                version: vs & elf::VERSYM_VERSION,
                protected: sym.st_other & 3 == elf::STV_PROTECTED,
                align,
                read_only,
            });
        }
        Ok(SharedFile {
            name,
            backing: Default::default(),
            soname,
            symbols,
            undefined,
            undefined_weak,
            needed,
            version_names,
        })
    }
}

/// A copy's alignment and whether it is read-only after relocation, for a
/// symbol in section `shndx` at `value` (lld's rule: the section's
/// alignment, lowered to what the address itself shows).
fn copy_props(
    sections: &object::read::elf::SectionTable<elf::FileHeader64<LE>>,
    relro: &[(u64, u64)],
    shndx: u16,
    value: u64,
) -> (u64, bool) {
    let e = LE;
    let sec = sections.section(object::SectionIndex(shndx as usize)).ok();
    let sec_align = sec.map_or(1, |s| s.sh_addralign(e).clamp(1, 1 << 30));
    let sec_align = if sec_align.is_power_of_two() {
        sec_align
    } else {
        1
    };
    let align = if value == 0 {
        sec_align
    } else {
        sec_align.min(1 << value.trailing_zeros())
    };
    let writable = sec.is_some_and(|s| s.sh_flags(e) & elf::SHF_WRITE as u64 != 0);
    let in_relro = relro.iter().any(|&(lo, hi)| lo <= value && value < hi);
    (align, sec.is_some() && (!writable || in_relro))
}

impl SharedFile {
    /// The definition a versioned reference `name@VERSION` binds to.
    pub fn find_versioned(&self, name: &[u8], version: &[u8]) -> Option<u32> {
        self.symbols
            .iter()
            .position(|s| {
                s.name == name
                    && self
                        .version_names
                        .get(s.version as usize)
                        .copied()
                        .flatten()
                        == Some(version)
            })
            .map(|i| i as u32)
    }
}
