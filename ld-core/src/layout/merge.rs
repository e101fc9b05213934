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
//!
//! The pass gives the fold's result in parallel (`fold`): the
//! pieces are grouped by hash in shards, each shard going through its
//! pieces in command-line order to find each group's first occurrence;
//! every piece is checked to equal its group's first, and the groups take
//! their offsets in order of first occurrence. Should two different
//! strings share a hash, it folds one piece at a time instead.

use super::output_sections::{FileDests, SectionKey};
use super::{align_up, OutputSection};
use crate::object_file::{ObjectFile, Piece, SectionKind};
use crate::resolve::Resolved;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::ops::Range;

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

/// A merge input section: its output section (`slot`, an index among
/// those the pass makes), file, alignment, contents, and pieces
/// (`ObjectFile::pieces[first..]`).
#[derive(Clone, Copy)]
struct Item<'a> {
    slot: u32,
    f: u32,
    align: u64,
    data: &'static [u8],
    first: usize,
    pieces: &'a [Piece],
}

impl<'a> Item<'a> {
    fn new(o: &'a ObjectFile, f: usize, si: usize, slot: u32) -> Self {
        let s = &o.sections[si];
        let range = o.piece_range(si);
        Item {
            slot,
            f: f as u32,
            align: s.align(),
            data: o.section_data(si),
            first: range.start,
            pieces: &o.pieces[range],
        }
    }

    /// Piece `k`'s bytes.
    fn bytes(&self, k: usize) -> &'static [u8] {
        crate::object_file::piece_in(self.data, self.pieces, k)
    }
}

/// One output section's merged strings so far: the distinct strings and
/// their offsets, and its size.
#[derive(Default)]
struct Merged {
    map: HashMap<PieceKey, u64, BuildHasherDefault<PassHasher>>,
    size: u64,
    strings: Vec<(crate::name::Name, u64)>,
}

impl Merged {
    /// Adds the pieces of `it`, recording each one's offset in
    /// `piece_out` (its file's).
    fn add(&mut self, it: &Item, piece_out: &mut [u64]) {
        for (k, p) in it.pieces.iter().enumerate() {
            let bytes = it.bytes(k);
            let key = PieceKey {
                hash: p.hash(),
                bytes,
            };
            // One probe: most pieces are new (a debug string table's).
            let off = match self.map.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let off = align_up(self.size, it.align);
                    v.insert(off);
                    self.strings.push((bytes.into(), off));
                    self.size = off + bytes.len() as u64;
                    off
                }
            };
            piece_out[it.first + k] = off;
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
    /// Where they stood at a gap's place, while the objects after it are
    /// added as if it had no strings (see `output_sections::JoinMark`).
    mark: Option<MergeMark>,
}

/// The merged strings at a gap's place: its file id; per output section
/// key, the size and how many strings then; per key, the largest
/// alignment of the sections added since.
struct MergeMark {
    gap: usize,
    per_key: HashMap<SectionKey, (u64, usize)>,
    align: HashMap<SectionKey, u64>,
}

impl MergeMark {
    /// An output section's size and how many strings it had at the mark
    /// (none if it was not made yet).
    fn at(&self, key: &SectionKey) -> (u64, usize) {
        self.per_key.get(key).copied().unwrap_or((0, 0))
    }
}

/// What the gap's object adds to one output section's merged strings
/// (`MergeAhead::splice`): its new strings and their offsets, in order
/// (and by contents), where they end, and which of them were first seen
/// after it.
struct GapStrings {
    new: Vec<(PieceKey, u64)>,
    index: HashMap<PieceKey, u64, BuildHasherDefault<PassHasher>>,
    end: u64,
    /// Strings first seen after the gap: (offset then, size, offset in
    /// the gap's part).
    moved: Vec<(u64, u64, u64)>,
}

impl MergeAhead {
    /// Object `f`'s piece offsets (empty if it is not in).
    pub(super) fn piece_row(&self, f: usize) -> &[u64] {
        self.piece_out.get(f).map_or(&[], |r| r.as_slice())
    }

