//! `.interp`, the notes (`.note.gnu.property`, `.note.gnu.build-id`,
//! `.note.package`) and `.comment`: their contents decided, their sizes,
//! their bytes (the build ID's hash once the image is complete).

use super::{section, Added, A};
use crate::arch::{Arch, Native};
use crate::layout::{align_up, Layout, LinkInput, Synth};
use crate::options::{BuildId, Options, OutputKind};
use crate::resolve::Resolved;
use crate::write::w32;
use object::elf;
use rayon::prelude::*;

/// The note type of `--package-metadata` (systemd's packaging metadata).
const NT_FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;

/// `.note.gnu.property`'s contents: the inputs' properties combined (the
/// PLT, if any, takes part), then what `-z x86-64-*` and `-z shstk` force.
pub(crate) fn gnu_properties(inp: &LinkInput, has_plt: bool) -> Vec<(u32, u32)> {
    let opts = inp.opts;
    let res = inp.res;
    Native::force_gnu_properties(
        Native::combine_gnu_properties(
            res.objects.iter().map(|o| o.gnu_properties.as_deref()),
            has_plt,
        ),
        opts.x86_isa_needed,
        opts.z_shstk,
    )
}

/// `.comment`'s contents: our name first, then the inputs' strings, each
/// once, in command-line order; `Comments` holds the inputs and, in a
/// concurrent link, the fold made ahead over a prefix of them.
pub(crate) fn comment(res: &Resolved, comments: Comments) -> Vec<u8> {
    let Comments { inputs, ahead } = comments;
    let mut fold = match ahead {
        Some(a) if a.upto <= inputs.len() => a,
        _ => CommentFold::new(),
    };
    fold.feed(res, &inputs);
    fold.bytes
}

/// The input `.comment` sections, (file, section) in command-line order,
/// and `.comment` folded ahead over the first of them (`LayoutAhead`).
#[derive(Default)]
pub(crate) struct Comments {
    pub(crate) inputs: Vec<(usize, usize)>,
    pub(crate) ahead: Option<CommentFold>,
}

impl Comments {
    /// Folds ahead up to input `upto` (while a gap is open, up to its
    /// place: inputs come in there when it is filled, and a fold back to
    /// it truncates to there).
    pub(crate) fn fold_ahead(&mut self, res: &Resolved, upto: usize) {
        let fold = self.ahead.get_or_insert_with(CommentFold::new);
        fold.feed(res, &self.inputs[..upto.min(self.inputs.len())]);
    }
}

/// `.comment` made from the first `upto` inputs: the bytes, the strings in
/// them, the last input's contents (most objects' are the one before's:
/// compared whole, not string by string through the set). Owned copies:
/// a few distinct strings in a link.
pub(crate) struct CommentFold {
    upto: usize,
    bytes: Vec<u8>,
    seen: std::collections::HashSet<Vec<u8>>,
    last: Vec<u8>,
}

impl CommentFold {
    fn new() -> CommentFold {
        let ours = format!(
            "cld {} (compatible with GNU linkers)",
            env!("CARGO_PKG_VERSION")
        );
        let mut bytes = ours.clone().into_bytes();
        bytes.push(0);
        CommentFold {
            upto: 0,
            bytes,
            seen: std::iter::once(ours.into_bytes()).collect(),
            last: Vec::new(),
        }
    }

    /// Adds `inputs` from `upto` on.
    fn feed(&mut self, res: &Resolved, inputs: &[(usize, usize)]) {
        for &(f, si) in inputs.get(self.upto..).unwrap_or_default() {
            let data = res.objects[f].section_data(si);
            if data == self.last.as_slice() {
                continue;
            }
            self.last = data.to_vec();
            for s in data.split(|&b| b == 0) {
                if !s.is_empty() && !self.seen.contains(s) {
                    self.seen.insert(s.to_vec());
                    self.bytes.extend_from_slice(s);
                    self.bytes.push(0);
                }
            }
        }
        self.upto = self.upto.max(inputs.len());
    }
}

/// `.interp`'s contents (executables): the dynamic linker's path.
pub(crate) fn interp(opts: &Options) -> Option<Vec<u8>> {
    let kind = opts.output_kind;
    if kind == OutputKind::Pie || kind == OutputKind::Exec {
        let mut p = opts
            .dynamic_linker
            .clone()
            .unwrap_or_else(|| Native::DYNAMIC_LINKER.into())
            .into_bytes();
        p.push(0);
        Some(p)
    } else {
        None
    }
}

/// The build ID's length (`--build-id`), 0 for none.
pub(crate) fn build_id_len(opts: &Options) -> usize {
    match &opts.build_id {
        BuildId::None => 0,
        BuildId::Hash { len } => *len,
        BuildId::Uuid => 16,
        BuildId::Hex(h) => h.len(),
    }
}

