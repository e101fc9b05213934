//! The wait: every input not yet reported is taken as complete, every
//! input's identity is verified (what changed since it was ingested is read
//! again), and the link runs as a serial one would (`link::link_items`),
//! its diagnostics captured for the waiting client.
//!
//! Assumes the feed may still be reporting: the FIFO is drained and the
//! state marked `finishing` under the FIFO's lock, so no name written
//! before the wait is lost and none after it changes the link.

use super::feed::drain_fifo;
use super::frontier::{self, Frontier};
use super::ingest::{dispatch, Entry, Shared};
use crate::error::Error;
use crate::input::FileIdentity;
use crate::link::{self, Expander};
use crate::options::Options;
use crate::resolve::LoadItem;
use rayon::prelude::*;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Whether `path` still is the file that had identity `id`.
fn unchanged(path: &Path, id: &FileIdentity) -> bool {
    std::fs::metadata(path).ok().map(|m| FileIdentity::of(&m)) == Some(*id)
}

/// `cannot find -lNAME` alone would not say that the library was there
/// `when` (and was read): add it to the error `m`.
fn note_removed(m: &mut String, p: &Path, when: &str) {
    m.push_str(&format!(
        " ({} was read {when} and has been removed since)",
        p.display()
    ));
}

/// The wait: everything unreported is complete; verify; link.
pub(super) fn finish(
    shared: &Arc<Shared>,
    opts: &Options,
    diag_path: &Path,
    frontier: &mut Option<Frontier>,
) -> (i32, String) {
    let t0 = Instant::now();
    take_all_as_reported(shared);
    reread_changed_concurrent(shared);
    reread_changed_fixed(shared, opts);
    shared.log(&format!(
        "verified the inputs in {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    ));
    if !shared.state.lock().unwrap().resolver_stale {
        while frontier::advance(shared, frontier, opts, true) {}
    }
    // Stale, or feeding met what must be resolved from the start (IR for
    // the plugin, a linker script).
    if shared.state.lock().unwrap().resolver_stale {
        frontier::unfeed(shared, frontier, opts);
    }
    shared.log("link-start");
    let skip = shared.state.lock().unwrap().fed_prefix;
    let (items, errors, warnings) = take_results(shared, skip);
    let ahead = frontier.take().filter(|_| skip > 0);
    let phase = |p: &str| shared.log(&format!("phase {p}"));
    let result = if !errors.is_empty() {
        (Err(Error::new(errors.join("\n"))), String::new())
    } else if let Some(Frontier {
        failed: Some(e), ..
    }) = ahead
    {
        (Err(e), String::new())
    } else {
        capture_stderr(diag_path, || {
            let prepared = shared
                .prepared
                .lock()
                .unwrap()
                .take()
                .map(crate::output_file::Preparing::Ready);
            let ahead = ahead.map(|f| {
                shared.log(&format!(
                    "resolve-ahead used: {skip} inputs; layout ahead: {} objects; \
                     debug sections written ahead: {} objects",
                    f.layout.as_ref().map_or(0, |l| l.files()),
                    f.layout.as_ref().map_or(0, |l| l.written_files())
                ));
                link::Ahead {
                    inc: f.inc,
                    layout: f.layout,
                }
            });
            link::link_items_traced(opts, items, t0, &phase, prepared, ahead)
        })
    };
    shared.log("link-done");
    let (r, captured) = result;
    let mut diag = warnings + &captured;
    match r {
        // Released once the wait is answered (see `link::Finished`).
        Ok(done) => {
            *shared.finished.lock().unwrap() = Some(done);
            (0, diag)
        }
        Err(e) => {
            for line in e.msg.lines() {
                if line.starts_with(">>>") {
                    diag.push_str(&format!("{line}\n"));
                } else {
                    diag.push_str(&format!("cld: error: {line}\n"));
                }
            }
            (1, diag)
        }
    }
}

/// Stops the feed from changing the link (after reading what the FIFO
/// holds) and dispatches every concurrent input not reported yet.
fn take_all_as_reported(shared: &Arc<Shared>) {
    let fifo = drain_fifo(shared);
    let unreported: Vec<usize> = {
        let mut st = shared.state.lock().unwrap();
        st.finishing = true;
        drop(fifo);
        st.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Entry::Concurrent(s) if !s.reported => Some(i),
                _ => None,
            })
            .collect()
    };
    for i in unreported {
        dispatch(shared, i, "wait", true);
    }
}

