//! Layout: decides everything about the output before a byte is written.
//! Live sections (with `--gc-sections`, what is reachable from the roots),
//! output sections and their order, what the relocations need (GOT, PLT,
//! copy relocations, dynamic relocations; decided by `x86_64::decide`),
//! merged strings, `.eh_frame` records, dynamic symbols and versions, the
//! size of every synthetic section, then file offsets, addresses, segments
//! and final symbol values. The writer only fills in what is decided here.

use crate::error::{Error, Result};
use crate::object_file::{EhRecordKind, InputSymbol, ObjectFile, SectionKind};
use crate::options::{BuildId, Discard, Options, OutputKind};
use crate::resolve::{NameMap, Resolved, SymDef, SymbolId};
use crate::x86_64::{self as arch, DecideCtx, TargetProps, PAGE_SIZE};
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

/// What a GOT entry is about: a global symbol or a file-local one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GotTarget {
    Global(SymbolId),
    Local(u32, u32),
}

/// A GOT slot and what fills it. TLS pairs take two slots; the second is `Cont`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GotEntry {
    /// The address of a symbol (static, RELATIVE, or GLOB_DAT when preemptible).
    Addr(GotTarget),
    /// The TP offset of a TLS symbol (static in executables, else TPOFF64).
    TpOff(GotTarget),
    /// General-dynamic pair: DTPMOD64, DTPOFF64.
    TlsGd(GotTarget),
    /// TLS descriptor pair (R_X86_64_TLSDESC).
    TlsDesc(GotTarget),
    /// The module's local-dynamic pair: DTPMOD64, 0.
    TlsLd,
    /// Second slot of a pair.
    Cont,
}

/// Static contents of a GOT entry's slots and its dynamic relocations.
pub struct GotFill {
    pub words: [u64; 2],
    pub slots: usize,
    pub rels: Vec<DynRel>,
}

/// Values a GOT entry needs from the layout.
pub struct GotCtx<'a> {
    pub kind: OutputKind,
    pub value: &'a dyn Fn(GotTarget) -> u64,
    pub dynsym: &'a dyn Fn(SymbolId) -> u32,
    pub tls_start: u64,
    pub tp: u64,
}

fn got_target_props(res: &Resolved, kind: OutputKind, t: GotTarget) -> TargetProps {
    match t {
        GotTarget::Global(id) => global_props(res, kind, id),
        GotTarget::Local(f, s) => target_props(res, kind, f as usize, s),
    }
}

/// What GOT entry `e` at address `slot` holds. Counting (before addresses
/// are known) and writing both use this, so they agree.
pub fn got_fill(res: &Resolved, c: &GotCtx, e: GotEntry, slot: u64) -> GotFill {
    let mut f = GotFill {
        words: [0; 2],
        slots: 1,
        rels: Vec::new(),
    };
    let rel = |offset: u64, rtype: u32, dynsym: u32, addend: i64| DynRel {
        offset,
        rtype,
        dynsym,
        addend,
    };
    let sym_of = |t: GotTarget| match t {
        GotTarget::Global(id) => (c.dynsym)(id),
        GotTarget::Local(..) => 0,
    };
    let pic = c.kind.is_pic();
    let exec = c.kind.is_executable();
    match e {
        GotEntry::Addr(t) => {
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_GLOB_DAT, sym_of(t), 0));
            } else {
                let v = (c.value)(t);
                f.words[0] = v;
                if pic && !p.absolute {
                    f.rels.push(rel(slot, elf::R_X86_64_RELATIVE, 0, v as i64));
                }
            }
        }
        GotEntry::TpOff(t) => {
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_TPOFF64, sym_of(t), 0));
            } else if !exec {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, elf::R_X86_64_TPOFF64, 0, off as i64));
            } else {
                f.words[0] = (c.value)(t).wrapping_sub(c.tp);
            }
        }
        GotEntry::TlsGd(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, sym_of(t), 0));
                f.rels
                    .push(rel(slot + 8, elf::R_X86_64_DTPOFF64, sym_of(t), 0));
            } else {
                f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, 0, 0));
                f.words[1] = (c.value)(t).wrapping_sub(c.tls_start);
            }
        }
        GotEntry::TlsDesc(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_TLSDESC, sym_of(t), 0));
            } else {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, elf::R_X86_64_TLSDESC, 0, off as i64));
            }
        }
        GotEntry::TlsLd => {
            f.slots = 2;
            f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, 0, 0));
        }
        GotEntry::Cont => f.slots = 0,
    }
    f
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

/// A merge-string piece keyed by the hash computed at ingest (so layout
/// does not hash the strings again) and compared by contents.
#[derive(Clone, Copy)]
struct PieceKey {
    hash: u64,
    bytes: &'static [u8],
}

impl std::hash::Hash for PieceKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

impl PartialEq for PieceKey {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.bytes == other.bytes
    }
}
impl Eq for PieceKey {}

/// Passes a precomputed hash through.
#[derive(Default)]
struct PassHasher(u64);

impl std::hash::Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub fn align_up(v: u64, a: u64) -> u64 {
    if a <= 1 {
        v
    } else {
        (v + a - 1) & !(a - 1)
    }
}

/// Map an input section name to its output section name (GNU ld's default script).
pub(crate) fn output_name(name: &[u8]) -> &[u8] {
    const PREFIXES: &[&[u8]] = &[
        b".text",
        b".rodata",
        b".data.rel.ro",
        b".data",
        b".bss",
        b".tdata",
        b".tbss",
        b".init_array",
        b".fini_array",
        b".preinit_array",
        b".gcc_except_table",
        b".ctors",
        b".dtors",
    ];
    for p in PREFIXES {
        if name == *p || (name.starts_with(p) && name.get(p.len()) == Some(&b'.')) {
            return p;
        }
    }
    if name.starts_with(b".text.") {
        return b".text";
    }
    // TLS commons (`.tcommon`) are zero-initialized thread-local data.
    if name == b".tcommon" || name.starts_with(b".tcommon.") {
        return b".tbss";
    }
    name
}

/// `-z keep-text-section-prefix`: the output section of a `.text.hot`,
/// `.text.unlikely`, ... input section (lld's list), so that a profile's hot
/// and cold code stay together under a name tools can find.
fn text_prefix_name(name: &[u8]) -> Option<&'static [u8]> {
    const KEPT: &[&[u8]] = &[
        b".text.hot",
        b".text.unknown",
        b".text.unlikely",
        b".text.startup",
        b".text.exit",
        b".text.split",
    ];
    KEPT.iter()
        .find(|p| name.starts_with(p) && matches!(name.get(p.len()), None | Some(b'.')))
        .copied()
}

/// The output section of a mergeable `.rodata.*` input section, named by
/// what its pieces are as mold names it: `.rodata.str<entsize>.<align>`
/// for strings. Its merged contents
/// keep a section of their own, with the entry size and flags that say
/// how they may be merged again.
fn mergeable_rodata_name(s: &crate::object_file::InputSection) -> Option<&'static [u8]> {
    let merge = elf::SHF_MERGE as u64;
    if !s.is_alloc() || s.flags & merge == 0 || s.entsize == 0 || !s.name.starts_with(b".rodata.") {
        return None;
    }
    // Constants (`.rodata.cstN`) stay in `.rodata`, as in GNU ld: crt1.o's
    // `_IO_stdin_used` is one, and programs expect a `.rodata`.
    if s.flags & elf::SHF_STRINGS as u64 == 0 {
        return None;
    }
    let name = format!(".rodata.str{}.{}", s.entsize, s.align.max(1));
    // Interned: a handful of names, asked for by every object.
    static NAMES: std::sync::Mutex<Vec<&'static [u8]>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.iter().find(|n| **n == name.as_bytes()) {
        return Some(n);
    }
    let n = leak(name.as_bytes());
    names.push(n);
    Some(n)
}

/// Where a file's live input sections go, as far as the file alone tells.
struct FileDests {
    sections: Vec<SectionDest>,
    /// `.comment` sections (collected into the output's `.comment`).
    comments: Vec<u32>,
}

/// An input section's output section: name, type and flags (the key under
/// which input sections join), or one of its own (`--unique`).
struct SectionDest {
    si: u32,
    // Borrowed names (inputs and constants live for the link): no
    // allocation per input section, of which there are 100,000s.
    oname: &'static [u8],
    sh_type: u32,
    flags: u64,
    unique: bool,
    /// Takes no file space (`(NOLOAD)`, `--zero-to-bss`).
    noload: bool,
}

