//! `.symtab` and `.strtab`: which local and global symbols `.symtab`
//! lists (the writer asks the same functions), before addresses its and
//! `.strtab`'s sizes, then their bytes; the global symbols' entries
//! (`global_entry`, `.dynsym`'s too). Besides the inputs' symbols it holds
//! a section symbol for each allocated output section and a `foo$plt`
//! local for each PLT entry. And `.shstrtab`: the section names, once the
//! sections are in order.

use super::{section, Added};
use crate::arch::{Arch, Native};
use crate::layout::{self, local_sym_addr, Layout, OutputSection, Synth, NONE};
use crate::object_file::{InputSymbol, ObjectFile, SectionKind};
use crate::options::{Discard, Options};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use std::collections::HashMap;

/// Allocated sections: each has a section symbol in `.symtab` (as mold
/// writes them; tools that symbolise addresses fall back on them).
pub(crate) fn alloc_count(sections: &[OutputSection]) -> u32 {
    sections.iter().filter(|s| s.is_alloc()).count() as u32
}

/// How many `.symtab` entries and `.strtab` bytes each part of the table
/// takes, in the order they are written: the null symbol, a section
/// symbol per allocated output section, each input file's locals, a
/// `foo$plt` local per PLT entry, the globals a version script made local,
/// then the other globals (both counted per `GLOBAL_CHUNK` symbols). The
/// writer fills the parts in parallel from where these put them.
#[derive(Clone, Debug, Default)]
pub struct SymtabPlan {
    section_symbols: u32,
    /// Per input file: (entries, bytes) of its locals kept.
    files: Vec<(u32, u64)>,
    plt: (u32, u64),
    /// Per chunk of the global symbols: (entries, bytes) of the localized
    /// ones kept, and of the others kept.
    localized: Vec<(u32, u64)>,
    globals: Vec<(u32, u64)>,
    /// Which global symbols are kept (`keep_global`), a bit per symbol:
    /// found once, for the plan, not again by the writer (each is a few
    /// scattered reads of its defining object's tables).
    kept: Vec<u64>,
}

/// Global symbols per part of the plan (and job of the writer).
const GLOBAL_CHUNK: usize = 4096;

/// The locals of the first objects, written before the wait (by the
/// background linker, while idle: `LayoutAhead::write_step`) as `.symtab`
/// and `.strtab` hold them, but for what only the final layout knows:
/// the section index of an entry's output section, and its address
/// (`fix`). Which locals are kept follows from the objects' placement
/// alone (placed or not), which the wait keeps (as `file_locals` counting
/// them ahead assumes too); their values in their output sections from
/// their sections' offsets, which the wait checks (`placed`): an object
/// whose sections moved (an init array sorted again) has its entries
/// made again.
#[derive(Default)]
pub struct LocalsAhead {
    /// Objects in.
    files: usize,
    /// Per object in, and one more: its first entry.
    starts: Vec<u32>,
    /// (object, section, offset in its output section) each value was
    /// made with, once per section.
    placed: Vec<(u32, u32, u64)>,
    /// The objects (in order) whose entries the wait makes again: those
    /// with a symbol in `.eh_frame` (valued from its records' placement),
    /// then also those whose sections the layout moved (`renumber`).
    moved: Vec<u32>,
    /// Their entries, 24 bytes each; a value in a section is its offset
    /// in its output section.
    syms: Vec<u8>,
    /// Their names, each NUL-terminated, as `.strtab` has them after its
    /// leading NUL.
    strs: Vec<u8>,
    /// Per entry: `FINAL`, or its output section's index (joined ahead,
    /// the layout's at the wait: `remap`), with `TLS` for a TLS symbol
    /// (whose value is an offset in the TLS segment).
    fix: Vec<u32>,
}

const FINAL: u32 = u32::MAX;
const TLS: u32 = 1 << 31;

