//! Ingestion in the background linker: the state it keeps per input and
//! the jobs that fill it. Inputs available at the start are ingested at
//! once; each concurrent input every time it is reported (a later report
//! supersedes an earlier one: only the newest result is kept).
//!
//! Assumes one `Shared` per background linker, whose `State` is the only
//! place results are stored; readers of it wait for `idle()`.

use crate::error::Result;
use crate::input::FileIdentity;
use crate::link::{self, Expander};
use crate::options::{InputArg, InputState, Options};
use crate::resolve::LoadItem;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Instant, SystemTime};

/// One command-line input of the link, as the background linker holds it.
pub(super) enum Entry {
    /// Inputs available at the start (expanded: `-l`, scripts, groups),
    /// with the argument and the identities of the files it read, checked
    /// at the wait like the concurrent ones.
    Fixed {
        arg: InputArg,
        files: Vec<(PathBuf, FileIdentity)>,
        pending: Vec<link::Pending>,
    },
    Concurrent(Box<Slot>),
}

pub(super) struct Slot {
    /// As spelled on the command line.
    pub(super) display: String,
    pub(super) path: PathBuf,
    /// For `-lNAME` inside the concurrent region: (NAME, static only);
    /// `path` is then where it was last found.
    pub(super) lib: Option<(String, bool)>,
    pub(super) as_needed: bool,
    pub(super) whole: bool,
    /// Reported available (or assumed so at the wait).
    pub(super) reported: bool,
    /// Latest dispatched ingestion and the one whose result is stored.
    pub(super) dispatched: u64,
    pub(super) stored: u64,
    pub(super) result: Option<std::result::Result<(LoadItem, FileIdentity), String>>,
    /// For `-lNAME`: where an ingestion last found it.
    pub(super) found_once: Option<PathBuf>,
    /// What the stored result adds to the output's size, roughly
    /// (`link::output_estimate`).
    pub(super) estimate: u64,
    /// The identity of the file whose tables were moved into the
    /// resolution ahead (`frontier`); `result` is then `None`.
    pub(super) fed: Option<FileIdentity>,
    /// A hash of the bytes `result` or the tables fed were made from.
    pub(super) hash: u64,
    /// Reported again while fed: whether it changed is decided once it is
    /// read (the same bytes keep the resolution ahead: a file written
    /// again as it was, like rustc's `symbols.o` on every link).
    pub(super) recheck: bool,
}

impl Slot {
    /// A concurrent input, not reported yet. For `-lNAME`, `lib` is (NAME,
    /// static only) and `path` its first candidate.
    pub(super) fn new(
        display: String,
        path: PathBuf,
        lib: Option<(String, bool)>,
        state: &InputState,
    ) -> Slot {
        Slot {
            display,
            path,
            lib,
            as_needed: state.as_needed,
            whole: state.whole_archive,
            reported: false,
            dispatched: 0,
            stored: 0,
            result: None,
            found_once: None,
            estimate: 0,
            fed: None,
            hash: 0,
            recheck: false,
        }
    }
}

impl Entry {
    /// An input available at the start, expanded now so that a bad one
    /// fails the start; it is ingested in the background (`start_fixed`).
    pub(super) fn fixed(opts: &Options, arg: &InputArg) -> Result<Entry> {
        let mut ex = Expander::new(opts);
        ex.add_arg(arg)?;
        Ok(Entry::Fixed {
            arg: arg.clone(),
            files: ex.identities,
            pending: ex.out,
        })
    }
}

/// For each path a report may name, the concurrent entries it completes
/// (a `-l` library has several candidate paths; a file may be named twice).
pub(super) type Names = HashMap<PathBuf, Vec<usize>>;

