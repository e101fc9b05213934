//! Layout: decides everything about the output before a byte is written.
//! Live sections (with `--gc-sections`, what is reachable from the roots),
//! output sections and their order, what the relocations need (GOT, PLT,
//! copy relocations, dynamic relocations; decided by `x86_64::decide`),
//! merged strings, `.eh_frame` records, dynamic symbols and versions, the
//! size of every synthetic section, then file offsets, addresses, segments
//! and final symbol values. The writer only fills in what is decided here.

mod addresses;
mod bss;
mod dynamic;
mod dynrels;
mod dynsym;
mod edit;
mod eh_frame;
mod endbr;
mod got;
mod liveness;
mod merge;
mod output_sections;
mod relr;
mod scan;
mod symbols;
mod symtab;
mod synthetic;

pub(crate) use addresses::place_non_alloc;
use addresses::{assign_addresses, Placed};
use bss::copy_relocation_errors;
use dynamic::{DT_RELR, DT_RELRENT, DT_RELRSZ};
use dynrels::plan_dynrels;
pub use dynsym::{dynsym_name, elf_hash, gnu_hash};
pub(crate) use eh_frame::{cie_key, CieKey};
pub use eh_frame::{eh_dead_ranges, eh_record_live, fde_target_section};
use endbr::endbr_rewrites;
pub use got::{
    got_fill, GotCtx, GotEntry, GotFill, GotTarget, LG_ADDR, LG_TLSDESC, LG_TLSGD, LG_TPOFF,
};
use liveness::liveness;
use merge::{PassHasher, PieceKey};
use output_sections::{
    array_priority, file_dests, rank_of, script_order, wants_execstack, FileDests,
};
pub(crate) use output_sections::{is_c_ident, output_name};
use relr::relr_plan;
pub use relr::{encode_relr, packable, PackableIndex};
use scan::{built_by_rustc, scan_file, ScanResult};
pub use scan::{global_props, sym_display, target_props};
use symbols::symbol_values;
pub use symbols::{got_target_value, local_sym_addr};
use symtab::symtab_plan;
pub use symtab::{keep_global, keep_local};
use synthetic::add_emit_rela_sections;
pub use synthetic::emit_relocs_of;

use crate::error::{Error, Result};
use crate::object_file::{EhRecordKind, SectionKind};
use crate::options::{BuildId, Discard, Options, OutputKind};
use crate::resolve::{Resolved, SymDef, SymbolId};
use crate::x86_64::{self as arch, DecideCtx};
use object::elf;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

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
    pub merged: Vec<(&'static [u8], u64)>,
    /// Index in the section header table.
    pub shndx: u32,
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
    pub symtab_locals: u32,
    pub symtab_count: u32,
    pub strtab_size: u64,
    pub shstrtab: Vec<u8>,
    pub build_id_len: usize,
    /// `.note.gnu.property` contents (type, value); empty: no such note.
    pub gnu_properties: Vec<(u32, u32)>,
    pub sec_idx: HashMap<Synth, u32>,
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
        value: &'a dyn Fn(GotTarget) -> u64,
        dynsym: &'a dyn Fn(SymbolId) -> u32,
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
        let hdr = if self.n_lazy_plt > 0 {
            arch::PLT_HEADER_SIZE
        } else {
            0
        };
        self.sec_addr(Synth::Plt) + hdr + i as u64 * arch::PLT_ENTRY_SIZE
    }
}