    /// Adds the objects of `res` (a resolution so far) after those already
    /// in, in order; `dests`: where each one's live sections go.
    pub(super) fn feed(&mut self, res: &Resolved, dests: &[FileDests]) {
        for (f, o) in res.objects[..dests.len()]
            .iter()
            .enumerate()
            .skip(self.files)
        {
            let mut piece_out = vec![0; o.pieces.len()];
            for (key, si) in merged_here(o, &dests[f]) {
                let m = self.outs.entry(key).or_default();
                let it = Item::new(o, f, si, 0);
                m.add(&it, &mut piece_out);
                if let Some(mark) = &mut self.mark {
                    let a = mark.align.entry(key).or_insert(1);
                    *a = (*a).max(it.align);
                }
            }
            self.piece_out.push(piece_out);
        }
        self.files = dests.len();
    }

    /// Marks the place of object `gap` (the next one, not in yet), whose
    /// strings are added later (`splice`) or not (`truncate`).
    pub(super) fn mark(&mut self, gap: usize) {
        let per_key = (self.outs.iter())
            .map(|(k, m)| (*k, (m.size, m.strings.len())))
            .collect();
        self.mark = Some(MergeMark {
            gap,
            per_key,
            align: HashMap::new(),
        });
    }

    /// Back to the mark: the objects from the gap on are out.
    pub(super) fn truncate(&mut self) {
        let Some(mark) = self.mark.take() else {
            return;
        };
        self.outs.retain(|k, m| match mark.per_key.get(k) {
            Some(&(size, n)) => {
                m.map.retain(|_, off| *off < size);
                m.strings.truncate(n);
                m.size = size;
                true
            }
            None => false,
        });
        self.piece_out.truncate(mark.gap);
        self.files = mark.gap;
    }

    /// Adds the strings of the gap's object (`dests`: every object's
    /// destinations, the gap's at its place) where a fold in order adds
    /// them, and moves those added after it: by the room its new strings
    /// take, less the strings it has that were first seen after it (those
    /// move to its part). False, with nothing changed, where that is not
    /// the fold's result: the sections after it are aligned (to more than
    /// a byte) and either it has such strings, or the room it takes is
    /// not a multiple of their alignment.
    pub(super) fn splice(&mut self, res: &Resolved, dests: &[FileDests]) -> bool {
        let Some(mark) = self.mark.take() else {
            return true;
        };
        let gap = mark.gap;
        let o = &res.objects[gap];
        let mut row = vec![0; o.pieces.len()];
        let mut adds: HashMap<SectionKey, GapStrings> = HashMap::new();
        for (key, si) in merged_here(o, &dests[gap]) {
            let size = mark.at(&key).0;
            let it = Item::new(o, gap, si, 0);
            let add = adds.entry(key).or_insert_with(|| GapStrings {
                new: Vec::new(),
                index: HashMap::default(),
                end: size,
                moved: Vec::new(),
            });
            let m = self.outs.get(&key);
            for (k, p) in it.pieces.iter().enumerate() {
                let pk = PieceKey {
                    hash: p.hash(),
                    bytes: it.bytes(k),
                };
                let was = match m.and_then(|m| m.map.get(&pk)) {
                    Some(&off) if off < size => {
                        row[it.first + k] = off;
                        continue;
                    }
                    was => was.copied(),
                };
                row[it.first + k] = match add.index.get(&pk) {
                    Some(&off) => off,
                    None => {
                        let off = align_up(add.end, it.align);
                        add.index.insert(pk, off);
                        add.new.push((pk, off));
                        add.end = off + pk.bytes.len() as u64;
                        if let Some(was) = was {
                            add.moved.push((was, pk.bytes.len() as u64, off));
                        }
                        off
                    }
                };
            }
        }
        // Per output section, how the strings after the gap's move.
        let mut shifts: HashMap<SectionKey, Shift> = HashMap::new();
        for (key, add) in &mut adds {
            let (size, n) = mark.at(key);
            let after = self.outs.get(key).is_some_and(|m| m.strings.len() > n);
            if !after {
                continue;
            }
            let a = mark.align.get(key).copied().unwrap_or(1);
            if a > 1
                && (!add.moved.is_empty() || !size.is_multiple_of(a) || !add.end.is_multiple_of(a))
            {
                self.mark = Some(mark);
                return false;
            }
            add.moved.sort_unstable();
            let mut removed = 0;
            let before = (add.moved.iter())
                .map(|&(_, len, _)| {
                    removed += len;
                    removed - len
                })
                .collect();
            shifts.insert(
                *key,
                Shift {
                    from: size,
                    by: add.end - size,
                    moved: std::mem::take(&mut add.moved),
                    before,
                    removed,
                },
            );
        }
        for (key, add) in adds {
            let (size, n) = mark.at(&key);
            let m = self.outs.entry(key).or_default();
            match shifts.get(&key) {
                Some(sh) => {
                    for off in m.map.values_mut().filter(|off| **off >= size) {
                        *off = sh.map(*off);
                    }
                    let mut k = n;
                    for i in n..m.strings.len() {
                        let s = m.strings[i];
                        if sh.moved.binary_search_by_key(&s.1, |m| m.0).is_err() {
                            m.strings[k] = (s.0, sh.map(s.1));
                            k += 1;
                        }
                    }
                    m.strings.truncate(k);
                    m.size = m.size + sh.by - sh.removed;
                }
                None => m.size = m.size.max(add.end),
            }
            let new = add.new.iter().map(|(pk, off)| (pk.bytes.into(), *off));
            m.strings.splice(n..n, new);
            m.map.extend(add.new);
        }
        self.piece_out[gap] = row;
        if !shifts.is_empty() {
            let files = self.files.min(dests.len());
            let (rows, objects) = (
                &mut self.piece_out[gap + 1..files],
                &res.objects[gap + 1..files],
            );
            rows.par_iter_mut()
                .zip(objects)
                .zip(&dests[gap + 1..files])
                .for_each(|((row, o), d)| {
                    for (key, si) in merged_here(o, d) {
                        let Some(sh) = shifts.get(&key) else {
                            continue;
                        };
                        for off in &mut row[o.piece_range(si)] {
                            if *off >= sh.from {
                                *off = sh.map(*off);
                            }
                        }
                    }
                });
        }
        true
    }
}

