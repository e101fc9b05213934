//! Writing: the output is created at its final size beside the target,
//! mapped, and every part fills its own slice of the mapping — input
//! sections in parallel (copy, then relocate), synthetic sections by their
//! writers in `chunks`, from what layout decided. The build ID is hashed over the finished image; then
//! `output_file` puts it in place (renamed over a regular file, written
//! through to a device or FIFO). A failed link leaves the target untouched.
//! Links of the same output take turns (`outlock`).

use crate::arch::{Arch, DecideCtx, Native, RelocAction, RelocValues};
use crate::chunks::{self, written_early};
use crate::error::{Error, Result};
use crate::layout::symbols::{SEC_DEAD, SEC_SPECIAL};
use crate::layout::{self, local_sym_addr, target_props, DynRel, Layout, Synth, NONE};
use crate::object_file::Reloc;
use crate::options::Options;
use crate::output_file::OutputFile;
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use rayon::prelude::*;

pub(crate) fn w16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn w32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn w64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes the image; into `prepared` if that suits (see
/// `OutputFile::create_prepared`). `finish` runs on the complete image
/// (build ID included) before it is put in place, and an error from it
/// keeps it out: `--separate-debug-file` makes the debug file from it, and
/// the background linker checks that its inputs did not change.
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
        // A nop of the same length: no landing pad.
        let nop = Native::LANDING_PAD_NOP;
        buf[off as usize..off as usize + nop.len()].copy_from_slice(&nop);
    }
    crate::timing::next(&mut pass, "write: dynamic relocations");
    let rela_dyn_size = chunks::dynrels::write(l, buf, &place_rels)?;
    chunks::dynamic::write(l, buf, rela_dyn_size);
    crate::timing::next(&mut pass, "write: the rest");
    for (o, bytes) in &l.script_data {
        let o = *o as usize;
        buf[o..o + bytes.len()].copy_from_slice(bytes);
    }
    for (i, bytes) in &l.prewritten {
        let o = l.sections[*i].offset as usize;
        buf[o..o + bytes.len()].copy_from_slice(bytes);
    }
    chunks::emit_relocs::write(res, l, buf);
    if !opts.no_section_header {
        write_section_headers(buf, l);
    }
    crate::timing::next(&mut pass, "write: build id");
    chunks::notes::write_build_id(opts, l, buf);
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
    w16(buf, 18, Native::E_MACHINE);
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
/// symbol's GOT slots only if `slots` (see `Action::reads_got_slots`), a
/// global's size only if `size` (`Action::reads_size`).
pub(crate) fn reloc_values(
    res: &Resolved,
    l: &Layout,
    f: usize,
    sym: u32,
    addend: i64,
    slots: bool,
    size: bool,
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
            if !size {
                return (v, addend);
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
/// merged strings, and the synthetic sections that depend on layout alone
/// (`SynthPart`). `.rela.dyn`, `.relr.dyn`, `.rela.plt` and `.dynamic` wait
/// for the dynamic relocations the input sections make.
enum DataPart<'a> {
    Input(&'a mut [u8], u32, u32),
    /// Inputs of output section `.1` written ahead, from offset `.2` in
    /// it (`layout::WriteAhead::write_run`).
    Staged(&'a mut [u8], usize, u64),
    /// An output section's merged strings: the run after its input
    /// sections, starting at `.2` in the section.
    Merged(&'a mut [u8], usize, u64),
}

/// A synthetic section's slice, with the one written with it
/// (`.eh_frame_hdr` for `.eh_frame`, `.strtab` for `.symtab`).
struct SynthPart<'a> {
    which: Synth,
    out: &'a mut [u8],
    partner: Option<&'a mut [u8]>,
}

#[derive(Clone, Copy)]
enum Region {
    Input(u32, u32),
    Merged(usize, u64),
    /// Inputs written ahead, in one piece (`DataPart::Staged`).
    Staged(usize, u64),
}

/// Output section `i`'s regions (offset in the section, size, what), in
/// offset order: its non-empty input sections and its merged strings.
fn section_regions(res: &Resolved, l: &Layout, i: usize) -> Regions {
    let s = &l.sections[i];
    let mut regions: Regions = Vec::with_capacity(s.inputs.len() + 1);
    // Those found before the wait, then the rest.
    let (covered, ahead) = &s.regions_ahead;
    let rest = s.inputs.get(*covered..).unwrap_or(&[]);
    let rest = layout::input_regions(res, rest, |f| &l.placement[f]);
    regions.extend(
        (ahead.iter().copied().chain(rest))
            .map(|(off, size, f, si)| (off, size, Region::Input(f, si))),
    );
    if let Some(base) = s.merged.iter().map(|m| m.1).min() {
        let end = s
            .merged
            .iter()
            .map(|m| m.1 + m.0.len() as u64)
            .max()
            .unwrap();
        regions.push((base, end - base, Region::Merged(i, base)));
    }
    // Placed in order already, but for the merged run and inputs an
    // ordering put elsewhere (a no-op check then).
    if !regions.is_sorted_by_key(|r| r.0) {
        regions.sort_by_key(|r| r.0);
    }
    match &l.written {
        Some(w) if !w.staged(i).is_empty() => staged_regions(w, i, regions),
        _ => regions,
    }
}

/// `regions` (of output section `i`, in offset order) with the inputs
/// written ahead (`w`) taken as runs: each run of consecutive regions
/// that are consecutive inputs written ahead becomes one region, whose
/// gaps the written bytes have as zeros as the output does.
fn staged_regions(w: &layout::WriteAhead, i: usize, regions: Regions) -> Regions {
    let staged = w.staged(i);
    let mut out: Regions = Vec::with_capacity(regions.len());
    let (mut j, mut last, mut inputs) = (0, None, 0);
    for (off, size, r) in regions {
        let this = match r {
            Region::Input(f, si) => {
                j += staged[j..].partition_point(|s| s.0 < off);
                // (An empty input may be staged at the same offset first.)
                while staged
                    .get(j)
                    .is_some_and(|s| s.0 == off && *s != (off, f, si))
                {
                    j += 1;
                }
                (staged.get(j) == Some(&(off, f, si)) && !w.failed(f)).then_some(j)
            }
            _ => None,
        };
        match (this, last, out.last_mut()) {
            (Some(j), Some(prev), Some(run)) if prev + 1 == j && inputs < STAGED_REGION => {
                run.1 = off + size - run.0;
                inputs += 1;
            }
            (Some(_), _, _) => {
                out.push((off, size, Region::Staged(i, off)));
                inputs = 1;
            }
            (None, _, _) => out.push((off, size, r)),
        }
        last = this;
    }
    out
}

/// At most so many inputs written ahead in one region: a run's deferred
/// relocations (`.text`'s calls to archive members) are work the write
/// shares out by region.
const STAGED_REGION: usize = 128;

/// A regular output section's slice of the output, to be cut into its
/// regions (`DataPart`s) where it is written: the offset in the section
/// where the slice starts, the regions, and the slice.
type SectionSlice<'a> = (u64, Regions, &'a mut [u8]);

/// A section's regions: offset in the section, size, what.
type Regions = Vec<(u64, u64, Region)>;

/// The output's slices: the synthetic sections written with the input
/// sections (`chunks::written_early`) and the regular sections with their
/// regions (input sections and merged strings), in output order (the
/// order their dynamic relocations are made in). The sections' regions
/// are found in parallel; the slices cut from `buf` in file order, checked
/// not to overlap.
fn split_parts<'a>(
    res: &Resolved,
    l: &Layout,
    buf: &'a mut [u8],
) -> Result<(Vec<SynthPart<'a>>, Vec<SectionSlice<'a>>)> {
    // (file offset, size, (regions: none for a synthetic section, index)).
    let mut spans: Vec<(u64, u64, (Option<Regions>, usize))> = l
        .sections
        .par_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_nobits())
        .filter_map(|(i, s)| {
            if s.synth != Synth::Regular {
                return (written_early(s.synth) && s.size > 0).then_some((
                    s.offset,
                    s.size,
                    (None, i),
                ));
            }
            let regions = section_regions(res, l, i);
            let first = regions.first()?.0;
            let end = regions.iter().map(|r| r.0 + r.1).max().unwrap_or(first);
            Some((s.offset + first, end - first, (Some(regions), i)))
        })
        .collect();
    spans.sort_by_key(|sp| sp.0);
    let (mut synth, mut data) = (Vec::new(), Vec::with_capacity(spans.len()));
    let (mut hdr, mut strtab) = (None, None);
    for (out, (regions, i)) in cut(buf, 0, spans, "offset")? {
        match (regions, l.sections[i].synth) {
            // The slice starts at the first region (they are in order).
            (Some(r), _) => data.push((r[0].0, r, out)),
            (None, Synth::EhFrameHdr) => hdr = Some(out),
            (None, Synth::Strtab) => strtab = Some(out),
            (None, which) => synth.push(SynthPart {
                which,
                out,
                partner: None,
            }),
        }
    }
    for p in &mut synth {
        p.partner = match p.which {
            Synth::EhFrame => hdr.take(),
            Synth::Symtab => strtab.take(),
            _ => None,
        };
    }
    Ok((synth, data))
}