pub(super) struct State {
    pub(super) entries: Vec<Entry>,
    pub(super) fixed: Vec<Option<std::result::Result<Vec<LoadItem>, String>>>,
    pub(super) in_flight: usize,
    pub(super) unknown: Vec<String>,
    pub(super) last_activity: Instant,
    /// The wait has begun: reports that arrive now are ignored (the wait
    /// takes every input as complete and verifies identities itself), so
    /// nothing touches `entries` once the link has taken them.
    pub(super) finishing: bool,
    /// The output's size as far as the ingested inputs tell (the sum of
    /// `link::output_estimate`): how much of the output to prepare.
    pub(super) estimate: u64,
    /// Entries `0..fed_prefix` are in the resolution ahead (`frontier`);
    /// `resolver_stale`: one of them changed since, so it is of no use.
    pub(super) fed_prefix: usize,
    /// While the resolution ahead went past entry `fed_prefix` (not in
    /// yet: `frontier::Frontier::gap`), entries `fed_prefix + 1..spec_end`
    /// are in it too; else 0.
    pub(super) spec_end: usize,
    pub(super) resolver_stale: bool,
    /// Not resolved ahead at all (IR for the LTO plugin is among the inputs).
    pub(super) resolve_ahead_off: bool,
}

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    pub(super) cv: Condvar,
    /// The event log, buffered: thousands of inputs make three lines
    /// each, and a write per line was a system call each, taken from
    /// the ingestion it logs. Written out at most `LOG_DELAY` after a line
    /// (with the next line), when the event loop goes idle (`flush_log`)
    /// and with the last line.
    pub(super) log: Mutex<(std::io::BufWriter<Box<dyn Write + Send>>, Instant)>,
    pub(super) t0: Instant,
    /// Library search directories, for `-l` inputs in the concurrent region.
    pub(super) search: Vec<PathBuf>,
    /// Pipe mode: the FIFO, read by its thread and drained by the wait.
    pub(super) fifo: std::sync::OnceLock<Mutex<FifoIn>>,
    /// The output file, opened and faulted in while inputs arrive (by the
    /// event loop when nothing else happens); the wait writes into it.
    pub(super) prepared: Mutex<Option<crate::output_file::Prepared>>,
    /// What the link left, released after the wait is answered.
    pub(super) finished: Mutex<Option<link::Finished>>,
    /// A pipe that wakes the event loop when an ingestion is stored (`wake`):
    /// the resolution goes on at once, not at the loop's next timeout (the
    /// last object's, before the wait connects).
    /// (`None` if no pipe could be made: the loop then wakes at its timeout.)
    wake: Option<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)>,
}

/// The FIFO's read end (non-blocking) and what has been read of a name
/// whose NUL has not arrived yet.
pub(super) struct FifoIn {
    pub(super) file: std::fs::File,
    pub(super) buf: Vec<u8>,
    pub(super) names: Arc<Names>,
    pub(super) cwd: PathBuf,
}

/// The threads that ingest inputs: a pool of their own, as many as the
/// link's. On the link's pool, a few thousand inputs reported at once (a
/// rebuild reports every object that exists) queued ahead of the
/// frontier's parallel steps, which then waited for all of them to be
/// read before resolving or laying out the first.
fn ingest_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| background_pool("ingest", 0))
}

/// A pool of the background linker's own, as many threads as the link's,
/// named `cld-NAME-I`, each `nice` nicer than the build.
fn background_pool(name: &'static str, nice: i32) -> rayon::ThreadPool {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .thread_name(move |i| format!("cld-{name}-{i}"))
        .start_handler(move |_| {
            if nice != 0 {
                // SAFETY: nice changes only this thread's priority (Linux
                // threads have their own); a failure leaves it as it was.
                unsafe { nix::libc::nice(nice) };
            }
        })
        .build()
        .unwrap_or_else(|e| panic!("cannot start the {name} threads: {e}"));
    // Their malloc arenas grown once (see arenas.rs).
    crate::arenas::pregrow(Some(&pool));
    pool
}

/// How much nicer than the build the background linker's work ahead runs
/// (`ahead_pool`).
const AHEAD_NICE: i32 = 5;

/// The threads that do the work ahead of the wait (resolving, laying out,
/// writing ahead, preparing the output), niced (`AHEAD_NICE`): that work
/// fills the time the build leaves, and yields to the build's own
/// processes. The wait's client most of all: on 2 CPUs, the steps of
/// writing ahead the archive members the last object pulled in held both
/// for 17 ms, and the client that runs the wait, started by the build
/// right after the last object's report, waited that long to connect.
/// The wait's link runs on the global pool, at the build's priority.
pub(super) fn ahead_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| background_pool("ahead", AHEAD_NICE))
}

