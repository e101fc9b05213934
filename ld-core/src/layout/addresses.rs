//! Pass: addresses. File offsets and addresses of the allocated sections,
//! in order, each segment class (read-only, code, read-only data,
//! writable) on a new page (under `-n`, one unaligned segment with the
//! permissions of all), RELRO page-aligned, `--section-start` sections
//! in segments of their own; `.relr.dyn`, whose size depends on those
//! addresses, settles in a few rounds. Then the non-allocated sections.

use super::segments::HeaderPlan;
use super::{align_up, OutputSection, Segment, Synth};
use crate::arch::{Arch, Native};
use crate::chunks::relr::RelrPlan;
use crate::error::{Error, Result};
use crate::options::Options;
use object::elf;

/// Where `assign_addresses` put the loaded image.
pub(crate) struct Placed {
    pub(crate) loads: Vec<Segment>,
    pub(crate) relro_start: u64,
    pub(crate) relro_end: u64,
    pub(crate) tls_start: u64,
    pub(crate) tls_end: u64,
    pub(crate) tls_align: u64,
    /// File offset just past the loaded image.
    pub(crate) end: u64,
}

/// Gives every allocated section its file offset and address, in order,
/// starting after the headers (`headers_size` bytes at `base`); each
/// segment class starts on a new page. The `fixed` sections (index,
/// address) come last in the file, each in a load segment of its own at its
/// address. Returns the load segments (by address), the RELRO and TLS
/// ranges.
pub(crate) fn assign_addresses(
    sections: &mut [OutputSection],
    base: u64,
    headers_size: u64,
    fixed: &[(usize, u64)],
    page: u64,
) -> Result<Placed> {
    let mut off = headers_size;
    let mut addr_cursor = base + off;
    let seg_class = |rank: u32| -> u32 {
        match rank {
            0..=199 => 1,
            200..=299 => 2,
            300..=399 => 3,
            _ => 4,
        }
    };
    let mut cur_class = 1u32;
    let mut loads: Vec<Segment> = vec![Segment {
        p_type: elf::PT_LOAD,
        flags: elf::PF_R,
        offset: 0,
        vaddr: base,
        filesz: 0,
        memsz: 0,
        align: page,
    }];
    let mut relro_start = 0u64;
    let mut relro_end = 0u64;
    let mut in_relro = false;
    let mut tls_start = 0u64;
    let mut tls_end = 0u64;
    let mut tls_align = 1u64;
    for (i, s) in sections.iter_mut().enumerate() {
        if !s.is_alloc() || fixed.iter().any(|&(f, _)| f == i) {
            continue;
        }
        let class = seg_class(s.rank);
        if class != cur_class && page == 1 {
            // `-n`: one segment with the permissions of all, as GNU ld
            // (separate ones would share pages, and the last mapped
            // decides a shared page's permissions).
            cur_class = class;
            loads[0].flags |= match class {
                2 => elf::PF_X,
                4 => elf::PF_W,
                _ => 0,
            };
        } else if class != cur_class {
            // New segment on a new page (separate code, like -z separate-code).
            off = align_up(off, page);
            addr_cursor = base + off;
            cur_class = class;
            loads.push(Segment {
                p_type: elf::PT_LOAD,
                flags: match class {
                    2 => elf::PF_R | elf::PF_X,
                    4 => elf::PF_R | elf::PF_W,
                    _ => elf::PF_R,
                },
                offset: off,
                vaddr: base + off,
                filesz: 0,
                memsz: 0,
                align: page,
            });
        }
        if class == 4 && (400..500).contains(&s.rank) && !in_relro && relro_start == 0 {
            in_relro = true;
            relro_start = base + off;
        }
        if class == 4 && s.rank >= 500 && in_relro {
            in_relro = false;
            off = align_up(off, Native::COMMON_PAGE_SIZE.min(page));
            addr_cursor = base + off;
            relro_end = base + off;
        }
        if s.is_nobits() {
            let a = align_up(addr_cursor, s.align);
            s.addr = a;
            s.offset = off;
            if s.flags & elf::SHF_TLS as u64 != 0 {
                // .tbss occupies no address space outside the TLS template.
                tls_end = tls_end.max(a + s.size);
                if tls_start == 0 {
                    tls_start = a;
                }
                tls_align = tls_align.max(s.align);
            } else {
                addr_cursor = a + s.size;
            }
        } else {
            off = align_up(off, s.align);
            s.offset = off;
            s.addr = base + off;
            off += s.size;
            addr_cursor = base + off;
            if s.flags & elf::SHF_TLS as u64 != 0 {
                if tls_start == 0 {
                    tls_start = s.addr;
                }
                tls_end = tls_end.max(s.addr + s.size);
                tls_align = tls_align.max(s.align);
            }
        }
        let seg = loads.last_mut().unwrap();
        seg.filesz = off - seg.offset;
        seg.memsz = addr_cursor.max(base + off) - seg.vaddr;
        if page == 1 {
            // `-n`: aligned as its most aligned section, as lld.
            seg.align = seg.align.max(s.align);
        }
    }
    if in_relro {
        off = align_up(off, Native::COMMON_PAGE_SIZE.min(page));
        relro_end = base + off;
        let seg = loads.last_mut().unwrap();
        seg.filesz = off - seg.offset;
        seg.memsz = seg.memsz.max(off - seg.offset);
    }
    let mut by_addr = fixed.to_vec();
    by_addr.sort_by_key(|&(_, a)| a);
    for (i, addr) in by_addr {
        let s = &mut sections[i];
        let end = addr.saturating_add(s.size);
        if let Some(l) = loads
            .iter()
            .find(|l| addr < l.vaddr + l.memsz.max(1) && l.vaddr < end)
        {
            return Err(Error::new(format!(
                "--section-start: {} at {addr:#x} overlaps the segment at {:#x}",
                String::from_utf8_lossy(&s.name),
                l.vaddr
            )));
        }
        // File offset and address agree modulo the page size.
        off = align_up(off, page) + addr % page;
        s.offset = off;
        s.addr = addr;
        let filesz = if s.is_nobits() { 0 } else { s.size };
        off += filesz;
        let mut flags = elf::PF_R;
        if s.flags & elf::SHF_EXECINSTR as u64 != 0 {
            flags |= elf::PF_X;
        }
        if s.flags & elf::SHF_WRITE as u64 != 0 {
            flags |= elf::PF_W;
        }
        loads.push(Segment {
            p_type: elf::PT_LOAD,
            flags,
            offset: s.offset,
            vaddr: addr,
            filesz,
            memsz: s.size,
            align: page,
        });
    }
    // Load segments in address order, as the ELF specification requires.
    loads.sort_by_key(|l| l.vaddr);
    Ok(Placed {
        loads,
        relro_start,
        relro_end,
        tls_start,
        tls_end,
        tls_align,
        end: off,
    })
}