/// How the strings of an output section added after a gap move when its
/// object's are added (`MergeAhead::splice`), all of them aligned to a
/// byte if some are `moved` into its part.
struct Shift {
    /// The strings from this offset on...
    from: u64,
    /// ...move by this much (the room the gap's new strings take)...
    by: u64,
    /// ...less the room of those before them that move to the gap's part:
    /// (offset, size, offset in the gap's part), by offset; `before`, the
    /// sizes of those before each summed; `removed`, of all.
    moved: Vec<(u64, u64, u64)>,
    before: Vec<u64>,
    removed: u64,
}

impl Shift {
    /// A string's offset after the move (`off` at least `from`).
    fn map(&self, off: u64) -> u64 {
        match self.moved.binary_search_by_key(&off, |m| m.0) {
            Ok(i) => self.moved[i].2,
            Err(i) => {
                let gone = self.before.get(i).copied().unwrap_or(self.removed);
                off + self.by - gone
            }
        }
    }
}

/// The live sections of object `o` (going to `dests`) whose strings the
/// merged strings ahead take: their output section's key, their index.
fn merged_here<'a>(
    o: &'a ObjectFile,
    dests: &'a FileDests,
) -> impl Iterator<Item = (SectionKey, usize)> + 'a {
    dests.sections.iter().filter_map(move |d| {
        let out = dests.out(d);
        let merged = !out.unique && o.sections[d.si as usize].kind == SectionKind::MergeStrings;
        merged.then(|| (out.key(), d.si as usize))
    })
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
    // Per output section made (a slot): its index, and its merged strings.
    let mut slots: Vec<u32> = Vec::new();
    let mut merged: Vec<Merged> = Vec::new();
    let mut slot_of = vec![u32::MAX; sections.len()];
    // Output sections taken over from `ahead`: the prefix's files are in.
    let mut done_files = 0;
    let mut adopted = vec![false; sections.len()];
    let mut piece_out: Vec<Vec<u64>> = Vec::with_capacity(res.objects.len());
    if let Some(a) = ahead {
        done_files = a.files.min(res.objects.len());
        for (key, m) in a.outs {
            let Some(&oi) = by_name.get(&key) else {
                continue;
            };
            if sections[oi as usize].size == 0 && sections[oi as usize].inputs.is_empty() {
                adopted[oi as usize] = true;
                slot_of[oi as usize] = slots.len() as u32;
                slots.push(oi);
                merged.push(m);
            }
        }
        piece_out = a.piece_out;
        piece_out.truncate(done_files);
    }
    for o in &res.objects[piece_out.len()..] {
        piece_out.push(vec![0; o.pieces.len()]);
    }
    let mut items = Vec::with_capacity(merge_secs.len());
    for &(oi, f, si) in merge_secs {
        placement[f][si] = (oi, 0);
        if adopted[oi as usize] && f < done_files {
            continue;
        }
        if slot_of[oi as usize] == u32::MAX {
            slot_of[oi as usize] = slots.len() as u32;
            slots.push(oi);
            merged.push(Merged {
                // After the section's other inputs, if any.
                size: sections[oi as usize].size,
                ..Default::default()
            });
        }
        items.push(Item::new(&res.objects[f], f, si, slot_of[oi as usize]));
    }
    add_all(&items, &mut merged, &mut piece_out);
    for (oi, m) in slots.into_iter().zip(merged) {
        let os = &mut sections[oi as usize];
        os.size = m.size;
        os.merged = m.strings;
    }
    piece_out
}

