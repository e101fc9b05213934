//! The wait: every input not yet reported is taken as complete, and the
//! link runs as a serial one would (`link::link_items`), its diagnostics
//! captured for the waiting client. Meanwhile every input's identity is
//! verified (`Verify`); if one changed since it was read, what was linked
//! is dropped and the link made again from the command line.
//!
//! Assumes the feed may still be reporting: the FIFO is drained and the
//! state marked `finishing` under the FIFO's lock, so no name written
//! before the wait is lost and none after it changes the link.

use super::feed::drain_fifo;
use super::frontier::{self, Frontier};
use super::ingest::{dispatch, Entry, Shared};
use crate::error::Error;
use crate::input::FileIdentity;
use crate::link;
use crate::options::Options;
use crate::resolve::LoadItem;
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
    reread_unread(shared);
    let mut verify = Verify::start(shared);
    if !shared.state.lock().unwrap().resolver_stale {
        while frontier::advance(shared, frontier, opts, true) {}
        frontier::settle(shared, frontier, opts);
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
                     sections written ahead: {} objects",
                    f.layout.as_ref().map_or(0, |l| l.files()),
                    f.layout.as_ref().map_or(0, |l| l.written_files())
                ));
                link::Ahead {
                    inc: f.inc,
                    layout: f.layout,
                }
            });
            // The inputs must still be what was read when the image is put
            // in place (else the previous output stays, and the link is
            // made again below).
            let mut unchanged = || match verify.changed().len() {
                0 => Ok(()),
                n => Err(Error::new(format!(
                    "{n} inputs changed since they were read"
                ))),
            };
            link::link_items_traced(opts, items, t0, &phase, prepared, ahead, &mut unchanged)
        })
    };
    shared.log("link-done");
    let (mut r, mut captured) = result;
    let changed = verify.finish(shared);
    if !changed.is_empty() {
        // What was linked is not what the build made: link what is there
        // now, from the command line, as a serial link would.
        shared.log(&format!(
            "verify: {} inputs changed since they were read; linking again from the command line",
            changed.len()
        ));
        drop(r);
        (r, captured) = capture_stderr(diag_path, || link::link(opts));
        if let Err(e) = &mut r {
            for p in changed
                .iter()
                .filter(|p| std::fs::symlink_metadata(p).is_err())
            {
                note_removed(&mut e.msg, p, "when the link started");
            }
        }
        shared.log("link-done");
    }
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

/// Reads again the concurrent inputs whose ingestion failed (a name
/// reported before its file was complete) or that have no result, as the
/// link needs them; waits until ingestion is idle.
fn reread_unread(shared: &Arc<Shared>) {
    let st = shared.idle();
    let unread: Vec<usize> = st
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Entry::Concurrent(s) if identity(s).is_none() => Some(i),
            _ => None,
        })
        .collect();
    drop(st);
    if !unread.is_empty() {
        shared.log(&format!(
            "verify: {} inputs not read; reading",
            unread.len()
        ));
        for i in unread {
            dispatch(shared, i, "unread", true);
        }
        drop(shared.idle());
    }
}

/// The identity a concurrent input was read with, if it was.
fn identity(s: &super::ingest::Slot) -> Option<&FileIdentity> {
    match (&s.result, &s.fed) {
        (Some(Ok((_, id))), _) | (None, Some(id)) => Some(id),
        _ => None,
    }
}

/// The check that every input is still the file that was read (an input
/// changed after it was reported, a library rebuilt meanwhile): thousands
/// of `stat` calls, made on a thread of their own while the link runs (its
/// resolution is mostly on one core), and looked at before the image is
/// put in place. Checking then rather than before the link also sees later
/// changes.
struct Verify {
    thread: Option<std::thread::JoinHandle<(Vec<PathBuf>, std::time::Duration)>>,
    /// What the thread found, once joined: the inputs changed, and how
    /// long it took.
    found: (Vec<PathBuf>, std::time::Duration),
}

impl Verify {
    /// Starts checking the identities of what ingestion read (which is
    /// idle, and stays so: the wait has begun).
    fn start(shared: &Shared) -> Verify {
        let st = shared.state.lock().unwrap();
        let mut files: Vec<(PathBuf, FileIdentity)> = Vec::new();
        for e in &st.entries {
            match e {
                Entry::Concurrent(s) => {
                    if let Some(id) = identity(s) {
                        files.push((s.path.clone(), *id));
                    }
                }
                Entry::Fixed { files: f, .. } => files.extend(f.iter().cloned()),
            }
        }
        drop(st);
        let thread = std::thread::spawn(move || {
            // Behind the link's threads: the link's one-core phases (most
            // of the resolution and layout) leave a core for this, and its
            // parallel ones lose nothing to it. (Linux: the calling thread.)
            // SAFETY: a plain system call.
            unsafe { nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, 19) };
            let t0 = Instant::now();
            let changed = files
                .into_iter()
                .filter(|(p, id)| !unchanged(p, id))
                .map(|(p, _)| p)
                .collect();
            (changed, t0.elapsed())
        });
        Verify {
            thread: Some(thread),
            found: Default::default(),
        }
    }

    /// The inputs found changed (waits for the check to end).
    fn changed(&mut self) -> &[PathBuf] {
        if let Some(t) = self.thread.take() {
            // A panic in it (none is expected): the inputs count as changed
            // only if found so.
            self.found = t.join().unwrap_or_default();
        }
        &self.found.0
    }

    /// The inputs found changed.
    fn finish(mut self, shared: &Shared) -> Vec<PathBuf> {
        self.changed();
        let (changed, took) = self.found;
        shared.log(&format!(
            "verified the inputs beside the link in {:.1} ms",
            took.as_secs_f64() * 1e3
        ));
        changed
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