/// How long a line may wait in the log's buffer (see `Shared::log`).
const LOG_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

impl Shared {
    /// The state of a background linker holding `entries`, none ingested
    /// yet, logging to `log`.
    pub(super) fn new(
        entries: Vec<Entry>,
        log: Box<dyn Write + Send>,
        search: Vec<PathBuf>,
    ) -> Arc<Shared> {
        let n_fixed = entries.len();
        Arc::new(Shared {
            state: Mutex::new(State {
                entries,
                fixed: (0..n_fixed).map(|_| None).collect(),
                in_flight: 0,
                unknown: Vec::new(),
                last_activity: Instant::now(),
                finishing: false,
                estimate: 0,
                fed_prefix: 0,
                spec_end: 0,
                resolver_stale: false,
                resolve_ahead_off: false,
            }),
            cv: Condvar::new(),
            log: Mutex::new((
                std::io::BufWriter::with_capacity(1 << 16, log),
                Instant::now(),
            )),
            t0: Instant::now(),
            search,
            fifo: std::sync::OnceLock::new(),
            prepared: Mutex::new(None),
            finished: Mutex::new(None),
            wake: nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC)
                .ok(),
        })
    }

    /// Wakes the event loop (see `wake`).
    fn wake(&self) {
        // Full (the loop has not drained it yet): it wakes anyway.
        if let Some((_, w)) = &self.wake {
            let _ = nix::unistd::write(w, &[1]);
        }
    }

    /// What the event loop polls to be woken (see `wake`).
    pub(super) fn woken_by(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.wake.as_ref().map(|(r, _)| r.as_fd())
    }

    /// Empties the wake pipe, once woken.
    pub(super) fn drain_wake(&self) {
        let mut buf = [0u8; 256];
        if let Some((r, _)) = &self.wake {
            while matches!(nix::unistd::read(r, &mut buf), Ok(n) if n > 0) {}
        }
    }

    /// The log's last line: later events (a reader thread still running
    /// while the process exits) are not written.
    pub(super) fn last_log(&self, msg: &str) {
        self.log(msg);
        if let Ok(mut l) = self.log.lock() {
            let _ = l.0.flush();
            l.0 = std::io::BufWriter::new(Box::new(std::io::sink()));
        }
    }

    /// Writes out what the log holds.
    pub(super) fn flush_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            let _ = l.0.flush();
            l.1 = Instant::now();
        }
    }

    /// The state once no ingestion is in flight.
    pub(super) fn idle(&self) -> std::sync::MutexGuard<'_, State> {
        let mut st = self.state.lock().unwrap();
        while st.in_flight > 0 {
            st = self.cv.wait(st).unwrap();
        }
        st
    }

    pub(super) fn log(&self, msg: &str) {
        let wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        if let Ok(mut l) = self.log.lock() {
            let _ = writeln!(
                l.0,
                "{wall:.6} +{:.6} {msg}",
                self.t0.elapsed().as_secs_f64()
            );
            if l.1.elapsed() > LOG_DELAY {
                let _ = l.0.flush();
                l.1 = Instant::now();
            }
        }
    }
}

