//! `-r`/`--relocatable`: the loaded objects combined into one relocatable
//! object (`ET_REL`), as GNU ld does, for a later link.
//!
//! Runs after resolution (archive members are pulled in as for any link;
//! COMDAT groups are deduplicated first-wins), instead of layout and write:
//! - input sections with the same name, type and flags are concatenated
//!   into one output section (with `--relocatable-merge-sections`, by their
//!   output name: `.text.foo` joins `.text`); members of a COMDAT group are
//!   never merged, and each kept group is written again as a `SHT_GROUP`
//!   section (before its members, as the ELF spec wants) listing its
//!   sections and their relocation sections;
//! - relocations are carried over into one `.rela` section per output
//!   section: offsets move with their section, a reference to a section
//!   symbol becomes one to the output section's symbol (its offset added to
//!   the addend), other symbols are renumbered;
//! - the symbol table has a section symbol per output section, each input's
//!   local symbols (those in kept sections), then one entry per global name
//!   in resolution order: its definition, a common, or an undefined
//!   reference (weak if every reference was weak). Linker-defined names
//!   (`__start_SEC`, `_end`) stay undefined for the final link;
//! - more than 0xff00 sections use the extended numbering (`SHN_XINDEX`,
//!   `.symtab_shndx`).
//!
//! Nothing is relaxed or decided here: the final link sees what the inputs
//! said. `.note.GNU-stack` is written once (executable if any input asked);
//! `.note.gnu.property` notes are combined as for a final link.

use crate::arch::{Arch, Native};
use crate::error::{Error, Result};
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::Options;
use crate::output_file::OutputFile;
use crate::resolve::{Resolved, SymDef};
use crate::write::{w16, w32, w64};
use object::elf;
use object::read::elf::{FileHeader, SectionHeader};
use object::LittleEndian as LE;
use std::collections::HashMap;

/// An input section's place: (object, section index).
type Place = (usize, u32);

enum Content {
    /// Input sections at their offsets.
    Pieces(Vec<(Place, u64)>),
    /// A COMDAT group: its flag word and its members (input sections).
    Group { flags: u32, members: Vec<Place> },
    /// `.note.GNU-stack` (empty).
    Empty,
    /// The inputs' `.note.gnu.property` notes, combined.
    GnuProperties(Vec<(u32, u32)>),
}

struct OutSec {
    name: Vec<u8>,
    sh_type: u32,
    flags: u64,
    align: u64,
    /// `None` once inputs with different entry sizes were merged.
    entsize: Option<u64>,
    size: u64,
    content: Content,
    /// For a group: the input file and symbol index of its signature.
    signature: Option<Place>,
}

/// The output sections and where each input section went.
struct Plan {
    secs: Vec<OutSec>,
    /// Input section -> (output section, offset in it).
    placed: HashMap<Place, (u32, u64)>,
}

fn bad(o: &ObjectFile, what: impl std::fmt::Display) -> Error {
    Error::new(format!("{}: {what}", o.name))
}

/// The input's raw section headers (ingestion validated the file).
fn headers(o: &ObjectFile) -> Result<&'static [elf::SectionHeader64<LE>]> {
    let h = elf::FileHeader64::<LE>::parse(o.data).map_err(|e| bad(o, e))?;
    h.section_headers(LE, o.data).map_err(|e| bad(o, e))
}

