//! Writing: the output is created at its final size beside the target,
//! mapped, and every chunk fills its own slice of the mapping — input
//! sections in parallel (copy, then relocate), synthetic sections from what
//! layout decided. The build ID is hashed over the finished image; then
//! `output_file` puts it in place (renamed over a regular file, written
//! through to a device or FIFO). A failed link leaves the target untouched.
//! Links of the same output take turns (`outlock`).

use crate::error::{Error, Result};
use crate::layout::{self, local_sym_addr, target_props, DynRel, DynVal, Layout, Synth, NONE};
use crate::object_file::EhRecordKind;
use crate::options::{BuildId, Options};
use crate::output_file::OutputFile;
use crate::resolve::{Resolved, SymDef, SymbolId};
use crate::x86_64::{self as arch, Action, DecideCtx, RelocValues};
use object::elf;
use rayon::prelude::*;

/// The note type of `--package-metadata` (systemd's packaging metadata).
const NT_FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;

pub(crate) fn w16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn w32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn w64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes the image; into `prepared` if that suits (see `OutputFile::create_prepared`).
pub fn write_output(
    opts: &Options,
    res: &Resolved,
    l: &Layout,
    prepared: Option<crate::output_file::Preparing>,
) -> Result<crate::output_file::Retired> {
    write_output_then(opts, res, l, prepared, &mut |_| Ok(()))
}

/// `write_output`, with `finish` run on the complete image (build ID
/// included) before it is put in place: `--separate-debug-file` makes the
/// debug file from it and stores that file's CRC in `.gnu_debuglink`.
pub fn write_output_then(
    opts: &Options,
    res: &Resolved,
    l: &Layout,
    prepared: Option<crate::output_file::Preparing>,
    finish: &mut dyn FnMut(&mut [u8]) -> Result<()>,
) -> Result<crate::output_file::Retired> {
    // Taken before the output is opened and released after it is committed
    // or dropped: a second link of this output waits till then.
    let _lock = crate::outlock::lock_for_writing(&opts.output);
    let mut pass = crate::timing::span("write: open output");
    let mut out = OutputFile::create_prepared(
        &opts.output,
        l.file_size,
        prepared.and_then(crate::output_file::Preparing::take),
    )?;
    let buf = out.buf();
    write_headers(buf, l, opts);
    if uses_gnu_abi(res) {
        // STT_GNU_IFUNC is a GNU extension; say so, as GNU ld does.
        buf[7] = elf::ELFOSABI_GNU;
    }
    crate::timing::next(&mut pass, "write: sections");
    let place_rels = write_parts(opts, res, l, buf)?;
    for &off in &l.endbr_nops {
        // nopl 0x0(%rax): the same four bytes, no landing pad.
        buf[off as usize..off as usize + 4].copy_from_slice(&[0x0f, 0x1f, 0x40, 0x00]);
    }
    crate::timing::next(&mut pass, "write: dynamic relocations");
    let rela_dyn_size = write_dynamic_relocations(l, buf, &place_rels)?;
    write_dynamic(l, buf, rela_dyn_size);
    crate::timing::next(&mut pass, "write: the rest");
    for (o, bytes) in &l.script_data {
        let o = *o as usize;
        buf[o..o + bytes.len()].copy_from_slice(bytes);
    }
    for (i, bytes) in &l.prewritten {
        let o = l.sections[*i].offset as usize;
        buf[o..o + bytes.len()].copy_from_slice(bytes);
    }
    write_emit_relocs(res, l, buf);
    if !opts.no_section_header {
        write_section_headers(buf, l);
    }
    crate::timing::next(&mut pass, "write: build id");
    write_build_id(opts, l, buf);
    finish(buf)?;
    crate::timing::next(&mut pass, "write: commit");
    out.commit()
}

/// The ELF header and program headers; with `-z nosectionheader` there is
/// no section header table (its fields are zero).
fn write_headers(buf: &mut [u8], l: &Layout, opts: &crate::options::Options) {
    let no_shdrs = opts.no_section_header;
    buf[0..4].copy_from_slice(b"\x7fELF");
    buf[4] = elf::ELFCLASS64;
    buf[5] = elf::ELFDATA2LSB;
    buf[6] = elf::EV_CURRENT;
    buf[7] = elf::ELFOSABI_NONE;
    let e_type = if l.kind.is_pic() && !(opts.text_segment && l.kind.is_executable()) {
        elf::ET_DYN
    } else {
        elf::ET_EXEC
    };
    w16(buf, 16, e_type);
    w16(buf, 18, elf::EM_X86_64);
    w32(buf, 20, elf::EV_CURRENT as u32);
    w64(buf, 24, l.entry);
    w64(buf, 32, 64);
    w64(buf, 40, if no_shdrs { 0 } else { l.shoff });
    w32(buf, 48, 0);
    w16(buf, 52, 64);
    w16(buf, 54, 56);
    w16(buf, 56, l.segments.len() as u16);
    if !no_shdrs {
        w16(buf, 58, 64);
        w16(buf, 60, l.sections.len() as u16 + 1);
        w16(buf, 62, l.sec_idx[&Synth::Shstrtab] as u16 + 1);
    }
    for (i, s) in l.segments.iter().enumerate() {
        let o = 64 + 56 * i;
        w32(buf, o, s.p_type);
        w32(buf, o + 4, s.flags);
        w64(buf, o + 8, s.offset);
        w64(buf, o + 16, s.vaddr);
        w64(buf, o + 24, s.vaddr);
        w64(buf, o + 32, s.filesz);
        w64(buf, o + 40, s.memsz);
        w64(buf, o + 48, s.align);
    }
}

