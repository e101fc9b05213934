//! Ingestion of one relocatable object: everything that depends on the file
//! alone. Sections are classified, symbols and relocations decoded into
//! compact arrays, mergeable strings split into hashed pieces, and `.eh_frame`
//! split into CIE/FDE records. Nothing here looks at any other input, so an
//! object can be ingested the moment it exists, on any thread, and the result
//! reused while the file's identity is unchanged.
//!
//! Assumes nothing of the bytes: every offset, index and size is checked
//! before use, so a corrupt object gives an error that names it.
//! The bytes live for the whole link (`&'static`), so names and contents
//! are borrowed from them, not copied.

use crate::arch::{Arch, Native};
use crate::error::{Error, Result};
use object::elf::{self, FileHeader64, SectionHeader64};
use object::read::elf::{FileHeader, Rela, SectionHeader, Sym};
use object::LittleEndian as LE;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// An allocated section copied as a whole (PROGBITS, NOBITS, arrays, notes).
    Alloc,
    /// `SHF_MERGE|SHF_STRINGS` (allocated or not): split into NUL-terminated pieces.
    MergeStrings,
    /// `.eh_frame`: split into CIE/FDE records.
    EhFrame,
    /// Non-allocated (debug info): copied as a whole.
    NonAlloc,
    /// `.comment`: strings collected into the output `.comment`.
    Comment,
    /// Not carried to the output (symbol/string/relocation tables, groups,
    /// `.note.GNU-stack`, `.note.gnu.property`, ...).
    Ignore,
}

/// One input section. Compact (there is one per section of every input):
/// alignment as a log2, flags and entry size in 32 bits (check_sections
/// rejects wider ones), no group as a sentinel; a debug section's raw
/// relocations are in `ObjectFile::raw_relocs`.
#[derive(Clone, Debug)]
pub struct InputSection {
    pub name: crate::name::Name,
    pub size: u64,
    /// File offset of the contents (meaningless for NOBITS).
    pub offset: u64,
    pub sh_type: u32,
    /// `sh_flags`: every SHF_* bit is below bit 32.
    pub flags: u32,
    pub entsize: u32,
    /// COMDAT group (index into `ObjectFile::groups`), or `NO_GROUP`.
    group: u32,
    /// Index into `ObjectFile::reloc_tables` (0: none); see
    /// `ObjectFile::relocs_of`.
    pub relocs: u32,
    /// Index into `ObjectFile::merge_ranges` (merge sections), or
    /// `NO_MERGE`: the few merge sections keep their ranges apart.
    merge: u32,
    pub kind: SectionKind,
    /// log2 of the alignment (an input's 0 counts as 1).
    align_log2: u8,
}

const _: () = assert!(std::mem::size_of::<InputSection>() <= 56);

const NO_GROUP: u32 = u32::MAX;
const NO_MERGE: u32 = u32::MAX;

impl InputSection {
    /// An empty ignored PROGBITS section with no name, in `group`.
    pub fn empty(group: Option<u32>) -> InputSection {
        let mut s = InputSection {
            name: crate::name::Name::new(b""),
            size: 0,
            offset: 0,
            sh_type: elf::SHT_PROGBITS,
            flags: 0,
            entsize: 0,
            group: NO_GROUP,
            relocs: 0,
            merge: NO_MERGE,
            kind: SectionKind::Ignore,
            align_log2: 0,
        };
        s.set_group(group);
        s
    }
    pub fn is_nobits(&self) -> bool {
        self.sh_type == elf::SHT_NOBITS
    }
    pub fn is_alloc(&self) -> bool {
        self.flags & elf::SHF_ALLOC != 0
    }
    /// The alignment, a power of two (at least 1).
    pub fn align(&self) -> u64 {
        1 << self.align_log2
    }
    /// `align` must be a power of two.
    pub fn set_align(&mut self, align: u64) {
        assert!(
            align.is_power_of_two(),
            "alignment {align} is not a power of two"
        );
        self.align_log2 = align.trailing_zeros() as u8;
    }
    pub fn group(&self) -> Option<u32> {
        (self.group != NO_GROUP).then_some(self.group)
    }
    pub fn set_group(&mut self, group: Option<u32>) {
        // A group is a section, so its index is below the section count.
        self.group = group
            .inspect(|&g| assert!(g != NO_GROUP))
            .unwrap_or(NO_GROUP);
    }
}

/// A relocation: the ELF record itself, read in place from the input's
/// bytes rather than decoded into a table of its own (ripgrep's debug
/// link has 5.7 MiB of them, which copied cost their page faults and a
/// pass). `sym()` is the ELF symbol index in this file.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Reloc(elf::Rela64<LE>);

// SAFETY: a wrapper of a `Pod` type (`repr(transparent)`), so any bytes
// of its size are a valid value and it has the same (byte) alignment.
unsafe impl object::pod::Pod for Reloc {}

impl Reloc {
    pub fn offset(&self) -> u64 {
        self.0.r_offset(LE)
    }

    pub fn addend(&self) -> i64 {
        self.0.r_addend(LE)
    }

    pub fn sym(&self) -> u32 {
        self.0.r_sym(LE, false)
    }

    pub fn rtype(&self) -> u32 {
        self.0.r_type(LE, false)
    }
}

/// Where one section's relocations are, sorted by offset: the input's own
/// records when they are (compilers and assemblers write them so): `len`
/// records at byte `start` of the object; else, with `SORTED` set in
/// `start`, a sorted copy (`ObjectFile::sorted_relocs[start & !SORTED]`).
/// Eight bytes: a Rust object has a table for about every other section.
#[derive(Clone, Copy, Debug, Default)]
pub struct RelocTable {
    start: u32,
    len: u32,
}

const SORTED: u32 = 1 << 31;

impl RelocTable {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_copy(&self) -> bool {
        self.start & SORTED != 0
    }
}

#[derive(Clone, Copy, Debug)]
pub struct InputSymbol {
    pub name: crate::name::Name,
    pub value: u64,
    pub size: u64,
    /// Section index, or `SHN_UNDEF`/`SHN_ABS`/`SHN_COMMON`.
    pub shndx: u32,
    pub bind: u8,
    pub typ: u8,
    pub visibility: u8,
}

const _: () = assert!(std::mem::size_of::<InputSymbol>() <= 32);

impl InputSymbol {
    pub fn is_undefined(&self) -> bool {
        self.shndx == elf::SHN_UNDEF as u32
    }
    pub fn is_common(&self) -> bool {
        self.shndx == elf::SHN_COMMON as u32
    }
    pub fn is_weak(&self) -> bool {
        self.bind == elf::STB_WEAK
    }
    pub fn is_local(&self) -> bool {
        self.bind == elf::STB_LOCAL
    }
}

/// Granularity of `ObjectFile::piece_blocks`.
pub const PIECE_BLOCK: usize = 64;

thread_local! {
    /// The pieces of the object being split (`split_merge_sections`), kept
    /// between objects.
    static PIECE_SCRATCH: std::cell::RefCell<Vec<Piece>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One string of a mergeable section: where it starts in the section, and
/// its contents' hash. 12 bytes (a piece per string of every `.debug_str`
/// lives through the link): its length is up to the next piece's start or
/// the section's end (pieces cover their section; `ObjectFile::piece_bytes`).
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    pub offset: u32,
    hash: [u32; 2],
}

const _: () = assert!(std::mem::size_of::<Piece>() == 12);

impl Piece {
    pub fn new(offset: u32, hash: u64) -> Piece {
        Piece {
            offset,
            hash: [hash as u32, (hash >> 32) as u32],
        }
    }

    #[inline]
    pub fn hash(&self) -> u64 {
        self.hash[0] as u64 | (self.hash[1] as u64) << 32
    }
}

