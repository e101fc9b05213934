//! Pass: relocation scan. Every relocation of a live section is decided
//! (`Arch::decide`, as the writer will decide it) to learn what it needs:
//! GOT slots, PLT entries, copies, TLS pairs, dynamic relocations at its
//! place. Per file (or run of sections of a big file) in parallel;
//! `gather_needs` then merges the files' needs in file order and reports
//! relocation errors and undefined symbols. A scan reads of other inputs
//! only what each global symbol it looks at is (`GlobalView`, a compact
//! per-symbol table); that is what lets the background linker scan each
//! object before the wait with a guess for symbols not defined yet
//! (`ScanAhead`, `LaterDefs`) and the wait take the scans whose guesses
//! held. Also here: what a relocation target is (`target_props`,
//! `global_props`), shared with the writer.

use super::got::{LG_ADDR, LG_TLSDESC, LG_TLSGD, LG_TPOFF};
use super::{LinkInput, SymInfo, NONE};
use crate::arch::{self, Arch, DecideCtx, Native, RelocAction, TargetProps};
use crate::chunks::eh_frame::eh_dead_ranges;
use crate::error::{Error, Result};
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::{Options, OutputKind};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use rayon::prelude::*;
use std::collections::HashMap;

/// Properties of the target of symbol `sym` of object `file`.
pub fn target_props(res: &Resolved, kind: OutputKind, file: usize, sym: u32) -> TargetProps {
    let o = &res.objects[file];
    let s = &o.symbols[sym as usize];
    match res.global_of(file, sym) {
        None => TargetProps {
            absolute: s.shndx == elf::SHN_ABS as u32,
            ifunc: s.typ == elf::STT_GNU_IFUNC,
            ..Default::default()
        },
        Some(id) => global_props(res, kind, id),
    }
}

pub fn global_props(res: &Resolved, kind: OutputKind, id: SymbolId) -> TargetProps {
    let g = &res.symbols[id as usize];
    match g.def {
        // Undefined in a shared object: resolved at run time.
        SymDef::Undefined if g.preemptible => TargetProps {
            imported: true,
            ..Default::default()
        },
        SymDef::Undefined => TargetProps {
            absolute: true,
            ..Default::default()
        },
        // (The definition's type from the symbol: `Symbol::def_type`.)
        SymDef::Shared { .. } => TargetProps {
            imported: kind.is_dynamic(),
            is_func: g.def_type == elf::STT_FUNC || g.def_type == elf::STT_GNU_IFUNC,
            ..Default::default()
        },
        SymDef::Object { .. } => {
            if g.preemptible {
                // Defined here, but another module's definition may win.
                return TargetProps {
                    imported: true,
                    is_func: g.def_type == elf::STT_FUNC || g.def_type == elf::STT_GNU_IFUNC,
                    ..Default::default()
                };
            }
            TargetProps {
                absolute: g.def_abs,
                ifunc: g.def_type == elf::STT_GNU_IFUNC,
                ..Default::default()
            }
        }
        SymDef::Common { .. } if g.preemptible => TargetProps {
            imported: true,
            ..Default::default()
        },
        SymDef::Synthetic => match res.defsym(id) {
            Some(
                crate::resolve::Defsym::Abs(_)
                | crate::resolve::Defsym::Script { absolute: true, .. },
            ) => TargetProps {
                absolute: true,
                ..Default::default()
            },
            Some(crate::resolve::Defsym::Rel(t, _)) if t != id => global_props(res, kind, t),
            _ => TargetProps::default(),
        },
        SymDef::Common { .. } => TargetProps::default(),
    }
}

/// What the scan reads of a global symbol, for each relocation against
/// it: made once per link, in parallel, as a compact table (a few bytes per
/// symbol) that stays in cache, where the symbol and its definition are
/// scattered over every input's tables.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GlobalView {
    pub(crate) props: TargetProps,
    undefined: bool,
    /// Defined in a shared library with hidden or internal visibility: a
    /// reference cannot bind to it.
    hidden_import: bool,
    /// The shared library (index) that defines it, or `NONE`.
    shared: u32,
}

impl GlobalView {
    /// A symbol this link defines in an object, plainly: not imported, not
    /// an IFUNC, not absolute (what the scans made ahead assume of one not
    /// defined yet).
    fn plain() -> GlobalView {
        GlobalView {
            shared: NONE,
            ..Default::default()
        }
    }
}