/// Values for relocating against symbol `sym` of file `f`; a local
/// symbol's GOT slots only if `slots` (see `Action::reads_got_slots`).
fn reloc_values(
    res: &Resolved,
    l: &Layout,
    f: usize,
    sym: u32,
    addend: i64,
    slots: bool,
) -> (RelocValues, i64) {
    let mut v = RelocValues {
        got_base: l.got_base,
        tp: l.tp,
        tls_start: l.tls_start,
        ..Default::default()
    };
    let o = &res.objects[f];
    match res.global_of(f, sym) {
        None => {
            let (s, a) = local_sym_addr(res, l, f, sym, addend);
            v.s = s;
            v.size = o.symbols[sym as usize].size;
            let slot = |k| {
                if !slots {
                    return None;
                }
                l.local_got
                    .get(&(f as u32, sym, k))
                    .map(|&g| l.got_slot_addr(g))
            };
            v.got = slot(layout::LG_ADDR);
            v.gottp = slot(layout::LG_TPOFF);
            v.tlsgd = slot(layout::LG_TLSGD);
            v.tlsdesc = slot(layout::LG_TLSDESC);
            if l.tlsld != NONE {
                v.tlsld = Some(l.got_slot_addr(l.tlsld));
            }
            (v, a)
        }
        Some(id) => {
            let info = &l.sym_info[id as usize];
            v.s = l.sym_values[id as usize];
            if info.plt != NONE {
                v.plt = Some(l.plt_entry_addr(info.plt));
            }
            if info.got != NONE {
                v.got = Some(l.got_slot_addr(info.got));
            }
            if info.gottp != NONE {
                v.gottp = Some(l.got_slot_addr(info.gottp));
            }
            if info.tlsgd != NONE {
                v.tlsgd = Some(l.got_slot_addr(info.tlsgd));
            }
            if info.tlsdesc != NONE {
                v.tlsdesc = Some(l.got_slot_addr(info.tlsdesc));
            }
            if l.tlsld != NONE {
                v.tlsld = Some(l.got_slot_addr(l.tlsld));
            }
            v.size = match res.symbols[id as usize].def {
                SymDef::Object { file, sym } | SymDef::Common { file, sym } => {
                    res.objects[file as usize].symbols[sym as usize].size
                }
                SymDef::Shared { file, sym } => {
                    res.shared[file as usize].file.symbols[sym as usize].size
                }
                _ => 0,
            };
            (v, addend)
        }
    }
}

/// What fills one slice of the output. The slices are disjoint, so all
/// parts are written in parallel: input sections (copied, then relocated),
/// merged strings, and the synthetic sections that depend on layout alone.
/// `.rela.dyn`, `.relr.dyn`, `.rela.plt` and `.dynamic` wait for the
/// dynamic relocations the input sections make.
enum Part<'a> {
    Input(&'a mut [u8], u32, u32),
    /// An output section's merged strings: the run after its input
    /// sections, starting at `.2` in the section.
    Merged(&'a mut [u8], usize, u64),
    /// A synthetic section, with the one written with it (`.eh_frame_hdr`
    /// for `.eh_frame`, `.strtab` for `.symtab`).
    Synth(Synth, &'a mut [u8], Option<&'a mut [u8]>),
}

#[derive(Clone, Copy)]
enum Region {
    Input(u32, u32),
    Merged(usize, u64),
    Synth(Synth),
}

/// The synthetic sections `write_synth` fills; `.eh_frame_hdr` and
/// `.strtab` come with their partners.
fn written_early(s: Synth) -> bool {
    !matches!(
        s,
        Synth::Regular
            | Synth::RelaDyn
            | Synth::RelrDyn
            | Synth::RelaPlt
            | Synth::Dynamic
            | Synth::EmitRela
    )
}

/// The output's parts, each with its slice of `buf`.
fn split_parts<'a>(res: &Resolved, l: &Layout, buf: &'a mut [u8]) -> Result<Vec<Part<'a>>> {
    let mut regions: Vec<(u64, u64, Region)> = Vec::new();
    for (i, s) in l.sections.iter().enumerate() {
        if s.is_nobits() {
            continue;
        }
        if s.synth != Synth::Regular {
            if written_early(s.synth) && s.size > 0 {
                regions.push((s.offset, s.size, Region::Synth(s.synth)));
            }
            continue;
        }
        for &(f, si) in &s.inputs {
            let (_, off) = l.placement[f as usize][si as usize];
            let isec = &res.objects[f as usize].sections[si as usize];
            if !isec.is_nobits() {
                regions.push((s.offset + off, isec.size, Region::Input(f, si)));
            }
        }
        if let Some(base) = s.merged.iter().map(|m| m.1).min() {
            let end = s
                .merged
                .iter()
                .map(|m| m.1 + m.0.len() as u64)
                .max()
                .unwrap();
            regions.push((s.offset + base, end - base, Region::Merged(i, base)));
        }
    }
    regions.sort_by_key(|r| r.0);
    let mut sliced: Vec<(Region, &'a mut [u8])> = Vec::with_capacity(regions.len());
    let mut rest: &mut [u8] = buf;
    let mut pos = 0u64;
    for &(off, size, region) in &regions {
        let Some(gap) = off.checked_sub(pos) else {
            return Err(Error::new(format!(
                "internal error: output pieces overlap at offset {off:#x}"
            )));
        };
        let tail = std::mem::take(&mut rest);
        let (_, tail) = tail.split_at_mut(gap as usize);
        let (mine, tail) = tail.split_at_mut(size as usize);
        sliced.push((region, mine));
        rest = tail;
        pos = off + size;
    }
    let mut partner = |which: Synth| {
        let i = sliced
            .iter()
            .position(|(r, _)| matches!(r, Region::Synth(x) if *x == which))?;
        Some(sliced.swap_remove(i).1)
    };
    let mut hdr = partner(Synth::EhFrameHdr);
    let mut strtab = partner(Synth::Strtab);
    Ok(sliced
        .into_iter()
        .map(|(r, b)| match r {
            Region::Input(f, si) => Part::Input(b, f, si),
            Region::Merged(i, base) => Part::Merged(b, i, base),
            Region::Synth(s) => {
                let extra = match s {
                    Synth::EhFrame => hdr.take(),
                    Synth::Symtab => strtab.take(),
                    _ => None,
                };
                Part::Synth(s, b, extra)
            }
        })
        .collect())
}

