//! `.got`, `.got.plt` and `.plt`: the slots and entries `layout::got`
//! ordered, sized here with the PLT's geometry (a header when any entry
//! is lazy, then one entry per symbol), and written: the GOT's words
//! (`layout::got_fill`, as the dynamic relocations are planned), the
//! `.got.plt` slots, the architecture's PLT code.

use super::{section, Added, AW};
use crate::arch::{Arch, Native};
use crate::layout::got::GotPlt;
use crate::layout::{self, Layout, Synth};
use crate::resolve::Resolved;
use crate::write::w64;
use object::elf;

/// The PLT header's size: there is one when an entry is lazy.
fn plt_header_size(n_lazy_plt: usize) -> u64 {
    if n_lazy_plt > 0 {
        Native::PLT_HEADER_SIZE
    } else {
        0
    }
}

/// Offset of PLT entry `i` in `.plt`.
pub(crate) fn plt_entry_offset(n_lazy_plt: usize, i: u32) -> u64 {
    plt_header_size(n_lazy_plt) + i as u64 * Native::PLT_ENTRY_SIZE
}

/// `.plt`, if there are entries.
pub(crate) fn add_plt(out: &mut Added, gp: &GotPlt) {
    if !gp.plt.is_empty() {
        let ax = (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64;
        let size = plt_entry_offset(gp.n_lazy_plt, gp.plt.len() as u32);
        out.add(section(
            b".plt",
            Synth::Plt,
            elf::SHT_PROGBITS,
            ax,
            16,
            210,
            size,
            16,
        ));
    }
}

/// `.got` (if it has slots) and `.got.plt`.
pub(crate) fn add_got(out: &mut Added, gp: &GotPlt) {
    if !gp.got.is_empty() {
        let size = 8 * gp.got.len() as u64;
        out.add(section(
            b".got",
            Synth::Got,
            elf::SHT_PROGBITS,
            AW,
            8,
            440,
            size,
            8,
        ));
    }
    // .got.plt always exists: _GLOBAL_OFFSET_TABLE_ points at it.
    let size = 8 * (3 + gp.plt.len() as u64);
    out.add(section(
        b".got.plt",
        Synth::GotPlt,
        elf::SHT_PROGBITS,
        AW,
        8,
        500,
        size,
        8,
    ));
}

/// `.got`'s words.
pub(crate) fn write_got(res: &Resolved, l: &Layout, b: &mut [u8]) {
    let value = |t| layout::got_target_value(res, l, t);
    let dynsym = |id: u32| l.sym_info[id as usize].dynsym;
    let c = l.got_ctx(&value, &dynsym);
    for (i, &e) in l.got.iter().enumerate() {
        let f = layout::got_fill(res, &c, e, 0);
        for k in 0..f.slots {
            w64(b, (i + k) * 8, f.words[k]);
        }
    }
}

/// `.got.plt`: `.dynamic`'s address, two words for the dynamic linker,
/// then a slot per PLT entry.
pub(crate) fn write_got_plt(l: &Layout, b: &mut [u8]) {
    w64(b, 0, l.sec_addr(Synth::Dynamic));
    for i in 0..l.plt.len() {
        let v = if i < l.n_lazy_plt {
            l.plt_entry_addr(i as u32) + Native::PLT_LAZY_OFFSET
        } else {
            // IFUNC slot: the resolver address until IRELATIVE runs.
            l.irel_rels[i - l.n_lazy_plt].addend as u64
        };
        w64(b, (3 + i) * 8, v);
    }
}

/// `.plt`'s code.
pub(crate) fn write_plt(l: &Layout, b: &mut [u8]) {
    let plt_addr = l.sec_addr(Synth::Plt);
    let gotplt_addr = l.sec_addr(Synth::GotPlt);
    let hdr = plt_header_size(l.n_lazy_plt) as usize;
    if hdr > 0 {
        Native::write_plt_header(&mut b[0..hdr], plt_addr, gotplt_addr);
    }
    let n = Native::PLT_ENTRY_SIZE as usize;
    for i in 0..l.plt.len() {
        let o = plt_entry_offset(l.n_lazy_plt, i as u32) as usize;
        let ea = l.plt_entry_addr(i as u32);
        let slot = l.gotplt_slot_addr(i as u32);
        if i < l.n_lazy_plt {
            Native::write_plt_entry(&mut b[o..o + n], ea, slot, i as u32, plt_addr);
        } else {
            Native::write_iplt_entry(&mut b[o..o + n], ea, slot);
        }
    }
}