/// Shards of the table of strings by hash: a piece goes to the one its
/// hash picks, and each shard goes through its pieces in command-line
/// order, all shards in parallel.
const SHARDS: usize = 16;

/// The shard of a piece's hash: its low bits (a shard's table places by
/// the top ones).
fn shard_of(hash: u64) -> usize {
    hash as usize % SHARDS
}

/// In a shard's ids: the piece is its group's first occurrence.
const FIRST: u32 = 1 << 31;

/// A string's offset not assigned yet.
const NEW: u64 = u64::MAX;

/// A chunk's first occurrences of groups, per slot: item and piece in it,
/// in order.
type Firsts = Vec<Vec<(u32, u32)>>;

/// A chunk of the items (`range`) and its pieces dealt to the shards:
/// `refs[starts[s]..starts[s + 1]]` are shard `s`'s, in order, as
/// positions among the chunk's pieces; the shard puts each one's group
/// there instead (`Shard`).
struct Dealt {
    range: Range<usize>,
    refs: Vec<u32>,
    starts: [usize; SHARDS + 1],
}

/// A shard's groups of pieces (same hash and output section), by id in
/// order of first occurrence: where the first one is (item and piece in
/// it, `locate`), and the offset (`NEW` until assigned, unless laid out
/// ahead).
#[derive(Default)]
struct Shard {
    firsts: Vec<u64>,
    offsets: Vec<u64>,
}

/// Item `i`'s piece `k`, as `Shard::firsts` holds it (8 bytes where the
/// string's slice would take 16).
fn locate(i: usize, k: usize) -> u64 {
    (i as u64) << 32 | k as u64
}

/// The string of a piece `locate` gave.
fn located(items: &[Item], loc: u64) -> &'static [u8] {
    let it = &items[(loc >> 32) as usize];
    it.bytes(loc as u32 as usize)
}

/// Below this many pieces per thread beyond the first, one thread adds
/// them faster than the parallel fold, whose passes each go over all the
/// pieces. On two threads: a Lua link's 9,700 pieces took 0.38 ms one at
/// a time against 0.5-1.2 in the fold, a 3,000-module program's 100,000
/// 5 ms either way, ripgrep debug's 291,000 17.5 ms against 11.
const FOLD_MIN_PIECES: usize = 100_000;

/// Adds the pieces of `items` (in command-line order) to `outs` (per
/// slot), each piece's offset into `piece_out` (per file): in parallel
/// (`fold`), or one piece at a time on one thread (`--threads=1`, few
/// pieces) or should that not do.
fn add_all(items: &[Item], outs: &mut [Merged], piece_out: &mut [Vec<u64>]) {
    let pieces: usize = items.iter().map(|it| it.pieces.len()).sum();
    let extra_threads = rayon::current_num_threads() - 1;
    let parallel = pieces * extra_threads >= FOLD_MIN_PIECES;
    if !parallel || !fold(items, outs, piece_out) {
        for it in items {
            outs[it.slot as usize].add(it, &mut piece_out[it.f as usize]);
        }
    }
}

