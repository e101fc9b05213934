//! Layout: decides everything about the output before a byte is written.
//! The writer only fills in what is decided here. `compute` runs the
//! passes in this order, each in its module (the synthetic sections'
//! passes in `chunks`, beside the code that writes them; the architecture
//! through `arch::Native`):
//!
//! | pass | module | decides |
//! |---|---|---|
//! | live sections | `liveness` (+ `icf`) | which input sections reach the output (`--gc-sections`, ICF) |
//! | relocation scan | `scan` | what each live relocation needs (`Arch::decide`): GOT, PLT, copy, TLS, dynamic relocations; undefined symbols |
//! | GOT and PLT | `got` | the GOT slots and PLT entries, in order |
//! | output sections | `output_sections` | output sections in command-line order, input sections placed in them |
//! | merged strings | `merge` | each distinct string once per merge section |
//! | commons, copies | `bss` | commons in `.common`, copy-relocated symbols in `.copyrel`/`.copyrel.rel.ro` (all in `.bss` under a script's `SECTIONS`) |
//! | `.eh_frame` | `chunks::eh_frame` | the live records, CIEs shared |
//! | dynamic symbols | `dynsym`, `chunks::versions` | needed libraries, `.dynsym` order, `.dynstr`, version sections |
//! | `.dynamic` | `chunks::dynrels::count`, `chunks::dynamic` | the dynamic relocation counts, the `.dynamic` entries |
//! | synthetic sections | `chunks::*::add`, `chunks::symtab::sizes` | every synthetic section, sized |
//! | order | `order`, `chunks::symtab::section_names` | sections sorted by rank, indices renumbered, `.shstrtab` |
//! | addresses | `segments::plan`, `addresses` | program header count, file offsets and addresses (`.relr.dyn` settles, `chunks::relr`) |
//! | program headers | `segments` | the segments |
//! | symbol values | `symbols` | every symbol's value, the entry point |
//! | dynamic relocations | `chunks::dynrels`, `endbr` | the GOT's, PLT's and copies' relocations; `-z rewrite-endbr` |
//!
//! `edit` changes a finished layout for the passes after it (`gdb_index`,
//! `compress`, `separate_debug`).

mod addresses;
mod ahead;
mod bss;
pub(crate) mod dynsym;
mod edit;
mod endbr;
pub(crate) mod got;
mod liveness;
mod merge;
mod order;
mod output_sections;
pub(crate) mod scan;
mod segments;
pub(crate) mod symbols;
mod written;

pub(crate) use crate::chunks::eh_frame::{cie_key, CieKey};
pub use crate::chunks::eh_frame::{eh_dead_ranges, eh_record_live, fde_target_section};
pub use crate::chunks::emit_relocs::emit_relocs_of;
pub use crate::chunks::relr::{encode_relr, packable, PackableIndex};
pub use crate::chunks::symtab::{keep_global, keep_local, plt_symbol_name};
pub(crate) use addresses::place_non_alloc;
pub use ahead::LayoutAhead;
pub use dynsym::{dynsym_name, elf_hash, gnu_hash};
pub use got::{
    got_fill, GotCtx, GotEntry, GotFill, GotTarget, LG_ADDR, LG_TLSDESC, LG_TLSGD, LG_TPOFF,
};
pub(crate) use merge::PassHasher;
pub(crate) use output_sections::{input_regions, is_c_ident, output_name};
pub use scan::LaterDefs;
pub use scan::{global_props, sym_display, target_props};
pub use symbols::{got_target_value, local_sym_addr};
pub use written::WriteAhead;

use crate::chunks::{self, dynamic, dynrels, eh_frame, notes, symtab, versions, Added};
use liveness::Live;
use output_sections::Joined;

use crate::error::{Error, Result};
use crate::options::{Discard, Options, OutputKind};
use crate::resolve::{Resolved, SymbolId};
use object::elf;
use std::collections::HashMap;

