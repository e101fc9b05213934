//! Ingestion of one relocatable object: everything that depends on the file
//! alone. Sections are classified, symbols and relocations decoded into
//! compact arrays, mergeable strings split into hashed pieces, and `.eh_frame`
//! split into CIE/FDE records. Nothing here looks at any other input, so an
//! object can be ingested the moment it exists, on any thread, and the result
//! reused while the file's identity is unchanged.

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

#[derive(Clone, Debug)]
pub struct InputSection {
    pub name: &'static [u8],
    pub kind: SectionKind,
    pub sh_type: u32,
    pub flags: u64,
    pub align: u64,
    pub size: u64,
    /// File offset of the contents (meaningless for NOBITS).
    pub offset: u64,
    pub entsize: u64,
    /// Range into `ObjectFile::relocs`.
    pub relocs: Range<u32>,
    /// Non-allocated sections (debug info): the input's own relocation
    /// records, decoded only by the writer. They decide nothing about the
    /// layout, and copying them would double the memory they take.
    pub raw_relocs: &'static [elf::Rela64<LE>],
    /// Range into `ObjectFile::pieces` (merge sections).
    pub pieces: Range<u32>,
    /// Range into `ObjectFile::piece_blocks` (merge sections).
    pub piece_blocks: Range<u32>,
    /// COMDAT group this section belongs to (index into `ObjectFile::groups`).
    pub group: Option<u32>,
}

impl InputSection {
    pub fn is_nobits(&self) -> bool {
        self.sh_type == elf::SHT_NOBITS
    }
    pub fn is_alloc(&self) -> bool {
        self.flags & elf::SHF_ALLOC as u64 != 0
    }
}

/// A relocation, decoded once. `sym` is the ELF symbol index in this file.
#[derive(Clone, Copy, Debug)]
pub struct Reloc {
    pub offset: u64,
    pub addend: i64,
    pub sym: u32,
    pub rtype: u32,
}

#[derive(Clone, Copy, Debug)]
pub struct InputSymbol {
    pub name: &'static [u8],
    pub value: u64,
    pub size: u64,
    /// Section index, or `SHN_UNDEF`/`SHN_ABS`/`SHN_COMMON`.
    pub shndx: u32,
    pub bind: u8,
    pub typ: u8,
    pub visibility: u8,
}

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

/// One string (or fixed-size entry) of a mergeable section.
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    pub offset: u32,
    pub len: u32,
    pub hash: u64,
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
    /// Range into `ObjectFile::relocs`.
    pub relocs: Range<u32>,
}

#[derive(Debug)]
pub struct ObjectFile {
    /// Display name for diagnostics: `dir/foo.o` or `libc.a(printf.o)`.
    pub name: String,
    pub data: &'static [u8],
    pub sections: Vec<InputSection>,
    pub symbols: Vec<InputSymbol>,
    /// Index of the first non-local symbol (`sh_info` of `.symtab`).
    pub first_global: u32,
    pub relocs: Vec<Reloc>,
    pub pieces: Vec<Piece>,
    /// For each merge section, per PIECE_BLOCK bytes: the (section-relative)
    /// index of the piece holding that offset, so an offset's piece is found
    /// in a step or two instead of a binary search (debug info has millions
    /// of references into .debug_str).
    pub piece_blocks: Vec<u32>,
    pub groups: Vec<ComdatGroup>,
    /// (section index, records) for each `.eh_frame`.
    pub eh_frames: Vec<(u32, Vec<EhRecord>)>,
    /// The object asks for an executable stack (no `.note.GNU-stack`, or one with SHF_EXECINSTR).
    pub wants_execstack: bool,
}

fn bad(name: &str, what: impl std::fmt::Display) -> Error {
    Error::new(format!("{name}: {what}"))
}

pub fn hash_bytes(b: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(b)
}

