//! The resolution frontier: while compiles run, the background linker
//! resolves symbols in command-line order as far as every input is
//! ingested (`resolve::Incremental`), so that the wait resolves only the
//! inputs from the first one that arrived late. In a Make build the inputs
//! arrive about in command-line order (and the archives built from the
//! last compiles come last), so most of the resolution is done before the
//! wait.
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
        LoadItem::Archive { archive, .. } => archive
            .members
            .iter()
            .any(|m| crate::plugin::lto_kind(m.data).is_some()),
        _ => false,
    })
}

/// Feeds the entries after the fed prefix whose results are in, up to
/// `STEP` of them, stopping at the first that is not (unreported, being
/// ingested, failed). Returns whether more may be fed now. Once the wait
/// has begun only the wait feeds (`by_wait`).
pub(super) fn advance(
    shared: &Shared,
    frontier: &mut Option<Frontier>,
    opts: &Options,
    by_wait: bool,
) -> bool {
    if frontier.as_ref().is_some_and(|f| f.failed.is_some()) {
        return false;
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
        while batch.len() < STEP && st.fed_prefix < st.entries.len() {
            let i = st.fed_prefix;
            // What this entry's ingestion gave, if it is in.
            let ready: Option<&[LoadItem]> = match &st.entries[i] {
                Entry::Fixed { .. } => match &st.fixed[i] {
                    Some(Ok(v)) => Some(v),
                    _ => None,
                },
                Entry::Concurrent(slot) => match &slot.result {
                    Some(Ok((item, _))) => Some(std::slice::from_ref(item)),
                    _ => None,
                },
            };
            // (Looking for IR reads every archive member: only with a plugin.)
            let ir = opts.plugin.is_some() && ready.is_some_and(holds_ir);
            let script = ready.is_some_and(holds_script);
            if ir || script {
                // The link runs the plugin (or applies the script's
                // roots, ENTRY and SECTIONS) at the wait, from the first
                // input: what was fed goes back.
                st.resolve_ahead_off = true;
                st.resolver_stale = st.fed_prefix > 0;
                break;
            }
            let (items, gen) = match &mut st.entries[i] {
                Entry::Fixed { .. } => match &st.fixed[i] {
                    Some(Ok(_)) => match st.fixed[i].take() {
                        Some(Ok(items)) => (items, 0),
                        _ => unreachable!(),
                    },
                    _ => break,
                },
                Entry::Concurrent(slot) => {
                    let ready = slot.reported
                        && slot.stored == slot.dispatched
                        && matches!(&slot.result, Some(Ok(_)));
                    if !ready {
                        break;
                    }
                    match slot.result.take() {
                        Some(Ok((item, id))) => {
                            slot.fed = Some(id);
                            (vec![item], slot.stored)
                        }
                        _ => unreachable!(),
                    }
                }
            };
            st.fed_prefix += 1;
            batch.push((i, gen, items));
        }
        st.fed_prefix
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
    for (i, gen, items) in batch {
        f.fed.push((i, items.len(), gen));
        for item in items {
            if let Err(e) = f.inc.feed(item) {
                f.failed = Some(e);
                return false;
            }
        }
    }
    let t1 = std::time::Instant::now();
    if !by_wait {
        // The wait's link does the rest of them anyway.
        if let Some(l) = &mut f.layout {
            l.feed(opts, f.inc.so_far(), f.later.as_ref());
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

/// Objects whose sections one step writes ahead (about a
/// millisecond's work), so that a wait is served at once.
const WRITE_STEP: usize = 128;

/// Writes ahead the sections of some of the objects laid out ahead
/// (`LayoutAhead::write_step`); returns whether some are left.
pub(super) fn write_ahead(
    shared: &Shared,
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
pub(super) fn unfeed(
    shared: &std::sync::Arc<Shared>,
    frontier: &mut Option<Frontier>,
    opts: &Options,
) {
    // The inputs in it, given back (resolving did not change them).
    let recovered = frontier.take().and_then(|f| {
        let fed = f.fed;
        let items = f.inc.recover()?;
        (items.len() == fed.iter().map(|&(_, k, _)| k).sum::<usize>()).then_some((fed, items))
    });
    let mut guard = shared.state.lock().unwrap();
    let st = &mut *guard;
    let n = std::mem::take(&mut st.fed_prefix);
    st.resolver_stale = false;
    if n == 0 {
        return;
    }
    if let Some((fed, items)) = recovered {
        // Each entry gets its items back, unless a newer reading of it
        // has replaced them (or is on its way).
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
                    if let (Some(id), Some(item), None) =
                        (id, mine.into_iter().next(), &slot.result)
                    {
                        if slot.dispatched == gen {
                            slot.result = Some(Ok((item, id)));
                        }
                    }
                }
            }
        }
        drop(guard);
        shared.log(&format!("resolve-ahead dropped: {n} inputs given back"));
        return;
    }
    let mut again = Vec::new();
    let mut fixed = Vec::new();
    for i in 0..n {
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
    // Not under the lock: ingestion runs on the pool, whose workers may be
    // waiting for it.
    drop(guard);
    shared.log(&format!(
        "resolve-ahead dropped: ingesting {n} inputs again"
    ));
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
    drop(shared.idle());
}
