//! Pass: live sections. Without `--gc-sections` every input section that
//! is not discarded (COMDAT losers, `/DISCARD/`, ignored kinds) is live;
//! with it, those reachable through relocations from the roots (the entry,
//! `-u`, exported symbols, kept sections such as notes, init/fini arrays,
//! `KEEP`, sections `__start_`/`__stop_` symbols name). Non-allocated
//! sections stay but keep nothing alive; `.eh_frame` stays and keeps only
//! what the FDEs of live functions and the CIEs reference. ICF (`icf`)
//! then folds identical live sections. Assumes resolution is done.
//!
//! The mark runs on all threads (`Marker`): one atomic state per input
//! section, roots found per file in parallel, then a work-stealing
//! traversal. A reachability set does not depend on the order it is
//! found in, so the result is the serial one.

use super::output_sections::{is_c_ident, output_name};
use super::LinkInput;
use crate::chunks::eh_frame::fde_target_section;
use crate::object_file::{EhRecordKind, InputSection, Reloc, SectionKind};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// Object `f`'s sections live without `--gc-sections` and linker scripts:
/// all but ignored kinds and COMDAT losers. What is made before the wait
/// (`LayoutAhead`) uses it, since it is known per input.
pub(super) fn base_live(res: &Resolved, f: usize) -> Vec<bool> {
    res.objects[f]
        .sections
        .iter()
        .enumerate()
        .map(|(si, s)| s.kind != SectionKind::Ignore && !res.discarded[f][si])
        .collect()
}

/// Which sections are live. Without `--gc-sections`: all that are not
/// discarded. With it: those reachable from the roots through relocations.
pub(super) fn liveness(inp: &LinkInput) -> Vec<Vec<bool>> {
    let files = 0..inp.res.objects.len();
    if !inp.opts.gc_sections {
        return files
            .into_par_iter()
            .map(|f| not_discarded(inp, f))
            .collect();
    }
    let res = inp.res;
    let mut m = Marker::new(res);
    let mut start_stop: Vec<&[u8]> = res
        .symbols
        .par_iter()
        .filter(|s| s.def == SymDef::Undefined || s.def == SymDef::Synthetic)
        .filter_map(|s| {
            s.name
                .strip_prefix(b"__start_")
                .or_else(|| s.name.strip_prefix(b"__stop_"))
        })
        .collect();
    start_stop.sort_unstable();
    // The roots, in steps (kept and non-alloc sections, symbols,
    // `.eh_frame`, CIEs), each done before the next starts: a section one
    // step makes live without tracing is not traced when a later step
    // reaches it.
    let per_file: Vec<_> = files
        .clone()
        .into_par_iter()
        .map(|f| m.file_roots(inp, f, &start_stop))
        .collect();
    let mut roots = Vec::new();
    for (r, file) in per_file {
        roots.extend(r);
        m.files.push(file);
    }
    let entry = inp.opts.entry.clone().unwrap_or_else(|| "_start".into());
    let mut root_names: Vec<Vec<u8>> = vec![entry.into_bytes()];
    root_names.extend(inp.opts.undefined.iter().map(|s| s.clone().into_bytes()));
    for n in &root_names {
        if let Some(d) = res.lookup(n).and_then(|id| m.def_section(id)) {
            if m.mark(d) {
                roots.push(d);
            }
        }
    }
    roots.par_extend(
        res.symbols
            .par_iter()
            .enumerate()
            .filter(|(_, s)| s.export)
            .filter_map(|(id, _)| m.def_section(id as SymbolId))
            .filter(|&d| m.mark(d)),
    );
    // .eh_frame stays (its records are filtered one by one), but its
    // relocations must not keep code alive: mark it without tracing.
    files.clone().into_par_iter().for_each(|f| {
        for (sec, _) in &res.objects[f].eh_frames {
            m.mark((f as u32, *sec));
        }
    });
    // CIEs stay, so what they reference (the personality routine's
    // DW.ref.* pointer) must stay too.
    roots.par_extend(files.clone().into_par_iter().flat_map_iter(|f| {
        let (m, o) = (&m, &res.objects[f]);
        o.eh_records()
            .filter(move |(sec, _)| m.state(f, *sec as usize) != GONE)
            .filter(|(_, r)| matches!(r.kind, EhRecordKind::Cie))
            .flat_map(move |(sec, r)| o.record_relocs(sec, r))
            .filter_map(move |rel| m.target(f as u32, rel))
            .filter(move |&d| m.mark(d))
    }));
    rayon::scope(|scope| m.drain(scope, roots));
    files
        .into_par_iter()
        .map(|f| {
            (0..res.objects[f].sections.len())
                .map(|si| m.state(f, si) == LIVE)
                .collect()
        })
        .collect()
}

