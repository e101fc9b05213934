//! Pass: symbol values. Every global symbol's final value (input sections,
//! merged strings, `.eh_frame`, commons, copies, canonical PLT entries,
//! the linker-defined symbols, `--defsym`, then a linker script's
//! assignments), and the entry point. `local_sym_addr` is the one place a
//! file-local symbol's address is computed (the writer uses it too).

use super::bss::Homes;
use super::got::GotTarget;
use super::output_sections::is_c_ident;
use super::{leak, Layout, LinkInput, Synth, NONE};
use crate::error::{Error, Result};
use crate::object_file::{InputSymbol, ObjectFile, PieceIndex, SectionKind};
use crate::options::OutputKind;
use crate::resolve::{NameMap, Resolved, SymDef};
use object::elf;

/// The address a GOT entry's target resolves to here.
pub fn got_target_value(res: &Resolved, l: &Layout, t: GotTarget) -> u64 {
    match t {
        GotTarget::Global(id) => l.sym_values[id as usize],
        GotTarget::Local(f, s) => {
            let (v, a) = local_sym_addr(res, l, f as usize, s, 0);
            (v as i64).wrapping_add(a) as u64
        }
    }
}

/// In `Layout::sec_addrs`: a section that is not placed.
pub const SEC_DEAD: u64 = u64::MAX;
/// In `Layout::sec_addrs`: a section whose symbols' addresses are found
/// piece by piece (`.eh_frame`, merged strings).
pub const SEC_SPECIAL: u64 = u64::MAX - 1;

impl Layout {
    /// Fills `sec_addrs` from the placement and the output sections'
    /// addresses, per file in parallel.
    pub(crate) fn index_section_addrs(&mut self, res: &Resolved) {
        use rayon::prelude::*;
        let _t = crate::timing::span("order: input sections' addresses");
        let (placement, sections) = (&self.placement, &self.sections);
        self.sec_addrs = res
            .objects
            .par_iter()
            .zip(placement)
            .map(|(o, placed)| {
                o.sections
                    .iter()
                    .zip(placed)
                    .map(|(s, &(osec, off))| {
                        if matches!(s.kind, SectionKind::EhFrame | SectionKind::MergeStrings) {
                            SEC_SPECIAL
                        } else if osec == NONE {
                            SEC_DEAD
                        } else {
                            sections[osec as usize].addr.wrapping_add(off)
                        }
                    })
                    .collect()
            })
            .collect();
    }
}

/// The address of file-local symbol `sym` of object `f` (through merged pieces).
pub fn local_sym_addr(
    res: &Resolved,
    layout: &Layout,
    f: usize,
    sym: u32,
    addend: i64,
) -> (u64, i64) {
    let o = &res.objects[f];
    let s: &InputSymbol = &o.symbols[sym as usize];
    if s.shndx == elf::SHN_ABS as u32 {
        return (s.value, addend);
    }
    let sh = s.shndx as usize;
    if sh == 0 || sh >= o.sections.len() {
        return (0, addend);
    }
    // Nearly every section: its address from one table.
    match layout.sec_addrs.get(f).map_or(SEC_SPECIAL, |a| a[sh]) {
        SEC_DEAD => return (0, addend),
        SEC_SPECIAL => {}
        // Wrapping: a broken input's symbol value must not panic here; the
        // relocation that uses it reports the overflow.
        a => return (a.wrapping_add(s.value), addend),
    }
    let isec = &o.sections[sh];
    if isec.kind == SectionKind::EhFrame {
        // Symbols in .eh_frame (crtbeginT's __EH_FRAME_BEGIN__) point into
        // the output .eh_frame: at their record, or where this file's start.
        let Some(&start) = layout.eh_starts.get(&(f as u32, sh as u32)) else {
            return (0, addend);
        };
        let base = layout.sec_addr(Synth::EhFrame);
        let placed = layout
            .eh
            .iter()
            .filter(|p| p.file as usize == f)
            .find_map(|p| {
                let (esec, recs) = &o.eh_frames[p.frame as usize];
                let r = &recs[p.record as usize];
                (*esec as usize == sh
                    && s.value >= r.offset as u64
                    && s.value < (r.offset + r.size) as u64)
                    .then(|| p.out_off + s.value - r.offset as u64)
            });
        return (base + placed.unwrap_or(start), addend);
    }
    let (osec, off) = layout.placement[f][sh];
    if osec == NONE {
        return (0, addend);
    }
    let sec_addr = layout.sections[osec as usize].addr;
    if isec.kind == SectionKind::MergeStrings {
        return merged_addr(layout, f, o, sh, s, addend, sec_addr);
    }
    // Wrapping: a broken input's symbol value must not panic here; the
    // relocation that uses it reports the overflow.
    (sec_addr.wrapping_add(off).wrapping_add(s.value), addend)
}

