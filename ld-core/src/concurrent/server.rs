//! The background linker: what the foreground hands it (`Setup`), its
//! start (detached from the terminal and the build tool's pipes), and its
//! event loop on the control socket, which answers status requests and
//! ends with a wait (`wait::finish`), an abort, a signal or the idle
//! timeout, removing its socket, FIFO and lock.
//!
//! Assumes it runs in the grandchild of the starting command, with no
//! other thread yet: the rayon pool is configured here.

use super::collapse::Collapse;
use super::feed;
use super::frontier::{self, Frontier};
use super::ingest::{ahead_pool, ingest_existing, start_fixed, Entry, Names, Shared};
use super::owner::Owner;
use super::wait::finish;
use crate::options::{ConcurrentMode, Options};
use crate::outlock::OutputLock;
use nix::sys::inotify::{Inotify, WatchDescriptor};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::unistd::getuid;
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything set up in the foreground, handed to the background process.
pub(super) struct Setup {
    pub(super) opts: Options,
    pub(super) token: String,
    pub(super) dir: PathBuf,
    pub(super) sock_path: PathBuf,
    pub(super) listener: UnixListener,
    pub(super) fifo: Option<(std::fs::File, PathBuf, bool)>,
    pub(super) inotify: Option<(Inotify, HashMap<WatchDescriptor, PathBuf>)>,
    pub(super) entries: Vec<Entry>,
    pub(super) names: Names,
    /// `linker-HASH.lock`, held for the background linker's life.
    pub(super) start_lock: OutputLock,
    /// `--concurrent-owner=PID`.
    pub(super) owner: Option<Owner>,
}