/// Writes one regular output section's regions (in parallel, a few at a
/// time); returns each one's dynamic relocations (or error), in order.
/// Cut and written section by section: the parts of every section at
/// once were 100,000s of entries on a big link, all held through the
/// write.
fn write_section(
    res: &Resolved,
    l: &Layout,
    ctx: &DecideCtx,
    (base, regions, out): SectionSlice<'_>,
) -> Vec<Result<Vec<DynRel>, String>> {
    let parts = match cut(out, base, regions, "section offset") {
        Ok(parts) => parts,
        Err(e) => return vec![Err(e.msg)],
    };
    // Small jobs: the heavy parts (debug sections with most of the
    // relocations) sit together, and rayon's adaptive splitting left one
    // thread with them (one thread busy for 45 of the 50 ms of ripgrep's
    // write).
    parts
        .into_par_iter()
        .with_max_len(8)
        .map(|(out, region)| {
            let p = match region {
                Region::Input(f, si) => DataPart::Input(out, f, si),
                Region::Merged(i, base) => DataPart::Merged(out, i, base),
                Region::Staged(i, from) => DataPart::Staged(out, i, from),
            };
            write_part(res, l, ctx, p)
        })
        .collect()
}

/// Cuts `buf`, which starts at offset `start`, into the slices `pieces`
/// give (offset, size, what), in offset order; `offsets` says what the
/// offsets are in the error if two overlap.
fn cut<'a, T>(
    buf: &'a mut [u8],
    start: u64,
    pieces: Vec<(u64, u64, T)>,
    offsets: &str,
) -> Result<Vec<(&'a mut [u8], T)>> {
    let mut slices = Vec::with_capacity(pieces.len());
    let mut rest: &mut [u8] = buf;
    let mut pos = start;
    for (off, size, what) in pieces {
        let Some(gap) = off.checked_sub(pos) else {
            return Err(Error::new(format!(
                "internal error: output pieces overlap at {offsets} {off:#x}"
            )));
        };
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(gap as usize);
        let (slice, tail) = tail.split_at_mut(size as usize);
        rest = tail;
        pos = off + size;
        slices.push((slice, what));
    }
    Ok(slices)
}