/// Writes every part but the dynamic relocations and `.dynamic`; returns
/// the dynamic relocations made at input places, in output order.
fn write_parts(opts: &Options, res: &Resolved, l: &Layout, buf: &mut [u8]) -> Result<Vec<DynRel>> {
    let parts = split_parts(res, l, buf)?;
    let (synth, inputs): (Vec<Part>, Vec<Part>) = parts
        .into_iter()
        .partition(|p| matches!(p, Part::Synth(..)));
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    let (synth_results, input_results) = rayon::join(
        || {
            synth
                .into_par_iter()
                .with_max_len(1)
                .map(|p| match p {
                    Part::Synth(which, b, extra) => write_synth(opts, res, l, which, b, extra),
                    _ => Ok(()),
                })
                .collect::<Vec<Result<()>>>()
        },
        || {
            // Small jobs: the parts are in output order, so the heavy ones
            // (debug sections with most of the relocations) sit together at
            // the end, and rayon's adaptive splitting left one thread with
            // them (one thread busy for 45 of the 50 ms of ripgrep's write).
            inputs
                .into_par_iter()
                .with_max_len(8)
                .map(|p| match p {
                    Part::Input(out, f, si) => {
                        relocate_section(res, l, &ctx, out, f as usize, si as usize)
                    }
                    Part::Merged(out, i, base) => {
                        for (bytes, off) in &l.sections[i].merged {
                            let o = (off - base) as usize;
                            out[o..o + bytes.len()].copy_from_slice(bytes);
                        }
                        Ok(Vec::new())
                    }
                    Part::Synth(..) => Ok(Vec::new()),
                })
                .collect::<Vec<Result<Vec<DynRel>, String>>>()
        },
    );
    let mut errors = Vec::new();
    let mut rels = Vec::new();
    for r in input_results {
        match r {
            Ok(v) => rels.extend(v),
            Err(e) => errors.push(e),
        }
    }
    for r in synth_results {
        if let Err(e) = r {
            errors.push(e.msg);
        }
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    Ok(rels)
}

pub(crate) fn relocate_section(
    res: &Resolved,
    l: &Layout,
    ctx: &DecideCtx,
    out: &mut [u8],
    f: usize,
    si: usize,
) -> Result<Vec<DynRel>, String> {
    let o = &res.objects[f];
    let isec = &o.sections[si];
    out.copy_from_slice(o.section_data(si));
    let (osec, off) = l.placement[f][si];
    let sec_addr = l.sections[osec as usize].addr + off;
    let alloc = isec.is_alloc();
    let writable = isec.flags & elf::SHF_WRITE as u64 != 0;
    let input = o.section_data(si);
    let mut dynrels = Vec::new();
    let mut skip = false;
    let is_debug_list = matches!(isec.name, b".debug_loc" | b".debug_ranges");
    let decoded = o.relocs[isec.relocs.start as usize..isec.relocs.end as usize]
        .iter()
        .map(|r| Ok(*r));
    // Debug sections' relocations are read straight from the input here.
    let raw = isec.raw_relocs.iter().map(|r| {
        let rel = crate::object_file::Reloc::from_rela(r);
        if rel.sym as usize >= o.symbols.len() || rel.offset >= isec.size {
            Err(format!(
                "{}:({}+{:#x}): relocation refers to symbol {} or offset out of range",
                o.name,
                String::from_utf8_lossy(isec.name),
                rel.offset,
                rel.sym
            ))
        } else {
            Ok(rel)
        }
    });
    for r in decoded.chain(raw) {
        let r = &r?;
        if skip {
            skip = false;
            continue;
        }
        if !alloc {
            if let Some(n) = arch::non_alloc_abs_width(r.rtype) {
                // As the general path below does for these: S + A, or the
                // tombstone for a target in a discarded section.
                let v = match non_alloc_value(res, l, f, r.sym, r.addend) {
                    Some(v) => v,
                    None if is_debug_list => 1,
                    None => 0,
                };
                out.get_mut(r.offset as usize..r.offset as usize + n)
                    .ok_or_else(|| {
                        format!(
                            "{}:({}+{:#x}): relocation is past the end of its section",
                            o.name,
                            String::from_utf8_lossy(isec.name),
                            r.offset
                        )
                    })?
                    .copy_from_slice(&v.to_le_bytes()[..n]);
                continue;
            }
        }
        let t = target_props(res, l.kind, f, r.sym);
        let (action, needs) = arch::decide(ctx, r.rtype, t, alloc, writable, input, r.offset)
            .map_err(|m| {
                format!(
                    "{}:({}+{:#x}): {}",
                    o.name,
                    String::from_utf8_lossy(isec.name),
                    r.offset,
                    m
                )
            })?;
        skip = needs.skip_next;
        let (v, a) = reloc_values(res, l, f, r.sym, r.addend, action.reads_got_slots());
        if !alloc && target_is_dead(res, l, f, r.sym) {
            // Tombstone for references to discarded code in debug info.
            let tomb: u64 = if is_debug_list { 1 } else { 0 };
            let n = match action {
                Action::Abs(arch::Width::W8) => 8,
                _ => 4,
            };
            // Bounds-checked: the input may put the place at the very end.
            out.get_mut(r.offset as usize..r.offset as usize + n)
                .ok_or_else(|| {
                    format!(
                        "{}:({}+{:#x}): relocation is past the end of its section",
                        o.name,
                        String::from_utf8_lossy(isec.name),
                        r.offset
                    )
                })?
                .copy_from_slice(&tomb.to_le_bytes()[..n]);
            continue;
        }
        arch::apply(action, out, r.offset, sec_addr, a, &v, alloc).map_err(|m| {
            let place = format!(
                "{}:({}+{:#x})",
                o.name,
                String::from_utf8_lossy(isec.name),
                r.offset
            );
            let sym = layout::sym_display(o, r.sym);
            if m.starts_with("out of range") {
                // As lld and mold say it: the type, the target, the range.
                let target = sym.strip_prefix("symbol ").unwrap_or(&sym);
                format!(
                    "{place}: relocation {} against {target} {m}",
                    arch::rel_name(r.rtype)
                )
            } else {
                format!("{place}: {m} against {sym}")
            }
        })?;
        if action == Action::Abs64Dyn {
            let place = sec_addr + r.offset;
            if t.imported {
                let id = res.global_of(f, r.sym).unwrap();
                dynrels.push(DynRel {
                    offset: place,
                    rtype: elf::R_X86_64_64,
                    dynsym: l.sym_info[id as usize].dynsym,
                    addend: a,
                });
            } else {
                dynrels.push(DynRel {
                    offset: place,
                    rtype: elf::R_X86_64_RELATIVE,
                    dynsym: 0,
                    addend: (v.s as i64).wrapping_add(a),
                });
            }
        }
    }
    if reversed_ctors(isec.name, &l.sections[osec as usize].name) && out.len().is_multiple_of(8) {
        // `.ctors`/`.dtors` ran from the end; in `.init_array`/`.fini_array`
        // they run from the start: reverse the words, and move the
        // dynamic relocations with them.
        let n = out.len() as u64;
        let words: Vec<[u8; 8]> = out
            .chunks_exact(8)
            .rev()
            .map(|w| w.try_into().unwrap())
            .collect();
        for (i, w) in words.iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(w);
        }
        for r in &mut dynrels {
            r.offset = sec_addr + (n - 8 - (r.offset - sec_addr));
        }
    }
    Ok(dynrels)
}

/// Whether input section `name` is an old-style constructor or destructor
/// list placed in `.init_array`/`.fini_array` (`out`), whose words are
/// written in reverse.
fn reversed_ctors(name: &[u8], out: &[u8]) -> bool {
    (name.starts_with(b".ctors") || name.starts_with(b".dtors"))
        && matches!(out, b".init_array" | b".fini_array")
}