pub const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Synth {
    /// Holds input sections (and merged strings, commons, copy relocations).
    Regular,
    Interp,
    GnuProperty,
    BuildId,
    PackageNote,
    Hash,
    GnuHash,
    Dynsym,
    Dynstr,
    Versym,
    Verdef,
    Verneed,
    RelaDyn,
    RelrDyn,
    RelaPlt,
    Plt,
    Got,
    GotPlt,
    Dynamic,
    EhFrame,
    EhFrameHdr,
    Comment,
    Symtab,
    Strtab,
    Shstrtab,
    /// `--emit-relocs`: the relocations of one output section
    /// (`OutputSection::rela_for`).
    EmitRela,
}

/// Which output section each synthetic section is (`Layout::sec_idx`):
/// looked up per relocation (the GOT's and PLT's addresses), so an array
/// by variant rather than a hash map.
#[derive(Clone, Debug)]
pub struct SynthIdx([u32; Synth::EmitRela as usize + 1]);

impl Default for SynthIdx {
    fn default() -> Self {
        SynthIdx([NONE; Synth::EmitRela as usize + 1])
    }
}

impl SynthIdx {
    pub fn get(&self, s: &Synth) -> Option<&u32> {
        Some(&self.0[*s as usize]).filter(|&&i| i != NONE)
    }
    pub fn contains_key(&self, s: &Synth) -> bool {
        self.get(s).is_some()
    }
    pub fn insert(&mut self, s: Synth, i: u32) {
        self.0[s as usize] = i;
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut u32> {
        self.0.iter_mut().filter(|i| **i != NONE)
    }
    /// Keeps the entries for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&u32) -> bool) {
        for i in self.0.iter_mut() {
            if *i != NONE && !keep(i) {
                *i = NONE;
            }
        }
    }
}

impl std::ops::Index<&Synth> for SynthIdx {
    type Output = u32;
    fn index(&self, s: &Synth) -> &u32 {
        self.get(s).expect("no such synthetic section")
    }
}

#[derive(Clone, Debug)]
pub struct OutputSection {
    pub name: Vec<u8>,
    pub synth: Synth,
    pub sh_type: u32,
    pub flags: u64,
    pub align: u64,
    pub size: u64,
    pub addr: u64,
    pub offset: u64,
    pub entsize: u64,
    pub rank: u32,
    /// Input sections placed here: (file, section), in placement order.
    pub inputs: Vec<(u32, u32)>,
    /// For `Synth::EmitRela`: the section whose relocations it holds.
    pub rela_for: u32,
    /// Unique merged strings and their offsets within this section.
    pub merged: Vec<(crate::name::Name, u64)>,
    /// Index in the section header table.
    pub shndx: u32,
    /// The first `inputs` as the writer cuts them, found before the wait
    /// (`LayoutAhead`): how many inputs they cover, and (offset, size,
    /// file, section) of those with contents. Empty unless the inputs
    /// kept the places they had then (`output_sections::place_inputs`).
    pub regions_ahead: (usize, Vec<(u64, u64, u32, u32)>),
}