fn file_dests(inp: &LinkInput, f: usize, o: &ObjectFile, live: &[bool]) -> FileDests {
    let opts = inp.opts;
    let flag_mask = (elf::SHF_ALLOC | elf::SHF_WRITE | elf::SHF_EXECINSTR | elf::SHF_TLS) as u64;
    let mut out = FileDests {
        sections: Vec::with_capacity(o.sections.len()),
        comments: Vec::new(),
    };
    for (si, s) in o.sections.iter().enumerate() {
        if !live[si] {
            continue;
        }
        match s.kind {
            SectionKind::Alloc | SectionKind::MergeStrings | SectionKind::NonAlloc => {}
            SectionKind::Comment => {
                out.comments.push(si as u32);
                continue;
            }
            _ => continue,
        }
        if !s.is_alloc() && (opts.strip_debug || opts.strip_all) && s.name.starts_with(b".debug") {
            continue;
        }
        let rule = inp.scripts.rule(f, si);
        let oname = if let Some(r) = rule {
            // A linker script's SECTIONS named the output section.
            leak(r.out.as_bytes())
        } else if s.sh_type == elf::SHT_NOTE {
            s.name
        } else if let Some(kept) =
            text_prefix_name(s.name).filter(|_| opts.keep_text_section_prefix)
        {
            kept
        } else if let Some(merged) = mergeable_rodata_name(s) {
            merged
        } else {
            output_name(s.name)
        };
        // Old-style constructor lists join the arrays, as GNU ld's
        // default script puts them (their words are reversed on write).
        let oname: &'static [u8] = match oname {
            b".ctors" => b".init_array",
            b".dtors" => b".fini_array",
            o => o,
        };
        let mut sh_type = s.sh_type;
        if oname == b".init_array" {
            sh_type = elf::SHT_INIT_ARRAY;
        } else if oname == b".fini_array" {
            sh_type = elf::SHT_FINI_ARRAY;
        }
        // `(NOLOAD)`: the output section takes no file space; so, with
        // `--zero-to-bss`, do writable zeros nothing relocates.
        let noload = rule.is_some_and(|r| r.noload)
            || (opts.zero_to_bss
                && s.kind == SectionKind::Alloc
                && s.sh_type == elf::SHT_PROGBITS
                && s.flags & elf::SHF_WRITE as u64 != 0
                && s.flags & elf::SHF_TLS as u64 == 0
                && s.relocs.is_empty()
                && o.data
                    .get(s.offset as usize..(s.offset + s.size) as usize)
                    .is_some_and(|b| b.iter().all(|&c| c == 0)));
        if noload {
            sh_type = elf::SHT_NOBITS;
        }
        let mut flags = s.flags & flag_mask;
        if s.kind == SectionKind::MergeStrings {
            flags |= (elf::SHF_MERGE | elf::SHF_STRINGS) as u64;
        }
        // `--unique=GLOB`: each matching input section is an output
        // section of its own, under its own name.
        let unique = opts
            .unique_sections
            .iter()
            .any(|g| crate::version_script::glob_match(g.as_bytes(), s.name));
        out.sections.push(SectionDest {
            si: si as u32,
            oname: if unique { s.name } else { oname },
            sh_type,
            flags,
            unique,
            noload,
        });
    }
    out
}

fn rank_of(name: &[u8], sh_type: u32, flags: u64) -> u32 {
    let alloc = flags & elf::SHF_ALLOC as u64 != 0;
    let exec = flags & elf::SHF_EXECINSTR as u64 != 0;
    let write = flags & elf::SHF_WRITE as u64 != 0;
    let tls = flags & elf::SHF_TLS as u64 != 0;
    if !alloc {
        return if name == b".comment" {
            600
        } else if name.starts_with(b".debug") {
            610
        } else {
            620
        };
    }
    if sh_type == elf::SHT_NOTE {
        return 110;
    }
    if exec {
        return match name {
            b".init" => 200,
            b".text" => 220,
            b".fini" => 240,
            _ => 230,
        };
    }
    if !write {
        return match name {
            b".rodata" => 300,
            b".gcc_except_table" => 340,
            _ => 310,
        };
    }
    if tls {
        return if sh_type == elf::SHT_NOBITS { 401 } else { 400 };
    }
    match name {
        b".preinit_array" => 410,
        b".init_array" | b".ctors" => 411,
        b".fini_array" | b".dtors" => 412,
        b".data.rel.ro" => 420,
        b".copyrel.rel.ro" => 421,
        b".data" => 510,
        b".copyrel" => 589,
        b".bss" => 590,
        b".common" => 591,
        _ if sh_type == elf::SHT_NOBITS => 595,
        _ => 520,
    }
}

pub(crate) fn is_c_ident(name: &[u8]) -> bool {
    !name.is_empty()
        && !name[0].is_ascii_digit()
        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Init/fini array priority from the section name (`.init_array.00101`); plain = 65536.
fn array_priority(name: &[u8]) -> u32 {
    let s = String::from_utf8_lossy(name);
    for p in [".init_array.", ".fini_array.", ".preinit_array."] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.parse().unwrap_or(65536);
        }
    }
    // `.ctors.N`/`.dtors.N` run in reverse: 65535 - N.
    for p in [".ctors.", ".dtors."] {
        if let Some(rest) = s.strip_prefix(p) {
            return 65535u32.saturating_sub(rest.parse().unwrap_or(0));
        }
    }
    65536
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