/// S + A for a relocation of a non-allocated section against symbol `sym`
/// of file `f`, or `None` if the target's section was discarded: the
/// general path's `target_is_dead` and `reloc_values` in one lookup.
fn non_alloc_value(res: &Resolved, l: &Layout, f: usize, sym: u32, addend: i64) -> Option<u64> {
    let (file, idx) = match res.global_of(f, sym) {
        None => (f, sym),
        Some(id) => match res.symbols[id as usize].def {
            SymDef::Object { file, sym } => {
                if section_discarded(res, l, file as usize, sym) {
                    return None;
                }
                return Some(l.sym_values[id as usize].wrapping_add(addend as u64));
            }
            _ => return Some(l.sym_values[id as usize].wrapping_add(addend as u64)),
        },
    };
    if section_discarded(res, l, file, idx) {
        return None;
    }
    let (v, a) = local_sym_addr(res, l, file, idx, addend);
    Some(v.wrapping_add(a as u64))
}

/// Whether symbol `sym` of object `file` is in a section the link dropped.
fn section_discarded(res: &Resolved, l: &Layout, file: usize, sym: u32) -> bool {
    let s = &res.objects[file].symbols[sym as usize];
    let sh = s.shndx as usize;
    if s.shndx == elf::SHN_ABS as u32
        || s.shndx == elf::SHN_COMMON as u32
        || sh == 0
        || sh >= res.objects[file].sections.len()
    {
        return false;
    }
    l.placement[file][sh].0 == NONE
}

fn target_is_dead(res: &Resolved, l: &Layout, f: usize, sym: u32) -> bool {
    match res.global_of(f, sym) {
        None => section_discarded(res, l, f, sym),
        Some(id) => match res.symbols[id as usize].def {
            SymDef::Object { file, sym } => section_discarded(res, l, file as usize, sym),
            _ => false,
        },
    }
}

fn sec_slice<'a>(buf: &'a mut [u8], l: &Layout, s: Synth) -> Option<(&'a mut [u8], u64)> {
    let sec = l.sec(s)?;
    let (o, n) = (sec.offset as usize, sec.size as usize);
    Some((&mut buf[o..o + n], sec.addr))
}

fn put_rela(b: &mut [u8], i: usize, r: &DynRel) {
    let o = i * 24;
    w64(b, o, r.offset);
    w64(b, o + 8, ((r.dynsym as u64) << 32) | r.rtype as u64);
    w64(b, o + 16, r.addend as u64);
}

/// (value, size, info, other, shndx) for a global symbol as it appears in symbol tables.
/// The index of the allocated section holding (or ending at) `v`, else
/// `SHN_ABS`.
fn section_at(l: &Layout, v: u64) -> u16 {
    l.sections
        .iter()
        .filter(|x| x.is_alloc() && x.addr <= v && v <= x.addr + x.size)
        .map(|x| x.shndx as u16)
        .next()
        .unwrap_or(elf::SHN_ABS)
}

fn global_entry(
    res: &Resolved,
    l: &Layout,
    id: SymbolId,
    dynamic: bool,
) -> (u64, u64, u8, u8, u16) {
    let s = &res.symbols[id as usize];
    let info = &l.sym_info[id as usize];
    // A shared library's own binding (libc's `puts` is a weak alias) is not
    // ours: an import is weak only if every reference to it is weak.
    let weak = match s.def {
        SymDef::Shared { .. } if !info.copy => !s.strong_ref,
        SymDef::Undefined => !s.strong_ref,
        _ => s.weak_def,
    };
    let bind = if weak { elf::STB_WEAK } else { elf::STB_GLOBAL };
    // .dynsym keeps only PROTECTED (it tells other modules the symbol binds
    // locally here); HIDDEN and INTERNAL symbols are not in it.
    let vis = match (dynamic, s.visibility) {
        (false, v) => v,
        (true, elf::STV_PROTECTED) => elf::STV_PROTECTED,
        (true, _) => elf::STV_DEFAULT,
    };
    match s.def {
        SymDef::Object { file, sym } => {
            let os = &res.objects[file as usize].symbols[sym as usize];
            if dynamic && os.typ == elf::STT_GNU_IFUNC && info.plt != NONE && l.kind.is_executable()
            {
                // An executable's IFUNC is exported as the function its PLT
                // entry is (its address everywhere, as in GNU ld): the
                // dynamic linker cannot run the executable's resolver for a
                // library loaded before it is relocated.
                let plt = l.sec(Synth::Plt).map_or(0, |s| s.shndx as u16);
                return (
                    l.plt_entry_addr(info.plt),
                    0,
                    (bind << 4) | elf::STT_FUNC,
                    vis,
                    plt,
                );
            }
            let v = local_sym_addr(res, l, file as usize, sym, 0).0;
            let shndx = if os.shndx == elf::SHN_ABS as u32 {
                elf::SHN_ABS
            } else {
                let p = l.placement[file as usize]
                    .get(os.shndx as usize)
                    .map(|p| p.0)
                    .unwrap_or(NONE);
                if p == NONE {
                    elf::SHN_ABS
                } else {
                    l.sections[p as usize].shndx as u16
                }
            };
            let vis = if os.visibility != elf::STV_DEFAULT {
                os.visibility
            } else {
                vis
            };
            let v = if os.typ == elf::STT_TLS {
                v.wrapping_sub(l.tls_start)
            } else {
                v
            };
            // GNU_UNIQUE (one object process-wide, e.g. inline functions'
            // static locals) is kept as such.
            let bind = if os.bind == elf::STB_GNU_UNIQUE {
                elf::STB_GNU_UNIQUE
            } else {
                bind
            };
            (v, os.size, (bind << 4) | os.typ, vis, shndx)
        }
        SymDef::Common { file, sym } => {
            let os = &res.objects[file as usize].symbols[sym as usize];
            let v = l.sym_values[id as usize];
            (
                v,
                os.size,
                (bind << 4) | elf::STT_OBJECT,
                vis,
                home_shndx(l, v, &[b".common", b".bss"]),
            )
        }
        SymDef::Shared { file, sym } => {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            if info.copy {
                let v = l.sym_values[id as usize];
                (
                    v,
                    ds.size,
                    (elf::STB_GLOBAL << 4) | ds.typ,
                    elf::STV_DEFAULT,
                    home_shndx(l, v, &[b".copyrel.rel.ro", b".copyrel", b".bss"]),
                )
            } else {
                let v = if info.canonical_plt {
                    l.sym_values[id as usize]
                } else {
                    0
                };
                let typ = if ds.typ == elf::STT_GNU_IFUNC {
                    elf::STT_FUNC
                } else {
                    ds.typ
                };
                (v, 0, (bind << 4) | typ, elf::STV_DEFAULT, elf::SHN_UNDEF)
            }
        }
        SymDef::Synthetic if s.defsym.is_some() => {
            let v = l.sym_values[id as usize];
            let shndx = match s.defsym {
                Some(
                    crate::resolve::Defsym::Abs(_)
                    | crate::resolve::Defsym::Script { absolute: true, .. },
                ) => elf::SHN_ABS,
                // A script's `.` may be past its section's end (`_end = .`
                // after `. = ALIGN(8)`): it still belongs to the section
                // below it, as in GNU ld.
                Some(crate::resolve::Defsym::Script { .. }) => match section_at(l, v) {
                    elf::SHN_ABS => l
                        .sections
                        .iter()
                        .filter(|x| x.is_alloc() && x.addr <= v && x.addr != 0)
                        .max_by_key(|x| x.addr)
                        .map_or(elf::SHN_ABS, |x| x.shndx as u16),
                    n => n,
                },
                _ => section_at(l, v),
            };
            (v, 0, (bind << 4) | elf::STT_NOTYPE, vis, shndx)
        }
        SymDef::Undefined | SymDef::Synthetic => {
            if layout::is_linker_defined(s.name) {
                let v = l.sym_values[id as usize];
                let shndx = section_at(l, v);
                (
                    v,
                    0,
                    (elf::STB_GLOBAL << 4) | elf::STT_NOTYPE,
                    if dynamic {
                        elf::STV_DEFAULT
                    } else {
                        elf::STV_HIDDEN
                    },
                    shndx,
                )
            } else {
                (
                    0,
                    0,
                    (bind << 4) | s.ref_type,
                    elf::STV_DEFAULT,
                    elf::SHN_UNDEF,
                )
            }
        }
    }
}

