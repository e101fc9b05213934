//! What layout does before the wait: the background linker resolves the
//! inputs in command-line order as they arrive (`concurrent/frontier.rs`)
//! and, for the objects resolved so far, runs the layout passes that are
//! folds over the inputs in that order: which sections are live and where
//! they go (`liveness`, `output_sections`: the output sections joined and
//! the input sections placed in them), merged strings (`merge`) and the
//! placement of `.eh_frame` records (`chunks::eh_frame`). At the wait those passes
//! go on from where these stopped, so the output is the serial link's.
//! Also each object's relocation scan (`scan::ScanAhead`), which depends on
//! symbols later inputs may define: it records what it assumed of them,
//! and the wait takes it only where that holds. And each object's debug
//! sections (and in an executable its code and data), written into a run
//! per output section (`written::WriteAhead`).
//!
//! Past a gap in the resolution (an object not in yet, the ones after it
//! resolved) the folds go on as if it had no sections, and its sections
//! are spliced in when it comes (`float`, `fill`).
//!
//! Assumes what is live and where it goes is known per input, in the
//! order resolution adds objects: without `--gc-sections` (liveness from
//! the roots), ICF (folding compares all inputs) and linker scripts
//! (resolution ahead is off with them anyway).

use super::merge::MergeAhead;
use super::output_sections::{
    dests_of, input_regions, join_file, FileDests, JoinMark, Joined, Placed,
};
use super::scan::{LaterDefs, ScanAhead};
use super::written::WriteAhead;
use crate::chunks::eh_frame::{live_records, EhAhead, FileRecords};
use crate::options::{Icf, Options};
use crate::resolve::Resolved;

/// The layout passes' state for a prefix of the objects.
#[derive(Default)]
pub struct LayoutAhead {
    /// Per object: its live sections (`liveness::base_live`) and where
    /// they go (`output_sections::dests_of`).
    pub(super) live: Vec<Vec<bool>>,
    pub(super) dests: Vec<FileDests>,
    /// Their output sections (`output_sections::join`) and places in them.
    pub(super) joined: Joined,
    pub(super) placed: Placed,
    pub(super) merge: MergeAhead,
    pub(super) eh: EhAhead,
    /// Their relocation scans, checked at the wait (`scan::ScanAhead`).
    pub(super) scans: Vec<ScanAhead>,
    /// Their sections, written (`written`), where that applies.
    pub(super) written: Option<WriteAhead>,
    /// Per object: the (entries, bytes) of its locals in `.symtab`
    /// (`symtab::file_locals`), which its placement alone decides: the
    /// wait's `.symtab` plan counts only the globals and the later objects.
    pub(super) locals: Vec<(u32, u64)>,
    /// Their locals written, as far as their sections are.
    pub(super) locals_written: Option<crate::chunks::symtab::LocalsAhead>,
    /// While the resolution has a gap (an object not in yet, whose place a
    /// placeholder without sections holds): where the folds stood at it.
    /// The objects after it are folded as if it had no sections (the
    /// joined output sections, the places in them, merged strings,
    /// `.eh_frame`); when it comes, `fill` puts its sections where the
    /// folds in order put them and moves those after it (in a few
    /// milliseconds' work less than folding them then, on the tail).
    /// Nothing after it is written before that.
    float: Option<JoinMark>,
}

/// An object's live sections, where they go, its relocation scan, and its
/// live `.eh_frame` records: what of the folds' work is per object.
struct PerFile {
    live: Vec<bool>,
    dests: FileDests,
    scan: ScanAhead,
    eh: FileRecords,
}

/// `feed`'s per-object part for object `f` of `res`.
fn per_file(opts: &Options, res: &Resolved, f: usize, later: Option<&LaterDefs>) -> PerFile {
    let scripts = crate::script_link::Scripts::default();
    let live = super::liveness::base_live(res, f);
    let dests = dests_of(opts, &scripts, f, &res.objects[f], &live);
    let scan = ScanAhead::scan(opts, res, f, &live, later);
    let eh = live_records(res, f, &live);
    PerFile {
        live,
        dests,
        scan,
        eh,
    }
}

