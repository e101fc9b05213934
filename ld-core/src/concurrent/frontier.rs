//! The resolution frontier: while compiles run, the background linker
//! resolves symbols in command-line order as far as every input is
//! ingested (`resolve::Incremental`), so that the wait resolves only the
//! inputs from the first one that arrived late. In a Make build the inputs
//! arrive about in command-line order (and the archives built from the
//! last compiles come last), so most of the resolution is done before the
//! wait. When one concurrent object holds it up while the entries after it
//! are in (the last compile, a slow one), the resolution goes on past it
//! (`Step::Gap`, `resolve::Incremental::open_gap`): when it comes it fills
//! its place, or what came after it is undone and fed again in order.
//!
//! Feeding moves an input's parsed tables into the resolution: its entry
//! keeps only the identity (verified at the wait like any other). If an
//! entry that was fed changes (reported again, or found changed by the
//! wait's verification), the resolution is dropped and the other entries
//! get their tables back (`unfeed`; read again only if that fails); the
//! resolution then starts over from the first input.
//!
//! Assumes it runs on the event loop's thread only, like the wait: the
//! frontier is that thread's, never shared.

use super::ingest::{dispatch, Entry, Shared, State};
use crate::layout::{LaterDefs, LayoutAhead};
use crate::link::{self, Expander};
use crate::options::Options;
use crate::resolve::{Incremental, LoadItem, NoPlugin};
use std::sync::Arc;

/// At most this many entries are fed per step, so that a wait is served
/// at once.
const STEP: usize = 256;

pub(super) struct Frontier {
    pub(super) inc: Incremental<'static>,
    /// The layout passes done for the objects fed, when they can be
    /// (`layout::LayoutAhead::applies`).
    pub(super) layout: Option<LayoutAhead>,
    /// Per entry fed, in order: its index, how many items it gave, and
    /// (concurrent ones) the ingestion they came from, to give them back.
    fed: Vec<(usize, usize, u64)>,
    /// The first error feeding met: the link fails with it (as a serial
    /// link would, at the same input), unless what was fed changes.
    pub(super) failed: Option<crate::error::Error>,
    /// What the inputs after the concurrent ones define, once they are all
    /// ingested: what the relocation scans made ahead assume of symbols
    /// not defined yet.
    later: Option<LaterDefs>,
    /// The entry passed over and not in yet (`Step::Gap`), and where in
    /// `fed` the entries after it begin.
    gap: Option<(usize, usize)>,
    /// Not passed over again: feeding past a gap failed once.
    no_gap: bool,
}

/// `LaterDefs` from the fixed inputs after the last concurrent one, if
/// they and the fixed inputs before it not fed yet are all ingested;
/// `shared_fed`: the shared libraries resolved ahead so far.
fn later_defs(st: &State, shared_fed: usize, opts: &Options) -> Option<LaterDefs> {
    let last = st
        .entries
        .iter()
        .rposition(|e| matches!(e, Entry::Concurrent(_)))?;
    let mut shared_before = shared_fed;
    for i in st.fed_prefix..=last {
        if let Entry::Fixed { .. } = &st.entries[i] {
            let items = st.fixed[i].as_ref()?.as_ref().ok()?;
            shared_before += items
                .iter()
                .filter(|it| matches!(it, LoadItem::Shared { .. }))
                .count();
        }
    }
    let mut after = Vec::new();
    for i in last + 1..st.entries.len() {
        after.extend(st.fixed[i].as_ref()?.as_ref().ok()?.iter());
    }
    Some(LaterDefs::new(
        after.into_iter(),
        shared_before as u32,
        opts.output_kind,
    ))
}

/// Whether `items` hold a linker script (`-T`, or a script input with more
/// than INPUT/GROUP): its roots and ENTRY change what is resolved from the
/// start, so such a link is not resolved ahead.
fn holds_script(items: &[LoadItem]) -> bool {
    items.iter().any(|it| matches!(it, LoadItem::Script(_)))
}

/// Whether `items` hold IR that a plugin would be offered (an LTO object,
/// or an archive with one): the plugin decides at the end what they
/// become, so a link with a plugin and IR is not resolved ahead.
fn holds_ir(items: &[LoadItem]) -> bool {
    items.iter().any(|it| match it {
        LoadItem::Lto(_) => true,
        LoadItem::Archive { archive, .. } => archive.members.iter().any(|m| {
            m.info()
                .is_ok_and(|i| crate::plugin::lto_kind(i.data).is_some())
        }),
        _ => false,
    })
}