impl Setup {
    /// A failed start leaves nothing: the socket, and the FIFO if we made it.
    pub(super) fn remove_files(&self) {
        let _ = std::fs::remove_file(&self.sock_path);
        if let Some((_, p, true)) = &self.fifo {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The background linker, from the second fork on: sets itself up from
/// `s`, tells the foreground it is ready through `ready`, then serves
/// requests until a wait or an abort, a signal or the idle timeout.
/// Returns its exit status.
pub(super) fn background(s: Setup, ready: OwnedFd) -> i32 {
    let Setup {
        opts,
        token,
        dir,
        sock_path,
        listener,
        fifo,
        inotify,
        entries,
        names,
        mut start_lock,
        owner,
    } = s;
    let keep_log = opts.concurrent_log.is_some();
    let log_path = opts
        .concurrent_log
        .clone()
        .unwrap_or_else(|| dir.join(format!("{token}.log")));
    let log_file = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
    {
        Ok(f) => f,
        Err(e) => {
            let mut w = std::fs::File::from(ready);
            let _ = write!(w, "Ecannot open log {}: {e}", log_path.display());
            return 1;
        }
    };
    start_lock.set_info(&format!("{token} {}\n", std::process::id()));
    let mut keep = vec![
        listener.as_raw_fd(),
        ready.as_raw_fd(),
        log_file.as_raw_fd(),
        start_lock.fd(),
    ];
    if let Some((f, _, _)) = &fifo {
        keep.push(f.as_raw_fd());
    }
    if let Some((ino, _)) = &inotify {
        keep.push(ino.as_fd().as_raw_fd());
    }
    if let Some(fd) = owner.as_ref().and_then(Owner::fd) {
        keep.push(fd.as_raw_fd());
    }
    detach(&keep, log_file.as_raw_fd());
    if let Some(n) = opts.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    // Each worker's malloc arena grown once (see arenas.rs).
    crate::arenas::pregrow(None);
    // The archives and libraries too in memory that can take huge pages.
    crate::input::read_big_files();
    let shared = Shared::new(entries, Box::new(log_file), opts.search_paths.clone());
    shared.log(&format!(
        "start token={token} pid={} mode={}",
        std::process::id(),
        match &opts.concurrent {
            ConcurrentMode::Pipe(p) => format!("pipe:{}", p.display()),
            _ => "inotify".into(),
        }
    ));
    let leftovers = Leftovers {
        start_lock: Mutex::new(Some(start_lock)),
        sock_path,
        fifo: fifo
            .as_ref()
            .filter(|(_, _, created)| *created)
            .map(|(_, p, _)| p.clone()),
        log: (!keep_log).then_some(log_path),
    };

    // Inputs available now: ingest at once.
    start_fixed(&shared);
    if inotify.is_some() || opts.concurrent_existing {
        ingest_existing(&shared, &opts.concurrent_pending);
    }
    feed::start_readers(&shared, Arc::new(names), fifo.map(|(f, _, _)| f), inotify);

    // Ready: the parent prints the token (and, for `--concurrent-start`,
    // this pid: the starting command only knows its child's).
    {
        let mut w = std::fs::File::from(ready);
        let _ = write!(w, "R{}", std::process::id());
    }
    let owner = owner.as_ref();
    event_loop(&shared, &opts, &listener, &dir, &token, &leftovers, owner)
}

/// What the background linker removes when it ends, however it ends.
struct Leftovers {
    /// `linker-HASH.lock`: a new background linker for this output may
    /// start once it is released.
    start_lock: Mutex<Option<OutputLock>>,
    sock_path: PathBuf,
    /// The FIFO, if we created it.
    fifo: Option<PathBuf>,
    /// The log, unless `--concurrent-log` named it.
    log: Option<PathBuf>,
}

impl Leftovers {
    fn remove(&self, shared: &Shared) {
        // The output prepared ahead, if the link did not take it.
        drop(shared.prepared.lock().map(|mut p| p.take()));
        // A new background linker for this output may start from here on.
        drop(self.start_lock.lock().map(|mut l| l.take()));
        let _ = std::fs::remove_file(&self.sock_path);
        if let Some(p) = &self.fifo {
            let _ = std::fs::remove_file(p);
        }
        if let Some(p) = &self.log {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Serves control connections until the link is waited for or aborted, a
/// signal arrives, the owner has exited, or nothing happens for the idle
/// timeout. Returns the exit status.
fn event_loop(
    shared: &Arc<Shared>,
    opts: &Options,
    listener: &UnixListener,
    dir: &Path,
    token: &str,
    leftovers: &Leftovers,
    owner: Option<&Owner>,
) -> i32 {
    let _ = listener.set_nonblocking(true);
    let timeout = Duration::from_secs(opts.concurrent_idle_timeout);
    let me = getuid().as_raw();
    install_signal_handlers();
    // Whether the output file can be prepared ahead (not a device, ...),
    // and whether part of what can be is still to do.
    let mut can_prepare = true;
    let mut preparing = false;
    // Symbols resolved ahead, in command-line order (`frontier`).
    let mut ahead = None;
    let mut resolving = false;
    // Whether debug sections are left to write ahead (`frontier`).
    let mut writing = false;
    // Whether the memory is being moved into huge pages (`collapse`).
    let mut huge = Collapse::default();
    let mut collapsing = false;
    loop {
        if let Some(sig) = received_signal() {
            shared.last_log(&format!("signal {sig}: cleaning up and exiting"));
            leftovers.remove(shared);
            return 128 + sig;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let Some(mut stream) = own_peer(shared, stream, me) else {
                    continue;
                };
                if let Some((code, diag, waited)) =
                    serve(shared, opts, &mut stream, dir, token, &mut ahead)
                {
                    // Clean up before answering: once the wait or abort
                    // returns, no socket, FIFO or lock of this linker is left
                    // (and the log is written up to the link's end).
                    shared.flush_log();
                    leftovers.remove(shared);
                    let _ = if waited {
                        write!(stream, "status {code}\n{diag}")
                    } else {
                        stream.write_all(b"status 0\n")
                    };
                    let _ = stream.flush();
                    drop(stream);
                    // Off the tail: the replaced output's blocks are freed now.
                    if let Some(done) = shared.finished.lock().unwrap().take() {
                        done.release();
                    }
                    answer_queued(shared, listener, me, code, &diag, waited);
                    shared.last_log(&format!("exit {code}"));
                    return code;
                }
                shared.flush_log();
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // Sleep until a connection arrives (a wait must be served at
                // once: it is the link's tail), or 200 ms for the idle check.
                // Or an ingestion is stored: the resolution goes on then.
                let mut fds: Vec<_> = std::iter::once(listener.as_fd())
                    .chain(shared.woken_by())
                    .chain(owner.and_then(Owner::fd))
                    .map(|fd| nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN))
                    .collect();
                // While the output is being prepared, a step at a time.
                let busy = preparing || resolving || writing || collapsing;
                if !busy {
                    // About to sleep: the log is complete up to now.
                    shared.flush_log();
                }
                let _ = nix::poll::poll(&mut fds, if busy { 0u16 } else { 50u16 });
                shared.drain_wake();
                // The work ahead, on its own (niced) threads (`ahead_pool`).
                if shared.state.lock().unwrap().resolver_stale {
                    on_ahead_pool(&mut ahead, |a| frontier::unfeed(shared, a, opts));
                }
                resolving =
                    on_ahead_pool(&mut ahead, |a| frontier::advance(shared, a, opts, false));
                if connection_waiting(listener) {
                    // A wait, perhaps: served before the steps below.
                    continue;
                }
                // A step of writing between steps of resolving too (about a
                // millisecond each): the objects laid out are final work,
                // while resolving may go on for a while past a gap (in a
                // Make rebuild, the objects after the one recompiled: its
                // compile ended with 219 of 1,500 objects before it
                // written, the rest left to the wait's write).
                writing = on_ahead_pool(&mut ahead, |a| frontier::write_ahead(shared, a, opts));
                if can_prepare {
                    match ahead_pool().install(|| prepare_output(shared, opts)) {
                        Some(more) => preparing = more,
                        None => (can_prepare, preparing) = (false, false),
                    }
                }
                // Last, once everything else is done and nothing is being
                // read: what the wait will read, in huge pages.
                collapsing = false;
                if !(preparing || resolving || writing)
                    && shared.state.lock().unwrap().in_flight == 0
                {
                    // On the niced threads too: a round copies memory.
                    let (more, msg) = ahead_pool().install(|| huge.step());
                    collapsing = more;
                    if let Some(m) = msg {
                        shared.log(&m);
                    }
                }
                // A request that came with the owner's exit (its wait) was
                // served above.
                if let Some(o) = owner.filter(|o| o.gone()) {
                    shared.last_log(&format!(
                        "owner (pid {}) exited; giving up (nobody will call --concurrent-wait)",
                        o.pid()
                    ));
                    leftovers.remove(shared);
                    return 0;
                }
                let idle = shared.state.lock().unwrap().last_activity.elapsed();
                if idle > timeout {
                    shared.last_log(&format!(
                        "idle for {}s; giving up (nobody called --concurrent-wait)",
                        timeout.as_secs()
                    ));
                    leftovers.remove(shared);
                    return 0;
                }
            }
            Err(e) => {
                shared.log(&format!("accept failed: {e}"));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Runs `f` on the resolution ahead on a thread of `ahead_pool`; the
/// event loop waits for it.
fn on_ahead_pool<R: Send>(
    ahead: &mut Option<Frontier>,
    f: impl FnOnce(&mut Option<Frontier>) -> R + Send,
) -> R {
    struct OnPool<'a>(&'a mut Option<Frontier>);
    // SAFETY: one thread at a time uses it (the event loop waits for the
    // step), and the resolver's claimer in it is `NoPlugin`, which has no
    // state (a link whose inputs hold IR is not resolved ahead).
    unsafe impl Send for OnPool<'_> {}
    let on = OnPool(ahead);
    ahead_pool().install(move || {
        let on = on;
        f(on.0)
    })
}

/// Whether a client is waiting to be accepted on `listener`.
fn connection_waiting(listener: &UnixListener) -> bool {
    let mut fds = [nix::poll::PollFd::new(
        listener.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    matches!(nix::poll::poll(&mut fds, 0u16), Ok(n) if n > 0)
}

/// Opens the output file ahead of the wait and faults in as much of it as
/// the inputs ingested so far will fill, 4 MiB per call so that a wait is
/// served at once (`output_file::Prepared`): the page faults of writing
/// the image are then out of the link's tail. Returns whether more remains,
/// or `None` if the output cannot be prepared (a device, a FIFO).
fn prepare_output(shared: &Shared, opts: &Options) -> Option<bool> {
    if opts.relocatable {
        return None;
    }
    let estimate = shared.state.lock().unwrap().estimate;
    if estimate == 0 {
        return Some(false);
    }
    let mut slot = shared.prepared.lock().unwrap();
    if slot.is_none() {
        let cap = crate::output_file::room_for(estimate);
        let Some(p) = crate::output_file::Prepared::new(&opts.output, cap) else {
            shared.log("prepare output: not possible here; opened at the wait");
            return None;
        };
        *slot = Some(p);
        shared.log(&format!("prepare output: {estimate} bytes estimated"));
    }
    match slot
        .as_mut()?
        .grow(crate::output_file::prepare_size(estimate), 4 << 20)
    {
        Ok(more) => Some(more),
        Err(e) => {
            // The link opens its output at the wait, and reports the error.
            shared.log(&format!("prepare output: {e}; given up"));
            *slot = None;
            None
        }
    }
}

/// The accepted connection, in blocking mode, if its peer is our user
/// (`me`); another user's gets a refusal.
fn own_peer(shared: &Shared, stream: UnixStream, me: u32) -> Option<UnixStream> {
    let _ = stream.set_nonblocking(false);
    match getsockopt(&stream, PeerCredentials) {
        Ok(c) if c.uid() == me => Some(stream),
        Ok(c) => {
            shared.log(&format!("refused a connection from uid {}", c.uid()));
            let mut st = stream;
            let _ = st.write_all(b"status 1\ncld: error: permission denied: this background linker belongs to another user\n");
            None
        }
        Err(e) => {
            shared.log(&format!("cannot check peer credentials: {e}"));
            None
        }
    }
}

/// Close every descriptor but stdio and `keep`; stdio goes to /dev/null
/// and (stderr) the log, so build tools waiting for pipes to close are not
/// held up.
fn detach(keep: &[i32], log_fd: i32) {
    let devnull = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null");
    if let Ok(n) = devnull {
        let fd = n.as_raw_fd();
        unsafe {
            nix::libc::dup2(fd, 0);
            nix::libc::dup2(fd, 1);
            nix::libc::dup2(log_fd, 2);
        }
    }
    let mut fds = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
        for e in rd.flatten() {
            if let Ok(n) = e.file_name().to_string_lossy().parse::<i32>() {
                fds.push(n);
            }
        }
    }
    for fd in fds {
        if fd > 2 && !keep.contains(&fd) && fd != log_fd {
            unsafe {
                nix::libc::close(fd);
            }
        }
    }
}

static SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn on_signal(sig: nix::libc::c_int) {
    SIGNAL.store(sig, std::sync::atomic::Ordering::SeqCst);
}

/// SIGTERM, SIGINT and SIGHUP end the background linker cleanly (socket
/// and FIFO removed) instead of leaving them behind.
fn install_signal_handlers() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let act = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sigaction(s, &act) };
    }
}

fn received_signal() -> Option<i32> {
    match SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Handle one control connection. Returns (exit code, diagnostics, whether
/// it was a wait) when the background linker should exit; the caller then
/// answers the wait or abort.
fn serve(
    shared: &Arc<Shared>,
    opts: &Options,
    stream: &mut UnixStream,
    dir: &Path,
    token: &str,
    ahead: &mut Option<Frontier>,
) -> Option<(i32, String, bool)> {
    let line = read_request(stream);
    let req = line.trim();
    if req.is_empty() {
        // Another cld checking whether this socket is stale: not activity.
        return None;
    }
    shared.state.lock().unwrap().last_activity = Instant::now();
    shared.log(&format!("request {req}"));
    match req {
        "status" | "status-json" => {
            let text = status(shared, req == "status-json");
            let _ = write!(stream, "status 0\n{text}");
            None
        }
        "abort" => Some((0, String::new(), false)),
        "wait" => {
            let cpu = crate::timing::process_cpu().as_secs_f64() * 1e3;
            shared.log(&format!("cpu before the wait: {cpu:.1} ms"));
            let (code, diag) = finish(shared, opts, &dir.join(format!("{token}.diag")), ahead);
            Some((code, diag, true))
        }
        _ => {
            let _ = stream.write_all(b"status 2\ncld: error: unknown request\n");
            None
        }
    }
}

/// The request line a client sent (empty if it sent none).
fn read_request(stream: &UnixStream) -> String {
    let mut line = String::new();
    let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stream), &mut line);
    line
}

/// Requests that arrived while the link ran (a second wait, a status) get
/// the outcome instead of a closed connection.
fn answer_queued(
    shared: &Arc<Shared>,
    listener: &UnixListener,
    me: u32,
    code: i32,
    diag: &str,
    waited: bool,
) {
    let _ = listener.set_nonblocking(true);
    while let Ok((mut stream, _)) = listener.accept() {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if !matches!(getsockopt(&stream, PeerCredentials), Ok(c) if c.uid() == me) {
            continue;
        }
        let line = read_request(&stream);
        let req = line.trim();
        shared.log(&format!("request {req} (after the end)"));
        let _ = match (req, waited) {
            ("wait", true) => write!(stream, "status {code}\n{diag}"),
            ("wait", false) => write!(
                stream,
                "status 1\ncld: error: the background linker was aborted; nothing was linked\n"
            ),
            ("status", _) | ("status-json", _) => {
                let what = if waited {
                    format!("the link finished with status {code}")
                } else {
                    "the background linker was aborted".to_string()
                };
                if req == "status-json" {
                    write!(
                        stream,
                        "status 0\n{}\n",
                        serde_json::json!({"finished": true, "status": code, "aborted": !waited})
                    )
                } else {
                    write!(stream, "status 0\n{what}\n")
                }
            }
            _ => write!(stream, "status 1\ncld: error: the link already finished\n"),
        };
    }
}

fn status(shared: &Arc<Shared>, json: bool) -> String {
    let st = shared.state.lock().unwrap();
    let mut ingested = Vec::new();
    let mut pending = Vec::new();
    let mut errors = Vec::new();
    for e in &st.entries {
        if let Entry::Concurrent(s) = e {
            match &s.result {
                Some(Ok(_)) => ingested.push(s.display.clone()),
                Some(Err(m)) => errors.push(m.clone()),
                // Ingested, and resolved ahead already.
                None if s.fed.is_some() => ingested.push(s.display.clone()),
                None => pending.push(s.display.clone()),
            }
        }
    }
    for r in st.fixed.iter().flatten() {
        if let Err(m) = r {
            errors.push(m.clone());
        }
    }
    for u in &st.unknown {
        errors.push(format!(
            "{u}: reported on the FIFO but not a concurrent input"
        ));
    }
    if json {
        serde_json::json!({
            "ingested": ingested.len(),
            "pending": pending,
            "errors": errors,
            // Counted, not summed: `errors` also holds other inputs' and
            // unknown FIFO names' messages.
            "concurrent_inputs": st.entries.iter().filter(|e| matches!(e, Entry::Concurrent(_))).count(),
            "in_flight": st.in_flight,
        })
        .to_string()
            + "\n"
    } else {
        let mut s = format!(
            "ingested {} concurrent inputs, {} pending, {} in progress, {} errors\n",
            ingested.len(),
            pending.len(),
            st.in_flight,
            errors.len()
        );
        for p in &pending {
            s.push_str(&format!("pending: {p}\n"));
        }
        for e in &errors {
            s.push_str(&format!("error: {e}\n"));
        }
        s
    }
}