/// Object `f`'s sections live without `--gc-sections`: `base_live` less
/// those a linker script's `/DISCARD/` drops.
fn not_discarded(inp: &LinkInput, f: usize) -> Vec<bool> {
    let mut live = base_live(inp.res, f);
    for (si, l) in live.iter_mut().enumerate() {
        *l = *l && !inp.scripts.rule(f, si).is_some_and(|r| r.discard());
    }
    live
}

/// Whether section `si` (`s`) of object `f` is a root by itself: notes,
/// init/fini arrays and `.ctors`/`.dtors`, `.init`/`.fini`, retained,
/// `KEEP`, or named by a `__start_`/`__stop_` symbol (`start_stop`, sorted).
fn kept(inp: &LinkInput, f: usize, si: usize, s: &InputSection, start_stop: &[&[u8]]) -> bool {
    let n = s.name.get();
    s.sh_type == elf::SHT_NOTE
        || s.sh_type == elf::SHT_INIT_ARRAY
        || s.sh_type == elf::SHT_FINI_ARRAY
        || s.sh_type == elf::SHT_PREINIT_ARRAY
        || s.flags & elf::SHF_GNU_RETAIN != 0
        // `output_name` maps only names starting so to `.ctors`/`.dtors`:
        // the others need not reach it.
        || ((n.starts_with(b".ctors") || n.starts_with(b".dtors"))
            && matches!(output_name(n), b".ctors" | b".dtors"))
        || n == b".init"
        || n == b".fini"
        || (!start_stop.is_empty() && is_c_ident(n) && start_stop.binary_search(&n).is_ok())
        || inp.scripts.rule(f, si).is_some_and(|r| r.spec.keep)
}

/// A section's state in `Marker::state`: discarded (never live), not
/// live (yet), live.
const GONE: u8 = 0;
const DEAD: u8 = 1;
const LIVE: u8 = 2;

/// A traversal's stack longer than this gives half to another task.
const SPLIT: usize = 64;

/// A section as (file, section index).
type Sec = (u32, u32);

/// No defining section, in `Marker::def`.
const NONE: Sec = (u32::MAX, u32::MAX);

/// The `--gc-sections` mark, shared by the threads. Marking a section is
/// one atomic `DEAD` -> `LIVE` change: whichever thread makes it traces
/// the section, so each is traced once.
struct Marker<'a> {
    res: &'a Resolved,
    /// Per file: where its sections start in `state`.
    first: Vec<usize>,
    /// Per input section (files one after another): `GONE`, `DEAD`, `LIVE`.
    state: Vec<AtomicU8>,
    /// Per global symbol: the section defining it, or `NONE`.
    def: Vec<Sec>,
    /// Per file: what tracing its sections reads (from `file_roots`).
    files: Vec<FileMark>,
}

/// What tracing an object's sections reads, packed: far fewer cache
/// misses than reading `InputSection`s.
struct FileMark {
    /// Per section: its relocations (`InputSection::relocs`, an index
    /// into the object's `reloc_tables`).
    relocs: Vec<u32>,
    /// Its FDEs as (function section, relocation table, range in it),
    /// sorted by section. FDEs keep what they reference (personality,
    /// LSDA) once their function is live.
    fdes: Vec<(u32, u32, u32, u32)>,
    /// Per symbol index: what a relocation against it reaches (`target`),
    /// four bytes to read rather than the symbol's forty and its global
    /// id: a section of this object (an index below the section count,
    /// far below `GLOBAL`), `GLOBAL | id`, or `NO_TARGET`.
    targets: Vec<u32>,
}