impl LocalsAhead {
    /// Writes the locals of objects `self.files..to` of `res`, placed as
    /// `row` says (joined output sections), per object in parallel.
    pub(crate) fn feed<'a>(
        &mut self,
        res: &Resolved,
        to: usize,
        row: impl Fn(usize) -> &'a [(u32, u64)] + Sync,
        discard: Discard,
    ) {
        use rayon::prelude::*;
        let more: Vec<LocalsAhead> = (self.files..to.min(res.objects.len()))
            .into_par_iter()
            .map(|f| file_locals_ahead(res, f, row(f), discard))
            .collect();
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        for m in more {
            let names = self.strs.len() as u32;
            self.placed.extend_from_slice(&m.placed);
            self.moved.extend_from_slice(&m.moved);
            for e in m.syms.chunks_exact(24) {
                let name_at = u32::from_le_bytes(e[0..4].try_into().unwrap()) + names;
                self.syms.extend_from_slice(&name_at.to_le_bytes());
                self.syms.extend_from_slice(&e[4..]);
            }
            self.strs.extend_from_slice(&m.strs);
            self.fix.extend_from_slice(&m.fix);
            self.files += 1;
            self.starts.push((self.syms.len() / 24) as u32);
        }
    }

    /// The output sections named by their final indices (`remap`: from
    /// the joined ones), and the objects whose sections `placement` moved
    /// noted; `None` if a section is not in the layout.
    pub(crate) fn renumber(mut self, remap: &[u32], placement: &[Vec<(u32, u64)>]) -> Option<Self> {
        for x in self.fix.iter_mut().filter(|x| **x != FINAL) {
            let n = *remap.get((*x & !TLS) as usize)?;
            if n == NONE {
                return None;
            }
            *x = n | (*x & TLS);
        }
        for &(f, sh, off) in &self.placed {
            let now = placement.get(f as usize)?.get(sh as usize)?;
            if now.0 == NONE || now.1 != off {
                self.moved.push(f);
            }
        }
        self.moved.sort_unstable();
        self.moved.dedup();
        Some(self)
    }

    /// Whether these are the first objects' locals `plan` counts.
    fn fits(&self, plan: &SymtabPlan) -> bool {
        let entries = (self.syms.len() / 24) as u32;
        self.files <= plan.files.len()
            && sum(&plan.files[..self.files]) == (entries, self.strs.len() as u64)
    }

    /// Writes entries `first..` of them into `part` (as many as it holds;
    /// the names too if `first` is 0), completed with the layout's.
    fn write(&self, res: &Resolved, l: &Layout, first: usize, part: &mut Part) {
        let n = part.syms.len() / 24;
        part.syms
            .copy_from_slice(&self.syms[24 * first..24 * (first + n)]);
        if first == 0 {
            part.strs.copy_from_slice(&self.strs);
        }
        let fix = &self.fix[first..first + n];
        for (e, &x) in part.syms.chunks_exact_mut(24).zip(fix) {
            if x == FINAL {
                continue;
            }
            let os = &l.sections[(x & !TLS) as usize];
            let mut value = u64::from_le_bytes(e[8..16].try_into().unwrap()).wrapping_add(os.addr);
            if x & TLS != 0 {
                value = value.wrapping_sub(l.tls_start);
            }
            set_entry(e, (os.shndx as u16, value));
        }
        for &f in &self.moved {
            // Its entries (of this part) made again, in order.
            let (start, end) = (
                self.starts[f as usize] as usize,
                self.starts[f as usize + 1] as usize,
            );
            if end <= first || start >= first + n {
                continue;
            }
            let o = &res.objects[f as usize];
            let kept = (o.symbols.iter().enumerate().take(o.first_global as usize))
                .filter(|&(i, s)| layout::keep_local(o, s, i, &l.placement[f as usize], l.discard));
            for (k, (i, s)) in (start..end).zip(kept) {
                if (first..first + n).contains(&k) {
                    let value = local_entry(res, l, f as usize, i, s);
                    set_entry(&mut part.syms[24 * (k - first)..][..24], value);
                }
            }
        }
    }
}

/// An entry's section index and value.
fn set_entry(e: &mut [u8], (shndx, value): (u16, u64)) {
    e[6..8].copy_from_slice(&shndx.to_le_bytes());
    e[8..16].copy_from_slice(&value.to_le_bytes());
}

/// Entries per job writing the locals written ahead.
const AHEAD_CHUNK: usize = 4096;