/// Lexically normalized absolute path (no symlink resolution: the file may
/// not exist yet).
pub(super) fn normalize(p: &Path, cwd: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(super) fn start_fixed(shared: &Arc<Shared>) {
    let mut st = shared.state.lock().unwrap();
    let mut jobs = Vec::new();
    for (i, e) in st.entries.iter_mut().enumerate() {
        if let Entry::Fixed { pending, .. } = e {
            jobs.push((i, std::mem::take(pending)));
        }
    }
    st.in_flight += 1;
    drop(st);
    let sh = shared.clone();
    ingest_pool().spawn(move || {
        sh.log("ingest-start fixed inputs");
        let results: Vec<(usize, std::result::Result<Vec<LoadItem>, String>)> = {
            use rayon::prelude::*;
            jobs.into_par_iter()
                .with_max_len(1)
                .map(|(i, p)| (i, link::ingest(p).map_err(|e| e.msg)))
                .collect()
        };
        // Archive members are parsed when the resolution selects them,
        // which is at the wait for archives after the last object: parse
        // them now.
        for (_, r) in &results {
            for item in r.iter().flatten() {
                if let LoadItem::Archive { archive, .. } = item {
                    archive.parse_members();
                }
            }
        }
        let mut st = sh.state.lock().unwrap();
        for (i, r) in results {
            if let Ok(items) = &r {
                st.estimate += link::output_estimate(items);
            }
            st.fixed[i] = Some(r);
        }
        st.in_flight -= 1;
        drop(st);
        sh.cv.notify_all();
        sh.wake();
        sh.log("ingest-done fixed inputs");
    });
}

/// Inotify mode (and `--concurrent-existing`): inputs that exist already
/// may be complete (an incremental rebuild); ingest them speculatively,
/// verified at the wait, but the `pending` ones (being written now: the
/// object of the compile that started the background linker).
pub(super) fn ingest_existing(shared: &Arc<Shared>, pending: &[PathBuf]) {
    use std::os::unix::fs::MetadataExt;
    // By device and inode (one `stat` each, which `is_file` took anyway;
    // resolving 3,000 paths took 30 ms).
    let id = |m: &std::fs::Metadata| (m.dev(), m.ino());
    let pending: Vec<(u64, u64)> = (pending.iter())
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| id(&m))
        .collect();
    let candidates: Vec<(usize, PathBuf)> = {
        let st = shared.state.lock().unwrap();
        (st.entries.iter().enumerate())
            .filter_map(|(i, e)| match e {
                Entry::Concurrent(s) => Some((i, s.path.clone())),
                _ => None,
            })
            .collect()
    };
    let speculative: Vec<(usize, PathBuf)> = (candidates.into_iter())
        .filter(|(_, p)| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && !pending.contains(&id(&m)))
        })
        .collect();
    prefetch(speculative.iter().map(|(_, p)| p.clone()).collect());
    for (i, _) in speculative {
        dispatch(shared, i, "speculative", false);
    }
}

/// Asks the kernel to read `paths` into the page cache (`WILLNEED`), in
/// order, on a thread of its own. A rebuild's objects may be out of the
/// cache (here 3,000 objects, 123 MB, were dropped within 20 s of being
/// written); the ingestion threads read them one file at a time, a
/// request or two in flight, where the advice has the disk read them at
/// its full depth: 3,000 cold objects took 277 ms to read in order, 190
/// with the advice given first.
fn prefetch(paths: Vec<PathBuf>) {
    use nix::fcntl::{posix_fadvise, PosixFadviseAdvice};
    let run = move || {
        for p in paths {
            if let Ok(f) = std::fs::File::open(&p) {
                let _ = posix_fadvise(&f, 0, 0, PosixFadviseAdvice::POSIX_FADV_WILLNEED);
            }
        }
    };
    // Without a thread, the inputs are read as they would have been.
    let _ = std::thread::Builder::new()
        .name("cld-prefetch".into())
        .spawn(run);
}