/// What adding the pieces one by one does, in parallel: the pieces are
/// dealt to the shards (per chunk of the items); each shard groups its
/// pieces and finds the groups' first occurrences; each chunk checks its
/// pieces against their groups' first and lists the first occurrences;
/// the groups take their offsets in order of first occurrence (`place`);
/// then the pieces take their groups'. False, with `outs` unchanged, if a
/// group holds different strings (or `items` is not in file order, as
/// `join` lists the merge sections: the chunks' files must not overlap).
fn fold(items: &[Item], outs: &mut [Merged], piece_out: &mut [Vec<u64>]) -> bool {
    if items.windows(2).any(|w| w[0].f > w[1].f) {
        return false;
    }
    let mut dealt: Vec<Dealt> = chunks(items)
        .into_par_iter()
        .map(|r| deal(items, r))
        .collect();
    // Each shard's refs, chunk after chunk.
    let mut per_shard: Vec<Vec<(&Range<usize>, &mut [u32])>> = (0..SHARDS)
        .map(|_| Vec::with_capacity(dealt.len()))
        .collect();
    for d in &mut dealt {
        let mut rest = &mut d.refs[..];
        for (s, refs) in per_shard.iter_mut().enumerate() {
            let (mine, tail) =
                std::mem::take(&mut rest).split_at_mut(d.starts[s + 1] - d.starts[s]);
            refs.push((&d.range, mine));
            rest = tail;
        }
    }
    let mut shards: Vec<Shard> = {
        let outs = &*outs;
        per_shard
            .into_par_iter()
            .map(|refs| group(items, refs, outs))
            .collect()
    };
    let firsts: Option<Vec<Firsts>> = dealt
        .par_iter()
        .zip(split_files(items, &dealt, piece_out))
        .map(|(d, out)| check(items, d, &shards, outs.len(), out))
        .collect();
    let Some(firsts) = firsts else {
        return false;
    };
    // Read for the last time: freed before `place` makes the strings' list.
    for d in &mut dealt {
        d.refs = Vec::new();
    }
    place(items, &firsts, &mut shards, outs, piece_out);
    dealt
        .par_iter()
        .zip(split_files(items, &dealt, piece_out))
        .for_each(|(d, out)| {
            let lo = items[d.range.start].f as usize;
            for it in &items[d.range.clone()] {
                let out = &mut out[it.f as usize - lo][it.first..it.first + it.pieces.len()];
                for v in out {
                    *v = shards[(*v >> 32) as usize].offsets[*v as u32 as usize];
                    debug_assert_ne!(*v, NEW);
                }
            }
        });
    true
}

/// Gives the groups first occurring at `firsts` (per chunk, per slot:
/// item and piece in it, in order) their offsets in `shards`, per output
/// section in order as `Merged::add` would (the one sequential step, per
/// distinct string), and lists their strings in `outs`. `piece_out`
/// holds each piece's shard and group (`check`).
fn place(
    items: &[Item],
    firsts: &[Firsts],
    shards: &mut [Shard],
    outs: &mut [Merged],
    piece_out: &[Vec<u64>],
) {
    let group_of = |i: u32, k: u32| {
        let it = &items[i as usize];
        let v = piece_out[it.f as usize][it.first + k as usize];
        ((v >> 32) as usize, v as u32 as usize)
    };
    for (m, out) in outs.iter_mut().enumerate() {
        for &(i, k) in firsts.iter().flat_map(|f| &f[m]) {
            let it = &items[i as usize];
            let off = align_up(out.size, it.align);
            let (s, id) = group_of(i, k);
            shards[s].offsets[id] = off;
            out.size = off + it.bytes(k as usize).len() as u64;
        }
    }
    // The strings in parallel (most of the cost is the new memory).
    for (m, out) in outs.iter_mut().enumerate() {
        let lists: Vec<&[(u32, u32)]> = firsts.iter().map(|f| &f[m][..]).collect();
        // Where each chunk's list starts.
        let mut bases = vec![0];
        for l in &lists {
            bases.push(bases[bases.len() - 1] + l.len());
        }
        let shards = &*shards;
        out.strings
            .par_extend((0..bases[lists.len()]).into_par_iter().map(|j| {
                let c = bases.partition_point(|&b| b <= j) - 1;
                let (i, k) = lists[c][j - bases[c]];
                let it = &items[i as usize];
                let (s, id) = group_of(i, k);
                (it.bytes(k as usize).into(), shards[s].offsets[id])
            }));
    }
}