/// In `FileMark::targets`: a global symbol's id follows.
const GLOBAL: u32 = 1 << 31;
/// In `FileMark::targets`: no section (undefined, absolute, out of range).
const NO_TARGET: u32 = u32::MAX;

/// `FileMark::targets` of object `f`.
fn targets(res: &Resolved, f: usize) -> Vec<u32> {
    let o = &res.objects[f];
    (0..o.symbols.len() as u32)
        .map(|sym| match res.global_of(f, sym) {
            Some(id) if id < GLOBAL - 1 => GLOBAL | id,
            // (Never: ids count the names of a link.)
            Some(_) => NO_TARGET,
            None => {
                let sh = o.symbols[sym as usize].shndx;
                if sh != 0 && (sh as usize) < o.sections.len() && sh != elf::SHN_ABS as u32 {
                    sh
                } else {
                    NO_TARGET
                }
            }
        })
        .collect()
}

impl<'a> Marker<'a> {
    /// Every section `GONE` until `file_roots` sets its file's; no `files` yet.
    fn new(res: &'a Resolved) -> Self {
        let mut first = Vec::with_capacity(res.objects.len() + 1);
        let mut n = 0;
        for o in &res.objects {
            first.push(n);
            n += o.sections.len();
        }
        first.push(n);
        let def = res
            .symbols
            .par_iter()
            .map(|s| match s.def {
                SymDef::Object { file, sym } => {
                    let o = &res.objects[file as usize];
                    let sh = o.symbols[sym as usize].shndx;
                    if sh != 0 && (sh as usize) < o.sections.len() {
                        (file, sh)
                    } else {
                        NONE
                    }
                }
                _ => NONE,
            })
            .collect();
        Marker {
            res,
            first,
            state: (0..n).map(|_| AtomicU8::new(GONE)).collect(),
            def,
            files: Vec::with_capacity(res.objects.len()),
        }
    }

    /// Sets the states of object `f`'s sections: its kept ones (`kept`)
    /// live, to be traced, and its non-alloc ones live but never traced.
    /// Returns the former and the object's `FileMark`.
    fn file_roots(&self, inp: &LinkInput, f: usize, start_stop: &[&[u8]]) -> (Vec<Sec>, FileMark) {
        let o = &self.res.objects[f];
        let base = not_discarded(inp, f);
        let mut roots = Vec::new();
        for (si, s) in o.sections.iter().enumerate() {
            let st = if !base[si] {
                GONE
            } else if kept(inp, f, si, s, start_stop) {
                roots.push((f as u32, si as u32));
                LIVE
            } else if !s.is_alloc() {
                // Debug info and other non-alloc sections stay, but their
                // relocations do not keep code alive (GNU ld, lld, mold).
                LIVE
            } else {
                DEAD
            };
            self.state[self.first[f] + si].store(st, Relaxed);
        }
        let mut fdes: Vec<(u32, u32, u32, u32)> = o
            .eh_records()
            .filter(|(_, r)| matches!(r.kind, EhRecordKind::Fde { .. }))
            .filter_map(|(sec, r)| {
                let table = o.sections[sec as usize].relocs;
                fde_target_section(o, sec, r).map(|t| (t, table, r.relocs.start, r.relocs.end))
            })
            .collect();
        fdes.sort_unstable();
        let relocs = o.sections.iter().map(|s| s.relocs).collect();
        let targets = targets(self.res, f);
        (
            roots,
            FileMark {
                relocs,
                fdes,
                targets,
            },
        )
    }

    fn state(&self, f: usize, s: usize) -> u8 {
        self.state[self.first[f] + s].load(Relaxed)
    }

    /// Makes section `(f, s)` live unless it is already live or discarded;
    /// true if this call did (its caller traces it).
    fn mark(&self, (f, s): Sec) -> bool {
        let st = &self.state[self.first[f as usize] + s as usize];
        st.load(Relaxed) == DEAD && st.compare_exchange(DEAD, LIVE, Relaxed, Relaxed).is_ok()
    }