/// Every global symbol's `GlobalView`.
fn global_views(res: &Resolved, kind: OutputKind) -> Vec<GlobalView> {
    (0..res.symbols.len())
        .into_par_iter()
        .map(|id| global_view(res, kind, id as SymbolId))
        .collect()
}

fn global_view(res: &Resolved, kind: OutputKind, id: SymbolId) -> GlobalView {
    let g = &res.symbols[id as usize];
    let shared = match g.def {
        SymDef::Shared { file, .. } => file,
        _ => NONE,
    };
    GlobalView {
        props: global_props(res, kind, id),
        undefined: g.def == SymDef::Undefined,
        hidden_import: shared != NONE
            && matches!(g.visibility, elf::STV_HIDDEN | elf::STV_INTERNAL),
        shared,
    }
}

/// What the inputs after the concurrent ones define (shared libraries and
/// archives, known from the start): the better guess, for a symbol the
/// objects resolved so far do not define, of what it will be. The first
/// definition in command-line order: a library's makes it imported, an
/// archive member's or an object's a plain definition.
#[derive(Default)]
pub struct LaterDefs(crate::resolve::NameMap<GlobalView>);

impl LaterDefs {
    /// From `items` (in command-line order) that follow the objects
    /// resolved ahead; `shared_before`: how many shared libraries come
    /// before them (each has the next index in the resolution).
    pub fn new<'a>(
        items: impl Iterator<Item = &'a crate::resolve::LoadItem>,
        mut shared_before: u32,
        kind: OutputKind,
    ) -> LaterDefs {
        use crate::resolve::LoadItem;
        let mut m = crate::resolve::NameMap::default();
        let plain = GlobalView::plain();
        for item in items {
            match item {
                LoadItem::Shared { file, .. } => {
                    for ds in file.symbols.iter().filter(|d| !d.hidden) {
                        let is_func = ds.typ == elf::STT_FUNC || ds.typ == elf::STT_GNU_IFUNC;
                        m.entry(ds.name).or_insert(GlobalView {
                            props: TargetProps {
                                imported: kind.is_dynamic(),
                                is_func,
                                ..Default::default()
                            },
                            undefined: false,
                            hidden_import: false,
                            shared: shared_before,
                        });
                    }
                    shared_before += 1;
                }
                LoadItem::Archive { archive, .. } => {
                    for &(name, _) in archive.symbols.iter() {
                        m.entry(name).or_insert(plain);
                    }
                }
                LoadItem::Object(o) => {
                    for s in &o.symbols[o.first_global as usize..] {
                        if !s.is_undefined() {
                            m.entry(s.name.get()).or_insert(plain);
                        }
                    }
                }
                _ => {}
            }
        }
        LaterDefs(m)
    }
}

/// What the scan of an object made before the wait assumed of its global
/// symbols, and what it found (`ScanAhead::scan`).
pub struct ScanAhead {
    /// The global symbols the scan looked at, and what it saw (sorted by
    /// symbol): the scan is a function of these and of the object alone.
    /// (A TLS sequence's call of `__tls_get_addr`, for one, is skipped
    /// with the sequence, and its symbol not looked at.)
    seen: Vec<(SymbolId, GlobalView)>,
    result: ScanResult,
}

impl ScanAhead {
    /// Scans object `f` of `res`, a resolution of the inputs so far (the
    /// background linker's, before the wait), with `live` its live
    /// sections. A symbol not defined yet is assumed to be what `later`
    /// says, or else to be defined later by an object, plainly (what a
    /// program's own functions and data are); the wait checks every
    /// assumption (`scan_relocations`).
    pub(crate) fn scan(
        opts: &Options,
        res: &Resolved,
        f: usize,
        live: &[bool],
        later: Option<&LaterDefs>,
    ) -> ScanAhead {
        let kind = opts.output_kind;
        // Each symbol's view made once (a symbol has many relocations:
        // 3.3 ms of the last object's arrival on synth-3000-g went to
        // making them again); by symbol, for `seen`.
        let seen = std::cell::RefCell::new(std::collections::BTreeMap::new());
        let view = |id: SymbolId| {
            *seen.borrow_mut().entry(id).or_insert_with(|| {
                let g = &res.symbols[id as usize];
                if g.def == SymDef::Undefined {
                    later
                        .and_then(|l| l.0.get(g.name.get()))
                        .copied()
                        .unwrap_or(GlobalView::plain())
                } else {
                    global_view(res, kind, id)
                }
            })
        };
        let ctx = DecideCtx::new(kind, opts.no_relax);
        let n = res.objects[f].sections.len();
        let result = scan_file(opts, res, live, f, &ctx, 0..n, &view);
        let seen = seen.into_inner().into_iter().collect();
        ScanAhead { seen, result }
    }