/// `items` cut into ranges of about equal numbers of pieces, at file
/// boundaries (each range writes its files' piece offsets).
fn chunks(items: &[Item]) -> Vec<Range<usize>> {
    let total: usize = items.iter().map(|it| it.pieces.len()).sum();
    // Enough to share out among the threads, not so many that the shards'
    // lists of them get short.
    let target = (total / (rayon::current_num_threads() * 8)).max(1 << 12);
    let mut chunks = Vec::new();
    let (mut start, mut n) = (0, 0);
    for (i, it) in items.iter().enumerate() {
        if n >= target && items[i - 1].f != it.f {
            chunks.push(start..i);
            (start, n) = (i, 0);
        }
        n += it.pieces.len();
    }
    if start < items.len() {
        chunks.push(start..items.len());
    }
    chunks
}

/// Each chunk's files' piece offsets (from its first file on): chunks do
/// not share files.
fn split_files<'a>(
    items: &[Item],
    dealt: &[Dealt],
    piece_out: &'a mut [Vec<u64>],
) -> Vec<&'a mut [Vec<u64>]> {
    let mut outs = Vec::with_capacity(dealt.len());
    let mut rest = piece_out;
    let mut base = 0;
    for d in dealt {
        let lo = items[d.range.start].f as usize;
        let hi = items[d.range.end - 1].f as usize + 1;
        let (mine, tail) = std::mem::take(&mut rest)[lo - base..].split_at_mut(hi - lo);
        outs.push(mine);
        rest = tail;
        base = hi;
    }
    outs
}

/// The pieces of chunk `range` dealt to the shards, in order.
fn deal(items: &[Item], range: Range<usize>) -> Dealt {
    let mut starts = [0; SHARDS + 1];
    for it in &items[range.clone()] {
        for p in it.pieces {
            starts[shard_of(p.hash()) + 1] += 1;
        }
    }
    for s in 0..SHARDS {
        starts[s + 1] += starts[s];
    }
    let mut next = starts;
    let mut refs = vec![0; starts[SHARDS]];
    let mut pos = 0;
    for it in &items[range.clone()] {
        for p in it.pieces {
            let s = shard_of(p.hash());
            refs[next[s]] = pos;
            next[s] += 1;
            pos += 1;
        }
    }
    Dealt {
        range,
        refs,
        starts,
    }
}

/// Groups a shard's pieces (per chunk, in order) by hash and output
/// section, without looking at the strings (`check` does): puts in place
/// of each one its group's id, with `FIRST` on the first occurrence. A
/// group whose first string was laid out ahead (in `outs`) keeps its
/// offset.
fn group(items: &[Item], per_chunk: Vec<(&Range<usize>, &mut [u32])>, outs: &[Merged]) -> Shard {
    let n: usize = per_chunk.iter().map(|l| l.1.len()).sum();
    // Expecting about half the pieces to repeat others.
    let mut table = Table::with_capacity(n / 2);
    let mut sh = Shard::default();
    for (range, refs) in per_chunk {
        let (mut at, mut ahead) = (Cursor::new(items, range), Cursor::new(items, range));
        for j in 0..refs.len() {
            // The pieces are some way apart: ask for them ahead.
            if let Some(&pos) = refs.get(j + AHEAD) {
                let (_, it, k) = ahead.at(pos);
                prefetch(it.pieces.as_ptr().wrapping_add(k));
            }
            let (i, it, k) = at.at(refs[j]);
            let p = &it.pieces[k];
            let new = sh.firsts.len() as u32;
            refs[j] = match table.find_or_add(p.hash(), it.slot, new) {
                Some(id) => id,
                None => {
                    let bytes = it.bytes(k);
                    sh.firsts.push(locate(i, k));
                    let m = &outs[it.slot as usize].map;
                    let key = PieceKey {
                        hash: p.hash(),
                        bytes,
                    };
                    match m.get(&key) {
                        Some(&off) => {
                            sh.offsets.push(off);
                            new
                        }
                        None => {
                            sh.offsets.push(NEW);
                            new | FIRST
                        }
                    }
                }
            };
        }
    }
    sh
}