impl OutputSection {
    pub(crate) fn new(
        name: &[u8],
        synth: Synth,
        sh_type: u32,
        flags: u64,
        align: u64,
        rank: u32,
    ) -> Self {
        OutputSection {
            name: name.to_vec(),
            synth,
            sh_type,
            flags,
            align,
            size: 0,
            addr: 0,
            offset: 0,
            entsize: 0,
            rank,
            inputs: Vec::new(),
            merged: Vec::new(),
            shndx: 0,
            rela_for: NONE,
            regions_ahead: Default::default(),
        }
    }
    pub fn is_alloc(&self) -> bool {
        self.flags & elf::SHF_ALLOC as u64 != 0
    }
    pub fn is_nobits(&self) -> bool {
        self.sh_type == elf::SHT_NOBITS
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// Where a live `.eh_frame` record goes.
#[derive(Clone, Copy, Debug)]
pub struct EhPlace {
    pub file: u32,
    /// Index into the file's `eh_frames`.
    pub frame: u32,
    pub record: u32,
    /// Offset within the output `.eh_frame`.
    pub out_off: u64,
    /// For FDEs: output offset of its CIE.
    pub cie_out: u64,
}

/// A dynamic relocation decided at layout (GOT, PLT, copy). Relocations at
/// input-section places are produced by the writer in a fixed order.
#[derive(Clone, Copy, Debug)]
pub struct DynRel {
    pub offset: u64,
    pub rtype: u32,
    pub dynsym: u32,
    pub addend: i64,
}

#[derive(Default, Clone, Copy, Debug)]
pub struct SymInfo {
    pub got: u32,
    pub gottp: u32,
    pub tlsgd: u32,
    pub tlsdesc: u32,
    pub plt: u32,
    pub dynsym: u32,
    pub copy: bool,
    /// Another name for a copy-relocated object: defined here, no COPY of its own.
    pub copy_alias: bool,
    pub canonical_plt: bool,
    pub exported: bool,
}

pub struct Layout {
    /// What layout no longer reads but has not freed (the scans, the
    /// inputs' destinations): freed with the link's tables
    /// (`link::Finished`), after the output is in place.
    pub(crate) leftovers: Vec<Box<dyn std::any::Any + Send + Sync>>,
    pub kind: OutputKind,
    /// `--no-relax` (the writer decides relocations as the scan did).
    pub no_relax: bool,
    /// `-z rewrite-endbr`: file offsets of `endbr64`s to make `nop`s.
    pub endbr_nops: Vec<u64>,
    pub sections: Vec<OutputSection>,
    pub segments: Vec<Segment>,
    pub shoff: u64,
    pub file_size: u64,
    /// Which local symbols `.symtab` drops (`-X`, `-x`, `--discard-none`).
    pub discard: Discard,
    /// Output sections whose bytes are already made (compressed debug
    /// sections, `compress.rs`): (index in `sections`, contents).
    pub prewritten: Vec<(usize, Vec<u8>)>,
    pub entry: u64,
    /// Per file, per section: (output section, offset within it) or NONE.
    pub placement: Vec<Vec<(u32, u64)>>,
    /// Per file, per section: the address its contents start at, or
    /// `symbols::SEC_DEAD` (not placed) or `symbols::SEC_SPECIAL`
    /// (`.eh_frame`, merged strings: found piece by piece). What
    /// `local_sym_addr` reads for each relocation instead of the section,
    /// its placement and its output section; made by `index_section_addrs`
    /// once addresses are final, and again if a section is dropped.
    pub sec_addrs: Vec<Vec<u64>>,
    /// Per global symbol: what a relocation decision needs to know of it
    /// (`scan::global_props`), in a compact table for the writer.
    pub global_props: Vec<crate::arch::TargetProps>,
    /// Debug sections written before the wait, where that held
    /// (`written::WriteAhead`).
    pub written: Option<WriteAhead>,
    /// The first objects' `.symtab` locals written before the wait.
    pub locals_ahead: Option<crate::chunks::symtab::LocalsAhead>,
    /// Per file, per piece: offset within the output section.
    pub piece_out: Vec<Vec<u64>>,
    /// Final value of every global symbol.
    pub sym_values: Vec<u64>,
    pub sym_info: Vec<SymInfo>,
    pub got: Vec<GotEntry>,
    /// Symbols with PLT entries, in PLT order. Lazy (imported) ones first.
    pub plt: Vec<SymbolId>,
    pub n_lazy_plt: usize,
    /// GOT entries of file-local symbols: (file, symbol, kind) -> slot,
    /// kind as in `LocalGot`.
    pub local_got: HashMap<(u32, u32, u8), u32>,
    /// Slot of the module's local-dynamic TLS pair, or NONE.
    pub tlsld: u32,
    /// Dynamic symbols after the null entry, in `.dynsym` order.
    pub dynsyms: Vec<SymbolId>,
    /// Index of the first dynamic symbol in the GNU hash table.
    pub gnu_hash_first: u32,
    pub gnu_hash_buckets: u32,
    pub dynstr: Vec<u8>,
    pub dynstr_offsets: HashMap<SymbolId, u32>,
    /// Per dynsym (after null): version index.
    pub versyms: Vec<u16>,
    /// .gnu.version_d contents, ready to write.
    pub verdef: Vec<u8>,
    pub verdef_count: u32,
    /// .gnu.version_r contents, ready to write.
    pub verneed: Vec<u8>,
    pub verneed_count: u32,
    pub needed: Vec<u32>,
    pub dynamic: Vec<(i64, DynVal)>,
    pub interp: Option<Vec<u8>>,
    pub eh: Vec<EhPlace>,
    /// Output offset where each (file, .eh_frame section)'s records start.
    pub eh_starts: HashMap<(u32, u32), u64>,
    pub eh_fde_count: u64,
    pub comment: Vec<u8>,
    /// Dynamic relocations from GOT/PLT/copy, and counts of those produced at input places.
    pub got_rels: Vec<DynRel>,
    pub plt_rels: Vec<DynRel>,
    pub irel_rels: Vec<DynRel>,
    pub textrel: bool,
    pub tls_start: u64,
    pub tls_end: u64,
    pub tp: u64,
    pub got_base: u64,
    /// What `.symtab` and `.strtab` hold, part by part.
    pub symtab: crate::chunks::symtab::SymtabPlan,
    pub shstrtab: Vec<u8>,
    pub build_id_len: usize,
    /// `.note.gnu.property` contents (type, value); empty: no such note.
    pub gnu_properties: Vec<(u32, u32)>,
    pub sec_idx: SynthIdx,
    /// Per file and section: whether it reaches the output (after
    /// `--gc-sections` and ICF).
    pub live: Vec<Vec<bool>>,
    pub execstack: bool,
    /// A linker script's data statements: (file offset, bytes).
    pub script_data: Vec<(u64, Vec<u8>)>,
}

/// A `.dynamic` value that may need an address.
#[derive(Clone, Copy, Debug)]
pub enum DynVal {
    Val(u64),
    SecAddr(Synth),
    SecSize(Synth),
    /// Address of a regular output section by index.
    OutAddr(u32),
    OutSize(u32),
    SymAddr(SymbolId),
    /// Total size of the dynamic relocations in `.rela.dyn`.
    RelaDynSize,
}

pub fn align_up(v: u64, a: u64) -> u64 {
    if a <= 1 {
        v
    } else {
        (v + a - 1) & !(a - 1)
    }
}

pub struct LinkInput<'a> {
    pub opts: &'a Options,
    pub res: &'a Resolved,
    pub versions: &'a crate::exports::VersionDefs,
    /// Linker scripts' assignments and assertions (`script_link`).
    pub scripts: &'a crate::script_link::Scripts,
    /// What layout did before the wait for a prefix of the inputs; the
    /// passes it covers take it.
    pub ahead: std::sync::Mutex<Option<LayoutAhead>>,
}

impl Layout {
    pub fn sec(&self, s: Synth) -> Option<&OutputSection> {
        self.sec_idx.get(&s).map(|&i| &self.sections[i as usize])
    }
    pub fn sec_addr(&self, s: Synth) -> u64 {
        self.sec(s).map(|s| s.addr).unwrap_or(0)
    }
    pub fn got_ctx<'a>(
        &self,
        value: &'a (dyn Fn(GotTarget) -> u64 + Sync),
        dynsym: &'a (dyn Fn(SymbolId) -> u32 + Sync),
    ) -> GotCtx<'a> {
        GotCtx {
            kind: self.kind,
            value,
            dynsym,
            tls_start: self.tls_start,
            tp: self.tp,
        }
    }
    pub fn got_slot_addr(&self, i: u32) -> u64 {
        self.sec_addr(Synth::Got) + i as u64 * 8
    }
    /// `.got.plt` slot of PLT entry `i`.
    pub fn gotplt_slot_addr(&self, i: u32) -> u64 {
        self.sec_addr(Synth::GotPlt) + (3 + i as u64) * 8
    }
    pub fn plt_entry_addr(&self, i: u32) -> u64 {
        self.sec_addr(Synth::Plt) + chunks::got_plt::plt_entry_offset(self.n_lazy_plt, i)
    }
}