    /// The same scan with the symbols numbered again (`moved`), as the
    /// resolution did when an input came into a gap before this object
    /// (`resolve::Incremental::fill_gap`).
    pub(crate) fn renumber(&mut self, moved: &crate::resolve::Renumbered) {
        for (id, _) in &mut self.seen {
            *id = moved.map(*id);
        }
        self.seen.sort_unstable_by_key(|s| s.0);
        let r = &mut self.result;
        for (id, _) in &mut r.needs {
            *id = moved.map(*id);
        }
        for (id, _) in &mut r.undefined {
            *id = moved.map(*id);
        }
        for id in &mut r.addr_taken {
            *id = moved.map(*id);
        }
    }
}

#[derive(Default)]
pub(crate) struct ScanResult {
    /// (symbol, needs) for globals.
    pub(crate) needs: Vec<(SymbolId, arch::Needs)>,
    /// (symbol index, needs) for this file's local symbols.
    pub(crate) local_needs: Vec<(u32, arch::Needs)>,
    pub(crate) tlsld: bool,
    /// Dynamic relocations made at input-section places.
    pub(crate) dynrels: u64,
    /// With `-z pack-relative-relocs`: (input section, offset) of each of
    /// those that is relative (an address in this image).
    pub(crate) relative: Vec<(u32, u64)>,
    pub(crate) errors: Vec<String>,
    pub(crate) undefined: Vec<(SymbolId, String)>,
    pub(crate) textrel: bool,
    /// With `--warn-textrel`: one message per text relocation.
    pub(crate) textrel_warnings: Vec<String>,
    /// Shared libraries (indices) whose symbols live relocations use.
    pub(crate) shared_used: Vec<u32>,
    /// With `-z rewrite-endbr`: globals whose address is taken (a live
    /// relocation other than a direct call or jump refers to them) ...
    pub(crate) addr_taken: Vec<SymbolId>,
    /// ... and places in this file's sections (section, offset) likewise.
    pub(crate) addr_taken_local: Vec<(u32, u64)>,
}

impl ScanResult {
    /// Appends `later`, the scan of the sections after this one's in the
    /// same file: the same as scanning both at once.
    fn absorb(&mut self, later: ScanResult) {
        self.needs.extend(later.needs);
        self.local_needs.extend(later.local_needs);
        self.tlsld |= later.tlsld;
        self.dynrels += later.dynrels;
        self.relative.extend(later.relative);
        self.errors.extend(later.errors);
        self.undefined.extend(later.undefined);
        self.textrel |= later.textrel;
        self.textrel_warnings.extend(later.textrel_warnings);
        for file in later.shared_used {
            if self.shared_used.last() != Some(&file) {
                self.shared_used.push(file);
            }
        }
        self.addr_taken.extend(later.addr_taken);
        self.addr_taken_local.extend(later.addr_taken_local);
    }
}