fn plan(opts: &Options, res: &Resolved) -> Result<Plan> {
    let mut p = Plan {
        secs: Vec::new(),
        placed: HashMap::new(),
    };
    let mut by_key: HashMap<(Vec<u8>, u32, u32), u32> = HashMap::new();
    let mut execstack = false;
    for (f, o) in res.objects.iter().enumerate() {
        execstack |= o.wants_execstack;
        let shdrs = headers(o)?;
        // Groups first, so that each precedes its members.
        for (gi, h) in shdrs.iter().enumerate() {
            if h.sh_type(LE) != elf::SHT_GROUP {
                continue;
            }
            let words: &[object::U32<LE>] = h
                .data_as_array(LE, o.data)
                .map_err(|_| bad(o, format!("section {gi}: bad group section")))?;
            let Some((flags, members)) = words.split_first() else {
                continue;
            };
            let members: Vec<Place> = members.iter().map(|m| (f, m.get(LE))).collect();
            // A member index out of range counts as dropped.
            let dropped = |m: &Place| res.discarded[f].get(m.1 as usize).copied().unwrap_or(true);
            if members.iter().all(dropped) {
                continue;
            }
            p.secs.push(OutSec {
                name: b".group".to_vec(),
                sh_type: elf::SHT_GROUP,
                flags: 0,
                align: 4,
                entsize: Some(4),
                size: 0,
                content: Content::Group {
                    flags: flags.get(LE),
                    members,
                },
                signature: Some((f, h.sh_info(LE))),
            });
        }
        for (si, s) in o.sections.iter().enumerate() {
            let kept = matches!(
                s.kind,
                SectionKind::Alloc
                    | SectionKind::MergeStrings
                    | SectionKind::EhFrame
                    | SectionKind::NonAlloc
                    | SectionKind::Comment
            );
            if !kept || res.discarded[f][si] {
                continue;
            }
            let name = if opts.relocatable_merge_sections {
                crate::layout::output_name(s.name.get())
            } else {
                s.name.get()
            };
            let key = (name.to_vec(), s.sh_type, s.flags);
            let idx = match (s.group(), by_key.get(&key)) {
                (None, Some(&i)) => i,
                _ => {
                    let i = p.secs.len() as u32;
                    p.secs.push(OutSec {
                        name: name.to_vec(),
                        sh_type: s.sh_type,
                        flags: u64::from(s.flags),
                        align: 1,
                        entsize: Some(u64::from(s.entsize)),
                        size: 0,
                        content: Content::Pieces(Vec::new()),
                        signature: None,
                    });
                    if s.group().is_none() {
                        by_key.insert(key, i);
                    }
                    i
                }
            };
            let out = &mut p.secs[idx as usize];
            let align = s.align();
            // Ingestion bounds each size by 2^47 and each alignment by
            // 2^30, but a `SHT_NOBITS` section costs no file bytes: some
            // 2^17 of them still add up past 2^64.
            let off = (out.size.checked_next_multiple_of(align))
                .filter(|o| o.checked_add(s.size).is_some())
                .ok_or_else(|| {
                    bad(
                        o,
                        format_args!(
                            "section {} ({:#x} bytes) makes output section {} larger than 2^64 bytes",
                            String::from_utf8_lossy(s.name.get()),
                            s.size,
                            String::from_utf8_lossy(name)
                        ),
                    )
                })?;
            out.size = off + s.size;
            out.align = out.align.max(align);
            if out.entsize != Some(u64::from(s.entsize)) {
                out.entsize = None;
            }
            if let Content::Pieces(v) = &mut out.content {
                v.push(((f, si as u32), off));
            }
            p.placed.insert((f, si as u32), (idx, off));
        }
    }
    p.secs.push(OutSec {
        name: b".note.GNU-stack".to_vec(),
        sh_type: elf::SHT_PROGBITS,
        flags: if execstack {
            elf::SHF_EXECINSTR as u64
        } else {
            0
        },
        align: 1,
        entsize: Some(0),
        size: 0,
        content: Content::Empty,
        signature: None,
    });
    let props = Native::combine_gnu_properties(
        res.objects.iter().map(|o| o.gnu_properties.as_deref()),
        false,
    );
    if !props.is_empty() {
        p.secs.push(OutSec {
            name: b".note.gnu.property".to_vec(),
            sh_type: elf::SHT_NOTE,
            flags: elf::SHF_ALLOC as u64,
            align: 8,
            entsize: Some(0),
            size: crate::chunks::notes::gnu_property_note_size(props.len()),
            content: Content::GnuProperties(props),
            signature: None,
        });
    }
    for s in &mut p.secs {
        if s.entsize.is_none() {
            // Pieces of different entry sizes cannot be merged later.
            s.flags &= !((elf::SHF_MERGE | elf::SHF_STRINGS) as u64);
        }
    }
    Ok(p)
}

/// Where a symbol is: a section index may exceed the 16-bit field, so the
/// reserved values are kept apart until written.
#[derive(Clone, Copy)]
enum Shn {
    Undef,
    Abs,
    Common,
    Sec(u32),
}

/// A symbol table entry being built.
struct Sym {
    name: u32,
    info: u8,
    other: u8,
    shndx: Shn,
    value: u64,
    size: u64,
}