/// Check the ELF header of an x86-64 ELF64 little-endian file and return it.
pub fn check_header<'d>(data: &'d [u8], name: &str) -> Result<&'d FileHeader64<LE>> {
    let header = FileHeader64::<LE>::parse(data)
        .map_err(|e| bad(name, format!("not a valid ELF64 file ({e})")))?;
    if header.e_ident.class != elf::ELFCLASS64 {
        return Err(bad(
            name,
            "ELF class is not ELF64 (only x86-64 ELF64 is supported)",
        ));
    }
    if header.e_ident.data != elf::ELFDATA2LSB {
        return Err(bad(name, "not little-endian (only x86-64 is supported)"));
    }
    let machine = header.e_machine(LE);
    if machine != elf::EM_X86_64 {
        return Err(bad(
            name,
            format!("incompatible machine type {machine} (only x86-64 is supported)"),
        ));
    }
    Ok(header)
}

impl ObjectFile {
    pub fn parse(name: String, data: &'static [u8]) -> Result<ObjectFile> {
        // `object` is built with its `unaligned` feature: `ar` members are
        // only 2-aligned, and are parsed in place rather than copied.
        let header = check_header(data, &name)?;
        let e = LE;
        let sections = header
            .sections(e, data)
            .map_err(|err| bad(&name, format!("bad section table: {err}")))?;

        let nsec = sections.len();
        let symtab = sections
            .symbols(e, data, elf::SHT_SYMTAB)
            .map_err(|err| bad(&name, format!("bad symbol table: {err}")))?;

        // Symbols.
        let mut symbols = Vec::with_capacity(symtab.len());
        for (i, sym) in symtab.iter().enumerate() {
            let sname = sym
                .name(e, symtab.strings())
                .map_err(|_| bad(&name, format!("symbol {i} has a bad name offset")))?;
            let mut shndx = sym.st_shndx(e) as u32;
            if shndx == elf::SHN_XINDEX as u32 {
                shndx = symtab.shndx(e, object::SymbolIndex(i)).ok_or_else(|| {
                    bad(
                        &name,
                        format!("symbol {i} has SHN_XINDEX but no extended index"),
                    )
                })?;
            }
            if shndx != elf::SHN_UNDEF as u32
                && shndx != elf::SHN_ABS as u32
                && shndx != elf::SHN_COMMON as u32
                && (shndx as usize) >= nsec
            {
                return Err(bad(
                    &name,
                    format!(
                        "symbol {} refers to section {} out of range",
                        String::from_utf8_lossy(sname),
                        shndx
                    ),
                ));
            }
            symbols.push(InputSymbol {
                name: sname,
                value: sym.st_value(e),
                size: sym.st_size(e),
                shndx,
                bind: sym.st_bind(),
                typ: sym.st_type(),
                visibility: sym.st_visibility(),
            });
        }
        let first_global = symtab_first_global(&sections, e).min(symbols.len() as u32);

        if symbols
            .iter()
            .any(|s| s.name == b"__gnu_lto_slim" || s.name == b"__gnu_lto_v1")
        {
            return Err(bad(
                &name,
                "LTO objects are not supported, build without -flto (this object holds GCC LTO bytecode)",
            ));
        }

        let mut out_sections = Vec::with_capacity(nsec);
        let mut relocs: Vec<Reloc> = Vec::new();
        let mut groups = Vec::new();
        let mut has_gnu_stack = false;
        let mut wants_execstack = false;
        let mut group_of: Vec<Option<u32>> = vec![None; nsec];

        for (i, sh) in sections.iter().enumerate() {
            if sh.sh_type(e) == elf::SHT_GROUP {
                let words: &[object::U32<LE>] = sh
                    .data_as_array(e, data)
                    .map_err(|_| bad(&name, format!("section {i}: bad SHT_GROUP contents")))?;
                let flags = words.first().map(|w| w.get(e)).unwrap_or(0);
                if flags & elf::GRP_COMDAT == 0 {
                    continue; // a non-COMDAT group is just a set of sections
                }
                let sig_idx = sh.sh_info(e) as usize;
                let sig = symbols.get(sig_idx).map(|s| s.name).ok_or_else(|| {
                    bad(
                        &name,
                        format!("section {i}: group signature symbol {sig_idx} out of range"),
                    )
                })?;
                let mut members = Vec::new();
                for w in &words[1..] {
                    let m = w.get(e);
                    if m as usize >= nsec {
                        return Err(bad(
                            &name,
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

        for (i, sh) in sections.iter().enumerate() {
            let sname = sections
                .section_name(e, sh)
                .map_err(|_| bad(&name, format!("section {i} has a bad name offset")))?;
            let sh_type = sh.sh_type(e);
            let flags = sh.sh_flags(e);
            let size = sh.sh_size(e);
            let offset = sh.sh_offset(e);
            if sh_type != elf::SHT_NOBITS
                && sh_type != elf::SHT_NULL
                && offset
                    .checked_add(size)
                    .is_none_or(|end| end > data.len() as u64)
            {
                return Err(bad(
                    &name,
                    format!(
                        "section {} extends past the end of the file",
                        String::from_utf8_lossy(sname)
                    ),
                ));
            }
            if sname.starts_with(b".gnu.lto_") {
                return Err(bad(
                    &name,
                    "LTO objects are not supported, build without -flto",
                ));
            }
            let alloc = flags & elf::SHF_ALLOC as u64 != 0;
            let kind = if i == 0 {
                SectionKind::Ignore
            } else if sname == b".note.GNU-stack" {
                has_gnu_stack = true;
                if flags & elf::SHF_EXECINSTR as u64 != 0 {
                    wants_execstack = true;
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
                            &name,
                            format!("section {}: SHT_REL relocations are not supported on x86-64", String::from_utf8_lossy(sname)),
                        ))
                    }
                    0x6fff4c03 /* SHT_LLVM_ADDRSIG */ => SectionKind::Ignore,
                    _ if sname == b".note.gnu.property" => SectionKind::Ignore,
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
            };
            let align = sh.sh_addralign(e).max(1);
            if !align.is_power_of_two() {
                return Err(bad(
                    &name,
                    format!(
                        "section {}: alignment {} is not a power of two",
                        String::from_utf8_lossy(sname),
                        align
                    ),
                ));
            }
            out_sections.push(InputSection {
                name: sname,
                kind,
                sh_type,
                flags,
                align,
                size,
                offset,
                entsize: sh.sh_entsize(e),
                relocs: 0..0,
                raw_relocs: &[],
                pieces: 0..0,
                piece_blocks: 0..0,
                group: group_of[i],
            });
        }
        if !has_gnu_stack {
            wants_execstack = true;
        }

        // Relocations: attach each SHT_RELA to its target section.
        for (i, sh) in sections.iter().enumerate() {
            if sh.sh_type(e) != elf::SHT_RELA {
                continue;
            }
            let target = sh.sh_info(e) as usize;
            if target == 0 || target >= nsec {
                return Err(bad(
                    &name,
                    format!("relocation section {i} applies to section {target} out of range"),
                ));
            }
            if matches!(out_sections[target].kind, SectionKind::Ignore) {
                continue;
            }
            let relas: &[elf::Rela64<LE>] = sh
                .data_as_array(e, data)
                .map_err(|_| bad(&name, format!("relocation section {i}: bad contents")))?;
            if !out_sections[target].is_alloc()
                && out_sections[target].kind == SectionKind::NonAlloc
            {
                out_sections[target].raw_relocs = relas;
                continue;
            }
            let start = relocs.len() as u32;
            let tsize = out_sections[target].size;
            let tname = out_sections[target].name;
            for r in relas {
                let rel = Reloc {
                    offset: r.r_offset(e),
                    addend: r.r_addend(e),
                    sym: r.r_sym(e, false),
                    rtype: r.r_type(e, false),
                };
                if rel.sym as usize >= symbols.len() {
                    return Err(bad(
                        &name,
                        format!(
                            "({}+{:#x}): relocation refers to symbol {} out of range",
                            String::from_utf8_lossy(tname),
                            rel.offset,
                            rel.sym
                        ),
                    ));
                }
                if rel.offset >= tsize {
                    return Err(bad(
                        &name,
                        format!(
                            "({}+{:#x}): relocation offset is past the end of the section",
                            String::from_utf8_lossy(tname),
                            rel.offset
                        ),
                    ));
                }
                relocs.push(rel);
            }
            let end = relocs.len() as u32;
            // Later passes binary-search relocations by offset.
            relocs[start as usize..end as usize].sort_by_key(|r| r.offset);
            out_sections[target].relocs = start..end;
        }

        let mut file = ObjectFile {
            name,
            data,
            sections: out_sections,
            symbols,
            first_global,
            relocs,
            pieces: Vec::new(),
            piece_blocks: Vec::new(),
            groups,
            eh_frames: Vec::new(),
            wants_execstack,
        };
        file.split_merge_sections()?;
        file.split_eh_frames()?;
        Ok(file)
    }

    pub fn section_data(&self, idx: usize) -> &'static [u8] {
        let s = &self.sections[idx];
        if s.is_nobits() {
            return &[];
        }
        &self.data[s.offset as usize..(s.offset + s.size) as usize]
    }

    pub fn section_name(&self, idx: usize) -> String {
        String::from_utf8_lossy(self.sections[idx].name).into_owned()
    }

    fn split_merge_sections(&mut self) -> Result<()> {
        for i in 0..self.sections.len() {
            if self.sections[i].kind != SectionKind::MergeStrings {
                continue;
            }
            let data = self.section_data(i);
            let start = self.pieces.len() as u32;
            let bstart = self.piece_blocks.len() as u32;
            let mut pos = 0usize;
            while pos < data.len() {
                let end = match data[pos..].iter().position(|&b| b == 0) {
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
                let local = self.pieces.len() as u32 - start;
                // Blocks whose first byte lies in this piece.
                while (self.piece_blocks.len() - bstart as usize) * PIECE_BLOCK < end {
                    self.piece_blocks.push(local);
                }
                self.pieces.push(Piece {
                    offset: pos as u32,
                    len: (end - pos) as u32,
                    hash: hash_bytes(&data[pos..end]),
                });
                pos = end;
            }
            self.sections[i].pieces = start..self.pieces.len() as u32;
            self.sections[i].piece_blocks = bstart..self.piece_blocks.len() as u32;
        }
        Ok(())
    }

    /// Index (into `pieces`) of the piece of merge section `sec` that holds
    /// offset `t`: the last piece starting at or before it.
    pub fn piece_at(&self, sec: usize, t: u32) -> Option<usize> {
        let s = &self.sections[sec];
        let pieces = &self.pieces[s.pieces.start as usize..s.pieces.end as usize];
        if pieces.is_empty() {
            return None;
        }
        let blocks = &self.piece_blocks[s.piece_blocks.start as usize..s.piece_blocks.end as usize];
        let mut i = match blocks.get(t as usize / PIECE_BLOCK) {
            Some(&b) => b as usize,
            None => pieces.len() - 1,
        };
        while i + 1 < pieces.len() && pieces[i + 1].offset <= t {
            i += 1;
        }
        while i > 0 && pieces[i].offset > t {
            i -= 1;
        }
        Some(s.pieces.start as usize + i)
    }

    fn split_eh_frames(&mut self) -> Result<()> {
        for i in 0..self.sections.len() {
            if self.sections[i].kind != SectionKind::EhFrame {
                continue;
            }
            let data = self.section_data(i);
            let relocs = self.sections[i].relocs.clone();
            let mut records = Vec::new();
            let mut pos = 0usize;
            let mut ri = relocs.start;
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
                let rstart = ri;
                while ri < relocs.end && (self.relocs[ri as usize].offset as usize) < pos + size {
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