/// Gives the non-allocated sections (after the loaded image, at `off`)
/// their file offsets; returns the section header table's offset and the
/// file size. Layout calls it, and `compress` again with compressed sizes.
pub(crate) fn place_non_alloc(sections: &mut [OutputSection], mut off: u64) -> (u64, u64) {
    for s in sections.iter_mut() {
        if s.is_alloc() {
            continue;
        }
        off = align_up(off, s.align);
        s.offset = off;
        s.addr = 0;
        off += s.size;
    }
    let shoff = align_up(off, 8);
    (shoff, shoff + 64 * (sections.len() as u64 + 1))
}

/// The address of the file's first byte (`--image-base`, else 0 for PIC
/// and 0x400000).
pub(crate) fn image_base(opts: &Options) -> u64 {
    let kind = opts.output_kind;
    opts.image_base
        .unwrap_or(if kind.is_pic() { 0 } else { 0x400000 })
}

/// The pass: addresses and file offsets of the allocated sections
/// (`assign_addresses`). With `.relr.dyn`, whose size depends on the
/// addresses of what it relocates, again until the sizes settle.
pub(crate) fn place_loaded(
    opts: &Options,
    sections: &mut [OutputSection],
    placement: &[Vec<(u32, u64)>],
    sec_idx: &super::SynthIdx,
    relr: Option<&RelrPlan>,
    headers: &HeaderPlan,
    base: u64,
) -> Result<Placed> {
    let (phnum, fixed) = (headers.phnum, &headers.fixed);
    let headers_size = 64 + 56 * phnum as u64;
    let mut placed = assign_addresses(sections, base, headers_size, fixed, segment_page(opts))?;
    if let Some(plan) = relr {
        // Sizing .relr.dyn (and what stays in .rela.dyn) needs the places'
        // addresses. Only the read-only segment grows, so every place moves
        // by whole pages, or not at all, and the next round agrees.
        let (ri, di) = (
            sec_idx[&Synth::RelrDyn] as usize,
            sec_idx[&Synth::RelaDyn] as usize,
        );
        let rela_all = sections[di].size / 24;
        let mut rounds = 0;
        loop {
            // No GOT: no GOT slot to relocate (a program of data pointers).
            let got = sec_idx
                .get(&Synth::Got)
                .map_or(0, |&i| sections[i as usize].addr);
            let (relr_size, rela_size) = plan.sizes(sections, placement, got, rela_all);
            if sections[ri].size == relr_size && sections[di].size == rela_size {
                break;
            }
            rounds += 1;
            if rounds > 4 {
                return Err(Error::new(
                    "internal error: the size of .relr.dyn does not settle",
                ));
            }
            sections[ri].size = relr_size;
            sections[di].size = rela_size;
            placed = assign_addresses(sections, base, headers_size, fixed, segment_page(opts))?;
        }
    }
    Ok(placed)
}

/// The boundary load segments start on: a page, or (`-n`) none at all.
fn segment_page(opts: &Options) -> u64 {
    if opts.nmagic {
        1
    } else {
        opts.max_page_size
    }
}

/// The thread pointer (TLS variant II): the end of the TLS block, aligned.
pub(crate) fn thread_pointer(placed: &Placed, has_tls: bool) -> u64 {
    let (tls_end, tls_align) = (placed.tls_end, placed.tls_align);
    if has_tls {
        Native::thread_pointer(placed.tls_start, tls_end, tls_align)
    } else {
        0
    }
}
