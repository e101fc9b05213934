//! `.hash` (SysV) and `.gnu.hash`: which the output has, their geometry
//! (`.gnu.hash`'s bucket count, its exports after `gnu_hash_first`),
//! sizes and bytes.

use super::{section, Added, A};
use crate::layout::{self, Layout, Synth};
use crate::options::Options;
use crate::resolve::Resolved;
use crate::write::{w32, w64};
use object::elf;

/// `.gnu.hash`'s bucket count for `n_exports` hashed symbols.
pub(crate) fn gnu_hash_buckets(n_exports: u32) -> u32 {
    (n_exports / 4).max(1)
}

/// The hash tables a dynamic output has, sized: `.dynsym` has `ndyn`
/// entries (the null one included), the last `n_exports` hashed in
/// `.gnu.hash`'s `buckets`.
pub(crate) fn add(opts: &Options, out: &mut Added, ndyn: u64, n_exports: u32, buckets: u32) {
    let (sysv_hash, gnu_hash) = hash_tables(opts);
    if sysv_hash {
        let size = 4 * (2 + ndyn + ndyn);
        out.add(section(
            b".hash",
            Synth::Hash,
            elf::SHT_HASH,
            A,
            8,
            120,
            size,
            4,
        ));
    }
    if gnu_hash {
        let bloom = 1u64;
        let size = 16 + 8 * bloom + 4 * buckets as u64 + 4 * n_exports as u64;
        out.add(section(
            b".gnu.hash",
            Synth::GnuHash,
            elf::SHT_GNU_HASH,
            A,
            8,
            121,
            size,
            0,
        ));
    }
}

/// Which symbol hash tables a dynamic output has: (`.hash`, `.gnu.hash`).
/// `.gnu.hash` unless only the SysV one is asked for.
pub(crate) fn hash_tables(opts: &Options) -> (bool, bool) {
    let h = &opts.hash_style;
    (h.sysv, h.gnu || !h.sysv)
}

/// `.gnu.hash`'s bytes: one bloom word, the buckets, the chains.
pub(crate) fn write_gnu_hash(res: &Resolved, l: &Layout, b: &mut [u8]) {
    let nb = l.gnu_hash_buckets;
    let first = l.gnu_hash_first;
    w32(b, 0, nb);
    w32(b, 4, first);
    w32(b, 8, 1);
    w32(b, 12, 26);
    let exports = &l.dynsyms[(first - 1) as usize..];
    let mut bloom = 0u64;
    let hashes: Vec<u32> = exports
        .iter()
        .map(|&id| layout::gnu_hash(layout::dynsym_name(res, id)))
        .collect();
    for &h in &hashes {
        bloom |= 1u64 << (h % 64);
        bloom |= 1u64 << ((h >> 26) % 64);
    }
    w64(b, 16, bloom);
    let bucket_off = 24;
    let chain_off = bucket_off + 4 * nb as usize;
    for (i, &h) in hashes.iter().enumerate() {
        let bk = (h % nb) as usize;
        let cur = u32::from_le_bytes(
            b[bucket_off + 4 * bk..bucket_off + 4 * bk + 4]
                .try_into()
                .unwrap(),
        );
        if cur == 0 {
            w32(b, bucket_off + 4 * bk, first + i as u32);
        }
        let last = i + 1 == hashes.len() || hashes[i + 1] % nb != h % nb;
        w32(b, chain_off + 4 * i, (h & !1) | last as u32);
    }
}

/// `.hash`'s bytes: as many buckets as symbols.
pub(crate) fn write_sysv_hash(res: &Resolved, l: &Layout, b: &mut [u8]) {
    let n = l.dynsyms.len() + 1;
    let nb = n;
    w32(b, 0, nb as u32);
    w32(b, 4, n as u32);
    let mut buckets = vec![0u32; nb];
    let mut chains = vec![0u32; n];
    for (i, &id) in l.dynsyms.iter().enumerate() {
        let idx = i + 1;
        let h = layout::elf_hash(layout::dynsym_name(res, id)) as usize % nb;
        chains[idx] = buckets[h];
        buckets[h] = idx as u32;
    }
    for (i, v) in buckets.iter().chain(chains.iter()).enumerate() {
        w32(b, 8 + 4 * i, *v);
    }
}
