//! The synthetic sections: `.interp`, the notes, the symbol and hash
//! tables, the relocation sections, `.plt`, `.eh_frame`, `.dynamic`, the
//! GOT, `.comment`, `.symtab`/`.strtab`, `--emit-relocs`' sections,
//! `.shstrtab`. Each is made with its size, from what the earlier passes
//! decided; the writer fills in the contents. The order they are made in
//! breaks ties of rank, so it is kept.

use super::dynrels::RelaCounts;
use super::dynsym::DynSyms;
use super::eh_frame::EhFrame;
use super::got::GotPlt;
use super::versions::DynStrings;
use super::{align_up, DynVal, LinkInput, OutputSection, Synth};
use crate::object_file::SectionKind;
use crate::options::{BuildId, Options, OutputKind};
use crate::resolve::Resolved;
use crate::x86_64::{self as arch};
use object::elf;
use std::collections::HashMap;

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
pub(super) fn add_emit_rela_sections(
    res: &Resolved,
    live: &[Vec<bool>],
    sections: &mut Vec<OutputSection>,
) {
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

/// `.note.gnu.property`'s contents: the inputs' properties combined (the
/// PLT, if any, takes part), then what `-z x86-64-*` and `-z shstk` force.
pub(super) fn gnu_properties(inp: &LinkInput, has_plt: bool) -> Vec<(u32, u32)> {
    let opts = inp.opts;
    let res = inp.res;
    arch::force_gnu_properties(
        arch::combine_gnu_properties(
            res.objects.iter().map(|o| o.gnu_properties.as_deref()),
            has_plt,
        ),
        opts.x86_isa_needed,
        opts.z_shstk,
    )
}

/// `.comment`'s contents: our name first, then the inputs' strings, each
/// once.
pub(super) fn comment(res: &Resolved, comment_inputs: &[(usize, usize)]) -> Vec<u8> {
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
        for &(f, si) in comment_inputs {
            for s in res.objects[f].section_data(si).split(|&b| b == 0) {
                push(s, &mut comment);
            }
        }
    }
    comment
}

/// Which symbol hash tables a dynamic output has: (`.hash`, `.gnu.hash`).
/// `.gnu.hash` unless only the SysV one is asked for.
pub(super) fn hash_tables(opts: &Options) -> (bool, bool) {
    let h = &opts.hash_style;
    (h.sysv, h.gnu || !h.sysv)
}

/// Appends synthetic output section `os`, noting where it is.
fn add(sections: &mut Vec<OutputSection>, sec_idx: &mut HashMap<Synth, u32>, os: OutputSection) {
    sec_idx.insert(os.synth, sections.len() as u32);
    sections.push(os);
}

const A: u64 = elf::SHF_ALLOC as u64;
const AW: u64 = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;

/// `.interp`'s contents (executables): the dynamic linker's path.
pub(super) fn interp(opts: &Options) -> Option<Vec<u8>> {
    let kind = opts.output_kind;
    if kind == OutputKind::Pie || kind == OutputKind::Exec {
        let mut p = opts
            .dynamic_linker
            .clone()
            .unwrap_or_else(|| "/lib64/ld-linux-x86-64.so.2".into())
            .into_bytes();
        p.push(0);
        Some(p)
    } else {
        None
    }
}

/// The build ID's length (`--build-id`), 0 for none.
pub(super) fn build_id_len(opts: &Options) -> usize {
    match &opts.build_id {
        BuildId::None => 0,
        BuildId::Hash { len } => *len,
        BuildId::Uuid => 16,
        BuildId::Hex(h) => h.len(),
    }
}

/// `.interp` and the notes: GNU properties, build ID, package metadata.
pub(super) fn add_notes(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    interp: &Option<Vec<u8>>,
    gnu_properties: &[(u32, u32)],
    build_id_len: usize,
) {
    let a = A;
    if let Some(p) = &interp {
        let mut s = OutputSection::new(b".interp", Synth::Interp, elf::SHT_PROGBITS, a, 1, 100);
        s.size = p.len() as u64;
        add(sections, sec_idx, s);
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
        add(sections, sec_idx, s);
    }
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
        add(sections, sec_idx, s);
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
        add(sections, sec_idx, s);
    }
}

/// The dynamic symbol table, its hash tables, `.dynstr` and the version
/// sections (dynamic outputs).
pub(super) fn add_dynsym_tables(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    syms: &DynSyms,
    strings: &DynStrings,
) {
    let a = A;
    let dynamic = opts.output_kind.is_dynamic();
    let (sysv_hash, gnu_hash) = hash_tables(opts);
    let (dynsyms, n_exports, gnu_hash_buckets) =
        (&syms.dynsyms, syms.n_exports, syms.gnu_hash_buckets);
    let (dynstr, verdef, verneed) = (&strings.dynstr, &strings.verdef, &strings.verneed);
    let (verdef_count, verneed_count) = (strings.verdef_count, strings.verneed_count);
    let ndyn = dynsyms.len() as u64 + 1;
    if dynamic {
        if sysv_hash {
            let mut s = OutputSection::new(b".hash", Synth::Hash, elf::SHT_HASH, a, 8, 120);
            s.size = 4 * (2 + ndyn + ndyn);
            s.entsize = 4;
            add(sections, sec_idx, s);
        }
        if gnu_hash {
            let mut s =
                OutputSection::new(b".gnu.hash", Synth::GnuHash, elf::SHT_GNU_HASH, a, 8, 121);
            let bloom = 1u64;
            s.size = 16 + 8 * bloom + 4 * gnu_hash_buckets as u64 + 4 * n_exports as u64;
            add(sections, sec_idx, s);
        }
        let mut s = OutputSection::new(b".dynsym", Synth::Dynsym, elf::SHT_DYNSYM, a, 8, 122);
        s.size = 24 * ndyn;
        s.entsize = 24;
        add(sections, sec_idx, s);
        let mut s = OutputSection::new(b".dynstr", Synth::Dynstr, elf::SHT_STRTAB, a, 1, 123);
        s.size = dynstr.len() as u64;
        add(sections, sec_idx, s);
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
            add(sections, sec_idx, s);
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
            add(sections, sec_idx, s);
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
            add(sections, sec_idx, s);
        }
    }
}