/// `LocalsAhead` of object `f` alone (names from offset 1).
fn file_locals_ahead(
    res: &Resolved,
    f: usize,
    row: &[(u32, u64)],
    discard: Discard,
) -> LocalsAhead {
    let o = &res.objects[f];
    let mut la = LocalsAhead::default();
    for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
        if !keep_local(o, s, i, row, discard) {
            continue;
        }
        let (shndx, value, fix) = if s.typ == elf::STT_FILE {
            (elf::SHN_ABS, 0, FINAL)
        } else if s.shndx == elf::SHN_ABS as u32 {
            (elf::SHN_ABS, s.value, FINAL)
        } else {
            let (oi, off) = row[s.shndx as usize];
            if o.sections[s.shndx as usize].kind == SectionKind::EhFrame && la.moved.is_empty() {
                la.moved.push(f as u32);
            }
            let tls = if s.typ == elf::STT_TLS { TLS } else { 0 };
            let at = (f as u32, s.shndx, off);
            if la.placed.last() != Some(&at) {
                la.placed.push(at);
            }
            (0, off.wrapping_add(s.value), oi | tls)
        };
        let mut part = Part {
            syms: &mut [0u8; 24],
            strs: &mut [],
            base: 0,
            n: 0,
            at: 0,
        };
        let name_at = 1 + la.strs.len() as u32;
        let info = (elf::STB_LOCAL << 4) | s.typ;
        part.entry(name_at, info, s.visibility, shndx, value, s.size);
        la.syms.extend_from_slice(part.syms);
        la.strs.extend_from_slice(&s.name);
        la.strs.push(0);
        la.fix.push(fix);
    }
    la.files = 1;
    la
}

fn sum(parts: &[(u32, u64)]) -> (u32, u64) {
    parts.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

impl SymtabPlan {
    /// The local entries (`sh_info`): all that precede the first global.
    pub fn locals(&self) -> u32 {
        1 + self.section_symbols + sum(&self.files).0 + self.plt.0 + sum(&self.localized).0
    }

    /// Whether global symbol `id` is kept (`keep_global`).
    fn keeps(&self, id: usize) -> bool {
        self.kept
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// All entries.
    pub fn count(&self) -> u32 {
        self.locals() + sum(&self.globals).0
    }

    /// `.strtab`'s size: its leading NUL and each name kept.
    pub fn strtab_size(&self) -> u64 {
        1 + sum(&self.files).1 + self.plt.1 + sum(&self.localized).1 + sum(&self.globals).1
    }
}

/// The (entries, bytes) of object `o`'s locals that `.symtab` keeps, its
/// sections placed as `placed` says.
pub(crate) fn file_locals(o: &ObjectFile, placed: &[(u32, u64)], discard: Discard) -> (u32, u64) {
    let mut n = (0, 0);
    for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
        if keep_local(o, s, i, placed, discard) {
            n = (n.0 + 1, n.1 + s.name.len() as u64 + 1);
        }
    }
    n
}

/// The pass's plan of `.symtab` (`SymtabPlan`): which symbols are kept,
/// counted per file and per chunk of globals in parallel. `ahead`: the
/// first files' `file_locals`, counted before the wait (`LayoutAhead`).
pub(crate) fn symtab_plan(
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    discard: Discard,
    plt: &[SymbolId],
    section_symbols: u32,
    ahead: &[(u32, u64)],
) -> SymtabPlan {
    use rayon::prelude::*;
    let plt_names: u64 = plt
        .iter()
        .map(|&id| plt_symbol_name_len(res, id) as u64 + 1)
        .sum();
    let files = res
        .objects
        .par_iter()
        .zip(placement)
        .enumerate()
        .map(|(f, (o, placed))| match ahead.get(f) {
            Some(&n) => n,
            None => file_locals(o, placed, discard),
        })
        .collect();
    let chunks: Vec<_> = res
        .symbols
        .par_chunks(GLOBAL_CHUNK)
        .map(|chunk| {
            let (mut loc, mut glob) = ((0, 0), (0, 0));
            let mut kept = vec![0u64; GLOBAL_CHUNK / 64];
            for (k, s) in chunk.iter().enumerate() {
                if keep_global(res, placement, s) {
                    kept[k / 64] |= 1 << (k % 64);
                    let n = if s.localized { &mut loc } else { &mut glob };
                    *n = (n.0 + 1, n.1 + s.name.len() as u64 + 1);
                }
            }
            (loc, glob, kept)
        })
        .collect();
    let mut plan = SymtabPlan {
        section_symbols,
        files,
        plt: (plt.len() as u32, plt_names),
        ..Default::default()
    };
    for (loc, glob, kept) in chunks {
        plan.localized.push(loc);
        plan.globals.push(glob);
        plan.kept.extend(kept);
    }
    plan
}

/// The local symbol naming PLT entry of `id` in `.symtab` (`foo$plt`, as
/// mold names it), so that profilers and debuggers can tell which function
/// a call into the PLT goes to.
pub fn plt_symbol_name(res: &Resolved, id: SymbolId) -> Vec<u8> {
    [plt_symbol_base(res, id), b"$plt"].concat()
}

/// `plt_symbol_name(res, id).len()`.
fn plt_symbol_name_len(res: &Resolved, id: SymbolId) -> usize {
    plt_symbol_base(res, id).len() + b"$plt".len()
}

/// The name `plt_symbol_name` adds `$plt` to.
fn plt_symbol_base(res: &Resolved, id: SymbolId) -> &'static [u8] {
    let s = &res.symbols[id as usize];
    match s.def {
        // A local IFUNC's entry: its own name, not the internal one.
        SymDef::Object { file, sym } if s.promoted_local => {
            res.objects[file as usize].symbols[sym as usize].name.get()
        }
        _ => s.name.get(),
    }
}