struct Strtab(Vec<u8>);
impl Strtab {
    fn add(&mut self, s: &[u8]) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let at = self.0.len() as u32;
        self.0.extend_from_slice(s);
        self.0.push(0);
        at
    }
}

/// The symbol table, and per object the output index of each input symbol
/// (`None`: dropped, a reference to it becomes symbol 0).
struct Symbols {
    syms: Vec<Sym>,
    strtab: Strtab,
    first_global: u32,
    map: Vec<Vec<Option<u32>>>,
    /// Output section -> its section symbol.
    section_sym: Vec<u32>,
}

/// Output section index of an output section number (null is 0).
fn shndx(out: u32) -> u32 {
    out + 1
}

fn symbols(res: &Resolved, p: &Plan) -> Symbols {
    let mut syms = vec![Sym {
        name: 0,
        info: 0,
        other: 0,
        shndx: Shn::Undef,
        value: 0,
        size: 0,
    }];
    let mut strtab = Strtab(vec![0]);
    let mut section_sym = vec![0; p.secs.len()];
    for (i, s) in p.secs.iter().enumerate() {
        if matches!(s.content, Content::Pieces(_)) {
            section_sym[i] = syms.len() as u32;
            syms.push(Sym {
                name: 0,
                info: elf::STT_SECTION,
                other: 0,
                shndx: Shn::Sec(shndx(i as u32)),
                value: 0,
                size: 0,
            });
        }
    }
    let place = |f: usize, shn: u32| p.placed.get(&(f, shn)).copied();
    let mut map: Vec<Vec<Option<u32>>> = Vec::with_capacity(res.objects.len());
    for (f, o) in res.objects.iter().enumerate() {
        let mut m = vec![None; o.symbols.len()];
        for (i, s) in o.symbols.iter().enumerate().take(o.first_global as usize) {
            let (shn, value) = match s.shndx {
                x if x == elf::SHN_ABS as u32 => (Shn::Abs, s.value),
                x if x == elf::SHN_UNDEF as u32 || x == elf::SHN_COMMON as u32 => continue,
                x => match place(f, x) {
                    Some((out, _)) if s.typ == elf::STT_SECTION => {
                        m[i] = Some(section_sym[out as usize]);
                        continue;
                    }
                    Some((out, off)) => (Shn::Sec(shndx(out)), s.value.wrapping_add(off)),
                    None => continue,
                },
            };
            m[i] = Some(syms.len() as u32);
            syms.push(Sym {
                name: strtab.add(&s.name),
                info: (elf::STB_LOCAL << 4) | s.typ,
                other: s.visibility,
                shndx: shn,
                value,
                size: s.size,
            });
        }
        map.push(m);
    }
    let first_global = syms.len() as u32;
    // Every global name a loaded object has, in resolution order.
    let mut global_index: Vec<Option<u32>> = vec![None; res.symbols.len()];
    let mut wanted = vec![false; res.symbols.len()];
    for ids in &res.sym_ids {
        for &id in ids {
            wanted[id as usize] = true;
        }
    }
    for (id, g) in res.symbols.iter().enumerate() {
        if !wanted[id] {
            continue;
        }
        let (info, shn, value, size) = match g.def {
            SymDef::Object { file, sym } => {
                let s = &res.objects[file as usize].symbols[sym as usize];
                let (shn, value) = if s.shndx == elf::SHN_ABS as u32 {
                    (Shn::Abs, s.value)
                } else {
                    match place(file as usize, s.shndx) {
                        Some((out, off)) => (Shn::Sec(shndx(out)), s.value.wrapping_add(off)),
                        None => (Shn::Undef, 0),
                    }
                };
                ((s.bind << 4) | s.typ, shn, value, s.size)
            }
            SymDef::Common { file, sym } => {
                let s = &res.objects[file as usize].symbols[sym as usize];
                (
                    (elf::STB_GLOBAL << 4) | elf::STT_OBJECT,
                    Shn::Common,
                    s.value,
                    s.size,
                )
            }
            // Defined by a shared library or by the final link: still a
            // reference here.
            SymDef::Undefined | SymDef::Shared { .. } | SymDef::Synthetic => {
                let bind = if g.strong_ref {
                    elf::STB_GLOBAL
                } else {
                    elf::STB_WEAK
                };
                ((bind << 4) | g.ref_type, Shn::Undef, 0, 0)
            }
        };
        global_index[id] = Some(syms.len() as u32);
        syms.push(Sym {
            name: strtab.add(&g.name),
            info,
            other: g.visibility,
            shndx: shn,
            value,
            size,
        });
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (k, &id) in res.sym_ids[f].iter().enumerate() {
            map[f][o.first_global as usize + k] = global_index[id as usize];
        }
    }
    Symbols {
        syms,
        strtab,
        first_global,
        map,
        section_sym,
    }
}

