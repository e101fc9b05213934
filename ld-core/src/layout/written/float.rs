//! Sections written past a gap: while an object is not in yet and the
//! objects after it are laid out as if it had no sections
//! (`LayoutAhead`'s `float`), their sections are written too, at the
//! places they have then. When it comes and the folds move them
//! (`LayoutAhead::fill`), each value written against a place that moved
//! is moved by as much (`Fix`), the output sections and symbols numbered
//! again are renamed in the patches and checks, and the objects join the
//! runs behind it. Where the folds are made again instead, or the gap is
//! undone, they are dropped (the wait writes them).
//!
//! Assumes that a value written past a gap depends on the places of its
//! own object's sections and strings alone, or on those of objects before
//! the gap (which do not move): `FileCtx::placed_global` takes no global
//! of an object past the gap (those are symbol patches, made at the
//! wait), and each value that takes one of its own places records it.

use super::{FileStaged, Fix, Folds, Moves, Used, WriteAhead, NONE};
use crate::layout::merge::MergeAhead;
use crate::layout::output_sections::Placed;
use crate::resolve::{Renumbered, Resolved};
use rayon::prelude::*;

/// The objects past a gap written ahead, held apart from the runs until
/// it is filled.
pub(super) struct Floating {
    /// The first one's file id (the gap's, plus one).
    first: usize,
    /// From `first` on, in order; `None` where a value would not move as
    /// it must (out of range) or a section's place appeared or went: the
    /// wait writes it.
    files: Vec<Option<FloatFile>>,
    /// Whether the gap was filled and they were moved.
    filled: bool,
}

/// An object written past a gap, and the places it was written with: its
/// sections' (output section as joined then, offset) and its strings'.
struct FloatFile {
    staged: FileStaged,
    row: Vec<(u32, u64)>,
    pieces: Vec<u64>,
}

impl WriteAhead {
    /// Writes up to `max` more of the objects after the gap `gap` (those
    /// the folds `at` have, before `to`) at their places so far; returns
    /// whether some are left. Nothing if objects past another gap are held.
    pub(in crate::layout) fn feed_float(
        &mut self,
        res: &Resolved,
        (gap, to, max): (usize, usize, usize),
        at: Folds,
        kind: (Option<crate::options::OutputKind>, bool),
    ) -> bool {
        let fl = self.float.get_or_insert_with(|| Floating {
            first: gap + 1,
            files: Vec::new(),
            filled: false,
        });
        if fl.first != gap + 1 || fl.filled {
            return false;
        }
        let from = fl.first + fl.files.len();
        let to = to.min(res.objects.len()).min(at.dests.len());
        let upto = to.min(from + max);
        if from >= upto {
            return false;
        }
        let staged = self.stage(res, from..upto, (gap, true), at, kind);
        let files = staged.into_iter().zip(from..).map(|(staged, f)| {
            let pieces = match staged
                .fixes
                .iter()
                .any(|x| matches!(x.plus, Moves::Piece(_)))
            {
                true => at.merge.piece_row(f).to_vec(),
                false => Vec::new(),
            };
            Some(FloatFile {
                staged,
                row: at.placed.row(f).to_vec(),
                pieces,
            })
        });
        let fl = self.float.as_mut().expect("made above");
        fl.files.extend(files);
        upto < to
    }

    /// The gap was filled and the folds moved the objects after it
    /// (`perm`: the output sections' numbers then by their numbers before,
    /// empty if none changed; `moved`: the symbols numbered again): the
    /// objects written past it are moved to their places now, in
    /// `placed` and `merge`.
    pub(in crate::layout) fn fill(
        &mut self,
        perm: &[u32],
        moved: Option<&Renumbered>,
        placed: &Placed,
        merge: &MergeAhead,
    ) {
        let Some(fl) = &mut self.float else {
            return;
        };
        let first = fl.first;
        fl.files.par_iter_mut().enumerate().for_each(|(k, file)| {
            let f = first + k;
            let moved_file = file
                .take()
                .and_then(|x| x.moved(perm, moved, placed.row(f), merge.piece_row(f)));
            *file = moved_file;
        });
        fl.filled = true;
    }

    /// The gap was undone, or the folds after it made again: what was
    /// written past it goes.
    pub(in crate::layout) fn unfloat(&mut self) {
        self.float = None;
    }

    /// How many objects past a gap are written (and held, if it was
    /// filled, moved but for those that could not be).
    pub(in crate::layout) fn floating(&self) -> usize {
        self.float
            .as_ref()
            .map_or(0, |fl| fl.files.iter().flatten().count())
    }

    /// Where the objects written ahead must come to before those held
    /// past a filled gap join them (no limit if none are held).
    pub(in crate::layout) fn held_from(&self) -> usize {
        match &self.float {
            Some(fl) if fl.filled => fl.first,
            _ => usize::MAX,
        }
    }

    /// Joins the objects held past a filled gap to the runs if the objects
    /// written come to them (`pad`: the ones before them not written are
    /// left to the wait, as at the wait).
    pub(in crate::layout) fn join_float(&mut self, placed: &Placed, pad: bool) {
        let Some(fl) = &self.float else {
            return;
        };
        if !fl.filled || self.files.len() > fl.first || (!pad && self.files.len() < fl.first) {
            return;
        }
        let fl = self.float.take().expect("checked");
        while self.files.len() < fl.first {
            self.files.push(FileStaged::void());
        }
        let staged = (fl.files.into_iter())
            .map(|x| x.map_or_else(FileStaged::void, |x| x.staged))
            .collect();
        self.join_runs(fl.first, staged, placed, true);
    }
}