/// Refuses a static link that would need a shared library.
fn check_static(inp: &LinkInput) -> Result<()> {
    let res = inp.res;
    let kind = inp.opts.output_kind;
    if kind.is_static() {
        if let Some(s) = res.shared.iter().find(|s| s.needed) {
            return Err(Error::new(format!(
                "attempted static link of dynamic object {}",
                s.file.name
            )));
        }
    }
    Ok(())
}

/// `.gnu.hash`, `.dynsym` and the version sections, sized for `dynsyms`.
fn add_dynamic_symbol_tables(
    opts: &Options,
    out: &mut Added,
    dynsyms: &dynsym::DynSyms,
    strings: &versions::DynStrings,
) {
    let ndyn = dynsyms.dynsyms.len() as u64 + 1;
    let (n_exports, buckets) = (dynsyms.n_exports, dynsyms.gnu_hash_buckets);
    chunks::hash::add(opts, out, ndyn, n_exports, buckets);
    chunks::dynsym::add(out, ndyn);
    versions::add(out, strings, ndyn);
}

/// The layout passes, in order. Each takes what earlier ones decided and
/// returns what it decides; `LinkInput` (options, resolution, versions,
/// scripts) is read by all. Pass timings (`--stats`) are named here.
pub fn compute(inp: &LinkInput) -> Result<Layout> {
    let opts = inp.opts;
    let res = inp.res;
    let kind = opts.output_kind;
    check_static(inp)?;

    let mut pass = crate::timing::span("layout: liveness");
    // What was done before the wait for the first inputs, if anything.
    let ahead = inp.ahead.lock().ok().and_then(|mut a| a.take());
    let was_ahead = ahead.is_some();
    let LayoutAhead {
        live: live_ahead,
        dests: dests_ahead,
        joined,
        placed,
        merge,
        eh,
        scans: scans_ahead,
        written,
        locals: locals_ahead,
        locals_written,
        ..
    } = ahead.unwrap_or_default();
    // The folds go on from where they stopped before the wait, if they ran.
    let Live { live, folded } = liveness::live_sections(inp, live_ahead);

    // The output sections beside the scan (see `output_sections::all`).
    crate::timing::next(&mut pass, "layout: scan relocations; output sections");
    let outs_ahead = (dests_ahead, was_ahead.then_some((joined, placed)));
    let (scanned, (dests, joined, placed)) = rayon::join(
        || scan::scan_all(inp, &live, scans_ahead),
        || output_sections::all(inp, &live, &folded, outs_ahead),
    );
    let scan::Scanned {
        views,
        scans,
        needs,
        mut sym_info,
        retired,
    } = scanned?;
    let Joined {
        mut sections,
        mut by_name,
        merge_secs,
        comments,
        execstack,
        ..
    } = joined;

    crate::timing::next(&mut pass, "layout: got, plt");
    let gp = got::order(inp, &needs, &mut sym_info);
    let gnu_properties = notes::gnu_properties(inp, !gp.plt.is_empty());
    bss::copy_relocation_errors(inp, &needs.copy)?;
    let relr = chunks::relr::relr_plan(inp, &scans, &gp.got);
    // Its errors after those above, as when it ran after them.
    let (mut placement, mut script_data) = placed?;

    crate::timing::next(&mut pass, "layout: merged strings; eh_frame");
    // `.eh_frame`'s records beside the strings (which are merged on one
    // thread below some size, `merge.rs`): they need the live sections.
    let (piece_out, eh) = rayon::join(
        || {
            merge::merge_strings(
                res,
                &merge_secs,
                &mut sections,
                &mut placement,
                &by_name,
                was_ahead.then_some(merge),
            )
        },
        || eh_frame::place_records(res, &live, was_ahead.then_some(eh)),
    );
    let eh = eh?;

    crate::timing::next(&mut pass, "layout: commons, copies");
    let mut bss = bss::place_commons_and_copies(inp, &mut sym_info, &mut sections, &mut by_name);
    let comment = notes::comment(res, comments);

    crate::timing::next(&mut pass, "layout: dynamic symbols");
    let dynsyms = dynsym::dynamic_symbols(inp, &scans, &bss.copy_off, &mut sym_info);
    let strings = versions::dynstr_and_versions(inp, &dynsyms, relr.is_some());

    crate::timing::next(&mut pass, "layout: synthetic sizes");
    let counts = dynrels::count(inp, &gp, &sym_info, &scans);
    let mut dyn_entries = dynamic::entries(
        inp,
        &strings,
        &sections,
        &gp,
        &counts,
        relr.is_some(),
        needs.textrel,
    );
    // The synthetic sections, sized; the order they are made in decides
    // ties of rank.
    let interp = notes::interp(opts);
    let build_id_len = notes::build_id_len(opts);
    let mut sec_idx = SynthIdx::default();
    let mut out = Added {
        sections: &mut sections,
        sec_idx: &mut sec_idx,
    };
    notes::add(opts, &mut out, &interp, &gnu_properties, build_id_len);
    if kind.is_dynamic() {
        add_dynamic_symbol_tables(opts, &mut out, &dynsyms, &strings);
    }
    dynrels::add(opts, &mut out, &counts, gp.n_lazy_plt, relr.is_some());
    chunks::got_plt::add_plt(&mut out, &gp);
    eh_frame::add(opts, &mut out, &eh);
    dynamic::add(opts, &mut out, &dyn_entries);
    chunks::got_plt::add_got(&mut out, &gp);
    notes::add_comment(&mut out, &comment);

    crate::timing::next(&mut pass, "layout: symtab sizes");
    let symtab_plan = symtab::sizes(opts, res, &placement, &gp.plt, out.sections, &locals_ahead);
    symtab::add(
        opts,
        &mut out,
        symtab_plan.count(),
        symtab_plan.strtab_size(),
    );
    if opts.emit_relocs {
        chunks::emit_relocs::add(res, &live, out.sections);
    }
    symtab::add_shstrtab(&mut out);

    crate::timing::next(&mut pass, "layout: order, addresses, headers");
    let (mut sections, remap) = order::sort_sections(inp, sections);
    order::renumber(
        &remap,
        &mut placement,
        &mut sec_idx,
        &mut dyn_entries,
        &mut script_data,
    );
    bss.renumber(&remap);
    let shstrtab = symtab::section_names(&mut sections, &sec_idx);
    let headers = segments::plan(
        opts,
        &sections,
        &sec_idx,
        interp.is_some(),
        !gnu_properties.is_empty(),
    );
    let base = addresses::image_base(opts);
    let placed = addresses::place_loaded(
        opts,
        &mut sections,
        &placement,
        &sec_idx,
        relr.as_ref(),
        &headers,
        base,
    )?;
    let (shoff, file_size) = place_non_alloc(&mut sections, placed.end);
    let tp = addresses::thread_pointer(&placed, headers.has_tls);
    let segments =
        segments::program_headers(&sections, &sec_idx, &headers, &placed, base, execstack)?;

    let mut layout = Layout {
        kind,
        no_relax: opts.no_relax,
        endbr_nops: Vec::new(),
        sections,
        segments,
        shoff,
        file_size,
        prewritten: Vec::new(),
        discard: opts.discard,
        entry: 0,
        placement,
        piece_out,
        sym_values: vec![0; res.symbols.len()],
        sym_info,
        got: gp.got,
        plt: gp.plt,
        n_lazy_plt: gp.n_lazy_plt,
        local_got: gp.local_got,
        tlsld: gp.tlsld,
        dynsyms: dynsyms.dynsyms,
        gnu_hash_first: dynsyms.gnu_hash_first,
        gnu_hash_buckets: dynsyms.gnu_hash_buckets,
        dynstr: strings.dynstr,
        dynstr_offsets: strings.dynstr_offsets,
        versyms: strings.versyms,
        verdef: strings.verdef,
        verdef_count: strings.verdef_count,
        verneed: strings.verneed,
        verneed_count: strings.verneed_count,
        needed: dynsyms.needed,
        dynamic: dyn_entries,
        interp,
        eh: eh.eh,
        eh_starts: eh.starts,
        eh_fde_count: eh.fde_count,
        comment,
        got_rels: Vec::new(),
        plt_rels: Vec::new(),
        irel_rels: Vec::new(),
        textrel: needs.textrel,
        tls_start: placed.tls_start,
        tls_end: placed.tls_end,
        tp,
        got_base: 0,
        symtab: symtab_plan,
        shstrtab,
        build_id_len,
        gnu_properties,
        sec_idx,
        live,
        execstack,
        script_data: Vec::new(),
        sec_addrs: Vec::new(),
        global_props: views.iter().map(|v| v.props).collect(),
        written: None,
        locals_ahead: None,
        leftovers: Vec::new(),
    };
    layout.got_base = layout.sec_addr(Synth::GotPlt);
    layout.index_section_addrs(res);

    crate::timing::next(&mut pass, "layout: symbol values");
    layout.sym_values = symbols::symbol_values(inp, &layout, &bss.common_off, &bss.copy_off)?;
    if !script_data.is_empty() {
        layout.script_data =
            inp.scripts
                .data_bytes(res, &layout, opts.max_page_size, &script_data)?;
    }
    layout.entry = symbols::entry_point(inp, &layout)?;

    if written.is_some() || locals_written.is_some() {
        crate::timing::next(&mut pass, "layout: check what was written ahead");
        layout.take_written_ahead(res, opts, &remap, written, locals_written);
    }

    crate::timing::next(&mut pass, "layout: dynamic relocations");
    dynrels::plan_dynrels(inp, &mut layout);
    layout.endbr_nops = endbr::endbr_rewrites(inp, &scans, &layout);
    // Thousands of small vectors (on this thread, about a tenth of the
    // concurrent wait's layout): freed with the link's tables.
    layout.leftovers.push(Box::new((scans, dests, retired)));
    Ok(layout)
}

impl Layout {
    /// What the background linker wrote before the wait (sections,
    /// `.symtab` locals), for the writer to take where it holds in this
    /// layout (`remap`: the joined output sections' indices to its own).
    fn take_written_ahead(
        &mut self,
        res: &Resolved,
        opts: &Options,
        remap: &[u32],
        written: Option<WriteAhead>,
        locals: Option<crate::chunks::symtab::LocalsAhead>,
    ) {
        let t = crate::timing::span("check: .symtab locals");
        self.locals_ahead = locals.and_then(|a| a.renumber(remap, &self.placement));
        drop(t);
        if let Some(w) = written {
            let _t = crate::timing::span("check: sections");
            let (w, kept, made) = w.checked(res, self, remap);
            if opts.stats {
                eprintln!("cld: sections written ahead: {kept} of {made} taken");
                let (n, files, most) = w.left_to_wait(res, 5);
                eprintln!(
                    "cld: relocations in them left to the wait: {n} in {files} objects (most: {most})"
                );
            }
            self.written = Some(w);
        }
    }
}

fn leak(v: &[u8]) -> &'static [u8] {
    Box::leak(v.to_vec().into_boxed_slice())
}

pub use crate::resolve::is_linker_defined;