/// Writes every part but the dynamic relocations and `.dynamic`; returns
/// the dynamic relocations made at input places, in output order.
fn write_parts(opts: &Options, res: &Resolved, l: &Layout, buf: &mut [u8]) -> Result<Vec<DynRel>> {
    let (synth, data) = split_parts(res, l, buf)?;
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    let (synth_results, input_results) = rayon::join(
        || {
            synth
                .into_par_iter()
                .with_max_len(1)
                .map(|p| chunks::write_early(opts, res, l, p.which, p.out, p.partner))
                .collect::<Vec<Result<()>>>()
        },
        || {
            data.into_par_iter()
                .with_max_len(1)
                .map(|section| write_section(res, l, &ctx, section))
                .collect::<Vec<_>>()
        },
    );
    let mut errors = Vec::new();
    // Sized once: a PIE's relative relocations are 100,000s.
    let count = input_results
        .iter()
        .flatten()
        .map(|r| r.as_ref().map_or(0, |v| v.len()));
    let mut rels = Vec::with_capacity(count.sum());
    for r in input_results.into_iter().flatten() {
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

/// Writes one input section (from what was written ahead, or relocated
/// here) or one section's merged strings.
fn write_part(
    res: &Resolved,
    l: &Layout,
    ctx: &DecideCtx,
    p: DataPart<'_>,
) -> Result<Vec<DynRel>, String> {
    let _t = crate::timing::tally(match p {
        DataPart::Input(..) => "write: input sections",
        DataPart::Staged(..) => "write: runs written ahead",
        DataPart::Merged(..) => "write: merged strings",
    });
    match p {
        DataPart::Input(out, f, si) => relocate_section(res, l, ctx, out, f as usize, si as usize),
        DataPart::Staged(out, i, from) => match &l.written {
            Some(w) => w.write_run(res, l, ctx, (i, from), out),
            None => Err("internal error: no sections written ahead".into()),
        },
        DataPart::Merged(out, i, base) => {
            for (bytes, off) in &l.sections[i].merged {
                let o = (off - base) as usize;
                out[o..o + bytes.len()].copy_from_slice(bytes);
            }
            Ok(Vec::new())
        }
    }
}

/// Copies input section `si` of object `f` into `out` (its place in the
/// output) and relocates it; returns the dynamic relocations it makes.
pub(crate) fn relocate_section(
    res: &Resolved,
    l: &Layout,
    ctx: &DecideCtx,
    out: &mut [u8],
    f: usize,
    si: usize,
) -> Result<Vec<DynRel>, String> {
    let c = SecCtx::new(res, l, ctx, f, si);
    let o = c.o;
    let isec = c.isec;
    out.copy_from_slice(c.input);
    let mut dynrels = Vec::new();
    let mut skip = false;
    for r in o.relocs_of(isec) {
        if skip {
            skip = false;
            continue;
        }
        skip = c.relocate(out, r, &mut dynrels)?;
    }
    // Debug sections' relocations are read straight from the input here:
    // nearly all are absolute (`NonAlloc`), the rest as above. (Only
    // theirs: an allocated section has none to look up.)
    let raw = if c.alloc { &[][..] } else { o.raw_relocs(si) };
    if !raw.is_empty() {
        let abs = NonAlloc::new(res, l, f, c.is_debug_list);
        for r in raw {
            let r = c.raw(r)?;
            if skip {
                skip = false;
                continue;
            }
            match Native::non_alloc_abs_width(r.rtype()).filter(|_| !c.alloc) {
                Some(n) => c.put(out, r.offset(), n, abs.value(r.sym(), r.addend()))?,
                None => skip = c.relocate(out, &r, &mut dynrels)?,
            }
        }
    }
    let (osec, _) = l.placement[f][si];
    if reversed_ctors(&l.sections[osec as usize].name, isec) && out.len().is_multiple_of(8) {
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
        let sec_addr = c.sec_addr;
        for r in &mut dynrels {
            r.offset = sec_addr + (n - 8 - (r.offset - sec_addr));
        }
    }
    Ok(dynrels)
}

/// What relocating one input section reads: the section, its input
/// bytes, its address.
pub(crate) struct SecCtx<'a> {
    res: &'a Resolved,
    l: &'a Layout,
    ctx: &'a DecideCtx,
    o: &'a crate::object_file::ObjectFile,
    f: usize,
    isec: &'a crate::object_file::InputSection,
    input: &'static [u8],
    sec_addr: u64,
    alloc: bool,
    writable: bool,
    is_debug_list: bool,
}

impl<'a> SecCtx<'a> {
    pub(crate) fn new(
        res: &'a Resolved,
        l: &'a Layout,
        ctx: &'a DecideCtx,
        f: usize,
        si: usize,
    ) -> Self {
        let o = &res.objects[f];
        let isec = &o.sections[si];
        let (osec, off) = l.placement[f][si];
        SecCtx {
            res,
            l,
            ctx,
            o,
            f,
            isec,
            input: o.section_data(si),
            sec_addr: l.sections[osec as usize].addr + off,
            alloc: isec.is_alloc(),
            writable: isec.flags & elf::SHF_WRITE != 0,
            // (The name is in the input: a cache miss, for non-allocated
            // sections only.)
            is_debug_list: !isec.is_alloc() && is_debug_list(isec.name.get()),
        }
    }

    /// Where a relocation is, for messages.
    fn place(&self, at: u64) -> String {
        format!(
            "{}:({}+{:#x})",
            self.o.name,
            String::from_utf8_lossy(self.isec.name.get()),
            at
        )
    }

    /// The low `n` bytes of `v` at `at`, bounds-checked: an input may put
    /// the place at the very end. Always inlined, as `raw`: per debug
    /// relocation, where a call costs more than the work (callgrind).
    #[inline(always)]
    fn put(&self, out: &mut [u8], at: u64, n: usize, v: u64) -> Result<(), String> {
        let Some(d) = out.get_mut(at as usize..).and_then(|d| d.get_mut(..n)) else {
            return Err(format!(
                "{}: relocation is past the end of its section",
                self.place(at)
            ));
        };
        store_le(d, v);
        Ok(())
    }

    /// A raw relocation record (a non-allocated section's), checked.
    #[inline(always)]
    pub(crate) fn raw(&self, r: &Reloc) -> Result<Reloc, String> {
        let rel = *r;
        if !self.o.raw_reloc_in_range(self.isec, &rel) {
            Err(format!(
                "{}: relocation refers to symbol {} or offset out of range",
                self.place(rel.offset()),
                rel.sym()
            ))
        } else {
            Ok(rel)
        }
    }

    /// Applies relocation `r` to `out` (the section's bytes in the output)
    /// and adds the dynamic relocation it makes, if any, to `dynrels`.
    /// Returns whether the next relocation is part of this one (skipped).
    pub(crate) fn relocate(
        &self,
        out: &mut [u8],
        r: &Reloc,
        dynrels: &mut Vec<DynRel>,
    ) -> Result<bool, String> {
        let (res, l, f, o) = (self.res, self.l, self.f, self.o);
        let alloc = self.alloc;
        if !alloc {
            if let Some(n) = Native::non_alloc_abs_width(r.rtype()) {
                let v = non_alloc_abs(res, l, f, r.sym(), r.addend(), self.is_debug_list);
                self.put(out, r.offset(), n, v)?;
                return Ok(false);
            }
        }
        let id = res.global_of(f, r.sym());
        let t = match id {
            Some(id) => l.global_props[id as usize],
            None => target_props(res, l.kind, f, r.sym()),
        };
        if alloc && self.direct(out, r, id, t, dynrels) {
            return Ok(false);
        }
        let (action, needs) = Native::decide(
            self.ctx,
            r.rtype(),
            t,
            alloc,
            self.writable,
            self.input,
            r.offset(),
        )
        .map_err(|m| format!("{}: {m}", self.place(r.offset())))?;
        let (v, a) = reloc_values(
            res,
            l,
            f,
            r.sym(),
            r.addend(),
            action.reads_got_slots(),
            action.reads_size(),
        );
        if !alloc && target_is_dead(res, l, f, r.sym()) {
            // Tombstone for references to discarded code in debug info.
            let tomb: u64 = if self.is_debug_list { 1 } else { 0 };
            self.put(out, r.offset(), action.tombstone_width(), tomb)?;
            return Ok(needs.skip_next);
        }
        Native::apply(action, out, r.offset(), self.sec_addr, a, &v, alloc).map_err(|m| {
            let place = self.place(r.offset());
            let sym = layout::sym_display(o, r.sym());
            if m.starts_with("out of range") {
                // As lld and mold say it: the type, the target, the range.
                let target = sym.strip_prefix("symbol ").unwrap_or(&sym);
                format!(
                    "{place}: relocation {} against {target} {m}",
                    Native::rel_name(r.rtype())
                )
            } else {
                format!("{place}: {m} against {sym}")
            }
        })?;
        if action.is_dynamic_abs() {
            let place = self.sec_addr + r.offset();
            if t.imported {
                let id = id.expect("an imported target is a global symbol");
                dynrels.push(DynRel {
                    offset: place,
                    rtype: Native::R_ABS,
                    dynsym: l.sym_info[id as usize].dynsym,
                    addend: a,
                });
            } else {
                dynrels.push(DynRel {
                    offset: place,
                    rtype: Native::R_RELATIVE,
                    dynsym: 0,
                    addend: (v.s as i64).wrapping_add(a),
                });
            }
        }
        Ok(needs.skip_next)
    }

    /// The commonest relocations of an allocated section against a target
    /// neither imported nor an IFUNC (`Arch::direct_abs64`,
    /// `Arch::direct_pc32`), written as `decide` and `apply` would, without
    /// their tables; false where they are not such, or out of range (the
    /// general path then says so).
    #[inline]
    fn direct(
        &self,
        out: &mut [u8],
        r: &Reloc,
        id: Option<SymbolId>,
        t: crate::arch::TargetProps,
        dynrels: &mut Vec<DynRel>,
    ) -> bool {
        let l = self.l;
        let place = self.sec_addr.wrapping_add(r.offset());
        let abs64 = Native::direct_abs64(r.rtype());
        let (s, a) = match id {
            // Through a GOT slot, imported or not.
            Some(id) if Native::direct_got_pc32(r.rtype()) => {
                let i = &l.sym_info[id as usize];
                if t.ifunc || i.got == NONE {
                    return false;
                }
                return put_pc32(out, r.offset(), place, l.got_slot_addr(i.got), r.addend());
            }
            _ if !abs64 && !Native::direct_pc32(r.rtype()) => return false,
            Some(id) => {
                match direct_global_target(l, Native::direct_plt32(r.rtype()), !abs64, id, t) {
                    Some(s) => (s, r.addend()),
                    None => return false,
                }
            }
            None if t.at_own_address() => local_sym_addr(self.res, l, self.f, r.sym(), r.addend()),
            None => return false,
        };
        let at = r.offset() as usize;
        if abs64 {
            let Some(d) = out.get_mut(at..).and_then(|d| d.get_mut(..8)) else {
                return false;
            };
            let v = s.wrapping_add(a as u64);
            store_le(d, v);
            if self.ctx.pic && !t.absolute {
                dynrels.push(DynRel {
                    offset: place,
                    rtype: Native::R_RELATIVE,
                    dynsym: 0,
                    addend: v as i64,
                });
            }
            return true;
        }
        put_pc32(out, r.offset(), place, s, a)
    }
}

/// The target address of a relocation on the writer's short path
/// (`Arch::direct_abs64`, `Arch::direct_pc32`) against global symbol `id`
/// (whose properties are `t`): its PLT entry for a call (`direct_plt32`)
/// where it has one, else its own address where it is neither imported
/// nor an IFUNC (and, PC-relative (`pc`), has no PLT entry: a canonical
/// one is the general path's). `None` where the general path decides. The
/// values written ahead against a symbol (`layout::written`) are made
/// with it at the wait, as here.
#[inline(always)]
pub(crate) fn direct_global_target(
    l: &Layout,
    call: bool,
    pc: bool,
    id: SymbolId,
    t: crate::arch::TargetProps,
) -> Option<u64> {
    let i = &l.sym_info[id as usize];
    if call && i.plt != NONE {
        return Some(l.plt_entry_addr(i.plt));
    }
    (t.at_own_address() && !(pc && i.plt != NONE)).then(|| l.sym_values[id as usize])
}

/// `(S, A)` of relocation `r` of object `f` (`id`: its global, if any) on a
/// short path: the symbol's own address. `None` for a PC-relative one
/// (`pc`) to a symbol with a PLT entry, which is what a call reaches.
#[inline(always)]
pub(crate) fn direct_target(
    res: &Resolved,
    l: &Layout,
    f: usize,
    r: &Reloc,
    id: Option<SymbolId>,
    pc: bool,
) -> Option<(u64, i64)> {
    match id {
        Some(id) if pc && l.sym_info[id as usize].plt != NONE => None,
        Some(id) => Some((l.sym_values[id as usize], r.addend())),
        None => Some(local_sym_addr(res, l, f, r.sym(), r.addend())),
    }
}

/// `S + A - P` (`place`) into the four signed bytes at `at` in `out`;
/// false if it does not fit (left to the general path, which reports it).
#[inline(always)]
pub(crate) fn put_pc32(out: &mut [u8], at: u64, place: u64, s: u64, a: i64) -> bool {
    let v = s as i128 + a as i128 - place as i128;
    match (
        i32::try_from(v),
        out.get_mut(at as usize..).and_then(|d| d.get_mut(..4)),
    ) {
        (Ok(v), Some(d)) => {
            store_le(d, v as u32 as u64);
            true
        }
        _ => false,
    }
}

/// Whether input section `isec` is an old-style constructor or destructor
/// list placed in `.init_array`/`.fini_array` (`out`), whose words are
/// written in reverse.
fn reversed_ctors(out: &[u8], isec: &crate::object_file::InputSection) -> bool {
    // The output's name first: the input's is in its file, a cache miss
    // per section.
    matches!(out, b".init_array" | b".fini_array") && {
        let name = isec.name.get();
        name.starts_with(b".ctors") || name.starts_with(b".dtors")
    }
}

/// The low `d.len()` (at most 8) bytes of `v` into `d`, little-endian.
/// Fixed widths are single stores: a copy of a run-time length is a call
/// to memcpy, per relocation.
#[inline]
pub(crate) fn store_le(d: &mut [u8], v: u64) {
    match d {
        [_, _, _, _, _, _, _, _] => d.copy_from_slice(&v.to_le_bytes()),
        [_, _, _, _] => d.copy_from_slice(&(v as u32).to_le_bytes()),
        _ => d.copy_from_slice(&v.to_le_bytes()[..d.len()]),
    }
}

/// The `d.len()` (at most 8) bytes of `d` as a little-endian number.
#[inline]
pub(crate) fn load_le(d: &[u8]) -> u64 {
    match d {
        [_, _, _, _, _, _, _, _] => u64::from_le_bytes(d.try_into().unwrap()),
        [_, _, _, _] => u32::from_le_bytes(d.try_into().unwrap()) as u64,
        _ => {
            let mut v = [0u8; 8];
            v[..d.len()].copy_from_slice(d);
            u64::from_le_bytes(v)
        }
    }
}

/// Whether non-allocated section `name` is a list of address ranges,
/// where 0 ends a list: its tombstone for a discarded target is 1.
pub(crate) fn is_debug_list(name: &[u8]) -> bool {
    matches!(name, b".debug_loc" | b".debug_ranges")
}

/// What an absolute relocation of a non-allocated section against symbol
/// `sym` of file `f` writes: as the general path does for these, S + A,
/// or the tombstone for a target in a discarded section (`list`: the
/// section is a list of ranges, see `is_debug_list`). A section's worth of
/// them: `NonAlloc`.
pub(crate) fn non_alloc_abs(
    res: &Resolved,
    l: &Layout,
    f: usize,
    sym: u32,
    addend: i64,
    list: bool,
) -> u64 {
    NonAlloc::new(res, l, f, list).value(sym, addend)
}

/// The values of the absolute relocations of one file's non-allocated
/// sections (`non_alloc_abs`), with what they read looked up once per
/// section: a debug section has millions of them, and most of those
/// against a local symbol point into a merged-string section
/// (`.debug_str`), whose value is a piece's place.
pub(crate) struct NonAlloc<'a> {
    res: &'a Resolved,
    l: &'a Layout,
    f: usize,
    o: &'a crate::object_file::ObjectFile,
    /// Per section of the file: its address, or `SEC_DEAD`/`SEC_SPECIAL`.
    addrs: Option<&'a [u64]>,
    /// Whether a local symbol may be a global too (`Resolved::global_of`).
    promoted: bool,
    list: bool,
    /// The merge sections the last references into one went to (nearly
    /// always `.debug_str`, and `.debug_line_str`, which `.debug_info`
    /// refers to in turn), looked up once rather than per relocation; the
    /// latest first.
    merged: std::cell::Cell<[Option<MergedSec<'a>>; 2]>,
}

/// A merge section of the file, live: its pieces, their offsets in its
/// output section, and that section's address.
#[derive(Clone, Copy)]
struct MergedSec<'a> {
    sh: usize,
    index: crate::object_file::PieceIndex<'a>,
    out: &'a [u64],
    addr: u64,
}

