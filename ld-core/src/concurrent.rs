//! Concurrent linking: the background linker and the commands that talk to it.
//!
//! `cld ... --concurrent-pipe=PATH|--concurrent-inotify ... --start-concurrent
//! a.o b.o --end-concurrent ...` validates the command line, sets up
//! everything through which availability events arrive (the control socket,
//! the FIFO opened read-write, the inotify watches), then forks the
//! background linker (own session, stdio detached, every inherited
//! descriptor closed) and prints a token once it runs. Events that arrive
//! before the background process is scheduled wait in the kernel, so none
//! is missed.
//!
//! The background linker ingests the other inputs at once and each
//! concurrent input when it is reported (in any order, on the rayon pool;
//! a re-reported input is ingested again). `--concurrent-wait=TOKEN` takes
//! every unreported input as complete (after draining the FIFO), waits for
//! ingestion, checks the identity (device, inode, size, mtime) of every
//! concurrent input and of every file the other inputs read, re-reads what
//! changed, then runs the same resolve/layout/write as a serial link
//! (`link::link_items`), so the output is byte-identical to it.
//!
//! Only the owner can talk to it: the socket lives in a 0700 per-user
//! directory and each peer's credentials are checked. One background linker
//! per output: a second start is refused while one runs (`outlock`).

use crate::error::{Error, Result};
use crate::input::FileIdentity;
use crate::link::{self, Expander};
use crate::options::{ConcurrentMode, ControlOp, InputArg, Options};
use crate::resolve::LoadItem;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::unistd::{fork, getuid, setsid, ForkResult};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The per-user runtime directory: `$CLD_RUNTIME_DIR`, else
/// `$XDG_RUNTIME_DIR/cld`, else `/tmp/cld-UID`. Created 0700; an existing
/// one must be a real directory owned by us with no group/other access.
pub fn runtime_dir() -> Result<PathBuf> {
    let uid = getuid().as_raw();
    let dir = if let Some(d) = std::env::var_os("CLD_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        // Absolute, so the background linker and later commands agree.
        let d = PathBuf::from(d);
        if d.is_absolute() {
            d
        } else {
            std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot get the current directory: {e}")))?
                .join(d)
        }
    } else {
        match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(x)
                if x.is_absolute()
                    && std::fs::metadata(&x).is_ok_and(|m| m.is_dir() && m.uid() == uid) =>
            {
                x.join("cld")
            }
            _ => std::env::temp_dir().join(format!("cld-{uid}")),
        }
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::new(format!(
                "cannot create runtime directory {}: {e}",
                dir.display()
            )))
        }
    }
    let m = std::fs::symlink_metadata(&dir)
        .map_err(|e| Error::new(format!("cannot stat {}: {e}", dir.display())))?;
    if m.file_type().is_symlink() || !m.is_dir() {
        return Err(Error::new(format!(
            "runtime directory {} is not a directory (a symlink?); refusing to use it",
            dir.display()
        )));
    }
    if m.uid() != uid {
        return Err(Error::new(format!(
            "runtime directory {} belongs to uid {}, not to you (uid {uid}); refusing to use it",
            dir.display(),
            m.uid()
        )));
    }
    if m.mode() & 0o077 != 0 {
        return Err(Error::new(format!(
            "runtime directory {} has mode {:o}; it must be 0700",
            dir.display(),
            m.mode() & 0o777
        )));
    }
    Ok(dir)
}

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

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

fn new_token() -> Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| Error::new(format!("cannot read /dev/urandom: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn check_token(token: &str) -> Result<()> {
    if token.len() == 32
        && token
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        Ok(())
    } else {
        Err(Error::new(format!(
            "invalid token '{token}' (expected the 32 hex digits that the starting command printed)"
        )))
    }
}