/// The bytes of piece `k` of `pieces`, a section's pieces, which cover
/// `data`, its contents.
#[inline]
pub fn piece_in(data: &'static [u8], pieces: &[Piece], k: usize) -> &'static [u8] {
    let end = pieces.get(k + 1).map_or(data.len(), |n| n.offset as usize);
    &data[pieces[k].offset as usize..end]
}

/// One merge section's pieces (in offset order) and, per `PIECE_BLOCK`
/// bytes of it, the first piece starting in that block: finds the piece
/// holding an offset (`at`) in a step or two.
#[derive(Clone, Copy)]
pub struct PieceIndex<'a> {
    pub pieces: &'a [Piece],
    blocks: &'a [u32],
}

impl PieceIndex<'_> {
    /// The piece (index in `pieces`) holding offset `t`: the last one
    /// starting at or before it.
    #[inline]
    pub fn at(&self, t: u32) -> Option<usize> {
        let pieces = self.pieces;
        if pieces.is_empty() {
            return None;
        }
        let mut i = match self.blocks.get(t as usize / PIECE_BLOCK) {
            Some(&b) => b as usize,
            None => pieces.len() - 1,
        };
        while i + 1 < pieces.len() && pieces[i + 1].offset <= t {
            i += 1;
        }
        while i > 0 && pieces[i].offset > t {
            i -= 1;
        }
        Some(i)
    }
}

#[derive(Clone, Debug)]
pub struct ComdatGroup {
    pub signature: &'static [u8],
    pub sections: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EhRecordKind {
    Cie,
    /// An FDE; `cie` is the input offset of its CIE.
    Fde {
        cie: u32,
    },
}

/// One CIE or FDE of an input `.eh_frame`.
#[derive(Clone, Debug)]
pub struct EhRecord {
    pub offset: u32,
    /// Whole record size including the length field.
    pub size: u32,
    pub kind: EhRecordKind,
    /// Range into its `.eh_frame` section's relocations
    /// (`ObjectFile::relocs_of`).
    pub relocs: Range<u32>,
}

#[derive(Debug)]
pub struct ObjectFile {
    /// Display name for diagnostics: `dir/foo.o` or `libc.a(printf.o)`.
    pub name: String,
    pub data: &'static [u8],
    /// Keeps `data` alive (`input::Backing`).
    pub backing: crate::input::Backing,
    pub sections: Vec<InputSection>,
    pub symbols: Vec<InputSymbol>,
    /// Index of the first non-local symbol (`sh_info` of `.symtab`).
    pub first_global: u32,
    /// The allocated sections' relocations (`InputSection::relocs`
    /// indexes it; the first is the empty table).
    pub reloc_tables: Vec<RelocTable>,
    /// The tables whose records were not in offset order, sorted.
    pub sorted_relocs: Vec<Box<[Reloc]>>,
    pub pieces: Vec<Piece>,
    /// For each merge section, per PIECE_BLOCK bytes: the (section-relative)
    /// index of the piece holding that offset, so an offset's piece is found
    /// in a step or two instead of a binary search (debug info has millions
    /// of references into .debug_str).
    pub piece_blocks: Vec<u32>,
    /// Per merge section (`InputSection::merge`): its ranges of `pieces`
    /// and `piece_blocks`.
    pub merge_ranges: Vec<(Range<u32>, Range<u32>)>,
    pub groups: Vec<ComdatGroup>,
    /// (section index, records) for each `.eh_frame`.
    pub eh_frames: Vec<(u32, Vec<EhRecord>)>,
    /// The object asks for an executable stack (no `.note.GNU-stack`, or one with SHF_EXECINSTR).
    pub wants_execstack: bool,
    /// It has no `.note.GNU-stack` at all (so `wants_execstack` is set by
    /// default, not asked for): GNU ld words its warning differently.
    pub missing_gnu_stack: bool,
    /// The 4-byte properties of its `.note.gnu.property` (type, value),
    /// sorted by type; `None` if it has no such note (which matters: an
    /// object without one clears the output's AND-combined features).
    pub gnu_properties: Option<Vec<(u32, u32)>>,
    /// Contents of `SHF_COMPRESSED` sections (`-gz` debug info), by section
    /// index, sorted; their `InputSection` describes the uncompressed data.
    pub decompressed: Vec<(u32, &'static [u8])>,
    /// Non-allocated sections (debug info): (section index, the input's own
    /// relocation records), sorted by index. The records are in the input's
    /// order (not sorted, unlike `relocs`) and decoded only by the writer:
    /// they decide nothing about the layout, and copying them would double
    /// the memory they take.
    pub raw_relocs: RawRelocs,
    /// Per global symbol (from `first_global`): its name's hash
    /// (`resolve::name_hash`), made with the parse, in parallel, so that
    /// the sequential resolution does not hash.
    pub global_hashes: Vec<u64>,
    /// It defines an IFUNC or a `STB_GNU_UNIQUE` symbol (GNU extensions:
    /// the output's ELF header then says ELFOSABI_GNU).
    pub gnu_abi: bool,
    /// A global symbol's name holds an `@` (`foo@@V2` defines a version).
    pub at_names: bool,
    /// Parsed for resolution only (`parse_for_resolution`): no relocations,
    /// pieces or `.eh_frame` records yet (`finish_parse`).
    pub unfinished: bool,
}

/// `ObjectFile::raw_relocs`.
pub type RawRelocs = Vec<(u32, &'static [Reloc])>;

fn bad(name: &str, what: impl std::fmt::Display) -> Error {
    Error::new(format!("{name}: {what}"))
}

/// The properties with 4-byte values in a `.note.gnu.property` section
/// (NT_GNU_PROPERTY_TYPE_0 notes owned by "GNU"; ELF64: 8-byte aligned).
/// Other notes and wider properties are skipped.
fn parse_gnu_properties(mut b: &[u8]) -> std::result::Result<Vec<(u32, u32)>, String> {
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 12 {
            return Err(format!("truncated note header ({} bytes left)", b.len()));
        }
        let (namesz, descsz, ntype) = (u32_at(b, 0) as usize, u32_at(b, 4) as usize, u32_at(b, 8));
        // In an 8-aligned note section the name is padded so that the
        // descriptor starts 8-aligned.
        let desc_start = (12 + namesz).next_multiple_of(8);
        let end = desc_start
            .checked_add(descsz)
            .filter(|&e| e <= b.len())
            .ok_or_else(|| format!("note of {descsz} bytes runs past the section"))?;
        if ntype == object::elf::NT_GNU_PROPERTY_TYPE_0 && b.get(12..12 + namesz) == Some(b"GNU\0")
        {
            let mut d = &b[desc_start..end];
            while d.len() >= 8 {
                let (ptype, psz) = (u32_at(d, 0), u32_at(d, 4) as usize);
                let next = psz
                    .div_ceil(8)
                    .checked_mul(8)
                    .and_then(|n| n.checked_add(8))
                    .filter(|&n| n <= d.len())
                    .ok_or_else(|| {
                        format!("property {ptype:#x} of {psz} bytes runs past its note")
                    })?;
                if psz == 4 {
                    out.push((ptype, u32_at(d, 8)));
                }
                d = &d[next..];
            }
        }
        b = &b[end.next_multiple_of(8).min(b.len())..];
    }
    Ok(out)
}

pub fn hash_bytes(b: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(b)
}

/// Largest size accepted for a section without file contents (`.bss`), a
/// COMMON symbol or a shared library's data symbol: the x86-64 user address
/// space. A larger claim cannot be laid out, and would overflow addresses.
pub const MAX_SIZE: u64 = 1 << 47;

/// Largest section (or COMMON symbol) alignment accepted: 1 GiB. Real inputs
/// stay far below it (pages, 2 MiB huge pages); a larger one would pad the
/// output by as much.
pub const MAX_ALIGN: u64 = 1 << 30;

/// Check the ELF header of an x86-64 ELF64 little-endian file and return it.
/// The identification bytes are checked one by one first, so that a 32-bit,
/// big-endian or truncated file is told as such.
pub fn check_header<'d>(data: &'d [u8], name: &str) -> Result<&'d FileHeader64<LE>> {
    let size = std::mem::size_of::<FileHeader64<LE>>();
    if data.len() < size {
        return Err(bad(
            name,
            format!(
                "truncated ELF header ({} bytes; an ELF64 header has {size})",
                data.len()
            ),
        ));
    }
    if !data.starts_with(&elf::ELFMAG) {
        return Err(bad(name, "not an ELF file"));
    }
    match data[4] /* EI_CLASS */ {
        elf::ELFCLASS64 => {}
        elf::ELFCLASS32 => {
            return Err(bad(
                name,
                "32-bit ELF (ELFCLASS32) file: only x86-64 ELF64 is supported",
            ))
        }
        c => return Err(bad(name, format!("unknown ELF class {c}"))),
    }
    match data[5] /* EI_DATA */ {
        elf::ELFDATA2LSB => {}
        elf::ELFDATA2MSB => {
            return Err(bad(
                name,
                "big-endian ELF file: only x86-64 (little-endian) is supported",
            ))
        }
        d => return Err(bad(name, format!("unknown ELF data encoding {d}"))),
    }
    if data[6] /* EI_VERSION */ != elf::EV_CURRENT {
        return Err(bad(
            name,
            format!(
                "unsupported ELF version {} in the identification (expected 1)",
                data[6]
            ),
        ));
    }
    let header = FileHeader64::<LE>::parse(data)
        .map_err(|e| bad(name, format!("not a valid ELF64 file ({e})")))?;
    let machine = header.e_machine(LE);
    if machine != Native::E_MACHINE {
        return Err(bad(
            name,
            format!("incompatible machine type {machine} (only x86-64 is supported)"),
        ));
    }
    check_section_table(header, data, name)?;
    Ok(header)
}