/// `feed`'s output sections for objects `first..upto` (whose `dests`
/// are in): joined, the objects placed, their locals in `.symtab`
/// counted, and the regions the writer will cut for them.
fn place_new(
    opts: &Options,
    res: &Resolved,
    (joined, placed, locals): (&mut Joined, &mut Placed, &mut Vec<(u32, u64)>),
    dests: &[FileDests],
    (first, upto): (usize, usize),
) {
    use rayon::prelude::*;
    for (f, d) in dests.iter().enumerate().take(upto).skip(first) {
        join_file(joined, res, &Default::default(), f, d);
    }
    joined.files = upto;
    placed.more(res, joined);
    let placed = &*placed;
    if !opts.strip_all {
        let discard = opts.discard;
        let new: Vec<(u32, u64)> = (locals.len()..upto)
            .into_par_iter()
            .map(|f| crate::chunks::symtab::file_locals(&res.objects[f], placed.row(f), discard))
            .collect();
        locals.extend(new);
    }
    // The regions the writer will cut for these inputs (their places
    // are kept), per output section, so that the wait does not read
    // thousands of scattered input sections' tables for them.
    joined.sections.par_iter_mut().for_each(|os| {
        let (covered, regions) = &mut os.regions_ahead;
        let new = &os.inputs[*covered..];
        regions.extend(input_regions(res, new, |f| placed.row(f)));
        *covered = os.inputs.len();
    });
}

impl LayoutAhead {
    /// Whether layout can be done ahead for a link with `opts`.
    pub fn applies(opts: &Options) -> bool {
        !opts.gc_sections && opts.icf == Icf::None && !opts.relocatable
    }

    /// Adds the objects of `res` (the resolution so far) after those
    /// already in; `later`: what the inputs after the concurrent ones
    /// define, once known (see `scan::LaterDefs`); `gap`: the file id of
    /// a gap in the resolution, if one is open (see `float`). What is per
    /// object is done in parallel (a batch may be the hundreds of archive
    /// members the last object pulls in), the folds then in order.
    pub fn feed(
        &mut self,
        opts: &Options,
        res: &Resolved,
        later: Option<&LaterDefs>,
        gap: Option<usize>,
    ) {
        use rayon::prelude::*;
        let first = self.live.len();
        let upto = res.objects.len();
        let new: Vec<PerFile> = (first..upto)
            .into_par_iter()
            .map(|f| per_file(opts, res, f, later))
            .collect();
        let mut eh = Vec::with_capacity(new.len());
        for p in new {
            self.scans.push(p.scan);
            self.live.push(p.live);
            self.dests.push(p.dests);
            eh.push(Some(p.eh));
        }
        match gap.filter(|&g| self.float.is_none() && (first..upto).contains(&g)) {
            Some(g) => {
                let after = eh.split_off(g - first);
                self.fold(opts, res, (first, g), eh);
                self.float = Some(JoinMark::new(&mut self.joined, &self.placed, g));
                self.merge.mark(g);
                self.eh.mark(g);
                self.fold(opts, res, (g, upto), after);
            }
            None => self.fold(opts, res, (first, upto), eh),
        }
    }

    /// The folds over objects `first..upto` (whose per-object parts are
    /// in; `eh`: their live records), which read only their tables, at
    /// once (after a gap is filled these are hundreds of objects, on the
    /// tail).
    fn fold(
        &mut self,
        opts: &Options,
        res: &Resolved,
        (first, upto): (usize, usize),
        eh: Vec<Option<FileRecords>>,
    ) {
        let LayoutAhead {
            live,
            dests,
            joined,
            placed,
            merge,
            eh: eh_ahead,
            locals,
            ..
        } = self;
        let (dests, live) = (&dests[..upto], &live[..upto]);
        rayon::join(
            || rayon::join(|| merge.feed(res, dests), || eh_ahead.feed(res, live, eh)),
            || place_new(opts, res, (joined, placed, locals), dests, (first, upto)),
        );
    }
    /// Writes the sections of up to `max` more of the objects in
    /// (`written::WriteAhead`), if that applies; returns whether some are
    /// left. A step at a time while the background linker is idle: when
    /// the wait comes, the objects not written yet are written by the link
    /// as usual (doing it then would only add a copy).
    pub fn write_step(&mut self, opts: &Options, res: &Resolved, max: usize) -> bool {
        if self.written.is_none() && WriteAhead::applies(opts) {
            self.written = Some(WriteAhead::default());
        }
        let Some(w) = &mut self.written else {
            return false;
        };
        // Nothing after a gap: its objects move when it is filled.
        let end = self.float.as_ref().map_or(self.live.len(), |m| m.gap());
        let to = end.min(w.files() + max);
        w.feed(
            res,
            (to, end),
            &self.dests,
            &self.joined,
            &self.placed,
            &self.merge,
            (Some(opts.output_kind), opts.no_relax),
        );
        // `.comment` as far as the objects written (its inputs up to a
        // gap's are final).
        let upto = self.float.as_ref().map_or(usize::MAX, |m| m.comments());
        self.joined.comments.fold_ahead(res, upto);
        // (Not where sections are dropped after layout, as with compressed
        // debug sections: the same options as the sections'.)
        let placed = &self.placed;
        let locals = self.locals_written.get_or_insert_with(Default::default);
        locals.feed(res, to, |f| placed.row(f), opts.discard);
        w.files() < end
    }