/// Scans sections `secs` of object `f`; `view`: what it needs to know of
/// each global symbol (`global_views`). Reads nothing else of other
/// inputs, which is what lets a scan made ahead be checked.
fn scan_file(
    opts: &Options,
    res: &Resolved,
    live: &[bool],
    f: usize,
    ctx: &DecideCtx,
    secs: std::ops::Range<usize>,
    view: &impl Fn(SymbolId) -> GlobalView,
) -> ScanResult {
    let o = &res.objects[f];
    let mut out = ScanResult {
        needs: Vec::new(),
        local_needs: Vec::new(),
        tlsld: false,
        dynrels: 0,
        relative: Vec::new(),
        errors: Vec::new(),
        undefined: Vec::new(),
        textrel: false,
        textrel_warnings: Vec::new(),
        shared_used: Vec::new(),
        addr_taken: Vec::new(),
        addr_taken_local: Vec::new(),
    };
    let kind = opts.output_kind;
    // Shared objects may leave symbols undefined unless `-z defs`.
    let report_undefined =
        (kind != OutputKind::Shared || opts.no_undefined) && opts.unresolved_in_objects;
    for (si, sec) in o
        .sections
        .iter()
        .enumerate()
        .take(secs.end)
        .skip(secs.start)
    {
        if !live[si] || sec.relocs == 0 {
            continue;
        }
        let alloc = sec.is_alloc();
        let writable = sec.flags & elf::SHF_WRITE != 0;
        let bytes = o.section_data(si);
        let relocs = o.relocs_of(sec);
        // In .eh_frame only live records' relocations matter.
        let dead_ranges: Vec<(u64, u64)> = if sec.kind == SectionKind::EhFrame {
            eh_dead_ranges(o, si as u32, live)
        } else {
            Vec::new()
        };
        let mut skip = false;
        for r in relocs {
            if skip {
                skip = false;
                continue;
            }
            if !dead_ranges.is_empty()
                && dead_ranges
                    .iter()
                    .any(|&(a, b)| r.offset() >= a && r.offset() < b)
            {
                continue;
            }
            let gid = res.global_of(f, r.sym());
            if opts.rewrite_endbr
                && alloc
                && sec.kind != SectionKind::EhFrame
                && !is_direct_branch(r, bytes)
            {
                note_address_taken(o, r, gid, &mut out);
            }
            // Once per relocation: the scan made ahead computes it.
            let g = gid.map(view);
            if let (Some(id), Some(g)) = (gid, g) {
                if g.shared != NONE && out.shared_used.last() != Some(&g.shared) {
                    out.shared_used.push(g.shared);
                }
                // A hidden reference cannot bind to another module.
                if (g.undefined || g.hidden_import)
                    && !o.symbols[r.sym() as usize].is_weak()
                    && alloc
                    && report_undefined
                {
                    let loc = format!(
                        "{}:({}+{:#x})",
                        o.name,
                        String::from_utf8_lossy(sec.name.get()),
                        r.offset()
                    );
                    out.undefined.push((id, loc));
                }
            }
            let t = match g {
                Some(g) => g.props,
                None => target_props(res, kind, f, r.sym()),
            };
            if t.at_own_address() && Native::direct_pc32(r.rtype()) {
                // The commonest (a call, a PC-relative address): nothing
                // needed, nothing to check (`Arch::direct_pc32`).
                continue;
            }
            match Native::decide(ctx, r.rtype(), t, alloc, writable, bytes, r.offset()) {
                Ok((a, n)) => {
                    if n.dyn_reloc {
                        out.dynrels += 1;
                        // As the writer decides: Abs64Dyn to a local target.
                        if opts.pack_relr && a.is_dynamic_abs() && !t.imported {
                            out.relative.push((si as u32, r.offset()));
                        }
                        if !writable {
                            out.textrel = true;
                            if opts.warn_textrel {
                                // One per file, section and symbol, as GNU
                                // ld and mold say it (not per place).
                                let w = format!(
                                    "{}:({}): relocation against {}' in read-only section `{}'",
                                    o.name,
                                    String::from_utf8_lossy(sec.name.get()),
                                    sym_display(o, r.sym()).replacen(' ', " `", 1),
                                    String::from_utf8_lossy(sec.name.get()),
                                );
                                out.textrel_warnings.push(w);
                            }
                        }
                    }
                    if n.skip_next {
                        skip = true;
                    }
                    out.tlsld |= n.tlsld;
                    if n != arch::Needs::default() {
                        match gid {
                            Some(id) => out.needs.push((id, n)),
                            None => {
                                if n.got || n.gottp || n.tlsgd || n.tlsdesc {
                                    out.local_needs.push((r.sym(), n));
                                }
                                if n.plt || n.copy {
                                    out.errors.push(format!(
                                        "{}:({}+{:#x}): {} against local symbol {} is not supported",
                                        o.name,
                                        String::from_utf8_lossy(sec.name.get()),
                                        r.offset(),
                                        Native::rel_name(r.rtype()),
                                        String::from_utf8_lossy(o.symbols[r.sym() as usize].name.get())
                                    ));
                                }
                            }
                        }
                    }
                }
                Err(msg) => out.errors.push(format!(
                    "{}:({}+{:#x}): {} (against {})",
                    o.name,
                    String::from_utf8_lossy(sec.name.get()),
                    r.offset(),
                    msg,
                    sym_display(o, r.sym())
                )),
            }
        }
    }
    // Kept to the end of the link, one set per file: no room to spare.
    out.needs.shrink_to_fit();
    out.local_needs.shrink_to_fit();
    out.relative.shrink_to_fit();
    out
}