/// An output relocation record (`Elf64_Rela`).
struct Rela {
    offset: u64,
    info: u64,
    addend: i64,
}

/// The relocations of output section `out`, renumbered.
fn relocations(
    res: &Resolved,
    p: &Plan,
    s: &Symbols,
    pieces: &[(Place, u64)],
) -> Result<Vec<Rela>> {
    let mut out = Vec::new();
    for &((f, si), off) in pieces {
        let o = &res.objects[f];
        let sec = &o.sections[si as usize];
        let mut push = |offset: u64, rtype: u32, sym: u32, addend: i64| {
            let (sym, addend) = match o.symbols.get(sym as usize) {
                Some(is)
                    if is.typ == elf::STT_SECTION && (sym as usize) < o.first_global as usize =>
                {
                    match p.placed.get(&(f, is.shndx)) {
                        Some(&(t, toff)) => {
                            (s.section_sym[t as usize], addend.wrapping_add(toff as i64))
                        }
                        None => (0, 0),
                    }
                }
                _ => (
                    s.map[f].get(sym as usize).copied().flatten().unwrap_or(0),
                    addend,
                ),
            };
            out.push(Rela {
                // In range: the offset is within its section (checked
                // below, or at ingestion), which `plan` placed below 2^64.
                offset: offset + off,
                info: ((sym as u64) << 32) | rtype as u64,
                addend,
            });
        };
        if sec.is_alloc() {
            for r in o.relocs_of(sec) {
                push(r.offset(), r.rtype(), r.sym(), r.addend());
            }
        } else {
            // Checked here, as a link's `write` checks them: ingestion
            // checks only the allocated sections' relocations.
            for r in o.raw_relocs(si as usize) {
                if !o.raw_reloc_in_range(sec, r) {
                    return Err(bad(
                        o,
                        format_args!(
                            "({}+{:#x}): relocation refers to symbol {} or offset out of range",
                            String::from_utf8_lossy(sec.name.get()),
                            r.offset(),
                            r.sym()
                        ),
                    ));
                }
                push(r.offset(), r.rtype(), r.sym(), r.addend());
            }
        }
    }
    Ok(out)
}

