//! Pass: merged strings. The strings of `SHF_MERGE|SHF_STRINGS` input
//! sections (split into pieces and hashed at ingest) are laid out once per
//! output section; the first occurrence in command-line order takes the
//! slot, so the result does not depend on thread timing.

use super::{align_up, OutputSection};
use crate::resolve::Resolved;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A merge-string piece keyed by the hash computed at ingest (so layout
/// does not hash the strings again) and compared by contents.
#[derive(Clone, Copy)]
pub(crate) struct PieceKey {
    pub(crate) hash: u64,
    pub(crate) bytes: &'static [u8],
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

/// The pass: the contents of each merge-string output section, every
/// distinct string once (the first occurrence in command-line order takes
/// the slot), which places those input sections at offset 0. Returns each
/// piece's offset in its output section (per file, per piece).
pub(crate) fn merge_strings(
    res: &Resolved,
    merge_secs: &[(u32, usize, usize)],
    sections: &mut [OutputSection],
    placement: &mut [Vec<(u32, u64)>],
) -> Vec<Vec<u64>> {
    // Merged strings: first occurrence in command-line order gets the slot.
    let mut piece_out: Vec<Vec<u64>> = res
        .objects
        .iter()
        .map(|o| vec![0; o.pieces.len()])
        .collect();
    let mut merge_maps: HashMap<u32, HashMap<PieceKey, u64, BuildHasherDefault<PassHasher>>> =
        HashMap::new();
    for &(oi, f, si) in merge_secs {
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
    piece_out
}