/// What this entry's ingestion gave, if it is in (and, a concurrent one,
/// reported and not being ingested again).
fn ready(st: &State, i: usize) -> Option<&[LoadItem]> {
    match &st.entries[i] {
        Entry::Fixed { .. } => match &st.fixed[i] {
            Some(Ok(v)) => Some(v),
            _ => None,
        },
        Entry::Concurrent(slot) => match &slot.result {
            Some(Ok((item, _))) if slot.reported && slot.stored == slot.dispatched => {
                Some(std::slice::from_ref(item))
            }
            _ => None,
        },
    }
}

/// Takes entry `i`'s items (it is `ready`), with the generation of its
/// ingestion (0 for a fixed one).
fn take(st: &mut State, i: usize) -> (Vec<LoadItem>, u64) {
    match &mut st.entries[i] {
        Entry::Fixed { .. } => match st.fixed[i].take() {
            Some(Ok(items)) => (items, 0),
            _ => unreachable!("taken when ready"),
        },
        Entry::Concurrent(slot) => match slot.result.take() {
            Some(Ok((item, id))) => {
                slot.fed = Some(id);
                (vec![item], slot.stored)
            }
            _ => unreachable!("taken when ready"),
        },
    }
}

/// The entries after a gap that make opening it worth its cost (a copy
/// of the symbol table): this many in after it, or all the rest.
const GAP_MIN: usize = 16;

/// Whether to go past entry `i`, not in yet: the entries after it are in,
/// all of them (the last object of a build) or `GAP_MIN` at least (a slow
/// compile among many): not when objects come one by one in order (a
/// gap per object would copy the table each time, for little).
fn worth_a_gap(st: &State, i: usize) -> bool {
    let rest = st.entries.len() - i - 1;
    rest > 0
        && (i + 1..st.entries.len())
            .take(GAP_MIN)
            .all(|j| ready(st, j).is_some())
}

/// One step of feeding, decided under the lock and done without it.
enum Step {
    /// Entry `i` (ingestion `gen`) and its items.
    Feed(usize, u64, Vec<LoadItem>),
    /// Entry `i`, a concurrent object not in yet, is passed over
    /// (`resolve::Incremental::open_gap`).
    Gap(usize),
}

