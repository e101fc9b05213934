//! Sections written before the wait: for each object laid out ahead
//! (`LayoutAhead`), its debug sections (and, in an executable, its code
//! and data: see the end) are copied and relocated while compiles run, into a *run* per output section: the
//! section's bytes from its start as far as written, each input at its
//! place (an object placed ahead keeps its offsets). The wait copies each
//! run into the output in one piece (not input by input: 13,500 lookups
//! of scattered tables took a fifth of its write) and adds what it alone
//! knows.
//!
//! A debug section's relocations are absolute (`S + A`). Against a local
//! symbol in a debug section the value is final once the object is placed
//! (non-allocated output sections are at address 0, and an object placed
//! ahead keeps its offsets: the layout goes on from the prefix). Against a
//! local symbol in an allocated section it is final up to that output
//! section's address: the run holds the offset, and the wait adds the
//! address (a *patch*). A global symbol this object defines (not weakly)
//! is the same: no later input can take its place (another definition
//! is a duplicate, or with `--allow-multiple-definition` ignored), and
//! that is checked at the wait too; it is what most debug relocations
//! against globals are (a function's `DW_AT_low_pc`). Against another
//! global symbol (which a later input may define or override), an offset
//! in the TLS block (which later inputs grow) or anything special
//! (`.eh_frame`, a merged-string section whose output section is not
//! known yet) the relocation is *deferred*: the wait computes it as the
//! serial write does.
//!
//! Assumes what it assumed holds at the wait, and checks it there
//! (`WriteAhead::checked`): each section a value came from has the same
//! offset (or is still dropped), and each merged-string section's pieces
//! the same offsets. A file whose check fails is written as in the serial
//! link, and so is an input the wait does not find where its run has it
//! (the writer takes from a run only the inputs it finds there, and the
//! gaps between consecutive ones); so the output is the serial link's
//! either way.
//!
//! Allocated sections (code, data) go the same way where the output is
//! an executable: a pointer (`R_X86_64_64`) or a PC-relative reference
//! (`PC32`, `PLT32`) to a local symbol or to a global one defined (not
//! weakly) by an object placed ahead is final up to the address of the
//! target's output section (a patch), less the place's for a PC-relative
//! one (nothing to patch in the same output section). A pointer in
//! position-independent output also makes a relative dynamic relocation,
//! which the wait makes from the patched value, in the serial order.
//! What the value took of a global symbol is checked at the wait by the
//! symbol's final address (`Used::Global`). Such a reference to any other
//! global symbol (not placed yet, imported, weak: a call into an archive
//! member, a pointer to a later object's function) is written without
//! the target (`A`, less the place's offset), and the wait adds the
//! target's address as the serial write's short path finds it (a
//! *symbol patch*: `write::direct_global_target`), or makes it as the
//! serial write does where that is not the short path: 15,600 of the
//! 27,000 relocations synth-3000-g's wait made one by one, with a cache
//! miss or more each, for the file and section they are in.
//!
//! A TLS access that the serial write relaxes to local-exec (an
//! executable's own variable: `TPOFF32`, and `GOTTPOFF`, `TLSGD`,
//! `TLSLD`, TLS descriptors, their code rewritten) and an offset in the
//! TLS block in debug information (`DTPOFF32`) are written with the
//! variable's offset in its output section; the wait adds that section's
//! address less the thread pointer (or the TLS block's start), which
//! later inputs move (their `.tdata` comes before every `.tbss`): 9,700
//! more of synth-3000-g's. Everything else (the GOT, TLS variables not
//! placed yet or imported) is deferred, and so is a reference into an
//! init/fini array, which the wait sorts by priority.

use super::merge::MergeAhead;
use super::output_sections::{FileDests, Joined, Placed};
use super::{DynRel, Layout, NONE};
use crate::arch::{Arch, DecideCtx, Native};
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::{Options, OutputKind};
use crate::resolve::{Resolved, SymDef, SymbolId};
use crate::write::{NonAlloc, SecCtx};
use object::elf;
use rayon::prelude::*;

/// One input section written ahead: its bytes in its file's buffer, and
/// where its patches and deferred relocations end.
struct StagedSec {
    si: u32,
    start: usize,
    len: usize,
    patches_end: u32,
    deferred_end: u32,
}

/// A value that the wait completes with the address of output section
/// `out` (as joined ahead: its target's, a section placed ahead, goes
/// there in the end too): the low `width` bytes at `at` (in the section
/// being written; in a `Run`, in the output section); `k`, the
/// relocation's index in its section (the order of the dynamic
/// relocations; for `Pc`, the relocation made again if out of range).
#[derive(Clone, Copy)]
struct Patch<At> {
    at: At,
    out: u32,
    k: u32,
    width: u8,
    kind: PatchKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PatchKind {
    /// `+ base`.
    Abs,
    /// `+ base`, and a relative dynamic relocation of the value.
    Rel,
    /// `+ base - the place's output section's address`, a signed 32-bit
    /// value.
    Pc,
    /// Against global symbol `out`, not placed when written (a function or
    /// variable of a later input): `+` the address the serial write gives
    /// it (`write::direct_global_target`), in eight bytes, with a relative
    /// dynamic relocation in position-independent output as there; where
    /// that is not the short path, the relocation is made as the serial
    /// write makes it.
    SymAbs,
    /// The same, PC-relative: `+ that address - the place's output
    /// section's address`, a signed 32-bit value; `SymCall` for a call
    /// (`Arch::direct_plt32`), which reaches a PLT entry where there is one.
    SymPc,
    SymCall,
    /// A TLS access relaxed to local-exec (`Arch`'s `TlsValue::FromTp`):
    /// `+ base -` the thread pointer; four bytes are a signed value.
    Tp,
    /// An offset in the TLS block (`TlsValue::FromBlock`): `+ base -` the
    /// TLS segment's start; the same.
    Block,
}

/// One output section's inputs written ahead, from its start: `segs`, the
/// bytes (a segment per step, in offset order, zeros between inputs);
/// `staged`, each input written (offset, file, section), in offset order;
/// its patches and deferred relocations (section start, file, section,
/// index in its relocations), in offset order.
#[derive(Default)]
struct Run {
    segs: Vec<(u64, Vec<u8>)>,
    staged: Vec<(u64, u32, u32)>,
    patches: Vec<Patch<u64>>,
    deferred: Vec<(u64, u32, u32, u32)>,
}

/// What a value written ahead took from a section of its file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Used {
    /// A section's offset in its output section (or `None`: dropped).
    Placed(u32, Option<u64>),
    /// A merged-string section's piece offsets.
    Pieces(u32),
    /// That a global symbol of the file (by index) is still defined by it.
    Defined(u32),
    /// That global symbol `.0`, written as at its own address, still is
    /// (not imported, no PLT entry), at offset `.2` of output section `.1`
    /// (joined ahead: what its patches add the address of).
    Global(SymbolId, u32, u64),
}

