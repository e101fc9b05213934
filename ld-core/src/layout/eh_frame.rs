//! Pass: `.eh_frame`. The records of live input `.eh_frame` sections in
//! file order; FDEs of dead functions are dropped, and a CIE equal to one
//! already placed (same bytes, relocations to the same targets) is not
//! written again: its FDEs point at the first.

use super::EhPlace;
use crate::error::{Error, Result};
use crate::object_file::{EhRecordKind, ObjectFile};
use crate::resolve::Resolved;
use std::collections::HashMap;

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

/// The output `.eh_frame`, planned.
pub(super) struct EhFrame {
    /// The live records, in output order.
    pub(super) eh: Vec<EhPlace>,
    /// Where each (file, input `.eh_frame`)'s records start.
    pub(super) starts: HashMap<(u32, u32), u64>,
    /// Bytes of records (without the terminator).
    pub(super) size: u64,
    pub(super) fde_count: u64,
}

/// The records placed so far, and the CIEs among them.
#[derive(Default)]
struct Placing {
    eh: Vec<EhPlace>,
    starts: HashMap<(u32, u32), u64>,
    size: u64,
    fde_count: u64,
    cies: HashMap<CieKey, u64>,
}

/// `.eh_frame` placed for the first `files` inputs before the wait, under
/// the conditions merged strings are (`LayoutAhead`); the pass goes on
/// from it. `failed`: an input's records were broken; the pass then
/// starts over and reports it in its place.
#[derive(Default)]
pub struct EhAhead {
    files: usize,
    placing: Placing,
    failed: bool,
}

impl EhAhead {
    /// Places the records of the objects of `res` (a resolution so far)
    /// after those already in.
    /// `live`: each object's live sections.
    pub(super) fn feed(&mut self, res: &Resolved, live: &[Vec<bool>]) {
        if self.failed {
            return;
        }
        for (f, live) in live
            .iter()
            .enumerate()
            .take(res.objects.len())
            .skip(self.files)
        {
            if place_file(res, f, live, &mut self.placing).is_err() {
                self.failed = true;
                return;
            }
        }
        self.files = res.objects.len();
    }
}

/// The pass: the live records in file order; a CIE equal to one placed
/// already is not placed again. `ahead`: the same done for a prefix of
/// the inputs before the wait.
pub(super) fn place_records(
    res: &Resolved,
    live: &[Vec<bool>],
    ahead: Option<EhAhead>,
) -> Result<EhFrame> {
    // A CIE's key names globals by id; local IFUNCs made global after
    // resolution are not in the prefix's keys (none is a CIE's target,
    // but the prefix is not used then).
    let (mut p, from) = match ahead {
        Some(a) if !a.failed && res.promoted.is_empty() && a.files <= res.objects.len() => {
            (a.placing, a.files)
        }
        _ => (Placing::default(), 0),
    };
    for (f, live) in live.iter().enumerate().skip(from) {
        place_file(res, f, live, &mut p)?;
    }
    Ok(EhFrame {
        eh: p.eh,
        starts: p.starts,
        size: p.size,
        fde_count: p.fde_count,
    })
}

// .eh_frame: live records in file order. A CIE equal to one already
// placed (same bytes, relocations to the same targets: typically every
// object's CIE, or its personality routine's) is not written again; its
// FDEs point at the first.
fn place_file(res: &Resolved, f: usize, live: &[bool], p: &mut Placing) -> Result<()> {
    let o = &res.objects[f];
    for (fi, (sec, recs)) in o.eh_frames.iter().enumerate() {
        if !live[*sec as usize] {
            continue;
        }
        p.starts.insert((f as u32, *sec), p.size);
        let mut cie_out: HashMap<u32, u64> = HashMap::new();
        let data = o.section_data(*sec as usize);
        for (ri, r) in recs.iter().enumerate() {
            if !eh_record_live(o, r, live) {
                continue;
            }
            let (cie, is_fde) = match r.kind {
                EhRecordKind::Cie => match p.cies.entry(cie_key(res, f, data, r)) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        cie_out.insert(r.offset, *e.get());
                        continue;
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(p.size);
                        cie_out.insert(r.offset, p.size);
                        (0, false)
                    }
                },
                EhRecordKind::Fde { cie } => match cie_out.get(&cie) {
                    Some(&c) => (c, true),
                    None => {
                        return Err(Error::new(format!(
                            "{}: .eh_frame+{:#x}: FDE refers to a CIE at {:#x} that does not precede it",
                            o.name, r.offset, cie
                        )))
                    }
                },
            };
            if is_fde {
                p.fde_count += 1;
            }
            p.eh.push(EhPlace {
                file: f as u32,
                frame: fi as u32,
                record: ri as u32,
                out_off: p.size,
                cie_out: cie,
            });
            p.size += r.size as u64;
        }
    }
    Ok(())
}