    /// The gap's object is in its place in `res` (`Incremental::fill_gap`,
    /// its symbols since numbered again as `moved` says): its per-object
    /// part is made and its sections put in the folds where they go, the
    /// objects after it moved (`float`); where that is not what folding
    /// in order makes, the folds go back to the gap and fold it and the
    /// rest again. Returns which fold made them, if they did.
    pub fn fill(
        &mut self,
        opts: &Options,
        res: &Resolved,
        later: Option<&LaterDefs>,
        moved: Option<&crate::resolve::Renumbered>,
    ) -> Option<&'static str> {
        use rayon::prelude::*;
        let mark = self.float.take()?;
        let g = mark.gap();
        if let Some(moved) = moved {
            self.scans[g + 1..]
                .par_iter_mut()
                .for_each(|s| s.renumber(moved));
        }
        let p = per_file(opts, res, g, later);
        self.live[g] = p.live;
        self.dests[g] = p.dests;
        self.scans[g] = p.scan;
        // Each check before any change: a splice that fails changes
        // nothing, and the ones made are undone by going back.
        let why = if !self.merge.splice(res, &self.dests) {
            Some("merged strings")
        } else if !self.eh.splice(res, p.eh) {
            Some(".eh_frame")
        } else if !mark.splice(res, &mut self.joined, &mut self.placed, &self.dests[g]) {
            Some("output sections")
        } else {
            None
        };
        let Some(why) = why else {
            if !opts.strip_all && g < self.locals.len() {
                let row = self.placed.row(g);
                self.locals[g] =
                    crate::chunks::symtab::file_locals(&res.objects[g], row, opts.discard);
            }
            return None;
        };
        // Folded again from the gap.
        self.back_to(&mark);
        let n = self.live.len();
        let eh: Vec<Option<FileRecords>> = (g..n)
            .into_par_iter()
            .map(|f| Some(live_records(res, f, &self.live[f])))
            .collect();
        self.fold(opts, res, (g, n), eh);
        Some(why)
    }

    /// The folds as they were at the gap (`mark`): the objects from it on
    /// out of them (their per-object parts stay).
    fn back_to(&mut self, mark: &JoinMark) {
        mark.truncate(&mut self.joined, &mut self.placed);
        self.merge.truncate();
        self.eh.truncate();
        self.locals.truncate(mark.gap());
    }

    /// The gap was undone (what came after it is out of the resolution):
    /// the objects from it on are out of the folds too.
    pub fn unfloat(&mut self) {
        let Some(mark) = self.float.take() else {
            return;
        };
        let g = mark.gap();
        self.back_to(&mark);
        self.live.truncate(g);
        self.dests.truncate(g);
        self.scans.truncate(g);
    }

    /// Makes the relocation scans of the objects in again, with `later`
    /// (which became known after they were scanned: their guesses of
    /// symbols not defined yet were plain definitions).
    pub fn rescan(&mut self, opts: &Options, res: &Resolved, later: &LaterDefs) {
        use rayon::prelude::*;
        self.scans = (0..self.live.len())
            .into_par_iter()
            .map(|f| ScanAhead::scan(opts, res, f, &self.live[f], Some(later)))
            .collect();
    }

    /// How many objects are in.
    pub fn files(&self) -> usize {
        self.live.len()
    }

    /// How many of them have their sections written (`write_step`).
    pub fn written_files(&self) -> usize {
        self.written.as_ref().map_or(0, |w| w.files())
    }
}
