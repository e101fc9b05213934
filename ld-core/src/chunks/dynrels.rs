//! Dynamic relocations decided at layout: how many `.rela.dyn` holds
//! (counted before addresses, to size it) and, once symbol values are
//! known, the GOT's, the PLT's and the copies' relocations
//! (`plan_dynrels`). Those at input-section places the writer makes.
//! `.rela.dyn` and `.rela.plt` (a static executable's `.rela.iplt`) are
//! added here with their sizes and written here (`.relr.dyn` by `relr`).

use super::{sec_slice, section, Added, A};
use crate::arch::{Arch, Native};
use crate::error::{Error, Result};
use crate::layout::got::{got_fill, GotCtx, GotEntry, GotPlt, GotTarget};
use crate::layout::scan::ScanResult;
use crate::layout::symbols::{got_target_value, local_sym_addr};
use crate::layout::{self, DynRel, Layout, LinkInput, SymInfo, Synth};
use crate::options::Options;
use crate::resolve::{SymDef, SymbolId};
use crate::write::w64;
use object::elf;
use rayon::prelude::*;

/// GOT, PLT and copy dynamic relocations.
pub(crate) fn plan_dynrels(inp: &LinkInput, l: &mut Layout) {
    let res = inp.res;
    // The GOT's relocations, RELATIVE ones apart, in slot order: per run
    // of slots in parallel (each reads its target's symbol), then joined.
    const RUN: usize = 1024;
    let runs: Vec<(Vec<DynRel>, Vec<DynRel>)> = {
        let value = |t: GotTarget| got_target_value(res, l, t);
        let dynsym = |id: SymbolId| l.sym_info[id as usize].dynsym;
        let c = l.got_ctx(&value, &dynsym);
        l.got
            .par_chunks(RUN)
            .enumerate()
            .map(|(k, run)| {
                let (mut relative, mut other) = (Vec::new(), Vec::new());
                for (i, &e) in run.iter().enumerate() {
                    let slot = l.got_slot_addr((k * RUN + i) as u32);
                    for r in got_fill(res, &c, e, slot).rels {
                        if r.rtype == Native::R_RELATIVE {
                            relative.push(r);
                        } else {
                            other.push(r);
                        }
                    }
                }
                (relative, other)
            })
            .collect()
    };
    let mut relative = Vec::with_capacity(runs.iter().map(|r| r.0.len()).sum());
    let mut got_rels = Vec::new();
    for (r, o) in runs {
        relative.extend(r);
        got_rels.extend(o);
    }
    for (id, info) in l.sym_info.iter().enumerate() {
        if info.copy && !info.copy_alias {
            got_rels.push(DynRel {
                offset: l.sym_values[id],
                rtype: Native::R_COPY,
                dynsym: info.dynsym,
                addend: 0,
            });
        }
    }
    let mut plt_rels = Vec::new();
    let mut irel_rels = Vec::new();
    for (i, &id) in l.plt.iter().enumerate() {
        let slot = l.gotplt_slot_addr(i as u32);
        if i < l.n_lazy_plt {
            plt_rels.push(DynRel {
                offset: slot,
                rtype: Native::R_JUMP_SLOT,
                dynsym: l.sym_info[id as usize].dynsym,
                addend: 0,
            });
        } else if let SymDef::Object { file, sym } = res.symbols[id as usize].def {
            let resolver = local_sym_addr(res, l, file as usize, sym, 0).0;
            irel_rels.push(DynRel {
                offset: slot,
                rtype: Native::R_IRELATIVE,
                dynsym: 0,
                addend: resolver as i64,
            });
        }
    }
    relative.extend(got_rels);
    l.got_rels = relative;
    l.plt_rels = plt_rels;
    l.irel_rels = irel_rels;
}

/// How many dynamic relocations there are, before addresses.
pub(crate) struct RelaCounts {
    /// In `.rela.dyn` (without `-z pack-relative-relocs`' packing).
    pub(crate) rela_dyn: u64,
    /// IRELATIVE ones of the PLT (`.rela.iplt` in a static executable).
    pub(crate) irel: u64,
    /// A TP offset a dynamic relocation fills in (`DF_STATIC_TLS`).
    pub(crate) static_tls: bool,
}