pub fn keep_local(
    o: &ObjectFile,
    s: &InputSymbol,
    i: usize,
    placement: &[(u32, u64)],
    discard: Discard,
) -> bool {
    if i == 0 || s.typ == elf::STT_SECTION || s.name.is_empty() {
        return false;
    }
    match discard {
        Discard::All => return false,
        Discard::Locals if s.name.starts_with(b".L") => return false,
        _ => {}
    }
    if s.typ == elf::STT_FILE {
        return true;
    }
    if s.shndx == elf::SHN_ABS as u32 {
        return true;
    }
    let sh = s.shndx as usize;
    // Only live sections are placed; a section ICF folded is placed where
    // its kept copy is, and its symbols name that copy.
    sh != 0
        && sh < o.sections.len()
        && placement[sh].0 != NONE
        && o.sections[sh].kind != SectionKind::MergeStrings
}

pub fn keep_global(
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    s: &crate::resolve::Symbol,
) -> bool {
    if s.promoted_local {
        // Written once, as the local it is.
        return false;
    }
    match s.def {
        // Definitions in sections --gc-sections removed go with them.
        SymDef::Object { file, sym } => {
            let o = &res.objects[file as usize];
            let is = &o.symbols[sym as usize];
            let sh = is.shndx as usize;
            is.shndx == elf::SHN_ABS as u32
                || sh == 0
                || sh >= o.sections.len()
                || o.sections[sh].kind == SectionKind::EhFrame
                || placement[file as usize][sh].0 != NONE
        }
        SymDef::Common { .. } => true,
        SymDef::Shared { .. } => s.referenced,
        SymDef::Undefined => s.referenced,
        SymDef::Synthetic => true,
    }
}

/// The pass: which symbols `.symtab` lists, and so its and `.strtab`'s
/// sizes; nothing without `-s`. `ahead`: as for `symtab_plan`.
pub(crate) fn sizes(
    opts: &Options,
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    plt: &[SymbolId],
    sections: &[OutputSection],
    ahead: &[(u32, u64)],
) -> SymtabPlan {
    if opts.strip_all {
        SymtabPlan::default()
    } else {
        symtab_plan(
            res,
            placement,
            opts.discard,
            plt,
            alloc_count(sections),
            ahead,
        )
    }
}

/// `.symtab` and `.strtab` (unless `-s`), sized by `sizes`.
pub(crate) fn add(opts: &Options, out: &mut Added, symtab_count: u32, strtab_size: u64) {
    if !opts.strip_all {
        let size = 24 * symtab_count as u64;
        out.add(section(
            b".symtab",
            Synth::Symtab,
            elf::SHT_SYMTAB,
            0,
            8,
            700,
            size,
            24,
        ));
        let size = strtab_size;
        out.add(section(
            b".strtab",
            Synth::Strtab,
            elf::SHT_STRTAB,
            0,
            1,
            701,
            size,
            0,
        ));
    }
}