/// The section header table's place, size and name table, checked before
/// `object` reads it: each problem gets its own message, and a claimed
/// section count is checked against the file size before anything is
/// allocated for it.
fn check_section_table(header: &FileHeader64<LE>, data: &[u8], name: &str) -> Result<()> {
    let e = LE;
    let len = data.len() as u64;
    let shoff = header.e_shoff(e);
    if shoff == 0 {
        return Ok(()); // no sections
    }
    let entsize = header.e_shentsize(e);
    if entsize as usize != std::mem::size_of::<SectionHeader64<LE>>() {
        return Err(bad(
            name,
            format!("bad section header table: e_shentsize is {entsize}, expected 64"),
        ));
    }
    // Section 0 holds the count and the name table index when they do not
    // fit the header (extended numbering).
    let section0 = |field: usize| -> Option<u64> {
        let at = shoff.checked_add(field as u64)? as usize;
        let b = data.get(at..at.checked_add(8)?)?;
        Some(u64::from_le_bytes(b.try_into().unwrap()))
    };
    let mut count = header.e_shnum(e) as u64;
    if count == 0 {
        count = section0(32).ok_or_else(|| {
            bad(
                name,
                format!(
                    "section header table at offset {shoff:#x} extends past the end of the file ({len} bytes)"
                ),
            )
        })?;
    }
    if count
        .checked_mul(entsize as u64)
        .and_then(|n| n.checked_add(shoff))
        .is_none_or(|end| end > len)
    {
        return Err(bad(
            name,
            format!(
                "section header table ({count} entries at offset {shoff:#x}) extends past the end of the file ({len} bytes)"
            ),
        ));
    }
    if count == 0 {
        return Ok(());
    }
    let mut shstrndx = header.e_shstrndx(e) as u64;
    if shstrndx == elf::SHN_XINDEX as u64 {
        shstrndx = section0(40).unwrap_or(0) & 0xffff_ffff;
    }
    if shstrndx == 0 || shstrndx >= count {
        return Err(bad(
            name,
            format!(
                "section name string table index {shstrndx} is out of range ({count} sections)"
            ),
        ));
    }
    let at = (shoff + shstrndx * entsize as u64) as usize;
    let sh_type = u32::from_le_bytes(data[at + 4..at + 8].try_into().unwrap());
    if sh_type != elf::SHT_STRTAB {
        return Err(bad(
            name,
            format!("section name string table (section {shstrndx}) is not a string table"),
        ));
    }
    Ok(())
}

/// Section types whose contents are not loaded: a symbol cannot be defined
/// in one, nor a relocation refer to one. (Not SHT_GROUP: GCC defines its
/// C5/D5 constructor and destructor group signatures in the group section.)
fn is_unloadable(sh_type: u32) -> bool {
    matches!(
        sh_type,
        elf::SHT_NULL
            | elf::SHT_SYMTAB
            | elf::SHT_STRTAB
            | elf::SHT_RELA
            | elf::SHT_REL
            | elf::SHT_SYMTAB_SHNDX
            | elf::SHT_DYNSYM
            | elf::SHT_DYNAMIC
    )
}

/// `SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`: not a section.
fn is_special_shndx(shndx: u32) -> bool {
    shndx == elf::SHN_UNDEF as u32
        || shndx == elf::SHN_ABS as u32
        || shndx == elf::SHN_COMMON as u32
}