/// Where symbol `s` (plus `addend`) of merged-string section `sh` of file
/// `f` (object `o`) lands, the output section being at `sec_addr`: the
/// address of its piece and what of the addend is left. Always inlined:
/// the debug sections' writer calls it per relocation.
#[inline(always)]
pub(crate) fn merged_addr(
    layout: &Layout,
    f: usize,
    o: &ObjectFile,
    sh: usize,
    s: &InputSymbol,
    addend: i64,
    sec_addr: u64,
) -> (u64, i64) {
    match merge_ref(o, sh, s, addend) {
        Some((i, within, rest)) => (
            sec_addr
                .wrapping_add(layout.piece_out[f][i])
                .wrapping_add(within),
            rest,
        ),
        None => (sec_addr, addend),
    }
}

/// Where a reference through symbol `s` (with `addend`) into merged-string
/// section `sh` of `o` lands: the piece (index in `o.pieces`), the offset
/// within it, and what is left of the addend; `None` if no piece holds
/// it. Section symbols reference by addend, named symbols by value.
/// Always inlined, as `merged_addr`.
#[inline(always)]
pub(crate) fn merge_ref(
    o: &ObjectFile,
    sh: usize,
    s: &InputSymbol,
    addend: i64,
) -> Option<(usize, u64, i64)> {
    let (i, within, rest) = merge_ref_in(&o.piece_index(sh), s, addend)?;
    Some((o.piece_range(sh).start + i, within, rest))
}

/// `merge_ref` in the section whose pieces `index` holds: the piece's index
/// among them.
#[inline(always)]
pub(crate) fn merge_ref_in(
    index: &PieceIndex,
    s: &InputSymbol,
    addend: i64,
) -> Option<(usize, u64, i64)> {
    let (target, rest) = if s.typ == elf::STT_SECTION {
        ((s.value as i64).wrapping_add(addend), 0)
    } else {
        (s.value as i64, addend)
    };
    let t = target.max(0) as u32;
    let i = index.at(t)?;
    Some((i, t.saturating_sub(index.pieces[i].offset) as u64, rest))
}