/// Lexically normalized absolute path (no symlink resolution: the file may
/// not exist yet).
fn normalize(p: &Path, cwd: &Path) -> PathBuf {
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

/// A socket path that fits `sockaddr_un`. A long runtime directory (deep
/// build trees, CI checkouts) would overflow its 108 bytes, so the name is
/// reached through `/proc/self/fd/N` of the directory, opened `O_PATH`; the
/// returned descriptor must stay open while the path is used.
fn socket_addr(path: &Path) -> Result<(PathBuf, Option<OwnedFd>)> {
    use std::os::unix::ffi::OsStrExt;
    const SUN_PATH_MAX: usize = 107;
    if path.as_os_str().as_bytes().len() <= SUN_PATH_MAX {
        return Ok((path.to_path_buf(), None));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok((path.to_path_buf(), None));
    };
    let fd: OwnedFd = nix::fcntl::open(
        dir,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| {
        Error::new(format!(
            "cannot open runtime directory {}: {e}",
            dir.display()
        ))
    })?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(name);
    Ok((short, Some(fd)))
}

fn socket_connect(path: &Path) -> std::io::Result<UnixStream> {
    let (addr, _dir) = socket_addr(path).map_err(|e| std::io::Error::other(e.msg))?;
    UnixStream::connect(addr)
}

/// Remove sockets and lock files left by background linkers and links that
/// no longer run (killed).
fn remove_stale(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "lock") {
            // Free means its holder died: taking it and letting go removes
            // it (safely for anyone about to lock it, see `outlock`).
            drop(crate::outlock::OutputLock::acquire(
                p,
                Some(Duration::ZERO),
                || {},
            ));
        } else if p.extension().is_some_and(|x| x == "sock") {
            if let Err(err) = socket_connect(&p) {
                if err.kind() == std::io::ErrorKind::ConnectionRefused {
                    let _ = std::fs::remove_file(&p);
                    let _ = std::fs::remove_file(p.with_extension("log"));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Starting.

/// One command-line input of the link, as the background linker holds it.
enum Entry {
    /// Inputs available at the start (expanded: `-l`, scripts, groups),
    /// with the argument and the identities of the files it read, checked
    /// at the wait like the concurrent ones.
    Fixed {
        arg: InputArg,
        files: Vec<(PathBuf, FileIdentity)>,
        pending: Vec<link::Pending>,
    },
    Concurrent(Slot),
}

struct Slot {
    /// As spelled on the command line.
    display: String,
    path: PathBuf,
    /// For `-lNAME` inside the concurrent region: (NAME, static only);
    /// `path` is then where it was last found.
    lib: Option<(String, bool)>,
    as_needed: bool,
    whole: bool,
    /// Reported available (or assumed so at the wait).
    reported: bool,
    /// Latest dispatched ingestion and the one whose result is stored.
    dispatched: u64,
    stored: u64,
    result: Option<std::result::Result<(LoadItem, FileIdentity), String>>,
    /// For `-lNAME`: where an ingestion last found it.
    found_once: Option<PathBuf>,
}

struct State {
    entries: Vec<Entry>,
    fixed: Vec<Option<std::result::Result<Vec<LoadItem>, String>>>,
    in_flight: usize,
    unknown: Vec<String>,
    last_activity: Instant,
    /// The wait has begun: reports that arrive now are ignored (the wait
    /// takes every input as complete and verifies identities itself), so
    /// nothing touches `entries` once the link has taken them.
    finishing: bool,
}

struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    log: Mutex<Box<dyn Write + Send>>,
    t0: Instant,
    /// Library search directories, for `-l` inputs in the concurrent region.
    search: Vec<PathBuf>,
    /// Pipe mode: the FIFO, read by its thread and drained by the wait.
    fifo: std::sync::OnceLock<Mutex<FifoIn>>,
}

/// The FIFO's read end (non-blocking) and what has been read of a name
/// whose NUL has not arrived yet.
struct FifoIn {
    file: std::fs::File,
    buf: Vec<u8>,
    names: Arc<HashMap<PathBuf, Vec<usize>>>,
    cwd: PathBuf,
}

impl Shared {
    /// The log's last line: later events (a reader thread still running
    /// while the process exits) are not written.
    fn last_log(&self, msg: &str) {
        self.log(msg);
        if let Ok(mut l) = self.log.lock() {
            *l = Box::new(std::io::sink());
        }
    }

    /// The state once no ingestion is in flight.
    fn idle(&self) -> std::sync::MutexGuard<'_, State> {
        let mut st = self.state.lock().unwrap();
        while st.in_flight > 0 {
            st = self.cv.wait(st).unwrap();
        }
        st
    }

    fn log(&self, msg: &str) {
        let wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        if let Ok(mut l) = self.log.lock() {
            let _ = writeln!(l, "{wall:.6} +{:.6} {msg}", self.t0.elapsed().as_secs_f64());
            let _ = l.flush();
        }
    }
}

/// Everything set up in the foreground, handed to the background process.
struct Setup {
    opts: Options,
    token: String,
    dir: PathBuf,
    sock_path: PathBuf,
    listener: UnixListener,
    fifo: Option<(std::fs::File, PathBuf, bool)>,
    inotify: Option<(Inotify, HashMap<WatchDescriptor, PathBuf>)>,
    entries: Vec<Entry>,
    names: HashMap<PathBuf, Vec<usize>>,
    /// `linker-HASH.lock`, held for the background linker's life.
    start_lock: crate::outlock::OutputLock,
}

/// `cld ... --concurrent-pipe|--concurrent-inotify ...`: returns the exit status.
pub fn start(opts: Options) -> i32 {
    match setup(opts) {
        Ok(s) => daemonize(s),
        Err(e) => {
            for line in e.msg.lines() {
                eprintln!("cld: error: {line}");
            }
            1
        }
    }
}

fn setup(opts: Options) -> Result<Setup> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot get the current directory: {e}")))?;
    // Validate everything that is not concurrent now: a bad command line
    // fails here, in the foreground, before anything goes to the background.
    let mut entries = Vec::new();
    let mut names: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    let mut errors = Vec::new();
    let mut n_concurrent = 0;
    for arg in &opts.inputs {
        match arg {
            InputArg::File {
                path,
                state,
                concurrent: true,
            } => {
                let abs = normalize(path, &cwd);
                let parent = abs.parent().unwrap_or(Path::new("/"));
                // Watches need the directory; the FIFO does not.
                if opts.concurrent == ConcurrentMode::Inotify && !parent.is_dir() {
                    let m = format!(
                        "directory {} of concurrent input {} does not exist (inotify watches directories; create it first)",
                        parent.display(),
                        path.display()
                    );
                    if !errors.iter().any(|e: &String| {
                        e.starts_with(&format!("directory {} ", parent.display()))
                    }) {
                        errors.push(m);
                    }
                }
                names.entry(abs.clone()).or_default().push(entries.len());
                entries.push(Entry::Concurrent(Slot {
                    display: path.display().to_string(),
                    path: abs,
                    lib: None,
                    as_needed: state.as_needed,
                    whole: state.whole_archive,
                    reported: false,
                    dispatched: 0,
                    stored: 0,
                    result: None,
                    found_once: None,
                }));
                n_concurrent += 1;
            }
            InputArg::Library {
                name,
                state,
                concurrent: true,
            } => {
                // `-lNAME` that the build may still be making: found in
                // the search directories when it is reported (any of its
                // candidate names there), or at the wait.
                let idx = entries.len();
                let mut cands = Vec::new();
                for d in &opts.search_paths {
                    let d = normalize(d, &cwd);
                    if let Some(exact) = name.strip_prefix(':') {
                        cands.push(d.join(exact));
                    } else {
                        if !state.static_only {
                            cands.push(d.join(format!("lib{name}.so")));
                        }
                        cands.push(d.join(format!("lib{name}.a")));
                    }
                }
                for c in &cands {
                    names.entry(c.clone()).or_default().push(idx);
                }
                entries.push(Entry::Concurrent(Slot {
                    display: format!("-l{name}"),
                    path: cands.first().cloned().unwrap_or_default(),
                    lib: Some((name.clone(), state.static_only)),
                    as_needed: state.as_needed,
                    whole: state.whole_archive,
                    reported: false,
                    dispatched: 0,
                    stored: 0,
                    result: None,
                    found_once: None,
                }));
                n_concurrent += 1;
            }
            other => {
                let mut ex = Expander::new(&opts);
                match ex.add_arg(other) {
                    Ok(()) => entries.push(Entry::Fixed {
                        arg: other.clone(),
                        files: ex.identities,
                        pending: ex.out,
                    }),
                    Err(e) => errors.push(e.msg),
                }
            }
        }
    }
    if n_concurrent == 0 {
        errors.push(
            "concurrent linking needs inputs between --start-concurrent and --end-concurrent"
                .into(),
        );
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    let dir = runtime_dir()?;
    remove_stale(&dir);
    let token = new_token()?;
    // One background linker per output: a second one would race the first
    // for its FIFO's names and remove the FIFO under it. A second start is
    // refused, naming the first (a second's grace covers one that was just
    // waited for or aborted and is exiting).
    let lock_path = crate::outlock::lock_path(&dir, "linker", &opts.output);
    let mut start_lock = match crate::outlock::OutputLock::acquire(
        lock_path.clone(),
        Some(Duration::from_secs(1)),
        || {},
    ) {
        Ok(Some(l)) => l,
        Ok(None) => {
            let who = std::fs::read_to_string(&lock_path).unwrap_or_default();
            let mut w = who.split_whitespace();
            let (t, pid) = (w.next().unwrap_or("?"), w.next().unwrap_or("?"));
            return Err(Error::new(format!(
                "a background linker for {} is already running (token {t}, pid {pid}); finish it with `cld --concurrent-wait={t}` or stop it with `cld --concurrent-abort={t}` first",
                opts.output.display()
            )));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot lock {} (for output {}): {e}",
                lock_path.display(),
                opts.output.display()
            )))
        }
    };
    start_lock.set_info(&format!("{token} {}\n", std::process::id()));
    let sock_path = dir.join(format!("{token}.sock"));
    // Bound and listening under another name, then renamed into place: a
    // parallel start's remove_stale() that connected between bind() and
    // listen() would get ECONNREFUSED and delete a live socket.
    let new_path = dir.join(format!("{token}.sock-new"));
    let (bind_addr, _dir_fd) = socket_addr(&new_path)?;
    let listener = UnixListener::bind(&bind_addr)
        .map_err(|e| Error::new(format!("cannot create socket {}: {e}", new_path.display())))?;
    let _ = std::fs::set_permissions(&new_path, std::fs::Permissions::from_mode(0o600));
    std::fs::rename(&new_path, &sock_path).map_err(|e| {
        let _ = std::fs::remove_file(&new_path);
        Error::new(format!("cannot create socket {}: {e}", sock_path.display()))
    })?;
    let cleanup_sock = |e: Error| {
        let _ = std::fs::remove_file(&sock_path);
        e
    };
    let mut fifo = None;
    let mut inotify = None;
    match &opts.concurrent {
        ConcurrentMode::Pipe(p) => {
            let me = getuid().as_raw();
            let created = match std::fs::symlink_metadata(p) {
                // Whoever can write to the FIFO can feed the link: it must
                // be ours and not writable by everyone.
                Ok(m) if m.file_type().is_fifo() && m.uid() != me => {
                    return Err(cleanup_sock(Error::new(format!(
                        "FIFO {} belongs to uid {}, not to you (uid {me}); refusing to use it",
                        p.display(),
                        m.uid()
                    ))))
                }
                Ok(m) if m.file_type().is_fifo() && m.mode() & 0o002 != 0 => {
                    return Err(cleanup_sock(Error::new(format!(
                        "FIFO {} has mode {:o}: anyone could write names to it; refusing to use it (chmod o-w it)",
                        p.display(),
                        m.mode() & 0o777
                    ))))
                }
                Ok(m) if m.file_type().is_fifo() => false,
                Ok(_) => {
                    return Err(cleanup_sock(Error::new(format!(
                        "{} exists and is not a FIFO",
                        p.display()
                    ))))
                }
                Err(_) => {
                    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600))
                        .map_err(|e| {
                            cleanup_sock(Error::new(format!(
                                "cannot create FIFO {}: {e}",
                                p.display()
                            )))
                        })?;
                    true
                }
            };
            // Read-write, so the reader never sees end-of-file when the
            // last writer closes.
            // Not through a symlink planted after the check above.
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(p)
                .map_err(|e| {
                    cleanup_sock(Error::new(format!("cannot open FIFO {}: {e}", p.display())))
                })?;
            if !f.metadata().is_ok_and(|m| m.file_type().is_fifo()) {
                return Err(cleanup_sock(Error::new(format!(
                    "{} is no longer a FIFO",
                    p.display()
                ))));
            }
            fifo = Some((f, normalize(p, &cwd), created));
        }
        ConcurrentMode::Inotify => {
            let ino = Inotify::init(InitFlags::IN_CLOEXEC)
                .map_err(|e| cleanup_sock(Error::new(format!("cannot initialize inotify: {e}"))))?;
            let mut wds = HashMap::new();
            let mut dirs: Vec<PathBuf> = names
                .keys()
                .filter_map(|p| p.parent().map(|d| d.to_path_buf()))
                .collect();
            dirs.sort();
            dirs.dedup();
            // Files' directories were checked above; a search directory of
            // a concurrent `-l` that does not exist is simply not watched.
            dirs.retain(|d| d.is_dir());
            for d in dirs {
                let wd = ino
                    .add_watch(
                        &d,
                        // IN_CREATE: a hard link made into place (rustc
                        // reusing an object) gives nothing else.
                        AddWatchFlags::IN_CLOSE_WRITE
                            | AddWatchFlags::IN_MOVED_TO
                            | AddWatchFlags::IN_ATTRIB
                            | AddWatchFlags::IN_CREATE,
                    )
                    .map_err(|e| {
                        cleanup_sock(Error::new(format!("cannot watch {}: {e}", d.display())))
                    })?;
                wds.insert(wd, d);
            }
            inotify = Some((ino, wds));
        }
        ConcurrentMode::Off => unreachable!("start() is only called in concurrent mode"),
    }
    Ok(Setup {
        opts,
        token,
        dir,
        sock_path,
        listener,
        fifo,
        inotify,
        entries,
        names,
        start_lock,
    })
}