/// What a linker needs of every section header, checked once: a name,
/// contents inside the file that overlap neither each other nor the
/// headers, a sane alignment, flags and entry size that fit in 32 bits,
/// and (without contents) a size that fits the address space.
fn check_sections(
    sections: &object::read::elf::SectionTable<'_, FileHeader64<LE>>,
    header: &FileHeader64<LE>,
    data: &[u8],
    name: &str,
) -> Result<()> {
    let e = LE;
    let len = data.len() as u64;
    let sname = |i: usize, sh: &SectionHeader64<LE>| -> Result<String> {
        sections
            .section_name(e, sh)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .map_err(|_| bad(name, format!("section {i} has a bad name offset")))
    };
    // (start, end, section index or a header: usize::MAX for the ELF
    // header, usize::MAX - 1 for the section header table).
    let mut ranges: Vec<(u64, u64, usize)> = Vec::with_capacity(sections.len() + 2);
    let mut rela_ranges: Vec<(u64, u64, usize)> = Vec::new();
    ranges.push((
        0,
        std::mem::size_of::<FileHeader64<LE>>() as u64,
        usize::MAX,
    ));
    for (i, sh) in sections.iter().enumerate() {
        let sh_type = sh.sh_type(e);
        if i == 0 || sh_type == elf::SHT_NULL {
            continue;
        }
        // "section NAME: what", or the name's own error.
        let fail = |what: String| match sname(i, sh) {
            Ok(n) => bad(name, format!("section {n}: {what}")),
            Err(e) => e,
        };
        let size = sh.sh_size(e);
        let offset = sh.sh_offset(e);
        let align = sh.sh_addralign(e).max(1);
        if !align.is_power_of_two() {
            return Err(fail(format!("alignment {align} is not a power of two")));
        }
        if align > MAX_ALIGN {
            return Err(fail(format!(
                "alignment {align:#x} is too large (at most {MAX_ALIGN:#x})"
            )));
        }
        // Kept in 32 bits (`InputSection`).
        let flags = sh.sh_flags(e);
        if flags > u32::MAX as u64 {
            return Err(fail(format!(
                "flags {flags:#x} have bits above bit 31 set, which no ELF section flag uses"
            )));
        }
        let entsize = sh.sh_entsize(e);
        if entsize > u32::MAX as u64 {
            return Err(fail(format!(
                "entry size {entsize:#x} is too large (at most {:#x})",
                u32::MAX
            )));
        }
        if sh_type == elf::SHT_NOBITS {
            if size > MAX_SIZE {
                return Err(fail(format!(
                    "size {size:#x} is too large (larger than the address space)"
                )));
            }
            continue;
        }
        let end = offset.checked_add(size).filter(|&end| end <= len);
        let Some(end) = end else {
            return Err(bad(
                name,
                format!(
                    "section {} extends past the end of the file (offset {offset:#x}, size {size:#x}, file {len} bytes)",
                    sname(i, sh)?
                ),
            ));
        };
        if size > 0 {
            if sh_type == elf::SHT_RELA {
                rela_ranges.push((offset, end, i));
            } else {
                ranges.push((offset, end, i));
            }
        }
    }
    // (Last: compilers put the table after the contents.)
    let shoff = header.e_shoff(e);
    if !sections.is_empty() {
        ranges.push((shoff, shoff + sections.len() as u64 * 64, usize::MAX - 1));
    }
    // Sorted by start, each range must begin at or after the furthest end
    // so far. Compilers write the contents nearly in the order of the
    // headers, the relocation sections' apart: so the relocation sections
    // come last, and a sort that finds runs already sorted (the stable
    // one) merges a few runs. Sorting the ranges in header order, where
    // each relocation section is next to its section, was a seventh of
    // parsing a Rust object for resolution.
    ranges.extend(rela_ranges);
    ranges.sort();
    let mut furthest: Option<(u64, usize)> = None;
    for &(start, end, i) in &ranges {
        if let Some((fend, fi)) = furthest {
            if start < fend {
                let what = |i: usize| -> Result<String> {
                    Ok(match i {
                        usize::MAX => "the ELF header".to_string(),
                        j if j == usize::MAX - 1 => "the section header table".to_string(),
                        j => format!(
                            "section {}",
                            sname(j, sections.section(object::SectionIndex(j)).unwrap())?
                        ),
                    })
                };
                let msg = match (fi >= usize::MAX - 1, i >= usize::MAX - 1) {
                    (false, false) => format!(
                        "sections {} and {} overlap in the file",
                        sname(fi, sections.section(object::SectionIndex(fi)).unwrap())?,
                        sname(i, sections.section(object::SectionIndex(i)).unwrap())?
                    ),
                    (true, _) => format!("{} overlaps {}", what(i)?, what(fi)?),
                    (false, true) => format!("{} overlaps {}", what(fi)?, what(i)?),
                };
                return Err(bad(name, msg));
            }
        }
        if furthest.is_none_or(|(fend, _)| end > fend) {
            furthest = Some((end, i));
        }
    }
    Ok(())
}

/// The section table of an input whose bytes live for the whole link.
type Sections = object::read::elf::SectionTable<'static, FileHeader64<LE>>;

/// Only `ET_REL` is ingested here (shared libraries go to `shared.rs`).
fn check_relocatable(header: &FileHeader64<LE>, name: &str) -> Result<()> {
    let e_type = header.e_type(LE);
    if e_type != elf::ET_REL {
        let what = match e_type {
            elf::ET_EXEC => "an executable",
            elf::ET_CORE => "a core dump",
            _ => "an unknown ELF file type",
        };
        return Err(bad(
            name,
            format!("not a relocatable object or shared library (e_type {e_type}: {what})"),
        ));
    }
    Ok(())
}

/// Section `i`'s type, for checks on what a symbol or relocation refers to.
fn sec_type(sections: &Sections, i: u32) -> object::read::Result<u32> {
    sections
        .section(object::SectionIndex(i as usize))
        .map(|s| s.sh_type(LE))
}

