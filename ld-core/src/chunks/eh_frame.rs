//! `.eh_frame` and `.eh_frame_hdr`. The pass: the records of live input `.eh_frame` sections in
//! file order; FDEs of dead functions are dropped, and a CIE equal to one
//! already placed (same bytes, relocations to the same targets) is not
//! written again: its FDEs point at the first. Then the sections, sized
//! (`.eh_frame_hdr`: a table entry per live FDE), and written: the
//! records relocated, the header's table sorted by address.

use super::{section, Added, A};
use crate::arch::{Arch, DecideCtx, Native};
use crate::error::{Error, Result};
use crate::layout::{target_props, EhPlace, Layout, PassHasher, Synth};
use crate::object_file::{EhRecordKind, ObjectFile};
use crate::options::Options;
use crate::resolve::Resolved;
use crate::write::{direct_target, put_pc32, reloc_values, w32};
use object::elf;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// What makes two CIEs the same in the output: their bytes and, for each
/// relocation, its place, type, addend and target (a global symbol, or a
/// file's own local symbol, which only that file's CIEs can share).
#[derive(PartialEq, Eq)]
pub(crate) struct CieKey {
    /// Hash of the rest, made with the key (per file, in parallel), so
    /// that looking keys up does not hash their bytes again.
    hash: u64,
    bytes: &'static [u8],
    relocs: Vec<(u64, u32, i64, u32, u32)>,
}

impl std::hash::Hash for CieKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