/// `.shstrtab`, last (sized once the sections are in order,
/// `layout::order::section_names`).
pub(crate) fn add_shstrtab(out: &mut Added) {
    out.add(section(
        b".shstrtab",
        Synth::Shstrtab,
        elf::SHT_STRTAB,
        0,
        1,
        702,
        0,
        0,
    ));
}

/// Section header indices and `.shstrtab` (each name once), which is
/// sized; returns its contents.
pub(crate) fn section_names(
    sections: &mut [OutputSection],
    sec_idx: &crate::layout::SynthIdx,
) -> Vec<u8> {
    let mut shstrtab: Vec<u8> = vec![0];
    {
        let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
        for (i, s) in sections.iter_mut().enumerate() {
            s.shndx = i as u32 + 1;
            if !seen.contains_key(&s.name) {
                seen.insert(s.name.clone(), shstrtab.len() as u32);
                shstrtab.extend_from_slice(&s.name);
                shstrtab.push(0);
            }
        }
        let i = sec_idx[&Synth::Shstrtab] as usize;
        sections[i].size = shstrtab.len() as u64;
    }
    shstrtab
}

/// Each section name's offset in `.shstrtab`, as `section_names` laid it
/// out (for the section headers).
pub(crate) fn shstrtab_offsets(sections: &[OutputSection]) -> HashMap<&[u8], u32> {
    let mut names: HashMap<&[u8], u32> = HashMap::new();
    let mut pos = 1u32;
    for s in sections {
        if !names.contains_key(s.name.as_slice()) {
            names.insert(&s.name, pos);
            pos += s.name.len() as u32 + 1;
        }
    }
    names
}

/// `.symtab` (`b`) and `.strtab` (`strtab_out`).
/// Entries written into a part of `.symtab` and the matching part of
/// `.strtab` (which starts at `base` in it).
struct Part<'a> {
    syms: &'a mut [u8],
    strs: &'a mut [u8],
    base: u32,
    n: usize,
    at: usize,
}

impl Part<'_> {
    /// An entry named `name` (put in `.strtab` here, NUL-terminated).
    fn push(&mut self, name: &[u8], info: u8, other: u8, shndx: u16, value: u64, size: u64) {
        let name_at = self.base + self.at as u32;
        self.strs[self.at..self.at + name.len()].copy_from_slice(name);
        self.strs[self.at + name.len()] = 0;
        self.at += name.len() + 1;
        self.entry(name_at, info, other, shndx, value, size);
    }

    /// An entry whose name is at `name_at` in `.strtab` already.
    fn entry(&mut self, name_at: u32, info: u8, other: u8, shndx: u16, value: u64, size: u64) {
        let e = &mut self.syms[self.n * 24..self.n * 24 + 24];
        e[0..4].copy_from_slice(&name_at.to_le_bytes());
        e[4] = info;
        e[5] = other;
        e[6..8].copy_from_slice(&shndx.to_le_bytes());
        e[8..16].copy_from_slice(&value.to_le_bytes());
        e[16..24].copy_from_slice(&size.to_le_bytes());
        self.n += 1;
    }
}

/// What one part of `.symtab` holds (see `SymtabPlan`).
#[derive(Clone, Copy)]
enum Job {
    Head,
    /// Entries `AHEAD_CHUNK * .0 ..` of the locals written ahead.
    Ahead(usize),
    File(usize),
    Plt,
    Localized(usize),
    Globals(usize),
}