/// Section `i`'s name for a message ("" if it has none).
fn sec_name(sections: &Sections, i: u32) -> String {
    sections
        .section(object::SectionIndex(i as usize))
        .ok()
        .and_then(|s| sections.section_name(LE, s).ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default()
}

/// The symbol table, decoded and checked, and the index of its first
/// global symbol. GCC LTO objects are refused here: their symbols stand
/// for bytecode, not code.
fn read_symbols(
    sections: &Sections,
    data: &'static [u8],
    name: &str,
) -> Result<(Vec<InputSymbol>, u32)> {
    let e = LE;
    if let Some(sh) = sections.iter().find(|s| s.sh_type(e) == elf::SHT_SYMTAB) {
        if sh.sh_entsize(e) != 24 {
            return Err(bad(
                name,
                format!(
                    "symbol table entry size is {}, expected 24",
                    sh.sh_entsize(e)
                ),
            ));
        }
    }
    let symtab = sections
        .symbols(e, data, elf::SHT_SYMTAB)
        .map_err(|err| bad(name, format!("bad symbol table: {err}")))?;
    let mut symbols = Vec::with_capacity(symtab.len());
    for (i, sym) in symtab.iter().enumerate() {
        let sname = sym
            .name(e, symtab.strings())
            .map_err(|_| bad(name, format!("symbol {i} has a bad name offset")))?;
        let mut shndx = sym.st_shndx(e) as u32;
        if shndx == elf::SHN_XINDEX as u32 {
            shndx = symtab.shndx(e, object::SymbolIndex(i)).ok_or_else(|| {
                bad(
                    name,
                    format!("symbol {i} has SHN_XINDEX but no extended index"),
                )
            })?;
        }
        check_symbol(sections, sym, sname, shndx, name)?;
        symbols.push(InputSymbol {
            name: sname.into(),
            value: sym.st_value(e),
            size: sym.st_size(e),
            shndx,
            bind: sym.st_bind(),
            typ: sym.st_type(),
            visibility: sym.st_visibility(),
        });
    }
    let first_global = symtab_first_global(sections, e);
    if first_global as usize > symbols.len() {
        return Err(bad(
            name,
            format!(
                "symbol table: first global symbol {first_global} is past the {} symbols (sh_info)",
                symbols.len()
            ),
        ));
    }
    if symbols.iter().any(|s| s.name == b"__gnu_lto_slim") {
        return Err(crate::plugin::unclaimed_error(name));
    }
    Ok((symbols, first_global))
}

/// What resolution and layout assume of a symbol: its section exists and
/// is loaded, a definition lies inside it, and a COMMON symbol's
/// alignment and size are usable.
fn check_symbol(
    sections: &Sections,
    sym: &elf::Sym64<LE>,
    sname: &[u8],
    shndx: u32,
    name: &str,
) -> Result<()> {
    let e = LE;
    let nsec = sections.len();
    if !is_special_shndx(shndx) && (shndx as usize) >= nsec {
        return Err(bad(
            name,
            format!(
                "symbol {} refers to section {} out of range",
                String::from_utf8_lossy(sname),
                shndx
            ),
        ));
    }
    let shown = || String::from_utf8_lossy(sname).into_owned();
    if !is_special_shndx(shndx)
        && (shndx as usize) < nsec
        && sym.st_type() != elf::STT_SECTION
        && sec_type(sections, shndx).is_ok_and(is_unloadable)
    {
        return Err(bad(
            name,
            format!(
                "symbol {} is defined in section {}, which is not loaded",
                shown(),
                sec_name(sections, shndx)
            ),
        ));
    }
    // A definition lies in its section (at most at its end: end
    // markers); layout adds the value to the section's address.
    if !is_special_shndx(shndx) && (shndx as usize) < nsec {
        let size = sections
            .section(object::SectionIndex(shndx as usize))
            .map_or(0, |sh| sh.sh_size(e));
        if sym.st_value(e) > size {
            return Err(bad(
                name,
                format!(
                    "symbol {}: value {:#x} is past the end of section {} (size {size:#x})",
                    shown(),
                    sym.st_value(e),
                    sec_name(sections, shndx)
                ),
            ));
        }
    }
    if shndx == elf::SHN_COMMON as u32 {
        // A COMMON symbol's value is its alignment.
        let align = sym.st_value(e).max(1);
        if !align.is_power_of_two() || align > MAX_ALIGN {
            return Err(bad(
                name,
                format!(
                    "common symbol {}: alignment {align} is not a power of two up to {MAX_ALIGN:#x}",
                    shown()
                ),
            ));
        }
        if sym.st_size(e) > MAX_SIZE {
            return Err(bad(
                name,
                format!(
                    "common symbol {}: size {:#x} is too large (larger than the address space)",
                    shown(),
                    sym.st_size(e)
                ),
            ));
        }
    }
    Ok(())
}

/// The COMDAT groups, and for each section the group it belongs to
/// (resolution keeps one group per signature).
fn read_groups(
    sections: &Sections,
    data: &'static [u8],
    symbols: &[InputSymbol],
    name: &str,
) -> Result<(Vec<ComdatGroup>, Vec<Option<u32>>)> {
    let e = LE;
    let nsec = sections.len();
    let mut groups = Vec::new();
    let mut group_of: Vec<Option<u32>> = vec![None; nsec];
    for (i, sh) in sections.iter().enumerate() {
        if sh.sh_type(e) == elf::SHT_GROUP {
            let words: &[object::U32<LE>] = sh
                .data_as_array(e, data)
                .map_err(|_| bad(name, format!("section {i}: bad SHT_GROUP contents")))?;
            let flags = words.first().map(|w| w.get(e)).unwrap_or(0);
            if flags & elf::GRP_COMDAT == 0 {
                continue; // a non-COMDAT group is just a set of sections
            }
            let sig_idx = sh.sh_info(e) as usize;
            let sig = symbols.get(sig_idx).map(|s| s.name.get()).ok_or_else(|| {
                bad(
                    name,
                    format!("section {i}: group signature symbol {sig_idx} out of range"),
                )
            })?;
            let mut members = Vec::new();
            for w in &words[1..] {
                let m = w.get(e);
                if m as usize >= nsec {
                    return Err(bad(
                        name,
                        format!("section {i}: group member {m} out of range"),
                    ));
                }
                group_of[m as usize] = Some(groups.len() as u32);
                members.push(m);
            }
            groups.push(ComdatGroup {
                signature: sig,
                sections: members,
            });
        }
    }
    Ok((groups, group_of))
}

/// What an object's notes say about the whole object.
#[derive(Default)]
struct Notes {
    has_gnu_stack: bool,
    /// A `.note.GNU-stack` with SHF_EXECINSTR.
    wants_execstack: bool,
    gnu_properties: Option<Vec<(u32, u32)>>,
}

/// Every section, classified by what the link does with it (relocations
/// are attached after), and what the notes among them say.
fn classify_sections(
    sections: &Sections,
    data: &'static [u8],
    group_of: &[Option<u32>],
    name: &str,
) -> Result<(Vec<InputSection>, Notes)> {
    let e = LE;
    let mut notes = Notes::default();
    let mut out_sections = Vec::with_capacity(sections.len());
    for (i, sh) in sections.iter().enumerate() {
        let sname = sections
            .section_name(e, sh)
            .map_err(|_| bad(name, format!("section {i} has a bad name offset")))?;
        let kind = section_kind(i, sh, sname, data, name, &mut notes)?;
        let sh_type = sh.sh_type(e);
        let mut s = InputSection::empty(group_of[i]);
        (s.name, s.kind, s.sh_type) = (sname.into(), kind, sh_type);
        (s.size, s.offset) = (sh.sh_size(e), sh.sh_offset(e));
        // An inactive header (always ignored) is not checked, and its
        // other fields mean nothing: they are left empty.
        if i != 0 && sh_type != elf::SHT_NULL {
            // check_sections: the flags and entry size fit in 32 bits, the
            // alignment is a power of two.
            s.flags = sh.sh_flags(e) as u32;
            s.entsize = sh.sh_entsize(e) as u32;
            s.set_align(sh.sh_addralign(e).max(1));
        }
        out_sections.push(s);
    }
    Ok((out_sections, notes))
}

/// What the link does with section `i` (named `sname`). Notes that
/// describe the whole object are recorded in `notes`, not output.
fn section_kind(
    i: usize,
    sh: &SectionHeader64<LE>,
    sname: &[u8],
    data: &[u8],
    name: &str,
    notes: &mut Notes,
) -> Result<SectionKind> {
    let e = LE;
    let sh_type = sh.sh_type(e);
    let flags = sh.sh_flags(e);
    let size = sh.sh_size(e);
    let offset = sh.sh_offset(e);
    let alloc = flags & elf::SHF_ALLOC as u64 != 0;
    Ok(if i == 0 {
        SectionKind::Ignore
    } else if sname == b".note.GNU-stack" {
        notes.has_gnu_stack = true;
        if flags & elf::SHF_EXECINSTR as u64 != 0 {
            notes.wants_execstack = true;
        }
        SectionKind::Ignore
    } else if flags & elf::SHF_EXCLUDE as u64 != 0 {
        SectionKind::Ignore
    } else {
        match sh_type {
            elf::SHT_NULL | elf::SHT_SYMTAB | elf::SHT_STRTAB | elf::SHT_RELA | elf::SHT_GROUP
            | elf::SHT_SYMTAB_SHNDX => SectionKind::Ignore,
            elf::SHT_REL => {
                return Err(bad(
                    name,
                    format!("section {}: SHT_REL relocations are not supported on x86-64", String::from_utf8_lossy(sname)),
                ))
            }
            0x6fff4c03 /* SHT_LLVM_ADDRSIG */ => SectionKind::Ignore,
            // Combined across objects into the output's own note.
            _ if sname == b".note.gnu.property" => {
                let bytes = usize::try_from(offset)
                    .ok()
                    .zip(usize::try_from(size).ok())
                    .and_then(|(o, n)| data.get(o..o.checked_add(n)?))
                    .ok_or_else(|| bad(name, ".note.gnu.property: contents outside the file"))?;
                let props = parse_gnu_properties(bytes)
                    .map_err(|m| bad(name, format!(".note.gnu.property: {m}")))?;
                notes.gnu_properties.get_or_insert_with(Vec::new).extend(props);
                SectionKind::Ignore
            }
            // Link-time warnings (`.gnu.warning.SYM`) are not output contents.
            _ if sname.starts_with(b".gnu.warning") => SectionKind::Ignore,
            _ if sname == b".comment" && !alloc => SectionKind::Comment,
            _ if sname == b".eh_frame" && alloc => SectionKind::EhFrame,
            // Strings merge in allocated sections and in debug
            // string tables (.debug_str, .debug_line_str) alike.
            _ if flags & (elf::SHF_MERGE | elf::SHF_STRINGS) as u64 == (elf::SHF_MERGE | elf::SHF_STRINGS) as u64
                && sh.sh_entsize(e) == 1 =>
            {
                SectionKind::MergeStrings
            }
            _ if !alloc => SectionKind::NonAlloc,
            _ => SectionKind::Alloc,
        }
    })
}

/// What `read_relocs` found: `ObjectFile::reloc_tables`, `sorted_relocs`
/// and `raw_relocs`.
struct ReadRelocs {
    tables: Vec<RelocTable>,
    copies: Vec<Box<[Reloc]>>,
    raw: RawRelocs,
}

/// Attaches each SHT_RELA to its target section: allocated targets get
/// their relocations checked and a table (`tables`;
/// `InputSection::relocs` indexes it), read in place unless out of order
/// (then sorted into `copies`); non-allocated ones (debug info) keep the
/// raw records (`raw`).
fn read_relocs(
    sections: &Sections,
    data: &'static [u8],
    symbols: &[InputSymbol],
    out_sections: &mut [InputSection],
    name: &str,
) -> Result<ReadRelocs> {
    let e = LE;
    let nsec = sections.len();
    let mut tables = vec![RelocTable::default()];
    let mut copies: Vec<Box<[Reloc]>> = Vec::new();
    let mut raw: RawRelocs = Vec::new();
    for (i, sh) in sections.iter().enumerate() {
        if sh.sh_type(e) != elf::SHT_RELA {
            continue;
        }
        if sh.sh_entsize(e) != 24 {
            return Err(bad(
                name,
                format!(
                    "relocation section {}: entry size is {}, expected 24",
                    sec_name(sections, i as u32),
                    sh.sh_entsize(e)
                ),
            ));
        }
        let target = sh.sh_info(e) as usize;
        if target == 0 || target >= nsec {
            return Err(bad(
                name,
                format!("relocation section {i} applies to section {target} out of range"),
            ));
        }
        if matches!(out_sections[target].kind, SectionKind::Ignore) {
            continue;
        }
        let relas: &'static [Reloc] = sh
            .data_as_array(e, data)
            .map_err(|_| bad(name, format!("relocation section {i}: bad contents")))?;
        if out_sections[target].kind == SectionKind::NonAlloc {
            raw.push((target as u32, relas));
            continue;
        }
        let tsize = out_sections[target].size;
        let tname = out_sections[target].name.get();
        let mut sorted = true;
        let mut last = 0;
        for rel in relas {
            check_reloc(sections, symbols, rel, tname, tsize, name)?;
            sorted &= rel.offset() >= last;
            last = rel.offset();
        }
        // Sorted by offset: split_eh_frames hands them to records in
        // order, and a TLS sequence's second relocation (skip_next)
        // must follow its first. The sort is stable. (Records past 2 GiB
        // into the object, where `RelocTable` cannot point, are copied.)
        let start = sh.sh_offset(e);
        tables.push(if sorted && start < SORTED as u64 {
            RelocTable {
                start: start as u32,
                len: relas.len() as u32,
            }
        } else {
            let mut copy = relas.to_vec();
            copy.sort_by_key(|r| r.offset());
            copies.push(copy.into_boxed_slice());
            RelocTable {
                start: SORTED | (copies.len() - 1) as u32,
                len: relas.len() as u32,
            }
        });
        // Of two tables for one section the later counts.
        out_sections[target].relocs = (tables.len() - 1) as u32;
    }
    // By section; of two tables for one section the later counts (as for
    // the allocated ones). The sort is stable.
    raw.sort_by_key(|r| r.0);
    raw.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            *earlier = *later;
        }
        same
    });
    Ok(ReadRelocs {
        tables,
        copies,
        raw,
    })
}