/// One object's sections written ahead (until they join the runs).
#[derive(Default)]
struct FileStaged {
    bytes: Vec<u8>,
    /// By section index.
    secs: Vec<StagedSec>,
    patches: Vec<Patch<u32>>,
    /// Indices into the section's relocations (raw ones for a debug
    /// section).
    deferred: Vec<u32>,
    /// What the values took (kept to the wait, which checks it).
    checks: FileChecks,
}

/// What an object's values written ahead assumed (`used`), with the
/// file's piece offsets when it was written (for `Used::Pieces`).
#[derive(Default)]
struct FileChecks {
    used: Vec<Used>,
    piece_out: Vec<u64>,
}

/// The sections of the objects laid out ahead, written (in resolution
/// order), by output section.
#[derive(Default)]
pub struct WriteAhead {
    /// Per object written: what the wait checks.
    files: Vec<FileChecks>,
    /// By output section index: joined (`Joined`) until the wait's layout
    /// is checked, then the layout's (`checked`).
    runs: Vec<Run>,
    /// Per object, at the wait: whether its assumptions failed (it is
    /// written as in the serial link).
    failed: Vec<bool>,
    /// At the wait, by output section as joined ahead: its address
    /// (what patches add).
    bases: Vec<u64>,
    /// The output kind and `--no-relax`, which decide relocations (TLS
    /// relaxations, for one); allocated sections are written too if the
    /// kind is an executable.
    decide: Option<(OutputKind, bool)>,
}

/// How a relocation's value is written ahead.
enum Value {
    /// Final.
    Done(u64),
    /// Final once output section `.0` (joined ahead) adds its address.
    Patch(u32, u64),
    /// Left to the wait.
    Defer,
}

impl WriteAhead {
    /// Whether sections are written ahead for a link with `opts`: not
    /// where the written bytes are read again (compressed, indexed, moved to
    /// a separate file, their relocations emitted).
    pub(super) fn applies(opts: &Options) -> bool {
        opts.compress_debug == crate::options::CompressDebug::None
            && !opts.gdb_index
            && opts.separate_debug_file.is_none()
            && !opts.emit_relocs
            && !opts.strip_debug
            && !opts.strip_all
    }