/// Writes `.symtab` (`b`) and `.strtab` as `l.symtab` plans them: each
/// part (a file's locals, a chunk of globals) in parallel, at its place.
pub(crate) fn write(res: &Resolved, l: &Layout, b: &mut [u8], strtab_out: &mut [u8]) {
    use rayon::prelude::*;
    let plan = &l.symtab;
    let mut jobs: Vec<(Job, (u32, u64))> = Vec::new();
    jobs.push((Job::Head, (1 + plan.section_symbols, 1)));
    // The first files' locals from what was written ahead, if it is theirs.
    let ahead = l.locals_ahead.as_ref().filter(|a| a.fits(plan));
    if let Some(a) = ahead {
        let n = a.syms.len() / 24;
        jobs.extend((0..n.div_ceil(AHEAD_CHUNK)).map(|c| {
            let count = (n - c * AHEAD_CHUNK).min(AHEAD_CHUNK) as u32;
            let bytes = if c == 0 { a.strs.len() as u64 } else { 0 };
            (Job::Ahead(c), (count, bytes))
        }));
    }
    jobs.extend(
        plan.files
            .iter()
            .enumerate()
            .skip(ahead.map_or(0, |a| a.files))
            .map(|(f, &n)| (Job::File(f), n)),
    );
    jobs.push((Job::Plt, plan.plt));
    jobs.extend((plan.localized.iter().enumerate()).map(|(c, &n)| (Job::Localized(c), n)));
    jobs.extend(
        plan.globals
            .iter()
            .enumerate()
            .map(|(c, &n)| (Job::Globals(c), n)),
    );
    let (mut syms, mut strs) = (b, strtab_out);
    let mut base = 0u64;
    let parts: Vec<(Job, Part)> = jobs
        .into_iter()
        .filter(|(_, n)| n.0 > 0)
        .map(|(job, (count, bytes))| {
            let (s, rest) = std::mem::take(&mut syms).split_at_mut(24 * count as usize);
            let (t, trest) = std::mem::take(&mut strs).split_at_mut(bytes as usize);
            (syms, strs) = (rest, trest);
            let part = Part {
                syms: s,
                strs: t,
                base: base as u32,
                n: 0,
                at: 0,
            };
            base += bytes;
            (job, part)
        })
        .collect();
    parts
        .into_par_iter()
        .with_max_len(16)
        .for_each(|(job, mut part)| {
            let _t = crate::timing::tally(match job {
                Job::Ahead(_) => "symtab: locals written ahead",
                Job::File(_) => "symtab: locals",
                Job::Localized(_) | Job::Globals(_) => "symtab: globals",
                _ => "symtab: other",
            });
            write_job(res, l, ahead, plan, job, &mut part)
        });
}

/// Writes `.symtab` job `job` into `part`.
fn write_job(
    res: &Resolved,
    l: &Layout,
    ahead: Option<&LocalsAhead>,
    plan: &SymtabPlan,
    job: Job,
    part: &mut Part<'_>,
) {
    match job {
        Job::Head => {
            // The null symbol and `.strtab`'s leading NUL; section
            // symbols are nameless (offset 0, no bytes of their own).
            part.strs[0] = 0;
            part.entry(0, 0, 0, 0, 0, 0);
            for s in l.sections.iter().filter(|s| s.is_alloc()) {
                let info = (elf::STB_LOCAL << 4) | elf::STT_SECTION;
                part.entry(0, info, 0, s.shndx as u16, s.addr, 0);
            }
        }
        Job::Ahead(c) => {
            if let Some(a) = ahead {
                a.write(res, l, c * AHEAD_CHUNK, part);
            }
        }
        Job::File(f) => write_locals(res, l, f, part),
        Job::Plt => {
            let plt_shndx = l.sec(Synth::Plt).map_or(0, |s| s.shndx as u16);
            for (i, &id) in l.plt.iter().enumerate() {
                part.push(
                    &layout::plt_symbol_name(res, id),
                    (elf::STB_LOCAL << 4) | elf::STT_FUNC,
                    elf::STV_DEFAULT,
                    plt_shndx,
                    l.plt_entry_addr(i as u32),
                    Native::PLT_ENTRY_SIZE,
                );
            }
        }
        Job::Localized(c) | Job::Globals(c) => {
            let localized = matches!(job, Job::Localized(_));
            let first = c * GLOBAL_CHUNK;
            let chunk = &res.symbols[first..(first + GLOBAL_CHUNK).min(res.symbols.len())];
            for (k, s) in chunk.iter().enumerate() {
                if s.localized != localized || !plan.keeps(first + k) {
                    continue;
                }
                let (v, size, info, other, shndx) = global_entry(res, l, (first + k) as u32, false);
                if localized {
                    // Symbols a version script made local follow the
                    // input locals, bound locally, with the default
                    // visibility, as GNU ld writes them.
                    let info = (elf::STB_LOCAL << 4) | (info & 0xf);
                    part.push(&s.name, info, elf::STV_DEFAULT, shndx, v, size);
                } else {
                    // Hidden symbols become local in an executable's
                    // .symtab in GNU ld; we keep them global with their
                    // visibility, which readers accept.
                    part.push(&s.name, info, other, shndx, v, size);
                }
            }
        }
    }
}