impl FloatFile {
    /// This object's sections as written at its places now (`row`,
    /// `pieces`; `perm`, `moved` as `WriteAhead::fill` has them), by
    /// moving what took its places (its `staged`; `row` and `pieces` are
    /// then the old ones still); `None` if a value would not fit, or a
    /// section was placed or dropped since.
    fn moved(
        mut self,
        perm: &[u32],
        moved: Option<&Renumbered>,
        row: &[(u32, u64)],
        pieces: &[u64],
    ) -> Option<Self> {
        if row.len() != self.row.len()
            || (self.row.iter().zip(row)).any(|(a, b)| (a.0 == NONE) != (b.0 == NONE))
        {
            return None;
        }
        let fs = &mut self.staged;
        let oi = |oi: u32| perm.get(oi as usize).copied().unwrap_or(oi);
        let id = |id: u32| moved.map_or(id, |m| m.map(id));
        for p in &mut fs.patches {
            p.out = match p.kind.is_symbol() {
                true => id(p.out),
                false => oi(p.out),
            };
        }
        for u in &mut fs.checks.used {
            match u {
                Used::Placed(sh, Some(off)) => *off = row[*sh as usize].1,
                Used::Global(g, o, _) => (*g, *o) = (id(*g), oi(*o)),
                _ => {}
            }
        }
        if !fs.checks.piece_out.is_empty() {
            fs.checks.piece_out = pieces.to_vec();
        }
        fs.was = Some(Box::new(Was {
            row: std::mem::take(&mut self.row),
            pieces: std::mem::take(&mut self.pieces),
        }));
        Some(self)
    }
}

/// Where an object's sections and strings were when it was written past a
/// gap (what its `Fix`es moved from).
pub(super) struct Was {
    row: Vec<(u32, u64)>,
    pieces: Vec<u64>,
}

impl Was {
    /// How far `m` moved, to `row` and `pieces` (the object's places in
    /// the end); `None` if it names a place not there.
    fn by(&self, m: Moves, row: &[(u32, u64)], pieces: &[u64]) -> Option<i128> {
        match m {
            Moves::Not => Some(0),
            Moves::Sec(sh) => {
                let (was, now) = (self.row.get(sh as usize)?, row.get(sh as usize)?);
                Some(now.1 as i128 - was.1 as i128)
            }
            Moves::Piece(i) => {
                let (was, now) = (self.pieces.get(i as usize)?, pieces.get(i as usize)?);
                Some(*now as i128 - *was as i128)
            }
        }
    }
}

impl FileStaged {
    /// Moves the values of its `n`th section written that took places of
    /// its own past a gap (`out`: the section in the output), by as much
    /// as those places moved to where layout `l` has them (object `f` of
    /// `res`, written with `ctx`); one that would not fit is made as the
    /// serial write makes it (which says why), its dynamic relocations
    /// into `made`.
    pub(super) fn moved_values(
        &self,
        n: usize,
        (res, l, ctx, f): (
            &Resolved,
            &crate::layout::Layout,
            &crate::arch::DecideCtx,
            usize,
        ),
        out: &mut [u8],
        made: &mut Vec<crate::layout::DynRel>,
    ) -> Result<(), String> {
        let Some(was) = &self.was else {
            return Ok(());
        };
        let sec = &self.secs[n];
        let x0 = n.checked_sub(1).map_or(0, |p| self.secs[p].fixes_end) as usize;
        let fixes = &self.fixes[x0..sec.fixes_end as usize];
        if fixes.is_empty() {
            return Ok(());
        }
        let row = l.placement.get(f).map_or(&[][..], |r| r.as_slice());
        let pieces = l.piece_out.get(f).map_or(&[][..], |p| p.as_slice());
        for x in fixes {
            let minus = match x.minus {
                NONE => Some(0),
                sh => was.by(Moves::Sec(sh), row, pieces),
            };
            let d = was.by(x.plus, row, pieces).zip(minus).map(|(p, m)| p - m);
            let at = x.at as usize - sec.start;
            let field = out.get_mut(at..at + x.width as usize);
            let fits = match (d, field) {
                (Some(0), Some(_)) => Some(()),
                (Some(d), Some(field)) => x.apply(field, d),
                _ => None,
            };
            if fits.is_none() {
                let mut m = Vec::new();
                let k = std::iter::once(x.k);
                super::deferred_relocs(res, l, ctx, (f, sec.si as usize), k, out, &mut m)?;
                made.extend(m.into_iter().map(|m| m.1));
            }
        }
        Ok(())
    }
}

impl Fix {
    /// Adds `d` to the value it names, in `field`; `None` if the sum does
    /// not fit.
    fn apply(&self, field: &mut [u8], d: i128) -> Option<()> {
        let stored = crate::write::load_le(field);
        if self.width == 8 {
            crate::write::store_le(field, stored.wrapping_add(d as u64));
            return Some(());
        }
        let bits = 8 * u32::from(self.width);
        let v = match self.signed {
            true => {
                let v = ((stored << (64 - bits)) as i64 >> (64 - bits)) as i128 + d;
                let half = 1i128 << (bits - 1);
                (-half..half).contains(&v).then_some(v)?
            }
            false => {
                let v = stored as i128 + d;
                (0..1i128 << bits).contains(&v).then_some(v)?
            }
        };
        crate::write::store_le(field, v as u64);
        Some(())
    }
}