    /// Writes the debug sections of the objects of `res` after those in,
    /// up to object `to` (which `placed`, `merge` and `joined` have in),
    /// and their allocated sections too if `kind` (the output kind) is an
    /// executable, per object in parallel, then joins them to the runs in
    /// order. The places of objects from `fixed` on are not final (see
    /// `FileCtx::fixed`): nothing is written against them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn feed(
        &mut self,
        res: &Resolved,
        (to, fixed): (usize, usize),
        dests: &[FileDests],
        joined: &Joined,
        placed: &Placed,
        merge: &MergeAhead,
        (kind, no_relax): (Option<OutputKind>, bool),
    ) {
        let from = self.files.len();
        if from == 0 {
            self.decide = kind.map(|k| (k, no_relax));
        }
        let alloc = self.decide.map(|d| d.0).filter(|k| k.is_executable());
        // (Without a kind, only debug sections' offsets in the TLS block,
        // which no kind changes.)
        let (kind, no_relax) = self.decide.unwrap_or((OutputKind::Shared, false));
        let to = to.min(res.objects.len()).min(dests.len());
        let more: Vec<FileStaged> = (from..to)
            .into_par_iter()
            .map(|f| {
                // This file's merged-string sections' output sections.
                let d = &dests[f];
                let merge_out: Vec<(u32, u32)> = d
                    .sections
                    .iter()
                    .filter(|s| s.merge && !d.out(s).unique)
                    .filter_map(|s| Some((s.si, *joined.by_name.get(&d.out(s).key())?)))
                    .collect();
                let ctx = FileCtx {
                    res,
                    f,
                    row: placed.row(f),
                    piece_out: merge.piece_row(f),
                    merge_out: &merge_out,
                    joined,
                    placed,
                    fixed,
                    alloc,
                    decide: DecideCtx::new(kind, no_relax),
                };
                ctx.stage()
            })
            .collect();
        if self.runs.len() < joined.sections.len() {
            self.runs.resize_with(joined.sections.len(), Run::default);
        }
        self.join_runs(from, more, placed);
    }

    /// Adds the sections of `staged` (objects `from`...) to the runs of
    /// their output sections: a segment per output section, from the
    /// first to the end of the last. A section placed before the end of
    /// its run (not in offset order) is left to the wait's write.
    fn join_runs(&mut self, from: usize, staged: Vec<FileStaged>, placed: &Placed) {
        // Per output section: the sections joining it, (file, index in
        // its `secs`, offset), and where they end.
        let mut joining: Vec<Vec<(usize, usize, u64)>> = vec![Vec::new(); self.runs.len()];
        let mut ends: Vec<u64> = self.runs.iter().map(Run::end).collect();
        for (k, fs) in staged.iter().enumerate() {
            let row = placed.row(from + k);
            for (n, sec) in fs.secs.iter().enumerate() {
                let (oi, off) = row[sec.si as usize];
                let oi = oi as usize;
                if oi < ends.len() && off >= ends[oi] {
                    joining[oi].push((k, n, off));
                    ends[oi] = off + sec.len as u64;
                }
            }
        }
        for (oi, list) in joining.into_iter().enumerate() {
            let Some(&(_, _, first)) = list.first() else {
                continue;
            };
            let run = &mut self.runs[oi];
            let mut seg = vec![0u8; (ends[oi] - first) as usize];
            for (k, n, off) in list {
                let (fs, f) = (&staged[k], (from + k) as u32);
                let sec = &fs.secs[n];
                let at = (off - first) as usize;
                seg[at..at + sec.len].copy_from_slice(&fs.bytes[sec.start..sec.start + sec.len]);
                run.staged.push((off, f, sec.si));
                let (p0, d0) = match n {
                    0 => (0, 0),
                    _ => (fs.secs[n - 1].patches_end, fs.secs[n - 1].deferred_end),
                };
                run.patches.extend(
                    fs.patches[p0 as usize..sec.patches_end as usize]
                        .iter()
                        .map(|p| Patch {
                            at: off + u64::from(p.at),
                            out: p.out,
                            k: p.k,
                            width: p.width,
                            kind: p.kind,
                        }),
                );
                run.deferred.extend(
                    fs.deferred[d0 as usize..sec.deferred_end as usize]
                        .iter()
                        .map(|&r| (off, f, sec.si, r)),
                );
            }
            run.segs.push((first, seg));
        }
        self.files.extend(staged.into_iter().map(|fs| fs.checks));
    }

    /// How many objects are in.
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// For `--stats`: how many relocations of the sections taken were left
    /// to the wait, and the objects with the most of them (at most `top`,
    /// with how many).
    pub(crate) fn left_to_wait(&self, res: &Resolved, top: usize) -> (usize, usize, String) {
        let mut per_file = std::collections::BTreeMap::<u32, usize>::new();
        for d in self.runs.iter().flat_map(|r| &r.deferred) {
            if !self.failed(d.1) {
                *per_file.entry(d.1).or_default() += 1;
            }
        }
        let mut most: Vec<(u32, usize)> = per_file.iter().map(|(&f, &n)| (f, n)).collect();
        most.sort_by_key(|&(f, n)| (std::cmp::Reverse(n), f));
        let shown: Vec<String> = (most.iter().take(top))
            .map(|&(f, n)| format!("{} {n}", res.objects[f as usize].name))
            .collect();
        (per_file.values().sum(), per_file.len(), shown.join(", "))
    }

    /// The runs by the final layout `l`'s output sections (`remap`: from
    /// the joined sections' indices), and which files' assumptions fail
    /// in it (their sections are written as in the serial link); with how
    /// many sections that keeps, of how many, for `--stats`.
    pub(super) fn checked(
        mut self,
        res: &Resolved,
        l: &Layout,
        remap: &[u32],
    ) -> (Self, usize, usize) {
        self.files.truncate(res.objects.len());
        self.bases = (remap.iter())
            .map(|&n| l.sections.get(n as usize).map_or(0, |s| s.addr))
            .collect();
        let bases = &self.bases;
        self.failed = self
            .files
            .par_iter()
            .enumerate()
            .map(|(f, c)| !c.holds(res, l, f, bases))
            .collect();
        let mut runs: Vec<Run> = std::iter::repeat_with(Run::default)
            .take(l.sections.len())
            .collect();
        for (oi, run) in std::mem::take(&mut self.runs).into_iter().enumerate() {
            match remap.get(oi) {
                Some(&n) if (n as usize) < runs.len() => runs[n as usize] = run,
                _ => {}
            }
        }
        self.runs = runs;
        let all = || self.runs.iter().flat_map(|r| &r.staged);
        let kept = all().filter(|s| !self.failed(s.1)).count();
        let made = all().count();
        (self, kept, made)
    }

    /// Whether object `f` is written as in the serial link.
    pub(crate) fn failed(&self, f: u32) -> bool {
        self.failed.get(f as usize).copied().unwrap_or(true)
    }

    /// The inputs of output section `os` written ahead: (offset, file,
    /// section), in offset order (those of failed files too).
    pub(crate) fn staged(&self, os: usize) -> &[(u64, u32, u32)] {
        self.runs.get(os).map_or(&[], |r| &r.staged[..])
    }

    /// Writes `out`, the part of output section `os` from offset `from`,
    /// from its run: the bytes, then per input section its patches and
    /// deferred relocations (`out` covers only inputs written ahead, all
    /// of them from `from` on, and the gaps between them, see `staged`);
    /// returns the dynamic relocations they make, in the serial write's
    /// order (by section, then relocation).
    pub(crate) fn write_run(
        &self,
        res: &Resolved,
        l: &Layout,
        ctx: &DecideCtx,
        (os, from): (usize, u64),
        out: &mut [u8],
    ) -> Result<Vec<DynRel>, String> {
        let run = &self.runs[os];
        let to = from + out.len() as u64;
        let first = run.segs.partition_point(|s| s.0 + s.1.len() as u64 <= from);
        for (start, bytes) in run.segs[first..].iter().take_while(|s| s.0 < to) {
            let lo = from.max(*start);
            let hi = to.min(start + bytes.len() as u64);
            out[(lo - from) as usize..(hi - from) as usize]
                .copy_from_slice(&bytes[(lo - start) as usize..(hi - start) as usize]);
        }
        let os_addr = l.sections[os].addr;
        let (mut rels, mut made) = (Vec::new(), Vec::new());
        let (mut patches, mut deferred) = (
            &run.patches[run.patches.partition_point(|p| p.at < from)..],
            &run.deferred[run.deferred.partition_point(|d| d.0 < from)..],
        );
        let first = run.staged.partition_point(|s| s.0 < from);
        let staged = &run.staged[first..];
        let staged = &staged[..staged.partition_point(|s| s.0 < to)];
        for (i, &(start, f, si)) in staged.iter().enumerate() {
            // Its patches end before the next input (no input's size is
            // read: a scattered table per input).
            let next = staged.get(i + 1).map_or(to, |s| s.0);
            // (Counted, not searched for: most inputs have a few.)
            let n = patches.iter().take_while(|p| p.at < next).count();
            let (mine, rest) = patches.split_at(n);
            patches = rest;
            // (By the section too: an empty one may start where the next.)
            let n = (deferred.iter())
                .take_while(|d| (d.0, d.1, d.2) == (start, f, si))
                .count();
            let (later, rest) = deferred.split_at(n);
            deferred = rest;
            if mine.is_empty() && later.is_empty() {
                continue;
            }
            let sec = SectionAt {
                res,
                l,
                ctx,
                f: f as usize,
                si: si as usize,
                start,
                addr: os_addr + start,
            };
            let len = out.len();
            let within = |end: u64| {
                let r = (start - from) as usize..(end - from) as usize;
                (r.start <= r.end && r.end <= len)
                    .then_some(r)
                    .ok_or_else(|| "internal error: an input outside its run".to_string())
            };
            made.clear();
            sec.patch(mine, &self.bases, &mut out[within(next)?], &mut made)?;
            if !later.is_empty() {
                let patched = made.len();
                let ks = later.iter().map(|d| d.3);
                let out = &mut out[within(start + sec.size())?];
                deferred_relocs(res, l, ctx, (sec.f, sec.si), ks, out, &mut made)?;
                if patched > 0 && made.len() > patched {
                    // Both made some: in relocation order, as the serial
                    // write makes them.
                    made.sort_by_key(|m| m.0);
                }
            }
            rels.extend(made.drain(..).map(|m| m.1));
        }
        Ok(rels)
    }
}

