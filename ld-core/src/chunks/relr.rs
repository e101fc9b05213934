//! `.relr.dyn` (`-z pack-relative-relocs`): which relative relocations go
//! into it (decided on final addresses by `packable`, the rule the writer
//! applies too), its size (settled with the addresses,
//! `layout::addresses::place_loaded`), their encoding and its bytes.

use super::{section, Added, A};
use crate::arch::{Arch, Native};
use crate::error::{Error, Result};
use crate::layout::got::{got_fill, GotCtx, GotEntry};
use crate::layout::scan::ScanResult;
use crate::layout::{Layout, LinkInput, OutputSection, Synth};
use crate::options::OutputKind;
use crate::write::w64;
use object::elf;

/// `-z pack-relative-relocs`: the relative relocations that may go into
/// `.relr.dyn` instead of `.rela.dyn`. Which do is decided on final
/// addresses by `packable`, the same rule the writer applies.
pub(crate) struct RelrPlan {
    /// Per file: (input section, offset) of its relative relocations.
    places: Vec<Vec<(u32, u64)>>,
    /// Offsets in `.got` of the relative relocations of GOT slots.
    got: Vec<u64>,
}

impl RelrPlan {
    /// The sizes of `.relr.dyn` and `.rela.dyn` (which holds `rela_all`
    /// relocations unpacked) for the sections' current addresses.
    pub(crate) fn sizes(
        &self,
        sections: &[OutputSection],
        placement: &[Vec<(u32, u64)>],
        got: u64,
        rela_all: u64,
    ) -> (u64, u64) {
        let packed = self.packed(sections, placement, got);
        let relr_size = 8 * encode_relr(&packed).len() as u64;
        (relr_size, 24 * (rela_all - packed.len() as u64))
    }

    /// The addresses that go into `.relr.dyn`, sorted.
    pub(crate) fn packed(
        &self,
        sections: &[OutputSection],
        placement: &[Vec<(u32, u64)>],
        got: u64,
    ) -> Vec<u64> {
        let mut v: Vec<u64> = self.got.iter().map(|o| got + o).collect();
        for (f, places) in self.places.iter().enumerate() {
            for &(si, off) in places {
                let (osec, soff) = placement[f][si as usize];
                let s = &sections[osec as usize];
                let addr = s.addr + soff + off;
                if packable(s, addr) {
                    v.push(addr);
                }
            }
        }
        v.sort_unstable();
        v
    }
}

/// Whether a relative relocation at `addr` in output section `s` goes into
/// `.relr.dyn`: it must be 8-aligned, and in a writable section (text
/// relocations stay in `.rela.dyn`, as with GNU ld).
pub fn packable(s: &OutputSection, addr: u64) -> bool {
    addr.is_multiple_of(8) && s.flags & elf::SHF_WRITE as u64 != 0
}

/// Finds, for the writer, whether a relative relocation's address is
/// `packable` in the output section that holds it.
pub struct PackableIndex<'a> {
    sections: &'a [OutputSection],
    /// Allocated sections by address: (start, end, index in `sections`).
    spans: Vec<(u64, u64, usize)>,
}

impl<'a> PackableIndex<'a> {
    pub fn new(l: &'a Layout) -> Self {
        let mut spans: Vec<(u64, u64, usize)> = l
            .sections
            .iter()
            .enumerate()
            // .tbss takes no address space: it overlaps what follows.
            .filter(|(_, s)| {
                s.is_alloc() && s.size > 0 && !(s.is_nobits() && s.flags & elf::SHF_TLS as u64 != 0)
            })
            .map(|(i, s)| (s.addr, s.addr + s.size, i))
            .collect();
        spans.sort_unstable();
        PackableIndex {
            sections: &l.sections,
            spans,
        }
    }

    pub fn contains(&self, addr: u64) -> bool {
        let k = self.spans.partition_point(|&(start, _, _)| start <= addr);
        let Some(&(start, end, i)) = k.checked_sub(1).and_then(|k| self.spans.get(k)) else {
            return false;
        };
        addr >= start && addr < end && packable(&self.sections[i], addr)
    }
}

/// The plan, if `-z pack-relative-relocs` applies to this link and there is
/// a relative relocation to pack (static PIEs relocate themselves with
/// RELA only).
pub(crate) fn relr_plan(
    inp: &LinkInput,
    scans: &[ScanResult],
    got: &[GotEntry],
) -> Option<RelrPlan> {
    let kind = inp.opts.output_kind;
    if !inp.opts.pack_relr || !kind.is_dynamic() || kind == OutputKind::StaticPie {
        return None;
    }
    let c = GotCtx::counting(kind);
    let mut got_offsets = Vec::new();
    for (i, &e) in got.iter().enumerate() {
        for r in got_fill(inp.res, &c, e, 8 * i as u64).rels {
            if r.rtype == Native::R_RELATIVE {
                got_offsets.push(r.offset);
            }
        }
    }
    let places: Vec<Vec<(u32, u64)>> = scans.iter().map(|s| s.relative.clone()).collect();
    if got_offsets.is_empty() && places.iter().all(|p| p.is_empty()) {
        return None;
    }
    Some(RelrPlan {
        places,
        got: got_offsets,
    })
}

/// The `.relr.dyn` words for sorted, 8-aligned, distinct addresses: an
/// address, then bitmaps of the 63 words after it (bit 0 set marks a
/// bitmap), then the next address that no bitmap reaches.
pub fn encode_relr(addrs: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < addrs.len() {
        out.push(addrs[i]);
        let mut base = addrs[i] + 8;
        i += 1;
        loop {
            let mut bits = 0u64;
            while i < addrs.len() && addrs[i] >= base && addrs[i] - base < 63 * 8 {
                bits |= 1 << ((addrs[i] - base) / 8);
                i += 1;
            }
            if bits == 0 {
                break;
            }
            out.push((bits << 1) | 1);
            base += 63 * 8;
        }
    }
    out
}

/// `.relr.dyn`, sized once addresses are known (`RelrPlan::sizes`).
pub(crate) fn add(out: &mut Added) {
    out.add(section(
        b".relr.dyn",
        Synth::RelrDyn,
        elf::SHT_RELR,
        A,
        8,
        126,
        0,
        8,
    ));
}

/// `.relr.dyn`'s words for the `packed` addresses (`b`: as sized).
pub(crate) fn write(b: &mut [u8], packed: &mut [u64]) -> Result<()> {
    packed.sort_unstable();
    let words = encode_relr(packed);
    if 8 * words.len() != b.len() {
        return Err(Error::new(format!(
            "internal error: planned {} bytes of .relr.dyn, made {}",
            b.len(),
            8 * words.len()
        )));
    }
    for (i, w) in words.iter().enumerate() {
        w64(b, 8 * i, *w);
    }
    Ok(())
}