/// Whether relocation `r` is the displacement of a direct `call`, `jmp`
/// or conditional jump (which does not take its target's address).
fn is_direct_branch(r: &crate::object_file::Reloc, bytes: &[u8]) -> bool {
    r.addend() == Native::BRANCH_ADDEND && Native::is_branch(r.rtype(), bytes, r.offset())
}

/// Records that relocation `r` (not a direct branch) takes the address of
/// its target: a global, a local symbol, or a place in a section (a
/// section symbol plus the addend, or plus the addend and 4 for a
/// PC-relative one: both are kept, to be safe).
fn note_address_taken(
    o: &ObjectFile,
    r: &crate::object_file::Reloc,
    gid: Option<SymbolId>,
    out: &mut ScanResult,
) {
    if let Some(id) = gid {
        out.addr_taken.push(id);
        return;
    }
    let Some(s) = o.symbols.get(r.sym() as usize) else {
        return;
    };
    if s.typ == elf::STT_SECTION {
        let a = r.addend() as u64;
        out.addr_taken_local.push((s.shndx, a));
        out.addr_taken_local.push((s.shndx, a.wrapping_add(4)));
    } else {
        out.addr_taken_local.push((s.shndx, s.value));
    }
}

pub fn sym_display(o: &ObjectFile, sym: u32) -> String {
    let s = &o.symbols[sym as usize];
    if s.typ == elf::STT_SECTION {
        if let Some(sec) = o.sections.get(s.shndx as usize) {
            return format!("section {}", String::from_utf8_lossy(sec.name.get()));
        }
    }
    format!("symbol {}", String::from_utf8_lossy(&s.name))
}

/// Whether object `o`'s `.comment` says rustc made it.
pub(crate) fn built_by_rustc(o: &ObjectFile) -> bool {
    o.sections
        .iter()
        .enumerate()
        .any(|(i, s)| s.name == b".comment" && o.section_data(i).windows(5).any(|w| w == b"rustc"))
}

/// Relocations per piece of work of the scan: a big object (a Rust
/// crate's codegen unit) is split so that it does not leave the other
/// threads idle at the end.
const SCAN_CHUNK: u32 = 4096;

/// What the relocation pass gives (`scan_all`).
pub(crate) struct Scanned {
    /// Per global symbol: what relocations against it need to know.
    pub(crate) views: Vec<GlobalView>,
    /// Per object: its scan.
    pub(crate) scans: Vec<ScanResult>,
    pub(crate) needs: Needs,
    pub(crate) sym_info: Vec<SymInfo>,
    /// What the scans made ahead assumed (thousands of small vectors):
    /// freed with the link's tables, not in the wait.
    pub(crate) retired: Vec<Vec<(SymbolId, GlobalView)>>,
}

/// The relocation pass: every global symbol's view, each object's scan
/// (or the one made ahead, checked against the views), and what the
/// scans need together; each step timed on its own (`--stats`).
pub(crate) fn scan_all(
    inp: &LinkInput,
    live: &[Vec<bool>],
    ahead: Vec<ScanAhead>,
) -> Result<Scanned> {
    let t = crate::timing::span("scan: views");
    let views = global_views(inp.res, inp.opts.output_kind);
    drop(t);
    let t = crate::timing::span("scan: scans");
    let (scans, retired) = scan_relocations(inp, live, &views, ahead);
    drop(t);
    let _t = crate::timing::span("scan: needs");
    let (needs, sym_info) = gather_needs(inp, &scans)?;
    Ok(Scanned {
        views,
        scans,
        needs,
        sym_info,
        retired,
    })
}

