//! Program headers: how many there will be (counted before addresses, as
//! they sit before the first section) and, once addresses are given, the
//! headers themselves. Under `-n` one load segment and no RELRO.

use super::addresses::Placed;
use super::{OutputSection, Segment, Synth};
use crate::error::{Error, Result};
use crate::options::Options;
use object::elf;

/// The program headers to make, counted before addresses are given (the
/// headers sit before the first section).
pub(crate) struct HeaderPlan {
    /// Sections at fixed addresses (`--section-start`): (index, address).
    pub(crate) fixed: Vec<(usize, u64)>,
    pub(crate) phnum: usize,
    pub(crate) has_tls: bool,
    pub(crate) has_relro: bool,
}

/// Counts the program headers: the load segments (headers, code,
/// read-only data, writable data; one per fixed section), `PT_PHDR` and
/// `PT_INTERP`, `PT_DYNAMIC`, the notes, TLS, `.eh_frame_hdr`, the stack,
/// GNU properties, RELRO.
pub(crate) fn plan(
    opts: &Options,
    sections: &[OutputSection],
    sec_idx: &super::SynthIdx,
    interp: bool,
    gnu_property: bool,
) -> HeaderPlan {
    let dynamic = opts.output_kind.is_dynamic();
    // Sections at fixed addresses (--section-start): (index, address).
    let fixed: Vec<(usize, u64)> = opts
        .section_starts
        .iter()
        .filter_map(|(name, addr)| {
            let i = sections
                .iter()
                .position(|s| s.name == name.as_bytes() && s.is_alloc() && s.size > 0)?;
            Some((i, *addr))
        })
        .collect();
    let is_fixed = |i: usize| fixed.iter().any(|&(f, _)| f == i);

    // Program headers needed (count first: they sit before the first section).
    let has = |sections: &[OutputSection], lo: u32, hi: u32| {
        sections
            .iter()
            .enumerate()
            .any(|(i, s)| s.is_alloc() && s.rank >= lo && s.rank < hi && !is_fixed(i))
    };
    let mut n_load = 1 + fixed.len(); // headers' segment, one per fixed section
    for (lo, hi) in [(200, 300), (300, 400), (400, 600)] {
        // `-n`: the headers' segment holds everything.
        if has(sections, lo, hi) && !opts.nmagic {
            n_load += 1;
        }
    }
    let n_notes = sections
        .iter()
        .filter(|s| s.is_alloc() && s.sh_type == elf::SHT_NOTE)
        .count();
    let has_tls = sections
        .iter()
        .any(|s| s.is_alloc() && s.flags & elf::SHF_TLS as u64 != 0);
    let has_relro = opts.relro && !opts.nmagic && has(sections, 400, 500);
    let phnum = n_load
        + if interp { 2 } else { 0 }
        + if dynamic { 1 } else { 0 }
        + n_notes
        + if has_tls { 1 } else { 0 }
        + if sec_idx.contains_key(&Synth::EhFrameHdr) { 1 } else { 0 }
        + 1 // GNU_STACK
        + if gnu_property { 1 } else { 0 }
        + if has_relro { 1 } else { 0 };
    HeaderPlan {
        fixed,
        phnum,
        has_tls,
        has_relro,
    }
}

/// The pass: the program headers, in the order `plan` counted them.
pub(crate) fn program_headers(
    sections: &[OutputSection],
    sec_idx: &super::SynthIdx,
    plan: &HeaderPlan,
    placed: &Placed,
    base: u64,
    execstack: bool,
) -> Result<Vec<Segment>> {
    let (phnum, has_tls, has_relro) = (plan.phnum, plan.has_tls, plan.has_relro);
    let (loads, relro_start, relro_end) = (&placed.loads, placed.relro_start, placed.relro_end);
    let (tls_start, tls_end, tls_align) = (placed.tls_start, placed.tls_end, placed.tls_align);
    let mut segments: Vec<Segment> = Vec::new();
    let find = |sections: &[OutputSection], synth: Synth| {
        sec_idx.get(&synth).map(|&i| sections[i as usize].clone())
    };
    if let Some(i) = find(sections, Synth::Interp) {
        segments.push(Segment {
            p_type: elf::PT_PHDR,
            flags: elf::PF_R,
            offset: 64,
            vaddr: base + 64,
            filesz: 56 * phnum as u64,
            memsz: 56 * phnum as u64,
            align: 8,
        });
        segments.push(Segment {
            p_type: elf::PT_INTERP,
            flags: elf::PF_R,
            offset: i.offset,
            vaddr: i.addr,
            filesz: i.size,
            memsz: i.size,
            align: 1,
        });
    }
    segments.extend(loads.iter().copied());
    if let Some(d) = find(sections, Synth::Dynamic) {
        segments.push(Segment {
            p_type: elf::PT_DYNAMIC,
            flags: elf::PF_R | elf::PF_W,
            offset: d.offset,
            vaddr: d.addr,
            filesz: d.size,
            memsz: d.size,
            align: 8,
        });
    }
    for s in sections
        .iter()
        .filter(|s| s.is_alloc() && s.sh_type == elf::SHT_NOTE)
    {
        segments.push(Segment {
            p_type: elf::PT_NOTE,
            flags: elf::PF_R,
            offset: s.offset,
            vaddr: s.addr,
            filesz: s.size,
            memsz: s.size,
            align: s.align,
        });
    }
    if has_tls {
        let first = sections
            .iter()
            .find(|s| s.is_alloc() && s.flags & elf::SHF_TLS as u64 != 0)
            .unwrap();
        let filesz: u64 = sections
            .iter()
            .filter(|s| s.flags & elf::SHF_TLS as u64 != 0 && !s.is_nobits())
            .map(|s| s.addr + s.size)
            .max()
            .unwrap_or(tls_start)
            .saturating_sub(tls_start);
        segments.push(Segment {
            p_type: elf::PT_TLS,
            flags: elf::PF_R,
            offset: first.offset,
            vaddr: tls_start,
            filesz,
            memsz: tls_end - tls_start,
            align: tls_align,
        });
    }
    if let Some(n) = find(sections, Synth::GnuProperty) {
        segments.push(Segment {
            p_type: elf::PT_GNU_PROPERTY,
            flags: elf::PF_R,
            offset: n.offset,
            vaddr: n.addr,
            filesz: n.size,
            memsz: n.size,
            align: 8,
        });
    }
    if let Some(h) = find(sections, Synth::EhFrameHdr) {
        segments.push(Segment {
            p_type: elf::PT_GNU_EH_FRAME,
            flags: elf::PF_R,
            offset: h.offset,
            vaddr: h.addr,
            filesz: h.size,
            memsz: h.size,
            align: 4,
        });
    }
    segments.push(Segment {
        p_type: elf::PT_GNU_STACK,
        flags: elf::PF_R | elf::PF_W | if execstack { elf::PF_X } else { 0 },
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    });
    if has_relro {
        segments.push(Segment {
            p_type: elf::PT_GNU_RELRO,
            flags: elf::PF_R,
            offset: relro_start - base,
            vaddr: relro_start,
            filesz: relro_end - relro_start,
            memsz: relro_end - relro_start,
            align: 1,
        });
    }
    if segments.len() != phnum {
        return Err(Error::new(format!(
            "internal error: planned {phnum} program headers, made {}",
            segments.len()
        )));
    }
    Ok(segments)
}
