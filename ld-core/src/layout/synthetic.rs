use super::{OutputSection, Synth};
use crate::object_file::SectionKind;
use crate::resolve::Resolved;
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
        let relocs = if take {
            &o.relocs[isec.relocs.start as usize..isec.relocs.end as usize]
        } else {
            &[]
        };
        relocs.iter().map(move |r| (f as usize, si, r))
    })
}

/// `--emit-relocs`: a `.rela<name>` section for each allocated output
/// section with input relocations (as GNU ld adds them).
pub(super) fn add_emit_rela_sections(
    res: &Resolved,
    live: &[Vec<bool>],
    sections: &mut Vec<OutputSection>,
) {
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
