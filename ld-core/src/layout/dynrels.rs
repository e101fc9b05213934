//! Dynamic relocations decided at layout: how many `.rela.dyn` holds
//! (counted before addresses, to size it) and, once symbol values are
//! known, the GOT's, the PLT's and the copies' relocations
//! (`plan_dynrels`). Those at input-section places the writer makes.

use super::got::{got_fill, GotCtx, GotEntry, GotPlt, GotTarget};
use super::scan::ScanResult;
use super::symbols::{got_target_value, local_sym_addr};
use super::{DynRel, Layout, LinkInput, SymInfo};
use crate::resolve::{SymDef, SymbolId};
use object::elf;

/// GOT, PLT and copy dynamic relocations.
pub(super) fn plan_dynrels(inp: &LinkInput, l: &mut Layout) {
    let res = inp.res;
    let mut got_rels = Vec::new();
    let mut relative = Vec::new();
    {
        let value = |t: GotTarget| got_target_value(res, l, t);
        let dynsym = |id: SymbolId| l.sym_info[id as usize].dynsym;
        let c = l.got_ctx(&value, &dynsym);
        for (i, &e) in l.got.iter().enumerate() {
            for r in got_fill(res, &c, e, l.got_slot_addr(i as u32)).rels {
                if r.rtype == elf::R_X86_64_RELATIVE {
                    relative.push(r);
                } else {
                    got_rels.push(r);
                }
            }
        }
    }
    for (id, info) in l.sym_info.iter().enumerate() {
        if info.copy && !info.copy_alias {
            got_rels.push(DynRel {
                offset: l.sym_values[id],
                rtype: elf::R_X86_64_COPY,
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
                rtype: elf::R_X86_64_JUMP_SLOT,
                dynsym: l.sym_info[id as usize].dynsym,
                addend: 0,
            });
        } else if let SymDef::Object { file, sym } = res.symbols[id as usize].def {
            let resolver = local_sym_addr(res, l, file as usize, sym, 0).0;
            irel_rels.push(DynRel {
                offset: slot,
                rtype: elf::R_X86_64_IRELATIVE,
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
pub(super) struct RelaCounts {
    /// In `.rela.dyn` (without `-z pack-relative-relocs`' packing).
    pub(super) rela_dyn: u64,
    /// IRELATIVE ones of the PLT (`.rela.iplt` in a static executable).
    pub(super) irel: u64,
    /// A TP offset a dynamic relocation fills in (`DF_STATIC_TLS`).
    pub(super) static_tls: bool,
}

/// Counts the dynamic relocations: GOT slots', copies', the PLT's
/// IRELATIVE ones and those at input-section places (the scans').
pub(super) fn count(
    inp: &LinkInput,
    gp: &GotPlt,
    sym_info: &[SymInfo],
    scans: &[ScanResult],
) -> RelaCounts {
    let res = inp.res;
    let kind = inp.opts.output_kind;
    let (got, plt, n_lazy_plt) = (&gp.got, &gp.plt, gp.n_lazy_plt);
    // Dynamic relocations decided here: GOT, PLT slots, copies.
    let count_ctx = GotCtx {
        kind,
        value: &|_| 0,
        dynsym: &|_| 0,
        tls_start: 0,
        tp: 0,
    };
    let n_got_rels: u64 = got
        .iter()
        .map(|&e| got_fill(res, &count_ctx, e, 0).rels.len() as u64)
        .sum();
    let static_tls = !kind.is_executable() && got.iter().any(|e| matches!(e, GotEntry::TpOff(_)));
    let n_copy = sym_info.iter().filter(|i| i.copy && !i.copy_alias).count() as u64;
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