/// A section header being written.
struct Shdr {
    name: u32,
    sh_type: u32,
    flags: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

/// Writes the relocatable output of the resolved link.
pub fn write(opts: &Options, res: &Resolved) -> Result<()> {
    let mut p = plan(opts, res)?;
    let syms = symbols(res, &p);
    let n_out = p.secs.len() as u32;
    // Relocation sections, after the sections they apply to.
    let mut relas: Vec<(u32, Vec<Rela>)> = Vec::new();
    for (i, s) in p.secs.iter().enumerate() {
        if let Content::Pieces(pieces) = &s.content {
            let r = relocations(res, &p, &syms, pieces)?;
            if !r.is_empty() {
                relas.push((i as u32, r));
            }
        }
    }
    let rela_of: HashMap<u32, u32> = relas
        .iter()
        .enumerate()
        .map(|(k, (t, _))| (*t, n_out + k as u32))
        .collect();
    // Each group lists its kept members and their relocation sections.
    let group_words: Vec<Option<Vec<u32>>> = p
        .secs
        .iter()
        .map(|s| match &s.content {
            Content::Group { flags, members } => {
                let mut words = vec![*flags];
                for m in members {
                    if let Some(&(out, _)) = p.placed.get(m) {
                        words.push(shndx(out));
                        if let Some(&r) = rela_of.get(&out) {
                            words.push(shndx(r));
                        }
                    }
                }
                Some(words)
            }
            _ => None,
        })
        .collect();
    for (s, w) in p.secs.iter_mut().zip(&group_words) {
        if let Some(w) = w {
            s.size = 4 * w.len() as u64;
        }
    }
    let symtab_out = n_out + relas.len() as u32;
    let strtab_out = symtab_out + 1;
    let shstrtab_out = symtab_out + 2;
    let total = shstrtab_out + 1;
    let xindex = shndx(total) >= elf::SHN_LORESERVE as u32;
    let shndx_out = total;
    let n_headers = shndx(total) + xindex as u32;

    let mut shstr = Strtab(vec![0]);
    let mut shdrs: Vec<Shdr> = Vec::with_capacity(n_headers as usize);
    let mut off = 64u64;
    let mut place = |align: u64, size: u64, nobits: bool| {
        let o = off.next_multiple_of(align.max(1));
        if !nobits {
            off = o + size;
        }
        o
    };
    for s in &p.secs {
        let nobits = s.sh_type == elf::SHT_NOBITS;
        let (link, info) = match s.signature {
            Some((f, sym)) => (
                shndx(symtab_out),
                syms.map[f]
                    .get(sym as usize)
                    .copied()
                    .flatten()
                    .unwrap_or(0),
            ),
            None => (0, 0),
        };
        shdrs.push(Shdr {
            name: shstr.add(&s.name),
            sh_type: s.sh_type,
            flags: s.flags,
            offset: place(s.align, s.size, nobits),
            size: s.size,
            link,
            info,
            align: s.align,
            entsize: s.entsize.unwrap_or(0),
        });
    }
    for (t, r) in &relas {
        let target = &p.secs[*t as usize];
        let mut name = b".rela".to_vec();
        name.extend_from_slice(&target.name);
        let size = 24 * r.len() as u64;
        shdrs.push(Shdr {
            name: shstr.add(&name),
            sh_type: elf::SHT_RELA,
            flags: elf::SHF_INFO_LINK as u64 | (target.flags & elf::SHF_GROUP as u64),
            offset: place(8, size, false),
            size,
            link: shndx(symtab_out),
            info: shndx(*t),
            align: 8,
            entsize: 24,
        });
    }
    let symtab_size = 24 * syms.syms.len() as u64;
    shdrs.push(Shdr {
        name: shstr.add(b".symtab"),
        sh_type: elf::SHT_SYMTAB,
        flags: 0,
        offset: place(8, symtab_size, false),
        size: symtab_size,
        link: shndx(strtab_out),
        info: syms.first_global,
        align: 8,
        entsize: 24,
    });
    shdrs.push(Shdr {
        name: shstr.add(b".strtab"),
        sh_type: elf::SHT_STRTAB,
        flags: 0,
        offset: place(1, syms.strtab.0.len() as u64, false),
        size: syms.strtab.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    let shstrtab_name = shstr.add(b".shstrtab");
    let shndx_name = if xindex {
        shstr.add(b".symtab_shndx")
    } else {
        0
    };
    shdrs.push(Shdr {
        name: shstrtab_name,
        sh_type: elf::SHT_STRTAB,
        flags: 0,
        offset: place(1, shstr.0.len() as u64, false),
        size: shstr.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    if xindex {
        let size = 4 * syms.syms.len() as u64;
        shdrs.push(Shdr {
            name: shndx_name,
            sh_type: elf::SHT_SYMTAB_SHNDX,
            flags: 0,
            offset: place(4, size, false),
            size,
            link: shndx(symtab_out),
            info: 0,
            align: 4,
            entsize: 4,
        });
    }
    let shoff = off.next_multiple_of(8);
    let file_size = shoff + 64 * n_headers as u64;

    let mut output = OutputFile::create(&opts.output, file_size)?;
    let buf = output.buf();
    write_header(buf, shoff, n_headers, shndx(shstrtab_out), xindex);
    // Section contents.
    for (i, s) in p.secs.iter().enumerate() {
        let base = shdrs[i].offset as usize;
        match &s.content {
            Content::Pieces(pieces) if s.sh_type != elf::SHT_NOBITS => {
                for &((f, si), o) in pieces {
                    let src = res.objects[f].section_data(si as usize);
                    buf[base + o as usize..base + o as usize + src.len()].copy_from_slice(src);
                }
            }
            Content::GnuProperties(props) => {
                crate::chunks::notes::write_gnu_property_note(&mut buf[base..], props)
            }
            Content::Group { .. } => {
                for (k, w) in group_words[i].iter().flatten().enumerate() {
                    let at = base + 4 * k;
                    buf[at..at + 4].copy_from_slice(&w.to_le_bytes());
                }
            }
            _ => {}
        }
    }
    for (k, (_, r)) in relas.iter().enumerate() {
        let base = shdrs[(n_out as usize) + k].offset as usize;
        for (j, r) in r.iter().enumerate() {
            let at = base + 24 * j;
            w64(buf, at, r.offset);
            w64(buf, at + 8, r.info);
            w64(buf, at + 16, r.addend as u64);
        }
    }
    write_symbols(buf, &shdrs, &syms, symtab_out, xindex.then_some(shndx_out));
    let strtab = &shdrs[strtab_out as usize];
    buf[strtab.offset as usize..][..syms.strtab.0.len()].copy_from_slice(&syms.strtab.0);
    let sh = &shdrs[shstrtab_out as usize];
    buf[sh.offset as usize..][..shstr.0.len()].copy_from_slice(&shstr.0);
    write_section_headers(buf, shoff, &shdrs, total, shndx(shstrtab_out), xindex);
    output.commit().map(drop)
}

fn write_header(buf: &mut [u8], shoff: u64, n_headers: u32, shstrndx: u32, xindex: bool) {
    buf[0..4].copy_from_slice(&elf::ELFMAG);
    buf[4] = elf::ELFCLASS64;
    buf[5] = elf::ELFDATA2LSB;
    buf[6] = elf::EV_CURRENT;
    w16(buf, 16, elf::ET_REL);
    w16(buf, 18, Native::E_MACHINE);
    w32(buf, 20, elf::EV_CURRENT as u32);
    w64(buf, 40, shoff);
    w16(buf, 52, 64);
    w16(buf, 58, 64);
    // Extended numbering: the real values are in section 0.
    w16(buf, 60, if xindex { 0 } else { n_headers as u16 });
    w16(
        buf,
        62,
        if xindex {
            elf::SHN_XINDEX
        } else {
            shstrndx as u16
        },
    );
}

fn write_symbols(
    buf: &mut [u8],
    shdrs: &[Shdr],
    syms: &Symbols,
    symtab_out: u32,
    shndx_out: Option<u32>,
) {
    let base = shdrs[symtab_out as usize].offset as usize;
    for (k, s) in syms.syms.iter().enumerate() {
        let at = base + 24 * k;
        w32(buf, at, s.name);
        buf[at + 4] = s.info;
        buf[at + 5] = s.other;
        let (field, extended) = match s.shndx {
            Shn::Undef => (elf::SHN_UNDEF, 0),
            Shn::Abs => (elf::SHN_ABS, 0),
            Shn::Common => (elf::SHN_COMMON, 0),
            Shn::Sec(i) if i >= elf::SHN_LORESERVE as u32 => (elf::SHN_XINDEX, i),
            Shn::Sec(i) => (i as u16, 0),
        };
        w16(buf, at + 6, field);
        w64(buf, at + 8, s.value);
        w64(buf, at + 16, s.size);
        if let Some(x) = shndx_out {
            let at = shdrs[x as usize].offset as usize + 4 * k;
            buf[at..at + 4].copy_from_slice(&extended.to_le_bytes());
        }
    }
}

fn write_section_headers(
    buf: &mut [u8],
    shoff: u64,
    shdrs: &[Shdr],
    total: u32,
    shstrndx: u32,
    xindex: bool,
) {
    let at = shoff as usize;
    if xindex {
        w64(buf, at + 32, (shndx(total) + 1) as u64);
        w32(buf, at + 40, shstrndx);
    }
    for (k, s) in shdrs.iter().enumerate() {
        let at = shoff as usize + 64 * (k + 1);
        w32(buf, at, s.name);
        w32(buf, at + 4, s.sh_type);
        w64(buf, at + 8, s.flags);
        w64(buf, at + 24, s.offset);
        w64(buf, at + 32, s.size);
        w32(buf, at + 40, s.link);
        w32(buf, at + 44, s.info);
        w64(buf, at + 48, s.align);
        w64(buf, at + 56, s.entsize);
    }
}