    /// The section defining global symbol `id`.
    fn def_section(&self, id: SymbolId) -> Option<Sec> {
        Some(self.def[id as usize]).filter(|d| *d != NONE)
    }

    /// The section that relocation `r` of object `f` refers to.
    fn target(&self, f: u32, r: &Reloc) -> Option<Sec> {
        let t = self.files[f as usize]
            .targets
            .get(r.sym() as usize)
            .copied()
            .unwrap_or(NO_TARGET);
        match t {
            NO_TARGET => None,
            t if t & GLOBAL != 0 => self.def_section(t & !GLOBAL),
            sh => Some((f, sh)),
        }
    }

    /// Marks what live section `(f, s)` references: its own relocations'
    /// targets and those of the FDEs describing it; pushes what it made
    /// live onto `out`.
    fn trace(&self, (f, s): Sec, out: &mut Vec<Sec>) {
        let o = &self.res.objects[f as usize];
        let FileMark { relocs, fdes, .. } = &self.files[f as usize];
        let i = fdes.partition_point(|e| e.0 < s);
        let fde_relocs = fdes[i..]
            .iter()
            .take_while(|e| e.0 == s)
            .map(|e| &o.reloc_table(e.1)[e.2 as usize..e.3 as usize]);
        for rs in std::iter::once(o.reloc_table(relocs[s as usize])).chain(fde_relocs) {
            for r in rs {
                if let Some(d) = self.target(f, r) {
                    if self.mark(d) {
                        out.push(d);
                    }
                }
            }
        }
    }

    /// Traces the sections on `stack` and what they make live, handing
    /// half of a long stack to another task for idle threads to steal.
    fn drain<'s>(&'s self, scope: &rayon::Scope<'s>, mut stack: Vec<Sec>) {
        while let Some(sec) = stack.pop() {
            self.trace(sec, &mut stack);
            if stack.len() > SPLIT {
                let half = stack.split_off(stack.len() / 2);
                scope.spawn(move |scope| self.drain(scope, half));
            }
        }
    }
}

/// The live sections and what ICF folded.
pub(super) struct Live {
    /// Per file and section: whether it reaches the output.
    pub(super) live: Vec<Vec<bool>>,
    /// With `--icf`: the sections folded into an identical one.
    pub(super) folded: crate::icf::Folded,
}

/// The pass: which sections are live (`liveness`), then, with `--icf`,
/// which live ones are folded (`icf::fold` marks them dead); prints what
/// `--print-icf-sections` and `--print-gc-sections` ask for. `ahead`: the
/// first objects' live sections, found before the wait (`LayoutAhead`,
/// only where nothing but the object decides).
pub(super) fn live_sections(inp: &LinkInput, ahead: Vec<Vec<bool>>) -> Live {
    let opts = inp.opts;
    let res = inp.res;
    let mut live = if ahead.is_empty() {
        liveness(inp)
    } else {
        let mut live = ahead;
        live.truncate(res.objects.len());
        live.extend((live.len()..res.objects.len()).map(|f| base_live(res, f)));
        live
    };
    let folded = if opts.icf != crate::options::Icf::None {
        let folded = crate::icf::fold(inp, &mut live);
        if opts.print_icf_sections {
            crate::icf::print(res, &folded);
        }
        folded
    } else {
        crate::icf::Folded::default()
    };
    if opts.print_gc_sections && opts.gc_sections {
        for (f, o) in res.objects.iter().enumerate() {
            for (si, s) in o.sections.iter().enumerate() {
                if s.is_alloc()
                    && s.kind != SectionKind::Ignore
                    && !live[f][si]
                    && !res.discarded[f][si]
                {
                    eprintln!(
                        "cld: removing unused section '{}' in file '{}'",
                        String::from_utf8_lossy(s.name.get()),
                        o.name
                    );
                }
            }
        }
    }
    Live { live, folded }
}