/// The locals of input file `f` that `.symtab` keeps.
fn write_locals(res: &Resolved, l: &Layout, f: usize, part: &mut Part) {
    let o = &res.objects[f];
    for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
        if !layout::keep_local(o, s, i, &l.placement[f], l.discard) {
            continue;
        }
        let (shndx, value) = local_entry(res, l, f, i, s);
        let info = (elf::STB_LOCAL << 4) | s.typ;
        part.push(&s.name, info, s.visibility, shndx, value, s.size);
    }
}

/// The section index and value of local symbol `i` (`s`) of file `f` in
/// `.symtab`, once kept.
fn local_entry(res: &Resolved, l: &Layout, f: usize, i: usize, s: &InputSymbol) -> (u16, u64) {
    let (shndx, value) = if s.typ == elf::STT_FILE {
        (elf::SHN_ABS, 0)
    } else if s.shndx == elf::SHN_ABS as u32 {
        (elf::SHN_ABS, s.value)
    } else {
        let p = l.placement[f][s.shndx as usize].0;
        (
            l.sections[p as usize].shndx as u16,
            local_sym_addr(res, l, f, i as u32, 0).0,
        )
    };
    // TLS symbols hold their offset in the TLS segment.
    let value = if s.typ == elf::STT_TLS {
        value.wrapping_sub(l.tls_start)
    } else {
        value
    };
    (shndx, value)
}

/// The index of the allocated section holding (or ending at) `v`, else
/// `SHN_ABS`.
fn section_at(l: &Layout, v: u64) -> u16 {
    l.sections
        .iter()
        .filter(|x| x.is_alloc() && x.addr <= v && v <= x.addr + x.size)
        .map(|x| x.shndx as u16)
        .next()
        .unwrap_or(elf::SHN_ABS)
}