pub(crate) fn cie_key(
    res: &Resolved,
    f: usize,
    sec: u32,
    r: &crate::object_file::EhRecord,
) -> CieKey {
    let o = &res.objects[f];
    let data = o.section_data(sec as usize);
    let relocs = o
        .record_relocs(sec, r)
        .iter()
        .map(|rel| {
            let (a, b) = match res.global_of(f, rel.sym()) {
                Some(id) => (u32::MAX, id),
                None => (f as u32, rel.sym()),
            };
            (
                rel.offset() - r.offset as u64,
                rel.rtype(),
                rel.addend(),
                a,
                b,
            )
        })
        .collect::<Vec<_>>();
    let bytes = &data[r.offset as usize..(r.offset + r.size) as usize];
    let mut hash = xxhash_rust::xxh3::xxh3_64(bytes);
    for &(off, rtype, addend, a, b) in &relocs {
        for v in [off, rtype.into(), addend as u64, a.into(), b.into()] {
            hash = (hash.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    CieKey {
        hash,
        bytes,
        relocs,
    }
}

/// The section an FDE describes: the target of its first relocation (pc_begin).
pub fn fde_target_section(
    o: &ObjectFile,
    sec: u32,
    r: &crate::object_file::EhRecord,
) -> Option<u32> {
    let rel = o
        .record_relocs(sec, r)
        .iter()
        .find(|x| x.offset() == r.offset as u64 + 8)?;
    let s = &o.symbols[rel.sym() as usize];
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
            if !eh_record_live(o, si, r, live) {
                v.push((r.offset as u64, r.offset as u64 + r.size as u64));
            }
        }
    }
    v
}

pub fn eh_record_live(
    o: &ObjectFile,
    sec: u32,
    r: &crate::object_file::EhRecord,
    live: &[bool],
) -> bool {
    match r.kind {
        EhRecordKind::Cie => true,
        EhRecordKind::Fde { .. } => match fde_target_section(o, sec, r) {
            Some(t) => live[t as usize],
            None => false,
        },
    }
}

/// The output `.eh_frame`, planned.
pub(crate) struct EhFrame {
    /// The live records, in output order.
    pub(crate) eh: Vec<EhPlace>,
    /// Where each (file, input `.eh_frame`)'s records start.
    pub(crate) starts: HashMap<(u32, u32), u64>,
    /// Bytes of records (without the terminator).
    pub(crate) size: u64,
    pub(crate) fde_count: u64,
}

/// The records placed so far, and the CIEs among them.
#[derive(Default)]
struct Placing {
    eh: Vec<EhPlace>,
    starts: HashMap<(u32, u32), u64>,
    size: u64,
    fde_count: u64,
    cies: HashMap<CieKey, u64, BuildHasherDefault<PassHasher>>,
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
    /// Where the records stood at a gap's place, while the objects after
    /// it are placed as if it had none (see `layout::LayoutAhead`).
    mark: Option<EhMark>,
}

/// The records at a gap's place: its file id, how many, their size and
/// FDEs, and whether the pass had failed; `globals`: an object after it
/// added a CIE whose key names a global symbol (by an id the gap's
/// filling may change).
struct EhMark {
    gap: usize,
    records: usize,
    size: u64,
    fde_count: u64,
    failed: bool,
    globals: bool,
}

impl EhAhead {
    /// Places the records of the objects of `res` (a resolution so far)
    /// after those already in.
    /// `live`: each object's live sections; `found`, from the first of
    /// them on, their live records where found already (`live_records`).
    pub(crate) fn feed(
        &mut self,
        res: &Resolved,
        live: &[Vec<bool>],
        found: Vec<Option<FileRecords>>,
    ) {
        if self.failed {
            return;
        }
        let mut found = found.into_iter();
        for (f, live) in live
            .iter()
            .enumerate()
            .take(res.objects.len())
            .skip(self.files)
        {
            let recs = match found.next() {
                Some(Some(recs)) => recs,
                _ => live_records(res, f, live),
            };
            let (globals, cies) = (recs.names_globals(), self.placing.cies.len());
            if place_live(res, f, recs, &mut self.placing).is_err() {
                self.failed = true;
                return;
            }
            if let Some(m) = self.mark.as_mut().filter(|_| globals) {
                m.globals |= self.placing.cies.len() > cies;
            }
        }
        self.files = live.len().min(res.objects.len());
    }

    /// Marks the place of object `gap` (the next one, not in yet), whose
    /// records are placed later (`splice`) or not (`truncate`).
    pub(crate) fn mark(&mut self, gap: usize) {
        let p = &self.placing;
        self.mark = Some(EhMark {
            gap,
            records: p.eh.len(),
            size: p.size,
            fde_count: p.fde_count,
            failed: self.failed,
            globals: false,
        });
    }

    /// Back to the mark: the objects from the gap on are out.
    pub(crate) fn truncate(&mut self) {
        let Some(m) = self.mark.take() else {
            return;
        };
        let p = &mut self.placing;
        p.eh.truncate(m.records);
        p.size = m.size;
        p.fde_count = m.fde_count;
        p.starts.retain(|&(f, _), _| (f as usize) < m.gap);
        p.cies.retain(|_, off| *off < m.size);
        self.failed = m.failed;
        self.files = m.gap;
    }

    /// Places the gap's object's live records (`found`) where placing in
    /// order places them, and moves those after it by their size. False,
    /// with nothing changed, where that is not the result of placing in
    /// order: one of its CIEs was first placed after it, or a CIE placed
    /// after it names a global symbol.
    pub(crate) fn splice(&mut self, res: &Resolved, found: FileRecords) -> bool {
        let Some(m) = self.mark.take() else {
            return true;
        };
        if self.failed {
            // The pass starts over at the wait anyway.
            return true;
        }
        if m.globals {
            self.mark = Some(m);
            return false;
        }
        // The gap's records placed after those before it, with the CIEs
        // placed before it only; those placed after it are set aside.
        let p = &mut self.placing;
        let (before, after): (Vec<_>, Vec<_>) = std::mem::take(&mut p.cies)
            .into_iter()
            .partition(|(_, off)| *off < m.size);
        let mut gap = Placing {
            size: m.size,
            cies: before.into_iter().collect(),
            ..Default::default()
        };
        let placed = place_live(res, m.gap, found, &mut gap);
        let clash = after.iter().any(|(k, _)| gap.cies.contains_key(k));
        if placed.is_err() || clash {
            p.cies = gap.cies;
            p.cies.retain(|_, off| *off < m.size);
            p.cies.extend(after);
            self.mark = Some(m);
            return false;
        }
        let by = gap.size - m.size;
        for e in &mut p.eh[m.records..] {
            e.out_off += by;
            // (A CIE's `cie_out` is 0: below the mark's size unless that
            // is 0, when the record's kind tells.)
            let fde = || {
                let o = &res.objects[e.file as usize];
                let r = &o.eh_frames[e.frame as usize].1[e.record as usize];
                matches!(r.kind, EhRecordKind::Fde { .. })
            };
            if e.cie_out >= m.size && (m.size > 0 || fde()) {
                e.cie_out += by;
            }
        }
        for (&(f, _), off) in p.starts.iter_mut() {
            if f as usize > m.gap {
                *off += by;
            }
        }
        p.cies = gap.cies;
        p.cies
            .extend(after.into_iter().map(|(k, off)| (k, off + by)));
        p.eh.splice(m.records..m.records, gap.eh);
        p.starts.extend(gap.starts);
        p.fde_count += gap.fde_count;
        p.size += by;
        true
    }
}

/// The pass: the live records in file order; a CIE equal to one placed
/// already is not placed again. `ahead`: the same done for a prefix of
/// the inputs before the wait. Which records are live and the CIEs' keys
/// are found per file in parallel; they are placed in file order.
pub(crate) fn place_records(
    res: &Resolved,
    live: &[Vec<bool>],
    ahead: Option<EhAhead>,
) -> Result<EhFrame> {
    use rayon::prelude::*;
    // A CIE's key names globals by id; local IFUNCs made global after
    // resolution are not in the prefix's keys (none is a CIE's target,
    // but the prefix is not used then).
    let (mut p, from) = match ahead {
        Some(a) if !a.failed && res.promoted.is_empty() && a.files <= res.objects.len() => {
            (a.placing, a.files)
        }
        _ => (Placing::default(), 0),
    };
    let found: Vec<FileRecords> = live[from..]
        .par_iter()
        .enumerate()
        .map(|(i, live)| live_records(res, from + i, live))
        .collect();
    // At most a place per live record: sized once (a vector grown by
    // doubling keeps up to half again, for the rest of the link).
    p.eh.reserve_exact(found.iter().map(|r| r.recs.len()).sum());
    for (i, recs) in found.into_iter().enumerate() {
        place_live(res, from + i, recs, &mut p)?;
    }
    Ok(EhFrame {
        eh: p.eh,
        starts: p.starts,
        size: p.size,
        fde_count: p.fde_count,
    })
}

/// A file's live `.eh_frame` records, in order, with what placing them
/// needs (so that it reads nothing else of the file).
/// An object's live `.eh_frame` records (`live_records`).
pub(crate) struct FileRecords {
    /// Each live input `.eh_frame`: its index in `eh_frames`, its section,
    /// and the end of its records in `recs`.
    frames: Vec<(u32, u32, u32)>,
    recs: Vec<LiveRecord>,
    /// The live CIEs' keys, in order.
    cies: Vec<CieKey>,
}

struct LiveRecord {
    /// Index in its `.eh_frame`'s records.
    index: u32,
    offset: u32,
    size: u32,
    /// An FDE's CIE (input offset), or `CIE` for a CIE.
    cie: u32,
}

const CIE: u32 = u32::MAX;

impl FileRecords {
    /// Whether a CIE's key names a global symbol (by its id, which a
    /// filled gap may change: `resolve::Renumbered`).
    pub(crate) fn names_globals(&self) -> bool {
        (self.cies.iter()).any(|k| k.relocs.iter().any(|r| r.3 == u32::MAX))
    }
}

/// File `f`'s live records (`live`: its live sections).
pub(crate) fn live_records(res: &Resolved, f: usize, live: &[bool]) -> FileRecords {
    let o = &res.objects[f];
    let live_frames = o.eh_frames.iter().filter(|(sec, _)| live[*sec as usize]);
    let mut out = FileRecords {
        frames: Vec::new(),
        recs: Vec::with_capacity(live_frames.map(|(_, recs)| recs.len()).sum()),
        cies: Vec::new(),
    };
    for (fi, (sec, recs)) in o.eh_frames.iter().enumerate() {
        if !live[*sec as usize] {
            continue;
        }
        for (ri, r) in recs.iter().enumerate() {
            if !eh_record_live(o, *sec, r, live) {
                continue;
            }
            let cie = match r.kind {
                EhRecordKind::Cie => {
                    out.cies.push(cie_key(res, f, *sec, r));
                    CIE
                }
                // An input offset, below the record's: never `CIE`.
                EhRecordKind::Fde { cie } => cie,
            };
            out.recs.push(LiveRecord {
                index: ri as u32,
                offset: r.offset,
                size: r.size,
                cie,
            });
        }
        out.frames.push((fi as u32, *sec, out.recs.len() as u32));
    }
    out
}

/// Places file `f`'s live records (`found`) after those placed in `p`
/// (`.eh_frame` holds the live records in file order). A CIE equal to one
/// already placed (same bytes, relocations to the same targets: typically
/// every object's CIE, or its personality routine's) is not written
/// again; its FDEs point at the first.
fn place_live(res: &Resolved, f: usize, found: FileRecords, p: &mut Placing) -> Result<()> {
    let mut cies = found.cies.into_iter();
    let mut start = 0;
    for (fi, sec, end) in found.frames {
        p.starts.insert((f as u32, sec), p.size);
        // Input offset of each CIE -> output offset of its copy; sorted,
        // as records are in offset order.
        let mut cie_out: Vec<(u32, u64)> = Vec::new();
        for r in &found.recs[start as usize..end as usize] {
            let (cie, is_fde) = if r.cie == CIE {
                let key = cies.next().expect("a key per live CIE");
                match p.cies.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        cie_out.push((r.offset, *e.get()));
                        continue;
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(p.size);
                        cie_out.push((r.offset, p.size));
                        (0, false)
                    }
                }
            } else {
                match cie_out.binary_search_by_key(&r.cie, |c| c.0) {
                    Ok(i) => (cie_out[i].1, true),
                    Err(_) => {
                        return Err(Error::new(format!(
                            "{}: .eh_frame+{:#x}: FDE refers to a CIE at {:#x} that does not precede it",
                            res.objects[f].name, r.offset, r.cie
                        )))
                    }
                }
            };
            if is_fde {
                p.fde_count += 1;
            }
            p.eh.push(EhPlace {
                file: f as u32,
                frame: fi,
                record: r.index,
                out_off: p.size,
                cie_out: cie,
            });
            p.size += r.size as u64;
        }
        start = end;
    }
    Ok(())
}