/// The relocation sections (`.rela.dyn`, `.relr.dyn`, `.rela.plt` or a
/// static executable's `.rela.iplt`) and `.plt`.
pub(super) fn add_relocations(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    counts: &RelaCounts,
    gp: &GotPlt,
    relr: bool,
) {
    let a = A;
    let kind = opts.output_kind;
    let (rela_dyn_count, n_irel) = (counts.rela_dyn, counts.irel);
    let (plt, n_lazy_plt) = (&gp.plt, gp.n_lazy_plt);
    if kind.is_dynamic() {
        let mut s = OutputSection::new(b".rela.dyn", Synth::RelaDyn, elf::SHT_RELA, a, 8, 126);
        s.size = 24 * rela_dyn_count;
        s.entsize = 24;
        add(sections, sec_idx, s);
        if relr {
            // Sized once addresses are known (see assign_addresses' caller).
            let mut s = OutputSection::new(b".relr.dyn", Synth::RelrDyn, elf::SHT_RELR, a, 8, 126);
            s.entsize = 8;
            add(sections, sec_idx, s);
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
            add(sections, sec_idx, s);
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
        add(sections, sec_idx, s);
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
        add(sections, sec_idx, s);
    }
}

/// `.eh_frame` (with its terminator) and `.eh_frame_hdr`.
pub(super) fn add_eh_frame(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    eh: &EhFrame,
) {
    let a = A;
    let (eh_size, eh_fde_count) = (eh.size, eh.fde_count);
    let eh_hdr = opts.eh_frame_hdr && (eh_fde_count > 0 || eh_size > 0);
    if eh_size > 0 {
        let mut s = OutputSection::new(b".eh_frame", Synth::EhFrame, elf::SHT_PROGBITS, a, 8, 330);
        s.size = eh_size + 4;
        add(sections, sec_idx, s);
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
            add(sections, sec_idx, s);
        }
    }
}

/// `.dynamic` (dynamic outputs), `.got`, `.got.plt` and `.comment`.
pub(super) fn add_dynamic_got_comment(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    dyn_entries: &[(i64, DynVal)],
    gp: &GotPlt,
    comment: &[u8],
) {
    let (a, aw) = (A, AW);
    let (got, plt) = (&gp.got, &gp.plt);
    if opts.output_kind.is_dynamic() {
        let flags = if opts.rodynamic { a } else { aw };
        let mut s =
            OutputSection::new(b".dynamic", Synth::Dynamic, elf::SHT_DYNAMIC, flags, 8, 430);
        s.size = 16 * dyn_entries.len() as u64;
        s.entsize = 16;
        add(sections, sec_idx, s);
    }
    if !got.is_empty() {
        let mut s = OutputSection::new(b".got", Synth::Got, elf::SHT_PROGBITS, aw, 8, 440);
        s.size = 8 * got.len() as u64;
        s.entsize = 8;
        add(sections, sec_idx, s);
    }
    {
        // .got.plt always exists: _GLOBAL_OFFSET_TABLE_ points at it.
        let mut s = OutputSection::new(b".got.plt", Synth::GotPlt, elf::SHT_PROGBITS, aw, 8, 500);
        s.size = 8 * (3 + plt.len() as u64);
        s.entsize = 8;
        add(sections, sec_idx, s);
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
        add(sections, sec_idx, s);
    }
}

/// `.symtab` and `.strtab` (unless `-s`), sized by `symtab::plan`.
pub(super) fn add_symtab(
    opts: &Options,
    sections: &mut Vec<OutputSection>,
    sec_idx: &mut HashMap<Synth, u32>,
    symtab_count: u32,
    strtab_size: u64,
) {
    if !opts.strip_all {
        let mut s = OutputSection::new(b".symtab", Synth::Symtab, elf::SHT_SYMTAB, 0, 8, 700);
        s.size = 24 * symtab_count as u64;
        s.entsize = 24;
        add(sections, sec_idx, s);
        let mut s = OutputSection::new(b".strtab", Synth::Strtab, elf::SHT_STRTAB, 0, 1, 701);
        s.size = strtab_size;
        add(sections, sec_idx, s);
    }
}

/// `.shstrtab`, last (sized once the sections are in order).
pub(super) fn add_shstrtab(sections: &mut Vec<OutputSection>, sec_idx: &mut HashMap<Synth, u32>) {
    let shs = OutputSection::new(b".shstrtab", Synth::Shstrtab, elf::SHT_STRTAB, 0, 1, 702);
    add(sections, sec_idx, shs);
}