impl MergedSec<'_> {
    /// `symbols::merged_addr`'s value (with the addend's rest added).
    #[inline(always)]
    fn value(&self, s: &crate::object_file::InputSymbol, addend: i64) -> u64 {
        match layout::symbols::merge_ref_in(&self.index, s, addend) {
            Some((i, within, rest)) => self
                .addr
                .wrapping_add(self.out[i])
                .wrapping_add(within)
                .wrapping_add(rest as u64),
            None => self.addr.wrapping_add(addend as u64),
        }
    }
}

impl<'a> NonAlloc<'a> {
    pub(crate) fn new(res: &'a Resolved, l: &'a Layout, f: usize, list: bool) -> Self {
        NonAlloc {
            res,
            l,
            f,
            o: &res.objects[f],
            addrs: l.sec_addrs.get(f).map(|a| a.as_slice()),
            promoted: !res.promoted.is_empty(),
            list,
            merged: std::cell::Cell::new([None; 2]),
        }
    }

    /// S + A against symbol `sym`, or the tombstone if its section was
    /// discarded: what the general path's `target_is_dead` and
    /// `reloc_values` give for it. Inline: a local symbol in a section
    /// (most of them); `other`: the rest. Always inlined: called per
    /// relocation, a call is a fifth of its cost (callgrind).
    #[inline(always)]
    pub(crate) fn value(&self, sym: u32, addend: i64) -> u64 {
        let (f, o) = (self.f, self.o);
        if sym >= o.first_global || (self.promoted && self.res.global_of(f, sym).is_some()) {
            return self.other(sym, addend);
        }
        let s = &o.symbols[sym as usize];
        let sh = s.shndx as usize;
        let plain = sh != 0
            && sh < o.sections.len()
            && s.shndx != elf::SHN_ABS as u32
            && s.shndx != elf::SHN_COMMON as u32;
        if !plain {
            return self.other(sym, addend);
        }
        // Nearly every section: its address from one table.
        match self.addrs.map_or(SEC_SPECIAL, |a| a[sh]) {
            SEC_DEAD => u64::from(self.list),
            SEC_SPECIAL => match self.merged.get() {
                [Some(m), _] | [_, Some(m)] if m.sh == sh => m.value(s, addend),
                _ => self.special(sym, sh, addend),
            },
            a => a.wrapping_add(s.value).wrapping_add(addend as u64),
        }
    }

