//! `.dynamic`: its entries (dynamic outputs), in order. Values that are
//! addresses or sizes of sections are named (`DynVal`) and resolved by
//! the writer; so the entry count, and `.dynamic`'s size, is known here.
//! Written once `.rela.dyn`'s size is.

use super::dynrels::RelaCounts;
use super::hash::hash_tables;
use super::versions::DynStrings;
use super::{sec_slice, section, Added, A, AW};
use crate::layout::got::GotPlt;
use crate::layout::{DynVal, Layout, LinkInput, OutputSection, Synth};
use crate::options::Options;
use crate::options::OutputKind;
use crate::resolve::SymDef;
use crate::write::w64;
use object::elf;

// DT_RELR* (the object crate, 0.36, does not name them).
pub(crate) const DT_RELRSZ: i64 = 35;
pub(crate) const DT_RELR: i64 = 36;
pub(crate) const DT_RELRENT: i64 = 37;

/// The pass (dynamic outputs): the `.dynamic` entries, in order. Values
/// that are addresses or sizes are named (`DynVal`) and filled in by the
/// writer. `sections` are the regular output sections (the arrays').
#[allow(clippy::too_many_arguments)]
pub(crate) fn entries(
    inp: &LinkInput,
    strings: &DynStrings,
    sections: &[OutputSection],
    gp: &GotPlt,
    counts: &RelaCounts,
    relr: bool,
    textrel: bool,
) -> Vec<(i64, DynVal)> {
    let opts = inp.opts;
    let res = inp.res;
    let kind = opts.output_kind;
    let mut dyn_entries: Vec<(i64, DynVal)> = Vec::new();
    if !kind.is_dynamic() {
        return dyn_entries;
    }
    let (sysv_hash, gnu_hash) = hash_tables(opts);
    let (n_lazy_plt, rela_dyn_count, static_tls) =
        (gp.n_lazy_plt, counts.rela_dyn, counts.static_tls);
    let (verdef_count, verneed_count) = (strings.verdef_count, strings.verneed_count);
    for &o in &strings.needed {
        dyn_entries.push((elf::DT_NEEDED as i64, DynVal::Val(o as u64)));
    }
    if let Some(o) = strings.soname {
        dyn_entries.push((elf::DT_SONAME as i64, DynVal::Val(o as u64)));
    }
    if let Some(o) = strings.rpath {
        let tag = if opts.new_dtags {
            elf::DT_RUNPATH
        } else {
            elf::DT_RPATH
        };
        dyn_entries.push((tag as i64, DynVal::Val(o as u64)));
    }
    // .dynamic entries.
    // DT_INIT/DT_FINI: `-init`/`-fini`, else `_init`/`_fini`, when
    // this link defines them (not a shared library).
    for (name, default, tag) in [
        (&opts.init, "_init", elf::DT_INIT),
        (&opts.fini, "_fini", elf::DT_FINI),
    ] {
        let name = name.as_deref().unwrap_or(default);
        if let Some(id) = res.lookup(name.as_bytes()) {
            if matches!(res.symbols[id as usize].def, SymDef::Object { .. }) {
                dyn_entries.push((tag as i64, DynVal::SymAddr(id)));
            }
        }
    }
    for (name, tag, sztag) in [
        (
            &b".preinit_array"[..],
            elf::DT_PREINIT_ARRAY,
            elf::DT_PREINIT_ARRAYSZ,
        ),
        (
            &b".init_array"[..],
            elf::DT_INIT_ARRAY,
            elf::DT_INIT_ARRAYSZ,
        ),
        (
            &b".fini_array"[..],
            elf::DT_FINI_ARRAY,
            elf::DT_FINI_ARRAYSZ,
        ),
    ] {
        if let Some(i) = sections
            .iter()
            .position(|s| s.name == name && s.synth == Synth::Regular)
        {
            dyn_entries.push((tag as i64, DynVal::OutAddr(i as u32)));
            dyn_entries.push((sztag as i64, DynVal::OutSize(i as u32)));
        }
    }
    if sysv_hash {
        dyn_entries.push((elf::DT_HASH as i64, DynVal::SecAddr(Synth::Hash)));
    }
    if gnu_hash {
        dyn_entries.push((elf::DT_GNU_HASH as i64, DynVal::SecAddr(Synth::GnuHash)));
    }
    dyn_entries.push((elf::DT_STRTAB as i64, DynVal::SecAddr(Synth::Dynstr)));
    dyn_entries.push((elf::DT_SYMTAB as i64, DynVal::SecAddr(Synth::Dynsym)));
    dyn_entries.push((elf::DT_STRSZ as i64, DynVal::SecSize(Synth::Dynstr)));
    dyn_entries.push((elf::DT_SYMENT as i64, DynVal::Val(24)));
    // The debugger's hook is written at run time: not in a read-only
    // .dynamic.
    if kind.is_executable() && !opts.rodynamic {
        dyn_entries.push((elf::DT_DEBUG as i64, DynVal::Val(0)));
    }
    if n_lazy_plt > 0 {
        dyn_entries.push((elf::DT_PLTGOT as i64, DynVal::SecAddr(Synth::GotPlt)));
        dyn_entries.push((elf::DT_PLTRELSZ as i64, DynVal::SecSize(Synth::RelaPlt)));
        dyn_entries.push((elf::DT_PLTREL as i64, DynVal::Val(elf::DT_RELA as u64)));
        dyn_entries.push((elf::DT_JMPREL as i64, DynVal::SecAddr(Synth::RelaPlt)));
    }
    if rela_dyn_count > 0 {
        dyn_entries.push((elf::DT_RELA as i64, DynVal::SecAddr(Synth::RelaDyn)));
        dyn_entries.push((elf::DT_RELASZ as i64, DynVal::RelaDynSize));
        dyn_entries.push((elf::DT_RELAENT as i64, DynVal::Val(24)));
    }
    if relr {
        dyn_entries.push((DT_RELR, DynVal::SecAddr(Synth::RelrDyn)));
        dyn_entries.push((DT_RELRSZ, DynVal::SecSize(Synth::RelrDyn)));
        dyn_entries.push((DT_RELRENT, DynVal::Val(8)));
    }
    if textrel {
        if opts.warn_textrel {
            crate::error::warn("creating a DT_TEXTREL in an output file");
        }
        dyn_entries.push((elf::DT_TEXTREL as i64, DynVal::Val(0)));
    }
    let mut flags = 0u64;
    let mut flags1 = 0u64;
    if opts.now {
        flags |= elf::DF_BIND_NOW as u64;
        flags1 |= elf::DF_1_NOW as u64;
    }
    if textrel {
        flags |= elf::DF_TEXTREL as u64;
    }
    if static_tls {
        flags |= elf::DF_STATIC_TLS as u64;
    }
    if opts.z_flags_1 & elf::DF_1_ORIGIN != 0 {
        flags |= elf::DF_ORIGIN as u64;
    }
    if opts.exports.bsymbolic {
        flags |= elf::DF_SYMBOLIC as u64;
    }
    flags1 |= opts.z_flags_1 as u64;
    if kind == OutputKind::Pie || kind == OutputKind::StaticPie {
        flags1 |= elf::DF_1_PIE as u64;
    }
    if flags != 0 {
        dyn_entries.push((elf::DT_FLAGS as i64, DynVal::Val(flags)));
    }
    if flags1 != 0 {
        dyn_entries.push((elf::DT_FLAGS_1 as i64, DynVal::Val(flags1)));
    }
    if verdef_count > 0 {
        dyn_entries.push((elf::DT_VERDEF as i64, DynVal::SecAddr(Synth::Verdef)));
        dyn_entries.push((elf::DT_VERDEFNUM as i64, DynVal::Val(verdef_count as u64)));
    }
    if verneed_count > 0 {
        dyn_entries.push((elf::DT_VERNEED as i64, DynVal::SecAddr(Synth::Verneed)));
        dyn_entries.push((elf::DT_VERNEEDNUM as i64, DynVal::Val(verneed_count as u64)));
    }
    if verneed_count > 0 || verdef_count > 0 {
        dyn_entries.push((elf::DT_VERSYM as i64, DynVal::SecAddr(Synth::Versym)));
    }
    dyn_entries.push((elf::DT_NULL as i64, DynVal::Val(0)));
    dyn_entries
}

