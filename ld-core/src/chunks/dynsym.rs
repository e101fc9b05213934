//! `.dynsym`: sized from the dynamic symbols `layout::dynsym` chose, each
//! entry written as `symtab::global_entry` describes the symbol.

use super::symtab::global_entry;
use super::{section, Added, A};
use crate::layout::{Layout, Synth};
use crate::resolve::Resolved;
use crate::write::{w16, w32, w64};
use object::elf;

/// `.dynsym` with `ndyn` entries (the null one included).
pub(crate) fn add(out: &mut Added, ndyn: u64) {
    out.add(section(
        b".dynsym",
        Synth::Dynsym,
        elf::SHT_DYNSYM,
        A,
        8,
        122,
        24 * ndyn,
        24,
    ));
}

/// `.dynsym`'s bytes (the null entry is the image's zeros).
pub(crate) fn write(res: &Resolved, l: &Layout, b: &mut [u8]) {
    for (i, &id) in l.dynsyms.iter().enumerate() {
        let (v, size, info, other, shndx) = global_entry(res, l, id, true);
        let o = (i + 1) * 24;
        w32(b, o, l.dynstr_offsets[&id]);
        b[o + 4] = info;
        b[o + 5] = other;
        w16(b, o + 6, shndx);
        w64(b, o + 8, v);
        w64(b, o + 16, size);
    }
}