/// Ingest concurrent input `i` (again) on the worker pool. Events are
/// ignored once the wait has begun, unless the wait itself dispatches
/// (`by_wait`).
pub(super) fn dispatch(shared: &Arc<Shared>, i: usize, why: &str, by_wait: bool) {
    let mut st = shared.state.lock().unwrap();
    st.last_activity = Instant::now();
    if st.finishing && !by_wait {
        let name = match st.entries.get(i) {
            Some(Entry::Concurrent(s)) => s.display.clone(),
            _ => format!("input #{i}"),
        };
        drop(st);
        shared.log(&format!("ignored event {why} {name}: the wait has begun"));
        return;
    }
    let fed = i < st.fed_prefix || (i > st.fed_prefix && i < st.spec_end);
    let Some(Entry::Concurrent(slot)) = st.entries.get_mut(i) else {
        return;
    };
    // Its tables are in the resolution ahead: that is stale unless the
    // file has the same bytes (decided when it is read).
    let stale = fed && slot.fed.is_none();
    slot.recheck |= fed && slot.fed.is_some();
    slot.reported = true;
    slot.dispatched += 1;
    let gen = slot.dispatched;
    let (path, an, wh, display, lib) = (
        slot.path.clone(),
        slot.as_needed,
        slot.whole,
        slot.display.clone(),
        slot.lib.clone(),
    );
    let search = shared.search.clone();
    st.resolver_stale |= stale;
    st.in_flight += 1;
    drop(st);
    shared.log(&format!("event {why} {display}"));
    let sh = shared.clone();
    ingest_pool().spawn(move || {
        // The pool thread's index: which worker ingests what (for timelines).
        sh.log(&format!(
            "ingest-start {display} worker={}",
            rayon::current_thread_index().unwrap_or(0)
        ));
        let (r, found) = match &lib {
            None => (
                link::ingest_concurrent(&path, &display, &display, an, wh).map_err(|e| e.msg),
                None,
            ),
            Some((name, static_only)) => {
                match crate::input::find_library(name, *static_only, &search) {
                    Some(p) => {
                        let soname = p
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let shown = p.display().to_string();
                        let r =
                            link::ingest_concurrent(&p, &shown, &soname, an, wh).map_err(|e| e.msg);
                        (r, Some(p))
                    }
                    None => (Err(format!("cannot find -l{name}")), None),
                }
            }
        };
        if let Ok((LoadItem::Archive { archive, .. }, _, _)) = &r {
            archive.parse_members();
        }
        let ok = r.is_ok();
        let mut estimate_change = None;
        let (mut stale, mut kept) = (false, false);
        let mut st = sh.state.lock().unwrap();
        if let Some(Entry::Concurrent(slot)) = st.entries.get_mut(i) {
            if let Some(p) = &found {
                // Whatever the generation: a later failure to find it then
                // names the file that was there.
                slot.found_once = Some(p.clone());
            }
            let same = slot.recheck
                && gen > slot.stored
                && slot.fed.is_some()
                && matches!(&r, Ok((_, _, h)) if *h == slot.hash);
            if slot.recheck && !same {
                (stale, slot.recheck) = (true, false);
            } else if same && gen == slot.dispatched {
                slot.recheck = false;
            }
            if same {
                // The tables fed stay: this file's identity is theirs now.
                if let Ok((_, id, _)) = &r {
                    slot.fed = Some(*id);
                }
                slot.stored = gen;
                kept = true;
            } else if gen > slot.stored {
                let est = match &r {
                    Ok((item, _, _)) => link::output_estimate(std::slice::from_ref(item)),
                    Err(_) => 0,
                };
                estimate_change = Some((std::mem::replace(&mut slot.estimate, est), est));
                slot.stored = gen;
                let r = r.map(|(item, id, h)| {
                    slot.hash = h;
                    (item, id)
                });
                slot.result = Some(r);
                if let Some(p) = found {
                    // Verified at the wait where it was found.
                    slot.path = normalize(&p, &std::env::current_dir().unwrap_or_default());
                }
            }
        }
        if let Some((old, new)) = estimate_change {
            st.estimate = st.estimate - old + new;
        }
        st.resolver_stale |= stale;
        st.in_flight -= 1;
        drop(st);
        sh.cv.notify_all();
        sh.wake();
        sh.log(&format!(
            "ingest-{} {display}{}",
            if ok { "done" } else { "failed" },
            if kept {
                " (the same bytes as the tables resolved ahead: kept)"
            } else {
                ""
            }
        ));
    });
}

pub(super) fn report_name(shared: &Arc<Shared>, names: &Names, p: &Path, why: &str) {
    match names.get(p) {
        Some(v) => {
            for &i in v {
                dispatch(shared, i, why, false);
            }
        }
        None => {
            if why == "fifo" {
                let n = p.display().to_string();
                shared.log(&format!("refused {n}: not a concurrent input"));
                shared.state.lock().unwrap().unknown.push(n);
            }
        }
    }
}