/// Feeds the entries after the fed prefix whose results are in, up to
/// `STEP` of them, stopping at the first that is not (unreported, being
/// ingested, failed). Before the wait, a concurrent object not in yet may
/// be passed over, once, when an entry after it is in: the ones after it
/// are fed then, and it fills its place when it comes (`fill_gap`).
/// Returns whether more may be fed now. Once the wait has begun only the
/// wait feeds (`by_wait`).
pub(super) fn advance(
    shared: &Arc<Shared>,
    frontier: &mut Option<Frontier>,
    opts: &Options,
    by_wait: bool,
) -> bool {
    if frontier.as_ref().is_some_and(|f| f.failed.is_some()) {
        return false;
    }
    if let Some(more) = fill_gap(shared, frontier, opts, by_wait) {
        return more;
    }
    // Taken out under the lock, fed without it: feeding may parse archive
    // members on the pool, whose workers may be waiting for the lock to
    // store an ingestion.
    let mut batch = Vec::new();
    let mut later = None;
    let n = {
        let mut st = shared.state.lock().unwrap();
        if st.resolver_stale || st.resolve_ahead_off || (st.finishing && !by_wait) {
            return false;
        }
        if frontier.as_ref().is_none_or(|f| f.later.is_none()) && LayoutAhead::applies(opts) {
            let fed = frontier.as_ref().map_or(0, |f| f.inc.so_far().shared.len());
            later = later_defs(&st, fed, opts);
        }
        // Past the gap, if one is open.
        let mut spec = frontier.as_ref().is_some_and(|f| f.gap.is_some());
        let mut i = if spec { st.spec_end } else { st.fed_prefix };
        while batch.len() < STEP && i < st.entries.len() {
            let got = ready(&st, i);
            // (Looking for IR reads every archive member: only with a plugin.)
            let ir = opts.plugin.is_some() && got.is_some_and(holds_ir);
            let script = got.is_some_and(holds_script);
            if ir || script {
                // The link runs the plugin (or applies the script's
                // roots, ENTRY and SECTIONS) at the wait, from the first
                // input: what was fed goes back.
                st.resolve_ahead_off = true;
                // (What is before it is fed, or taken to be in this step,
                // or the gap.)
                st.resolver_stale = i > 0;
                break;
            }
            if got.is_none() {
                let may_pass = !spec
                    && !by_wait
                    && matches!(st.entries[i], Entry::Concurrent(_))
                    && frontier.as_ref().is_some_and(|f| {
                        !f.no_gap
                            && f.inc.can_open_gap()
                            && (f.later.is_some() || !LayoutAhead::applies(opts))
                    })
                    && worth_a_gap(&st, i);
                if !may_pass {
                    break;
                }
                batch.push(Step::Gap(i));
                spec = true;
                st.fed_prefix = i;
                i += 1;
                continue;
            }
            let (items, gen) = take(&mut st, i);
            batch.push(Step::Feed(i, gen, items));
            i += 1;
        }
        if spec {
            st.spec_end = i;
        } else {
            st.fed_prefix = i;
        }
        i
    };
    if batch.is_empty() {
        return false;
    }
    let more = batch.len() == STEP;
    let f = frontier.get_or_insert_with(|| Frontier {
        inc: Incremental::new(
            &link::link_roots(opts, &Default::default()),
            opts,
            Box::leak(Box::new(NoPlugin)),
            0,
        ),
        layout: LayoutAhead::applies(opts).then(LayoutAhead::default),
        fed: Vec::new(),
        failed: None,
        later: None,
        gap: None,
        no_gap: false,
    });
    if f.later.is_none() && later.is_some() {
        f.later = later;
        if let (Some(l), Some(later)) = (&mut f.layout, &f.later) {
            if l.files() > 0 {
                // Scanned before the libraries were in: guess again.
                l.rescan(opts, f.inc.so_far(), later);
            }
        }
    }
    let t0 = std::time::Instant::now();
    let mut steps = batch.into_iter();
    while let Some(step) = steps.next() {
        match step {
            Step::Gap(i) => {
                f.inc.open_gap();
                f.gap = Some((i, f.fed.len()));
                shared.log(&format!("resolve-ahead past input #{i}, not in yet"));
            }
            Step::Feed(i, gen, items) => {
                f.fed.push((i, items.len(), gen));
                for item in items {
                    if let Err(e) = f.inc.feed(item) {
                        if f.gap.is_some() {
                            // Past the gap: this may not be the error of
                            // an in-order resolution. Undone; fed in order.
                            undo_gap(shared, f, opts, "an input after it failed");
                            f.no_gap = true;
                            let (mut fed, mut items) = (Vec::new(), Vec::new());
                            for step in steps {
                                if let Step::Feed(i, gen, mine) = step {
                                    fed.push((i, mine.len(), gen));
                                    items.extend(mine);
                                }
                            }
                            let lost = give_back(&mut shared.state.lock().unwrap(), fed, items);
                            ingest_again(shared, lost, opts);
                            return true;
                        }
                        f.failed = Some(e);
                        return false;
                    }
                }
            }
        }
    }
    let t1 = std::time::Instant::now();
    if !by_wait {
        // The wait's link does the rest of them anyway.
        if let Some(l) = &mut f.layout {
            l.feed(opts, f.inc.so_far(), f.later.as_ref(), f.inc.gap_file());
        }
    }
    shared.log(&format!("resolve-ahead {n} inputs"));
    shared.log(&format!(
        "resolve-ahead took {:.1} ms, layout ahead {:.1} ms",
        (t1 - t0).as_secs_f64() * 1e3,
        t1.elapsed().as_secs_f64() * 1e3
    ));
    more
}