/// `.eh_frame` (with its terminator) and `.eh_frame_hdr`.
pub(crate) fn add(opts: &Options, out: &mut Added, eh: &EhFrame) {
    let (eh_size, eh_fde_count) = (eh.size, eh.fde_count);
    let eh_hdr = opts.eh_frame_hdr && (eh_fde_count > 0 || eh_size > 0);
    if eh_size > 0 {
        let size = eh_size + 4;
        out.add(section(
            b".eh_frame",
            Synth::EhFrame,
            elf::SHT_PROGBITS,
            A,
            8,
            330,
            size,
            0,
        ));
        if eh_hdr {
            let size = 12 + 8 * eh_fde_count;
            let s = section(
                b".eh_frame_hdr",
                Synth::EhFrameHdr,
                elf::SHT_PROGBITS,
                A,
                4,
                320,
                size,
                0,
            );
            out.add(s);
        }
    }
}

/// Records of `.eh_frame` per job of its writer: thousands of objects'
/// records, written in parallel, each job into its own part.
const EH_JOB: usize = 256;

/// `.eh_frame` (`b`) and `.eh_frame_hdr` (`hdr`), whose table is made from
/// the FDEs as they are written. The records (`l.eh`, in output order, one
/// after another) are written in parallel, `EH_JOB` at a time, each job
/// into the part of `b` its records fill.
pub(crate) fn write(
    res: &Resolved,
    l: &Layout,
    b: &mut [u8],
    hdr: Option<&mut [u8]>,
) -> Result<()> {
    use rayon::prelude::*;
    let n = b.len();
    // Terminator.
    b[n - 4..].copy_from_slice(&[0, 0, 0, 0]);
    let mut jobs = Vec::with_capacity(l.eh.len().div_ceil(EH_JOB));
    let mut rest: &mut [u8] = &mut b[..n - 4];
    let mut at = 0u64;
    for recs in l.eh.chunks(EH_JOB) {
        let end = recs.last().map_or(at, |p| {
            let o = &res.objects[p.file as usize];
            p.out_off + o.eh_frames[p.frame as usize].1[p.record as usize].size as u64
        });
        let len = (end.max(at) - at) as usize;
        if recs[0].out_off != at || len > rest.len() {
            return Err(Error::new(
                "internal error: .eh_frame records not laid out one after another",
            ));
        }
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(len);
        jobs.push((recs, at, part));
        (rest, at) = (tail, end);
    }
    let tables: Vec<Result<Vec<(u64, u64)>>> = jobs
        .into_par_iter()
        .map(|(recs, base, part)| write_records(res, l, recs, base, part))
        .collect();
    // The first error in output order, as one job would meet it.
    let mut table = Vec::with_capacity(l.eh.len());
    for t in tables {
        table.extend(t?);
    }
    if let Some(b) = hdr {
        let eh_addr = l.sec_addr(Synth::EhFrame);
        let ha = l.sec_addr(Synth::EhFrameHdr);
        b[0] = 1;
        b[1] = 0x1b; // pcrel sdata4
        b[2] = 0x03; // udata4
        b[3] = 0x3b; // datarel sdata4
        w32(b, 4, (eh_addr as i64 - (ha + 4) as i64) as u32);
        table.par_sort_by_key(|e| e.0);
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

/// Writes `recs` (consecutive records of `l.eh`, the first at `base` in
/// `.eh_frame`) into `part`; returns the `.eh_frame_hdr` table entries
/// (function address, FDE address) of their FDEs.
fn write_records(
    res: &Resolved,
    l: &Layout,
    recs: &[crate::layout::EhPlace],
    base: u64,
    part: &mut [u8],
) -> Result<Vec<(u64, u64)>> {
    let eh_addr = l.sec_addr(Synth::EhFrame);
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    let mut table: Vec<(u64, u64)> = Vec::new();
    for p in recs {
        let f = p.file as usize;
        let o = &res.objects[f];
        let rec_addr = eh_addr + p.out_off;
        let (si, frame) = &o.eh_frames[p.frame as usize];
        let r = &frame[p.record as usize];
        let input = o.section_data(*si as usize);
        let src = &input[r.offset as usize..(r.offset + r.size) as usize];
        let dst_start = (p.out_off - base) as usize;
        let dst = &mut part[dst_start..dst_start + r.size as usize];
        dst.copy_from_slice(src);
        if let EhRecordKind::Fde { .. } = r.kind {
            // CIE pointer: distance from this field back to the CIE.
            let ptr = (p.out_off + 4 - p.cie_out) as u32;
            dst[4..8].copy_from_slice(&ptr.to_le_bytes());
        }
        for rel in o.record_relocs(*si, r) {
            let t = target_props(res, l.kind, f, rel.sym());
            let Some(local_off) = rel
                .offset()
                .checked_sub(r.offset as u64)
                .filter(|&x| x < r.size as u64)
            else {
                return Err(Error::new(format!(
                    "{}:(.eh_frame+{:#x}): relocation outside its CIE/FDE record",
                    o.name,
                    rel.offset()
                )));
            };
            let is_fde_start = matches!(r.kind, EhRecordKind::Fde { .. }) && local_off == 8;
            // Nearly all: PC32 to code, written on the writer's short
            // path (`Arch::direct_pc32`), as decide/reloc_values/apply
            // would; the others and a value out of range take those.
            let direct = (Native::direct_pc32(rel.rtype()) && t.at_own_address())
                .then(|| direct_target(res, l, f, rel, res.global_of(f, rel.sym()), true))
                .flatten();
            if let Some((s, a)) = direct {
                if put_pc32(dst, local_off, rec_addr + local_off, s, a) {
                    if is_fde_start {
                        table.push(((s as i64).wrapping_add(a) as u64, rec_addr));
                    }
                    continue;
                }
            }
            let (action, _) =
                Native::decide(&ctx, rel.rtype(), t, true, false, &[], 0).map_err(|m| {
                    Error::new(format!("{}:(.eh_frame+{:#x}): {}", o.name, rel.offset(), m))
                })?;
            let (v, a) = reloc_values(res, l, f, rel.sym(), rel.addend(), true, true);
            Native::apply(action, dst, local_off, rec_addr, a, &v, true).map_err(|m| {
                Error::new(format!("{}:(.eh_frame+{:#x}): {}", o.name, rel.offset(), m))
            })?;
            if is_fde_start {
                table.push(((v.s as i64).wrapping_add(a) as u64, rec_addr));
            }
        }
    }
    Ok(table)
}
