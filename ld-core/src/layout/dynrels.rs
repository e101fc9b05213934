use super::{got_fill, got_target_value, local_sym_addr, DynRel, GotTarget, Layout, LinkInput};
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