/// How many pieces ahead `group` asks for a piece.
const AHEAD: usize = 16;

/// Finds the pieces of a chunk by ascending position among them.
struct Cursor<'a> {
    items: &'a [Item<'a>],
    /// The item holding the last position, and its first piece's.
    i: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    fn new(items: &'a [Item<'a>], range: &Range<usize>) -> Self {
        Cursor {
            items,
            i: range.start,
            base: 0,
        }
    }

    /// The item holding position `pos` (not before the last one): its
    /// index, the item, and the piece's index in it.
    fn at(&mut self, pos: u32) -> (usize, &'a Item<'a>, usize) {
        let pos = pos as usize;
        while pos >= self.base + self.items[self.i].pieces.len() {
            self.base += self.items[self.i].pieces.len();
            self.i += 1;
        }
        (self.i, &self.items[self.i], pos - self.base)
    }
}

/// Asks for the cache line at `p`, to be read soon.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    // SAFETY: a prefetch is a hint that never faults, whatever the
    // address; SSE is part of x86-64.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast())
    }
}

/// Open addressing over a shard's groups: entries (hash, slot, id + 1;
/// 0: free), each placed from its hash's top bits on.
struct Table {
    entries: Vec<(u64, u32, u32)>,
    len: usize,
}

impl Table {
    /// Room for `n` groups without growing.
    fn with_capacity(n: usize) -> Self {
        Table {
            entries: vec![(0, 0, 0); (n * 4 / 3 + 1).next_power_of_two().max(64)],
            len: 0,
        }
    }

    /// The id of the group of `hash` in `slot`, if any; if not, makes
    /// `new` that group's.
    fn find_or_add(&mut self, hash: u64, slot: u32, new: u32) -> Option<u32> {
        // At most 3/4 full.
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut i = self.index(hash);
        loop {
            let (h, s, id) = self.entries[i];
            if id == 0 {
                self.entries[i] = (hash, slot, new + 1);
                self.len += 1;
                return None;
            }
            if h == hash && s == slot {
                return Some(id - 1);
            }
            i = (i + 1) & mask;
        }
    }

    fn index(&self, hash: u64) -> usize {
        (hash >> (64 - self.entries.len().trailing_zeros())) as usize
    }

    fn grow(&mut self) {
        let n = self.entries.len() * 2;
        let old = std::mem::replace(&mut self.entries, vec![(0, 0, 0); n]);
        for e in old.into_iter().filter(|e| e.2 != 0) {
            let mut i = self.index(e.0);
            while self.entries[i].2 != 0 {
                i = (i + 1) & (n - 1);
            }
            self.entries[i] = e;
        }
    }
}