/// The scans: every live section's relocations (`scan_file`), in parallel
/// per file or, in a big file, per run of sections; the runs' results are
/// joined in order, so each file's is what one scan of it gives. `ahead`:
/// the scans of the first objects made before the wait, each taken if
/// every global symbol of its object is as it assumed, else made again;
/// what they assumed is returned apart, to be freed after the link.
fn scan_relocations(
    inp: &LinkInput,
    live: &[Vec<bool>],
    views: &[GlobalView],
    ahead: Vec<ScanAhead>,
) -> (Vec<ScanResult>, Vec<Vec<(SymbolId, GlobalView)>>) {
    let res = inp.res;
    let opts = inp.opts;
    let ctx = DecideCtx::new(opts.output_kind, opts.no_relax);
    // A local IFUNC given a global entry since is not in the views.
    let promoted: std::collections::HashSet<u32> = res.promoted.keys().map(|k| k.0).collect();
    // Checked in place, and each result moved once, into its place in
    // `out` (moving them twice, and freeing what they assumed, was a
    // third of this step in the wait of a 3,000-object link).
    let taken: Vec<bool> = ahead
        .par_iter()
        .enumerate()
        .map(|(f, a)| {
            !promoted.contains(&(f as u32))
                && a.seen
                    .iter()
                    .all(|&(id, v)| views.get(id as usize) == Some(&v))
        })
        .collect();
    if opts.stats && !taken.is_empty() {
        let again: Vec<&str> = (taken.iter().enumerate())
            .filter(|(_, t)| !**t)
            .map(|(f, _)| res.objects[f].name.as_str())
            .collect();
        let some = again.iter().take(8).copied().collect::<Vec<_>>().join(", ");
        eprintln!(
            "cld: relocation scans made ahead: {} taken, {} made again{}",
            taken.len() - again.len(),
            again.len(),
            if again.is_empty() {
                String::new()
            } else {
                format!(" ({some})")
            }
        );
    }
    let mut out: Vec<ScanResult> = Vec::with_capacity(res.objects.len());
    let mut retired = Vec::with_capacity(ahead.len());
    for (a, &t) in ahead.into_iter().zip(&taken) {
        out.push(if t { a.result } else { ScanResult::default() });
        retired.push(a.seen);
    }
    out.resize_with(res.objects.len(), ScanResult::default);
    let mut work: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for (f, o) in res.objects.iter().enumerate() {
        if taken.get(f) == Some(&true) {
            continue;
        }
        let (mut start, mut n) = (0, 0);
        for (si, sec) in o.sections.iter().enumerate() {
            n += o.relocs_of(sec).len() as u32;
            if n >= SCAN_CHUNK {
                work.push((f, start..si + 1));
                (start, n) = (si + 1, 0);
            }
        }
        if start < o.sections.len() || start == 0 {
            work.push((f, start..o.sections.len()));
        }
    }
    let view = |id: SymbolId| views[id as usize];
    let parts: Vec<(usize, ScanResult)> = work
        .into_par_iter()
        .map(|(f, secs)| (f, scan_file(opts, res, &live[f], f, &ctx, secs, &view)))
        .collect();
    // A file's parts come one after another, its first one first.
    let mut last = usize::MAX;
    for (f, r) in parts {
        if f == last {
            out[f].absorb(r);
        } else {
            out[f] = r;
            last = f;
        }
    }
    (out, retired)
}

/// What the live relocations need, gathered from every file's scan.
pub(crate) struct Needs {
    /// Per global symbol: a GOT slot for its address, for its TP offset,
    /// a PLT entry, a copy relocation, a general-dynamic TLS pair, a TLS
    /// descriptor.
    pub(crate) got: Vec<bool>,
    pub(crate) gottp: Vec<bool>,
    pub(crate) plt: Vec<bool>,
    pub(crate) copy: Vec<bool>,
    pub(crate) tlsgd: Vec<bool>,
    pub(crate) tlsdesc: Vec<bool>,
    /// The module's local-dynamic TLS pair.
    pub(crate) tlsld: bool,
    /// GOT entries of file-local symbols: (file, symbol, `LG_*` kind), in
    /// scan order, repeated as often as they are used.
    pub(crate) local_order: Vec<(u32, u32, u8)>,
    /// A dynamic relocation in a read-only section (`DT_TEXTREL`).
    pub(crate) textrel: bool,
}