/// An input section in the output, being written from a run.
struct SectionAt<'a> {
    res: &'a Resolved,
    l: &'a Layout,
    ctx: &'a DecideCtx,
    f: usize,
    si: usize,
    /// Its offset in its output section, and its address.
    start: u64,
    addr: u64,
}

impl SectionAt<'_> {
    /// Its size.
    fn size(&self) -> u64 {
        self.res.objects[self.f].sections[self.si].size
    }

    /// Applies `patches` (its own, at offsets in the output section) to
    /// `out`, the section and what follows it up to the next input
    /// (`bases`: the output sections' addresses, as joined ahead); returns
    /// the dynamic relocations made, with their relocations' indices, in
    /// `made`.
    fn patch(
        &self,
        patches: &[Patch<u64>],
        bases: &[u64],
        out: &mut [u8],
        made: &mut Vec<(u32, DynRel)>,
    ) -> Result<(), String> {
        let start = self.start;
        let place_os = self.addr - start;
        for p in patches {
            let at = (p.at - start) as usize;
            let d = &mut out[at..at + p.width as usize];
            let stored = crate::write::load_le(d);
            // What to add, and whether the value is PC-relative or makes a
            // relative dynamic relocation.
            let (base, pc, rel) = match p.kind {
                PatchKind::Tp | PatchKind::Block => {
                    let base = bases.get(p.out as usize).copied().unwrap_or(0);
                    let from = match p.kind {
                        PatchKind::Tp => self.l.tp,
                        _ => self.l.tls_start,
                    };
                    if p.width == 8 {
                        crate::write::store_le(d, stored.wrapping_add(base).wrapping_sub(from));
                        continue;
                    }
                    let v = stored as u32 as i32 as i128 + base as i128 - from as i128;
                    match i32::try_from(v) {
                        Ok(v) => crate::write::store_le(d, v as u32 as u64),
                        // Out of range: the serial write's path says so.
                        Err(_) => self.general(p.k, out, made)?,
                    }
                    continue;
                }
                PatchKind::Abs | PatchKind::Rel | PatchKind::Pc => (
                    bases.get(p.out as usize).copied().unwrap_or(0),
                    p.kind == PatchKind::Pc,
                    p.kind == PatchKind::Rel,
                ),
                PatchKind::SymAbs | PatchKind::SymPc | PatchKind::SymCall => {
                    let (id, l) = (p.out, self.l);
                    let t = l.global_props[id as usize];
                    let call = p.kind == PatchKind::SymCall;
                    let pc = p.kind != PatchKind::SymAbs;
                    match crate::write::direct_global_target(l, call, pc, id, t) {
                        Some(s) => (s, pc, !pc && self.ctx.pic && !t.absolute),
                        None => {
                            self.general(p.k, out, made)?;
                            continue;
                        }
                    }
                }
            };
            if !pc {
                let v = stored.wrapping_add(base);
                crate::write::store_le(d, v);
                if rel {
                    made.push((p.k, relative(self.addr + at as u64, v)));
                }
                continue;
            }
            let v = stored as u32 as i32 as i128 + base as i128 - place_os as i128;
            match i32::try_from(v) {
                Ok(v) => crate::write::store_le(d, v as u32 as u64),
                // Out of range: the serial write's path says so.
                Err(_) => self.general(p.k, out, made)?,
            }
        }
        Ok(())
    }

    /// Makes relocation `k` as the serial write makes it, into `out` (the
    /// section and what follows it); its dynamic relocation into `made`.
    fn general(&self, k: u32, out: &mut [u8], made: &mut Vec<(u32, DynRel)>) -> Result<(), String> {
        let out = &mut out[..self.size() as usize];
        let sec = (self.f, self.si);
        deferred_relocs(self.res, self.l, self.ctx, sec, [k].into_iter(), out, made)
    }
}

/// A relative dynamic relocation of value `v` at `place`.
fn relative(place: u64, v: u64) -> DynRel {
    DynRel {
        offset: place,
        rtype: Native::R_RELATIVE,
        dynsym: 0,
        addend: v as i64,
    }
}

