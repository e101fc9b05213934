//! Pass: merged strings. The strings of `SHF_MERGE|SHF_STRINGS` input
//! sections (split into pieces and hashed at ingest) are laid out once per
//! output section; the first occurrence in command-line order takes the
//! slot, so the result does not depend on thread timing.
//!
//! Being a fold over the inputs in command-line order, it can be done
//! ahead for a prefix of them (`MergeAhead`, part of `LayoutAhead`), and
//! the wait's pass goes on from it with the inputs after the prefix: for
//! an output section that holds merged strings only (otherwise they
//! follow its other inputs, which the prefix does not fix).

use super::output_sections::{FileDests, SectionKey};
use super::{align_up, OutputSection};
use crate::object_file::{ObjectFile, SectionKind};
use crate::resolve::Resolved;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A merge-string piece keyed by the hash computed at ingest (so layout
/// does not hash the strings again) and compared by contents.
#[derive(Clone, Copy)]
pub(super) struct PieceKey {
    pub(super) hash: u64,
    pub(super) bytes: &'static [u8],
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
pub(crate) struct PassHasher(u64);

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

/// One output section's merged strings so far: the distinct strings and
/// their offsets, and its size.
#[derive(Default)]
struct Merged {
    map: HashMap<PieceKey, u64, BuildHasherDefault<PassHasher>>,
    size: u64,
    strings: Vec<(&'static [u8], u64)>,
}

impl Merged {
    /// Adds the pieces of merge section `si` of `o` (file `f`), recording
    /// each one's offset in `piece_out`.
    fn add(&mut self, o: &ObjectFile, si: usize, piece_out: &mut [u64]) {
        let data = o.section_data(si);
        let align = o.sections[si].align();
        for pi in o.sections[si].pieces.clone() {
            let p = &o.pieces[pi as usize];
            let bytes = &data[p.offset as usize..(p.offset + p.len) as usize];
            let key = PieceKey {
                hash: p.hash,
                bytes,
            };
            let off = match self.map.get(&key) {
                Some(&off) => off,
                None => {
                    let off = align_up(self.size, align);
                    self.map.insert(key, off);
                    self.strings.push((bytes, off));
                    self.size = off + bytes.len() as u64;
                    off
                }
            };
            piece_out[pi as usize] = off;
        }
    }
}

/// The merged strings of the first `files` inputs (objects, in resolution
/// order), per output section key, made before the wait.
#[derive(Default)]
pub struct MergeAhead {
    files: usize,
    outs: HashMap<SectionKey, Merged, BuildHasherDefault<crate::resolve::NameHasher>>,
    piece_out: Vec<Vec<u64>>,
}

impl MergeAhead {
    /// Adds the objects of `res` (a resolution so far) after those already
    /// in, in order; `dests`: where each one's live sections go.
    pub(super) fn feed(&mut self, res: &Resolved, dests: &[FileDests]) {
        for (f, o) in res.objects.iter().enumerate().skip(self.files) {
            let mut piece_out = vec![0; o.pieces.len()];
            for d in &dests[f].sections {
                if d.unique || o.sections[d.si as usize].kind != SectionKind::MergeStrings {
                    continue;
                }
                self.outs
                    .entry(d.key())
                    .or_default()
                    .add(o, d.si as usize, &mut piece_out);
            }
            self.piece_out.push(piece_out);
        }
        self.files = res.objects.len();
    }
}

/// The pass: the contents of each merge-string output section, every
/// distinct string once (the first occurrence in command-line order takes
/// the slot), which places those input sections at offset 0. Returns each
/// piece's offset in its output section (per file, per piece). `ahead`:
/// the same made for a prefix of the inputs (`MergeAhead`); an output
/// section that holds only merged strings goes on from it.
pub(super) fn merge_strings(
    res: &Resolved,
    merge_secs: &[(u32, usize, usize)],
    sections: &mut [OutputSection],
    placement: &mut [Vec<(u32, u64)>],
    by_name: &super::output_sections::ByName,
    ahead: Option<MergeAhead>,
) -> Vec<Vec<u64>> {
    let mut merged: HashMap<u32, Merged> = HashMap::new();
    // Output sections taken over from `ahead`: the prefix's files are in.
    let mut done_files = 0;
    let mut adopted: Vec<bool> = vec![false; sections.len()];
    let mut piece_out: Vec<Vec<u64>> = Vec::with_capacity(res.objects.len());
    if let Some(a) = ahead {
        done_files = a.files.min(res.objects.len());
        for (key, m) in a.outs {
            let Some(&oi) = by_name.get(&key) else {
                continue;
            };
            if sections[oi as usize].size == 0 && sections[oi as usize].inputs.is_empty() {
                adopted[oi as usize] = true;
                merged.insert(oi, m);
            }
        }
        piece_out = a.piece_out;
        piece_out.truncate(done_files);
    }
    for o in &res.objects[piece_out.len()..] {
        piece_out.push(vec![0; o.pieces.len()]);
    }
    for &(oi, f, si) in merge_secs {
        placement[f][si] = (oi, 0);
        if adopted[oi as usize] && f < done_files {
            continue;
        }
        let m = merged.entry(oi).or_insert_with(|| Merged {
            // After the section's other inputs, if any.
            size: sections[oi as usize].size,
            ..Default::default()
        });
        m.add(&res.objects[f], si, &mut piece_out[f]);
    }
    for (oi, m) in merged {
        let os = &mut sections[oi as usize];
        os.size = m.size;
        os.merged = m.strings;
    }
    piece_out
}