/// The gap's input, if a gap is open and it is in now: put in its place
/// (`Incremental::fill_gap`), or else what was fed after it is undone and
/// it is fed in order. At the wait a gap whose input failed is undone.
/// `None` if there is nothing to do.
fn fill_gap(
    shared: &Arc<Shared>,
    frontier: &mut Option<Frontier>,
    opts: &Options,
    by_wait: bool,
) -> Option<bool> {
    let f = frontier.as_mut()?;
    let (i, at) = f.gap?;
    let (items, gen) = {
        let mut st = shared.state.lock().unwrap();
        if st.resolver_stale {
            return Some(false);
        }
        if ready(&st, i).is_none() {
            drop(st);
            if by_wait {
                undo_gap(shared, f, opts, "it did not come in");
            }
            return by_wait.then_some(true);
        }
        take(&mut st, i)
    };
    let t0 = std::time::Instant::now();
    let mut items = items.into_iter();
    let item = match items.next() {
        Some(LoadItem::Object(o)) if items.len() == 0 => match f.inc.fill_gap(*o) {
            Ok(moved) => {
                f.fed.insert(at, (i, 1, gen));
                f.gap = None;
                let mut st = shared.state.lock().unwrap();
                st.fed_prefix = std::mem::take(&mut st.spec_end);
                drop(st);
                shared.log(&format!(
                    "resolve-ahead: input #{i} filled its place, what came after holds ({:.1} ms)",
                    t0.elapsed().as_secs_f64() * 1e3
                ));
                // (At the wait too: the objects after it are laid out
                // ahead already.)
                if let Some(l) = &mut f.layout {
                    let t1 = std::time::Instant::now();
                    let res = f.inc.so_far();
                    let again = l.fill(opts, res, f.later.as_ref(), moved.as_ref());
                    if !by_wait {
                        l.feed(opts, res, f.later.as_ref(), None);
                    }
                    shared.log(&format!(
                        "layout ahead of the {} objects after it: {:.1} ms{}",
                        l.files().saturating_sub(l.written_files() + 1),
                        t1.elapsed().as_secs_f64() * 1e3,
                        match again {
                            Some(why) =>
                                format!(" (folded again: {why} after it would not just move)"),
                            None => " (moved)".into(),
                        }
                    ));
                }
                return Some(true);
            }
            Err(o) => Some(LoadItem::Object(o)),
        },
        other => other,
    };
    undo_gap(shared, f, opts, "what came after it changes");
    // Then fed in order.
    let items: Vec<LoadItem> = item.into_iter().chain(items).collect();
    f.fed.push((i, items.len(), gen));
    shared.state.lock().unwrap().fed_prefix = i + 1;
    for item in items {
        if let Err(e) = f.inc.feed(item) {
            f.failed = Some(e);
            return Some(false);
        }
    }
    Some(true)
}

/// Undoes what was fed after the gap (`Incremental::close_gap`) and gives
/// it back to its entries, to be fed in order.
fn undo_gap(shared: &Arc<Shared>, f: &mut Frontier, opts: &Options, why: &str) {
    let Some((i, at)) = f.gap.take() else {
        return;
    };
    let items = f.inc.close_gap();
    if let Some(l) = &mut f.layout {
        l.unfloat();
    }
    let fed = f.fed.split_off(at);
    let mut st = shared.state.lock().unwrap();
    let n = std::mem::take(&mut st.spec_end).saturating_sub(i + 1);
    st.fed_prefix = i;
    let lost = give_back(&mut st, fed, items);
    drop(st);
    shared.log(&format!(
        "resolve-ahead past input #{i} undone ({why}): {n} inputs given back"
    ));
    if !lost.is_empty() {
        ingest_again(shared, lost, opts);
    }
}

/// Gives entries `fed` ((index, items, ingestion) each, in order) their
/// items back, unless a newer reading of one has replaced them (or is on
/// its way). Returns the entries that must be read again: all of them if
/// `items` are not theirs.
fn give_back(st: &mut State, fed: Vec<(usize, usize, u64)>, items: Vec<LoadItem>) -> Vec<usize> {
    if items.len() != fed.iter().map(|&(_, k, _)| k).sum::<usize>() {
        return fed.into_iter().map(|(i, _, _)| i).collect();
    }
    let mut items = items.into_iter();
    for (i, k, gen) in fed {
        let mine: Vec<LoadItem> = items.by_ref().take(k).collect();
        match &mut st.entries[i] {
            Entry::Fixed { .. } => {
                if st.fixed[i].is_none() {
                    st.fixed[i] = Some(Ok(mine));
                }
            }
            Entry::Concurrent(slot) => {
                let id = slot.fed.take();
                if let (Some(id), Some(item), None) = (id, mine.into_iter().next(), &slot.result) {
                    if slot.dispatched == gen {
                        slot.result = Some(Ok((item, id)));
                    }
                }
            }
        }
    }
    Vec::new()
}