/// A relocation's symbol exists and is not in an unloaded section, and
/// it applies inside its target section (`tname`, `tsize` bytes).
fn check_reloc(
    sections: &Sections,
    symbols: &[InputSymbol],
    rel: &Reloc,
    tname: &[u8],
    tsize: u64,
    name: &str,
) -> Result<()> {
    let nsec = sections.len();
    if rel.sym() as usize >= symbols.len() {
        return Err(bad(
            name,
            format!(
                "({}+{:#x}): relocation refers to symbol {} out of range",
                String::from_utf8_lossy(tname),
                rel.offset(),
                rel.sym()
            ),
        ));
    }
    let rsym = &symbols[rel.sym() as usize];
    if !is_special_shndx(rsym.shndx)
        && (rsym.shndx as usize) < nsec
        && sec_type(sections, rsym.shndx).is_ok_and(is_unloadable)
    {
        return Err(bad(
            name,
            format!(
                "({}+{:#x}): relocation refers to symbol {} in section {}, which is not loaded",
                String::from_utf8_lossy(tname),
                rel.offset(),
                rel.sym(),
                sec_name(sections, rsym.shndx)
            ),
        ));
    }
    if rel.offset() >= tsize {
        return Err(bad(
            name,
            format!(
                "({}+{:#x}): relocation offset is past the end of the section",
                String::from_utf8_lossy(tname),
                rel.offset()
            ),
        ));
    }
    Ok(())
}