#[cfg(test)]
impl WriteAhead {
    /// Runs of output sections that hold only their `staged` lists, and
    /// which files failed: what the writer's choice of regions reads.
    pub(crate) fn with_staged(staged: Vec<Vec<(u64, u32, u32)>>, failed: Vec<bool>) -> Self {
        let runs = staged
            .into_iter()
            .map(|staged| Run {
                staged,
                ..Run::default()
            })
            .collect();
        WriteAhead {
            files: Vec::new(),
            runs,
            failed,
            bases: Vec::new(),
            decide: None,
        }
    }
}

impl Run {
    /// Where its bytes end (0: none).
    fn end(&self) -> u64 {
        self.segs.last().map_or(0, |s| s.0 + s.1.len() as u64)
    }
}

/// Makes the relocations `ks` (indices into its relocations, the raw ones
/// of a debug section) of input section `si` of object `f`, written ahead
/// but for them, into `out` (the section in the output), as the serial
/// write does them; adds the dynamic relocations they make to `made`,
/// with their indices. An absolute value against a global symbol in a
/// debug section (most of them) is what `SecCtx::relocate` writes for it,
/// without the context it builds for the others; `stage_section` checked
/// its symbol and place.
fn deferred_relocs(
    res: &Resolved,
    l: &Layout,
    ctx: &DecideCtx,
    (f, si): (usize, usize),
    ks: impl Iterator<Item = u32>,
    out: &mut [u8],
    made: &mut Vec<(u32, DynRel)>,
) -> Result<(), String> {
    let o = &res.objects[f];
    let isec = &o.sections[si];
    if isec.is_alloc() {
        // Each as the serial write makes it; one that takes the next with
        // it (a TLS call relaxed) has the next deferred too
        // (`stage_alloc_section`).
        let c = SecCtx::new(res, l, ctx, f, si);
        let relocs = o.relocs_of(isec);
        let mut skip = None;
        let mut rels = Vec::new();
        for k in ks {
            if skip == Some(k) {
                continue;
            }
            let r = relocs[k as usize];
            if c.relocate(out, &r, &mut rels)? {
                skip = Some(k + 1);
            }
            made.extend(rels.drain(..).map(|r| (k, r)));
        }
        return Ok(());
    }
    let raw = o.raw_relocs(si);
    let abs = NonAlloc::new(res, l, f, crate::write::is_debug_list(isec.name.get()));
    let mut general = None;
    let mut none = Vec::new();
    for k in ks {
        let r = raw[k as usize];
        match Native::non_alloc_abs_width(r.rtype()) {
            Some(n) => {
                let at = r.offset() as usize;
                crate::write::store_le(&mut out[at..at + n], abs.value(r.sym(), r.addend()));
            }
            _ => {
                let c = general.get_or_insert_with(|| SecCtx::new(res, l, ctx, f, si));
                c.relocate(out, &c.raw(&raw[k as usize])?, &mut none)?;
            }
        }
    }
    Ok(())
}

impl FileChecks {
    /// Whether what this file's sections were written with holds in `l`.
    fn holds(&self, res: &Resolved, l: &Layout, f: usize, bases: &[u64]) -> bool {
        let Some(row) = l.placement.get(f) else {
            return false;
        };
        let o = &res.objects[f];
        self.used.iter().all(|u| match *u {
            Used::Placed(sh, off) => {
                let (osec, now) = row[sh as usize];
                match off {
                    Some(off) => osec != NONE && now == off,
                    None => osec == NONE,
                }
            }
            Used::Pieces(sh) => {
                let r = o.piece_range(sh as usize);
                row[sh as usize].0 != NONE
                    && l.piece_out
                        .get(f)
                        .and_then(|p| p.get(r.clone()))
                        .is_some_and(|p| Some(p) == self.piece_out.get(r))
            }
            Used::Defined(sym) => res
                .global_of(f, sym)
                .is_some_and(|id| defines(res, id, f, sym)),
            Used::Global(id, out, off) => {
                let (p, i) = (l.global_props[id as usize], &l.sym_info[id as usize]);
                p.at_own_address()
                    && !p.absolute
                    && i.plt == NONE
                    && bases
                        .get(out as usize)
                        .is_some_and(|b| l.sym_values[id as usize] == b.wrapping_add(off))
            }
        })
    }
}

/// Whether global symbol `id` (symbol `sym` of object `f`) is defined by
/// that symbol, and not weakly (so no later input can override it).
fn defines(res: &Resolved, id: crate::resolve::SymbolId, f: usize, sym: u32) -> bool {
    let g = &res.symbols[id as usize];
    !g.weak_def
        && g.def
            == crate::resolve::SymDef::Object {
                file: f as u32,
                sym,
            }
}

/// What writing one object's sections ahead reads.
struct FileCtx<'a> {
    res: &'a Resolved,
    f: usize,
    /// Its sections' places (joined output section, offset).
    row: &'a [(u32, u64)],
    piece_out: &'a [u64],
    /// Its merged-string sections' output sections.
    merge_out: &'a [(u32, u32)],
    joined: &'a Joined,
    /// Every object's places (for other objects' symbols), final for the
    /// objects before `fixed` (those after a gap move when it is filled:
    /// `LayoutAhead`'s `float`).
    placed: &'a Placed,
    fixed: usize,
    /// The output kind, if allocated sections are written too.
    alloc: Option<OutputKind>,
    /// How the serial write decides relocations.
    decide: DecideCtx,
}