/// (value, size, info, other, shndx) for a global symbol as it appears in
/// symbol tables (`dynamic`: in `.dynsym`).
pub(crate) fn global_entry(
    res: &Resolved,
    l: &Layout,
    id: SymbolId,
    dynamic: bool,
) -> (u64, u64, u8, u8, u16) {
    let s = &res.symbols[id as usize];
    let info = &l.sym_info[id as usize];
    // A shared library's own binding (libc's `puts` is a weak alias) is not
    // ours: an import is weak only if every reference to it is weak.
    let weak = match s.def {
        SymDef::Shared { .. } if !info.copy => !s.strong_ref,
        SymDef::Undefined => !s.strong_ref,
        _ => s.weak_def,
    };
    let bind = if weak { elf::STB_WEAK } else { elf::STB_GLOBAL };
    // .dynsym keeps only PROTECTED (it tells other modules the symbol binds
    // locally here); HIDDEN and INTERNAL symbols are not in it.
    let vis = match (dynamic, s.visibility) {
        (false, v) => v,
        (true, elf::STV_PROTECTED) => elf::STV_PROTECTED,
        (true, _) => elf::STV_DEFAULT,
    };
    match s.def {
        SymDef::Object { file, sym } => {
            let os = &res.objects[file as usize].symbols[sym as usize];
            if dynamic && os.typ == elf::STT_GNU_IFUNC && info.plt != NONE && l.kind.is_executable()
            {
                // An executable's IFUNC is exported as the function its PLT
                // entry is (its address everywhere, as in GNU ld): the
                // dynamic linker cannot run the executable's resolver for a
                // library loaded before it is relocated.
                let plt = l.sec(Synth::Plt).map_or(0, |s| s.shndx as u16);
                return (
                    l.plt_entry_addr(info.plt),
                    0,
                    (bind << 4) | elf::STT_FUNC,
                    vis,
                    plt,
                );
            }
            // The symbol's value, as `symbol_values` made it (one read in
            // id order rather than the defining file's tables again),
            // except an IFUNC's: `.symtab` has its resolver, not its PLT
            // entry.
            let v = match l.sym_values.get(id as usize) {
                Some(&v) if os.typ != elf::STT_GNU_IFUNC => v,
                _ => local_sym_addr(res, l, file as usize, sym, 0).0,
            };
            let shndx = if os.shndx == elf::SHN_ABS as u32 {
                elf::SHN_ABS
            } else {
                let p = l.placement[file as usize]
                    .get(os.shndx as usize)
                    .map(|p| p.0)
                    .unwrap_or(NONE);
                if p == NONE {
                    elf::SHN_ABS
                } else {
                    l.sections[p as usize].shndx as u16
                }
            };
            let vis = if os.visibility != elf::STV_DEFAULT {
                os.visibility
            } else {
                vis
            };
            let v = if os.typ == elf::STT_TLS {
                v.wrapping_sub(l.tls_start)
            } else {
                v
            };
            // GNU_UNIQUE (one object process-wide, e.g. inline functions'
            // static locals) is kept as such.
            let bind = if os.bind == elf::STB_GNU_UNIQUE {
                elf::STB_GNU_UNIQUE
            } else {
                bind
            };
            (v, os.size, (bind << 4) | os.typ, vis, shndx)
        }
        SymDef::Common { file, sym } => {
            let os = &res.objects[file as usize].symbols[sym as usize];
            let v = l.sym_values[id as usize];
            (
                v,
                os.size,
                (bind << 4) | elf::STT_OBJECT,
                vis,
                home_shndx(l, v, &[b".common", b".bss"]),
            )
        }
        SymDef::Shared { file, sym } => {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            if info.copy {
                let v = l.sym_values[id as usize];
                (
                    v,
                    ds.size,
                    (elf::STB_GLOBAL << 4) | ds.typ,
                    elf::STV_DEFAULT,
                    home_shndx(l, v, &[b".copyrel.rel.ro", b".copyrel", b".bss"]),
                )
            } else {
                let v = if info.canonical_plt {
                    l.sym_values[id as usize]
                } else {
                    0
                };
                let typ = if ds.typ == elf::STT_GNU_IFUNC {
                    elf::STT_FUNC
                } else {
                    ds.typ
                };
                (v, 0, (bind << 4) | typ, elf::STV_DEFAULT, elf::SHN_UNDEF)
            }
        }
        SymDef::Synthetic if res.defsym(id).is_some() => {
            let v = l.sym_values[id as usize];
            let shndx = match res.defsym(id) {
                Some(
                    crate::resolve::Defsym::Abs(_)
                    | crate::resolve::Defsym::Script { absolute: true, .. },
                ) => elf::SHN_ABS,
                // A script's `.` may be past its section's end (`_end = .`
                // after `. = ALIGN(8)`): it still belongs to the section
                // below it, as in GNU ld.
                Some(crate::resolve::Defsym::Script { .. }) => match section_at(l, v) {
                    elf::SHN_ABS => l
                        .sections
                        .iter()
                        .filter(|x| x.is_alloc() && x.addr <= v && x.addr != 0)
                        .max_by_key(|x| x.addr)
                        .map_or(elf::SHN_ABS, |x| x.shndx as u16),
                    n => n,
                },
                _ => section_at(l, v),
            };
            (v, 0, (bind << 4) | elf::STT_NOTYPE, vis, shndx)
        }
        SymDef::Undefined | SymDef::Synthetic => {
            if layout::is_linker_defined(&s.name) {
                let v = l.sym_values[id as usize];
                let shndx = section_at(l, v);
                (
                    v,
                    0,
                    (elf::STB_GLOBAL << 4) | elf::STT_NOTYPE,
                    if dynamic {
                        elf::STV_DEFAULT
                    } else {
                        elf::STV_HIDDEN
                    },
                    shndx,
                )
            } else {
                (
                    0,
                    0,
                    (bind << 4) | s.ref_type,
                    elf::STV_DEFAULT,
                    elf::SHN_UNDEF,
                )
            }
        }
    }
}

/// The section index of the first of `names` (the sections layout may
/// have put a common or a copy in) that holds address `v`.
fn home_shndx(l: &Layout, v: u64, names: &[&[u8]]) -> u16 {
    names
        .iter()
        .find_map(|n| {
            l.sections
                .iter()
                .find(|s| s.is_alloc() && s.name == *n && s.addr <= v && v <= s.addr + s.size)
        })
        .map_or(0, |s| s.shndx as u16)
}