/// Gathers the scans in file order: what each symbol needs (and whether
/// a canonical PLT entry would do, in `SymInfo`), warnings about text
/// relocations. Fails with every relocation error and undefined symbol.
fn gather_needs(inp: &LinkInput, scans: &[ScanResult]) -> Result<(Needs, Vec<SymInfo>)> {
    let res = inp.res;
    let mut errors: Vec<String> = Vec::new();
    let mut undefined: Vec<(SymbolId, String)> = Vec::new();
    let mut sym_info = vec![
        SymInfo {
            got: NONE,
            gottp: NONE,
            tlsgd: NONE,
            tlsdesc: NONE,
            plt: NONE,
            dynsym: NONE,
            ..Default::default()
        };
        res.symbols.len()
    ];
    let mut needs_got = vec![false; res.symbols.len()];
    let mut needs_gottp = vec![false; res.symbols.len()];
    let mut needs_plt = vec![false; res.symbols.len()];
    let mut needs_copy = vec![false; res.symbols.len()];
    let mut needs_tlsgd = vec![false; res.symbols.len()];
    let mut needs_tlsdesc = vec![false; res.symbols.len()];
    let mut needs_tlsld = false;
    let mut local_order: Vec<(u32, u32, u8)> = Vec::new();
    let mut textrel = false;
    for (f, s) in scans.iter().enumerate() {
        needs_tlsld |= s.tlsld;
        errors.extend(s.errors.iter().cloned());
        undefined.extend(s.undefined.iter().cloned());
        textrel |= s.textrel;
        let mut said = std::collections::HashSet::new();
        for w in &s.textrel_warnings {
            if said.insert(w) {
                crate::error::warn(w);
            }
        }
        for &(id, n) in &s.needs {
            let i = id as usize;
            needs_got[i] |= n.got;
            needs_gottp[i] |= n.gottp;
            needs_plt[i] |= n.plt;
            needs_copy[i] |= n.copy;
            needs_tlsgd[i] |= n.tlsgd;
            needs_tlsdesc[i] |= n.tlsdesc;
            sym_info[i].canonical_plt |= n.canonical_plt;
        }
        for &(sym, n) in &s.local_needs {
            for (need, k) in [
                (n.got, LG_ADDR),
                (n.gottp, LG_TPOFF),
                (n.tlsgd, LG_TLSGD),
                (n.tlsdesc, LG_TLSDESC),
            ] {
                if need {
                    local_order.push((f as u32, sym, k));
                }
            }
        }
    }
    report_undefined(inp, undefined, &mut errors);
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    let needs = Needs {
        got: needs_got,
        gottp: needs_gottp,
        plt: needs_plt,
        copy: needs_copy,
        tlsgd: needs_tlsgd,
        tlsdesc: needs_tlsdesc,
        tlsld: needs_tlsld,
        local_order,
        textrel,
    };
    Ok((needs, sym_info))
}

/// Undefined symbols: one message per symbol, listing its references;
/// errors, or warnings with `--warn-unresolved-symbols`.
fn report_undefined(inp: &LinkInput, undefined: Vec<(SymbolId, String)>, errors: &mut Vec<String>) {
    let res = inp.res;
    let opts = inp.opts;
    // Undefined symbols: one error per symbol, listing references.
    if !undefined.is_empty() {
        let mut by_sym: Vec<(SymbolId, Vec<String>)> = Vec::new();
        let mut idx: HashMap<SymbolId, usize> = HashMap::new();
        for (id, loc) in undefined {
            let i = *idx.entry(id).or_insert_with(|| {
                by_sym.push((id, Vec::new()));
                by_sym.len() - 1
            });
            by_sym[i].1.push(loc);
        }
        let rust = opts.demangle && res.objects.iter().any(built_by_rustc);
        for (id, locs) in by_sym {
            let name = res.symbols[id as usize].name_str();
            let shown = match crate::exports::demangle_for_messages(&name, rust) {
                Some(d) if opts.demangle => d,
                _ => name,
            };
            let mut m = format!("undefined symbol: {shown}");
            for l in locs.iter().take(8) {
                m.push_str(&format!("\n>>> referenced by {l}"));
            }
            if locs.len() > 8 {
                m.push_str(&format!("\n>>> referenced {} more times", locs.len() - 8));
            }
            if opts.warn_unresolved {
                crate::error::warn(m);
            } else {
                errors.push(m);
            }
        }
    }
}