pub fn compute(inp: &LinkInput) -> Result<Layout> {
    let opts = inp.opts;
    let res = inp.res;
    let kind = opts.output_kind;
    let ctx = DecideCtx::new(kind, opts.no_relax);
    if kind.is_static() {
        if let Some(s) = res.shared.iter().find(|s| s.needed) {
            return Err(Error::new(format!(
                "attempted static link of dynamic object {}",
                s.file.name
            )));
        }
    }

    let mut pass = crate::timing::span("layout: liveness");
    let mut live = liveness(inp);
    let folded = if opts.icf != crate::options::Icf::None {
        let folded = crate::icf::fold(inp, &mut live);
        if opts.print_icf_sections {
            crate::icf::print(res, &folded);
        }
        folded
    } else {
        crate::icf::Folded::default()
    };
    // A kept copy takes the largest alignment of the sections folded into it.
    let align_of = |f: usize, si: usize| {
        let a = res.objects[f].sections[si].align;
        if folded.align.is_empty() {
            return a;
        }
        folded
            .align
            .get(&(f as u32, si as u32))
            .copied()
            .unwrap_or(a)
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
                        String::from_utf8_lossy(s.name),
                        o.name
                    );
                }
            }
        }
    }

    crate::timing::next(&mut pass, "layout: scan relocations");
    // Scan relocations, per file in parallel.
    let scans: Vec<ScanResult> = (0..res.objects.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|f| scan_file(inp, &live[f], f, &ctx))
        .collect();
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
        let rust = inp.opts.demangle && res.objects.iter().any(built_by_rustc);
        for (id, locs) in by_sym {
            let name = res.symbols[id as usize].name_str();
            let shown = match crate::exports::demangle_for_messages(&name, rust) {
                Some(d) if inp.opts.demangle => d,
                _ => name,
            };
            let mut m = format!("undefined symbol: {shown}");
            for l in locs.iter().take(8) {
                m.push_str(&format!("\n>>> referenced by {l}"));
            }
            if locs.len() > 8 {
                m.push_str(&format!("\n>>> referenced {} more times", locs.len() - 8));
            }
            if inp.opts.warn_unresolved {
                crate::error::warn(m);
            } else {
                errors.push(m);
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }

    crate::timing::next(&mut pass, "layout: got, plt");
    // GOT: 64-bit slots. Order: symbols in id order, then the module's
    // local-dynamic pair, then locals in scan order.
    let mut got: Vec<GotEntry> = Vec::new();
    let push_entry = |got: &mut Vec<GotEntry>, e: GotEntry| -> u32 {
        let i = got.len() as u32;
        got.push(e);
        if matches!(
            e,
            GotEntry::TlsGd(_) | GotEntry::TlsDesc(_) | GotEntry::TlsLd
        ) {
            got.push(GotEntry::Cont);
        }
        i
    };
    for id in 0..res.symbols.len() {
        let t = GotTarget::Global(id as u32);
        if needs_got[id] {
            sym_info[id].got = push_entry(&mut got, GotEntry::Addr(t));
        }
        if needs_gottp[id] {
            sym_info[id].gottp = push_entry(&mut got, GotEntry::TpOff(t));
        }
        if needs_tlsgd[id] {
            sym_info[id].tlsgd = push_entry(&mut got, GotEntry::TlsGd(t));
        }
        if needs_tlsdesc[id] {
            sym_info[id].tlsdesc = push_entry(&mut got, GotEntry::TlsDesc(t));
        }
    }
    let tlsld = if needs_tlsld {
        push_entry(&mut got, GotEntry::TlsLd)
    } else {
        NONE
    };
    let mut local_got = HashMap::new();
    for (f, s, k) in local_order {
        if let std::collections::hash_map::Entry::Vacant(e) = local_got.entry((f, s, k)) {
            let t = GotTarget::Local(f, s);
            let entry = match k {
                LG_ADDR => GotEntry::Addr(t),
                LG_TPOFF => GotEntry::TpOff(t),
                LG_TLSGD => GotEntry::TlsGd(t),
                _ => GotEntry::TlsDesc(t),
            };
            e.insert(push_entry(&mut got, entry));
        }
    }
    // PLT: imported (lazy) first, then IFUNCs.
    let mut plt: Vec<SymbolId> = Vec::new();
    for id in 0..res.symbols.len() {
        if needs_plt[id] && global_props(res, kind, id as u32).imported {
            sym_info[id].plt = plt.len() as u32;
            plt.push(id as u32);
        }
    }
    let n_lazy_plt = plt.len();
    for id in 0..res.symbols.len() {
        if needs_plt[id] && global_props(res, kind, id as u32).ifunc {
            sym_info[id].plt = plt.len() as u32;
            plt.push(id as u32);
        }
    }
    let gnu_properties = arch::force_gnu_properties(
        arch::combine_gnu_properties(
            res.objects.iter().map(|o| o.gnu_properties.as_deref()),
            !plt.is_empty(),
        ),
        opts.x86_isa_needed,
        opts.z_shstk,
    );
    for (id, info) in sym_info.iter_mut().enumerate() {
        if info.plt == NONE {
            info.canonical_plt = false;
        }
        info.copy = needs_copy[id];
    }
    copy_relocation_errors(inp, &needs_copy)?;

    let relr = relr_plan(inp, &scans, &got);

    crate::timing::next(&mut pass, "layout: output sections");
    // Output sections.
    let mut sections: Vec<OutputSection> = Vec::new();
    let mut placement: Vec<Vec<(u32, u64)>> = res
        .objects
        .iter()
        .map(|o| vec![(NONE, 0); o.sections.len()])
        .collect();
    let mut merge_secs: Vec<(u32, usize, usize)> = Vec::new();
    let mut comment_inputs: Vec<(usize, usize)> = Vec::new();
    let mut execstack = opts.execstack.unwrap_or(false);
    crate::timing::next(&mut pass, "layout: output sections: dests");
    // What each file alone tells (names, flags), per file in parallel; then
    // the output sections in command-line order.
    let dests: Vec<FileDests> = res
        .objects
        .par_iter()
        .zip(live.par_iter())
        .enumerate()
        .map(|(f, (o, live))| file_dests(inp, f, o, live))
        .collect();
    crate::timing::next(&mut pass, "layout: output sections: join");
    let mut by_name: HashMap<
        (&'static [u8], u32, u64),
        u32,
        BuildHasherDefault<crate::resolve::NameHasher>,
    > = HashMap::default();
    for (f, (o, d)) in res.objects.iter().zip(&dests).enumerate() {
        // In file order: it warns.
        if opts.execstack.is_none() && wants_execstack(opts, o) {
            execstack = true;
        }
        comment_inputs.extend(d.comments.iter().map(|&si| (f, si as usize)));
        for dest in &d.sections {
            let si = dest.si as usize;
            let s = &o.sections[si];
            let (oname, sh_type, flags) = (dest.oname, dest.sh_type, dest.flags);
            let noload = dest.noload;
            let new_section = |sections: &mut Vec<OutputSection>| {
                let rank = rank_of(oname, sh_type, flags);
                sections.push(OutputSection::new(
                    oname,
                    Synth::Regular,
                    sh_type,
                    flags,
                    1,
                    rank,
                ));
                (sections.len() - 1) as u32
            };
            let idx = if dest.unique {
                new_section(&mut sections)
            } else {
                let key = (oname, if sh_type == elf::SHT_NOBITS { 1 } else { 0 }, flags);
                *by_name
                    .entry(key)
                    .or_insert_with(|| new_section(&mut sections))
            };
            let os = &mut sections[idx as usize];
            os.align = os.align.max(align_of(f, si));
            if s.kind == SectionKind::MergeStrings {
                os.entsize = 1;
                merge_secs.push((idx, f, si));
            } else {
                os.inputs.push((f as u32, si as u32));
            }
            if s.sh_type != elf::SHT_NOBITS && os.sh_type == elf::SHT_NOBITS && !noload {
                os.sh_type = s.sh_type;
            }
        }
    }
    crate::timing::next(&mut pass, "layout: output sections: place");
    // Init/fini arrays run in priority order; stable within a priority.
    for os in sections.iter_mut() {
        if matches!(
            os.name.as_slice(),
            b".init_array" | b".fini_array" | b".preinit_array" | b".ctors" | b".dtors"
        ) {
            os.inputs.sort_by_key(|&(f, s)| {
                array_priority(res.objects[f as usize].sections[s as usize].name)
            });
        }
    }
    if !inp.scripts.rules.is_empty() {
        script_order(inp, &mut sections);
    }
    // Minimum alignments: --section-align, a script's ALIGN(n).
    for (name, a) in opts.section_aligns.iter().chain(&inp.scripts.aligns) {
        for os in sections.iter_mut().filter(|s| s.name == name.as_bytes()) {
            os.align = os.align.max(*a);
        }
    }
    // Place input sections within their output sections (and a linker
    // script's data statements among them).
    let mut script_data: Vec<(u32, u64, u32)> = Vec::new();
    for (oi, os) in sections.iter_mut().enumerate() {
        let mut off = 0u64;
        let data = &inp.scripts.data;
        let mut data_here = (0..data.len()).filter(|&d| data[d].out.as_bytes() == os.name);
        let mut next_data = data_here.next();
        let mut place_data = |off: &mut u64, before_rule: u32, next: &mut Option<usize>| {
            while let Some(d) = next.filter(|&d| data[d].after_rules <= before_rule) {
                script_data.push((oi as u32, *off, d as u32));
                *off += data[d].size as u64;
                *next = data_here.next();
            }
        };
        for &(f, s) in &os.inputs {
            if next_data.is_some() {
                let r = inp
                    .scripts
                    .rule_index(f as usize, s as usize)
                    .unwrap_or(u32::MAX);
                place_data(&mut off, r, &mut next_data);
            }
            let isec = &res.objects[f as usize].sections[s as usize];
            off = align_up(off, align_of(f as usize, s as usize));
            placement[f as usize][s as usize] = (oi as u32, off);
            off += isec.size;
        }
        place_data(&mut off, u32::MAX, &mut next_data);
        os.size = off;
    }
    if let Some(d) = inp.scripts.unplaced_data(&script_data, &sections) {
        return Err(d);
    }
    // Folded sections are where their kept copy is: their symbols, and
    // relocations to them (debug info too), resolve into it.
    for &((f, s), (lf, ls)) in &folded.pairs {
        placement[f as usize][s as usize] = placement[lf as usize][ls as usize];
    }
    crate::timing::next(&mut pass, "layout: merged strings");
    // Merged strings: first occurrence in command-line order gets the slot.
    let mut piece_out: Vec<Vec<u64>> = res
        .objects
        .iter()
        .map(|o| vec![0; o.pieces.len()])
        .collect();
    let mut merge_maps: HashMap<u32, HashMap<PieceKey, u64, BuildHasherDefault<PassHasher>>> =
        HashMap::new();
    for &(oi, f, si) in &merge_secs {
        let o = &res.objects[f];
        let data = o.section_data(si);
        let os = &mut sections[oi as usize];
        let map = merge_maps.entry(oi).or_default();
        let align = o.sections[si].align;
        placement[f][si] = (oi, 0);
        for pi in o.sections[si].pieces.clone() {
            let p = &o.pieces[pi as usize];
            let bytes = &data[p.offset as usize..(p.offset + p.len) as usize];
            let key = PieceKey {
                hash: p.hash,
                bytes,
            };
            let off = match map.get(&key) {
                Some(&off) => off,
                None => {
                    let off = align_up(os.size, align);
                    map.insert(key, off);
                    os.merged.push((bytes, off));
                    os.size = off + bytes.len() as u64;
                    off
                }
            };
            piece_out[f][pi as usize] = off;
        }
    }

    crate::timing::next(&mut pass, "layout: commons, copies");
    // Commons and copy relocations go at the end of .bss.
    let bss_idx = {
        let key = (&b".bss"[..], 1u32, (elf::SHF_ALLOC | elf::SHF_WRITE) as u64);
        match by_name.get(&key) {
            Some(&i) => i,
            None => {
                sections.push(OutputSection::new(
                    b".bss",
                    Synth::Regular,
                    elf::SHT_NOBITS,
                    key.2,
                    1,
                    590,
                ));
                let i = (sections.len() - 1) as u32;
                by_name.insert(key, i);
                i
            }
        }
    };
    let mut common_off: HashMap<SymbolId, u64> = HashMap::new();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Common { file, sym } = s.def {
            let cs = &res.objects[file as usize].symbols[sym as usize];
            // For commons, st_value holds the alignment.
            let align = cs.value.max(1);
            let os = &mut sections[bss_idx as usize];
            let off = align_up(os.size, align);
            os.size = off + cs.size;
            os.align = os.align.max(align);
            common_off.insert(id as u32, off);
        }
    }
    let mut copy_off: HashMap<SymbolId, u64> = HashMap::new();
    let mut copy_aliases: Vec<SymbolId> = Vec::new();
    {
        // Copy-relocated symbols, grouped with their aliases (same DSO, same address).
        let mut by_addr: HashMap<(u32, u64), u64> = HashMap::new();
        for (id, info) in sym_info.iter().enumerate() {
            if !info.copy {
                continue;
            }
            if let SymDef::Shared { file, sym } = res.symbols[id].def {
                let ds = &res.shared[file as usize].file.symbols[sym as usize];
                let key = (file, ds.value);
                let off = *by_addr.entry(key).or_insert_with(|| {
                    let align = if ds.size >= 32 {
                        32
                    } else {
                        ds.size.max(1).next_power_of_two()
                    };
                    let os = &mut sections[bss_idx as usize];
                    let off = align_up(os.size, align);
                    os.size = off + ds.size;
                    os.align = os.align.max(align);
                    off
                });
                copy_off.insert(id as u32, off);
            }
        }
        // Aliases: other exported names of the same object in that DSO.
        if !by_addr.is_empty() {
            for (li, ls) in res.shared.iter().enumerate() {
                for ds in &ls.file.symbols {
                    if let Some(&off) = by_addr.get(&(li as u32, ds.value)) {
                        if ds.typ != elf::STT_OBJECT {
                            continue;
                        }
                        let Some(aid) = res.lookup(ds.name) else {
                            continue;
                        };
                        let same_lib = matches!(res.symbols[aid as usize].def, SymDef::Shared { file, .. } if file as usize == li);
                        if same_lib {
                            if let std::collections::hash_map::Entry::Vacant(e) =
                                copy_off.entry(aid)
                            {
                                e.insert(off);
                                copy_aliases.push(aid);
                            }
                        }
                    }
                }
            }
        }
    }

    for &aid in &copy_aliases {
        sym_info[aid as usize].copy = true;
        sym_info[aid as usize].copy_alias = true;
    }

    crate::timing::next(&mut pass, "layout: eh_frame");
    // .eh_frame: live records in file order. A CIE equal to one already
    // placed (same bytes, relocations to the same targets: typically every
    // object's CIE, or its personality routine's) is not written again;
    // its FDEs point at the first.
    let mut eh: Vec<EhPlace> = Vec::new();
    let mut eh_starts: HashMap<(u32, u32), u64> = HashMap::new();
    let mut eh_size = 0u64;
    let mut eh_fde_count = 0u64;
    let mut cies: HashMap<CieKey, u64> = HashMap::new();
    for (f, o) in res.objects.iter().enumerate() {
        for (fi, (sec, recs)) in o.eh_frames.iter().enumerate() {
            if !live[f][*sec as usize] {
                continue;
            }
            eh_starts.insert((f as u32, *sec), eh_size);
            let mut cie_out: HashMap<u32, u64> = HashMap::new();
            let data = o.section_data(*sec as usize);
            for (ri, r) in recs.iter().enumerate() {
                if !eh_record_live(o, r, &live[f]) {
                    continue;
                }
                let (cie, is_fde) = match r.kind {
                    EhRecordKind::Cie => match cies.entry(cie_key(res, f, data, r)) {
                        std::collections::hash_map::Entry::Occupied(e) => {
                            cie_out.insert(r.offset, *e.get());
                            continue;
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(eh_size);
                            cie_out.insert(r.offset, eh_size);
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
                    eh_fde_count += 1;
                }
                eh.push(EhPlace {
                    file: f as u32,
                    frame: fi as u32,
                    record: ri as u32,
                    out_off: eh_size,
                    cie_out: cie,
                });
                eh_size += r.size as u64;
            }
        }
    }

    // .comment: our name first, then the inputs' strings, deduplicated.
    let mut comment: Vec<u8> = Vec::new();
    {
        let ours = format!(
            "cld {} (compatible with GNU linkers)",
            env!("CARGO_PKG_VERSION")
        );
        let mut seen: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
        let mut push = |s: &[u8], comment: &mut Vec<u8>| {
            if !s.is_empty() && seen.insert(s.to_vec()) {
                comment.extend_from_slice(s);
                comment.push(0);
            }
        };
        push(ours.as_bytes(), &mut comment);
        for &(f, si) in &comment_inputs {
            for s in res.objects[f].section_data(si).split(|&b| b == 0) {
                push(s, &mut comment);
            }
        }
    }

    crate::timing::next(&mut pass, "layout: dynamic symbols");
    // Dynamic symbols (dynamic outputs).
    let dynamic = kind.is_dynamic();
    let mut dynsyms: Vec<SymbolId> = Vec::new();
    let mut needed: Vec<u32> = Vec::new();
    if dynamic {
        // With --gc-sections, an --as-needed library is needed only if
        // live code or data uses it (as mold and lld decide).
        let mut used = vec![false; res.shared.len()];
        for sc in &scans {
            for &file in &sc.shared_used {
                used[file as usize] = true;
            }
        }
        let mut dropped = vec![false; res.shared.len()];
        for (i, s) in res.shared.iter().enumerate() {
            dropped[i] = opts.gc_sections && s.as_needed && !used[i];
            if s.needed && !kind.is_static() && !dropped[i] {
                needed.push(i as u32);
            }
        }
        let mut imports: Vec<SymbolId> = Vec::new();
        let mut exports: Vec<SymbolId> = Vec::new();
        for (id, s) in res.symbols.iter().enumerate() {
            let id = id as u32;
            let info = &sym_info[id as usize];
            match s.def {
                // What only dead code used from a dropped library is not
                // imported (its version would name a library not loaded).
                SymDef::Shared { file, .. } if dropped[file as usize] => {}
                SymDef::Shared { .. } if !kind.is_static() => {
                    // A copy or a canonical PLT entry defines the symbol for
                    // every module: it must be found in the hash table.
                    if info.copy
                        || copy_off.contains_key(&id)
                        || (info.canonical_plt && info.plt != NONE)
                    {
                        exports.push(id);
                    } else if s.referenced || s.strong_ref {
                        imports.push(id);
                    }
                }
                SymDef::Object { .. } | SymDef::Common { .. } if s.export => {
                    exports.push(id);
                }
                SymDef::Undefined if s.preemptible => imports.push(id),
                _ => {}
            }
        }
        dynsyms.extend(imports);
        let first_hashed = dynsyms.len() as u32 + 1;
        let nbuckets = (exports.len() as u32 / 4).max(1);
        exports.sort_by_key(|&id| (gnu_hash(dynsym_name(res, id)) % nbuckets, id));
        dynsyms.extend(exports);
        for (i, &id) in dynsyms.iter().enumerate() {
            sym_info[id as usize].dynsym = i as u32 + 1;
            sym_info[id as usize].exported = i as u32 + 1 >= first_hashed;
        }
    }
    let gnu_hash_first = dynsyms
        .iter()
        .position(|&id| sym_info[id as usize].exported)
        .map(|p| p as u32 + 1)
        .unwrap_or(dynsyms.len() as u32 + 1);
    let n_exports = dynsyms.len() as u32 + 1 - gnu_hash_first;
    let gnu_hash_buckets = (n_exports / 4).max(1);

    // .dynstr, versions.
    let mut dynstr: Vec<u8> = vec![0];
    let mut dynstr_offsets: HashMap<SymbolId, u32> = HashMap::new();
    let mut str_cache: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut add_str = |dynstr: &mut Vec<u8>, s: &[u8]| -> u32 {
        if let Some(&o) = str_cache.get(s) {
            return o;
        }
        let o = dynstr.len() as u32;
        dynstr.extend_from_slice(s);
        dynstr.push(0);
        str_cache.insert(s.to_vec(), o);
        o
    };
    let mut dyn_entries: Vec<(i64, DynVal)> = Vec::new();
    let mut versyms: Vec<u16> = Vec::new();
    let mut verneed: Vec<u8> = Vec::new();
    let mut verneed_count = 0u32;
    if dynamic {
        for &n in &needed {
            let o = add_str(&mut dynstr, res.shared[n as usize].file.soname.as_bytes());
            dyn_entries.push((elf::DT_NEEDED as i64, DynVal::Val(o as u64)));
        }
        if let Some(so) = &opts.soname {
            let o = add_str(&mut dynstr, so.as_bytes());
            dyn_entries.push((elf::DT_SONAME as i64, DynVal::Val(o as u64)));
        }
        if !opts.rpath.is_empty() {
            let o = add_str(&mut dynstr, opts.rpath.join(":").as_bytes());
            let tag = if opts.new_dtags {
                elf::DT_RUNPATH
            } else {
                elf::DT_RPATH
            };
            dyn_entries.push((tag as i64, DynVal::Val(o as u64)));
        }
        for &id in &dynsyms {
            // A versioned reference's dynamic name is the bare name; the
            // version goes in .gnu.version.
            let o = add_str(&mut dynstr, dynsym_name(res, id));
            dynstr_offsets.insert(id, o);
        }
        // Version needs: per needed library, the versions our imports use.
        let mut per_lib: Vec<(u32, Vec<&'static [u8]>)> = Vec::new();
        let mut ver_index: HashMap<(u32, &'static [u8]), u16> = HashMap::new();
        // Indices 2.. belong to our own version definitions, if any.
        let mut next_index = 2 + if kind.is_static() {
            0
        } else {
            inp.versions.nodes.len() as u16
        };
        for &id in &dynsyms {
            let mut v = match res.symbols[id as usize].def {
                SymDef::Object { .. } | SymDef::Common { .. } => res.symbols[id as usize].versym,
                _ => elf::VER_NDX_GLOBAL,
            };
            if let SymDef::Shared { file, sym } = res.symbols[id as usize].def {
                let ls = &res.shared[file as usize].file;
                let ds = &ls.symbols[sym as usize];
                if ds.version > 1 {
                    if let Some(Some(vname)) = ls.version_names.get(ds.version as usize) {
                        let key = (file, *vname);
                        v = match ver_index.get(&key) {
                            Some(&x) => x,
                            None => {
                                let x = next_index;
                                next_index += 1;
                                ver_index.insert(key, x);
                                match per_lib.iter_mut().find(|(f, _)| *f == file) {
                                    Some((_, list)) => list.push(vname),
                                    None => per_lib.push((file, vec![vname])),
                                }
                                x
                            }
                        };
                    }
                }
            }
            versyms.push(v);
        }
        if relr.is_some() {
            // glibc's marker that the program needs DT_RELR support (GNU ld
            // adds it too), from the needed library that defines it.
            let marker: &[u8] = b"GLIBC_ABI_DT_RELR";
            let lib = needed.iter().copied().find_map(|n| {
                let names = &res.shared[n as usize].file.version_names;
                names
                    .iter()
                    .flatten()
                    .find(|v| **v == marker)
                    .map(|v| (n, *v))
            });
            if let Some((file, vname)) = lib {
                if let std::collections::hash_map::Entry::Vacant(e) = ver_index.entry((file, vname))
                {
                    e.insert(next_index);
                    match per_lib.iter_mut().find(|(f, _)| *f == file) {
                        Some((_, list)) => list.push(vname),
                        None => per_lib.push((file, vec![vname])),
                    }
                }
            }
        }
        for (li, (file, vers)) in per_lib.iter().enumerate() {
            let soname = add_str(
                &mut dynstr,
                res.shared[*file as usize].file.soname.as_bytes(),
            );
            let vn_next = if li + 1 == per_lib.len() {
                0
            } else {
                16 + 16 * vers.len() as u32
            };
            verneed.extend_from_slice(&1u16.to_le_bytes());
            verneed.extend_from_slice(&(vers.len() as u16).to_le_bytes());
            verneed.extend_from_slice(&soname.to_le_bytes());
            verneed.extend_from_slice(&16u32.to_le_bytes());
            verneed.extend_from_slice(&vn_next.to_le_bytes());
            for (vi, v) in vers.iter().enumerate() {
                let name = add_str(&mut dynstr, v);
                let idx = ver_index[&(*file, *v)];
                verneed.extend_from_slice(&elf_hash(v).to_le_bytes());
                verneed.extend_from_slice(&0u16.to_le_bytes());
                verneed.extend_from_slice(&idx.to_le_bytes());
                verneed.extend_from_slice(&name.to_le_bytes());
                let next = if vi + 1 == vers.len() { 0u32 } else { 16 };
                verneed.extend_from_slice(&next.to_le_bytes());
            }
            verneed_count += 1;
        }
    }
    // Version definitions (from a version script with named nodes).
    let mut verdef: Vec<u8> = Vec::new();
    let mut verdef_count = 0u32;
    if dynamic && !kind.is_static() && !inp.versions.nodes.is_empty() {
        let vd = inp.versions;
        let mut entries: Vec<(u16, u16, Vec<&[u8]>)> = vec![(
            elf::VER_FLG_BASE,
            elf::VER_NDX_GLOBAL,
            vec![vd.base.as_slice()],
        )];
        for (i, (name, parents)) in vd.nodes.iter().enumerate() {
            let mut names = vec![name.as_slice()];
            names.extend(parents.iter().map(|&p| vd.nodes[p].0.as_slice()));
            entries.push((0, i as u16 + 2, names));
        }
        let n = entries.len();
        for (i, (flags, ndx, names)) in entries.into_iter().enumerate() {
            let cnt = names.len() as u16;
            verdef.extend_from_slice(&1u16.to_le_bytes());
            verdef.extend_from_slice(&flags.to_le_bytes());
            verdef.extend_from_slice(&ndx.to_le_bytes());
            verdef.extend_from_slice(&cnt.to_le_bytes());
            verdef.extend_from_slice(&elf_hash(names[0]).to_le_bytes());
            verdef.extend_from_slice(&20u32.to_le_bytes());
            let next = if i + 1 == n { 0 } else { 20 + 8 * cnt as u32 };
            verdef.extend_from_slice(&next.to_le_bytes());
            for (j, nm) in names.iter().enumerate() {
                let o = add_str(&mut dynstr, nm);
                verdef.extend_from_slice(&o.to_le_bytes());
                let next = if j + 1 == names.len() { 0u32 } else { 8 };
                verdef.extend_from_slice(&next.to_le_bytes());
            }
            verdef_count += 1;
        }
    }

    crate::timing::next(&mut pass, "layout: synthetic sizes");
    // Synthetic sections.
    let mut sec_idx: HashMap<Synth, u32> = HashMap::new();
    let add = |sections: &mut Vec<OutputSection>,
               sec_idx: &mut HashMap<Synth, u32>,
               os: OutputSection| {
        sec_idx.insert(os.synth, sections.len() as u32);
        sections.push(os);
    };
    let a = elf::SHF_ALLOC as u64;
    let aw = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;
    let interp = if kind == OutputKind::Pie || kind == OutputKind::Exec {
        let mut p = opts
            .dynamic_linker
            .clone()
            .unwrap_or_else(|| "/lib64/ld-linux-x86-64.so.2".into())
            .into_bytes();
        p.push(0);
        Some(p)
    } else {
        None
    };
    if let Some(p) = &interp {
        let mut s = OutputSection::new(b".interp", Synth::Interp, elf::SHT_PROGBITS, a, 1, 100);
        s.size = p.len() as u64;
        add(&mut sections, &mut sec_idx, s);
    }
    if !gnu_properties.is_empty() {
        let mut s = OutputSection::new(
            b".note.gnu.property",
            Synth::GnuProperty,
            elf::SHT_NOTE,
            a,
            8,
            108,
        );
        s.size = crate::write::gnu_property_note_size(gnu_properties.len());
        add(&mut sections, &mut sec_idx, s);
    }
    let build_id_len = match &opts.build_id {
        BuildId::None => 0,
        BuildId::Hash { len } => *len,
        BuildId::Uuid => 16,
        BuildId::Hex(h) => h.len(),
    };
    if build_id_len > 0 {
        let mut s = OutputSection::new(
            b".note.gnu.build-id",
            Synth::BuildId,
            elf::SHT_NOTE,
            a,
            4,
            109,
        );
        s.size = 16 + align_up(build_id_len as u64, 4);
        add(&mut sections, &mut sec_idx, s);
    }
    if let Some(json) = &opts.package_metadata {
        // FDO packaging metadata: a note whose descriptor is the JSON text.
        let mut s = OutputSection::new(
            b".note.package",
            Synth::PackageNote,
            elf::SHT_NOTE,
            a,
            4,
            109,
        );
        s.size = 16 + align_up(json.len() as u64 + 1, 4);
        add(&mut sections, &mut sec_idx, s);
    }
    let ndyn = dynsyms.len() as u64 + 1;
    if dynamic {
        if opts.hash_style.sysv {
            let mut s = OutputSection::new(b".hash", Synth::Hash, elf::SHT_HASH, a, 8, 120);
            s.size = 4 * (2 + ndyn + ndyn);
            s.entsize = 4;
            add(&mut sections, &mut sec_idx, s);
        }
        if opts.hash_style.gnu || !opts.hash_style.sysv {
            let mut s =
                OutputSection::new(b".gnu.hash", Synth::GnuHash, elf::SHT_GNU_HASH, a, 8, 121);
            let bloom = 1u64;
            s.size = 16 + 8 * bloom + 4 * gnu_hash_buckets as u64 + 4 * n_exports as u64;
            add(&mut sections, &mut sec_idx, s);
        }
        let mut s = OutputSection::new(b".dynsym", Synth::Dynsym, elf::SHT_DYNSYM, a, 8, 122);
        s.size = 24 * ndyn;
        s.entsize = 24;
        add(&mut sections, &mut sec_idx, s);
        let mut s = OutputSection::new(b".dynstr", Synth::Dynstr, elf::SHT_STRTAB, a, 1, 123);
        s.size = dynstr.len() as u64;
        add(&mut sections, &mut sec_idx, s);
        if verneed_count > 0 || verdef_count > 0 {
            let mut s = OutputSection::new(
                b".gnu.version",
                Synth::Versym,
                elf::SHT_GNU_VERSYM,
                a,
                2,
                124,
            );
            s.size = 2 * ndyn;
            s.entsize = 2;
            add(&mut sections, &mut sec_idx, s);
        }
        if verdef_count > 0 {
            let mut s = OutputSection::new(
                b".gnu.version_d",
                Synth::Verdef,
                elf::SHT_GNU_VERDEF,
                a,
                8,
                125,
            );
            s.size = verdef.len() as u64;
            add(&mut sections, &mut sec_idx, s);
        }
        if verneed_count > 0 {
            let mut s = OutputSection::new(
                b".gnu.version_r",
                Synth::Verneed,
                elf::SHT_GNU_VERNEED,
                a,
                8,
                125,
            );
            s.size = verneed.len() as u64;
            add(&mut sections, &mut sec_idx, s);
        }
    }

    // Dynamic relocations decided here: GOT, PLT slots, copies.
    let count_ctx = GotCtx {
        kind,
        value: &|_| 0,
        dynsym: &|_| 0,
        tls_start: 0,
        tp: 0,
    };
    let n_got_rels: u64 = got
        .iter()
        .map(|&e| got_fill(res, &count_ctx, e, 0).rels.len() as u64)
        .sum();
    let static_tls = !kind.is_executable() && got.iter().any(|e| matches!(e, GotEntry::TpOff(_)));
    let n_copy = sym_info.iter().filter(|i| i.copy && !i.copy_alias).count() as u64;
    let n_irel = (plt.len() - n_lazy_plt) as u64;
    let n_place: u64 = scans.iter().map(|s| s.dynrels).sum();
    // Places' relocations may be relative or symbolic; both counted in n_place.
    let rela_dyn_count = n_got_rels + n_copy + n_place + if kind.is_dynamic() { n_irel } else { 0 };
    if kind.is_dynamic() {
        let mut s = OutputSection::new(b".rela.dyn", Synth::RelaDyn, elf::SHT_RELA, a, 8, 126);
        s.size = 24 * rela_dyn_count;
        s.entsize = 24;
        add(&mut sections, &mut sec_idx, s);
        if relr.is_some() {
            // Sized once addresses are known (see assign_addresses' caller).
            let mut s = OutputSection::new(b".relr.dyn", Synth::RelrDyn, elf::SHT_RELR, a, 8, 126);
            s.entsize = 8;
            add(&mut sections, &mut sec_idx, s);
        }
        if n_lazy_plt > 0 {
            let mut s = OutputSection::new(
                b".rela.plt",
                Synth::RelaPlt,
                elf::SHT_RELA,
                a | elf::SHF_INFO_LINK as u64,
                8,
                127,
            );
            s.size = 24 * n_lazy_plt as u64;
            s.entsize = 24;
            add(&mut sections, &mut sec_idx, s);
        }
    } else if n_irel > 0 {
        // Static executables: IRELATIVE relocations that libc applies itself,
        // bounded by __rela_iplt_start/__rela_iplt_end.
        let mut s = OutputSection::new(
            b".rela.iplt",
            Synth::RelaPlt,
            elf::SHT_RELA,
            a | elf::SHF_INFO_LINK as u64,
            8,
            127,
        );
        s.size = 24 * n_irel;
        s.entsize = 24;
        add(&mut sections, &mut sec_idx, s);
    }
    if !plt.is_empty() {
        let ax = (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64;
        let mut s = OutputSection::new(b".plt", Synth::Plt, elf::SHT_PROGBITS, ax, 16, 210);
        let hdr = if n_lazy_plt > 0 {
            arch::PLT_HEADER_SIZE
        } else {
            0
        };
        s.size = hdr + arch::PLT_ENTRY_SIZE * plt.len() as u64;
        s.entsize = 16;
        add(&mut sections, &mut sec_idx, s);
    }
    let eh_hdr = opts.eh_frame_hdr && (eh_fde_count > 0 || eh_size > 0);
    if eh_size > 0 {
        let mut s = OutputSection::new(b".eh_frame", Synth::EhFrame, elf::SHT_PROGBITS, a, 8, 330);
        s.size = eh_size + 4;
        add(&mut sections, &mut sec_idx, s);
        if eh_hdr {
            let mut s = OutputSection::new(
                b".eh_frame_hdr",
                Synth::EhFrameHdr,
                elf::SHT_PROGBITS,
                a,
                4,
                320,
            );
            s.size = 12 + 8 * eh_fde_count;
            add(&mut sections, &mut sec_idx, s);
        }
    }
    if dynamic {
        // .dynamic entries.
        // DT_INIT/DT_FINI: `-init`/`-fini`, else `_init`/`_fini`, when
        // this link defines them (not a shared library).
        for (name, default, tag) in [
            (&opts.init, "_init", elf::DT_INIT),
            (&opts.fini, "_fini", elf::DT_FINI),
        ] {
            let name = name.as_deref().unwrap_or(default);
            if let Some(id) = res.lookup(name.as_bytes()) {
                if matches!(res.symbols[id as usize].def, SymDef::Object { .. }) {
                    dyn_entries.push((tag as i64, DynVal::SymAddr(id)));
                }
            }
        }
        for (name, tag, sztag) in [
            (
                &b".preinit_array"[..],
                elf::DT_PREINIT_ARRAY,
                elf::DT_PREINIT_ARRAYSZ,
            ),
            (
                &b".init_array"[..],
                elf::DT_INIT_ARRAY,
                elf::DT_INIT_ARRAYSZ,
            ),
            (
                &b".fini_array"[..],
                elf::DT_FINI_ARRAY,
                elf::DT_FINI_ARRAYSZ,
            ),
        ] {
            if let Some(i) = sections
                .iter()
                .position(|s| s.name == name && s.synth == Synth::Regular)
            {
                dyn_entries.push((tag as i64, DynVal::OutAddr(i as u32)));
                dyn_entries.push((sztag as i64, DynVal::OutSize(i as u32)));
            }
        }
        if sec_idx.contains_key(&Synth::Hash) {
            dyn_entries.push((elf::DT_HASH as i64, DynVal::SecAddr(Synth::Hash)));
        }
        if sec_idx.contains_key(&Synth::GnuHash) {
            dyn_entries.push((elf::DT_GNU_HASH as i64, DynVal::SecAddr(Synth::GnuHash)));
        }
        dyn_entries.push((elf::DT_STRTAB as i64, DynVal::SecAddr(Synth::Dynstr)));
        dyn_entries.push((elf::DT_SYMTAB as i64, DynVal::SecAddr(Synth::Dynsym)));
        dyn_entries.push((elf::DT_STRSZ as i64, DynVal::SecSize(Synth::Dynstr)));
        dyn_entries.push((elf::DT_SYMENT as i64, DynVal::Val(24)));
        // The debugger's hook is written at run time: not in a read-only
        // .dynamic.
        if kind.is_executable() && !opts.rodynamic {
            dyn_entries.push((elf::DT_DEBUG as i64, DynVal::Val(0)));
        }
        if n_lazy_plt > 0 {
            dyn_entries.push((elf::DT_PLTGOT as i64, DynVal::SecAddr(Synth::GotPlt)));
            dyn_entries.push((elf::DT_PLTRELSZ as i64, DynVal::SecSize(Synth::RelaPlt)));
            dyn_entries.push((elf::DT_PLTREL as i64, DynVal::Val(elf::DT_RELA as u64)));
            dyn_entries.push((elf::DT_JMPREL as i64, DynVal::SecAddr(Synth::RelaPlt)));
        }
        if rela_dyn_count > 0 {
            dyn_entries.push((elf::DT_RELA as i64, DynVal::SecAddr(Synth::RelaDyn)));
            dyn_entries.push((elf::DT_RELASZ as i64, DynVal::RelaDynSize));
            dyn_entries.push((elf::DT_RELAENT as i64, DynVal::Val(24)));
        }
        if relr.is_some() {
            dyn_entries.push((DT_RELR, DynVal::SecAddr(Synth::RelrDyn)));
            dyn_entries.push((DT_RELRSZ, DynVal::SecSize(Synth::RelrDyn)));
            dyn_entries.push((DT_RELRENT, DynVal::Val(8)));
        }
        if textrel {
            if opts.warn_textrel {
                crate::error::warn("creating a DT_TEXTREL in an output file");
            }
            dyn_entries.push((elf::DT_TEXTREL as i64, DynVal::Val(0)));
        }
        let mut flags = 0u64;
        let mut flags1 = 0u64;
        if opts.now {
            flags |= elf::DF_BIND_NOW as u64;
            flags1 |= elf::DF_1_NOW as u64;
        }
        if textrel {
            flags |= elf::DF_TEXTREL as u64;
        }
        if static_tls {
            flags |= elf::DF_STATIC_TLS as u64;
        }
        if opts.z_flags_1 & elf::DF_1_ORIGIN != 0 {
            flags |= elf::DF_ORIGIN as u64;
        }
        if opts.bsymbolic {
            flags |= elf::DF_SYMBOLIC as u64;
        }
        flags1 |= opts.z_flags_1 as u64;
        if kind == OutputKind::Pie || kind == OutputKind::StaticPie {
            flags1 |= elf::DF_1_PIE as u64;
        }
        if flags != 0 {
            dyn_entries.push((elf::DT_FLAGS as i64, DynVal::Val(flags)));
        }
        if flags1 != 0 {
            dyn_entries.push((elf::DT_FLAGS_1 as i64, DynVal::Val(flags1)));
        }
        if verdef_count > 0 {
            dyn_entries.push((elf::DT_VERDEF as i64, DynVal::SecAddr(Synth::Verdef)));
            dyn_entries.push((elf::DT_VERDEFNUM as i64, DynVal::Val(verdef_count as u64)));
        }
        if verneed_count > 0 {
            dyn_entries.push((elf::DT_VERNEED as i64, DynVal::SecAddr(Synth::Verneed)));
            dyn_entries.push((elf::DT_VERNEEDNUM as i64, DynVal::Val(verneed_count as u64)));
        }
        if verneed_count > 0 || verdef_count > 0 {
            dyn_entries.push((elf::DT_VERSYM as i64, DynVal::SecAddr(Synth::Versym)));
        }
        dyn_entries.push((elf::DT_NULL as i64, DynVal::Val(0)));
        let flags = if opts.rodynamic { a } else { aw };
        let mut s =
            OutputSection::new(b".dynamic", Synth::Dynamic, elf::SHT_DYNAMIC, flags, 8, 430);
        s.size = 16 * dyn_entries.len() as u64;
        s.entsize = 16;
        add(&mut sections, &mut sec_idx, s);
    }
    if !got.is_empty() {
        let mut s = OutputSection::new(b".got", Synth::Got, elf::SHT_PROGBITS, aw, 8, 440);
        s.size = 8 * got.len() as u64;
        s.entsize = 8;
        add(&mut sections, &mut sec_idx, s);
    }
    {
        // .got.plt always exists: _GLOBAL_OFFSET_TABLE_ points at it.
        let mut s = OutputSection::new(b".got.plt", Synth::GotPlt, elf::SHT_PROGBITS, aw, 8, 500);
        s.size = 8 * (3 + plt.len() as u64);
        s.entsize = 8;
        add(&mut sections, &mut sec_idx, s);
    }
    {
        let mut s = OutputSection::new(
            b".comment",
            Synth::Comment,
            elf::SHT_PROGBITS,
            (elf::SHF_MERGE | elf::SHF_STRINGS) as u64,
            1,
            600,
        );
        s.size = comment.len() as u64;
        s.entsize = 1;
        add(&mut sections, &mut sec_idx, s);
    }

    crate::timing::next(&mut pass, "layout: symtab sizes");
    // .symtab/.strtab sizes.
    let (symtab_locals, symtab_count, strtab_size) = if opts.strip_all {
        (0, 0, 0)
    } else {
        symtab_plan(res, &placement, opts.discard)
    };
    if !opts.strip_all {
        let mut s = OutputSection::new(b".symtab", Synth::Symtab, elf::SHT_SYMTAB, 0, 8, 700);
        s.size = 24 * symtab_count as u64;
        s.entsize = 24;
        add(&mut sections, &mut sec_idx, s);
        let mut s = OutputSection::new(b".strtab", Synth::Strtab, elf::SHT_STRTAB, 0, 1, 701);
        s.size = strtab_size;
        add(&mut sections, &mut sec_idx, s);
    }
    if opts.emit_relocs {
        add_emit_rela_sections(res, &live, &mut sections);
    }
    let shs = OutputSection::new(b".shstrtab", Synth::Shstrtab, elf::SHT_STRTAB, 0, 1, 702);
    add(&mut sections, &mut sec_idx, shs);

    crate::timing::next(&mut pass, "layout: order, addresses, headers");
    // Drop empty regular sections that nothing refers to (keep arrays/.bss for symbols).
    // Order sections by rank, stable.
    let mut order: Vec<usize> = (0..sections.len()).collect();
    // Within a rank, a linker script's output sections keep the script's
    // order (without a script every key is the same).
    order.sort_by_key(|&i| {
        (
            sections[i].rank,
            inp.scripts.statement_of(&sections[i].name),
            i,
        )
    });
    let mut remap = vec![0u32; sections.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new as u32;
    }
    let mut sorted: Vec<OutputSection> = Vec::with_capacity(sections.len());
    for &i in &order {
        sorted.push(sections[i].clone());
    }
    let mut sections = sorted;
    for s in sections.iter_mut().filter(|s| s.rela_for != NONE) {
        s.rela_for = remap[s.rela_for as usize];
    }
    for p in placement.iter_mut().flatten() {
        if p.0 != NONE {
            p.0 = remap[p.0 as usize];
        }
    }
    for v in sec_idx.values_mut() {
        *v = remap[*v as usize];
    }
    for (_, v) in dyn_entries.iter_mut() {
        match v {
            DynVal::OutAddr(i) | DynVal::OutSize(i) => *i = remap[*i as usize],
            _ => {}
        }
    }
    let bss_idx = remap[bss_idx as usize];
    for d in script_data.iter_mut() {
        d.0 = remap[d.0 as usize];
    }

    // .shstrtab contents and section indices.
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

    // Sections at fixed addresses (--section-start): (index, address).
    let fixed: Vec<(usize, u64)> = opts
        .section_starts
        .iter()
        .filter_map(|(name, addr)| {
            let i = sections
                .iter()
                .position(|s| s.name == name.as_bytes() && s.is_alloc() && s.size > 0)?;
            Some((i, *addr))
        })
        .collect();
    let is_fixed = |i: usize| fixed.iter().any(|&(f, _)| f == i);

    // Program headers needed (count first: they sit before the first section).
    let has = |sections: &Vec<OutputSection>, lo: u32, hi: u32| {
        sections
            .iter()
            .enumerate()
            .any(|(i, s)| s.is_alloc() && s.rank >= lo && s.rank < hi && !is_fixed(i))
    };
    let mut n_load = 1 + fixed.len(); // headers' segment, one per fixed section
    for (lo, hi) in [(200, 300), (300, 400), (400, 600)] {
        if has(&sections, lo, hi) {
            n_load += 1;
        }
    }
    let n_notes = sections
        .iter()
        .filter(|s| s.is_alloc() && s.sh_type == elf::SHT_NOTE)
        .count();
    let has_tls = sections
        .iter()
        .any(|s| s.is_alloc() && s.flags & elf::SHF_TLS as u64 != 0);
    let has_relro = opts.relro && has(&sections, 400, 500);
    let phnum = n_load
        + if interp.is_some() { 2 } else { 0 }
        + if dynamic { 1 } else { 0 }
        + n_notes
        + if has_tls { 1 } else { 0 }
        + if sec_idx.contains_key(&Synth::EhFrameHdr) { 1 } else { 0 }
        + 1 // GNU_STACK
        + if gnu_properties.is_empty() { 0 } else { 1 }
        + if has_relro { 1 } else { 0 };

    // Addresses.
    let base = opts
        .image_base
        .unwrap_or(if kind.is_pic() { 0 } else { 0x400000 });
    let headers_size = 64 + 56 * phnum as u64;
    let mut placed = assign_addresses(
        &mut sections,
        base,
        headers_size,
        &fixed,
        opts.max_page_size,
    )?;
    if let Some(plan) = &relr {
        // Sizing .relr.dyn (and what stays in .rela.dyn) needs the places'
        // addresses. Only the read-only segment grows, so every place moves
        // by whole pages, or not at all, and the next round agrees.
        let (ri, di) = (
            sec_idx[&Synth::RelrDyn] as usize,
            sec_idx[&Synth::RelaDyn] as usize,
        );
        let rela_all = sections[di].size / 24;
        let mut rounds = 0;
        loop {
            let packed = plan.packed(
                &sections,
                &placement,
                sections[sec_idx[&Synth::Got] as usize].addr,
            );
            let relr_size = 8 * encode_relr(&packed).len() as u64;
            let rela_size = 24 * (rela_all - packed.len() as u64);
            if sections[ri].size == relr_size && sections[di].size == rela_size {
                break;
            }
            rounds += 1;
            if rounds > 4 {
                return Err(Error::new(
                    "internal error: the size of .relr.dyn does not settle",
                ));
            }
            sections[ri].size = relr_size;
            sections[di].size = rela_size;
            placed = assign_addresses(
                &mut sections,
                base,
                headers_size,
                &fixed,
                opts.max_page_size,
            )?;
        }
    }
    let Placed {
        loads,
        relro_start,
        relro_end,
        tls_start,
        tls_end,
        tls_align,
        end: off,
    } = placed;
    let (shoff, file_size) = place_non_alloc(&mut sections, off);

    // Thread pointer (variant II): the end of the TLS block, aligned.
    let tp = if has_tls {
        align_up(tls_end, tls_align)
    } else {
        0
    };

    // Program headers.
    let mut segments: Vec<Segment> = Vec::new();
    let find = |sections: &Vec<OutputSection>, synth: Synth| {
        sec_idx.get(&synth).map(|&i| sections[i as usize].clone())
    };
    if let Some(i) = find(&sections, Synth::Interp) {
        segments.push(Segment {
            p_type: elf::PT_PHDR,
            flags: elf::PF_R,
            offset: 64,
            vaddr: base + 64,
            filesz: 56 * phnum as u64,
            memsz: 56 * phnum as u64,
            align: 8,
        });
        segments.push(Segment {
            p_type: elf::PT_INTERP,
            flags: elf::PF_R,
            offset: i.offset,
            vaddr: i.addr,
            filesz: i.size,
            memsz: i.size,
            align: 1,
        });
    }
    segments.extend(loads.iter().copied());
    if let Some(d) = find(&sections, Synth::Dynamic) {
        segments.push(Segment {
            p_type: elf::PT_DYNAMIC,
            flags: elf::PF_R | elf::PF_W,
            offset: d.offset,
            vaddr: d.addr,
            filesz: d.size,
            memsz: d.size,
            align: 8,
        });
    }
    for s in sections
        .iter()
        .filter(|s| s.is_alloc() && s.sh_type == elf::SHT_NOTE)
    {
        segments.push(Segment {
            p_type: elf::PT_NOTE,
            flags: elf::PF_R,
            offset: s.offset,
            vaddr: s.addr,
            filesz: s.size,
            memsz: s.size,
            align: s.align,
        });
    }
    if has_tls {
        let first = sections
            .iter()
            .find(|s| s.is_alloc() && s.flags & elf::SHF_TLS as u64 != 0)
            .unwrap();
        let filesz: u64 = sections
            .iter()
            .filter(|s| s.flags & elf::SHF_TLS as u64 != 0 && !s.is_nobits())
            .map(|s| s.addr + s.size)
            .max()
            .unwrap_or(tls_start)
            .saturating_sub(tls_start);
        segments.push(Segment {
            p_type: elf::PT_TLS,
            flags: elf::PF_R,
            offset: first.offset,
            vaddr: tls_start,
            filesz,
            memsz: tls_end - tls_start,
            align: tls_align,
        });
    }
    if let Some(n) = find(&sections, Synth::GnuProperty) {
        segments.push(Segment {
            p_type: elf::PT_GNU_PROPERTY,
            flags: elf::PF_R,
            offset: n.offset,
            vaddr: n.addr,
            filesz: n.size,
            memsz: n.size,
            align: 8,
        });
    }
    if let Some(h) = find(&sections, Synth::EhFrameHdr) {
        segments.push(Segment {
            p_type: elf::PT_GNU_EH_FRAME,
            flags: elf::PF_R,
            offset: h.offset,
            vaddr: h.addr,
            filesz: h.size,
            memsz: h.size,
            align: 4,
        });
    }
    segments.push(Segment {
        p_type: elf::PT_GNU_STACK,
        flags: elf::PF_R | elf::PF_W | if execstack { elf::PF_X } else { 0 },
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    });
    if has_relro {
        segments.push(Segment {
            p_type: elf::PT_GNU_RELRO,
            flags: elf::PF_R,
            offset: relro_start - base,
            vaddr: relro_start,
            filesz: relro_end - relro_start,
            memsz: relro_end - relro_start,
            align: 1,
        });
    }
    if segments.len() != phnum {
        return Err(Error::new(format!(
            "internal error: planned {phnum} program headers, made {}",
            segments.len()
        )));
    }

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
        got,
        plt,
        n_lazy_plt,
        local_got,
        tlsld,
        dynsyms,
        gnu_hash_first,
        gnu_hash_buckets,
        dynstr,
        dynstr_offsets,
        versyms,
        verdef,
        verdef_count,
        verneed,
        verneed_count,
        needed,
        dynamic: dyn_entries,
        interp,
        eh,
        eh_starts,
        eh_fde_count,
        comment,
        got_rels: Vec::new(),
        plt_rels: Vec::new(),
        irel_rels: Vec::new(),
        textrel,
        tls_start,
        tls_end,
        tp,
        got_base: 0,
        symtab_locals,
        symtab_count,
        strtab_size,
        shstrtab,
        build_id_len,
        gnu_properties,
        sec_idx,
        live,
        execstack,
        script_data: Vec::new(),
    };
    layout.got_base = layout.sec_addr(Synth::GotPlt);

    crate::timing::next(&mut pass, "layout: symbol values");
    // Final symbol values.
    let values = symbol_values(inp, &layout, &common_off, &copy_off, bss_idx)?;
    layout.sym_values = values;
    if !script_data.is_empty() {
        layout.script_data =
            inp.scripts
                .data_bytes(res, &layout, opts.max_page_size, &script_data)?;
    }
    let entry_name = opts.entry.clone().unwrap_or_else(|| "_start".into());
    layout.entry = match res.lookup(entry_name.as_bytes()) {
        // A shared object has no entry point unless one is asked for.
        _ if kind == OutputKind::Shared && opts.entry.is_none() => 0,
        Some(id) if res.symbols[id as usize].def != SymDef::Undefined => {
            layout.sym_values[id as usize]
        }
        _ => {
            if opts.entry.is_some() {
                return Err(Error::new(format!(
                    "entry symbol {entry_name} is not defined"
                )));
            }
            // GNU ld warns and uses the start of .text.
            crate::error::warn(format!(
                "cannot find entry symbol {entry_name}; defaulting to start of .text"
            ));
            layout
                .sections
                .iter()
                .find(|s| s.name == b".text")
                .map(|s| s.addr)
                .unwrap_or(0)
        }
    };
    crate::timing::next(&mut pass, "layout: dynamic relocations");
    plan_dynrels(inp, &mut layout);
    layout.endbr_nops = endbr_rewrites(inp, &scans, &layout);
    Ok(layout)
}

fn leak(v: &[u8]) -> &'static [u8] {
    Box::leak(v.to_vec().into_boxed_slice())
}

pub use crate::resolve::is_linker_defined;