impl FileCtx<'_> {
    fn obj(&self) -> &ObjectFile {
        &self.res.objects[self.f]
    }

    fn stage(&self) -> FileStaged {
        let o = self.obj();
        let mut fs = FileStaged::default();
        for (si, isec) in o.sections.iter().enumerate() {
            let alloc = match isec.kind {
                SectionKind::NonAlloc => false,
                SectionKind::Alloc if self.alloc.is_some() => true,
                _ => continue,
            };
            if isec.is_nobits()
                || self.row.get(si).is_none_or(|p| p.0 == NONE)
                // Nothing to relocate: copied at the wait as from a run,
                // and not held twice till then.
                || (alloc && isec.size > 4096 && o.relocs_of(isec).is_empty())
                // Old-style constructor lists may be written reversed.
                || (alloc && [&b".ctors"[..], b".dtors"].iter().any(|n| isec.name.get().starts_with(n)))
            {
                continue;
            }
            let (b, p, d, u) = (
                fs.bytes.len(),
                fs.patches.len(),
                fs.deferred.len(),
                fs.checks.used.len(),
            );
            let staged = match alloc {
                true => self.stage_alloc_section(si, &mut fs),
                false => self.stage_section(si, &mut fs),
            };
            if staged.is_none() {
                // Left to the wait's write as a whole (which reports what
                // is wrong with it, if anything).
                fs.bytes.truncate(b);
                fs.patches.truncate(p);
                fs.deferred.truncate(d);
                fs.checks.used.truncate(u);
                continue;
            }
            fs.secs.push(StagedSec {
                si: si as u32,
                start: b,
                len: fs.bytes.len() - b,
                patches_end: fs.patches.len() as u32,
                deferred_end: fs.deferred.len() as u32,
            });
        }
        fs.checks.used.sort_unstable();
        fs.checks.used.dedup();
        if fs.checks.used.iter().any(|u| matches!(u, Used::Pieces(_))) {
            fs.checks.piece_out = self.piece_out.to_vec();
        }
        fs
    }

    /// Copies section `si` into `fs` and relocates it; `None` if a
    /// relocation is not one written ahead.
    fn stage_section(&self, si: usize, fs: &mut FileStaged) -> Option<()> {
        let o = self.obj();
        let isec = &o.sections[si];
        let start = fs.bytes.len();
        fs.bytes.extend_from_slice(o.section_data(si));
        let size = fs.bytes.len() - start;
        let list = crate::write::is_debug_list(isec.name.get());
        for (k, r) in o.raw_relocs(si).iter().enumerate() {
            if Native::is_dtp_rel(r.rtype()) && (r.sym() as usize) < o.symbols.len() {
                // An offset in the TLS block: a patch, or at the wait.
                let (out, used) = (&mut fs.bytes[start..], &mut fs.checks.used);
                match self.stage_tls(si, out, used, r, k) {
                    Some((patch, _)) => fs.patches.extend(patch),
                    None => fs.deferred.push(k as u32),
                }
                continue;
            }
            let n = Native::non_alloc_abs_width(r.rtype())?;
            if r.sym() as usize >= o.symbols.len()
                || r.offset().checked_add(n as u64)? > size as u64
                || r.offset() > u32::MAX as u64
            {
                return None;
            }
            let value = match self.res.global_of(self.f, r.sym()) {
                None => self.local_value(r.sym(), r.addend(), list, &mut fs.checks.used),
                Some(id) if self.own_plain_global(id, r.sym()) => {
                    fs.checks.used.push(Used::Defined(r.sym()));
                    self.local_value(r.sym(), r.addend(), list, &mut fs.checks.used)
                }
                Some(_) => Value::Defer,
            };
            let v = match value {
                Value::Done(v) => v,
                Value::Patch(out, v) => {
                    fs.patches.push(Patch {
                        at: r.offset() as u32,
                        out,
                        k: k as u32,
                        width: n as u8,
                        kind: PatchKind::Abs,
                    });
                    v
                }
                Value::Defer => {
                    fs.deferred.push(k as u32);
                    continue;
                }
            };
            let at = start + r.offset() as usize;
            crate::write::store_le(&mut fs.bytes[at..at + n], v);
        }
        Some(())
    }

    /// Copies allocated section `si` into `fs` and relocates it, as far as
    /// known ahead (see the module's doc); `None` if it is not one to
    /// write ahead.
    fn stage_alloc_section(&self, si: usize, fs: &mut FileStaged) -> Option<()> {
        let o = self.obj();
        let isec = &o.sections[si];
        let pic = self.alloc?.is_pic();
        let start = fs.bytes.len();
        fs.bytes.extend_from_slice(o.section_data(si));
        let size = (fs.bytes.len() - start) as u64;
        let (place_oi, place_off) = self.row[si];
        let mut defer_next = false;
        // A relocation a TLS relaxation made ahead consumed (the call).
        let mut skip = None;
        for (k, r) in o.relocs_of(isec).iter().enumerate() {
            if skip == Some(k) {
                continue;
            }
            let (abs64, pc) = (
                Native::direct_abs64(r.rtype()),
                Native::direct_pc32(r.rtype()),
            );
            if !(abs64 || pc || defer_next) {
                let (out, used) = (&mut fs.bytes[start..], &mut fs.checks.used);
                if let Some((patch, skip_next)) = self.stage_tls(si, out, used, r, k) {
                    fs.patches.extend(patch);
                    skip = skip_next.then_some(k + 1);
                    continue;
                }
            }
            let width = if abs64 { 8 } else { 4 };
            let fits = r
                .offset()
                .checked_add(width)
                .is_some_and(|e| e <= size.min(u32::MAX as u64));
            let short = (abs64 || pc) && !defer_next && fits;
            let target = match short {
                true => self.alloc_target(r.sym(), r.addend(), &mut fs.checks.used),
                false => None,
            };
            // A type not written here may be one of a pair the wait makes
            // together (a TLS call relaxed): the next waits with it.
            defer_next = Native::may_take_next(r.rtype());
            let Some((base, v)) = target else {
                match short.then(|| self.res.global_of(self.f, r.sym())).flatten() {
                    Some(id) => self.stage_sym_patch(fs, (start, place_off), r, k, id),
                    None => fs.deferred.push(k as u32),
                }
                continue;
            };
            let patch = |kind, width| Patch {
                at: r.offset() as u32,
                out: base.unwrap_or(0),
                k: k as u32,
                width,
                kind,
            };
            let at = start + r.offset() as usize;
            if abs64 {
                if base.is_some() {
                    fs.patches
                        .push(patch(if pic { PatchKind::Rel } else { PatchKind::Abs }, 8));
                }
                crate::write::store_le(&mut fs.bytes[at..at + 8], v);
                continue;
            }
            // `S + A - P`, all but the output sections' addresses.
            let d = v as i64 as i128 - (place_off + r.offset()) as i128;
            let d = match (base, i32::try_from(d).ok()) {
                (Some(oi), Some(d)) if oi == place_oi => d,
                (Some(_), Some(d)) => {
                    fs.patches.push(patch(PatchKind::Pc, 4));
                    d
                }
                _ => {
                    fs.deferred.push(k as u32);
                    continue;
                }
            };
            crate::write::store_le(&mut fs.bytes[at..at + 4], d as u32 as u64);
        }
        Some(())
    }

    /// Relocation `r` (the `k`th of its section, at `start` in `fs.bytes`,
    /// at `place_off` in its output section), a direct one against global
    /// symbol `id` whose place is not known: as much of its value as is
    /// (`A`, less the place's offset for a PC-relative one), and a patch
    /// that adds the symbol's address at the wait. (A symbol's id does not
    /// change once an object that refers to it is laid out: a filled gap
    /// renumbers only the names made after it.)
    fn stage_sym_patch(
        &self,
        fs: &mut FileStaged,
        (start, place_off): (usize, u64),
        r: &crate::object_file::Reloc,
        k: usize,
        id: SymbolId,
    ) {
        let at = start + r.offset() as usize;
        let (kind, width, v) = if Native::direct_abs64(r.rtype()) {
            (PatchKind::SymAbs, 8, r.addend() as u64)
        } else {
            let d = r.addend() as i128 - (place_off + r.offset()) as i128;
            let Ok(d) = i32::try_from(d) else {
                fs.deferred.push(k as u32);
                return;
            };
            let call = Native::direct_plt32(r.rtype());
            let kind = if call {
                PatchKind::SymCall
            } else {
                PatchKind::SymPc
            };
            (kind, 4, d as u32 as u64)
        };
        crate::write::store_le(&mut fs.bytes[at..at + width as usize], v);
        fs.patches.push(Patch {
            at: r.offset() as u32,
            out: id,
            k: k as u32,
            width,
            kind,
        });
    }

    /// Relocation `r` (the `k`th of section `si`, whose bytes `out` holds)
    /// if the serial write makes it a TLS access relaxed to local-exec, or
    /// an offset in the TLS block (`Arch`'s `TlsValue`), and its target is
    /// placed ahead: made here as `Arch::apply` makes it, with the
    /// target's offset in its output section for its address, and with
    /// the patch that completes the value at the wait (none if the code is
    /// all there is); and whether it consumed the next relocation (the
    /// `__tls_get_addr` call). `None` to leave it to the wait; records in
    /// `used` what it took.
    fn stage_tls(
        &self,
        si: usize,
        out: &mut [u8],
        used: &mut Vec<Used>,
        r: &crate::object_file::Reloc,
        k: usize,
    ) -> Option<(Option<Patch<u32>>, bool)> {
        use crate::arch::{RelocAction, RelocValues, TlsValue};
        let o = self.obj();
        let isec = &o.sections[si];
        let alloc = isec.is_alloc();
        let sym = r.sym();
        let mut took = Vec::new();
        // The target: its props as the serial write finds them, its output
        // section (joined ahead) and its offset there.
        let (t, target) = match self.res.global_of(self.f, sym) {
            None => {
                let t = crate::layout::scan::target_props(self.res, self.kind(), self.f, sym);
                let target = match self.local_value(sym, 0, false, &mut took) {
                    Value::Patch(oi, off) => Some((oi, off)),
                    _ => None,
                };
                (t, target)
            }
            Some(id) => {
                let (oi, off) = self.placed_global(id, true)?;
                took.push(Used::Global(id, oi, off));
                (Default::default(), Some((oi, off)))
            }
        };
        let (action, needs) = Native::decide(
            &self.decide,
            r.rtype(),
            t,
            alloc,
            isec.flags & elf::SHF_WRITE != 0,
            o.section_data(si),
            r.offset(),
        )
        .ok()?;
        let field = action.tls_value()?;
        let (oi, off) = match (field, target) {
            (TlsValue::Fixed, _) => (0, 0),
            (_, Some(target)) => target,
            (_, None) => return None,
        };
        let v = RelocValues {
            s: off,
            ..Default::default()
        };
        // The bytes a rewrite may touch, put back if it fails (the wait
        // then makes it from the input's code).
        let keep = r.offset().saturating_sub(8) as usize..out.len().min(r.offset() as usize + 24);
        let mut kept = [0u8; 32];
        let kept = kept.get_mut(..keep.len())?;
        kept.copy_from_slice(out.get(keep.clone())?);
        if Native::apply(action, out, r.offset(), 0, r.addend(), &v, alloc).is_err() {
            out[keep].copy_from_slice(kept);
            return None;
        }
        used.extend(took);
        let patch = match field {
            TlsValue::Fixed => None,
            TlsValue::FromTp { at, width } | TlsValue::FromBlock { at, width } => Some(Patch {
                at: u32::try_from(r.offset() + u64::from(at)).ok()?,
                out: oi,
                k: k as u32,
                width,
                kind: match field {
                    TlsValue::FromTp { .. } => PatchKind::Tp,
                    _ => PatchKind::Block,
                },
            }),
        };
        Some((patch, needs.skip_next))
    }

    /// Whether the inputs of output section `oi` (as joined) keep the
    /// places they were given ahead: not an init/fini array, which the
    /// wait sorts by priority (a later input may come before them).
    fn settled(&self, oi: u32) -> bool {
        (self.joined.sections.get(oi as usize))
            .is_some_and(|s| !super::output_sections::reordered(&s.name))
    }

    /// The output kind (for target props; any, where only debug sections
    /// are written).
    fn kind(&self) -> OutputKind {
        self.alloc.unwrap_or(OutputKind::Shared)
    }

    /// Where the target of symbol `sym` plus `addend` is, written ahead in
    /// an allocated section: the output section (joined ahead) whose
    /// address the value lacks, or none for an absolute one, and the rest
    /// of the value; `None` to leave it to the wait. Records in `used`
    /// what it took.
    fn alloc_target(
        &self,
        sym: u32,
        addend: i64,
        used: &mut Vec<Used>,
    ) -> Option<(Option<u32>, u64)> {
        let o = self.obj();
        let s = o.symbols.get(sym as usize)?;
        let Some(id) = self.res.global_of(self.f, sym) else {
            if s.typ == elf::STT_TLS {
                return None;
            }
            if s.shndx == elf::SHN_ABS as u32 {
                return Some((None, s.value.wrapping_add(addend as u64)));
            }
            if s.value >= 1 << 48 {
                // (Below, an offset plus the addend is the exact value.)
                return None;
            }
            return match self.local_value(sym, addend, false, used) {
                Value::Patch(oi, v) => Some((Some(oi), v)),
                _ => None,
            };
        };
        let (oi, off) = self.placed_global(id, false)?;
        used.push(Used::Global(id, oi, off));
        Some((Some(oi), off.wrapping_add(addend as u64)))
    }

    /// Where global symbol `id` is as placed ahead (its output section as
    /// joined, its offset there), if the serial write takes that place for
    /// it: defined (not weakly, not preemptibly) by an object placed ahead,
    /// in a section that keeps its place, as a thread-local variable if
    /// `tls`, else as neither that nor an IFUNC.
    fn placed_global(&self, id: SymbolId, tls: bool) -> Option<(u32, u64)> {
        let g = &self.res.symbols[id as usize];
        let SymDef::Object { file, sym } = g.def else {
            return None;
        };
        if file as usize >= self.fixed {
            return None;
        }
        let d = &self.res.objects[file as usize];
        let ds = &d.symbols[sym as usize];
        let sh = ds.shndx as usize;
        let &(oi, off) = self.placed.row(file as usize).get(sh)?;
        let typ_ok = match tls {
            true => ds.typ == elf::STT_TLS,
            false => !matches!(ds.typ, elf::STT_GNU_IFUNC | elf::STT_TLS),
        };
        if g.weak_def
            || g.preemptible
            || !typ_ok
            || oi == NONE
            || !self.settled(oi)
            || d.sections[sh].kind != SectionKind::Alloc
        {
            return None;
        }
        Some((oi, off.checked_add(ds.value).filter(|&v| v < 1 << 48)?))
    }

    /// Whether global symbol `sym` (id `id`) is one this object defines (`defines`)
    /// in a section of its own placed ahead, as data or code: what the
    /// serial write gives it is then what `local_value` gives a local
    /// symbol there (`l.sym_values` is that section's address plus the
    /// symbol's offset in it).
    fn own_plain_global(&self, id: crate::resolve::SymbolId, sym: u32) -> bool {
        let o = self.obj();
        let s = &o.symbols[sym as usize];
        let sh = s.shndx as usize;
        // Placed ahead: a real section of the object (not the null one,
        // `SHN_ABS` or `SHN_COMMON`, which no row holds).
        defines(self.res, id, self.f, sym)
            && !matches!(s.typ, elf::STT_GNU_IFUNC | elf::STT_TLS)
            && self.row.get(sh).is_some_and(|p| p.0 != NONE)
            && !matches!(
                o.sections[sh].kind,
                SectionKind::EhFrame | SectionKind::MergeStrings
            )
    }

    /// `S + A` against local symbol `sym` as far as known ahead (what
    /// `write::non_alloc_abs` gives in the end, less the output section's
    /// address); records in `used` what it took from where.
    fn local_value(&self, sym: u32, addend: i64, list: bool, used: &mut Vec<Used>) -> Value {
        let o = self.obj();
        let s = &o.symbols[sym as usize];
        if s.typ == elf::STT_GNU_IFUNC {
            // The link may give a local IFUNC a global entry of its own
            // (`Resolved::promote_local_ifuncs`), and values from it.
            return Value::Defer;
        }
        if s.shndx == elf::SHN_ABS as u32 {
            return Value::Done(s.value.wrapping_add(addend as u64));
        }
        let sh = s.shndx as usize;
        if sh == 0 {
            return Value::Done(addend as u64);
        }
        if sh >= o.sections.len() || s.shndx == elf::SHN_COMMON as u32 {
            return Value::Defer;
        }
        let isec = &o.sections[sh];
        let alloc_out =
            |oi: u32| self.joined.sections[oi as usize].flags & elf::SHF_ALLOC as u64 != 0;
        let at = |oi: u32, v: u64| {
            if !self.settled(oi) {
                Value::Defer
            } else if alloc_out(oi) {
                Value::Patch(oi, v)
            } else {
                Value::Done(v)
            }
        };
        match isec.kind {
            SectionKind::EhFrame => Value::Defer,
            SectionKind::MergeStrings => {
                let Some(&(_, oi)) = self.merge_out.iter().find(|m| m.0 as usize == sh) else {
                    return Value::Defer;
                };
                if self.piece_out.len() != o.pieces.len() {
                    // Not placed by the merged strings ahead.
                    return Value::Defer;
                }
                used.push(Used::Pieces(sh as u32));
                match super::symbols::merge_ref(o, sh, s, addend) {
                    Some((i, within, rest)) => at(
                        oi,
                        self.piece_out[i]
                            .wrapping_add(within)
                            .wrapping_add(rest as u64),
                    ),
                    None => at(oi, addend as u64),
                }
            }
            _ => match self.row[sh] {
                (NONE, _) => {
                    used.push(Used::Placed(sh as u32, None));
                    // The tombstone, as the serial write puts it.
                    Value::Done(u64::from(list))
                }
                (oi, off) => {
                    used.push(Used::Placed(sh as u32, Some(off)));
                    at(oi, off.wrapping_add(s.value).wrapping_add(addend as u64))
                }
            },
        }
    }
}
