//! The synthetic sections ("chunks"), one home each: the file that adds a
//! section to the layout with its size (called from `layout::compute`)
//! also writes its bytes (called from `write`'s parts), so what was sized
//! is what is written, in one place.
//!
//! | file | sections |
//! |---|---|
//! | `notes` | `.interp`, `.note.gnu.property`, `.note.gnu.build-id`, `.note.package`, `.comment` |
//! | `hash` | `.hash`, `.gnu.hash` |
//! | `dynsym` | `.dynsym` |
//! | `versions` | `.dynstr`, `.gnu.version`, `.gnu.version_d`, `.gnu.version_r` |
//! | `dynrels` | `.rela.dyn`, `.rela.plt` (`.rela.iplt`): counted, planned, written |
//! | `relr` | `.relr.dyn`: what it packs, its size (settled with the addresses), its words |
//! | `got_plt` | `.got`, `.got.plt`, `.plt` |
//! | `eh_frame` | `.eh_frame` (its records placed, CIEs shared), `.eh_frame_hdr` |
//! | `dynamic` | `.dynamic` (its entries) |
//! | `symtab` | `.symtab`, `.strtab`, `.shstrtab` |
//! | `emit_relocs` | `--emit-relocs`' `.rela<name>` sections |
//!
//! The order the sections are added in (`layout::compute`) breaks ties of
//! rank, so it is kept. `write` fills most of them in parallel as parts of
//! the image (`write_early`); the relocation sections and `.dynamic` wait
//! for the dynamic relocations the input sections make.

pub(crate) mod dynamic;
pub(crate) mod dynrels;
pub(crate) mod dynsym;
pub(crate) mod eh_frame;
pub(crate) mod emit_relocs;
pub(crate) mod got_plt;
pub(crate) mod hash;
pub(crate) mod notes;
pub(crate) mod relr;
pub(crate) mod symtab;
pub(crate) mod versions;

use crate::error::Result;
use crate::layout::{Layout, OutputSection, Synth};
use crate::options::Options;
use crate::resolve::Resolved;
use object::elf;

/// The synthetic sections `write_early` fills, in parallel with the input
/// sections; `.eh_frame_hdr` and `.strtab` come with their partners.
pub(crate) fn written_early(s: Synth) -> bool {
    !matches!(
        s,
        Synth::Regular
            | Synth::RelaDyn
            | Synth::RelrDyn
            | Synth::RelaPlt
            | Synth::Dynamic
            | Synth::EmitRela
    )
}

/// Fills synthetic section `which` (`b`), from what layout decided; `extra`
/// is its partner's slice (`.eh_frame_hdr` for `.eh_frame`, `.strtab` for
/// `.symtab`).
pub(crate) fn write_early(
    opts: &Options,
    res: &Resolved,
    l: &Layout,
    which: Synth,
    b: &mut [u8],
    extra: Option<&mut [u8]>,
) -> Result<()> {
    // (`.symtab` tallies its own jobs.)
    let _t = crate::timing::tally(match which {
        Synth::EhFrame => "write: .eh_frame",
        Synth::Symtab => "write: .symtab, all its jobs",
        Synth::Dynsym => "write: .dynsym",
        _ => "write: other synthetic sections",
    });
    match which {
        Synth::Interp => notes::write_interp(l, b),
        Synth::GnuProperty => notes::write_gnu_property_note(b, &l.gnu_properties),
        Synth::PackageNote => notes::write_package_note(opts, b),
        Synth::BuildId => notes::write_build_id_header(l, b),
        Synth::Comment => b.copy_from_slice(&l.comment),
        Synth::Got => got_plt::write_got(res, l, b),
        Synth::GotPlt => got_plt::write_got_plt(l, b),
        Synth::Plt => got_plt::write_plt(l, b),
        Synth::Dynsym => dynsym::write(res, l, b),
        Synth::Dynstr => b.copy_from_slice(&l.dynstr),
        Synth::Versym => versions::write_versym(l, b),
        Synth::Verneed => b.copy_from_slice(&l.verneed),
        Synth::Verdef => b.copy_from_slice(&l.verdef),
        Synth::GnuHash => hash::write_gnu_hash(res, l, b),
        Synth::Hash => hash::write_sysv_hash(res, l, b),
        Synth::EhFrame => eh_frame::write(res, l, b, extra)?,
        Synth::Symtab => {
            if let (false, Some(strtab)) = (opts.strip_all, extra) {
                symtab::write(res, l, b, strtab);
            }
        }
        Synth::Shstrtab => b.copy_from_slice(&l.shstrtab),
        Synth::Regular
        | Synth::RelaDyn
        | Synth::RelrDyn
        | Synth::RelaPlt
        | Synth::Dynamic
        | Synth::EmitRela
        | Synth::EhFrameHdr
        | Synth::Strtab => {}
    }
    Ok(())
}