/// Verifies the concurrent inputs' identities once ingestion is idle;
/// re-reads what changed since it was ingested.
fn reread_changed_concurrent(shared: &Arc<Shared>) {
    let st = shared.idle();
    // Thousands of stat calls: on the pool (the state is not changed meanwhile: the
    // wait has begun and ingestion is idle).
    let stale: Vec<usize> = st
        .entries
        .par_iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Entry::Concurrent(s)
                if !matches!((&s.result, &s.fed), (Some(Ok((_, id))), _) | (None, Some(id))
                    if unchanged(&s.path, id)) =>
            {
                Some(i)
            }
            _ => None,
        })
        .collect();
    drop(st);
    if !stale.is_empty() {
        shared.log(&format!(
            "verify: {} inputs changed; re-reading",
            stale.len()
        ));
        for i in stale {
            dispatch(shared, i, "changed", true);
        }
        drop(shared.idle());
    }
}

/// Inputs that were not concurrent may have changed too (a library
/// rebuilt meanwhile): read those arguments again, as a serial link would.
fn reread_changed_fixed(shared: &Arc<Shared>, opts: &Options) {
    let mut st = shared.state.lock().unwrap();
    let changed: Vec<bool> = st
        .entries
        .par_iter()
        .map(|e| match e {
            Entry::Fixed { files, .. } => !files.iter().all(|(p, id)| unchanged(p, id)),
            Entry::Concurrent(_) => false,
        })
        .collect();
    let mut redo = Vec::new();
    for (i, e) in st.entries.iter().enumerate() {
        if let Entry::Fixed { arg, files, .. } = e {
            if changed[i] {
                let gone: Vec<PathBuf> = files
                    .iter()
                    .filter(|(p, _)| std::fs::symlink_metadata(p).is_err())
                    .map(|(p, _)| p.clone())
                    .collect();
                redo.push((i, arg.clone(), gone));
            }
        }
    }
    for (i, arg, gone) in redo {
        shared.log(&format!("verify: input #{i} changed; re-reading"));
        if i < st.fed_prefix {
            st.resolver_stale = true;
        }
        let mut ex = Expander::new(opts);
        let r = ex
            .add_arg(&arg)
            .and_then(|()| link::ingest(ex.out))
            .map_err(|e| {
                let mut m = e.msg;
                for p in gone {
                    note_removed(&mut m, &p, "when the link started");
                }
                m
            });
        st.fixed[i] = Some(r);
    }
}

/// Takes every input's result out of the state, in command-line order,
/// from entry `skip` on (those before are resolved already): the items to
/// link, the errors, and warnings for unknown FIFO names.
fn take_results(shared: &Shared, skip: usize) -> (Vec<LoadItem>, Vec<String>, String) {
    let mut st = shared.state.lock().unwrap();
    let mut errors = Vec::new();
    let mut warnings = String::new();
    for u in &st.unknown {
        warnings.push_str(&format!(
            "cld: warning: {u} was reported on the FIFO but is not a concurrent input; ignored\n"
        ));
    }
    let mut items = Vec::new();
    let entries = std::mem::take(&mut st.entries);
    let mut fixed = std::mem::take(&mut st.fixed);
    drop(st);
    for (i, e) in entries.into_iter().enumerate().skip(skip) {
        match e {
            Entry::Fixed { .. } => match fixed[i].take() {
                Some(Ok(v)) => items.extend(v),
                Some(Err(m)) => errors.push(m),
                None => errors.push("internal error: input not ingested".into()),
            },
            Entry::Concurrent(s) => match s.result {
                Some(Ok((item, _))) => items.push(item),
                Some(Err(mut m)) => {
                    if let Some(p) = s.found_once.filter(|p| !p.exists()) {
                        note_removed(&mut m, &p, "before");
                    }
                    errors.push(m)
                }
                None => errors.push(format!("{}: not ingested", s.display)),
            },
        }
    }
    (items, errors, warnings)
}

/// Run `f` with stderr sent to a temporary file; return what it printed.
fn capture_stderr<T>(tmp: &Path, f: impl FnOnce() -> T) -> (T, String) {
    // In the 0700 runtime directory, created exclusively.
    let _ = std::fs::remove_file(tmp);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp);
    let saved = unsafe { nix::libc::dup(2) };
    if let Ok(file) = &file {
        unsafe {
            nix::libc::dup2(file.as_raw_fd(), 2);
        }
    }
    let r = f();
    if saved >= 0 {
        unsafe {
            nix::libc::dup2(saved, 2);
            nix::libc::close(saved);
        }
    }
    let text = std::fs::read_to_string(tmp).unwrap_or_default();
    let _ = std::fs::remove_file(tmp);
    (r, text)
}