/// `.interp` and the notes: GNU properties, build ID, package metadata.
pub(crate) fn add(
    opts: &Options,
    out: &mut Added,
    interp: &Option<Vec<u8>>,
    gnu_properties: &[(u32, u32)],
    build_id_len: usize,
) {
    if let Some(p) = &interp {
        let size = p.len() as u64;
        out.add(section(
            b".interp",
            Synth::Interp,
            elf::SHT_PROGBITS,
            A,
            1,
            100,
            size,
            0,
        ));
    }
    if !gnu_properties.is_empty() {
        let size = gnu_property_note_size(gnu_properties.len());
        let s = section(
            b".note.gnu.property",
            Synth::GnuProperty,
            elf::SHT_NOTE,
            A,
            8,
            108,
            size,
            0,
        );
        out.add(s);
    }
    if build_id_len > 0 {
        let size = 16 + align_up(build_id_len as u64, 4);
        let s = section(
            b".note.gnu.build-id",
            Synth::BuildId,
            elf::SHT_NOTE,
            A,
            4,
            109,
            size,
            0,
        );
        out.add(s);
    }
    if let Some(json) = &opts.package_metadata {
        // FDO packaging metadata: a note whose descriptor is the JSON text.
        let size = 16 + align_up(json.len() as u64 + 1, 4);
        let s = section(
            b".note.package",
            Synth::PackageNote,
            elf::SHT_NOTE,
            A,
            4,
            109,
            size,
            0,
        );
        out.add(s);
    }
}

/// `.comment`, last of the allocated synthetic sections' calls.
pub(crate) fn add_comment(out: &mut Added, comment: &[u8]) {
    let flags = (elf::SHF_MERGE | elf::SHF_STRINGS) as u64;
    let size = comment.len() as u64;
    out.add(section(
        b".comment",
        Synth::Comment,
        elf::SHT_PROGBITS,
        flags,
        1,
        600,
        size,
        1,
    ));
}

/// `.interp`'s bytes.
pub(crate) fn write_interp(l: &Layout, b: &mut [u8]) {
    if let Some(p) = &l.interp {
        b.copy_from_slice(p);
    }
}

/// `.note.package`'s bytes.
pub(crate) fn write_package_note(opts: &Options, b: &mut [u8]) {
    if let Some(json) = &opts.package_metadata {
        w32(b, 0, 4);
        // The descriptor's size counts its padding, as GNU ld writes it.
        w32(b, 4, (json.len() as u32 + 1).next_multiple_of(4));
        w32(b, 8, NT_FDO_PACKAGING_METADATA);
        b[12..16].copy_from_slice(b"FDO\0");
        b[16..16 + json.len()].copy_from_slice(json.as_bytes());
    }
}

/// `.note.gnu.build-id`'s header; the hash itself is written once the
/// image is complete (`write_build_id`).
pub(crate) fn write_build_id_header(l: &Layout, b: &mut [u8]) {
    w32(b, 0, 4);
    w32(b, 4, l.build_id_len as u32);
    w32(b, 8, elf::NT_GNU_BUILD_ID);
    b[12..16].copy_from_slice(b"GNU\0");
}

/// The bytes of a `.note.gnu.property` section with 4-byte `props`
/// (`gnu_property_note_size` of them).
pub(crate) fn write_gnu_property_note(b: &mut [u8], props: &[(u32, u32)]) {
    w32(b, 0, 4);
    w32(b, 4, 16 * props.len() as u32);
    w32(b, 8, elf::NT_GNU_PROPERTY_TYPE_0);
    b[12..16].copy_from_slice(b"GNU\0");
    for (i, &(t, v)) in props.iter().enumerate() {
        let o = 16 + 16 * i;
        w32(b, o, t);
        w32(b, o + 4, 4);
        w32(b, o + 8, v);
        w32(b, o + 12, 0);
    }
}

pub(crate) fn gnu_property_note_size(n_props: usize) -> u64 {
    16 + 16 * n_props as u64
}

/// The build ID, hashed over the complete image (or given in hex).
pub(crate) fn write_build_id(opts: &Options, l: &Layout, buf: &mut [u8]) {
    let Some(sec) = l.sec(Synth::BuildId) else {
        return;
    };
    let desc = sec.offset as usize + 16;
    let n = l.build_id_len;
    match &opts.build_id {
        BuildId::Hex(h) => buf[desc..desc + n].copy_from_slice(h),
        _ => {
            // Hash the image in 1 MiB chunks in parallel, then the chunk hashes.
            let chunk_hashes: Vec<u128> = buf
                .par_chunks(1 << 20)
                .map(xxhash_rust::xxh3::xxh3_128)
                .collect();
            let mut all = Vec::with_capacity(chunk_hashes.len() * 16);
            for h in &chunk_hashes {
                all.extend_from_slice(&h.to_le_bytes());
            }
            let h1 = xxhash_rust::xxh3::xxh3_128(&all);
            let h2 = xxhash_rust::xxh3::xxh3_128_with_seed(&all, 0x636c64);
            let mut id = h1.to_le_bytes().to_vec();
            id.extend_from_slice(&h2.to_le_bytes());
            if matches!(opts.build_id, BuildId::Uuid) {
                id[6] = (id[6] & 0x0f) | 0x40;
                id[8] = (id[8] & 0x3f) | 0x80;
            }
            let n = n.min(id.len());
            buf[desc..desc + n].copy_from_slice(&id[..n]);
        }
    }
}