    /// `value` for a local symbol in a section outside the sections'
    /// table: dropped, merged strings (which it notes for the next
    /// reference), or another special one.
    #[inline(never)]
    fn special(&self, sym: u32, sh: usize, addend: i64) -> u64 {
        let (l, f, o) = (self.l, self.f, self.o);
        let (osec, _) = l.placement[f][sh];
        if osec == NONE {
            return u64::from(self.list);
        }
        if o.sections[sh].kind != crate::object_file::SectionKind::MergeStrings {
            return self.other(sym, addend);
        }
        let s = &o.symbols[sym as usize];
        let base = l.sections[osec as usize].addr;
        let out = l.piece_out.get(f).and_then(|p| p.get(o.piece_range(sh)));
        if let Some(out) = out {
            let m = MergedSec {
                sh,
                index: o.piece_index(sh),
                out,
                addr: base,
            };
            let [latest, _] = self.merged.get();
            self.merged.set([Some(m), latest]);
            return m.value(s, addend);
        }
        let (v, a) = layout::symbols::merged_addr(l, f, o, sh, s, addend, base);
        v.wrapping_add(a as u64)
    }

    /// `value` for a global symbol (or a promoted local), and a local one
    /// outside the sections' table (absolute, common, special sections,
    /// whose dropped ones `value` saw to).
    #[inline(never)]
    fn other(&self, sym: u32, addend: i64) -> u64 {
        let (res, l, f) = (self.res, self.l, self.f);
        if let Some(id) = res.global_of(f, sym) {
            if let SymDef::Object { file, sym } = res.symbols[id as usize].def {
                if section_discarded(res, l, file as usize, sym) {
                    return u64::from(self.list);
                }
            }
            return l.sym_values[id as usize].wrapping_add(addend as u64);
        }
        let (v, a) = local_sym_addr(res, l, f, sym, addend);
        v.wrapping_add(a as u64)
    }
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
    match l.sec_addrs.get(file).map_or(SEC_SPECIAL, |a| a[sh]) {
        SEC_DEAD => true,
        SEC_SPECIAL => l.placement[file][sh].0 == NONE,
        _ => false,
    }
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

fn write_section_headers(buf: &mut [u8], l: &Layout) {
    let base = l.shoff as usize;
    buf[base..base + 64].fill(0);
    let names = chunks::symtab::shstrtab_offsets(&l.sections);
    for s in &l.sections {
        let o = base + 64 * s.shndx as usize;
        let (link, info) = chunks::link_info(l, s);
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

fn uses_gnu_abi(res: &Resolved) -> bool {
    res.objects.iter().any(|o| o.gnu_abi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Consecutive inputs written ahead become one region with the gaps
    /// between them; an input of a failed file, one not written ahead, one
    /// found elsewhere than its run has it, and merged strings break it.
    #[test]
    fn staged_inputs_are_taken_in_runs() {
        let input = |off, size, f| (off, size, Region::Input(f, 1));
        let regions = vec![
            input(0, 10, 0),
            input(10, 10, 1),
            input(24, 6, 2),  // after a gap
            input(30, 10, 3), // its file failed
            input(40, 5, 4),  // not written ahead
            input(45, 5, 5),
            input(50, 10, 7), // written ahead, but the run's 6 is not here
            input(60, 4, 8),
            (64, 6, Region::Merged(0, 64)),
        ];
        let staged = vec![
            (0, 0, 1),
            (10, 1, 1),
            (24, 2, 1),
            (30, 3, 1),
            (45, 5, 1),
            (47, 6, 1),
            (50, 7, 1),
            (60, 8, 1),
        ];
        let mut failed = vec![false; 9];
        failed[3] = true;
        let w = layout::WriteAhead::with_staged(vec![staged], failed);
        let got: Vec<String> = staged_regions(&w, 0, regions)
            .iter()
            .map(|(off, size, r)| match r {
                Region::Input(f, _) => format!("{off}+{size} f{f}"),
                Region::Staged(_, from) => format!("{off}+{size} run@{from}"),
                Region::Merged(..) => format!("{off}+{size} merged"),
            })
            .collect();
        assert_eq!(
            got,
            [
                "0+30 run@0",
                "30+10 f3",
                "40+5 f4",
                "45+5 run@45",
                "50+14 run@50",
                "64+6 merged"
            ]
        );
    }

    #[test]
    fn an_empty_input_staged_at_the_same_offset_does_not_hide_the_next() {
        // File 1's section is empty (no region), at file 2's offset.
        let regions = vec![(0, 8, Region::Input(0, 1)), (8, 8, Region::Input(2, 1))];
        let staged = vec![(0, 0, 1), (8, 1, 1), (8, 2, 1)];
        let w = layout::WriteAhead::with_staged(vec![staged], vec![false; 3]);
        let got: Vec<(u64, u64, bool)> = staged_regions(&w, 0, regions)
            .iter()
            .map(|&(off, size, r)| (off, size, matches!(r, Region::Staged(..))))
            .collect();
        assert_eq!(got, [(0, 8, true), (8, 8, true)]);
    }

    #[test]
    fn long_runs_are_cut_into_regions_of_staged_region_inputs() {
        let n = 2 * STAGED_REGION + 3;
        let regions = (0..n as u64)
            .map(|i| (4 * i, 4, Region::Input(i as u32, 1)))
            .collect();
        let staged = (0..n as u64).map(|i| (4 * i, i as u32, 1)).collect();
        let w = layout::WriteAhead::with_staged(vec![staged], vec![false; n]);
        let got: Vec<(u64, u64)> = staged_regions(&w, 0, regions)
            .iter()
            .map(|&(off, size, r)| {
                assert!(matches!(r, Region::Staged(0, from) if from == off));
                (off, size)
            })
            .collect();
        let k = STAGED_REGION as u64;
        assert_eq!(got, [(0, 4 * k), (4 * k, 4 * k), (8 * k, 12)]);
    }
}
