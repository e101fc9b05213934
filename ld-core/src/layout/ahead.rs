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
//! Assumes what is live and where it goes is known per input, in the
//! order resolution adds objects: without `--gc-sections` (liveness from
//! the roots), ICF (folding compares all inputs) and linker scripts
//! (resolution ahead is off with them anyway).

use super::merge::MergeAhead;
use super::output_sections::{dests_of, input_regions, join_file, FileDests, Joined, Placed};
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
    /// The per-object part of `feed` done for objects after a gap in the
    /// resolution (`prepare`), by file id: taken by `feed` when the gap
    /// is filled.
    prepared: Vec<Option<PerFile>>,
}

/// An object's live sections, where they go, and its relocation scan;
/// made by `prepare`, also the offsets of its merged-string pieces that
/// are in the merged strings already (`MergeAhead::known`) and its live
/// `.eh_frame` records: what of the fold's work can be done before the
/// objects before it are in.
struct PerFile {
    live: Vec<bool>,
    dests: FileDests,
    scan: ScanAhead,
    known: Option<Vec<u64>>,
    eh: Option<FileRecords>,
}

/// `feed`'s per-object part for object `f` of `res`.
fn per_file(opts: &Options, res: &Resolved, f: usize, later: Option<&LaterDefs>) -> PerFile {
    let scripts = crate::script_link::Scripts::default();
    let live = super::liveness::base_live(res, f);
    let dests = dests_of(opts, &scripts, f, &res.objects[f], &live);
    let scan = ScanAhead::scan(opts, res, f, &live, later);
    PerFile {
        live,
        dests,
        scan,
        known: None,
        eh: None,
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
    /// define, once known (see `scan::LaterDefs`). What is per object is
    /// done in parallel (a batch may be the hundreds of archive members
    /// the last object pulls in), the folds then in order.
    pub fn feed(
        &mut self,
        opts: &Options,
        res: &Resolved,
        later: Option<&LaterDefs>,
        upto: Option<usize>,
    ) {
        use rayon::prelude::*;
        let upto = upto.unwrap_or(res.objects.len()).min(res.objects.len());
        let first = self.live.len();
        let prepared = &mut self.prepared;
        if prepared.len() < upto {
            prepared.resize_with(upto, || None);
        }
        let new: Vec<PerFile> = prepared[first..upto]
            .par_iter_mut()
            .enumerate()
            .map(|(i, p)| {
                p.take()
                    .unwrap_or_else(|| per_file(opts, res, first + i, later))
            })
            .collect();
        let mut known = Vec::with_capacity(new.len());
        let mut eh = Vec::with_capacity(new.len());
        for p in new {
            self.scans.push(p.scan);
            self.live.push(p.live);
            self.dests.push(p.dests);
            known.push(p.known);
            eh.push(p.eh);
        }
        // Three folds that read only the new objects' tables, at once
        // (the tail's, after a gap is filled: hundreds of objects).
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
        let (dests, live) = (&*dests, &*live);
        rayon::join(
            || {
                rayon::join(
                    || merge.feed(res, dests, known),
                    || eh_ahead.feed(res, live, eh),
                )
            },
            || place_new(opts, res, (joined, placed, locals), dests, (first, upto)),
        );
    }

    /// `feed`'s per-object part, done ahead for the objects of `res` from
    /// `from` on (those after a gap in the resolution, which `feed` does
    /// not take before it is filled), in parallel.
    pub fn prepare(
        &mut self,
        opts: &Options,
        res: &Resolved,
        later: Option<&LaterDefs>,
        from: usize,
    ) {
        use rayon::prelude::*;
        let n = res.objects.len();
        if self.prepared.len() < n {
            self.prepared.resize_with(n, || None);
        }
        let from = from.min(n);
        let merge = &self.merge;
        self.prepared[from..]
            .par_iter_mut()
            .enumerate()
            .filter(|(_, p)| p.is_none())
            .for_each(|(i, p)| {
                let mut per = per_file(opts, res, from + i, later);
                // The merged strings so far are those before the gap,
                // which no later input changes: what this object has of
                // them is found now, not in the tail.
                per.known = Some(merge.known(res, from + i, &per.dests));
                per.eh = Some(live_records(res, from + i, &per.live));
                *p = Some(per);
            });
    }

    /// What `prepare` did goes: the objects it was for are not in the
    /// resolution any more (the gap was undone).
    pub fn forget_prepared(&mut self) {
        self.prepared.clear();
    }

    /// What `prepare` made, for symbols numbered again (`moved`): the
    /// scans mapped; `.eh_frame` records whose CIE keys name globals
    /// dropped, to be found again at the fold.
    pub fn renumber_prepared(&mut self, moved: &crate::resolve::Renumbered) {
        use rayon::prelude::*;
        self.prepared.par_iter_mut().flatten().for_each(|p| {
            p.scan.renumber(moved);
            if p.eh.as_ref().is_some_and(|e| e.names_globals()) {
                p.eh = None;
            }
        });
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
        let to = self.live.len().min(w.files() + max);
        w.feed(
            res,
            to,
            &self.dests,
            &self.joined,
            &self.placed,
            &self.merge,
            (Some(opts.output_kind), opts.no_relax),
        );
        // (Not where sections are dropped after layout, as with compressed
        // debug sections: the same options as the sections'.)
        let placed = &self.placed;
        let locals = self.locals_written.get_or_insert_with(Default::default);
        locals.feed(res, to, |f| placed.row(f), opts.discard);
        w.files() < self.live.len()
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