impl Setup {
    /// A failed start leaves nothing: the socket, and the FIFO if we made it.
    fn remove_files(&self) {
        let _ = std::fs::remove_file(&self.sock_path);
        if let Some((_, p, true)) = &self.fifo {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn daemonize(s: Setup) -> i32 {
    let (rd, wr) = match nix::unistd::pipe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cld: error: cannot create a pipe: {e}");
            s.remove_files();
            return 1;
        }
    };
    // SAFETY: no threads exist yet in this process (the rayon pool is built
    // later, in the background process), so fork is sound.
    match unsafe { fork() } {
        Err(e) => {
            eprintln!("cld: error: cannot fork the background linker: {e}");
            s.remove_files();
            1
        }
        Ok(ForkResult::Parent { child }) => {
            let mut s = s;
            drop(wr);
            let _ = nix::sys::wait::waitpid(child, None);
            let mut f = std::fs::File::from(rd);
            let mut msg = Vec::new();
            let _ = f.read_to_end(&mut msg);
            if msg.first() == Some(&b'R') {
                // The background linker holds the lock now.
                s.start_lock.hand_over();
                println!("{}", s.token);
                let _ = std::io::stdout().flush();
                0
            } else {
                let m = String::from_utf8_lossy(msg.get(1..).unwrap_or_default()).into_owned();
                eprintln!(
                    "cld: error: the background linker did not start{}",
                    if m.is_empty() {
                        String::new()
                    } else {
                        format!(": {m}")
                    }
                );
                s.remove_files();
                1
            }
        }
        Ok(ForkResult::Child) => {
            drop(rd);
            let _ = setsid();
            // Second fork: the background linker is not a session leader
            // and is reparented to init when the first child exits.
            match unsafe { fork() } {
                Ok(ForkResult::Parent { .. }) => unsafe { nix::libc::_exit(0) },
                Ok(ForkResult::Child) => {}
                Err(_) => unsafe { nix::libc::_exit(1) },
            }
            let code = background(s, wr);
            std::process::exit(code);
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

fn background(s: Setup, ready: OwnedFd) -> i32 {
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
    detach(&keep, log_file.as_raw_fd());
    if let Some(n) = opts.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let n_fixed = entries.len();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            entries,
            fixed: (0..n_fixed).map(|_| None).collect(),
            in_flight: 0,
            unknown: Vec::new(),
            last_activity: Instant::now(),
            finishing: false,
        }),
        cv: Condvar::new(),
        log: Mutex::new(Box::new(log_file)),
        t0: Instant::now(),
        search: opts.search_paths.clone(),
        fifo: std::sync::OnceLock::new(),
    });
    shared.log(&format!(
        "start token={token} pid={} mode={}",
        std::process::id(),
        match &opts.concurrent {
            ConcurrentMode::Pipe(p) => format!("pipe:{}", p.display()),
            _ => "inotify".into(),
        }
    ));
    let fifo_cleanup = fifo
        .as_ref()
        .filter(|(_, _, created)| *created)
        .map(|(_, p, _)| p.clone());
    let start_lock = Mutex::new(Some(start_lock));
    let cleanup = move || {
        // A new background linker for this output may start from here on.
        drop(start_lock.lock().map(|mut l| l.take()));
        let _ = std::fs::remove_file(&sock_path);
        if let Some(p) = &fifo_cleanup {
            let _ = std::fs::remove_file(p);
        }
        if !keep_log {
            let _ = std::fs::remove_file(&log_path);
        }
    };