pub(crate) fn symbol_values(
    inp: &LinkInput,
    layout: &Layout,
    common_off: &Homes,
    copy_off: &Homes,
) -> Result<Vec<u64>> {
    let res = inp.res;
    let home = |h: &(u32, u64)| layout.sections[h.0 as usize].addr + h.1;
    let names: NameMap<u32> = layout
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_alloc())
        .map(|(i, s)| (leak(&s.name), i as u32))
        .collect();
    let sec_by = |n: &[u8]| names.get(n).map(|&i| &layout.sections[i as usize]);
    let first_alloc_after = |rank: u32| {
        layout
            .sections
            .iter()
            .find(|s| s.is_alloc() && s.rank >= rank)
            .map(|s| s.addr)
    };
    let text_end = layout
        .segments
        .iter()
        .filter(|s| s.p_type == elf::PT_LOAD && s.flags & elf::PF_X != 0)
        .map(|s| s.vaddr + s.memsz)
        .max()
        .unwrap_or(0);
    let rw = layout.segments.iter().rfind(|s| s.p_type == elf::PT_LOAD);
    let (edata, end) = rw
        .map(|s| (s.vaddr + s.filesz, s.vaddr + s.memsz))
        .unwrap_or((0, 0));
    let base = layout
        .segments
        .iter()
        .find(|s| s.p_type == elf::PT_LOAD)
        .map(|s| s.vaddr)
        .unwrap_or(0);
    let rela_iplt = layout
        .sec(Synth::RelaPlt)
        .filter(|_| !layout.kind.is_dynamic());
    let start_stop = inp.opts.start_stop;
    let value = |id: usize, s: &crate::resolve::Symbol| -> u64 {
        let info = &layout.sym_info[id];
        let v = match s.def {
            SymDef::Object { file, sym } => {
                let os = &res.objects[file as usize].symbols[sym as usize];
                if os.typ == elf::STT_GNU_IFUNC && info.plt != NONE && !s.preemptible {
                    layout.plt_entry_addr(info.plt)
                } else {
                    local_sym_addr(res, layout, file as usize, sym, 0).0
                }
            }
            SymDef::Common { .. } => home(&common_off[&(id as u32)]),
            SymDef::Shared { .. } => {
                if let Some(h) = copy_off.get(&(id as u32)) {
                    home(h)
                } else if info.canonical_plt && info.plt != NONE {
                    layout.plt_entry_addr(info.plt)
                } else {
                    0
                }
            }
            SymDef::Undefined | SymDef::Synthetic => {
                // Linker-defined symbols nobody else defined, or weak undefined (0).
                let n = s.name.get();
                let v: Option<u64> = match n {
                    b"__ehdr_start" | b"__executable_start" => Some(base),
                    b"_GLOBAL_OFFSET_TABLE_" => Some(layout.sec_addr(Synth::GotPlt)),
                    b"_DYNAMIC" => layout.sec(Synth::Dynamic).map(|s| s.addr),
                    // Copies and commons are zero-initialised data too.
                    b"__bss_start" => Some(
                        [&b".copyrel"[..], b".bss", b".common"]
                            .iter()
                            .filter_map(|&n| sec_by(n).map(|s| s.addr))
                            .min()
                            .unwrap_or(edata),
                    ),
                    b"_edata" | b"edata" => Some(edata),
                    b"_end" | b"end" => Some(end),
                    b"_etext" | b"etext" | b"__etext" => Some(text_end),
                    b"__rela_iplt_start" => Some(rela_iplt.map(|s| s.addr).unwrap_or(0)),
                    b"__rela_iplt_end" => Some(rela_iplt.map(|s| s.addr + s.size).unwrap_or(0)),
                    b"__init_array_start"
                    | b"__init_array_end"
                    | b"__fini_array_start"
                    | b"__fini_array_end"
                    | b"__preinit_array_start"
                    | b"__preinit_array_end" => {
                        let sname: &[u8] = if n.starts_with(b"__init") {
                            b".init_array"
                        } else if n.starts_with(b"__fini") {
                            b".fini_array"
                        } else {
                            b".preinit_array"
                        };
                        match sec_by(sname) {
                            Some(sec) => Some(if n.ends_with(b"_start") {
                                sec.addr
                            } else {
                                sec.addr + sec.size
                            }),
                            None => Some(first_alloc_after(400).unwrap_or(0)),
                        }
                    }
                    // Relaxed to LE, `x@dtpoff` is resolved TP-relative (see
                    // x86-64's Action::Dtpoff), so the module base is the TP.
                    b"_TLS_MODULE_BASE_" => Some(if layout.kind.is_executable() {
                        layout.tp
                    } else {
                        layout.tls_start
                    }),
                    _ => {
                        // `--start-stop`: `__start_text` is `.text`'s.
                        let dotted = |sec: &[u8]| {
                            sec_by(sec).filter(|_| is_c_ident(sec)).or_else(|| {
                                let d = [&b"."[..], sec].concat();
                                sec_by(&d).filter(|_| start_stop)
                            })
                        };
                        if let Some(sec) = n.strip_prefix(b"__start_") {
                            dotted(sec).map(|s| s.addr)
                        } else if let Some(sec) = n.strip_prefix(b"__stop_") {
                            dotted(sec).map(|s| s.addr + s.size)
                        } else {
                            None
                        }
                    }
                };
                v.unwrap_or(0)
            }
        };
        v
    };
    // Per symbol, independent: in parallel.
    use rayon::prelude::*;
    let mut out = vec![0u64; res.symbols.len()];
    out.par_iter_mut()
        .zip(res.symbols.par_iter())
        .enumerate()
        .with_min_len(1024)
        .for_each(|(id, (v, s))| *v = value(id, s));
    // --defsym values, once their targets have theirs (a chain of
    // --defsym aliases resolves in command-line order).
    for (name, _) in &inp.opts.defsym {
        let Some(id) = res.lookup(name.as_bytes()) else {
            continue;
        };
        out[id as usize] = match res.defsym(id) {
            Some(crate::resolve::Defsym::Abs(v)) => v,
            Some(crate::resolve::Defsym::Rel(t, off)) => out[t as usize].wrapping_add(off as u64),
            Some(crate::resolve::Defsym::Script { .. }) | None => continue,
        };
    }
    // Linker-script assignments, in script order, once every other symbol
    // has its value.
    inp.scripts
        .values(res, layout, inp.opts.max_page_size, &mut out)?;
    Ok(out)
}

/// The entry point: `-e`'s symbol, else `_start` (a shared library has
/// none unless `-e` asks); GNU ld's warning and the start of `.text` if
/// `_start` is not defined.
pub(crate) fn entry_point(inp: &LinkInput, layout: &Layout) -> Result<u64> {
    let opts = inp.opts;
    let res = inp.res;
    let kind = opts.output_kind;
    let entry_name = opts.entry.clone().unwrap_or_else(|| "_start".into());
    let entry = match res.lookup(entry_name.as_bytes()) {
        // A shared object has no entry point unless one is asked for.
        _ if kind == OutputKind::Shared && opts.entry.is_none() => 0,
        Some(id) if res.symbols[id as usize].def != SymDef::Undefined => {
            layout.sym_values[id as usize]
        }
        _ => {
            if opts.entry.is_some() {
                return Err(Error::new(format!(
                    "entry symbol {entry_name} is not defined"
                )));
            }
            // GNU ld warns and uses the start of .text.
            crate::error::warn(format!(
                "cannot find entry symbol {entry_name}; defaulting to start of .text"
            ));
            layout
                .sections
                .iter()
                .find(|s| s.name == b".text")
                .map(|s| s.addr)
                .unwrap_or(0)
        }
    };
    Ok(entry)
}