/// Goes through the pieces of chunk `d` as `deal` did, taking each one's
/// group from its shard's refs: checks that it equals the group's first
/// (None if not), and leaves the shard and id in `out` (the chunk's files'
/// piece offsets, from its first file on) until the groups have offsets.
/// Returns the first occurrences (item, piece in it) per output section
/// (slot), in order.
fn check(
    items: &[Item],
    d: &Dealt,
    shards: &[Shard],
    slots: usize,
    out: &mut [Vec<u64>],
) -> Option<Firsts> {
    let mut next = d.starts;
    let mut firsts = vec![Vec::new(); slots];
    let lo = items[d.range.start].f as usize;
    for i in d.range.clone() {
        let it = &items[i];
        let out = &mut out[it.f as usize - lo][it.first..];
        for (k, p) in it.pieces.iter().enumerate() {
            let s = shard_of(p.hash());
            let v = d.refs[next[s]];
            next[s] += 1;
            let id = v & !FIRST;
            if v & FIRST != 0 {
                firsts[it.slot as usize].push((i as u32, k as u32));
            } else if located(items, shards[s].firsts[id as usize]) != it.bytes(k) {
                return None;
            }
            out[k] = (s as u64) << 32 | id as u64;
        }
    }
    Some(firsts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files of merge sections: per file, its sections' (slot, alignment,
    /// strings), hashed with `hash`; `add_all` must give what adding them
    /// one by one does, after the first `ahead_files` files' were added one
    /// by one to slot 0 (as `MergeAhead` does for a section it adopts).
    /// `parallel`: whether `fold` should do it.
    fn compare(
        files: &[Vec<(u32, u64, Vec<String>)>],
        hash: fn(&[u8]) -> u64,
        ahead_files: usize,
        parallel: bool,
    ) {
        let mut pieces: Vec<Vec<Piece>> = Vec::new();
        let mut secs = Vec::new();
        for (f, file) in files.iter().enumerate() {
            let mut ps = Vec::new();
            for (slot, align, strings) in file {
                let data: &'static [u8] = strings.concat().into_bytes().leak();
                let first = ps.len();
                let mut offset = 0;
                for s in strings {
                    let len = s.len() as u32;
                    ps.push(Piece::new(
                        offset,
                        hash(&data[offset as usize..(offset + len) as usize]),
                    ));
                    offset += len;
                }
                secs.push((f, *slot, *align, data, first, ps.len()));
            }
            pieces.push(ps);
        }
        let items: Vec<Item> = secs
            .iter()
            .map(|&(f, slot, align, data, first, end)| Item {
                slot,
                f: f as u32,
                align,
                data,
                first,
                pieces: &pieces[f][first..end],
            })
            .collect();
        let slots = items.iter().map(|it| it.slot + 1).max().unwrap_or(0) as usize;
        let start = || {
            let mut outs: Vec<Merged> = (0..slots)
                .map(|s| Merged {
                    size: s as u64 * 3,
                    ..Default::default()
                })
                .collect();
            let mut piece_out: Vec<Vec<u64>> = pieces.iter().map(|p| vec![0; p.len()]).collect();
            let n = items.iter().take_while(|it| (it.f as usize) < ahead_files);
            for it in n.filter(|it| it.slot == 0) {
                outs[0].add(it, &mut piece_out[it.f as usize]);
            }
            (outs, piece_out)
        };
        let rest: Vec<Item> = items
            .iter()
            .filter(|it| it.f as usize >= ahead_files || it.slot != 0)
            .copied()
            .collect();
        let (mut serial, mut serial_out) = start();
        for it in &rest {
            serial[it.slot as usize].add(it, &mut serial_out[it.f as usize]);
        }
        let (mut outs, mut piece_out) = start();
        assert_eq!(fold(&rest, &mut outs, &mut piece_out), parallel);
        // As `add_all` does then.
        if !parallel {
            for it in &rest {
                outs[it.slot as usize].add(it, &mut piece_out[it.f as usize]);
            }
        }
        assert_eq!(piece_out, serial_out);
        for (a, b) in outs.iter().zip(&serial) {
            assert_eq!(a.size, b.size);
            assert_eq!(a.strings, b.strings);
        }
    }

    /// Files of a few sections each, of strings drawn from a small set
    /// (so they repeat), in three output sections of alignments 1, 2 and 8.
    fn files(n: usize, per_section: usize) -> Vec<Vec<(u32, u64, Vec<String>)>> {
        let mut seed = 1u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        (0..n)
            .map(|_| {
                (0..1 + next() % 3)
                    .map(|_| {
                        let slot = (next() % 3) as u32;
                        let strings = (0..per_section)
                            .map(|_| format!("s{}\0", next() % 5000).repeat(1 + next() % 3))
                            .collect();
                        (slot, [1, 2, 8][slot as usize], strings)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn parallel_fold_is_the_serial_one() {
        compare(&files(40, 500), crate::object_file::hash_bytes, 0, true);
        compare(&files(3, 20), crate::object_file::hash_bytes, 0, true);
        compare(&[], crate::object_file::hash_bytes, 0, true);
    }

    #[test]
    fn goes_on_from_ahead() {
        compare(&files(40, 500), crate::object_file::hash_bytes, 15, true);
    }

    #[test]
    fn strings_sharing_a_hash() {
        // Strings of the same length collide: the pieces are added one by one.
        let by_len = |b: &[u8]| (b.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        compare(&files(10, 50), by_len, 0, false);
        compare(&files(10, 50), by_len, 4, false);
    }
}