/// A synthetic section's `sh_link` and `sh_info` (0, 0 for the others).
pub(crate) fn link_info(l: &Layout, s: &OutputSection) -> (u32, u32) {
    let idx = |s: Synth| {
        l.sec_idx
            .get(&s)
            .map(|&i| l.sections[i as usize].shndx)
            .unwrap_or(0)
    };
    match s.synth {
        Synth::Dynsym => (idx(Synth::Dynstr), 1),
        Synth::Hash | Synth::GnuHash | Synth::Versym => (idx(Synth::Dynsym), 0),
        Synth::Verneed => (idx(Synth::Dynstr), l.verneed_count),
        Synth::Verdef => (idx(Synth::Dynstr), l.verdef_count),
        Synth::RelaDyn => (idx(Synth::Dynsym), 0),
        Synth::RelaPlt if !l.kind.is_dynamic() => (idx(Synth::Symtab), idx(Synth::GotPlt)),
        Synth::RelaPlt => (
            if l.kind.is_dynamic() {
                idx(Synth::Dynsym)
            } else {
                0
            },
            idx(Synth::GotPlt),
        ),
        Synth::Dynamic => (idx(Synth::Dynstr), 0),
        Synth::Symtab => (idx(Synth::Strtab), l.symtab.locals()),
        Synth::EmitRela => (idx(Synth::Symtab), l.sections[s.rela_for as usize].shndx),
        _ => (0, 0),
    }
}

/// Synthetic section `s`'s slice of the image, and its address.
pub(crate) fn sec_slice<'a>(
    buf: &'a mut [u8],
    l: &Layout,
    s: Synth,
) -> Option<(&'a mut [u8], u64)> {
    let sec = l.sec(s)?;
    let (o, n) = (sec.offset as usize, sec.size as usize);
    Some((&mut buf[o..o + n], sec.addr))
}

/// The output sections being made, and where each synthetic one is.
pub(crate) struct Added<'a> {
    pub(crate) sections: &'a mut Vec<OutputSection>,
    pub(crate) sec_idx: &'a mut crate::layout::SynthIdx,
}

impl Added<'_> {
    /// Appends synthetic output section `os`, noting where it is.
    fn add(&mut self, os: OutputSection) {
        self.sec_idx.insert(os.synth, self.sections.len() as u32);
        self.sections.push(os);
    }
}

/// A synthetic output section of `size` bytes (and `entsize`).
#[allow(clippy::too_many_arguments)]
fn section(
    name: &[u8],
    synth: Synth,
    sh_type: u32,
    flags: u64,
    align: u64,
    rank: u32,
    size: u64,
    entsize: u64,
) -> OutputSection {
    let mut s = OutputSection::new(name, synth, sh_type, flags, align, rank);
    s.size = size;
    s.entsize = entsize;
    s
}

const A: u64 = elf::SHF_ALLOC as u64;
const AW: u64 = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;