/// Decompresses every `SHF_COMPRESSED` section (zlib or zstd behind an
/// `Elf64_Chdr`), so that later passes see plain contents: the section's
/// size and alignment become the uncompressed ones and the flag is cleared.
/// The buffers live as long as the inputs (leaked, like the mappings).
fn decompress_sections(
    data: &'static [u8],
    sections: &mut [InputSection],
    name: &str,
) -> Result<Vec<(u32, &'static [u8])>> {
    use std::io::Read;
    let mut out = Vec::new();
    for (i, s) in sections.iter_mut().enumerate() {
        if s.flags & elf::SHF_COMPRESSED == 0 || s.kind == SectionKind::Ignore {
            continue;
        }
        let what = |m: String| {
            bad(
                name,
                format!("section {}: {m}", String::from_utf8_lossy(s.name.get())),
            )
        };
        if s.is_alloc() || s.is_nobits() {
            return Err(what("SHF_COMPRESSED on an allocated section".into()));
        }
        // check_sections: the contents are inside the file.
        let raw = &data[s.offset as usize..(s.offset + s.size) as usize];
        let u32_at = |o: usize| u32::from_le_bytes(raw[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(raw[o..o + 8].try_into().unwrap());
        if raw.len() < 24 {
            return Err(what("compressed section shorter than its header".into()));
        }
        let (ch_type, ch_size, ch_align) = (u32_at(0), u64_at(8), u64_at(16).max(1));
        if ch_type != elf::ELFCOMPRESS_ZLIB && ch_type != elf::ELFCOMPRESS_ZSTD {
            return Err(what(format!("unknown compression type {ch_type}")));
        }
        if !ch_align.is_power_of_two() {
            return Err(what(format!(
                "compressed section alignment {ch_align} is not a power of two"
            )));
        }
        let body = &raw[24..];
        // Read at most one byte more than promised, so a lying header is
        // caught without decompressing a bomb.
        let limit = ch_size.saturating_add(1);
        let mut buf = Vec::new();
        let res = match ch_type {
            elf::ELFCOMPRESS_ZLIB => flate2::read::ZlibDecoder::new(body)
                .take(limit)
                .read_to_end(&mut buf),
            elf::ELFCOMPRESS_ZSTD => zstd::stream::read::Decoder::new(body)
                .and_then(|d| d.take(limit).read_to_end(&mut buf)),
            _ => unreachable!("checked above"),
        };
        res.map_err(|e| what(format!("cannot decompress: {e}")))?;
        if buf.len() as u64 != ch_size {
            return Err(what(format!(
                "decompressed to {} bytes, its header says {ch_size}",
                buf.len()
            )));
        }
        s.size = ch_size;
        s.set_align(ch_align);
        s.flags &= !elf::SHF_COMPRESSED;
        out.push((i as u32, &*Box::leak(buf.into_boxed_slice())));
    }
    Ok(out)
}

impl ObjectFile {
    /// Ingests one relocatable object (`name` for diagnostics), validating
    /// everything later passes rely on. The steps run in this order so that
    /// a file with several faults is reported by the same first one.
    pub fn parse(name: String, data: &'static [u8]) -> Result<ObjectFile> {
        let mut file = Self::parse_for_resolution(name, data)?;
        file.finish_parse()?;
        Ok(file)
    }

    /// The rest of `parse` after `parse_for_resolution`, if not done yet:
    /// the relocations, the merged strings split into pieces, the
    /// `.eh_frame` records.
    pub fn finish_parse(&mut self) -> Result<()> {
        if !self.unfinished {
            return Ok(());
        }
        self.unfinished = false;
        let header = check_header(self.data, &self.name)?;
        let sections = header
            .sections(LE, self.data)
            .map_err(|err| bad(&self.name, format!("bad section table: {err}")))?;
        let ReadRelocs {
            tables,
            copies,
            raw,
        } = read_relocs(
            &sections,
            self.data,
            &self.symbols,
            &mut self.sections,
            &self.name,
        )?;
        self.reloc_tables = tables;
        self.sorted_relocs = copies;
        self.raw_relocs = raw;
        self.split_merge_sections()?;
        self.split_eh_frames()
    }

    /// An object with nothing in it: it holds the place (file id) of an
    /// input not ingested yet in a resolution that went past it
    /// (`resolve::Incremental::open_gap`), and what a made-up object
    /// (the plugin's IR symbols) does not fill in.
    pub fn placeholder() -> ObjectFile {
        ObjectFile {
            name: String::new(),
            data: &[],
            backing: Default::default(),
            sections: Vec::new(),
            symbols: Vec::new(),
            first_global: 0,
            reloc_tables: Vec::new(),
            sorted_relocs: Vec::new(),
            pieces: Vec::new(),
            piece_blocks: Vec::new(),
            merge_ranges: Vec::new(),
            groups: Vec::new(),
            eh_frames: Vec::new(),
            decompressed: Vec::new(),
            raw_relocs: Vec::new(),
            wants_execstack: false,
            missing_gnu_stack: false,
            gnu_properties: None,
            global_hashes: Vec::new(),
            gnu_abi: false,
            at_names: false,
            unfinished: false,
        }
    }

    /// What resolution needs of `parse`: the sections, symbols and COMDAT
    /// groups, not the relocations, merged-string pieces and `.eh_frame`
    /// records, which only layout needs (`finish_parse`). An archive
    /// member the resolution waits for is parsed so (for a Rust crate's
    /// objects that is under half the parse), and finished later, with the
    /// other objects the resolution took, in parallel.
    pub fn parse_for_resolution(name: String, data: &'static [u8]) -> Result<ObjectFile> {
        // `object` is built with its `unaligned` feature: `ar` members are
        // only 2-aligned, and are parsed in place rather than copied.
        let header = check_header(data, &name)?;
        check_relocatable(header, &name)?;
        let sections = header
            .sections(LE, data)
            .map_err(|err| bad(&name, format!("bad section table: {err}")))?;
        check_sections(&sections, header, data, &name)?;
        let (symbols, first_global) = read_symbols(&sections, data, &name)?;
        let (groups, group_of) = read_groups(&sections, data, &symbols, &name)?;
        let (mut out_sections, notes) = classify_sections(&sections, data, &group_of, &name)?;
        let decompressed = decompress_sections(data, &mut out_sections, &name)?;
        let mut file = ObjectFile {
            name,
            data,
            backing: Default::default(),
            sections: out_sections,
            symbols,
            first_global,
            reloc_tables: Vec::new(),
            sorted_relocs: Vec::new(),
            pieces: Vec::new(),
            piece_blocks: Vec::new(),
            merge_ranges: Vec::new(),
            groups,
            eh_frames: Vec::new(),
            decompressed,
            raw_relocs: Vec::new(),
            // No `.note.GNU-stack` at all asks for one too.
            wants_execstack: notes.wants_execstack || !notes.has_gnu_stack,
            missing_gnu_stack: !notes.has_gnu_stack,
            gnu_properties: notes.gnu_properties.map(|mut p| {
                p.sort_unstable();
                p.dedup_by_key(|p| p.0);
                p
            }),
            global_hashes: Vec::new(),
            gnu_abi: false,
            at_names: false,
            unfinished: true,
        };
        file.summarize_symbols();
        Ok(file)
    }

    /// Fills `global_hashes` and `gnu_abi` from the symbols.
    pub fn summarize_symbols(&mut self) {
        let globals = self
            .symbols
            .get(self.first_global as usize..)
            .unwrap_or(&[]);
        self.global_hashes = globals
            .iter()
            .map(|s| crate::resolve::name_hash(&s.name))
            .collect();
        self.at_names = globals
            .iter()
            .any(|s| memchr::memchr(b'@', &s.name).is_some());
        self.gnu_abi = self.symbols.iter().any(|s| {
            (s.typ == elf::STT_GNU_IFUNC || s.bind == elf::STB_GNU_UNIQUE) && !s.is_undefined()
        });
    }

    /// The relocations of allocated section `s` (one of `sections`),
    /// sorted by offset; none before `finish_parse`.
    pub fn relocs_of(&self, s: &InputSection) -> &[Reloc] {
        self.reloc_table(s.relocs)
    }

    /// Table `t` of `reloc_tables` (an `InputSection::relocs`).
    pub fn reloc_table(&self, t: u32) -> &[Reloc] {
        let Some(&RelocTable { start, len }) = self.reloc_tables.get(t as usize) else {
            return &[];
        };
        if start & SORTED != 0 {
            return &self.sorted_relocs[(start & !SORTED) as usize];
        }
        // Checked by `read_relocs`: in the object, 24-byte records.
        let bytes = &self.data[start as usize..start as usize + len as usize * 24];
        object::pod::slice_from_all_bytes(bytes).unwrap_or(&[])
    }

    /// Every `.eh_frame` record, with its section.
    pub fn eh_records(&self) -> impl Iterator<Item = (u32, &EhRecord)> {
        (self.eh_frames.iter()).flat_map(|(sec, recs)| recs.iter().map(move |r| (*sec, r)))
    }

    /// The relocations of record `r` of `.eh_frame` section `sec`.
    pub fn record_relocs(&self, sec: u32, r: &EhRecord) -> &[Reloc] {
        let all = self.relocs_of(&self.sections[sec as usize]);
        &all[r.relocs.start as usize..r.relocs.end as usize]
    }

    /// The names of its global symbols that are undefined (what archive
    /// members it may pull in).
    pub fn undefined_globals(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        let first = (self.first_global as usize).min(self.symbols.len());
        self.symbols[first..]
            .iter()
            .filter(|s| s.is_undefined())
            .map(|s| s.name.get())
    }

    pub fn section_data(&self, idx: usize) -> &'static [u8] {
        let s = &self.sections[idx];
        if s.is_nobits() {
            return &[];
        }
        if !self.decompressed.is_empty() {
            if let Ok(i) = self
                .decompressed
                .binary_search_by_key(&(idx as u32), |d| d.0)
            {
                return self.decompressed[i].1;
            }
        }
        &self.data[s.offset as usize..(s.offset + s.size) as usize]
    }

    /// The raw relocation records of non-allocated section `idx` (empty
    /// for others).
    pub fn raw_relocs(&self, idx: usize) -> &'static [Reloc] {
        match self.raw_relocs.binary_search_by_key(&(idx as u32), |r| r.0) {
            Ok(i) => self.raw_relocs[i].1,
            Err(_) => &[],
        }
    }

    /// Whether raw relocation `r` of section `sec` (a non-allocated one,
    /// `raw_relocs`: not checked at ingestion) names a symbol of this file
    /// and a place inside the section.
    #[inline(always)]
    pub fn raw_reloc_in_range(&self, sec: &InputSection, r: &Reloc) -> bool {
        (r.sym() as usize) < self.symbols.len() && r.offset() < sec.size
    }

    pub fn section_name(&self, idx: usize) -> String {
        String::from_utf8_lossy(self.sections[idx].name.get()).into_owned()
    }

    fn split_merge_sections(&mut self) -> Result<()> {
        // `pieces` is sized once, exactly: a grown vector would keep up to
        // half again of what it holds for the rest of the link
        // (`.debug_str` makes most of the pieces). The pieces are made in
        // this thread's scratch vector and copied: counting them first
        // read the strings twice (a quarter of finishing the parse of a
        // Rust debug link's objects).
        let blocks: usize = (0..self.sections.len())
            .filter(|&i| self.sections[i].kind == SectionKind::MergeStrings)
            .map(|i| self.section_data(i).len().div_ceil(PIECE_BLOCK))
            .sum();
        self.piece_blocks.reserve_exact(blocks);
        debug_assert!(self.pieces.is_empty(), "an object is split once");
        PIECE_SCRATCH.with_borrow_mut(|scratch| {
            scratch.clear();
            let r = self.split_merge_sections_into(scratch);
            self.pieces = scratch.to_vec();
            r
        })
    }

    /// `split_merge_sections`' pieces, pushed onto `pieces` (the scratch
    /// vector, empty), their blocks onto `piece_blocks`.
    fn split_merge_sections_into(&mut self, pieces: &mut Vec<Piece>) -> Result<()> {
        for i in 0..self.sections.len() {
            if self.sections[i].kind != SectionKind::MergeStrings {
                continue;
            }
            let data = self.section_data(i);
            let start = pieces.len() as u32;
            let bstart = self.piece_blocks.len() as u32;
            let mut pos = 0usize;
            while pos < data.len() {
                let end = match memchr::memchr(0, &data[pos..]) {
                    Some(n) => pos + n + 1,
                    None => {
                        return Err(bad(
                            &self.name,
                            format!(
                                "{}: string at offset {pos:#x} is not NUL-terminated",
                                self.section_name(i)
                            ),
                        ))
                    }
                };
                let local = pieces.len() as u32 - start;
                // Blocks whose first byte lies in this piece.
                while (self.piece_blocks.len() - bstart as usize) * PIECE_BLOCK < end {
                    self.piece_blocks.push(local);
                }
                pieces.push(Piece::new(pos as u32, hash_bytes(&data[pos..end])));
                pos = end;
            }
            self.sections[i].merge = self.merge_ranges.len() as u32;
            self.merge_ranges.push((
                start..pieces.len() as u32,
                bstart..self.piece_blocks.len() as u32,
            ));
        }
        Ok(())
    }

    /// Index (into `pieces`) of the piece of merge section `sec` that holds
    /// offset `t`: the last piece starting at or before it.
    pub fn piece_at(&self, sec: usize, t: u32) -> Option<usize> {
        self.piece_index(sec)
            .at(t)
            .map(|i| self.piece_range(sec).start + i)
    }

    /// The bytes of piece `i` (of `pieces`), which is merge section
    /// `sec`'s.
    pub fn piece_bytes(&self, sec: usize, i: usize) -> &'static [u8] {
        let r = self.piece_range(sec);
        piece_in(self.section_data(sec), &self.pieces[r.clone()], i - r.start)
    }

    /// The ranges of `pieces` and `piece_blocks` that hold merge section
    /// `sec`'s (empty for another section).
    fn merge_range(&self, sec: usize) -> (Range<usize>, Range<usize>) {
        let (p, b) = self
            .merge_ranges
            .get(self.sections[sec].merge as usize)
            .cloned()
            .unwrap_or_default();
        (
            p.start as usize..p.end as usize,
            b.start as usize..b.end as usize,
        )
    }

    /// The range of `pieces` that holds merge section `sec`'s (empty for
    /// another section).
    pub fn piece_range(&self, sec: usize) -> Range<usize> {
        self.merge_range(sec).0
    }

    /// The pieces of merge section `sec` and their lookup blocks.
    pub fn piece_index(&self, sec: usize) -> PieceIndex<'_> {
        let (p, b) = self.merge_range(sec);
        PieceIndex {
            pieces: &self.pieces[p],
            blocks: &self.piece_blocks[b],
        }
    }

    fn split_eh_frames(&mut self) -> Result<()> {
        for i in 0..self.sections.len() {
            if self.sections[i].kind != SectionKind::EhFrame {
                continue;
            }
            let data = self.section_data(i);
            let relocs = self.relocs_of(&self.sections[i]);
            let nrel = relocs.len() as u32;
            // An FDE has one relocation (two with an LSDA), a CIE mostly none.
            let mut records = Vec::with_capacity(relocs.len() + 1);
            let mut pos = 0usize;
            let mut ri = 0;
            while pos + 4 <= data.len() {
                let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap());
                if len == 0 {
                    // Terminator: the output gets its own.
                    pos += 4;
                    continue;
                }
                if len == 0xffff_ffff {
                    return Err(bad(
                        &self.name,
                        format!(".eh_frame+{pos:#x}: 64-bit DWARF CFI records are not supported"),
                    ));
                }
                let size = len as usize + 4;
                if pos + size > data.len() || len < 4 {
                    return Err(bad(
                        &self.name,
                        format!(".eh_frame+{pos:#x}: record extends past the end of the section"),
                    ));
                }
                let id = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap());
                let kind = if id == 0 {
                    EhRecordKind::Cie
                } else {
                    let cie = (pos + 4).checked_sub(id as usize).ok_or_else(|| {
                        bad(
                            &self.name,
                            format!(".eh_frame+{pos:#x}: FDE points to a CIE before the section"),
                        )
                    })?;
                    EhRecordKind::Fde { cie: cie as u32 }
                };
                // A relocation before this record lies in no record (in a
                // terminator): it would be applied at a negative offset.
                if ri < nrel && (relocs[ri as usize].offset() as usize) < pos {
                    return Err(bad(
                        &self.name,
                        format!(
                            ".eh_frame+{:#x}: relocation is not inside any CIE or FDE",
                            relocs[ri as usize].offset()
                        ),
                    ));
                }
                let rstart = ri;
                while ri < nrel && (relocs[ri as usize].offset() as usize) < pos + size {
                    ri += 1;
                }
                records.push(EhRecord {
                    offset: pos as u32,
                    size: size as u32,
                    kind,
                    relocs: rstart..ri,
                });
                pos += size;
            }
            self.eh_frames.push((i as u32, records));
        }
        Ok(())
    }
}