/// Local GOT entry kinds (the `u8` of `Layout::local_got`).
pub const LG_ADDR: u8 = 0;
pub const LG_TPOFF: u8 = 1;
pub const LG_TLSGD: u8 = 2;
pub const LG_TLSDESC: u8 = 3;

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
        SymDef::Shared { file, sym } => {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            TargetProps {
                imported: kind.is_dynamic(),
                is_func: ds.typ == elf::STT_FUNC || ds.typ == elf::STT_GNU_IFUNC,
                ..Default::default()
            }
        }
        SymDef::Object { file, sym } => {
            let s = &res.objects[file as usize].symbols[sym as usize];
            if g.preemptible {
                // Defined here, but another module's definition may win.
                return TargetProps {
                    imported: true,
                    is_func: s.typ == elf::STT_FUNC || s.typ == elf::STT_GNU_IFUNC,
                    ..Default::default()
                };
            }
            TargetProps {
                absolute: s.shndx == elf::SHN_ABS as u32,
                ifunc: s.typ == elf::STT_GNU_IFUNC,
                ..Default::default()
            }
        }
        SymDef::Common { .. } if g.preemptible => TargetProps {
            imported: true,
            ..Default::default()
        },
        SymDef::Synthetic => match g.defsym {
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

/// Orders the inputs of output sections a linker script's SECTIONS made as
/// GNU ld does: by the rule that placed them (script order), then as the
/// rule's SORT says, then in command-line order.
fn script_order(inp: &LinkInput, sections: &mut [OutputSection]) {
    use crate::script::SortKind;
    let res = inp.res;
    for os in sections.iter_mut() {
        if os.inputs.is_empty() {
            continue;
        }
        os.inputs.sort_by_cached_key(|&(f, s)| {
            let isec = &res.objects[f as usize].sections[s as usize];
            match inp.scripts.rule_index(f as usize, s as usize) {
                None => (u32::MAX, Vec::new(), 0u64),
                Some(idx) => {
                    match inp.scripts.rules[idx as usize].sort() {
                        SortKind::Name => (idx, isec.name.to_vec(), 0),
                        // Larger alignments first.
                        SortKind::Alignment => (idx, Vec::new(), u64::MAX - isec.align),
                        SortKind::InitPriority => {
                            (idx, Vec::new(), array_priority(isec.name) as u64)
                        }
                        SortKind::None | SortKind::Unsorted => (idx, Vec::new(), 0),
                    }
                }
            }
        });
    }
}

/// Which sections are live. Without `--gc-sections`: all that are not
/// discarded. With it: those reachable from the roots through relocations.
fn liveness(inp: &LinkInput) -> Vec<Vec<bool>> {
    let res = inp.res;
    let base: Vec<Vec<bool>> = res
        .objects
        .iter()
        .enumerate()
        .map(|(fi, o)| {
            o.sections
                .iter()
                .enumerate()
                .map(|(si, s)| {
                    s.kind != SectionKind::Ignore
                        && !res.discarded[fi][si]
                        && !inp.scripts.rule(fi, si).is_some_and(|r| r.discard())
                })
                .collect()
        })
        .collect();
    if !inp.opts.gc_sections {
        return base;
    }
    let mut live: Vec<Vec<bool>> = base.iter().map(|v| vec![false; v.len()]).collect();
    let mut work: Vec<(u32, u32)> = Vec::new();
    let mark = |live: &mut Vec<Vec<bool>>, work: &mut Vec<(u32, u32)>, f: usize, s: usize| {
        if base[f][s] && !live[f][s] {
            live[f][s] = true;
            work.push((f as u32, s as u32));
        }
    };
    let def_section = |id: SymbolId| -> Option<(usize, usize)> {
        match res.symbols[id as usize].def {
            SymDef::Object { file, sym } => {
                let s = &res.objects[file as usize].symbols[sym as usize];
                let sh = s.shndx as usize;
                if sh != 0 && sh < res.objects[file as usize].sections.len() {
                    Some((file as usize, sh))
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    // Roots.
    let mut start_stop: Vec<&[u8]> = Vec::new();
    for s in &res.symbols {
        if s.def == SymDef::Undefined || s.def == SymDef::Synthetic {
            if let Some(n) = s
                .name
                .strip_prefix(b"__start_")
                .or_else(|| s.name.strip_prefix(b"__stop_"))
            {
                start_stop.push(n);
            }
        }
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (si, s) in o.sections.iter().enumerate() {
            let n = s.name;
            let keep = s.sh_type == elf::SHT_NOTE
                || s.sh_type == elf::SHT_INIT_ARRAY
                || s.sh_type == elf::SHT_FINI_ARRAY
                || s.sh_type == elf::SHT_PREINIT_ARRAY
                || s.flags & elf::SHF_GNU_RETAIN as u64 != 0
                || output_name(n) == b".ctors"
                || output_name(n) == b".dtors"
                || n == b".init"
                || n == b".fini"
                || (is_c_ident(n) && start_stop.contains(&n))
                || inp.scripts.rule(f, si).is_some_and(|r| r.spec.keep);
            if keep {
                mark(&mut live, &mut work, f, si);
            } else if !s.is_alloc() && s.kind != SectionKind::Ignore {
                // Debug info and other non-alloc sections stay, but their
                // relocations do not keep code alive (GNU ld, lld, mold).
                live[f][si] = base[f][si];
            }
        }
    }
    let entry = inp.opts.entry.clone().unwrap_or_else(|| "_start".into());
    let mut root_names: Vec<Vec<u8>> = vec![entry.into_bytes()];
    root_names.extend(inp.opts.undefined.iter().map(|s| s.clone().into_bytes()));
    for n in &root_names {
        if let Some(id) = res.lookup(n) {
            if let Some((f, s)) = def_section(id) {
                mark(&mut live, &mut work, f, s);
            }
        }
    }
    for (id, s) in res.symbols.iter().enumerate() {
        if s.export {
            if let Some((f, sec)) = def_section(id as u32) {
                mark(&mut live, &mut work, f, sec);
            }
        }
    }
    // .eh_frame stays (its records are filtered one by one), but its
    // relocations must not keep code alive: mark it without tracing.
    for (f, o) in res.objects.iter().enumerate() {
        for (sec, _) in &o.eh_frames {
            live[f][*sec as usize] = base[f][*sec as usize];
        }
    }
    // FDEs keep what they reference (personality, LSDA) once their function is live.
    let mut fde_targets: Vec<HashMap<u32, Vec<(u32, u32)>>> =
        vec![HashMap::new(); res.objects.len()];
    for (f, o) in res.objects.iter().enumerate() {
        for (_, recs) in &o.eh_frames {
            for r in recs {
                if let EhRecordKind::Fde { .. } = r.kind {
                    if let Some(t) = fde_target_section(o, r) {
                        fde_targets[f]
                            .entry(t)
                            .or_default()
                            .push((r.relocs.start, r.relocs.end));
                    }
                }
            }
        }
    }
    let reloc_target = |f: usize, r: &crate::object_file::Reloc| -> Option<(usize, usize)> {
        let o = &res.objects[f];
        let sym = &o.symbols[r.sym as usize];
        match res.global_of(f, r.sym) {
            None => {
                let sh = sym.shndx as usize;
                if sh != 0 && sh < o.sections.len() && sym.shndx != elf::SHN_ABS as u32 {
                    Some((f, sh))
                } else {
                    None
                }
            }
            Some(id) => def_section(id),
        }
    };
    // CIEs stay, so what they reference (the personality routine's
    // DW.ref.* pointer) must stay too.
    for (f, o) in res.objects.iter().enumerate() {
        for (sec, recs) in &o.eh_frames {
            if !base[f][*sec as usize] {
                continue;
            }
            for r in recs.iter().filter(|r| matches!(r.kind, EhRecordKind::Cie)) {
                for rel in &o.relocs[r.relocs.start as usize..r.relocs.end as usize] {
                    if let Some((tf, ts)) = reloc_target(f, rel) {
                        mark(&mut live, &mut work, tf, ts);
                    }
                }
            }
        }
    }
    while let Some((f, s)) = work.pop() {
        let o = &res.objects[f as usize];
        let mut ranges = vec![(
            o.sections[s as usize].relocs.start,
            o.sections[s as usize].relocs.end,
        )];
        if let Some(v) = fde_targets[f as usize].get(&s) {
            ranges.extend(v.iter().copied());
        }
        for (a, b) in ranges {
            for r in &o.relocs[a as usize..b as usize] {
                if let Some((tf, ts)) = reloc_target(f as usize, r) {
                    mark(&mut live, &mut work, tf, ts);
                }
            }
        }
    }
    // Debug info and other non-alloc sections never keep code alive, but stay.
    live
}

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

struct ScanResult {
    /// (symbol, needs) for globals.
    needs: Vec<(SymbolId, arch::Needs)>,
    /// (symbol index, needs) for this file's local symbols.
    local_needs: Vec<(u32, arch::Needs)>,
    tlsld: bool,
    /// Dynamic relocations made at input-section places.
    dynrels: u64,
    /// With `-z pack-relative-relocs`: (input section, offset) of each of
    /// those that is relative (an address in this image).
    relative: Vec<(u32, u64)>,
    errors: Vec<String>,
    undefined: Vec<(SymbolId, String)>,
    textrel: bool,
    /// With `--warn-textrel`: one message per text relocation.
    textrel_warnings: Vec<String>,
    /// Shared libraries (indices) whose symbols live relocations use.
    shared_used: Vec<u32>,
    /// With `-z rewrite-endbr`: globals whose address is taken (a live
    /// relocation other than a direct call or jump refers to them) ...
    addr_taken: Vec<SymbolId>,
    /// ... and places in this file's sections (section, offset) likewise.
    addr_taken_local: Vec<(u32, u64)>,
}

fn scan_file(inp: &LinkInput, live: &[bool], f: usize, ctx: &DecideCtx) -> ScanResult {
    let res = inp.res;
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
    let kind = inp.opts.output_kind;
    // Shared objects may leave symbols undefined unless `-z defs`.
    let report_undefined =
        (kind != OutputKind::Shared || inp.opts.no_undefined) && inp.opts.unresolved_in_objects;
    for (si, sec) in o.sections.iter().enumerate() {
        if !live[si] || sec.relocs.is_empty() {
            continue;
        }
        let alloc = sec.is_alloc();
        let writable = sec.flags & elf::SHF_WRITE as u64 != 0;
        let bytes = o.section_data(si);
        let relocs = &o.relocs[sec.relocs.start as usize..sec.relocs.end as usize];
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
                    .any(|&(a, b)| r.offset >= a && r.offset < b)
            {
                continue;
            }
            let gid = res.global_of(f, r.sym);
            if inp.opts.rewrite_endbr
                && alloc
                && sec.kind != SectionKind::EhFrame
                && !is_direct_branch(r, bytes)
            {
                note_address_taken(o, r, gid, &mut out);
            }
            if let Some(id) = gid {
                let g = &res.symbols[id as usize];
                if let SymDef::Shared { file, .. } = g.def {
                    if out.shared_used.last() != Some(&file) {
                        out.shared_used.push(file);
                    }
                }
                // A hidden reference cannot bind to another module.
                let hidden_import = matches!(g.def, SymDef::Shared { .. })
                    && matches!(g.visibility, elf::STV_HIDDEN | elf::STV_INTERNAL);
                if (g.def == SymDef::Undefined || hidden_import)
                    && !o.symbols[r.sym as usize].is_weak()
                    && alloc
                    && report_undefined
                {
                    let loc = format!(
                        "{}:({}+{:#x})",
                        o.name,
                        String::from_utf8_lossy(sec.name),
                        r.offset
                    );
                    out.undefined.push((id, loc));
                }
            }
            let t = target_props(res, kind, f, r.sym);
            match arch::decide(ctx, r.rtype, t, alloc, writable, bytes, r.offset) {
                Ok((a, n)) => {
                    if n.dyn_reloc {
                        out.dynrels += 1;
                        // As the writer decides: Abs64Dyn to a local target.
                        if inp.opts.pack_relr && a == arch::Action::Abs64Dyn && !t.imported {
                            out.relative.push((si as u32, r.offset));
                        }
                        if !writable {
                            out.textrel = true;
                            if inp.opts.warn_textrel {
                                // One per file, section and symbol, as GNU
                                // ld and mold say it (not per place).
                                let w = format!(
                                    "{}:({}): relocation against {}' in read-only section `{}'",
                                    o.name,
                                    String::from_utf8_lossy(sec.name),
                                    sym_display(o, r.sym).replacen(' ', " `", 1),
                                    String::from_utf8_lossy(sec.name),
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
                                    out.local_needs.push((r.sym, n));
                                }
                                if n.plt || n.copy {
                                    out.errors.push(format!(
                                        "{}:({}+{:#x}): {} against local symbol {} is not supported",
                                        o.name,
                                        String::from_utf8_lossy(sec.name),
                                        r.offset,
                                        arch::rel_name(r.rtype),
                                        String::from_utf8_lossy(o.symbols[r.sym as usize].name)
                                    ));
                                }
                            }
                        }
                    }
                }
                Err(msg) => out.errors.push(format!(
                    "{}:({}+{:#x}): {} (against {})",
                    o.name,
                    String::from_utf8_lossy(sec.name),
                    r.offset,
                    msg,
                    sym_display(o, r.sym)
                )),
            }
        }
    }
    out
}

/// Whether relocation `r` is the displacement of a direct `call`, `jmp`
/// or conditional jump (which does not take its target's address).
fn is_direct_branch(r: &crate::object_file::Reloc, bytes: &[u8]) -> bool {
    if !matches!(r.rtype, elf::R_X86_64_PLT32 | elf::R_X86_64_PC32) || r.addend != -4 {
        return false;
    }
    let at = |back: u64| {
        r.offset
            .checked_sub(back)
            .and_then(|i| bytes.get(i as usize).copied())
    };
    matches!(at(1), Some(0xe8 | 0xe9))
        || (at(2) == Some(0x0f) && at(1).is_some_and(|b| b & 0xf0 == 0x80))
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
    let Some(s) = o.symbols.get(r.sym as usize) else {
        return;
    };
    if s.typ == elf::STT_SECTION {
        let a = r.addend as u64;
        out.addr_taken_local.push((s.shndx, a));
        out.addr_taken_local.push((s.shndx, a.wrapping_add(4)));
    } else {
        out.addr_taken_local.push((s.shndx, s.value));
    }
}

/// `-z rewrite-endbr`: file offsets of the `endbr64` at the start of each
/// function whose address is never taken, which need no landing pad (as
/// mold does): global functions not exported, not the entry point,
/// `_init` or `_fini` (called through the dynamic section), to which no
/// relocation but direct branches refers.
fn endbr_rewrites(inp: &LinkInput, scans: &[ScanResult], l: &Layout) -> Vec<u64> {
    const ENDBR64: [u8; 4] = [0xf3, 0x0f, 0x1e, 0xfa];
    let (opts, res) = (inp.opts, inp.res);
    if !opts.rewrite_endbr {
        return Vec::new();
    }
    let mut taken = vec![false; res.symbols.len()];
    for sc in scans {
        for &id in &sc.addr_taken {
            taken[id as usize] = true;
        }
    }
    let entry = opts.entry.as_deref().unwrap_or("_start");
    let init = opts.init.as_deref().unwrap_or("_init");
    let fini = opts.fini.as_deref().unwrap_or("_fini");
    for name in [entry, init, fini] {
        if let Some(id) = res.lookup(name.as_bytes()) {
            taken[id as usize] = true;
        }
    }
    // Taken by location too: an alias's address is its target's.
    let mut taken_at: std::collections::HashSet<(usize, u32, u64)> = Default::default();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Object { file, sym } = s.def {
            if taken[id] || s.export {
                let is = &res.objects[file as usize].symbols[sym as usize];
                taken_at.insert((file as usize, is.shndx, is.value));
            }
        }
    }
    let mut offsets = Vec::new();
    for (f, o) in res.objects.iter().enumerate() {
        let local_taken: std::collections::HashSet<(u32, u64)> =
            scans[f].addr_taken_local.iter().copied().collect();
        // Only global functions: the assembler resolves a PC-relative
        // reference to a local one in the same section itself, leaving no
        // relocation to show its address is taken.
        for (i, s) in o.symbols.iter().enumerate().skip(o.first_global as usize) {
            let sh = s.shndx as usize;
            if s.typ != elf::STT_FUNC || sh == 0 || sh >= o.sections.len() {
                continue;
            }
            let sec = &o.sections[sh];
            let (p, base) = l.placement[f][sh];
            if p == NONE
                || !l.live[f][sh]
                || sec.flags & elf::SHF_EXECINSTR as u64 == 0
                || local_taken.contains(&(s.shndx, s.value))
                || taken_at.contains(&(f, s.shndx, s.value))
            {
                continue;
            }
            if let Some(id) = res.global_of(f, i as u32) {
                let g = &res.symbols[id as usize];
                // Only the definition that won, never one exported.
                if taken[id as usize]
                    || g.export
                    || g.def
                        != (SymDef::Object {
                            file: f as u32,
                            sym: i as u32,
                        })
                {
                    continue;
                }
            }
            let data = o.section_data(sh);
            let at = s.value as usize;
            if data.get(at..at + 4) == Some(&ENDBR64[..]) {
                offsets.push(l.sections[p as usize].offset + base + s.value);
            }
        }
    }
    offsets
}

pub fn sym_display(o: &ObjectFile, sym: u32) -> String {
    let s = &o.symbols[sym as usize];
    if s.typ == elf::STT_SECTION {
        if let Some(sec) = o.sections.get(s.shndx as usize) {
            return format!("section {}", String::from_utf8_lossy(sec.name));
        }
    }
    format!("symbol {}", String::from_utf8_lossy(s.name))
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
fn add_emit_rela_sections(res: &Resolved, live: &[Vec<bool>], sections: &mut Vec<OutputSection>) {
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

/// Whether object `o`'s `.comment` says rustc made it.
fn built_by_rustc(o: &ObjectFile) -> bool {
    o.sections
        .iter()
        .enumerate()
        .any(|(i, s)| s.name == b".comment" && o.section_data(i).windows(5).any(|w| w == b"rustc"))
}

/// Whether object `o` makes the stack executable (without `-z
/// [no]execstack`), with GNU ld's warning saying why. An executable
/// `.note.GNU-stack` always does; a missing note only in an object with
/// code (data-only objects from archives, often assembled without the
/// note, don't).
fn wants_execstack(opts: &Options, o: &ObjectFile) -> bool {
    if !o.wants_execstack {
        return false;
    }
    if o.missing_gnu_stack {
        let has_code = o
            .sections
            .iter()
            .any(|s| s.flags & elf::SHF_EXECINSTR as u64 != 0 && s.size > 0);
        if has_code && opts.warn_execstack {
            crate::error::warn(format!(
                "{}: missing .note.GNU-stack section implies executable stack",
                o.name
            ));
        }
        return has_code;
    }
    if opts.warn_execstack {
        crate::error::warn(format!(
            "{}: requires executable stack (because the .note.GNU-stack section is executable)",
            o.name
        ));
    }
    true
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
    let (common_off, copy_off) =
        place_commons_and_copies(inp, &mut sym_info, &mut sections, &mut by_name);

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
        symtab_plan(res, &placement, opts.discard, &plt, alloc_count(&sections))
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
    let (mut common_off, mut copy_off) = (common_off, copy_off);
    for v in common_off.values_mut().chain(copy_off.values_mut()) {
        v.0 = remap[v.0 as usize];
    }
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
        if has(&sections, lo, hi) && !opts.nmagic {
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
    let has_relro = opts.relro && !opts.nmagic && has(&sections, 400, 500);
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
        segment_page(opts),
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
                segment_page(opts),
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
    let values = symbol_values(inp, &layout, &common_off, &copy_off)?;
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

/// The address a GOT entry's target resolves to here.
const DT_RELRSZ: i64 = 35;
const DT_RELR: i64 = 36;
const DT_RELRENT: i64 = 37;

/// `-z pack-relative-relocs`: the relative relocations that may go into
/// `.relr.dyn` instead of `.rela.dyn`. Which do is decided on final
/// addresses by `packable`, the same rule the writer applies.
struct RelrPlan {
    /// Per file: (input section, offset) of its relative relocations.
    places: Vec<Vec<(u32, u64)>>,
    /// Offsets in `.got` of the relative relocations of GOT slots.
    got: Vec<u64>,
}

impl RelrPlan {
    /// The addresses that go into `.relr.dyn`, sorted.
    fn packed(
        &self,
        sections: &[OutputSection],
        placement: &[Vec<(u32, u64)>],
        got: u64,
    ) -> Vec<u64> {
        let mut v: Vec<u64> = self.got.iter().map(|o| got + o).collect();
        for (f, places) in self.places.iter().enumerate() {
            for &(si, off) in places {
                let (osec, soff) = placement[f][si as usize];
                let s = &sections[osec as usize];
                let addr = s.addr + soff + off;
                if packable(s, addr) {
                    v.push(addr);
                }
            }
        }
        v.sort_unstable();
        v
    }
}

/// Whether a relative relocation at `addr` in output section `s` goes into
/// `.relr.dyn`: it must be 8-aligned, and in a writable section (text
/// relocations stay in `.rela.dyn`, as with GNU ld).
pub fn packable(s: &OutputSection, addr: u64) -> bool {
    addr.is_multiple_of(8) && s.flags & elf::SHF_WRITE as u64 != 0
}

/// Finds, for the writer, whether a relative relocation's address is
/// `packable` in the output section that holds it.
pub struct PackableIndex<'a> {
    sections: &'a [OutputSection],
    /// Allocated sections by address: (start, end, index in `sections`).
    spans: Vec<(u64, u64, usize)>,
}

impl<'a> PackableIndex<'a> {
    pub fn new(l: &'a Layout) -> Self {
        let mut spans: Vec<(u64, u64, usize)> = l
            .sections
            .iter()
            .enumerate()
            // .tbss takes no address space: it overlaps what follows.
            .filter(|(_, s)| {
                s.is_alloc() && s.size > 0 && !(s.is_nobits() && s.flags & elf::SHF_TLS as u64 != 0)
            })
            .map(|(i, s)| (s.addr, s.addr + s.size, i))
            .collect();
        spans.sort_unstable();
        PackableIndex {
            sections: &l.sections,
            spans,
        }
    }

    pub fn contains(&self, addr: u64) -> bool {
        let k = self.spans.partition_point(|&(start, _, _)| start <= addr);
        let Some(&(start, end, i)) = k.checked_sub(1).and_then(|k| self.spans.get(k)) else {
            return false;
        };
        addr >= start && addr < end && packable(&self.sections[i], addr)
    }
}

/// The plan, if `-z pack-relative-relocs` applies to this link and there is
/// a relative relocation to pack (static PIEs relocate themselves with
/// RELA only).
fn relr_plan(inp: &LinkInput, scans: &[ScanResult], got: &[GotEntry]) -> Option<RelrPlan> {
    let kind = inp.opts.output_kind;
    if !inp.opts.pack_relr || !kind.is_dynamic() || kind == OutputKind::StaticPie {
        return None;
    }
    let c = GotCtx {
        kind,
        value: &|_| 0,
        dynsym: &|_| 0,
        tls_start: 0,
        tp: 0,
    };
    let mut got_offsets = Vec::new();
    for (i, &e) in got.iter().enumerate() {
        for r in got_fill(inp.res, &c, e, 8 * i as u64).rels {
            if r.rtype == elf::R_X86_64_RELATIVE {
                got_offsets.push(r.offset);
            }
        }
    }
    let places: Vec<Vec<(u32, u64)>> = scans.iter().map(|s| s.relative.clone()).collect();
    if got_offsets.is_empty() && places.iter().all(|p| p.is_empty()) {
        return None;
    }
    Some(RelrPlan {
        places,
        got: got_offsets,
    })
}

/// The `.relr.dyn` words for sorted, 8-aligned, distinct addresses: an
/// address, then bitmaps of the 63 words after it (bit 0 set marks a
/// bitmap), then the next address that no bitmap reaches.
pub fn encode_relr(addrs: &[u64]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < addrs.len() {
        out.push(addrs[i]);
        let mut base = addrs[i] + 8;
        i += 1;
        loop {
            let mut bits = 0u64;
            while i < addrs.len() && addrs[i] >= base && addrs[i] - base < 63 * 8 {
                bits |= 1 << ((addrs[i] - base) / 8);
                i += 1;
            }
            if bits == 0 {
                break;
            }
            out.push((bits << 1) | 1);
            base += 63 * 8;
        }
    }
    out
}

/// A copy relocation is refused for a protected symbol (its library would
/// keep using its own copy), under `-z nocopyreloc`, and for an undefined
/// symbol.
fn copy_relocation_errors(inp: &LinkInput, needs_copy: &[bool]) -> Result<()> {
    let res = inp.res;
    let mut errors = Vec::new();
    for (id, _) in needs_copy.iter().enumerate().filter(|(_, &c)| c) {
        let s = &res.symbols[id];
        if s.def == SymDef::Undefined {
            // An undefined weak symbol left to the dynamic linker (-z
            // dynamic-undefined-weak) has no size to copy: the code must
            // take its address through the GOT.
            errors.push(format!(
                "cannot create a copy relocation for {} (an undefined weak symbol under -z dynamic-undefined-weak); recompile with -fPIE or -fPIC",
                s.name_str()
            ));
            continue;
        }
        let SymDef::Shared { file, sym } = s.def else {
            continue;
        };
        let lib = &res.shared[file as usize].file;
        if lib.symbols[sym as usize].protected {
            errors.push(format!(
                "cannot create a copy relocation for protected symbol {}, defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        } else if inp.opts.no_copy_reloc {
            errors.push(format!(
                "cannot create a copy relocation for {} (-z nocopyreloc), defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}

/// Where `assign_addresses` put the loaded image.
struct Placed {
    loads: Vec<Segment>,
    relro_start: u64,
    relro_end: u64,
    tls_start: u64,
    tls_end: u64,
    tls_align: u64,
    /// File offset just past the loaded image.
    end: u64,
}

/// The boundary load segments start on: a page, or (`-n`) none at all.
fn segment_page(opts: &Options) -> u64 {
    if opts.nmagic {
        1
    } else {
        opts.max_page_size
    }
}

/// Gives every allocated section its file offset and address, in order,
/// starting after the headers (`headers_size` bytes at `base`); each
/// segment class starts on a new page. The `fixed` sections (index,
/// address) come last in the file, each in a load segment of its own at its
/// address. Returns the load segments (by address), the RELRO and TLS
/// ranges.
fn assign_addresses(
    sections: &mut [OutputSection],
    base: u64,
    headers_size: u64,
    fixed: &[(usize, u64)],
    page: u64,
) -> Result<Placed> {
    let mut off = headers_size;
    let mut addr_cursor = base + off;
    let seg_class = |rank: u32| -> u32 {
        match rank {
            0..=199 => 1,
            200..=299 => 2,
            300..=399 => 3,
            _ => 4,
        }
    };
    let mut cur_class = 1u32;
    let mut loads: Vec<Segment> = vec![Segment {
        p_type: elf::PT_LOAD,
        flags: elf::PF_R,
        offset: 0,
        vaddr: base,
        filesz: 0,
        memsz: 0,
        align: page,
    }];
    let mut relro_start = 0u64;
    let mut relro_end = 0u64;
    let mut in_relro = false;
    let mut tls_start = 0u64;
    let mut tls_end = 0u64;
    let mut tls_align = 1u64;
    for (i, s) in sections.iter_mut().enumerate() {
        if !s.is_alloc() || fixed.iter().any(|&(f, _)| f == i) {
            continue;
        }
        let class = seg_class(s.rank);
        if class != cur_class && page == 1 {
            // `-n`: one segment with the permissions of all, as GNU ld
            // (separate ones would share pages, and the last mapped
            // decides a shared page's permissions).
            cur_class = class;
            loads[0].flags |= match class {
                2 => elf::PF_X,
                4 => elf::PF_W,
                _ => 0,
            };
        } else if class != cur_class {
            // New segment on a new page (separate code, like -z separate-code).
            off = align_up(off, page);
            addr_cursor = base + off;
            cur_class = class;
            loads.push(Segment {
                p_type: elf::PT_LOAD,
                flags: match class {
                    2 => elf::PF_R | elf::PF_X,
                    4 => elf::PF_R | elf::PF_W,
                    _ => elf::PF_R,
                },
                offset: off,
                vaddr: base + off,
                filesz: 0,
                memsz: 0,
                align: page,
            });
        }
        if class == 4 && (400..500).contains(&s.rank) && !in_relro && relro_start == 0 {
            in_relro = true;
            relro_start = base + off;
        }
        if class == 4 && s.rank >= 500 && in_relro {
            in_relro = false;
            off = align_up(off, PAGE_SIZE.min(page));
            addr_cursor = base + off;
            relro_end = base + off;
        }
        if s.is_nobits() {
            let a = align_up(addr_cursor, s.align);
            s.addr = a;
            s.offset = off;
            if s.flags & elf::SHF_TLS as u64 != 0 {
                // .tbss occupies no address space outside the TLS template.
                tls_end = tls_end.max(a + s.size);
                if tls_start == 0 {
                    tls_start = a;
                }
                tls_align = tls_align.max(s.align);
            } else {
                addr_cursor = a + s.size;
            }
        } else {
            off = align_up(off, s.align);
            s.offset = off;
            s.addr = base + off;
            off += s.size;
            addr_cursor = base + off;
            if s.flags & elf::SHF_TLS as u64 != 0 {
                if tls_start == 0 {
                    tls_start = s.addr;
                }
                tls_end = tls_end.max(s.addr + s.size);
                tls_align = tls_align.max(s.align);
            }
        }
        let seg = loads.last_mut().unwrap();
        seg.filesz = off - seg.offset;
        seg.memsz = addr_cursor.max(base + off) - seg.vaddr;
        if page == 1 {
            // `-n`: aligned as its most aligned section, as lld.
            seg.align = seg.align.max(s.align);
        }
    }
    if in_relro {
        off = align_up(off, PAGE_SIZE.min(page));
        relro_end = base + off;
        let seg = loads.last_mut().unwrap();
        seg.filesz = off - seg.offset;
        seg.memsz = seg.memsz.max(off - seg.offset);
    }
    let mut by_addr = fixed.to_vec();
    by_addr.sort_by_key(|&(_, a)| a);
    for (i, addr) in by_addr {
        let s = &mut sections[i];
        let end = addr.saturating_add(s.size);
        if let Some(l) = loads
            .iter()
            .find(|l| addr < l.vaddr + l.memsz.max(1) && l.vaddr < end)
        {
            return Err(Error::new(format!(
                "--section-start: {} at {addr:#x} overlaps the segment at {:#x}",
                String::from_utf8_lossy(&s.name),
                l.vaddr
            )));
        }
        // File offset and address agree modulo the page size.
        off = align_up(off, page) + addr % page;
        s.offset = off;
        s.addr = addr;
        let filesz = if s.is_nobits() { 0 } else { s.size };
        off += filesz;
        let mut flags = elf::PF_R;
        if s.flags & elf::SHF_EXECINSTR as u64 != 0 {
            flags |= elf::PF_X;
        }
        if s.flags & elf::SHF_WRITE as u64 != 0 {
            flags |= elf::PF_W;
        }
        loads.push(Segment {
            p_type: elf::PT_LOAD,
            flags,
            offset: s.offset,
            vaddr: addr,
            filesz,
            memsz: s.size,
            align: page,
        });
    }
    // Load segments in address order, as the ELF specification requires.
    loads.sort_by_key(|l| l.vaddr);
    Ok(Placed {
        loads,
        relro_start,
        relro_end,
        tls_start,
        tls_end,
        tls_align,
        end: off,
    })
}

/// Gives the non-allocated sections (after the loaded image, at `off`)
/// their file offsets; returns the section header table's offset and the
/// file size. Layout calls it, and `compress` again with compressed sizes.
pub(crate) fn place_non_alloc(sections: &mut [OutputSection], mut off: u64) -> (u64, u64) {
    for s in sections.iter_mut() {
        if s.is_alloc() {
            continue;
        }
        off = align_up(off, s.align);
        s.offset = off;
        s.addr = 0;
        off += s.size;
    }
    let shoff = align_up(off, 8);
    (shoff, shoff + 64 * (sections.len() as u64 + 1))
}

pub fn got_target_value(res: &Resolved, l: &Layout, t: GotTarget) -> u64 {
    match t {
        GotTarget::Global(id) => l.sym_values[id as usize],
        GotTarget::Local(f, s) => {
            let (v, a) = local_sym_addr(res, l, f as usize, s, 0);
            (v as i64).wrapping_add(a) as u64
        }
    }
}

/// The address of file-local symbol `sym` of object `f` (through merged pieces).
pub fn local_sym_addr(
    res: &Resolved,
    layout: &Layout,
    f: usize,
    sym: u32,
    addend: i64,
) -> (u64, i64) {
    let o = &res.objects[f];
    let s: &InputSymbol = &o.symbols[sym as usize];
    if s.shndx == elf::SHN_ABS as u32 {
        return (s.value, addend);
    }
    let sh = s.shndx as usize;
    if sh == 0 || sh >= o.sections.len() {
        return (0, addend);
    }
    let isec = &o.sections[sh];
    if isec.kind == SectionKind::EhFrame {
        // Symbols in .eh_frame (crtbeginT's __EH_FRAME_BEGIN__) point into
        // the output .eh_frame: at their record, or where this file's start.
        let Some(&start) = layout.eh_starts.get(&(f as u32, sh as u32)) else {
            return (0, addend);
        };
        let base = layout.sec_addr(Synth::EhFrame);
        let placed = layout
            .eh
            .iter()
            .filter(|p| p.file as usize == f)
            .find_map(|p| {
                let (esec, recs) = &o.eh_frames[p.frame as usize];
                let r = &recs[p.record as usize];
                (*esec as usize == sh
                    && s.value >= r.offset as u64
                    && s.value < (r.offset + r.size) as u64)
                    .then(|| p.out_off + s.value - r.offset as u64)
            });
        return (base + placed.unwrap_or(start), addend);
    }
    let (osec, off) = layout.placement[f][sh];
    if osec == NONE {
        return (0, addend);
    }
    let sec_addr = layout.sections[osec as usize].addr;
    if isec.kind == SectionKind::MergeStrings {
        // Section symbols reference by addend; named symbols by value.
        let (target, rest) = if s.typ == elf::STT_SECTION {
            ((s.value as i64).wrapping_add(addend), 0)
        } else {
            (s.value as i64, addend)
        };
        let t = target.max(0) as u32;
        if let Some(i) = o.piece_at(sh, t) {
            let p = &o.pieces[i];
            let out = layout.piece_out[f][i];
            return (
                sec_addr
                    .wrapping_add(out)
                    .wrapping_add(t.saturating_sub(p.offset) as u64),
                rest,
            );
        }
        return (sec_addr, addend);
    }
    // Wrapping: a broken input's symbol value must not panic here; the
    // relocation that uses it reports the overflow.
    (sec_addr.wrapping_add(off).wrapping_add(s.value), addend)
}

/// Where commons and copy-relocated objects live: output section, offset.
type Homes = HashMap<SymbolId, (u32, u64)>;

type SectionsByName =
    HashMap<(&'static [u8], u32, u64), u32, BuildHasherDefault<crate::resolve::NameHasher>>;

/// The output section `name` of type `sh_type` (writable), made if missing.
fn home_section(
    sections: &mut Vec<OutputSection>,
    by_name: &mut SectionsByName,
    name: &'static [u8],
    sh_type: u32,
) -> u32 {
    let flags = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;
    // Keyed as `compute` keys input sections' output sections.
    let key = (name, u32::from(sh_type == elf::SHT_NOBITS), flags);
    *by_name.entry(key).or_insert_with(|| {
        let rank = rank_of(name, sh_type, flags);
        sections.push(OutputSection::new(
            name,
            Synth::Regular,
            sh_type,
            flags,
            1,
            rank,
        ));
        (sections.len() - 1) as u32
    })
}

/// Room for `size` bytes aligned to `align` at the end of section `i`.
fn reserve_in(sections: &mut [OutputSection], i: u32, size: u64, align: u64) -> (u32, u64) {
    let os = &mut sections[i as usize];
    let off = align_up(os.size, align);
    os.size = off + size;
    os.align = os.align.max(align);
    (i, off)
}

/// Places COMMON symbols (in `.common`, as mold) and the copies of
/// copy-relocated objects (in `.copyrel`, or `.copyrel.rel.ro` for an object
/// read-only in its library, which then stays read-only here as in GNU ld),
/// and marks the other names of a copied object as aliases. `.bss` is
/// always made (GNU ld's output has it); under a linker script's `SECTIONS`
/// all of them go there, where the script's `.bss` symbols expect them.
fn place_commons_and_copies(
    inp: &LinkInput,
    sym_info: &mut [SymInfo],
    sections: &mut Vec<OutputSection>,
    by_name: &mut SectionsByName,
) -> (Homes, Homes) {
    let res = inp.res;
    let opts = inp.opts;
    let bss = home_section(sections, by_name, b".bss", elf::SHT_NOBITS);
    let scripted = !inp.scripts.rules.is_empty();
    let mut common_off = Homes::new();
    for (id, s) in res.symbols.iter().enumerate() {
        if let SymDef::Common { file, sym } = s.def {
            let cs = &res.objects[file as usize].symbols[sym as usize];
            let home = if scripted {
                bss
            } else {
                home_section(sections, by_name, b".common", elf::SHT_NOBITS)
            };
            // For commons, st_value holds the alignment.
            common_off.insert(
                id as u32,
                reserve_in(sections, home, cs.size, cs.value.max(1)),
            );
        }
    }
    let relro = opts.relro && !opts.nmagic && !scripted;
    let mut copy_off = Homes::new();
    // Copy-relocated symbols, grouped with their aliases (same DSO, same address).
    let mut by_addr: HashMap<(u32, u64), (u32, u64)> = HashMap::new();
    for (id, info) in sym_info.iter().enumerate() {
        if !info.copy {
            continue;
        }
        if let SymDef::Shared { file, sym } = res.symbols[id].def {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            let place = *by_addr.entry((file, ds.value)).or_insert_with(|| {
                let home = if scripted {
                    bss
                } else if relro && ds.read_only {
                    home_section(sections, by_name, b".copyrel.rel.ro", elf::SHT_PROGBITS)
                } else {
                    home_section(sections, by_name, b".copyrel", elf::SHT_NOBITS)
                };
                reserve_in(sections, home, ds.size, ds.align)
            });
            copy_off.insert(id as u32, place);
        }
    }
    // Aliases: other exported names of the same object in that DSO.
    let mut copy_aliases: Vec<SymbolId> = Vec::new();
    if !by_addr.is_empty() {
        for (li, ls) in res.shared.iter().enumerate() {
            for ds in &ls.file.symbols {
                let Some(&place) = by_addr.get(&(li as u32, ds.value)) else {
                    continue;
                };
                if ds.typ != elf::STT_OBJECT {
                    continue;
                }
                let Some(aid) = res.lookup(ds.name) else {
                    continue;
                };
                let same_lib = matches!(res.symbols[aid as usize].def, SymDef::Shared { file, .. } if file as usize == li);
                if same_lib {
                    if let std::collections::hash_map::Entry::Vacant(e) = copy_off.entry(aid) {
                        e.insert(place);
                        copy_aliases.push(aid);
                    }
                }
            }
        }
    }
    for &aid in &copy_aliases {
        sym_info[aid as usize].copy = true;
        sym_info[aid as usize].copy_alias = true;
    }
    (common_off, copy_off)
}

fn symbol_values(
    inp: &LinkInput,
    layout: &Layout,
    common_off: &Homes,
    copy_off: &Homes,
) -> Result<Vec<u64>> {
    let res = inp.res;
    let home = |h: &(u32, u64)| layout.sections[h.0 as usize].addr + h.1;
    let names: NameMap<u32> = layout
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_alloc())
        .map(|(i, s)| (leak(&s.name), i as u32))
        .collect();
    let sec_by = |n: &[u8]| names.get(n).map(|&i| &layout.sections[i as usize]);
    let first_alloc_after = |rank: u32| {
        layout
            .sections
            .iter()
            .find(|s| s.is_alloc() && s.rank >= rank)
            .map(|s| s.addr)
    };
    let text_end = layout
        .segments
        .iter()
        .filter(|s| s.p_type == elf::PT_LOAD && s.flags & elf::PF_X != 0)
        .map(|s| s.vaddr + s.memsz)
        .max()
        .unwrap_or(0);
    let rw = layout.segments.iter().rfind(|s| s.p_type == elf::PT_LOAD);
    let (edata, end) = rw
        .map(|s| (s.vaddr + s.filesz, s.vaddr + s.memsz))
        .unwrap_or((0, 0));
    let base = layout
        .segments
        .iter()
        .find(|s| s.p_type == elf::PT_LOAD)
        .map(|s| s.vaddr)
        .unwrap_or(0);
    let rela_iplt = layout
        .sec(Synth::RelaPlt)
        .filter(|_| !layout.kind.is_dynamic());
    let mut out = vec![0u64; res.symbols.len()];
    for (id, s) in res.symbols.iter().enumerate() {
        let info = &layout.sym_info[id];
        let v = match s.def {
            SymDef::Object { file, sym } => {
                let os = &res.objects[file as usize].symbols[sym as usize];
                if os.typ == elf::STT_GNU_IFUNC && info.plt != NONE && !s.preemptible {
                    layout.plt_entry_addr(info.plt)
                } else {
                    local_sym_addr(res, layout, file as usize, sym, 0).0
                }
            }
            SymDef::Common { .. } => home(&common_off[&(id as u32)]),
            SymDef::Shared { .. } => {
                if let Some(h) = copy_off.get(&(id as u32)) {
                    home(h)
                } else if info.canonical_plt && info.plt != NONE {
                    layout.plt_entry_addr(info.plt)
                } else {
                    0
                }
            }
            SymDef::Undefined | SymDef::Synthetic => {
                // Linker-defined symbols nobody else defined, or weak undefined (0).
                let n = s.name;
                let v: Option<u64> = match n {
                    b"__ehdr_start" | b"__executable_start" => Some(base),
                    b"_GLOBAL_OFFSET_TABLE_" => Some(layout.sec_addr(Synth::GotPlt)),
                    b"_DYNAMIC" => layout.sec(Synth::Dynamic).map(|s| s.addr),
                    // Copies and commons are zero-initialised data too.
                    b"__bss_start" => Some(
                        [&b".copyrel"[..], b".bss", b".common"]
                            .iter()
                            .filter_map(|&n| sec_by(n).map(|s| s.addr))
                            .min()
                            .unwrap_or(edata),
                    ),
                    b"_edata" | b"edata" => Some(edata),
                    b"_end" | b"end" => Some(end),
                    b"_etext" | b"etext" | b"__etext" => Some(text_end),
                    b"__rela_iplt_start" => Some(rela_iplt.map(|s| s.addr).unwrap_or(0)),
                    b"__rela_iplt_end" => Some(rela_iplt.map(|s| s.addr + s.size).unwrap_or(0)),
                    b"__init_array_start"
                    | b"__init_array_end"
                    | b"__fini_array_start"
                    | b"__fini_array_end"
                    | b"__preinit_array_start"
                    | b"__preinit_array_end" => {
                        let sname: &[u8] = if n.starts_with(b"__init") {
                            b".init_array"
                        } else if n.starts_with(b"__fini") {
                            b".fini_array"
                        } else {
                            b".preinit_array"
                        };
                        match sec_by(sname) {
                            Some(sec) => Some(if n.ends_with(b"_start") {
                                sec.addr
                            } else {
                                sec.addr + sec.size
                            }),
                            None => Some(first_alloc_after(400).unwrap_or(0)),
                        }
                    }
                    // Relaxed to LE, `x@dtpoff` is resolved TP-relative (see
                    // x86_64::Action::Dtpoff), so the module base is the TP.
                    b"_TLS_MODULE_BASE_" => Some(if layout.kind.is_executable() {
                        layout.tp
                    } else {
                        layout.tls_start
                    }),
                    _ => {
                        // `--start-stop`: `__start_text` is `.text`'s.
                        let dotted = |sec: &[u8]| {
                            sec_by(sec).filter(|_| is_c_ident(sec)).or_else(|| {
                                let d = [&b"."[..], sec].concat();
                                sec_by(&d).filter(|_| inp.opts.start_stop)
                            })
                        };
                        if let Some(sec) = n.strip_prefix(b"__start_") {
                            dotted(sec).map(|s| s.addr)
                        } else if let Some(sec) = n.strip_prefix(b"__stop_") {
                            dotted(sec).map(|s| s.addr + s.size)
                        } else {
                            None
                        }
                    }
                };
                v.unwrap_or(0)
            }
        };
        out[id] = v;
    }
    // --defsym values, once their targets have theirs (a chain of
    // --defsym aliases resolves in command-line order).
    for (name, _) in &inp.opts.defsym {
        let Some(id) = res.lookup(name.as_bytes()) else {
            continue;
        };
        out[id as usize] = match res.symbols[id as usize].defsym {
            Some(crate::resolve::Defsym::Abs(v)) => v,
            Some(crate::resolve::Defsym::Rel(t, off)) => out[t as usize].wrapping_add(off as u64),
            Some(crate::resolve::Defsym::Script { .. }) | None => continue,
        };
    }
    // Linker-script assignments, in script order, once every other symbol
    // has its value.
    inp.scripts
        .values(res, layout, inp.opts.max_page_size, &mut out)?;
    Ok(out)
}

fn leak(v: &[u8]) -> &'static [u8] {
    Box::leak(v.to_vec().into_boxed_slice())
}

pub use crate::resolve::is_linker_defined;

/// GOT, PLT and copy dynamic relocations.
fn plan_dynrels(inp: &LinkInput, l: &mut Layout) {
    let res = inp.res;
    let mut got_rels = Vec::new();
    let mut relative = Vec::new();
    {
        let value = |t: GotTarget| got_target_value(res, l, t);
        let dynsym = |id: SymbolId| l.sym_info[id as usize].dynsym;
        let c = l.got_ctx(&value, &dynsym);
        for (i, &e) in l.got.iter().enumerate() {
            for r in got_fill(res, &c, e, l.got_slot_addr(i as u32)).rels {
                if r.rtype == elf::R_X86_64_RELATIVE {
                    relative.push(r);
                } else {
                    got_rels.push(r);
                }
            }
        }
    }
    for (id, info) in l.sym_info.iter().enumerate() {
        if info.copy && !info.copy_alias {
            got_rels.push(DynRel {
                offset: l.sym_values[id],
                rtype: elf::R_X86_64_COPY,
                dynsym: info.dynsym,
                addend: 0,
            });
        }
    }
    let mut plt_rels = Vec::new();
    let mut irel_rels = Vec::new();
    for (i, &id) in l.plt.iter().enumerate() {
        let slot = l.gotplt_slot_addr(i as u32);
        if i < l.n_lazy_plt {
            plt_rels.push(DynRel {
                offset: slot,
                rtype: elf::R_X86_64_JUMP_SLOT,
                dynsym: l.sym_info[id as usize].dynsym,
                addend: 0,
            });
        } else if let SymDef::Object { file, sym } = res.symbols[id as usize].def {
            let resolver = local_sym_addr(res, l, file as usize, sym, 0).0;
            irel_rels.push(DynRel {
                offset: slot,
                rtype: elf::R_X86_64_IRELATIVE,
                dynsym: 0,
                addend: resolver as i64,
            });
        }
    }
    relative.extend(got_rels);
    l.got_rels = relative;
    l.plt_rels = plt_rels;
    l.irel_rels = irel_rels;
}

/// Count of local and total .symtab entries and the .strtab size.
/// Allocated sections: each has a section symbol in `.symtab` (as mold
/// writes them; tools that symbolise addresses fall back on them).
fn alloc_count(sections: &[OutputSection]) -> u32 {
    sections.iter().filter(|s| s.is_alloc()).count() as u32
}

/// `.symtab`'s local symbols, symbols and `.strtab` size.
fn symtab_plan(
    res: &Resolved,
    placement: &[Vec<(u32, u64)>],
    discard: Discard,
    plt: &[SymbolId],
    section_symbols: u32,
) -> (u32, u32, u64) {
    let mut locals = 1 + section_symbols; // null
    let mut strsz = 1u64;
    for &id in plt {
        locals += 1;
        strsz += plt_symbol_name(res, id).len() as u64 + 1;
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
            if keep_local(o, s, i, &placement[f], discard) {
                locals += 1;
                strsz += s.name.len() as u64 + 1;
            }
        }
    }
    let mut globals = 0u32;
    for s in &res.symbols {
        if keep_global(res, placement, s) {
            if s.localized {
                locals += 1;
            } else {
                globals += 1;
            }
            strsz += s.name.len() as u64 + 1;
        }
    }
    (locals, locals + globals, strsz)
}

/// The local symbol naming PLT entry of `id` in `.symtab` (`foo$plt`, as
/// mold names it), so that profilers and debuggers can tell which function
/// a call into the PLT goes to.
pub fn plt_symbol_name(res: &Resolved, id: SymbolId) -> Vec<u8> {
    let s = &res.symbols[id as usize];
    let name = match s.def {
        // A local IFUNC's entry: its own name, not the internal one.
        SymDef::Object { file, sym } if s.promoted_local => {
            res.objects[file as usize].symbols[sym as usize].name
        }
        _ => s.name,
    };
    [name, b"$plt"].concat()
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

/// A symbol's name in `.dynsym`: versioned names lose their version.
pub fn dynsym_name(res: &Resolved, id: SymbolId) -> &'static [u8] {
    let name = res.symbols[id as usize].name;
    match res.symbols[id as usize].def {
        // A versioned reference's dynamic name is the bare name; the
        // version goes in .gnu.version.
        SymDef::Shared { file, sym } => res.shared[file as usize].file.symbols[sym as usize].name,
        // `foo@V1` from `.symver` is exported as `foo`, version V1.
        _ => match name.iter().position(|&c| c == b'@') {
            Some(i) => &name[..i],
            None => name,
        },
    }
}

pub fn gnu_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 5381;
    for &c in name {
        h = h.wrapping_mul(33).wrapping_add(c as u32);
    }
    h
}

pub fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

impl Layout {
    /// Removes the non-allocated sections `drop` selects (after layout:
    /// nothing loaded moves). Section indices, `.shstrtab`, the symbol
    /// table's size (symbols in dropped sections go with them) and the
    /// non-allocated sections' offsets are computed again.
    pub(crate) fn drop_sections(&mut self, res: &Resolved, drop: impl Fn(&OutputSection) -> bool) {
        let start = self.non_alloc_start().unwrap_or(self.shoff);
        let mut remap = vec![NONE; self.sections.len()];
        let mut kept = Vec::with_capacity(self.sections.len());
        for (i, s) in std::mem::take(&mut self.sections).into_iter().enumerate() {
            if s.is_alloc() || !drop(&s) {
                remap[i] = kept.len() as u32;
                kept.push(s);
            }
        }
        self.sections = kept;
        for p in self.placement.iter_mut().flatten() {
            if p.0 != NONE {
                p.0 = remap[p.0 as usize];
                if p.0 == NONE {
                    p.1 = 0;
                }
            }
        }
        self.sec_idx.retain(|_, v| remap[*v as usize] != NONE);
        for v in self.sec_idx.values_mut() {
            *v = remap[*v as usize];
        }
        self.prewritten.retain(|(i, _)| remap[*i] != NONE);
        for (i, _) in self.prewritten.iter_mut() {
            *i = remap[*i] as usize;
        }
        for (_, v) in self.dynamic.iter_mut() {
            if let DynVal::OutAddr(i) | DynVal::OutSize(i) = v {
                *i = remap[*i as usize];
            }
        }
        if let Some(&i) = self.sec_idx.get(&Synth::Symtab) {
            let (locals, count, strsz) = symtab_plan(
                res,
                &self.placement,
                self.discard,
                &self.plt,
                alloc_count(&self.sections),
            );
            self.symtab_locals = locals;
            self.symtab_count = count;
            self.strtab_size = strsz;
            self.sections[i as usize].size = 24 * count as u64;
            if let Some(&j) = self.sec_idx.get(&Synth::Strtab) {
                self.sections[j as usize].size = strsz;
            }
        }
        self.renumber_sections(start);
    }

    /// Where the non-allocated sections start in the file (the first one
    /// placed), if any is: what a pass that changes them places again from.
    pub(crate) fn non_alloc_start(&self) -> Option<u64> {
        self.sections
            .iter()
            .filter(|s| !s.is_alloc())
            .map(|s| s.offset)
            .filter(|&o| o > 0)
            .min()
    }

    /// Appends a non-allocated section whose bytes are made already.
    pub(crate) fn add_prewritten(&mut self, s: OutputSection, bytes: Vec<u8>) {
        let start = self.non_alloc_start().unwrap_or(self.shoff);
        self.sections.push(s);
        self.prewritten.push((self.sections.len() - 1, bytes));
        self.renumber_sections(start);
    }

    /// Section header indices, `.shstrtab` (names in section order, each
    /// once) and the non-allocated sections' places, from `start` on.
    fn renumber_sections(&mut self, start: u64) {
        let mut shstrtab: Vec<u8> = vec![0];
        let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
        for (i, s) in self.sections.iter_mut().enumerate() {
            s.shndx = i as u32 + 1;
            if !seen.contains_key(&s.name) {
                seen.insert(s.name.clone(), shstrtab.len() as u32);
                shstrtab.extend_from_slice(&s.name);
                shstrtab.push(0);
            }
        }
        if let Some(&i) = self.sec_idx.get(&Synth::Shstrtab) {
            self.sections[i as usize].size = shstrtab.len() as u64;
        }
        self.shstrtab = shstrtab;
        let (shoff, file_size) = place_non_alloc(&mut self.sections, start);
        self.shoff = shoff;
        self.file_size = file_size;
    }
}