/// Fills synthetic section `which` (`b`), from what layout decided; `extra`
/// is its partner's slice (see `Part::Synth`).
fn write_synth(
    opts: &Options,
    res: &Resolved,
    l: &Layout,
    which: Synth,
    b: &mut [u8],
    extra: Option<&mut [u8]>,
) -> Result<()> {
    match which {
        Synth::Interp => {
            if let Some(p) = &l.interp {
                b.copy_from_slice(p);
            }
        }
        Synth::Got => {
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
        Synth::GotPlt => {
            w64(b, 0, l.sec_addr(Synth::Dynamic));
            for i in 0..l.plt.len() {
                let v = if i < l.n_lazy_plt {
                    l.plt_entry_addr(i as u32) + 6
                } else {
                    // IFUNC slot: the resolver address until IRELATIVE runs.
                    l.irel_rels[i - l.n_lazy_plt].addend as u64
                };
                w64(b, (3 + i) * 8, v);
            }
        }
        Synth::Plt => write_plt(l, b),
        Synth::Dynstr => b.copy_from_slice(&l.dynstr),
        Synth::Dynsym => {
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
        Synth::Versym => {
            w16(b, 0, 0);
            for (i, &v) in l.versyms.iter().enumerate() {
                w16(b, (i + 1) * 2, v);
            }
        }
        Synth::Verneed => b.copy_from_slice(&l.verneed),
        Synth::Verdef => b.copy_from_slice(&l.verdef),
        Synth::GnuHash => write_gnu_hash(res, l, b),
        Synth::Hash => write_sysv_hash(res, l, b),
        Synth::EhFrame => write_eh_frame(res, l, b, extra)?,
        Synth::Comment => b.copy_from_slice(&l.comment),
        Synth::Symtab => {
            if let (false, Some(strtab)) = (opts.strip_all, extra) {
                write_symtab(res, l, b, strtab);
            }
        }
        Synth::Shstrtab => b.copy_from_slice(&l.shstrtab),
        Synth::GnuProperty => write_gnu_property_note(b, &l.gnu_properties),
        Synth::PackageNote => {
            if let Some(json) = &opts.package_metadata {
                w32(b, 0, 4);
                // The descriptor's size counts its padding, as GNU ld writes it.
                w32(b, 4, (json.len() as u32 + 1).next_multiple_of(4));
                w32(b, 8, NT_FDO_PACKAGING_METADATA);
                b[12..16].copy_from_slice(b"FDO\0");
                b[16..16 + json.len()].copy_from_slice(json.as_bytes());
            }
        }
        Synth::BuildId => {
            // The hash itself is written once the image is complete.
            w32(b, 0, 4);
            w32(b, 4, l.build_id_len as u32);
            w32(b, 8, elf::NT_GNU_BUILD_ID);
            b[12..16].copy_from_slice(b"GNU\0");
        }
        Synth::Regular
        | Synth::RelaDyn
        | Synth::RelrDyn
        | Synth::RelaPlt
        | Synth::Dynamic
        | Synth::EmitRela
        | Synth::EhFrameHdr
        | Synth::Strtab => {}
    }
    Ok(())
}

fn write_plt(l: &Layout, b: &mut [u8]) {
    let plt_addr = l.sec_addr(Synth::Plt);
    let gotplt_addr = l.sec_addr(Synth::GotPlt);
    let hdr = if l.n_lazy_plt > 0 {
        arch::write_plt_header(&mut b[0..16], plt_addr, gotplt_addr);
        16
    } else {
        0
    };
    for i in 0..l.plt.len() {
        let o = hdr + i * 16;
        let ea = l.plt_entry_addr(i as u32);
        let slot = l.gotplt_slot_addr(i as u32);
        if i < l.n_lazy_plt {
            arch::write_plt_entry(&mut b[o..o + 16], ea, slot, i as u32, plt_addr);
        } else {
            arch::write_iplt_entry(&mut b[o..o + 16], ea, slot);
        }
    }
}

fn write_gnu_hash(res: &Resolved, l: &Layout, b: &mut [u8]) {
    let nb = l.gnu_hash_buckets;
    let first = l.gnu_hash_first;
    w32(b, 0, nb);
    w32(b, 4, first);
    w32(b, 8, 1);
    w32(b, 12, 26);
    let exports = &l.dynsyms[(first - 1) as usize..];
    let mut bloom = 0u64;
    let hashes: Vec<u32> = exports
        .iter()
        .map(|&id| layout::gnu_hash(layout::dynsym_name(res, id)))
        .collect();
    for &h in &hashes {
        bloom |= 1u64 << (h % 64);
        bloom |= 1u64 << ((h >> 26) % 64);
    }
    w64(b, 16, bloom);
    let bucket_off = 24;
    let chain_off = bucket_off + 4 * nb as usize;
    for (i, &h) in hashes.iter().enumerate() {
        let bk = (h % nb) as usize;
        let cur = u32::from_le_bytes(
            b[bucket_off + 4 * bk..bucket_off + 4 * bk + 4]
                .try_into()
                .unwrap(),
        );
        if cur == 0 {
            w32(b, bucket_off + 4 * bk, first + i as u32);
        }
        let last = i + 1 == hashes.len() || hashes[i + 1] % nb != h % nb;
        w32(b, chain_off + 4 * i, (h & !1) | last as u32);
    }
}

fn write_sysv_hash(res: &Resolved, l: &Layout, b: &mut [u8]) {
    let n = l.dynsyms.len() + 1;
    let nb = n;
    w32(b, 0, nb as u32);
    w32(b, 4, n as u32);
    let mut buckets = vec![0u32; nb];
    let mut chains = vec![0u32; n];
    for (i, &id) in l.dynsyms.iter().enumerate() {
        let idx = i + 1;
        let h = layout::elf_hash(layout::dynsym_name(res, id)) as usize % nb;
        chains[idx] = buckets[h];
        buckets[h] = idx as u32;
    }
    for (i, v) in buckets.iter().chain(chains.iter()).enumerate() {
        w32(b, 8 + 4 * i, *v);
    }
}

/// `.dynamic`, once `.rela.dyn`'s size (`DT_RELASZ`) is known.
fn write_dynamic(l: &Layout, buf: &mut [u8], rela_dyn_size: u64) {
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

/// `.rela.dyn` (RELATIVE first, then symbolic, then IRELATIVE), `.relr.dyn`
/// (with `-z pack-relative-relocs`, the packable RELATIVE ones, by the rule
/// layout sized it with) and `.rela.plt`; returns `.rela.dyn`'s size for
/// `DT_RELASZ`.
fn write_dynamic_relocations(l: &Layout, buf: &mut [u8], place_rels: &[DynRel]) -> Result<u64> {
    let kind = l.kind;
    let relr = l.sec(Synth::RelrDyn).is_some();
    let packable = layout::PackableIndex::new(l);
    let mut relative: Vec<DynRel> = Vec::new();
    let mut symbolic: Vec<DynRel> = Vec::new();
    let mut packed: Vec<u64> = Vec::new();
    for r in l.got_rels.iter().chain(place_rels.iter()) {
        if r.rtype == elf::R_X86_64_RELATIVE {
            if relr && packable.contains(r.offset) {
                packed.push(r.offset);
            } else {
                relative.push(*r);
            }
        } else {
            symbolic.push(*r);
        }
    }
    if let Some((b, _)) = sec_slice(buf, l, Synth::RelrDyn) {
        packed.sort_unstable();
        let words = layout::encode_relr(&packed);
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
    }
    let mut rela_dyn_size = 0u64;
    if kind.is_dynamic() {
        if let Some((b, _)) = sec_slice(buf, l, Synth::RelaDyn) {
            let all: Vec<&DynRel> = relative
                .iter()
                .chain(symbolic.iter())
                .chain(l.irel_rels.iter())
                .collect();
            if all.len() * 24 != b.len() {
                return Err(Error::new(format!(
                    "internal error: planned {} dynamic relocations, produced {}",
                    b.len() / 24,
                    all.len()
                )));
            }
            for (i, r) in all.iter().enumerate() {
                put_rela(b, i, r);
            }
            rela_dyn_size = b.len() as u64;
        }
        if let Some((b, _)) = sec_slice(buf, l, Synth::RelaPlt) {
            for (i, r) in l.plt_rels.iter().enumerate() {
                put_rela(b, i, r);
            }
        }
    } else if let Some((b, _)) = sec_slice(buf, l, Synth::RelaPlt) {
        for (i, r) in l.irel_rels.iter().enumerate() {
            put_rela(b, i, r);
        }
    }
    Ok(rela_dyn_size)
}

/// The bytes of a `.note.gnu.property` section with 4-byte `props`
/// (`gnu_property_note_size` of them).
pub(crate) fn write_gnu_property_note(b: &mut [u8], props: &[(u32, u32)]) {
    w32(b, 0, 4);
    w32(b, 4, 16 * props.len() as u32);
    w32(b, 8, elf::NT_GNU_PROPERTY_TYPE_0);
    b[12..16].copy_from_slice(b"GNU\0");
    for (i, &(t, v)) in props.iter().enumerate() {
        let o = 16 + 16 * i;
        w32(b, o, t);
        w32(b, o + 4, 4);
        w32(b, o + 8, v);
        w32(b, o + 12, 0);
    }
}

pub(crate) fn gnu_property_note_size(n_props: usize) -> u64 {
    16 + 16 * n_props as u64
}

/// `.eh_frame` (`b`) and `.eh_frame_hdr` (`hdr`), whose table is made from
/// the FDEs as they are written.
fn write_eh_frame(res: &Resolved, l: &Layout, b: &mut [u8], hdr: Option<&mut [u8]>) -> Result<()> {
    let eh_addr = l.sec_addr(Synth::EhFrame);
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    let mut table: Vec<(u64, u64)> = Vec::new();
    {
        for p in &l.eh {
            let o = &res.objects[p.file as usize];
            let (si, recs) = &o.eh_frames[p.frame as usize];
            let r = &recs[p.record as usize];
            let input = o.section_data(*si as usize);
            let src = &input[r.offset as usize..(r.offset + r.size) as usize];
            let dst_start = p.out_off as usize;
            let dst = &mut b[dst_start..dst_start + r.size as usize];
            dst.copy_from_slice(src);
            if let EhRecordKind::Fde { .. } = r.kind {
                // CIE pointer: distance from this field back to the CIE.
                let ptr = (p.out_off + 4 - p.cie_out) as u32;
                dst[4..8].copy_from_slice(&ptr.to_le_bytes());
            }
            for rel in &o.relocs[r.relocs.start as usize..r.relocs.end as usize] {
                let t = target_props(res, l.kind, p.file as usize, rel.sym);
                let Some(local_off) = rel
                    .offset
                    .checked_sub(r.offset as u64)
                    .filter(|&x| x < r.size as u64)
                else {
                    return Err(Error::new(format!(
                        "{}:(.eh_frame+{:#x}): relocation outside its CIE/FDE record",
                        o.name, rel.offset
                    )));
                };
                let (action, _) =
                    arch::decide(&ctx, rel.rtype, t, true, false, &[], 0).map_err(|m| {
                        Error::new(format!("{}:(.eh_frame+{:#x}): {}", o.name, rel.offset, m))
                    })?;
                let (v, a) = reloc_values(res, l, p.file as usize, rel.sym, rel.addend, true);
                let rec_addr = eh_addr + p.out_off;
                arch::apply(action, dst, local_off, rec_addr, a, &v, true).map_err(|m| {
                    Error::new(format!("{}:(.eh_frame+{:#x}): {}", o.name, rel.offset, m))
                })?;
                if matches!(r.kind, EhRecordKind::Fde { .. }) && local_off == 8 {
                    table.push(((v.s as i64).wrapping_add(a) as u64, rec_addr));
                }
            }
        }
        // Terminator.
        let n = b.len();
        b[n - 4..].copy_from_slice(&[0, 0, 0, 0]);
    }
    if let Some(b) = hdr {
        let ha = l.sec_addr(Synth::EhFrameHdr);
        b[0] = 1;
        b[1] = 0x1b; // pcrel sdata4
        b[2] = 0x03; // udata4
        b[3] = 0x3b; // datarel sdata4
        w32(b, 4, (eh_addr as i64 - (ha + 4) as i64) as u32);
        table.sort_by_key(|e| e.0);
        w32(b, 8, table.len() as u32);
        for (i, (pc, fde)) in table.iter().enumerate() {
            w32(b, 12 + i * 8, (*pc as i64 - ha as i64) as u32);
            w32(b, 16 + i * 8, (*fde as i64 - ha as i64) as u32);
        }
        // Unused slots (FDE count planned from live records) stay covered.
        let written = 12 + table.len() * 8;
        if written != b.len() {
            return Err(Error::new(format!(
                "internal error: .eh_frame_hdr planned {} FDEs, found {}",
                (b.len() - 12) / 8,
                table.len()
            )));
        }
    }
    Ok(())
}

/// `--emit-relocs`: each input relocation of an allocated section, at its
/// output address. One against a global in `.symtab` names it; any other
/// (a local, a section, a symbol made local) is made against symbol 0
/// with the target's address in the addend, which computes the same value.
fn write_emit_relocs(res: &Resolved, l: &Layout, buf: &mut [u8]) {
    if !l.sections.iter().any(|s| s.synth == Synth::EmitRela) {
        return;
    }
    // .symtab index of each global written there (as write_symtab orders them).
    let mut index = vec![0u32; res.symbols.len()];
    let mut next = l.symtab_locals;
    for (id, s) in res.symbols.iter().enumerate() {
        if l.sec(Synth::Symtab).is_some()
            && !s.localized
            && layout::keep_global(res, &l.placement, s)
        {
            index[id] = next;
            next += 1;
        }
    }
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    for rs in l.sections.iter().filter(|s| s.synth == Synth::EmitRela) {
        let target = &l.sections[rs.rela_for as usize];
        let mut o = rs.offset as usize;
        for (f, si, r) in layout::emit_relocs_of(res, &l.live, target) {
            let base = l.placement[f][si as usize].1;
            // A GOT load relaxed to a direct reference is described as
            // one (R_X86_64_PC32), as GNU ld does.
            let isec = &res.objects[f].sections[si as usize];
            let t = target_props(res, l.kind, f, r.sym);
            let writable = isec.flags & elf::SHF_WRITE as u64 != 0;
            let bytes = res.objects[f].section_data(si as usize);
            let rtype = match arch::decide(&ctx, r.rtype, t, true, writable, bytes, r.offset) {
                Ok((Action::GotRelaxLea | Action::GotRelaxCall | Action::GotRelaxJmp, _)) => {
                    elf::R_X86_64_PC32
                }
                _ => r.rtype,
            };
            let (sym, addend) = match res.global_of(f, r.sym) {
                Some(id) if index[id as usize] != 0 => (index[id as usize], r.addend),
                Some(id) => (0, (l.sym_values[id as usize] as i64).wrapping_add(r.addend)),
                None => {
                    let (v, a) = local_sym_addr(res, l, f, r.sym, r.addend);
                    (0, (v as i64).wrapping_add(a))
                }
            };
            w64(buf, o, target.addr + base + r.offset);
            w64(buf, o + 8, ((sym as u64) << 32) | rtype as u64);
            w64(buf, o + 16, addend as u64);
            o += 24;
        }
    }
}

/// `.symtab` (`b`) and `.strtab` (`strtab_out`).
fn write_symtab(res: &Resolved, l: &Layout, b: &mut [u8], strtab_out: &mut [u8]) {
    let (st_size, ss_size) = (b.len(), strtab_out.len());
    let mut strtab: Vec<u8> = Vec::with_capacity(ss_size);
    strtab.push(0);
    let mut syms: Vec<[u8; 24]> = Vec::with_capacity(st_size / 24);
    syms.push([0; 24]);
    let entry = |strtab: &mut Vec<u8>,
                 name: &[u8],
                 info: u8,
                 other: u8,
                 shndx: u16,
                 value: u64,
                 size: u64| {
        let mut e = [0u8; 24];
        e[0..4].copy_from_slice(&(strtab.len() as u32).to_le_bytes());
        strtab.extend_from_slice(name);
        strtab.push(0);
        e[4] = info;
        e[5] = other;
        e[6..8].copy_from_slice(&shndx.to_le_bytes());
        e[8..16].copy_from_slice(&value.to_le_bytes());
        e[16..24].copy_from_slice(&size.to_le_bytes());
        e
    };
    // Section symbols: nameless (offset 0 of .strtab, no bytes of their own).
    for s in l.sections.iter().filter(|s| s.is_alloc()) {
        let mut e = [0u8; 24];
        e[4] = (elf::STB_LOCAL << 4) | elf::STT_SECTION;
        e[6..8].copy_from_slice(&(s.shndx as u16).to_le_bytes());
        e[8..16].copy_from_slice(&s.addr.to_le_bytes());
        syms.push(e);
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
            if !layout::keep_local(o, s, i, &l.placement[f], l.discard) {
                continue;
            }
            let (shndx, value) = if s.typ == elf::STT_FILE {
                (elf::SHN_ABS, 0)
            } else if s.shndx == elf::SHN_ABS as u32 {
                (elf::SHN_ABS, s.value)
            } else {
                let p = l.placement[f][s.shndx as usize].0;
                (
                    l.sections[p as usize].shndx as u16,
                    local_sym_addr(res, l, f, i as u32, 0).0,
                )
            };
            // TLS symbols hold their offset in the TLS segment.
            let value = if s.typ == elf::STT_TLS {
                value.wrapping_sub(l.tls_start)
            } else {
                value
            };
            let e = entry(
                &mut strtab,
                s.name,
                (elf::STB_LOCAL << 4) | s.typ,
                s.visibility,
                shndx,
                value,
                s.size,
            );
            syms.push(e);
        }
    }
    let plt_shndx = l.sec(Synth::Plt).map_or(0, |s| s.shndx as u16);
    for (i, &id) in l.plt.iter().enumerate() {
        syms.push(entry(
            &mut strtab,
            &layout::plt_symbol_name(res, id),
            (elf::STB_LOCAL << 4) | elf::STT_FUNC,
            elf::STV_DEFAULT,
            plt_shndx,
            l.plt_entry_addr(i as u32),
            arch::PLT_ENTRY_SIZE,
        ));
    }
    // Symbols a version script made local follow the input locals (all
    // locals precede the first global), bound locally, with the default
    // visibility, as GNU ld writes them.
    for (id, s) in res.symbols.iter().enumerate() {
        if !s.localized || !layout::keep_global(res, &l.placement, s) {
            continue;
        }
        let (v, size, info, _, shndx) = global_entry(res, l, id as u32, false);
        let info = (elf::STB_LOCAL << 4) | (info & 0xf);
        syms.push(entry(
            &mut strtab,
            s.name,
            info,
            elf::STV_DEFAULT,
            shndx,
            v,
            size,
        ));
    }
    for (id, s) in res.symbols.iter().enumerate() {
        if s.localized || !layout::keep_global(res, &l.placement, s) {
            continue;
        }
        let (v, size, info, other, shndx) = global_entry(res, l, id as u32, false);
        // Hidden symbols become local in an executable's .symtab in GNU ld; we
        // keep them global with their visibility, which readers accept.
        let e = entry(&mut strtab, s.name, info, other, shndx, v, size);
        syms.push(e);
    }
    for (i, e) in syms.iter().enumerate().take(st_size / 24) {
        b[i * 24..i * 24 + 24].copy_from_slice(e);
    }
    let n = strtab.len().min(ss_size);
    strtab_out[..n].copy_from_slice(&strtab[..n]);
}

fn write_section_headers(buf: &mut [u8], l: &Layout) {
    let base = l.shoff as usize;
    buf[base..base + 64].fill(0);
    // Name offsets, assigned the way layout built .shstrtab.
    let mut names: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
    let mut pos = 1u32;
    for s in &l.sections {
        if !names.contains_key(s.name.as_slice()) {
            names.insert(&s.name, pos);
            pos += s.name.len() as u32 + 1;
        }
    }
    let idx = |s: Synth| {
        l.sec_idx
            .get(&s)
            .map(|&i| l.sections[i as usize].shndx)
            .unwrap_or(0)
    };
    for s in &l.sections {
        let o = base + 64 * s.shndx as usize;
        let (link, info) = match s.synth {
            Synth::Dynsym => (idx(Synth::Dynstr), 1),
            Synth::Hash | Synth::GnuHash | Synth::Versym => (idx(Synth::Dynsym), 0),
            Synth::Verneed => (idx(Synth::Dynstr), l.verneed_count),
            Synth::Verdef => (idx(Synth::Dynstr), l.verdef_count),
            Synth::RelaDyn => (idx(Synth::Dynsym), 0),
            Synth::RelaPlt if !l.kind.is_dynamic() => (idx(Synth::Symtab), idx(Synth::GotPlt)),
            Synth::RelaPlt => (
                if l.kind.is_dynamic() {
                    idx(Synth::Dynsym)
                } else {
                    0
                },
                idx(Synth::GotPlt),
            ),
            Synth::Dynamic => (idx(Synth::Dynstr), 0),
            Synth::Symtab => (idx(Synth::Strtab), l.symtab_locals),
            Synth::EmitRela => (idx(Synth::Symtab), l.sections[s.rela_for as usize].shndx),
            _ => (0, 0),
        };
        w32(buf, o, names[s.name.as_slice()]);
        w32(buf, o + 4, s.sh_type);
        w64(buf, o + 8, s.flags);
        w64(buf, o + 16, s.addr);
        w64(buf, o + 24, s.offset);
        w64(buf, o + 32, s.size);
        w32(buf, o + 40, link);
        w32(buf, o + 44, info);
        w64(buf, o + 48, s.align);
        w64(buf, o + 56, s.entsize);
    }
}

fn write_build_id(opts: &Options, l: &Layout, buf: &mut [u8]) {
    let Some(sec) = l.sec(Synth::BuildId) else {
        return;
    };
    let desc = sec.offset as usize + 16;
    let n = l.build_id_len;
    match &opts.build_id {
        BuildId::Hex(h) => buf[desc..desc + n].copy_from_slice(h),
        _ => {
            // Hash the image in 1 MiB chunks in parallel, then the chunk hashes.
            let chunk_hashes: Vec<u128> = buf
                .par_chunks(1 << 20)
                .map(xxhash_rust::xxh3::xxh3_128)
                .collect();
            let mut all = Vec::with_capacity(chunk_hashes.len() * 16);
            for h in &chunk_hashes {
                all.extend_from_slice(&h.to_le_bytes());
            }
            let h1 = xxhash_rust::xxh3::xxh3_128(&all);
            let h2 = xxhash_rust::xxh3::xxh3_128_with_seed(&all, 0x636c64);
            let mut id = h1.to_le_bytes().to_vec();
            id.extend_from_slice(&h2.to_le_bytes());
            if matches!(opts.build_id, BuildId::Uuid) {
                id[6] = (id[6] & 0x0f) | 0x40;
                id[8] = (id[8] & 0x3f) | 0x80;
            }
            let n = n.min(id.len());
            buf[desc..desc + n].copy_from_slice(&id[..n]);
        }
    }
}

fn uses_gnu_abi(res: &Resolved) -> bool {
    res.objects.iter().any(|o| {
        o.symbols.iter().any(|s| {
            (s.typ == elf::STT_GNU_IFUNC || s.bind == elf::STB_GNU_UNIQUE) && !s.is_undefined()
        })
    })
}

/// The section index of the first of `names` (the sections layout may
/// have put a common or a copy in) that holds address `v`.
fn home_shndx(l: &Layout, v: u64, names: &[&[u8]]) -> u16 {
    names
        .iter()
        .find_map(|n| {
            l.sections
                .iter()
                .find(|s| s.is_alloc() && s.name == *n && s.addr <= v && v <= s.addr + s.size)
        })
        .map_or(0, |s| s.shndx as u16)
}