/// Counts the dynamic relocations: GOT slots', copies', the PLT's
/// IRELATIVE ones and those at input-section places (the scans').
pub(crate) fn count(
    inp: &LinkInput,
    gp: &GotPlt,
    sym_info: &[SymInfo],
    scans: &[ScanResult],
) -> RelaCounts {
    let res = inp.res;
    let kind = inp.opts.output_kind;
    let (got, plt, n_lazy_plt) = (&gp.got, &gp.plt, gp.n_lazy_plt);
    // Dynamic relocations decided here: GOT, PLT slots, copies.
    let count_ctx = GotCtx::counting(kind);
    // Per GOT slot and per symbol: in parallel (each reads its target's
    // input symbol, a cache miss).
    let n_got_rels: u64 = got
        .par_iter()
        .with_min_len(1024)
        .map(|&e| got_fill(res, &count_ctx, e, 0).rels.len() as u64)
        .sum();
    let static_tls = !kind.is_executable() && got.iter().any(|e| matches!(e, GotEntry::TpOff(_)));
    let n_copy = sym_info
        .par_iter()
        .with_min_len(4096)
        .filter(|i| i.copy && !i.copy_alias)
        .count() as u64;
    let n_irel = (plt.len() - n_lazy_plt) as u64;
    let n_place: u64 = scans.iter().map(|s| s.dynrels).sum();
    // Places' relocations may be relative or symbolic; both counted in n_place.
    let rela_dyn_count = n_got_rels + n_copy + n_place + if kind.is_dynamic() { n_irel } else { 0 };
    RelaCounts {
        rela_dyn: rela_dyn_count,
        irel: n_irel,
        static_tls,
    }
}

/// The relocation sections (`.rela.dyn`, `.relr.dyn`, `.rela.plt` or a
/// static executable's `.rela.iplt`), sized from `counts`; `.relr.dyn`
/// settles once addresses are known (`relr::RelrPlan::sizes`).
pub(crate) fn add(
    opts: &Options,
    out: &mut Added,
    counts: &RelaCounts,
    n_lazy_plt: usize,
    relr: bool,
) {
    let (rela_dyn_count, n_irel) = (counts.rela_dyn, counts.irel);
    let ai = A | elf::SHF_INFO_LINK as u64;
    if opts.output_kind.is_dynamic() {
        let size = 24 * rela_dyn_count;
        out.add(section(
            b".rela.dyn",
            Synth::RelaDyn,
            elf::SHT_RELA,
            A,
            8,
            126,
            size,
            24,
        ));
        if relr {
            super::relr::add(out);
        }
        if n_lazy_plt > 0 {
            let size = 24 * n_lazy_plt as u64;
            out.add(section(
                b".rela.plt",
                Synth::RelaPlt,
                elf::SHT_RELA,
                ai,
                8,
                127,
                size,
                24,
            ));
        }
    } else if n_irel > 0 {
        // Static executables: IRELATIVE relocations that libc applies itself,
        // bounded by __rela_iplt_start/__rela_iplt_end.
        let size = 24 * n_irel;
        out.add(section(
            b".rela.iplt",
            Synth::RelaPlt,
            elf::SHT_RELA,
            ai,
            8,
            127,
            size,
            24,
        ));
    }
}

/// `.rela.dyn` (RELATIVE first, then symbolic, then IRELATIVE), `.relr.dyn`
/// (with `-z pack-relative-relocs`, the packable RELATIVE ones, by the rule
/// layout sized it with) and `.rela.plt`; returns `.rela.dyn`'s size for
/// `DT_RELASZ`.
pub(crate) fn write(l: &Layout, buf: &mut [u8], place_rels: &[DynRel]) -> Result<u64> {
    let kind = l.kind;
    let relr = l.sec(Synth::RelrDyn).is_some();
    let packable = layout::PackableIndex::new(l);
    // `.rela.dyn`: the relative relocations not packed into `.relr.dyn`,
    // then the symbolic ones, then the IFUNCs'; each kind in the order made.
    let made = || l.got_rels.iter().chain(place_rels.iter());
    let packed_here =
        |r: &DynRel| relr && r.rtype == Native::R_RELATIVE && packable.contains(r.offset);
    if let Some((b, _)) = sec_slice(buf, l, Synth::RelrDyn) {
        let mut packed: Vec<u64> = made()
            .filter(|r| packed_here(r))
            .map(|r| r.offset)
            .collect();
        super::relr::write(b, &mut packed)?;
    }
    let mut rela_dyn_size = 0u64;
    if kind.is_dynamic() {
        if let Some((b, _)) = sec_slice(buf, l, Synth::RelaDyn) {
            // Written where they go, without gathering them first (tens of
            // thousands of relative relocations in a PIE).
            let relative = made().filter(|r| r.rtype == Native::R_RELATIVE && !packed_here(r));
            let symbolic = made().filter(|r| r.rtype != Native::R_RELATIVE);
            let mut n = 0usize;
            for r in relative.chain(symbolic).chain(l.irel_rels.iter()) {
                if (n + 1) * 24 <= b.len() {
                    put_rela(b, n, r);
                }
                n += 1;
            }
            if n * 24 != b.len() {
                return Err(Error::new(format!(
                    "internal error: planned {} dynamic relocations, produced {n}",
                    b.len() / 24,
                )));
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

/// Relocation `i` of a `.rela` section.
fn put_rela(b: &mut [u8], i: usize, r: &DynRel) {
    let o = i * 24;
    w64(b, o, r.offset);
    w64(b, o + 8, ((r.dynsym as u64) << 32) | r.rtype as u64);
    w64(b, o + 16, r.addend as u64);
}