/// `.dynamic` (dynamic outputs), one entry per `dyn_entries`.
pub(crate) fn add(opts: &Options, out: &mut Added, dyn_entries: &[(i64, DynVal)]) {
    if opts.output_kind.is_dynamic() {
        let flags = if opts.rodynamic { A } else { AW };
        let size = 16 * dyn_entries.len() as u64;
        out.add(section(
            b".dynamic",
            Synth::Dynamic,
            elf::SHT_DYNAMIC,
            flags,
            8,
            430,
            size,
            16,
        ));
    }
}

/// `.dynamic`, once `.rela.dyn`'s size (`DT_RELASZ`) is known.
pub(crate) fn write(l: &Layout, buf: &mut [u8], rela_dyn_size: u64) {
    if l.sec(Synth::Dynamic).is_none() {
        return;
    }
    let vals: Vec<(i64, u64)> = l
        .dynamic
        .iter()
        .map(|(tag, v)| {
            let val = match *v {
                DynVal::Val(x) => x,
                DynVal::SecAddr(s) => l.sec_addr(s),
                DynVal::SecSize(s) => l.sec(s).map(|s| s.size).unwrap_or(0),
                DynVal::OutAddr(i) => l.sections[i as usize].addr,
                DynVal::OutSize(i) => l.sections[i as usize].size,
                DynVal::SymAddr(id) => l.sym_values[id as usize],
                DynVal::RelaDynSize => rela_dyn_size,
            };
            (*tag, val)
        })
        .collect();
    let (b, _) = sec_slice(buf, l, Synth::Dynamic).unwrap();
    for (i, (tag, val)) in vals.iter().enumerate() {
        w64(b, i * 16, *tag as u64);
        w64(b, i * 16 + 8, *val);
    }
}
