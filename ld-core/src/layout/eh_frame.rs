use crate::object_file::{EhRecordKind, ObjectFile};
use crate::resolve::Resolved;

/// What makes two CIEs the same in the output: their bytes and, for each
/// relocation, its place, type, addend and target (a global symbol, or a
/// file's own local symbol, which only that file's CIEs can share).
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct CieKey {
    bytes: &'static [u8],
    relocs: Vec<(u64, u32, i64, u32, u32)>,
}

pub(crate) fn cie_key(
    res: &Resolved,
    f: usize,
    data: &'static [u8],
    r: &crate::object_file::EhRecord,
) -> CieKey {
    let o = &res.objects[f];
    let relocs = o.relocs[r.relocs.start as usize..r.relocs.end as usize]
        .iter()
        .map(|rel| {
            let (a, b) = match res.global_of(f, rel.sym) {
                Some(id) => (u32::MAX, id),
                None => (f as u32, rel.sym),
            };
            (rel.offset - r.offset as u64, rel.rtype, rel.addend, a, b)
        })
        .collect();
    CieKey {
        bytes: &data[r.offset as usize..(r.offset + r.size) as usize],
        relocs,
    }
}

/// The section an FDE describes: the target of its first relocation (pc_begin).
pub fn fde_target_section(o: &ObjectFile, r: &crate::object_file::EhRecord) -> Option<u32> {
    let rel = o.relocs[r.relocs.start as usize..r.relocs.end as usize]
        .iter()
        .find(|x| x.offset == r.offset as u64 + 8)?;
    let s = &o.symbols[rel.sym as usize];
    if s.shndx == 0 || s.shndx as usize >= o.sections.len() {
        return None;
    }
    Some(s.shndx)
}

/// Byte ranges of dead FDEs in `.eh_frame` section `si`.
pub fn eh_dead_ranges(o: &ObjectFile, si: u32, live: &[bool]) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    for (sec, recs) in &o.eh_frames {
        if *sec != si {
            continue;
        }
        for r in recs {
            if !eh_record_live(o, r, live) {
                v.push((r.offset as u64, r.offset as u64 + r.size as u64));
            }
        }
    }
    v
}

pub fn eh_record_live(o: &ObjectFile, r: &crate::object_file::EhRecord, live: &[bool]) -> bool {
    match r.kind {
        EhRecordKind::Cie => true,
        EhRecordKind::Fde { .. } => match fde_target_section(o, r) {
            Some(t) => live[t as usize],
            None => false,
        },
    }
}