fn symtab_first_global(
    sections: &object::read::elf::SectionTable<'_, FileHeader64<LE>>,
    e: LE,
) -> u32 {
    for sh in sections.iter() {
        let sh: &SectionHeader64<LE> = sh;
        if sh.sh_type(e) == elf::SHT_SYMTAB {
            return sh.sh_info(e);
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::parse_gnu_properties;

    fn note(props: &[(u32, &[u8])]) -> Vec<u8> {
        let mut desc = Vec::new();
        for (t, d) in props {
            desc.extend(t.to_le_bytes());
            desc.extend((d.len() as u32).to_le_bytes());
            desc.extend(*d);
            desc.resize(desc.len().next_multiple_of(8), 0);
        }
        let mut n = Vec::new();
        n.extend(4u32.to_le_bytes());
        n.extend((desc.len() as u32).to_le_bytes());
        n.extend(object::elf::NT_GNU_PROPERTY_TYPE_0.to_le_bytes());
        n.extend(b"GNU\0");
        n.extend(desc);
        n
    }

    #[test]
    fn gnu_properties() {
        let n = note(&[(0xc000_0002, &3u32.to_le_bytes()), (1, &8u64.to_le_bytes())]);
        // The 8-byte property (stack size) is skipped.
        assert_eq!(parse_gnu_properties(&n).unwrap(), [(0xc000_0002, 3)]);
        let two = [n.clone(), note(&[(0xc000_8002, &1u32.to_le_bytes())])].concat();
        assert_eq!(
            parse_gnu_properties(&two).unwrap(),
            [(0xc000_0002, 3), (0xc000_8002, 1)]
        );
        assert!(parse_gnu_properties(&n[..10])
            .unwrap_err()
            .contains("truncated"));
        assert!(parse_gnu_properties(&n[..n.len() - 4]).is_err());
        let mut big = n.clone();
        big[20..24].copy_from_slice(&1000u32.to_le_bytes()); // pr_datasz
        assert!(parse_gnu_properties(&big)
            .unwrap_err()
            .contains("runs past"));
    }
}
