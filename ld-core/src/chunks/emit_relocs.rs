//! `--emit-relocs`: a `.rela<name>` section for each allocated output
//! section with input relocations, sized from and written with the same
//! walk over them (`emit_relocs_of`).

use crate::arch::{Arch, DecideCtx, Native, RelocAction};
use crate::layout::{self, local_sym_addr, target_props, Layout, OutputSection, Synth};
use crate::object_file::SectionKind;
use crate::resolve::Resolved;
use crate::write::w64;
use object::elf;

/// The relocations `--emit-relocs` copies: those of the live, ordinary
/// (not merged, not `.eh_frame`) input sections of allocated output
/// section `sec`, in output order.
pub fn emit_relocs_of<'a>(
    res: &'a Resolved,
    live: &'a [Vec<bool>],
    sec: &'a OutputSection,
) -> impl Iterator<Item = (usize, u32, &'a crate::object_file::Reloc)> + 'a {
    sec.inputs.iter().flat_map(move |&(f, si)| {
        let o = &res.objects[f as usize];
        let isec = &o.sections[si as usize];
        let take = live[f as usize][si as usize] && isec.kind == SectionKind::Alloc;
        let relocs = if take { o.relocs_of(isec) } else { &[] };
        relocs.iter().map(move |r| (f as usize, si, r))
    })
}

/// `--emit-relocs`: a `.rela<name>` section for each allocated output
/// section with input relocations (as GNU ld adds them).
pub(crate) fn add(res: &Resolved, live: &[Vec<bool>], sections: &mut Vec<OutputSection>) {
    let n = sections.len();
    for p in 0..n {
        let sec = &sections[p];
        if sec.synth != Synth::Regular || !sec.is_alloc() {
            continue;
        }
        let count = emit_relocs_of(res, live, sec).count() as u64;
        if count == 0 {
            continue;
        }
        let mut name = b".rela".to_vec();
        name.extend_from_slice(&sec.name);
        let mut r = OutputSection::new(
            &name,
            Synth::EmitRela,
            elf::SHT_RELA,
            elf::SHF_INFO_LINK as u64,
            8,
            650,
        );
        r.size = 24 * count;
        r.entsize = 24;
        r.rela_for = p as u32;
        sections.push(r);
    }
}

/// `--emit-relocs`: each input relocation of an allocated section, at its
/// output address. One against a global in `.symtab` names it; any other
/// (a local, a section, a symbol made local) is made against symbol 0
/// with the target's address in the addend, which computes the same value.
pub(crate) fn write(res: &Resolved, l: &Layout, buf: &mut [u8]) {
    if !l.sections.iter().any(|s| s.synth == Synth::EmitRela) {
        return;
    }
    // .symtab index of each global written there (as write_symtab orders them).
    let mut index = vec![0u32; res.symbols.len()];
    let mut next = l.symtab.locals();
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
            // one (`Arch::R_PC_RELAXED`), as GNU ld does.
            let isec = &res.objects[f].sections[si as usize];
            let t = target_props(res, l.kind, f, r.sym());
            let writable = isec.flags & elf::SHF_WRITE != 0;
            let bytes = res.objects[f].section_data(si as usize);
            let rtype = match Native::decide(&ctx, r.rtype(), t, true, writable, bytes, r.offset())
            {
                Ok((a, _)) if a.is_relaxed_got_load() => Native::R_PC_RELAXED,
                _ => r.rtype(),
            };
            let (sym, addend) = match res.global_of(f, r.sym()) {
                Some(id) if index[id as usize] != 0 => (index[id as usize], r.addend()),
                Some(id) => (
                    0,
                    (l.sym_values[id as usize] as i64).wrapping_add(r.addend()),
                ),
                None => {
                    let (v, a) = local_sym_addr(res, l, f, r.sym(), r.addend());
                    (0, (v as i64).wrapping_add(a))
                }
            };
            w64(buf, o, target.addr + base + r.offset());
            w64(buf, o + 8, ((sym as u64) << 32) | rtype as u64);
            w64(buf, o + 16, addend as u64);
            o += 24;
        }
    }
}