    // Inputs available now: ingest at once.
    start_fixed(&shared);
    let names = Arc::new(names);
    let speculative: Vec<usize> = if inotify.is_some() {
        // Inputs that exist already may be complete (an incremental
        // rebuild); ingest them speculatively, verified at the wait.
        let st = shared.state.lock().unwrap();
        st.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Entry::Concurrent(s) if s.path.is_file() => Some(i),
                _ => None,
            })
            .collect()
    } else {
        Vec::new()
    };
    for i in speculative {
        dispatch(&shared, i, "speculative", false);
    }
    if let Some((f, _, _)) = fifo {
        let _ = nix::fcntl::fcntl(
            &f,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        let _ = shared.fifo.set(Mutex::new(FifoIn {
            file: f,
            buf: Vec::new(),
            names: names.clone(),
            cwd: std::env::current_dir().unwrap_or_default(),
        }));
        let sh = shared.clone();
        std::thread::spawn(move || fifo_reader(sh));
    }
    if let Some((ino, wds)) = inotify {
        let sh = shared.clone();
        let nm = names.clone();
        std::thread::spawn(move || inotify_reader(sh, nm, ino, wds));
    }

    // Ready: the parent prints the token.
    {
        let mut w = std::fs::File::from(ready);
        let _ = w.write_all(b"R");
    }

    let _ = listener.set_nonblocking(true);
    let timeout = Duration::from_secs(opts.concurrent_idle_timeout);
    let me = getuid().as_raw();
    install_signal_handlers();
    loop {
        if let Some(sig) = received_signal() {
            shared.log(&format!("signal {sig}: cleaning up and exiting"));
            cleanup();
            return 128 + sig;
        }
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                match getsockopt(&stream, PeerCredentials) {
                    Ok(c) if c.uid() == me => {}
                    Ok(c) => {
                        shared.log(&format!("refused a connection from uid {}", c.uid()));
                        let mut st = stream;
                        let _ = st.write_all(b"status 1\ncld: error: permission denied: this background linker belongs to another user\n");
                        continue;
                    }
                    Err(e) => {
                        shared.log(&format!("cannot check peer credentials: {e}"));
                        continue;
                    }
                }
                let mut stream = stream;
                if let Some((code, diag, waited)) = serve(&shared, &opts, &mut stream, &dir, &token)
                {
                    // Clean up before answering: once the wait or abort
                    // returns, no socket, FIFO or lock of this linker is left.
                    cleanup();
                    let _ = if waited {
                        write!(stream, "status {code}\n{diag}")
                    } else {
                        stream.write_all(b"status 0\n")
                    };
                    let _ = stream.flush();
                    drop(stream);
                    answer_queued(&shared, &listener, me, code, &diag, waited);
                    shared.last_log(&format!("exit {code}"));
                    return code;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                // Sleep until a connection arrives (a wait must be served at
                // once: it is the link's tail), or 200 ms for the idle check.
                let mut fds = [nix::poll::PollFd::new(
                    listener.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                let _ = nix::poll::poll(&mut fds, 200u16);
                let idle = shared.state.lock().unwrap().last_activity.elapsed();
                if idle > timeout {
                    shared.log(&format!(
                        "idle for {}s; giving up (nobody called --concurrent-wait)",
                        timeout.as_secs()
                    ));
                    cleanup();
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

fn start_fixed(shared: &Arc<Shared>) {
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
    rayon::spawn(move || {
        sh.log("ingest-start fixed inputs");
        let results: Vec<(usize, std::result::Result<Vec<LoadItem>, String>)> = {
            use rayon::prelude::*;
            jobs.into_par_iter()
                .with_max_len(1)
                .map(|(i, p)| (i, link::ingest(p).map_err(|e| e.msg)))
                .collect()
        };
        let mut st = sh.state.lock().unwrap();
        for (i, r) in results {
            st.fixed[i] = Some(r);
        }
        st.in_flight -= 1;
        drop(st);
        sh.cv.notify_all();
        sh.log("ingest-done fixed inputs");
    });
}

/// Ingest concurrent input `i` (again) on the worker pool. Events are
/// ignored once the wait has begun, unless the wait itself dispatches
/// (`by_wait`).
fn dispatch(shared: &Arc<Shared>, i: usize, why: &str, by_wait: bool) {
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
    let Some(Entry::Concurrent(slot)) = st.entries.get_mut(i) else {
        return;
    };
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
    st.in_flight += 1;
    drop(st);
    shared.log(&format!("event {why} {display}"));
    let sh = shared.clone();
    rayon::spawn(move || {
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
        let ok = r.is_ok();
        let mut st = sh.state.lock().unwrap();
        if let Some(Entry::Concurrent(slot)) = st.entries.get_mut(i) {
            if let Some(p) = &found {
                // Whatever the generation: a later failure to find it then
                // names the file that was there.
                slot.found_once = Some(p.clone());
            }
            if gen > slot.stored {
                slot.stored = gen;
                slot.result = Some(r);
                if let Some(p) = found {
                    // Verified at the wait where it was found.
                    slot.path = normalize(&p, &std::env::current_dir().unwrap_or_default());
                }
            }
        }
        st.in_flight -= 1;
        drop(st);
        sh.cv.notify_all();
        sh.log(&format!(
            "ingest-{} {display}",
            if ok { "done" } else { "failed" }
        ));
    });
}

fn report_name(shared: &Arc<Shared>, names: &HashMap<PathBuf, Vec<usize>>, p: &Path, why: &str) {
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

/// Waits for the FIFO to become readable and hands what arrived to
/// `drain_fifo`.
fn fifo_reader(shared: Arc<Shared>) {
    let Some(fifo) = shared.fifo.get() else {
        return;
    };
    let fd = match fifo.lock().unwrap().file.try_clone() {
        Ok(f) => f,
        Err(e) => {
            shared.log(&format!("FIFO read failed: {e}"));
            return;
        }
    };
    loop {
        let mut fds = [nix::poll::PollFd::new(
            fd.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => {
                shared.log(&format!("FIFO poll failed: {e}"));
                return;
            }
        }
        if drain_fifo(&shared).is_none() {
            return;
        }
    }
}

/// Reads every name the FIFO holds now and reports each. The wait calls it
/// too, and keeps the returned lock while it marks the link as finishing:
/// a name written before the wait was requested is never left unread.
fn drain_fifo(shared: &Arc<Shared>) -> Option<std::sync::MutexGuard<'_, FifoIn>> {
    let mut fifo = shared.fifo.get()?.lock().unwrap();
    let mut chunk = [0u8; 4096];
    loop {
        match fifo.file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => fifo.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => {
                shared.log(&format!("FIFO read failed: {e}"));
                return None;
            }
        }
    }
    let FifoIn {
        buf, names, cwd, ..
    } = &mut *fifo;
    while let Some(z) = buf.iter().position(|&c| c == 0) {
        let raw: Vec<u8> = buf.drain(..=z).collect();
        let name = String::from_utf8_lossy(&raw[..raw.len() - 1]);
        let name = name.trim_matches(|c: char| c == '\n' || c == '\r');
        if name.is_empty() {
            continue;
        }
        report_name(shared, names, &normalize(Path::new(name), cwd), "fifo");
    }
    Some(fifo)
}

fn inotify_reader(
    shared: Arc<Shared>,
    names: Arc<HashMap<PathBuf, Vec<usize>>>,
    ino: Inotify,
    wds: HashMap<WatchDescriptor, PathBuf>,
) {
    loop {
        let events = match ino.read_events() {
            Ok(e) => e,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                shared.log(&format!("inotify read failed: {e}"));
                return;
            }
        };
        for ev in events {
            let (Some(dir), Some(name)) = (wds.get(&ev.wd), ev.name) else {
                continue;
            };
            let p = dir.join(name);
            report_name(&shared, &names, &p, "inotify");
        }
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
            let (code, diag) = finish(shared, opts, &dir.join(format!("{token}.diag")));
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

/// Whether `path` still is the file that had identity `id`.
fn unchanged(path: &Path, id: &FileIdentity) -> bool {
    std::fs::metadata(path).ok().map(|m| FileIdentity::of(&m)) == Some(*id)
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

/// The wait: everything unreported is complete; verify; link.
/// `cannot find -lNAME` alone would not say that the library was there
/// `when` (and was read): add it to the error `m`.
fn note_removed(m: &mut String, p: &Path, when: &str) {
    m.push_str(&format!(
        " ({} was read {when} and has been removed since)",
        p.display()
    ));
}

fn finish(shared: &Arc<Shared>, opts: &Options, diag_path: &Path) -> (i32, String) {
    let t0 = Instant::now();
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
    let st = shared.idle();
    // Verify identities; re-read what changed since it was ingested.
    let mut stale = Vec::new();
    for (i, e) in st.entries.iter().enumerate() {
        if let Entry::Concurrent(s) = e {
            if !matches!(&s.result, Some(Ok((_, id))) if unchanged(&s.path, id)) {
                stale.push(i);
            }
        }
    }
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
    // Inputs that were not concurrent may have changed too (a library
    // rebuilt meanwhile): read those arguments again, as a serial link would.
    {
        let mut st = shared.state.lock().unwrap();
        let mut redo = Vec::new();
        for (i, e) in st.entries.iter().enumerate() {
            if let Entry::Fixed { arg, files, .. } = e {
                if !files.iter().all(|(p, id)| unchanged(p, id)) {
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
    shared.log("link-start");
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
    for (i, e) in entries.into_iter().enumerate() {
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
    let result = if errors.is_empty() {
        capture_stderr(diag_path, || {
            link::link_items_traced(opts, items, t0, &|p| shared.log(&format!("phase {p}")))
        })
    } else {
        (Err(Error::new(errors.join("\n"))), String::new())
    };
    shared.log("link-done");
    let (r, captured) = result;
    let mut diag = warnings + &captured;
    match r {
        Ok(()) => (0, diag),
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

// ---------------------------------------------------------------------------
// The commands that talk to a background linker.

/// `--concurrent-wait|abort|status=TOKEN`: returns the exit status.
pub fn control(op: ControlOp, token: &str, json: bool) -> i32 {
    match control_inner(op, token, json) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cld: error: {}", e.msg);
            1
        }
    }
}

fn control_inner(op: ControlOp, token: &str, json: bool) -> Result<i32> {
    check_token(token)?;
    let dir = runtime_dir()?;
    let sock = dir.join(format!("{token}.sock"));
    let mut stream = match socket_connect(&sock) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(format!(
                "no background linker with token {token} (it finished, was aborted, or timed out)"
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            let _ = std::fs::remove_file(&sock);
            return Err(Error::new(format!(
                "the background linker for token {token} is not running (killed?); the link did not happen"
            )));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot reach the background linker for token {token}: {e}"
            )))
        }
    };
    let req = match op {
        ControlOp::Wait => "wait",
        ControlOp::Abort => "abort",
        ControlOp::Status if json => "status-json",
        ControlOp::Status => "status",
    };
    stream
        .write_all(format!("{req}\n").as_bytes())
        .map_err(|e| Error::new(format!("cannot talk to the background linker: {e}")))?;
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    let (first, rest) = resp.split_once('\n').unwrap_or((&resp, ""));
    let Some(code) = first
        .strip_prefix("status ")
        .and_then(|c| c.trim().parse::<i32>().ok())
    else {
        return Err(Error::new(format!(
            "the background linker for token {token} died before answering; the link did not complete"
        )));
    };
    match op {
        ControlOp::Status => print!("{rest}"),
        _ => eprint!("{rest}"),
    }
    Ok(code)
}