/// Reads entries `which` again (their tables were in a resolution that
/// was dropped and could not give them back), fixed ones here, concurrent
/// ones on the pool.
fn ingest_again(shared: &Arc<Shared>, which: Vec<usize>, opts: &Options) {
    let mut again = Vec::new();
    let mut fixed = Vec::new();
    {
        let mut guard = shared.state.lock().unwrap();
        let st = &mut *guard;
        for i in which {
            match &mut st.entries[i] {
                // Read again already (by the wait's verification), as is.
                Entry::Fixed { .. } if st.fixed[i].is_some() => {}
                Entry::Fixed { arg, .. } => fixed.push((i, arg.clone())),
                Entry::Concurrent(slot) => {
                    slot.fed = None;
                    // Unless a newer ingestion is on its way already.
                    if slot.result.is_none() {
                        again.push(i);
                    }
                }
            }
        }
    }
    // Not under the lock: ingestion runs on the pool, whose workers may be
    // waiting for it.
    for (i, arg) in fixed {
        let mut ex = Expander::new(opts);
        let r = ex
            .add_arg(&arg)
            .and_then(|()| link::ingest(ex.out))
            .map_err(|e| e.msg);
        shared.state.lock().unwrap().fixed[i] = Some(r);
    }
    for i in again {
        dispatch(shared, i, "again", true);
    }
}

/// Objects whose sections one step writes ahead (about a
/// millisecond's work), so that a wait is served at once.
const WRITE_STEP: usize = 128;

/// Writes ahead the sections of some of the objects laid out ahead
/// (`LayoutAhead::write_step`); returns whether some are left.
pub(super) fn write_ahead(
    shared: &Arc<Shared>,
    frontier: &mut Option<Frontier>,
    opts: &Options,
) -> bool {
    let Some(Frontier {
        layout: Some(l),
        inc,
        failed: None,
        ..
    }) = frontier
    else {
        return false;
    };
    let before = l.written_files();
    let more = l.write_step(opts, inc.so_far(), WRITE_STEP);
    if !more && l.written_files() > before {
        shared.log(&format!(
            "sections written ahead: {} objects",
            l.written_files()
        ));
    }
    more
}

/// Drops the resolution and ingests again every entry that was fed (their
/// tables were in it), when one of them changed. Waits until they are in.
pub(super) fn unfeed(shared: &Arc<Shared>, frontier: &mut Option<Frontier>, opts: &Options) {
    // The inputs in it, given back (resolving did not change them); those
    // after a gap first, then the rest.
    let recovered = frontier.take().and_then(|mut f| {
        let after = f
            .gap
            .map(|(_, at)| (f.fed.split_off(at), f.inc.close_gap()));
        let items = f.inc.recover()?;
        Some((f.fed, items, after))
    });
    let mut guard = shared.state.lock().unwrap();
    let st = &mut *guard;
    let n = std::mem::take(&mut st.fed_prefix);
    let spec_end = std::mem::take(&mut st.spec_end);
    st.resolver_stale = false;
    if n == 0 && spec_end == 0 {
        return;
    }
    let mut lost = Vec::new();
    match recovered {
        Some((fed, items, after)) => {
            lost.extend(give_back(st, fed, items));
            if let Some((fed, items)) = after {
                lost.extend(give_back(st, fed, items));
            }
        }
        // Every entry fed; with a gap open, all but entry `n` (the gap's).
        None => lost.extend((0..n.max(spec_end)).filter(|&i| spec_end == 0 || i != n)),
    }
    drop(guard);
    if lost.is_empty() {
        shared.log(&format!("resolve-ahead dropped: {n} inputs given back"));
        return;
    }
    shared.log(&format!(
        "resolve-ahead dropped: ingesting {} inputs again",
        lost.len()
    ));
    ingest_again(shared, lost, opts);
    drop(shared.idle());
}

/// At the wait, after the last feeding: a gap still open (its input
/// failed to be read) is undone, so that the link takes every entry from
/// the fed prefix on.
pub(super) fn settle(shared: &Arc<Shared>, frontier: &mut Option<Frontier>, opts: &Options) {
    if let Some(f) = frontier.as_mut() {
        undo_gap(shared, f, opts, "it is not in at the wait");
    }
}
